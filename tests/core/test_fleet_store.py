"""FleetStore rules on synthetic events: each test is a situation a user would see in one cell."""

from __future__ import annotations

import copy

import orjson

from kstellar_tui.core.fleet.states import CellState
from kstellar_tui.core.kube.watch import ConnState
from tests.core.fleet_builders import (BINDINGS, CLUSTERS, DEPLOYMENTS, KEY, READY, STATUSES, WORKS, binding,
                                       cell, cluster, deliver, deployment, new_store, state, work)

def test_bound_but_not_delivered_is_pending(store):
    assert state(store) is CellState.PENDING


def test_delivered_and_available_is_ready_on_both_clusters(store):
    deliver(store)
    assert (state(store, "cluster1"), state(store, "cluster2")) == (CellState.READY, CellState.READY)


def test_rolling_out_is_progressing(store):
    deliver(store, status={**READY, "availableReplicas": 0, "updatedReplicas": 1})
    assert state(store) is CellState.PROGRESSING


def test_unpullable_image_is_degraded_with_the_reason(store):
    stuck = {"observedGeneration": 1, "replicas": 1, "updatedReplicas": 1, "unavailableReplicas": 1,
             "conditions": [{"type": "Progressing", "status": "False", "reason": "ProgressDeadlineExceeded",
                             "message": 'ReplicaSet "x" has timed out progressing.'}]}
    deliver(store, status=stuck)
    c = cell(store)
    assert c.state is CellState.DEGRADED and "timed out" in c.message


def test_applied_but_absent_on_the_wec_is_missing(store):
    store.event("its1", WORKS, "ADDED", work("cluster1"))
    assert state(store) is CellState.MISSING


def test_namespace_not_propagated_is_an_error_naming_it(store):
    store.event("its1", WORKS, "ADDED", work("cluster1", applied="False",
                                             failure='Failed to apply manifest: namespaces "nginx" not found'))
    c = cell(store)
    assert c.state is CellState.ERROR and 'namespaces "nginx" not found' in c.message


def test_wec_copy_edited_by_hand_is_drift(store):
    deliver(store)
    store.event("cluster1", DEPLOYMENTS, "MODIFIED", deployment(replicas=3, status=READY | {"replicas": 1}))
    assert state(store) in (CellState.DRIFT, CellState.PROGRESSING)
    store.event("cluster1", DEPLOYMENTS, "MODIFIED",
                deployment(image="other:1", status=READY))
    assert state(store) is CellState.DRIFT


def test_create_only_copies_are_never_drift(store):
    store.event("wds1", BINDINGS, "MODIFIED", binding(create_only=True))
    deliver(store)
    store.event("cluster1", DEPLOYMENTS, "MODIFIED", deployment(image="other:1", status=READY))
    assert state(store) is CellState.READY


def test_cluster_dropped_from_destinations_goes_blank_once_its_work_is_gone(store):
    deliver(store)
    store.event("wds1", BINDINGS, "MODIFIED", binding(destinations=("cluster1",)))
    assert state(store, "cluster2") is CellState.PENDING  # its ManifestWork is still being removed
    store.event("its1", WORKS, "DELETED", work("cluster2"))
    assert state(store, "cluster2") is CellState.NOT_SELECTED
    assert state(store, "cluster1") is CellState.READY


def test_offline_wec_is_unknown_stale_keeping_the_last_state(store):
    deliver(store)
    assert state(store) is CellState.READY
    store.connection("cluster1", DEPLOYMENTS, ConnState.OFFLINE, "connection refused", 1_700_000_000.0)
    c = cell(store)
    assert c.state is CellState.UNKNOWN
    assert "offline since" in c.message and "last known: Ready" in c.message
    assert state(store, "cluster2") is CellState.READY
    store.connection("cluster1", DEPLOYMENTS, ConnState.SYNCED, "", None)
    assert state(store) is CellState.READY


