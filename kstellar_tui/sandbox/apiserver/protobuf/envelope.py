"""The envelope around every Kubernetes protobuf body: the magic `k8s\\x00`, then a runtime.Unknown
message whose typeMeta names the kind and whose raw field holds the object's own message.
"""

from __future__ import annotations

from typing import Any

from kstellar_tui.sandbox.apiserver import errors
from kstellar_tui.sandbox.apiserver.protobuf import jsonshape, schema, wire
from kstellar_tui.sandbox.apiserver.protobuf.wire import ProtobufError

MEDIA_TYPE = "application/vnd.kubernetes.protobuf"
MAGIC = b"k8s\x00"


def decode_body(content_type: str, data: bytes) -> dict[str, Any]:
    """A protobuf request body as the JSON-shaped dict a JSON body of the same object parses to.

    400 for bytes that are not a well-formed envelope and message; 415 for kinds we have no tables for
    (the client can send them as JSON instead).
    """
    if content_type != MEDIA_TYPE:
        raise errors.unsupported_media_type(content_type, (MEDIA_TYPE,))
    try:
        api_version, kind, raw = _unwrap(data)
        message = schema.kind_message(api_version, kind)
        if message is None:
            raise errors.ApiError(415, "UnsupportedMediaType",
                                  f"the sandbox cannot read {kind} ({api_version}) as protobuf; send it as JSON")
        return {"kind": kind, "apiVersion": api_version, **jsonshape.decode(message, raw)}
    except ProtobufError as error:
        raise errors.bad_request(f"the protobuf request body is malformed: {error}") from None


def _unwrap(data: bytes) -> tuple[str, str, bytes]:
    """(apiVersion, kind, raw) from runtime.Unknown: typeMeta 1 {apiVersion 1, kind 2}, raw 2,
    contentEncoding 3, contentType 4."""
    if not data.startswith(MAGIC):
        raise ProtobufError("it does not start with the protobuf prefix k8s\\x00")
    envelope = _strings_and_bytes(data[len(MAGIC):], "runtime.Unknown")
    type_meta = _strings_and_bytes(envelope.get(1, b""), "runtime.TypeMeta")
    api_version, kind = (type_meta.get(number, b"").decode("utf-8", "replace") for number in (1, 2))
    if not api_version or not kind:
        raise ProtobufError("the envelope does not name the object's apiVersion and kind")
    if envelope.get(3):
        encoding = envelope[3].decode("utf-8", "replace")
        raise errors.ApiError(415, "UnsupportedMediaType", f"protobuf content encoding {encoding!r} is not supported")
    return api_version, kind, envelope.get(2, b"")


def _strings_and_bytes(data: bytes, message: str) -> dict[int, bytes]:
    """A message whose fields are all length-delimited; the last occurrence of each wins."""
    values: dict[int, bytes] = {}
    for number, wire_type, value in wire.fields(data):
        if wire_type != wire.LENGTH_DELIMITED:
            raise ProtobufError(f"{message} field {number} has wire type {wire_type}, not length-delimited")
        values[number] = value
    return values
