// The embedded store: scorecards, debriefs with their access tokens, and the
// rooms' event logs, in one SQLite file under the data directory. Records are
// kept as serialized protobuf blobs; the columns beside them are the keys they
// are looked up and ordered by.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "mockloop/v1/debrief.pb.h"
#include "mockloop/v1/progress.pb.h"
#include "mockloop/v1/room.pb.h"
#include "mockloop/v1/schedule.pb.h"
#include "mockloop/v1/scoring.pb.h"

struct sqlite3;
struct sqlite3_stmt;

namespace mockloop {

namespace sqlite {
class transaction;
}

// Every method is safe to call from any thread. Failures are returned, never
// thrown: writes return false with SQLite's message in *error; reads return
// nothing (and log why) since callers can only treat that as "not found".
class store {
 public:
  // Creates data_dir if missing, opens data_dir/mockloop.db and brings its
  // schema up to date. Returns null with *error set if any step fails,
  // including a file written by a newer binary (its schema is unknown here).
  static std::unique_ptr<store> open(const std::string& data_dir, std::string* error);

  // The schema, oldest first: migration i takes user_version i to i + 1.
  // Append only; a shipped migration is never edited.
  static std::span<const std::string_view> migrations();
  // open() with a given migration list, for tests that stage older and newer files.
  static std::unique_ptr<store> open(const std::string& data_dir, std::span<const std::string_view> migrations,
                                     std::string* error);

  ~store();
  store(const store&) = delete;
  store& operator=(const store&) = delete;

  // Inserts or replaces the card of (room, round, card.rater_id()). Returns
  // true only once the write is committed and synced.
  bool save_scorecard(const std::string& room_id, uint32_t round, const v1::Scorecard& card, std::string* error);
  // The cards of a round, in submission order (drafts, submitted_ms 0, first), then by rater id.
  std::vector<v1::Scorecard> scorecards(const std::string& room_id, uint32_t round);

  // Inserts or replaces the record, and grants each token its role on it
  // (re-granting a token changes its role; tokens not listed keep theirs).
  // Only SHA-256 hashes of the tokens are stored. One transaction.
  bool save_debrief(const v1::DebriefRecord& record, const std::vector<std::pair<std::string, v1::Role>>& access,
                    std::string* error);
  std::optional<v1::DebriefRecord> debrief(const std::string& id);
  // The role `token` was granted on debrief `id`, if any.
  std::optional<v1::Role> debrief_access(const std::string& id, const std::string& token);

  // My mocks: the debriefs a user (by hash) took part in, newest first,
  // with their role; and their role in one, if they took part.
  struct debrief_user {
    std::string user_hash;       // user_hash_of(user key)
    std::string participant_id;  // theirs in the record (a card's rater_id)
    v1::Role role = v1::ROLE_UNSPECIFIED;
  };
  struct user_debrief {
    v1::DebriefRecord record;
    std::string participant_id;
    v1::Role role = v1::ROLE_UNSPECIFIED;
  };
  std::vector<user_debrief> user_debriefs(const std::string& user_hash, size_t limit);
  std::optional<v1::Role> user_role_in(const std::string& debrief_id, const std::string& user_hash);
  // Feedback on feedback: the candidate's rating of one card (by its
  // rater_id; a second rating replaces the first), and a debrief's ratings.
  bool save_feedback_rating(const std::string& debrief_id, const std::string& user_hash,
                            const v1::UsefulnessRating& r, std::string* error);
  std::vector<v1::UsefulnessRating> feedback_ratings(const std::string& debrief_id);

  // Appends e under (room_id, e.seq()); a seq already stored is an error,
  // since the log is append-only and a repeat means the caller lost count.
  // Scheduled mocks: inserts or replaces a booking; all of them, by start.
  bool save_booking(const v1::BookingRecord& r, std::string* error);
  std::vector<v1::BookingRecord> bookings();

  bool append_event(const std::string& room_id, const v1::RoomEvent& e, std::string* error);
  // The room's events in seq order.
  std::vector<v1::RoomEvent> events(const std::string& room_id);

  // An event serialised by its room, so the writer thread gets one string
  // to store and free rather than a copy of the message to encode and tear down.
  struct encoded_event {
    uint64_t seq = 0;
    int64_t at_ms = 0;
    std::string bytes;  // v1::RoomEvent
  };
  // Several events in one transaction: all stored, or none.
  bool append_events(const std::string& room_id, std::span<const encoded_event> events, std::string* error);

  // ---- Restart recovery (docs/rooms.md): what rebuilds a room besides its log.

