// Agreement statistics against worked examples, and the reveal's aggregation.
#include "mockloop/core/scoring.h"

#include <gtest/gtest.h>

namespace mockloop {
namespace {

constexpr std::nullopt_t _ = std::nullopt;

// The published example of K. Krippendorff, "Computing Krippendorff's
// Alpha-Reliability" (2011), section C: 4 observers, 12 units, values 1-5,
// with missing data. Its results: nominal 0.743, ordinal 0.815,
// interval 0.849 (to three decimals).
reliability_data published_example() {
  // Rows of the paper are observers A-D; here each unit lists A, B, C, D.
  return {
      {1, 1, _, 1}, {2, 2, 3, 2}, {3, 3, 3, 3}, {3, 3, 3, 3}, {2, 2, 2, 2}, {1, 2, 3, 4},
      {4, 4, 4, 4}, {1, 1, 2, 1}, {2, 2, 2, 2}, {_, 5, 5, 5}, {_, _, 1, 1}, {_, 3, _, _},
  };
}

TEST(KrippendorffAlpha, MatchesThePublishedExample) {
  const auto data = published_example();
  EXPECT_NEAR(*krippendorff_alpha(data, alpha_metric::nominal), 0.743, 0.0005);
  EXPECT_NEAR(*krippendorff_alpha(data, alpha_metric::ordinal), 0.815, 0.0005);
  EXPECT_NEAR(*krippendorff_alpha(data, alpha_metric::interval), 0.849, 0.0005);
}

TEST(KrippendorffAlpha, HandWorkedTwoRaters) {
  // Two raters, three units: (1,1), (2,2), (1,2). Coincidences: o11 = 2,
  // o22 = 2, o12 = o21 = 1; n1 = n2 = 3, n = 6. Nominal:
  // alpha = 1 - (n-1) * (o12 + o21) / (2 * n1 * n2) = 1 - 5 * 2 / 18 = 4/9.
  const reliability_data data = {{1, 1}, {2, 2}, {1, 2}};
  EXPECT_NEAR(*krippendorff_alpha(data, alpha_metric::nominal), 4.0 / 9.0, 1e-12);
  // With two values every metric's d2 is a constant factor: same alpha.
  EXPECT_NEAR(*krippendorff_alpha(data, alpha_metric::interval), 4.0 / 9.0, 1e-12);
  EXPECT_NEAR(*krippendorff_alpha(data, alpha_metric::ordinal), 4.0 / 9.0, 1e-12);
}

TEST(KrippendorffAlpha, PerfectAgreementIsOne) {
  const reliability_data data = {{1, 1, 1}, {3, 3, _}, {4, 4, 4}};
  EXPECT_DOUBLE_EQ(*krippendorff_alpha(data, alpha_metric::ordinal), 1.0);
}

TEST(KrippendorffAlpha, UndefinedWithoutPairsOrVariation) {
  EXPECT_FALSE(krippendorff_alpha({}, alpha_metric::ordinal));
  EXPECT_FALSE(krippendorff_alpha({{1, _}, {_, 2}}, alpha_metric::ordinal)) << "no unit has two values";
  EXPECT_FALSE(krippendorff_alpha({{3, 3}, {3, 3}}, alpha_metric::ordinal)) << "no variation: D_e = 0";
}

TEST(KrippendorffAlpha, OrdinalWeighsDistanceByRank) {
  // Same disagreement pattern, one between neighbours and one across the
  // scale: ordinal alpha must rate the far one lower; nominal cannot tell.
  const reliability_data near = {{1, 1}, {2, 2}, {3, 3}, {4, 4}, {2, 3}};
  const reliability_data far = {{1, 1}, {2, 2}, {3, 3}, {4, 4}, {1, 4}};
  EXPECT_GT(*krippendorff_alpha(near, alpha_metric::ordinal), *krippendorff_alpha(far, alpha_metric::ordinal));
  EXPECT_NEAR(*krippendorff_alpha(near, alpha_metric::nominal), *krippendorff_alpha(far, alpha_metric::nominal), 1e-12);
}

TEST(PercentAgreement, CountsRaterPairsWithinUnits) {
  // Unit 1: three raters, pairs (1,1) (1,2) (1,2): 1 of 3 agree.
  // Unit 2: (4,4): 1 of 1. Unit 3: a single rating, no pair.
  EXPECT_DOUBLE_EQ(*percent_exact_agreement({{1, 1, 2}, {4, 4, _}, {3, _, _}}), 2.0 / 4.0);
  EXPECT_FALSE(percent_exact_agreement({{3, _}}));
}

v1::RubricDimension dim(const std::string& id) {
  v1::RubricDimension d;
  d.set_id(id);
  d.set_name("Dimension " + id);
  return d;
}

v1::Scorecard card(const std::string& rater, std::vector<std::pair<std::string, uint32_t>> ratings) {
  v1::Scorecard c;
  c.set_rater_id(rater);
  for (const auto& [id, r] : ratings) {
    auto* s = c.add_scores();
    s->set_dimension_id(id);
    s->set_rating(r);
  }
  return c;
}

TEST(Aggregate, PerDimensionStatsAndWidestDisagreement) {
  const std::vector<v1::RubricDimension> rubric = {dim("scoping"), dim("tradeoffs"), dim("ownership")};
  const std::vector<v1::Scorecard> cards = {
      card("a", {{"scoping", 3}, {"tradeoffs", 1}, {"ownership", 0}}),  // 0: not observed
      card("b", {{"scoping", 3}, {"tradeoffs", 4}, {"ownership", 2}}),
      card("c", {{"scoping", 4}, {"tradeoffs", 2}, {"ownership", 2}}),
  };
  const auto agg = aggregate(rubric, cards);
  ASSERT_EQ(agg.dimensions_size(), 3);
  const auto& scoping = agg.dimensions(0);
  EXPECT_EQ(scoping.ratings(), 3u);
  EXPECT_NEAR(scoping.mean(), 10.0 / 3.0, 1e-12);
  EXPECT_EQ(scoping.min(), 3u);
  EXPECT_EQ(scoping.max(), 4u);
  EXPECT_EQ(scoping.spread(), 1u);
  EXPECT_NEAR(scoping.exact_agreement(), 1.0 / 3.0, 1e-12);
  const auto& tradeoffs = agg.dimensions(1);
  EXPECT_EQ(tradeoffs.spread(), 3u);
  EXPECT_TRUE(tradeoffs.wide_disagreement());
  const auto& ownership = agg.dimensions(2);
  EXPECT_EQ(ownership.ratings(), 2u) << "not observed is not a rating";
  EXPECT_DOUBLE_EQ(ownership.mean(), 2.0);
  EXPECT_DOUBLE_EQ(ownership.exact_agreement(), 1.0);
  EXPECT_FALSE(scoping.wide_disagreement());
  EXPECT_EQ(std::vector<std::string>(agg.widest_disagreement().begin(), agg.widest_disagreement().end()),
            std::vector<std::string>{"tradeoffs"});
  // Pairs: scoping 1 of 3, tradeoffs 0 of 3, ownership 1 of 1.
  EXPECT_NEAR(agg.percent_exact_agreement(), 2.0 / 7.0, 1e-12);
  ASSERT_TRUE(agg.has_krippendorff_alpha_ordinal());
  const auto expected = krippendorff_alpha({{3, 3, 4}, {1, 4, 2}, {_, 2, 2}}, alpha_metric::ordinal);
  EXPECT_DOUBLE_EQ(agg.krippendorff_alpha_ordinal(), *expected);
}

TEST(Aggregate, NoDisagreementFlaggedBelowASpreadOfTwo) {
  const auto agg = aggregate({dim("x")}, {card("a", {{"x", 3}}), card("b", {{"x", 4}})});
  EXPECT_EQ(agg.widest_disagreement_size(), 0);
  EXPECT_FALSE(agg.dimensions(0).wide_disagreement());
}

TEST(Aggregate, ASingleRaterHasNoAgreementStatistic) {
  const auto agg = aggregate({dim("x"), dim("y")}, {card("a", {{"x", 3}, {"y", 1}})});
  EXPECT_FALSE(agg.has_krippendorff_alpha_ordinal());
  EXPECT_DOUBLE_EQ(agg.percent_exact_agreement(), 0.0);
  EXPECT_EQ(agg.dimensions(0).ratings(), 1u);
}

}  // namespace
}  // namespace mockloop
