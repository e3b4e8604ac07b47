"""The WEC work agent applies ManifestWorks the way OCM's does: conditions, ownership, cleanup."""

from __future__ import annotations

import copy

import pytest

from kstellar_tui.sandbox.apiserver.store import ClusterStore
from kstellar_tui.sandbox.controllers.ensure import ensure_namespace, install_crds
from kstellar_tui.sandbox.controllers.offline_gate import PROBE, OfflineGate
from kstellar_tui.sandbox.controllers.space_setup import initialize_hub
from kstellar_tui.sandbox.controllers.work_agent import (
    WORK_FINALIZER, WorkAgent, create_only_targets, merged_for_update, work_conditions,
)
from kstellar_tui.sandbox.controllers.workload_keys import APPLIED_MANIFEST_WORK, CONFIG_MAP, MANIFEST_WORK, NAMESPACE
from kstellar_tui.sandbox.definitions.ocm import AGENT_CRDS
from tests.sandbox._helpers import until


def manifest_status(applied: str, available: str) -> dict:
    return {"conditions": [{"type": "Applied", "status": applied}, {"type": "Available", "status": available}]}


@pytest.mark.parametrize("manifests, expected", [
    ([manifest_status("True", "True")],
     [("Applied", "True", "AppliedManifestWorkComplete", "Apply manifest work complete"),
      ("Available", "True", "ResourcesAvailable", "All resources are available")]),
    ([manifest_status("True", "True"), manifest_status("False", "False")],
     [("Applied", "False", "AppliedManifestWorkFailed", "Failed to apply manifest work"),
      ("Available", "False", "ResourcesNotAvailable", "1 of 2 resources are not available")]),
    ([manifest_status("False", "Unknown")],
     [("Applied", "False", "AppliedManifestWorkFailed", "Failed to apply manifest work"),
      ("Available", "Unknown", "ResourcesStatusUnknown", "1 of 1 resources have unknown status")]),
    ([], [("Available", "Unknown", "ResourcesStatusUnknown", "cannot get any available resource ")]),
])
def test_work_conditions_aggregate_the_manifests(manifests, expected) -> None:
    assert [(c["type"], c["status"], c["reason"], c["message"]) for c in work_conditions(manifests, 3)] == expected
    assert {c["observedGeneration"] for c in work_conditions(manifests, 3)} == {3}


def test_update_merges_labels_annotations_and_owners_but_replaces_the_rest() -> None:
    existing = {"apiVersion": "v1", "kind": "ConfigMap", "status": {"x": 1},
                "metadata": {"name": "c", "labels": {"old": "1", "keep": "a"}, "resourceVersion": "7",
                             "ownerReferences": [{"uid": "other", "kind": "AppliedManifestWork"}]},
                "data": {"a": "1", "gone": "2"}}
    required = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "labels": {"keep": "b"}},
                "data": {"a": "2"}}
    merged = merged_for_update(existing, required, {"uid": "mine", "kind": "AppliedManifestWork"})
    assert merged["data"] == {"a": "2"}
    assert merged["status"] == {"x": 1}
    assert merged["metadata"]["labels"] == {"old": "1", "keep": "b"}  # a removed label lingers (#1856)
    assert [o["uid"] for o in merged["metadata"]["ownerReferences"]] == ["other", "mine"]
    assert merged["metadata"]["resourceVersion"] == "7"


def test_create_only_targets_come_from_manifest_configs() -> None:
    work = {"spec": {"manifestConfigs": [
        {"resourceIdentifier": {"group": "apps", "resource": "deployments", "namespace": "ns", "name": "d"},
         "updateStrategy": {"type": "CreateOnly"}},
        {"resourceIdentifier": {"resource": "configmaps", "namespace": "ns", "name": "c"},
         "updateStrategy": {"type": "Update"}}]}}
    assert create_only_targets(work) == {("apps", "deployments", "ns", "d")}


class RecordingController:
    def __init__(self) -> None:
        self.enqueued: list = []
        self.later: list = []

    def enqueue(self, key) -> None:
        self.enqueued.append(key)

    def enqueue_after(self, key, delay: float) -> None:
        self.later.append((key, delay))


def test_the_offline_gate_parks_keys_and_releases_them_once_online() -> None:
    controller, offline = RecordingController(), [True]
    gate = OfflineGate(controller, lambda: offline[0], 0.5)
    assert gate.holds(("work", "a")) and gate.holds(("work", "b")) and gate.holds(PROBE)
    assert controller.enqueued == [] and set(controller.later) == {(PROBE, 0.5)}
    offline[0] = False
    assert gate.holds(PROBE)
    assert sorted(controller.enqueued) == [("work", "a"), ("work", "b")]
    assert not gate.holds(("work", "c"))
    gate.holds(PROBE)
    assert len(controller.enqueued) == 2  # released once


