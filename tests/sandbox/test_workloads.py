"""Workloads on a WEC progress like a kubelet and the upstream workload controllers report them."""

from __future__ import annotations

import copy

import pytest

from kstellar_tui.sandbox.apiserver.store import ClusterStore
from kstellar_tui.sandbox.controllers import kubelet
from kstellar_tui.sandbox.controllers.workload_keys import DAEMON_SET, DEPLOYMENT, JOB, POD, REPLICA_SET, STATEFUL_SET
from kstellar_tui.sandbox.controllers.workloads import (
    WorkloadDelays, WorkloadSimulator, deployment_status, job_status, max_unavailable, replicaset_status,
)
from tests.sandbox._helpers import until

DELAYS = WorkloadDelays(pod_start=0.02, job_run=0.02, progress_deadline=0.4)


def pod(name: str, phase: str = "Running", ready: bool = True) -> dict:
    return {"metadata": {"name": name, "uid": name},
            "status": {"phase": phase, "conditions": [{"type": "Ready", "status": "True" if ready else "False"}]}}


def template(image: str = "nginx:1.27") -> dict:
    return {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [{"name": "web", "image": image}]}}


def workload(kind: str, name: str = "web", replicas: int | None = 1, image: str = "nginx:1.27", **spec) -> dict:
    api = "batch/v1" if kind == "Job" else "apps/v1"
    body = {"selector": {"matchLabels": {"app": "web"}}, "template": template(image), **spec}
    if replicas is not None:
        body["replicas"] = replicas
    if kind == "Job":
        body.pop("selector")
        body["template"]["spec"]["restartPolicy"] = "Never"
    return {"apiVersion": api, "kind": kind, "metadata": {"name": name, "namespace": "default"}, "spec": body}


# ---------------------------------------------------------------------------------------------- rules
@pytest.mark.parametrize("image, pullable", [
    ("nginx:1.27", True), ("public.ecr.aws/nginx/nginx:latest", True), ("nginx:doesnotexist", False),
    ("registry.example/doesnotexist/app:1", False), ("invalid-registry/nginx", False), ("localhost:5000/app", True),
])
def test_which_images_cannot_be_pulled(image: str, pullable: bool) -> None:
    assert kubelet.unpullable(image) is not pullable


@pytest.mark.parametrize("replicas, strategy, expected", [
    (1, None, 0), (4, None, 1), (10, None, 2), (4, {"type": "Recreate"}, 0),
    (4, {"rollingUpdate": {"maxUnavailable": 3}}, 3), (4, {"rollingUpdate": {"maxUnavailable": "50%"}}, 2),
])
def test_max_unavailable_follows_the_rolling_update_strategy(replicas, strategy, expected) -> None:
    dep = workload("Deployment", replicas=replicas)
    if strategy:
        dep["spec"]["strategy"] = strategy
    assert max_unavailable(dep) == expected


@pytest.mark.parametrize("pods, expected", [
    ([], {"replicas": 0, "observedGeneration": 1}),
    ([pod("a", "Pending", False)], {"replicas": 1, "fullyLabeledReplicas": 1, "observedGeneration": 1}),
    ([pod("a"), pod("b", "Pending", False)],
     {"replicas": 2, "fullyLabeledReplicas": 2, "readyReplicas": 1, "availableReplicas": 1, "observedGeneration": 1}),
])
def test_replicaset_status_counts_ready_pods_and_omits_zeroes(pods, expected) -> None:
    rs = {"metadata": {"generation": 1}}
    assert replicaset_status(rs, pods) == expected


def _rs(name: str, replicas: int, available: int) -> dict:
    return {"metadata": {"name": name}, "spec": {"replicas": replicas},
            "status": {"replicas": replicas, "readyReplicas": available, "availableReplicas": available}}


@pytest.mark.parametrize("replicas, available, timed_out, created, expected", [
    (1, 1, False, False, {"Available": ("True", "MinimumReplicasAvailable"),
                          "Progressing": ("True", "NewReplicaSetAvailable")}),
    (1, 0, False, True, {"Available": ("False", "MinimumReplicasUnavailable"),
                         "Progressing": ("True", "NewReplicaSetCreated")}),
    (1, 0, False, False, {"Available": ("False", "MinimumReplicasUnavailable"),
                          "Progressing": ("True", "ReplicaSetUpdated")}),
    (1, 0, True, False, {"Available": ("False", "MinimumReplicasUnavailable"),
                         "Progressing": ("False", "ProgressDeadlineExceeded")}),
    (4, 3, False, False, {"Available": ("True", "MinimumReplicasAvailable"),
                          "Progressing": ("True", "ReplicaSetUpdated")}),
])
def test_deployment_conditions(replicas, available, timed_out, created, expected) -> None:
    dep = workload("Deployment", replicas=replicas)
    dep["metadata"]["generation"] = 1
    new_rs = _rs("web-abc", replicas, available)
    status = deployment_status(dep, new_rs, [new_rs], ts="T", timed_out=timed_out, created=created)
    assert [c["type"] for c in status["conditions"]] == ["Available", "Progressing"]
    assert {c["type"]: (c["status"], c["reason"]) for c in status["conditions"]} == expected
    assert status.get("availableReplicas", 0) == available
    assert status.get("unavailableReplicas", 0) == replicas - available


