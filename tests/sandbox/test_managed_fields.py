"""Field ownership as kube-apiserver keeps it: server-side apply (merge, removal of dropped fields,
conflicts, force) and the Update entries of other writes, in metadata.managedFields' own format."""

from __future__ import annotations

import copy

import pytest

from kstellar_tui.sandbox.apiserver.errors import ApiError
from kstellar_tui.sandbox.apiserver.fieldsets import from_fields_v1, path_text, to_fields_v1
from kstellar_tui.sandbox.apiserver.managedfields import apply, field_manager, record_update
from kstellar_tui.sandbox.apiserver.resources import BUILTIN_TYPES, ResourceType
from tests.sandbox.apiserver_harness import Api, api_fixture, sandbox_fixture  # noqa: F401 (fixtures)


def _builtin(kind: str) -> ResourceType:
    return next(rt for rt in BUILTIN_TYPES if rt.kind == kind and rt.group != "events.k8s.io")


CONFIGMAP, DEPLOYMENT, NAMESPACE = map(_builtin, ("ConfigMap", "Deployment", "Namespace"))
WIDGET_SCHEMA = {
    "type": "object",
    "properties": {
        "spec": {"type": "object", "properties": {
            "ports": {"type": "array", "x-kubernetes-list-type": "map",
                      "x-kubernetes-list-map-keys": ["name", "protocol"],
                      "items": {"type": "object", "properties": {"extra": {"type": "object"}}}},
            "tags": {"type": "array", "items": {"type": "string"}},
            "flags": {"type": "array", "x-kubernetes-list-type": "set", "items": {"type": "string"}},
            "byName": {"type": "object", "additionalProperties": {
                "type": "array", "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["id"]}},
        }},
        "status": {"type": "object", "properties": {"phase": {"type": "string"}}},
    },
}
WIDGET = ResourceType(group="example.com", version="v1", kind="Widget", plural="widgets", singular="widget",
                      namespaced=True, subresources=frozenset({"status"}), schema=WIDGET_SCHEMA, builtin=False)
T1, T2, T3 = "2025-01-01T00:00:01Z", "2025-01-01T00:00:02Z", "2025-01-01T00:00:03Z"


def cm(**data: str) -> dict:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": "ns"}, "data": data}


def stored(obj: dict) -> dict:
    """`obj` as the store keeps it (server-set metadata added)."""
    out = copy.deepcopy(obj)
    out["metadata"].update(uid="u-1", resourceVersion="7", creationTimestamp=T1)
    return out


def entries(obj: dict) -> list[tuple[str, str, dict]]:
    return [(e["manager"], e["operation"], e["fieldsV1"]) for e in obj["metadata"]["managedFields"]]


def widget(spec: dict, **more) -> dict:
    return {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w", "namespace": "ns"},
            "spec": spec, **more}


def _raises(call, *args, **kwargs) -> ApiError:
    with pytest.raises(ApiError) as info:
        call(*args, **kwargs)
    return info.value


# --------------------------------------------------------------------------- apply: the fields a manager owns

def test_apply_records_the_appliers_fields_in_upstream_format():
    result = apply(None, cm(color="red", size="s"), CONFIGMAP, "kubectl", now=T1)
    assert result["data"] == {"color": "red", "size": "s"}
    assert result["metadata"]["managedFields"] == [{
        "manager": "kubectl", "operation": "Apply", "apiVersion": "v1", "time": T1, "fieldsType": "FieldsV1",
        "fieldsV1": {"f:data": {"f:color": {}, "f:size": {}}}}]


def test_apply_names_list_items_by_key_and_set_items_by_value():
    config = {"apiVersion": "apps/v1", "kind": "Deployment",
              "metadata": {"name": "web", "namespace": "ns", "finalizers": ["a.io/x"], "labels": {"app": "web"}},
              "spec": {"replicas": 2, "template": {"spec": {"containers": [{"name": "web", "image": "nginx"}]}}}}
    fields = apply(None, config, DEPLOYMENT, "kubectl", now=T1)["metadata"]["managedFields"][0]["fieldsV1"]
    assert fields == {
        "f:metadata": {"f:finalizers": {'v:"a.io/x"': {}}, "f:labels": {"f:app": {}}},
        "f:spec": {"f:replicas": {}, "f:template": {"f:spec": {"f:containers": {
            'k:{"name":"web"}': {".": {}, "f:image": {}, "f:name": {}}}}}},
    }


def test_reapplying_without_a_field_removes_it_unless_another_manager_owns_it():
    first = stored(apply(None, cm(color="red", size="s", shape="round"), CONFIGMAP, "kubectl", now=T1))
    shared = stored(apply(first, cm(shape="round"), CONFIGMAP, "helper", now=T2))  # same value: shared, no conflict
    result = apply(shared, cm(color="blue"), CONFIGMAP, "kubectl", now=T3)
    assert result["data"] == {"color": "blue", "shape": "round"}
    assert entries(result) == [("helper", "Apply", {"f:data": {"f:shape": {}}}),
                               ("kubectl", "Apply", {"f:data": {"f:color": {}}})]
    assert result["metadata"]["uid"] == "u-1", "fields nobody applies stay"


def test_reapplying_without_a_list_item_removes_the_item():
    def deploy(*names: str) -> dict:
        return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "ns"},
                "spec": {"template": {"spec": {"containers": [{"name": n, "image": n} for n in names]}}}}

    both = stored(apply(None, deploy("web", "side"), DEPLOYMENT, "kubectl", now=T1))
    result = apply(both, deploy("web"), DEPLOYMENT, "kubectl", now=T2)
    assert result["spec"]["template"]["spec"]["containers"] == [{"name": "web", "image": "web"}]


