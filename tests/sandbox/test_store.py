"""ClusterStore semantics as in-process controllers see them (the HTTP side is in test_server_*)."""

from __future__ import annotations

import orjson
import pytest

from kstellar_tui.core.fleet.selectors import parse_selector
from kstellar_tui.sandbox.apiserver.errors import ApiError
from kstellar_tui.sandbox.apiserver.persistence import Database
from kstellar_tui.sandbox.apiserver.store import ClusterStore


@pytest.fixture
def store() -> ClusterStore:
    return ClusterStore("test")


def rt(store: ClusterStore, group: str, version: str, plural: str):
    found = store.registry.lookup(group, version, plural)
    assert found is not None
    return found


def names(items: list[dict]) -> list[str]:
    return [i["metadata"]["name"] for i in items]


def cm(name: str, namespace: str = "default", **extra) -> dict:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": namespace, **extra},
            "data": {"k": "v"}}


def deployment(name: str, replicas: int = 1, **meta) -> dict:
    return {"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": name, "namespace": "default", **meta},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                     "template": {"metadata": {"labels": {"app": name}},
                                  "spec": {"containers": [{"name": "c", "image": "i"}]}}}}


async def drain(watch) -> list[tuple[str, dict]]:
    """Everything the watch has ready now, decoded."""
    lines = await watch.next_batch(0.01) or []
    events = [orjson.loads(line) for chunk in lines for line in chunk.splitlines()]
    return [(e["type"], e["object"]) for e in events]


def test_a_new_cluster_has_the_system_namespaces_and_their_defaults(store: ClusterStore) -> None:
    namespaces = names(store.list(rt(store, "", "v1", "namespaces"))[0])
    assert namespaces == ["default", "kube-node-lease", "kube-public", "kube-system"]
    accounts = store.list(rt(store, "", "v1", "serviceaccounts"))[0]
    assert sorted((a["metadata"]["namespace"], a["metadata"]["name"]) for a in accounts) == [
        (ns, "default") for ns in namespaces]
    ca = store.get(rt(store, "", "v1", "configmaps"), "kube-system", "kube-root-ca.crt")
    assert "ca.crt" in ca["data"]


def test_create_sets_server_fields_and_resource_versions_increase(store: ClusterStore) -> None:
    configmaps = rt(store, "", "v1", "configmaps")
    first = store.create(configmaps, cm("a"))
    second = store.create(configmaps, cm("b"))
    assert first["metadata"]["uid"] and first["metadata"]["creationTimestamp"].endswith("Z")
    assert int(second["metadata"]["resourceVersion"]) == int(first["metadata"]["resourceVersion"]) + 1
    assert "generation" not in first["metadata"]
    with pytest.raises(ApiError) as duplicate:
        store.create(configmaps, cm("a"))
    assert duplicate.value.code == 409 and duplicate.value.reason == "AlreadyExists"


def test_generation_counts_spec_changes_only_and_no_op_writes_change_nothing(store: ClusterStore) -> None:
    deployments = rt(store, "apps", "v1", "deployments")
    created = store.create(deployments, deployment("web"))
    assert created["metadata"]["generation"] == 1
    events = []
    store.subscribe(lambda kind, _rt, obj: events.append(kind))
    rv = store.rv
    assert store.update(deployments, created) == created
    assert store.rv == rv and events == []
    labelled = {**created, "metadata": {**created["metadata"], "labels": {"a": "b"}}}
    relabelled = store.update(deployments, labelled)
    assert relabelled["metadata"]["generation"] == 1
    scaled = {**relabelled, "spec": {**relabelled["spec"], "replicas": 3}}
    assert store.update(deployments, scaled)["metadata"]["generation"] == 2
    assert events == ["MODIFIED", "MODIFIED"]


def test_stale_resource_versions_conflict(store: ClusterStore) -> None:
    configmaps = rt(store, "", "v1", "configmaps")
    created = store.create(configmaps, cm("a"))
    store.update(configmaps, {**created, "data": {"k": "2"}})
    with pytest.raises(ApiError) as stale:
        store.update(configmaps, {**created, "data": {"k": "3"}})
    assert stale.value.code == 409 and stale.value.reason == "Conflict"


def test_generate_name_and_dry_run(store: ClusterStore) -> None:
    configmaps = rt(store, "", "v1", "configmaps")
    made = store.create(configmaps, {"metadata": {"generateName": "job-", "namespace": "default"}})
    assert made["metadata"]["name"].startswith("job-") and len(made["metadata"]["name"]) == 9
    rv = store.rv
    store.create(configmaps, cm("dry"), dry_run=True)
    assert store.rv == rv
    with pytest.raises(ApiError):
        store.get(configmaps, "default", "dry")


