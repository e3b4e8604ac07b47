"""The chaos scenario, shared by the CI test (tests/reliability/test_chaos.py) and the soak script
(benchmarks/soak_chaos.py).

A quickstart sandbox with N WECs runs as its own process; BindingPolicies send labelled workloads
to WECs chosen by label. A `random.Random(seed)` schedule interleaves faults (WEC offline/online,
dropped watches, expired history, latency, 5xx errors, one `kill -9` of the sandbox and a restart
on the same state dir) with workload creates, changes, deletes and label changes. The monitor's
data path (IngestFeed's child process into a GridModel) watches throughout, and `status -o json`
looks once at the end. Both are compared, cell by cell, with a ground truth read straight from the
sandbox over HTTP by a deliberately small oracle that shares no code with the product's FleetStore:
policy selectors × ManagedCluster labels say which (workload, WEC) pairs are bound, and each WEC's
own objects say whether the copy is there, healthy and up to date."""

from __future__ import annotations

import asyncio
import http.client
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from kstellar_tui.core.fleet.gridmodel import GridModel
from kstellar_tui.core.fleet.states import CellState
from kstellar_tui.core.ingest_feed import IngestFeed
from kstellar_tui.sandbox.process import pid_alive
from tests.sandbox._helpers import REPO_ROOT, HttpResult, Sandbox, kubectl_env, stop_quietly, wait_for

WDS, ITS = "wds1", "its1"
PREFIX = "chaos.kstellar.io/"
OWNED = PREFIX + "owned"  # on every object the scenario makes: what the oracle lists
GROUP, CANARY, COLOR, RING = PREFIX + "group", PREFIX + "canary", PREFIX + "color", PREFIX + "ring"
NAMESPACE_LABEL = PREFIX + "namespace"
NAMESPACES = ("chaos-a", "chaos-b")
# Cluster labels the schedule flips, and the WECs each workload group is bound to. Many small
# Bindings rather than a few large ones: the sandbox rewrites every ManifestWork of a Binding
# when one of its objects changes, as upstream does.
CLUSTER_LABELS = {COLOR: ("red", "blue"), RING: ("a", "b"), CANARY: ("yes", None)}
GROUP_CLUSTERS = {"g1": {COLOR: "red"}, "g2": {COLOR: "blue"}, "g3": {RING: "a"}, "g4": {RING: "b"},
                  "g5": {COLOR: "red", RING: "a"}, "g6": {COLOR: "blue", RING: "b"},
                  "g7": {"location-group": "edge"}}
GROUPS = (*GROUP_CLUSTERS, "none")

# kind -> API path of the collection (all namespaces); the kinds the scenario makes.
COLLECTIONS = {"Namespace": "/api/v1/namespaces", "Deployment": "/apis/apps/v1/deployments",
               "ConfigMap": "/api/v1/configmaps"}
POLICIES = "/apis/control.kubestellar.io/v1alpha1/bindingpolicies"
MANAGED_CLUSTERS = "/apis/cluster.open-cluster-management.io/v1/managedclusters"

WRITE_PATIENCE = 30.0  # seconds a write keeps retrying through injected 5xx errors and latency
NOTICE_TIMEOUT = 15.0  # seconds for the monitor to notice an outage (a fault nobody saw tests nothing)
SETTLE_TIMEOUT = 60.0  # seconds for the sandbox's controllers to converge once faults are cleared
AGREE_TIMEOUT = 5.0  # the bound: the monitor equals the settled ground truth within 5 s

Cell = tuple[str, str, str, str]  # kind, namespace, name, cluster
# A column header is compared as a cell of this kind: a WEC lost from the grid, or shown stale or
# unavailable after the faults are gone, is as wrong as a cell.
COLUMN = "WEC"
COLUMN_OK = "available=True connection=synced"


@dataclass(frozen=True)
class Plan:
    """How big the scenario is. The CI test keeps the defaults; the soak raises them."""

    seed: int
    wecs: int = 10
    workloads: int = 200
    steps: int = 50
    pause: float = 0.2  # mean seconds between steps: faults must overlap with traffic
    kill: bool = True


