"""Drift: does a WEC copy still say what the WDS object says?

Both sides are reduced to what KubeStellar actually propagates (the upstream transform strips the
same fields from both) minus what servers and controllers fill in, then compared by digest so the
store keeps 16 bytes per cell instead of whole objects."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

import orjson

from kstellar_tui.core.fleet.transform import has_kind_cleaner, transform_object

# Metadata that servers, controllers or KubeStellar itself write on either side.
_IGNORED_LABEL_PREFIXES = ("managed-by.kubestellar.io/",)
_IGNORED_ANNOTATION_PREFIXES = (
    "kubectl.kubernetes.io/",
    "deployment.kubernetes.io/",
    "open-cluster-management.io/",
    "control.kubestellar.io/",
)


def _filtered(mapping: object, prefixes: tuple[str, ...]) -> dict:
    if not isinstance(mapping, Mapping):
        return {}
    return {k: v for k, v in mapping.items() if not k.startswith(prefixes)}


def normalize(obj: Mapping) -> dict:
    """The comparable part of an object: propagated content without server-owned fields.

    Of metadata only the name, namespace and the labels and annotations nobody else writes are
    compared (an emptied map counts as absent). So for kinds whose transform touches nothing else,
    the top level is copied as it is, without `transform_object`'s work: drift is computed for
    every WEC copy that arrives."""
    if has_kind_cleaner(obj):
        body = transform_object(obj)
    else:
        body = {k: v for k, v in obj.items() if k != "status"}
    meta = body.get("metadata")
    meta = meta if isinstance(meta, Mapping) else {}
    kept = {k: meta[k] for k in ("name", "namespace") if meta.get(k)}
    labels = _filtered(meta.get("labels"), _IGNORED_LABEL_PREFIXES)
    if labels:
        kept["labels"] = labels
    annotations = _filtered(meta.get("annotations"), _IGNORED_ANNOTATION_PREFIXES)
    if annotations:
        kept["annotations"] = annotations
    body["metadata"] = kept
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