def test_status_subresource_rules(store: ClusterStore) -> None:
    deployments = rt(store, "apps", "v1", "deployments")
    created = store.create(deployments, {**deployment("web"), "status": {"replicas": 9}})
    assert "status" not in created
    with_status = store.update(deployments, {**created, "status": {"readyReplicas": 1}}, subresource="status")
    assert with_status["status"] == {"readyReplicas": 1}
    ignored = store.update(deployments, {**with_status, "status": {"readyReplicas": 5}})
    assert ignored["metadata"]["resourceVersion"] == with_status["metadata"]["resourceVersion"]
    assert store.get(deployments, "default", "web")["status"] == {"readyReplicas": 1}


def test_namespaced_creates_need_a_live_namespace(store: ClusterStore) -> None:
    configmaps = rt(store, "", "v1", "configmaps")
    with pytest.raises(ApiError) as missing:
        store.create(configmaps, cm("a", "nowhere"))
    assert missing.value.code == 404 and missing.value.message == 'namespaces "nowhere" not found'


def test_finalizers_keep_an_object_until_the_last_one_is_removed(store: ClusterStore) -> None:
    configmaps = rt(store, "", "v1", "configmaps")
    store.create(configmaps, cm("held", finalizers=["example.com/hold"]))
    marked = store.delete(configmaps, "default", "held")
    assert marked["metadata"]["deletionTimestamp"]
    kept = store.get(configmaps, "default", "held")
    with pytest.raises(ApiError) as forbidden:
        store.update(configmaps, {**kept, "metadata": {**kept["metadata"], "finalizers": ["example.com/hold", "x/y"]}})
    assert forbidden.value.code == 422
    released = {**kept, "metadata": {**kept["metadata"], "finalizers": []}}
    store.update(configmaps, released)
    with pytest.raises(ApiError):
        store.get(configmaps, "default", "held")


def _owned(store: ClusterStore, owner: dict, name: str, block: bool = False) -> dict:
    ref = {"apiVersion": owner["apiVersion"], "kind": owner["kind"], "name": owner["metadata"]["name"],
           "uid": owner["metadata"]["uid"]}
    if block:
        ref["blockOwnerDeletion"] = True
    return store.create(rt(store, "", "v1", "configmaps"), cm(name, ownerReferences=[ref]))


@pytest.mark.parametrize("policy, survivors", [("Background", []), ("Foreground", []), ("Orphan", ["child"])])
def test_garbage_collection_follows_the_propagation_policy(store: ClusterStore, policy: str, survivors) -> None:
    deployments, configmaps = rt(store, "apps", "v1", "deployments"), rt(store, "", "v1", "configmaps")
    owner = store.create(deployments, deployment("web"))
    _owned(store, owner, "child", block=True)
    store.delete(deployments, "default", "web", options={"propagationPolicy": policy})
    assert names(store.list(deployments, "default")[0]) == []
    left = [n for n in names(store.list(configmaps, "default")[0]) if n == "child"]
    assert left == survivors
    if survivors:
        assert "ownerReferences" not in store.get(configmaps, "default", "child")["metadata"]


def test_foreground_deletion_waits_for_blocking_dependents(store: ClusterStore) -> None:
    deployments, configmaps = rt(store, "apps", "v1", "deployments"), rt(store, "", "v1", "configmaps")
    owner = store.create(deployments, deployment("web"))
    child = _owned(store, owner, "child", block=True)
    store.update(configmaps, {**child, "metadata": {**child["metadata"], "finalizers": ["x.io/hold"]}})
    store.delete(deployments, "default", "web", options={"propagationPolicy": "Foreground"})
    waiting = store.get(deployments, "default", "web")
    assert waiting["metadata"]["finalizers"] == ["foregroundDeletion"]
    held = store.get(configmaps, "default", "child")
    store.update(configmaps, {**held, "metadata": {**held["metadata"], "finalizers": []}})
    with pytest.raises(ApiError):
        store.get(deployments, "default", "web")


def test_every_owner_deleted_in_the_foreground_goes_with_their_shared_dependent(store: ClusterStore) -> None:
    deployments, configmaps = rt(store, "apps", "v1", "deployments"), rt(store, "", "v1", "configmaps")
    owners = [store.create(deployments, deployment(n)) for n in ("a", "b")]
    refs = [{"apiVersion": "apps/v1", "kind": "Deployment", "name": o["metadata"]["name"],
             "uid": o["metadata"]["uid"], "blockOwnerDeletion": True} for o in owners]
    store.create(configmaps, cm("shared", ownerReferences=refs, finalizers=["x.io/hold"]))
    for name in ("a", "b"):
        store.delete(deployments, "default", name, options={"propagationPolicy": "Foreground"})
    held = store.get(configmaps, "default", "shared")
    store.update(configmaps, {**held, "metadata": {**held["metadata"], "finalizers": []}})
    assert store.list(deployments, "default")[0] == []


