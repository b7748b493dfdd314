#include "hub.h"

#include <algorithm>

#include "websocket_session.h"

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
  // A session that was resumed elsewhere shares its id with the new one.
  if (const auto it = sessions_.find(id); it != sessions_.end() && it->second.expired()) sessions_.erase(it);
}

std::shared_ptr<member> hub::find(const std::string& id) const {
  std::lock_guard lock(mutex_);
  const auto it = sessions_.find(id);
  if (it == sessions_.end()) return nullptr;
  return it->second.lock();
}

bool hub::try_add_ip(const std::string& ip) {
  std::lock_guard lock(mutex_);
  auto& st = per_ip_[ip];
  if (config_.max_connections_per_ip && st.connections >= config_.max_connections_per_ip) return false;
  ++st.connections;
  return true;
}

void hub::remove_ip(const std::string& ip) {
  std::lock_guard lock(mutex_);
  const auto it = per_ip_.find(ip);
  if (it != per_ip_.end() && --it->second.connections == 0) per_ip_.erase(it);
}

bool hub::allow_ip_message(const std::string& ip) {
  const auto rate = config_.messages_per_second_per_ip;
  if (rate == 0) return true;
  const auto now = std::chrono::steady_clock::now();
  std::lock_guard lock(mutex_);
  auto& st = per_ip_[ip];
  if (!st.messages) st.messages.emplace(rate, rate, now);
  return st.messages->allow(now);
}

void hub::register_resume(const std::string& token_hash, resume_entry e) {
  std::lock_guard lock(mutex_);
  if (!e.sibling.empty()) {
    auto twin = e;
    twin.sibling = token_hash;
    resume_[e.sibling] = std::move(twin);
  }
  resume_[token_hash] = std::move(e);
}

template <typename Fn>
void hub::for_entry_and_sibling(const std::string& token_hash, Fn&& fn) {
  const auto it = resume_.find(token_hash);
  if (it == resume_.end()) return;
  const auto sibling = it->second.sibling;
  fn(it);
  if (sibling.empty()) return;
  if (const auto twin = resume_.find(sibling); twin != resume_.end() && twin->second.sibling == token_hash) fn(twin);
}

void hub::hold_resume(const std::string& token_hash, std::weak_ptr<room_host> room, int64_t expires_ms,
                      int64_t now_ms) {
  std::lock_guard lock(mutex_);
  // Windows that closed unused are swept now and then, not on a timer.
  if (now_ms >= next_sweep_ms_) {
    std::erase_if(resume_, [&](const auto& kv) { return kv.second.expires_ms && kv.second.expires_ms <= now_ms; });
    next_sweep_ms_ = now_ms + 10'000;
  }
  for_entry_and_sibling(token_hash, [&](auto it) {
    it->second.live.reset();
    it->second.room = room;
    it->second.expires_ms = expires_ms;
  });
}

void hub::update_resume_room(const std::string& token_hash, std::weak_ptr<room_host> room) {
  std::lock_guard lock(mutex_);
  for_entry_and_sibling(token_hash, [&](auto it) { it->second.room = room; });
}

void hub::rekey(const std::string& from, const std::string& to, const std::weak_ptr<websocket_session>& s) {
  std::lock_guard lock(mutex_);
  sessions_.erase(from);
  sessions_[to] = s;
}

void hub::drop_resume(const std::string& token_hash) {
  std::lock_guard lock(mutex_);
  std::vector<std::unordered_map<std::string, resume_entry>::iterator> gone;
  for_entry_and_sibling(token_hash, [&](auto it) { gone.push_back(it); });
  for (auto it : gone) resume_.erase(it);
}

std::optional<hub::resume_entry> hub::take_resume(const std::string& token_hash, int64_t now_ms) {
  std::lock_guard lock(mutex_);
  std::optional<resume_entry> taken;
  std::vector<std::unordered_map<std::string, resume_entry>::iterator> gone;
  for_entry_and_sibling(token_hash, [&](auto it) {
    if (!taken) taken = it->second;  // the entry itself comes first
    gone.push_back(it);
  });
  for (auto it : gone) resume_.erase(it);
  if (!taken || (taken->expires_ms != 0 && taken->expires_ms <= now_ms)) return std::nullopt;
  return taken;
}

size_t hub::held_resumes(int64_t now_ms) const {
  std::lock_guard lock(mutex_);
  // A pair of sibling tokens holds one seat: counted once.
  return static_cast<size_t>(std::count_if(resume_.begin(), resume_.end(), [&](const auto& kv) {
    return kv.second.expires_ms > now_ms && (kv.second.sibling.empty() || kv.first < kv.second.sibling);
  }));
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
