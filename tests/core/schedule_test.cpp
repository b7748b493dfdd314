// The scheduler core with explicit times: each rule of schedule.h's header
// comment (the slot grid and lead times, overlap, pairing, check-in, the
// standby rematch, reminders, late cancels, the reliability window and
// cooldown), and the iCalendar it renders.
#include "mockloop/core/schedule.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "mockloop/core/time_zone.h"

namespace mockloop {
namespace {

constexpr int64_t minute = 60'000;
constexpr int64_t hour = 60 * minute;
constexpr int64_t day = 24 * hour;
constexpr int64_t t0 = 1'796'000'400'000;  // a Unix ms on the half-hour grid (2026-11-30)
static_assert(t0 % (30 * minute) == 0);
constexpr auto SD = v1::ROUND_TYPE_SYSTEM_DESIGN;
constexpr auto BEH = v1::ROUND_TYPE_BEHAVIORAL_LEADERSHIP;

struct Schedule : ::testing::Test {
  scheduler s;
  int serial = 0;

  book_request req(const std::string& user, int64_t start, std::vector<v1::RoundType> rounds = {SD},
                   v1::Level level = v1::LEVEL_L5, std::string language = "en") {
    book_request r;
    r.booking_id = "b" + std::to_string(++serial);
    r.user_hash = user;
    r.feed = "feed-" + user;
    r.name = user;
    r.start_ms = start;
    r.time_zone = "Europe/Berlin";
    r.rounds = std::move(rounds);
    r.level = level;
    r.language = std::move(language);
    return r;
  }
  // Books and returns the id; fails the test on an error.
  std::string book(const book_request& r, int64_t now, schedule_effects* out = nullptr) {
    schedule_effects fx;
    auto err = s.book(r, now, fx);
    EXPECT_FALSE(err) << (err ? err->message : "");
    if (out) *out = fx;
    return r.booking_id;
  }
  v1::BookingStatus status(const std::string& id) { return s.find(id)->status(); }
};

TEST_F(Schedule, BadTimesAreTypedErrorsOnStartMs) {
  const int64_t now = t0;
  schedule_effects fx;
  for (int64_t start : {now + day + 7 * minute, now - hour, now + 10 * minute, now + 61 * day}) {
    auto err = s.book(req("ada", start), now, fx);
    ASSERT_TRUE(err) << start;
    EXPECT_EQ(err->code, v1::ERROR_CODE_INVALID_ARGUMENT);
    EXPECT_EQ(err->field, "startMs");
  }
  auto no_rounds = req("ada", now + day, {});
  EXPECT_EQ(s.book(no_rounds, now, fx)->code, v1::ERROR_CODE_MISSING_FIELD);
  auto no_key = req("", now + day);
  EXPECT_EQ(s.book(no_key, now, fx)->code, v1::ERROR_CODE_FAILED_PRECONDITION);
  EXPECT_EQ(s.size(), 0u);
  EXPECT_TRUE(fx.changed.empty());
}

TEST_F(Schedule, OverlappingBookingsOfOneUserAreRefused) {
  book(req("ada", t0 + day), t0);
  schedule_effects fx;
  auto err = s.book(req("ada", t0 + day + hour), t0, fx);
  ASSERT_TRUE(err);
  EXPECT_EQ(err->code, v1::ERROR_CODE_FAILED_PRECONDITION);
  EXPECT_NE(err->message.find("already have a mock booked"), std::string::npos);
  // 90 minutes later is the next session: fine.
  book(req("ada", t0 + day + 90 * minute), t0);
  EXPECT_EQ(s.of_user("ada", t0).size(), 2u);
}

TEST_F(Schedule, BookingsOfTheSameSlotPairOnRoundLanguageAndLevel) {
  const auto start = t0 + 2 * day;
  const auto a = book(req("ada", start, {SD, BEH}, v1::LEVEL_L5), t0);
  const auto de = book(req("dirk", start, {SD}, v1::LEVEL_L5, "de"), t0);
  const auto far = book(req("fay", start, {SD}, v1::LEVEL_L7), t0);
  const auto other = book(req("otto", start, {v1::ROUND_TYPE_METRICS_AND_DATA}), t0);
  for (const auto& id : {a, de, far, other}) EXPECT_EQ(status(id), v1::BOOKING_STATUS_PENDING);
  schedule_effects fx;
  const auto b = book(req("bo", start, {BEH}, v1::LEVEL_L6), t0 + minute, &fx);
  EXPECT_EQ(status(a), v1::BOOKING_STATUS_PAIRED);
  EXPECT_EQ(status(b), v1::BOOKING_STATUS_PAIRED);
  EXPECT_EQ(s.find(a)->partner_id(), b);
  EXPECT_EQ(s.find(b)->partner_id(), a);
  ASSERT_EQ(fx.updates.size(), 2u);
  EXPECT_EQ(fx.updates[0].booking_id, a);
  EXPECT_EQ(fx.updates[0].reason, "paired with bo");
  const auto view = s.view(*s.find(b));
  EXPECT_EQ(view.partner_name(), "ada");
  EXPECT_EQ(view.partner_time_zone(), "Europe/Berlin");
  EXPECT_EQ(view.end_ms() - view.start_ms(), 90 * minute);
  EXPECT_EQ(s.find(a)->sequence(), 1u);  // the pairing changed what ada's calendar shows
}

TEST_F(Schedule, StrangersCannotCancelOrCheckInAndUnknownIdsAreNotFound) {
  const auto a = book(req("ada", t0 + hour), t0);
  schedule_effects fx;
  EXPECT_EQ(s.cancel("mallory", a, t0, fx)->code, v1::ERROR_CODE_PERMISSION_DENIED);
  EXPECT_EQ(s.check_in("mallory", a, t0 + 55 * minute, fx)->code, v1::ERROR_CODE_PERMISSION_DENIED);
  EXPECT_EQ(s.cancel("ada", "nope", t0, fx)->code, v1::ERROR_CODE_NOT_FOUND);
  EXPECT_EQ(status(a), v1::BOOKING_STATUS_PENDING);
  EXPECT_TRUE(fx.changed.empty());
}

TEST_F(Schedule, CheckInOpensTenMinutesBeforeAndBothInStartsTheMock) {
  const auto start = t0 + hour;
  const auto a = book(req("ada", start), t0);
  const auto b = book(req("bo", start), t0);
  schedule_effects fx;
  auto early = s.check_in("ada", a, start - 11 * minute, fx);
  ASSERT_TRUE(early);
  EXPECT_EQ(early->code, v1::ERROR_CODE_FAILED_PRECONDITION);
  ASSERT_FALSE(s.check_in("ada", a, start - 10 * minute, fx));
  EXPECT_TRUE(s.view(*s.find(a)).checked_in());
  EXPECT_TRUE(s.view(*s.find(b)).partner_checked_in());
  EXPECT_TRUE(fx.starts.empty());
  ASSERT_FALSE(s.check_in("ada", a, start - 9 * minute, fx));  // twice is once
  fx = {};
  ASSERT_FALSE(s.check_in("bo", b, start - 2 * minute, fx));
  ASSERT_EQ(fx.starts.size(), 1u);
  EXPECT_EQ(fx.starts[0], (std::pair<std::string, std::string>{a, b}));
  EXPECT_EQ(status(a), v1::BOOKING_STATUS_STARTED);
  EXPECT_EQ(status(b), v1::BOOKING_STATUS_STARTED);
  EXPECT_EQ(s.open_count(), 0u);
  // Started is attended.
  EXPECT_EQ(s.reliability("ada", start).attended(), 1u);
}

TEST_F(Schedule, ANoShowsPartnerIsRematchedFromTheStandbysWhoCheckedIn) {
  const auto start = t0 + hour;
  const auto a = book(req("ada", start), t0);
  const auto b = book(req("bo", start), t0);          // pairs with ada
  const auto c = book(req("cy", start), t0);          // standby
  const auto d = book(req("dee", start, {BEH}), t0);  // standby, but not for system design
  EXPECT_EQ(status(c), v1::BOOKING_STATUS_PENDING);
  schedule_effects fx;
  ASSERT_FALSE(s.check_in("ada", a, start - 5 * minute, fx));
  ASSERT_FALSE(s.check_in("cy", c, start - 4 * minute, fx));
  ASSERT_FALSE(s.check_in("dee", d, start - 4 * minute, fx));
  EXPECT_TRUE(fx.starts.empty());
  fx = {};
  s.tick(start + 5 * minute - 1, fx);
  EXPECT_TRUE(fx.starts.empty()) << "check-in is still open";
  s.tick(start + 5 * minute, fx);
  EXPECT_EQ(status(b), v1::BOOKING_STATUS_NO_SHOW);
  EXPECT_EQ(status(a), v1::BOOKING_STATUS_STARTED);
  EXPECT_EQ(status(c), v1::BOOKING_STATUS_STARTED);
  EXPECT_EQ(s.find(a)->partner_id(), c);
  ASSERT_EQ(fx.starts.size(), 1u);
  EXPECT_EQ(fx.starts[0], (std::pair<std::string, std::string>{c, a}));
  EXPECT_EQ(status(d), v1::BOOKING_STATUS_UNMATCHED);
  EXPECT_EQ(s.reliability("bo", start + hour).no_shows(), 1u);
  EXPECT_EQ(s.reliability("dee", start + hour).counted(), 0u) << "unmatched is nobody's fault";
}

TEST_F(Schedule, WithoutAStandbyTheOneWhoCameIsNotHeldToIt) {
  const auto start = t0 + hour;
  const auto a = book(req("ada", start), t0);
  const auto b = book(req("bo", start), t0);
  schedule_effects fx;
  ASSERT_FALSE(s.check_in("ada", a, start, fx));
  s.tick(start + 6 * minute, fx);
  EXPECT_EQ(status(a), v1::BOOKING_STATUS_PARTNER_NO_SHOW);
  EXPECT_EQ(status(b), v1::BOOKING_STATUS_NO_SHOW);
  EXPECT_TRUE(fx.starts.empty());
  const auto ra = s.reliability("ada", start + hour);
  EXPECT_EQ(ra.attended(), 1u);
  EXPECT_EQ(ra.percent(), 100u);
  EXPECT_EQ(s.reliability("bo", start + hour).percent(), 0u);
}

TEST_F(Schedule, ALateCancelCountsAndThePartnerIsPairedAgain) {
  const auto start = t0 + 3 * day;
  const auto a = book(req("ada", start), t0);
  const auto b = book(req("bo", start), t0);
  const auto c = book(req("cy", start), t0);
  schedule_effects fx;
  // Two days ahead: in time, not held against bo.
  ASSERT_FALSE(s.cancel("bo", b, start - 2 * day, fx));
  EXPECT_EQ(status(b), v1::BOOKING_STATUS_CANCELLED);
  EXPECT_EQ(status(a), v1::BOOKING_STATUS_PAIRED);
  EXPECT_EQ(s.find(a)->partner_id(), c);
  EXPECT_EQ(s.reliability("bo", start).counted(), 0u);
  fx = {};
  // Twelve hours ahead: late.
  ASSERT_FALSE(s.cancel("cy", c, start - 12 * hour, fx));
  EXPECT_EQ(status(c), v1::BOOKING_STATUS_LATE_CANCELLED);
  EXPECT_EQ(status(a), v1::BOOKING_STATUS_PENDING);
  ASSERT_FALSE(fx.updates.empty());
  EXPECT_EQ(fx.updates.back().booking_id, a);
  EXPECT_NE(fx.updates.back().reason.find("partner cancelled"), std::string::npos);
  const auto rc = s.reliability("cy", start);
  EXPECT_EQ(rc.late_cancels(), 1u);
  EXPECT_EQ(rc.percent(), 0u);
  // An unpaired cancel, however late, costs nothing.
  ASSERT_FALSE(s.cancel("ada", a, start - hour, fx));
  EXPECT_EQ(status(a), v1::BOOKING_STATUS_CANCELLED);
  EXPECT_EQ(s.cancel("ada", a, start - hour, fx)->code, v1::ERROR_CODE_FAILED_PRECONDITION);
}

TEST_F(Schedule, TwoNoShowsInARowBlockBookingForTheCooldown) {
  int64_t now = t0;
  for (int i = 0; i < 2; ++i) {
    const auto start = (now / (30 * minute) + 2) * 30 * minute;
    book(req("bo", start), now);
    book(req("pal" + std::to_string(i), start), now);
    schedule_effects fx;
    s.tick(start + 5 * minute, fx);
    now = start + 5 * minute;
  }
  const auto rel = s.reliability("bo", now);
  EXPECT_EQ(rel.no_shows(), 2u);
  EXPECT_EQ(rel.blocked_until_ms(), now + 7 * day);
  schedule_effects fx;
  const auto later = (now / (30 * minute) + 4) * 30 * minute;
  auto err = s.book(req("bo", later), now, fx);
  ASSERT_TRUE(err);
  EXPECT_EQ(err->code, v1::ERROR_CODE_FAILED_PRECONDITION);
  EXPECT_NE(err->message.find("two no-shows in a row"), std::string::npos);
  // After the cooldown: open again.
  const auto after = now + 7 * day;
  EXPECT_EQ(s.reliability("bo", after).blocked_until_ms(), 0);
  EXPECT_FALSE(s.book(req("bo", (after / (30 * minute) + 2) * 30 * minute), after, fx));
}

TEST_F(Schedule, TheRecordCountsTheLastTwentySessions) {
  int64_t now = t0;
  // A no-show long ago, then 20 attended: the no-show has left the window.
  for (int i = 0; i < 21; ++i) {
    const auto start = now + hour;
    const auto a = book(req("ada", start), now);
    const auto b = book(req("pal" + std::to_string(i), start), now);
    schedule_effects fx;
    if (i >= 1) {
      ASSERT_FALSE(s.check_in("ada", a, start, fx));
      ASSERT_FALSE(s.check_in("pal" + std::to_string(i), b, start, fx));
    }
    s.tick(start + 5 * minute, fx);
    now = start + 5 * minute + 25 * minute;
  }
  const auto rel = s.reliability("ada", now);
  EXPECT_EQ(rel.counted(), 20u);
  EXPECT_EQ(rel.attended(), 20u);
  EXPECT_EQ(rel.no_shows(), 0u);
  EXPECT_EQ(rel.percent(), 100u);
}

TEST_F(Schedule, RemindersGoOutOnceEachAndLateBookingsSkipThePassedOnes) {
  const auto start = t0 + 2 * day;
  const auto a = book(req("ada", start), t0);
  const auto b = book(req("bo", start - day - 30 * minute), start - day - 2 * hour);  // booked 2 h ahead
  auto due = [&](int64_t now) {
    schedule_effects fx;
    s.tick(now, fx);
    std::vector<std::pair<std::string, uint32_t>> out;
    for (const auto& r : fx.reminders) out.emplace_back(r.booking_id, r.minutes_before);
    return out;
  };
  using v = std::vector<std::pair<std::string, uint32_t>>;
  EXPECT_EQ(due(start - day - 2 * hour), v{});
  EXPECT_EQ(due(start - day - 90 * minute), (v{{b, 60}}));
  // bo's check-in reminder fell due while nobody looked: sent now, once.
  EXPECT_EQ(due(start - day), (v{{b, 10}, {a, 1440}}));
  EXPECT_EQ(due(start - day + minute), v{});
  EXPECT_EQ(due(start - hour), (v{{a, 60}}));
  EXPECT_EQ(due(start - 10 * minute), (v{{a, 10}}));
  EXPECT_EQ(due(start - 9 * minute), v{});
  // A server that was down across two thresholds sends only the latest.
  const auto c = book(req("cy", t0 + 5 * day), t0);
  EXPECT_EQ(due(t0 + 5 * day - 30 * minute), (v{{c, 60}}));
}

TEST_F(Schedule, ReloadedBookingsCarryOn) {
  const auto start = t0 + hour;
  const auto a = book(req("ada", start), t0);
  const auto b = book(req("bo", start), t0);
  schedule_effects fx;
  ASSERT_FALSE(s.check_in("ada", a, start - 5 * minute, fx));
  scheduler again;
  again.load(*s.find(a));
  again.load(*s.find(b));
  fx = {};
  ASSERT_FALSE(again.check_in("bo", b, start - minute, fx));
  ASSERT_EQ(fx.starts.size(), 1u);
  EXPECT_EQ(again.find(a)->status(), v1::BOOKING_STATUS_STARTED);
}

// ---------------------------------------------------------------- iCalendar

std::vector<std::string> lines_of(const std::string& ics) {
  std::vector<std::string> out;
  size_t at = 0;
  while (at < ics.size()) {
    const auto end = ics.find("\r\n", at);
    EXPECT_NE(end, std::string::npos) << "every line ends in CRLF";
    if (end == std::string::npos) break;
    out.push_back(ics.substr(at, end - at));
    at = end + 2;
  }
  return out;
}

std::string field(const std::string& ics, const std::string& name) {
  // Unfolds first (RFC 5545 3.1).
  std::string flat;
  for (const auto& l : lines_of(ics)) {
    if (!l.empty() && l[0] == ' ')
      flat += l.substr(1);
    else
      flat += "\n" + l;
  }
  const auto at = flat.find("\n" + name + ":");
  if (at == std::string::npos) return {};
  const auto start = at + name.size() + 2;
  return flat.substr(start, flat.find('\n', start) - start);
}

TEST_F(Schedule, TheCalendarKeepsTheUidBumpsTheSequenceAndCancels) {
  const auto start = t0 + 2 * day;
  const auto a = book(req("ada", start), t0);
  auto ics_for = [&](bool single) {
    ics_event e;
    e.record = *s.find(a);
    const auto view = s.view(e.record);
    e.partner_name = view.partner_name();
    e.partner_time_zone = view.partner_time_zone();
    e.local_start = "Wed 2 Dec 2026 10:00 CET (UTC+01:00)";
    e.partner_local_start = "Wed 2 Dec 2026 04:00 EST (UTC-05:00)";
    return render_ics({e}, s.settings(), t0, single, "ada");
  };
  const auto first = ics_for(false);
  EXPECT_EQ(field(first, "UID"), a + "@mockloop");
  EXPECT_EQ(field(first, "SEQUENCE"), "0");
  EXPECT_EQ(field(first, "METHOD"), "PUBLISH");
  EXPECT_EQ(field(first, "STATUS"), "TENTATIVE");
  EXPECT_EQ(field(first, "DTSTART"), ics_utc(start));
  EXPECT_EQ(field(first, "DTEND"), ics_utc(start + 90 * minute));
  for (const auto& l : lines_of(first)) EXPECT_LE(l.size(), 75u) << l;

  book(req("bo, \"the\" builder; esq.", start), t0 + minute);
  const auto paired = ics_for(false);
  EXPECT_EQ(field(paired, "UID"), a + "@mockloop");
  EXPECT_EQ(field(paired, "SEQUENCE"), "1");
  EXPECT_EQ(field(paired, "STATUS"), "CONFIRMED");
  EXPECT_NE(field(paired, "SUMMARY").find("with bo\\, \"the\" builder\\; esq."), std::string::npos)
      << field(paired, "SUMMARY");
  EXPECT_NE(field(paired, "DESCRIPTION").find("04:00 EST"), std::string::npos);
  for (const auto& l : lines_of(paired)) EXPECT_LE(l.size(), 75u) << l;

  schedule_effects fx;
  ASSERT_FALSE(s.cancel("ada", a, t0 + hour, fx));
  const auto cancelled = ics_for(true);
  EXPECT_EQ(field(cancelled, "METHOD"), "CANCEL");
  EXPECT_EQ(field(cancelled, "STATUS"), "CANCELLED");
  EXPECT_EQ(field(cancelled, "SEQUENCE"), "2");
  EXPECT_EQ(field(cancelled, "UID"), a + "@mockloop");
  EXPECT_EQ(cancelled.find("BEGIN:VALARM"), std::string::npos) << "no alarms for a cancelled mock";
  // In the feed a cancelled event stays, marked, so calendars drop it.
  EXPECT_EQ(field(ics_for(false), "METHOD"), "PUBLISH");
}

}  // namespace
}  // namespace mockloop
