#include "store.h"

#include <spdlog/spdlog.h>
#include <sqlite3.h>

#include <filesystem>

#include "sha256.h"

namespace mockloop {
namespace {

// Migration 1. Key columns are NOT NULL because SQLite, for history's sake,
// lets a non-integer PRIMARY KEY column hold NULL otherwise.
constexpr std::string_view migration_1 = R"sql(
CREATE TABLE scorecards (
  room_id TEXT NOT NULL,
  round INTEGER NOT NULL,
  rater_id TEXT NOT NULL,
  submitted_ms INTEGER NOT NULL,
  card BLOB NOT NULL,
  PRIMARY KEY (room_id, round, rater_id)
);
CREATE TABLE debriefs (
  id TEXT NOT NULL PRIMARY KEY,
  room_id TEXT NOT NULL,
  created_ms INTEGER NOT NULL,
  record BLOB NOT NULL
);
CREATE TABLE debrief_access (
  debrief_id TEXT NOT NULL REFERENCES debriefs (id) ON DELETE CASCADE,
  token_hash BLOB NOT NULL,
  role INTEGER NOT NULL,
  PRIMARY KEY (debrief_id, token_hash)
);
CREATE TABLE room_events (
  room_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  at_ms INTEGER NOT NULL,
  event BLOB NOT NULL,
  PRIMARY KEY (room_id, seq)
);
)sql";

constexpr std::string_view all_migrations[] = {migration_1};

constexpr std::string_view upsert_scorecard_sql =
    "INSERT INTO scorecards (room_id, round, rater_id, submitted_ms, card) VALUES (?1, ?2, ?3, ?4, ?5) "
    "ON CONFLICT (room_id, round, rater_id) DO UPDATE SET submitted_ms = excluded.submitted_ms, card = excluded.card";
constexpr std::string_view select_scorecards_sql =
    "SELECT card FROM scorecards WHERE room_id = ?1 AND round = ?2 ORDER BY submitted_ms, rater_id";
constexpr std::string_view upsert_debrief_sql =
    "INSERT INTO debriefs (id, room_id, created_ms, record) VALUES (?1, ?2, ?3, ?4) "
    "ON CONFLICT (id) DO UPDATE SET room_id = excluded.room_id, created_ms = excluded.created_ms, "
    "record = excluded.record";
constexpr std::string_view upsert_access_sql =
    "INSERT INTO debrief_access (debrief_id, token_hash, role) VALUES (?1, ?2, ?3) "
    "ON CONFLICT (debrief_id, token_hash) DO UPDATE SET role = excluded.role";
constexpr std::string_view select_debrief_sql = "SELECT record FROM debriefs WHERE id = ?1";
constexpr std::string_view select_access_sql =
    "SELECT role FROM debrief_access WHERE debrief_id = ?1 AND token_hash = ?2";
constexpr std::string_view insert_event_sql =
    "INSERT INTO room_events (room_id, seq, at_ms, event) VALUES (?1, ?2, ?3, ?4)";
constexpr std::string_view select_events_sql = "SELECT event FROM room_events WHERE room_id = ?1 ORDER BY seq";

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
bool bind_text(sqlite3_stmt* s, int i, std::string_view v) {
  return sqlite3_bind_text64(s, i, v.data(), v.size(), SQLITE_TRANSIENT, SQLITE_UTF8) == SQLITE_OK;
}
bool bind_blob(sqlite3_stmt* s, int i, const void* data, size_t size) {
  // A null pointer would bind NULL, not an empty blob (an empty message serializes to nothing).
  static constexpr char empty = 0;
  return sqlite3_bind_blob64(s, i, size ? data : &empty, size, SQLITE_TRANSIENT) == SQLITE_OK;
}
bool bind_int(sqlite3_stmt* s, int i, int64_t v) { return sqlite3_bind_int64(s, i, v) == SQLITE_OK; }

template <typename Message>
bool parse_column(sqlite3_stmt* s, int col, Message* out) {
  const void* data = sqlite3_column_blob(s, col);
  const int size = sqlite3_column_bytes(s, col);
  return out->ParseFromArray(data, size);  // null data with size 0 parses as the empty message
}

// The single-row, single-column answer of a PRAGMA, as text.
std::optional<std::string> query_text(sqlite3* db, const char* sql) {
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

std::optional<int> user_version(sqlite3* db) {
  sqlite3_stmt* s = nullptr;
  if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &s, nullptr) != SQLITE_OK) return std::nullopt;
  std::optional<int> out;
  if (sqlite3_step(s) == SQLITE_ROW) out = sqlite3_column_int(s, 0);
  sqlite3_finalize(s);
  return out;
}

