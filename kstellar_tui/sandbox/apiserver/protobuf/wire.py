"""The protobuf wire format, read field by field: all a Kubernetes object body needs.

Only what proto2 messages from k8s.io/api use: varints, 64- and 32-bit fixed values and
length-delimited bytes. Groups (wire types 3 and 4) are long deprecated and never sent.
"""

from __future__ import annotations

from collections.abc import Iterator

VARINT, FIXED64, LENGTH_DELIMITED, FIXED32 = 0, 1, 2, 5
WIRE_TYPE_NAMES = {VARINT: "varint", FIXED64: "fixed64", LENGTH_DELIMITED: "length-delimited", FIXED32: "fixed32"}
_MAX_VARINT_BYTES = 10


class ProtobufError(ValueError):
    """The bytes are not a valid encoding of the message they claim to be."""


def read_varint(data: bytes, pos: int) -> tuple[int, int]:
    """The unsigned varint at `pos`, and the position after it."""
    value = 0
    for index in range(_MAX_VARINT_BYTES):
        if pos >= len(data):
            raise ProtobufError("truncated varint")
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << (7 * index)
        if not byte & 0x80:
            return value & 0xFFFF_FFFF_FFFF_FFFF, pos
    raise ProtobufError("varint longer than 10 bytes")


def fields(data: bytes) -> Iterator[tuple[int, int, int | bytes]]:
    """(field number, wire type, value) in wire order: an int for varints, bytes for everything else."""
    pos = 0
    while pos < len(data):
        key, pos = read_varint(data, pos)
        number, wire_type = key >> 3, key & 7
        if number == 0:
            raise ProtobufError("field number 0 is not allowed")
        if wire_type == VARINT:
            value, pos = read_varint(data, pos)
            yield number, wire_type, value
            continue
        if wire_type == LENGTH_DELIMITED:
            size, pos = read_varint(data, pos)
        elif wire_type in (FIXED64, FIXED32):
            size = 8 if wire_type == FIXED64 else 4
        else:
            raise ProtobufError(f"field {number} has unsupported wire type {wire_type}")
        if pos + size > len(data):
            raise ProtobufError(f"field {number} is truncated")
        yield number, wire_type, data[pos:pos + size]
        pos += size


def packed_varints(data: bytes) -> Iterator[int]:
    """The varints of a packed repeated field."""
    pos = 0
    while pos < len(data):
        value, pos = read_varint(data, pos)
        yield value


def signed(value: int, bits: int) -> int:
    """A varint as Go's intN conversion reads it: two's complement, truncated to `bits`."""
    value &= (1 << bits) - 1
    return value - (1 << bits) if value >> (bits - 1) else value
