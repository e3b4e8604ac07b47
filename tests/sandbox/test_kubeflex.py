"""KubeFlex: the operator's rules (table-driven) and ControlPlanes becoming spaces in a hosting store."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from kstellar_tui.sandbox import core_chart
from kstellar_tui.sandbox.apiserver.store import ClusterStore
from kstellar_tui.sandbox.controllers.ensure import ensure, install_crds, lookup
from kstellar_tui.sandbox.controllers.kubeflex import (
    FINALIZER, NO_VALUE, KubeFlexController, hook_uses, hook_variables, merge_conditions, ready_condition, render,
    secret_ref, workload_ready,
)
from kstellar_tui.sandbox.controllers.ocm_registration import condition_status
from kstellar_tui.sandbox.controllers.workloads import WorkloadSimulator
from kstellar_tui.sandbox.definitions import HOSTING_CRDS, kinds
from tests.sandbox._topology import FAST, MemorySpaces, eventually


@pytest.mark.parametrize("cp_type, expected", [
    ("k8s", {"name": "admin-kubeconfig", "namespace": "wds1-system", "key": "kubeconfig",
             "inClusterKey": "kubeconfig-incluster"}),
    ("vcluster", {"name": "vc-vcluster", "namespace": "wds1-system", "key": "config",
                  "inClusterKey": "config-incluster"}),
    ("host", {"name": "admin-kubeconfig", "namespace": "wds1-system", "key": "kubeconfig",
              "inClusterKey": "kubeconfig-incluster"}),
])
def test_secret_ref(cp_type: str, expected: dict) -> None:
    assert secret_ref("wds1", cp_type) == expected


@pytest.mark.parametrize("spec, uses", [
    ({}, []),
    ({"postCreateHooks": [{"hookName": "a"}, {"hookName": "b", "vars": {"x": "1"}}]}, [("a", {}), ("b", {"x": "1"})]),
    ({"postCreateHook": "legacy", "postCreateHookVars": {"v": "2"}, "postCreateHooks": [{"hookName": "a"}]},
     [("legacy", {"v": "2"}), ("a", {})]),
    ({"postCreateHooks": [{"hookName": "a"}, {"hookName": "a", "vars": {"x": "1"}}, {"hookName": ""}]}, [("a", {})]),
], ids=["none", "in order", "legacy first", "duplicates and blanks skipped"])
def test_hook_uses(spec: dict, uses: list) -> None:
    assert hook_uses({"spec": spec}) == uses


def test_hook_variables_precedence() -> None:
    cp = {"metadata": {"name": "wds1"}, "spec": {"globalVars": {"A": "global", "B": "global", "Namespace": "no"}}}
    hook = {"metadata": {"name": "h"}, "spec": {"defaultVars": [{"name": "A", "value": "default"},
                                                                  {"name": "C", "value": "default"}]}}
    assert hook_variables(cp, hook, {"B": "use"}) == {
        "A": "global", "B": "use", "C": "default",
        "Namespace": "wds1-system", "ControlPlaneName": "wds1", "HookName": "h"}


@pytest.mark.parametrize("template, expected", [
    ("{{.HookName}}", "its-hub-init"),
    ("--wds-name={{ .ControlPlaneName }}", "--wds-name=wds1"),
    ("{{.Missing}}", NO_VALUE),
    ({"a": ["x-{{.Namespace}}", 3, None]}, {"a": ["x-wds1-system", 3, None]}),
    ("{{ .HookName }}/{{.HookName}}", "its-hub-init/its-hub-init"),
    ("no templates here", "no templates here"),
])
def test_render(template: Any, expected: Any) -> None:
    variables = {"HookName": "its-hub-init", "ControlPlaneName": "wds1", "Namespace": "wds1-system"}
    assert render(template, variables) == expected


@pytest.mark.parametrize("obj, ready", [
    (None, False),
    ({"kind": "Job", "status": {}}, False),
    ({"kind": "Job", "status": {"succeeded": 1}}, True),
    ({"kind": "Deployment", "spec": {"replicas": 1}, "status": {"readyReplicas": 1}}, True),
    ({"kind": "Deployment", "spec": {"replicas": 2}, "status": {"readyReplicas": 1}}, False),
    ({"kind": "Deployment", "spec": {"replicas": 0}, "status": {}}, False),
    ({"kind": "StatefulSet", "spec": {"replicas": 1}, "status": {"readyReplicas": 1}}, True),
    ({"kind": "ServiceAccount"}, True),
])
def test_workload_ready(obj: dict | None, ready: bool) -> None:
    assert workload_ready(obj) is ready


def _cp(wait: bool = False, ready_reason: str | None = None) -> dict:
    conditions = [{"type": "Ready", "reason": ready_reason}] if ready_reason else []
    return {"spec": {"waitForPostCreateHooks": wait}, "status": {"conditions": conditions}}


@pytest.mark.parametrize("cp, api_ready, hooks_completed, expected", [
    (_cp(), False, False, ("False", "Creating")),
    (_cp(ready_reason="Available"), False, False, ("False", "Unavailable")),
    (_cp(), True, False, ("True", "Available")),
    (_cp(wait=True), True, False, ("False", "WaitingForPostCreateHooks")),
    (_cp(wait=True), True, True, ("True", "Available")),
], ids=["creating", "lost", "available", "waiting for hooks", "hooks done"])
def test_ready_condition(cp: dict, api_ready: bool, hooks_completed: bool, expected: tuple) -> None:
    condition = ready_condition(cp, api_ready=api_ready, hooks_completed=hooks_completed)
    assert (condition["status"], condition["reason"]) == expected


def test_merge_conditions_moves_timestamps_only_on_change() -> None:
    old = [{"type": "Synced", "status": "True", "reason": "ReconcileSuccess", "message": "",
            "lastTransitionTime": "t0", "lastUpdateTime": "t0"}]
    unchanged = {"type": "Synced", "status": "True", "reason": "ReconcileSuccess", "message": ""}
    same = merge_conditions(old, [unchanged], "t1")
    assert same == old
    changed = merge_conditions(old, [{"type": "Synced", "status": "False", "reason": "ReconcileError",
                                      "message": "boom"}, {"type": "Ready", "status": "True", "reason": "Available",
                                                           "message": ""}], "t1")
    assert [(c["type"], c["status"], c["lastTransitionTime"], c["lastUpdateTime"]) for c in changed] == [
        ("Synced", "False", "t1", "t1"), ("Ready", "True", "t1", "t1")]


# ----------------------------------------------------------------------------- the operator at work
class Hosting:
    def __init__(self) -> None:
        self.store = ClusterStore("kind-kubeflex")
        self.spaces = MemorySpaces()
        install_crds(self.store, HOSTING_CRDS)
        for hook in core_chart.post_create_hooks():
            ensure(self.store, kinds.POST_CREATE_HOOK, hook)
        self.controllers = [KubeFlexController(self.store, self.spaces),
                            WorkloadSimulator(self.store, FAST.workload_delays())]

    def cp(self, name: str) -> dict | None:
        return lookup(self.store, kinds.CONTROL_PLANE, None, name)

    def create(self, control_plane: dict) -> None:
        ensure(self.store, kinds.CONTROL_PLANE, control_plane)


@pytest.fixture
async def hosting() -> Any:
    world = Hosting()
    for controller in world.controllers:
        controller.start()
    yield world
    for controller in world.controllers:
        await controller.stop()


def _ready(world: Hosting, name: str) -> bool:
    return condition_status(world.cp(name), "Ready") == "True"


async def test_an_its_becomes_a_vcluster_space_with_its_hooks(hosting: Hosting) -> None:
    hosting.create(core_chart.its_control_plane(core_chart.Space("its1", "vcluster")))
    await eventually(lambda: _ready(hosting, "its1"), what="its1 Ready")
    cp = hosting.cp("its1")
    assert FINALIZER in cp["metadata"]["finalizers"]
    assert cp["metadata"]["labels"][core_chart.CPTYPE_LABEL] == "its"
    assert cp["status"]["postCreateHooks"] == {"its-hub-init": True, "install-status-addon": True}
    assert cp["status"]["postCreateHookCompleted"] is True
    assert cp["status"]["secretRef"]["name"] == "vc-vcluster"
    assert condition_status(cp, "Synced") == "True"
    assert "its1" in hosting.spaces.stores
    for job in ("its-hub-init", "install-status-addon", "update-cluster-info"):
        assert condition_status(lookup(hosting.store, kinds.JOB, "its1-system", job), "Complete") == "True", job
    assert lookup(hosting.store, kinds.STATEFUL_SET, "its1-system", "vcluster") is not None
    secret = lookup(hosting.store, kinds.SECRET, "its1-system", "vc-vcluster")
    assert set(secret["data"]) == {"config", "config-incluster"}


async def test_waiting_for_hooks_is_visible_before_ready(hosting: Hosting) -> None:
    hosting.create(core_chart.its_control_plane(core_chart.Space("its1", "vcluster")))
    seen: set[str] = set()

    def observe() -> bool:
        cp = hosting.cp("its1") or {}
        seen.update(c["reason"] for c in (cp.get("status") or {}).get("conditions") or () if c["type"] == "Ready")
        return "Available" in seen

    await eventually(observe, what="its1 Ready")
    assert {"Creating", "WaitingForPostCreateHooks"} <= seen


async def test_a_k8s_wds_gets_its_controllers_and_a_host_wds_no_space(hosting: Hosting) -> None:
    hosting.create(core_chart.wds_control_plane(core_chart.Space("wds1", "k8s", "its1")))
    hosting.create(core_chart.wds_control_plane(core_chart.Space("wds2", "host", "its1")))
    await eventually(lambda: _ready(hosting, "wds1") and _ready(hosting, "wds2"), what="wds1 and wds2 Ready")
    assert set(hosting.spaces.stores) == {"wds1"}
    for name in ("wds1", "wds2"):
        cp = hosting.cp(name)
        assert cp["metadata"]["labels"][core_chart.CPTYPE_LABEL] == "wds"
        assert cp["status"]["postCreateHooks"] == {"kubestellar-controller": True, "transport-controller": True}
        assert cp["status"]["secretRef"]["name"] == "admin-kubeconfig"
    manager = lookup(hosting.store, kinds.DEPLOYMENT, "wds1-system", core_chart.CONTROLLER_MANAGER)
    assert manager["metadata"]["labels"] == {"control-plane": "controller-manager"}
    args = manager["spec"]["template"]["spec"]["containers"][0]["args"]
    assert args == ["--wds-name=wds1", "--its-name=its1", "--api-groups="]
    transport = lookup(hosting.store, kinds.DEPLOYMENT, "wds1-system", core_chart.TRANSPORT_CONTROLLER)
    assert transport["metadata"]["labels"] == {"name": "transport-controller"}
    await eventually(lambda: (lookup(hosting.store, kinds.DEPLOYMENT, "wds1-system", core_chart.TRANSPORT_CONTROLLER)
                              .get("status", {}).get("availableReplicas") == 1), what="transport available")
    assert lookup(hosting.store, kinds.DEPLOYMENT, "wds1-system", "kube-apiserver") is not None
    assert lookup(hosting.store, kinds.JOB, "wds1-system", "update-cluster-info") is None


async def test_a_missing_hook_is_a_sync_error_until_it_appears(hosting: Hosting) -> None:
    control_plane = core_chart.wds_control_plane(core_chart.Space("wds1", "k8s", "its1"))
    control_plane["spec"]["postCreateHooks"].append({"hookName": "later"})
    hosting.create(control_plane)

    def synced() -> dict | None:
        cp = hosting.cp("wds1") or {}
        return next((c for c in (cp.get("status") or {}).get("conditions") or () if c["type"] == "Synced"), None)

    await eventually(lambda: (synced() or {}).get("status") == "False", what="ReconcileError")
    assert synced()["reason"] == "ReconcileError"
    assert 'PostCreateHook later' in synced()["message"]
    hook = copy.deepcopy(core_chart.post_create_hooks()[0])
    hook["metadata"] = {"name": "later"}
    ensure(hosting.store, kinds.POST_CREATE_HOOK, hook)
    await eventually(lambda: (synced() or {}).get("status") == "True", what="ReconcileSuccess")
    await eventually(lambda: (hosting.cp("wds1")["status"].get("postCreateHooks") or {}).get("later"), what="later")


async def test_deleting_a_control_plane_removes_its_space_and_namespace(hosting: Hosting) -> None:
    hosting.create(core_chart.wds_control_plane(core_chart.Space("wds1", "k8s", "its1")))
    await eventually(lambda: _ready(hosting, "wds1"), what="wds1 Ready")
    hosting.store.delete(hosting.store.type_for(kinds.CONTROL_PLANE), None, "wds1")
    await eventually(lambda: hosting.cp("wds1") is None, what="the ControlPlane gone")
    assert "wds1" not in hosting.spaces.stores
    await eventually(lambda: lookup(hosting.store, kinds.NAMESPACE, None, "wds1-system") is None,
                     what="wds1-system gone")


async def test_unsupported_types_are_reported(hosting: Hosting) -> None:
    hosting.create({"apiVersion": "tenancy.kflex.kubestellar.org/v1alpha1", "kind": "ControlPlane",
                    "metadata": {"name": "cp"}, "spec": {"type": "external"}})
    await eventually(lambda: condition_status(hosting.cp("cp"), "Synced") == "False", what="ReconcileError")
    assert hosting.spaces.stores == {}
