"""Helpers the workload-path controllers share for plain-dict objects and store writes.

Controllers read and write through `ClusterStore` like any API client would, so these helpers
speak in API terms: a missing object is `None`, a write that would change nothing is skipped
(the store would not bump the resourceVersion anyway, but skipping keeps event traffic down)."""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from kstellar_tui.sandbox.apiserver.errors import ApiError


def now() -> str:
    """RFC 3339 with second precision, as metav1.Time serialises."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def split_api_version(api_version: str) -> tuple[str, str]:
    """`apps/v1` -> ("apps", "v1"); `v1` -> ("", "v1")."""
    group, _, version = api_version.rpartition("/")
    return group, version


def labels_of(obj: Mapping[str, Any]) -> dict[str, str]:
    return dict((obj.get("metadata") or {}).get("labels") or {})


def meta(obj: Mapping[str, Any], field: str, default: Any = None) -> Any:
    return (obj.get("metadata") or {}).get(field, default)


def is_deleting(obj: Mapping[str, Any]) -> bool:
    return bool(meta(obj, "deletionTimestamp"))


def find(store: Any, rt: Any, namespace: str | None, name: str) -> dict | None:
    """The object, or None when it does not exist (or its type is not served)."""
    if rt is None:
        return None
    try:
        return store.get(rt, namespace or None, name)
    except ApiError as err:
        if err.code == 404:
            return None
        raise


def delete_quietly(store: Any, rt: Any, namespace: str | None, name: str,
                   options: dict | None = None) -> None:
    """Delete, treating "already gone" as done (the controllers' deletes are all idempotent)."""
    try:
        store.delete(rt, namespace or None, name, options=options)
    except ApiError as err:
        if err.code != 404:
            raise


def with_finalizer(obj: dict, finalizer: str, present: bool) -> dict | None:
    """A copy of `obj` with `finalizer` added or removed, or None when nothing would change."""
    finalizers = list(meta(obj, "finalizers") or [])
    if (finalizer in finalizers) == present:
        return None
    updated = copy.deepcopy(obj)
    if present:
        finalizers.append(finalizer)
    else:
        finalizers.remove(finalizer)
    updated["metadata"]["finalizers"] = finalizers
    return updated


def owner_reference(owner: Mapping[str, Any], *, controller: bool | None = None,
                    block_owner_deletion: bool | None = None) -> dict[str, Any]:
    ref: dict[str, Any] = {
        "apiVersion": owner["apiVersion"],
        "kind": owner["kind"],
        "name": owner["metadata"]["name"],
        "uid": owner["metadata"]["uid"],
    }
    if controller is not None:
        ref["controller"] = controller
    if block_owner_deletion is not None:
        ref["blockOwnerDeletion"] = block_owner_deletion
    return ref


def set_condition(conditions: Iterable[Mapping[str, Any]] | None, condition: Mapping[str, Any],
                  timestamp: str, *, transition_on: tuple[str, ...] = ("status",)) -> list[dict]:
    """Insert or replace the condition of the same type.

    `lastTransitionTime` moves only when one of `transition_on` changes: ("status",) is
    apimachinery's `meta.SetStatusCondition`; KubeStellar's own `SetCondition` also moves it on a
    new reason or message."""
    result = [dict(c) for c in conditions or ()]
    for i, old in enumerate(result):
        if old.get("type") == condition["type"]:
            changed = any(old.get(k) != condition.get(k) for k in transition_on)
            merged = {**condition,
                      "lastTransitionTime": timestamp if changed else old.get("lastTransitionTime", timestamp)}
            result[i] = merged
            return result
    result.append({**condition, "lastTransitionTime": timestamp})
    return result


def same_conditions(a: Iterable[Mapping[str, Any]] | None, b: Iterable[Mapping[str, Any]] | None) -> bool:
    """Equal apart from timestamps: what decides whether a status write is needed."""
    def strip(conds: Iterable[Mapping[str, Any]] | None) -> list[dict]:
        return [{k: v for k, v in c.items() if k not in ("lastTransitionTime", "lastUpdateTime")}
                for c in conds or ()]
    return strip(a) == strip(b)
