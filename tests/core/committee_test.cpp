// Committee practice in the core: sealed votes, the chair's reveal, changes
// kept beside the independent vote, and the decision.
#include "mockloop/core/committee.h"

#include <gtest/gtest.h>

namespace mockloop {
namespace {

v1::ClientMessage vote(v1::Recommendation r, const std::string& why) {
  v1::ClientMessage m;
  m.set_request_id(4);
  m.mutable_cast_vote()->set_vote(r);
  m.mutable_cast_vote()->set_rationale(why);
  return m;
}

v1::ClientMessage action(v1::CommitteeAction::Action a, v1::Recommendation d = v1::RECOMMENDATION_UNSPECIFIED,
                         const std::string& reasons = "") {
  v1::ClientMessage m;
  m.set_request_id(5);
  m.mutable_committee_action()->set_action(a);
  m.mutable_committee_action()->set_decision(d);
  m.mutable_committee_action()->set_reasons(reasons);
  return m;
}

v1::ErrorCode error_of(const committee_effects& fx) {
  return fx.replies.size() == 1 && fx.replies[0].has_error() ? fx.replies[0].error().code()
                                                             : v1::ERROR_CODE_UNSPECIFIED;
}

class Committee : public ::testing::Test {
 protected:
  Committee() : c_("c1", {packet_record("r1-1"), packet_record("r2-1")}) {
    c_.join("ch", "Chair", true, 1);
    c_.join("a", "Ann", false, 1);
    c_.join("b", "Ben", false, 1);
  }
  static v1::DebriefRecord packet_record(const std::string& id) {
    v1::DebriefRecord r;
    r.set_id(id);
    return r;
  }
  committee c_;
};

TEST_F(Committee, SeatsAndTheSingleChair) {
  EXPECT_EQ(error_of(c_.join("x", "X", true, 2)), v1::ERROR_CODE_FAILED_PRECONDITION);
  EXPECT_EQ(error_of(c_.join("a", "Ann", false, 2)), v1::ERROR_CODE_FAILED_PRECONDITION);
  for (int i = 0; i < 6; ++i) EXPECT_EQ(error_of(c_.join("m" + std::to_string(i), "M", false, 2)), v1::ERROR_CODE_UNSPECIFIED);
  EXPECT_EQ(error_of(c_.join("too-many", "T", false, 2)), v1::ERROR_CODE_FAILED_PRECONDITION) << "chair + 8";
}

TEST_F(Committee, VotesAreSealedUntilTheChairReveals) {
  ASSERT_EQ(error_of(c_.handle("a", vote(v1::RECOMMENDATION_YES, "ANN-RATIONALE"), 10)), v1::ERROR_CODE_UNSPECIFIED);
  const auto ben_view = c_.view_for("b");
  EXPECT_EQ(ben_view.SerializeAsString().find("ANN-RATIONALE"), std::string::npos);
  EXPECT_EQ(ben_view.voted_size(), 1);
  EXPECT_EQ(c_.view_for("a").my_vote().rationale(), "ANN-RATIONALE");

  EXPECT_EQ(error_of(c_.handle("ch", action(v1::CommitteeAction::ACTION_REVEAL), 11)), v1::ERROR_CODE_FAILED_PRECONDITION)
      << "fewer than three votes";
  c_.handle("b", vote(v1::RECOMMENDATION_NO, "BEN-RATIONALE"), 12);
  c_.handle("ch", vote(v1::RECOMMENDATION_NO, "CHAIR-RATIONALE"), 13);
  EXPECT_EQ(error_of(c_.handle("a", action(v1::CommitteeAction::ACTION_REVEAL), 14)), v1::ERROR_CODE_PERMISSION_DENIED);
  ASSERT_EQ(error_of(c_.handle("ch", action(v1::CommitteeAction::ACTION_REVEAL), 14)), v1::ERROR_CODE_UNSPECIFIED);
  EXPECT_EQ(c_.view_for("b").votes_size(), 3);
  EXPECT_NE(c_.view_for("b").SerializeAsString().find("ANN-RATIONALE"), std::string::npos);
}

TEST_F(Committee, ChangesAreKeptBesideTheIndependentVoteAndTheChairDecides) {
  c_.handle("a", vote(v1::RECOMMENDATION_YES, "strong scoping"), 10);
  c_.handle("b", vote(v1::RECOMMENDATION_NO, "weak ownership"), 11);
  c_.handle("ch", vote(v1::RECOMMENDATION_NO, "no metrics"), 12);
  EXPECT_EQ(error_of(c_.handle("ch", action(v1::CommitteeAction::ACTION_DECIDE, v1::RECOMMENDATION_NO, "x"), 13)),
            v1::ERROR_CODE_FAILED_PRECONDITION) << "decide after the reveal";
  c_.handle("ch", action(v1::CommitteeAction::ACTION_REVEAL), 13);
  ASSERT_EQ(error_of(c_.handle("b", vote(v1::RECOMMENDATION_YES, "Ann showed the escalation path"), 20)),
            v1::ERROR_CODE_UNSPECIFIED);
  EXPECT_EQ(error_of(c_.handle("b", vote(v1::RECOMMENDATION_YES, ""), 21)), v1::ERROR_CODE_MISSING_FIELD);
  EXPECT_EQ(error_of(c_.handle("ch", action(v1::CommitteeAction::ACTION_DECIDE, v1::RECOMMENDATION_YES, ""), 22)),
            v1::ERROR_CODE_MISSING_FIELD);
  auto fx = c_.handle("ch", action(v1::CommitteeAction::ACTION_DECIDE, v1::RECOMMENDATION_YES, "hire: scoping and ownership"), 23);
  ASSERT_TRUE(fx.pending_decision) << "the decision waits for its record to be written";
  EXPECT_TRUE(fx.replies.empty());
  EXPECT_EQ(c_.stage(), v1::COMMITTEE_STAGE_REVEALED);
  EXPECT_EQ(c_.record_with(*fx.pending_decision, "c1-1", 30).committee().decision(), v1::RECOMMENDATION_YES);
  fx = c_.commit_decision(*fx.pending_decision, fx.pending_request_id);
  ASSERT_EQ(fx.replies.size(), 1u);
  EXPECT_TRUE(fx.replies[0].has_ack());
  EXPECT_EQ(c_.stage(), v1::COMMITTEE_STAGE_DECIDED);
  EXPECT_EQ(error_of(c_.handle("a", vote(v1::RECOMMENDATION_NO, "late"), 24)), v1::ERROR_CODE_FAILED_PRECONDITION);

  const auto r = c_.record("c1-1", 30);
  EXPECT_EQ(r.session_type(), v1::SESSION_TYPE_COMMITTEE);
  ASSERT_EQ(r.committee().packet_size(), 2);
  EXPECT_EQ(r.committee().decision(), v1::RECOMMENDATION_YES);
  EXPECT_EQ(r.committee().reasons(), "hire: scoping and ownership");
  bool found_ben = false;
  for (const auto& v : r.committee().votes()) {
    if (v.member() != "Ben") continue;
    found_ben = true;
    EXPECT_EQ(v.independent(), v1::RECOMMENDATION_NO) << "the independent vote is kept";
    EXPECT_EQ(v.final(), v1::RECOMMENDATION_YES);
    ASSERT_EQ(v.changes_size(), 1);
    EXPECT_EQ(v.changes(0), "No -> Yes: Ann showed the escalation path");
  }
  EXPECT_TRUE(found_ben);
}

TEST_F(Committee, DiscussionOpensAtTheRevealAndIsShared) {
  v1::ClientMessage n;
  n.set_request_id(7);
  n.mutable_add_note()->set_text("the canary answer was thin");
  EXPECT_EQ(error_of(c_.handle("a", n, 9)), v1::ERROR_CODE_FAILED_PRECONDITION) << "independently first";
  c_.handle("a", vote(v1::RECOMMENDATION_YES, "y"), 9);
  c_.handle("b", vote(v1::RECOMMENDATION_YES, "y"), 9);
  c_.handle("ch", vote(v1::RECOMMENDATION_YES, "y"), 9);
  c_.handle("ch", action(v1::CommitteeAction::ACTION_REVEAL), 9);
  c_.handle("a", n, 10);
  EXPECT_EQ(c_.view_for("b").discussion_size(), 1);
  EXPECT_EQ(c_.record("c1-1", 11).committee().discussion(0), "Ann: the canary answer was thin");
}

TEST_F(Committee, AQuorumCountsSeatedMembersOnly) {
  c_.handle("a", vote(v1::RECOMMENDATION_YES, "y"), 1);
  c_.handle("b", vote(v1::RECOMMENDATION_YES, "y"), 2);
  c_.leave("b");
  c_.join("b2", "Ben again", false, 3);
  c_.handle("b2", vote(v1::RECOMMENDATION_YES, "y"), 4);
  c_.leave("b2");
  EXPECT_EQ(error_of(c_.handle("ch", action(v1::CommitteeAction::ACTION_REVEAL), 5)), v1::ERROR_CODE_FAILED_PRECONDITION)
      << "votes of people who left do not make a quorum";
  c_.handle("ch", vote(v1::RECOMMENDATION_NO, "n"), 6);
  c_.join("d", "Dee", false, 7);
  c_.handle("d", vote(v1::RECOMMENDATION_NO, "n"), 8);
  EXPECT_EQ(error_of(c_.handle("ch", action(v1::CommitteeAction::ACTION_REVEAL), 9)), v1::ERROR_CODE_UNSPECIFIED);
}

}  // namespace
}  // namespace mockloop
