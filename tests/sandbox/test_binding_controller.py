"""The binding controller writes upstream's Bindings: name, owner, entries, destinations, status."""

from __future__ import annotations

import json

import pytest

from kstellar_tui.core.fleet.placement import ObjectRef
from kstellar_tui.sandbox.controllers.binding import POLICY_FINALIZER, SINGLETON_ERROR, policy_status, singleton_errors
from kstellar_tui.sandbox.controllers.workload_keys import BINDING, BINDING_POLICY, DEPLOYMENT
from tests.sandbox._workload_path import QUICKSTART_WECS, WorkloadPath, deployment, nginx_namespace, policy

EDGE = [{"matchLabels": {"location-group": "edge"}}]
NGINX = [{"objectSelectors": [{"matchLabels": {"app.kubernetes.io/name": "nginx"}}]}]


def spec(*entries: tuple[str, bool], destinations: tuple[str, ...]) -> dict:
    return {"workload": {"namespaceScope": [
        {"group": "apps", "version": "v1", "resource": "deployments", "namespace": "ns", "name": name,
         "resourceVersion": "1", **({"wantSingletonReportedState": True} if single else {})}
        for name, single in entries]},
        "destinations": [{"clusterId": d} for d in destinations]}


REFS = {("apps", "deployments", "ns", n): ObjectRef("apps", "v1", "deployments", "Deployment", "ns", n)
        for n in ("a", "b", "c", "d", "e")}


@pytest.mark.parametrize("specs, expected", [
    ({"p": spec(("a", True), destinations=("c1",))}, []),
    ({"p": spec(("a", False), destinations=("c1", "c2"))}, []),
    ({"p": spec(("a", True), destinations=("c1", "c2"))}, [("a", 2)]),
    ({"p": spec(("a", True), destinations=())}, [("a", 0)]),
    # singleton WECs are the union over every policy asking for singleton return of that object
    ({"p": spec(("a", True), destinations=("c1",)), "q": spec(("a", True), destinations=("c2",))}, [("a", 2)]),
    ({"p": spec(("a", True), destinations=("c1",)), "q": spec(("a", False), destinations=("c2",))}, []),
    # at most four examples
    ({"p": spec(*((n, True) for n in "abcde"), destinations=("c1", "c2"))}, [(n, 2) for n in "abcd"]),
])
def test_singleton_errors(specs: dict, expected: list) -> None:
    errors = singleton_errors("p", specs, REFS)
    if not expected:
        assert errors == []
        return
    (error,) = errors
    assert error.startswith(SINGLETON_ERROR)
    examples = json.loads(error[len(SINGLETON_ERROR):])
    assert [(e["ObjectID"]["ObjectName"]["Name"], e["NumWECs"]) for e in examples] == expected
    assert examples[0]["ObjectID"] == {"GVK": {"Group": "apps", "Version": "v1", "Kind": "Deployment"},
                                       "Resource": "deployments", "ObjectName": {"Namespace": "ns", "Name": "a"}}
    assert '{"ObjectID":{"GVK":{"Group":"apps"' in error  # Go's json.Marshal: no spaces, field order kept


def test_policy_status_copies_the_binding_conditions_and_errors() -> None:
    bp = {"metadata": {"generation": 4}}
    condition = {"type": "StatusCollectorsAvailable", "status": "True"}
    binding = {"status": {"conditions": [condition], "errors": ["template failed"]}}
    assert policy_status(bp, binding, ["singleton"]) == {
        "observedGeneration": 4, "conditions": [condition], "errors": ["singleton", "template failed"]}
    assert policy_status(bp, None, []) == {"observedGeneration": 4}


# ---------------------------------------------------------------------------------------------- controller
@pytest.fixture
async def path():
    async with WorkloadPath(QUICKSTART_WECS) as w:
        yield w


def binding(w: WorkloadPath, name: str = "nginx-bpolicy") -> dict | None:
    return w.wds.find(BINDING, "", name)


def entries(w: WorkloadPath, name: str = "nginx-bpolicy") -> list[tuple[str, str, str]]:
    workload = (binding(w, name) or {}).get("spec", {}).get("workload", {})
    return [(e["resource"], e.get("namespace", ""), e["name"])
            for e in workload.get("clusterScope", []) + workload.get("namespaceScope", [])]


def destinations(w: WorkloadPath, name: str = "nginx-bpolicy") -> list[str]:
    return [d["clusterId"] for d in (binding(w, name) or {}).get("spec", {}).get("destinations", [])]


