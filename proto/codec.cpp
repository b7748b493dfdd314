#include "mockloop/codec.h"

#include <google/protobuf/stubs/logging.h>
#include <google/protobuf/util/json_util.h>

namespace mockloop {
namespace {

namespace pb = google::protobuf;

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

template <class Envelope>
std::optional<decode_error> decode_envelope(std::string_view frame, encoding e, Envelope& out) {
  out.Clear();
  if (e == encoding::binary) {
    if (!out.ParseFromArray(frame.data(), static_cast<int>(frame.size()))) {
      out.Clear();
      return decode_error{v1::ERROR_CODE_DECODE_FAILED, "frame is not a valid protobuf-encoded message"};
    }
    if (out.body_case() == Envelope::BODY_NOT_SET) {
      const bool had_unknown = out.GetReflection()->GetUnknownFields(out).field_count() > 0;
      if (had_unknown)
        return decode_error{v1::ERROR_CODE_UNKNOWN_MESSAGE, "message type not known to this server"};
      return decode_error{v1::ERROR_CODE_EMPTY_MESSAGE, "envelope carries no message"};
    }
    return std::nullopt;
  }

  pb::util::JsonParseOptions strict;
  const auto status = pb::util::JsonStringToMessage(pb::StringPiece(frame.data(), frame.size()), &out, strict);
  if (!status.ok()) {
    // A well-formed envelope with a member we do not know is a newer
    // client's message, not garbage: tell the two apart.
    pb::util::JsonParseOptions lenient;
    lenient.ignore_unknown_fields = true;
    out.Clear();
    if (pb::util::JsonStringToMessage(pb::StringPiece(frame.data(), frame.size()), &out, lenient).ok() &&
        out.body_case() == Envelope::BODY_NOT_SET)
      return decode_error{v1::ERROR_CODE_UNKNOWN_MESSAGE,
                          "message type not known to this server: " + std::string(status.message())};
    out.Clear();
    return decode_error{v1::ERROR_CODE_DECODE_FAILED, "invalid JSON message: " + std::string(status.message())};
  }
  if (out.body_case() == Envelope::BODY_NOT_SET)
    return decode_error{v1::ERROR_CODE_EMPTY_MESSAGE, "envelope carries no message"};
  return std::nullopt;
}

template <class Envelope>
std::string encode_envelope(const Envelope& m, encoding e) {
  std::string out;
  if (e == encoding::binary) {
    m.SerializeToString(&out);
    return out;
  }
  // Canonical mapping: lowerCamelCase names, defaults omitted, 64-bit ints
  // as strings. MessageToJsonString only fails on invalid descriptors.
  pb::util::JsonPrintOptions opts;
  (void)pb::util::MessageToJsonString(m, &out, opts);
  return out;
}

}  // namespace

std::string_view subprotocol_name(encoding e) {
  return e == encoding::binary ? subprotocol_binary : subprotocol_json;
}

std::optional<encoding> negotiate_subprotocol(std::string_view offered) {
  while (!offered.empty()) {
    const auto comma = offered.find(',');
    const auto item = trim(offered.substr(0, comma));
    if (item == subprotocol_binary) return encoding::binary;
    if (item == subprotocol_json) return encoding::json;
    if (comma == std::string_view::npos) break;
    offered.remove_prefix(comma + 1);
  }
  return std::nullopt;
}

std::optional<decode_error> decode(std::string_view frame, encoding e, v1::ClientMessage& out) {
  return decode_envelope(frame, e, out);
}
std::optional<decode_error> decode(std::string_view frame, encoding e, v1::ServerMessage& out) {
  return decode_envelope(frame, e, out);
}
std::string encode(const v1::ServerMessage& m, encoding e) { return encode_envelope(m, e); }
std::string encode(const v1::ClientMessage& m, encoding e) { return encode_envelope(m, e); }

namespace {
void (*g_sink)(int, const char*, int, const std::string&) = nullptr;
void forward_log(pb::LogLevel level, const char* filename, int line, const std::string& message) {
  if (g_sink) g_sink(static_cast<int>(level), filename, line, message);
}
}  // namespace

void route_protobuf_logs(void (*sink)(int, const char*, int, const std::string&)) {
  g_sink = sink;
  pb::SetLogHandler(&forward_log);
}

}  // namespace mockloop
