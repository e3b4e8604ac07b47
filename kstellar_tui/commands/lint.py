"""`kstellar-tui lint PATH…`: the problems KubeStellar would keep silent, before anything is applied.

Uses the hub when one is reachable (cluster labels, namespaces, served kinds); otherwise lints
the files alone and says which rules it skipped. Exits 1 when there is any error."""

from __future__ import annotations

import argparse
import json
import sys

from kstellar_tui.commands.target import TargetError, add_target_arguments, resolve


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="+", metavar="PATH", help="manifest files or directories ('-' for stdin)")
    add_target_arguments(parser)
    parser.add_argument("--offline", action="store_true", help="lint the files alone, without reading the hub")
    parser.add_argument("-o", "--output", choices=("text", "json"), default="text")
    parser.set_defaults(func=run)


def read_facts(args: argparse.Namespace):
    """The hub's facts, or (None, why not) — lint never fails because a cluster is away."""
    if args.offline:
        return None, "offline (--offline)"
    from kstellar_tui.core.fleet.hubfacts import HubReadError, read_hub_facts
    from kstellar_tui.core.kube.kubeconfig import KubeConfig, KubeConfigError

    try:
        target = resolve(args)
        return read_hub_facts(KubeConfig.load(target.kubeconfig), wds=target.wds, its=target.its), ""
    except (TargetError, KubeConfigError, HubReadError) as exc:
        return None, f"offline: {exc}"


def run(args: argparse.Namespace) -> int:
    from kstellar_tui.core.fleet.lint import lint
    from kstellar_tui.core.manifests import load_paths

    documents = load_paths(args.paths)
    facts, why_offline = read_facts(args)
    report = lint(documents, facts)
    if why_offline:
        report.notes.insert(0, why_offline)
    if args.output == "json":
        print(json.dumps({"documents": len(documents), **report.to_dict()}, indent=2))
    else:
        for finding in report.findings:
            print(finding)
        for note in report.notes:
            print(f"note: {note}", file=sys.stderr)
        print(f"{len(documents)} document{'s' * (len(documents) != 1)}: {report.summary()}")
    return 0 if report.ok else 1
