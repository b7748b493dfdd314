// SHA-256 (FIPS 180-4), self-contained: the store keeps only hashes of
// debrief access tokens, and this is the one hash it needs, so no crypto
// library is linked for it.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace mockloop {

using sha256_digest = std::array<uint8_t, 32>;

sha256_digest sha256(std::string_view data);

}  // namespace mockloop
