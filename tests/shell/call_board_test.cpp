// The room's call and board over the wire: signals reach only the named
// member of the same call, with the sender set by the server; nobody outside
// the call (or the room) can signal into it; the signal bucket is separate
// from the general one; board ops reach everyone, a late joiner gets the
// board, and the round's record carries it as SVG in JSON and Markdown.
#include <gtest/gtest.h>

#include "requests.h"
#include "test_server.h"

namespace mockloop::testing {
namespace {

using namespace std::chrono_literals;

class CallAndBoard : public ::testing::Test {
 protected:
  static void tweak(server_config& c) {
    c.scenarios_dir = std::string(MOCKLOOP_SOURCE_DIR) + "/scenarios";
    c.messages_per_second = 1000;
    c.ice_servers = "stun:127.0.0.1:3478, turn:127.0.0.1:3478?transport=udp";
    c.turn_secret = "test-secret";
  }

  struct room_of_three {
    std::unique_ptr<client> iv, ca, ob;
    v1::RoomCreated codes;
    std::string iv_id, ca_id, ob_id;
  };

  room_of_three open(const std::string& scenario = "api-gateway-rate-limiting") {
    room_of_three r;
    r.iv = server_.connect(encoding::json, true, "Ivy");
    r.ca = server_.connect(encoding::binary, true, "Cal");
    r.ob = server_.connect(encoding::json, true, "Obi");
    auto created = r.iv->request(create_room(scenario));
    EXPECT_TRUE(created && created->has_room_created());
    r.codes = created->room_created();
    auto joined = r.iv->wait_for([](const auto& m) { return m.has_joined(); });
    r.iv_id = joined->joined().participant_id();
    r.ca_id = r.ca->request(join(code_for(r.codes, v1::ROLE_CANDIDATE)))->joined().participant_id();
    r.ob_id = r.ob->request(join(code_for(r.codes, v1::ROLE_OBSERVER)))->joined().participant_id();
    return r;
  }