// Rolls back unless committed: every early return inside leaves the file as it was.
class transaction {
 public:
  explicit transaction(sqlite3* db) : db_(db) {}
  ~transaction() {
    if (open_) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
  }
  transaction(const transaction&) = delete;
  transaction& operator=(const transaction&) = delete;

  // IMMEDIATE takes the write lock up front, so a second process writing
  // the same file waits in busy_timeout instead of failing on lock upgrade.
  bool begin() { return open_ = sqlite3_exec(db_, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) == SQLITE_OK; }
  bool commit() {
    if (sqlite3_exec(db_, "COMMIT", nullptr, nullptr, nullptr) != SQLITE_OK) return false;
    open_ = false;
    return true;
  }

 private:
  sqlite3* db_;
  bool open_ = false;
};

}  // namespace

std::span<const std::string_view> store::migrations() { return all_migrations; }

std::unique_ptr<store> store::open(const std::string& data_dir, std::string* error) {
  return open(data_dir, migrations(), error);
}

std::unique_ptr<store> store::open(const std::string& data_dir, std::span<const std::string_view> migrations,
                                   std::string* error) {
  std::error_code ec;
  std::filesystem::create_directories(data_dir, ec);
  if (ec) {
    *error = "cannot create data directory " + data_dir + ": " + ec.message();
    return nullptr;
  }
  const auto path = (std::filesystem::path(data_dir) / "mockloop.db").string();

  // NOMUTEX: the connection is only ever used under mutex_, so SQLite's own
  // per-connection mutex would be a second lock around the same thing.
  sqlite3* db = nullptr;
  const int rc =
      sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    *error = "cannot open " + path + ": " + (db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
    sqlite3_close(db);
    return nullptr;
  }
  std::unique_ptr<store> s(new store(db));
  const auto failed = [&](std::string_view what) {
    *error = path + ": " + s->fail(what);
    return nullptr;
  };

  sqlite3_busy_timeout(db, 5000);
  // WAL: a commit appends to the log instead of rewriting pages in place,
  // and readers in other processes are not blocked by our writer.
  const auto mode = query_text(db, "PRAGMA journal_mode=WAL");
  if (!mode || *mode != "wal") {
    *error = path + ": cannot switch to WAL journal mode (got " + mode.value_or(sqlite3_errmsg(db)) + ")";
    return nullptr;
  }
  // FULL, not WAL's customary NORMAL: under NORMAL a commit reaches the disk
  // only at the next checkpoint, so a power cut could lose a scorecard we had
  // already told the rater was saved. FULL syncs the log on every commit;
  // our writes are few and small, so the fsync each is affordable.
  if (!s->exec("PRAGMA synchronous=FULL", error)) return nullptr;
  if (!s->exec("PRAGMA foreign_keys=ON", error)) return nullptr;  // per connection, so on every open

  const auto current = user_version(db);
  if (!current) return failed("reading user_version");
  if (static_cast<size_t>(*current) > migrations.size()) {
    *error = path + ": schema version " + std::to_string(*current) + " is newer than this binary's " +
             std::to_string(migrations.size()) + "; refusing to open it";
    return nullptr;
  }
  // One transaction per migration, with the version bump inside it, so a
  // crash mid-upgrade leaves the file at a version it really has. The
  // version is read again under the write lock in case another process
  // opening the same file has just migrated it.
  for (size_t i = 0; i < migrations.size(); ++i) {
    transaction tx(db);
    if (!tx.begin()) return failed("beginning migration");
    const auto v = user_version(db);
    if (!v) return failed("reading user_version");
    if (static_cast<size_t>(*v) > i) continue;  // already applied; the transaction rolls back harmlessly
    const std::string sql(migrations[i]);
    const std::string bump = "PRAGMA user_version = " + std::to_string(i + 1);
    if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK ||
        sqlite3_exec(db, bump.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK) {
      return failed("migration " + std::to_string(i + 1));
    }
    if (!tx.commit()) return failed("committing migration " + std::to_string(i + 1));
  }
  return s;
}

