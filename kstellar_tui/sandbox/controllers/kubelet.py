"""What a kubelet would report for a Pod: the phases a WEC's pods go through in the sandbox.

No containers run. A pod is ContainerCreating until its start delay passes, then Running and
Ready — unless one of its images "cannot be pulled" (see `unpullable`), in which case it waits
in ImagePullBackOff forever, exactly the symptom users see for a typo'd tag."""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Mapping
from typing import Any

import orjson

from kstellar_tui.sandbox.controllers.objects import meta, owner_reference

# The alphabet apimachinery's rand.SafeEncodeString uses (no vowels, no look-alikes).
_SAFE = "bcdfghjklmnpqrstvwxz2456789"


def safe_suffix(seed: str, length: int) -> str:
    """A deterministic stand-in for upstream's random name suffixes and template hashes."""
    digest = hashlib.sha256(seed.encode()).digest()
    return "".join(_SAFE[b % len(_SAFE)] for b in digest[:length])


def unpullable(image: str) -> bool:
    """The sandbox's registry "has" every image except obviously broken ones."""
    tag = image.rsplit("/", 1)[-1].partition(":")[2]
    return tag == "doesnotexist" or "doesnotexist" in image or "invalid" in image


def _containers(pod: Mapping[str, Any]) -> list[dict]:
    return list((pod.get("spec") or {}).get("containers") or [])


def _hex(seed: str) -> str:
    return hashlib.sha256(seed.encode()).hexdigest()


def pod_ip(pod: Mapping[str, Any]) -> str:
    digest = hashlib.sha256(meta(pod, "uid", "").encode()).digest()
    return f"10.244.{digest[0]}.{digest[1] % 253 + 2}"


def _condition(kind: str, status: bool, ts: str, reason: str = "", message: str = "") -> dict[str, Any]:
    cond: dict[str, Any] = {"type": kind, "status": "True" if status else "False",
                            "lastProbeTime": None, "lastTransitionTime": ts}
    if reason:
        cond["reason"] = reason
    if message:
        cond["message"] = message
    return cond


def _container_status(container: Mapping[str, Any], pod_uid: str, state: dict, *, ready: bool,
                      started: bool) -> dict[str, Any]:
    image = container.get("image", "")
    status: dict[str, Any] = {"name": container.get("name", ""), "image": image, "imageID": "",
                              "ready": ready, "restartCount": 0, "started": started, "state": state}
    if started or "terminated" in state:
        status["imageID"] = f"{image.partition(':')[0]}@sha256:{_hex(image)}"
        status["containerID"] = f"containerd://{_hex(pod_uid + container.get('name', ''))}"
    return status


def _base_status(phase: str, start_time: str) -> dict[str, Any]:
    return {"phase": phase, "hostIP": "172.18.0.2", "hostIPs": [{"ip": "172.18.0.2"}],
            "startTime": start_time, "qosClass": "BestEffort"}


def _not_ready(names: list[str], ts: str) -> list[dict]:
    message = f"containers with unready status: [{' '.join(names)}]"
    return [_condition("Ready", False, ts, "ContainersNotReady", message),
            _condition("ContainersReady", False, ts, "ContainersNotReady", message)]


def creating_status(pod: Mapping[str, Any], ts: str) -> dict[str, Any]:
    """Scheduled, images being pulled."""
    containers = _containers(pod)
    status = _base_status("Pending", ts)
    status["conditions"] = [
        _condition("PodReadyToStartContainers", False, ts), _condition("Initialized", True, ts),
        *_not_ready([c.get("name", "") for c in containers], ts), _condition("PodScheduled", True, ts)]
    status["containerStatuses"] = [
        _container_status(c, meta(pod, "uid", ""), {"waiting": {"reason": "ContainerCreating"}},
                          ready=False, started=False) for c in containers]
    return status


