"""The columns a v1.32 apiserver prints for each built-in kind (`kubectl get`), and their cells.

Always the wide set of cells (kubectl hides priority>0 columns unless `-o wide`); kinds upstream has
no printer for (roles, CRDs…) get its default NAME, CREATED AT. Where the real apiserver would have
defaulted a field (replicas, service type…) the printers assume that default.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

NAME_DESCRIPTION = (
    "Name must be unique within a namespace. Is required when creating resources, although some resources may "
    "allow a client to request the generation of an appropriate name automatically. Name is primarily intended "
    "for creation idempotence and configuration definition. Cannot be updated. More info: "
    "https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names"
)
AGE_DESCRIPTION = (
    "CreationTimestamp is a timestamp representing the server time when this object was created. It is not "
    "guaranteed to be set in happens-before order across separate operations. Clients may not set this value. "
    "It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. "
    "More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata"
)



def human_duration(seconds: float) -> str:
    """apimachinery's duration.HumanDuration: 5s, 3m2s, 15m, 4h10m, 30h, 3d4h, 20d, 2y10d, 9y."""
    s = int(seconds)
    if s < -1:
        return "<invalid>"
    if s < 0:
        return "0s"
    if s < 120:
        return f"{s}s"
    minutes = s // 60
    if minutes < 10:
        return f"{minutes}m{s % 60}s" if s % 60 else f"{minutes}m"
    if minutes < 180:
        return f"{minutes}m"
    hours = s // 3600
    if hours < 8:
        return f"{hours}h{minutes % 60}m" if minutes % 60 else f"{hours}h"
    if hours < 48:
        return f"{hours}h"
    if hours < 24 * 8:
        return f"{hours // 24}d{hours % 24}h" if hours % 24 else f"{hours // 24}d"
    if hours < 24 * 365 * 2:
        return f"{hours // 24}d"
    if hours < 24 * 365 * 8:
        years, days = hours // 24 // 365, (hours // 24) % 365
        return f"{years}y{days}d" if days else f"{years}y"
    return f"{hours // 24 // 365}y"


_UNPARSABLE = object()


def _parse_time(text: Any) -> Any:
    """An aware datetime for an RFC3339 string; None when unset, _UNPARSABLE when it is not a time."""
    if not isinstance(text, str) or not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return _UNPARSABLE
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def age(timestamp: Any, now: datetime) -> str:
    """translateTimestampSince: the time since `timestamp` (RFC3339), or <unknown> when it is not set."""
    moment = _parse_time(timestamp)
    if moment is _UNPARSABLE:
        return "<invalid>"
    return "<unknown>" if moment is None else human_duration((now - moment).total_seconds())


# ---------------------------------------------------------------------------- printers


@dataclass(frozen=True)
class Printer:
    columns: tuple[dict, ...]
    cells: Callable[[dict, datetime], list]
    conditions: Callable[[dict], list] | None = None


def column_def(name: str, description: str = "", type_: str = "string", priority: int = 0, fmt: str = "") -> dict:
    return {"name": name, "type": type_, "format": fmt, "description": description, "priority": priority}


NAME_COLUMN = column_def("Name", NAME_DESCRIPTION, fmt="name")
_AGE = column_def("Age", AGE_DESCRIPTION)
_CONTAINERS = column_def("Containers", "Names of each container in the template.", priority=1)
_IMAGES = column_def("Images", "Images referenced by each container in the template.", priority=1)
_SELECTOR = column_def("Selector", "Label query over the objects this one manages.", priority=1)


def _get(obj: Any, *path: str, default: Any = None) -> Any:
    for key in path:
        if not isinstance(obj, dict) or obj.get(key) is None:
            return default
        obj = obj[key]
    return obj


def object_name(obj: dict) -> str:
    return _get(obj, "metadata", "name", default="")


def _created(obj: dict, now: datetime) -> str:
    return age(_get(obj, "metadata", "creationTimestamp"), now)


def _containers(pod_spec: Any) -> list[str]:
    """layoutContainerCells: comma-joined container names and images."""
    containers = _get(pod_spec, "containers", default=[])
    return [",".join(c.get("name", "") for c in containers), ",".join(c.get("image", "") for c in containers)]


def format_labels(labels: dict | None) -> str:
    """labels.FormatLabels: k=v pairs sorted by key, or <none>."""
    return ",".join(f"{k}={labels[k]}" for k in sorted(labels)) if labels else "<none>"


def selector_string(selector: dict | None) -> str:
    """LabelSelectorAsSelector(...).String(): requirements sorted by key, "" for none or empty."""
    if not selector:
        return ""
    requirements = [(key, f"{key}={value}") for key, value in (selector.get("matchLabels") or {}).items()]
    for expr in selector.get("matchExpressions") or ():
        key, op, values = expr.get("key", ""), expr.get("operator"), ",".join(sorted(expr.get("values") or ()))
        text = {"In": f"{key} in ({values})", "NotIn": f"{key} notin ({values})", "Exists": key,
                "DoesNotExist": f"!{key}"}.get(op, f"{key} {op}")
        requirements.append((key, text))
    return ",".join(text for _, text in sorted(requirements, key=lambda r: r[0]))


