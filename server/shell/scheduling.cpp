#include "scheduling.h"

#include <fstream>
#include <sstream>

#include <spdlog/spdlog.h>
#include <boost/asio/post.hpp>

#include "clock.h"
#include "matchmaking.h"
#include "mockloop/core/protocol_session.h"
#include "random.h"
#include "sha256.h"
#include "store.h"
#include "store_writer.h"

namespace mockloop {

namespace net = boost::asio;

namespace {

schedule_settings settings_from(const server_config& c) {
  schedule_settings s;
  s.slot_ms = int64_t{c.schedule_slot_seconds} * 1000;
  s.min_lead_ms = int64_t{c.schedule_min_lead_seconds} * 1000;
  s.check_in_before_ms = int64_t{c.check_in_before_seconds} * 1000;
  s.check_in_after_ms = int64_t{c.check_in_after_seconds} * 1000;
  s.late_cancel_ms = int64_t{c.late_cancel_seconds} * 1000;
  s.cooldown_ms = int64_t{c.no_show_cooldown_seconds} * 1000;
  return s;
}

v1::ServerMessage to_error(uint32_t rid, const schedule_error& e) {
  return make_error(rid, e.code, e.message, e.field);
}

}  // namespace

int64_t scheduling::now_ms() { return monotonic_unix_ms(); }

std::string scheduling::user_hash_of(const std::string& user_key) { return mockloop::user_hash_of(user_key); }

// Derived, not stored: the same key always has the same feed, and the feed
// (which a calendar app fetches unauthenticated) never reveals the key.
std::string scheduling::feed_of(const std::string& user_key) {
  return user_key.empty() ? std::string{} : hex(sha256("mockloop calendar feed\n" + user_key), 16);
}

scheduling::scheduling(net::any_io_executor strand, std::shared_ptr<hub> h)
    : strand_(std::move(strand)), hub_(std::move(h)), core_(settings_from(hub_->config())), timer_(strand_) {}

void scheduling::start() {
  if (hub_->db)
    for (auto& r : hub_->db->bookings()) core_.load(std::move(r));
  spdlog::info("scheduled mocks: {} bookings ({} open)", core_.size(), core_.open_count());
  net::post(strand_, [self = shared_from_this()] { self->do_tick(); });
}

void scheduling::stop() {
  net::post(strand_, [self = shared_from_this()] {
    self->stopped_ = true;
    self->timer_.cancel();
  });
}

const time_zone* scheduling::zone(const std::string& name) {
  if (name == "UTC" || name == "Etc/UTC") {
    auto& z = zones_["UTC"];
    if (!z) z = std::make_unique<time_zone>(time_zone::utc());
    return z.get();
  }
  if (!valid_zone_name(name)) return nullptr;
  if (const auto it = zones_.find(name); it != zones_.end()) return it->second.get();
  if (zones_.size() > 1000) zones_.clear();  // bounded: there are ~600 zones
  std::ifstream in(hub_->config().zoneinfo_dir + "/" + name, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  auto parsed = in ? time_zone::parse(name, ss.str()) : std::nullopt;
  auto& slot = zones_[name];
  if (parsed) slot = std::make_unique<time_zone>(std::move(*parsed));
  return slot.get();
}

v1::Booking scheduling::view(const v1::BookingRecord& r) {
  auto b = core_.view(r);
  const auto* own = zone(r.time_zone());
  b.set_local_start(format_local(r.start_ms(), own ? *own : time_zone::utc()));
  if (!b.partner_time_zone().empty()) {
    const auto* theirs = zone(b.partner_time_zone());
    b.set_partner_local_start(format_local(r.start_ms(), theirs ? *theirs : time_zone::utc()));
  }
  return b;
}

v1::ServerMessage scheduling::list(const std::string& user_hash, const std::string& feed, uint32_t request_id) {
  const auto now = now_ms();
  v1::ServerMessage m;
  m.set_request_id(request_id);
  auto* out = m.mutable_bookings();
  for (const auto* r : core_.of_user(user_hash, now)) *out->add_bookings() = view(*r);
  *out->mutable_reliability() = core_.reliability(user_hash, now);
  out->set_calendar_path("/calendar/" + feed + ".ics");
  return m;
}

void scheduling::attach(std::weak_ptr<member> s, std::string user_key) {
  if (user_key.empty()) return;
  net::post(strand_, [self = shared_from_this(), s = std::move(s), hash = user_hash_of(user_key)] {
    auto& list = self->clients_[hash];
    std::erase_if(list, [](const auto& w) { return w.expired(); });
    list.push_back(s);
  });
}

std::vector<std::shared_ptr<member>> scheduling::sessions_of(const std::string& user_hash) {
  std::vector<std::shared_ptr<member>> out;
  const auto it = clients_.find(user_hash);
  if (it == clients_.end()) return out;
  std::erase_if(it->second, [](const auto& w) { return w.expired(); });
  for (const auto& w : it->second)
    if (auto s = w.lock()) out.push_back(std::move(s));
  if (it->second.empty()) clients_.erase(it);
  return out;
}

void scheduling::handle(std::shared_ptr<member> s, std::string user_key, v1::ClientMessage m) {
  net::post(strand_, [self = shared_from_this(), s = std::move(s), key = std::move(user_key), m = std::move(m)] {
    const auto rid = m.request_id();
    if (self->stopped_)
      return s->deliver_from_room(make_error(rid, v1::ERROR_CODE_UNAVAILABLE, "the server is restarting"));
    if (key.empty())
      return s->deliver_from_room(make_error(rid, v1::ERROR_CODE_FAILED_PRECONDITION,
                                             "scheduled mocks need a user key in Hello (the web page and the "
                                             "terminal client keep one)",
                                             "userKey"));
    const auto hash = user_hash_of(key), feed = feed_of(key);
    {
      auto& list = self->clients_[hash];
      if (std::none_of(list.begin(), list.end(), [&](const auto& w) { return w.lock() == s; })) list.push_back(s);
    }
    const auto now = now_ms();
    schedule_effects fx;
    std::optional<schedule_error> err;
    std::string booked;
    switch (m.body_case()) {
      case v1::ClientMessage::kBookSlot: {
        const auto& b = m.book_slot();
        if (!self->zone(b.time_zone()))
          return s->deliver_from_room(
              make_error(rid, v1::ERROR_CODE_INVALID_ARGUMENT,
                         "'" + b.time_zone() + "' is not an IANA time zone (e.g. Europe/Berlin)", "timeZone"));
        book_request req;
        req.booking_id = random_hex(16);
        req.user_hash = hash;
        req.feed = feed;
        req.name = s->display_name();
        req.start_ms = b.start_ms();
        req.time_zone = b.time_zone() == "Etc/UTC" ? "UTC" : b.time_zone();
        for (auto r : b.rounds()) req.rounds.push_back(static_cast<v1::RoundType>(r));
        req.level = b.level();
        req.language = b.language().empty() ? "en" : b.language();
        err = self->core_.book(req, now, fx);
        booked = req.booking_id;
        break;
      }
      case v1::ClientMessage::kCancelBooking:
        err = self->core_.cancel(hash, m.cancel_booking().booking_id(), now, fx);
        break;
      case v1::ClientMessage::kCheckIn:
        err = self->core_.check_in(hash, m.check_in().booking_id(), now, fx);
        break;
      case v1::ClientMessage::kListBookings:
        return s->deliver_from_room(self->list(hash, feed, rid));
      default:
        return s->deliver_from_room(make_error(rid, v1::ERROR_CODE_INTERNAL, "not a booking request"));
    }
    if (err) return s->deliver_from_room(to_error(rid, *err));
    // The reply only once the change is durable: nothing acknowledged is lost.
    self->apply(std::move(fx), [self, s, hash, feed, rid, booked](bool ok, const std::string& error) {
      if (!ok) {
        spdlog::error("[{}] booking not stored: {}", s->id(), error);
        return s->deliver_from_room(make_error(rid, v1::ERROR_CODE_UNAVAILABLE, "the booking could not be stored"));
      }
      auto reply = self->list(hash, feed, rid);
      reply.mutable_bookings()->set_booked_id(booked);
      s->deliver_from_room(reply);
    });
  });
}

void scheduling::apply(schedule_effects fx, std::function<void(bool ok, const std::string& error)> then) {
  std::vector<v1::BookingRecord> rows;
  for (const auto& id : fx.changed)
    if (const auto* r = core_.find(id)) rows.push_back(*r);
  auto done = [self = shared_from_this(), fx = std::move(fx), then = std::move(then)](bool ok,
                                                                                      const std::string& error) {
    net::post(self->strand_, [self, fx, then, ok, error] {
      if (then) then(ok, error);
      if (ok) self->tell(fx);
    });
  };
  if (!hub_->writer || rows.empty()) return done(true, {});
  hub_->writer->submit(
      [rows = std::move(rows)](store& db, std::string* error) {
        for (const auto& r : rows)
          if (!db.save_booking(r, error)) return false;
        return true;
      },
      std::move(done));
}

// After the write: updates and reminders to every connected client of each
// owner, then the starts.
void scheduling::tell(const schedule_effects& fx) {
  for (const auto& u : fx.updates) {
    const auto* r = core_.find(u.booking_id);
    if (!r) continue;
    v1::ServerMessage m;
    *m.mutable_booking_update()->mutable_booking() = view(*r);
    m.mutable_booking_update()->set_reason(u.reason);
    for (auto& s : sessions_of(r->user_hash())) s->deliver_from_room(m);
  }
  for (const auto& rem : fx.reminders) {
    const auto* r = core_.find(rem.booking_id);
    if (!r) continue;
    v1::ServerMessage m;
    *m.mutable_booking_reminder()->mutable_booking() = view(*r);
    m.mutable_booking_reminder()->set_minutes_before(rem.minutes_before);
    for (auto& s : sessions_of(r->user_hash())) s->deliver_from_room(m);
  }
  for (const auto& [a, b] : fx.starts) start_pair(a, b);
}

void scheduling::start_pair(const std::string& a, const std::string& b) {
  const auto* ra = core_.find(a);
  const auto* rb = core_.find(b);
  if (!ra || !rb || !hub_->matching) return;
  std::array<matchmaking::scheduled_peer, 2> peers;
  const v1::BookingRecord* recs[2] = {ra, rb};
  for (int i = 0; i < 2; ++i) {
    auto live = sessions_of(recs[i]->user_hash());
    // The newest connection: the one the owner is looking at.
    if (!live.empty()) {
      peers[i].session_id = live.back()->id();
      peers[i].user_id = live.back()->user_id();
    } else {
      peers[i].user_id = "h:" + recs[i]->user_hash();
    }
    peers[i].name = recs[i]->name();
    for (auto r : recs[i]->rounds()) peers[i].rounds.push_back(static_cast<v1::RoundType>(r));
    peers[i].level = recs[i]->level();
  }
  // The round: the first of the older booking's round types the other shares.
  v1::RoundType round = v1::ROUND_TYPE_UNSPECIFIED;
  for (auto x : ra->rounds())
    for (auto y : rb->rounds())
      if (x == y && round == v1::ROUND_TYPE_UNSPECIFIED) round = static_cast<v1::RoundType>(x);
  spdlog::info("scheduled mock {} + {} starts", a.substr(0, 8), b.substr(0, 8));
  std::weak_ptr<scheduling> weak = weak_from_this();
  hub_->matching->start_scheduled(std::move(peers), round, [weak, a, b](std::string room_id) {
    auto self = weak.lock();
    if (!self || room_id.empty()) return;
    net::post(self->strand_, [self, a, b, room_id] {
      self->core_.set_room(a, room_id);
      self->core_.set_room(b, room_id);
      schedule_effects fx;
      fx.changed = {a, b};
      self->apply(std::move(fx), {});
    });
  });
}

void scheduling::do_tick() {
  if (stopped_) return;
  schedule_effects fx;
  core_.tick(now_ms(), fx);
  if (!fx.empty())
    apply(std::move(fx), [](bool ok, const std::string& error) {
      if (!ok) spdlog::error("scheduled mocks: a change was not stored: {}", error);
    });
  timer_.expires_after(std::chrono::seconds(1));
  timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
    if (!ec) self->do_tick();
  });
}