# ---------------------------------------------------------------------------------------------- the agent
class Agent:
    def __init__(self) -> None:
        self.its, self.wec = ClusterStore("its1"), ClusterStore("cluster1")
        initialize_hub(self.its)
        ensure_namespace(self.its, "cluster1")
        install_crds(self.wec, AGENT_CRDS)
        self.offline = False
        self.agent = WorkAgent(self.its, self.wec, "cluster1", is_offline=lambda: self.offline)

    def put_work(self, name: str, *manifests: dict, create_only: bool = False) -> dict:
        spec: dict = {"workload": {"manifests": [copy.deepcopy(m) for m in manifests]}}
        if create_only:
            spec["manifestConfigs"] = [{"resourceIdentifier": {"resource": "configmaps", "namespace": m["metadata"]["namespace"],
                                                               "name": m["metadata"]["name"]},
                                        "updateStrategy": {"type": "CreateOnly"}} for m in manifests]
        rt = self.its.type_for(MANIFEST_WORK)
        current = self.its.find(MANIFEST_WORK, "cluster1", name)
        work = {"apiVersion": "work.open-cluster-management.io/v1", "kind": "ManifestWork",
                "metadata": {"name": name, "namespace": "cluster1",
                             "labels": {"transport.kubestellar.io/originWdsName": "wds1"}}, "spec": spec}
        if current is None:
            return self.its.create(rt, work)
        work["metadata"]["resourceVersion"] = current["metadata"]["resourceVersion"]
        work["metadata"]["finalizers"] = current["metadata"].get("finalizers", [])
        return self.its.update(rt, work)

    def delete_work(self, name: str) -> None:
        self.its.delete(self.its.type_for(MANIFEST_WORK), "cluster1", name)

    def work(self, name: str) -> dict | None:
        return self.its.find(MANIFEST_WORK, "cluster1", name)

    def conditions(self, name: str) -> dict[str, tuple[str, str]]:
        return {c["type"]: (c["status"], c["reason"]) for c in ((self.work(name) or {}).get("status") or {}).get("conditions", [])}


@pytest.fixture
async def agent():
    harness = Agent()
    harness.agent.start()
    yield harness
    await harness.agent.stop()


def config_map(name: str = "settings", namespace: str = "apps", **data: str) -> dict:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": namespace},
            "data": data or {"mode": "fast"}}


def namespace(name: str = "apps") -> dict:
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}


async def test_a_work_is_applied_and_reported(agent: Agent) -> None:
    agent.put_work("w1", namespace(), config_map())
    await until(lambda: agent.conditions("w1").get("Available", ("",))[0] == "True")
    assert agent.conditions("w1") == {"Applied": ("True", "AppliedManifestWorkComplete"),
                                      "Available": ("True", "ResourcesAvailable")}
    work = agent.work("w1")
    assert WORK_FINALIZER in work["metadata"]["finalizers"]
    manifests = work["status"]["resourceStatus"]["manifests"]
    assert [m["resourceMeta"] for m in manifests] == [
        {"ordinal": 0, "group": "", "version": "v1", "kind": "Namespace", "resource": "namespaces", "name": "apps",
         "namespace": ""},
        {"ordinal": 1, "group": "", "version": "v1", "kind": "ConfigMap", "resource": "configmaps", "name": "settings",
         "namespace": "apps"}]
    assert {(c["type"], c["reason"], c["message"]) for c in manifests[1]["conditions"]} == {
        ("Applied", "AppliedManifestComplete", "Apply manifest complete"),
        ("Available", "ResourceAvailable", "Resource is available")}
    applied = agent.wec.find(APPLIED_MANIFEST_WORK, "", agent.agent.applied_name("w1"))
    assert applied["spec"]["manifestWorkName"] == "w1" and applied["spec"]["hubHash"] == agent.agent.hub_hash
    assert [r["resource"] for r in applied["status"]["appliedResources"]] == ["namespaces", "configmaps"]
    cm = agent.wec.find(CONFIG_MAP, "apps", "settings")
    assert cm["metadata"]["ownerReferences"] == [{"apiVersion": "work.open-cluster-management.io/v1",
                                                  "kind": "AppliedManifestWork", "name": applied["metadata"]["name"],
                                                  "uid": applied["metadata"]["uid"]}]


async def test_a_missing_namespace_fails_the_manifest_until_it_exists(agent: Agent) -> None:
    agent.put_work("cm", config_map())
    await until(lambda: agent.conditions("cm").get("Applied", ("",))[0] == "False")
    (entry,) = agent.work("cm")["status"]["resourceStatus"]["manifests"]
    applied = next(c for c in entry["conditions"] if c["type"] == "Applied")
    assert (applied["reason"], applied["message"]) == (
        "AppliedManifestFailed", 'Failed to apply manifest: namespaces "apps" not found')
    assert agent.conditions("cm")["Available"] == ("False", "ResourcesNotAvailable")
    agent.put_work("ns", namespace())
    await until(lambda: agent.conditions("cm").get("Applied", ("",))[0] == "True")
    assert agent.wec.find(CONFIG_MAP, "apps", "settings") is not None


