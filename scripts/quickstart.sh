#!/usr/bin/env bash
# Installs what is missing (Debian packages), builds cairn-sim and runs the quickstart
# scenario: a five-node file store with clients, a crash, a restart, a partition and a
# heal. (scenarios/fd-quickstart.yaml is the failure-detection one, with plots.)
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
echo "== building cairn-sim"
bash scripts/build.sh build cairn-sim >/dev/null
echo "== running scenarios/quickstart.yaml"
status=0
./build/runtime-sim/cairn-sim run scenarios/quickstart.yaml --out runs/quickstart "$@" || status=$?
exit $status