def test_long_policy_name_is_an_error_because_upstream_stays_silent(store):
    name = "p" * 64
    store.event("wds1", BINDINGS, "DELETED", binding())
    store.event("wds1", BINDINGS, "ADDED", binding(name=name))
    c = cell(store)
    assert c.state is CellState.ERROR and "64-character name" in c.message


def test_hub_only_cluster_uses_workstatus(store):
    store.connections.pop("cluster2")
    store.event("its1", WORKS, "ADDED", work("cluster2"))
    assert state(store, "cluster2") is CellState.PROGRESSING  # applied, nothing reported yet
    ws = {"metadata": {"name": "aw-appsv1-deployment-nginx-nginx-deployment", "namespace": "cluster2"},
          "spec": {"sourceRef": {"group": "apps", "version": "v1", "resource": "deployments", "kind": "Deployment",
                                 "namespace": "nginx", "name": "nginx-deployment"}},
          "status": READY}
    store.event("its1", STATUSES, "ADDED", ws)
    c = cell(store, "cluster2")
    assert c.state is CellState.READY and "hub-reported" in c.message
    store.replace("its1", STATUSES, [])
    assert state(store, "cluster2") is CellState.PROGRESSING


def test_relist_removes_what_disappeared_while_disconnected(store):
    deliver(store)
    store.replace("cluster1", DEPLOYMENTS, [])
    assert state(store) is CellState.MISSING


def test_drain_reports_only_changes_and_coalesces(store):
    deliver(store)
    store.drain()
    for replicas in (1, 1, 1):
        store.event("cluster1", DEPLOYMENTS, "MODIFIED", deployment(replicas=replicas, status=READY))
    assert store.drain() is None
    store.event("its1", CLUSTERS, "MODIFIED", cluster("cluster2", available="Unknown"))
    diff = store.drain()
    assert [c[:3] for c in diff["cells"]] == [[KEY, "cluster2", int(CellState.UNKNOWN)]]
    assert {c["name"]: c["available"] for c in diff["columns"]} == {"cluster1": "True", "cluster2": "Unknown"}


def test_snapshot_is_the_status_json_shape(store):
    deliver(store)
    snap = store.snapshot()
    assert [c["name"] for c in snap["clusters"]] == ["cluster1", "cluster2"]
    (row,) = snap["workloads"]
    assert (row["kind"], row["namespace"], row["name"]) == ("Deployment", "nginx", "nginx-deployment")
    assert row["cells"]["cluster1"] == {"state": "Ready", "delivery": "delivered", "health": "ready",
                                        "message": "1/1 available"}


def test_workload_deleted_everywhere_leaves_the_grid(store):
    deliver(store)
    store.drain()
    store.event("wds1", BINDINGS, "MODIFIED", copy.deepcopy(binding(destinations=())) | {"spec": {"workload": {}}})
    for name in ("cluster1", "cluster2"):
        store.event("its1", WORKS, "DELETED", work(name))
    diff = store.drain()
    assert diff["removed"] == [KEY]


def apiserver_line(type_: str, obj: dict) -> bytes:
    """An event line as kube-apiserver writes it: kind, apiVersion, then metadata's name and namespace first."""
    meta = obj["metadata"]
    ordered = {"kind": obj["kind"], "apiVersion": obj["apiVersion"],
               "metadata": {"name": meta["name"], "namespace": meta["namespace"], **meta},
               **{k: v for k, v in obj.items() if k not in ("kind", "apiVersion", "metadata")}}
    return orjson.dumps({"type": type_, "object": ordered})


