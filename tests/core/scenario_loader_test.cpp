#include "mockloop/core/scenario_loader.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace mockloop {
namespace {

constexpr const char* tiny_file = "scenarios/tiny.textproto";

// A small scenario that passes every rule, in sections so that a test can
// drop one whole (no phases, no rubric) without tripping the rules that
// depend on it.
struct tiny {
  std::string header = R"(# proto-file: proto/mockloop/v1/scenario.proto
# proto-message: mockloop.v1.Scenario
id: "tiny"
version: 1
title: "A tiny scenario"
round_type: ROUND_TYPE_SYSTEM_DESIGN
levels: LEVEL_L5
levels: LEVEL_L6
company_style: COMPANY_STYLE_HYPERSCALE
candidate {
  prompt: "Design a news feed for a social app."
  context: "Ten million daily users."
}
interviewer {
  briefing: "Push on the numbers until they commit to a target."
  strong_answer: "Names a latency target before drawing boxes."
  red_flags: "Draws boxes before asking a single question."
}
)";
  std::string phases = R"(phases {
  id: "clarify"
  name: "Clarify"
  duration_seconds: 300
  candidate_guidance: "Ask your questions."
  interviewer_guidance: "Share the traffic numbers only when asked for them."
}
phases {
  id: "design"
  name: "Design"
  duration_seconds: 1200
  candidate_guidance: "Walk me through your design."
  interviewer_guidance: "Tick named_metric as soon as a target is stated."
}
)";
  std::string rubric = R"(rubric {
  id: "scoping"
  name: "Scoping"
  layer: SCORING_LAYER_SCOPING
  description: "Sets constraints first."
  anchors { level: 1 description: "Starts designing with no questions at all." }
  anchors { level: 2 description: "Asks questions but ignores the answers." }
  anchors { level: 3 description: "Pins down load and a success metric." }
  anchors { level: 4 description: "Turns the answers into explicit targets and trade-offs." }
  positive_signals: "Asks for peak read and write rates."
  negative_signals: "Never names a success metric at all."
  pass_lines { level: LEVEL_L4 score: 2 }
  pass_lines { level: LEVEL_L5 score: 3 }
  pass_lines { level: LEVEL_L6 score: 3 }
  pass_lines { level: LEVEL_L7 score: 4 }
}
)";
  std::string markers = R"(markers { id: "named_metric" label: "Named a success metric" }
)";
  std::string manual_follow_up = R"(follow_ups {
  id: "manual"
  text: "What would you cut if you had half the time?"
  purpose: "Probes prioritisation under pressure."
}
)";
  std::string triggered_follow_ups = R"(follow_ups {
  id: "time_check"
  text: "Where do you want to spend the rest of the time?"
  purpose: "Checks time management."
  in_phase { phase_id: "design" after_seconds: 120 }
}
follow_ups {
  id: "metric"
  text: "How will you know this design works?"
  purpose: "Asks for a success metric if none was named."
  at_time { at_seconds: 600 unless_marker: "named_metric" }
}
follow_ups {
  id: "metric_deeper"
  text: "Why that number and not ten times lower?"
  purpose: "Pushes on the chosen target."
  on_move { marker_id: "named_metric" after_follow_up: "metric" }
}
tags: "feeds"
)";

  std::string text() const { return header + phases + rubric + markers + manual_follow_up + triggered_follow_ups; }
};

std::string valid_text() { return tiny{}.text(); }

// `text` with the first `from` replaced by `to`; fails the test if absent.
std::string replaced(std::string text, std::string_view from, std::string_view to) {
  const auto at = text.find(from);
  EXPECT_NE(at, std::string::npos) << "mutation target not found: " << from;
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

struct where {
  int line;
  int column;
};

// 1-based line and column of the n-th occurrence of `needle`.
where where_is(std::string_view text, std::string_view needle, int n = 0) {
  size_t at = text.find(needle);
  for (int i = 0; i < n && at != std::string_view::npos; ++i) at = text.find(needle, at + 1);
  EXPECT_NE(at, std::string_view::npos) << "needle not found: " << needle;
  if (at == std::string_view::npos) return {0, 0};
  const auto before = text.substr(0, at);
  const int line = static_cast<int>(std::count(before.begin(), before.end(), '\n')) + 1;
  const auto nl = before.rfind('\n');
  const int column = static_cast<int>(nl == std::string_view::npos ? at : at - nl - 1) + 1;
  return {line, column};
}

std::string dump(const std::vector<scenario_diagnostic>& diags) {
  std::string out;
  for (const auto& d : diags) out += "\n  " + d.to_string();
  return out;
}

// Asserts that `text` fails with exactly one diagnostic, of `rule`, at `at`.
void expect_only(const std::string& text, std::string_view rule, where at, const char* file = tiny_file) {
  const auto r = parse_scenario(text, file);
  EXPECT_FALSE(r.scenario);
  ASSERT_EQ(r.diagnostics.size(), 1u) << dump(r.diagnostics);
  const auto& d = r.diagnostics[0];
  EXPECT_EQ(d.rule, rule) << d.to_string();
  EXPECT_EQ(d.file, file);
  EXPECT_EQ(d.line, at.line) << d.to_string();
  EXPECT_EQ(d.column, at.column) << d.to_string();
  EXPECT_FALSE(d.message.empty());
}

// Mutates the valid text and expects `rule` at the `n`-th occurrence of
// `needle` in the result.
void expect_rule(std::string_view from, std::string_view to, std::string_view rule, std::string_view needle,
                 int n = 0) {
  const auto text = replaced(valid_text(), from, to);
  expect_only(text, rule, where_is(text, needle, n));
}

TEST(ScenarioLoader, PassLineCount) {
  expect_rule("  pass_lines { level: LEVEL_L7 score: 4 }\n", "", "pass-line-count", "rubric {");
}

TEST(ScenarioLoader, PassLineLevel) {
  expect_rule("level: LEVEL_L5 score: 3", "level: LEVEL_L6 score: 3", "pass-line-level", "level: LEVEL_L6");
}

TEST(ScenarioLoader, PassLineScore) {
  expect_rule("level: LEVEL_L7 score: 4", "level: LEVEL_L7 score: 5", "pass-line-score", "score: 5");
}

TEST(ScenarioLoader, PassLineOrder) {
  expect_rule("level: LEVEL_L6 score: 3", "level: LEVEL_L6 score: 2", "pass-line-order", "score: 2", 1);
}

TEST(ScenarioLoader, BadMoveWithoutPushback) {
  expect_rule(R"(label: "Named a success metric" })",
              R"(label: "Named a success metric" }
markers { id: "framework" label: "Answered with a framework" bad_move: true })",
              "bad-move-without-pushback", "bad_move");
}

