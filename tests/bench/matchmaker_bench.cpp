// One matching pass (matchmaker::pass) over a full queue; building the
// queue is not timed. Numbers in docs/matchmaking.md ("Benchmark").
//
// BM_PassMixed: 1k, 10k, 100k waiting tickets with mixed criteria from a
// fixed-seed RNG: 1-3 of the 5 round types, L4-L7, 4 company styles
// (unspecified included), 3 languages weighted 70/20/10, enqueue times
// spread over the last 2 minutes (so about three quarters have widened
// once, half twice). Most tickets find a partner: this is the pass right
// after a burst of arrivals. The queue is built again before each pass.
//
// BM_PassNoMatches: 100k tickets none of which can pair with another, so the
// pass scans and probes without matching: the steady-state cost of a large
// queue, built once (such a pass changes nothing). "fresh": nobody widened, 30 mutually incompatible criteria per
// language (one round type, L4/L6 or L5/L7, three named styles) over 3,334
// languages. "widened": everyone widened twice (any style, two level steps),
// one ticket per round type per language over 20,000 languages, so each ticket
// probes every style and up to four levels.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "mockloop/core/matchmaker.h"

namespace mockloop {
namespace {

constexpr int64_t now = 1'800'000'000'000;
constexpr int64_t two_minutes = 120'000;

constexpr v1::RoundType all_rounds[] = {v1::ROUND_TYPE_SYSTEM_DESIGN, v1::ROUND_TYPE_TECHNICAL_DEEP_DIVE,
                                        v1::ROUND_TYPE_BEHAVIORAL_LEADERSHIP, v1::ROUND_TYPE_CROSS_FUNCTIONAL,
                                        v1::ROUND_TYPE_METRICS_AND_DATA};
constexpr v1::Level all_levels[] = {v1::LEVEL_L4, v1::LEVEL_L5, v1::LEVEL_L6, v1::LEVEL_L7};
constexpr v1::CompanyStyle all_styles[] = {v1::COMPANY_STYLE_UNSPECIFIED, v1::COMPANY_STYLE_HYPERSCALE,
                                           v1::COMPANY_STYLE_FAST_DECISION_CONSUMER,
                                           v1::COMPANY_STYLE_ENGINEERING_PLATFORM};

using arrivals = std::vector<std::pair<int64_t, ticket_request>>;  // (enqueue time, request), in time order

arrivals mixed(size_t n) {
  std::mt19937_64 rng(0x6d6f636b6c6f6f70);  // fixed: every run sees the same queue
  auto pick = [&](uint64_t k) { return rng() % k; };
  arrivals out;
  out.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    ticket_request r;
    r.user_id = "user-" + std::to_string(i);
    std::vector<v1::RoundType> rounds(std::begin(all_rounds), std::end(all_rounds));
    for (size_t k = 0, want = 1 + pick(3); k < want; ++k) {
      std::swap(rounds[k], rounds[k + pick(rounds.size() - k)]);
      r.rounds.push_back(rounds[k]);
    }
    r.level = all_levels[pick(4)];
    r.style = all_styles[pick(4)];
    const auto l = pick(100);
    r.language = l < 70 ? "en" : l < 90 ? "es" : "de";
    out.emplace_back(now - int64_t(pick(two_minutes)), std::move(r));
  }
  std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  return out;
}

arrivals incompatible_fresh(size_t n) {
  arrivals out;
  out.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    const size_t k = i % 30;  // 5 rounds x 2 levels x 3 named styles
    ticket_request r;
    r.user_id = "user-" + std::to_string(i);
    r.rounds = {all_rounds[k % 5]};
    const bool high = (i / 30) % 2;  // L4/L6 in half the languages, L5/L7 in the other
    r.level = all_levels[(k / 5) % 2 * 2 + high];
    r.style = all_styles[1 + k / 10];
    r.language = "lang-" + std::to_string(i / 30);
    out.emplace_back(now - 29'000 + int64_t(i * 29'000 / n), std::move(r));  // none widened yet
  }
  return out;
}

arrivals incompatible_widened(size_t n) {
  arrivals out;
  out.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    ticket_request r;
    r.user_id = "user-" + std::to_string(i);
    r.rounds = {all_rounds[i % 5]};
    r.level = all_levels[(i / 5) % 4];
    r.style = all_styles[(i / 7) % 4];
    r.language = "lang-" + std::to_string(i / 5);
    out.emplace_back(now - two_minutes + int64_t(i * 55'000 / n), std::move(r));  // all 65-120 s old
  }
  return out;
}

void fill(matchmaker& m, const arrivals& in) {
  for (const auto& [at, r] : in)
    if (const auto err = m.enqueue(r, at); !err.empty()) std::abort();
}

void BM_PassMixed(benchmark::State& state) {
  const auto in = mixed(static_cast<size_t>(state.range(0)));
  size_t matches = 0;
  for (auto _ : state) {
    state.PauseTiming();
    {
      matchmaker m;
      fill(m, in);
      pass_result out;
      state.ResumeTiming();
      out = m.pass(now);
      state.PauseTiming();
      matches = out.matches.size();
      benchmark::DoNotOptimize(out);
    }  // the queue and the result are torn down untimed
    state.ResumeTiming();
  }
  state.counters["tickets"] = double(in.size());
  state.counters["matches"] = double(matches);
}
BENCHMARK(BM_PassMixed)->Arg(1'000)->Arg(10'000)->Arg(100'000)->Unit(benchmark::kMillisecond);

// No match is possible, so a pass leaves the queue as it was: build it once.
void pass_no_matches(benchmark::State& state, const arrivals& in) {
  matchmaker m;
  fill(m, in);
  if (!m.pass(now).matches.empty()) state.SkipWithError("the queue was meant to hold no compatible pair");
  for (auto _ : state) {
    auto out = m.pass(now);
    if (!out.matches.empty() || !out.expired.empty()) state.SkipWithError("the queue changed");
    benchmark::DoNotOptimize(out);
  }
  state.counters["tickets"] = double(m.size());
  state.counters["matches"] = 0;
}

void BM_PassNoMatches_Fresh(benchmark::State& state) {
  pass_no_matches(state, incompatible_fresh(static_cast<size_t>(state.range(0))));
}
BENCHMARK(BM_PassNoMatches_Fresh)->Arg(100'020)->Unit(benchmark::kMillisecond);

void BM_PassNoMatches_Widened(benchmark::State& state) {
  pass_no_matches(state, incompatible_widened(static_cast<size_t>(state.range(0))));
}
BENCHMARK(BM_PassNoMatches_Widened)->Arg(100'000)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace mockloop

BENCHMARK_MAIN();
