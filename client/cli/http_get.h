// One blocking HTTP GET, for the few plain-HTTP endpoints the terminal
// client reads (/api/scenarios). Beast stays in http_get.cpp.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace mockloop::cli {

struct http_answer {
  unsigned status = 0;  // 0: no answer; see error
  std::string body;
  std::string error;
};

http_answer http_get(const std::string& host, uint16_t port, const std::string& target,
                     std::chrono::milliseconds timeout);

}  // namespace mockloop::cli
