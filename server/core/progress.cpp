#include "mockloop/core/progress.h"

#include <algorithm>

#include "mockloop/core/calibration.h"
#include "mockloop/core/debrief_markdown.h"

namespace mockloop {
namespace {

const v1::Scorecard* card_of(const v1::DebriefRecord& r, const std::string& rater_id) {
  for (const auto& c : r.scorecards())
    if (c.rater_id() == rater_id && c.submitted()) return &c;
  return nullptr;
}

const v1::Scorecard* coach_card(const v1::DebriefRecord& r) {
  for (const auto& c : r.scorecards())
    if (c.rater_role() == v1::ROLE_COACH && c.submitted()) return &c;
  return nullptr;
}

std::string dimension_name(const v1::DebriefRecord& r, const std::string& id) {
  for (const auto& d : r.rubric())
    if (d.id() == id) return d.name();
  return id;
}

void set_agreement(const agreement& a, auto* out) {
  out->set_pairs(static_cast<uint32_t>(a.pairs));
  out->set_bias(a.bias);
  out->set_exact(a.exact);
  out->set_within_one(a.within_one);
}

}  // namespace

v1::MyMocks my_mocks(const std::vector<user_round>& rounds) {
  v1::MyMocks out;
  // Calibration runs oldest first, so its history reads as a timeline.
  std::vector<rating_pair> all_pairs;
  std::vector<std::string> order;                          // dimension ids, first seen
  std::vector<std::pair<std::string, std::string>> names;  // id -> name
  uint32_t sessions = 0;
  uint32_t usefulness_n = 0;
  double usefulness_sum = 0;

  for (const auto& ur : rounds) {
    const bool candidate = ur.role == v1::ROLE_CANDIDATE;
    const auto record = candidate ? for_candidate(ur.record) : ur.record;
    auto* m = out.add_mocks();
    m->set_debrief_id(record.id());
    m->set_closed_ms(record.closed_ms());
    m->set_session_type(record.session_type());
    m->set_round(record.round());
    m->set_round_type(record.round_type());
    m->set_scenario_id(record.scenario_id());
    m->set_scenario_title(record.scenario_title());
    m->set_role(ur.role);
    for (const auto& p : record.participants())
      if (p.participant_id() != ur.participant_id) m->add_others(p.display_name());

    if (candidate) {
      for (const auto& d : record.aggregation().dimensions()) {
        if (d.ratings() == 0) continue;  // nobody observed it: no score to chart
        auto* s = m->add_received();
        s->set_dimension_id(d.dimension_id());
        s->set_name(d.name().empty() ? dimension_name(record, d.dimension_id()) : d.name());
        s->set_mean(d.mean());
        s->set_ratings(d.ratings());
      }
      for (const auto& c : record.scorecards())
        if (c.submitted()) *m->add_feedback() = c;
      for (const auto& r : ur.ratings) *m->add_rated() = r;
      continue;
    }

    const auto* given = card_of(record, ur.participant_id);
    if (!given) continue;
    *m->mutable_given() = *given;
    for (const auto& r : ur.ratings)
      if (r.rater_id() == ur.participant_id) {
        *m->mutable_given_rated() = r;
        ++usefulness_n;
        usefulness_sum += r.usefulness();
      }
  }

  for (auto it = rounds.rbegin(); it != rounds.rend(); ++it) {
    const auto& r = it->record;
    if (r.session_type() != v1::SESSION_TYPE_GROUP_COACHING || it->role != v1::ROLE_OBSERVER) continue;
    const auto* mine = card_of(r, it->participant_id);
    const auto* coach = coach_card(r);
    if (!mine || !coach) continue;
    const auto pairs = pair_ratings(*mine, *coach);
    ++sessions;
    auto* point = out.mutable_calibration()->add_history();
    point->set_debrief_id(r.id());
    point->set_closed_ms(r.closed_ms());
    point->set_scenario_title(r.scenario_title());
    set_agreement(agree(pairs), point);
    for (const auto& p : pairs) {
      if (std::find(order.begin(), order.end(), p.dimension_id) == order.end()) {
        order.push_back(p.dimension_id);
        names.emplace_back(p.dimension_id, dimension_name(r, p.dimension_id));
      }
      all_pairs.push_back(p);
    }
  }

  auto* cal = out.mutable_calibration();
  cal->set_sessions(sessions);
  const auto c = calibrate(all_pairs, order);
  cal->set_pairs(static_cast<uint32_t>(c.overall.pairs));
  cal->set_bias(c.overall.bias);
  cal->set_exact(c.overall.exact);
  cal->set_within_one(c.overall.within_one);
  if (c.alpha_ordinal) cal->set_alpha_ordinal(*c.alpha_ordinal);
  for (const auto& [id, a] : c.dimensions) {
    auto* d = cal->add_dimensions();
    d->set_dimension_id(id);
    for (const auto& [nid, name] : names)
      if (nid == id) d->set_name(name);
    set_agreement(a, d);
  }
  out.set_usefulness_ratings(usefulness_n);
  out.set_usefulness_mean(usefulness_n ? usefulness_sum / usefulness_n : 0);
  return out;
}

v1::MyDebrief my_debrief(v1::DebriefRecord record, v1::Role role) {
  v1::MyDebrief out;
  *out.mutable_record() = role == v1::ROLE_CANDIDATE ? for_candidate(std::move(record)) : std::move(record);
  out.set_role(role);
  return out;
}

}  // namespace mockloop
