"""The setup commands against a served sandbox: kind, helm (core chart), clusteradm, and Getting
Started steps 6-9 with the real kubectl doing the accepting."""

from __future__ import annotations

import json
import logging
import ssl
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from kstellar_tui.sandbox import admin_ops, core_chart, presets
from kstellar_tui.sandbox.apiserver.errors import ApiError
from kstellar_tui.sandbox.controllers.ensure import lookup
from kstellar_tui.sandbox.controllers.manager import TopologyManager
from kstellar_tui.sandbox.controllers.ocm_registration import CLUSTER_NAME_LABEL, condition_status, csr_state
from kstellar_tui.sandbox.definitions import kinds
from tests.sandbox._topology import eventually, kubectl, running_topology

Space = core_chart.Space


@pytest.mark.parametrize("role, values, expected", [
    ("ITSes", [{"name": "its1"}], [Space("its1", "vcluster")]),
    ("ITSes", [{"name": "its1", "type": "host"}], [Space("its1", "host")]),
    ("WDSes", [{"name": "wds1"}, {"name": "wds2", "type": "host"}], [Space("wds1", "k8s"), Space("wds2", "host")]),
    ("WDSes", [{"name": "wds1", "ITSName": "its2", "APIGroups": "apps"}], [Space("wds1", "k8s", "its2", "apps")]),
    ("WDSes", [], []),
])
def test_parse_spaces(role: str, values: Any, expected: list[Space]) -> None:
    assert admin_ops.parse_spaces(values, role) == expected


@pytest.mark.parametrize("role, values, message", [
    ("ITSes", {"name": "its1"}, "expected a list"),
    ("ITSes", [{"type": "vcluster"}], "needs a name"),
    ("ITSes", [{"name": "its1", "type": "k8s"}], "type must be one of vcluster, host"),
    ("WDSes", [{"name": "wds1", "type": "vcluster"}], "type must be one of k8s, host"),
    ("WDSes", [{"name": "WDS_1"}], "invalid cluster name"),
])
def test_parse_spaces_refuses(role: str, values: Any, message: str) -> None:
    with pytest.raises(ApiError) as error:
        admin_ops.parse_spaces(values, role)
    assert error.value.code == 400 and message in error.value.message


def _cps(topology: TopologyManager) -> set[str]:
    return {cp["metadata"]["name"] for cp in topology.sandbox.clusters["kind-kubeflex"].objects(kinds.CONTROL_PLANE)}


async def _ready(topology: TopologyManager, *names: str) -> None:
    hosting = topology.sandbox.clusters["kind-kubeflex"]
    await eventually(lambda: all(condition_status(lookup(hosting, kinds.CONTROL_PLANE, None, n), "Ready") == "True"
                                 for n in names), what=f"{', '.join(names)} Ready")


async def test_clusters_come_and_go_like_kind(tmp_path: Path) -> None:
    async with running_topology(tmp_path / "state") as topology:
        created = await admin_ops.create_cluster(topology, "cluster1")
        assert created["port"] == topology.sandbox.ports["cluster1"]
        with pytest.raises(ApiError) as error:
            await admin_ops.create_cluster(topology, "cluster1")
        assert error.value.code == 409
        await admin_ops.delete_cluster(topology, "cluster1")
        assert "cluster1" not in topology.sandbox.clusters
        with pytest.raises(ApiError) as error:
            await admin_ops.delete_cluster(topology, "cluster1")
        assert error.value.code == 404


async def test_deleting_the_hosting_cluster_takes_its_spaces(tmp_path: Path) -> None:
    async with running_topology(tmp_path / "state") as topology:
        await presets.apply(topology, "quickstart", presets.PresetOptions(wecs=1))
        assert await admin_ops.delete_cluster(topology, "kind-kubeflex") == {
            "name": "kind-kubeflex", "spaces": ["its1", "wds1"]}
        assert set(topology.sandbox.clusters) == {"cluster1"}
        await eventually(lambda: {key[0] for key in topology.running} == {"workloads"}, what="only cluster1's pods")


async def test_the_core_chart_needs_the_hosting_cluster(tmp_path: Path) -> None:
    async with running_topology(tmp_path / "state") as topology:
        with pytest.raises(ApiError) as error:
            await admin_ops.install_core(topology, [Space("its1", "vcluster")], [Space("wds1", "k8s")])
        assert (error.value.code, error.value.message) == (404, 'cluster "kind-kubeflex" not found')


