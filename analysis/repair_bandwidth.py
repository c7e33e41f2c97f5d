#!/usr/bin/python3
"""How close a simulated repair came to the bandwidth the platform allows.

    /usr/bin/python3 analysis/repair_bandwidth.py SCENARIO.yaml RUN_DIR

The repair window runs from the first repair_start to the last sample of metrics.csv at
which a node's storage_rebuilt_bytes grew (so a short metrics interval, e.g. 250ms, makes
it sharp). Over that window every storage node did some of four things, each bounded by
the platform figures of the scenario (link bandwidth, disk read and write, divided by a
slow-disk fault active at the window's start, as the run's summary.json lists the
faults; the platform is read from SCENARIO.yaml, so a --set on it is not seen):

    in   the rebuilds it ran read k shards over its inbound link (repair_start bytes)
    out  it sent the shards others rebuilt from over its outbound link (storage_get_bytes)
    read it read those shards from its disk (cas_read_bytes)
    write it stored the shards it rebuilt (cas_put_bytes)

The time the platform needs is the largest of (bytes / bandwidth) over every node and
resource: no schedule finishes the same work sooner. The ratio printed is that time over
the window: 1.0 would mean the busiest resource never idled. Reads and writes are counted
as separate constraints, which can only make the time needed shorter and the ratio lower.
Counters are sampled at the metrics interval, so the ratio is good to about one interval
over the window (a value a little above 1 is that). A second line gives the same for the
work spread evenly over the live storage nodes.
Needs a run with no client traffic during the repair. Exit 2 with `cannot measure:` for a
run without a repair.
"""
import csv
import json
import re
import sys
from pathlib import Path

import yaml

UNITS = {"bps": 1 / 8, "kbps": 1e3 / 8, "Mbps": 1e6 / 8, "Gbps": 1e9 / 8, "Bps": 1,
         "KBps": 1e3, "MBps": 1e6, "GBps": 1e9, "KiBps": 1024, "MiBps": 1024**2,
         "GiBps": 1024**3}


def refuse(message):
    print(f"cannot measure: {message}", file=sys.stderr)
    sys.exit(2)


def bytes_per_s(text):
    m = re.fullmatch(r"\s*([0-9.]+)\s*([A-Za-z]+)\s*", str(text))
    if not m or m.group(2) not in UNITS:
        refuse(f"cannot read the bandwidth {text!r}")
    return float(m.group(1)) * UNITS[m.group(2)]


def seconds(text):
    m = re.fullmatch(r"\s*([0-9.]+)\s*(ms|s|m)\s*", str(text))
    if not m:
        refuse(f"cannot read the duration {text!r}")
    return float(m.group(1)) * {"ms": 1e-3, "s": 1, "m": 60}[m.group(2)]


def node_list(value, names):
    if value == "all":
        return list(names)
    return [value] if isinstance(value, str) else list(value)


def disk_factors(faults, names, at):
    """Each node's disk slowdown active at time `at`."""
    factor = {n: 1.0 for n in names}
    for f in faults or []:
        start = seconds(f["at"])
        stop = start + seconds(f["for"]) if "for" in f else float("inf")
        if not start <= at < stop:
            continue
        if "slow_disk" in f:
            for n in node_list(f["slow_disk"], names):
                factor[n] *= float(f.get("factor", 1))
        elif "disk" in f and str(f.get("slow", "")).endswith("x"):
            for n in node_list(f["disk"], names):
                factor[n] *= float(str(f["slow"])[:-1])
    return factor