def test_a_field_another_applier_owns_is_a_conflict_with_upstreams_wording():
    live = stored(apply(None, cm(color="blue"), CONFIGMAP, "kubectl", now=T1))
    error = _raises(apply, live, cm(color="green"), CONFIGMAP, "other", now=T2)
    assert (error.code, error.reason, error.message) == (
        409, "Conflict", 'Apply failed with 1 conflict: conflict with "kubectl": .data.color')
    assert error.details == {"causes": [
        {"reason": "FieldManagerConflict", "message": 'conflict with "kubectl"', "field": ".data.color"}]}


def test_force_takes_the_field_over():
    live = stored(apply(None, cm(color="blue", size="s"), CONFIGMAP, "kubectl", now=T1))
    result = apply(live, cm(color="green"), CONFIGMAP, "other", force=True, now=T2)
    assert result["data"] == {"color": "green", "size": "s"}
    assert entries(result) == [("kubectl", "Apply", {"f:data": {"f:size": {}}}),
                               ("other", "Apply", {"f:data": {"f:color": {}}})]


def test_conflicts_with_several_managers_are_listed_by_manager():
    live = stored(apply(None, cm(a="1"), CONFIGMAP, "one", now=T1))
    live = stored(record_update(CONFIGMAP, live, {**live, "data": {"a": "1", "b": "2"}}, "editor", now=T2))
    error = _raises(apply, live, cm(a="x", b="y"), CONFIGMAP, "three", now=T3)
    assert error.message == ('Apply failed with 2 conflicts: conflicts with "editor" using v1:\n- .data.b\n'
                             'conflicts with "one":\n- .data.a')


def test_a_no_op_apply_keeps_the_entry_as_it_was():
    live = stored(apply(None, cm(color="red"), CONFIGMAP, "kubectl", now=T1))
    again = apply(live, cm(color="red"), CONFIGMAP, "kubectl", now=T2)
    assert again == live


def test_an_applied_configuration_may_not_carry_managed_fields():
    config = cm(color="red")
    config["metadata"]["managedFields"] = [{"manager": "forged"}]
    error = _raises(apply, None, config, CONFIGMAP, "kubectl")
    assert (error.code, error.message) == (400, "metadata.managedFields must be nil")


@pytest.mark.parametrize("live_spec, applied_spec, expected_spec", [
    pytest.param({"ports": [{"name": "a", "protocol": "TCP", "port": 1}, {"name": "a", "protocol": "UDP", "port": 2}]},
                 {"ports": [{"name": "a", "protocol": "UDP", "port": 3}, {"name": "b", "protocol": "TCP", "port": 4}]},
                 {"ports": [{"name": "a", "protocol": "TCP", "port": 1}, {"name": "a", "protocol": "UDP", "port": 3},
                            {"name": "b", "protocol": "TCP", "port": 4}]}, id="list-map-merged-by-all-keys"),
    pytest.param({"ports": [{"name": "a", "protocol": "TCP", "extra": {"x": 1}}]},
                 {"ports": [{"name": "a", "protocol": "TCP", "extra": {"y": 2}}]},
                 {"ports": [{"name": "a", "protocol": "TCP", "extra": {"x": 1, "y": 2}}]}, id="list-map-items-merge"),
    pytest.param({"byName": {"k": [{"id": 1, "v": "a"}]}}, {"byName": {"k": [{"id": 2, "v": "b"}]}},
                 {"byName": {"k": [{"id": 1, "v": "a"}, {"id": 2, "v": "b"}]}},
                 id="list-map-under-additionalProperties"),
    pytest.param({"flags": ["a", "b"]}, {"flags": ["c", "a"]}, {"flags": ["c", "a", "b"]}, id="set-union"),
    pytest.param({"tags": ["a", "b"], "keep": 1}, {"tags": ["c"]}, {"tags": ["c"], "keep": 1},
                 id="atomic-list-replaced"),
    pytest.param({"tags": ["a"], "gone": 1}, {"gone": None}, {"tags": ["a"]}, id="null-deletes"),
])
def test_apply_merges_custom_resources_by_schema(live_spec, applied_spec, expected_spec):
    result = apply(stored(widget(live_spec)), widget(applied_spec), WIDGET, "ctl", now=T1)
    assert result["spec"] == expected_spec


