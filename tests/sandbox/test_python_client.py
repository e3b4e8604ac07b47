"""The official Python client (kubernetes 37) against the sandbox, loaded from the sandbox's kubeconfig
exactly as a user's program would: typed APIs, CustomObjectsApi, DynamicClient and watches."""

from __future__ import annotations

import itertools
import time

import pytest
import yaml
from kubernetes import client, watch
from kubernetes.client.exceptions import ApiException
from kubernetes.dynamic import DynamicClient

from ._helpers import DATA, Sandbox, running_sandbox, wait_for

CTX = "a"
_counter = itertools.count(1)


@pytest.fixture(scope="module")
def sb(tmp_path_factory: pytest.TempPathFactory):
    with running_sandbox(tmp_path_factory.mktemp("pyclient"), [CTX]) as sandbox:
        yield sandbox


@pytest.fixture(scope="module")
def api(sb: Sandbox):
    api_client = sb.api_client(CTX)
    yield api_client
    api_client.close()


@pytest.fixture
def core(api) -> client.CoreV1Api:
    return client.CoreV1Api(api)


@pytest.fixture
def ns(core: client.CoreV1Api) -> str:
    name = f"py{next(_counter)}"
    created = core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=name)))
    assert created.metadata.name == name and created.status.phase == "Active"
    return name


@pytest.fixture(scope="module")
def widgets(api) -> tuple[str, str, str]:
    """The Widget CRD, created through ApiextensionsV1Api and waited for until Established."""
    ext = client.ApiextensionsV1Api(api)
    crd = yaml.safe_load((DATA / "widget-crd.yaml").read_text())
    ext.create_custom_resource_definition(crd)

    def established() -> bool:
        got = ext.read_custom_resource_definition("widgets.example.com")
        return any(c.type == "Established" and c.status == "True" for c in (got.status.conditions or []))

    wait_for(established, timeout=30, message="the Widget CRD to be Established")
    return ("example.com", "v1", "widgets")


def widget(name: str, color: str = "red", **labels: str) -> dict:
    return {"apiVersion": "example.com/v1", "kind": "Widget",
            "metadata": {"name": name, "labels": labels or {"shape": "round"}},
            "spec": {"color": color, "replicas": 1}}


def status_of(exc: pytest.ExceptionInfo[ApiException]) -> dict:
    import json

    return json.loads(exc.value.body)


# ---- typed APIs ------------------------------------------------------------------------------------

def test_core_v1_configmap_create_list_get_patch_replace_delete(core: client.CoreV1Api, ns: str) -> None:
    body = client.V1ConfigMap(metadata=client.V1ObjectMeta(name="cfg", labels={"tier": "front"}),
                              data={"colour": "blue"})
    created = core.create_namespaced_config_map(ns, body)
    assert created.metadata.uid and created.metadata.resource_version
    assert created.metadata.creation_timestamp is not None
    core.create_namespaced_config_map(ns, client.V1ConfigMap(
        metadata=client.V1ObjectMeta(name="other", labels={"tier": "back"})))

    listed = core.list_namespaced_config_map(ns, label_selector="tier=front")
    assert [i.metadata.name for i in listed.items] == ["cfg"]
    assert int(listed.metadata.resource_version) >= int(created.metadata.resource_version)
    by_field = core.list_namespaced_config_map(ns, field_selector="metadata.name=other")
    assert [i.metadata.name for i in by_field.items] == ["other"]

    got = core.read_namespaced_config_map("cfg", ns)
    assert got.data == {"colour": "blue"} and got.metadata.labels == {"tier": "front"}

    patched = core.patch_namespaced_config_map("cfg", ns, {"data": {"size": "L"}})   # strategic merge
    assert patched.data == {"colour": "blue", "size": "L"}
    assert int(patched.metadata.resource_version) > int(created.metadata.resource_version)

    json_patched = core.patch_namespaced_config_map(
        "cfg", ns, [{"op": "remove", "path": "/data/colour"}])                        # JSON patch
    assert json_patched.data == {"size": "L"}

    json_patched.data = {"only": "this"}
    replaced = core.replace_namespaced_config_map("cfg", ns, json_patched)
    assert replaced.data == {"only": "this"}

    stale = json_patched                     # carries the resourceVersion before the replace
    stale.data = {"lost": "update"}
    with pytest.raises(ApiException) as conflict:
        core.replace_namespaced_config_map("cfg", ns, stale)
    assert conflict.value.status == 409 and status_of(conflict)["reason"] == "Conflict"
    assert core.read_namespaced_config_map("cfg", ns).data == {"only": "this"}

    core.delete_namespaced_config_map("cfg", ns)
    with pytest.raises(ApiException) as missing:
        core.read_namespaced_config_map("cfg", ns)
    assert missing.value.status == 404
    st = status_of(missing)
    assert st["kind"] == "Status" and st["reason"] == "NotFound"
    assert st["message"] == 'configmaps "cfg" not found'
    assert st["details"] == {"name": "cfg", "kind": "configmaps"}


