// An interview room, as plain state: participants and their roles, the
// stage and phase clock, follow-ups asked and fired, markers, notes, and
// the event log. No sockets, no timers, no clock of its own: every call
// takes the current time (Unix ms), and the shell wakes the room at
// next_wakeup_ms() and once a second for ticks.
//
// What each role receives is decided here, by type: views() gives
// candidates a v1::RoomState (no rubric, script, marker or note fields) and
// staff a v1::StaffRoomState.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <map>
#include <set>
#include <string>
#include <variant>
#include <vector>

#include "mockloop/core/board.h"
#include "mockloop/core/call.h"
#include "mockloop/core/ice.h"
#include "mockloop/v1/debrief.pb.h"
#include "mockloop/v1/room.pb.h"
#include "mockloop/v1/scenario.pb.h"
#include "mockloop/v1/wire.pb.h"

namespace mockloop {

struct room_settings {
  uint32_t briefing_seconds = 120;     // time to read prompt/rubric before the first phase
  uint32_t max_participants = 50;      // a coaching group with its observers
  uint32_t max_extend_seconds = 1800;  // one EXTEND adds at most this much
  // Every state push carries the notes and asked follow-ups, so their total
  // stays far below a client's outbound queue (max_queue_bytes, 1 MiB).
  uint32_t max_note_bytes = 256 * 1024;  // all notes in a room
  uint32_t max_asked = 200;              // follow-ups asked in a room
  uint32_t max_events = 20'000;          // event log entries; a long coaching day is ~2,000
  // A participant whose connection drops keeps their seat this long
  // ("reconnecting"); then it is released.
  int64_t reconnect_grace_ms = 120'000;
  // Peer mocks: a seat released during the briefing or the interview ends
  // the round (forfeit) instead of leaving the other alone in it.
  bool forfeit_on_release = false;
  board_limits board;  // the shared board's bounds, per round
  call_settings call;  // who publishes in the room's call, and how many
  ice_config ice;      // what the call's members connect through
};

// What the shell must do after an event.
struct room_effects {
  std::vector<v1::ServerMessage> replies;  // to the sender only
  std::vector<std::string> need_briefing;  // participants to send their role's briefing
  bool state_changed = false;              // push fresh views to everyone
  // Without state_changed: a private change (a note, a draft, a marker, a
  // sealed submission) to these staff members' views, sent as it is.
  // Nobody else is sent anything, and the candidate cannot tell that
  // anything happened. With state_changed whole views go out instead, and
  // these are dropped: the views hold them.
  std::vector<std::pair<std::string, v1::StaffRoomChange>> staff_changes;
  // Without state_changed: the clock moved (a phase, a pause, an
  // extension) or follow-ups were asked, and nothing else anyone sees.
  // Everyone in the room gets this one change, its follow-ups filled here
  // and its version and clock by room::stamp() when it is sent. Dropped,
  // like staff_changes, when whole views go out.
  std::optional<v1::RoomChange> room_change;
  bool closed = false;                     // the room reached CLOSED
  bool revealed = false;                   // scoring closed: write the debrief, tell the candidate
  bool forfeited = false;                  // peer mock ended because a seat was released (closed is set too)
  // A submitted scorecard the shell must make durable, then hand back
  // through commit_submit(); nothing has changed in the room yet.
  std::optional<v1::Scorecard> to_persist;
  uint32_t persist_request_id = 0;
  // Board ops applied, in order: to everyone in the room as one BoardUpdate.
  std::vector<v1::BoardOp> board_ops;
  bool board_reset = false;  // a new round: everyone gets the (empty) board
};

// Folds the effects of a second step into the first's.
void merge(room_effects& into, room_effects&& from);

// The fan-out of one state change. Candidates get one shared RoomState
// (serialised once); each staff member gets their own StaffRoomState
// because notes differ per rater.
struct room_views {
  v1::RoomState candidate_view;
  std::vector<std::string> candidate_ids;
  std::vector<std::pair<std::string, v1::StaffRoomState>> staff_views;
};

// What a room is rebuilt from after a restart: its event log, and what
// the log names but does not hold.
struct room_history {
  std::vector<v1::RoomEvent> events;
  // Round 1's scenario, and each later round's where the coach changed it.
  std::map<uint32_t, std::shared_ptr<const v1::Scenario>> scenarios;
  // Submitted scorecards by (round, rater id).
  std::map<std::pair<uint32_t, std::string>, v1::Scorecard> cards;
};

// What a room event names but does not hold.
struct event_refs {
  std::shared_ptr<const v1::Scenario> scenario;  // round_started: the round's, null for the same one
  const v1::Scorecard* card = nullptr;           // scorecard_submitted: the card as stored
};

class room {
 public:
  // target_level: what the candidate is practising for; unspecified takes
  // the scenario's lowest listed level. Logged, so a rebuild keeps it.
  room(std::string id, std::shared_ptr<const v1::Scenario> scenario, room_settings settings, int64_t now_ms,
       v1::Level target_level = v1::LEVEL_UNSPECIFIED);

