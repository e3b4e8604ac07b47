"""CustomResourceDefinitions as apiextensions-apiserver treats them: served types, pruning, defaults, validation.

Validation follows kube-openapi's schema validator step by step (the order of its checks, which
anyOf/oneOf branch it reports, its duplicate suppression) and apiextensions' conversion of its
results, so `kubectl` prints the messages a real cluster prints, e.g.
`spec.replicas: Invalid value: "string": spec.replicas in body must be of type integer: "string"`.
Errors are `(field path, message)` pairs; the message is the part after `field: `.

CEL rules (`x-kubernetes-validations`) are `crdrules`'; as upstream's, they run only when the schema checks
found no type or enum error (which then adds an error saying so, if the schema has rules).

Not implemented: validation ratcheting on update,
`uniqueItems`/`additionalProperties: false`/`patternProperties` (structural schemas forbid them),
metadata checks of embedded resources, and the formats isbn, creditcard, ssn, rgbcolor and duration
(accepted as they are).
"""

from __future__ import annotations

import base64
import binascii
import copy
import datetime
import ipaddress
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

from kstellar_tui.sandbox.apiserver import crdrules
from kstellar_tui.sandbox.apiserver.resources import CRD_VERBS, PrinterColumn, ResourceType, builtin_schema

Errors = list[tuple[str, str]]

# ---------------------------------------------------------------------------- CRD -> types


def types_from_crd(crd: dict) -> list[ResourceType]:
    """One ResourceType per served version; per-version schema, subresources and columns win over top-level ones."""
    spec = crd.get("spec") or {}
    names = spec.get("names") or {}
    kind = names["kind"]
    top_schema = (spec.get("validation") or {}).get("openAPIV3Schema")
    types = []
    for version in spec.get("versions") or ():
        if not version.get("served"):
            continue
        schema = (version.get("schema") or {}).get("openAPIV3Schema", top_schema)
        subresources = version.get("subresources", spec.get("subresources")) or {}
        columns = version.get("additionalPrinterColumns", spec.get("additionalPrinterColumns")) or ()
        types.append(ResourceType(
            group=spec["group"], version=version["name"], kind=kind, plural=names["plural"],
            singular=names.get("singular") or kind.lower(), namespaced=spec.get("scope") == "Namespaced",
            short_names=tuple(names.get("shortNames") or ()), categories=tuple(names.get("categories") or ()),
            subresources=frozenset(name for name in ("status", "scale") if subresources.get(name) is not None),
            verbs=CRD_VERBS, printer_columns=tuple(_column(c) for c in columns),
            schema=copy.deepcopy(schema), builtin=False,
        ))
    return types


def _column(col: dict) -> PrinterColumn:
    return PrinterColumn(name=col["name"], type=col["type"], json_path=col["jsonPath"],
                         description=col.get("description", ""), priority=col.get("priority", 0),
                         format=col.get("format", ""))


_DNS1035 = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
_DNS1035_MESSAGE = (
    "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic "
    "character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for "
    "validation is '[a-z]([-a-z0-9]*[a-z0-9])?')"
)


def _dns1035(value: str) -> str | None:
    problems = ["must be no more than 63 characters"] if len(value) > 63 else []
    if not _DNS1035.match(value):
        problems.append(_DNS1035_MESSAGE)
    return ",".join(problems) or None


