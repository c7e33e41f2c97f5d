#!/usr/bin/python3
"""Turns a cairn-sim run folder of a file-store run into two plots of repair.

    /usr/bin/python3 analysis/plot_repair.py RUN_DIR

Writes RUN_DIR/redundancy.png: how many stripes could lose 0, 1, 2 ... more shards (and
how many could not be read at all), sampled at every metrics interval from the meta
leader's chunk table against the live storage nodes (the rows of the pseudo-node `sim`
in metrics.csv); and RUN_DIR/repair_bandwidth.png: the bytes repair moves per second,
the shards rebuilt nodes wrote (storage_rebuilt_bytes, summed over nodes) and the bytes
of k survivors those rebuilds read (each repair_start's bytes, spread evenly from the
task's start to its repair_done). Both shade and label the injected faults. Refuses (exit 2) a run without
those samples: one with no meta and storage nodes. Uses only Debian's python3-matplotlib.
"""
import csv
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
import run_folder  # noqa: E402

SPARE_PREFIX = "redundancy_stripes_spare_"
UNREADABLE = "redundancy_stripes_unreadable"
MB = 1e6


def read_metrics(run_dir):
    """{(node, metric): [(t, value), ...]} from metrics.csv (rows only where a value
    changed: readers carry each value forward)."""
    path = run_folder.need_file(run_dir / "metrics.csv", "the run wrote no metrics")
    series = {}
    with path.open() as f:
        for row in csv.DictReader(f):
            series.setdefault((row["node"], row["metric"]), []).append(
                (float(row["time_s"]), float(row["value"])))
    return series


def value_at(points, t):
    """The value carried forward to time t (0 before the first row)."""
    v = 0.0
    for pt, pv in points:
        if pt > t:
            break
        v = pv
    return v


def stripes_by_spare(series):
    """(times, {spare: counts}) from the `sim` rows, most spare first, unreadable (-1)
    last."""
    spares = sorted(int(m[len(SPARE_PREFIX):]) for n, m in series
                    if n == "sim" and m.startswith(SPARE_PREFIX))
    times = sorted({t for (n, m), pts in series.items() if n == "sim" for t, _ in pts})
    out = {}
    for s in reversed(spares):
        pts = series[("sim", f"{SPARE_PREFIX}{s}")]
        out[s] = [value_at(pts, t) for t in times]
    if ("sim", UNREADABLE) in series:
        out[-1] = [value_at(series[("sim", UNREADABLE)], t) for t in times]
    return times, out


def spare_style(spare, most):
    """(label, colour) of the stripes that can lose `spare` more shards (-1: unreadable),
    from red (0) to green (`most`, the highest count of spare shards in the run)."""
    if spare < 0:
        return "unreadable (fewer than k shards)", "#000000"
    return f"{spare} spare", plt.get_cmap("RdYlGn")(0.1 + 0.8 * spare / max(1, most))


def rate(series, metric, times):
    """Per-second increase of `metric` summed over every node, between sample times."""
    nodes = [pts for (n, m), pts in series.items() if m == metric]
    totals = [sum(value_at(pts, t) for pts in nodes) for t in times]
    return [max(0.0, (totals[i] - totals[i - 1]) / (times[i] - times[i - 1]))
            for i in range(1, len(times))]


def read_rate(events, times):
    """Bytes per second read by rebuilds between sample times: each task's bytes (k
    shards) spread evenly over its repair_start .. repair_done."""
    started, spans = {}, []
    for e in events:
        if e["kind"] == "repair_start":
            started[(e["chunk"], e["shard"])] = (e["t"], e["bytes"])
        elif e["kind"] == "repair_done" and (e["chunk"], e["shard"]) in started:
            t0, b = started.pop((e["chunk"], e["shard"]))
            spans.append((t0, max(e["t"], t0 + 1e-9), b))
    out = []
    for i in range(1, len(times)):
        lo, hi = times[i - 1], times[i]
        moved = sum(b * max(0.0, min(hi, t1) - max(lo, t0)) / (t1 - t0) for t0, t1, b in spans)
        out.append(moved / (hi - lo))
    return out


def merged_spans(events, end):
    """Fault spans, those with the same start and end as one labelled span."""
    merged = {}
    for start, stop, label in run_folder.fault_spans(events, end):
        merged.setdefault((start, stop), []).append(label)
    return [(a, b, ", ".join(labels)) for (a, b), labels in sorted(merged.items())]


def finish(fig, ax, spans, title, out):
    run_folder.shade_faults([ax], spans, ax)
    for patch in ax.patches:
        patch.set_zorder(1)  # faults behind the data
    ax.set_xlabel("simulated time (s)")
    ax.legend(loc="center right", fontsize=8)
    fig.suptitle(title, x=0.01, ha="left")
    fig.tight_layout(rect=(0, 0, 1, 0.95))
    fig.savefig(out, dpi=110)
    plt.close(fig)
    print(f"wrote {out}")


def main():
    run_dir, events, summary = run_folder.load_from_args(
        __doc__, lambda _: True, "")
    series = read_metrics(run_dir)
    if not any(n == "sim" and m.startswith(SPARE_PREFIX) for n, m in series):
        run_folder.refuse(f"{run_dir} has no stripe counts in metrics.csv (a run with meta "
                          f"and storage nodes and files written has them)"
                          + run_folder.suggest(events))
    end = summary["sim_time_s"]
    name = f"{summary['scenario']} (seed {summary['seed']})"
    spans = merged_spans(events, end)

    times, stacks = stripes_by_spare(series)
    styles = [spare_style(s, max(stacks)) for s in stacks]
    fig, ax = plt.subplots(figsize=(11, 4.5))
    ax.stackplot(times, list(stacks.values()), labels=[label for label, _ in styles],
                 colors=[color for _, color in styles], step="post", alpha=0.85, zorder=2)
    ax.set_ylabel("stripes (chunks)")
    ax.set_xlim(0, end)
    finish(fig, ax, spans, f"{name}: stripes by shards they can still lose",
           run_dir / "redundancy.png")

    fig, ax = plt.subplots(figsize=(11, 4.5))
    mid = times[1:]
    ax.step(mid, [v / MB for v in read_rate(events, times)], where="pre", color="#1565c0",
            label="read from survivors (k shards per rebuilt shard)")
    ax.step(mid, [v / MB for v in rate(series, "storage_rebuilt_bytes", times)], where="pre",
            color="#ef6c00", label="shards rebuilt and written")
    ax.set_ylabel("repair traffic (MB/s)")
    ax.set_xlim(0, end)
    ax.set_ylim(bottom=0)
    finish(fig, ax, spans, f"{name}: repair bandwidth", run_dir / "repair_bandwidth.png")


if __name__ == "__main__":
    main()
