"""The sandbox's admin API (docs/dev/sandbox-contracts.md, "Admin API"): status, shutdown,
clusters and faults, on its own loopback port with the same TLS and token as the clusters.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiohttp import web

from kstellar_tui.sandbox.apiserver import errors
from kstellar_tui.sandbox.apiserver.errors import ApiError
from kstellar_tui.sandbox.apiserver.request_input import read_object
from kstellar_tui.sandbox.apiserver.responses import json_response, status_success
from kstellar_tui.sandbox.apiserver.server import TOKEN, as_status, authenticate

if TYPE_CHECKING:
    from kstellar_tui.sandbox.runtime import Sandbox

SANDBOX = web.AppKey("sandbox", object)
FAULT_KINDS = ("offline", "online", "drop-watches", "expire-history", "latency", "errors", "clear")


def create_admin_app(sandbox: Sandbox) -> web.Application:
    app = web.Application(middlewares=[as_status, authenticate])
    app[TOKEN] = sandbox.token
    app[SANDBOX] = sandbox
    app.router.add_get("/_sandbox/status", _status)
    app.router.add_post("/_sandbox/shutdown", _shutdown)
    app.router.add_post("/_sandbox/clusters", _add_cluster)
    app.router.add_delete("/_sandbox/clusters/{name}", _remove_cluster)
    app.router.add_post("/_sandbox/faults/{kind}", _fault)
    app.router.add_routes(sandbox.admin_routes)
    return app


def sandbox_of(request: web.Request) -> Sandbox:
    return request.app[SANDBOX]  # type: ignore[return-value]


def _unknown_cluster(name: str) -> ApiError:
    return ApiError(404, "NotFound", f'cluster "{name}" not found', {"name": name, "kind": "clusters"})


async def _status(request: web.Request) -> web.Response:
    return json_response(sandbox_of(request).status())


async def _shutdown(request: web.Request) -> web.Response:
    sandbox_of(request).shutdown_requested.set()
    return json_response(status_success(), status=202)


async def _add_cluster(request: web.Request) -> web.Response:
    sandbox = sandbox_of(request)
    name = (await read_object(request)).get("name")
    if not isinstance(name, str):
        raise errors.bad_request('the body must be {"name": "<cluster name>"}')
    if name in sandbox.clusters:
        raise ApiError(409, "AlreadyExists", f'cluster "{name}" already exists', {"name": name, "kind": "clusters"})
    try:
        await sandbox.add_cluster(name)
    except ValueError as error:
        raise errors.bad_request(str(error)) from None
    return json_response({"name": name, "port": sandbox.ports[name]}, status=201)


async def _remove_cluster(request: web.Request) -> web.Response:
    name = request.match_info["name"]
    try:
        await sandbox_of(request).remove_cluster(name)
    except KeyError:
        raise _unknown_cluster(name) from None
    return json_response(status_success({"name": name, "kind": "clusters"}))


async def _fault(request: web.Request) -> web.Response:
    sandbox = sandbox_of(request)
    kind = request.match_info["kind"]
    if kind not in FAULT_KINDS:
        raise ApiError(404, "NotFound", f'unknown fault "{kind}": one of {", ".join(FAULT_KINDS)}')
    body = await read_object(request) if request.can_read_body else {}
    cluster, value = body.get("cluster"), body.get("value")
    if cluster is not None and cluster not in sandbox.clusters:
        raise _unknown_cluster(str(cluster))
    try:
        await _apply_fault(sandbox, kind, cluster, value)
    except ValueError as error:
        raise errors.bad_request(str(error)) from None
    return json_response(sandbox.status())


async def _apply_fault(sandbox: Sandbox, kind: str, cluster: str | None, value: Any) -> None:
    names = [cluster] if cluster is not None else list(sandbox.clusters)
    if kind in ("offline", "online"):
        for name in names:
            await sandbox.set_offline(name, kind == "offline")
    elif kind == "drop-watches":
        sandbox.drop_watches(cluster)
    elif kind == "expire-history":
        sandbox.expire_history(cluster)
    elif kind == "latency":
        sandbox.set_latency(cluster, _number(value, "latency (milliseconds)", minimum=0))
    elif kind == "errors":
        sandbox.set_error_rate(cluster, _number(value, "errors (a rate from 0 to 1)", minimum=0))
    else:
        await sandbox.clear_faults(cluster)


def _number(value: Any, what: str, *, minimum: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value < minimum:
        raise ValueError(f"{what} needs a numeric value >= {minimum}, got {value!r}")
    return float(value)
