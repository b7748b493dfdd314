#include "mockloop/core/rate_limiter.h"

#include <gtest/gtest.h>

namespace mockloop {
namespace {

using namespace std::chrono_literals;

TEST(RateLimiter, AllowsBurstThenRefillsAtRate) {
  const auto t0 = std::chrono::steady_clock::time_point{} + 1h;
  rate_limiter r(10, 10, t0);
  for (int i = 0; i < 10; ++i) EXPECT_TRUE(r.allow(t0)) << i;
  EXPECT_FALSE(r.allow(t0));
  EXPECT_FALSE(r.allow(t0 + 99ms));
  EXPECT_TRUE(r.allow(t0 + 100ms));  // one token per 100 ms
  EXPECT_FALSE(r.allow(t0 + 100ms));
}

TEST(RateLimiter, NeverHoldsMoreThanBurst) {
  const auto t0 = std::chrono::steady_clock::time_point{} + 1h;
  rate_limiter r(10, 3, t0);
  const auto later = t0 + 1h;
  int allowed = 0;
  while (r.allow(later)) ++allowed;
  EXPECT_EQ(allowed, 3);
}

TEST(RateLimiter, ClockGoingBackwardsGrantsNothing) {
  const auto t0 = std::chrono::steady_clock::time_point{} + 1h;
  rate_limiter r(1, 1, t0);
  EXPECT_TRUE(r.allow(t0));
  EXPECT_FALSE(r.allow(t0 - 10s));
}

}  // namespace
}  // namespace mockloop
