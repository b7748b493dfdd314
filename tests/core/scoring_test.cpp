// Agreement statistics against worked examples, and the reveal's aggregation.
#include "mockloop/core/scoring.h"

#include <array>

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

// ------------------------------------------------------------ level rule

// Four dimensions with lines (L4, L5, L6, L7): scoping 2 3 3 4, depth
// 2 3 4 4, risk 1 2 3 3, ownership 2 2 3 4.
std::vector<v1::RubricDimension> leveled_rubric() {
  std::vector<v1::RubricDimension> out;
  const auto dim = [&](const char* id, const char* name, std::array<uint32_t, 4> lines) {
    auto& d = out.emplace_back();
    d.set_id(id);
    d.set_name(name);
    for (int i = 0; i < 4; ++i) {
      auto* l = d.add_pass_lines();
      l->set_level(static_cast<v1::Level>(v1::LEVEL_L4 + i));
      l->set_score(lines[i]);
    }
  };
  dim("scoping", "Scoping", {2, 3, 3, 4});
  dim("depth", "Depth", {2, 3, 4, 4});
  dim("risk", "Risk", {1, 2, 3, 3});
  dim("ownership", "Ownership", {2, 2, 3, 4});
  return out;
}

v1::Scorecard rated(std::array<uint32_t, 4> ratings) {
  v1::Scorecard c;
  const char* ids[] = {"scoping", "depth", "risk", "ownership"};
  for (int i = 0; i < 4; ++i) {
    auto* s = c.add_scores();
    s->set_dimension_id(ids[i]);
    s->set_rating(ratings[i]);
  }
  return c;
}

v1::Recommendation rule(std::array<uint32_t, 4> ratings, v1::Level level) {
  return card_verdict(leveled_rubric(), rated(ratings), level).recommendation();
}

TEST(LevelVerdict, PassLinesPerLevel) {
  const auto r = leveled_rubric();
  EXPECT_EQ(pass_line(r[1], v1::LEVEL_L4), 2u);
  EXPECT_EQ(pass_line(r[1], v1::LEVEL_L6), 4u);
  EXPECT_EQ(pass_line(r[1], v1::LEVEL_UNSPECIFIED), 0u);
}

TEST(LevelVerdict, TheSameScoresReadDifferentlyAtEachLevel) {
  // 3 3 3 3: every line at L5 is met, and risk and ownership exceed theirs
  // (3 >= 2 + 1): half exceed, none under -> strong yes.
  EXPECT_EQ(rule({3, 3, 3, 3}, v1::LEVEL_L5), v1::RECOMMENDATION_STRONG_YES);
  // At L6 depth (line 4) is one short: no.
  EXPECT_EQ(rule({3, 3, 3, 3}, v1::LEVEL_L6), v1::RECOMMENDATION_NO);
  // At L7 scoping and ownership (4) and depth (4) are one short: three of
  // four under -> more than half -> strong no.
  EXPECT_EQ(rule({3, 3, 3, 3}, v1::LEVEL_L7), v1::RECOMMENDATION_STRONG_NO);
  // At L4 all four exceed.
  EXPECT_EQ(rule({3, 3, 3, 3}, v1::LEVEL_L4), v1::RECOMMENDATION_STRONG_YES);
}

TEST(LevelVerdict, MeetingEveryLineWithFewAboveIsYes) {
  // L6 lines 3 4 3 3: 3 4 3 3 meets all, exceeds only depth (4 = min(4, 5)).
  const auto v = card_verdict(leveled_rubric(), rated({3, 4, 3, 3}), v1::LEVEL_L6);
  EXPECT_EQ(v.recommendation(), v1::RECOMMENDATION_YES);
  EXPECT_EQ(v.reason(), "every observed dimension meets the L6 line");
  ASSERT_EQ(v.dimensions_size(), 4);
  EXPECT_EQ(v.dimensions(0).standing(), v1::STANDING_MEETS);
  EXPECT_EQ(v.dimensions(1).standing(), v1::STANDING_EXCEEDS);
  EXPECT_EQ(v.dimensions(1).pass_line(), 4u);
  EXPECT_EQ(v.level(), v1::LEVEL_L6);
}

