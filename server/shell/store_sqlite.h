// The SQLite wrappers the store's files share: statement resets, bindings,
// columns, transactions and savepoints. Private to server/shell: only the
// store's own .cpp files include it, and nothing of SQLite leaves them.
#pragma once

#include <sqlite3.h>

#include <optional>
#include <string>
#include <string_view>

#include <spdlog/spdlog.h>

#include "store.h"

namespace mockloop::sqlite {

// Resets a cached statement when the call is done with it: ready for the
// next caller, and a half-read SELECT no longer pins a WAL snapshot (which
// would stop checkpoints).
class statement_use {
 public:
  explicit statement_use(sqlite3_stmt* s) : s_(s) {}
  ~statement_use() {
    if (s_) {
      sqlite3_reset(s_);
      sqlite3_clear_bindings(s_);
    }
  }
  statement_use(const statement_use&) = delete;
  statement_use& operator=(const statement_use&) = delete;

 private:
  sqlite3_stmt* s_;
};

// Bindings copy their bytes (SQLITE_TRANSIENT): the values are small and
// the copy spares reasoning about lifetimes against the reset above.
inline bool bind_text(sqlite3_stmt* s, int i, std::string_view v) {
  return sqlite3_bind_text64(s, i, v.data(), v.size(), SQLITE_TRANSIENT, SQLITE_UTF8) == SQLITE_OK;
}
inline bool bind_blob(sqlite3_stmt* s, int i, const void* data, size_t size) {
  // A null pointer would bind NULL, not an empty blob (an empty message serializes to nothing).
  static constexpr char empty = 0;
  return sqlite3_bind_blob64(s, i, size ? data : &empty, size, SQLITE_TRANSIENT) == SQLITE_OK;
}
inline bool bind_int(sqlite3_stmt* s, int i, int64_t v) { return sqlite3_bind_int64(s, i, v) == SQLITE_OK; }

template <typename Message>
inline bool parse_column(sqlite3_stmt* s, int col, Message* out) {
  const void* data = sqlite3_column_blob(s, col);
  const int size = sqlite3_column_bytes(s, col);
  return out->ParseFromArray(data, size);  // null data with size 0 parses as the empty message
}

// The single-row, single-column answer of a PRAGMA, as text.
inline std::optional<std::string> query_text(sqlite3* db, const char* sql) {
  sqlite3_stmt* s = nullptr;
  if (sqlite3_prepare_v2(db, sql, -1, &s, nullptr) != SQLITE_OK) return std::nullopt;
  std::optional<std::string> out;
  if (sqlite3_step(s) == SQLITE_ROW) {
    const auto* text = sqlite3_column_text(s, 0);
    out = text ? std::string(reinterpret_cast<const char*>(text)) : std::string();
  }
  sqlite3_finalize(s);
  return out;
}

inline std::optional<int> user_version(sqlite3* db) {
  sqlite3_stmt* s = nullptr;
  if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &s, nullptr) != SQLITE_OK) return std::nullopt;
  std::optional<int> out;
  if (sqlite3_step(s) == SQLITE_ROW) out = sqlite3_column_int(s, 0);
  sqlite3_finalize(s);
  return out;
}

// Rolls back unless committed: every early return inside leaves the file as it was.
// Its statements come from the store's cache: the writer runs two of these
// per write, and parsing "SAVEPOINT nested" each time was an eighth of its time.
class transaction {
 public:
  explicit transaction(store& s) : s_(s) {}
  ~transaction() {
    if (!open_) return;
    if (nested_) {
      s_.control("ROLLBACK TO nested");
      s_.control("RELEASE nested");
    } else {
      s_.control("ROLLBACK");
    }
  }
  transaction(const transaction&) = delete;
  transaction& operator=(const transaction&) = delete;

  // IMMEDIATE takes the write lock up front, so a second process writing
  // the same file waits in busy_timeout instead of failing on lock upgrade.
  // Inside a transaction already open (a group commit, store::atomically) it is
  // a savepoint: it can fail alone, and the outer COMMIT makes it durable.
  bool begin() {
    nested_ = sqlite3_get_autocommit(s_.db_) == 0;
    return open_ = s_.control(nested_ ? "SAVEPOINT nested" : "BEGIN IMMEDIATE");
  }
  bool commit() {
    if (!s_.control(nested_ ? "RELEASE nested" : "COMMIT")) return false;
    open_ = false;
    return true;
  }

 private:
  store& s_;
  bool open_ = false;
  bool nested_ = false;
};

// Rows of a SELECT bound to one room id, each handed to `row`.
template <typename Row>
inline void select_for_room(sqlite3* db, sqlite3_stmt* s, const std::string& room_id, const char* what,
                            const Row& row) {
  if (!s) return;
  statement_use use(s);
  if (!bind_text(s, 1, room_id)) {
    spdlog::warn("[store] {}: bind: {}", what, sqlite3_errmsg(db));
    return;
  }
  int rc;
  while ((rc = sqlite3_step(s)) == SQLITE_ROW) row(s);
  if (rc != SQLITE_DONE) spdlog::warn("[store] {}: {}", what, sqlite3_errmsg(db));
}

inline std::string column_bytes(sqlite3_stmt* s, int col) {
  const auto* data = static_cast<const char*>(sqlite3_column_blob(s, col));
  const int size = sqlite3_column_bytes(s, col);
  return data ? std::string(data, static_cast<size_t>(size)) : std::string();
}

}  // namespace mockloop::sqlite

namespace mockloop {

template <typename Bind>
bool store::run(std::string_view sql, std::string_view what, const Bind& bind, std::string* error) {
  auto* s = prepared(sql, error);
  if (!s) return false;
  sqlite::statement_use use(s);
  if (!bind(s)) {
    // Built in steps: GCC 12 warns falsely (-Warray-bounds) on what + ": bind" here.
    std::string step(what);
    step.append(": bind");
    *error = fail(step);
    return false;
  }
  if (sqlite3_step(s) != SQLITE_DONE) {
    *error = fail(what);
    return false;
  }
  return true;
}

}  // namespace mockloop
