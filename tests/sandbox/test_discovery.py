"""Discovery documents: legacy and aggregated forms, and the Accept negotiation between them."""

from __future__ import annotations

import pytest

from kstellar_tui.sandbox.apiserver.discovery import (
    accepted_media_types,
    aggregated_discovery,
    api_group,
    api_group_list,
    api_resource_list,
    api_versions,
    discovery_document,
    version_info,
)
from kstellar_tui.sandbox.apiserver.registry import ResourceRegistry

KUBECTL_ACCEPT = ("application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,"
                  "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json")


def widget_crd(versions=("v1beta1", "v1")) -> dict:
    return {
        "metadata": {"name": "widgets.example.com"},
        "spec": {"group": "example.com", "scope": "Namespaced",
                 "names": {"plural": "widgets", "kind": "Widget", "shortNames": ["wd"], "categories": ["all"]},
                 "versions": [{"name": v, "served": True, "storage": v == "v1",
                               "schema": {"openAPIV3Schema": {"type": "object"}},
                               "subresources": {"status": {}, "scale": {"specReplicasPath": ".spec.replicas",
                                                                        "statusReplicasPath": ".status.replicas"}}}
                              for v in versions]},
    }


@pytest.fixture
def registry() -> ResourceRegistry:
    registry = ResourceRegistry()
    registry.apply_crd(widget_crd())
    return registry


def test_version_is_a_v1_32_server():
    info = version_info()
    assert (info["major"], info["minor"]) == ("1", "32")
    assert info["gitVersion"].startswith("v1.32.") and "/" in info["platform"]
    assert all(isinstance(value, str) for value in info.values()), "the Python client requires every field"


def test_api_versions_always_lists_addresses():
    assert api_versions() == {"kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": []}
    assert api_versions("127.0.0.1:6443")["serverAddressByClientCIDRs"] == [
        {"clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1:6443"}]


def test_group_list_and_group(registry):
    groups = {g["name"]: g for g in api_group_list(registry)["groups"]}
    assert groups["apps"]["preferredVersion"] == {"groupVersion": "apps/v1", "version": "v1"}
    assert [v["version"] for v in groups["example.com"]["versions"]] == ["v1", "v1beta1"]
    assert api_group(registry, "example.com")["preferredVersion"]["version"] == "v1"
    assert api_group(registry, "example.com")["kind"] == "APIGroup"
    assert api_group(registry, "nope.io") is None and api_group(registry, "") is None


def test_resource_list_with_subresources(registry):
    apps = {r["name"]: r for r in api_resource_list(registry, "apps", "v1")["resources"]}
    assert apps["deployments"] == {
        "name": "deployments", "singularName": "deployment", "namespaced": True, "kind": "Deployment",
        "verbs": ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"],
        "shortNames": ["deploy"], "categories": ["all"]}
    assert apps["deployments/scale"] == {"name": "deployments/scale", "singularName": "", "namespaced": True,
                                         "group": "autoscaling", "version": "v1", "kind": "Scale",
                                         "verbs": ["get", "patch", "update"]}
    assert apps["deployments/status"]["kind"] == "Deployment" and "group" not in apps["deployments/status"]
    core = api_resource_list(registry, "", "v1")
    assert core["groupVersion"] == "v1" and "apiVersion" not in core
    assert {r["name"]: r["verbs"] for r in core["resources"]}["namespaces/finalize"] == ["update"]
    csr = {r["name"] for r in api_resource_list(registry, "certificates.k8s.io", "v1")["resources"]}
    assert csr == {"certificatesigningrequests", "certificatesigningrequests/approval",
                   "certificatesigningrequests/status"}
    widgets = {r["name"]: r for r in api_resource_list(registry, "example.com", "v1beta1")["resources"]}
    assert widgets["widgets"]["verbs"] == ["delete", "deletecollection", "get", "list", "patch", "create", "update",
                                           "watch"]
    assert set(widgets) == {"widgets", "widgets/scale", "widgets/status"}
    assert api_resource_list(registry, "apps", "v2") is None


