#include "store.h"

#include <spdlog/spdlog.h>
#include <sqlite3.h>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <map>

#include "random.h"
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

// Migration 2: what a room needs to be rebuilt after a crash besides its
// event log. Codes and resume tokens are kept as SHA-256 hashes only.
constexpr std::string_view migration_2 = R"sql(
CREATE TABLE rooms (
  room_id TEXT NOT NULL PRIMARY KEY,
  session_type INTEGER NOT NULL,
  created_ms INTEGER NOT NULL,
  closed INTEGER NOT NULL DEFAULT 0,
  owner TEXT NOT NULL DEFAULT ''  -- the server instance running it
);
CREATE INDEX rooms_open_by_owner ON rooms (closed, owner);
CREATE TABLE room_rounds (
  room_id TEXT NOT NULL REFERENCES rooms (room_id) ON DELETE CASCADE,
  round INTEGER NOT NULL,
  scenario BLOB NOT NULL,
  PRIMARY KEY (room_id, round)
);
CREATE TABLE room_codes (
  code_hash BLOB NOT NULL PRIMARY KEY,
  room_id TEXT NOT NULL REFERENCES rooms (room_id) ON DELETE CASCADE,
  role INTEGER NOT NULL
);
CREATE INDEX room_codes_by_room ON room_codes (room_id);
CREATE TABLE resume_tokens (
  token_hash BLOB NOT NULL PRIMARY KEY,
  session_id TEXT NOT NULL,
  room_id TEXT NOT NULL
);
CREATE INDEX resume_tokens_by_room ON resume_tokens (room_id);
CREATE TABLE server_state (
  key TEXT NOT NULL PRIMARY KEY,
  value INTEGER NOT NULL
);
)sql";

// Scheduled mocks: one row per booking, the record as a blob; the user's
// hash and the start are what it is looked up and ordered by.
constexpr std::string_view migration_3 = R"sql(
CREATE TABLE bookings (
  booking_id TEXT NOT NULL PRIMARY KEY,
  user_hash TEXT NOT NULL,
  start_ms INTEGER NOT NULL,
  record BLOB NOT NULL
);
CREATE INDEX bookings_by_user ON bookings (user_hash, start_ms);
)sql";

// My mocks: which user keys (by hash) took part in a debrief's round, and
// as what; written in the debrief's own transaction.
constexpr std::string_view migration_4 = R"sql(
CREATE TABLE debrief_users (
  debrief_id TEXT NOT NULL REFERENCES debriefs (id) ON DELETE CASCADE,
  user_hash TEXT NOT NULL,
  participant_id TEXT NOT NULL,
  role INTEGER NOT NULL,
  closed_ms INTEGER NOT NULL,
  PRIMARY KEY (debrief_id, user_hash)
);
CREATE INDEX debrief_users_by_user ON debrief_users (user_hash, closed_ms);
CREATE TABLE feedback_ratings (
  debrief_id TEXT NOT NULL REFERENCES debriefs (id) ON DELETE CASCADE,
  rater_id TEXT NOT NULL,
  user_hash TEXT NOT NULL,
  usefulness INTEGER NOT NULL,
  comment TEXT NOT NULL,
  rated_ms INTEGER NOT NULL,
  PRIMARY KEY (debrief_id, rater_id)
);
)sql";

constexpr std::string_view all_migrations[] = {migration_1, migration_2, migration_3, migration_4};

constexpr std::string_view upsert_booking_sql =
    "INSERT INTO bookings (booking_id, user_hash, start_ms, record) VALUES (?1, ?2, ?3, ?4) "
    "ON CONFLICT (booking_id) DO UPDATE SET start_ms = excluded.start_ms, record = excluded.record";
constexpr std::string_view select_bookings_sql = "SELECT record FROM bookings ORDER BY start_ms, booking_id";

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
constexpr std::string_view upsert_debrief_user_sql =
    "INSERT INTO debrief_users (debrief_id, user_hash, participant_id, role, closed_ms) "
    "VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (debrief_id, user_hash) DO UPDATE SET "
    "participant_id = excluded.participant_id, role = excluded.role, closed_ms = excluded.closed_ms";
