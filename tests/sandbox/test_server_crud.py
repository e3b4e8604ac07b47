"""CRUD, list, patch and subresources over HTTPS, with upstream's status codes and Status bodies."""

from __future__ import annotations

import pytest

from tests.sandbox.apiserver_harness import Api, api_fixture, sandbox_fixture  # noqa: F401 (fixtures)

CMS = "/api/v1/namespaces/default/configmaps"
DEPLOYS = "/apis/apps/v1/namespaces/default/deployments"
TABLE = {"Accept": "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"}


def configmap(name: str, labels: dict | None = None, **data: str) -> dict:
    meta: dict = {"name": name}
    if labels:
        meta["labels"] = labels
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta, "data": data or {"k": "v"}}


def deployment(name: str, replicas: int = 1) -> dict:
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                     "template": {"metadata": {"labels": {"app": name}},
                                  "spec": {"containers": [{"name": "web", "image": "nginx"}]}}}}


async def test_create_get_update_delete_with_upstream_codes(api: Api) -> None:
    status, created = await api.call("POST", CMS, configmap("a"))
    assert status == 201 and created["metadata"]["uid"]
    status, duplicate = await api.call("POST", CMS, configmap("a"))
    assert (status, duplicate["reason"], duplicate["message"]) == (
        409, "AlreadyExists", 'configmaps "a" already exists')
    got = await api.ok("GET", f"{CMS}/a")
    assert got == created
    changed = await api.ok("PUT", f"{CMS}/a", {**got, "data": {"k": "2"}})
    assert int(changed["metadata"]["resourceVersion"]) > int(got["metadata"]["resourceVersion"])
    status, stale = await api.call("PUT", f"{CMS}/a", {**got, "data": {"k": "3"}})
    assert (status, stale["reason"]) == (409, "Conflict")
    status, gone = await api.call("DELETE", f"{CMS}/a")
    assert status == 200 and gone["status"] == "Success"
    status, missing = await api.call("GET", f"{CMS}/a")
    assert (status, missing["kind"], missing["reason"], missing["message"]) == (
        404, "Status", "NotFound", 'configmaps "a" not found')


async def test_custom_resources_need_a_resource_version_to_update(api: Api) -> None:
    await api.ok("POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", widget_crd())
    path = "/apis/example.com/v1/namespaces/default/widgets"
    made = await api.ok("POST", path, {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"},
                                       "spec": {"size": 1}})
    del made["metadata"]["resourceVersion"]
    status, answer = await api.call("PUT", f"{path}/w", made)
    assert status == 422 and "metadata.resourceVersion" in answer["message"]


async def test_a_no_op_update_changes_nothing(api: Api) -> None:
    created = await api.ok("POST", DEPLOYS, deployment("web"))
    same = await api.ok("PUT", f"{DEPLOYS}/web", created)
    assert same["metadata"]["resourceVersion"] == created["metadata"]["resourceVersion"]
    scaled = await api.ok("PATCH", f"{DEPLOYS}/web", {"spec": {"replicas": 3}},
                          content_type="application/merge-patch+json")
    assert scaled["metadata"]["generation"] == 2
    labelled = await api.ok("PATCH", f"{DEPLOYS}/web", {"metadata": {"labels": {"x": "y"}}},
                            content_type="application/strategic-merge-patch+json")
    assert labelled["metadata"]["generation"] == 2


async def test_generate_name_and_dry_run(api: Api) -> None:
    made = await api.ok("POST", CMS, {"metadata": {"generateName": "gen-"}, "data": {}})
    assert made["metadata"]["name"].startswith("gen-")
    await api.ok("POST", CMS, configmap("dry"), params={"dryRun": "All"})
    assert (await api.call("GET", f"{CMS}/dry"))[0] == 404


