#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz) with clang into build-fuzz/ and
# runs each for a bounded time, starting from the checked-in seed corpus.
# Exits non-zero if any target crashes, leaks, trips a sanitizer or breaks
# one of its invariants; the input that did it is left in build-fuzz/artifacts/.
#
#   deploy/fuzz.sh                      every target, 25 s each
#   deploy/fuzz.sh --seconds 300        longer, by hand
#   deploy/fuzz.sh fuzz_decode_json     one target
#   deploy/fuzz.sh --build DIR          another build directory
#
# Reproduce a crash:  build-fuzz/tests/fuzz/<target> build-fuzz/artifacts/<target>-crash-...
# Keep it as a regression input (run first on every later run) by copying it,
# minimised (<target> -minimize_crash=1 -runs=10000 <file>), to
# tests/fuzz/corpus/<corpus>/regress-<what-it-was>.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"

seconds=25
build=build-fuzz
targets=()
while (($#)); do
  case "$1" in
    --seconds) seconds=${2:?--seconds needs a number}; shift 2 ;;
    --build) build=${2:?--build needs a directory}; shift 2 ;;
    fuzz_*) targets+=("$1"); shift ;;
    *) echo "fuzz.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done

# target -> its seed corpus under tests/fuzz/corpus (and dictionary, if any)
declare -A corpus_of=(
  [fuzz_decode_binary]=binary
  [fuzz_decode_json]=json
  [fuzz_protocol_session]=session
  [fuzz_scenario_loader]=scenario
)
if ((${#targets[@]} == 0)); then
  targets=(fuzz_decode_binary fuzz_decode_json fuzz_protocol_session fuzz_scenario_loader)
fi
for t in "${targets[@]}"; do
  [[ -n "${corpus_of[$t]:-}" ]] || { echo "fuzz.sh: no such target $t" >&2; exit 2; }
done

bash deploy/install-deps.sh --fuzz

export CCACHE_BASEDIR="$repo" CCACHE_NOHASHDIR=true
# Only what the fuzzers need is built (proto, codec, core): no tests, no
# benchmarks, and the shell and server are configured but never compiled.
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_COMPILER=clang++-14 -DMOCKLOOP_FUZZ=ON \
  -DMOCKLOOP_BUILD_TESTS=OFF -DMOCKLOOP_BUILD_BENCHMARKS=OFF >/dev/null
cmake --build "$build" --target mockloop_fuzzers

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:symbolize=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
if [[ -x /usr/bin/llvm-symbolizer-14 ]]; then export ASAN_SYMBOLIZER_PATH=/usr/bin/llvm-symbolizer-14; fi

mkdir -p "$build/artifacts"
failed=()
summary=()
for t in "${targets[@]}"; do
  seeds=tests/fuzz/corpus/${corpus_of[$t]}
  work=$build/corpus/$t  # grows across runs on one machine; the seeds stay as checked in
  mkdir -p "$work"
  dict=()
  if [[ -f tests/fuzz/${corpus_of[$t]}.dict ]]; then dict=(-dict="tests/fuzz/${corpus_of[$t]}.dict"); fi
  log=$build/$t.log
  echo "== $t: ${seconds}s from $seeds"
  # -timeout: one input taking over 10 s is a hang, reported as a crash.
  # -rss_limit_mb: a decoder that balloons on a small input is a bug too.
  rc=0
  "$build/tests/fuzz/$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$build/artifacts/$t-" "${dict[@]}" \
    "$work" "$seeds" >"$log" 2>&1 || rc=$?
  done_line=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -1 || true)
  execs=$(grep -E '^stat::number_of_executed_units' "$log" | awk '{print $2}' || true)
  rate=$(grep -E '^stat::average_exec_per_sec' "$log" | awk '{print $2}' || true)
  summary+=("$t: rc=$rc execs=${execs:-?} exec/s=${rate:-?} ${done_line:-(no DONE line)}")
  if ((rc != 0)); then
    failed+=("$t")
    echo "fuzz.sh: $t failed (exit $rc); the end of $log:" >&2
    tail -n 60 "$log" >&2
  fi
done

echo "== fuzz summary (${seconds}s per target)"
printf '%s\n' "${summary[@]}"
if ((${#failed[@]})); then
  echo "fuzz.sh: FAILED: ${failed[*]} (inputs in $build/artifacts/)" >&2
fi
echo "fuzz: $((${#targets[@]} - ${#failed[@]})) passed, ${#failed[@]} failed"
((${#failed[@]} == 0))