constexpr std::string_view select_user_debriefs_sql =
    "SELECT u.role, d.record, u.participant_id FROM debrief_users u JOIN debriefs d ON d.id = u.debrief_id "
    "WHERE u.user_hash = ?1 ORDER BY u.closed_ms DESC, u.debrief_id DESC LIMIT ?2";
constexpr std::string_view upsert_feedback_rating_sql =
    "INSERT INTO feedback_ratings (debrief_id, rater_id, user_hash, usefulness, comment, rated_ms) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (debrief_id, rater_id) DO UPDATE SET "
    "user_hash = excluded.user_hash, usefulness = excluded.usefulness, comment = excluded.comment, "
    "rated_ms = excluded.rated_ms";
constexpr std::string_view select_feedback_ratings_sql =
    "SELECT rater_id, usefulness, comment, rated_ms FROM feedback_ratings WHERE debrief_id = ?1 ORDER BY rater_id";
constexpr std::string_view select_user_role_sql =
    "SELECT role FROM debrief_users WHERE debrief_id = ?1 AND user_hash = ?2";
constexpr std::string_view select_access_sql =
    "SELECT role FROM debrief_access WHERE debrief_id = ?1 AND token_hash = ?2";
constexpr std::string_view insert_event_sql =
    "INSERT INTO room_events (room_id, seq, at_ms, event) VALUES (?1, ?2, ?3, ?4)";
constexpr std::string_view select_events_sql = "SELECT event FROM room_events WHERE room_id = ?1 ORDER BY seq";

constexpr std::string_view insert_room_sql =
    "INSERT INTO rooms (room_id, session_type, created_ms, owner) VALUES (?1, ?2, ?3, ?4)";
constexpr std::string_view select_other_owners_sql =
    "SELECT DISTINCT owner FROM rooms WHERE closed = 0 AND owner != ?1";
constexpr std::string_view claim_rooms_sql = "UPDATE rooms SET owner = ?2 WHERE closed = 0 AND owner = ?1";
constexpr std::string_view delete_state_sql = "DELETE FROM server_state WHERE key = ?1";
constexpr std::string_view upsert_round_sql =
    "INSERT INTO room_rounds (room_id, round, scenario) VALUES (?1, ?2, ?3) "
    "ON CONFLICT (room_id, round) DO UPDATE SET scenario = excluded.scenario";
constexpr std::string_view insert_code_sql = "INSERT INTO room_codes (code_hash, room_id, role) VALUES (?1, ?2, ?3)";
constexpr std::string_view close_room_sql = "UPDATE rooms SET closed = 1 WHERE room_id = ?1";
constexpr std::string_view drop_room_tokens_sql = "DELETE FROM resume_tokens WHERE room_id = ?1";
constexpr std::string_view select_open_rooms_sql =
    "SELECT room_id, session_type, created_ms FROM rooms WHERE closed = 0 AND owner = ?1 ORDER BY created_ms, room_id";
constexpr std::string_view select_rounds_sql = "SELECT round, scenario FROM room_rounds WHERE room_id = ?1";
constexpr std::string_view select_codes_sql = "SELECT code_hash, role FROM room_codes WHERE room_id = ?1";
constexpr std::string_view select_room_cards_sql = "SELECT round, card FROM scorecards WHERE room_id = ?1";
constexpr std::string_view select_room_tokens_sql =
    "SELECT token_hash, session_id FROM resume_tokens WHERE room_id = ?1";
constexpr std::string_view upsert_token_sql =
    "INSERT INTO resume_tokens (token_hash, session_id, room_id) VALUES (?1, ?2, ?3) "
    "ON CONFLICT (token_hash) DO UPDATE SET session_id = excluded.session_id, room_id = excluded.room_id";
