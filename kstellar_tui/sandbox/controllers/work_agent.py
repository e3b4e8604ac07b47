"""The OCM work agent of one WEC: applies the ManifestWorks in its ITS mailbox namespace.

Upstream `open-cluster-management-io/ocm:pkg/work/spoke`. Each ManifestWork gets an
AppliedManifestWork on the WEC that owns (ownerReference, not controller) every object it
applied; an object that two ManifestWorks carry has two such owners and survives the deletion of
either one. Conditions, reasons and messages are OCM's. While the WEC is offline the agent
cannot reach the hub and does nothing; it catches up when the WEC comes back."""

from __future__ import annotations

import copy
import hashlib
import logging
import uuid
from collections.abc import Callable, Hashable, Iterable, Mapping
from typing import Any

from kstellar_tui.sandbox.apiserver.errors import ApiError
from kstellar_tui.sandbox.controllers.objects import (
    delete_quietly, is_deleting, meta, now, owner_reference, set_condition, split_api_version, with_finalizer,
)
from kstellar_tui.sandbox.controllers.offline_gate import OfflineGate
from kstellar_tui.sandbox.controllers.subscribed import SubscribedController
from kstellar_tui.sandbox.controllers.workload_keys import APPLIED_MANIFEST_WORK, CRD, MANIFEST_WORK, NAMESPACE

log = logging.getLogger(__name__)

WORK_FINALIZER = "cluster.open-cluster-management.io/manifest-work-cleanup"
APPLIED_KIND = "AppliedManifestWork"

# OCM applies manifests in this order of kinds (namespaces and CRDs first, workloads late).
_APPLY_RANK = {
    "CustomResourceDefinition": 0, "Namespace": 0, "PriorityClass": 0, "StorageClass": 0,
    "ClusterRole": 1, "ClusterRoleBinding": 1, "Role": 1, "RoleBinding": 1,
    "NetworkPolicy": 2, "ResourceQuota": 2, "LimitRange": 2, "PodDisruptionBudget": 2, "ServiceAccount": 2,
    "Secret": 3, "ConfigMap": 3, "PersistentVolumeClaim": 3, "Service": 4,
    "DaemonSet": 5, "Pod": 5, "ReplicationController": 5, "ReplicaSet": 5, "Deployment": 5,
    "HorizontalPodAutoscaler": 5, "StatefulSet": 5, "Job": 5, "CronJob": 5,
    "APIService": 6, "MutatingWebhookConfiguration": 6, "ValidatingWebhookConfiguration": 6,
}
_MERGED_METADATA = ("labels", "annotations")
_OWN_FIELDS = ("apiVersion", "kind", "metadata", "status")


def hub_hash(hub_name: str) -> str:
    """OCM names AppliedManifestWorks after a hash of the hub's address."""
    return hashlib.sha256(f"https://{hub_name}".encode()).hexdigest()


def condition(kind: str, ok: bool | None, reason: str, message: str, generation: int) -> dict[str, Any]:
    status = "Unknown" if ok is None else "True" if ok else "False"
    return {"type": kind, "status": status, "reason": reason, "message": message, "observedGeneration": generation}


def applied_condition(error: str | None, generation: int) -> dict[str, Any]:
    if error is not None:
        return condition("Applied", False, "AppliedManifestFailed", f"Failed to apply manifest: {error}", generation)
    return condition("Applied", True, "AppliedManifestComplete", "Apply manifest complete", generation)


def available_condition(resource_meta: Mapping[str, Any], exists: bool, generation: int) -> dict[str, Any]:
    if not resource_meta.get("resource"):
        return condition("Available", None, "IncompleteResourceMeta", "Resource meta is incomplete", generation)
    if exists:
        return condition("Available", True, "ResourceAvailable", "Resource is available", generation)
    return condition("Available", False, "ResourceNotAvailable", "Resource is not available", generation)


