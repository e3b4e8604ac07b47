"""The KubeFlex operator (v0.9.3) in the hosting cluster: ControlPlanes become spaces.

For each ControlPlane it keeps, like upstream:
- the finalizer `kflex.kubestellar.org/finalizer` and the namespace `<cp>-system`;
- for `k8s` and `vcluster` types, a virtual cluster of the sandbox named after the ControlPlane
  (a kubeconfig context of that name), its API server workload in `<cp>-system` (Deployment
  `kube-apiserver` / StatefulSet `vcluster`), and the kubeconfig Secret named by
  `status.secretRef` (`admin-kubeconfig` / `vc-vcluster`); a vcluster also gets the
  `update-cluster-info` Job. `host` reuses the hosting cluster: no new space, no new context;
- its post-create hooks, applied in order once its API server is ready: templates rendered with
  `{{.Namespace}}`, `{{.ControlPlaneName}}`, `{{.HookName}}` and the hook variables, namespaced
  objects put into `<cp>-system`; `status.postCreateHooks[hook]` turns true once applied (and,
  with `waitForPostCreateHooks`, once its Jobs succeeded and Deployments are ready), the hook's
  labels (e.g. `kflex.kubestellar.io/cptype`) are copied onto the ControlPlane, and
  `postCreateHookCompleted` reports all of them;
- conditions Synced (ReconcileSuccess / ReconcileError) and Ready (Creating, Available,
  Unavailable, WaitingForPostCreateHooks, Deleting).

Deleting a ControlPlane removes its space and its namespace. The hosting cluster's own workload
simulator runs the Jobs and Deployments; this controller only reads their status."""

from __future__ import annotations

import base64
import copy
import re
from collections.abc import Hashable, Iterable, Mapping
from typing import Any, Protocol

from kstellar_tui.sandbox.apiserver.errors import ApiError
from kstellar_tui.sandbox.controllers.ensure import ensure, lookup
from kstellar_tui.sandbox.controllers.objects import (
    delete_quietly, find, is_deleting, labels_of, meta, now, owner_reference, same_conditions, with_finalizer,
)
from kstellar_tui.sandbox.controllers.subscribed import SubscribedController
from kstellar_tui.sandbox.definitions import kinds

FINALIZER = "kflex.kubestellar.org/finalizer"
SPACE_TYPES = ("k8s", "vcluster")   # types that get a virtual cluster of their own
SUPPORTED_TYPES = (*SPACE_TYPES, "host")
NO_VALUE = "<no value>"             # what Go's text/template prints for a missing variable

_VARIABLE = re.compile(r"\{\{\s*\.(\w+)\s*\}\}")


class SpaceHost(Protocol):
    """What KubeFlex needs from the sandbox: to make, find and drop virtual clusters."""

    def store(self, name: str) -> Any | None: ...
    async def add_cluster(self, name: str) -> Any: ...
    async def remove_cluster(self, name: str) -> None: ...
    def kubeconfig(self, name: str) -> str: ...


# ----------------------------------------------------------------------------- rules
def system_namespace(control_plane: str) -> str:
    return f"{control_plane}-system"


def secret_ref(control_plane: str, cp_type: str) -> dict[str, str]:
    """Where the space's kubeconfig lives (`status.secretRef`), per ControlPlane type."""
    name, key, in_cluster = (("vc-vcluster", "config", "config-incluster") if cp_type == "vcluster"
                             else ("admin-kubeconfig", "kubeconfig", "kubeconfig-incluster"))
    return {"name": name, "namespace": system_namespace(control_plane), "key": key, "inClusterKey": in_cluster}


def hook_uses(cp: Mapping[str, Any]) -> list[tuple[str, dict[str, str]]]:
    """(hook name, vars) in order: the legacy single hook first, duplicates skipped."""
    spec = cp.get("spec") or {}
    uses: list[tuple[str, dict[str, str]]] = []
    if spec.get("postCreateHook"):
        uses.append((spec["postCreateHook"], dict(spec.get("postCreateHookVars") or {})))
    for use in spec.get("postCreateHooks") or ():
        name = use.get("hookName")
        if name and name not in {n for n, _ in uses}:
            uses.append((name, dict(use.get("vars") or {})))
    return uses


def hook_variables(cp: Mapping[str, Any], hook: Mapping[str, Any], use_vars: Mapping[str, str]) -> dict[str, str]:
    """Precedence, lowest first: the hook's defaultVars, the ControlPlane's globalVars, the use's
    vars, then the system variables."""
    variables = {v["name"]: v["value"] for v in (hook.get("spec") or {}).get("defaultVars") or ()}
    variables.update((cp.get("spec") or {}).get("globalVars") or {})
    variables.update(use_vars)
    name = meta(cp, "name")
    variables.update(Namespace=system_namespace(name), ControlPlaneName=name, HookName=meta(hook, "name"))
    return variables


