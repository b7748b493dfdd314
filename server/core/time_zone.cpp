#include "mockloop/core/time_zone.h"

#include <algorithm>
#include <chrono>
#include <cstdio>

namespace mockloop {

namespace {

// Big-endian readers over a bounded view; a short read fails the parse.
struct reader {
  std::string_view data;
  size_t at = 0;
  bool ok = true;

  uint64_t be(size_t n) {
    if (!ok || at > data.size() || data.size() - at < n) return ok = false, 0;
    uint64_t v = 0;
    for (size_t i = 0; i < n; ++i) v = (v << 8) | static_cast<unsigned char>(data[at + i]);
    at += n;
    return v;
  }
  void skip(size_t n) {
    if (!ok || at > data.size() || data.size() - at < n)
      ok = false;
    else
      at += n;
  }
};

struct header {
  char version = 0;
  uint32_t isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt;
};

std::optional<header> read_header(reader& r) {
  if (r.data.substr(r.at, 4) != "TZif") return std::nullopt;
  r.skip(4);
  header h;
  h.version = static_cast<char>(r.be(1));
  r.skip(15);
  h.isutcnt = static_cast<uint32_t>(r.be(4));
  h.isstdcnt = static_cast<uint32_t>(r.be(4));
  h.leapcnt = static_cast<uint32_t>(r.be(4));
  h.timecnt = static_cast<uint32_t>(r.be(4));
  h.typecnt = static_cast<uint32_t>(r.be(4));
  h.charcnt = static_cast<uint32_t>(r.be(4));
  // RFC 8536 3.1: at least one type; counts beyond these are not a zone file.
  if (!r.ok || h.typecnt == 0 || h.typecnt > 256 || h.timecnt > 100'000 || h.charcnt > 4096 || h.leapcnt > 1000)
    return std::nullopt;
  return h;
}

size_t block_size(const header& h, size_t time_size) {
  return h.timecnt * time_size + h.timecnt + h.typecnt * 6 + h.charcnt + h.leapcnt * (time_size + 4) + h.isstdcnt +
         h.isutcnt;
}

}  // namespace

std::optional<time_zone> time_zone::parse(std::string_view name, std::string_view tzif) {
  reader r{tzif};
  auto h = read_header(r);
  if (!h) return std::nullopt;
  size_t time_size = 4;
  if (h->version >= '2') {
    // Skip the 32-bit block; the second header describes 64-bit data.
    r.skip(block_size(*h, 4));
    h = read_header(r);
    if (!h) return std::nullopt;
    time_size = 8;
  }
  time_zone z;
  z.name_ = std::string(name);
  z.transitions_.reserve(h->timecnt);
  for (uint32_t i = 0; i < h->timecnt; ++i) {
    const auto v = r.be(time_size);
    z.transitions_.push_back(time_size == 8 ? static_cast<int64_t>(v) : static_cast<int32_t>(static_cast<uint32_t>(v)));
  }
  for (uint32_t i = 0; i < h->timecnt; ++i) z.type_of_.push_back(static_cast<uint8_t>(r.be(1)));
  std::vector<std::pair<int32_t, std::pair<bool, uint8_t>>> raw;
  for (uint32_t i = 0; i < h->typecnt; ++i) {
    const auto off = static_cast<int32_t>(static_cast<uint32_t>(r.be(4)));
    const bool dst = r.be(1) != 0;
    const auto abbr = static_cast<uint8_t>(r.be(1));
    raw.push_back({off, {dst, abbr}});
  }
  if (!r.ok || r.data.size() - r.at < h->charcnt) return std::nullopt;
  const auto chars = tzif.substr(r.at, h->charcnt);
  for (const auto& [off, rest] : raw) {
    if (rest.second >= chars.size()) return std::nullopt;
    const auto tail = chars.substr(rest.second);
    z.types_.push_back({off, rest.first, std::string(tail.substr(0, tail.find('\0')))});
  }
  for (auto t : z.type_of_)
    if (t >= z.types_.size()) return std::nullopt;
  if (!std::is_sorted(z.transitions_.begin(), z.transitions_.end())) return std::nullopt;
  // RFC 8536 3.2: before the first transition, the first non-DST type (or type 0).
  for (size_t i = 0; i < z.types_.size(); ++i)
    if (!z.types_[i].dst) {
      z.before_first_ = i;
      break;
    }
  return z;
}

time_zone time_zone::utc() {
  time_zone z;
  z.name_ = "UTC";
  z.types_.push_back({0, false, "UTC"});
  return z;
}

const tz_type& time_zone::at(int64_t utc_s) const {
  const auto it = std::upper_bound(transitions_.begin(), transitions_.end(), utc_s);
  if (it == transitions_.begin()) return types_[before_first_];
  return types_[type_of_[static_cast<size_t>(it - transitions_.begin() - 1)]];
}

bool valid_zone_name(std::string_view name) {
  if (name.empty() || name.size() > 64 || name.front() == '/' || name.back() == '/') return false;
  size_t part = 0;
  for (size_t i = 0; i <= name.size(); ++i) {
    if (i == name.size() || name[i] == '/') {
      const auto p = name.substr(part, i - part);
      if (p.empty() || p == "." || p == "..") return false;
      part = i + 1;
      continue;
    }
    const char c = name[i];
    const bool ok =
        (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '+' || c == '-';
    if (!ok) return false;
  }
  // Zone names start with a capital ("Etc/GMT+5", "UTC"); this keeps out
  // the files beside them in /usr/share/zoneinfo (posixrules, right/, ...).
  return name.front() >= 'A' && name.front() <= 'Z';
}

namespace {

struct civil {
  int year;
  unsigned month, day, hour, minute, second, weekday;  // weekday 0 = Sunday
};

civil civil_of(int64_t s) {
  using namespace std::chrono;
  const auto tp = sys_seconds{seconds{s}};
  const auto days = floor<std::chrono::days>(tp);
  const year_month_day ymd{days};
  const auto rest = tp - days;
  const auto secs = static_cast<unsigned>(rest.count());
  return {int(ymd.year()), unsigned(ymd.month()),     unsigned(ymd.day()), secs / 3600, secs / 60 % 60,
          secs % 60,       weekday{days}.c_encoding()};
}

}  // namespace

std::string format_local(int64_t utc_ms, const time_zone& zone) {
  static constexpr const char* days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                           "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  const int64_t s = utc_ms >= 0 ? utc_ms / 1000 : -((-utc_ms + 999) / 1000);
  const auto& t = zone.at(s);
  const auto c = civil_of(s + t.utc_offset_s);
  const int off = t.utc_offset_s;
  const int a = off < 0 ? -off : off;
  char buf[128];
  std::snprintf(buf, sizeof buf, "%s %u %s %d %02u:%02u %s (UTC%c%02d:%02d)", days[c.weekday % 7], c.day,
                months[(c.month - 1) % 12], c.year, c.hour, c.minute, t.abbreviation.c_str(), off < 0 ? '-' : '+',
                a / 3600, a / 60 % 60);
  return buf;
}

std::string ics_utc(int64_t utc_ms) {
  const auto c = civil_of(utc_ms / 1000);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d%02u%02uT%02u%02u%02uZ", c.year, c.month, c.day, c.hour, c.minute, c.second);
  return buf;
}

}  // namespace mockloop
