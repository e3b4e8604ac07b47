"""The initial sync: cells wait for the first list of what they read, then are computed once.

Driven as FleetWatcher drives the store: connection states, then paged lists, a drain (a monitor
tick) after every page. Without the hold, every page of ManifestWorks, WorkStatuses and WEC copies
recomputed the same cells, and the grid showed states the fleet was never in ("bound; no
ManifestWork yet", "missing") until the lists came in."""

from __future__ import annotations

from kstellar_tui.core.fleet.states import CellState
from kstellar_tui.core.fleet import store as store_module
from kstellar_tui.core.fleet.store import FleetStore
from kstellar_tui.core.kube.watch import ConnState
from tests.core.fleet_builders import BINDINGS, CLUSTERS, DEPLOYMENTS, READY, STATUSES, WORKS, cluster

CLUSTER_NAMES = ("cluster1", "cluster2", "cluster3")
NAMES = [f"app{i}" for i in range(12)]
PAGE = 5


class CountingStore(FleetStore):
    def __init__(self):
        super().__init__()
        self.computed: dict[tuple[str, str], int] = {}

    def compute(self, key, cluster):
        self.computed[(key, cluster)] = self.computed.get((key, cluster), 0) + 1
        return super().compute(key, cluster)


def _deployment(name: str, status: dict | None = READY) -> dict:
    return {"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": name, "namespace": "bench", "generation": 1},
            "spec": {"replicas": 1}, **({"status": status} if status else {})}


def _binding() -> dict:
    entries = [{"group": "apps", "version": "v1", "resource": "deployments", "namespace": "bench", "name": n}
               for n in NAMES]
    return {"metadata": {"name": "bench"}, "spec": {"workload": {"namespaceScope": entries},
                                                    "destinations": [{"clusterId": c} for c in CLUSTER_NAMES]}}


def _work(cluster_name: str, name: str) -> dict:
    return {"metadata": {"name": f"bench-{name}", "namespace": cluster_name,
                         "labels": {"transport.kubestellar.io/originWdsName": "wds1"}},
            "spec": {"workload": {"manifests": [_deployment(name, None)]}},
            "status": {"conditions": [{"type": "Applied", "status": "True"}]}}


def _workstatus(cluster_name: str, name: str) -> dict:
    return {"metadata": {"name": f"ws-{name}", "namespace": cluster_name},
            "spec": {"sourceRef": {"group": "apps", "version": "v1", "resource": "deployments",
                                   "kind": "Deployment", "namespace": "bench", "name": name}},
            "status": READY}


def _lists() -> list[tuple[str, object, list[dict]]]:
    """What each watch lists, in the order the watcher typically applies them."""
    lists = [("wds1", BINDINGS, [_binding()]), ("its1", CLUSTERS, [cluster(c) for c in CLUSTER_NAMES]),
             ("wds1", DEPLOYMENTS, [_deployment(n, None) for n in NAMES])]
    lists.append(("its1", WORKS, [_work(c, n) for c in CLUSTER_NAMES for n in NAMES]))
    lists.append(("its1", STATUSES, [_workstatus(c, n) for c in CLUSTER_NAMES for n in NAMES]))
    lists += [(c, DEPLOYMENTS, [_deployment(n) for n in NAMES]) for c in CLUSTER_NAMES]
    return lists


def _list(store: FleetStore, source: str, resource, objects: list[dict], seen: list[list]) -> None:
    """One watch's list, paged, with a monitor tick after each page; `seen` collects the diffs' cells."""
    store.connection(source, resource, ConnState.SYNCING, "", None)
    for start in range(0, len(objects), PAGE):
        store.page(source, resource, objects[start:start + PAGE], start == 0, start + PAGE >= len(objects))
        seen += (store.drain() or {}).get("cells", [])
    store.connection(source, resource, ConnState.SYNCED, "", None)
    seen += (store.drain() or {}).get("cells", [])


