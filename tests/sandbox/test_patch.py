"""PATCH semantics as kubectl users meet them: merge patch, JSON patch, strategic merge patch
(server-side apply is test_managed_fields)."""

from __future__ import annotations

import copy

import pytest

from kstellar_tui.sandbox.apiserver.errors import ApiError
from kstellar_tui.sandbox.apiserver.patch import json_patch, merge_patch, strategic_merge_patch
from kstellar_tui.sandbox.apiserver.resources import BUILTIN_TYPES, ResourceType


def _builtin(kind: str) -> ResourceType:
    return next(rt for rt in BUILTIN_TYPES if rt.kind == kind and rt.group != "events.k8s.io")


DEPLOYMENT, POD, SERVICE, CRONJOB, CONFIGMAP, NODE = map(
    _builtin, ("Deployment", "Pod", "Service", "CronJob", "ConfigMap", "Node"))


def _pod_spec(containers: list, **more) -> dict:
    return {"spec": {"template": {"spec": {"containers": containers, **more}}}}


def _raises(call, *args) -> ApiError:
    with pytest.raises(ApiError) as info:
        call(*args)
    return info.value


# --------------------------------------------------------------------------- merge patch (RFC 7386)

@pytest.mark.parametrize("target, patch, expected", [
    pytest.param({"a": {"b": 1, "c": 2}}, {"a": {"c": 3, "d": 4}}, {"a": {"b": 1, "c": 3, "d": 4}}, id="nested-merge"),
    pytest.param({"a": 1, "b": 2}, {"a": None}, {"b": 2}, id="null-deletes"),
    pytest.param({"a": 1}, {"zzz": None}, {"a": 1}, id="null-on-absent-is-noop"),
    pytest.param({"l": [1, 2, 3]}, {"l": [4]}, {"l": [4]}, id="lists-replace"),
    pytest.param({"a": {"b": 1}}, {"a": "flat"}, {"a": "flat"}, id="scalar-replaces-object"),
    pytest.param({"a": "flat"}, {"a": {"b": 1, "gone": None}}, {"a": {"b": 1}}, id="object-replaces-scalar-nulls-pruned"),
    pytest.param({}, {"x": {"y": {"z": None, "w": 1}}}, {"x": {"y": {"w": 1}}}, id="new-subtree-nulls-pruned"),
])
def test_merge_patch(target, patch, expected):
    before = copy.deepcopy(target)
    assert merge_patch(target, patch) == expected
    assert target == before


def test_merge_patch_refuses_a_non_object_body():
    error = _raises(merge_patch, {"a": 1}, [1])
    assert (error.code, error.reason, error.message) == (400, "BadRequest", "Invalid JSON Patch")


# --------------------------------------------------------------------------- JSON patch (RFC 6902)

