// Unguessable identifiers from the kernel's CSPRNG (getrandom(2)).
#pragma once

#include <string>

namespace mockloop {

// `bytes` random bytes as lowercase hex. Aborts if the kernel has no
// entropy source, which only happens in a broken sandbox.
std::string random_hex(size_t bytes);

}  // namespace mockloop
