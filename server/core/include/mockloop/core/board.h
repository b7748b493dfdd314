// The shared board of one round: objects changed by ops in the server's
// order, last writer wins per property, a removal final. Plain state: the
// room decides who may draw and when, logs what plan() returns, and the
// board changes only when each logged op is replayed.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "mockloop/v1/board.pb.h"
#include "mockloop/v1/wire.pb.h"

namespace mockloop {

struct board_limits {
  uint32_t max_objects = 200;     // boxes, arrows and labels on one board (removed ones included)
  uint32_t max_ops = 2000;        // changes in one round; a 10-minute sketch is ~100
  uint32_t max_text_bytes = 200;  // a component's name and a line about it
  int32_t width = 4000;           // the canvas, in board units
  int32_t height = 3000;
  int32_t min_size = 8;  // a box's smallest and largest side
  int32_t max_size = 2000;
};

class board {
 public:
  struct result {
    // What to log, replay and send, in order: the op itself (seq and
    // author set), then the arrows a removal takes with it. Empty with no
    // error: the op would change nothing (a second removal of the same
    // object).
    std::vector<v1::BoardOp> applied;
    std::optional<v1::Error> error;
  };

  // A client's op, checked against the board and the limits; the board is
  // unchanged until the ops are replayed.
  result plan(const v1::BoardOp& op, const std::string& by, const board_limits& limits) const;
  // An op as planned or as logged (no cascade: the log holds the
  // cascade's removals too). False if it does not fit the board.
  bool replay(const v1::BoardOp& op);

  v1::Board snapshot(const std::string& room_id, uint32_t round) const;
  // A client's copy: the server's snapshot, then its ops through replay().
  void load(const v1::Board& b);
  const v1::BoardObject* object(const std::string& id) const;
  bool empty() const { return live_ == 0; }
  uint64_t seq() const { return seq_; }
  void clear();

 private:
  v1::BoardObject* find(const std::string& id);
  void set(v1::BoardObject& o, const v1::BoardProps& p);
  std::optional<v1::Error> check(const v1::BoardOp& op, const board_limits& limits) const;
  std::optional<v1::Error> check_endpoint(const std::string& field, const std::string& id,
                                          const std::string& self) const;

  std::vector<v1::BoardObject> objects_;  // creation order, removed ones erased
  std::unordered_map<std::string, size_t> index_;
  std::set<std::string> removed_;
  size_t live_ = 0;
  uint64_t seq_ = 0;
  uint32_t ops_ = 0;
};

// The board as a standalone SVG document, cropped to what was drawn; every
// text XML-escaped. Empty string for an empty board.
std::string render_board_svg(const v1::Board& b);

// A readable list of what is on the board ("[API gateway] -> [Redis]: token
// counts"), for the Markdown debrief.
std::vector<std::string> describe_board(const v1::Board& b);

}  // namespace mockloop