TEST(ScenarioLoader, BadMoveWithPushbackParses) {
  tiny t;
  t.markers += R"(markers { id: "framework" label: "Answered with a framework" bad_move: true }
)";
  t.manual_follow_up += R"(follow_ups {
  id: "push_back"
  text: "That is a framework. I asked what you would do."
  purpose: "Pushes back on a framework answer at once."
  on_move { marker_id: "framework" }
}
)";
  const auto r = parse_scenario(t.text(), tiny_file);
  ASSERT_TRUE(r.scenario) << dump(r.diagnostics);
  EXPECT_TRUE(r.scenario->markers(1).bad_move());
}

TEST(ScenarioLoader, SameMarkerChain) {
  // metric_deeper is asked when named_metric is ticked; a second step on the
  // same tick would come at the same moment.
  tiny t;
  t.triggered_follow_ups = replaced(t.triggered_follow_ups, "tags: \"feeds\"", R"(follow_ups {
  id: "again"
  text: "And a second time, why that number?"
  purpose: "Would arrive with metric_deeper."
  on_move { marker_id: "named_metric" after_follow_up: "metric_deeper" }
}
tags: "feeds")");
  const auto text = t.text();
  expect_only(text, "same-marker-chain", where_is(text, "marker_id: \"named_metric\" after_follow_up: \"metric_deeper"));
}

TEST(ScenarioLoader, SampleAnswers) {
  const std::string good = R"(sample_answers { level: 2 excerpt: "We would add a cache." commentary: "No numbers." }
)";
  {
    tiny t;
    t.triggered_follow_ups += good;
    const auto r = parse_scenario(t.text(), tiny_file);
    ASSERT_TRUE(r.scenario) << dump(r.diagnostics);
    EXPECT_EQ(r.scenario->sample_answers(0).level(), 2u);
  }
  const auto with = [&](const std::string& samples) {
    tiny t;
    t.triggered_follow_ups += samples;
    return t.text();
  };
  const auto five = with(replaced(good, "level: 2", "level: 5"));
  expect_only(five, "sample-level", where_is(five, "level: 5"));
  const auto twice = with(good + good);
  auto second = where_is(twice, "sample_answers", 1);
  second.column += static_cast<int>(std::string_view("sample_answers { ").size());
  expect_only(twice, "duplicate-sample-level", second);
  expect_only(with(replaced(good, R"(excerpt: "We would add a cache.")", "")), "sample-excerpt-empty",
              where_is(with(good), "sample_answers"));
  expect_only(with(replaced(good, R"(commentary: "No numbers.")", "")), "sample-commentary-empty",
              where_is(with(good), "sample_answers"));
}

TEST(ScenarioLoader, SampleAnswersAndNotesAreStaffOnly) {
  tiny t;
  t.header = replaced(t.header, R"(red_flags: "Draws boxes before asking a single question.")",
                      R"(red_flags: "Draws boxes before asking a single question."
  notes: "Candidates stall on the fan-out question.")");
  t.header = replaced(t.header, R"(context: "Ten million daily users.")",
                      R"(context: "Ten million daily users. Candidates stall on the fan-out question.")");
  const auto r = parse_scenario(t.text(), tiny_file);
  ASSERT_EQ(r.diagnostics.size(), 1u) << dump(r.diagnostics);
  EXPECT_EQ(r.diagnostics[0].rule, "staff-text-in-candidate-view");
  EXPECT_NE(r.diagnostics[0].message.find("interviewer.notes[0]"), std::string::npos) << r.diagnostics[0].message;
}

