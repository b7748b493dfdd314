// My mocks in the shell: ListMyMocks, GetMyDebrief and RateFeedback, answered
// from the store on the store writer's thread, so an I/O thread never waits
// on SQLite and a read sees every write acknowledged before it. The logic is
// mockloop/core/progress.h; docs/progress.md.
#pragma once

#include <memory>
#include <string>

#include "hub.h"
#include "mockloop/v1/wire.pb.h"
#include "member.h"

namespace mockloop {


// Thread-safe; the reply reaches `s` through deliver_from_room. `user_key`
// is the Hello's: without one there is nothing to list.
void handle_progress(std::shared_ptr<member> s, const hub& h, const std::string& user_key,
                     v1::ClientMessage m);

}  // namespace mockloop
