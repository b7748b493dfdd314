// My mocks over the wire: a round is listed for each user key that took
// part, in the shape their role may see; the candidate rates the feedback and
// the rater sees it; strangers and keyless sessions get typed errors; an
// observer's calibration against the coach; all of it after a restart.
#include <filesystem>

#include <unistd.h>

#include <gtest/gtest.h>

#include "requests.h"
#include "test_server.h"

namespace mockloop::testing {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

void tweak(server_config& c) {
  c.scenarios_dir = std::string(MOCKLOOP_SOURCE_DIR) + "/scenarios";
  c.messages_per_second = 1000;
}

std::unique_ptr<client> keyed(test_server& s, const std::string& name, const std::string& key) {
  auto c = s.connect(encoding::json, false);
  if (!c || !c->hello(name, key)) return nullptr;
  return c;
}

v1::ClientMessage list_my_mocks(uint32_t limit = 0) {
  v1::ClientMessage m;
  m.mutable_list_my_mocks()->set_limit(limit);
  return m;
}

v1::ClientMessage get_my_debrief(const std::string& id) {
  v1::ClientMessage m;
  m.mutable_get_my_debrief()->set_debrief_id(id);
  return m;
}

v1::ClientMessage rate(const std::string& debrief, const std::string& rater, uint32_t usefulness,
                       const std::string& comment = {}) {
  v1::ClientMessage m;
  auto* r = m.mutable_rate_feedback();
  r->set_debrief_id(debrief);
  r->set_rater_id(rater);
  r->set_usefulness(usefulness);
  r->set_comment(comment);
  return m;
}

v1::MyMocks mocks_of(client& c) {
  auto r = c.request(list_my_mocks());
  EXPECT_TRUE(r && r->has_my_mocks()) << (r ? r->DebugString() : r.error().message);
  return r && r->has_my_mocks() ? r->my_mocks() : v1::MyMocks{};
}

v1::ErrorCode error_of(client& c, const v1::ClientMessage& m, std::string* field = nullptr) {
  auto r = c.request(m);
  if (!r || !r->has_error()) return v1::ERROR_CODE_UNSPECIFIED;
  if (field) *field = r->error().field();
  return r->error().code();
}

const std::string ivy_key = "key-ivy-0123456789abcdef";
const std::string cal_key = "key-cal-0123456789abcdef";

// Ivy interviews Cal in a private room, submits and reveals; the debrief id.
std::string play_round(test_server& server, v1::Scenario* scenario_out = nullptr, std::string* cal_bytes = nullptr) {
  auto iv = keyed(server, "Ivy", ivy_key);
  auto created = iv->request(create_room("failed-canary-release"));
  EXPECT_TRUE(created && created->has_room_created());
  auto brief = iv->wait_for([](const auto& m) { return m.has_staff_briefing(); });
  EXPECT_TRUE(brief);
  const auto scenario = brief->staff_briefing().scenario();
  if (scenario_out) *scenario_out = scenario;
  auto opts = server.options(encoding::json);
  if (cal_bytes) opts.frame_observer = [cal_bytes](std::string_view f) { cal_bytes->append(f); };
  client ca(opts);
  EXPECT_TRUE(ca.connect());
  EXPECT_TRUE(ca.hello("Cal", cal_key));
  EXPECT_TRUE(ca.request(join(code_for(created->room_created(), v1::ROLE_CANDIDATE)))->has_joined());
  EXPECT_TRUE(iv->request(control(v1::RoomControl::ACTION_START))->has_ack());
  for (int i = 0; i <= scenario.phases_size(); ++i)
    EXPECT_TRUE(accepted(iv->request(control(v1::RoomControl::ACTION_SKIP)).value()));
  EXPECT_TRUE(iv->request(scorecard(scenario, 3, "IVY-EVIDENCE", true))->has_ack());
  // The only rater has submitted: the round reveals itself.
  auto debrief = ca.wait_for([](const auto& m) { return m.has_candidate_debrief(); });
  EXPECT_TRUE(debrief);
  return debrief ? debrief->candidate_debrief().debrief_id() : std::string{};
}

TEST(MyMocks, ARoundIsListedForEachKeyInTheShapeItsRoleMaySee) {
  test_server server(tweak);
  v1::Scenario scenario;
  std::string cal_bytes;
  const auto id = play_round(server, &scenario, &cal_bytes);
  ASSERT_FALSE(id.empty());

  auto ivy = keyed(server, "Ivy", ivy_key);  // another tab, the same key
  auto cal = keyed(server, "Cal", cal_key);
  const auto ivys = mocks_of(*ivy);
  ASSERT_EQ(ivys.mocks_size(), 1);
  EXPECT_EQ(ivys.mocks(0).debrief_id(), id);
  EXPECT_EQ(ivys.mocks(0).role(), v1::ROLE_INTERVIEWER);
  EXPECT_EQ(ivys.mocks(0).scenario_id(), "failed-canary-release");
  ASSERT_EQ(ivys.mocks(0).others_size(), 1);
  EXPECT_EQ(ivys.mocks(0).others(0), "Cal");
  EXPECT_TRUE(ivys.mocks(0).has_given());
  EXPECT_EQ(ivys.mocks(0).given().scores(0).evidence(), "IVY-EVIDENCE");
  EXPECT_EQ(ivys.mocks(0).received_size(), 0);

  auto listed = cal->request(list_my_mocks());
  ASSERT_TRUE(listed && listed->has_my_mocks());
  const auto& m = listed->my_mocks().mocks(0);
  EXPECT_EQ(m.role(), v1::ROLE_CANDIDATE);
  ASSERT_EQ(m.received_size(), scenario.rubric_size());
  EXPECT_DOUBLE_EQ(m.received(0).mean(), 3.0);
  EXPECT_EQ(m.received(0).name(), scenario.rubric(0).name());
  ASSERT_EQ(m.feedback_size(), 1);
  const auto ivy_id = m.feedback(0).rater_id();
  EXPECT_FALSE(m.has_given());

  // The candidate's copy of the whole record keeps the scores, not the script.
  auto whole = cal->request(get_my_debrief(id));
  ASSERT_TRUE(whole && whole->has_my_debrief());
  EXPECT_EQ(whole->my_debrief().role(), v1::ROLE_CANDIDATE);
  EXPECT_EQ(whole->my_debrief().record().scorecards_size(), 1);
  auto staff = ivy->request(get_my_debrief(id));
  ASSERT_TRUE(staff && staff->has_my_debrief());
  EXPECT_EQ(staff->my_debrief().role(), v1::ROLE_INTERVIEWER);
  ASSERT_GT(staff->my_debrief().record().rubric(0).anchors_size(), 0) << "staff read the rubric";
  const std::string cal_reads = listed->DebugString() + whole->DebugString() + cal_bytes;
  int probes = 0;
  for (const auto& d : scenario.rubric()) {
    for (const auto& a : d.anchors()) {
      ++probes;
      EXPECT_EQ(cal_reads.find(a.description()), std::string::npos) << "anchor reached the candidate";
    }
    for (const auto& s : d.positive_signals()) EXPECT_EQ(cal_reads.find(s), std::string::npos) << s;
  }
  EXPECT_GT(probes, 0);

  // Feedback on feedback: Cal rates Ivy's card; Ivy sees it.
  ASSERT_TRUE(cal->request(rate(id, ivy_id, 4, "the risk question helped"))->has_ack());
  const auto rated = mocks_of(*ivy);
  ASSERT_EQ(rated.mocks_size(), 1);
  EXPECT_EQ(rated.mocks(0).given_rated().usefulness(), 4u);
  EXPECT_EQ(rated.mocks(0).given_rated().comment(), "the risk question helped");
  EXPECT_EQ(rated.usefulness_ratings(), 1u);
  EXPECT_DOUBLE_EQ(rated.usefulness_mean(), 4.0);
  ASSERT_TRUE(cal->request(rate(id, ivy_id, 2))->has_ack()) << "rating again replaces";
  EXPECT_EQ(mocks_of(*ivy).mocks(0).given_rated().usefulness(), 2u);
  EXPECT_EQ(mocks_of(*cal).mocks(0).rated(0).usefulness(), 2u);

  std::string field;
  EXPECT_EQ(error_of(*ivy, rate(id, ivy_id, 5), &field), v1::ERROR_CODE_PERMISSION_DENIED)
      << "only the candidate rates feedback";
  EXPECT_EQ(error_of(*cal, rate(id, "nobody", 3), &field), v1::ERROR_CODE_NOT_FOUND);
  EXPECT_EQ(field, "raterId");
  EXPECT_EQ(error_of(*cal, rate(id, ivy_id, 6), &field), v1::ERROR_CODE_INVALID_ARGUMENT);
  EXPECT_EQ(field, "usefulness");
  EXPECT_EQ(error_of(*cal, list_my_mocks(201), &field), v1::ERROR_CODE_INVALID_ARGUMENT);
  EXPECT_EQ(field, "limit");

  // A stranger's key lists nothing and reads nothing.
  auto eve = keyed(server, "Eve", "key-eve-0123456789abcdef");
  EXPECT_EQ(mocks_of(*eve).mocks_size(), 0);
  EXPECT_EQ(error_of(*eve, get_my_debrief(id), &field), v1::ERROR_CODE_PERMISSION_DENIED);
  EXPECT_EQ(field, "debriefId");
  EXPECT_EQ(error_of(*eve, rate(id, ivy_id, 5)), v1::ERROR_CODE_PERMISSION_DENIED);
  EXPECT_EQ(error_of(*eve, get_my_debrief("no-such-debrief"), &field), v1::ERROR_CODE_NOT_FOUND);
  // Without a key there is nothing to list by.
  auto anon = server.connect(encoding::binary, true, "Anon");
  EXPECT_EQ(error_of(*anon, list_my_mocks(), &field), v1::ERROR_CODE_FAILED_PRECONDITION);
  EXPECT_EQ(field, "userKey");
}

TEST(MyMocks, AnObserversCardIsComparedWithTheCoachs) {
  test_server server([](server_config& c) {
    tweak(c);
    c.max_room_participants = 5;
  });
  auto coach = keyed(server, "Coach", "key-coach-0123456789abcdef");
  auto created = coach->request(create_room("failed-canary-release", v1::ROLE_COACH));
  ASSERT_TRUE(created && created->has_room_created());
  auto brief = coach->wait_for([](const auto& m) { return m.has_staff_briefing(); });
  ASSERT_TRUE(brief);
  const auto scenario = brief->staff_briefing().scenario();
  auto cand = keyed(server, "Cand", "key-cand-0123456789abcdef");
  ASSERT_TRUE(cand->request(join(code_for(created->room_created(), v1::ROLE_CANDIDATE)))->has_joined());
  auto obs = keyed(server, "Obs", "key-obs-0123456789abcdef");
  ASSERT_TRUE(obs->request(join(code_for(created->room_created(), v1::ROLE_OBSERVER)))->has_joined());
  ASSERT_TRUE(coach->request(control(v1::RoomControl::ACTION_START))->has_ack());
  for (int i = 0; i <= scenario.phases_size(); ++i)
    ASSERT_TRUE(accepted(coach->request(control(v1::RoomControl::ACTION_SKIP)).value()));
  auto coached = coach->request(scorecard(scenario, 2, "coach", true));  // sealed: the observer has not submitted
  ASSERT_TRUE(coached && coached->has_staff_room_change()) << coached->DebugString();
  auto observed = obs->request(scorecard(scenario, 3, "observer", true));
  ASSERT_TRUE(observed && observed->has_ack()) << observed->DebugString();
  ASSERT_TRUE(cand->wait_for([](const auto& m) { return m.has_candidate_debrief(); }));

  const auto mine = mocks_of(*obs);
  ASSERT_EQ(mine.mocks_size(), 1);
  EXPECT_EQ(mine.mocks(0).role(), v1::ROLE_OBSERVER);
  const auto& c = mine.calibration();
  EXPECT_EQ(c.sessions(), 1u);
  EXPECT_EQ(c.pairs(), static_cast<uint32_t>(scenario.rubric_size()));
  EXPECT_DOUBLE_EQ(c.bias(), 1.0) << "one step more lenient than the coach on every dimension";
  EXPECT_DOUBLE_EQ(c.exact(), 0.0);
  EXPECT_DOUBLE_EQ(c.within_one(), 1.0);
  ASSERT_EQ(c.history_size(), 1);
  EXPECT_EQ(c.dimensions_size(), scenario.rubric_size());
  EXPECT_EQ(c.dimensions(0).name(), scenario.rubric(0).name());
  // The coach is the reference, not calibrated against themselves.
  EXPECT_EQ(mocks_of(*coach).calibration().sessions(), 0u);
}

TEST(MyMocks, TheListOutlivesARestart) {
  const auto dir = fs::temp_directory_path() / ("mockloop-progress-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  auto with_dir = [&](server_config& c) {
    tweak(c);
    c.data_dir = dir.string();
  };
  std::string id;
  {
    test_server server(with_dir);
    id = play_round(server);
    ASSERT_FALSE(id.empty());
  }
  {
    test_server server(with_dir);
    auto cal = keyed(server, "Cal", cal_key);
    const auto listed = mocks_of(*cal);
    ASSERT_EQ(listed.mocks_size(), 1);
    EXPECT_EQ(listed.mocks(0).debrief_id(), id);
    EXPECT_EQ(listed.mocks(0).role(), v1::ROLE_CANDIDATE);
  }
  fs::remove_all(dir);
}

}  // namespace
}  // namespace mockloop::testing
