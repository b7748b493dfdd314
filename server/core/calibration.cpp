#include "mockloop/core/calibration.h"

#include <algorithm>
#include <cstdlib>
#include <map>

#include "mockloop/core/scoring.h"

namespace mockloop {

namespace {

bool rated(uint32_t r) { return r >= 1 && r <= 4; }

}  // namespace

std::vector<rating_pair> pair_ratings(const v1::Scorecard& rater, const v1::Scorecard& reference) {
  std::map<std::string, int, std::less<>> ref;
  for (const auto& s : reference.scores())
    if (rated(s.rating())) ref[s.dimension_id()] = static_cast<int>(s.rating());
  std::vector<rating_pair> out;
  for (const auto& s : rater.scores()) {
    if (!rated(s.rating())) continue;
    const auto it = ref.find(s.dimension_id());
    if (it == ref.end()) continue;
    out.push_back({s.dimension_id(), static_cast<int>(s.rating()), it->second});
    ref.erase(it);  // a card naming a dimension twice pairs it once
  }
  return out;
}

agreement agree(const std::vector<rating_pair>& pairs) {
  agreement a;
  a.pairs = pairs.size();
  if (pairs.empty()) return a;
  size_t exact = 0, near = 0;
  long sum = 0;
  for (const auto& p : pairs) {
    const int d = p.rater - p.reference;
    sum += d;
    exact += d == 0;
    near += std::abs(d) <= 1;
  }
  const auto n = static_cast<double>(pairs.size());
  a.bias = static_cast<double>(sum) / n;
  a.exact = static_cast<double>(exact) / n;
  a.within_one = static_cast<double>(near) / n;
  return a;
}

calibration calibrate(const std::vector<rating_pair>& pairs, const std::vector<std::string>& dimension_order,
                      size_t alpha_after) {
  calibration c;
  c.overall = agree(pairs);

  std::vector<std::string> order = dimension_order;
  for (const auto& p : pairs)
    if (std::find(order.begin(), order.end(), p.dimension_id) == order.end()) order.push_back(p.dimension_id);
  for (const auto& id : order) {
    std::vector<rating_pair> mine;
    for (const auto& p : pairs)
      if (p.dimension_id == id) mine.push_back(p);
    if (!mine.empty()) c.dimensions.emplace_back(id, agree(mine));
  }

  if (pairs.size() >= alpha_after && !pairs.empty()) {
    // Each pair is a unit with two coders: the rater and the reference.
    reliability_data data;
    data.reserve(pairs.size());
    for (const auto& p : pairs) data.push_back({p.rater, p.reference});
    c.alpha_ordinal = krippendorff_alpha(data, alpha_metric::ordinal);
  }
  return c;
}

}  // namespace mockloop