@pytest.mark.parametrize("target, ops, expected", [
    pytest.param({"a": 1}, [{"op": "add", "path": "/b", "value": {"c": 2}}], {"a": 1, "b": {"c": 2}}, id="add-member"),
    pytest.param({"a": 1}, [{"op": "add", "path": "/a", "value": 5}], {"a": 5}, id="add-overwrites-member"),
    pytest.param({"l": [1, 3]}, [{"op": "add", "path": "/l/1", "value": 2}], {"l": [1, 2, 3]}, id="add-inserts"),
    pytest.param({"l": [1]}, [{"op": "add", "path": "/l/-", "value": 2}], {"l": [1, 2]}, id="add-dash-appends"),
    pytest.param({"l": [1]}, [{"op": "add", "path": "/l/1", "value": 2}], {"l": [1, 2]}, id="add-at-end-index"),
    pytest.param({"metadata": {"labels": {}}},
                 [{"op": "add", "path": "/metadata/labels/app.kubernetes.io~1name", "value": "web"}],
                 {"metadata": {"labels": {"app.kubernetes.io/name": "web"}}}, id="tilde-one-is-slash"),
    pytest.param({"a~b": 1}, [{"op": "replace", "path": "/a~0b", "value": 2}], {"a~b": 2}, id="tilde-zero-is-tilde"),
    pytest.param({"a": 1, "b": 2}, [{"op": "remove", "path": "/a"}], {"b": 2}, id="remove-member"),
    pytest.param({"l": [1, 2, 3]}, [{"op": "remove", "path": "/l/0"}], {"l": [2, 3]}, id="remove-element"),
    pytest.param({"l": [1, 2]}, [{"op": "replace", "path": "/l/1", "value": 9}], {"l": [1, 9]}, id="replace-element"),
    pytest.param({"a": {"x": 1}, "b": {}}, [{"op": "move", "from": "/a/x", "path": "/b/y"}],
                 {"a": {}, "b": {"y": 1}}, id="move"),
    pytest.param({"l": [1, 2, 3]}, [{"op": "move", "from": "/l/0", "path": "/l/-"}], {"l": [2, 3, 1]},
                 id="move-within-list"),
    pytest.param({"a": {"x": [1]}}, [{"op": "copy", "from": "/a", "path": "/b"}],
                 {"a": {"x": [1]}, "b": {"x": [1]}}, id="copy"),
    pytest.param({"a": {"x": [1, {"y": None}]}}, [{"op": "test", "path": "/a", "value": {"x": [1.0, {"y": None}]}}],
                 {"a": {"x": [1, {"y": None}]}}, id="test-passes-structurally"),
    pytest.param({"metadata": {"resourceVersion": "7", "labels": {"a": "b"}}},
                 [{"op": "test", "path": "/metadata/resourceVersion", "value": "7"},
                  {"op": "remove", "path": "/metadata/labels/a"}],
                 {"metadata": {"resourceVersion": "7", "labels": {}}}, id="test-then-write"),
])
def test_json_patch_applies(target, ops, expected):
    before = copy.deepcopy(target)
    assert json_patch(target, ops) == expected
    assert target == before


