"""Shared pieces of the topology tests: fast timings, async polling, in-memory spaces."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import subprocess
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

from kstellar_tui.sandbox import admin_routes
from kstellar_tui.sandbox.apiserver.store import ClusterStore
from kstellar_tui.sandbox.controllers.manager import TopologyManager, TopologySettings
from kstellar_tui.sandbox.controllers.timings import Timings
from kstellar_tui.sandbox.runtime import Sandbox
from tests.sandbox._helpers import KUBECTL

# Same sequence as the defaults, near-instant steps; a lease is stale one second after its last renewal.
FAST = Timings(pod_start=0.02, job_run=0.02, csr_after_join=0.02, lease_duration_seconds=1,
               lease_grace_multiplier=1.0, topology_poll=0.05)


async def eventually(condition: Callable[[], Any], *, timeout: float = 10.0, what: str = "condition") -> Any:
    """Poll `condition` (a function or a coroutine function) on the event loop until truthy;
    fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if inspect.isawaitable(value):
            value = await value
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        await asyncio.sleep(0.01)


class MemorySpaces:
    """KubeFlex's view of the sandbox, with in-memory stores instead of served clusters."""

    def __init__(self) -> None:
        self.stores: dict[str, ClusterStore] = {}

    def store(self, name: str) -> ClusterStore | None:
        return self.stores.get(name)

    async def add_cluster(self, name: str) -> ClusterStore:
        self.stores[name] = ClusterStore(name)
        return self.stores[name]

    async def remove_cluster(self, name: str) -> None:
        self.stores.pop(name).close()

    def kubeconfig(self, name: str) -> str:
        return f"apiVersion: v1\nkind: Config\ncurrent-context: {name}\n"


@contextlib.asynccontextmanager
async def running_topology(state_dir: Path, timings: Timings = FAST,
                           clusters: tuple[str, ...] = ()) -> AsyncIterator[TopologyManager]:
    """A real sandbox (served clusters, admin API with the topology's routes) in this event loop."""
    sandbox = Sandbox(state_dir, list(clusters))
    topology = TopologyManager(sandbox, TopologySettings(timings=timings))
    sandbox.admin_routes.extend(admin_routes.routes(topology))
    await sandbox.start()
    topology.start()
    try:
        yield topology
    finally:
        await topology.stop()
        await sandbox.stop()


async def kubectl(topology: TopologyManager, *args: str) -> subprocess.CompletedProcess[str]:
    """The real kubectl against the in-loop sandbox (run in a thread so the loop keeps serving)."""
    sandbox = topology.sandbox
    argv = [KUBECTL, "--kubeconfig", str(sandbox.kubeconfig_path),
            "--cache-dir", str(sandbox.files.root / "kubectl-cache"), *args]
    return await asyncio.to_thread(subprocess.run, argv, capture_output=True, text=True, timeout=60)
