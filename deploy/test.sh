#!/usr/bin/env bash
# The test command: installs what is missing, builds, and runs every test
# (unit, integration over loopback, headless-Chromium end to end).
#
#   deploy/test.sh                     normal build in build/
#   deploy/test.sh --sanitize address  ASan+UBSan build in build-asan/
#   deploy/test.sh --sanitize thread   TSan build in build-tsan/
#
# In CI (CI=true) warnings are errors.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"

sanitize=""
while (($#)); do
  case "$1" in
    --sanitize) sanitize=${2:?--sanitize needs address or thread}; shift 2 ;;
    --sanitize=*) sanitize=${1#*=}; shift ;;
    *) echo "test.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done

bash deploy/install-deps.sh --browser

build=build
flags=(-DCMAKE_BUILD_TYPE=RelWithDebInfo)
case "$sanitize" in
  "") ;;
  address) build=build-asan; flags+=(-DMOCKLOOP_ASAN=ON) ;;
  thread) build=build-tsan; flags+=(-DMOCKLOOP_TSAN=ON) ;;
  *) echo "test.sh: --sanitize takes address or thread" >&2; exit 2 ;;
esac
[[ "${CI:-}" == "true" ]] && flags+=(-DMOCKLOOP_WERROR=ON)

# Paths relative to the checkout, so a fresh clone (as in CI) hits the
# cache filled by the last one.
export CCACHE_BASEDIR="$repo" CCACHE_NOHASHDIR=true

cmake -S . -B "$build" -G Ninja "${flags[@]}" >/dev/null
cmake --build "$build"

# Sanitizers: fail on the first report, with stacks.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1}

cd "$build"
ctest --output-on-failure -j"$(nproc)"
