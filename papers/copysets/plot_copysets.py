#!/usr/bin/python3
"""Plots loss.csv (copyset_loss) beside the Copysets paper's model and published values.

Usage: /usr/bin/python3 papers/copysets/plot_copysets.py papers/copysets
Writes copysets.png and prints the table of README.md (ours against the paper's model).
"""
import csv
import math
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

R = 3


def q(n):
    """Probability that one given copyset is inside a failure of round(1 % of n) nodes."""
    f = round(0.01 * n)
    if f < R:
        return 0.0
    return math.comb(f, R) / math.comb(n, R)


def p_loss(n, copysets):
    """The paper's estimate: 1 - (1 - q)^copysets (copysets fail independently)."""
    return -math.expm1(copysets * math.log1p(-q(n))) if q(n) > 0 else 0.0


def distinct(possible, chunks):
    """Expected number of distinct copysets when `chunks` chunks pick among `possible`."""
    return possible * -math.expm1(chunks * math.log1p(-1 / possible))


# The paper's model curves (Section 3-4 formulas, Table 1 parameters as we read them).
MODELS = {
    "random, S = N-1 (RAMCloud, 8000 chunks/node)":
        lambda n: p_loss(n, distinct(math.comb(n, 3), n * 8000 / 3)),
    "random, S = 200 (HDFS, 10 000 chunks/node)":
        lambda n: p_loss(n, distinct(n * math.comb(200, 2), n * 10000 / 3)),
    "random, S = 10 (Facebook): N·C(11,2) copysets":
        lambda n: p_loss(n, n * math.comb(11, 2)),
    "copyset, S = 200": lambda n: p_loss(n, 100 * n / 3),
    "copyset, S = 10": lambda n: p_loss(n, 5 * n / 3),
    "copyset, S = 2": lambda n: p_loss(n, n / 3),
}
# Published values at N = 5000 (the paper's abstract and Section 1; exact text).
PUBLISHED = [
    ("RAMCloud random", 5000, 0.9999),
    ("RAMCloud copyset", 5000, 0.0015),
    ("Facebook random", 5000, 0.228),
    ("Facebook copyset", 5000, 0.0078),
]


def main():
    folder = sys.argv[1] if len(sys.argv) > 1 else "."
    rows = list(csv.DictReader(open(f"{folder}/loss.csv")))
    series = {}
    for row in rows:
        if row["policy"] == "rendezvous":
            label = "Cairn rendezvous (random, S = N-1)"
        elif row["policy"] == "ring":
            label = "Cairn ring, 200 vnodes (default)"
        else:
            label = f"Cairn copysets, S = {row['scatter_width']}"
        series.setdefault(label, []).append(row)

    fig, ax = plt.subplots(figsize=(10, 6.5))
    colours = {"S = N-1": "tab:red", "ring": "tab:orange", "S = 200": "tab:purple",
               "S = 10": "tab:blue", "S = 2": "tab:green"}

    def colour(label):
        return next(c for key, c in colours.items() if key in label)

    grid = list(range(100, 10001, 100))  # multiples of 100: exactly 1 % fails
    for label, model in MODELS.items():
        style = ":" if label.startswith("random") else "--"
        c = colour(label) if "Facebook" not in label else "tab:cyan"
        ax.plot(grid, [model(n) for n in grid], style, color=c, lw=1.2,
                label=f"paper's model: {label}")
    for label, pts in series.items():
        xs = [int(p["nodes"]) for p in pts]
        mc = [float(p["p_loss"]) for p in pts]
        lo = [float(p["p_loss"]) - float(p["ci_low"]) for p in pts]
        hi = [float(p["ci_high"]) - float(p["p_loss"]) for p in pts]
        ax.errorbar(xs, mc, yerr=[lo, hi], fmt="o-", color=colour(label), ms=5, capsize=3,
                    label=f"{label}: Monte Carlo (95 % CI)")
        est = [float(p["p_from_copysets"]) for p in pts]
        ax.plot(xs, est, "x", color=colour(label), ms=8)
    ax.plot([], [], "x", color="grey", ms=8,
            label="x: 1-(1-q)^D, D = copysets in use in our placement")
    ax.plot([], [], "*", color="black", ms=11, label="published value (paper's text)")
    for name, n, value in PUBLISHED:
        ax.plot([n], [value], "*", color="black", ms=13)
        ax.annotate(f"paper: {name} {value:.2%}", (n, value), textcoords="offset points",
                    xytext=(8, -4), fontsize=8)
    ax.set_yscale("symlog", linthresh=1e-3)
    ax.set_ylim(0, 1.05)
    ax.set_xlim(0, 10200)
    ax.set_xlabel("cluster size N (nodes); 1 % of them fail at once")
    ax.set_ylabel("probability of losing at least one chunk (R = 3)")
    ax.set_title("Data loss when 1 % of nodes fail: random vs copyset placement\n"
                 "(Cidon et al., ATC 2013, Figs. 1 and 6; x = 1-(1-q)^copysets from our placements)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7, loc="lower right", ncol=2)
    fig.tight_layout()
    fig.savefig(f"{folder}/copysets.png", dpi=120)

    print("| placement | N | chunks | copysets in use | Monte Carlo (95 % CI) | "
          "1-(1-q)^copysets | paper's model |")
    print("|---|---|---|---|---|---|---|")
    for row in rows:
        n = int(row["nodes"])
        s = int(row["scatter_width"])
        if row["policy"] == "rendezvous":
            name, model = "rendezvous (random)", MODELS[next(iter(MODELS))](n)
        elif row["policy"] == "ring":
            name, model = "ring (200 vnodes)", None
        else:
            name, model = f"copysets S={s}", MODELS[f"copyset, S = {s}"](n)
        mc = f"{float(row['p_loss']):.4f} [{float(row['ci_low']):.4f}, {float(row['ci_high']):.4f}]"
        print(f"| {name} | {n} | {int(row['chunks']):,} | {int(row['distinct_copysets']):,} | "
              f"{mc} ({row['losses']}/{row['trials']}) | {float(row['p_from_copysets']):.4f} | "
              f"{'–' if model is None else f'{model:.4f}'} |")


if __name__ == "__main__":
    main()
