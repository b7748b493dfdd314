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

// Every *.textproto directly in dir, read up to the size limit; a missing
// dir is an error only where it must exist.
bool read_textprotos(const fs::path& dir, bool must_exist, std::vector<std::pair<std::string, std::string>>& files,
                     std::vector<scenario_diagnostic>& problems) {
  std::error_code ec;
  std::vector<fs::path> paths;
  fs::directory_iterator it(dir, ec);
  if (ec && !must_exist && ec == std::errc::no_such_file_or_directory) return true;
  for (; !ec && it != fs::directory_iterator(); it.increment(ec)) {
    std::error_code type_ec;  // a dangling symlink is skipped, not an error
    if (it->path().extension() == ".textproto" && it->is_regular_file(type_ec)) paths.push_back(it->path());
  }
  if (ec) {
    problems.push_back(io_error(dir.string(), "cannot read directory: " + ec.message()));
    return false;
  }
  std::sort(paths.begin(), paths.end());
  for (const auto& path : paths) {
    std::ifstream in(path, std::ios::binary);
    // One byte past the limit is enough for the loader to refuse the file,
    // so a huge file is never read whole.
    std::string text(max_scenario_bytes + 1, '\0');
    in.read(text.data(), static_cast<std::streamsize>(text.size()));
    if (!in && !in.eof()) {
      problems.push_back(io_error(path.string(), "cannot read file"));
      continue;
    }
    text.resize(static_cast<size_t>(in.gcount()));
    text.shrink_to_fit();
    files.emplace_back(path.string(), std::move(text));
  }
  return true;
}

}  // namespace

library_result load_scenario_dir(const std::string& dir) {
  std::vector<std::pair<std::string, std::string>> files, loop_files, example_files;
  std::vector<scenario_diagnostic> unreadable;
  if (!read_textprotos(dir, true, files, unreadable)) {
    library_result r;
    r.library = std::make_shared<scenario_library>();
    r.diagnostics = std::move(unreadable);
    return r;
  }
  read_textprotos(fs::path(dir) / "loops", false, loop_files, unreadable);
  read_textprotos(fs::path(dir) / "calibration", false, example_files, unreadable);

  auto r = build_library(files, loop_files, example_files);
  r.files += unreadable.size();
  r.diagnostics.insert(r.diagnostics.end(), unreadable.begin(), unreadable.end());
  std::stable_sort(r.diagnostics.begin(), r.diagnostics.end(),
                   [](const auto& a, const auto& b) { return a.file < b.file; });
  return r;
}

}  // namespace mockloop
