#include "mockloop/core/scenario_loader.h"

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <set>

#include <google/protobuf/io/tokenizer.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <google/protobuf/text_format.h>

#include "mockloop/core/scoring.h"

namespace mockloop {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::TextFormat;
using info_tree = TextFormat::ParseInfoTree;

// Staff-only text shorter than this is too generic ("Aftermath") to call a
// leak when it shows up inside a candidate-visible sentence.
constexpr size_t min_leak_chars = 20;

struct position {
  int line = 1;  // 1-based
  int column = 1;
};

// Line and column of a byte offset, counted the way protobuf's tokenizer
// counts them (bytes, tabs to the next multiple of 8) so that every
// diagnostic in a file uses the same columns.
position position_of(std::string_view text, size_t offset) {
  int line = 0, column = 0;
  for (size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      column = 0;
    } else if (text[i] == '\t') {
      column += 8 - column % 8;
    } else {
      ++column;
    }
  }
  return {line + 1, column + 1};
}

// Turns the parser's 0-based positions into diagnostics.
class syntax_collector : public google::protobuf::io::ErrorCollector {
 public:
  syntax_collector(std::string_view text, std::string_view file, std::vector<scenario_diagnostic>& out)
      : text_(text), file_(file), out_(out) {}

  void AddError(int line, int column, const std::string& message) override {
    position at{std::max(line, 0) + 1, std::max(column, 0) + 1};
    // For these the parser has already moved past the offending name (to
    // the ':' or the next line); point at the name itself.
    for (std::string_view lead :
         {"Unknown enumeration value of \"", "has no field named \"", "Non-repeated field \""}) {
      const auto start = message.find(lead);
      if (start == std::string::npos) continue;
      auto name = std::string_view(message).substr(start + lead.size());
      name = name.substr(0, name.find('"'));
      if (const auto found = text_.rfind(name, offset_of(at)); !name.empty() && found != std::string_view::npos)
        at = position_of(text_, found);
      break;
    }
    out_.push_back({std::string(file_), at.line, at.column, "syntax", message});
  }

 private:
  // Inverse of position_of.
  size_t offset_of(position at) const {
    position p;
    size_t i = 0;
    for (; i < text_.size() && (p.line < at.line || (p.line == at.line && p.column < at.column)); ++i) {
      if (text_[i] == '\n') {
        if (p.line == at.line) break;
        ++p.line;
        p.column = 1;
      } else {
        p.column = text_[i] == '\t' ? p.column + 8 - (p.column - 1) % 8 : p.column + 1;
      }
    }
    return i;
  }

  std::string_view text_;
  std::string_view file_;
  std::vector<scenario_diagnostic>& out_;
};

// Where a field was written. A field absent from the text (an empty title,
// say) has no position of its own, so it falls back to the message that
// should have held it, and the top level falls back to 1:1.
class locator {
 public:
  locator(const info_tree* tree, const Descriptor* type, position here) : tree_(tree), type_(type), here_(here) {}

  position here() const { return here_; }

  position at(std::string_view field_name, int index = -1) const {
    if (!tree_) return here_;
    const auto loc = tree_->GetLocation(field(field_name), index);
    if (loc.line < 0) return here_;
    return {loc.line + 1, loc.column + 1};
  }

  locator nested(std::string_view field_name, int index = -1) const {
    const auto* f = field(field_name);
    return {tree_ ? tree_->GetTreeForNested(f, index) : nullptr, f->message_type(), at(field_name, index)};
  }

 private:
  const google::protobuf::FieldDescriptor* field(std::string_view name) const {
    return type_->FindFieldByName(std::string(name));
  }

  const info_tree* tree_;
  const Descriptor* type_;
  position here_;
};

bool matches(std::string_view s, std::string_view punctuation) {
  if (s.empty()) return false;
  return std::all_of(s.begin(), s.end(), [&](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || punctuation.find(c) != std::string_view::npos;
  });
}

// "scenarios/foo.textproto" -> "foo"
std::string_view base_name(std::string_view file) {
  if (const auto slash = file.find_last_of('/'); slash != std::string_view::npos) file.remove_prefix(slash + 1);
  constexpr std::string_view ext = ".textproto";
  if (file.ends_with(ext)) file.remove_suffix(ext.size());
  return file;
}

size_t code_points(std::string_view s) {
  return static_cast<size_t>(std::count_if(s.begin(), s.end(), [](char c) { return (c & 0xC0) != 0x80; }));
}

