"""Resource requests: get, list, create, update, patch, delete, deletecollection and the status,
scale, approval and finalize subresources. Watches are in `watchstream`.
"""

from __future__ import annotations

from dataclasses import dataclass

import orjson
from aiohttp import web

from kstellar_tui.sandbox.apiserver import crdschema, errors, managedfields, patch, request_input, tables, validation
from kstellar_tui.sandbox.apiserver.errors import ApiError
from kstellar_tui.sandbox.apiserver.objectfilter import ObjectFilter
from kstellar_tui.sandbox.apiserver.resources import ResourceType
from kstellar_tui.sandbox.apiserver.responses import json_response, status_success
from kstellar_tui.sandbox.apiserver.scale import SCALE_API_VERSION, apply_scale, scale_of
from kstellar_tui.sandbox.apiserver.store import ClusterStore, list_version
from kstellar_tui.sandbox.apiserver.watch import as_version

JSON_PATCH = "application/json-patch+json"
MERGE_PATCH = "application/merge-patch+json"
STRATEGIC_MERGE_PATCH = "application/strategic-merge-patch+json"
APPLY_PATCH = "application/apply-patch+yaml"
PATCH_TYPES = (JSON_PATCH, MERGE_PATCH, STRATEGIC_MERGE_PATCH, APPLY_PATCH)
# Built-ins whose DELETE answers with the deleted object rather than a Status (as upstream's REST storage).
RETURNS_DELETED_OBJECT = frozenset({("", "pods"), ("", "namespaces"),
                                    ("apiextensions.k8s.io", "customresourcedefinitions")})
WARNINGS = web.RequestKey("warnings", list)
LIST_CHUNK = 1000  # objects per piece of a streamed list


@dataclass(frozen=True)
class Target:
    """What a resource URL names."""

    rt: ResourceType
    namespace: str | None
    name: str | None
    subresource: str | None


def verb_check(rt: ResourceType, verb: str) -> None:
    if verb not in rt.verbs:
        raise errors.method_not_allowed()


# --------------------------------------------------------------------------- collections
async def list_objects(request: web.Request, store: ClusterStore, target: Target) -> web.StreamResponse:
    rt = target.rt
    verb_check(rt, "list")
    flt = ObjectFilter(target.namespace, request_input.label_selector(request), request_input.field_selector(request))
    limit, continue_token = request_input.integer(request, "limit"), request.query.get("continue") or None
    meta: dict = {"resourceVersion": str(list_version(store, continue_token))}
    if tables.wants_table(request.headers.get("Accept")):
        page, token, remaining = store.select(rt, flt, limit=limit, continue_token=continue_token)
        _continued(meta, token, remaining)
        return table_response(request, rt, [as_version(obj, rt) for obj, _ in page], meta)
    stored, token, remaining = store.select_json(rt, flt, limit=limit, continue_token=continue_token)
    _continued(meta, token, remaining)
    # Objects are stored at their served version unless the resource has several; only those are re-encoded.
    served = b'{"apiVersion":' + orjson.dumps(rt.api_version) + b","

    def items(start: int, end: int) -> bytes:
        return b",".join(data if data.startswith(served) else orjson.dumps(as_version(orjson.loads(data), rt))
                         for data in stored[start:end])

    head = orjson.dumps({"kind": rt.list_kind, "apiVersion": rt.api_version, "metadata": meta})[:-1] + b',"items":['
    if len(stored) <= LIST_CHUNK:
        return web.Response(body=head + items(0, len(stored)) + b"]}", content_type="application/json")
    # A long list goes out in pieces: one body of 100,000s of objects would be copied whole several
    # times, and asyncio's TLS transport re-slices a large buffer per record it encrypts.
    response = web.StreamResponse(headers={"Content-Type": "application/json"})
    await response.prepare(request)
    await response.write(head)
    for start in range(0, len(stored), LIST_CHUNK):
        await response.write((b"," if start else b"") + items(start, start + LIST_CHUNK))
    await response.write(b"]}")
    await response.write_eof()
    return response


def _continued(meta: dict, token: str | None, remaining: int | None) -> None:
    if token:
        meta["continue"] = token
        meta["remainingItemCount"] = remaining


async def create_object(request: web.Request, store: ClusterStore, target: Target) -> web.StreamResponse:
    rt = target.rt
    verb_check(rt, "create")
    if rt.namespaced and not target.namespace:
        raise errors.method_not_allowed()
    obj = await request_input.read_object(request)
    request_input.check_fits(rt, obj, target.namespace)
    if rt.namespaced:
        obj.setdefault("metadata", {})["namespace"] = target.namespace
    check_unknown_fields(request, rt, obj)
    created = store.create(rt, _recorded(request, rt, None, obj), dry_run=request_input.dry_run(request))
    return json_response(created, status=201)