def render(template: Any, variables: Mapping[str, str]) -> Any:
    """Substitute `{{.Var}}` in every string of a template (missing ones print `<no value>`)."""
    if isinstance(template, str):
        return _VARIABLE.sub(lambda m: str(variables.get(m.group(1), NO_VALUE)), template)
    if isinstance(template, list):
        return [render(item, variables) for item in template]
    if isinstance(template, dict):
        return {render(k, variables): render(v, variables) for k, v in template.items()}
    return template


def workload_ready(obj: Mapping[str, Any] | None) -> bool:
    """KubeFlex's readiness test for applied hook resources."""
    if obj is None:
        return False
    status = obj.get("status") or {}
    kind = obj.get("kind")
    if kind in ("Deployment", "StatefulSet"):
        replicas = (obj.get("spec") or {}).get("replicas", 1)
        return status.get("readyReplicas", 0) == replicas and replicas > 0
    if kind == "Job":
        return status.get("succeeded", 0) > 0
    return True


def kflex_condition(type_: str, status: bool, reason: str, message: str = "") -> dict[str, str]:
    return {"type": type_, "status": "True" if status else "False", "reason": reason, "message": message}


def ready_condition(cp: Mapping[str, Any], *, api_ready: bool, hooks_completed: bool) -> dict[str, str]:
    """Ready as KubeFlex reports it."""
    previous = next((c for c in (cp.get("status") or {}).get("conditions") or () if c.get("type") == "Ready"), {})
    if not api_ready:
        been_up = previous.get("reason") in ("Available", "Unavailable", "WaitingForPostCreateHooks")
        return kflex_condition("Ready", False, "Unavailable" if been_up else "Creating")
    if (cp.get("spec") or {}).get("waitForPostCreateHooks") and not hooks_completed:
        return kflex_condition("Ready", False, "WaitingForPostCreateHooks", "Waiting for PostCreateHook completion")
    return kflex_condition("Ready", True, "Available")


def merge_conditions(old: Iterable[Mapping[str, Any]] | None, wanted: Iterable[Mapping[str, str]],
                     stamp: str) -> list[dict]:
    """KubeFlex's EnsureCondition: replace by type; both timestamps move when a condition changes."""
    result = [dict(c) for c in old or ()]
    for condition in wanted:
        current = next((c for c in result if c.get("type") == condition["type"]), None)
        if current is not None and same_conditions([current], [condition]):
            continue
        fresh = {**condition, "lastTransitionTime": stamp, "lastUpdateTime": stamp}
        if current is None:
            result.append(fresh)
        else:
            result[result.index(current)] = fresh
    return result