def format_selector(selector: dict | None) -> str:
    """metav1.FormatLabelSelector: like selector_string, <none> when it selects by nothing."""
    return selector_string(selector) or "<none>"


# -- pods


def _restartable(container: dict | None) -> bool:
    return bool(container) and container.get("restartPolicy") == "Always"


def _pod_cells(pod: dict, now: datetime) -> list:
    """printPod: READY, STATUS (the reason kubectl shows), RESTARTS (with the last restart's age), AGE, then wide."""
    spec, status = pod.get("spec") or {}, pod.get("status") or {}
    init_specs = {c.get("name"): c for c in spec.get("initContainers") or ()}
    total = len(spec.get("containers") or ()) + sum(1 for c in init_specs.values() if _restartable(c))
    ready = restarts = sidecar_restarts = 0
    last_restart = sidecar_last_restart = ""
    phase = status.get("phase", "")
    reason = status.get("reason") or phase
    conditions = status.get("conditions") or ()
    if any(c.get("type") == "PodScheduled" and c.get("reason") == "SchedulingGated" for c in conditions):
        reason = "SchedulingGated"
    initializing = False
    init_statuses = status.get("initContainerStatuses") or ()
    for i, cs in enumerate(init_statuses):
        restarts += cs.get("restartCount", 0)
        finished = _get(cs, "lastState", "terminated", "finishedAt", default="")
        last_restart = max(last_restart, finished)
        sidecar = _restartable(init_specs.get(cs.get("name")))
        if sidecar:
            sidecar_restarts += cs.get("restartCount", 0)
            sidecar_last_restart = max(sidecar_last_restart, finished)
        state = cs.get("state") or {}
        terminated, waiting = state.get("terminated"), state.get("waiting")
        if terminated is not None and terminated.get("exitCode", 0) == 0:
            continue
        if sidecar and cs.get("started"):
            ready += 1 if cs.get("ready") else 0
            continue
        if terminated is not None:
            reason = "Init:" + terminated["reason"] if terminated.get("reason") else (
                f"Init:Signal:{terminated['signal']}" if terminated.get("signal")
                else f"Init:ExitCode:{terminated.get('exitCode', 0)}")
        elif waiting is not None and waiting.get("reason") and waiting["reason"] != "PodInitializing":
            reason = "Init:" + waiting["reason"]
        else:
            reason = f"Init:{i}/{len(spec.get('initContainers') or ())}"
        initializing = True
        break
    initialized = any(c.get("type") == "Initialized" and c.get("status") == "True" for c in conditions)
    if not initializing or initialized:
        restarts, last_restart = sidecar_restarts, sidecar_last_restart
        has_running = False
        for cs in reversed(status.get("containerStatuses") or ()):
            restarts += cs.get("restartCount", 0)
            last_restart = max(last_restart, _get(cs, "lastState", "terminated", "finishedAt", default=""))
            state = cs.get("state") or {}
            waiting, terminated = state.get("waiting") or {}, state.get("terminated")
            if waiting.get("reason"):
                reason = waiting["reason"]
            elif terminated is not None and terminated.get("reason"):
                reason = terminated["reason"]
            elif terminated is not None:
                reason = (f"Signal:{terminated['signal']}" if terminated.get("signal")
                          else f"ExitCode:{terminated.get('exitCode', 0)}")
            elif cs.get("ready") and state.get("running") is not None:
                has_running = True
                ready += 1
        if reason == "Completed" and has_running:
            ready_condition = any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions)
            reason = "Running" if ready_condition else "NotReady"
    if _get(pod, "metadata", "deletionTimestamp"):
        if status.get("reason") == "NodeLost":
            reason = "Unknown"
        elif phase not in ("Succeeded", "Failed"):
            reason = "Terminating"
    restarts_text = str(restarts)
    if restarts and last_restart:
        restarts_text = f"{restarts} ({age(last_restart, now)} ago)"
    pod_ip = ((status.get("podIPs") or [{}])[0] or {}).get("ip") or status.get("podIP")
    gates = spec.get("readinessGates") or ()
    gates_text = "<none>"
    if gates:
        by_type = {}
        for c in conditions:
            by_type.setdefault(c.get("type"), c.get("status"))
        passed = sum(1 for g in gates if by_type.get(g.get("conditionType")) == "True")
        gates_text = f"{passed}/{len(gates)}"
    return [object_name(pod), f"{ready}/{total}", reason, restarts_text, _created(pod, now),
            pod_ip or "<none>", spec.get("nodeName") or "<none>",
            status.get("nominatedNodeName") or "<none>", gates_text]


