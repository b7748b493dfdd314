#include "mockloop/core/debrief_markdown.h"

#include "mockloop/core/board.h"
#include "mockloop/core/ice.h"

#include <algorithm>
#include <cstdio>
#include <sstream>

namespace mockloop {
namespace {

// Table cells and headings must not break the Markdown around them.
std::string cell(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '|') out += "\\|";
    else if (c == '\n' || c == '\r') out += ' ';
    else out += c;
  }
  return out;
}

std::string role_name(v1::Role r) {
  switch (r) {
    case v1::ROLE_CANDIDATE: return "candidate";
    case v1::ROLE_INTERVIEWER: return "interviewer";
    case v1::ROLE_OBSERVER: return "observer";
    case v1::ROLE_COACH: return "coach";
    default: return "participant";
  }
}

std::string fixed(double v, int digits) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

std::string dimension_name(const v1::DebriefRecord& r, const std::string& id) {
  for (const auto& d : r.rubric())
    if (d.id() == id) return d.name();
  return id;
}

}  // namespace

std::string recommendation_name(v1::Recommendation r) {
  switch (r) {
    case v1::RECOMMENDATION_STRONG_NO: return "Strong No";
    case v1::RECOMMENDATION_NO: return "No";
    case v1::RECOMMENDATION_YES: return "Yes";
    case v1::RECOMMENDATION_STRONG_YES: return "Strong Yes";
    default: return "none";
  }
}

namespace {

std::string level_name(v1::Level l) { return v1::Level_IsValid(l) && l ? v1::Level_Name(l).substr(6) : "?"; }

// "At L6 the level rule reads No: Scoping is under the L6 line."
std::string level_reading(const v1::LevelVerdict& v) {
  std::string out = "At " + level_name(v.level()) + " the level rule reads " +
                    (v.recommendation() ? recommendation_name(v.recommendation()) : std::string("nothing"));
  if (!v.reason().empty()) out += ": " + v.reason();
  return out + ".";
}

}  // namespace

std::string render_markdown(const v1::DebriefRecord& r) {
  std::ostringstream md;
  md << "# Debrief: " << cell(r.scenario_title()) << "\n\n";
  md << "- Scenario: `" << cell(r.scenario_id()) << "` v" << r.scenario_version() << "\n";
  md << "- Round: " << r.round() << "\n";
  if (r.target_level()) md << "- Target level: " << level_name(r.target_level()) << "\n";
  md << "- Record: `" << cell(r.id()) << "`\n\n";

  md << "## Participants\n\n| name | role |\n|---|---|\n";
  for (const auto& p : r.participants()) md << "| " << cell(p.display_name()) << " | " << role_name(p.role()) << " |\n";

  md << "\n## Timeline\n\n";
  if (r.timeline().empty()) md << "Nothing was recorded.\n";
  for (const auto& t : r.timeline()) md << "- " << cell(t.what()) << "\n";

  if (!r.board_svg().empty()) {
    // Inline, so the Markdown is one self-contained file wherever it goes.
    const auto& svg = r.board_svg();
    md << "\n## Board\n\n![The board as the round ended](data:image/svg+xml;base64,"
       << base64(reinterpret_cast<const uint8_t*>(svg.data()), svg.size()) << ")\n\n";
    for (const auto& line : describe_board(r.board())) md << "- " << cell(line) << "\n";
  }

  md << "\n## Scores\n\n";
  const auto& agg = r.aggregation();
  if (agg.dimensions().empty() || r.scorecards().empty()) {
    md << "No scorecard was submitted.\n";
  } else {
    md << "| dimension | raters | mean | min | max | spread | agreement |\n|---|---:|---:|---:|---:|---:|---:|\n";
    for (const auto& d : agg.dimensions()) {
      md << "| " << cell(d.name()) << (d.wide_disagreement() ? " (widest disagreement)" : "") << " | " << d.ratings()
         << " | " << (d.ratings() ? fixed(d.mean(), 2) : "-") << " | " << (d.ratings() ? std::to_string(d.min()) : "-")
         << " | " << (d.ratings() ? std::to_string(d.max()) : "-") << " | " << d.spread() << " | "
         << fixed(d.exact_agreement() * 100, 0) << "% |\n";
    }
    md << "\nExact agreement across all dimensions: " << fixed(agg.percent_exact_agreement() * 100, 0) << "%.";
    if (agg.has_krippendorff_alpha_ordinal())
      md << " Krippendorff's alpha (ordinal): " << fixed(agg.krippendorff_alpha_ordinal(), 3) << ".";
    md << "\n";
    if (agg.has_at_level()) {
      md << "\n" << cell(level_reading(agg.at_level())) << " Lines:";
      for (const auto& d : agg.at_level().dimensions())
        md << " " << cell(dimension_name(r, d.dimension_id())) << " " << d.pass_line() << ";";
      md << " (each dimension's mean against its line; the rule is in docs/scoring.md)\n";
    }
  }

  if (r.has_committee()) {
    const auto& c = r.committee();
    md << "\n## Committee\n\nPacket: ";
    for (int i = 0; i < c.packet_size(); ++i) md << (i ? ", " : "") << "`" << cell(c.packet(i)) << "`";
    md << "\n\n| member | independent vote | rationale | final vote | changes |\n|---|---|---|---|---|\n";
    for (const auto& v : c.votes()) {
      md << "| " << cell(v.member()) << " | " << recommendation_name(v.independent()) << " | " << cell(v.rationale()) << " | "
         << recommendation_name(v.final()) << " | ";
      for (int i = 0; i < v.changes_size(); ++i) md << (i ? "; " : "") << cell(v.changes(i));
      md << " |\n";
    }
    if (!c.discussion().empty()) {
      md << "\n### Discussion\n\n";
      for (const auto& d : c.discussion()) md << "- " << cell(d) << "\n";
    }
    md << "\n### Decision: " << recommendation_name(c.decision()) << "\n\n" << cell(c.reasons()) << "\n";
  }

  for (const auto& c : r.scorecards()) {
    md << "\n### " << cell(c.rater_name()) << " (" << role_name(c.rater_role()) << "): "
       << recommendation_name(c.recommendation()) << "\n\n";
    if (!c.summary().empty()) md << cell(c.summary()) << "\n\n";
    if (c.has_at_level()) md << cell(level_reading(c.at_level())) << "\n\n";
    md << "| dimension | rating | evidence |\n|---|---:|---|\n";
    for (const auto& s : c.scores())
      md << "| " << cell(dimension_name(r, s.dimension_id())) << " | "
         << (s.rating() ? std::to_string(s.rating()) : std::string("not observed")) << " | " << cell(s.evidence())
         << " |\n";
  }
  return md.str();
}

v1::DebriefRecord for_candidate(v1::DebriefRecord record) {
  for (auto& d : *record.mutable_rubric()) {
    v1::RubricDimension kept;
    kept.set_id(d.id());
    kept.set_name(d.name());
    kept.set_layer(d.layer());
    d = std::move(kept);
  }
  auto* t = record.mutable_timeline();
  t->erase(std::remove_if(t->begin(), t->end(), [](const auto& e) { return e.staff_only(); }), t->end());
  return record;
}

}  // namespace mockloop
