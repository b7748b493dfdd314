#include "mockloop/staff_change.h"

#include <algorithm>
#include <string>

namespace mockloop {
namespace {

// Adds s to a sorted list of ids unless it is there already.
void add_sorted(google::protobuf::RepeatedPtrField<std::string>& ids, const std::string& s) {
  const auto at = std::lower_bound(ids.begin(), ids.end(), s);
  if (at != ids.end() && *at == s) return;
  const auto index = static_cast<int>(at - ids.begin());
  *ids.Add() = s;
  // Rotate the new last element into place.
  for (int i = ids.size() - 1; i > index; --i) ids.SwapElements(i, i - 1);
}

void put_card(google::protobuf::RepeatedPtrField<v1::Scorecard>& cards, const v1::Scorecard& card) {
  const auto at = std::lower_bound(cards.begin(), cards.end(), card.rater_id(),
                                   [](const v1::Scorecard& c, const std::string& id) { return c.rater_id() < id; });
  if (at != cards.end() && at->rater_id() == card.rater_id()) {
    *at = card;
    return;
  }
  const auto index = static_cast<int>(at - cards.begin());
  *cards.Add() = card;
  for (int i = cards.size() - 1; i > index; --i) cards.SwapElements(i, i - 1);
}

}  // namespace

bool apply_staff_change(v1::StaffRoomState& view, const v1::StaffRoomChange& change) {
  if (change.room_id() != view.room().room_id()) return false;
  for (const auto& n : change.notes_added()) *view.add_notes() = n;
  if (change.has_my_scorecard()) *view.mutable_my_scorecard() = change.my_scorecard();
  for (const auto& c : change.live_scorecards()) put_card(*view.mutable_live_scorecards(), c);
  for (const auto& m : change.ticked_markers()) add_sorted(*view.mutable_ticked_markers(), m);
  for (const auto& id : change.submitted_by()) add_sorted(*view.mutable_submitted_by(), id);
  if (change.expected_raters_size() > 0) *view.mutable_expected_raters() = change.expected_raters();
  return true;
}

}  // namespace mockloop