@dataclass
class Tally:
    """What the run did and checked, for the summary line CI prints."""

    seed: int
    faults: Counter = field(default_factory=Counter)
    updates: Counter = field(default_factory=Counter)
    cells_checked: Counter = field(default_factory=Counter)
    cell_updates_seen: int = 0
    seconds: dict[str, float] = field(default_factory=dict)

    def summary(self) -> str:
        def counts(counter: Counter) -> str:
            return " ".join(f"{k}={v}" for k, v in sorted(counter.items())) or "none"

        timings = " ".join(f"{k}={v:.1f}s" for k, v in self.seconds.items())
        return (f"chaos seed={self.seed}: faults {sum(self.faults.values())} ({counts(self.faults)}); "
                f"workload updates {sum(self.updates.values())} ({counts(self.updates)}); "
                f"cells checked {sum(self.cells_checked.values())} ({counts(self.cells_checked)}); "
                f"cell updates seen by the monitor {self.cell_updates_seen}; {timings}")


class Mismatch(AssertionError):
    """The monitor or `status` disagrees with the ground truth; the message names seed and cells."""


# ---------------------------------------------------------------------------------------------
# The sandbox, reached the way a user's tools reach it


@dataclass
class ChaosSandbox(Sandbox):
    """A detached quickstart sandbox plus the writes and reads the scenario makes over HTTPS."""

    _ports: dict[str, int] = field(default_factory=dict, repr=False)
    _token: str = field(default="", repr=False)
    _connections: dict[str, http.client.HTTPSConnection] = field(default_factory=dict, repr=False)

    def start_quickstart(self, wecs: int) -> None:
        done = self.cli("up", "--detach", "--preset", "quickstart", "--wecs", str(wecs))
        assert done.returncode == 0, done.stderr
        self.clusters = list(self.info()["ports"])

    def crash_and_restart(self, noticed: Callable[[], bool]) -> None:
        """`kill -9` the sandbox, wait until the monitor notices, and start it again on the same
        state dir the way a user would (`sandbox up --detach`, nothing else said)."""
        pid, kubeconfig = self.pid, self.kubeconfig.read_text()
        os.kill(pid, signal.SIGKILL)
        wait_for(lambda: not pid_alive(pid), timeout=10, message=f"sandbox pid {pid} to die")
        wait_for(noticed, timeout=NOTICE_TIMEOUT, message="the monitor to notice the sandbox is gone")
        done = self.cli("up", "--detach")
        assert done.returncode == 0, f"restart after kill -9 failed: {done.stdout}{done.stderr}"
        assert self.pid != pid
        assert self.kubeconfig.read_text() == kubeconfig, "the restart changed the kubeconfig (ports, token or CA)"
        wait_for(self._all_ready, timeout=60, message="the restarted sandbox to answer")

    def _send(self, cluster: str, method: str, path: str, body: Any, content_type: str | None) -> HttpResult:
        """One request on a kept-alive connection per cluster (a TLS handshake per request would
        make the oracle slower than the controllers it waits for). Port and token are read once:
        a restarted sandbox must keep both, or every later request fails."""
        if not self._ports:
            self._ports, self._token = {c: self.port(c) for c in self.clusters}, self.token
        conn = self._connections.get(cluster)
        if conn is None:
            conn = self._connections[cluster] = self._connection(self._ports[cluster], 30)
        headers = {"Accept": "application/json", "Authorization": f"Bearer {self._token}"}
        data = None
        if body is not None:
            data, headers["Content-Type"] = json.dumps(body).encode(), content_type or "application/json"
        try:
            conn.request(method, path, body=data, headers=headers)
            response = conn.getresponse()
            return HttpResult(response.status, {}, response.read())
        except (OSError, http.client.HTTPException):
            conn.close()
            del self._connections[cluster]
            raise

    def call(self, cluster: str, method: str, path: str, body: Any = None, *,
             content_type: str | None = None, ok: tuple[int, ...] = ()) -> HttpResult:
        """One request, retried through injected 5xx errors and refused connections; a status
        outside 2xx and `ok` fails the scenario (its writes are never meant to be refused)."""
        deadline = time.monotonic() + WRITE_PATIENCE
        while True:
            try:
                result = self._send(cluster, method, path, body, content_type)
            except (OSError, http.client.HTTPException) as exc:
                result, failure = None, repr(exc)
            else:
                if result.status < 300 or result.status in ok:
                    return result
                failure = repr(result)
                if result.status < 500:
                    raise AssertionError(f"{method} {cluster}{path}: {failure}")
            if time.monotonic() > deadline:
                raise AssertionError(f"{method} {cluster}{path} kept failing: {failure}")
            time.sleep(0.05)  # the retry interval of a client, not a wait for an outcome

    def items(self, cluster: str, path: str) -> list[dict]:
        selector = quote(OWNED)
        return self.call(cluster, "GET", f"{path}?labelSelector={selector}").json["items"]

    def merge_patch(self, cluster: str, path: str, patch: dict) -> None:
        self.call(cluster, "PATCH", path, patch, content_type="application/merge-patch+json")


