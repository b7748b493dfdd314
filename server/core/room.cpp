#include "mockloop/core/room.h"

#include <algorithm>
#include <cassert>

#include "mockloop/core/protocol_session.h"
#include "mockloop/core/scoring.h"

namespace mockloop {
namespace {

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

// An Ack for a change only some staff can see, or one to the clock or
// the follow-ups: the caller adds the changes (change_for, public_change).
room_effects private_ack(uint32_t request_id) {
  auto fx = ack(request_id);
  fx.state_changed = false;
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
  for (auto& c : from.staff_changes) into.staff_changes.push_back(std::move(c));
  if (from.room_change) {
    if (!into.room_change)
      into.room_change = std::move(from.room_change);
    else
      for (auto& a : *from.room_change->mutable_asked_added()) *into.room_change->add_asked_added() = std::move(a);
  }
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
  enter_stage(v1::ROOM_STAGE_LOBBY, now_ms, "");
  auto level = event(now_ms, "");
  level.set_target_level(target_level != v1::LEVEL_UNSPECIFIED && v1::Level_IsValid(target_level)
                             ? target_level
                             : default_level(*scenario_));
  emit(std::move(level));
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

  auto e = event(now_ms, participant_id);
  if (!user_hash.empty()) e.set_user_hash(user_hash);
  auto* joined = e.mutable_joined();
  joined->set_participant_id(participant_id);
  joined->set_display_name(display_name);
  joined->set_role(role);
  joined->set_connected(true);
  emit(std::move(e));

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
  if (!find(participant_id)) return fx;
  auto e = event(now_ms, participant_id);
  e.set_left(participant_id);
  emit(std::move(e));
  fx.state_changed = true;
  reveal_if_complete(now_ms, fx);  // the one still typing may have been the last expected
  // Everyone gone during scoring: what was submitted (and acknowledged)
  // still makes the round's record.
  if (participants_.empty() && stage_ == v1::ROOM_STAGE_SCORING && !submitted_cards().empty()) reveal(now_ms, "", fx);
  return fx;
}

room_effects room::disconnect(const std::string& participant_id, int64_t now_ms) {
  room_effects fx;
  const auto* p = find(participant_id);
  if (!p || !p->connected) return fx;
  auto e = event(now_ms, participant_id);
  e.set_disconnected(participant_id);
  emit(std::move(e));
  fx.state_changed = true;
  return fx;
}

room_effects room::reconnect(const std::string& participant_id, int64_t now_ms) {
  room_effects fx;
  const auto* p = find(participant_id);
  if (!p || p->connected) return fx;
  auto e = event(now_ms, participant_id);
  e.set_reconnected(participant_id);
  emit(std::move(e));
  fx.state_changed = true;
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
      auto forfeit = event(at, "");
      forfeit.set_forfeited(pid);
      emit(std::move(forfeit));
      enter_stage(v1::ROOM_STAGE_CLOSED, at, "");
      fx.closed = fx.forfeited = true;
    }
  }
}

// ---------------------------------------------------------------- requests

room_effects room::handle(const std::string& participant_id, const v1::ClientMessage& m, int64_t now_ms) {
  return handle(participant_id, v1::ClientMessage(m), now_ms);
}

