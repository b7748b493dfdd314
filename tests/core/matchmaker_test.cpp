// The matchmaker core with explicit times: every rule of the header comment
// (shared round, language, level steps, company style, widening and the
// pair's wider reach, oldest first, invite codes, expiry, one ticket per
// user, requeue across compaction, status), then a seeded run against a
// plain reference written from the same rules.
#include "mockloop/core/matchmaker.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

namespace mockloop {
namespace {

constexpr int64_t t0 = 1'800'000'000'000;  // a Unix ms; the matchmaker has no clock of its own
constexpr int64_t s = 1000;
constexpr int64_t widen = 30 * s;  // match_settings{}.widen_after_ms

constexpr auto SD = v1::ROUND_TYPE_SYSTEM_DESIGN;
constexpr auto TDD = v1::ROUND_TYPE_TECHNICAL_DEEP_DIVE;
constexpr auto BEH = v1::ROUND_TYPE_BEHAVIORAL_LEADERSHIP;
constexpr auto XFN = v1::ROUND_TYPE_CROSS_FUNCTIONAL;
constexpr auto MET = v1::ROUND_TYPE_METRICS_AND_DATA;
constexpr auto L4 = v1::LEVEL_L4;
constexpr auto L5 = v1::LEVEL_L5;
constexpr auto L6 = v1::LEVEL_L6;
constexpr auto L7 = v1::LEVEL_L7;
constexpr auto ANY = v1::COMPANY_STYLE_UNSPECIFIED;
constexpr auto HYPER = v1::COMPANY_STYLE_HYPERSCALE;
constexpr auto FAST = v1::COMPANY_STYLE_FAST_DECISION_CONSUMER;
constexpr auto PLAT = v1::COMPANY_STYLE_ENGINEERING_PLATFORM;

ticket_request req(std::string user, std::vector<v1::RoundType> rounds = {SD}, v1::Level level = L5,
                   v1::CompanyStyle style = HYPER, std::string language = "en") {
  ticket_request r;
  r.user_id = std::move(user);
  r.rounds = std::move(rounds);
  r.level = level;
  r.style = style;
  r.language = std::move(language);
  return r;
}

ticket_request inviter(std::string user, std::string code, std::vector<v1::RoundType> rounds = {SD},
                       v1::Level level = L5) {
  auto r = req(std::move(user), std::move(rounds), level);
  r.invite_code = std::move(code);
  return r;
}

ticket_request invitee(std::string user, std::string code) {
  ticket_request r;
  r.user_id = std::move(user);
  r.partner_code = std::move(code);
  return r;
}

void queue(matchmaker& m, ticket_request r, int64_t now) {
  const std::string user = r.user_id;
  ASSERT_EQ(m.enqueue(std::move(r), now), "") << user;
}

// The pairs of a pass as "older+newer", in the order the pass made them.
std::vector<std::string> pairs(const pass_result& p) {
  std::vector<std::string> out;
  for (const auto& m : p.matches) out.push_back(m.older.req.user_id + "+" + m.newer.req.user_id);
  return out;
}

std::vector<std::string> expired_users(const pass_result& p) {
  std::vector<std::string> out;
  for (const auto& t : p.expired) out.push_back(t.req.user_id);
  return out;
}

using strings = std::vector<std::string>;

uint32_t position(const matchmaker& m, const std::string& user, int64_t now) {
  const auto st = m.status(user, now);
  EXPECT_TRUE(st.has_value()) << user;
  return st ? st->position : 0;
}

// --- criteria ---------------------------------------------------------------

TEST(Matchmaker, MatchesOnASharedRoundType) {
  matchmaker m;
  queue(m, req("a", {SD}), t0);
  queue(m, req("b", {SD}), t0 + 1);
  const auto p = m.pass(t0 + 2);
  ASSERT_EQ(pairs(p), strings{"a+b"});
  EXPECT_EQ(p.matches[0].round, SD);
  EXPECT_EQ(p.matches[0].widening, 0);
  EXPECT_EQ(p.matches[0].older.enqueued_ms, t0);
  EXPECT_EQ(p.matches[0].newer.enqueued_ms, t0 + 1);
  EXPECT_LT(p.matches[0].older.seq, p.matches[0].newer.seq);
  EXPECT_TRUE(p.expired.empty());
  EXPECT_EQ(m.size(), 0u);
  EXPECT_FALSE(m.has_ticket("a"));
  EXPECT_FALSE(m.has_ticket("b"));
  // Matched tickets are gone: the next pass has nothing to do.
  EXPECT_TRUE(m.pass(t0 + 3).matches.empty());
}

TEST(Matchmaker, NoMatchWithoutASharedRoundTypeEvenFullyWidened) {
  matchmaker m;
  queue(m, req("a", {SD, TDD}), t0);
  queue(m, req("b", {BEH, XFN, MET}), t0);
  for (int64_t at : {t0, t0 + widen, t0 + 2 * widen, t0 + 500 * s}) EXPECT_TRUE(m.pass(at).matches.empty()) << at - t0;
  EXPECT_EQ(m.size(), 2u);
}

TEST(Matchmaker, SameLanguageRequiredEvenFullyWidened) {
  matchmaker m;
  queue(m, req("en", {SD}, L5, HYPER, "en"), t0);
  queue(m, req("fr", {SD}, L5, HYPER, "fr"), t0);
  for (int64_t at : {t0, t0 + widen, t0 + 2 * widen, t0 + 500 * s}) EXPECT_TRUE(m.pass(at).matches.empty()) << at - t0;
  queue(m, req("fr2", {SD}, L5, HYPER, "fr"), t0 + 501 * s);
  EXPECT_EQ(pairs(m.pass(t0 + 502 * s)), strings{"fr+fr2"});
  EXPECT_TRUE(m.has_ticket("en"));
}

TEST(Matchmaker, EmptyLanguageMeansEnglish) {
  matchmaker m;
  queue(m, req("a", {SD}, L5, HYPER, ""), t0);
  queue(m, req("b", {SD}, L5, HYPER, "en"), t0);
  EXPECT_EQ(pairs(m.pass(t0)), strings{"a+b"});
}

TEST(Matchmaker, LevelsOneStepApartMatchAtOnce) {
  for (auto [x, y] : {std::pair{L4, L5}, {L5, L6}, {L6, L7}, {L7, L6}, {L5, L4}, {L6, L6}}) {
    matchmaker m;
    queue(m, req("a", {SD}, x), t0);
    queue(m, req("b", {SD}, y), t0);
    const auto p = m.pass(t0);
    EXPECT_EQ(pairs(p), strings{"a+b"}) << x << " " << y;
    if (!p.matches.empty()) {
      EXPECT_EQ(p.matches[0].widening, 0);
    }
  }
}

TEST(Matchmaker, LevelsTwoStepsApartWaitForTheSecondWidening) {
  for (auto [x, y] : {std::pair{L4, L6}, {L7, L5}}) {
    matchmaker m;
    queue(m, req("a", {SD}, x), t0);
    queue(m, req("b", {SD}, y), t0);
    EXPECT_TRUE(m.pass(t0).matches.empty());
    EXPECT_TRUE(m.pass(t0 + widen).matches.empty()) << "the first widening is about style only";
    EXPECT_TRUE(m.pass(t0 + 2 * widen - 1).matches.empty());
    const auto p = m.pass(t0 + 2 * widen);
    ASSERT_EQ(pairs(p), strings{"a+b"}) << x << " " << y;
    EXPECT_EQ(p.matches[0].widening, 2);
  }
}

TEST(Matchmaker, LevelsThreeStepsApartNeverMatch) {
  matchmaker m;
  queue(m, req("a", {SD}, L4), t0);
  queue(m, req("b", {SD}, L7), t0);
  for (int64_t at = t0; at < t0 + 600 * s; at += 15 * s) EXPECT_TRUE(m.pass(at).matches.empty()) << at - t0;
  EXPECT_EQ(m.size(), 2u);
}

TEST(Matchmaker, CompanyStyleMustMatchUntilTheFirstWidening) {
  matchmaker m;
  queue(m, req("a", {SD}, L5, HYPER), t0);
  queue(m, req("b", {SD}, L5, FAST), t0);
  EXPECT_TRUE(m.pass(t0).matches.empty());
  EXPECT_TRUE(m.pass(t0 + widen - 1).matches.empty());
  const auto p = m.pass(t0 + widen);
  ASSERT_EQ(pairs(p), strings{"a+b"});
  EXPECT_EQ(p.matches[0].widening, 1);
}

TEST(Matchmaker, SameCompanyStyleMatchesAtOnce) {
  for (auto style : {HYPER, FAST, PLAT, ANY}) {
    matchmaker m;
    queue(m, req("a", {SD}, L5, style), t0);
    queue(m, req("b", {SD}, L5, style), t0);
    EXPECT_EQ(pairs(m.pass(t0)), strings{"a+b"}) << style;
  }
}

TEST(Matchmaker, UnspecifiedCompanyStyleMatchesAnyStyleAtOnce) {
  for (auto style : {HYPER, FAST, PLAT}) {
    {
      matchmaker m;  // the older one says "any"
      queue(m, req("a", {SD}, L5, ANY), t0);
      queue(m, req("b", {SD}, L5, style), t0 + 1);
      EXPECT_EQ(pairs(m.pass(t0 + 1)), strings{"a+b"}) << style;
    }
    {
      matchmaker m;  // the newer one says "any"
      queue(m, req("a", {SD}, L5, style), t0);
      queue(m, req("b", {SD}, L5, ANY), t0 + 1);
      EXPECT_EQ(pairs(m.pass(t0 + 1)), strings{"a+b"}) << style;
    }
  }
}

TEST(Matchmaker, StyleAndTwoLevelStepsTogetherNeedTheSecondWidening) {
  matchmaker m;
  queue(m, req("a", {SD}, L4, HYPER), t0);
  queue(m, req("b", {SD}, L6, PLAT), t0);
  EXPECT_TRUE(m.pass(t0 + widen).matches.empty());
  EXPECT_EQ(pairs(m.pass(t0 + 2 * widen)), strings{"a+b"});
}

TEST(Matchmaker, ThePairUsesTheWiderReachForStyle) {
  matchmaker m;
  queue(m, req("old", {SD}, L5, HYPER), t0);
  queue(m, req("new", {SD}, L5, FAST), t0 + widen - 1);  // fresh: its own reach is narrow
  EXPECT_TRUE(m.pass(t0 + widen - 1).matches.empty());
  EXPECT_EQ(m.status("new", t0 + widen)->widening, 0);
  EXPECT_FALSE(m.status("new", t0 + widen)->any_style);
  const auto p = m.pass(t0 + widen);
  ASSERT_EQ(pairs(p), strings{"old+new"});
  EXPECT_EQ(p.matches[0].widening, 1);
}

TEST(Matchmaker, ThePairUsesTheWiderReachForLevel) {
  matchmaker m;
  queue(m, req("old", {SD}, L4, HYPER), t0);
  queue(m, req("new", {SD}, L6, HYPER), t0 + 2 * widen - 1);
  EXPECT_TRUE(m.pass(t0 + 2 * widen - 1).matches.empty());
  EXPECT_EQ(m.status("new", t0 + 2 * widen)->max_level_gap, 1);
  const auto p = m.pass(t0 + 2 * widen);
  ASSERT_EQ(pairs(p), strings{"old+new"});
  EXPECT_EQ(p.matches[0].widening, 2);
}

TEST(Matchmaker, ANewcomerIsServedByAWidenedTicketInTheSamePass) {
  // The newcomer arrives after the old ticket widened: matched at once.
  matchmaker m;
  queue(m, req("old", {SD}, L7, PLAT), t0);
  m.pass(t0 + 3 * widen);  // nobody around
  queue(m, req("new", {SD}, L5, FAST), t0 + 3 * widen);
  EXPECT_EQ(pairs(m.pass(t0 + 3 * widen)), strings{"old+new"});
}

// --- order ------------------------------------------------------------------

TEST(Matchmaker, OldestFirstTheTwoOldestPairUpAndTheNewestWaits) {
  matchmaker m;
  queue(m, req("a"), t0);
  queue(m, req("b"), t0 + 1);
  queue(m, req("c"), t0 + 2);
  EXPECT_EQ(pairs(m.pass(t0 + 3)), strings{"a+b"});
  EXPECT_TRUE(m.has_ticket("c"));
  EXPECT_EQ(m.size(), 1u);
  queue(m, req("d"), t0 + 4);
  EXPECT_EQ(pairs(m.pass(t0 + 5)), strings{"c+d"});
}

TEST(Matchmaker, ATicketGetsTheOldestCompatiblePartnerNotTheClosestFit) {
  matchmaker m;
  queue(m, req("a", {SD}, L5, HYPER), t0);
  queue(m, req("b", {SD}, L6, ANY), t0 + 1);    // compatible, older
  queue(m, req("c", {SD}, L5, HYPER), t0 + 2);  // exact fit, newer
  EXPECT_EQ(pairs(m.pass(t0 + 3)), strings{"a+b"});
  EXPECT_TRUE(m.has_ticket("c"));
}

TEST(Matchmaker, TheOldestCompatiblePartnerAcrossRoundsLevelsAndStyles) {
  // Partners that sit in different (round, level, style) slots: still the oldest wins.
  matchmaker m;
  queue(m, req("a", {SD, BEH}, L5, ANY), t0);
  queue(m, req("x", {TDD}, L5, ANY), t0 + 1);   // no shared round
  queue(m, req("y", {SD}, L7, ANY), t0 + 2);    // two steps away
  queue(m, req("b", {BEH}, L6, FAST), t0 + 3);  // the oldest compatible
  queue(m, req("c", {SD}, L4, PLAT), t0 + 4);
  queue(m, req("d", {SD}, L5, ANY), t0 + 5);
  const auto p = m.pass(t0 + 6);
  ASSERT_EQ(pairs(p), (strings{"a+b", "c+d"}));
  EXPECT_EQ(p.matches[0].round, BEH);
  EXPECT_EQ(p.matches[1].round, SD);
  EXPECT_TRUE(m.has_ticket("x"));
  EXPECT_TRUE(m.has_ticket("y"));
}

TEST(Matchmaker, IncompatibleOlderTicketsAreSkippedNotBlocking) {
  matchmaker m;
  queue(m, req("a", {SD}, L4), t0);
  queue(m, req("b", {SD}, L7), t0 + 1);
  queue(m, req("c", {SD}, L5), t0 + 2);
  queue(m, req("d", {SD}, L6), t0 + 3);
  // a takes c (its oldest compatible), b takes d.
  EXPECT_EQ(pairs(m.pass(t0 + 4)), (strings{"a+c", "b+d"}));
}

TEST(Matchmaker, PassServesTicketsInArrivalOrder) {
  matchmaker m;
  queue(m, req("e1", {MET}, L5), t0);
  queue(m, req("s1", {SD}, L5), t0 + 1);
  queue(m, req("e2", {MET}, L5), t0 + 2);
  queue(m, req("s2", {SD}, L5), t0 + 3);
  EXPECT_EQ(pairs(m.pass(t0 + 4)), (strings{"e1+e2", "s1+s2"}));
}

TEST(Matchmaker, MultipleRoundTypesMatchOnTheSharedOne) {
  matchmaker m;
  queue(m, req("a", {SD, TDD, BEH}), t0);
  queue(m, req("b", {MET, BEH}), t0 + 1);
  const auto p = m.pass(t0 + 2);
  ASSERT_EQ(pairs(p), strings{"a+b"});
  EXPECT_EQ(p.matches[0].round, BEH);
}

TEST(Matchmaker, SeveralSharedRoundTypesGiveOneThatBothWant) {
  matchmaker m;
  queue(m, req("a", {SD, TDD, XFN}), t0);
  queue(m, req("b", {XFN, MET, TDD}), t0 + 1);
  const auto p = m.pass(t0 + 2);
  ASSERT_EQ(pairs(p), strings{"a+b"});
  EXPECT_TRUE(p.matches[0].round == TDD || p.matches[0].round == XFN) << p.matches[0].round;
}

TEST(Matchmaker, AMultiRoundTicketIsMatchedOnce) {
  matchmaker m;
  queue(m, req("a", {SD, TDD}), t0);
  queue(m, req("b", {SD, TDD}), t0 + 1);
  queue(m, req("c", {TDD}), t0 + 2);
  EXPECT_EQ(pairs(m.pass(t0 + 3)), strings{"a+b"});
  EXPECT_EQ(m.size(), 1u);
  EXPECT_TRUE(m.pass(t0 + 4).matches.empty());
}

// --- expiry -----------------------------------------------------------------

TEST(Matchmaker, ATicketExpiresAfterTheDefaultMaxWait) {
  matchmaker m;
  queue(m, req("a"), t0);
  EXPECT_TRUE(m.pass(t0 + 600 * s - 1).expired.empty());
  EXPECT_TRUE(m.has_ticket("a"));
  const auto p = m.pass(t0 + 600 * s);
  ASSERT_EQ(expired_users(p), strings{"a"});
  EXPECT_EQ(p.expired[0].enqueued_ms, t0);
  EXPECT_EQ(p.expired[0].expires_ms, t0 + 600 * s);
  EXPECT_FALSE(m.has_ticket("a"));
  EXPECT_FALSE(m.status("a", t0 + 600 * s).has_value());
  EXPECT_EQ(m.size(), 0u);
  EXPECT_TRUE(m.pass(t0 + 601 * s).expired.empty()) << "reported once";
}

TEST(Matchmaker, ANamedMaxWaitIsUsed) {
  matchmaker m;
  auto r = req("a");
  r.max_wait_ms = 45 * s;
  queue(m, r, t0);
  EXPECT_TRUE(m.pass(t0 + 45 * s - 1).expired.empty());
  EXPECT_EQ(expired_users(m.pass(t0 + 45 * s)), strings{"a"});
}

TEST(Matchmaker, MaxWaitIsCapped) {
  matchmaker m;
  auto r = req("a");
  r.max_wait_ms = 5 * 3600 * s;
  queue(m, r, t0);
  EXPECT_TRUE(m.pass(t0 + 1800 * s - 1).expired.empty());
  const auto p = m.pass(t0 + 1800 * s);
  ASSERT_EQ(expired_users(p), strings{"a"});
  EXPECT_EQ(p.expired[0].expires_ms, t0 + 1800 * s);
}

TEST(Matchmaker, SettingsDriveWideningAndMaxWaits) {
  matchmaker m(match_settings{.widen_after_ms = 10 * s, .default_max_wait_ms = 20 * s, .max_max_wait_ms = 40 * s});
  queue(m, req("a", {SD}, L5, HYPER), t0);
  queue(m, req("b", {SD}, L5, FAST), t0);
  auto capped = req("c", {MET});
  capped.max_wait_ms = 100 * s;
  queue(m, capped, t0);
  EXPECT_TRUE(m.pass(t0 + 10 * s - 1).matches.empty());
  EXPECT_EQ(pairs(m.pass(t0 + 10 * s)), strings{"a+b"});
  EXPECT_TRUE(m.pass(t0 + 40 * s - 1).expired.empty());
  EXPECT_EQ(expired_users(m.pass(t0 + 40 * s)), strings{"c"});
  queue(m, req("d", {MET}), t0 + 50 * s);
  EXPECT_EQ(expired_users(m.pass(t0 + 70 * s)), strings{"d"});
}

TEST(Matchmaker, AnExpiredTicketIsNotMatchedInTheSamePass) {
  matchmaker m;
  auto r = req("a");
  r.max_wait_ms = 10 * s;
  queue(m, r, t0);
  queue(m, req("b"), t0 + 10 * s);
  const auto p = m.pass(t0 + 10 * s);
  EXPECT_EQ(expired_users(p), strings{"a"});
  EXPECT_TRUE(p.matches.empty());
  EXPECT_TRUE(m.has_ticket("b"));
}

TEST(Matchmaker, ExpiredTicketsComeOutInArrivalOrder) {
  matchmaker m;
  for (auto [user, wait] : {std::pair{"a", 30 * s}, {"b", 10 * s}, {"c", 20 * s}}) {
    auto r = req(user, {SD}, L4, HYPER, user);  // each alone in its language
    r.max_wait_ms = wait;
    queue(m, r, t0);
  }
  EXPECT_EQ(expired_users(m.pass(t0 + 15 * s)), strings{"b"});
  EXPECT_EQ(expired_users(m.pass(t0 + 60 * s)), (strings{"a", "c"}));
}

// --- cancel and one ticket per user ------------------------------------------

TEST(Matchmaker, CancelRemovesTheTicket) {
  matchmaker m;
  queue(m, req("a"), t0);
  EXPECT_TRUE(m.cancel("a"));
  EXPECT_FALSE(m.has_ticket("a"));
  EXPECT_FALSE(m.status("a", t0).has_value());
  EXPECT_EQ(m.size(), 0u);
  EXPECT_FALSE(m.cancel("a"));
  EXPECT_FALSE(m.cancel("nobody"));
  queue(m, req("b"), t0 + 1);
  const auto p = m.pass(t0 + 2);
  EXPECT_TRUE(p.matches.empty()) << "a cancelled ticket is never matched";
  EXPECT_TRUE(p.expired.empty()) << "nor reported as expired";
  EXPECT_EQ(expired_users(m.pass(t0 + 700 * s)), strings{"b"});
}

TEST(Matchmaker, OneLiveTicketPerUser) {
  matchmaker m;
  queue(m, req("a", {SD}), t0);
  EXPECT_NE(m.enqueue(req("a", {MET}), t0 + 1), "");
  EXPECT_EQ(m.size(), 1u);
  // The refused request changed nothing: a still waits for SD.
  queue(m, req("b", {MET}), t0 + 2);
  EXPECT_TRUE(m.pass(t0 + 3).matches.empty());
}

TEST(Matchmaker, AUserCanEnqueueAgainAfterMatchCancelOrExpiry) {
  matchmaker m;
  queue(m, req("a"), t0);
  queue(m, req("b"), t0);
  ASSERT_EQ(pairs(m.pass(t0)), strings{"a+b"});
  queue(m, req("a"), t0 + 1);  // after a match
  EXPECT_TRUE(m.cancel("a"));
  queue(m, req("a"), t0 + 2);  // after a cancel
  ASSERT_EQ(expired_users(m.pass(t0 + 2 + 600 * s)), strings{"a"});
  queue(m, req("a"), t0 + 700 * s);  // after an expiry
  EXPECT_TRUE(m.has_ticket("a"));
}

// --- validation ---------------------------------------------------------------

TEST(Matchmaker, InvalidRequestsAreRefusedAndQueueNothing) {
  matchmaker m;
  queue(m, inviter("host", "CODE1"), t0);
  auto no_rounds = req("u1", {});
  auto unspecified_round = req("u2", {v1::ROUND_TYPE_UNSPECIFIED});
  auto unknown_round = req("u3", {static_cast<v1::RoundType>(99)});
  auto no_level = req("u4", {SD}, v1::LEVEL_UNSPECIFIED);
  auto level_below = req("u5", {SD}, static_cast<v1::Level>(3));
  auto level_above = req("u6", {SD}, static_cast<v1::Level>(8));
  auto no_user = req("", {SD});
  auto unknown_code = invitee("u7", "NOSUCH");
  auto taken_code = inviter("u8", "CODE1");
  for (const auto& r : {no_rounds, unspecified_round, unknown_round, no_level, level_below, level_above, no_user,
                        unknown_code, taken_code}) {
    EXPECT_NE(m.enqueue(r, t0 + 1), "") << r.user_id;
    if (!r.user_id.empty()) {
      EXPECT_FALSE(m.has_ticket(r.user_id)) << r.user_id;
    }
  }
  EXPECT_EQ(m.size(), 1u);
  // The refused inviter did not take over the code: an invitee still finds host.
  queue(m, invitee("guest", "CODE1"), t0 + 2);
  EXPECT_EQ(pairs(m.pass(t0 + 3)), strings{"host+guest"});
}

TEST(Matchmaker, AnUnknownCompanyStyleIsRefusedAndNeverBendsTheRules) {
  // Regression: enqueue() once checked round types and the level range but not
  // the company style, which goes into a 4-bit field of the bucket key
  // (round << 8 | level << 4 | style). Proto3 enums are open and the shell
  // copies Enqueue.company_style straight in, so a client could send 16: an L4
  // ticket then sat in the (L5, unspecified) bucket and was matched at once
  // with an L6 ticket, two level steps apart with no widening.
  matchmaker m;
  const auto err = m.enqueue(req("odd", {SD}, L4, static_cast<v1::CompanyStyle>(16)), t0);
  queue(m, req("l6", {SD}, L6, HYPER), t0);
  EXPECT_NE(err, "") << "an unknown company style should be refused, like an unknown round type";
  EXPECT_TRUE(m.pass(t0).matches.empty()) << "L4 and L6 must not match before the second widening";
}

TEST(Matchmaker, AnInviteCodeIsFreeAgainOnceItsTicketIsGone) {
  matchmaker m;
  queue(m, inviter("host", "C"), t0);
  EXPECT_TRUE(m.cancel("host"));
  EXPECT_NE(m.enqueue(invitee("guest", "C"), t0 + 1), "") << "the code left with its ticket";
  queue(m, inviter("other", "C"), t0 + 2);
}

// --- invite codes ---------------------------------------------------------------

TEST(Matchmaker, AnInvitersTicketIsNeverMatchedWithStrangers) {
  matchmaker m;
  queue(m, inviter("host", "PRIV", {SD}, L5), t0);
  queue(m, req("stranger", {SD}, L5, HYPER), t0 + 1);
  queue(m, req("stranger2", {SD}, L5, ANY), t0 + 2);
  const auto first = m.pass(t0 + 3);
  ASSERT_EQ(pairs(first), strings{"stranger+stranger2"});
  queue(m, req("stranger3", {SD}, L5, ANY), t0 + 4);
  for (int64_t at : {t0 + 5, t0 + widen, t0 + 2 * widen, t0 + 300 * s})
    EXPECT_TRUE(m.pass(at).matches.empty()) << at - t0;
  EXPECT_TRUE(m.has_ticket("host"));
  EXPECT_TRUE(m.has_ticket("stranger3"));
}

TEST(Matchmaker, AnInviteeMeetsTheInviterWhateverTheCriteria) {
  matchmaker m;
  queue(m, inviter("host", "PRIV", {SD}, L4), t0);
  queue(m, req("stranger", {SD}, L4, HYPER), t0 + 1);  // would suit host, must not get it
  auto guest = invitee("guest", "PRIV");
  guest.rounds = {MET};
  guest.level = L7;
  guest.style = FAST;
  guest.language = "de";
  queue(m, guest, t0 + 2);
  const auto p = m.pass(t0 + 3);
  ASSERT_EQ(pairs(p), strings{"host+guest"});
  EXPECT_EQ(p.matches[0].round, SD) << "a round the inviter asked for";
  EXPECT_TRUE(m.has_ticket("stranger"));
  EXPECT_FALSE(m.has_ticket("host"));
}

TEST(Matchmaker, AnInviteeNeedsNoCriteriaOfItsOwn) {
  matchmaker m;
  queue(m, inviter("host", "K", {BEH, XFN}, L6), t0);
  queue(m, invitee("guest", "K"), t0 + 1);  // no rounds, no level
  const auto p = m.pass(t0 + 1);
  ASSERT_EQ(pairs(p), strings{"host+guest"});
  EXPECT_TRUE(p.matches[0].round == BEH || p.matches[0].round == XFN);
}

TEST(Matchmaker, AnInviteeIsNeverMatchedWithStrangers) {
  matchmaker m;
  queue(m, inviter("host", "K"), t0);
  auto guest = invitee("guest", "K");
  guest.rounds = {SD};
  guest.level = L5;
  guest.style = HYPER;
  queue(m, guest, t0 + 1);
  ASSERT_TRUE(m.cancel("host"));  // the host leaves before a pass
  queue(m, req("stranger", {SD}, L5, HYPER), t0 + 2);
  for (int64_t at : {t0 + 3, t0 + 2 * widen + 2}) EXPECT_TRUE(m.pass(at).matches.empty());
  EXPECT_TRUE(m.has_ticket("guest"));
  EXPECT_TRUE(m.has_ticket("stranger"));
}

TEST(Matchmaker, OnlyOneInviteeGetsTheInviter) {
  matchmaker m;
  queue(m, inviter("host", "K"), t0);
  queue(m, invitee("g1", "K"), t0 + 1);
  queue(m, invitee("g2", "K"), t0 + 2);
  EXPECT_EQ(pairs(m.pass(t0 + 3)), strings{"host+g1"});
  EXPECT_TRUE(m.has_ticket("g2"));
}

// --- requeue -------------------------------------------------------------------

TEST(Matchmaker, RequeuePutsATicketBackAheadOfNewerOnes) {
  matchmaker m;
  queue(m, req("a"), t0);
  queue(m, req("b"), t0 + 1);
  const auto first = m.pass(t0 + 2);
  ASSERT_EQ(pairs(first), strings{"a+b"});
  queue(m, req("c"), t0 + 3);
  queue(m, req("d"), t0 + 4);
  // b forfeits: a goes back as it was.
  m.requeue(first.matches[0].older);
  EXPECT_TRUE(m.has_ticket("a"));
  EXPECT_EQ(m.size(), 3u);
  EXPECT_EQ(m.status("a", t0 + 5)->waited_ms, 5) << "its wait counts from its first arrival";
  const auto p = m.pass(t0 + 5);
  ASSERT_EQ(pairs(p), strings{"a+c"});
  EXPECT_EQ(p.matches[0].older.seq, first.matches[0].older.seq);
  EXPECT_TRUE(m.has_ticket("d"));
}

TEST(Matchmaker, ARequeuedTicketIsFirstInLine) {
  matchmaker m;
  queue(m, req("a", {SD}), t0);
  queue(m, req("b", {SD}), t0 + 1);
  const auto first = m.pass(t0 + 2);
  ASSERT_EQ(first.matches.size(), 1u);
  queue(m, req("c", {TDD}), t0 + 3);
  queue(m, req("d", {BEH}), t0 + 4);
  m.pass(t0 + 5);
  EXPECT_EQ(position(m, "c", t0 + 5), 1u);
  m.requeue(first.matches[0].newer);  // the newer of the pair comes back this time
  m.pass(t0 + 6);
  EXPECT_EQ(position(m, "b", t0 + 6), 1u);
  EXPECT_EQ(position(m, "c", t0 + 6), 2u);
  EXPECT_EQ(position(m, "d", t0 + 6), 3u);
}

TEST(Matchmaker, RequeueKeepsOneLiveTicketPerUser) {
  // Regression: requeue() once did not check whether the user had a live
  // ticket again. A user who enqueued while their match was pending (a second
  // tab, the shell's room-join window) then held two live tickets after the
  // partner's forfeit, and the next pass matched the user with themself.
  matchmaker m;
  queue(m, req("a"), t0);
  queue(m, req("b"), t0);
  const auto first = m.pass(t0);
  ASSERT_EQ(pairs(first), strings{"a+b"});
  queue(m, req("a"), t0 + s);         // allowed: a has no live ticket
  m.requeue(first.matches[0].older);  // b forfeits
  const auto p = m.pass(t0 + 2 * s);
  for (const auto& mp : p.matches)
    EXPECT_NE(mp.older.req.user_id, mp.newer.req.user_id) << "a user matched with themself";
  EXPECT_TRUE(m.has_ticket("a"));
  EXPECT_EQ(m.size(), 1u);
}

TEST(Matchmaker, ARequeuedTicketKeepsItsExpiry) {
  matchmaker m;
  auto r = req("a");
  r.max_wait_ms = 60 * s;
  queue(m, r, t0);
  queue(m, req("b"), t0);
  const auto first = m.pass(t0);
  ASSERT_EQ(first.matches.size(), 1u);
  m.requeue(first.matches[0].older);
  EXPECT_TRUE(m.pass(t0 + 60 * s - 1).expired.empty());
  EXPECT_EQ(expired_users(m.pass(t0 + 60 * s)), strings{"a"});
}

TEST(Matchmaker, ARequeuedInviterCanBeJoinedAgain) {
  matchmaker m;
  queue(m, inviter("host", "K"), t0);
  queue(m, invitee("g1", "K"), t0 + 1);
  const auto first = m.pass(t0 + 2);
  ASSERT_EQ(pairs(first), strings{"host+g1"});
  m.requeue(first.matches[0].older);  // g1 never joined
  queue(m, req("stranger"), t0 + 3);
  queue(m, req("stranger2", {MET}), t0 + 3);
  EXPECT_TRUE(m.pass(t0 + 4).matches.empty()) << "still private";
  queue(m, invitee("g2", "K"), t0 + 5);
  EXPECT_EQ(pairs(m.pass(t0 + 6)), strings{"host+g2"});
}

// More than 1024 dead entries that are over half of all: the pass compacts.
// Returns the first pair's tickets; queues "lonely" (fr) and an inviter "host".
std::vector<ticket> match_many_and_compact(matchmaker& m, int64_t now) {
  queue(m, req("lonely", {SD}, L5, HYPER, "fr"), now);
  queue(m, inviter("host", "BIG"), now);
  for (int i = 0; i < 1100; ++i) {
    queue(m, req("p" + std::to_string(i) + "a", {MET}, L6), now);
    queue(m, req("p" + std::to_string(i) + "b", {MET}, L6), now);
  }
  const auto p = m.pass(now);
  EXPECT_EQ(p.matches.size(), 1100u);
  EXPECT_EQ(m.size(), 2u);
  if (p.matches.empty()) return {};
  return {p.matches[0].older, p.matches[0].newer};
}

TEST(Matchmaker, RequeueAfterCompaction) {
  matchmaker m;
  const auto first = match_many_and_compact(m, t0);
  ASSERT_EQ(first.size(), 2u);
  ASSERT_EQ(first[0].req.user_id, "p0a");
  // Newer tickets arrive; then p0b forfeits and p0a goes back.
  queue(m, req("n1", {MET}, L6), t0 + 1);
  queue(m, req("n2", {MET}, L6), t0 + 2);
  m.requeue(first[0]);
  EXPECT_EQ(m.size(), 5u);
  EXPECT_TRUE(m.has_ticket("p0a"));
  m.requeue(first[1]);  // and the other one too, later (both sides came back)
  EXPECT_EQ(m.size(), 6u);
  const auto p = m.pass(t0 + 3);
  EXPECT_EQ(pairs(p), (strings{"p0a+p0b", "n1+n2"}));
  // What survived the compaction still works.
  EXPECT_EQ(position(m, "lonely", t0 + 3), 1u);
  queue(m, invitee("guest", "BIG"), t0 + 4);
  queue(m, req("fr2", {SD}, L5, HYPER, "fr"), t0 + 4);
  EXPECT_EQ(pairs(m.pass(t0 + 5)), (strings{"lonely+fr2", "host+guest"}));
  EXPECT_EQ(m.size(), 0u);
}

TEST(Matchmaker, RequeueAfterCompactionTakesItsOldPlaceInLine) {
  matchmaker m;
  const auto first = match_many_and_compact(m, t0);
  ASSERT_EQ(first.size(), 2u);
  queue(m, req("n1", {TDD}, L6), t0 + 1);
  queue(m, req("n2", {BEH}, L6), t0 + 1);
  m.requeue(first[1]);
  m.pass(t0 + 2);
  EXPECT_EQ(position(m, "p0b", t0 + 2), 1u);
  EXPECT_EQ(position(m, "n1", t0 + 2), 2u);
  EXPECT_EQ(position(m, "n2", t0 + 2), 3u);
  EXPECT_EQ(position(m, "lonely", t0 + 2), 1u) << "fr";
}

TEST(Matchmaker, RequeueBeforeAndAfterCompactionInOneRun) {
  matchmaker m;
  // Before: a few dead entries only.
  queue(m, req("a"), t0);
  queue(m, req("b"), t0);
  const auto early = m.pass(t0);
  ASSERT_EQ(early.matches.size(), 1u);
  // Then a compaction while a is out (in its interview).
  for (int i = 0; i < 600; ++i) {
    queue(m, req("q" + std::to_string(i) + "a", {MET}, L4), t0 + 1);
    queue(m, req("q" + std::to_string(i) + "b", {MET}, L4), t0 + 1);
  }
  ASSERT_EQ(m.pass(t0 + 1).matches.size(), 600u);
  queue(m, req("c"), t0 + 2);
  queue(m, req("d"), t0 + 2);
  m.requeue(early.matches[0].older);
  EXPECT_EQ(pairs(m.pass(t0 + 3)), (strings{"a+c"}));
  EXPECT_TRUE(m.has_ticket("d"));
}

// --- status --------------------------------------------------------------------

TEST(Matchmaker, StatusOfUnknownUserIsEmpty) {
  matchmaker m;
  EXPECT_FALSE(m.status("nobody", t0).has_value());
}

TEST(Matchmaker, PositionIsPerLanguageAmongPublicTicketsInArrivalOrder) {
  matchmaker m;
  queue(m, req("en1", {SD}, L4, HYPER, "en"), t0);
  queue(m, req("fr1", {SD}, L4, HYPER, "fr"), t0 + 1);
  queue(m, inviter("priv", "P", {TDD}, L4), t0 + 2);  // en, private
  queue(m, req("en2", {TDD}, L4, HYPER, "en"), t0 + 3);
  queue(m, req("fr2", {TDD}, L4, HYPER, "fr"), t0 + 4);
  queue(m, req("en3", {BEH}, L4, HYPER, "en"), t0 + 5);
  ASSERT_TRUE(m.pass(t0 + 6).matches.empty());
  EXPECT_EQ(position(m, "en1", t0 + 6), 1u);
  EXPECT_EQ(position(m, "en2", t0 + 6), 2u);
  EXPECT_EQ(position(m, "en3", t0 + 6), 3u);
  EXPECT_EQ(position(m, "fr1", t0 + 6), 1u);
  EXPECT_EQ(position(m, "fr2", t0 + 6), 2u);
  // Positions are recomputed by the next pass.
  ASSERT_TRUE(m.cancel("en1"));
  queue(m, req("en4", {XFN}, L4, HYPER, "en"), t0 + 7);
  m.pass(t0 + 8);
  EXPECT_EQ(position(m, "en2", t0 + 8), 1u);
  EXPECT_EQ(position(m, "en3", t0 + 8), 2u);
  EXPECT_EQ(position(m, "en4", t0 + 8), 3u);
  EXPECT_EQ(position(m, "fr1", t0 + 8), 1u);
  // A match moves everyone behind it up.
  queue(m, req("fr3", {SD}, L5, HYPER, "fr"), t0 + 9);
  ASSERT_EQ(pairs(m.pass(t0 + 10)), strings{"fr1+fr3"});
  EXPECT_EQ(position(m, "fr2", t0 + 10), 1u);
}

TEST(Matchmaker, StatusWideningOverTime) {
  matchmaker m;
  queue(m, req("a", {SD}, L5, HYPER), t0);
  queue(m, req("any", {TDD}, L5, ANY), t0);
  struct row {
    int64_t at;
    int widening;
    int gap;
    bool any_style;
  };
  for (const auto& r : {row{0, 0, 1, false}, row{widen - 1, 0, 1, false}, row{widen, 1, 1, true},
                        row{2 * widen - 1, 1, 1, true}, row{2 * widen, 2, 2, true}, row{500 * s, 2, 2, true}}) {
    const auto st = m.status("a", t0 + r.at);  // live: no pass needed
    ASSERT_TRUE(st.has_value());
    EXPECT_EQ(st->waited_ms, r.at);
    EXPECT_EQ(st->widening, r.widening) << r.at;
    EXPECT_EQ(st->max_level_gap, r.gap) << r.at;
    EXPECT_EQ(st->any_style, r.any_style) << r.at;
    EXPECT_TRUE(m.status("any", t0 + r.at)->any_style) << "unspecified style takes any from the start";
  }
}

TEST(Matchmaker, EstimatedWaitIsZeroBeforeAnyMatch) {
  matchmaker m;
  queue(m, req("a", {SD}), t0);
  queue(m, req("b", {MET}), t0);
  m.pass(t0 + 10 * s);
  EXPECT_EQ(m.status("a", t0 + 10 * s)->estimated_wait_ms, 0);
  // Expiries and cancels are not matches.
  ASSERT_TRUE(m.cancel("b"));
  m.pass(t0 + 700 * s);
  queue(m, req("c", {SD}), t0 + 701 * s);
  EXPECT_EQ(m.status("c", t0 + 701 * s)->estimated_wait_ms, 0);
}

TEST(Matchmaker, EstimatedWaitFollowsRecentMatchedWaitsPerLanguage) {
  matchmaker m;
  // Both wait 30 s (styles differ until the first widening).
  queue(m, req("a", {SD}, L5, HYPER), t0);
  queue(m, req("b", {SD}, L5, FAST), t0);
  ASSERT_EQ(m.pass(t0 + widen).matches.size(), 1u);
  queue(m, req("c", {TDD}), t0 + widen);
  queue(m, req("fr", {TDD}, L5, HYPER, "fr"), t0 + widen);
  EXPECT_EQ(m.status("c", t0 + widen)->estimated_wait_ms, widen);
  EXPECT_EQ(m.status("c", t0 + widen + 10 * s)->estimated_wait_ms, widen - 10 * s) << "minus time waited";
  EXPECT_EQ(m.status("c", t0 + widen + 40 * s)->estimated_wait_ms, 0) << "never negative";
  EXPECT_EQ(m.status("fr", t0 + widen)->estimated_wait_ms, 0) << "per language";
  // Both wait 60 s this time (levels two steps apart): the estimate moves up, toward 60 s.
  const int64_t t1 = t0 + 100 * s;
  queue(m, req("d", {BEH}, L4), t1);
  queue(m, req("e", {BEH}, L6), t1);
  ASSERT_EQ(m.pass(t1 + 2 * widen).matches.size(), 1u);
  queue(m, req("f", {XFN}), t1 + 2 * widen);
  const auto est = m.status("f", t1 + 2 * widen)->estimated_wait_ms;
  EXPECT_GT(est, widen);
  EXPECT_LT(est, 2 * widen) << "an average of recent waits, not the last one alone";
}

TEST(Matchmaker, EstimatedWaitCountsInstantMatches) {
  // Regression: the moving average once treated exactly 0 as "no data yet"
  // (`avg == 0 ? waited : ...`), so matches made with no wait were dropped:
  // after instant matches, one 30 s match set the estimate to the full 30 s
  // instead of a value pulled down by the recent instant ones.
  matchmaker m;
  for (int i = 0; i < 3; ++i) {
    queue(m, req("i" + std::to_string(i) + "a"), t0);
    queue(m, req("i" + std::to_string(i) + "b"), t0);
  }
  ASSERT_EQ(m.pass(t0).matches.size(), 3u);  // three matches with a wait of 0
  queue(m, req("x", {TDD}), t0);
  EXPECT_EQ(m.status("x", t0)->estimated_wait_ms, 0);
  ASSERT_TRUE(m.cancel("x"));
  queue(m, req("a", {SD}, L5, HYPER), t0 + s);
  queue(m, req("b", {SD}, L5, FAST), t0 + s);
  ASSERT_EQ(m.pass(t0 + s + widen).matches.size(), 1u);  // one match with a wait of 30 s
  queue(m, req("c", {TDD}), t0 + s + widen);
  EXPECT_LT(m.status("c", t0 + s + widen)->estimated_wait_ms, widen)
      << "the recent instant matches should pull the average below the one 30 s wait";
}

// --- a seeded run against a reference ---------------------------------------------

// The rules written out plainly, compared pass by pass with the matchmaker on
// random enqueues, cancels, forfeits (requeue) and clock steps; compactions
// happen along the way.
class reference {
 public:
  struct rt {
    ticket t;
    bool live = true;
  };