// Offset of the first byte that is not well-formed UTF-8, if any. Proto3
// strings must be UTF-8 or the wire encoders reject them later, mid-session.
std::optional<size_t> first_bad_utf8(std::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    const size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    if (len == 0 || i + len > text.size()) return i;
    uint32_t cp = len == 1 ? c : c & (0x7Fu >> len);
    for (size_t k = 1; k < len; ++k) {
      const auto cc = static_cast<unsigned char>(text[i + k]);
      if ((cc & 0xC0) != 0x80) return i;
      cp = (cp << 6) | (cc & 0x3F);
    }
    // Overlong forms, surrogates and values past U+10FFFF.
    static constexpr uint32_t min_for_len[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < min_for_len[len] || (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) return i;
    i += len;
  }
  return std::nullopt;
}

std::string quoted(std::string_view s) {
  constexpr size_t max = 40;
  if (s.size() <= max) return "\"" + std::string(s) + "\"";
  size_t cut = max;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;  // not mid-character
  return "\"" + std::string(s.substr(0, cut)) + "...\"";
}

std::string indexed(std::string_view field, int i) { return std::string(field) + "[" + std::to_string(i) + "]"; }

// The semantic rules, in the order docs/scenarios.md lists them.
class checker {
 public:
  checker(std::string_view file, const info_tree& tree, std::vector<scenario_diagnostic>& out)
      : file_(file), root_(&tree, v1::Scenario::descriptor(), {}), out_(out) {}

  void check(const v1::Scenario& s) {
    check_header(s);
    check_phases(s);
    check_rubric(s);
    check_markers(s);
    check_follow_ups(s);
    check_bad_moves(s);
    check_samples(s);
    check_pacing(s);
    check_leaks(s);
  }

 private:
  void report(position p, std::string_view rule, std::string message) {
    out_.push_back({std::string(file_), p.line, p.column, std::string(rule), std::move(message)});
  }

  void check_header(const v1::Scenario& s) {
    if (!matches(s.id(), "-")) {
      report(root_.at("id"), "id-format", "id " + quoted(s.id()) + " must be non-empty and match [a-z0-9-]+");
    } else if (s.id() != base_name(file_)) {
      report(root_.at("id"), "id-file-name",
             "id " + quoted(s.id()) + " must equal the file name (" + std::string(base_name(file_)) + ".textproto)");
    }
    if (s.version() < 1) report(root_.at("version"), "version", "version must be at least 1");
    if (s.title().empty()) report(root_.at("title"), "title-empty", "title is empty");
    if (s.round_type() == v1::ROUND_TYPE_UNSPECIFIED || !v1::RoundType_IsValid(s.round_type()))
      report(root_.at("round_type"), "round-type", "round_type must be set to one of the ROUND_TYPE_* values");
    if (s.company_style() == v1::COMPANY_STYLE_UNSPECIFIED || !v1::CompanyStyle_IsValid(s.company_style()))
      report(root_.at("company_style"), "company-style",
             "company_style must be set to one of the COMPANY_STYLE_* values");

    if (s.levels().empty()) report(root_.here(), "levels-empty", "levels needs at least one LEVEL_L*");
    std::set<int> levels;
    for (int i = 0; i < s.levels_size(); ++i) {
      const int level = s.levels(i);
      if (level == v1::LEVEL_UNSPECIFIED || !v1::Level_IsValid(level))
        report(root_.at("levels", i), "level-invalid", "levels must be LEVEL_L4 to LEVEL_L7");
      else if (!levels.insert(level).second)
        report(root_.at("levels", i), "duplicate-level", v1::Level_Name(level) + " is listed twice");
    }

    if (s.candidate().prompt().empty())
      report(root_.nested("candidate").at("prompt"), "prompt-empty", "candidate.prompt is empty");
  }

  void check_phases(const v1::Scenario& s) {
    if (s.phases().empty()) report(root_.here(), "no-phases", "a scenario needs at least one phase");
    std::set<std::string_view> ids;
    for (int i = 0; i < s.phases_size(); ++i) {
      const auto& p = s.phases(i);
      const auto at = root_.nested("phases", i);
      if (!matches(p.id(), "_"))
        report(at.at("id"), "phase-id-format",
               "phase id " + quoted(p.id()) + " must be non-empty and match [a-z0-9_]+");
      else if (!ids.insert(p.id()).second)
        report(at.at("id"), "duplicate-phase-id", "phase id " + quoted(p.id()) + " is used twice");
      if (p.name().empty()) report(at.at("name"), "phase-name-empty", "phase " + quoted(p.id()) + " has no name");
      if (p.duration_seconds() == 0)
        report(at.at("duration_seconds"), "phase-duration",
               "phase " + quoted(p.id()) + " needs duration_seconds greater than 0");
    }
  }

