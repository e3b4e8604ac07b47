"""OCM registration: the hub's rules (table-driven) and the CSR -> accept -> joined -> lease flow
between a hub store and a WEC store, driven only by object changes."""

from __future__ import annotations

import base64
import copy
import datetime as dt
from typing import Any

import pytest
import yaml

from kstellar_tui.sandbox.apiserver.store import ClusterStore
from kstellar_tui.sandbox.controllers import space_setup
from kstellar_tui.sandbox.controllers.ensure import ensure, ensure_namespace, install_crds, lookup
from kstellar_tui.sandbox.controllers.ocm_registration import (
    ACCEPTED_CONDITION, ADDON_FEATURE_LABEL, CLUSTERSET_LABEL, DENIED_CONDITION, CsrSigner,
    HubRegistrationController, acceptance_condition, addon_conditions, addon_feature_value, cluster_labels,
    condition_status, csr_state, installs_everywhere, lease_verdict, micro_time,
)
from kstellar_tui.sandbox.controllers.registration_agent import (
    AGENT_NAMESPACE, BOOTSTRAP_SECRET, RegistrationAgent, bootstrap_token_id, cluster_resources, sum_quantities,
)
from kstellar_tui.sandbox.controllers.timings import Timings
from kstellar_tui.sandbox.definitions import AGENT_CRDS, kinds
from tests.sandbox._topology import FAST, eventually

NOW = dt.datetime(2026, 1, 1, 12, 0, 0, tzinfo=dt.UTC)


def _cluster(accepts: bool | None = None, conditions: list[dict] | None = None) -> dict[str, Any]:
    spec = {} if accepts is None else {"hubAcceptsClient": accepts}
    return {"metadata": {"name": "c"}, "spec": spec, "status": {"conditions": conditions or []}}


@pytest.mark.parametrize("cluster, expected", [
    (_cluster(), None),
    (_cluster(False), None),
    (_cluster(True), ACCEPTED_CONDITION),
    (_cluster(False, [{**ACCEPTED_CONDITION}]), DENIED_CONDITION),
    (_cluster(True, [{**DENIED_CONDITION}]), ACCEPTED_CONDITION),
], ids=["new", "not accepted", "accepted", "accept withdrawn", "accepted again"])
def test_acceptance_condition(cluster: dict, expected: dict | None) -> None:
    assert acceptance_condition(cluster) == expected


@pytest.mark.parametrize("renewed, grace, expired, recheck", [
    (NOW, 5.0, False, 5.0),
    (NOW - dt.timedelta(seconds=3), 5.0, False, 2.0),
    (NOW - dt.timedelta(seconds=5), 5.0, True, 5.0),
    (NOW - dt.timedelta(minutes=10), 300.0, True, 300.0),
    (None, 5.0, True, 5.0),
], ids=["just renewed", "within grace", "at the deadline", "ocm default grace", "never renewed"])
def test_lease_verdict(renewed: dt.datetime | None, grace: float, expired: bool, recheck: float) -> None:
    verdict = lease_verdict(micro_time(renewed) if renewed else None, grace, NOW)
    assert verdict == (expired, pytest.approx(recheck))


def test_lease_grace_is_ocms_multiple_of_the_lease_duration() -> None:
    assert FAST.lease_grace(1) == 1.0
    assert Timings().lease_grace(60) == 300.0
    assert Timings().lease_grace(None) == 300.0  # unset: OCM's 60 s default


def _addon(status: str | None) -> dict | None:
    if status is None:
        return None
    return {"status": {"conditions": [{"type": "Available", "status": status}]}}


@pytest.mark.parametrize("status, feature", [
    (None, None), ("True", "available"), ("False", "unhealthy"), ("Unknown", "unreachable"),
])
def test_addon_feature_value(status: str | None, feature: str | None) -> None:
    assert addon_feature_value(_addon(status)) == feature


