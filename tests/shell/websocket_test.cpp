// WebSocket side of the shell, over loopback through the client library:
// handshake in both encodings, every bad-input case, limits, isolation.
#include <gtest/gtest.h>

#include "requests.h"
#include "test_server.h"

namespace mockloop::testing {
namespace {

using namespace std::chrono_literals;


// Every test runs a bystander on each encoding beside the misbehaving
// client and checks at the end that it never noticed.
class WebSocket : public ::testing::TestWithParam<encoding> {
 protected:
  static void tweak(server_config& c) {
    c.max_frame_bytes = 4096;
    c.hello_timeout_ms = 300;
    c.messages_per_second = 50;
  }

  void SetUp() override {
    bystander_json_ = server_.connect(encoding::json, true, "bystander-json");
    bystander_bin_ = server_.connect(encoding::binary, true, "bystander-bin");
    ASSERT_TRUE(bystander_json_ && bystander_bin_);
  }

  void TearDown() override {
    for (auto* b : {bystander_json_.get(), bystander_bin_.get()}) {
      if (!b) continue;
      auto r = b->request(ping("still there?"));
      ASSERT_TRUE(r) << r.error().message;
      EXPECT_EQ(r->pong().payload(), "still there?");
    }
  }

  encoding wire() const { return GetParam(); }
  bool binary() const { return wire() == encoding::binary; }

  // A client that has connected but not said Hello.
  std::unique_ptr<client> raw() { return server_.connect(wire(), false); }

  test_server server_{tweak};
  std::unique_ptr<client> bystander_json_, bystander_bin_;
};

TEST_P(WebSocket, HandshakeGivesSessionAndToken) {
  auto c = raw();
  ASSERT_TRUE(c);
  const auto before = std::chrono::system_clock::now();
  auto w = c->hello("Ada", std::string(32, 'k'));
  ASSERT_TRUE(w) << w.error().message;
  EXPECT_EQ(w->session_id().size(), 16u);
  EXPECT_EQ(w->resume_token().size(), 32u) << "128 bits, hex";
  EXPECT_EQ(w->server_version(), "0.1.0");
  EXPECT_EQ(w->max_frame_bytes(), 4096u);
  const auto server_time = std::chrono::system_clock::time_point(std::chrono::milliseconds(w->server_time_ms()));
  EXPECT_LT(std::chrono::abs(server_time - before), 5s);

  auto other = raw();
  auto w2 = other->hello("Bo");
  ASSERT_TRUE(w2);
  EXPECT_NE(w2->session_id(), w->session_id());
  EXPECT_NE(w2->resume_token(), w->resume_token());
}

TEST_P(WebSocket, PingRoundTrip) {
  auto c = server_.connect(wire());
  auto r = c->request(ping("abc"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->pong().payload(), "abc");
  EXPECT_GT(r->pong().server_time_ms(), 0);
}

TEST_P(WebSocket, UndecodableFrameGetsDecodeFailedAndStaysOpen) {
  auto c = server_.connect(wire());
  ASSERT_TRUE(c->send_raw(binary() ? std::string("\xff\xff\xff\xff", 4) : "{\"requestId\": 3, oops", binary()));
  auto r = c->receive();
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_TRUE(r->has_error());
  EXPECT_EQ(r->error().code(), v1::ERROR_CODE_DECODE_FAILED);
  EXPECT_FALSE(r->error().message().empty());
  EXPECT_TRUE(c->request(ping()).ok()) << "the connection stays usable";
}

TEST_P(WebSocket, EmptyMessageGetsEmptyMessageError) {
  auto c = server_.connect(wire());
  v1::ClientMessage empty;
  empty.set_request_id(77);
  auto r = c->request(empty);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->error().code(), v1::ERROR_CODE_EMPTY_MESSAGE);
  EXPECT_EQ(r->error().request_id(), 77u);
  EXPECT_TRUE(c->request(ping()).ok());
}

TEST_P(WebSocket, UnknownMessageGetsUnknownMessageError) {
  auto c = server_.connect(wire());
  // request_id 12 plus a message type from the future (field 999 / "hologram").
  const std::string frame = binary() ? std::string("\x08\x0c\xba\x3e\x00", 5) : R"({"requestId":12,"hologram":{}})";
  ASSERT_TRUE(c->send_raw(frame, binary()));
  auto r = c->receive();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->error().code(), v1::ERROR_CODE_UNKNOWN_MESSAGE);
  EXPECT_EQ(r->request_id(), 12u);
  EXPECT_TRUE(c->request(ping()).ok());
}

TEST_P(WebSocket, MissingFieldNamesTheField) {
  auto c = raw();
  v1::ClientMessage m;
  m.mutable_hello()->set_client_name("test");  // no display name
  auto r = c->request(m);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->error().code(), v1::ERROR_CODE_MISSING_FIELD);
  EXPECT_EQ(r->error().field(), "displayName");
  EXPECT_TRUE(c->hello("Fixed").ok()) << "still open, still pre-handshake";
}

TEST_P(WebSocket, OversizedFieldIsFieldTooLong) {
  auto c = server_.connect(wire());
  auto r = c->request(ping(std::string(2000, 'x')));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->error().code(), v1::ERROR_CODE_FIELD_TOO_LONG);
  EXPECT_EQ(r->error().field(), "payload");
  EXPECT_TRUE(c->request(ping()).ok());
}