  void check_rubric(const v1::Scenario& s) {
    if (s.rubric().empty()) report(root_.here(), "no-rubric", "a scenario needs at least one rubric dimension");
    std::set<std::string_view> ids;
    for (int i = 0; i < s.rubric_size(); ++i) {
      const auto& d = s.rubric(i);
      const auto at = root_.nested("rubric", i);
      const std::string what = "rubric dimension " + (d.id().empty() ? indexed("#", i) : quoted(d.id()));
      if (d.id().empty())
        report(at.at("id"), "empty-id", what + " has no id");
      else if (!ids.insert(d.id()).second)
        report(at.at("id"), "duplicate-dimension-id", what + " is defined twice");
      if (d.name().empty()) report(at.at("name"), "dimension-name-empty", what + " has no name");
      if (d.layer() == v1::SCORING_LAYER_UNSPECIFIED || !v1::ScoringLayer_IsValid(d.layer()))
        report(at.at("layer"), "dimension-layer", what + " needs a layer (one of the SCORING_LAYER_* values)");

      if (d.anchors_size() != 4)
        report(d.anchors_size() > 4 ? at.at("anchors", 4) : at.here(), "anchor-count",
               what + " has " + std::to_string(d.anchors_size()) + " anchors; it needs exactly four (levels 1 to 4)");
      for (int j = 0; j < std::min(d.anchors_size(), 4); ++j) {
        const auto& a = d.anchors(j);
        const auto anchor_at = at.nested("anchors", j);
        if (a.level() != static_cast<uint32_t>(j + 1))
          report(anchor_at.at("level"), "anchor-level",
                 what + " anchor " + std::to_string(j + 1) + " has level " + std::to_string(a.level()) +
                     "; anchors must be levels 1, 2, 3, 4 in that order");
        if (a.description().empty())
          report(anchor_at.at("description"), "anchor-description-empty",
                 what + " anchor " + std::to_string(j + 1) + " has no description");
      }
      check_pass_lines(d, at, what);
    }
  }

  // One line per level, L4 to L7 in order, a score 1..4, never lower for a
  // higher level: the level rule (docs/scoring.md) reads them as a bar.
  void check_pass_lines(const v1::RubricDimension& d, const locator& at, const std::string& what) {
    if (d.pass_lines_size() != 4) {
      report(d.pass_lines_size() > 4 ? at.at("pass_lines", 4) : at.here(), "pass-line-count",
             what + " has " + std::to_string(d.pass_lines_size()) +
                 " pass lines; it needs one for each of LEVEL_L4, LEVEL_L5, LEVEL_L6, LEVEL_L7");
      return;
    }
    uint32_t previous = 0;
    for (int j = 0; j < 4; ++j) {
      const auto& line = d.pass_lines(j);
      const auto line_at = at.nested("pass_lines", j);
      const int want = v1::LEVEL_L4 + j;
      if (line.level() != want) {
        report(line_at.at("level"), "pass-line-level",
               what + " pass line " + std::to_string(j + 1) + " is for " + level_name(line.level()) +
                   "; pass lines must be LEVEL_L4, LEVEL_L5, LEVEL_L6, LEVEL_L7 in that order");
        return;
      }
      if (line.score() < 1 || line.score() > 4) {
        report(line_at.at("score"), "pass-line-score",
               what + " pass line for " + level_name(want) + " is " + std::to_string(line.score()) +
                   "; it must be an anchor score, 1 to 4");
        return;
      }
      if (line.score() < previous)
        report(line_at.at("score"), "pass-line-order",
               what + " asks " + std::to_string(line.score()) + " at " + level_name(want) + " but " +
                   std::to_string(previous) + " at the level below; a higher level never has a lower bar");
      previous = line.score();
    }
  }

  static std::string level_name(int level) {
    return v1::Level_IsValid(level) ? v1::Level_Name(level) : std::to_string(level);
  }

  void check_markers(const v1::Scenario& s) {
    for (int i = 0; i < s.markers_size(); ++i) {
      const auto& m = s.markers(i);
      const auto at = root_.nested("markers", i);
      const std::string what = "marker " + (m.id().empty() ? indexed("#", i) : quoted(m.id()));
      if (m.id().empty())
        report(at.at("id"), "empty-id", what + " has no id");
      else if (!markers_.insert(m.id()).second)
        report(at.at("id"), "duplicate-marker-id", what + " is defined twice");
      if (m.label().empty()) report(at.at("label"), "marker-label-empty", what + " has no label");
    }
  }