  // The room as its log left it: each event applied in order, with the
  // same effect on the state it had when it was logged. Null if the
  // history is unusable (no events, no round 1 scenario, a phase or
  // participant the log names that is not there).
  static std::unique_ptr<room> rebuild(std::string id, room_settings settings, const room_history& history);
  // After a rebuild: the server was down from down_since_ms (its last sign
  // of life) to now_ms. The running clock resumes where it stood then, and
  // every seat is held for a fresh grace window until its owner is back.
  room_effects recover(int64_t down_since_ms, int64_t now_ms);

  const std::string& id() const { return id_; }
  const v1::Scenario& scenario() const { return *scenario_; }
  v1::Level target_level() const { return target_level_; }
  const room_settings& settings() const { return settings_; }
  v1::RoomStage stage() const { return stage_; }

  // user_hash: the SHA-256 (hex) of the joiner's user key, empty without
  // one; logged with the join so the round's debrief can be listed for them.
  room_effects join(const std::string& participant_id, const std::string& display_name, v1::Role role,
                    uint32_t request_id, int64_t now_ms, const std::string& user_hash = {});
  room_effects leave(const std::string& participant_id, int64_t now_ms);

  // The participant's last connection dropped: the seat is held, shown as
  // not connected, until reconnect() or reconnect_grace_ms passes (then
  // advance() releases it).
  room_effects disconnect(const std::string& participant_id, int64_t now_ms);
  // Back within the window. Nothing happens for an unknown participant.
  room_effects reconnect(const std::string& participant_id, int64_t now_ms);
  bool is_member(const std::string& participant_id) const { return find(participant_id) != nullptr; }

  // A room request (RoomControl, AskFollowUp, TickMarker, AddNote) from a
  // participant. Permission and state are checked here; a refused request
  // changes nothing.
  room_effects handle(const std::string& participant_id, const v1::ClientMessage& m, int64_t now_ms);
  // The same, taking what it keeps (a draft's card) from the request instead of copying it.
  room_effects handle(const std::string& participant_id, v1::ClientMessage&& m, int64_t now_ms);

  // Group coaching, by the coach: the next round with the same people, on
  // `scenario` (null: the same one). Allowed from the lobby, scoring or
  // closed; the clock, follow-ups, markers and notes start afresh, the
  // event log goes on.
  room_effects next_round(const std::string& participant_id, std::shared_ptr<const v1::Scenario> scenario,
                          uint32_t request_id, int64_t now_ms);

  // The scorecard in fx.to_persist is durable: record it, acknowledge it,
  // and reveal if it was the last one expected.
  room_effects commit_submit(const std::string& participant_id, const v1::Scorecard& card, uint32_t request_id,
                             int64_t now_ms);

