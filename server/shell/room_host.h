// One live room in the shell: the core room on a strand of its own, the
// timer that wakes it (phase deadlines, scripted follow-ups, 1 Hz ticks),
// and the fan-out to its members' sessions. Everything the room sends is
// serialised once per encoding and handed to sessions outside any lock.
#pragma once

#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>

#include "mockloop/core/room.h"
#include "member.h"

namespace mockloop {

class room_directory;
class store;
class store_writer;

class room_host : public std::enable_shared_from_this<room_host> {
 public:
  room_host(boost::asio::any_io_executor strand, std::weak_ptr<room_directory> directory, std::string id,
            std::shared_ptr<const v1::Scenario> scenario, room_settings settings, std::shared_ptr<store> db,
            std::shared_ptr<store_writer> writer, v1::SessionType type, v1::Level target_level = v1::LEVEL_UNSPECIFIED);

  // A room rebuilt from the store after a restart (docs/rooms.md, "Restart
  // recovery"); start_recovered() then puts it back on its clock.
  room_host(boost::asio::any_io_executor strand, std::weak_ptr<room_directory> directory, room rebuilt,
            std::shared_ptr<store> db, std::shared_ptr<store_writer> writer, v1::SessionType type);

  const std::string& id() const { return id_; }

  // The server was down from down_since_ms: the room's clock resumes where
  // it stood, every seat is held for the grace window. On the strand.
  void start_recovered(int64_t down_since_ms);

  // All thread-safe: each posts to the room's strand. Sessions are named by
  // their session id; the room maps each to its participant, since one
  // participant may be connected from several devices.
  //
  // join: a user (user_id, the hashed user key) already seated here is
  // attached to their seat as one more connection instead of taking a
  // second one.
  void join(std::shared_ptr<member> s, std::string display_name, v1::Role role, std::string user_id,
            uint32_t request_id);
  // LeaveRoom: the connection goes; with the participant's last one, the seat.
  void leave(std::string session_id);
  // The connection dropped: with the participant's last one, the seat is
  // held for the grace window. `serial` names the connection, so a late
  // detach of a connection already replaced by a resumed one is ignored.
  void detach(std::string session_id, uint64_t serial);
  // A connection resumed session `s->id()`: it takes that session's place
  // and gets Joined, its briefing and the state as pushes.
  void resume(std::shared_ptr<member> s);
  void handle(std::shared_ptr<member> s, v1::ClientMessage m);
  void next_round(std::shared_ptr<member> s, std::shared_ptr<const v1::Scenario> scenario,
                  uint32_t request_id);
  // The server is stopping: the room takes no more requests, finishes what
  // it holds (a scorecard being saved, writes in flight, the frames waiting
  // for them), stays open in the store for the next start, and then calls
  // `done` (on the strand).
  void shutdown(std::function<void()> done);

  // Set before anyone joins: whoever holds one may read the debriefs.
  // SHA-256 hashes of the codes (a recovered room knows no more).
  void set_access_codes(std::vector<std::pair<std::string, v1::Role>> code_hashes) { codes_ = std::move(code_hashes); }

  // Called on the room's strand once the room reaches CLOSED; `forfeited`
  // when a peer mock ended because a seat was released. Set before anyone
  // joins.
  void set_on_closed(std::function<void(bool forfeited)> fn) { on_closed_ = std::move(fn); }
  // Runs fn with the core room on the room's strand (read-only).
  void inspect(std::function<void(const room&)> fn);

 private:
  void apply(room_effects&& fx, const std::string& requester, int64_t now);
  // To every connection of the participant but `skip_session` (one that
  // gets its own copy).
  void send_to(const std::string& participant_id, const v1::ServerMessage& m, const std::string& skip_session = {});
  void disarm();  // cancels the pending wait, so the next schedule() arms one
  void broadcast(const v1::ServerMessage& m, const std::vector<std::string>& participant_ids);
  void broadcast_all(const v1::ServerMessage& m, const std::string& skip_session = {});
  // The call's traffic (signals, who is in it) is not the room's record:
  // it goes out at once, never held behind the store (emit()).
  void handle_call(const std::shared_ptr<member>& s, const v1::ClientMessage& m);
  void leave_call(const std::string& session_id);
  void send_call_state();
  void sync_call_roles();
  v1::ServerMessage board_message() const;
  // Everything the room sends goes through these: out at once when every
  // event logged so far is in the store, else held until it is.
  void emit(const std::shared_ptr<member>& s, std::shared_ptr<const std::string> frame);
  void emit(const std::shared_ptr<member>& s, const v1::ServerMessage& m);
  void release(size_t upto);  // sends the held frames that needed no more than `upto` events
  // Starts a write of the events not yet stored (and the writes due with
  // them) unless one is in flight; on_written() lands it.
  void flush_writes();
  using due_writes = std::vector<std::function<bool(store&, std::string*)>>;
  void on_written(size_t upto, bool ok, const std::string& error, due_writes unwritten);
  void on_card_saved(const std::string& participant_id, const std::string& session_id, const v1::Scorecard& card,
                     uint32_t request_id, bool ok, const std::string& error);
  void finish_shutdown_if_idle();
  void schedule(int64_t now);
  void on_timer(boost::system::error_code ec);
  void dispose_if_empty();
  void attach(const std::shared_ptr<member>& s, const std::string& pid, uint32_t request_id, int64_t now);
  const std::string* participant_of(const std::string& session_id) const;
  v1::ServerMessage briefing_message(const std::string& pid) const;
  bool has_connection(const std::string& pid) const;
  void save_submission(room_effects& fx, const std::string& participant_id, const std::string& session_id);
  void write_debrief(int64_t now);
  v1::ServerMessage candidate_debrief_message() const;
  void close_in_store();

  boost::asio::any_io_executor strand_;
  std::weak_ptr<room_directory> directory_;
  std::string id_;
  room core_;
  call_roster call_;  // ephemeral: a connection's place in the call ends with it
  struct connection {
    std::string participant_id;
    std::weak_ptr<member> session;
    uint64_t serial = 0;
  };
  std::unordered_map<std::string, connection> conns_;   // by session id
  std::unordered_map<std::string, std::string> users_;  // participant id -> user id
  std::unordered_map<std::string, std::string> held_;   // dropped session id -> participant id
  boost::asio::steady_timer timer_;
  int64_t next_tick_ms_ = 0;
  int64_t armed_ms_ = 0;  // when the pending wait ends (room clock), 0 if none
  bool disposed_ = false;
  std::function<void(bool)> on_closed_;
  std::shared_ptr<store> db_;  // read, and written at recovery only; writes go through writer_
  std::shared_ptr<store_writer> writer_;
  v1::SessionType type_;
  std::vector<std::pair<std::string, v1::Role>> codes_;  // (SHA-256 of the code, role)
  size_t durable_events_ = 0;                            // the core's events already in the store
  bool writing_ = false;                                 // one write of this room's in flight at a time
  // Raters whose submission is being made durable: a second one from them
  // (another device, a double click) waits for the first to land.
  std::vector<std::string> submitting_;
  // Written with the next events, all or nothing: a round's record, a later
  // round's scenario, the closed mark.
  due_writes due_writes_;
  // Frames held until the events logged before them are durable: what a
  // client was told survives a crash.
  struct held {
    size_t needs;  // events that must be stored first
    std::weak_ptr<member> to;
    std::shared_ptr<const std::string> frame;
  };
  std::deque<held> outbox_;
  bool closed_in_store_ = false;
  std::function<void()> on_stopped_;  // set by shutdown() until the room is idle
};

}  // namespace mockloop
