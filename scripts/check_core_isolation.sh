#!/usr/bin/env bash
# DESIGN.md's hard rule, checked: nothing under core/ includes SimGrid, Boost or socket
# headers, reads a clock, spawns threads or calls rand(). Exit 1 naming each offence.
set -uo pipefail
cd "$(dirname "$0")/.."
hits=$(grep -rEn '#\s*include\s*[<"](simgrid|boost|xbt|asio)/|#\s*include\s*<(thread|sys/socket\.h|netinet/|arpa/)|std::chrono::(steady|system|high_resolution)_clock|[^_a-z.]rand\(\)|std::random_device|\btime\(nullptr\)' core \
  --include='*.h' --include='*.cc' | grep -v '_test\.cc:')
if [ -n "$hits" ]; then
  echo "core/ reaches the world outside the Runtime:"
  echo "$hits"
  exit 1
fi
echo "core/ is isolated: no SimGrid, Boost, sockets, clocks, threads or rand()"
