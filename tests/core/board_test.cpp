// The shared board: last writer wins per property in the server's order,
// removals are final and take their arrows, every bound refuses with a
// typed error, the log rebuilds the same board; and the room's rules for
// who draws when, the debrief's SVG, the reset on a new round.
#include "mockloop/core/board.h"

#include <google/protobuf/text_format.h>
#include <gtest/gtest.h>

#include "mockloop/core/room.h"
#include "requests.h"

namespace mockloop {
namespace {

using testing::arrow;
using testing::box;
using testing::control;
using testing::erase;
using testing::move;
using testing::retext;

constexpr int64_t t0 = 1'800'000'000'000;
constexpr int64_t s = 1000;

board::result put(board& b, const v1::ClientMessage& m, const std::string& by = "ca", board_limits lim = {}) {
  auto r = b.plan(m.board_op(), by, lim);
  for (const auto& op : r.applied) EXPECT_TRUE(b.replay(op)) << op.DebugString();
  return r;
}

const v1::BoardObject* object(const v1::Board& b, const std::string& id) {
  for (const auto& o : b.objects())
    if (o.id() == id) return &o;
  return nullptr;
}

v1::ErrorCode code(const board::result& r) { return r.error ? r.error->code() : v1::ERROR_CODE_UNSPECIFIED; }

TEST(Board, LastWriterWinsPerPropertyInServerOrder) {
  board b;
  ASSERT_FALSE(put(b, box("api", 100, 100, "API")).error);
  ASSERT_FALSE(put(b, move("api", 300, 200), "iv").error);         // the interviewer drags it
  ASSERT_FALSE(put(b, retext("api", "API gateway"), "ca").error);  // the candidate renames it meanwhile
  ASSERT_FALSE(put(b, move("api", 320, 210), "ca").error);         // and drags it last
  const auto snap = b.snapshot("r1", 1);
  const auto* o = object(snap, "api");
  ASSERT_NE(o, nullptr);
  EXPECT_EQ(o->x(), 320);
  EXPECT_EQ(o->y(), 210);
  EXPECT_EQ(o->text(), "API gateway") << "a move does not touch the text";
  EXPECT_EQ(o->w(), 320) << "a new box gets the default size";
  EXPECT_EQ(o->created_by(), "ca");
  EXPECT_EQ(snap.seq(), 4u);
  EXPECT_EQ(o->updated_seq(), 4u);
}

TEST(Board, TheServerSetsSeqAndAuthorWhateverTheClientSent) {
  board b;
  auto m = box("a", 10, 10, "A");
  m.mutable_board_op()->set_seq(999);
  m.mutable_board_op()->set_by_participant_id("someone-else");
  const auto r = put(b, m, "ca");
  ASSERT_EQ(r.applied.size(), 1u);
  EXPECT_EQ(r.applied[0].seq(), 1u);
  EXPECT_EQ(r.applied[0].by_participant_id(), "ca");
}

TEST(Board, ARemovalIsFinalAndTakesItsArrows) {
  board b;
  put(b, box("a", 10, 10, "A"));
  put(b, box("b", 400, 10, "B"));
  put(b, box("c", 400, 400, "C"));
  put(b, arrow("ab", "a", "b", "calls"));
  put(b, arrow("bc", "b", "c"));
  const auto r = put(b, erase("a"));
  ASSERT_FALSE(r.error);
  ASSERT_EQ(r.applied.size(), 2u);
  EXPECT_EQ(r.applied[0].object_id(), "a");
  EXPECT_EQ(r.applied[1].object_id(), "ab");
  EXPECT_TRUE(r.applied[1].remove());
  EXPECT_EQ(r.applied[1].seq(), r.applied[0].seq() + 1);
  const auto snap = b.snapshot("r1", 1);
  EXPECT_EQ(object(snap, "a"), nullptr);
  EXPECT_EQ(object(snap, "ab"), nullptr);
  EXPECT_NE(object(snap, "bc"), nullptr) << "an arrow between the others stays";

  EXPECT_EQ(code(put(b, move("a", 5, 5))), v1::ERROR_CODE_FAILED_PRECONDITION) << "a drag of a removed box loses";
  EXPECT_EQ(code(put(b, box("a", 5, 5, "again"))), v1::ERROR_CODE_FAILED_PRECONDITION) << "ids are not reused";
  const auto again = put(b, erase("a"));
  EXPECT_FALSE(again.error) << "two people deleting the same box is not an error";
  EXPECT_TRUE(again.applied.empty());
}

TEST(Board, EveryBoundRefusesWithATypedErrorAndChangesNothing) {
  board b;
  put(b, box("a", 10, 10, "A"));
  put(b, box("b", 300, 10, "B"));
  put(b, arrow("ab", "a", "b"));
  put(b, [] {
    auto m = box("l", 0, 0, "");
    m.mutable_board_op()->mutable_put()->set_shape(v1::BOARD_SHAPE_LABEL);
    m.mutable_board_op()->mutable_put()->clear_text();
    return m;
  }());
  const auto before = b.snapshot("r1", 1).DebugString();
  struct bad_case {
    const char* what;
    v1::ClientMessage m;
    v1::ErrorCode code;
    const char* field;
  };
  auto with = [](v1::ClientMessage m, auto f) {
    f(*m.mutable_board_op()->mutable_put());
    return m;
  };
  const bad_case cases[] = {
      {"an id with a space", box("a b", 1, 1, ""), v1::ERROR_CODE_INVALID_ARGUMENT, "objectId"},
      {"an id of 33 bytes", box(std::string(33, 'x'), 1, 1, ""), v1::ERROR_CODE_INVALID_ARGUMENT, "objectId"},
      {"no id", box("", 1, 1, ""), v1::ERROR_CODE_MISSING_FIELD, "objectId"},
      {"x off the canvas", box("n", 4001, 1, ""), v1::ERROR_CODE_INVALID_ARGUMENT, "x"},
      {"y negative", move("a", 1, -1), v1::ERROR_CODE_INVALID_ARGUMENT, "y"},
      {"a box 4 units wide", with(box("n", 1, 1, ""), [](auto& p) { p.set_w(4); }), v1::ERROR_CODE_INVALID_ARGUMENT,
       "w"},
      {"text of 201 bytes", retext("a", std::string(201, 't')), v1::ERROR_CODE_FIELD_TOO_LONG, "text"},
      {"a new object without a shape", move("new", 1, 1), v1::ERROR_CODE_MISSING_FIELD, "shape"},
      {"a box made an arrow", with(move("a", 1, 1), [](auto& p) { p.set_shape(v1::BOARD_SHAPE_ARROW); }),
       v1::ERROR_CODE_INVALID_ARGUMENT, "shape"},
      {"an arrow to nothing", arrow("n", "a", "ghost"), v1::ERROR_CODE_NOT_FOUND, "toId"},
      {"an arrow to itself", arrow("n", "a", "a"), v1::ERROR_CODE_INVALID_ARGUMENT, "toId"},
      {"an arrow to an arrow", arrow("n", "a", "ab"), v1::ERROR_CODE_INVALID_ARGUMENT, "toId"},
      {"an arrow without ends", with(retext("n", "x"), [](auto& p) { p.set_shape(v1::BOARD_SHAPE_ARROW); }),
       v1::ERROR_CODE_MISSING_FIELD, "fromId"},
      {"a box without x", with(retext("n", "x"), [](auto& p) { p.set_shape(v1::BOARD_SHAPE_BOX); }),
       v1::ERROR_CODE_MISSING_FIELD, "x"},
      {"a label given a width", with(move("l", 1, 1), [](auto& p) { p.set_w(50); }), v1::ERROR_CODE_INVALID_ARGUMENT,
       "w"},
      {"an arrow given x", move("ab", 1, 1), v1::ERROR_CODE_INVALID_ARGUMENT, "x"},
      {"a box given ends", with(retext("a", "x"), [](auto& p) { p.set_to_id("b"); }), v1::ERROR_CODE_INVALID_ARGUMENT,
       "toId"},
      {"an arrow re-pointed at its own start", with(retext("ab", "x"), [](auto& p) { p.set_to_id("a"); }),
       v1::ERROR_CODE_INVALID_ARGUMENT, "toId"},
      {"neither put nor remove",
       [] {
         v1::ClientMessage m;
         m.mutable_board_op()->set_object_id("a");
         return m;
       }(),
       v1::ERROR_CODE_MISSING_FIELD, "put"},
      {"removing what never was", erase("ghost"), v1::ERROR_CODE_NOT_FOUND, "objectId"},
  };
  for (const auto& c : cases) {
    const auto r = put(b, c.m);
    ASSERT_TRUE(r.error) << c.what;
    EXPECT_EQ(r.error->code(), c.code) << c.what << ": " << r.error->message();
    EXPECT_EQ(r.error->field(), c.field) << c.what;
    EXPECT_FALSE(r.error->message().empty()) << c.what;
    EXPECT_TRUE(r.applied.empty()) << c.what;
  }
  EXPECT_EQ(b.snapshot("r1", 1).DebugString(), before);
}

TEST(Board, ObjectsAndChangesAreBoundedPerRound) {
  board_limits lim;
  lim.max_objects = 3;
  lim.max_ops = 5;
  board b;
  for (const char* id : {"a", "b", "c"}) ASSERT_FALSE(put(b, box(id, 1, 1, id), "ca", lim).error);
  EXPECT_EQ(code(put(b, box("d", 1, 1, "d"), "ca", lim)), v1::ERROR_CODE_FAILED_PRECONDITION) << "full";
  ASSERT_FALSE(put(b, erase("c"), "ca", lim).error);
  EXPECT_EQ(code(put(b, box("d", 1, 1, "d"), "ca", lim)), v1::ERROR_CODE_FAILED_PRECONDITION)
      << "a removed object still counts: the bound is on memory, not on what shows";
  ASSERT_FALSE(put(b, move("a", 2, 2), "ca", lim).error);  // the fifth change
  EXPECT_EQ(code(put(b, move("a", 3, 3), "ca", lim)), v1::ERROR_CODE_FAILED_PRECONDITION) << "changes used up";
  b.clear();
  EXPECT_FALSE(put(b, box("a", 1, 1, "a"), "ca", lim).error) << "a new round starts a new board";
}

TEST(Board, TheLogRebuildsTheSameBoardAndRefusesOpsOutOfOrder) {
  board live;
  std::vector<v1::BoardOp> log;
  auto keep = [&](const board::result& r) {
    for (const auto& o : r.applied) log.push_back(o);
  };
  keep(put(live, box("a", 10, 10, "A")));
  keep(put(live, box("b", 400, 10, "B")));
  keep(put(live, arrow("ab", "a", "b", "rpc")));
  keep(put(live, move("b", 500, 60), "iv"));
  keep(put(live, box("c", 40, 400, "C")));
  keep(put(live, erase("a")));
  board rebuilt;
  for (const auto& o : log) ASSERT_TRUE(rebuilt.replay(o));
  EXPECT_EQ(rebuilt.snapshot("r1", 1).DebugString(), live.snapshot("r1", 1).DebugString());
  EXPECT_FALSE(rebuilt.replay(log[2])) << "an op at or below the board's seq is not from this log";
  auto foreign = log.back();
  foreign.set_seq(100);
  foreign.set_object_id("never-made");
  EXPECT_FALSE(rebuilt.replay(foreign));
}

TEST(BoardSvg, DrawsEveryObjectAndEscapesText) {
  board b;
  put(b, box("a", 100, 100, "<script>alert(1)</script> & \"q\" 'a'"));
  put(b, box("b", 600, 100, "Redis"));
  put(b, arrow("ab", "a", "b", "tokens < 5"));
  auto label = box("l", 100, 400, "p99 > 200ms");
  label.mutable_board_op()->mutable_put()->set_shape(v1::BOARD_SHAPE_LABEL);
  put(b, label);
  const auto svg = render_board_svg(b.snapshot("r1", 1));
  ASSERT_TRUE(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
  EXPECT_TRUE(svg.ends_with("</svg>"));
  EXPECT_EQ(svg.find("<script"), std::string::npos) << svg;
  EXPECT_NE(svg.find("&lt;script&gt;"), std::string::npos);
  EXPECT_NE(svg.find("&amp;"), std::string::npos);
  EXPECT_NE(svg.find("&quot;q&quot;"), std::string::npos);
  EXPECT_NE(svg.find("tokens &lt; 5"), std::string::npos);
  EXPECT_NE(svg.find("p99 &gt; 200ms"), std::string::npos);
  EXPECT_NE(svg.find(">Redis</text>"), std::string::npos);
  EXPECT_NE(svg.find("marker-end=\"url(#head)\""), std::string::npos) << "the arrow is drawn with its head";
  // The arrow leaves box a (100..420 x 100..220) at its right edge and
  // meets b's left (600), at the height of both centres.
  EXPECT_NE(svg.find("x1=\"420\" y1=\"160\" x2=\"600\" y2=\"160\""), std::string::npos) << svg;
  EXPECT_EQ(render_board_svg(board{}.snapshot("r1", 1)), "") << "nothing drawn, no picture";

  const auto lines = describe_board(b.snapshot("r1", 1));
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_EQ(lines[1], "[Redis]");
  EXPECT_EQ(lines[2], "[<script>alert(1)</script> & \"q\" 'a'] -> [Redis]: tokens < 5");
  EXPECT_EQ(lines[3], "\"p99 > 200ms\"");
}

// ---------------------------------------------------------------- in a room

std::shared_ptr<const v1::Scenario> scenario(bool with_sketch) {
  auto sc = std::make_shared<v1::Scenario>();
  const bool ok =
      google::protobuf::TextFormat::ParseFromString(R"pb(
                                                      id: "sd"
                                                      version: 1
                                                      title: "Design it"
                                                      round_type: ROUND_TYPE_SYSTEM_DESIGN
                                                      levels: LEVEL_L5
                                                      candidate { prompt: "Design a rate limiter." }
                                                      phases { id: "clarify" name: "Clarify" duration_seconds: 300 }
                                                      phases { id: "sketch" name: "Sketch it" duration_seconds: 300 }
                                                      phases { id: "deep" name: "Deep dive" duration_seconds: 600 }
                                                      rubric {
                                                        id: "scoping"
                                                        name: "Scoping"
                                                        layer: SCORING_LAYER_SCOPING
                                                        anchors { level: 1 description: "a" }
                                                        anchors { level: 2 description: "b" }
                                                        anchors { level: 3 description: "c" }
                                                        anchors { level: 4 description: "d" }
                                                      }
                                                    )pb",
                                                    sc.get());
  EXPECT_TRUE(ok);
  if (with_sketch) sc->mutable_phases(1)->set_sketch(true);
  return sc;
}

v1::ErrorCode error_of(const room_effects& fx) {
  if (fx.replies.size() != 1 || !fx.replies[0].has_error()) return v1::ERROR_CODE_UNSPECIFIED;
  return fx.replies[0].error().code();
}

room_settings short_briefing() {
  room_settings rs;
  rs.briefing_seconds = 10;
  return rs;
}

class BoardInRoom : public ::testing::Test {
 protected:
  void open(bool with_sketch, v1::Role lead = v1::ROLE_INTERVIEWER) {
    room_.emplace("r1", scenario(with_sketch), short_briefing(), t0);
    room_->join("iv", "Ivy", lead, 1, t0);
    room_->join("ca", "Cal", v1::ROLE_CANDIDATE, 1, t0);
    room_->join("ob", "Obi", v1::ROLE_OBSERVER, 1, t0);
  }
  void start() {
    room_->handle("iv", control(v1::RoomControl::ACTION_START), t0);
    room_->advance(t0 + 10 * s);
    ASSERT_EQ(room_->stage(), v1::ROOM_STAGE_INTERVIEW);
  }
  std::optional<room> room_;
};

TEST_F(BoardInRoom, TheCandidateAndInterviewerDrawDuringTheInterviewObserversWatch) {
  open(false);
  EXPECT_EQ(error_of(room_->handle("ca", box("a", 1, 1, "A"), t0)), v1::ERROR_CODE_FAILED_PRECONDITION)
      << "not before the interview";
  start();
  auto fx = room_->handle("ca", box("a", 1, 1, "A"), t0 + 11 * s);
  ASSERT_EQ(fx.replies.size(), 1u);
  EXPECT_TRUE(fx.replies[0].has_ack());
  ASSERT_EQ(fx.board_ops.size(), 1u) << "the shell sends the op to everyone";
  EXPECT_FALSE(fx.state_changed) << "an op is a BoardUpdate, not a state push";
  EXPECT_TRUE(room_->events().back().has_board_op()) << "kept in the room's log";
  EXPECT_EQ(room_->events().back().participant_id(), "ca");
  EXPECT_TRUE(room_->handle("iv", arrow("x", "a", "a"), t0 + 12 * s).replies[0].has_error());
  EXPECT_FALSE(room_->handle("iv", box("b", 300, 1, "B"), t0 + 12 * s).replies[0].has_error());
  EXPECT_EQ(error_of(room_->handle("ob", box("c", 1, 1, "C"), t0 + 13 * s)), v1::ERROR_CODE_PERMISSION_DENIED);
  EXPECT_FALSE(room_->can_draw("ob"));
  EXPECT_TRUE(room_->can_draw("ca"));
  EXPECT_EQ(room_->board_snapshot().objects_size(), 2);
}

TEST_F(BoardInRoom, ASketchPhaseTimeBoxesTheBoard) {
  open(true);
  start();  // "clarify" runs
  EXPECT_EQ(error_of(room_->handle("ca", box("a", 1, 1, "A"), t0 + 20 * s)), v1::ERROR_CODE_FAILED_PRECONDITION);
  room_->advance(t0 + 310 * s);  // "sketch" starts at 10 + 300 s
  EXPECT_TRUE(room_->candidate_briefing().phases(1).sketch()) << "the candidate's agenda shows the time box";
  EXPECT_TRUE(room_->handle("ca", box("a", 1, 1, "A"), t0 + 311 * s).replies[0].has_ack());
  room_->advance(t0 + 610 * s);  // pens down
  const auto late = room_->handle("ca", move("a", 5, 5), t0 + 611 * s);
  EXPECT_EQ(error_of(late), v1::ERROR_CODE_FAILED_PRECONDITION);
  EXPECT_NE(late.replies[0].error().message().find("sketch phase"), std::string::npos);
  EXPECT_EQ(room_->board_snapshot().objects(0).x(), 1) << "the board stays as it was at pens down";
}

TEST_F(BoardInRoom, TheDebriefCarriesTheBoardAndANewRoundStartsBlank) {
  open(false, v1::ROLE_COACH);
  start();
  room_->handle("ca", box("gw", 100, 100, "Gateway"), t0 + 20 * s);
  room_->handle("ca", box("db", 500, 100, "Store"), t0 + 21 * s);
  room_->handle("ca", arrow("e", "gw", "db", "writes"), t0 + 22 * s);
  room_->advance(t0 + 2000 * s);
  ASSERT_EQ(room_->stage(), v1::ROOM_STAGE_SCORING);
  room_->handle("iv", control(v1::RoomControl::ACTION_REVEAL), t0 + 2001 * s);
  const auto record = room_->debrief_record("r1-1", v1::SESSION_TYPE_GROUP_COACHING, t0 + 2002 * s);
  ASSERT_EQ(record.board().objects_size(), 3);
  EXPECT_NE(record.board_svg().find(">Gateway</text>"), std::string::npos);
  EXPECT_NE(room_->candidate_debrief("r1-1").board_svg().find(">Store</text>"), std::string::npos)
      << "the candidate's debrief has the picture too";
  const auto fx = room_->next_round("iv", nullptr, 9, t0 + 2003 * s);
  EXPECT_TRUE(fx.board_reset);
  EXPECT_EQ(room_->board_snapshot().objects_size(), 0);
  EXPECT_EQ(room_->board_snapshot().round(), 2u);
}

TEST_F(BoardInRoom, ARebuiltRoomHasTheSameBoard) {
  open(false);
  start();
  room_->handle("ca", box("gw", 100, 100, "Gateway"), t0 + 20 * s);
  room_->handle("ca", box("db", 500, 100, "Store"), t0 + 21 * s);
  room_->handle("iv", arrow("e", "gw", "db"), t0 + 22 * s);
  room_->handle("ca", erase("db"), t0 + 23 * s);  // takes the arrow with it
  room_->handle("ca", retext("gw", "API gateway"), t0 + 24 * s);
  room_history h;
  h.events = room_->events();
  h.scenarios[1] = scenario(false);
  const auto rebuilt = room::rebuild("r1", short_briefing(), h);
  ASSERT_TRUE(rebuilt);
  EXPECT_EQ(rebuilt->board_snapshot().DebugString(), room_->board_snapshot().DebugString());
  EXPECT_EQ(rebuilt->board_snapshot().objects_size(), 1);
  EXPECT_EQ(rebuilt->board_snapshot().objects(0).text(), "API gateway");
}

}  // namespace
}  // namespace mockloop
