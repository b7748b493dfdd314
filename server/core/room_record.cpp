// The room's record: the timeline read from its event log, the debrief
// record written at the reveal, and the candidate's copy of it.
#include "mockloop/core/room.h"

#include <algorithm>
#include <cstdio>

#include "mockloop/core/board.h"
#include "mockloop/core/scoring.h"

namespace mockloop {

std::vector<std::pair<std::string, bool>> room::timeline(bool include_staff_only) const {
  std::vector<std::pair<std::string, bool>> out;
  auto name_of = [&](const std::string& id) -> std::string {
    for (const auto& e : events_)
      if (e.has_joined() && e.joined().participant_id() == id) return e.joined().display_name();
    return id;
  };
  auto clock = [&](int64_t at) {
    const int64_t off = first_phase_ms_ ? std::max<int64_t>(0, at - first_phase_ms_) / 1000 : 0;
    char buf[32];
    std::snprintf(buf, sizeof buf, "%02lld:%02lld", static_cast<long long>(off / 60), static_cast<long long>(off % 60));
    return std::string(buf);
  };
  // This round only: the log goes on across a coaching session's rounds.
  auto from = events_.begin();
  for (auto it = events_.begin(); it != events_.end(); ++it)
    if (it->has_round_started()) from = it;
  for (auto it = from; it != events_.end(); ++it) {
    const auto& e = *it;
    std::string what;
    bool staff_only = false;
    switch (e.kind_case()) {
      case v1::RoomEvent::kPhaseStarted:
        for (const auto& ph : scenario_->phases())
          if (ph.id() == e.phase_started()) what = "phase started: " + ph.name();
        break;
      case v1::RoomEvent::kPaused:
        what = e.paused() ? "paused" : "resumed";
        break;
      case v1::RoomEvent::kExtendedSeconds:
        what = "extended by " + std::to_string(e.extended_seconds()) + " s";
        break;
      case v1::RoomEvent::kSkippedPhase:
        what = "phase ended early: " + e.skipped_phase();
        break;
      case v1::RoomEvent::kFollowUpAsked:
        what = std::string(e.follow_up_asked().by_script() ? "follow-up (script): " : "follow-up: ") +
               e.follow_up_asked().text();
        break;
      case v1::RoomEvent::kMarkerTicked:
        for (const auto& mk : scenario_->markers())
          if (mk.id() == e.marker_ticked()) what = (mk.bad_move() ? "bad move: " : "candidate move: ") + mk.label();
        staff_only = true;  // marker labels are script material
        break;
      case v1::RoomEvent::kScorecardSubmitted:
        what = "scorecard submitted by " + name_of(e.scorecard_submitted());
        break;
      case v1::RoomEvent::kRevealed:
        what = "scorecards revealed";
        break;
      case v1::RoomEvent::kDisconnected:
        what = name_of(e.disconnected()) + " lost their connection";
        break;
      case v1::RoomEvent::kReconnected:
        what = name_of(e.reconnected()) + " reconnected";
        break;
      case v1::RoomEvent::kForfeited:
        what = name_of(e.forfeited()) + " did not come back; the round was forfeited";
        break;
      case v1::RoomEvent::kRecovered:
        what = "the server restarted; the clock stood still while it was down";
        break;
      default:
        break;  // joins, notes (private) and stage changes are not the story of the interview
    }
    if (!what.empty() && (include_staff_only || !staff_only))
      out.emplace_back(clock(e.at_ms()) + " " + what, staff_only);
  }
  return out;
}

v1::DebriefRecord room::debrief_record(const std::string& debrief_id, v1::SessionType type, int64_t now_ms) const {
  v1::DebriefRecord r;
  r.set_id(debrief_id);
  r.set_session_type(type);
  r.set_room_id(id_);
  r.set_round(round_);
  r.set_scenario_id(scenario_->id());
  r.set_scenario_version(scenario_->version());
  r.set_scenario_title(scenario_->title());
  r.set_target_level(target_level_);
  r.set_round_type(scenario_->round_type());
  r.set_started_ms(first_phase_ms_);
  r.set_closed_ms(now_ms);
  for (const auto& p : participants_) {
    auto* out = r.add_participants();
    out->set_participant_id(p.id);
    out->set_display_name(p.name);
    out->set_role(p.role);
  }
  for (const auto& [line, staff_only] : timeline(true)) {
    auto* t = r.add_timeline();
    t->set_what(line);
    t->set_staff_only(staff_only);
  }
  for (const auto& a : asked_) *r.add_follow_ups() = a;
  const auto cards = submitted_cards();
  for (const auto& c : cards) *r.add_scorecards() = c;
  const std::vector<v1::RubricDimension> rubric(scenario_->rubric().begin(), scenario_->rubric().end());
  *r.mutable_aggregation() = aggregate(rubric, cards, target_level_);
  for (const auto& d : rubric) *r.add_rubric() = d;
  if (!board_.empty()) {
    *r.mutable_board() = board_snapshot();
    r.set_board_svg(render_board_svg(r.board()));
  }
  return r;
}

v1::CandidateDebrief room::candidate_debrief(const std::string& debrief_id) const {
  v1::CandidateDebrief d;
  d.set_room_id(id_);
  d.set_debrief_id(debrief_id);
  const auto cards = submitted_cards();
  for (const auto& c : cards) *d.add_scorecards() = c;
  const std::vector<v1::RubricDimension> rubric(scenario_->rubric().begin(), scenario_->rubric().end());
  *d.mutable_aggregation() = aggregate(rubric, cards, target_level_);
  for (const auto& a : asked_) *d.add_follow_ups() = a;
  for (auto& [line, staff_only] : timeline(false)) d.add_timeline(std::move(line));
  if (!board_.empty()) d.set_board_svg(render_board_svg(board_snapshot()));
  return d;
}

}  // namespace mockloop
