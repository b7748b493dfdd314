// Rooms over the wire: create, join by code, play a whole interview with
// live timers and follow-ups, and check byte for byte that nothing staff-only
// ever reaches the candidate's connection.
#include <filesystem>
#include <fstream>

#include <google/protobuf/text_format.h>
#include <gtest/gtest.h>

#include "mockloop/core/scenario_loader.h"
#include "requests.h"
#include "test_server.h"

namespace mockloop::testing {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

// Waits for a room state (either view) satisfying pred.
template <class Pred>
result<v1::ServerMessage> wait_state(client& c, Pred pred, std::chrono::milliseconds limit = 5s) {
  return c.wait_for(
      [&](const v1::ServerMessage& m) {
        if (m.has_room_state()) return pred(m.room_state());
        if (m.has_staff_room_state()) return pred(m.staff_room_state().room());
        return false;
      },
      limit);
}

std::shared_ptr<const v1::Scenario> library_scenario(const std::string& id) {
  std::ifstream in(std::string(MOCKLOOP_SOURCE_DIR) + "/scenarios/" + id + ".textproto");
  std::stringstream ss;
  ss << in.rdbuf();
  auto parsed = parse_scenario(ss.str(), id + ".textproto");
  EXPECT_TRUE(parsed.diagnostics.empty());
  return parsed.scenario;
}

class Rooms : public ::testing::TestWithParam<encoding> {
 protected:
  static void tweak(server_config& c) {
    c.scenarios_dir = std::string(MOCKLOOP_SOURCE_DIR) + "/scenarios";
    c.messages_per_second = 1000;
    c.reconnect_grace_seconds = 1;
  }
  test_server server_{tweak};
};

TEST_P(Rooms, CreateJoinAndRoleChecks) {
  auto iv = server_.connect(encoding::json, true, "Ivy");
  auto ca = server_.connect(GetParam(), true, "Cal");
  ASSERT_TRUE(iv && ca);

  auto missing = iv->request(create_room("no-such-scenario"));
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->error().code(), v1::ERROR_CODE_NOT_FOUND);

  auto created = iv->request(create_room("pm-feature-mid-sprint"));
  ASSERT_TRUE(created) << created.error().message;
  ASSERT_TRUE(created->has_room_created()) << created->DebugString();
  const auto rc = created->room_created();
  ASSERT_EQ(rc.codes_size(), 4);
  EXPECT_EQ(code_for(rc, v1::ROLE_CANDIDATE).size(), 32u) << "128-bit codes";
  auto staff_brief = iv->wait_for([](const auto& m) { return m.has_staff_briefing(); });
  ASSERT_TRUE(staff_brief);
  EXPECT_GT(staff_brief->staff_briefing().scenario().rubric_size(), 0);

  auto bad = ca->request(join("0123456789abcdef0123456789abcdef"));
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->error().code(), v1::ERROR_CODE_NOT_FOUND);

  auto joined = ca->request(join(code_for(rc, v1::ROLE_CANDIDATE)));
  ASSERT_TRUE(joined);
  ASSERT_TRUE(joined->has_joined()) << joined->DebugString();
  EXPECT_EQ(joined->joined().role(), v1::ROLE_CANDIDATE);
  auto brief = ca->wait_for([](const auto& m) { return m.has_candidate_briefing() || m.has_staff_briefing(); });
  ASSERT_TRUE(brief);
  EXPECT_TRUE(brief->has_candidate_briefing());
  EXPECT_FALSE(brief->candidate_briefing().brief().prompt().empty());

  // Everyone sees both participants.
  EXPECT_TRUE(wait_state(*iv, [](const v1::RoomState& s) { return s.participants_size() == 2; }));
  EXPECT_TRUE(wait_state(*ca, [](const v1::RoomState& s) { return s.participants_size() == 2; }));

  // The seat is taken for anyone else holding the same code.
  auto other = server_.connect(GetParam(), true, "Other");
  auto taken = other->request(join(code_for(rc, v1::ROLE_CANDIDATE)));
  ASSERT_TRUE(taken);
  EXPECT_EQ(taken->error().code(), v1::ERROR_CODE_FAILED_PRECONDITION);

  // The candidate may not run the clock or ask; nothing changes.
  for (auto m : {control(v1::RoomControl::ACTION_START), ask_free("peek?"), tick_marker("proposes_meeting")}) {
    auto denied = ca->request(m);
    ASSERT_TRUE(denied);
    EXPECT_EQ(denied->error().code(), v1::ERROR_CODE_PERMISSION_DENIED) << m.DebugString();
  }
  auto started = iv->request(control(v1::RoomControl::ACTION_START));
  ASSERT_TRUE(started);
  EXPECT_TRUE(started->has_ack()) << started->DebugString();
}