def work_conditions(manifests: list[Mapping[str, Any]], generation: int) -> list[dict[str, Any]]:
    """The ManifestWork's own Applied and Available, aggregated as OCM does."""
    def statuses(kind: str) -> list[str]:
        return [c["status"] for m in manifests for c in m["conditions"] if c["type"] == kind]

    applied = statuses("Applied")
    result = []
    if applied:
        if "False" in applied:
            result.append(condition("Applied", False, "AppliedManifestWorkFailed", "Failed to apply manifest work", generation))
        else:
            result.append(condition("Applied", True, "AppliedManifestWorkComplete", "Apply manifest work complete", generation))
    available, total = statuses("Available"), len(manifests)
    if available.count("False"):
        result.append(condition("Available", False, "ResourcesNotAvailable",
                                f"{available.count('False')} of {total} resources are not available", generation))
    elif available.count("Unknown"):
        result.append(condition("Available", None, "ResourcesStatusUnknown",
                                f"{available.count('Unknown')} of {total} resources have unknown status", generation))
    elif not available:
        result.append(condition("Available", None, "ResourcesStatusUnknown", "cannot get any available resource ", generation))
    else:
        result.append(condition("Available", True, "ResourcesAvailable", "All resources are available", generation))
    return result


def create_only_targets(work: Mapping[str, Any]) -> set[tuple[str, str, str, str]]:
    """(group, resource, namespace, name) of the manifests whose update strategy is CreateOnly."""
    targets = set()
    for config in (work.get("spec") or {}).get("manifestConfigs") or ():
        if ((config.get("updateStrategy") or {}).get("type")) == "CreateOnly":
            ident = config.get("resourceIdentifier") or {}
            targets.add((ident.get("group", ""), ident.get("resource", ""), ident.get("namespace", ""), ident.get("name", "")))
    return targets


def merged_for_update(existing: Mapping[str, Any], required: Mapping[str, Any], owner: Mapping[str, Any]) -> dict:
    """OCM's update apply: labels, annotations and owners are merged into what is there (so a label
    removed in the WDS lingers on the WEC, kubestellar#1856); everything else comes from `required`."""
    result = {k: copy.deepcopy(v) for k, v in required.items() if k not in ("metadata", "status")}
    result["metadata"] = copy.deepcopy(existing["metadata"])
    if "status" in existing:
        result["status"] = existing["status"]
    for field in _MERGED_METADATA:
        merged = {**(meta(existing, field) or {}), **(meta(required, field) or {})}
        if merged:
            result["metadata"][field] = merged
    owners = list(meta(existing, "ownerReferences") or [])
    if not any(o.get("uid") == owner["uid"] for o in owners):
        owners.append(dict(owner))
    result["metadata"]["ownerReferences"] = owners
    return result


def _body(obj: Mapping[str, Any]) -> dict:
    return {k: v for k, v in obj.items() if k not in ("metadata", "status")}


