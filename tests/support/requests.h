// Test support: one-line builders for the client requests the tests send,
// shared by the core (room) and wire (room, matchmaking) tests.
#pragma once

#include <string>
#include <vector>

#include "mockloop/v1/scenario.pb.h"
#include "mockloop/v1/wire.pb.h"

namespace mockloop::testing {

// A request the room took: an Ack; for a note, a draft, a tick or a sealed
// submission the author's own StaffRoomChange with the request id; for a
// clock move or an asked follow-up the room's RoomChange with the request
// id (docs/protocol.md, "Rooms").
inline bool accepted(const v1::ServerMessage& m) {
  return m.has_ack() || (m.request_id() != 0 && (m.has_staff_room_change() || m.has_room_change()));
}

// The follow-ups a message shows as asked: all of a whole view's, or the
// ones a RoomChange adds to the view before it.
inline const google::protobuf::RepeatedPtrField<v1::AskedFollowUp>* asked_in(const v1::ServerMessage& m) {
  if (m.has_room_state()) return &m.room_state().asked();
  if (m.has_staff_room_state()) return &m.staff_room_state().room().asked();
  if (m.has_room_change()) return &m.room_change().asked_added();
  return nullptr;
}

inline bool shows_asked(const v1::ServerMessage& m, const std::string& text) {
  if (const auto* asked = asked_in(m))
    for (const auto& a : *asked)
      if (a.text() == text) return true;
  return false;
}

inline v1::ClientMessage ping(std::string payload = "hi") {
  v1::ClientMessage m;
  m.mutable_ping()->set_payload(std::move(payload));
  return m;
}

// The code for `role` among those a CreateRoom returned.
inline std::string code_for(const v1::RoomCreated& rc, v1::Role role) {
  for (const auto& c : rc.codes())
    if (c.role() == role) return c.code();
  return {};
}

inline v1::ClientMessage enqueue(std::vector<v1::RoundType> rounds, v1::Level level = v1::LEVEL_L5,
                                 std::string language = "en") {
  v1::ClientMessage m;
  for (auto r : rounds) m.mutable_enqueue()->add_rounds(r);
  m.mutable_enqueue()->set_level(level);
  m.mutable_enqueue()->set_language(std::move(language));
  return m;
}

// A scorecard for every rubric dimension of `sc`, with `evidence` in each
// score and the summary (tests look for it), saved as a draft or submitted.
inline v1::ClientMessage scorecard(const v1::Scenario& sc, uint32_t rating, const std::string& evidence, bool submit) {
  v1::ClientMessage m;
  auto* s = m.mutable_save_scorecard();
  s->set_submit(submit);
  for (const auto& d : sc.rubric()) {
    auto* score = s->mutable_scorecard()->add_scores();
    score->set_dimension_id(d.id());
    score->set_rating(rating);
    score->set_evidence(evidence);
  }
  s->mutable_scorecard()->set_recommendation(rating >= 3 ? v1::RECOMMENDATION_YES : v1::RECOMMENDATION_NO);
  s->mutable_scorecard()->set_summary(evidence + " (summary)");
  return m;
}

inline v1::ClientMessage create_room(const std::string& scenario, v1::Role role = v1::ROLE_INTERVIEWER) {
  v1::ClientMessage m;
  m.mutable_create_room()->set_scenario_id(scenario);
  m.mutable_create_room()->set_creator_role(role);
  return m;
}

inline v1::ClientMessage join(const std::string& code) {
  v1::ClientMessage m;
  m.mutable_join_room()->set_code(code);
  return m;
}

inline v1::ClientMessage control(v1::RoomControl::Action a, uint32_t seconds = 0) {
  v1::ClientMessage m;
  m.mutable_room_control()->set_action(a);
  m.mutable_room_control()->set_seconds(seconds);
  return m;
}

inline v1::ClientMessage ask(const std::string& follow_up_id) {
  v1::ClientMessage m;
  m.mutable_ask_follow_up()->set_follow_up_id(follow_up_id);
  return m;
}

inline v1::ClientMessage ask_free(const std::string& text) {
  v1::ClientMessage m;
  m.mutable_ask_follow_up()->set_free_text(text);
  return m;
}

inline v1::ClientMessage tick_marker(const std::string& marker_id) {
  v1::ClientMessage m;
  m.mutable_tick_marker()->set_marker_id(marker_id);
  return m;
}

inline v1::ClientMessage note(const std::string& text) {
  v1::ClientMessage m;
  m.mutable_add_note()->set_text(text);
  return m;
}

inline v1::ClientMessage hot_seat(const std::string& participant_id) {
  v1::ClientMessage m;
  m.mutable_move_hot_seat()->set_participant_id(participant_id);
  return m;
}

// ---- the board
inline v1::ClientMessage box(const std::string& id, int32_t x, int32_t y, const std::string& text) {
  v1::ClientMessage m;
  auto* op = m.mutable_board_op();
  op->set_object_id(id);
  auto* p = op->mutable_put();
  p->set_shape(v1::BOARD_SHAPE_BOX);
  p->set_x(x);
  p->set_y(y);
  p->set_text(text);
  return m;
}

inline v1::ClientMessage arrow(const std::string& id, const std::string& from, const std::string& to,
                               const std::string& text = {}) {
  v1::ClientMessage m;
  auto* op = m.mutable_board_op();
  op->set_object_id(id);
  auto* p = op->mutable_put();
  p->set_shape(v1::BOARD_SHAPE_ARROW);
  p->set_from_id(from);
  p->set_to_id(to);
  if (!text.empty()) p->set_text(text);
  return m;
}

inline v1::ClientMessage move(const std::string& id, int32_t x, int32_t y) {
  v1::ClientMessage m;
  auto* op = m.mutable_board_op();
  op->set_object_id(id);
  op->mutable_put()->set_x(x);
  op->mutable_put()->set_y(y);
  return m;
}

inline v1::ClientMessage retext(const std::string& id, const std::string& text) {
  v1::ClientMessage m;
  m.mutable_board_op()->set_object_id(id);
  m.mutable_board_op()->mutable_put()->set_text(text);
  return m;
}

inline v1::ClientMessage erase(const std::string& id) {
  v1::ClientMessage m;
  m.mutable_board_op()->set_object_id(id);
  m.mutable_board_op()->set_remove(true);
  return m;
}

// ---- the call
inline v1::ClientMessage join_call(bool muted = false) {
  v1::ClientMessage m;
  m.mutable_join_call()->set_muted(muted);
  return m;
}

inline v1::ClientMessage offer(const std::string& to, std::string sdp = "v=0\r\n") {
  v1::ClientMessage m;
  m.mutable_rtc_signal()->set_to_participant_id(to);
  m.mutable_rtc_signal()->mutable_description()->set_type(v1::SessionDescription::TYPE_OFFER);
  m.mutable_rtc_signal()->mutable_description()->set_sdp(std::move(sdp));
  return m;
}

}  // namespace mockloop::testing
