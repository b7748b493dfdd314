#include "hub.h"

namespace mockloop {

bool hub::try_reserve_session() {
  if (shutting_down()) return false;
  auto n = reserved_.load();
  do {
    if (n >= config_.max_connections) return false;
  } while (!reserved_.compare_exchange_weak(n, n + 1));
  return true;
}

void hub::release_reservation() { reserved_.fetch_sub(1); }

void hub::join(const std::string& id, const std::weak_ptr<websocket_session>& s) {
  std::lock_guard lock(mutex_);
  sessions_[id] = s;
}

void hub::leave(const std::string& id) {
  std::lock_guard lock(mutex_);
  sessions_.erase(id);
}

std::shared_ptr<const scenario_library> hub::scenarios() const {
  std::lock_guard lock(scenarios_mutex_);
  return scenarios_;
}

void hub::set_scenarios(std::shared_ptr<const scenario_library> lib) {
  std::lock_guard lock(scenarios_mutex_);
  scenarios_ = std::move(lib);
}

size_t hub::session_count() const {
  std::lock_guard lock(mutex_);
  return sessions_.size();
}

std::vector<std::shared_ptr<websocket_session>> hub::sessions() const {
  std::vector<std::shared_ptr<websocket_session>> out;
  std::lock_guard lock(mutex_);
  out.reserve(sessions_.size());
  for (const auto& [id, weak] : sessions_)
    if (auto s = weak.lock()) out.push_back(std::move(s));
  return out;
}

}  // namespace mockloop
