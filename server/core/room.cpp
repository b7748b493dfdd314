#include "mockloop/core/room.h"

#include <algorithm>
#include <cstdio>

#include "mockloop/core/protocol_session.h"
#include "mockloop/core/scoring.h"

namespace mockloop {
namespace {

constexpr const char* briefing_phase_id = "briefing";

room_effects error(uint32_t request_id, v1::ErrorCode code, std::string message) {
  room_effects fx;
  fx.replies.push_back(make_error(request_id, code, std::move(message)));
  return fx;
}

room_effects ack(uint32_t request_id) {
  room_effects fx;
  v1::ServerMessage m;
  m.set_request_id(request_id);
  m.mutable_ack();
  fx.replies.push_back(std::move(m));
  fx.state_changed = true;
  return fx;
}

// An Ack for a change only some staff can see.
room_effects private_ack(uint32_t request_id, std::vector<std::string> viewers) {
  auto fx = ack(request_id);
  fx.state_changed = false;
  fx.staff_changed = std::move(viewers);
  return fx;
}

bool is_private_event(const v1::RoomEvent& e) {
  return e.has_note_added() || e.has_marker_ticked() || e.has_scorecard_submitted();
}


std::string_view role_name(v1::Role r) {
  switch (r) {
    case v1::ROLE_CANDIDATE: return "candidate";
    case v1::ROLE_INTERVIEWER: return "interviewer";
    case v1::ROLE_OBSERVER: return "observer";
    case v1::ROLE_COACH: return "coach";
    default: return "unknown role";
  }
}

bool runs_interview(v1::Role r) { return r == v1::ROLE_INTERVIEWER || r == v1::ROLE_COACH; }

}  // namespace

void merge(room_effects& into, room_effects&& from) {
  for (auto& r : from.replies) into.replies.push_back(std::move(r));
  for (auto& pid : from.need_briefing) into.need_briefing.push_back(std::move(pid));
  for (auto& pid : from.staff_changed) into.staff_changed.push_back(std::move(pid));
  into.state_changed |= from.state_changed;
  into.closed |= from.closed;
  into.revealed |= from.revealed;
  into.forfeited |= from.forfeited;
  for (auto& op : from.board_ops) into.board_ops.push_back(std::move(op));
  into.board_reset |= from.board_reset;
}

bool is_staff(v1::Role role) {
  return role == v1::ROLE_INTERVIEWER || role == v1::ROLE_OBSERVER || role == v1::ROLE_COACH;
}

namespace {

v1::Level default_level(const v1::Scenario& s) {
  int lowest = 0;
  for (int l : s.levels())
    if (lowest == 0 || l < lowest) lowest = l;
  return lowest ? static_cast<v1::Level>(lowest) : v1::LEVEL_L5;
}

}  // namespace

room::room(std::string id, std::shared_ptr<const v1::Scenario> scenario, room_settings settings, int64_t now_ms,
           v1::Level target_level)
    : id_(std::move(id)), scenario_(std::move(scenario)), settings_(settings) {
  log(now_ms, "").set_stage_entered(v1::ROOM_STAGE_LOBBY);
  target_level_ = target_level != v1::LEVEL_UNSPECIFIED && v1::Level_IsValid(target_level) ? target_level
                                                                                           : default_level(*scenario_);
  log(now_ms, "").set_target_level(target_level_);
}

// ---------------------------------------------------------------- seats

const room::participant* room::find(const std::string& id) const {
  for (const auto& p : participants_)
    if (p.id == id) return &p;
  return nullptr;
}

std::optional<v1::Role> room::role_of(const std::string& participant_id) const {
  if (const auto* p = find(participant_id)) return p->role;
  return std::nullopt;
}

std::string room::display_name(const std::string& participant_id) const {
  const auto* p = find(participant_id);
  return p ? p->name : std::string{};
}

bool room::seat_taken(v1::Role role) const {
  if (role == v1::ROLE_OBSERVER) return false;
  return std::any_of(participants_.begin(), participants_.end(), [&](const auto& p) { return p.role == role; });
}

room_effects room::join(const std::string& participant_id, const std::string& display_name, v1::Role role,
                        uint32_t request_id, int64_t now_ms, const std::string& user_hash) {
  if (stage_ == v1::ROOM_STAGE_CLOSED)
    return error(request_id, v1::ERROR_CODE_FAILED_PRECONDITION, "this room has closed");
  if (role == v1::ROLE_UNSPECIFIED || !v1::Role_IsValid(role))
    return error(request_id, v1::ERROR_CODE_INVALID_ARGUMENT, "no such role");
  if (find(participant_id)) return error(request_id, v1::ERROR_CODE_FAILED_PRECONDITION, "already in this room");
  if (participants_.size() >= settings_.max_participants)
    return error(request_id, v1::ERROR_CODE_FAILED_PRECONDITION,
                 "this room is full (" + std::to_string(settings_.max_participants) + " participants)");
  if (seat_taken(role))
    return error(request_id, v1::ERROR_CODE_FAILED_PRECONDITION,
                 "the " + std::string(role_name(role)) + " seat is already taken");

  participants_.push_back({participant_id, display_name, role});
  auto& event = log(now_ms, participant_id);
  if (!user_hash.empty()) {
    event.set_user_hash(user_hash);
    user_hashes_[participant_id] = user_hash;
  }
  auto* joined = event.mutable_joined();
  joined->set_participant_id(participant_id);
  joined->set_display_name(display_name);
  joined->set_role(role);
  joined->set_connected(true);

  room_effects fx;
  v1::ServerMessage reply;
  reply.set_request_id(request_id);
  auto* j = reply.mutable_joined();
  j->set_room_id(id_);
  j->set_role(role);
  j->set_participant_id(participant_id);
  fx.replies.push_back(std::move(reply));
  fx.need_briefing.push_back(participant_id);
  fx.state_changed = true;
  return fx;
}

room_effects room::leave(const std::string& participant_id, int64_t now_ms) {
  room_effects fx;
  const auto it = std::find_if(participants_.begin(), participants_.end(),
                               [&](const auto& p) { return p.id == participant_id; });
  if (it == participants_.end()) return fx;
  participants_.erase(it);
  log(now_ms, participant_id).set_left(participant_id);
  fx.state_changed = true;
  reveal_if_complete(now_ms, fx);  // the one still typing may have been the last expected
  // Everyone gone during scoring: what was submitted (and acknowledged)
  // still makes the round's record.
  if (participants_.empty() && stage_ == v1::ROOM_STAGE_SCORING && !submitted_cards().empty()) reveal(now_ms, "", fx);
  return fx;
}

room_effects room::disconnect(const std::string& participant_id, int64_t now_ms) {
  room_effects fx;
  for (auto& p : participants_) {
    if (p.id != participant_id || !p.connected) continue;
    p.connected = false;
    p.release_at_ms = now_ms + settings_.reconnect_grace_ms;
    log(now_ms, participant_id).set_disconnected(participant_id);
    fx.state_changed = true;
  }
  return fx;
}

room_effects room::reconnect(const std::string& participant_id, int64_t now_ms) {
  room_effects fx;
  for (auto& p : participants_) {
    if (p.id != participant_id || p.connected) continue;
    p.connected = true;
    p.release_at_ms = 0;
    log(now_ms, participant_id).set_reconnected(participant_id);
    fx.state_changed = true;
  }
  return fx;
}

// Seats whose grace window has passed are released, each at its own
// deadline. In a peer mock that ends a round under way: one person cannot
// interview or answer alone.
void room::release_expired(int64_t now, room_effects& fx) {
  for (;;) {
    const auto it = std::find_if(participants_.begin(), participants_.end(),
                                 [&](const auto& p) { return !p.connected && p.release_at_ms <= now; });
    if (it == participants_.end()) return;
    const auto pid = it->id;
    const auto at = it->release_at_ms;
    const bool mid_round = stage_ == v1::ROOM_STAGE_BRIEFING || stage_ == v1::ROOM_STAGE_INTERVIEW;
    merge(fx, leave(pid, at));
    if (settings_.forfeit_on_release && mid_round) {
      fold(at);
      running_since_.reset();
      log(at, "").set_forfeited(pid);
      stage_ = v1::ROOM_STAGE_CLOSED;
      log(at, "").set_stage_entered(stage_);
      fx.closed = fx.forfeited = true;
    }
  }
}

// ---------------------------------------------------------------- requests

room_effects room::handle(const std::string& participant_id, const v1::ClientMessage& m, int64_t now_ms) {
  const auto* p = find(participant_id);
  if (!p) return error(m.request_id(), v1::ERROR_CODE_FAILED_PRECONDITION, "not in this room");
  if (events_.size() >= settings_.max_events)
    return error(m.request_id(), v1::ERROR_CODE_FAILED_PRECONDITION, "this room's log is full");
  // Catch the clock up first: a PAUSE or EXTEND that arrives just after a
  // deadline acts on the next phase, not on one that is already over.
  auto fx = advance(now_ms);
  room_effects r;
  switch (m.body_case()) {
    case v1::ClientMessage::kRoomControl:
      r = control(*p, m.room_control(), m.request_id(), now_ms);
      break;
    case v1::ClientMessage::kAskFollowUp:
      r = ask(*p, m.ask_follow_up(), m.request_id(), now_ms);
      break;
    case v1::ClientMessage::kTickMarker:
      r = tick_marker(*p, m.tick_marker().marker_id(), m.request_id(), now_ms);
      break;
    case v1::ClientMessage::kAddNote:
      r = add_note(*p, m.add_note().text(), m.request_id(), now_ms);
      break;
    case v1::ClientMessage::kMoveHotSeat:
      r = move_hot_seat(*p, m.move_hot_seat().participant_id(), m.request_id(), now_ms);
      break;
    case v1::ClientMessage::kSaveScorecard:
      r = save_scorecard(*p, m.save_scorecard(), m.request_id(), now_ms);
      break;
    case v1::ClientMessage::kBoardOp:
      r = board_op(*p, m.board_op(), m.request_id(), now_ms);
      break;
    default:
      r = error(m.request_id(), v1::ERROR_CODE_INVALID_ARGUMENT, "not a room request");
  }
  fx.to_persist = std::move(r.to_persist);
  fx.persist_request_id = r.persist_request_id;
  merge(fx, std::move(r));
  return fx;
}

room_effects room::control(const participant& p, const v1::RoomControl& c, uint32_t request_id, int64_t now) {
  if (!runs_interview(p.role))
    return error(request_id, v1::ERROR_CODE_PERMISSION_DENIED,
                 "only the interviewer or coach controls the clock; you are the " + std::string(role_name(p.role)));
  const bool timed = stage_ == v1::ROOM_STAGE_BRIEFING || stage_ == v1::ROOM_STAGE_INTERVIEW;

  switch (c.action()) {
    case v1::RoomControl::ACTION_START: {
      if (stage_ != v1::ROOM_STAGE_LOBBY)
        return error(request_id, v1::ERROR_CODE_FAILED_PRECONDITION, "the interview has already started");
      if (!seat_taken(v1::ROLE_CANDIDATE))
        return error(request_id, v1::ERROR_CODE_FAILED_PRECONDITION, "waiting for a candidate to join");
      auto fx = ack(request_id);
      stage_ = v1::ROOM_STAGE_BRIEFING;
      log(now, p.id).set_stage_entered(stage_);
      enter_phase(-1, now);
      return fx;
    }
    case v1::RoomControl::ACTION_PAUSE: {
      if (!timed || paused_) return error(request_id, v1::ERROR_CODE_FAILED_PRECONDITION, "no running clock to pause");
      auto fx = ack(request_id);
      fold(now);
      running_since_.reset();
      paused_ = true;
      log(now, p.id).set_paused(true);
      return fx;
    }
    case v1::RoomControl::ACTION_RESUME: {
      if (!timed || !paused_) return error(request_id, v1::ERROR_CODE_FAILED_PRECONDITION, "the clock is not paused");
      auto fx = ack(request_id);
      paused_ = false;
      running_since_ = now;
      log(now, p.id).set_paused(false);
      return fx;
    }
    case v1::RoomControl::ACTION_EXTEND: {
      if (!timed) return error(request_id, v1::ERROR_CODE_FAILED_PRECONDITION, "no phase to extend");
      if (c.seconds() == 0 || c.seconds() > settings_.max_extend_seconds)
        return error(request_id, v1::ERROR_CODE_INVALID_ARGUMENT,
                     "extend by 1 to " + std::to_string(settings_.max_extend_seconds) + " seconds");
      auto fx = ack(request_id);
      phase_budget_ms_ += int64_t{c.seconds()} * 1000;
      log(now, p.id).set_extended_seconds(c.seconds());
      return fx;
    }
    case v1::RoomControl::ACTION_SKIP: {
      if (!timed) return error(request_id, v1::ERROR_CODE_FAILED_PRECONDITION, "no phase to skip");
      auto fx = ack(request_id);
      log(now, p.id).set_skipped_phase(current_phase_id());
      end_current(now, fx);
      fire_due(now, fx);
      return fx;
    }
    case v1::RoomControl::ACTION_REVEAL: {
      if (stage_ != v1::ROOM_STAGE_SCORING)
        return error(request_id, v1::ERROR_CODE_FAILED_PRECONDITION, "scorecards are revealed from scoring");
      auto fx = ack(request_id);
      reveal(now, p.id, fx);
      return fx;
    }
    case v1::RoomControl::ACTION_CLOSE: {
      if (stage_ != v1::ROOM_STAGE_SCORING && stage_ != v1::ROOM_STAGE_LOBBY && stage_ != v1::ROOM_STAGE_REVEALED)
        return error(request_id, v1::ERROR_CODE_FAILED_PRECONDITION, "a room closes from the lobby, scoring or the reveal");
      auto fx = ack(request_id);
      if (stage_ == v1::ROOM_STAGE_SCORING) reveal(now, p.id, fx);  // closing ends scoring: what was submitted counts
      stage_ = v1::ROOM_STAGE_CLOSED;
      log(now, p.id).set_stage_entered(stage_);
      fx.closed = true;
      return fx;
    }
    default:
      return error(request_id, v1::ERROR_CODE_INVALID_ARGUMENT, "unknown room action");
  }
}

room_effects room::ask(const participant& p, const v1::AskFollowUp& a, uint32_t request_id, int64_t now) {
  if (!runs_interview(p.role))
    return error(request_id, v1::ERROR_CODE_PERMISSION_DENIED, "only the interviewer or coach asks follow-ups");
  if (stage_ != v1::ROOM_STAGE_INTERVIEW)
    return error(request_id, v1::ERROR_CODE_FAILED_PRECONDITION, "follow-ups are asked during the interview");
  if (asked_.size() >= settings_.max_asked)
    return error(request_id, v1::ERROR_CODE_FAILED_PRECONDITION, "this room has asked all the follow-ups it may");
  if (a.what_case() == v1::AskFollowUp::kFreeText) {
    auto fx = ack(request_id);
    record_ask("", a.free_text(), false, now, p.id, fx);
    fire_due(now, fx);
    return fx;
  }
  const auto& script = scenario_->follow_ups();
  const auto it = std::find_if(script.begin(), script.end(), [&](const auto& f) { return f.id() == a.follow_up_id(); });
  if (it == script.end()) return error(request_id, v1::ERROR_CODE_NOT_FOUND, "no follow-up '" + a.follow_up_id() + "'");
  if (asked_ids_.count(it->id()))
    return error(request_id, v1::ERROR_CODE_FAILED_PRECONDITION, "that follow-up was already asked");
  auto fx = ack(request_id);
  record_ask(it->id(), it->text(), false, now, p.id, fx);
  fire_due(now, fx);  // a chained follow-up may now be due
  return fx;
}

room_effects room::tick_marker(const participant& p, const std::string& marker_id, uint32_t request_id, int64_t now) {
  if (!runs_interview(p.role))
    return error(request_id, v1::ERROR_CODE_PERMISSION_DENIED, "only the interviewer or coach ticks markers");
  if (stage_ != v1::ROOM_STAGE_INTERVIEW)
    return error(request_id, v1::ERROR_CODE_FAILED_PRECONDITION, "markers are ticked during the interview");
  const auto& markers = scenario_->markers();
  if (std::none_of(markers.begin(), markers.end(), [&](const auto& m) { return m.id() == marker_id; }))
    return error(request_id, v1::ERROR_CODE_NOT_FOUND, "no marker '" + marker_id + "'");
  if (ticked_.count(marker_id)) return private_ack(request_id, {});
  // Every rater sees the ticks; a follow-up they trigger is for everyone.
  auto fx = private_ack(request_id, staff_ids());
  ticked_.insert(marker_id);
  log(now, p.id).set_marker_ticked(marker_id);
  ++private_events_;
  fire_due(now, fx);
  return fx;
}

room_effects room::add_note(const participant& p, const std::string& text, uint32_t request_id, int64_t now) {
  if (!is_staff(p.role))
    return error(request_id, v1::ERROR_CODE_PERMISSION_DENIED, "candidates do not keep notes in the room");
  if (stage_ == v1::ROOM_STAGE_CLOSED) return error(request_id, v1::ERROR_CODE_FAILED_PRECONDITION, "this room has closed");
  if (note_bytes_ + text.size() > settings_.max_note_bytes)
    return error(request_id, v1::ERROR_CODE_FAILED_PRECONDITION, "this room holds no more notes");
  note_bytes_ += text.size();
  auto fx = private_ack(request_id, note_readers(p));
  v1::Note n;
  n.set_author_id(p.id);
  n.set_author_name(p.name);
  n.set_text(text);
  n.set_at_ms(now);
  n.set_phase_id(current_phase_id());
  *log(now, p.id).mutable_note_added() = n;
  ++private_events_;
  notes_.push_back(std::move(n));
  return fx;
}

room_effects room::move_hot_seat(const participant& p, const std::string& to, uint32_t request_id, int64_t now) {
  if (p.role != v1::ROLE_COACH) return error(request_id, v1::ERROR_CODE_PERMISSION_DENIED, "only the coach moves the hot seat");
  if (stage_ == v1::ROOM_STAGE_BRIEFING || stage_ == v1::ROOM_STAGE_INTERVIEW)
    return error(request_id, v1::ERROR_CODE_FAILED_PRECONDITION, "the hot seat moves between rounds, not during one");
  auto target = std::find_if(participants_.begin(), participants_.end(), [&](const auto& x) { return x.id == to; });
  if (target == participants_.end()) return error(request_id, v1::ERROR_CODE_NOT_FOUND, "no such participant");
  if (target->role == v1::ROLE_CANDIDATE) return ack(request_id);
  if (target->role != v1::ROLE_OBSERVER)
    return error(request_id, v1::ERROR_CODE_FAILED_PRECONDITION, "the hot seat goes to an observer");
  auto fx = ack(request_id);
  auto* seat = log(now, p.id).mutable_hot_seat();
  seat->set_to_participant_id(to);
  for (auto& x : participants_) {
    if (x.role == v1::ROLE_CANDIDATE) {
      x.role = v1::ROLE_OBSERVER;
      seat->set_from_participant_id(x.id);
      fx.need_briefing.push_back(x.id);
    }
  }
  target->role = v1::ROLE_CANDIDATE;
  fx.need_briefing.push_back(to);  // the role's briefing: the candidate's from now on
  return fx;
}

// A new round with the same people: the clock, follow-ups, markers, notes
// and scorecards start afresh (the event log goes on). Shared by next_round
// and its replay.
void room::begin_round(uint32_t round) {
  round_ = round;
  stage_ = v1::ROOM_STAGE_LOBBY;
  phase_index_ = -1;
  phase_budget_ms_ = phase_used_ms_ = interview_used_ms_ = 0;
  running_since_.reset();
  paused_ = false;
  asked_.clear();
  asked_ids_.clear();
  ticked_.clear();
  notes_.clear();
  note_bytes_ = 0;
  cards_.clear();
  first_phase_ms_ = 0;
  board_.clear();
}

room_effects room::next_round(const std::string& participant_id, std::shared_ptr<const v1::Scenario> scenario,
                              uint32_t request_id, int64_t now_ms) {
  const auto* p = find(participant_id);
  if (!p) return error(request_id, v1::ERROR_CODE_FAILED_PRECONDITION, "not in this room");
  if (p->role != v1::ROLE_COACH) return error(request_id, v1::ERROR_CODE_PERMISSION_DENIED, "only the coach starts a round");
  if (stage_ == v1::ROOM_STAGE_BRIEFING || stage_ == v1::ROOM_STAGE_INTERVIEW)
    return error(request_id, v1::ERROR_CODE_FAILED_PRECONDITION, "finish this round first");
  if (stage_ == v1::ROOM_STAGE_SCORING)
    return error(request_id, v1::ERROR_CODE_FAILED_PRECONDITION, "reveal the scorecards first: they belong to this round");
  auto fx = ack(request_id);
  if (scenario) scenario_ = std::move(scenario);
  begin_round(round_ + 1);
  log(now_ms, participant_id).set_round_started(round_);
  for (const auto& x : participants_) fx.need_briefing.push_back(x.id);  // the scenario may have changed
  fx.board_reset = true;
  return fx;
}

// ---------------------------------------------------------------- board

// The candidate draws, and the interviewer or coach with them; observers
// watch. Only while the interviewer's clock runs a phase, and when the
// scenario time-boxes a sketch, only in its sketch phases: pens down after.
std::optional<std::string> room::why_not_draw(const participant& p) const {
  if (p.role != v1::ROLE_CANDIDATE && !runs_interview(p.role)) return "observers watch the board";
  if (stage_ != v1::ROOM_STAGE_INTERVIEW || phase_index_ < 0) return "the board opens when the interview starts";
  const auto& phases = scenario_->phases();
  const bool boxed = std::any_of(phases.begin(), phases.end(), [](const auto& ph) { return ph.sketch(); });
  if (boxed && !phases[phase_index_].sketch()) return "the board is open in the sketch phase only";
  return std::nullopt;
}

bool room::can_draw(const std::string& participant_id) const {
  const auto* p = find(participant_id);
  return p && !why_not_draw(*p);
}

room_effects room::board_op(const participant& p, const v1::BoardOp& op, uint32_t request_id, int64_t now) {
  if (const auto why = why_not_draw(p))
    return error(request_id,
                 p.role == v1::ROLE_OBSERVER ? v1::ERROR_CODE_PERMISSION_DENIED : v1::ERROR_CODE_FAILED_PRECONDITION,
                 *why);
  auto r = board_.apply(op, p.id, settings_.board);
  if (r.error) {
    room_effects fx;
    fx.replies.push_back(make_error(request_id, r.error->code(), r.error->message(), r.error->field()));
    return fx;
  }
  auto fx = ack(request_id);
  fx.state_changed = false;  // the ops go out as a BoardUpdate, not a state push
  for (const auto& o : r.applied) *log(now, p.id).mutable_board_op() = o;
  fx.board_ops = std::move(r.applied);
  return fx;
}

// ---------------------------------------------------------------- scoring

std::vector<std::string> room::expected_raters() const {
  // The interviewer and every observer. The coach when nobody else can
  // rate, or once they have started a reference card (observers are
  // calibrated against it, docs/progress.md): a coach who never scores is
  // not waited for.
  std::vector<std::string> out;
  for (const auto& x : participants_)
    if (x.role == v1::ROLE_INTERVIEWER || x.role == v1::ROLE_OBSERVER) out.push_back(x.id);
  const bool nobody_else = out.empty();
  for (const auto& x : participants_)
    if (x.role == v1::ROLE_COACH && (nobody_else || cards_.contains(x.id))) out.push_back(x.id);
  return out;
}

std::vector<v1::Scorecard> room::submitted_cards() const {
  std::vector<v1::Scorecard> out;
  for (const auto& [id, c] : cards_)
    if (c.submitted()) out.push_back(c);
  return out;
}

room_effects room::save_scorecard(const participant& p, const v1::SaveScorecard& req, uint32_t request_id, int64_t now) {
  if (!is_staff(p.role)) return error(request_id, v1::ERROR_CODE_PERMISSION_DENIED, "candidates do not score");
  if (stage_ == v1::ROOM_STAGE_REVEALED || stage_ == v1::ROOM_STAGE_CLOSED)
    return error(request_id, v1::ERROR_CODE_FAILED_PRECONDITION, "scoring has closed");
  if (stage_ != v1::ROOM_STAGE_INTERVIEW && stage_ != v1::ROOM_STAGE_SCORING)
    return error(request_id, v1::ERROR_CODE_FAILED_PRECONDITION, "scorecards are kept during the interview and scoring");
  if (req.submit() && stage_ != v1::ROOM_STAGE_SCORING)
    return error(request_id, v1::ERROR_CODE_FAILED_PRECONDITION, "scorecards are submitted once the interview is over");
  if (const auto it = cards_.find(p.id); it != cards_.end() && it->second.submitted())
    return error(request_id, v1::ERROR_CODE_FAILED_PRECONDITION, "your scorecard is already submitted");

  v1::Scorecard card = req.scorecard();
  std::set<std::string> seen;
  for (const auto& sc : card.scores()) {
    const auto& dims = scenario_->rubric();
    if (std::none_of(dims.begin(), dims.end(), [&](const auto& d) { return d.id() == sc.dimension_id(); }))
      return error(request_id, v1::ERROR_CODE_INVALID_ARGUMENT, "no rubric dimension '" + sc.dimension_id() + "'");
    if (sc.rating() > 4)
      return error(request_id, v1::ERROR_CODE_INVALID_ARGUMENT, "ratings are 1 to 4, or 0 for not observed");
    if (!seen.insert(sc.dimension_id()).second)
      return error(request_id, v1::ERROR_CODE_INVALID_ARGUMENT, "dimension '" + sc.dimension_id() + "' scored twice");
  }
  if (!v1::Recommendation_IsValid(card.recommendation()))
    return error(request_id, v1::ERROR_CODE_INVALID_ARGUMENT, "unknown recommendation");
  card.set_rater_id(p.id);
  card.set_rater_name(p.name);
  card.set_rater_role(p.role);
  card.set_updated_ms(now);
  *card.mutable_at_level() =
      card_verdict(scenario_->rubric(), card, target_level_);  // the server's reading, never the client's
  if (!req.submit()) {
    card.set_submitted(false);
    card.set_submitted_ms(0);
    cards_[p.id] = std::move(card);
    return private_ack(request_id, note_readers(p));  // the coach watches drafts live
  }
  if (card.recommendation() == v1::RECOMMENDATION_UNSPECIFIED)
    return error(request_id, v1::ERROR_CODE_MISSING_FIELD, "a submitted scorecard needs a recommendation");
  card.set_submitted(true);
  card.set_submitted_ms(now);
  room_effects fx;
  fx.to_persist = std::move(card);
  fx.persist_request_id = request_id;
  return fx;
}

room_effects room::commit_submit(const std::string& participant_id, const v1::Scorecard& card, uint32_t request_id,
                                 int64_t now_ms) {
  if (stage_ != v1::ROOM_STAGE_SCORING || !find(participant_id))
    return error(request_id, v1::ERROR_CODE_FAILED_PRECONDITION, "scoring has closed");
  // Who has submitted is shown to staff; a reveal it completes is for everyone.
  auto fx = private_ack(request_id, staff_ids());
  cards_[participant_id] = card;
  log(now_ms, participant_id).set_scorecard_submitted(participant_id);
  ++private_events_;
  reveal_if_complete(now_ms, fx);
  return fx;
}

void room::reveal_if_complete(int64_t now, room_effects& fx) {
  if (stage_ != v1::ROOM_STAGE_SCORING) return;
  const auto expected = expected_raters();
  if (expected.empty()) return;
  for (const auto& id : expected) {
    const auto it = cards_.find(id);
    if (it == cards_.end() || !it->second.submitted()) return;
  }
  reveal(now, "", fx);
}

void room::reveal(int64_t now, const std::string& by, room_effects& fx) {
  stage_ = v1::ROOM_STAGE_REVEALED;
  log(now, by).set_revealed(true);
  fx.revealed = true;
  fx.state_changed = true;
}

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
      case v1::RoomEvent::kPaused: what = e.paused() ? "paused" : "resumed"; break;
      case v1::RoomEvent::kExtendedSeconds: what = "extended by " + std::to_string(e.extended_seconds()) + " s"; break;
      case v1::RoomEvent::kSkippedPhase: what = "phase ended early: " + e.skipped_phase(); break;
      case v1::RoomEvent::kFollowUpAsked:
        what = std::string(e.follow_up_asked().by_script() ? "follow-up (script): " : "follow-up: ") +
               e.follow_up_asked().text();
        break;
      case v1::RoomEvent::kMarkerTicked:
        for (const auto& mk : scenario_->markers())
          if (mk.id() == e.marker_ticked()) what = (mk.bad_move() ? "bad move: " : "candidate move: ") + mk.label();
        staff_only = true;  // marker labels are script material
        break;
      case v1::RoomEvent::kScorecardSubmitted: what = "scorecard submitted by " + name_of(e.scorecard_submitted()); break;
      case v1::RoomEvent::kRevealed: what = "scorecards revealed"; break;
      case v1::RoomEvent::kDisconnected: what = name_of(e.disconnected()) + " lost their connection"; break;
      case v1::RoomEvent::kReconnected: what = name_of(e.reconnected()) + " reconnected"; break;
      case v1::RoomEvent::kForfeited: what = name_of(e.forfeited()) + " did not come back; the round was forfeited"; break;
      case v1::RoomEvent::kRecovered:
        what = "the server restarted; the clock stood still while it was down";
        break;
      default: break;  // joins, notes (private) and stage changes are not the story of the interview
    }
    if (!what.empty() && (include_staff_only || !staff_only)) out.emplace_back(clock(e.at_ms()) + " " + what, staff_only);
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

