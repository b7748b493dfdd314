#include "mockloop/room_change.h"

namespace mockloop {

bool apply_room_change(v1::RoomState& view, const v1::RoomChange& change) {
  if (change.room_id() != view.room_id()) return false;
  view.set_version(change.version());
  *view.mutable_clock() = change.clock();
  for (const auto& a : change.asked_added()) *view.add_asked() = a;
  return true;
}

}  // namespace mockloop
