// The rooms of this server and their join codes. Creating and finding
// rooms takes a short lock; everything inside a room runs on its strand.
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include <boost/asio/any_io_executor.hpp>

#include "mockloop/core/room.h"

namespace mockloop {

class room_host;
class committee_host;
class store;
class store_writer;

class room_directory : public std::enable_shared_from_this<room_directory> {
 public:
  room_directory(boost::asio::any_io_executor io, room_settings settings, std::shared_ptr<store> db,
                 std::shared_ptr<store_writer> writer, uint32_t max_per_creator)
      : io_(std::move(io)),
        settings_(settings),
        db_(std::move(db)),
        writer_(std::move(writer)),
        max_per_creator_(max_per_creator) {}

  struct created {
    std::shared_ptr<room_host> host;
    std::vector<v1::JoinCode> codes;
  };
  // `creator`: the user opening it, held to max_per_creator rooms and
  // committees at once (host is null beyond); empty for the matchmaker.
  // `stored` runs (on the store's thread) once the room and its codes are
  // durable, or their write failed (logged): hand the codes out from it.
  created create(std::shared_ptr<const v1::Scenario> scenario, v1::SessionType type, const std::string& creator = {},
                 v1::Level target_level = v1::LEVEL_UNSPECIFIED, std::function<void()> stored = {});

  struct found {
    std::shared_ptr<room_host> host;
    v1::Role role;
  };
  std::optional<found> find_by_code(const std::string& code) const;

  // A room rebuilt from the store after a restart, with its codes' hashes;
  // null (and nothing registered) if its history does not replay. The
  // caller then starts it (room_host::start_recovered).
  std::shared_ptr<room_host> adopt(const std::string& room_id, v1::SessionType type, const room_history& history,
                                   std::vector<std::pair<std::string, v1::Role>> code_hashes);

  void remove(const std::string& room_id);

  struct created_committee {
    std::shared_ptr<committee_host> host;
    std::string member_code, chair_code;
  };
  created_committee create_committee(std::vector<v1::DebriefRecord> packet, const std::string& creator,
                                     std::shared_ptr<const v1::ExamplePacket> example = nullptr);
  struct found_committee {
    std::shared_ptr<committee_host> host;
    bool chair = false;
  };
  std::optional<found_committee> find_committee_by_code(const std::string& code) const;
  void remove_committee(const std::string& id);
  void clear();
  size_t size() const;
  std::vector<std::shared_ptr<room_host>> rooms() const;

 private:
  boost::asio::any_io_executor io_;
  room_settings settings_;
  std::shared_ptr<store> db_;
  std::shared_ptr<store_writer> writer_;  // the rooms' writes, off the I/O threads
  void forget_creator(const std::string& id);
  room_settings settings_for(v1::SessionType type) const;

  uint32_t max_per_creator_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, uint32_t> by_creator_;     // user -> rooms and committees open
  std::unordered_map<std::string, std::string> creator_of_;  // room or committee id -> user
  std::unordered_map<std::string, std::shared_ptr<room_host>> rooms_;
  // SHA-256 of the code -> room id, role: a recovered room knows only hashes.
  std::unordered_map<std::string, std::pair<std::string, v1::Role>> codes_;
  std::unordered_map<std::string, std::shared_ptr<committee_host>> committees_;
  std::unordered_map<std::string, std::pair<std::string, bool>> committee_codes_;  // code -> id, chair
};

}  // namespace mockloop
