// mockloop-load: simulated interviews (or idle sessions) over loopback
// against mockloop-server, or against the bare Beast broadcast baseline
// (tests/bench/bare_broadcast_server.cpp), with latency percentiles and the
// server's CPU time and memory. Bounded in connections and in time: it
// stops by itself. See docs/load.md.
//
// The parent starts the server (or is told its pid), forks workers (each an
// io_context with thousands of streams, below the per-process file limit),
// samples /proc at the edges of the measurement window, and merges what the
// workers report. It uses no Asio itself, so forking is safe.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <spdlog/spdlog.h>

#include "mockloop/v1/wire.pb.h"
#include "worker.h"

namespace mockloop::load {
namespace {

using steady = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr uint32_t max_total_connections = 100'000;
constexpr uint32_t max_duration_seconds = 3600;

struct options {
  run_mode mode = run_mode::interview;
  bool bare = false;
  bool json = false;
  std::string server_bin;
  std::vector<std::string> server_args;  // after "--"
  std::string host = "127.0.0.1";
  uint16_t port = 0;
  pid_t server_pid = 0;
  uint32_t rooms = 100;
  uint32_t observers = 2;
  uint32_t connections = 1000;
  double duration = 30;
  double settle = 3;
  double grace = 20;
  double connect_rate = 1000;
  uint32_t action_ms = 5000;
  uint32_t workers = 0;
  uint32_t seed = 1;
  std::string json_path;
  std::vector<std::string> scenarios;
  bool check = false;
  bool keep = false;
};

const char* usage = R"(usage: mockloop-load [options] [-- extra server flags]

Simulated rooms (or idle sessions) over loopback; reports connections,
messages per second, latency percentiles, errors and the server's CPU time
and memory, as a table and as JSON. Stops by itself.

what to run
  --mode interview|ticks|idle  interview: a whole shortened interview per room
                               (follow-ups, notes, drafts, markers,
                               submissions, reveal, debrief); ticks: rooms
                               start their clock and sit receiving ticks;
                               idle: connections say Hello and sit
  --rooms N                    rooms (interview, ticks; default 100)
  --observers K                observers per room besides interviewer and
                               candidate (default 2)
  --connections N              idle connections (idle; default 1000)
  --duration S                 measurement window, seconds (default 30)
  --settle S                   pause between the ramp and the window (default 3)
  --connect-rate R             new connections per second during the ramp
                               (default 1000)
  --action-ms MS               each rater's note/draft/marker period (default 5000)
  --grace S                    time after the window for interviews to
                               finish before they count as unfinished (default 20)
  --scenario ID                a scenario for the rooms (repeatable; default:
                               every scenario the server lists, in turn)
  --wire binary|json           subprotocol (default binary)
  --workers W                  generator processes (default: one per 8,000
                               connections)
  --seed N

which server
  --server-bin PATH            start this server as a child on a free
                               loopback port, stop it at the end
  --bare                       the server is the bare broadcast baseline
  --host H --port P            a running server instead
  --server-pid PID             its pid, for CPU time and memory

output
  --json PATH                  also write the report as JSON ('-': stdout)
  --check                      exit 1 unless there were no errors, every
                               connection got its Welcome, ticks arrived and
                               (interview) every room was debriefed
  --keep                       keep the temporary directory (server log, data)
)";

// ---------------------------------------------------------------- parsing

std::optional<options> parse(int argc, char** argv, std::string& err) {
  options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--") {
      for (++i; i < argc; ++i) o.server_args.emplace_back(argv[i]);
      break;
    }
    if (a == "--help" || a == "-h") {
      err.clear();
      return std::nullopt;
    }
    if (a == "--check") {
      o.check = true;
      continue;
    }
    if (a == "--keep") {
      o.keep = true;
      continue;
    }
    if (a == "--bare") {
      o.bare = true;
      continue;
    }
    if (i + 1 >= argc) {
      err = a + " needs a value";
      return std::nullopt;
    }
    const std::string v = argv[++i];
    char* end = nullptr;
    const double num = std::strtod(v.c_str(), &end);
    const bool is_num = end && *end == '\0' && !v.empty() && num >= 0;
    const std::map<std::string_view, std::function<void()>> text = {
        {"--server-bin", [&] { o.server_bin = v; }},
        {"--host", [&] { o.host = v; }},
        {"--json", [&] { o.json_path = v; }},
        {"--scenario", [&] { o.scenarios.push_back(v); }},
        {"--mode",
         [&] {
           if (v == "interview")
             o.mode = run_mode::interview;
           else if (v == "ticks")
             o.mode = run_mode::ticks;
           else if (v == "idle")
             o.mode = run_mode::idle;
           else
             err = "--mode: interview, ticks or idle";
         }},
        {"--wire",
         [&] {
           if (v != "binary" && v != "json") err = "--wire: binary or json";
           o.json = v == "json";
         }},
    };
    const auto u32 = [&](uint32_t& field) { return [&] { field = static_cast<uint32_t>(num); }; };
    const auto f64 = [&](double& field) { return [&] { field = num; }; };
    const std::map<std::string_view, std::function<void()>> numeric = {
        {"--port", [&] { o.port = static_cast<uint16_t>(num); }},
        {"--server-pid", [&] { o.server_pid = static_cast<pid_t>(num); }},
        {"--rooms", u32(o.rooms)},
        {"--observers", u32(o.observers)},
        {"--connections", u32(o.connections)},
        {"--duration", f64(o.duration)},
        {"--settle", f64(o.settle)},
        {"--grace", f64(o.grace)},
        {"--connect-rate", f64(o.connect_rate)},
        {"--action-ms", u32(o.action_ms)},
        {"--workers", u32(o.workers)},
        {"--seed", u32(o.seed)},
    };
    if (const auto it = text.find(a); it != text.end()) {
      it->second();
    } else if (const auto jt = numeric.find(a); jt != numeric.end()) {
      if (!is_num)
        err = a + ": '" + v + "' is not a non-negative number";
      else
        jt->second();
    } else {
      err = "unknown option " + a;
    }
    if (!err.empty()) return std::nullopt;
  }
  if (o.server_bin.empty() && o.port == 0)
    err = "give --server-bin, or --port of a running server";
  else if (o.bare && o.mode == run_mode::interview)
    err = "the bare server runs --mode ticks or idle only";
  else if (o.duration <= 0 || o.duration > max_duration_seconds)
    err = "--duration: 0 to 3600 seconds";
  else if (o.connect_rate < 1)
    err = "--connect-rate: at least 1";
  else if (o.action_ms < 100)
    err = "--action-ms: at least 100";
  else if (o.mode != run_mode::idle && o.rooms == 0)
    err = "--rooms: at least 1";
  else if (o.observers > 48)
    err = "--observers: at most 48 (a room holds 50)";
  if (!err.empty()) return std::nullopt;
  return o;
}