TEST(ScenarioLoader, FastDecisionStyleCutsInEarly) {
  // The tiny scenario's follow-ups: 120 s into design, at 600 s.
  const auto hyperscale = parse_scenario(valid_text(), tiny_file);
  ASSERT_TRUE(hyperscale.scenario);
  EXPECT_EQ(hyperscale.scenario->pacing_percent(), 100u);
  EXPECT_EQ(hyperscale.scenario->follow_ups(1).in_phase().after_seconds(), 120u);
  EXPECT_EQ(hyperscale.scenario->follow_ups(2).at_time().at_seconds(), 600u);

  const auto fast = parse_scenario(
      replaced(valid_text(), "COMPANY_STYLE_HYPERSCALE", "COMPANY_STYLE_FAST_DECISION_CONSUMER"), tiny_file);
  ASSERT_TRUE(fast.scenario) << dump(fast.diagnostics);
  EXPECT_EQ(fast.scenario->pacing_percent(), 60u);
  EXPECT_EQ(fast.scenario->follow_ups(1).in_phase().after_seconds(), 72u);
  EXPECT_EQ(fast.scenario->follow_ups(2).at_time().at_seconds(), 360u);
  EXPECT_FALSE(fast.scenario->follow_ups(0).has_in_phase()) << "a manual follow-up stays manual";

  // The scenario's own pacing wins over its style's.
  const auto own = parse_scenario(
      replaced(replaced(valid_text(), "COMPANY_STYLE_HYPERSCALE", "COMPANY_STYLE_FAST_DECISION_CONSUMER"), "version: 1",
               "version: 1\npacing_percent: 50"),
      tiny_file);
  ASSERT_TRUE(own.scenario) << dump(own.diagnostics);
  EXPECT_EQ(own.scenario->follow_ups(2).at_time().at_seconds(), 300u);
}

TEST(ScenarioLoader, PacingPercent) {
  expect_rule("version: 1", "version: 1\npacing_percent: 10", "pacing-percent", "pacing_percent");
  expect_rule("version: 1", "version: 1\npacing_percent: 101", "pacing-percent", "pacing_percent");
}

constexpr const char* loop_text = R"(id: "two-rounds"
title: "Two rounds"
company_style: COMPANY_STYLE_HYPERSCALE
levels: LEVEL_L6
description: "A short loop."
rounds { scenario_id: "tiny" focus: "Scoping under pressure." }
rounds { scenario_id: "tiny" focus: "The same, again." }
)";

TEST(ScenarioLoops, LoopOverTheLibraryLoads) {
  const auto r = build_library({{"s/tiny.textproto", valid_text()}}, {{"s/loops/two-rounds.textproto", loop_text}});
  ASSERT_TRUE(r.diagnostics.empty()) << dump(r.diagnostics);
  ASSERT_EQ(r.library->loops.size(), 1u);
  EXPECT_EQ(r.library->find_loop("two-rounds")->rounds_size(), 2);
  EXPECT_EQ(r.files, 2u);
}

TEST(ScenarioLoops, LoopNamingAMissingScenarioIsRefused) {
  const std::string bad =
      replaced(loop_text, R"(scenario_id: "tiny" focus: "The)", R"(scenario_id: "gone" focus: "The)");
  const auto r = build_library({{"s/tiny.textproto", valid_text()}}, {{"s/loops/two-rounds.textproto", bad}});
  ASSERT_EQ(r.diagnostics.size(), 1u) << dump(r.diagnostics);
  EXPECT_EQ(r.diagnostics[0].rule, "unknown-scenario");
  EXPECT_EQ(r.diagnostics[0].line, where_is(bad, "scenario_id: \"gone\"").line);
  EXPECT_TRUE(r.library->loops.empty());
}

TEST(ScenarioLoops, LoopRules) {
  const auto rules_of = [](const std::string& text, const std::string& file = "s/loops/two-rounds.textproto") {
    const auto r = build_library({{"s/tiny.textproto", valid_text()}}, {{file, text}});
    std::set<std::string> out;
    for (const auto& d : r.diagnostics) out.insert(d.rule);
    return out;
  };
  EXPECT_EQ(rules_of(loop_text, "s/loops/other.textproto"), std::set<std::string>{"id-file-name"});
  EXPECT_EQ(rules_of(replaced(loop_text, R"(title: "Two rounds")", "")), std::set<std::string>{"title-empty"});
  EXPECT_EQ(rules_of(replaced(loop_text, "levels: LEVEL_L6", "")), std::set<std::string>{"levels-empty"});
  EXPECT_EQ(rules_of(replaced(loop_text, R"(focus: "Scoping under pressure.")", "")),
            std::set<std::string>{"round-focus-empty"});
  EXPECT_EQ(rules_of(replaced(loop_text, "rounds {", "roundz {")), std::set<std::string>{"syntax"});
}

TEST(ScenarioLoader, ValidTextParses) {
  const auto r = parse_scenario(valid_text(), tiny_file);
  ASSERT_TRUE(r.scenario) << dump(r.diagnostics);
  EXPECT_TRUE(r.diagnostics.empty());
  EXPECT_EQ(r.scenario->id(), "tiny");
  EXPECT_EQ(r.scenario->phases_size(), 2);
  EXPECT_EQ(r.scenario->follow_ups(3).on_move().after_follow_up(), "metric");
}

TEST(ScenarioLoader, DiagnosticFormat) {
  const scenario_diagnostic d{"scenarios/x.textproto", 12, 3, "unknown-phase", "no such phase"};
  EXPECT_EQ(d.to_string(), "scenarios/x.textproto:12:3: unknown-phase: no such phase");
}

