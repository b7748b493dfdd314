// mockloop: the terminal client. Interactive (a prompt, pushes printed as
// they come, a live status line, automatic resume after a drop) or scripted
// (--script FILE: one command a line, exit non-zero on the first failure).
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

#include "console.h"
#include "terminal.h"

namespace {

using namespace mockloop;
using namespace mockloop::cli;
using std::chrono::milliseconds;
namespace fs = std::filesystem;

// Exit codes (docs/cli.md).
constexpr int exit_ok = 0;
constexpr int exit_failed = 1;      // a command failed: server Error, bad command
constexpr int exit_usage = 2;       // bad command line
constexpr int exit_timeout = 3;     // a wait (or a reply) did not come in time
constexpr int exit_connection = 4;  // cannot connect, or the connection was lost

int exit_code(status s) {
  switch (s) {
    case status::ok:
    case status::quit:
      return exit_ok;
    case status::failed:
      return exit_failed;
    case status::timed_out:
      return exit_timeout;
    case status::disconnected:
      return exit_connection;
  }
  return exit_failed;
}

volatile std::sig_atomic_t g_stop = 0;

void on_signal(int) { g_stop = 1; }

const char* usage_text =
    "usage: mockloop [options]                 interactive\n"
    "       mockloop [options] --script FILE   run commands from FILE ('-' for stdin)\n"
    "\n"
    "options:\n"
    "  --url ws://HOST:PORT/ws   the server (default ws://127.0.0.1:8080/ws)\n"
    "  --host HOST, --port PORT  override the URL's host or port\n"
    "  --name NAME               display name (default $USER)\n"
    "  --json                    speak mockloop.v1.json (default: binary mockloop.v1.proto)\n"
    "  --user-key KEY            the key your interview history is kept under (default: the one in\n"
    "                            $XDG_CONFIG_HOME/mockloop/user_key or ~/.config/mockloop/user_key,\n"
    "                            created with a random value on first use)\n"
    "  --profile NAME            keep a separate user key, user_key.NAME beside the default one: a second\n"
    "                            person on this machine (a candidate beside an interviewer)\n"
    "  --script FILE             scripted mode: one command per line, # comments\n"
    "  --json-out                print every server message as a line of JSON on stdout\n"
    "                            (the readable lines then go to stderr)\n"
    "  --timeout DURATION        deadline for each request's reply (default 10s)\n"
    "  --wait-timeout DURATION   default deadline of `wait` (default 60s)\n"
    "  --no-auto-join            do not join a match by itself (interactive, `wait matched`)\n"
    "  --help                    this text; `help` inside lists the commands\n"
    "\n"
    "exit codes: 0 done, 1 a command failed, 2 bad usage, 3 a wait timed out, 4 connection failed or lost\n";

struct cli_args {
  console_options console;
  std::string script;  // empty: interactive
  bool json_out = false;
  std::string user_key;
  std::string profile;  // empty: the default key file
};

bool parse_url(std::string_view url, client_options& o, std::string& error) {
  if (url.starts_with("wss://")) {
    error = "wss:// is not supported (this client speaks plain ws://; put a TLS proxy in front of it)";
    return false;
  }
  if (!url.starts_with("ws://")) {
    error = "the URL must start with ws://";
    return false;
  }
  url.remove_prefix(5);
  const auto slash = url.find('/');
  std::string_view authority = url.substr(0, slash);
  o.target = slash == std::string_view::npos ? "/ws" : std::string(url.substr(slash));
  std::string_view port;
  if (authority.starts_with("[")) {  // [::1]:8080
    const auto close = authority.find(']');
    if (close == std::string_view::npos) {
      error = "unclosed [ in the URL";
      return false;
    }
    o.host = std::string(authority.substr(1, close - 1));
    if (close + 1 < authority.size() && authority[close + 1] == ':') port = authority.substr(close + 2);
  } else {
    const auto colon = authority.rfind(':');
    o.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port = authority.substr(colon + 1);
  }
  if (o.host.empty()) {
    error = "no host in the URL";
    return false;
  }
  if (!port.empty()) {
    unsigned p = 0;
    const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), p);
    if (ec != std::errc{} || end != port.data() + port.size() || p == 0 || p > 65535) {
      error = "bad port in the URL";
      return false;
    }
    o.port = static_cast<uint16_t>(p);
  } else {
    o.port = 80;
  }
  return true;
}

