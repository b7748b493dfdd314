#include "room_directory.h"

#include <boost/asio/strand.hpp>

#include <spdlog/spdlog.h>

#include "clock.h"
#include "committee_host.h"
#include "random.h"
#include "room_host.h"
#include "sha256.h"
#include "store.h"
#include "store_writer.h"

namespace mockloop {
namespace {

std::string code_hash(const std::string& code) {
  const auto d = sha256(code);
  return std::string(d.begin(), d.end());
}

}  // namespace

room_directory::created room_directory::create(std::shared_ptr<const v1::Scenario> scenario, v1::SessionType type,
                                               const std::string& creator, v1::Level target_level,
                                               std::function<void()> stored) {
  created out;
  if (!creator.empty()) {
    std::lock_guard lock(mutex_);
    if (by_creator_[creator] >= max_per_creator_) return out;
  }
  const auto id = random_hex(8);
  const auto& sc = *scenario;
  out.host = std::make_shared<room_host>(boost::asio::make_strand(io_), weak_from_this(), id, scenario,
                                         settings_for(type), db_, writer_, type, target_level);
  std::vector<std::pair<std::string, v1::Role>> hashes;
  for (auto role : {v1::ROLE_CANDIDATE, v1::ROLE_INTERVIEWER, v1::ROLE_OBSERVER, v1::ROLE_COACH}) {
    auto& c = out.codes.emplace_back();
    c.set_role(role);
    c.set_code(random_hex(16));  // 128 bits: unguessable, so holding it is the permission
    hashes.emplace_back(code_hash(c.code()), role);
  }
  out.host->set_access_codes(hashes);  // the same codes open the room's debriefs
  // Durable before any code is out, so the room can be rebuilt after a
  // crash. Without it the room still runs, just not past a crash. On the
  // store's thread, ahead of the room's own event writes (the writer keeps
  // the order), so an I/O thread never waits on the disk.
  if (writer_) {
    writer_->submit(
        [id, type, at = monotonic_unix_ms(), scenario, codes = out.codes](store& db, std::string* err) {
          return db.create_room(id, type, at, *scenario, codes, err);
        },
        [id, stored = std::move(stored)](bool ok, const std::string& err) {
          if (!ok) spdlog::error("[room {}] not stored; it will not survive a restart: {}", id, err);
          if (stored) stored();
        });
  } else {
    std::string err;
    if (db_ && !db_->create_room(id, type, monotonic_unix_ms(), sc, out.codes, &err))
      spdlog::error("[room {}] not stored; it will not survive a restart: {}", id, err);
    if (stored) stored();
  }
  std::lock_guard lock(mutex_);
  rooms_.emplace(id, out.host);
  for (const auto& [hash, role] : hashes) codes_.emplace(hash, std::make_pair(id, role));
  if (!creator.empty()) {
    ++by_creator_[creator];
    creator_of_[id] = creator;
  }
  return out;
}

room_settings room_directory::settings_for(v1::SessionType type) const {
  auto settings = settings_;
  settings.forfeit_on_release = type == v1::SESSION_TYPE_PEER_MOCK;
  settings.call.coaching = type == v1::SESSION_TYPE_GROUP_COACHING;
  return settings;
}

std::shared_ptr<room_host> room_directory::adopt(const std::string& room_id, v1::SessionType type,
                                                 const room_history& history,
                                                 std::vector<std::pair<std::string, v1::Role>> code_hashes) {
  auto core = room::rebuild(room_id, settings_for(type), history);
  if (!core) return nullptr;
  auto host = std::make_shared<room_host>(boost::asio::make_strand(io_), weak_from_this(), std::move(*core), db_,
                                          writer_, type);
  host->set_access_codes(code_hashes);
  std::lock_guard lock(mutex_);
  rooms_.emplace(room_id, host);
  for (auto& [hash, role] : code_hashes) codes_.emplace(std::move(hash), std::make_pair(room_id, role));
  return host;
}

std::optional<room_directory::found> room_directory::find_by_code(const std::string& code) const {
  const auto hash = code_hash(code);
  std::lock_guard lock(mutex_);
  const auto c = codes_.find(hash);
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
  forget_creator(room_id);
}

void room_directory::clear() {
  decltype(rooms_) gone;  // destroyed outside the lock
  decltype(committees_) gone_committees;
  std::lock_guard lock(mutex_);
  gone.swap(rooms_);
  gone_committees.swap(committees_);
  codes_.clear();
  committee_codes_.clear();
  by_creator_.clear();
  creator_of_.clear();
}

room_directory::created_committee room_directory::create_committee(
    std::vector<v1::DebriefRecord> packet, const std::string& creator, std::shared_ptr<const v1::ExamplePacket> example) {
  created_committee out;
  {
    std::lock_guard lock(mutex_);
    if (by_creator_[creator] >= max_per_creator_) return out;
  }
  const auto id = "c" + random_hex(8);
  out.host = std::make_shared<committee_host>(boost::asio::make_strand(io_), weak_from_this(), id, std::move(packet),
                                              writer_, std::move(example));
  out.member_code = random_hex(16);
  out.chair_code = random_hex(16);
  // Members read the record as staff; the chair's code opens it too.
  out.host->set_access_codes({{out.member_code, v1::ROLE_OBSERVER}, {out.chair_code, v1::ROLE_COACH}});
  std::lock_guard lock(mutex_);
  committees_.emplace(id, out.host);
  committee_codes_.emplace(out.member_code, std::make_pair(id, false));
  committee_codes_.emplace(out.chair_code, std::make_pair(id, true));
  ++by_creator_[creator];
  creator_of_[id] = creator;
  return out;
}

std::optional<room_directory::found_committee> room_directory::find_committee_by_code(const std::string& code) const {
  std::lock_guard lock(mutex_);
  const auto c = committee_codes_.find(code);
  if (c == committee_codes_.end()) return std::nullopt;
  const auto h = committees_.find(c->second.first);
  if (h == committees_.end()) return std::nullopt;
  return found_committee{h->second, c->second.second};
}

void room_directory::remove_committee(const std::string& id) {
  std::shared_ptr<committee_host> gone;
  std::lock_guard lock(mutex_);
  const auto it = committees_.find(id);
  if (it == committees_.end()) return;
  gone = std::move(it->second);
  committees_.erase(it);
  std::erase_if(committee_codes_, [&](const auto& kv) { return kv.second.first == id; });
  forget_creator(id);
}

// Under the lock.
void room_directory::forget_creator(const std::string& id) {
  const auto it = creator_of_.find(id);
  if (it == creator_of_.end()) return;
  if (const auto c = by_creator_.find(it->second); c != by_creator_.end() && --c->second == 0) by_creator_.erase(c);
  creator_of_.erase(it);
}

size_t room_directory::size() const {
  std::lock_guard lock(mutex_);
  return rooms_.size() + committees_.size();
}

std::vector<std::shared_ptr<room_host>> room_directory::rooms() const {
  std::lock_guard lock(mutex_);
  std::vector<std::shared_ptr<room_host>> out;
  for (const auto& [id, host] : rooms_) out.push_back(host);
  return out;
}

}  // namespace mockloop
