"""The bodies of PATCH requests applied to stored objects, with kube-apiserver's semantics and errors.

Three kinds, chosen by the request's Content-Type:
- `merge_patch`           application/merge-patch+json (RFC 7386)
- `json_patch`            application/json-patch+json (RFC 6902)
- `strategic_merge_patch` application/strategic-merge-patch+json (built-in kinds only)
The fourth, application/apply-patch+yaml (server-side apply), is `managedfields.apply`.

Every function deep-copies its inputs first and returns a new dict; inputs are never mutated.
"""

from __future__ import annotations

from typing import Any

from kstellar_tui.sandbox.apiserver.errors import ApiError, bad_request
from kstellar_tui.sandbox.apiserver.objectrules import copy_of
from kstellar_tui.sandbox.apiserver.resources import ResourceType

MAX_JSON_PATCH_OPERATIONS = 10000


# --------------------------------------------------------------------------- shared helpers


def _identity(value: Any) -> Any:
    """A hashable identity for a JSON value in which `true` differs from `1` (as in Go), but 1 equals 1.0;
    objects and lists (as merge keys: nonsense, but a client may send it) by their contents."""
    if isinstance(value, dict):
        return frozenset((key, _identity(item)) for key, item in value.items())
    if isinstance(value, list):
        return tuple(map(_identity, value))
    return (isinstance(value, bool), value)


def same_json(a: Any, b: Any) -> bool:
    """Structural JSON equality (what a JSON patch `test` compares; server-side apply's too)."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same_json(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(map(same_json, a, b))
    if isinstance(a, (dict, list)) or isinstance(b, (dict, list)):
        return False
    return _identity(a) == _identity(b)


def _go_value(value: Any) -> str:
    """A value printed as Go's `%v` prints decoded JSON, so messages read as upstream's do."""
    if isinstance(value, dict):
        return "map[" + " ".join(f"{k}:{_go_value(value[k])}" for k in sorted(value)) + "]"
    if isinstance(value, list):
        return "[" + " ".join(_go_value(v) for v in value) + "]"
    if value is None:
        return "<nil>"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _go_type(value: Any) -> str:
    """The Go type name that decoded JSON has, for upstream's `expected a X, but received a Y`."""
    if isinstance(value, dict):
        return "map[string]interface {}"
    if isinstance(value, list):
        return "[]interface {}"
    if value is None:
        return "%!s(<nil>)"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int64"
    if isinstance(value, float):
        return "float64"
    return "string"


def _internal(message: str) -> ApiError:
    """Errors upstream returns unwrapped, so the API answers them as an untyped 500."""
    return ApiError(500, "", message)


def _unprocessable(message: str) -> ApiError:
    return ApiError(422, "Invalid", message)


# --------------------------------------------------------------------------- RFC 7386


def merge_patch(target: dict, patch: dict) -> dict:
    """RFC 7386 JSON merge patch: objects merge recursively, `null` deletes a key, anything else replaces."""
    if not isinstance(patch, dict):
        raise bad_request("Invalid JSON Patch")
    return _merge_into(copy_of(target), copy_of(patch))


def _merge_into(target: dict, patch: dict) -> dict:
    for key, value in patch.items():
        if value is None:
            target.pop(key, None)
        elif isinstance(value, dict):
            current = target.get(key)
            target[key] = _merge_into(current if isinstance(current, dict) else {}, value)
        else:
            target[key] = value
    return target


# --------------------------------------------------------------------------- RFC 6902


class _OpFailed(Exception):
    """One JSON patch operation did not apply; the text follows evanphx/json-patch, which upstream uses."""


_MISSING = object()


def json_patch(target: dict, ops: list) -> dict:
    """RFC 6902 JSON patch (add, remove, replace, move, copy, test; `~0`/`~1` escapes; `-` appends).

    A body that is not a list of objects is a 400, as is upstream's decoding failure. An operation that does
    not apply is a 422 `Invalid`. Upstream hides the reason behind "the server rejected our request due to an
    error in our request"; we answer with the reason itself (naming the operation and path) so users can fix
    their patch. As upstream, an operation on the whole document (path "") does not apply.
    """
    if not isinstance(ops, list):
        raise bad_request(f"json: cannot unmarshal {_json_kind(ops)} into Go value of type jsonpatch.Patch")
    for op in ops:
        if not isinstance(op, dict):
            raise bad_request(f"json: cannot unmarshal {_json_kind(op)} into Go value of type jsonpatch.Operation")
    if len(ops) > MAX_JSON_PATCH_OPERATIONS:
        raise ApiError(413, "RequestEntityTooLarge",
                       f"Request entity too large: The allowed maximum operations in a JSON patch is "
                       f"{MAX_JSON_PATCH_OPERATIONS}, got {len(ops)}")
    doc = copy_of(target)
    for op in copy_of(ops):
        kind = op.get("op") if isinstance(op.get("op"), str) else "unknown"
        apply = _JSON_PATCH_OPS.get(kind)
        try:
            if apply is None:
                raise _OpFailed(f"Unexpected kind: {kind}")
            apply(doc, op)
        except _OpFailed as failure:
            raise _unprocessable(str(failure)) from None
    return doc


