"""Presets reach the states of Getting Started, in a served sandbox, and survive a restart."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from kstellar_tui.sandbox import admin_ops, core_chart, presets
from kstellar_tui.sandbox.apiserver.errors import ApiError
from kstellar_tui.sandbox.controllers.ensure import ensure, lookup
from kstellar_tui.sandbox.controllers.manager import TopologyManager, deployment_available, job_complete
from kstellar_tui.sandbox.controllers.ocm_registration import condition_status
from kstellar_tui.sandbox.controllers.timings import Timings
from kstellar_tui.sandbox.definitions import kinds
from tests.sandbox._topology import eventually, running_topology


def _contexts(topology: TopologyManager) -> set[str]:
    config = yaml.safe_load(topology.sandbox.kubeconfig_path.read_text())
    return {context["name"] for context in config["contexts"]}


def _cluster(topology: TopologyManager, name: str) -> dict | None:
    return lookup(topology.sandbox.clusters["its1"], kinds.MANAGED_CLUSTER, None, name)


async def test_empty_means_no_clusters(tmp_path: Path) -> None:
    async with running_topology(tmp_path / "state") as topology:
        assert await presets.apply(topology, "empty") == {"preset": "empty", "clusters": []}
        assert topology.sandbox.clusters == {}
    async with running_topology(tmp_path / "other", clusters=("cluster1",)) as topology:
        with pytest.raises(ApiError) as error:
            await presets.apply(topology, "empty")
        assert error.value.code == 409


async def test_unknown_preset(tmp_path: Path) -> None:
    async with running_topology(tmp_path / "state") as topology:
        with pytest.raises(ApiError) as error:
            await presets.apply(topology, "everything")
        assert error.value.code == 404
        assert "one of empty, core, quickstart" in error.value.message


async def test_core_is_the_state_after_the_chart_and_its_waits(tmp_path: Path) -> None:
    async with running_topology(tmp_path / "state") as topology:
        await presets.apply(topology, "core")
        clusters = topology.sandbox.clusters
        assert set(clusters) == {"kind-kubeflex", "its1", "wds1"}
        assert _contexts(topology) == {"kind-kubeflex", "its1", "wds1"}
        hosting = clusters["kind-kubeflex"]
        its1 = lookup(hosting, kinds.CONTROL_PLANE, None, "its1")
        wds1 = lookup(hosting, kinds.CONTROL_PLANE, None, "wds1")
        assert (its1["spec"]["type"], its1["metadata"]["labels"][core_chart.CPTYPE_LABEL]) == ("vcluster", "its")
        assert (wds1["spec"]["type"], wds1["metadata"]["labels"][core_chart.CPTYPE_LABEL]) == ("k8s", "wds")
        for cp in (its1, wds1):
            assert condition_status(cp, "Ready") == "True"
            assert condition_status(cp, "Synced") == "True"
            assert cp["status"]["postCreateHookCompleted"] is True
        for job in ("its-hub-init", "install-status-addon", "update-cluster-info"):
            assert job_complete(lookup(hosting, kinds.JOB, "its1-system", job)), job
        for name in (core_chart.CONTROLLER_MANAGER, core_chart.TRANSPORT_CONTROLLER):
            assert deployment_available(lookup(hosting, kinds.DEPLOYMENT, "wds1-system", name)), name
        its = clusters["its1"]
        for namespace in ("open-cluster-management", "open-cluster-management-hub", "customization-properties"):
            assert lookup(its, kinds.NAMESPACE, None, namespace), namespace
        assert its.type_for(("control.kubestellar.io", "workstatuses")) is not None
        assert lookup(its, kinds.CONFIG_MAP, "kube-public", "cluster-info") is not None
        wds = clusters["wds1"]
        for plural in ("bindingpolicies", "bindings", "statuscollectors", "combinedstatuses", "customtransforms"):
            assert wds.type_for(("control.kubestellar.io", plural)) is not None, plural
        assert wds.type_for(kinds.MANAGED_CLUSTER) is None


async def test_quickstart_joins_accepts_and_labels_the_wecs(tmp_path: Path) -> None:
    async with running_topology(tmp_path / "state") as topology:
        result = await presets.apply(topology, "quickstart", presets.PresetOptions(wecs=3))
        assert result["clusters"] == ["cluster1", "cluster2", "cluster3", "its1", "kind-kubeflex", "wds1"]
        assert {"cluster1", "cluster2", "cluster3"} <= _contexts(topology)
        for name in ("cluster1", "cluster2", "cluster3"):
            cluster = _cluster(topology, name)
            assert cluster["spec"]["hubAcceptsClient"] is True
            for condition in ("HubAcceptedManagedCluster", "ManagedClusterJoined", "ManagedClusterConditionAvailable"):
                assert condition_status(cluster, condition) == "True", (name, condition)
            labels = cluster["metadata"]["labels"]
            assert labels["location-group"] == "edge" and labels["name"] == name
            assert labels["cluster.open-cluster-management.io/clusterset"] == "default"
            assert lookup(topology.sandbox.clusters["its1"], kinds.NAMESPACE, None, name) is not None


async def test_presets_are_ready_within_a_few_seconds_with_the_default_timings(tmp_path: Path) -> None:
    async with running_topology(tmp_path / "state", timings=Timings()) as topology:
        await presets.apply(topology, "quickstart", presets.PresetOptions(timeout=5.0))
        assert condition_status(_cluster(topology, "cluster2"), "ManagedClusterConditionAvailable") == "True"


async def test_each_step_goes_on_when_what_it_waits_for_changes_not_on_a_timer(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With the fallback poll slower than the preset's own timeout, only being woken by the change
    itself gets the quickstart done."""
    monkeypatch.setattr(admin_ops, "_POLL", 60.0)
    async with running_topology(tmp_path / "state") as topology:
        await presets.apply(topology, "quickstart", presets.PresetOptions(wecs=2, timeout=10.0))
        assert condition_status(_cluster(topology, "cluster2"), "ManagedClusterConditionAvailable") == "True"