TEST_P(Rooms, RoomsAreDisposedWhenEveryoneHasLeft) {
  auto iv = server_.connect(encoding::binary, true, "Ivy");
  auto ca = server_.connect(GetParam(), true, "Cal");
  auto created = iv->request(create_room("failed-canary-release"));
  ASSERT_TRUE(created && created->has_room_created());
  ASSERT_TRUE(ca->request(join(code_for(created->room_created(), v1::ROLE_CANDIDATE)))->has_joined());
  EXPECT_NE(http_get(server_.port(), "/metrics").body.find("\nmockloop_rooms 1\n"), std::string::npos);

  auto left = ca->request(v1::ClientMessage{[] {
    v1::ClientMessage m;
    m.mutable_leave_room();
    return m;
  }()});
  ASSERT_TRUE(left && left->has_left());
  EXPECT_TRUE(wait_state(*iv, [](const v1::RoomState& s) { return s.participants_size() == 1; }));
  iv->close();  // a dropped connection's seat is held for the grace window (1 s here), then released
  EXPECT_TRUE(eventually([&] {
    return http_get(server_.port(), "/metrics").body.find("\nmockloop_rooms 0\n") != std::string::npos;
  }));
}

// The leak test: a whole interview on a library scenario, with every kind
// of follow-up, markers, notes and timer controls; then no rubric anchor,
// signal, briefing, marker, note or unasked follow-up text may appear in
// any byte the candidate's connection received.
TEST_P(Rooms, NothingStaffOnlyReachesTheCandidate) {
  const auto scenario = library_scenario("pm-feature-mid-sprint");
  ASSERT_TRUE(scenario);

  std::string candidate_bytes;
  auto opts = server_.options(GetParam());
  opts.frame_observer = [&](std::string_view frame) { candidate_bytes.append(frame); };
  client ca(opts);
  ASSERT_TRUE(ca.connect());
  ASSERT_TRUE(ca.hello("Cal"));
  auto iv = server_.connect(encoding::json, true, "Ivy");
  auto ob = server_.connect(encoding::binary, true, "Obi");

  auto created = iv->request(create_room(scenario->id()));
  ASSERT_TRUE(created && created->has_room_created());
  const auto rc = created->room_created();
  ASSERT_TRUE(ca.request(join(code_for(rc, v1::ROLE_CANDIDATE)))->has_joined());
  ASSERT_TRUE(ob->request(join(code_for(rc, v1::ROLE_OBSERVER)))->has_joined());

  // Pick one follow-up to ask by hand and one chained on a marker; the rest
  // stay unasked and must stay unseen.
  std::string manual_id, chained_marker, chained_id;
  for (const auto& f : scenario->follow_ups()) {
    if (f.trigger_case() == v1::FollowUp::TRIGGER_NOT_SET && manual_id.empty()) manual_id = f.id();
    if (f.has_on_move() && f.on_move().after_follow_up().empty() && chained_id.empty()) {
      chained_id = f.id();
      chained_marker = f.on_move().marker_id();
    }
  }
  ASSERT_FALSE(manual_id.empty());
  ASSERT_FALSE(chained_id.empty());

  ASSERT_TRUE(iv->request(control(v1::RoomControl::ACTION_START))->has_ack());
  ASSERT_TRUE(iv->request(note("NOTE-FROM-INTERVIEWER: candidate hesitated"))->has_staff_room_change());
  ASSERT_TRUE(ob->request(note("NOTE-FROM-OBSERVER: good scoping"))->has_staff_room_change());
  ASSERT_TRUE(accepted(iv->request(control(v1::RoomControl::ACTION_SKIP)).value()));  // end of briefing
  ASSERT_TRUE(accepted(iv->request(control(v1::RoomControl::ACTION_PAUSE)).value()));
  ASSERT_TRUE(accepted(iv->request(control(v1::RoomControl::ACTION_EXTEND, 60)).value()));
  ASSERT_TRUE(accepted(iv->request(control(v1::RoomControl::ACTION_RESUME)).value()));
  ASSERT_TRUE(accepted(iv->request(ask(manual_id)).value()));
  ASSERT_TRUE(accepted(iv->request(ask_free("Free-text question for the candidate")).value()));
  // The tick is private: its author's change answers it; the follow-up it
  // fires goes to everyone as a RoomChange.
  auto ticked = iv->request(tick_marker(chained_marker));
  ASSERT_TRUE(ticked && ticked->has_staff_room_change()) << (ticked ? ticked->DebugString() : ticked.error().message);
  for (int i = 0; i < scenario->phases_size(); ++i)
    ASSERT_TRUE(accepted(iv->request(control(v1::RoomControl::ACTION_SKIP)).value())) << i;

  // The candidate saw the room reach scoring with the asked follow-ups.
  auto final_state = wait_state(ca, [](const v1::RoomState& s) {
    return s.clock().stage() == v1::ROOM_STAGE_SCORING;
  });
  ASSERT_TRUE(final_state) << final_state.error().message;
  std::set<std::string> asked;
  for (const auto& a : final_state->room_state().asked()) asked.insert(a.follow_up_id().empty() ? a.text() : a.follow_up_id());
  EXPECT_TRUE(asked.count(manual_id));
  EXPECT_TRUE(asked.count(chained_id));
  EXPECT_TRUE(asked.count("Free-text question for the candidate"));
  ASSERT_TRUE(iv->request(control(v1::RoomControl::ACTION_CLOSE))->has_ack());
  ASSERT_TRUE(wait_state(ca, [](const v1::RoomState& s) { return s.clock().stage() == v1::ROOM_STAGE_CLOSED; }));

  // In JSON, text crosses escaped; compare against the same message types
  // re-encoded in binary as well as the raw bytes.
  std::vector<std::string> secrets = {"NOTE-FROM-INTERVIEWER", "NOTE-FROM-OBSERVER", scenario->interviewer().briefing()};
  for (const auto& s : scenario->interviewer().strong_answer()) secrets.push_back(s);
  for (const auto& s : scenario->interviewer().red_flags()) secrets.push_back(s);
  for (const auto& ph : scenario->phases())
    if (!ph.interviewer_guidance().empty()) secrets.push_back(ph.interviewer_guidance());
  for (const auto& d : scenario->rubric()) {
    secrets.push_back(d.description());
    for (const auto& a : d.anchors()) secrets.push_back(a.description());
    for (const auto& s : d.positive_signals()) secrets.push_back(s);
    for (const auto& s : d.negative_signals()) secrets.push_back(s);
  }
  for (const auto& m : scenario->markers()) secrets.push_back(m.label());
  for (const auto& f : scenario->follow_ups()) {
    secrets.push_back(f.purpose());
    if (!asked.count(f.id())) secrets.push_back(f.text());
  }
  ASSERT_GT(candidate_bytes.size(), 1000u);
  size_t checked = 0;
  for (const auto& secret : secrets) {
    if (secret.size() < 12) continue;  // short words like "Scoping" occur in ordinary text
    ++checked;
    // A distinctive prefix catches a leak even if JSON escaped a later character.
    const auto probe = secret.substr(0, 40);
    EXPECT_EQ(candidate_bytes.find(probe), std::string::npos) << "leaked to the candidate: " << secret;
  }
  EXPECT_GT(checked, 40u) << "the test must actually look for the scenario's staff text";

  // Sanity: the interviewer's connection did receive the rubric, so the
  // search above would have found a leak.
  EXPECT_NE(scenario->rubric(0).anchors(0).description(), "");
}

