// Fuzzes the binary decoder with what a client can put in one binary frame.
// Beyond "no crash, no sanitizer report": every failure is one of the three
// documented codes, and whatever is accepted survives validation and a round
// trip through both encodings unchanged (the server re-encodes what it keeps).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz_check.h"
#include "mockloop/codec.h"
#include "mockloop/core/protocol_session.h"

namespace {

using namespace mockloop;

void check_round_trip(const v1::ClientMessage& m) {
  v1::ClientMessage again;
  const auto bin = encode(m, encoding::binary);
  FUZZ_CHECK(!decode(bin, encoding::binary, again));
  FUZZ_CHECK(fuzz::same(m, again));

  // JSON has no place for unknown fields; everything else must come back.
  v1::ClientMessage known = m;
  known.DiscardUnknownFields();
  const auto json = encode(known, encoding::json);
  FUZZ_CHECK(!json.empty());
  v1::ClientMessage from_json;
  FUZZ_CHECK(!decode(json, encoding::json, from_json));
  FUZZ_CHECK(fuzz::same(known, from_json));
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  // protobuf logs, e.g., invalid UTF-8 in a string field; keep the output
  // to what libFuzzer prints.
  route_protobuf_logs([](int, const char*, int, const std::string&) {});
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view frame(reinterpret_cast<const char*>(data), size);
  v1::ClientMessage m;
  if (const auto err = decode(frame, encoding::binary, m)) {
    FUZZ_CHECK(err->code == v1::ERROR_CODE_DECODE_FAILED || err->code == v1::ERROR_CODE_UNKNOWN_MESSAGE ||
               err->code == v1::ERROR_CODE_EMPTY_MESSAGE);
    FUZZ_CHECK(!err->message.empty());
    FUZZ_CHECK(m.body_case() == v1::ClientMessage::BODY_NOT_SET);
    return 0;
  }
  FUZZ_CHECK(m.body_case() != v1::ClientMessage::BODY_NOT_SET);
  if (const auto e = validate_request(m)) {
    FUZZ_CHECK(e->code() != v1::ERROR_CODE_UNSPECIFIED);
    FUZZ_CHECK(!e->message().empty());
  }
  check_round_trip(m);
  return 0;
}
