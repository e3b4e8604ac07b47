"""The topology's admin endpoints under /_sandbox/, the HTTP face of `admin_ops` and `presets`.

Add them with `sandbox.admin_routes.extend(routes(topology))` before `Sandbox.start()`.
Errors are `ApiError`s, which the admin app answers as `v1 Status` bodies."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aiohttp import web

from kstellar_tui.sandbox import admin_ops, presets
from kstellar_tui.sandbox.apiserver import errors
from kstellar_tui.sandbox.apiserver.request_input import read_object
from kstellar_tui.sandbox.apiserver.responses import json_response
from kstellar_tui.sandbox.controllers.manager import TopologyManager


def routes(topology: TopologyManager) -> list[web.RouteDef]:
    async def install(request: web.Request) -> web.Response:
        body = await _body(request)
        its = admin_ops.parse_spaces(body.get("ITSes", [{"name": "its1"}]), "ITSes")
        wds = admin_ops.parse_spaces(body.get("WDSes", [{"name": "wds1"}]), "WDSes")
        return json_response(await admin_ops.install_core(topology, its, wds))

    async def uninstall(request: web.Request) -> web.Response:
        return json_response(await admin_ops.uninstall_core(topology))

    async def token(request: web.Request) -> web.Response:
        return json_response(admin_ops.get_token(topology, request.match_info["its"]))

    async def join(request: web.Request) -> web.Response:
        body = await _body(request)
        cluster_name = body.get("clusterName")
        result = await admin_ops.join(topology, _text(body, "cluster"), its=_text(body, "its", "its1"),
                                      token=_text(body, "token"),
                                      cluster_name=_text(body, "clusterName") if cluster_name is not None else None)
        return json_response(result, status=201)

    async def accept(request: web.Request) -> web.Response:
        body = await _body(request)
        clusters = body.get("clusters")
        if not isinstance(clusters, list) or not clusters or not all(isinstance(c, str) for c in clusters):
            raise errors.bad_request("clusters: a non-empty list of cluster names is required")
        return json_response({"lines": admin_ops.accept(topology, _text(body, "its", "its1"), clusters)})

    async def preset(request: web.Request) -> web.Response:
        options = presets.PresetOptions.from_json(await _body(request))
        return json_response(await presets.apply(topology, request.match_info["name"], options))

    return [web.post("/_sandbox/core", install), web.delete("/_sandbox/core", uninstall),
            web.get("/_sandbox/its/{its}/token", token), web.post("/_sandbox/join", join),
            web.post("/_sandbox/accept", accept), web.post("/_sandbox/presets/{name}", preset)]


async def _body(request: web.Request) -> dict[str, Any]:
    return await read_object(request) if request.can_read_body else {}


def _text(body: Mapping[str, Any], field: str, default: str | None = None) -> str:
    value = body.get(field, default)
    if not isinstance(value, str) or not value:
        raise errors.bad_request(f"{field}: a non-empty string is required")
    return value