@pytest.mark.parametrize("ops, message", [
    ([{"op": "test", "path": "/spec/replicas", "value": 3}], "testing value /spec/replicas failed: test failed"),
    ([{"op": "test", "path": "/flag", "value": 1}], "testing value /flag failed: test failed"),
    ([{"op": "test", "path": "/spec/nope", "value": None}], "testing value /spec/nope failed: test failed"),
    ([{"op": "test", "path": "/nope/x", "value": 1}], "test operation does not apply: is missing path: /nope/x: missing value"),
    ([{"op": "add", "path": "/nope/x", "value": 1}], 'add operation does not apply: doc is missing path: "/nope/x": missing value'),
    ([{"op": "add", "path": "", "value": {}}], 'add operation does not apply: doc is missing path: "": missing value'),
    ([{"op": "add", "path": "/spec/replicas/x", "value": 1}],
     'add operation does not apply: doc is missing path: "/spec/replicas/x": missing value'),
    ([{"op": "add", "path": "/list/5", "value": 1}],
     "error in add for path: '/list/5': Unable to access invalid index: 5: invalid index referenced"),
    ([{"op": "add", "path": "/list/x", "value": 1}],
     "error in add for path: '/list/x': value was not a proper array index: 'x': "
     'strconv.Atoi: parsing "x": invalid syntax'),
    ([{"op": "add", "path": "/spec/a"}], "add operation does not apply: operation, missing value field: missing value"),
    ([{"op": "remove", "path": "/spec/affinity"}],
     "error in remove for path: '/spec/affinity': Unable to remove nonexistent key: affinity: missing value"),
    ([{"op": "remove", "path": "/spec/affinity/x"}],
     'remove operation does not apply: doc is missing path: "/spec/affinity/x": missing value'),
    ([{"op": "remove", "path": "/list/2"}],
     "error in remove for path: '/list/2': Unable to access invalid index: 2: invalid index referenced"),
    ([{"op": "remove", "path": "/list/-"}],
     "error in remove for path: '/list/-': strconv.Atoi: parsing \"-\": invalid syntax"),
    ([{"op": "replace", "path": "/spec/tolerations", "value": []}],
     "replace operation does not apply: doc is missing key: /spec/tolerations: missing value"),
    ([{"op": "replace", "path": "/x/y", "value": 1}], "replace operation does not apply: doc is missing path: /x/y: missing value"),
    ([{"op": "move", "from": "/spec/nope", "path": "/b"}],
     "error in move for from: '/spec/nope': Unable to remove nonexistent key: nope: missing value"),
    ([{"op": "move", "from": "/x/y", "path": "/b"}], "move operation does not apply: doc is missing from path: /x/y: missing value"),
    ([{"op": "move", "from": "/spec", "path": "/spec/inner"}],
     "move operation does not apply: doc is missing destination path: /spec/inner: missing value"),
    ([{"op": "copy", "from": "/spec/nope", "path": "/b"}],
     "error in copy for from: '/spec/nope': Unable to get nonexistent key: nope: missing value"),
    ([{"op": "copy", "from": "/spec", "path": "/x/y"}], "copy operation does not apply: doc is missing destination path: /x/y: missing value"),
    ([{"op": "move", "path": "/b"}], "move operation failed to decode from: missing value"),
    ([{"op": "remove"}], "remove operation failed to decode path: missing value"),
    ([{"op": "upsert", "path": "/a", "value": 1}], "Unexpected kind: upsert"),
    ([{"path": "/a", "value": 1}], "Unexpected kind: unknown"),
])
def test_json_patch_failures_are_422_naming_the_operation(ops, message):
    target = {"spec": {"replicas": 2}, "flag": True, "list": [0, 1]}
    error = _raises(json_patch, target, ops)
    assert (error.code, error.reason, error.message) == (422, "Invalid", message)


def test_json_patch_is_all_or_nothing():
    target = {"a": 1}
    _raises(json_patch, target, [{"op": "remove", "path": "/a"}, {"op": "test", "path": "/a", "value": 1}])
    assert target == {"a": 1}


@pytest.mark.parametrize("body, code, message", [
    ({"op": "add"}, 400, "json: cannot unmarshal object into Go value of type jsonpatch.Patch"),
    ("add", 400, "json: cannot unmarshal string into Go value of type jsonpatch.Patch"),
    (["add"], 400, "json: cannot unmarshal string into Go value of type jsonpatch.Operation"),
    ([{"op": "test", "path": "/a", "value": 1}] * 10001, 413,
     "Request entity too large: The allowed maximum operations in a JSON patch is 10000, got 10001"),
])
def test_json_patch_refuses_malformed_bodies(body, code, message):
    error = _raises(json_patch, {"a": 1}, body)
    assert (error.code, error.message) == (code, message)


# --------------------------------------------------------------------------- strategic merge patch

LIVE_DEPLOYMENT = {
    "apiVersion": "apps/v1", "kind": "Deployment",
    "metadata": {"name": "web", "finalizers": ["a.io/one"], "labels": {"app": "web", "tier": "front"},
                 "ownerReferences": [{"uid": "u1", "name": "owner"}]},
    "spec": {
        "replicas": 1,
        "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1}},
        "template": {"spec": {
            "containers": [
                {"name": "app", "image": "app:1", "args": ["--a", "--b"],
                 "ports": [{"containerPort": 80, "name": "http"}],
                 "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}],
                 "volumeMounts": [{"mountPath": "/data", "name": "data"}]},
                {"name": "sidecar", "image": "side:1"},
            ],
            "volumes": [{"name": "data", "emptyDir": {}}],
            "tolerations": [{"key": "k1"}],
        }},
    },
    "status": {"conditions": [{"type": "Available", "status": "True"}, {"type": "Progressing", "status": "True"}]},
}