async def test_a_policy_gets_a_same_named_binding_it_owns(path: WorkloadPath) -> None:
    bp = path.create(path.wds, policy("nginx-bpolicy", EDGE, NGINX))
    path.create(path.wds, nginx_namespace())
    dep = path.create(path.wds, deployment("nginx-deployment"))
    await path.until(lambda: len(entries(path)) == 2)
    found = binding(path)
    assert found["metadata"]["ownerReferences"] == [{
        "apiVersion": "control.kubestellar.io/v1alpha1", "kind": "BindingPolicy", "name": "nginx-bpolicy",
        "uid": bp["metadata"]["uid"], "controller": True, "blockOwnerDeletion": False}]
    assert found["spec"]["workload"] == {
        "clusterScope": [{"group": "", "version": "v1", "resource": "namespaces", "name": "nginx",
                          "resourceVersion": path.wds.find(("", "namespaces"), "", "nginx")["metadata"]["resourceVersion"]}],
        "namespaceScope": [{"group": "apps", "version": "v1", "resource": "deployments", "namespace": "nginx",
                            "name": "nginx-deployment", "resourceVersion": dep["metadata"]["resourceVersion"]}]}
    assert destinations(path) == ["cluster1", "cluster2"]
    assert POLICY_FINALIZER in path.wds.find(BINDING_POLICY, "", "nginx-bpolicy")["metadata"]["finalizers"]


async def test_every_object_update_rewrites_the_binding(path: WorkloadPath) -> None:
    path.create(path.wds, policy("nginx-bpolicy", EDGE, NGINX))
    path.create(path.wds, nginx_namespace())
    dep = path.create(path.wds, deployment("nginx-deployment"))
    await path.until(lambda: len(entries(path)) == 2)
    await path.quiet()
    generation = binding(path)["metadata"]["generation"]

    def scale(obj: dict) -> None:
        obj["spec"]["replicas"] = 3
    updated = path.change(path.wds, dep, scale)
    await path.until(lambda: binding(path)["metadata"]["generation"] == generation + 1)
    entry = binding(path)["spec"]["workload"]["namespaceScope"][0]
    assert entry["resourceVersion"] == updated["metadata"]["resourceVersion"]


@pytest.mark.parametrize("excluded", [
    {"apiVersion": "v1", "kind": "Event", "metadata": {"name": "e", "namespace": "nginx"},
     "involvedObject": {"kind": "Pod", "name": "x"}},
    {"apiVersion": "v1", "kind": "Endpoints", "metadata": {"name": "e", "namespace": "nginx"}},
    {"apiVersion": "coordination.k8s.io/v1", "kind": "Lease", "metadata": {"name": "l", "namespace": "nginx"}},
])
async def test_excluded_kinds_never_enter_a_binding(path: WorkloadPath, excluded: dict) -> None:
    excluded = {**excluded, "metadata": {**excluded["metadata"], "labels": {"app.kubernetes.io/name": "nginx"}}}
    path.create(path.wds, policy("nginx-bpolicy", EDGE, NGINX))
    path.create(path.wds, nginx_namespace())
    path.create(path.wds, excluded)
    path.create(path.wds, deployment("nginx-deployment"))
    await path.until(lambda: len(entries(path)) == 2)
    await path.quiet()
    assert [e[0] for e in entries(path)] == ["namespaces", "deployments"]


async def test_a_policy_created_after_its_objects_finds_them(path: WorkloadPath) -> None:
    path.create(path.wds, nginx_namespace())
    path.create(path.wds, deployment("nginx-deployment"))
    path.create(path.wds, policy("nginx-bpolicy", EDGE, NGINX))
    await path.until(lambda: len(entries(path)) == 2)


async def test_clauses_merge_their_modulation(path: WorkloadPath) -> None:
    path.create(path.wds, nginx_namespace())
    path.create(path.wds, deployment("nginx-deployment"))
    label = {"matchLabels": {"app.kubernetes.io/name": "nginx"}}
    path.create(path.wds, policy("nginx", EDGE, [
        {"resources": ["namespaces"], "objectSelectors": [label]},
        {"resources": ["deployments"], "objectSelectors": [label], "createOnly": True, "statusCollectors": ["b"]},
        {"resources": ["deployments"], "objectSelectors": [label], "statusCollectors": ["a", "b"],
         "wantSingletonReportedState": True}]))
    await path.until(lambda: len(entries(path, "nginx")) == 2)
    workload = binding(path, "nginx")["spec"]["workload"]
    assert "createOnly" not in workload["clusterScope"][0]
    scoped = workload["namespaceScope"][0]
    assert (scoped["createOnly"], scoped["statusCollectors"], scoped["wantSingletonReportedState"]) == (True, ["a", "b"], True)
    assert "wantMultiWECReportedState" not in scoped


