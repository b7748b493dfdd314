// Who is in a room's call, who publishes and who listens, and where a
// WebRTC signal may go. Plain state: the shell owns the sockets and relays
// what route() allows; the server never touches media.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "mockloop/v1/call.pb.h"
#include "mockloop/v1/roles.pb.h"
#include "mockloop/v1/wire.pb.h"

namespace mockloop {

struct call_settings {
  // A full mesh: each speaker sends one stream per other member, so four
  // speakers is what a home uplink carries with video (docs/call.md).
  uint32_t max_speakers = 4;
  // Speakers plus listeners. A listener costs each speaker one more audio
  // stream (~40 kbit/s), so a coaching group of 16 is still a home uplink.
  uint32_t max_members = 16;
  // Group coaching: only the candidate and the coach publish; observers
  // listen (and score). Elsewhere observers speak while seats are free.
  bool coaching = false;
};

class call_roster {
 public:
  explicit call_roster(call_settings settings) : settings_(settings) {}

  struct member {
    std::string participant_id;
    std::string session_id;  // the one connection of theirs in the call
    std::string display_name;
    v1::Role role = v1::ROLE_UNSPECIFIED;
    bool muted = false;
    bool video = false;
    bool speaker = false;
  };

  struct joined {
    std::optional<v1::ServerMessage> error;
    // The participant's earlier connection in the call, now replaced (their
    // other device leaves the call); empty if none.
    std::string replaced_session;
    bool speaker = false;
  };
  // A room member joins from one of their connections; a second device
  // takes the place of the first.
  joined join(const std::string& participant_id, const std::string& session_id, const std::string& name, v1::Role role,
              const v1::JoinCall& req, uint32_t request_id);
  // A connection leaves (LeaveCall, LeaveRoom, a drop). True if it was in the call.
  bool leave(const std::string& session_id);
  std::optional<v1::ServerMessage> update(const std::string& session_id, const v1::CallUpdate& u, uint32_t request_id);
  // A participant's role changed (the hot seat moved). True if the call changed.
  bool set_role(const std::string& participant_id, v1::Role role);

  struct relay {
    std::string to_session;  // where the signal goes
    v1::ServerMessage message;
  };
  // A signal from a connection: relayed to the named member of the call
  // when both are in it and at least one of them speaks; else a typed error.
  std::variant<relay, v1::ServerMessage> route(const std::string& from_session, const v1::RtcSignal& s,
                                               uint32_t request_id) const;

  v1::CallState state(const std::string& room_id) const;
  const member* by_session(const std::string& session_id) const;
  const member* by_participant(const std::string& participant_id) const;
  std::vector<std::string> participants() const;
  bool empty() const { return members_.empty(); }
  size_t size() const { return members_.size(); }

 private:
  void assign_speakers();

  call_settings settings_;
  std::vector<member> members_;  // in joining order
};

}  // namespace mockloop
