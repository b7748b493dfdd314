// Applying a StaffRoomChange to the StaffRoomState it follows, the same way
// on both ends: the server's tests prove that the result equals the whole
// view the server would have sent, and the terminal client keeps its view
// with it.
#pragma once

#include "mockloop/v1/room.pb.h"

namespace mockloop {

// Notes are appended in order; a scorecard replaces the one of the same
// rater (live cards are kept in rater-id order, as the server lists them);
// ticked markers and submitters are added once each, in the server's order
// (sorted); a list of expected raters replaces the old one. A change for
// another room is ignored: false.
bool apply_staff_change(v1::StaffRoomState& view, const v1::StaffRoomChange& change);

}  // namespace mockloop
