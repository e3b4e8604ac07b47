"""Helpers for the TUI suite: a deterministic app (demo feed that moves only when told, frozen
clock, UTC) and a condition wait that polls instead of sleeping for a fixed time."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import pytest
from textual.pilot import Pilot

from kstellar_tui.app import KStellarApp
from kstellar_tui.config import Config
from kstellar_tui.core.fleet.demo_feed import DemoFeed

FROZEN_NOW = 1_750_000_010.0  # ten demo steps after the demo feed's start time
SIZE = (160, 48)


@pytest.fixture(autouse=True)
def utc() -> Iterator[None]:
    """Event times and "since" clocks render the same on every machine."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TZ", "UTC")
        time.tzset()
        yield
    time.tzset()


def make_app(*, clusters: int = 12, workloads: int = 60, config: Config | None = None,
             read_only: bool = False, sandbox_note: str | None = "sandbox: demo", **modes) -> KStellarApp:
    """`modes`: KStellarApp's `modes` and `start_mode`."""
    feed = DemoFeed(clusters, workloads, interval=None)
    return KStellarApp(feed, config=config or Config(refresh_hz=30), read_only=read_only,
                       sandbox_note=sandbox_note, clock=lambda: FROZEN_NOW, **modes)


async def wait_until(pilot: Pilot, condition: Callable[[], bool], timeout: float = 5.0) -> None:
    """Let the app run until `condition()` holds; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        await pilot.pause(0.01)


async def started(pilot: Pilot) -> KStellarApp:
    """The app once the feed's first diff is on screen and the layout has settled around it."""
    app = pilot.app
    assert isinstance(app, KStellarApp)
    await wait_until(pilot, lambda: app.monitor is not None and bool(app.monitor.grid.rows))
    grid = app.monitor.grid
    placed = None
    while placed != grid.region:  # the WEC chips above the grid may still be wrapping onto more lines
        placed = grid.region
        await pilot.pause()
    return app