store::~store() {
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

bool store::save_scorecard(const std::string& room_id, uint32_t round, const v1::Scorecard& card, std::string* error) {
  std::string blob;
  if (!card.SerializeToString(&blob)) {
    *error = "save_scorecard: cannot serialize the scorecard";
    return false;
  }
  std::lock_guard lock(mutex_);
  auto* s = prepared(upsert_scorecard_sql, error);
  if (!s) return false;
  statement_use use(s);
  if (!bind_text(s, 1, room_id) || !bind_int(s, 2, round) || !bind_text(s, 3, card.rater_id()) ||
      !bind_int(s, 4, card.submitted_ms()) || !bind_blob(s, 5, blob.data(), blob.size())) {
    *error = fail("save_scorecard: bind");
    return false;
  }
  // One statement outside BEGIN is its own transaction: SQLITE_DONE means
  // committed, and with synchronous=FULL, synced.
  if (sqlite3_step(s) != SQLITE_DONE) {
    *error = fail("save_scorecard");
    return false;
  }
  return true;
}

std::vector<v1::Scorecard> store::scorecards(const std::string& room_id, uint32_t round) {
  std::vector<v1::Scorecard> out;
  std::string error;
  std::lock_guard lock(mutex_);
  auto* s = prepared(select_scorecards_sql, &error);
  if (!s) {
    spdlog::warn("[store] scorecards: {}", error);
    return out;
  }
  statement_use use(s);
  if (!bind_text(s, 1, room_id) || !bind_int(s, 2, round)) {
    spdlog::warn("[store] scorecards: {}", fail("bind"));
    return out;
  }
  int rc;
  while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
    v1::Scorecard card;
    if (parse_column(s, 0, &card)) {
      out.push_back(std::move(card));
    } else {
      spdlog::warn("[store] room {} round {}: a stored scorecard does not parse; skipped", room_id, round);
    }
  }
  if (rc != SQLITE_DONE) spdlog::warn("[store] scorecards: {}", fail("step"));
  return out;
}

bool store::save_debrief(const v1::DebriefRecord& record, const std::vector<std::pair<std::string, v1::Role>>& access,
                         std::string* error) {
  if (record.id().empty()) {
    *error = "save_debrief: the record has no id";
    return false;
  }
  std::string blob;
  if (!record.SerializeToString(&blob)) {
    *error = "save_debrief: cannot serialize the record";
    return false;
  }
  std::lock_guard lock(mutex_);
  auto* put_record = prepared(upsert_debrief_sql, error);
  auto* put_access = put_record ? prepared(upsert_access_sql, error) : nullptr;
  if (!put_access) return false;

  transaction tx(db_);
  if (!tx.begin()) {
    *error = fail("save_debrief: begin");
    return false;
  }
  {
    statement_use use(put_record);
    // created_ms is when scoring closed, taken from the record: the store
    // keeps no clock of its own.
    if (!bind_text(put_record, 1, record.id()) || !bind_text(put_record, 2, record.room_id()) ||
        !bind_int(put_record, 3, record.closed_ms()) || !bind_blob(put_record, 4, blob.data(), blob.size()) ||
        sqlite3_step(put_record) != SQLITE_DONE) {
      *error = fail("save_debrief: record");
      return false;
    }
  }
  for (const auto& [token, role] : access) {
    // Tokens are long random strings (random_hex), so an unsalted hash is
    // enough: there is no dictionary to run against it.
    const auto hash = sha256(token);
    statement_use use(put_access);
    if (!bind_text(put_access, 1, record.id()) || !bind_blob(put_access, 2, hash.data(), hash.size()) ||
        !bind_int(put_access, 3, role) || sqlite3_step(put_access) != SQLITE_DONE) {
      *error = fail("save_debrief: access");
      return false;
    }
  }
  if (!tx.commit()) {
    *error = fail("save_debrief: commit");
    return false;
  }
  return true;
}