async def test_list_selectors_and_pages(api: Api) -> None:
    for name, tier in (("a", "web"), ("b", "db"), ("c", "web"), ("d", "cache")):
        await api.ok("POST", CMS, configmap(name, {"tier": tier, "mine": "yes"}))

    async def listed(**params: str) -> list[str]:
        body = await api.ok("GET", CMS, params={"labelSelector": "mine", **params})
        assert body["kind"] == "ConfigMapList" and body["metadata"]["resourceVersion"]
        assert all(item["kind"] == "ConfigMap" and item["apiVersion"] == "v1" for item in body["items"])
        return [item["metadata"]["name"] for item in body["items"]]

    assert await listed() == ["a", "b", "c", "d"]
    assert await listed(labelSelector="tier=web") == ["a", "c"]
    assert await listed(labelSelector="tier==web") == ["a", "c"]
    assert await listed(labelSelector="mine,tier!=web") == ["b", "d"]
    assert await listed(labelSelector="tier in (db,cache)") == ["b", "d"]
    assert await listed(labelSelector="mine,tier notin (db,cache)") == ["a", "c"]
    assert await listed(labelSelector="!mine") == ["kube-root-ca.crt"]
    assert await listed(fieldSelector="metadata.name=b") == ["b"]
    assert await listed(fieldSelector="metadata.namespace!=default") == []
    first = await api.ok("GET", CMS, params={"labelSelector": "mine", "limit": "3"})
    assert [i["metadata"]["name"] for i in first["items"]] == ["a", "b", "c"]
    assert first["metadata"]["remainingItemCount"] == 1
    rest = await api.ok("GET", CMS, params={"labelSelector": "mine", "limit": "3",
                                            "continue": first["metadata"]["continue"]})
    assert [i["metadata"]["name"] for i in rest["items"]] == ["d"] and "continue" not in rest["metadata"]
    everywhere = await api.ok("GET", "/api/v1/configmaps", params={"fieldSelector": "metadata.name=kube-root-ca.crt"})
    assert {i["metadata"]["namespace"] for i in everywhere["items"]} == {
        "default", "kube-node-lease", "kube-public", "kube-system"}
    status, bad = await api.call("GET", CMS, params={"labelSelector": "a in ("})
    assert status == 400 and bad["reason"] == "BadRequest"


async def test_patch_types(api: Api) -> None:
    await api.ok("POST", DEPLOYS, deployment("web"))
    patched = await api.ok("PATCH", f"{DEPLOYS}/web", [{"op": "replace", "path": "/spec/replicas", "value": 4}],
                           content_type="application/json-patch+json")
    assert patched["spec"]["replicas"] == 4
    sidecar = {"spec": {"template": {"spec": {"containers": [{"name": "side", "image": "busybox"}]}}}}
    merged = await api.ok("PATCH", f"{DEPLOYS}/web", sidecar, content_type="application/strategic-merge-patch+json")
    assert sorted(c["name"] for c in merged["spec"]["template"]["spec"]["containers"]) == ["side", "web"]
    replaced = await api.ok("PATCH", f"{DEPLOYS}/web", sidecar, content_type="application/merge-patch+json")
    assert [c["name"] for c in replaced["spec"]["template"]["spec"]["containers"]] == ["side"]
    status, _ = await api.call("PATCH", f"{DEPLOYS}/web", {"spec": {}}, content_type="text/plain")
    assert status == 415


async def test_server_side_apply_creates_then_updates(api: Api) -> None:
    applied = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ssa\ndata:\n  k: one\n"
    params = {"fieldManager": "tester", "force": "true"}
    status, created = await api.call("PATCH", f"{CMS}/ssa", raw=applied.encode(),
                                     content_type="application/apply-patch+yaml", params=params)
    assert status == 201 and created["data"] == {"k": "one"}
    updated = await api.ok("PATCH", f"{CMS}/ssa", raw=applied.replace("one", "two").encode(),
                           content_type="application/apply-patch+yaml", params=params)
    assert updated["data"] == {"k": "two"}
    assert updated["metadata"]["managedFields"][0]["manager"] == "tester"


async def test_status_subresource_and_main_resource_ignore_each_other(api: Api) -> None:
    created = await api.ok("POST", DEPLOYS, {**deployment("web"), "status": {"replicas": 7}})
    assert "status" not in created
    with_status = await api.ok("PUT", f"{DEPLOYS}/web/status", {**created, "status": {"readyReplicas": 1},
                                                                  "spec": {**created["spec"], "replicas": 9}})
    assert with_status["status"] == {"readyReplicas": 1} and with_status["spec"]["replicas"] == 1
    main = await api.ok("PATCH", f"{DEPLOYS}/web", {"status": {"readyReplicas": 5}},
                        content_type="application/merge-patch+json")
    assert main["status"] == {"readyReplicas": 1}
    status_patch = await api.ok("PATCH", f"{DEPLOYS}/web/status", {"status": {"readyReplicas": 2}},
                                content_type="application/merge-patch+json")
    assert status_patch["status"] == {"readyReplicas": 2}


