// IANA time zones from TZif files (RFC 8536), for showing a booking's start
// in each partner's local time. GCC 12's libstdc++ has no std::chrono::tzdb,
// so this reads the compiled zone files Debian's tzdata installs; the shell
// reads the bytes, this parses them and answers offsets.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mockloop {

struct tz_type {
  int32_t utc_offset_s = 0;
  bool dst = false;
  std::string abbreviation;  // "CET", "EDT"; may be a number like "+0530"
};

class time_zone {
 public:
  // The zone in a TZif file (version 1, 2 or 3; the 64-bit data when there
  // is some). Empty on anything malformed.
  static std::optional<time_zone> parse(std::string_view name, std::string_view tzif);
  static time_zone utc();

  const std::string& name() const { return name_; }
  // The local time type in force at `utc_s` (Unix seconds). Past the last
  // transition it is the last one's: Debian's "fat" files list transitions
  // to 2037, far past any booking (the footer's POSIX rule is not read).
  const tz_type& at(int64_t utc_s) const;

 private:
  std::string name_;
  std::vector<int64_t> transitions_;  // ascending, Unix seconds
  std::vector<uint8_t> type_of_;      // type in force from each transition
  std::vector<tz_type> types_;
  size_t before_first_ = 0;  // type before the first transition
};

// A zone name as IANA spells them ("Europe/Berlin", "UTC",
// "America/Argentina/Buenos_Aires"): letters, digits, _ + - and / between
// parts; never absolute, never "..". Safe to join under a directory.
bool valid_zone_name(std::string_view name);

// "Tue 8 Dec 2026 09:30 CET (UTC+01:00)" for `utc_ms` in `zone`.
std::string format_local(int64_t utc_ms, const time_zone& zone);

// "20261208T083000Z": an RFC 5545 UTC DATE-TIME.
std::string ics_utc(int64_t utc_ms);

}  // namespace mockloop