TEST(LevelVerdict, TwoShortOfALineIsStrongNoWhateverElse) {
  // Depth 2 against the L6 line of 4; the rest exceed.
  const auto v = card_verdict(leveled_rubric(), rated({4, 2, 4, 4}), v1::LEVEL_L6);
  EXPECT_EQ(v.recommendation(), v1::RECOMMENDATION_STRONG_NO);
  EXPECT_EQ(v.dimensions(1).standing(), v1::STANDING_FAR_BELOW);
  EXPECT_EQ(v.reason(), "Depth is 2 against the L6 line of 4");
}

TEST(LevelVerdict, OneShortIsNoAndNamesIt) {
  const auto v = card_verdict(leveled_rubric(), rated({2, 4, 4, 4}), v1::LEVEL_L6);
  EXPECT_EQ(v.recommendation(), v1::RECOMMENDATION_NO);
  EXPECT_EQ(v.reason(), "Scoping is under the L6 line");
}

TEST(LevelVerdict, NotObservedIsLeftOutUntilHalfIsMissing) {
  // Two of four observed: still judged (half), both meet at L5 -> yes or
  // better; risk 0 and ownership 0 are not observed.
  const auto two = card_verdict(leveled_rubric(), rated({3, 3, 0, 0}), v1::LEVEL_L5);
  EXPECT_EQ(two.recommendation(), v1::RECOMMENDATION_YES);
  EXPECT_EQ(two.dimensions(2).standing(), v1::STANDING_UNSPECIFIED);
  // One of four: too little to say.
  const auto one = card_verdict(leveled_rubric(), rated({3, 0, 0, 0}), v1::LEVEL_L5);
  EXPECT_EQ(one.recommendation(), v1::RECOMMENDATION_UNSPECIFIED);
  EXPECT_EQ(one.reason(), "only 1 of 4 dimensions observed: too little to read against the L5 bar");
}

TEST(LevelVerdict, TheAggregationReadsTheMeans) {
  // Depth rated 4 and 3 by two raters: mean 3.5 against the L6 line of 4 is
  // under it (not far: 3.5 > 4 - 1.5).
  const auto agg = aggregate(leveled_rubric(), {rated({3, 4, 3, 3}), rated({3, 3, 3, 3})}, v1::LEVEL_L6);
  ASSERT_TRUE(agg.has_at_level());
  EXPECT_EQ(agg.at_level().recommendation(), v1::RECOMMENDATION_NO);
  EXPECT_DOUBLE_EQ(agg.at_level().dimensions(1).score(), 3.5);
  EXPECT_EQ(agg.at_level().dimensions(1).standing(), v1::STANDING_BELOW);
  EXPECT_EQ(agg.at_level().reason(), "Depth is under the L6 line");
  // A mean 1.5 under the line is far below: 2 and 3 against 4 is 2.5, 1.5 under.
  const auto far = aggregate(leveled_rubric(), {rated({3, 2, 3, 3}), rated({3, 3, 3, 3})}, v1::LEVEL_L6);
  EXPECT_EQ(far.at_level().dimensions(1).standing(), v1::STANDING_FAR_BELOW);
  EXPECT_EQ(far.at_level().reason(), "Depth is 2.5 against the L6 line of 4");
  // Without a level, nothing is read; nor without pass lines (a rubric
  // stored before they existed).
  EXPECT_FALSE(aggregate(leveled_rubric(), {rated({3, 3, 3, 3})}).has_at_level());
  auto unlined = leveled_rubric();
  for (auto& d : unlined) d.clear_pass_lines();
  EXPECT_FALSE(aggregate(unlined, {rated({3, 3, 3, 3})}, v1::LEVEL_L6).has_at_level());
  EXPECT_EQ(card_verdict(unlined, rated({3, 3, 3, 3}), v1::LEVEL_L6).dimensions_size(), 0);
}

}  // namespace
}  // namespace mockloop
