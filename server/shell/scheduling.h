// Scheduled mocks in the shell: the core scheduler on a strand of its own,
// a tick every second (reminders, check-in windows), each change written to
// SQLite before it is acknowledged or told, and the calendar feeds.
// docs/schedule.md.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>

#include "hub.h"
#include "mockloop/core/schedule.h"
#include "mockloop/core/time_zone.h"
#include "mockloop/v1/wire.pb.h"
#include "member.h"

namespace mockloop {


class scheduling : public std::enable_shared_from_this<scheduling> {
 public:
  scheduling(boost::asio::any_io_executor strand, std::shared_ptr<hub> h);

  // Loads every stored booking (start-up, before connections), then ticks.
  void start();
  void stop();

  // All thread-safe (posted to the strand). `user_key` is the Hello's.
  void attach(std::weak_ptr<member> s, std::string user_key);
  void handle(std::shared_ptr<member> s, std::string user_key, v1::ClientMessage m);
  // GET /calendar/<feed>.ics or /calendar/<feed>/<booking>.ics; `reply`
  // runs on the strand with (HTTP status, body, content type).
  using http_reply = std::function<void(unsigned status, std::string body, std::string content_type)>;
  void calendar(std::string path, http_reply reply);

  // The owner's calendar feed token and hash for a user key.
  static std::string user_hash_of(const std::string& user_key);
  static std::string feed_of(const std::string& user_key);

 private:
  void do_tick();
  // Persists fx.changed, then (on the strand) runs `then` and tells owners.
  void apply(schedule_effects fx, std::function<void(bool ok, const std::string& error)> then);
  void tell(const schedule_effects& fx);
  void start_pair(const std::string& a, const std::string& b);
  v1::Booking view(const v1::BookingRecord& r);
  v1::ServerMessage list(const std::string& user_hash, const std::string& feed, uint32_t request_id);
  const time_zone* zone(const std::string& name);  // cached; null when unknown
  std::vector<std::shared_ptr<member>> sessions_of(const std::string& user_hash);
  static int64_t now_ms();

  boost::asio::any_io_executor strand_;
  std::shared_ptr<hub> hub_;
  scheduler core_;
  boost::asio::steady_timer timer_;
  std::map<std::string, std::unique_ptr<time_zone>> zones_;  // null entry: not a zone
  // Connected clients by user hash, newest last: reminders and updates go
  // to every one of them.
  std::unordered_map<std::string, std::vector<std::weak_ptr<member>>> clients_;
  bool stopped_ = false;
};

}  // namespace mockloop