def _containers(obj: dict) -> list:
    return obj["spec"]["template"]["spec"]["containers"]


@pytest.mark.parametrize("patch, check", [
    pytest.param(_pod_spec([{"name": "app", "image": "app:2"}]),
                 lambda r: _containers(r)[0]["image"] == "app:2" and _containers(r)[0]["args"] == ["--a", "--b"]
                 and [c["name"] for c in _containers(r)] == ["app", "sidecar"], id="container-merged-by-name"),
    pytest.param(_pod_spec([{"name": "new", "image": "n:1"}]),
                 lambda r: [c["name"] for c in _containers(r)] == ["new", "app", "sidecar"],
                 id="new-container-goes-first-without-order-directive"),
    pytest.param(_pod_spec([{"name": "new", "image": "n:1"}],
                           **{"$setElementOrder/containers": [{"name": "app"}, {"name": "sidecar"}, {"name": "new"}]}),
                 lambda r: [c["name"] for c in _containers(r)] == ["app", "sidecar", "new"],
                 id="set-element-order-places-new-container"),
    pytest.param(_pod_spec([], **{"$setElementOrder/containers": [{"name": "sidecar"}, {"name": "app"}]}),
                 lambda r: [c["name"] for c in _containers(r)] == ["sidecar", "app"], id="set-element-order-reorders"),
    pytest.param(_pod_spec([{"name": "sidecar", "$patch": "delete"}]),
                 lambda r: [c["name"] for c in _containers(r)] == ["app"], id="patch-delete-removes-element"),
    pytest.param(_pod_spec([{"name": "only", "image": "o:1"}, {"$patch": "replace"}]),
                 lambda r: _containers(r) == [{"name": "only", "image": "o:1"}], id="patch-replace-replaces-list"),
    pytest.param(_pod_spec([{"name": "app", "args": ["--c"]}]),
                 lambda r: _containers(r)[0]["args"] == ["--c"], id="plain-list-replaced"),
    pytest.param(_pod_spec([{"name": "app", "ports": [{"containerPort": 443, "name": "https"}]}]),
                 lambda r: [p["containerPort"] for p in _containers(r)[0]["ports"]] == [443, 80],
                 id="ports-merged-by-containerPort"),
    pytest.param(_pod_spec([{"name": "app", "env": [{"name": "B", "value": "two"}]}]),
                 lambda r: _containers(r)[0]["env"] == [{"name": "A", "value": "1"}, {"name": "B", "value": "two"}],
                 id="env-merged-by-name"),
    pytest.param(_pod_spec([{"name": "app", "env": [{"name": "A", "$patch": "delete"}]}]),
                 lambda r: _containers(r)[0]["env"] == [{"name": "B", "value": "2"}], id="env-entry-deleted"),
    pytest.param(_pod_spec([{"name": "app", "volumeMounts": [{"mountPath": "/data", "readOnly": True}]}]),
                 lambda r: _containers(r)[0]["volumeMounts"] == [{"mountPath": "/data", "name": "data", "readOnly": True}],
                 id="volume-mounts-merged-by-mountPath"),
    pytest.param(_pod_spec([], volumes=[{"name": "cache", "emptyDir": {}}]),
                 lambda r: [v["name"] for v in r["spec"]["template"]["spec"]["volumes"]] == ["cache", "data"],
                 id="volumes-merged-by-name"),
    pytest.param(_pod_spec([], tolerations=[{"key": "k2"}]),
                 lambda r: r["spec"]["template"]["spec"]["tolerations"] == [{"key": "k2"}], id="tolerations-replaced"),
    pytest.param({"metadata": {"labels": {"tier": None, "new": "x"}}},
                 lambda r: r["metadata"]["labels"] == {"app": "web", "new": "x"}, id="null-deletes-map-key"),
    pytest.param({"spec": {"strategy": None}}, lambda r: "strategy" not in r["spec"], id="null-deletes-field"),
    pytest.param({"metadata": {"finalizers": ["b.io/two"]}},
                 lambda r: r["metadata"]["finalizers"] == ["b.io/two", "a.io/one"], id="finalizers-unioned"),
    pytest.param({"metadata": {"finalizers": ["a.io/one"]}},
                 lambda r: r["metadata"]["finalizers"] == ["a.io/one"], id="finalizers-deduplicated"),
    pytest.param({"metadata": {"$deleteFromPrimitiveList/finalizers": ["a.io/one"], "finalizers": ["c.io/x"]}},
                 lambda r: r["metadata"]["finalizers"] == ["c.io/x"], id="delete-from-primitive-list"),
    pytest.param({"metadata": {"$setElementOrder/finalizers": ["b.io/two", "a.io/one"], "finalizers": ["b.io/two"]}},
                 lambda r: r["metadata"]["finalizers"] == ["b.io/two", "a.io/one"], id="set-element-order-on-scalars"),
    pytest.param({"metadata": {"ownerReferences": [{"uid": "u1", "controller": True}]}},
                 lambda r: r["metadata"]["ownerReferences"] == [{"uid": "u1", "name": "owner", "controller": True}],
                 id="owner-references-merged-by-uid"),
    pytest.param({"status": {"conditions": [{"type": "Available", "status": "False"}]}},
                 lambda r: r["status"]["conditions"] == [{"type": "Available", "status": "False"},
                                                         {"type": "Progressing", "status": "True"}],
                 id="conditions-merged-by-type"),
    pytest.param({"spec": {"strategy": {"$retainKeys": ["type"], "type": "Recreate"}}},
                 lambda r: r["spec"]["strategy"] == {"type": "Recreate"}, id="retain-keys-clears-others"),
    pytest.param({"spec": {"strategy": {"$patch": "replace", "type": "Recreate"}}},
                 lambda r: r["spec"]["strategy"] == {"type": "Recreate"}, id="patch-replace-on-map"),
    pytest.param({"spec": {"strategy": {"$patch": "delete"}}}, lambda r: r["spec"]["strategy"] == {},
                 id="patch-delete-on-map-empties-it"),
    pytest.param({"spec": {"selector": {"matchLabels": {"app": "web", "$patch": "replace"}}}},
                 lambda r: r["spec"]["selector"] == {"matchLabels": {"app": "web"}},
                 id="directives-on-absent-field-never-stored"),
    pytest.param({"spec": {"template": {"spec": {"initContainers": [{"name": "init", "image": "i:1", "stale": None}]}}}},
                 lambda r: r["spec"]["template"]["spec"]["initContainers"] == [{"name": "init", "image": "i:1"}],
                 id="new-merging-list-on-absent-field"),
])
def test_strategic_merge_patch_deployment(patch, check):
    before = copy.deepcopy(LIVE_DEPLOYMENT)
    assert check(strategic_merge_patch(LIVE_DEPLOYMENT, patch, DEPLOYMENT))
    assert LIVE_DEPLOYMENT == before


