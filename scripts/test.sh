#!/usr/bin/env bash
# Installs what is missing (Debian packages), builds everything and runs the whole test
# suite: unit, property, simulation, scenario and real-cluster tests.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
start=$(date +%s)
echo "== building (build/)"
bash scripts/build.sh build
echo "== build took $(( $(date +%s) - start ))s; running tests"
jobs=$(nproc 2>/dev/null || echo 2)
ctest --test-dir build --output-on-failure --parallel "$jobs" "$@"
