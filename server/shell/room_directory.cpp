#include "room_directory.h"

#include <boost/asio/strand.hpp>

#include "random.h"
#include "room_host.h"

namespace mockloop {

room_directory::created room_directory::create(std::shared_ptr<const v1::Scenario> scenario, v1::SessionType type) {
  created out;
  const auto id = random_hex(8);
  out.host = std::make_shared<room_host>(boost::asio::make_strand(io_), weak_from_this(), id, std::move(scenario),
                                         settings_, db_, type);
  for (auto role : {v1::ROLE_CANDIDATE, v1::ROLE_INTERVIEWER, v1::ROLE_OBSERVER, v1::ROLE_COACH}) {
    auto& c = out.codes.emplace_back();
    c.set_role(role);
    c.set_code(random_hex(16));  // 128 bits: unguessable, so holding it is the permission
  }
  out.host->set_access_codes(out.codes);  // the same codes open the room's debriefs
  std::lock_guard lock(mutex_);
  rooms_.emplace(id, out.host);
  for (const auto& c : out.codes) codes_.emplace(c.code(), std::make_pair(id, c.role()));
  return out;
}

std::optional<room_directory::found> room_directory::find_by_code(const std::string& code) const {
  std::lock_guard lock(mutex_);
  const auto c = codes_.find(code);
  if (c == codes_.end()) return std::nullopt;
  const auto r = rooms_.find(c->second.first);
  if (r == rooms_.end()) return std::nullopt;
  return found{r->second, c->second.second};
}

void room_directory::remove(const std::string& room_id) {
  std::shared_ptr<room_host> gone;  // destroyed outside the lock
  std::lock_guard lock(mutex_);
  const auto it = rooms_.find(room_id);
  if (it == rooms_.end()) return;
  gone = std::move(it->second);
  rooms_.erase(it);
  std::erase_if(codes_, [&](const auto& kv) { return kv.second.first == room_id; });
}

void room_directory::clear() {
  decltype(rooms_) gone;  // destroyed outside the lock
  std::lock_guard lock(mutex_);
  gone.swap(rooms_);
  codes_.clear();
}

size_t room_directory::size() const {
  std::lock_guard lock(mutex_);
  return rooms_.size();
}

std::vector<std::shared_ptr<room_host>> room_directory::rooms() const {
  std::lock_guard lock(mutex_);
  std::vector<std::shared_ptr<room_host>> out;
  for (const auto& [id, host] : rooms_) out.push_back(host);
  return out;
}

}  // namespace mockloop