uint32_t total_connections(const options& o) {
  return o.mode == run_mode::idle ? o.connections : o.rooms * (o.observers + 2);
}

// ---------------------------------------------------------------- /proc

struct proc_sample {
  bool ok = false;
  double cpu_seconds = 0;  // utime + stime
  int64_t rss_kb = 0;
  int64_t hwm_kb = 0;
  // Time its threads were runnable but waiting for a CPU (schedstat): how
  // much of the latency is other processes holding the cores.
  double run_wait_seconds = 0;
};

proc_sample sample_process(pid_t pid) {
  proc_sample s;
  if (pid <= 0) return s;
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return s;
  // Fields after the command name, which may hold spaces: state is field 3,
  // utime 14 and stime 15.
  const auto close_paren = line.rfind(')');
  if (close_paren == std::string::npos) return s;
  std::istringstream rest(line.substr(close_paren + 2));
  std::vector<std::string> f;
  for (std::string t; rest >> t && f.size() < 13;) f.push_back(t);
  if (f.size() < 13) return s;
  const double hz = static_cast<double>(sysconf(_SC_CLK_TCK));
  s.cpu_seconds = (std::stod(f[11]) + std::stod(f[12])) / hz;
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  while (std::getline(status, line)) {
    if (line.starts_with("VmRSS:")) s.rss_kb = std::atoll(line.c_str() + 6);
    if (line.starts_with("VmHWM:")) s.hwm_kb = std::atoll(line.c_str() + 6);
  }
  std::error_code ec;
  for (const auto& task : std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/task", ec)) {
    std::ifstream sched(task.path() / "schedstat");
    double on_cpu_ns = 0, waiting_ns = 0;
    if (sched >> on_cpu_ns >> waiting_ns) s.run_wait_seconds += waiting_ns / 1e9;
  }
  s.ok = true;
  return s;
}

std::string loadavg() {
  std::ifstream in("/proc/loadavg");
  std::string s;
  std::getline(in, s);
  return s;
}

// ---------------------------------------------------------------- the server

uint16_t free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  uint16_t port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0)
    port = ntohs(a.sin_port);
  ::close(fd);
  return port;
}

