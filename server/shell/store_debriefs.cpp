// Scorecards, debrief records, who may read them, and My mocks' links
// from users to their rounds and the usefulness ratings of cards.
#include "store.h"

#include <spdlog/spdlog.h>
#include <sqlite3.h>

#include <algorithm>

#include "sha256.h"
#include "store_sqlite.h"

namespace mockloop {

using namespace sqlite;

namespace {

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

}  // namespace

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
                                const std::vector<std::pair<std::string, v1::Role>>& access_hashes, std::string* error,
                                const std::vector<debrief_user>& users) {
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

  transaction tx(*this);
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

}  // namespace mockloop
