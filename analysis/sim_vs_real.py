#!/usr/bin/python3
"""Failure detection in cairn-sim versus five real cairnd processes (docs/sim-vs-real.md).

Both sides run one configuration (heartbeat 200ms, phi 8, monitors 3, suspect_timeout 1s,
min_std_dev 100ms) and one schedule: n3 crashes (kill -9 on the real side) every 10 s and
restarts 5 s later. For each crash it takes the first "suspect" and the first "dead"
mark of n3 by any node, and it counts every mark of a node that was up (false marks),
which after a restart is what issue 15 was about. Prints a Markdown table.

  /usr/bin/python3 analysis/sim_vs_real.py [--build build] [--crashes 30] [--seeds 6]
      [--cairnd PATH --label NAME]... [--skip-real]

The real side takes crashes x 10 s of wall time; the processes listen on loopback only.
"""
import argparse
import datetime
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

NODES = 5
VICTIM = 3
PERIOD_S = 10.0  # a crash every PERIOD_S, restarted DOWN_S later
DOWN_S = 5.0
MEMBERSHIP = ("{heartbeat: 200ms, phi_threshold: 8, monitors: 3, suspect_timeout: 1s, "
              "min_std_dev: 100ms%s}")


def percentile(values, q):
    if not values:
        return float("nan")
    s = sorted(values)
    return s[min(len(s) - 1, max(0, int(round(q * len(s) + 0.5)) - 1))]


def summary(values):
    return "%.3f / %.3f / %.3f s" % (percentile(values, 0.5), percentile(values, 0.9),
                                     max(values) if values else float("nan"))


def judge(crashes, marks):
    """crashes: [(t_crash, t_restart)]; marks: [(t, observer, target, state)] in time order.
    Returns suspect latencies, dead latencies and the number of false marks."""
    suspect, dead = [], []
    for c, r in crashes:
        for state, out in (("suspect", suspect), ("dead", dead)):
            ts = [t for t, _, target, s in marks
                  if target == VICTIM and s == state and c <= t < r]
            if ts:
                out.append(min(ts) - c)
    false = sum(1 for _, _, target, s in marks
                if target != VICTIM and s in ("suspect", "dead"))
    return suspect, dead, false


# ---------------------------------------------------------------- simulation


def sim_scenario(crashes, transport, first_contact):
    faults = []
    for i in range(crashes):
        at = 5 + i * PERIOD_S
        faults.append("  - {at: %gs, crash: n%d}" % (at, VICTIM))
        faults.append("  - {at: %gs, restart: n%d}" % (at + DOWN_S, VICTIM))
    extra = "" if first_contact is None else ", first_contact: %s" % first_contact
    return "\n".join([
        "name: sim-vs-real",
        "duration: %gs" % (5 + crashes * PERIOD_S + 5),
        "platform:",
        "  nodes: [{count: %d}]" % NODES,
        "  link: {latency: 100us}",
        "membership: " + MEMBERSHIP % extra,
        "transport: " + transport,
        "faults:",
    ] + faults) + "\n"


def run_sim(build, crashes, seeds, transport, first_contact=None):
    per_seed = max(1, crashes // seeds)
    all_crashes, all_marks, offset = [], [], 0.0
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "s.yaml")
        with open(path, "w") as f:
            f.write(sim_scenario(per_seed, transport, first_contact))
        for seed in range(1, seeds + 1):
            out = os.path.join(d, "run%d" % seed)
            subprocess.run([os.path.join(build, "runtime-sim/cairn-sim"), "run", path,
                            "--seed", str(seed), "--out", out, "--no-progress"],
                           check=False, stdout=subprocess.DEVNULL)
            open_crash = None
            with open(os.path.join(out, "events.jsonl")) as f:
                for line in f:
                    e = json.loads(line)
                    t = e["t"] + offset  # seeds laid end to end
                    if e["kind"] == "fault" and e["fault"] == "crash":
                        open_crash = t
                    elif e["kind"] == "fault" and e["fault"] == "restart":
                        all_crashes.append((open_crash, t))
                    elif e["kind"] == "member_state":
                        all_marks.append((t, int(e["node"][1:]), int(e["target"][1:]),
                                          e["state"]))
            offset += 1e6
    return all_crashes, all_marks


# ---------------------------------------------------------------- real processes


def free_ports(n):
    socks, ports = [], []
    for _ in range(n):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        socks.append(s)
        ports.append(s.getsockname()[1])
    for s in socks:
        s.close()
    return ports


def view(http_port, subject):
    try:
        body = urllib.request.urlopen("http://127.0.0.1:%d/membership" % http_port,
                                      timeout=0.5).read().decode()
    except OSError:
        return ""
    m = re.search(r"^n%d (\w+) " % subject, body, re.M)
    return m.group(1) if m else ""


def wait_until(pred, timeout_s):
    end = time.time() + timeout_s
    while time.time() < end:
        if pred():
            return True
        time.sleep(0.02)
    return pred()