  std::string enqueue(const ticket_request& r, int64_t now) {
    for (const auto& [seq, x] : all_)
      if (x.live && x.t.req.user_id == r.user_id) return "duplicate";
    rt x;
    x.t.req = r;
    x.t.seq = next_++;
    x.t.enqueued_ms = now;
    x.t.expires_ms = now + (r.max_wait_ms > 0 ? std::min<int64_t>(r.max_wait_ms, 1'800'000) : 600'000);
    all_[x.t.seq] = x;
    return "";
  }
  void requeue(const ticket& t) { all_[t.seq] = rt{t, true}; }
  bool cancel(const std::string& user) {
    for (auto& [seq, x] : all_)
      if (x.live && x.t.req.user_id == user) {
        all_.erase(seq);
        return true;
      }
    return false;
  }
  static int stage(const ticket& t, int64_t now) {
    return static_cast<int>(std::clamp<int64_t>((now - t.enqueued_ms) / widen, 0, 2));
  }
  static bool compatible(const ticket& a, const ticket& b, int64_t now) {
    const int reach = std::max(stage(a, now), stage(b, now));
    if (a.req.language != b.req.language) return false;
    if (std::abs(int(a.req.level) - int(b.req.level)) > (reach >= 2 ? 2 : 1)) return false;
    if (reach < 1 && a.req.style != ANY && b.req.style != ANY && a.req.style != b.req.style) return false;
    for (auto r : a.req.rounds)
      if (std::find(b.req.rounds.begin(), b.req.rounds.end(), r) != b.req.rounds.end()) return true;
    return false;
  }
  // Pairs as (older seq, newer seq); expired seqs.
  std::pair<std::vector<std::pair<uint64_t, uint64_t>>, std::vector<uint64_t>> pass(int64_t now) {
    std::vector<std::pair<uint64_t, uint64_t>> matched;
    std::vector<uint64_t> expired;
    for (auto& [seq, x] : all_)
      if (x.live && x.t.expires_ms <= now) {
        x.live = false;
        expired.push_back(seq);
      }
    for (auto& [seq, x] : all_) {
      if (!x.live) continue;
      for (auto& [other_seq, y] : all_) {
        if (other_seq == seq || !y.live || !compatible(x.t, y.t, now)) continue;
        x.live = y.live = false;
        matched.emplace_back(std::min(seq, other_seq), std::max(seq, other_seq));
        break;
      }
    }
    std::erase_if(all_, [](const auto& kv) { return !kv.second.live; });
    return {matched, expired};
  }
  std::map<std::string, uint32_t> positions() const {
    std::map<std::string, uint32_t> counts, out;
    for (const auto& [seq, x] : all_)
      if (x.live) out[x.t.req.user_id] = ++counts[x.t.req.language];
    return out;
  }
  size_t size() const {
    return static_cast<size_t>(std::count_if(all_.begin(), all_.end(), [](const auto& kv) { return kv.second.live; }));
  }

 private:
  std::map<uint64_t, rt> all_;  // by seq: arrival order
  uint64_t next_ = 1;
};

TEST(Matchmaker, SeededRunAgreesWithAPlainReading) {
  std::mt19937_64 rng(20240611);
  auto pick = [&](uint64_t n) { return rng() % n; };
  const v1::RoundType rounds[] = {SD, TDD, BEH, XFN, MET};
  const v1::Level levels[] = {L4, L5, L6, L7};
  const v1::CompanyStyle styles[] = {ANY, HYPER, FAST, PLAT};
  const char* languages[] = {"en", "en", "en", "fr", "de"};

  matchmaker m;
  reference ref;
  int64_t now = t0;
  std::vector<match_pair> last_matches;
  size_t total_matches = 0, total_expired = 0, total_requeued = 0, total_cancelled = 0;
  for (int step = 0; step < 6000; ++step) {
    const auto op = pick(100);
    if (op < 55) {
      auto r = req("u" + std::to_string(pick(120)), {}, levels[pick(4)], styles[pick(4)], languages[pick(5)]);
      for (auto rt : rounds)
        if (pick(3) == 0) r.rounds.push_back(rt);
      if (r.rounds.empty()) r.rounds.push_back(rounds[pick(5)]);
      if (pick(4) == 0) r.max_wait_ms = int64_t(pick(200)) * s;
      const bool ok = m.enqueue(r, now).empty();
      ASSERT_EQ(ok, ref.enqueue(r, now).empty()) << "step " << step;
    } else if (op < 62) {
      const auto user = "u" + std::to_string(pick(120));
      const bool cancelled = m.cancel(user);
      ASSERT_EQ(cancelled, ref.cancel(user)) << "step " << step;
      total_cancelled += cancelled;
    } else if (op < 68 && !last_matches.empty()) {
      // A forfeit: one side of a recent match goes back (if it has not queued again).
      const auto& mp = last_matches[pick(last_matches.size())];
      const ticket& back = pick(2) ? mp.older : mp.newer;
      if (!m.has_ticket(back.req.user_id)) {
        m.requeue(back);
        ref.requeue(back);
        ++total_requeued;
      }
      last_matches.clear();
    } else {
      now += int64_t(pick(25)) * s + int64_t(pick(1000));
      const auto got = m.pass(now);
      const auto [want_pairs, want_expired] = ref.pass(now);
      std::vector<std::pair<uint64_t, uint64_t>> got_pairs;
      for (const auto& mp : got.matches) {
        got_pairs.emplace_back(mp.older.seq, mp.newer.seq);
        ASSERT_LT(mp.older.seq, mp.newer.seq);
        ASSERT_NE(std::find(mp.older.req.rounds.begin(), mp.older.req.rounds.end(), mp.round),
                  mp.older.req.rounds.end());
        ASSERT_NE(std::find(mp.newer.req.rounds.begin(), mp.newer.req.rounds.end(), mp.round),
                  mp.newer.req.rounds.end());
        ASSERT_TRUE(reference::compatible(mp.older, mp.newer, now));
      }
      std::vector<uint64_t> got_expired;
      for (const auto& t : got.expired) got_expired.push_back(t.seq);
      ASSERT_EQ(got_pairs, want_pairs) << "step " << step;
      ASSERT_EQ(got_expired, want_expired) << "step " << step;
      for (const auto& [user, pos] : ref.positions()) ASSERT_EQ(position(m, user, now), pos) << user;
      total_matches += got.matches.size();
      total_expired += got.expired.size();
      last_matches = got.matches;
    }
    ASSERT_EQ(m.size(), ref.size()) << "step " << step;
  }
  // The run exercised what it is meant to (and enough dead entries to compact).
  EXPECT_GT(total_matches, 600u);
  EXPECT_GT(total_expired, 10u);
  EXPECT_GT(total_requeued, 20u);
  EXPECT_GT(2 * total_matches + total_expired + total_cancelled, 2 * 1024u + 100u) << "several compactions";
}

}  // namespace
}  // namespace mockloop

namespace mockloop {
namespace {

// Each language costs the matchmaker a block of buckets for its lifetime, so
// clients may not invent languages without bound.
TEST(MatchmakerLimits, LanguagesAreCapped) {
  matchmaker m;
  for (size_t i = 0; i < max_languages; ++i) {
    ticket_request r;
    r.user_id = "u" + std::to_string(i);
    r.rounds = {v1::ROUND_TYPE_SYSTEM_DESIGN};
    r.level = v1::LEVEL_L5;
    r.language = "lang-" + std::to_string(i);
    ASSERT_EQ(m.enqueue(r, 0), "") << i;
  }
  ticket_request r;
  r.user_id = "one-more";
  r.rounds = {v1::ROUND_TYPE_SYSTEM_DESIGN};
  r.level = v1::LEVEL_L5;
  r.language = "klingon";
  EXPECT_EQ(m.enqueue(r, 0), "unsupported language");
  r.language = "lang-3";
  EXPECT_EQ(m.enqueue(r, 0), "") << "a known language is still fine";
}

}  // namespace
}  // namespace mockloop
