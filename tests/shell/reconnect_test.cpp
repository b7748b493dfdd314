// Staying in the room: a dropped client resumes with its token and gets the
// whole state back; the others see it go and come back; a seat not reclaimed
// in time is released; a second device shares its owner's seat. And the
// limits around who may connect: Origin, connections per address, rooms per
// user; and that nothing is left behind once everyone has gone.
#include <gtest/gtest.h>

#include "requests.h"
#include "test_server.h"

namespace mockloop::testing {
namespace {

using namespace std::chrono_literals;

// The `connected` flag of participant `pid` in a state push.
std::optional<bool> connected_in(const v1::ServerMessage& m, const std::string& pid) {
  const v1::RoomState* s = m.has_room_state() ? &m.room_state()
                           : m.has_staff_room_state() ? &m.staff_room_state().room()
                                                      : nullptr;
  if (!s) return std::nullopt;
  for (const auto& p : s->participants())
    if (p.participant_id() == pid) return p.connected();
  return std::nullopt;
}

int64_t metric(uint16_t port, const std::string& name) {
  const auto body = http_get(port, "/metrics").body;
  const auto at = body.find("\n" + name + " ");
  if (at == std::string::npos) return -1;
  return std::stoll(body.substr(at + name.size() + 2));
}

class Reconnect : public ::testing::Test {
 protected:
  static void tweak(server_config& c) {
    c.scenarios_dir = std::string(MOCKLOOP_SOURCE_DIR) + "/scenarios";
    c.messages_per_second = 1000;
    c.reconnect_grace_seconds = 3;
  }

  // An interviewer and a candidate in a started room.
  void seat_and_start() {
    iv_ = server_.connect(encoding::binary, true, "Ivy");
    auto created = iv_->request(create_room("failed-canary-release"));
    ASSERT_TRUE(created && created->has_room_created());
    codes_ = created->room_created();
    ca_ = std::make_unique<client>(server_.options(encoding::json));
    ASSERT_TRUE(ca_->connect());
    auto w = ca_->hello("Cal");
    ASSERT_TRUE(w);
    ca_welcome_ = w.value();
    auto joined = ca_->request(join(code_for(codes_, v1::ROLE_CANDIDATE)));
    ASSERT_TRUE(joined && joined->has_joined());
    ca_pid_ = joined->joined().participant_id();
    ASSERT_TRUE(iv_->request(control(v1::RoomControl::ACTION_START))->has_ack());
  }

