"""A k8s protobuf message as the dict its JSON form parses to, so both paths hand the server the same.

kubectl's JSON is Go's encoding/json over the typed struct, so decoding follows Go: a field missing
from the bytes holds its zero value; `omitempty` drops zero scalars and empty lists and maps, never
structs; a nil pointer, list or map is dropped under `omitempty` and is null otherwise. Fields
without a table entry are skipped, as upstream's generated unmarshallers skip unknown fields.
"""

from __future__ import annotations

import base64
from collections import defaultdict
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

import orjson

from kstellar_tui.sandbox.apiserver.protobuf import schema, wire
from kstellar_tui.sandbox.apiserver.protobuf.schema import Field
from kstellar_tui.sandbox.apiserver.protobuf.wire import ProtobufError

_OMIT = object()
_ZERO: dict[str, Any] = {"string": "", "int32": 0, "int64": 0, "bool": False, "bytes": None}
_GO_ZERO_TIME = -62135596800  # time.Time{}.Unix(), 0001-01-01T00:00:00Z: Go writes it as null
Occurrence = tuple[int, int | bytes]  # (wire type, value) of one field on the wire


def decode(message: str, data: bytes) -> dict[str, Any]:
    """The message named by a table, read from its bytes."""
    seen: dict[int, list[Occurrence]] = defaultdict(list)
    for number, wire_type, value in wire.fields(data):
        seen[number].append((wire_type, value))
    out: dict[str, Any] = {}
    for field in schema.MESSAGES[message]:
        where = f"{message}.{field.name}"
        occurrences = seen.get(field.number, [])
        if field.inline:
            out.update(decode(field.kind, _merged(occurrences, where)))
            continue
        value = _field_value(field, occurrences, where)
        if value is not _OMIT:
            out[field.name] = value
    return out


def _field_value(field: Field, occurrences: list[Occurrence], where: str) -> Any:
    """Go's omitempty skips nil pointers, empty lists and maps and zero scalars, but never a struct."""
    if field.shape == "list":
        value = [item for wire_type, raw in occurrences for item in _items(field.kind, wire_type, raw, where)]
    elif field.shape != "single":
        value = dict(_entry(field, _bytes(wire_type, raw, where), where) for wire_type, raw in occurrences)
    elif field.pointer:  # a set pointer is written whatever it points to
        return _single(field.kind, occurrences, where) if occurrences else (_OMIT if field.omitempty else None)
    else:
        value = _single(field.kind, occurrences, where) if occurrences else _zero(field.kind, where)
        if field.omitempty and field.kind in schema.SCALARS and value in ("", 0, None):
            return _OMIT
        return value
    return value or (_OMIT if field.omitempty else None)


def _single(kind: str, occurrences: list[Occurrence], where: str) -> Any:
    """A non-repeated field sent more than once: the last scalar wins, messages merge (proto2 rules)."""
    if kind in schema.SCALARS:
        return _scalar(kind, *occurrences[-1], where)
    return _struct(kind, _merged(occurrences, where), where)


def _items(kind: str, wire_type: int, raw: int | bytes, where: str) -> list[Any]:
    """One occurrence of a repeated field: one element, or several when numbers come packed."""
    if kind in ("int32", "int64", "bool") and wire_type == wire.LENGTH_DELIMITED:
        return [_scalar(kind, wire.VARINT, value, where) for value in wire.packed_varints(raw)]
    return [_element(kind, wire_type, raw, where)]


def _element(kind: str, wire_type: int, raw: int | bytes, where: str) -> Any:
    if kind in schema.SCALARS:
        return _scalar(kind, wire_type, raw, where)
    return _struct(kind, _bytes(wire_type, raw, where), where)


def _entry(field: Field, data: bytes, where: str) -> tuple[str, Any]:
    """A map entry: a message with the key as field 1 and the value as field 2."""
    parts = _last_of_each(data)
    key = _part(parts, 1, "string", where)
    if field.shape == "map-of-lists":  # the list rides in a wrapper message, as field 1 of it
        wrapper = _bytes(*parts[2], where) if 2 in parts else b""
        items = [item for number, wire_type, raw in wire.fields(wrapper) if number == 1
                 for item in _items(field.kind, wire_type, raw, where)]
        return key, items or None
    if 2 not in parts:
        return key, _zero(field.kind, where)
    return key, _element(field.kind, *parts[2], where)