def _json_kind(value: Any) -> str:
    """What Go's encoding/json calls a JSON value in `cannot unmarshal X` messages."""
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list):
        return "array"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    return "string"


def _pointer(op: dict, field: str, verb: str) -> tuple[str, list[str]]:
    text = op.get(field)
    if not isinstance(text, str):
        raise _OpFailed(f"{verb} operation failed to decode {field}: missing value")
    return text, [t.replace("~1", "/").replace("~0", "~") for t in text.split("/")[1:]]


def _parent(doc: Any, path: str, tokens: list[str]) -> Any:
    """The container holding the pointer's last token, or None when the path does not exist."""
    if not path.startswith("/"):
        return None
    node = doc
    for token in tokens[:-1]:
        try:
            node = _get(node, token)
        except _OpFailed:
            return None
        if not isinstance(node, (dict, list)):
            return None
    return node


def _is_index(token: str) -> bool:
    return token.isascii() and token.isdigit()


def _not_an_index(token: str) -> _OpFailed:
    return _OpFailed(f'strconv.Atoi: parsing "{token}": invalid syntax')


def _index(token: str, size: int) -> int:
    if not _is_index(token):
        raise _not_an_index(token)
    if int(token) >= size:
        raise _OpFailed(f"Unable to access invalid index: {int(token)}: invalid index referenced")
    return int(token)


def _get(container: Any, token: str) -> Any:
    if isinstance(container, list):
        return container[_index(token, len(container))]
    if not isinstance(container, dict) or token not in container:
        raise _OpFailed(f"Unable to get nonexistent key: {token}: missing value")
    return container[token]


def _add(container: Any, token: str, value: Any) -> None:
    if isinstance(container, dict):
        container[token] = value
    elif token == "-":
        container.append(value)
    elif not _is_index(token):
        raise _OpFailed(f"value was not a proper array index: '{token}': {_not_an_index(token)}")
    else:
        container.insert(_index(token, len(container) + 1), value)


def _remove(container: Any, token: str) -> Any:
    if isinstance(container, dict):
        if token not in container:
            raise _OpFailed(f"Unable to remove nonexistent key: {token}: missing value")
        return container.pop(token)
    return container.pop(_index(token, len(container)))


def _value(op: dict, verb: str) -> Any:
    if "value" not in op:
        raise _OpFailed(f"{verb} operation does not apply: operation, missing value field: missing value")
    return op["value"]


def _op_add(doc: dict, op: dict) -> None:
    path, tokens = _pointer(op, "path", "add")
    value = _value(op, "add")
    parent = _parent(doc, path, tokens)
    if parent is None:
        raise _OpFailed(f'add operation does not apply: doc is missing path: "{path}": missing value')
    try:
        _add(parent, tokens[-1], value)
    except _OpFailed as failure:
        raise _OpFailed(f"error in add for path: '{path}': {failure}") from None


def _op_remove(doc: dict, op: dict) -> None:
    path, tokens = _pointer(op, "path", "remove")
    parent = _parent(doc, path, tokens)
    if parent is None:
        raise _OpFailed(f'remove operation does not apply: doc is missing path: "{path}": missing value')
    try:
        _remove(parent, tokens[-1])
    except _OpFailed as failure:
        raise _OpFailed(f"error in remove for path: '{path}': {failure}") from None


def _op_replace(doc: dict, op: dict) -> None:
    path, tokens = _pointer(op, "path", "replace")
    value = _value(op, "replace")
    parent = _parent(doc, path, tokens)
    if parent is None:
        raise _OpFailed(f"replace operation does not apply: doc is missing path: {path}: missing value")
    try:
        _get(parent, tokens[-1])
    except _OpFailed:
        raise _OpFailed(f"replace operation does not apply: doc is missing key: {path}: missing value") from None
    if isinstance(parent, dict):
        parent[tokens[-1]] = value
    else:
        parent[int(tokens[-1])] = value


