#!/usr/bin/env bash
# The newcomer's first command: install what is missing (Debian packages),
# build, and start the server on http://127.0.0.1:8080 with the embedded
# defaults (scenarios from scenarios/, data in ./mockloop-data).
# Extra arguments go to mockloop-server, e.g. --port 9000.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"

bash deploy/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build --target mockloop-server
mkdir -p mockloop-data
echo "mockloop: open http://127.0.0.1:8080 (Ctrl-C stops the server)"
exec ./build/server/mockloop-server --data-dir mockloop-data "$@"
