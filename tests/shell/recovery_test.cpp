// Restart recovery: the server is SIGKILLed mid-interview and started again
// on the same data directory. Rooms come back from their event logs, clients
// resume with their tokens into their seats, the downtime is not counted on
// the clock, acknowledged scorecards and the rooms' codes still hold.
#include <filesystem>
#include <thread>

#include <gtest/gtest.h>

#include "requests.h"
#include "server_process.h"
#include "test_server.h"

namespace mockloop::testing {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

struct seat {
  std::unique_ptr<client> c;
  v1::Welcome welcome;
  std::string pid;
};

class Recovery : public ::testing::Test {
 protected:
  Recovery() {
    data_ = fs::path(::testing::TempDir()) / ("mockloop-recovery-" + std::to_string(::getpid()));
    fs::remove_all(data_);
  }
  ~Recovery() override { fs::remove_all(data_); }

  std::unique_ptr<server_process> start() {
    auto p = std::make_unique<server_process>(std::vector<std::string>{
        "--port", "0", "--data-dir", data_.string(), "--scenarios", std::string(MOCKLOOP_SOURCE_DIR) + "/scenarios",
        "--messages-per-second", "1000", "--reconnect-grace-seconds", "60"});
    port_ = p->wait_for_port();
    return p;
  }

  client_options options() const {
    client_options o;
    o.port = port_;
    o.wire = encoding::json;
    return o;
  }

  // Connected and said hello; with `token`, as a resume.
  void connect(seat& s, const std::string& name, const std::string& token = {}) {
    s.c = std::make_unique<client>(options());
    ASSERT_TRUE(s.c->connect());
    auto w = s.c->hello(name, {}, token);
    ASSERT_TRUE(w) << w.error().message;
    s.welcome = w.value();
  }

  void join_with(seat& s, const std::string& name, const std::string& code) {
    connect(s, name);
    auto joined = s.c->request(join(code));
    ASSERT_TRUE(joined && joined->has_joined());
    s.pid = joined->joined().participant_id();
  }

  // A resumed seat gets Joined, its role's briefing and the state, as pushes.
  void expect_resumed(seat& s, const std::string& name, v1::Role role) {
    const auto old = s.welcome;
    connect(s, name, old.resume_token());
    EXPECT_TRUE(s.welcome.resumed()) << name;
    EXPECT_EQ(s.welcome.session_id(), old.session_id()) << name;
    auto joined = s.c->wait_for([](const auto& m) { return m.has_joined(); });
    ASSERT_TRUE(joined) << name;
    EXPECT_EQ(joined->joined().participant_id(), s.pid);
    EXPECT_EQ(joined->joined().role(), role);
    auto brief = s.c->wait_for([](const auto& m) { return m.has_candidate_briefing() || m.has_staff_briefing(); });
    ASSERT_TRUE(brief) << name;
    EXPECT_EQ(brief->has_staff_briefing(), role != v1::ROLE_CANDIDATE);
  }

  // An interviewer who creates a room and a candidate who joins it.
  void open_room(seat& iv, seat& ca) {
    connect(iv, "Ivy");
    auto created = iv.c->request(create_room("failed-canary-release"));
    ASSERT_TRUE(created && created->has_room_created());
    iv.pid = iv.welcome.session_id();
    join_with(ca, "Cal", code_for(created->room_created(), v1::ROLE_CANDIDATE));
  }