  test_server server_{tweak};
  std::unique_ptr<client> iv_, ca_;
  v1::RoomCreated codes_;
  v1::Welcome ca_welcome_;
  std::string ca_pid_;
};

TEST_F(Reconnect, ADroppedCandidateResumesWithTheWholeState) {
  seat_and_start();
  ca_.reset();  // the socket goes without a LeaveRoom
  auto gone = iv_->wait_for([&](const auto& m) { return connected_in(m, ca_pid_) == false; });
  ASSERT_TRUE(gone) << "the interviewer should see the candidate reconnecting";

  client back(server_.options(encoding::json));
  ASSERT_TRUE(back.connect());
  auto w = back.hello("Cal", {}, ca_welcome_.resume_token());
  ASSERT_TRUE(w) << w.error().message;
  EXPECT_TRUE(w->resumed());
  EXPECT_EQ(w->session_id(), ca_welcome_.session_id());
  EXPECT_NE(w->resume_token(), ca_welcome_.resume_token()) << "a used token is replaced";

  auto joined = back.wait_for([](const auto& m) { return m.has_joined(); });
  ASSERT_TRUE(joined);
  EXPECT_EQ(joined->request_id(), 0u);
  EXPECT_EQ(joined->joined().participant_id(), ca_pid_);
  EXPECT_EQ(joined->joined().role(), v1::ROLE_CANDIDATE);
  auto brief = back.wait_for([](const auto& m) { return m.has_candidate_briefing() || m.has_staff_briefing(); });
  ASSERT_TRUE(brief);
  EXPECT_TRUE(brief->has_candidate_briefing()) << "the candidate's type of briefing, never the staff one";
  auto state = back.wait_for([](const auto& m) { return m.has_room_state(); });
  ASSERT_TRUE(state);
  EXPECT_EQ(state->room_state().clock().stage(), v1::ROOM_STAGE_BRIEFING) << "the clock kept running";
  EXPECT_TRUE(iv_->wait_for([&](const auto& m) { return connected_in(m, ca_pid_) == true; }))
      << "the interviewer should see the candidate back";

  // Requests work again from the new connection, as the same participant.
  auto note_reply = back.request(note("not allowed for candidates"));
  ASSERT_TRUE(note_reply);
  EXPECT_TRUE(note_reply->has_error());
  EXPECT_EQ(note_reply->error().code(), v1::ERROR_CODE_PERMISSION_DENIED);

  // The token resumed with is spent once its successor has been used.
  const auto second_token = w->resume_token();
  back.close();
  client again(server_.options(encoding::json));
  ASSERT_TRUE(again.connect());
  auto w2 = again.hello("Cal", {}, second_token);
  ASSERT_TRUE(w2);
  EXPECT_TRUE(w2->resumed());
  client thief(server_.options(encoding::binary));
  ASSERT_TRUE(thief.connect());
  auto tw = thief.hello("Mallory", {}, ca_welcome_.resume_token());
  ASSERT_TRUE(tw);
  EXPECT_FALSE(tw->resumed());
  EXPECT_NE(tw->session_id(), ca_welcome_.session_id());
  EXPECT_GE(server_.stats().resumes_refused.load(), 1u);
}

// The Welcome carrying the new token can be lost with the connection that
// asked for it; the client still holds only the token it resumed with, and
// that one must still open the seat. Whichever of the two is used next
// retires the other.
TEST_F(Reconnect, ATokenStaysValidUntilItsSuccessorIsUsed) {
  seat_and_start();
  ca_.reset();
  std::string lost;
  {
    client back(server_.options(encoding::json));
    ASSERT_TRUE(back.connect());
    auto w = back.hello("Cal", {}, ca_welcome_.resume_token());
    ASSERT_TRUE(w && w->resumed());
    lost = w->resume_token();  // as if it never arrived: dropped with the socket
  }
  client again(server_.options(encoding::json));
  ASSERT_TRUE(again.connect());
  auto w = again.hello("Cal", {}, ca_welcome_.resume_token());
  ASSERT_TRUE(w);
  EXPECT_TRUE(w->resumed()) << "the token the client still holds";
  EXPECT_EQ(w->session_id(), ca_welcome_.session_id());
  auto joined = again.wait_for([](const auto& m) { return m.has_joined(); });
  ASSERT_TRUE(joined);
  EXPECT_EQ(joined->joined().participant_id(), ca_pid_);

  client late(server_.options(encoding::json));
  ASSERT_TRUE(late.connect());
  auto lw = late.hello("Cal", {}, lost);
  ASSERT_TRUE(lw);
  EXPECT_FALSE(lw->resumed()) << "the lost token was retired when its sibling was used";
}

// A client dropped and back at once: its old session may still be being
// destroyed on another I/O thread, and the resume must not be refused for it.
TEST_F(Reconnect, AResumeRightAfterADropIsNeverRefused) {
  seat_and_start();
  auto token = ca_welcome_.resume_token();
  for (int i = 0; i < 40; ++i) {
    ca_.reset();
    ca_ = std::make_unique<client>(server_.options(encoding::json));
    ASSERT_TRUE(ca_->connect());
    auto w = ca_->hello("Cal", {}, token);
    ASSERT_TRUE(w);
    ASSERT_TRUE(w->resumed()) << "attempt " << i;
    token = w->resume_token();
    auto joined = ca_->wait_for([](const auto& m) { return m.has_joined(); });
    ASSERT_TRUE(joined) << "attempt " << i;
    EXPECT_EQ(joined->joined().participant_id(), ca_pid_);
  }
}

// Back after the reveal, the candidate finds their debrief: it was pushed
// while they were away.
TEST_F(Reconnect, ACandidateBackAfterTheRevealGetsTheDebrief) {
  seat_and_start();
  ASSERT_TRUE(accepted(iv_->request(control(v1::RoomControl::ACTION_SKIP)).value()));  // the briefing
  auto brief = iv_->wait_for([](const auto& m) { return m.has_staff_room_state(); });
  ASSERT_TRUE(brief);
  ca_.reset();
  ASSERT_TRUE(iv_->wait_for([&](const auto& m) { return connected_in(m, ca_pid_) == false; }));
  // Skip to scoring, then reveal with nothing submitted.
  for (int i = 0; i < 10; ++i) {
    auto r = iv_->request(control(v1::RoomControl::ACTION_SKIP));
    ASSERT_TRUE(r);
    if (r->has_error()) break;  // no phase left
  }
  auto revealed = iv_->request(control(v1::RoomControl::ACTION_REVEAL));
  ASSERT_TRUE(revealed && revealed->has_ack()) << (revealed ? revealed->DebugString() : "");

  client back(server_.options(encoding::json));
  ASSERT_TRUE(back.connect());
  auto w = back.hello("Cal", {}, ca_welcome_.resume_token());
  ASSERT_TRUE(w && w->resumed());
  auto debrief = back.wait_for([](const auto& m) { return m.has_candidate_debrief(); });
  ASSERT_TRUE(debrief) << "the debrief pushed at the reveal, again for the returning candidate";
  EXPECT_FALSE(debrief->candidate_debrief().debrief_id().empty());
}

TEST_F(Reconnect, ASeatNotReclaimedInTimeIsReleased) {
  seat_and_start();
  ca_.reset();
  ASSERT_TRUE(iv_->wait_for([&](const auto& m) { return connected_in(m, ca_pid_) == false; }));
  auto released = iv_->wait_for(
      [&](const v1::ServerMessage& m) {
        return m.has_staff_room_state() && m.staff_room_state().room().participants_size() == 1;
      },
      10s);
  ASSERT_TRUE(released) << "the seat should be released after the 3 s grace window";

  client late(server_.options(encoding::binary));
  ASSERT_TRUE(late.connect());
  auto w = late.hello("Cal", {}, ca_welcome_.resume_token());
  ASSERT_TRUE(w);
  EXPECT_FALSE(w->resumed()) << "past the window the token is worth nothing";
}

TEST_F(Reconnect, AResumeTakesOverAConnectionThatLooksAlive) {
  seat_and_start();
  // A half-open socket: the server still thinks the old connection is up.
  client second(server_.options(encoding::binary));
  ASSERT_TRUE(second.connect());
  auto w = second.hello("Cal", {}, ca_welcome_.resume_token());
  ASSERT_TRUE(w);
  EXPECT_TRUE(w->resumed());
  auto closed = ca_->wait_closed(5s);
  ASSERT_TRUE(closed) << "the old connection is closed";
  EXPECT_EQ(closed->code, 1000);
  EXPECT_TRUE(second.wait_for([](const auto& m) { return m.has_room_state(); }));
  // The seat survived the old connection's end.
  ASSERT_TRUE(accepted(iv_->request(control(v1::RoomControl::ACTION_SKIP)).value()));
  auto after = second.wait_for([](const auto& m) {
    return m.has_room_state() && m.room_state().clock().stage() == v1::ROOM_STAGE_INTERVIEW;
  });
  EXPECT_TRUE(after) << "pushes reach the new connection";
}

TEST_F(Reconnect, ASecondDeviceSharesTheSeatAndSeesTheLiveDraft) {
  auto laptop = server_.connect(encoding::binary, false);
  ASSERT_TRUE(laptop->hello("Ivy", "user-key-ivy"));
  auto created = laptop->request(create_room("failed-canary-release"));
  ASSERT_TRUE(created && created->has_room_created());
  auto brief = laptop->wait_for([](const auto& m) { return m.has_staff_briefing(); });
  ASSERT_TRUE(brief);
  const auto scenario = brief->staff_briefing().scenario();
  const auto iv_code = code_for(created->room_created(), v1::ROLE_INTERVIEWER);
  auto ca = server_.connect(encoding::json, true, "Cal");
  ASSERT_TRUE(ca->request(join(code_for(created->room_created(), v1::ROLE_CANDIDATE)))->has_joined());

  auto phone = server_.connect(encoding::json, false);
  ASSERT_TRUE(phone->hello("Ivy (phone)", "user-key-ivy"));
  auto joined = phone->request(join(iv_code));
  ASSERT_TRUE(joined && joined->has_joined()) << (joined ? joined->DebugString() : joined.error().message);
  EXPECT_EQ(joined->joined().role(), v1::ROLE_INTERVIEWER);
  const auto pid = joined->joined().participant_id();
  EXPECT_TRUE(phone->wait_for([](const auto& m) { return m.has_staff_briefing(); }));

  // Someone else with the code still cannot take a taken seat.
  auto other = server_.connect(encoding::json, false);
  ASSERT_TRUE(other->hello("Eve", "user-key-eve"));
  auto refused = other->request(join(iv_code));
  ASSERT_TRUE(refused);
  EXPECT_TRUE(refused->has_error());

  // A draft typed on the laptop streams to the phone.
  ASSERT_TRUE(laptop->request(control(v1::RoomControl::ACTION_START))->has_ack());
  ASSERT_TRUE(accepted(phone->request(control(v1::RoomControl::ACTION_SKIP)).value())) << "either device runs the room";
  v1::ClientMessage draft;
  auto* card = draft.mutable_save_scorecard()->mutable_scorecard();
  auto* score = card->add_scores();
  score->set_dimension_id(scenario.rubric(0).id());
  score->set_rating(3);
  score->set_evidence("named the rollback owner");
  auto saved = laptop->request(draft);
  ASSERT_TRUE(saved && saved->has_staff_room_change()) << (saved ? saved->DebugString() : saved.error().message);
  auto seen = phone->wait_for([](const v1::ServerMessage& m) {
    return m.has_staff_room_change() && m.staff_room_change().my_scorecard().scores_size() == 1 &&
           m.staff_room_change().my_scorecard().scores(0).evidence() == "named the rollback owner";
  });
  EXPECT_TRUE(seen) << "the rater's other connection shows the live draft";

  // The phone leaving does not take the laptop's seat with it.
  laptop.reset();
  phone.reset();
  auto st = ca->wait_for([&](const v1::ServerMessage& m) { return connected_in(m, pid) == false; });
  EXPECT_TRUE(st) << "with both devices gone the interviewer shows as reconnecting";
}

TEST(ConnectionLimits, ForeignOriginsAreRefused) {
  test_server server([](server_config& c) { c.allowed_origins = "https://mock.example.org"; });
  auto opts = server.options(encoding::json);
  opts.origin = "https://evil.example";
  client evil(opts);
  auto r = evil.connect();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().http_status, 403u);
  EXPECT_NE(r.error().http_body.find("origin"), std::string::npos);
  EXPECT_EQ(server.stats().refused_origin.load(), 1u);

