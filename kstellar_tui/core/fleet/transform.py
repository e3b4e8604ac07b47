"""The WEC-independent transformation the transport controller applies before wrapping an object.

Upstream: `TransformObject` in `pkg/transport/generic/generic_transport_controller.go`, the
Service/Job cleaners in `pkg/transport/generic/filtering/`, and CustomTransform `spec.remove`
paths parsed by `pkg/jsonpath` (`$` followed by `.name` or `["string"]` segments, nothing else).
Used by the sandbox's transport controller and by drift detection, which compares the result
with what a WEC holds.

The input is never mutated. To stay cheap per event the result shares every untouched subtree
with the input: treat both as immutable.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping

RemovePath = tuple[str, ...]

# Metadata the transport controller clears (creationTimestamp and deletionTimestamp stay).
_STRIPPED_METADATA = frozenset({
    "managedFields", "finalizers", "generation", "ownerReferences", "selfLink", "resourceVersion", "uid",
    "generateName",
})
LAST_APPLIED_ANNOTATION = "kubectl.kubernetes.io/last-applied-configuration"
PRESERVE_ANNOTATION = "control.kubestellar.io/preserve"
_SERVICE_DROPPED_SPEC = frozenset({
    "ipFamilies", "externalTrafficPolicy", "internalTrafficPolicy", "ipFamilyPolicy", "sessionAffinity",
})
_JOB_DROPPED_SPEC = frozenset({"selector", "suspend"})
_LAST_APPLIED = frozenset({LAST_APPLIED_ANNOTATION})
_JOB_LABELS = frozenset({"controller-uid", "batch.kubernetes.io/controller-uid"})
_JOB_ANNOTATIONS = frozenset({"batch.kubernetes.io/job-tracking"})


class TransformError(ValueError):
    """A CustomTransform `spec.remove` entry that upstream's parser rejects."""


def _without(mapping: Mapping, keys: frozenset[str]) -> dict:
    return {k: v for k, v in mapping.items() if k not in keys}


def _clean_labels_or_annotations(container: dict, key: str, unwanted: frozenset[str]) -> None:
    # Upstream rewrites the map when it changed; an emptied map stays as {}.
    current = container.get(key)
    if isinstance(current, Mapping) and not unwanted.isdisjoint(current):
        container[key] = _without(current, unwanted)


def _clean_service(obj: dict) -> None:
    spec = obj.get("spec")
    if not isinstance(spec, Mapping):
        return
    spec = _without(spec, _SERVICE_DROPPED_SPEC)
    cluster_ip = spec.get("clusterIP")
    if isinstance(cluster_ip, str) and cluster_ip != "None":
        del spec["clusterIP"]
    cluster_ips = spec.get("clusterIPs")
    if isinstance(cluster_ips, list) and all(isinstance(ip, str) for ip in cluster_ips):
        kept = [ip for ip in cluster_ips if ip == "None"]
        if kept:
            spec["clusterIPs"] = kept
        else:
            del spec["clusterIPs"]
    annotations = (obj.get("metadata") or {}).get("annotations") or {}
    ports = spec.get("ports")
    if annotations.get(PRESERVE_ANNOTATION) != "nodeport" and isinstance(ports, list):
        # Upstream sets nodePort to null on every port, present or not.
        spec["ports"] = [{**p, "nodePort": None} if isinstance(p, Mapping) else p for p in ports]
    obj["spec"] = spec


def _clean_job(obj: dict) -> None:
    meta = obj.get("metadata")
    if isinstance(meta, dict):  # already our copy
        _clean_labels_or_annotations(meta, "annotations", _JOB_ANNOTATIONS)
        _clean_labels_or_annotations(meta, "labels", _JOB_LABELS)
    spec = obj.get("spec")
    if not isinstance(spec, Mapping):
        return
    spec = _without(spec, _JOB_DROPPED_SPEC)
    template = spec.get("template")
    template_meta = template.get("metadata") if isinstance(template, Mapping) else None
    if isinstance(template_meta, Mapping):
        template_meta = dict(template_meta)
        _clean_labels_or_annotations(template_meta, "labels", _JOB_LABELS)
        spec["template"] = {**template, "metadata": template_meta}
    obj["spec"] = spec


_KIND_CLEANERS = {("v1", "Service"): _clean_service, ("batch/v1", "Job"): _clean_job}


def has_kind_cleaner(obj: Mapping) -> bool:
    """Whether the transform changes more of this kind than metadata and status."""
    return (obj.get("apiVersion"), obj.get("kind")) in _KIND_CLEANERS


