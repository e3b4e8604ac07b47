"""What the KubeStellar components install into a space when their workload runs.

- `initialize_hub`: `clusteradm init` (the its-hub-init Job) makes the ITS an OCM hub: the hub
  CRDs, namespaces `open-cluster-management` and `open-cluster-management-hub`, the cluster
  manager and its controllers, the `default` and `global` cluster sets, and a bootstrap token
  that `clusteradm get token` hands out.
- `install_status_addon`: the install-status-addon Job's Helm chart: the WorkStatus CRD, the
  `addon-status` ClusterManagementAddOn placed on every cluster through Placement `global`.
- `update_cluster_info`: KubeFlex's update-cluster-info Job: `kube-public/cluster-info`.
- `install_wds_api`: the kubestellar-controller-manager installs the KubeStellar CRDs into its WDS.
- `wire_transport`: the transport controller creates `customization-properties` in the ITS.

All of them only create what is missing, so they can run again at any time."""

from __future__ import annotations

import base64
import secrets
import string
from typing import Any

import yaml

from kstellar_tui.sandbox.controllers.ensure import ensure, ensure_namespace, install_crds, lookup
from kstellar_tui.sandbox.definitions import HUB_CRDS, WDS_CRDS, WORK_STATUS, kinds

OCM_NAMESPACE = "open-cluster-management"
HUB_NAMESPACE = "open-cluster-management-hub"
CUSTOMIZATION_NAMESPACE = "customization-properties"
BOOTSTRAP_TOKEN_PREFIX = "bootstrap-token-"
OCM_VERSION = "v1.0.0"

# Deployment in open-cluster-management-hub -> its image
_HUB_CONTROLLERS = {"cluster-manager-registration-controller": "registration",
                    "cluster-manager-registration-webhook": "registration",
                    "cluster-manager-work-webhook": "work",
                    "cluster-manager-placement-controller": "placement",
                    "cluster-manager-addon-manager-controller": "addon-manager"}
_TOKEN_ALPHABET = string.ascii_lowercase + string.digits


def _deployment(name: str, namespace: str, image: str) -> dict[str, Any]:
    labels = {"app": name}
    return {"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": name, "namespace": namespace, "labels": labels},
            "spec": {"replicas": 1, "selector": {"matchLabels": labels},
                     "template": {"metadata": {"labels": labels},
                                  "spec": {"containers": [{"name": name, "image": image}]}}}}