@pytest.mark.parametrize("its, wds, message", [
    ([Space("x", "vcluster")], [Space("x", "k8s")], "must be unique"),
    ([Space("its1", "host")], [Space("wds2", "host")], "only one control plane can be of type host"),
    ([Space("its1", "vcluster")], [Space("wds1", "k8s", "its9")], 'ITSName "its9" is not one of the ITSes'),
    ([Space("its1", "vcluster"), Space("its2", "vcluster")], [Space("wds1", "k8s")], "ITSName must be set"),
])
async def test_the_core_chart_checks_its_values(tmp_path: Path, its: list, wds: list, message: str) -> None:
    async with running_topology(tmp_path / "state", clusters=("kind-kubeflex",)) as topology:
        with pytest.raises(ApiError) as error:
            await admin_ops.install_core(topology, its, wds)
        assert error.value.code == 400 and message in error.value.message


async def test_relisting_fewer_spaces_deletes_the_omitted_ones(tmp_path: Path) -> None:
    async with running_topology(tmp_path / "state", clusters=("kind-kubeflex",)) as topology:
        first = await admin_ops.install_core(topology, [Space("its1", "vcluster")],
                                             [Space("wds1", "k8s"), Space("wds2", "host")])
        assert (first["revision"], first["controlPlanes"], first["deleted"]) == (1, ["its1", "wds1", "wds2"], [])
        await _ready(topology, "its1", "wds1", "wds2")
        assert {"its1", "wds1"} <= set(topology.sandbox.clusters) and "wds2" not in topology.sandbox.clusters
        again = await admin_ops.install_core(topology, [Space("its1", "vcluster")],
                                             [Space("wds1", "k8s"), Space("wds2", "host")])
        assert (again["revision"], again["deleted"]) == (2, [])
        fewer = await admin_ops.install_core(topology, [Space("its1", "vcluster")], [Space("wds2", "host")])
        assert (fewer["revision"], fewer["deleted"]) == (3, ["wds1"])
        await eventually(lambda: _cps(topology) == {"its1", "wds2"}, what="wds1 deleted")
        await eventually(lambda: "wds1" not in topology.sandbox.clusters, what="the wds1 space removed")
        hosting = topology.sandbox.clusters["kind-kubeflex"]
        releases = {s["metadata"]["name"]: s["metadata"]["labels"]["status"]
                    for s in hosting.objects(kinds.SECRET, "default") if s.get("type") == "helm.sh/release.v1"}
        assert releases == {"sh.helm.release.v1.ks-core.v1": "superseded",
                            "sh.helm.release.v1.ks-core.v2": "superseded",
                            "sh.helm.release.v1.ks-core.v3": "deployed"}


async def test_uninstall_tears_the_spaces_down(tmp_path: Path) -> None:
    async with running_topology(tmp_path / "state") as topology:
        await presets.apply(topology, "core")
        result = await admin_ops.uninstall_core(topology)
        assert result == {"release": "ks-core", "deleted": ["its1", "wds1"]}
        assert set(topology.sandbox.clusters) == {"kind-kubeflex"}
        hosting = topology.sandbox.clusters["kind-kubeflex"]
        assert hosting.objects(kinds.CONTROL_PLANE) == [] and hosting.objects(kinds.POST_CREATE_HOOK) == []
        await eventually(lambda: lookup(hosting, kinds.NAMESPACE, None, core_chart.KUBEFLEX_NAMESPACE) is None,
                         what="kubeflex-system gone")
        with pytest.raises(ApiError) as error:
            await admin_ops.uninstall_core(topology)
        assert error.value.message == "uninstall: Release not loaded: ks-core: release: not found"


