"""`kstellar-tui sandbox ...`: up, down, status, env and fault.

Standard library only at import time (the server itself loads inside `up --foreground`).
"""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

from kstellar_tui import locations
from kstellar_tui.sandbox import process
from kstellar_tui.sandbox.admin_client import AdminError, SandboxUnreachable
from kstellar_tui.sandbox.statedir import StateDir

PROG = "kstellar-tui"


def _non_negative(text: str) -> float:
    value = float(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {text}")
    return value


def _fraction(text: str) -> float:
    value = float(text)
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1, got {text}")
    return value


def _wec_count(text: str) -> int:
    value = int(text)
    if not 0 <= value <= 500:
        raise argparse.ArgumentTypeError(f"must be between 0 and 500, got {text}")
    return value


def _cluster_list(text: str) -> list[str]:
    names = [name.strip() for name in text.split(",") if name.strip()]
    if not names:
        raise argparse.ArgumentTypeError("needs at least one cluster name")
    return names


# kind -> (cluster argument: "required" | "optional" | None, (value metavar, type, help) | None, help)
FAULTS: dict[str, tuple[str | None, tuple[str, type, str] | None, str]] = {
    "offline": ("required", None, "take a cluster offline (it stops answering)"),
    "online": ("required", None, "bring an offline cluster back"),
    "drop-watches": ("optional", None, "close every open watch (of one cluster, or all)"),
    "expire-history": ("optional", None, "forget watch history, so resuming watches get 410 Gone"),
    "latency": ("required", ("MS", _non_negative, "milliseconds added to every request"), "slow a cluster down"),
    "errors": ("required", ("RATE", _fraction, "fraction of requests answered 500, 0..1"), "make requests fail"),
    "clear": (None, None, "remove every fault"),
}


def register(parser: argparse.ArgumentParser) -> None:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--state-dir", type=Path, default=None,
                        help=f"sandbox state directory (default: {locations.sandbox_dir()})")
    sub = parser.add_subparsers(dest="sandbox_command", metavar="COMMAND", required=True)
    _add_up(sub, common)
    sub.add_parser("down", parents=[common], help="stop the sandbox").set_defaults(handler=_down)
    sub.add_parser("status", parents=[common], help="show the sandbox's clusters; exit 1 when not running"
                   ).set_defaults(handler=_status)
    sub.add_parser("env", parents=[common], help="print `export KUBECONFIG=...` for the sandbox"
                   ).set_defaults(handler=_env)
    _add_fault(sub, common)
    parser.set_defaults(func=run)


def _add_up(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    up = sub.add_parser("up", parents=[common], help="start the sandbox (foreground unless --detach)")
    mode = up.add_mutually_exclusive_group()
    mode.add_argument("--detach", action="store_true", help="run in the background and return once it answers")
    mode.add_argument("--foreground", action="store_true", help="run here until interrupted (the default)")
    up.add_argument("--clusters", type=_cluster_list, metavar="A,B,...",
                    help="plain cluster names, no KubeStellar (default: the ones from last time)")
    up.add_argument("--preset", choices=("empty", "core", "quickstart"),
                    help="shape a fresh sandbox: empty = no clusters yet; core = kind-kubeflex, its1 and wds1 "
                         "ready; quickstart = core plus WECs joined, accepted and labelled "
                         f"(default on a fresh state dir: {process.DEFAULT_PRESET})")
    up.add_argument("--wecs", type=_wec_count, default=2, metavar="N", help="WECs for quickstart (default 2)")
    up.add_argument("--ready-fd", type=int, help=argparse.SUPPRESS)  # how a detached child says it is ready
    up.add_argument("--plain-http", action="store_true",
                    help="serve http instead of https (loopback, token still required; kubectl sends no token "
                         "over http, so this suits HTTP clients such as the Python client)")
    up.set_defaults(handler=_up)


def _add_fault(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    fault = sub.add_parser("fault", help="inject a fault into the running sandbox")
    kinds = fault.add_subparsers(dest="fault", metavar="FAULT", required=True)
    for kind, (cluster, value, help_text) in FAULTS.items():
        parser = kinds.add_parser(kind, parents=[common], help=help_text, description=help_text)
        if cluster == "required":
            parser.add_argument("cluster", metavar="CLUSTER")
        elif cluster == "optional":
            parser.add_argument("cluster", metavar="CLUSTER", nargs="?", help="default: every cluster")
        if value is not None:
            metavar, kind_type, value_help = value
            parser.add_argument("value", metavar=metavar, type=kind_type, help=value_help)
        parser.set_defaults(handler=_fault, cluster=None, value=None)


def run(args: argparse.Namespace) -> int:
    """Dispatch to the sandbox subcommand; failures become one clear line on stderr."""
    args.state_dir = (args.state_dir or locations.sandbox_dir()).expanduser().absolute()
    try:
        return args.handler(args)
    except (process.SandboxError, SandboxUnreachable) as error:
        print(f"{PROG}: {error}", file=sys.stderr)
    except AdminError as error:
        print(f"{PROG}: the sandbox refused: {error}", file=sys.stderr)
    return 1


def _up(args: argparse.Namespace) -> int:
    options = process.UpOptions(state_dir=args.state_dir, clusters=args.clusters, tls=not args.plain_http,
                                preset=args.preset, wecs=args.wecs, ready_fd=args.ready_fd)
    if not args.detach:
        return process.run_foreground(options, on_ready=lambda running: _print_ready(running, "started"))
    running, started = process.start_detached(options)
    _print_ready(running, "started" if started else "already running")
    return 0


def _print_ready(running: process.Running, how: str) -> None:
    print(f"sandbox {how} (pid {running.pid}) in {running.state_dir}")
    _print_clusters(running)
    print(f"export KUBECONFIG={shlex.quote(str(StateDir(running.state_dir).kubeconfig))}", flush=True)


def _print_clusters(running: process.Running) -> None:
    rows = [("CLUSTER", "PORT", "ANSWERING")]
    rows += [(name, str(port), "yes" if running.answers(name) else "no")
             for name, port in running.clusters().items()]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())


def _down(args: argparse.Namespace) -> int:
    pid = process.stop(args.state_dir)
    print(f"no sandbox running in {args.state_dir}" if pid is None else f"sandbox stopped (pid {pid})")
    return 0


def _status(args: argparse.Namespace) -> int:
    running = process.find_running(args.state_dir)
    if running is None:
        print(f"no sandbox running in {args.state_dir}")
        return 1
    print(f"sandbox running (pid {running.pid}, admin port {running.info.admin_port})")
    print(f"state dir {running.state_dir}")
    _print_clusters(running)
    return 0


def _env(args: argparse.Namespace) -> int:
    kubeconfig = StateDir(args.state_dir).kubeconfig
    if not kubeconfig.exists():
        print(f"{PROG}: no sandbox kubeconfig at {kubeconfig}; start one with `{PROG} sandbox up --detach`",
              file=sys.stderr)
        return 1
    print(f"export KUBECONFIG={shlex.quote(str(kubeconfig))}")
    return 0


def _fault(args: argparse.Namespace) -> int:
    running = process.find_running(args.state_dir)
    if running is None:
        print(f"{PROG}: no sandbox running in {args.state_dir}", file=sys.stderr)
        return 1
    running.client.fault(args.fault, args.cluster, args.value)
    target = args.cluster or "every cluster"
    print(f"fault {args.fault} applied to {target}" if args.fault != "clear" else "faults cleared")
    return 0
