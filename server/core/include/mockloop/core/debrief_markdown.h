// A debrief record as a readable, printable Markdown document
// (GET /api/debriefs/{id}.md).
#pragma once

#include <string>

#include "mockloop/v1/debrief.pb.h"

namespace mockloop {

std::string render_markdown(const v1::DebriefRecord& record);

// "Strong No", "No", "Yes", "Strong Yes" (or "none").
std::string recommendation_name(v1::Recommendation r);

// The candidate's copy of a record: what they may read after the round
// (scores, evidence, follow-ups asked, the timeline) without the script
// material a later candidate must not know (rubric anchors and signals,
// the interviewer's markers).
v1::DebriefRecord for_candidate(v1::DebriefRecord record);

}  // namespace mockloop
