// The real mockloop-server process: flags, port 0, and graceful shutdown on
// SIGTERM and SIGINT.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "requests.h"
#include "server_process.h"
#include "test_server.h"

namespace mockloop::testing {
namespace {

using namespace std::chrono_literals;

client_options on_port(uint16_t port, encoding wire) {
  client_options o;
  o.port = port;
  o.wire = wire;
  return o;
}

class Shutdown : public ::testing::TestWithParam<int> {};

TEST_P(Shutdown, ClosesEveryClientWithGoingAwayAndExitsZero) {
  server_process proc({"--port", "0", "--data-dir", ::testing::TempDir() + "mockloop-shutdown-data"});
  const auto port = proc.wait_for_port();
  ASSERT_NE(port, 0) << proc.log();

  client json(on_port(port, encoding::json)), bin(on_port(port, encoding::binary));
  ASSERT_TRUE(json.connect());
  ASSERT_TRUE(bin.connect());
  ASSERT_TRUE(json.hello("J"));
  ASSERT_TRUE(bin.hello("B"));
  EXPECT_EQ(http_get(port, "/healthz").status, 200u);

  proc.signal(GetParam());
  for (auto* c : {&json, &bin}) {
    auto closed = c->wait_closed(5s);
    ASSERT_TRUE(closed) << closed.error().message << "\n" << proc.log();
    EXPECT_EQ(closed->code, 1001);
  }
  EXPECT_EQ(proc.wait_exit(10s), 0) << proc.log();
  EXPECT_NE(proc.log().find("shutting down"), std::string::npos);

  client late(on_port(port, encoding::json));
  EXPECT_FALSE(late.connect()) << "no longer accepting";
}

// The queue lives in memory: a waiting client is told its ticket is gone
// before the server closes the connection.
TEST(ShutdownQueue, AWaitingTicketIsToldItWasDropped) {
  server_process proc({"--port", "0", "--data-dir", ::testing::TempDir() + "mockloop-shutdown-queue-data"});
  const auto port = proc.wait_for_port();
  ASSERT_NE(port, 0) << proc.log();
  client c(on_port(port, encoding::json));
  ASSERT_TRUE(c.connect());
  ASSERT_TRUE(c.hello("Q"));
  auto queued = c.request(enqueue({v1::ROUND_TYPE_SYSTEM_DESIGN}));
  ASSERT_TRUE(queued && queued->has_queue_status());

  proc.signal(SIGTERM);
  auto notice = c.wait_for([](const auto& m) { return m.has_ticket_expired(); });
  ASSERT_TRUE(notice) << notice.error().message << "\n" << proc.log();
  EXPECT_NE(notice->ticket_expired().reason().find("restarting"), std::string::npos);
  auto closed = c.wait_closed(5s);
  ASSERT_TRUE(closed);
  EXPECT_EQ(closed->code, 1001);
  EXPECT_EQ(proc.wait_exit(10s), 0) << proc.log();
}

INSTANTIATE_TEST_SUITE_P(Signals, Shutdown, ::testing::Values(SIGTERM, SIGINT),
                         [](const auto& info) { return info.param == SIGTERM ? "SIGTERM" : "SIGINT"; });

TEST(ServerProcess, HelpListsFlagsAndExitsZero) {
  server_process proc({"--help"});
  EXPECT_EQ(proc.wait_exit(10s), 0);
  const auto out = proc.log();
  for (const char* flag : {"--host", "--port", "--data-dir", "--scenarios", "--config", "--help"})
    EXPECT_NE(out.find(flag), std::string::npos) << flag;
}

TEST(ServerProcess, BadFlagExitsNonZeroWithReason) {
  server_process proc({"--port", "not-a-port"});
  EXPECT_EQ(proc.wait_exit(10s), 2);
  EXPECT_NE(proc.log().find("port: expected a whole number"), std::string::npos) << proc.log();
}

TEST(ServerProcess, PortInUseFailsAtStartUp) {
  test_server holder;
  server_process proc({"--port", std::to_string(holder.port())});
  EXPECT_EQ(proc.wait_exit(10s), 1);
  EXPECT_NE(proc.log().find("bind"), std::string::npos) << proc.log();
}

}  // namespace
}  // namespace mockloop::testing