int connect_to(const std::string& host, uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  ::inet_pton(AF_INET, host.c_str(), &a.sin_addr);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

pid_t spawn(const std::vector<std::string>& args, const std::string& log_path) {
  const pid_t pid = ::fork();
  if (pid != 0) return pid;
  const int fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd >= 0) {
    ::dup2(fd, 1);
    ::dup2(fd, 2);
    ::close(fd);
  }
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  ::execv(argv[0], argv.data());
  std::perror("execv");
  ::_exit(127);
}

// Exit status of a child that has exited, or nullopt while it runs.
std::optional<int> exited(pid_t pid) {
  int status = 0;
  if (::waitpid(pid, &status, WNOHANG) != pid) return std::nullopt;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

std::string tail_of(const std::string& path, size_t bytes = 4000) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  auto s = ss.str();
  return s.size() > bytes ? s.substr(s.size() - bytes) : s;
}

// What `bin --help` prints (to learn which flags a server build has).
std::string help_text(const std::string& bin, const std::string& out_path) {
  const pid_t pid = spawn({bin, "--help"}, out_path);
  ::waitpid(pid, nullptr, 0);
  return tail_of(out_path, 1 << 20);
}

// GET path over a plain socket; the body, or empty on failure.
std::string http_get(const std::string& host, uint16_t port, const std::string& path) {
  const int fd = connect_to(host, port);
  if (fd < 0) return {};
  const std::string req = "GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n";
  if (::write(fd, req.data(), req.size()) != static_cast<ssize_t>(req.size())) {
    ::close(fd);
    return {};
  }
  std::string res;
  char buf[8192];
  for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) > 0;) res.append(buf, static_cast<size_t>(n));
  ::close(fd);
  const auto body = res.find("\r\n\r\n");
  return body == std::string::npos ? std::string() : res.substr(body + 4);
}

// The scenario ids in GET /api/scenarios ({"scenarios":[{"id":"...",...},...]}).
std::vector<std::string> scenario_ids(const std::string& body) {
  std::vector<std::string> ids;
  constexpr std::string_view key = "\"id\":\"";
  for (size_t at = body.find(key); at != std::string::npos; at = body.find(key, at)) {
    at += key.size();
    const auto end = body.find('"', at);
    if (end == std::string::npos) break;
    ids.push_back(body.substr(at, end - at));
  }
  return ids;
}

// ---------------------------------------------------------------- report

double ms(int64_t us) { return static_cast<double>(us) / 1000.0; }

std::string hist_row(const char* name, const histogram& h) {
  return fmt::format("  {:<24}{:>10}{:>10.3f}{:>10.3f}{:>10.3f}{:>10.3f}\n", name, h.count(), ms(h.percentile(50)),
                     ms(h.percentile(99)), ms(h.percentile(99.9)), ms(h.max()));
}

std::string hist_json(const histogram& h) {
  return fmt::format(
      R"({{"count":{},"mean_ms":{:.3f},"p50_ms":{:.3f},"p99_ms":{:.3f},"p999_ms":{:.3f},"max_ms":{:.3f}}})", h.count(),
      h.mean() / 1000.0, ms(h.percentile(50)), ms(h.percentile(99)), ms(h.percentile(99.9)), ms(h.max()));
}

std::string json_str(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (static_cast<unsigned char>(c) < 0x20) {
      out += fmt::format("\\u{:04x}", c);
      continue;
    }
    out += c;
  }
  return out + "\"";
}

const char* mode_name(run_mode m) {
  return m == run_mode::interview ? "interview" : m == run_mode::ticks ? "ticks" : "idle";
}

struct measurement {
  proc_sample server_before, server_window_start, server_window_end, server_end;
  double workers_cpu_window_start = 0, workers_cpu_window_end = 0;
  double workers_wait_window_start = 0, workers_wait_window_end = 0;
  std::string load_start, load_window_end;
  int server_exit = -1;         // after our SIGTERM
  bool server_died = false;     // exited before we stopped it
  uint32_t workers_failed = 0;  // exited badly or were killed
};

// The server under test: its pid (0 when only connecting to one) and the
// command that started it.
struct server_run {
  pid_t pid = 0;
  std::vector<std::string> cmd;
};