  fs::path data_;
  uint16_t port_ = 0;
};

TEST_F(Recovery, RoomsComeBackAfterSigkillWithTheirSeatsClockAndScorecards) {
  auto proc = start();
  ASSERT_NE(port_, 0) << proc->log();

  // Room A: an interview in its first phase, a follow-up asked, a note written.
  seat iv, ca;
  connect(iv, "Ivy");
  auto created = iv.c->request(create_room("failed-canary-release"));
  ASSERT_TRUE(created && created->has_room_created());
  const auto codes = created->room_created();
  auto brief = iv.c->wait_for([](const auto& m) { return m.has_staff_briefing(); });
  ASSERT_TRUE(brief);
  const auto scenario = brief->staff_briefing().scenario();
  iv.pid = iv.welcome.session_id();
  join_with(ca, "Cal", code_for(codes, v1::ROLE_CANDIDATE));
  ASSERT_TRUE(iv.c->request(control(v1::RoomControl::ACTION_START))->has_ack());
  ASSERT_TRUE(accepted(iv.c->request(control(v1::RoomControl::ACTION_SKIP)).value()));  // the briefing
  ASSERT_TRUE(accepted(iv.c->request(ask_free("RECOVERY-FOLLOW-UP")).value()));
  ASSERT_TRUE(iv.c->request(note("RECOVERY-NOTE"))->has_staff_room_change());
  ASSERT_TRUE(ca.c->request(box("canary", 100, 100, "RECOVERY-BOX"))->has_ack());
  ASSERT_TRUE(ca.c->request(box("fleet", 500, 100, "Fleet"))->has_ack());
  ASSERT_TRUE(ca.c->request(arrow("e", "canary", "fleet", "5%"))->has_ack());

  // Room B: in scoring, one of its two raters has submitted.
  seat iv2, ca2, ob2;
  connect(iv2, "Ida");
  auto created2 = iv2.c->request(create_room("failed-canary-release"));
  ASSERT_TRUE(created2 && created2->has_room_created());
  iv2.pid = iv2.welcome.session_id();
  join_with(ca2, "Cid", code_for(created2->room_created(), v1::ROLE_CANDIDATE));
  join_with(ob2, "Oda", code_for(created2->room_created(), v1::ROLE_OBSERVER));
  ASSERT_TRUE(iv2.c->request(control(v1::RoomControl::ACTION_START))->has_ack());
  for (int i = 0; i <= scenario.phases_size(); ++i)
    ASSERT_TRUE(accepted(iv2.c->request(control(v1::RoomControl::ACTION_SKIP)).value()));
  auto acked = iv2.c->request(scorecard(scenario, 3, "DURABLE-CARD", true));
  ASSERT_TRUE(acked && acked->has_staff_room_change());  // sealed: the others have not submitted

  // The clock as the interviewer last saw it, then the crash.
  auto tick = iv.c->wait_for([](const auto& m) { return m.has_tick(); });
  ASSERT_TRUE(tick);
  const auto before = tick->tick().clock();
  ASSERT_EQ(before.stage(), v1::ROOM_STAGE_INTERVIEW);
  proc->signal(SIGKILL);
  ASSERT_EQ(proc->wait_exit(10s), 128 + SIGKILL);
  // Down for a while: none of it may come off the interview.
  constexpr auto downtime = 6s;
  std::this_thread::sleep_for(downtime);

  proc = start();
  ASSERT_NE(port_, 0) << proc->log();
  EXPECT_NE(proc->log().find("recovered 2 rooms"), std::string::npos) << proc->log();

  expect_resumed(iv, "Ivy", v1::ROLE_INTERVIEWER);
  if (HasFatalFailure()) return;
  auto staff = iv.c->wait_for([](const auto& m) { return m.has_staff_room_state(); });
  ASSERT_TRUE(staff);
  const auto& st = staff->staff_room_state();
  const auto& clock = st.room().clock();
  EXPECT_EQ(clock.stage(), v1::ROOM_STAGE_INTERVIEW);
  EXPECT_EQ(clock.phase_id(), before.phase_id());
  EXPECT_FALSE(clock.paused());
  // The time between the last tick and the kill, and from the restart to
  // this push, may count (a second or so); the downtime must not.
  EXPECT_LE(clock.remaining_ms(), before.remaining_ms() + 1500);
  EXPECT_GE(clock.remaining_ms(), before.remaining_ms() - 3000)
      << "remaining " << clock.remaining_ms() << " ms after the restart, " << before.remaining_ms() << " before";
  ASSERT_EQ(st.room().asked_size(), 1);
  EXPECT_EQ(st.room().asked(0).text(), "RECOVERY-FOLLOW-UP");
  ASSERT_EQ(st.notes_size(), 1);
  EXPECT_EQ(st.notes(0).text(), "RECOVERY-NOTE");

  const auto ca_token_before = ca.welcome.resume_token();
  expect_resumed(ca, "Cal", v1::ROLE_CANDIDATE);
  if (HasFatalFailure()) return;
  // The acknowledged board came back from the log with the room.
  auto board = ca.c->wait_for([](const auto& m) { return m.has_board(); });
  ASSERT_TRUE(board);
  ASSERT_EQ(board->board().objects_size(), 3);
  EXPECT_EQ(board->board().objects(0).text(), "RECOVERY-BOX");
  EXPECT_EQ(board->board().seq(), 3u);
  auto cstate = ca.c->wait_for([](const auto& m) { return m.has_room_state(); });
  ASSERT_TRUE(cstate);
  EXPECT_EQ(cstate->room_state().clock().phase_id(), before.phase_id());
  EXPECT_EQ(cstate->room_state().asked_size(), 1);
  // Both back: the interviewer sees everyone connected again.
  EXPECT_TRUE(iv.c->wait_for([&](const auto& m) {
    if (!m.has_staff_room_state()) return false;
    const auto& ps = m.staff_room_state().room().participants();
    return ps.size() == 2 && ps[0].connected() && ps[1].connected();
  }));
  // Requests work on the recovered room, as the same participant.
  EXPECT_TRUE(accepted(iv.c->request(ask_free("AFTER-THE-RESTART")).value()));

  // The room's code still opens it.
  seat ob;
  join_with(ob, "Obi", code_for(codes, v1::ROLE_OBSERVER));
  if (HasFatalFailure()) return;

  // Room B: the acknowledged card survived; its rater finds it as submitted.
  expect_resumed(iv2, "Ida", v1::ROLE_INTERVIEWER);
  if (HasFatalFailure()) return;
  auto st2 = iv2.c->wait_for([](const auto& m) { return m.has_staff_room_state(); });
  ASSERT_TRUE(st2);
  EXPECT_EQ(st2->staff_room_state().room().clock().stage(), v1::ROOM_STAGE_SCORING);
  EXPECT_TRUE(st2->staff_room_state().my_scorecard().submitted());
  ASSERT_GT(st2->staff_room_state().my_scorecard().scores_size(), 0);
  EXPECT_EQ(st2->staff_room_state().my_scorecard().scores(0).evidence(), "DURABLE-CARD");
  ASSERT_EQ(st2->staff_room_state().submitted_by_size(), 1);
  EXPECT_EQ(st2->staff_room_state().submitted_by(0), iv2.pid);

  // The token used after the restart is spent once its successor is used.
  ca.c->close();
  expect_resumed(ca, "Cal", v1::ROLE_CANDIDATE);
  if (HasFatalFailure()) return;
  client again(options());
  ASSERT_TRUE(again.connect());
  auto w = again.hello("Mallory", {}, ca_token_before);
  ASSERT_TRUE(w);
  EXPECT_FALSE(w->resumed());
}

// Resumed after the first restart, the room survives a second one: the new
// tokens were stored, and the first recovery is in the log.
TEST_F(Recovery, ASecondCrashRecoversTheRecoveredRoom) {
  auto proc = start();
  ASSERT_NE(port_, 0) << proc->log();
  seat iv, ca;
  open_room(iv, ca);
  if (HasFatalFailure()) return;
  ASSERT_TRUE(iv.c->request(control(v1::RoomControl::ACTION_START))->has_ack());

  const auto first_token = iv.welcome.resume_token();
  for (int crash = 0; crash < 2; ++crash) {
    proc->signal(SIGKILL);
    ASSERT_EQ(proc->wait_exit(10s), 128 + SIGKILL);
    proc = start();
    ASSERT_NE(port_, 0) << proc->log();
    expect_resumed(iv, "Ivy", v1::ROLE_INTERVIEWER);
    if (HasFatalFailure()) return;
    auto st = iv.c->wait_for([](const auto& m) { return m.has_staff_room_state(); });
    ASSERT_TRUE(st);
    EXPECT_EQ(st->staff_room_state().room().clock().stage(), v1::ROOM_STAGE_BRIEFING) << "crash " << crash;
  }
  // The token spent after the first restart was dropped from the store too.
  {
    client old(options());
    ASSERT_TRUE(old.connect());
    auto w = old.hello("Ivy", {}, first_token);
    ASSERT_TRUE(w);
    EXPECT_FALSE(w->resumed());
  }
}

// A clean stop (an upgrade, a host reboot) ends no interview: the rooms stay
// open in the store, the next start rebuilds them, their clients resume.
TEST_F(Recovery, ACleanStopKeepsTheRoomsForTheNextStart) {
  auto proc = start();
  ASSERT_NE(port_, 0) << proc->log();
  seat iv, ca;
  open_room(iv, ca);
  if (HasFatalFailure()) return;
  ASSERT_TRUE(iv.c->request(control(v1::RoomControl::ACTION_START))->has_ack());
  ASSERT_TRUE(accepted(iv.c->request(control(v1::RoomControl::ACTION_SKIP)).value()));
  ASSERT_TRUE(iv.c->request(note("BEFORE-THE-STOP"))->has_staff_room_change());

  proc->signal(SIGTERM);
  auto closed = iv.c->wait_closed(5s);
  ASSERT_TRUE(closed);
  EXPECT_EQ(closed->code, 1001);
  ASSERT_EQ(proc->wait_exit(10s), 0) << proc->log();
  proc = start();
  ASSERT_NE(port_, 0) << proc->log();
  EXPECT_NE(proc->log().find("recovered 1 rooms"), std::string::npos) << proc->log();

  expect_resumed(iv, "Ivy", v1::ROLE_INTERVIEWER);
  if (HasFatalFailure()) return;
  auto st = iv.c->wait_for([](const auto& m) { return m.has_staff_room_state(); });
  ASSERT_TRUE(st);
  EXPECT_EQ(st->staff_room_state().room().clock().stage(), v1::ROOM_STAGE_INTERVIEW);
  ASSERT_EQ(st->staff_room_state().notes_size(), 1);
  EXPECT_EQ(st->staff_room_state().notes(0).text(), "BEFORE-THE-STOP");
  expect_resumed(ca, "Cal", v1::ROLE_CANDIDATE);
}

// The server dies while a client resumes: the Welcome with the new token may
// never have reached it. The token it resumed with still opens the seat
// after the restart (and retires the one it never saw).
TEST_F(Recovery, ACrashDuringAResumeKeepsTheTokenTheClientHolds) {
  auto proc = start();
  ASSERT_NE(port_, 0) << proc->log();
  seat iv, ca;
  open_room(iv, ca);
  if (HasFatalFailure()) return;

  const auto held = ca.welcome;  // what the client holds
  std::string unseen;
  {
    seat again;
    connect(again, "Cal", held.resume_token());
    ASSERT_TRUE(again.welcome.resumed());
    unseen = again.welcome.resume_token();
    // Stored by the time the resumed session has its room back.
    ASSERT_TRUE(again.c->wait_for([](const auto& m) { return m.has_room_state(); }));
  }
  proc->signal(SIGKILL);
  ASSERT_EQ(proc->wait_exit(10s), 128 + SIGKILL);
  proc = start();
  ASSERT_NE(port_, 0) << proc->log();

  ca.welcome = held;
  expect_resumed(ca, "Cal", v1::ROLE_CANDIDATE);
  if (HasFatalFailure()) return;
  client late(options());
  ASSERT_TRUE(late.connect());
  auto w = late.hello("Cal", {}, unseen);
  ASSERT_TRUE(w);
  EXPECT_FALSE(w->resumed()) << "retired when its sibling was used";
}

// Two servers on one data directory (the tests' shared one, say): the
// second does not take the first one's live rooms; only once that one has
// died are they claimed, by exactly one server.
TEST_F(Recovery, ALiveServersRoomsAreLeftAlone) {
  auto first = start();
  ASSERT_NE(port_, 0) << first->log();
  const auto first_port = port_;
  seat iv;
  connect(iv, "Ivy");
  ASSERT_TRUE(iv.c->request(create_room("failed-canary-release"))->has_room_created());

  auto second = start();
  ASSERT_NE(port_, 0) << second->log();
  EXPECT_EQ(second->log().find("recovered"), std::string::npos) << second->log();
  EXPECT_NE(http_get(port_, "/metrics").body.find("\nmockloop_rooms 0\n"), std::string::npos);
  EXPECT_NE(http_get(first_port, "/metrics").body.find("\nmockloop_rooms 1\n"), std::string::npos);

  first->signal(SIGKILL);
  ASSERT_EQ(first->wait_exit(10s), 128 + SIGKILL);
  auto third = start();
  ASSERT_NE(port_, 0) << third->log();
  EXPECT_NE(third->log().find("recovered 1 rooms"), std::string::npos) << third->log();
  EXPECT_NE(http_get(port_, "/metrics").body.find("\nmockloop_rooms 1\n"), std::string::npos);
}

}  // namespace
}  // namespace mockloop::testing