room_effects room::handle(const std::string& participant_id, v1::ClientMessage&& m, int64_t now_ms) {
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
      r = save_scorecard(*p, std::move(*m.mutable_save_scorecard()), m.request_id(), now_ms);
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

// An Ack for a move of the clock alone: everyone gets it as a RoomChange.
room_effects room::public_ack(uint32_t request_id) const {
  auto fx = private_ack(request_id);
  public_change(fx);
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
      enter_stage(v1::ROOM_STAGE_BRIEFING, now, p.id);
      return ack(request_id);
    }
    case v1::RoomControl::ACTION_PAUSE: {
      if (!timed || paused_) return error(request_id, v1::ERROR_CODE_FAILED_PRECONDITION, "no running clock to pause");
      auto e = event(now, p.id);
      e.set_paused(true);
      emit(std::move(e));
      return public_ack(request_id);
    }
    case v1::RoomControl::ACTION_RESUME: {
      if (!timed || !paused_) return error(request_id, v1::ERROR_CODE_FAILED_PRECONDITION, "the clock is not paused");
      auto e = event(now, p.id);
      e.set_paused(false);
      emit(std::move(e));
      return public_ack(request_id);
    }
    case v1::RoomControl::ACTION_EXTEND: {
      if (!timed) return error(request_id, v1::ERROR_CODE_FAILED_PRECONDITION, "no phase to extend");
      if (c.seconds() == 0 || c.seconds() > settings_.max_extend_seconds)
        return error(request_id, v1::ERROR_CODE_INVALID_ARGUMENT,
                     "extend by 1 to " + std::to_string(settings_.max_extend_seconds) + " seconds");
      auto e = event(now, p.id);
      e.set_extended_seconds(c.seconds());
      emit(std::move(e));
      return public_ack(request_id);
    }
    case v1::RoomControl::ACTION_SKIP: {
      if (!timed) return error(request_id, v1::ERROR_CODE_FAILED_PRECONDITION, "no phase to skip");
      auto fx = private_ack(request_id);  // end_current() says what changed
      auto e = event(now, p.id);
      e.set_skipped_phase(current_phase_id());
      emit(std::move(e));
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
      enter_stage(v1::ROOM_STAGE_CLOSED, now, p.id);
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
    auto fx = private_ack(request_id);
    record_ask("", a.free_text(), false, now, p.id, fx);
    fire_due(now, fx);
    return fx;
  }
  const auto& script = scenario_->follow_ups();
  const auto it = std::find_if(script.begin(), script.end(), [&](const auto& f) { return f.id() == a.follow_up_id(); });
  if (it == script.end()) return error(request_id, v1::ERROR_CODE_NOT_FOUND, "no follow-up '" + a.follow_up_id() + "'");
  if (asked_ids_.count(it->id()))
    return error(request_id, v1::ERROR_CODE_FAILED_PRECONDITION, "that follow-up was already asked");
  auto fx = private_ack(request_id);
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
  if (ticked_.count(marker_id)) return private_ack(request_id);
  // Every rater sees the ticks; a follow-up they trigger is for everyone.
  auto fx = private_ack(request_id);
  for (const auto& id : staff_ids()) change_for(fx, id).add_ticked_markers(marker_id);
  auto e = event(now, p.id);
  e.set_marker_ticked(marker_id);
  emit(std::move(e));
  fire_due(now, fx);
  return fx;
}

room_effects room::add_note(const participant& p, const std::string& text, uint32_t request_id, int64_t now) {
  if (!is_staff(p.role))
    return error(request_id, v1::ERROR_CODE_PERMISSION_DENIED, "candidates do not keep notes in the room");
  if (stage_ == v1::ROOM_STAGE_CLOSED) return error(request_id, v1::ERROR_CODE_FAILED_PRECONDITION, "this room has closed");
  if (note_bytes_ + text.size() > settings_.max_note_bytes)
    return error(request_id, v1::ERROR_CODE_FAILED_PRECONDITION, "this room holds no more notes");
  auto fx = private_ack(request_id);
  auto e = event(now, p.id);
  auto& n = *e.mutable_note_added();
  n.set_author_id(p.id);
  n.set_author_name(p.name);
  n.set_text(text);
  n.set_at_ms(now);
  n.set_phase_id(current_phase_id());
  for (const auto& id : note_readers(p)) *change_for(fx, id).add_notes_added() = n;
  emit(std::move(e));
  return fx;
}

