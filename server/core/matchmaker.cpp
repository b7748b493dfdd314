#include "mockloop/core/matchmaker.h"

#include <algorithm>
#include <bit>
#include <functional>

namespace mockloop {
namespace {

constexpr int min_level = v1::LEVEL_L4;
constexpr int max_level = v1::LEVEL_L7;
constexpr int style_count = 4;  // COMPANY_STYLE_UNSPECIFIED (0) to COMPANY_STYLE_ENGINEERING_PLATFORM (3)

}  // namespace

uint32_t matchmaker::intern(const std::string& language) {
  const auto [it, added] = language_ids_.try_emplace(language, static_cast<uint32_t>(language_ids_.size()));
  if (added) {
    buckets_.resize(language_ids_.size() * 256);
    avg_wait_ms_.resize(language_ids_.size());
  }
  return it->second;
}

std::string matchmaker::enqueue(ticket_request req, int64_t now_ms) {
  if (req.user_id.empty()) return "a ticket needs a user";
  if (live_slot(req.user_id) != no_slot) return "you already have a ticket in the queue";
  if (req.partner_code.empty()) {
    if (req.rounds.empty()) return "choose at least one round type";
    for (auto r : req.rounds)
      if (r == v1::ROUND_TYPE_UNSPECIFIED || !v1::RoundType_IsValid(r)) return "unknown round type";
    if (req.level < min_level || req.level > max_level) return "level must be L4 to L7";
    if (!v1::CompanyStyle_IsValid(req.style)) return "unknown company style";
  } else if (!invites_.count(req.partner_code)) {
    return "nobody is waiting with that invite code";
  }
  if (!req.invite_code.empty() && invites_.count(req.invite_code)) return "invite code already in use";
  if (req.language.empty()) req.language = "en";
  // Each language costs a block of buckets for the server's life; a client
  // may not invent them without bound.
  if (!language_ids_.count(req.language) && language_ids_.size() >= max_languages) return "unsupported language";
  if (req.max_wait_ms <= 0) req.max_wait_ms = settings_.default_max_wait_ms;
  req.max_wait_ms = std::min(req.max_wait_ms, settings_.max_max_wait_ms);

  ticket t;
  t.req = std::move(req);
  t.seq = next_seq_++;
  t.enqueued_ms = now_ms;
  t.expires_ms = now_ms + t.req.max_wait_ms;
  insert(std::move(t), new_slot());  // a new seq: no old self to take out
  return {};
}

void matchmaker::requeue(ticket t) {
  // A user who queued again meanwhile keeps one ticket: the older place.
  if (const auto mine = live_slot(t.req.user_id); mine != no_slot && slots_[mine].seq != t.seq) remove(mine);
  auto s = find_slot(t.seq);
  if (s != no_slot) {
    if (live_[s]) return;
    // Its old, dead self is still indexed (no compaction since): take it out
    // under the criteria its slot kept, and reuse the slot.
    unindex(s);
    --dead_;
  } else {
    s = new_slot();
  }
  insert(std::move(t), s);
}

uint32_t matchmaker::new_slot() {
  if (!free_slots_.empty()) {
    const auto s = free_slots_.back();
    free_slots_.pop_back();
    return s;
  }
  slots_.emplace_back();
  tickets_.emplace_back();
  live_.push_back(false);
  return static_cast<uint32_t>(slots_.size() - 1);
}

void matchmaker::insert(ticket t, uint32_t s) {
  auto& x = slots_[s];
  x = slot{};
  x.seq = t.seq;
  x.enqueued_ms = t.enqueued_ms;
  x.expires_ms = t.expires_ms;
  x.user_hash = static_cast<uint32_t>(std::hash<std::string>{}(t.req.user_id));
  x.lang = intern(t.req.language);
  x.invitee = !t.req.partner_code.empty();
  x.is_private = x.invitee || !t.req.invite_code.empty();
  if (!x.is_private) {
    // Validated by enqueue: level L4-L7, style < 4, round types 1-5.
    x.level = static_cast<uint8_t>(t.req.level);
    x.style = static_cast<uint8_t>(t.req.style);
    size_t n = 0;
    for (auto r : t.req.rounds)
      if (n < x.rounds.size() && std::ranges::find(x.rounds, r) == x.rounds.end())
        x.rounds[n++] = static_cast<uint8_t>(r);
  }
  live_[s] = true;
  ++live_count_;
  if (!t.req.invite_code.empty()) invites_[t.req.invite_code] = s;
  tickets_[s] = std::move(t);
  add_user(s);
  index(s);
  // Arrival order, kept sorted: requeued tickets keep their place.
  if (order_.empty() || slots_[order_.back()].seq < x.seq)
    order_.push_back(s);
  else
    order_.insert(std::ranges::upper_bound(order_, x.seq, {}, [&](uint32_t o) { return slots_[o].seq; }), s);
}

uint32_t matchmaker::find_slot(uint64_t seq) const {
  const auto it = std::ranges::lower_bound(order_, seq, {}, [&](uint32_t o) { return slots_[o].seq; });
  return it != order_.end() && slots_[*it].seq == seq ? *it : no_slot;
}

void matchmaker::index(uint32_t s) {
  const auto& x = slots_[s];
  for (const auto r : x.rounds) {
    if (!r) break;
    auto& b = buckets_[bucket_index(x.lang, r, x.level, x.style)];
    if (b.empty() || slots_[b.back()].seq < x.seq)
      b.push_back(s);
    else
      b.insert(std::ranges::upper_bound(b, x.seq, {}, [&](uint32_t o) { return slots_[o].seq; }), s);
  }
}

void matchmaker::unindex(uint32_t s) {
  const auto& x = slots_[s];
  std::erase(order_, s);
  for (const auto r : x.rounds) {
    if (!r) break;
    std::erase_if(buckets_[bucket_index(x.lang, r, x.level, x.style)], [&](uint32_t e) { return e == s; });
  }
}

void matchmaker::remove(uint32_t s) {
  if (!live_[s]) return;
  live_[s] = false;
  --live_count_;
  ++dead_;
  // Only a private ticket can hold a code: skip the ticket itself otherwise.
  if (slots_[s].is_private && !tickets_[s].req.invite_code.empty()) invites_.erase(tickets_[s].req.invite_code);
}

uint32_t matchmaker::live_slot(const std::string& user_id) const {
  if (users_.empty()) return no_slot;
  const auto hash = static_cast<uint32_t>(std::hash<std::string>{}(user_id));
  const auto mask = users_.size() - 1;
  for (auto i = hash & mask;; i = (i + 1) & mask) {
    const auto s = users_[i];
    if (s == no_slot) return no_slot;
    if (live_[s] && slots_[s].user_hash == hash && tickets_[s].req.user_id == user_id) return s;
  }
}

void matchmaker::add_user(uint32_t s) {
  if (2 * (users_used_ + 1) > users_.size()) rebuild_users();
  place_user(s);
}

void matchmaker::place_user(uint32_t s) {
  const auto mask = users_.size() - 1;
  auto i = slots_[s].user_hash & mask;
  while (users_[i] != no_slot) i = (i + 1) & mask;
  users_[i] = s;
  ++users_used_;
}

void matchmaker::rebuild_users() {
  // Sized for the live tickets, so it shrinks again after a burst.
  users_.assign(std::bit_ceil(std::max<size_t>(64, 4 * (live_count_ + 1))), no_slot);
  users_used_ = 0;
  for (const auto s : order_)
    if (live_[s]) place_user(s);
}

bool matchmaker::cancel(const std::string& user_id) {
  const auto s = live_slot(user_id);
  if (s == no_slot) return false;
  remove(s);
  return true;
}

int matchmaker::widening_at(const ticket& t, int64_t now_ms) const { return stage(t.enqueued_ms, now_ms); }

int matchmaker::stage(int64_t enqueued_ms, int64_t now_ms) const {
  if (settings_.widen_after_ms <= 0) return 2;
  const auto steps = (now_ms - enqueued_ms) / settings_.widen_after_ms;
  return static_cast<int>(std::clamp<int64_t>(steps, 0, 2));
}

std::optional<std::pair<uint32_t, v1::RoundType>> matchmaker::find_partner(uint32_t s, int64_t now_ms) {
  const auto& me = slots_[s];
  const int reach = stage(me.enqueued_ms, now_ms);
  const int gap = reach >= 2 ? 2 : 1;
  // Company style: the same or "any" until the first widening; then all.
  const bool all_styles = reach >= 1 || me.style == v1::COMPANY_STYLE_UNSPECIFIED;

  std::optional<std::pair<uint32_t, v1::RoundType>> best;
  uint64_t best_seq = 0;
  for (const auto round : me.rounds) {
    if (!round) break;
    const auto r = static_cast<v1::RoundType>(round);
    for (int l = std::max(min_level, me.level - gap); l <= std::min(max_level, me.level + gap); ++l) {
      for (int style = 0; style < style_count; ++style) {
        if (!all_styles && style != me.style && style != v1::COMPANY_STYLE_UNSPECIFIED) continue;
        auto& b = buckets_[bucket_index(me.lang, r, l, style)];
        // Matched and cancelled tickets leave lazily from the front.
        while (!b.empty() && !live_[b.front()]) b.pop_front();
        for (const auto other : b) {
          if (other == s || !live_[other]) continue;
          if (!best || slots_[other].seq < best_seq) {
            best.emplace(other, r);
            best_seq = slots_[other].seq;
          }
          break;  // the bucket is in arrival order: its first live ticket is its oldest
        }
      }
    }
  }
  return best;
}

pass_result matchmaker::pass(int64_t now_ms) {
  pass_result out;
  for (const auto s : order_) {
    if (live_[s] && slots_[s].expires_ms <= now_ms) {
      remove(s);
      out.expired.push_back(std::move(tickets_[s]));  // its slot keeps what a requeue needs
    }
  }

  // Room for every live ticket to be matched: growing by doubling would
  // move each pair of tickets again.
  out.matches.reserve(live_count_ / 2);
  auto record = [&](uint32_t a, uint32_t b, v1::RoundType round, int widening) {
    const auto [older, newer] = slots_[a].seq < slots_[b].seq ? std::pair{a, b} : std::pair{b, a};
    const double waited = double(now_ms - slots_[older].enqueued_ms);
    auto& avg = avg_wait_ms_[slots_[older].lang];
    avg = avg ? *avg * 0.8 + waited * 0.2 : waited;
    remove(a);
    remove(b);
    // Both are dead now: their tickets move out, the slots keep what a requeue needs.
    out.matches.emplace_back(std::move(tickets_[older]), std::move(tickets_[newer]), round, widening);
  };

  for (const auto s : order_) {
    if (!live_[s]) continue;
    const auto& x = slots_[s];
    if (x.invitee) {
      // An invitee meets the inviter, whatever their criteria.
      const auto inviter = invites_.find(tickets_[s].req.partner_code);
      if (inviter == invites_.end()) continue;
      const auto& rounds = tickets_[inviter->second].req.rounds;
      record(inviter->second, s, rounds.empty() ? v1::ROUND_TYPE_UNSPECIFIED : rounds.front(), 0);
      continue;
    }
    if (x.is_private) continue;
    if (const auto partner = find_partner(s, now_ms))
      record(s, partner->first, partner->second, stage(x.enqueued_ms, now_ms));
  }

  // Positions, per language, in arrival order.
  std::vector<uint32_t> counts(language_ids_.size());
  for (const auto s : order_) {
    auto& x = slots_[s];
    if (live_[s] && !x.is_private) x.position = ++counts[x.lang];
  }
  if (dead_ > 1024 && dead_ * 2 > live_count_ + dead_) compact();
  return out;
}

void matchmaker::compact() {
  const auto dead = [&](uint32_t s) { return !live_[s]; };
  std::erase_if(order_, dead);
  for (auto& b : buckets_) std::erase_if(b, dead);
  // Nothing refers to a dead slot now, so all of them are free. Trailing
  // ones go; the rest are handed out lowest first, so that new tickets fill
  // the slot vector from the front.
  while (!live_.empty() && !live_.back()) {
    slots_.pop_back();
    tickets_.pop_back();
    live_.pop_back();
  }
  rebuild_users();  // its tombstones name slots that are free or gone now
  free_slots_.clear();
  for (auto s = static_cast<uint32_t>(slots_.size()); s-- > 0;) {
    if (live_[s]) continue;
    tickets_[s] = {};  // a cancelled ticket was not moved out
    free_slots_.push_back(s);
  }
  dead_ = 0;
}

std::optional<queue_status> matchmaker::status(const std::string& user_id, int64_t now_ms) const {
  const auto s = live_slot(user_id);
  if (s == no_slot) return std::nullopt;
  const auto& x = slots_[s];
  queue_status st;
  st.position = x.position;
  st.waited_ms = std::max<int64_t>(0, now_ms - x.enqueued_ms);
  st.widening = stage(x.enqueued_ms, now_ms);
  st.max_level_gap = st.widening >= 2 ? 2 : 1;
  st.any_style = st.widening >= 1 || tickets_[s].req.style == v1::COMPANY_STYLE_UNSPECIFIED;
  if (const auto& avg = avg_wait_ms_[x.lang]) st.estimated_wait_ms = std::max<int64_t>(0, int64_t(*avg) - st.waited_ms);
  return st;
}

}  // namespace mockloop
