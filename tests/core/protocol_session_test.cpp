#include "mockloop/core/protocol_session.h"

#include <gtest/gtest.h>

namespace mockloop {
namespace {

using namespace std::chrono_literals;
using time_point = protocol_session::time_point;

const time_point t0 = time_point{} + 1h;

class ProtocolSession : public ::testing::TestWithParam<encoding> {
 protected:
  ProtocolSession() : session_(GetParam(), {"sid-1", "token-1"}, cfg(), t0) {}

  static server_config cfg() {
    server_config c;
    c.messages_per_second = 5;
    return c;
  }

  bool binary() const { return GetParam() == encoding::binary; }

  protocol_session::output send(const v1::ClientMessage& m, time_point now = t0) {
    return session_.on_message(encode(m, GetParam()), binary(), now, 1'700'000'000'000);
  }

  static v1::ClientMessage hello(std::string name = "Ada", uint32_t id = 1) {
    v1::ClientMessage m;
    m.set_request_id(id);
    m.mutable_hello()->set_display_name(std::move(name));
    return m;
  }

  static v1::ClientMessage ping(uint32_t id, std::string payload = "x") {
    v1::ClientMessage m;
    m.set_request_id(id);
    m.mutable_ping()->set_payload(std::move(payload));
    return m;
  }

  void handshake() {
    auto out = send(hello());
    ASSERT_EQ(out.replies.size(), 1u);
    ASSERT_TRUE(out.replies[0].has_welcome());
  }

