// Token bucket: `rate` tokens a second, holding at most `burst`.
// Time is passed in, so tests drive it with a fake clock.
#pragma once

#include <chrono>
#include <cstdint>

namespace mockloop {

class rate_limiter {
 public:
  using time_point = std::chrono::steady_clock::time_point;

  rate_limiter(uint32_t rate_per_second, uint32_t burst, time_point now);

  // Takes one token if there is one.
  bool allow(time_point now);

 private:
  double rate_;
  double burst_;
  double tokens_;
  time_point last_;
};

}  // namespace mockloop
