#!/usr/bin/env bash
# The repair plots and the repair bandwidth measure on a small run of two simultaneous
# losses: cairn-sim's stripe counts in metrics.csv add up to the chunk table, both plots
# are drawn, the ratio is printed, and runs without repair are refused, saying why.
# Usage: plot_repair_test.sh CAIRN_SIM SOURCE_DIR WORK_DIR
set -uo pipefail
sim=$1 src=$2 work=$3
rm -rf "$work" && mkdir -p "$work"
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
py=/usr/bin/python3
if ! $py -c 'import matplotlib, yaml' 2>/dev/null; then
  echo "SKIP: Debian's python3-matplotlib and python3-yaml are needed"
  exit 0
fi

scenario=$src/scenarios/storage-double-loss.yaml
small=(--set files.files=2 --set duration=60s --set files.verify=50s --set checks.redundancy.max=35s)
"$sim" run "$scenario" "${small[@]}" --out "$work/dl" >"$work/dl.txt" 2>&1 \
  || fail "storage-double-loss (small) failed its checks: $(tail -5 "$work/dl.txt")"

# Every sample of the stripe counts adds up to the chunks of the table; the last one
# finds them all at full redundancy (2 spare under RS(3,2) and 3 replicas), and some
# sample after the crash finds fewer.
$py - "$work/dl" <<'PY' || fail "stripe counts in metrics.csv"
import csv, json, sys
run = sys.argv[1]
chunks = json.load(open(f"{run}/summary.json"))["checks"]["redundancy"]["figures"]["redundancy_chunks"]
samples = {}
for row in csv.DictReader(open(f"{run}/metrics.csv")):
    if row["node"] == "sim" and row["metric"].startswith("redundancy_stripes_"):
        samples.setdefault(float(row["time_s"]), {})[row["metric"]] = float(row["value"])
assert samples, "no redundancy_stripes_* rows"
last = samples[max(samples)]
assert sum(last.values()) == chunks, (last, chunks)
assert last.get("redundancy_stripes_spare_2") == chunks, last
assert any(t > 20 and s.get("redundancy_stripes_spare_2", 0) < sum(s.values())
           for t, s in samples.items()), "no sample saw a degraded stripe"
PY

out=$($py "$src/analysis/plot_repair.py" "$work/dl" 2>&1) || fail "plot_repair.py failed: $out"
for png in redundancy repair_bandwidth; do
  [ -s "$work/dl/$png.png" ] || fail "$png.png missing"
done
out=$($py "$src/analysis/repair_bandwidth.py" "$scenario" "$work/dl" 2>&1) \
  || fail "repair_bandwidth.py failed: $out"
ratio=$(echo "$out" | sed -n 's/^repair_bandwidth_ratio \([0-9.]*\) .*/\1/p')
$py -c "import sys; sys.exit(0 if 0 < float('$ratio') <= 1.05 else 1)" 2>/dev/null \
  || fail "repair_bandwidth.py printed no ratio in (0, 1.05]: $out"

# A failure-detection run has no chunk table: refused, pointing at the script that fits.
"$sim" run "$src/scenarios/fd-quickstart.yaml" --out "$work/fd" >/dev/null || fail "fd-quickstart failed"
out=$($py "$src/analysis/plot_repair.py" "$work/fd" 2>&1); status=$?
[ $status -eq 2 ] || fail "plot_repair.py on a membership run: exit $status, want 2"
echo "$out" | grep -q "^cannot plot: .* has no stripe counts .*plot it with analysis/plot_membership.py" \
  || fail "plot_repair.py on a membership run said: $out"
[ ! -e "$work/fd/redundancy.png" ] || fail "plot_repair.py drew a membership run"
out=$($py "$src/analysis/plot_repair.py" "$work/nowhere" 2>&1); status=$?
[ $status -eq 2 ] && echo "$out" | grep -q "^cannot plot: .* is not a folder" \
  || fail "plot_repair.py on a missing folder: exit $status, said: $out"
out=$($py "$src/analysis/repair_bandwidth.py" "$src/scenarios/fd-quickstart.yaml" "$work/fd" 2>&1)
status=$?
[ $status -eq 2 ] && echo "$out" | grep -q "^cannot measure: .* no repair ran" \
  || fail "repair_bandwidth.py on a run without repair: exit $status, said: $out"

[ $fails -eq 0 ] && echo "plot_repair_test: all passed"
exit $((fails > 0))