async def delete_collection(request: web.Request, store: ClusterStore, target: Target) -> web.StreamResponse:
    rt = target.rt
    verb_check(rt, "deletecollection")
    options = await request_input.delete_options(request)
    dry_run = request_input.dry_run(request)
    flt = ObjectFilter(target.namespace, request_input.label_selector(request), request_input.field_selector(request))
    for obj, _ in store.select(rt, flt)[0]:
        meta = obj["metadata"]
        try:
            store.delete(rt, meta.get("namespace"), meta["name"], options=options, dry_run=dry_run)
        except ApiError as error:
            if error.code != 404:  # gone meanwhile (garbage collection): what the caller wanted
                raise
    return json_response(status_success())


# --------------------------------------------------------------------------- single objects
async def get_object(request: web.Request, store: ClusterStore, target: Target) -> web.StreamResponse:
    rt = target.rt
    verb_check(rt, "get")
    obj = store.get(rt, target.namespace, target.name)
    if target.subresource == "scale":
        return json_response(scale_of(obj))
    if tables.wants_table(request.headers.get("Accept")):
        return table_response(request, rt, [obj], {"resourceVersion": obj["metadata"]["resourceVersion"]})
    return json_response(obj)


async def replace_object(request: web.Request, store: ClusterStore, target: Target) -> web.StreamResponse:
    rt = target.rt
    verb_check(rt, "update")
    body = await request_input.read_object(request)
    dry_run = request_input.dry_run(request)
    if target.subresource == "scale":
        request_input.check_fits(rt, body, target.namespace, target.name, api_version=SCALE_API_VERSION,
                                 kind="Scale")
        current = store.get(rt, target.namespace, target.name)
        scaled = _recorded(request, rt, current, apply_scale(current, body), "scale")
        return json_response(scale_of(store.update(rt, scaled, dry_run=dry_run)))
    request_input.check_fits(rt, body, target.namespace, target.name)
    meta = body.setdefault("metadata", {})
    meta["name"] = target.name
    if rt.namespaced:
        meta["namespace"] = target.namespace
    check_unknown_fields(request, rt, body)
    current = store.get(rt, target.namespace, target.name)
    body = _recorded(request, rt, current, body, target.subresource)
    return json_response(store.update(rt, body, subresource=target.subresource, dry_run=dry_run))


async def patch_object(request: web.Request, store: ClusterStore, target: Target) -> web.StreamResponse:
    rt = target.rt
    verb_check(rt, "patch")
    content_type = request.content_type
    accepted = PATCH_TYPES if rt.builtin else errors.PATCH_MEDIA_TYPES  # no strategic merge for CRs
    if content_type not in accepted:
        raise errors.unsupported_media_type(content_type, accepted)
    _check_patch_options(request, content_type)
    body = request_input.decode(await request_input.read_body(request), content_type)
    dry_run = request_input.dry_run(request)
    if content_type == APPLY_PATCH:
        return await _apply(request, store, target, body, dry_run)
    current = store.get(rt, target.namespace, target.name)
    if target.subresource == "scale":
        scale = scale_of(current)
        patched_scale = _patched(content_type, scale, body, rt)
        scaled = _recorded(request, rt, current, apply_scale(current, patched_scale), "scale")
        return json_response(scale_of(store.update(rt, scaled, dry_run=dry_run)))
    patched = _patched(content_type, current, body, rt)
    _keep_identity(rt, patched, current)
    check_unknown_fields(request, rt, patched)
    patched = _recorded(request, rt, current, patched, target.subresource)
    return json_response(store.update(rt, patched, subresource=target.subresource, dry_run=dry_run))


async def delete_object(request: web.Request, store: ClusterStore, target: Target) -> web.StreamResponse:
    rt = target.rt
    verb_check(rt, "delete")
    options = await request_input.delete_options(request)
    result = store.delete(rt, target.namespace, target.name, options=options,
                          dry_run=request_input.dry_run(request))
    still_there = bool(result["metadata"].get("deletionTimestamp")) and not request_input.dry_run(request)
    if still_there or not rt.builtin or rt.key in RETURNS_DELETED_OBJECT:
        return json_response(result, status=202 if still_there else 200)
    details = {"name": target.name, "kind": rt.plural, "uid": result["metadata"].get("uid")}
    if rt.group:
        details["group"] = rt.group
    return json_response(status_success(details))


