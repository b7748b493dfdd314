#include "mockloop/core/call.h"

#include <algorithm>

#include "mockloop/core/protocol_session.h"

namespace mockloop {
namespace {

// The seats that always publish: the conversation itself.
bool always_speaks(v1::Role r) { return r == v1::ROLE_CANDIDATE || r == v1::ROLE_INTERVIEWER || r == v1::ROLE_COACH; }

}  // namespace

// Seated roles speak; observers fill the free speaker seats in joining
// order, except in coaching rooms where they listen.
void call_roster::assign_speakers() {
  uint32_t speakers = 0;
  for (auto& m : members_) {
    m.speaker = always_speaks(m.role);
    if (m.speaker) ++speakers;
  }
  if (settings_.coaching) return;
  for (auto& m : members_) {
    if (m.speaker || speakers >= settings_.max_speakers) continue;
    m.speaker = true;
    ++speakers;
  }
}

call_roster::joined call_roster::join(const std::string& participant_id, const std::string& session_id,
                                      const std::string& name, v1::Role role, const v1::JoinCall& req,
                                      uint32_t request_id) {
  joined out;
  const auto it = std::find_if(members_.begin(), members_.end(),
                               [&](const member& m) { return m.participant_id == participant_id; });
  if (it == members_.end() && members_.size() >= settings_.max_members) {
    out.error = make_error(request_id, v1::ERROR_CODE_FAILED_PRECONDITION,
                           "the call is full (" + std::to_string(settings_.max_members) + " people)");
    return out;
  }
  member m{participant_id, session_id, name, role, req.muted(), req.video(), false};
  if (it != members_.end()) {
    if (it->session_id != session_id) out.replaced_session = it->session_id;
    *it = std::move(m);  // keeps their place in the order
  } else {
    members_.push_back(std::move(m));
  }
  assign_speakers();
  out.speaker = by_participant(participant_id)->speaker;
  return out;
}

bool call_roster::leave(const std::string& session_id) {
  if (std::erase_if(members_, [&](const member& m) { return m.session_id == session_id; }) == 0) return false;
  assign_speakers();  // a free seat goes to the next observer
  return true;
}

std::optional<v1::ServerMessage> call_roster::update(const std::string& session_id, const v1::CallUpdate& u,
                                                     uint32_t request_id) {
  const auto it =
      std::find_if(members_.begin(), members_.end(), [&](const member& m) { return m.session_id == session_id; });
  if (it == members_.end()) return make_error(request_id, v1::ERROR_CODE_FAILED_PRECONDITION, "join the call first");
  it->muted = u.muted();
  it->video = u.video();
  return std::nullopt;
}

bool call_roster::set_role(const std::string& participant_id, v1::Role role) {
  const auto it = std::find_if(members_.begin(), members_.end(),
                               [&](const member& m) { return m.participant_id == participant_id; });
  if (it == members_.end() || it->role == role) return false;
  it->role = role;
  assign_speakers();
  return true;
}

std::variant<call_roster::relay, v1::ServerMessage> call_roster::route(const std::string& from_session,
                                                                       const v1::RtcSignal& s,
                                                                       uint32_t request_id) const {
  const auto* from = by_session(from_session);
  if (!from) return make_error(request_id, v1::ERROR_CODE_FAILED_PRECONDITION, "join the call first");
  const auto* to = by_participant(s.to_participant_id());
  if (!to)
    return make_error(request_id, v1::ERROR_CODE_NOT_FOUND,
                      "'" + s.to_participant_id() + "' is not in this room's call", "toParticipantId");
  if (to == from)
    return make_error(request_id, v1::ERROR_CODE_INVALID_ARGUMENT, "a signal goes to someone else", "toParticipantId");
  if (!from->speaker && !to->speaker)
    return make_error(request_id, v1::ERROR_CODE_PERMISSION_DENIED, "two listeners have nothing to send each other",
                      "toParticipantId");
  relay r;
  r.to_session = to->session_id;
  auto* out = r.message.mutable_rtc_signal();
  *out = s;
  out->set_to_participant_id(to->participant_id);
  out->set_from_participant_id(from->participant_id);  // the server's word, not the sender's
  return r;
}

v1::CallState call_roster::state(const std::string& room_id) const {
  v1::CallState s;
  s.set_room_id(room_id);
  for (const auto& m : members_) {
    auto* out = s.add_members();
    out->set_participant_id(m.participant_id);
    out->set_display_name(m.display_name);
    out->set_role(m.role);
    out->set_speaker(m.speaker);
    out->set_muted(m.muted);
    out->set_video(m.video);
  }
  return s;
}

std::vector<std::string> call_roster::participants() const {
  std::vector<std::string> out;
  for (const auto& m : members_) out.push_back(m.participant_id);
  return out;
}

const call_roster::member* call_roster::by_session(const std::string& session_id) const {
  const auto it =
      std::find_if(members_.begin(), members_.end(), [&](const member& m) { return m.session_id == session_id; });
  return it == members_.end() ? nullptr : &*it;
}

const call_roster::member* call_roster::by_participant(const std::string& participant_id) const {
  const auto it = std::find_if(members_.begin(), members_.end(),
                               [&](const member& m) { return m.participant_id == participant_id; });
  return it == members_.end() ? nullptr : &*it;
}

}  // namespace mockloop