def test_create_in_a_missing_namespace_is_404(core: client.CoreV1Api) -> None:
    with pytest.raises(ApiException) as exc:
        core.create_namespaced_config_map("nope", client.V1ConfigMap(metadata=client.V1ObjectMeta(name="x")))
    assert exc.value.status == 404
    assert status_of(exc)["message"] == 'namespaces "nope" not found'


def test_generate_name(core: client.CoreV1Api, ns: str) -> None:
    made = core.create_namespaced_config_map(ns, client.V1ConfigMap(metadata=client.V1ObjectMeta(generate_name="gen-")))
    assert made.metadata.name.startswith("gen-") and len(made.metadata.name) == len("gen-") + 5
    assert core.read_namespaced_config_map(made.metadata.name, ns).metadata.uid == made.metadata.uid


def test_apps_v1_deployment_create_list_get_patch_scale_replace_delete(api, ns: str) -> None:
    apps = client.AppsV1Api(api)
    dep = client.V1Deployment.from_dict(yaml.safe_load((DATA / "deployment.yaml").read_text()))
    created = apps.create_namespaced_deployment(ns, dep)
    assert created.metadata.generation == 1 and created.spec.replicas == 2

    everywhere = apps.list_deployment_for_all_namespaces(label_selector="app=web")
    assert (ns, "web") in [(d.metadata.namespace, d.metadata.name) for d in everywhere.items]

    patched = apps.patch_namespaced_deployment("web", ns, {"spec": {"template": {"spec": {"containers": [
        {"name": "sidecar", "image": "busybox:1.36"}]}}}})
    assert sorted(c.name for c in patched.spec.template.spec.containers) == ["sidecar", "web"]
    assert patched.metadata.generation == 2

    apps.patch_namespaced_deployment_scale("web", ns, {"spec": {"replicas": 4}})
    scale = apps.read_namespaced_deployment_scale("web", ns)
    assert scale.spec.replicas == 4 and scale.kind == "Scale"
    assert apps.read_namespaced_deployment("web", ns).spec.replicas == 4

    replaced = replace_with_retry(
        lambda: apps.read_namespaced_deployment("web", ns),
        lambda dep: setattr(dep.spec.template.spec, "containers", [client.V1Container(name="web", image="nginx:1.28")]),
        lambda dep: apps.replace_namespaced_deployment("web", ns, dep))
    assert [c.image for c in replaced.spec.template.spec.containers] == ["nginx:1.28"]

    apps.delete_namespaced_deployment("web", ns)
    wait_for(lambda: not apps.list_namespaced_deployment(ns).items, timeout=10, message="deployment gone")


