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
# A file-store run has no key-value clients: its summary must not print a line of zeros
# for them beside the file operations.
grep -q "put .* ops" "$work/fq1.txt" || fail "quickstart: no file operation line"
if grep -q "operations invoked" "$work/fq1.txt"; then fail "quickstart: kv client line in a file run"; fi
grep -q "p99" "$work/fq1.txt" || fail "quickstart: no latency percentiles in the summary"

# --set overrides a value of the scenario: the run equals one of a copy edited the same way.
"$sim" run "$src/scenarios/fd-quickstart.yaml" --seed 7 --set membership.heartbeat=500ms \
  --set faults.0.at=25s --out "$work/set" >/dev/null || fail "--set run failed its checks"
sed 's/membership: {heartbeat: 1s,/membership: {heartbeat: 500ms,/; s/{at: 20s, crash: n3}/{at: 25s, crash: n3}/' \
  "$src/scenarios/fd-quickstart.yaml" >"$work/set.yaml"
grep -q 'heartbeat: 500ms' "$work/set.yaml" && grep -q 'at: 25s, crash' "$work/set.yaml" || fail "sed did not edit the copy"
"$sim" run "$work/set.yaml" --seed 7 --out "$work/set-copy" >/dev/null || fail "edited copy failed its checks"
[ "$(hash_of "$work/set")" != "$a" ] || fail "--set did not change the run"
[ "$(hash_of "$work/set")" = "$(hash_of "$work/set-copy")" ] || fail "--set run differs from the edited copy"
"$sim" run "$src/scenarios/fd-quickstart.yaml" --set seed=7 --out "$work/set-seed" >/dev/null || fail "--set seed=7 failed"
[ "$(hash_of "$work/set-seed")" = "$a" ] || fail "--set seed=7 differs from --seed 7"
# The strict reader checks an override like the file, and says it came from --set.
expect_bad_set() {  # status, words, args...
  local want=$1 words=$2 out status; shift 2
  out=$("$sim" run "$src/scenarios/fd-quickstart.yaml" --out "$work/badset" "$@" 2>&1); status=$?
  [ $status -eq "$want" ] || fail "$*: exit $status, want $want"
  echo "$out" | grep -q -- "$words" || fail "$*: message was: $out"
  [ ! -e "$work/badset" ] || fail "$*: a run started anyway"
}
expect_bad_set 2 "^--set raft.electon_timeout=1s: unknown key 'electon_timeout' in raft" --set raft.electon_timeout=1s
expect_bad_set 2 "^--set membership.heartbeat=fast: .*heartbeat" --set membership.heartbeat=fast
expect_bad_set 2 "^--set faults.9.at=1s: 'faults' is a list of 4 entries" --set faults.9.at=1s
expect_bad_set 2 "^--set seed: expected key=value" --set seed
expect_bad_set 2 "^--set =3: the key before '=' is empty" --set =3
expect_bad_set 2 "^--set a..b=1: the key has an empty part" --set a..b=1
out=$("$sim" check "$src/scenarios/fd-quickstart.yaml" --set nodes=1 2>&1); status=$?
[ $status -eq 2 ] || fail "check --set nodes=1: exit $status, want 2"
echo "$out" | grep -q "^--set nodes=1: unknown key 'nodes' in the scenario" || fail "check --set nodes=1 said: $out"

# sweep: one run per seed, two at a time; sweep.csv has a row per seed in seed order and is
# the same however many run at once; its trace hashes are those of single runs.
"$sim" sweep "$src/scenarios/fd-quickstart.yaml" --seeds 5..8 --jobs 2 --out "$work/sw" >"$work/sw.txt" \
  || fail "sweep of fd-quickstart 5..8 did not pass"
grep -q 'seeds 5..8, 4 of 4 passed every check' "$work/sw.txt" || fail "sweep headline: $(head -1 "$work/sw.txt")"
grep -q '^detection_time  *4/4$' "$work/sw.txt" || fail "sweep: no pass rate of detection_time"
grep -q '^figure  *p50  *p90  *max$' "$work/sw.txt" || fail "sweep: no figure table"
grep -q '^metrics.membership_heartbeats_sent  *1710  *1710  *1710$' "$work/sw.txt" || fail "sweep: heartbeats row"
if grep -q 'failing seeds' "$work/sw.txt"; then fail "sweep lists failing seeds when all passed"; fi
head -1 "$work/sw/sweep.csv" | grep -q '^seed,exit,converged,detection_time,.*,trace_hash,.*detection_time.max_s' \
  || fail "sweep.csv header: $(head -1 "$work/sw/sweep.csv")"
