"""Talking to a running sandbox from another process: its sandbox.json, its admin API, /version probes.

Plain `http.client` over loopback (no proxies, no aiohttp), trusting only the sandbox's own CA and
sending its token; the token never appears in an exception or a message.
"""

from __future__ import annotations

import http.client
import json
import ssl
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kstellar_tui.sandbox.credentials import read_token
from kstellar_tui.sandbox.statedir import StateDir

HOST = "127.0.0.1"
REQUEST_TIMEOUT = 5.0


class SandboxUnreachable(Exception):
    """Nothing answered (refused, reset, timed out, TLS failure)."""


class AdminError(Exception):
    """The sandbox answered with an error status; the message is the server's own."""

    def __init__(self, code: int, message: str):
        super().__init__(f"{message} (HTTP {code})")
        self.code = code


@dataclass(frozen=True)
class SandboxInfo:
    """The contents of `<state>/sandbox.json`."""

    pid: int | None
    admin_port: int | None
    ports: dict[str, int]
    tls: bool


def read_info(state_dir: Path) -> SandboxInfo | None:
    """sandbox.json as written by the runtime, or None when missing or unreadable."""
    try:
        raw = json.loads(StateDir(state_dir).info.read_text())
        return SandboxInfo(
            pid=raw.get("pid"),
            admin_port=raw.get("admin_port"),
            ports={str(name): int(port) for name, port in (raw.get("ports") or {}).items()},
            tls=bool(raw.get("tls", True)),
        )
    except (OSError, ValueError, TypeError, AttributeError):
        return None


class AdminClient:
    """Requests to one sandbox's admin port and cluster ports, authenticated with its token."""

    def __init__(self, state_dir: Path, info: SandboxInfo):
        self.info = info
        self._token = read_token(state_dir) or ""
        self._ssl = trusting_only_ca(StateDir(state_dir).ca_cert) if info.tls else None

    def status(self) -> dict[str, Any]:
        return self.request("GET", "/_sandbox/status")

    def shutdown(self) -> None:
        self.request("POST", "/_sandbox/shutdown")

    def fault(self, kind: str, cluster: str | None = None, value: float | None = None) -> dict[str, Any]:
        return self.request("POST", f"/_sandbox/faults/{kind}", {"cluster": cluster, "value": value})

    def request(self, method: str, path: str, body: Any = None, *, port: int | None = None) -> Any:
        """JSON in, JSON out, on the admin port unless `port` is given."""
        target = self.info.admin_port if port is None else port
        if target is None:
            raise SandboxUnreachable("sandbox.json names no admin port")
        data = None if body is None else json.dumps(body).encode()
        headers = {"Authorization": f"Bearer {self._token}", "Accept": "application/json"}
        if data is not None:
            headers["Content-Type"] = "application/json"
        connection = self._connection(target)
        try:
            connection.request(method, path, body=data, headers=headers)
            response = connection.getresponse()
            payload = response.read()
        except (OSError, http.client.HTTPException) as error:
            raise SandboxUnreachable(f"{HOST}:{target}: {type(error).__name__}: {error}") from None
        finally:
            connection.close()
        decoded = _decode(payload)
        if response.status >= 400:
            message = decoded.get("message") if isinstance(decoded, dict) else None
            raise AdminError(response.status, message or response.reason)
        return decoded

    def answers(self, cluster: str) -> bool:
        """Whether the cluster's API server answers `GET /version` for our token."""
        port = self.info.ports.get(cluster)
        if port is None:
            return False
        try:
            version = self.request("GET", "/version", port=port)
        except (SandboxUnreachable, AdminError):
            return False
        return isinstance(version, dict) and "gitVersion" in version

    def _connection(self, port: int) -> http.client.HTTPConnection:
        if self._ssl is None:
            return http.client.HTTPConnection(HOST, port, timeout=REQUEST_TIMEOUT)
        return http.client.HTTPSConnection(HOST, port, timeout=REQUEST_TIMEOUT, context=self._ssl)


def trusting_only_ca(ca_cert: Path) -> ssl.SSLContext:
    """A client context that trusts the sandbox's CA and nothing else (nothing at all if it is unreadable)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    try:
        context.load_verify_locations(cadata=ca_cert.read_text())
    except (OSError, ssl.SSLError):
        pass
    return context


def _decode(payload: bytes) -> Any:
    try:
        return json.loads(payload) if payload else None
    except ValueError:
        return None
