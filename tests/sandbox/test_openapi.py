"""OpenAPI v3 documents, checked the way kubectl 1.32 reads them (cli-runtime's query-param verifier and
kubectl apply's patch-type decision, re-stated here)."""

from __future__ import annotations

import pytest

from kstellar_tui.sandbox.apiserver.openapi import OpenAPIV3, group_version_path
from kstellar_tui.sandbox.apiserver.registry import ResourceRegistry

SCHEMA = {"type": "object", "properties": {"spec": {"type": "object", "properties": {"size": {"type": "integer"}}}}}


def widget_crd(size_type: str = "integer") -> dict:
    schema = {"type": "object", "properties": {"spec": {"type": "object", "properties": {"size": {"type": size_type}}}}}
    return {"metadata": {"name": "widgets.example.com"},
            "spec": {"group": "example.com", "scope": "Namespaced", "names": {"plural": "widgets", "kind": "Widget"},
                     "versions": [{"name": "v1", "served": True, "storage": True,
                                   "schema": {"openAPIV3Schema": schema}, "subresources": {"status": {}}}]}}


@pytest.fixture
def registry() -> ResourceRegistry:
    registry = ResourceRegistry()
    registry.apply_crd(widget_crd())
    return registry


def patch_operations(document: dict, gvk: dict) -> list[dict]:
    return [item["patch"] for item in document["paths"].values()
            if "patch" in item and item["patch"]["x-kubernetes-group-version-kind"] == gvk]


def supports_field_validation(document: dict, gvk: dict) -> bool:
    """cli-runtime's supportsQueryParamV3: the first PATCH tagged with the GVK decides (any may come first)."""
    operations = patch_operations(document, gvk)
    assert operations, f"no PATCH for {gvk}: kubectl would fall back to /openapi/v2"
    return all(any(p["name"] == "fieldValidation" and p["in"] == "query" for p in op["parameters"])
               for op in operations)


def apply_uses_openapi_strategic_merge(document: dict, gvk: dict) -> bool:
    """kubectl apply's gvkSupportsPatchOpenAPIV3."""
    op = patch_operations(document, gvk)[0]
    return "application/strategic-merge-patch+json" in op["requestBody"]["content"]


def test_index_lists_every_group_version_with_a_hash(registry):
    openapi = OpenAPIV3(registry)
    paths = openapi.index()["paths"]
    expected = {group_version_path(rt.group, rt.version) for rt in registry.types()}
    assert set(paths) == expected and {"api/v1", "apis/apps/v1", "apis/example.com/v1"} <= expected
    url = paths["apis/apps/v1"]["serverRelativeURL"]
    assert url.startswith("/openapi/v3/apis/apps/v1?hash=")
    assert openapi.document("apis/apps/v1") is openapi.document("/apis/apps/v1/")
    assert openapi.document("apis/nope/v1") is None


def test_hash_follows_the_document(registry):
    openapi = OpenAPIV3(registry)
    before = openapi.index()["paths"]
    registry.apply_crd(widget_crd("string"))
    after = openapi.index()["paths"]
    assert after["apis/example.com/v1"] != before["apis/example.com/v1"]
    assert after["apis/apps/v1"] == before["apis/apps/v1"]
    assert openapi.document("apis/example.com/v1")["components"]["schemas"]["com.example.v1.Widget"][
        "properties"]["spec"]["properties"]["size"]["type"] == "string"


def test_every_type_supports_server_side_field_validation(registry):
    openapi = OpenAPIV3(registry)
    for rt in registry.types():
        document = openapi.document(group_version_path(rt.group, rt.version))
        gvk = {"group": rt.group, "version": rt.version, "kind": rt.kind}
        assert supports_field_validation(document, gvk), rt
        assert not apply_uses_openapi_strategic_merge(document, gvk), "kubectl must use its built-in types"


def test_paths_and_operations_of_a_namespaced_type(registry):
    document = OpenAPIV3(registry).document("apis/apps/v1")
    item = document["paths"]["/apis/apps/v1/namespaces/{namespace}/deployments/{name}"]
    assert set(item) == {"parameters", "get", "put", "patch", "delete"}
    assert [p["name"] for p in item["parameters"]] == ["name", "namespace"]
    assert item["patch"]["operationId"] == "patchAppsV1NamespacedDeployment"
    assert set(item["patch"]["requestBody"]["content"]) == {
        "application/json-patch+json", "application/merge-patch+json", "application/apply-patch+yaml"}
    collection = document["paths"]["/apis/apps/v1/namespaces/{namespace}/deployments"]
    assert {k: v["x-kubernetes-action"] for k, v in collection.items() if k != "parameters"} == {
        "get": "list", "post": "post", "delete": "deletecollection"}
    assert set(document["paths"]["/apis/apps/v1/deployments"]) == {"parameters", "get"}
    scale = document["paths"]["/apis/apps/v1/namespaces/{namespace}/deployments/{name}/scale"]
    assert scale["patch"]["x-kubernetes-group-version-kind"] == {"group": "autoscaling", "version": "v1",
                                                                  "kind": "Scale"}
    assert "io.k8s.api.autoscaling.v1.Scale" in document["components"]["schemas"]


def test_cluster_scoped_and_core_paths(registry):
    core = OpenAPIV3(registry).document("api/v1")
    assert "/api/v1/namespaces/{name}" in core["paths"]
    assert set(core["paths"]["/api/v1/namespaces/{name}/finalize"]) == {"parameters", "put"}
    assert "delete" not in core["paths"]["/api/v1/namespaces"], "namespaces have no deletecollection"


def test_schemas_carry_their_kind(registry):
    openapi = OpenAPIV3(registry)
    deployment = openapi.document("apis/apps/v1")["components"]["schemas"]["io.k8s.api.apps.v1.Deployment"]
    assert deployment["x-kubernetes-group-version-kind"] == [{"group": "apps", "version": "v1", "kind": "Deployment"}]
    assert deployment["x-kubernetes-preserve-unknown-fields"] is True
    widget = openapi.document("apis/example.com/v1")["components"]["schemas"]["com.example.v1.Widget"]
    assert widget["properties"]["spec"] == SCHEMA["properties"]["spec"]
    assert widget["x-kubernetes-group-version-kind"] == [{"group": "example.com", "version": "v1", "kind": "Widget"}]
    assert registry.lookup("example.com", "v1", "widgets").schema == SCHEMA, "the registry's schema is untouched"