def _sync(store: FleetStore, but: int = 0) -> list[list]:
    """Start every watch, then list all but the last `but` of them; the cells the diffs carried."""
    lists, seen = _lists(), []
    for source, resource, _ in lists:
        store.connection(source, resource, ConnState.CONNECTING, "", None)
    for source, resource, objects in lists[:len(lists) - but]:
        _list(store, source, resource, objects, seen)
    return seen


def test_initial_sync_shows_each_cell_once_in_its_final_state():
    store = CountingStore()
    seen = _sync(store)
    cells = {(key, c) for key in store.cells for c in CLUSTER_NAMES}
    assert len(cells) == len(NAMES) * len(CLUSTER_NAMES)
    assert {store.cells[key][c].state for key, c in cells} == {CellState.READY}
    # what the user saw: every cell arrived once, Ready; no "no ManifestWork yet" or "missing" on the way
    assert sorted((key, c) for key, c, *_ in seen) == sorted(cells)
    assert {CellState(state) for _, _, state, _ in seen} == {CellState.READY}
    assert store.computed == dict.fromkeys(cells, 1)


def test_a_wec_still_listing_holds_only_its_own_column():
    store = FleetStore()
    _sync(store, but=1)
    store.page("cluster3", DEPLOYMENTS, [_deployment(NAMES[0])], True, False)
    store.drain()
    assert {c for row in store.cells.values() for c in row} == {"cluster1", "cluster2"}
    store.page("cluster3", DEPLOYMENTS, [_deployment(n) for n in NAMES[1:]], False, True)
    store.connection("cluster3", DEPLOYMENTS, ConnState.SYNCED, "", None)
    store.drain()
    assert {row["cluster3"].state for row in store.cells.values()} == {CellState.READY}


def test_a_first_list_that_fails_or_whose_watch_stops_holds_nothing_back():
    store = FleetStore()
    _sync(store, but=2)
    store.drain()
    assert {c for row in store.cells.values() for c in row} == {"cluster1"}
    store.connection("cluster2", DEPLOYMENTS, ConnState.OFFLINE, "connection refused", None)
    store.forget("cluster3", DEPLOYMENTS)  # e.g. its kind no longer bound
    store.drain()
    assert {row["cluster2"].state for row in store.cells.values()} == {CellState.UNKNOWN}
    # no watch left on cluster3: the hub's WorkStatuses speak for it
    assert {(row["cluster3"].state, row["cluster3"].message) for row in store.cells.values()} == {
        (CellState.READY, "1/1 available (hub-reported)")}


def test_a_hub_list_in_its_first_pass_holds_every_cell_but_not_a_snapshot():
    store = FleetStore()
    seen = _sync(store, but=5)  # the Bindings, ManagedClusters and WDS Deployments are in
    store.page("its1", WORKS, [_work(c, n) for c in CLUSTER_NAMES for n in NAMES[:2]], True, False)
    store.drain()
    assert seen == [] and all(row == {} for row in store.cells.values())
    snapshot = store.snapshot()  # `status` after a sync timeout: everything as far as it got
    states = {c: w["cells"][c]["state"] for w in snapshot["workloads"] for c in CLUSTER_NAMES
              if w["name"] == NAMES[0]}
    assert states == dict.fromkeys(CLUSTER_NAMES, "Missing")


def test_cells_held_by_the_hub_come_in_slices_until_all_are_shown(monkeypatch):
    monkeypatch.setattr(store_module, "REDO_CELLS", 2 * len(CLUSTER_NAMES))  # two rows a drain
    store = CountingStore()
    for source, resource, objects in _lists():
        store.connection(source, resource, ConnState.SYNCING, "", None)
        store.replace(source, resource, objects)
        if resource is not STATUSES:
            store.connection(source, resource, ConnState.SYNCED, "", None)
    assert "cells" not in store.drain()  # the rows, held back until the WorkStatuses are in
    store.connection("its1", STATUSES, ConnState.SYNCED, "", None)
    shown = []
    while diff := store.drain():
        shown.append(len(diff.get("cells", ())))
    assert shown == [2 * len(CLUSTER_NAMES)] * (len(NAMES) // 2)
    assert {cell.state for row in store.cells.values() for cell in row.values()} == {CellState.READY}
    assert set(store.computed.values()) == {1}
