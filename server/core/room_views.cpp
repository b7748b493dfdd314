// What each role sees of the room: the public state, the staff views with
// their private parts, the briefings and the ticks.
#include "mockloop/core/room.h"

#include <algorithm>

#include "mockloop/core/scoring.h"

namespace mockloop {

// One more for every logged change the candidate may see.
uint64_t room::public_version() const { return 1 + events_.size() - private_events_; }

v1::RoomState room::public_state(int64_t now) const {
  v1::RoomState s;
  s.set_room_id(id_);
  s.set_version(public_version());
  *s.mutable_clock() = clock(now);
  for (const auto& p : participants_) {
    auto* out = s.add_participants();
    out->set_participant_id(p.id);
    out->set_display_name(p.name);
    out->set_role(p.role);
    out->set_connected(p.connected);
  }
  for (const auto& a : asked_) *s.add_asked() = a;
  s.set_round(round_);
  s.set_target_level(target_level_);
  s.set_scenario_id(scenario_->id());
  s.set_scenario_title(scenario_->title());
  return s;
}

std::vector<std::string> room::staff_ids() const {
  std::vector<std::string> out;
  for (const auto& x : participants_)
    if (is_staff(x.role)) out.push_back(x.id);
  return out;
}

// A rater's notes and draft are seen by the rater and by any coach.
std::vector<std::string> room::note_readers(const participant& author) const {
  std::vector<std::string> out{author.id};
  for (const auto& x : participants_)
    if (x.role == v1::ROLE_COACH && x.id != author.id) out.push_back(x.id);
  return out;
}

v1::StaffRoomChange& room::change_for(room_effects& fx, const std::string& participant_id) const {
  for (auto& [id, c] : fx.staff_changes)
    if (id == participant_id) return c;
  auto& c = fx.staff_changes.emplace_back(participant_id, v1::StaffRoomChange{}).second;
  c.set_room_id(id_);
  return c;
}

v1::RoomChange& room::public_change(room_effects& fx) const {
  if (!fx.room_change) {
    fx.room_change.emplace();
    fx.room_change->set_room_id(id_);
  }
  return *fx.room_change;
}

void room::stamp(v1::RoomChange& change, int64_t now_ms) const {
  change.set_version(public_version());
  *change.mutable_clock() = clock(now_ms);
}

void room::card_changed(room_effects& fx, v1::Scorecard card, const std::vector<std::string>& to) const {
  bool to_rater = false;
  for (const auto& id : to) {
    const auto* x = find(id);
    if (!x) continue;
    if (x->role == v1::ROLE_COACH) *change_for(fx, id).add_live_scorecards() = card;
    if (id != card.rater_id()) continue;
    // Made here, in the readers' order, and filled below: change_for() may
    // grow fx.staff_changes, so nothing into it is held across the loop.
    change_for(fx, id);
    to_rater = true;
  }
  if (to_rater) {
    auto& change = change_for(fx, card.rater_id());
    *change.mutable_my_scorecard() = std::move(card);  // the last use: moved, not copied
  }
}

void room::expected_changed(room_effects& fx, const std::vector<std::string>& before) const {
  const auto now = expected_raters();
  if (now == before || now.empty()) return;
  for (const auto& id : staff_ids()) *change_for(fx, id).mutable_expected_raters() = {now.begin(), now.end()};
}

bool room::revealed() const {
  // The stage first: the log only needs scanning once scoring is over.
  if (stage_ != v1::ROOM_STAGE_REVEALED && stage_ != v1::ROOM_STAGE_CLOSED) return false;
  // This round's events only: a coaching session's log goes on across rounds.
  for (auto it = events_.rbegin(); it != events_.rend() && !it->has_round_started(); ++it)
    if (it->has_revealed()) return true;
  return false;
}

room_views room::views(int64_t now_ms) const {
  room_views v;
  v.candidate_view = public_state(now_ms);
  const auto expected = expected_raters();
  const bool revealed = this->revealed();
  const auto cards = revealed ? submitted_cards() : std::vector<v1::Scorecard>{};
  v1::Aggregation aggregation;
  if (revealed) {
    const std::vector<v1::RubricDimension> rubric(scenario_->rubric().begin(), scenario_->rubric().end());
    aggregation = aggregate(rubric, cards, target_level_);
  }
  for (const auto& p : participants_) {
    if (!is_staff(p.role)) {
      v.candidate_ids.push_back(p.id);
      continue;
    }
    v1::StaffRoomState s;
    *s.mutable_room() = v.candidate_view;
    for (const auto& m : ticked_) s.add_ticked_markers(m);
    // Notes are private: each rater sees their own, the coach sees all.
    for (const auto& n : notes_)
      if (p.role == v1::ROLE_COACH || n.author_id() == p.id) *s.add_notes() = n;
    // Sealed scoring: a rater sees their own card and who has submitted,
    // nothing of anyone else's until the reveal; the coach watches all.
    if (const auto it = cards_.find(p.id); it != cards_.end()) *s.mutable_my_scorecard() = it->second;
    for (const auto& [id, c] : cards_)
      if (c.submitted()) s.add_submitted_by(id);
    for (const auto& id : expected) s.add_expected_raters(id);
    if (p.role == v1::ROLE_COACH)
      for (const auto& [id, c] : cards_) *s.add_live_scorecards() = c;
    if (revealed) {
      for (const auto& c : cards) *s.add_revealed() = c;
      *s.mutable_aggregation() = aggregation;
      s.set_debrief_id(debrief_id());
    }
    v.staff_views.emplace_back(p.id, std::move(s));
  }
  return v;
}

v1::CandidateBriefing room::candidate_briefing() const {
  v1::CandidateBriefing b;
  b.set_room_id(id_);
  b.set_scenario_id(scenario_->id());
  b.set_title(scenario_->title());
  b.set_round_type(scenario_->round_type());
  *b.mutable_brief() = scenario_->candidate();
  for (const auto& ph : scenario_->phases()) {
    auto* info = b.add_phases();
    info->set_id(ph.id());
    info->set_name(ph.name());
    info->set_duration_seconds(ph.duration_seconds());
    info->set_candidate_guidance(ph.candidate_guidance());
    info->set_sketch(ph.sketch());
  }
  return b;
}

v1::StaffBriefing room::staff_briefing() const {
  v1::StaffBriefing b;
  b.set_room_id(id_);
  *b.mutable_scenario() = *scenario_;
  return b;
}

std::variant<v1::CandidateBriefing, v1::StaffBriefing> room::briefing_for(const std::string& participant_id) const {
  const auto* p = find(participant_id);
  if (p && is_staff(p->role)) return staff_briefing();
  return candidate_briefing();
}

v1::Tick room::tick(int64_t now_ms) const {
  v1::Tick t;
  t.set_room_id(id_);
  *t.mutable_clock() = clock(now_ms);
  return t;
}

}  // namespace mockloop
