// The matchmaker: waiting tickets in, pairs out. Plain state and an
// injected clock (Unix ms), like the room.
//
// Rules (docs/matchmaking.md):
// - two tickets match on a shared round type and the same language, with
//   levels within one step and the same company style;
// - a ticket widens as it waits: after widen_after_ms any company style
//   will do, after twice that levels two steps apart will too; a pair uses
//   the wider of its two tickets' reach, so the long-waiting one is served;
// - oldest ticket first: each pass serves tickets in order of arrival and
//   gives each the oldest compatible partner;
// - a ticket with an invite code matches only the ticket holding that code;
// - tickets expire after their max wait; one live ticket per user.
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "mockloop/v1/scenario.pb.h"

namespace mockloop {

// Distinct languages one matchmaker keeps buckets for.
inline constexpr size_t max_languages = 64;

struct match_settings {
  int64_t widen_after_ms = 30'000;       // each widening step
  int64_t default_max_wait_ms = 600'000; // a ticket that names none waits 10 min
  int64_t max_max_wait_ms = 1'800'000;   // nobody waits more than 30 min
};

struct ticket_request {
  std::string user_id;                   // one live ticket per user
  std::vector<v1::RoundType> rounds;     // at least one
  v1::Level level = v1::LEVEL_UNSPECIFIED;
  v1::CompanyStyle style = v1::COMPANY_STYLE_UNSPECIFIED;  // unspecified: any
  std::string language = "en";
  int64_t max_wait_ms = 0;               // 0: the default
  std::string invite_code;               // set by the inviter: private ticket
  std::string partner_code;              // set by the invitee: match that ticket only
};

struct ticket {
  ticket_request req;
  uint64_t seq = 0;          // arrival order
  int64_t enqueued_ms = 0;
  int64_t expires_ms = 0;
};

struct match_pair {
  ticket older;
  ticket newer;
  v1::RoundType round = v1::ROUND_TYPE_UNSPECIFIED;  // a round type both want
  int widening = 0;                                  // 0, 1 or 2: how far the search had to reach
};

struct queue_status {
  uint32_t position = 0;         // 1 = next in line among tickets of the same language
  int64_t waited_ms = 0;
  int64_t estimated_wait_ms = 0; // remaining, from recent matches' waits; 0 when unknown
  int widening = 0;
  int max_level_gap = 1;
  bool any_style = false;
};

struct pass_result {
  std::vector<match_pair> matches;
  std::vector<ticket> expired;
};

class matchmaker {
 public:
  explicit matchmaker(match_settings s = {}) : settings_(s) {}

  // Returns an error message, or empty when the ticket is queued.
  std::string enqueue(ticket_request req, int64_t now_ms);
  // Puts a ticket back as it was (same arrival order), e.g. after a forfeit
  // by the other side: it is first in line again.
  void requeue(ticket t);
  bool cancel(const std::string& user_id);
  bool has_ticket(const std::string& user_id) const { return live_slot(user_id) != no_slot; }
  size_t size() const { return live_count_; }

  // One matching pass: expire, then match oldest first.
  pass_result pass(int64_t now_ms);

  // Positions are recomputed by pass(); waits and widening are live.
  std::optional<queue_status> status(const std::string& user_id, int64_t now_ms) const;

  int widening_at(const ticket& t, int64_t now_ms) const;

 private:
  // Tickets sit in slots, which are reused after a compaction. A pass reads
  // the small, dense slot data (times, criteria) for every ticket it looks
  // at and touches the ticket itself only to hand it out; the buckets and
  // the arrival order hold slot numbers, so no lookup is a hash.
  struct slot {
    uint64_t seq = 0;
    int64_t enqueued_ms = 0;
    int64_t expires_ms = 0;
    uint32_t user_hash = 0;  // of the user id: where the slot sits in users_
    uint32_t position = 0;
    uint32_t lang = 0;  // interned language
    uint8_t level = 0;  // level, style and rounds: public tickets only
    uint8_t style = 0;
    bool invitee = false;     // holds a partner code
    bool is_private = false;  // holds an invite or a partner code
    // The ticket's round types in its order (which decides the pair's round),
    // without repeats, 0 after the last. Kept once dead so requeue can unindex.
    std::array<uint8_t, 5> rounds{};
  };
  using bucket = std::deque<uint32_t>;  // slots, in arrival order
  static constexpr uint32_t no_slot = UINT32_MAX;

  // Buckets sit in one dense array, 256 per language (round < 8, level < 8,
  // style < 4): a lookup is arithmetic, not a hash, which is most of a
  // widened ticket's search (up to 2 x 5 x 4 buckets per round type).
  static size_t bucket_index(uint32_t lang, int round, int level, int style) {
    return ((size_t(lang) * 8 + size_t(round)) * 8 + size_t(level)) * 4 + size_t(style);
  }
  uint32_t intern(const std::string& language);
  uint32_t find_slot(uint64_t seq) const;
  uint32_t new_slot();
  void insert(ticket t, uint32_t s);
  void index(uint32_t s);
  void unindex(uint32_t s);
  std::optional<std::pair<uint32_t, v1::RoundType>> find_partner(uint32_t s, int64_t now_ms);
  int stage(int64_t enqueued_ms, int64_t now_ms) const;
  void remove(uint32_t s);
  void compact();

  match_settings settings_;
  uint64_t next_seq_ = 1;
  std::vector<slot> slots_;
  std::vector<ticket> tickets_;  // by slot; a matched or expired ticket is moved out
  // By slot, a bit each: dense, because a pass checks it for every bucket
  // entry it walks past, and the slots those name are scattered.
  std::vector<bool> live_;
  std::vector<uint32_t> free_slots_;  // unreferenced since the last compaction; lowest at the back
  // Every slot not yet compacted away, live or dead, sorted by seq: the
  // arrival order, and how requeue finds a seq's old slot.
  std::vector<uint32_t> order_;
  // user -> slot of their live ticket: open addressing over slot numbers
  // (no_slot: empty), a power of two. A ticket that leaves keeps its cell: a
  // dead slot's cell is a tombstone, and a lookup checks the slot's ticket.
  // The table is rebuilt from the live slots when tombstones and all fill
  // half of it, and at compaction. Sweeping a string-keyed map at
  // compaction instead was about 40% of a 100k pass.
  std::vector<uint32_t> users_;
  size_t users_used_ = 0;  // cells taken, tombstones included
  size_t live_count_ = 0;
  uint32_t live_slot(const std::string& user_id) const;
  void add_user(uint32_t s);
  void place_user(uint32_t s);
  void rebuild_users();
  std::unordered_map<std::string, uint32_t> invites_;  // invite code -> slot
  std::vector<bucket> buckets_;
  std::unordered_map<std::string, uint32_t> language_ids_;
  std::vector<std::optional<double>> avg_wait_ms_;  // by language, moving average of matched waits
  size_t dead_ = 0;                                 // dead slots still in order_ (and maybe buckets)
};

}  // namespace mockloop