@pytest.mark.parametrize("rt, live, patch, expected", [
    pytest.param(POD, {"spec": {"containers": [{"name": "a", "image": "1"}]}},
                 {"spec": {"containers": [{"name": "a", "image": "2"}]}},
                 {"spec": {"containers": [{"name": "a", "image": "2"}]}}, id="pod-spec"),
    pytest.param(CRONJOB,
                 {"spec": {"jobTemplate": {"spec": {"template": {"spec": {"containers": [{"name": "a", "image": "1"}]}}}}}},
                 {"spec": {"jobTemplate": {"spec": {"template": {"spec": {"containers": [{"name": "b", "image": "2"}]}}}}}},
                 {"spec": {"jobTemplate": {"spec": {"template": {"spec": {
                     "containers": [{"name": "b", "image": "2"}, {"name": "a", "image": "1"}]}}}}}},
                 id="cronjob-job-template"),
    pytest.param(SERVICE, {"spec": {"ports": [{"port": 80, "targetPort": 8080}]}},
                 {"spec": {"ports": [{"port": 80, "targetPort": 9090}, {"port": 443}]}},
                 {"spec": {"ports": [{"port": 80, "targetPort": 9090}, {"port": 443}]}}, id="service-ports-by-port"),
    pytest.param(NODE, {"status": {"addresses": [{"type": "InternalIP", "address": "10.0.0.1"}]}},
                 {"status": {"addresses": [{"type": "Hostname", "address": "n1"}]}},
                 {"status": {"addresses": [{"type": "Hostname", "address": "n1"},
                                           {"type": "InternalIP", "address": "10.0.0.1"}]}},
                 id="node-addresses-by-type"),
    pytest.param(CONFIGMAP, {"data": {"a": "1", "b": "2"}}, {"data": {"b": None, "c": "3"}},
                 {"data": {"a": "1", "c": "3"}}, id="configmap-data-merges"),
    pytest.param(CONFIGMAP, {"spec": {"containers": [{"name": "a"}]}}, {"spec": {"containers": [{"name": "b"}]}},
                 {"spec": {"containers": [{"name": "b"}]}}, id="other-kinds-replace-lists"),
])
def test_strategic_merge_patch_kinds(rt, live, patch, expected):
    assert strategic_merge_patch(live, patch, rt) == expected


