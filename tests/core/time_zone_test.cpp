// TZif parsing against Debian's tzdata, local-time text and zone names.
#include "mockloop/core/time_zone.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

namespace mockloop {
namespace {

std::string zone_file(const std::string& name) {
  std::ifstream in("/usr/share/zoneinfo/" + name, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

time_zone zone(const std::string& name) {
  auto z = time_zone::parse(name, zone_file(name));
  EXPECT_TRUE(z) << name << " (is tzdata installed?)";
  return z ? *z : time_zone::utc();
}

constexpr int64_t dec_8_2026_0830z = 1'796'718'600'000;
constexpr int64_t jul_1_2026_1200z = 1'782'907'200'000;

TEST(TimeZone, LocalTimesAcrossZonesAndDaylightSaving) {
  EXPECT_EQ(format_local(dec_8_2026_0830z, zone("Europe/Berlin")), "Tue 8 Dec 2026 09:30 CET (UTC+01:00)");
  EXPECT_EQ(format_local(jul_1_2026_1200z, zone("Europe/Berlin")), "Wed 1 Jul 2026 14:00 CEST (UTC+02:00)");
  EXPECT_EQ(format_local(dec_8_2026_0830z, zone("America/New_York")), "Tue 8 Dec 2026 03:30 EST (UTC-05:00)");
  EXPECT_EQ(format_local(jul_1_2026_1200z, zone("America/New_York")), "Wed 1 Jul 2026 08:00 EDT (UTC-04:00)");
  EXPECT_EQ(format_local(dec_8_2026_0830z, zone("Asia/Kolkata")), "Tue 8 Dec 2026 14:00 IST (UTC+05:30)");
  // Across the date line: already Wednesday in Auckland (NZDT, +13).
  EXPECT_EQ(format_local(dec_8_2026_0830z + 12 * 3'600'000, zone("Pacific/Auckland")),
            "Wed 9 Dec 2026 09:30 NZDT (UTC+13:00)");
  EXPECT_EQ(format_local(dec_8_2026_0830z, time_zone::utc()), "Tue 8 Dec 2026 08:30 UTC (UTC+00:00)");
}

TEST(TimeZone, MalformedFilesAreRefused) {
  const auto good = zone_file("Europe/Berlin");
  ASSERT_GT(good.size(), 100u);
  EXPECT_FALSE(time_zone::parse("x", ""));
  EXPECT_FALSE(time_zone::parse("x", "not a zone file at all"));
  for (size_t cut : {size_t{10}, size_t{44}, size_t{200}, good.size() / 2})
    EXPECT_FALSE(time_zone::parse("x", good.substr(0, cut))) << cut;
}

TEST(TimeZone, ZoneNamesAreIanaShapedAndSafeAsPaths) {
  for (const char* ok :
       {"UTC", "Europe/Berlin", "America/Argentina/Buenos_Aires", "Etc/GMT+5", "America/Port-au-Prince"})
    EXPECT_TRUE(valid_zone_name(ok)) << ok;
  for (const char* bad : {"", "/etc/passwd", "../etc/passwd", "Europe/../../etc", "Europe/", "posixrules",
                          "Europe//Berlin", "Europe/Berlin\n", "Europe Berlin"})
    EXPECT_FALSE(valid_zone_name(bad)) << bad;
}

TEST(TimeZone, IcsUtcIsBasicFormatWithZ) {
  EXPECT_EQ(ics_utc(dec_8_2026_0830z), "20261208T083000Z");
  EXPECT_EQ(ics_utc(0), "19700101T000000Z");
}

}  // namespace
}  // namespace mockloop
