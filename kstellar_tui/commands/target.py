"""Which KubeStellar to talk to: the options every hub-facing command shares, and the connection.

Real clusters when the kubeconfig has the WDS and ITS contexts; otherwise the embedded sandbox's
kubeconfig when a sandbox has been started — and the user is told which one is in use."""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

from kstellar_tui import locations


def add_target_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--kubeconfig", help="kubeconfig file(s) (default: $KUBECONFIG, ~/.kube/config)")
    parser.add_argument("--wds", default="wds1", help="context of the WDS (default: wds1)")
    parser.add_argument("--its", default="its1", help="context of the ITS (default: its1)")
    parser.add_argument("--sandbox", action="store_true", help="use the embedded sandbox's kubeconfig")
    parser.add_argument("--timeout", type=float, default=20.0, help="seconds to wait for the first sync")


@dataclass(frozen=True)
class Target:
    kubeconfig: str | None  # None: kubectl's default resolution
    wds: str
    its: str
    sandbox: bool


class TargetError(Exception):
    """No usable KubeStellar: the message says what was looked at and what to do."""


def resolve(args: argparse.Namespace) -> Target:
    from kstellar_tui.core.kube.kubeconfig import KubeConfig, KubeConfigError

    sandbox_config = locations.sandbox_kubeconfig()
    if args.sandbox:
        return _sandbox_target(sandbox_config, args)
    try:
        config = KubeConfig.load(args.kubeconfig)
    except KubeConfigError as exc:
        raise TargetError(str(exc)) from exc
    missing = [c for c in (args.wds, args.its) if c not in config.contexts]
    if not missing:
        return Target(args.kubeconfig, args.wds, args.its, sandbox=False)
    if args.kubeconfig is None and sandbox_config.exists():
        print(f"no {'/'.join(missing)} context in your kubeconfig: using the embedded sandbox "
              f"({sandbox_config})", file=sys.stderr)
        return _sandbox_target(sandbox_config, args)
    where = args.kubeconfig or ", ".join(map(str, config.paths)) or "no kubeconfig file"
    raise TargetError(f"context {' and '.join(repr(m) for m in missing)} not found in {where}; "
                      "pass --wds/--its, or start the sandbox: kstellar-tui sandbox up --detach --preset quickstart")


def _sandbox_target(path: Path, args: argparse.Namespace) -> Target:
    if not path.exists():
        raise TargetError(f"the sandbox has no kubeconfig at {path}; start it: kstellar-tui sandbox up --detach")
    return Target(str(path), args.wds, args.its, sandbox=True)


def connect(target: Target, timeout: float):
    """A FleetWatcher on the target, synced (or as synced as `timeout` allows)."""
    from kstellar_tui.core.ingest import FleetWatcher
    from kstellar_tui.core.kube.kubeconfig import KubeConfig, KubeConfigError

    try:
        watcher = FleetWatcher(KubeConfig.load(target.kubeconfig), wds=target.wds, its=target.its)
    except KubeConfigError as exc:
        raise TargetError(str(exc)) from exc
    if not watcher.wait_synced(timeout):
        print(f"warning: not every watch synced within {timeout:g}s; the picture may be incomplete",
              file=sys.stderr)
    for (context, resource), problem in sorted(watcher.problems.items(), key=lambda kv: (kv[0][0], str(kv[0][1]))):
        print(f"warning: {context}: {resource}: {problem}", file=sys.stderr)
    return watcher
