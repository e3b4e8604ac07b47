"""The aiohttp application serving one virtual cluster: authentication, faults, errors as Status
bodies, and routing of discovery, OpenAPI and resource URLs to their handlers.
"""

from __future__ import annotations

import asyncio
import hmac
import logging

from aiohttp import web
from aiohttp.web_urldispatcher import _default_expect_handler  # 100 Continue; no public name

from kstellar_tui.sandbox.apiserver import discovery, errors, handlers
from kstellar_tui.sandbox.apiserver.errors import ApiError
from kstellar_tui.sandbox.apiserver.faults import Faults
from kstellar_tui.sandbox.apiserver.handlers import WARNINGS, Target
from kstellar_tui.sandbox.apiserver.openapi import OpenAPIV3
from kstellar_tui.sandbox.apiserver.request_input import flag
from kstellar_tui.sandbox.apiserver.responses import error_response, json_response
from kstellar_tui.sandbox.apiserver.store import ClusterStore
from kstellar_tui.sandbox.apiserver.watchstream import WatchSettings, serve_watch

log = logging.getLogger(__name__)

STORE = web.AppKey("store", ClusterStore)
TOKEN = web.AppKey("token", str)
FAULTS = web.AppKey("faults", Faults)
WATCH_SETTINGS = web.AppKey("watch_settings", WatchSettings)
OPENAPI = web.AppKey("openapi", OpenAPIV3)
# What upstream serves to anyone (system:public-info-viewer): probes and the version.
PUBLIC_PATHS = frozenset({"/healthz", "/livez", "/readyz", "/version"})
RESOURCE_DEPTH = {"api": 2, "apis": 3}  # /api/v1/<resource>..., /apis/<group>/<version>/<resource>...
NOT_FOUND = ApiError(404, "NotFound", "the server could not find the requested resource")

COLLECTION_METHODS = {"POST": handlers.create_object, "DELETE": handlers.delete_collection}
OBJECT_METHODS = {"GET": handlers.get_object, "PUT": handlers.replace_object, "PATCH": handlers.patch_object,
                  "DELETE": handlers.delete_object}


def create_app(store: ClusterStore, *, token: str, faults: Faults | None = None,
               watch_settings: WatchSettings | None = None) -> web.Application:
    """The API of `store`, for requests bearing `token`."""
    app = web.Application(middlewares=[as_status, _durable, authenticate, _inject_faults])
    app[STORE] = store
    app[TOKEN] = token
    app[FAULTS] = faults if faults is not None else Faults()
    app[WATCH_SETTINGS] = watch_settings if watch_settings is not None else WatchSettings()
    app[OPENAPI] = OpenAPIV3(store.registry)
    # every path, newlines (%0A) included: a path no route matches would bypass `_expect`
    app.router.add_route("*", r"/{path:[\s\S]*}", _route, expect_handler=_expect)
    return app


async def _expect(request: web.Request) -> web.StreamResponse | None:
    """`Expect: 100-continue` as aiohttp answers it; any other expectation is a 417 Status (aiohttp's
    own refusal fails with a 500 on a non-ASCII value). Runs before the middlewares, as in Go."""
    if request.headers.get("Expect", "").lower() == "100-continue":
        return await _default_expect_handler(request)
    return error_response(ApiError(417, "ExpectationFailed", "the server cannot meet the Expect header"))


def authorized(request: web.Request, token: str) -> bool:
    """Whether the request carries `Authorization: Bearer <token>` (compared in constant time)."""
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode())


@web.middleware
async def as_status(request: web.Request, handler) -> web.StreamResponse:
    """Every failure leaves as a v1 Status; nothing a client sends can stop the server."""
    try:
        response = await handler(request)
    except ApiError as error:
        response = error_response(error)
    except web.HTTPException as error:
        response = error_response(ApiError(error.status, error.reason.replace(" ", ""), error.text or error.reason))
    except Exception:
        log.exception("internal error serving %s %s", request.method, request.path)
        response = error_response(ApiError(500, "InternalError", "Internal error occurred: see the sandbox log"))
    for warning in request.get(WARNINGS, ()):
        if not response.prepared:
            response.headers.add("Warning", f'299 - "{warning}"')
    return response