def test_custom_resource_fields_are_keyed_by_every_map_key_and_status_is_not_owned_through_the_main_resource():
    config = widget({"ports": [{"name": "a", "protocol": "TCP"}]}, status={"phase": "Ready"})
    fields = apply(None, config, WIDGET, "ctl", now=T1)["metadata"]["managedFields"][0]["fieldsV1"]
    assert fields == {"f:spec": {"f:ports": {'k:{"name":"a","protocol":"TCP"}': {
        ".": {}, "f:name": {}, "f:protocol": {}}}}}


def test_status_apply_owns_status_only():
    live = stored(widget({"tags": ["a"]}))
    result = apply(live, widget({"tags": ["b"]}, status={"phase": "Ready"}), WIDGET, "agent", subresource="status",
                   now=T1)
    assert result["metadata"]["managedFields"] == [{
        "manager": "agent", "operation": "Apply", "apiVersion": "example.com/v1", "time": T1,
        "fieldsType": "FieldsV1", "fieldsV1": {"f:status": {"f:phase": {}}}, "subresource": "status"}]


# --------------------------------------------------------------------------- updates

def test_a_create_records_an_update_entry_with_the_added_maps():
    result = record_update(CONFIGMAP, None, {**cm(color="red"), "metadata": {"name": "c", "labels": {"a": "b"}}},
                           "kubectl-create", now=T1)
    assert result["metadata"]["managedFields"] == [{
        "manager": "kubectl-create", "operation": "Update", "apiVersion": "v1", "time": T1, "fieldsType": "FieldsV1",
        "fieldsV1": {"f:data": {".": {}, "f:color": {}}, "f:metadata": {"f:labels": {".": {}, "f:a": {}}}}}]


def test_an_update_takes_the_fields_it_changes_from_their_managers():
    live = stored(apply(None, cm(color="red", size="s"), CONFIGMAP, "kubectl", now=T1))
    result = record_update(CONFIGMAP, live, {**live, "data": {"color": "red", "size": "m"}}, "kubectl-edit", now=T2)
    assert entries(result) == [("kubectl", "Apply", {"f:data": {"f:color": {}}}),
                               ("kubectl-edit", "Update", {"f:data": {"f:size": {}}})]
    assert result["metadata"]["managedFields"][1]["time"] == T2


def test_an_update_that_removes_a_field_takes_it_from_everyone_and_an_empty_entry_goes():
    live = stored(apply(None, cm(size="s"), CONFIGMAP, "kubectl", now=T1))
    result = record_update(CONFIGMAP, live, {**live, "data": {}}, "kubectl-edit", now=T2)
    assert result["metadata"]["managedFields"] == []


def test_an_update_that_changes_nothing_leaves_the_entries_alone():
    live = stored(record_update(CONFIGMAP, None, cm(color="red"), "kubectl-create", now=T1))
    assert record_update(CONFIGMAP, live, copy.deepcopy(live), "kubectl-edit", now=T2) == live


def test_a_write_may_reset_managed_fields_but_a_subresource_write_may_not():
    live = stored(record_update(CONFIGMAP, None, cm(color="red"), "kubectl-create", now=T1))
    reset = copy.deepcopy(live)
    reset["metadata"]["managedFields"] = [{}]
    assert record_update(CONFIGMAP, live, reset, "x", now=T2)["metadata"]["managedFields"] == []
    live_widget = stored(record_update(WIDGET, None, widget({"tags": ["a"]}), "maker", now=T1))
    forged = {**live_widget, "status": {"phase": "Ready"},
              "metadata": {**live_widget["metadata"], "managedFields": [{}]}}
    result = record_update(WIDGET, live_widget, forged, "agent", subresource="status", now=T2)
    assert [(m, op) for m, op, _ in entries(result)] == [("maker", "Update"), ("agent", "Update")]
    assert entries(result)[1][2] == {"f:status": {".": {}, "f:phase": {}}}


