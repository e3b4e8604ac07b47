"""`kstellar-tui explain KIND/NAME --cluster C`: why one workload is (or is not) on one WEC."""

from __future__ import annotations

import argparse
import json
import sys

from kstellar_tui.commands.target import TargetError, add_target_arguments, connect, resolve


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("workload", metavar="KIND/NAME", help="e.g. deployment/nginx-deployment")
    parser.add_argument("-n", "--namespace", default="", help="the workload's namespace")
    parser.add_argument("--cluster", required=True, help="the WEC (ManagedCluster name)")
    parser.add_argument("-o", "--output", choices=("text", "json"), default="text")
    add_target_arguments(parser)
    parser.set_defaults(func=run)


def find_row(store, workload: str, namespace: str) -> str:
    """The row key for `kind/name` (kind as singular, plural or Kind, any case) in `namespace`."""
    kind, sep, name = workload.partition("/")
    if not sep or not kind or not name:
        raise TargetError(f"{workload!r} is not KIND/NAME (e.g. deployment/nginx-deployment)")
    kind = kind.lower()
    matches = []
    for key, wl in list(store.workloads.items()) + [(k, None) for k in store.cells if k not in store.workloads]:
        group, resource, ns, obj_name = key.split("/", 3)
        wl_kind = (wl.kind if wl else store.row_info(key)["kind"]).lower()
        if obj_name == name and kind in (wl_kind, resource, resource.rstrip("s")) and (ns == namespace or not namespace):
            matches.append(key)
    if not matches:
        where = f" in namespace {namespace}" if namespace else ""
        raise TargetError(f"no {kind} named {name}{where} in the WDS or in any ManifestWork")
    if len(matches) > 1:
        options = ", ".join(m.split("/", 2)[2] for m in matches)
        raise TargetError(f"{workload} is ambiguous ({options}); pass -n NAMESPACE")
    return matches[0]


def run(args: argparse.Namespace) -> int:
    from kstellar_tui.core.fleet.explain import explain

    try:
        watcher = connect(resolve(args), args.timeout)
    except TargetError as exc:
        print(f"kstellar-tui explain: {exc}", file=sys.stderr)
        return 1
    try:
        watcher.store.drain()
        key = find_row(watcher.store, args.workload, args.namespace)
        if args.cluster not in watcher.store.clusters:
            known = ", ".join(sorted(watcher.store.clusters)) or "none"
            raise TargetError(f"no ManagedCluster named {args.cluster} in {watcher.its} (clusters: {known})")
        result = explain(watcher.store, key, args.cluster)
    except TargetError as exc:
        print(f"kstellar-tui explain: {exc}", file=sys.stderr)
        return 1
    finally:
        watcher.close()
    if args.output == "json":
        print(json.dumps(result.as_dict(), indent=2))
    else:
        print(render_text(result))
    return 0


def render_text(result) -> str:
    lines = [f"{result.workload} on {result.cluster}: {result.state}"
             + (f" — {result.message}" if result.message else "")]
    for step in result.chain:
        mark = "✓" if step.ok else "✗"
        lines.append(f"  {mark} {step.step}{' ' + step.name if step.name else ''}: {step.detail}")
    if result.reasons:
        lines.append("why:")
        lines.extend(f"  - {reason}" for reason in result.reasons)
    return "\n".join(lines)
