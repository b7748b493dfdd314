// Scheduled mocks over the wire with the real client library: booking,
// pairing with both local times, the calendar feed, check-in into one room,
// a no-show rematched from a standby, typed errors, and bookings kept
// across a restart. The slot grid and the check-in window are shortened by
// config so that a slot is seconds away; the rules are the same.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>

#include "requests.h"
#include "test_server.h"

namespace mockloop::testing {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

constexpr int64_t slot_s = 2;

void tweak(server_config& c) {
  c.scenarios_dir = std::string(MOCKLOOP_SOURCE_DIR) + "/scenarios";
  c.schedule_slot_seconds = slot_s;
  c.schedule_min_lead_seconds = 0;
  c.check_in_before_seconds = 3600;  // open from the moment of booking
  c.check_in_after_seconds = 2;
  c.match_join_timeout_seconds = 30;
  c.messages_per_second = 1000;
}

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The first slot at least `ahead` from now.
int64_t slot_after(std::chrono::milliseconds ahead) {
  const int64_t grid = slot_s * 1000;
  return (now_ms() + ahead.count() + grid - 1) / grid * grid;
}

v1::ClientMessage book(int64_t start, const std::string& zone,
                       std::vector<v1::RoundType> rounds = {v1::ROUND_TYPE_SYSTEM_DESIGN}) {
  v1::ClientMessage m;
  auto* b = m.mutable_book_slot();
  b->set_start_ms(start);
  b->set_time_zone(zone);
  for (auto r : rounds) b->add_rounds(r);
  b->set_level(v1::LEVEL_L5);
  return m;
}

v1::ClientMessage check_in(const std::string& id) {
  v1::ClientMessage m;
  m.mutable_check_in()->set_booking_id(id);
  return m;
}

v1::ClientMessage cancel_booking(const std::string& id) {
  v1::ClientMessage m;
  m.mutable_cancel_booking()->set_booking_id(id);
  return m;
}

v1::ClientMessage list_bookings() {
  v1::ClientMessage m;
  m.mutable_list_bookings();
  return m;
}

struct user {
  std::unique_ptr<client> c;
  std::string key;
};

user connect(test_server& s, const std::string& name, const std::string& key, encoding wire = encoding::json) {
  user u{std::make_unique<client>(s.options(wire)), key};
  EXPECT_TRUE(u.c->connect());
  EXPECT_TRUE(u.c->hello(name, key));
  return u;
}

// Books and returns the new booking as the reply shows it.
v1::Booking booked(client& c, const v1::ClientMessage& m) {
  auto reply = c.request(m);
  EXPECT_TRUE(reply) << (reply ? "" : reply.error().message);
  if (!reply || !reply->has_bookings()) {
    ADD_FAILURE() << (reply ? reply->DebugString() : "no reply");
    return {};
  }
  for (const auto& b : reply->bookings().bookings())
    if (b.booking_id() == reply->bookings().booked_id()) return b;
  ADD_FAILURE() << "the new booking is not in the reply: " << reply->DebugString();
  return {};
}

v1::ErrorCode error_of(client& c, const v1::ClientMessage& m, std::string* field = nullptr) {
  auto reply = c.request(m);
  if (!reply || !reply->has_error()) {
    ADD_FAILURE() << "expected an error, got " << (reply ? reply->DebugString() : reply.error().message);
    return v1::ERROR_CODE_UNSPECIFIED;
  }
  if (field) *field = reply->error().field();
  return reply->error().code();
}

result<v1::ServerMessage> next_update(client& c, v1::BookingStatus status, std::chrono::milliseconds limit = 10s) {
  return c.wait_for(
      [&](const v1::ServerMessage& m) {
        return m.has_booking_update() && m.booking_update().booking().status() == status;
      },
      limit);
}

TEST(Schedule, PartnersArePairedSeeBothLocalTimesAndCheckInToOneRoom) {
  test_server server(tweak);
  auto ada = connect(server, "Ada", "key-ada-0123456789abcdef");
  auto bo = connect(server, "Bo", "key-bo-0123456789abcdef", encoding::binary);
  const auto start = slot_after(20s);

  const auto a = booked(*ada.c, book(start, "Europe/Berlin"));
  EXPECT_EQ(a.status(), v1::BOOKING_STATUS_PENDING);
  EXPECT_EQ(a.start_ms(), start);
  EXPECT_NE(a.local_start().find("(UTC+01:00)"), std::string::npos) << a.local_start();
  const auto b = booked(*bo.c, book(start, "America/New_York", {v1::ROUND_TYPE_SYSTEM_DESIGN}));
  EXPECT_EQ(b.status(), v1::BOOKING_STATUS_PAIRED);
  EXPECT_EQ(b.partner_name(), "Ada");
  EXPECT_EQ(b.partner_time_zone(), "Europe/Berlin");
  EXPECT_NE(b.local_start().find("(UTC-05:00)"), std::string::npos) << b.local_start();
  EXPECT_EQ(b.partner_local_start(), a.local_start());

  auto paired = next_update(*ada.c, v1::BOOKING_STATUS_PAIRED);
  ASSERT_TRUE(paired) << paired.error().message;
  EXPECT_EQ(paired->booking_update().booking().partner_name(), "Bo");
  EXPECT_EQ(paired->booking_update().reason(), "paired with Bo");

  // The calendar feed: the same UID, the pairing as SEQUENCE 1; a made-up
  // feed is not found.
  auto listed = ada.c->request(list_bookings());
  ASSERT_TRUE(listed && listed->has_bookings());
  const auto path = listed->bookings().calendar_path();
  ASSERT_TRUE(path.starts_with("/calendar/") && path.ends_with(".ics")) << path;
  EXPECT_EQ(path.find("key-ada"), std::string::npos) << "the feed must not carry the key";
  const auto feed = http_get(server.port(), path);
  EXPECT_EQ(feed.status, 200u);
  EXPECT_EQ(feed.content_type, "text/calendar; charset=utf-8");
  EXPECT_NE(feed.body.find("UID:" + a.booking_id() + "@mockloop\r\n"), std::string::npos) << feed.body;
  EXPECT_NE(feed.body.find("SEQUENCE:1\r\n"), std::string::npos) << feed.body;
  EXPECT_NE(feed.body.find("with Bo"), std::string::npos);
  EXPECT_EQ(http_get(server.port(), "/calendar/0123456789abcdef0123456789abcdef.ics").status, 404u);
  const auto one = http_get(server.port(), path.substr(0, path.size() - 4) + "/" + a.booking_id() + ".ics");
  EXPECT_EQ(one.status, 200u);
  EXPECT_NE(one.body.find("METHOD:PUBLISH"), std::string::npos);

  // Check-in: the first is told of nothing but the partner's; both in starts.
  ASSERT_TRUE(ada.c->request(check_in(a.booking_id()))->has_bookings());
  auto told = bo.c->wait_for(
      [](const v1::ServerMessage& m) {
        return m.has_booking_update() && m.booking_update().booking().partner_checked_in();
      },
      5s);
  ASSERT_TRUE(told) << told.error().message;
  ASSERT_TRUE(bo.c->request(check_in(b.booking_id()))->has_bookings());
  auto fa = ada.c->wait_for([](const v1::ServerMessage& m) { return m.has_match_found(); }, 5s);
  auto fb = bo.c->wait_for([](const v1::ServerMessage& m) { return m.has_match_found(); }, 5s);
  ASSERT_TRUE(fa && fb);
  EXPECT_EQ(fa->match_found().room_id(), fb->match_found().room_id());
  EXPECT_EQ(fa->match_found().partner_name(), "Bo");
  EXPECT_EQ(fa->match_found().round_type(), v1::ROUND_TYPE_SYSTEM_DESIGN);
  EXPECT_NE(fa->match_found().role(), fb->match_found().role());
  ASSERT_TRUE(ada.c->request(join(fa->match_found().join_code()))->has_joined());
  ASSERT_TRUE(bo.c->request(join(fb->match_found().join_code()))->has_joined());

  // Started counts as attended; the booking names its room.
  EXPECT_TRUE(eventually([&] {
    auto l = ada.c->request(list_bookings());
    return l && l->has_bookings() && l->bookings().bookings_size() == 1 &&
           l->bookings().bookings(0).status() == v1::BOOKING_STATUS_STARTED &&
           l->bookings().bookings(0).room_id() == fa->match_found().room_id() &&
           l->bookings().reliability().attended() == 1;
  }));
}

TEST(Schedule, BadTimesZonesDoubleBookingsAndStrangersGetTypedErrors) {
  test_server server(tweak);
  auto ada = connect(server, "Ada", "key-ada-0123456789abcdef");
  auto eve = connect(server, "Eve", "key-eve-0123456789abcdef");
  const auto start = slot_after(60s);
  std::string field;
  EXPECT_EQ(error_of(*ada.c, book(start + 1, "Europe/Berlin"), &field), v1::ERROR_CODE_INVALID_ARGUMENT);
  EXPECT_EQ(field, "startMs");
  EXPECT_EQ(error_of(*ada.c, book(start - 3'600'000, "Europe/Berlin"), &field), v1::ERROR_CODE_INVALID_ARGUMENT);
  EXPECT_EQ(field, "startMs");
  EXPECT_EQ(error_of(*ada.c, book(start, "Mars/Olympus_Mons"), &field), v1::ERROR_CODE_INVALID_ARGUMENT);
  EXPECT_EQ(field, "timeZone");
  EXPECT_EQ(error_of(*ada.c, book(start, "../../etc/passwd"), &field), v1::ERROR_CODE_INVALID_ARGUMENT);
  EXPECT_EQ(error_of(*ada.c, book(start, "Europe/Berlin", {}), &field), v1::ERROR_CODE_MISSING_FIELD);

  const auto a = booked(*ada.c, book(start, "Europe/Berlin"));
  ASSERT_FALSE(a.booking_id().empty());
  EXPECT_EQ(error_of(*ada.c, book(start + slot_s * 1000, "Europe/Berlin")), v1::ERROR_CODE_FAILED_PRECONDITION)
      << "a second mock inside the first";
  EXPECT_EQ(error_of(*eve.c, cancel_booking(a.booking_id())), v1::ERROR_CODE_PERMISSION_DENIED);
  EXPECT_EQ(error_of(*eve.c, check_in(a.booking_id())), v1::ERROR_CODE_PERMISSION_DENIED);
  EXPECT_EQ(error_of(*eve.c, cancel_booking("no-such-booking")), v1::ERROR_CODE_NOT_FOUND);
  auto listed = eve.c->request(list_bookings());
  ASSERT_TRUE(listed && listed->has_bookings());
  EXPECT_EQ(listed->bookings().bookings_size(), 0) << "Eve sees none of Ada's";

  // No key, no booking: there is no one to hold it for.
  auto anon = server.connect(encoding::json, true, "Anon");
  EXPECT_EQ(error_of(*anon, book(start, "UTC"), &field), v1::ERROR_CODE_FAILED_PRECONDITION);
  EXPECT_EQ(field, "userKey");

  // Ada cancels: the feed keeps the event, cancelled, one sequence on.
  auto cancelled = ada.c->request(cancel_booking(a.booking_id()));
  ASSERT_TRUE(cancelled && cancelled->has_bookings());
  ASSERT_EQ(cancelled->bookings().bookings_size(), 1);
  EXPECT_EQ(cancelled->bookings().bookings(0).status(), v1::BOOKING_STATUS_CANCELLED);
  const auto path = cancelled->bookings().calendar_path();
  const auto one = http_get(server.port(), path.substr(0, path.size() - 4) + "/" + a.booking_id() + ".ics");
  EXPECT_NE(one.body.find("METHOD:CANCEL\r\n"), std::string::npos) << one.body;
  EXPECT_NE(one.body.find("STATUS:CANCELLED\r\n"), std::string::npos);
  EXPECT_NE(one.body.find("SEQUENCE:1\r\n"), std::string::npos);
}

TEST(Schedule, ANoShowIsRecordedAndTheOneWhoCameGetsTheStandby) {
  test_server server(tweak);
  auto ada = connect(server, "Ada", "key-ada-0123456789abcdef");
  auto bo = connect(server, "Bo", "key-bo-0123456789abcdef");
  auto cy = connect(server, "Cy", "key-cy-0123456789abcdef", encoding::binary);
  const auto start = slot_after(3s);
  const auto a = booked(*ada.c, book(start, "Europe/Berlin"));
  const auto b = booked(*bo.c, book(start, "Asia/Kolkata"));
  const auto c = booked(*cy.c, book(start, "America/Sao_Paulo"));
  EXPECT_EQ(b.status(), v1::BOOKING_STATUS_PAIRED);
  EXPECT_EQ(c.status(), v1::BOOKING_STATUS_PENDING) << "Cy is the slot's standby";
  ASSERT_TRUE(ada.c->request(check_in(a.booking_id()))->has_bookings());
  ASSERT_TRUE(cy.c->request(check_in(c.booking_id()))->has_bookings());

  // Bo never checks in: when check-in closes he is a no-show, and Ada and
  // Cy are put together.
  auto no_show = next_update(*bo.c, v1::BOOKING_STATUS_NO_SHOW);
  ASSERT_TRUE(no_show) << no_show.error().message;
  auto fa = ada.c->wait_for([](const v1::ServerMessage& m) { return m.has_match_found(); }, 10s);
  auto fc = cy.c->wait_for([](const v1::ServerMessage& m) { return m.has_match_found(); }, 10s);
  ASSERT_TRUE(fa && fc);
  EXPECT_EQ(fa->match_found().room_id(), fc->match_found().room_id());
  EXPECT_EQ(fa->match_found().partner_name(), "Cy");
  auto listed = bo.c->request(list_bookings());
  ASSERT_TRUE(listed && listed->has_bookings());
  EXPECT_EQ(listed->bookings().reliability().no_shows(), 1u);
  EXPECT_EQ(listed->bookings().reliability().percent(), 0u);
}

// The hour's reminder and then check-in's opening reach every connected
// client of the key, the terminal and a second tab alike.
TEST(Schedule, RemindersReachEveryClientOfTheUser) {
  test_server server([](server_config& c) {
    tweak(c);
    c.check_in_before_seconds = 4;
  });
  auto tab1 = connect(server, "Ada", "key-ada-0123456789abcdef");
  auto tab2 = connect(server, "Ada", "key-ada-0123456789abcdef", encoding::binary);
  const auto start = slot_after(3600s + 3s);
  const auto a = booked(*tab1.c, book(start, "Europe/Berlin"));
  ASSERT_FALSE(a.booking_id().empty());
  for (auto* c : {tab1.c.get(), tab2.c.get()}) {
    auto hour = c->wait_for([](const v1::ServerMessage& m) { return m.has_booking_reminder(); }, 10s);
    ASSERT_TRUE(hour) << hour.error().message;
    EXPECT_EQ(hour->booking_reminder().minutes_before(), 60u);
    EXPECT_EQ(hour->booking_reminder().booking().booking_id(), a.booking_id());
  }
  EXPECT_EQ(error_of(*tab2.c, check_in(a.booking_id())), v1::ERROR_CODE_FAILED_PRECONDITION) << "not open yet";
}

TEST(Schedule, BookingsAndTheRecordOutliveARestart) {
  const auto dir = fs::temp_directory_path() / ("mockloop-schedule-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  auto with_dir = [&](server_config& c) {
    tweak(c);
    c.data_dir = dir.string();
  };
  const auto start = slot_after(3600s);
  std::string id;
  {
    test_server server(with_dir);
    auto ada = connect(server, "Ada", "key-ada-0123456789abcdef");
    id = booked(*ada.c, book(start, "Europe/Berlin")).booking_id();
    ASSERT_FALSE(id.empty());
  }  // the reply came after the write: the booking is on disk
  {
    test_server server(with_dir);
    auto ada = connect(server, "Ada", "key-ada-0123456789abcdef");
    auto listed = ada.c->request(list_bookings());
    ASSERT_TRUE(listed && listed->has_bookings());
    ASSERT_EQ(listed->bookings().bookings_size(), 1);
    EXPECT_EQ(listed->bookings().bookings(0).booking_id(), id);
    EXPECT_EQ(listed->bookings().bookings(0).start_ms(), start);
    EXPECT_EQ(listed->bookings().bookings(0).time_zone(), "Europe/Berlin");
    // And Bo, booking after the restart, is paired with it.
    auto bo = connect(server, "Bo", "key-bo-0123456789abcdef");
    EXPECT_EQ(booked(*bo.c, book(start, "UTC")).partner_name(), "Ada");
  }
  fs::remove_all(dir);
}

}  // namespace
}  // namespace mockloop::testing
