"""Explain output for the situations a user asks about most (issue: core, 'Must show')."""

from __future__ import annotations

from kstellar_tui.core.fleet.explain import explain
from kstellar_tui.core.kube.watch import ConnState
from tests.core.fleet_builders import (BINDINGS, BPS, CLUSTERS, DEPLOYMENTS, KEY, NAMESPACES, WORKS, binding,
                                       cluster, deliver, work)

POLICY = {"metadata": {"name": "nginx-bpolicy"},
          "spec": {"clusterSelectors": [{"matchLabels": {"location-group": "edge"}}],
                   "downsync": [{"objectSelectors": [{"matchLabels": {"app.kubernetes.io/name": "nginx"}}]}]}}


def run(s, cluster_name="cluster1"):
    s.drain()
    return explain(s, KEY, cluster_name)


def text(result):
    return "\n".join(f"{s.step} {s.name}: {s.detail}" for s in result.chain) + "\n" + "\n".join(result.reasons)


def test_matched_shows_the_whole_chain(store):
    store.event("wds1", BPS, "ADDED", POLICY)
    deliver(store)
    result = run(store)
    assert result.state == "Ready"
    assert [s.step for s in result.chain] == ["Cluster", "BindingPolicy", "Binding", "ManifestWork", "WEC object"]
    assert all(s.ok for s in result.chain)


def test_not_matched_by_the_cluster_selector_names_the_labels(store):
    store.event("wds1", BPS, "ADDED", POLICY)
    store.event("its1", CLUSTERS, "MODIFIED", cluster("cluster2", labels={"name": "cluster2"}))
    result = run(store, "cluster2")
    policy_step = next(s for s in result.chain if s.step == "BindingPolicy")
    assert not policy_step.ok
    assert "location-group=edge" in policy_step.detail and "name=cluster2" in policy_step.detail


def test_namespace_not_selected_is_explained(store):
    store.event("wds1", BPS, "ADDED", {"metadata": {"name": "ns-only"},
                                       "spec": {"clusterSelectors": [{}], "downsync": [{"namespaces": ["other"]}]}})
    store.event("wds1", NAMESPACES, "ADDED", {"apiVersion": "v1", "kind": "Namespace",
                                              "metadata": {"name": "nginx"}})
    result = run(store)
    step = next(s for s in result.chain if s.name == "ns-only")
    assert not step.ok and 'namespace "nginx"' in step.detail and "other" in step.detail


def test_policy_name_too_long_is_said_plainly(store):
    long_name = "nginx-" + "x" * 60
    store.event("wds1", BPS, "ADDED", {**POLICY, "metadata": {"name": long_name}})
    store.event("wds1", BINDINGS, "DELETED", binding())
    store.event("wds1", BINDINGS, "ADDED", binding(name=long_name))
    result = run(store)
    assert result.state == "Error"
    assert any("66-character name" in r and "Rename" in r for r in result.reasons)


def test_unpullable_image_reports_the_wec_condition(store):
    store.event("wds1", BPS, "ADDED", POLICY)
    stuck = {"observedGeneration": 1, "replicas": 1, "updatedReplicas": 1, "unavailableReplicas": 1,
             "conditions": [{"type": "Progressing", "status": "False", "reason": "ProgressDeadlineExceeded",
                             "message": 'ReplicaSet "nginx-1" has timed out progressing.'}]}
    deliver(store, status=stuck)
    result = run(store)
    assert result.state == "Degraded"
    assert any("timed out progressing" in r for r in result.reasons)


def test_offline_cluster_says_stale_and_why(store):
    store.event("wds1", BPS, "ADDED", POLICY)
    deliver(store)
    store.drain()
    store.connection("cluster1", DEPLOYMENTS, ConnState.OFFLINE, "connection refused", 1_700_000_000.0)
    result = run(store)
    assert result.state == "Unknown"
    assert "offline since" in result.message and "last known: Ready" in result.message
    cluster_step = result.chain[0]
    assert "connection refused" in cluster_step.detail


def test_namespace_missing_on_the_wec_suggests_selecting_it(store):
    store.event("wds1", BPS, "ADDED", POLICY)
    store.event("its1", WORKS, "ADDED", work("cluster1", applied="False",
                                             failure='Failed to apply manifest: namespaces "nginx" not found'))
    result = run(store)
    assert any("select the Namespace object" in r for r in result.reasons)
