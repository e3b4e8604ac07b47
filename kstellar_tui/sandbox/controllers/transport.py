"""The transport controller: each Binding becomes ManifestWorks in the ITS mailbox namespaces.

Upstream `pkg/transport/generic` with the OCM plugin and the chart default `max_num_wrapped=1`:
one ManifestWork per (object, destination), named `<Binding UID>-<WDS>-<object UID>`. Objects go
through `core.fleet.transform` first. Failures that upstream only logs (an object too large to
wrap, a policy name too long to be a label value) change nothing and are only logged here too;
the monitor and lint are what tell users."""

from __future__ import annotations

import copy
import logging
from collections.abc import Hashable, Iterable, Mapping
from typing import Any

import orjson

from kstellar_tui.core.fleet.transform import RemovePath, custom_transform_removes, transform_object
from kstellar_tui.sandbox.apiserver.errors import ApiError
from kstellar_tui.sandbox.controllers.binding import workload_entries
from kstellar_tui.sandbox.controllers.objects import delete_quietly, is_deleting, meta, with_finalizer
from kstellar_tui.sandbox.controllers.subscribed import SubscribedController
from kstellar_tui.sandbox.controllers.workload_keys import BINDING, CUSTOM_TRANSFORM, MANIFEST_WORK

log = logging.getLogger(__name__)

TRANSPORT_FINALIZER = "transport.kubestellar.io/object-cleanup"
ORIGIN_BINDING_LABEL = "transport.kubestellar.io/originOwnerReferenceBindingKey"
ORIGIN_WDS_LABEL = "transport.kubestellar.io/originWdsName"
BINDING_GENERATION_ANNOTATION = "transport.kubestellar.io/originOwnerReferenceBindingGeneration"
MAX_SIZE_WRAPPED = 512000  # the core chart's transport `max_size_wrapped`


def manifestwork_name(binding_uid: str, wds_name: str, object_uid: str) -> str:
    return f"{binding_uid}-{wds_name}-{object_uid}"


def wrap(binding: Mapping[str, Any], wds_name: str, obj: Mapping[str, Any], resource: str,
         transformed: Mapping[str, Any], create_only: bool) -> dict[str, Any]:
    """The ManifestWork carrying one transformed object (namespace is set per destination)."""
    spec: dict[str, Any] = {"workload": {"manifests": [transformed]}}
    if create_only:
        group = str(obj.get("apiVersion", "")).rpartition("/")[0]
        identifier = {"group": group, "resource": resource, "name": meta(obj, "name")}
        if meta(obj, "namespace"):
            identifier["namespace"] = meta(obj, "namespace")
        spec["manifestConfigs"] = [{"resourceIdentifier": identifier, "updateStrategy": {"type": "CreateOnly"}}]
    return {
        "apiVersion": "work.open-cluster-management.io/v1", "kind": "ManifestWork",
        "metadata": {
            "name": manifestwork_name(meta(binding, "uid"), wds_name, meta(obj, "uid")),
            "labels": {ORIGIN_BINDING_LABEL: meta(binding, "name"), ORIGIN_WDS_LABEL: wds_name},
            "annotations": {BINDING_GENERATION_ANNOTATION: str(meta(binding, "generation", 1))},
        },
        "spec": spec,
    }


def gloss(manifestwork: Mapping[str, Any]) -> set[tuple[str, str, str, str]]:
    """Which objects a ManifestWork carries: (group, kind, namespace, name)."""
    return {(str(m.get("apiVersion", "")).rpartition("/")[0], m.get("kind", ""), meta(m, "namespace") or "",
             meta(m, "name") or "")
            for m in (manifestwork.get("spec") or {}).get("workload", {}).get("manifests") or ()}


def needs_write(current: Mapping[str, Any] | None, desired: Mapping[str, Any]) -> bool:
    """Upstream rewrites a ManifestWork only when the Binding generation or the carried objects differ."""
    if current is None:
        return True
    annotation = (meta(current, "annotations") or {}).get(BINDING_GENERATION_ANNOTATION)
    return annotation != desired["metadata"]["annotations"][BINDING_GENERATION_ANNOTATION] \
        or gloss(current) != gloss(desired)


