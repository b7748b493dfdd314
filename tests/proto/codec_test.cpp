#include "mockloop/codec.h"

#include <gtest/gtest.h>

namespace mockloop {
namespace {

v1::ClientMessage hello_message() {
  v1::ClientMessage m;
  m.set_request_id(7);
  m.mutable_hello()->set_display_name("Ada");
  m.mutable_hello()->set_client_name("test");
  return m;
}

TEST(Subprotocol, PicksFirstSupportedInClientOrder) {
  EXPECT_EQ(negotiate_subprotocol("mockloop.v1.json"), encoding::json);
  EXPECT_EQ(negotiate_subprotocol("mockloop.v1.proto"), encoding::binary);
  EXPECT_EQ(negotiate_subprotocol("chat, mockloop.v1.json , mockloop.v1.proto"), encoding::json);
  EXPECT_EQ(negotiate_subprotocol("mockloop.v1.proto,mockloop.v1.json"), encoding::binary);
  EXPECT_EQ(negotiate_subprotocol("mockloop.v2.json, chat"), std::nullopt);
  EXPECT_EQ(negotiate_subprotocol(""), std::nullopt);
}

class CodecRoundTrip : public ::testing::TestWithParam<encoding> {};

TEST_P(CodecRoundTrip, ClientMessageSurvives) {
  const auto m = hello_message();
  v1::ClientMessage back;
  ASSERT_FALSE(decode(encode(m, GetParam()), GetParam(), back));
  EXPECT_EQ(back.request_id(), 7u);
  EXPECT_EQ(back.hello().display_name(), "Ada");
}

TEST_P(CodecRoundTrip, ServerMessageSurvives) {
  v1::ServerMessage m;
  m.set_request_id(3);
  m.mutable_error()->set_code(v1::ERROR_CODE_FIELD_TOO_LONG);
  m.mutable_error()->set_message("too long");
  v1::ServerMessage back;
  ASSERT_FALSE(decode(encode(m, GetParam()), GetParam(), back));
  EXPECT_EQ(back.error().code(), v1::ERROR_CODE_FIELD_TOO_LONG);
  EXPECT_EQ(back.error().message(), "too long");
}

TEST_P(CodecRoundTrip, EmptyEnvelopeIsEmptyMessage) {
  v1::ClientMessage m;
  m.set_request_id(4);
  v1::ClientMessage back;
  auto err = decode(encode(m, GetParam()), GetParam(), back);
  ASSERT_TRUE(err);
  EXPECT_EQ(err->code, v1::ERROR_CODE_EMPTY_MESSAGE);
  EXPECT_EQ(back.request_id(), 4u) << "the reply must be able to name the request";
}

INSTANTIATE_TEST_SUITE_P(BothEncodings, CodecRoundTrip, ::testing::Values(encoding::binary, encoding::json));

TEST(Codec, JsonUsesCanonicalMapping) {
  const auto json = encode(hello_message(), encoding::json);
  EXPECT_NE(json.find("\"requestId\":7"), std::string::npos) << json;
  EXPECT_NE(json.find("\"displayName\":\"Ada\""), std::string::npos) << json;
  v1::ServerMessage e;
  e.mutable_error()->set_code(v1::ERROR_CODE_RATE_LIMITED);
  EXPECT_NE(encode(e, encoding::json).find("\"ERROR_CODE_RATE_LIMITED\""), std::string::npos);
}

TEST(Codec, JsonAcceptsProtoFieldNamesToo) {
  v1::ClientMessage back;
  ASSERT_FALSE(decode(R"({"request_id":2,"hello":{"display_name":"Bo"}})", encoding::json, back));
  EXPECT_EQ(back.hello().display_name(), "Bo");
}

TEST(Codec, GarbageBytesAreDecodeFailed) {
  v1::ClientMessage back;
  auto err = decode(std::string("\xff\xff\xff\xff\x0f", 5), encoding::binary, back);
  ASSERT_TRUE(err);
  EXPECT_EQ(err->code, v1::ERROR_CODE_DECODE_FAILED);
}

TEST(Codec, InvalidJsonIsDecodeFailed) {
  v1::ClientMessage back;
  for (const char* bad : {"{", "[]", "not json", R"({"requestId":"x"})", R"({"hello":{"displayName":5}})"}) {
    auto err = decode(bad, encoding::json, back);
    ASSERT_TRUE(err) << bad;
    EXPECT_EQ(err->code, v1::ERROR_CODE_DECODE_FAILED) << bad;
  }
}

// protobuf's parser would coerce these; the canonical mapping does not
// allow them, so they are refused, and the message says which field.
TEST(Codec, JsonValuesOfTheWrongTypeAreDecodeFailed) {
  for (const std::string_view frame : {
           R"({"requestId":1,"saveScorecard":{"submit":"yes"}})",
           R"({"requestId":2,"enqueue":{"rounds":"ROUND_TYPE_SYSTEM_DESIGN"}})",
           R"({"requestId":3,"saveScorecard":{"scorecard":{"scores":{"dimensionId":"x","rating":2}}}})",
       }) {
    v1::ClientMessage m;
    const auto err = decode(frame, encoding::json, m);
    ASSERT_TRUE(err) << frame;
    EXPECT_EQ(err->code, v1::ERROR_CODE_DECODE_FAILED) << frame;
    EXPECT_NE(err->message.find("field '"), std::string::npos) << err->message;
  }
}

TEST(Codec, CanonicalJsonSpellingsAreAccepted) {
  v1::ClientMessage m;
  // int64 as a string, enums by name or number, null for a default.
  EXPECT_FALSE(decode(R"({"requestId":"9","enqueue":{"rounds":["ROUND_TYPE_SYSTEM_DESIGN",2],"level":null}})",
                      encoding::json, m));
  EXPECT_EQ(m.request_id(), 9u);
  EXPECT_EQ(m.enqueue().rounds_size(), 2);
}

TEST(Codec, JsonErrorTextIsValidUtf8) {
  // The parser quotes the input around the error; cut there, a multi-byte
  // character could be split. Only the first line is kept.
  v1::ClientMessage m;
  const auto err = decode("{\"requestId\":2,\"ping\":{\"payload\":\"\xc3\xa9\xe2\x80\xa6\xc3\xa9\"xx}}", encoding::json, m);
  ASSERT_TRUE(err);
  EXPECT_EQ(err->message.find('\n'), std::string::npos) << err->message;
  v1::ServerMessage reply;
  reply.mutable_error()->set_message(err->message);
  std::string bytes;
  EXPECT_TRUE(reply.SerializeToString(&bytes)) << "proto3 strings must be UTF-8";
}

TEST(Codec, UnknownJsonMemberIsUnknownMessage) {
  v1::ClientMessage back;
  auto err = decode(R"({"requestId":9,"teleport":{"to":"mars"}})", encoding::json, back);
  ASSERT_TRUE(err);
  EXPECT_EQ(err->code, v1::ERROR_CODE_UNKNOWN_MESSAGE);
  EXPECT_EQ(back.request_id(), 9u);
}

TEST(Codec, UnknownBinaryFieldIsUnknownMessage) {
  // request_id = 5 (field 1, varint), then field 999 (length-delimited, empty):
  // what a newer client's message type looks like to this server.
  const std::string frame("\x08\x05\xba\x3e\x00", 5);
  v1::ClientMessage back;
  auto err = decode(frame, encoding::binary, back);
  ASSERT_TRUE(err);
  EXPECT_EQ(err->code, v1::ERROR_CODE_UNKNOWN_MESSAGE);
  EXPECT_EQ(back.request_id(), 5u);
}

}  // namespace
}  // namespace mockloop