  test_server server_{tweak};
};

TEST_F(CallAndBoard, ASignalReachesOnlyTheNamedMemberOfTheCall) {
  auto r = open();
  auto joined = r.iv->request(join_call());
  ASSERT_TRUE(joined && joined->has_call_joined()) << joined->DebugString();
  const auto& cj = joined->call_joined();
  EXPECT_TRUE(cj.speaker());
  ASSERT_EQ(cj.ice_servers_size(), 2);
  EXPECT_EQ(cj.ice_servers(1).username().substr(cj.ice_servers(1).username().find(':') + 1), r.iv_id)
      << "TURN credentials name the participant";
  EXPECT_FALSE(cj.ice_servers(1).credential().empty());
  ASSERT_TRUE(r.ca->request(join_call())->has_call_joined());
  // Everyone in the room sees who is in the call, the observer included.
  ASSERT_TRUE(r.ob->wait_for([](const auto& m) { return m.has_call_state() && m.call_state().members_size() == 2; }));

  // The interviewer offers to the candidate; the sender is the server's word.
  auto o = offer(r.ca_id, "v=0\r\nOFFER-FOR-CAL\r\n");
  o.mutable_rtc_signal()->set_from_participant_id(r.ob_id);
  ASSERT_TRUE(r.iv->send(o));
  auto got = r.ca->wait_for([](const auto& m) { return m.has_rtc_signal(); });
  ASSERT_TRUE(got) << got.error().message;
  EXPECT_EQ(got->rtc_signal().from_participant_id(), r.iv_id);
  EXPECT_EQ(got->rtc_signal().description().sdp(), "v=0\r\nOFFER-FOR-CAL\r\n");

  // The observer is in the room but not in the call: it can neither send
  // nor be sent to.
  auto refused = r.ob->request(offer(r.ca_id));
  ASSERT_TRUE(refused && refused->has_error());
  EXPECT_EQ(refused->error().code(), v1::ERROR_CODE_FAILED_PRECONDITION);
  auto to_ob = r.iv->request(offer(r.ob_id));
  ASSERT_TRUE(to_ob && to_ob->has_error());
  EXPECT_EQ(to_ob->error().code(), v1::ERROR_CODE_NOT_FOUND);
  EXPECT_EQ(to_ob->error().field(), "toParticipantId");

  // Someone in another room's call cannot reach into this one.
  auto other = server_.connect(encoding::json, true, "Mallory");
  auto other_room = other->request(create_room("failed-canary-release"));
  ASSERT_TRUE(other_room && other_room->has_room_created());
  ASSERT_TRUE(other->request(join_call())->has_call_joined());
  auto across = other->request(offer(r.ca_id));
  ASSERT_TRUE(across && across->has_error());
  EXPECT_EQ(across->error().code(), v1::ERROR_CODE_NOT_FOUND);
  // Nor can a session in no room at all.
  auto lone = server_.connect(encoding::binary, true, "Lone");
  auto nowhere = lone->request(offer(r.ca_id));
  ASSERT_TRUE(nowhere && nowhere->has_error());
  EXPECT_EQ(nowhere->error().code(), v1::ERROR_CODE_FAILED_PRECONDITION);

  // Bounded in size, with the field named.
  auto big = r.iv->request(offer(r.ca_id, std::string(25 * 1024, 'a')));
  ASSERT_TRUE(big && big->has_error());
  EXPECT_EQ(big->error().code(), v1::ERROR_CODE_FIELD_TOO_LONG);
  EXPECT_EQ(big->error().field(), "sdp");

  // The candidate saw exactly the one offer meant for it.
  EXPECT_TRUE(r.ca->request(ping())->has_pong());
  size_t signals = 0;
  while (r.ca->pending() > 0) signals += r.ca->receive(100ms)->has_rtc_signal();
  EXPECT_EQ(signals, 0u) << "nothing else was relayed to the candidate";
  for (auto* c : {r.ob.get(), other.get(), lone.get()}) {
    while (c->pending() > 0) EXPECT_FALSE(c->receive(100ms)->has_rtc_signal());
  }

  // Leaving the room leaves the call.
  ASSERT_TRUE(r.ca->request(v1::ClientMessage{[] {
                    v1::ClientMessage m;
                    m.mutable_leave_room();
                    return m;
                  }()})
                  ->has_left());
  ASSERT_TRUE(r.iv->wait_for([](const auto& m) { return m.has_call_state() && m.call_state().members_size() == 1; }));
  auto gone = r.iv->request(offer(r.ca_id));
  ASSERT_TRUE(gone && gone->has_error());
  EXPECT_EQ(gone->error().code(), v1::ERROR_CODE_NOT_FOUND);
}

TEST_F(CallAndBoard, SignalsHaveABucketOfTheirOwn) {
  auto r = open();
  ASSERT_TRUE(r.iv->request(join_call())->has_call_joined());
  ASSERT_TRUE(r.ca->request(join_call())->has_call_joined());
  // 300 candidates at once: the burst (200) goes through, the rest is refused.
  v1::ClientMessage cand;
  cand.mutable_rtc_signal()->set_to_participant_id(r.ca_id);
  cand.mutable_rtc_signal()->mutable_candidate()->set_candidate("candidate:1 1 udp 2122260223 192.0.2.1 5000 typ host");
  for (int i = 0; i < 300; ++i) {
    cand.set_request_id(10'000 + i);
    ASSERT_TRUE(r.iv->send(cand));
  }
  auto pong = r.iv->request(ping());  // the general bucket is untouched
  ASSERT_TRUE(pong && pong->has_pong());
  // The pong is answered by the session, a relayed signal's ack by the room's
  // strand, so the last acks may still be on their way: wait for all 300.
  size_t limited = 0, acked = 0;
  while (acked + limited < 300) {
    auto m = r.iv->receive(2s);
    if (!m) break;
    if (m->has_error() && m->error().code() == v1::ERROR_CODE_RATE_LIMITED) ++limited;
    if (m->has_ack()) ++acked;
  }
  EXPECT_GE(acked, 200u);
  EXPECT_GT(limited, 0u);
  EXPECT_EQ(acked + limited, 300u);
}

TEST_F(CallAndBoard, TheBoardReachesEveryoneALateJoinerAndTheDebrief) {
  auto r = open();
  EXPECT_TRUE(r.ca->wait_for([](const auto& m) { return m.has_board() && m.board().objects_size() == 0; }))
      << "a joiner gets the board";
  ASSERT_TRUE(r.iv->request(control(v1::RoomControl::ACTION_START))->has_ack());
  ASSERT_TRUE(accepted(r.iv->request(control(v1::RoomControl::ACTION_SKIP)).value()));  // the briefing
  ASSERT_TRUE(r.ca->request(box("gw", 100, 100, "Gateway"))->has_ack());
  ASSERT_TRUE(r.ca->request(box("redis", 500, 100, "Redis <counters>"))->has_ack());
  ASSERT_TRUE(r.ca->request(arrow("e1", "gw", "redis", "INCR"))->has_ack());
  auto denied = r.ob->request(box("ob", 1, 1, "mine"));
  ASSERT_TRUE(denied && denied->has_error());
  EXPECT_EQ(denied->error().code(), v1::ERROR_CODE_PERMISSION_DENIED);
  auto update = r.ob->wait_for([](const auto& m) {
    return m.has_board_update() && m.board_update().ops_size() == 1 && m.board_update().ops(0).object_id() == "e1";
  });
  ASSERT_TRUE(update) << "the observer watches the candidate draw";
  EXPECT_EQ(update->board_update().ops(0).seq(), 3u);
  EXPECT_EQ(update->board_update().ops(0).by_participant_id(), r.ca_id);

  auto late = server_.connect(encoding::binary, true, "Lea");
  ASSERT_TRUE(late->request(join(code_for(r.codes, v1::ROLE_OBSERVER)))->has_joined());
  auto board = late->wait_for([](const auto& m) { return m.has_board(); });
  ASSERT_TRUE(board);
  EXPECT_EQ(board->board().objects_size(), 3);
  EXPECT_EQ(board->board().seq(), 3u);

  // To the end of the round: the record holds the board as drawn.
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(accepted(r.iv->request(control(v1::RoomControl::ACTION_SKIP)).value()));
  ASSERT_TRUE(r.iv->request(control(v1::RoomControl::ACTION_REVEAL))->has_ack());
  auto debrief = r.ca->wait_for([](const auto& m) { return m.has_candidate_debrief(); });
  ASSERT_TRUE(debrief);
  EXPECT_NE(debrief->candidate_debrief().board_svg().find("Redis &lt;counters&gt;"), std::string::npos);
  const auto id = debrief->candidate_debrief().debrief_id();
  const auto json = http_get(server_.port(), "/api/debriefs/" + id + "?token=" + code_for(r.codes, v1::ROLE_CANDIDATE));
  ASSERT_EQ(json.status, 200u);
  EXPECT_NE(json.body.find("\"boardSvg\":\"\\u003csvg"), std::string::npos) << json.body.substr(0, 400);
  EXPECT_NE(json.body.find("\"text\":\"Gateway\""), std::string::npos);
  const auto md =
      http_get(server_.port(), "/api/debriefs/" + id + ".md?token=" + code_for(r.codes, v1::ROLE_INTERVIEWER));
  ASSERT_EQ(md.status, 200u);
  EXPECT_NE(md.body.find("## Board"), std::string::npos);
  EXPECT_NE(md.body.find("](data:image/svg+xml;base64,"), std::string::npos);
  EXPECT_NE(md.body.find("- [Gateway] -> [Redis <counters>]: INCR"), std::string::npos) << md.body;
}

}  // namespace
}  // namespace mockloop::testing