TEST(ScenarioLoader, SyntaxErrorsCarryLineAndColumn) {
  // Unknown field.
  auto text = replaced(valid_text(), "title: ", "titel: ");
  auto r = parse_scenario(text, tiny_file);
  ASSERT_EQ(r.diagnostics.size(), 1u) << dump(r.diagnostics);
  EXPECT_EQ(r.diagnostics[0].rule, "syntax");
  EXPECT_EQ(r.diagnostics[0].line, where_is(text, "titel").line);
  EXPECT_EQ(r.diagnostics[0].column, 1) << "at the name, not the ':' after it";
  EXPECT_NE(r.diagnostics[0].message.find("titel"), std::string::npos) << r.diagnostics[0].message;
  EXPECT_FALSE(r.scenario);

  // A singular field given twice: the second one.
  text = replaced(valid_text(), "version: 1\n", "version: 1\n  version: 2\n");
  r = parse_scenario(text, tiny_file);
  ASSERT_EQ(r.diagnostics.size(), 1u) << dump(r.diagnostics);
  EXPECT_EQ(r.diagnostics[0].rule, "syntax");
  EXPECT_EQ(r.diagnostics[0].line, where_is(text, "  version: 2").line);
  EXPECT_EQ(r.diagnostics[0].column, 3);

  // Bad enum name: the error points at the name, not the token after it.
  text = replaced(valid_text(), "LEVEL_L6", "LEVEL_L9");
  r = parse_scenario(text, tiny_file);
  ASSERT_EQ(r.diagnostics.size(), 1u) << dump(r.diagnostics);
  EXPECT_EQ(r.diagnostics[0].rule, "syntax");
  EXPECT_EQ(r.diagnostics[0].line, where_is(text, "LEVEL_L9").line);
  EXPECT_EQ(r.diagnostics[0].column, where_is(text, "LEVEL_L9").column);

  // Wrong type: a string where a number goes.
  text = replaced(valid_text(), "duration_seconds: 300", "duration_seconds: \"300\"");
  r = parse_scenario(text, tiny_file);
  ASSERT_EQ(r.diagnostics.size(), 1u) << dump(r.diagnostics);
  EXPECT_EQ(r.diagnostics[0].rule, "syntax");
  EXPECT_EQ(r.diagnostics[0].line, where_is(text, "\"300\"").line);
  EXPECT_EQ(r.diagnostics[0].column, where_is(text, "\"300\"").column);

  // Unbalanced braces: reported at the end of the input.
  text = valid_text() + "phases {\n";
  r = parse_scenario(text, tiny_file);
  ASSERT_EQ(r.diagnostics.size(), 1u) << dump(r.diagnostics);
  EXPECT_EQ(r.diagnostics[0].rule, "syntax");
  EXPECT_EQ(r.diagnostics[0].line, static_cast<int>(std::count(text.begin(), text.end(), '\n')) + 1);
}

TEST(ScenarioLoader, FileTooLarge) {
  std::string text = valid_text();
  text += "# " + std::string(max_scenario_bytes, 'x') + "\n";
  expect_only(text, "file-too-large", {1, 1});
  // Exactly at the limit is still read.
  text = valid_text();
  text += "#" + std::string(max_scenario_bytes - text.size() - 2, 'x') + "\n";
  ASSERT_EQ(text.size(), max_scenario_bytes);
  EXPECT_TRUE(parse_scenario(text, tiny_file).scenario);
}

TEST(ScenarioLoader, Utf8) {
  const auto text = replaced(valid_text(), "A tiny scenario", "A tiny \xE9 scenario");  // Latin-1 e-acute
  expect_only(text, "utf8", where_is(text, "\xE9"));
  // Well-formed multi-byte text is fine.
  EXPECT_TRUE(parse_scenario(replaced(valid_text(), "A tiny scenario", "A tiny caf\xC3\xA9"), tiny_file).scenario);
}

TEST(ScenarioLoader, IdFormat) {
  expect_rule("id: \"tiny\"", "id: \"Tiny\"", "id-format", "id: \"Tiny\"");
  expect_only(replaced(valid_text(), "id: \"tiny\"\n", ""), "id-format", {1, 1});  // absent: top of file
}

TEST(ScenarioLoader, IdFileName) {
  const auto text = valid_text();
  expect_only(text, "id-file-name", where_is(text, "id: \"tiny\""), "scenarios/small.textproto");
  EXPECT_TRUE(parse_scenario(text, "tiny.textproto").scenario) << "a bare file name works too";
}

TEST(ScenarioLoader, Version) { expect_rule("version: 1", "version: 0", "version", "version"); }

TEST(ScenarioLoader, TitleEmpty) { expect_rule("\"A tiny scenario\"", "\"\"", "title-empty", "title"); }

TEST(ScenarioLoader, RoundType) {
  expect_rule("ROUND_TYPE_SYSTEM_DESIGN", "ROUND_TYPE_UNSPECIFIED", "round-type", "round_type");
  expect_rule("ROUND_TYPE_SYSTEM_DESIGN", "99", "round-type", "round_type");  // a number no enum value has
}

TEST(ScenarioLoader, CompanyStyle) {
  expect_rule("COMPANY_STYLE_HYPERSCALE", "COMPANY_STYLE_UNSPECIFIED", "company-style", "company_style");
}

TEST(ScenarioLoader, LevelsEmpty) {
  expect_only(replaced(valid_text(), "levels: LEVEL_L5\nlevels: LEVEL_L6\n", ""), "levels-empty", {1, 1});
}

TEST(ScenarioLoader, LevelInvalid) { expect_rule("LEVEL_L6", "LEVEL_UNSPECIFIED", "level-invalid", "levels", 1); }

TEST(ScenarioLoader, DuplicateLevel) { expect_rule("LEVEL_L6", "LEVEL_L5", "duplicate-level", "levels", 1); }

TEST(ScenarioLoader, PromptEmpty) {
  expect_rule("\"Design a news feed for a social app.\"", "\"\"", "prompt-empty", "prompt");
  // Absent: the enclosing candidate block.
  expect_rule("  prompt: \"Design a news feed for a social app.\"\n", "", "prompt-empty", "candidate {");
}

TEST(ScenarioLoader, NoPhases) {
  tiny t;
  t.phases.clear();
  t.triggered_follow_ups.clear();  // they point into the phases
  expect_only(t.text(), "no-phases", {1, 1});
}

