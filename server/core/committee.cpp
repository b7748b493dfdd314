#include "mockloop/core/committee.h"

#include <algorithm>

#include "mockloop/core/debrief_markdown.h"
#include "mockloop/core/protocol_session.h"

namespace mockloop {
namespace {

committee_effects error(uint32_t request_id, v1::ErrorCode code, std::string message) {
  committee_effects fx;
  fx.replies.push_back(make_error(request_id, code, std::move(message)));
  return fx;
}

committee_effects ack(uint32_t request_id) {
  committee_effects fx;
  v1::ServerMessage m;
  m.set_request_id(request_id);
  m.mutable_ack();
  fx.replies.push_back(std::move(m));
  fx.state_changed = true;
  return fx;
}

bool valid_vote(v1::Recommendation r) {
  return r != v1::RECOMMENDATION_UNSPECIFIED && v1::Recommendation_IsValid(r);
}

}  // namespace

committee::committee(std::string id, std::vector<v1::DebriefRecord> packet, committee_settings settings,
                     std::shared_ptr<const v1::ExamplePacket> example)
    : id_(std::move(id)), packet_(std::move(packet)), settings_(settings), example_(std::move(example)) {}

const committee::member* committee::find(const std::string& id) const {
  for (const auto& m : members_)
    if (m.id == id) return &m;
  return nullptr;
}

std::vector<std::string> committee::member_ids() const {
  std::vector<std::string> out;
  for (const auto& m : members_) out.push_back(m.id);
  return out;
}

committee_effects committee::join(const std::string& member_id, const std::string& name, bool chair,
                                  uint32_t request_id) {
  if (find(member_id)) return error(request_id, v1::ERROR_CODE_FAILED_PRECONDITION, "already in this committee");
  if (stage_ == v1::COMMITTEE_STAGE_DECIDED)
    return error(request_id, v1::ERROR_CODE_FAILED_PRECONDITION, "this committee has decided");
  if (members_.size() >= settings_.max_members)
    return error(request_id, v1::ERROR_CODE_FAILED_PRECONDITION, "this committee is full");
  if (chair && std::any_of(members_.begin(), members_.end(), [](const auto& m) { return m.chair; }))
    return error(request_id, v1::ERROR_CODE_FAILED_PRECONDITION, "the committee has a chair");
  members_.push_back({member_id, name, chair});
  auto fx = ack(request_id);
  return fx;
}

committee_effects committee::leave(const std::string& member_id) {
  committee_effects fx;
  const auto it = std::find_if(members_.begin(), members_.end(), [&](const auto& m) { return m.id == member_id; });
  if (it == members_.end()) return fx;
  members_.erase(it);  // a vote cast stays: it was cast
  fx.state_changed = true;
  return fx;
}

committee_effects committee::handle(const std::string& member_id, const v1::ClientMessage& m, int64_t now_ms) {
  const auto* who = find(member_id);
  if (!who) return error(m.request_id(), v1::ERROR_CODE_FAILED_PRECONDITION, "not in this committee");
  switch (m.body_case()) {
    case v1::ClientMessage::kCastVote:
      return vote(*who, m.cast_vote(), m.request_id(), now_ms);
    case v1::ClientMessage::kCommitteeAction:
      return action(*who, m.committee_action(), m.request_id(), now_ms);
    case v1::ClientMessage::kAddNote: {
      // Independently first, then together: no discussion before the reveal.
      if (stage_ != v1::COMMITTEE_STAGE_REVEALED)
        return error(m.request_id(), v1::ERROR_CODE_FAILED_PRECONDITION, "the discussion opens at the reveal");
      if (discussion_bytes_ + m.add_note().text().size() > settings_.max_discussion_bytes)
        return error(m.request_id(), v1::ERROR_CODE_FAILED_PRECONDITION, "the discussion is full");
      auto fx = ack(m.request_id());
      v1::Note n;
      n.set_author_id(who->id);
      n.set_author_name(who->name);
      n.set_text(m.add_note().text());
      n.set_at_ms(now_ms);
      discussion_bytes_ += n.text().size();
      discussion_.push_back(std::move(n));
      return fx;
    }
    default:
      return error(m.request_id(), v1::ERROR_CODE_INVALID_ARGUMENT, "not a committee request");
  }
}

committee_effects committee::vote(const member& m, const v1::CastVote& v, uint32_t request_id, int64_t now) {
  if (!valid_vote(v.vote())) return error(request_id, v1::ERROR_CODE_INVALID_ARGUMENT, "vote Strong No, No, Yes or Strong Yes");
  if (v.rationale().empty()) return error(request_id, v1::ERROR_CODE_MISSING_FIELD, "a vote needs its rationale");
  if (stage_ == v1::COMMITTEE_STAGE_DECIDED)
    return error(request_id, v1::ERROR_CODE_FAILED_PRECONDITION, "this committee has decided");
  if (!votes_.count(m.id) && votes_.size() >= settings_.max_voters)
    return error(request_id, v1::ERROR_CODE_FAILED_PRECONDITION, "this committee holds no more votes");
  if (const auto it = votes_.find(m.id);
      stage_ != v1::COMMITTEE_STAGE_VOTING && it != votes_.end() && it->second.changes_size() >= int(settings_.max_changes))
    return error(request_id, v1::ERROR_CODE_FAILED_PRECONDITION, "enough changes of mind for one committee");
  auto& mv = votes_[m.id];
  mv.set_member_id(m.id);
  mv.set_display_name(m.name);
  v1::Vote cast;
  cast.set_vote(v.vote());
  cast.set_rationale(v.rationale());
  cast.set_at_ms(now);
  if (stage_ == v1::COMMITTEE_STAGE_VOTING) {
    *mv.mutable_independent() = std::move(cast);  // recast freely until the reveal
  } else {
    if (!mv.has_independent())
      return error(request_id, v1::ERROR_CODE_FAILED_PRECONDITION, "only members who voted before the reveal may change a vote");
    *mv.add_changes() = std::move(cast);  // the independent vote is kept beside it
  }
  return ack(request_id);
}

committee_effects committee::action(const member& m, const v1::CommitteeAction& a, uint32_t request_id, int64_t now) {
  if (!m.chair) return error(request_id, v1::ERROR_CODE_PERMISSION_DENIED, "only the chair does that");
  switch (a.action()) {
    case v1::CommitteeAction::ACTION_REVEAL: {
      if (stage_ != v1::COMMITTEE_STAGE_VOTING)
        return error(request_id, v1::ERROR_CODE_FAILED_PRECONDITION, "the votes are already revealed");
      if (current_votes() < settings_.min_votes)
        return error(request_id, v1::ERROR_CODE_FAILED_PRECONDITION,
                     "a committee reveals at least " + std::to_string(settings_.min_votes) + " votes");
      auto fx = ack(request_id);
      stage_ = v1::COMMITTEE_STAGE_REVEALED;
      return fx;
    }
    case v1::CommitteeAction::ACTION_DECIDE: {
      if (stage_ != v1::COMMITTEE_STAGE_REVEALED)
        return error(request_id, v1::ERROR_CODE_FAILED_PRECONDITION, "decide after the reveal");
      if (!valid_vote(a.decision())) return error(request_id, v1::ERROR_CODE_INVALID_ARGUMENT, "decide Strong No, No, Yes or Strong Yes");
      if (a.reasons().empty()) return error(request_id, v1::ERROR_CODE_MISSING_FIELD, "a decision needs its reasons");
      if (a.reasons().size() > 4000) return error(request_id, v1::ERROR_CODE_FIELD_TOO_LONG, "reasons are 4000 bytes at most");
      committee_effects fx;
      v1::CommitteeDecision d;
      d.set_decision(a.decision());
      d.set_reasons(a.reasons());
      d.set_at_ms(now);
      fx.pending_decision = std::move(d);
      fx.pending_request_id = request_id;
      return fx;
    }
    default:
      return error(request_id, v1::ERROR_CODE_INVALID_ARGUMENT, "unknown committee action");
  }
}

v1::CommitteeState committee::view_for(const std::string& member_id) const {
  v1::CommitteeState s;
  s.set_committee_id(id_);
  s.set_stage(stage_);
  s.set_min_votes(settings_.min_votes);
  for (const auto& m : members_) {
    auto* out = s.add_members();
    out->set_member_id(m.id);
    out->set_display_name(m.name);
    out->set_chair(m.chair);
  }
  for (const auto& [id, mv] : votes_) s.add_voted(id);
  if (const auto it = votes_.find(member_id); it != votes_.end())
    *s.mutable_my_vote() = it->second.changes().empty() ? it->second.independent() : *it->second.changes().rbegin();
  // Sealed: nobody sees another's vote before the chair's reveal.
  if (stage_ != v1::COMMITTEE_STAGE_VOTING)
    for (const auto& [id, mv] : votes_) *s.add_votes() = mv;
  for (const auto& n : discussion_) *s.add_discussion() = n;
  if (example_) s.set_example_id(example_->id());
  if (stage_ == v1::COMMITTEE_STAGE_DECIDED) {
    *s.mutable_decision() = decision_;
    // Only now: read before, the example's decision would anchor the votes.
    if (example_) {
      s.set_example_commentary(example_->commentary());
      *s.mutable_example_decision() = example_->example_decision();
    }
  }
  return s;
}

// Votes of members still seated: a code holder cannot fake a quorum by
// joining, voting and leaving again.
size_t committee::current_votes() const {
  size_t n = 0;
  for (const auto& [id, mv] : votes_) n += find(id) != nullptr;
  return n;
}

committee_effects committee::commit_decision(const v1::CommitteeDecision& d, uint32_t request_id) {
  if (stage_ != v1::COMMITTEE_STAGE_REVEALED)
    return error(request_id, v1::ERROR_CODE_FAILED_PRECONDITION, "decide after the reveal");
  auto fx = ack(request_id);
  stage_ = v1::COMMITTEE_STAGE_DECIDED;
  decision_ = d;
  return fx;
}

v1::DebriefRecord committee::record(const std::string& record_id, int64_t now_ms) const {
  return record_with(decision_, record_id, now_ms);
}

v1::DebriefRecord committee::record_with(const v1::CommitteeDecision& decision, const std::string& record_id,
                                         int64_t now_ms) const {
  v1::DebriefRecord r;
  r.set_id(record_id);
  r.set_session_type(v1::SESSION_TYPE_COMMITTEE);
  r.set_room_id(id_);
  r.set_round(1);
  r.set_scenario_title("Committee on " + std::to_string(packet_.size()) + " debrief records");
  r.set_closed_ms(now_ms);
  auto* c = r.mutable_committee();
  for (const auto& p : packet_) c->add_packet(p.id());
  for (const auto& m : members_) {
    auto* p = r.add_participants();
    p->set_participant_id(m.id);
    p->set_display_name(m.name + (m.chair ? " (chair)" : ""));
    c->add_members(m.name);
  }
  for (const auto& [id, mv] : votes_) {
    auto* line = c->add_votes();
    line->set_member(mv.display_name());
    line->set_independent(mv.independent().vote());
    line->set_rationale(mv.independent().rationale());
    auto current = mv.independent().vote();
    for (const auto& ch : mv.changes()) {
      line->add_changes(recommendation_name(current) + " -> " + recommendation_name(ch.vote()) + ": " + ch.rationale());
      current = ch.vote();
    }
    line->set_final(current);
  }
  for (const auto& n : discussion_) c->add_discussion(n.author_name() + ": " + n.text());
  c->set_decision(decision.decision());
  c->set_reasons(decision.reasons());
  return r;
}

}  // namespace mockloop
