// The server's clock for rooms and the queue: Unix milliseconds that never
// step. It is the wall clock read once at start-up plus the steady clock's
// progress since, so a wall-clock adjustment neither freezes nor jumps a
// running interview, and deadlines stay comparable with clients' Date.now().
#pragma once

#include <chrono>
#include <cstdint>

namespace mockloop {

inline int64_t monotonic_unix_ms() {
  using namespace std::chrono;
  static const auto wall0 = duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
  static const auto steady0 = steady_clock::now();
  return wall0 + duration_cast<milliseconds>(steady_clock::now() - steady0).count();
}

}  // namespace mockloop