// Returns an error message, or empty.
std::string parse_args(int argc, char** argv, cli_args& out, bool& help) {
  auto& c = out.console;
  c.connection.host = "127.0.0.1";
  c.connection.port = 8080;
  c.connection.target = "/ws";
  c.connection.timeout = milliseconds(10'000);
  std::optional<std::string> host, port;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    std::optional<std::string> inline_value;
    if (const auto eq = arg.find('='); arg.starts_with("--") && eq != std::string::npos) {
      inline_value = arg.substr(eq + 1);
      arg.resize(eq);
    }
    auto value = [&]() -> std::optional<std::string> {
      if (inline_value) return inline_value;
      if (i + 1 < argc) return std::string(argv[++i]);
      return std::nullopt;
    };
    auto flag_only = [&] { return !inline_value; };
    if (arg == "--help" || arg == "-h") {
      help = true;
      return {};
    } else if (arg == "--json" && flag_only()) {
      c.connection.wire = encoding::json;
    } else if (arg == "--json-out" && flag_only()) {
      out.json_out = true;
    } else if (arg == "--no-auto-join" && flag_only()) {
      c.auto_join = false;
    } else if (arg == "--url" || arg == "--host" || arg == "--port" || arg == "--name" || arg == "--user-key" ||
               arg == "--profile" || arg == "--script" || arg == "--timeout" || arg == "--wait-timeout") {
      auto v = value();
      if (!v) return arg + " needs a value";
      if (arg == "--url") {
        std::string error;
        if (!parse_url(*v, c.connection, error)) return "--url: " + error;
      } else if (arg == "--host") {
        host = *v;
      } else if (arg == "--port") {
        port = *v;
      } else if (arg == "--name") {
        c.display_name = *v;
      } else if (arg == "--user-key") {
        out.user_key = *v;
        if (v->empty() || v->size() > 128) return "--user-key takes 1 to 128 bytes";
      } else if (arg == "--profile") {
        out.profile = *v;
        const bool ok = !v->empty() && v->size() <= 32 && std::all_of(v->begin(), v->end(), [](char ch) {
          return std::isalnum(static_cast<unsigned char>(ch)) || ch == '-' || ch == '_';
        });
        if (!ok) return "--profile takes 1 to 32 letters, digits, - or _";
      } else if (arg == "--script") {
        out.script = *v;
        if (v->empty()) return "--script needs a file name, or - for stdin";
      } else {
        auto d = parse_duration(*v, milliseconds(1000));
        if (!d || d->count() == 0) return arg + " takes a duration such as 30s or 1500ms";
        (arg == "--timeout" ? c.connection.timeout : c.wait_timeout) = *d;
      }
    } else {
      return "unknown option " + std::string(argv[i]);
    }
  }
  if (host) c.connection.host = *host;
  if (port) {
    unsigned p = 0;
    const auto [end, ec] = std::from_chars(port->data(), port->data() + port->size(), p);
    if (ec != std::errc{} || end != port->data() + port->size() || p == 0 || p > 65535)
      return "--port takes 1 to 65535";
    c.connection.port = static_cast<uint16_t>(p);
  }
  if (c.display_name.empty()) {
    const char* user = std::getenv("USER");
    c.display_name = user && *user ? user : "mockloop-cli";
  }
  if (c.display_name.size() > 64) return "--name takes at most 64 bytes";
  return {};
}

std::string trim(std::string s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  size_t start = 0;
  while (start < s.size() && std::isspace(static_cast<unsigned char>(s[start]))) ++start;
  return s.substr(start);
}