@web.middleware
async def _durable(request: web.Request, handler) -> web.StreamResponse:
    """Commit what the request changed before answering it (the store groups writes per loop turn)."""
    try:
        return await handler(request)
    finally:
        request.app[STORE].flush()


@web.middleware
async def authenticate(request: web.Request, handler) -> web.StreamResponse:
    if request.path not in PUBLIC_PATHS and not authorized(request, request.app[TOKEN]):
        raise errors.unauthorized()
    return await handler(request)


@web.middleware
async def _inject_faults(request: web.Request, handler) -> web.StreamResponse:
    faults = request.app[FAULTS]
    if faults.latency_ms > 0:
        await asyncio.sleep(faults.latency_ms / 1000)
    injected = faults.injected_error()
    if injected is not None:
        raise injected
    return await handler(request)


async def _route(request: web.Request) -> web.StreamResponse:
    parts = [p for p in request.path.split("/") if p]
    store = request.app[STORE]
    registry = store.registry
    head = parts[0] if parts else ""
    if head in ("healthz", "livez", "readyz") and len(parts) == 1:
        return web.Response(text="ok")
    if len(parts) > RESOURCE_DEPTH.get(head, len(parts)):
        group, version, rest = ("", parts[1], parts[2:]) if head == "api" else (parts[1], parts[2], parts[3:])
        return await _resource(request, store, _target(store, group, version, rest))
    if request.method not in ("GET", "HEAD"):
        raise errors.method_not_allowed()
    if not parts:
        return json_response({"paths": _root_paths(registry)})
    if parts == ["version"]:
        return json_response(discovery.version_info())
    if head == "openapi":
        return json_response(_openapi(request.app[OPENAPI], parts[1:]))
    if len(parts) == 1:
        body, content_type = discovery.discovery_document(registry, f"/{head}", request.headers.get("Accept"))
        return json_response(body, content_type=content_type)
    if head == "api" or len(parts) == 3:
        group, version = ("", parts[1]) if head == "api" else (parts[1], parts[2])
        return json_response(_required(discovery.api_resource_list(registry, group, version)))
    if head == "apis":
        return json_response(_required(discovery.api_group(registry, parts[1])))
    raise NOT_FOUND


def _root_paths(registry) -> list[str]:
    paths = {"/api", "/api/v1", "/apis", "/healthz", "/livez", "/openapi/v3", "/readyz", "/version"}
    for group, versions in registry.groups():
        paths.add(f"/apis/{group}")
        paths.update(f"/apis/{group}/{version}" for version in versions)
    return sorted(paths)


def _openapi(documents: OpenAPIV3, rest: list[str]) -> dict:
    if rest == ["v3"]:
        return documents.index()
    if len(rest) >= 3 and rest[0] == "v3":
        return _required(documents.document("/".join(rest[1:])))
    raise NOT_FOUND


def _required(document: dict | None) -> dict:
    if document is None:
        raise NOT_FOUND
    return document


def _target(store: ClusterStore, group: str, version: str, rest: list[str]) -> Target:
    """(type, namespace, name, subresource) from the path after /api/v1 or /apis/<g>/<v>."""
    namespace = None
    if len(rest) >= 3 and rest[0] == "namespaces" and not (len(rest) == 3 and rest[2] in ("status", "finalize")):
        namespace, rest = rest[1], rest[2:]
    if len(rest) > 3:
        raise NOT_FOUND
    plural, name, subresource = [*rest, None, None][:3]
    rt = store.registry.lookup(group, version, plural)
    if rt is None or (namespace is not None and not rt.namespaced):
        raise NOT_FOUND
    if subresource is not None and subresource not in rt.subresources:
        raise NOT_FOUND
    if rt.namespaced and namespace is None and name is not None:
        raise NOT_FOUND
    return Target(rt, namespace, name, subresource)


async def _resource(request: web.Request, store: ClusterStore, target: Target) -> web.StreamResponse:
    method = request.method
    if target.name is None:
        if method == "GET":
            if flag(request, "watch"):
                return await serve_watch(request, store, target, request.app[WATCH_SETTINGS])
            return await handlers.list_objects(request, store, target)
        handler = COLLECTION_METHODS.get(method)
    else:
        handler = OBJECT_METHODS.get(method)
        if target.subresource is not None and method == "DELETE":
            handler = None
    if handler is None:
        raise errors.method_not_allowed()
    return await handler(request, store, target)