TEST_P(Rooms, ScenarioListNeverCarriesRubricOrScript) {
  const auto r = http_get(server_.port(), "/api/scenarios");
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(r.content_type, "application/json");
  EXPECT_NE(r.body.find("\"id\":\"pm-feature-mid-sprint\""), std::string::npos) << r.body.substr(0, 400);
  EXPECT_NE(r.body.find("\"durationSeconds\":"), std::string::npos);
  EXPECT_NE(r.body.find("ROUND_TYPE_CROSS_FUNCTIONAL"), std::string::npos);
  const auto sc = library_scenario("pm-feature-mid-sprint");
  EXPECT_EQ(r.body.find(sc->rubric(0).anchors(0).description().substr(0, 30)), std::string::npos);
  EXPECT_EQ(r.body.find(sc->candidate().prompt().substr(0, 30)), std::string::npos);
  EXPECT_EQ(r.body.find(sc->follow_ups(0).text().substr(0, 15)), std::string::npos);
  size_t count = 0;
  for (size_t at = r.body.find("\"id\":"); at != std::string::npos; at = r.body.find("\"id\":", at + 1)) ++count;
  EXPECT_GE(count, 16u);
}

INSTANTIATE_TEST_SUITE_P(BothEncodings, Rooms, ::testing::Values(encoding::binary, encoding::json),
                         [](const auto& info) { return info.param == encoding::binary ? "binary" : "json"; });