std::optional<v1::DebriefRecord> store::debrief(const std::string& id) {
  std::string error;
  std::lock_guard lock(mutex_);
  auto* s = prepared(select_debrief_sql, &error);
  if (!s) {
    spdlog::warn("[store] debrief: {}", error);
    return std::nullopt;
  }
  statement_use use(s);
  if (!bind_text(s, 1, id)) {
    spdlog::warn("[store] debrief: {}", fail("bind"));
    return std::nullopt;
  }
  const int rc = sqlite3_step(s);
  if (rc == SQLITE_DONE) return std::nullopt;
  if (rc != SQLITE_ROW) {
    spdlog::warn("[store] debrief {}: {}", id, fail("step"));
    return std::nullopt;
  }
  v1::DebriefRecord record;
  if (!parse_column(s, 0, &record)) {
    spdlog::warn("[store] debrief {}: the stored record does not parse", id);
    return std::nullopt;
  }
  return record;
}

std::optional<v1::Role> store::debrief_access(const std::string& id, const std::string& token) {
  // The token is compared as its hash, through the primary-key lookup, not
  // byte by byte in our code: what timing could reveal is how much of a
  // stored SHA-256 an attacker's guess matches, and that does not lead back
  // to any token. So no constant-time comparison is needed here.
  const auto hash = sha256(token);
  std::string error;
  std::lock_guard lock(mutex_);
  auto* s = prepared(select_access_sql, &error);
  if (!s) {
    spdlog::warn("[store] debrief_access: {}", error);
    return std::nullopt;
  }
  statement_use use(s);
  if (!bind_text(s, 1, id) || !bind_blob(s, 2, hash.data(), hash.size())) {
    spdlog::warn("[store] debrief_access: {}", fail("bind"));
    return std::nullopt;
  }
  const int rc = sqlite3_step(s);
  if (rc == SQLITE_DONE) return std::nullopt;
  if (rc != SQLITE_ROW) {
    spdlog::warn("[store] debrief_access {}: {}", id, fail("step"));
    return std::nullopt;
  }
  const auto role = sqlite3_column_int64(s, 0);
  if (role < INT32_MIN || role > INT32_MAX || !v1::Role_IsValid(static_cast<int>(role))) return std::nullopt;
  return static_cast<v1::Role>(role);
}

bool store::append_event(const std::string& room_id, const v1::RoomEvent& e, std::string* error) {
  std::string blob;
  if (!e.SerializeToString(&blob)) {
    *error = "append_event: cannot serialize the event";
    return false;
  }
  std::lock_guard lock(mutex_);
  auto* s = prepared(insert_event_sql, error);
  if (!s) return false;
  statement_use use(s);
  // seq is uint64 on the wire and a signed 64-bit INTEGER here; a room
  // never gets near 2^63 events, so the cast keeps the order.
  if (!bind_text(s, 1, room_id) || !bind_int(s, 2, static_cast<int64_t>(e.seq())) || !bind_int(s, 3, e.at_ms()) ||
      !bind_blob(s, 4, blob.data(), blob.size())) {
    *error = fail("append_event: bind");
    return false;
  }
  if (sqlite3_step(s) != SQLITE_DONE) {
    *error = fail("append_event");
    return false;
  }
  return true;
}

std::vector<v1::RoomEvent> store::events(const std::string& room_id) {
  std::vector<v1::RoomEvent> out;
  std::string error;
  std::lock_guard lock(mutex_);
  auto* s = prepared(select_events_sql, &error);
  if (!s) {
    spdlog::warn("[store] events: {}", error);
    return out;
  }
  statement_use use(s);
  if (!bind_text(s, 1, room_id)) {
    spdlog::warn("[store] events: {}", fail("bind"));
    return out;
  }
  int rc;
  while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
    v1::RoomEvent e;
    if (parse_column(s, 0, &e)) {
      out.push_back(std::move(e));
    } else {
      spdlog::warn("[store] room {}: a stored event does not parse; skipped", room_id);
    }
  }
  if (rc != SQLITE_DONE) spdlog::warn("[store] events: {}", fail("step"));
  return out;
}

int store::schema_version() {
  std::lock_guard lock(mutex_);
  return user_version(db_).value_or(-1);
}

std::string store::journal_mode() {
  std::lock_guard lock(mutex_);
  return query_text(db_, "PRAGMA journal_mode").value_or("");
}

}  // namespace mockloop