constexpr std::string_view delete_token_sql = "DELETE FROM resume_tokens WHERE token_hash = ?1";
constexpr std::string_view upsert_state_sql =
    "INSERT INTO server_state (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value";
constexpr std::string_view select_state_sql = "SELECT value FROM server_state WHERE key = ?1";

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
    if (!open_) return;
    if (nested_) {
      sqlite3_exec(db_, "ROLLBACK TO nested; RELEASE nested", nullptr, nullptr, nullptr);
    } else {
      sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    }
  }
  transaction(const transaction&) = delete;
  transaction& operator=(const transaction&) = delete;

  // IMMEDIATE takes the write lock up front, so a second process writing
  // the same file waits in busy_timeout instead of failing on lock upgrade.
  // Inside a transaction already open (a group commit, store::atomically) it is
  // a savepoint: it can fail alone, and the outer COMMIT makes it durable.
  bool begin() {
    nested_ = sqlite3_get_autocommit(db_) == 0;
    return open_ = sqlite3_exec(db_, nested_ ? "SAVEPOINT nested" : "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) ==
                   SQLITE_OK;
  }
  bool commit() {
    if (sqlite3_exec(db_, nested_ ? "RELEASE nested" : "COMMIT", nullptr, nullptr, nullptr) != SQLITE_OK) return false;
    open_ = false;
    return true;
  }

 private:
  sqlite3* db_;
  bool open_ = false;
  bool nested_ = false;
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
  s->dir_ = data_dir;
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
  // Tokens are long random strings (random_hex), so an unsalted hash is
  // enough: there is no dictionary to run against it.
  std::vector<std::pair<std::string, v1::Role>> hashed;
  for (const auto& [token, role] : access) {
    const auto hash = sha256(token);
    hashed.emplace_back(std::string(hash.begin(), hash.end()), role);
  }
  return save_debrief_hashed(record, hashed, error);
}

