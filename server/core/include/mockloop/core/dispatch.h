// Where a handshaken session's request goes, and what is refused before it
// goes anywhere. Pure: the shell's websocket_session asks, then carries the
// request to the directory, the matchmaker, the scheduler, the store's
// thread, a committee or the room (tests/core/dispatch_test.cpp).
#pragma once

#include <optional>

#include "mockloop/v1/wire.pb.h"

namespace mockloop {

// Where the session is now: one place at a time, so that a room's private
// note can never land in a committee's discussion.
struct session_place {
  bool in_room = false;
  bool in_committee = false;
};

enum class destination {
  refused,           // answered with `refusal`, sent nowhere
  create_room,       // the room directory (after check_create_room)
  join_room,         // the room directory, by code
  queue,             // the matchmaker: Enqueue, CancelTicket
  schedule,          // the scheduler: bookings and check-in
  progress,          // My mocks, on the store's thread
  create_committee,  // the directory (records read on the store's thread)
  join_committee,    // the directory, by code
  committee,         // the committee the session sits in
  next_round,        // the room, with the next scenario looked up
  leave_room,        // the room, and a Left reply
  room,              // every other request: the room the session sits in
};

struct dispatch {
  destination to = destination::refused;
  std::optional<v1::ServerMessage> refusal;  // set when to == refused
};

dispatch route(const v1::ClientMessage& m, session_place where);

// CreateRoom's own fields, before any scenario is looked up: the creator is
// its interviewer (default) or coach; a target level is L4-L7 or unset.
std::optional<v1::ServerMessage> check_create_room(const v1::CreateRoom& req, uint32_t request_id);

// The creator's role, defaults applied.
v1::Role creator_role(const v1::CreateRoom& req);

}  // namespace mockloop