async def test_clusteradm_token_join_and_accept(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    async with running_topology(tmp_path / "state") as topology:
        await admin_ops.create_cluster(topology, "kind-kubeflex")
        await admin_ops.install_core(topology, [Space("its1", "vcluster")], [Space("wds1", "k8s")])
        with pytest.raises(ApiError) as error:
            admin_ops.get_token(topology, "its2")
        assert error.value.code == 404
        await eventually(lambda: _token_or_none(topology), what="the hub to be initialised")
        token = admin_ops.get_token(topology, "its1")
        url = f"https://127.0.0.1:{topology.sandbox.ports['its1']}"
        assert token["hubApiserver"] == url
        assert token["command"] == (f"clusteradm join --hub-token {token['token']} --hub-apiserver {url} "
                                    "--cluster-name <cluster_name>")
        await admin_ops.create_cluster(topology, "cluster1")
        with pytest.raises(ApiError) as error:
            await admin_ops.join(topology, "cluster1", its="its1", token="abcdef.0000000000000000")
        assert error.value.code == 401
        with pytest.raises(ApiError) as error:
            admin_ops.accept(topology, "its1", ["cluster1"])
        assert error.value.message == "no CSR to approve for cluster cluster1"
        joined = await admin_ops.join(topology, "cluster1", its="its1", token=token["token"])
        assert joined == {"cluster": "cluster1", "clusterName": "cluster1", "its": "its1"}
        wec = topology.sandbox.clusters["cluster1"]
        for namespace in ("open-cluster-management", "open-cluster-management-agent",
                          "open-cluster-management-agent-addon"):
            assert lookup(wec, kinds.NAMESPACE, None, namespace), namespace
        its = topology.sandbox.clusters["its1"]
        await eventually(lambda: lookup(its, kinds.MANAGED_CLUSTER, None, "cluster1") and its.objects(kinds.CSR),
                         what="the registration")
        (csr,) = its.objects(kinds.CSR)
        lines = admin_ops.accept(topology, "its1", ["cluster1"])
        csr_name = csr["metadata"]["name"]
        assert lines == [f"CSR {csr_name} approved", "set hubAcceptsClient to true for managed cluster cluster1"]
        assert admin_ops.accept(topology, "its1", ["cluster1"]) == [
            f"CSR {csr_name} already approved", "hubAcceptsClient already set for managed cluster cluster1"]
        await eventually(lambda: condition_status(lookup(its, kinds.MANAGED_CLUSTER, None, "cluster1"),
                                                  "ManagedClusterConditionAvailable") == "True", what="Available")
    assert not [r for r in caplog.records if token["token"] in r.getMessage()]


def _token_or_none(topology: TopologyManager) -> dict | None:
    try:
        return admin_ops.get_token(topology, "its1")
    except ApiError:
        return None


async def test_the_admin_api_serves_the_operations(tmp_path: Path) -> None:
    async with running_topology(tmp_path / "state") as topology:
        sandbox = topology.sandbox
        context = ssl.create_default_context(cafile=str(sandbox.files.ca_cert))
        base = f"https://127.0.0.1:{sandbox.admin_port}/_sandbox"
        headers = {"Authorization": f"Bearer {sandbox.token}"}
        async with aiohttp.ClientSession(headers=headers, connector=aiohttp.TCPConnector(ssl=context)) as http:
            async def call(method: str, path: str, body: Any = None) -> tuple[int, Any]:
                async with http.request(method, base + path, json=body) as response:
                    return response.status, await response.json()

            status, body = await call("POST", "/presets/core", {"timeout": 10})
            assert (status, body["preset"]) == (200, "core")
            status, body = await call("POST", "/core", {"ITSes": [{"name": "its1"}], "WDSes": [{"name": "wds1"}]})
            assert (status, body["revision"], body["deleted"]) == (200, 2, [])
            status, token = await call("GET", "/its/its1/token")
            assert status == 200
            assert (await call("POST", "/clusters", {"name": "cluster1"}))[0] == 201
            status, body = await call("POST", "/join", {"cluster": "cluster1", "its": "its1", "token": token["token"]})
            assert (status, body["clusterName"]) == (201, "cluster1")
            its = sandbox.clusters["its1"]
            await eventually(lambda: any(labels.get(CLUSTER_NAME_LABEL) == "cluster1" for labels in
                                         (c["metadata"].get("labels", {}) for c in its.objects(kinds.CSR))),
                             what="the CSR")
            await eventually(lambda: lookup(its, kinds.MANAGED_CLUSTER, None, "cluster1"), what="the ManagedCluster")
            status, body = await call("POST", "/accept", {"its": "its1", "clusters": ["cluster1"]})
            assert status == 200 and body["lines"][-1] == "set hubAcceptsClient to true for managed cluster cluster1"
            status, body = await call("POST", "/accept", {"its": "its1", "clusters": []})
            assert (status, body["kind"], body["code"]) == (400, "Status", 400)
            status, body = await call("POST", "/presets/nope", {})
            assert (status, body["reason"]) == (404, "NotFound")
            status, body = await call("DELETE", "/core")
            assert (status, body["deleted"]) == (200, ["its1", "wds1"])


@pytest.mark.kubectl
async def test_getting_started_steps_6_to_9_with_kubectl(tmp_path: Path) -> None:
    async with running_topology(tmp_path / "state") as topology:
        await presets.apply(topology, "core")
        token = admin_ops.get_token(topology, "its1")["token"]
        for cluster in ("cluster1", "cluster2"):                                  # step 6
            await admin_ops.create_cluster(topology, cluster)
            await admin_ops.join(topology, cluster, its="its1", token=token)

        async def pending() -> list[str]:                                        # step 7
            listed = await kubectl(topology, "--context", "its1", "get", "csr", "--no-headers")
            return [line.split()[0] for line in listed.stdout.splitlines() if "Pending" in line]

        pending_csrs: list[str] = []

        async def two_pending() -> bool:
            pending_csrs[:] = await pending()
            return len(pending_csrs) >= 2

        await eventually(two_pending, timeout=20, what="two Pending CSRs in kubectl get csr")
        its = topology.sandbox.clusters["its1"]
        assert {lookup(its, kinds.CSR, None, n)["metadata"]["labels"][CLUSTER_NAME_LABEL] for n in pending_csrs} \
            == {"cluster1", "cluster2"}
        listed = await kubectl(topology, "--context", "its1", "get", "managedclusters")
        assert listed.returncode == 0, listed.stderr
        rows = {line.split()[0]: line.split() for line in listed.stdout.splitlines()[1:]}
        assert rows["cluster1"][1] == "false"                                    # HUB ACCEPTED, not JOINED yet

        # step 8: cluster1 the clusteradm way; cluster2 with kubectl alone (approval subresource + patch)
        admin_ops.accept(topology, "its1", ["cluster1"])
        (csr2,) = [n for n in pending_csrs if n.startswith("cluster2-")]
        shown = await kubectl(topology, "--context", "its1", "get", "csr", csr2, "-o", "json")
        approval = json.loads(shown.stdout)
        approval.setdefault("status", {})["conditions"] = [{
            "type": "Approved", "status": "True", "reason": "KubectlApprove",
            "message": "This CSR was approved by kubectl certificate approve."}]
        (tmp_path / "approval.json").write_text(json.dumps(approval))
        replaced = await kubectl(topology, "--context", "its1", "replace", "--raw",
                                 f"/apis/certificates.k8s.io/v1/certificatesigningrequests/{csr2}/approval",
                                 "-f", str(tmp_path / "approval.json"))
        assert replaced.returncode == 0, replaced.stderr
        patched = await kubectl(topology, "--context", "its1", "patch", "managedcluster", "cluster2", "--type=merge",
                                "-p", '{"spec":{"hubAcceptsClient":true}}')
        assert patched.returncode == 0, patched.stderr
        assert all(csr_state(c) == "Approved" for c in its.objects(kinds.CSR))

        async def joined_and_available() -> bool:
            listed = await kubectl(topology, "--context", "its1", "get", "managedclusters")
            header, *lines = listed.stdout.splitlines()
            assert header.split() == ["NAME", "HUB", "ACCEPTED", "MANAGED", "CLUSTER", "URLS", "JOINED", "AVAILABLE",
                                      "AGE"]
            table = {line.split()[0]: line.split() for line in lines}
            return all(table.get(c, [])[1:2] == ["true"] and table[c][-3:-1] == ["True", "True"]
                       for c in ("cluster1", "cluster2"))

        await eventually(joined_and_available, timeout=20, what="JOINED True and AVAILABLE True")

        for cluster in ("cluster1", "cluster2"):                                 # step 9
            labelled = await kubectl(topology, "--context", "its1", "label", "managedcluster", cluster,
                                     "location-group=edge", f"name={cluster}")
            assert labelled.returncode == 0, labelled.stderr
        selected = await kubectl(topology, "--context", "its1", "get", "managedclusters", "-l", "location-group=edge",
                                 "-o", "name")
        assert selected.stdout.split() == ["managedcluster.cluster.open-cluster-management.io/cluster1",
                                           "managedcluster.cluster.open-cluster-management.io/cluster2"]
        one = await kubectl(topology, "--context", "its1", "get", "managedclusters", "-l", "name=cluster1",
                            "-o", "name")
        assert one.stdout.split() == ["managedcluster.cluster.open-cluster-management.io/cluster1"]



@pytest.mark.kubectl
async def test_kubectl_certificate_approve(tmp_path: Path) -> None:
    async with running_topology(tmp_path / "state") as topology:
        await presets.apply(topology, "core")
        await admin_ops.create_cluster(topology, "cluster1")
        await admin_ops.join(topology, "cluster1", its="its1", token=admin_ops.get_token(topology, "its1")["token"])
        its = topology.sandbox.clusters["its1"]
        await eventually(lambda: its.objects(kinds.CSR), what="the CSR")
        (csr,) = its.objects(kinds.CSR)
        approved = await kubectl(topology, "--context", "its1", "certificate", "approve", csr["metadata"]["name"])
        assert approved.returncode == 0, approved.stderr
