#include "mockloop/core/peer_mock.h"

#include <algorithm>

namespace mockloop {

int first_candidate(const peer& older, const peer& newer) {
  return newer.interviews_given < older.interviews_given ? 1 : 0;
}

std::shared_ptr<const v1::Scenario> choose_scenario(const scenario_library& lib, v1::RoundType round,
                                                    const peer& candidate, const peer& interviewer) {
  std::shared_ptr<const v1::Scenario> unplayed, any;
  for (const auto& sc : lib.scenarios) {
    if (sc->round_type() != round) continue;
    if (!any) any = sc;
    if (candidate.played.count(sc->id()) || interviewer.played.count(sc->id())) continue;
    const auto& levels = sc->levels();
    if (std::find(levels.begin(), levels.end(), candidate.level) != levels.end()) return sc;
    if (!unplayed) unplayed = sc;
  }
  return unplayed ? unplayed : any;
}

std::shared_ptr<const v1::Scenario> choose_round_two(const scenario_library& lib, v1::RoundType round_one,
                                                     const peer& candidate, const peer& interviewer) {
  for (auto r : candidate.wanted) {
    auto sc = choose_scenario(lib, r, candidate, interviewer);
    if (sc && !candidate.played.count(sc->id()) && !interviewer.played.count(sc->id())) return sc;
  }
  return choose_scenario(lib, round_one, candidate, interviewer);
}

}  // namespace mockloop
