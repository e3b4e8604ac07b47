"""How a write becomes the stored object: server-set metadata, status and subresource rules,
generation and defaults (what upstream's REST strategies do per type). Validation is the store's.
"""

from __future__ import annotations

import ipaddress
import random
import time
from collections.abc import Callable
from itertools import islice
from typing import Any

import orjson

from kstellar_tui.sandbox.apiserver import errors
from kstellar_tui.sandbox.apiserver.resources import ResourceType

SERVER_SET_METADATA = ("uid", "resourceVersion", "creationTimestamp", "deletionTimestamp",
                       "deletionGracePeriodSeconds", "generation", "selfLink")
IMMUTABLE_METADATA = ("uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds")
UNVERSIONED_FIELDS = ("apiVersion", "kind", "metadata", "status")
# Types whose status may be set at creation (a kubelet registers its Node with status).
STATUS_ON_CREATE = frozenset({("", "nodes")})
SERVICE_CIDR = ipaddress.ip_network("10.96.0.0/12")


def now_rfc3339() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def copy_of(obj: Any) -> Any:
    """A deep copy of a JSON-compatible value (orjson is faster than copy.deepcopy)."""
    return orjson.loads(orjson.dumps(obj))


def kind_group(rt: ResourceType) -> str:
    """`Deployment.apps` / `ConfigMap`: how upstream names a type in Invalid messages."""
    return f"{rt.kind}.{rt.group}" if rt.group else rt.kind


def _replicas_default(obj: dict) -> None:
    spec = obj.setdefault("spec", {})
    if isinstance(spec, dict):
        spec.setdefault("replicas", 1)


def _namespace_defaults(obj: dict) -> None:
    obj["spec"] = {"finalizers": ["kubernetes"]}
    obj["status"] = {"phase": "Active"}


def _pod_defaults(obj: dict) -> None:
    obj["status"] = {"phase": "Pending"}


def _service_defaults(obj: dict) -> None:
    """Type, session affinity, and each port's protocol and targetPort."""
    spec = obj.setdefault("spec", {})
    if not isinstance(spec, dict):
        return
    spec.setdefault("type", "ClusterIP")
    spec.setdefault("sessionAffinity", "None")
    for port in spec.get("ports") or ():
        if isinstance(port, dict):
            port.setdefault("protocol", "TCP")
            port.setdefault("targetPort", port.get("port"))


def _allocate_cluster_ip(obj: dict) -> None:
    """A cluster IP from 10.96.0.0/12, random as upstream's allocator picks them."""
    spec = obj.get("spec")
    if not isinstance(spec, dict):
        return
    if spec.get("type") != "ExternalName" and not spec.get("clusterIP"):
        address = str(SERVICE_CIDR[random.randrange(2, SERVICE_CIDR.num_addresses - 1)])
        spec["clusterIP"], spec["clusterIPs"] = address, [address]
    if spec.get("clusterIP") and spec["clusterIP"] != "None":
        spec.setdefault("clusterIPs", [spec["clusterIP"]])
        spec.setdefault("ipFamilies", ["IPv4"])
        spec.setdefault("ipFamilyPolicy", "SingleStack")


# Defaults applied whenever an object is written (upstream defaults every decoded object) ...
DEFAULTS: dict[tuple[str, str], Callable[[dict], None]] = {
    ("apps", "deployments"): _replicas_default,
    ("apps", "replicasets"): _replicas_default,
    ("apps", "statefulsets"): _replicas_default,
    ("", "replicationcontrollers"): _replicas_default,
    ("", "services"): _service_defaults,
}
# ... and what only a create sets (after those).
CREATE_DEFAULTS: dict[tuple[str, str], Callable[[dict], None]] = {
    ("", "namespaces"): _namespace_defaults,
    ("", "pods"): _pod_defaults,
    ("", "services"): _allocate_cluster_ip,
}
ALLOCATED_SPEC_FIELDS = {("", "services"): ("clusterIP", "clusterIPs", "ipFamilies", "ipFamilyPolicy")}


def _keep_allocated(rt: ResourceType, new: dict, current: dict) -> None:
    """An update that leaves out what the server allocated (a Service's cluster IP) keeps it."""
    fields = ALLOCATED_SPEC_FIELDS.get(rt.key, ())
    spec, old_spec = new.get("spec"), current.get("spec") or {}
    if isinstance(spec, dict):
        for field in fields:
            if field not in spec and field in old_spec:
                spec[field] = old_spec[field]


def drop_empty_metadata(meta: dict) -> None:
    """Empty maps and lists are omitted, as Go's omitempty does, so they never make a difference."""
    for field in ("labels", "annotations", "finalizers", "ownerReferences"):
        if meta.get(field) in ({}, []):
            del meta[field]


def has_generation(rt: ResourceType, obj: dict) -> bool:
    """Custom resources always count generations; built-ins outside the core group with a spec do."""
    return not rt.builtin or (rt.group != "" and "spec" in obj)


def typed(rt: ResourceType, obj: dict) -> dict:
    """`obj` with the type's apiVersion and kind, first (as upstream serialises them)."""
    if tuple(islice(obj.items(), 2)) == (("apiVersion", rt.api_version), ("kind", rt.kind)):
        return obj
    return {"apiVersion": rt.api_version, "kind": rt.kind,
            **{k: v for k, v in obj.items() if k not in ("apiVersion", "kind")}}


