"""Workload controllers and a kubelet for one WEC: Deployments, ReplicaSets, StatefulSets,
DaemonSets and Jobs make Pods, Pods "start", and every status reads like a real cluster's.

WECs run this (and clusters that really run pods); a k8s-type WDS does not (§3.3): the status a
user sees there is what the status path brings back from the WECs. Timing lives in memory; after a sandbox
restart an unfinished pod simply starts its delay again."""

from __future__ import annotations

import asyncio
import copy
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from kstellar_tui.sandbox.controllers import kubelet
from kstellar_tui.sandbox.controllers.objects import delete_quietly, is_deleting, meta, now, owner_reference, set_condition
from kstellar_tui.sandbox.controllers.subscribed import SubscribedController
from kstellar_tui.sandbox.controllers.workload_keys import (
    DAEMON_SET, DEPLOYMENT, JOB, NODE, POD, REPLICA_SET, STATEFUL_SET, Key,
)

KEYS: dict[str, Key] = {"Deployment": DEPLOYMENT, "ReplicaSet": REPLICA_SET, "StatefulSet": STATEFUL_SET,
                        "DaemonSet": DAEMON_SET, "Job": JOB, "Pod": POD}
_KINDS = {key: kind for kind, key in KEYS.items()}


@dataclass(frozen=True)
class WorkloadDelays:
    """Seconds of simulated time; tests use small values, demos about a second."""

    pod_start: float = 1.0           # scheduled -> Running/Ready (or ImagePullBackOff)
    job_run: float = 1.0             # a Job pod runs this long, then Succeeded
    progress_deadline: float = 10.0  # stands in for a Deployment's progressDeadlineSeconds


def _replicas(obj: Mapping[str, Any]) -> int:
    value = (obj.get("spec") or {}).get("replicas")
    return 1 if value is None else int(value)


def _omit_zero(status: dict[str, Any], *fields: str) -> dict[str, Any]:
    """Upstream's omitempty int32 fields: a zero is simply absent (READY shows 0/1 either way)."""
    return {k: v for k, v in status.items() if not (k in fields and v == 0)}


