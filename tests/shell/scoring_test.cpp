// Scorecards over the wire: drafts, sealed submissions, the reveal, the
// candidate's debrief, the debrief endpoints and their authorization, and
// durability across a SIGKILL.
#include <filesystem>

#include <map>

#include <gtest/gtest.h>

#include "requests.h"
#include "server_process.h"
#include "shell/store.h"
#include "test_server.h"

namespace mockloop::testing {
namespace {

namespace fs = std::filesystem;

// Interviewer, candidate and observer in a room, played through to scoring.
struct played_room {
  std::unique_ptr<client> iv, ob;
  std::unique_ptr<client> ca;
  std::string ob_bytes;  // everything the observer's connection received
  v1::RoomCreated codes;
  v1::Scenario scenario;
};

void play_to_scoring(test_server& server, played_room& r, v1::Level level = v1::LEVEL_UNSPECIFIED) {
  r.iv = server.connect(encoding::json, true, "Ivy");
  auto create = create_room("failed-canary-release");
  create.mutable_create_room()->set_target_level(level);
  auto created = r.iv->request(create);
  ASSERT_TRUE(created && created->has_room_created());
  r.codes = created->room_created();
  auto brief = r.iv->wait_for([](const auto& m) { return m.has_staff_briefing(); });
  ASSERT_TRUE(brief);
  r.scenario = brief->staff_briefing().scenario();

  r.ca = server.connect(encoding::json, true, "Cal");
  ASSERT_TRUE(r.ca->request(join(code_for(r.codes, v1::ROLE_CANDIDATE)))->has_joined());
  auto opts = server.options(encoding::binary);
  opts.frame_observer = [&r](std::string_view f) { r.ob_bytes.append(f); };
  r.ob = std::make_unique<client>(opts);
  ASSERT_TRUE(r.ob->connect());
  ASSERT_TRUE(r.ob->hello("Obi"));
  ASSERT_TRUE(r.ob->request(join(code_for(r.codes, v1::ROLE_OBSERVER)))->has_joined());

  ASSERT_TRUE(r.iv->request(control(v1::RoomControl::ACTION_START))->has_ack());
  for (int i = 0; i <= r.scenario.phases_size(); ++i)
    ASSERT_TRUE(accepted(r.iv->request(control(v1::RoomControl::ACTION_SKIP)).value()));
}

class Scoring : public ::testing::Test {
 protected:
  static void tweak(server_config& c) {
    c.scenarios_dir = std::string(MOCKLOOP_SOURCE_DIR) + "/scenarios";
    c.messages_per_second = 1000;
  }
  test_server server_{tweak};
};

TEST_F(Scoring, SealedUntilEveryoneSubmitsThenRevealedWithADebrief) {
  played_room r;
  play_to_scoring(server_, r);
  if (HasFatalFailure()) return;

  // The interviewer drafts, then submits; the observer sees neither.
  ASSERT_TRUE(r.iv->request(scorecard(r.scenario, 2, "IVY-DRAFT-TEXT", false))->has_staff_room_change());
  auto submitted = r.iv->request(scorecard(r.scenario, 2, "IVY-SUBMITTED-TEXT", true));
  // Private changes travel as changes, not whole views; the author's own
  // answers the request.
  ASSERT_TRUE(submitted && submitted->has_staff_room_change()) << submitted->DebugString();
  auto& mine = submitted;
  ASSERT_TRUE(mine->staff_room_change().my_scorecard().submitted());
  EXPECT_EQ(mine->staff_room_change().my_scorecard().scores(0).evidence(), "IVY-SUBMITTED-TEXT");
  auto told = r.ob->wait_for([](const auto& m) {
    return m.has_staff_room_change() && m.staff_room_change().submitted_by_size() == 1;
  });
  ASSERT_TRUE(told) << "the observer learns that the interviewer submitted";
  EXPECT_EQ(told->staff_room_change().submitted_by(0), mine->staff_room_change().my_scorecard().rater_id());
  EXPECT_FALSE(told->staff_room_change().has_my_scorecard()) << "and nothing of the card";
  EXPECT_EQ(told->staff_room_change().live_scorecards_size(), 0);
  EXPECT_EQ(r.ob_bytes.find("IVY-DRAFT-TEXT"), std::string::npos);
  EXPECT_EQ(r.ob_bytes.find("IVY-SUBMITTED-TEXT"), std::string::npos) << "no byte of a sealed card before the reveal";

  // The candidate cannot score, and gets nothing before the reveal.
  auto denied = r.ca->request(scorecard(r.scenario, 4, "self", false));
  ASSERT_TRUE(denied);
  EXPECT_EQ(denied->error().code(), v1::ERROR_CODE_PERMISSION_DENIED);
  while (r.ca->pending() > 0) {
    auto m = r.ca->receive();
    ASSERT_TRUE(m);
    EXPECT_FALSE(m->has_candidate_debrief()) << "no debrief before scoring closes";
  }

  // The last expected rater submits: everything is revealed at once.
  ASSERT_TRUE(r.ob->request(scorecard(r.scenario, 4, "OBI-SUBMITTED-TEXT", true))->has_ack());
  auto revealed = r.iv->wait_for([](const auto& m) {
    return m.has_staff_room_state() && m.staff_room_state().revealed_size() == 2;
  });
  ASSERT_TRUE(revealed) << revealed.error().message;
  const auto& agg = revealed->staff_room_state().aggregation();
  ASSERT_GT(agg.dimensions_size(), 0);
  EXPECT_EQ(agg.dimensions(0).spread(), 2u);
  EXPECT_GT(agg.widest_disagreement_size(), 0);
  EXPECT_EQ(revealed->staff_room_state().room().clock().stage(), v1::ROOM_STAGE_REVEALED);

  auto debrief = r.ca->wait_for([](const auto& m) { return m.has_candidate_debrief(); });
  ASSERT_TRUE(debrief) << debrief.error().message;
  EXPECT_EQ(debrief->candidate_debrief().scorecards_size(), 2);
  EXPECT_FALSE(debrief->candidate_debrief().timeline().empty());
  const auto id = debrief->candidate_debrief().debrief_id();
  ASSERT_FALSE(id.empty());

  // The record, by any of the room's codes; nobody else.
  const auto port = server_.port();
  const auto json = http_get(port, "/api/debriefs/" + id + "?token=" + code_for(r.codes, v1::ROLE_CANDIDATE));
  EXPECT_EQ(json.status, 200u) << json.body;
  EXPECT_EQ(json.content_type, "application/json");
  EXPECT_NE(json.body.find("OBI-SUBMITTED-TEXT"), std::string::npos);
  EXPECT_NE(json.body.find("\"scenarioId\":\"failed-canary-release\""), std::string::npos);
  // The candidate's copy leaves out the script material; staff get it all.
  const auto anchor = r.scenario.rubric(0).anchors(0).description().substr(0, 30);
  EXPECT_EQ(json.body.find(anchor), std::string::npos) << "rubric anchors stay out of the candidate's copy";
  const auto staff_json = http_get(port, "/api/debriefs/" + id + "?token=" + code_for(r.codes, v1::ROLE_INTERVIEWER));
  EXPECT_EQ(staff_json.status, 200u);
  EXPECT_NE(staff_json.body.find(anchor), std::string::npos);
  const auto md = http_get(port, "/api/debriefs/" + id + ".md?token=" + code_for(r.codes, v1::ROLE_OBSERVER));
  EXPECT_EQ(md.status, 200u);
  EXPECT_NE(md.body.find("# Debrief: "), std::string::npos);
  EXPECT_NE(md.body.find("IVY-SUBMITTED-TEXT"), std::string::npos);
  EXPECT_NE(md.body.find("widest disagreement"), std::string::npos);
  EXPECT_EQ(http_get(port, "/api/debriefs/" + id).status, 403u) << "no token";
  EXPECT_EQ(http_get(port, "/api/debriefs/" + id + "?token=00000000000000000000000000000000").status, 403u);
  EXPECT_EQ(http_get(port, "/api/debriefs/nonexistent?token=" + code_for(r.codes, v1::ROLE_CANDIDATE)).status, 403u);

  // Another room's code opens nothing here.
  auto other = server_.connect(encoding::json, true, "Other");
  auto other_room = other->request(create_room("failed-canary-release"));
  ASSERT_TRUE(other_room && other_room->has_room_created());
  EXPECT_EQ(
      http_get(port, "/api/debriefs/" + id + "?token=" + code_for(other_room->room_created(), v1::ROLE_CANDIDATE)).status,
      403u);
}

TEST_F(Scoring, TheInterviewerMayRevealWithoutWaiting) {
  played_room r;
  play_to_scoring(server_, r);
  if (HasFatalFailure()) return;
  ASSERT_TRUE(r.iv->request(scorecard(r.scenario, 3, "only one", true))->has_staff_room_change());
  auto reveal = r.iv->request(control(v1::RoomControl::ACTION_REVEAL));
  ASSERT_TRUE(reveal && reveal->has_ack());
  auto debrief = r.ca->wait_for([](const auto& m) { return m.has_candidate_debrief(); });
  ASSERT_TRUE(debrief);
  EXPECT_EQ(debrief->candidate_debrief().scorecards_size(), 1);
  auto late = r.ob->request(scorecard(r.scenario, 3, "late", true));
  EXPECT_EQ(late->error().code(), v1::ERROR_CODE_FAILED_PRECONDITION);
}

// The same rater submitting twice at once (two devices, a double click):
// the first is the card, the second is refused, whether it arrives while the
// first is still being written or after it landed; the revealed card and
// the stored record are the first one.
TEST_F(Scoring, ASecondSubmissionInFlightIsRefusedAndTheFirstStands) {
  played_room r;
  play_to_scoring(server_, r);
  if (HasFatalFailure()) return;
  const auto first = r.iv->send(scorecard(r.scenario, 4, "FIRST-CARD", true));
  const auto second = r.iv->send(scorecard(r.scenario, 1, "SECOND-CARD", true));
  ASSERT_TRUE(first && second);
  std::map<uint32_t, v1::ServerMessage> replies;
  while (replies.size() < 2) {
    auto m = r.iv->receive();
    ASSERT_TRUE(m) << m.error().message;
    if (m->request_id() == first.value() || m->request_id() == second.value()) replies[m->request_id()] = m.value();
  }
  EXPECT_TRUE(replies[first.value()].has_staff_room_change()) << replies[first.value()].DebugString();
  EXPECT_EQ(replies[first.value()].staff_room_change().my_scorecard().scores(0).evidence(), "FIRST-CARD");
  ASSERT_TRUE(replies[second.value()].has_error()) << replies[second.value()].DebugString();
  EXPECT_EQ(replies[second.value()].error().code(), v1::ERROR_CODE_FAILED_PRECONDITION);

  ASSERT_TRUE(r.iv->request(control(v1::RoomControl::ACTION_REVEAL))->has_ack());
  auto staff = r.iv->wait_for(
      [](const auto& m) { return m.has_staff_room_state() && !m.staff_room_state().debrief_id().empty(); });
  ASSERT_TRUE(staff);
  ASSERT_EQ(staff->staff_room_state().revealed_size(), 1);
  EXPECT_EQ(staff->staff_room_state().revealed(0).scores(0).evidence(), "FIRST-CARD");
  const auto record = http_get(server_.port(), "/api/debriefs/" + staff->staff_room_state().debrief_id() +
                                                   "?token=" + code_for(r.codes, v1::ROLE_INTERVIEWER));
  ASSERT_EQ(record.status, 200u) << record.body;
  EXPECT_NE(record.body.find("FIRST-CARD"), std::string::npos);
  EXPECT_EQ(record.body.find("SECOND-CARD"), std::string::npos);
}

// Durability: a submission acknowledged is on disk, even if the server is
// killed the instant after.
TEST(ScoringDurability, AnAcknowledgedScorecardSurvivesSigkill) {
  const auto data = fs::path(::testing::TempDir()) / ("mockloop-durability-" + std::to_string(::getpid()));
  fs::remove_all(data);
  server_process proc({"--port", "0", "--data-dir", data.string(), "--scenarios",
                       std::string(MOCKLOOP_SOURCE_DIR) + "/scenarios"});
  const auto port = proc.wait_for_port();
  ASSERT_NE(port, 0) << proc.log();

  client_options o;
  o.port = port;
  o.wire = encoding::binary;
  client iv(o), ca(o);
  ASSERT_TRUE(iv.connect() && ca.connect());
  ASSERT_TRUE(iv.hello("Ivy") && ca.hello("Cal"));
  auto created = iv.request(create_room("failed-canary-release"));
  ASSERT_TRUE(created && created->has_room_created());
  auto brief = iv.wait_for([](const auto& m) { return m.has_staff_briefing(); });
  ASSERT_TRUE(brief);
  const auto scenario = brief->staff_briefing().scenario();
  ASSERT_TRUE(ca.request(join(code_for(created->room_created(), v1::ROLE_CANDIDATE)))->has_joined());
  ASSERT_TRUE(iv.request(control(v1::RoomControl::ACTION_START))->has_ack());
  for (int i = 0; i <= scenario.phases_size(); ++i)
    ASSERT_TRUE(accepted(iv.request(control(v1::RoomControl::ACTION_SKIP)).value()));

  auto acked = iv.request(scorecard(scenario, 3, "DURABLE-EVIDENCE", true));
  ASSERT_TRUE(acked && acked->has_ack());
  proc.signal(SIGKILL);
  EXPECT_EQ(proc.wait_exit(10s), 128 + SIGKILL);

  std::string err;
  auto db = store::open(data.string(), &err);
  ASSERT_TRUE(db) << err;
  const auto cards = db->scorecards(created->room_created().room_id(), 1);
  ASSERT_EQ(cards.size(), 1u);
  EXPECT_TRUE(cards[0].submitted());
  EXPECT_EQ(cards[0].scores(0).evidence(), "DURABLE-EVIDENCE");
}

}  // namespace
}  // namespace mockloop::testing

