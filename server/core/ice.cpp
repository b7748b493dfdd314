#include "mockloop/core/ice.h"

#include <cstring>

namespace mockloop {

std::vector<std::string> split_urls(std::string_view list) {
  std::vector<std::string> out;
  while (!list.empty()) {
    const auto comma = list.find(',');
    auto item = list.substr(0, comma);
    list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
    const auto b = item.find_first_not_of(" \t");
    const auto e = item.find_last_not_of(" \t");
    if (b != std::string_view::npos) out.emplace_back(item.substr(b, e - b + 1));
  }
  return out;
}

// FIPS 180-4. Only for HMAC-SHA1 here, which coturn's scheme fixes; SHA-1's
// collision weakness does not carry over to HMAC.
std::array<uint8_t, 20> sha1(std::string_view data) {
  uint32_t h[5] = {0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0};
  auto rotl = [](uint32_t x, int n) { return (x << n) | (x >> (32 - n)); };
  std::string msg(data);
  const uint64_t bits = uint64_t{data.size()} * 8;
  msg.push_back(static_cast<char>(0x80));
  while (msg.size() % 64 != 56) msg.push_back(0);
  for (int i = 7; i >= 0; --i) msg.push_back(static_cast<char>((bits >> (i * 8)) & 0xff));
  for (size_t off = 0; off < msg.size(); off += 64) {
    uint32_t w[80];
    for (int i = 0; i < 16; ++i) {
      const auto* p = reinterpret_cast<const uint8_t*>(msg.data() + off + 4 * i);
      w[i] = uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | p[3];
    }
    for (int i = 16; i < 80; ++i) w[i] = rotl(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
    uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];
    for (int i = 0; i < 80; ++i) {
      uint32_t f, k;
      if (i < 20)
        f = (b & c) | (~b & d), k = 0x5A827999;
      else if (i < 40)
        f = b ^ c ^ d, k = 0x6ED9EBA1;
      else if (i < 60)
        f = (b & c) | (b & d) | (c & d), k = 0x8F1BBCDC;
      else
        f = b ^ c ^ d, k = 0xCA62C1D6;
      const uint32_t t = rotl(a, 5) + f + e + k + w[i];
      e = d, d = c, c = rotl(b, 30), b = a, a = t;
    }
    h[0] += a, h[1] += b, h[2] += c, h[3] += d, h[4] += e;
  }
  std::array<uint8_t, 20> out{};
  for (int i = 0; i < 20; ++i) out[i] = static_cast<uint8_t>(h[i / 4] >> (24 - 8 * (i % 4)));
  return out;
}

// RFC 2104.
std::array<uint8_t, 20> hmac_sha1(std::string_view key, std::string_view message) {
  std::string k(key.size() > 64 ? std::string_view{} : key);
  if (key.size() > 64) {
    const auto hk = sha1(key);
    k.assign(reinterpret_cast<const char*>(hk.data()), hk.size());
  }
  k.resize(64, '\0');
  std::string inner(64, '\0'), outer(64, '\0');
  for (int i = 0; i < 64; ++i) {
    inner[i] = static_cast<char>(k[i] ^ 0x36);
    outer[i] = static_cast<char>(k[i] ^ 0x5c);
  }
  const auto ih = sha1(inner.append(message));
  return sha1(outer.append(reinterpret_cast<const char*>(ih.data()), ih.size()));
}

std::string base64(const uint8_t* data, size_t n) {
  static constexpr char table[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  for (size_t i = 0; i < n; i += 3) {
    const uint32_t v = uint32_t{data[i]} << 16 | (i + 1 < n ? uint32_t{data[i + 1]} << 8 : 0) |
                       (i + 2 < n ? uint32_t{data[i + 2]} : 0);
    out += table[(v >> 18) & 63];
    out += table[(v >> 12) & 63];
    out += i + 1 < n ? table[(v >> 6) & 63] : '=';
    out += i + 2 < n ? table[v & 63] : '=';
  }
  return out;
}

v1::CallJoined call_joined(const ice_config& ice, const std::string& user, int64_t now_ms) {
  v1::CallJoined j;
  j.set_relay_only(ice.relay_only);
  v1::IceServer stun, turn;
  for (const auto& url : ice.urls) (url.starts_with("turn") ? turn : stun).add_urls(url);
  if (stun.urls_size() > 0) *j.add_ice_servers() = std::move(stun);
  if (turn.urls_size() > 0) {
    if (!ice.turn_secret.empty()) {
      const int64_t expiry = now_ms / 1000 + ice.ttl_seconds;
      turn.set_username(std::to_string(expiry) + ":" + user);
      const auto mac = hmac_sha1(ice.turn_secret, turn.username());
      turn.set_credential(base64(mac.data(), mac.size()));
      j.set_credentials_expire_ms(expiry * 1000);
    }
    *j.add_ice_servers() = std::move(turn);
  }
  return j;
}

}  // namespace mockloop