def settled_status(pod: Mapping[str, Any], ts: str, *, completed: bool) -> dict[str, Any]:
    """Where a started pod ends up: Running, Succeeded (`completed`), or stuck pulling images."""
    containers = _containers(pod)
    start_time = (pod.get("status") or {}).get("startTime") or ts
    uid = meta(pod, "uid", "")
    broken = [c for c in containers if unpullable(c.get("image", ""))]
    if broken:
        status = _base_status("Pending", start_time)
        status["conditions"] = [
            _condition("PodReadyToStartContainers", True, ts), _condition("Initialized", True, ts),
            *_not_ready([c.get("name", "") for c in broken], ts), _condition("PodScheduled", True, ts)]
        status["containerStatuses"] = [
            _container_status(c, uid, {"waiting": {
                "reason": "ImagePullBackOff", "message": f'Back-off pulling image "{c.get("image", "")}"'}},
                ready=False, started=False)
            if c in broken else
            _container_status(c, uid, {"running": {"startedAt": ts}}, ready=False, started=True)
            for c in containers]
    elif completed:
        status = _base_status("Succeeded", start_time)
        status["conditions"] = [
            _condition("PodReadyToStartContainers", False, ts), _condition("Initialized", True, ts, "PodCompleted"),
            _condition("Ready", False, ts, "PodCompleted"), _condition("ContainersReady", False, ts, "PodCompleted"),
            _condition("PodScheduled", True, ts)]
        status["containerStatuses"] = [
            _container_status(c, uid, {"terminated": {"exitCode": 0, "reason": "Completed",
                                                      "startedAt": start_time, "finishedAt": ts}},
                              ready=False, started=False) for c in containers]
    else:
        status = _base_status("Running", start_time)
        status["conditions"] = [
            _condition("PodReadyToStartContainers", True, ts), _condition("Initialized", True, ts),
            _condition("Ready", True, ts), _condition("ContainersReady", True, ts),
            _condition("PodScheduled", True, ts)]
        status["containerStatuses"] = [
            _container_status(c, uid, {"running": {"startedAt": ts}}, ready=True, started=True)
            for c in containers]
    if status["phase"] != "Succeeded":
        status["podIP"] = pod_ip(pod)
        status["podIPs"] = [{"ip": status["podIP"]}]
    return status


def is_ready(pod: Mapping[str, Any]) -> bool:
    status = pod.get("status") or {}
    return status.get("phase") == "Running" and any(
        c.get("type") == "Ready" and c.get("status") == "True" for c in status.get("conditions") or ())


def phase(pod: Mapping[str, Any]) -> str:
    return (pod.get("status") or {}).get("phase", "Pending")


def is_controlled_by(obj: Mapping[str, Any], owner_uid: str) -> bool:
    return any(ref.get("controller") and ref.get("uid") == owner_uid for ref in meta(obj, "ownerReferences") or ())


def pod_from_template(owner: Mapping[str, Any], name: str, *, extra_labels: Mapping[str, str],
                      node: str) -> dict[str, Any]:
    """What a workload controller creates: the template's metadata and spec, owned by `owner`."""
    template = copy.deepcopy((owner.get("spec") or {}).get("template") or {})
    tmeta = template.get("metadata") or {}
    spec = template.get("spec") or {}
    spec.setdefault("restartPolicy", "Always")
    spec.setdefault("dnsPolicy", "ClusterFirst")
    spec.setdefault("schedulerName", "default-scheduler")
    spec.setdefault("terminationGracePeriodSeconds", 30)
    spec["nodeName"] = node
    pod_meta: dict[str, Any] = {
        "name": name, "namespace": meta(owner, "namespace"),
        "labels": {**(tmeta.get("labels") or {}), **extra_labels},
        "ownerReferences": [owner_reference(owner, controller=True, block_owner_deletion=True)],
    }
    if tmeta.get("annotations"):
        pod_meta["annotations"] = dict(tmeta["annotations"])
    return {"apiVersion": "v1", "kind": "Pod", "metadata": pod_meta, "spec": spec}


def template_hash(owner: Mapping[str, Any]) -> str:
    """Stand-in for the pod-template-hash / controller-revision-hash of the current template."""
    template = (owner.get("spec") or {}).get("template") or {}
    return safe_suffix(orjson.dumps(template, option=orjson.OPT_SORT_KEYS).decode(), 10)


def ready_count(pods: list[Mapping[str, Any]]) -> int:
    return sum(1 for p in pods if is_ready(p))