def test_deployment_condition_messages_are_upstreams() -> None:
    dep = workload("Deployment")
    new_rs = _rs("web-abc", 1, 0)
    failed = deployment_status(dep, new_rs, [new_rs], ts="T", timed_out=True, created=False)
    assert [c["message"] for c in failed["conditions"]] == [
        "Deployment does not have minimum availability.", 'ReplicaSet "web-abc" has timed out progressing.']
    done = deployment_status(dep, _rs("web-abc", 1, 1), [_rs("web-abc", 1, 1)], ts="T", timed_out=False, created=False)
    assert [c["message"] for c in done["conditions"]] == [
        "Deployment has minimum availability.", 'ReplicaSet "web-abc" has successfully progressed.']


def test_unchanged_deployment_conditions_keep_their_timestamps() -> None:
    dep = workload("Deployment")
    rs = _rs("web-abc", 1, 1)
    dep["status"] = deployment_status(dep, rs, [rs], ts="T1", timed_out=False, created=False)
    again = deployment_status(dep, rs, [rs], ts="T2", timed_out=False, created=False)
    assert again == dep["status"]


@pytest.mark.parametrize("completions, phases, done", [
    (None, ["Succeeded"], True), (None, ["Running"], False), (2, ["Succeeded", "Running"], False),
    (2, ["Succeeded", "Succeeded"], True),
])
def test_job_completes_when_enough_pods_succeeded(completions, phases, done) -> None:
    job = workload("Job", replicas=None)
    if completions is not None:
        job["spec"]["completions"] = completions
    status = job_status(job, [pod(str(i), phase, phase == "Running") for i, phase in enumerate(phases)], "T")
    kinds = [c["type"] for c in status.get("conditions", [])]
    assert (kinds == ["SuccessCriteriaMet", "Complete"]) is done
    assert ("completionTime" in status) is done
    assert status.get("succeeded", 0) == phases.count("Succeeded")


# ---------------------------------------------------------------------------------------------- the simulator
@pytest.fixture
async def wec():
    store = ClusterStore("cluster1")
    simulator = WorkloadSimulator(store, DELAYS)
    simulator.start()
    yield store
    await simulator.stop()


def create(store: ClusterStore, obj: dict) -> dict:
    return store.create(store.registry.by_kind(obj["apiVersion"], obj["kind"]), copy.deepcopy(obj))


def status(store: ClusterStore, key, name: str = "web") -> dict:
    obj = store.find(key, "default", name)
    return (obj or {}).get("status") or {}


def conditions(obj_status: dict) -> dict[str, tuple[str, str]]:
    return {c["type"]: (c["status"], c.get("reason", "")) for c in obj_status.get("conditions") or ()}


async def test_a_deployment_gets_a_replicaset_and_ready_pods(wec: ClusterStore) -> None:
    create(wec, workload("Deployment", replicas=2))
    await until(lambda: status(wec, DEPLOYMENT).get("availableReplicas") == 2)
    dep = status(wec, DEPLOYMENT)
    assert dep["readyReplicas"] == dep["updatedReplicas"] == dep["replicas"] == 2
    assert dep["observedGeneration"] == 1
    assert conditions(dep) == {"Available": ("True", "MinimumReplicasAvailable"),
                               "Progressing": ("True", "NewReplicaSetAvailable")}
    (rs,) = wec.objects(REPLICA_SET, "default")
    digest = rs["metadata"]["labels"]["pod-template-hash"]
    assert rs["metadata"]["name"] == f"web-{digest}"
    assert rs["metadata"]["ownerReferences"][0]["kind"] == "Deployment"
    pods = wec.objects(POD, "default")
    assert len(pods) == 2 and all(p["metadata"]["name"].startswith(f"web-{digest}-") for p in pods)
    assert all(p["status"]["phase"] == "Running" and kubelet.is_ready(p) for p in pods)