def test_a_dependent_with_another_live_owner_only_loses_the_reference(store: ClusterStore) -> None:
    deployments, configmaps = rt(store, "apps", "v1", "deployments"), rt(store, "", "v1", "configmaps")
    first, second = store.create(deployments, deployment("a")), store.create(deployments, deployment("b"))
    refs = [{"apiVersion": "apps/v1", "kind": "Deployment", "name": o["metadata"]["name"], "uid": o["metadata"]["uid"]}
            for o in (first, second)]
    store.create(configmaps, cm("shared", ownerReferences=refs))
    store.delete(deployments, "default", "a")
    assert [r["name"] for r in store.get(configmaps, "default", "shared")["metadata"]["ownerReferences"]] == ["b"]


def test_deleting_a_namespace_removes_its_objects_then_itself(store: ClusterStore) -> None:
    namespaces, configmaps = rt(store, "", "v1", "namespaces"), rt(store, "", "v1", "configmaps")
    store.create(namespaces, {"metadata": {"name": "team"}})
    store.create(configmaps, cm("a", "team"))
    seen = []
    store.subscribe(lambda kind, t, obj: seen.append((kind, t.plural, obj["metadata"]["name"],
                                                      (obj.get("status") or {}).get("phase"))))
    store.delete(namespaces, None, "team")
    assert seen[0] == ("MODIFIED", "namespaces", "team", "Terminating")
    assert seen[-1] == ("DELETED", "namespaces", "team", "Terminating")
    assert store.list(configmaps, "team")[0] == []
    with pytest.raises(ApiError) as protected:
        store.delete(namespaces, None, "default")
    assert protected.value.code == 403


async def test_watch_resumes_without_replay_and_expires_with_410() -> None:
    store = ClusterStore("small", history_size=5)
    configmaps = rt(store, "", "v1", "configmaps")
    start = store.rv
    store.create(configmaps, cm("a"))
    store.create(configmaps, cm("b"))
    resumed = store.watch(configmaps, "default", str(start + 1))
    assert [(t, o["metadata"]["name"]) for t, o in await drain(resumed)] == [("ADDED", "b")]
    for i in range(6):
        store.create(configmaps, cm(f"x{i}"))
    with pytest.raises(ApiError) as expired:
        store.watch(configmaps, None, str(start))
    assert expired.value.code == 410
    store.compact()
    with pytest.raises(ApiError):
        store.watch(configmaps, None, str(store.rv - 1))
    assert store.watch(configmaps, None, str(store.rv)) is not None


async def test_a_selector_watch_sees_objects_enter_and_leave(store: ClusterStore) -> None:
    configmaps = rt(store, "", "v1", "configmaps")
    created = store.create(configmaps, cm("a"))
    watch = store.watch(configmaps, "default", str(store.rv), parse_selector("team=blue"))
    blue = store.update(configmaps, {**created, "metadata": {**created["metadata"], "labels": {"team": "blue"}}})
    store.update(configmaps, {**blue, "metadata": {**blue["metadata"], "labels": {"team": "red"}}})
    events = await drain(watch)
    assert [(t, o["metadata"].get("labels")) for t, o in events] == [
        ("ADDED", {"team": "blue"}), ("DELETED", {"team": "blue"})]
    assert events[1][1]["metadata"]["resourceVersion"] == str(store.rv)


def test_objects_and_resource_versions_survive_a_reopen(tmp_path) -> None:
    path = tmp_path / "c.sqlite"
    first = ClusterStore("c", database=Database(path))
    configmaps = rt(first, "", "v1", "configmaps")
    made = first.create(configmaps, cm("kept"))
    rv = first.rv
    first.close()
    again = ClusterStore("c", database=Database(path))
    assert again.get(rt(again, "", "v1", "configmaps"), "default", "kept") == made
    assert again.rv == rv
    assert int(again.create(rt(again, "", "v1", "configmaps"), cm("next"))["metadata"]["resourceVersion"]) > rv
    again.close()


def test_services_get_a_cluster_ip_that_updates_keep(store: ClusterStore) -> None:
    services = rt(store, "", "v1", "services")
    made = store.create(services, {"metadata": {"name": "web", "namespace": "default"},
                                   "spec": {"selector": {"app": "web"}, "ports": [{"port": 80}]}})
    address = made["spec"]["clusterIP"]
    assert address.startswith("10.") and made["spec"]["ports"] == [{"port": 80, "protocol": "TCP", "targetPort": 80}]
    replaced = {**made, "spec": {"selector": {"app": "api"}, "ports": [{"port": 80}]}}
    updated = store.update(services, replaced)
    assert updated["spec"]["clusterIP"] == address and updated["spec"]["ports"] == made["spec"]["ports"]
