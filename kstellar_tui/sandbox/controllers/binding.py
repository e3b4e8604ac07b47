"""The binding controller: every BindingPolicy in a WDS becomes a same-named Binding.

Upstream `pkg/binding`. The matching rules are `core.fleet.placement`'s (the one implementation the
monitor and lint share); this module keeps an index of which objects each policy selects, so an
object event costs one match per policy instead of a rescan, and writes Bindings and policy
status. A Binding entry carries the object's resourceVersion, so every WDS object update
rewrites the Binding (generation++), which is what makes the transport controller re-wrap it."""

from __future__ import annotations

import copy
import json
import logging
from collections.abc import Hashable, Iterable, Mapping
from typing import Any

from kstellar_tui.core.fleet.placement import (
    CompiledPolicy, ObjectRef, allowed_api_groups, compile_policy, is_excluded, match_object, object_labels,
    object_ref, project_binding,
)
from kstellar_tui.core.fleet.selectors import SelectorError
from kstellar_tui.sandbox.controllers.subscribed import SubscribedController
from kstellar_tui.sandbox.controllers.objects import is_deleting, labels_of, meta, owner_reference, with_finalizer
from kstellar_tui.sandbox.controllers.workload_keys import BINDING, BINDING_POLICY, MANAGED_CLUSTER, NAMESPACE, Key

log = logging.getLogger(__name__)

POLICY_FINALIZER = "bindingpolicy.kubestellar.io/kscontroller"
SINGLETON_ERROR = ("Singleton reported status return is requested but some objects have the wrong number of "
                   "associated WECs, for example: ")
_MAX_EXAMPLES = 4

ObjKey = tuple[Key, str, str]  # (group, plural), namespace, name


def workload_entries(spec: Mapping[str, Any]) -> list[dict]:
    workload = spec.get("workload") or {}
    return [*(workload.get("clusterScope") or ()), *(workload.get("namespaceScope") or ())]


def entry_key(entry: Mapping[str, Any]) -> tuple[str, str, str, str]:
    """How a Binding entry names its object: group, resource, namespace ("" if cluster-scoped), name."""
    return entry.get("group", ""), entry["resource"], entry.get("namespace", ""), entry["name"]


def singleton_errors(policy: str, specs: Mapping[str, Mapping[str, Any]],
                     refs: Mapping[tuple[str, str, str, str], ObjectRef]) -> list[str]:
    """BindingPolicy `status.errors` for objects whose singleton return has != 1 WEC.

    Across all policies (upstream's GetReportedStateRequestForObject): the WECs that count are the
    union of the destinations of every policy that asks for singleton return of that object."""
    wanting: dict[tuple[str, str, str, str], set[str]] = {}
    for spec in specs.values():
        destinations = {d["clusterId"] for d in spec.get("destinations") or ()}
        for entry in workload_entries(spec):
            if entry.get("wantSingletonReportedState"):
                wanting.setdefault(entry_key(entry), set()).update(destinations)
    examples = []
    for entry in workload_entries(specs.get(policy) or {}):
        key = entry_key(entry)
        if key in wanting and len(wanting[key]) != 1:
            ref = refs[key]
            examples.append({"ObjectID": {"GVK": {"Group": ref.group, "Version": ref.version, "Kind": ref.kind},
                                          "Resource": ref.resource,
                                          "ObjectName": {"Namespace": ref.namespace, "Name": ref.name}},
                             "NumWECs": len(wanting[key])})
            if len(examples) == _MAX_EXAMPLES:
                break
    return [SINGLETON_ERROR + json.dumps(examples, separators=(",", ":"))] if examples else []


def policy_status(policy: Mapping[str, Any], binding: Mapping[str, Any] | None, errors: list[str]) -> dict:
    """What upstream writes into BindingPolicy.status: the Binding's conditions and errors, plus ours."""
    binding_status = (binding or {}).get("status") or {}
    status: dict[str, Any] = {"observedGeneration": meta(policy, "generation", 1)}
    if binding_status.get("conditions"):
        status["conditions"] = binding_status["conditions"]
    all_errors = [*errors, *(binding_status.get("errors") or ())]
    if all_errors:
        status["errors"] = all_errors
    return status


