"""Table output: upstream's columns and cells for the built-in kinds, CRD columns, durations, JSONPath."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from kstellar_tui.sandbox.apiserver import jsonpath
from kstellar_tui.sandbox.apiserver.crdschema import types_from_crd
from kstellar_tui.sandbox.apiserver.registry import ResourceRegistry
from kstellar_tui.sandbox.apiserver.tables import TABLE_CONTENT_TYPE, human_duration, to_table, wants_table

NOW = datetime(2024, 5, 1, 12, 0, 0, tzinfo=timezone.utc)
REGISTRY = ResourceRegistry()


def ago(**delta) -> str:
    return (NOW - timedelta(**delta)).strftime("%Y-%m-%dT%H:%M:%SZ")


def meta(name: str = "x", **extra) -> dict:
    return {"name": name, "namespace": "default", "creationTimestamp": ago(minutes=5), **extra}


def table(api_version: str, plural: str, *objects: dict, **options) -> dict:
    group, _, version = api_version.rpartition("/")
    return to_table(REGISTRY.lookup(group, version, plural), list(objects), now=NOW, **options)


def headers(result: dict, wide: bool = False) -> list[str]:
    return [c["name"] for c in result["columnDefinitions"] if wide or c["priority"] == 0]


def cells(result: dict) -> list:
    (row,) = result["rows"]
    return row["cells"]


@pytest.mark.parametrize(("seconds", "text"), [
    (-5, "<invalid>"), (-1, "0s"), (0, "0s"), (5, "5s"), (119, "119s"), (120, "2m"), (182, "3m2s"), (600, "10m"),
    (3 * 3600 - 1, "179m"), (4 * 3600 + 600, "4h10m"), (5 * 3600, "5h"), (30 * 3600, "30h"),
    (3 * 86400 + 4 * 3600, "3d4h"), (2 * 86400, "2d"), (20 * 86400, "20d"), (800 * 86400, "2y70d"),
    (3 * 365 * 86400, "3y"), (9 * 365 * 86400, "9y"),
])
def test_human_duration(seconds, text):
    assert human_duration(seconds) == text


def test_table_envelope_and_row_objects():
    cm = {"metadata": meta("cm"), "data": {"a": "1"}, "binaryData": {"b": "Ag=="}}
    result = table("v1", "configmaps", cm, list_metadata={"resourceVersion": "42"})
    assert (result["kind"], result["apiVersion"], result["metadata"]) == ("Table", "meta.k8s.io/v1",
                                                                           {"resourceVersion": "42"})
    assert result["columnDefinitions"][0] == {"name": "Name", "type": "string", "format": "name",
                                              "description": result["columnDefinitions"][0]["description"],
                                              "priority": 0}
    assert result["rows"][0] == {"cells": ["cm", 2, "5m"], "object": {
        "kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": cm["metadata"]}}
    assert table("v1", "configmaps", cm, include_object="Object")["rows"][0]["object"] is cm
    assert "object" not in table("v1", "configmaps", cm, include_object="None")["rows"][0]


def container_status(name="c", ready=True, restarts=0, state=None, last_finished=None) -> dict:
    status = {"name": name, "ready": ready, "restartCount": restarts, "state": state or {"running": {}}}
    if last_finished:
        status["lastState"] = {"terminated": {"finishedAt": last_finished, "exitCode": 1}}
    return status


def pod(status: dict, spec: dict | None = None, **metadata) -> dict:
    spec = spec or {"containers": [{"name": "c", "image": "nginx"}]}
    return {"metadata": meta("p", **metadata), "spec": spec, "status": status}


PODS = [
    ("running", pod({"phase": "Running", "containerStatuses": [container_status()], "podIP": "10.0.0.5"},
                    {"containers": [{"name": "c"}], "nodeName": "n1"}),
     ["p", "1/1", "Running", "0", "5m", "10.0.0.5", "n1", "<none>", "<none>"]),
    ("pending", pod({"phase": "Pending"}), ["p", "0/1", "Pending", "0", "5m", "<none>", "<none>", "<none>", "<none>"]),
    ("crashloop", pod({"phase": "Running", "containerStatuses": [container_status(
        ready=False, restarts=4, state={"waiting": {"reason": "CrashLoopBackOff"}}, last_finished=ago(seconds=30))]}),
     ["p", "0/1", "CrashLoopBackOff", "4 (30s ago)", "5m", "<none>", "<none>", "<none>", "<none>"]),
    ("completed", pod({"phase": "Succeeded", "containerStatuses": [container_status(
        ready=False, state={"terminated": {"reason": "Completed", "exitCode": 0}})]}),
     ["p", "0/1", "Completed", "0", "5m", "<none>", "<none>", "<none>", "<none>"]),
    ("exit code", pod({"phase": "Failed", "containerStatuses": [container_status(
        ready=False, state={"terminated": {"exitCode": 2}})]}),
     ["p", "0/1", "ExitCode:2", "0", "5m", "<none>", "<none>", "<none>", "<none>"]),
    ("initializing", pod({"phase": "Pending", "initContainerStatuses": [container_status(
        "init", ready=False, state={"waiting": {"reason": "PodInitializing"}})]},
        {"initContainers": [{"name": "init"}], "containers": [{"name": "c"}]}),
     ["p", "0/1", "Init:0/1", "0", "5m", "<none>", "<none>", "<none>", "<none>"]),
    ("init failing", pod({"phase": "Pending", "initContainerStatuses": [container_status(
        "init", ready=False, state={"waiting": {"reason": "ImagePullBackOff"}})]},
        {"initContainers": [{"name": "init"}], "containers": [{"name": "c"}]}),
     ["p", "0/1", "Init:ImagePullBackOff", "0", "5m", "<none>", "<none>", "<none>", "<none>"]),
    ("sidecar counts as a container", pod({"phase": "Running", "conditions": [
        {"type": "Initialized", "status": "True"}],
        "initContainerStatuses": [container_status("side") | {"started": True}],
        "containerStatuses": [container_status()]},
        {"initContainers": [{"name": "side", "restartPolicy": "Always"}], "containers": [{"name": "c"}]}),
     ["p", "2/2", "Running", "0", "5m", "<none>", "<none>", "<none>", "<none>"]),
    ("terminating", pod({"phase": "Running", "containerStatuses": [container_status()]},
                        deletionTimestamp=ago(seconds=1)),
     ["p", "1/1", "Terminating", "0", "5m", "<none>", "<none>", "<none>", "<none>"]),
    ("readiness gates", pod({"phase": "Running", "containerStatuses": [container_status()],
                             "conditions": [{"type": "example.com/ok", "status": "True"}]},
                            {"containers": [{"name": "c"}], "readinessGates": [
                                {"conditionType": "example.com/ok"}, {"conditionType": "example.com/no"}]}),
     ["p", "1/1", "Running", "0", "5m", "<none>", "<none>", "<none>", "1/2"]),
]


def test_pod_columns():
    result = table("v1", "pods", pod({"phase": "Running"}))
    assert headers(result) == ["Name", "Ready", "Status", "Restarts", "Age"]
    assert headers(result, wide=True)[5:] == ["IP", "Node", "Nominated Node", "Readiness Gates"]


@pytest.mark.parametrize(("obj", "expected"), [p[1:] for p in PODS], ids=[p[0] for p in PODS])
def test_pod_cells(obj, expected):
    assert cells(table("v1", "pods", obj)) == expected


def test_finished_pods_carry_a_completed_condition():
    row = table("v1", "pods", PODS[3][1])["rows"][0]
    assert row["conditions"] == [{"type": "Completed", "status": "True", "reason": "Succeeded",
                                  "message": "The pod has completed successfully."}]
    assert "conditions" not in table("v1", "pods", PODS[0][1])["rows"][0]


TEMPLATE = {"spec": {"containers": [{"name": "web", "image": "nginx:1.27"}, {"name": "log", "image": "busybox"}]}}
SELECTOR = {"matchLabels": {"app": "web"}, "matchExpressions": [{"key": "tier", "operator": "In",
                                                                 "values": ["b", "a"]}]}

WORKLOADS = [
    ("apps/v1", "deployments",
     {"metadata": meta("web"), "spec": {"replicas": 3, "template": TEMPLATE, "selector": SELECTOR},
      "status": {"readyReplicas": 2, "updatedReplicas": 3, "availableReplicas": 2}},
     ["Name", "Ready", "Up-to-date", "Available", "Age", "Containers", "Images", "Selector"],
     ["web", "2/3", 3, 2, "5m", "web,log", "nginx:1.27,busybox", "app=web,tier in (a,b)"]),
    ("apps/v1", "deployments", {"metadata": meta("web"), "spec": {"template": TEMPLATE}},
     None, ["web", "0/1", 0, 0, "5m", "web,log", "nginx:1.27,busybox", ""]),
    ("apps/v1", "replicasets",
     {"metadata": meta("web-1"), "spec": {"replicas": 2, "template": TEMPLATE, "selector": {}},
      "status": {"replicas": 2, "readyReplicas": 1}},
     ["Name", "Desired", "Current", "Ready", "Age", "Containers", "Images", "Selector"],
     ["web-1", 2, 2, 1, "5m", "web,log", "nginx:1.27,busybox", "<none>"]),
    ("apps/v1", "statefulsets",
     {"metadata": meta("db"), "spec": {"replicas": 3, "template": TEMPLATE}, "status": {"readyReplicas": 3}},
     ["Name", "Ready", "Age", "Containers", "Images"], ["db", "3/3", "5m", "web,log", "nginx:1.27,busybox"]),
    ("apps/v1", "daemonsets",
     {"metadata": meta("agent"), "spec": {"template": {"spec": {"nodeSelector": {"os": "linux"}, "containers": []}},
                                          "selector": {"matchLabels": {"app": "agent"}}},
      "status": {"desiredNumberScheduled": 2, "currentNumberScheduled": 2, "numberReady": 1,
                 "updatedNumberScheduled": 2, "numberAvailable": 1}},
     ["Name", "Desired", "Current", "Ready", "Up-to-date", "Available", "Node Selector", "Age", "Containers", "Images",
      "Selector"],
     ["agent", 2, 2, 1, 2, 1, "os=linux", "5m", "", "", "app=agent"]),
    ("v1", "replicationcontrollers",
     {"metadata": meta("rc"), "spec": {"replicas": 1, "selector": {"app": "x"}, "template": TEMPLATE}},
     ["Name", "Desired", "Current", "Ready", "Age", "Containers", "Images", "Selector"],
     ["rc", 1, 0, 0, "5m", "web,log", "nginx:1.27,busybox", "app=x"]),
    ("batch/v1", "jobs",
     {"metadata": meta("once"), "spec": {"completions": 1, "template": TEMPLATE},
      "status": {"succeeded": 1, "startTime": ago(minutes=4), "completionTime": ago(minutes=3, seconds=30),
                 "conditions": [{"type": "Complete", "status": "True"}]}},
     ["Name", "Status", "Completions", "Duration", "Age", "Containers", "Images", "Selector"],
     ["once", "Complete", "1/1", "30s", "5m", "web,log", "nginx:1.27,busybox", "<none>"]),
    ("batch/v1", "jobs",
     {"metadata": meta("busy"), "spec": {"parallelism": 3, "template": TEMPLATE},
      "status": {"startTime": ago(minutes=2, seconds=2)}},
     None, ["busy", "Running", "0/1 of 3", "2m2s", "5m", "web,log", "nginx:1.27,busybox", "<none>"]),
    ("batch/v1", "cronjobs",
     {"metadata": meta("nightly"), "spec": {"schedule": "0 2 * * *", "jobTemplate": {"spec": {"template": TEMPLATE}}},
      "status": {"active": [{"name": "j"}], "lastScheduleTime": ago(hours=10)}},
     ["Name", "Schedule", "Timezone", "Suspend", "Active", "Last Schedule", "Age", "Containers", "Images", "Selector"],
     ["nightly", "0 2 * * *", "<none>", "False", 1, "10h", "5m", "web,log", "nginx:1.27,busybox", "<none>"]),
    ("autoscaling/v2", "horizontalpodautoscalers",
     {"metadata": meta("web"), "spec": {"scaleTargetRef": {"kind": "Deployment", "name": "web"}, "maxReplicas": 5,
                                        "metrics": [{"type": "Resource", "resource": {
                                            "name": "cpu", "target": {"type": "Utilization", "averageUtilization": 80}}}]},
      "status": {"currentReplicas": 2, "currentMetrics": [{"type": "Resource", "resource": {
          "name": "cpu", "current": {"averageUtilization": 12}}}]}},
     ["Name", "Reference", "Targets", "MinPods", "MaxPods", "Replicas", "Age"],
     ["web", "Deployment/web", "cpu: 12%/80%", "<unset>", 5, 2, "5m"]),
    ("apps/v1", "controllerrevisions",
     {"metadata": meta("db-1", ownerReferences=[{"apiVersion": "apps/v1", "kind": "StatefulSet", "name": "db",
                                                 "controller": True}]), "revision": 1},
     ["Name", "Controller", "Revision", "Age"], ["db-1", "statefulset.apps/db", 1, "5m"]),
]


@pytest.mark.parametrize(("api_version", "plural", "obj", "columns", "expected"), WORKLOADS,
                         ids=[f"{w[1]}-{i}" for i, w in enumerate(WORKLOADS)])
def test_workloads(api_version, plural, obj, columns, expected):
    result = table(api_version, plural, obj)
    if columns:
        assert headers(result, wide=True) == columns
    assert cells(result) == expected


SERVICES = [
    ({"type": "ClusterIP", "clusterIP": "10.96.0.10", "ports": [{"port": 53, "protocol": "UDP"}, {"port": 53}],
      "selector": {"k8s-app": "dns"}}, ["ClusterIP", "10.96.0.10", "<none>", "53/UDP,53/TCP", "5m", "k8s-app=dns"]),
    ({"type": "NodePort", "clusterIPs": ["10.96.1.1"], "ports": [{"port": 80, "nodePort": 30080}]},
     ["NodePort", "10.96.1.1", "<none>", "80:30080/TCP", "5m", "<none>"]),
    ({"type": "LoadBalancer", "ports": [{"port": 443}]}, ["LoadBalancer", "<none>", "<pending>", "443/TCP", "5m", "<none>"]),
    ({"type": "ExternalName", "externalName": "example.com"},
     ["ExternalName", "<none>", "example.com", "<none>", "5m", "<none>"]),
]


@pytest.mark.parametrize(("spec", "expected"), SERVICES, ids=[s[0]["type"] for s in SERVICES])
def test_services(spec, expected):
    result = table("v1", "services", {"metadata": meta("svc"), "spec": spec})
    assert headers(result) == ["Name", "Type", "Cluster-IP", "External-IP", "Port(s)", "Age"]
    assert cells(result) == ["svc", *expected]


def test_load_balancer_with_an_address():
    obj = {"metadata": meta("lb"), "spec": {"type": "LoadBalancer", "ports": [{"port": 80}]},
           "status": {"loadBalancer": {"ingress": [{"ip": "192.0.2.7"}]}}}
    assert cells(table("v1", "services", obj))[3] == "192.0.2.7"


SIMPLE = [
    ("v1", "namespaces", {"metadata": meta("ns"), "status": {"phase": "Active"}}, ["Name", "Status", "Age"],
     ["ns", "Active", "5m"]),
    ("v1", "secrets", {"metadata": meta("s"), "type": "kubernetes.io/tls", "data": {"a": "", "b": ""}},
     ["Name", "Type", "Data", "Age"], ["s", "kubernetes.io/tls", 2, "5m"]),
    ("v1", "secrets", {"metadata": meta("s")}, None, ["s", "Opaque", 0, "5m"]),
    ("v1", "serviceaccounts", {"metadata": meta("default")}, ["Name", "Secrets", "Age"], ["default", 0, "5m"]),
    ("v1", "endpoints", {"metadata": meta("svc"), "subsets": [{"addresses": [{"ip": "10.0.0.1"}, {"ip": "10.0.0.2"}],
                                                                "ports": [{"port": 80}, {"port": 443}]}]},
     ["Name", "Endpoints", "Age"], ["svc", "10.0.0.1:80,10.0.0.2:80,10.0.0.1:443 + 1 more...", "5m"]),
    ("v1", "endpoints", {"metadata": meta("svc")}, None, ["svc", "<none>", "5m"]),
    ("v1", "nodes", {"metadata": meta("kind-control-plane", labels={"node-role.kubernetes.io/control-plane": ""}),
                     "spec": {"unschedulable": True},
                     "status": {"conditions": [{"type": "Ready", "status": "True"}],
                                "nodeInfo": {"kubeletVersion": "v1.32.4", "osImage": "Debian"},
                                "addresses": [{"type": "InternalIP", "address": "172.18.0.2"}]}},
     ["Name", "Status", "Roles", "Age", "Version", "Internal-IP", "External-IP", "OS-Image", "Kernel-Version",
      "Container-Runtime"],
     ["kind-control-plane", "Ready,SchedulingDisabled", "control-plane", "5m", "v1.32.4", "172.18.0.2", "<none>",
      "Debian", "<unknown>", "<unknown>"]),
    ("v1", "persistentvolumeclaims",
     {"metadata": meta("data"), "spec": {"volumeName": "pv1", "storageClassName": "standard"},
      "status": {"phase": "Bound", "capacity": {"storage": "1Gi"}, "accessModes": ["ReadWriteOnce"]}},
     ["Name", "Status", "Volume", "Capacity", "Access Modes", "StorageClass", "VolumeAttributesClass", "Age",
      "VolumeMode"],
     ["data", "Bound", "pv1", "1Gi", "RWO", "standard", "<unset>", "5m", "<unset>"]),
    ("v1", "persistentvolumes",
     {"metadata": meta("pv1"), "spec": {"capacity": {"storage": "1Gi"}, "accessModes": ["ReadWriteMany"],
                                        "persistentVolumeReclaimPolicy": "Delete",
                                        "claimRef": {"namespace": "default", "name": "data"}},
      "status": {"phase": "Bound"}},
     ["Name", "Capacity", "Access Modes", "Reclaim Policy", "Status", "Claim", "StorageClass",
      "VolumeAttributesClass", "Reason", "Age", "VolumeMode"],
     ["pv1", "1Gi", "RWX", "Delete", "Bound", "default/data", "", "<unset>", "", "5m", "<unset>"]),
    ("coordination.k8s.io/v1", "leases", {"metadata": meta("lock"), "spec": {"holderIdentity": "me"}},
     ["Name", "Holder", "Age"], ["lock", "me", "5m"]),
    ("certificates.k8s.io/v1", "certificatesigningrequests",
     {"metadata": meta("csr-1"), "spec": {"signerName": "kubernetes.io/kube-apiserver-client", "username": "admin",
                                          "expirationSeconds": 86400},
      "status": {"conditions": [{"type": "Approved", "status": "True"}], "certificate": "LS0t"}},
     ["Name", "Age", "SignerName", "Requestor", "RequestedDuration", "Condition"],
     ["csr-1", "5m", "kubernetes.io/kube-apiserver-client", "admin", "24h", "Approved,Issued"]),
    ("certificates.k8s.io/v1", "certificatesigningrequests", {"metadata": meta("csr-2"), "spec": {}}, None,
     ["csr-2", "5m", "<none>", "", "<none>", "Pending"]),
    ("networking.k8s.io/v1", "ingresses",
     {"metadata": meta("ing"), "spec": {"ingressClassName": "nginx", "rules": [{"host": "a.test"}, {}],
                                        "tls": [{}]}},
     ["Name", "Class", "Hosts", "Address", "Ports", "Age"], ["ing", "nginx", "a.test", "", "80, 443", "5m"]),
    ("networking.k8s.io/v1", "networkpolicies", {"metadata": meta("deny"), "spec": {"podSelector": {}}},
     ["Name", "Pod-Selector", "Age"], ["deny", "<none>", "5m"]),
    ("policy/v1", "poddisruptionbudgets",
     {"metadata": meta("pdb"), "spec": {"minAvailable": "50%"}, "status": {"disruptionsAllowed": 1}},
     ["Name", "Min Available", "Max Unavailable", "Allowed Disruptions", "Age"], ["pdb", "50%", "N/A", 1, "5m"]),
    ("rbac.authorization.k8s.io/v1", "rolebindings",
     {"metadata": meta("rb"), "roleRef": {"kind": "ClusterRole", "name": "view"},
      "subjects": [{"kind": "User", "name": "ann"}, {"kind": "ServiceAccount", "name": "sa", "namespace": "ns"},
                   {"kind": "Group", "name": "devs"}, {"kind": "User", "name": "bob"}]},
     ["Name", "Role", "Age", "Users", "Groups", "ServiceAccounts"],
     ["rb", "ClusterRole/view", "5m", "ann, bob", "devs", "ns/sa"]),
    ("storage.k8s.io/v1", "storageclasses",
     {"metadata": meta("standard", annotations={"storageclass.kubernetes.io/is-default-class": "true"}),
      "provisioner": "rancher.io/local-path", "volumeBindingMode": "WaitForFirstConsumer"},
     ["Name", "Provisioner", "ReclaimPolicy", "VolumeBindingMode", "AllowVolumeExpansion", "Age"],
     ["standard (default)", "rancher.io/local-path", "Delete", "WaitForFirstConsumer", False, "5m"]),
    ("storage.k8s.io/v1", "csidrivers", {"metadata": meta("d"), "spec": {}},
     ["Name", "AttachRequired", "PodInfoOnMount", "StorageCapacity", "TokenRequests", "RequiresRepublish", "Modes",
      "Age"], ["d", True, False, False, "<unset>", False, "<none>", "5m"]),
    ("storage.k8s.io/v1", "csinodes", {"metadata": meta("n"), "spec": {"drivers": [{}, {}]}},
     ["Name", "Drivers", "Age"], ["n", 2, "5m"]),
    ("rbac.authorization.k8s.io/v1", "roles", {"metadata": meta("reader")}, ["Name", "Created At"],
     ["reader", ago(minutes=5)]),
    ("apiextensions.k8s.io/v1", "customresourcedefinitions", {"metadata": meta("widgets.example.com")},
     ["Name", "Created At"], ["widgets.example.com", ago(minutes=5)]),
]


@pytest.mark.parametrize(("api_version", "plural", "obj", "columns", "expected"), SIMPLE,
                         ids=[f"{s[1]}-{i}" for i, s in enumerate(SIMPLE)])
def test_other_builtins(api_version, plural, obj, columns, expected):
    result = table(api_version, plural, obj)
    if columns:
        assert headers(result, wide=True) == columns
    assert cells(result) == expected


CORE_EVENT = {"metadata": meta("p.17a"), "type": "Warning", "reason": "BackOff", "message": " Back-off restarting \n",
              "involvedObject": {"kind": "Pod", "name": "p", "fieldPath": "spec.containers{c}"},
              "source": {"component": "kubelet", "host": "node-1"}, "firstTimestamp": ago(hours=1),
              "lastTimestamp": ago(minutes=1), "count": 12}
NEW_EVENT = {"metadata": meta("d.17b"), "type": "Normal", "reason": "ScalingReplicaSet", "note": "Scaled up",
             "regarding": {"kind": "Deployment", "name": "d"}, "eventTime": ago(seconds=40),
             "reportingController": "deployment-controller"}


@pytest.mark.parametrize(("api_version", "event", "expected"), [
    ("v1", CORE_EVENT, ["60s", "Warning", "BackOff", "pod/p", "spec.containers{c}", "kubelet, node-1",
                        "Back-off restarting", "60m", 12, "p.17a"]),
    ("events.k8s.io/v1", NEW_EVENT, ["40s", "Normal", "ScalingReplicaSet", "deployment/d", "",
                                     "deployment-controller", "Scaled up", "40s", 1, "d.17b"]),
])
def test_events(api_version, event, expected):
    result = table(api_version, "events", event)
    assert headers(result) == ["Last Seen", "Type", "Reason", "Object", "Message"]
    assert cells(result) == expected


# ---------------------------------------------------------------------------- custom resources


def crd_type(columns: list[dict] | None):
    version = {"name": "v1", "served": True, "storage": True, "schema": {"openAPIV3Schema": {"type": "object"}}}
    if columns is not None:
        version["additionalPrinterColumns"] = columns
    return types_from_crd({"metadata": {"name": "widgets.example.com"}, "spec": {
        "group": "example.com", "scope": "Cluster", "names": {"plural": "widgets", "kind": "Widget"},
        "versions": [version]}})[0]


def test_custom_resource_without_columns_gets_age():
    result = to_table(crd_type(None), [{"metadata": meta("w")}], now=NOW)
    assert headers(result) == ["Name", "Age"]
    assert result["columnDefinitions"][1]["type"] == "date"
    assert cells(result) == ["w", "5m"]


def test_custom_resource_columns():
    columns = [
        {"name": "READY", "type": "string", "jsonPath": ".status.conditions[?(@.type=='Ready')].status"},
        {"name": "Size", "type": "integer", "jsonPath": ".spec.size"},
        {"name": "Ratio", "type": "number", "jsonPath": ".spec.ratio", "priority": 1, "description": "How much"},
        {"name": "On", "type": "boolean", "jsonPath": ".spec.on"},
        {"name": "URLs", "type": "string", "jsonPath": ".spec.clients[*].url"},
        {"name": "Group", "type": "string", "jsonPath": ".metadata.labels['example\\.com/group']"},
        {"name": "Spec", "type": "string", "jsonPath": ".spec.nested"},
        {"name": "Missing", "type": "string", "jsonPath": ".spec.nothing"},
        {"name": "Wrong type", "type": "integer", "jsonPath": ".spec.on"},
        {"name": "Since", "type": "date", "jsonPath": ".status.since"},
    ]
    obj = {"metadata": meta("w", labels={"example.com/group": "g1"}),
           "spec": {"size": 3.0, "ratio": 2, "on": True, "clients": [{"url": "https://a"}, {"url": "https://b"}],
                    "nested": {"b": 1, "a": [True]}},
           "status": {"conditions": [{"type": "Synced", "status": "False"}, {"type": "Ready", "status": "True"}],
                      "since": ago(days=3, hours=4)}}
    result = to_table(crd_type(columns), [obj], now=NOW)
    assert headers(result, wide=True) == ["Name", *(c["name"] for c in columns)]
    assert result["columnDefinitions"][3]["description"] == "How much"
    assert result["columnDefinitions"][1]["description"] == (
        "Custom resource definition column (in JSONPath format): .status.conditions[?(@.type=='Ready')].status")
    assert cells(result) == ["w", "True", 3, 2.0, True, "https://a", "g1", '{"a":[true],"b":1}', None, None, "3d4h"]


@pytest.mark.parametrize(("accept", "expected"), [
    ("application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,"
     "application/json", True),
    ("application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json", False),
    ("application/json", False),
    (None, False),
    ("application/json, application/json;as=Table;v=v1;g=meta.k8s.io", False),
])
def test_wants_table(accept, expected):
    assert wants_table(accept) is expected
    assert TABLE_CONTENT_TYPE == "application/json;as=Table;v=v1;g=meta.k8s.io"


# ---------------------------------------------------------------------------- jsonpath

DOC = {"status": {"conditions": [{"type": "Ready", "status": "True", "n": 2}, {"type": "Synced", "status": "False"}]},
       "metadata": {"labels": {"a.b/c": "x", "plain": "y"}}, "spec": {"items": [1, 2, 3]}}


@pytest.mark.parametrize(("path", "expected"), [
    (".metadata.labels.plain", ["y"]),
    ("{.metadata.labels.plain}", ["y"]),
    (r".metadata.labels.a\.b/c", ["x"]),
    (r".metadata.labels['a\.b/c']", ["x"]),
    (".spec.items[0]", [1]),
    (".spec.items[-1]", [3]),
    (".spec.items[5]", []),
    (".spec.items[1:]", [2, 3]),
    (".spec.items[*]", [1, 2, 3]),
    (".status.conditions[*].type", ["Ready", "Synced"]),
    ('.status.conditions[?(@.type=="Synced")].status', ["False"]),
    (".status.conditions[?(@.type!='Synced')].status", ["True"]),
    (".status.conditions[?(@.n>1)].type", ["Ready"]),
    (".status.conditions[?(@.n)].type", ["Ready"]),
    (".status.conditions[?(@.n=='2')].type", []),
    (".missing.deeper", []),
    (".metadata.labels.*", ["x", "y"]),
])
def test_jsonpath(path, expected):
    assert jsonpath.find(DOC, path) == expected


@pytest.mark.parametrize("path", ["..status", ".spec.items[0,1]", ".spec.items[x]", ".spec[?(@.a=~1)]"])
def test_jsonpath_rejects_what_it_does_not_support(path):
    with pytest.raises(ValueError):
        jsonpath.find(DOC, path)


def test_quotas_and_priority_classes_print_as_kubectl_shows_them() -> None:
    registry = ResourceRegistry()
    created = (NOW - timedelta(minutes=3)).strftime("%Y-%m-%dT%H:%M:%SZ")
    quota = {"metadata": {"name": "q1", "creationTimestamp": created},
             "spec": {"hard": {"cpu": "1", "limits.memory": "1Gi"}}, "status": {"used": {"cpu": "250m"}}}
    table = to_table(registry.lookup("", "v1", "resourcequotas"), [quota], now=NOW)
    assert [c["name"] for c in table["columnDefinitions"]] == ["Name", "Age", "Request", "Limit"]
    assert table["rows"][0]["cells"] == ["q1", "3m", "cpu: 250m/1", "limits.memory: 0/1Gi"]
    pc = {"metadata": {"name": "high", "creationTimestamp": created}, "value": 1000}
    table = to_table(registry.lookup("scheduling.k8s.io", "v1", "priorityclasses"), [pc], now=NOW)
    assert table["rows"][0]["cells"] == ["high", 1000, False, "3m", "PreemptLowerPriority"]
