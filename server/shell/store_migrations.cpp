// Opening the store: WAL, FULL sync, foreign keys, and the schema
// migrations by PRAGMA user_version (append-only: add a migration, never
// edit one).
#include "store.h"

#include <spdlog/spdlog.h>
#include <sqlite3.h>

#include <filesystem>

#include "store_sqlite.h"

namespace mockloop {

using namespace sqlite;

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
  // A checkpoint copies each page once however often the log rewrote it,
  // and whole interviews rewrite the same index pages in every commit: at
  // SQLite's 1,000 pages the writer checkpointed several times a second.
  // 10,000 pages (40 MB of log at most) copies a fraction of that.
  if (!s->exec("PRAGMA wal_autocheckpoint=10000", error)) return nullptr;

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
    transaction tx(*s);
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

int store::schema_version() {
  std::lock_guard lock(mutex_);
  return user_version(db_).value_or(-1);
}

std::string store::journal_mode() {
  std::lock_guard lock(mutex_);
  return query_text(db_, "PRAGMA journal_mode").value_or("");
}

}  // namespace mockloop