// Group coaching: a coach, a candidate and observers; the coach moves the
// hot seat and starts the next round on another scenario.
TEST(GroupCoaching, CoachRotatesTheHotSeatAndRunsRounds) {
  test_server server([](server_config& c) {
    c.scenarios_dir = std::string(MOCKLOOP_SOURCE_DIR) + "/scenarios";
    c.max_room_participants = 5;
  });
  auto coach = server.connect(encoding::json, true, "Coach");
  auto created = coach->request(create_room("project-off-track", v1::ROLE_COACH));
  ASSERT_TRUE(created && created->has_room_created());
  const auto rc = created->room_created();
  auto cand = server.connect(encoding::json, true, "Cand");
  ASSERT_TRUE(cand->request(join(code_for(rc, v1::ROLE_CANDIDATE)))->has_joined());
  std::vector<std::unique_ptr<client>> observers;
  std::string first_observer_id;
  for (int i = 0; i < 3; ++i) {
    observers.push_back(server.connect(i % 2 ? encoding::binary : encoding::json, true, "Obs" + std::to_string(i)));
    auto j = observers.back()->request(join(code_for(rc, v1::ROLE_OBSERVER)));
    ASSERT_TRUE(j && j->has_joined());
    if (i == 0) first_observer_id = j->joined().participant_id();
  }
  auto full = server.connect(encoding::json, true, "One too many");
  EXPECT_EQ(full->request(join(code_for(rc, v1::ROLE_OBSERVER)))->error().code(), v1::ERROR_CODE_FAILED_PRECONDITION);

  v1::ClientMessage move;
  move.mutable_move_hot_seat()->set_participant_id(first_observer_id);
  EXPECT_EQ(cand->request(move)->error().code(), v1::ERROR_CODE_PERMISSION_DENIED);
  ASSERT_TRUE(coach->request(move)->has_ack());
  // The new candidate gets a candidate's briefing and views from now on.
  auto brief = observers[0]->wait_for([](const auto& m) { return m.has_candidate_briefing(); });
  ASSERT_TRUE(brief) << brief.error().message;
  auto state = observers[0]->wait_for([](const auto& m) { return m.has_room_state(); });
  ASSERT_TRUE(state);
  auto old_cand = cand->wait_for([](const auto& m) { return m.has_staff_briefing(); });
  ASSERT_TRUE(old_cand) << "the former candidate now observes, with the rubric";

  v1::ClientMessage next;
  next.mutable_next_round()->set_scenario_id("conflicting-vp-priorities");
  ASSERT_TRUE(coach->request(next)->has_ack());
  auto round2 = observers[1]->wait_for([](const auto& m) {
    return m.has_staff_room_state() && m.staff_room_state().room().round() == 2;
  });
  ASSERT_TRUE(round2);
  EXPECT_EQ(round2->staff_room_state().room().scenario_id(), "conflicting-vp-priorities");
  EXPECT_EQ(round2->staff_room_state().room().participants_size(), 5);
}

