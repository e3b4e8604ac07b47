"""The built-in catalogue (as a v1.32 `kubectl api-resources` lists it) and the per-cluster registry."""

from __future__ import annotations

import copy

import pytest

from kstellar_tui.sandbox.apiserver.registry import ResourceRegistry, kube_version_key
from kstellar_tui.sandbox.apiserver.resources import BUILTIN_TYPES, SCALE_GVK, STANDARD_VERBS, builtin_schema

# api version, plural: kind, namespaced, short names, in "all", subresources
UPSTREAM = {
    ("v1", "namespaces"): ("Namespace", False, ("ns",), False, {"status", "finalize"}),
    ("v1", "pods"): ("Pod", True, ("po",), True, {"status"}),
    ("v1", "services"): ("Service", True, ("svc",), True, {"status"}),
    ("v1", "endpoints"): ("Endpoints", True, ("ep",), False, set()),
    ("v1", "configmaps"): ("ConfigMap", True, ("cm",), False, set()),
    ("v1", "secrets"): ("Secret", True, (), False, set()),
    ("v1", "serviceaccounts"): ("ServiceAccount", True, ("sa",), False, set()),
    ("v1", "events"): ("Event", True, ("ev",), False, set()),
    ("v1", "replicationcontrollers"): ("ReplicationController", True, ("rc",), True, {"status", "scale"}),
    ("v1", "resourcequotas"): ("ResourceQuota", True, ("quota",), False, {"status"}),
    ("v1", "nodes"): ("Node", False, ("no",), False, {"status"}),
    ("v1", "persistentvolumeclaims"): ("PersistentVolumeClaim", True, ("pvc",), False, {"status"}),
    ("v1", "persistentvolumes"): ("PersistentVolume", False, ("pv",), False, {"status"}),
    ("apps/v1", "deployments"): ("Deployment", True, ("deploy",), True, {"status", "scale"}),
    ("apps/v1", "replicasets"): ("ReplicaSet", True, ("rs",), True, {"status", "scale"}),
    ("apps/v1", "statefulsets"): ("StatefulSet", True, ("sts",), True, {"status", "scale"}),
    ("apps/v1", "daemonsets"): ("DaemonSet", True, ("ds",), True, {"status"}),
    ("apps/v1", "controllerrevisions"): ("ControllerRevision", True, (), False, set()),
    ("batch/v1", "jobs"): ("Job", True, (), True, {"status"}),
    ("batch/v1", "cronjobs"): ("CronJob", True, ("cj",), True, {"status"}),
    ("autoscaling/v2", "horizontalpodautoscalers"): ("HorizontalPodAutoscaler", True, ("hpa",), True, {"status"}),
    ("rbac.authorization.k8s.io/v1", "roles"): ("Role", True, (), False, set()),
    ("rbac.authorization.k8s.io/v1", "rolebindings"): ("RoleBinding", True, (), False, set()),
    ("rbac.authorization.k8s.io/v1", "clusterroles"): ("ClusterRole", False, (), False, set()),
    ("rbac.authorization.k8s.io/v1", "clusterrolebindings"): ("ClusterRoleBinding", False, (), False, set()),
    ("networking.k8s.io/v1", "ingresses"): ("Ingress", True, ("ing",), False, {"status"}),
    ("networking.k8s.io/v1", "ingressclasses"): ("IngressClass", False, (), False, set()),
    ("networking.k8s.io/v1", "networkpolicies"): ("NetworkPolicy", True, ("netpol",), False, set()),
    ("policy/v1", "poddisruptionbudgets"): ("PodDisruptionBudget", True, ("pdb",), False, {"status"}),
    ("scheduling.k8s.io/v1", "priorityclasses"): ("PriorityClass", False, ("pc",), False, set()),
    ("coordination.k8s.io/v1", "leases"): ("Lease", True, (), False, set()),
    ("storage.k8s.io/v1", "storageclasses"): ("StorageClass", False, ("sc",), False, set()),
    ("storage.k8s.io/v1", "csinodes"): ("CSINode", False, (), False, set()),
    ("storage.k8s.io/v1", "csidrivers"): ("CSIDriver", False, (), False, set()),
    ("certificates.k8s.io/v1", "certificatesigningrequests"): (
        "CertificateSigningRequest", False, ("csr",), False, {"status", "approval"}),
    ("apiextensions.k8s.io/v1", "customresourcedefinitions"): (
        "CustomResourceDefinition", False, ("crd", "crds"), False, {"status"}),
    ("events.k8s.io/v1", "events"): ("Event", True, ("ev",), False, set()),
}


