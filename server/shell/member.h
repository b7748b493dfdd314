// What rooms, committees, the matchmaker and the scheduler may do with a
// connected client. They hold this narrow interface, never the session
// itself: websocket_session knows its room, the room knows only a member.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "mockloop/codec.h"
#include "mockloop/v1/wire.pb.h"

namespace mockloop {

class room_host;
class committee_host;

class member {
 public:
  virtual ~member() = default;

  // Stable once the handshake is done (a resume adopts the old id).
  virtual const std::string& id() const = 0;
  virtual const std::string& display_name() const = 0;
  // The person behind it: one id per user key across tabs and devices, else
  // the session's own.
  virtual std::string user_id() const = 0;
  // Changes with every connection that takes the session over (a resume).
  virtual uint64_t serial() const = 0;
  virtual encoding wire_encoding() const = 0;

  // Thread-safe: an already encoded frame (encoded once for many members).
  virtual void send(std::shared_ptr<const std::string> frame) = 0;
  // Thread-safe: a message for this member alone.
  virtual void deliver_from_room(const v1::ServerMessage& m) = 0;
  // Thread-safe: m encoded for this member's wire, for send() now or later.
  virtual std::shared_ptr<const std::string> frame_for(const v1::ServerMessage& m) const = 0;

  // Thread-safe: the room or committee refused the join, or let go of this
  // member; it is to forget it.
  virtual void forget_room(std::shared_ptr<room_host> r) = 0;
  virtual void forget_committee(std::shared_ptr<committee_host> c) = 0;
  // Thread-safe: leave room `r` if in it (a forfeited or finished round).
  virtual void drop_room(std::shared_ptr<room_host> r) = 0;
};

}  // namespace mockloop
