"""The KubeStellar status add-on agent of one WEC: a WorkStatus in the ITS per applied object.

Upstream `kubestellar/ocm-status-addon:pkg/agent`. For every object an AppliedManifestWork
applied (when its ManifestWork carries a KubeStellar transport label), a WorkStatus in the
cluster's mailbox namespace holds the object's raw `.status`; the ManifestWork controls it, so it
goes when the ManifestWork goes. Like the work agent it pauses while its WEC is offline."""

from __future__ import annotations

import copy
from collections.abc import Callable, Hashable, Iterable, Mapping
from typing import Any

from kstellar_tui.sandbox.controllers.objects import delete_quietly, meta, owner_reference
from kstellar_tui.sandbox.controllers.offline_gate import OfflineGate
from kstellar_tui.sandbox.controllers.subscribed import SubscribedController
from kstellar_tui.sandbox.controllers.work_agent import APPLIED_KIND, applied_resources
from kstellar_tui.sandbox.controllers.workload_keys import APPLIED_MANIFEST_WORK, MANIFEST_WORK, WORK_STATUS

SINGLETON_LABEL = "managed-by.kubestellar.io/singletonstatus"
_KUBESTELLAR_LABEL_PREFIXES = ("managed-by.kubestellar.io/", "transport.kubestellar.io/")
_EPOCH = "1970-01-01T00:00:00Z"


def workstatus_name(applied_uid: str, api_version: str, kind: str, namespace: str, name: str) -> str:
    """`<AppliedManifestWork UID>-<group+version lowercased, '/' removed>-<kind>-<namespace>-<name>`, ≤253."""
    return f"{applied_uid}-{api_version.replace('/', '').lower()}-{kind.lower()}-{namespace}-{name}"[:253]


def managed_by_kubestellar(work: Mapping[str, Any]) -> bool:
    return any(k.startswith(_KUBESTELLAR_LABEL_PREFIXES) for k in meta(work, "labels") or {})


def new_workstatus(name: str, namespace: str, work: Mapping[str, Any], obj: Mapping[str, Any],
                   resource: str) -> dict[str, Any]:
    labels = dict(meta(work, "labels") or {})
    if SINGLETON_LABEL in (meta(obj, "labels") or {}):
        labels[SINGLETON_LABEL] = meta(obj, "labels")[SINGLETON_LABEL]
    group, _, version = str(obj.get("apiVersion", "")).rpartition("/")
    source = {"group": group, "version": version, "resource": resource, "kind": obj.get("kind", ""),
              "name": meta(obj, "name"), "namespace": meta(obj, "namespace") or ""}
    return {
        "apiVersion": "control.kubestellar.io/v1alpha1", "kind": "WorkStatus",
        "metadata": {"name": name, "namespace": namespace, "labels": labels,
                     "ownerReferences": [owner_reference(work, controller=True, block_owner_deletion=True)]},
        "spec": {"sourceRef": source},
        "statusDetails": {"lastGeneration": 0, "lastGenerationIsApplied": False, "lastCurrencyUpdateTime": _EPOCH},
    }


class StatusAgent(SubscribedController):
    """Keys: ("applied", AppliedManifestWork name)."""

    name = "status-agent"
    offline_poll_seconds = 0.2

    def __init__(self, its_store: Any, wec_store: Any, cluster_name: str, *,
                 is_offline: Callable[[], bool] = lambda: False) -> None:
        super().__init__(wec_store)
        self.its, self.wec, self.cluster = its_store, wec_store, cluster_name
        self._gate = OfflineGate(self, is_offline, self.offline_poll_seconds)
        self._known: dict[str, set[str]] = {}  # applied name -> WorkStatus names it produced

    def keys_for_event(self, cluster: str, event_type: str, rt: Any, obj: dict) -> Iterable[Hashable]:
        if rt.key == APPLIED_MANIFEST_WORK:
            yield "applied", meta(obj, "name")
            return
        for ref in meta(obj, "ownerReferences") or ():
            if ref.get("kind") == APPLIED_KIND:
                yield "applied", ref.get("name", "")

    def resync_keys(self) -> Iterable[Hashable]:
        for applied in self.wec.objects(APPLIED_MANIFEST_WORK):
            yield "applied", meta(applied, "name")

    async def reconcile(self, key: Hashable) -> float | None:
        if self._gate.holds(key):
            return None
        _, name = key  # type: ignore[misc]
        ws_rt = self.its.type_for(WORK_STATUS)
        applied = self.wec.find(APPLIED_MANIFEST_WORK, "", name)
        if ws_rt is None or applied is None:
            # Its WorkStatuses belong to the ManifestWork and are collected with it.
            self._known.pop(name, None)
            return None
        work = self.its.find(MANIFEST_WORK, self.cluster, (applied.get("spec") or {}).get("manifestWorkName", ""))
        if work is None or not managed_by_kubestellar(work):
            return None
        wanted = set()
        for resource in applied_resources(applied):
            obj = self.wec.find((resource.get("group", ""), resource["resource"]), resource.get("namespace", ""),
                                resource["name"])
            if obj is None or meta(obj, "uid") != resource.get("uid"):
                continue
            ws_name = workstatus_name(meta(applied, "uid"), obj.get("apiVersion", ""), obj.get("kind", ""),
                                      meta(obj, "namespace") or "", meta(obj, "name"))
            wanted.add(ws_name)
            self._sync_one(ws_rt, ws_name, work, obj, resource["resource"])
        known = self._known.get(name)
        if known is None:
            prefix = f"{meta(applied, 'uid')}-"
            known = {meta(ws, "name") for ws in self.its.objects(WORK_STATUS, self.cluster)
                     if meta(ws, "name").startswith(prefix)}
        for stale in known - wanted:
            delete_quietly(self.its, ws_rt, self.cluster, stale)
        self._known[name] = wanted
        return None

    def _sync_one(self, ws_rt: Any, ws_name: str, work: Mapping[str, Any], obj: Mapping[str, Any],
                  resource: str) -> None:
        ws = self.its.find(WORK_STATUS, self.cluster, ws_name)
        if ws is None:
            ws = self.its.create(ws_rt, new_workstatus(ws_name, self.cluster, work, obj, resource))
        singleton = (meta(obj, "labels") or {}).get(SINGLETON_LABEL)
        if singleton is not None and (meta(ws, "labels") or {}).get(SINGLETON_LABEL) != singleton:
            # Upstream only ever adds this label to a WorkStatus, never removes it.
            labelled = copy.deepcopy(dict(ws))
            labelled["metadata"].setdefault("labels", {})[SINGLETON_LABEL] = singleton
            ws = self.its.update(ws_rt, labelled)
        if "status" in obj and ws.get("status") != obj["status"]:
            updated = copy.deepcopy(dict(ws))
            updated["status"] = obj["status"]
            self.its.update(ws_rt, updated, subresource="status")
