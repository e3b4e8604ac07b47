"""A level-triggered reconcile loop, the shape every simulated controller shares.

Events only say *which key* to look at; `reconcile` always reads current state, so a missed or
duplicated event cannot leave the world wrong (the same contract client-go workqueues give)."""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Hashable, Iterable
from typing import Any

log = logging.getLogger(__name__)


class Controller:
    """Subclasses set `name`, implement `keys_for_event`, `resync_keys` and `reconcile`.

    `reconcile(key)` returns None when done or a delay in seconds to look again (e.g. a Deployment
    still rolling out). Exceptions requeue the key with capped exponential backoff."""

    name = "controller"
    resync_seconds = 30.0
    max_backoff = 5.0

    def __init__(self) -> None:
        self._queue: asyncio.Queue[Hashable] = asyncio.Queue()
        self._pending: set[Hashable] = set()
        self._failures: dict[Hashable, int] = {}
        self._timers: dict[Hashable, asyncio.TimerHandle] = {}
        self._tasks: list[asyncio.Task[Any]] = []
        self._busy = False

    # -- what subclasses provide -------------------------------------------------------------
    def keys_for_event(self, cluster: str, event_type: str, rt: Any, obj: dict) -> Iterable[Hashable]:
        return ()

    def resync_keys(self) -> Iterable[Hashable]:
        return ()

    async def reconcile(self, key: Hashable) -> float | None:
        raise NotImplementedError

    # -- plumbing ----------------------------------------------------------------------------
    def on_event(self, cluster: str, event_type: str, rt: Any, obj: dict) -> None:
        """Store subscription callback: runs synchronously inside the writer, so it only enqueues."""
        for key in self.keys_for_event(cluster, event_type, rt, obj):
            self.enqueue(key)

    def enqueue(self, key: Hashable) -> None:
        if key not in self._pending:
            self._pending.add(key)
            self._queue.put_nowait(key)

    def enqueue_after(self, key: Hashable, delay: float) -> None:
        if key in self._timers:
            return
        loop = asyncio.get_running_loop()

        def fire() -> None:
            self._timers.pop(key, None)
            self.enqueue(key)

        self._timers[key] = loop.call_later(delay, fire)

    def start(self) -> None:
        self._tasks = [asyncio.create_task(self._work(), name=f"{self.name}-worker"),
                       asyncio.create_task(self._resync(), name=f"{self.name}-resync")]

    async def stop(self) -> None:
        for timer in self._timers.values():
            timer.cancel()
        self._timers.clear()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []

    async def idle(self, timeout: float = 10.0) -> None:
        """Wait until the queue is drained (tests and presets use it; timers may still be armed)."""
        async def drained() -> None:
            while self._pending or self._busy:
                await asyncio.sleep(0.005)
        await asyncio.wait_for(drained(), timeout)

    async def _resync(self) -> None:
        while True:
            for key in self.resync_keys():
                self.enqueue(key)
            await asyncio.sleep(self.resync_seconds)

    async def _work(self) -> None:
        while True:
            key = await self._queue.get()
            # Leave the pending set before reconciling: an event arriving meanwhile queues the key
            # again instead of being swallowed.
            self._pending.discard(key)
            self._busy = True
            try:
                again = await self.reconcile(key)
            except asyncio.CancelledError:
                raise
            except Exception:
                failures = self._failures.get(key, 0) + 1
                self._failures[key] = failures
                log.exception("%s: reconciling %r failed (attempt %d)", self.name, key, failures)
                delay = min(self.max_backoff, 0.05 * 2 ** failures) * (0.5 + random.random() / 2)
                self.enqueue_after(key, delay)
                continue
            finally:
                self._busy = False
            self._failures.pop(key, None)
            if again is not None:
                self.enqueue_after(key, again)
