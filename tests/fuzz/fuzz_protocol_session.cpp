// Fuzzes one connection's protocol state (core/protocol_session) with a
// sequence of frames, the way the WebSocket session feeds it: handshake,
// rate limiting, validation and the close decisions, without a socket.
//
// Input format, so that seeds can be written by hand (make-seeds.sh):
//   byte 0          bit 0: session encoding (0 binary, 1 JSON)
//   then frames:    header byte (bit 0: binary frame; bits 1-7: milliseconds
//                   the clock moves before it), 2-byte little-endian length,
//                   payload (cut short at the end of the input)
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz_check.h"
#include "mockloop/codec.h"
#include "mockloop/core/protocol_session.h"

namespace {

using namespace mockloop;

bool documented_close(close_code c) { return c == close_code::unsupported_data || c == close_code::policy_violation; }

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  route_protobuf_logs([](int, const char*, int, const std::string&) {});
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const auto enc = (data[0] & 1) ? encoding::json : encoding::binary;
  server_config cfg;
  cfg.messages_per_second = 5;  // small, so that the limiter's refusals are reached
  auto now = protocol_session::time_point{} + std::chrono::hours(1);
  int64_t wall_ms = 1'795'410'000'000;
  protocol_session session(enc, {"6fb9cd9ac86ea1b2", std::string(32, 'a')}, cfg, now);

  size_t at = 1;
  while (at + 3 <= size) {
    const uint8_t header = data[at];
    const size_t len = std::min<size_t>(data[at + 1] | (data[at + 2] << 8), size - at - 3);
    const std::string_view payload(reinterpret_cast<const char*>(data + at + 3), len);
    at += 3 + len;
    const bool binary_frame = header & 1;
    now += std::chrono::milliseconds(header >> 1);
    wall_ms += header >> 1;
    // Beast closes a text frame that is not UTF-8 (1007) before the session.
    if (!binary_frame && !fuzz::valid_utf8(payload)) return 0;

    const bool was_handshaken = session.handshaken();
    auto out = session.on_message(payload, binary_frame, now, wall_ms);

    if (out.forward) {
      FUZZ_CHECK(was_handshaken);
      FUZZ_CHECK(out.forward->body_case() != v1::ClientMessage::BODY_NOT_SET);
      FUZZ_CHECK(out.forward->body_case() != v1::ClientMessage::kHello);
      FUZZ_CHECK(!validate_request(*out.forward));
    }
    if (session.handshaken() && !was_handshaken) {
      FUZZ_CHECK(out.replies.size() == 1 && out.replies[0].has_welcome());
      FUZZ_CHECK(out.replies[0].welcome().session_id() == "6fb9cd9ac86ea1b2");
    }
    FUZZ_CHECK(was_handshaken <= session.handshaken());
    for (const auto& r : out.replies) {
      if (r.has_error()) {
        FUZZ_CHECK(r.error().code() != v1::ERROR_CODE_UNSPECIFIED);
        FUZZ_CHECK(!r.error().message().empty());
        FUZZ_CHECK(r.error().request_id() == r.request_id());
      }
      // Every reply must reach the client in the session's encoding, as it
      // was: proto3 strings must be UTF-8 for either encoding to carry them.
      if (r.has_error()) FUZZ_CHECK(fuzz::valid_utf8(r.error().message()));
      v1::ServerMessage back;
      FUZZ_CHECK(!decode(encode(r, enc), enc, back));
      FUZZ_CHECK(fuzz::same(r, back));
    }
    if (out.close) {
      FUZZ_CHECK(documented_close(out.close->code));
      FUZZ_CHECK(out.close->reason.size() <= 123);
      FUZZ_CHECK(!out.forward);
      return 0;  // the shell stops reading after a close decision
    }
    FUZZ_CHECK(was_handshaken || out.replies.size() == 1);  // before Hello: a Welcome, an Error, or a close
  }
  return 0;
}
