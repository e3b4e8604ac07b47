"""A started sandbox runtime and an HTTPS client for the test_server_* suites (real sockets on 127.0.0.1)."""

from __future__ import annotations

import asyncio
import ssl
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import aiohttp
import orjson
import pytest

from kstellar_tui.sandbox.runtime import Sandbox


class Api:
    """Requests to one cluster of a running sandbox, with its token and CA."""

    def __init__(self, session: aiohttp.ClientSession, base: str, token: str) -> None:
        self.session = session
        self.base = base
        self.token = token

    async def call(self, method: str, path: str, body: Any = None, *, raw: bytes | None = None,
                   content_type: str = "application/json", params: dict | None = None,
                   headers: dict | None = None, token: str | None = None) -> tuple[int, Any]:
        sent = {"Authorization": f"Bearer {self.token if token is None else token}", **(headers or {})}
        data = raw if raw is not None else (orjson.dumps(body) if body is not None else None)
        if data is not None:
            sent["Content-Type"] = content_type
        async with self.session.request(method, self.base + path, data=data, params=params, headers=sent) as resp:
            payload = await resp.read()
            try:
                return resp.status, orjson.loads(payload)
            except orjson.JSONDecodeError:
                return resp.status, payload.decode()

    async def ok(self, method: str, path: str, body: Any = None, **kwargs: Any) -> Any:
        status, answer = await self.call(method, path, body, **kwargs)
        assert 200 <= status < 300, (status, answer)
        return answer

    async def watch(self, path: str, **params: str) -> WatchStream:
        query = {"watch": "true", **params}
        resp = await self.session.get(self.base + path, params=query,
                                      headers={"Authorization": f"Bearer {self.token}"})
        assert resp.status == 200, await resp.text()
        return WatchStream(resp)


class WatchStream:
    """The events of one watch response, read line by line."""

    def __init__(self, response: aiohttp.ClientResponse) -> None:
        self.response = response

    async def next(self, timeout: float = 5.0) -> dict | None:
        """The next event, or None when the server ended the stream."""
        line = await asyncio.wait_for(self.response.content.readline(), timeout)
        return orjson.loads(line) if line else None

    async def events(self, count: int, timeout: float = 5.0) -> list[dict]:
        return [await self.next(timeout) for _ in range(count)]

    async def rest(self, timeout: float = 5.0) -> list[dict]:
        """Every event until the server closes the stream."""
        found = []
        while (event := await self.next(timeout)) is not None:
            found.append(event)
        return found

    def close(self) -> None:
        self.response.close()


async def started_sandbox(state: Path, clusters: list[str], **options: Any) -> Sandbox:
    sandbox = Sandbox(state, clusters, **options)
    await sandbox.start()
    return sandbox


def client_session(sandbox: Sandbox) -> aiohttp.ClientSession:
    context = ssl.create_default_context(cafile=str(sandbox.files.ca_cert)) if sandbox.tls else False
    return aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=context))


def base_url(sandbox: Sandbox, cluster: str) -> str:
    scheme = "https" if sandbox.tls else "http"
    return f"{scheme}://127.0.0.1:{sandbox.ports[cluster]}"


async def eventually(check: Callable[[], Any], timeout: float = 5.0, interval: float = 0.02) -> Any:
    """Poll `check` (sync or async) until it returns something truthy."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(interval)


@pytest.fixture(name="sandbox")
async def sandbox_fixture(tmp_path: Path) -> AsyncIterator[Sandbox]:
    """A started sandbox with one cluster, c1 (import it into a test module to use it)."""
    running = await started_sandbox(tmp_path / "state", ["c1"], bookmark_interval=0.2)
    yield running
    await running.stop()


@pytest.fixture(name="api")
async def api_fixture(sandbox: Sandbox) -> AsyncIterator[Api]:
    """An HTTPS client of c1 with the sandbox's token and CA."""
    async with client_session(sandbox) as session:
        yield Api(session, base_url(sandbox, "c1"), sandbox.token)