def _encoded(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def initialize_hub(its: Any) -> None:
    install_crds(its, HUB_CRDS)
    ensure_namespace(its, OCM_NAMESPACE)
    ensure_namespace(its, HUB_NAMESPACE)
    ensure(its, kinds.DEPLOYMENT, _deployment(
        "cluster-manager", OCM_NAMESPACE, f"quay.io/open-cluster-management/registration-operator:{OCM_VERSION}"))
    for name, image in _HUB_CONTROLLERS.items():
        ensure(its, kinds.DEPLOYMENT, _deployment(
            name, HUB_NAMESPACE, f"quay.io/open-cluster-management/{image}:{OCM_VERSION}"))
    ensure(its, kinds.CLUSTER_MANAGER, {
        "apiVersion": "operator.open-cluster-management.io/v1", "kind": "ClusterManager",
        "metadata": {"name": "cluster-manager"},
        "spec": {"registrationImagePullSpec": f"quay.io/open-cluster-management/registration:{OCM_VERSION}",
                 "workImagePullSpec": f"quay.io/open-cluster-management/work:{OCM_VERSION}",
                 "placementImagePullSpec": f"quay.io/open-cluster-management/placement:{OCM_VERSION}",
                 "deployOption": {"mode": "Default"}}})
    for name, selector in (("default", {"selectorType": "ExclusiveClusterSetLabel"}),
                           ("global", {"selectorType": "LabelSelector", "labelSelector": {}})):
        ensure(its, kinds.MANAGED_CLUSTER_SET, {
            "apiVersion": "cluster.open-cluster-management.io/v1beta2", "kind": "ManagedClusterSet",
            "metadata": {"name": name}, "spec": {"clusterSelector": selector}})
    ensure(its, kinds.SERVICE_ACCOUNT, {"apiVersion": "v1", "kind": "ServiceAccount",
                                        "metadata": {"name": "cluster-bootstrap", "namespace": OCM_NAMESPACE}})
    if join_token(its) is None:
        token_id = "".join(secrets.choice(_TOKEN_ALPHABET) for _ in range(6))
        token_secret = "".join(secrets.choice(_TOKEN_ALPHABET) for _ in range(16))
        ensure(its, kinds.SECRET, {
            "apiVersion": "v1", "kind": "Secret", "type": "bootstrap.kubernetes.io/token",
            "metadata": {"name": f"{BOOTSTRAP_TOKEN_PREFIX}{token_id}", "namespace": "kube-system"},
            "data": {"token-id": _encoded(token_id), "token-secret": _encoded(token_secret),
                     "usage-bootstrap-authentication": _encoded("true"),
                     "usage-bootstrap-signing": _encoded("true"),
                     "auth-extra-groups": _encoded("system:bootstrappers:managedcluster")}})


def join_token(its: Any) -> str | None:
    """`<token-id>.<token-secret>` of the hub's bootstrap token, or None before `clusteradm init`."""
    for secret in its.objects(kinds.SECRET, "kube-system"):
        if secret.get("type") == "bootstrap.kubernetes.io/token":
            data = secret.get("data") or {}
            parts = [base64.b64decode(data.get(k, "")).decode() for k in ("token-id", "token-secret")]
            if all(parts):
                return ".".join(parts)
    return None


def hub_initialized(its: Any) -> bool:
    return its.type_for(kinds.MANAGED_CLUSTER) is not None and join_token(its) is not None


def install_status_addon(its: Any) -> None:
    install_crds(its, [WORK_STATUS])
    ensure_namespace(its, OCM_NAMESPACE)
    ensure(its, kinds.DEPLOYMENT, _deployment("addon-status-controller", OCM_NAMESPACE,
                                              "ghcr.io/kubestellar/ocm-status-addon:0.2.0-rc17"))
    ensure(its, kinds.MANAGED_CLUSTER_SET_BINDING, {
        "apiVersion": "cluster.open-cluster-management.io/v1beta2", "kind": "ManagedClusterSetBinding",
        "metadata": {"name": "global", "namespace": OCM_NAMESPACE}, "spec": {"clusterSet": "global"}})
    ensure(its, kinds.PLACEMENT, {
        "apiVersion": "cluster.open-cluster-management.io/v1beta1", "kind": "Placement",
        "metadata": {"name": "global", "namespace": OCM_NAMESPACE}, "spec": {"clusterSets": ["global"]}})
    ensure(its, kinds.CLUSTER_MANAGEMENT_ADDON, {
        "apiVersion": "addon.open-cluster-management.io/v1alpha1", "kind": "ClusterManagementAddOn",
        "metadata": {"name": "addon-status"},
        "spec": {"addOnMeta": {"displayName": "Status Addon",
                               "description": "Status addon reports workload status back to the hub"},
                 "installStrategy": {"type": "Placements",
                                     "placements": [{"name": "global", "namespace": OCM_NAMESPACE}]}}})


def update_cluster_info(its: Any, server_url: str, ca_pem: bytes | None) -> None:
    if lookup(its, kinds.CONFIG_MAP, "kube-public", "cluster-info") is not None:
        return  # the topology calls this on every change it sees: no YAML to render for nothing
    cluster: dict[str, Any] = {"server": server_url}
    if ca_pem:
        cluster["certificate-authority-data"] = base64.b64encode(ca_pem).decode()
    kubeconfig = {"apiVersion": "v1", "kind": "Config", "clusters": [{"name": "", "cluster": cluster}],
                  "contexts": None, "current-context": "", "preferences": {}, "users": None}
    ensure(its, kinds.CONFIG_MAP, {"apiVersion": "v1", "kind": "ConfigMap",
                                   "metadata": {"name": "cluster-info", "namespace": "kube-public"},
                                   "data": {"kubeconfig": yaml.safe_dump(kubeconfig, sort_keys=False)}})


def install_wds_api(wds: Any) -> None:
    install_crds(wds, WDS_CRDS)


def wire_transport(its: Any) -> None:
    ensure_namespace(its, CUSTOMIZATION_NAMESPACE)
