// A hiring-committee practice session, as plain state: members (a chair
// and 3-8 others), sealed independent votes, the chair's reveal, changes
// with reasons (both kept), shared discussion notes, and the decision.
// Like the room: events and the time in, replies and views out.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "mockloop/v1/committee.pb.h"
#include "mockloop/v1/debrief.pb.h"
#include "mockloop/v1/wire.pb.h"

namespace mockloop {

struct committee_settings {
  uint32_t max_members = 9;  // the chair and up to 8 others
  uint32_t min_votes = 3;    // a committee of fewer is not a committee
  size_t max_discussion_bytes = 64 * 1024;
  uint32_t max_changes = 10;  // vote changes per member after the reveal
  uint32_t max_voters = 27;   // votes kept, departed members' included (3 x seats)
};

struct committee_effects {
  std::vector<v1::ServerMessage> replies;  // to the sender
  bool state_changed = false;
  // The chair's decision, validated but not yet taken: the shell writes the
  // record with it (record_with) and only then calls commit_decision().
  std::optional<v1::CommitteeDecision> pending_decision;
  uint32_t pending_request_id = 0;
};

class committee {
 public:
  // example: practising on the library's example packet, whose outcome
  // each member sees once this panel has decided.
  committee(std::string id, std::vector<v1::DebriefRecord> packet, committee_settings settings = {},
            std::shared_ptr<const v1::ExamplePacket> example = nullptr);

  const std::string& id() const { return id_; }
  const std::vector<v1::DebriefRecord>& packet() const { return packet_; }
  v1::CommitteeStage stage() const { return stage_; }

  committee_effects join(const std::string& member_id, const std::string& name, bool chair, uint32_t request_id);
  committee_effects leave(const std::string& member_id);
  // CastVote, CommitteeAction, AddNote (discussion).
  committee_effects handle(const std::string& member_id, const v1::ClientMessage& m, int64_t now_ms);

  // Each member's view: before the reveal their own vote and who voted.
  v1::CommitteeState view_for(const std::string& member_id) const;
  std::vector<std::string> member_ids() const;

  // The session's record with the decision taken (a pending one, or the
  // one committed).
  v1::DebriefRecord record(const std::string& record_id, int64_t now_ms) const;
  v1::DebriefRecord record_with(const v1::CommitteeDecision& d, const std::string& record_id, int64_t now_ms) const;
  committee_effects commit_decision(const v1::CommitteeDecision& d, uint32_t request_id);

 private:
  struct member {
    std::string id;
    std::string name;
    bool chair = false;
  };
  const member* find(const std::string& id) const;
  size_t current_votes() const;
  committee_effects vote(const member& m, const v1::CastVote& v, uint32_t request_id, int64_t now);
  committee_effects action(const member& m, const v1::CommitteeAction& a, uint32_t request_id, int64_t now);

  std::string id_;
  std::vector<v1::DebriefRecord> packet_;
  committee_settings settings_;
  std::vector<member> members_;
  v1::CommitteeStage stage_ = v1::COMMITTEE_STAGE_VOTING;
  std::map<std::string, v1::MemberVotes> votes_;  // by member id
  std::vector<v1::Note> discussion_;
  size_t discussion_bytes_ = 0;
  v1::CommitteeDecision decision_;
  std::shared_ptr<const v1::ExamplePacket> example_;
};

}  // namespace mockloop
