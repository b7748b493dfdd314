#include "mockloop/core/metrics.h"

#include <gtest/gtest.h>

namespace mockloop {
namespace {

TEST(Metrics, RendersPrometheusTextWithErrorsByCode) {
  metrics m;
  m.connections = 3;
  m.slow_consumer_closes = 2;
  m.count_error(v1::ERROR_CODE_RATE_LIMITED);
  m.count_error(v1::ERROR_CODE_RATE_LIMITED);
  m.count_error(v1::ERROR_CODE_DECODE_FAILED);
  metrics_gauges g;
  g.rooms = 5;
  g.queue_depth = 7;
  const auto text = render_prometheus(m, g);
  EXPECT_NE(text.find("# TYPE mockloop_connections gauge\nmockloop_connections 3\n"), std::string::npos) << text;
  EXPECT_NE(text.find("mockloop_slow_consumer_closes_total 2\n"), std::string::npos);
  EXPECT_NE(text.find("mockloop_errors_total{code=\"rate_limited\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find("mockloop_errors_total{code=\"decode_failed\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("mockloop_errors_total{code=\"internal\"} 0\n"), std::string::npos);
  EXPECT_NE(text.find("mockloop_rooms 5\n"), std::string::npos);
  EXPECT_NE(text.find("mockloop_queue_depth 7\n"), std::string::npos);
  EXPECT_EQ(text.find("unspecified"), std::string::npos);
}

TEST(Metrics, OutOfRangeCodesAreIgnored) {
  metrics m;
  m.count_error(static_cast<v1::ErrorCode>(9999));
  for (const auto& e : m.errors) EXPECT_EQ(e.load(), 0u);
}

}  // namespace
}  // namespace mockloop
