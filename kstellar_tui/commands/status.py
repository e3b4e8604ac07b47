"""`kstellar-tui status`: every workload on every WEC, once or live — for people and for CI."""

from __future__ import annotations

import argparse
import json
import sys

from kstellar_tui.commands.target import TargetError, add_target_arguments, connect, resolve

STATE_NAMES = ("Error", "Missing", "Degraded", "Progressing", "Pending", "Drift", "Unknown", "Ready")


def register(parser: argparse.ArgumentParser) -> None:
    add_target_arguments(parser)
    parser.add_argument("-o", "--output", choices=("table", "wide", "json"), default="table")
    parser.add_argument("--watch", action="store_true", help="keep printing as the fleet changes")
    parser.add_argument("--fail-on", default="", metavar="STATES",
                        help="exit 3 when any cell is in one of these states, e.g. Error,Degraded")
    parser.set_defaults(func=run)


def _fail_states(text: str) -> set[str]:
    wanted = {s.strip().capitalize() for s in text.split(",") if s.strip()}
    unknown = wanted - set(STATE_NAMES)
    if unknown:
        raise TargetError(f"--fail-on: unknown state {', '.join(sorted(unknown))} "
                          f"(states: {', '.join(STATE_NAMES)})")
    return wanted


def run(args: argparse.Namespace) -> int:
    try:
        fail_on = _fail_states(args.fail_on)
        target = resolve(args)
        watcher = connect(target, args.timeout)
    except TargetError as exc:
        print(f"kstellar-tui status: {exc}", file=sys.stderr)
        return 1
    try:
        snapshot = watcher.store.snapshot()
        _print(snapshot, args.output)
        while args.watch:
            if watcher.pump(budget=0.5, block=1.0):
                fresh = watcher.store.snapshot()
                if fresh != snapshot:
                    snapshot = fresh
                    _print(snapshot, args.output)
    except KeyboardInterrupt:
        pass
    finally:
        watcher.close()
    bad = {c["state"] for w in snapshot["workloads"] for c in w["cells"].values()} & fail_on
    return 3 if bad else 0


def _print(snapshot: dict, output: str) -> None:
    if output == "json":
        print(json.dumps(snapshot, indent=2, sort_keys=False), flush=True)
        return
    from rich.console import Console

    Console().print(render_table(snapshot, wide=output == "wide"))


def render_table(snapshot: dict, *, wide: bool):
    from rich.table import Table

    from kstellar_tui.core.fleet.states import LABELS, GLYPHS

    glyph = {label: GLYPHS[i] for i, label in enumerate(LABELS)}
    table = Table(title=f"{len(snapshot['workloads'])} workloads × {len(snapshot['clusters'])} WECs",
                  title_justify="left")
    table.add_column("WORKLOAD", no_wrap=True)
    for cluster in snapshot["clusters"]:
        note = "" if cluster["available"] == "True" else f" ({cluster['available'] or '?'})"
        table.add_column(cluster["name"] + note, no_wrap=True)
    if wide:
        table.add_column("MESSAGES")
    for workload in snapshot["workloads"]:
        name = f"{workload['kind']} {workload['namespace'] + '/' if workload['namespace'] else ''}{workload['name']}"
        cells = [f"{glyph.get(c['state'], ' ')} {c['state']}" if c["state"] else ""
                 for c in workload["cells"].values()]
        row = [name, *cells]
        if wide:
            row.append("; ".join(f"{cluster}: {c['message']}" for cluster, c in workload["cells"].items()
                                 if c["message"] and c["state"] not in ("Ready", "")))
        table.add_row(*row)
    return table