def _take(doc: dict, op: dict, verb: str, *, remove: bool) -> Any:
    """Read (copy) or detach (move) the value at `from`."""
    source, tokens = _pointer(op, "from", verb)
    parent = _parent(doc, source, tokens)
    if parent is None:
        raise _OpFailed(f"{verb} operation does not apply: doc is missing from path: {source}: missing value")
    try:
        return _remove(parent, tokens[-1]) if remove else copy_of(_get(parent, tokens[-1]))
    except _OpFailed as failure:
        raise _OpFailed(f"error in {verb} for from: '{source}': {failure}") from None


def _put(doc: dict, op: dict, verb: str, value: Any) -> None:
    path, tokens = _pointer(op, "path", verb)
    parent = _parent(doc, path, tokens)
    if parent is None:
        raise _OpFailed(f"{verb} operation does not apply: doc is missing destination path: {path}: missing value")
    try:
        _add(parent, tokens[-1], value)
    except _OpFailed as failure:
        raise _OpFailed(f"error in {verb} for path: '{path}': {failure}") from None


def _op_move(doc: dict, op: dict) -> None:
    _put(doc, op, "move", _take(doc, op, "move", remove=True))


def _op_copy(doc: dict, op: dict) -> None:
    _put(doc, op, "copy", _take(doc, op, "copy", remove=False))


def _op_test(doc: dict, op: dict) -> None:
    path, tokens = _pointer(op, "path", "test")
    parent = _parent(doc, path, tokens)
    if parent is None:
        raise _OpFailed(f"test operation does not apply: is missing path: {path}: missing value")
    try:
        actual = _get(parent, tokens[-1])
    except _OpFailed:
        actual = _MISSING
    if actual is _MISSING or not same_json(actual, op.get("value")):
        raise _OpFailed(f"testing value {path} failed: test failed")


_JSON_PATCH_OPS = {
    "add": _op_add, "remove": _op_remove, "replace": _op_replace,
    "move": _op_move, "copy": _op_copy, "test": _op_test,
}


# --------------------------------------------------------------------------- strategic merge patch: the table

# Which lists of built-in kinds merge instead of being replaced: upstream's `patchStrategy:"merge"` struct
# tags. A path is dotted field names relative to the object (list elements add no segment); the value is the
# `patchMergeKey`, or "" for a list of scalars that is merged as a set (metadata.finalizers).
_OBJECT_META = {"finalizers": "", "ownerReferences": "uid"}
_CONTAINER = {"ports": "containerPort", "env": "name", "volumeMounts": "mountPath", "volumeDevices": "devicePath"}
_CONTAINER_LISTS = ("containers", "initContainers", "ephemeralContainers")
_POD_SPEC = {
    "volumes": "name", "imagePullSecrets": "name", "hostAliases": "ip", "topologySpreadConstraints": "topologyKey",
    "resourceClaims": "name", "schedulingGates": "name",
    **{containers: "name" for containers in _CONTAINER_LISTS},
    **{f"{containers}.{field}": key for containers in _CONTAINER_LISTS for field, key in _CONTAINER.items()},
}


def _under(prefix: str, table: dict[str, str]) -> dict[str, str]:
    return {f"{prefix}.{path}": key for path, key in table.items()}


_POD_TEMPLATE = {**_under("metadata", _OBJECT_META), **_under("spec", _POD_SPEC)}
_EVERY_KIND = {**_under("metadata", _OBJECT_META), "status.conditions": "type"}
_WORKLOAD = _under("spec.template", _POD_TEMPLATE)
_MERGE_KEYS: dict[str, dict[str, str]] = {
    "Pod": {**_under("spec", _POD_SPEC), "status.podIPs": "ip", "status.hostIPs": "ip",
            "status.resourceClaimStatuses": "name"},
    "PodTemplate": _under("template", _POD_TEMPLATE),
    **{kind: _WORKLOAD for kind in ("Deployment", "ReplicaSet", "StatefulSet", "DaemonSet", "Job",
                                    "ReplicationController")},
    "CronJob": {**_under("spec.jobTemplate.metadata", _OBJECT_META),
                **_under("spec.jobTemplate.spec.template", _POD_TEMPLATE)},
    "Service": {"spec.ports": "port"},
    "Node": {"spec.podCIDRs": "", "status.addresses": "type"},
    "ServiceAccount": {"secrets": "name"},
}


def merge_keys(kind: str) -> dict[str, str]:
    """The merging lists of a built-in kind: field path -> patchMergeKey ("" = set of scalars)."""
    return {**_EVERY_KIND, **_MERGE_KEYS.get(kind, {})}


# --------------------------------------------------------------------------- strategic merge patch: the algorithm

