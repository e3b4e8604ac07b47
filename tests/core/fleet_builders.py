"""Synthetic watch events for FleetStore tests: the Getting Started nginx workload on two WECs."""

from __future__ import annotations

from kstellar_tui.core.fleet.states import CellState
from kstellar_tui.core.fleet.store import FleetStore
from kstellar_tui.core.kube.watch import ConnState, Resource

DEPLOYMENTS = Resource("apps", "v1", "deployments")
NAMESPACES = Resource("", "v1", "namespaces")
BPS = Resource("control.kubestellar.io", "v1alpha1", "bindingpolicies")
BINDINGS = Resource("control.kubestellar.io", "v1alpha1", "bindings")
CLUSTERS = Resource("cluster.open-cluster-management.io", "v1", "managedclusters")
WORKS = Resource("work.open-cluster-management.io", "v1", "manifestworks")
STATUSES = Resource("control.kubestellar.io", "v1alpha1", "workstatuses")
KEY = "apps/deployments/nginx/nginx-deployment"


def deployment(replicas=1, image="nginx:latest", status=None):
    obj = {"apiVersion": "apps/v1", "kind": "Deployment",
           "metadata": {"name": "nginx-deployment", "namespace": "nginx", "generation": 1,
                        "labels": {"app.kubernetes.io/name": "nginx"}},
           "spec": {"replicas": replicas, "template": {"spec": {"containers": [{"name": "n", "image": image}]}}}}
    if status is not None:
        obj["status"] = status
    return obj


READY = {"observedGeneration": 1, "replicas": 1, "updatedReplicas": 1, "availableReplicas": 1,
         "readyReplicas": 1, "conditions": [{"type": "Available", "status": "True"}]}


def cluster(name, available="True", accepted=True, labels=None):
    return {"metadata": {"name": name, "labels": labels or {"location-group": "edge", "name": name}},
            "spec": {"hubAcceptsClient": accepted},
            "status": {"conditions": [{"type": "ManagedClusterJoined", "status": "True"},
                                      {"type": "ManagedClusterConditionAvailable", "status": available,
                                       "reason": "ManagedClusterLeaseUpdateStopped" if available != "True" else "",
                                       "message": "Registration agent stopped updating its lease."
                                       if available != "True" else ""}]}}


def binding(name="nginx-bpolicy", destinations=("cluster1", "cluster2"), create_only=False):
    entry = {"group": "apps", "version": "v1", "resource": "deployments", "namespace": "nginx",
             "name": "nginx-deployment", "resourceVersion": "5"}
    if create_only:
        entry["createOnly"] = True
    return {"metadata": {"name": name},
            "spec": {"workload": {"namespaceScope": [entry]},
                     "destinations": [{"clusterId": d} for d in destinations]}}


def work(cluster, applied="True", failure=None):
    status = {"conditions": [{"type": "Applied", "status": applied}]} if applied else {}
    if failure:
        status["resourceStatus"] = {"manifests": [{
            "resourceMeta": {"group": "apps", "resource": "deployments", "namespace": "nginx",
                             "name": "nginx-deployment"},
            "conditions": [{"type": "Applied", "status": "False", "reason": "AppliedManifestFailed",
                            "message": failure}]}]}
    return {"metadata": {"name": f"b-wds1-{cluster}", "namespace": cluster,
                         "labels": {"transport.kubestellar.io/originWdsName": "wds1",
                                    "transport.kubestellar.io/originOwnerReferenceBindingKey": "nginx-bpolicy"}},
            "spec": {"workload": {"manifests": [deployment()]}}, "status": status}


def cell(s, cluster="cluster1"):
    s.drain()
    return s.cells.get(KEY, {}).get(cluster)


def state(s, cluster="cluster1"):
    c = cell(s, cluster)
    return CellState.NOT_SELECTED if c is None else c.state


def deliver(s, clusters=("cluster1", "cluster2"), status=READY):
    for name in clusters:
        s.event("its1", WORKS, "ADDED", work(name))
        s.event(name, DEPLOYMENTS, "ADDED", deployment(status=status))


def new_store() -> FleetStore:
    """cluster1 and cluster2 registered and watched, nginx bound to both, nothing delivered."""
    s = FleetStore()
    s.event("wds1", DEPLOYMENTS, "ADDED", deployment())
    for name in ("cluster1", "cluster2"):
        s.event("its1", CLUSTERS, "ADDED", cluster(name))
        s.connection(name, DEPLOYMENTS, ConnState.SYNCED, "", None)
    s.event("wds1", BINDINGS, "ADDED", binding())
    return s
