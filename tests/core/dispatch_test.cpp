// Where requests go, without sockets: one place at a time, and what a
// session that is nowhere (or in the wrong place) is told.
#include "mockloop/core/dispatch.h"

#include <gtest/gtest.h>

namespace mockloop {
namespace {

constexpr session_place nowhere{false, false};
constexpr session_place in_room{true, false};
constexpr session_place in_committee{false, true};

v1::ClientMessage msg(void (*fill)(v1::ClientMessage&)) {
  v1::ClientMessage m;
  m.set_request_id(7);
  fill(m);
  return m;
}

const v1::ClientMessage create_room = msg([](auto& m) { m.mutable_create_room()->set_scenario_id("x"); });
const v1::ClientMessage join_room = msg([](auto& m) { m.mutable_join_room()->set_code("c"); });
const v1::ClientMessage enqueue = msg([](auto& m) { m.mutable_enqueue(); });
const v1::ClientMessage cancel_ticket = msg([](auto& m) { m.mutable_cancel_ticket(); });
const v1::ClientMessage book = msg([](auto& m) { m.mutable_book_slot(); });
const v1::ClientMessage my_mocks = msg([](auto& m) { m.mutable_list_my_mocks(); });
const v1::ClientMessage create_committee = msg([](auto& m) { m.mutable_create_committee(); });
const v1::ClientMessage join_committee = msg([](auto& m) { m.mutable_join_committee(); });
const v1::ClientMessage vote = msg([](auto& m) { m.mutable_cast_vote(); });
const v1::ClientMessage note = msg([](auto& m) { m.mutable_add_note()->set_text("n"); });
const v1::ClientMessage next_round = msg([](auto& m) { m.mutable_next_round(); });
const v1::ClientMessage leave = msg([](auto& m) { m.mutable_leave_room(); });
const v1::ClientMessage score = msg([](auto& m) { m.mutable_save_scorecard(); });

void expect_refused(const v1::ClientMessage& m, session_place where, const std::string& text) {
  const auto d = route(m, where);
  ASSERT_EQ(d.to, destination::refused) << m.ShortDebugString();
  ASSERT_TRUE(d.refusal);
  EXPECT_EQ(d.refusal->request_id(), 7u) << "the refusal answers the request";
  EXPECT_EQ(d.refusal->error().code(), v1::ERROR_CODE_FAILED_PRECONDITION);
  EXPECT_EQ(d.refusal->error().message(), text);
}

TEST(Dispatch, FromNowhere) {
  EXPECT_EQ(route(create_room, nowhere).to, destination::create_room);
  EXPECT_EQ(route(join_room, nowhere).to, destination::join_room);
  EXPECT_EQ(route(enqueue, nowhere).to, destination::queue);
  EXPECT_EQ(route(cancel_ticket, nowhere).to, destination::queue);
  EXPECT_EQ(route(book, nowhere).to, destination::schedule);
  EXPECT_EQ(route(my_mocks, nowhere).to, destination::progress);
  EXPECT_EQ(route(create_committee, nowhere).to, destination::create_committee);
  EXPECT_EQ(route(join_committee, nowhere).to, destination::join_committee);
  expect_refused(vote, nowhere, "join a committee first");
  expect_refused(note, nowhere, "join a room first");
  expect_refused(score, nowhere, "join a room first");
  expect_refused(next_round, nowhere, "join a room first");
  expect_refused(leave, nowhere, "not in a room");
}

TEST(Dispatch, OnePlaceAtATime) {
  for (auto where : {in_room, in_committee}) {
    for (const auto* m : {&create_room, &join_room, &enqueue, &create_committee, &join_committee})
      expect_refused(*m, where, "leave your room first");
    // Bookings, My mocks and a ticket's cancel are not places.
    EXPECT_EQ(route(book, where).to, destination::schedule);
    EXPECT_EQ(route(my_mocks, where).to, destination::progress);
    EXPECT_EQ(route(cancel_ticket, where).to, destination::queue);
  }
}

TEST(Dispatch, InARoomEverythingElseIsTheRooms) {
  EXPECT_EQ(route(score, in_room).to, destination::room);
  EXPECT_EQ(route(note, in_room).to, destination::room);
  EXPECT_EQ(route(next_round, in_room).to, destination::next_round);
  EXPECT_EQ(route(leave, in_room).to, destination::leave_room);
  expect_refused(vote, in_room, "join a committee first");
}

TEST(Dispatch, InACommitteeANoteIsTheDiscussion) {
  EXPECT_EQ(route(note, in_committee).to, destination::committee);
  EXPECT_EQ(route(vote, in_committee).to, destination::committee);
  expect_refused(score, in_committee, "join a room first");
  expect_refused(leave, in_committee, "not in a room");
}

TEST(Dispatch, CreateRoomFields) {
  v1::CreateRoom req;
  EXPECT_EQ(creator_role(req), v1::ROLE_INTERVIEWER);
  EXPECT_FALSE(check_create_room(req, 7));
  req.set_creator_role(v1::ROLE_COACH);
  req.set_target_level(v1::LEVEL_L7);
  EXPECT_FALSE(check_create_room(req, 7));
  req.set_creator_role(v1::ROLE_CANDIDATE);
  auto refused = check_create_room(req, 7);
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->error().field(), "creatorRole");
  req.set_creator_role(v1::ROLE_COACH);
  req.set_target_level(static_cast<v1::Level>(3));
  refused = check_create_room(req, 7);
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->error().code(), v1::ERROR_CODE_INVALID_ARGUMENT);
  EXPECT_EQ(refused->error().field(), "targetLevel");
}

}  // namespace
}  // namespace mockloop
