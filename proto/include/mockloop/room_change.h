// Applying a RoomChange to the view it follows, the same way on both ends:
// the server's tests prove that the result equals the whole view the server
// would have sent, and the terminal client and the load generator keep
// their views with it.
#pragma once

#include "mockloop/v1/room.pb.h"

namespace mockloop {

// The version and clock replace the view's; asked follow-ups are appended
// in order. A change for another room is ignored: false.
bool apply_room_change(v1::RoomState& view, const v1::RoomChange& change);

}  // namespace mockloop