# ---------------------------------------------------------------------------------------------
# What the scenario writes


@dataclass
class Workload:
    kind: str
    namespace: str
    name: str
    group: str
    canary: bool
    replicas: int
    revision: int = 0

    @property
    def path(self) -> str:
        base = "/apis/apps/v1" if self.kind == "Deployment" else "/api/v1"
        return f"{base}/namespaces/{self.namespace}/{self.kind.lower()}s"

    def labels(self) -> dict[str, str]:
        labels = {OWNED: "true", GROUP: self.group}
        if self.canary:
            labels[CANARY] = "yes"
        return labels

    def manifest(self) -> dict:
        meta = {"name": self.name, "namespace": self.namespace, "labels": self.labels()}
        if self.kind == "ConfigMap":
            return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta,
                    "data": {"revision": str(self.revision)}}
        app = {"app": self.name}
        return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": meta, "spec": {
            "replicas": self.replicas, "selector": {"matchLabels": app},
            "template": {"metadata": {"labels": app, "annotations": {PREFIX + "revision": str(self.revision)}},
                         "spec": {"containers": [{"name": "app", "image": "registry.example/app:1"}]}}}}


def policy(name: str, clusters: dict[str, str], objects: dict[str, str]) -> dict:
    return {"apiVersion": "control.kubestellar.io/v1alpha1", "kind": "BindingPolicy",
            "metadata": {"name": name, "labels": {OWNED: "true"}},
            "spec": {"clusterSelectors": [{"matchLabels": clusters}],
                     "downsync": [{"objectSelectors": [{"matchLabels": objects}]}]}}


POLICY_SET = (
    policy("chaos-namespaces", {"location-group": "edge"}, {NAMESPACE_LABEL: "true"}),
    policy("chaos-canary", {CANARY: "yes"}, {CANARY: "yes"}),
    *(policy(f"chaos-{group}", clusters, {GROUP: group}) for group, clusters in GROUP_CLUSTERS.items()),
)


# ---------------------------------------------------------------------------------------------
# The oracle


@dataclass(frozen=True)
class Truth:
    cells: dict[Cell, str]  # every bound cell whose copy is settled -> "Ready" or "Drift"; every WEC's column
    unsettled: tuple[str, ...]  # why the sandbox has not converged yet
    grid: int  # (object, WEC) pairs, blank ones included: what a comparison covers


def _matches(selector: dict, labels: dict) -> bool:
    assert set(selector) <= {"matchLabels"}, f"the oracle knows matchLabels only: {selector}"
    return all(labels.get(k) == v for k, v in (selector.get("matchLabels") or {}).items())


def _bound(policies: list[dict], object_labels: dict, cluster_labels: dict) -> bool:
    for p in policies:
        spec = p.get("spec") or {}
        if (any(_matches(s, cluster_labels) for s in spec.get("clusterSelectors") or ())
                and any(any(_matches(s, object_labels) for s in clause.get("objectSelectors") or ())
                        for clause in spec.get("downsync") or ())):
            return True
    return False


