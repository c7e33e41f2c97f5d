#!/usr/bin/env bash
# Acceptance checks of the cairn-sim command itself, as users run it.
# Usage: cli_test.sh CAIRN_SIM SOURCE_DIR WORK_DIR
set -uo pipefail
sim=$1 src=$2 work=$3
rm -rf "$work" && mkdir -p "$work"
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

# Malformed scenarios: exit status 2 and a file:line: message, before anything runs.
expect_bad() {  # file, line, words
  local out status
  out=$("$sim" run "$src/tests/sim/bad/$1" --out "$work/bad" 2>&1); status=$?
  [ $status -eq 2 ] || fail "$1: exit $status, want 2"
  echo "$out" | grep -q "tests/sim/bad/$1:$2: .*$3" || fail "$1: message was: $out"
  [ ! -e "$work/bad/events.jsonl" ] || fail "$1: a run started anyway"
}
expect_bad unknown_key.yaml 5 "unknown key 'lnk'"
expect_bad negative_latency.yaml 5 "must not be negative"
expect_bad no_such_node.yaml 6 "no node named 'n7'"
"$sim" run "$work/missing.yaml" >/dev/null 2>&1; [ $? -eq 2 ] || fail "missing file: want exit 2"
"$sim" frobnicate >/dev/null 2>&1; [ $? -eq 2 ] || fail "bad subcommand: want exit 2"
# A negative seed is refused (it used to wrap around to 18446744073709551615).
out=$("$sim" run "$src/scenarios/fd-quickstart.yaml" --seed -1 --out "$work/neg" 2>&1); status=$?
[ $status -eq 2 ] || fail "--seed -1: exit $status, want 2"
echo "$out" | grep -q -- "--seed must be a whole number from 0" || fail "--seed -1 said: $out"
[ ! -e "$work/neg" ] || fail "--seed -1: a run started anyway"

# The failure-detection quickstart: all checks pass, same seed same trace, other seed other trace.
hash_of() { grep -o '"trace_hash": "[0-9a-f]*"' "$1/summary.json" | cut -d'"' -f4; }
"$sim" run "$src/scenarios/fd-quickstart.yaml" --seed 7 --out "$work/q7a" >/dev/null || fail "fd-quickstart seed 7 failed its checks"
"$sim" run "$src/scenarios/fd-quickstart.yaml" --seed 7 --out "$work/q7b" >/dev/null || fail "fd-quickstart seed 7 (again) failed"
"$sim" run "$src/scenarios/fd-quickstart.yaml" --seed 8 --out "$work/q8" >/dev/null || fail "fd-quickstart seed 8 failed its checks"
a=$(hash_of "$work/q7a") b=$(hash_of "$work/q7b") c=$(hash_of "$work/q8")
[ ${#a} -eq 64 ] || fail "no trace_hash in summary.json"
[ "$a" = "$b" ] || fail "seed 7 twice gave $a and $b"
[ "$a" != "$c" ] || fail "seeds 7 and 8 gave the same trace $a"
cmp -s "$work/q7a/events.jsonl" "$work/q7b/events.jsonl" || fail "seed 7 twice: events.jsonl differ"
for key in scenario seed sim_time_s wall_time_s trace_hash checks metrics; do
  grep -q "\"$key\"" "$work/q7a/summary.json" || fail "summary.json lacks $key"
done
head -1 "$work/q7a/events.jsonl" | grep -q '^{"t":0\.' || fail "events.jsonl lines must start with the time"
head -1 "$work/q7a/metrics.csv" | grep -q '^time_s,node,metric,value$' || fail "metrics.csv header"
# Rows only when a value changes: n3 is up at 0, crashed at 20 s, back at 50 s.
ups=$(grep -c ',n3,up,' "$work/q7a/metrics.csv")
[ "$ups" -eq 3 ] || fail "metrics.csv: n3's up changed 3 times, got $ups rows"

# The file-store quickstart: its checks pass and the same seed gives the same trace.
"$sim" run "$src/scenarios/quickstart.yaml" --out "$work/fq1" >"$work/fq1.txt" || fail "quickstart failed its checks"
"$sim" run "$src/scenarios/quickstart.yaml" --out "$work/fq2" >/dev/null || fail "quickstart (again) failed"
[ "$(hash_of "$work/fq1")" = "$(hash_of "$work/fq2")" ] || fail "quickstart twice: traces differ"
for check in durability namespace_linearizable raft_safety; do
  grep -q "PASS  $check" "$work/fq1.txt" || fail "quickstart: $check did not pass"
done
grep -q "p99" "$work/fq1.txt" || fail "quickstart: no latency percentiles in the summary"

# --progress reports on stderr and leaves the trace unchanged.
"$sim" run "$src/scenarios/fd-quickstart.yaml" --seed 7 --out "$work/q7p" --progress >/dev/null \
  2>"$work/progress.txt" || fail "run with --progress"
grep -q 'simulated 120 of 120 s (100%)' "$work/progress.txt" || fail "no final progress line"
[ "$(hash_of "$work/q7p")" = "$a" ] || fail "--progress changed the trace"

# A failing check makes the exit status 1.
sed 's/detection_time: {max: 5s}/detection_time: {max: 1s}/' "$src/scenarios/fd-quickstart.yaml" >"$work/strict.yaml"
"$sim" run "$work/strict.yaml" --out "$work/strict" >/dev/null; [ $? -eq 1 ] || fail "a failed check must exit 1"

# The analysis script turns a run folder into plots (when matplotlib is installed).
if /usr/bin/python3 -c 'import matplotlib' 2>/dev/null; then
  /usr/bin/python3 "$src/analysis/plot_membership.py" "$work/q7a" >/dev/null || fail "plot script failed"
  [ -s "$work/q7a/views.png" ] && [ -s "$work/q7a/detection.png" ] || fail "plots missing"
fi

echo "cli_test: $fails failure(s)"
[ $fails -eq 0 ]