  opts.origin = "https://mock.example.org";
  client listed(opts);
  EXPECT_TRUE(listed.connect());
  opts.origin = "http://127.0.0.1:" + std::to_string(server.port());  // the server's own page
  client own(opts);
  EXPECT_TRUE(own.connect());
}

TEST(ConnectionLimits, ConnectionsPerAddressAreCapped) {
  test_server server([](server_config& c) { c.max_connections_per_ip = 3; });
  std::vector<std::unique_ptr<client>> held;
  for (int i = 0; i < 3; ++i) held.push_back(server.connect(encoding::binary, false));
  client fourth(server.options(encoding::binary));
  auto r = fourth.connect();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().http_status, 429u);
  EXPECT_EQ(server.stats().refused_per_ip.load(), 1u);
  held.pop_back();  // one goes: room for one more
  EXPECT_TRUE(eventually([&] {
    client again(server.options(encoding::binary));
    return static_cast<bool>(again.connect());
  }));
}

TEST(ConnectionLimits, MessagesPerAddressAreCappedAcrossConnections) {
  test_server server([](server_config& c) {
    c.messages_per_second = 1000;
    c.messages_per_second_per_ip = 30;
  });
  auto a = server.connect(encoding::binary);
  auto b = server.connect(encoding::binary);
  for (int i = 0; i < 40; ++i) {
    ASSERT_TRUE(a->send(ping()));
    ASSERT_TRUE(b->send(ping()));
  }
  int limited = 0;
  for (auto* c : {a.get(), b.get()})
    for (int i = 0; i < 40; ++i) {
      auto r = c->receive();
      ASSERT_TRUE(r) << r.error().message;
      if (r->has_error()) {
        EXPECT_EQ(r->error().code(), v1::ERROR_CODE_RATE_LIMITED);
        ++limited;
      }
    }
  // 80 sent against one bucket of 30 (plus what refills meanwhile).
  EXPECT_GE(limited, 30);
  EXPECT_EQ(server.stats().ip_rate_limited.load(), static_cast<uint64_t>(limited));
}