async def test_an_unknown_kind_cannot_be_applied(agent: Agent) -> None:
    agent.put_work("aw", {"apiVersion": "workload.codeflare.dev/v1beta2", "kind": "AppWrapper",
                          "metadata": {"name": "aw", "namespace": "default"}})
    await until(lambda: agent.conditions("aw").get("Applied", ("",))[0] == "False")
    (entry,) = agent.work("aw")["status"]["resourceStatus"]["manifests"]
    assert [c["message"] for c in entry["conditions"]] == [
        'Failed to apply manifest: no matches for kind "AppWrapper" in version "workload.codeflare.dev/v1beta2"',
        "Resource meta is incomplete"]


@pytest.mark.parametrize("create_only, expected", [(False, "slow"), (True, "fast")])
async def test_updates_follow_the_update_strategy(agent: Agent, create_only: bool, expected: str) -> None:
    agent.put_work("ns", namespace())
    agent.put_work("cm", config_map(mode="fast"), create_only=create_only)
    await until(lambda: agent.wec.find(CONFIG_MAP, "apps", "settings") is not None)
    uid = agent.wec.find(CONFIG_MAP, "apps", "settings")["metadata"]["uid"]
    agent.put_work("cm", config_map(mode="slow"), create_only=create_only)
    await until(lambda: (agent.work("cm") or {}).get("status", {}).get("conditions", [{}])[0].get("observedGeneration") == 2)
    cm = agent.wec.find(CONFIG_MAP, "apps", "settings")
    assert cm["data"] == {"mode": expected}
    assert cm["metadata"]["uid"] == uid


async def test_deleting_a_work_deletes_what_it_applied(agent: Agent) -> None:
    agent.put_work("ns", namespace())
    agent.put_work("cm", config_map())
    await until(lambda: agent.wec.find(CONFIG_MAP, "apps", "settings") is not None)
    agent.delete_work("cm")
    await until(lambda: agent.wec.find(CONFIG_MAP, "apps", "settings") is None and agent.work("cm") is None)
    assert agent.wec.find(APPLIED_MANIFEST_WORK, "", agent.agent.applied_name("cm")) is None
    assert agent.wec.find(NAMESPACE, "", "apps") is not None


async def test_an_object_two_works_carry_survives_the_deletion_of_one(agent: Agent) -> None:
    agent.put_work("ns", namespace())
    agent.put_work("a", config_map())
    agent.put_work("b", config_map())
    await until(lambda: len((agent.wec.find(CONFIG_MAP, "apps", "settings") or {}).get("metadata", {})
                            .get("ownerReferences", [])) == 2)
    agent.delete_work("a")
    await until(lambda: agent.work("a") is None)
    await agent.agent.idle()
    survivor = agent.wec.find(CONFIG_MAP, "apps", "settings")
    assert survivor is not None
    assert [o["name"] for o in survivor["metadata"]["ownerReferences"]] == [agent.agent.applied_name("b")]
    agent.delete_work("b")
    await until(lambda: agent.wec.find(CONFIG_MAP, "apps", "settings") is None)


async def test_a_manifest_dropped_from_a_work_is_deleted(agent: Agent) -> None:
    agent.put_work("ns", namespace())
    agent.put_work("w", config_map("one"), config_map("two"))
    await until(lambda: agent.wec.find(CONFIG_MAP, "apps", "two") is not None)
    agent.put_work("w", config_map("one"))
    await until(lambda: agent.wec.find(CONFIG_MAP, "apps", "two") is None)
    assert agent.wec.find(CONFIG_MAP, "apps", "one") is not None


async def test_an_offline_wec_catches_up_when_it_returns(agent: Agent) -> None:
    agent.put_work("ns", namespace())
    await until(lambda: agent.wec.find(NAMESPACE, "", "apps") is not None)
    agent.offline = True
    agent.put_work("cm", config_map())
    agent.delete_work("ns")
    await agent.agent.idle()
    assert agent.wec.find(CONFIG_MAP, "apps", "settings") is None
    assert agent.work("ns") is not None  # its finalizer waits for the agent
    agent.offline = False
    await until(lambda: agent.work("ns") is None and agent.wec.find(NAMESPACE, "", "apps") is None
                and agent.conditions("cm").get("Applied", ("",))[0] == "False")


async def test_a_drifted_object_is_put_back(agent: Agent) -> None:
    agent.put_work("ns", namespace())
    agent.put_work("cm", config_map())
    await until(lambda: agent.wec.find(CONFIG_MAP, "apps", "settings") is not None)
    rt = agent.wec.type_for(CONFIG_MAP)
    drifted = agent.wec.get(rt, "apps", "settings")
    drifted["data"] = {"mode": "hacked"}
    agent.wec.update(rt, drifted)
    await until(lambda: agent.wec.find(CONFIG_MAP, "apps", "settings")["data"] == {"mode": "fast"})
    agent.wec.delete(rt, "apps", "settings")
    await until(lambda: agent.wec.find(CONFIG_MAP, "apps", "settings") is not None)
