// The terminal client's session: one connection to the server, the state
// of the room (or queue, or committee) it is in, the commands people type,
// and every message from the server rendered as a readable line.
//
// Built on the blocking client library: every message goes through one
// loop (request(), wait_until(), pump()) that takes messages in arrival
// order and renders each, so nothing the server pushes is skipped or shown
// out of order, whatever command is running.
#pragma once

#include <chrono>
#include <csignal>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "mockloop/client.h"
#include "words.h"

namespace mockloop {
class board;
}

namespace mockloop::cli {

struct console_options {
  client_options connection;  // host, port, path, encoding, request deadline
  std::string display_name;
  std::string user_key;
  std::chrono::milliseconds wait_timeout{60'000};  // for `wait` without its own
  bool auto_join = true;                           // `wait matched` (and a match in interactive mode) joins at once
};

enum class status {
  ok,
  failed,        // the server refused (Error) or the command was malformed
  timed_out,     // a wait, or a reply, did not come in time
  disconnected,  // the connection is gone
  quit,
};

struct outcome {
  status kind = status::ok;
  std::string message;
};

class console {
 public:
  using sink = std::function<void(std::string_view)>;

  // `print` takes readable lines; `json`, when set, every server message as
  // one line of canonical JSON.
  console(console_options opts, sink print, sink json = {});
  ~console();

  // Connects and says Hello, presenting the resume token when one is held
  // (after a drop); reports whether the server resumed the session.
  outcome connect();
  // Drops the connection without a close frame and connects again with the
  // resume token, as after a network failure.
  outcome reconnect();
  bool connected() const;
  const std::string& lost_reason() const { return lost_reason_; }
  void close();

  // Runs one command line.
  outcome execute(std::string_view line);
  // Takes and renders what arrives within `budget`; in interactive mode,
  // also joins a match when auto_join is set. Marks the connection lost on
  // a drop (see connected()).
  void pump(std::chrono::milliseconds budget, bool interactive = false);

  // A one-line summary for the live status line: where we are, the clock.
  std::string status_line() const;
  std::string help_text() const;

  std::optional<std::string> variable(std::string_view name) const;
  bool interactive = false;  // set by the interactive loop: changes a few hints
  // Set from a signal handler (Ctrl-C): a running `wait` or `sleep` stops.
  const volatile std::sig_atomic_t* interrupted = nullptr;

 private:
  struct command;
  using args = std::vector<word>;

  // ---- the message loop
  result<v1::ServerMessage> request(v1::ClientMessage m);
  outcome simple(v1::ClientMessage m);  // request expecting Ack (or any non-error reply)
  outcome wait_until(const std::function<bool()>& done, const std::string& what, std::chrono::milliseconds timeout);
  void handle(const v1::ServerMessage& m, bool is_reply);
  outcome lost(const client_error& e);

  // ---- rendering and state
  void say(const std::string& line);
  void on_joined(const v1::Joined& j);
  void on_room(const v1::RoomState& r, const v1::StaffRoomState* staff);
  // A private change to our last staff view: printed as it comes, then applied.
  void on_staff_change(const v1::StaffRoomChange& c);
  void on_room_change(const v1::RoomChange& c);
  void on_clock(const v1::RoomClock& c, bool from_tick);
  void on_debrief(const v1::CandidateDebrief& d);
  void on_committee(const v1::CommitteeState& s);
  void show_candidate_briefing(const v1::CandidateBriefing& b);
  void show_staff_briefing(const v1::StaffBriefing& b);
  void show_code(const v1::CandidateBrief& brief);
  static std::string level_reading(const v1::LevelVerdict& v);
  v1::Level target_level() const { return room_ ? room_->target_level() : v1::LEVEL_UNSPECIFIED; }
  void show_scorecards(const google::protobuf::RepeatedPtrField<v1::Scorecard>& cards, const v1::Aggregation& agg);
  void show_state();
  void reset_room();
  std::string participant_name(const std::string& id) const;
  std::string phase_name(const std::string& phase_id) const;
  int phase_count() const;
  std::string dimension_name(const std::string& id) const;

