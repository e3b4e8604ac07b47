"""Raw JSON requests over the official client's transport: plain dicts in and out, no models.

`kubernetes.client.ApiClient` owns auth (tokens, exec plugins, client certificates) and the
connection pool; we only use its `param_serialize` + `call_api`, so a request costs one
orjson decode instead of a model tree. Failures raise `ApiStatusError` carrying the server's
`Status` message, which is what users should read.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import orjson

FIELD_MANAGER = "kstellar-tui"
APPLY_PATCH = "application/apply-patch+yaml"
MERGE_PATCH = "application/merge-patch+json"
JSON = "application/json"
DEFAULT_TIMEOUT = (5.0, 30.0)  # (connect, read) seconds

Query = Iterable[tuple[str, str]]


class ApiStatusError(Exception):
    """The server answered with a failure `Status`; `reason` and `details` are Status fields."""

    def __init__(self, code: int, message: str, reason: str = "", details: Mapping | None = None):
        super().__init__(message)
        self.code = code
        self.reason = reason
        self.details = dict(details or {})

    @property
    def message(self) -> str:
        return str(self)


class NotFound(ApiStatusError):
    """404: the object, or its namespace, or the whole resource type does not exist."""


class Expired(ApiStatusError):
    """410: the requested resourceVersion is no longer in the server's history; re-list."""


class Unreachable(ApiStatusError):
    """No answer at all (refused, timed out, TLS failure): `code` is 0."""


def status_error(code: int, message: str, reason: str = "", details: Mapping | None = None) -> ApiStatusError:
    cls = {404: NotFound, 410: Expired}.get(code, ApiStatusError)
    return cls(code, message, reason, details)


def api_path(group: str, version: str, plural: str, namespace: str | None = None, name: str | None = None) -> str:
    """`/api/v1/namespaces/ns/configmaps/x` or `/apis/apps/v1/deployments`."""
    path = f"/apis/{group}/{version}" if group else f"/api/{version}"
    if namespace:
        path += f"/namespaces/{namespace}"
    path += f"/{plural}"
    return f"{path}/{name}" if name else path


def send(client: Any, method: str, path: str, *, query: Query = (), body: Any = None,
         content_type: str = JSON, timeout: Any = DEFAULT_TIMEOUT) -> Any:
    """One request; returns the client's unread `RESTResponse` whatever its status (for streaming)."""
    headers = {"Accept": JSON} if body is None else {"Accept": JSON, "Content-Type": content_type}
    method_, url, headers, _, _ = client.param_serialize(
        method=method, resource_path=path, query_params=list(query), header_params=headers,
        auth_settings=["BearerToken"])
    return client.call_api(method_, url, header_params=headers, body=body, _request_timeout=timeout)


def raise_for_status(response: Any) -> None:
    """Raise the typed error for a failed response (reading its body), do nothing on success."""
    if 200 <= response.status < 300:
        return
    data = response.read()
    try:
        status = orjson.loads(data)
    except orjson.JSONDecodeError:
        raise status_error(response.status, (data or b"").decode(errors="replace")[:200] or response.reason) from None
    if not isinstance(status, dict):
        raise status_error(response.status, response.reason)
    raise status_error(response.status, status.get("message") or response.reason,
                       status.get("reason") or "", status.get("details"))


class Rest:
    """The verbs kstellar-tui needs against one cluster, as plain dicts."""

    def __init__(self, client: Any, *, timeout: Any = DEFAULT_TIMEOUT, field_manager: str = FIELD_MANAGER):
        self.client = client
        self.timeout = timeout
        self.field_manager = field_manager

    def _send(self, method: str, path: str, query: Query, body: Any, content_type: str) -> Any:
        try:
            response = send(self.client, method, path, query=query, body=body, content_type=content_type,
                            timeout=self.timeout)
        except Exception as exc:  # urllib3's many transport errors, the client's ApiException for TLS
            raise Unreachable(0, f"cannot reach {self.client.configuration.host}: {_transport_reason(exc)}") from exc
        raise_for_status(response)
        return response

    def request(self, method: str, path: str, *, query: Query = (), body: Any = None,
                content_type: str = JSON) -> dict:
        data = self._send(method, path, query, body, content_type).read()
        return orjson.loads(data) if data else {}

    def get(self, path: str) -> dict:
        return self.request("GET", path)

    def get_or_none(self, path: str) -> dict | None:
        try:
            return self.get(path)
        except NotFound:
            return None

    def list(self, path: str, *, label_selector: str = "", page_size: int = 500) -> list[dict]:
        """Every item of a collection, following `continue` tokens."""
        items: list[dict] = []
        token = ""
        while True:
            query = [("limit", str(page_size))]
            if token:
                query.append(("continue", token))
            if label_selector:
                query.append(("labelSelector", label_selector))
            body = self.request("GET", path, query=query)
            items.extend(body.get("items") or ())
            token = (body.get("metadata") or {}).get("continue") or ""
            if not token:
                return items

    def create(self, path: str, obj: Mapping, *, dry_run: bool = False) -> dict:
        return self.request("POST", path, query=_dry_run(dry_run), body=dict(obj))

    def apply(self, path: str, obj: Mapping, *, dry_run: bool = False, force: bool = True) -> tuple[dict, bool]:
        """Server-side apply to the object's own path; returns the result and whether it was created."""
        query = [("fieldManager", self.field_manager), ("force", "true" if force else "false"), *_dry_run(dry_run)]
        response = self._send("PATCH", path, query, orjson.dumps(obj), APPLY_PATCH)
        return orjson.loads(response.read()), response.status == 201

    def patch(self, path: str, patch: Mapping, *, content_type: str = MERGE_PATCH, dry_run: bool = False) -> dict:
        return self.request("PATCH", path, query=_dry_run(dry_run), body=dict(patch), content_type=content_type)

    def delete(self, path: str, *, propagation: str = "Background", dry_run: bool = False) -> dict:
        body = {"apiVersion": "v1", "kind": "DeleteOptions", "propagationPolicy": propagation}
        return self.request("DELETE", path, query=_dry_run(dry_run), body=body)


def _transport_reason(exc: Exception) -> str:
    """The last, most specific part of urllib3's nested messages ("Connection refused")."""
    text = str(getattr(exc, "reason", None) or exc).strip() or type(exc).__name__
    if "] " in text:
        text = text.rsplit("] ", 1)[1]  # "[Errno 111] Connection refused"
    return text.rsplit("): ", 1)[-1][:200]


def _dry_run(dry_run: bool) -> list[tuple[str, str]]:
    return [("dryRun", "All")] if dry_run else []
