#!/usr/bin/env bash
# File-store benchmark (not a test): `cairn bench` against a 3-node loopback cluster, with
# the baselines measured in the same run, on the same file system.
#
#   scripts/bench_files.sh [--build-dir build] [--seconds 10] [--port 9300] [--skip-large]
#                          [--big-clients 1000]
#
# 1. Small files: 4 KiB puts at 1 and 64 clients (ops/s, p99), against a 3-member etcd
#    3.4 cluster (Debian's etcd-server, default fsync) storing 4 KiB values at 1 and 64
#    clients, driven by raft_bench's gRPC client (tests/bench/raft_bench_etcd.cc: async
#    KV.Put, one connection per client). raft_bench also prints Cairn's own meta group
#    (the key-value store, no file layer) at the same load.
# 2. Large files: put and get of a 1 GiB file (MB/s) against fio sequential write with
#    fsync at the end, and sequential read, of 1 GiB on the same file system.
# 3. Many clients: --big-clients (default 1000) clients doing 4 KiB puts, then gets, on a
#    fresh cluster; no operation may fail. Section 1 also sweeps 2..32 clients for the
#    most whose puts all succeed.
#
# The cluster is three `cairnd dev --nodes 3 --only i` processes (node i alone per
# process, as nodes are deployed: their own address space, file-descriptor table and CPU
# accounting, and frames between them cross process boundaries), data under $WORK/cairn.
# Everything goes to $WORK (default a fresh directory under /tmp) on one file system.
# Needs: etcd-server (installed with apt-get if missing), fio, python3.
set -euo pipefail
cd "$(dirname "$0")/.."

build=build
seconds=10
port=9300
skip_large=0
big=1000
while [ $# -gt 0 ]; do
  case "$1" in
    --build-dir) build=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    --port) port=$2; shift 2 ;;
    --skip-large) skip_large=1; shift ;;
    --big-clients) big=$2; shift 2 ;;
    *) echo "bench_files.sh: unknown option $1" >&2; exit 2 ;;
  esac
done

if ! command -v etcd >/dev/null || ! command -v fio >/dev/null; then
  apt-get install -y etcd-server etcd-client fio >/dev/null
fi
bash scripts/build.sh "$build" cairn cairnd raft_bench >/dev/null
cairn=$build/runtime-real/cairn
cairnd=$build/runtime-real/cairnd
py=/usr/bin/python3

# 1000 clients hold several connections each, and each cairnd one per client connection.
ulimit -n "$(ulimit -Hn)" || true

WORK=${WORK:-$(mktemp -d /tmp/cairn-bench-files-XXXXXX)}
echo "work dir: $WORK ($(df --output=source,fstype "$WORK" | tail -1)); $(nproc) CPUs;" \
  "load: $(cut -d' ' -f1-3 /proc/loadavg)"
peers="127.0.0.1:$((port + 201)),127.0.0.1:$((port + 202)),127.0.0.1:$((port + 203))"
pids=()

start_cluster() {
  rm -rf "$WORK/cairn"
  mkdir -p "$WORK/cairn"
  pids=()
  for i in 1 2 3; do
    "$cairnd" dev --nodes 3 --only "$i" --port "$port" --data-dir "$WORK/cairn" \
      --log-level warn >"$WORK/cairn/n$i.log" 2>&1 &
    pids+=($!)
  done
  for _ in $(seq 100); do
    if "$cairn" ls / --peer "$peers" --timeout 1s >/dev/null 2>&1; then return 0; fi
    sleep 0.2
  done
  echo "bench_files.sh: the cluster did not answer within 20 s" >&2
  exit 1
}
stop_cluster() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  pids=()
}
trap stop_cluster EXIT

# `cairn bench ARGS --json`, printed as one line: label, then the JSON.
bench() {
  local label=$1
  shift
  local out
  out=$("$cairn" bench --peer "$peers" --json "$@") || true
  echo "$label $out"
  echo "$out" >"$WORK/$label.json"
}
field() { "$py" -c "import json,sys; print(json.load(open(sys.argv[1]))$2)" "$WORK/$1.json"; }

echo "== 1. small files: 4 KiB puts, cairn vs etcd"
start_cluster
echo "\$ $cairn bench --peer $peers --json --workload put --size 4KiB --clients C --duration ${seconds}s"
bench put-4k-c1 --workload put --size 4KiB --clients 1 --duration "${seconds}s"
bench put-4k-c64 --workload put --size 4KiB --clients 64 --duration "${seconds}s"
bench get-4k-c64 --workload get --size 4KiB --clients 64 --files 4 --duration "${seconds}s"
bench meta-c64 --workload meta --clients 64 --files 4 --duration "${seconds}s"
# The most clients whose puts all succeed: short runs at growing counts.
echo "\$ $cairn bench --peer $peers --json --workload put --size 4KiB --clients C --duration 3s"
for c in 2 4 8 16 32; do
  bench "put-4k-sweep-c$c" --workload put --size 4KiB --clients "$c" --duration 3s
