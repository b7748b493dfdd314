#include "room_host.h"

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

void room_host::join(std::shared_ptr<websocket_session> s, std::string display_name, v1::Role role,
                     uint32_t request_id) {
  net::post(strand_, [self = shared_from_this(), s = std::move(s), name = std::move(display_name), role, request_id] {
    if (self->disposed_) {
      s->forget_room(self);
      s->deliver_from_room(make_error(request_id, v1::ERROR_CODE_NOT_FOUND, "that room has ended"));
      return;
    }
    const auto now = now_ms();
    auto fx = self->core_.join(s->id(), name, role, request_id, now);
    if (fx.need_briefing.empty()) {
      // Refused: the session is not a member; reply to it directly.
      s->forget_room(self);
      for (const auto& r : fx.replies) s->deliver_from_room(r);
      return;
    }
    self->members_[s->id()] = s;
    spdlog::info("[room {}] {} joined", self->id_, s->id());
    self->apply(fx, s->id(), now);
  });
}

void room_host::leave(std::string participant_id) {
  net::post(strand_, [self = shared_from_this(), pid = std::move(participant_id)] {
    if (self->disposed_ || !self->members_.erase(pid)) return;
    const auto now = now_ms();
    self->apply(self->core_.leave(pid, now), pid, now);
    spdlog::info("[room {}] {} left", self->id_, pid);
    self->dispose_if_empty();
  });
}

void room_host::handle(std::string participant_id, v1::ClientMessage m) {
  net::post(strand_, [self = shared_from_this(), pid = std::move(participant_id), m = std::move(m)] {
    if (self->disposed_) return;
    const auto now = now_ms();
    auto fx = self->core_.handle(pid, m, now);
    if (fx.to_persist) self->persist_submission(fx, pid, now);
    self->apply(fx, pid, now);
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
  auto committed = core_.commit_submit(participant_id, card, fx.persist_request_id, now);
  for (auto& r : committed.replies) fx.replies.push_back(std::move(r));
  fx.state_changed |= committed.state_changed;
  fx.revealed |= committed.revealed;
}

// Scoring closed: the round's record goes to the store (readable with the
// room's codes), and each candidate gets their debrief.
void room_host::write_debrief(int64_t now, const std::vector<std::string>& candidates) {
  const auto debrief_id = id_ + "-" + std::to_string(core_.round());
  const auto record = core_.debrief_record(debrief_id, type_, now);
  std::vector<std::pair<std::string, v1::Role>> access;
  for (const auto& c : codes_) access.emplace_back(c.code(), c.role());
  std::string err;
  if (!db_ || !db_->save_debrief(record, access, &err))
    spdlog::error("[room {}] debrief {} not saved: {}", id_, debrief_id, err);
  else
    spdlog::info("[room {}] debrief {} written", id_, debrief_id);
  v1::ServerMessage m;
  *m.mutable_candidate_debrief() = core_.candidate_debrief(debrief_id);
  broadcast(m, candidates);
}

void room_host::next_round(std::string participant_id, std::shared_ptr<const v1::Scenario> scenario,
                           uint32_t request_id) {
  net::post(strand_, [self = shared_from_this(), pid = std::move(participant_id), sc = std::move(scenario), request_id] {
    if (self->disposed_) return;
    const auto now = now_ms();
    self->apply(self->core_.next_round(pid, sc, request_id, now), pid, now);
  });
}

void room_host::inspect(std::function<void(const room&)> fn) {
  net::post(strand_, [self = shared_from_this(), fn = std::move(fn)] { fn(self->core_); });
}

void room_host::shutdown() {
  net::post(strand_, [self = shared_from_this()] {
    self->disposed_ = true;
    self->timer_.cancel();
  });
}

void room_host::send_to(const std::string& participant_id, const v1::ServerMessage& m) {
  const auto it = members_.find(participant_id);
  if (it == members_.end()) return;
  if (auto s = it->second.lock()) s->deliver_from_room(m);
}

void room_host::broadcast(const v1::ServerMessage& m, const std::vector<std::string>& participant_ids) {
  encoded_once frame(m);
  for (const auto& pid : participant_ids) {
    const auto it = members_.find(pid);
    if (it == members_.end()) continue;
    if (auto s = it->second.lock()) s->send(frame.get(s->wire_encoding()));
  }
}

void room_host::apply(const room_effects& fx, const std::string& requester, int64_t now) {
  for (const auto& r : fx.replies) send_to(requester, r);

  for (const auto& pid : fx.need_briefing) {
    v1::ServerMessage m;
    std::visit(
        [&](const auto& briefing) {
          if constexpr (std::is_same_v<std::decay_t<decltype(briefing)>, v1::CandidateBriefing>)
            *m.mutable_candidate_briefing() = briefing;
          else
            *m.mutable_staff_briefing() = briefing;
        },
        core_.briefing_for(pid));
    send_to(pid, m);
  }

  if (fx.state_changed || fx.revealed) {
    const auto views = core_.views(now);
    if (fx.revealed) write_debrief(now, views.candidate_ids);
    v1::ServerMessage candidates;
    *candidates.mutable_room_state() = views.candidate_view;
    broadcast(candidates, views.candidate_ids);
    for (const auto& [pid, view] : views.staff_views) {
      v1::ServerMessage m;
      *m.mutable_staff_room_state() = view;
      send_to(pid, m);
    }
  }
  if (fx.closed) {
    spdlog::info("[room {}] closed", id_);
    if (on_closed_) on_closed_();
  }
  schedule(now);
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
    std::vector<std::string> everyone;
    for (const auto& [pid, s] : members_) everyone.push_back(pid);
    broadcast(m, everyone);
    while (next_tick_ms_ <= now) next_tick_ms_ += 1000;  // after a stall, one tick, not a burst
  }
  apply(fx, {}, now);  // also reschedules
}

void room_host::dispose_if_empty() {
  if (!members_.empty() || disposed_) return;
  disposed_ = true;
  timer_.cancel();
  spdlog::info("[room {}] disposed: nobody left", id_);
  if (auto d = directory_.lock()) d->remove(id_);
}

}  // namespace mockloop
