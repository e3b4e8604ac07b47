"""The status controller of one WDS: returned state into WDS objects, CombinedStatus, and the
StatusCollectorsAvailable condition of Bindings.

Upstream `pkg/status`. Bindings say which objects want singleton or multi-WEC reported state and
where they went; WorkStatuses (ITS) say what each WEC reported. `reported_state_plan` is upstream's
decision table (`singletonstatus.go`), `aggregate` its multi-WEC rules (`pkg/status/aggregation`,
only apps Deployment, ReplicaSet and DaemonSet)."""

from __future__ import annotations

import copy
import logging
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from kstellar_tui.sandbox.apiserver.errors import ApiError
from kstellar_tui.sandbox.controllers import combined_status as cs
from kstellar_tui.sandbox.controllers.binding import entry_key, workload_entries
from kstellar_tui.sandbox.controllers.objects import delete_quietly, meta, now, set_condition
from kstellar_tui.sandbox.controllers.status_agent import SINGLETON_LABEL
from kstellar_tui.sandbox.controllers.subscribed import SubscribedController
from kstellar_tui.sandbox.controllers.transport import ORIGIN_WDS_LABEL
from kstellar_tui.sandbox.controllers.workload_keys import (
    BINDING, BINDING_POLICY, COMBINED_STATUS, CRD, NAMESPACE, STATUS_COLLECTOR, WORK_STATUS,
)

log = logging.getLogger(__name__)

MULTIWEC_LABEL = "managed-by.kubestellar.io/multiwecstatus"
_NO_AUTHORITY = {NAMESPACE, CRD}  # a WEC's status never overwrites these in the WDS (pkg/util/authority.go)

ObjId = tuple[str, str, str, str]  # group, resource, namespace ("" if cluster-scoped), name


@dataclass(frozen=True)
class Request:
    """What one Binding asks for one of its objects."""

    singleton: bool
    multi: bool
    destinations: frozenset[str]
    collectors: tuple[str, ...]


def binding_requests(binding: Mapping[str, Any]) -> dict[ObjId, Request]:
    spec = binding.get("spec") or {}
    destinations = frozenset(d["clusterId"] for d in spec.get("destinations") or ())
    return {entry_key(e): Request(bool(e.get("wantSingletonReportedState")), bool(e.get("wantMultiWECReportedState")),
                                  destinations, tuple(e.get("statusCollectors") or ()))
            for e in workload_entries(spec)}


def reported_state_plan(requests: Iterable[Request]) -> tuple[str, frozenset[str]]:
    """("singleton" | "multi" | "none", qualified WECs) for one object across all its Bindings."""
    requests = list(requests)
    singleton = any(r.singleton for r in requests)
    multi = any(r.multi for r in requests)
    single_wecs = frozenset().union(*(r.destinations for r in requests if r.singleton))
    multi_wecs = frozenset().union(*(r.destinations for r in requests if r.multi))
    if singleton and multi:
        both = single_wecs | multi_wecs
        return ("singleton" if len(both) == 1 else "multi"), both
    if multi and len(multi_wecs) == 1:
        return "singleton", multi_wecs
    if singleton and len(single_wecs) == 1:
        return "singleton", single_wecs
    if multi and multi_wecs:
        return "multi", multi_wecs
    return "none", frozenset()


def _extreme(statuses: list[Mapping[str, Any]], field: str, pick: Any) -> int:
    values = [s[field] for s in statuses if isinstance(s.get(field), int) and not isinstance(s.get(field), bool)]
    return pick(values) if values else 0


def _first_condition(statuses: list[Mapping[str, Any]], wanted: Any) -> list[dict]:
    for status in statuses:
        for cond in status.get("conditions") or ():
            if isinstance(cond, dict) and wanted(cond):
                return [cond]
    return []