  void check_follow_ups(const v1::Scenario& s) {
    std::map<std::string_view, uint32_t> phase_durations;  // the first phase with an id wins
    uint64_t total = 0;
    for (const auto& p : s.phases()) {
      phase_durations.emplace(p.id(), p.duration_seconds());
      total += p.duration_seconds();
    }
    std::set<std::string_view> ids;
    for (const auto& f : s.follow_ups()) {
      ids.insert(f.id());
      if (f.has_on_move()) asked_on_move_.emplace(f.id(), f.on_move().marker_id());
    }

    std::set<std::string_view> seen;
    for (int i = 0; i < s.follow_ups_size(); ++i) {
      const auto& f = s.follow_ups(i);
      const auto at = root_.nested("follow_ups", i);
      const std::string what = "follow-up " + (f.id().empty() ? indexed("#", i) : quoted(f.id()));
      if (f.id().empty())
        report(at.at("id"), "empty-id", what + " has no id");
      else if (!seen.insert(f.id()).second)
        report(at.at("id"), "duplicate-follow-up-id", what + " is defined twice");
      if (f.text().empty()) report(at.at("text"), "follow-up-text-empty", what + " has no text");

      switch (f.trigger_case()) {
        case v1::FollowUp::kInPhase: {
          const auto& t = f.in_phase();
          const auto t_at = at.nested("in_phase");
          const auto phase = phase_durations.find(t.phase_id());
          if (phase == phase_durations.end())
            report(t_at.at("phase_id"), "unknown-phase",
                   what + " names phase " + quoted(t.phase_id()) + ", which does not exist");
          else if (t.after_seconds() >= phase->second)
            report(t_at.at("after_seconds"), "in-phase-too-late",
                   what + " fires " + std::to_string(t.after_seconds()) + " s into phase " + quoted(t.phase_id()) +
                       ", which lasts only " + std::to_string(phase->second) + " s");
          break;
        }
        case v1::FollowUp::kAtTime: {
          const auto& t = f.at_time();
          const auto t_at = at.nested("at_time");
          if (t.at_seconds() >= total)
            report(t_at.at("at_seconds"), "at-time-too-late",
                   what + " fires at " + std::to_string(t.at_seconds()) + " s, but the phases end at " +
                       std::to_string(total) + " s");
          if (!t.unless_marker().empty() && !markers_.contains(t.unless_marker()))
            report(t_at.at("unless_marker"), "unknown-marker",
                   what + " names marker " + quoted(t.unless_marker()) + ", which does not exist");
          break;
        }
        case v1::FollowUp::kOnMove: {
          const auto& t = f.on_move();
          const auto t_at = at.nested("on_move");
          if (!markers_.contains(t.marker_id()))
            report(t_at.at("marker_id"), "unknown-marker",
                   what + " names marker " + quoted(t.marker_id()) + ", which does not exist");
          if (t.after_follow_up().empty()) break;
          if (t.after_follow_up() == f.id())
            report(t_at.at("after_follow_up"), "self-chained-follow-up",
                   what + " waits for itself, so it can never fire");
          else if (!ids.contains(t.after_follow_up()))
            report(t_at.at("after_follow_up"), "unknown-follow-up",
                   what + " waits for follow-up " + quoted(t.after_follow_up()) + ", which does not exist");
          else if (asked_on_move_.count(t.after_follow_up()) &&
                   asked_on_move_.at(t.after_follow_up()) == t.marker_id())
            // A marker is ticked once: both would be asked in the same moment.
            report(t_at.at("marker_id"), "same-marker-chain",
                   what + " waits for " + quoted(t.after_follow_up()) + ", which the same marker " +
                       quoted(t.marker_id()) + " asks: both would come at once; chain it to another marker");
          break;
        }
        case v1::FollowUp::TRIGGER_NOT_SET:
          break;
      }
    }
  }

  // A bad move is there to be pushed back on the moment it is ticked.
  void check_bad_moves(const v1::Scenario& s) {
    std::set<std::string_view> pushed_back;
    for (const auto& f : s.follow_ups())
      if (f.has_on_move()) pushed_back.insert(f.on_move().marker_id());
    for (int i = 0; i < s.markers_size(); ++i) {
      const auto& m = s.markers(i);
      if (m.bad_move() && !m.id().empty() && !pushed_back.contains(m.id()))
        report(root_.nested("markers", i).at("bad_move"), "bad-move-without-pushback",
               "bad move " + quoted(m.id()) + " needs a follow-up with on_move { marker_id: " + quoted(m.id()) +
                   " } to push back with");
    }
  }

  void check_samples(const v1::Scenario& s) {
    std::set<uint32_t> levels;
    for (int i = 0; i < s.sample_answers_size(); ++i) {
      const auto& a = s.sample_answers(i);
      const auto at = root_.nested("sample_answers", i);
      const std::string what = "sample answer " + std::to_string(i + 1);
      if (a.level() < 1 || a.level() > 4)
        report(at.at("level"), "sample-level",
               what + " has level " + std::to_string(a.level()) + "; it must be 1 to 4");
      else if (!levels.insert(a.level()).second)
        report(at.at("level"), "duplicate-sample-level",
               what + ": there is already a sample at level " + std::to_string(a.level()));
      if (a.excerpt().empty()) report(at.at("excerpt"), "sample-excerpt-empty", what + " has no excerpt");
      if (a.commentary().empty())
        report(at.at("commentary"), "sample-commentary-empty", what + " says nothing of why it scores there");
    }
  }