async def test_scale_subresource(api: Api) -> None:
    await api.ok("POST", DEPLOYS, deployment("web", replicas=2))
    scale = await api.ok("GET", f"{DEPLOYS}/web/scale")
    assert (scale["kind"], scale["apiVersion"], scale["spec"], scale["status"]["selector"]) == (
        "Scale", "autoscaling/v1", {"replicas": 2}, "app=web")
    scaled = await api.ok("PUT", f"{DEPLOYS}/web/scale", {**scale, "spec": {"replicas": 5}})
    assert scaled["spec"]["replicas"] == 5
    await api.ok("PATCH", f"{DEPLOYS}/web/scale", {"spec": {"replicas": 6}},
                 content_type="application/merge-patch+json")
    assert (await api.ok("GET", f"{DEPLOYS}/web"))["spec"]["replicas"] == 6
    status, stale = await api.call("PUT", f"{DEPLOYS}/web/scale", {**scale, "spec": {"replicas": 1}})
    assert status == 409


async def test_csr_approval_subresource(api: Api) -> None:
    path = "/apis/certificates.k8s.io/v1/certificatesigningrequests"
    csr = await api.ok("POST", path, {"metadata": {"name": "agent"}, "spec": {
        "request": "LS0t", "signerName": "kubernetes.io/kube-apiserver-client", "usages": ["client auth"]}})
    approved = {**csr, "status": {"conditions": [{"type": "Approved", "status": "True", "reason": "Test"}]}}
    assert (await api.ok("PUT", f"{path}/agent/approval", approved))["status"]["conditions"][0]["type"] == "Approved"


async def test_table_output(api: Api) -> None:
    await api.ok("POST", DEPLOYS, deployment("web", replicas=2))
    table = await api.ok("GET", DEPLOYS, headers=TABLE)
    assert table["kind"] == "Table"
    assert [c["name"] for c in table["columnDefinitions"]][:2] == ["Name", "Ready"]
    assert table["rows"][0]["cells"][:2] == ["web", "0/2"]
    single = await api.ok("GET", f"{DEPLOYS}/web", headers=TABLE)
    assert len(single["rows"]) == 1


@pytest.mark.parametrize("path, body, code", [
    (CMS, configmap("Bad_Name"), 422),
    (CMS, {**configmap("x"), "kind": "Secret"}, 400),
    (CMS, {**configmap("x"), "apiVersion": "apps/v1"}, 400),
    (CMS, {"metadata": {"name": "x", "namespace": "other"}}, 400),
    ("/api/v1/namespaces/absent/configmaps", configmap("x"), 404),
    ("/api/v1/namespaces/default/nosuchthings", configmap("x"), 404),
])
async def test_bad_objects_get_a_clear_4xx_and_change_nothing(api: Api, path: str, body: dict, code: int) -> None:
    before = await api.ok("GET", CMS)
    status, answer = await api.call("POST", path, body)
    assert status == code and answer["kind"] == "Status" and answer["message"]
    after = await api.ok("GET", CMS)
    assert after["items"] == before["items"]
    assert after["metadata"]["resourceVersion"] == before["metadata"]["resourceVersion"]


async def test_namespace_not_found_uses_upstreams_text(api: Api) -> None:
    status, answer = await api.call("POST", "/api/v1/namespaces/absent/configmaps", configmap("x"))
    assert (status, answer["message"]) == (404, 'namespaces "absent" not found')


@pytest.mark.parametrize("raw, content_type", [
    (b"{not json", "application/json"),
    (b"[1, 2]", "application/json"),
    (b"key: [unclosed", "application/yaml"),
    (b"", "application/json"),
])
async def test_malformed_bodies_are_400(api: Api, raw: bytes, content_type: str) -> None:
    status, answer = await api.call("POST", CMS, raw=raw, content_type=content_type)
    assert status == 400 and answer["reason"] == "BadRequest"
    assert (await api.call("GET", "/version"))[0] == 200


async def test_bodies_over_3_mib_are_refused(api: Api) -> None:
    huge = configmap("big", blob="x" * (3 * 1024 * 1024 + 1))
    status, answer = await api.call("POST", CMS, huge)
    assert status == 413 and answer["reason"] == "RequestEntityTooLarge"
    assert (await api.call("GET", f"{CMS}/big"))[0] == 404


def widget_crd() -> dict:
    return {
        "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": {"name": "widgets.example.com"},
        "spec": {"group": "example.com", "scope": "Namespaced",
                 "names": {"plural": "widgets", "singular": "widget", "kind": "Widget", "shortNames": ["wd"]},
                 "versions": [{"name": "v1", "served": True, "storage": True, "subresources": {"status": {}},
                               "additionalPrinterColumns": [
                                   {"name": "Size", "type": "integer", "jsonPath": ".spec.size"}],
                               "schema": {"openAPIV3Schema": {"type": "object", "properties": {
                                   "spec": {"type": "object",
                                            "properties": {"size": {"type": "integer", "minimum": 1}}},
                                   "status": {"type": "object", "properties": {"ok": {"type": "boolean"}}}}}}}]},
    }