def validate_crd(crd: dict) -> Errors:
    """The basic checks apiextensions makes on a CRD (names, group, scope, versions, schemas), upstream-worded.

    Missing singular/listKind are not errors: upstream defaults them before validating. Errors about the
    whole version list show the version names as the bad value (upstream prints its Go structs).
    """
    spec = crd.get("spec") or {}
    names = spec.get("names") or {}
    group, plural, kind = spec.get("group") or "", names.get("plural") or "", names.get("kind") or ""
    name = (crd.get("metadata") or {}).get("name") or ""
    errors: Errors = []
    if name != f"{plural}.{group}":
        errors.append(("metadata.name", f'{_invalid(name)}: must be spec.names.plural+"."+spec.group'))
    if not group:
        errors.append(("spec.group", "Required value"))
    elif "." not in group:
        errors.append(("spec.group", f"{_invalid(group)}: should be a domain with at least one dot"))
    scope = spec.get("scope") or ""
    if not scope:
        errors.append(("spec.scope", "Required value"))
    elif scope not in ("Cluster", "Namespaced"):
        errors.append(("spec.scope",
                       f'Unsupported value: {go_quote(scope)}: supported values: "Cluster", "Namespaced"'))
    versions = spec.get("versions") or []
    has_top_schema = bool((spec.get("validation") or {}).get("openAPIV3Schema"))
    for i, version in enumerate(versions):
        problem = _dns1035(version.get("name") or "")
        if problem:
            errors.append((f"spec.versions[{i}].name", f"{_invalid(version.get('name') or '')}: {problem}"))
        if not has_top_schema and not (version.get("schema") or {}).get("openAPIV3Schema"):
            errors.append((f"spec.versions[{i}].schema.openAPIV3Schema", "Required value: schemas are required"))
    version_names = [v.get("name") for v in versions]
    if len(set(version_names)) != len(version_names):
        errors.append(("spec.versions", f"{_invalid(version_names)}: must contain unique version names"))
    if sum(1 for v in versions if v.get("storage")) != 1:
        errors.append(("spec.versions",
                       f"{_invalid(version_names)}: must have exactly one version marked as storage version"))
    for key, value in (("plural", plural), ("kind", kind)):
        if not value:
            errors.append((f"spec.names.{key}", "Required value"))
    errors.extend(_name_errors(names))
    return errors


def _name_errors(names: dict) -> Errors:
    errors: Errors = []
    for key in ("plural", "singular"):
        problem = names.get(key) and _dns1035(names[key])
        if problem:
            errors.append((f"spec.names.{key}", f"{_invalid(names[key])}: {problem}"))
    for key in ("kind", "listKind"):
        problem = names.get(key) and _dns1035(names[key].lower())
        if problem:
            errors.append((f"spec.names.{key}",
                           f"{_invalid(names[key])}: may have mixed case, but should otherwise match: {problem}"))
    for key in ("shortNames", "categories"):
        for i, value in enumerate(names.get(key) or ()):
            problem = _dns1035(value)
            if problem:
                errors.append((f"spec.names.{key}[{i}]", f"{_invalid(value)}: {problem}"))
    if names.get("kind") and names.get("kind") == names.get("listKind"):
        errors.append(("spec.names.listKind", f"{_invalid(names['listKind'])}: kind and listKind may not be the same"))
    return errors


# ---------------------------------------------------------------------------- pruning and defaults

_ENVELOPE = frozenset({"apiVersion", "kind", "metadata"})
_OBJECT_META_FIELDS = frozenset({
    "name", "generateName", "namespace", "selfLink", "uid", "resourceVersion", "generation", "creationTimestamp",
    "deletionTimestamp", "deletionGracePeriodSeconds", "labels", "annotations", "ownerReferences", "finalizers",
    "managedFields",
})


def prepare(rt: ResourceType, obj: dict) -> dict:
    """A copy of `obj` as apiextensions stores it: unknown fields pruned, non-nullable nulls dropped, defaults set.

    A type without a schema (a built-in) is left as it is.
    """
    out = copy.deepcopy(obj)
    if rt.schema is None:
        return out
    _prune_object(out, rt.schema, [])
    _drop_nulls(out, rt.schema)
    _default(out, rt.schema)
    return out


def unknown_fields(rt: ResourceType, obj: dict) -> list[str]:
    """Paths of fields the type does not declare (`spec.x`, `spec.items[0].y`, `metadata.z`), sorted.

    For fieldValidation=Strict/Warn. Custom resources are checked against their schema (what pruning
    drops), built-in kinds against their field structure (what strict decoding rejects upstream).
    """
    schema = rt.schema if rt.schema is not None else builtin_schema(rt)
    found: list[str] = []
    if schema is not None:
        _prune_object(copy.deepcopy(obj), schema, found)
    return sorted(found)


def _prune_object(obj: dict, schema: dict, found: list[str]) -> None:
    metadata = obj.get("metadata")
    if isinstance(metadata, dict):
        for key in [k for k in metadata if k not in _OBJECT_META_FIELDS]:
            found.append(f"metadata.{key}")
            del metadata[key]
    root = dict(schema, **{"x-kubernetes-embedded-resource": True})
    _prune(obj, root, "", found)


