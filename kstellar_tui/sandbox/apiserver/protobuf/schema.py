"""Field tables: which protobuf field of which k8s message holds which JSON field, and of what Go type.

A table lists a message's fields as `"<number> <json name> <Go type>[,omitempty][,inline]"`, taken from
the struct tags in k8s.io/api's types.go, e.g. `"1 replicas *int32,omitempty"`. Go types are

  string int32 int64 bool bytes      scalars (`bytes` is Go's []byte: base64 in JSON)
  Time Quantity IntOrString FieldsV1 apimachinery's types with their own JSON forms
  core.v1.PodSpec ...                another table
  *T  []T  map[string]T  map[string][]T   pointer, list, map (a list value rides in a wrapper message)

`omitempty` and pointers matter because a message's JSON is what Go's encoding/json writes for the
struct the bytes unmarshal into: the tables are how we know which zero values JSON would show.
`inline` merges the nested message's fields into the parent (Go's `json:",inline"`).
Adding a kind is adding its tables to a module in `messages` and a line to that module's KINDS.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from kstellar_tui.sandbox.apiserver.protobuf.messages import access, core, meta, networking, pod, workloads

SCALARS = ("string", "int32", "int64", "bool", "bytes")
SPECIALS = ("Time", "Quantity", "IntOrString", "FieldsV1")
ANY_VERSION = "*"  # a KINDS key for options kinds every group version registers (DeleteOptions)

_SPEC = re.compile(r"(?P<number>\d+) (?P<name>\w+) (?P<pointer>\*)?(?P<shape>\[\]|map\[string\](?:\[\])?)?"
                   r"(?P<kind>[\w.]+)(?P<flags>(?:,omitempty|,inline)*)")


@dataclass(frozen=True)
class Field:
    number: int
    name: str
    kind: str  # a scalar, a special, or a message table's name
    shape: str = "single"  # "single", "list", "map" or "map-of-lists"
    pointer: bool = False
    omitempty: bool = False
    inline: bool = False


def parse_field(spec: str) -> Field:
    match = _SPEC.fullmatch(spec)
    if match is None or (match["pointer"] and match["shape"]):
        raise ValueError(f"unreadable field spec {spec!r}")
    shape = {None: "single", "[]": "list", "map[string]": "map", "map[string][]": "map-of-lists"}[match["shape"]]
    return Field(int(match["number"]), match["name"], match["kind"], shape, pointer=bool(match["pointer"]),
                 omitempty=",omitempty" in match["flags"], inline=",inline" in match["flags"])


def _load() -> tuple[dict[str, tuple[Field, ...]], dict[tuple[str, str], str]]:
    messages: dict[str, tuple[Field, ...]] = {}
    kinds: dict[tuple[str, str], str] = {}
    for module in (meta, pod, core, workloads, access, networking):
        messages.update({name: tuple(map(parse_field, specs)) for name, specs in module.MESSAGES.items()})
        kinds.update(module.KINDS)
    known = set(messages) | set(SCALARS) | set(SPECIALS)
    for name, table in messages.items():
        for field in table:
            if field.kind not in known:
                raise ValueError(f"{name}.{field.name} refers to {field.kind}, which has no table")
    for message in kinds.values():
        if message not in messages:
            raise ValueError(f"kind message {message} has no table")
    return messages, kinds


MESSAGES, KINDS = _load()


def kind_message(api_version: str, kind: str) -> str | None:
    """The table for a top-level object of this apiVersion and kind, if we have one."""
    return KINDS.get((api_version, kind)) or KINDS.get((ANY_VERSION, kind))
