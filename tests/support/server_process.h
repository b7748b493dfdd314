// Test support: mockloop-server as a real child process, for tests of
// signals, restarts and crashes.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "test_server.h"

namespace mockloop::testing {

using namespace std::chrono_literals;

// mockloop-server as a child process with its output in a file.
class server_process {
 public:
  explicit server_process(std::vector<std::string> args) {
    log_path_ = ::testing::TempDir() + "mockloop-server-" + std::to_string(::getpid()) + "-" +
                std::to_string(counter_++) + ".log";
    args.insert(args.begin(), MOCKLOOP_SERVER_BINARY);
    // Emptied here, before the fork: the name repeats once pids wrap, and
    // wait_for_port() must never read an earlier run's "listening on" line
    // while the child has yet to open the file (CI connected to a dead port).
    const int fd = ::open(log_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) ADD_FAILURE() << "cannot create " << log_path_;
    pid_ = ::fork();
    if (pid_ == 0) {
      ::dup2(fd, 1);
      ::dup2(fd, 2);
      ::chdir(MOCKLOOP_SOURCE_DIR);
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
    if (fd >= 0) ::close(fd);
  }

  ~server_process() {
    if (pid_ > 0 && !exited_) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    // Kept only when the test failed, for reading; otherwise /tmp fills up.
    if (!::testing::Test::HasFailure()) ::unlink(log_path_.c_str());
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
          // The whole line, not a half-written one: "…:4123" of "…:41234 (WebSocket".
          const auto end = text.find(" (WebSocket", at);
          if (end == std::string::npos) return false;
          port = static_cast<uint16_t>(std::stoi(text.substr(at + marker.size(), end - at - marker.size())));
          return true;
        },
        10s);
    return port;
  }

  void signal(int sig) const { ::kill(pid_, sig); }

  // The child's process id (for /proc/<pid>/status and the like).
  pid_t pid() const { return pid_; }

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

}  // namespace mockloop::testing
