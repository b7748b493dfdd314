#include "room_host.h"

#include <algorithm>
#include <span>

#include <boost/asio/post.hpp>
#include <spdlog/spdlog.h>

#include "clock.h"
#include "mockloop/core/protocol_session.h"
#include "room_directory.h"
#include "sha256.h"
#include "store.h"
#include "store_writer.h"

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

// "interviewer", as a sentence says it.
std::string role_word(v1::Role r) {
  switch (r) {
    case v1::ROLE_CANDIDATE: return "candidate";
    case v1::ROLE_INTERVIEWER: return "interviewer";
    case v1::ROLE_OBSERVER: return "observer";
    case v1::ROLE_COACH: return "coach";
    default: return "participant";
  }
}

}  // namespace

room_host::room_host(net::any_io_executor strand, std::weak_ptr<room_directory> directory, std::string id,
                     std::shared_ptr<const v1::Scenario> scenario, room_settings settings, std::shared_ptr<store> db,
                     std::shared_ptr<store_writer> writer, v1::SessionType type, v1::Level target_level)
    : strand_(std::move(strand)),
      directory_(std::move(directory)),
      id_(id),
      core_(std::move(id), std::move(scenario), settings, now_ms(), target_level),
      call_(settings.call),
      timer_(strand_),
      db_(std::move(db)),
      writer_(std::move(writer)),
      type_(type) {}

room_host::room_host(net::any_io_executor strand, std::weak_ptr<room_directory> directory, room rebuilt,
                     std::shared_ptr<store> db, std::shared_ptr<store_writer> writer, v1::SessionType type)
    : strand_(std::move(strand)),
      directory_(std::move(directory)),
      id_(rebuilt.id()),
      core_(std::move(rebuilt)),
      call_(core_.settings().call),
      timer_(strand_),
      db_(std::move(db)),
      writer_(std::move(writer)),
      type_(type),
      durable_events_(core_.events().size()) {}

void room_host::start_recovered(int64_t down_since_ms) {
  net::post(strand_, [self = shared_from_this(), down_since_ms] {
    const auto now = now_ms();
    auto fx = self->core_.recover(down_since_ms, now);
    // Killed between logging the reveal and storing its record: store it
    // now, with the recovered event.
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
    self->apply(std::move(fx), {}, now);
  });
}

// The core's new log entries go to the store before anything they caused
// is sent (emit() holds it): what a client was told survives a crash. The
// write runs on the store's writer thread, grouped with other rooms'; the
// room goes on taking requests meanwhile, and their frames queue behind.
void room_host::flush_writes() {
  const auto& events = core_.events();
  if (writing_ || (durable_events_ >= events.size() && due_writes_.empty())) return;
  if (!writer_) {  // no store: nothing to wait for
    durable_events_ = events.size();
    due_writes_.clear();
    return release(durable_events_);
  }
  std::vector<store::encoded_event> fresh;
  fresh.reserve(events.size() - durable_events_);
  for (auto e = events.begin() + static_cast<std::ptrdiff_t>(durable_events_); e != events.end(); ++e)
    fresh.push_back({e->seq(), e->at_ms(), e->SerializeAsString()});
  auto due = std::make_shared<due_writes>(std::exchange(due_writes_, {}));
  writing_ = true;
  // One write, all or nothing (the writer gives it a savepoint): a round's
  // started event is never stored without the scenario it names.
  writer_->submit(
      [id = id_, fresh = std::move(fresh), due](store& db, std::string* error) {
        for (const auto& write : *due)
          if (!write(db, error)) return false;
        return db.append_events(id, fresh, error);
      },
      [self = shared_from_this(), upto = events.size(), due](bool ok, const std::string& error) mutable {
        auto strand = self->strand_;
        net::post(strand, [self = std::move(self), upto, ok, error, due = std::move(due)] {
          self->on_written(upto, ok, error, ok ? due_writes{} : std::move(*due));
        });
      });
}