TEST(ScenarioLoader, PhaseIdFormat) {
  expect_rule("id: \"clarify\"", "id: \"Clarify-1\"", "phase-id-format", "id: \"Clarify-1\"");
}

TEST(ScenarioLoader, DuplicatePhaseId) {
  expect_rule("id: \"clarify\"", "id: \"design\"", "duplicate-phase-id", "id: \"design\"", 1);
}

TEST(ScenarioLoader, PhaseNameEmpty) {
  expect_rule("name: \"Design\"", "name: \"\"", "phase-name-empty", "name: \"\"");
  // Absent: the enclosing phase.
  expect_rule("  name: \"Design\"\n", "", "phase-name-empty", "phases {", 1);
}

TEST(ScenarioLoader, PhaseDuration) {
  expect_rule("duration_seconds: 300", "duration_seconds: 0", "phase-duration", "duration_seconds: 0");
}

TEST(ScenarioLoader, NoRubric) {
  tiny t;
  t.rubric.clear();
  expect_only(t.text(), "no-rubric", {1, 1});
}

TEST(ScenarioLoader, EmptyIds) {
  expect_rule("id: \"scoping\"", "id: \"\"", "empty-id", "id: \"\"");
  expect_rule("id: \"manual\"", "id: \"\"", "empty-id", "id: \"\"");
}

TEST(ScenarioLoader, DuplicateDimensionId) {
  tiny t;
  t.rubric += t.rubric;
  const auto text = t.text();
  expect_only(text, "duplicate-dimension-id", where_is(text, "id: \"scoping\"", 1));
}

TEST(ScenarioLoader, DimensionNameEmpty) {
  expect_rule("name: \"Scoping\"", "name: \"\"", "dimension-name-empty", "name: \"\"");
}

TEST(ScenarioLoader, DimensionLayer) {
  expect_rule("SCORING_LAYER_SCOPING", "SCORING_LAYER_UNSPECIFIED", "dimension-layer", "layer");
  expect_rule("  layer: SCORING_LAYER_SCOPING\n", "", "dimension-layer", "rubric {");  // absent
}

TEST(ScenarioLoader, AnchorCount) {
  // Too few: the dimension.
  expect_rule("  anchors { level: 4 description: \"Turns the answers into explicit targets and trade-offs.\" }\n", "",
              "anchor-count", "rubric {");
  // Too many: the first one past four.
  expect_rule("  positive_signals:",
              "  anchors { level: 5 description: \"Rewrites the product strategy.\" }\n  positive_signals:",
              "anchor-count", "anchors { level: 5");
}

TEST(ScenarioLoader, AnchorLevel) {
  expect_rule("level: 3", "level: 2", "anchor-level", "level: 2", 1);
  expect_rule("level: 1", "level: 0", "anchor-level", "level: 0");
}

TEST(ScenarioLoader, AnchorDescriptionEmpty) {
  expect_rule("\"Asks questions but ignores the answers.\"", "\"\"", "anchor-description-empty", "description: \"\"");
}

TEST(ScenarioLoader, DuplicateMarkerId) {
  tiny t;
  t.markers += t.markers;
  const auto text = t.text();
  expect_only(text, "duplicate-marker-id", where_is(text, "id: \"named_metric\"", 1));
}

TEST(ScenarioLoader, MarkerLabelEmpty) {
  expect_rule("label: \"Named a success metric\"", "label: \"\"", "marker-label-empty", "label");
}

TEST(ScenarioLoader, DuplicateFollowUpId) {
  expect_rule("id: \"manual\"", "id: \"metric\"", "duplicate-follow-up-id", "id: \"metric\"", 1);
}

TEST(ScenarioLoader, FollowUpTextEmpty) {
  expect_rule("\"What would you cut if you had half the time?\"", "\"\"", "follow-up-text-empty", "text: \"\"");
}

TEST(ScenarioLoader, UnknownPhase) {
  expect_rule("phase_id: \"design\"", "phase_id: \"desing\"", "unknown-phase", "phase_id");
}

TEST(ScenarioLoader, InPhaseTooLate) {
  // Equal to the phase's duration is already too late: the phase has ended.
  expect_rule("after_seconds: 120", "after_seconds: 1200", "in-phase-too-late", "after_seconds");
  EXPECT_TRUE(parse_scenario(replaced(valid_text(), "after_seconds: 120", "after_seconds: 1199"), tiny_file).scenario);
}

TEST(ScenarioLoader, AtTimeTooLate) {
  expect_rule("at_seconds: 600", "at_seconds: 1500", "at-time-too-late", "at_seconds");  // total is 300 + 1200
  EXPECT_TRUE(parse_scenario(replaced(valid_text(), "at_seconds: 600", "at_seconds: 1499"), tiny_file).scenario);
}

TEST(ScenarioLoader, UnknownMarker) {
  expect_rule("unless_marker: \"named_metric\"", "unless_marker: \"named_metrics\"", "unknown-marker", "unless_marker");
  expect_rule("marker_id: \"named_metric\"", "marker_id: \"nope\"", "unknown-marker", "marker_id");
  // unless_marker is optional.
  EXPECT_TRUE(parse_scenario(replaced(valid_text(), " unless_marker: \"named_metric\"", ""), tiny_file).scenario);
}

TEST(ScenarioLoader, UnknownFollowUp) {
  expect_rule("after_follow_up: \"metric\"", "after_follow_up: \"metrics\"", "unknown-follow-up", "after_follow_up");
}

