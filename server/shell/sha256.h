// SHA-256 (FIPS 180-4), self-contained: the store keeps only hashes of
// debrief access tokens, and this is the one hash it needs, so no crypto
// library is linked for it.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace mockloop {

using sha256_digest = std::array<uint8_t, 32>;

sha256_digest sha256(std::string_view data);

// The first `bytes` bytes of a digest as lower-case hex.
std::string hex(const sha256_digest& d, size_t bytes = 32);

// How a user is known to the store (bookings, My mocks): the SHA-256 of
// their user key in hex; empty for no key. The key itself is never stored.
std::string user_hash_of(std::string_view user_key);

}  // namespace mockloop