  // The round's record, once revealed; and what its candidate receives.
  v1::DebriefRecord debrief_record(const std::string& debrief_id, v1::SessionType type, int64_t now_ms) const;
  // Participant id -> user hash, for everyone who ever joined with a key
  // (those who left too: their round still happened).
  const std::map<std::string, std::string>& user_hashes() const { return user_hashes_; }
  v1::CandidateDebrief candidate_debrief(const std::string& debrief_id) const;
  uint32_t round() const { return round_; }
  // This round's scorecards have been revealed (and its record is due).
  bool revealed() const;
  // The id this round's debrief record is stored under.
  std::string debrief_id() const { return id_ + "-" + std::to_string(round_); }

  // Time passes: ends phases whose deadline has come, fires follow-ups that
  // have come due.
  room_effects advance(int64_t now_ms);

  // When advance() next has something to do; nothing while paused or idle.
  std::optional<int64_t> next_wakeup_ms() const;
  // Whether a clock runs (or is paused) and ticks are wanted.
  bool has_clock() const;

  room_views views(int64_t now_ms) const;
  // A public change as of now: the room's version and clock.
  void stamp(v1::RoomChange& change, int64_t now_ms) const;
  v1::CandidateBriefing candidate_briefing() const;
  v1::StaffBriefing staff_briefing() const;
  // The briefing for a participant's role: the type decides what it holds.
  std::variant<v1::CandidateBriefing, v1::StaffBriefing> briefing_for(const std::string& participant_id) const;
  v1::Tick tick(int64_t now_ms) const;
  // The board as it stands: for a joiner, a resumed connection, a new round.
  v1::Board board_snapshot() const { return board_.snapshot(id_, round_); }
  // Whether `participant_id` may draw now (role, stage and sketch phases).
  bool can_draw(const std::string& participant_id) const;

  std::optional<v1::Role> role_of(const std::string& participant_id) const;
  std::string display_name(const std::string& participant_id) const;
  size_t participant_count() const { return participants_.size(); }
  const std::vector<v1::RoomEvent>& events() const { return events_; }

 private:
  struct participant {
    std::string id;
    std::string name;
    v1::Role role;
    bool connected = true;
    int64_t release_at_ms = 0;  // while disconnected: when the seat is released
  };

  room(std::string id, room_settings settings) : id_(std::move(id)), settings_(settings) {}

  // The one path by which the logged state changes, live and in a rebuild:
  // the event is applied, then appended to the log. False if it does not
  // fit the state (a corrupt or foreign log); nothing has changed then.
  // Drafts are the one state kept outside the log (save_scorecard).
  bool apply(v1::RoomEvent e, const event_refs& refs = {});
  // A new event from a live step: the next seq, its time and author.
  v1::RoomEvent event(int64_t at, const std::string& by) const;
  // Applies an event a live step has checked; it always fits.
  void emit(v1::RoomEvent e, const event_refs& refs = {});
  void enter_stage(v1::RoomStage stage, int64_t at, const std::string& by);  // a stage_entered event
  void apply_recovered(int64_t down_since, int64_t at);
  void start_phase(int index, int64_t at);
  std::vector<std::string> staff_ids() const;
  std::vector<std::string> note_readers(const participant& author) const;
  // The change for participant_id in fx, begun if there is none yet.
  v1::StaffRoomChange& change_for(room_effects& fx, const std::string& participant_id) const;
  // The public change in fx, begun if there is none yet.
  v1::RoomChange& public_change(room_effects& fx) const;
  room_effects public_ack(uint32_t request_id) const;
  // A card as stored: the rater's own, and a live card for each coach in to.
  void card_changed(room_effects& fx, v1::Scorecard card, const std::vector<std::string>& to) const;
  // Every staff member is told when a card changed who the reveal waits for.
  void expected_changed(room_effects& fx, const std::vector<std::string>& before) const;

