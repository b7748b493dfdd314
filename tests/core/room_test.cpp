// The room core with a fake clock: every phase transition, pause/extend/skip,
// timed and chained follow-ups, permissions and per-role views.
#include "mockloop/core/room.h"

#include <algorithm>
#include <functional>

#include <google/protobuf/text_format.h>
#include <gtest/gtest.h>

#include "mockloop/room_change.h"
#include "mockloop/staff_change.h"
#include "requests.h"

namespace mockloop {
namespace {

constexpr int64_t t0 = 1'800'000'000'000;  // a Unix ms; the room has no clock of its own
constexpr int64_t s = 1000;

std::shared_ptr<const v1::Scenario> test_scenario() {
  auto sc = std::make_shared<v1::Scenario>();
  const bool ok = google::protobuf::TextFormat::ParseFromString(R"pb(
    id: "unit" version: 1 title: "Unit scenario"
    round_type: ROUND_TYPE_SYSTEM_DESIGN levels: LEVEL_L5 company_style: COMPANY_STYLE_HYPERSCALE
    candidate { prompt: "Design a thing." context: "It is big." }
    phases { id: "clarify" name: "Clarify" duration_seconds: 300 }
    phases { id: "design" name: "Design" duration_seconds: 1200 }
    phases { id: "wrap" name: "Wrap up" duration_seconds: 120 }
    rubric { id: "scoping" name: "Scoping" layer: SCORING_LAYER_SCOPING
             anchors { level: 1 description: "RUBRIC-ANCHOR-ONE" } anchors { level: 2 description: "two" }
             anchors { level: 3 description: "three" } anchors { level: 4 description: "four" } }
    markers { id: "metric_named" label: "Named a success metric" }
    markers { id: "proposes_meeting" label: "Proposed a meeting" }
    follow_ups { id: "manual" text: "What would you cut first?" }
    follow_ups { id: "phase_q" text: "Which constraint matters most?" in_phase { phase_id: "design" after_seconds: 60 } }
    follow_ups { id: "metric_q" text: "How will you know it worked?" at_time { at_seconds: 600 unless_marker: "metric_named" } }
    follow_ups { id: "say_no" text: "And if they say no?" on_move { marker_id: "proposes_meeting" } }
    follow_ups { id: "then" text: "Who decides then?" on_move { marker_id: "metric_named" after_follow_up: "say_no" } }
  )pb", sc.get());
  EXPECT_TRUE(ok);
  return sc;
}

using testing::arrow;
using testing::ask;
using testing::ask_free;
using testing::box;
using testing::control;
using testing::erase;
using testing::hot_seat;
using testing::note;
using testing::tick_marker;

v1::ErrorCode error_of(const room_effects& fx) {
  if (fx.replies.size() != 1 || !fx.replies[0].has_error()) return v1::ERROR_CODE_UNSPECIFIED;
  return fx.replies[0].error().code();
}

bool acked(const room_effects& fx) { return fx.replies.size() == 1 && fx.replies[0].has_ack(); }

std::vector<std::string> asked_ids(const room& r) {
  std::vector<std::string> out;
  const auto views = r.views(t0);
  for (const auto& a : views.candidate_view.asked()) out.push_back(a.follow_up_id());
  return out;
}

class Room : public ::testing::Test {
 protected:
  Room() : room_("r1", test_scenario(), settings(), t0) {}

  static room_settings settings() {
    room_settings rs;
    rs.briefing_seconds = 60;
    rs.max_participants = 4;
    return rs;
  }

  void seat_everyone() {
    ASSERT_FALSE(room_.join("iv", "Ivy", v1::ROLE_INTERVIEWER, 1, t0).replies[0].has_error());
    ASSERT_FALSE(room_.join("ca", "Cal", v1::ROLE_CANDIDATE, 1, t0).replies[0].has_error());
    ASSERT_FALSE(room_.join("ob", "Obi", v1::ROLE_OBSERVER, 1, t0).replies[0].has_error());
  }

  // Seated, started, briefing over: phase "clarify" starts at t0 + 60 s.
  void start_interview() {
    seat_everyone();
    ASSERT_TRUE(acked(room_.handle("iv", control(v1::RoomControl::ACTION_START), t0)));
    room_.advance(t0 + 60 * s);
    ASSERT_EQ(room_.stage(), v1::ROOM_STAGE_INTERVIEW);
  }

  v1::RoomClock clock(int64_t now) const { return room_.tick(now).clock(); }