if head -1 "$work/sw/sweep.csv" | grep -q wall_time; then fail "sweep.csv holds the wall time"; fi
[ "$(cut -d, -f1,2 "$work/sw/sweep.csv" | tail -n +2 | tr '\n' ' ')" = "5,0 6,0 7,0 8,0 " ] || fail "sweep.csv rows: $(cut -d, -f1,2 "$work/sw/sweep.csv")"
grep -q "^7,0,PASS,PASS,PASS,PASS,PASS,PASS,$a," "$work/sw/sweep.csv" || fail "sweep.csv seed 7 row differs from the single run"
"$sim" sweep "$src/scenarios/fd-quickstart.yaml" --seeds 5..8 --jobs 1 --out "$work/sw1" >/dev/null
cmp -s "$work/sw/sweep.csv" "$work/sw1/sweep.csv" || fail "sweep.csv differs between --jobs 2 and --jobs 1"
# A failing seed: exit 1 and its replay command (seed 1 detects in 3.2 s, seed 2 in 3.12 s).
"$sim" sweep "$src/scenarios/fd-quickstart.yaml" --seeds 1..2 --set checks.detection_time.max=3.15s \
  --out "$work/swf" >"$work/swf.txt"; status=$?
[ $status -eq 1 ] || fail "sweep with a failing seed: exit $status, want 1"
grep -q '^detection_time  *1/2$' "$work/swf.txt" || fail "sweep: detection_time pass rate $(grep detection_time "$work/swf.txt")"
grep -q 'seed 1: exit 1, failed detection_time' "$work/swf.txt" || fail "sweep: seed 1 not listed as failing"
grep -q "^    cairn-sim run $src/scenarios/fd-quickstart.yaml --seed 1 --set checks.detection_time.max=3.15s$" "$work/swf.txt" \
  || fail "sweep: no replay command for seed 1: $(cat "$work/swf.txt")"
if grep -q 'seed 2:' "$work/swf.txt"; then fail "sweep: seed 2 passed but is listed"; fi
grep -q '^2,0,PASS,PASS,' "$work/swf/sweep.csv" || fail "sweep.csv: seed 2 row"
grep -q '^1,1,PASS,FAIL,' "$work/swf/sweep.csv" || fail "sweep.csv: seed 1 row"
out=$("$sim" sweep "$src/scenarios/fd-quickstart.yaml" --seeds 3..1 --out "$work/swbad" 2>&1); status=$?
[ $status -eq 2 ] && echo "$out" | grep -q -- "--seeds must be A..B" || fail "--seeds 3..1: exit $status, said $out"
[ ! -e "$work/swbad" ] || fail "--seeds 3..1: a sweep started anyway"
# --slurm without Slurm: exit 2 and sbatch's complaint, nothing tabulated.
out=$(PATH=/nonexistent "$sim" sweep "$src/scenarios/fd-quickstart.yaml" --seeds 1..2 --slurm --out "$work/swnoslurm" 2>&1); status=$?
[ $status -eq 2 ] || fail "--slurm without sbatch: exit $status, want 2"
echo "$out" | grep -q "cairn-sim sweep --slurm: sbatch did not take the job .*not found" || fail "--slurm without sbatch said: $out"
grep -q '^#SBATCH --array=0-0%' "$work/swnoslurm/sweep.sbatch" || fail "--slurm wrote no batch script"
[ ! -e "$work/swnoslurm/sweep.csv" ] || fail "--slurm without sbatch wrote a table"

# --progress reports on stderr and leaves the trace unchanged.
"$sim" run "$src/scenarios/fd-quickstart.yaml" --seed 7 --out "$work/q7p" --progress >/dev/null \
  2>"$work/progress.txt" || fail "run with --progress"
grep -q 'simulated 120 of 120 s (100%)' "$work/progress.txt" || fail "no final progress line"
[ "$(hash_of "$work/q7p")" = "$a" ] || fail "--progress changed the trace"

# A failing check makes the exit status 1.
sed 's/detection_time: {max: 5s}/detection_time: {max: 1s}/' "$src/scenarios/fd-quickstart.yaml" >"$work/strict.yaml"
"$sim" run "$work/strict.yaml" --out "$work/strict" >/dev/null; [ $? -eq 1 ] || fail "a failed check must exit 1"

