"""JSON responses as kube-apiserver writes them."""

from __future__ import annotations

from typing import Any

import orjson
from aiohttp import web

from kstellar_tui.sandbox.apiserver.errors import ApiError


def json_response(obj: Any, status: int = 200, content_type: str = "application/json") -> web.Response:
    response = web.Response(body=orjson.dumps(obj), status=status)
    response.headers["Content-Type"] = content_type
    return response


def error_response(error: ApiError) -> web.Response:
    return json_response(error.status(), status=error.code)


def status_success(details: dict | None = None) -> dict:
    body: dict = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success"}
    if details:
        body["details"] = details
    return body
