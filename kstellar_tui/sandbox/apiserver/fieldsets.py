"""Objects as structured-merge-diff (kube-apiserver's server-side apply engine) sees them: sets of field
paths, the structural comparison and merge of two objects, and the `fieldsV1` encoding of a set.

A path is a tuple of upstream's path elements: `f:<field>`, `k:<json of the key fields>` (an item of a
list keyed by fields), `v:<json value>` (an item of a set), `i:<index>`. Which lists are keyed, sets or
atomic comes from a `Shape`: the openAPIV3Schema of a custom resource, or, for built-in kinds, the field
structure of the official client's models plus the strategic-merge-patch table of merging lists (upstream's
list-map keys mostly agree with those patch merge keys; where they add `protocol` to port lists, ours
do not). Nodes without a schema are "deduced": maps are granular, lists atomic.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from kstellar_tui.sandbox.apiserver.patch import merge_keys, same_json
from kstellar_tui.sandbox.apiserver.resources import ResourceType, builtin_schema, object_meta_schema

Path = tuple[str, ...]
FieldSet = set[Path]
_MISSING: Any = object()
# ObjectMeta's merging lists, which custom resources share with every kind.
_METADATA_LISTS = {path: key for path, key in merge_keys("").items() if path.startswith("metadata.")}


class Shape:
    """What structured-merge-diff knows about one node of a type (`schema` None: a deduced node)."""

    __slots__ = ("schema", "dotted", "lists", "builtin")

    def __init__(self, schema: dict | None, dotted: str, lists: Mapping[str, str], builtin: bool) -> None:
        self.schema = schema
        self.dotted = dotted    # field names from the root, list items adding nothing (the `lists` keys)
        self.lists = lists      # dotted path -> merge key ("" = a set) of the lists that are not atomic
        self.builtin = builtin  # a built-in kind: Go structs, which are never absent, rather than maps

    def field(self, name: str) -> tuple[Shape, bool]:
        """The shape of a map's entry, and whether it is a declared field (of a struct) or a map key."""
        dotted = f"{self.dotted}.{name}" if self.dotted else name
        if not self.dotted and name == "metadata":
            return Shape(object_meta_schema(), dotted, self.lists, self.builtin), True
        schema = self.schema or {}
        properties = schema.get("properties") or {}
        if name in properties:
            return Shape(properties[name], dotted, self.lists, self.builtin), True
        additional = schema.get("additionalProperties")
        return Shape(additional if isinstance(additional, dict) else None, dotted, self.lists, self.builtin), False

    def item(self) -> Shape:
        items = (self.schema or {}).get("items")
        return Shape(items if isinstance(items, dict) else None, self.dotted, self.lists, self.builtin)

    def list_keys(self) -> tuple[str, ...] | None:
        """None for an atomic list, () for a set, else the fields that key its items."""
        if self.dotted in self.lists:
            key = self.lists[self.dotted]
            return (key,) if key else ()
        schema = self.schema or {}
        list_type = schema.get("x-kubernetes-list-type")
        if self.builtin or list_type not in ("set", "map"):
            return None
        return tuple(schema.get("x-kubernetes-list-map-keys") or ()) if list_type == "map" else ()

    @property
    def atomic_map(self) -> bool:
        return (self.schema or {}).get("x-kubernetes-map-type") == "atomic"

    @property
    def go_struct(self) -> bool:
        """A built-in's struct (not a map): as a field, Go's zero value has it, so it is never added nor removed."""
        schema = self.schema or {}
        return self.builtin and bool(schema.get("properties")) and "additionalProperties" not in schema


def shape_for(rt: ResourceType) -> Shape:
    if rt.builtin:
        return Shape(builtin_schema(rt), "", merge_keys(rt.kind), True)
    return Shape(rt.schema, "", _METADATA_LISTS, False)


# --------------------------------------------------------------------------- path elements


def _json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), sort_keys=True, ensure_ascii=False)


def _elements(items: list, keys: tuple[str, ...]) -> list[str]:
    """The path element of each item of a granular list: `k:` by its key fields, `v:` by value in a set."""
    named = []
    for i, item in enumerate(items):
        if not keys:
            named.append("v:" + _json(item))
        elif isinstance(item, dict) and any(k in item for k in keys):
            named.append("k:" + _json({k: item[k] for k in keys if k in item}))
        else:
            named.append(f"i:{i}")
    return named


