"""Store keys `(group, plural)` of the kinds the topology controllers read and write.

`ClusterStore.type_for(key)` turns a key into the served ResourceType, or None while the kind is
not (yet) served in that space, e.g. ManagedClusters before `clusteradm init` ran."""

from __future__ import annotations

Key = tuple[str, str]

NAMESPACE: Key = ("", "namespaces")
SECRET: Key = ("", "secrets")
CONFIG_MAP: Key = ("", "configmaps")
SERVICE_ACCOUNT: Key = ("", "serviceaccounts")
LEASE: Key = ("coordination.k8s.io", "leases")
CSR: Key = ("certificates.k8s.io", "certificatesigningrequests")
CRD: Key = ("apiextensions.k8s.io", "customresourcedefinitions")
DEPLOYMENT: Key = ("apps", "deployments")
STATEFUL_SET: Key = ("apps", "statefulsets")
JOB: Key = ("batch", "jobs")

CONTROL_PLANE: Key = ("tenancy.kflex.kubestellar.org", "controlplanes")
POST_CREATE_HOOK: Key = ("tenancy.kflex.kubestellar.org", "postcreatehooks")

MANAGED_CLUSTER: Key = ("cluster.open-cluster-management.io", "managedclusters")
MANAGED_CLUSTER_SET: Key = ("cluster.open-cluster-management.io", "managedclustersets")
MANAGED_CLUSTER_SET_BINDING: Key = ("cluster.open-cluster-management.io", "managedclustersetbindings")
PLACEMENT: Key = ("cluster.open-cluster-management.io", "placements")
MANAGED_CLUSTER_ADDON: Key = ("addon.open-cluster-management.io", "managedclusteraddons")
CLUSTER_MANAGEMENT_ADDON: Key = ("addon.open-cluster-management.io", "clustermanagementaddons")
CLUSTER_MANAGER: Key = ("operator.open-cluster-management.io", "clustermanagers")
KLUSTERLET: Key = ("operator.open-cluster-management.io", "klusterlets")