  // ---- commands
  outcome cmd_help(const args&);
  outcome cmd_quit(const args&);
  outcome cmd_queue(const args&);
  outcome cmd_invite(const args&);
  outcome cmd_partner(const args&);
  outcome cmd_cancel(const args&);
  outcome cmd_book(const args&);
  outcome cmd_bookings(const args&);
  outcome cmd_checkin(const args&);
  outcome cmd_mocks(const args&);
  outcome cmd_rate(const args&);
  outcome cmd_unbook(const args&);
  outcome booking_request(v1::ClientMessage m);
  std::string booking_line(const v1::Booking& b) const;
  void show_bookings(const v1::Bookings& b);
  void show_my_mocks(const v1::MyMocks& mm);
  outcome cmd_scenarios(const args&);
  outcome cmd_create(const args&);
  outcome cmd_join(const args&);
  outcome cmd_leave(const args&);
  outcome cmd_control(const args&);
  outcome cmd_ask(const args&);
  outcome cmd_mark(const args&);
  outcome cmd_note(const args&);
  outcome cmd_score(const args&);
  outcome cmd_recommend(const args&);
  outcome cmd_summary(const args&);
  outcome cmd_submit(const args&);
  outcome cmd_hotseat(const args&);
  outcome cmd_next(const args&);
  outcome cmd_committee(const args&);
  outcome cmd_vote(const args&);
  outcome cmd_decide(const args&);
  outcome cmd_rubric(const args&);
  outcome cmd_script(const args&);
  outcome cmd_state(const args&);
  outcome cmd_brief(const args&);
  outcome cmd_debrief(const args&);
  outcome cmd_whoami(const args&);
  outcome cmd_board(const args&);
  outcome cmd_draw(const args&);
  void on_board_op(const v1::BoardOp& op);
  outcome cmd_wait(const args&);
  outcome cmd_sleep(const args&);
  outcome cmd_ping(const args&);
  outcome cmd_reconnect(const args&);
  outcome cmd_set(const args&);
  outcome cmd_print(const args&);
  outcome save_card(const v1::Scorecard& card, bool submit);
  outcome room_state_arrived(std::chrono::milliseconds timeout);
  outcome join_code(const std::string& code);
  static const std::vector<command>& commands();

  console_options opts_;
  sink print_, json_;
  std::unique_ptr<client> client_;
  bool lost_ = false;
  std::chrono::steady_clock::time_point last_send_{};  // of the last request's last attempt
  std::string lost_reason_;

  // the session
  std::string session_id_, resume_token_;
  std::map<std::string, std::string, std::less<>> vars_;
  std::map<std::string, uint64_t> arrivals_;  // per message type (ServerMessage field name)
  std::map<std::string, uint64_t> consumed_;  // per `wait` event: arrivals already waited for

  // the room
  std::string room_id_, participant_id_;
  v1::Role role_ = v1::ROLE_UNSPECIFIED;
  std::optional<v1::CandidateBriefing> candidate_briefing_;
  std::optional<v1::StaffBriefing> staff_briefing_;
  std::optional<v1::RoomState> room_;
  std::optional<v1::StaffRoomState> staff_;
  std::optional<v1::RoomClock> clock_;
  std::chrono::steady_clock::time_point clock_at_{};
  std::set<std::string> reached_;                // stages and phase ids this round has reached
  std::map<std::string, v1::Participant> seen_;  // everyone seen in this room since we joined, by id
  size_t followups_waited_ = 0;                  // asked follow-ups accounted for by `wait followup`
  std::optional<v1::CandidateDebrief> debrief_;
  v1::Scorecard card_;                      // this rater's card as typed so far
  std::unique_ptr<mockloop::board> board_;  // the room's board as the server ordered it
  std::string call_line_;                   // who is in the call, as last shown

  // matchmaking and committees
  bool queued_ = false;
  std::optional<v1::QueueStatus> queue_;
  std::optional<v1::MatchFound> match_;
  bool join_pending_ = false;  // interactive auto-join of match_
  std::optional<v1::CommitteeState> committee_;
  std::optional<v1::CommitteePacket> packet_;
};

}  // namespace mockloop::cli
