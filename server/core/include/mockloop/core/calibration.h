// Rater calibration: how an observer's ratings compare with the coach's on
// the same answers, per dimension and over time. Pure functions over
// scorecards, checked by hand-worked examples (tests/core/calibration_test.cpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "mockloop/v1/scoring.pb.h"

namespace mockloop {

// One dimension of one answer, rated by the rater and by the reference
// (the coach). Both ratings are 1..4: "not observed" on either side is
// not a pair.
struct rating_pair {
  std::string dimension_id;
  int rater = 0;
  int reference = 0;
};

// Agreement over a set of pairs. bias is the mean of rater - reference:
// positive rates higher than the coach (lenient), negative lower (harsh).
struct agreement {
  size_t pairs = 0;
  double bias = 0;
  double exact = 0;       // share of pairs with the same rating
  double within_one = 0;  // share of pairs at most one step apart
};

struct calibration {
  agreement overall;
  std::vector<std::pair<std::string, agreement>> dimensions;  // in first-seen order
  // Krippendorff's ordinal alpha between rater and reference, each pair a
  // unit; only once there are at least min_pairs_for_alpha pairs (fewer
  // give an estimate too noisy to show), and nothing when undefined.
  std::optional<double> alpha_ordinal;
};

// How many paired ratings before alpha is worth showing.
inline constexpr size_t min_pairs_for_alpha = 10;

// The pairs of one rater's card against the reference card of the same
// answer: every dimension both rated 1..4.
std::vector<rating_pair> pair_ratings(const v1::Scorecard& rater, const v1::Scorecard& reference);

agreement agree(const std::vector<rating_pair>& pairs);

// dimension_order lists dimension ids in the order to report them (a
// rubric's); dimensions not in it follow in first-seen order.
calibration calibrate(const std::vector<rating_pair>& pairs, const std::vector<std::string>& dimension_order = {},
                      size_t alpha_after = min_pairs_for_alpha);

}  // namespace mockloop
