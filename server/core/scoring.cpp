#include "mockloop/core/scoring.h"

#include <cstdio>
#include <string>

#include <algorithm>
#include <map>

namespace mockloop {

std::optional<double> krippendorff_alpha(const reliability_data& data, alpha_metric metric) {
  // Coincidence matrix over the distinct values, in ascending order.
  std::map<int, size_t> index;
  for (const auto& unit : data)
    for (const auto& v : unit)
      if (v) index.emplace(*v, 0);
  std::vector<int> values;
  for (auto& [v, i] : index) {
    i = values.size();
    values.push_back(v);
  }
  const size_t k = values.size();
  std::vector<double> o(k * k, 0.0);
  for (const auto& unit : data) {
    std::vector<size_t> present;
    for (const auto& v : unit)
      if (v) present.push_back(index.at(*v));
    const size_t m = present.size();
    if (m < 2) continue;
    for (size_t a = 0; a < m; ++a)
      for (size_t b = 0; b < m; ++b)
        if (a != b) o[present[a] * k + present[b]] += 1.0 / double(m - 1);
  }
  std::vector<double> n_c(k, 0.0);
  double n = 0;
  for (size_t c = 0; c < k; ++c) {
    for (size_t j = 0; j < k; ++j) n_c[c] += o[c * k + j];
    n += n_c[c];
  }
  if (n <= 1) return std::nullopt;

  auto d2 = [&](size_t c, size_t j) -> double {
    if (c == j) return 0.0;
    switch (metric) {
      case alpha_metric::nominal:
        return 1.0;
      case alpha_metric::interval: {
        const double d = values[c] - values[j];
        return d * d;
      }
      case alpha_metric::ordinal: {
        const auto lo = std::min(c, j), hi = std::max(c, j);
        double sum = 0;
        for (size_t g = lo; g <= hi; ++g) sum += n_c[g];
        const double d = sum - (n_c[lo] + n_c[hi]) / 2.0;
        return d * d;
      }
    }
    return 0.0;
  };

  double observed = 0, expected = 0;
  for (size_t c = 0; c < k; ++c)
    for (size_t j = 0; j < k; ++j) {
      const double d = d2(c, j);
      observed += o[c * k + j] * d;
      expected += n_c[c] * n_c[j] * d;
    }
  if (expected == 0) return std::nullopt;
  return 1.0 - (n - 1) * observed / expected;
}

std::optional<double> percent_exact_agreement(const reliability_data& data) {
  size_t pairs = 0, same = 0;
  for (const auto& unit : data) {
    std::vector<int> present;
    for (const auto& v : unit)
      if (v) present.push_back(*v);
    for (size_t a = 0; a < present.size(); ++a)
      for (size_t b = a + 1; b < present.size(); ++b) {
        ++pairs;
        same += present[a] == present[b];
      }
  }
  if (pairs == 0) return std::nullopt;
  return double(same) / double(pairs);
}

v1::Aggregation aggregate(const std::vector<v1::RubricDimension>& rubric, const std::vector<v1::Scorecard>& cards,
                          v1::Level level) {
  v1::Aggregation out;
  reliability_data data;
  for (const auto& dim : rubric) {
    std::vector<std::optional<int>> unit;
    for (const auto& card : cards) {
      std::optional<int> rating;
      for (const auto& s : card.scores())
        if (s.dimension_id() == dim.id() && s.rating() >= 1 && s.rating() <= 4) rating = int(s.rating());
      unit.push_back(rating);
    }
    auto* a = out.add_dimensions();
    a->set_dimension_id(dim.id());
    a->set_name(dim.name());
    std::vector<int> present;
    for (const auto& r : unit)
      if (r) present.push_back(*r);
    a->set_ratings(uint32_t(present.size()));
    if (!present.empty()) {
      double sum = 0;
      for (int r : present) sum += r;
      a->set_mean(sum / double(present.size()));
      const auto [lo, hi] = std::minmax_element(present.begin(), present.end());
      a->set_min(uint32_t(*lo));
      a->set_max(uint32_t(*hi));
      a->set_spread(uint32_t(*hi - *lo));
    }
    a->set_exact_agreement(percent_exact_agreement({unit}).value_or(0.0));
    data.push_back(std::move(unit));
  }
  out.set_percent_exact_agreement(percent_exact_agreement(data).value_or(0.0));
  if (auto alpha = krippendorff_alpha(data, alpha_metric::ordinal)) out.set_krippendorff_alpha_ordinal(*alpha);

  std::vector<const v1::DimensionAggregate*> wide;
  for (const auto& d : out.dimensions())
    if (d.spread() >= 2) wide.push_back(&d);
  std::stable_sort(wide.begin(), wide.end(), [](auto* a, auto* b) { return a->spread() > b->spread(); });
  if (!wide.empty()) {
    const auto widest = wide.front()->spread();
    for (auto* d : wide)
      if (d->spread() == widest) out.add_widest_disagreement(d->dimension_id());
  }
  for (auto& d : *out.mutable_dimensions())
    for (const auto& id : out.widest_disagreement())
      if (d.dimension_id() == id) d.set_wide_disagreement(true);
  if (level != v1::LEVEL_UNSPECIFIED && !cards.empty()) {
    std::vector<std::optional<double>> means;
    for (const auto& d : out.dimensions()) means.push_back(d.ratings() ? std::optional(d.mean()) : std::nullopt);
    if (auto v = level_verdict(rubric, means, level); v.dimensions_size() > 0) *out.mutable_at_level() = std::move(v);
  }
  return out;
}

uint32_t pass_line(const v1::RubricDimension& d, v1::Level level) {
  for (const auto& l : d.pass_lines())
    if (l.level() == level) return l.score();
  return 0;
}

namespace {

// "2", "2.5", "2.67": a rating reads as a whole number, a mean as it is.
std::string score_text(double s) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%.2f", s);
  std::string out = buf;
  while (out.back() == '0') out.pop_back();
  if (out.back() == '.') out.pop_back();
  return out;
}

std::string names(const std::vector<std::string>& v) {
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) out += (i == 0 ? "" : i + 1 == v.size() ? " and " : ", ") + v[i];
  return out;
}

}  // namespace