class BindingController(SubscribedController):
    """Keys: ("policy", name), ("rescan", name), ("object", key, namespace, name), ("namespace", name),
    ("clusters",)."""

    name = "binding"

    def __init__(self, wds_store: Any, its_store: Any, wds_name: str, *, api_groups: str = "") -> None:
        super().__init__(wds_store, its_store)
        self.wds, self.its, self.wds_name = wds_store, its_store, wds_name
        self._allowed = allowed_api_groups(api_groups)
        self._compiled: dict[str, tuple[str, int, CompiledPolicy]] = {}  # name -> (uid, generation, compiled)
        self._selected: dict[str, dict[ObjKey, ObjectRef]] = {}         # policy -> objects it selects
        self._specs: dict[str, dict] = {}                                # policy -> last Binding spec written

    # -- events --------------------------------------------------------------------------------
    def keys_for_event(self, cluster: str, event_type: str, rt: Any, obj: dict) -> Iterable[Hashable]:
        if cluster != self.wds.name:
            if rt.key == MANAGED_CLUSTER:
                yield ("clusters",)
            return
        name = meta(obj, "name")
        if rt.key in (BINDING_POLICY, BINDING):
            yield "policy", name
            return
        if rt.key == NAMESPACE:
            yield "namespace", name
        if self._watched(rt):
            yield "object", rt.key, meta(obj, "namespace") or "", name

    def resync_keys(self) -> Iterable[Hashable]:
        for policy in self.wds.objects(BINDING_POLICY):
            yield "rescan", meta(policy, "name")

    def _watched(self, rt: Any) -> bool:
        """Upstream watches every listable+watchable resource except the exclusions of §3.3."""
        return ("list" in rt.verbs and "watch" in rt.verbs
                and not is_excluded(rt.group, rt.plural, self._allowed))

    async def reconcile(self, key: Hashable) -> float | None:
        kind, *rest = key  # type: ignore[misc]
        if kind == "policy":
            self._sync_policy(rest[0])
        elif kind == "rescan":
            self._compiled.pop(rest[0], None)
            self._sync_policy(rest[0])
        elif kind == "object":
            self._note_object(*rest)
        elif kind == "namespace":
            self._note_namespace(rest[0])
        else:
            for policy in self._compiled:
                self.enqueue(("policy", policy))
        return None

    # -- the index -----------------------------------------------------------------------------
    def _namespace_labels(self, namespace: str) -> dict[str, str] | None:
        ns = self.wds.find(NAMESPACE, "", namespace) if namespace else None
        return None if ns is None else labels_of(ns)

    def _match(self, compiled: CompiledPolicy, key: Key, obj: Mapping[str, Any]) -> ObjectRef | None:
        ref = object_ref(obj, key[1])
        selected = match_object(compiled, ref, object_labels(obj), self._namespace_labels(ref.namespace))
        return ref if selected is not None else None

    def _note_object(self, key: Key, namespace: str, name: str) -> None:
        """Re-test one object against every policy; a policy that selects (or selected) it re-syncs,
        since either its membership or the object's resourceVersion changed."""
        obj = self.wds.find(key, namespace, name)
        objkey = (key, namespace, name)
        for policy, (_, _, compiled) in self._compiled.items():
            selected = self._selected.setdefault(policy, {})
            ref = self._match(compiled, key, obj) if obj is not None else None
            if ref is not None:
                selected[objkey] = ref
            elif selected.pop(objkey, None) is None:
                continue
            self.enqueue(("policy", policy))

    def _note_namespace(self, namespace: str) -> None:
        """A namespace's labels feed namespaceSelectors: re-test everything in it."""
        for key in self.wds.keys():
            rt = self.wds.type_for(key)
            if rt is not None and rt.namespaced and self._watched(rt):
                for obj in self.wds.objects(key, namespace):
                    self.enqueue(("object", key, namespace, meta(obj, "name")))

    def _rescan(self, policy: str, compiled: CompiledPolicy) -> None:
        selected: dict[ObjKey, ObjectRef] = {}
        for key in self.wds.keys():
            rt = self.wds.type_for(key)
            if rt is None or not self._watched(rt):
                continue
            for obj in self.wds.objects(key):
                ref = self._match(compiled, key, obj)
                if ref is not None:
                    selected[(key, ref.namespace, ref.name)] = ref
        self._selected[policy] = selected

    def _forget(self, policy: str) -> None:
        self._compiled.pop(policy, None)
        self._selected.pop(policy, None)
        if self._specs.pop(policy, None) is not None:
            self._resync_singleton_policies(policy)

    # -- policies ------------------------------------------------------------------------------
    def _sync_policy(self, name: str) -> None:
        policy_rt, binding_rt = self.wds.type_for(BINDING_POLICY), self.wds.type_for(BINDING)
        policy = self.wds.find(BINDING_POLICY, "", name)
        if policy is None or policy_rt is None or binding_rt is None:
            self._forget(name)
            return
        if is_deleting(policy):
            # Dropping the finalizer lets the policy go; its Binding follows by garbage collection.
            self._forget(name)
            if (released := with_finalizer(policy, POLICY_FINALIZER, present=False)) is not None:
                self.wds.update(policy_rt, released)
            return
        if (held := with_finalizer(policy, POLICY_FINALIZER, present=True)) is not None:
            policy = self.wds.update(policy_rt, held)
        version = (meta(policy, "uid"), meta(policy, "generation", 1))
        cached = self._compiled.get(name)
        if cached is None or cached[:2] != version:
            compiled = compile_policy(policy)
            self._compiled[name] = (*version, compiled)
            self._rescan(name, compiled)
        compiled = self._compiled[name][2]
        binding = self.wds.find(BINDING, "", name)
        try:
            spec = self._binding_spec(name, compiled)
        except SelectorError as err:
            log.warning("%s: BindingPolicy %s: %s; its Binding keeps its destinations", self.wds_name, name, err)
            spec = None
        if spec is not None:
            binding = self._write_binding(binding_rt, policy, binding, spec)
            if self._specs.get(name) != spec:
                self._specs[name] = spec
                self._resync_singleton_policies(name)
        refs = {(r.group, r.resource, r.namespace, r.name): r
                for selected in self._selected.values() for r in selected.values()}
        status = policy_status(policy, binding, singleton_errors(name, self._specs, refs))
        if policy.get("status") != status:
            updated = copy.deepcopy(policy)
            updated["status"] = status
            self.wds.update(policy_rt, updated, subresource="status")

    def _binding_spec(self, name: str, compiled: CompiledPolicy) -> dict:
        objects, namespaces = [], {}
        for (key, namespace, obj_name), ref in self._selected.get(name, {}).items():
            obj = self.wds.find(key, namespace, obj_name)
            if obj is not None:
                objects.append((ref, obj))
                if namespace and namespace not in namespaces:
                    namespaces[namespace] = self._namespace_labels(namespace) or {}
        clusters = {meta(c, "name"): labels_of(c) for c in self.its.objects(MANAGED_CLUSTER)}
        return project_binding(compiled, objects, clusters, namespaces)

    def _write_binding(self, binding_rt: Any, policy: Mapping[str, Any], binding: dict | None, spec: dict) -> dict:
        owners = [owner_reference(policy, controller=True, block_owner_deletion=False)]
        if binding is None:
            return self.wds.create(binding_rt, {
                "apiVersion": binding_rt.api_version, "kind": "Binding",
                "metadata": {"name": meta(policy, "name"), "ownerReferences": owners}, "spec": spec})
        if binding.get("spec") == spec and meta(binding, "ownerReferences") == owners:
            return binding
        updated = copy.deepcopy(binding)
        updated["spec"] = spec
        updated["metadata"]["ownerReferences"] = owners
        return self.wds.update(binding_rt, updated)

    def _resync_singleton_policies(self, changed: str) -> None:
        """Another policy's destinations count towards singleton errors: re-check those asking for it."""
        for policy, spec in self._specs.items():
            if policy != changed and any(e.get("wantSingletonReportedState") for e in workload_entries(spec)):
                self.enqueue(("policy", policy))