async def test_a_k8s_wds_never_runs_pods_but_wecs_do(tmp_path: Path) -> None:
    deployment = {"apiVersion": "apps/v1", "kind": "Deployment",
                  "metadata": {"name": "nginx", "namespace": "default"},
                  "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "nginx"}},
                           "template": {"metadata": {"labels": {"app": "nginx"}},
                                        "spec": {"containers": [{"name": "nginx", "image": "nginx"}]}}}}
    async with running_topology(tmp_path / "state") as topology:
        await presets.apply(topology, "quickstart", presets.PresetOptions(wecs=1))
        wds, wec = topology.sandbox.clusters["wds1"], topology.sandbox.clusters["cluster1"]
        ensure(wds, kinds.DEPLOYMENT, deployment)
        ensure(wec, kinds.DEPLOYMENT, deployment)
        await eventually(lambda: deployment_available(lookup(wec, kinds.DEPLOYMENT, "default", "nginx")),
                         what="the WEC's nginx available")
        await topology.idle()
        assert lookup(wds, kinds.DEPLOYMENT, "default", "nginx").get("status", {}).get("availableReplicas") is None
        assert wds.objects(("apps", "replicasets")) == [] and wds.objects(("", "pods")) == []
        assert not any(key[0] == "workloads" and key[1] == "wds1" for key in topology.running)


async def test_a_restarted_sandbox_finds_its_topology_again(tmp_path: Path) -> None:
    async with running_topology(tmp_path / "state") as topology:
        await presets.apply(topology, "quickstart", presets.PresetOptions(wecs=1))
    async with running_topology(tmp_path / "state", clusters=("kind-kubeflex", "its1", "wds1", "cluster1")) as topology:
        await eventually(lambda: {key[0] for key in topology.running} >= {
            "kubeflex", "hub", "binding", "transport", "registration-agent", "work-agent", "status-agent"},
            what="every controller running again")
        assert condition_status(_cluster(topology, "cluster1"), "ManagedClusterJoined") == "True"