TEST(ScenarioLoader, SelfChainedFollowUp) {
  expect_rule("after_follow_up: \"metric\"", "after_follow_up: \"metric_deeper\"", "self-chained-follow-up",
              "after_follow_up");
}

TEST(ScenarioLoader, StaffTextInCandidateView) {
  // An anchor quoted in a phase's candidate guidance.
  expect_rule("candidate_guidance: \"Ask your questions.\"",
              "candidate_guidance: \"Ask your questions. Pins down load and a success metric.\"",
              "staff-text-in-candidate-view", "candidate_guidance");
  // A follow-up's text printed up front in the context.
  expect_rule("context: \"Ten million daily users.\"", "context: \"How will you know this design works?\"",
              "staff-text-in-candidate-view", "context");
  // The interviewer's briefing in the prompt.
  expect_rule("prompt: \"Design a news feed for a social app.\"",
              "prompt: \"Design a news feed. Push on the numbers until they commit to a target.\"",
              "staff-text-in-candidate-view", "prompt");
  const auto r = parse_scenario(replaced(valid_text(), "Ask your questions.\"",
                                         "Ask your questions. " + std::string("Checks time management.\"")),
                                tiny_file);
  ASSERT_EQ(r.diagnostics.size(), 1u) << dump(r.diagnostics);
  EXPECT_NE(r.diagnostics[0].message.find("follow_ups[1].purpose"), std::string::npos) << r.diagnostics[0].message;
  // Short staff text is too generic to count: the dimension is named
  // "Scoping" and the prompt may say "scoping" too.
  EXPECT_TRUE(
      parse_scenario(replaced(valid_text(), "for a social app.", "for a social app. Start with Scoping."), tiny_file)
          .scenario);
}

TEST(ScenarioLoader, ManyProblemsAreAllReported) {
  auto text = replaced(valid_text(), "version: 1", "version: 0");
  text = replaced(text, "phase_id: \"design\"", "phase_id: \"nope\"");
  const auto r = parse_scenario(text, tiny_file);
  ASSERT_EQ(r.diagnostics.size(), 2u) << dump(r.diagnostics);
  EXPECT_EQ(r.diagnostics[0].rule, "version");
  EXPECT_EQ(r.diagnostics[1].rule, "unknown-phase");
}

TEST(ScenarioLibrary, DuplicateIdsAcrossFilesTheSecondLoses) {
  const auto text = valid_text();
  const auto other = replaced(replaced(text, "id: \"tiny\"", "id: \"other\""), "A tiny scenario", "Another");
  const auto r = build_library({{"b/tiny.textproto", text},
                                {"a/other.textproto", other},
                                {"a/tiny.textproto", replaced(text, "A tiny scenario", "A copy")}});
  EXPECT_EQ(r.files, 3u);
  ASSERT_EQ(r.diagnostics.size(), 1u) << dump(r.diagnostics);
  const auto& d = r.diagnostics[0];
  EXPECT_EQ(d.rule, "duplicate-scenario-id");
  EXPECT_EQ(d.file, "a/tiny.textproto");
  EXPECT_EQ(d.line, where_is(text, "id: \"tiny\"").line);
  EXPECT_EQ(d.column, 1);
  EXPECT_NE(d.message.find("b/tiny.textproto"), std::string::npos) << d.message;

  ASSERT_TRUE(r.library);
  ASSERT_EQ(r.library->scenarios.size(), 2u);
  EXPECT_EQ(r.library->scenarios[0]->id(), "other") << "sorted by id";
  EXPECT_EQ(r.library->find("tiny")->title(), "A tiny scenario") << "the first file wins";
  EXPECT_FALSE(r.library->find("nope"));
  EXPECT_FALSE(r.library->find(""));
}

TEST(ScenarioLibrary, BadFilesAreLeftOutGoodOnesKept) {
  const auto r = build_library({{"x/tiny.textproto", valid_text()}, {"x/broken.textproto", "id: \"broken\" {"}});
  EXPECT_EQ(r.files, 2u);
  ASSERT_EQ(r.diagnostics.size(), 1u) << dump(r.diagnostics);
  EXPECT_EQ(r.diagnostics[0].file, "x/broken.textproto");
  EXPECT_EQ(r.diagnostics[0].rule, "syntax");
  ASSERT_EQ(r.library->scenarios.size(), 1u);
  EXPECT_TRUE(r.library->find("tiny"));

  const auto empty = build_library({});
  ASSERT_TRUE(empty.library);
  EXPECT_TRUE(empty.library->scenarios.empty());
}

TEST(ScenarioLibrary, SummaryHasNoRubricOrScriptText) {
  const auto parsed = parse_scenario(valid_text(), tiny_file);
  ASSERT_TRUE(parsed.scenario) << dump(parsed.diagnostics);
  const auto s = summarize(*parsed.scenario);
  EXPECT_EQ(s.id(), "tiny");
  EXPECT_EQ(s.version(), 1u);
  EXPECT_EQ(s.title(), "A tiny scenario");
  EXPECT_EQ(s.round_type(), v1::ROUND_TYPE_SYSTEM_DESIGN);
  ASSERT_EQ(s.levels_size(), 2);
  EXPECT_EQ(s.levels(1), v1::LEVEL_L6);
  EXPECT_EQ(s.company_style(), v1::COMPANY_STYLE_HYPERSCALE);
  EXPECT_EQ(s.duration_seconds(), 1500u);
  ASSERT_EQ(s.tags_size(), 1);
  EXPECT_EQ(s.tags(0), "feeds");

  // No string from anywhere but the summary's own fields.
  const std::string bytes = s.SerializeAsString();
  for (const char* secret :
       {"Pins down load", "Push on the numbers", "Names a latency target", "Draws boxes", "Share the traffic",
        "half the time", "Probes prioritisation", "named_metric", "Named a success metric", "Asks for peak",
        "Design a news feed", "Ten million", "Ask your questions", "scoping", "clarify"})
    EXPECT_EQ(bytes.find(secret), std::string::npos) << secret;
}

