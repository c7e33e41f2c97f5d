#!/usr/bin/python3
"""Turns a cairn-sim run folder into plots of failure detection.

    /usr/bin/python3 analysis/plot_membership.py RUN_DIR

Writes RUN_DIR/views.png (each node's view of the others over time: alive, suspect,
dead, with the injected faults as vertical lines) and RUN_DIR/detection.png (how long
each node took to declare each crashed node dead). Uses only Debian's python3-matplotlib.
"""
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
import run_folder  # noqa: E402

COLORS = {"alive": "#4caf50", "suspect": "#ff9800", "dead": "#e53935"}


def node_names(events):
    start = next(e for e in events if e["kind"] == "run_start")
    return [f"n{i}" for i in range(1, start["nodes"] + 1)]


def views(events, names, end):
    """(observer, target) -> list of (start, end, state) segments."""
    current = {(o, t): (0.0, "alive") for o in names for t in names if o != t}
    segments = {k: [] for k in current}
    for e in events:
        if e["kind"] == "fault" and e["fault"] == "restart":
            # A restarted node starts again believing everyone alive.
            for o in e.get("targets", "").split():
                for t in names:
                    if (o, t) in current:
                        start, state = current[(o, t)]
                        segments[(o, t)].append((start, e["t"], state))
                        current[(o, t)] = (e["t"], "alive")
        if e["kind"] != "member_state":
            continue
        key = (e["node"], e["target"])
        if key not in current:
            continue
        start, state = current[key]
        segments[key].append((start, e["t"], state))
        current[key] = (e["t"], e["state"])
    for key, (start, state) in current.items():
        segments[key].append((start, end, state))
    return segments


def down_intervals(events, end):
    down, since = {}, {}
    for e in events:
        if e["kind"] != "fault":
            continue
        for n in e.get("targets", "").split():
            if e["fault"] == "crash":
                since[n] = e["t"]
            elif e["fault"] == "restart" and n in since:
                down.setdefault(n, []).append((since.pop(n), e["t"]))
    for n, t in since.items():
        down.setdefault(n, []).append((t, end))
    return down


def plot_views(events, summary, names, out):
    end = summary["sim_time_s"]
    segs = views(events, names, end)
    down = down_intervals(events, end)
    fig, axes = plt.subplots(len(names), 1, figsize=(11, 1.1 * len(names) + 1.2), sharex=True,
                             squeeze=False)
    for row, observer in enumerate(names):
        ax = axes[row][0]
        targets = [t for t in names if t != observer]
        for y, target in enumerate(targets):
            for start, stop, state in segs[(observer, target)]:
                if stop > start:
                    ax.broken_barh([(start, stop - start)], (y - 0.4, 0.8), color=COLORS[state])
        for start, stop in down.get(observer, []):
            ax.axvspan(start, stop, color="#9e9e9e", alpha=0.6)
        for e in events:
            if e["kind"] == "fault":
                ax.axvline(e["t"], color="black", linewidth=0.6, linestyle=":")
        ax.set_yticks(range(len(targets)), targets, fontsize=7)
        ax.set_ylabel(f"{observer}\nsees", rotation=0, labelpad=22, fontsize=8)
        ax.set_xlim(0, end)
    axes[-1][0].set_xlabel("simulated time (s)")
    handles = [plt.Rectangle((0, 0), 1, 1, color=c) for c in COLORS.values()]
    handles.append(plt.Rectangle((0, 0), 1, 1, color="#9e9e9e", alpha=0.6))
    fig.legend(handles, list(COLORS) + ["observer down"], loc="upper right", ncol=4, fontsize=8)
    fig.suptitle(f"{summary['scenario']} (seed {summary['seed']}): each node's view of the others",
                 x=0.01, ha="left")
    fig.tight_layout(rect=(0, 0, 1, 0.96))
    fig.savefig(out, dpi=110)
    plt.close(fig)


def detection_latencies(events):
    """(crashed node, crash time) -> {observer: seconds until it declared the node dead}.
    A crash stops counting when its node restarts."""
    crashes, open_crash = {}, {}
    for e in events:
        if e["kind"] == "fault" and e["fault"] in ("crash", "restart"):
            for n in e["targets"].split():
                if e["fault"] == "crash":
                    open_crash[n] = (n, e["t"])
                    crashes[open_crash[n]] = {}
                else:
                    open_crash.pop(n, None)
        elif e["kind"] == "member_state" and e["state"] == "dead":
            key = open_crash.get(e["target"])
            if key is not None and e["node"] not in crashes[key]:
                crashes[key][e["node"]] = e["t"] - key[1]
    return crashes


def plot_detection(events, summary, out):
    crashes = detection_latencies(events)
    fig, ax = plt.subplots(figsize=(8, 4))
    labels, values = [], []
    for (node, t), seen in sorted(crashes.items(), key=lambda kv: kv[0][1]):
        for observer, latency in sorted(seen.items()):
            labels.append(f"{observer}→{node}@{t:.0f}s")
            values.append(latency)
    if values:
        ax.bar(range(len(values)), values, color="#e53935")
        ax.set_xticks(range(len(values)), labels, rotation=60, ha="right", fontsize=7)
        bound = summary.get("checks", {}).get("detection_time", {}).get("detail", "")
        ax.set_title(f"time to declare a crashed node dead  {bound}", fontsize=9)
    else:
        ax.text(0.5, 0.5, "no crash in this run", ha="center", va="center")
    ax.set_ylabel("seconds after the crash")
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)


def main():
    # A run without failure detectors would show every node alive and no crash seen.
    run_dir, events, summary = run_folder.load_from_args(
        __doc__, run_folder.has_membership, "has no failure detector (no member_state events)")
    names = node_names(events)
    plot_views(events, summary, names, run_dir / "views.png")
    plot_detection(events, summary, run_dir / "detection.png")
    print(f"wrote {run_dir / 'views.png'} and {run_dir / 'detection.png'}")


if __name__ == "__main__":
    main()
