// Shared state of the shell (Beast's chat-multi "shared_state"): the
// config, the counters, and the registry of live WebSocket sessions.
// Sessions register weak pointers; anything that fans out copies the
// pointers under the lock and sends outside it.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "mockloop/core/config.h"
#include "mockloop/core/metrics.h"
#include "mockloop/core/rate_limiter.h"
#include "mockloop/core/scenario_loader.h"
#include "member.h"

namespace mockloop {

class websocket_session;
class room_host;
class room_directory;
class matchmaking;
class scheduling;
class store;
class store_writer;

class hub {
 public:
  explicit hub(server_config cfg) : config_(std::move(cfg)), started_(std::chrono::steady_clock::now()) {}

  const server_config& config() const { return config_; }
  mockloop::metrics& metrics() { return metrics_; }
  double uptime_seconds() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
  }

  // False once shutdown began or when the session limit is reached.
  bool try_reserve_session();
  void release_reservation();

  void join(const std::string& id, const std::weak_ptr<websocket_session>& s);
  // Forgets `id` unless a live session (one that resumed it) holds it now.
  void leave(const std::string& id);
  size_t session_count() const;
  std::shared_ptr<member> find(const std::string& id) const;

  // Connections per client address. False when `ip` is at
  // max_connections_per_ip (0: no limit); otherwise counts one more.
  bool try_add_ip(const std::string& ip);
  void remove_ip(const std::string& ip);
  // One message from `ip`: false when over messages_per_second_per_ip.
  bool allow_ip_message(const std::string& ip);

  // Resume tokens, kept as SHA-256 hashes. A live session's entry points at
  // it; when a session with a room ends, its entry holds the room for the
  // grace window so a new connection can take the session over.
  struct resume_entry {
    std::string session_id;
    std::weak_ptr<websocket_session> live;
    std::weak_ptr<room_host> room;
    int64_t expires_ms = 0;  // 0 while the session is live
    // A resumed session's client may never have received the Welcome with
    // its new token (the connection or the server died first), so the token
    // it resumed with stays valid beside the new one. Each names the other;
    // whichever is used next retires both.
    std::string sibling;
  };
  // Registers e under token_hash, and under e.sibling too when set.
  void register_resume(const std::string& token_hash, resume_entry e);
  // These three act on the entry and its sibling.
  void hold_resume(const std::string& token_hash, std::weak_ptr<room_host> room, int64_t expires_ms, int64_t now_ms);
  void drop_resume(const std::string& token_hash);
  void update_resume_room(const std::string& token_hash, std::weak_ptr<room_host> room);
  // A resumed session takes over id `to` from its provisional id `from`.
  void rekey(const std::string& from, const std::string& to, const std::weak_ptr<websocket_session>& s);
  // Takes (removes) the entry and its sibling, unless its window has
  // closed. A live entry is taken even when its session is already being
  // destroyed: that session's hold on the seat is moments away.
  std::optional<resume_entry> take_resume(const std::string& token_hash, int64_t now_ms);
  // Dropped sessions whose window is still open.
  size_t held_resumes(int64_t now_ms) const;

  uint64_t next_serial() { return serial_.fetch_add(1) + 1; }

  // Strong references to every live session, taken under the lock, so the
  // caller can act on them without holding it.
  std::vector<std::shared_ptr<websocket_session>> sessions() const;

  // The scenario library; replaced whole on reload (SIGHUP). Rooms keep
  // the scenario they started with.
  std::shared_ptr<const scenario_library> scenarios() const;
  void set_scenarios(std::shared_ptr<const scenario_library> lib);

  // Set once by the server before it accepts connections.
  std::shared_ptr<room_directory> rooms;
  std::shared_ptr<mockloop::matchmaking> matching;
  std::shared_ptr<scheduling> schedule;  // scheduled mocks
  std::shared_ptr<store> db;  // SQLite: scorecards, debriefs
  std::shared_ptr<store_writer> writer;  // db's writes off the I/O threads, group-committed

  bool shutting_down() const { return shutting_down_.load(); }
  // True for the one caller that starts the shutdown.
  bool begin_shutdown() { return !shutting_down_.exchange(true); }

 private:
  const server_config config_;
  const std::chrono::steady_clock::time_point started_;
  mockloop::metrics metrics_;
  std::atomic<bool> shutting_down_{false};
  std::atomic<uint32_t> reserved_{0};
  std::atomic<uint64_t> serial_{0};

  mutable std::mutex scenarios_mutex_;
  std::shared_ptr<const scenario_library> scenarios_ = std::make_shared<scenario_library>();

  mutable std::mutex mutex_;
  std::unordered_map<std::string, std::weak_ptr<websocket_session>> sessions_;
  struct ip_state {
    uint32_t connections = 0;
    std::optional<rate_limiter> messages;  // shared by the address's connections
  };
  std::unordered_map<std::string, ip_state> per_ip_;
  std::unordered_map<std::string, resume_entry> resume_;
  // fn(iterator) for token_hash's entry, then for its sibling's; under mutex_.
  template <typename Fn>
  void for_entry_and_sibling(const std::string& token_hash, Fn&& fn);
  int64_t next_sweep_ms_ = 0;
};

}  // namespace mockloop
