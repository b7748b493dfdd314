// Peer-mock decisions, as pure functions: who is the candidate first, and
// which scenario each round plays. The shell keeps the counts and history
// and calls these when a pair is matched and when round 1 closes.
#pragma once

#include <memory>
#include <set>
#include <string>
#include <vector>

#include "mockloop/core/scenario_loader.h"

namespace mockloop {

struct peer {
  std::string user_id;
  uint32_t interviews_given = 0;            // rounds played as interviewer
  std::vector<v1::RoundType> wanted;        // the round types on their ticket
  v1::Level level = v1::LEVEL_UNSPECIFIED;
  std::set<std::string> played;             // scenario ids already played, either role
};

// Index (0 or 1) of the peer who is candidate in round 1: the one who has
// interviewed less; on a tie, the one who waited longer (index 0, the older
// ticket).
int first_candidate(const peer& older, const peer& newer);

// A scenario of `round` that neither has played, preferring one whose
// levels include the candidate's; if every one of that type was played, the
// first of that type (a repeat beats no mock); null if the library has
// none of that type.
std::shared_ptr<const v1::Scenario> choose_scenario(const scenario_library& lib, v1::RoundType round,
                                                    const peer& candidate, const peer& interviewer);

// Round 2: the new candidate's wanted types, first one with an unplayed
// scenario; falls back to round 1's type.
std::shared_ptr<const v1::Scenario> choose_round_two(const scenario_library& lib, v1::RoundType round_one,
                                                     const peer& candidate, const peer& interviewer);

}  // namespace mockloop
