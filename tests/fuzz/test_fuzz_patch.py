"""Patches of any shape against objects of any shape: a new object or an ApiError (a 4xx, or the
untyped 500 upstream answers for some strategic merge patches), never another exception and never
a change to the inputs. A patch computed as the difference of two objects turns the one into the other."""

from __future__ import annotations

import copy

from hypothesis import example, given
from hypothesis import strategies as st

from kstellar_tui.sandbox.apiserver.errors import ApiError
from kstellar_tui.sandbox.apiserver.patch import json_patch, merge_patch, strategic_merge_patch
from kstellar_tui.sandbox.apiserver.resources import BUILTIN_TYPES

from ._fuzz import TIMEOUT, budget, json_values

pytestmark = TIMEOUT

TYPES = {rt.kind: rt for rt in BUILTIN_TYPES if rt.kind in ("ConfigMap", "Deployment", "Pod", "Service", "Node")}
kinds = st.sampled_from(sorted(TYPES))

# Keys that reach SMP's directives and merge-keyed lists, mixed with plain ones.
keys = st.sampled_from(["metadata", "spec", "template", "containers", "name", "image", "env", "ports", "finalizers",
                        "ownerReferences", "uid", "$patch", "$retainKeys", "$setElementOrder/containers",
                        "$deleteFromPrimitiveList/finalizers", "status", "conditions", "type", "a"]) \
    | st.text(max_size=4)
directive_values = st.sampled_from(["replace", "delete", "merge", "x"])
shaped = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 3) | st.text(max_size=3) | directive_values,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(keys, inner, max_size=4),
    max_leaves=25,
)
# Pod- and Service-shaped objects: merge-keyed lists whose elements and keys may be anything.
elements = st.dictionaries(st.sampled_from(["name", "port", "image", "$patch", "ports", "env"]), shaped, max_size=3)
shaped_specs = st.fixed_dictionaries({"spec": st.dictionaries(
    st.sampled_from(["containers", "ports", "volumes", "$setElementOrder/containers", "$retainKeys"]),
    st.lists(elements | shaped, max_size=3), max_size=3)})
objects = st.dictionaries(keys, shaped, max_size=5) | st.dictionaries(st.text(max_size=4), json_values, max_size=4) \
    | shaped_specs
pointers = st.lists(st.sampled_from(["metadata", "data", "a", "0", "-", "~0", "~1", "", "1", "99"]), max_size=3).map(
    lambda parts: "".join("/" + p for p in parts)) | st.text(max_size=6)
operations = st.lists(st.fixed_dictionaries(
    {"op": st.sampled_from(["add", "remove", "replace", "move", "copy", "test", "x"]) | json_values},
    optional={"path": pointers | json_values, "from": pointers, "value": json_values}) | json_values, max_size=4)


def patched_or_refused(apply, target, patch_body, *args):
    before = copy.deepcopy((target, patch_body))
    try:
        result = apply(target, patch_body, *args)
    except ApiError as error:
        assert 400 <= error.code < 500 or (error.code == 500 and error.reason == ""), (error.code, error.reason)
        assert error.message
        result = None
    assert (target, patch_body) == before, "patching must not change its inputs"
    return result


@given(objects, shaped | objects)
@example({"a": {"b": 1}}, {"a": {"$patch": "delete"}})
@budget(150)
def test_any_merge_patch_applies_or_is_refused(target, body) -> None:
    result = patched_or_refused(merge_patch, target, body)
    assert result is None or isinstance(result, dict)


@given(objects, operations | json_values)
@example({"a": [1]}, [{"op": "add", "path": "/a/-", "value": 2}, {"op": "move", "from": "/a", "path": "/a/0"}])
@example({"a": 1}, [{"op": "copy", "from": "", "path": "/b"}])
@budget(150)
def test_any_json_patch_applies_or_is_refused(target, ops) -> None:
    result = patched_or_refused(json_patch, target, ops)
    assert result is None or isinstance(result, dict)


@given(objects, objects, kinds)
@example({"spec": {"containers": [{"name": "a"}]}}, {"spec": {"containers": [{"image": "x"}]}}, "Pod")
@example({"metadata": {"finalizers": ["a"]}}, {"metadata": {"$deleteFromPrimitiveList/finalizers": "a"}}, "Pod")
@example({}, {"finalizers": [[]], "$deleteFromPrimitiveList/finalizers": []}, "ConfigMap")
@example({"spec": {"ports": [[1]]}}, {"spec": {"ports": [[2]]}}, "Service")
@example({"spec": {"containers": [{"name": "a"}]}}, {"spec": {"containers": [{"name": ["x"]}]}}, "Pod")
@example({"spec": {"containers": [{"name": {"a": 1}}]}}, {"spec": {"containers": [{"name": "b"}]}}, "Pod")
@budget(200)
def test_any_strategic_merge_patch_applies_or_is_refused(target, body, kind) -> None:
    result = patched_or_refused(strategic_merge_patch, target, body, TYPES[kind])
    assert result is None or isinstance(result, dict)


# Objects without lists, nulls or directive keys: the ones a two-way difference describes exactly.
plain_values = st.recursive(st.booleans() | st.integers(-3, 3) | st.text(max_size=3),
                            lambda inner: st.dictionaries(st.sampled_from(["a", "b", "spec", "data", "x"]), inner,
                                                          max_size=3), max_leaves=12)
plain_objects = st.dictionaries(st.sampled_from(["a", "b", "spec", "data", "metadata"]), plain_values, max_size=4)


def difference(a: dict, b: dict) -> dict:
    """The merge patch that turns `a` into `b`: null for what goes, the new value for what changes."""
    patch: dict = {key: None for key in a if key not in b}
    for key, value in b.items():
        if isinstance(value, dict) and isinstance(a.get(key), dict):
            if nested := difference(a[key], value):
                patch[key] = nested
        elif key not in a or a[key] != value or type(a[key]) is not type(value):
            patch[key] = value
    return patch


@given(plain_objects, plain_objects, kinds)
@budget(150)
def test_the_difference_of_two_objects_patches_one_into_the_other(a, b, kind) -> None:
    patch = difference(a, b)
    assert merge_patch(a, patch) == b
    assert strategic_merge_patch(a, patch, TYPES[kind]) == b
