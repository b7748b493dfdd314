// Mapping request targets to files under the web root, safely.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace mockloop {

// The file under `root` that `target` names ("/" -> index.html), or nothing
// when the target is not a clean absolute path (no "..", no NUL, no "//").
// Query strings are ignored.
std::optional<std::string> static_file_path(std::string_view root, std::string_view target);

std::string_view mime_type(std::string_view path);

}  // namespace mockloop