// Live timers: a scenario of one-second phases played on the real clock,
// with ticks carrying the deadline and scripted follow-ups firing on time.
TEST(RoomTimers, PhasesTicksAndScriptedFollowUpsRunOnTheServerClock) {
  const auto dir = fs::path(::testing::TempDir()) / "mockloop-fast-scenarios";
  fs::create_directories(dir);
  std::ofstream(dir / "fast.textproto") << R"pb(
    id: "fast" version: 1 title: "Fast"
    round_type: ROUND_TYPE_SYSTEM_DESIGN levels: LEVEL_L5 company_style: COMPANY_STYLE_HYPERSCALE
    candidate { prompt: "Design quickly." }
    phases { id: "one" name: "One" duration_seconds: 2 }
    phases { id: "two" name: "Two" duration_seconds: 2 }
    rubric { id: "scoping" name: "Scoping" layer: SCORING_LAYER_SCOPING
             anchors { level: 1 description: "one" } anchors { level: 2 description: "two" }
             anchors { level: 3 description: "three" } anchors { level: 4 description: "four" }
             pass_lines { level: LEVEL_L4 score: 2 } pass_lines { level: LEVEL_L5 score: 3 }
             pass_lines { level: LEVEL_L6 score: 3 } pass_lines { level: LEVEL_L7 score: 4 } }
    markers { id: "m" label: "Marker" }
    follow_ups { id: "in_two" text: "Phase two has begun: what now?" in_phase { phase_id: "two" after_seconds: 1 } }
    follow_ups { id: "at_one" text: "One second in: any metrics?" at_time { at_seconds: 1 unless_marker: "m" } }
  )pb";
  test_server server([&](server_config& c) {
    c.scenarios_dir = dir.string();
    c.briefing_seconds = 2;
  });
  auto iv = server.connect(encoding::binary, true, "Ivy");
  auto ca = server.connect(encoding::json, true, "Cal");
  auto created = iv->request(create_room("fast"));
  ASSERT_TRUE(created && created->has_room_created()) << (created ? created->DebugString() : created.error().message);
  ASSERT_TRUE(ca->request(join(code_for(created->room_created(), v1::ROLE_CANDIDATE)))->has_joined());
  ASSERT_TRUE(iv->request(control(v1::RoomControl::ACTION_START))->has_ack());

  // Ticks arrive with the phase deadline; the phases follow each other on
  // their own, and the scripted follow-ups fire on the server's clock.
  std::set<std::string> phases_ticked;
  int ticks = 0;
  std::set<std::string> asked;
  auto done = ca->wait_for(
      [&](const v1::ServerMessage& m) {
        if (m.has_tick()) {
          ++ticks;
          phases_ticked.insert(m.tick().clock().phase_id());
          EXPECT_GT(m.tick().clock().deadline_ms(), 0);
          EXPECT_GT(m.tick().clock().server_time_ms(), 0);
        }
        if (m.has_room_state()) {
          for (const auto& a : m.room_state().asked()) {
            asked.insert(a.follow_up_id());
            EXPECT_TRUE(a.by_script());
          }
          return m.room_state().clock().stage() == v1::ROOM_STAGE_SCORING;
        }
        return false;
      },
      15s);
  ASSERT_TRUE(done) << done.error().message;
  EXPECT_GE(ticks, 3);
  EXPECT_TRUE(phases_ticked.count("briefing") && phases_ticked.count("one") && phases_ticked.count("two"));
  EXPECT_EQ(asked, (std::set<std::string>{"in_two", "at_one"}));
}

// A clock move or an asked follow-up answers its request with the room's
// RoomChange carrying the request id: one frame to whoever asked, not an
// Ack and then the change; everyone else gets the change as a push.
TEST_P(Rooms, AClockMoveOrAFollowUpIsAnsweredByItsChange) {
  auto iv = server_.connect(GetParam(), true, "Ivy");
  auto ca = server_.connect(GetParam(), true, "Cal");
  auto created = iv->request(create_room("pm-feature-mid-sprint"));
  ASSERT_TRUE(created && created->has_room_created()) << (created ? created->DebugString() : created.error().message);
  ASSERT_TRUE(ca->request(join(code_for(created->room_created(), v1::ROLE_CANDIDATE)))->has_joined());
  ASSERT_TRUE(iv->request(control(v1::RoomControl::ACTION_START))->has_ack());
  ASSERT_TRUE(iv->request(control(v1::RoomControl::ACTION_SKIP))->has_ack());  // into the interview: whole views

  const std::string text = "And if they say no?";
  auto asked = iv->request(ask_free(text));
  ASSERT_TRUE(asked) << asked.error().message;
  ASSERT_TRUE(asked->has_room_change()) << asked->DebugString();
  EXPECT_NE(asked->request_id(), 0u);
  EXPECT_TRUE(shows_asked(asked.value(), text));
  auto paused = iv->request(control(v1::RoomControl::ACTION_PAUSE));
  ASSERT_TRUE(paused && paused->has_room_change()) << (paused ? paused->DebugString() : paused.error().message);
  EXPECT_TRUE(paused->room_change().clock().paused());

  // Nothing more for the asker: what came before the ping's answer is queued.
  ASSERT_TRUE(iv->request(ping()));
  for (auto m = iv->receive(0ms); m; m = iv->receive(0ms)) {
    EXPECT_FALSE(m->has_ack()) << m->DebugString();
    EXPECT_FALSE(m->has_room_change()) << "the asker got the change twice: " << m->DebugString();
  }
  auto pushed = ca->wait_for([&](const auto& m) { return shows_asked(m, text); });
  ASSERT_TRUE(pushed) << pushed.error().message;
  EXPECT_EQ(pushed->request_id(), 0u);
  EXPECT_TRUE(pushed->has_room_change());
  auto pause_pushed =
      ca->wait_for([](const auto& m) { return m.has_room_change() && m.room_change().clock().paused(); });
  ASSERT_TRUE(pause_pushed) << pause_pushed.error().message;
  EXPECT_EQ(pause_pushed->request_id(), 0u);
}

}  // namespace
}  // namespace mockloop::testing
