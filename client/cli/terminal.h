// The terminal side of the client: lines in from a file descriptor without
// blocking the socket, lines out above a live status line.
//
// On a TTY (stdin and stdout both), input is read in non-canonical mode
// with a minimal line editor (backspace, Ctrl-U, Ctrl-W, Ctrl-D), so the
// status line and the prompt can be redrawn under incoming pushes without
// losing what is being typed. Anywhere else it is plain line-by-line I/O.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <termios.h>

namespace mockloop::cli {

// Reads lines from a descriptor with poll(), so the caller can keep
// serving the socket while nobody types.
class line_reader {
 public:
  explicit line_reader(int fd) : fd_(fd) {}
  // Waits up to timeout_ms for input; returns the complete lines read. Sets
  // eof() once the descriptor is exhausted (a last unterminated line is
  // returned then).
  std::vector<std::string> poll_lines(int timeout_ms);
  bool eof() const { return eof_; }

 private:
  int fd_;
  std::string pending_;
  bool eof_ = false;
};

class terminal {
 public:
  terminal();  // takes the TTY into non-canonical mode when there is one
  ~terminal();
  terminal(const terminal&) = delete;
  terminal& operator=(const terminal&) = delete;

  bool is_tty() const { return tty_; }

  // One line of output, printed above the status line.
  void print(std::string_view line);
  // The live status line (and prompt); redrawn only when it changes.
  void set_status(std::string status);

  // Waits up to timeout_ms for keys and returns the lines completed.
  std::vector<std::string> poll_lines(int timeout_ms);
  bool eof() const { return tty_ ? eof_ : reader_.eof(); }

 private:
  void redraw();
  void clear_line();
  void on_key(char c, std::vector<std::string>& lines);

  bool tty_ = false;
  std::optional<termios> saved_;
  line_reader reader_{0};
  std::string status_;
  std::string input_;
  bool eof_ = false;
  int escape_ = 0;  // inside an escape sequence (arrow keys): 1 after ESC, 2 after ESC [
};

// Restores the terminal if a signal ends the process (set up by terminal).
void restore_terminal();

}  // namespace mockloop::cli
