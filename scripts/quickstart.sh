#!/usr/bin/env bash
# Installs what is missing (Debian packages), builds cairn-sim and runs the quickstart
# scenario: a five-node cluster with a crash, a restart, a partition and a heal.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
echo "== building cairn-sim"
bash scripts/build.sh build cairn-sim >/dev/null
echo "== running scenarios/quickstart.yaml"
status=0
./build/runtime-sim/cairn-sim run scenarios/quickstart.yaml --out runs/quickstart "$@" || status=$?
if [ -x /usr/bin/python3 ] && /usr/bin/python3 -c 'import matplotlib' 2>/dev/null; then
  /usr/bin/python3 analysis/plot_membership.py runs/quickstart >/dev/null &&
    echo "plots: runs/quickstart/views.png, runs/quickstart/detection.png"
fi
exit $status