def _pod_conditions(pod: dict) -> list:
    phase = _get(pod, "status", "phase")
    message = {"Succeeded": "The pod has completed successfully.", "Failed": "The pod failed."}.get(phase)
    return [{"type": "Completed", "status": "True", "reason": phase, "message": message}] if message else []


# -- workloads


def _replicas(obj: dict) -> int:
    return _get(obj, "spec", "replicas", default=1)


def _status_int(obj: dict, key: str) -> int:
    return _get(obj, "status", key, default=0)


def _deployment_cells(obj: dict, now: datetime) -> list:
    template = _get(obj, "spec", "template", "spec")
    return [object_name(obj), f"{_status_int(obj, 'readyReplicas')}/{_replicas(obj)}", _status_int(obj, "updatedReplicas"),
            _status_int(obj, "availableReplicas"), _created(obj, now), *_containers(template),
            selector_string(_get(obj, "spec", "selector"))]


def _replicaset_cells(obj: dict, now: datetime) -> list:
    return [object_name(obj), _replicas(obj), _status_int(obj, "replicas"), _status_int(obj, "readyReplicas"),
            _created(obj, now), *_containers(_get(obj, "spec", "template", "spec")),
            format_selector(_get(obj, "spec", "selector"))]


def _replication_controller_cells(obj: dict, now: datetime) -> list:
    return [object_name(obj), _replicas(obj), _status_int(obj, "replicas"), _status_int(obj, "readyReplicas"),
            _created(obj, now), *_containers(_get(obj, "spec", "template", "spec")),
            format_labels(_get(obj, "spec", "selector"))]


def _statefulset_cells(obj: dict, now: datetime) -> list:
    return [object_name(obj), f"{_status_int(obj, 'readyReplicas')}/{_replicas(obj)}", _created(obj, now),
            *_containers(_get(obj, "spec", "template", "spec"))]


def _daemonset_cells(obj: dict, now: datetime) -> list:
    counts = [_status_int(obj, key) for key in ("desiredNumberScheduled", "currentNumberScheduled", "numberReady",
                                                "updatedNumberScheduled", "numberAvailable")]
    template = _get(obj, "spec", "template", "spec")
    return [object_name(obj), *counts, format_labels(_get(template, "nodeSelector")), _created(obj, now),
            *_containers(template), format_selector(_get(obj, "spec", "selector"))]


def _condition_true(conditions: list, kind: str) -> bool:
    """hasJobCondition: the first condition of that type decides."""
    for condition in conditions or ():
        if condition.get("type") == kind:
            return condition.get("status") == "True"
    return False


def _job_cells(obj: dict, now: datetime) -> list:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    succeeded = status.get("succeeded", 0)
    if spec.get("completions") is not None:
        completions = f"{succeeded}/{spec['completions']}"
    elif spec.get("parallelism", 0) > 1:
        completions = f"{succeeded}/1 of {spec['parallelism']}"
    else:
        completions = f"{succeeded}/1"
    start, end = _parse_time(status.get("startTime")), _parse_time(status.get("completionTime"))
    duration = ""
    if isinstance(start, datetime):
        end = end if isinstance(end, datetime) else now
        duration = human_duration((end - start).total_seconds())
    conditions = status.get("conditions")
    for kind, text in (("Complete", "Complete"), ("Failed", "Failed")):
        if _condition_true(conditions, kind):
            state = text
            break
    else:
        if _get(obj, "metadata", "deletionTimestamp"):
            state = "Terminating"
        elif _condition_true(conditions, "Suspended"):
            state = "Suspended"
        elif _condition_true(conditions, "FailureTarget"):
            state = "FailureTarget"
        else:
            state = "Running"
    return [object_name(obj), state, completions, duration, _created(obj, now),
            *_containers(_get(spec, "template", "spec")), format_selector(spec.get("selector"))]


def _cronjob_cells(obj: dict, now: datetime) -> list:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    last = status.get("lastScheduleTime")
    job_spec = _get(spec, "jobTemplate", "spec")
    return [object_name(obj), spec.get("schedule", ""), spec.get("timeZone") or "<none>",
            "True" if spec.get("suspend") else "False", len(status.get("active") or ()),
            age(last, now) if last else "<none>", _created(obj, now),
            *_containers(_get(job_spec, "template", "spec")), format_selector(_get(job_spec, "selector"))]


