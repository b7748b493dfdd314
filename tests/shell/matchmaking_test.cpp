// Matchmaking over the wire: several clients queue and land in the right
// rooms with the right roles; forfeits, expiry, invites and the role swap.
#include <gtest/gtest.h>

#include "requests.h"
#include "test_server.h"

namespace mockloop::testing {
namespace {

using namespace std::chrono_literals;

v1::ClientMessage cancel() {
  v1::ClientMessage m;
  m.mutable_cancel_ticket();
  return m;
}



result<v1::ServerMessage> next_match(client& c, std::chrono::milliseconds limit = 5s) {
  return c.wait_for([](const v1::ServerMessage& m) { return m.has_match_found(); }, limit);
}

class Matchmaking : public ::testing::Test {
 protected:
  static void tweak(server_config& c) {
    c.scenarios_dir = std::string(MOCKLOOP_SOURCE_DIR) + "/scenarios";
    c.match_join_timeout_seconds = 2;
    c.messages_per_second = 1000;
  }
  test_server server_{tweak};
};

TEST_F(Matchmaking, CompatiblePeersAreMatchedIntoOneRoomWithBothRoles) {
  auto a = server_.connect(encoding::json, true, "Ada");
  auto b = server_.connect(encoding::binary, true, "Bo");
  auto queued = a->request(enqueue({v1::ROUND_TYPE_SYSTEM_DESIGN, v1::ROUND_TYPE_CROSS_FUNCTIONAL}));
  ASSERT_TRUE(queued);
  ASSERT_TRUE(queued->has_queue_status()) << queued->DebugString();
  EXPECT_EQ(queued->queue_status().widening(), 0u);
  ASSERT_TRUE(b->request(enqueue({v1::ROUND_TYPE_CROSS_FUNCTIONAL}, v1::LEVEL_L6))->has_queue_status());

  auto ma = next_match(*a), mb = next_match(*b);
  ASSERT_TRUE(ma && mb) << (ma ? mb.error().message : ma.error().message);
  const auto& fa = ma->match_found();
  const auto& fb = mb->match_found();
  EXPECT_EQ(fa.room_id(), fb.room_id());
  EXPECT_EQ(fa.round_type(), v1::ROUND_TYPE_CROSS_FUNCTIONAL) << "the round type both want";
  EXPECT_EQ(fa.round(), 1u);
  EXPECT_EQ(fa.rounds(), 2u);
  EXPECT_EQ(fa.partner_name(), "Bo");
  EXPECT_EQ(fb.partner_name(), "Ada");
  // Neither has interviewed yet: the older ticket is the candidate first.
  EXPECT_EQ(fa.role(), v1::ROLE_CANDIDATE);
  EXPECT_EQ(fb.role(), v1::ROLE_INTERVIEWER);
  EXPECT_NE(fa.join_code(), fb.join_code());

  ASSERT_TRUE(a->request(join(fa.join_code()))->has_joined());
  auto jb = b->request(join(fb.join_code()));
  ASSERT_TRUE(jb && jb->has_joined());
  EXPECT_EQ(jb->joined().role(), v1::ROLE_INTERVIEWER);
  auto brief = b->wait_for([](const auto& m) { return m.has_staff_briefing(); });
  ASSERT_TRUE(brief);
  EXPECT_EQ(brief->staff_briefing().scenario().round_type(), v1::ROUND_TYPE_CROSS_FUNCTIONAL);
}

TEST_F(Matchmaking, RoundTwoSwapsRolesOnAnUnplayedScenarioOfTheOthersType) {
  auto a = server_.connect(encoding::json, true, "Ada");
  auto b = server_.connect(encoding::binary, true, "Bo");
  ASSERT_TRUE(a->request(enqueue({v1::ROUND_TYPE_SYSTEM_DESIGN}))->has_queue_status());
  ASSERT_TRUE(b->request(enqueue({v1::ROUND_TYPE_BEHAVIORAL_LEADERSHIP, v1::ROUND_TYPE_SYSTEM_DESIGN}))->has_queue_status());
  auto ma = next_match(*a), mb = next_match(*b);
  ASSERT_TRUE(ma && mb);
  ASSERT_EQ(ma->match_found().role(), v1::ROLE_CANDIDATE);
  ASSERT_TRUE(a->request(join(ma->match_found().join_code()))->has_joined());
  ASSERT_TRUE(b->request(join(mb->match_found().join_code()))->has_joined());
  const auto first_title = ma->match_found().scenario_title();

  // Bo interviews Ada through the whole round, then closes it.
  ASSERT_TRUE(b->request(control(v1::RoomControl::ACTION_START))->has_ack());
  for (int i = 0; i < 8; ++i) {
    auto r = b->request(control(v1::RoomControl::ACTION_SKIP));
    ASSERT_TRUE(r);
    if (r->has_error()) break;  // past the last phase: scoring
  }
  auto closed = b->request(control(v1::RoomControl::ACTION_CLOSE));
  ASSERT_TRUE(closed && closed->has_ack()) << closed->DebugString();

  auto ra = next_match(*a), rb = next_match(*b);
  ASSERT_TRUE(ra && rb) << (ra ? rb.error().message : ra.error().message);
  EXPECT_EQ(ra->match_found().round(), 2u);
  EXPECT_EQ(ra->match_found().role(), v1::ROLE_INTERVIEWER);
  EXPECT_EQ(rb->match_found().role(), v1::ROLE_CANDIDATE);
  EXPECT_NE(ra->match_found().room_id(), ma->match_found().room_id());
  EXPECT_NE(ra->match_found().scenario_title(), first_title) << "a scenario neither has played";
  EXPECT_EQ(rb->match_found().round_type(), v1::ROUND_TYPE_BEHAVIORAL_LEADERSHIP)
      << "Bo is now the candidate: Bo's first wanted type";
  // Both were taken out of round 1 and can join round 2 at once.
  EXPECT_TRUE(a->request(join(ra->match_found().join_code()))->has_joined());
  EXPECT_TRUE(b->request(join(rb->match_found().join_code()))->has_joined());
}

TEST_F(Matchmaking, APeerWhoDoesNotJoinForfeitsAndTheOtherIsRequeued) {
  auto a = server_.connect(encoding::json, true, "Ada");
  auto b = server_.connect(encoding::binary, true, "Bo");
  ASSERT_TRUE(a->request(enqueue({v1::ROUND_TYPE_METRICS_AND_DATA}))->has_queue_status());
  ASSERT_TRUE(b->request(enqueue({v1::ROUND_TYPE_METRICS_AND_DATA}))->has_queue_status());
  auto ma = next_match(*a), mb = next_match(*b);
  ASSERT_TRUE(ma && mb);
  ASSERT_TRUE(a->request(join(ma->match_found().join_code()))->has_joined());
  // Bo never joins.
  auto fa = a->wait_for([](const auto& m) { return m.has_match_forfeited(); }, 6s);
  auto fb = b->wait_for([](const auto& m) { return m.has_match_forfeited(); }, 6s);
  ASSERT_TRUE(fa && fb);
  EXPECT_TRUE(fa->match_forfeited().requeued());
  EXPECT_NE(fa->match_forfeited().reason().find("did not join"), std::string::npos);
  EXPECT_FALSE(fb->match_forfeited().requeued());
  // Ada is waiting again and first in line.
  auto status = a->wait_for([](const auto& m) { return m.has_queue_status(); }, 3s);
  ASSERT_TRUE(status);
  EXPECT_EQ(status->queue_status().position(), 1u);
  // ...and was taken out of the dead room, so a new match can be joined.
  auto c = server_.connect(encoding::json, true, "Cy");
  ASSERT_TRUE(c->request(enqueue({v1::ROUND_TYPE_METRICS_AND_DATA}))->has_queue_status());
  auto again = next_match(*a);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->match_found().partner_name(), "Cy");
  EXPECT_TRUE(a->request(join(again->match_found().join_code()))->has_joined());
}

TEST_F(Matchmaking, IncompatibleTicketsWaitWithLiveStatus) {
  auto a = server_.connect(encoding::json, true, "Ada");
  auto b = server_.connect(encoding::json, true, "Bo");
  ASSERT_TRUE(a->request(enqueue({v1::ROUND_TYPE_SYSTEM_DESIGN}, v1::LEVEL_L5, "en"))->has_queue_status());
  ASSERT_TRUE(b->request(enqueue({v1::ROUND_TYPE_SYSTEM_DESIGN}, v1::LEVEL_L5, "de"))->has_queue_status());
  // Live status pushes keep coming; no match across languages.
  int statuses = 0;
  auto r = a->wait_for(
      [&](const auto& m) {
        EXPECT_FALSE(m.has_match_found());
        return m.has_queue_status() && ++statuses == 2;
      },
      5s);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->queue_status().position(), 1u);
  EXPECT_GT(r->queue_status().waited_ms(), 0);
  EXPECT_NE(http_get(server_.port(), "/metrics").body.find("\nmockloop_queue_depth 2\n"), std::string::npos);

