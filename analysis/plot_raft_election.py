#!/usr/bin/python3
"""Plots the Raft election reproduction (papers/raft-election/), like Figure 16 of the paper.

Usage: /usr/bin/python3 analysis/plot_raft_election.py CSV_DIR OUT_DIR [TITLE]
Reads trials.csv written by `raft_election --out CSV_DIR`; writes raft_election.png into
OUT_DIR (TITLE replaces the default figure title, e.g. for a sensitivity run): two CDFs of the time without a leader after the leader crashes, on a log
time axis (top: more randomness at a 150 ms minimum; bottom: smaller timeouts). Trials
that found no leader within the cap are drawn at the cap, so a curve that stops below 100 %
means censored trials. Prints a markdown table of the percentiles per range.
"""
import csv
import sys
from collections import defaultdict

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

TOP = ["150-150", "150-151", "150-155", "150-175", "150-200", "150-300"]
BOTTOM = ["12-24", "25-50", "50-100", "100-200", "150-300"]
DEFAULT_TITLE = "cairn-sim: 5 servers, broadcast time ~15 ms (Raft paper Fig. 16)"


def read(path):
    """Trials by range from trials.csv; refuses (exit 2) a file that is not one."""
    by_range = defaultdict(list)
    try:
        with open(path, newline="") as f:
            for r in csv.DictReader(f):
                by_range[r["range"]].append((float(r["leaderless_ms"]), r["censored"] == "1"))
    except OSError as e:
        print(f"cannot plot: {path}: {e.strerror} (run raft_election --out DIR first)",
              file=sys.stderr)
        sys.exit(2)
    except (KeyError, ValueError):
        print(f"cannot plot: {path} is not raft_election's trials.csv "
              "(needs range, leaderless_ms and censored columns)", file=sys.stderr)
        sys.exit(2)
    if not by_range:
        print(f"cannot plot: {path} holds no trials", file=sys.stderr)
        sys.exit(2)
    return by_range


def nearest_rank(sorted_values, p):
    k = max(1, -(-len(sorted_values) * p // 100))
    return sorted_values[min(int(k), len(sorted_values)) - 1]


def panel(ax, by_range, names, title):
    for name in names:
        if name not in by_range:
            continue
        done = sorted(ms for ms, censored in by_range[name] if not censored)
        n = len(by_range[name])
        if done:
            ys = [100.0 * (i + 1) / n for i in range(len(done))]
            ax.step(done, ys, where="post", label=f"{name} ms ({n} trials)")
        else:
            ax.plot([], [], label=f"{name} ms ({n} trials, none within the cap)")
    ax.set_xscale("log")
    ax.set_xlim(10, 100000)  # the paper's axis: 150-150 runs up to its 100 s cap
    ax.set_ylim(0, 101)
    ax.set_ylabel("cumulative %")
    ax.set_title(title, fontsize=10)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))


def table(by_range):
    print("| range (ms) | trials | no leader within cap | median | p95 | p99 | max |")
    print("|---|---|---|---|---|---|---|")
    for name in TOP + BOTTOM[:-1]:
        if name not in by_range:
            continue
        v = sorted(ms for ms, _ in by_range[name])
        cens = sum(1 for _, c in by_range[name] if c)
        cells = [f"{nearest_rank(v, p):.0f}" for p in (50, 95, 99)] + [f"{v[-1]:.0f}"]
        print(f"| {name} | {len(v)} | {cens} | " + " | ".join(cells) + " |")


def main():
    if len(sys.argv) not in (3, 4):
        sys.exit(__doc__)
    title = sys.argv[3] if len(sys.argv) == 4 else DEFAULT_TITLE
    by_range = read(f"{sys.argv[1]}/trials.csv")
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(10, 8), sharex=True)
    panel(top, by_range, TOP, "varying randomness (min 150 ms)")
    panel(bottom, by_range, BOTTOM, "scaling the minimum election timeout")
    bottom.set_xlabel("time without leader after the leader crashes (ms, log scale)")
    fig.suptitle(title, fontsize=11)
    fig.tight_layout()
    fig.savefig(f"{sys.argv[2]}/raft_election.png", dpi=120)
    table(by_range)


if __name__ == "__main__":
    main()
