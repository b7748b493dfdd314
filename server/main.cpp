// mockloop-server: parse flags, start the shell, run until a signal.
#include <cstdio>
#include <exception>

#include <spdlog/spdlog.h>

#include "mockloop/codec.h"
#include "mockloop/core/config.h"
#include "mockloop/shell/server.h"

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