def _healthy(kind: str, obj: dict) -> bool:
    if kind != "Deployment":
        return True
    want = (obj.get("spec") or {}).get("replicas", 1)
    status = obj.get("status") or {}
    return (status.get("observedGeneration", 0) >= obj["metadata"].get("generation", 1)
            and all(status.get(k, 0) == want for k in ("replicas", "updatedReplicas", "availableReplicas")))


def _labels(obj: dict) -> dict[str, str]:
    return {k: v for k, v in (obj["metadata"].get("labels") or {}).items() if k.startswith(PREFIX)}


def _content(kind: str, obj: dict) -> tuple:
    """What the scenario changes on an object besides labels: equal on both sides when up to date."""
    if kind == "ConfigMap":
        return (obj.get("data"),)
    if kind == "Deployment":
        spec = obj.get("spec") or {}
        return spec.get("replicas"), ((spec.get("template") or {}).get("metadata") or {}).get("annotations")
    return ()


def _copy_state(kind: str, copy: dict, desired: dict) -> str | None:
    """A healthy copy's cell: Ready when it says what the WDS says; Drift when a label removed in
    the WDS lingers on the WEC (OCM's work agent merges labels, kubestellar#1856); None while it
    is not up to date yet."""
    labels, wanted = _labels(copy), _labels(desired)
    if _content(kind, copy) != _content(kind, desired) or any(labels.get(k) != v for k, v in wanted.items()):
        return None
    return (CellState.READY if labels == wanted else CellState.DRIFT).label


def _ident(kind: str, obj: dict) -> tuple[str, str, str]:
    meta = obj["metadata"]
    return kind, meta.get("namespace") or "", meta["name"]


def read_truth(sb: ChaosSandbox) -> Truth:
    """The ground truth, read directly from the sandbox (faults must be cleared)."""
    managed = [mc for mc in sb.call(ITS, "GET", MANAGED_CLUSTERS).json["items"]
               if (mc.get("spec") or {}).get("hubAcceptsClient")]
    clusters = {mc["metadata"]["name"]: mc["metadata"].get("labels") or {} for mc in managed}
    policies = sb.items(WDS, POLICIES)
    desired = {_ident(kind, obj): obj for kind, path in COLLECTIONS.items() for obj in sb.items(WDS, path)}
    cells: dict[Cell, str] = {}
    unsettled: list[str] = []
    for mc in managed:
        available = [c.get("status") for c in (mc.get("status") or {}).get("conditions") or ()
                     if c.get("type") == "ManagedClusterConditionAvailable"]
        if available == ["True"]:
            cells[(COLUMN, "", "", mc["metadata"]["name"])] = COLUMN_OK
        else:
            unsettled.append(f"{mc['metadata']['name']}: available is {available}")
    for cluster, cluster_labels in sorted(clusters.items()):
        copies = {_ident(kind, obj): obj for kind, path in COLLECTIONS.items() for obj in sb.items(cluster, path)}
        for ident, obj in desired.items():
            copy = copies.pop(ident, None)
            where = f"{' '.join(ident)} on {cluster}"
            if not _bound(policies, obj["metadata"].get("labels") or {}, cluster_labels):
                if copy is not None:
                    unsettled.append(f"{where}: not bound, still there")
            elif copy is None:
                unsettled.append(f"{where}: bound, not there yet")
            elif not _healthy(ident[0], copy):
                unsettled.append(f"{where}: not healthy yet")
            elif (state := _copy_state(ident[0], copy, obj)) is None:
                unsettled.append(f"{where}: not updated yet")
            else:
                cells[(*ident, cluster)] = state
        unsettled.extend(f"{' '.join(ident)} on {cluster}: deleted from the WDS, still there" for ident in copies)
    return Truth(cells, tuple(unsettled), len(desired) * len(clusters))