// A failed write is logged, and what waited for it goes out all the same:
// the room goes on, and everything in the write is tried again with the
// next change.
void room_host::on_written(size_t upto, bool ok, const std::string& error, due_writes unwritten) {
  writing_ = false;
  if (ok) {
    durable_events_ = std::max(durable_events_, upto);
  } else {
    spdlog::error("[room {}] events {}..{} not stored: {}", id_, durable_events_ + 1, upto, error);
    due_writes_.insert(due_writes_.begin(), std::make_move_iterator(unwritten.begin()),
                       std::make_move_iterator(unwritten.end()));
  }
  release(upto);
  // Frames for events logged while this write was out wait for the next.
  if (!outbox_.empty() || (ok && durable_events_ < core_.events().size())) flush_writes();
  finish_shutdown_if_idle();
}

void room_host::release(size_t upto) {
  while (!outbox_.empty() && outbox_.front().needs <= upto) {
    const auto h = std::move(outbox_.front());
    outbox_.pop_front();
    if (auto s = h.to.lock()) s->send(h.frame);
  }
}

void room_host::emit(const std::shared_ptr<member>& s, std::shared_ptr<const std::string> frame) {
  if (outbox_.empty() && durable_events_ >= core_.events().size()) return s->send(std::move(frame));
  outbox_.push_back(held{core_.events().size(), s, std::move(frame)});
  flush_writes();  // a held frame always has a write coming for it
}

void room_host::emit(const std::shared_ptr<member>& s, const v1::ServerMessage& m) {
  emit(s, s->frame_for(m));
}

// Closed or gone: not to be rebuilt after a restart.
void room_host::close_in_store() {
  if (closed_in_store_) return;
  closed_in_store_ = true;
  due_writes_.push_back([id = id_](store& db, std::string* error) {
    if (db.close_room(id, error)) return true;
    *error = "not marked closed in the store: " + *error;
    return false;
  });
  flush_writes();
}

void room_host::join(std::shared_ptr<member> s, std::string display_name, v1::Role role,
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
    // drafts and notes follow them. Only a user key identifies a person, so
    // a code for another role under the same key is two people on one key
    // (two clients on one machine): refused, saying so, rather than seating
    // the second as the first.
    if (user.starts_with("k:")) {
      for (const auto& [pid, uid] : self->users_) {
        if (uid != user || !self->core_.is_member(pid)) continue;
        const auto seat = self->core_.role_of(pid).value_or(v1::ROLE_UNSPECIFIED);
        if (seat != role) {
          s->forget_room(self);
          s->deliver_from_room(make_error(
              request_id, v1::ERROR_CODE_FAILED_PRECONDITION,
              "your user key already sits in this room as the " + role_word(seat) + "; to join as the " +
                  role_word(role) + " too, connect with another user key (mockloop --profile NAME, or another browser profile)",
              "code"));
          return;
        }
        spdlog::info("[room {}] {} attached to {}", self->id_, s->id(), pid);
        return self->attach(s, pid, request_id, now);
      }
    }
    const auto user_hash = user.starts_with("k:") ? user_hash_of(std::string_view(user).substr(2)) : std::string{};
    auto fx = self->core_.join(s->id(), name, role, request_id, now, user_hash);
    if (fx.need_briefing.empty()) {
      // Refused: the session is not a member; reply to it directly.
      s->forget_room(self);
      for (const auto& r : fx.replies) s->deliver_from_room(r);
      return;
    }
    self->conns_[s->id()] = connection{s->id(), s, s->serial()};
    self->users_[s->id()] = user;
    spdlog::info("[room {}] {} joined", self->id_, s->id());
    self->apply(std::move(fx), s->id(), now);
  });
}

// One more connection for participant `pid`: it gets what a join would
// give, as pushes, and the others see the participant connected.
void room_host::attach(const std::shared_ptr<member>& s, const std::string& pid, uint32_t request_id,
                       int64_t now) {
  conns_[s->id()] = connection{pid, s, s->serial()};
  held_.erase(s->id());
  v1::ServerMessage joined;
  joined.set_request_id(request_id);  // 0 on a resume: a push
  auto* j = joined.mutable_joined();
  j->set_room_id(id_);
  j->set_role(core_.role_of(pid).value_or(v1::ROLE_UNSPECIFIED));
  j->set_participant_id(pid);
  emit(s, joined);
  emit(s, briefing_message(pid));
  emit(s, board_message());
  if (!call_.empty())
    s->send(s->frame_for([&] {
      v1::ServerMessage m;
      *m.mutable_call_state() = call_.state(id_);
      return m;
    }()));
  // A candidate back after the reveal missed the push of their debrief.
  if (core_.revealed() && !is_staff(core_.role_of(pid).value_or(v1::ROLE_UNSPECIFIED)))
    emit(s, candidate_debrief_message());
  auto fx = core_.reconnect(pid, now);
  fx.state_changed = true;  // the new connection needs the state even if nobody else does
  apply(std::move(fx), {}, now);
}

