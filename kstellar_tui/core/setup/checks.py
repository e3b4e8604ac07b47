"""The questions steps ask of the world ("is it done?", "can we go on?"), as Kubernetes API reads
plus the kubeconfig and `kind get clusters`. Each answers False rather than raising when the thing
or the context does not exist yet; transport errors propagate, and runners treat them as "not yet"."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from kstellar_tui.core.setup.steps import Check, Probe

CONTROL_PLANES = "/apis/tenancy.kflex.kubestellar.org/v1alpha1/controlplanes"
CSRS = "/apis/certificates.k8s.io/v1/certificatesigningrequests"
MANAGED_CLUSTERS = "/apis/cluster.open-cluster-management.io/v1/managedclusters"
KLUSTERLET = "/apis/operator.open-cluster-management.io/v1/klusterlets/klusterlet"
CLUSTER_NAME_LABEL = "open-cluster-management.io/cluster-name"
JOINED = "ManagedClusterJoined"
AVAILABLE = "ManagedClusterConditionAvailable"


def deployment_path(namespace: str, name: str) -> str:
    return f"/apis/apps/v1/namespaces/{namespace}/deployments/{name}"


def job_path(namespace: str, name: str) -> str:
    return f"/apis/batch/v1/namespaces/{namespace}/jobs/{name}"


# ------------------------------------------------------------------ object predicates (pure)
def condition_status(obj: Mapping[str, Any] | None, condition_type: str) -> str | None:
    for condition in ((obj or {}).get("status") or {}).get("conditions") or ():
        if condition.get("type") == condition_type:
            return condition.get("status")
    return None


def job_complete(job: Mapping[str, Any] | None) -> bool:
    return condition_status(job, "Complete") == "True"


def deployment_ready(deployment: Mapping[str, Any] | None) -> bool:
    """Rolled out: the latest generation observed and every wanted replica updated and available."""
    if not deployment:
        return False
    spec, status = deployment.get("spec") or {}, deployment.get("status") or {}
    wanted = spec.get("replicas", 1)
    generation = (deployment.get("metadata") or {}).get("generation", 0)
    return (status.get("observedGeneration", 0) >= generation
            and status.get("updatedReplicas", 0) >= wanted
            and status.get("availableReplicas", 0) >= wanted
            and condition_status(deployment, "Available") == "True")


def container_args(deployment: Mapping[str, Any] | None, container: str) -> list[str]:
    template = (((deployment or {}).get("spec") or {}).get("template") or {}).get("spec") or {}
    containers = template.get("containers")
    return next((list(c.get("args") or ()) for c in containers or () if c.get("name") == container), [])


def csr_state(csr: Mapping[str, Any]) -> str:
    types = {c.get("type") for c in (csr.get("status") or {}).get("conditions") or ()}
    return "Denied" if "Denied" in types else "Approved" if "Approved" in types else "Pending"


def accepted(cluster: Mapping[str, Any] | None) -> bool:
    return bool(((cluster or {}).get("spec") or {}).get("hubAcceptsClient"))


# ------------------------------------------------------------------ checks
def all_of(description: str, checks: Iterable[Check]) -> Check:
    parts = tuple(checks)
    return Check(description, lambda probe: all(c.test(probe) for c in parts))


def any_of(description: str, checks: Iterable[Check]) -> Check:
    parts = tuple(checks)
    return Check(description, lambda probe: any(c.test(probe) for c in parts))


def platform_lists(name: str, platform: str) -> Check:
    command = "kind get clusters" if platform == "kind" else "k3d cluster list"
    return Check(f"`{command}` lists {name}", lambda probe: name in probe.platform_clusters())


def context_exists(context: str) -> Check:
    return Check(f"the kubeconfig has context {context}", lambda probe: context in probe.contexts())


def kflex_hosting_is(context: str) -> Check:
    return Check(f"kflex has {context} recorded as the hosting context",
                 lambda probe: probe.kflex_hosting_context() == context)


def deployment_exists(context: str, namespace: str, name: str) -> Check:
    return Check(f"deployment {namespace}/{name} exists in {context}",
                 lambda probe: probe.get(context, deployment_path(namespace, name)) is not None)


def deployment_has_arg(context: str, namespace: str, name: str, container: str, arg: str) -> Check:
    return Check(f"deployment {namespace}/{name} in {context} runs with {arg}",
                 lambda probe: arg in container_args(probe.get(context, deployment_path(namespace, name)),
                                                     container))


def deployments_ready(context: str, namespace: str, names: tuple[str, ...]) -> Check:
    return Check(f"{', '.join(names)} in {context}/{namespace} rolled out and available",
                 lambda probe: all(deployment_ready(probe.get(context, deployment_path(namespace, n)))
                                   for n in names))


def control_planes_exist(context: str, names: tuple[str, ...]) -> Check:
    return Check(f"ControlPlanes {', '.join(names)} exist in {context}",
                 lambda probe: all(probe.get(context, f"{CONTROL_PLANES}/{n}") is not None for n in names))


def hook_applied(context: str, control_plane: str, hook: str) -> Check:
    def test(probe: Probe) -> bool:
        cp = probe.get(context, f"{CONTROL_PLANES}/{control_plane}") or {}
        return bool(((cp.get("status") or {}).get("postCreateHooks") or {}).get(hook))
    return Check(f"ControlPlane {control_plane} has .status.postCreateHooks.{hook}=true", test)


def job_completed(context: str, namespace: str, name: str) -> Check:
    return Check(f"job {namespace}/{name} in {context} is Complete",
                 lambda probe: job_complete(probe.get(context, job_path(namespace, name))))


def klusterlet_for(context: str, cluster: str) -> Check:
    """`clusteradm join` left its Klusterlet on the WEC (a second join would file another CSR)."""
    def test(probe: Probe) -> bool:
        klusterlet = probe.get(context, KLUSTERLET) or {}
        return (klusterlet.get("spec") or {}).get("clusterName") == cluster
    return Check(f"the WEC {context} has a Klusterlet for {cluster}", test)


def cluster_csrs(probe: Probe, its: str, cluster: str) -> list[dict[str, Any]]:
    return probe.items(its, CSRS, f"{CLUSTER_NAME_LABEL}={cluster}")


def managed_cluster(probe: Probe, its: str, cluster: str) -> dict[str, Any] | None:
    return probe.get(its, f"{MANAGED_CLUSTERS}/{cluster}")


def csr_filed(its: str, cluster: str) -> Check:
    """The agent registered: it creates its ManagedCluster, then its CSR (a CSR alone may be stale)."""
    def test(probe: Probe) -> bool:
        mc = managed_cluster(probe, its, cluster)
        return accepted(mc) or (mc is not None and any(csr_state(c) != "Denied"
                                                       for c in cluster_csrs(probe, its, cluster)))
    return Check(f"{its} has managedcluster {cluster} and a CSR from it (or {cluster} is accepted)", test)


def stale_csrs(probe: Probe, its: str, cluster: str) -> tuple[str, ...]:
    """Pending CSRs of `cluster` other than the newest: left by earlier joins. `clusteradm accept`
    approves the first registration CSR it lists, so a stale one can win over the agent's own."""
    pending = sorted((c for c in cluster_csrs(probe, its, cluster) if csr_state(c) == "Pending"),
                     key=lambda c: ((c.get("metadata") or {}).get("creationTimestamp") or "",
                                    (c.get("metadata") or {}).get("name") or ""))
    return tuple((c.get("metadata") or {}).get("name", "") for c in pending[:-1])


def single_pending_csr(its: str, cluster: str) -> Check:
    return Check(f"{its} has at most one pending CSR from {cluster}",
                 lambda probe: not stale_csrs(probe, its, cluster))


def cluster_joined(its: str, cluster: str) -> Check:
    def test(probe: Probe) -> bool:
        mc = managed_cluster(probe, its, cluster)
        return accepted(mc) and condition_status(mc, JOINED) == "True"
    return Check(f"managedcluster {cluster} is accepted and ManagedClusterJoined=True", test)


def cluster_available(its: str, cluster: str) -> Check:
    return Check(f"managedcluster {cluster} has ManagedClusterConditionAvailable=True",
                 lambda probe: condition_status(managed_cluster(probe, its, cluster), AVAILABLE) == "True")


def cluster_labelled(its: str, cluster: str, labels: tuple[tuple[str, str], ...]) -> Check:
    def test(probe: Probe) -> bool:
        have = ((managed_cluster(probe, its, cluster) or {}).get("metadata") or {}).get("labels") or {}
        return all(have.get(k) == v for k, v in labels)
    text = " ".join(f"{k}={v}" for k, v in labels)
    return Check(f"managedcluster {cluster} has labels {text}", test)