def settled_truth(sb: ChaosSandbox, timeout: float = SETTLE_TIMEOUT) -> Truth:
    """Wait until the sandbox has converged and two reads in a row agree; return that truth."""
    seen: list[Truth] = []

    def stable() -> Truth | None:
        truth = read_truth(sb)
        seen.append(truth)
        if truth.unsettled or len(seen) < 2 or seen[-2].cells != truth.cells:
            return None
        return truth

    try:
        return wait_for(stable, timeout=timeout, interval=0.2, message="the sandbox to settle")
    except AssertionError as exc:
        left = seen[-1].unsettled if seen else ()
        raise AssertionError(f"{exc}; still unsettled: {list(left[:10])}") from None


def differences(truth: dict[Cell, str], shown: dict[Cell, str], limit: int = 20) -> list[str]:
    """Every cell where `shown` is not the truth: lost (expected, not shown), stale (shown with
    another state), phantom (shown, not expected)."""
    found = []
    for cell in sorted(truth.keys() | shown.keys()):
        want, got = truth.get(cell, ""), shown.get(cell, "")
        if want != got:
            kind = "lost" if not got else "phantom" if not want else "stale"
            where = f"column {cell[3]}" if cell[0] == COLUMN else f"{cell[0]} {cell[1]}/{cell[2]} on {cell[3]}"
            found.append(f"{kind}: {where}: truth {want or 'blank'!r}, shown {got or 'blank'!r}")
    return found[:limit] + ([f"... and {len(found) - limit} more"] if len(found) > limit else [])


# ---------------------------------------------------------------------------------------------
# The observers: the monitor's data path, and `status -o json`


class MonitorObserver:
    """IngestFeed (the real ingest child process) feeding a GridModel, as the app does, on an
    event loop of its own so the scenario's blocking calls never hold it up."""

    def __init__(self, kubeconfig: Path):
        self.feed = IngestFeed(str(kubeconfig), WDS, ITS)
        self.model = GridModel()
        self.cell_updates = 0
        self._lock = threading.Lock()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="monitor", daemon=True)

    def start(self) -> None:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self.feed.start(self._apply), self._loop).result(30)

    def stop(self) -> None:
        if self._thread.is_alive():
            asyncio.run_coroutine_threadsafe(self.feed.stop(), self._loop).result(30)
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)
        self._loop.close()

    def _apply(self, diff: dict) -> None:
        with self._lock:
            self.model.apply(diff)
            self.cell_updates += len(diff.get("cells") or ())

    def cells(self) -> dict[Cell, str]:
        """Every non-blank cell, and every column header, as the grid shows them."""
        with self._lock:
            names = [c.name for c in self.model.columns]
            found = {(COLUMN, "", "", c.name): f"available={c.available} connection={c.connection}"
                     for c in self.model.columns}
            for i in range(self.model.row_count):
                row = self.model.row(i)
                for column, state in enumerate(row.states):
                    if state:
                        found[(row.kind, row.namespace, row.name, names[column])] = CellState(state).label
            return found

    def connections(self) -> dict[str, str]:
        with self._lock:
            return {c.name: c.connection for c in self.model.columns}

    def noticed_outage(self, *clusters: str) -> bool:
        """The header shows every one of these WECs as stale or offline."""
        shown = self.connections()
        return all(shown.get(name) in ("stale", "offline") for name in clusters)


