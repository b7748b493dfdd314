// Loading interview scenarios: text format in, checked Scenario messages out.
//
// Pure functions over strings: the shell reads the files (shell/scenario_files)
// and hands their text here, so every rule is testable without a disk. The
// rules are listed, with their names, in docs/scenarios.md.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "mockloop/v1/debrief.pb.h"
#include "mockloop/v1/scenario.pb.h"

namespace mockloop {

// Larger files are refused unparsed: the biggest real scenario is ~12 KiB, so
// anything near this is a mistake, and the parser's cost grows with the input.
inline constexpr size_t max_scenario_bytes = 1024 * 1024;

// One problem in one file, positioned like a compiler error so that editors
// and CI annotations can jump to it.
struct scenario_diagnostic {
  std::string file;
  int line = 1;      // 1-based
  int column = 1;    // 1-based
  std::string rule;  // short stable name, e.g. "duplicate-phase-id"
  std::string message;

  // "file:line:column: rule: message"
  std::string to_string() const;
};

struct parsed_scenario {
  std::shared_ptr<const v1::Scenario> scenario;  // set only when diagnostics is empty
  std::vector<scenario_diagnostic> diagnostics;
};

// Parses and checks one file's text. `file_name` is used in diagnostics and
// for the id rule (the id must equal its base name without ".textproto").
parsed_scenario parse_scenario(std::string_view text, std::string_view file_name);

struct scenario_library {
  std::vector<std::shared_ptr<const v1::Scenario>> scenarios;  // sorted by id

  std::vector<std::shared_ptr<const v1::LoopTemplate>> loops;  // sorted by id; every round's scenario is here
  // Calibration packets (scenarios/calibration/), sorted by id; their records
  // carry their scenario's rubric, the level readings and the aggregation.
  std::vector<std::shared_ptr<const v1::ExamplePacket>> examples;

  // The scenario with this id, or null.
  std::shared_ptr<const v1::Scenario> find(std::string_view id) const;
  std::shared_ptr<const v1::LoopTemplate> find_loop(std::string_view id) const;
  std::shared_ptr<const v1::ExamplePacket> find_example(std::string_view id) const;
};

struct library_result {
  std::shared_ptr<const scenario_library> library;  // always set; holds the files that passed
  std::vector<scenario_diagnostic> diagnostics;
  size_t files = 0;  // files looked at, good or bad (loops included)
};

// Parses every (file name, text) pair and keeps the good ones. When two files
// share an id the later one in `files` is refused ("duplicate-scenario-id").
// Loops (scenarios/loops/) are checked after the scenarios: a loop naming a
// scenario that is missing or refused is refused too ("unknown-scenario").
library_result build_library(const std::vector<std::pair<std::string, std::string>>& files,
                             const std::vector<std::pair<std::string, std::string>>& loop_files = {},
                             const std::vector<std::pair<std::string, std::string>>& example_files = {});

// Fast-decision loops cut in early: their scripted follow-ups come at 60%
// of the authored time unless the scenario sets pacing_percent itself.
inline constexpr uint32_t fast_decision_pacing_percent = 60;
inline constexpr uint32_t min_pacing_percent = 25;  // below, follow-ups pile up in the first minutes

// The scenario's pacing: its own pacing_percent, else its company style's.
uint32_t pacing_percent(const v1::Scenario& s);
// Scales every timed follow-up to the pacing and records the percentage
// applied in pacing_percent. The loader calls it on every good scenario, so
// a room, its clients and its debrief all see the times the script uses.
void apply_pacing(v1::Scenario& s);

// What a lobby may list: duration is the sum of the phases; no rubric, brief
// or script text.
v1::ScenarioSummary summarize(const v1::Scenario& scenario);

}  // namespace mockloop
