"""Reading a cairn-sim run folder, shared by the plot scripts.

A plot script draws one kind of run; given another kind it stops with refuse(), which
prints a plain message naming what is missing and the script that fits, and exits 2.
"""
import json
import sys
from pathlib import Path


def refuse(message):
    print(f"cannot plot: {message}", file=sys.stderr)
    sys.exit(2)


def need_file(path, what):
    path = Path(path)
    if not path.is_file():
        refuse(f"{path} does not exist ({what})")
    return path


def load(run_dir):
    """(events, summary) of a run folder, or a refusal if it is not one."""
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        refuse(f"{run_dir} is not a folder (give the run folder cairn-sim wrote)")
    events_path = need_file(run_dir / "events.jsonl", "not a cairn-sim run folder?")
    summary_path = need_file(run_dir / "summary.json", "did the run finish?")
    events = [json.loads(line) for line in events_path.open()]
    summary = json.loads(summary_path.read_text())
    return events, summary


def kinds(events):
    """The set of event kinds in a run."""
    return {e["kind"] for e in events}


def load_from_args(doc, drawable, lacking):
    """(run_dir, events, summary) of the run folder named on the command line, refusing a
    run for which drawable(events) is false: `lacking` says what it lacks."""
    if len(sys.argv) != 2:
        sys.exit(doc)
    run_dir = Path(sys.argv[1])
    events, summary = load(run_dir)
    if not drawable(events):
        refuse(f"{run_dir} {lacking}" + suggest(events))
    return run_dir, events, summary


def has_raft(events):
    return any(e["kind"].startswith("raft_") for e in events)


def has_membership(events):
    return any(e["kind"] == "member_state" for e in events)


def has_placement(events):
    return any(e["kind"] == "placement_start" for e in events)


def suggest(events):
    """Which plot script fits a run, as advice for a refusal."""
    fits = [s for s, ok in (("analysis/plot_raft.py", has_raft(events)),
                            ("analysis/plot_membership.py", has_membership(events)),
                            ("analysis/plot_placement.py", has_placement(events))) if ok]
    return f"; plot it with {' or '.join(fits)}" if fits else ""


def fault_spans(events, end):
    """Faults as (start, stop, label): crash..restart per node, partition..heal, faults with
    `for`; an instant fault has stop == start."""
    spans, crashed, partition = [], {}, None
    for e in events:
        if e["kind"] != "fault":
            continue
        f, t, targets = e["fault"], e["t"], e.get("targets", "")
        if f == "crash":
            for n in targets.split():
                crashed[n] = t
        elif f == "restart":
            for n in targets.split():
                if n in crashed:
                    spans.append((crashed.pop(n), t, f"{n} down"))
        elif f == "partition":
            if partition is not None:
                spans.append((partition[0], t, partition[1]))
            partition = (t, f"partition {targets}")
        elif f == "heal":
            if partition is not None:
                spans.append((partition[0], t, partition[1]))
                partition = None
        elif "for_s" in e:
            spans.append((t, min(end, t + e["for_s"]), f"{f} {targets}".strip()))
        else:
            spans.append((t, t, f"{f} {targets}".strip()))
    for n, t in crashed.items():
        spans.append((t, end, f"{n} down"))
    if partition is not None:
        spans.append((partition[0], end, partition[1]))
    return sorted(spans)


def shade_faults(axes, spans, label_axis):
    """Shades each fault on every axis and labels it on `label_axis`."""
    for i, (start, stop, label) in enumerate(spans):
        for ax in axes:
            if stop > start:
                ax.axvspan(start, stop, color="#9e9e9e", alpha=0.25)
            else:
                ax.axvline(start, color="black", linewidth=0.7, linestyle=":")
        label_axis.annotate(label, xy=(start, 1.0), xycoords=("data", "axes fraction"),
                            xytext=(2, -10 - 9 * (i % 3)), textcoords="offset points",
                            fontsize=7, color="#424242")
