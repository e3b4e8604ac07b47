"""What `helm upgrade --install ks-core oci://ghcr.io/kubestellar/kubestellar/core-chart` puts
into the hosting cluster (KubeStellar 0.30.0): the KubeFlex operator, the four PostCreateHooks,
one ControlPlane per ITSes/WDSes entry, and Helm's release record.

Only objects are produced here; the simulated KubeFlex operator and the hook workloads turn them
into running spaces. Every object carries Helm's ownership labels, so an upgrade that lists fewer
spaces can find and delete the omitted ControlPlanes, as the real chart does."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any

from kstellar_tui.sandbox.definitions import kinds

RELEASE = "ks-core"
RELEASE_NAMESPACE = "default"
CHART_VERSION = "0.30.0"
KUBEFLEX_NAMESPACE = "kubeflex-system"
KUBEFLEX_OPERATOR = "kubeflex-controller-manager"
CPTYPE_LABEL = "kflex.kubestellar.io/cptype"
MANAGED_BY = {"app.kubernetes.io/managed-by": "Helm"}
HELM_ANNOTATIONS = {"meta.helm.sh/release-name": RELEASE, "meta.helm.sh/release-namespace": RELEASE_NAMESPACE}

ITS_HOOKS = ("its-hub-init", "install-status-addon")
WDS_HOOKS = ("kubestellar-controller", "transport-controller")
CONTROLLER_MANAGER = "kubestellar-controller-manager"
TRANSPORT_CONTROLLER = "transport-controller"


@dataclass(frozen=True)
class Space:
    """One entry of the chart's `ITSes` or `WDSes` values."""

    name: str
    type: str
    its_name: str = ""     # WDS only: the ITS it uses (ITSName); empty means "the only one"
    api_groups: str = ""   # WDS only: APIGroups


ITS_TYPES = ("vcluster", "host")
WDS_TYPES = ("k8s", "host")


def _metadata(name: str, namespace: str | None = None, labels: dict[str, str] | None = None) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "labels": {**MANAGED_BY, **(labels or {})},
                            "annotations": dict(HELM_ANNOTATIONS)}
    if namespace:
        meta["namespace"] = namespace
    return meta


def is_chart_object(obj: dict[str, Any]) -> bool:
    annotations = (obj.get("metadata") or {}).get("annotations") or {}
    return annotations.get("meta.helm.sh/release-name") == RELEASE


def _job(image: str, args: list[str]) -> dict[str, Any]:
    """A hook Job template; KubeFlex renders `{{.HookName}}` and puts it in `<cp>-system`."""
    return {
        "apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "{{.HookName}}"},
        "spec": {"backoffLimit": 1, "template": {"spec": {
            "restartPolicy": "Never",
            "containers": [{"name": "{{.HookName}}", "image": image, "args": args}]}}},
    }


def _controller(name: str, labels: dict[str, str], image: str, args: list[str]) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "labels": labels},
        "spec": {"replicas": 1, "selector": {"matchLabels": labels}, "template": {
            "metadata": {"labels": labels},
            "spec": {"containers": [{"name": name, "image": image, "args": args}]}}},
    }


def post_create_hooks() -> list[dict[str, Any]]:
    """The chart's PostCreateHooks (templates trimmed to the workload that does the work)."""
    hooks = {
        "its-hub-init": ("its", [_job("quay.io/kubestellar/clusteradm:1.0.0",
                                      ["init", "-v=2", "--wait", "--timeout=300"])], []),
        "install-status-addon": ("its", [_job("quay.io/kubestellar/helm:3.16.4", [
            "upgrade", "--install", "status-addon", "oci://ghcr.io/kubestellar/ocm-status-addon-chart",
            "--version", "v0.2.0-rc17", "--namespace", "open-cluster-management", "--create-namespace"])], []),
        "kubestellar-controller": ("wds", [_controller(
            CONTROLLER_MANAGER, {"control-plane": "controller-manager"},
            f"ghcr.io/kubestellar/kubestellar/controller-manager:{CHART_VERSION}",
            ["--wds-name={{.ControlPlaneName}}", "--its-name={{.ITSName}}", "--api-groups={{.APIGroups}}"])],
            [{"name": "APIGroups", "value": ""}]),
        "transport-controller": ("wds", [_controller(
            TRANSPORT_CONTROLLER, {"name": "transport-controller"},
            f"ghcr.io/kubestellar/kubestellar/ocm-transport-controller:{CHART_VERSION}",
            ["--wds-name={{.ControlPlaneName}}", "--its-name={{.ITSName}}",
             "--max-num-wrapped=1", "--max-size-wrapped=512000"])], []),
    }
    return [{"apiVersion": "tenancy.kflex.kubestellar.org/v1alpha1", "kind": "PostCreateHook",
             "metadata": _metadata(name, labels={CPTYPE_LABEL: role}),
             "spec": {"templates": templates, **({"defaultVars": defaults} if defaults else {})}}
            for name, (role, templates, defaults) in hooks.items()]