  auto again = a->request(enqueue({v1::ROUND_TYPE_SYSTEM_DESIGN}));
  ASSERT_TRUE(again);
  EXPECT_EQ(again->error().code(), v1::ERROR_CODE_FAILED_PRECONDITION) << "one live ticket per user";
  EXPECT_TRUE(a->request(cancel())->has_ack());
  EXPECT_EQ(a->request(cancel())->error().code(), v1::ERROR_CODE_NOT_FOUND);
  b->close();  // a closed session's ticket goes too
  EXPECT_TRUE(eventually([&] {
    return http_get(server_.port(), "/metrics").body.find("\nmockloop_queue_depth 0\n") != std::string::npos;
  }));
}

TEST_F(Matchmaking, TicketsExpireWithANotice) {
  auto a = server_.connect(encoding::binary, true, "Ada");
  auto m = enqueue({v1::ROUND_TYPE_TECHNICAL_DEEP_DIVE});
  m.mutable_enqueue()->set_max_wait_seconds(1);
  ASSERT_TRUE(a->request(m)->has_queue_status());
  auto expired = a->wait_for([](const auto& msg) { return msg.has_ticket_expired(); }, 5s);
  ASSERT_TRUE(expired);
  EXPECT_NE(expired->ticket_expired().reason().find("no match"), std::string::npos);
  EXPECT_TRUE(a->request(enqueue({v1::ROUND_TYPE_TECHNICAL_DEEP_DIVE}))->has_queue_status()) << "free to queue again";
}

