// One client connection's protocol state, without the socket: frames in,
// replies and decisions out. The WebSocket session in the shell owns one and
// only does I/O with what it returns.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mockloop/codec.h"
#include "mockloop/core/config.h"
#include "mockloop/core/rate_limiter.h"
#include "mockloop/v1/wire.pb.h"

namespace mockloop {

// RFC 6455 close codes, as numbers so that the core needs no Beast.
enum class close_code : uint16_t {
  normal = 1000,
  going_away = 1001,
  protocol_error = 1002,
  unsupported_data = 1003,    // e.g. a binary frame on a JSON session
  invalid_payload = 1007,
  policy_violation = 1008,    // e.g. a message before Hello
  message_too_big = 1009,
  internal_error = 1011,
  try_again_later = 1013,     // slow consumer
};

struct close_request {
  close_code code;
  std::string reason;  // <= 123 bytes, as the close frame allows
};

// Secrets and ids the shell draws from a CSPRNG for this connection.
struct session_identity {
  std::string session_id;
  std::string resume_token;
};

inline constexpr std::string_view server_version = "0.1.0";

class protocol_session {
 public:
  using time_point = std::chrono::steady_clock::time_point;

  struct output {
    std::vector<v1::ServerMessage> replies;
    std::optional<close_request> close;
    // A decoded, validated request for the application layer (rooms,
    // matchmaking) once the handshake is done; empty when handled here.
    std::optional<v1::ClientMessage> forward;
  };

  protocol_session(encoding enc, session_identity id, const server_config& cfg, time_point now);

  // One complete WebSocket message. `binary` says which frame type it came in.
  output on_message(std::string_view payload, bool binary, time_point now, int64_t system_time_ms);

  // The Hello deadline passed; closes unless the handshake is done.
  std::optional<close_request> on_hello_deadline() const;

  bool handshaken() const { return handshaken_; }
  encoding wire_encoding() const { return encoding_; }
  const session_identity& identity() const { return identity_; }
  const v1::Hello& hello() const { return hello_; }

 private:
  output on_hello(const v1::ClientMessage& m, int64_t system_time_ms);

  encoding encoding_;
  session_identity identity_;
  uint32_t max_frame_bytes_;
  uint32_t messages_per_second_;
  rate_limiter limiter_;
  uint32_t signals_per_second_;
  rate_limiter signal_limiter_;
  bool handshaken_ = false;
  v1::Hello hello_;
};

// An Error reply for request `request_id`.
v1::ServerMessage make_error(uint32_t request_id, v1::ErrorCode code, std::string message, std::string field = {});

// Bounds every text field a client may send. Returns the Error to reply
// with, or nothing when the message is acceptable.
std::optional<v1::Error> validate_request(const v1::ClientMessage& m);

}  // namespace mockloop