# A Raft run: history.jsonl and the term events are reproduced byte for byte by the seed and
# covered by the trace hash; the summary names the node a `leader` fault hit.
"$sim" run "$src/scenarios/raft-minority-partition.yaml" --out "$work/ra" >"$work/ra.txt" || fail "raft-minority-partition failed its checks"
"$sim" run "$src/scenarios/raft-minority-partition.yaml" --out "$work/rb" >/dev/null || fail "raft-minority-partition (again) failed"
cmp -s "$work/ra/history.jsonl" "$work/rb/history.jsonl" || fail "history.jsonl differs between two runs of one seed"
cmp -s "$work/ra/events.jsonl" "$work/rb/events.jsonl" || fail "events.jsonl differs between two runs of one seed"
[ "$(hash_of "$work/ra")" = "$(hash_of "$work/rb")" ] || fail "raft run twice: traces differ"
events_sha=$(sha256sum "$work/ra/events.jsonl" | cut -d' ' -f1)
both_sha=$(cat "$work/ra/events.jsonl" "$work/ra/history.jsonl" | sha256sum | cut -d' ' -f1)
[ "$(hash_of "$work/ra")" = "$both_sha" ] || fail "trace_hash is not SHA-256 of events.jsonl + history.jsonl"
[ "$events_sha" != "$both_sha" ] || fail "history.jsonl is empty"
head -1 "$work/ra/history.jsonl" | grep -q '^{"client":"c[0-9]*","op":"[a-z_]*","key":"k[0-9]*".*"invoke_s":[0-9.]*,"complete_s":' \
  || fail "history.jsonl line: $(head -1 "$work/ra/history.jsonl")"
grep -q '"kind":"raft_term","term":2,"was":1,"role":"candidate"' "$work/ra/events.jsonl" || fail "no raft_term event of the election at 20s"
grep -q 'partition: \[\[leader (n5), n1\], \[n2, n3, n4\]\]' "$work/ra.txt" || fail "summary does not name the leader: $(grep partition "$work/ra.txt")"
grep -q 'raft: 2 elections started' "$work/ra.txt" || fail "summary lacks the election count"
grep -q 'clients: [1-9][0-9]* operations invoked' "$work/ra.txt" || fail "summary lacks the kv client figures"
grep -q 'PASS  expect' "$work/ra.txt" || fail "raft-minority-partition: expect did not pass"
# Without PreVote the cut-off pair disrupts the majority at the heal: the lesson's expect check fails.
sed 's/raft: {tick/raft: {pre_vote: false, tick/' "$src/scenarios/raft-minority-partition.yaml" >"$work/noprevote.yaml"
"$sim" run "$work/noprevote.yaml" --out "$work/noprevote" >"$work/noprevote.txt"; [ $? -eq 1 ] || fail "pre_vote: false should fail expect"
grep -q 'FAIL  expect            raft_elections_won in 35s-60s = [1-9]' "$work/noprevote.txt" || fail "pre_vote: false: $(grep expect "$work/noprevote.txt")"
# A truncated log shows as raft_truncate (no snapshots, so the isolated leader's entries are overwritten).
sed 's/snapshot_every: 500/snapshot_every: 0/' "$src/scenarios/raft-isolated-leader.yaml" >"$work/nosnap.yaml"
"$sim" run "$work/nosnap.yaml" --out "$work/nosnap" >/dev/null || fail "isolated leader without snapshots failed"
grep -q '"kind":"raft_truncate"' "$work/nosnap/events.jsonl" || fail "no raft_truncate event"
"$sim" run "$src/scenarios/raft-isolated-leader.yaml" --out "$work/isolated" >/dev/null || fail "raft-isolated-leader failed"
grep -q '"node":"n5","kind":"raft_snapshot_installed"' "$work/isolated/events.jsonl" || fail "no raft_snapshot_installed event"
# A `leader` fault with no leader yet is skipped, and the summary says so.
sed 's/{at: 20s, crash: leader}/{at: 10ms, crash: leader}/; s/{at: 30s, restart: leader}/{at: 15ms, restart: leader}/' \
  "$src/scenarios/raft-leader-crash.yaml" >"$work/early.yaml"
