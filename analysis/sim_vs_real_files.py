#!/usr/bin/python3
"""The file store in cairn-sim versus three real cairnd processes (docs/sim-vs-real-files.md).

1. Measures this machine: loopback round trip (a TCP ping-pong of 64-byte messages) and
   bandwidth (iperf3), the data directory's disk with fio (4 KiB writes with an fsync
   after each, alone and three writers at once; 1 MiB sequential writes and cached reads),
   the fsync of a new file and of its directory (as the shard store does, in Python), and
   SHA-256 speed (openssl speed), with the date and load average.
2. Writes a calibrated scenario per cell from those figures (3 nodes, roles meta+storage,
   storage codes as `cairnd dev --nodes 3` fits them) and runs it in cairn-sim, four ways:
   as measured; with the disk running as many operations at once as cairnd's
   (`parallel: 8`, its disk_threads; --disk-threads); also
   with the new-file sync; also with the link latency fitted on the real 4 KiB get.
3. Runs the same closed-loop workload with `cairn bench` against `cairnd dev --nodes 3
   --only i` (one process per node, as scripts/bench_files.sh does).
4. Prints a Markdown table: ops/s, p50 and p99 per operation, size and client count.

  /usr/bin/python3 analysis/sim_vs_real_files.py [--build build] [--seconds 5]
      [--clients 1,8] [--sizes 4KiB,1MiB] [--skip-real] [--work DIR]
      [--write-example scenarios/files-calibrated-loopback.yaml]

Cells: put (every put a new file) and get (each client reads one file of its own over and
over; the simulated client puts it first, then 49 gets per put), for each size and client
count. The real side takes about (cells x --seconds) plus a few seconds to start the
cluster; the simulator one to two minutes. Everything stays on loopback.
"""
import argparse
import datetime
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import textwrap
import threading
import time

from sim_vs_real import free_ports

REFERENCE_SHA256_BPS = 1.5e9  # core/cas/shard_store.cc: what 1 Gf of simulated CPU hashes
SIZES = {"4KiB": 4096, "1MiB": 1 << 20}
GET_WEIGHT = 49  # simulated get cells: gets per put


# ---------------------------------------------------------------- this machine's figures