@pytest.mark.parametrize("patch, code, message", [
    (_pod_spec([{"image": "x"}]), 500, "map: map[image:x] does not contain declared merge key: name"),
    (_pod_spec([{"$patch": "delete"}]), 500, "map: map[$patch:delete] does not contain declared merge key: name"),
    (_pod_spec([{"name": "app"}, {"$patch": "merge"}]), 500, "merging lists cannot yet be specified in the patch"),
    (_pod_spec([{"name": "app", "$patch": "nuke"}]), 500, "unknown patch type: nuke in map: map[$patch:nuke name:app]"),
    ({"spec": {"strategy": {"$patch": "merge"}}}, 500, "unknown patch type: merge in map: map[$patch:merge]"),
    ({"spec": {"strategy": {"$retainKeys": "type"}}}, 400, "invalid patch format of retainKeys"),
    ({"spec": {"strategy": {"$retainKeys": ["type"], "rollingUpdate": {}}}}, 400, "invalid patch format of retainKeys"),
    ({"metadata": {"$setElementOrder": ["a"]}}, 400, "invalid patch format of setElementOrder list"),
    ({"metadata": {"$deleteFromPrimitiveListfinalizers": ["a"]}}, 400, "invalid patch format of primitive list"),
    (_pod_spec([{"name": "sidecar"}, {"name": "app"}],
               **{"$setElementOrder/containers": [{"name": "app"}, {"name": "sidecar"}]}), 500,
     "The order in patch list:\n[map[name:sidecar] map[name:app]]\n doesn't match $setElementOrder list:\n"
     "[map[name:app] map[name:sidecar]]\n"),
    ({"metadata": {"$setElementOrder/finalizers": "a.io/one"}}, 500,
     "expected a []interface {}, but received a string"),
    ({"metadata": {"$deleteFromPrimitiveList/finalizers": {"a.io/one": True}}}, 500,
     "expected a []interface {}, but received a map[string]interface {}"),
    ({"metadata": {"finalizers": [["nested"]]}}, 422, "lists of lists are not supported"),
    ({"metadata": {"finalizers": [1]}}, 500, "list element types are not identical: [[a.io/one] [1]]"),
])
def test_strategic_merge_patch_errors(patch, code, message):
    error = _raises(strategic_merge_patch, LIVE_DEPLOYMENT, patch, DEPLOYMENT)
    assert (error.code, error.message) == (code, message)