def path_text(path: Path) -> str:
    """A path as upstream prints it in conflicts: `.spec.containers[name="app"].image`, `.finalizers[="x"]`."""
    out = []
    for element in path:
        kind, text = element[:2], element[2:]
        if kind == "f:":
            out.append("." + text)
        elif kind == "k:":
            fields = json.loads(text)
            out.append("[" + ",".join(f"{k}={_json(fields[k])}" for k in sorted(fields)) + "]")
        elif kind == "v:":
            out.append(f"[={text}]")
        else:
            out.append(f"[{text}]")
    return "".join(out)


# --------------------------------------------------------------------------- field sets of objects


def field_set(obj: Any, shape: Shape) -> FieldSet:
    """Upstream's ToFieldSet: the leaves, list items and map entries an object sets."""
    found: FieldSet = set()
    _collect(obj, shape, (), found)
    return found


def _collect(value: Any, shape: Shape, path: Path, found: FieldSet) -> None:
    if isinstance(value, dict) and not shape.atomic_map:
        for key, child in value.items():
            child_shape, declared = shape.field(key)
            child_path = (*path, "f:" + key)
            _collect(child, child_shape, child_path, found)
            if child is None or child == {} or not declared:
                found.add(child_path)
    elif isinstance(value, list) and shape.list_keys() is not None:
        item_shape = shape.item()
        for element, item in zip(_elements(value, shape.list_keys() or ()), value):
            _collect(item, item_shape, (*path, element), found)
            found.add((*path, element))
    elif path:
        found.add(path)


def ensure_named_fields(paths: Iterable[Path], shape: Shape) -> FieldSet:
    """Upstream's EnsureNamedFieldsAreMembers: every declared struct field on the way to a path joins the set."""
    result = set(paths)
    for path in list(result):
        node = shape
        for depth, element in enumerate(path[:-1]):
            if element.startswith("f:"):
                node, declared = node.field(element[2:])
                if declared:
                    result.add(path[:depth + 1])
            else:
                node = node.item()
    return result


def without_prefixes(paths: Iterable[Path], prefixes: Iterable[Path]) -> FieldSet:
    """The paths not at or under any of `prefixes` (upstream's ExcludeFields / RecursiveDifference)."""
    prefixes = tuple(prefixes)
    return {p for p in paths if not any(p[:len(prefix)] == prefix for prefix in prefixes)}


# --------------------------------------------------------------------------- comparing, removing, merging


class Comparison:
    """What changed between two objects: added, modified (leaves only) and removed paths."""

    __slots__ = ("added", "modified", "removed")

    def __init__(self) -> None:
        self.added: FieldSet = set()
        self.modified: FieldSet = set()
        self.removed: FieldSet = set()

    def changed(self) -> FieldSet:
        return self.added | self.modified


def compare(old: Any, new: Any, shape: Shape) -> Comparison:
    """Upstream's TypedValue.Compare of two objects."""
    result = Comparison()
    _compare(old, new, shape, (), result)
    return result


def _compare(old: Any, new: Any, shape: Shape, path: Path, result: Comparison) -> None:
    if shape.builtin:  # a built-in's null is its Go zero value, as good as absent
        old, new = (_MISSING if value is None else value for value in (old, new))
        if old is _MISSING and new is _MISSING:
            return
    sample = new if old is _MISSING else old
    # Two empty (or absent) maps or lists compare as leaves, which keeps `{}` and absent apart.
    granular = (old is _MISSING or new is _MISSING or type(old) is type(new)) and (
        (old is not _MISSING and bool(old)) or (new is not _MISSING and bool(new)))
    if granular and isinstance(sample, dict) and not shape.atomic_map:
        olds, news = (v if v is not _MISSING else {} for v in (old, new))
        for key in [*olds, *(k for k in news if k not in olds)]:
            _compare(olds.get(key, _MISSING), news.get(key, _MISSING), shape.field(key)[0], (*path, "f:" + key),
                     result)
    elif granular and isinstance(sample, list) and shape.list_keys() is not None:
        keys = shape.list_keys() or ()
        olds, news = (dict(zip(_elements(v, keys), v)) if v is not _MISSING else {} for v in (old, new))
        item_shape = shape.item()
        for element in [*olds, *(e for e in news if e not in olds)]:
            _compare(olds.get(element, _MISSING), news.get(element, _MISSING), item_shape, (*path, element), result)
    else:
        if old is _MISSING:
            result.added.add(path)
        elif new is _MISSING:
            result.removed.add(path)
        elif not same_json(old, new):
            result.modified.add(path)
        return
    if path and not (path[-1].startswith("f:") and shape.go_struct):
        if old is _MISSING:
            result.added.add(path)
        elif new is _MISSING:
            result.removed.add(path)