def test_catalogue_is_exactly_the_upstream_list():
    assert sorted((rt.api_version, rt.plural) for rt in BUILTIN_TYPES) == sorted(UPSTREAM)


@pytest.mark.parametrize("rt", BUILTIN_TYPES, ids=lambda rt: f"{rt.api_version}/{rt.plural}")
def test_builtin_matches_upstream(rt):
    kind, namespaced, short, in_all, subresources = UPSTREAM[(rt.api_version, rt.plural)]
    assert (rt.kind, rt.namespaced, rt.short_names) == (kind, namespaced, short)
    assert ("all" in rt.categories) == in_all
    assert rt.subresources == frozenset(subresources)
    assert rt.singular == kind.lower() and rt.builtin and rt.schema is None


def test_verbs():
    by_plural = {rt.plural: rt for rt in BUILTIN_TYPES if rt.group == ""}
    assert "deletecollection" not in by_plural["namespaces"].verbs
    assert by_plural["pods"].verbs == STANDARD_VERBS


def test_properties_and_subresource_kinds():
    deploy = next(rt for rt in BUILTIN_TYPES if rt.plural == "deployments")
    assert (deploy.api_version, deploy.list_kind, deploy.group_resource, deploy.key) == (
        "apps/v1", "DeploymentList", "deployments.apps", ("apps", "deployments"))
    assert deploy.subresource_kind("scale") == SCALE_GVK == ("autoscaling", "v1", "Scale")
    assert deploy.subresource_kind("status") == ("apps", "v1", "Deployment")


# ---------------------------------------------------------------------------- registry


def crd(group="example.com", plural="widgets", kind="Widget", versions=(("v1", True, True),), scope="Namespaced"):
    return {
        "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": {"name": f"{plural}.{group}"},
        "spec": {"group": group, "scope": scope, "names": {"plural": plural, "kind": kind},
                 "versions": [{"name": name, "served": served, "storage": storage,
                               "schema": {"openAPIV3Schema": {"type": "object"}}}
                              for name, served, storage in versions]},
    }


def test_registry_starts_with_the_builtins():
    registry = ResourceRegistry()
    assert registry.types() == list(BUILTIN_TYPES)
    assert registry.lookup("apps", "v1", "deployments").kind == "Deployment"
    assert registry.lookup("", "v1", "deploy") is None, "short names are the client's business"
    assert registry.by_kind("v1", "Pod").plural == "pods"
    assert registry.by_kind("events.k8s.io/v1", "Event").group == "events.k8s.io"
    assert registry.by_kind("apps/v2", "Deployment") is None
    assert registry.versions("") == ["v1"] and registry.versions("nope.io") == []


def test_groups_are_in_upstream_order_then_crd_groups_by_name():
    registry = ResourceRegistry()
    registry.apply_crd(crd(group="zeta.io", plural="things", kind="Thing"))
    registry.apply_crd(crd(group="alpha.io"))
    names = [group for group, _ in registry.groups()]
    assert names[:3] == ["apps", "events.k8s.io", "autoscaling"]
    assert names[-2:] == ["alpha.io", "zeta.io"] and "" not in names


