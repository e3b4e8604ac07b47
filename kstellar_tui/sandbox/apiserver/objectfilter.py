"""Which objects a list or watch asked for: namespace, label selector and field selector."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol


class LabelSelector(Protocol):
    def matches(self, labels: Any) -> bool: ...


def field_value(obj: dict, path: str) -> str:
    """The value a field selector compares: a dotted path into the object, "" when absent.

    Upstream serves a few fields per kind (metadata.name and metadata.namespace everywhere,
    involvedObject.* on events, spec.nodeName on pods ...); a dotted path covers all of them.
    """
    value: Any = obj
    for part in path.split("."):
        if not isinstance(value, dict):
            return ""
        value = value.get(part)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class ObjectFilter:
    """A predicate over stored objects; `everything` lets hot paths skip the checks."""

    __slots__ = ("everything", "fields", "labels", "namespace", "namespace_only")

    def __init__(self, namespace: str | None = None, labels: LabelSelector | None = None,
                 fields: Sequence[tuple[str, str, str]] | None = None) -> None:
        self.namespace = namespace or None
        self.labels = labels
        self.fields = tuple(fields or ())
        self.namespace_only = self.labels is None and not self.fields  # decided without the object's body
        self.everything = self.namespace_only and self.namespace is None

    def matches(self, obj: dict) -> bool:
        if self.everything:
            return True
        meta = obj.get("metadata") or {}
        if self.namespace is not None and meta.get("namespace") != self.namespace:
            return False
        if self.labels is not None and not self.labels.matches(meta.get("labels") or {}):
            return False
        for path, op, expected in self.fields:
            equal = field_value(obj, path) == expected
            if equal != (op in ("=", "==")):
                return False
        return True