def prepare_create(rt: ResourceType, obj: dict) -> dict:
    """The object a create would store (without the uid, timestamp and resourceVersion the commit adds)."""
    if not isinstance(obj, dict):
        raise errors.bad_request("the body of the request must be an object")
    obj = typed(rt, obj)
    meta = obj.get("metadata")
    if meta is None:
        meta = obj["metadata"] = {}
    if not isinstance(meta, dict):
        raise errors.bad_request("metadata must be an object")
    for field in SERVER_SET_METADATA:
        meta.pop(field, None)
    if not rt.namespaced:
        meta.pop("namespace", None)
    if "status" in rt.subresources and rt.key not in STATUS_ON_CREATE:
        obj.pop("status", None)
    for table in (DEFAULTS, CREATE_DEFAULTS):
        if rt.key in table:
            table[rt.key](obj)
    if has_generation(rt, obj):
        meta["generation"] = 1
    drop_empty_metadata(meta)
    return obj


def prepare_update(rt: ResourceType, obj: dict, current: dict, subresource: str | None) -> dict:
    """The object a PUT (of the resource or of a subresource) would store."""
    if not isinstance(obj, dict) or not isinstance(obj.get("metadata"), dict):
        raise errors.bad_request("the body of the request must be an object with metadata")
    if subresource in ("status", "approval", "finalize"):
        # Stored objects are never mutated, so the new version may share their untouched parts.
        new = {**current, "metadata": dict(current["metadata"])}
        _take_subresource(new, obj, subresource)
        if "managedFields" in obj["metadata"]:  # the handler recorded this write's manager
            new["metadata"]["managedFields"] = obj["metadata"]["managedFields"]
    else:
        new = typed(rt, obj)
        if "status" in rt.subresources:
            _keep(new, current, "status")
        if rt.key == ("", "namespaces"):
            new.setdefault("spec", {})["finalizers"] = (current.get("spec") or {}).get("finalizers", [])
        _keep_allocated(rt, new, current)
        if rt.key in DEFAULTS:
            DEFAULTS[rt.key](new)
    meta, old_meta = new["metadata"], current["metadata"]
    meta.pop("selfLink", None)
    if "managedFields" not in meta:
        _keep(meta, old_meta, "managedFields")
    if rt.namespaced:
        meta["namespace"] = old_meta["namespace"]
    else:
        meta.pop("namespace", None)
    for field in IMMUTABLE_METADATA:
        _keep(meta, old_meta, field)
    meta["resourceVersion"] = old_meta["resourceVersion"]
    _keep(meta, old_meta, "generation")
    if "generation" in old_meta and _spec_changed(new, current):
        meta["generation"] = old_meta["generation"] + 1
    drop_empty_metadata(meta)
    return new


def check_preconditions(rt: ResourceType, current: dict, preconditions: Any) -> None:
    if not isinstance(preconditions, dict):
        return
    meta = current["metadata"]
    for field, label in (("uid", "UID"), ("resourceVersion", "ResourceVersion")):
        wanted = preconditions.get(field)
        if wanted and wanted != meta.get(field):
            raise errors.ApiError(
                409, "Conflict",
                f"Precondition failed: {label} in precondition: {wanted}, {label} in object meta: {meta.get(field)}",
                {"name": meta["name"], "group": rt.group, "kind": rt.plural} if rt.group
                else {"name": meta["name"], "kind": rt.plural})


def finalizer_causes(obj: dict, old: dict | None) -> list[tuple[str, str]]:
    """A terminating object may lose finalizers but never gain one."""
    causes: list[tuple[str, str]] = []
    if old is not None and old["metadata"].get("deletionTimestamp"):
        before = old["metadata"].get("finalizers") or []
        added = [f for f in obj["metadata"].get("finalizers") or [] if f not in before]
        if added:
            quoted = ", ".join(f'"{f}"' for f in added)
            causes.append(("metadata.finalizers",
                           f"Forbidden: no new finalizers can be added if the object is being deleted, "
                           f"found new finalizers []string{{{quoted}}}"))
    return causes


def _take_subresource(new: dict, obj: dict, subresource: str) -> None:
    if subresource == "status":
        if "status" in obj:
            new["status"] = obj["status"]
        else:
            new.pop("status", None)
    elif subresource == "approval":
        conditions = (obj.get("status") or {}).get("conditions")
        status = new["status"] = dict(new.get("status") or {})
        if conditions:
            status["conditions"] = conditions
        else:
            status.pop("conditions", None)
    else:  # namespaces/finalize
        new["spec"] = {**(new.get("spec") or {}), "finalizers": (obj.get("spec") or {}).get("finalizers") or []}


def _keep(target: dict, source: dict, field: str) -> None:
    if field in source:
        target[field] = source[field]
    else:
        target.pop(field, None)


def _spec_changed(new: dict, current: dict) -> bool:
    fields = (set(new) | set(current)) - set(UNVERSIONED_FIELDS)
    return any(new.get(f) != current.get(f) for f in fields)
