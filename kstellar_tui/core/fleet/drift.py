"""Drift: does a WEC copy still say what the WDS object says?

Both sides are reduced to what KubeStellar actually propagates (the upstream transform strips the
same fields from both) minus what servers and controllers fill in, then compared by digest so the
store keeps 16 bytes per cell instead of whole objects."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

import orjson

from kstellar_tui.core.fleet.transform import transform_object

# Metadata that servers, controllers or KubeStellar itself write on either side.
_IGNORED_LABEL_PREFIXES = ("managed-by.kubestellar.io/",)
_IGNORED_ANNOTATION_PREFIXES = (
    "kubectl.kubernetes.io/",
    "deployment.kubernetes.io/",
    "open-cluster-management.io/",
    "control.kubestellar.io/",
)
_KEPT_METADATA = ("name", "namespace", "labels", "annotations")


def _filtered(mapping: Mapping | None, prefixes: tuple[str, ...]) -> dict:
    return {k: v for k, v in (mapping or {}).items() if not k.startswith(prefixes)}


def normalize(obj: Mapping) -> dict:
    """The comparable part of an object: propagated content without server-owned fields."""
    body = transform_object(obj)
    meta = body.get("metadata") or {}
    body["metadata"] = {k: meta[k] for k in _KEPT_METADATA if meta.get(k)}
    if "labels" in body["metadata"]:
        body["metadata"]["labels"] = _filtered(meta["labels"], _IGNORED_LABEL_PREFIXES)
    if "annotations" in body["metadata"]:
        body["metadata"]["annotations"] = _filtered(meta["annotations"], _IGNORED_ANNOTATION_PREFIXES)
    body.pop("status", None)
    return body


def digest(obj: Mapping) -> bytes:
    """A 16-byte fingerprint of `normalize(obj)`; equal digests mean no drift."""
    data = orjson.dumps(normalize(obj), option=orjson.OPT_SORT_KEYS)
    return hashlib.blake2b(data, digest_size=16).digest()


def differing_paths(desired: Mapping, actual: Mapping, limit: int = 5) -> list[str]:
    """Where two objects differ, as dotted paths (for the explain pane, computed on demand)."""
    found: list[str] = []

    def walk(a: object, b: object, path: str) -> None:
        if len(found) >= limit or a == b:
            return
        if isinstance(a, dict) and isinstance(b, dict):
            for key in sorted(set(a) | set(b)):
                walk(a.get(key), b.get(key), f"{path}.{key}" if path else str(key))
        elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
            for i, (x, y) in enumerate(zip(a, b)):
                walk(x, y, f"{path}[{i}]")
        else:
            found.append(path or "(object)")

    walk(normalize(desired), normalize(actual), "")
    return found