class WorkAgent(SubscribedController):
    """Keys: ("work", ManifestWork name)."""

    name = "work-agent"
    offline_poll_seconds = 0.2

    def __init__(self, its_store: Any, wec_store: Any, cluster_name: str, *,
                 is_offline: Callable[[], bool] = lambda: False) -> None:
        super().__init__(its_store, wec_store)
        self.its, self.wec, self.cluster = its_store, wec_store, cluster_name
        self._gate = OfflineGate(self, is_offline, self.offline_poll_seconds)
        self.hub_hash = hub_hash(its_store.name)
        self.agent_id = str(uuid.uuid5(uuid.NAMESPACE_DNS, f"{cluster_name}.klusterlet"))
        self._failed: set[str] = set()  # works with a manifest that did not apply

    def applied_name(self, work_name: str) -> str:
        return f"{self.hub_hash}-{work_name}"

    def _work_of(self, applied_name: str) -> str | None:
        prefix = f"{self.hub_hash}-"
        return applied_name[len(prefix):] if applied_name.startswith(prefix) else None

    # -- events --------------------------------------------------------------------------------
    def keys_for_event(self, cluster: str, event_type: str, rt: Any, obj: dict) -> Iterable[Hashable]:
        if cluster == self.its.name and cluster != self.wec.name:
            if rt.key == MANIFEST_WORK and meta(obj, "namespace") == self.cluster:
                yield "work", meta(obj, "name")
            return
        if rt.key == APPLIED_MANIFEST_WORK:
            work = self._work_of(meta(obj, "name"))
            if work is not None:
                yield "work", work
            return
        if rt.key in (NAMESPACE, CRD) and event_type == "ADDED":
            # What a failed manifest was missing may just have arrived (OCM retries failed works).
            for work in self._failed:
                yield "work", work
        # A changed or deleted applied object: re-apply what its ManifestWorks say.
        for ref in meta(obj, "ownerReferences") or ():
            if ref.get("kind") == APPLIED_KIND and (work := self._work_of(ref.get("name", ""))) is not None:
                yield "work", work

    def resync_keys(self) -> Iterable[Hashable]:
        for work in self.its.objects(MANIFEST_WORK, self.cluster):
            yield "work", meta(work, "name")
        for applied in self.wec.objects(APPLIED_MANIFEST_WORK):
            if (work := self._work_of(meta(applied, "name"))) is not None:
                yield "work", work

    async def reconcile(self, key: Hashable) -> float | None:
        if self._gate.holds(key):
            return None
        _, name = key  # type: ignore[misc]
        work_rt, applied_rt = self.its.type_for(MANIFEST_WORK), self.wec.type_for(APPLIED_MANIFEST_WORK)
        if work_rt is None or applied_rt is None:
            return None
        work = self.its.find(MANIFEST_WORK, self.cluster, name)
        applied = self.wec.find(APPLIED_MANIFEST_WORK, "", self.applied_name(name))
        if work is None or is_deleting(work):
            self._failed.discard(name)
            if applied is not None:
                self._remove_resources(applied, applied_resources(applied))
                delete_quietly(self.wec, applied_rt, None, meta(applied, "name"))
            if work is not None and (released := with_finalizer(work, WORK_FINALIZER, present=False)) is not None:
                self.its.update(work_rt, released)
            return None
        if (held := with_finalizer(work, WORK_FINALIZER, present=True)) is not None:
            work = self.its.update(work_rt, held)
        if applied is None:
            applied = self.wec.create(applied_rt, {
                "apiVersion": applied_rt.api_version, "kind": APPLIED_KIND,
                "metadata": {"name": self.applied_name(name)},
                "spec": {"hubHash": self.hub_hash, "agentID": self.agent_id, "manifestWorkName": name}})
        manifests, resources = self._apply_all(work, applied)
        if any(c["status"] == "False" for m in manifests for c in m["conditions"] if c["type"] == "Applied"):
            self._failed.add(name)
        else:
            self._failed.discard(name)
        previous = applied_resources(applied)
        self._remove_resources(applied, [r for r in previous if _resource_id(r) not in {_resource_id(x) for x in resources}])
        if previous != resources:
            updated = copy.deepcopy(applied)
            updated["status"] = {**(applied.get("status") or {}), "appliedResources": resources}
            self.wec.update(applied_rt, updated, subresource="status")
        self._write_work_status(work_rt, work, manifests)
        return None

    # -- applying ------------------------------------------------------------------------------
    def _apply_all(self, work: Mapping[str, Any], applied: Mapping[str, Any]) -> tuple[list[dict], list[dict]]:
        """Apply every manifest; returns the per-manifest status entries and the applied resources."""
        generation = meta(work, "generation", 1)
        owner = owner_reference(applied)
        create_only = create_only_targets(work)
        manifests = list((work.get("spec") or {}).get("workload", {}).get("manifests") or ())
        order = sorted(range(len(manifests)), key=lambda i: _APPLY_RANK.get(manifests[i].get("kind", ""), 1000))
        entries: dict[int, dict] = {}
        resources: dict[int, dict] = {}
        for ordinal in order:
            manifest = manifests[ordinal]
            resource_meta, error, result = self._apply_one(ordinal, manifest, owner, create_only)
            entries[ordinal] = {"resourceMeta": resource_meta, "conditions": [
                applied_condition(error, generation), available_condition(resource_meta, result is not None, generation)]}
            if result is not None:
                resources[ordinal] = {"group": resource_meta["group"], "version": resource_meta["version"],
                                      "resource": resource_meta["resource"], "namespace": resource_meta["namespace"],
                                      "name": resource_meta["name"], "uid": meta(result, "uid")}
        return [entries[i] for i in range(len(manifests))], [resources[i] for i in sorted(resources)]

    def _apply_one(self, ordinal: int, manifest: Mapping[str, Any], owner: Mapping[str, Any],
                   create_only: set) -> tuple[dict, str | None, dict | None]:
        api_version, kind = str(manifest.get("apiVersion", "")), str(manifest.get("kind", ""))
        group, version = split_api_version(api_version)
        namespace, name = meta(manifest, "namespace") or "", meta(manifest, "name") or ""
        rt = self.wec.registry.by_kind(api_version, kind)
        resource_meta = {"ordinal": ordinal, "group": group, "version": version, "kind": kind,
                         "resource": rt.plural if rt else "", "name": name, "namespace": namespace}
        if rt is None:
            error = f'no matches for kind "{kind}" in version "{api_version}"'
            return resource_meta, error, None
        try:
            existing = self.wec.find(rt.key, namespace if rt.namespaced else "", name)
            if existing is None:
                required = copy.deepcopy(dict(manifest))
                required.setdefault("metadata", {})["ownerReferences"] = [dict(owner)]
                result = self.wec.create(rt, required)
            elif (group, rt.plural, namespace, name) in create_only:
                result = self._ensure_owner(rt, existing, owner)
            else:
                merged = merged_for_update(existing, manifest, owner)
                same = _body(merged) == _body(existing) and merged["metadata"] == existing["metadata"]
                result = existing if same else self.wec.update(rt, merged)
        except ApiError as err:
            return resource_meta, err.message, None
        return resource_meta, None, result

    def _ensure_owner(self, rt: Any, existing: Mapping[str, Any], owner: Mapping[str, Any]) -> dict:
        owners = list(meta(existing, "ownerReferences") or [])
        if any(o.get("uid") == owner["uid"] for o in owners):
            return dict(existing)
        updated = copy.deepcopy(dict(existing))
        updated["metadata"]["ownerReferences"] = [*owners, dict(owner)]
        return self.wec.update(rt, updated)

    def _remove_resources(self, applied: Mapping[str, Any], resources: Iterable[Mapping[str, Any]]) -> None:
        """Delete what this work applied, unless another ManifestWork also owns it (then only let go)."""
        owner_uid = meta(applied, "uid")
        for resource in resources:
            key = (resource.get("group", ""), resource["resource"])
            rt = self.wec.type_for(key)
            obj = self.wec.find(key, resource.get("namespace", ""), resource["name"]) if rt else None
            if obj is None or meta(obj, "uid") != resource.get("uid") or is_deleting(obj):
                continue
            others = [o for o in meta(obj, "ownerReferences") or () if o.get("uid") != owner_uid]
            if any(o.get("kind") == APPLIED_KIND for o in others):
                updated = copy.deepcopy(obj)
                updated["metadata"]["ownerReferences"] = others
                self.wec.update(rt, updated)
            else:
                delete_quietly(self.wec, rt, resource.get("namespace"), resource["name"],
                               options={"propagationPolicy": "Background"})

    def _write_work_status(self, rt: Any, work: Mapping[str, Any], manifests: list[dict]) -> None:
        ts = now()
        old = work.get("status") or {}
        old_entries = {m.get("resourceMeta", {}).get("ordinal"): m for m in (old.get("resourceStatus") or {}).get("manifests") or ()}
        entries = []
        for entry in manifests:
            conditions = (old_entries.get(entry["resourceMeta"]["ordinal"]) or {}).get("conditions") or []
            for cond in entry["conditions"]:
                conditions = set_condition(conditions, cond, ts)
            entries.append({"resourceMeta": entry["resourceMeta"], "conditions": conditions})
        conditions = old.get("conditions") or []
        for cond in work_conditions(manifests, meta(work, "generation", 1)):
            conditions = set_condition(conditions, cond, ts)
        status = {**old, "conditions": conditions, "resourceStatus": {"manifests": entries}}
        if status != old:
            updated = copy.deepcopy(dict(work))
            updated["status"] = status
            self.its.update(rt, updated, subresource="status")


def applied_resources(applied: Mapping[str, Any]) -> list[dict]:
    return list((applied.get("status") or {}).get("appliedResources") or [])


def _resource_id(resource: Mapping[str, Any]) -> tuple:
    return (resource.get("group", ""), resource.get("resource"), resource.get("namespace", ""),
            resource.get("name"), resource.get("uid"))