async def test_scaling_changes_the_pods_and_the_status(wec: ClusterStore) -> None:
    created = create(wec, workload("Deployment", replicas=1))
    await until(lambda: status(wec, DEPLOYMENT).get("availableReplicas") == 1)
    current = wec.get(wec.type_for(DEPLOYMENT), "default", "web")
    current["spec"]["replicas"] = 3
    wec.update(wec.type_for(DEPLOYMENT), current)
    await until(lambda: status(wec, DEPLOYMENT).get("availableReplicas") == 3
                and status(wec, DEPLOYMENT).get("observedGeneration") == 2)
    assert len(wec.objects(POD, "default")) == 3
    current = wec.get(wec.type_for(DEPLOYMENT), "default", "web")
    current["spec"]["replicas"] = 1
    wec.update(wec.type_for(DEPLOYMENT), current)
    await until(lambda: len(wec.objects(POD, "default")) == 1 and status(wec, DEPLOYMENT).get("replicas") == 1)
    assert created["metadata"]["uid"] == wec.find(DEPLOYMENT, "default", "web")["metadata"]["uid"]


async def test_an_unpullable_image_never_becomes_available(wec: ClusterStore) -> None:
    create(wec, workload("Deployment", image="nginx:doesnotexist"))
    await until(lambda: conditions(status(wec, DEPLOYMENT)).get("Progressing", ("", ""))[1] == "ProgressDeadlineExceeded")
    dep = status(wec, DEPLOYMENT)
    assert conditions(dep) == {"Available": ("False", "MinimumReplicasUnavailable"),
                               "Progressing": ("False", "ProgressDeadlineExceeded")}
    assert dep.get("availableReplicas", 0) == 0 and dep["unavailableReplicas"] == 1
    (stuck,) = wec.objects(POD, "default")
    assert stuck["status"]["phase"] == "Pending"
    (container,) = stuck["status"]["containerStatuses"]
    assert container["state"]["waiting"] == {"reason": "ImagePullBackOff",
                                             "message": 'Back-off pulling image "nginx:doesnotexist"'}


async def test_a_replicaset_replaces_a_deleted_pod(wec: ClusterStore) -> None:
    create(wec, workload("ReplicaSet", replicas=2))
    await until(lambda: status(wec, REPLICA_SET).get("readyReplicas") == 2)
    victim = wec.objects(POD, "default")[0]["metadata"]["name"]
    wec.delete(wec.type_for(POD), "default", victim)
    await until(lambda: status(wec, REPLICA_SET).get("readyReplicas") == 2
                and victim not in {p["metadata"]["name"] for p in wec.objects(POD, "default")})


async def test_a_statefulset_starts_its_pods_in_order(wec: ClusterStore) -> None:
    create(wec, workload("StatefulSet", replicas=3, serviceName="web"))
    await until(lambda: status(wec, STATEFUL_SET).get("readyReplicas") == 3)
    assert sorted(p["metadata"]["name"] for p in wec.objects(POD, "default")) == ["web-0", "web-1", "web-2"]
    sts = status(wec, STATEFUL_SET)
    assert sts["currentRevision"] == sts["updateRevision"] and sts["availableReplicas"] == 3


async def test_a_daemonset_runs_one_pod_per_node(wec: ClusterStore) -> None:
    create(wec, workload("DaemonSet", replicas=None))
    await until(lambda: status(wec, DAEMON_SET).get("numberReady") == 1)
    ds = status(wec, DAEMON_SET)
    assert ds["desiredNumberScheduled"] == ds["currentNumberScheduled"] == ds["numberAvailable"] == 1
    (one,) = wec.objects(POD, "default")
    assert one["spec"]["nodeName"] == "cluster1-control-plane"


async def test_a_job_runs_to_completion(wec: ClusterStore) -> None:
    create(wec, workload("Job", replicas=None, completions=2, parallelism=1))
    await until(lambda: "Complete" in conditions(status(wec, JOB)))
    job = status(wec, JOB)
    assert job["succeeded"] == 2 and "active" not in job and job["completionTime"]
    assert conditions(job)["Complete"] == ("True", "CompletionsReached")
    assert {p["status"]["phase"] for p in wec.objects(POD, "default")} == {"Succeeded"}


async def test_deleting_a_deployment_collects_its_replicasets_and_pods(wec: ClusterStore) -> None:
    create(wec, workload("Deployment", replicas=2))
    await until(lambda: status(wec, DEPLOYMENT).get("availableReplicas") == 2)
    wec.delete(wec.type_for(DEPLOYMENT), "default", "web")
    await until(lambda: not wec.objects(REPLICA_SET, "default") and not wec.objects(POD, "default"))
