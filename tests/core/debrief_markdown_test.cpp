// The Markdown debrief and the candidate's copy of a record.
#include "mockloop/core/debrief_markdown.h"

#include <gtest/gtest.h>

namespace mockloop {
namespace {

v1::DebriefRecord sample() {
  v1::DebriefRecord r;
  r.set_id("room-1");
  r.set_scenario_id("canary");
  r.set_scenario_version(2);
  r.set_scenario_title("A failed canary");
  r.set_round(1);
  auto* p = r.add_participants();
  p->set_display_name("Ivy");
  p->set_role(v1::ROLE_INTERVIEWER);
  auto* t = r.add_timeline();
  t->set_what("00:00 phase started: Clarify");
  t = r.add_timeline();
  t->set_what("04:10 candidate move: Proposed a rollback");
  t->set_staff_only(true);
  auto* d = r.add_rubric();
  d->set_id("scoping");
  d->set_name("Scoping");
  d->add_anchors()->set_description("ANCHOR TEXT");
  d->add_positive_signals("SIGNAL TEXT");
  auto* c = r.add_scorecards();
  c->set_rater_name("Ivy");
  c->set_rater_role(v1::ROLE_INTERVIEWER);
  c->set_recommendation(v1::RECOMMENDATION_STRONG_YES);
  auto* s = c->add_scores();
  s->set_dimension_id("scoping");
  s->set_rating(4);
  s->set_evidence("named | a metric\nearly");
  auto* a = r.mutable_aggregation()->add_dimensions();
  a->set_name("Scoping");
  a->set_ratings(1);
  a->set_mean(4);
  a->set_min(4);
  a->set_max(4);
  return r;
}

TEST(DebriefMarkdown, RendersTheRecordReadably) {
  const auto md = render_markdown(sample());
  EXPECT_NE(md.find("# Debrief: A failed canary\n"), std::string::npos) << md;
  EXPECT_NE(md.find("| Ivy | interviewer |"), std::string::npos);
  EXPECT_NE(md.find("- 00:00 phase started: Clarify"), std::string::npos);
  EXPECT_NE(md.find("### Ivy (interviewer): Strong Yes"), std::string::npos);
  EXPECT_NE(md.find("| Scoping | 4 | named \\| a metric early |"), std::string::npos)
      << "table cells escape pipes and fold newlines";
}

TEST(DebriefMarkdown, RendersTheCommitteeSection) {
  auto r = sample();
  auto* c = r.mutable_committee();
  c->add_packet("room-1");
  auto* v = c->add_votes();
  v->set_member("Ann");
  v->set_independent(v1::RECOMMENDATION_NO);
  v->set_final(v1::RECOMMENDATION_YES);
  v->add_changes("No -> Yes: the rollback plan");
  c->set_decision(v1::RECOMMENDATION_YES);
  c->set_reasons("clear ownership");
  const auto md = render_markdown(r);
  EXPECT_NE(md.find("## Committee"), std::string::npos);
  EXPECT_NE(md.find("| Ann | No |"), std::string::npos);
  EXPECT_NE(md.find("No -> Yes: the rollback plan"), std::string::npos);
  EXPECT_NE(md.find("### Decision: Yes"), std::string::npos);
}

TEST(DebriefForCandidate, DropsScriptMaterialKeepsScores) {
  const auto r = for_candidate(sample());
  const auto bytes = r.SerializeAsString();
  EXPECT_EQ(bytes.find("ANCHOR TEXT"), std::string::npos);
  EXPECT_EQ(bytes.find("SIGNAL TEXT"), std::string::npos);
  EXPECT_EQ(bytes.find("Proposed a rollback"), std::string::npos);
  EXPECT_EQ(r.rubric(0).name(), "Scoping");
  EXPECT_EQ(r.timeline_size(), 1);
  EXPECT_EQ(r.scorecards(0).scores(0).rating(), 4u);
}

}  // namespace
}  // namespace mockloop
