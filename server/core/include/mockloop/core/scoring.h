// The maths of the reveal: how far raters agree, per dimension and overall.
// Pure functions over plain numbers, so they are checked against
// hand-worked and published examples (tests/core/scoring_test.cpp).
#pragma once

#include <optional>
#include <vector>

#include "mockloop/v1/scenario.pb.h"
#include "mockloop/v1/scoring.pb.h"

namespace mockloop {

// Level of measurement, which decides how much two different values differ.
enum class alpha_metric { nominal, ordinal, interval };

// ratings[unit][rater]: a value, or nothing where that rater gave none.
using reliability_data = std::vector<std::vector<std::optional<int>>>;

// Krippendorff's alpha: 1 - D_o / D_e, observed over expected disagreement,
// computed through the coincidence matrix as defined in K. Krippendorff,
// "Computing Krippendorff's Alpha-Reliability" (Univ. of Pennsylvania, 2011):
//   o_ck = sum over units u of (number of c-k pairs in u) / (m_u - 1),
//   n_c = sum_k o_ck,  n = sum_c n_c,
//   alpha = 1 - (n - 1) * sum_ck o_ck d2(c,k) / sum_ck n_c n_k d2(c,k),
// with d2 = [c != k] (nominal), (c - k)^2 (interval), and for ordinal
// (sum of n_g for g from c to k, minus (n_c + n_k) / 2)^2.
// Units with fewer than two values are not pairable and are left out.
// Nothing when alpha is undefined: no pairable values, or no variation at
// all (D_e = 0).
std::optional<double> krippendorff_alpha(const reliability_data& data, alpha_metric metric);

// Share of pairs of raters, within each unit, that gave the same value;
// nothing when no unit has two values.
std::optional<double> percent_exact_agreement(const reliability_data& data);

// The reveal's aggregation of submitted scorecards against a rubric:
// per-dimension mean, min, max and spread over the raters who observed it
// (a rating of 0, "not observed", is left out), exact agreement overall and
// per dimension, ordinal alpha over (dimension x rater), and the dimensions
// of widest disagreement: those with the largest spread, when it is at
// least 2 (a 2 against a 4 is a different verdict, a 3 against a 4 is not),
// widest first.
// With a target level, the aggregation's at_level reads each dimension's
// mean against its pass line (level_verdict).
v1::Aggregation aggregate(const std::vector<v1::RubricDimension>& rubric, const std::vector<v1::Scorecard>& cards,
                          v1::Level level = v1::LEVEL_UNSPECIFIED);

// The level rule (docs/scoring.md, "Level calibration"). scores[i] is the
// score on rubric[i] (a rating, or a mean of ratings), nothing where it was
// not observed. Against each dimension's pass line b at the level, a score
// s stands far below (s <= b - 1.5, two steps for a rating), below (s < b),
// exceeds (s >= min(4, b + 1)) or meets. Then, over the observed dimensions:
//   fewer than half of the rubric observed      -> no recommendation
//   any far below, or more than half below      -> strong no
//   any below                                   -> no
//   none below and at least half exceed         -> strong yes
//   otherwise                                   -> yes
// Rubric: std::vector<v1::RubricDimension> or the scenario's repeated field
// (instantiated for both, so a draft save copies no rubric).
template <class Rubric>
v1::LevelVerdict level_verdict(const Rubric& rubric, const std::vector<std::optional<double>>& scores, v1::Level level);

// A rubric without pass lines for the level gets a verdict with no
// dimensions, which callers leave unset.
// The rule on one scorecard's ratings (0, "not observed", left out).
template <class Rubric>
v1::LevelVerdict card_verdict(const Rubric& rubric, const v1::Scorecard& card, v1::Level level);

// The pass line of a dimension at a level; 0 when it has none.
uint32_t pass_line(const v1::RubricDimension& d, v1::Level level);

}  // namespace mockloop