room_effects room::move_hot_seat(const participant& p, const std::string& to, uint32_t request_id, int64_t now) {
  if (p.role != v1::ROLE_COACH) return error(request_id, v1::ERROR_CODE_PERMISSION_DENIED, "only the coach moves the hot seat");
  if (stage_ == v1::ROOM_STAGE_BRIEFING || stage_ == v1::ROOM_STAGE_INTERVIEW)
    return error(request_id, v1::ERROR_CODE_FAILED_PRECONDITION, "the hot seat moves between rounds, not during one");
  const auto* target = find(to);
  if (!target) return error(request_id, v1::ERROR_CODE_NOT_FOUND, "no such participant");
  if (target->role == v1::ROLE_CANDIDATE) return ack(request_id);
  if (target->role != v1::ROLE_OBSERVER)
    return error(request_id, v1::ERROR_CODE_FAILED_PRECONDITION, "the hot seat goes to an observer");
  auto fx = ack(request_id);
  auto e = event(now, p.id);
  auto* seat = e.mutable_hot_seat();
  seat->set_to_participant_id(to);
  for (const auto& x : participants_) {
    if (x.role == v1::ROLE_CANDIDATE) {
      seat->set_from_participant_id(x.id);
      fx.need_briefing.push_back(x.id);
    }
  }
  fx.need_briefing.push_back(to);  // the role's briefing: the candidate's from now on
  emit(std::move(e));
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
  auto e = event(now_ms, participant_id);
  e.set_round_started(round_ + 1);
  emit(std::move(e), {.scenario = std::move(scenario), .card = nullptr});
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
  auto r = board_.plan(op, p.id, settings_.board);
  if (r.error) {
    room_effects fx;
    fx.replies.push_back(make_error(request_id, r.error->code(), r.error->message(), r.error->field()));
    return fx;
  }
  auto fx = ack(request_id);
  fx.state_changed = false;  // the ops go out as a BoardUpdate, not a state push
  for (const auto& o : r.applied) {
    auto e = event(now, p.id);
    *e.mutable_board_op() = o;
    emit(std::move(e));
  }
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

room_effects room::save_scorecard(const participant& p, v1::SaveScorecard req, uint32_t request_id, int64_t now) {
  if (!is_staff(p.role)) return error(request_id, v1::ERROR_CODE_PERMISSION_DENIED, "candidates do not score");
  if (stage_ == v1::ROOM_STAGE_REVEALED || stage_ == v1::ROOM_STAGE_CLOSED)
    return error(request_id, v1::ERROR_CODE_FAILED_PRECONDITION, "scoring has closed");
  if (stage_ != v1::ROOM_STAGE_INTERVIEW && stage_ != v1::ROOM_STAGE_SCORING)
    return error(request_id, v1::ERROR_CODE_FAILED_PRECONDITION, "scorecards are kept during the interview and scoring");
  if (req.submit() && stage_ != v1::ROOM_STAGE_SCORING)
    return error(request_id, v1::ERROR_CODE_FAILED_PRECONDITION, "scorecards are submitted once the interview is over");
  const auto kept = cards_.find(p.id);
  if (kept != cards_.end() && kept->second.submitted())
    return error(request_id, v1::ERROR_CODE_FAILED_PRECONDITION, "your scorecard is already submitted");

  // The request's own card, not a copy: drafts are most of an interview's
  // requests (docs/load.md).
  v1::Scorecard card = std::move(*req.mutable_scorecard());
  const auto& dims = scenario_->rubric();
  const auto& scores = card.scores();
  for (int i = 0; i < scores.size(); ++i) {
    const auto& sc = scores[i];
    if (std::none_of(dims.begin(), dims.end(), [&](const auto& d) { return d.id() == sc.dimension_id(); }))
      return error(request_id, v1::ERROR_CODE_INVALID_ARGUMENT, "no rubric dimension '" + sc.dimension_id() + "'");
    if (sc.rating() > 4)
      return error(request_id, v1::ERROR_CODE_INVALID_ARGUMENT, "ratings are 1 to 4, or 0 for not observed");
    if (std::any_of(scores.begin(), scores.begin() + i,
                    [&](const auto& o) { return o.dimension_id() == sc.dimension_id(); }))
      return error(request_id, v1::ERROR_CODE_INVALID_ARGUMENT, "dimension '" + sc.dimension_id() + "' scored twice");
  }
  if (!v1::Recommendation_IsValid(card.recommendation()))
    return error(request_id, v1::ERROR_CODE_INVALID_ARGUMENT, "unknown recommendation");
  card.set_rater_id(p.id);
  card.set_rater_name(p.name);
  card.set_rater_role(p.role);
  card.set_updated_ms(now);
  // The server's reading, never the client's; none for a rubric without
  // pass lines (a room stored before they existed).
  card.clear_at_level();
  if (auto v = card_verdict(dims, card, target_level_); v.dimensions_size() > 0)
    *card.mutable_at_level() = std::move(v);
  if (!req.submit()) {
    // A draft is the rater's working copy, replaced on every save and never
    // part of the record: the one state kept outside the log, so autosaves
    // cost no store write (docs/rooms.md: a restart loses it).
    card.set_submitted(false);
    card.set_submitted_ms(0);
    auto fx = private_ack(request_id);
    const auto expected = expected_raters();
    // Copied into the kept card, reusing the last draft's allocations; the
    // card itself goes to its readers.
    if (kept != cards_.end())
      kept->second.CopyFrom(card);
    else
      cards_.emplace(p.id, card);
    card_changed(fx, std::move(card), note_readers(p));  // the coach watches drafts live
    expected_changed(fx, expected);
    return fx;
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
  auto fx = private_ack(request_id);
  const auto staff = staff_ids();
  for (const auto& id : staff) change_for(fx, id).add_submitted_by(participant_id);
  card_changed(fx, card, staff);
  const auto expected = expected_raters();
  auto e = event(now_ms, participant_id);
  e.set_scorecard_submitted(participant_id);
  emit(std::move(e), {.scenario = nullptr, .card = &card});
  expected_changed(fx, expected);
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
  auto e = event(now, by);
  e.set_revealed(true);
  emit(std::move(e));
  fx.revealed = true;
  fx.state_changed = true;
}

// ---------------------------------------------------------------- rebuild

std::unique_ptr<room> room::rebuild(std::string id, room_settings settings, const room_history& history) {
  const auto first = history.scenarios.find(1);
  if (history.events.empty() || first == history.scenarios.end() || !first->second) return nullptr;
  std::unique_ptr<room> r(new room(std::move(id), settings));
  r->scenario_ = first->second;
  r->target_level_ = default_level(*r->scenario_);  // logs from before target levels have no entry
  for (const auto& e : history.events) {
    event_refs refs;
    if (e.has_round_started())
      if (const auto it = history.scenarios.find(e.round_started()); it != history.scenarios.end())
        refs.scenario = it->second;
    if (e.has_scorecard_submitted())  // stored before the event was logged, so it is there
      if (const auto it = history.cards.find({r->round_, e.scorecard_submitted()}); it != history.cards.end())
        refs.card = &it->second;
    if (!r->apply(e, refs)) return nullptr;
  }
  return r;
}

// ---------------------------------------------------------------- events

v1::RoomEvent room::event(int64_t at, const std::string& by) const {
  v1::RoomEvent e;
  e.set_seq(events_.size() + 1);
  e.set_at_ms(at);
  e.set_participant_id(by);
  return e;
}

void room::emit(v1::RoomEvent e, const event_refs& refs) {
  [[maybe_unused]] const bool fits = apply(std::move(e), refs);
  assert(fits && "a live step logs only what fits the state it checked");
}

void room::enter_stage(v1::RoomStage stage, int64_t at, const std::string& by) {
  auto e = event(at, by);
  e.set_stage_entered(stage);
  emit(std::move(e));
}

// Events that other events always follow (a skip, then the phase it
// started) leave the work to those.
bool room::apply(v1::RoomEvent e, const event_refs& refs) {
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
      if (refs.scenario) scenario_ = refs.scenario;
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
    case v1::RoomEvent::kScorecardSubmitted:
      if (!refs.card || !find(e.scorecard_submitted())) return false;
      cards_[e.scorecard_submitted()] = *refs.card;
      break;
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
  if (is_private_event(e)) ++private_events_;
  events_.push_back(std::move(e));
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
  auto e = event(now_ms, "");
  e.mutable_recovered()->set_down_since_ms(down_since_ms);
  emit(std::move(e));
  room_effects fx;
  fx.state_changed = true;
  return fx;
}

}  // namespace mockloop