def remove_items(obj: Any, paths: FieldSet, shape: Shape) -> Any:
    """A copy of `obj` without the fields, list items and map entries at `paths` (upstream's RemoveItems)."""
    prefixes = {p[:i] for p in paths for i in range(1, len(p))}
    return _remove(obj, paths, prefixes, shape, ())


def _remove(value: Any, paths: FieldSet, prefixes: FieldSet, shape: Shape, path: Path) -> Any:
    if isinstance(value, dict):
        kept = {}
        for key, child in value.items():
            child_path = (*path, "f:" + key)
            if child_path in paths:
                continue
            kept[key] = (_remove(child, paths, prefixes, shape.field(key)[0], child_path)
                         if child_path in prefixes else child)
        return kept
    keys = shape.list_keys() if isinstance(value, list) else None
    if keys is None:
        return value
    kept_items = []
    item_shape = shape.item()
    for element, item in zip(_elements(value, keys), value):
        item_path = (*path, element)
        if item_path not in paths:
            kept_items.append(_remove(item, paths, prefixes, item_shape, item_path) if item_path in prefixes else item)
    return kept_items


def merge(live: Any, config: Any, shape: Shape) -> Any:
    """Upstream's TypedValue.Merge for apply: `config` wins, maps and granular lists merge, nulls remove."""
    if isinstance(config, dict) and not shape.atomic_map:
        merged = dict(live) if isinstance(live, dict) else {}
        for key, value in config.items():
            if value is None:
                merged.pop(key, None)
            else:
                merged[key] = merge(merged.get(key, _MISSING), value, shape.field(key)[0])
        return merged
    keys = shape.list_keys() if isinstance(config, list) else None
    if keys is None:
        return config
    return _merge_list(live if isinstance(live, list) else [], config, keys, shape.item())


def _merge_list(live: list, config: list, keys: tuple[str, ...], item_shape: Shape) -> list:
    """Items keep the live order; shared items take the configuration's order, new ones come where it puts them."""
    live_names, config_names = _elements(live, keys), _elements(config, keys)
    live_by, config_by = dict(zip(live_names, live)), dict(zip(config_names, config))
    out, done, li, ci = [], set(), 0, 0

    def take(name: str) -> None:
        if name not in done:
            done.add(name)
            out.append(merge(live_by.get(name, _MISSING), config_by[name], item_shape))

    while li < len(live) or ci < len(config):
        if li < len(live) and ci < len(config) and live_names[li] == config_names[ci]:
            take(live_names[li])
            li, ci = li + 1, ci + 1
        elif li < len(live) and live_names[li] not in config_by:
            out.append(live[li])
            li += 1
        elif li < len(live) and live_names[li] in done:
            li += 1
        elif ci < len(config):
            take(config_names[ci])
            ci += 1
        else:
            li += 1
    return out


# --------------------------------------------------------------------------- fieldsV1


def to_fields_v1(paths: FieldSet) -> dict:
    """The set as metadata.managedFields[].fieldsV1 (`.` marks a member that also has children)."""
    tree: dict = {}
    for path in paths:
        node = tree
        for element in path:
            node = node.setdefault(element, {})
        node.setdefault(".", {})
    return _render(tree)


def _render(node: dict) -> dict:
    children = sorted((k for k in node if k != "."), key=lambda k: ("fkvi".index(k[0]) if k[0] in "fkvi" else 4, k))
    if not children:
        return {}
    rendered = {".": {}} if "." in node else {}
    for key in children:
        rendered[key] = _render(node[key])
    return rendered


def from_fields_v1(tree: Any, prefix: Path = ()) -> FieldSet:
    """The set a fieldsV1 document describes; malformed parts are ignored."""
    found: FieldSet = set()
    if not isinstance(tree, dict):
        return found
    for key, child in tree.items():
        if key == ".":
            if prefix:
                found.add(prefix)
        elif isinstance(child, dict) and child:
            found |= from_fields_v1(child, (*prefix, key))
        else:
            found.add((*prefix, key))
    return found
