#!/usr/bin/python3
"""Plots the consistent-hashing reproduction (papers/consistent-hashing/).

Usage: /usr/bin/python3 analysis/plot_consistent_hashing.py CSV_DIR OUT_DIR
Reads vnodes.csv, moves.csv and bounded.csv written by `ch_curves CSV_DIR`; writes
vnodes.png, moves.png and bounded.png into OUT_DIR and prints the mean of each point as
markdown tables (the numbers quoted in the README).
"""
import csv
import math
import sys
from collections import defaultdict

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def read(path, columns):
    """The rows of a CSV written by ch_curves; refuses (exit 2) anything else."""
    try:
        with open(path, newline="") as f:
            rows = list(csv.DictReader(f))
    except OSError as e:
        print(f"cannot plot: {path}: {e.strerror} (run ch_curves CSV_DIR first)", file=sys.stderr)
        sys.exit(2)
    missing = [c for c in columns if not rows or c not in rows[0]]
    if missing:
        print(f"cannot plot: {path} is not ch_curves output (no rows with {', '.join(missing)})",
              file=sys.stderr)
        sys.exit(2)
    return rows


def mean_by(rows, key, value):
    groups = defaultdict(list)
    for r in rows:
        groups[r[key]].append(float(r[value]))
    return {k: sum(v) / len(v) for k, v in groups.items()}


def plot_vnodes(rows, out):
    std = mean_by(rows, "vnodes", "rel_std")
    peak = mean_by(rows, "vnodes", "max_over_avg")
    v = sorted(std, key=int)
    xs = [int(x) for x in v]
    plt.figure(figsize=(6, 4))
    plt.loglog(xs, [std[x] for x in v], "o-", label="ours: std of load / fair share")
    plt.loglog(xs, [1 / math.sqrt(x) for x in xs], "k--", label="theory 1/sqrt(V)")
    plt.loglog(xs, [peak[x] - 1 for x in v], "s-", label="ours: max load / fair share - 1")
    plt.xlabel("virtual nodes per node (V), 100 nodes")
    plt.ylabel("relative deviation")
    plt.title("Load spread against virtual nodes (Karger et al. 1997)", fontsize=10)
    plt.legend()
    plt.grid(True, which="both", alpha=0.3)
    plt.tight_layout()
    plt.savefig(f"{out}/vnodes.png", dpi=120)
    print("| V | std (ours) | 1/sqrt(V) | max/avg (ours) |\n|---|---|---|---|")
    for x in v:
        print(f"| {x} | {std[x]:.3f} | {1 / math.sqrt(int(x)):.3f} | {peak[x]:.2f} |")


def plot_moves(rows, out):
    join = mean_by(rows, "nodes", "join_moved")
    leave = mean_by(rows, "nodes", "leave_moved")
    n = sorted(join, key=int)
    xs = [int(x) for x in n]
    plt.figure(figsize=(6, 4))
    plt.loglog(xs, [join[x] for x in n], "o", label="ours: join")
    plt.loglog(xs, [1 / (x + 1) for x in xs], "k--", label="ideal 1/(n+1)")
    plt.loglog(xs, [leave[x] for x in n], "s", label="ours: leave")
    plt.loglog(xs, [1 / x for x in xs], "k:", label="ideal 1/n")
    plt.xlabel("nodes n (200 virtual nodes each)")
    plt.ylabel("fraction of keys moved")
    plt.title("Keys moved when a node joins or leaves (Karger et al. 1997)", fontsize=10)
    plt.legend()
    plt.grid(True, which="both", alpha=0.3)
    plt.tight_layout()
    plt.savefig(f"{out}/moves.png", dpi=120)
    print("\n| n | join moved | 1/(n+1) | leave moved | 1/n |\n|---|---|---|---|---|")
    for x in n:
        print(f"| {x} | {join[x]:.4f} | {1 / (int(x) + 1):.4f} | {leave[x]:.4f} | {1 / int(x):.4f} |")


def plot_bounded(rows, out):
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    print("\n| V | epsilon | max/avg (ours) | bound ceil((1+eps)avg)/avg | join moved | 1/(n+1) |")
    print("|---|---|---|---|---|---|")
    for v in ("1", "100"):
        sel = [r for r in rows if r["vnodes"] == v]
        peak = mean_by(sel, "epsilon", "max_over_avg")
        moved = mean_by(sel, "epsilon", "join_moved")
        eps = [e for e in peak if e != "inf"]
        xs = [float(e) for e in eps]
        left.semilogx(xs, [peak[e] for e in eps], "o-", label=f"bounded, V={v}")
        left.axhline(peak["inf"], linestyle=":", color=left.lines[-1].get_color(),
                     label=f"plain ring, V={v}")
        right.loglog(xs, [moved[e] for e in eps], "o-", label=f"bounded, V={v}")
        for e in eps + ["inf"]:
            bound = "-" if e == "inf" else f"{math.ceil((1 + float(e)) * 100 - 1e-9) / 100:.2f}"
            print(f"| {v} | {e} | {peak[e]:.2f} | {bound} | {moved[e]:.4f} | {1 / 101:.4f} |")
    xs = sorted(float(e) for e in eps)
    left.semilogx(xs, [1 + x for x in xs], "k--", label="bound 1+eps")
    right.loglog(xs, [1 / 101 / x**2 for x in xs], "k:", label="(1/(n+1)) / eps^2: shape of the O(1/eps^2) bound")
    right.set_ylim(top=1.5)
    right.axhline(1 / 101, linestyle="--", color="k", label="1/(n+1)")
    left.set_xlabel("epsilon")
    left.set_ylabel("max load / average (100 nodes, 10 000 keys)")
    right.set_xlabel("epsilon")
    right.set_ylabel("fraction of keys moved when node 101 joins")
    left.set_title("Maximum load under a (1+eps) cap", fontsize=10)
    right.set_title("Keys moved on a join under the cap", fontsize=10)
    fig.suptitle("Consistent hashing with bounded loads (Mirrokni, Thorup & Zadimoghaddam 2018)",
                 fontsize=11)
    left.legend(fontsize=8)
    right.legend(fontsize=8)
    left.grid(True, which="both", alpha=0.3)
    right.grid(True, which="both", alpha=0.3)
    fig.tight_layout()
    fig.savefig(f"{out}/bounded.png", dpi=120)


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    src, out = sys.argv[1], sys.argv[2]
    vnodes = read(f"{src}/vnodes.csv", ["vnodes", "rel_std", "max_over_avg"])
    moves = read(f"{src}/moves.csv", ["nodes", "join_moved", "leave_moved"])
    bounded = read(f"{src}/bounded.csv", ["vnodes", "epsilon", "max_over_avg", "join_moved"])
    plot_vnodes(vnodes, out)
    plot_moves(moves, out)
    plot_bounded(bounded, out)


if __name__ == "__main__":
    main()