def transform_status(ct: Mapping[str, Any], same_resource: list[str]) -> dict[str, Any]:
    """CustomTransform status: parse errors, and a warning when several target one resource."""
    _, errors = custom_transform_removes(ct)
    status: dict[str, Any] = {"observedGeneration": meta(ct, "generation", 1)}
    if len(same_resource) > 1:
        names = " ".join(f"{n}:{{}}" for n in sorted(same_resource))
        status["warnings"] = [f"multiple CustomTransform objects specify the same GroupResource; "
                              f"their names are map[{names}]"]
    if errors:
        status["errors"] = errors
    return status


class _NotReady(Exception):
    """A transient gap (an object the Binding names is not there yet); retried without alarm."""


class TransportController(SubscribedController):
    """Keys: ("binding", name) and ("transform", name)."""

    name = "transport"
    retry_seconds = 0.5

    def __init__(self, wds_store: Any, its_store: Any, wds_name: str, *, max_size: int = MAX_SIZE_WRAPPED) -> None:
        super().__init__(wds_store, its_store)
        self.wds, self.its, self.wds_name, self.max_size = wds_store, its_store, wds_name, max_size

    # -- events --------------------------------------------------------------------------------
    def keys_for_event(self, cluster: str, event_type: str, rt: Any, obj: dict) -> Iterable[Hashable]:
        if cluster == self.wds.name and rt.key == BINDING:
            yield "binding", meta(obj, "name")
        elif cluster == self.wds.name and rt.key == CUSTOM_TRANSFORM:
            yield "transform", meta(obj, "name")
            for binding in self.wds.objects(BINDING):
                yield "binding", meta(binding, "name")
        elif cluster == self.its.name and rt.key == MANIFEST_WORK:
            labels = meta(obj, "labels") or {}
            if labels.get(ORIGIN_WDS_LABEL) == self.wds_name and ORIGIN_BINDING_LABEL in labels:
                yield "binding", labels[ORIGIN_BINDING_LABEL]

    def resync_keys(self) -> Iterable[Hashable]:
        for binding in self.wds.objects(BINDING):
            yield "binding", meta(binding, "name")

    async def reconcile(self, key: Hashable) -> float | None:
        kind, name = key  # type: ignore[misc]
        if kind == "transform":
            self._sync_transform(name)
            return None
        try:
            self._sync_binding(name)
        except _NotReady as gap:
            log.debug("%s: Binding %s: %s; retrying", self.wds_name, name, gap)
            return self.retry_seconds
        except ApiError as err:
            if err.code != 422:
                raise
            # The ITS refuses the ManifestWork (e.g. a policy name too long for a label value,
            # kubestellar#3871): upstream only logs it, and nothing reaches the WECs.
            log.warning("%s: Binding %s: %s", self.wds_name, name, err.message)
        return None

    # -- CustomTransforms ----------------------------------------------------------------------
    def _transforms_for(self, group: str, resource: str) -> list[Mapping[str, Any]]:
        return [ct for ct in self.wds.objects(CUSTOM_TRANSFORM)
                if (ct.get("spec") or {}).get("apiGroup", "") == group and (ct.get("spec") or {}).get("resource") == resource]

    def _removes(self, group: str, resource: str) -> list[RemovePath]:
        return [path for ct in self._transforms_for(group, resource) for path in custom_transform_removes(ct)[0]]

    def _sync_transform(self, name: str) -> None:
        ct, rt = self.wds.find(CUSTOM_TRANSFORM, "", name), self.wds.type_for(CUSTOM_TRANSFORM)
        if ct is None or rt is None:
            return
        spec = ct.get("spec") or {}
        same = [meta(c, "name") for c in self._transforms_for(spec.get("apiGroup", ""), spec.get("resource"))]
        status = transform_status(ct, same)
        if ct.get("status") != status:
            updated = copy.deepcopy(ct)
            updated["status"] = status
            self.wds.update(rt, updated, subresource="status")

    # -- Bindings ------------------------------------------------------------------------------
    def _current(self, binding_name: str) -> dict[tuple[str, str], dict]:
        """This Binding's ManifestWorks in every mailbox, by (namespace, name)."""
        found = {}
        for mw in self.its.objects(MANIFEST_WORK):
            labels = meta(mw, "labels") or {}
            if labels.get(ORIGIN_BINDING_LABEL) == binding_name and labels.get(ORIGIN_WDS_LABEL) == self.wds_name:
                found[(meta(mw, "namespace"), meta(mw, "name"))] = mw
        return found

    def _delete_all(self, current: Mapping[tuple[str, str], dict]) -> None:
        rt = self.its.type_for(MANIFEST_WORK)
        for namespace, name in current:
            delete_quietly(self.its, rt, namespace, name)

    def _sync_binding(self, name: str) -> None:
        binding, rt = self.wds.find(BINDING, "", name), self.wds.type_for(BINDING)
        if binding is None or rt is None or self.its.type_for(MANIFEST_WORK) is None:
            return
        current = self._current(name)
        if is_deleting(binding):
            self._delete_all(current)
            if (released := with_finalizer(binding, TRANSPORT_FINALIZER, present=False)) is not None:
                self.wds.update(rt, released)
            return
        if (held := with_finalizer(binding, TRANSPORT_FINALIZER, present=True)) is not None:
            binding = self.wds.update(rt, held)
        desired = self._desired(binding)
        if desired is None:
            return
        self._note_observed(rt, binding)
        for destination in (d["clusterId"] for d in (binding.get("spec") or {}).get("destinations") or ()):
            for mw in desired:
                existing = current.pop((destination, mw["metadata"]["name"]), None)
                if needs_write(existing, mw):
                    self._put(destination, existing, mw)
        self._delete_all(current)

    def _desired(self, binding: Mapping[str, Any]) -> list[dict] | None:
        """One ManifestWork per workload entry, or None when one is too large to wrap."""
        desired = []
        for entry in workload_entries(binding.get("spec") or {}):
            group, resource = entry.get("group", ""), entry["resource"]
            rt = self.wds.type_for((group, resource))
            obj = self.wds.find((group, resource), entry.get("namespace", ""), entry["name"]) if rt else None
            if obj is None:
                raise _NotReady(f"{resource} {entry.get('namespace', '')}/{entry['name']} is not in the WDS")
            transformed = transform_object(obj, self._removes(group, resource))
            if len(orjson.dumps(transformed)) > self.max_size:
                log.error("%s: Binding %s: failed to wrap object that is larger than max size (%d bytes)",
                          self.wds_name, meta(binding, "name"), self.max_size)
                return None
            desired.append(wrap(binding, self.wds_name, obj, resource, transformed, bool(entry.get("createOnly"))))
        return desired

    def _note_observed(self, rt: Any, binding: dict) -> None:
        """Binding status: the generation handled, and no user errors (no template expansion here)."""
        status = dict(binding.get("status") or {})
        if status.get("observedGeneration") == meta(binding, "generation") and not status.get("errors"):
            return
        status["observedGeneration"] = meta(binding, "generation")
        status.pop("errors", None)
        updated = copy.deepcopy(binding)
        updated["status"] = status
        self.wds.update(rt, updated, subresource="status")

    def _put(self, namespace: str, existing: Mapping[str, Any] | None, desired: dict) -> None:
        rt = self.its.type_for(MANIFEST_WORK)
        if existing is None:
            try:
                self.its.create(rt, {**desired, "metadata": {**desired["metadata"], "namespace": namespace}})
            except ApiError as err:
                if err.code == 404:  # the mailbox namespace appears when the hub accepts the cluster
                    raise _NotReady(err.message) from err
                raise
            return
        updated = copy.deepcopy(desired)
        updated["metadata"].update(namespace=namespace, resourceVersion=meta(existing, "resourceVersion"))
        if meta(existing, "finalizers"):
            updated["metadata"]["finalizers"] = list(meta(existing, "finalizers"))
        self.its.update(rt, updated)
