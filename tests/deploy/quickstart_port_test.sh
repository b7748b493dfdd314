#!/usr/bin/env bash
# deploy/quickstart.sh checks --port before installing or building: a bad
# port and a port something already listens on fail at once, exit 2, with a
# message naming the port, and nothing is installed or built.
#   tests/deploy/quickstart_port_test.sh SERVER_BINARY
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
server=$1
scratch=$(mktemp -d)
trap 'kill "${pid:-}" 2>/dev/null || true; rm -rf "$scratch"' EXIT

expect_refused() {  # expected-message args...
  local want=$1
  shift
  local out rc=0
  out=$(bash "$repo/deploy/quickstart.sh" "$@" 2>&1) || rc=$?
  if ((rc != 2)); then echo "FAIL: quickstart $* exited $rc, want 2: $out"; exit 1; fi
  if [[ "$out" != *"$want"* ]]; then echo "FAIL: quickstart $*: '$out' does not say '$want'"; exit 1; fi
  if [[ "$out" == *install-deps* || "$out" == *ninja* ]]; then echo "FAIL: quickstart $* went on to install or build"; exit 1; fi
  echo "ok: quickstart $* -> $out"
}

expect_refused "not '0'" --port 0
expect_refused "not '70000'" --port=70000
expect_refused "not 'http'" --port http

# A port in use: the real server on an ephemeral port holds it.
"$server" --port 0 --data-dir "$scratch/data" --scenarios "$repo/scenarios" >"$scratch/log" 2>&1 &
pid=$!
port=
for _ in $(seq 100); do
  # The whole line, not a half-written one.
  port=$(sed -n 's|.*listening on http://127.0.0.1:\([0-9]*\) (WebSocket.*|\1|p' "$scratch/log")
  [[ -n "$port" ]] && break
  sleep 0.1
done
[[ -n "$port" ]] || { echo "FAIL: the server did not start: $(cat "$scratch/log")"; exit 1; }
expect_refused "port $port is in use" --port "$port"
expect_refused "port $port is in use" --log-level info --port="$port"
