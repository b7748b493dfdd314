// The terminal client's command language: words, quotes, variables,
// comments, durations and enum names.
#include "words.h"

#include <map>

#include <gtest/gtest.h>

#include "mockloop/v1/wire.pb.h"

namespace mockloop::cli {
namespace {

using std::chrono::milliseconds;

variable_lookup vars(std::map<std::string, std::string> table) {
  return [table](std::string_view name) -> std::optional<std::string> {
    const auto it = table.find(std::string(name));
    if (it == table.end()) return std::nullopt;
    return it->second;
  };
}

std::vector<std::string> texts(const split_result& r) {
  std::vector<std::string> out;
  for (const auto& w : r.words) out.push_back(w.text);
  return out;
}

TEST(CliWords, SplitsOnBlanksAndKeepsQuotedWordsTogether) {
  const auto r = split_words(R"(  ask  "And if they say no?"   'single $x' plain\ word)", vars({}));
  ASSERT_TRUE(r.error.empty()) << r.error;
  EXPECT_EQ(texts(r), (std::vector<std::string>{"ask", "And if they say no?", "single $x", "plain word"}));
  EXPECT_FALSE(r.words[0].quoted);
  EXPECT_TRUE(r.words[1].quoted);
  EXPECT_TRUE(r.words[2].quoted) << "single quotes: no expansion";
  EXPECT_FALSE(r.words[3].quoted);
}

TEST(CliWords, ExpandsVariablesWithoutSplittingTheirValues) {
  const auto r = split_words(R"(join $code "${who} said $code" x${n}y \$code)",
                             vars({{"code", "ab cd"}, {"who", "Cal"}, {"n", "2"}}));
  ASSERT_TRUE(r.error.empty()) << r.error;
  EXPECT_EQ(texts(r), (std::vector<std::string>{"join", "ab cd", "Cal said ab cd", "x2y", "$code"}));
}

TEST(CliWords, AnUnsetVariableIsAnErrorNamingIt) {
  const auto r = split_words("join $match_code", vars({}));
  EXPECT_EQ(r.error, "$match_code is not set");
}

TEST(CliWords, CommentsStartAtAWordBeginningWithHash) {
  EXPECT_TRUE(split_words("# a whole line", vars({})).words.empty());
  EXPECT_EQ(texts(split_words("skip   # the briefing", vars({}))), (std::vector<std::string>{"skip"}));
  EXPECT_EQ(texts(split_words("note \"#4 stays\" a#b", vars({}))),
            (std::vector<std::string>{"note", "#4 stays", "a#b"}));
}

TEST(CliWords, UnclosedQuotesAreReported) {
  EXPECT_EQ(split_words("ask \"half", vars({})).error, "unclosed \"");
  EXPECT_EQ(split_words("ask 'half", vars({})).error, "unclosed '");
}

TEST(CliWords, Durations) {
  EXPECT_EQ(parse_duration("1500ms"), milliseconds(1500));
  EXPECT_EQ(parse_duration("30s"), milliseconds(30'000));
  EXPECT_EQ(parse_duration("2m"), milliseconds(120'000));
  EXPECT_EQ(parse_duration("250"), std::nullopt) << "a bare number needs a unit unless one is given";
  EXPECT_EQ(parse_duration("250", milliseconds(1)), milliseconds(250));
  EXPECT_EQ(parse_duration("2", milliseconds(1000)), milliseconds(2000));
  EXPECT_EQ(parse_duration("candidate"), std::nullopt);
  EXPECT_EQ(parse_duration("-1s"), std::nullopt);
  EXPECT_EQ(parse_duration("5h"), milliseconds(5 * 3'600'000)) << "hours and days, for `book +25h`";
  EXPECT_EQ(parse_duration("2d"), milliseconds(2 * 86'400'000));
  EXPECT_EQ(parse_duration("5y"), std::nullopt);
}

TEST(CliWords, EnumsAsPeopleTypeThem) {
  EXPECT_EQ(parse_enum(v1::RoundType_descriptor(), "system-design"), v1::ROUND_TYPE_SYSTEM_DESIGN);
  EXPECT_EQ(parse_enum(v1::RoundType_descriptor(), "deep-dive"), v1::ROUND_TYPE_TECHNICAL_DEEP_DIVE);
  EXPECT_EQ(parse_enum(v1::RoundType_descriptor(), "METRICS"), v1::ROUND_TYPE_METRICS_AND_DATA);
  EXPECT_EQ(parse_enum(v1::RoundType_descriptor(), "recruiter"), v1::ROUND_TYPE_RECRUITER_SCREEN);
  EXPECT_EQ(parse_enum(v1::RoundType_descriptor(), "technical-screen"), v1::ROUND_TYPE_TECHNICAL_SCREEN);
  EXPECT_EQ(parse_enum(v1::RoundType_descriptor(), "tech-screen"), v1::ROUND_TYPE_TECHNICAL_SCREEN);
  EXPECT_EQ(parse_enum(v1::RoundType_descriptor(), "ROUND_TYPE_CROSS_FUNCTIONAL"), v1::ROUND_TYPE_CROSS_FUNCTIONAL);
  EXPECT_EQ(parse_enum(v1::RoundType_descriptor(), "unspecified"), std::nullopt) << "never by accident";
  EXPECT_EQ(parse_enum(v1::Level_descriptor(), "L5"), v1::LEVEL_L5);
  EXPECT_EQ(parse_enum(v1::Level_descriptor(), "7"), v1::LEVEL_L7);
  EXPECT_EQ(parse_enum(v1::Level_descriptor(), "L3"), std::nullopt);
  EXPECT_EQ(parse_enum(v1::CompanyStyle_descriptor(), "any"), v1::COMPANY_STYLE_UNSPECIFIED);
  EXPECT_EQ(parse_enum(v1::CompanyStyle_descriptor(), "consumer"), v1::COMPANY_STYLE_FAST_DECISION_CONSUMER);
  EXPECT_EQ(parse_enum(v1::Recommendation_descriptor(), "strong-yes"), v1::RECOMMENDATION_STRONG_YES);
  EXPECT_EQ(parse_enum(v1::Recommendation_descriptor(), "no"), v1::RECOMMENDATION_NO);
  EXPECT_EQ(parse_enum(v1::Recommendation_descriptor(), "maybe"), std::nullopt);
  EXPECT_EQ(parse_enum(v1::RoomControl::Action_descriptor(), "skip"), v1::RoomControl::ACTION_SKIP);
  EXPECT_EQ(enum_label(v1::RoundType_descriptor(), v1::ROUND_TYPE_SYSTEM_DESIGN), "system-design");
  EXPECT_EQ(enum_label(v1::ErrorCode_descriptor(), v1::ERROR_CODE_NOT_FOUND), "not-found");
}

TEST(CliWords, ClockText) {
  EXPECT_EQ(clock_text(420'000), "7:00");
  EXPECT_EQ(clock_text(61'000), "1:01");
  EXPECT_EQ(clock_text(200), "0:01") << "a part second left still shows";
  EXPECT_EQ(clock_text(0), "0:00");
  EXPECT_EQ(clock_text(-5), "0:00");
  EXPECT_EQ(clock_text(3'723'000), "1:02:03");
}

}  // namespace
// One name per round type and company style: what `scenarios` prints
// (enum_label) is what `queue` and `invite` take back.
TEST(CliWords, TheNamesTheListPrintsAreTheNamesTheQueueTakes) {
  for (const auto* e : {v1::RoundType_descriptor(), v1::CompanyStyle_descriptor(), v1::Level_descriptor()})
    for (int i = 0; i < e->value_count(); ++i) {
      const int v = e->value(i)->number();
      if (v == 0) continue;
      EXPECT_EQ(parse_enum(e, enum_label(e, v)), v) << e->name() << " " << enum_label(e, v);
    }
  EXPECT_EQ(enum_label(v1::RoundType_descriptor(), v1::ROUND_TYPE_TECHNICAL_DEEP_DIVE), "technical-deep-dive");
  EXPECT_EQ(enum_label(v1::CompanyStyle_descriptor(), v1::COMPANY_STYLE_FAST_DECISION_CONSUMER), "fast-decision-consumer");
}

}  // namespace mockloop::cli
