#!/usr/bin/env bash
# Browser end-to-end tests: headless Chromium against the built server.
#
#   bash tests/e2e/run.sh        (from anywhere; needs the server built in build/)
#
# Installs Chromium (and Node) from Debian packages when missing, installs the
# pinned npm dependencies when node_modules is absent or out of date with
# package-lock.json, then runs every tests/e2e/*.test.mjs with node's test
# runner. Exits non-zero on any failure.
# Environment: MOCKLOOP_SERVER (server binary), MOCKLOOP_E2E_ARTIFACTS (screenshot
# dir), MOCKLOOP_E2E_SCREENSHOTS=1 (also refresh docs/images/room-interviewer.png).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)

# A relative MOCKLOOP_SERVER is taken from the caller's directory.
server=${MOCKLOOP_SERVER:-$repo/build/server/mockloop-server}
if [[ ! -x "$server" ]]; then
  echo "e2e: no server binary at $server; build it first (ninja -C build)" >&2
  exit 1
fi
MOCKLOOP_SERVER=$(cd "$(dirname "$server")" && pwd)/$(basename "$server")
export MOCKLOOP_SERVER
cd "$repo"

# Debian 12's own nodejs (18) and npm do: playwright-core is pinned to the
# last release that supports Node 18 (package.json).
if [[ ! -x /usr/bin/chromium ]] || ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  bash deploy/install-deps.sh --browser
fi
if ! command -v npm >/dev/null || (($(node -p 'process.versions.node.split(".")[0]') < 18)); then
  echo "e2e: need node 18 or newer with npm; have node $(node --version 2>/dev/null || echo none)," \
    "npm $(npm --version 2>/dev/null || echo none)" >&2
  exit 1
fi

# npm ci when node_modules is missing or was installed from another lockfile.
stamp="$here/node_modules/.mockloop-lock.sha256"
want=$(sha256sum "$here/package-lock.json" | cut -d' ' -f1)
if [[ ! -f "$stamp" || "$(cat "$stamp")" != "$want" ]]; then
  echo "e2e: npm ci"
  (cd "$here" && npm ci --no-audit --no-fund --loglevel=error)
  echo "$want" >"$stamp"
fi

shopt -s nullglob
tests=("$here"/*.test.mjs)
if ((${#tests[@]} == 0)); then
  echo "e2e: no tests found in $here" >&2
  exit 1
fi
exec node --test --test-reporter=spec "${tests[@]}"