TEST(ConnectionLimits, RoomsPerUserAreCapped) {
  test_server server([](server_config& c) {
    c.scenarios_dir = std::string(MOCKLOOP_SOURCE_DIR) + "/scenarios";
    c.max_rooms_per_user = 1;
  });
  auto first = server.connect(encoding::binary, false);
  ASSERT_TRUE(first->hello("Coach", "coach-key"));
  ASSERT_TRUE(first->request(create_room("failed-canary-release", v1::ROLE_COACH))->has_room_created());
  auto second = server.connect(encoding::binary, false);
  ASSERT_TRUE(second->hello("Coach", "coach-key"));
  auto r = second->request(create_room("failed-canary-release", v1::ROLE_COACH));
  ASSERT_TRUE(r && r->has_error());
  EXPECT_EQ(r->error().code(), v1::ERROR_CODE_FAILED_PRECONDITION);
  EXPECT_EQ(server.stats().rooms_refused.load(), 1u);
}

// No zombies: once every client is gone and the grace windows have passed,
// rooms, sessions and held seats are back at zero.
TEST_F(Reconnect, NothingIsLeftOnceEveryoneHasGone) {
  seat_and_start();
  auto ob = server_.connect(encoding::binary, true, "Obi");
  ASSERT_TRUE(ob->request(join(code_for(codes_, v1::ROLE_OBSERVER)))->has_joined());
  EXPECT_EQ(metric(server_.port(), "mockloop_rooms"), 1);
  iv_.reset();
  ca_.reset();
  ob.reset();
  EXPECT_TRUE(eventually([&] { return metric(server_.port(), "mockloop_held_seats") == 3; }, 3s))
      << "three seats held for the window";
  EXPECT_TRUE(eventually(
      [&] {
        return metric(server_.port(), "mockloop_rooms") == 0 && metric(server_.port(), "mockloop_sessions") == 0 &&
               metric(server_.port(), "mockloop_connections") == 0 &&
               metric(server_.port(), "mockloop_held_seats") == 0;
      },
      10s));
}

}  // namespace
}  // namespace mockloop::testing