def test_apply_crd_serves_served_versions_preferred_first():
    registry = ResourceRegistry()
    served = registry.apply_crd(crd(versions=(("v1alpha1", True, False), ("v1", True, True), ("v2beta1", True, False),
                                              ("v1beta1", False, False))))
    assert [rt.version for rt in served] == ["v1alpha1", "v1", "v2beta1"]
    assert registry.versions("example.com") == ["v1", "v2beta1", "v1alpha1"]
    assert registry.lookup("example.com", "v1beta1", "widgets") is None
    assert registry.crd_for(served[0])["metadata"]["name"] == "widgets.example.com"
    assert registry.crd_for(registry.lookup("apps", "v1", "deployments")) is None


def test_generation_bumps_on_every_change():
    registry = ResourceRegistry()
    start = registry.generation
    registry.apply_crd(crd())
    changed = registry.apply_crd(crd(versions=(("v1", True, True), ("v2", True, False))))
    assert registry.generation == start + 2 and len(changed) == 2
    registry.remove_crd("widgets.example.com")
    assert registry.generation == start + 3
    assert registry.lookup("example.com", "v1", "widgets") is None and registry.versions("example.com") == []
    registry.remove_crd("widgets.example.com")
    assert registry.generation == start + 3, "removing nothing changes nothing"


@pytest.mark.parametrize("clash", [
    crd(group="apps", plural="deployments", kind="Thing"),
    crd(group="example.com", plural="gadgets", kind="Widget"),
])
def test_name_clashes_are_refused(clash):
    registry = ResourceRegistry()
    registry.apply_crd(crd())
    before = registry.generation
    with pytest.raises(ValueError, match="already served"):
        registry.apply_crd(clash)
    assert registry.generation == before


def test_reapplying_a_crd_replaces_its_types():
    registry = ResourceRegistry()
    registry.apply_crd(crd())
    changed = copy.deepcopy(crd(scope="Cluster"))
    registry.apply_crd(changed)
    assert registry.lookup("example.com", "v1", "widgets").namespaced is False


def test_kube_aware_version_order():
    versions = ["v1alpha1", "foo", "v1", "v2beta1", "v1beta2", "v1beta1", "v2", "v10", "bar"]
    assert sorted(versions, key=kube_version_key) == [
        "v10", "v2", "v1", "v2beta1", "v1beta2", "v1beta1", "v1alpha1", "bar", "foo"]


# ---------------------------------------------------------------------------- field structure of built-ins


@pytest.mark.parametrize("rt", BUILTIN_TYPES, ids=lambda rt: f"{rt.api_version}/{rt.plural}")
def test_every_builtin_has_a_field_structure(rt):
    schema = builtin_schema(rt)
    assert {"apiVersion", "kind", "metadata"} <= set(schema["properties"])


def test_field_structure_follows_the_api():
    deployment = builtin_schema(next(rt for rt in BUILTIN_TYPES if rt.kind == "Deployment"))
    pod_spec = deployment["properties"]["spec"]["properties"]["template"]["properties"]["spec"]
    container = pod_spec["properties"]["containers"]["items"]
    assert {"name", "image", "imagePullPolicy", "ports"} <= set(container["properties"])
    assert pod_spec["properties"]["nodeSelector"]["additionalProperties"] == {"type": "string"}
    port = builtin_schema(next(rt for rt in BUILTIN_TYPES if rt.kind == "Service"))["properties"]["spec"][
        "properties"]["ports"]["items"]
    assert port["properties"]["targetPort"] == {"x-kubernetes-preserve-unknown-fields": True}, "int-or-string"
    core_event, new_event = (builtin_schema(rt) for rt in BUILTIN_TYPES if rt.kind == "Event")
    assert "involvedObject" in core_event["properties"] and "regarding" in new_event["properties"]


def test_custom_types_have_no_builtin_structure():
    (rt,) = ResourceRegistry().apply_crd(crd())
    assert builtin_schema(rt) is None