def its_control_plane(space: Space) -> dict[str, Any]:
    host = space.type == "host"
    return {
        "apiVersion": "tenancy.kflex.kubestellar.org/v1alpha1", "kind": "ControlPlane",
        "metadata": _metadata(space.name),
        "spec": {
            "backend": "shared", "type": space.type, "waitForPostCreateHooks": True,
            "postCreateHooks": [{"hookName": hook} for hook in ITS_HOOKS],
            "globalVars": {"ITSName": space.name,
                           "ITSSecretName": "admin-kubeconfig" if host else "vc-vcluster",
                           "ITSkubeconfig": "kubeconfig-incluster" if host else "config-incluster"},
        },
    }


def wds_control_plane(space: Space) -> dict[str, Any]:
    return {
        "apiVersion": "tenancy.kflex.kubestellar.org/v1alpha1", "kind": "ControlPlane",
        "metadata": _metadata(space.name),
        "spec": {
            "backend": "shared", "type": space.type,
            "postCreateHooks": [{"hookName": "kubestellar-controller", "vars": {"APIGroups": space.api_groups}},
                                {"hookName": "transport-controller"}],
            "globalVars": {"ControlPlaneName": space.name, "ITSName": space.its_name},
        },
    }


def operator_objects() -> list[tuple[kinds.Key, dict[str, Any]]]:
    """The kubeflex-operator sub-chart: its namespace, configuration and controller Deployment."""
    labels = {"control-plane": "controller-manager"}
    return [
        (kinds.NAMESPACE, {"apiVersion": "v1", "kind": "Namespace", "metadata": _metadata(KUBEFLEX_NAMESPACE)}),
        (kinds.CONFIG_MAP, {"apiVersion": "v1", "kind": "ConfigMap",
                            "metadata": _metadata("kubeflex-config", KUBEFLEX_NAMESPACE),
                            "data": {"domain": "localtest.me", "externalPort": "9443",
                                     "hostContainer": "kubeflex-control-plane", "isOpenShift": "false"}}),
        (kinds.DEPLOYMENT, {**_controller(KUBEFLEX_OPERATOR, labels, "ghcr.io/kubestellar/kubeflex/manager:v0.9.3",
                                          ["--leader-elect"]),
                            "metadata": _metadata(KUBEFLEX_OPERATOR, KUBEFLEX_NAMESPACE, labels)}),
    ]


def release_secret(revision: int, its: list[Space], wds: list[Space]) -> dict[str, Any]:
    """Helm's record of the release (what `helm status ks-core` and `helm list` read)."""
    values = {"ITSes": [{"name": s.name, "type": s.type} for s in its],
              "WDSes": [{"name": s.name, "type": s.type, **({"ITSName": s.its_name} if s.its_name else {})}
                        for s in wds]}
    record = json.dumps({"name": RELEASE, "version": revision, "namespace": RELEASE_NAMESPACE,
                         "info": {"status": "deployed"}, "chart": {"metadata": {
                             "name": "core-chart", "version": CHART_VERSION}}, "config": values})
    return {"apiVersion": "v1", "kind": "Secret", "type": "helm.sh/release.v1",
            "metadata": {"name": f"sh.helm.release.v1.{RELEASE}.v{revision}", "namespace": RELEASE_NAMESPACE,
                         "labels": {"name": RELEASE, "owner": "helm", "status": "deployed",
                                    "version": str(revision)}},
            "data": {"release": base64.b64encode(record.encode()).decode()}}
