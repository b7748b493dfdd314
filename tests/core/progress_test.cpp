// My mocks from stored records: what a candidate and a rater see of the same
// round, and an observer's calibration against the coach, by hand.
#include "mockloop/core/progress.h"

#include <gtest/gtest.h>

namespace mockloop {
namespace {

v1::Scorecard card(const std::string& rater, v1::Role role, std::initializer_list<std::pair<const char*, uint32_t>> s,
                   bool submitted = true) {
  v1::Scorecard c;
  c.set_rater_id(rater);
  c.set_rater_name(rater + " name");
  c.set_rater_role(role);
  c.set_submitted(submitted);
  for (const auto& [id, rating] : s) {
    auto* d = c.add_scores();
    d->set_dimension_id(id);
    d->set_rating(rating);
    d->set_evidence("evidence for " + std::string(id));
  }
  return c;
}

v1::DebriefRecord record(const std::string& id, v1::SessionType type, int64_t closed_ms) {
  v1::DebriefRecord r;
  r.set_id(id);
  r.set_session_type(type);
  r.set_closed_ms(closed_ms);
  r.set_scenario_id("s");
  r.set_scenario_title("Title " + id);
  for (const auto* dim : {"scope", "risk"}) {
    auto* d = r.add_rubric();
    d->set_id(dim);
    d->set_name(std::string(dim) == "scope" ? "Scoping" : "Risk");
    d->set_description("STAFF-DESCRIPTION");
    d->add_positive_signals("STAFF-SIGNAL");
    auto* a = d->add_anchors();
    a->set_level(1);
    a->set_description("STAFF-ANCHOR");
  }
  auto* t = r.add_timeline();
  t->set_what("STAFF-MARKER ticked");
  t->set_staff_only(true);
  r.add_timeline()->set_what("phase started: Design");
  return r;
}

void add_participant(v1::DebriefRecord& r, const std::string& id, v1::Role role) {
  auto* p = r.add_participants();
  p->set_participant_id(id);
  p->set_display_name(id + " name");
  p->set_role(role);
}

TEST(Progress, TheCandidateSeesScoresAndFeedbackButNoScriptMaterial) {
  auto r = record("d1", v1::SESSION_TYPE_PEER_MOCK, 1000);
  add_participant(r, "iv", v1::ROLE_INTERVIEWER);
  add_participant(r, "ca", v1::ROLE_CANDIDATE);
  *r.add_scorecards() = card("iv", v1::ROLE_INTERVIEWER, {{"scope", 3}, {"risk", 0}});
  auto* agg = r.mutable_aggregation()->add_dimensions();
  agg->set_dimension_id("scope");
  agg->set_name("Scoping");
  agg->set_mean(3);
  agg->set_ratings(1);
  auto* none = r.mutable_aggregation()->add_dimensions();
  none->set_dimension_id("risk");
  none->set_ratings(0);  // not observed: nothing to chart

  v1::UsefulnessRating rated;
  rated.set_rater_id("iv");
  rated.set_usefulness(4);
  const auto out = my_mocks({{r, "ca", v1::ROLE_CANDIDATE, {rated}}});
  ASSERT_EQ(out.mocks_size(), 1);
  const auto& m = out.mocks(0);
  EXPECT_EQ(m.debrief_id(), "d1");
  EXPECT_EQ(m.role(), v1::ROLE_CANDIDATE);
  ASSERT_EQ(m.others_size(), 1);
  EXPECT_EQ(m.others(0), "iv name");
  ASSERT_EQ(m.received_size(), 1);
  EXPECT_EQ(m.received(0).dimension_id(), "scope");
  EXPECT_EQ(m.received(0).name(), "Scoping");
  EXPECT_DOUBLE_EQ(m.received(0).mean(), 3);
  ASSERT_EQ(m.feedback_size(), 1);
  EXPECT_EQ(m.feedback(0).scores(0).evidence(), "evidence for scope");
  EXPECT_FALSE(m.has_given());
  ASSERT_EQ(m.rated_size(), 1);
  EXPECT_EQ(m.rated(0).usefulness(), 4u);
  EXPECT_EQ(out.calibration().sessions(), 0u);

  // Nothing of the script reaches the candidate's copy of the whole record.
  const auto copy = my_debrief(r, v1::ROLE_CANDIDATE).record().DebugString();
  for (const auto* probe : {"STAFF-DESCRIPTION", "STAFF-SIGNAL", "STAFF-ANCHOR", "STAFF-MARKER"})
    EXPECT_EQ(copy.find(probe), std::string::npos) << probe;
  EXPECT_NE(copy.find("phase started: Design"), std::string::npos);
  // Staff read it whole.
  EXPECT_NE(my_debrief(r, v1::ROLE_INTERVIEWER).record().DebugString().find("STAFF-ANCHOR"), std::string::npos);
}

TEST(Progress, ARaterSeesTheirOwnCardAndWhatTheCandidateMadeOfIt) {
  auto r = record("d1", v1::SESSION_TYPE_PEER_MOCK, 1000);
  add_participant(r, "iv", v1::ROLE_INTERVIEWER);
  add_participant(r, "ca", v1::ROLE_CANDIDATE);
  *r.add_scorecards() = card("iv", v1::ROLE_INTERVIEWER, {{"scope", 2}});
  v1::UsefulnessRating rated;
  rated.set_rater_id("iv");
  rated.set_usefulness(2);
  rated.set_comment("too vague");
  const auto out = my_mocks({{r, "iv", v1::ROLE_INTERVIEWER, {rated}}});
  ASSERT_EQ(out.mocks_size(), 1);
  const auto& m = out.mocks(0);
  EXPECT_EQ(m.given().rater_id(), "iv");
  EXPECT_EQ(m.given_rated().usefulness(), 2u);
  EXPECT_EQ(m.given_rated().comment(), "too vague");
  EXPECT_EQ(m.received_size(), 0);
  EXPECT_EQ(m.feedback_size(), 0);
  EXPECT_EQ(out.usefulness_ratings(), 1u);
  EXPECT_DOUBLE_EQ(out.usefulness_mean(), 2.0);
}

TEST(Progress, AnObserverIsCalibratedAgainstTheCoachOverTime) {
  // Newest first, as the store lists them.
  auto older = record("old", v1::SESSION_TYPE_GROUP_COACHING, 1000);
  add_participant(older, "co", v1::ROLE_COACH);
  add_participant(older, "ob", v1::ROLE_OBSERVER);
  *older.add_scorecards() = card("co", v1::ROLE_COACH, {{"scope", 3}, {"risk", 2}});
  *older.add_scorecards() = card("ob", v1::ROLE_OBSERVER, {{"scope", 4}, {"risk", 2}});  // +1, 0
  auto newer = record("new", v1::SESSION_TYPE_GROUP_COACHING, 2000);
  add_participant(newer, "co", v1::ROLE_COACH);
  add_participant(newer, "ob2", v1::ROLE_OBSERVER);
  *newer.add_scorecards() = card("co", v1::ROLE_COACH, {{"scope", 4}, {"risk", 1}});
  *newer.add_scorecards() = card("ob2", v1::ROLE_OBSERVER, {{"scope", 1}, {"risk", 0}});  // -3; risk unpaired
  // A coaching round without a coach's card, and a draft, do not count.
  auto nocoach = record("nocoach", v1::SESSION_TYPE_GROUP_COACHING, 1500);
  add_participant(nocoach, "ob", v1::ROLE_OBSERVER);
  *nocoach.add_scorecards() = card("ob", v1::ROLE_OBSERVER, {{"scope", 4}});
  *nocoach.add_scorecards() = card("co", v1::ROLE_COACH, {{"scope", 1}}, /*submitted=*/false);

  const auto out = my_mocks({{newer, "ob2", v1::ROLE_OBSERVER, {}},
                             {nocoach, "ob", v1::ROLE_OBSERVER, {}},
                             {older, "ob", v1::ROLE_OBSERVER, {}}});
  const auto& c = out.calibration();
  EXPECT_EQ(c.sessions(), 2u);
  EXPECT_EQ(c.pairs(), 3u);
  EXPECT_DOUBLE_EQ(c.bias(), (1.0 + 0 - 3) / 3);
  EXPECT_DOUBLE_EQ(c.exact(), 1.0 / 3);
  EXPECT_DOUBLE_EQ(c.within_one(), 2.0 / 3);
  EXPECT_FALSE(c.has_alpha_ordinal()) << "fewer than 10 pairs";
  ASSERT_EQ(c.history_size(), 2);
  EXPECT_EQ(c.history(0).debrief_id(), "old") << "history reads oldest first";
  EXPECT_DOUBLE_EQ(c.history(0).bias(), 0.5);
  EXPECT_EQ(c.history(1).debrief_id(), "new");
  EXPECT_EQ(c.history(1).pairs(), 1u);
  EXPECT_DOUBLE_EQ(c.history(1).bias(), -3);
  ASSERT_EQ(c.dimensions_size(), 2);
  EXPECT_EQ(c.dimensions(0).dimension_id(), "scope");
  EXPECT_EQ(c.dimensions(0).name(), "Scoping");
  EXPECT_EQ(c.dimensions(0).pairs(), 2u);
  EXPECT_DOUBLE_EQ(c.dimensions(0).bias(), -1);  // (+1 - 3) / 2
  EXPECT_EQ(c.dimensions(1).dimension_id(), "risk");
  EXPECT_DOUBLE_EQ(c.dimensions(1).exact(), 1.0);
  // Every round is still listed, newest first.
  ASSERT_EQ(out.mocks_size(), 3);
  EXPECT_EQ(out.mocks(0).debrief_id(), "new");
  EXPECT_EQ(out.mocks(1).given().rater_id(), "ob");
}

TEST(Progress, AlphaAppearsFromTenPairs) {
  std::vector<user_round> rounds;
  // Five rounds of two pairs each, the observer one step lenient on scope.
  for (int i = 0; i < 5; ++i) {
    auto r = record("d" + std::to_string(i), v1::SESSION_TYPE_GROUP_COACHING, 1000 * (5 - i));
    add_participant(r, "co", v1::ROLE_COACH);
    add_participant(r, "ob", v1::ROLE_OBSERVER);
    const uint32_t base = 1 + static_cast<uint32_t>(i % 3);
    *r.add_scorecards() = card("co", v1::ROLE_COACH, {{"scope", base}, {"risk", base + 1}});
    *r.add_scorecards() = card("ob", v1::ROLE_OBSERVER, {{"scope", base + 1}, {"risk", base + 1}});
    rounds.push_back({r, "ob", v1::ROLE_OBSERVER, {}});
    if (i == 3) {
      const auto four = my_mocks(rounds);
      EXPECT_EQ(four.calibration().pairs(), 8u);
      EXPECT_FALSE(four.calibration().has_alpha_ordinal());
    }
  }
  const auto out = my_mocks(rounds);
  EXPECT_EQ(out.calibration().pairs(), 10u);
  ASSERT_TRUE(out.calibration().has_alpha_ordinal());
  EXPECT_LT(out.calibration().alpha_ordinal(), 1.0);
  EXPECT_DOUBLE_EQ(out.calibration().bias(), 0.5);
}

}  // namespace
}  // namespace mockloop