_DIRECTIVE = "$patch"
_RETAIN_KEYS = "$retainKeys"
_ORDER = "$setElementOrder"
_DELETE_FROM = "$deleteFromPrimitiveList"
_BAD_ORDER = "invalid patch format of setElementOrder list"
_BAD_DELETE_FROM = "invalid patch format of primitive list"
_BAD_RETAIN_KEYS = "invalid patch format of retainKeys"


def strategic_merge_patch(target: dict, patch: dict, rt: ResourceType) -> dict:
    """Strategic merge patch of a built-in kind, as `kubectl patch` (default type) and client-side apply send.

    Lists listed by `merge_keys(rt.kind)` merge element-wise by their key (scalar sets are unioned); other lists
    are replaced; `null` deletes a key. Directives: `$patch: replace|delete` in a map or a list element,
    `$setElementOrder/<list>`, `$retainKeys`, `$deleteFromPrimitiveList/<list>`. As upstream, `$patch: merge`
    is refused. Errors carry upstream's messages and codes (400 for malformed directives, 422 for lists of
    lists, an untyped 500 for the rest, e.g. a missing merge key). Where upstream copies a patch value raw
    into an absent field, we apply it to an empty value, so directives and nulls never reach the stored object.
    """
    return _smp_map(copy_of(target), copy_of(patch), "", merge_keys(rt.kind))