std::string random_hex(size_t bytes) {
  std::random_device rd;  // the kernel's CSPRNG on Linux
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < bytes; ++i) {
    const auto b = rd() & 0xff;
    out += digits[b >> 4];
    out += digits[b & 0xf];
  }
  return out;
}

// ~/.config/mockloop/user_key (or under $XDG_CONFIG_HOME): the key the
// server keeps this person's interview history under. Created once with 128
// random bits, readable by its owner only. Empty path: no home to keep it.
// With a profile, user_key.<profile> beside it: another person's key.
fs::path user_key_path(const std::string& profile) {
  const std::string file = profile.empty() ? "user_key" : "user_key." + profile;
  if (const char* xdg = std::getenv("XDG_CONFIG_HOME"); xdg && xdg[0] == '/')
    return fs::path(xdg) / "mockloop" / file;
  if (const char* home = std::getenv("HOME"); home && *home)
    return fs::path(home) / ".config" / "mockloop" / file;
  return {};
}

std::string read_key(const fs::path& path) {
  std::ifstream in(path);
  if (!in) return {};
  std::stringstream ss;
  ss << in.rdbuf();
  auto key = trim(ss.str());
  return key.size() <= 128 ? key : std::string();
}

std::string load_or_create_user_key(const std::string& profile, std::string& warning) {
  const auto path = user_key_path(profile);
  if (path.empty()) {
    warning = "no HOME or XDG_CONFIG_HOME: using a key for this run only";
    return random_hex(16);
  }
  if (auto key = read_key(path); !key.empty()) return key;
  std::error_code ec;
  fs::create_directories(path.parent_path(), ec);
  ::chmod(path.parent_path().c_str(), 0700);
  const auto key = random_hex(16);
  // O_EXCL: two clients starting at once keep one key, the first written.
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600);
  if (fd < 0) {
    if (errno == EEXIST)
      if (auto existing = read_key(path); !existing.empty()) return existing;
    warning = "cannot write " + path.string() + ": " + std::strerror(errno) + "; using a key for this run only";
    return key;
  }
  const std::string line = key + "\n";
  const bool written = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size());
  ::close(fd);
  if (!written) warning = "cannot write " + path.string();
  return key;
}

void write_line(FILE* f, std::string_view line) {
  std::fwrite(line.data(), 1, line.size(), f);
  std::fputc('\n', f);
  std::fflush(f);  // line by line, for whoever reads the output as it comes
}

// Scripted mode: the commands of `name` in order; the first failure ends it.
int run_script(console& c, const std::string& name, console::sink say) {
  std::unique_ptr<std::ifstream> file;
  if (name != "-") {
    file = std::make_unique<std::ifstream>(name);
    if (!*file) {
      std::fprintf(stderr, "mockloop: cannot read %s: %s\n", name.c_str(), std::strerror(errno));
      return exit_usage;
    }
  }
  if (auto r = c.connect(); r.kind != status::ok) {
    std::fprintf(stderr, "mockloop: %s\n", r.message.c_str());
    return exit_code(r.kind);
  }
  line_reader stdin_lines(0);
  std::vector<std::string> queued;
  size_t line_no = 0;
  while (true) {
    std::string text;
    if (file) {
      if (!std::getline(*file, text)) break;
    } else {
      // Keep serving the socket while the lines trickle in.
      while (queued.empty() && !stdin_lines.eof()) {
        queued = stdin_lines.poll_lines(50);
        if (queued.empty()) c.pump(milliseconds(1));
      }
      if (queued.empty()) break;
      text = std::move(queued.front());
      queued.erase(queued.begin());
    }
    ++line_no;
    const auto trimmed = trim(text);
    if (trimmed.empty() || trimmed[0] == '#') continue;
    c.pump(milliseconds(2));  // what the last command set off, shown before the next one
    say("> " + trimmed);
    const auto r = c.execute(trimmed);
    if (r.kind == status::quit) break;
    if (r.kind != status::ok) {
      std::fprintf(stderr, "mockloop: %s:%zu: %s: %s\n", name == "-" ? "stdin" : name.c_str(), line_no, trimmed.c_str(),
                   r.message.c_str());
      c.close();
      return exit_code(r.kind);
    }
  }
  c.close();
  return exit_ok;
}

