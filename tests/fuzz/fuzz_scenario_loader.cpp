// Fuzzes the scenario loader with file text. Scenario files come from the
// operator, not from clients, but `--check-scenarios` runs on contributions
// in CI and the loader must refuse anything with a diagnostic, never crash.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.h"
#include "mockloop/codec.h"
#include "mockloop/core/scenario_loader.h"

namespace {

// The file name the text claims by its top-level `id: "..."`, so that a
// valid scenario passes the id-equals-file-name rule and reaches the rest.
std::string file_name_for(std::string_view text) {
  constexpr std::string_view key = "\nid: \"";
  const auto start = text.find(key);
  if (start == std::string_view::npos) return "fuzz.textproto";
  const auto from = start + key.size();
  const auto end = text.find('"', from);
  if (end == std::string_view::npos || end - from > 64) return "fuzz.textproto";
  return std::string(text.substr(from, end - from)) + ".textproto";
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  mockloop::route_protobuf_logs([](int, const char*, int, const std::string&) {});
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace mockloop;
  const std::string text(reinterpret_cast<const char*>(data), size);
  const auto file = file_name_for(text);
  const auto parsed = parse_scenario(text, file);

  FUZZ_CHECK(static_cast<bool>(parsed.scenario) == parsed.diagnostics.empty());
  for (const auto& d : parsed.diagnostics) {
    FUZZ_CHECK(d.file == file);
    FUZZ_CHECK(d.line >= 1 && d.column >= 1);
    FUZZ_CHECK(!d.rule.empty() && !d.message.empty());
    FUZZ_CHECK(!d.to_string().empty());
  }
  if (!parsed.scenario) return 0;

  const auto summary = summarize(*parsed.scenario);
  FUZZ_CHECK(summary.id() == parsed.scenario->id());
  // The same text twice in a library: one kept, the copy refused by id.
  const auto lib = build_library({{file, text}, {"copy/" + file, text}});
  FUZZ_CHECK(lib.library->scenarios.size() == 1);
  FUZZ_CHECK(lib.diagnostics.size() == 1 && lib.diagnostics[0].rule == "duplicate-scenario-id");
  FUZZ_CHECK(lib.library->find(parsed.scenario->id()) != nullptr);
  return 0;
}
