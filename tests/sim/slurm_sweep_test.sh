#!/usr/bin/env bash
# `cairn-sim sweep --slurm` end to end on a one-machine Slurm: writes a slurm.conf for this
# host (auth/none, so no munge key is needed), starts slurmctld and slurmd as the current
# user with every file under WORK_DIR, runs a small sweep as a job array, checks that its
# sweep.csv equals the same sweep run locally, and stops the daemons. Skipped (exit 0 with
# a message) when Slurm is not installed; a Slurm that is installed but does not come up
# fails the test, with the end of its logs.
# Usage: slurm_sweep_test.sh CAIRN_SIM SOURCE_DIR WORK_DIR
set -uo pipefail
sim=$1 src=$2 work=$3
for tool in slurmctld slurmd sbatch sinfo; do
  if ! command -v "$tool" >/dev/null 2>&1 && [ ! -x "/usr/sbin/$tool" ]; then
    echo "SKIPPED: $tool not found (install Debian's slurm-wlm to run this test)"
    exit 0
  fi
done
export PATH="$PATH:/usr/sbin"
rm -rf "$work" && mkdir -p "$work/state" "$work/spool" "$work/log"
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

# Two free TCP ports for the daemons (bound by the kernel's choice, then released).
read -r ctld_port slurmd_port < <(/usr/bin/python3 -c '
import socket
s = [socket.socket() for _ in range(2)]
for x in s: x.bind(("127.0.0.1", 0))
print(*[x.getsockname()[1] for x in s])')
user=$(id -un)
cpus=$(nproc)
host=$(hostname -s)
export SLURM_CONF="$work/slurm.conf"
cat >"$SLURM_CONF" <<CONF
ClusterName=cairntest
SlurmctldHost=$host
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
AuthType=auth/none
CredType=cred/none
SlurmUser=$user
SlurmdUser=$user
StateSaveLocation=$work/state
SlurmdSpoolDir=$work/spool
SlurmctldPidFile=$work/slurmctld.pid
SlurmdPidFile=$work/slurmd.pid
SlurmctldLogFile=$work/log/slurmctld.log
SlurmdLogFile=$work/log/slurmd.log
ProctrackType=proctrack/pgid
TaskPlugin=task/none
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
MpiDefault=none
JobCompType=jobcomp/none
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
NodeName=$host CPUs=$cpus State=UNKNOWN
PartitionName=cairn Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF

stop() {
  for d in slurmd slurmctld; do
    if [ -s "$work/$d.pid" ]; then kill "$(cat "$work/$d.pid")" 2>/dev/null; fi
  done
}
trap stop EXIT
logs() { tail -n 5 "$work"/log/*.log 2>/dev/null; }
if ! slurmctld -f "$SLURM_CONF" -i || ! slurmd -f "$SLURM_CONF"; then
  echo "FAIL: the Slurm daemons did not start:"; logs
  exit 1
fi
# Wait (bounded) until the node is idle: the controller must have heard from slurmd.
ready=0
for _ in $(seq 1 100); do
  if sinfo -h -o '%T' 2>/dev/null | grep -q '^idle'; then ready=1; break; fi
  sleep 0.2
done
if [ $ready -eq 0 ]; then
  echo "FAIL: the Slurm node never became idle (sinfo: $(sinfo 2>&1 | tail -1)):"; logs
  exit 1
fi

# The same sweep, locally and as a job array of 3 tasks (2 seeds each, the last one 1).
"$sim" sweep "$src/scenarios/fd-quickstart.yaml" --seeds 3..7 --jobs 2 --out "$work/local" \
  >"$work/local.txt" || fail "local sweep did not pass"
"$sim" sweep "$src/scenarios/fd-quickstart.yaml" --seeds 3..7 --jobs 2 --slurm --per-task 2 \
  --out "$work/slurm" >"$work/slurm.txt" 2>"$work/slurm.err"; status=$?
[ $status -eq 0 ] || fail "sweep --slurm: exit $status: $(cat "$work/slurm.err")"
grep -q '^#SBATCH --array=0-2%2$' "$work/slurm/sweep.sbatch" || fail "sbatch script: $(grep array "$work/slurm/sweep.sbatch")"
grep -q 'Slurm job [0-9]* ended' "$work/slurm.err" || fail "no job id reported: $(cat "$work/slurm.err")"
ls "$work"/slurm/slurm-*_2.out >/dev/null 2>&1 || fail "array task 2 left no Slurm output file"
for s in 3 4 5 6 7; do
  [ "$(cat "$work/slurm/seed$s.exit" 2>/dev/null)" = 0 ] || fail "seed $s: no exit status 0 from its task"
done
cmp -s "$work/local/sweep.csv" "$work/slurm/sweep.csv" \
  || fail "sweep.csv differs: $(diff "$work/local/sweep.csv" "$work/slurm/sweep.csv" | head -5)"
grep -q 'seeds 3..7, 5 of 5 passed every check' "$work/slurm.txt" || fail "headline: $(head -1 "$work/slurm.txt")"
if /usr/bin/python3 -c 'import matplotlib' 2>/dev/null; then
  [ -s "$work/slurm/sweep.png" ] || fail "sweep --slurm drew no plot"
fi

# A seed that fails on Slurm is listed with its replay command, as locally.
"$sim" sweep "$src/scenarios/fd-quickstart.yaml" --seeds 1..2 --slurm \
  --set checks.detection_time.max=3.15s --out "$work/slurmf" >"$work/slurmf.txt" 2>/dev/null; status=$?
[ $status -eq 1 ] || fail "sweep --slurm with a failing seed: exit $status, want 1"
grep -q 'seed 1: exit 1, failed detection_time' "$work/slurmf.txt" || fail "failing seed not listed: $(cat "$work/slurmf.txt")"

echo "slurm_sweep_test: $fails failure(s)"
[ $fails -eq 0 ]