def aggregate(group: str, kind: str, statuses: list[Mapping[str, Any]]) -> dict[str, Any] | None:
    """Multi-WEC aggregated status, or None for kinds upstream does not aggregate."""
    if group != "apps":
        return None
    lowest, highest = (lambda f: _extreme(statuses, f, min)), (lambda f: _extreme(statuses, f, max))
    if kind == "Deployment":
        return {"replicas": lowest("replicas"), "updatedReplicas": lowest("updatedReplicas"),
                "availableReplicas": lowest("availableReplicas"), "readyReplicas": lowest("readyReplicas"),
                "unavailableReplicas": highest("unavailableReplicas"), "observedGeneration": lowest("observedGeneration"),
                "conditions": _first_condition(statuses, lambda c: c.get("type") == "Progressing"
                                               and c.get("reason") == "ProgressDeadlineExceeded")}
    if kind == "ReplicaSet":
        return {"replicas": lowest("replicas"), "fullyLabeledReplicas": lowest("fullyLabeledReplicas"),
                "readyReplicas": lowest("readyReplicas"), "availableReplicas": lowest("availableReplicas"),
                "observedGeneration": lowest("observedGeneration"),
                "conditions": _first_condition(statuses, lambda c: c.get("type") == "ReplicaFailure")}
    if kind == "DaemonSet":
        return {"currentNumberScheduled": lowest("currentNumberScheduled"),
                "numberMisscheduled": highest("numberMisscheduled"),
                "desiredNumberScheduled": lowest("desiredNumberScheduled"), "numberReady": lowest("numberReady"),
                "observedGeneration": lowest("observedGeneration"),
                "updatedNumberScheduled": lowest("updatedNumberScheduled"), "numberAvailable": lowest("numberAvailable")}
    return None


def collectors_condition(missing: list[str]) -> dict[str, str]:
    if missing:
        return {"type": "StatusCollectorsAvailable", "status": "False", "reason": "ReconcileError",
                "message": f"Missing StatusCollector(s) [{' '.join(missing)}]"}
    return {"type": "StatusCollectorsAvailable", "status": "True", "reason": "ReconcileSuccess",
            "message": "All StatusCollector(s) are available"}


_SKIP = object()  # "leave the object alone" (upstream returns early without writing)


