#include "mockloop/codec.h"

#include <google/protobuf/stubs/logging.h>
#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>

namespace mockloop {
namespace {

namespace pb = google::protobuf;

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// protobuf's own message text, without the snippet of input it quotes
// after the first line (it can cut a UTF-8 sequence in half).
std::string first_line(const pb::util::Status& status) {
  const std::string_view m(status.message().data(), status.message().size());
  return std::string(m.substr(0, m.find('\n')));
}

// protobuf 3.21's JSON parser coerces some values the canonical mapping
// does not allow: the string "yes" for a bool, a lone value for a repeated
// field, a scalar for a message. The frame is first read as a JSON value
// and its shape checked against the schema, so such input is refused
// rather than guessed at. Null stands for the default everywhere. Returns
// what is wrong, or nothing.
std::optional<std::string> shape_error(const pb::Value& v, const pb::FieldDescriptor& f, bool element);

std::optional<std::string> shape_error(const pb::Struct& object, const pb::Descriptor& d) {
  for (const auto& [key, value] : object.fields()) {
    const pb::FieldDescriptor* f = nullptr;
    for (int i = 0; i < d.field_count() && !f; ++i)
      if (d.field(i)->json_name() == key || d.field(i)->name() == key) f = d.field(i);
    if (!f) continue;  // unknown members are the real parser's to judge
    if (auto e = shape_error(value, *f, false)) return e;
  }
  return std::nullopt;
}

std::optional<std::string> shape_error(const pb::Value& v, const pb::FieldDescriptor& f, bool element) {
  if (v.kind_case() == pb::Value::kNullValue) return std::nullopt;
  auto wrong = [&](std::string_view want) {
    return "field '" + f.json_name() + "' must be " + std::string(want);
  };
  if (f.is_repeated() && !element) {
    if (f.is_map()) return v.has_struct_value() ? std::nullopt : std::optional(wrong("an object"));
    if (!v.has_list_value()) return wrong("a list");
    for (const auto& item : v.list_value().values())
      if (auto e = shape_error(item, f, true)) return e;
    return std::nullopt;
  }
  switch (f.cpp_type()) {
    case pb::FieldDescriptor::CPPTYPE_MESSAGE:
      if (f.message_type()->file()->package() == "google.protobuf") return std::nullopt;  // well-known types
      if (!v.has_struct_value()) return wrong("an object");
      return shape_error(v.struct_value(), *f.message_type());
    case pb::FieldDescriptor::CPPTYPE_BOOL:
      return v.kind_case() == pb::Value::kBoolValue ? std::nullopt : std::optional(wrong("true or false"));
    case pb::FieldDescriptor::CPPTYPE_STRING:
      return v.kind_case() == pb::Value::kStringValue ? std::nullopt : std::optional(wrong("a string"));
    case pb::FieldDescriptor::CPPTYPE_ENUM:
      return v.kind_case() == pb::Value::kStringValue || v.kind_case() == pb::Value::kNumberValue
                 ? std::nullopt
                 : std::optional(wrong("an enum name"));
    default:  // numbers: canonical JSON also writes them as strings (64-bit ones always)
      return v.kind_case() == pb::Value::kNumberValue || v.kind_case() == pb::Value::kStringValue
                 ? std::nullopt
                 : std::optional(wrong("a number"));
  }
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
                          "message type not known to this server: " + first_line(status)};
    out.Clear();
    return decode_error{v1::ERROR_CODE_DECODE_FAILED, "invalid JSON message: " + first_line(status)};
  }
  // Parsed: so the nesting is within the schema's depth. Now the shape, which
  // the parser above may have coerced.
  pb::Value shape;
  if (!pb::util::JsonStringToMessage(pb::StringPiece(frame.data(), frame.size()), &shape).ok() ||
      !shape.has_struct_value()) {
    out.Clear();
    return decode_error{v1::ERROR_CODE_DECODE_FAILED, "invalid JSON"};
  }
  if (auto e = shape_error(shape.struct_value(), *Envelope::descriptor())) {
    out.Clear();
    return decode_error{v1::ERROR_CODE_DECODE_FAILED, "invalid JSON message: " + *e};
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