def _child_schema(schema: dict | None, key: str) -> tuple[bool, dict | None]:
    """(known, schema of the value): a declared property, else additionalProperties (a schema or `true`)."""
    if schema is None:
        return False, None
    properties = schema.get("properties") or {}
    if key in properties:
        return True, properties[key]
    additional = schema.get("additionalProperties")
    if additional is None:
        return False, None
    if additional is True:
        return True, {"x-kubernetes-preserve-unknown-fields": True}
    return True, additional if isinstance(additional, dict) else None


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _prune(value: Any, schema: dict | None, path: str, found: list[str], keep_unknown: bool = False) -> None:
    """apiextensions' pruning: under x-kubernetes-preserve-unknown-fields unknown keys stay, known ones are pruned."""
    if schema is not None and schema.get("x-kubernetes-preserve-unknown-fields") is True:
        keep_unknown = True
    if keep_unknown and schema is None:
        return
    embedded = schema is not None and schema.get("x-kubernetes-embedded-resource") is True
    if isinstance(value, dict):
        for key in list(value):
            if embedded and key in _ENVELOPE:
                continue
            known, child = _child_schema(schema, key)
            if known:
                _prune(value[key], child, _join(path, key), found)
            elif not keep_unknown:
                found.append(_join(path, key))
                del value[key]
    elif isinstance(value, list):
        items = schema.get("items") if schema is not None else None
        for i, item in enumerate(value):
            _prune(item, items, f"{path}[{i}]", found, keep_unknown)


def _drop_nulls(value: Any, schema: dict | None) -> None:
    if isinstance(value, dict):
        for key in list(value):
            child = _child_schema(schema, key)[1]
            if value[key] is None and child is not None and not child.get("nullable") and child.get("default") is None:
                del value[key]
            else:
                _drop_nulls(value[key], child)
    elif isinstance(value, list):
        items = schema.get("items") if schema is not None else None
        for item in value:
            _drop_nulls(item, items)


def _default(value: Any, schema: dict | None) -> None:
    if schema is None:
        return
    if isinstance(value, dict):
        for key, prop in (schema.get("properties") or {}).items():
            missing = key not in value or (value[key] is None and not prop.get("nullable"))
            if prop.get("default") is not None and missing:
                value[key] = copy.deepcopy(prop["default"])
        for key in value:
            known, child = _child_schema(schema, key)
            if known and child is not None:
                if value[key] is None and not child.get("nullable") and key not in (schema.get("properties") or {}):
                    value[key] = copy.deepcopy(child.get("default"))
                _default(value[key], child)
    elif isinstance(value, list):
        items = schema.get("items")
        if items is None:
            return
        for i, item in enumerate(value):
            if item is None and not items.get("nullable"):
                value[i] = copy.deepcopy(items.get("default"))
            _default(value[i], items)


# ---------------------------------------------------------------------------- validation entry point


# Errors that stop CEL rules from running (upstream's TypeInvalid and NotSupported field errors).
_BLOCKING_CODES = frozenset({"type", "enum"})


def validate_custom_object(rt: ResourceType, obj: dict, *, old: dict | None = None,
                           subresource: str | None = None) -> Errors:
    """Schema, embedded-resource, list-type and CEL-rule errors for a custom resource, in apiextensions' order.

    With `subresource="status"` only `.status` is checked against the status schema (a status update);
    CEL rules see the whole object either way. `old` (the stored object, on update) enables transition
    rules. Metadata (names, labels…) is not checked here.
    """
    schema = rt.schema
    if schema is None:
        return []
    if subresource == "status":
        status_schema = (schema.get("properties") or {}).get("status")
        if "status" not in obj or status_schema is None:
            return []
        failures = _validate(status_schema, "", obj["status"]).errors
        errors = _to_field_errors(failures, "status")
    else:
        failures = _validate(schema, "", obj).errors
        errors = _to_field_errors(failures, None) + _walk_checks(obj, schema)
    if any(f.code in _BLOCKING_CODES for f in failures):
        if not crdrules.has_rules(schema):
            return errors
        return errors + [("<nil>", f"{_invalid('null')}: some validation rules were not checked because the "
                                   "object was invalid; correct the existing errors to complete validation")]
    return errors + [_rule_error(f) for f in crdrules.failures(schema, obj, old)]


def _rule_error(failure: crdrules.RuleFailure) -> tuple[str, str]:
    """How upstream words a failed rule: by its reason, with the node's schema type as the bad value."""
    path = _field(None, failure.path)
    if failure.reason == "FieldValueForbidden":
        return path, f"Forbidden: {failure.detail}"
    if failure.reason == "FieldValueRequired":
        return path, f"Required value: {failure.detail}"
    if failure.reason == "FieldValueDuplicate":
        return path, f"Duplicate value: {go_value(failure.type_name)}"
    return path, f"{_invalid(failure.type_name)}: {failure.detail}"


