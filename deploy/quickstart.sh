#!/usr/bin/env bash
# The newcomer's first command: install what is missing (Debian packages),
# build the server and the terminal client, and start the server on
# http://127.0.0.1:8080 with the embedded defaults (scenarios from
# scenarios/, data in ./mockloop-data).
#
#   deploy/quickstart.sh                 serve on port 8080
#   deploy/quickstart.sh --port 9000     another port (checked before the build)
#
# Other arguments go to mockloop-server as they are (mockloop-server --help).
# The terminal client ends up in build/client/cli/mockloop (docs/cli.md).
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"

# The port, found and checked first: a taken or bad port should not cost a
# ten-minute build before the server says so.
port=8080
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
  case "${args[i]}" in
    --port) port=${args[i + 1]:-} ;;
    --port=*) port=${args[i]#--port=} ;;
  esac
done
if ! [[ "$port" =~ ^[0-9]+$ ]] || ((port < 1 || port > 65535)); then
  echo "quickstart: --port takes a number from 1 to 65535, not '$port'" >&2
  exit 2
fi
# Something answering on the port means the server could not listen there.
if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
  echo "quickstart: port $port is in use on 127.0.0.1; stop what listens there or pick another with --port" >&2
  exit 2
fi

bash deploy/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build --target mockloop-server mockloop-cli
mkdir -p mockloop-data
echo "mockloop: open http://127.0.0.1:$port (Ctrl-C stops the server)"
echo "mockloop: terminal client: build/client/cli/mockloop --port $port --name YOU"
exec ./build/server/mockloop-server --data-dir mockloop-data "$@"