void scheduling::calendar(std::string path, http_reply reply) {
  net::post(strand_, [self = shared_from_this(), path = std::move(path), reply = std::move(reply)] {
    // <feed>.ics or <feed>/<booking id>.ics
    auto not_found = [&] { reply(404, "no such calendar\n", "text/plain; charset=utf-8"); };
    if (!path.ends_with(".ics")) return not_found();
    auto rest = path.substr(0, path.size() - 4);
    std::string feed = rest, one;
    if (const auto slash = rest.find('/'); slash != std::string::npos) {
      feed = rest.substr(0, slash);
      one = rest.substr(slash + 1);
    }
    const auto now = now_ms();
    const auto records = self->core_.of_feed(feed, now);
    if (feed.empty() || records.empty()) return not_found();
    std::vector<ics_event> events;
    for (const auto* r : records) {
      if (!one.empty() && r->booking_id() != one) continue;
      const auto v = self->view(*r);
      events.push_back({*r, v.partner_name(), v.local_start(), v.partner_local_start(), v.partner_time_zone()});
    }
    if (!one.empty() && events.empty()) return not_found();
    reply(200, render_ics(events, self->core_.settings(), now, !one.empty(), records.front()->name()),
          "text/calendar; charset=utf-8");
  });
}

}  // namespace mockloop
