"""The transport controller wraps each bound object into upstream-shaped ManifestWorks."""

from __future__ import annotations

import logging

import pytest

from kstellar_tui.sandbox.controllers.transport import (
    BINDING_GENERATION_ANNOTATION, ORIGIN_BINDING_LABEL, ORIGIN_WDS_LABEL, TRANSPORT_FINALIZER, gloss,
    manifestwork_name, needs_write, transform_status, wrap,
)
from kstellar_tui.sandbox.controllers.workload_keys import BINDING, CUSTOM_TRANSFORM, DEPLOYMENT, MANIFEST_WORK
from tests.sandbox._workload_path import QUICKSTART_WECS, WorkloadPath, deployment, nginx_namespace, policy

EDGE = [{"matchLabels": {"location-group": "edge"}}]
NGINX = [{"objectSelectors": [{"matchLabels": {"app.kubernetes.io/name": "nginx"}}]}]
BINDING_OBJ = {"metadata": {"name": "bp", "uid": "B", "generation": 7}}
OBJ = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d", "namespace": "ns", "uid": "O"}}


def test_one_manifestwork_per_object_named_after_binding_wds_and_object() -> None:
    assert manifestwork_name("B", "wds1", "O") == "B-wds1-O"
    work = wrap(BINDING_OBJ, "wds1", OBJ, "deployments", {"kind": "Deployment"}, create_only=False)
    assert work["metadata"] == {"name": "B-wds1-O",
                                "labels": {ORIGIN_BINDING_LABEL: "bp", ORIGIN_WDS_LABEL: "wds1"},
                                "annotations": {BINDING_GENERATION_ANNOTATION: "7"}}
    assert work["spec"] == {"workload": {"manifests": [{"kind": "Deployment"}]}}


@pytest.mark.parametrize("obj, identifier", [
    (OBJ, {"group": "apps", "resource": "deployments", "namespace": "ns", "name": "d"}),
    ({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "ns", "uid": "N"}},
     {"group": "", "resource": "namespaces", "name": "ns"}),
])
def test_create_only_becomes_a_manifest_config(obj: dict, identifier: dict) -> None:
    resource = "deployments" if obj["kind"] == "Deployment" else "namespaces"
    work = wrap(BINDING_OBJ, "wds1", obj, resource, {}, create_only=True)
    assert work["spec"]["manifestConfigs"] == [{"resourceIdentifier": identifier,
                                                "updateStrategy": {"type": "CreateOnly"}}]


def _work(generation: str, *names: str) -> dict:
    return {"metadata": {"annotations": {BINDING_GENERATION_ANNOTATION: generation}},
            "spec": {"workload": {"manifests": [{"apiVersion": "v1", "kind": "ConfigMap",
                                                 "metadata": {"name": n, "namespace": "ns"}} for n in names]}}}


@pytest.mark.parametrize("current, desired, write", [
    (None, _work("1", "a"), True),
    (_work("1", "a"), _work("1", "a"), False),
    (_work("1", "a"), _work("2", "a"), True),
    (_work("1", "a"), _work("1", "b"), True),
])
def test_a_manifestwork_is_rewritten_only_for_a_new_generation_or_content(current, desired, write) -> None:
    assert needs_write(current, desired) is write


def test_gloss_names_the_carried_objects() -> None:
    assert gloss(_work("1", "a", "b")) == {("", "ConfigMap", "ns", "a"), ("", "ConfigMap", "ns", "b")}


@pytest.mark.parametrize("remove, same, expected", [
    (["$.spec.suspend"], ["ct"], {"observedGeneration": 1}),
    (["$"], ["ct"], {"observedGeneration": 1, "errors": ["Invalid spec.remove[0]: it identifies the whole object"]}),
    (["$.a"], ["ct", "other"], {"observedGeneration": 1, "warnings": [
        "multiple CustomTransform objects specify the same GroupResource; their names are map[ct:{} other:{}]"]}),
])
def test_custom_transform_status(remove, same, expected) -> None:
    ct = {"metadata": {"generation": 1}, "spec": {"apiGroup": "batch", "resource": "jobs", "remove": remove}}
    assert transform_status(ct, same) == expected


# ---------------------------------------------------------------------------------------------- controller
@pytest.fixture
async def path():
    async with WorkloadPath(QUICKSTART_WECS) as w:
        yield w


def works(w: WorkloadPath, binding: str = "nginx-bpolicy") -> list[dict]:
    return [mw for mw in w.its.objects(MANIFEST_WORK)
            if (mw["metadata"].get("labels") or {}).get(ORIGIN_BINDING_LABEL) == binding]