LOG_LINE = re.compile(r"^(\S+) info event kind=member_state node=n(\d+) target=n(\d+) "
                      r"state=(\w+)")


def run_real(cairnd, crashes, first_contact=None):
    d = tempfile.mkdtemp(prefix="cairn-svr-")
    ports = free_ports(2 * NODES)
    frame = {i: ports[i - 1] for i in range(1, NODES + 1)}
    http = {i: ports[NODES + i - 1] for i in range(1, NODES + 1)}
    extra = "" if first_contact is None else ", first_contact: %s" % first_contact
    for i in range(1, NODES + 1):
        with open("%s/n%d.yaml" % (d, i), "w") as f:
            f.write("node: %d\nlisten: 127.0.0.1:%d\nhttp: 127.0.0.1:%d\ndata_dir: %s/n%d\n"
                    "roles: [membership]\nlog_level: info\npeers:\n" %
                    (i, frame[i], http[i], d, i))
            for j in range(1, NODES + 1):
                if j != i:
                    f.write("  - {node: %d, address: 127.0.0.1:%d}\n" % (j, frame[j]))
            f.write("membership: " + MEMBERSHIP % extra + "\n")
    procs = {}

    def start(i):
        log = open("%s/n%d.log" % (d, i), "a")
        procs[i] = subprocess.Popen([cairnd, "--config", "%s/n%d.yaml" % (d, i)],
                                    stdout=log, stderr=log)

    for i in range(1, NODES + 1):
        start(i)
    others = [i for i in range(1, NODES + 1) if i != VICTIM]
    all_alive = lambda: all(view(http[v], s) == "alive"  # noqa: E731
                            for v in range(1, NODES + 1) for s in range(1, NODES + 1))
    if not wait_until(all_alive, 15):
        sys.exit("real cluster did not converge; logs in " + d)
    schedule = []
    t0 = time.time() + 1
    for k in range(crashes):
        crash_at = t0 + k * PERIOD_S
        time.sleep(max(0, crash_at - time.time()))
        procs[VICTIM].send_signal(signal.SIGKILL)
        t_crash = time.time()
        procs[VICTIM].wait()
        wait_until(lambda: all(view(http[v], VICTIM) == "dead" for v in others), DOWN_S)
        time.sleep(max(0, crash_at + DOWN_S - time.time()))
        t_restart = time.time()
        start(VICTIM)
        schedule.append((t_crash, t_restart))
        wait_until(all_alive, PERIOD_S - DOWN_S - 0.5)
        print("real: crash %d/%d done" % (k + 1, crashes), file=sys.stderr)
    time.sleep(max(0, t0 + crashes * PERIOD_S - time.time()))
    for p in procs.values():
        p.send_signal(signal.SIGTERM)
    for p in procs.values():
        p.wait()
    marks = []
    for i in range(1, NODES + 1):
        with open("%s/n%d.log" % (d, i)) as f:
            for line in f:
                m = LOG_LINE.match(line)
                if m:
                    t = datetime.datetime.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S.%f").timestamp()
                    marks.append((t, int(m.group(2)), int(m.group(3)), m.group(4)))
    marks.sort()
    print("real: logs in " + d, file=sys.stderr)
    return schedule, marks


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default="build")
    ap.add_argument("--crashes", type=int, default=30)
    ap.add_argument("--seeds", type=int, default=6)
    ap.add_argument("--cairnd", action="append", default=[],
                    help="cairnd binaries to measure (default: BUILD/runtime-real/cairnd)")
    ap.add_argument("--label", action="append", default=[])
    ap.add_argument("--skip-real", action="store_true")
    a = ap.parse_args()
    rows = []
    sims = [("sim, ideal network (`transport: {model: none}`)", "{model: none}", None),
            ("sim, TCP model as before the fix (`hold: 0s, hello_ends_backoff: false`, "
             "`first_contact: 0s`)", "{model: tcp, hold: 0s, hello_ends_backoff: false}", "0s"),
            ("sim, TCP model (`transport: {model: tcp}`)", "{model: tcp}", None)]
    for label, transport, first_contact in sims:
        rows.append((label,) + judge(*run_sim(a.build, a.crashes, a.seeds, transport,
                                              first_contact)) + (a.crashes,))
    if not a.skip_real:
        binaries = a.cairnd or [os.path.join(a.build, "runtime-real/cairnd")]
        labels = a.label + ["real, %s" % b for b in binaries[len(a.label):]]
        for label, binary in zip(labels, binaries):
            schedule, marks = run_real(binary, a.crashes)
            rows.append((label,) + judge(schedule, marks) + (len(schedule),))
    print("| run | crashes | crash → suspect p50 / p90 / max | crash → dead p50 / p90 / max "
          "| marks of live nodes |")
    print("|---|---|---|---|---|")
    for label, suspect, dead, false, n in rows:
        print("| %s | %d | %s | %s | %d |" % (label, n, summary(suspect), summary(dead), false))


if __name__ == "__main__":
    main()
