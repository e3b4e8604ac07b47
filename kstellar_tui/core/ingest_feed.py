"""IngestFeed: the monitor's real feed — runs the ingest child process and relays its GridDiffs.

The UI process never touches a watch stream: it starts `python -m kstellar_tui.core.ingest_process`,
reads one JSON line per tick, and posts each as a GridDiff (docs/dev/monitor-contracts.md). Events/s
per WEC are worked out here from the child's running totals and sent as column updates about once
a second, so the header can show them without the child knowing about screens. Reading YAML,
deleting, redeploying and applying edits are requests to the child too: it owns the cluster
clients, and with `read_only` it refuses every write."""

from __future__ import annotations

import asyncio
import itertools
import sys
import time
from collections.abc import Callable
from typing import Any

import orjson

RATE_INTERVAL = 1.0  # seconds between events/s updates in the header
# Seconds to wait for an answer: reads are quick or useless; a redeploy waits for the delete to finish.
READ_TIMEOUT, WRITE_TIMEOUT, REDEPLOY_TIMEOUT = 10.0, 60.0, 120.0


class IngestError(Exception):
    """The ingest process could not start or died; the message is for the user."""


class IngestFeed:
    def __init__(self, kubeconfig: str | None, wds: str, its: str, *, tick: float = 0.25,
                 prepare: Callable[[], str | None] | None = None, read_only: bool = False,
                 wait_for_hub: bool = False):
        """`prepare` runs in a thread before the child starts (e.g. starting the sandbox) and may
        return a kubeconfig path to use instead of `kubeconfig`; `wait_for_hub` lets the child wait
        for the WDS and ITS contexts (a sandbox whose hub guided setup has yet to build)."""
        self.kubeconfig, self.wds, self.its, self.tick = kubeconfig, wds, its, tick
        self.prepare = prepare
        self.read_only = read_only
        self.wait_for_hub = wait_for_hub
        self._process: asyncio.subprocess.Process | None = None
        self._reader: asyncio.Task | None = None
        self._replies: dict[int, asyncio.Future] = {}
        self._ids = itertools.count(1)
        self._columns: dict[str, dict] = {}
        self._totals: dict[str, int] = {}
        self._rates_at = 0.0
        self._post: Callable[[dict], None] | None = None

    async def start(self, post: Callable[[dict], None]) -> None:
        self._post = post
        if self.prepare is not None:
            try:
                chosen = await asyncio.to_thread(self.prepare)
            except Exception as exc:  # the sandbox did not start: say so in the UI, keep running
                post({"problems": [f"could not start: {exc}"]})
                return
            self.kubeconfig = chosen or self.kubeconfig
        self._process = await asyncio.create_subprocess_exec(
            *self.argv(), stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL, limit=64 * 1024 * 1024)
        self._reader = asyncio.create_task(self._read())

    def argv(self) -> list[str]:
        """The child's command line (benchmarks substitute a synthetic child with the same protocol)."""
        argv = [sys.executable, "-m", "kstellar_tui.core.ingest_process", "--wds", self.wds, "--its", self.its,
                "--tick", str(self.tick)]
        if self.kubeconfig:
            argv += ["--kubeconfig", self.kubeconfig]
        if self.read_only:
            argv.append("--read-only")
        if self.wait_for_hub:
            argv.append("--wait-for-hub")
        return argv

    @property
    def pid(self) -> int | None:
        """The running child's process id (benchmarks read its memory), None when there is none."""
        return self._process.pid if self._process is not None else None

    async def stop(self) -> None:
        process, self._process = self._process, None
        if process is not None and process.returncode is None:
            if process.stdin is not None:
                process.stdin.close()  # the child exits when its stdin closes
            try:
                await asyncio.wait_for(process.wait(), 2)
            except asyncio.TimeoutError:
                process.kill()
                await process.wait()
        if self._reader is not None:
            self._reader.cancel()
            await asyncio.gather(self._reader, return_exceptions=True)
        for future in self._replies.values():
            future.cancel()
        self._post = None

    async def explain(self, row_key: str, cluster: str) -> dict:
        return await self._request({"op": "explain", "key": row_key, "cluster": cluster})

    async def get_yaml(self, row_key: str, cluster: str | None = None, *, editable: bool = False) -> dict:
        """`{"wds": {"context", "yaml"}, "wec": {"context", "yaml", "error"} | None}` (the WEC copy when
        `cluster` is given); `editable`: the WDS object as it should be edited (see core.object_actions)."""
        return await self._request({"op": "get", "key": row_key, "cluster": cluster, "editable": editable})

    async def delete(self, row_key: str) -> list[str]:
        """Delete the WDS object (or BindingPolicy) behind a row key; what happened, as lines."""
        return await self._request({"op": "delete", "key": row_key}, WRITE_TIMEOUT)

    async def redeploy(self, row_key: str) -> list[str]:
        """Delete the WDS object, wait until it is gone, create it again from the same spec."""
        return await self._request({"op": "redeploy", "key": row_key}, REDEPLOY_TIMEOUT)

    async def apply_yaml(self, text: str, row_key: str | None = None) -> list[str]:
        """Validate and server-side apply edited YAML (which must still be the `row_key` object);
        nothing is written when any of it is invalid, and the error says why."""
        return await self._request({"op": "apply", "text": text, "key": row_key}, WRITE_TIMEOUT)

    async def _request(self, request: dict, timeout: float = READ_TIMEOUT) -> Any:
        process = self._process
        if process is None or process.stdin is None or process.returncode is not None:
            raise IngestError("the ingest process is not running")
        request["id"] = next(self._ids)
        future: asyncio.Future = asyncio.get_running_loop().create_future()
        self._replies[request["id"]] = future
        process.stdin.write(orjson.dumps(request) + b"\n")
        await process.stdin.drain()
        try:
            return await asyncio.wait_for(future, timeout)
        except asyncio.TimeoutError:
            raise IngestError(f"no answer from the ingest process after {timeout:g}s "
                              "(it may still be working on it)") from None
        finally:
            self._replies.pop(request["id"], None)

    async def _read(self) -> None:
        assert self._process is not None and self._process.stdout is not None
        async for line in self._process.stdout:
            message = orjson.loads(line)
            if "reply" in message:
                future = self._replies.get(message["reply"])
                if future is not None and not future.done():
                    if "error" in message:
                        future.set_exception(IngestError(message["error"]))
                    else:
                        future.set_result(message["result"])
            elif "fatal" in message:
                self._emit({"problems": [message["fatal"]]})
            else:
                self._emit(self.translate(message))
        if self._post is not None:
            self._emit({"problems": ["the ingest process stopped; restart kstellar-tui"]})

    def _emit(self, diff: dict) -> None:
        if self._post is not None:
            self._post(diff)

    def translate(self, message: dict, now: float | None = None) -> dict:
        """A child line → the GridDiff the UI applies (events as text, events/s per column)."""
        diff = dict(message.get("diff") or {})
        now = time.monotonic() if now is None else now
        for column in diff.get("columns") or ():
            previous = self._columns.get(column["name"], {})
            column["events_per_s"] = previous.get("events_per_s")
            column["synced_at"] = (previous.get("synced_at") or time.time()) if column["connection"] == "synced" else None
        if "columns" in diff:
            self._columns = {c["name"]: c for c in diff["columns"]}
        if message.get("events"):
            diff["events"] = [[t, source, f"{type_} {what}"] for t, source, type_, what in message["events"]]
        if message.get("dropped"):
            diff["events_dropped"] = message["dropped"]
        if message.get("problems"):
            diff["problems"] = message["problems"]
        totals = message.get("stats") or {}
        if self._columns and now - self._rates_at >= RATE_INTERVAL:
            elapsed = now - self._rates_at if self._rates_at else None
            for name, column in self._columns.items():
                if elapsed:
                    column["events_per_s"] = (totals.get(name, 0) - self._totals.get(name, 0)) / elapsed
            self._totals, self._rates_at = dict(totals), now
            diff["columns"] = list(self._columns.values())
        return diff
