// Rooms: their rows, codes, event logs and round scenarios; resume tokens;
// the instances that own them and the heartbeat that tells a restart how
// long the server was down.
#include "store.h"

#include <spdlog/spdlog.h>
#include <sqlite3.h>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "random.h"
#include "sha256.h"

#include "store_sqlite.h"

namespace mockloop {

using namespace sqlite;

namespace {

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

bool store::append_events(const std::string& room_id, std::span<const encoded_event> events, std::string* error) {
  if (events.empty()) return true;
  std::lock_guard lock(mutex_);
  transaction tx(*this);
  if (!tx.begin()) {
    *error = fail("append_events: begin");
    return false;
  }
  for (const auto& e : events) {
    const bool ok = run(
        insert_event_sql, "append_events",
        [&](sqlite3_stmt* st) {
          return bind_text(st, 1, room_id) && bind_int(st, 2, static_cast<int64_t>(e.seq)) &&
                 bind_int(st, 3, e.at_ms) && bind_blob(st, 4, e.bytes.data(), e.bytes.size());
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
  transaction tx(*this);
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
  transaction tx(*this);
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

std::vector<store::room_row> store::claim_orphaned_rooms() {
  std::vector<room_row> out;
  std::string error;
  std::lock_guard lock(mutex_);
  const auto dir = std::filesystem::path(dir_) / "instances";
  // Under the write lock: two servers starting together do not both take
  // the same rooms.
  transaction tx(*this);
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

bool store::set_heartbeat(int64_t ms, std::string* error) {
  std::lock_guard lock(mutex_);
  return run(
      upsert_state_sql, "set_heartbeat",
      [&](sqlite3_stmt* st) { return bind_text(st, 1, "heartbeat:" + instance_id_) && bind_int(st, 2, ms); }, error);
}

}  // namespace mockloop
