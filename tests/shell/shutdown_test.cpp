// The real mockloop-server process: flags, port 0, and graceful shutdown on
// SIGTERM and SIGINT.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "test_server.h"

namespace mockloop::testing {
namespace {

using namespace std::chrono_literals;

// mockloop-server as a child process with its output in a file.
class server_process {
 public:
  explicit server_process(std::vector<std::string> args) {
    log_path_ = ::testing::TempDir() + "mockloop-server-" + std::to_string(::getpid()) + "-" +
                std::to_string(counter_++) + ".log";
    args.insert(args.begin(), MOCKLOOP_SERVER_BINARY);
    pid_ = ::fork();
    if (pid_ == 0) {
      const int fd = ::open(log_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      ::dup2(fd, 1);
      ::dup2(fd, 2);
      ::chdir(MOCKLOOP_SOURCE_DIR);
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
  }

  ~server_process() {
    if (pid_ > 0 && !exited_) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }

  std::string log() const {
    std::ifstream in(log_path_);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

  // The port it logged, once it is listening.
  uint16_t wait_for_port() const {
    constexpr std::string_view marker = "listening on http://127.0.0.1:";
    uint16_t port = 0;
    eventually(
        [&] {
          const auto text = log();
          const auto at = text.find(marker);
          if (at == std::string::npos) return false;
          port = static_cast<uint16_t>(std::stoi(text.substr(at + marker.size())));
          return true;
        },
        10s);
    return port;
  }

  void signal(int sig) const { ::kill(pid_, sig); }

  // Exit status, or -1 if it has not exited within `limit`.
  int wait_exit(std::chrono::milliseconds limit) {
    int status = 0;
    const bool done = eventually([&] { return ::waitpid(pid_, &status, WNOHANG) == pid_; }, limit);
    if (!done) return -1;
    exited_ = true;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }

 private:
  static inline int counter_ = 0;
  std::string log_path_;
  pid_t pid_ = -1;
  bool exited_ = false;
};

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