def _child(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _directive_target(key: str, prefix: str, error: str) -> str:
    head, _, name = key.partition("/")
    if head != prefix or not name:
        raise bad_request(error)
    return name


def _smp_map(original: dict, patch: dict, path: str, fields: dict[str, str]) -> dict:
    if _DIRECTIVE in patch:
        directive = patch[_DIRECTIVE]
        if directive == "replace":
            del patch[_DIRECTIVE]
            return _smp_map({}, patch, path, fields)
        if directive == "delete":
            return {}
        raise _internal(f"unknown patch type: {directive} in map: {_go_value(patch)}")
    _retain_keys(original, patch)
    for key in [k for k in patch if k.startswith(_ORDER)]:
        _set_element_order(original, patch, key, path, fields)
    deletions: dict[str, Any] = {}
    for key, value in patch.items():
        if key.startswith(_DELETE_FROM):
            deletions[_directive_target(key, _DELETE_FROM, _BAD_DELETE_FROM)] = value
        elif value is None:
            original.pop(key, None)
        else:
            original[key] = _smp_value(original.get(key), value, _child(path, key), fields)
    for key, doomed in deletions.items():
        if key in original:
            original[key] = _delete_from_list(original[key], doomed)
    return original


def _retain_keys(original: dict, patch: dict) -> None:
    """`$retainKeys`: drop every key of the original not listed; the patch may only set listed keys."""
    if _RETAIN_KEYS not in patch:
        return
    retained = patch.pop(_RETAIN_KEYS)
    if not isinstance(retained, list):
        raise bad_request(_BAD_RETAIN_KEYS)
    for key, value in patch.items():
        if value is not None and not key.startswith((_ORDER, _DELETE_FROM)) and key not in retained:
            raise bad_request(_BAD_RETAIN_KEYS)
    for key in [k for k in original if k not in retained]:
        del original[key]


def _smp_value(current: Any, value: Any, path: str, fields: dict[str, str]) -> Any:
    if isinstance(value, dict):
        return _smp_map(current if isinstance(current, dict) else {}, value, path, fields)
    if isinstance(value, list):
        if path in fields:
            return _merge_list(current if isinstance(current, list) else [], value, path, fields)
        return [_smp_map({}, item, path, fields) if isinstance(item, dict) else item for item in value]
    return value


def _delete_from_list(current: Any, doomed: Any) -> Any:
    if not isinstance(current, list) or not isinstance(doomed, list):
        raise _internal(f"expected a []interface {{}}, but received a {_go_type(doomed)}")
    # compared as JSON, not hashed: the elements may be lists or objects (which upstream's Go map panics on)
    return [v for v in current if not any(same_json(v, d) for d in doomed)]


def _element_kind(*lists: list) -> str:
    """"map" or "scalar"; upstream refuses lists of lists and mixed element types."""
    kinds = set()
    for value in (v for values in lists for v in values):
        if isinstance(value, list):
            raise _unprocessable("lists of lists are not supported")
        kinds.add(type(value).__name__ if not isinstance(value, dict) else "map")
    if len(kinds) > 1:
        raise _internal(f"list element types are not identical: {_go_value(list(lists))}")
    return "map" if kinds == {"map"} else "scalar"


def _no_merge_key(item: Any, key: str) -> ApiError:
    return _internal(f"map: {_go_value(item)} does not contain declared merge key: {key}")


def _merge_key_of(item: Any, key: str) -> tuple[bool, Any]:
    if not isinstance(item, dict) or key not in item:
        raise _no_merge_key(item, key)
    return _identity(item[key])


def _identity_fn(key: str, kind: str):
    return (lambda item: _merge_key_of(item, key)) if kind == "map" else _identity


def _merge_list(original: list, patch: list, path: str, fields: dict[str, str]) -> list:
    if not original and not patch:
        return original
    key = fields[path]
    kind = _element_kind(original, patch)
    if kind != "map":
        merged = list({_identity(v): v for v in original + patch}.values())
        return _order(merged, patch, original, _identity)
    if not key:
        raise _internal("cannot merge lists without merge key for type struct")
    original, patch = _list_directives(original, patch, key)
    ident = _identity_fn(key, kind)
    merged = list(original)
    for item in patch:
        wanted = ident(item)
        index = next((i for i, m in enumerate(merged) if key in m and _identity(m[key]) == wanted), None)
        if index is None:
            merged.append(_smp_map({}, item, path, fields))
        else:
            merged[index] = _smp_map(merged[index], item, path, fields)
    return _order(merged, patch, original, ident)


def _list_directives(original: list, patch: list, key: str) -> tuple[list, list]:
    """Apply `$patch: delete` elements and `$patch: replace`; returns (original, remaining patch elements)."""
    remaining, replace = [], False
    for item in patch:
        if _DIRECTIVE not in item:
            remaining.append(item)
            continue
        directive = item[_DIRECTIVE]
        if directive == "delete":
            doomed = _merge_key_of(item, key)
            original = [m for m in original if not (key in m and _identity(m[key]) == doomed)]
        elif directive == "replace":
            replace = True
        elif directive == "merge":
            raise _internal("merging lists cannot yet be specified in the patch")
        else:
            raise _internal(f"unknown patch type: {directive} in map: {_go_value(item)}")
    return ([], remaining) if replace else (original, remaining)


def _order(merged: list, wanted: list, live: list, ident) -> list:
    """Upstream's element order: items named in `wanted` follow its order, the others keep their live order,
    and the two runs interleave where the live list relates them (items new to the live list come first)."""
    wanted_at = _positions(wanted, ident)
    live_at = _positions(live, ident)
    chosen = sorted((m for m in merged if ident(m) in wanted_at), key=lambda m: wanted_at[ident(m)])
    others = sorted((m for m in merged if ident(m) not in wanted_at), key=lambda m: live_at.get(ident(m), len(live)))
    result = []
    while chosen or others:
        if not chosen or (others and _before(others[0], chosen[0], live_at, ident)):
            result.append(others.pop(0))
        else:
            result.append(chosen.pop(0))
    return result


def _positions(items: list, ident) -> dict:
    positions: dict = {}
    for i, item in enumerate(items):
        positions.setdefault(ident(item), i)
    return positions


def _before(left: Any, right: Any, live_at: dict, ident) -> bool:
    left_at, right_at = live_at.get(ident(left)), live_at.get(ident(right))
    return left_at is not None and right_at is not None and left_at < right_at


def _set_element_order(original: dict, patch: dict, directive: str, path: str, fields: dict[str, str]) -> None:
    """`$setElementOrder/<list>`: merge the list, then order it as the directive says."""
    order = patch.pop(directive)
    name = _directive_target(directive, _ORDER, _BAD_ORDER)
    if not isinstance(order, list):
        raise _internal(f"expected a []interface {{}}, but received a {_go_type(order)}")
    list_path = _child(path, name)
    if list_path not in fields or (name not in original and name not in patch):
        return
    live, wanted = original.get(name, []), patch.pop(name, [])
    for value in (live, wanted):
        if not isinstance(value, list):
            raise _internal(f"expected a []interface {{}}, but received a {_go_type(value)}")
    ident = _identity_fn(fields[list_path], _element_kind(live, wanted, order))
    _check_order(wanted, order, ident)
    merged = _merge_list(live, wanted, list_path, fields) if wanted else live
    original[name] = _order(merged, order, live, ident)


def _check_order(patch_list: list, order: list, ident) -> None:
    """The patch's elements must appear in the directive's list, in the same relative order."""
    named = [item for item in patch_list if not (isinstance(item, dict) and _DIRECTIVE in item)]
    position = 0
    for item in named:
        while position < len(order) and ident(order[position]) != ident(item):
            position += 1
        if position == len(order):
            raise _internal(f"The order in patch list:\n{_go_value(patch_list)}\n doesn't match "
                            f"{_ORDER} list:\n{_go_value(order)}\n")
        position += 1