std::vector<std::pair<std::string, std::string>> real_library_files(const char* dir = MOCKLOOP_SOURCE_DIR
                                                                    "/scenarios") {
  namespace fs = std::filesystem;
  std::vector<std::pair<std::string, std::string>> files;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().extension() != ".textproto") continue;
    std::ifstream in(entry.path(), std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    files.emplace_back(entry.path().string(), text.str());
  }
  std::sort(files.begin(), files.end());
  return files;
}

// The library shipped in scenarios/ loads cleanly and covers what the lobby
// offers.
TEST(ScenarioLibrary, RealLibraryLoads) {
  const auto files = real_library_files();
  const auto loops = real_library_files(MOCKLOOP_SOURCE_DIR "/scenarios/loops");
  const auto examples = real_library_files(MOCKLOOP_SOURCE_DIR "/scenarios/calibration");
  const auto r = build_library(files, loops, examples);
  EXPECT_TRUE(r.diagnostics.empty()) << dump(r.diagnostics);
  ASSERT_TRUE(r.library);
  const auto& all = r.library->scenarios;
  EXPECT_GE(all.size(), 26u);
  EXPECT_EQ(all.size(), files.size());
  EXPECT_EQ(r.library->loops.size(), loops.size());
  // The two loops of docs/scenarios.md: a 4-5 round fast-decision loop and a
  // 4-6 round hyperscale loop.
  std::map<v1::CompanyStyle, int> loop_rounds;
  for (const auto& l : r.library->loops) loop_rounds[l->company_style()] = l->rounds_size();
  EXPECT_TRUE(loop_rounds[v1::COMPANY_STYLE_FAST_DECISION_CONSUMER] >= 4 &&
              loop_rounds[v1::COMPANY_STYLE_FAST_DECISION_CONSUMER] <= 5);
  EXPECT_TRUE(loop_rounds[v1::COMPANY_STYLE_HYPERSCALE] >= 4 && loop_rounds[v1::COMPANY_STYLE_HYPERSCALE] <= 6);

  std::map<v1::RoundType, int> round_types;
  std::map<v1::CompanyStyle, int> styles;
  for (const auto& s : all) {
    ++round_types[s->round_type()];
    ++styles[s->company_style()];

    int manual = 0, in_phase = 0, at_time = 0, on_move = 0;
    for (const auto& f : s->follow_ups()) {
      manual += f.trigger_case() == v1::FollowUp::TRIGGER_NOT_SET;
      in_phase += f.has_in_phase();
      at_time += f.has_at_time();
      on_move += f.has_on_move();
    }
    EXPECT_GE(s->follow_ups_size(), 4) << s->id();
    EXPECT_GE(manual, 1) << s->id();
    EXPECT_GE(in_phase, 1) << s->id();
    EXPECT_GE(at_time, 1) << s->id();
    EXPECT_GE(on_move, 1) << s->id();
  }
  // Library-wide coverage from docs/scenarios.md: every round type at least
  // twice, every company style at least four times.
  for (int t = v1::ROUND_TYPE_SYSTEM_DESIGN; t <= v1::ROUND_TYPE_TECHNICAL_SCREEN; ++t)
    EXPECT_GE(round_types[static_cast<v1::RoundType>(t)], 2) << v1::RoundType_Name(t);
  for (int c = v1::COMPANY_STYLE_HYPERSCALE; c <= v1::COMPANY_STYLE_ENGINEERING_PLATFORM; ++c)
    EXPECT_GE(styles[static_cast<v1::CompanyStyle>(c)], 4) << v1::CompanyStyle_Name(c);
}

// The calibration packet is there to practise a split: its raters and its
// example panel disagree before they decide, and every record reads as the
// rooms would have written it.
TEST(ScenarioLibrary, ExamplePacketsSplitAndReadLikeRealRecords) {
  const auto r = build_library(real_library_files(), {},
                               real_library_files(MOCKLOOP_SOURCE_DIR "/scenarios/calibration"));
  ASSERT_TRUE(r.diagnostics.empty()) << dump(r.diagnostics);
  ASSERT_GE(r.library->examples.size(), 1u);
  for (const auto& e : r.library->examples) {
    SCOPED_TRACE(e->id());
    std::set<v1::Recommendation> card_calls, independent;
    for (const auto& rec : e->records()) {
      EXPECT_EQ(rec.target_level(), e->target_level());
      EXPECT_FALSE(rec.rubric().empty()) << "the loader gives each record its scenario's rubric";
      EXPECT_TRUE(rec.aggregation().has_at_level());
      for (const auto& c : rec.scorecards()) {
        card_calls.insert(c.recommendation());
        EXPECT_EQ(c.scores_size(), rec.rubric_size()) << c.rater_name() << " scores every dimension";
        EXPECT_NE(c.at_level().recommendation(), v1::RECOMMENDATION_UNSPECIFIED);
      }
    }
    const auto yes = [](v1::Recommendation x) { return x >= v1::RECOMMENDATION_YES; };
    EXPECT_TRUE(std::any_of(card_calls.begin(), card_calls.end(), yes)) << "some rater says yes";
    EXPECT_FALSE(std::all_of(card_calls.begin(), card_calls.end(), yes)) << "and some says no";
    for (const auto& v : e->example_decision().votes()) independent.insert(v.independent());
    EXPECT_TRUE(std::any_of(independent.begin(), independent.end(), yes));
    EXPECT_FALSE(std::all_of(independent.begin(), independent.end(), yes)) << "the example panel splits first";
    EXPECT_NE(e->example_decision().decision(), v1::RECOMMENDATION_UNSPECIFIED);
    EXPECT_FALSE(e->commentary().empty());
  }
}

