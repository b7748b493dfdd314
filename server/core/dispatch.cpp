#include "mockloop/core/dispatch.h"

#include <string>

#include "mockloop/core/protocol_session.h"

namespace mockloop {
namespace {

dispatch refuse(uint32_t request_id, const std::string& message) {
  return {destination::refused, make_error(request_id, v1::ERROR_CODE_FAILED_PRECONDITION, message)};
}

dispatch to(destination d) { return {d, std::nullopt}; }

}  // namespace

dispatch route(const v1::ClientMessage& m, session_place where) {
  const auto rid = m.request_id();
  const bool somewhere = where.in_room || where.in_committee;
  using C = v1::ClientMessage;
  switch (m.body_case()) {
    case C::kCreateRoom:
      return somewhere ? refuse(rid, "leave your room first") : to(destination::create_room);
    case C::kJoinRoom:
      return somewhere ? refuse(rid, "leave your room first") : to(destination::join_room);
    case C::kEnqueue:
      return somewhere ? refuse(rid, "leave your room first") : to(destination::queue);
    case C::kCancelTicket:
      return to(destination::queue);
    case C::kBookSlot:
    case C::kCancelBooking:
    case C::kCheckIn:
    case C::kListBookings:
      return to(destination::schedule);
    case C::kListMyMocks:
    case C::kGetMyDebrief:
    case C::kRateFeedback:
      return to(destination::progress);
    case C::kCreateCommittee:
      return somewhere ? refuse(rid, "leave your room first") : to(destination::create_committee);
    case C::kJoinCommittee:
      return somewhere ? refuse(rid, "leave your room first") : to(destination::join_committee);
    case C::kCastVote:
    case C::kCommitteeAction:
      return where.in_committee ? to(destination::committee) : refuse(rid, "join a committee first");
    case C::kAddNote:
      // In a committee a note is the shared discussion; in a room, private.
      if (where.in_committee) return to(destination::committee);
      return where.in_room ? to(destination::room) : refuse(rid, "join a room first");
    case C::kNextRound:
      return where.in_room ? to(destination::next_round) : refuse(rid, "join a room first");
    case C::kLeaveRoom:
      return where.in_room ? to(destination::leave_room) : refuse(rid, "not in a room");
    default:
      return where.in_room ? to(destination::room) : refuse(rid, "join a room first");
  }
}

v1::Role creator_role(const v1::CreateRoom& req) {
  return req.creator_role() == v1::ROLE_UNSPECIFIED ? v1::ROLE_INTERVIEWER : req.creator_role();
}

std::optional<v1::ServerMessage> check_create_room(const v1::CreateRoom& req, uint32_t request_id) {
  const auto role = creator_role(req);
  if (role != v1::ROLE_INTERVIEWER && role != v1::ROLE_COACH)
    return make_error(request_id, v1::ERROR_CODE_INVALID_ARGUMENT, "a room is created by its interviewer or coach",
                      "creatorRole");
  if (!v1::Level_IsValid(req.target_level()))
    return make_error(request_id, v1::ERROR_CODE_INVALID_ARGUMENT, "target level must be L4 to L7", "targetLevel");
  return std::nullopt;
}

}  // namespace mockloop
