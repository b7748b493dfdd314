// The ICE servers a call's members get, with TURN credentials in coturn's
// "TURN REST API" scheme (use-auth-secret): username "<expiry>:<user>",
// password base64(HMAC-SHA1(static-auth-secret, username)). coturn checks
// them with the shared secret alone; nothing is stored on either side.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "mockloop/v1/call.pb.h"

namespace mockloop {

struct ice_config {
  std::vector<std::string> urls;  // stun:, turn:, turns: URLs
  std::string turn_secret;        // empty: TURN URLs go out without credentials
  uint32_t ttl_seconds = 3600;
  bool relay_only = false;
};

// "a, b ,c" -> {"a", "b", "c"}
std::vector<std::string> split_urls(std::string_view list);

std::array<uint8_t, 20> sha1(std::string_view data);
std::array<uint8_t, 20> hmac_sha1(std::string_view key, std::string_view message);
std::string base64(const uint8_t* data, size_t n);

// What JoinCall is answered with, for `user` at `now_ms` (Unix ms).
v1::CallJoined call_joined(const ice_config& ice, const std::string& user, int64_t now_ms);

}  // namespace mockloop