# ----------------------------------------------------------------------------- controller
class KubeFlexController(SubscribedController):
    """Keys are ControlPlane names."""

    name = "kubeflex"

    def __init__(self, hosting_store: Any, spaces: SpaceHost) -> None:
        super().__init__(hosting_store)
        self.store = hosting_store
        self.spaces = spaces

    def keys_for_event(self, cluster: str, event_type: str, rt: Any, obj: dict) -> Iterable[Hashable]:
        if rt.key == kinds.CONTROL_PLANE:
            yield meta(obj, "name")
        elif rt.key == kinds.POST_CREATE_HOOK:
            hook = meta(obj, "name")
            for cp in self.store.objects(kinds.CONTROL_PLANE):
                if hook in {name for name, _ in hook_uses(cp)}:
                    yield meta(cp, "name")
        elif rt.key in (kinds.JOB, kinds.DEPLOYMENT, kinds.STATEFUL_SET):
            namespace = meta(obj, "namespace") or ""
            if namespace.endswith("-system"):
                yield namespace.removesuffix("-system")

    def resync_keys(self) -> Iterable[Hashable]:
        for cp in self.store.objects(kinds.CONTROL_PLANE):
            yield meta(cp, "name")

    async def reconcile(self, key: Hashable) -> float | None:
        rt = self.store.type_for(kinds.CONTROL_PLANE)
        cp = find(self.store, rt, None, str(key))
        if cp is None:
            return None
        if is_deleting(cp):
            await self._delete(rt, cp)
            return None
        updated = with_finalizer(cp, FINALIZER, True)
        if updated is not None:
            cp = self.store.update(rt, updated)
        cp_type = (cp.get("spec") or {}).get("type")
        if cp_type not in SUPPORTED_TYPES:
            self._write_status(rt, cp, kflex_condition(
                "Synced", False, "ReconcileError", f"control plane type {cp_type} is not supported by the sandbox"),
                kflex_condition("Ready", False, "Unavailable"), {}, None)
            return None
        namespace = self._ensure_namespace(cp)
        api_ready = True
        if cp_type in SPACE_TYPES:
            api_ready = await self._ensure_space(cp, namespace)
        ref = secret_ref(meta(cp, "name"), cp_type)
        self._ensure_kubeconfig_secret(cp, ref)
        applied, completed, error = self._run_hooks(cp) if api_ready else (
            dict((cp.get("status") or {}).get("postCreateHooks") or {}), False, None)
        synced = (kflex_condition("Synced", False, "ReconcileError", error) if error
                  else kflex_condition("Synced", True, "ReconcileSuccess"))
        self._write_status(rt, cp, synced, ready_condition(cp, api_ready=api_ready, hooks_completed=completed),
                           applied, ref, completed)
        return None

    # -- pieces -----------------------------------------------------------------------------------
    def _ensure_namespace(self, cp: dict) -> str:
        name = system_namespace(meta(cp, "name"))
        ensure(self.store, kinds.NAMESPACE, {"apiVersion": "v1", "kind": "Namespace", "metadata": {
            "name": name, "ownerReferences": [owner_reference(cp)]}})
        return name

    async def _ensure_space(self, cp: dict, namespace: str) -> bool:
        """The virtual cluster and the API server workload that "serves" it; True once ready."""
        name = meta(cp, "name")
        vcluster = (cp.get("spec") or {}).get("type") == "vcluster"
        workload = _api_server_workload(name, namespace, vcluster)
        workload["metadata"]["ownerReferences"] = [owner_reference(cp, controller=True, block_owner_deletion=True)]
        current = ensure(self.store, kinds.STATEFUL_SET if vcluster else kinds.DEPLOYMENT, workload)
        if self.spaces.store(name) is None:
            await self.spaces.add_cluster(name)
        if vcluster:
            ensure(self.store, kinds.JOB, _update_cluster_info_job(name, namespace))
        return workload_ready(current)

    def _ensure_kubeconfig_secret(self, cp: dict, ref: Mapping[str, str]) -> None:
        cp_type = (cp.get("spec") or {}).get("type")
        space = meta(cp, "name") if cp_type in SPACE_TYPES else self.store.name
        if lookup(self.store, kinds.SECRET, ref["namespace"], ref["name"]) is not None:
            return
        config = base64.b64encode(self.spaces.kubeconfig(space).encode()).decode()
        ensure(self.store, kinds.SECRET, {
            "apiVersion": "v1", "kind": "Secret", "type": "Opaque",
            "metadata": {"name": ref["name"], "namespace": ref["namespace"],
                         "ownerReferences": [owner_reference(cp)]},
            "data": {ref["key"]: config, ref["inClusterKey"]: config}})

    def _run_hooks(self, cp: dict) -> tuple[dict[str, bool], bool, str | None]:
        """Apply due hooks; (status.postCreateHooks, all completed, first error)."""
        applied = dict((cp.get("status") or {}).get("postCreateHooks") or {})
        wait = bool((cp.get("spec") or {}).get("waitForPostCreateHooks"))
        all_done, error = True, None
        for hook_name, use_vars in hook_uses(cp):
            hook = lookup(self.store, kinds.POST_CREATE_HOOK, None, hook_name)
            if hook is None:
                all_done = False
                error = error or (f'failed to get PostCreateHook {hook_name}: postcreatehooks.tenancy.kflex'
                                  f'.kubestellar.org "{hook_name}" not found')
                continue
            try:
                objects = self._apply_hook(cp, hook, use_vars)
            except ApiError as failure:
                all_done = False
                error = error or f"error applying hook {hook_name}: {failure.message}"
                continue
            ready = not wait or all(workload_ready(obj) for obj in objects)
            if hook_name in applied:
                all_done = all_done and ready
                continue
            if not ready:
                all_done = False
                continue
            applied[hook_name] = True
            self._adopt_labels(cp, hook)
        return applied, all_done and error is None, error

    def _apply_hook(self, cp: dict, hook: dict, use_vars: Mapping[str, str]) -> list[dict]:
        """Create the hook's objects that are missing; returns their current state."""
        variables = hook_variables(cp, hook, use_vars)
        current = []
        for template in (hook.get("spec") or {}).get("templates") or ():
            obj = render(copy.deepcopy(template), variables)
            obj.setdefault("metadata", {})
            rt = self.store.registry.by_kind(obj.get("apiVersion", ""), obj.get("kind", ""))
            if rt is None:
                raise ApiError(400, "BadRequest", f'no matches for kind "{obj.get("kind")}" in version '
                                                  f'"{obj.get("apiVersion")}"')
            if rt.namespaced:
                obj["metadata"]["namespace"] = variables["Namespace"]
            else:
                obj["metadata"].setdefault("labels", {})["app.kubernetes.io/managed-by"] = "Helm"
                obj["metadata"].setdefault("annotations", {})["meta.helm.sh/release-namespace"] = \
                    variables["Namespace"]
            current.append(ensure(self.store, rt.key, obj))
        return current

    def _adopt_labels(self, cp: dict, hook: dict) -> None:
        """KubeFlex copies a hook's labels (e.g. the cptype) onto the ControlPlane using it."""
        rt = self.store.type_for(kinds.CONTROL_PLANE)
        latest = find(self.store, rt, None, meta(cp, "name"))
        wanted = {**labels_of(latest or {}), **labels_of(hook)}
        if latest is not None and wanted != labels_of(latest):
            latest["metadata"]["labels"] = wanted
            self.store.update(rt, latest)

    def _write_status(self, rt: Any, cp: dict, synced: dict, ready: dict, applied: Mapping[str, bool],
                      ref: Mapping[str, str] | None, completed: bool = False) -> None:
        latest = find(self.store, rt, None, meta(cp, "name"))
        if latest is None:
            return
        status = dict(latest.get("status") or {})
        status["conditions"] = merge_conditions(status.get("conditions"), (synced, ready), now())
        status["observedGeneration"] = meta(latest, "generation", 1)
        status["postCreateHookCompleted"] = completed
        if applied:
            status["postCreateHooks"] = dict(applied)
        if ref is not None:
            status["secretRef"] = dict(ref)
        if status != (latest.get("status") or {}):
            latest["status"] = status
            self.store.update(rt, latest, subresource="status")

    async def _delete(self, rt: Any, cp: dict) -> None:
        name = meta(cp, "name")
        self._write_status(rt, cp, kflex_condition("Synced", True, "ReconcileSuccess"),
                           kflex_condition("Ready", False, "Deleting"),
                           (cp.get("status") or {}).get("postCreateHooks") or {}, None,
                           bool((cp.get("status") or {}).get("postCreateHookCompleted")))
        if (cp.get("spec") or {}).get("type") in SPACE_TYPES and self.spaces.store(name) is not None:
            await self.spaces.remove_cluster(name)
        delete_quietly(self.store, self.store.type_for(kinds.NAMESPACE), None, system_namespace(name))
        latest = find(self.store, rt, None, name)
        updated = with_finalizer(latest, FINALIZER, False) if latest is not None else None
        if updated is not None:
            self.store.update(rt, updated)


