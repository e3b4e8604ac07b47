"""`kstellar-tui setup check|plan|run`: the guided setup without the TUI.

`check` verifies the tools, `plan` prints the bash script of the exact commands, `run` does them
on this machine (`--host`) or in the embedded sandbox (`--sandbox`), resuming where a previous
run stopped. Imports stay light: no Textual, and `kubernetes` only once a run starts."""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from pathlib import Path

from kstellar_tui import locations
from kstellar_tui.core.setup import events as ev
from kstellar_tui.core.setup.options import OptionsError, SetupOptions, WecSpec, parse_labels
from kstellar_tui.core.setup.plan import PHASES, plan
from kstellar_tui.core.setup.prereqs import PLATFORMS, Verdict, all_pass, check_prerequisites

PROG = "kstellar-tui setup"
PROGRESS_EVERY = 10.0


def register(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="setup_command", metavar="COMMAND", required=True)
    check = sub.add_parser("check", help="check the tools Getting Started needs; exit 0 only if all pass")
    check.add_argument("--platform", choices=PLATFORMS, default="kind")
    check.set_defaults(func=_check)
    choices = argparse.ArgumentParser(add_help=False)
    _add_choices(choices)
    plan_parser = sub.add_parser("plan", parents=[choices], help="print the setup as a runnable bash script")
    plan_parser.set_defaults(func=_plan)
    run = sub.add_parser("run", parents=[choices], help="run the setup here (--host) or in the sandbox (--sandbox)")
    target = run.add_mutually_exclusive_group(required=True)
    target.add_argument("--host", action="store_true", help="run the real kind/k3d, helm, kflex, clusteradm, kubectl")
    target.add_argument("--sandbox", action="store_true", help="do the same steps in the embedded sandbox")
    run.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    run.add_argument("--state-dir", type=Path, default=None,
                     help=f"sandbox state directory (default: {locations.sandbox_dir()})")
    run.add_argument("--skip-prereqs", action="store_true",
                     help="run without checking the tools first (e.g. when Docker runs in a VM with its own limits)")
    run.set_defaults(func=_run)


def _add_choices(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--platform", choices=PLATFORMS, default="kind", help="kind (default) or k3d")
    parser.add_argument("--its", default="its1", help="the ITS name (default its1)")
    parser.add_argument("--wds", default="wds1", metavar="A,B", help="WDS names, comma separated (default wds1)")
    parser.add_argument("--wecs", default="cluster1,cluster2", metavar="A,B",
                        help="WECs to create with the platform (default cluster1,cluster2; empty for none)")
    parser.add_argument("--adopt", action="append", default=[], metavar="NAME=CONTEXT",
                        help="register an existing kubeconfig context as WEC NAME (repeatable)")
    parser.add_argument("--labels", default="location-group=edge,name={name}", metavar="K=V,...",
                        help="labels for every WEC; {name} is the WEC's name (default: %(default)s)")
    parser.add_argument("--step", choices=PHASES, help="only Step 1 (core) or Step 2 (wecs)")
    parser.add_argument("--port", type=int, default=9443, help="host port of the hosting cluster's ingress")
    parser.add_argument("--kubestellar-version", default="0.30.0", metavar="X.Y.Z",
                        help="core chart version (the steps follow 0.30.0; default %(default)s)")


def options_from(args: argparse.Namespace) -> SetupOptions:
    def names(text: str) -> tuple[str, ...]:
        return tuple(n.strip() for n in text.split(",") if n.strip())

    def labels(name: str) -> tuple[tuple[str, str], ...]:
        return parse_labels(args.labels.replace("{name}", name))

    wecs = [WecSpec(n, labels=labels(n)) for n in names(args.wecs)]
    for item in args.adopt:
        name, sep, context = item.partition("=")
        if not sep or not name or not context:
            raise OptionsError(f"--adopt {item!r}: expected NAME=CONTEXT")
        wecs.append(WecSpec(name, context=context, labels=labels(name)))
    return SetupOptions(platform=args.platform, version=args.kubestellar_version, its=args.its,
                        wds=names(args.wds), wecs=tuple(wecs), port=args.port).validate()


# ------------------------------------------------------------------ check
def print_verdicts(verdicts: list[Verdict], out=sys.stdout) -> None:
    rows = [("TOOL", "FOUND", "REQUIRED", "VERDICT")]
    rows += [(v.name, v.found or "-", v.required, v.label + (f" ({v.detail})" if v.detail else ""))
             for v in verdicts]
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    for row in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip(), file=out)
    for v in verdicts:
        if v.fix:
            print(f"\nfix {v.name}:\n  {v.fix}", file=out)
        if v.warning:
            print(f"\nnote on {v.name}: {v.warning}", file=out)


