#!/usr/bin/python3
"""Plots repair.csv (repair_traffic) beside the XORing Elephants numbers.

Usage: /usr/bin/python3 papers/repair-traffic/plot_repair.py papers/repair-traffic
Writes repair.png and prints the tables of README.md.
"""
import csv
import statistics
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

GIB = 1 << 30
SCHEMES = ["rep-3", "rs-10-4", "lrc-10-6-5"]
POLICIES = ["ring", "rendezvous", "copyset"]
# Table 1 of the paper: repair traffic per lost block, in blocks (replication = 1x).
PAPER_TABLE1 = {"rep-3": 1, "rs-10-4": 10, "lrc-10-6-5": 5}


def main():
    folder = sys.argv[1] if len(sys.argv) > 1 else "."
    rows = list(csv.DictReader(open(f"{folder}/repair.csv")))
    agg = {}
    for s in SCHEMES:
        for p in POLICIES:
            sel = [r for r in rows if r["scheme"] == s and r["policy"] == p]
            agg[s, p] = {
                "lost": statistics.mean(int(r["lost_bytes"]) for r in sel) / GIB,
                "read": statistics.mean(int(r["read_bytes"]) for r in sel) / GIB,
                "per_lost": statistics.mean(float(r["read_per_lost"]) for r in sel),
                "sources": statistics.mean(int(r["source_nodes"]) for r in sel),
                "sources_min": min(int(r["source_nodes"]) for r in sel),
                "busiest": max(float(r["max_source_share"]) for r in sel),
                "dest": statistics.mean(int(r["destination_nodes"]) for r in sel),
            }

    fig, (a1, a2) = plt.subplots(1, 2, figsize=(12, 5))
    width = 0.25
    for i, p in enumerate(POLICIES):
        xs = [j + (i - 1) * width for j in range(len(SCHEMES))]
        a1.bar(xs, [agg[s, p]["read"] for s in SCHEMES], width, label=f"Cairn, {p} placement")
    a1.scatter(range(len(SCHEMES)),
               [agg[s, "ring"]["lost"] * PAPER_TABLE1[s] for s in SCHEMES], marker="*", s=150,
               color="black", zorder=5, label="paper Table 1 ratio x lost bytes")
    a1.set_xticks(range(len(SCHEMES)), ["3 replicas", "RS(10,4)", "LRC(10,6,5)"])
    a1.set_ylabel("GiB read (= GiB sent) to rebuild one dead node")
    a1.set_title("Repair reads for one lost node\n(50 nodes, same user data, 64 MiB blocks)")
    a1.legend(fontsize=8)
    a1.grid(axis="y", alpha=0.3)
    for i, p in enumerate(POLICIES):
        xs = [j + (i - 1) * width for j in range(len(SCHEMES))]
        a2.bar(xs, [agg[s, p]["sources"] for s in SCHEMES], width, label=f"{p}: nodes read from")
    a2.set_xticks(range(len(SCHEMES)), ["3 replicas", "RS(10,4)", "LRC(10,6,5)"])
    a2.set_ylabel("survivors sharing the repair reads (mean over dead nodes)")
    a2.set_title("Repair load spread (placement's scatter)\nout of 49 survivors")
    a2.axhline(49, color="grey", ls=":", lw=1)
    a2.legend(fontsize=8)
    a2.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    fig.savefig(f"{folder}/repair.png", dpi=120)

    print("| scheme | placement | lost GiB | read GiB | read / lost | paper Table 1 | "
          "survivors read (mean, min) | busiest survivor's share | rebuilt onto (nodes) |")
    print("|---|---|---|---|---|---|---|---|---|")
    for s in SCHEMES:
        for p in POLICIES:
            a = agg[s, p]
            dest = "–" if p == "copyset" else f"{a['dest']:.1f}"
            print(f"| {s} | {p} | {a['lost']:.0f} | {a['read']:.0f} | {a['per_lost']:.2f} | "
                  f"{PAPER_TABLE1[s]}x | {a['sources']:.1f}, {a['sources_min']} | "
                  f"{a['busiest']:.3f} | {dest} |")
    rs, lrc, rep = (agg[x, "ring"] for x in SCHEMES[1:] + SCHEMES[:1])
    print(f"\nring: LRC reads / RS reads for one dead node = {lrc['read'] / rs['read']:.3f}; "
          f"RS / replication = {rs['read'] / rep['read']:.2f}")


if __name__ == "__main__":
    main()