  void check_pacing(const v1::Scenario& s) {
    if (s.pacing_percent() != 0 && (s.pacing_percent() < min_pacing_percent || s.pacing_percent() > 100))
      report(root_.at("pacing_percent"), "pacing-percent",
             "pacing_percent is " + std::to_string(s.pacing_percent()) + "; it must be 0 (the style's) or " +
                 std::to_string(min_pacing_percent) + " to 100");
  }

  struct text_ref {
    std::string_view text;
    std::string where;  // field path, e.g. "phases[1].candidate_guidance"
    position at;
  };

  // Staff-only wording quoted in a candidate-visible field gives the game
  // away (an anchor in the guidance tells the candidate what scores a 4).
  void check_leaks(const v1::Scenario& s) {
    std::vector<text_ref> visible;
    const auto cand = root_.nested("candidate");
    visible.push_back({s.candidate().prompt(), "candidate.prompt", cand.at("prompt")});
    for (int i = 0; i < s.candidate().context_size(); ++i)
      visible.push_back({s.candidate().context(i), indexed("candidate.context", i), cand.at("context", i)});
    visible.push_back({s.candidate().code(), "candidate.code", cand.at("code")});
    for (int i = 0; i < s.phases_size(); ++i) {
      const auto at = root_.nested("phases", i);
      visible.push_back({s.phases(i).name(), indexed("phases", i) + ".name", at.at("name")});
      visible.push_back({s.phases(i).candidate_guidance(), indexed("phases", i) + ".candidate_guidance",
                         at.at("candidate_guidance")});
    }

    std::vector<std::pair<std::string_view, std::string>> staff;
    const auto add = [&](std::string_view text, std::string where) {
      if (code_points(text) >= min_leak_chars) staff.emplace_back(text, std::move(where));
    };
    add(s.interviewer().briefing(), "interviewer.briefing");
    for (int i = 0; i < s.interviewer().strong_answer_size(); ++i)
      add(s.interviewer().strong_answer(i), indexed("interviewer.strong_answer", i));
    for (int i = 0; i < s.interviewer().red_flags_size(); ++i)
      add(s.interviewer().red_flags(i), indexed("interviewer.red_flags", i));
    for (int i = 0; i < s.interviewer().notes_size(); ++i)
      add(s.interviewer().notes(i), indexed("interviewer.notes", i));
    for (int i = 0; i < s.sample_answers_size(); ++i) {
      add(s.sample_answers(i).excerpt(), indexed("sample_answers", i) + ".excerpt");
      add(s.sample_answers(i).commentary(), indexed("sample_answers", i) + ".commentary");
    }
    for (int i = 0; i < s.phases_size(); ++i)
      add(s.phases(i).interviewer_guidance(), indexed("phases", i) + ".interviewer_guidance");
    for (int i = 0; i < s.rubric_size(); ++i) {
      const auto& d = s.rubric(i);
      const auto path = indexed("rubric", i);
      add(d.name(), path + ".name");
      add(d.description(), path + ".description");
      for (int j = 0; j < d.anchors_size(); ++j)
        add(d.anchors(j).description(), indexed(path + ".anchors", j) + ".description");
      for (int j = 0; j < d.positive_signals_size(); ++j)
        add(d.positive_signals(j), indexed(path + ".positive_signals", j));
      for (int j = 0; j < d.negative_signals_size(); ++j)
        add(d.negative_signals(j), indexed(path + ".negative_signals", j));
    }
    for (int i = 0; i < s.markers_size(); ++i) add(s.markers(i).label(), indexed("markers", i) + ".label");
    // Follow-up text is shown only once asked; printed up front it spoils the probe.
    for (int i = 0; i < s.follow_ups_size(); ++i) {
      add(s.follow_ups(i).text(), indexed("follow_ups", i) + ".text");
      add(s.follow_ups(i).purpose(), indexed("follow_ups", i) + ".purpose");
    }

    for (const auto& v : visible)
      for (const auto& [text, where] : staff)
        if (v.text.find(text) != std::string_view::npos)
          report(v.at, "staff-text-in-candidate-view",
                 v.where + " quotes staff-only " + where + " " + quoted(text) + " verbatim");
  }

  std::string_view file_;
  locator root_;
  std::vector<scenario_diagnostic>& out_;
  std::set<std::string_view> markers_;  // filled by check_markers, used by the triggers
  std::map<std::string_view, std::string_view> asked_on_move_;  // follow-up id -> the marker that asks it
};

