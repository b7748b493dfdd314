// A session's outbound frames, oldest first. Unlike std::deque, which
// allocates its first 512-byte block even while empty, an empty queue
// holds no memory: most connections sit idle with nothing to send, and
// at 15,000 of them the deque alone was 8 MiB.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

namespace mockloop {

class frame_queue {
 public:
  using frame = std::shared_ptr<const std::string>;

  bool empty() const { return head_ == items_.size(); }
  size_t size() const { return items_.size() - head_; }
  const frame& front() const { return items_[head_]; }
  const frame& back() const { return items_.back(); }

  void push_back(frame f) { items_.push_back(std::move(f)); }

  void pop_front() {
    items_[head_++].reset();
    if (empty()) {
      reset();
    } else if (head_ >= compact_after && head_ * 2 >= items_.size()) {
      // A queue that never drains (a steady stream to a slow reader) would
      // otherwise keep its spent slots forever.
      items_.erase(items_.begin(), items_.begin() + static_cast<std::ptrdiff_t>(head_));
      head_ = 0;
    }
  }

  void pop_back() {
    items_.pop_back();
    if (empty()) reset();
  }

  size_t capacity() const { return items_.capacity(); }

 private:
  static constexpr size_t compact_after = 32;
  // Emptied: back to nothing once a burst has passed; a few slots are
  // kept, as the next frame (a tick) is never far away.
  void reset() {
    if (items_.capacity() > 4)
      std::vector<frame>().swap(items_);
    else
      items_.clear();
    head_ = 0;
  }

  std::vector<frame> items_;
  size_t head_ = 0;
};

}  // namespace mockloop
