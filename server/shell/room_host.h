// One live room in the shell: the core room on a strand of its own, the
// timer that wakes it (phase deadlines, scripted follow-ups, 1 Hz ticks),
// and the fan-out to its members' sessions. Everything the room sends is
// serialised once per encoding and handed to sessions outside any lock.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>

#include "mockloop/core/room.h"

namespace mockloop {

class websocket_session;
class room_directory;
class store;

class room_host : public std::enable_shared_from_this<room_host> {
 public:
  room_host(boost::asio::any_io_executor strand, std::weak_ptr<room_directory> directory, std::string id,
            std::shared_ptr<const v1::Scenario> scenario, room_settings settings, std::shared_ptr<store> db,
            v1::SessionType type);

  const std::string& id() const { return id_; }

  // All thread-safe: each posts to the room's strand.
  void join(std::shared_ptr<websocket_session> s, std::string display_name, v1::Role role, uint32_t request_id);
  void leave(std::string participant_id);
  void handle(std::string participant_id, v1::ClientMessage m);
  void next_round(std::string participant_id, std::shared_ptr<const v1::Scenario> scenario, uint32_t request_id);
  void shutdown();  // cancels the timer; the server is stopping

  // Set before anyone joins: whoever holds one may read the debriefs.
  void set_access_codes(std::vector<v1::JoinCode> codes) { codes_ = std::move(codes); }

  // Called on the room's strand once the room reaches CLOSED. Set before
  // anyone joins.
  void set_on_closed(std::function<void()> fn) { on_closed_ = std::move(fn); }
  // Runs fn with the core room on the room's strand (read-only).
  void inspect(std::function<void(const room&)> fn);

 private:
  void apply(const room_effects& fx, const std::string& requester, int64_t now);
  void send_to(const std::string& participant_id, const v1::ServerMessage& m);
  void broadcast(const v1::ServerMessage& m, const std::vector<std::string>& participant_ids);
  void schedule(int64_t now);
  void on_timer(boost::system::error_code ec);
  void dispose_if_empty();
  void persist_submission(room_effects& fx, const std::string& participant_id, int64_t now);
  void write_debrief(int64_t now, const std::vector<std::string>& candidates);

  boost::asio::any_io_executor strand_;
  std::weak_ptr<room_directory> directory_;
  std::string id_;
  room core_;
  std::unordered_map<std::string, std::weak_ptr<websocket_session>> members_;
  boost::asio::steady_timer timer_;
  int64_t next_tick_ms_ = 0;
  bool disposed_ = false;
  std::function<void()> on_closed_;
  std::shared_ptr<store> db_;
  v1::SessionType type_;
  std::vector<v1::JoinCode> codes_;
};

}  // namespace mockloop