size_t code_points(std::string_view s) {
  return static_cast<size_t>(std::count_if(s.begin(), s.end(), [](char c) { return (c & 0xC0) != 0x80; }));
}

// The shape conventions of docs/scenarios.md ("Library conventions"). The
// loader accepts scenarios outside them (a custom scenario may be shorter);
// the shipped library keeps to them so that every round feels the same.
TEST(ScenarioLibrary, RealLibraryKeepsTheGuidesConventions) {
  const auto r = build_library(real_library_files());
  ASSERT_TRUE(r.diagnostics.empty()) << dump(r.diagnostics);
  const auto in = [](int n, int lo, int hi) { return n >= lo && n <= hi; };
  for (const auto& s : r.library->scenarios) {
    SCOPED_TRACE(s->id());
    EXPECT_TRUE(in(s->candidate().context_size(), 2, 5));
    EXPECT_FALSE(s->interviewer().briefing().empty());
    EXPECT_TRUE(in(s->interviewer().strong_answer_size(), 3, 6));
    EXPECT_TRUE(in(s->interviewer().red_flags_size(), 3, 6));

    EXPECT_TRUE(in(s->phases_size(), 3, 5));
    for (const auto& p : s->phases()) {
      EXPECT_FALSE(p.candidate_guidance().empty()) << p.id();
      EXPECT_FALSE(p.interviewer_guidance().empty()) << p.id();
    }
    EXPECT_TRUE(in(static_cast<int>(summarize(*s).duration_seconds()), 1800, 3000));

    ASSERT_TRUE(in(s->rubric_size(), 4, 6));
    EXPECT_EQ(s->rubric(0).layer(), v1::SCORING_LAYER_SCOPING);
    for (const auto& d : s->rubric()) {
      EXPECT_FALSE(d.description().empty()) << d.id();
      std::set<std::string> distinct;
      for (const auto& a : d.anchors()) {
        distinct.insert(a.description());
        EXPECT_GE(code_points(a.description()), 20u) << a.description();
      }
      EXPECT_EQ(distinct.size(), 4u) << d.id();
      EXPECT_TRUE(in(d.positive_signals_size(), 2, 4)) << d.id();
      EXPECT_TRUE(in(d.negative_signals_size(), 2, 4)) << d.id();
      for (const auto& signal : d.positive_signals()) EXPECT_GE(code_points(signal), 20u) << signal;
      for (const auto& signal : d.negative_signals()) EXPECT_GE(code_points(signal), 20u) << signal;
    }

    EXPECT_TRUE(in(s->markers_size(), 3, 8));
    int bad_moves = 0;
    for (const auto& m : s->markers()) bad_moves += m.bad_move();
    EXPECT_GE(bad_moves, 2) << "bad moves, each pushed back on (the loader checks the pushback)";
    EXPECT_TRUE(std::any_of(s->follow_ups().begin(), s->follow_ups().end(), [](const auto& f) {
      return f.has_on_move() && !f.on_move().after_follow_up().empty();
    })) << "needs a chain two deep";

    for (const auto& d : s->rubric()) {
      ASSERT_EQ(d.pass_lines_size(), 4) << d.id();
      EXPECT_GT(d.pass_lines(3).score(), d.pass_lines(0).score()) << d.id() << ": the L7 line is above the L4 line";
      const auto unobservable = [](const std::string& text) {
        std::string lower = text;
        for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        for (const char* w : {"relationship", "morale", "felt", "trust grew", "grew stronger"})
          if (lower.find(w) != std::string::npos) return true;
        return false;
      };
      for (const auto& a : d.anchors()) EXPECT_FALSE(unobservable(a.description())) << a.description();
      for (const auto& x : d.positive_signals()) EXPECT_FALSE(unobservable(x)) << x;
      for (const auto& x : d.negative_signals()) EXPECT_FALSE(unobservable(x)) << x;
    }

    std::set<uint32_t> sample_levels;
    for (const auto& a : s->sample_answers()) {
      sample_levels.insert(a.level());
      EXPECT_TRUE(in(static_cast<int>(code_points(a.excerpt())), 300, 1600)) << "level " << a.level();
      EXPECT_GE(code_points(a.commentary()), 120u) << "level " << a.level();
    }
    EXPECT_EQ(sample_levels, (std::set<uint32_t>{2, 4}));
    EXPECT_TRUE(in(s->interviewer().notes_size(), 2, 4));
    if (s->round_type() == v1::ROUND_TYPE_TECHNICAL_SCREEN) {
      EXPECT_FALSE(s->candidate().code().empty());
    }
    bool gated_at_time = false;
    for (const auto& f : s->follow_ups()) {
      EXPECT_FALSE(f.purpose().empty()) << f.id();
      EXPECT_GE(code_points(f.text()), 20u) << f.text();
      gated_at_time |= f.has_at_time() && !f.at_time().unless_marker().empty();
    }
    EXPECT_TRUE(gated_at_time) << "needs an at_time follow-up with an unless_marker";
  }
}

}  // namespace
}  // namespace mockloop