"$sim" run "$work/early.yaml" --out "$work/early" >"$work/early.txt"
grep -q 'crash: leader}   <- SKIPPED (no leader at that moment)' "$work/early.txt" || fail "skipped fault not marked: $(grep -A3 faults: "$work/early.txt")"
# --verbose prints the faults and elections as they happen.
"$sim" run "$src/scenarios/raft-minority-partition.yaml" --out "$work/rv" --verbose >/dev/null 2>"$work/verbose.txt"
grep -q '^\[   20.000s\] sim   fault fault=partition targets=n1 n5 | n2 n3 n4' "$work/verbose.txt" || fail "--verbose: no fault line"
grep -q 'n2    raft_leader term=2' "$work/verbose.txt" || fail "--verbose: no election line"

# Exercise 2 of fd-lossy-network: at loss 0.5 the default seed fails false_deaths.
sed 's/network: {loss: 0.05,/network: {loss: 0.5,/' "$src/scenarios/fd-lossy-network.yaml" >"$work/lossy50.yaml"
"$sim" run "$work/lossy50.yaml" --out "$work/lossy50" >"$work/lossy50.txt"; [ $? -eq 1 ] || fail "loss 0.5 should fail a check"
grep -q 'FAIL  false_deaths' "$work/lossy50.txt" || fail "loss 0.5: false_deaths did not fail"

# CAP: local reads stay available through the partition and the checker shows the stale
# read it allowed, as a short counterexample with times (the scenario wants the violation).
"$sim" run "$src/scenarios/cap-stale-reads.yaml" --out "$work/cap" >"$work/cap.txt" || fail "cap-stale-reads failed its checks"
grep -q 'PASS  linearizable      NOT linearizable, .* (a violation was wanted); shortest counterexample ([2-6] of the' "$work/cap.txt" \
  || fail "cap-stale-reads: $(grep -A2 linearizable "$work/cap.txt")"
grep -A1 'shortest counterexample' "$work/cap.txt" | grep -q '^ *[0-9.]*s \.\. [0-9.]*s *c[0-9] *put(k[0-9], c[0-9]*\.[0-9]*) -> ok$' \
  || fail "cap-stale-reads: counterexample lines: $(grep -A4 'shortest counterexample' "$work/cap.txt")"
grep -q '"counterexample_operations": [2-6]' "$work/cap/summary.json" || fail "summary.json lacks counterexample_operations"
# With linearizable reads the history is linearizable and the cut-off side serves no read.
"$sim" run "$src/scenarios/cap-stale-reads.yaml" --set workload.stale_reads=false \
  --set checks.linearizable.want=linearizable --out "$work/capl" >"$work/capl.txt"; [ $? -eq 1 ] || fail "cap with linearizable reads: want exit 1 (expect)"
grep -q 'PASS  linearizable      linearizable, ' "$work/capl.txt" || fail "cap with linearizable reads: $(grep linearizable "$work/capl.txt")"
grep -q 'FAIL  expect .*kv_local_reads' "$work/capl.txt" || fail "cap with linearizable reads: $(grep expect "$work/capl.txt")"
# An unsafe Raft: off by default (all checks pass); switched on, the acknowledged writes of
# an isolated leader are lost and the linearizability failure is a few operations long.
"$sim" run "$src/scenarios/raft-unsafe-ack.yaml" --out "$work/ua" >/dev/null || fail "raft-unsafe-ack (bug off) failed its checks"
"$sim" run "$src/scenarios/raft-unsafe-ack.yaml" --set unsafe.raft_bug=ack_before_majority --out "$work/ub" >"$work/ub.txt"; status=$?
[ $status -eq 1 ] || fail "raft-unsafe-ack with the bug: exit $status, want 1"
grep -q 'FAIL  linearizable      NOT linearizable, .*; shortest counterexample ([2-6] of the' "$work/ub.txt" \
  || fail "raft-unsafe-ack with the bug: $(grep -A3 linearizable "$work/ub.txt")"
grep -q 'FAIL  raft_safety' "$work/ub.txt" || fail "raft-unsafe-ack with the bug: raft_safety did not fail"
[ "$(hash_of "$work/ua")" != "$(hash_of "$work/ub")" ] || fail "the planted bug changed nothing"
out=$("$sim" check "$src/scenarios/raft-unsafe-ack.yaml" --set unsafe.raft_bug=typo 2>&1); status=$?
[ $status -eq 2 ] && echo "$out" | grep -q "^--set unsafe.raft_bug=typo: unknown raft_bug 'typo' (known: none, ack_before_majority" \
  || fail "unsafe.raft_bug=typo: exit $status, said $out"
out=$("$sim" check "$src/scenarios/cap-stale-reads.yaml" --set checks.linearizable.want=maybe 2>&1); status=$?
[ $status -eq 2 ] && echo "$out" | grep -q "want must be linearizable (the default) or violation" \
  || fail "linearizable.want=maybe: exit $status, said $out"
