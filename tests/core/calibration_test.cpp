// Rater calibration against hand-worked examples: pairs from two cards,
// signed bias, exact and within-one agreement, and alpha only once there
// are enough pairs.
#include "mockloop/core/calibration.h"

#include <gtest/gtest.h>

namespace mockloop {
namespace {

v1::Scorecard card(std::initializer_list<std::pair<const char*, uint32_t>> scores) {
  v1::Scorecard c;
  for (const auto& [id, rating] : scores) {
    auto* s = c.add_scores();
    s->set_dimension_id(id);
    s->set_rating(rating);
  }
  return c;
}

TEST(Calibration, PairsOnlyDimensionsBothRated) {
  // "not observed" (0) on either side, a dimension only one card has, and
  // an out-of-scale value are not pairs; the reference's order is irrelevant.
  const auto observer = card({{"scope", 3}, {"risk", 0}, {"metrics", 4}, {"people", 2}, {"extra", 3}, {"bad", 7}});
  const auto coach = card({{"people", 4}, {"metrics", 2}, {"risk", 3}, {"scope", 0}, {"bad", 2}});
  const auto pairs = pair_ratings(observer, coach);
  ASSERT_EQ(pairs.size(), 2u);
  EXPECT_EQ(pairs[0].dimension_id, "metrics");
  EXPECT_EQ(pairs[0].rater, 4);
  EXPECT_EQ(pairs[0].reference, 2);
  EXPECT_EQ(pairs[1].dimension_id, "people");
  EXPECT_EQ(pairs[1].rater, 2);
  EXPECT_EQ(pairs[1].reference, 4);
}

TEST(Calibration, BiasAndAgreementByHand) {
  // scope: 3/3, 4/3, 2/4 -> differences 0, +1, -2; risk: 1/2 -> -1.
  const std::vector<rating_pair> pairs{{"scope", 3, 3}, {"scope", 4, 3}, {"scope", 2, 4}, {"risk", 1, 2}};
  const auto c = calibrate(pairs, {"risk", "scope"});
  EXPECT_EQ(c.overall.pairs, 4u);
  EXPECT_DOUBLE_EQ(c.overall.bias, -0.5);  // (0 + 1 - 2 - 1) / 4
  EXPECT_DOUBLE_EQ(c.overall.exact, 0.25);
  EXPECT_DOUBLE_EQ(c.overall.within_one, 0.75);
  // In the order asked for.
  ASSERT_EQ(c.dimensions.size(), 2u);
  EXPECT_EQ(c.dimensions[0].first, "risk");
  EXPECT_DOUBLE_EQ(c.dimensions[0].second.bias, -1.0);
  EXPECT_DOUBLE_EQ(c.dimensions[0].second.exact, 0.0);
  EXPECT_DOUBLE_EQ(c.dimensions[0].second.within_one, 1.0);
  EXPECT_EQ(c.dimensions[1].first, "scope");
  EXPECT_EQ(c.dimensions[1].second.pairs, 3u);
  EXPECT_NEAR(c.dimensions[1].second.bias, -1.0 / 3, 1e-12);
  EXPECT_NEAR(c.dimensions[1].second.exact, 1.0 / 3, 1e-12);
  EXPECT_NEAR(c.dimensions[1].second.within_one, 2.0 / 3, 1e-12);
  // Four pairs: too few for alpha.
  EXPECT_FALSE(c.alpha_ordinal.has_value());
}

TEST(Calibration, DimensionsOutsideTheOrderFollowInFirstSeenOrder) {
  const auto c = calibrate({{"b", 2, 2}, {"a", 1, 1}, {"c", 3, 3}}, {"c"});
  ASSERT_EQ(c.dimensions.size(), 3u);
  EXPECT_EQ(c.dimensions[0].first, "c");
  EXPECT_EQ(c.dimensions[1].first, "b");
  EXPECT_EQ(c.dimensions[2].first, "a");
}

TEST(Calibration, AlphaFromTenPairs) {
  // Ten pairs; the expected value is from an independent computation of
  // ordinal alpha by the coincidence matrix (each pair a unit of two).
  std::vector<rating_pair> pairs;
  for (auto [r, c] :
       std::vector<std::pair<int, int>>{{2, 3}, {3, 3}, {4, 4}, {1, 2}, {2, 2}, {3, 4}, {4, 4}, {2, 1}, {3, 3}, {1, 1}})
    pairs.push_back({"d", r, c});
  auto nine = pairs;
  nine.pop_back();
  EXPECT_FALSE(calibrate(nine).alpha_ordinal.has_value()) << "nine pairs are too few";
  const auto c = calibrate(pairs);
  ASSERT_TRUE(c.alpha_ordinal.has_value());
  EXPECT_NEAR(*c.alpha_ordinal, 0.845863, 1e-6);
}

TEST(Calibration, AHarshRaterHasNegativeBiasAndFullWithinOne) {
  // Always one below the coach: never exact, always within one, bias -1,
  // and alpha well below perfect.
  std::vector<rating_pair> pairs;
  for (int i = 0; i < 12; ++i) pairs.push_back({"d", 1 + i % 3, 2 + i % 3});
  const auto c = calibrate(pairs);
  EXPECT_DOUBLE_EQ(c.overall.bias, -1.0);
  EXPECT_DOUBLE_EQ(c.overall.exact, 0.0);
  EXPECT_DOUBLE_EQ(c.overall.within_one, 1.0);
  ASSERT_TRUE(c.alpha_ordinal.has_value());
  EXPECT_LT(*c.alpha_ordinal, 0.7);
}

TEST(Calibration, NoVariationLeavesAlphaUndefined) {
  std::vector<rating_pair> pairs(10, rating_pair{"d", 3, 3});
  const auto c = calibrate(pairs);
  EXPECT_DOUBLE_EQ(c.overall.exact, 1.0);
  EXPECT_FALSE(c.alpha_ordinal.has_value());
}

TEST(Calibration, NothingPairedIsAllZero) {
  const auto c = calibrate({});
  EXPECT_EQ(c.overall.pairs, 0u);
  EXPECT_TRUE(c.dimensions.empty());
  EXPECT_FALSE(c.alpha_ordinal.has_value());
}

}  // namespace
}  // namespace mockloop
