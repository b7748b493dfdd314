// The terminal client's command language: splitting a line into words
// (quotes, escapes, $variables, # comments), durations, and the names of
// the protocol's enums as people type them ("system-design", "L5",
// "strong-yes"). Pure functions, no I/O.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <google/protobuf/descriptor.h>

namespace mockloop::cli {

struct word {
  std::string text;
  bool quoted = false;  // any part of it was in quotes: taken literally (e.g. `ask "x"` is free text)
};

struct split_result {
  std::vector<word> words;
  std::string error;  // non-empty: the line is malformed (unclosed quote, unknown variable)
};

// Looks a variable up; nullopt if it has no value.
using variable_lookup = std::function<std::optional<std::string>(std::string_view name)>;

// Splits a command line. Words are separated by blanks; "..." and '...'
// group (backslash escapes \" \\ \$ inside double quotes and outside);
// $name and ${name} are replaced by their value outside single quotes and
// never split further; a word starting with # (unquoted) starts a comment.
split_result split_words(std::string_view line, const variable_lookup& lookup);

// The words from index `from` joined by single spaces.
std::string join_words(const std::vector<word>& words, size_t from);

// "1500ms", "30s", "2m", "3h", "1d". With `bare_unit` (e.g. 1ms for `sleep`), a bare
// number is allowed and counts in that unit.
std::optional<std::chrono::milliseconds> parse_duration(
    std::string_view text, std::optional<std::chrono::milliseconds> bare_unit = std::nullopt);

// An enum value from what a person types: the value's name without the
// enum's prefix, any case, '-' or '_' ("strong-yes" for
// RECOMMENDATION_STRONG_YES), the full name, the number, or one of the
// aliases below (e.g. "design", "consumer", "L5"). nullopt if none fits.
std::optional<int> parse_enum(const google::protobuf::EnumDescriptor* e, std::string_view text);

// The reverse: "system-design" for ROUND_TYPE_SYSTEM_DESIGN.
std::string enum_label(const google::protobuf::EnumDescriptor* e, int value);

// "6:42", "1:02:03"; negative durations print as 0:00.
std::string clock_text(int64_t ms);

std::string lower(std::string_view s);

// Valid variable names: [A-Za-z_][A-Za-z0-9_]*.
bool is_variable_name(std::string_view name);

}  // namespace mockloop::cli
