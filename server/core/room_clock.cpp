// The room's clock: phases, their budgets, pauses, and the scripted
// follow-ups that come due on it.
#include "mockloop/core/room.h"

#include <algorithm>

namespace mockloop {
namespace {

constexpr const char* briefing_phase_id = "briefing";

}  // namespace

int64_t room::phase_elapsed(int64_t now) const {
  return phase_used_ms_ + (running() ? std::max<int64_t>(0, now - *running_since_) : 0);
}

int64_t room::interview_elapsed(int64_t now) const {
  const bool counting = running() && stage_ == v1::ROOM_STAGE_INTERVIEW;
  return interview_used_ms_ + (counting ? std::max<int64_t>(0, now - *running_since_) : 0);
}

int64_t room::deadline() const { return running() ? *running_since_ + (phase_budget_ms_ - phase_used_ms_) : 0; }

void room::fold(int64_t at) {
  if (!running()) return;
  const int64_t ran = std::max<int64_t>(0, at - *running_since_);
  phase_used_ms_ += ran;
  if (stage_ == v1::ROOM_STAGE_INTERVIEW) interview_used_ms_ += ran;
  running_since_ = at;
}

// A reference, not a copy: due_at() asks for it per follow-up per step.
const std::string& room::current_phase_id() const {
  static const std::string briefing{briefing_phase_id}, none;
  if (stage_ == v1::ROOM_STAGE_BRIEFING) return briefing;
  if (stage_ == v1::ROOM_STAGE_INTERVIEW && phase_index_ >= 0) return scenario_->phases(phase_index_).id();
  return none;
}

// Starts phase `index` (-1: the briefing) at `at`, for a stage_entered or
// phase_started event. A paused clock stays paused across the change, so
// skipping while paused does not start time.
void room::start_phase(int index, int64_t at) {
  phase_index_ = index;
  phase_used_ms_ = 0;
  phase_budget_ms_ = index < 0 ? int64_t{settings_.briefing_seconds} * 1000
                               : int64_t{scenario_->phases(index).duration_seconds()} * 1000;
  if (paused_)
    running_since_.reset();
  else
    running_since_ = at;
  if (index == 0 && first_phase_ms_ == 0) first_phase_ms_ = at;
}

// Ends the briefing or the current phase at `at` and moves on: into the
// first phase, the next one, or scoring.
// From one phase to the next only the clock moves: a public change. A new
// stage is whole views.
void room::end_current(int64_t at, room_effects& fx) {
  const auto start = [&](int index) {
    auto e = event(at, "");
    e.set_phase_started(scenario_->phases(index).id());
    emit(std::move(e));
  };
  if (stage_ == v1::ROOM_STAGE_BRIEFING) {
    fx.state_changed = true;
    enter_stage(v1::ROOM_STAGE_INTERVIEW, at, "");
    start(0);
  } else if (phase_index_ + 1 < scenario_->phases_size()) {
    public_change(fx);
    start(phase_index_ + 1);
  } else {
    fx.state_changed = true;
    enter_stage(v1::ROOM_STAGE_SCORING, at, "");
  }
}

room_effects room::advance(int64_t now_ms) {
  room_effects fx;
  // Phases that ended while nobody looked end at their own deadlines, so
  // the next phase's clock starts where the last one stopped.
  while (running() && (stage_ == v1::ROOM_STAGE_BRIEFING || stage_ == v1::ROOM_STAGE_INTERVIEW) &&
         now_ms >= deadline()) {
    const auto at = deadline();
    fire_due(at, fx);  // what came due in this phase is asked before it ends
    end_current(at, fx);
    fire_due(at, fx);
  }
  fire_due(now_ms, fx);
  release_expired(now_ms, fx);
  return fx;
}

bool room::has_clock() const { return stage_ == v1::ROOM_STAGE_BRIEFING || stage_ == v1::ROOM_STAGE_INTERVIEW; }

// When follow-up `f` comes due on the running clock, if it is a timed one
// that can still fire.
std::optional<int64_t> room::due_at(const v1::FollowUp& f) const {
  if (!running() || stage_ != v1::ROOM_STAGE_INTERVIEW || asked_ids_.count(f.id())) return std::nullopt;
  if (f.has_in_phase()) {
    if (f.in_phase().phase_id() != current_phase_id()) return std::nullopt;
    return *running_since_ + (int64_t{f.in_phase().after_seconds()} * 1000 - phase_used_ms_);
  }
  if (f.has_at_time()) {
    if (!f.at_time().unless_marker().empty() && ticked_.count(f.at_time().unless_marker())) return std::nullopt;
    return *running_since_ + (int64_t{f.at_time().at_seconds()} * 1000 - interview_used_ms_);
  }
  return std::nullopt;
}

// A follow-up on a move: its marker is ticked, and the one it follows (if
// any) has been asked.
bool room::move_due(const v1::FollowUp& f) const {
  const auto& t = f.on_move();
  return ticked_.count(t.marker_id()) && (t.after_follow_up().empty() || asked_ids_.count(t.after_follow_up()));
}

// What the script waits for, worked out once per change to the log: every
// request asks twice (fire_due, then next_wakeup_ms for the timer), and most
// requests (drafts, notes) change nothing a follow-up's trigger reads. All
// of that state changes only by applying events, so the log's length keys it.
const room::script_wait& room::waiting_script() const {
  if (script_wait_events_ == events_.size()) return script_wait_;
  script_wait w;
  for (const auto& f : scenario_->follow_ups()) {
    if (asked_ids_.count(f.id())) continue;
    if (f.has_on_move()) {
      w.move_ready |= move_due(f);
    } else if (auto at = due_at(f)) {
      w.next = w.next ? std::min(*w.next, *at) : *at;
    }
  }
  script_wait_ = w;
  script_wait_events_ = events_.size();
  return script_wait_;
}

std::optional<int64_t> room::next_wakeup_ms() const {
  std::optional<int64_t> next;
  auto sooner = [&](int64_t t) { next = next ? std::min(*next, t) : t; };
  for (const auto& p : participants_)
    if (!p.connected) sooner(p.release_at_ms);
  if (!running() || !has_clock()) return next;
  sooner(deadline());
  if (const auto due = waiting_script().next) sooner(*due);
  return next;
}

void room::fire_due(int64_t now, room_effects& fx) {
  if (stage_ != v1::ROOM_STAGE_INTERVIEW) return;
  // Every request runs this: with the script all asked, nothing can fire.
  if (asked_ids_.size() >= static_cast<size_t>(scenario_->follow_ups_size())) return;
  // Asking one can make a chained one due, so go round until quiet.
  for (bool fired = true; fired;) {
    if (const auto& w = waiting_script(); !w.move_ready && (!w.next || *w.next > now)) return;
    fired = false;
    for (const auto& f : scenario_->follow_ups()) {
      if (asked_ids_.count(f.id())) continue;
      bool due = false;
      if (f.has_on_move()) {
        due = move_due(f);
      } else if (auto at = due_at(f)) {
        due = *at <= now;
      }
      if (due) {
        record_ask(f.id(), f.text(), true, now, "", fx);
        fired = true;
      }
    }
  }
}

void room::record_ask(const std::string& follow_up_id, const std::string& text, bool by_script, int64_t now,
                      const std::string& by, room_effects& fx) {
  auto e = event(now, by);
  auto& a = *e.mutable_follow_up_asked();
  a.set_follow_up_id(follow_up_id);
  a.set_text(text);
  a.set_asked_at_ms(now);
  a.set_phase_id(current_phase_id());
  a.set_by_script(by_script);
  *public_change(fx).add_asked_added() = a;
  emit(std::move(e));
}

v1::RoomClock room::clock(int64_t now) const {
  v1::RoomClock c;
  c.set_stage(stage_);
  c.set_phase_id(current_phase_id());
  if (stage_ == v1::ROOM_STAGE_BRIEFING) c.set_phase_name("Briefing");
  if (stage_ == v1::ROOM_STAGE_INTERVIEW && phase_index_ >= 0) c.set_phase_name(scenario_->phases(phase_index_).name());
  c.set_phase_index(stage_ == v1::ROOM_STAGE_INTERVIEW ? phase_index_ : -1);
  if (has_clock()) {
    c.set_remaining_ms(std::max<int64_t>(0, phase_budget_ms_ - phase_elapsed(now)));
    c.set_deadline_ms(deadline());
    c.set_paused(paused_);
  }
  c.set_server_time_ms(now);
  c.set_interview_elapsed_ms(interview_elapsed(now));
  return c;
}

}  // namespace mockloop
