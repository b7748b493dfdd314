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
// There is no no-match benchmark at 100k: with at most 64 languages
// (max_languages) and 5 x 4 x 4 criteria, 100k tickets cannot all be
// mutually incompatible, so a queue that large is always a matching pass.
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

}  // namespace
}  // namespace mockloop

BENCHMARK_MAIN();
