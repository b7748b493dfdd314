// A log-linear latency histogram (the HDR idea, fixed size): exact below
// 128 us, then 64 buckets per power of two, so any percentile is within
// 1.6% of the true value. Plain data, so workers can hand theirs to the
// parent as bytes and the parent merges them by adding counts.
#pragma once

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstdint>

namespace mockloop::load {

class histogram {
 public:
  static constexpr int sub_bits = 6;
  static constexpr int sub = 1 << sub_bits;  // buckets per octave
  static constexpr int octaves = 40;         // up to 2^46 us, about two years
  static constexpr int size = 2 * sub + octaves * sub;
  static constexpr int64_t max_value = (int64_t{1} << 46) - 1;

  void record(int64_t v) {
    v = std::clamp<int64_t>(v, 0, max_value);
    ++counts_[index(v)];
    ++count_;
    sum_ += static_cast<double>(v);
    max_ = std::max(max_, v);
  }

  void merge(const histogram& o) {
    for (int i = 0; i < size; ++i) counts_[i] += o.counts_[i];
    count_ += o.count_;
    sum_ += o.sum_;
    max_ = std::max(max_, o.max_);
  }

  uint64_t count() const { return count_; }
  int64_t max() const { return max_; }
  double mean() const { return count_ ? sum_ / static_cast<double>(count_) : 0; }

  // The value at percentile p (0-100): the upper edge of the bucket that
  // holds it, never above the largest value recorded.
  int64_t percentile(double p) const {
    if (count_ == 0) return 0;
    const auto rank = std::max<uint64_t>(1, static_cast<uint64_t>(std::ceil(p / 100.0 * static_cast<double>(count_))));
    uint64_t seen = 0;
    for (int i = 0; i < size; ++i) {
      seen += counts_[i];
      if (seen >= rank) return std::min(upper(i), max_);
    }
    return max_;
  }

 private:
  static int index(int64_t v) {
    if (v < 2 * sub) return static_cast<int>(v);
    const int msb = 63 - std::countl_zero(static_cast<uint64_t>(v));
    const int shift = msb - sub_bits;
    const int top = static_cast<int>(v >> shift);  // in [sub, 2*sub)
    return 2 * sub + (shift - 1) * sub + (top - sub);
  }

  static int64_t upper(int i) {
    if (i < 2 * sub) return i;
    const int k = i - 2 * sub;
    const int shift = k / sub + 1;
    const int64_t top = k % sub + sub;
    return ((top + 1) << shift) - 1;
  }

  std::array<uint64_t, size> counts_{};
  uint64_t count_ = 0;
  double sum_ = 0;
  int64_t max_ = 0;
};

}  // namespace mockloop::load