struct parse_outcome {
  parsed_scenario parsed;
  position id_at;  // for library-wide diagnostics about the id
};

parse_outcome parse(std::string_view text, std::string_view file_name) {
  parse_outcome r;
  auto& diags = r.parsed.diagnostics;
  if (text.size() > max_scenario_bytes) {
    diags.push_back(
        {std::string(file_name), 1, 1, "file-too-large",
         "file is " + std::to_string(text.size()) + " bytes; the limit is " + std::to_string(max_scenario_bytes)});
    return r;
  }
  if (const auto bad = first_bad_utf8(text)) {
    const auto at = position_of(text, *bad);
    diags.push_back({std::string(file_name), at.line, at.column, "utf8", "file is not valid UTF-8 here"});
    return r;
  }

  auto scenario = std::make_shared<v1::Scenario>();
  info_tree tree;
  syntax_collector errors(text, file_name, diags);
  TextFormat::Parser parser;
  parser.RecordErrorsTo(&errors);
  parser.WriteLocationsTo(&tree);
  google::protobuf::io::ArrayInputStream in(text.data(), static_cast<int>(text.size()));
  if (!parser.Parse(&in, scenario.get())) {
    if (diags.empty()) diags.push_back({std::string(file_name), 1, 1, "syntax", "not a mockloop.v1.Scenario"});
    return r;
  }

  checker(file_name, tree, diags).check(*scenario);
  r.id_at = locator(&tree, v1::Scenario::descriptor(), {}).at("id");
  if (!diags.empty()) return r;
  apply_pacing(*scenario);
  r.parsed.scenario = std::move(scenario);
  return r;
}

}  // namespace

uint32_t pacing_percent(const v1::Scenario& s) {
  if (s.pacing_percent() != 0) return s.pacing_percent();
  return s.company_style() == v1::COMPANY_STYLE_FAST_DECISION_CONSUMER ? fast_decision_pacing_percent : 100;
}

void apply_pacing(v1::Scenario& s) {
  const uint64_t percent = pacing_percent(s);
  s.set_pacing_percent(static_cast<uint32_t>(percent));  // what clients show as the pacing
  if (percent == 100) return;
  const auto scaled = [&](uint32_t seconds) { return static_cast<uint32_t>(seconds * percent / 100); };
  for (auto& f : *s.mutable_follow_ups()) {
    if (f.has_in_phase()) f.mutable_in_phase()->set_after_seconds(scaled(f.in_phase().after_seconds()));
    if (f.has_at_time()) f.mutable_at_time()->set_at_seconds(scaled(f.at_time().at_seconds()));
  }
}

std::string scenario_diagnostic::to_string() const {
  return file + ":" + std::to_string(line) + ":" + std::to_string(column) + ": " + rule + ": " + message;
}

parsed_scenario parse_scenario(std::string_view text, std::string_view file_name) {
  return parse(text, file_name).parsed;
}

