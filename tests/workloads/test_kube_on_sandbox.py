"""The raw REST helper and discovery against a real (sandbox) API server."""

from __future__ import annotations

import pytest

from kstellar_tui.core.kube.discovery import Discovery, UnknownKind, discovery_for
from kstellar_tui.core.kube.rest import ApiStatusError, NotFound, Rest
from tests.workloads.conftest import Hub

CM = "/api/v1/namespaces/default/configmaps"
WIDGET_CRD = """
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: gadgets.example.com}
spec:
  group: example.com
  names: {kind: Gadget, plural: gadgets}
  scope: Cluster
  versions: [{name: v1, served: true, storage: true, schema: {openAPIV3Schema: {type: object}}}]
"""


@pytest.fixture(scope="module")
def rest(hub: Hub) -> Rest:
    return Rest(hub.kubeconfig().client("wds1"))


def test_errors_carry_the_servers_status(rest: Rest) -> None:
    with pytest.raises(NotFound) as missing:
        rest.get(f"{CM}/nope")
    assert (missing.value.code, str(missing.value), missing.value.reason) == (
        404, 'configmaps "nope" not found', "NotFound")
    rest.create(CM, {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "twice"}})
    with pytest.raises(ApiStatusError) as conflict:
        rest.create(CM, {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "twice"}})
    assert conflict.value.code == 409 and "already exists" in str(conflict.value)
    assert rest.get_or_none(f"{CM}/nope") is None


def test_apply_dry_run_patch_list_and_delete(rest: Rest, hub: Hub) -> None:
    obj = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "applied"}, "data": {"a": "1"}}
    _, created = rest.apply(f"{CM}/applied", obj, dry_run=True)
    assert created and not hub.exists("wds1", "configmap", "applied")
    result, created = rest.apply(f"{CM}/applied", obj)
    assert created and result["data"] == {"a": "1"}
    assert "kstellar-tui" in hub.ok("wds1", "get", "configmap", "applied", "-o", "jsonpath={.metadata.managedFields[*].manager}")
    _, created = rest.apply(f"{CM}/applied", {**obj, "data": {"a": "2"}})
    assert not created
    assert rest.patch(f"{CM}/applied", {"data": {"b": "3"}})["data"] == {"a": "2", "b": "3"}
    names = {o["metadata"]["name"] for o in rest.list(CM, page_size=1)}
    assert {"applied", "twice", "kube-root-ca.crt"} <= names
    rest.delete(f"{CM}/applied", propagation="Foreground")
    assert rest.get_or_none(f"{CM}/applied") is None


def test_discovery_maps_kinds_and_learns_new_crds(hub: Hub) -> None:
    client = hub.kubeconfig().client("wds1")
    discovery = discovery_for(client)
    assert discovery is discovery_for(client)
    deployments = discovery.resolve("apps/v1", "Deployment")
    assert (deployments.plural, deployments.namespaced) == ("deployments", True)
    assert deployments.path("ns", "x") == "/apis/apps/v1/namespaces/ns/deployments/x"
    namespaces = discovery.resolve("v1", "Namespace")
    assert (namespaces.plural, namespaces.namespaced, namespaces.path("ignored", "a")) == (
        "namespaces", False, "/api/v1/namespaces/a")
    assert discovery.find("example.com/v1", "Gadget") is None
    with pytest.raises(UnknownKind, match='no API group "example.com"'):
        discovery.resolve("example.com/v1", "Gadget")
    with pytest.raises(UnknownKind, match="apps/v2 is not served"):
        discovery.resolve("apps/v2", "Deployment")
    hub.ok("wds1", "apply", "-f", "-", input=WIDGET_CRD)
    hub.ok("wds1", "wait", "--for=condition=Established", "crd/gadgets.example.com", "--timeout=20s")
    gadget = discovery.find("example.com/v1", "Gadget")  # refreshed because it was unknown
    assert gadget is not None and (gadget.plural, gadget.namespaced) == ("gadgets", False)


def test_preferred_resources_list_what_can_be_watched(hub: Hub) -> None:
    discovery = Discovery(Rest(hub.kubeconfig().client("wds1")))
    by_name = {str(r): r for r in discovery.preferred_resources()}
    assert {"deployments.apps", "configmaps", "bindingpolicies.control.kubestellar.io"} <= set(by_name)
    assert {"list", "watch"} <= by_name["deployments.apps"].verbs
    assert not any("/" in r.plural for r in by_name.values())
