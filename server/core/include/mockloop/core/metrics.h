// Process-wide counters, exported at GET /metrics in Prometheus text format.
// Relaxed atomics: they are statistics, not synchronisation.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <string>

#include "mockloop/v1/wire.pb.h"

namespace mockloop {

struct metrics {
  std::atomic<int64_t> connections{0};          // open WebSocket sessions (gauge)
  std::atomic<uint64_t> connections_total{0};   // accepted upgrades
  std::atomic<uint64_t> connections_refused{0}; // upgrades refused (limit, bad subprotocol, shutdown)
  std::atomic<int64_t> queued_bytes{0};         // outbound bytes waiting across all sessions (gauge)
  std::atomic<uint64_t> messages_in{0};
  std::atomic<uint64_t> messages_out{0};
  std::atomic<uint64_t> bytes_in{0};
  std::atomic<uint64_t> bytes_out{0};
  std::atomic<uint64_t> slow_consumer_closes{0};
  std::atomic<uint64_t> protocol_violation_closes{0};
  std::atomic<uint64_t> http_requests{0};
  std::atomic<uint64_t> refused_per_ip{0};      // upgrades over max_connections_per_ip (429)
  std::atomic<uint64_t> refused_origin{0};      // upgrades from an origin not allowed (403)
  std::atomic<uint64_t> ip_rate_limited{0};     // messages dropped over messages_per_second_per_ip
  std::atomic<uint64_t> resumes{0};             // sessions taken over with a resume token
  std::atomic<uint64_t> resumes_refused{0};     // resume tokens unknown or past their window
  std::atomic<uint64_t> rooms_refused{0};       // creations over max_rooms_per_user
  // Error replies sent, by ErrorCode value.
  std::array<std::atomic<uint64_t>, v1::ErrorCode_ARRAYSIZE> errors{};

  void count_error(v1::ErrorCode code) {
    if (code >= 0 && code < v1::ErrorCode_ARRAYSIZE) errors[code].fetch_add(1, std::memory_order_relaxed);
  }
};

// Gauges owned by other parts of the server, sampled when /metrics is read.
struct metrics_gauges {
  int64_t rooms = 0;
  int64_t queue_depth = 0;  // tickets waiting in the matchmaker
  int64_t sessions = 0;     // registered WebSocket sessions
  int64_t held_seats = 0;   // dropped sessions whose seat waits for a resume
  double uptime_seconds = 0;
};

std::string render_prometheus(const metrics& m, const metrics_gauges& g);

}  // namespace mockloop