  room_effects control(const participant& p, const v1::RoomControl& c, uint32_t request_id, int64_t now);
  room_effects ask(const participant& p, const v1::AskFollowUp& a, uint32_t request_id, int64_t now);
  room_effects tick_marker(const participant& p, const std::string& marker_id, uint32_t request_id, int64_t now);
  room_effects add_note(const participant& p, const std::string& text, uint32_t request_id, int64_t now);
  room_effects move_hot_seat(const participant& p, const std::string& to, uint32_t request_id, int64_t now);
  room_effects save_scorecard(const participant& p, v1::SaveScorecard s, uint32_t request_id, int64_t now);
  room_effects board_op(const participant& p, const v1::BoardOp& op, uint32_t request_id, int64_t now);
  std::optional<std::string> why_not_draw(const participant& p) const;
  void reveal(int64_t now, const std::string& by, room_effects& fx);
  void reveal_if_complete(int64_t now, room_effects& fx);
  std::vector<std::string> expected_raters() const;
  std::vector<v1::Scorecard> submitted_cards() const;
  // Readable lines from the event log; with staff_only false, without the
  // interviewer's own annotations (markers).
  std::vector<std::pair<std::string, bool>> timeline(bool include_staff_only) const;

  // Clock.
  bool running() const { return running_since_.has_value(); }
  int64_t phase_elapsed(int64_t now) const;
  int64_t interview_elapsed(int64_t now) const;
  int64_t deadline() const;
  void fold(int64_t at);  // moves running time into the *_used_ counters
  void end_current(int64_t at, room_effects& fx);
  v1::RoomClock clock(int64_t now) const;
  const std::string& current_phase_id() const;

  void fire_due(int64_t now, room_effects& fx);
  void release_expired(int64_t now, room_effects& fx);
  void begin_round(uint32_t round);
  std::optional<int64_t> due_at(const v1::FollowUp& f) const;
  bool move_due(const v1::FollowUp& f) const;
  struct script_wait {
    std::optional<int64_t> next;  // the soonest timed follow-up not yet asked
    bool move_ready = false;      // a follow-up on a ticked marker is waiting
  };
  const script_wait& waiting_script() const;
  void record_ask(const std::string& follow_up_id, const std::string& text, bool by_script, int64_t now,
                  const std::string& by, room_effects& fx);

  const participant* find(const std::string& id) const;
  bool seat_taken(v1::Role role) const;
  v1::RoomState public_state(int64_t now) const;
  uint64_t public_version() const;

  std::string id_;
  // A scenario reload never changes it; only the coach's next_round() does.
  std::shared_ptr<const v1::Scenario> scenario_;
  v1::Level target_level_ = v1::LEVEL_UNSPECIFIED;
  room_settings settings_;

  std::vector<participant> participants_;
  std::map<std::string, std::string> user_hashes_;
  v1::RoomStage stage_ = v1::ROOM_STAGE_LOBBY;
  int phase_index_ = -1;  // -1: briefing (or no phase)
  int64_t phase_budget_ms_ = 0;
  int64_t phase_used_ms_ = 0;
  int64_t interview_used_ms_ = 0;
  std::optional<int64_t> running_since_;
  bool paused_ = false;

  std::vector<v1::AskedFollowUp> asked_;
  std::set<std::string> asked_ids_;
  std::set<std::string> ticked_;
  // waiting_script()'s answer, for the log as long as this.
  mutable script_wait script_wait_;
  mutable size_t script_wait_events_ = SIZE_MAX;
  std::vector<v1::Note> notes_;
  size_t note_bytes_ = 0;
  std::map<std::string, v1::Scorecard> cards_;  // by rater id: drafts and submitted
  int64_t first_phase_ms_ = 0;
  std::vector<v1::RoomEvent> events_;
  // Logged events only staff can see (notes, markers, sealed submissions):
  // RoomState.version, derived from the log, does not count them, or a
  // candidate could count the interviewer's notes from the gaps.
  uint64_t private_events_ = 0;
  uint32_t round_ = 1;
  board board_;  // this round's; begin_round() clears it
};

// Whether a role sees staff material (rubric, script, notes).
bool is_staff(v1::Role role);

}  // namespace mockloop
