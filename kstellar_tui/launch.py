"""`kstellar-tui` with no subcommand: the TUI, on the real hub or on the embedded sandbox.

Deciding needs only a YAML read of the kubeconfig; everything slow (starting the sandbox,
importing `kubernetes`, connecting) happens after the first frame, in the feed."""

from __future__ import annotations

import argparse
import functools
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kstellar_tui import locations


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--kubeconfig", help="kubeconfig file(s) (default: $KUBECONFIG, ~/.kube/config)")
    parser.add_argument("--wds", default="wds1", help="context of the WDS (default: wds1)")
    parser.add_argument("--its", default="its1", help="context of the ITS (default: its1)")
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
    args.read_only = args.read_only or config.read_only
    choice = _choose(args)
    if choice.error:
        print(f"kstellar-tui: {choice.error}", file=sys.stderr)
        return 1
    from kstellar_tui.app import run_app

    modes = {"setup": choice.setup} if choice.setup else {}
    if choice.hub:
        modes |= step3_modes(choice.kubeconfig, args.wds, args.its, read_only=args.read_only)
    return run_app(choice.feed, read_only=args.read_only, sandbox_note=choice.note, config=config, modes=modes,
                   start_mode="setup" if choice.start_in_setup else None)


@dataclass
class Choice:
    """What the TUI runs on: its feed, the header note, the setup screen's target, where it opens,
    and the hub the Step 3 screens write to (`kubeconfig`: a path, None for kubectl's default, or a
    callable that finds it, starting the sandbox)."""

    feed: Any = None
    note: str | None = None
    setup: Callable[[], Any] | None = None
    start_in_setup: bool = False
    error: str = ""
    hub: bool = False
    kubeconfig: str | Callable[[], str] | None = None


def _setup_screen(sandbox: Path | None) -> Callable[[], Any]:
    """The setup mode's screen, for the sandbox in that state dir or (None) for this machine; its
    modules load when it first opens, not on the monitor's path to its first frame."""
    def make() -> Any:
        from kstellar_tui.screens.setup_core import SetupCoreScreen
        from kstellar_tui.setup_runners.target import SetupTarget

        return SetupCoreScreen(SetupTarget.host() if sandbox is None else SetupTarget.sandbox(sandbox))
    return make


def step3_modes(kubeconfig: str | Callable[[], str] | None, wds: str, its: str, *,
                read_only: bool) -> dict[str, Callable[[], Any]]:
    """The `workloads` and `bindingpolicies` modes; they share one HubSession, made when the first opens."""

    @functools.cache
    def session() -> Any:
        from kstellar_tui.core.hub_session import HubSession

        return HubSession(kubeconfig, wds=wds, its=its, read_only=read_only)

    def workloads() -> Any:
        from kstellar_tui.screens.workloads import WorkloadsScreen

        return WorkloadsScreen(session())

    def policies() -> Any:
        from kstellar_tui.screens.policy_builder import PolicyBuilderScreen

        return PolicyBuilderScreen(session())

    return {"workloads": workloads, "bindingpolicies": policies}


def _choose(args: argparse.Namespace) -> Choice:
    if args.demo:
        from kstellar_tui.core.fleet.demo_feed import DemoFeed

        return Choice(DemoFeed(), "demo: a synthetic fleet")
    if not args.sandbox and (args.kubeconfig or any(path.exists() for path in locations.kubeconfig_files())):
        from kstellar_tui.core.ingest_feed import IngestFeed
        from kstellar_tui.core.kube.kubeconfig import KubeConfig, KubeConfigError  # YAML: only for a file to read

        try:
            contexts = KubeConfig.load(args.kubeconfig).contexts
        except KubeConfigError as exc:
            if args.kubeconfig:
                return Choice(error=str(exc))
            contexts = {}
        if args.wds in contexts and args.its in contexts:
            feed = IngestFeed(args.kubeconfig, args.wds, args.its, read_only=args.read_only)
            return Choice(feed, None, _setup_screen(None), hub=True, kubeconfig=args.kubeconfig)
        if args.kubeconfig:
            return Choice(error=f"{args.kubeconfig} has no {args.wds!r} and {args.its!r} contexts; "
                                "pass --wds/--its, or --sandbox for the embedded sandbox")
    return _sandbox_choice(args, locations.sandbox_dir())


def _sandbox_choice(args: argparse.Namespace, state_dir: Path) -> Choice:
    """A sandbox that has run before is reused as it is; a fresh one starts empty and the app opens
    guided setup, which builds the hub in it step by step (journey 1)."""
    from kstellar_tui.core.ingest_feed import IngestFeed

    fresh = not state_dir.is_dir()
    if not fresh:  # its HTTP client's imports cost a new machine's first frame 10 ms
        from kstellar_tui.sandbox.admin_client import read_info

        info = read_info(state_dir)
        fresh = not (info and info.ports)

    def start_sandbox() -> str:
        from kstellar_tui.sandbox import process

        running, _ = process.start_detached(process.UpOptions(state_dir=state_dir, preset="empty" if fresh else None))
        return str(locations.sandbox_kubeconfig(running.state_dir))

    reason = "" if args.sandbox else "no KubeStellar kubeconfig found; "
    return Choice(IngestFeed(None, args.wds, args.its, prepare=start_sandbox, read_only=args.read_only,
                             wait_for_hub=True),
                  f"{reason}embedded sandbox ({state_dir})",
                  _setup_screen(state_dir), start_in_setup=fresh,
                  hub=True, kubeconfig=start_sandbox)