async def test_manifestworks_per_object_and_destination(path: WorkloadPath) -> None:
    path.create(path.wds, policy("nginx-bpolicy", EDGE, NGINX))
    ns = path.create(path.wds, nginx_namespace())
    dep = path.create(path.wds, deployment("nginx-deployment"))
    await path.until(lambda: len(works(path)) == 4)
    await path.quiet()
    binding = path.wds.find(BINDING, "", "nginx-bpolicy")
    assert TRANSPORT_FINALIZER in binding["metadata"]["finalizers"]
    assert binding["status"]["observedGeneration"] == binding["metadata"]["generation"]
    expected = {(wec, f"{binding['metadata']['uid']}-wds1-{obj['metadata']['uid']}")
                for wec in ("cluster1", "cluster2") for obj in (ns, dep)}
    assert {(mw["metadata"]["namespace"], mw["metadata"]["name"]) for mw in works(path)} == expected
    for mw in works(path):
        assert mw["metadata"]["labels"] == {ORIGIN_BINDING_LABEL: "nginx-bpolicy", ORIGIN_WDS_LABEL: "wds1"}
        assert mw["metadata"]["annotations"][BINDING_GENERATION_ANNOTATION] == str(binding["metadata"]["generation"])
    wrapped = next(mw for mw in works(path) if mw["spec"]["workload"]["manifests"][0]["kind"] == "Deployment")
    (manifest,) = wrapped["spec"]["workload"]["manifests"]
    assert set(manifest["metadata"]) == {"name", "namespace", "labels", "creationTimestamp"}
    assert "status" not in manifest


async def test_an_update_rewrites_the_manifestworks(path: WorkloadPath) -> None:
    path.create(path.wds, policy("nginx-bpolicy", EDGE, NGINX))
    path.create(path.wds, nginx_namespace())
    dep = path.create(path.wds, deployment("nginx-deployment"))
    await path.until(lambda: len(works(path)) == 4)

    def scale(obj: dict) -> None:
        obj["spec"]["replicas"] = 2
    path.change(path.wds, dep, scale)
    await path.until(lambda: all(path.wecs[c].find(DEPLOYMENT, "nginx", "nginx-deployment")["spec"]["replicas"] == 2
                                 for c in ("cluster1", "cluster2")))
    generation = str(path.wds.find(BINDING, "", "nginx-bpolicy")["metadata"]["generation"])
    assert {mw["metadata"]["annotations"][BINDING_GENERATION_ANNOTATION] for mw in works(path)} == {generation}


async def test_a_policy_name_too_long_for_a_label_never_reaches_a_wec(path: WorkloadPath, caplog) -> None:
    name = "n" * 64
    path.create(path.wds, nginx_namespace())
    with caplog.at_level(logging.WARNING):
        path.create(path.wds, policy(name, EDGE, NGINX))
        await path.until(lambda: path.wds.find(BINDING, "", name) is not None)
        await path.quiet()
    assert works(path, name) == []
    assert path.holders(("", "namespaces"), "", "nginx") == set()
    assert "must be no more than 63 characters" in caplog.text


async def test_an_object_too_large_to_wrap_never_reaches_a_wec(path: WorkloadPath, caplog) -> None:
    path.create(path.wds, policy("nginx-bpolicy", EDGE, NGINX))
    path.create(path.wds, nginx_namespace())
    big = {"apiVersion": "v1", "kind": "ConfigMap",
           "metadata": {"name": "big", "namespace": "nginx", "labels": {"app.kubernetes.io/name": "nginx"}},
           "data": {"blob": "x" * 520_000}}
    with caplog.at_level(logging.ERROR):
        path.create(path.wds, big)
        await path.until(lambda: len((path.wds.find(BINDING, "", "nginx-bpolicy") or {}).get("spec", {})
                                     .get("workload", {}).get("namespaceScope", [])) == 1)
        await path.quiet()
    assert path.holders(("", "configmaps"), "nginx", "big") == set()
    assert "failed to wrap object that is larger than max size" in caplog.text


async def test_custom_transforms_remove_fields(path: WorkloadPath) -> None:
    path.create(path.wds, {"apiVersion": "control.kubestellar.io/v1alpha1", "kind": "CustomTransform",
                           "metadata": {"name": "no-replicas"},
                           "spec": {"apiGroup": "apps", "resource": "deployments", "remove": ["$.spec.replicas"]}})
    path.create(path.wds, policy("nginx-bpolicy", EDGE, NGINX))
    path.create(path.wds, nginx_namespace())
    path.create(path.wds, deployment("nginx-deployment", replicas=3))
    await path.until(lambda: path.holders(DEPLOYMENT, "nginx", "nginx-deployment") == {"cluster1", "cluster2"})
    wrapped = next(mw for mw in works(path) if mw["spec"]["workload"]["manifests"][0]["kind"] == "Deployment")
    assert "replicas" not in wrapped["spec"]["workload"]["manifests"][0]["spec"]
    ct = await path.until(lambda: path.wds.find(CUSTOM_TRANSFORM, "", "no-replicas").get("status"))
    assert ct == {"observedGeneration": 1}


async def test_a_deleted_binding_takes_its_manifestworks(path: WorkloadPath) -> None:
    bp = path.create(path.wds, policy("nginx-bpolicy", EDGE, NGINX))
    path.create(path.wds, nginx_namespace())
    await path.until(lambda: len(works(path)) == 2)
    path.delete(path.wds, bp)
    await path.until(lambda: not works(path) and path.wds.find(BINDING, "", "nginx-bpolicy") is None)
