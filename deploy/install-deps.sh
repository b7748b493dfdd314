#!/usr/bin/env bash
# Installs what mockloop needs to build, run and test, from Debian 12 packages
# only. Idempotent: packages already present are skipped, and apt is not
# touched at all when nothing is missing.
#
#   deploy/install-deps.sh            build + run + unit/integration tests
#   deploy/install-deps.sh --browser  also chromium, node and npm (Debian's 18 will do), coturn,
#                                     for the web e2e tests
#   deploy/install-deps.sh --fuzz     also clang + its libFuzzer runtime (deploy/fuzz.sh)
#
# Flags combine (--browser --fuzz).
set -euo pipefail

packages=(
  build-essential cmake ninja-build ccache pkg-config
  libboost1.81-dev          # Asio + Beast (header-only parts, plus Boost.System)
  protobuf-compiler libprotobuf-dev
  libspdlog-dev libfmt-dev
  libsqlite3-dev
  libgtest-dev libgmock-dev googletest
  libbenchmark-dev
  curl ca-certificates
  tzdata                    # IANA zones: bookings in each partner's local time
)
browser=0
for flag in "$@"; do
  case "$flag" in
    # coturn: the e2e test of a call relayed through TURN with our credentials.
    --browser) packages+=(chromium nodejs coturn); browser=1 ;;
    # libclang-rt-14-dev holds libFuzzer and the sanitizer runtimes for
    # clang 14; llvm-14 brings llvm-symbolizer for readable crash stacks.
    --fuzz) packages+=(clang-14 libclang-rt-14-dev llvm-14) ;;
    *) echo "install-deps: unknown flag $flag" >&2; exit 2 ;;
  esac
done

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

# Debian's nodejs (18) comes without npm, which is a package of its own;
# a nodejs from elsewhere that brings its npm needs nothing more (and
# Debian's npm would conflict with it).
if ((browser)) && ! command -v npm >/dev/null &&
  ! dpkg-query -W -f='${Status}' npm 2>/dev/null | grep -q "install ok installed"; then
  missing+=(npm)
fi

if ((${#missing[@]} == 0)); then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
sudo_cmd=()
if [[ $(id -u) -ne 0 ]]; then sudo_cmd=(sudo); fi
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
