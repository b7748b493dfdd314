// Scheduled-mock bookings, kept whole as BookingRecord blobs.
#include "store.h"

#include <spdlog/spdlog.h>
#include <sqlite3.h>

#include "store_sqlite.h"

namespace mockloop {

using namespace sqlite;

namespace {

constexpr std::string_view upsert_booking_sql =
    "INSERT INTO bookings (booking_id, user_hash, start_ms, record) VALUES (?1, ?2, ?3, ?4) "
    "ON CONFLICT (booking_id) DO UPDATE SET start_ms = excluded.start_ms, record = excluded.record";
constexpr std::string_view select_bookings_sql = "SELECT record FROM bookings ORDER BY start_ms, booking_id";

}  // namespace

bool store::save_booking(const v1::BookingRecord& r, std::string* error) {
  std::string blob;
  if (!r.SerializeToString(&blob)) {
    *error = "save_booking: cannot serialize the booking";
    return false;
  }
  std::lock_guard lock(mutex_);
  return run(
      upsert_booking_sql, "save_booking",
      [&](sqlite3_stmt* st) {
        return bind_text(st, 1, r.booking_id()) && bind_text(st, 2, r.user_hash()) && bind_int(st, 3, r.start_ms()) &&
               bind_blob(st, 4, blob.data(), blob.size());
      },
      error);
}

std::vector<v1::BookingRecord> store::bookings() {
  std::vector<v1::BookingRecord> out;
  std::string error;
  std::lock_guard lock(mutex_);
  auto* s = prepared(select_bookings_sql, &error);
  if (!s) {
    spdlog::warn("[store] bookings: {}", error);
    return out;
  }
  statement_use use(s);
  while (sqlite3_step(s) == SQLITE_ROW) {
    v1::BookingRecord r;
    if (parse_column(s, 0, &r))
      out.push_back(std::move(r));
    else
      spdlog::warn("[store] a stored booking does not parse; skipped");
  }
  return out;
}

}  // namespace mockloop
