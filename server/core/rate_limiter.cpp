#include "mockloop/core/rate_limiter.h"

#include <algorithm>

namespace mockloop {

rate_limiter::rate_limiter(uint32_t rate_per_second, uint32_t burst, time_point now)
    : rate_(rate_per_second), burst_(burst), tokens_(burst), last_(now) {}

bool rate_limiter::allow(time_point now) {
  if (now > last_) {
    const std::chrono::duration<double> elapsed = now - last_;
    tokens_ = std::min(burst_, tokens_ + elapsed.count() * rate_);
    last_ = now;
  }
  if (tokens_ < 1.0) return false;
  tokens_ -= 1.0;
  return true;
}

}  // namespace mockloop