async def test_selection_follows_labels_selectors_and_clusters(path: WorkloadPath) -> None:
    path.create(path.wds, policy("nginx-bpolicy", EDGE, NGINX))
    path.create(path.wds, nginx_namespace())
    dep = path.create(path.wds, deployment("nginx-deployment"))
    await path.until(lambda: len(entries(path)) == 2 and destinations(path) == ["cluster1", "cluster2"])

    def unlabel(obj: dict) -> None:
        obj["metadata"]["labels"] = {}
    path.change(path.wds, dep, unlabel)
    await path.until(lambda: entries(path) == [("namespaces", "", "nginx")], message="object dropped")

    path.relabel_cluster("cluster2", {"location-group": "core", "name": "cluster2"})
    await path.until(lambda: destinations(path) == ["cluster1"], message="cluster dropped")

    def retarget(obj: dict) -> None:
        obj["spec"]["clusterSelectors"] = [{"matchLabels": {"name": "cluster2"}}]
    path.change(path.wds, path.wds.find(BINDING_POLICY, "", "nginx-bpolicy"), retarget)
    await path.until(lambda: destinations(path) == ["cluster2"], message="selector changed")


async def test_namespace_selectors_follow_the_namespace_labels(path: WorkloadPath) -> None:
    path.create(path.wds, policy("by-namespace", EDGE, [
        {"resources": ["deployments"], "namespaceSelectors": [{"matchLabels": {"team": "a"}}]}]))
    ns = path.create(path.wds, nginx_namespace(labels={"team": "b"}))
    path.create(path.wds, deployment("nginx-deployment"))
    await path.quiet()
    assert entries(path, "by-namespace") == []

    def join_team(obj: dict) -> None:
        obj["metadata"]["labels"] = {"team": "a"}
    path.change(path.wds, ns, join_team)
    await path.until(lambda: entries(path, "by-namespace") == [("deployments", "nginx", "nginx-deployment")])


async def test_deleting_a_policy_removes_its_binding(path: WorkloadPath) -> None:
    bp = path.create(path.wds, policy("nginx-bpolicy", EDGE, NGINX))
    await path.until(lambda: binding(path) is not None)
    path.delete(path.wds, bp)
    await path.until(lambda: binding(path) is None and path.wds.find(BINDING_POLICY, "", "nginx-bpolicy") is None)


async def test_wrong_singleton_counts_are_policy_errors(path: WorkloadPath) -> None:
    path.create(path.wds, deployment("nginx-singleton-deployment", "default",
                                     labels={"app.kubernetes.io/name": "nginx-singleton"}))
    path.create(path.wds, policy("nginx-singleton-bpolicy", EDGE, [
        {"objectSelectors": [{"matchLabels": {"app.kubernetes.io/name": "nginx-singleton"}}],
         "wantSingletonReportedState": True}]))

    def errors() -> list[str]:
        return (path.wds.find(BINDING_POLICY, "", "nginx-singleton-bpolicy").get("status") or {}).get("errors", [])
    await path.until(errors, message="singleton error")
    assert errors() == [SINGLETON_ERROR + json.dumps([{
        "ObjectID": {"GVK": {"Group": "apps", "Version": "v1", "Kind": "Deployment"}, "Resource": "deployments",
                     "ObjectName": {"Namespace": "default", "Name": "nginx-singleton-deployment"}},
        "NumWECs": 2}], separators=(",", ":"))]

    def one_cluster(obj: dict) -> None:
        obj["spec"]["clusterSelectors"] = [{"matchLabels": {"name": "cluster1"}}]
    path.change(path.wds, path.wds.find(BINDING_POLICY, "", "nginx-singleton-bpolicy"), one_cluster)
    await path.until(lambda: not errors(), message="errors cleared")


async def test_a_deleted_object_leaves_the_binding(path: WorkloadPath) -> None:
    path.create(path.wds, policy("nginx-bpolicy", EDGE, NGINX))
    path.create(path.wds, nginx_namespace())
    dep = path.create(path.wds, deployment("nginx-deployment"))
    await path.until(lambda: len(entries(path)) == 2)
    path.delete(path.wds, dep)
    await path.until(lambda: entries(path) == [("namespaces", "", "nginx")])
    assert path.wds.find(DEPLOYMENT, "nginx", "nginx-deployment") is None