def replace_with_retry(read, change, replace, attempts: int = 5):
    """Read-modify-replace, retried on 409 as client code must when a controller (here the sandbox's
    rollout of the Deployment) writes status in between."""
    for attempt in range(attempts):
        obj = read()
        change(obj)
        try:
            return replace(obj)
        except ApiException as exc:
            if exc.status != 409 or attempt == attempts - 1:
                raise
    raise AssertionError("unreachable")


def test_list_pagination_returns_every_item_once(core: client.CoreV1Api, ns: str) -> None:
    names = {f"page-{i:02d}" for i in range(7)}
    for name in names:
        core.create_namespaced_config_map(ns, client.V1ConfigMap(metadata=client.V1ObjectMeta(name=name)))
    seen: list[str] = []
    token = None
    pages = 0
    while True:
        page = core.list_namespaced_config_map(ns, limit=3, _continue=token)
        pages += 1
        assert len(page.items) <= 3
        seen += [i.metadata.name for i in page.items]
        token = page.metadata.var_continue
        if not token:
            break
    everything = [i.metadata.name for i in core.list_namespaced_config_map(ns).items]   # + kube-root-ca.crt
    assert names <= set(everything)
    assert pages == -(-len(everything) // 3)
    assert sorted(seen) == sorted(everything) and len(seen) == len(set(seen))


# ---- custom resources ----------------------------------------------------------------------------------

def test_custom_objects_api_create_list_get_patch_replace_delete(api, ns: str, widgets) -> None:
    group, version, plural = widgets
    co = client.CustomObjectsApi(api)
    created = co.create_namespaced_custom_object(group, version, ns, plural, widget("w1"))
    assert created["metadata"]["uid"] and created["metadata"]["generation"] == 1
    co.create_namespaced_custom_object(group, version, ns, plural, widget("w2", "blue", shape="square"))

    listed = co.list_namespaced_custom_object(group, version, ns, plural, label_selector="shape=round")
    assert listed["kind"] == "WidgetList" and [i["metadata"]["name"] for i in listed["items"]] == ["w1"]
    everywhere = co.list_cluster_custom_object(group, version, plural)
    assert {"w1", "w2"} <= {i["metadata"]["name"] for i in everywhere["items"]}

    got = co.get_namespaced_custom_object(group, version, ns, plural, "w1")
    assert got["spec"] == {"color": "red", "replicas": 1}

    patched = co.patch_namespaced_custom_object(group, version, ns, plural, "w1", {"spec": {"color": "green"}})
    assert patched["spec"] == {"color": "green", "replicas": 1}
    assert patched["metadata"]["generation"] == 2

    status = co.patch_namespaced_custom_object_status(group, version, ns, plural, "w1", {"status": {"replicas": 1}})
    assert status["status"] == {"replicas": 1} and status["metadata"]["generation"] == 2

    scale = co.get_namespaced_custom_object_scale(group, version, ns, plural, "w1")
    assert scale["spec"]["replicas"] == 1 and scale["status"]["replicas"] == 1

    got = co.get_namespaced_custom_object(group, version, ns, plural, "w1")
    got["spec"]["color"] = "blue"
    replaced = co.replace_namespaced_custom_object(group, version, ns, plural, "w1", got)
    assert replaced["spec"]["color"] == "blue" and replaced["status"] == {"replicas": 1}

    with pytest.raises(ApiException) as invalid:
        co.patch_namespaced_custom_object(group, version, ns, plural, "w1", {"spec": {"color": "purple"}})
    assert invalid.value.status == 422
    st = status_of(invalid)
    assert st["reason"] == "Invalid" and st["details"]["causes"][0]["field"] == "spec.color"
    assert co.get_namespaced_custom_object(group, version, ns, plural, "w1")["spec"]["color"] == "blue"

    co.delete_namespaced_custom_object(group, version, ns, plural, "w1")
    with pytest.raises(ApiException) as gone:
        co.get_namespaced_custom_object(group, version, ns, plural, "w1")
    assert gone.value.status == 404
    assert status_of(gone)["message"] == 'widgets.example.com "w1" not found'


def test_dynamic_client_crud_on_builtin_and_custom_resources(api, ns: str, widgets, tmp_path) -> None:
    dyn = DynamicClient(api, cache_file=str(tmp_path / "discovery.json"))

    cms = dyn.resources.get(api_version="v1", kind="ConfigMap")
    assert cms.namespaced and cms.name == "configmaps"
    dyn.create(cms, body={"metadata": {"name": "dyn", "labels": {"k": "v"}}, "data": {"a": "1"}}, namespace=ns)
    assert [i.metadata.name for i in dyn.get(cms, namespace=ns, label_selector="k=v").items] == ["dyn"]
    dyn.patch(cms, name="dyn", namespace=ns, body={"data": {"b": "2"}})
    assert dict(dyn.get(cms, name="dyn", namespace=ns).data) == {"a": "1", "b": "2"}

    wds = dyn.resources.get(api_version="example.com/v1", kind="Widget")
    assert wds.namespaced and wds.name == "widgets" and "wd" in wds.short_names
    dyn.create(wds, body=widget("dw"), namespace=ns)
    got = dyn.get(wds, name="dw", namespace=ns)
    assert got.spec.color == "red"
    assert [i.metadata.name for i in dyn.get(wds, namespace=ns).items] == ["dw"]

    dyn.patch(wds, name="dw", namespace=ns, body={"spec": {"replicas": 3}},
              content_type="application/merge-patch+json")
    body = dyn.get(wds, name="dw", namespace=ns).to_dict()
    assert body["spec"] == {"color": "red", "replicas": 3}
    body["spec"]["color"] = "green"
    replaced = dyn.replace(wds, body=body, namespace=ns)
    assert replaced.spec.color == "green"

    dyn.delete(wds, name="dw", namespace=ns)
    dyn.delete(cms, name="dyn", namespace=ns)
    assert dyn.get(wds, namespace=ns).items == []
    assert [i.metadata.name for i in dyn.get(cms, namespace=ns).items if i.metadata.name == "dyn"] == []


# ---- watches -----------------------------------------------------------------------------------------

def collect(func, *args, count: int, timeout: int = 10, **kwargs) -> list[tuple[str, str, int]]:
    """The first `count` events of a watch as (type, name, resourceVersion)."""
    w = watch.Watch()
    events: list[tuple[str, str, int]] = []
    for ev in w.stream(func, *args, timeout_seconds=timeout, **kwargs):
        if ev["type"] == "BOOKMARK":
            continue
        raw = ev["raw_object"]
        events.append((ev["type"], raw["metadata"]["name"], int(raw["metadata"]["resourceVersion"])))
        if len(events) >= count:
            w.stop()
            break
    return events


def test_watch_resumes_from_a_resource_version_without_duplicates(core: client.CoreV1Api, ns: str) -> None:
    core.create_namespaced_config_map(ns, client.V1ConfigMap(metadata=client.V1ObjectMeta(name="a")))
    rv0 = core.list_namespaced_config_map(ns).metadata.resource_version
    core.create_namespaced_config_map(ns, client.V1ConfigMap(metadata=client.V1ObjectMeta(name="b")))
    core.create_namespaced_config_map(ns, client.V1ConfigMap(metadata=client.V1ObjectMeta(name="c")))
    core.patch_namespaced_config_map("b", ns, {"data": {"x": "1"}})
    core.delete_namespaced_config_map("c", ns)

    events = collect(core.list_namespaced_config_map, ns, count=4, resource_version=rv0)
    assert [(t, n) for t, n, _ in events] == [("ADDED", "b"), ("ADDED", "c"), ("MODIFIED", "b"), ("DELETED", "c")]
    rvs = [rv for _, _, rv in events]
    assert rvs == sorted(rvs) and len(set(rvs)) == 4 and rvs[0] > int(rv0)

    resumed = collect(core.list_namespaced_config_map, ns, count=2, resource_version=str(rvs[1]))
    assert resumed == events[2:]

    # from the newest version: nothing old is replayed; the next write is the first event
    latest = str(rvs[-1])
    core.create_namespaced_config_map(ns, client.V1ConfigMap(metadata=client.V1ObjectMeta(name="d")))
    fresh = collect(core.list_namespaced_config_map, ns, count=1, resource_version=latest)
    assert [(t, n) for t, n, _ in fresh] == [("ADDED", "d")]


def test_watch_from_expired_history_is_410_gone_then_relist_recovers(sb: Sandbox, core: client.CoreV1Api,
                                                                       ns: str) -> None:
    core.create_namespaced_config_map(ns, client.V1ConfigMap(metadata=client.V1ObjectMeta(name="old")))
    old_rv = core.list_namespaced_config_map(ns).metadata.resource_version
    core.create_namespaced_config_map(ns, client.V1ConfigMap(metadata=client.V1ObjectMeta(name="newer")))
    sb.fault("expire-history", CTX)

    with pytest.raises(ApiException) as gone:
        collect(core.list_namespaced_config_map, ns, count=1, resource_version=old_rv, timeout=5)
    assert gone.value.status == 410

    relisted = core.list_namespaced_config_map(ns)
    assert {"old", "newer"} <= {i.metadata.name for i in relisted.items}
    core.create_namespaced_config_map(ns, client.V1ConfigMap(metadata=client.V1ObjectMeta(name="after")))
    events = collect(core.list_namespaced_config_map, ns, count=1,
                     resource_version=relisted.metadata.resource_version)
    assert [(t, n) for t, n, _ in events] == [("ADDED", "after")]


def test_watch_bookmarks(core: client.CoreV1Api, ns: str) -> None:
    core.create_namespaced_config_map(ns, client.V1ConfigMap(metadata=client.V1ObjectMeta(name="bm")))
    rv = int(core.list_namespaced_config_map(ns).metadata.resource_version)
    w = watch.Watch()
    bookmarks = []
    for ev in w.stream(core.list_namespaced_config_map, ns, resource_version=str(rv),
                       allow_watch_bookmarks=True, timeout_seconds=5):
        if ev["type"] == "BOOKMARK":
            bookmarks.append(ev["raw_object"])
            w.stop()
            break
    assert bookmarks, "a watch with allowWatchBookmarks=true and timeoutSeconds=5 got no BOOKMARK"
    bm = bookmarks[0]
    assert bm["kind"] == "ConfigMap" and bm["apiVersion"] == "v1"
    assert int(bm["metadata"]["resourceVersion"]) >= rv


def test_timeout_seconds_ends_the_watch(core: client.CoreV1Api, ns: str) -> None:
    rv = core.list_namespaced_config_map(ns).metadata.resource_version
    started = time.monotonic()
    events = list(watch.Watch().stream(core.list_namespaced_config_map, ns, resource_version=rv,
                                       timeout_seconds=1, _request_timeout=30))
    elapsed = time.monotonic() - started
    assert events == []
    assert elapsed < 10, f"the watch should end after ~1s, took {elapsed:.1f}s"


def test_watch_sees_custom_resources(api, ns: str, widgets) -> None:
    group, version, plural = widgets
    co = client.CustomObjectsApi(api)
    rv = co.list_namespaced_custom_object(group, version, ns, plural)["metadata"]["resourceVersion"]
    co.create_namespaced_custom_object(group, version, ns, plural, widget("ww"))
    co.patch_namespaced_custom_object(group, version, ns, plural, "ww", {"spec": {"color": "blue"}})
    events = collect(co.list_namespaced_custom_object, group, version, ns, plural, count=2, resource_version=rv)
    assert [(t, n) for t, n, _ in events] == [("ADDED", "ww"), ("MODIFIED", "ww")]
