// The matchmaking queue in the shell: the core matchmaker on a strand of
// its own, a pass every second, live queue status pushed to the waiting,
// and peer mocks run from match to round 2: roles by interview counts,
// scenarios neither has played, a forfeit when a peer does not join.
#pragma once

#include <array>
#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>

#include "hub.h"
#include "mockloop/core/matchmaker.h"
#include "mockloop/core/peer_mock.h"
#include "mockloop/v1/wire.pb.h"
#include "member.h"

namespace mockloop {

class room_host;

class matchmaking : public std::enable_shared_from_this<matchmaking> {
 public:
  matchmaking(boost::asio::any_io_executor strand, std::shared_ptr<hub> h);

  void start();
  // The server is stopping: every waiting ticket is told it was dropped
  // (the queue lives in memory), then `then` runs, on the queue's strand.
  void stop(std::function<void()> then);

  // All thread-safe (posted to the strand).
  void enqueue(std::shared_ptr<member> s, std::string user_id, std::string name, v1::Enqueue req,
               uint32_t request_id);
  void cancel(std::shared_ptr<member> s, std::string user_id, uint32_t request_id);
  void session_gone(std::string user_id, std::string session_id);

  // A scheduled pair, both checked in: a peer mock as from the queue
  // (MatchFound to each, round 2 after). `started` gets the room's id, on
  // the queue's strand (empty when no scenario fits).
  struct scheduled_peer {
    std::string user_id, name, session_id;
    std::vector<v1::RoundType> rounds;
    v1::Level level = v1::LEVEL_UNSPECIFIED;
  };
  void start_scheduled(std::array<scheduled_peer, 2> peers, v1::RoundType round,
                       std::function<void(std::string room_id)> started);

  size_t queue_depth() const { return depth_.load(std::memory_order_relaxed); }

 private:
  struct waiting {
    std::weak_ptr<member> session;
    std::string session_id;
    std::string name;
  };
  struct pairing {
    ticket tickets[2];  // [0] the older
    std::string names[2];
    // By id, not pointer: a peer who reconnects resumes the same session id
    // on a new connection, and round 2 must reach that one.
    std::string session_ids[2];
    int candidate = 0;  // index of this round's candidate
    int round = 1;
    v1::RoundType round_one = v1::ROUND_TYPE_UNSPECIFIED;
    bool scheduled = false;  // from bookings: a forfeit does not requeue
    std::weak_ptr<room_host> room;
  };

  void do_pass();
  void on_match(const match_pair& m, int64_t now);
  void begin(std::shared_ptr<pairing> p, v1::RoundType round, int64_t now);
  void start_round(std::shared_ptr<pairing> p, std::shared_ptr<const v1::Scenario> scenario, int64_t now);
  void check_joined(std::shared_ptr<pairing> p, std::weak_ptr<room_host> room);
  void on_round_closed(std::shared_ptr<pairing> p, bool forfeited);
  std::shared_ptr<member> session_of(const pairing& p, int i) const;
  peer peer_of(const ticket& t) const;
  void push(const std::string& user_id, const v1::ServerMessage& m);
  static int64_t now_ms();

  boost::asio::any_io_executor strand_;
  std::shared_ptr<hub> hub_;
  matchmaker core_;
  boost::asio::steady_timer timer_;
  std::unordered_map<std::string, waiting> waiting_;  // user id -> who to tell
  std::unordered_map<std::string, uint32_t> interviews_given_;
  std::unordered_map<std::string, std::set<std::string>> played_;
  std::atomic<size_t> depth_{0};
  bool stopped_ = false;
};

}  // namespace mockloop
