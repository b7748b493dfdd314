#include "words.h"

#include <cctype>
#include <charconv>
#include <cstdio>
#include <map>

namespace mockloop::cli {

namespace pb = google::protobuf;

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool is_variable_name(std::string_view name) {
  if (name.empty() || std::isdigit(static_cast<unsigned char>(name[0]))) return false;
  for (char c : name)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
  return true;
}

namespace {

bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }
bool is_name_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

}  // namespace

split_result split_words(std::string_view line, const variable_lookup& lookup) {
  split_result out;
  size_t i = 0;
  const size_t n = line.size();
  // Expands the variable starting at line[i] == '$' into `into`; false and
  // out.error set when it has no value.
  auto expand = [&](std::string& into) {
    ++i;  // '$'
    std::string name;
    if (i < n && line[i] == '{') {
      const auto close = line.find('}', i);
      if (close == std::string_view::npos) {
        out.error = "unclosed ${";
        return false;
      }
      name = std::string(line.substr(i + 1, close - i - 1));
      i = close + 1;
    } else {
      while (i < n && is_name_char(line[i])) name += line[i++];
    }
    if (name.empty()) {  // a lone '$' is itself
      into += '$';
      return true;
    }
    auto value = lookup ? lookup(name) : std::nullopt;
    if (!value) {
      out.error = "$" + name + " is not set";
      return false;
    }
    into += *value;
    return true;
  };

  while (true) {
    while (i < n && is_blank(line[i])) ++i;
    if (i >= n) break;
    if (line[i] == '#') break;  // a comment to the end of the line
    word w;
    while (i < n && !is_blank(line[i])) {
      const char c = line[i];
      if (c == '\'') {
        const auto close = line.find('\'', i + 1);
        if (close == std::string_view::npos) {
          out.error = "unclosed '";
          return out;
        }
        w.text += line.substr(i + 1, close - i - 1);
        w.quoted = true;
        i = close + 1;
      } else if (c == '"') {
        w.quoted = true;
        ++i;
        bool closed = false;
        while (i < n) {
          if (line[i] == '"') {
            closed = true;
            ++i;
            break;
          }
          if (line[i] == '\\' && i + 1 < n) {
            w.text += line[i + 1];
            i += 2;
          } else if (line[i] == '$') {
            if (!expand(w.text)) return out;
          } else {
            w.text += line[i++];
          }
        }
        if (!closed) {
          out.error = "unclosed \"";
          return out;
        }
      } else if (c == '\\' && i + 1 < n) {
        w.text += line[i + 1];
        i += 2;
      } else if (c == '$') {
        if (!expand(w.text)) return out;
      } else {
        w.text += c;
        ++i;
      }
    }
    out.words.push_back(std::move(w));
  }
  return out;
}

std::string join_words(const std::vector<word>& words, size_t from) {
  std::string out;
  for (size_t i = from; i < words.size(); ++i) {
    if (i > from) out += ' ';
    out += words[i].text;
  }
  return out;
}

std::optional<std::chrono::milliseconds> parse_duration(std::string_view text,
                                                        std::optional<std::chrono::milliseconds> bare_unit) {
  int64_t number = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
  if (ec != std::errc{} || end == text.data() || number < 0) return std::nullopt;
  const std::string_view unit(end, static_cast<size_t>(text.data() + text.size() - end));
  using std::chrono::milliseconds;
  if (unit == "ms") return milliseconds(number);
  if (unit == "s") return milliseconds(number * 1000);
  if (unit == "m" || unit == "min") return milliseconds(number * 60'000);
  if (unit == "h") return milliseconds(number * 3'600'000);
  if (unit == "d") return milliseconds(number * 86'400'000);
  if (unit.empty() && bare_unit) return *bare_unit * number;
  return std::nullopt;
}

namespace {

// "RoundType" -> "ROUND_TYPE_": the prefix every value name of the enum carries.
std::string value_prefix(const pb::EnumDescriptor* e) {
  std::string out;
  for (char c : e->name()) {
    if (std::isupper(static_cast<unsigned char>(c)) && !out.empty()) out += '_';
    out += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return out + "_";
}

// "strong-yes", "Strong_Yes" -> "strong_yes"
std::string normalise(std::string_view s) {
  auto out = lower(s);
  for (auto& c : out)
    if (c == '-' || c == ' ') c = '_';
  return out;
}

std::string short_name(const pb::EnumValueDescriptor* v) {
  const auto prefix = value_prefix(v->type());
  std::string_view name = v->name();
  if (name.starts_with(prefix)) name.remove_prefix(prefix.size());
  return lower(name);
}

// Words people type for the values whose names are long.
const std::map<std::string, std::map<std::string, std::string>>& aliases() {
  static const std::map<std::string, std::map<std::string, std::string>> table = {
      {"mockloop.v1.RoundType",
       {{"design", "system_design"},
        {"sd", "system_design"},
        {"deep_dive", "technical_deep_dive"},
        {"technical", "technical_deep_dive"},
        {"tdd", "technical_deep_dive"},
        {"behavioral", "behavioral_leadership"},
        {"behavioural", "behavioral_leadership"},
        {"leadership", "behavioral_leadership"},
        {"xfn", "cross_functional"},
        {"metrics", "metrics_and_data"},
        {"data", "metrics_and_data"},
        {"recruiter", "recruiter_screen"},
        {"screen", "technical_screen"},
        {"tech_screen", "technical_screen"}}},
      {"mockloop.v1.CompanyStyle",
       {{"any", "unspecified"},
        {"consumer", "fast_decision_consumer"},
        {"fast_decision", "fast_decision_consumer"},
        {"platform", "engineering_platform"}}},
  };
  return table;
}

}  // namespace

std::optional<int> parse_enum(const pb::EnumDescriptor* e, std::string_view text) {
  if (text.empty()) return std::nullopt;
  int number = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
  if (ec == std::errc{} && end == text.data() + text.size()) {
    if (number != 0 && e->FindValueByNumber(number)) return number;
    return std::nullopt;
  }
  auto wanted = normalise(text);
  if (const auto table = aliases().find(e->full_name()); table != aliases().end())
    if (const auto alias = table->second.find(wanted); alias != table->second.end()) wanted = alias->second;
  for (int i = 0; i < e->value_count(); ++i) {
    const auto* v = e->value(i);
    // UNSPECIFIED only by alias ("any"), never by accident.
    const bool by_alias = wanted == "unspecified" && normalise(text) != "unspecified";
    if (v->number() == 0 && !by_alias) continue;
    if (short_name(v) == wanted || lower(v->name()) == wanted) return v->number();
  }
  return std::nullopt;
}

std::string enum_label(const pb::EnumDescriptor* e, int value) {
  const auto* v = e->FindValueByNumber(value);
  if (!v) return std::to_string(value);
  auto out = short_name(v);
  for (auto& c : out)
    if (c == '_') c = '-';
  return out;
}

std::string clock_text(int64_t ms) {
  if (ms < 0) ms = 0;
  const int64_t s = (ms + 999) / 1000;  // 0.2 s left reads 0:01, not 0:00
  const int64_t h = s / 3600, m = (s / 60) % 60, sec = s % 60;
  char buf[32];
  if (h > 0)
    std::snprintf(buf, sizeof buf, "%lld:%02lld:%02lld", static_cast<long long>(h), static_cast<long long>(m),
                  static_cast<long long>(sec));
  else
    std::snprintf(buf, sizeof buf, "%lld:%02lld", static_cast<long long>(m), static_cast<long long>(sec));
  return buf;
}

}  // namespace mockloop::cli