def _remove(obj: dict, path: RemovePath) -> None:
    """Delete the member at `path`, copying only the dicts on the way; absent paths are no-ops."""
    node: object = obj
    for name in path[:-1]:
        node = node.get(name) if isinstance(node, Mapping) else None
    if not isinstance(node, Mapping) or path[-1] not in node:
        return
    parent = obj
    for name in path[:-1]:
        child = dict(parent[name])
        parent[name] = child
        parent = child
    del parent[path[-1]]


def transform_object(obj: Mapping, removes: Iterable[RemovePath] = ()) -> dict:
    """The object as the transport controller wraps it: server-set metadata, status and
    kind-specific fields removed, then the CustomTransform `removes` applied."""
    out = dict(obj)
    meta = out.get("metadata")
    if isinstance(meta, Mapping):
        meta = _without(meta, _STRIPPED_METADATA)
        annotations = meta.get("annotations")
        if isinstance(annotations, Mapping) and LAST_APPLIED_ANNOTATION in annotations:
            meta["annotations"] = _without(annotations, _LAST_APPLIED)
        out["metadata"] = meta
    out.pop("status", None)
    cleaner = _KIND_CLEANERS.get((out.get("apiVersion"), out.get("kind")))
    if cleaner is not None:
        cleaner(out)
    for path in removes:
        _remove(out, path)
    return out


# ---------------------------------------------------------------------------------------------
# CustomTransform `spec.remove` paths


def _is_name_first(ch: str) -> bool:
    return ch.isascii() and (ch.isalpha() or ch == "_") or 0x80 <= ord(ch) <= 0xD7FF or ord(ch) >= 0xE000


def _is_name_char(ch: str) -> bool:
    return _is_name_first(ch) or "0" <= ch <= "9"


def _rune(text: str, i: int) -> str:
    # Go's %q of the rune upstream reports; past the end that rune is 0.
    if i >= len(text):
        return "'\\x00'"
    return "'\\''" if text[i] == "'" else repr(text[i])


def _quoted_string(text: str, start: int) -> tuple[str, int]:
    """A double-quoted string literal starting at `start`; returns its value and the index after it."""
    i = start + 1
    while i < len(text) and text[i] != '"':
        if text[i] == "\\":
            i += 1
            if i >= len(text):
                raise TransformError(f"syntax error at {i}: escape-EOF")
        i += 1
    if i >= len(text):
        raise TransformError(f"syntax error at {i}: missing close quote")
    try:
        return json.loads(text[start:i + 1]), i + 1
    except ValueError:
        raise TransformError(f"lexical error at {i + 1}: invalid string literal {text[start:i + 1]}") from None


def parse_remove_path(text: str) -> RemovePath:
    """A `spec.remove` entry (`$.spec.suspend`, `$["metadata"]["labels"]["app"]`) as member names."""
    if not text.startswith("$"):
        raise TransformError("syntax error at 0: missing root identifier (dollar sign)")
    names: list[str] = []
    i, n = 1, len(text)
    while i < n:
        if text[i] == ".":
            i += 1
            if i >= n or not _is_name_first(text[i]):
                raise TransformError(f"syntax error at {i}: expected member-name-shorthand, got {_rune(text, i)}")
            start = i
            while i < n and _is_name_char(text[i]):
                i += 1
            names.append(text[start:i])
        elif text[i] == "[":
            i += 1
            if i >= n or text[i] != '"':
                raise TransformError(f"syntax error at {i}: expected open quote, got {_rune(text, i)}")
            name, i = _quoted_string(text, i)
            names.append(name)
            if i >= n or text[i] != "]":
                raise TransformError(f"syntax error at {i}: missing close bracket, got {_rune(text, i)}")
            i += 1
        else:
            raise TransformError(f"syntax error at {i}: extra junk {_rune(text, i)} after last segment")
    return tuple(names)


def custom_transform_removes(ct: Mapping) -> tuple[list[RemovePath], list[str]]:
    """A CustomTransform's usable remove paths, and the `status.errors` upstream reports for the rest."""
    removes: list[RemovePath] = []
    errors: list[str] = []
    for i, text in enumerate((ct.get("spec") or {}).get("remove") or ()):
        try:
            path = parse_remove_path(text)
        except TransformError as exc:
            errors.append(f"Error in spec.remove[{i}]: {exc}")
            continue
        if path:
            removes.append(path)
        else:
            errors.append(f"Invalid spec.remove[{i}]: it identifies the whole object")
    return removes, errors