void room_host::resume(std::shared_ptr<member> s) {
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
    self->leave_call(sid);
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
    self->leave_call(sid);  // the media went with the connection; the client rejoins after a resume
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

void room_host::handle(std::shared_ptr<member> session, v1::ClientMessage m) {
  net::post(strand_, [self = shared_from_this(), session = std::move(session), m = std::move(m)]() mutable {
    if (self->disposed_) return;
    switch (m.body_case()) {
      case v1::ClientMessage::kJoinCall:
      case v1::ClientMessage::kLeaveCall:
      case v1::ClientMessage::kCallUpdate:
      case v1::ClientMessage::kRtcSignal:
        return self->handle_call(session, m);
      default:
        break;
    }
    const auto& sid = session->id();
    const auto* p = self->participant_of(sid);
    const auto pid = p ? *p : sid;  // not a member: the core refuses it
    const auto now = now_ms();
    auto fx = self->core_.handle(pid, std::move(m), now);
    if (fx.to_persist) self->save_submission(fx, pid, sid);
    if (!p) {
      // Not (or no longer) a member: the refusal goes to this session.
      for (const auto& r : fx.replies) session->deliver_from_room(r);
      return;
    }
    self->apply(std::move(fx), sid, now);
  });
}

void room_host::handle_call(const std::shared_ptr<member>& s, const v1::ClientMessage& m) {
  const auto rid = m.request_id();
  const auto* p = participant_of(s->id());
  if (!p) return s->deliver_from_room(make_error(rid, v1::ERROR_CODE_FAILED_PRECONDITION, "not in this room"));
  const auto pid = *p;
  v1::ServerMessage ack;
  ack.set_request_id(rid);
  ack.mutable_ack();
  switch (m.body_case()) {
    case v1::ClientMessage::kJoinCall: {
      auto j = call_.join(pid, s->id(), core_.display_name(pid), core_.role_of(pid).value_or(v1::ROLE_UNSPECIFIED),
                          m.join_call(), rid);
      if (j.error) return s->deliver_from_room(*j.error);
      if (!j.replaced_session.empty())
        if (const auto it = conns_.find(j.replaced_session); it != conns_.end())
          if (auto old = it->second.session.lock())
            old->deliver_from_room(
                make_error(0, v1::ERROR_CODE_FAILED_PRECONDITION, "you joined the call from another device"));
      v1::ServerMessage reply;
      reply.set_request_id(rid);
      auto* cj = reply.mutable_call_joined();
      *cj = call_joined(core_.settings().ice, pid, now_ms());
      cj->set_room_id(id_);
      cj->set_speaker(j.speaker);
      s->deliver_from_room(reply);
      spdlog::info("[room {}] {} joined the call as a {}", id_, pid, j.speaker ? "speaker" : "listener");
      return send_call_state();
    }
    case v1::ClientMessage::kLeaveCall:
      if (rid) s->deliver_from_room(ack);
      return leave_call(s->id());
    case v1::ClientMessage::kCallUpdate:
      if (auto e = call_.update(s->id(), m.call_update(), rid)) return s->deliver_from_room(*e);
      if (rid) s->deliver_from_room(ack);
      return send_call_state();
    case v1::ClientMessage::kRtcSignal: {
      // Not logged: SDP and candidates carry addresses, and none of it is
      // the interview's record.
      auto routed = call_.route(s->id(), m.rtc_signal(), rid);
      if (auto* e = std::get_if<v1::ServerMessage>(&routed)) return s->deliver_from_room(*e);
      const auto& r = std::get<call_roster::relay>(routed);
      if (const auto it = conns_.find(r.to_session); it != conns_.end())
        if (auto to = it->second.session.lock()) to->deliver_from_room(r.message);
      if (rid) s->deliver_from_room(ack);
      return;
    }
    default:
      return;
  }
}

void room_host::leave_call(const std::string& session_id) {
  if (call_.leave(session_id)) send_call_state();
}

// To everyone in the room, in the call or not: the page shows who is.
void room_host::send_call_state() {
  v1::ServerMessage m;
  *m.mutable_call_state() = call_.state(id_);
  encoded_once frame(m);
  for (const auto& [sid, c] : conns_)
    if (auto s = c.session.lock()) s->send(frame.get(s->wire_encoding()));
}

// The hot seat moved: the new candidate speaks, the one before may not.
void room_host::sync_call_roles() {
  if (call_.empty()) return;
  bool changed = false;
  for (const auto& pid : call_.participants())
    changed |= call_.set_role(pid, core_.role_of(pid).value_or(v1::ROLE_UNSPECIFIED));
  if (changed) send_call_state();
}

v1::ServerMessage room_host::board_message() const {
  v1::ServerMessage m;
  *m.mutable_board() = core_.board_snapshot();
  return m;
}

// A submitted scorecard is acknowledged only once it is on disk; if the
// store refuses it, the room is unchanged and the rater may try again. The
// room takes other requests while the card is being written.
void room_host::save_submission(room_effects& fx, const std::string& participant_id, const std::string& session_id) {
  auto card = std::move(*fx.to_persist);
  fx.to_persist.reset();
  const auto request_id = fx.persist_request_id;
  if (std::find(submitting_.begin(), submitting_.end(), participant_id) != submitting_.end()) {
    fx.replies.push_back(
        make_error(request_id, v1::ERROR_CODE_FAILED_PRECONDITION, "your scorecard is being submitted already"));
    return;
  }
  submitting_.push_back(participant_id);
  if (!writer_) return on_card_saved(participant_id, session_id, card, request_id, false, "no store");
  writer_->submit(
      [id = id_, round = core_.round(), card](store& db, std::string* error) {
        return db.save_scorecard(id, round, card, error);
      },
      [self = shared_from_this(), pid = participant_id, sid = session_id, card, request_id](
          bool ok, const std::string& error) mutable {
        auto strand = self->strand_;
        net::post(strand, [self = std::move(self), pid = std::move(pid), sid = std::move(sid), card = std::move(card),
                           request_id, ok, error] { self->on_card_saved(pid, sid, card, request_id, ok, error); });
      });
}

void room_host::on_card_saved(const std::string& participant_id, const std::string& session_id,
                              const v1::Scorecard& card, uint32_t request_id, bool ok, const std::string& error) {
  std::erase(submitting_, participant_id);
  const auto now = now_ms();
  room_effects fx;
  if (ok) {
    fx = core_.commit_submit(participant_id, card, request_id, now);
  } else {
    spdlog::error("[room {}] scorecard of {} not saved: {}", id_, participant_id, error);
    fx.replies.push_back(make_error(request_id, v1::ERROR_CODE_UNAVAILABLE,
                                    "your scorecard could not be saved; nothing was submitted, try again"));
  }
  apply(std::move(fx), session_id, now);
  finish_shutdown_if_idle();
}

// Scoring closed: the round's record goes to the store, readable with the
// room's codes, in the transaction that stores the reveal. A recovered room
// whose record a crash cut off writes it again.
void room_host::write_debrief(int64_t now) {
  auto record = core_.debrief_record(core_.debrief_id(), type_, now);
  // Who took part, by user key, for their My mocks: the record's roles.
  std::vector<store::debrief_user> users;
  for (const auto& p : record.participants())
    if (const auto it = core_.user_hashes().find(p.participant_id()); it != core_.user_hashes().end())
      users.push_back({it->second, p.participant_id(), p.role()});
  due_writes_.push_back([record = std::move(record), codes = codes_, users = std::move(users)](store& db,
                                                                                               std::string* error) {
    if (db.save_debrief_hashed(record, codes, error, users)) {
      spdlog::info("[room {}] debrief {} written", record.room_id(), record.id());
      return true;
    }
    *error = "debrief " + record.id() + " not saved: " + *error;
    return false;
  });
}

v1::ServerMessage room_host::candidate_debrief_message() const {
  v1::ServerMessage m;
  *m.mutable_candidate_debrief() = core_.candidate_debrief(core_.debrief_id());
  return m;
}

void room_host::next_round(std::shared_ptr<member> session, std::shared_ptr<const v1::Scenario> scenario,
                           uint32_t request_id) {
  net::post(strand_, [self = shared_from_this(), session = std::move(session), sc = std::move(scenario), request_id] {
    if (self->disposed_) return;
    const auto& sid = session->id();
    const auto* p = self->participant_of(sid);
    const auto pid = p ? *p : sid;
    const auto now = now_ms();
    const auto round = self->core_.round();
    auto fx = self->core_.next_round(pid, sc, request_id, now);
    if (sc && self->core_.round() != round) {
      // With the round_started event, in its transaction: a rebuild needs the scenario it names.
      self->due_writes_.push_back([id = self->id_, n = self->core_.round(), sc](store& db, std::string* error) {
        if (db.save_round_scenario(id, n, *sc, error)) return true;
        *error = "round " + std::to_string(n) + " scenario not stored: " + *error;
        return false;
      });
    }
    if (!p) {
      for (const auto& r : fx.replies) session->deliver_from_room(r);
      return;
    }
    self->apply(std::move(fx), sid, now);
  });
}

void room_host::inspect(std::function<void(const room&)> fn) {
  net::post(strand_, [self = shared_from_this(), fn = std::move(fn)] { fn(self->core_); });
}

void room_host::shutdown(std::function<void()> done) {
  net::post(strand_, [self = shared_from_this(), done = std::move(done)] {
    self->disposed_ = true;  // no more requests, no more ticks
    self->disarm();
    self->on_stopped_ = std::move(done);
    self->flush_writes();  // a write that failed earlier gets its last try
    self->finish_shutdown_if_idle();
  });
}

void room_host::finish_shutdown_if_idle() {
  if (!on_stopped_ || writing_ || !submitting_.empty() || !outbox_.empty()) return;
  std::exchange(on_stopped_, nullptr)();
}

// To every connection of the participant (their other devices included).
void room_host::send_to(const std::string& participant_id, const v1::ServerMessage& m,
                        const std::string& skip_session) {
  encoded_once frame(m);
  for (const auto& [sid, c] : conns_)
    if (c.participant_id == participant_id && sid != skip_session)
      if (auto s = c.session.lock()) emit(s, frame.get(s->wire_encoding()));
}

void room_host::broadcast_all(const v1::ServerMessage& m, const std::string& skip_session) {
  encoded_once frame(m);
  for (const auto& [sid, c] : conns_)
    if (sid != skip_session)
      if (auto s = c.session.lock()) emit(s, frame.get(s->wire_encoding()));
}

void room_host::broadcast(const v1::ServerMessage& m, const std::vector<std::string>& participant_ids) {
  encoded_once frame(m);
  for (const auto& [sid, c] : conns_) {
    if (std::find(participant_ids.begin(), participant_ids.end(), c.participant_id) == participant_ids.end()) continue;
    if (auto s = c.session.lock()) emit(s, frame.get(s->wire_encoding()));
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

void room_host::apply(room_effects&& fx, const std::string& requester, int64_t now) {
  if (fx.revealed) write_debrief(now);
  flush_writes();
  const bool everyone = fx.state_changed || fx.revealed;
  // Replies go to the connection that asked, not to the participant's
  // other devices: a request id means nothing to them.
  std::shared_ptr<member> asker;
  const std::string* asker_pid = nullptr;
  if (const auto it = conns_.find(requester); it != conns_.end()) {
    asker = it->second.session.lock();
    asker_pid = &it->second.participant_id;
  }
  // A private change answers the request that made it: the asker gets its
  // own change with the request id instead of an Ack and then the change.
  // Most of an interview's requests are these (docs/protocol.md).
  const v1::StaffRoomChange* answer = nullptr;
  const bool acked = asker && !everyone && fx.replies.size() == 1 && fx.replies[0].has_ack();
  if (acked)
    for (const auto& [pid, change] : fx.staff_changes)
      if (pid == *asker_pid) answer = &change;
  // Likewise a clock move or an asked follow-up with nothing private for
  // the asker: its RoomChange, with the request id, is the answer.
  const bool answer_public = acked && !answer && fx.room_change;
  if (asker && !answer && !answer_public)
    for (const auto& r : fx.replies) emit(asker, r);

  for (const auto& pid : fx.need_briefing) send_to(pid, briefing_message(pid));
  // Ops go out once the events that hold them are stored (emit()): a
  // stroke everyone saw survives a crash.
  if (fx.board_reset) {
    broadcast_all(board_message());
  } else {
    if (!fx.need_briefing.empty()) {
      const auto board = board_message();
      for (const auto& pid : fx.need_briefing) send_to(pid, board);
    }
    if (!fx.board_ops.empty()) {
      v1::ServerMessage m;
      auto* u = m.mutable_board_update();
      u->set_room_id(id_);
      u->set_round(core_.round());
      for (const auto& op : fx.board_ops) *u->add_ops() = op;
      broadcast_all(m);
    }
  }

  // A private change (a note, a draft) goes only to the staff who can see
  // it, as the change itself: most of an interview's traffic is these, and
  // a whole view for each made the cost of a note grow with the interview.
  if (!everyone) {
    for (auto& [pid, change] : fx.staff_changes) {
      v1::ServerMessage m;
      const bool answers = &change == answer;
      *m.mutable_staff_room_change() = std::move(change);  // a draft's whole card: moved, not copied
      if (!answers) {
        send_to(pid, m);
        continue;
      }
      send_to(pid, m, requester);  // the author's other connections: a push
      m.set_request_id(fx.replies[0].request_id());
      emit(asker, m);
    }
    // A move of the clock or an asked follow-up: one frame for the room.
    // After the private changes: a page redrawing on it must already hold
    // the tick that fired the follow-up, or its checkbox would flick off.
    if (fx.room_change) {
      v1::ServerMessage m;
      auto& change = *m.mutable_room_change();
      change = std::move(*fx.room_change);
      core_.stamp(change, now);
      if (!answer_public) {
        broadcast_all(m);
      } else {
        broadcast_all(m, requester);
        m.set_request_id(fx.replies[0].request_id());
        emit(asker, m);
      }
    }
  } else {
    auto views = core_.views(now);
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
  if (fx.state_changed) sync_call_roles();
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
  if (disposed_) return;  // stopping or gone: a late card commit must not re-arm the clock
  const auto wake = core_.next_wakeup_ms();
  if (!core_.has_clock() && !wake) {
    disarm();
    next_tick_ms_ = 0;
    return;
  }
  if (next_tick_ms_ == 0 || next_tick_ms_ <= now - 1000) next_tick_ms_ = now + 1000;
  const int64_t target = wake ? std::min(*wake, next_tick_ms_) : next_tick_ms_;
  // Most requests leave the next wake-up where it was: re-arming would
  // cancel the wait (one more handler run) and reset the timerfd for nothing.
  if (target == armed_ms_) return;
  armed_ms_ = target;
  timer_.expires_after(std::chrono::milliseconds(std::max<int64_t>(0, target - now)));
  timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) { self->on_timer(ec); });
}

void room_host::disarm() {
  timer_.cancel();
  armed_ms_ = 0;
}

void room_host::on_timer(boost::system::error_code ec) {
  if (ec || disposed_) return;
  armed_ms_ = 0;  // that wait is over; apply() arms the next
  const auto now = now_ms();
  auto fx = core_.advance(now);
  if (now >= next_tick_ms_ && core_.has_clock()) {
    v1::ServerMessage m;
    *m.mutable_tick() = core_.tick(now);
    // Wall clock, not the room clock: a load generator on this host compares
    // it with its own system_clock on receipt.
    m.mutable_tick()->set_sent_at_us(std::chrono::duration_cast<std::chrono::microseconds>(
        std::chrono::system_clock::now().time_since_epoch()).count());
    encoded_once frame(m);
    for (const auto& [sid, c] : conns_)
      if (auto s = c.session.lock()) emit(s, frame.get(s->wire_encoding()));
    while (next_tick_ms_ <= now) next_tick_ms_ += 1000;  // after a stall, one tick, not a burst
  }
  apply(std::move(fx), {}, now);  // also reschedules
}

void room_host::dispose_if_empty() {
  // A held seat keeps the room for its owner's return.
  if (disposed_ || !conns_.empty() || core_.participant_count() > 0) return;
  disposed_ = true;
  disarm();
  close_in_store();
  spdlog::info("[room {}] disposed: nobody left", id_);
  if (auto d = directory_.lock()) d->remove(id_);
}

}  // namespace mockloop