def _hpa_metrics(specs: list, statuses: list) -> str:
    """formatHPAMetrics for autoscaling/v2: current/target per metric, at most two then `+ N more...`."""
    if not specs:
        return "<none>"
    shown = []
    for i, metric in enumerate(specs):
        kind = metric.get("type", "")
        key = kind[:1].lower() + kind[1:]
        target = _get(metric, key, "target", default={})
        current = _get(statuses[i] if i < len(statuses) else {}, key, "current", default={})
        if kind in ("External", "Object", "Pods") and (target.get("averageValue") or kind == "Pods"):
            suffix = "" if kind == "Pods" else " (avg)"
            shown.append(f"{current.get('averageValue', '<unknown>')}/{target.get('averageValue')}{suffix}")
        elif kind in ("External", "Object"):
            shown.append(f"{current.get('value', '<unknown>')}/{target.get('value')}")
        elif kind in ("Resource", "ContainerResource"):
            resource = _get(metric, key, "name", default="")
            if target.get("averageValue"):
                shown.append(f"{resource}: {current.get('averageValue', '<unknown>')}/{target['averageValue']}")
            else:
                now_pct = current.get("averageUtilization")
                goal = target.get("averageUtilization")
                shown.append(f"{resource}: {'<unknown>' if now_pct is None else f'{now_pct}%'}/"
                             f"{'<auto>' if goal is None else f'{goal}%'}")
        else:
            shown.append("<unknown type>")
    text = ", ".join(shown[:2])
    return f"{text} + {len(shown) - 2} more..." if len(shown) > 2 else text


def _hpa_cells(obj: dict, now: datetime) -> list:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    ref = spec.get("scaleTargetRef") or {}
    minimum = spec.get("minReplicas")
    return [object_name(obj), f"{ref.get('kind', '')}/{ref.get('name', '')}",
            _hpa_metrics(spec.get("metrics") or [], status.get("currentMetrics") or []),
            "<unset>" if minimum is None else str(minimum), spec.get("maxReplicas", 0),
            status.get("currentReplicas", 0), _created(obj, now)]


def _controller_revision_cells(obj: dict, now: datetime) -> list:
    owner = next((ref for ref in _get(obj, "metadata", "ownerReferences", default=[]) if ref.get("controller")), None)
    controller = "<none>"
    if owner:
        group = owner.get("apiVersion", "").rpartition("/")[0]
        kind = f"{owner.get('kind', '')}.{group}" if group else owner.get("kind", "")
        controller = f"{kind.lower()}/{owner.get('name', '')}"
    return [object_name(obj), controller, obj.get("revision", 0), _created(obj, now)]


# -- services and networking


def _service_cells(obj: dict, now: datetime) -> list:
    spec = obj.get("spec") or {}
    kind = spec.get("type") or "ClusterIP"
    cluster_ips = spec.get("clusterIPs") or ([spec["clusterIP"]] if spec.get("clusterIP") else [])
    external = spec.get("externalIPs") or []
    if kind in ("ClusterIP", "NodePort"):
        external_ip = ",".join(external) or "<none>"
    elif kind == "LoadBalancer":
        balancer = _load_balancer(_get(obj, "status", "loadBalancer", "ingress", default=[]), wide=True)
        external_ip = ",".join([*filter(None, balancer.split(",")), *external]) or "<pending>"
    elif kind == "ExternalName":
        external_ip = spec.get("externalName", "")
    else:
        external_ip = "<unknown>"
    ports = ",".join(
        f"{p.get('port')}:{p['nodePort']}/{p.get('protocol', 'TCP')}" if p.get("nodePort")
        else f"{p.get('port')}/{p.get('protocol', 'TCP')}"
        for p in spec.get("ports") or ()
    )
    return [object_name(obj), kind, cluster_ips[0] if cluster_ips else "<none>", external_ip, ports or "<none>",
            _created(obj, now), format_labels(spec.get("selector"))]


def _load_balancer(ingress: list, *, wide: bool) -> str:
    text = ",".join(sorted({i.get("ip") or i.get("hostname") for i in ingress if i.get("ip") or i.get("hostname")}))
    return text[:13] + "..." if not wide and len(text) > 16 else text


def _endpoints_cells(obj: dict, now: datetime) -> list:
    shown, count = [], 0
    for subset in obj.get("subsets") or ():
        addresses = [a.get("ip", "") for a in subset.get("addresses") or ()]
        ports = subset.get("ports") or [None]
        for port in ports:
            count += len(addresses)
            shown += [a if port is None else _host_port(a, port.get("port")) for a in addresses]
    if not obj.get("subsets"):
        text = "<none>"
    else:
        text = ",".join(shown[:3]) + (f" + {count - 3} more..." if count > 3 else "")
    return [object_name(obj), text, _created(obj, now)]


def _host_port(host: str, port: Any) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _ingress_cells(obj: dict, now: datetime) -> list:
    spec = obj.get("spec") or {}
    rules = spec.get("rules") or []
    hosts = [r["host"] for r in rules if r.get("host")][:3]
    host_text = ",".join(hosts) or "*"
    if len(rules) > 3 and hosts:
        host_text += f" + {len(rules) - 3} more..."
    address = _load_balancer(_get(obj, "status", "loadBalancer", "ingress", default=[]), wide=True)
    return [object_name(obj), spec.get("ingressClassName") or "<none>", host_text, address,
            "80, 443" if spec.get("tls") else "80", _created(obj, now)]


