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
// field, a scalar for a message. The frame is also read as a JSON value
// (google.protobuf.Value) and its shape checked against the schema, so such
// input is refused rather than guessed at. Null stands for the default
// everywhere. Returns what is wrong, or nothing.
//
// The Value is read through reflection, not its generated accessors: Value
// and Struct are compiled into Debian's libprotobuf, and under TSan the
// inline map accessors compiled here disagree with the library's layout
// (a Struct's fields iterate as empty). Reflection runs the library's code.
enum class json_kind { none, null, number, string, boolean, object, list };

json_kind kind_of(const pb::Message& value) {
  const auto* r = value.GetReflection();
  const auto* f = r->GetOneofFieldDescriptor(value, value.GetDescriptor()->FindOneofByName("kind"));
  if (!f) return json_kind::none;
  switch (f->number()) {  // google/protobuf/struct.proto
    case 1: return json_kind::null;
    case 2: return json_kind::number;
    case 3: return json_kind::string;
    case 4: return json_kind::boolean;
    case 5: return json_kind::object;
    case 6: return json_kind::list;
    default: return json_kind::none;
  }
}

// The struct_value (5) or list_value (6) inside a Value.
const pb::Message& member(const pb::Message& value, int number) {
  return value.GetReflection()->GetMessage(value, value.GetDescriptor()->FindFieldByNumber(number));
}

std::optional<std::string> shape_error(const pb::Message& value, const pb::FieldDescriptor& f, bool element);

std::optional<std::string> object_shape_error(const pb::Message& object, const pb::Descriptor& d) {
  const auto* entries = object.GetDescriptor()->FindFieldByNumber(1);  // map<string, Value> fields
  const auto* r = object.GetReflection();
  for (int i = 0, n = r->FieldSize(object, entries); i < n; ++i) {
    const auto& entry = r->GetRepeatedMessage(object, entries, i);
    const auto* er = entry.GetReflection();
    const auto key = er->GetString(entry, entry.GetDescriptor()->FindFieldByNumber(1));
    const pb::FieldDescriptor* f = nullptr;
    for (int j = 0; j < d.field_count() && !f; ++j)
      if (d.field(j)->json_name() == key || d.field(j)->name() == key) f = d.field(j);
    if (!f) continue;  // unknown members are the real parser's to judge
    if (auto e = shape_error(er->GetMessage(entry, entry.GetDescriptor()->FindFieldByNumber(2)), *f, false)) return e;
  }
  return std::nullopt;
}

std::optional<std::string> shape_error(const pb::Message& value, const pb::FieldDescriptor& f, bool element) {
  const auto kind = kind_of(value);
  if (kind == json_kind::null) return std::nullopt;
  auto wrong = [&](std::string_view want) -> std::optional<std::string> {
    return "field '" + f.json_name() + "' must be " + std::string(want);
  };
  if (f.is_repeated() && !element) {
    if (f.is_map()) return kind == json_kind::object ? std::nullopt : wrong("an object");
    if (kind != json_kind::list) return wrong("a list");
    const auto& list = member(value, 6);
    const auto* values = list.GetDescriptor()->FindFieldByNumber(1);
    const auto* r = list.GetReflection();
    for (int i = 0, n = r->FieldSize(list, values); i < n; ++i)
      if (auto e = shape_error(r->GetRepeatedMessage(list, values, i), f, true)) return e;
    return std::nullopt;
  }
  switch (f.cpp_type()) {
    case pb::FieldDescriptor::CPPTYPE_MESSAGE:
      if (f.message_type()->file()->package() == "google.protobuf") return std::nullopt;  // well-known types
      if (kind != json_kind::object) return wrong("an object");
      return object_shape_error(member(value, 5), *f.message_type());
    case pb::FieldDescriptor::CPPTYPE_BOOL:
      return kind == json_kind::boolean ? std::nullopt : wrong("true or false");
    case pb::FieldDescriptor::CPPTYPE_STRING:
      return kind == json_kind::string ? std::nullopt : wrong("a string");
    case pb::FieldDescriptor::CPPTYPE_ENUM:
      return kind == json_kind::string || kind == json_kind::number ? std::nullopt : wrong("an enum name");
    default:  // numbers: canonical JSON also writes them as strings (64-bit ones always)
      return kind == json_kind::number || kind == json_kind::string ? std::nullopt : wrong("a number");
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
      kind_of(shape) != json_kind::object) {
    out.Clear();
    return decode_error{v1::ERROR_CODE_DECODE_FAILED, "invalid JSON"};
  }
  if (auto e = object_shape_error(member(shape, 5), *Envelope::descriptor())) {
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
