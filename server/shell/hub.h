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
#include <string>
#include <unordered_map>
#include <vector>

#include "mockloop/core/config.h"
#include "mockloop/core/metrics.h"
#include "mockloop/core/scenario_loader.h"

namespace mockloop {

class websocket_session;
class room_directory;
class matchmaking;
class store;

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
  void leave(const std::string& id);
  size_t session_count() const;

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
  std::shared_ptr<store> db;  // SQLite: scorecards, debriefs

  bool shutting_down() const { return shutting_down_.load(); }
  // True for the one caller that starts the shutdown.
  bool begin_shutdown() { return !shutting_down_.exchange(true); }

 private:
  const server_config config_;
  const std::chrono::steady_clock::time_point started_;
  mockloop::metrics metrics_;
  std::atomic<bool> shutting_down_{false};
  std::atomic<uint32_t> reserved_{0};

  mutable std::mutex scenarios_mutex_;
  std::shared_ptr<const scenario_library> scenarios_ = std::make_shared<scenario_library>();

  mutable std::mutex mutex_;
  std::unordered_map<std::string, std::weak_ptr<websocket_session>> sessions_;
};

}  // namespace mockloop