@pytest.mark.parametrize("labels, addon, expected", [
    ({}, None, {CLUSTERSET_LABEL: "default"}),
    ({CLUSTERSET_LABEL: "edge-set"}, None, {CLUSTERSET_LABEL: "edge-set"}),
    ({"name": "c"}, _addon("True"), {"name": "c", CLUSTERSET_LABEL: "default", ADDON_FEATURE_LABEL: "available"}),
    ({ADDON_FEATURE_LABEL: "available"}, _addon("Unknown"),
     {CLUSTERSET_LABEL: "default", ADDON_FEATURE_LABEL: "unreachable"}),
    ({ADDON_FEATURE_LABEL: "available"}, None, {CLUSTERSET_LABEL: "default"}),
], ids=["default set", "own set kept", "add-on available", "add-on unreachable", "add-on gone"])
def test_cluster_labels(labels: dict, addon: dict | None, expected: dict) -> None:
    assert cluster_labels(labels, addon) == expected


@pytest.mark.parametrize("cluster_available, status, reason", [
    ("True", "True", "ManagedClusterAddOnLeaseUpdated"),
    ("Unknown", "Unknown", "ManagedClusterLeaseUpdateStopped"),
    (None, "Unknown", "WaitForProbeResult"),
])
def test_addon_availability_follows_the_cluster(cluster_available: str | None, status: str, reason: str) -> None:
    available = addon_conditions(cluster_available)[-1]
    assert (available["type"], available["status"], available["reason"]) == ("Available", status, reason)


@pytest.mark.parametrize("cma, expected", [
    (None, False),
    ({"spec": {"installStrategy": {"type": "Manual"}}}, False),
    ({"spec": {"installStrategy": {"type": "Placements", "placements": []}}}, False),
    ({"spec": {"installStrategy": {"type": "Placements",
                                   "placements": [{"name": "global", "namespace": "open-cluster-management"}]}}}, True),
])
def test_installs_everywhere(cma: dict | None, expected: bool) -> None:
    assert installs_everywhere(cma) is expected


@pytest.mark.parametrize("conditions, state", [
    ([], "Pending"),
    ([{"type": "Approved", "status": "True"}], "Approved"),
    ([{"type": "Approved", "status": "True"}, {"type": "Failed", "status": "True"}], "Failed"),
    ([{"type": "Denied", "status": "True"}], "Denied"),
    ([{"type": "Approved", "status": "False"}], "Pending"),
])
def test_csr_state(conditions: list[dict], state: str) -> None:
    assert csr_state({"status": {"conditions": conditions}}) == state


@pytest.mark.parametrize("values, total", [
    (["4", "4"], "8"), (["16Gi", "16Gi"], "32Gi"), (["1536Mi", "512Mi"], "2Gi"), (["1Ki", "1"], "1025"),
    (["100m"], None), ([], "0"),
])
def test_sum_quantities(values: list[str], total: str | None) -> None:
    assert sum_quantities(values) == total


def test_cluster_resources_sum_the_nodes() -> None:
    nodes = [{"status": {"capacity": {"cpu": "4", "memory": "8Gi"}, "allocatable": {"cpu": "4", "memory": "7Gi"}}}] * 2
    assert cluster_resources(nodes) == {"capacity": {"cpu": "8", "memory": "16Gi"},
                                        "allocatable": {"cpu": "8", "memory": "14Gi"}}
    assert cluster_resources([]) == {"capacity": {}, "allocatable": {}}


def test_bootstrap_token_id() -> None:
    secret = {"data": {"token": base64.b64encode(b"abcdef.0123456789abcdef").decode()}}
    assert bootstrap_token_id(secret) == "abcdef"
    assert bootstrap_token_id(None) == "unknown"


