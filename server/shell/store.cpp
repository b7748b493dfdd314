// The store: one SQLite connection, its prepared statements and the
// transactions every write runs in (docs/rooms.md). Each aggregate keeps
// its SQL in its own file: store_debriefs, store_rooms, store_bookings;
// the schema is in store_migrations.
#include "store.h"

#include <spdlog/spdlog.h>
#include <sqlite3.h>

#include <unistd.h>

#include "store_sqlite.h"

namespace mockloop {

using namespace sqlite;

store::~store() {
  if (lock_fd_ >= 0) {
    // A clean exit: nothing of this instance is left to claim.
    ::unlink(lock_path_.c_str());
    ::close(lock_fd_);
  }
  for (auto& [sql, stmt] : statements_) sqlite3_finalize(stmt);
  // The last connection to close checkpoints the WAL into the main file.
  if (sqlite3_close(db_) != SQLITE_OK) spdlog::warn("[store] close: {}", sqlite3_errmsg(db_));
}

std::string store::fail(std::string_view what) const { return std::string(what) + ": " + sqlite3_errmsg(db_); }

bool store::exec(const char* sql, std::string* error) {
  if (sqlite3_exec(db_, sql, nullptr, nullptr, nullptr) == SQLITE_OK) return true;
  *error = fail(sql);
  return false;
}

bool store::control(std::string_view sql) {
  std::string unused;  // the caller reads sqlite3_errmsg through fail()
  auto* s = prepared(sql, &unused);
  if (!s) return false;
  const int rc = sqlite3_step(s);
  sqlite3_reset(s);
  return rc == SQLITE_DONE;
}

sqlite3_stmt* store::prepared(std::string_view sql, std::string* error) {
  if (auto it = statements_.find(sql); it != statements_.end()) return it->second;
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT, &stmt, nullptr) !=
      SQLITE_OK) {
    *error = fail("preparing statement");
    return nullptr;
  }
  statements_.emplace(sql, stmt);
  return stmt;
}

bool store::atomically(const std::function<bool(std::string*)>& writes, std::string* error) {
  std::lock_guard lock(mutex_);
  transaction tx(*this);
  if (!tx.begin()) {
    *error = fail("begin");
    return false;
  }
  if (!writes(error)) return false;  // rolled back by tx
  if (!tx.commit()) {
    *error = fail("commit");
    return false;
  }
  return true;
}

bool store::in_transaction() {
  std::lock_guard lock(mutex_);
  return sqlite3_get_autocommit(db_) == 0;
}

void store::release_memory() {
  std::lock_guard lock(mutex_);
  sqlite3_db_release_memory(db_);
}

}  // namespace mockloop
