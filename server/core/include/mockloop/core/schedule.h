// Scheduled mocks: bookings of slots ahead of time, paired per slot,
// reminded, checked in, started, and each user's reliability record. Plain
// state driven by calls and an injected clock (Unix ms), like the
// matchmaker; the shell persists what changed and tells the owners.
//
// Rules (docs/schedule.md):
// - a slot starts on the grid (every slot_ms), at least min_lead_ms and at
//   most max_lead_ms ahead; one user's bookings may not overlap;
// - two bookings pair when they share the start, the language and a round
//   type, with levels at most one step apart; the older unpaired one first;
// - check-in is open from check_in_before_ms before the start to
//   check_in_after_ms after; both in: the mock starts at once;
// - when check-in closes, a paired booking not checked in is a no-show;
//   its checked-in partner is rematched with a checked-in unpaired booking
//   of the slot (a standby) when there is one;
// - reliability: the last `window` sessions that count (attended, late
//   cancel, no-show); two no-shows in a row block booking for cooldown_ms.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <variant>
#include <vector>

#include "mockloop/v1/schedule.pb.h"
#include "mockloop/v1/wire.pb.h"

namespace mockloop {

struct schedule_settings {
  int64_t slot_ms = 30 * 60'000;             // starts on the half hour
  int64_t length_ms = 90 * 60'000;           // two rounds and the swap
  int64_t min_lead_ms = 15 * 60'000;         // time to find a partner and be reminded
  int64_t max_lead_ms = 60 * 86'400'000LL;   // two months
  int64_t check_in_before_ms = 10 * 60'000;  // T-10 min
  int64_t check_in_after_ms = 5 * 60'000;    // T+5 min
  int64_t late_cancel_ms = 86'400'000;       // a paired cancel within a day of the start
  int64_t cooldown_ms = 7 * 86'400'000LL;    // after two no-shows in a row
  size_t window = 20;                        // sessions the record counts
  size_t max_upcoming = 10;                  // open bookings per user
  int64_t keep_past_ms = 30 * 86'400'000LL;  // finished bookings shown (and in the feed) this long
};

struct book_request {
  std::string booking_id;  // chosen by the shell (random)
  std::string user_hash;
  std::string feed;
  std::string name;
  int64_t start_ms = 0;
  std::string time_zone;  // checked by the shell against the zone files
  std::vector<v1::RoundType> rounds;
  v1::Level level = v1::LEVEL_UNSPECIFIED;
  std::string language = "en";
};

struct schedule_error {
  v1::ErrorCode code = v1::ERROR_CODE_UNSPECIFIED;
  std::string message;
  std::string field;
};

// What a call asks of the shell.
struct schedule_effects {
  std::vector<std::string> changed;  // booking ids to persist, in order
  struct update {
    std::string booking_id;
    std::string reason;
  };
  std::vector<update> updates;  // BookingUpdate to the owner
  struct reminder {
    std::string booking_id;
    uint32_t minutes_before = 0;  // 1440, 60, then check-in's opening (10)
  };
  std::vector<reminder> reminders;
  std::vector<std::pair<std::string, std::string>> starts;  // both checked in: start the peer mock
  bool empty() const { return changed.empty() && updates.empty() && reminders.empty() && starts.empty(); }
};

// The reminders, ms before the start: a day, an hour, and when check-in
// opens (check_in_before_ms, 10 minutes by default).
std::array<int64_t, 3> reminder_offsets(const schedule_settings& s);

class scheduler {
 public:
  explicit scheduler(schedule_settings s = {}) : settings_(s) {}

  const schedule_settings& settings() const { return settings_; }

  // Start-up: bookings as the store kept them.
  void load(v1::BookingRecord r);

  std::optional<schedule_error> book(const book_request& req, int64_t now_ms, schedule_effects& fx);
  std::optional<schedule_error> cancel(const std::string& user_hash, const std::string& booking_id, int64_t now_ms,
                                       schedule_effects& fx);
  std::optional<schedule_error> check_in(const std::string& user_hash, const std::string& booking_id, int64_t now_ms,
                                         schedule_effects& fx);
  // Reminders due, check-in windows closed (no-shows, rematches).
  void tick(int64_t now_ms, schedule_effects& fx);
  // The shell made the room for a started pair.
  void set_room(const std::string& booking_id, const std::string& room_id);

  const v1::BookingRecord* find(const std::string& booking_id) const;
  // Upcoming first (soonest first), then finished ones of the last
  // keep_past_ms (latest first).
  std::vector<const v1::BookingRecord*> of_user(const std::string& user_hash, int64_t now_ms) const;
  std::vector<const v1::BookingRecord*> of_feed(const std::string& feed, int64_t now_ms) const;
  v1::Reliability reliability(const std::string& user_hash, int64_t now_ms) const;

  // The owner's view of one booking (local times filled in by the shell).
  v1::Booking view(const v1::BookingRecord& r) const;

  size_t size() const { return bookings_.size(); }
  size_t open_count() const;

 private:
  v1::BookingRecord* get(const std::string& id);
  bool compatible(const v1::BookingRecord& a, const v1::BookingRecord& b) const;
  // The oldest open unpaired booking of the slot that suits `r`; with
  // checked_in, only one whose owner has checked in (a standby).
  v1::BookingRecord* find_partner(const v1::BookingRecord& r, bool checked_in);
  void pair(v1::BookingRecord& a, v1::BookingRecord& b, int64_t now_ms, schedule_effects& fx, const char* why);
  void start(v1::BookingRecord& a, v1::BookingRecord& b, int64_t now_ms, schedule_effects& fx);
  void finish(v1::BookingRecord& r, v1::BookingStatus status, int64_t now_ms, schedule_effects& fx,
              const std::string& reason);
  void touch(v1::BookingRecord& r, int64_t now_ms, schedule_effects& fx);
  std::vector<const v1::BookingRecord*> sorted(const std::vector<std::string>& ids, int64_t now_ms) const;

  schedule_settings settings_;
  std::unordered_map<std::string, v1::BookingRecord> bookings_;
  std::unordered_map<std::string, std::vector<std::string>> by_user_;  // user hash -> booking ids
  std::unordered_map<std::string, std::vector<std::string>> by_feed_;
  std::map<int64_t, std::vector<std::string>> by_start_;  // open bookings by slot
};

bool booking_open(v1::BookingStatus s);
// Counts in the reliability record, and how.
bool booking_counts(v1::BookingStatus s);

// RFC 5545: the user's calendar feed (METHOD:PUBLISH, cancelled events
// kept with STATUS:CANCELLED), or one booking's file (METHOD:CANCEL once it
// is cancelled). Each event carries the owner's and partner's local start.
struct ics_event {
  v1::BookingRecord record;
  std::string partner_name;
  std::string local_start, partner_local_start, partner_time_zone;
};
std::string render_ics(const std::vector<ics_event>& events, const schedule_settings& settings, int64_t now_ms,
                       bool single, const std::string& name);

}  // namespace mockloop
