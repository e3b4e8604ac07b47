"""A synthetic fleet that produces GridDiffs with no cluster anywhere: for demos, UI tests, benchmarks.

Deterministic: the same arguments give the same diffs in the same order (a seeded RNG and a
virtual clock that moves `step_seconds` per diff), so snapshots and tests can rely on it. With an
`interval` the feed posts a diff on its own every `interval` seconds; without one it posts only
when `advance()` is called, which is what tests do.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable

from kstellar_tui.core.fleet.gridmodel import GridDiff
from kstellar_tui.core.fleet.states import CellState

S = CellState
NAMESPACES = ("payments", "web", "data", "edge-ai", "ops")
KINDS = (  # apiVersion, kind, group, resource
    ("apps/v1", "Deployment", "apps", "deployments"),
    ("apps/v1", "StatefulSet", "apps", "statefulsets"),
    ("batch/v1", "Job", "batch", "jobs"),
    ("v1", "Service", "", "services"),
    ("v1", "ConfigMap", "", "configmaps"),
)
# Where a workload's policy sends it: every WEC, the edge ones, the core ones, or every third.
PLACEMENTS = ("all", "edge", "core", "sparse")
INITIAL = ((S.READY, 80), (S.PROGRESSING, 7), (S.PENDING, 5), (S.DEGRADED, 3), (S.DRIFT, 2),
           (S.MISSING, 1.5), (S.ERROR, 1.5))
# Where a cell goes next, by its current state: mostly towards Ready, sometimes a roll-out or a fault.
NEXT = {
    S.READY: ((S.PROGRESSING, 70), (S.DEGRADED, 10), (S.DRIFT, 10), (S.MISSING, 5), (S.ERROR, 5)),
    S.PROGRESSING: ((S.READY, 85), (S.DEGRADED, 15)),
    S.PENDING: ((S.PROGRESSING, 80), (S.ERROR, 20)),
    S.DEGRADED: ((S.READY, 60), (S.PROGRESSING, 40)),
    S.DRIFT: ((S.READY, 100),),
    S.MISSING: ((S.PENDING, 100),),
    S.ERROR: ((S.PENDING, 100),),
}
MESSAGES = {
    S.PROGRESSING: "rolling out: 2 of 3 replicas updated",
    S.PENDING: "bound; ManifestWork not applied yet",
    S.DEGRADED: "Deployment not available: ImagePullBackOff (image cannot be pulled)",
    S.DRIFT: "spec.replicas on the WEC is 5, the WDS says 3",
    S.MISSING: "ManifestWork applied, but the object is absent on the WEC",
    S.ERROR: "ManifestWork rejected: admission webhook denied the request",
}
OFFLINE_EVERY = 15  # steps between one WEC going offline and the next coming back


def _pick(rng: random.Random, weighted: tuple[tuple[CellState, float], ...]) -> CellState:
    states, weights = zip(*weighted)
    return rng.choices(states, weights)[0]


class DemoFeed:
    """`clusters` WECs × `workloads` workloads; each diff changes `changes` cells (see module doc)."""

    def __init__(self, clusters: int = 8, workloads: int = 40, *, seed: int = 0,
                 interval: float | None = 0.5, changes: int = 12,
                 start_time: float = 1_750_000_000.0, step_seconds: float = 1.0) -> None:
        self.clusters = [f"cluster{j + 1}" for j in range(clusters)]
        self.interval, self.changes, self.step_seconds = interval, changes, step_seconds
        self._rng = random.Random(seed)
        self._now = start_time
        self._step = 0
        self._offline: dict[str, float] = {}  # cluster -> offline since
        self._rows: dict[str, dict] = {}
        self._placement: dict[str, str] = {}  # row key -> one of PLACEMENTS
        self._keys: list[tuple[str, str]] = []  # the cells of _states, listed once for random picks
        self._states: dict[tuple[str, str], CellState] = {}  # (row key, cluster), selected cells only
        self._post: Callable[[GridDiff], None] | None = None
        self._task: asyncio.Task | None = None
        for i in range(workloads):
            self._add_workload(i)

    # -- the fleet -------------------------------------------------------------------------------
    def _labels(self, j: int) -> dict[str, str]:
        return {"location-group": "edge" if j % 2 == 0 else "core", "name": self.clusters[j]}

    def _add_workload(self, i: int) -> None:
        namespace = NAMESPACES[i % len(NAMESPACES)]
        api_version, kind, group, resource = KINDS[(i // len(NAMESPACES)) % len(KINDS)]
        name = f"{namespace}-{kind.lower()}-{i:04d}"
        key = f"{group}/{resource}/{namespace}/{name}"
        self._rows[key] = {"key": key, "apiVersion": api_version, "kind": kind, "namespace": namespace,
                           "name": name, "labels": {"app": namespace, "tier": ("frontend", "backend")[i % 2]}}
        placement = self._placement[key] = PLACEMENTS[self._rng.randrange(len(PLACEMENTS))]
        for j, cluster in enumerate(self.clusters):
            if self._placed(placement, j):
                self._states[key, cluster] = _pick(self._rng, INITIAL)

    @staticmethod
    def _placed(placement: str, j: int) -> bool:
        return (placement == "all" or (placement == "edge" and j % 2 == 0)
                or (placement == "core" and j % 2 == 1) or (placement == "sparse" and j % 3 == 0))

    def _selector(self, placement: str) -> str:
        if placement in ("edge", "core"):
            return f"location-group={placement}"
        return "name in (" + ",".join(c for j, c in enumerate(self.clusters) if self._placed(placement, j)) + ")"

    def _column(self, j: int, cluster: str) -> dict:
        offline_since = self._offline.get(cluster)
        return {
            "name": cluster, "labels": self._labels(j), "available": "Unknown" if offline_since else "True",
            "connection": "offline" if offline_since else "synced",
            "detail": "watch connection refused" if offline_since else "",
            "since": offline_since, "hub_only": False,
            "events_per_s": 0.0 if offline_since else float(2 + (j * 7 + self._step * 3) % 20),
            "synced_at": None if offline_since else self._now,
        }

    def _cell(self, key: str, cluster: str) -> list:
        state = self._states[key, cluster]
        if cluster in self._offline:
            when = time.strftime("%H:%M:%S", time.gmtime(self._offline[cluster]))
            return [key, cluster, int(S.UNKNOWN), f"WEC offline; stale since {when} UTC (last known {state.label})"]
        return [key, cluster, int(state), MESSAGES.get(state, "")]

    # -- diffs -----------------------------------------------------------------------------------
    def initial_diff(self) -> dict:
        """Everything: all columns, all rows, every selected cell."""
        return {
            "columns": [self._column(j, c) for j, c in enumerate(self.clusters)],
            "rows": list(self._rows.values()),
            "cells": [self._cell(key, cluster) for key, cluster in self._states],
        }

    def next_diff(self) -> dict:
        """One step later: `changes` cells moved on, and now and then a WEC went offline or came back."""
        self._step += 1
        self._now += self.step_seconds
        cells, events = [], []
        if self._step % OFFLINE_EVERY == 0 and self.clusters:
            cells += self._toggle_offline(self.clusters[(self._step // OFFLINE_EVERY) % len(self.clusters)], events)
        keys = self._keys or list(self._states)
        self._keys = keys
        for _ in range(min(self.changes, len(keys))):
            key, cluster = keys[self._rng.randrange(len(keys))]
            old = self._states[key, cluster]
            new = self._states[key, cluster] = _pick(self._rng, NEXT[old])
            if cluster not in self._offline:
                cells.append(self._cell(key, cluster))
                row = self._rows[key]
                events.append([self._now, cluster,
                               f"MODIFIED {row['kind']} {row['namespace']}/{row['name']}: {old.label} → {new.label}"])
        return {"columns": [self._column(j, c) for j, c in enumerate(self.clusters)], "cells": cells,
                "events": events}

    def _toggle_offline(self, cluster: str, events: list) -> list[list]:
        if self._offline.pop(cluster, None) is not None:
            events.append([self._now, cluster, "watch reconnected"])
        else:
            self._offline[cluster] = self._now
            events.append([self._now, cluster, "watch failed: connection refused"])
        return [self._cell(key, c) for key, c in self._states if c == cluster]

    # -- the Feed protocol -----------------------------------------------------------------------
    async def start(self, post: Callable[[GridDiff], None]) -> None:
        self._post = post
        post(self.initial_diff())
        if self.interval:
            self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.interval or 0)
            self.advance()

    def advance(self) -> None:
        """Post the next diff now (tests call this instead of waiting for the interval)."""
        if self._post is not None:
            self._post(self.next_diff())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        self._post = None

    async def delete(self, row_key: str) -> None:
        """Delete a workload from the (imaginary) WDS: its row goes away."""
        self._rows.pop(row_key, None)
        self._placement.pop(row_key, None)
        for cell in [cell for cell in self._states if cell[0] == row_key]:
            del self._states[cell]
        self._keys = []
        if self._post is not None:
            self._post({"removed": [row_key]})

    async def explain(self, row_key: str, cluster: str) -> dict:
        row = self._rows.get(row_key)
        if row is None:
            return {"workload": row_key, "cluster": cluster, "state": "Not selected", "message": "",
                    "chain": [], "reasons": ["this workload no longer exists in the WDS"]}
        title = f"{row['kind']} {row['namespace']}/{row['name']}"
        selected = (row_key, cluster) in self._states
        state = self._states.get((row_key, cluster), S.NOT_SELECTED)
        offline = cluster in self._offline
        policy = f"{row['namespace']}-policy"
        chain = [
            {"step": "Cluster", "name": cluster, "ok": not offline,
             "detail": "WEC offline: watch connection refused" if offline else "accepted, joined, available"},
            {"step": "BindingPolicy", "name": policy, "ok": selected,
             "detail": (f"clusterSelectors match {cluster}; downsync clause 0 selects namespace {row['namespace']}"
                        if selected else f"clusterSelectors ({self._selector(self._placement[row_key])}) "
                        f"do not match {cluster}")},
        ]
        if selected:
            work_ok = state not in (S.ERROR, S.PENDING)
            chain += [
                {"step": "Binding", "name": policy, "ok": True, "detail": f"lists {cluster} and this object"},
                {"step": "ManifestWork", "name": f"{policy}-{cluster}", "ok": work_ok,
                 "detail": "Applied=True, Available=True" if work_ok else MESSAGES[state]},
                {"step": "WorkStatus", "name": f"{row['name']}-{cluster}", "ok": state is not S.DEGRADED,
                 "detail": MESSAGES.get(state, "status reported: available")},
                {"step": "WEC object", "name": row["name"], "ok": state in (S.READY, S.PROGRESSING),
                 "detail": MESSAGES.get(state, "present and healthy")},
            ]
        labels = self._labels(self.clusters.index(cluster))
        reasons = [] if selected else [
            f"not selected: cluster selector {self._selector(self._placement[row_key])} does not match "
            f"{cluster} (labels: " + ", ".join(f"{k}={v}" for k, v in labels.items()) + ")"]
        return {"workload": title, "cluster": cluster, "state": state.label,
                "message": MESSAGES.get(state, ""), "chain": chain, "reasons": reasons,
                "yaml": _yaml_of(row)}


def _yaml_of(row: dict) -> str:
    labels = "".join(f"    {k}: {v}\n" for k, v in row["labels"].items())
    return (f"apiVersion: {row['apiVersion']}\nkind: {row['kind']}\nmetadata:\n  name: {row['name']}\n"
            f"  namespace: {row['namespace']}\n  labels:\n{labels}")
