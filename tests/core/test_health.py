"""Health read from a WEC object's status, per kind, the way `kubectl rollout status` reads it."""

from __future__ import annotations

import pytest

from kstellar_tui.core.fleet.health import Health, assess_health

READY, PROGRESSING, DEGRADED = Health.READY, Health.PROGRESSING, Health.DEGRADED


def deployment(wanted=2, generation=1, **status):
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "generation": generation},
            "spec": {"replicas": wanted}, "status": status}


ROLLED_OUT = {"observedGeneration": 1, "replicas": 2, "updatedReplicas": 2, "availableReplicas": 2,
              "readyReplicas": 2}


@pytest.mark.parametrize(("obj", "health", "message"), [
    (deployment(**ROLLED_OUT), READY, "2/2 available"),
    (deployment(), PROGRESSING, "waiting for the spec update to be observed"),
    (deployment(generation=2, **ROLLED_OUT), PROGRESSING, "waiting for the spec update to be observed"),
    (deployment(**{**ROLLED_OUT, "updatedReplicas": 1}), PROGRESSING, "1 of 2 replicas updated"),
    (deployment(**{**ROLLED_OUT, "replicas": 3}), PROGRESSING, "1 old replicas pending termination"),
    (deployment(**{**ROLLED_OUT, "availableReplicas": 0}), PROGRESSING, "0 of 2 updated replicas available"),
    (deployment(**{**ROLLED_OUT, "availableReplicas": 0, "conditions": [
        {"type": "Progressing", "status": "False", "reason": "ProgressDeadlineExceeded",
         "message": 'ReplicaSet "web-5d" has timed out progressing.'}]}),
     DEGRADED, 'ReplicaSet "web-5d" has timed out progressing.'),
    (deployment(**{**ROLLED_OUT, "conditions": [
        {"type": "Available", "status": "False", "message": "Deployment does not have minimum availability."}]}),
     PROGRESSING, "Deployment does not have minimum availability."),
    (deployment(wanted=0, observedGeneration=1), READY, "0/0 available"),
])
def test_deployment(obj, health, message):
    assert assess_health(obj) == (health, message)


def test_deployment_without_replicas_wants_one():
    obj = deployment(observedGeneration=1, replicas=1, updatedReplicas=1, availableReplicas=1)
    del obj["spec"]["replicas"]
    assert assess_health(obj) == (READY, "1/1 available")


def workload(kind, spec=None, status=None, group="apps/v1"):
    return {"apiVersion": group, "kind": kind, "metadata": {"name": "x", "generation": 1},
            "spec": spec or {}, "status": {"observedGeneration": 1, **(status or {})}}


@pytest.mark.parametrize(("obj", "health"), [
    (workload("ReplicaSet", {"replicas": 2}, {"readyReplicas": 2, "availableReplicas": 2}), READY),
    (workload("ReplicaSet", {"replicas": 2}, {"readyReplicas": 1, "availableReplicas": 1}), PROGRESSING),
    (workload("ReplicaSet", {"replicas": 2}, {"conditions": [
        {"type": "ReplicaFailure", "status": "True", "reason": "FailedCreate", "message": "quota exceeded"}]}),
     DEGRADED),
    (workload("StatefulSet", {"replicas": 3}, {"readyReplicas": 3, "updatedReplicas": 3,
                                              "currentRevision": "r1", "updateRevision": "r1"}), READY),
    (workload("StatefulSet", {"replicas": 3}, {"readyReplicas": 2}), PROGRESSING),
    (workload("StatefulSet", {"replicas": 3}, {"readyReplicas": 3, "updatedReplicas": 1,
                                              "currentRevision": "r1", "updateRevision": "r2"}), PROGRESSING),
    (workload("StatefulSet", {"replicas": 3, "updateStrategy": {"type": "RollingUpdate",
                                                                 "rollingUpdate": {"partition": 2}}},
              {"readyReplicas": 3, "updatedReplicas": 1, "currentRevision": "r1", "updateRevision": "r2"}), READY),
    (workload("StatefulSet", {"replicas": 3, "updateStrategy": {"type": "OnDelete"}},
              {"readyReplicas": 3, "currentRevision": "r1", "updateRevision": "r2"}), READY),
    (workload("DaemonSet", {}, {"desiredNumberScheduled": 2, "updatedNumberScheduled": 2, "numberAvailable": 2}),
     READY),
    (workload("DaemonSet", {}, {"desiredNumberScheduled": 2, "updatedNumberScheduled": 1, "numberAvailable": 2}),
     PROGRESSING),
    (workload("DaemonSet", {}, {"desiredNumberScheduled": 2, "updatedNumberScheduled": 2, "numberAvailable": 1}),
     PROGRESSING),
])
def test_other_apps_workloads(obj, health):
    assert assess_health(obj)[0] is health


@pytest.mark.parametrize(("status", "health", "message"), [
    ({"conditions": [{"type": "Complete", "status": "True"}], "succeeded": 1}, READY, "complete"),
    ({"conditions": [{"type": "Failed", "status": "True", "reason": "BackoffLimitExceeded",
                      "message": "Job has reached the specified backoff limit"}]},
     DEGRADED, "Job has reached the specified backoff limit"),
    ({"active": 1}, PROGRESSING, "1 active, 0 succeeded"),
    ({}, PROGRESSING, "0 active, 0 succeeded"),
])
def test_job(status, health, message):
    assert assess_health(workload("Job", {}, status, group="batch/v1")) == (health, message)


def pod(phase, ready=False, waiting=None):
    container = {"name": "app", "state": {"waiting": {"reason": waiting}} if waiting else {"running": {}}}
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
            "status": {"phase": phase, "containerStatuses": [container],
                       "conditions": [{"type": "Ready", "status": "True" if ready else "False"}]}}


@pytest.mark.parametrize(("obj", "health", "message"), [
    (pod("Running", ready=True), READY, "running"),
    (pod("Running"), PROGRESSING, "running, not ready"),
    (pod("Pending"), PROGRESSING, "pending"),
    (pod("Pending", waiting="ImagePullBackOff"), DEGRADED, "app: ImagePullBackOff"),
    (pod("Running", waiting="CrashLoopBackOff"), DEGRADED, "app: CrashLoopBackOff"),
    (pod("Pending", waiting="ContainerCreating"), PROGRESSING, "pending"),
    (pod("Succeeded"), READY, "succeeded"),
    (pod("Failed"), DEGRADED, "failed"),
])
def test_pod(obj, health, message):
    assert assess_health(obj) == (health, message)


@pytest.mark.parametrize("obj", [
    {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}},
    {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "n"}, "status": {"phase": "Active"}},
    {"apiVersion": "example.com/v1", "kind": "Deployment", "metadata": {"name": "lookalike", "generation": 9}},
])
def test_kinds_without_rules_are_ready_when_present(obj):
    assert assess_health(obj) == (READY, "present")