namespace mockloop::testing {
namespace {

v1::ClientMessage cast(v1::Recommendation r, const std::string& why) {
  v1::ClientMessage m;
  m.mutable_cast_vote()->set_vote(r);
  m.mutable_cast_vote()->set_rationale(why);
  return m;
}

v1::ClientMessage committee_action(v1::CommitteeAction::Action a, v1::Recommendation d = {}, const std::string& why = "") {
  v1::ClientMessage m;
  m.mutable_committee_action()->set_action(a);
  m.mutable_committee_action()->set_decision(d);
  m.mutable_committee_action()->set_reasons(why);
  return m;
}

// A panel over the wire: the chair opens a committee on a round's debrief,
// members read the packet, vote sealed, see the reveal, one changes a vote,
// the chair decides, and the session's record is readable with its codes.
TEST_F(Scoring, CommitteeVotesOnAPacketOfDebriefs) {
  played_room r;
  play_to_scoring(server_, r);
  if (HasFatalFailure()) return;
  ASSERT_TRUE(r.iv->request(scorecard(r.scenario, 3, "round evidence", true))->has_staff_room_change());
  ASSERT_TRUE(r.ob->request(scorecard(r.scenario, 2, "round evidence too", true))->has_ack());
  auto debrief = r.ca->wait_for([](const auto& m) { return m.has_candidate_debrief(); });
  ASSERT_TRUE(debrief);
  const auto debrief_id = debrief->candidate_debrief().debrief_id();

  auto chair = server_.connect(encoding::json, true, "Chair");
  v1::ClientMessage bad;
  auto* item = bad.mutable_create_committee()->add_packet();
  item->set_debrief_id(debrief_id);
  item->set_code("00000000000000000000000000000000");
  EXPECT_EQ(chair->request(bad)->error().code(), v1::ERROR_CODE_PERMISSION_DENIED) << "the chair must hold a code";

  v1::ClientMessage create;
  item = create.mutable_create_committee()->add_packet();
  item->set_debrief_id(debrief_id);
  item->set_code(code_for(r.codes, v1::ROLE_INTERVIEWER));
  auto created = chair->request(create);
  ASSERT_TRUE(created && created->has_committee_created()) << created->DebugString();
  const auto cc = created->committee_created();
  auto packet = chair->wait_for([](const auto& m) { return m.has_committee_packet(); });
  ASSERT_TRUE(packet);
  ASSERT_EQ(packet->committee_packet().records_size(), 1);
  EXPECT_EQ(packet->committee_packet().records(0).scorecards_size(), 2) << "members read the scorecards";

  std::vector<std::unique_ptr<client>> members;
  std::string bytes_of_last;
  for (const char* name : {"Ann", "Ben", "Cat"}) {
    auto opts = server_.options(encoding::binary);
    if (std::string(name) == "Cat") opts.frame_observer = [&](std::string_view f) { bytes_of_last.append(f); };
    members.push_back(std::make_unique<client>(opts));
    ASSERT_TRUE(members.back()->connect());
    ASSERT_TRUE(members.back()->hello(name));
    v1::ClientMessage j;
    j.mutable_join_committee()->set_code(cc.member_code());
    ASSERT_TRUE(members.back()->request(j)->has_ack());
  }
  ASSERT_TRUE(members[0]->request(cast(v1::RECOMMENDATION_YES, "ANN-SEALED-RATIONALE"))->has_ack());
  ASSERT_TRUE(members[1]->request(cast(v1::RECOMMENDATION_NO, "ben thinks no"))->has_ack());
  auto voted = members[2]->wait_for([](const auto& m) {
    return m.has_committee_state() && m.committee_state().voted_size() == 2;
  });
  ASSERT_TRUE(voted);
  EXPECT_EQ(bytes_of_last.find("ANN-SEALED-RATIONALE"), std::string::npos) << "sealed before the reveal";
  EXPECT_EQ(members[0]->request(committee_action(v1::CommitteeAction::ACTION_REVEAL))->error().code(),
            v1::ERROR_CODE_PERMISSION_DENIED);
  ASSERT_TRUE(members[2]->request(cast(v1::RECOMMENDATION_NO, "cat: no"))->has_ack());
  ASSERT_TRUE(chair->request(committee_action(v1::CommitteeAction::ACTION_REVEAL))->has_ack());
  auto revealed = members[2]->wait_for([](const auto& m) {
    return m.has_committee_state() && m.committee_state().votes_size() == 3;
  });
  ASSERT_TRUE(revealed);

  ASSERT_TRUE(members[1]->request(cast(v1::RECOMMENDATION_YES, "persuaded by the escalation story"))->has_ack());
  ASSERT_TRUE(chair->request(committee_action(v1::CommitteeAction::ACTION_DECIDE, v1::RECOMMENDATION_YES,
                                              "two of three after discussion"))
                  ->has_ack());
  auto decided = members[0]->wait_for([](const auto& m) {
    return m.has_committee_state() && m.committee_state().stage() == v1::COMMITTEE_STAGE_DECIDED;
  });
  ASSERT_TRUE(decided);
  const auto record_id = decided->committee_state().record_id();
  const auto md = http_get(server_.port(), "/api/debriefs/" + record_id + ".md?token=" + cc.member_code());
  EXPECT_EQ(md.status, 200u) << md.body;
  EXPECT_NE(md.body.find("No -> Yes: persuaded by the escalation story"), std::string::npos) << md.body;
  EXPECT_NE(md.body.find("Decision: Yes"), std::string::npos);
  EXPECT_EQ(http_get(server_.port(), "/api/debriefs/" + record_id + "?token=" + code_for(r.codes, v1::ROLE_CANDIDATE)).status,
            403u) << "a round's code does not open the committee's record";
}

// The target level chosen at creation reads every card and the panel's
// scores against the L6 lines, in the candidate's debrief, the JSON record
// and its Markdown.
TEST_F(Scoring, TargetLevelReadsTheScoresAgainstItsLines) {
  auto stranger = server_.connect(encoding::binary, true, "Sam");
  auto bad = create_room("failed-canary-release");
  bad.mutable_create_room()->set_target_level(static_cast<v1::Level>(9));
  auto refused = stranger->request(bad);
  ASSERT_TRUE(refused && refused->has_error());
  EXPECT_EQ(refused->error().code(), v1::ERROR_CODE_INVALID_ARGUMENT);
  EXPECT_EQ(refused->error().field(), "targetLevel");

  played_room r;
  play_to_scoring(server_, r, v1::LEVEL_L6);
  if (HasFatalFailure()) return;
  auto state = r.ca->wait_for([](const auto& m) { return m.has_room_state(); });
  ASSERT_TRUE(state);
  EXPECT_EQ(state->room_state().target_level(), v1::LEVEL_L6) << "the candidate sees the level they practise for";

  // Every dimension at 4 meets any line; every dimension at 1 is far below.
  ASSERT_TRUE(r.iv->request(scorecard(r.scenario, 4, "strong", true))->has_staff_room_change());
  ASSERT_TRUE(r.ob->request(scorecard(r.scenario, 1, "weak", true))->has_ack());
  auto debrief = r.ca->wait_for([](const auto& m) { return m.has_candidate_debrief(); });
  ASSERT_TRUE(debrief);
  const auto& d = debrief->candidate_debrief();
  std::map<std::string, v1::Recommendation> by_rater;
  for (const auto& c : d.scorecards()) {
    EXPECT_EQ(c.at_level().level(), v1::LEVEL_L6);
    by_rater[c.rater_name()] = c.at_level().recommendation();
  }
  EXPECT_EQ(by_rater["Ivy"], v1::RECOMMENDATION_STRONG_YES);
  EXPECT_EQ(by_rater["Obi"], v1::RECOMMENDATION_STRONG_NO);
  ASSERT_TRUE(d.aggregation().has_at_level());
  EXPECT_EQ(d.aggregation().at_level().dimensions_size(), r.scenario.rubric_size());

  const auto code = code_for(r.codes, v1::ROLE_INTERVIEWER);
  const auto json = http_get(server_.port(), "/api/debriefs/" + d.debrief_id() + "?token=" + code);
  ASSERT_EQ(json.status, 200u);
  EXPECT_NE(json.body.find("\"targetLevel\":\"LEVEL_L6\""), std::string::npos);
  const auto md = http_get(server_.port(), "/api/debriefs/" + d.debrief_id() + ".md?token=" + code);
  ASSERT_EQ(md.status, 200u);
  EXPECT_NE(md.body.find("- Target level: L6"), std::string::npos) << md.body;
  EXPECT_NE(md.body.find("At L6 the level rule reads Strong Yes"), std::string::npos) << md.body;
  EXPECT_NE(md.body.find("At L6 the level rule reads Strong No"), std::string::npos) << md.body;
}

// Loops and example packets are listed over HTTP; a packet's outcome is
// not (it is shown only to a panel that has decided).
TEST_F(Scoring, LoopsAndExamplePacketsAreListed) {
  const auto loops = http_get(server_.port(), "/api/loops");
  ASSERT_EQ(loops.status, 200u);
  EXPECT_NE(loops.body.find("\"id\":\"fast-decision-loop\""), std::string::npos) << loops.body;
  EXPECT_NE(loops.body.find("\"scenarioId\":\"recruiter-screen-hyperscale\""), std::string::npos);
  const auto packets = http_get(server_.port(), "/api/calibration");
  ASSERT_EQ(packets.status, 200u);
  EXPECT_NE(packets.body.find("\"id\":\"split-decision-l6\""), std::string::npos) << packets.body;
  for (const char* hidden : {"exampleDecision", "commentary", "scorecards", "rubric"})
    EXPECT_EQ(packets.body.find(hidden), std::string::npos) << hidden;
}

// Practice on the library's example packet: no codes; the records arrive
// as a real packet; the example panel's decision comes only after this
// panel's own.
TEST_F(Scoring, CommitteePractisesOnTheExamplePacket) {
  auto chair = server_.connect(encoding::json, true, "Chair");
  v1::ClientMessage unknown;
  unknown.mutable_create_committee()->set_example_packet("no-such-packet");
  auto refused = chair->request(unknown);
  ASSERT_TRUE(refused && refused->has_error());
  EXPECT_EQ(refused->error().code(), v1::ERROR_CODE_NOT_FOUND);
  EXPECT_EQ(refused->error().field(), "examplePacket");
  v1::ClientMessage both;
  both.mutable_create_committee()->set_example_packet("split-decision-l6");
  both.mutable_create_committee()->add_packet()->set_debrief_id("x");
  both.mutable_create_committee()->mutable_packet(0)->set_code("y");
  refused = chair->request(both);
  ASSERT_TRUE(refused && refused->has_error());
  EXPECT_EQ(refused->error().code(), v1::ERROR_CODE_INVALID_ARGUMENT);

  v1::ClientMessage create;
  create.mutable_create_committee()->set_example_packet("split-decision-l6");
  auto created = chair->request(create);
  ASSERT_TRUE(created && created->has_committee_created()) << created->DebugString();
  auto packet = chair->wait_for([](const auto& m) { return m.has_committee_packet(); });
  ASSERT_TRUE(packet);
  ASSERT_EQ(packet->committee_packet().records_size(), 3);
  for (const auto& rec : packet->committee_packet().records()) {
    EXPECT_EQ(rec.target_level(), v1::LEVEL_L6);
    EXPECT_FALSE(rec.rubric().empty());
    EXPECT_TRUE(rec.aggregation().has_at_level());
  }

  std::vector<std::unique_ptr<client>> members;
  std::string seen_before_decision;
  for (const char* name : {"Ann", "Ben", "Cat"}) {
    auto opts = server_.options(encoding::json);
    if (std::string(name) == "Ann")
      opts.frame_observer = [&](std::string_view f) { seen_before_decision.append(f); };
    members.push_back(std::make_unique<client>(opts));
    ASSERT_TRUE(members.back()->connect());
    ASSERT_TRUE(members.back()->hello(name));
    v1::ClientMessage j;
    j.mutable_join_committee()->set_code(created->committee_created().member_code());
    ASSERT_TRUE(members.back()->request(j)->has_ack());
  }
  ASSERT_TRUE(members[0]->request(cast(v1::RECOMMENDATION_YES, "the deep dive carries it"))->has_ack());
  ASSERT_TRUE(members[1]->request(cast(v1::RECOMMENDATION_NO, "the behavioral round is L5"))->has_ack());
  ASSERT_TRUE(members[2]->request(cast(v1::RECOMMENDATION_NO, "scoping came late"))->has_ack());
  ASSERT_TRUE(chair->request(committee_action(v1::CommitteeAction::ACTION_REVEAL))->has_ack());
  auto revealed = members[0]->wait_for([](const auto& m) {
    return m.has_committee_state() && m.committee_state().votes_size() == 3;
  });
  ASSERT_TRUE(revealed);
  EXPECT_EQ(revealed->committee_state().example_id(), "split-decision-l6");
  EXPECT_FALSE(revealed->committee_state().has_example_decision()) << "not before this panel decides";
  EXPECT_EQ(seen_before_decision.find("exampleDecision"), std::string::npos);
  EXPECT_EQ(seen_before_decision.find("exampleCommentary"), std::string::npos);

  ASSERT_TRUE(chair->request(committee_action(v1::CommitteeAction::ACTION_DECIDE, v1::RECOMMENDATION_NO,
                                              "strong at L5, not yet L6"))
                  ->has_ack());
  auto decided = members[0]->wait_for([](const auto& m) {
    return m.has_committee_state() && m.committee_state().stage() == v1::COMMITTEE_STAGE_DECIDED;
  });
  ASSERT_TRUE(decided);
  const auto& s = decided->committee_state();
  ASSERT_TRUE(s.has_example_decision());
  EXPECT_NE(s.example_decision().decision(), v1::RECOMMENDATION_UNSPECIFIED);
  EXPECT_GE(s.example_decision().votes_size(), 2);
  EXPECT_FALSE(s.example_commentary().empty());
}

}  // namespace
}  // namespace mockloop::testing
