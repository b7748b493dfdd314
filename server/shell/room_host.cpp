#include "room_host.h"

#include <algorithm>
#include <span>

#include <boost/asio/post.hpp>
#include <spdlog/spdlog.h>

#include "clock.h"
#include "room_directory.h"
#include "store.h"
#include "websocket_session.h"

namespace mockloop {

namespace net = boost::asio;

namespace {

int64_t now_ms() { return monotonic_unix_ms(); }

// One message serialised at most once per encoding, however many receive it.
class encoded_once {
 public:
  explicit encoded_once(const v1::ServerMessage& m) : m_(m) {}
  std::shared_ptr<const std::string> get(encoding e) {
    auto& slot = e == encoding::binary ? binary_ : json_;
    if (!slot) slot = std::make_shared<const std::string>(encode(m_, e));
    return slot;
  }

 private:
  const v1::ServerMessage& m_;
  std::shared_ptr<const std::string> binary_, json_;
};

}  // namespace

room_host::room_host(net::any_io_executor strand, std::weak_ptr<room_directory> directory, std::string id,
                     std::shared_ptr<const v1::Scenario> scenario, room_settings settings, std::shared_ptr<store> db,
                     v1::SessionType type)
    : strand_(std::move(strand)),
      directory_(std::move(directory)),
      id_(id),
      core_(std::move(id), std::move(scenario), settings, now_ms()),
      timer_(strand_),
      db_(std::move(db)),
      type_(type) {}

room_host::room_host(net::any_io_executor strand, std::weak_ptr<room_directory> directory, room rebuilt,
                     std::shared_ptr<store> db, v1::SessionType type)
    : strand_(std::move(strand)),
      directory_(std::move(directory)),
      id_(rebuilt.id()),
      core_(std::move(rebuilt)),
      timer_(strand_),
      db_(std::move(db)),
      type_(type),
      persisted_events_(core_.events().size()) {}

void room_host::start_recovered(int64_t down_since_ms) {
  net::post(strand_, [self = shared_from_this(), down_since_ms] {
    const auto now = now_ms();
    auto fx = self->core_.recover(down_since_ms, now);
    // Killed between logging the reveal and storing its record: store it now.
    if (self->core_.revealed() && self->db_ && !self->db_->debrief(self->core_.debrief_id())) {
      spdlog::warn("[room {}] debrief {} missing after the restart; writing it", self->id_, self->core_.debrief_id());
      self->write_debrief(now);
    }
    // Each participant's old session may take its seat back (a resume
    // token from the store; a second device of theirs joins again by code).
    const auto views = self->core_.views(now);
    for (const auto& p : views.candidate_view.participants()) self->held_[p.participant_id()] = p.participant_id();
    spdlog::info("[room {}] recovered: {} participants held, {} ms of downtime not counted", self->id_,
                 self->held_.size(), now - self->core_.events().back().recovered().down_since_ms());
    self->apply(fx, {}, now);
  });
}

// The core's new log entries go to the store before anything they caused
// is sent: what a client was told survives a crash. A failed write is
// logged and retried with the next change; the room goes on meanwhile.
void room_host::persist_events() {
  const auto& events = core_.events();
  if (persisted_events_ >= events.size()) return;
  std::string err;
  if (db_ && !db_->append_events(id_, std::span(events).subspan(persisted_events_), &err)) {
    spdlog::error("[room {}] events {}..{} not stored: {}", id_, persisted_events_ + 1, events.size(), err);
    return;
  }
  persisted_events_ = events.size();
}

// Closed or gone: not to be rebuilt after a restart.
void room_host::close_in_store() {
  if (closed_in_store_ || !db_) return;
  closed_in_store_ = true;
  std::string err;
  if (!db_->close_room(id_, &err)) spdlog::error("[room {}] not marked closed in the store: {}", id_, err);
}

void room_host::join(std::shared_ptr<websocket_session> s, std::string display_name, v1::Role role,
                     std::string user_id, uint32_t request_id) {
  net::post(strand_, [self = shared_from_this(), s = std::move(s), name = std::move(display_name), role,
                      user = std::move(user_id), request_id] {
    if (self->disposed_) {
      s->forget_room(self);
      s->deliver_from_room(make_error(request_id, v1::ERROR_CODE_NOT_FOUND, "that room has ended"));
      return;
    }
    const auto now = now_ms();
    // The same person on a second device (or tab) shares their seat: their
    // drafts and notes follow them. Only a user key identifies a person.
    if (user.starts_with("k:")) {
      for (const auto& [pid, uid] : self->users_) {
        if (uid != user || !self->core_.is_member(pid)) continue;
        spdlog::info("[room {}] {} attached to {}", self->id_, s->id(), pid);
        return self->attach(s, pid, request_id, now);
      }
    }
    auto fx = self->core_.join(s->id(), name, role, request_id, now);
    if (fx.need_briefing.empty()) {
      // Refused: the session is not a member; reply to it directly.
      s->forget_room(self);
      for (const auto& r : fx.replies) s->deliver_from_room(r);
      return;
    }
    self->conns_[s->id()] = connection{s->id(), s, s->serial()};
    self->users_[s->id()] = user;
    spdlog::info("[room {}] {} joined", self->id_, s->id());
    self->apply(fx, s->id(), now);
  });
}

// One more connection for participant `pid`: it gets what a join would
// give, as pushes, and the others see the participant connected.
void room_host::attach(const std::shared_ptr<websocket_session>& s, const std::string& pid, uint32_t request_id,
                       int64_t now) {
  conns_[s->id()] = connection{pid, s, s->serial()};
  held_.erase(s->id());
  v1::ServerMessage joined;
  joined.set_request_id(request_id);  // 0 on a resume: a push
  auto* j = joined.mutable_joined();
  j->set_room_id(id_);
  j->set_role(core_.role_of(pid).value_or(v1::ROLE_UNSPECIFIED));
  j->set_participant_id(pid);
  s->deliver_from_room(joined);
  s->deliver_from_room(briefing_message(pid));
  // A candidate back after the reveal missed the push of their debrief.
  if (core_.revealed() && !is_staff(core_.role_of(pid).value_or(v1::ROLE_UNSPECIFIED)))
    s->deliver_from_room(candidate_debrief_message());
  auto fx = core_.reconnect(pid, now);
  fx.state_changed = true;  // the new connection needs the state even if nobody else does
  apply(fx, {}, now);
}

void room_host::resume(std::shared_ptr<websocket_session> s) {
  net::post(strand_, [self = shared_from_this(), s = std::move(s)] {
    const auto now = now_ms();
    std::string pid;
    if (const auto* p = self->participant_of(s->id())) pid = *p;  // the old connection is still here
    else if (const auto it = self->held_.find(s->id()); it != self->held_.end()) pid = it->second;
    if (self->disposed_ || pid.empty() || !self->core_.is_member(pid)) {
      s->forget_room(self);
      v1::ServerMessage m = make_error(0, v1::ERROR_CODE_NOT_FOUND, "your seat in that room was released");
      s->deliver_from_room(m);
      return;
    }
    spdlog::info("[room {}] {} resumed", self->id_, s->id());
    self->attach(s, pid, 0, now);
  });
}

void room_host::leave(std::string session_id) {
  net::post(strand_, [self = shared_from_this(), sid = std::move(session_id)] {
    if (self->disposed_) return;
    const auto it = self->conns_.find(sid);
    if (it == self->conns_.end()) return;
    const auto pid = it->second.participant_id;
    self->conns_.erase(it);
    if (!self->has_connection(pid)) {
      const auto now = now_ms();
      self->users_.erase(pid);
      self->apply(self->core_.leave(pid, now), {}, now);
      spdlog::info("[room {}] {} left", self->id_, pid);
    }
    self->dispose_if_empty();
  });
}

void room_host::detach(std::string session_id, uint64_t serial) {
  net::post(strand_, [self = shared_from_this(), sid = std::move(session_id), serial] {
    if (self->disposed_) return;
    const auto it = self->conns_.find(sid);
    if (it == self->conns_.end() || it->second.serial != serial) return;  // already replaced by a resume
    const auto pid = it->second.participant_id;
    self->conns_.erase(it);
    self->held_[sid] = pid;
    if (!self->has_connection(pid)) {
      const auto now = now_ms();
      self->apply(self->core_.disconnect(pid, now), {}, now);
      spdlog::info("[room {}] {} dropped; seat held", self->id_, pid);
    }
  });
}

const std::string* room_host::participant_of(const std::string& session_id) const {
  const auto it = conns_.find(session_id);
  return it == conns_.end() ? nullptr : &it->second.participant_id;
}

bool room_host::has_connection(const std::string& pid) const {
  return std::any_of(conns_.begin(), conns_.end(), [&](const auto& kv) { return kv.second.participant_id == pid; });
}

void room_host::handle(std::shared_ptr<websocket_session> session, v1::ClientMessage m) {
  net::post(strand_, [self = shared_from_this(), session = std::move(session), m = std::move(m)] {
    if (self->disposed_) return;
    const auto& sid = session->id();
    const auto* p = self->participant_of(sid);
    const auto pid = p ? *p : sid;  // not a member: the core refuses it
    const auto now = now_ms();
    auto fx = self->core_.handle(pid, m, now);
    if (fx.to_persist) self->persist_submission(fx, pid, now);
    if (!p) {
      // Not (or no longer) a member: the refusal goes to this session.
      for (const auto& r : fx.replies) session->deliver_from_room(r);
      return;
    }
    self->apply(fx, sid, now);
  });
}

// A submitted scorecard is acknowledged only once it is on disk; if the
// store refuses it, the room is unchanged and the rater may try again.
void room_host::persist_submission(room_effects& fx, const std::string& participant_id, int64_t now) {
  const auto card = std::move(*fx.to_persist);
  fx.to_persist.reset();
  std::string err;
  if (!db_ || !db_->save_scorecard(id_, core_.round(), card, &err)) {
    spdlog::error("[room {}] scorecard of {} not saved: {}", id_, participant_id, err);
    fx.replies.push_back(make_error(fx.persist_request_id, v1::ERROR_CODE_UNAVAILABLE,
                                    "your scorecard could not be saved; nothing was submitted, try again"));
    return;
  }
  merge(fx, core_.commit_submit(participant_id, card, fx.persist_request_id, now));
}

// Scoring closed: the round's record goes to the store, readable with the
// room's codes. Called before anything about the reveal is sent, and again
// by a recovered room whose record a crash cut off.
void room_host::write_debrief(int64_t now) {
  const auto debrief_id = core_.debrief_id();
  const auto record = core_.debrief_record(debrief_id, type_, now);
  std::string err;
  if (!db_ || !db_->save_debrief_hashed(record, codes_, &err))
    spdlog::error("[room {}] debrief {} not saved: {}", id_, debrief_id, err);
  else
    spdlog::info("[room {}] debrief {} written", id_, debrief_id);
}

v1::ServerMessage room_host::candidate_debrief_message() const {
  v1::ServerMessage m;
  *m.mutable_candidate_debrief() = core_.candidate_debrief(core_.debrief_id());
  return m;
}

void room_host::next_round(std::shared_ptr<websocket_session> session, std::shared_ptr<const v1::Scenario> scenario,
                           uint32_t request_id) {
  net::post(strand_, [self = shared_from_this(), session = std::move(session), sc = std::move(scenario), request_id] {
    if (self->disposed_) return;
    const auto& sid = session->id();
    const auto* p = self->participant_of(sid);
    const auto pid = p ? *p : sid;
    const auto now = now_ms();
    const auto round = self->core_.round();
    auto fx = self->core_.next_round(pid, sc, request_id, now);
    if (sc && self->core_.round() != round && self->db_) {
      // Before the round_started event is stored: a rebuild needs the scenario it names.
      std::string err;
      if (!self->db_->save_round_scenario(self->id_, self->core_.round(), *sc, &err))
        spdlog::error("[room {}] round {} scenario not stored: {}", self->id_, self->core_.round(), err);
    }
    if (!p) {
      for (const auto& r : fx.replies) session->deliver_from_room(r);
      return;
    }
    self->apply(fx, sid, now);
  });
}

void room_host::inspect(std::function<void(const room&)> fn) {
  net::post(strand_, [self = shared_from_this(), fn = std::move(fn)] { fn(self->core_); });
}

void room_host::shutdown(std::function<void()> done) {
  net::post(strand_, [self = shared_from_this(), done = std::move(done)] {
    self->persist_events();  // a write that failed earlier gets its last try
    self->disposed_ = true;
    self->timer_.cancel();
    done();
  });
}

// To every connection of the participant (their other devices included).
void room_host::send_to(const std::string& participant_id, const v1::ServerMessage& m) {
  encoded_once frame(m);
  for (const auto& [sid, c] : conns_)
    if (c.participant_id == participant_id)
      if (auto s = c.session.lock()) s->send(frame.get(s->wire_encoding()));
}

void room_host::broadcast(const v1::ServerMessage& m, const std::vector<std::string>& participant_ids) {
  encoded_once frame(m);
  for (const auto& [sid, c] : conns_) {
    if (std::find(participant_ids.begin(), participant_ids.end(), c.participant_id) == participant_ids.end()) continue;
    if (auto s = c.session.lock()) s->send(frame.get(s->wire_encoding()));
  }
}

// The participant's role decides the briefing's type (candidate or staff).
v1::ServerMessage room_host::briefing_message(const std::string& pid) const {
  v1::ServerMessage m;
  std::visit(
      [&](const auto& briefing) {
        if constexpr (std::is_same_v<std::decay_t<decltype(briefing)>, v1::CandidateBriefing>)
          *m.mutable_candidate_briefing() = briefing;
        else
          *m.mutable_staff_briefing() = briefing;
      },
      core_.briefing_for(pid));
  return m;
}

void room_host::apply(const room_effects& fx, const std::string& requester, int64_t now) {
  persist_events();
  if (fx.revealed) write_debrief(now);
  // Replies go to the connection that asked, not to the participant's
  // other devices: a request id means nothing to them.
  if (const auto it = conns_.find(requester); it != conns_.end())
    if (auto s = it->second.session.lock())
      for (const auto& r : fx.replies) s->deliver_from_room(r);

  for (const auto& pid : fx.need_briefing) send_to(pid, briefing_message(pid));

  // A private change (a note, a draft) goes only to the staff who can see
  // it: most of an interview's traffic is these, and a full fan-out for
  // each made the cost of a note grow with the room.
  const bool everyone = fx.state_changed || fx.revealed;
  if (everyone || !fx.staff_changed.empty()) {
    auto views = everyone ? core_.views(now) : core_.staff_views(now, fx.staff_changed);
    if (fx.revealed) broadcast(candidate_debrief_message(), views.candidate_ids);
    if (!views.candidate_ids.empty()) {
      v1::ServerMessage candidates;
      candidates.mutable_room_state()->Swap(&views.candidate_view);
      broadcast(candidates, views.candidate_ids);
    }
    for (auto& [pid, view] : views.staff_views) {
      v1::ServerMessage m;
      m.mutable_staff_room_state()->Swap(&view);
      send_to(pid, m);
    }
  }
  if (fx.closed) {
    close_in_store();
    spdlog::info("[room {}] closed{}", id_, fx.forfeited ? " (forfeited)" : "");
    if (on_closed_) on_closed_(fx.forfeited);
  }
  // Seats released by the clock may have emptied the room.
  for (auto it = held_.begin(); it != held_.end();)
    it = core_.is_member(it->second) ? std::next(it) : held_.erase(it);
  schedule(now);
  dispose_if_empty();
}

// Wakes at the next phase deadline or scripted follow-up, and on whole
// seconds of the clock for ticks while it runs or is paused.
void room_host::schedule(int64_t now) {
  const auto wake = core_.next_wakeup_ms();
  if (!core_.has_clock() && !wake) {
    timer_.cancel();
    next_tick_ms_ = 0;
    return;
  }
  if (next_tick_ms_ == 0 || next_tick_ms_ <= now - 1000) next_tick_ms_ = now + 1000;
  const int64_t target = wake ? std::min(*wake, next_tick_ms_) : next_tick_ms_;
  timer_.expires_after(std::chrono::milliseconds(std::max<int64_t>(0, target - now)));
  timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) { self->on_timer(ec); });
}