  protocol_session session_;
};

TEST_P(ProtocolSession, HelloIsAnsweredByWelcome) {
  auto out = send(hello("Ada", 42));
  ASSERT_EQ(out.replies.size(), 1u);
  EXPECT_FALSE(out.close);
  const auto& r = out.replies[0];
  EXPECT_EQ(r.request_id(), 42u);
  ASSERT_TRUE(r.has_welcome());
  EXPECT_EQ(r.welcome().session_id(), "sid-1");
  EXPECT_EQ(r.welcome().resume_token(), "token-1");
  EXPECT_EQ(r.welcome().server_version(), server_version);
  EXPECT_EQ(r.welcome().server_time_ms(), 1'700'000'000'000);
  EXPECT_EQ(r.welcome().max_frame_bytes(), 64u * 1024);
  EXPECT_TRUE(session_.handshaken());
  EXPECT_EQ(session_.hello().display_name(), "Ada");
}

TEST_P(ProtocolSession, AnyOtherFirstMessageIsAViolation) {
  auto out = send(ping(1));
  ASSERT_TRUE(out.close);
  EXPECT_EQ(out.close->code, close_code::policy_violation);
  EXPECT_TRUE(out.replies.empty());
  EXPECT_FALSE(session_.handshaken());
}

TEST_P(ProtocolSession, GarbageBeforeHelloIsAViolation) {
  auto out = session_.on_message("\x01\x02garbage", binary(), t0, 0);
  ASSERT_TRUE(out.close);
  EXPECT_EQ(out.close->code, close_code::policy_violation);
}

TEST_P(ProtocolSession, WrongFrameTypeClosesWithUnsupportedData) {
  auto out = session_.on_message(encode(hello(), GetParam()), !binary(), t0, 0);
  ASSERT_TRUE(out.close);
  EXPECT_EQ(out.close->code, close_code::unsupported_data);
}

TEST_P(ProtocolSession, HelloWithoutNameIsMissingFieldAndStaysOpen) {
  auto out = send(hello(""));
  ASSERT_EQ(out.replies.size(), 1u);
  EXPECT_FALSE(out.close);
  ASSERT_TRUE(out.replies[0].has_error());
  EXPECT_EQ(out.replies[0].error().code(), v1::ERROR_CODE_MISSING_FIELD);
  EXPECT_EQ(out.replies[0].error().field(), "displayName");
  EXPECT_EQ(out.replies[0].error().request_id(), 1u);
  EXPECT_FALSE(session_.handshaken());
  handshake();  // a corrected Hello still works
}

TEST_P(ProtocolSession, OversizedFieldIsFieldTooLong) {
  auto out = send(hello(std::string(65, 'x')));
  ASSERT_EQ(out.replies.size(), 1u);
  EXPECT_EQ(out.replies[0].error().code(), v1::ERROR_CODE_FIELD_TOO_LONG);
  EXPECT_EQ(out.replies[0].error().field(), "displayName");
  handshake();
  out = send(ping(2, std::string(1025, 'p')));
  ASSERT_EQ(out.replies.size(), 1u);
  EXPECT_EQ(out.replies[0].error().code(), v1::ERROR_CODE_FIELD_TOO_LONG);
  EXPECT_EQ(out.replies[0].error().field(), "payload");
  EXPECT_FALSE(out.close);
}

TEST_P(ProtocolSession, SecondHelloIsAnErrorNotAClose) {
  handshake();
  auto out = send(hello("Again", 2));
  ASSERT_EQ(out.replies.size(), 1u);
  EXPECT_EQ(out.replies[0].error().code(), v1::ERROR_CODE_ALREADY_HANDSHAKEN);
  EXPECT_FALSE(out.close);
}

TEST_P(ProtocolSession, PingEchoesPayloadWithServerTime) {
  handshake();
  auto out = send(ping(9, "abc"));
  ASSERT_EQ(out.replies.size(), 1u);
  EXPECT_EQ(out.replies[0].request_id(), 9u);
  EXPECT_EQ(out.replies[0].pong().payload(), "abc");
  EXPECT_EQ(out.replies[0].pong().server_time_ms(), 1'700'000'000'000);
}

TEST_P(ProtocolSession, AfterHandshakeBadFramesGetErrorsAndStayOpen) {
  handshake();
  auto out = session_.on_message(binary() ? std::string("\xff\xff\xff", 3) : std::string("{nope"), binary(), t0, 0);
  ASSERT_EQ(out.replies.size(), 1u);
  EXPECT_EQ(out.replies[0].error().code(), v1::ERROR_CODE_DECODE_FAILED);
  EXPECT_FALSE(out.close);

  v1::ClientMessage empty;
  empty.set_request_id(3);
  out = send(empty);
  ASSERT_EQ(out.replies.size(), 1u);
  EXPECT_EQ(out.replies[0].error().code(), v1::ERROR_CODE_EMPTY_MESSAGE);
  EXPECT_EQ(out.replies[0].request_id(), 3u);
  EXPECT_FALSE(out.close);
}

TEST_P(ProtocolSession, RateLimitDropsExcessWithTypedError) {
  handshake();
  for (uint32_t i = 0; i < 5; ++i) EXPECT_TRUE(send(ping(10 + i)).replies[0].has_pong()) << i;
  auto out = send(ping(20));
  ASSERT_EQ(out.replies.size(), 1u);
  EXPECT_EQ(out.replies[0].error().code(), v1::ERROR_CODE_RATE_LIMITED);
  EXPECT_EQ(out.replies[0].request_id(), 20u);
  EXPECT_FALSE(out.close);
  EXPECT_TRUE(send(ping(21), t0 + 200ms).replies[0].has_pong()) << "the bucket refills with time";
}

TEST_P(ProtocolSession, SignalsAreCheckedForShapeAndSize) {
  handshake();
  auto signal = [](auto fill) {
    v1::ClientMessage m;
    m.set_request_id(30);
    m.mutable_rtc_signal()->set_to_participant_id("peer");
    fill(*m.mutable_rtc_signal());
    return m;
  };
  struct bad_case {
    const char* what;
    v1::ClientMessage m;
    v1::ErrorCode code;
    const char* field;
  };
  const bad_case cases[] = {
      {"no payload", signal([](auto&) {}), v1::ERROR_CODE_MISSING_FIELD, "description"},
      {"no peer", signal([](auto& s) {
         s.clear_to_participant_id();
         s.mutable_candidate();
       }),
       v1::ERROR_CODE_MISSING_FIELD, "toParticipantId"},
      {"a description without a type", signal([](auto& s) { s.mutable_description()->set_sdp("v=0"); }),
       v1::ERROR_CODE_MISSING_FIELD, "type"},
      {"an offer without SDP",
       signal([](auto& s) { s.mutable_description()->set_type(v1::SessionDescription::TYPE_OFFER); }),
       v1::ERROR_CODE_MISSING_FIELD, "sdp"},
      {"a candidate over 1 KiB", signal([](auto& s) { s.mutable_candidate()->set_candidate(std::string(1025, 'c')); }),
       v1::ERROR_CODE_FIELD_TOO_LONG, "candidate"},
  };
  for (const auto& c : cases) {
    const auto out = send(c.m);
    ASSERT_EQ(out.replies.size(), 1u) << c.what;
    EXPECT_EQ(out.replies[0].error().code(), c.code) << c.what;
    EXPECT_EQ(out.replies[0].error().field(), c.field) << c.what;
    EXPECT_EQ(out.replies[0].request_id(), 30u);
    EXPECT_FALSE(out.close);
  }
  // A rollback carries no SDP; an end-of-candidates is an empty candidate.
  EXPECT_TRUE(
      send(signal([](auto& s) { s.mutable_description()->set_type(v1::SessionDescription::TYPE_ROLLBACK); })).forward);
  EXPECT_TRUE(send(signal([](auto& s) { s.mutable_candidate(); })).forward);
}

TEST_P(ProtocolSession, MyMocksRequestsAreCheckedBeforeTheStore) {
  handshake();
  auto with = [](uint32_t id, auto fill) {
    v1::ClientMessage m;
    m.set_request_id(id);
    fill(m);
    return m;
  };
  auto rate = [](v1::ClientMessage& m) {
    auto* r = m.mutable_rate_feedback();
    r->set_debrief_id("d");
    r->set_rater_id("p");
    r->set_usefulness(3);
    return r;
  };
  struct bad_case {
    const char* what;
    v1::ClientMessage m;
    v1::ErrorCode code;
    const char* field;
  };
  const bad_case cases[] = {
      {"limit over 200", with(1, [](auto& m) { m.mutable_list_my_mocks()->set_limit(201); }),
       v1::ERROR_CODE_INVALID_ARGUMENT, "limit"},
      {"no debrief id", with(2, [](auto& m) { m.mutable_get_my_debrief(); }), v1::ERROR_CODE_MISSING_FIELD,
       "debriefId"},
      {"a debrief id over 64", with(3, [](auto& m) { m.mutable_get_my_debrief()->set_debrief_id(std::string(65, 'd')); }),
       v1::ERROR_CODE_FIELD_TOO_LONG, "debriefId"},
      {"usefulness 0", with(4, [&](auto& m) { rate(m)->set_usefulness(0); }), v1::ERROR_CODE_INVALID_ARGUMENT,
       "usefulness"},
      {"usefulness 6", with(5, [&](auto& m) { rate(m)->set_usefulness(6); }), v1::ERROR_CODE_INVALID_ARGUMENT,
       "usefulness"},
      {"no rater", with(6, [&](auto& m) { rate(m)->clear_rater_id(); }), v1::ERROR_CODE_MISSING_FIELD, "raterId"},
      {"a long comment", with(7, [&](auto& m) { rate(m)->set_comment(std::string(501, 'c')); }),
       v1::ERROR_CODE_FIELD_TOO_LONG, "comment"},
  };
  for (const auto& c : cases) {
    const auto out = send(c.m, t0 + 1s * c.m.request_id());  // past the rate limit
    ASSERT_EQ(out.replies.size(), 1u) << c.what;
    EXPECT_EQ(out.replies[0].error().code(), c.code) << c.what;
    EXPECT_EQ(out.replies[0].error().field(), c.field) << c.what;
    EXPECT_FALSE(out.forward) << c.what;
  }
  EXPECT_TRUE(send(with(8, [](auto& m) { m.mutable_list_my_mocks()->set_limit(200); }), t0 + 9s).forward);
  EXPECT_TRUE(send(with(9, [&](auto& m) { rate(m)->set_usefulness(5); }), t0 + 10s).forward);
}

// An unknown enum number is refused however deep it sits: here inside a
// repeated message inside a message of the scorecard (validate_request
// walks only the types that can hold an enum, so this checks that walk).
TEST(ValidateRequest, UnknownEnumNumbersAreFoundAtAnyDepth) {
  v1::ClientMessage m;
  auto* card = m.mutable_save_scorecard()->mutable_scorecard();
  auto* score = card->add_scores();
  score->set_dimension_id("scoping");
  score->set_rating(3);
  auto* dim = card->mutable_at_level()->add_dimensions();
  dim->set_dimension_id("scoping");
  dim->set_standing(v1::STANDING_MEETS);
  EXPECT_FALSE(validate_request(m)) << "every enum known";

  dim->set_standing(static_cast<v1::Standing>(99));
  const auto e = validate_request(m);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->code(), v1::ERROR_CODE_INVALID_ARGUMENT);
  EXPECT_EQ(e->field(), "standing");

  dim->set_standing(v1::STANDING_BELOW);
  card->set_recommendation(static_cast<v1::Recommendation>(42));
  const auto top = validate_request(m);
  ASSERT_TRUE(top);
  EXPECT_EQ(top->field(), "recommendation");
}

TEST_P(ProtocolSession, HelloDeadlineClosesOnlyBeforeHandshake) {
  auto why = session_.on_hello_deadline();
  ASSERT_TRUE(why);
  EXPECT_EQ(why->code, close_code::policy_violation);
  handshake();
  EXPECT_FALSE(session_.on_hello_deadline());
}

INSTANTIATE_TEST_SUITE_P(BothEncodings, ProtocolSession, ::testing::Values(encoding::binary, encoding::json),
                         [](const auto& info) { return info.param == encoding::binary ? "binary" : "json"; });

}  // namespace
}  // namespace mockloop