namespace {

// The checks every library file gets before its own rules: size, UTF-8 and
// the text format of Message, with the field locations kept in `tree`.
// Null when any failed (their diagnostics are in `diags`).
template <class Message>
std::shared_ptr<Message> parse_text(std::string_view text, const std::string& file_name, info_tree& tree,
                                    std::vector<scenario_diagnostic>& diags) {
  const size_t before = diags.size();
  if (text.size() > max_scenario_bytes) {
    diags.push_back({file_name, 1, 1, "file-too-large", "file is " + std::to_string(text.size()) + " bytes"});
    return nullptr;
  }
  if (const auto bad = first_bad_utf8(text)) {
    const auto at = position_of(text, *bad);
    diags.push_back({file_name, at.line, at.column, "utf8", "file is not valid UTF-8 here"});
    return nullptr;
  }
  auto message = std::make_shared<Message>();
  syntax_collector errors(text, file_name, diags);
  TextFormat::Parser parser;
  parser.RecordErrorsTo(&errors);
  parser.WriteLocationsTo(&tree);
  google::protobuf::io::ArrayInputStream in(text.data(), static_cast<int>(text.size()));
  if (!parser.Parse(&in, message.get())) {
    if (diags.size() == before)
      diags.push_back({file_name, 1, 1, "syntax", "not a " + Message::descriptor()->full_name()});
    return nullptr;
  }
  return message;
}

// The id and the title every loop and packet carries, as a scenario does.
template <class Message, class Report>
void check_id_and_title(const Message& m, const std::string& file_name, const locator& root, const Report& report) {
  if (!matches(m.id(), "-"))
    report(root.at("id"), "id-format", "id " + quoted(m.id()) + " must be non-empty and match [a-z0-9-]+");
  else if (m.id() != base_name(file_name))
    report(root.at("id"), "id-file-name", "id " + quoted(m.id()) + " must equal the file name");
  if (m.title().empty()) report(root.at("title"), "title-empty", "title is empty");
}

// A loop names its rounds' scenarios, so it is checked against the library.
std::shared_ptr<const v1::LoopTemplate> parse_loop(std::string_view text, const std::string& file_name,
                                                   const scenario_library& library,
                                                   std::vector<scenario_diagnostic>& diags) {
  const size_t before = diags.size();
  const auto report = [&](position p, std::string_view rule, std::string message) {
    diags.push_back({file_name, p.line, p.column, std::string(rule), std::move(message)});
  };
  info_tree tree;
  const auto loop = parse_text<v1::LoopTemplate>(text, file_name, tree, diags);
  if (!loop) return nullptr;
  const locator root(&tree, v1::LoopTemplate::descriptor(), {});
  check_id_and_title(*loop, file_name, root, report);
  if (loop->company_style() == v1::COMPANY_STYLE_UNSPECIFIED || !v1::CompanyStyle_IsValid(loop->company_style()))
    report(root.at("company_style"), "company-style", "company_style must be set to one of the COMPANY_STYLE_* values");
  if (loop->levels().empty()) report(root.here(), "levels-empty", "levels needs at least one LEVEL_L*");
  for (int i = 0; i < loop->levels_size(); ++i)
    if (loop->levels(i) == v1::LEVEL_UNSPECIFIED || !v1::Level_IsValid(loop->levels(i)))
      report(root.at("levels", i), "level-invalid", "levels must be LEVEL_L4 to LEVEL_L7");
  if (loop->rounds().empty()) report(root.here(), "no-rounds", "a loop needs at least one round");
  for (int i = 0; i < loop->rounds_size(); ++i) {
    const auto& round = loop->rounds(i);
    const auto at = root.nested("rounds", i);
    if (!library.find(round.scenario_id()))
      report(at.at("scenario_id"), "unknown-scenario",
             "round " + std::to_string(i + 1) + " names scenario " + quoted(round.scenario_id()) +
                 ", which is not in the library");
    if (round.focus().empty())
      report(at.at("focus"), "round-focus-empty", "round " + std::to_string(i + 1) + " says nothing of its focus");
  }
  return diags.size() == before ? loop : nullptr;
}

// An example packet is read against the library: its records get their
// scenario's rubric, each card the level rule's reading and each record the
// aggregation, as if the rooms had written them.
std::shared_ptr<const v1::ExamplePacket> parse_example(std::string_view text, const std::string& file_name,
                                                       const scenario_library& library,
                                                       std::vector<scenario_diagnostic>& diags) {
  const size_t before = diags.size();
  const auto report = [&](position p, std::string_view rule, std::string message) {
    diags.push_back({file_name, p.line, p.column, std::string(rule), std::move(message)});
  };
  info_tree tree;
  const auto packet = parse_text<v1::ExamplePacket>(text, file_name, tree, diags);
  if (!packet) return nullptr;
  const locator root(&tree, v1::ExamplePacket::descriptor(), {});
  check_id_and_title(*packet, file_name, root, report);
  if (packet->commentary().empty()) report(root.at("commentary"), "commentary-empty", "commentary is empty");
  const auto level = packet->target_level();
  if (level == v1::LEVEL_UNSPECIFIED || !v1::Level_IsValid(level))
    report(root.at("target_level"), "level-invalid", "target_level must be LEVEL_L4 to LEVEL_L7");
  if (packet->records().empty() || packet->records_size() > 6)
    report(root.here(), "record-count", "a packet holds 1 to 6 records, like a committee's");
  std::set<std::string> ids;
  for (int i = 0; i < packet->records_size(); ++i) {
    auto& r = *packet->mutable_records(i);
    const auto at = root.nested("records", i);
    const std::string what = "record " + std::to_string(i + 1);
    if (r.id().empty() || !ids.insert(r.id()).second)
      report(at.at("id"), "record-id", what + " needs an id of its own");
    const auto sc = library.find(r.scenario_id());
    if (!sc) {
      report(at.at("scenario_id"), "unknown-scenario",
             what + " names scenario " + quoted(r.scenario_id()) + ", which is not in the library");
      continue;
    }
    for (int j = 0; j < r.scorecards_size(); ++j) {
      auto& card = *r.mutable_scorecards(j);
      for (int k = 0; k < card.scores_size(); ++k) {
        const auto& score = card.scores(k);
        const auto& dims = sc->rubric();
        if (std::none_of(dims.begin(), dims.end(), [&](const auto& d) { return d.id() == score.dimension_id(); }))
          report(at.nested("scorecards", j).nested("scores", k).at("dimension_id"), "unknown-dimension",
                 what + " scores " + quoted(score.dimension_id()) + ", which " + quoted(sc->id()) + " has no dimension");
        else if (score.rating() > 4)
          report(at.nested("scorecards", j).nested("scores", k).at("rating"), "rating",
                 what + " rates " + quoted(score.dimension_id()) + " " + std::to_string(score.rating()) +
                     "; ratings are 1 to 4, or 0 for not observed");
      }
      card.set_submitted(true);
      if (v1::Level_IsValid(level)) *card.mutable_at_level() = card_verdict(sc->rubric(), card, level);
    }
    if (r.scenario_title().empty()) r.set_scenario_title(sc->title());
    if (r.round_type() == v1::ROUND_TYPE_UNSPECIFIED) r.set_round_type(sc->round_type());
    r.set_target_level(level);
    r.mutable_rubric()->CopyFrom(sc->rubric());
    const std::vector<v1::RubricDimension> rubric(sc->rubric().begin(), sc->rubric().end());
    const std::vector<v1::Scorecard> cards(r.scorecards().begin(), r.scorecards().end());
    *r.mutable_aggregation() = aggregate(rubric, cards, level);
  }
  return diags.size() == before ? packet : nullptr;
}

}  // namespace