# ----------------------------------------------------------------------------- the flow, store to store
class Registration:
    """A hub with OCM and the status add-on, a WEC with a klusterlet, and the controllers between them."""

    def __init__(self) -> None:
        self.hub = ClusterStore("its1")
        self.wec = ClusterStore("cluster1")
        self.offline = False
        space_setup.initialize_hub(self.hub)
        space_setup.install_status_addon(self.hub)
        token = space_setup.join_token(self.hub)
        install_crds(self.wec, AGENT_CRDS)
        ensure_namespace(self.wec, AGENT_NAMESPACE)
        kubeconfig = yaml.safe_dump({"clusters": [{"cluster": {"server": "https://127.0.0.1:1"}}],
                                     "users": [{"user": {"token": token}}]})
        ensure(self.wec, kinds.SECRET, {"apiVersion": "v1", "kind": "Secret", "metadata": {
            "name": BOOTSTRAP_SECRET, "namespace": AGENT_NAMESPACE},
            "data": {"kubeconfig": base64.b64encode(kubeconfig.encode()).decode(),
                     "token": base64.b64encode(token.encode()).decode()}})
        ensure(self.wec, kinds.KLUSTERLET, {"apiVersion": "operator.open-cluster-management.io/v1",
                                            "kind": "Klusterlet", "metadata": {"name": "klusterlet"},
                                            "spec": {"clusterName": "cluster1"}})
        self.controllers = [
            HubRegistrationController(self.hub, FAST), CsrSigner(self.hub),
            RegistrationAgent(self.hub, self.wec, "cluster1", FAST, online=lambda: not self.offline,
                              server_url="https://127.0.0.1:2", kubernetes_version="v1.32.2"),
        ]

    def cluster(self) -> dict | None:
        return lookup(self.hub, kinds.MANAGED_CLUSTER, None, "cluster1")

    def csrs(self) -> list[dict]:
        return self.hub.objects(kinds.CSR)

    def approve_like_kubectl(self) -> None:
        """`kubectl certificate approve` then `kubectl patch managedcluster ... hubAcceptsClient: true`."""
        (csr,) = self.csrs()
        approval = copy.deepcopy(csr)
        approval.setdefault("status", {})["conditions"] = [{
            "type": "Approved", "status": "True", "reason": "KubectlApprove",
            "message": "This CSR was approved by kubectl certificate approve."}]
        self.hub.update(self.hub.type_for(kinds.CSR), approval, subresource="approval")
        cluster = copy.deepcopy(self.cluster())
        cluster["spec"]["hubAcceptsClient"] = True
        self.hub.update(self.hub.type_for(kinds.MANAGED_CLUSTER), cluster)


@pytest.fixture
async def registration() -> Any:
    flow = Registration()
    for controller in flow.controllers:
        controller.start()
    yield flow
    for controller in flow.controllers:
        await controller.stop()


async def test_join_files_a_pending_csr_and_an_unaccepted_cluster(registration: Registration) -> None:
    await eventually(lambda: registration.csrs() and registration.cluster(), what="the CSR and the ManagedCluster")
    (csr,) = registration.csrs()
    assert csr["metadata"]["name"].startswith("cluster1-")
    assert csr["metadata"]["labels"]["open-cluster-management.io/cluster-name"] == "cluster1"
    assert csr_state(csr) == "Pending"
    assert csr["spec"]["signerName"] == "kubernetes.io/kube-apiserver-client"
    cluster = registration.cluster()
    assert cluster["spec"]["hubAcceptsClient"] is False
    assert cluster["spec"]["leaseDurationSeconds"] == FAST.lease_duration_seconds
    assert condition_status(cluster, "ManagedClusterJoined") is None
    await eventually(lambda: registration.cluster()["metadata"].get("labels") == {CLUSTERSET_LABEL: "default"},
                     what="the default cluster set label")
    assert lookup(registration.hub, kinds.NAMESPACE, None, "cluster1") is None


