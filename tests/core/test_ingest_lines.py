"""The ingest child's stdout: a tick that changes many cells is split into lines the UI applies in turn."""

from __future__ import annotations

import io

import orjson

from kstellar_tui.core.fleet.gridmodel import GridModel
from kstellar_tui.core.fleet.states import CellState
from kstellar_tui.core.ingest_feed import IngestFeed
from kstellar_tui.core.ingest_process import CELLS_PER_LINE, Ingest

CLUSTERS = [f"wec{i:03d}" for i in range(60)]
ROWS = [f"apps/deployments/default/app-{i}" for i in range(200)]  # 12,000 cells: three lines


class OneTick:
    """A watcher whose store has one big diff: the whole fleet turned Ready at once."""

    def __init__(self) -> None:
        self.problems: dict = {}
        self.store = self
        self.counters = self
        self.events = {c: 3 for c in CLUSTERS}
        self.diffs = [{"columns": [{"name": c, "labels": {}, "available": "True", "connection": "synced",
                                    "detail": "", "since": None, "hub_only": False} for c in CLUSTERS],
                       "rows": [{"key": k, "apiVersion": "apps/v1", "kind": "Deployment", "namespace": "default",
                                 "name": k.rsplit("/", 1)[1], "labels": {}} for k in ROWS],
                       "cells": [[k, c, int(CellState.READY), "3/3 available"] for k in ROWS for c in CLUSTERS]}]
        self.ingest: Ingest | None = None

    def pump(self, budget: float, block: float) -> int:
        if not self.diffs and self.ingest is not None:
            self.ingest.ui_gone.set()
        return 0

    def drain(self) -> dict | None:
        return self.diffs.pop() if self.diffs else None


def test_a_big_tick_arrives_whole_in_lines_of_bounded_size():
    watcher = OneTick()
    ingest = Ingest(watcher, tick=0.0, actions=None)
    watcher.ingest = ingest
    ingest._out = io.BytesIO()
    ingest.run()
    ingest.close()
    lines = ingest._out.getvalue().splitlines()
    assert len(lines) == 3
    model, feed = GridModel(), IngestFeed(None, "wds1", "its1")
    for line in lines:
        message = orjson.loads(line)
        assert len(message["diff"]["cells"]) <= CELLS_PER_LINE
        model.apply(feed.translate(message))
    assert [c.name for c in model.columns] == CLUSTERS
    assert model.row_count == len(ROWS)
    assert all(model.row(i).states == bytes([CellState.READY]) * len(CLUSTERS) for i in range(model.row_count))
    assert all(c.events_per_s is None or c.events_per_s >= 0 for c in model.columns)