std::shared_ptr<const v1::Scenario> scenario_library::find(std::string_view id) const {
  const auto it = std::lower_bound(scenarios.begin(), scenarios.end(), id,
                                   [](const auto& s, std::string_view key) { return s->id() < key; });
  if (it == scenarios.end() || (*it)->id() != id) return nullptr;
  return *it;
}

std::shared_ptr<const v1::LoopTemplate> scenario_library::find_loop(std::string_view id) const {
  for (const auto& l : loops)
    if (l->id() == id) return l;
  return nullptr;
}

std::shared_ptr<const v1::ExamplePacket> scenario_library::find_example(std::string_view id) const {
  for (const auto& e : examples)
    if (e->id() == id) return e;
  return nullptr;
}

library_result build_library(const std::vector<std::pair<std::string, std::string>>& files,
                             const std::vector<std::pair<std::string, std::string>>& loop_files,
                             const std::vector<std::pair<std::string, std::string>>& example_files) {
  library_result r;
  r.files = files.size();
  auto library = std::make_shared<scenario_library>();
  std::map<std::string, std::string_view, std::less<>> owner;  // id -> file that holds it
  for (const auto& [file_name, text] : files) {
    auto outcome = parse(text, file_name);
    auto& parsed = outcome.parsed;
    r.diagnostics.insert(r.diagnostics.end(), parsed.diagnostics.begin(), parsed.diagnostics.end());
    if (!parsed.scenario) continue;
    const auto [it, fresh] = owner.emplace(parsed.scenario->id(), file_name);
    if (!fresh) {
      r.diagnostics.push_back(
          {file_name, outcome.id_at.line, outcome.id_at.column, "duplicate-scenario-id",
           "id " + quoted(parsed.scenario->id()) + " is already used by " + std::string(it->second)});
      continue;
    }
    library->scenarios.push_back(std::move(parsed.scenario));
  }
  std::sort(library->scenarios.begin(), library->scenarios.end(),
            [](const auto& a, const auto& b) { return a->id() < b->id(); });
  r.files += loop_files.size();
  for (const auto& [file_name, text] : loop_files)
    if (auto loop = parse_loop(text, file_name, *library, r.diagnostics)) library->loops.push_back(std::move(loop));
  std::sort(library->loops.begin(), library->loops.end(),
            [](const auto& a, const auto& b) { return a->id() < b->id(); });
  r.files += example_files.size();
  for (const auto& [file_name, text] : example_files)
    if (auto e = parse_example(text, file_name, *library, r.diagnostics)) library->examples.push_back(std::move(e));
  std::sort(library->examples.begin(), library->examples.end(),
            [](const auto& a, const auto& b) { return a->id() < b->id(); });
  r.library = std::move(library);
  return r;
}

v1::ScenarioSummary summarize(const v1::Scenario& scenario) {
  v1::ScenarioSummary s;
  s.set_id(scenario.id());
  s.set_version(scenario.version());
  s.set_title(scenario.title());
  s.set_round_type(scenario.round_type());
  s.mutable_levels()->CopyFrom(scenario.levels());
  s.set_company_style(scenario.company_style());
  uint64_t total = 0;
  for (const auto& p : scenario.phases()) total += p.duration_seconds();
  s.set_duration_seconds(static_cast<uint32_t>(std::min<uint64_t>(total, UINT32_MAX)));
  s.mutable_tags()->CopyFrom(scenario.tags());
  return s;
}

}  // namespace mockloop
