// One live committee in the shell: the core committee on a strand of its
// own, and the fan-out of per-member views (sealed votes differ per member).
#pragma once

#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include <boost/asio/any_io_executor.hpp>

#include "mockloop/core/committee.h"
#include "member.h"

namespace mockloop {

class room_directory;
class store;
class store_writer;

class committee_host : public std::enable_shared_from_this<committee_host> {
 public:
  committee_host(boost::asio::any_io_executor strand, std::weak_ptr<room_directory> directory, std::string id,
                 std::vector<v1::DebriefRecord> packet, std::shared_ptr<store_writer> writer,
                 std::shared_ptr<const v1::ExamplePacket> example = nullptr);

  const std::string& id() const { return id_; }
  void set_access_codes(std::vector<std::pair<std::string, v1::Role>> codes) { codes_ = std::move(codes); }

  // Thread-safe: each posts to the committee's strand.
  void join(std::shared_ptr<member> s, std::string name, bool chair, uint32_t request_id);
  void leave(std::string member_id);
  void handle(std::string member_id, v1::ClientMessage m);

 private:
  void save_decision(const std::string& chair, const v1::CommitteeDecision& d, uint32_t request_id, int64_t now);
  void apply(const committee_effects& fx, const std::string& requester);

  boost::asio::any_io_executor strand_;
  std::weak_ptr<room_directory> directory_;
  std::string id_;
  committee core_;
  std::shared_ptr<store_writer> writer_;  // the record is written off the I/O threads
  bool saving_ = false;                   // a decision's record is being written
  std::vector<std::pair<std::string, v1::Role>> codes_;
  std::unordered_map<std::string, std::weak_ptr<member>> members_;
  bool disposed_ = false;
};

}  // namespace mockloop
