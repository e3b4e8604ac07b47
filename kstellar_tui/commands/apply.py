"""`kstellar-tui apply -f PATH`: validate, then apply manifests to the WDS; `--watch` keeps it in sync.

Atomic by default (nothing is written unless every document passes lint and a server dry run).
With `--watch` or `--prune` each file is a unit: a broken file is reported and skipped, the rest
is applied, and with `--prune` objects whose file (or document) disappeared are deleted."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path

from kstellar_tui.commands.target import TargetError, add_target_arguments, resolve


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-f", "--filename", dest="paths", action="append", required=True, metavar="PATH",
                        help="manifest file or directory ('-' for stdin); repeatable")
    add_target_arguments(parser)
    parser.add_argument("--watch", action="store_true", help="keep applying changes to PATH until interrupted")
    parser.add_argument("--prune", action="store_true",
                        help="delete objects whose file (or document) was removed; only objects this tool applied")
    parser.add_argument("--dry-run", action="store_true", help="validate and dry-run on the server; write nothing")
    parser.add_argument("--continue-on-error", action="store_true",
                        help="apply document by document, reporting each, instead of all-or-nothing")
    parser.add_argument("--read-only", action="store_true", help="refuse every change (only --dry-run works)")
    parser.set_defaults(func=run)


def _check_options(args: argparse.Namespace) -> str | None:
    synced = args.watch or args.prune
    if args.read_only and not args.dry_run:
        return "read-only mode: refusing to change the WDS (drop --read-only, or add --dry-run to check only)"
    if synced and args.dry_run:
        return "--dry-run cannot be combined with --watch or --prune"
    if synced and args.continue_on_error:
        return "--continue-on-error has no effect with --watch or --prune: each file is applied on its own"
    if synced and (len(args.paths) != 1 or args.paths[0] == "-"):
        return "--watch and --prune take exactly one file or directory"
    if synced and not Path(args.paths[0]).exists():
        return f"{args.paths[0]} does not exist"
    return None


def run(args: argparse.Namespace) -> int:
    if problem := _check_options(args):
        print(f"kstellar-tui apply: {problem}", file=sys.stderr)
        return 1
    from kstellar_tui.core.apply import Applier
    from kstellar_tui.core.kube.kubeconfig import KubeConfig, KubeConfigError

    try:
        target = resolve(args)
        applier = Applier(KubeConfig.load(target.kubeconfig), wds=target.wds, its=target.its,
                          read_only=args.read_only)
    except (TargetError, KubeConfigError) as exc:
        print(f"kstellar-tui apply: {exc}", file=sys.stderr)
        return 1
    if args.watch or args.prune:
        return _sync(Path(args.paths[0]), applier, args)
    return _apply_once(applier, args)


def _apply_once(applier, args: argparse.Namespace) -> int:
    from kstellar_tui.core.manifests import load_paths

    from kstellar_tui.core.kube.rest import ApiStatusError

    documents = load_paths(args.paths)
    try:
        result = applier.apply(documents, dry_run=args.dry_run, continue_on_error=args.continue_on_error)
    except ApiStatusError as exc:
        print(f"kstellar-tui apply: {exc}; nothing was written", file=sys.stderr)
        return 1
    for finding in result.report.findings:
        print(finding, file=sys.stderr)
    for note in result.report.notes:
        print(f"note: {note}", file=sys.stderr)
    for outcome in result.outcomes:
        print(outcome, file=sys.stdout if not outcome.failed else sys.stderr)
    if not result.ok and not args.continue_on_error:
        print("nothing was written" if not result.written else "stopped at the first failure", file=sys.stderr)
    return 0 if result.ok else 1


def _print_event(event) -> None:
    stream = sys.stderr if event.failed else sys.stdout
    print(f"{event.path}: {event.kind}" + (f": {event.message}" if event.message else ""), file=stream, flush=True)
    for finding in event.findings:
        print("  " + str(finding).replace("\n", "\n  "), file=stream, flush=True)
    for outcome in event.outcomes:
        print(f"  {outcome.subject} {outcome.action}" + (f": {outcome.message}" if outcome.message else ""),
              file=stream, flush=True)


def _sync(path: Path, applier, args: argparse.Namespace) -> int:
    from kstellar_tui.core.sync import DirectorySync

    sync = DirectorySync(path, applier, prune=args.prune, on_event=_print_event)
    events = sync.sync_all()
    if not args.watch:
        return 1 if any(e.failed for e in events) else 0
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        sync.watch(stop, ready=lambda: print(f"watching {path} (Ctrl-C to stop)", file=sys.stderr, flush=True))
    except KeyboardInterrupt:
        pass
    return 0
