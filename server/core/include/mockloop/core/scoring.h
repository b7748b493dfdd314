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
v1::Aggregation aggregate(const std::vector<v1::RubricDimension>& rubric, const std::vector<v1::Scorecard>& cards);

}  // namespace mockloop
