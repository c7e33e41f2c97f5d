#!/usr/bin/env bash
# Soak: runs the property tests with fresh random seeds, over and over, until the time is up.
# CTest runs each property on a fixed list of seeds (cmake/cairn.cmake), so its verdict never
# depends on luck; this script is where luck is allowed to find new bugs. It is not part of
# CI (.ci/run does not call it).
#
# Usage: scripts/soak.sh [--hours H] [--test NAME] [--build DIR] [--cases N]
#   --hours H    how long to run (default 1; fractions allowed, e.g. 0.25)
#   --test NAME  only the property tests whose CTest name starts with NAME (repeatable);
#                default: every test labelled `property`
#   --build DIR  the build tree (default build/); build it first
#   --cases N    cases per run (default: the count CTest uses for that test)
#
# For every failing run it prints the seed, RapidCheck's shrunk case and the exact command
# that replays it, and keeps going; it exits 1 if any run failed, 0 otherwise. Add a seed
# that found a bug to the test's SEEDS list in CMake (and a named regression case).
set -euo pipefail
cd "$(dirname "$0")/.."

hours=1
build=build
cases=""
tests=()
while [ $# -gt 0 ]; do
  case "$1" in
    --hours) hours=$2; shift 2 ;;
    --test) tests+=("$2"); shift 2 ;;
    --build) build=$2; shift 2 ;;
    --cases) cases=$2; shift 2 ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    *) echo "soak.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
if ! awk -v h="$hours" 'BEGIN { exit !(h + 0 > 0) }'; then
  echo "soak.sh: --hours must be a positive number, not '$hours'" >&2
  exit 2
fi
if [ ! -f "$build/CTestTestfile.cmake" ]; then
  echo "soak.sh: no build tree at $build/ (run: bash scripts/build.sh $build)" >&2
  exit 2
fi

# One line per distinct property run: "name<TAB>cases<TAB>command", from CTest's own
# registration (tests labelled `property`; their seeds differ, the commands do not).
list=$(ctest --test-dir "$build" --show-only=json-v1 | /usr/bin/python3 -c '
import json, re, shlex, sys
seen = set()
for t in json.load(sys.stdin)["tests"]:
    props = {p["name"]: p["value"] for p in t.get("properties", [])}
    if "property" not in props.get("LABELS", []):
        continue
    if "command" not in t:  # its executable is not built (a partial build tree)
        continue
    cmd = tuple(t["command"])
    if cmd in seen:
        continue
    seen.add(cmd)
    env = " ".join(props.get("ENVIRONMENT", []))
    m = re.search(r"max_success=(\d+)", env)
    name = re.sub(r"\.seed_\d+$", "", t["name"])
    print(name, m.group(1) if m else "100", shlex.join(cmd), sep="\t")
')
if [ ${#tests[@]} -gt 0 ]; then
  filtered=""
  for t in "${tests[@]}"; do
    filtered+=$(printf '%s\n' "$list" | awk -F'\t' -v p="$t" 'index($1, p) == 1')$'\n'
  done
  list=$(printf '%s' "$filtered" | sed '/^$/d' | sort -u)
fi
if [ -z "$list" ]; then
  echo "soak.sh: no property test matches" >&2
  exit 2
fi

end=$(( $(date +%s) + $(awk -v h="$hours" 'BEGIN { printf "%d", h * 3600 }') ))
log=$(mktemp)
trap 'rm -f "$log"' EXIT
runs=0
failures=0
echo "soak: $(printf '%s\n' "$list" | wc -l) property test(s) for ${hours}h, until $(date -d "@$end" '+%F %T')"
while [ "$(date +%s)" -lt "$end" ]; do
  while IFS=$'\t' read -r name count cmd; do
    [ "$(date +%s)" -lt "$end" ] || break
    seed=$(od -An -N8 -tu8 /dev/urandom | tr -d ' ')
    params="seed=$seed max_success=${cases:-$count}"
    runs=$((runs + 1))
    if (export RC_PARAMS="$params" && eval "$cmd") >"$log" 2>&1; then
      echo "ok    $name  RC_PARAMS=\"$params\""
      continue
    fi
    failures=$((failures + 1))
    echo "FAIL  $name  RC_PARAMS=\"$params\""
    echo "----- shrunk case"
    shrunk=$(awk '/Falsifiable|Failure:|Exception|Error:/ { on = 1 } on { print }
                  /^\[  FAILED  \]/ { if (on) exit }' "$log")
    if [ -n "$shrunk" ]; then echo "$shrunk"; else tail -n 40 "$log"; fi  # e.g. an abort
    echo "----- replay"
    echo "RC_PARAMS=\"$params\" $cmd"
    grep -o 'reproduce=[A-Za-z0-9+/=_-]*' "$log" | head -1 |
      sed "s|^|RC_PARAMS=\"|; s|\$|\" $cmd|" || true
    echo "-----"
  done <<<"$list"
done
echo "soak: $runs run(s), $failures failed"
[ "$failures" -eq 0 ]
