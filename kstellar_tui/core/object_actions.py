"""What the live monitor does to one object: show its YAML, delete, redeploy, apply an edit.

These run in the ingest process, which owns the cluster clients; the UI asks through the child
protocol (docs/dev/monitor-contracts.md). Writes go through `core.apply.Applier`, so the monitor
obeys the rules `kstellar-tui apply` does: read-only refusal, lint and a dry run before any write,
server-side apply as "kstellar-tui". Objects are named by a `Target` that the caller resolved
from its FleetStore (the store is not thread-safe; these methods run on worker threads).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

import yaml

from kstellar_tui.core.apply import Applier, fresh_copy
from kstellar_tui.core.fleet.hubfacts import WEC_TIMEOUT
from kstellar_tui.core.fleet.store import KS_GROUP, FleetStore
from kstellar_tui.core.kube.kubeconfig import KubeConfig, KubeConfigError
from kstellar_tui.core.kube.rest import ApiStatusError, Rest
from kstellar_tui.core.manifests import load_text

class ActionError(Exception):
    """The action was refused or failed; the message is for the user."""


class Target(NamedTuple):
    """A WDS object as the API names it."""

    api_version: str
    kind: str
    namespace: str
    name: str

    @property
    def title(self) -> str:
        return f"{self.kind} {self.namespace}/{self.name}" if self.namespace else f"{self.kind} {self.name}"

    @property
    def group(self) -> str:
        return self.api_version.rpartition("/")[0]

    def as_object(self) -> dict:
        meta = {"name": self.name, **({"namespace": self.namespace} if self.namespace else {})}
        return {"apiVersion": self.api_version, "kind": self.kind, "metadata": meta}


def target_for(store: FleetStore, row_key: str) -> Target:
    """The WDS object behind a grid row key (a workload, or a BindingPolicy's key)."""
    group, resource, namespace, name = row_key.split("/", 3)
    if (group, resource) == (KS_GROUP, "bindingpolicies"):
        obj = store.policies.get(name)
    else:
        workload = store.workloads.get(row_key)
        obj = workload.obj if workload is not None else None
    if obj is None:
        raise ActionError(f"{name} is not in the WDS (deleted, or not listed yet)")
    return Target(str(obj.get("apiVersion") or ""), str(obj.get("kind") or ""), namespace, name)


def to_yaml(obj: Mapping) -> str:
    return yaml.safe_dump(dict(obj), sort_keys=False, allow_unicode=True, default_flow_style=False)


def shown(obj: Mapping) -> dict:
    """The object as `kubectl get -o yaml` shows it (managedFields hidden)."""
    meta = {k: v for k, v in (obj.get("metadata") or {}).items() if k != "managedFields"}
    return {**obj, "metadata": meta}


class ObjectActions:
    """The verbs; `wec_context(cluster)` names the kubeconfig context that reaches a WEC, or None."""

    def __init__(self, kubeconfig: KubeConfig, *, wds: str, its: str, read_only: bool,
                 wec_context: Callable[[str], str | None]):
        self.kubeconfig, self.wds = kubeconfig, wds
        self.read_only = read_only
        self.wec_context = wec_context
        self.applier = Applier(kubeconfig, wds=wds, its=its, read_only=read_only)

    def _refuse_in_read_only(self, what: str) -> None:
        if self.read_only:
            raise ActionError(f"read-only mode: not {what} (start kstellar-tui without --read-only to make changes)")

    def _path(self, target: Target) -> str:
        try:
            resource = self.applier.discovery.resolve(target.api_version, target.kind)
        except LookupError as exc:
            raise ActionError(str(exc)) from exc
        return resource.path(target.namespace or None, target.name)

    def _read_wds(self, target: Target) -> dict:
        try:
            return self.applier.rest.get(self._path(target))
        except ApiStatusError as exc:
            raise ActionError(f"{target.title} in {self.wds}: {exc}") from exc

    # -- reads ---------------------------------------------------------------------------------
    def get(self, target: Target, cluster: str | None = None, *, editable: bool = False) -> dict:
        """`{"wds": {"context", "yaml"}, "wec": {"context", "yaml", "error"} | None}`.

        `editable` gives the WDS object without what the server owns (status, uid, managedFields…)
        but with its resourceVersion, so applying the edit fails if someone changed it meanwhile."""
        obj = self._read_wds(target)
        if editable:
            copy = fresh_copy(obj)
            version = (obj.get("metadata") or {}).get("resourceVersion")
            if version:
                copy["metadata"]["resourceVersion"] = version
            return {"wds": {"context": self.wds, "yaml": to_yaml(copy)}, "wec": None}
        return {"wds": {"context": self.wds, "yaml": to_yaml(shown(obj))},
                "wec": None if cluster is None else self._read_wec(target, cluster)}

    def _read_wec(self, target: Target, cluster: str) -> dict:
        found: dict[str, Any] = {"context": cluster, "yaml": "", "error": ""}
        context = self.wec_context(cluster)
        if context is None:
            found["error"] = f"no kubeconfig context reaches {cluster}: its status comes from the hub"
            return found
        found["context"] = context
        try:
            copy = Rest(self.kubeconfig.client(context), timeout=WEC_TIMEOUT).get_or_none(self._path(target))
        except (ApiStatusError, KubeConfigError) as exc:
            found["error"] = str(exc)
            return found
        if copy is None:
            found["error"] = f"not on {cluster}"
        else:
            found["yaml"] = to_yaml(shown(copy))
        return found

    # -- writes --------------------------------------------------------------------------------
    def delete(self, target: Target) -> list[str]:
        self._refuse_in_read_only(f"deleting {target.title}")
        return _reported(self.applier.delete([target.as_object()]))

    def redeploy(self, target: Target) -> list[str]:
        """Delete, wait until it is gone, create again from the spec it had."""
        self._refuse_in_read_only(f"redeploying {target.title}")
        return _reported(self.applier.redeploy(self._read_wds(target)))

    def apply(self, text: str, target: Target | None = None) -> list[str]:
        """Validate the edited YAML and server-side apply it; nothing is written unless all of it passes.

        With `target` (the object that was opened for editing) the text must still be that object."""
        self._refuse_in_read_only("applying an edit")
        documents = load_text(text, "edit")
        if target is not None:
            _same_object(documents, target)
        result = self.applier.apply(documents)
        if not result.ok:
            problems = [str(f) for f in result.report.errors] + [str(o) for o in result.outcomes if o.failed]
            raise ActionError("\n".join(problems) or "not applied")
        return [f"{o.subject} {o.action}" for o in result.outcomes]


def _same_object(documents: list, target: Target) -> None:
    if len(documents) != 1:
        raise ActionError(f"the edit must hold one object, {target.title}; it holds {len(documents)} documents")
    doc = documents[0]
    if doc.obj is None:
        return  # a YAML error: lint reports it with its line
    group = doc.api_version.rpartition("/")[0]
    if (group, doc.kind, doc.namespace, doc.name) != (target.group, target.kind, target.namespace, target.name):
        raise ActionError(f"the edit names {doc.title}, not {target.title}: kind, name and namespace cannot be "
                          "changed here (use kstellar-tui apply to create another object)")


def _reported(outcomes: list) -> list[str]:
    failed = [str(o) for o in outcomes if o.failed]
    if failed:
        raise ActionError("; ".join(failed))
    return [str(o) for o in outcomes]