// ---------------------------------------------------------------- clock

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

std::string room::current_phase_id() const {
  if (stage_ == v1::ROOM_STAGE_BRIEFING) return briefing_phase_id;
  if (stage_ == v1::ROOM_STAGE_INTERVIEW && phase_index_ >= 0) return scenario_->phases(phase_index_).id();
  return {};
}

// Starts phase `index` (-1: the briefing) at `at`. A paused clock stays
// paused across the change, so skipping while paused does not start time.
void room::enter_phase(int index, int64_t at) {
  start_phase(index, at);
  if (index >= 0) log(at, "").set_phase_started(scenario_->phases(index).id());
}

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

// Ends the briefing or the current phase at `at` and moves on.
void room::end_current(int64_t at, room_effects& fx) {
  fold(at);
  fx.state_changed = true;
  if (stage_ == v1::ROOM_STAGE_BRIEFING) {
    stage_ = v1::ROOM_STAGE_INTERVIEW;
    log(at, "").set_stage_entered(stage_);
    enter_phase(0, at);
    return;
  }
  if (phase_index_ + 1 < scenario_->phases_size()) {
    enter_phase(phase_index_ + 1, at);
    return;
  }
  stage_ = v1::ROOM_STAGE_SCORING;
  phase_index_ = -1;
  running_since_.reset();
  paused_ = false;
  phase_budget_ms_ = phase_used_ms_ = 0;
  log(at, "").set_stage_entered(stage_);
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

std::optional<int64_t> room::next_wakeup_ms() const {
  std::optional<int64_t> next;
  auto sooner = [&](int64_t t) { next = next ? std::min(*next, t) : t; };
  for (const auto& p : participants_)
    if (!p.connected) sooner(p.release_at_ms);
  if (!running() || !has_clock()) return next;
  sooner(deadline());
  for (const auto& f : scenario_->follow_ups())
    if (auto due = due_at(f)) sooner(*due);
  return next;
}

void room::fire_due(int64_t now, room_effects& fx) {
  if (stage_ != v1::ROOM_STAGE_INTERVIEW) return;
  // Asking one can make a chained one due, so go round until quiet.
  for (bool fired = true; fired;) {
    fired = false;
    for (const auto& f : scenario_->follow_ups()) {
      if (asked_ids_.count(f.id())) continue;
      bool due = false;
      if (f.has_on_move()) {
        const auto& t = f.on_move();
        due = ticked_.count(t.marker_id()) && (t.after_follow_up().empty() || asked_ids_.count(t.after_follow_up()));
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
  v1::AskedFollowUp a;
  a.set_follow_up_id(follow_up_id);
  a.set_text(text);
  a.set_asked_at_ms(now);
  a.set_phase_id(current_phase_id());
  a.set_by_script(by_script);
  if (!follow_up_id.empty()) asked_ids_.insert(follow_up_id);
  *log(now, by).mutable_follow_up_asked() = a;
  asked_.push_back(std::move(a));
  fx.state_changed = true;
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

// ---------------------------------------------------------------- rebuild

std::unique_ptr<room> room::rebuild(std::string id, room_settings settings, const room_history& history) {
  const auto first = history.scenarios.find(1);
  if (history.events.empty() || first == history.scenarios.end() || !first->second) return nullptr;
  std::unique_ptr<room> r(new room(std::move(id), settings));
  r->scenario_ = first->second;
  r->target_level_ = default_level(*r->scenario_);  // logs from before target levels have no entry
  for (const auto& e : history.events)
    if (!r->replay(e, history)) return nullptr;
  return r;
}

// Each case does what the step that logged the event did to the state;
// events that other events always follow (a skip, then the phase it
// started) leave the work to those.
bool room::replay(const v1::RoomEvent& e, const room_history& h) {
  if (e.seq() != events_.size() + 1) return false;
  const int64_t at = e.at_ms();
  const auto member = [&](const std::string& pid) {
    return std::find_if(participants_.begin(), participants_.end(), [&](const auto& p) { return p.id == pid; });
  };
  switch (e.kind_case()) {
    case v1::RoomEvent::kJoined: {
      const auto& j = e.joined();
      if (find(j.participant_id())) return false;
      participants_.push_back({j.participant_id(), j.display_name(), j.role()});
      if (!e.user_hash().empty()) user_hashes_[j.participant_id()] = e.user_hash();
      break;
    }
    case v1::RoomEvent::kLeft: {
      const auto it = member(e.left());
      if (it == participants_.end()) return false;
      participants_.erase(it);
      break;
    }
    case v1::RoomEvent::kStageEntered:
      switch (e.stage_entered()) {
        case v1::ROOM_STAGE_LOBBY:
          stage_ = v1::ROOM_STAGE_LOBBY;
          break;
        case v1::ROOM_STAGE_BRIEFING:
          stage_ = v1::ROOM_STAGE_BRIEFING;
          start_phase(-1, at);
          break;
        case v1::ROOM_STAGE_INTERVIEW:  // its first phase_started follows
          fold(at);
          stage_ = v1::ROOM_STAGE_INTERVIEW;
          break;
        case v1::ROOM_STAGE_SCORING:
          fold(at);
          stage_ = v1::ROOM_STAGE_SCORING;
          phase_index_ = -1;
          running_since_.reset();
          paused_ = false;
          phase_budget_ms_ = phase_used_ms_ = 0;
          break;
        case v1::ROOM_STAGE_CLOSED:
          fold(at);
          running_since_.reset();
          stage_ = v1::ROOM_STAGE_CLOSED;
          break;
        default:
          return false;
      }
      break;
    case v1::RoomEvent::kPhaseStarted: {
      const auto& phases = scenario_->phases();
      const auto it =
          std::find_if(phases.begin(), phases.end(), [&](const auto& ph) { return ph.id() == e.phase_started(); });
      if (it == phases.end() || stage_ != v1::ROOM_STAGE_INTERVIEW) return false;
      fold(at);
      start_phase(static_cast<int>(it - phases.begin()), at);
      break;
    }
    case v1::RoomEvent::kPaused:
      if (e.paused()) {
        fold(at);
        running_since_.reset();
        paused_ = true;
      } else {
        paused_ = false;
        running_since_ = at;
      }
      break;
    case v1::RoomEvent::kExtendedSeconds:
      phase_budget_ms_ += int64_t{e.extended_seconds()} * 1000;
      break;
    case v1::RoomEvent::kSkippedPhase:
      break;  // the stage_entered or phase_started that follows moves on
    case v1::RoomEvent::kFollowUpAsked:
      if (!e.follow_up_asked().follow_up_id().empty()) asked_ids_.insert(e.follow_up_asked().follow_up_id());
      asked_.push_back(e.follow_up_asked());
      break;
    case v1::RoomEvent::kMarkerTicked:
      ticked_.insert(e.marker_ticked());
      break;
    case v1::RoomEvent::kNoteAdded:
      note_bytes_ += e.note_added().text().size();
      notes_.push_back(e.note_added());
      break;
    case v1::RoomEvent::kRoundStarted:
      if (const auto it = h.scenarios.find(e.round_started()); it != h.scenarios.end() && it->second)
        scenario_ = it->second;
      begin_round(e.round_started());
      break;
    case v1::RoomEvent::kHotSeat: {
      const auto target = member(e.hot_seat().to_participant_id());
      if (target == participants_.end()) return false;
      for (auto& x : participants_)
        if (x.role == v1::ROLE_CANDIDATE) x.role = v1::ROLE_OBSERVER;
      target->role = v1::ROLE_CANDIDATE;
      break;
    }
    case v1::RoomEvent::kScorecardSubmitted: {
      // Stored before the event was logged, so it is there.
      const auto it = h.cards.find({round_, e.scorecard_submitted()});
      if (it == h.cards.end()) return false;
      cards_[e.scorecard_submitted()] = it->second;
      break;
    }
    case v1::RoomEvent::kRevealed:
      stage_ = v1::ROOM_STAGE_REVEALED;
      break;
    case v1::RoomEvent::kDisconnected: {
      const auto it = member(e.disconnected());
      if (it == participants_.end()) return false;
      it->connected = false;
      it->release_at_ms = at + settings_.reconnect_grace_ms;
      break;
    }
    case v1::RoomEvent::kReconnected: {
      const auto it = member(e.reconnected());
      if (it == participants_.end()) return false;
      it->connected = true;
      it->release_at_ms = 0;
      break;
    }
    case v1::RoomEvent::kForfeited:
      fold(at);
      running_since_.reset();
      break;
    case v1::RoomEvent::kRecovered:
      apply_recovered(e.recovered().down_since_ms(), at);
      break;
    case v1::RoomEvent::kBoardOp:
      if (!board_.replay(e.board_op())) return false;
      break;
    case v1::RoomEvent::kTargetLevel:
      if (!v1::Level_IsValid(e.target_level()) || e.target_level() == v1::LEVEL_UNSPECIFIED) return false;
      target_level_ = e.target_level();
      break;
    default:
      return false;
  }
  events_.push_back(e);
  if (is_private_event(e)) ++private_events_;
  return true;
}

void room::apply_recovered(int64_t down_since, int64_t at) {
  // The clock counts up to the last sign of life and starts again now.
  if (running()) {
    fold(down_since);
    running_since_ = at;
  }
  for (auto& p : participants_) {
    p.connected = false;
    p.release_at_ms = at + settings_.reconnect_grace_ms;
  }
}

room_effects room::recover(int64_t down_since_ms, int64_t now_ms) {
  // Never before the last thing the log saw, never after now.
  if (!events_.empty()) down_since_ms = std::max(down_since_ms, events_.back().at_ms());
  down_since_ms = std::min(down_since_ms, now_ms);
  apply_recovered(down_since_ms, now_ms);
  log(now_ms, "").mutable_recovered()->set_down_since_ms(down_since_ms);
  room_effects fx;
  fx.state_changed = true;
  return fx;
}

// ---------------------------------------------------------------- views

v1::RoomEvent& room::log(int64_t now, const std::string& by) {
  auto& e = events_.emplace_back();
  e.set_seq(events_.size());
  e.set_at_ms(now);
  e.set_participant_id(by);
  return e;
}

v1::RoomState room::public_state(int64_t now) const {
  v1::RoomState s;
  s.set_room_id(id_);
  // One more for every logged change the candidate may see.
  s.set_version(1 + events_.size() - private_events_);
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

room_views room::views(int64_t now_ms) const { return build_views(now_ms, nullptr); }

room_views room::staff_views(int64_t now_ms, const std::vector<std::string>& staff_ids) const {
  return build_views(now_ms, &staff_ids);
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

bool room::revealed() const {
  // The stage first: the log only needs scanning once scoring is over.
  if (stage_ != v1::ROOM_STAGE_REVEALED && stage_ != v1::ROOM_STAGE_CLOSED) return false;
  // This round's events only: a coaching session's log goes on across rounds.
  for (auto it = events_.rbegin(); it != events_.rend() && !it->has_round_started(); ++it)
    if (it->has_revealed()) return true;
  return false;
}

room_views room::build_views(int64_t now_ms, const std::vector<std::string>* only) const {
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
      if (!only) v.candidate_ids.push_back(p.id);
      continue;
    }
    if (only && std::find(only->begin(), only->end(), p.id) == only->end()) continue;
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