bool store::save_debrief_hashed(const v1::DebriefRecord& record,
                                const std::vector<std::pair<std::string, v1::Role>>& access_hashes,
                                std::string* error, const std::vector<debrief_user>& users) {
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
  auto* put_user = put_access ? prepared(upsert_debrief_user_sql, error) : nullptr;
  if (!put_user) return false;

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
  for (const auto& [hash, role] : access_hashes) {
    statement_use use(put_access);
    if (!bind_text(put_access, 1, record.id()) || !bind_blob(put_access, 2, hash.data(), hash.size()) ||
        !bind_int(put_access, 3, role) || sqlite3_step(put_access) != SQLITE_DONE) {
      *error = fail("save_debrief: access");
      return false;
    }
  }
  for (const auto& u : users) {
    statement_use use(put_user);
    if (!bind_text(put_user, 1, record.id()) || !bind_text(put_user, 2, u.user_hash) ||
        !bind_text(put_user, 3, u.participant_id) || !bind_int(put_user, 4, u.role) ||
        !bind_int(put_user, 5, record.closed_ms()) || sqlite3_step(put_user) != SQLITE_DONE) {
      *error = fail("save_debrief: user");
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

std::vector<store::user_debrief> store::user_debriefs(const std::string& user_hash, size_t limit) {
  std::vector<user_debrief> out;
  std::string error;
  std::lock_guard lock(mutex_);
  auto* s = prepared(select_user_debriefs_sql, &error);
  if (!s) {
    spdlog::warn("[store] user_debriefs: {}", error);
    return out;
  }
  statement_use use(s);
  if (!bind_text(s, 1, user_hash) || !bind_int(s, 2, static_cast<int64_t>(limit))) {
    spdlog::warn("[store] user_debriefs: {}", fail("bind"));
    return out;
  }
  int rc;
  while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
    const auto role = sqlite3_column_int64(s, 0);
    user_debrief d;
    // A row that does not parse is skipped, not fatal: the rest still lists.
    if (role < INT32_MIN || role > INT32_MAX || !v1::Role_IsValid(static_cast<int>(role)) ||
        !parse_column(s, 1, &d.record)) {
      spdlog::warn("[store] user_debriefs: a stored row does not parse");
      continue;
    }
    d.role = static_cast<v1::Role>(role);
    if (const auto* pid = sqlite3_column_text(s, 2)) d.participant_id = reinterpret_cast<const char*>(pid);
    out.push_back(std::move(d));
  }
  if (rc != SQLITE_DONE) spdlog::warn("[store] user_debriefs: {}", fail("step"));
  return out;
}

bool store::save_feedback_rating(const std::string& debrief_id, const std::string& user_hash,
                                 const v1::UsefulnessRating& r, std::string* error) {
  std::lock_guard lock(mutex_);
  auto* s = prepared(upsert_feedback_rating_sql, error);
  if (!s) return false;
  statement_use use(s);
  if (!bind_text(s, 1, debrief_id) || !bind_text(s, 2, r.rater_id()) || !bind_text(s, 3, user_hash) ||
      !bind_int(s, 4, r.usefulness()) || !bind_text(s, 5, r.comment()) || !bind_int(s, 6, r.rated_ms()) ||
      sqlite3_step(s) != SQLITE_DONE) {
    *error = fail("save_feedback_rating");
    return false;
  }
  return true;
}

std::vector<v1::UsefulnessRating> store::feedback_ratings(const std::string& debrief_id) {
  std::vector<v1::UsefulnessRating> out;
  std::string error;
  std::lock_guard lock(mutex_);
  auto* s = prepared(select_feedback_ratings_sql, &error);
  if (!s) {
    spdlog::warn("[store] feedback_ratings: {}", error);
    return out;
  }
  statement_use use(s);
  if (!bind_text(s, 1, debrief_id)) {
    spdlog::warn("[store] feedback_ratings: {}", fail("bind"));
    return out;
  }
  int rc;
  auto text = [&](int col) {
    const auto* t = sqlite3_column_text(s, col);
    return t ? std::string(reinterpret_cast<const char*>(t)) : std::string();
  };
  while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
    auto& r = out.emplace_back();
    r.set_rater_id(text(0));
    r.set_usefulness(static_cast<uint32_t>(std::clamp<int64_t>(sqlite3_column_int64(s, 1), 0, 5)));
    r.set_comment(text(2));
    r.set_rated_ms(sqlite3_column_int64(s, 3));
  }
  if (rc != SQLITE_DONE) spdlog::warn("[store] feedback_ratings: {}", fail("step"));
  return out;
}

std::optional<v1::Role> store::user_role_in(const std::string& debrief_id, const std::string& user_hash) {
  std::string error;
  std::lock_guard lock(mutex_);
  auto* s = prepared(select_user_role_sql, &error);
  if (!s) {
    spdlog::warn("[store] user_role_in: {}", error);
    return std::nullopt;
  }
  statement_use use(s);
  if (!bind_text(s, 1, debrief_id) || !bind_text(s, 2, user_hash)) {
    spdlog::warn("[store] user_role_in: {}", fail("bind"));
    return std::nullopt;
  }
  if (sqlite3_step(s) != SQLITE_ROW) return std::nullopt;
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
    if (parse_column(s, 0, &r)) out.push_back(std::move(r));
    else spdlog::warn("[store] a stored booking does not parse; skipped");
  }
  return out;
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

template <typename Bind>
bool store::run(std::string_view sql, std::string_view what, const Bind& bind, std::string* error) {
  auto* s = prepared(sql, error);
  if (!s) return false;
  statement_use use(s);
  if (!bind(s)) {
    *error = fail(std::string(what) + ": bind");
    return false;
  }
  if (sqlite3_step(s) != SQLITE_DONE) {
    *error = fail(what);
    return false;
  }
  return true;
}

bool store::append_events(const std::string& room_id, std::span<const v1::RoomEvent> events, std::string* error) {
  if (events.empty()) return true;
  std::lock_guard lock(mutex_);
  transaction tx(db_);
  if (!tx.begin()) {
    *error = fail("append_events: begin");
    return false;
  }
  std::string blob;
  for (const auto& e : events) {
    if (!e.SerializeToString(&blob)) {
      *error = "append_events: cannot serialize an event";
      return false;
    }
    const bool ok = run(
        insert_event_sql, "append_events",
        [&](sqlite3_stmt* st) {
          return bind_text(st, 1, room_id) && bind_int(st, 2, static_cast<int64_t>(e.seq())) &&
                 bind_int(st, 3, e.at_ms()) && bind_blob(st, 4, blob.data(), blob.size());
        },
        error);
    if (!ok) return false;
  }
  if (!tx.commit()) {
    *error = fail("append_events: commit");
    return false;
  }
  return true;
}

bool store::create_room(const std::string& room_id, v1::SessionType type, int64_t created_ms,
                        const v1::Scenario& scenario, const std::vector<v1::JoinCode>& codes, std::string* error) {
  std::string blob;
  if (!scenario.SerializeToString(&blob)) {
    *error = "create_room: cannot serialize the scenario";
    return false;
  }
  std::lock_guard lock(mutex_);
  transaction tx(db_);
  if (!tx.begin()) {
    *error = fail("create_room: begin");
    return false;
  }
  if (!run(
          insert_room_sql, "create_room",
          [&](sqlite3_stmt* st) {
            return bind_text(st, 1, room_id) && bind_int(st, 2, type) && bind_int(st, 3, created_ms) &&
                   bind_text(st, 4, instance_id_);
          },
          error))
    return false;
  if (!run(
          upsert_round_sql, "create_room: scenario",
          [&](sqlite3_stmt* st) {
            return bind_text(st, 1, room_id) && bind_int(st, 2, 1) && bind_blob(st, 3, blob.data(), blob.size());
          },
          error))
    return false;
  for (const auto& c : codes) {
    const auto hash = sha256(c.code());
    if (!run(
            insert_code_sql, "create_room: code",
            [&](sqlite3_stmt* st) {
              return bind_blob(st, 1, hash.data(), hash.size()) && bind_text(st, 2, room_id) &&
                     bind_int(st, 3, c.role());
            },
            error))
      return false;
  }
  if (!tx.commit()) {
    *error = fail("create_room: commit");
    return false;
  }
  return true;
}

bool store::save_round_scenario(const std::string& room_id, uint32_t round, const v1::Scenario& scenario,
                                std::string* error) {
  std::string blob;
  if (!scenario.SerializeToString(&blob)) {
    *error = "save_round_scenario: cannot serialize the scenario";
    return false;
  }
  std::lock_guard lock(mutex_);
  return run(
      upsert_round_sql, "save_round_scenario",
      [&](sqlite3_stmt* st) {
        return bind_text(st, 1, room_id) && bind_int(st, 2, round) && bind_blob(st, 3, blob.data(), blob.size());
      },
      error);
}

bool store::close_room(const std::string& room_id, std::string* error) {
  std::lock_guard lock(mutex_);
  transaction tx(db_);
  if (!tx.begin()) {
    *error = fail("close_room: begin");
    return false;
  }
  const auto bind_id = [&](sqlite3_stmt* st) { return bind_text(st, 1, room_id); };
  if (!run(close_room_sql, "close_room", bind_id, error) ||
      !run(drop_room_tokens_sql, "close_room: tokens", bind_id, error))
    return false;
  if (!tx.commit()) {
    *error = fail("close_room: commit");
    return false;
  }
  return true;
}

namespace {

// Rows of a SELECT bound to one room id, each handed to `row`.
template <typename Row>
void select_for_room(sqlite3* db, sqlite3_stmt* s, const std::string& room_id, const char* what, const Row& row) {
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

std::string column_bytes(sqlite3_stmt* s, int col) {
  const auto* data = static_cast<const char*>(sqlite3_column_blob(s, col));
  const int size = sqlite3_column_bytes(s, col);
  return data ? std::string(data, static_cast<size_t>(size)) : std::string();
}

}  // namespace

bool store::start_instance(std::string* error) {
  const auto dir = std::filesystem::path(dir_) / "instances";
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    *error = "cannot create " + dir.string() + ": " + ec.message();
    return false;
  }
  instance_id_ = random_hex(8);
  lock_path_ = (dir / (instance_id_ + ".lock")).string();
  lock_fd_ = ::open(lock_path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (lock_fd_ < 0 || ::flock(lock_fd_, LOCK_EX | LOCK_NB) != 0) {
    *error = "cannot lock " + lock_path_ + ": " + std::strerror(errno);
    return false;
  }
  return true;
}

namespace {

// Whether the server instance `owner` has gone: its lock file is missing,
// or the lock it held died with its process. A dead owner's file is removed.
bool instance_gone(const std::filesystem::path& dir, const std::string& owner) {
  if (owner.empty() || owner.find('/') != std::string::npos || owner.find("..") != std::string::npos) return true;
  const auto path = (dir / (owner + ".lock")).string();
  const int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) return true;
  const bool gone = ::flock(fd, LOCK_EX | LOCK_NB) == 0;
  if (gone) ::unlink(path.c_str());
  ::close(fd);
  return gone;
}

}  // namespace

std::vector<store::room_row> store::claim_orphaned_rooms() {
  std::vector<room_row> out;
  std::string error;
  std::lock_guard lock(mutex_);
  const auto dir = std::filesystem::path(dir_) / "instances";
  // Under the write lock: two servers starting together do not both take
  // the same rooms.
  transaction tx(db_);
  if (!tx.begin()) {
    spdlog::warn("[store] claim_orphaned_rooms: {}", fail("begin"));
    return out;
  }
  std::vector<std::string> owners;
  if (auto* s = prepared(select_other_owners_sql, &error)) {
    statement_use use(s);
    if (bind_text(s, 1, instance_id_))
      while (sqlite3_step(s) == SQLITE_ROW) {
        const auto* o = sqlite3_column_text(s, 0);
        owners.emplace_back(o ? reinterpret_cast<const char*>(o) : "");
      }
  }
  std::map<std::string, int64_t> down_since;  // by room id
  for (const auto& owner : owners) {
    if (!instance_gone(dir, owner)) continue;  // a live server on the same directory: its rooms are its own
    int64_t last_alive = 0;
    if (auto* s = prepared(select_state_sql, &error)) {
      statement_use use(s);
      if (bind_text(s, 1, "heartbeat:" + owner) && sqlite3_step(s) == SQLITE_ROW)
        last_alive = sqlite3_column_int64(s, 0);
    }
    auto* rooms = prepared(select_open_rooms_sql, &error);
    if (!rooms) continue;
    std::vector<room_row> theirs;
    {
      statement_use use(rooms);
      if (!bind_text(rooms, 1, owner)) continue;
      while (sqlite3_step(rooms) == SQLITE_ROW) {
        room_row r;
        const auto* id = sqlite3_column_text(rooms, 0);
        r.room_id = id ? reinterpret_cast<const char*>(id) : "";
        const auto type = sqlite3_column_int(rooms, 1);
        r.type = v1::SessionType_IsValid(type) ? static_cast<v1::SessionType>(type) : v1::SESSION_TYPE_UNSPECIFIED;
        r.created_ms = sqlite3_column_int64(rooms, 2);
        r.down_since_ms = last_alive;
        theirs.push_back(std::move(r));
      }
    }
    const bool claimed =
        run(
            claim_rooms_sql, "claim rooms",
            [&](sqlite3_stmt* st) { return bind_text(st, 1, owner) && bind_text(st, 2, instance_id_); }, &error) &&
        run(
            delete_state_sql, "forget heartbeat",
            [&](sqlite3_stmt* st) { return bind_text(st, 1, "heartbeat:" + owner); }, &error);
    if (!claimed) {
      spdlog::warn("[store] rooms of instance {} not claimed: {}", owner, error);
      return {};
    }
    for (auto& r : theirs) out.push_back(std::move(r));
  }
  if (!tx.commit()) {
    spdlog::warn("[store] claim_orphaned_rooms: {}", fail("commit"));
    return {};
  }
  return out;
}

std::vector<std::pair<uint32_t, v1::Scenario>> store::round_scenarios(const std::string& room_id) {
  std::vector<std::pair<uint32_t, v1::Scenario>> out;
  std::string error;
  std::lock_guard lock(mutex_);
  select_for_room(db_, prepared(select_rounds_sql, &error), room_id, "round_scenarios", [&](sqlite3_stmt* s) {
    v1::Scenario sc;
    if (parse_column(s, 1, &sc))
      out.emplace_back(static_cast<uint32_t>(sqlite3_column_int64(s, 0)), std::move(sc));
    else
      spdlog::warn("[store] room {}: a stored scenario does not parse; skipped", room_id);
  });
  return out;
}

std::vector<std::pair<std::string, v1::Role>> store::room_codes(const std::string& room_id) {
  std::vector<std::pair<std::string, v1::Role>> out;
  std::string error;
  std::lock_guard lock(mutex_);
  select_for_room(db_, prepared(select_codes_sql, &error), room_id, "room_codes", [&](sqlite3_stmt* s) {
    const auto role = sqlite3_column_int(s, 1);
    if (v1::Role_IsValid(role)) out.emplace_back(column_bytes(s, 0), static_cast<v1::Role>(role));
  });
  return out;
}

std::vector<std::pair<uint32_t, v1::Scorecard>> store::room_scorecards(const std::string& room_id) {
  std::vector<std::pair<uint32_t, v1::Scorecard>> out;
  std::string error;
  std::lock_guard lock(mutex_);
  select_for_room(db_, prepared(select_room_cards_sql, &error), room_id, "room_scorecards", [&](sqlite3_stmt* s) {
    v1::Scorecard card;
    if (parse_column(s, 1, &card)) out.emplace_back(static_cast<uint32_t>(sqlite3_column_int64(s, 0)), std::move(card));
  });
  return out;
}

bool store::save_resume_token(const std::string& token_hash, const std::string& session_id, const std::string& room_id,
                              std::string* error) {
  std::lock_guard lock(mutex_);
  return run(
      upsert_token_sql, "save_resume_token",
      [&](sqlite3_stmt* st) {
        return bind_blob(st, 1, token_hash.data(), token_hash.size()) && bind_text(st, 2, session_id) &&
               bind_text(st, 3, room_id);
      },
      error);
}

bool store::drop_resume_token(const std::string& token_hash, std::string* error) {
  std::lock_guard lock(mutex_);
  return run(
      delete_token_sql, "drop_resume_token",
      [&](sqlite3_stmt* st) { return bind_blob(st, 1, token_hash.data(), token_hash.size()); }, error);
}

std::vector<std::pair<std::string, std::string>> store::resume_tokens(const std::string& room_id) {
  std::vector<std::pair<std::string, std::string>> out;
  std::string error;
  std::lock_guard lock(mutex_);
  select_for_room(db_, prepared(select_room_tokens_sql, &error), room_id, "resume_tokens", [&](sqlite3_stmt* s) {
    const auto* sid = sqlite3_column_text(s, 1);
    out.emplace_back(column_bytes(s, 0), sid ? reinterpret_cast<const char*>(sid) : "");
  });
  return out;
}

bool store::atomically(const std::function<bool(std::string*)>& writes, std::string* error) {
  std::lock_guard lock(mutex_);
  transaction tx(db_);
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

bool store::set_heartbeat(int64_t ms, std::string* error) {
  std::lock_guard lock(mutex_);
  return run(
      upsert_state_sql, "set_heartbeat",
      [&](sqlite3_stmt* st) { return bind_text(st, 1, "heartbeat:" + instance_id_) && bind_int(st, 2, ms); }, error);
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
