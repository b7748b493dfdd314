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
  bool has_ticket(const std::string& user_id) const { return live_seq(user_id) != 0; }
  size_t size() const { return live_count_; }

  // One matching pass: expire, then match oldest first.
  pass_result pass(int64_t now_ms);

  // Positions are recomputed by pass(); waits and widening are live.
  std::optional<queue_status> status(const std::string& user_id, int64_t now_ms) const;

  int widening_at(const ticket& t, int64_t now_ms) const;

 private:
  struct entry {
    ticket t;
    uint32_t lang = 0;  // interned language
    bool live = true;
    uint32_t position = 0;
  };
  using bucket = std::deque<uint64_t>;  // seqs, ascending

  // Buckets sit in one dense array, 256 per language (round < 8, level < 8,
  // style < 4): a lookup is arithmetic, not a hash, which is most of a
  // widened ticket's search (up to 2 x 5 x 4 buckets per round type).
  static size_t bucket_index(uint32_t lang, v1::RoundType r, int level, v1::CompanyStyle s) {
    return ((size_t(lang) * 8 + size_t(r)) * 8 + size_t(level)) * 4 + size_t(s);
  }
  uint32_t intern(const std::string& language);
  void index(const entry& e);
  std::optional<std::pair<uint64_t, v1::RoundType>> find_partner(const entry& e, int64_t now_ms);
  void remove(uint64_t seq);
  void compact();

  match_settings settings_;
  uint64_t next_seq_ = 1;
  std::unordered_map<uint64_t, entry> entries_;          // by seq
  std::vector<uint64_t> order_;                          // seqs in arrival order
  // user -> seq of their ticket. Matching leaves entries behind (a string
  // erase per ticket was a fifth of a pass); live_seq() checks the entry,
  // and compaction sweeps them.
  std::unordered_map<std::string, uint64_t> live_;
  size_t live_count_ = 0;
  uint64_t live_seq(const std::string& user_id) const;
  std::unordered_map<std::string, uint64_t> invites_;    // invite code -> seq
  std::vector<bucket> buckets_;
  std::unordered_map<std::string, uint32_t> language_ids_;
  std::unordered_map<std::string, double> avg_wait_ms_;  // per language, moving average of matched waits
  size_t dead_ = 0;
};

}  // namespace mockloop