def loopback_rtt_us(rounds=2000):
    """Median round trip of a 64-byte message over a loopback TCP connection (Python on
    both ends, so it includes two interpreter wake-ups: an upper bound on the kernel's)."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)

    def echo():
        conn, _ = srv.accept()
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        while True:
            data = conn.recv(64)
            if not data:
                return
            conn.sendall(data)

    t = threading.Thread(target=echo, daemon=True)
    t.start()
    c = socket.create_connection(srv.getsockname())
    c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    samples = []
    msg = b"x" * 64
    for _ in range(rounds):
        t0 = time.perf_counter()
        c.sendall(msg)
        got = 0
        while got < len(msg):
            got += len(c.recv(64))
        samples.append(time.perf_counter() - t0)
    c.close()
    srv.close()
    samples.sort()
    return samples[len(samples) // 2] * 1e6


def loopback_bandwidth_bps():
    if not shutil.which("iperf3"):
        print("iperf3 not installed: loopback bandwidth left at 10 Gbps", file=sys.stderr)
        return 10e9 / 8
    port = free_ports(1)[0]
    server = subprocess.Popen(["iperf3", "-s", "-1", "-B", "127.0.0.1", "-p", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(0.5)
    out = subprocess.run(["iperf3", "-c", "127.0.0.1", "-p", str(port), "-t", "3", "-J"],
                         capture_output=True, text=True, check=True).stdout
    server.wait(timeout=10)
    return json.loads(out)["end"]["sum_received"]["bits_per_second"] / 8


def fio(directory, *args):
    out = subprocess.run(["fio", "--directory=" + directory, "--ioengine=psync",
                          "--output-format=json", "--group_reporting"] + list(args),
                         capture_output=True, text=True, check=True).stdout
    return json.loads(out[out.index("{"):])["jobs"][0]


def disk_figures(directory):
    """fsync latency (p50, mean) of 4 KiB writes, alone and three writers at once; 1 MiB
    sequential write (fsync at the end) and cached read bandwidth."""
    one = fio(directory, "--name=sync1", "--rw=write", "--bs=4k", "--size=4M", "--fsync=1")
    three = fio(directory, "--name=sync3", "--rw=write", "--bs=4k", "--size=2M", "--fsync=1",
                "--numjobs=3")
    bw = fio(directory, "--name=bw", "--rw=write", "--bs=1M", "--size=512M", "--end_fsync=1")
    rd = fio(directory, "--name=bw", "--rw=read", "--bs=1M", "--size=512M", "--invalidate=0")
    for f in os.listdir(directory):
        if re.match(r"(sync1|sync3|bw)\.\d+\.\d+$", f):
            os.remove(os.path.join(directory, f))
    lat = lambda j: j["sync"]["lat_ns"]  # noqa: E731
    return {
        "sync_p50_us": lat(one)["percentile"]["50.000000"] / 1e3,
        "sync_p99_us": lat(one)["percentile"]["99.000000"] / 1e3,
        "sync_mean_us": lat(one)["mean"] / 1e3,
        "sync3_p50_us": lat(three)["percentile"]["50.000000"] / 1e3,
        "sync3_mean_us": lat(three)["mean"] / 1e3,
        "write_Bps": bw["write"]["bw_bytes"],
        "read_Bps": rd["read"]["bw_bytes"],
    }


def new_file_sync_us(directory, rounds=200):
    """What cairnd's shard store does per shard (core/cas/shard_store.cc): create a file,
    write it, fsync it, rename it into place, fsync the directory. Returns the p50 of the
    file's and of the directory's fsync; both journal metadata, which fio's fsyncs of
    one growing file mostly do not."""
    d = os.path.join(directory, "newfile-sync")
    os.makedirs(d, exist_ok=True)
    dfd = os.open(d, os.O_RDONLY)
    data = os.urandom(4096)
    file_s, dir_s = [], []
    for i in range(rounds):
        tmp = os.path.join(d, "t%d.tmp" % i)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.write(fd, data)
        t0 = time.perf_counter()
        os.fsync(fd)
        file_s.append(time.perf_counter() - t0)
        os.close(fd)
        os.rename(tmp, os.path.join(d, "b%d" % i))
        t0 = time.perf_counter()
        os.fsync(dfd)
        dir_s.append(time.perf_counter() - t0)
    os.close(dfd)
    shutil.rmtree(d)
    p50 = lambda v: sorted(v)[len(v) // 2] * 1e6  # noqa: E731
    return p50(file_s), p50(dir_s)


def sha256_bps():
    out = subprocess.run(["openssl", "speed", "-seconds", "2", "-bytes", "1048576", "sha256"],
                         capture_output=True, text=True, check=True).stdout
    kbps = float(re.search(r"^sha256\s+([\d.]+)k", out, re.M).group(1))
    return kbps * 1e3


def measure(data_dir):
    fig = {"date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
           "load": open("/proc/loadavg").read().split()[:3], "cpus": os.cpu_count()}
    fig["rtt_us"] = loopback_rtt_us()
    fig["link_Bps"] = loopback_bandwidth_bps()
    fig.update(disk_figures(data_dir))
    fig["newfile_sync_us"], fig["dir_sync_us"] = new_file_sync_us(data_dir)
    fig["sha256_Bps"] = sha256_bps()
    return fig


def describe(fig):
    return "\n".join([
        "- measured %s, %d CPUs, load average %s" % (fig["date"], fig["cpus"],
                                                      " ".join(fig["load"])),
        "- loopback: TCP round trip p50 %.1f us (Python ping-pong), iperf3 %.2f Gbps" %
        (fig["rtt_us"], fig["link_Bps"] * 8 / 1e9),
        "- disk (fio, psync, on the data directory's file system): 4 KiB write + fsync: "
        "fsync p50 %.0f us, p99 %.0f us, mean %.0f us; three writers at once: p50 %.0f us, "
        "mean %.0f us" % (fig["sync_p50_us"], fig["sync_p99_us"], fig["sync_mean_us"],
                          fig["sync3_p50_us"], fig["sync3_mean_us"]),
        "- a new file's fsync (create, write 4 KiB, fsync, rename, fsync the directory, as "
        "the shard store does; Python): file fsync p50 %.0f us, directory fsync p50 %.0f us" %
        (fig["newfile_sync_us"], fig["dir_sync_us"]),
        "- disk bandwidth: 1 MiB sequential write (fsync at the end) %.0f MB/s, cached read "
        "%.0f MB/s" % (fig["write_Bps"] / 1e6, fig["read_Bps"] / 1e6),
        "- SHA-256 (openssl speed, 1 MiB blocks): %.2f GB/s" % (fig["sha256_Bps"] / 1e9),
    ])


# ---------------------------------------------------------------- the simulator


def platform(fig, parallel, latency_us=None, sync_us=None):
    """The scenario lines of the calibrated platform and of cairnd dev's storage codes.
    parallel: disk operations at once per node (0: no limit; cairnd's FileDisk: its
    disk_threads, 8 by default);
    latency_us: one-way link latency (default: half the measured round trip); sync_us:
    the disk's sync (default: fio's fsync p50)."""
    if latency_us is None:
        latency_us = fig["rtt_us"] / 2
    if sync_us is None:
        sync_us = fig["sync_p50_us"]
    return [
        "platform:",
        "  nodes: [{count: 3, roles: [meta, storage]}]",
        "  link: {bandwidth: %.0fMBps, latency: %.1fus}" % (fig["link_Bps"] / 1e6, latency_us),
        "  disk: {write: %.0fMBps, read: %.0fMBps, sync: %.0fus, parallel: %d}" % (
            fig["write_Bps"] / 1e6, fig["read_Bps"] / 1e6, sync_us, parallel),
        "  cpu: %.3fGf" % (fig["sha256_Bps"] / REFERENCE_SHA256_BPS),
        "# as cairnd dev --nodes 3 fits the codes to 3 nodes (runtime-real/host/config.cc)",
        "storage: {replicas: 3, replica_quorum: 2, data_shards: 2, parity_shards: 1, "
        "extra_quorum: 0}",
    ]


def files_section(clients, mix, files, size_min, size_max, start_s, until_s):
    return [
        "files:",
        "  clients: %d" % clients,
        "  concurrency: 1",
        "  mix: %s" % mix,
        "  files: %d" % files,
        "  shared: 0",
        "  size: {min: %dB, max: %dB}" % (size_min, size_max),
        "  chunk: 1MiB",
        "  start: %gs" % start_s,
        "  until: %gs" % until_s,
        "  timeout: 10s",
    ]


def scenario(fig, kind, size, clients, window_s, knobs):
    """A calibrated scenario for one cell. window_s: seconds of simulated operations."""
    if kind == "put":
        mix, files = "{put: 1}", 10000  # (almost) every put a new path, as cairn bench does
    else:
        mix, files = "{put: 1, get: %d}" % GET_WEIGHT, 1
    return "\n".join(
        ["name: files-calibrated", "duration: %gs" % (window_s + 2)] +
        platform(fig, **knobs) +
        files_section(clients, mix, files, size, size, 1, 1 + window_s) +
        ["checks:", "  namespace_linearizable: {}"]) + "\n"


EXAMPLE_HEAD = """\
# The file store on a platform calibrated from one machine's loopback and disk (written by
# analysis/sim_vs_real_files.py --write-example; docs/sim-vs-real-files.md compares it
# with three real cairnd processes on the same machine).
#
# What to observe
#   - Three nodes run meta (one Raft group holding the namespace) and storage, with the
#     codes `cairnd dev --nodes 3` uses: files under 1 MiB are replicated 3 times
#     (acknowledged at 2 copies), larger ones RS(2,1).
#   - The link is the measured loopback (half the TCP round trip, iperf3's bandwidth); the
#     disk's sync is the fsync of a new file and of its directory (what the shard store
#     pays per shard), its bandwidths fio's 1 MiB write and cached read; cpu scales the
#     simulated SHA-256 to openssl's speed. parallel: 8 lets each node's disk run eight
#     operations at once, as cairnd's FileDisk does (disk_threads: 8).
#   - Two closed-loop clients (one operation at a time each) put files of 4 KiB to 1 MiB
#     and get them back, 3 gets per put; the summary prints put and get p50/p99. A put
#     costs several syncs in a row (Raft log, shard file, its directory), so it moves
#     with `sync`; a 4 KiB get is message hops only, so it moves with `latency`.
#   - From 3.5s each client reads back its files: durability and namespace_linearizable
#     must pass. The simulator has no noise: a real node's p99 comes from the disk's and
#     the scheduler's tails, which nothing here models.
# Measured (re-measure and rewrite this file with the script):
%s
# Try: parallel: 1 (one disk operation at a time: puts queue behind each other); latency: 110us (what a real node's
# hop costs in CPU, fitted in the doc); files: {clients: 8}.
"""


def example(fig, parallel):
    """The checked-in example: a short mixed workload with a read-back, judged."""
    measured = "\n".join(
        textwrap.fill(line[2:], 90, initial_indent="#   ", subsequent_indent="#     ")
        for line in describe(fig).split("\n"))
    return EXAMPLE_HEAD % measured + "\n".join(
        ["name: files-calibrated-loopback", "duration: 5s"] +
        platform(fig, parallel, sync_us=(fig["newfile_sync_us"] + fig["dir_sync_us"]) / 2) +
        files_section(2, "{put: 1, get: 3}", 4, 4096, 1 << 20, 1, 3) +
        ["  verify: 3.5s", "checks:", "  durability: {}", "  namespace_linearizable: {}",
         "  raft_safety: {}"]) + "\n"


def run_sim(build, work, fig, kind, size_name, clients, label, knobs):
    # Simulating takes longer than the simulated time (1 MiB puts move real bytes, and the
    # namespace grows): short windows.
    window_s = 1.0 if SIZES[size_name] <= 65536 else 0.3
    text = scenario(fig, kind, SIZES[size_name], clients, window_s, knobs)
    path = os.path.join(work, "sim-%s-%s-%s-c%d.yaml" % (label, kind, size_name, clients))
    with open(path, "w") as f:
        f.write(text)
    out = path[:-5]
    proc = subprocess.run([os.path.join(build, "runtime-sim/cairn-sim"), "run", path,
                           "--out", out, "--no-progress"], capture_output=True, text=True)
    if proc.returncode != 0:
        sys.exit("cairn-sim failed on %s:\n%s%s" % (path, proc.stdout, proc.stderr))
    m = json.load(open(os.path.join(out, "summary.json")))["metrics"]
    # Closed loop, one operation at a time per client: while doing this kind, each client
    # completes one per mean latency (the get cells' clients also spend time on puts).
    # Gets: those that found the file (the first ones may come before the client's put).
    key = "file_get_found" if kind == "get" else "file_put"
    mean_ms = m[key + "_mean_ms"]
    return {"ops_per_s": clients * 1e3 / mean_ms if mean_ms > 0 else 0.0,
            "p50_ms": m[key + "_p50_ms"], "p99_ms": m[key + "_p99_ms"],
            "failed": m["file_%s_unanswered" % kind]}


# ---------------------------------------------------------------- real processes


class Cluster:
    """Three `cairnd dev --nodes 3 --only i` processes on loopback, data under work/."""

    def __init__(self, build, work):
        self.cairn = os.path.join(build, "runtime-real/cairn")
        cairnd = os.path.join(build, "runtime-real/cairnd")
        base = free_ports(1)[0] // 10 * 10
        base = min(base, 65000 - 300)
        self.peers = ",".join("127.0.0.1:%d" % (base + 200 + i) for i in (1, 2, 3))
        self.data = os.path.join(work, "cairn")
        shutil.rmtree(self.data, ignore_errors=True)
        os.makedirs(self.data)
        self.procs = []
        for i in (1, 2, 3):
            log = open(os.path.join(self.data, "n%d.log" % i), "w")
            self.procs.append(subprocess.Popen(
                [cairnd, "dev", "--nodes", "3", "--only", str(i), "--port", str(base),
                 "--data-dir", self.data, "--log-level", "warn"], stdout=log, stderr=log))
        for _ in range(100):
            if subprocess.run([self.cairn, "ls", "/", "--peer", self.peers, "--timeout", "1s"],
                              capture_output=True).returncode == 0:
                return
            time.sleep(0.2)
        self.stop()
        sys.exit("the real cluster did not answer within 20 s; logs in " + self.data)

    def bench(self, kind, size_name, clients, seconds):
        cmd = [self.cairn, "bench", "--peer", self.peers, "--json", "--workload", kind,
               "--size", size_name, "--clients", str(clients), "--duration", "%ds" % seconds]
        if kind == "get":
            cmd += ["--files", "1"]
        out = subprocess.run(cmd, capture_output=True, text=True).stdout
        return json.loads(out)

    def stop(self):
        for p in self.procs:
            p.terminate()
        for p in self.procs:
            p.wait()


# ---------------------------------------------------------------- the table


def cell(r):
    if r is None:
        return "– | – | –"
    fail = " (%d failed)" % r["failed"] if r.get("failed") else ""
    return "%.0f%s | %.2f | %.2f" % (r["ops_per_s"], fail, r["p50_ms"], r["p99_ms"])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default="build")
    ap.add_argument("--seconds", type=int, default=5, help="real run per cell")
    ap.add_argument("--clients", default="1,8")
    ap.add_argument("--sizes", default="4KiB,1MiB")
    ap.add_argument("--skip-real", action="store_true")
    ap.add_argument("--disk-threads", type=int, default=8,
                    help="cairnd's disk_threads: disk operations at once per node (default 8)")
    ap.add_argument("--work", help="where data, scenarios and runs go (default: a new "
                    "folder under /tmp)")
    ap.add_argument("--write-example", metavar="FILE",
                    help="also write a calibrated mixed scenario (as "
                    "scenarios/files-calibrated-loopback.yaml) to FILE")
    a = ap.parse_args()
    work = a.work or tempfile.mkdtemp(prefix="cairn-svr-files-")
    os.makedirs(work, exist_ok=True)
    clients = [int(c) for c in a.clients.split(",")]
    sizes = a.sizes.split(",")
    for s in sizes:
        if s not in SIZES:
            sys.exit("--sizes: %s is not one of %s" % (s, ", ".join(SIZES)))
    cells = [(k, s, c) for k in ("put", "get") for s in sizes for c in clients]

    fig = measure(work)
    print(describe(fig), flush=True)
    if a.write_example:
        with open(a.write_example, "w") as f:
            f.write(example(fig, a.disk_threads))

    real = {}
    if not a.skip_real:
        cluster = Cluster(a.build, work)
        try:
            for k, s, c in cells:
                real[(k, s, c)] = cluster.bench(k, s, c, a.seconds)
                print("real %s %s c%d: %s" % (k, s, c, real[(k, s, c)]), file=sys.stderr)
        finally:
            cluster.stop()
        # The disk is shared with others: how much its fsync moved while the cluster ran.
        after = fio(work, "--name=sync1", "--rw=write", "--bs=4k", "--size=4M", "--fsync=1")
        os.remove(os.path.join(work, "sync1.0.0"))
        print("- after the real runs: fio fsync p50 %.0f us (before: %.0f us); a new file's "
              "fsync p50 %.0f us, its directory's %.0f us (before: %.0f, %.0f)" %
              ((after["sync"]["lat_ns"]["percentile"]["50.000000"] / 1e3, fig["sync_p50_us"]) +
               new_file_sync_us(work) + (fig["newfile_sync_us"], fig["dir_sync_us"])))
    sims = {}

    def sim_rows(label, **knobs):
        for k, s, c in cells:
            sims[(label, k, s, c)] = run_sim(a.build, work, fig, k, s, c, label, knobs)
            print("sim %s %s %s c%d: %s" % (label, k, s, c, sims[(label, k, s, c)]),
                  file=sys.stderr)

    new_file_sync = (fig["newfile_sync_us"] + fig["dir_sync_us"]) / 2
    sim_rows("measured", parallel=0)
    sim_rows("serial", parallel=a.disk_threads)
    sim_rows("newfile", parallel=a.disk_threads, sync_us=new_file_sync)
    # One knob fitted on one cell: the link latency that makes the simulated 4 KiB get at
    # one client as slow as the real one (a get is a few message hops and no fsync), then
    # every other cell predicted with it.
    variants = [("sim, as measured", "measured"),
                ("sim, disk %d operations at a time (as cairnd)" % a.disk_threads, "serial"),
                ("sim, as cairnd, sync of a new file %.0f us" % new_file_sync, "newfile")]
    fit = ("get", "4KiB", min(clients))
    if fit in real and ("serial",) + fit in sims:
        hop_us = fig["rtt_us"] / 2 * real[fit]["p50_ms"] / sims[("serial",) + fit]["p50_ms"]
        print("- fitted one-way latency: %.0f us (from the real 4 KiB get at %d client%s)" %
              (hop_us, fit[2], "s" if fit[2] > 1 else ""))
        sim_rows("fitted", parallel=a.disk_threads, sync_us=new_file_sync, latency_us=hop_us)
        variants.append(("sim, new-file sync, latency fitted: %.0f us" % hop_us, "fitted"))

    print()
    print("| op | size | clients | run | ops/s | p50 ms | p99 ms |")
    print("|---|---|---|---|---|---|---|")
    for k, s, c in cells:
        rows = [("real, 3 cairnd", real.get((k, s, c)))] if not a.skip_real else []
        rows += [(name, sims[(label, k, s, c)]) for name, label in variants]
        for name, r in rows:
            print("| %s | %s | %d | %s | %s |" % (k, s, c, name, cell(r)))
    print("\nload average after the runs: " + " ".join(open("/proc/loadavg").read().split()[:3]))
    print("scenarios, runs and data in " + work)


if __name__ == "__main__":
    main()