template <class Rubric>
v1::LevelVerdict level_verdict(const Rubric& rubric, const std::vector<std::optional<double>>& scores,
                               v1::Level level) {
  v1::LevelVerdict out;
  out.set_level(level);
  const std::string at = v1::Level_IsValid(level) ? v1::Level_Name(level).substr(6) : "?";  // "LEVEL_L6" -> "L6"
  size_t judged = 0, observed = 0, exceeds = 0;
  std::vector<std::string> far, below;
  std::string far_detail;
  for (size_t i = 0; i < size_t(rubric.size()); ++i) {
    const auto& d = rubric[int(i)];
    const uint32_t bar = pass_line(d, level);
    if (bar == 0) continue;  // a dimension without a line for this level is not judged
    ++judged;
    auto* x = out.add_dimensions();
    x->set_dimension_id(d.id());
    x->set_pass_line(bar);
    const auto s = i < scores.size() ? scores[i] : std::nullopt;
    if (!s || *s <= 0) continue;
    ++observed;
    x->set_score(*s);
    if (*s <= bar - 1.5) {
      x->set_standing(v1::STANDING_FAR_BELOW);
      far.push_back(d.name());
      if (far_detail.empty())
        far_detail = d.name() + " is " + score_text(*s) + " against the " + at + " line of " + std::to_string(bar);
    } else if (*s < bar) {
      x->set_standing(v1::STANDING_BELOW);
      below.push_back(d.name());
    } else if (*s >= std::min<double>(4, bar + 1)) {
      x->set_standing(v1::STANDING_EXCEEDS);
      ++exceeds;
    } else {
      x->set_standing(v1::STANDING_MEETS);
    }
  }
  const size_t under = far.size() + below.size();
  if (judged == 0 || observed * 2 < judged) {
    out.set_reason("only " + std::to_string(observed) + " of " + std::to_string(judged) +
                   " dimensions observed: too little to read against the " + at + " bar");
  } else if (!far.empty()) {
    out.set_recommendation(v1::RECOMMENDATION_STRONG_NO);
    out.set_reason(far_detail + (far.size() > 1 ? " (and " + std::to_string(far.size() - 1) + " more far below)" : ""));
  } else if (under * 2 > observed) {
    out.set_recommendation(v1::RECOMMENDATION_STRONG_NO);
    out.set_reason(std::to_string(under) + " of " + std::to_string(observed) + " observed dimensions are under the " +
                   at + " line: " + names(below));
  } else if (under > 0) {
    out.set_recommendation(v1::RECOMMENDATION_NO);
    out.set_reason(names(below) + (below.size() == 1 ? " is" : " are") + " under the " + at + " line");
  } else if (exceeds * 2 >= observed) {
    out.set_recommendation(v1::RECOMMENDATION_STRONG_YES);
    out.set_reason(std::to_string(exceeds) + " of " + std::to_string(observed) + " observed dimensions are above the " +
                   at + " line and none under it");
  } else {
    out.set_recommendation(v1::RECOMMENDATION_YES);
    out.set_reason("every observed dimension meets the " + at + " line");
  }
  return out;
}

template <class Rubric>
v1::LevelVerdict card_verdict(const Rubric& rubric, const v1::Scorecard& card, v1::Level level) {
  std::vector<std::optional<double>> scores(size_t(rubric.size()));
  for (const auto& s : card.scores())
    for (size_t i = 0; i < scores.size(); ++i)
      if (rubric[int(i)].id() == s.dimension_id() && s.rating() >= 1 && s.rating() <= 4) scores[i] = s.rating();
  return level_verdict(rubric, scores, level);
}

using rubric_vector = std::vector<v1::RubricDimension>;
using rubric_field = google::protobuf::RepeatedPtrField<v1::RubricDimension>;
template v1::LevelVerdict level_verdict(const rubric_vector&, const std::vector<std::optional<double>>&, v1::Level);
template v1::LevelVerdict level_verdict(const rubric_field&, const std::vector<std::optional<double>>&, v1::Level);
template v1::LevelVerdict card_verdict(const rubric_vector&, const v1::Scorecard&, v1::Level);
template v1::LevelVerdict card_verdict(const rubric_field&, const v1::Scorecard&, v1::Level);

}  // namespace mockloop
