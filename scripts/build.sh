#!/usr/bin/env bash
# Configures and builds Cairn. Usage: scripts/build.sh [BUILD_DIR] [ninja targets...]
# Uses Ninja and ccache when present; extra CMake options can be passed in CAIRN_CMAKE_ARGS.
set -euo pipefail
cd "$(dirname "$0")/.."

# Let ccache share its cache between clones of the repository (paths made relative).
export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=1

build_dir=${1:-build}
shift || true

generator=()
if command -v ninja >/dev/null 2>&1; then generator=(-G Ninja); fi
if [ ! -f "$build_dir/CMakeCache.txt" ]; then
  # shellcheck disable=SC2086
  cmake -S . -B "$build_dir" "${generator[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    ${CAIRN_CMAKE_ARGS:-} >"$build_dir.configure.log" 2>&1 || {
    cat "$build_dir.configure.log"
    exit 1
  }
fi
jobs=$(nproc 2>/dev/null || echo 2)
cmake --build "$build_dir" --parallel "$jobs" ${1:+--target "$@"}