def _scaled(value: Any, total: int, *, round_up: bool) -> int:
    """An int-or-percent field (maxUnavailable/maxSurge) against `total`."""
    if isinstance(value, str) and value.endswith("%"):
        exact = int(value[:-1]) * total / 100
        return int(-(-exact // 1)) if round_up else int(exact)
    return int(value)


def max_unavailable(deployment: Mapping[str, Any]) -> int:
    strategy = (deployment.get("spec") or {}).get("strategy") or {}
    if strategy.get("type") == "Recreate":
        return 0
    rolling = strategy.get("rollingUpdate") or {}
    return min(_scaled(rolling.get("maxUnavailable", "25%"), _replicas(deployment), round_up=False),
               _replicas(deployment))


def _keep_or_set(conditions: list[dict], wanted: dict[str, str], ts: str, stamp: str) -> list[dict]:
    """Set a condition unless an identical one is there; its `stamp` field (lastUpdateTime,
    lastProbeTime) moves only with a real change, so re-reconciling writes nothing."""
    for cond in conditions:
        if all(cond.get(k) == v for k, v in wanted.items()):
            return conditions
    return set_condition(conditions, {**wanted, stamp: ts}, ts)


def _condition(kind: str, status: bool, reason: str, message: str) -> dict[str, str]:
    return {"type": kind, "status": "True" if status else "False", "reason": reason, "message": message}


def replicaset_status(rs: Mapping[str, Any], pods: list[dict]) -> dict[str, Any]:
    ready = kubelet.ready_count(pods)
    return _omit_zero({"replicas": len(pods), "fullyLabeledReplicas": len(pods), "readyReplicas": ready,
                       "availableReplicas": ready, "observedGeneration": meta(rs, "generation", 1)},
                      "fullyLabeledReplicas", "readyReplicas", "availableReplicas")


def deployment_status(dep: Mapping[str, Any], new_rs: Mapping[str, Any], all_rs: list[Mapping[str, Any]],
                      *, ts: str, timed_out: bool, created: bool) -> dict[str, Any]:
    """The deployment controller's status; `timed_out` = the progress deadline has passed."""
    desired = _replicas(dep)

    def total(field: str, sets: Iterable[Mapping[str, Any]]) -> int:
        return sum(int((rs.get("status") or {}).get(field, 0)) for rs in sets)

    replicas, available = total("replicas", all_rs), total("availableReplicas", all_rs)
    updated = int((new_rs.get("status") or {}).get("replicas", 0))
    status: dict[str, Any] = {
        "observedGeneration": meta(dep, "generation", 1), "replicas": replicas, "updatedReplicas": updated,
        "readyReplicas": total("readyReplicas", all_rs), "availableReplicas": available,
        "unavailableReplicas": max(sum(_replicas(rs) for rs in all_rs) - available, 0),
    }
    rs_name = meta(new_rs, "name")
    conditions = list((dep.get("status") or {}).get("conditions") or [])
    if available >= desired - max_unavailable(dep):
        availability = _condition("Available", True, "MinimumReplicasAvailable", "Deployment has minimum availability.")
    else:
        availability = _condition("Available", False, "MinimumReplicasUnavailable",
                                  "Deployment does not have minimum availability.")
    conditions = _keep_or_set(conditions, availability, ts, "lastUpdateTime")
    if deployment_complete(dep, status):
        progressing = (True, "NewReplicaSetAvailable", f'ReplicaSet "{rs_name}" has successfully progressed.')
    elif timed_out:
        progressing = (False, "ProgressDeadlineExceeded", f'ReplicaSet "{rs_name}" has timed out progressing.')
    elif created:
        progressing = (True, "NewReplicaSetCreated", f'Created new replica set "{rs_name}"')
    else:
        progressing = (True, "ReplicaSetUpdated", f'ReplicaSet "{rs_name}" is progressing.')
    conditions = _keep_or_set(conditions, _condition("Progressing", *progressing), ts, "lastUpdateTime")
    order = {"Available": 0, "Progressing": 1}
    status["conditions"] = sorted(conditions, key=lambda c: order.get(c.get("type", ""), 2))
    return _omit_zero(status, "replicas", "updatedReplicas", "readyReplicas", "availableReplicas",
                      "unavailableReplicas")


def deployment_complete(dep: Mapping[str, Any], status: Mapping[str, Any]) -> bool:
    desired = _replicas(dep)
    return (status.get("updatedReplicas", 0) == desired and status.get("replicas", 0) == desired
            and status.get("availableReplicas", 0) == desired
            and status.get("observedGeneration", 0) >= meta(dep, "generation", 1))


def statefulset_status(sts: Mapping[str, Any], pods: list[dict], revision: str) -> dict[str, Any]:
    ready = kubelet.ready_count(pods)
    updated = sum(1 for p in pods if (meta(p, "labels") or {}).get("controller-revision-hash") == revision)
    previous = (sts.get("status") or {}).get("currentRevision") or revision
    current = revision if updated == len(pods) else previous
    current_count = sum(1 for p in pods if (meta(p, "labels") or {}).get("controller-revision-hash") == current)
    return _omit_zero({"observedGeneration": meta(sts, "generation", 1), "replicas": len(pods),
                       "readyReplicas": ready, "currentReplicas": current_count, "updatedReplicas": updated,
                       "availableReplicas": ready, "currentRevision": current, "updateRevision": revision,
                       "collisionCount": 0},
                      "readyReplicas", "currentReplicas", "updatedReplicas")


def daemonset_status(ds: Mapping[str, Any], pods: list[dict], nodes: int, revision: str) -> dict[str, Any]:
    ready = kubelet.ready_count(pods)
    updated = sum(1 for p in pods if (meta(p, "labels") or {}).get("controller-revision-hash") == revision)
    return _omit_zero({"currentNumberScheduled": len(pods), "desiredNumberScheduled": nodes,
                       "numberMisscheduled": 0, "numberReady": ready, "numberAvailable": ready,
                       "numberUnavailable": max(nodes - ready, 0), "observedGeneration": meta(ds, "generation", 1),
                       "updatedNumberScheduled": updated},
                      "numberAvailable", "numberUnavailable")


def job_status(job: Mapping[str, Any], pods: list[dict], ts: str) -> dict[str, Any]:
    old = job.get("status") or {}
    succeeded = sum(1 for p in pods if kubelet.phase(p) == "Succeeded")
    failed = sum(1 for p in pods if kubelet.phase(p) == "Failed")
    active = [p for p in pods if kubelet.phase(p) not in ("Succeeded", "Failed")]
    status: dict[str, Any] = {"startTime": old.get("startTime") or ts, "active": len(active),
                              "ready": kubelet.ready_count(active), "succeeded": succeeded, "failed": failed,
                              "terminating": 0, "uncountedTerminatedPods": {}}
    if job_done(job, succeeded):
        status["active"] = 0
        status["completionTime"] = old.get("completionTime") or ts
        conditions = old.get("conditions") or []
        for kind in ("SuccessCriteriaMet", "Complete"):
            conditions = _keep_or_set(conditions, _condition(kind, True, "CompletionsReached",
                                                             "Reached expected number of succeeded pods"),
                                      ts, "lastProbeTime")
        status["conditions"] = conditions
    return _omit_zero(status, "active", "succeeded", "failed")


def job_done(job: Mapping[str, Any], succeeded: int) -> bool:
    completions = (job.get("spec") or {}).get("completions")
    return succeeded >= (1 if completions is None else int(completions))


class WorkloadSimulator(SubscribedController):
    """One per WEC store; keys are (kind, namespace, name)."""

    name = "workloads"

    def __init__(self, wec_store: Any, delays: WorkloadDelays | None = None) -> None:
        super().__init__(wec_store)
        self.store = wec_store
        self.delays = delays or WorkloadDelays()
        self._pod_seen: dict[str, float] = {}        # pod uid -> loop time it was first seen
        self._progress: dict[str, tuple[int, float]] = {}  # deployment uid -> (generation, since)

    # -- events --------------------------------------------------------------------------------
    def keys_for_event(self, cluster: str, event_type: str, rt: Any, obj: dict) -> Iterable[Hashable]:
        kind = _KINDS.get(rt.key)
        if kind is None:
            return
        namespace = meta(obj, "namespace")
        yield kind, namespace, meta(obj, "name")
        for ref in meta(obj, "ownerReferences") or ():
            if ref.get("controller") and ref.get("kind") in KEYS and ref["kind"] != "Pod":
                yield ref["kind"], namespace, ref["name"]

    def resync_keys(self) -> Iterable[Hashable]:
        live = set()
        for kind, key in KEYS.items():
            for obj in self.store.objects(key):
                live.add(meta(obj, "uid"))
                yield kind, meta(obj, "namespace"), meta(obj, "name")
        for table in (self._pod_seen, self._progress):
            for uid in [u for u in table if u not in live]:
                del table[uid]

    def _rt(self, kind: str) -> Any:
        return self.store.type_for(KEYS[kind])

    async def reconcile(self, key: Hashable) -> float | None:
        kind, namespace, name = key  # type: ignore[misc]
        obj = self.store.find(KEYS[kind], namespace or "", name)
        if obj is None or is_deleting(obj):
            return None
        handler = {"Pod": self._pod, "ReplicaSet": self._replicaset, "Deployment": self._deployment,
                   "StatefulSet": self._statefulset, "DaemonSet": self._daemonset, "Job": self._job}[kind]
        return handler(obj)

    # -- shared plumbing -----------------------------------------------------------------------
    def _write_status(self, obj: dict, status: dict) -> None:
        if obj.get("status") == status:
            return
        updated = copy.deepcopy(obj)
        updated["status"] = status
        self.store.update(self._rt(obj["kind"]), updated, subresource="status")

    def _owned(self, owner: Mapping[str, Any], key: Key) -> list[dict]:
        """Live objects of `key` that `owner` controls (read-only)."""
        uid = meta(owner, "uid")
        return [obj for rt, obj in self.store.dependents(uid)
                if rt.key == key and kubelet.is_controlled_by(obj, uid) and not is_deleting(obj)]

    def _owned_pods(self, owner: Mapping[str, Any]) -> list[dict]:
        return self._owned(owner, POD)

    def _create_pod(self, owner: Mapping[str, Any], name: str | None, labels: Mapping[str, str],
                    node: str, taken: set[str]) -> None:
        """Create a pod named `name`, or `<owner>-<suffix>` when `name` is None."""
        n = 0
        while name is None or name in taken:
            name = f"{meta(owner, 'name')}-{kubelet.safe_suffix(meta(owner, 'uid') + f'/{n}', 5)}"
            n += 1
        taken.add(name)
        self.store.create(self._rt("Pod"), kubelet.pod_from_template(owner, name, extra_labels=labels, node=node))

    def _delete(self, obj: Mapping[str, Any]) -> None:
        delete_quietly(self.store, self._rt(obj["kind"]), meta(obj, "namespace"), meta(obj, "name"))

    def _nodes(self) -> list[str]:
        names = sorted(meta(n, "name") for n in self.store.objects(NODE))
        return names or [f"{self.store.name}-control-plane"]

    def _elapsed(self, table: dict, uid: str) -> float:
        loop_now = asyncio.get_running_loop().time()
        return loop_now - table.setdefault(uid, loop_now)

    # -- the kubelet ---------------------------------------------------------------------------
    def _pod(self, pod: dict) -> float | None:
        status = pod.get("status") or {}
        if kubelet.phase(pod) in ("Succeeded", "Failed"):
            return None
        uid = meta(pod, "uid")
        if not status.get("conditions"):
            self._pod_seen[uid] = asyncio.get_running_loop().time()
            self._write_status(pod, kubelet.creating_status(pod, now()))
            return self.delays.pod_start
        elapsed = self._elapsed(self._pod_seen, uid)
        if elapsed < self.delays.pod_start:
            return self.delays.pod_start - elapsed
        runs_to_completion = any(ref.get("kind") == "Job" for ref in meta(pod, "ownerReferences") or ())
        finish_at = self.delays.pod_start + self.delays.job_run
        completed = runs_to_completion and elapsed >= finish_at
        target = kubelet.settled_status(pod, now(), completed=completed)
        if _shape(target) != _shape(status):
            self._write_status(pod, target)
        if runs_to_completion and not completed and target["phase"] == "Running":
            return finish_at - elapsed
        return None

    # -- workload controllers ------------------------------------------------------------------
    def _replicaset(self, rs: dict) -> float | None:
        pods = [p for p in self._owned_pods(rs) if kubelet.phase(p) not in ("Succeeded", "Failed")]
        desired = _replicas(rs)
        taken = {meta(p, "name") for p in pods}
        node = self._nodes()[0]
        for _ in range(desired - len(pods)):
            self._create_pod(rs, None, {}, node, taken)
        # Scale down the least useful first: not ready before ready, newest before oldest.
        newest_first = sorted(pods, key=lambda p: meta(p, "creationTimestamp", ""), reverse=True)
        surplus = sorted(newest_first, key=kubelet.is_ready)[:max(len(pods) - desired, 0)]
        for pod in surplus:
            self._delete(pod)
        if surplus or desired > len(pods):
            pods = [p for p in self._owned_pods(rs) if kubelet.phase(p) not in ("Succeeded", "Failed")]
        self._write_status(rs, replicaset_status(rs, pods))
        return None

    def _deployment(self, dep: dict) -> float | None:
        spec = dep.get("spec") or {}
        uid, generation = meta(dep, "uid"), meta(dep, "generation", 1)
        rs_rt = self._rt("ReplicaSet")
        owned = self._owned(dep, REPLICA_SET)
        digest = kubelet.template_hash(dep)
        new_rs = next((rs for rs in owned if (meta(rs, "labels") or {}).get("pod-template-hash") == digest), None)
        desired = _replicas(dep)
        created = new_rs is None
        if created:
            revision = 1 + max((int((meta(rs, "annotations") or {}).get("deployment.kubernetes.io/revision", 0))
                                for rs in owned), default=0)
            new_rs = self.store.create(rs_rt, _replicaset_for(dep, digest, revision))
            owned.append(new_rs)
        elif _replicas(new_rs) != desired:
            scaled = copy.deepcopy(new_rs)
            scaled["spec"]["replicas"] = desired
            new_rs = self.store.update(rs_rt, scaled)
        if created or self._progress.get(uid, (None,))[0] != generation:
            # After a sandbox restart a rollout that had already timed out stays timed out.
            expired = uid not in self._progress and not created and _timed_out(dep)
            since = asyncio.get_running_loop().time() - (self.delays.progress_deadline if expired else 0.0)
            self._progress[uid] = (generation, since)
        if int((new_rs.get("status") or {}).get("availableReplicas", 0)) >= desired:
            for old in owned:
                if meta(old, "uid") != meta(new_rs, "uid") and _replicas(old):
                    scaled = copy.deepcopy(old)
                    scaled["spec"]["replicas"] = 0
                    self.store.update(rs_rt, scaled)
        if spec.get("paused"):
            return None
        remaining = self.delays.progress_deadline - (asyncio.get_running_loop().time() - self._progress[uid][1])
        status = deployment_status(dep, new_rs, owned, ts=now(), timed_out=remaining <= 0, created=created)
        self._write_status(dep, status)
        return None if deployment_complete(dep, status) or remaining <= 0 else remaining

    def _statefulset(self, sts: dict) -> float | None:
        name = meta(sts, "name")
        revision = f"{name}-{kubelet.template_hash(sts)}"
        pods = {meta(p, "name"): p for p in self._owned_pods(sts)}
        desired = _replicas(sts)
        parallel = (sts.get("spec") or {}).get("podManagementPolicy") == "Parallel"
        node = self._nodes()[0]
        for ordinal in range(desired):
            pod_name = f"{name}-{ordinal}"
            if pod_name in pods:
                if not (parallel or kubelet.is_ready(pods[pod_name])):
                    break
                continue
            self._create_pod(sts, pod_name, {"controller-revision-hash": revision,
                                             "statefulset.kubernetes.io/pod-name": pod_name,
                                             "apps.kubernetes.io/pod-index": str(ordinal)}, node, set(pods))
            if not parallel:
                break
        for pod_name, pod in pods.items():
            if int(pod_name.rsplit("-", 1)[1]) >= desired:
                self._delete(pod)
        live = [p for n, p in pods.items() if int(n.rsplit("-", 1)[1]) < desired]
        outdated = [p for p in live if (meta(p, "labels") or {}).get("controller-revision-hash") != revision]
        if outdated and all(kubelet.is_ready(p) for p in live) and len(live) == desired:
            self._delete(max(outdated, key=lambda p: int(meta(p, "name").rsplit("-", 1)[1])))
        self._write_status(sts, statefulset_status(sts, self._owned_pods(sts), revision))
        return None

    def _daemonset(self, ds: dict) -> float | None:
        revision = kubelet.template_hash(ds)
        nodes = self._nodes()
        pods = self._owned_pods(ds)
        taken = {meta(p, "name") for p in pods}
        by_node = {(p.get("spec") or {}).get("nodeName"): p for p in pods}
        for pod in pods:
            node = (pod.get("spec") or {}).get("nodeName")
            if node not in nodes or (meta(pod, "labels") or {}).get("controller-revision-hash") != revision:
                self._delete(pod)
                by_node.pop(node, None)
        for node in nodes:
            if node not in by_node:
                self._create_pod(ds, None, {"controller-revision-hash": revision,
                                            "pod-template-generation": str(meta(ds, "generation", 1))}, node, taken)
        self._write_status(ds, daemonset_status(ds, self._owned_pods(ds), len(nodes), revision))
        return None

    def _job(self, job: dict) -> float | None:
        spec = job.get("spec") or {}
        if spec.get("suspend"):
            return None
        pods = self._owned_pods(job)
        succeeded = sum(1 for p in pods if kubelet.phase(p) == "Succeeded")
        active = [p for p in pods if kubelet.phase(p) not in ("Succeeded", "Failed")]
        if not job_done(job, succeeded):
            completions = spec.get("completions")
            remaining = (1 if completions is None else int(completions)) - succeeded
            wanted = min(int(spec.get("parallelism", 1)), remaining) - len(active)
            uid, name = meta(job, "uid"), meta(job, "name")
            labels = {"batch.kubernetes.io/controller-uid": uid, "batch.kubernetes.io/job-name": name,
                      "controller-uid": uid, "job-name": name}
            taken = {meta(p, "name") for p in pods}
            node = self._nodes()[0]
            for _ in range(max(wanted, 0)):
                self._create_pod(job, None, labels, node, taken)
            if wanted > 0:
                pods = self._owned_pods(job)
        self._write_status(job, job_status(job, pods, now()))
        return None


def _timed_out(dep: Mapping[str, Any]) -> bool:
    status = dep.get("status") or {}
    return status.get("observedGeneration") == meta(dep, "generation", 1) and any(
        c.get("type") == "Progressing" and c.get("reason") == "ProgressDeadlineExceeded"
        for c in status.get("conditions") or ())


def _shape(status: Mapping[str, Any]) -> tuple:
    """What distinguishes one pod state from the next, ignoring timestamps."""
    containers = tuple(
        (c.get("image"), c.get("ready"), *sorted((k, (v or {}).get("reason")) for k, v in (c.get("state") or {}).items()))
        for c in status.get("containerStatuses") or ())
    return status.get("phase"), containers


def _replicaset_for(dep: Mapping[str, Any], digest: str, revision: int) -> dict[str, Any]:
    spec = dep.get("spec") or {}
    template = copy.deepcopy(spec.get("template") or {})
    template.setdefault("metadata", {}).setdefault("labels", {})["pod-template-hash"] = digest
    selector = copy.deepcopy(spec.get("selector") or {})
    selector.setdefault("matchLabels", {})["pod-template-hash"] = digest
    desired = _replicas(dep)
    rolling = (spec.get("strategy") or {}).get("rollingUpdate") or {}
    surge = _scaled(rolling.get("maxSurge", "25%"), desired, round_up=True)
    return {
        "apiVersion": "apps/v1", "kind": "ReplicaSet",
        "metadata": {
            "name": f"{meta(dep, 'name')}-{digest}", "namespace": meta(dep, "namespace"),
            "labels": dict(template["metadata"]["labels"]),
            "annotations": {"deployment.kubernetes.io/desired-replicas": str(desired),
                            "deployment.kubernetes.io/max-replicas": str(desired + surge),
                            "deployment.kubernetes.io/revision": str(revision)},
            "ownerReferences": [owner_reference(dep, controller=True, block_owner_deletion=True)],
        },
        "spec": {"replicas": desired, "selector": selector, "template": template,
                 **({"minReadySeconds": spec["minReadySeconds"]} if "minReadySeconds" in spec else {})},
    }
