// Fuzzes the canonical-JSON decoder with what a client can put in one text
// frame: every failure is one of the documented codes, and an accepted
// message validates and round-trips through both encodings unchanged.
//
// Any bytes reach the parser here (crash surface), but the checks about what
// the client is told apply to valid UTF-8 only: Beast closes a text frame
// that is not UTF-8 with 1007 before the server decodes it.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz_check.h"
#include "mockloop/codec.h"
#include "mockloop/core/protocol_session.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  mockloop::route_protobuf_logs([](int, const char*, int, const std::string&) {});
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace mockloop;
  const std::string_view frame(reinterpret_cast<const char*>(data), size);
  const bool reachable = fuzz::valid_utf8(frame);
  v1::ClientMessage m;
  if (const auto err = decode(frame, encoding::json, m)) {
    FUZZ_CHECK(err->code == v1::ERROR_CODE_DECODE_FAILED || err->code == v1::ERROR_CODE_UNKNOWN_MESSAGE ||
               err->code == v1::ERROR_CODE_EMPTY_MESSAGE);
    FUZZ_CHECK(!err->message.empty());
    FUZZ_CHECK(m.body_case() == v1::ClientMessage::BODY_NOT_SET);
    // The message goes into Error.message, a proto3 string shown to a
    // person: it must be UTF-8 whenever the frame was.
    if (reachable) FUZZ_CHECK(fuzz::valid_utf8(err->message));
    return 0;
  }
  FUZZ_CHECK(m.body_case() != v1::ClientMessage::BODY_NOT_SET);
  if (const auto e = validate_request(m)) {
    FUZZ_CHECK(e->code() != v1::ERROR_CODE_UNSPECIFIED);
    FUZZ_CHECK(!e->message().empty());
  }
  if (!reachable) return 0;

  v1::ClientMessage again;
  const auto json = encode(m, encoding::json);
  FUZZ_CHECK(!decode(json, encoding::json, again));
  FUZZ_CHECK(fuzz::same(m, again));
  const auto bin = encode(m, encoding::binary);
  v1::ClientMessage from_bin;
  FUZZ_CHECK(!decode(bin, encoding::binary, from_bin));
  FUZZ_CHECK(fuzz::same(m, from_bin));
  return 0;
}