// Starts the server under test (--server-bin) on a free loopback port and
// waits until it listens; with --server-pid, uses that one. 0, or the exit
// code of a failed start.
int start_server(const options& o, run_plan& plan, const std::string& dir, uint32_t total, server_run& server) {
  const std::string server_log = dir + "/server.log";
  server.pid = o.server_pid;
  if (!o.server_bin.empty()) {
    plan.host = "127.0.0.1";
    plan.port = free_port();
    server.cmd = {o.server_bin, "--host", "127.0.0.1", "--port", std::to_string(plan.port)};
    if (!o.bare) {
      // Flags this run relies on; those after "--" come later and win.
      server.cmd.insert(server.cmd.end(), {"--data-dir", dir + "/data", "--log-level", "warn", "--max-connections",
                                           std::to_string(total + 100)});
      // Every connection comes from 127.0.0.1: lift the per-address limits
      // of a server that has them.
      const auto help = help_text(o.server_bin, dir + "/help.txt");
      for (const char* flag : {"--max-connections-per-ip", "--messages-per-second-per-ip"})
        if (help.find(std::string(flag) + " ") != std::string::npos) server.cmd.insert(server.cmd.end(), {flag, "0"});
    }
    server.cmd.insert(server.cmd.end(), o.server_args.begin(), o.server_args.end());
    server.pid = spawn(server.cmd, server_log);
    const auto give_up = steady::now() + 15s;
    for (;;) {
      if (const auto st = exited(server.pid)) {
        spdlog::error("the server exited with {} before listening; its log:\n{}", *st, tail_of(server_log));
        return 1;
      }
      if (const int fd = connect_to(plan.host, plan.port); fd >= 0) {
        ::close(fd);
        break;
      }
      if (steady::now() > give_up) {
        spdlog::error("the server did not listen on port {} within 15 s", plan.port);
        ::kill(server.pid, SIGKILL);
        return 1;
      }
      std::this_thread::sleep_for(50ms);
    }
  }
  return 0;
}

// SIGTERM, then SIGKILL after 15 s: the server's exit status.
int stop_server(const options& o, pid_t server) {
  if (o.server_bin.empty() || server <= 0) return 0;
  if (const auto st = exited(server)) return *st;
  ::kill(server, SIGTERM);
  const auto give_up = steady::now() + 15s;
  while (steady::now() < give_up) {
    if (const auto st = exited(server)) return *st;
    std::this_thread::sleep_for(20ms);
  }
  ::kill(server, SIGKILL);
  ::waitpid(server, nullptr, 0);
  return 128 + SIGKILL;
}

// When the workers connect, when the measured window opens and closes,
// and when everything must be done by.
void set_timeline(const options& o, run_plan& plan, uint32_t total) {
  const auto ns = [](double s) { return static_cast<int64_t>(s * 1e9); };
  const double ramp = static_cast<double>(total) / o.connect_rate;
  const int64_t now_ns = steady::now().time_since_epoch().count();
  plan.t0_ns = now_ns + ns(0.3);
  plan.ramp_ns = ns(ramp);
  plan.window_start_ns = plan.t0_ns + ns(ramp + o.settle);
  plan.window_end_ns = plan.window_start_ns + ns(o.duration);
  plan.interview_ns = ns(ramp + o.settle + o.duration);
  plan.stop_ns = plan.window_end_ns + ns(0.5);
  plan.deadline_ns = o.mode == run_mode::interview ? plan.window_end_ns + ns(ramp + o.grace) : plan.stop_ns + ns(10);
}

// Forks the workers, samples CPU at the window's edges, reaps them (killing
// any past the deadline) and merges what each wrote.
worker_results run_workers(const run_plan& plan, uint32_t workers, const std::string& dir, pid_t server,
                           measurement& meas) {
  const auto at = [](int64_t t) { return steady::time_point(std::chrono::nanoseconds(t)); };
  std::vector<pid_t> pids;
  for (uint32_t i = 0; i < workers; ++i) {
    const pid_t pid = ::fork();
    if (pid == 0) {
      const auto res = run_worker(plan, i, workers);
      const auto path = dir + "/worker-" + std::to_string(i) + ".bin";
      std::ofstream out(path, std::ios::binary);
      out.write(reinterpret_cast<const char*>(&res), sizeof res);
      out.close();
      ::_exit(out ? 0 : 1);
    }
    pids.push_back(pid);
  }
  auto workers_cpu = [&](double& wait) {
    double s = 0;
    wait = 0;
    for (auto p : pids) {
      const auto x = sample_process(p);
      s += x.cpu_seconds;
      wait += x.run_wait_seconds;
    }
    return s;
  };

  std::this_thread::sleep_until(at(plan.window_start_ns));
  meas.server_window_start = sample_process(server);
  meas.workers_cpu_window_start = workers_cpu(meas.workers_wait_window_start);
  std::this_thread::sleep_until(at(plan.window_end_ns));
  meas.server_window_end = sample_process(server);
  meas.workers_cpu_window_end = workers_cpu(meas.workers_wait_window_end);
  meas.load_window_end = loadavg();

  const auto hard_limit = at(plan.deadline_ns) + 15s;
  size_t running = pids.size();
  std::vector<bool> reaped(pids.size());
  while (running > 0) {
    for (size_t i = 0; i < pids.size(); ++i) {
      if (reaped[i]) continue;
      if (const auto st = exited(pids[i])) {
        reaped[i] = true;
        --running;
        if (*st != 0) ++meas.workers_failed;
      }
    }
    if (running == 0) break;
    if (steady::now() > hard_limit) {
      for (size_t i = 0; i < pids.size(); ++i)
        if (!reaped[i]) {
          ::kill(pids[i], SIGKILL);
          ::waitpid(pids[i], nullptr, 0);
          ++meas.workers_failed;
        }
      break;
    }
    std::this_thread::sleep_for(20ms);
  }
  worker_results all;
  for (uint32_t i = 0; i < workers; ++i) {
    worker_results r;
    std::ifstream in(dir + "/worker-" + std::to_string(i) + ".bin", std::ios::binary);
    if (in.read(reinterpret_cast<char*>(&r), sizeof r)) all.merge(r);
  }

  return all;
}