def _scalar(kind: str, wire_type: int, raw: int | bytes, where: str) -> Any:
    if kind == "string":
        return _bytes(wire_type, raw, where).decode("utf-8", "replace")  # as Go's JSON writes bad UTF-8
    if kind == "bytes":
        return base64.b64encode(_bytes(wire_type, raw, where)).decode("ascii")
    if wire_type != wire.VARINT:
        raise _wrong_wire_type(where, wire.VARINT, wire_type)
    if kind == "bool":
        return raw != 0
    return wire.signed(raw, 32 if kind == "int32" else 64)


def _struct(kind: str, data: bytes, where: str) -> Any:
    special = _SPECIALS.get(kind)
    return special(data, where) if special else decode(kind, data)


def _zero(kind: str, where: str) -> Any:
    return _ZERO[kind] if kind in schema.SCALARS else _struct(kind, b"", where)


def _bytes(wire_type: int, raw: int | bytes, where: str) -> bytes:
    if wire_type != wire.LENGTH_DELIMITED:
        raise _wrong_wire_type(where, wire.LENGTH_DELIMITED, wire_type)
    return raw


def _merged(occurrences: list[Occurrence], where: str) -> bytes:
    return b"".join(_bytes(wire_type, raw, where) for wire_type, raw in occurrences)


def _last_of_each(data: bytes) -> dict[int, Occurrence]:
    return {number: (wire_type, raw) for number, wire_type, raw in wire.fields(data)}


def _part(parts: dict[int, Occurrence], number: int, kind: str, where: str) -> Any:
    return _scalar(kind, *parts[number], where) if number in parts else _ZERO[kind]


def _wrong_wire_type(where: str, expected: int, got: int) -> ProtobufError:
    return ProtobufError(f"{where}: expected a {wire.WIRE_TYPE_NAMES[expected]} value, got wire type {got}")


def _time(data: bytes, where: str) -> str | None:
    """metav1.Time: seconds (field 1) only, as upstream reads it; RFC 3339 in UTC, null when zero."""
    if not data:
        return None
    seconds = _part(_last_of_each(data), 1, "int64", where)
    if seconds == _GO_ZERO_TIME:
        return None
    try:
        moment = datetime.fromtimestamp(seconds, tz=timezone.utc)
    except (OverflowError, OSError, ValueError):
        raise ProtobufError(f"{where}: {seconds} seconds is not a time JSON can show") from None
    return moment.isoformat().replace("+00:00", "Z")


def _quantity(data: bytes, where: str) -> str:
    """resource.Quantity: its canonical string (field 1); Go's zero Quantity is "0"."""
    parts = _last_of_each(data)
    if 1 not in parts:
        return "0"
    text = _part(parts, 1, "string", where)
    if not text:
        raise ProtobufError(f"{where}: a quantity cannot be empty")
    return text


def _int_or_string(data: bytes, where: str) -> int | str:
    """intstr.IntOrString: type (field 1) says whether intVal (2) or strVal (3) is the value."""
    parts = _last_of_each(data)
    value_type = _part(parts, 1, "int64", where)
    if value_type not in (0, 1):
        raise ProtobufError(f"{where}: IntOrString type {value_type} is neither 0 (int) nor 1 (string)")
    return _part(parts, 3, "string", where) if value_type else _part(parts, 2, "int32", where)


def _fields_v1(data: bytes, where: str) -> Any:
    """metav1.FieldsV1: managed-fields JSON carried as raw bytes (field 1)."""
    parts = _last_of_each(data)
    raw = _bytes(*parts[1], where) if 1 in parts else b""
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as error:
        raise ProtobufError(f"{where}: the managed fields are not JSON: {error}") from None


_SPECIALS: dict[str, Callable[[bytes, str], Any]] = {
    "Time": _time, "Quantity": _quantity, "IntOrString": _int_or_string, "FieldsV1": _fields_v1,
}