done
stop_cluster
echo "\$ $build/tests/bench/raft_bench --seconds $seconds --clients 1,64 --connections 64 --value-bytes 4096"
"$build/tests/bench/raft_bench" --seconds "$seconds" --clients 1,64 --connections 64 \
  --value-bytes 4096 | tee "$WORK/raft_bench.txt" || echo "raft_bench failed"
for c in 1 64; do
  etcd_ops=$(awk -v c="clients=$c" '$1 == "etcd" && $2 == c {v = $4} END {print v}' "$WORK/raft_bench.txt")
  etcd_p99=$(awk -v c="clients=$c" '$1 == "etcd" && $2 == c {v = $13} END {print v}' "$WORK/raft_bench.txt")
  ops=$(field "put-4k-c$c" "['ops_per_s']")
  p99=$(field "put-4k-c$c" "['p99_ms']")
  "$py" -c "import sys; o,eo,p,ep=map(float,sys.argv[1:]); print(f'4 KiB put, {sys.argv[5]} clients: cairn {o:.1f} ops/s p99 {p:.2f} ms; etcd {eo:.1f} ops/s p99 {ep:.2f} ms; throughput ratio {o/eo:.3f}, p99 ratio {p/ep:.2f}')" \
    "$ops" "${etcd_ops:-nan}" "$p99" "${etcd_p99:-nan}" "$c"
done

if [ "$skip_large" = 0 ]; then
  echo "== 2. large files: 1 GiB, cairn vs fio on the same file system"
  start_cluster
  echo "\$ $cairn bench --peer $peers --json --workload put --size 1GiB --clients 1 --ops 1"
  bench put-1g --workload put --size 1GiB --clients 1 --ops 1 --timeout 60s
  echo "\$ $cairn bench --peer $peers --json --workload get --size 1GiB --clients 1 --ops 1"
  bench get-1g --workload get --size 1GiB --clients 1 --ops 1 --timeout 60s
  stop_cluster
  rm -rf "$WORK/cairn"
  fio_args=(--filename="$WORK/fio.dat" --size=1G --bs=1M --ioengine=psync --output-format=json)
  echo "\$ fio --name=w --rw=write --end_fsync=1 ${fio_args[*]}"
  fio --name=w --rw=write --end_fsync=1 "${fio_args[@]}" >"$WORK/fio-w.json"
  echo "\$ fio --name=r --rw=read ${fio_args[*]}   (fio's default --invalidate=1: cold cache)"
  fio --name=r --rw=read "${fio_args[@]}" >"$WORK/fio-r.json"
  rm -f "$WORK/fio.dat"
  "$py" - "$WORK" <<'EOF'
import json, sys
w = sys.argv[1]
def fio(name, rw):
    job = json.load(open(f"{w}/{name}.json"))["jobs"][0][rw]
    return job["io_bytes"] / (job["runtime"] / 1000) / 1e6
for kind, name, rw in (("put", "fio-w", "write"), ("get", "fio-r", "read")):
    c = json.load(open(f"{w}/{kind}-1g.json"))
    f = fio(name, rw)
    mb = c.get("mb_per_s", float("nan"))
    print(f"1 GiB {kind}: cairn {mb:.1f} MB/s, fio {rw} {f:.1f} MB/s, ratio {mb / f:.3f}")
EOF
fi

echo "== 3. $big clients: 4 KiB puts then gets, fresh cluster"
start_cluster
echo "\$ $cairn bench --peer $peers --json --workload put|get --size 4KiB --clients $big --duration ${seconds}s"
bench "put-4k-c$big" --workload put --size 4KiB --clients "$big" --duration "${seconds}s" --timeout 30s
bench "get-4k-c$big" --workload get --size 4KiB --clients "$big" --duration "${seconds}s" --timeout 30s
for p in "${pids[@]}"; do
  echo "node pid $p: $(grep -E 'VmHWM|Threads' /proc/"$p"/status | tr -s ' \t' ' ' | paste -sd' ')," \
    "$(ls /proc/"$p"/fd | wc -l) fds"
done
stop_cluster
echo "results (JSON per run) in $WORK"
