// One load-generator process: a single io_context driving thousands of
// WebSocket connections (simulated rooms or idle sessions) on a timeline
// shared with its sibling workers, then its counters and histograms.
#pragma once

#include <cstdint>
#include <string>
#include <type_traits>
#include <vector>

#include "histogram.h"

namespace mockloop::load {

enum class run_mode { interview, ticks, idle };

// What every worker does; the parent fills it in and forks, so each child
// starts with its own copy.
struct run_plan {
  run_mode mode = run_mode::interview;
  bool bare_server = false;  // the baseline speaks Hello, CreateRoom, JoinRoom and ticks only
  bool json = false;         // mockloop.v1.json instead of mockloop.v1.proto
  std::string host = "127.0.0.1";
  uint16_t port = 0;

  uint32_t rooms = 0;                  // interview, ticks: rooms in all workers
  uint32_t observers = 2;              // per room, besides the interviewer and the candidate
  uint32_t connections = 0;            // idle: connections in all workers
  std::vector<std::string> scenarios;  // rooms take them in turn

  // The timeline, in steady-clock nanoseconds (CLOCK_MONOTONIC, the same in
  // every process). Rooms (or idle connections) start evenly spread over
  // [t0, t0 + ramp); the measurement window is [window_start, window_end).
  // An interview lasts `interview_ns` from its room's start, so every room
  // is in its phases during the window; stop_ns is when ticks and idle runs
  // close, deadline_ns when anything unfinished is cut and counted.
  int64_t t0_ns = 0;
  int64_t ramp_ns = 0;
  int64_t window_start_ns = 0;
  int64_t window_end_ns = 0;
  int64_t interview_ns = 0;
  int64_t stop_ns = 0;
  int64_t deadline_ns = 0;

  uint32_t action_ms = 5000;  // each rater's note/draft/marker period
  uint32_t seed = 1;
  uint32_t max_logged_errors = 10;  // per worker, to stderr
};

// Everything a worker reports; trivially copyable so it travels as bytes.
struct worker_results {
  // connections
  uint64_t attempted = 0;
  uint64_t opened = 0;    // WebSocket upgrade done
  uint64_t welcomed = 0;  // Hello answered with Welcome
  uint64_t connect_failures = 0;
  uint64_t unexpected_closes = 0;  // by the server or the network, not by us
  uint64_t decode_failures = 0;
  uint64_t open_at_window_start = 0;
  uint64_t open_at_window_end = 0;
  uint64_t dropped_in_window = 0;

  // traffic, whole run and inside the window
  uint64_t msgs_in = 0, msgs_out = 0, bytes_in = 0, bytes_out = 0;
  uint64_t win_msgs_in = 0, win_msgs_out = 0, win_bytes_in = 0, win_bytes_out = 0;
  uint64_t ticks = 0, tick_bytes = 0, win_ticks = 0;
  // Received in the window, by ServerMessage body field number: where the
  // bytes go once ticks are accounted for.
  static constexpr size_t max_body_field = 128;
  uint64_t win_type_msgs[max_body_field] = {};
  uint64_t win_type_bytes[max_body_field] = {};

  // rooms and what was done in them
  uint64_t rooms = 0;
  uint64_t rooms_running = 0;     // clock started (interview begun)
  uint64_t rooms_debriefed = 0;   // the candidate got the debrief
  uint64_t rooms_completed = 0;   // debriefed, closed and every connection closed cleanly
  uint64_t rooms_failed = 0;      // a step was refused or a connection lost
  uint64_t rooms_unfinished = 0;  // still under way at the deadline
  uint64_t follow_ups = 0, notes = 0, drafts = 0, markers = 0, submissions = 0, reveals = 0;
  uint64_t flow_errors = 0;  // a reply the script did not expect

  uint64_t error_replies[16] = {};  // Error messages received, by ErrorCode

  histogram tick_window;  // Tick.sent_at_us to receipt, inside the window
  histogram tick_all;     // the same over the whole run
  histogram follow_up_rtt;
  histogram submit_rtt;
  histogram connect;  // TCP connect to Welcome
  // How late the server sent a tick: the gap to the connection's previous
  // tick beyond one second (a room that woke late, not a slow delivery).
  histogram tick_gap_excess;
  // The worst tick latency in each second of the run (from t0), to tell a
  // stall from a steady tail.
  static constexpr size_t max_seconds = 4096;
  int64_t worst_tick_us[max_seconds] = {};

  uint64_t error_total() const {
    uint64_t n = connect_failures + unexpected_closes + decode_failures + rooms_unfinished + flow_errors;
    for (auto e : error_replies) n += e;
    return n;
  }
  void merge(const worker_results& o);
};
static_assert(std::is_trivially_copyable_v<worker_results>);

// Runs worker `index` of `workers`: rooms (or idle connections) i with
// i % workers == index. Returns when everything is closed or cut.
worker_results run_worker(const run_plan& plan, uint32_t index, uint32_t workers);

}  // namespace mockloop::load