out=$("$sim" check "$src/scenarios/fd-quickstart.yaml" --set unsafe.raft_bug=ack_before_majority 2>&1); status=$?
[ $status -eq 2 ] && echo "$out" | grep -q "raft_bug needs nodes with the meta role" || fail "raft_bug without meta nodes: exit $status, said $out"

# The analysis script turns a run folder into plots (when matplotlib is installed).
if /usr/bin/python3 -c 'import matplotlib' 2>/dev/null; then
  /usr/bin/python3 "$src/analysis/plot_membership.py" "$work/q7a" >/dev/null || fail "plot script failed"
  [ -s "$work/q7a/views.png" ] && [ -s "$work/q7a/detection.png" ] || fail "plots missing"
  # Raft runs have their own plot; each script refuses the other kind of run, saying why.
  /usr/bin/python3 "$src/analysis/plot_raft.py" "$work/ra" >/dev/null || fail "plot_raft.py failed"
  [ -s "$work/ra/raft.png" ] || fail "raft.png missing"
  out=$(/usr/bin/python3 "$src/analysis/plot_membership.py" "$work/ra" 2>&1); status=$?
  [ $status -eq 2 ] || fail "plot_membership.py on a Raft run: exit $status, want 2"
  echo "$out" | grep -q "cannot plot: .* has no failure detector .*plot it with analysis/plot_raft.py" \
    || fail "plot_membership.py on a Raft run said: $out"
  [ ! -e "$work/ra/views.png" ] || fail "plot_membership.py drew a Raft run"
  out=$(/usr/bin/python3 "$src/analysis/plot_raft.py" "$work/q7a" 2>&1); status=$?
  [ $status -eq 2 ] || fail "plot_raft.py on a membership run: exit $status, want 2"
  echo "$out" | grep -q "cannot plot: .* is not a Raft run" || fail "plot_raft.py on a membership run said: $out"
  # The placement lesson has its own plot, which refuses other runs.
  "$sim" run "$src/scenarios/placement-join-leave.yaml" --out "$work/pl" --no-progress >/dev/null \
    || fail "placement-join-leave failed its checks"
  /usr/bin/python3 "$src/analysis/plot_placement.py" "$work/pl" >/dev/null && [ -s "$work/pl/placement.png" ] \
    || fail "plot_placement.py failed"
  out=$(/usr/bin/python3 "$src/analysis/plot_placement.py" "$work/ra" 2>&1); status=$?
  [ $status -eq 2 ] && echo "$out" | grep -q "cannot plot: .* is not a placement run" \
    || fail "plot_placement.py on a Raft run: exit $status, said $out"
  # sweep draws sweep.png from sweep.csv; the script refuses what is not a sweep table.
  grep -q "^plot: $work/sw/sweep.png$" "$work/sw.txt" || fail "sweep did not report its plot: $(tail -2 "$work/sw.txt")"
  [ -s "$work/sw/sweep.png" ] || fail "sweep.png missing"
  /usr/bin/python3 "$src/analysis/plot_sweep.py" "$work/swf/sweep.csv" "$work/swf-again.png" >/dev/null \
    && [ -s "$work/swf-again.png" ] || fail "plot_sweep.py on a sweep with a failing seed"
  expect_refusal() {  # file, words
    local out status
    out=$(/usr/bin/python3 "$src/analysis/plot_sweep.py" "$1" 2>&1); status=$?
    [ $status -eq 2 ] || fail "plot_sweep.py $1: exit $status, want 2"
    echo "$out" | grep -q "^cannot plot: .*$2" || fail "plot_sweep.py $1 said: $out"
  }
  expect_refusal "$work/q7a/metrics.csv" "is not a sweep table"
  expect_refusal "$work/nothing.csv" "does not exist"
  head -1 "$work/sw/sweep.csv" >"$work/header-only.csv"
  expect_refusal "$work/header-only.csv" "has no rows"
  { head -1 "$work/sw/sweep.csv"; echo "5,0,PASS"; } >"$work/short-row.csv"
  expect_refusal "$work/short-row.csv" "the row of seed 5 has 3 columns"
  printf 'seed,exit,trace_hash\n1,0,ab\n' >"$work/bare.csv"
  expect_refusal "$work/bare.csv" "neither checks nor figures"
fi

echo "cli_test: $fails failure(s)"
[ $fails -eq 0 ]
