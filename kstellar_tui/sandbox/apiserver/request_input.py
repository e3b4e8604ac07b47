"""Reading what a client sent: bodies (JSON or YAML, size-limited), query options and selectors.

Everything a client can get wrong becomes an ApiError with upstream's code, so bad input is a
4xx Status and never a crash or a half-applied write.
"""

from __future__ import annotations

from typing import Any

import orjson
import yaml
from aiohttp import web

from kstellar_tui.core import manifests
from kstellar_tui.core.fleet.selectors import SelectorError, parse_field_selector, parse_selector
from kstellar_tui.sandbox.apiserver import errors, protobuf, validation
from kstellar_tui.sandbox.apiserver.resources import ResourceType

MAX_BODY_BYTES = 3 * 1024 * 1024  # upstream's limit for a request body
JSON_TYPES = ("application/json", "application/json-patch+json", "application/merge-patch+json",
              "application/strategic-merge-patch+json")
YAML_TYPES = ("application/yaml", "application/apply-patch+yaml", "text/yaml", "application/x-yaml")
OBJECT_TYPES = ("application/json", "application/yaml", protobuf.MEDIA_TYPE)


async def read_body(request: web.Request) -> bytes:
    """The raw body; 413 beyond 3 MiB."""
    if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
        raise errors.too_large(MAX_BODY_BYTES)
    chunks, size = [], 0
    async for chunk in request.content.iter_chunked(65536):
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise errors.too_large(MAX_BODY_BYTES)
        chunks.append(chunk)
    return b"".join(chunks)


def decode(body: bytes, content_type: str) -> Any:
    """A JSON, YAML or (kubectl's typed clients) Kubernetes protobuf document; 400 with the
    parser's reason when it does not parse, 415 for other media types."""
    if content_type not in JSON_TYPES and content_type not in YAML_TYPES and content_type != protobuf.MEDIA_TYPE:
        raise errors.unsupported_media_type(content_type, OBJECT_TYPES)
    if not body.strip():
        raise errors.bad_request("the request body is empty")
    if content_type == protobuf.MEDIA_TYPE:
        return protobuf.decode_body(content_type, body)
    if content_type in YAML_TYPES:
        try:
            return manifests.load_one(body)  # refuses alias bombs, as the API server's YAML decoder does
        except yaml.YAMLError as error:
            raise errors.bad_request(f"error converting YAML to JSON: {error}") from None
    try:
        value = orjson.loads(body)
    except orjson.JSONDecodeError as error:
        raise errors.bad_request(f"the request body is not valid JSON: {error}") from None
    # Deeper than any object, where copies and encoders would recurse out. Only a body with more
    # brackets than levels allowed can be that deep: most skip the walk.
    if body.count(b"[") + body.count(b"{") > manifests.MAX_DEPTH and manifests.too_deep(value):
        raise errors.bad_request(f"the request body is nested more than {manifests.MAX_DEPTH} levels deep")
    return value


def content_type(request: web.Request) -> str:
    """The body's media type; JSON when the client names none."""
    return request.content_type if "Content-Type" in request.headers else "application/json"


async def read_object(request: web.Request) -> dict:
    """The body as a JSON object (a mapping); 415 for media types other than JSON and YAML, 400
    for anything that does not parse into an object."""
    media_type = content_type(request)
    if media_type not in OBJECT_TYPES:
        raise errors.unsupported_media_type(media_type, OBJECT_TYPES)
    obj = decode(await read_body(request), media_type)
    if not isinstance(obj, dict):
        raise errors.bad_request(f"the request body must be a JSON object, not {type(obj).__name__}")
    return obj


def check_fits(rt: ResourceType, obj: dict, namespace: str | None, name: str | None = None, *,
               api_version: str | None = None, kind: str | None = None) -> None:
    """400 when the body's apiVersion, kind, namespace or name contradict the URL."""
    expected_version, expected_kind = api_version or rt.api_version, kind or rt.kind
    given_version, given_kind = obj.get("apiVersion"), obj.get("kind")
    if given_version and given_version != expected_version:
        raise errors.bad_request(f"the API version in the data ({given_version}) does not match the expected "
                                 f"API version ({expected_version})")
    if given_kind and given_kind != expected_kind:
        raise errors.bad_request(f"the kind in the data ({given_kind}) does not match the expected kind "
                                 f"({expected_kind}) for {rt.group_resource}")
    meta = obj.get("metadata")
    if meta is None:
        return
    if not isinstance(meta, dict):
        raise errors.bad_request("metadata must be an object")
    given_namespace = meta.get("namespace")
    if rt.namespaced and given_namespace and namespace and given_namespace != namespace:
        raise errors.bad_request(validation.NAMESPACE_MISMATCH)
    if name is not None and meta.get("name") and meta["name"] != name:
        raise errors.bad_request(f"the name of the object ({meta['name']}) does not match the name on the URL ({name})")


def dry_run(request: web.Request) -> bool:
    values = request.query.getall("dryRun", [])
    for value in values:
        if value != "All":
            raise errors.bad_request(f'dryRun: Unsupported value: "{value}": supported values: "All"')
    return bool(values)


def flag(request: web.Request, name: str) -> bool:
    return request.query.get(name, "").lower() in ("1", "true")


def integer(request: web.Request, name: str) -> int | None:
    value = request.query.get(name)
    if value in (None, ""):
        return None
    try:
        number = int(value)
    except ValueError:
        raise errors.bad_request(f'invalid value for {name}: "{value}" is not an integer') from None
    if number < 0:
        raise errors.bad_request(f"{name} must be non-negative")
    return number


def label_selector(request: web.Request) -> Any:
    text = request.query.get("labelSelector", "")
    if not text:
        return None
    try:
        return parse_selector(text)
    except SelectorError as error:
        raise errors.bad_request(str(error)) from None


def field_selector(request: web.Request) -> list[tuple[str, str, str]]:
    text = request.query.get("fieldSelector", "")
    if not text:
        return []
    try:
        return parse_field_selector(text)
    except (SelectorError, ValueError) as error:
        raise errors.bad_request(str(error)) from None


def field_validation(request: web.Request) -> str:
    """Strict, Warn (the server default) or Ignore."""
    value = request.query.get("fieldValidation") or "Warn"
    if value not in ("Strict", "Warn", "Ignore"):
        raise errors.bad_request(f'fieldValidation: Unsupported value: "{value}": supported values: '
                                 '"Ignore", "Strict", "Warn"')
    return value


async def delete_options(request: web.Request) -> dict:
    """DeleteOptions from the body (kubectl, client-go, the Python client) and the query string."""
    body = await read_body(request)
    options: dict = {}
    if body.strip():
        decoded = decode(body, content_type(request))
        if not isinstance(decoded, dict):
            raise errors.bad_request("DeleteOptions must be a JSON object")
        options = decoded
    query = request.query
    if "propagationPolicy" in query:
        options["propagationPolicy"] = query["propagationPolicy"]
    if "orphanDependents" in query:
        options["orphanDependents"] = query["orphanDependents"].lower() == "true"
    grace = integer(request, "gracePeriodSeconds")
    if grace is not None:
        options["gracePeriodSeconds"] = grace
    return options
