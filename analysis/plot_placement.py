#!/usr/bin/python3
"""Turns a cairn-sim run folder of the placement lesson into one figure.

    /usr/bin/python3 analysis/plot_placement.py RUN_DIR

Writes RUN_DIR/placement.png, two panels, one bar group per join or leave: the share of all
shards that moved beside the ideal (the least a balanced policy moves: 1/n for a join, the
leaver's share for a leave), with moves between nodes that stayed stacked on top; and the
most loaded node's shards over the mean after each change (the start included). Reads
events.jsonl and summary.json. Refuses (exit 2) a run without `placement:`. Uses only
Debian's python3-matplotlib.
"""
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
import run_folder  # noqa: E402


def main():
    run_dir, events, summary = run_folder.load_from_args(
        __doc__, run_folder.has_placement, "is not a placement run (no placement_start event)")
    start = next(e for e in events if e["kind"] == "placement_start")
    changes = [e for e in events if e["kind"] == "placement_change"]
    policy = start["policy"] + (f", {start['vnodes']} points per node"
                                if start["policy"] == "ring" else "")
    labels = [f"{e['t']:g}s\n{e['change']} {e['targets']}" for e in changes]
    x = range(len(changes))
    fig, (moved_ax, load_ax) = plt.subplots(2, 1, figsize=(9, 7))
    fig.suptitle(f"{summary['scenario']} (seed {summary['seed']}): {policy}; "
                 f"{start['stripes']} stripes x {start['shards']} shards")
    width = 0.38
    stayers = [100 * e["moves_between_stayers"] / e["shards"] for e in changes]
    needed = [100 * e["moved_fraction"] - s for e, s in zip(changes, stayers)]
    moved_ax.bar([i - width / 2 for i in x], needed, width, color="#1976d2",
                 label="moved to a newcomer or from a leaver")
    moved_ax.bar([i - width / 2 for i in x], stayers, width, bottom=needed, color="#e53935",
                 label="moved between nodes that stayed")
    moved_ax.bar([i + width / 2 for i in x], [100 * e["ideal_fraction"] for e in changes],
                 width, color="#9e9e9e", label="ideal (1/n for a join, the leaver's share)")
    for i, e in enumerate(changes):
        moved_ax.annotate(f"{e['moved_over_ideal']:.2f}x",
                          (i - width / 2, 100 * e["moved_fraction"]), ha="center", va="bottom",
                          fontsize=8)
    moved_ax.set_xticks(list(x))
    moved_ax.set_xticklabels(labels, fontsize=8)
    moved_ax.set_ylabel("% of all shards moved")
    top = max([100 * e["moved_fraction"] for e in changes] +
              [100 * e["ideal_fraction"] for e in changes] + [1])
    moved_ax.set_ylim(0, top * 1.45)
    moved_ax.set_title("What each change moved, against the ideal", fontsize=10)
    moved_ax.legend(fontsize=8)
    load = [start["load_max_over_mean"]] + [e["load_max_over_mean"] for e in changes]
    load_ax.plot(range(len(load)), load, marker="o", color="#1976d2")
    load_ax.axhline(1.0, color="black", linewidth=0.7, linestyle=":")
    load_ax.set_xticks(range(len(load)))
    load_ax.set_xticklabels([f"0s\nstart ({start['nodes']} nodes)"] + labels, fontsize=8)
    load_ax.set_ylabel("busiest node / mean")
    load_ax.set_ylim(bottom=min(0.95, min(load) - 0.02))
    load_ax.set_title("Load spread after each change (1 is perfect balance)", fontsize=10)
    fig.tight_layout()
    out = run_dir / "placement.png"
    fig.savefig(out, dpi=110)
    print(out)


if __name__ == "__main__":
    main()