  // A new room, its round-1 scenario and its join codes (only their SHA-256
  // hashes are stored), in one transaction.
  bool create_room(const std::string& room_id, v1::SessionType type, int64_t created_ms, const v1::Scenario& scenario,
                   const std::vector<v1::JoinCode>& codes, std::string* error);
  // The scenario of a later round (group coaching), when the coach changed it.
  bool save_round_scenario(const std::string& room_id, uint32_t round, const v1::Scenario& scenario,
                           std::string* error);
  // A closed room is not rebuilt, and its resume tokens go.
  bool close_room(const std::string& room_id, std::string* error);
  // This process as a server instance: a random id, and a lock file under
  // data_dir/instances/ held while it runs, by which another process tells
  // whether it is still alive. Rooms created after this are owned by it.
  bool start_instance(std::string* error);
  const std::string& instance_id() const { return instance_id_; }
  struct room_row {
    std::string room_id;
    v1::SessionType type = v1::SESSION_TYPE_UNSPECIFIED;
    int64_t created_ms = 0;
    int64_t down_since_ms = 0;  // its owner's last heartbeat; 0 if none was written
  };
  // The open rooms of instances that have died (their lock is free), now
  // owned by this one; rooms of a live server on the same directory are left alone.
  std::vector<room_row> claim_orphaned_rooms();
  std::vector<std::pair<uint32_t, v1::Scenario>> round_scenarios(const std::string& room_id);
  // (SHA-256 of the code, role).
  std::vector<std::pair<std::string, v1::Role>> room_codes(const std::string& room_id);
  // Every stored card of the room, with its round.
  std::vector<std::pair<uint32_t, v1::Scorecard>> room_scorecards(const std::string& room_id);

  // Resume tokens of sessions in rooms, by SHA-256 hash: a client that
  // reconnects after a restart takes its seat back with its token.
  bool save_resume_token(const std::string& token_hash, const std::string& session_id, const std::string& room_id,
                         std::string* error);
  bool drop_resume_token(const std::string& token_hash, std::string* error);
  // (token hash, session id) of the room's sessions.
  std::vector<std::pair<std::string, std::string>> resume_tokens(const std::string& room_id);

  // This instance's last sign of life (Unix ms), written once a second.
  bool set_heartbeat(int64_t ms, std::string* error);

  // save_debrief with access given as SHA-256 hashes already; `users`
  // links the record to the user keys (by user_hash_of) who took part, with
  // their role, for My mocks.
  bool save_debrief_hashed(const v1::DebriefRecord& record,
                           const std::vector<std::pair<std::string, v1::Role>>& access_hashes, std::string* error,
                           const std::vector<debrief_user>& users = {});

  // Runs `writes` (calls of this store's methods) as one transaction, or,
  // inside one already open, as a savepoint: all of it or nothing. False
  // (and nothing stored) if writes returns false or the commit fails.
  // Group commit nests these: one per write inside one per batch.
  bool atomically(const std::function<bool(std::string*)>& writes, std::string* error);
  // Whether a transaction is open: after some errors SQLite rolls back the
  // whole transaction by itself, and what follows would commit on its own.
  bool in_transaction();

  // Gives the connection's unused page cache back to the heap.
  void release_memory();

  // Diagnostics: the file's PRAGMA user_version and journal_mode ("wal").
  int schema_version();
  std::string journal_mode();

 private:
  explicit store(sqlite3* db) : db_(db) {}

  // The cached statement for `sql` (a string literal: the cache keys on its
  // text), prepared on first use. Null with *error set if it does not prepare.
  sqlite3_stmt* prepared(std::string_view sql, std::string* error);
  bool exec(const char* sql, std::string* error);
  // A cached statement without results (BEGIN, SAVEPOINT, RELEASE), run
  // once; false on an error, which sqlite3_errmsg then describes.
  bool control(std::string_view sql);
  friend class sqlite::transaction;
  std::string fail(std::string_view what) const;
  // One prepared statement run to completion with `bind` applied, under the lock held by the caller.
  template <typename Bind>
  bool run(std::string_view sql, std::string_view what, const Bind& bind, std::string* error);

  // One connection for the process, used under mutex_. SQLite serialises
  // writers whatever we do, and our writes are single short transactions, so
  // a pool would buy nothing but lock contention inside SQLite; WAL still
  // lets other processes (backups, the sqlite3 shell) read meanwhile.
  // Recursive: atomically() holds it around calls that take it again.
  std::recursive_mutex mutex_;
  sqlite3* db_;
  std::string dir_;
  std::string instance_id_;
  std::string lock_path_;
  int lock_fd_ = -1;
  std::unordered_map<std::string_view, sqlite3_stmt*> statements_;
};

}  // namespace mockloop