  room room_;
};

TEST_F(Room, SeatsAreSingleExceptObservers) {
  seat_everyone();
  EXPECT_EQ(error_of(room_.join("x", "X", v1::ROLE_CANDIDATE, 2, t0)), v1::ERROR_CODE_FAILED_PRECONDITION);
  EXPECT_EQ(error_of(room_.join("iv", "Ivy", v1::ROLE_OBSERVER, 2, t0)), v1::ERROR_CODE_FAILED_PRECONDITION);
  EXPECT_TRUE(room_.join("ob2", "Oz", v1::ROLE_OBSERVER, 2, t0).replies[0].has_joined());
  EXPECT_EQ(error_of(room_.join("ob3", "Ola", v1::ROLE_OBSERVER, 2, t0)), v1::ERROR_CODE_FAILED_PRECONDITION)
      << "max_participants is 4";
  EXPECT_EQ(room_.participant_count(), 4u);
}

TEST_F(Room, JoinRepliesAndAsksForTheBriefing) {
  auto fx = room_.join("ca", "Cal", v1::ROLE_CANDIDATE, 9, t0);
  ASSERT_EQ(fx.replies.size(), 1u);
  EXPECT_EQ(fx.replies[0].request_id(), 9u);
  EXPECT_EQ(fx.replies[0].joined().role(), v1::ROLE_CANDIDATE);
  EXPECT_EQ(fx.need_briefing, std::vector<std::string>{"ca"});
  EXPECT_TRUE(fx.state_changed);
}

TEST_F(Room, StartNeedsACandidate) {
  room_.join("iv", "Ivy", v1::ROLE_INTERVIEWER, 1, t0);
  EXPECT_EQ(error_of(room_.handle("iv", control(v1::RoomControl::ACTION_START), t0)),
            v1::ERROR_CODE_FAILED_PRECONDITION);
  EXPECT_EQ(room_.stage(), v1::ROOM_STAGE_LOBBY);
}

TEST_F(Room, WholeLifecycleRunsOnTheClock) {
  seat_everyone();
  EXPECT_FALSE(room_.has_clock());
  EXPECT_FALSE(room_.next_wakeup_ms());
  room_.handle("iv", control(v1::RoomControl::ACTION_START), t0);
  EXPECT_EQ(room_.stage(), v1::ROOM_STAGE_BRIEFING);
  EXPECT_EQ(clock(t0 + 10 * s).phase_id(), "briefing");
  EXPECT_EQ(clock(t0 + 10 * s).remaining_ms(), 50 * s);
  EXPECT_EQ(clock(t0).deadline_ms(), t0 + 60 * s);
  EXPECT_EQ(room_.next_wakeup_ms(), t0 + 60 * s);

  room_.advance(t0 + 59 * s);
  EXPECT_EQ(room_.stage(), v1::ROOM_STAGE_BRIEFING);
  auto fx = room_.advance(t0 + 60 * s);
  EXPECT_TRUE(fx.state_changed);
  EXPECT_EQ(room_.stage(), v1::ROOM_STAGE_INTERVIEW);
  EXPECT_EQ(clock(t0 + 60 * s).phase_id(), "clarify");
  EXPECT_EQ(clock(t0 + 60 * s).phase_index(), 0);
  EXPECT_EQ(clock(t0 + 60 * s).deadline_ms(), t0 + 360 * s);

  room_.advance(t0 + 360 * s);
  EXPECT_EQ(clock(t0 + 360 * s).phase_id(), "design");
  room_.advance(t0 + 1560 * s);
  EXPECT_EQ(clock(t0 + 1560 * s).phase_id(), "wrap");
  room_.advance(t0 + 1680 * s);
  EXPECT_EQ(room_.stage(), v1::ROOM_STAGE_SCORING);
  EXPECT_FALSE(room_.has_clock());
  EXPECT_FALSE(room_.next_wakeup_ms());

  fx = room_.handle("iv", control(v1::RoomControl::ACTION_CLOSE), t0 + 1700 * s);
  EXPECT_TRUE(fx.closed);
  EXPECT_EQ(room_.stage(), v1::ROOM_STAGE_CLOSED);
  EXPECT_EQ(error_of(room_.join("late", "L", v1::ROLE_OBSERVER, 1, t0 + 1701 * s)),
            v1::ERROR_CODE_FAILED_PRECONDITION);
}

bool connected(const room& r, const std::string& pid) {
  const auto views = r.views(t0);
  for (const auto& p : views.candidate_view.participants())
    if (p.participant_id() == pid) return p.connected();
  ADD_FAILURE() << pid << " is not in the room";
  return false;
}

TEST_F(Room, ADroppedSeatIsHeldForTheGraceWindowThenReleased) {
  start_interview();
  const int64_t drop = t0 + 100 * s;
  auto fx = room_.disconnect("ca", drop);
  EXPECT_TRUE(fx.state_changed);
  EXPECT_FALSE(connected(room_, "ca"));
  EXPECT_TRUE(room_.is_member("ca"));
  // The room wakes at the release even though a phase deadline is later.
  EXPECT_EQ(room_.next_wakeup_ms(), drop + 120 * s);
  room_.advance(drop + 119 * s);
  EXPECT_TRUE(room_.is_member("ca"));
  // The clock kept running meanwhile: the interview goes on for the others.
  EXPECT_EQ(clock(drop + 119 * s).phase_id(), "clarify");
  fx = room_.advance(drop + 120 * s);
  EXPECT_FALSE(room_.is_member("ca"));
  EXPECT_TRUE(fx.state_changed);
  EXPECT_FALSE(fx.closed) << "a private room is not forfeited";
}

TEST_F(Room, ReconnectWithinTheWindowKeepsTheSeat) {
  start_interview();
  room_.disconnect("iv", t0 + 100 * s);
  auto fx = room_.reconnect("iv", t0 + 150 * s);
  EXPECT_TRUE(fx.state_changed);
  EXPECT_TRUE(connected(room_, "iv"));
  room_.advance(t0 + 400 * s);
  EXPECT_TRUE(room_.is_member("iv"));
  // The log tells the story, and the debrief timeline says it in words.
  int lost = 0, back = 0;
  for (const auto& e : room_.events()) {
    lost += e.has_disconnected();
    back += e.has_reconnected();
  }
  EXPECT_EQ(lost, 1);
  EXPECT_EQ(back, 1);
  EXPECT_TRUE(room_.reconnect("nobody", t0 + 151 * s).replies.empty());
  EXPECT_FALSE(room_.reconnect("nobody", t0 + 151 * s).state_changed);
}

TEST(RoomPeerMock, AReleasedSeatMidInterviewForfeitsTheRound) {
  room_settings rs;
  rs.briefing_seconds = 60;
  rs.reconnect_grace_ms = 30 * s;
  rs.forfeit_on_release = true;
  room r("pm", test_scenario(), rs, t0);
  r.join("iv", "Ivy", v1::ROLE_INTERVIEWER, 1, t0);
  r.join("ca", "Cal", v1::ROLE_CANDIDATE, 1, t0);
  r.handle("iv", control(v1::RoomControl::ACTION_START), t0);
  r.advance(t0 + 60 * s);
  ASSERT_EQ(r.stage(), v1::ROOM_STAGE_INTERVIEW);
  r.disconnect("ca", t0 + 70 * s);
  auto fx = r.advance(t0 + 100 * s);
  EXPECT_TRUE(fx.closed);
  EXPECT_TRUE(fx.forfeited);
  EXPECT_EQ(r.stage(), v1::ROOM_STAGE_CLOSED);
  EXPECT_FALSE(r.has_clock());
  EXPECT_FALSE(r.next_wakeup_ms());
}

TEST(RoomPeerMock, ADropDuringScoringDoesNotForfeit) {
  room_settings rs;
  rs.reconnect_grace_ms = 30 * s;
  rs.forfeit_on_release = true;
  room r("pm", test_scenario(), rs, t0);
  r.join("iv", "Ivy", v1::ROLE_INTERVIEWER, 1, t0);
  r.join("ca", "Cal", v1::ROLE_CANDIDATE, 1, t0);
  r.handle("iv", control(v1::RoomControl::ACTION_START), t0);
  for (int i = 0; i < 4; ++i) r.handle("iv", control(v1::RoomControl::ACTION_SKIP), t0 + 1 * s);
  ASSERT_EQ(r.stage(), v1::ROOM_STAGE_SCORING);
  r.disconnect("ca", t0 + 2 * s);
  auto fx = r.advance(t0 + 40 * s);
  EXPECT_FALSE(fx.forfeited);
  EXPECT_FALSE(r.is_member("ca"));
  EXPECT_EQ(r.stage(), v1::ROOM_STAGE_SCORING);
}

TEST_F(Room, LateAdvanceEndsEachPhaseAtItsOwnDeadline) {
  start_interview();  // clarify: t0+60 .. t0+360
  room_.advance(t0 + 400 * s);  // woke late: design started at t0+360, not t0+400
  EXPECT_EQ(clock(t0 + 400 * s).phase_id(), "design");
  EXPECT_EQ(clock(t0 + 400 * s).deadline_ms(), t0 + 1560 * s);
}

TEST_F(Room, PauseFreezesAndResumeShiftsTheDeadline) {
  start_interview();
  ASSERT_TRUE(acked(room_.handle("iv", control(v1::RoomControl::ACTION_PAUSE), t0 + 100 * s)));
  EXPECT_TRUE(clock(t0 + 100 * s).paused());
  EXPECT_EQ(clock(t0 + 500 * s).remaining_ms(), 260 * s) << "frozen while paused";
  EXPECT_FALSE(room_.next_wakeup_ms());
  room_.advance(t0 + 1000 * s);
  EXPECT_EQ(clock(t0 + 1000 * s).phase_id(), "clarify") << "no phase ends while paused";
  EXPECT_EQ(error_of(room_.handle("iv", control(v1::RoomControl::ACTION_PAUSE), t0 + 1000 * s)),
            v1::ERROR_CODE_FAILED_PRECONDITION);

  ASSERT_TRUE(acked(room_.handle("iv", control(v1::RoomControl::ACTION_RESUME), t0 + 1000 * s)));
  EXPECT_EQ(clock(t0 + 1000 * s).deadline_ms(), t0 + 1260 * s);
  EXPECT_EQ(clock(t0 + 1000 * s).interview_elapsed_ms(), 40 * s) << "pauses are not interview time";
}

TEST_F(Room, ExtendAddsToThePhase) {
  start_interview();
  ASSERT_TRUE(acked(room_.handle("iv", control(v1::RoomControl::ACTION_EXTEND, 90), t0 + 100 * s)));
  EXPECT_EQ(clock(t0 + 100 * s).deadline_ms(), t0 + 450 * s);
  room_.advance(t0 + 360 * s);
  EXPECT_EQ(clock(t0 + 360 * s).phase_id(), "clarify");
  EXPECT_EQ(error_of(room_.handle("iv", control(v1::RoomControl::ACTION_EXTEND, 0), t0)),
            v1::ERROR_CODE_INVALID_ARGUMENT);
  EXPECT_EQ(error_of(room_.handle("iv", control(v1::RoomControl::ACTION_EXTEND, 1801), t0)),
            v1::ERROR_CODE_INVALID_ARGUMENT);
}

TEST_F(Room, SkipEndsThePhaseNowAndKeepsAPause) {
  start_interview();
  room_.handle("iv", control(v1::RoomControl::ACTION_SKIP), t0 + 100 * s);
  EXPECT_EQ(clock(t0 + 100 * s).phase_id(), "design");
  EXPECT_EQ(clock(t0 + 100 * s).deadline_ms(), t0 + 1300 * s);

  room_.handle("iv", control(v1::RoomControl::ACTION_PAUSE), t0 + 200 * s);
  room_.handle("iv", control(v1::RoomControl::ACTION_SKIP), t0 + 210 * s);
  EXPECT_EQ(clock(t0 + 210 * s).phase_id(), "wrap");
  EXPECT_TRUE(clock(t0 + 210 * s).paused());
  EXPECT_EQ(clock(t0 + 999 * s).remaining_ms(), 120 * s);
}

TEST_F(Room, SkipDuringBriefingStartsTheFirstPhase) {
  seat_everyone();
  room_.handle("iv", control(v1::RoomControl::ACTION_START), t0);
  room_.handle("iv", control(v1::RoomControl::ACTION_SKIP), t0 + 5 * s);
  EXPECT_EQ(room_.stage(), v1::ROOM_STAGE_INTERVIEW);
  EXPECT_EQ(clock(t0 + 5 * s).deadline_ms(), t0 + 305 * s);
}

TEST_F(Room, InPhaseFollowUpFiresAtItsOffset) {
  start_interview();
  room_.advance(t0 + 360 * s);  // design starts
  EXPECT_EQ(room_.next_wakeup_ms(), t0 + 420 * s);
  room_.advance(t0 + 419 * s);
  EXPECT_TRUE(asked_ids(room_).empty());
  auto fx = room_.advance(t0 + 420 * s);
  EXPECT_FALSE(fx.state_changed) << "a follow-up is a public change, not whole views";
  ASSERT_TRUE(fx.room_change);
  ASSERT_EQ(fx.room_change->asked_added_size(), 1);
  EXPECT_EQ(fx.room_change->asked_added(0).follow_up_id(), "phase_q");
  ASSERT_EQ(asked_ids(room_), std::vector<std::string>{"phase_q"});
  const auto asked = room_.views(t0).candidate_view.asked(0);
  EXPECT_TRUE(asked.by_script());
  EXPECT_EQ(asked.phase_id(), "design");
  EXPECT_EQ(asked.asked_at_ms(), t0 + 420 * s);
}

TEST_F(Room, TimedFollowUpFiresUnlessItsMarkerWasTicked) {
  start_interview();
  // at_seconds 600 of interview time, pauses excluded: due at t0 + 660 s.
  room_.handle("iv", control(v1::RoomControl::ACTION_PAUSE), t0 + 100 * s);
  room_.handle("iv", control(v1::RoomControl::ACTION_RESUME), t0 + 130 * s);
  room_.advance(t0 + 689 * s);
  auto ids = asked_ids(room_);
  EXPECT_EQ(std::count(ids.begin(), ids.end(), "metric_q"), 0);
  room_.advance(t0 + 690 * s);
  ids = asked_ids(room_);
  EXPECT_EQ(std::count(ids.begin(), ids.end(), "metric_q"), 1);
}

TEST_F(Room, TickedMarkerSuppressesTheTimedFollowUp) {
  start_interview();
  ASSERT_TRUE(acked(room_.handle("iv", tick_marker("metric_named"), t0 + 200 * s)));
  room_.advance(t0 + 2000 * s);
  auto ids = asked_ids(room_);
  EXPECT_EQ(std::count(ids.begin(), ids.end(), "metric_q"), 0);
}

TEST_F(Room, ChainedFollowUpsFireOnTheMoveInOrder) {
  start_interview();
  // Ticked before its prerequisite was asked: waits for "say_no".
  room_.handle("iv", tick_marker("metric_named"), t0 + 70 * s);
  EXPECT_TRUE(asked_ids(room_).empty());
  auto fx = room_.handle("iv", tick_marker("proposes_meeting"), t0 + 80 * s);
  ASSERT_TRUE(fx.room_change);
  EXPECT_EQ(fx.room_change->asked_added_size(), 2) << "both, in one change";
  EXPECT_EQ(asked_ids(room_), (std::vector<std::string>{"say_no", "then"}));
  // Ticking again changes nothing and asks nothing twice.
  room_.handle("iv", tick_marker("proposes_meeting"), t0 + 81 * s);
  EXPECT_EQ(asked_ids(room_).size(), 2u);
}

TEST_F(Room, InterviewerAsksFromScriptOrFreeText) {
  start_interview();
  ASSERT_TRUE(acked(room_.handle("iv", ask("manual"), t0 + 70 * s)));
  EXPECT_EQ(error_of(room_.handle("iv", ask("manual"), t0 + 71 * s)), v1::ERROR_CODE_FAILED_PRECONDITION);
  EXPECT_EQ(error_of(room_.handle("iv", ask("nope"), t0 + 71 * s)), v1::ERROR_CODE_NOT_FOUND);
  v1::ClientMessage free;
  free.mutable_ask_follow_up()->set_free_text("Why that database?");
  ASSERT_TRUE(acked(room_.handle("iv", free, t0 + 72 * s)));
  const auto view = room_.views(t0 + 72 * s).candidate_view;
  ASSERT_EQ(view.asked_size(), 2);
  EXPECT_EQ(view.asked(0).text(), "What would you cut first?");
  EXPECT_FALSE(view.asked(0).by_script());
  EXPECT_EQ(view.asked(1).text(), "Why that database?");
  EXPECT_EQ(view.asked(1).follow_up_id(), "");
}

TEST_F(Room, FollowUpsOnlyDuringTheInterview) {
  seat_everyone();
  EXPECT_EQ(error_of(room_.handle("iv", ask("manual"), t0)), v1::ERROR_CODE_FAILED_PRECONDITION);
  EXPECT_EQ(error_of(room_.handle("iv", tick_marker("metric_named"), t0)), v1::ERROR_CODE_FAILED_PRECONDITION);
}

TEST_F(Room, OnlyInterviewerOrCoachMayControlAskOrTick) {
  start_interview();
  const auto before = room_.views(t0 + 100 * s).candidate_view;
  for (const char* who : {"ca", "ob"}) {
    for (auto action : {v1::RoomControl::ACTION_PAUSE, v1::RoomControl::ACTION_SKIP, v1::RoomControl::ACTION_EXTEND})
      EXPECT_EQ(error_of(room_.handle(who, control(action, 60), t0 + 100 * s)), v1::ERROR_CODE_PERMISSION_DENIED)
          << who;
    EXPECT_EQ(error_of(room_.handle(who, ask("manual"), t0 + 100 * s)), v1::ERROR_CODE_PERMISSION_DENIED) << who;
    EXPECT_EQ(error_of(room_.handle(who, tick_marker("proposes_meeting"), t0 + 100 * s)), v1::ERROR_CODE_PERMISSION_DENIED)
        << who;
  }
  const auto after = room_.views(t0 + 100 * s).candidate_view;
  EXPECT_EQ(after.SerializeAsString(), before.SerializeAsString()) << "a refused request changes nothing";
  EXPECT_EQ(error_of(room_.handle("stranger", ask("manual"), t0)), v1::ERROR_CODE_FAILED_PRECONDITION);
}

TEST_F(Room, CoachRunsTheRoomToo) {
  room_.join("co", "Coco", v1::ROLE_COACH, 1, t0);
  room_.join("ca", "Cal", v1::ROLE_CANDIDATE, 1, t0);
  EXPECT_TRUE(acked(room_.handle("co", control(v1::RoomControl::ACTION_START), t0)));
  EXPECT_TRUE(acked(room_.handle("co", control(v1::RoomControl::ACTION_SKIP), t0)));
  EXPECT_TRUE(acked(room_.handle("co", ask("manual"), t0)));
}

TEST_F(Room, NotesArePrivateExceptToTheCoach) {
  room_.join("iv", "Ivy", v1::ROLE_INTERVIEWER, 1, t0);
  room_.join("ca", "Cal", v1::ROLE_CANDIDATE, 1, t0);
  room_.join("ob", "Obi", v1::ROLE_OBSERVER, 1, t0);
  room_.join("co", "Coco", v1::ROLE_COACH, 1, t0);
  ASSERT_TRUE(acked(room_.handle("iv", note("interviewer note"), t0)));
  ASSERT_TRUE(acked(room_.handle("ob", note("observer note"), t0)));
  EXPECT_EQ(error_of(room_.handle("ca", note("candidate note"), t0)), v1::ERROR_CODE_PERMISSION_DENIED);

  const auto v = room_.views(t0);
  EXPECT_EQ(v.candidate_ids, std::vector<std::string>{"ca"});
  ASSERT_EQ(v.staff_views.size(), 3u);
  for (const auto& [who, view] : v.staff_views) {
    std::vector<std::string> texts;
    for (const auto& n : view.notes()) texts.push_back(n.text());
    if (who == "iv") {
      EXPECT_EQ(texts, std::vector<std::string>{"interviewer note"});
    } else if (who == "ob") {
      EXPECT_EQ(texts, std::vector<std::string>{"observer note"});
    } else {
      EXPECT_EQ(who, "co");
      EXPECT_EQ(texts, (std::vector<std::string>{"interviewer note", "observer note"}));
    }
  }
}

TEST_F(Room, CandidateViewsCarryNoStaffMaterial) {
  start_interview();
  room_.handle("iv", tick_marker("proposes_meeting"), t0 + 70 * s);
  room_.handle("iv", note("secret note"), t0 + 71 * s);
  const auto bytes = room_.views(t0 + 72 * s).candidate_view.SerializeAsString() +
                     room_.candidate_briefing().SerializeAsString() + room_.tick(t0 + 72 * s).SerializeAsString();
  for (const char* secret : {"RUBRIC-ANCHOR-ONE", "secret note", "proposes_meeting", "Named a success metric",
                             "What would you cut first?", "How will you know it worked?"})
    EXPECT_EQ(bytes.find(secret), std::string::npos) << secret;
  EXPECT_NE(bytes.find("And if they say no?"), std::string::npos) << "asked follow-ups are visible";
  EXPECT_NE(room_.staff_briefing().SerializeAsString().find("RUBRIC-ANCHOR-ONE"), std::string::npos);
}

TEST_F(Room, EventLogRecordsEverythingWithTimes) {
  start_interview();
  room_.handle("iv", control(v1::RoomControl::ACTION_PAUSE), t0 + 100 * s);
  room_.handle("iv", control(v1::RoomControl::ACTION_RESUME), t0 + 110 * s);
  room_.handle("iv", ask("manual"), t0 + 120 * s);
  room_.leave("ob", t0 + 130 * s);
  std::vector<v1::RoomEvent::KindCase> kinds;
  uint64_t seq = 0;
  for (const auto& e : room_.events()) {
    EXPECT_EQ(e.seq(), ++seq);
    kinds.push_back(e.kind_case());
  }
  using K = v1::RoomEvent;
  const std::vector<v1::RoomEvent::KindCase> want = {
      K::kStageEntered, K::kTargetLevel,  K::kJoined, K::kJoined, K::kJoined,        K::kStageEntered,
      K::kStageEntered, K::kPhaseStarted, K::kPaused, K::kPaused, K::kFollowUpAsked, K::kLeft};
  EXPECT_EQ(kinds, want);
  EXPECT_EQ(room_.events().back().at_ms(), t0 + 130 * s);
  EXPECT_EQ(room_.events()[9].participant_id(), "iv");
}

TEST_F(Room, CoachMovesTheHotSeatBetweenRounds) {
  room_.join("co", "Coco", v1::ROLE_COACH, 1, t0);
  room_.join("ca", "Cal", v1::ROLE_CANDIDATE, 1, t0);
  room_.join("ob", "Obi", v1::ROLE_OBSERVER, 1, t0);
  EXPECT_EQ(error_of(room_.handle("ob", hot_seat("ob"), t0)), v1::ERROR_CODE_PERMISSION_DENIED);
  EXPECT_EQ(error_of(room_.handle("co", hot_seat("nobody"), t0)), v1::ERROR_CODE_NOT_FOUND);
  EXPECT_EQ(error_of(room_.handle("co", hot_seat("co"), t0)), v1::ERROR_CODE_FAILED_PRECONDITION);

  auto fx = room_.handle("co", hot_seat("ob"), t0);
  ASSERT_TRUE(acked(fx));
  EXPECT_EQ(room_.role_of("ob"), v1::ROLE_CANDIDATE);
  EXPECT_EQ(room_.role_of("ca"), v1::ROLE_OBSERVER);
  // Both get their new role's briefing: the new candidate a candidate's.
  EXPECT_EQ(fx.need_briefing, (std::vector<std::string>{"ca", "ob"}));
  EXPECT_TRUE(std::holds_alternative<v1::CandidateBriefing>(room_.briefing_for("ob")));
  EXPECT_TRUE(std::holds_alternative<v1::StaffBriefing>(room_.briefing_for("ca")));
  EXPECT_EQ(room_.views(t0).candidate_ids, std::vector<std::string>{"ob"});

  room_.handle("co", control(v1::RoomControl::ACTION_START), t0);
  EXPECT_EQ(error_of(room_.handle("co", hot_seat("ca"), t0 + s)), v1::ERROR_CODE_FAILED_PRECONDITION)
      << "not during a round";
}

TEST_F(Room, NextRoundStartsAfreshWithTheSamePeople) {
  room_.join("co", "Coco", v1::ROLE_COACH, 1, t0);
  room_.join("ca", "Cal", v1::ROLE_CANDIDATE, 1, t0);
  room_.join("ob", "Obi", v1::ROLE_OBSERVER, 1, t0);
  room_.handle("co", control(v1::RoomControl::ACTION_START), t0);
  room_.handle("co", control(v1::RoomControl::ACTION_SKIP), t0);
  room_.handle("co", ask("manual"), t0 + s);
  room_.handle("ob", note("round one note"), t0 + s);
  EXPECT_EQ(error_of(room_.next_round("co", nullptr, 3, t0 + 2 * s)), v1::ERROR_CODE_FAILED_PRECONDITION);
  room_.advance(t0 + 3000 * s);
  ASSERT_EQ(room_.stage(), v1::ROOM_STAGE_SCORING);
  EXPECT_EQ(error_of(room_.next_round("ob", nullptr, 3, t0 + 3001 * s)), v1::ERROR_CODE_PERMISSION_DENIED);
  EXPECT_EQ(error_of(room_.next_round("co", nullptr, 3, t0 + 3001 * s)), v1::ERROR_CODE_FAILED_PRECONDITION)
      << "this round's scorecards are revealed first";
  ASSERT_TRUE(acked(room_.handle("co", control(v1::RoomControl::ACTION_REVEAL), t0 + 3001 * s)));

  auto other = std::make_shared<v1::Scenario>(room_.scenario());
  other->set_id("other");
  other->set_title("Another one");
  auto fx = room_.next_round("co", other, 3, t0 + 3001 * s);
  ASSERT_TRUE(acked(fx));
  EXPECT_EQ(fx.need_briefing.size(), 3u);
  EXPECT_EQ(room_.stage(), v1::ROOM_STAGE_LOBBY);
  const auto v = room_.views(t0 + 3001 * s);
  EXPECT_EQ(v.candidate_view.round(), 2u);
  EXPECT_EQ(v.candidate_view.scenario_id(), "other");
  EXPECT_EQ(v.candidate_view.asked_size(), 0);
  EXPECT_EQ(v.candidate_view.participants_size(), 3);
  for (const auto& [who, staff] : v.staff_views) EXPECT_EQ(staff.notes_size(), 0) << who;
  EXPECT_EQ(room_.events().back().round_started(), 2u);
  EXPECT_TRUE(acked(room_.handle("co", ask("manual"), t0 + 3002 * s)) == false) << "lobby: no follow-ups yet";
  room_.handle("co", control(v1::RoomControl::ACTION_START), t0 + 3002 * s);
  EXPECT_EQ(room_.stage(), v1::ROOM_STAGE_BRIEFING);
}

}  // namespace
}  // namespace mockloop