def status_cells(sb: ChaosSandbox) -> dict[Cell, str]:
    """`kstellar-tui status -o json` on the sandbox's kubeconfig: its non-blank cells and its WECs."""
    env = kubectl_env(sb.kubeconfig) | {"XDG_STATE_HOME": str(sb.state_dir.parent / "xdg-state"),
                                        "XDG_CONFIG_HOME": str(sb.state_dir.parent / "xdg-config")}
    done = subprocess.run([sys.executable, "-m", "kstellar_tui", "status", "-o", "json",
                           "--kubeconfig", str(sb.kubeconfig)],
                          cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    snapshot = json.loads(done.stdout)
    found = {(COLUMN, "", "", c["name"]): f"available={c['available']} connection={c['connection']}"
             for c in snapshot["clusters"]}
    found.update(((w["kind"], w["namespace"], w["name"], cluster), cell["state"])
                 for w in snapshot["workloads"] for cluster, cell in w["cells"].items() if cell["state"])
    return found


# ---------------------------------------------------------------------------------------------
# The schedule


class Chaos:
    """Runs a plan: setup, a seeded sequence of steps, then every fault cleared."""

    def __init__(self, sb: ChaosSandbox, monitor: MonitorObserver, plan: Plan, tally: Tally):
        self.sb, self.monitor, self.plan, self.tally = sb, monitor, plan, tally
        self.rng = random.Random(plan.seed)
        self.wecs = [f"cluster{i}" for i in range(1, plan.wecs + 1)]
        self.workloads: dict[str, Workload] = {}
        self.created = 0
        self.undo: list[tuple[int, str, str, float | None]] = []  # (step, fault kind, cluster, value)
        self.offline: set[str] = set()
        self.step = 0

    # -- setup ---------------------------------------------------------------------------------
    def setup(self) -> None:
        """Workloads first, bindings last: the sandbox then places everything in one pass."""
        for namespace in NAMESPACES:
            self.sb.call(WDS, "POST", COLLECTIONS["Namespace"], {
                "apiVersion": "v1", "kind": "Namespace",
                "metadata": {"name": namespace, "labels": {OWNED: "true", NAMESPACE_LABEL: "true"}}})
        for _ in range(self.plan.workloads):
            self.add_workload()
        half = len(self.wecs) // 2
        for index, wec in enumerate(self.wecs):
            self.sb.merge_patch(ITS, f"{MANAGED_CLUSTERS}/{wec}", {"metadata": {"labels": {
                COLOR: ("red", "blue")[index % 2], RING: "a" if index < half else "b",
                CANARY: "yes" if index < 2 else None}}})
        for body in POLICY_SET:
            self.sb.call(WDS, "POST", POLICIES, body)

    def create(self) -> None:
        self.add_workload()
        self.tally.updates["create"] += 1

    def add_workload(self) -> None:
        self.created += 1
        kind = "ConfigMap" if self.rng.random() < 0.1 else "Deployment"
        workload = Workload(kind, self.rng.choice(NAMESPACES), f"w-{self.created:04d}",
                            self.rng.choice(GROUPS), self.rng.random() < 0.1, self.rng.choice((0, 1, 1, 2)))
        self.sb.call(WDS, "POST", workload.path, workload.manifest())
        self.workloads[workload.name] = workload

    # -- steps ---------------------------------------------------------------------------------
    def run(self) -> None:
        """Every kind of fault once at a random step (the kill among them) and one WEC down from
        early on to the end; weighted draws at the other steps."""
        weighted: list[tuple[Callable[[], None], int]] = [
            (self.create, 3), (self.change, 6), (self.delete, 2), (self.relabel_workload, 3),
            (self.relabel_cluster, 1), (self.go_offline, 1), (self.drop_watches, 2), (self.expire_history, 1),
            (self.latency, 1), (self.errors, 1)]
        actions, weights = zip(*weighted)
        each = [self.go_offline, self.drop_watches, self.expire_history, self.latency, self.errors]
        each += [self.kill] if self.plan.kill else []
        steps = self.plan.steps
        fixed = dict(zip(self.rng.sample(range(steps // 6, steps - steps // 6), len(each)), each))
        fixed[self.rng.randrange(steps // 6)] = self.long_outage
        for self.step in range(steps):
            self.undo_due()
            (fixed.get(self.step) or self.rng.choices(actions, weights)[0])()
            time.sleep(self.rng.uniform(0, 2 * self.plan.pause))  # the schedule's spacing, not a wait

    def finish(self) -> None:
        """Undo what is still on, then clear every fault: the last fault of the run."""
        self.undo_due(everything=True)
        self.sb.fault("clear")
        self.tally.faults["clear"] += 1

    def fault(self, kind: str, cluster: str | None = None, value: float | None = None) -> None:
        self.sb.fault(kind, cluster, value)
        self.tally.faults[kind] += 1

    def later(self, kind: str, cluster: str, value: float | None = None, *, at: int | None = None) -> None:
        """Undo a fault at step `at`, or a few steps from now."""
        self.undo.append((self.rng.randint(2, 8) + self.step if at is None else at, kind, cluster, value))

    def undo_due(self, everything: bool = False) -> None:
        due = [u for u in self.undo if everything or u[0] <= self.step]
        self.undo = [u for u in self.undo if u not in due]
        for _, kind, cluster, value in due:
            self.fault(kind, cluster, value)
            if kind == "online":
                self.offline.discard(cluster)

    def target(self) -> str | None:
        """A cluster for a fault: a WEC, the WDS, the ITS, or (None) every cluster."""
        return self.rng.choice([*self.wecs, WDS, ITS, None])

    def go_offline(self, *, until_end: bool = False) -> None:
        candidates = [w for w in self.wecs if w not in self.offline]
        if (len(self.offline) >= 2 and not until_end) or not candidates:
            return self.drop_watches()
        wec = self.rng.choice(candidates)
        self.offline.add(wec)
        self.take_offline(wec)
        self.later("online", wec, at=self.plan.steps if until_end else None)

    def take_offline(self, wec: str) -> None:
        self.fault("offline", wec)
        wait_for(lambda: self.monitor.noticed_outage(wec), timeout=NOTICE_TIMEOUT,
                 message=f"the monitor to show {wec} offline")

    def long_outage(self) -> None:
        """A WEC offline until the end: its watches back off to their longest wait, and the monitor
        must still catch up within 5 s once the WEC is back."""
        self.go_offline(until_end=True)

    def drop_watches(self) -> None:
        self.fault("drop-watches", self.target())

    def expire_history(self) -> None:
        """Forget history, then end the watches: resuming them needs a re-list (410 Gone)."""
        target = self.target()
        self.fault("expire-history", target)
        self.fault("drop-watches", target)

    def latency(self) -> None:
        cluster = self.rng.choice([*self.wecs, WDS, ITS])
        self.fault("latency", cluster, self.rng.choice((20, 50, 150)))
        self.later("latency", cluster, 0)

    def errors(self) -> None:
        cluster = self.rng.choice([*self.wecs, WDS, ITS])
        self.fault("errors", cluster, self.rng.choice((0.1, 0.3, 0.5)))
        self.later("errors", cluster, 0)

    def kill(self) -> None:
        """The sandbox process dies; faults live in its memory, so the WECs that should still be
        down are taken offline again once it is back (latency and errors just end)."""
        self.sb.crash_and_restart(lambda: self.monitor.noticed_outage(*self.wecs))
        self.tally.faults["kill-9"] += 1
        for wec in sorted(self.offline):
            self.take_offline(wec)

    def pick(self) -> Workload | None:
        return self.workloads[self.rng.choice(sorted(self.workloads))] if self.workloads else None

    def change(self) -> None:
        workload = self.pick()
        if workload is None:
            return self.create()
        workload.revision += 1
        if workload.kind == "Deployment" and self.rng.random() < 0.4:
            workload.replicas = self.rng.choice((0, 1, 2))
        self.sb.merge_patch(WDS, f"{workload.path}/{workload.name}", workload.manifest())
        self.tally.updates["change"] += 1

    def delete(self) -> None:
        workload = self.pick()
        if workload is None:
            return
        self.sb.call(WDS, "DELETE", f"{workload.path}/{workload.name}", ok=(404,))
        del self.workloads[workload.name]
        self.tally.updates["delete"] += 1

    def relabel_workload(self) -> None:
        workload = self.pick()
        if workload is None:
            return
        workload.group = self.rng.choice([g for g in GROUPS if g != workload.group])
        if self.rng.random() < 0.3:
            workload.canary = not workload.canary
        labels = {**workload.labels(), CANARY: "yes" if workload.canary else None}
        self.sb.merge_patch(WDS, f"{workload.path}/{workload.name}", {"metadata": {"labels": labels}})
        self.tally.updates["relabel"] += 1

    def relabel_cluster(self) -> None:
        wec = self.rng.choice(self.wecs)
        key = self.rng.choice(sorted(CLUSTER_LABELS))
        value = self.rng.choice(CLUSTER_LABELS[key])
        self.sb.merge_patch(ITS, f"{MANAGED_CLUSTERS}/{wec}", {"metadata": {"labels": {key: value}}})
        self.tally.updates["cluster-relabel"] += 1


# ---------------------------------------------------------------------------------------------
# One whole run


def check(monitor: MonitorObserver, truth: Truth, tally: Tally, what: str, plan: Plan,
          timeout: float = AGREE_TIMEOUT) -> None:
    """The monitor's cells must equal `truth` within `timeout`; raise naming the seed and cells."""
    shown: list[dict[Cell, str]] = []

    def agrees() -> bool:
        shown[:] = [monitor.cells()]
        return shown[0] == truth.cells

    started = time.monotonic()
    try:
        wait_for(agrees, timeout=timeout, interval=0.05, message=f"the monitor to agree ({what})")
    except AssertionError:
        raise Mismatch(f"seed {plan.seed}: the monitor's grid differs from the ground truth {timeout:g}s after "
                       f"the sandbox settled ({what}); columns {monitor.connections()}:\n  "
                       + "\n  ".join(differences(truth.cells, shown[0]))) from None
    tally.seconds[f"monitor agreed {what}"] = time.monotonic() - started
    tally.cells_checked[f"monitor {what}"] += truth.grid


def run(base: Path, plan: Plan, tally: Tally, *, log: Callable[[str], None] = lambda line: None) -> None:
    """The whole scenario in `base`; raises Mismatch (or AssertionError) when something is off.
    `tally.seconds` gets: setup, chaos, settle (last fault cleared to a stable ground truth), the
    monitor's delay after that, and `status` (its whole run: start, sync, print)."""
    sb = ChaosSandbox(state_dir=base / "state", clusters=[], cache_dir=base / "kubectl-cache")
    started = time.monotonic()
    monitor = MonitorObserver(sb.kubeconfig)
    try:
        sb.start_quickstart(plan.wecs)
        monitor.start()
        chaos = Chaos(sb, monitor, plan, tally)
        chaos.setup()
        check(monitor, settled_truth(sb), tally, "before faults", plan, timeout=30)
        tally.seconds["setup"] = time.monotonic() - started
        log(f"seed {plan.seed}: {plan.workloads} workloads on {plan.wecs} WECs agree; chaos starts")
        started = time.monotonic()
        chaos.run()
        chaos.finish()
        cleared = time.monotonic()
        tally.seconds["chaos"] = cleared - started
        truth = settled_truth(sb)
        tally.seconds["settle"] = time.monotonic() - cleared
        failures = []
        try:
            check(monitor, truth, tally, "after faults", plan)
        except Mismatch as failure:
            failures.append(str(failure))  # `status` still runs: whether it agrees tells where to look
        started = time.monotonic()
        shown = status_cells(sb)
        tally.seconds["status"] = time.monotonic() - started
        if shown != truth.cells:
            failures.append(f"seed {plan.seed}: `status -o json` differs from the ground truth:\n  "
                            + "\n  ".join(differences(truth.cells, shown)))
        else:
            tally.cells_checked["status"] += truth.grid
        if failures:
            raise Mismatch("\n".join(failures))
        again = read_truth(sb)
        assert again == truth, f"seed {plan.seed}: the ground truth moved while it was checked: {again.unsettled}"
    except AssertionError as failure:
        if f"seed {plan.seed}" in str(failure):
            raise
        raise AssertionError(f"seed {plan.seed}: {failure}") from failure  # every failure names its seed
    finally:
        tally.cell_updates_seen += monitor.cell_updates
        monitor.stop()
        stop_quietly(sb)