# ---------------------------------------------------------------------------- kube-openapi's validator


@dataclass(frozen=True)
class _Failure:
    """One kube-openapi error: `name` is its path in the body ("" at the root), `message` its own text."""

    code: str  # required, enum, too_long, max_items, max_properties, type, invalid, composite
    name: str
    message: str
    value: Any = ""
    limit: int = -1
    values: tuple = ()


class _Result:
    """Errors (deduplicated by message, as kube-openapi does) and the match count that picks anyOf/oneOf failures."""

    __slots__ = ("errors", "matches")

    def __init__(self, *failures: _Failure, matches: int = 0) -> None:
        self.errors: list[_Failure] = []
        self.matches = matches
        self.add(*failures)

    def add(self, *failures: _Failure) -> None:
        for failure in failures:
            if all(failure.message != seen.message for seen in self.errors):
                self.errors.append(failure)

    def merge(self, *others: _Result | None) -> _Result:
        for other in others:
            if other is not None:
                self.add(*other.errors)
                self.matches += other.matches
        return self

    @property
    def valid(self) -> bool:
        return not self.errors


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, str):
        return "string"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, list):
        return "array"
    return "object"


def _types(schema: dict) -> list[str]:
    if schema.get("x-kubernetes-int-or-string"):
        return ["integer", "string"]
    return [schema["type"]] if schema.get("type") else []


# The formats apiextensions keeps (others are dropped before validation), in go-openapi's normalized form.
_SUPPORTED_FORMATS = frozenset({
    "bsonobjectid", "uri", "email", "hostname", "ipv4", "ipv6", "cidr", "mac", "uuid", "uuid3", "uuid4", "uuid5",
    "isbn", "isbn10", "isbn13", "creditcard", "ssn", "hexcolor", "rgbcolor", "byte", "password", "date", "duration",
    "datetime",
})


def _format(schema: dict) -> str:
    fmt = schema.get("format") or ""
    return fmt if fmt.replace("-", "") in _SUPPORTED_FORMATS else ""


def _validate(schema: dict, path: str, data: Any) -> _Result:
    """kube-openapi's SchemaValidator.Validate: type, schema props, string, format, number, slice, enum, object."""
    result = _Result()
    if data is None:
        return result.merge(_check_type(schema, path, None), _check_enum(schema, path, None))
    kind = _json_type(data)
    checks = (
        (bool(_types(schema) or _format(schema)), _check_type),
        (True, _check_combinators),
        (kind == "string", _check_string),
        (kind == "string" and bool(_format(schema)), _check_format),
        (kind in ("integer", "number"), _check_number),
        (kind == "array", _check_items),
        (True, _check_enum),
        (kind == "object", _check_object),
    )
    for applies, check in checks:
        if applies:
            result.merge(check(schema, path, data))
            result.matches += 1
    result.matches += 1
    return result


def _invalid_type(path: str, type_name: str, value: str) -> _Result:
    return _Result(_Failure("type", path, f"{path} in body must be of type {type_name}: {go_quote(value)}", value))


_FORMAT_OF_KIND = {"integer": "int64", "number": "float64"}


def _check_type(schema: dict, path: str, data: Any) -> _Result:
    types, fmt = _types(schema), _format(schema)
    if data is None:
        if types and "null" not in types and not schema.get("nullable"):
            return _invalid_type(path, ",".join(types), "null")
        return _Result(matches=1)
    kind = _json_type(data)
    data_format = _FORMAT_OF_KIND.get(kind, "")
    float_int = kind == "number" and data.is_integer() and "integer" in types
    int_float = kind == "integer" and "number" in types
    if kind not in ("string", "array") and fmt and not (kind in types or data_format == fmt or float_int or int_float):
        return _invalid_type(path, fmt, data_format)
    if fmt and kind in ("string", "array") and not ("number" in types or "integer" in types):
        return _Result(matches=1)
    if not (kind in types or float_int or int_float):
        return _invalid_type(path, ",".join(types), kind)
    return _Result(matches=1)


def _composite(path: str, text: str) -> _Failure:
    return _Failure("composite", path, text)