def test_the_writer_is_the_field_manager_or_the_user_agent():
    assert field_manager("kubectl-label", "kubectl/v1.32.0 (linux/amd64)") == "kubectl-label"
    assert field_manager(None, "OpenAPI-Generator/31.0.0/python") == "OpenAPI-Generator"
    assert field_manager(None, "tab\tbed" + "x" * 200) == "tabbed" + "x" * 122


# --------------------------------------------------------------------------- the fieldsV1 format

def test_fields_v1_round_trips_and_marks_members_with_children():
    tree = {"f:data": {".": {}, "f:a": {}}, "f:spec": {"f:list": {'k:{"name":"x"}': {".": {}, "f:name": {}}}}}
    paths = from_fields_v1(tree)
    assert paths == {("f:data",), ("f:data", "f:a"), ("f:spec", "f:list", 'k:{"name":"x"}'),
                     ("f:spec", "f:list", 'k:{"name":"x"}', "f:name")}
    assert to_fields_v1(paths) == tree


@pytest.mark.parametrize("path, text", [
    (("f:data", "f:color"), ".data.color"),
    (("f:spec", "f:containers", 'k:{"name":"web"}', "f:image"), '.spec.containers[name="web"].image'),
    (("f:spec", "f:ports", 'k:{"port":80,"protocol":"TCP"}'), '.spec.ports[port=80,protocol="TCP"]'),
    (("f:metadata", "f:finalizers", 'v:"a.io/x"'), '.metadata.finalizers[="a.io/x"]'),
])
def test_paths_print_as_upstream_prints_them(path, text):
    assert path_text(path) == text


# --------------------------------------------------------------------------- over HTTP

CMS = "/api/v1/namespaces/default/configmaps"
APPLY = "application/apply-patch+yaml"


async def test_writes_over_http_record_their_managers(api: Api) -> None:
    await api.ok("POST", CMS, cm(color="red") | {"metadata": {"name": "c"}}, params={"fieldManager": "maker"})
    patched = await api.ok("PATCH", f"{CMS}/c", {"data": {"size": "s"}}, content_type="application/merge-patch+json",
                           params={"fieldManager": "patcher"})
    assert [(m, op, f) for m, op, f in entries(patched)] == [
        ("maker", "Update", {"f:data": {".": {}, "f:color": {}}}),
        ("patcher", "Update", {"f:data": {"f:size": {}}})]


async def test_apply_conflicts_over_http_are_409_status_bodies(api: Api) -> None:
    body = b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: s\ndata:\n  color: blue\n"
    status, _ = await api.call("PATCH", f"{CMS}/s", raw=body, content_type=APPLY, params={"fieldManager": "kubectl"})
    assert status == 201
    status, answer = await api.call("PATCH", f"{CMS}/s", raw=body.replace(b"blue", b"green"), content_type=APPLY,
                                    params={"fieldManager": "other"})
    assert (status, answer["kind"], answer["reason"], answer["message"]) == (
        409, "Status", "Conflict", 'Apply failed with 1 conflict: conflict with "kubectl": .data.color')
    assert answer["details"]["causes"][0]["reason"] == "FieldManagerConflict"
    forced = await api.ok("PATCH", f"{CMS}/s", raw=body.replace(b"blue", b"green"), content_type=APPLY,
                          params={"fieldManager": "other", "force": "true"})
    assert forced["data"] == {"color": "green"}


async def test_patch_options_are_checked_as_upstream_does(api: Api) -> None:
    await api.ok("POST", CMS, cm(color="red") | {"metadata": {"name": "p"}})
    status, answer = await api.call("PATCH", f"{CMS}/p", {"data": {}}, content_type="application/merge-patch+json",
                                    params={"force": "true"})
    assert (status, answer["message"]) == (
        422, 'PatchOptions.meta.k8s.io "" is invalid: force: Forbidden: may not be specified for non-apply patch')
    status, answer = await api.call("PATCH", f"{CMS}/p", raw=b"data: {}\n", content_type=APPLY)
    assert (status, answer["message"]) == (
        422, 'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch')
