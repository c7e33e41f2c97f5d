#!/usr/bin/python3
"""Turns the sweep.csv of `cairn-sim sweep` into one figure.

    /usr/bin/python3 analysis/plot_sweep.py SWEEP_DIR/sweep.csv [OUT.png]

Writes sweep.png beside the table (or OUT.png): on top, each check's pass rate over the
seeds (a seed that did not get as far as a check counts as not passing it); below, one
small panel per figure that differs between seeds, showing its values across the seeds
(a histogram, with the p50 and p90 marked), check figures first, then the simulated time
and event count, then metrics. At most 30 such panels; the figure's footer names how many
more were left out and how many figures were the same at every seed. cairn-sim sweep
calls it after writing the table. Refuses (exit 2) a file that is not a sweep table, a
table without rows, or one with neither checks nor numbers. Uses only Debian's
python3-matplotlib.
"""
import csv
import math
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

MAX_PANELS = 30


def refuse(message):
    print(f"cannot plot: {message}", file=sys.stderr)
    sys.exit(2)


def read_table(path):
    """(check names, figure names, rows as dicts) of a sweep.csv, or a refusal."""
    path = Path(path)
    if path.is_dir():
        path = path / "sweep.csv"
    if not path.is_file():
        refuse(f"{path} does not exist (give the sweep.csv that cairn-sim sweep wrote)")
    with path.open(newline="") as f:
        rows = list(csv.reader(f))
    if not rows or rows[0][:2] != ["seed", "exit"] or "trace_hash" not in rows[0]:
        refuse(f"{path} is not a sweep table (its header must start seed,exit and hold "
               "trace_hash)")
    header = rows[0]
    hash_at = header.index("trace_hash")
    checks, figures = header[2:hash_at], header[hash_at + 1:]
    for r in rows[1:]:
        if r and len(r) != len(header):
            refuse(f"{path}: the row of seed {r[0]} has {len(r)} columns, the header "
                   f"{len(header)}")
    body = [dict(zip(header, r)) for r in rows[1:] if r]
    if not body:
        refuse(f"{path} has no rows (the sweep ran no seed)")
    if not checks and not figures:
        refuse(f"{path} has neither checks nor figures to draw")
    return path, checks, figures, body


def values(rows, figure):
    out = []
    for r in rows:
        try:
            v = float(r[figure])
        except ValueError:
            continue
        if math.isfinite(v):
            out.append(v)
    return out


def nearest_rank(sorted_values, p):
    rank = max(1, min(len(sorted_values), math.ceil(p * len(sorted_values))))
    return sorted_values[rank - 1]


def order(figure, checks):
    """Check figures first, then the run's own numbers, then metrics."""
    if any(figure.startswith(c + ".") for c in checks):
        return 0
    return 2 if figure.startswith("metrics.") else 1


def draw_pass_rates(ax, checks, rows):
    n = len(rows)
    passed = [sum(1 for r in rows if r[c] == "PASS") for c in checks]
    every = sum(1 for r in rows if r["exit"] == "0")
    names = ["every check"] + checks
    counts = [every] + passed
    ax.barh(range(len(names)), [c / n for c in counts],
            color=["#1565c0"] + ["#43a047" if c == n else "#e53935" for c in passed])
    ax.set_yticks(range(len(names)), names, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlim(0, 1.15)
    ax.set_xlabel("pass rate over the seeds")
    for i, c in enumerate(counts):
        ax.text(c / n + 0.01, i, f"{c}/{n}", va="center", fontsize=8)


def draw_figure(ax, name, vals):
    vals = sorted(vals)
    ax.hist(vals, bins=min(20, max(5, len(set(vals)))), color="#90a4ae")
    for p, style in ((0.5, "-"), (0.9, "--")):
        ax.axvline(nearest_rank(vals, p), color="#e65100", linestyle=style, linewidth=1)
    ax.set_title(name, fontsize=7)
    ax.tick_params(labelsize=6)


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__)
    path, checks, figures, rows = read_table(sys.argv[1])
    out = Path(sys.argv[2]) if len(sys.argv) == 3 else path.parent / "sweep.png"
    varying, constant = [], 0
    for f in sorted(figures, key=lambda f: (order(f, checks), f)):
        vals = values(rows, f)
        if len(set(vals)) > 1:
            varying.append((f, vals))
        elif vals:
            constant += 1
    if not checks and not varying:
        refuse(f"{path}: no check, and every figure is the same at every seed")
    shown = varying[:MAX_PANELS]
    cols = 5
    grid_rows = math.ceil(len(shown) / cols)
    top = max(1.5, 0.3 * (len(checks) + 1)) if checks else 0
    fig = plt.figure(figsize=(13, top + 1.2 + 1.9 * grid_rows))
    heights = ([top] if checks else []) + [1.9] * grid_rows
    spec = fig.add_gridspec(len(heights), cols, height_ratios=heights or [1], hspace=0.9)
    seeds = f"seeds {rows[0]['seed']}..{rows[-1]['seed']} ({len(rows)} runs)"
    fig.suptitle(f"{path.parent.name}: {seeds}", fontsize=11)
    if checks:
        draw_pass_rates(fig.add_subplot(spec[0, 1:4]), checks, rows)
    first = 1 if checks else 0
    for i, (name, vals) in enumerate(shown):
        draw_figure(fig.add_subplot(spec[first + i // cols, i % cols]), name, vals)
    note = (f"figures across seeds: p50 solid, p90 dashed; {constant} figure(s) equal at "
            f"every seed not drawn")
    if len(varying) > len(shown):
        note += f"; {len(varying) - len(shown)} more varying figure(s) left out (see the table)"
    fig.text(0.5, 0.005, note, ha="center", fontsize=8, color="#424242")
    fig.savefig(out, dpi=100, bbox_inches="tight")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
