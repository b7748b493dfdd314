// HTTP side of the shell: health, metrics, static files, refusals.
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "test_server.h"

namespace mockloop::testing {
namespace {

namespace fs = std::filesystem;

class Http : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    root_ = fs::path(::testing::TempDir()) / "mockloop-webroot";
    fs::create_directories(root_ / "sub");
    std::ofstream(root_ / "index.html") << "<!doctype html><title>mockloop</title>";
    std::ofstream(root_ / "sub" / "app.js") << "export const x = 1;";
    std::ofstream(fs::path(::testing::TempDir()) / "secret.txt") << "do not serve";
  }

  test_server server_{[](server_config& c) {
    c.web_root = root_.string();
    c.http_body_limit = 1024;
  }};
  static inline fs::path root_;
};

TEST_F(Http, HealthzAnswersJsonWithVersionAndUptime) {
  auto r = http_get(server_.port(), "/healthz");
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(r.content_type, "application/json");
  EXPECT_NE(r.body.find("\"status\":\"ok\""), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("\"version\":\"0.1.0\""), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("\"uptimeSeconds\":"), std::string::npos) << r.body;
}

TEST_F(Http, MetricsArePrometheusText) {
  auto c = server_.connect(encoding::json);
  ASSERT_TRUE(c);
  auto r = http_get(server_.port(), "/metrics");
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(r.content_type, "text/plain; version=0.0.4");
  EXPECT_NE(r.body.find("\nmockloop_connections 1\n"), std::string::npos) << r.body;
  for (const char* name : {"mockloop_rooms", "mockloop_queue_depth", "mockloop_messages_in_total",
                           "mockloop_bytes_out_total", "mockloop_slow_consumer_closes_total", "mockloop_errors_total{"})
    EXPECT_NE(r.body.find(name), std::string::npos) << name;
}

TEST_F(Http, ServesStaticFilesWithTypes) {
  auto r = http_get(server_.port(), "/");
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(r.content_type, "text/html; charset=utf-8");
  EXPECT_NE(r.body.find("<title>mockloop</title>"), std::string::npos);
  r = http_get(server_.port(), "/sub/app.js?v=2");
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(r.content_type, "text/javascript; charset=utf-8");
  EXPECT_EQ(http_get(server_.port(), "/missing.css").status, 404u);
  EXPECT_EQ(http_get(server_.port(), "/", "HEAD").status, 200u);
}

TEST_F(Http, RefusesPathTraversal) {
  for (const char* target : {"/../secret.txt", "/sub/../../secret.txt", "//etc/passwd", "/sub/..%2f..%2fsecret.txt"}) {
    auto r = http_get(server_.port(), target);
    EXPECT_NE(r.status, 200u) << target;
    EXPECT_EQ(r.body.find("do not serve"), std::string::npos) << target;
  }
}

TEST_F(Http, OtherMethodsAre405AndLargeBodiesAre413) {
  EXPECT_EQ(http_get(server_.port(), "/healthz", "DELETE").status, 405u);
  EXPECT_EQ(http_get(server_.port(), "/healthz", "POST", std::string(4096, 'x')).status, 413u);
}

TEST_F(Http, WsWithoutUpgradeIs426) {
  auto r = http_get(server_.port(), "/ws");
  EXPECT_EQ(r.status, 426u);
  EXPECT_NE(r.body.find("mockloop.v1.json"), std::string::npos);
}

TEST_F(Http, UpgradeOfferingNoKnownSubprotocolIs400WithReason) {
  for (std::string offer : {"", "chat, superchat", "mockloop.v2.json"}) {
    auto o = server_.options(encoding::json);
    o.subprotocol_override = offer;
    client c(o);
    auto r = c.connect();
    ASSERT_FALSE(r) << offer;
    EXPECT_EQ(r.error().kind, client_error::refused);
    EXPECT_EQ(r.error().http_status, 400u);
    EXPECT_NE(r.error().http_body.find("no supported subprotocol offered"), std::string::npos) << r.error().http_body;
  }
  EXPECT_EQ(server_.stats().connections_refused.load(), 3u);
}

TEST_F(Http, UpgradeElsewhereThanWsIs404) {
  auto o = server_.options(encoding::json);
  o.target = "/chat";
  client c(o);
  auto r = c.connect();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().http_status, 404u);
}

}  // namespace
}  // namespace mockloop::testing
