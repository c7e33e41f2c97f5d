#!/usr/bin/python3
"""Turns a cairn-sim run folder of a Raft scenario into one figure.

    /usr/bin/python3 analysis/plot_raft.py RUN_DIR

Writes RUN_DIR/raft.png, four panels over simulated time with the injected faults shaded
and labelled: which node leads and the highest term any node has reached; writes committed
(acknowledged to clients) per second; the latency of every answered client operation; and
the operations that were never answered, at the time they were invoked. Reads
events.jsonl, summary.json and history.jsonl. Refuses (exit 2) a run without Raft nodes
or without client history. Uses only Debian's python3-matplotlib.
"""
import json
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
import run_folder  # noqa: E402


def leader_steps(events, end):
    """(times, leader numbers, 0 = none) and (times, highest term) as step series."""
    leader, term = 0, 0
    lt, lv, tt, tv = [0.0], [0], [0.0], [0]
    for e in events:
        node = e["node"]
        if e["kind"] == "raft_leader":
            leader = int(node[1:])
        elif e["kind"] == "raft_step_down" and leader == int(node[1:]):
            leader = 0
        elif e["kind"] == "fault" and e["fault"] == "crash" and f"n{leader}" in e.get(
                "targets", "").split():
            leader = 0
        elif e["kind"] in ("raft_term", "raft_leader") and e["term"] > term:
            term = e["term"]
            tt.append(e["t"])
            tv.append(term)
        if leader != lv[-1]:
            lt.append(e["t"])
            lv.append(leader)
    return (lt + [end], lv + [lv[-1]]), (tt + [end], tv + [tv[-1]])


def read_history(run_dir):
    path = run_folder.need_file(run_dir / "history.jsonl",
                                "the run had no Raft clients: add a workload: section")
    return [json.loads(line) for line in path.open()]


def main():
    run_dir, events, summary = run_folder.load_from_args(
        __doc__, run_folder.has_raft, "is not a Raft run (no raft_* events)")
    history = read_history(run_dir)
    end = summary["sim_time_s"]
    nodes = next(e for e in events if e["kind"] == "run_start")["nodes"]

    fig, (lead, commits, latency, lost) = plt.subplots(
        4, 1, figsize=(11, 9), sharex=True, gridspec_kw={"height_ratios": [2, 2, 2, 1]})
    (lt, lv), (tt, tv) = leader_steps(events, end)
    lead.step(lt, lv, where="post", color="#1565c0", label="leader (0: none)")
    lead.set_yticks(range(nodes + 1), ["none"] + [f"n{i}" for i in range(1, nodes + 1)])
    lead.set_ylabel("leader")
    terms = lead.twinx()
    terms.step(tt, tv, where="post", color="#ef6c00", label="highest term")
    terms.set_ylabel("term", color="#ef6c00")
    lead.legend(loc="lower left", fontsize=8)
    terms.legend(loc="lower right", fontsize=8)

    seconds = int(end) + 1
    per_s = [0] * seconds
    for op in history:
        if op["op"] != "get" and op["complete_s"] is not None and op.get("ok", True):
            per_s[min(int(op["complete_s"]), seconds - 1)] += 1
    commits.bar(range(seconds), per_s, width=1.0, align="edge", color="#43a047")
    commits.set_ylabel("writes committed\nper second")

    answered = [op for op in history if op["complete_s"] is not None]
    latency.scatter([op["complete_s"] for op in answered],
                    [1000 * (op["complete_s"] - op["invoke_s"]) for op in answered], s=3,
                    color="#6a1b9a")
    latency.set_yscale("log")
    latency.set_ylabel("client latency (ms)")

    unanswered = [op["invoke_s"] for op in history if op["complete_s"] is None]
    lost.scatter(unanswered, [1] * len(unanswered), marker="x", color="#e53935")
    lost.set_yticks([])
    lost.set_ylabel(f"never\nanswered\n({len(unanswered)})")
    lost.set_xlabel("simulated time (s)")
    lost.set_xlim(0, end)

    run_folder.shade_faults([lead, commits, latency, lost], run_folder.fault_spans(events, end),
                            lead)
    fig.suptitle(f"{summary['scenario']} (seed {summary['seed']}): leader, term, commits, "
                 f"client latency", x=0.01, ha="left")
    fig.tight_layout(rect=(0, 0, 1, 0.97))
    out = run_dir / "raft.png"
    fig.savefig(out, dpi=110)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