def _check_combinators(schema: dict, path: str, data: Any) -> _Result:
    """anyOf, oneOf, allOf and not, reporting the failures of the branch that matched most (as kube-openapi)."""
    main = _Result()
    if schema.get("anyOf"):
        best = None
        for branch in schema["anyOf"]:
            result = _validate(branch, path, data)
            if result.valid:
                main.merge(result)
                break
            if best is None or result.matches > best.matches:
                best = result
        else:
            main.add(_composite(path, f"{go_quote(path)} must validate at least one schema (anyOf)"))
            main.merge(best)
    if schema.get("oneOf"):
        best, first_success, passed = None, None, 0
        for branch in schema["oneOf"]:
            result = _validate(branch, path, data)
            if result.valid:
                passed += 1
                best = None
                first_success = first_success or result
            elif passed == 0 and (best is None or result.matches > best.matches):
                best = result
        if passed != 1:
            detail = "Found none valid" if passed == 0 else f"Found {passed} valid alternatives"
            main.add(_composite(path, f"{go_quote(path)} must validate one and only one schema (oneOf). {detail}"))
            main.merge(best)
        else:
            main.merge(first_success)
    if schema.get("allOf"):
        results = [_validate(branch, path, data) for branch in schema["allOf"]]
        main.merge(*results)
        passed = sum(1 for r in results if r.valid)
        if passed != len(results):
            detail = ". None validated" if passed == 0 else ""
            main.add(_composite(path, f"{go_quote(path)} must validate all the schemas (allOf){detail}"))
    if schema.get("not") is not None and _validate(schema["not"], path, data).valid:
        main.add(_composite(path, f"{go_quote(path)} must not validate the schema (not)"))
    main.matches += 1
    return main


def _check_string(schema: dict, path: str, data: str) -> _Result | None:
    if "maxLength" in schema and len(data) > schema["maxLength"]:
        limit = schema["maxLength"]
        return _Result(_Failure("too_long", path, f"{path} in body should be at most {limit} chars long", data, limit))
    if "minLength" in schema and len(data) < schema["minLength"]:
        return _Result(_Failure("invalid", path, f"{path} in body should be at least {schema['minLength']} chars long",
                                data))
    pattern = schema.get("pattern")
    if pattern:
        regex = _regex(pattern)
        if regex is not None and not regex.search(data):
            return _Result(_Failure("invalid", path, f"{path} in body should match '{pattern}'", data))
    return None


@lru_cache(maxsize=512)
def _regex(pattern: str) -> re.Pattern | None:
    """Go RE2 patterns compile the same in Python almost always; one that doesn't is not enforced."""
    try:
        return re.compile(pattern)
    except re.error:
        return None


def _check_format(schema: dict, path: str, data: str) -> _Result | None:
    fmt = schema["format"]
    check = _FORMAT_CHECKS.get(fmt.replace("-", ""))
    if check is None or check(data):
        return None
    return _Result(_Failure("type", path, f"{path} in body must be of type {fmt}: {go_quote(data)}", data))


def _check_number(schema: dict, path: str, data: int | float) -> _Result:
    """multipleOf, minimum, maximum, in that order. Like Go, bounds are truncated to integers for integer data."""
    result = _Result(matches=1)
    as_bound = int if isinstance(data, int) else float
    if schema.get("multipleOf") is not None:
        result.add(*_multiple_of(path, data, schema["multipleOf"], as_bound(schema["multipleOf"])))
    for key, exclusive_key, lower in (("minimum", "exclusiveMinimum", True), ("maximum", "exclusiveMaximum", False)):
        if key not in schema:
            continue
        bound, exclusive = as_bound(schema[key]), bool(schema.get(exclusive_key))
        if lower and (data <= bound if exclusive else data < bound):
            relation = "greater than" if exclusive else "greater than or equal to"
        elif not lower and (data >= bound if exclusive else data > bound):
            relation = "less than" if exclusive else "less than or equal to"
        else:
            continue
        result.add(_Failure("invalid", path, f"{path} in body should be {relation} {go_value(bound)}", data))
    return result


def _multiple_of(path: str, data: int | float, factor: float, bound: int | float) -> list[_Failure]:
    if bound <= 0:
        return [_Failure("invalid", path, f"factor MultipleOf declared for {path} must be positive: {go_value(bound)}",
                         bound)]
    if isinstance(bound, int):
        whole = data % bound == 0
    else:
        whole = _is_whole(data / factor if factor >= 1 else data * (1 / factor))
    return [] if whole else [_Failure("invalid", path, f"{path} in body should be a multiple of {go_value(bound)}",
                                      data)]


