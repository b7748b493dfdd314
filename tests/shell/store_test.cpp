// The SQLite store on real files in a fresh directory: WAL mode, versioned
// migrations, round trips of every record kind, tokens kept only as hashes
// (checked on the raw file bytes), and a scorecard that survives SIGKILL of
// the process that saved it. Also the SHA-256 the token hashes use.
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <future>
#include <iterator>
#include <thread>

#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>

#include "shell/sha256.h"
#include "shell/store.h"
#include "shell/store_writer.h"

namespace mockloop::testing {
namespace {

namespace fs = std::filesystem;
using google::protobuf::util::MessageDifferencer;

std::string hex(const sha256_digest& d) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  for (auto b : d) {
    out.push_back(digits[b >> 4]);
    out.push_back(digits[b & 0xf]);
  }
  return out;
}

TEST(Sha256, Fips180Vectors) {
  EXPECT_EQ(hex(sha256("")), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(hex(sha256("abc")), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(hex(sha256("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(
      hex(sha256("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmn"
                 "opqrstnopqrstu")),
      "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
  EXPECT_EQ(hex(sha256(std::string(1000000, 'a'))), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

// Lengths either side of where the padding spills into a second block
// (reference digests from coreutils' sha256sum).
TEST(Sha256, PaddingBoundaries) {
  EXPECT_EQ(hex(sha256(std::string(55, 'a'))), "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318");
  EXPECT_EQ(hex(sha256(std::string(56, 'a'))), "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a");
  EXPECT_EQ(hex(sha256(std::string(63, 'a'))), "7d3e74a05d7db15bce4ad9ec0658ea98e3f06eeecf16b4c6fff2da457ddc2f34");
  EXPECT_EQ(hex(sha256(std::string(64, 'a'))), "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb");
  EXPECT_EQ(hex(sha256(std::string(65, 'a'))), "635361c48bb9eab14198e76ea8ab7f1a41685d6ad62aa9146d301d4f17eb0ae0");
}

v1::Scorecard card(const std::string& rater, int64_t submitted_ms, uint32_t rating = 3) {
  v1::Scorecard c;
  c.set_rater_id(rater);
  c.set_rater_name("Rater " + rater);
  c.set_rater_role(v1::ROLE_INTERVIEWER);
  auto* s = c.add_scores();
  s->set_dimension_id("structure");
  s->set_rating(rating);
  s->set_evidence("laid out the milestones before the risks");
  c.set_recommendation(v1::RECOMMENDATION_YES);
  c.set_submitted(submitted_ms != 0);
  c.set_submitted_ms(submitted_ms);
  c.set_updated_ms(submitted_ms);
  return c;
}

v1::RoomEvent event(uint64_t seq, const std::string& phase) {
  v1::RoomEvent e;
  e.set_seq(seq);
  e.set_at_ms(1000 * static_cast<int64_t>(seq));
  e.set_phase_started(phase);
  return e;
}

std::string file_bytes(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "mockloop-store-XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    root_ = tmpl;
    dir_ = (fs::path(root_) / "data").string();  // not there yet: open() creates it
  }
  void TearDown() override { fs::remove_all(root_); }

  std::unique_ptr<store> open_store() {
    std::string error;
    auto s = store::open(dir_, &error);
    EXPECT_TRUE(s) << error;
    return s;
  }
  fs::path db_path() const { return fs::path(dir_) / "mockloop.db"; }

  std::string root_;
  std::string dir_;
};

TEST_F(StoreTest, OpensFreshDirectoryInWalMode) {
  auto s = open_store();
  ASSERT_TRUE(s);
  EXPECT_TRUE(fs::exists(db_path()));
  EXPECT_EQ(s->journal_mode(), "wal");
  EXPECT_EQ(s->schema_version(), static_cast<int>(store::migrations().size()));
  s.reset();
  // WAL is a property of the file, not only of our connection: header bytes
  // 18 and 19 (write and read format versions) are 2 in WAL mode.
  const auto bytes = file_bytes(db_path());
  ASSERT_GE(bytes.size(), 100u);
  EXPECT_EQ(bytes[18], 2);
  EXPECT_EQ(bytes[19], 2);
}

TEST_F(StoreTest, ReportsErrorsInsteadOfThrowing) {
  std::ofstream(fs::path(root_) / "a-file") << "not a directory";
  std::string error;
  EXPECT_FALSE(store::open((fs::path(root_) / "a-file").string(), &error));
  EXPECT_FALSE(error.empty());

  auto s = open_store();
  ASSERT_TRUE(s);
  v1::DebriefRecord nameless;
  error.clear();
  EXPECT_FALSE(s->save_debrief(nameless, {}, &error));
  EXPECT_FALSE(error.empty());
}

TEST_F(StoreTest, ReopeningIsIdempotentAndKeepsData) {
  std::string error;
  {
    auto s = open_store();
    ASSERT_TRUE(s);
    ASSERT_TRUE(s->save_scorecard("room-1", 1, card("r1", 100), &error)) << error;
  }
  for (int i = 0; i < 2; ++i) {
    auto s = open_store();
    ASSERT_TRUE(s);
    EXPECT_EQ(s->schema_version(), static_cast<int>(store::migrations().size()));
    ASSERT_EQ(s->scorecards("room-1", 1).size(), 1u);
  }
}

// A newer binary (one more migration) upgrades the file and keeps its data;
// the older binary then refuses the file rather than guess at its schema.
TEST_F(StoreTest, UpgradesOlderFileAndRefusesNewerOne) {
  std::string error;
  {
    auto s = open_store();
    ASSERT_TRUE(s);
    ASSERT_TRUE(s->save_scorecard("room-1", 1, card("r1", 100), &error)) << error;
  }
  std::vector<std::string_view> newer(store::migrations().begin(), store::migrations().end());
  newer.push_back(
      "ALTER TABLE scorecards ADD COLUMN note TEXT; CREATE INDEX scorecards_by_time ON scorecards (submitted_ms);");
  const int newer_version = static_cast<int>(newer.size());
  for (int i = 0; i < 2; ++i) {
    auto s = store::open(dir_, newer, &error);
    ASSERT_TRUE(s) << error;
    EXPECT_EQ(s->schema_version(), newer_version);
    EXPECT_EQ(s->scorecards("room-1", 1).size(), 1u);
  }
  error.clear();
  EXPECT_FALSE(store::open(dir_, &error));
  EXPECT_NE(error.find("newer"), std::string::npos) << error;
}

// A migration that fails part-way leaves nothing behind: the version is not
// bumped and the statements before the bad one are rolled back.
TEST_F(StoreTest, FailedMigrationRollsBack) {
  std::string error;
  std::vector<std::string_view> broken(store::migrations().begin(), store::migrations().end());
  broken.push_back("CREATE TABLE later (x INTEGER); THIS IS NOT SQL;");
  EXPECT_FALSE(store::open(dir_, broken, &error));
  EXPECT_FALSE(error.empty());

  std::vector<std::string_view> fixed(store::migrations().begin(), store::migrations().end());
  fixed.push_back("CREATE TABLE later (x INTEGER);");  // would fail if the table had been left
  auto s = store::open(dir_, fixed, &error);
  ASSERT_TRUE(s) << error;
  EXPECT_EQ(s->schema_version(), static_cast<int>(fixed.size()));
}

TEST_F(StoreTest, ScorecardUpsertAndReadBack) {
  auto s = open_store();
  ASSERT_TRUE(s);
  std::string error;
  ASSERT_TRUE(s->save_scorecard("room-1", 1, card("r2", 200), &error)) << error;
  ASSERT_TRUE(s->save_scorecard("room-1", 1, card("r1", 0), &error)) << error;  // a draft
  ASSERT_TRUE(s->save_scorecard("room-1", 2, card("r1", 300), &error)) << error;
  ASSERT_TRUE(s->save_scorecard("room-2", 1, card("r1", 300), &error)) << error;

  auto round1 = s->scorecards("room-1", 1);
  ASSERT_EQ(round1.size(), 2u);
  EXPECT_EQ(round1[0].rater_id(), "r1");  // the draft, submitted_ms 0, first
  EXPECT_EQ(round1[1].rater_id(), "r2");
  EXPECT_TRUE(MessageDifferencer::Equals(round1[1], card("r2", 200)));

  // Submitting the draft replaces it in place; no second row for r1.
  ASSERT_TRUE(s->save_scorecard("room-1", 1, card("r1", 400, 4), &error)) << error;
  round1 = s->scorecards("room-1", 1);
  ASSERT_EQ(round1.size(), 2u);
  EXPECT_EQ(round1[0].rater_id(), "r2");
  EXPECT_EQ(round1[1].rater_id(), "r1");
  EXPECT_TRUE(MessageDifferencer::Equals(round1[1], card("r1", 400, 4)));

  EXPECT_EQ(s->scorecards("room-1", 2).size(), 1u);
  EXPECT_TRUE(s->scorecards("room-3", 1).empty());
}

v1::DebriefRecord sample_debrief() {
  v1::DebriefRecord r;
  r.set_id("debrief-1");
  r.set_session_type(v1::SESSION_TYPE_PEER_MOCK);
  r.set_room_id("room-1");
  r.set_round(1);
  r.set_scenario_id("launch-slip");
  r.set_scenario_version(3);
  r.set_scenario_title("The launch that slipped");
  r.set_started_ms(1000);
  r.set_closed_ms(2'801'000);
  auto* p = r.add_participants();
  p->set_participant_id("p1");
  p->set_display_name("Ada");
  p->set_role(v1::ROLE_CANDIDATE);
  auto* t = r.add_timeline();
  t->set_at_ms(1000);
  t->set_what("phase started: Design");
  t->set_phase_id("design");
  *r.add_scorecards() = card("r1", 2'800'000);
  auto* d = r.mutable_aggregation()->add_dimensions();
  d->set_dimension_id("structure");
  d->set_mean(3.5);
  r.mutable_aggregation()->set_krippendorff_alpha_ordinal(0.61);
  return r;
}

TEST_F(StoreTest, DebriefRoundTrip) {
  auto s = open_store();
  ASSERT_TRUE(s);
  std::string error;
  const auto record = sample_debrief();
  ASSERT_TRUE(s->save_debrief(record, {}, &error)) << error;
  const auto loaded = s->debrief("debrief-1");
  ASSERT_TRUE(loaded);
  EXPECT_TRUE(MessageDifferencer::Equals(*loaded, record));
  EXPECT_TRUE(loaded->aggregation().has_krippendorff_alpha_ordinal());
  EXPECT_FALSE(s->debrief("debrief-2"));

  // Saving again replaces the record.
  auto revised = record;
  revised.set_scenario_title("The launch that slipped (revised)");
  ASSERT_TRUE(s->save_debrief(revised, {}, &error)) << error;
  s.reset();
  s = open_store();
  ASSERT_TRUE(s);
  EXPECT_EQ(s->debrief("debrief-1")->scenario_title(), "The launch that slipped (revised)");
}

TEST_F(StoreTest, DebriefAccessByTokenKeepsOnlyHashes) {
  // Distinctive, so a hit in the raw bytes can only be the token itself.
  const std::string candidate_token = "candidate-token-9f86d081884c7d659a2feaa0c55ad015";
  const std::string coach_token = "coach-token-a3bf4f1b2b0b822cd15d6c15b0f00a08";
  auto s = open_store();
  ASSERT_TRUE(s);
  std::string error;
  ASSERT_TRUE(
      s->save_debrief(sample_debrief(), {{candidate_token, v1::ROLE_CANDIDATE}, {coach_token, v1::ROLE_COACH}}, &error))
      << error;

  EXPECT_EQ(s->debrief_access("debrief-1", candidate_token), v1::ROLE_CANDIDATE);
  EXPECT_EQ(s->debrief_access("debrief-1", coach_token), v1::ROLE_COACH);
  EXPECT_FALSE(s->debrief_access("debrief-1", "guessed-token"));
  EXPECT_FALSE(s->debrief_access("debrief-1", candidate_token.substr(1)));
  EXPECT_FALSE(s->debrief_access("debrief-1", ""));
  EXPECT_FALSE(s->debrief_access("debrief-2", candidate_token));

  // Granting a token again changes its role; the other token keeps its own.
  ASSERT_TRUE(s->save_debrief(sample_debrief(), {{candidate_token, v1::ROLE_OBSERVER}}, &error)) << error;
  EXPECT_EQ(s->debrief_access("debrief-1", candidate_token), v1::ROLE_OBSERVER);
  EXPECT_EQ(s->debrief_access("debrief-1", coach_token), v1::ROLE_COACH);

  // While open, the commits sit in the WAL; after close, in the main file.
  // Either way the hashes are there and the tokens are not.
  const auto hash = sha256(candidate_token);
  const std::string hash_bytes(hash.begin(), hash.end());
  const auto check_files = [&](const char* when) {
    std::string all;
    for (const char* suffix : {"", "-wal", "-shm"}) {
      const auto bytes = file_bytes(db_path().string() + suffix);
      EXPECT_EQ(bytes.find(candidate_token), std::string::npos) << when << ": token in mockloop.db" << suffix;
      EXPECT_EQ(bytes.find(coach_token), std::string::npos) << when << ": token in mockloop.db" << suffix;
      all += bytes;
    }
    EXPECT_NE(all.find(hash_bytes), std::string::npos) << when << ": the hash should be stored";
  };
  ASSERT_TRUE(fs::exists(db_path().string() + "-wal"));
  check_files("open");
  s.reset();
  check_files("closed");
}

// My mocks: the users of a debrief are written with it and listed newest
// first per user; feedback ratings are one per card, replaced on re-rating.
TEST_F(StoreTest, DebriefUsersAndFeedbackRatings) {
  auto s = open_store();
  ASSERT_TRUE(s);
  std::string error;
  auto older = sample_debrief();
  older.set_id("old");
  older.set_closed_ms(1000);
  auto newer = sample_debrief();
  newer.set_id("new");
  newer.set_closed_ms(2000);
  const std::string ada = user_hash_of("key-ada"), bo = user_hash_of("key-bo");
  ASSERT_TRUE(s->save_debrief_hashed(older, {}, &error, {{ada, "p-ada", v1::ROLE_CANDIDATE}, {bo, "p-bo", v1::ROLE_INTERVIEWER}}))
      << error;
  ASSERT_TRUE(s->save_debrief_hashed(newer, {}, &error, {{ada, "p-ada2", v1::ROLE_INTERVIEWER}})) << error;

  const auto adas = s->user_debriefs(ada, 10);
  ASSERT_EQ(adas.size(), 2u);
  EXPECT_EQ(adas[0].record.id(), "new");
  EXPECT_EQ(adas[0].role, v1::ROLE_INTERVIEWER);
  EXPECT_EQ(adas[0].participant_id, "p-ada2");
  EXPECT_EQ(adas[1].record.id(), "old");
  EXPECT_EQ(adas[1].participant_id, "p-ada");
  EXPECT_EQ(s->user_debriefs(ada, 1).size(), 1u) << "the limit holds";
  ASSERT_EQ(s->user_debriefs(bo, 10).size(), 1u);
  EXPECT_TRUE(s->user_debriefs(user_hash_of("key-eve"), 10).empty());
  EXPECT_EQ(s->user_role_in("old", bo), v1::ROLE_INTERVIEWER);
  EXPECT_FALSE(s->user_role_in("new", bo));

  v1::UsefulnessRating r;
  r.set_rater_id("p-bo");
  r.set_usefulness(5);
  r.set_comment("clear");
  r.set_rated_ms(3000);
  ASSERT_TRUE(s->save_feedback_rating("old", ada, r, &error)) << error;
  r.set_usefulness(3);
  ASSERT_TRUE(s->save_feedback_rating("old", ada, r, &error)) << error;
  s.reset();
  s = open_store();
  ASSERT_TRUE(s);
  const auto ratings = s->feedback_ratings("old");
  ASSERT_EQ(ratings.size(), 1u);
  EXPECT_EQ(ratings[0].usefulness(), 3u);
  EXPECT_EQ(ratings[0].comment(), "clear");
  EXPECT_EQ(ratings[0].rated_ms(), 3000);
  EXPECT_TRUE(s->feedback_ratings("new").empty());
  EXPECT_EQ(s->user_debriefs(ada, 10).size(), 2u) << "the links are on disk";
}

TEST_F(StoreTest, EventsAppendedAndReadInSeqOrder) {
  auto s = open_store();
  ASSERT_TRUE(s);
  std::string error;
  for (uint64_t seq : {3, 1, 2}) ASSERT_TRUE(s->append_event("room-1", event(seq, "p" + std::to_string(seq)), &error));
  ASSERT_TRUE(s->append_event("room-2", event(1, "other"), &error)) << error;

  const auto events = s->events("room-1");
  ASSERT_EQ(events.size(), 3u);
  for (size_t i = 0; i < events.size(); ++i) {
    EXPECT_EQ(events[i].seq(), i + 1);
    EXPECT_TRUE(MessageDifferencer::Equals(events[i], event(i + 1, "p" + std::to_string(i + 1))));
  }

  // The log is append-only: a seq already stored is refused, with SQLite's reason.
  error.clear();
  EXPECT_FALSE(s->append_event("room-1", event(2, "again"), &error));
  EXPECT_NE(error.find("UNIQUE"), std::string::npos) << error;
  EXPECT_EQ(s->events("room-1")[1].phase_started(), "p2");
  EXPECT_EQ(s->events("room-2").size(), 1u);
  EXPECT_TRUE(s->events("room-3").empty());
}

// Restart recovery: a room's row, scenario and codes; rooms are claimed
// only from instances that have gone; codes and resume tokens only as hashes.
TEST_F(StoreTest, RoomsAreClaimedFromGoneInstancesWithHashedCodesAndTokens) {
  const std::string code = "room-code-5e884898da28047151d0e56f8dc62927";
  const std::string token = "resume-token-6b86b273ff34fce19d6b804eff5a3f57";
  const auto token_hash = [&] {
    const auto d = sha256(token);
    return std::string(d.begin(), d.end());
  }();
  v1::Scenario sc;
  sc.set_id("sc-1");
  v1::JoinCode jc;
  jc.set_role(v1::ROLE_OBSERVER);
  jc.set_code(code);
  std::string error;
  std::string first_instance;
  {
    auto a = open_store();
    ASSERT_TRUE(a);
    ASSERT_TRUE(a->start_instance(&error)) << error;
    first_instance = a->instance_id();
    ASSERT_TRUE(a->create_room("room-1", v1::SESSION_TYPE_PRIVATE, 1000, sc, {jc}, &error)) << error;
    ASSERT_TRUE(a->create_room("room-2", v1::SESSION_TYPE_PEER_MOCK, 2000, sc, {}, &error)) << error;
    ASSERT_TRUE(a->close_room("room-2", &error)) << error;
    sc.set_id("sc-2");
    ASSERT_TRUE(a->save_round_scenario("room-1", 2, sc, &error)) << error;
    ASSERT_TRUE(a->save_resume_token(token_hash, "session-1", "room-1", &error)) << error;
    ASSERT_TRUE(a->set_heartbeat(5000, &error)) << error;

    // While `a` lives, another instance takes nothing.
    auto b = open_store();
    ASSERT_TRUE(b && b->start_instance(&error)) << error;
    EXPECT_TRUE(b->claim_orphaned_rooms().empty());

    const auto bytes = file_bytes(db_path()) + file_bytes(db_path().string() + "-wal");
    EXPECT_EQ(bytes.find(code), std::string::npos) << "a join code in the clear";
    EXPECT_EQ(bytes.find(token), std::string::npos) << "a resume token in the clear";
  }
  // `a` is gone (its lock released): the next instance claims its open room once.
  auto c = open_store();
  ASSERT_TRUE(c && c->start_instance(&error)) << error;
  const auto rooms = c->claim_orphaned_rooms();
  ASSERT_EQ(rooms.size(), 1u);
  EXPECT_EQ(rooms[0].room_id, "room-1");
  EXPECT_EQ(rooms[0].type, v1::SESSION_TYPE_PRIVATE);
  EXPECT_EQ(rooms[0].down_since_ms, 5000);
  EXPECT_TRUE(c->claim_orphaned_rooms().empty()) << "already this instance's";
  EXPECT_FALSE(fs::exists(fs::path(dir_) / "instances" / (first_instance + ".lock")));

  const auto rounds = c->round_scenarios("room-1");
  ASSERT_EQ(rounds.size(), 2u);
  const auto codes = c->room_codes("room-1");
  ASSERT_EQ(codes.size(), 1u);
  const auto code_digest = sha256(code);
  EXPECT_EQ(codes[0].first, std::string(code_digest.begin(), code_digest.end()));
  EXPECT_EQ(codes[0].second, v1::ROLE_OBSERVER);
  const auto tokens = c->resume_tokens("room-1");
  ASSERT_EQ(tokens.size(), 1u);
  EXPECT_EQ(tokens[0], std::make_pair(token_hash, std::string("session-1")));

  // Closing forgets the room's tokens; a dropped token is gone.
  ASSERT_TRUE(c->close_room("room-1", &error)) << error;
  EXPECT_TRUE(c->resume_tokens("room-1").empty());
}

TEST_F(StoreTest, ConcurrentWritersAndReaders) {
  auto s = open_store();
  ASSERT_TRUE(s);
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      std::string error;
      for (int i = 0; i < 25; ++i) {
        const auto rater = "r" + std::to_string(t) + "-" + std::to_string(i);
        if (!s->save_scorecard("room-1", 1, card(rater, 100 + i), &error)) ++failures;
        if (!s->append_event("room-" + std::to_string(t), event(static_cast<uint64_t>(i) + 1, rater), &error))
          ++failures;
        s->scorecards("room-1", 1);
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures, 0);
  EXPECT_EQ(s->scorecards("room-1", 1).size(), 100u);
  for (int t = 0; t < 4; ++t) EXPECT_EQ(s->events("room-" + std::to_string(t)).size(), 25u);
}

// Group commit: one transaction around several writes, each a savepoint
// that stores all of itself or nothing, the rest committed together.
TEST_F(StoreTest, NestedWritesCommitTogetherAndAFailedOneAlone) {
  auto s = open_store();
  ASSERT_TRUE(s);
  std::string error;
  ASSERT_TRUE(s->append_event("room-1", event(1, "clarify"), &error)) << error;
  bool first = false, second = true, third = false;
  ASSERT_TRUE(s->atomically(
      [&](std::string*) {
        std::string e;
        first = s->atomically([&](std::string* x) { return s->save_scorecard("room-1", 1, card("r1", 100), x); }, &e);
        // A card, then seq 1 again (refused): the card goes back out with it.
        second = s->atomically(
            [&](std::string* x) {
              return s->save_scorecard("room-1", 1, card("r2", 200), x) &&
                     s->append_event("room-1", event(1, "clarify"), x);
            },
            &e);
        third = s->atomically([&](std::string* x) { return s->append_event("room-1", event(2, "design"), x); }, &e);
        return s->in_transaction();
      },
      &error))
      << error;
  EXPECT_TRUE(first);
  EXPECT_FALSE(second);
  EXPECT_TRUE(third);
  EXPECT_FALSE(s->in_transaction());
  const auto cards = s->scorecards("room-1", 1);
  ASSERT_EQ(cards.size(), 1u);
  EXPECT_EQ(cards[0].rater_id(), "r1");
  EXPECT_EQ(s->events("room-1").size(), 2u);
}

// Writes from many threads through the writer: each reported once, all
// that queued while a commit was under way go in the next one together.
TEST_F(StoreTest, WriterGroupsWritesAndReportsEach) {
  std::shared_ptr<store> s = open_store();
  ASSERT_TRUE(s);
  store_writer writer(s);
  std::promise<void> release;
  auto released = release.get_future().share();
  // The first write holds its commit open until everything else is queued.
  writer.submit([released](store&, std::string*) { return released.wait(), true; }, {});
  constexpr int threads = 4, each = 50;
  std::atomic<int> ok{0}, failed{0};
  std::vector<std::thread> ts;
  for (int t = 0; t < threads; ++t)
    ts.emplace_back([&, t] {
      for (int i = 0; i < each; ++i) {
        const auto room = "room-" + std::to_string(t);
        writer.submit([room, i](store& db, std::string* e) { return db.append_event(room, event(i + 1, "x"), e); },
                      [&](bool good, const std::string&) { (good ? ok : failed).fetch_add(1); });
      }
    });
  for (auto& t : ts) t.join();
  // A write that cannot succeed is reported as failed, and alone.
  writer.submit([](store& db, std::string* e) { return db.append_event("room-0", event(1, "again"), e); },
                [&](bool good, const std::string&) { (good ? ok : failed).fetch_add(1); });
  release.set_value();
  writer.stop();
  EXPECT_EQ(ok.load(), threads * each);
  EXPECT_EQ(failed.load(), 1);
  EXPECT_EQ(writer.writes(), uint64_t{threads * each + 2});
  EXPECT_LE(writer.commits(), 2u) << "one commit for the writes that queued behind the first, not one each";
  for (int t = 0; t < threads; ++t) EXPECT_EQ(s->events("room-" + std::to_string(t)).size(), size_t{each});
  // After stop a write still runs, on the caller's thread.
  bool late = false;
  writer.submit([](store& db, std::string* e) { return db.append_event("room-9", event(1, "late"), e); },
                [&](bool good, const std::string&) { late = good; });
  EXPECT_TRUE(late);
}

// With a commit interval, writes that arrive within it after a commit wait
// and share the next one; stop() does not wait the interval out.
TEST_F(StoreTest, WriterWithAnIntervalGathersWritesIntoOneCommit) {
  std::shared_ptr<store> s = open_store();
  ASSERT_TRUE(s);
  // Long enough that 50 submits from one thread land inside it.
  store_writer writer(s, std::chrono::milliseconds(5'000));
  std::promise<void> first_done;
  writer.submit([](store& db, std::string* e) { return db.append_event("room-1", event(1, "first"), e); },
                [&](bool good, const std::string&) {
                  EXPECT_TRUE(good);
                  first_done.set_value();
                });
  first_done.get_future().wait();  // an idle writer commits a lone write without waiting
  EXPECT_EQ(writer.commits(), 1u);
  std::atomic<int> ok{0};
  for (int i = 2; i <= 51; ++i)
    writer.submit([i](store& db, std::string* e) { return db.append_event("room-1", event(i, "x"), e); },
                  [&](bool good, const std::string&) {
                    if (good) ok.fetch_add(1);
                  });
  EXPECT_EQ(writer.commits(), 1u) << "the next commit waits for the interval";
  writer.stop();  // cuts the interval short
  EXPECT_EQ(ok.load(), 50);
  EXPECT_EQ(writer.commits(), 2u) << "the 50 writes went in one commit";
  EXPECT_EQ(s->events("room-1").size(), 51u);
}

// save_scorecard returning true means committed: a process killed right
// after (no destructor, no close, no checkpoint) has not lost the card.
TEST_F(StoreTest, ScorecardSurvivesSigkillAfterSave) {
  int ready[2];
  ASSERT_EQ(::pipe(ready), 0);
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    // The child: no gtest assertions, only exit codes; dies with the parent.
    ::close(ready[0]);
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    std::string error;
    auto s = store::open(dir_, &error);
    if (!s || !s->save_scorecard("room-k", 1, card("rater-k", 1234), &error)) ::_exit(1);
    if (::write(ready[1], "saved", 5) != 5) ::_exit(2);
    for (;;) ::pause();
  }
  ::close(ready[1]);
  char buf[8] = {};
  pollfd p{ready[0], POLLIN, 0};
  const ssize_t n = ::poll(&p, 1, 30'000) > 0 ? ::read(ready[0], buf, 5) : -1;
  ::kill(pid, SIGKILL);
  int status = 0;
  ::waitpid(pid, &status, 0);
  ::close(ready[0]);
  ASSERT_EQ(n, 5) << "the child never reported the save (exit status " << status << ")";
  ASSERT_EQ(std::string(buf, 5), "saved");
  ASSERT_TRUE(WIFSIGNALED(status));
  EXPECT_EQ(WTERMSIG(status), SIGKILL);

  auto s = open_store();
  ASSERT_TRUE(s);
  const auto cards = s->scorecards("room-k", 1);
  ASSERT_EQ(cards.size(), 1u);
  EXPECT_TRUE(MessageDifferencer::Equals(cards[0], card("rater-k", 1234)));
}

}  // namespace
}  // namespace mockloop::testing
