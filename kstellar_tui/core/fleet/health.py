"""Health of an object present on a WEC, read from its `.status` the way `kubectl rollout status` does.

Works on a WEC object, or on one rebuilt from a WorkStatus (`apiVersion`, `kind`, the WDS `spec`,
`metadata.generation` and the returned `status`). Kinds without rules are Ready once present.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from enum import IntEnum


class Health(IntEnum):
    READY = 0
    PROGRESSING = 1
    DEGRADED = 2


Verdict = tuple[Health, str]

# Container waiting reasons that will not fix themselves.
_STUCK_WAITING_REASONS = frozenset({
    "ImagePullBackOff", "ErrImagePull", "CrashLoopBackOff", "CreateContainerConfigError",
    "CreateContainerError", "InvalidImageName", "RunContainerError",
})


def _condition(status: Mapping, kind: str) -> Mapping | None:
    for condition in status.get("conditions") or ():
        if condition.get("type") == kind:
            return condition
    return None


def _is_true(status: Mapping, kind: str) -> Mapping | None:
    condition = _condition(status, kind)
    return condition if condition is not None and condition.get("status") == "True" else None


def _int(mapping: Mapping, key: str, default: int = 0) -> int:
    value = mapping.get(key)
    return value if isinstance(value, int) else default


def _unobserved(obj: Mapping, status: Mapping) -> Verdict | None:
    if _int(obj.get("metadata") or {}, "generation") > _int(status, "observedGeneration"):
        return Health.PROGRESSING, "waiting for the spec update to be observed"
    return None


def _deployment(obj: Mapping, spec: Mapping, status: Mapping) -> Verdict:
    if verdict := _unobserved(obj, status):
        return verdict
    progressing = _condition(status, "Progressing")
    if progressing is not None and progressing.get("reason") == "ProgressDeadlineExceeded":
        return Health.DEGRADED, progressing.get("message") or "exceeded its progress deadline"
    wanted = _int(spec, "replicas", 1)
    updated, total = _int(status, "updatedReplicas"), _int(status, "replicas")
    available = _int(status, "availableReplicas")
    if updated < wanted:
        return Health.PROGRESSING, f"{updated} of {wanted} replicas updated"
    if total > updated:
        return Health.PROGRESSING, f"{total - updated} old replicas pending termination"
    if available < updated:
        return Health.PROGRESSING, f"{available} of {updated} updated replicas available"
    available_condition = _condition(status, "Available")
    if available_condition is not None and available_condition.get("status") == "False":
        return Health.PROGRESSING, available_condition.get("message") or "not available"
    return Health.READY, f"{available}/{wanted} available"


def _replicaset(obj: Mapping, spec: Mapping, status: Mapping) -> Verdict:
    if verdict := _unobserved(obj, status):
        return verdict
    if failure := _is_true(status, "ReplicaFailure"):
        return Health.DEGRADED, failure.get("message") or failure.get("reason") or "replica failure"
    wanted = _int(spec, "replicas", 1)
    ready, available = _int(status, "readyReplicas"), _int(status, "availableReplicas")
    if ready < wanted:
        return Health.PROGRESSING, f"{ready} of {wanted} replicas ready"
    if available < wanted:
        return Health.PROGRESSING, f"{available} of {wanted} replicas available"
    return Health.READY, f"{available}/{wanted} available"


def _statefulset(obj: Mapping, spec: Mapping, status: Mapping) -> Verdict:
    if verdict := _unobserved(obj, status):
        return verdict
    wanted = _int(spec, "replicas", 1)
    ready = _int(status, "readyReplicas")
    if ready < wanted:
        return Health.PROGRESSING, f"{ready} of {wanted} pods ready"
    strategy = spec.get("updateStrategy") or {}
    if strategy.get("type") == "OnDelete":
        return Health.READY, f"{ready}/{wanted} ready"
    partition = _int(strategy.get("rollingUpdate") or {}, "partition")
    updated = _int(status, "updatedReplicas")
    if partition:
        if updated < wanted - partition:
            return Health.PROGRESSING, f"{updated} of {wanted - partition} pods updated (partitioned roll out)"
        return Health.READY, f"{ready}/{wanted} ready"
    if status.get("updateRevision") != status.get("currentRevision"):
        return Health.PROGRESSING, f"rolling update: {updated} of {wanted} pods updated"
    return Health.READY, f"{ready}/{wanted} ready"


def _daemonset(obj: Mapping, spec: Mapping, status: Mapping) -> Verdict:
    if verdict := _unobserved(obj, status):
        return verdict
    desired = _int(status, "desiredNumberScheduled")
    updated, available = _int(status, "updatedNumberScheduled"), _int(status, "numberAvailable")
    if (spec.get("updateStrategy") or {}).get("type") != "OnDelete" and updated < desired:
        return Health.PROGRESSING, f"{updated} of {desired} pods updated"
    if available < desired:
        return Health.PROGRESSING, f"{available} of {desired} pods available"
    return Health.READY, f"{available}/{desired} available"


def _job(obj: Mapping, spec: Mapping, status: Mapping) -> Verdict:
    if _is_true(status, "Complete"):
        return Health.READY, "complete"
    if failed := _is_true(status, "Failed"):
        return Health.DEGRADED, failed.get("message") or failed.get("reason") or "failed"
    if spec.get("suspend") is True:
        return Health.PROGRESSING, "suspended"
    return Health.PROGRESSING, f"{_int(status, 'active')} active, {_int(status, 'succeeded')} succeeded"


def _pod(obj: Mapping, spec: Mapping, status: Mapping) -> Verdict:
    for container in (*(status.get("initContainerStatuses") or ()), *(status.get("containerStatuses") or ())):
        waiting = (container.get("state") or {}).get("waiting") or {}
        if waiting.get("reason") in _STUCK_WAITING_REASONS:
            return Health.DEGRADED, f"{container.get('name')}: {waiting['reason']}"
    phase = status.get("phase") or "Pending"
    if phase == "Succeeded":
        return Health.READY, "succeeded"
    if phase == "Failed":
        return Health.DEGRADED, status.get("message") or status.get("reason") or "failed"
    if phase == "Running" and _is_true(status, "Ready"):
        return Health.READY, "running"
    return Health.PROGRESSING, phase.lower() if phase != "Running" else "running, not ready"


_RULES: dict[tuple[str, str], Callable[[Mapping, Mapping, Mapping], Verdict]] = {
    ("apps", "Deployment"): _deployment,
    ("apps", "ReplicaSet"): _replicaset,
    ("apps", "StatefulSet"): _statefulset,
    ("apps", "DaemonSet"): _daemonset,
    ("batch", "Job"): _job,
    ("", "Pod"): _pod,
}


def assess_health(obj: Mapping) -> Verdict:
    """(Health, short message) for an object that exists on a WEC."""
    group = str(obj.get("apiVersion") or "").rpartition("/")[0]
    rule = _RULES.get((group, obj.get("kind")))
    if rule is None:
        return Health.READY, "present"
    return rule(obj, obj.get("spec") or {}, obj.get("status") or {})