namespace mockloop {
namespace {

v1::ClientMessage scorecard(uint32_t scoping, bool submit, const std::string& evidence = "said a metric",
                            v1::Recommendation rec = v1::RECOMMENDATION_YES) {
  v1::ClientMessage m;
  m.set_request_id(11);
  auto* s = m.mutable_save_scorecard();
  s->set_submit(submit);
  auto* d = s->mutable_scorecard()->add_scores();
  d->set_dimension_id("scoping");
  d->set_rating(scoping);
  d->set_evidence(evidence);
  s->mutable_scorecard()->set_recommendation(rec);
  return m;
}

// Seated (interviewer, candidate, observer, coach) and past the last phase.
// Who is sent a fresh view after a change: a note reaches its author and
// the coach, nobody else, and the candidate cannot even tell it happened.
// revealed() decides whether a returning candidate is sent their debrief
// and whether a recovered room still owes its record: this round only.
TEST_F(Room, RevealedSpeaksForThisRoundOnly) {
  room_.join("co", "Coco", v1::ROLE_COACH, 1, t0);
  room_.join("ca", "Cal", v1::ROLE_CANDIDATE, 1, t0);
  room_.join("ob", "Obi", v1::ROLE_OBSERVER, 1, t0);
  room_.handle("co", control(v1::RoomControl::ACTION_START), t0);
  room_.advance(t0 + 3000 * s);
  ASSERT_EQ(room_.stage(), v1::ROOM_STAGE_SCORING);
  EXPECT_FALSE(room_.revealed());
  ASSERT_TRUE(acked(room_.handle("co", control(v1::RoomControl::ACTION_REVEAL), t0 + 3001 * s)));
  EXPECT_TRUE(room_.revealed());
  ASSERT_TRUE(acked(room_.next_round("co", nullptr, 3, t0 + 3002 * s)));
  EXPECT_FALSE(room_.revealed()) << "round 2 has revealed nothing";
  ASSERT_TRUE(acked(room_.handle("co", control(v1::RoomControl::ACTION_CLOSE), t0 + 3003 * s)));
  ASSERT_EQ(room_.stage(), v1::ROOM_STAGE_CLOSED);
  EXPECT_FALSE(room_.revealed()) << "closed without a reveal; round 1's reveal does not count";
  EXPECT_EQ(room_.views(t0 + 3004 * s).staff_views.front().second.revealed_size(), 0);
}

// Each staff view before a step, with the step's public change (if any)
// and its private change for that person applied, is the view after it.
void expect_staff_views_follow(const room_views& before, const room_views& after, const room_effects& fx,
                               const v1::RoomChange* change, const char* what) {
  ASSERT_EQ(before.staff_views.size(), after.staff_views.size());
  for (size_t i = 0; i < before.staff_views.size(); ++i) {
    auto view = before.staff_views[i].second;
    if (change) {
      EXPECT_TRUE(apply_room_change(*view.mutable_room(), *change));
    }
    for (const auto& [id, c] : fx.staff_changes) {
      if (id == before.staff_views[i].first) {
        EXPECT_TRUE(apply_staff_change(view, c));
      }
    }
    EXPECT_EQ(view.SerializeAsString(), after.staff_views[i].second.SerializeAsString())
        << what << ", " << before.staff_views[i].first << "'s view:\n"
        << view.DebugString() << "\nwanted:\n"
        << after.staff_views[i].second.DebugString();
  }
}

// A private step's changes, each applied to the staff view it follows, give
// the views the room would send whole after it.
void expect_change_gives_next_view(const room& r, int64_t at, const char* what,
                                   const std::function<room_effects()>& step) {
  const auto before = r.views(at);
  const auto fx = step();
  ASSERT_FALSE(fx.state_changed) << what;
  ASSERT_FALSE(fx.staff_changes.empty()) << what;
  expect_staff_views_follow(before, r.views(at), fx, nullptr, what);
}

std::vector<std::string> changed_for(const room_effects& fx) {
  std::vector<std::string> out;
  for (const auto& [id, c] : fx.staff_changes) out.push_back(id);
  return out;
}

TEST_F(Room, PrivateChangesReachOnlyTheStaffWhoCanSeeThem) {
  room_.join("iv", "Ivy", v1::ROLE_INTERVIEWER, 1, t0);
  room_.join("ca", "Cal", v1::ROLE_CANDIDATE, 1, t0);
  room_.join("ob", "Obi", v1::ROLE_OBSERVER, 1, t0);
  room_.join("co", "Coco", v1::ROLE_COACH, 1, t0);
  ASSERT_TRUE(acked(room_.handle("iv", control(v1::RoomControl::ACTION_START), t0)));
  room_.advance(t0 + 60 * s);
  const auto version_before = room_.views(t0 + 61 * s).candidate_view.version();

  auto fx = room_.handle("ob", note("OBI-NOTE"), t0 + 61 * s);
  ASSERT_TRUE(acked(fx));
  EXPECT_FALSE(fx.state_changed);
  EXPECT_EQ(changed_for(fx), (std::vector<std::string>{"ob", "co"}));
  for (const auto& [id, c] : fx.staff_changes) {
    EXPECT_EQ(c.room_id(), "r1");
    ASSERT_EQ(c.notes_added_size(), 1) << id;
    EXPECT_EQ(c.notes_added(0).text(), "OBI-NOTE");
    EXPECT_FALSE(c.has_my_scorecard());
  }

  fx = room_.handle("iv", scorecard(3, false, "IVY-DRAFT"), t0 + 62 * s);
  ASSERT_TRUE(acked(fx));
  EXPECT_FALSE(fx.state_changed);
  ASSERT_EQ(changed_for(fx), (std::vector<std::string>{"iv", "co"}));
  EXPECT_TRUE(fx.staff_changes[0].second.has_my_scorecard()) << "the rater's own card";
  EXPECT_EQ(fx.staff_changes[0].second.live_scorecards_size(), 0);
  EXPECT_FALSE(fx.staff_changes[1].second.has_my_scorecard()) << "not the coach's own card";
  ASSERT_EQ(fx.staff_changes[1].second.live_scorecards_size(), 1) << "the coach watches it live";
  EXPECT_EQ(fx.staff_changes[1].second.live_scorecards(0).rater_id(), "iv");

  // Ticks are shared by the staff. "proposes_meeting" also fires scripted
  // follow-ups, which everyone sees.
  expect_change_gives_next_view(room_, t0 + 63 * s, "a tick", [&] {
    fx = room_.handle("iv", tick_marker("metric_named"), t0 + 63 * s);
    return fx;
  });
  ASSERT_TRUE(acked(fx));
  EXPECT_EQ(changed_for(fx), (std::vector<std::string>{"iv", "ob", "co"}));
  EXPECT_EQ(room_.views(t0 + 63 * s).candidate_view.version(), version_before)
      << "the candidate's version does not count private changes";
  fx = room_.handle("iv", tick_marker("metric_named"), t0 + 63 * s);
  ASSERT_TRUE(acked(fx));
  EXPECT_TRUE(fx.staff_changes.empty()) << "ticked already: nothing changed";
  fx = room_.handle("iv", tick_marker("proposes_meeting"), t0 + 64 * s);
  ASSERT_TRUE(acked(fx));
  EXPECT_FALSE(fx.state_changed);
  ASSERT_TRUE(fx.room_change) << "the follow-up it fired is for the candidate too";
  EXPECT_EQ(changed_for(fx), (std::vector<std::string>{"iv", "ob", "co"})) << "the tick is still private";
  // "say_no", and "then" chained on it (metric_named is ticked): two public changes.
  EXPECT_EQ(asked_ids(room_), (std::vector<std::string>{"say_no", "then"}));
  EXPECT_EQ(room_.views(t0 + 64 * s).candidate_view.version(), version_before + 2);
}

// A public step's change, applied to every view it follows (the candidate's
// and each staff member's room), gives the views the room would send whole
// after it.
void expect_public_change_gives_next_view(const room& r, int64_t at, const char* what,
                                          const std::function<room_effects()>& step) {
  const auto before = r.views(at);
  const auto fx = step();
  ASSERT_FALSE(fx.state_changed) << what;
  ASSERT_TRUE(fx.room_change) << what;
  auto change = *fx.room_change;
  r.stamp(change, at);
  const auto after = r.views(at);
  EXPECT_GT(change.version(), before.candidate_view.version()) << what;
  auto candidate = before.candidate_view;
  EXPECT_TRUE(apply_room_change(candidate, change));
  EXPECT_EQ(candidate.SerializeAsString(), after.candidate_view.SerializeAsString())
      << what << ", the candidate's view:\n"
      << candidate.DebugString() << "\nwanted:\n"
      << after.candidate_view.DebugString();
  expect_staff_views_follow(before, after, fx, &change, what);
}

TEST_F(Room, ClockMovesAndFollowUpsGoToEveryoneAsOneChange) {
  seat_everyone();
  room_.join("co", "Coco", v1::ROLE_COACH, 1, t0);
  ASSERT_TRUE(acked(room_.handle("iv", control(v1::RoomControl::ACTION_START), t0)));
  auto fx = room_.advance(t0 + 60 * s);
  EXPECT_TRUE(fx.state_changed) << "the interview begins: a new stage is whole views";
  room_.handle("ob", note("OBI-NOTE"), t0 + 61 * s);  // the views differ per rater
  room_.handle("iv", scorecard(3, false, "IVY-DRAFT"), t0 + 62 * s);

  int64_t at = t0 + 70 * s;
  const auto check = [&](const char* what, const std::function<room_effects()>& step) {
    expect_public_change_gives_next_view(room_, at, what, step);
  };
  check("a scripted follow-up asked", [&] { return room_.handle("iv", ask("manual"), at); });
  at += 1 * s;
  check("a free one", [&] { return room_.handle("iv", ask_free("Why that database?"), at); });
  at += 1 * s;
  check("a pause", [&] { return room_.handle("iv", control(v1::RoomControl::ACTION_PAUSE), at); });
  at += 30 * s;
  check("an extension while paused",
        [&] { return room_.handle("iv", control(v1::RoomControl::ACTION_EXTEND, 60), at); });
  at += 1 * s;
  check("a resume", [&] { return room_.handle("iv", control(v1::RoomControl::ACTION_RESUME), at); });
  at += 1 * s;
  check("a tick that fires follow-ups", [&] { return room_.handle("iv", tick_marker("proposes_meeting"), at); });
  at += 1 * s;
  check("a skip to the next phase", [&] { return room_.handle("iv", control(v1::RoomControl::ACTION_SKIP), at); });
  at += 60 * s;
  check("a follow-up on the clock", [&] { return room_.advance(at); });
  EXPECT_EQ(asked_ids(room_), (std::vector<std::string>{"manual", "", "say_no", "phase_q"}));
  at += 1200 * s;
  check("a phase ending on the clock", [&] { return room_.advance(at); });
  EXPECT_EQ(clock(at).phase_id(), "wrap");

  fx = room_.handle("iv", control(v1::RoomControl::ACTION_SKIP), at + 1 * s);
  EXPECT_TRUE(fx.state_changed) << "the last phase ends: scoring is whole views";
}

class Scoring : public ::testing::Test {
 protected:
  Scoring() : room_("r1", test_scenario(), room_settings{}, t0) {
    room_.join("iv", "Ivy", v1::ROLE_INTERVIEWER, 1, t0);
    room_.join("ca", "Cal", v1::ROLE_CANDIDATE, 1, t0);
    room_.join("ob", "Obi", v1::ROLE_OBSERVER, 1, t0);
    room_.join("co", "Coco", v1::ROLE_COACH, 1, t0);
    room_.handle("iv", control(v1::RoomControl::ACTION_START), t0);
    room_.advance(t0 + 10'000 * s);
  }

  // Submits: the room asks for persistence first, then commits.
  room_effects submit(const std::string& who, uint32_t rating, const std::string& evidence) {
    auto fx = room_.handle(who, scorecard(rating, true, evidence), t0 + 10'001 * s);
    EXPECT_TRUE(fx.to_persist) << "a submission is made durable before anything changes";
    EXPECT_TRUE(fx.replies.empty()) << "and not acknowledged before that";
    if (!fx.to_persist) return fx;
    return room_.commit_submit(who, *fx.to_persist, fx.persist_request_id, t0 + 10'002 * s);
  }

  const v1::StaffRoomState& staff(const room_views& v, const std::string& who) {
    for (const auto& [id, st] : v.staff_views)
      if (id == who) return st;
    static v1::StaffRoomState none;
    ADD_FAILURE() << "no staff view for " << who;
    return none;
  }

  room room_;
};

// A change applied to the view it follows gives the view the server would
// have sent whole: for every staff member, after each private step.
TEST_F(Scoring, EachChangeAppliedToTheLastViewIsTheNextView) {
  const int64_t at = t0 + 10'001 * s;
  auto check = [&](const char* what, const std::function<room_effects()>& step) {
    expect_change_gives_next_view(room_, at, what, step);
  };
  check("observer's note", [&] { return room_.handle("ob", note("OBI-NOTE"), at); });
  check("coach's note", [&] { return room_.handle("co", note("COCO-NOTE"), at); });
  check("observer's draft", [&] { return room_.handle("ob", scorecard(2, false, "OBI-DRAFT"), at); });
  check("coach's draft", [&] { return room_.handle("co", scorecard(3, false, "COCO-DRAFT"), at); });
  check("interviewer's draft, before the observer's in id order", [&] {
    return room_.handle("iv", scorecard(4, false, "IVY-DRAFT"), at);
  });
  check("observer's draft again", [&] { return room_.handle("ob", scorecard(3, false, "OBI-AGAIN"), at); });
  check("observer submits", [&] { return submit("ob", 3, "OBI-FINAL"); });
  check("coach submits", [&] { return submit("co", 3, "COCO-FINAL"); });
  // The last card reveals: whole views, no changes.
  const auto last = submit("iv", 4, "IVY-FINAL");
  EXPECT_TRUE(last.state_changed);
  EXPECT_TRUE(last.revealed);
}

TEST_F(Scoring, DraftsStreamToTheirAuthorAndTheCoachOnly) {
  ASSERT_EQ(room_.stage(), v1::ROOM_STAGE_SCORING);
  ASSERT_TRUE(acked(room_.handle("iv", scorecard(3, false, "IVY-DRAFT-EVIDENCE"), t0 + 10'001 * s)));
  const auto v = room_.views(t0 + 10'001 * s);
  EXPECT_EQ(staff(v, "iv").my_scorecard().scores(0).evidence(), "IVY-DRAFT-EVIDENCE");
  EXPECT_EQ(staff(v, "co").live_scorecards_size(), 1);
  EXPECT_EQ(staff(v, "ob").SerializeAsString().find("IVY-DRAFT-EVIDENCE"), std::string::npos);
  EXPECT_EQ(v.candidate_view.SerializeAsString().find("IVY-DRAFT-EVIDENCE"), std::string::npos);
}

TEST_F(Scoring, SubmittedCardsStaySealedUntilEveryExpectedRaterIsIn) {
  auto fx = submit("iv", 2, "IVY-SUBMITTED");
  ASSERT_TRUE(acked(fx));
  EXPECT_FALSE(fx.revealed);
  auto v = room_.views(t0 + 10'003 * s);
  const auto& ob = staff(v, "ob");
  EXPECT_EQ(ob.SerializeAsString().find("IVY-SUBMITTED"), std::string::npos) << "sealed from the other rater";
  EXPECT_EQ(std::vector<std::string>(ob.submitted_by().begin(), ob.submitted_by().end()), std::vector<std::string>{"iv"});
  EXPECT_EQ(ob.revealed_size(), 0);
  EXPECT_TRUE(ob.debrief_id().empty()) << "no record to point at before the reveal";
  EXPECT_EQ(error_of(room_.handle("iv", scorecard(3, false), t0 + 10'004 * s)), v1::ERROR_CODE_FAILED_PRECONDITION)
      << "a submitted card is final";

  fx = submit("ob", 4, "OBI-SUBMITTED");
  ASSERT_TRUE(acked(fx));
  EXPECT_TRUE(fx.revealed) << "the last expected rater triggers the reveal";
  EXPECT_EQ(room_.stage(), v1::ROOM_STAGE_REVEALED);
  v = room_.views(t0 + 10'005 * s);
  EXPECT_EQ(staff(v, "ob").revealed_size(), 2);
  EXPECT_EQ(staff(v, "ob").debrief_id(), "r1-1") << "staff learn where the round's record is";
  EXPECT_EQ(staff(v, "iv").aggregation().dimensions(0).spread(), 2u);
  EXPECT_EQ(staff(v, "iv").aggregation().widest_disagreement(0), "scoping");
  const auto debrief = room_.candidate_debrief("r1-1");
  EXPECT_EQ(debrief.scorecards_size(), 2);
  EXPECT_FALSE(debrief.timeline().empty());
}

TEST_F(Scoring, CoachOrInterviewerMayRevealWithoutWaiting) {
  submit("iv", 3, "x");
  EXPECT_EQ(error_of(room_.handle("ob", control(v1::RoomControl::ACTION_REVEAL), t0 + 10'010 * s)),
            v1::ERROR_CODE_PERMISSION_DENIED);
  auto fx = room_.handle("co", control(v1::RoomControl::ACTION_REVEAL), t0 + 10'010 * s);
  ASSERT_TRUE(acked(fx));
  EXPECT_TRUE(fx.revealed);
  EXPECT_EQ(error_of(room_.handle("ob", scorecard(2, true), t0 + 10'011 * s)), v1::ERROR_CODE_FAILED_PRECONDITION)
      << "late cards are refused after the reveal";
  const auto record = room_.debrief_record("r1-1", v1::SESSION_TYPE_PRIVATE, t0 + 10'012 * s);
  EXPECT_EQ(record.scorecards_size(), 1);
  EXPECT_EQ(record.scenario_id(), "unit");
  EXPECT_EQ(record.participants_size(), 4);
  EXPECT_EQ(record.rubric_size(), 1);
}

// The unit scenario's scoping with pass lines 2 3 3 4 (L4..L7).
std::shared_ptr<const v1::Scenario> leveled_scenario() {
  auto sc = std::make_shared<v1::Scenario>(*test_scenario());
  auto* d = sc->mutable_rubric(0);
  const uint32_t lines[] = {2, 3, 3, 4};
  for (int i = 0; i < 4; ++i) {
    auto* l = d->add_pass_lines();
    l->set_level(static_cast<v1::Level>(v1::LEVEL_L4 + i));
    l->set_score(lines[i]);
  }
  return sc;
}

TEST(RoomLevel, UnsetTakesTheScenariosLowestLevel) {
  room r("r1", test_scenario(), room_settings{}, t0);
  EXPECT_EQ(r.target_level(), v1::LEVEL_L5);
  EXPECT_EQ(r.views(t0).candidate_view.target_level(), v1::LEVEL_L5) << "the candidate knows the bar they practise for";
}

TEST(RoomLevel, CardsRecordsAndRebuildsKnowTheTargetLevel) {
  const auto sc = leveled_scenario();
  room r("r1", sc, room_settings{}, t0, v1::LEVEL_L7);
  r.join("iv", "Ivy", v1::ROLE_INTERVIEWER, 1, t0);
  r.join("ca", "Cal", v1::ROLE_CANDIDATE, 1, t0);
  r.handle("iv", control(v1::RoomControl::ACTION_START), t0);
  r.advance(t0 + 10'000 * s);
  ASSERT_EQ(r.stage(), v1::ROOM_STAGE_SCORING);

  // A draft of 3 on scoping: under the L7 line of 4, and the only dimension,
  // so more than half are under. A client's own at_level is overwritten by
  // the server's reading.
  auto draft = scorecard(3, false, "x");
  draft.mutable_save_scorecard()->mutable_scorecard()->mutable_at_level()->set_recommendation(
      v1::RECOMMENDATION_STRONG_YES);
  ASSERT_TRUE(acked(r.handle("iv", draft, t0 + 10'001 * s)));
  const auto views = r.views(t0 + 10'001 * s);
  ASSERT_EQ(views.staff_views.size(), 1u);
  const auto& mine = views.staff_views[0].second.my_scorecard();
  EXPECT_EQ(mine.at_level().level(), v1::LEVEL_L7);
  EXPECT_EQ(mine.at_level().recommendation(), v1::RECOMMENDATION_STRONG_NO);
  EXPECT_EQ(mine.at_level().reason(), "1 of 1 observed dimensions are under the L7 line: Scoping");

  auto fx = r.handle("iv", scorecard(4, true, "y"), t0 + 10'002 * s);
  ASSERT_TRUE(fx.to_persist);
  EXPECT_EQ(fx.to_persist->at_level().recommendation(), v1::RECOMMENDATION_STRONG_YES) << "4 meets and is the top";
  const auto card = *fx.to_persist;
  r.commit_submit("iv", card, fx.persist_request_id, t0 + 10'003 * s);
  const auto record = r.debrief_record("r1-1", v1::SESSION_TYPE_PRIVATE, t0 + 10'004 * s);
  EXPECT_EQ(record.target_level(), v1::LEVEL_L7);
  EXPECT_EQ(record.aggregation().at_level().recommendation(), v1::RECOMMENDATION_STRONG_YES);
  EXPECT_EQ(r.candidate_debrief("r1-1").aggregation().at_level().level(), v1::LEVEL_L7);

  room_history h;
  h.events = r.events();
  h.scenarios[1] = sc;
  h.cards[{1, "iv"}] = card;
  const auto rebuilt = room::rebuild("r1", room_settings{}, h);
  ASSERT_TRUE(rebuilt);
  EXPECT_EQ(rebuilt->target_level(), v1::LEVEL_L7);
  EXPECT_EQ(rebuilt->debrief_record("r1-1", v1::SESSION_TYPE_PRIVATE, t0).target_level(), v1::LEVEL_L7);
}

TEST_F(Scoring, BadScorecardsAreRefusedAndCandidatesDoNotScore) {
  EXPECT_EQ(error_of(room_.handle("ca", scorecard(3, false), t0 + 10'001 * s)), v1::ERROR_CODE_PERMISSION_DENIED);
  EXPECT_EQ(error_of(room_.handle("iv", scorecard(5, false), t0 + 10'001 * s)), v1::ERROR_CODE_INVALID_ARGUMENT);
  auto bad_dim = scorecard(3, false);
  bad_dim.mutable_save_scorecard()->mutable_scorecard()->mutable_scores(0)->set_dimension_id("nope");
  EXPECT_EQ(error_of(room_.handle("iv", bad_dim, t0 + 10'001 * s)), v1::ERROR_CODE_INVALID_ARGUMENT);
  EXPECT_EQ(error_of(room_.handle("iv", scorecard(3, true, "x", v1::RECOMMENDATION_UNSPECIFIED), t0 + 10'001 * s)),
            v1::ERROR_CODE_MISSING_FIELD);
}

TEST_F(Scoring, ACoachWhoStartsAReferenceCardIsWaitedFor) {
  // A coach who never scores is not waited for (the test above); one who
  // starts a card is, and their card is revealed with the others.
  ASSERT_TRUE(acked(room_.handle("co", scorecard(3, false, "COCO-DRAFT"), t0 + 10'001 * s)));
  submit("iv", 3, "x");
  auto fx = submit("ob", 4, "y");
  ASSERT_TRUE(acked(fx));
  EXPECT_FALSE(fx.revealed) << "the coach's reference card is still a draft";
  fx = submit("co", 2, "COCO-REFERENCE");
  ASSERT_TRUE(acked(fx));
  EXPECT_TRUE(fx.revealed);
  const auto record = room_.debrief_record("r1-1", v1::SESSION_TYPE_GROUP_COACHING, t0 + 10'003 * s);
  ASSERT_EQ(record.scorecards_size(), 3);
  EXPECT_NE(record.SerializeAsString().find("COCO-REFERENCE"), std::string::npos);
}

TEST_F(Scoring, ACoachWithoutACardDoesNotHoldUpTheReveal) {
  submit("iv", 3, "x");
  EXPECT_TRUE(submit("ob", 4, "y").revealed);
}

TEST_F(Scoring, ARaterLeavingCompletesTheSet) {
  submit("iv", 3, "x");
  auto fx = room_.leave("ob", t0 + 10'020 * s);
  EXPECT_TRUE(fx.revealed);
}

}  // namespace
}  // namespace mockloop

namespace mockloop {
namespace {

// Restart recovery: a room rebuilt from its event log is the room that
// logged it, and recover() keeps the downtime off the clock.
class Rebuild : public ::testing::Test {
 protected:
  static room_settings settings() {
    room_settings rs;
    rs.briefing_seconds = 60;
    return rs;
  }

  room_history history(const room& r) const {
    room_history h;
    h.events = r.events();
    h.scenarios[1] = test_scenario();
    for (const auto& [key, card] : cards_) h.cards[key] = card;
    for (const auto& [round, sc] : later_scenarios_) h.scenarios[round] = sc;
    return h;
  }

  // The views without draft scorecards: the one state kept outside the
  // log (docs/rooms.md, "What does not come back").
  static room_views without_drafts(room_views v) {
    for (auto& [id, staff] : v.staff_views) {
      if (staff.has_my_scorecard() && !staff.my_scorecard().submitted()) staff.clear_my_scorecard();
      auto* live = staff.mutable_live_scorecards();
      live->erase(std::remove_if(live->begin(), live->end(), [](const auto& c) { return !c.submitted(); }),
                  live->end());
    }
    return v;
  }

  // Everything a participant or the shell could observe, at `now`.
  static void expect_same(const room& a, const room& b, int64_t now, bool drafts_too = true) {
    const auto va = drafts_too ? a.views(now) : without_drafts(a.views(now));
    const auto vb = drafts_too ? b.views(now) : without_drafts(b.views(now));
    EXPECT_EQ(va.candidate_view.DebugString(), vb.candidate_view.DebugString());
    EXPECT_EQ(va.candidate_ids, vb.candidate_ids);
    ASSERT_EQ(va.staff_views.size(), vb.staff_views.size());
    for (size_t i = 0; i < va.staff_views.size(); ++i) {
      EXPECT_EQ(va.staff_views[i].first, vb.staff_views[i].first);
      EXPECT_EQ(va.staff_views[i].second.DebugString(), vb.staff_views[i].second.DebugString());
    }
    EXPECT_EQ(a.next_wakeup_ms(), b.next_wakeup_ms());
    EXPECT_EQ(a.tick(now).DebugString(), b.tick(now).DebugString());
    EXPECT_EQ(a.stage(), b.stage());
    EXPECT_EQ(a.round(), b.round());
    EXPECT_EQ(a.events().size(), b.events().size());
    EXPECT_EQ(a.scenario().id(), b.scenario().id());
    EXPECT_EQ(a.board_snapshot().DebugString(), b.board_snapshot().DebugString());
    EXPECT_EQ(a.user_hashes(), b.user_hashes());
    EXPECT_EQ(a.target_level(), b.target_level());
  }

  // After each step the room is what its log makes of it, now and later:
  // a live step that changed state without logging it shows up here.
  void expect_each_step_rebuilds(room& r, const std::vector<std::function<void(room&)>>& steps, int64_t now) {
    for (size_t i = 0; i < steps.size(); ++i) {
      SCOPED_TRACE("after step " + std::to_string(i));
      steps[i](r);
      const auto rebuilt = room::rebuild("r1", settings(), history(r));
      ASSERT_TRUE(rebuilt);
      EXPECT_EQ(rebuilt->events().back().DebugString(), r.events().back().DebugString());
      expect_same(r, *rebuilt, now, false);
      auto a = r, b = *rebuilt;  // and they go on alike
      a.advance(now + 400 * s);
      b.advance(now + 400 * s);
      expect_same(a, b, now + 400 * s, false);
    }
  }

  room_effects submit(room& r, const std::string& who, uint32_t rating, int64_t at) {
    auto fx = r.handle(who, scorecard(rating, true, "evidence of " + who), at);
    EXPECT_TRUE(fx.to_persist);
    if (!fx.to_persist) return fx;
    cards_[{r.round(), who}] = *fx.to_persist;  // what the shell stores before committing
    return r.commit_submit(who, *fx.to_persist, fx.persist_request_id, at);
  }

  std::map<std::pair<uint32_t, std::string>, v1::Scorecard> cards_;
  std::map<uint32_t, std::shared_ptr<const v1::Scenario>> later_scenarios_;
};

TEST_F(Rebuild, AnInterviewInProgressIsRebuiltExactly) {
  room r("r1", test_scenario(), settings(), t0);
  r.join("iv", "Ivy", v1::ROLE_INTERVIEWER, 1, t0);
  r.join("ca", "Cal", v1::ROLE_CANDIDATE, 1, t0 + s);
  r.join("ob", "Obi", v1::ROLE_OBSERVER, 1, t0 + 2 * s);
  r.join("gone", "Gus", v1::ROLE_OBSERVER, 1, t0 + 2 * s);
  ASSERT_TRUE(acked(r.handle("iv", control(v1::RoomControl::ACTION_START), t0 + 3 * s)));
  r.leave("gone", t0 + 4 * s);
  ASSERT_TRUE(acked(r.handle("iv", control(v1::RoomControl::ACTION_PAUSE), t0 + 10 * s)));
  ASSERT_TRUE(acked(r.handle("iv", control(v1::RoomControl::ACTION_RESUME), t0 + 30 * s)));
  r.advance(t0 + 100 * s);  // the briefing ends at its own deadline (t0 + 83 s)
  ASSERT_EQ(r.stage(), v1::ROOM_STAGE_INTERVIEW);
  ASSERT_TRUE(acked(r.handle("iv", control(v1::RoomControl::ACTION_EXTEND, 45), t0 + 110 * s)));
  ASSERT_TRUE(acked(r.handle("iv", ask("manual"), t0 + 120 * s)));
  ASSERT_TRUE(acked(r.handle("iv", tick_marker("proposes_meeting"), t0 + 130 * s)));  // fires say_no
  ASSERT_TRUE(acked(r.handle("iv", note("IVY-NOTE"), t0 + 140 * s)));
  ASSERT_TRUE(acked(r.handle("ob", note("OBI-NOTE"), t0 + 141 * s)));
  ASSERT_TRUE(acked(r.handle("iv", control(v1::RoomControl::ACTION_SKIP), t0 + 150 * s)));
  r.advance(t0 + 215 * s);  // phase_q comes due 60 s into "design"
  r.disconnect("ob", t0 + 220 * s);
  r.reconnect("ob", t0 + 230 * s);
  r.disconnect("ca", t0 + 240 * s);
  ASSERT_TRUE(acked(r.handle("iv", control(v1::RoomControl::ACTION_PAUSE), t0 + 250 * s)));
  ASSERT_TRUE(acked(r.handle("iv", control(v1::RoomControl::ACTION_RESUME), t0 + 260 * s)));
  ASSERT_EQ(r.views(t0 + 260 * s).candidate_view.asked_size(), 3);

  const auto rebuilt = room::rebuild("r1", settings(), history(r));
  ASSERT_TRUE(rebuilt);
  for (int64_t at : {t0 + 260 * s, t0 + 300 * s, t0 + 900 * s}) expect_same(r, *rebuilt, at);

  // And they go on alike: the same deadlines, the same scripted follow-ups.
  auto later = *rebuilt;
  r.advance(t0 + 2000 * s);
  later.advance(t0 + 2000 * s);
  expect_same(r, later, t0 + 2000 * s);
}

TEST_F(Rebuild, EveryLiveStepIsWhatItsEventsMake) {
  room r("r1", test_scenario(), settings(), t0, v1::LEVEL_L6);
  int64_t now = t0;
  const auto at = [&](int64_t seconds) { return now = t0 + seconds * s; };
  const auto ok = [](const room_effects& fx) {
    EXPECT_TRUE(fx.replies.empty() || !fx.replies[0].has_error()) << fx.replies[0].DebugString();
  };
  expect_each_step_rebuilds(
      r,
      {
          [&](room& x) { ok(x.join("iv", "Ivy", v1::ROLE_INTERVIEWER, 1, at(1), "hash-ivy")); },
          [&](room& x) { ok(x.join("ca", "Cal", v1::ROLE_CANDIDATE, 1, at(2), "hash-cal")); },
          [&](room& x) { ok(x.join("ob", "Obi", v1::ROLE_OBSERVER, 1, at(3))); },
          [&](room& x) { ok(x.handle("iv", control(v1::RoomControl::ACTION_START), at(4))); },
          [&](room& x) { ok(x.handle("iv", control(v1::RoomControl::ACTION_PAUSE), at(10))); },
          [&](room& x) { ok(x.handle("iv", control(v1::RoomControl::ACTION_SKIP), at(12))); },  // paused: stays paused
          [&](room& x) { ok(x.handle("iv", control(v1::RoomControl::ACTION_RESUME), at(20))); },
          [&](room& x) { ok(x.handle("iv", control(v1::RoomControl::ACTION_EXTEND, 30), at(25))); },
          [&](room& x) { ok(x.handle("ca", box("api", 100, 100, "API"), at(30))); },
          [&](room& x) { ok(x.handle("ca", box("db", 600, 100, "DB"), at(31))); },
          [&](room& x) { ok(x.handle("iv", arrow("a1", "api", "db", "reads"), at(32))); },
          [&](room& x) { ok(x.handle("ca", erase("db"), at(33))); },  // the arrow goes with it
          [&](room& x) { ok(x.handle("iv", ask_free("Why that order?"), at(40))); },
          [&](room& x) { ok(x.handle("iv", tick_marker("proposes_meeting"), at(45))); },  // fires say_no
          [&](room& x) { ok(x.handle("ob", note("OBI-NOTE"), at(50))); },
          [&](room& x) {
            ok(x.handle("iv", scorecard(2, false, "a draft"), at(55)));
            const auto rebuilt = room::rebuild("r1", settings(), history(x));
            const auto staff = rebuilt->views(now).staff_views;
            ASSERT_EQ(staff.at(0).first, "iv");
            EXPECT_FALSE(staff.at(0).second.has_my_scorecard()) << "a draft is not logged, so not rebuilt";
          },
          [&](room& x) { ok(x.disconnect("ob", at(60))); },
          [&](room& x) { ok(x.reconnect("ob", at(70))); },
          [&](room& x) { ok(x.disconnect("ob", at(80))); },
          [&](room& x) { ok(x.advance(at(80 + 121))); },  // past the grace window: released
          [&](room& x) { ok(x.advance(at(5000))); },      // every phase ends on its own
          [&](room& x) { ok(submit(x, "iv", 3, at(5001))); },  // the one rater left: revealed
          [&](room& x) { ok(x.leave("ca", at(5002))); },
          [&](room& x) { ok(x.handle("iv", control(v1::RoomControl::ACTION_CLOSE), at(5003))); },
      },
      now);
  ASSERT_EQ(r.stage(), v1::ROOM_STAGE_CLOSED);
  EXPECT_EQ(r.debrief_record("r1-1", v1::SESSION_TYPE_PRIVATE, now).scorecards_size(), 1);
}

TEST_F(Rebuild, AForfeitAndARecoveryAreWhatTheirEventsMake) {
  auto rs = settings();
  rs.forfeit_on_release = true;
  room r("r1", test_scenario(), rs, t0);
  int64_t now = t0;
  const auto at = [&](int64_t seconds) { return now = t0 + seconds * s; };
  r.join("iv", "Ivy", v1::ROLE_INTERVIEWER, 1, at(1));
  r.join("ca", "Cal", v1::ROLE_CANDIDATE, 1, at(2));
  r.handle("iv", control(v1::RoomControl::ACTION_START), at(3));
  auto back = room::rebuild("r1", rs, history(r));
  ASSERT_TRUE(back);
  back->recover(t0 + 50 * s, at(100));
  back->reconnect("iv", at(101));
  const auto fx = back->advance(at(100 + 121));  // the candidate never came back
  EXPECT_TRUE(fx.forfeited);
  ASSERT_EQ(back->stage(), v1::ROOM_STAGE_CLOSED);
  const auto again = room::rebuild("r1", rs, history(*back));
  ASSERT_TRUE(again);
  expect_same(*back, *again, now);
}

TEST_F(Rebuild, ScoringRevealAndANextRoundOnAnotherScenario) {
  room r("r1", test_scenario(), settings(), t0);
  r.join("co", "Coco", v1::ROLE_COACH, 1, t0);
  r.join("ca", "Cal", v1::ROLE_CANDIDATE, 1, t0);
  r.join("ob", "Obi", v1::ROLE_OBSERVER, 1, t0);
  r.handle("co", control(v1::RoomControl::ACTION_START), t0);
  r.advance(t0 + 10'000 * s);
  ASSERT_EQ(r.stage(), v1::ROOM_STAGE_SCORING);
  ASSERT_TRUE(submit(r, "ob", 3, t0 + 10'001 * s).revealed) << "the observer was the one rater expected";
  auto other = std::make_shared<v1::Scenario>(*test_scenario());
  other->set_id("unit-2");
  other->mutable_phases()->RemoveLast();
  later_scenarios_[2] = other;
  ASSERT_TRUE(acked(r.next_round("co", other, 3, t0 + 10'003 * s)));
  ASSERT_TRUE(acked(r.handle("co", hot_seat("ob"), t0 + 10'004 * s)));
  ASSERT_TRUE(acked(r.handle("co", control(v1::RoomControl::ACTION_START), t0 + 10'005 * s)));
  r.advance(t0 + 10'100 * s);

  const auto rebuilt = room::rebuild("r1", settings(), history(r));
  ASSERT_TRUE(rebuilt);
  EXPECT_EQ(rebuilt->scenario().id(), "unit-2");
  EXPECT_EQ(rebuilt->role_of("ob"), v1::ROLE_CANDIDATE);
  expect_same(r, *rebuilt, t0 + 10'100 * s);
}

TEST_F(Rebuild, ARevealedRoundKeepsItsStoredScorecards) {
  room r("r1", test_scenario(), settings(), t0);
  r.join("iv", "Ivy", v1::ROLE_INTERVIEWER, 1, t0);
  r.join("ca", "Cal", v1::ROLE_CANDIDATE, 1, t0);
  r.handle("iv", control(v1::RoomControl::ACTION_START), t0);
  r.advance(t0 + 10'000 * s);
  ASSERT_TRUE(submit(r, "iv", 4, t0 + 10'001 * s).revealed);
  const auto rebuilt = room::rebuild("r1", settings(), history(r));
  ASSERT_TRUE(rebuilt);
  expect_same(r, *rebuilt, t0 + 10'002 * s);
  EXPECT_EQ(rebuilt->debrief_record("r1-1", v1::SESSION_TYPE_PRIVATE, t0).scorecards_size(), 1);

  cards_.clear();  // the log names a card the store does not have: not this room
  EXPECT_FALSE(room::rebuild("r1", settings(), history(r)));
}

TEST_F(Rebuild, RecoveryKeepsTheDowntimeOffTheClockAndHoldsEverySeat) {
  room r("r1", test_scenario(), settings(), t0);
  r.join("iv", "Ivy", v1::ROLE_INTERVIEWER, 1, t0);
  r.join("ca", "Cal", v1::ROLE_CANDIDATE, 1, t0);
  r.handle("iv", control(v1::RoomControl::ACTION_START), t0);
  r.advance(t0 + 60 * s);  // "clarify" runs to t0 + 360 s
  ASSERT_TRUE(acked(r.handle("iv", ask("manual"), t0 + 70 * s)));

  // Last sign of life at t0 + 100 s (260 s left); back at t0 + 1000 s.
  auto back = room::rebuild("r1", settings(), history(r));
  ASSERT_TRUE(back);
  const auto fx = back->recover(t0 + 100 * s, t0 + 1000 * s);
  EXPECT_TRUE(fx.state_changed);
  const auto c = back->tick(t0 + 1000 * s).clock();
  EXPECT_EQ(c.phase_id(), "clarify");
  EXPECT_EQ(c.remaining_ms(), 260 * s);
  EXPECT_EQ(c.deadline_ms(), t0 + 1260 * s);
  EXPECT_EQ(c.interview_elapsed_ms(), 40 * s);
  const auto views = back->views(t0 + 1000 * s);
  ASSERT_EQ(views.candidate_view.participants_size(), 2);
  for (const auto& p : views.candidate_view.participants()) EXPECT_FALSE(p.connected());
  EXPECT_EQ(back->next_wakeup_ms(), t0 + 1000 * s + room_settings{}.reconnect_grace_ms);
  ASSERT_TRUE(back->events().back().has_recovered());

  // A second crash replays the first recovery too.
  const auto again = room::rebuild("r1", settings(), history(*back));
  ASSERT_TRUE(again);
  expect_same(*back, *again, t0 + 1010 * s);

  // A down_since before the log's last event counts up to that event.
  auto early = room::rebuild("r1", settings(), history(r));
  early->recover(t0, t0 + 1000 * s);
  EXPECT_EQ(early->tick(t0 + 1000 * s).clock().remaining_ms(), 290 * s);

  // Back within the window: the seat and the clock go on.
  back->reconnect("iv", t0 + 1001 * s);
  back->advance(t0 + 1261 * s);
  EXPECT_EQ(back->tick(t0 + 1261 * s).clock().phase_id(), "design");
  EXPECT_FALSE(back->role_of("ca")) << "not back within the window (to t0 + 1120 s): released";
  EXPECT_EQ(back->role_of("iv"), v1::ROLE_INTERVIEWER);
}

TEST_F(Rebuild, AnUnusableHistoryIsRefused) {
  room r("r1", test_scenario(), settings(), t0);
  r.join("iv", "Ivy", v1::ROLE_INTERVIEWER, 1, t0);
  auto h = history(r);
  h.scenarios.clear();
  EXPECT_FALSE(room::rebuild("r1", settings(), h));
  h = history(r);
  h.events.erase(h.events.begin());  // seq no longer starts at 1
  EXPECT_FALSE(room::rebuild("r1", settings(), h));
  EXPECT_FALSE(room::rebuild("r1", settings(), room_history{}));
}

}  // namespace
}  // namespace mockloop