def _ingress_class_cells(obj: dict, now: datetime) -> list:
    params = _get(obj, "spec", "parameters")
    text = "<none>"
    if params:
        kind = params.get("kind", "") + (f".{params['apiGroup']}" if params.get("apiGroup") else "")
        text = f"{kind}/{params.get('name', '')}"
    return [object_name(obj), _get(obj, "spec", "controller", default=""), text, _created(obj, now)]


def _pdb_cells(obj: dict, now: datetime) -> list:
    spec = obj.get("spec") or {}
    limits = [str(spec[key]) if spec.get(key) is not None else "N/A" for key in ("minAvailable", "maxUnavailable")]
    return [object_name(obj), *limits, _status_int(obj, "disruptionsAllowed"), _created(obj, now)]


# -- config, storage, cluster


def _count_cells(*paths: tuple[str, ...]) -> Callable[[dict, datetime], list]:
    """NAME, the total length of the collections at `paths`, AGE."""
    def cells(obj: dict, now: datetime) -> list:
        return [object_name(obj), sum(len(_get(obj, *p, default=())) for p in paths), _created(obj, now)]
    return cells


def _secret_cells(obj: dict, now: datetime) -> list:
    return [object_name(obj), obj.get("type") or "Opaque", len(obj.get("data") or {}), _created(obj, now)]


def _namespace_cells(obj: dict, now: datetime) -> list:
    return [object_name(obj), _get(obj, "status", "phase", default=""), _created(obj, now)]


_NODE_ROLE_PREFIX = "node-role.kubernetes.io/"


def _node_cells(obj: dict, now: datetime) -> list:
    conditions = {c.get("type"): c for c in _get(obj, "status", "conditions", default=[])}
    ready = conditions.get("Ready")
    state = ["Unknown"] if ready is None else ["Ready" if ready.get("status") == "True" else "NotReady"]
    if _get(obj, "spec", "unschedulable"):
        state.append("SchedulingDisabled")
    labels = _get(obj, "metadata", "labels", default={})
    roles = {k.removeprefix(_NODE_ROLE_PREFIX) for k in labels if k.startswith(_NODE_ROLE_PREFIX)} - {""}
    if labels.get("kubernetes.io/role"):
        roles.add(labels["kubernetes.io/role"])
    info = _get(obj, "status", "nodeInfo", default={})
    addresses = _get(obj, "status", "addresses", default=[])

    def address(kind: str) -> str:
        return next((a.get("address") for a in addresses if a.get("type") == kind), "<none>")

    return [object_name(obj), ",".join(state), ",".join(sorted(roles)) or "<none>", _created(obj, now),
            info.get("kubeletVersion", ""), address("InternalIP"), address("ExternalIP"),
            info.get("osImage") or "<unknown>", info.get("kernelVersion") or "<unknown>",
            info.get("containerRuntimeVersion") or "<unknown>"]


_ACCESS_MODES = (("ReadWriteOnce", "RWO"), ("ReadOnlyMany", "ROX"), ("ReadWriteMany", "RWX"),
                 ("ReadWriteOncePod", "RWOP"))


def _access_modes(modes: list | None) -> str:
    return ",".join(short for mode, short in _ACCESS_MODES if mode in (modes or ()))


def _storage_class_of(obj: dict) -> str:
    annotated = _get(obj, "metadata", "annotations", "volume.beta.kubernetes.io/storage-class")
    return annotated if annotated is not None else _get(obj, "spec", "storageClassName", default="")


def _phase(obj: dict) -> str:
    return "Terminating" if _get(obj, "metadata", "deletionTimestamp") else _get(obj, "status", "phase", default="")


def _pvc_cells(obj: dict, now: datetime) -> list:
    spec = obj.get("spec") or {}
    bound = bool(spec.get("volumeName"))
    return [object_name(obj), _phase(obj), spec.get("volumeName", ""),
            _get(obj, "status", "capacity", "storage", default="") if bound else "",
            _access_modes(_get(obj, "status", "accessModes")) if bound else "", _storage_class_of(obj),
            spec.get("volumeAttributesClassName") or "<unset>", _created(obj, now), spec.get("volumeMode") or "<unset>"]


def _pv_cells(obj: dict, now: datetime) -> list:
    spec = obj.get("spec") or {}
    claim = spec.get("claimRef")
    return [object_name(obj), _get(spec, "capacity", "storage", default="0"), _access_modes(spec.get("accessModes")),
            spec.get("persistentVolumeReclaimPolicy", ""), _phase(obj),
            f"{claim.get('namespace', '')}/{claim.get('name', '')}" if claim else "", _storage_class_of(obj),
            spec.get("volumeAttributesClassName") or "<unset>", _get(obj, "status", "reason", default=""),
            _created(obj, now), spec.get("volumeMode") or "<unset>"]