def _is_whole(number: float) -> bool:
    """go-openapi's IsFloat64AJSONInteger: whole up to a relative error of 1e-9 (so 0.3 is a multiple of 0.1)."""
    if number != number or abs(number) == float("inf"):
        return False
    nearest = round(number)
    return number == nearest or abs(number - nearest) / (abs(number) + abs(nearest)) < 1e-9


def _check_items(schema: dict, path: str, data: list) -> _Result:
    result = _Result()
    items = schema.get("items")
    if isinstance(items, dict):
        for i, item in enumerate(data):
            result.merge(_validate(items, f"{path}[{i}]", item))
    if "minItems" in schema and len(data) < schema["minItems"]:
        result.add(_Failure("invalid", path, f"{path} in body should have at least {schema['minItems']} items",
                            len(data)))
    if "maxItems" in schema and len(data) > schema["maxItems"]:
        limit = schema["maxItems"]
        result.add(_Failure("max_items", path, f"{path} in body should have at most {limit} items", len(data), limit))
    result.matches += 1
    return result


def _json_equal(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    return a == b


def _check_enum(schema: dict, path: str, data: Any) -> _Result | None:
    enum = schema.get("enum")
    if not enum or any(_json_equal(data, allowed) for allowed in enum):
        return None
    return _Result(_Failure("enum", path, f"{path} in body should be one of {enum}", data, values=tuple(enum)))


def _check_object(schema: dict, path: str, data: dict) -> _Result:
    result = _Result()
    properties = schema.get("properties") or {}
    if "minProperties" in schema and len(data) < schema["minProperties"]:
        result.add(_Failure("invalid", path,
                            f"{path} in body should have at least {schema['minProperties']} properties", len(data)))
    if "maxProperties" in schema and len(data) > schema["maxProperties"]:
        limit = schema["maxProperties"]
        result.add(_Failure("max_properties", path, f"{path} in body should have at most {limit} properties",
                            len(data), limit))
    additional = schema.get("additionalProperties")
    if isinstance(additional, dict):
        for key, value in data.items():
            if key not in properties:
                result.merge(_validate(additional, f"{path}.{key}", value))
    for name, prop in properties.items():
        if name in data:
            result.merge(_validate(prop, _join(path, name), data[name]))
    for name in schema.get("required") or ():
        if name not in data:
            result.add(_Failure("required", f"{path}.{name}", f"{path}.{name} in body is required"))
    return result


# ---------------------------------------------------------------------------- formats (the cheap ones)

_UUID = {
    "uuid": r"(?i)^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$",
    "uuid3": r"(?i)^[0-9a-f]{8}-?[0-9a-f]{4}-?3[0-9a-f]{3}-?[0-9a-f]{4}-?[0-9a-f]{12}$",
    "uuid4": r"(?i)^[0-9a-f]{8}-?[0-9a-f]{4}-?4[0-9a-f]{3}-?[89ab][0-9a-f]{3}-?[0-9a-f]{12}$",
    "uuid5": r"(?i)^[0-9a-f]{8}-?[0-9a-f]{4}-?5[0-9a-f]{3}-?[89ab][0-9a-f]{3}-?[0-9a-f]{12}$",
}
_TIME = re.compile(r"^([0-9]{2}):([0-9]{2}):([0-9]{2})(.[0-9]+)?(z|([+-][0-9]{2}:[0-9]{2}))$")
_HOST_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$", re.IGNORECASE)
_MAC = re.compile(r"^([0-9a-f]{2}([:-])[0-9a-f]{2}(\2[0-9a-f]{2}){4}|[0-9a-f]{4}\.[0-9a-f]{4}\.[0-9a-f]{4})$",
                  re.IGNORECASE)


def _is_date(text: str) -> bool:
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return False
    try:
        datetime.date.fromisoformat(text)
    except ValueError:
        return False
    return True


def _is_date_time(text: str) -> bool:
    parts = text.lower().split("t")
    match = len(parts) >= 2 and _is_date(parts[0]) and _TIME.match(parts[1])
    return bool(match) and match.group(1) <= "23" and match.group(2) <= "59" and match.group(3) <= "59"


def _is_base64(text: str) -> bool:
    try:
        base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return False
    return True


def _parses(parser: Callable[[str], Any]) -> Callable[[str], bool]:
    def check(text: str) -> bool:
        try:
            parser(text)
        except ValueError:
            return False
        return True
    return check


def _is_hostname(text: str) -> bool:
    return 0 < len(text) <= 255 and all(_HOST_LABEL.match(label) for label in text.rstrip(".").split("."))


def _is_uri(text: str) -> bool:
    return text.startswith("/") or bool(urlsplit(text).scheme)


_FORMAT_CHECKS = {
    "datetime": _is_date_time,
    "date": _is_date,
    "byte": _is_base64,
    "ipv4": lambda t: "." in t and _parses(ipaddress.IPv4Address)(t),
    "ipv6": lambda t: ":" in t and _parses(ipaddress.IPv6Address)(t),
    "cidr": lambda t: "/" in t and _parses(lambda c: ipaddress.ip_network(c, strict=False))(t),
    "mac": lambda t: bool(_MAC.match(t)),
    "hostname": _is_hostname,
    "email": lambda t: bool(re.fullmatch(r"[^@\s]+@[^@\s]+", t)),
    "uri": _is_uri,
    "bsonobjectid": lambda t: bool(re.fullmatch(r"[0-9a-fA-F]{24}", t)),
    "hexcolor": lambda t: bool(re.fullmatch(r"#?([0-9a-fA-F]{3}|[0-9a-fA-F]{6})", t)),
    **{name: (lambda t, rx=re.compile(pattern): bool(rx.match(t))) for name, pattern in _UUID.items()},
}


# ---------------------------------------------------------------------------- kube-openapi -> field errors


def _field(base: str | None, name: str) -> str:
    """field.Path rendering: a nil path prints as <nil>, a child of nil is just its name."""
    if name and name != ".":
        name = name.removeprefix(".")
        return f"{base}.{name}" if base else name
    return base if base else "<nil>"


def _to_field_errors(failures: list[_Failure], base: str | None) -> Errors:
    """What apiextensions makes of kube-openapi errors (kubeOpenAPIResultToFieldErrors)."""
    errors: Errors = []
    for f in failures:
        if f.code == "composite":
            errors.append((base or "<nil>", f'{_invalid("")}: {f.message}'))
        elif f.code == "required":
            errors.append((_field(base, f.name), "Required value"))
        elif f.code == "enum":
            allowed = ", ".join(go_quote(v if isinstance(v, str) else json.dumps(v, separators=(",", ":")))
                                for v in f.values)
            errors.append((_field(base, f.name),
                           f"Unsupported value: {go_value(f.value)}: supported values: {allowed}"))
        elif f.code == "too_long":
            errors.append((_field(base, f.name), f"Too long: may not be more than {f.limit} bytes"))
        elif f.code in ("max_items", "max_properties"):
            errors.append((_field(base, f.name), f"Too many: {f.value}: must have at most {f.limit} items"))
        else:
            errors.append((_field(base, f.name), f"{_invalid(f.value)}: {f.message}"))
    return errors


# ---------------------------------------------------------------------------- embedded resources and list types


def _walk_checks(obj: dict, schema: dict) -> Errors:
    """Embedded-resource apiVersion/kind checks, then x-kubernetes-list-type set/map uniqueness (below the root)."""
    nodes = list(_nodes(obj, schema, ""))
    errors: Errors = []
    for value, node_schema, path in nodes:
        if path and isinstance(value, dict) and node_schema.get("x-kubernetes-embedded-resource"):
            errors += _embedded_errors(value, path)
    for value, node_schema, path in nodes:
        if isinstance(value, list):
            errors += _list_type_errors(value, node_schema, path)
    return errors


def _nodes(value: Any, schema: dict, path: str):
    """Every (value, schema, field path) the schema describes, depth first; map entries print as path[key]."""
    yield value, schema, path
    if isinstance(value, dict):
        properties = schema.get("properties") or {}
        for key, child in value.items():
            known, child_schema = _child_schema(schema, key)
            if known and child_schema is not None:
                yield from _nodes(child, child_schema, _join(path, key) if key in properties else f"{path}[{key}]")
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        for i, item in enumerate(value):
            yield from _nodes(item, schema["items"], f"{path}[{i}]")


def _embedded_errors(obj: dict, path: str) -> Errors:
    errors: Errors = [(f"{path}.{key}", "Required value: must not be empty") for key in ("apiVersion", "kind")
                      if key not in obj]
    for key in ("apiVersion", "kind"):
        if key not in obj:
            continue
        value = obj[key]
        if not isinstance(value, str):
            errors.append((f"{path}.{key}", f"{_invalid(value)}: must be a string"))
        elif not value:
            errors.append((f"{path}.{key}", f"{_invalid(value)}: must not be empty"))
        elif key == "apiVersion" and value.count("/") > 1:
            errors.append((f"{path}.{key}", f"{_invalid(value)}: unexpected GroupVersion string: {value}"))
        elif key == "kind" and _dns1035(value.lower()):
            problem = _dns1035(value.lower())
            errors.append((f"{path}.{key}",
                           f"{_invalid(value)}: may have mixed case, but should otherwise match: {problem}"))
    return errors


def _duplicates(keys: list[Any]) -> list[int]:
    """Indexes of the second occurrence of each repeated key (upstream reports each duplicate value once)."""
    seen: dict[str, int] = {}
    second = []
    for i, key in enumerate(keys):
        marker = json.dumps(key, sort_keys=True)
        seen[marker] = seen.get(marker, 0) + 1
        if seen[marker] == 2:
            second.append(i)
    return second


def _list_type_errors(items: list, schema: dict, path: str) -> Errors:
    list_type = schema.get("x-kubernetes-list-type")
    if list_type == "set":
        return [(f"{path}[{i}]", f"Duplicate value: {go_value(items[i])}") for i in _duplicates(items)]
    if list_type != "map":
        return []
    for i, item in enumerate(items):
        if item is not None and not isinstance(item, dict):
            return [(f"{path}[{i}]", f"{_invalid(item)}: must be an object for an array of list-type map")]
    key_fields = schema.get("x-kubernetes-list-map-keys") or []
    keys = [{k: item[k] for k in key_fields if k in item} for item in (i or {} for i in items)]
    return [(f"{path}[{i}]", f"Duplicate value: {go_value(keys[i])}") for i in _duplicates(keys)]


# ---------------------------------------------------------------------------- Go formatting of values


def _invalid(value: Any) -> str:
    return f"Invalid value: {go_value(value)}"


_GO_ESCAPES = {"\a": r"\a", "\b": r"\b", "\f": r"\f", "\n": r"\n", "\r": r"\r", "\t": r"\t", "\v": r"\v",
               "\\": "\\\\", '"': '\\"'}


def go_quote(text: str) -> str:
    """Go's %q (strconv.Quote)."""
    out = []
    for ch in text:
        if ch in _GO_ESCAPES:
            out.append(_GO_ESCAPES[ch])
        elif ch.isprintable():
            out.append(ch)
        elif ord(ch) < 0x80:
            out.append(f"\\x{ord(ch):02x}")
        else:
            out.append(f"\\u{ord(ch):04x}" if ord(ch) < 0x10000 else f"\\U{ord(ch):08x}")
    return '"' + "".join(out) + '"'


def go_float(number: float) -> str:
    """Go's %v for a float64: shortest digits, exponent form below 1e-4 and from 1e6 (like 1e+06)."""
    if number != number:
        return "NaN"
    if number in (float("inf"), float("-inf")):
        return "+Inf" if number > 0 else "-Inf"
    if number == 0:
        return "0"
    sign, digits, exponent = Decimal(repr(number)).normalize().as_tuple()
    exp = len(digits) + exponent - 1
    prefix = "-" if sign else ""
    if exp < -4 or exp >= 6:
        mantissa = str(digits[0]) + ("." + "".join(map(str, digits[1:])) if len(digits) > 1 else "")
        return f"{prefix}{mantissa}e{'-' if exp < 0 else '+'}{abs(exp):02d}"
    return prefix + format(Decimal(repr(abs(number))).normalize(), "f")


def go_value(value: Any) -> str:
    """How a field error prints its bad value: %q strings, %v numbers and bools, %#v anything else."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return go_float(value)
    if isinstance(value, str):
        return go_quote(value)
    return _go_sharp(value)


def _go_sharp(value: Any) -> str:
    if value is None:
        return "interface {}(nil)"
    if isinstance(value, dict):
        inner = ", ".join(f"{go_quote(k)}:{_go_sharp(value[k])}" for k in sorted(value))
        return f"map[string]interface {{}}{{{inner}}}"
    if isinstance(value, list):
        return "[]interface {}{" + ", ".join(_go_sharp(v) for v in value) + "}"
    return go_value(value)
