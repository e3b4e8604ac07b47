"""The `kstellar-tui` command line.

Each subcommand's module is imported only when that subcommand runs, so `--help` and headless
commands start fast and never pull in Textual, kubernetes or aiohttp.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from kstellar_tui import __version__, launch

PROG = "kstellar-tui"

# name -> (module with `register(parser)`, one-line help). The module's `register` adds the arguments
# and sets `func(args) -> int` as the parser default.
SUBCOMMANDS: dict[str, tuple[str, str]] = {
    "sandbox": ("kstellar_tui.sandbox.commands", "run and control the embedded KubeStellar sandbox"),
    "status": ("kstellar_tui.commands.status", "every workload on every WEC (table, wide or JSON)"),
    "explain": ("kstellar_tui.commands.explain", "why one workload is, or is not, on one WEC"),
    "lint": ("kstellar_tui.commands.lint", "find what KubeStellar would silently drop in manifests"),
    "apply": ("kstellar_tui.commands.apply", "validate and apply manifests to the WDS (--watch keeps a folder in sync)"),
    "setup": ("kstellar_tui.commands.setup", "guided setup: check the tools, print the plan, run it (host or sandbox)"),
    "info": ("kstellar_tui.cli", "print every path kstellar-tui uses"),
}


def register(parser: argparse.ArgumentParser) -> None:
    """`kstellar-tui info` (it needs nothing beyond `locations`, so it lives here)."""
    parser.set_defaults(func=_info)


def _info(args: argparse.Namespace) -> int:
    from kstellar_tui import locations

    entries = locations.paths_in_use()
    width = max(map(len, entries))
    for label, paths in entries.items():
        print(f"{label:<{width}}  {', '.join(map(str, paths))}")
    return 0


def build_parser(command: str | None) -> argparse.ArgumentParser:
    """The parser; only `command`'s own arguments are loaded (the others show just their help line)."""
    parser = argparse.ArgumentParser(
        prog=PROG, description="A terminal application for KubeStellar. Without a command: the live TUI.")
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    launch.add_arguments(parser)
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (module, help_text) in SUBCOMMANDS.items():
        sub = subparsers.add_parser(name, help=help_text, description=help_text)
        if name == command:
            importlib.import_module(module).register(sub)
    return parser


def _command_in(argv: Sequence[str]) -> str | None:
    """The subcommand named in argv: the first word that is not an option."""
    return next((word for word in argv if not word.startswith("-")), None)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser(_command_in(argv)).parse_args(argv)
    if args.command is None:
        return launch.run(args)
    return args.func(args)