def _storage_class_cells(obj: dict, now: datetime) -> list:
    annotations = _get(obj, "metadata", "annotations", default={})
    default = "true" in (annotations.get("storageclass.kubernetes.io/is-default-class"),
                         annotations.get("storageclass.beta.kubernetes.io/is-default-class"))
    return [object_name(obj) + (" (default)" if default else ""), obj.get("provisioner", ""),
            obj.get("reclaimPolicy") or "Delete", obj.get("volumeBindingMode") or "Immediate",
            bool(obj.get("allowVolumeExpansion")), _created(obj, now)]


def _csi_driver_cells(obj: dict, now: datetime) -> list:
    spec = obj.get("spec") or {}
    tokens = spec.get("tokenRequests")
    return [object_name(obj), spec.get("attachRequired", True), bool(spec.get("podInfoOnMount")),
            bool(spec.get("storageCapacity")),
            "<unset>" if tokens is None else ",".join(t.get("audience", "") for t in tokens),
            bool(spec.get("requiresRepublish")), ",".join(spec.get("volumeLifecycleModes") or ()) or "<none>",
            _created(obj, now)]


def _binding_cells(obj: dict, now: datetime) -> list:
    ref = obj.get("roleRef") or {}
    subjects = obj.get("subjects") or ()

    def names(kind: str) -> str:
        return ", ".join(
            (f"{s.get('namespace', '')}/{s.get('name', '')}" if kind == "ServiceAccount" else s.get("name", ""))
            for s in subjects if s.get("kind") == kind)

    return [object_name(obj), f"{ref.get('kind', '')}/{ref.get('name', '')}", _created(obj, now),
            names("User"), names("Group"), names("ServiceAccount")]


def _lease_cells(obj: dict, now: datetime) -> list:
    return [object_name(obj), _get(obj, "spec", "holderIdentity", default=""), _created(obj, now)]


def _csr_cells(obj: dict, now: datetime) -> list:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    kinds = {c.get("type") for c in status.get("conditions") or ()}
    state = "Denied" if "Denied" in kinds else "Approved" if "Approved" in kinds else "Pending"
    state += ",Failed" if "Failed" in kinds else ""
    state += ",Issued" if status.get("certificate") else ""
    seconds = spec.get("expirationSeconds")
    return [object_name(obj), _created(obj, now), spec.get("signerName") or "<none>", spec.get("username", ""),
            "<none>" if seconds is None else human_duration(seconds), state]


def _event_cells(event: dict, now: datetime) -> list:
    """printEvent for core/v1 and events.k8s.io/v1 Events (the latter's deprecated* and regarding/note fields)."""
    def field(core: str, new: str) -> Any:
        return event.get(core) if event.get(core) is not None else event.get(new)

    first = field("firstTimestamp", "deprecatedFirstTimestamp")
    first_text = age(first, now) if first else age(event.get("eventTime"), now)
    last = field("lastTimestamp", "deprecatedLastTimestamp")
    last_text = age(last, now) if last else first_text
    count = field("count", "deprecatedCount") or 1
    series = event.get("series")
    if series:
        last_text, count = age(series.get("lastObservedTime"), now), series.get("count", 0)
    target = field("involvedObject", "regarding") or {}
    kind = (target.get("kind") or "").lower()
    source = field("source", "deprecatedSource") or {}
    component = source.get("component") or event.get("reportingController") or ""
    host = source.get("host") or event.get("reportingInstance") or ""
    return [last_text, event.get("type", ""), event.get("reason", ""),
            f"{kind}/{target['name']}" if target.get("name") else kind, target.get("fieldPath", ""),
            f"{component}, {host}" if host else component, (field("message", "note") or "").strip(), first_text,
            count, object_name(event)]


def _resource_quota_cells(quota: dict, now: datetime) -> list:
    """`resource: used/hard` pairs, requests and limits apart, as kubectl prints them."""
    hard = _get(quota, "status", "hard", default=None) or _get(quota, "spec", "hard", default={})
    used = _get(quota, "status", "used", default={})
    pairs = {False: [], True: []}
    for resource in sorted(hard):
        pairs[resource.startswith("limits.")].append(f"{resource}: {used.get(resource, '0')}/{hard[resource]}")
    return [object_name(quota), _created(quota, now), ", ".join(pairs[False]), ", ".join(pairs[True])]


def _priority_class_cells(pc: dict, now: datetime) -> list:
    return [object_name(pc), pc.get("value", 0), bool(pc.get("globalDefault")), _created(pc, now),
            pc.get("preemptionPolicy", "PreemptLowerPriority")]


def _with_age(*columns: dict) -> tuple[dict, ...]:
    return (NAME_COLUMN, *columns, _AGE)


