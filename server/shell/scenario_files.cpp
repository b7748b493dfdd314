#include "scenario_files.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <system_error>
#include <utility>
#include <vector>

namespace mockloop {
namespace {

namespace fs = std::filesystem;

scenario_diagnostic io_error(std::string file, std::string message) {
  return {std::move(file), 1, 1, "io", std::move(message)};
}

}  // namespace

library_result load_scenario_dir(const std::string& dir) {
  std::error_code ec;
  std::vector<fs::path> paths;
  fs::directory_iterator it(dir, ec);
  for (; !ec && it != fs::directory_iterator(); it.increment(ec)) {
    std::error_code type_ec;  // a dangling symlink is skipped, not an error
    if (it->path().extension() == ".textproto" && it->is_regular_file(type_ec)) paths.push_back(it->path());
  }
  if (ec) {
    library_result r;
    r.library = std::make_shared<scenario_library>();
    r.diagnostics.push_back(io_error(dir, "cannot read directory: " + ec.message()));
    return r;
  }
  std::sort(paths.begin(), paths.end());

  std::vector<std::pair<std::string, std::string>> files;
  std::vector<scenario_diagnostic> unreadable;
  for (const auto& path : paths) {
    std::ifstream in(path, std::ios::binary);
    // One byte past the limit is enough for the loader to refuse the file,
    // so a huge file is never read whole.
    std::string text(max_scenario_bytes + 1, '\0');
    in.read(text.data(), static_cast<std::streamsize>(text.size()));
    if (!in && !in.eof()) {
      unreadable.push_back(io_error(path.string(), "cannot read file"));
      continue;
    }
    text.resize(static_cast<size_t>(in.gcount()));
    text.shrink_to_fit();
    files.emplace_back(path.string(), std::move(text));
  }

  auto r = build_library(files);
  r.files += unreadable.size();
  r.diagnostics.insert(r.diagnostics.end(), unreadable.begin(), unreadable.end());
  std::stable_sort(r.diagnostics.begin(), r.diagnostics.end(),
                   [](const auto& a, const auto& b) { return a.file < b.file; });
  return r;
}

}  // namespace mockloop
