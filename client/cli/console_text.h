// What the terminal client's files share: short names for enums and
// errors, number formats, enum parsing. Private to client/cli: included by
// console.cpp (the interpreter and its plumbing), console_print.cpp (what
// the server says, printed) and console_commands.cpp (the commands).
#pragma once

#include <cctype>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <optional>
#include <string>
#include <string_view>

#include "console.h"
#include "words.h"

namespace mockloop::cli {

namespace pb = google::protobuf;
using std::chrono::milliseconds;
using std::chrono::steady_clock;

inline constexpr const char* client_version = "0.1.0";

inline outcome ok() { return {}; }
inline outcome fail(std::string message) { return {status::failed, std::move(message)}; }

inline std::string error_text(const v1::Error& e) {
  std::string out = enum_label(v1::ErrorCode_descriptor(), e.code());
  for (auto& c : out) c = c == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  out += ": " + e.message();
  if (!e.field().empty()) out += " (field " + e.field() + ")";
  return out;
}

inline std::string role_label(int r) { return enum_label(v1::Role_descriptor(), r); }
inline std::string stage_label(int s) { return enum_label(v1::RoomStage_descriptor(), s); }
inline std::string rec_label(int r) {
  return r == 0 ? "no recommendation" : enum_label(v1::Recommendation_descriptor(), r);
}

// "L6", as levels are written.
inline std::string level_text(int l) {
  auto out = enum_label(v1::Level_descriptor(), l);
  for (auto& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}
inline std::string round_label(int r) { return enum_label(v1::RoundType_descriptor(), r); }

inline std::string quoted(const std::string& s) { return "\"" + s + "\""; }

// "2026-12-06 20:05 UTC": a past instant, readable, the same on every machine.
inline std::string utc_minute(int64_t unix_ms) {
  const std::time_t t = static_cast<std::time_t>(unix_ms / 1000);
  std::tm tm{};
  if (!::gmtime_r(&t, &tm)) return std::to_string(unix_ms) + " (Unix ms)";
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M UTC", &tm);
  return buf;
}

inline int64_t now_ms() {
  return std::chrono::duration_cast<milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

inline std::string percent(double share) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%.0f%%", share * 100);
  return buf;
}

inline std::string decimal(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", v);
  return buf;
}

template <class E>
std::optional<E> parse(const pb::EnumDescriptor* d, std::string_view text) {
  auto v = parse_enum(d, text);
  if (!v) return std::nullopt;
  return static_cast<E>(*v);
}

inline std::string values_of(const pb::EnumDescriptor* d) {
  std::string out;
  for (int i = 0; i < d->value_count(); ++i) {
    if (d->value(i)->number() == 0) continue;
    if (!out.empty()) out += '|';
    out += enum_label(d, d->value(i)->number());
  }
  return out;
}

inline std::string describe(const client_error& e) {
  std::string out = e.message;
  if (e.kind == client_error::refused && e.http_status != 0)
    out += " (HTTP " + std::to_string(e.http_status) + (e.http_body.empty() ? "" : ": " + e.http_body) + ")";
  return out;
}

inline const char* status_text(v1::BookingStatus s) {
  switch (s) {
    case v1::BOOKING_STATUS_PENDING:
      return "finding a partner";
    case v1::BOOKING_STATUS_PAIRED:
      return "paired";
    case v1::BOOKING_STATUS_STARTED:
      return "started";
    case v1::BOOKING_STATUS_CANCELLED:
      return "cancelled";
    case v1::BOOKING_STATUS_LATE_CANCELLED:
      return "cancelled late";
    case v1::BOOKING_STATUS_NO_SHOW:
      return "no-show";
    case v1::BOOKING_STATUS_PARTNER_NO_SHOW:
      return "partner did not come";
    case v1::BOOKING_STATUS_UNMATCHED:
      return "nobody else booked it";
    default:
      return "?";
  }
}

}  // namespace mockloop::cli
