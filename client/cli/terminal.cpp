#include "terminal.h"

#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <utility>

namespace mockloop::cli {

namespace {

// Saved for restore_terminal(), which may run from a signal's exit path.
termios g_saved;
bool g_raw = false;

void write_all(int fd, std::string_view s) {
  while (!s.empty()) {
    const auto n = ::write(fd, s.data(), s.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return;
    }
    s.remove_prefix(static_cast<size_t>(n));
  }
}

}  // namespace

void restore_terminal() {
  if (g_raw) {
    ::tcsetattr(0, TCSANOW, &g_saved);
    g_raw = false;
  }
}

std::vector<std::string> line_reader::poll_lines(int timeout_ms) {
  std::vector<std::string> lines;
  if (eof_) return lines;
  pollfd p{fd_, POLLIN, 0};
  const int ready = ::poll(&p, 1, timeout_ms);
  if (ready <= 0) return lines;  // timeout, or EINTR: the caller loops
  char buf[4096];
  const auto n = ::read(fd_, buf, sizeof buf);
  if (n < 0) {
    if (errno == EINTR || errno == EAGAIN) return lines;
    eof_ = true;
  } else if (n == 0) {
    eof_ = true;
  } else {
    pending_.append(buf, static_cast<size_t>(n));
  }
  size_t start = 0;
  for (size_t nl; (nl = pending_.find('\n', start)) != std::string::npos; start = nl + 1) {
    std::string line = pending_.substr(start, nl - start);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    lines.push_back(std::move(line));
  }
  pending_.erase(0, start);
  if (eof_ && !pending_.empty()) lines.push_back(std::exchange(pending_, {}));
  return lines;
}

terminal::terminal() {
  tty_ = ::isatty(0) && ::isatty(1);
  if (!tty_) return;
  termios t;
  if (::tcgetattr(0, &t) != 0) {
    tty_ = false;
    return;
  }
  saved_ = t;
  g_saved = t;
  // Keys one at a time and no echo: we draw the input line ourselves.
  // ISIG stays on, so Ctrl-C still interrupts.
  t.c_lflag &= static_cast<tcflag_t>(~(ICANON | ECHO));
  t.c_cc[VMIN] = 1;
  t.c_cc[VTIME] = 0;
  if (::tcsetattr(0, TCSANOW, &t) != 0) {
    tty_ = false;
    return;
  }
  g_raw = true;
}

terminal::~terminal() {
  if (!tty_) return;
  clear_line();
  restore_terminal();
}

void terminal::clear_line() { write_all(1, "\r\033[K"); }

void terminal::redraw() {
  clear_line();
  write_all(1, status_ + (status_.empty() ? "" : " ") + "> " + input_);
}

void terminal::print(std::string_view line) {
  if (!tty_) {
    std::string out(line);
    out += '\n';
    write_all(1, out);
    return;
  }
  clear_line();
  std::string out(line);
  out += '\n';
  write_all(1, out);
  redraw();
}

void terminal::set_status(std::string status) {
  if (!tty_ || status == status_) return;
  status_ = std::move(status);
  redraw();
}

void terminal::on_key(char c, std::vector<std::string>& lines) {
  const auto u = static_cast<unsigned char>(c);
  if (escape_ == 1) {
    escape_ = (c == '[' || c == 'O') ? 2 : 0;
    return;
  }
  if (escape_ == 2) {
    if (u >= 0x40 && u <= 0x7e) escape_ = 0;  // the sequence's final byte
    return;
  }
  switch (c) {
    case '\033':
      escape_ = 1;
      return;
    case '\r':
    case '\n': {
      // Leave the command on screen, as a shell does.
      clear_line();
      write_all(1, "> " + input_ + "\n");
      lines.push_back(std::exchange(input_, {}));
      redraw();
      return;
    }
    case 0x7f:
    case '\b':
      // One UTF-8 character: continuation bytes, then the lead byte.
      while (!input_.empty() && (static_cast<unsigned char>(input_.back()) & 0xc0) == 0x80) input_.pop_back();
      if (!input_.empty()) input_.pop_back();
      break;
    case 0x15:  // Ctrl-U
      input_.clear();
      break;
    case 0x17:  // Ctrl-W: the last word
      while (!input_.empty() && input_.back() == ' ') input_.pop_back();
      while (!input_.empty() && input_.back() != ' ') input_.pop_back();
      break;
    case 0x04:  // Ctrl-D: end of input on an empty line
      if (input_.empty()) eof_ = true;
      return;
    default:
      if (u < 0x20) return;  // other control keys: ignored
      input_ += c;
  }
  redraw();
}

std::vector<std::string> terminal::poll_lines(int timeout_ms) {
  if (!tty_) return reader_.poll_lines(timeout_ms);
  std::vector<std::string> lines;
  pollfd p{0, POLLIN, 0};
  if (::poll(&p, 1, timeout_ms) <= 0) return lines;
  char buf[256];
  const auto n = ::read(0, buf, sizeof buf);
  if (n == 0) eof_ = true;
  for (ssize_t i = 0; i < n; ++i) on_key(buf[i], lines);
  return lines;
}

}  // namespace mockloop::cli
