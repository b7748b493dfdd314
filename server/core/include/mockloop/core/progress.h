// My mocks: one user's rounds, as they may see them, and their calibration
// as a rater. Pure functions over stored debrief records; the shell reads
// the records (by user key) and the usefulness ratings. docs/progress.md.
#pragma once

#include <string>
#include <vector>

#include "mockloop/v1/debrief.pb.h"
#include "mockloop/v1/progress.pb.h"

namespace mockloop {

// One round a user took part in: the stored record, who they were in it.
struct user_round {
  v1::DebriefRecord record;
  std::string participant_id;
  v1::Role role = v1::ROLE_UNSPECIFIED;
  // Usefulness ratings the round's candidate gave its cards.
  std::vector<v1::UsefulnessRating> ratings;
};

// rounds newest first, as the store lists them. The candidate's rounds go
// through for_candidate, so no rubric anchor, signal or staff-only line
// reaches them; calibration pairs each observer card of a coaching round
// with the coach's card of the same answer.
v1::MyMocks my_mocks(const std::vector<user_round>& rounds);

// The record as this user may read it: the candidate's copy for the
// candidate, the whole record for staff.
v1::MyDebrief my_debrief(v1::DebriefRecord record, v1::Role role);

}  // namespace mockloop
