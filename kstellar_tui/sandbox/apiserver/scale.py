"""The autoscaling/v1 Scale view of workloads (`kubectl scale`, HPA-style clients)."""

from __future__ import annotations

from kstellar_tui.core.fleet.selectors import SelectorError, selector_from_dict
from kstellar_tui.sandbox.apiserver import errors
from kstellar_tui.sandbox.apiserver.objectrules import copy_of

SCALE_API_VERSION = "autoscaling/v1"


def scale_of(obj: dict) -> dict:
    """A Scale for a Deployment, ReplicaSet, StatefulSet or ReplicationController."""
    meta = obj["metadata"]
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    return {
        "kind": "Scale",
        "apiVersion": SCALE_API_VERSION,
        "metadata": {k: meta[k] for k in ("name", "namespace", "uid", "resourceVersion", "creationTimestamp")
                     if k in meta},
        "spec": {"replicas": spec.get("replicas", 0)},
        "status": {"replicas": status.get("replicas", 0), "selector": _selector_text(spec.get("selector"))},
    }


def apply_scale(obj: dict, scale: dict) -> dict:
    """The object with the Scale's spec.replicas (and its resourceVersion, for the conflict check)."""
    replicas = (scale.get("spec") or {}).get("replicas")
    if not isinstance(replicas, int) or isinstance(replicas, bool) or replicas < 0:
        raise errors.invalid("Scale.autoscaling", obj["metadata"]["name"], [
            ("spec.replicas", f"Invalid value: {replicas!r}: must be a non-negative integer")], "autoscaling", "Scale")
    scaled = copy_of(obj)
    scaled.setdefault("spec", {})["replicas"] = replicas
    given_rv = (scale.get("metadata") or {}).get("resourceVersion")
    if given_rv:
        scaled["metadata"]["resourceVersion"] = given_rv
    else:
        scaled["metadata"].pop("resourceVersion", None)
    return scaled


def _selector_text(selector: object) -> str:
    """ReplicationControllers carry a plain map; the apps kinds a LabelSelector."""
    if not isinstance(selector, dict):
        return ""
    if "matchLabels" not in selector and "matchExpressions" not in selector:
        return ",".join(f"{k}={v}" for k, v in sorted(selector.items()))
    try:
        return str(selector_from_dict(selector))
    except SelectorError:
        return ""