async def test_kubectl_style_accept_joins_the_cluster(registration: Registration) -> None:
    await eventually(lambda: registration.csrs() and registration.cluster(), what="registration")
    registration.approve_like_kubectl()

    def joined_and_available() -> bool:
        cluster = registration.cluster()
        return all(condition_status(cluster, t) == "True" for t in
                   ("HubAcceptedManagedCluster", "ManagedClusterJoined", "ManagedClusterConditionAvailable"))

    await eventually(joined_and_available, what="Joined and Available")
    cluster = registration.cluster()
    reasons = {c["type"]: (c["reason"], c["message"]) for c in cluster["status"]["conditions"]}
    assert reasons["HubAcceptedManagedCluster"] == ("HubClusterAdminAccepted", "Accepted by hub cluster admin")
    assert reasons["ManagedClusterJoined"] == ("ManagedClusterJoined", "Managed cluster joined")
    assert reasons["ManagedClusterConditionAvailable"] == ("ManagedClusterAvailable", "Managed cluster is available")
    assert "cluster.open-cluster-management.io/api-resource-cleanup" in cluster["metadata"]["finalizers"]
    assert cluster["status"]["version"] == {"kubernetes": "v1.32.2"}
    mailbox = lookup(registration.hub, kinds.NAMESPACE, None, "cluster1")
    assert mailbox["metadata"]["labels"]["open-cluster-management.io/cluster-name"] == "cluster1"
    (csr,) = registration.csrs()
    assert csr["status"]["certificate"]
    assert lookup(registration.wec, kinds.SECRET, AGENT_NAMESPACE, "hub-kubeconfig-secret") is not None
    await eventually(lambda: (registration.cluster()["metadata"]["labels"].get(ADDON_FEATURE_LABEL) == "available"),
                     what="the add-on feature label")
    addon = lookup(registration.hub, kinds.MANAGED_CLUSTER_ADDON, "cluster1", "addon-status")
    assert condition_status(addon, "Available") == "True"
    assert lookup(registration.wec, kinds.DEPLOYMENT, "open-cluster-management-agent-addon", "status-agent")


async def test_offline_wec_goes_unknown_after_its_lease_and_comes_back(registration: Registration) -> None:
    await eventually(lambda: registration.csrs() and registration.cluster(), what="registration")
    registration.approve_like_kubectl()

    def available() -> str | None:
        return condition_status(registration.cluster(), "ManagedClusterConditionAvailable")

    await eventually(lambda: available() == "True", what="Available")
    registration.offline = True
    await eventually(lambda: available() == "Unknown", timeout=FAST.lease_grace(1) + 3, what="Available Unknown")
    condition = next(c for c in registration.cluster()["status"]["conditions"]
                     if c["type"] == "ManagedClusterConditionAvailable")
    assert (condition["reason"], condition["message"]) == (
        "ManagedClusterLeaseUpdateStopped", "Registration agent stopped updating its lease.")
    await eventually(lambda: registration.cluster()["metadata"]["labels"].get(ADDON_FEATURE_LABEL) == "unreachable",
                     what="the add-on unreachable")
    registration.offline = False
    await eventually(lambda: available() == "True", timeout=FAST.lease_duration_seconds + 3, what="Available again")


async def test_withdrawn_acceptance_is_denied_and_the_mailbox_goes(registration: Registration) -> None:
    await eventually(lambda: registration.csrs() and registration.cluster(), what="registration")
    registration.approve_like_kubectl()
    await eventually(lambda: lookup(registration.hub, kinds.NAMESPACE, None, "cluster1"), what="the mailbox")
    cluster = copy.deepcopy(registration.cluster())
    cluster["spec"]["hubAcceptsClient"] = False
    registration.hub.update(registration.hub.type_for(kinds.MANAGED_CLUSTER), cluster)
    await eventually(lambda: condition_status(registration.cluster(), "HubAcceptedManagedCluster") == "False",
                     what="denied")
    await eventually(lambda: lookup(registration.hub, kinds.NAMESPACE, None, "cluster1") is None, what="mailbox gone")


async def test_deregistering_deletes_the_mailbox(registration: Registration) -> None:
    await eventually(lambda: registration.csrs() and registration.cluster(), what="registration")
    registration.approve_like_kubectl()
    await eventually(lambda: condition_status(registration.cluster(), "ManagedClusterJoined") == "True", what="joined")
    registration.hub.delete(registration.hub.type_for(kinds.MANAGED_CLUSTER), None, "cluster1")
    await eventually(lambda: registration.cluster() is None, what="the ManagedCluster gone")
    await eventually(lambda: lookup(registration.hub, kinds.NAMESPACE, None, "cluster1") is None, what="mailbox gone")