def _check(args: argparse.Namespace) -> int:
    verdicts = check_prerequisites(args.platform, os.environ)
    print_verdicts(verdicts)
    return 0 if all_pass(verdicts) else 1


# ------------------------------------------------------------------ plan
def _plan(args: argparse.Namespace) -> int:
    from kstellar_tui.core.setup.script import render

    try:
        options = options_from(args)
    except OptionsError as error:
        print(f"{PROG} plan: {error}", file=sys.stderr)
        return 2
    sys.stdout.write(render(plan(options, args.step), options))
    return 0


# ------------------------------------------------------------------ run
def _run(args: argparse.Namespace) -> int:
    try:
        options = options_from(args)
    except OptionsError as error:
        print(f"{PROG} run: {error}", file=sys.stderr)
        return 2
    if args.sandbox and options.platform != "kind":
        print(f"{PROG} run: the sandbox emulates kind; --platform k3d needs --host", file=sys.stderr)
        return 2
    if args.host and not args.skip_prereqs:
        verdicts = check_prerequisites(options.platform, os.environ)
        if not all_pass(verdicts):
            print_verdicts(verdicts, sys.stderr)
            print(f"\n{PROG} run: fix the prerequisites above first (or pass --skip-prereqs)", file=sys.stderr)
            return 1
    from kstellar_tui.setup_runners.target import SetupTarget

    state_dir = args.state_dir or locations.sandbox_dir()
    target = SetupTarget.host() if args.host else SetupTarget.sandbox(state_dir)
    try:
        backend, note = target.connect(options.platform)
    except Exception as error:  # the sandbox would not start, or is not answering
        print(f"{PROG} run: {error}", file=sys.stderr)
        return 1
    print(note)
    steps = plan(options, args.step)
    _show_plan(steps, backend, options)
    if not args.yes and not _confirm(f"Run these {len(steps)} steps {target.describe()}?"):
        print("nothing done")
        return 1
    return _execute(steps, backend, target.poll_interval)


def _show_plan(steps, backend, options: SetupOptions) -> None:
    from kstellar_tui.core.setup.plan import relist_warning

    for number, step in enumerate(steps, 1):
        skip = backend.skip_reason(step)
        print(f"{number:>2}. [{step.id}] {step.title}" + (f"  (sandbox: {skip})" if skip else ""))
        print(f"      $ {step.command}")
    try:
        warning = relist_warning(options, backend.probe)
    except Exception:  # nothing installed yet, or not reachable: nothing to warn about
        warning = None
    if warning:
        print(f"\nWARNING: {warning}")


def _confirm(question: str) -> bool:
    if not sys.stdin.isatty():
        print(f"{question} (not a terminal: pass --yes to proceed)", file=sys.stderr)
        return False
    return input(f"{question} [y/N] ").strip().lower() in ("y", "yes")


def _execute(steps, backend, poll_interval: float) -> int:
    from kstellar_tui.core.setup.runner import SetupRunner

    runner = SetupRunner(steps, backend, EventPrinter(), poll_interval=poll_interval,
                         retry_delay=2 * poll_interval)
    outcome: list[bool] = []
    worker = threading.Thread(target=lambda: outcome.append(runner.run()), name="setup-run")
    worker.start()
    try:
        while worker.is_alive():
            worker.join(0.2)
    except KeyboardInterrupt:
        runner.cancel()
        worker.join()
        return 130
    return 0 if outcome and outcome[0] else 1


class EventPrinter:
    """Events as plain lines; a wait's progress at most every ten seconds."""

    def __init__(self, out=sys.stdout):
        self.out = out
        self._last_progress = 0.0

    def __call__(self, event: ev.Event) -> None:
        if isinstance(event, ev.StepProgress):
            if time.monotonic() - self._last_progress < PROGRESS_EVERY:
                return
        if isinstance(event, (ev.StepStarted, ev.StepProgress)):
            self._last_progress = time.monotonic()
        line = ev.text(event)
        if line is not None:
            blank = "\n" if isinstance(event, (ev.StepStarted, ev.RunFinished)) else ""
            print(blank + line, file=self.out, flush=True)