// The human report on stdout, the JSON one (--json), and the --check verdict.
int report(const options& o, const measurement& meas, const worker_results& all, const server_run& started,
           const std::string& dir, uint32_t total, uint32_t workers) {
  const pid_t server = started.pid;
  const auto& server_cmd = started.cmd;
  const std::string server_log = dir + "/server.log";
  const double ramp = static_cast<double>(total) / o.connect_rate;
  const double window = o.duration;
  const auto& sb = meas.server_before;
  const auto& sws = meas.server_window_start;
  const auto& swe = meas.server_window_end;
  const double server_cpu_window = swe.cpu_seconds - sws.cpu_seconds;
  const double gen_cpu_window = meas.workers_cpu_window_end - meas.workers_cpu_window_start;
  const double server_wait_window = swe.run_wait_seconds - sws.run_wait_seconds;
  const double gen_wait_window = meas.workers_wait_window_end - meas.workers_wait_window_start;
  const uint64_t held = all.open_at_window_end;
  const double kib_per_conn = held ? static_cast<double>(swe.rss_kb - sb.rss_kb) / static_cast<double>(held) : 0;
  const uint64_t errors = all.error_total() + meas.workers_failed + (meas.server_died ? 1 : 0);

  std::string t;
  t += fmt::format("mockloop-load: mode {}, server {}{}, {} connections", mode_name(o.mode),
                   o.bare ? "bare baseline" : "mockloop", server > 0 ? fmt::format(" (pid {})", server) : "", total);
  if (o.mode != run_mode::idle)
    t += fmt::format(" in {} rooms (interviewer, candidate, {} observers)", o.rooms, o.observers);
  t += fmt::format(", {} worker{}, {} wire\n", workers, workers == 1 ? "" : "s", o.json ? "json" : "binary");
  t += fmt::format(
      "timeline: ramp {:.1f} s, settle {:.1f} s, window {:.1f} s; load average at start {}, at window end {}\n", ramp,
      o.settle, window, meas.load_start, meas.load_window_end);
  if (!server_cmd.empty()) {
    t += "server command:";
    for (const auto& a : server_cmd) t += " " + a;
    t += "\n";
  }
  t += fmt::format(
      "connections  attempted {}  upgraded {}  welcomed {}  failed {}  open at window start {}, end {}  dropped in "
      "window {}\n",
      all.attempted, all.opened, all.welcomed, all.connect_failures, all.open_at_window_start, all.open_at_window_end,
      all.dropped_in_window);
  t += fmt::format(
      "messages     window: in {:.0f}/s ({:.2f} MB/s), out {:.0f}/s ({:.3f} MB/s); whole run: in {}, out {}\n",
      all.win_msgs_in / window, all.win_bytes_in / window / 1e6, all.win_msgs_out / window,
      all.win_bytes_out / window / 1e6, all.msgs_in, all.msgs_out);
  // What the bytes in are, biggest share first.
  std::string types_json;
  {
    std::vector<size_t> fields;
    for (size_t i = 0; i < worker_results::max_body_field; ++i)
      if (all.win_type_msgs[i]) fields.push_back(i);
    std::sort(fields.begin(), fields.end(),
              [&](size_t a, size_t b) { return all.win_type_bytes[a] > all.win_type_bytes[b]; });
    std::string row;
    for (const auto i : fields) {
      const auto* f = v1::ServerMessage::descriptor()->FindFieldByNumber(static_cast<int>(i));
      const std::string name = f ? f->name() : fmt::format("field {}", i);
      row += fmt::format("{}{} {:.0f}/s {:.2f} MB/s ({:.0f} B)", row.empty() ? "" : ", ", name,
                         all.win_type_msgs[i] / window, all.win_type_bytes[i] / window / 1e6,
                         double(all.win_type_bytes[i]) / double(all.win_type_msgs[i]));
      types_json += fmt::format(R"({}{}:{{"msgs_per_s":{:.1f},"bytes_per_s":{:.0f}}})", types_json.empty() ? "" : ",",
                                json_str(name), all.win_type_msgs[i] / window, all.win_type_bytes[i] / window);
    }
    if (!row.empty()) t += "             in by type: " + row + "\n";
  }
  // Every connection in a room gets one tick a second while its clock runs.
  const double expected_ticks = o.mode == run_mode::idle ? 0 : double(all.open_at_window_start) * window;
  t += fmt::format(
      "ticks        {} in window ({:.0f}/s, {:.1f}% of one a second per connection), {} in all, {:.1f} bytes each\n",
      all.win_ticks, all.win_ticks / window, expected_ticks > 0 ? 100.0 * double(all.win_ticks) / expected_ticks : 0.0,
      all.ticks, all.ticks ? double(all.tick_bytes) / double(all.ticks) : 0.0);
  if (o.mode != run_mode::idle) {
    t += fmt::format(
        "rooms        {} started, {} clock running, {} debriefed, {} completed, {} failed, {} unfinished\n", all.rooms,
        all.rooms_running, all.rooms_debriefed, all.rooms_completed, all.rooms_failed, all.rooms_unfinished);
  }
  if (o.mode == run_mode::interview) {
    t += fmt::format("actions      follow-ups {}, notes {}, drafts {}, markers {}, submissions {}, reveals {}\n",
                     all.follow_ups, all.notes, all.drafts, all.markers, all.submissions, all.reveals);
  }
  t += fmt::format("\n  {:<24}{:>10}{:>10}{:>10}{:>10}{:>10}\n", "latency (ms)", "count", "p50", "p99", "p99.9", "max");
  t += hist_row("tick, window", all.tick_window);
  t += hist_row("tick, whole run", all.tick_all);
  if (o.mode == run_mode::interview) {
    t += hist_row("follow-up round trip", all.follow_up_rtt);
    t += hist_row("submission round trip", all.submit_rtt);
  }
  t += hist_row("connect to Welcome", all.connect);
  if (o.mode != run_mode::idle) t += hist_row("tick sent late (gap-1s)", all.tick_gap_excess);
  // Seconds of the run whose worst tick took over 100 ms: a stall shows as
  // a few such seconds, a steady tail as many.
  std::string slow_seconds, slow_json;
  size_t slow = 0;
  for (size_t i = 0; i < worker_results::max_seconds; ++i) {
    if (all.worst_tick_us[i] <= 100'000) continue;
    if (++slow <= 12) slow_seconds += fmt::format(" {}s:{:.0f}ms", i, ms(all.worst_tick_us[i]));
    slow_json += fmt::format("{}[{},{:.1f}]", slow_json.empty() ? "" : ",", i, ms(all.worst_tick_us[i]));
  }
  if (slow)
    t += fmt::format("  seconds from start with a tick over 100 ms: {}{}{}\n", slow, slow ? " -" : "",
                     slow_seconds + (slow > 12 ? " ..." : ""));
  t += fmt::format("\nerrors       {}", errors);
  std::string codes_json;
  for (size_t i = 0; i < std::size(all.error_replies); ++i) {
    if (!all.error_replies[i]) continue;
    const auto name = v1::ErrorCode_Name(static_cast<v1::ErrorCode>(i));
    t += fmt::format(", {} {}", name, all.error_replies[i]);
    codes_json += fmt::format("{}{}:{}", codes_json.empty() ? "" : ",", json_str(name), all.error_replies[i]);
  }
  t += fmt::format(
      " (connect failures {}, unexpected closes {}, undecodable {}, unexpected replies {}, unfinished rooms {}, "
      "failed workers {}{})\n",
      all.connect_failures, all.unexpected_closes, all.decode_failures, all.flow_errors, all.rooms_unfinished,
      meas.workers_failed, meas.server_died ? ", server died" : "");
  if (sb.ok) {
    t += fmt::format(
        "server       CPU {:.3f} cores in the window ({:.2f} s of {:.1f} s), runnable but waiting for a core "
        "{:.2f} s\n",
        server_cpu_window / window, server_cpu_window, window, server_wait_window);
    t += fmt::format(
        "             RSS {:.1f} MiB empty, "
        "{:.1f} MiB at window start, {:.1f} MiB at window end, peak {:.1f} MiB\n",
        sb.rss_kb / 1024.0, sws.rss_kb / 1024.0, swe.rss_kb / 1024.0, meas.server_end.hwm_kb / 1024.0);
    t += fmt::format("             memory per connection: (RSS at window end - empty) / {} open = {:.2f} KiB\n", held,
                     kib_per_conn);
  }
  t += fmt::format(
      "generator    CPU {:.3f} cores in the window (all workers), runnable but waiting for a core {:.2f} s\n",
      gen_cpu_window / window, gen_wait_window);
  std::fputs(t.c_str(), stdout);
  std::fflush(stdout);

  std::string cmd_json;
  for (const auto& a : server_cmd) cmd_json += (cmd_json.empty() ? "" : ",") + json_str(a);
  const std::string j = fmt::format(
      R"({{"mode":"{}","server":"{}","server_command":[{}],"wire":"{}","connections":{},"rooms":{},"observers":{},)"
      R"("workers":{},"ramp_s":{:.3f},"settle_s":{:.3f},"window_s":{:.3f},"loadavg_start":{},"loadavg_window_end":{},)"
      R"("conns":{{"attempted":{},"upgraded":{},"welcomed":{},"failed":{},"open_window_start":{},"open_window_end":{},"dropped_in_window":{}}},)"
      R"("window":{{"msgs_in_per_s":{:.1f},"msgs_out_per_s":{:.1f},"bytes_in_per_s":{:.0f},"bytes_out_per_s":{:.0f},"ticks":{},"ticks_per_s":{:.1f},"in_by_type":{{{}}}}},)"
      R"("totals":{{"msgs_in":{},"msgs_out":{},"bytes_in":{},"bytes_out":{},"ticks":{},"tick_bytes_mean":{:.1f}}},)"
      R"("rooms_detail":{{"started":{},"running":{},"debriefed":{},"completed":{},"failed":{},"unfinished":{}}},)"
      R"("actions":{{"follow_ups":{},"notes":{},"drafts":{},"markers":{},"submissions":{},"reveals":{}}},)"
      R"("latency":{{"tick_window":{},"tick_all":{},"follow_up_rtt":{},"submit_rtt":{},"connect":{},"tick_gap_excess":{},"slow_seconds":[{}]}},)"
      R"("errors":{{"total":{},"by_code":{{{}}},"connect_failures":{},"unexpected_closes":{},"undecodable":{},"unexpected_replies":{},"unfinished_rooms":{},"failed_workers":{},"server_died":{}}},)"
      R"("server_proc":{{"cpu_s_window":{:.3f},"cpu_cores_window":{:.4f},"run_wait_s_window":{:.3f},"rss_kib_empty":{},"rss_kib_window_start":{},"rss_kib_window_end":{},"rss_kib_peak":{},"kib_per_connection":{:.3f},"exit_status":{}}},)"
      R"("generator_cpu_cores_window":{:.4f},"generator_run_wait_s_window":{:.3f}}})",
      mode_name(o.mode), o.bare ? "bare" : "mockloop", cmd_json, o.json ? "json" : "binary", total,
      o.mode == run_mode::idle ? 0 : o.rooms, o.observers, workers, ramp, o.settle, window, json_str(meas.load_start),
      json_str(meas.load_window_end), all.attempted, all.opened, all.welcomed, all.connect_failures,
      all.open_at_window_start, all.open_at_window_end, all.dropped_in_window, all.win_msgs_in / window,
      all.win_msgs_out / window, all.win_bytes_in / window, all.win_bytes_out / window, all.win_ticks,
      all.win_ticks / window, types_json, all.msgs_in, all.msgs_out, all.bytes_in, all.bytes_out, all.ticks,
      all.ticks ? double(all.tick_bytes) / double(all.ticks) : 0.0, all.rooms, all.rooms_running, all.rooms_debriefed,
      all.rooms_completed, all.rooms_failed, all.rooms_unfinished, all.follow_ups, all.notes, all.drafts, all.markers,
      all.submissions, all.reveals, hist_json(all.tick_window), hist_json(all.tick_all), hist_json(all.follow_up_rtt),
      hist_json(all.submit_rtt), hist_json(all.connect), hist_json(all.tick_gap_excess), slow_json, errors, codes_json,
      all.connect_failures, all.unexpected_closes, all.decode_failures, all.flow_errors, all.rooms_unfinished,
      meas.workers_failed, meas.server_died, server_cpu_window, server_cpu_window / window, server_wait_window,
      sb.rss_kb, sws.rss_kb, swe.rss_kb, meas.server_end.hwm_kb, kib_per_conn, meas.server_exit,
      gen_cpu_window / window, gen_wait_window);
  if (o.json_path == "-") {
    std::printf("%s\n", j.c_str());
  } else if (!o.json_path.empty()) {
    std::ofstream(o.json_path) << j << "\n";
  }

  if (meas.server_died || (o.check && errors)) {
    if (!o.server_bin.empty()) spdlog::warn("server log ({}):\n{}", server_log, tail_of(server_log));
  }

  if (!o.check) return 0;
  bool ok = errors == 0 && all.welcomed == total;
  if (o.mode != run_mode::idle) ok = ok && all.ticks > 0 && all.rooms_completed == o.rooms;
  if (o.mode == run_mode::interview) ok = ok && all.rooms_debriefed == o.rooms;
  if (!ok)
    spdlog::error("check failed: {} errors, {} of {} welcomed, {} ticks, {} of {} rooms completed", errors,
                  all.welcomed, total, all.ticks, all.rooms_completed, o.rooms);
  return ok ? 0 : 1;
}

int run(const options& o) {
  // Every connection is a file; take all the kernel allows (the server
  // started below inherits it).
  rlimit rl{};
  ::getrlimit(RLIMIT_NOFILE, &rl);
  rl.rlim_cur = rl.rlim_max;
  ::setrlimit(RLIMIT_NOFILE, &rl);

  const uint32_t total = total_connections(o);
  if (total == 0 || total > max_total_connections) {
    spdlog::error("{} connections: between 1 and {}", total, max_total_connections);
    return 2;
  }
  const uint32_t workers = o.workers ? o.workers : (total + 7999) / 8000;
  const uint64_t per_worker = (total + workers - 1) / workers;
  if (per_worker + 64 > rl.rlim_cur) {
    spdlog::error("{} connections per worker exceed the open-file limit {}; use more --workers", per_worker,
                  static_cast<uint64_t>(rl.rlim_cur));
    return 2;
  }

  char dir_template[] = "/tmp/mockloop-load-XXXXXX";
  if (!::mkdtemp(dir_template)) {
    spdlog::error("cannot create a temporary directory: {}", std::strerror(errno));
    return 1;
  }
  const std::string dir = dir_template;
  // Removed on every way out, unless --keep.
  struct dir_guard {
    const std::string& dir;
    bool keep;
    ~dir_guard() {
      std::error_code ec;
      if (keep)
        spdlog::info("kept {}", dir);
      else
        std::filesystem::remove_all(dir, ec);
    }
  } guard{dir, o.keep};

  // ---- the server
  run_plan plan;
  plan.mode = o.mode;
  plan.bare_server = o.bare;
  plan.json = o.json;
  plan.host = o.host;
  plan.port = o.port;
  plan.rooms = o.rooms;
  plan.observers = o.observers;
  plan.connections = o.connections;
  plan.action_ms = o.action_ms;
  plan.seed = o.seed;
  server_run server;
  if (const int rc = start_server(o, plan, dir, total, server)) return rc;

  if (o.mode != run_mode::idle && !o.bare) {
    plan.scenarios = o.scenarios.empty() ? scenario_ids(http_get(plan.host, plan.port, "/api/scenarios")) : o.scenarios;
    if (plan.scenarios.empty()) {
      spdlog::error("no scenarios: GET /api/scenarios listed none (start the server with --scenarios-dir)");
      stop_server(o, server.pid);
      return 1;
    }
  }

  measurement meas;
  std::this_thread::sleep_for(500ms);  // let the server settle before its "empty" memory figure
  meas.server_before = sample_process(server.pid);
  meas.load_start = loadavg();

  set_timeline(o, plan, total);
  worker_results all = run_workers(plan, workers, dir, server.pid, meas);
  meas.server_end = sample_process(server.pid);
  if (!o.server_bin.empty()) meas.server_died = exited(server.pid).has_value();
  meas.server_exit = stop_server(o, server.pid);

  return report(o, meas, all, server, dir, total, workers);
}

}  // namespace
}  // namespace mockloop::load

int main(int argc, char** argv) {
  spdlog::set_pattern("mockloop-load: %^%l%$ %v");
  std::string err;
  const auto opts = mockloop::load::parse(argc, argv, err);
  if (!opts) {
    if (err.empty()) {
      std::fputs(mockloop::load::usage, stdout);
      return 0;
    }
    std::fprintf(stderr, "mockloop-load: %s (see --help)\n", err.c_str());
    return 2;
  }
  return mockloop::load::run(*opts);
}
