"""Pausing a WEC agent while its cluster is offline, without polling every key.

An agent on an unreachable WEC can neither reach the hub nor be reached: upstream it simply stalls
and catches up later. Keys that arrive meanwhile are parked; one probe key looks again every
`poll` seconds and, once the WEC answers, releases them all."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any

PROBE = ("offline-probe",)


class OfflineGate:
    def __init__(self, controller: Any, is_offline: Callable[[], bool], poll: float) -> None:
        self._controller = controller
        self._is_offline = is_offline
        self._poll = poll
        self._parked: set[Hashable] = set()

    def holds(self, key: Hashable) -> bool:
        """True when the caller must not reconcile `key` now (it was parked, or it is the probe)."""
        offline = self._is_offline()
        if offline:
            if key != PROBE:
                self._parked.add(key)
            self._controller.enqueue_after(PROBE, self._poll)
            return True
        if key == PROBE:
            for parked in self._parked:
                self._controller.enqueue(parked)
            self._parked.clear()
            return True
        return False