void room_host::on_timer(boost::system::error_code ec) {
  if (ec || disposed_) return;
  const auto now = now_ms();
  const auto fx = core_.advance(now);
  if (now >= next_tick_ms_ && core_.has_clock()) {
    v1::ServerMessage m;
    *m.mutable_tick() = core_.tick(now);
    // Wall clock, not the room clock: a load generator on this host compares
    // it with its own system_clock on receipt.
    m.mutable_tick()->set_sent_at_us(std::chrono::duration_cast<std::chrono::microseconds>(
        std::chrono::system_clock::now().time_since_epoch()).count());
    encoded_once frame(m);
    for (const auto& [sid, c] : conns_)
      if (auto s = c.session.lock()) s->send(frame.get(s->wire_encoding()));
    while (next_tick_ms_ <= now) next_tick_ms_ += 1000;  // after a stall, one tick, not a burst
  }
  apply(fx, {}, now);  // also reschedules
}

void room_host::dispose_if_empty() {
  // A held seat keeps the room for its owner's return.
  if (disposed_ || !conns_.empty() || core_.participant_count() > 0) return;
  disposed_ = true;
  timer_.cancel();
  close_in_store();
  spdlog::info("[room {}] disposed: nobody left", id_);
  if (auto d = directory_.lock()) d->remove(id_);
}

}  // namespace mockloop
