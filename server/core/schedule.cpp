#include "mockloop/core/schedule.h"

#include <algorithm>
#include <cstdlib>

#include "mockloop/core/time_zone.h"

namespace mockloop {

namespace {

schedule_error error(v1::ErrorCode code, std::string message, std::string field = {}) {
  return {code, std::move(message), std::move(field)};
}

const char* round_name(int r) {
  switch (r) {
    case v1::ROUND_TYPE_SYSTEM_DESIGN:
      return "System design";
    case v1::ROUND_TYPE_TECHNICAL_DEEP_DIVE:
      return "Technical deep dive";
    case v1::ROUND_TYPE_BEHAVIORAL_LEADERSHIP:
      return "Behavioral / leadership";
    case v1::ROUND_TYPE_CROSS_FUNCTIONAL:
      return "Cross-functional";
    case v1::ROUND_TYPE_METRICS_AND_DATA:
      return "Metrics and data";
  }
  return "Peer mock";
}

void erase_id(std::vector<std::string>& v, const std::string& id) { std::erase(v, id); }

}  // namespace

std::array<int64_t, 3> reminder_offsets(const schedule_settings& s) {
  return {86'400'000, 3'600'000, s.check_in_before_ms};
}

bool booking_open(v1::BookingStatus s) { return s == v1::BOOKING_STATUS_PENDING || s == v1::BOOKING_STATUS_PAIRED; }

bool booking_counts(v1::BookingStatus s) {
  return s == v1::BOOKING_STATUS_STARTED || s == v1::BOOKING_STATUS_PARTNER_NO_SHOW ||
         s == v1::BOOKING_STATUS_LATE_CANCELLED || s == v1::BOOKING_STATUS_NO_SHOW;
}

void scheduler::load(v1::BookingRecord r) {
  const auto id = r.booking_id();
  if (bookings_.count(id)) return;
  by_user_[r.user_hash()].push_back(id);
  by_feed_[r.feed()].push_back(id);
  if (booking_open(r.status())) by_start_[r.start_ms()].push_back(id);
  bookings_.emplace(id, std::move(r));
}

v1::BookingRecord* scheduler::get(const std::string& id) {
  const auto it = bookings_.find(id);
  return it == bookings_.end() ? nullptr : &it->second;
}

const v1::BookingRecord* scheduler::find(const std::string& id) const {
  const auto it = bookings_.find(id);
  return it == bookings_.end() ? nullptr : &it->second;
}

size_t scheduler::open_count() const {
  size_t n = 0;
  for (const auto& [start, ids] : by_start_) n += ids.size();
  return n;
}

bool scheduler::compatible(const v1::BookingRecord& a, const v1::BookingRecord& b) const {
  if (a.user_hash() == b.user_hash() || a.start_ms() != b.start_ms() || a.language() != b.language()) return false;
  if (a.level() != v1::LEVEL_UNSPECIFIED && b.level() != v1::LEVEL_UNSPECIFIED && std::abs(a.level() - b.level()) > 1)
    return false;
  for (auto x : a.rounds())
    for (auto y : b.rounds())
      if (x == y) return true;
  return false;
}

v1::BookingRecord* scheduler::find_partner(const v1::BookingRecord& r, bool checked_in) {
  const auto it = by_start_.find(r.start_ms());
  if (it == by_start_.end()) return nullptr;
  v1::BookingRecord* best = nullptr;
  for (const auto& id : it->second) {
    auto* b = get(id);
    if (!b || b->booking_id() == r.booking_id() || b->status() != v1::BOOKING_STATUS_PENDING) continue;
    if (checked_in && b->checked_in_ms() == 0) continue;
    if (!compatible(r, *b)) continue;
    if (!best || b->created_ms() < best->created_ms() ||
        (b->created_ms() == best->created_ms() && b->booking_id() < best->booking_id()))
      best = b;
  }
  return best;
}

void scheduler::touch(v1::BookingRecord& r, int64_t now_ms, schedule_effects& fx) {
  r.set_sequence(r.sequence() + 1);
  r.set_updated_ms(now_ms);
  if (std::find(fx.changed.begin(), fx.changed.end(), r.booking_id()) == fx.changed.end())
    fx.changed.push_back(r.booking_id());
}

void scheduler::pair(v1::BookingRecord& a, v1::BookingRecord& b, int64_t now_ms, schedule_effects& fx,
                     const char* why) {
  a.set_status(v1::BOOKING_STATUS_PAIRED);
  b.set_status(v1::BOOKING_STATUS_PAIRED);
  a.set_partner_id(b.booking_id());
  b.set_partner_id(a.booking_id());
  touch(a, now_ms, fx);
  touch(b, now_ms, fx);
  fx.updates.push_back({a.booking_id(), std::string(why) + " " + b.name()});
  fx.updates.push_back({b.booking_id(), std::string(why) + " " + a.name()});
}

void scheduler::start(v1::BookingRecord& a, v1::BookingRecord& b, int64_t now_ms, schedule_effects& fx) {
  for (auto* r : {&a, &b}) {
    r->set_status(v1::BOOKING_STATUS_STARTED);
    erase_id(by_start_[r->start_ms()], r->booking_id());
    touch(*r, now_ms, fx);
  }
  if (by_start_[a.start_ms()].empty()) by_start_.erase(a.start_ms());
  fx.updates.push_back({a.booking_id(), "you are both checked in: the mock is starting"});
  fx.updates.push_back({b.booking_id(), "you are both checked in: the mock is starting"});
  fx.starts.emplace_back(a.booking_id(), b.booking_id());
}

void scheduler::finish(v1::BookingRecord& r, v1::BookingStatus status, int64_t now_ms, schedule_effects& fx,
                       const std::string& reason) {
  r.set_status(status);
  erase_id(by_start_[r.start_ms()], r.booking_id());
  if (by_start_[r.start_ms()].empty()) by_start_.erase(r.start_ms());
  touch(r, now_ms, fx);
  if (!reason.empty()) fx.updates.push_back({r.booking_id(), reason});
}

std::optional<schedule_error> scheduler::book(const book_request& req, int64_t now_ms, schedule_effects& fx) {
  const auto& s = settings_;
  if (req.user_hash.empty())
    return error(v1::ERROR_CODE_FAILED_PRECONDITION,
                 "booking needs a user key (the web page and the terminal client send one)");
  if (req.start_ms % s.slot_ms != 0)
    return error(v1::ERROR_CODE_INVALID_ARGUMENT,
                 "slots start every " + std::to_string(s.slot_ms / 60'000) + " minutes on the UTC clock", "startMs");
  if (req.start_ms < now_ms + s.min_lead_ms)
    return error(v1::ERROR_CODE_INVALID_ARGUMENT,
                 req.start_ms < now_ms
                     ? "that time has passed"
                     : "book at least " + std::to_string(s.min_lead_ms / 60'000) + " minutes ahead; for now, queue",
                 "startMs");
  if (req.start_ms > now_ms + s.max_lead_ms)
    return error(v1::ERROR_CODE_INVALID_ARGUMENT,
                 "book at most " + std::to_string(s.max_lead_ms / 86'400'000) + " days ahead", "startMs");
  if (req.rounds.empty()) return error(v1::ERROR_CODE_MISSING_FIELD, "name at least one round type", "rounds");
  const auto rel = reliability(req.user_hash, now_ms);
  if (rel.blocked_until_ms() > now_ms)
    return error(v1::ERROR_CODE_FAILED_PRECONDITION, "two no-shows in a row: booking opens again at " +
                                                         ics_utc(rel.blocked_until_ms()) +
                                                         " (UTC); the live queue stays open");
  size_t open = 0;
  if (const auto it = by_user_.find(req.user_hash); it != by_user_.end())
    for (const auto& id : it->second) {
      const auto* b = find(id);
      if (!b || !booking_open(b->status())) continue;
      ++open;
      if (std::llabs(b->start_ms() - req.start_ms) < s.length_ms)
        return error(v1::ERROR_CODE_FAILED_PRECONDITION,
                     "you already have a mock booked at " + ics_utc(b->start_ms()) + " (UTC); sessions last " +
                         std::to_string(s.length_ms / 60'000) + " minutes",
                     "startMs");
    }
  if (open >= s.max_upcoming)
    return error(v1::ERROR_CODE_FAILED_PRECONDITION,
                 "you have " + std::to_string(open) + " mocks booked already; cancel one first");

  v1::BookingRecord r;
  r.set_booking_id(req.booking_id);
  r.set_user_hash(req.user_hash);
  r.set_feed(req.feed);
  r.set_name(req.name);
  r.set_start_ms(req.start_ms);
  r.set_time_zone(req.time_zone);
  for (auto x : req.rounds) r.add_rounds(x);
  r.set_level(req.level);
  r.set_language(req.language.empty() ? "en" : req.language);
  r.set_status(v1::BOOKING_STATUS_PENDING);
  r.set_created_ms(now_ms);
  r.set_updated_ms(now_ms);
  // Reminders whose time has passed already are not sent late.
  const auto offsets = reminder_offsets(s);
  for (size_t i = 0; i < offsets.size(); ++i)
    if (req.start_ms - offsets[i] <= now_ms) r.set_reminders_sent(r.reminders_sent() | (1u << i));
  load(r);
  auto& mine = bookings_.at(req.booking_id);
  fx.changed.push_back(req.booking_id);
  if (auto* other = find_partner(mine, false)) pair(*other, mine, now_ms, fx, "paired with");
  return std::nullopt;
}

std::optional<schedule_error> scheduler::cancel(const std::string& user_hash, const std::string& booking_id,
                                                int64_t now_ms, schedule_effects& fx) {
  auto* r = get(booking_id);
  if (!r) return error(v1::ERROR_CODE_NOT_FOUND, "no such booking", "bookingId");
  if (r->user_hash() != user_hash)
    return error(v1::ERROR_CODE_PERMISSION_DENIED, "that booking belongs to someone else", "bookingId");
  if (!booking_open(r->status())) return error(v1::ERROR_CODE_FAILED_PRECONDITION, "that booking is over already");
  auto* partner = r->partner_id().empty() ? nullptr : get(r->partner_id());
  const bool late = partner && r->start_ms() - now_ms < settings_.late_cancel_ms;
  r->clear_partner_id();
  finish(*r, late ? v1::BOOKING_STATUS_LATE_CANCELLED : v1::BOOKING_STATUS_CANCELLED, now_ms, fx, {});
  if (partner && booking_open(partner->status())) {
    partner->clear_partner_id();
    partner->set_status(v1::BOOKING_STATUS_PENDING);
    touch(*partner, now_ms, fx);
    if (auto* next = find_partner(*partner, false)) {
      pair(*next, *partner, now_ms, fx, "your partner cancelled; you are now paired with");
    } else {
      fx.updates.push_back(
          {partner->booking_id(), "your partner cancelled; the slot stays booked and looks for another"});
    }
  }
  return std::nullopt;
}

std::optional<schedule_error> scheduler::check_in(const std::string& user_hash, const std::string& booking_id,
                                                  int64_t now_ms, schedule_effects& fx) {
  auto* r = get(booking_id);
  if (!r) return error(v1::ERROR_CODE_NOT_FOUND, "no such booking", "bookingId");
  if (r->user_hash() != user_hash)
    return error(v1::ERROR_CODE_PERMISSION_DENIED, "that booking belongs to someone else", "bookingId");
  if (!booking_open(r->status())) return error(v1::ERROR_CODE_FAILED_PRECONDITION, "that booking is over already");
  const auto opens = r->start_ms() - settings_.check_in_before_ms;
  if (now_ms < opens)
    return error(v1::ERROR_CODE_FAILED_PRECONDITION, "check-in opens at " + ics_utc(opens) + " (UTC), " +
                                                         std::to_string(settings_.check_in_before_ms / 60'000) +
                                                         " minutes before the start");
  if (r->checked_in_ms() != 0) return std::nullopt;  // twice is once
  r->set_checked_in_ms(now_ms);
  touch(*r, now_ms, fx);
  auto* partner = r->partner_id().empty() ? nullptr : get(r->partner_id());
  if (partner && partner->checked_in_ms() != 0) {
    start(*partner, *r, now_ms, fx);
  } else if (partner) {
    fx.updates.push_back({partner->booking_id(), r->name() + " has checked in"});
  } else if (auto* standby = find_partner(*r, true)) {
    // Two checked-in bookings of the slot without partners: pair them now.
    pair(*standby, *r, now_ms, fx, "paired with");
    start(*standby, *r, now_ms, fx);
  }
  return std::nullopt;
}

void scheduler::tick(int64_t now_ms, schedule_effects& fx) {
  // Reminders: the latest one due, once; earlier ones missed (a restart)
  // are marked sent without a message.
  const auto offsets = reminder_offsets(settings_);
  for (auto& [start, ids] : by_start_) {
    if (start - *std::max_element(offsets.begin(), offsets.end()) > now_ms) break;
    for (const auto& id : ids) {
      auto* r = get(id);
      if (!r) continue;
      int due = -1;
      for (size_t i = 0; i < offsets.size(); ++i)
        if (!(r->reminders_sent() & (1u << i)) && start - offsets[i] <= now_ms) due = static_cast<int>(i);
      if (due < 0) continue;
      for (int i = 0; i <= due; ++i) r->set_reminders_sent(r->reminders_sent() | (1u << i));
      r->set_updated_ms(now_ms);
      if (std::find(fx.changed.begin(), fx.changed.end(), id) == fx.changed.end()) fx.changed.push_back(id);
      fx.reminders.push_back({id, static_cast<uint32_t>(offsets[static_cast<size_t>(due)] / 60'000)});
    }
  }
  // Check-in closed: paired bookings first, so a standby goes to someone
  // whose partner did not come before it is marked unmatched.
  std::vector<std::string> closing;
  for (const auto& [start, ids] : by_start_) {
    if (start + settings_.check_in_after_ms > now_ms) break;
    closing.insert(closing.end(), ids.begin(), ids.end());
  }
  std::stable_sort(closing.begin(), closing.end(), [&](const std::string& x, const std::string& y) {
    return find(x)->status() == v1::BOOKING_STATUS_PAIRED && find(y)->status() != v1::BOOKING_STATUS_PAIRED;
  });
  for (const auto& id : closing) {
    auto* r = get(id);
    if (!r || !booking_open(r->status()) || r->status() != v1::BOOKING_STATUS_PAIRED) continue;
    auto* partner = get(r->partner_id());
    if (!partner) continue;
    const bool here = r->checked_in_ms() != 0, there = partner->checked_in_ms() != 0;
    if (!here) finish(*r, v1::BOOKING_STATUS_NO_SHOW, now_ms, fx, "you did not check in: marked a no-show");
    if (!there) finish(*partner, v1::BOOKING_STATUS_NO_SHOW, now_ms, fx, "you did not check in: marked a no-show");
    for (auto* present : {r, partner}) {
      if (present->checked_in_ms() == 0 || !booking_open(present->status())) continue;
      present->clear_partner_id();
      present->set_status(v1::BOOKING_STATUS_PENDING);
      if (auto* standby = find_partner(*present, true)) {
        pair(*standby, *present, now_ms, fx, "your partner did not come; a standby takes their place:");
        start(*standby, *present, now_ms, fx);
      } else {
        finish(*present, v1::BOOKING_STATUS_PARTNER_NO_SHOW, now_ms, fx,
               "your partner did not check in and no standby was free; this counts as attended. The live queue is "
               "open");
      }
    }
  }
  for (const auto& id : closing) {
    auto* r = get(id);
    if (!r || r->status() != v1::BOOKING_STATUS_PENDING) continue;
    finish(*r, v1::BOOKING_STATUS_UNMATCHED, now_ms, fx,
           "nobody booked this slot with you; it is not held against you. The live queue is open");
  }
}

void scheduler::set_room(const std::string& booking_id, const std::string& room_id) {
  if (auto* r = get(booking_id)) r->set_room_id(room_id);
}

std::vector<const v1::BookingRecord*> scheduler::sorted(const std::vector<std::string>& ids, int64_t now_ms) const {
  std::vector<const v1::BookingRecord*> upcoming, past;
  for (const auto& id : ids) {
    const auto* r = find(id);
    if (!r) continue;
    if (booking_open(r->status()))
      upcoming.push_back(r);
    else if (r->start_ms() + settings_.keep_past_ms >= now_ms)
      past.push_back(r);
  }
  std::sort(upcoming.begin(), upcoming.end(), [](auto* a, auto* b) { return a->start_ms() < b->start_ms(); });
  std::sort(past.begin(), past.end(), [](auto* a, auto* b) { return a->start_ms() > b->start_ms(); });
  upcoming.insert(upcoming.end(), past.begin(), past.end());
  return upcoming;
}

std::vector<const v1::BookingRecord*> scheduler::of_user(const std::string& user_hash, int64_t now_ms) const {
  const auto it = by_user_.find(user_hash);
  return it == by_user_.end() ? std::vector<const v1::BookingRecord*>{} : sorted(it->second, now_ms);
}

std::vector<const v1::BookingRecord*> scheduler::of_feed(const std::string& feed, int64_t now_ms) const {
  const auto it = by_feed_.find(feed);
  return it == by_feed_.end() ? std::vector<const v1::BookingRecord*>{} : sorted(it->second, now_ms);
}

v1::Reliability scheduler::reliability(const std::string& user_hash, int64_t now_ms) const {
  std::vector<const v1::BookingRecord*> counted;
  if (const auto it = by_user_.find(user_hash); it != by_user_.end())
    for (const auto& id : it->second)
      if (const auto* r = find(id); r && booking_counts(r->status())) counted.push_back(r);
  std::sort(counted.begin(), counted.end(), [](auto* a, auto* b) {
    return a->start_ms() != b->start_ms() ? a->start_ms() > b->start_ms() : a->updated_ms() > b->updated_ms();
  });
  if (counted.size() > settings_.window) counted.resize(settings_.window);
  v1::Reliability out;
  out.set_counted(static_cast<uint32_t>(counted.size()));
  for (const auto* r : counted) {
    switch (r->status()) {
      case v1::BOOKING_STATUS_STARTED:
      case v1::BOOKING_STATUS_PARTNER_NO_SHOW:
        out.set_attended(out.attended() + 1);
        break;
      case v1::BOOKING_STATUS_LATE_CANCELLED:
        out.set_late_cancels(out.late_cancels() + 1);
        break;
      default:
        out.set_no_shows(out.no_shows() + 1);
    }
  }
  out.set_percent(counted.empty() ? 100 : out.attended() * 100 / out.counted());
  if (counted.size() >= 2 && counted[0]->status() == v1::BOOKING_STATUS_NO_SHOW &&
      counted[1]->status() == v1::BOOKING_STATUS_NO_SHOW) {
    const auto until = counted[0]->updated_ms() + settings_.cooldown_ms;
    if (until > now_ms) out.set_blocked_until_ms(until);
  }
  return out;
}

v1::Booking scheduler::view(const v1::BookingRecord& r) const {
  v1::Booking b;
  b.set_booking_id(r.booking_id());
  b.set_start_ms(r.start_ms());
  b.set_end_ms(r.start_ms() + settings_.length_ms);
  b.set_time_zone(r.time_zone());
  *b.mutable_rounds() = r.rounds();
  b.set_level(r.level());
  b.set_language(r.language());
  b.set_status(r.status());
  b.set_sequence(r.sequence());
  b.set_check_in_opens_ms(r.start_ms() - settings_.check_in_before_ms);
  b.set_check_in_closes_ms(r.start_ms() + settings_.check_in_after_ms);
  b.set_checked_in(r.checked_in_ms() != 0);
  b.set_room_id(r.room_id());
  if (const auto* p = r.partner_id().empty() ? nullptr : find(r.partner_id())) {
    b.set_partner_name(p->name());
    b.set_partner_time_zone(p->time_zone());
    b.set_partner_checked_in(p->checked_in_ms() != 0);
  }
  return b;
}

// ---------------------------------------------------------------- iCalendar

namespace {

// RFC 5545 3.3.11: backslash, semicolon, comma and newline are escaped.
std::string ics_text(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '\\' || c == ';' || c == ',')
      out += '\\', out += c;
    else if (c == '\n')
      out += "\\n";
    else if (c != '\r')
      out += c;
  }
  return out;
}

// RFC 5545 3.1: lines of at most 75 octets, folded with CRLF and a space,
// never inside a UTF-8 sequence.
void ics_line(std::string& out, const std::string& line) {
  size_t at = 0, limit = 75;
  while (line.size() - at > limit) {
    size_t cut = at + limit;
    while (cut > at && (static_cast<unsigned char>(line[cut]) & 0xC0) == 0x80) --cut;
    out.append(line, at, cut - at);
    out += "\r\n ";
    at = cut;
    limit = 74;  // the leading space counts
  }
  out.append(line, at, std::string::npos);
  out += "\r\n";
}

}  // namespace

std::string render_ics(const std::vector<ics_event>& events, const schedule_settings& settings, int64_t now_ms,
                       bool single, const std::string& name) {
  const bool cancel = single && !events.empty() && !booking_open(events[0].record.status()) &&
                      events[0].record.status() != v1::BOOKING_STATUS_STARTED &&
                      events[0].record.status() != v1::BOOKING_STATUS_PARTNER_NO_SHOW;
  std::string out;
  ics_line(out, "BEGIN:VCALENDAR");
  ics_line(out, "VERSION:2.0");
  ics_line(out, "PRODID:-//mockloop//scheduled mocks//EN");
  ics_line(out, "CALSCALE:GREGORIAN");
  ics_line(out, std::string("METHOD:") + (cancel ? "CANCEL" : "PUBLISH"));
  if (!single) {
    ics_line(out, "X-WR-CALNAME:" + ics_text("mockloop: " + name));
    ics_line(out, "REFRESH-INTERVAL;VALUE=DURATION:PT1H");
  }
  for (const auto& e : events) {
    const auto& r = e.record;
    std::string rounds;
    for (auto x : r.rounds()) rounds += (rounds.empty() ? "" : ", ") + std::string(round_name(x));
    const bool over = !booking_open(r.status());
    const bool cancelled = r.status() == v1::BOOKING_STATUS_CANCELLED ||
                           r.status() == v1::BOOKING_STATUS_LATE_CANCELLED ||
                           r.status() == v1::BOOKING_STATUS_UNMATCHED;
    ics_line(out, "BEGIN:VEVENT");
    ics_line(out, "UID:" + r.booking_id() + "@mockloop");
    ics_line(out, "SEQUENCE:" + std::to_string(r.sequence()));
    ics_line(out, "DTSTAMP:" + ics_utc(now_ms));
    ics_line(out, "LAST-MODIFIED:" + ics_utc(r.updated_ms()));
    ics_line(out, "DTSTART:" + ics_utc(r.start_ms()));
    ics_line(out, "DTEND:" + ics_utc(r.start_ms() + settings.length_ms));
    ics_line(out, "SUMMARY:" + ics_text("mockloop peer mock" +
                                        (e.partner_name.empty() ? std::string(" (finding a partner)")
                                                                : " with " + e.partner_name) +
                                        ": " + rounds));
    std::string desc = "Starts " + e.local_start + ".";
    if (!e.partner_name.empty())
      desc += "\nFor " + e.partner_name + " (" + e.partner_time_zone + ") that is " + e.partner_local_start + ".";
    desc += "\nCheck in from " + std::to_string(settings.check_in_before_ms / 60'000) +
            " minutes before the start, in the mockloop web page or terminal client.";
    ics_line(out, "DESCRIPTION:" + ics_text(desc));
    ics_line(out, std::string("STATUS:") + (cancelled                         ? "CANCELLED"
                                            : over || !e.partner_name.empty() ? "CONFIRMED"
                                                                              : "TENTATIVE"));
    ics_line(out, "ORGANIZER;CN=mockloop:mailto:noreply@mockloop.invalid");
    ics_line(out, "TRANSP:OPAQUE");
    if (!over) {
      for (auto [minutes, label] : {std::pair{60, "in an hour"}, std::pair{10, "check-in is open"}}) {
        ics_line(out, "BEGIN:VALARM");
        ics_line(out, "ACTION:DISPLAY");
        ics_line(out, "DESCRIPTION:" + ics_text(std::string("mockloop peer mock: ") + label));
        ics_line(out, "TRIGGER:-PT" + std::to_string(minutes) + "M");
        ics_line(out, "END:VALARM");
      }
    }
    ics_line(out, "END:VEVENT");
  }
  ics_line(out, "END:VCALENDAR");
  return out;
}

}  // namespace mockloop
