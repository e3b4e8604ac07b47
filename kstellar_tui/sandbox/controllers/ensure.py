"""Create-if-absent writes for the objects the topology controllers install into a space.

Installing upstream components (`clusteradm init`, the status add-on chart, the KubeStellar
controller-manager's CRDs) is idempotent: running it again leaves existing objects alone."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from kstellar_tui.sandbox.apiserver.errors import ApiError
from kstellar_tui.sandbox.controllers.objects import find
from kstellar_tui.sandbox.definitions import kinds
from kstellar_tui.sandbox.definitions.crd import fresh


def lookup(store: Any, key: kinds.Key, namespace: str | None, name: str) -> dict | None:
    """The object, or None when absent or when its kind is not served in this space."""
    return find(store, store.type_for(key), namespace, name)


def ensure(store: Any, key: kinds.Key, obj: Mapping[str, Any]) -> dict:
    """The existing object of that name, or `obj` newly created."""
    rt = store.type_for(key)
    if rt is None:
        raise LookupError(f"{key[1]}.{key[0]} is not served in {store.name}")
    meta = obj["metadata"]
    existing = find(store, rt, meta.get("namespace"), meta["name"])
    if existing is not None:
        return existing
    try:
        return store.create(rt, dict(obj))
    except ApiError as err:
        if err.code != 409:
            raise
        return store.get(rt, meta.get("namespace"), meta["name"])


def ensure_namespace(store: Any, name: str, labels: Mapping[str, str] | None = None) -> dict:
    metadata: dict[str, Any] = {"name": name}
    if labels:
        metadata["labels"] = dict(labels)
    return ensure(store, kinds.NAMESPACE, {"apiVersion": "v1", "kind": "Namespace", "metadata": metadata})


def install_crds(store: Any, crds: Iterable[Mapping[str, Any]]) -> None:
    """Create the definitions that are missing; the store serves each one as soon as it is stored.

    The topology re-runs this on every change it sees, so present ones cost a lookup, not a copy."""
    for crd in crds:
        if lookup(store, kinds.CRD, None, crd["metadata"]["name"]) is None:
            ensure(store, kinds.CRD, fresh(dict(crd)))
