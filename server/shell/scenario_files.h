// Reading a scenario directory from disk; the checking is core's.
#pragma once

#include <string>

#include "mockloop/core/scenario_loader.h"

namespace mockloop {

// Reads every regular *.textproto file directly in `dir` (not recursive), in
// name order so that diagnostics and "the second file loses" are stable, and
// builds the library from them. An unreadable directory or file is reported
// as a diagnostic with rule "io", never thrown.
library_result load_scenario_dir(const std::string& dir);

}  // namespace mockloop