def test_event_lines_make_the_same_cells_as_decoded_events():
    """WEC copies filed from their lines' first bytes and decoded at drain end up where events put them."""
    rolling = deployment(status={**READY, "availableReplicas": 0})
    edited = deployment(image="other:1", status=READY)
    script = [("cluster1", "ADDED", rolling), ("cluster1", "MODIFIED", deployment(status=READY)),
              ("cluster2", "ADDED", rolling), ("cluster2", "MODIFIED", edited),
              ("cluster1", "DELETED", deployment()), ("cluster1", "ADDED", rolling)]
    by_event, by_line = new_store(), new_store()
    for store in (by_event, by_line):
        for name in ("cluster1", "cluster2"):
            store.event("its1", WORKS, "ADDED", work(name))
    for step in range(len(script)):
        source, type_, obj = script[step]
        by_event.event(source, DEPLOYMENTS, type_, obj)
        by_line.lines(source, DEPLOYMENTS, [apiserver_line(type_, obj), b'{"type":"MODIFIED","object":{"kind":'])
        assert by_line.snapshot() == by_event.snapshot(), script[step]
    assert (state(by_line, "cluster1"), state(by_line, "cluster2")) == (CellState.PROGRESSING, CellState.DRIFT)
    assert by_line.counters.events == by_event.counters.events


def test_a_paged_relist_removes_only_once_its_last_page_came(store):
    deliver(store)
    other = {**deployment(status=READY), "metadata": {**deployment()["metadata"], "name": "other"}}
    store.page("cluster1", DEPLOYMENTS, [other], first=True, last=False)
    assert state(store) is CellState.READY  # a page of a list says nothing about what later pages hold
    store.page("cluster1", DEPLOYMENTS, [other], first=True, last=False)  # the list failed; started again
    store.page("cluster1", DEPLOYMENTS, [deployment(status=READY)], first=False, last=True)
    assert state(store) is CellState.READY
    store.page("cluster1", DEPLOYMENTS, [other], first=True, last=False)
    store.page("cluster1", DEPLOYMENTS, [], first=False, last=True)
    assert state(store) is CellState.MISSING


def test_an_outage_keeps_the_last_state_after_several_drains_and_forgets_it_after(store):
    deliver(store, status={**READY, "availableReplicas": 0})
    assert state(store) is CellState.PROGRESSING
    store.connection("cluster1", DEPLOYMENTS, ConnState.STALE, "read timed out", 1_700_000_000.0)
    assert "last known: Progressing" in cell(store).message
    store.event("its1", CLUSTERS, "MODIFIED", cluster("cluster1", labels={"location-group": "edge", "x": "1"}))
    store.connection("cluster1", DEPLOYMENTS, ConnState.OFFLINE, "connection refused", 1_700_000_000.0)
    assert "offline since" in cell(store).message and "last known: Progressing" in cell(store).message
    store.connection("cluster1", DEPLOYMENTS, ConnState.SYNCED, "", None)
    store.event("cluster1", DEPLOYMENTS, "MODIFIED", deployment(status=READY))
    assert state(store) is CellState.READY
    store.connection("cluster1", DEPLOYMENTS, ConnState.OFFLINE, "connection refused", 1_700_000_000.0)
    assert "last known: Ready" in cell(store).message


def test_a_cluster_gone_from_the_its_loses_its_column(store):
    deliver(store)
    store.drain()
    store.replace("its1", CLUSTERS, [cluster("cluster1")])
    diff = store.drain()
    assert [c["name"] for c in diff["columns"]] == ["cluster1"]
    assert state(store, "cluster2") is CellState.NOT_SELECTED
    assert state(store, "cluster1") is CellState.READY


def test_a_wec_down_since_before_its_copy_was_seen_shows_what_the_hub_reports(store):
    store.connection("cluster1", DEPLOYMENTS, ConnState.OFFLINE, "connection refused", 1_700_000_000.0)
    store.event("its1", WORKS, "ADDED", work("cluster1"))
    assert "last known: Progressing" in cell(store).message  # applied; no status reported yet
    ws = {"metadata": {"name": "aw-appsv1-deployment-nginx-nginx-deployment", "namespace": "cluster1"},
          "spec": {"sourceRef": {"group": "apps", "version": "v1", "resource": "deployments", "kind": "Deployment",
                                 "namespace": "nginx", "name": "nginx-deployment"}},
          "status": READY}
    store.event("its1", STATUSES, "ADDED", ws)
    assert cell(store).state is CellState.UNKNOWN and "last known: Ready" in cell(store).message
