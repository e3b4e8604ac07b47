"""Deletion semantics over HTTPS: DeleteOptions, finalizers, garbage collection, namespaces, CRDs."""

from __future__ import annotations

import pytest

from tests.sandbox.apiserver_harness import Api, api_fixture, sandbox_fixture  # noqa: F401 (fixtures)
from tests.sandbox.test_server_crud import deployment, widget_crd

DEPLOYS = "/apis/apps/v1/namespaces/default/deployments"
RS = "/apis/apps/v1/namespaces/default/replicasets"
CRDS = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions"
WIDGETS = "/apis/example.com/v1/namespaces/default/widgets"
MERGE = "application/merge-patch+json"


async def owned_replicaset(api: Api, owner: dict, name: str) -> dict:
    ref = {"apiVersion": "apps/v1", "kind": "Deployment", "name": owner["metadata"]["name"],
           "uid": owner["metadata"]["uid"], "controller": True, "blockOwnerDeletion": True}
    body = {**deployment(name), "kind": "ReplicaSet"}
    body["metadata"] = {"name": name, "ownerReferences": [ref]}
    return await api.ok("POST", RS, body)


@pytest.mark.parametrize("policy, child_survives", [("Background", False), ("Foreground", False), ("Orphan", True)])
async def test_delete_options_body_sets_propagation(api: Api, policy: str, child_survives: bool) -> None:
    owner = await api.ok("POST", DEPLOYS, deployment("web"))
    await owned_replicaset(api, owner, "web-1")
    await api.ok("DELETE", f"{DEPLOYS}/web", {"kind": "DeleteOptions", "apiVersion": "v1", "propagationPolicy": policy})
    assert (await api.call("GET", f"{DEPLOYS}/web"))[0] == 404
    status, child = await api.call("GET", f"{RS}/web-1")
    assert (status == 200) == child_survives
    if child_survives:
        assert "ownerReferences" not in child["metadata"]


async def test_delete_preconditions(api: Api) -> None:
    made = await api.ok("POST", DEPLOYS, deployment("web"))
    status, answer = await api.call("DELETE", f"{DEPLOYS}/web", {"preconditions": {"uid": "not-it"}})
    assert status == 409 and "Precondition failed" in answer["message"]
    await api.ok("DELETE", f"{DEPLOYS}/web", {"preconditions": {"uid": made["metadata"]["uid"]}})


async def test_finalizers_hold_an_object_until_removed(api: Api) -> None:
    await api.ok("POST", DEPLOYS, {**deployment("web"), "metadata": {"name": "web", "finalizers": ["example.com/x"]}})
    status, marked = await api.call("DELETE", f"{DEPLOYS}/web")
    assert status == 202 and marked["metadata"]["deletionTimestamp"]
    stream = await api.watch(DEPLOYS, resourceVersion=marked["metadata"]["resourceVersion"])
    await api.ok("PATCH", f"{DEPLOYS}/web", {"metadata": {"finalizers": None}}, content_type=MERGE)
    event = await stream.next()
    assert event["type"] == "DELETED" and event["object"]["metadata"]["deletionTimestamp"]
    assert (await api.call("GET", f"{DEPLOYS}/web"))[0] == 404
    stream.close()


async def test_deleting_a_namespace_goes_through_terminating(api: Api) -> None:
    await api.ok("POST", "/api/v1/namespaces", {"metadata": {"name": "team"}})
    cms = "/api/v1/namespaces/team/configmaps"
    accounts = await api.ok("GET", "/api/v1/namespaces/team/serviceaccounts")
    assert [a["metadata"]["name"] for a in accounts["items"]] == ["default"]
    await api.ok("POST", cms, {"metadata": {"name": "held", "finalizers": ["example.com/x"]}})
    stream = await api.watch("/api/v1/namespaces", fieldSelector="metadata.name=team")
    assert (await stream.next())["type"] == "ADDED"
    status, answer = await api.call("DELETE", "/api/v1/namespaces/team")
    assert status == 202 and answer["status"]["phase"] == "Terminating"
    terminating = await stream.next()
    assert (terminating["type"], terminating["object"]["status"]["phase"]) == ("MODIFIED", "Terminating")
    status, refused = await api.call("POST", cms, {"metadata": {"name": "late"}})
    assert status == 403 and "being terminated" in refused["message"]
    assert [i["metadata"]["name"] for i in (await api.ok("GET", cms))["items"]] == ["held"]
    await api.ok("PATCH", f"{cms}/held", {"metadata": {"finalizers": None}}, content_type=MERGE)
    while (event := await stream.next())["type"] != "DELETED":
        assert event["type"] == "MODIFIED"
    assert (await api.call("GET", "/api/v1/namespaces/team"))[0] == 404
    stream.close()


async def test_system_namespaces_cannot_be_deleted(api: Api) -> None:
    status, answer = await api.call("DELETE", "/api/v1/namespaces/kube-system")
    assert (status, answer["reason"]) == (403, "Forbidden")


async def test_crds_add_and_remove_resources_at_run_time(api: Api) -> None:
    assert (await api.call("GET", "/apis/example.com/v1"))[0] == 404
    await api.ok("POST", CRDS, widget_crd())
    crd = await api.ok("GET", f"{CRDS}/widgets.example.com")
    conditions = {c["type"]: c["status"] for c in crd["status"]["conditions"]}
    assert conditions == {"NamesAccepted": "True", "Established": "True"}
    resources = await api.ok("GET", "/apis/example.com/v1")
    assert {r["name"] for r in resources["resources"]} == {"widgets", "widgets/status"}
    await api.ok("POST", WIDGETS, {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"},
                                   "spec": {"size": 3}})
    table = await api.ok("GET", WIDGETS, headers={"Accept": "application/json;as=Table;v=v1;g=meta.k8s.io"})
    assert [c["name"] for c in table["columnDefinitions"]][:2] == ["Name", "Size"]
    assert table["rows"][0]["cells"][:2] == ["w", 3]
    status, _ = await api.call("DELETE", f"{CRDS}/widgets.example.com")
    assert status in (200, 202)
    assert (await api.call("GET", f"{CRDS}/widgets.example.com"))[0] == 404
    assert (await api.call("GET", WIDGETS))[0] == 404
    assert (await api.call("GET", "/apis/example.com/v1"))[0] == 404


async def test_custom_resources_are_validated_against_the_schema(api: Api) -> None:
    await api.ok("POST", CRDS, widget_crd())
    status, invalid = await api.call("POST", WIDGETS, {"apiVersion": "example.com/v1", "kind": "Widget",
                                                        "metadata": {"name": "w"}, "spec": {"size": 0}})
    assert status == 422 and invalid["reason"] == "Invalid"
    assert [c["field"] for c in invalid["details"]["causes"]] == ["spec.size"]
    strict = {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"},
              "spec": {"size": 1, "colour": "red"}}
    status, unknown = await api.call("POST", WIDGETS, strict, params={"fieldValidation": "Strict"})
    assert (status, unknown["message"]) == (400, 'strict decoding error: unknown field "spec.colour"')
    pruned = await api.ok("POST", WIDGETS, strict)
    assert pruned["spec"] == {"size": 1}
    status, _ = await api.call("PATCH", f"{WIDGETS}/w", {"spec": {"size": 2}},
                               content_type="application/strategic-merge-patch+json")
    assert status == 415
    status_update = await api.ok("PATCH", f"{WIDGETS}/w/status", {"status": {"ok": True}}, content_type=MERGE)
    assert status_update["status"] == {"ok": True}
