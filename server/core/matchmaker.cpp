#include "mockloop/core/matchmaker.h"

#include <algorithm>

namespace mockloop {
namespace {

constexpr int min_level = v1::LEVEL_L4;
constexpr int max_level = v1::LEVEL_L7;

bool is_private(const ticket& t) { return !t.req.invite_code.empty() || !t.req.partner_code.empty(); }

}  // namespace

uint32_t matchmaker::intern(const std::string& language) {
  const auto [it, added] = language_ids_.try_emplace(language, static_cast<uint32_t>(language_ids_.size()));
  if (added) buckets_.resize(language_ids_.size() * 256);
  return it->second;
}

std::string matchmaker::enqueue(ticket_request req, int64_t now_ms) {
  if (req.user_id.empty()) return "a ticket needs a user";
  if (live_seq(req.user_id)) return "you already have a ticket in the queue";
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

  entry e;
  e.t.req = std::move(req);
  e.t.seq = next_seq_++;
  e.t.enqueued_ms = now_ms;
  e.t.expires_ms = now_ms + e.t.req.max_wait_ms;
  requeue(std::move(e.t));
  return {};
}

void matchmaker::requeue(ticket t) {
  entry e;
  e.t = std::move(t);
  const auto seq = e.t.seq;
  // A user who queued again meanwhile keeps one ticket: the older place.
  if (const auto mine = live_seq(e.t.req.user_id); mine != 0 && mine != seq) remove(mine);
  if (const auto old = entries_.find(seq); old != entries_.end()) {
    // Its old, dead self may still sit in the indexes until a compaction.
    if (old->second.live) return;
    --dead_;
    std::erase(order_, seq);
    const auto& was = old->second;
    for (auto r : was.t.req.rounds) std::erase(buckets_[bucket_index(was.lang, r, was.t.req.level, was.t.req.style)], seq);
  }
  live_[e.t.req.user_id] = seq;
  ++live_count_;
  if (!e.t.req.invite_code.empty()) invites_[e.t.req.invite_code] = seq;
  e.lang = intern(e.t.req.language);
  auto [it, inserted] = entries_.insert_or_assign(seq, std::move(e));
  (void)inserted;
  if (!is_private(it->second.t)) index(it->second);
  // Arrival order, kept sorted: requeued tickets keep their place.
  order_.insert(std::upper_bound(order_.begin(), order_.end(), seq), seq);
}

void matchmaker::index(const entry& e) {
  for (auto r : e.t.req.rounds) {
    auto& b = buckets_[bucket_index(e.lang, r, e.t.req.level, e.t.req.style)];
    b.insert(std::upper_bound(b.begin(), b.end(), e.t.seq), e.t.seq);
  }
}

void matchmaker::remove(uint64_t seq) {
  auto it = entries_.find(seq);
  if (it == entries_.end() || !it->second.live) return;
  it->second.live = false;
  --live_count_;
  if (!it->second.t.req.invite_code.empty()) invites_.erase(it->second.t.req.invite_code);
  ++dead_;
}

uint64_t matchmaker::live_seq(const std::string& user_id) const {
  const auto it = live_.find(user_id);
  if (it == live_.end()) return 0;
  const auto e = entries_.find(it->second);
  return e != entries_.end() && e->second.live ? it->second : 0;
}

bool matchmaker::cancel(const std::string& user_id) {
  const auto seq = live_seq(user_id);
  if (!seq) return false;
  remove(seq);
  return true;
}

int matchmaker::widening_at(const ticket& t, int64_t now_ms) const {
  if (settings_.widen_after_ms <= 0) return 2;
  const auto steps = (now_ms - t.enqueued_ms) / settings_.widen_after_ms;
  return static_cast<int>(std::clamp<int64_t>(steps, 0, 2));
}

std::optional<std::pair<uint64_t, v1::RoundType>> matchmaker::find_partner(const entry& e, int64_t now_ms) {
  const auto& req = e.t.req;
  const int stage = widening_at(e.t, now_ms);
  const int gap = stage >= 2 ? 2 : 1;
  // Company style: the same or "any" until the first widening; then all.
  v1::CompanyStyle styles[4] = {v1::COMPANY_STYLE_UNSPECIFIED, v1::COMPANY_STYLE_HYPERSCALE,
                                v1::COMPANY_STYLE_FAST_DECISION_CONSUMER, v1::COMPANY_STYLE_ENGINEERING_PLATFORM};
  const bool all_styles = stage >= 1 || req.style == v1::COMPANY_STYLE_UNSPECIFIED;

  std::optional<std::pair<uint64_t, v1::RoundType>> best;
  for (auto r : req.rounds) {
    for (int l = std::max(min_level, int(req.level) - gap); l <= std::min(max_level, int(req.level) + gap); ++l) {
      for (auto s : styles) {
        if (!all_styles && s != req.style && s != v1::COMPANY_STYLE_UNSPECIFIED) continue;
        auto& b = buckets_[bucket_index(e.lang, r, l, s)];
        if (b.empty()) continue;
        // Matched and cancelled tickets leave lazily from the front.
        while (!b.empty() && !entries_.at(b.front()).live) b.pop_front();
        for (const auto seq : b) {
          if (seq == e.t.seq) continue;
          if (!entries_.at(seq).live) continue;
          if (!best || seq < best->first) best = std::make_pair(seq, r);
          break;  // the bucket is in arrival order: its first live ticket is its oldest
        }
      }
    }
  }
  return best;
}

pass_result matchmaker::pass(int64_t now_ms) {
  pass_result out;
  for (const auto seq : order_) {
    auto& e = entries_.at(seq);
    if (e.live && e.t.expires_ms <= now_ms) {
      out.expired.push_back(e.t);
      remove(seq);
    }
  }

  auto record = [&](entry& a, entry& b, v1::RoundType round, int widening) {
    match_pair m;
    m.older = a.t.seq < b.t.seq ? a.t : b.t;
    m.newer = a.t.seq < b.t.seq ? b.t : a.t;
    m.round = round;
    m.widening = widening;
    const double waited = double(now_ms - m.older.enqueued_ms);
    auto [avg, first] = avg_wait_ms_.try_emplace(m.older.req.language, waited);
    if (!first) avg->second = avg->second * 0.8 + waited * 0.2;
    remove(a.t.seq);
    remove(b.t.seq);
    out.matches.push_back(std::move(m));
  };

  for (const auto seq : order_) {
    auto& e = entries_.at(seq);
    if (!e.live) continue;
    if (!e.t.req.partner_code.empty()) {
      // An invitee meets the inviter, whatever their criteria.
      const auto inviter = invites_.find(e.t.req.partner_code);
      if (inviter == invites_.end()) continue;
      auto& host = entries_.at(inviter->second);
      const auto round = host.t.req.rounds.empty() ? v1::ROUND_TYPE_UNSPECIFIED : host.t.req.rounds.front();
      record(host, e, round, 0);
      continue;
    }
    if (is_private(e.t)) continue;
    if (auto partner = find_partner(e, now_ms)) record(e, entries_.at(partner->first), partner->second, widening_at(e.t, now_ms));
  }

  // Positions, per language, in arrival order.
  std::vector<uint32_t> counts(language_ids_.size());
  for (const auto seq : order_) {
    auto& e = entries_.at(seq);
    if (e.live && !is_private(e.t)) e.position = ++counts[e.lang];
  }
  if (dead_ > 1024 && dead_ * 2 > entries_.size()) compact();
  return out;
}

void matchmaker::compact() {
  std::erase_if(order_, [&](uint64_t seq) { return !entries_.at(seq).live; });
  for (auto& b : buckets_) std::erase_if(b, [&](uint64_t seq) { return !entries_.at(seq).live; });
  std::erase_if(entries_, [](const auto& kv) { return !kv.second.live; });
  std::erase_if(live_, [&](const auto& kv) { return !entries_.count(kv.second); });
  dead_ = 0;
}

std::optional<queue_status> matchmaker::status(const std::string& user_id, int64_t now_ms) const {
  const auto seq = live_seq(user_id);
  if (!seq) return std::nullopt;
  const auto& e = entries_.at(seq);
  queue_status s;
  s.position = e.position;
  s.waited_ms = std::max<int64_t>(0, now_ms - e.t.enqueued_ms);
  s.widening = widening_at(e.t, now_ms);
  s.max_level_gap = s.widening >= 2 ? 2 : 1;
  s.any_style = s.widening >= 1 || e.t.req.style == v1::COMPANY_STYLE_UNSPECIFIED;
  if (const auto avg = avg_wait_ms_.find(e.t.req.language); avg != avg_wait_ms_.end())
    s.estimated_wait_ms = std::max<int64_t>(0, int64_t(avg->second) - s.waited_ms);
  return s;
}

}  // namespace mockloop