def increases(metrics_path, names, lo, hi):
    """{metric: {node: increase over [lo, hi]}} and the last time storage_rebuilt_bytes
    grew, from metrics.csv (values carried forward)."""
    last, at_lo, at_hi, grew = {}, {}, {}, None
    with open(metrics_path) as f:
        for row in csv.DictReader(f):
            t, key, v = float(row["time_s"]), (row["metric"], row["node"]), float(row["value"])
            if row["metric"] == "storage_rebuilt_bytes" and v > last.get(key, 0.0) and t >= lo:
                grew = t
            last[key] = v
            if t <= lo:
                at_lo[key] = v
            if t <= hi:
                at_hi[key] = v
    out = {}
    for (metric, node), v in at_hi.items():
        out.setdefault(metric, {})[node] = v - at_lo.get((metric, node), 0.0)
    return out, grew


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    scenario = yaml.safe_load(Path(sys.argv[1]).read_text())
    run_dir = Path(sys.argv[2])
    for name in ("events.jsonl", "metrics.csv", "summary.json"):
        if not (run_dir / name).is_file():
            refuse(f"{run_dir / name} does not exist (give the run folder cairn-sim wrote)")
    events = [json.loads(line) for line in (run_dir / "events.jsonl").open()]
    summary = json.loads((run_dir / "summary.json").read_text())
    if summary["scenario"] != scenario["name"]:
        refuse(f"{run_dir} is a run of {summary['scenario']}, not of {scenario['name']}")
    starts = [e for e in events if e["kind"] == "repair_start"]
    if not starts:
        refuse(f"{run_dir} has no repair_start event: no repair ran")
    names = [f"n{i}" for i in range(1, next(e["nodes"] for e in events
                                            if e["kind"] == "run_start") + 1)]
    lo = starts[0]["t"]
    _, hi = increases(run_dir / "metrics.csv", names, lo, float("inf"))
    if hi is None or hi <= lo:
        refuse(f"{run_dir}: no rebuilt bytes after the first repair_start")
    inc, _ = increases(run_dir / "metrics.csv", names, lo, hi)
    window = hi - lo

    platform = scenario["platform"]
    link = bytes_per_s(platform["link"]["bandwidth"])
    disk = platform.get("disk", {})
    disk_read, disk_write = bytes_per_s(disk["read"]), bytes_per_s(disk["write"])
    # The faults as the run applied them (with any --set), else as the file has them.
    faults = yaml.safe_load(summary["faults"]) if summary.get("faults") else None
    factor = disk_factors(faults if faults is not None else scenario.get("faults"), names, lo)
    down = {n for e in events if e["kind"] == "fault" and e["t"] <= lo
            for n in e.get("targets", "").split() if e["fault"] == "crash"}
    down -= {n for e in events if e["kind"] == "fault" and e["t"] <= lo and
             e["fault"] == "restart" for n in e.get("targets", "").split()}
    live = [n for n in names if n not in down and n in inc.get("cas_read_bytes", {})]

    inbound = {n: 0.0 for n in names}
    for e in starts:
        inbound[f"n{e['to']}"] += e["bytes"]
    need = []  # (seconds, node, resource, bytes, rate)
    for n in names:
        for resource, b, rate in (
                ("inbound link", inbound[n], link),
                ("outbound link", inc.get("storage_get_bytes", {}).get(n, 0.0), link),
                ("disk read", inc.get("cas_read_bytes", {}).get(n, 0.0), disk_read / factor[n]),
                ("disk write", inc.get("cas_put_bytes", {}).get(n, 0.0), disk_write / factor[n])):
            if b > 0:
                need.append((b / rate, n, resource, b, rate))
    need.sort(reverse=True)
    t_need, node, resource, b, rate = need[0]
    total_in = sum(inbound.values())
    total_write = sum(inc.get("cas_put_bytes", {}).get(n, 0.0) for n in names)
    print(f"{summary['scenario']} (seed {summary['seed']}): {len(starts)} rebuilds started, "
          f"repair window {lo:g}s .. {hi:g}s ({window:g} s)")
    print(f"read from survivors {total_in / 1e6:.1f} MB, rebuilt and stored "
          f"{total_write / 1e6:.1f} MB, on {len([n for n in names if inbound[n]])} nodes")
    for s, n, r, nb, nr in need[:5]:
        print(f"  {n} {r}: {nb / 1e6:.2f} MB at {nr / 1e6:.3g} MB/s = {s:.2f} s")
    print(f"bottleneck: {node} {resource}; the platform needs {t_need:.2f} s for this work")
    print(f"repair_bandwidth_ratio {t_need / window:.3f} "
          f"({t_need:.2f} s needed / {window:.2f} s taken)")
    if live:
        even = max(total_in / (len(live) * link),
                   total_write / (len(live) * min(disk_write / factor[n] for n in live)))
        print(f"spread evenly over the {len(live)} live storage nodes the work needs "
              f"{even:.2f} s: ratio {even / window:.3f}")


if __name__ == "__main__":
    main()
