#!/usr/bin/env bash
# File-store benchmark (not a test): `cairn bench` against a 3-node loopback cluster, with
# the baselines measured in the same run, on the same file system.
#
#   scripts/bench_files.sh [--build-dir build] [--seconds 10] [--port 9300] [--skip-large]
#                          [--big-clients 1000]
#
# 1. Small files: 4 KiB puts at 1 and 64 clients (ops/s, p99), against a 3-member etcd
#    3.4 cluster (Debian's etcd-server, default fsync) storing 4 KiB values at 1 and 64
#    clients, driven by tests/bench/etcd_http_bench.cc (closed-loop puts through etcd's
#    JSON gateway, one keep-alive connection per client, a new key per put) at its leader.
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
bash scripts/build.sh "$build" cairn cairnd etcd_http_bench >/dev/null
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

# etcd: three members on loopback, etcd's defaults (WAL fsync on every commit, heartbeat
# 100 ms, election 1 s), data under $WORK/etcd; the load goes to the leader's client URL.
etcd_cluster=""
for i in 1 2 3; do
  etcd_cluster+="${etcd_cluster:+,}e$i=http://127.0.0.1:$((port + 410 + i))"
done
etcd_pids=()
for i in 1 2 3; do
  mkdir -p "$WORK/etcd"
  etcd --name "e$i" --data-dir "$WORK/etcd/e$i" \
    --listen-client-urls "http://127.0.0.1:$((port + 400 + i))" \
    --advertise-client-urls "http://127.0.0.1:$((port + 400 + i))" \
    --listen-peer-urls "http://127.0.0.1:$((port + 410 + i))" \
    --initial-advertise-peer-urls "http://127.0.0.1:$((port + 410 + i))" \
    --initial-cluster "$etcd_cluster" --initial-cluster-state new \
    --initial-cluster-token bench-files --log-level warn >"$WORK/etcd/e$i.log" 2>&1 &
  etcd_pids+=($!)
done
etcd_endpoints="127.0.0.1:$((port + 401)),127.0.0.1:$((port + 402)),127.0.0.1:$((port + 403))"
leader=""
for _ in $(seq 100); do
  leader=$(ETCDCTL_API=3 etcdctl --endpoints="$etcd_endpoints" endpoint status -w json 2>/dev/null |
    "$py" -c 'import json,sys
for e in json.load(sys.stdin):
    if e["Status"]["header"]["member_id"] == e["Status"]["leader"]: print(e["Endpoint"])' || true)
  [ -n "$leader" ] && break
  sleep 0.2
done
echo "etcd $(etcd --version | head -1), leader at $leader"
for c in 1 64; do
  echo "\$ $build/tests/bench/etcd_http_bench --endpoint $leader --clients $c --seconds $seconds --value-bytes 4096"
  out=$("$build/tests/bench/etcd_http_bench" --endpoint "$leader" --clients "$c" \
    --seconds "$seconds" --value-bytes 4096) || true
  echo "etcd-put-4k-c$c $out"
  echo "$out" >"$WORK/etcd-put-4k-c$c.json"
done
for p in "${etcd_pids[@]}"; do kill "$p" 2>/dev/null || true; done
for p in "${etcd_pids[@]}"; do wait "$p" 2>/dev/null || true; done
for c in 1 64; do
  "$py" - "$WORK" "$c" <<'EOF2' || true
import json, sys
w, c = sys.argv[1], sys.argv[2]
a = json.load(open(f"{w}/put-4k-c{c}.json"))
e = json.load(open(f"{w}/etcd-put-4k-c{c}.json"))
print(f"4 KiB put, {c} clients: cairn {a['ops_per_s']:.1f} ops/s p99 {a['p99_ms']:.2f} ms "
      f"({a['failed']} failed); etcd {e['ops_per_s']:.1f} ops/s p99 {e['p99_ms']:.2f} ms "
      f"({e['failed']} failed); throughput ratio {a['ops_per_s'] / e['ops_per_s']:.3f}, "
      f"p99 ratio {a['p99_ms'] / e['p99_ms']:.2f}")
EOF2
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
  "$py" - "$WORK" <<'EOF' || true
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