def _api_server_workload(name: str, namespace: str, vcluster: bool) -> dict[str, Any]:
    """The pods that would serve the space: vcluster's StatefulSet or KubeFlex's kube-apiserver."""
    app = "vcluster" if vcluster else "kube-apiserver"
    labels = {"app": app, "release": name} if vcluster else {"app": app}
    image = "ghcr.io/loft-sh/vcluster:0.16.4" if vcluster else "registry.k8s.io/kube-apiserver:v1.32.2"
    return {
        "apiVersion": "apps/v1", "kind": "StatefulSet" if vcluster else "Deployment",
        "metadata": {"name": app, "namespace": namespace, "labels": dict(labels)},
        "spec": {"replicas": 1, "selector": {"matchLabels": labels},
                 **({"serviceName": f"{app}-headless"} if vcluster else {}),
                 "template": {"metadata": {"labels": labels},
                              "spec": {"containers": [{"name": app, "image": image}]}}},
    }


def _update_cluster_info_job(name: str, namespace: str) -> dict[str, Any]:
    """KubeFlex's job that points the vcluster's kube-public/cluster-info at its external address."""
    return {
        "apiVersion": "batch/v1", "kind": "Job",
        "metadata": {"name": "update-cluster-info", "namespace": namespace},
        "spec": {"backoffLimit": 1, "template": {"spec": {"restartPolicy": "Never", "containers": [{
            "name": "update-cluster-info", "image": "ghcr.io/kubestellar/kubeflex/cmupdate:v0.9.3",
            "args": [f"--control-plane-name={name}"]}]}}},
    }