def test_aggregated_core_and_crd_entries(registry):
    core = aggregated_discovery(registry, "/api")
    assert core["kind"] == "APIGroupDiscoveryList" and core["apiVersion"] == "apidiscovery.k8s.io/v2"
    (item,) = core["items"]
    assert item["metadata"] == {"creationTimestamp": None}
    pods = next(r for r in item["versions"][0]["resources"] if r["resource"] == "pods")
    assert pods["responseKind"] == {"group": "", "version": "", "kind": "Pod"} and pods["scope"] == "Namespaced"
    named = aggregated_discovery(registry, "/apis")
    example = next(i for i in named["items"] if i["metadata"].get("name") == "example.com")
    assert [v["version"] for v in example["versions"]] == ["v1", "v1beta1"]
    (widgets,) = example["versions"][0]["resources"]
    assert widgets["responseKind"] == {"group": "example.com", "version": "v1", "kind": "Widget"}
    assert widgets["subresources"] == [
        {"subresource": "scale", "responseKind": {"group": "autoscaling", "version": "v1", "kind": "Scale"},
         "verbs": ["get", "patch", "update"]},
        {"subresource": "status", "responseKind": {"group": "example.com", "version": "v1", "kind": "Widget"},
         "verbs": ["get", "patch", "update"]},
    ]
    assert example["versions"][0]["freshness"] == "Current"


def split_like_client_go(document: dict) -> tuple[list[dict], dict[tuple[str, str], list[dict]]]:
    """client-go's SplitGroupsAndResources: the legacy view kubectl derives from an aggregated answer."""
    groups, resources = [], {}
    for item in document["items"]:
        name = item["metadata"].get("name", "")
        versions = [{"groupVersion": f"{name}/{v['version']}" if name else v["version"], "version": v["version"]}
                    for v in item["versions"]]
        groups.append({"name": name, "versions": versions, "preferredVersion": versions[0]})
        for version in item["versions"]:
            listed = resources[(name, version["version"])] = []
            for r in version["resources"]:
                kind = r["responseKind"]
                base = {"name": r["resource"], "singularName": r["singularResource"],
                        "namespaced": r["scope"] == "Namespaced", "group": kind["group"], "version": kind["version"],
                        "kind": kind["kind"], "verbs": r["verbs"],
                        **{k: r[k] for k in ("shortNames", "categories") if k in r}}
                listed.append(base)
                for sub in r.get("subresources", ()):
                    kind = sub["responseKind"]
                    listed.append({"name": f"{r['resource']}/{sub['subresource']}", "singularName": "",
                                   "namespaced": base["namespaced"], "group": kind["group"],
                                   "version": kind["version"], "kind": kind["kind"], "verbs": sub["verbs"]})
    return groups, resources


def explicit(resources: list[dict], group: str, version: str) -> list[dict]:
    """APIResources with group/version spelled out (empty means the list's own group version)."""
    return [{**r, "group": r.get("group") or group, "version": r.get("version") or version} for r in resources]


def test_aggregated_and_legacy_discovery_agree(registry):
    groups, resources = split_like_client_go(aggregated_discovery(registry, "/apis"))
    assert groups == [{k: g[k] for k in ("name", "versions", "preferredVersion")}
                      for g in api_group_list(registry)["groups"]]
    _, core = split_like_client_go(aggregated_discovery(registry, "/api"))
    for (group, version), listed in {**resources, **core}.items():
        legacy = api_resource_list(registry, group, version)["resources"]
        assert explicit(listed, group, version) == explicit(legacy, group, version), (group, version)


@pytest.mark.parametrize(("accept", "content_type"), [
    (KUBECTL_ACCEPT, "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"),
    ("application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json",
     "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList"),
    ("application/json", "application/json"),
    (None, "application/json"),
    ("*/*", "application/json"),
    ("application/json, application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList", "application/json"),
    ("application/json;q=0.5, application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList",
     "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"),
    ("application/json;g=apidiscovery.k8s.io;v=v3;as=APIGroupDiscoveryList", "application/json"),
])
def test_negotiation(registry, accept, content_type):
    body, answered = discovery_document(registry, "/apis", accept)
    assert answered == content_type
    expected_kind = "APIGroupList" if content_type == "application/json" else "APIGroupDiscoveryList"
    assert body["kind"] == expected_kind
    if expected_kind == "APIGroupDiscoveryList":
        assert body["apiVersion"] == "apidiscovery.k8s.io/" + content_type.split("v=")[1].split(";")[0]


def test_legacy_root_of_the_core_group(registry):
    body, content_type = discovery_document(registry, "/api", "application/json", "127.0.0.1:1234")
    assert content_type == "application/json" and body["kind"] == "APIVersions"


def test_accept_parsing():
    assert accepted_media_types('text/html;q=0.1, application/json ; as="Table";v=v1, */*;q=0') == [
        ("application/json", {"as": "Table", "v": "v1"}), ("text/html", {})]
