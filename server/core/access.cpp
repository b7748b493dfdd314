#include "mockloop/core/access.h"

#include <algorithm>
#include <cctype>

namespace mockloop {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

}  // namespace

bool origin_allowed(std::string_view origin, std::string_view host, std::string_view allowed) {
  origin = trim(origin);
  if (origin.empty()) return true;
  if (trim(allowed) == "*") return true;
  // Same origin: what follows the scheme is the Host the browser connected to.
  if (const auto sep = origin.find("://"); sep != std::string_view::npos && !host.empty()) {
    const auto scheme = origin.substr(0, sep);
    if ((iequals(scheme, "http") || iequals(scheme, "https")) && iequals(origin.substr(sep + 3), trim(host)))
      return true;
  }
  while (!allowed.empty()) {
    const auto comma = allowed.find(',');
    const auto entry = trim(allowed.substr(0, comma));
    if (!entry.empty() && iequals(entry, origin)) return true;
    if (comma == std::string_view::npos) break;
    allowed.remove_prefix(comma + 1);
  }
  return false;
}

std::string client_address(std::string_view peer, bool peer_is_loopback, std::string_view forwarded) {
  if (!peer_is_loopback) return std::string(peer);
  const auto last = trim(forwarded.substr(forwarded.rfind(',') == std::string_view::npos ? 0 : forwarded.rfind(',') + 1));
  return last.empty() ? std::string(peer) : std::string(last);
}

}  // namespace mockloop