// After a drop: connect again with the resume token, backing off, for
// about as long as the server holds a seat (120 s).
bool resume_after_drop(console& c, terminal& term) {
  term.print("connection lost: " + c.lost_reason() + "; reconnecting with the resume token");
  milliseconds delay(500);
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(110);
  while (!g_stop && std::chrono::steady_clock::now() < give_up) {
    term.set_status("[reconnecting]");
    for (auto slept = milliseconds(0); slept < delay && !g_stop; slept += milliseconds(50))
      std::this_thread::sleep_for(milliseconds(50));
    const auto r = c.reconnect();
    if (r.kind == status::ok) return true;
    term.print("reconnect failed: " + r.message);
    delay = std::min(delay * 2, milliseconds(10'000));
  }
  return false;
}

int run_interactive(console& c, terminal& term) {
  c.interactive = true;
  if (auto r = c.connect(); r.kind != status::ok) {
    term.print("mockloop: " + r.message);
    return exit_code(r.kind);
  }
  term.print("type `help` for the commands, `quit` to leave");
  while (!g_stop) {
    for (const auto& line : term.poll_lines(50)) {
      const auto r = c.execute(line);
      if (r.kind == status::quit) {
        c.close();
        return exit_ok;
      }
      if (r.kind != status::ok && !r.message.empty()) term.print("error: " + r.message);
      if (g_stop) break;
    }
    if (term.eof()) break;
    c.pump(milliseconds(20), true);
    if (!c.connected() && !resume_after_drop(c, term)) {
      if (g_stop) break;
      term.print("mockloop: could not resume; giving up");
      return exit_connection;
    }
    term.set_status(c.status_line());
  }
  c.close();
  return exit_ok;
}

}  // namespace

int main(int argc, char** argv) {
  cli_args args;
  bool help = false;
  if (auto error = parse_args(argc, argv, args, help); !error.empty()) {
    std::fprintf(stderr, "mockloop: %s\n\n%s", error.c_str(), usage_text);
    return exit_usage;
  }
  if (help) {
    std::fputs(usage_text, stdout);
    return exit_ok;
  }
  // Protobuf's own log lines (a bad UTF-8 string, say) are not for the user.
  route_protobuf_logs([](int, const char*, int, const std::string&) {});

  std::string warning;
  args.console.user_key = args.user_key.empty() ? load_or_create_user_key(args.profile, warning) : args.user_key;
  if (!warning.empty()) std::fprintf(stderr, "mockloop: %s\n", warning.c_str());

  if (!args.script.empty()) {
    // With --json-out, stdout carries JSON only; people read stderr.
    FILE* readable = args.json_out ? stderr : stdout;
    console::sink say = [readable](std::string_view l) { write_line(readable, l); };
    console::sink json;
    if (args.json_out) json = [](std::string_view l) { write_line(stdout, l); };
    console c(args.console, say, json);
    return run_script(c, args.script, say);
  }

  struct sigaction sa {};
  sa.sa_handler = on_signal;  // no SA_RESTART: poll() returns and the loop sees g_stop
  ::sigaction(SIGINT, &sa, nullptr);
  ::sigaction(SIGTERM, &sa, nullptr);
  ::sigaction(SIGHUP, &sa, nullptr);
  terminal term;
  console::sink json;
  if (args.json_out) json = [&term](std::string_view l) { term.print(l); };
  console::sink say = [&term](std::string_view l) { term.print(l); };
  console c(args.console, say, json);
  c.interrupted = &g_stop;
  return run_interactive(c, term);
}
