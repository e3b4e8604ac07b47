"""`kstellar-tui` with no subcommand: the TUI, on the real hub or on the embedded sandbox.

Deciding needs only a YAML read of the kubeconfig; everything slow (starting the sandbox,
importing `kubernetes`, connecting) happens after the first frame, in the feed."""

from __future__ import annotations

import argparse
import sys

from kstellar_tui import locations


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--kubeconfig", help="kubeconfig file(s) (default: $KUBECONFIG, ~/.kube/config)")
    parser.add_argument("--wds", default="wds1", help="context of the WDS (default: wds1)")
    parser.add_argument("--its", default="its1", help="context of the ITS (default: its1)")
    parser.add_argument("--hosting-context", default="kind-kubeflex",
                        help="context of the KubeFlex hosting cluster (default: kind-kubeflex)")
    parser.add_argument("--sandbox", action="store_true",
                        help="use the embedded sandbox even if a KubeStellar kubeconfig exists")
    parser.add_argument("--read-only", action="store_true", help="hide and refuse every change to the clusters")
    parser.add_argument("--demo", action="store_true", help="a synthetic fleet, no clusters at all")


def run(args: argparse.Namespace) -> int:
    from kstellar_tui.config import ConfigError, load_config

    try:
        config = load_config()
    except ConfigError as exc:
        print(f"kstellar-tui: {exc}", file=sys.stderr)
        return 2
    feed, note = _feed(args)
    if feed is None:
        print(f"kstellar-tui: {note}", file=sys.stderr)
        return 1
    from kstellar_tui.app import run_app

    return run_app(feed, read_only=args.read_only or config.read_only, sandbox_note=note, config=config)


def _feed(args: argparse.Namespace):
    """(feed, header note) — or (None, error message)."""
    if args.demo:
        from kstellar_tui.core.fleet.demo_feed import DemoFeed

        return DemoFeed(), "demo: a synthetic fleet"
    from kstellar_tui.core.ingest_feed import IngestFeed
    from kstellar_tui.core.kube.kubeconfig import KubeConfig, KubeConfigError

    if not args.sandbox:
        try:
            contexts = KubeConfig.load(args.kubeconfig).contexts
        except KubeConfigError as exc:
            if args.kubeconfig:
                return None, str(exc)
            contexts = {}
        if args.wds in contexts and args.its in contexts:
            return IngestFeed(args.kubeconfig, args.wds, args.its), None
        if args.kubeconfig:
            return None, (f"{args.kubeconfig} has no {args.wds!r} and {args.its!r} contexts; "
                          "pass --wds/--its, or --sandbox for the embedded sandbox")
    state_dir = locations.sandbox_dir()

    def start_sandbox() -> str:
        from kstellar_tui.sandbox import process

        running, _ = process.start_detached(process.UpOptions(state_dir=state_dir))
        return str(locations.sandbox_kubeconfig(running.state_dir))

    reason = "" if args.sandbox else "no KubeStellar kubeconfig found; "
    return (IngestFeed(None, args.wds, args.its, prepare=start_sandbox),
            f"{reason}embedded sandbox ({state_dir})")