_EVENT_PRINTER = Printer((
    column_def("Last Seen"), column_def("Type"), column_def("Reason"), column_def("Object"), column_def("Subobject", priority=1),
    column_def("Source", priority=1), column_def("Message"), column_def("First Seen", priority=1), column_def("Count", priority=1),
    column_def("Name", NAME_DESCRIPTION, priority=1, fmt="name"),
), _event_cells)

PRINTERS: dict[tuple[str, str], Printer] = {
    ("", "pods"): Printer((
        NAME_COLUMN, column_def("Ready", "The aggregate readiness state of this pod for accepting traffic."),
        column_def("Status", "The aggregate status of the containers in this pod."),
        column_def("Restarts", "The number of times the containers in this pod have been restarted and when the last "
                         "container in this pod has restarted."),
        _AGE, column_def("IP", "IP address allocated to the pod.", priority=1),
        column_def("Node", "The node the pod is scheduled to.", priority=1),
        column_def("Nominated Node", "The node the scheduler nominated for this pod.", priority=1),
        column_def("Readiness Gates", "Readiness gates that are true, of those the pod declares.", priority=1),
    ), _pod_cells, _pod_conditions),
    ("", "services"): Printer((
        NAME_COLUMN, column_def("Type"), column_def("Cluster-IP"), column_def("External-IP"), column_def("Port(s)"), _AGE,
        column_def("Selector", priority=1),
    ), _service_cells),
    ("", "endpoints"): Printer(_with_age(column_def("Endpoints")), _endpoints_cells),
    ("", "namespaces"): Printer(_with_age(column_def("Status", "The status of the namespace")), _namespace_cells),
    ("", "configmaps"): Printer(_with_age(column_def("Data")), _count_cells(("data",), ("binaryData",))),
    ("", "secrets"): Printer((NAME_COLUMN, column_def("Type"), column_def("Data"), _AGE), _secret_cells),
    ("", "resourcequotas"): Printer((NAME_COLUMN, _AGE, column_def("Request"), column_def("Limit")), _resource_quota_cells),
    ("scheduling.k8s.io", "priorityclasses"): Printer((
        NAME_COLUMN, column_def("Value", type_="integer"), column_def("Global-Default", type_="boolean"), _AGE,
        column_def("PreemptionPolicy"),
    ), _priority_class_cells),
    ("", "serviceaccounts"): Printer(_with_age(column_def("Secrets")), _count_cells(("secrets",))),
    ("", "events"): _EVENT_PRINTER,
    ("events.k8s.io", "events"): _EVENT_PRINTER,
    ("", "replicationcontrollers"): Printer((
        NAME_COLUMN, column_def("Desired", type_="integer"), column_def("Current", type_="integer"), column_def("Ready", type_="integer"),
        _AGE, _CONTAINERS, _IMAGES, _SELECTOR,
    ), _replication_controller_cells),
    ("", "nodes"): Printer((
        NAME_COLUMN, column_def("Status", "The status of the node"), column_def("Roles", "The roles of the node"), _AGE,
        column_def("Version"), column_def("Internal-IP", priority=1), column_def("External-IP", priority=1),
        column_def("OS-Image", priority=1), column_def("Kernel-Version", priority=1), column_def("Container-Runtime", priority=1),
    ), _node_cells),
    ("", "persistentvolumeclaims"): Printer((
        NAME_COLUMN, column_def("Status"), column_def("Volume"), column_def("Capacity"), column_def("Access Modes"),
        column_def("StorageClass", "StorageClass of the pvc"), column_def("VolumeAttributesClass"), _AGE,
        column_def("VolumeMode", priority=1),
    ), _pvc_cells),
    ("", "persistentvolumes"): Printer((
        NAME_COLUMN, column_def("Capacity"), column_def("Access Modes"), column_def("Reclaim Policy"), column_def("Status"), column_def("Claim"),
        column_def("StorageClass", "StorageClass of the pv"), column_def("VolumeAttributesClass"), column_def("Reason"), _AGE,
        column_def("VolumeMode", priority=1),
    ), _pv_cells),
    ("apps", "deployments"): Printer((
        NAME_COLUMN, column_def("Ready", "Number of the pod with ready state"), column_def("Up-to-date"), column_def("Available"), _AGE,
        _CONTAINERS, _IMAGES, _SELECTOR,
    ), _deployment_cells),
    ("apps", "replicasets"): Printer((
        NAME_COLUMN, column_def("Desired", type_="integer"), column_def("Current", type_="integer"), column_def("Ready", type_="integer"),
        _AGE, _CONTAINERS, _IMAGES, _SELECTOR,
    ), _replicaset_cells),
    ("apps", "statefulsets"): Printer((
        NAME_COLUMN, column_def("Ready", "Number of the pod with ready state"), _AGE, _CONTAINERS, _IMAGES,
    ), _statefulset_cells),
    ("apps", "daemonsets"): Printer((
        NAME_COLUMN, *(column_def(name, type_="integer") for name in ("Desired", "Current", "Ready", "Up-to-date", "Available")),
        column_def("Node Selector"), _AGE, _CONTAINERS, _IMAGES, _SELECTOR,
    ), _daemonset_cells),
    ("apps", "controllerrevisions"): Printer(_with_age(column_def("Controller", "Controller of the object"),
                                                        column_def("Revision")), _controller_revision_cells),
    ("autoscaling", "horizontalpodautoscalers"): Printer(_with_age(
        column_def("Reference"), column_def("Targets"), column_def("MinPods"), column_def("MaxPods"), column_def("Replicas"),
    ), _hpa_cells),
    ("batch", "jobs"): Printer((
        NAME_COLUMN, column_def("Status", "Status of the job."), column_def("Completions"),
        column_def("Duration", "Time required to complete the job."), _AGE, _CONTAINERS, _IMAGES, _SELECTOR,
    ), _job_cells),
    ("batch", "cronjobs"): Printer((
        NAME_COLUMN, column_def("Schedule"), column_def("Timezone"), column_def("Suspend", type_="boolean"), column_def("Active", type_="integer"),
        column_def("Last Schedule"), _AGE, _CONTAINERS, _IMAGES, _SELECTOR,
    ), _cronjob_cells),
    ("certificates.k8s.io", "certificatesigningrequests"): Printer((
        NAME_COLUMN, _AGE, column_def("SignerName"), column_def("Requestor"), column_def("RequestedDuration"), column_def("Condition"),
    ), _csr_cells),
    ("networking.k8s.io", "ingresses"): Printer(_with_age(
        column_def("Class", "The name of the IngressClass resource that should be used for additional configuration"),
        column_def("Hosts", "Hosts that incoming requests are matched against before the ingress rule"),
        column_def("Address", "Address is a list containing ingress points for the load-balancer"),
        column_def("Ports", "Ports of TLS configurations that open"),
    ), _ingress_cells),
    ("networking.k8s.io", "ingressclasses"): Printer(_with_age(
        column_def("Controller", "Controller that is responsible for handling this class"),
        column_def("Parameters", "A reference to a resource with additional parameters"),
    ), _ingress_class_cells),
    ("networking.k8s.io", "networkpolicies"): Printer(
        _with_age(column_def("Pod-Selector")),
        lambda obj, now: [object_name(obj), format_selector(_get(obj, "spec", "podSelector")), _created(obj, now)]),
    ("policy", "poddisruptionbudgets"): Printer(_with_age(
        column_def("Min Available", "The minimum number of pods that must be available."),
        column_def("Max Unavailable", "The maximum number of pods that may be unavailable."),
        column_def("Allowed Disruptions", "Calculated number of pods that may be disrupted at this time.", "integer"),
    ), _pdb_cells),
    ("rbac.authorization.k8s.io", "rolebindings"): Printer((
        NAME_COLUMN, column_def("Role"), _AGE, column_def("Users", "Users in the roleBinding", priority=1),
        column_def("Groups", "Groups in the roleBinding", priority=1),
        column_def("ServiceAccounts", "ServiceAccounts in the roleBinding", priority=1),
    ), _binding_cells),
    ("rbac.authorization.k8s.io", "clusterrolebindings"): Printer((
        NAME_COLUMN, column_def("Role"), _AGE, column_def("Users", "Users in the clusterRoleBinding", priority=1),
        column_def("Groups", "Groups in the clusterRoleBinding", priority=1),
        column_def("ServiceAccounts", "ServiceAccounts in the clusterRoleBinding", priority=1),
    ), _binding_cells),
    ("storage.k8s.io", "storageclasses"): Printer(_with_age(
        column_def("Provisioner"), column_def("ReclaimPolicy"), column_def("VolumeBindingMode"), column_def("AllowVolumeExpansion"),
    ), _storage_class_cells),
    ("storage.k8s.io", "csinodes"): Printer(
        _with_age(column_def("Drivers", "Drivers indicates the number of CSI drivers registered on the node", "integer")),
        _count_cells(("spec", "drivers"))),
    ("storage.k8s.io", "csidrivers"): Printer(_with_age(
        column_def("AttachRequired", type_="boolean"), column_def("PodInfoOnMount", type_="boolean"),
        column_def("StorageCapacity", type_="boolean"), column_def("TokenRequests"), column_def("RequiresRepublish", type_="boolean"),
        column_def("Modes"),
    ), _csi_driver_cells),
    ("coordination.k8s.io", "leases"): Printer(_with_age(column_def("Holder")), _lease_cells),
}

DEFAULT_PRINTER = Printer(
    (NAME_COLUMN, column_def("Created At", AGE_DESCRIPTION, "date")),
    lambda obj, now: [object_name(obj), _get(obj, "metadata", "creationTimestamp")],
)
