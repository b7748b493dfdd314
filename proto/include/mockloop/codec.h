// Encoding and decoding of wire envelopes, shared by server and client.
//
// One schema, two encodings, chosen per connection by WebSocket subprotocol.
// Decoding never throws and never logs: a failure comes back as a typed
// error the caller turns into an Error reply.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "mockloop/v1/wire.pb.h"

namespace mockloop {

enum class encoding { binary, json };

inline constexpr std::string_view subprotocol_binary = "mockloop.v1.proto";
inline constexpr std::string_view subprotocol_json = "mockloop.v1.json";

std::string_view subprotocol_name(encoding e);

// Picks the first protocol in a Sec-WebSocket-Protocol header value (a
// comma-separated list, in the client's order of preference) that we speak.
std::optional<encoding> negotiate_subprotocol(std::string_view offered);

struct decode_error {
  v1::ErrorCode code;
  std::string message;
};

// Decodes a client envelope. An envelope whose body is unset comes back as
// EMPTY_MESSAGE, or UNKNOWN_MESSAGE when it carried a body this schema does
// not know (a newer client). The message's request_id is kept in `out` even
// on those two errors so the reply can name it.
std::optional<decode_error> decode(std::string_view frame, encoding e, v1::ClientMessage& out);
std::optional<decode_error> decode(std::string_view frame, encoding e, v1::ServerMessage& out);

std::string encode(const v1::ServerMessage& m, encoding e);
std::string encode(const v1::ClientMessage& m, encoding e);

// Routes protobuf's own log lines (it logs, e.g., invalid UTF-8 while
// parsing) to a sink of the caller's choice instead of stderr; call once.
void route_protobuf_logs(void (*sink)(int level, const char* filename, int line, const std::string& message));

}  // namespace mockloop