TEST_P(WebSocket, OversizedFrameClosesWith1009) {
  auto c = server_.connect(wire());
  ASSERT_TRUE(c->send_raw(std::string(5000, 'x'), binary()));
  auto closed = c->wait_closed();
  ASSERT_TRUE(closed) << closed.error().message;
  EXPECT_EQ(closed->code, 1009);
}

TEST_P(WebSocket, WrongFrameTypeClosesWith1003) {
  auto c = server_.connect(wire());
  ASSERT_TRUE(c->send_raw(encode(ping(), wire()), !binary()));
  auto closed = c->wait_closed();
  ASSERT_TRUE(closed) << closed.error().message;
  EXPECT_EQ(closed->code, 1003);
  EXPECT_NE(closed->reason.find(binary() ? "text frame" : "binary frame"), std::string::npos) << closed->reason;
}

TEST_P(WebSocket, MessageBeforeHelloClosesWith1008) {
  auto c = raw();
  ASSERT_TRUE(c->send(ping()));
  auto closed = c->wait_closed();
  ASSERT_TRUE(closed) << closed.error().message;
  EXPECT_EQ(closed->code, 1008);
  EXPECT_NE(closed->reason.find("Hello"), std::string::npos);
  EXPECT_GE(server_.stats().protocol_violation_closes.load(), 1u);
}

TEST_P(WebSocket, SilenceAfterUpgradeClosesWith1008) {
  auto c = raw();
  auto closed = c->wait_closed(3s);
  ASSERT_TRUE(closed) << closed.error().message;
  EXPECT_EQ(closed->code, 1008);
}

TEST_P(WebSocket, RateLimitIsATypedErrorAndCounted) {
  auto c = server_.connect(wire());
  int limited = 0;
  for (int i = 0; i < 80; ++i) ASSERT_TRUE(c->send(ping()));
  for (int i = 0; i < 80; ++i) {
    auto r = c->receive();
    ASSERT_TRUE(r) << i << ": " << r.error().message;
    if (r->has_error()) {
      EXPECT_EQ(r->error().code(), v1::ERROR_CODE_RATE_LIMITED);
      ++limited;
    }
  }
  EXPECT_GE(limited, 20) << "a burst of 50, then refusals";
  EXPECT_GE(server_.stats().errors[v1::ERROR_CODE_RATE_LIMITED].load(), static_cast<uint64_t>(limited));
}

INSTANTIATE_TEST_SUITE_P(BothEncodings, WebSocket, ::testing::Values(encoding::binary, encoding::json),
                         [](const auto& info) { return info.param == encoding::binary ? "binary" : "json"; });

TEST(WebSocketLimits, SlowConsumerIsCutWhileFastOneKeepsReceiving) {
  test_server server([](server_config& c) {
    c.max_queue_bytes = 64 * 1024;
    c.messages_per_second = 1'000'000;  // this test is about the outbound queue
    c.close_grace_ms = 10'000;
  });
  auto fast = server.connect(encoding::json, true, "fast");
  auto slow = server.connect(encoding::binary, true, "slow");
  ASSERT_TRUE(fast && slow);
  slow->pause_reading();

  // The slow client keeps asking for 1 KiB pongs and never reads them: the
  // socket buffers fill, then the server's queue for it.
  const auto big = ping(std::string(1000, 'z'));
  int sent = 0;
  while (server.stats().slow_consumer_closes.load() == 0 && sent < 100'000) {
    if (auto s = slow->send(big); !s) { ADD_FAILURE() << "send " << sent << ": " << s.error().message; break; }
    if (++sent % 2000 == 0) {
      auto r = fast->request(ping("fast"));
      ASSERT_TRUE(r) << "fast client starved at " << sent << ": " << r.error().message;
      EXPECT_EQ(r->pong().payload(), "fast");
    }
  }
  ASSERT_TRUE(eventually([&] { return server.stats().slow_consumer_closes.load() == 1; }))
      << "sent " << sent << " pings without the server cutting the slow consumer";

  auto r = fast->request(ping("after"));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->pong().payload(), "after");

  slow->resume_reading();
  auto closed = slow->wait_closed(10s);
  ASSERT_TRUE(closed) << closed.error().message;
  EXPECT_EQ(closed->code, 1013);
  EXPECT_NE(http_get(server.port(), "/metrics").body.find("mockloop_slow_consumer_closes_total 1\n"),
            std::string::npos);
}

TEST(WebSocketLimits, ConnectionLimitRefusesWith503) {
  test_server server([](server_config& c) { c.max_connections = 2; });
  auto a = server.connect(encoding::json);
  auto b = server.connect(encoding::binary);
  ASSERT_TRUE(a && b);
  client third(server.options(encoding::json));
  auto r = third.connect();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().http_status, 503u);
  EXPECT_NE(r.error().http_body.find("connection limit"), std::string::npos);

  a->close();
  a.reset();
  ASSERT_TRUE(eventually([&] { return server.stats().connections.load() == 1; }));
  EXPECT_TRUE(server.connect(encoding::json)) << "a freed seat can be taken again";
}

}  // namespace
}  // namespace mockloop::testing
