// mockloop-server: parse flags, start the shell, run until a signal.
#include <cstdio>
#include <exception>
#include <set>

#include <spdlog/spdlog.h>

#include "mockloop/codec.h"
#include "mockloop/core/config.h"
#include "mockloop/shell/server.h"
#include "shell/scenario_files.h"

int main(int argc, char** argv) {
  auto parsed = mockloop::parse_config(argc, argv);
  if (parsed.help) {
    std::fputs(mockloop::usage_text().c_str(), stdout);
    return 0;
  }
  if (!parsed.config) {
    std::fprintf(stderr, "mockloop-server: %s\n", parsed.error.c_str());
    return 2;
  }
  for (const auto& [command, dir] : parsed.commands) {
    if (command != "check_scenarios") continue;
    const auto result = mockloop::load_scenario_dir(dir);
    std::set<std::string> bad_files;
    for (const auto& d : result.diagnostics) {
      std::fprintf(stderr, "%s\n", d.to_string().c_str());
      bad_files.insert(d.file);
    }
    if (result.diagnostics.empty()) {
      std::printf("%zu scenarios OK\n", result.library->scenarios.size());
      return 0;
    }
    const size_t errors = result.diagnostics.size(), files = bad_files.size();
    std::fprintf(stderr, "%zu error%s in %zu file%s\n", errors, errors == 1 ? "" : "s", files, files == 1 ? "" : "s");
    return 1;
  }
  const auto& cfg = *parsed.config;
  spdlog::set_level(spdlog::level::from_str(cfg.log_level));
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");
  mockloop::route_protobuf_logs([](int, const char* file, int line, const std::string& msg) {
    spdlog::debug("protobuf {}:{}: {}", file, line, msg);
  });

  try {
    mockloop::server srv(cfg);
    srv.start();
    srv.run(/*handle_signals=*/true);
  } catch (const std::exception& e) {
    spdlog::critical("{}", e.what());
    return 1;
  }
  return 0;
}
