#!/usr/bin/env bash
# Issue #18's CPU target, measured with less noise than one pair: PAIRS
# pairs of runs, ticks only then whole interviews, on the same 3,750 rooms /
# 15,000 connections, each pair one after the other; prints every pair and
# the medians of the ticks-only CPU, the interview CPU and the per-pair
# ratio. Ticks-only CPU alone wanders by a fifth between runs on a shared
# 2-core machine (docs/load.md), which one pair cannot tell from a change.
#
# usage: client/load/ratio.sh [PAIRS] [-- extra server flags]
# env:   BUILD (build), DURATION (30 s window), SETTLE (8 s), OUT (a new temporary directory)
# Every run is bounded (ramp 15 s + settle + window + grace) and stops by itself.
set -euo pipefail
cd "$(dirname "$0")/../.."
pairs=${1:-3}
shift || true
[ "${1:-}" = "--" ] && shift
build=${BUILD:-build}
out=${OUT:-$(mktemp -d /tmp/mockloop-ratio-XXXXXX)}
mkdir -p "$out"
gen="$build/client/load/mockloop-load"
[ -x "$gen" ] || { echo "ratio.sh: no $gen; build the mockloop-load target first" >&2; exit 2; }

for i in $(seq 1 "$pairs"); do
  for mode in ticks interview; do
    "$gen" --server-bin "$build/server/mockloop-server" --mode "$mode" --rooms 3750 --observers 2 \
      --duration "${DURATION:-30}" --settle "${SETTLE:-8}" --json "$out/$i-$mode.json" \
      -- --scenarios scenarios "$@" > "$out/$i-$mode.txt" 2>&1
  done
done

python3 - "$out" "$pairs" <<'EOF'
import json, statistics, sys
out, pairs = sys.argv[1], int(sys.argv[2])
rows = []
for i in range(1, pairs + 1):
    t = json.load(open(f"{out}/{i}-ticks.json"))
    v = json.load(open(f"{out}/{i}-interview.json"))
    bad = [f"{m['mode']}: {m['errors']['total']} errors, {m['rooms_detail']['failed']} rooms failed"
           for m in (t, v) if m['errors']['total'] or m['rooms_detail']['failed'] or m['rooms_detail']['unfinished']]
    tc, vc = t['server_proc']['cpu_cores_window'], v['server_proc']['cpu_cores_window']
    p99 = v['latency']['tick_window']['p99_ms']
    rows.append((tc, vc, vc / tc))
    print(f"pair {i}: ticks {tc:.3f} cores, interviews {vc:.3f} cores, ratio {vc / tc:.2f}x, "
          f"interview tick p99 {p99:.2f} ms, debriefed {v['rooms_detail']['debriefed']}/{v['rooms']}" + (f"  ({'; '.join(bad)})" if bad else ""))
med = lambda k: statistics.median(r[k] for r in rows)
print(f"median: ticks {med(0):.3f} cores, interviews {med(1):.3f} cores, ratio {med(2):.2f}x "
      f"(ratio of the medians {med(1) / med(0):.2f}x); runs in {out}")
EOF