# --------------------------------------------------------------------------- helpers
def table_response(request: web.Request, rt: ResourceType, objects: list[dict], meta: dict) -> web.Response:
    """What `kubectl get` asks for: a meta.k8s.io/v1 Table of the objects."""
    include = request.query.get("includeObject") or "Metadata"
    table = tables.to_table(rt, objects, include_object=include, list_metadata=meta)
    return json_response(table, content_type=tables.TABLE_CONTENT_TYPE)


def check_unknown_fields(request: web.Request, rt: ResourceType, obj: dict) -> None:
    """Fields the type does not know: 400 under fieldValidation=Strict (what `kubectl apply` sends),
    warnings under Warn (the default). A custom resource's are pruned either way; a built-in's are
    kept under Warn/Ignore (upstream drops them — we have field names, not enough to prune safely)."""
    mode = request_input.field_validation(request)
    if mode == "Ignore":
        return
    unknown = crdschema.unknown_fields(rt, obj)
    if not unknown:
        return
    if mode == "Strict":
        fields = ", ".join(f'unknown field "{path}"' for path in unknown)
        prefix = (f'{rt.kind} in version "{rt.version}" cannot be handled as a {rt.kind}: ' if rt.builtin else "")
        raise errors.bad_request(f"{prefix}strict decoding error: {fields}")
    request[WARNINGS] = [f'unknown field "{path}"' for path in unknown]


def _recorded(request: web.Request, rt: ResourceType, live: dict | None, obj: dict,
              subresource: str | None = None) -> dict:
    """`obj` with the writer's Update entry in managedFields (`?fieldManager=`, else its User-Agent)."""
    manager = managedfields.field_manager(request.query.get("fieldManager"), request.headers.get("User-Agent"))
    return managedfields.record_update(rt, live, obj, manager, subresource=subresource)


def _check_patch_options(request: web.Request, content_type: str) -> None:
    """Upstream's PatchOptions rules: apply needs a fieldManager, only apply may say `force`."""
    if content_type == APPLY_PATCH:
        causes = [] if request.query.get("fieldManager") else [
            ("fieldManager", "Required value: is required for apply patch")]
    else:
        causes = [("force", "Forbidden: may not be specified for non-apply patch")] if "force" in request.query else []
    if causes:
        raise errors.invalid("PatchOptions.meta.k8s.io", "", causes, "meta.k8s.io", "PatchOptions")


def _patched(content_type: str, current: dict, body: object, rt: ResourceType) -> dict:
    if content_type == JSON_PATCH:
        return patch.json_patch(current, body)
    if not isinstance(body, dict):
        raise errors.bad_request(f"the patch must be a JSON object, not {type(body).__name__}")
    if content_type == MERGE_PATCH:
        return patch.merge_patch(current, body)
    return patch.strategic_merge_patch(current, body, rt)


def _keep_identity(rt: ResourceType, patched: dict, current: dict) -> None:
    """A patch cannot rename or move an object, nor retype it."""
    meta = patched.get("metadata")
    if not isinstance(meta, dict):
        raise errors.bad_request("the patched object has no metadata")
    old = current["metadata"]
    if meta.get("name") != old["name"]:
        raise errors.bad_request(f'the name of the object ({meta.get("name")}) does not match the name on the URL '
                                 f'({old["name"]})')
    if rt.namespaced and meta.get("namespace") != old["namespace"]:
        raise errors.bad_request(validation.NAMESPACE_MISMATCH)
    if patched.get("apiVersion") != current["apiVersion"] or patched.get("kind") != current["kind"]:
        raise errors.bad_request("a patch cannot change the apiVersion or kind of an object")


async def _apply(request: web.Request, store: ClusterStore, target: Target, body: object,
                 dry_run: bool) -> web.StreamResponse:
    """Server-side apply: creates the object when it does not exist yet."""
    rt = target.rt
    if not isinstance(body, dict):
        raise errors.bad_request(f"the applied configuration must be an object, not {type(body).__name__}")
    request_input.check_fits(rt, body, target.namespace, target.name)
    try:
        current = store.get(rt, target.namespace, target.name)
    except ApiError as error:
        if error.code != 404 or target.subresource:
            raise
        current = None
    applied = managedfields.apply(current, body, rt, request.query["fieldManager"],
                                  force=request_input.flag(request, "force"), subresource=target.subresource)
    meta = applied.setdefault("metadata", {})
    meta["name"] = target.name
    if rt.namespaced:
        meta["namespace"] = target.namespace
    check_unknown_fields(request, rt, applied)
    if current is None:
        return json_response(store.create(rt, applied, dry_run=dry_run), status=201)
    if not (body.get("metadata") or {}).get("resourceVersion"):
        meta["resourceVersion"] = current["metadata"]["resourceVersion"]
    return json_response(store.update(rt, applied, subresource=target.subresource, dry_run=dry_run))