class StatusController(SubscribedController):
    """Keys: ("binding", name), ("workstatus", wec, name), ("object", ObjId), ("combined", binding, ObjId),
    ("collector", name)."""

    name = "status"

    def __init__(self, wds_store: Any, its_store: Any, wds_name: str) -> None:
        super().__init__(wds_store, its_store)
        self.wds, self.its, self.wds_name = wds_store, its_store, wds_name
        self._requests: dict[str, dict[ObjId, Request]] = {}            # binding -> its objects' requests
        self._by_object: dict[ObjId, dict[str, Request]] = {}           # object -> binding -> request
        self._workstatus_of: dict[tuple[str, str], ObjId] = {}          # (wec, WorkStatus name) -> object
        self._workstatuses: dict[ObjId, set[tuple[str, str]]] = {}      # object -> (wec, WorkStatus name)

    # -- events --------------------------------------------------------------------------------
    def keys_for_event(self, cluster: str, event_type: str, rt: Any, obj: dict) -> Iterable[Hashable]:
        name = meta(obj, "name")
        if cluster == self.its.name and cluster != self.wds.name:
            if rt.key == WORK_STATUS and (meta(obj, "labels") or {}).get(ORIGIN_WDS_LABEL, self.wds_name) == self.wds_name:
                yield "workstatus", meta(obj, "namespace"), name
            return
        if rt.key == BINDING:
            yield "binding", name
        elif rt.key == STATUS_COLLECTOR:
            yield "collector", name
        else:
            objid = (rt.group, rt.plural, meta(obj, "namespace") or "", name)
            requests = self._by_object.get(objid, {})
            if requests:
                yield "object", objid
            for binding, request in requests.items():
                if request.collectors:
                    yield "combined", binding, objid

    def resync_keys(self) -> Iterable[Hashable]:
        for binding in self.wds.objects(BINDING):
            yield "binding", meta(binding, "name")
        for ws in self.its.objects(WORK_STATUS):
            yield "workstatus", meta(ws, "namespace"), meta(ws, "name")

    async def reconcile(self, key: Hashable) -> float | None:
        kind, *rest = key  # type: ignore[misc]
        if kind == "binding":
            self._sync_binding(rest[0])
        elif kind == "workstatus":
            self._note_workstatus(*rest)
        elif kind == "object":
            self._sync_object(rest[0])
        elif kind == "combined":
            self._sync_combined(*rest)
        else:
            self._sync_collector(rest[0])
        return None

    # -- indexes -------------------------------------------------------------------------------
    def _sync_binding(self, name: str) -> None:
        binding = self.wds.find(BINDING, "", name)
        new = binding_requests(binding) if binding is not None else {}
        old = self._requests.get(name, {})
        for objid in set(old) | set(new):
            if old.get(objid) != new.get(objid):
                if objid in new:
                    self._by_object.setdefault(objid, {})[name] = new[objid]
                else:
                    self._by_object.get(objid, {}).pop(name, None)
                    if not self._by_object.get(objid):
                        self._by_object.pop(objid, None)
                self.enqueue(("object", objid))
        for objid in set(old) | set(new):
            if (old.get(objid) and old[objid].collectors) or (new.get(objid) and new[objid].collectors):
                self.enqueue(("combined", name, objid))
        if binding is None:
            self._requests.pop(name, None)
            return
        self._requests[name] = new
        self._write_collectors_condition(binding, new)

    def _note_workstatus(self, wec: str, name: str) -> None:
        ws = self.its.find(WORK_STATUS, wec, name)
        ref = (wec, name)
        previous = self._workstatus_of.pop(ref, None)
        if previous is not None:
            self._workstatuses.get(previous, set()).discard(ref)
        if ws is not None:
            source = (ws.get("spec") or {}).get("sourceRef") or {}
            objid = (source.get("group", ""), source.get("resource", ""), source.get("namespace", ""), source.get("name", ""))
            self._workstatus_of[ref] = objid
            self._workstatuses.setdefault(objid, set()).add(ref)
        for objid in {previous, self._workstatus_of.get(ref)} - {None}:
            self.enqueue(("object", objid))
            for binding, request in self._by_object.get(objid, {}).items():
                if request.collectors:
                    self.enqueue(("combined", binding, objid))

    def _returned(self, objid: ObjId, wecs: Iterable[str]) -> dict[str, list[dict]]:
        """WorkStatuses of the object, by WEC, among `wecs`."""
        wanted = set(wecs)
        found: dict[str, list[dict]] = {}
        for wec, name in sorted(self._workstatuses.get(objid, ())):
            if wec in wanted and (ws := self.its.find(WORK_STATUS, wec, name)) is not None:
                found.setdefault(wec, []).append(ws)
        return found

    # -- reported state ------------------------------------------------------------------------
    def _sync_object(self, objid: ObjId) -> None:
        mode, wecs = reported_state_plan(self._by_object.get(objid, {}).values())
        status, multi = None, False
        if mode == "singleton":
            found = self._returned(objid, wecs).get(next(iter(wecs)), [])
            if len(found) == 1:
                status = found[0].get("status")
                status = _SKIP if status is None else status
        elif mode == "multi":
            multi = True
            statuses = [ws["status"] for found in self._returned(objid, wecs).values() for ws in found
                        if ws.get("status") is not None]
            if len(statuses) == 1:
                status, multi = statuses[0], False
            elif statuses:
                obj = self._find(objid)
                status = _SKIP if obj is None else aggregate(objid[0], obj.get("kind", ""), statuses)
                status = _SKIP if status is None else status
        if status is not _SKIP:
            self._write_reported_state(objid, status, multi)

    def _find(self, objid: ObjId) -> dict | None:
        group, resource, namespace, name = objid
        return self.wds.find((group, resource), namespace, name)

    def _write_reported_state(self, objid: ObjId, status: dict | None, multi: bool) -> None:
        """Upstream's updateObjectStatus: label first, then status, then drop the other label."""
        key = objid[:2]
        rt, obj = self.wds.type_for(key), self._find(objid)
        if key in _NO_AUTHORITY or rt is None or obj is None:
            return
        labels = meta(obj, "labels") or {}
        want_single, want_multi = status is not None and not multi, status is not None and multi
        if status is None and SINGLETON_LABEL not in labels and MULTIWEC_LABEL not in labels:
            return
        for label, wanted in ((SINGLETON_LABEL, want_single), (MULTIWEC_LABEL, want_multi)):
            if wanted and label not in labels:
                obj = self._relabel(rt, obj, label, True)
        status = status or {}
        if obj.get("status") != status:
            updated = copy.deepcopy(obj)
            updated["status"] = status
            obj = self.wds.update(rt, updated, subresource="status" if "status" in rt.subresources else None)
        for label, wanted in ((SINGLETON_LABEL, want_single), (MULTIWEC_LABEL, want_multi)):
            if not wanted and label in labels:
                obj = self._relabel(rt, obj, label, False)

    def _relabel(self, rt: Any, obj: dict, label: str, present: bool) -> dict:
        updated = copy.deepcopy(obj)
        labels = updated["metadata"].setdefault("labels", {})
        if present:
            labels[label] = "true"
        else:
            labels.pop(label, None)
        return self.wds.update(rt, updated)

    # -- StatusCollectors ----------------------------------------------------------------------
    def _collector_specs(self, names: Iterable[str]) -> dict[str, dict | None]:
        """The usable spec of each named collector; None for a missing or invalid one."""
        specs = {}
        for name in sorted(set(names)):
            collector = self.wds.find(STATUS_COLLECTOR, "", name)
            spec = (collector or {}).get("spec")
            specs[name] = spec if spec is not None and not cs.collector_errors(spec) else None
        return specs

    def _write_collectors_condition(self, binding: dict, requests: Mapping[ObjId, Request]) -> None:
        named = {c for r in requests.values() for c in r.collectors}
        missing = sorted(n for n in named if self.wds.find(STATUS_COLLECTOR, "", n) is None)
        status = {"observedGeneration": 0, **(binding.get("status") or {})}  # Go writes the zero value
        conditions = set_condition(status.get("conditions"), collectors_condition(missing), now(),
                                   transition_on=("status", "reason", "message"))
        if conditions == status.get("conditions"):
            return
        status["conditions"] = conditions
        updated = copy.deepcopy(binding)
        updated["status"] = status
        self.wds.update(self.wds.type_for(BINDING), updated, subresource="status")

    def _sync_collector(self, name: str) -> None:
        collector, rt = self.wds.find(STATUS_COLLECTOR, "", name), self.wds.type_for(STATUS_COLLECTOR)
        if collector is not None and rt is not None:
            errors = cs.collector_errors(collector.get("spec") or {})
            old = collector.get("status") or {}
            status = {"observedGeneration": 0, **old}  # Go writes the zero value
            if errors:
                status["errors"] = errors
            else:
                status.pop("errors", None)
            if (errors or "errors" in old) and status != old:
                updated = copy.deepcopy(collector)
                updated["status"] = status
                self.wds.update(rt, updated, subresource="status")
        for binding, requests in self._requests.items():
            if any(name in r.collectors for r in requests.values()):
                self.enqueue(("binding", binding))

    # -- CombinedStatus ------------------------------------------------------------------------
    def _sync_combined(self, binding: str, objid: ObjId) -> None:
        request = self._requests.get(binding, {}).get(objid)
        obj, policy = self._find(objid), self.wds.find(BINDING_POLICY, "", binding)
        rt = self.wds.type_for(COMBINED_STATUS)
        if rt is None:
            return
        if request is None or not request.collectors or obj is None or policy is None:
            self._delete_combined(rt, binding, objid)
            return
        rows = [(wec, {"inventory": {"name": wec}, "obj": obj, "returned": {"status": ws["status"]},
                       "propagation": {"lastReturnedUpdateTimestamp": None}})
                for wec, found in self._returned(objid, request.destinations).items() for ws in found
                if ws.get("status") is not None]
        results = [cs.collector_result(name, spec, rows)
                   for name, spec in self._collector_specs(request.collectors).items() if spec is not None]
        desired = cs.combined_status(obj, objid[1], policy, results)
        namespace = desired["metadata"]["namespace"]
        if namespace == cs.REPORT_NAMESPACE and self.wds.find(NAMESPACE, "", namespace) is None:
            self.wds.create(self.wds.type_for(NAMESPACE), {"apiVersion": "v1", "kind": "Namespace",
                                                           "metadata": {"name": namespace}})
        existing = self.wds.find(COMBINED_STATUS, namespace, desired["metadata"]["name"])
        if existing is None:
            try:
                self.wds.create(rt, desired)
            except ApiError as err:
                log.warning("%s: CombinedStatus %s/%s: %s", self.wds_name, namespace, desired["metadata"]["name"],
                            err.message)
        elif existing.get("results") != desired["results"] or meta(existing, "labels") != desired["metadata"]["labels"]:
            updated = copy.deepcopy(existing)
            updated["results"] = desired["results"]
            updated["metadata"]["labels"] = desired["metadata"]["labels"]
            self.wds.update(rt, updated)

    def _delete_combined(self, rt: Any, binding: str, objid: ObjId) -> None:
        group, resource, namespace, name = objid
        wanted = dict(zip(cs.LABELS, (group, resource, namespace, name, binding)))
        for combined in self.wds.objects(COMBINED_STATUS, namespace or cs.REPORT_NAMESPACE):
            if all((meta(combined, "labels") or {}).get(k) == v for k, v in wanted.items()):
                delete_quietly(self.wds, rt, meta(combined, "namespace"), meta(combined, "name"))