TEST_F(Matchmaking, AnInviteCodeBringsAChosenPartner) {
  auto host = server_.connect(encoding::json, true, "Host");
  auto stranger = server_.connect(encoding::json, true, "Stranger");
  auto guest = server_.connect(encoding::binary, true, "Guest");
  auto m = enqueue({v1::ROUND_TYPE_SYSTEM_DESIGN});
  m.mutable_enqueue()->set_invite(true);
  auto q = host->request(m);
  ASSERT_TRUE(q && q->has_queue_status());
  const auto code = q->queue_status().invite_code();
  ASSERT_FALSE(code.empty());
  ASSERT_TRUE(stranger->request(enqueue({v1::ROUND_TYPE_SYSTEM_DESIGN}))->has_queue_status());

  v1::ClientMessage g;
  g.mutable_enqueue()->set_partner_code(code);
  ASSERT_TRUE(guest->request(g)->has_queue_status());
  auto mh = next_match(*host), mg = next_match(*guest);
  ASSERT_TRUE(mh && mg);
  EXPECT_EQ(mh->match_found().partner_name(), "Guest");
  EXPECT_EQ(mh->match_found().room_id(), mg->match_found().room_id());
  EXPECT_FALSE(next_match(*stranger, 1500ms)) << "a private ticket never goes to a stranger";
}

TEST_F(Matchmaking, BadTicketsGetTypedErrors) {
  auto a = server_.connect(encoding::json, true, "Ada");
  auto none = a->request(enqueue({}));
  ASSERT_TRUE(none);
  EXPECT_EQ(none->error().code(), v1::ERROR_CODE_FAILED_PRECONDITION);
  auto level = a->request(enqueue({v1::ROUND_TYPE_SYSTEM_DESIGN}, v1::LEVEL_UNSPECIFIED));
  EXPECT_EQ(level->error().code(), v1::ERROR_CODE_FAILED_PRECONDITION);
  v1::ClientMessage g;
  g.mutable_enqueue()->set_partner_code("nobody-has-this");
  EXPECT_EQ(a->request(g)->error().code(), v1::ERROR_CODE_FAILED_PRECONDITION);
  auto lang = a->request(enqueue({v1::ROUND_TYPE_SYSTEM_DESIGN}, v1::LEVEL_L5, std::string(40, 'x')));
  EXPECT_EQ(lang->error().code(), v1::ERROR_CODE_FIELD_TOO_LONG);
}

}  // namespace
}  // namespace mockloop::testing
