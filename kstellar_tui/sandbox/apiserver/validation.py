"""The checks kube-apiserver makes on every object it stores (names per kind, metadata), with its messages.

`validate_object` returns `(field path, message)` pairs, the causes that `errors.invalid` turns into the
422 users know, e.g. `metadata.name: Invalid value: "Foo": a lowercase RFC 1123 subdomain must consist of ...`.
Conditions upstream answers with 400 BadRequest before validating are raised as `ApiError` instead.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from kstellar_tui.core.fleet.selectors import validate_label_key, validate_label_value
from kstellar_tui.sandbox.apiserver.errors import bad_request
from kstellar_tui.sandbox.apiserver.objectrules import copy_of
from kstellar_tui.sandbox.apiserver.resources import ResourceType

TOTAL_ANNOTATION_SIZE_LIMIT = 256 * 1024
NAMESPACE_MISMATCH = "the namespace of the provided object does not match the namespace sent on the request"

_DNS1123_LABEL_FMT = "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
_DNS1123_SUBDOMAIN_FMT = _DNS1123_LABEL_FMT + "(\\." + _DNS1123_LABEL_FMT + ")*"
_DNS1035_LABEL_FMT = "[a-z]([-a-z0-9]*[a-z0-9])?"
_DNS1123_LABEL = re.compile(f"^{_DNS1123_LABEL_FMT}$")
_DNS1123_SUBDOMAIN = re.compile(f"^{_DNS1123_SUBDOMAIN_FMT}$")
_DNS1035_LABEL = re.compile(f"^{_DNS1035_LABEL_FMT}$")


def _regex_error(message: str, fmt: str, *examples: str) -> str:
    """Upstream's RegexError wording, including its double space before each "or"."""
    shown = "".join(("'" if i == 0 else " or '") + example + "', " for i, example in enumerate(examples))
    return f"{message} (e.g. {shown}regex used for validation is '{fmt}')"


def _max_len(limit: int, value: str) -> list[str]:
    return [f"must be no more than {limit} characters"] if len(value) > limit else []


def dns1123_subdomain(value: str) -> list[str]:
    """Most kinds' names: lowercase RFC 1123 subdomain, at most 253 characters."""
    if _DNS1123_SUBDOMAIN.match(value):
        return _max_len(253, value)
    return _max_len(253, value) + [_regex_error(
        "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', "
        "and must start and end with an alphanumeric character", _DNS1123_SUBDOMAIN_FMT, "example.com")]


def dns1123_label(value: str) -> list[str]:
    """Namespace names (and every metadata.namespace): lowercase RFC 1123 label, at most 63 characters."""
    errors = _max_len(63, value)
    if _DNS1123_LABEL.match(value):
        return errors
    if _DNS1123_SUBDOMAIN.match(value):
        return errors + ["must not contain dots"]
    return errors + [_regex_error(
        "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start "
        "and end with an alphanumeric character", _DNS1123_LABEL_FMT, "my-name", "123-abc")]


def dns1035_label(value: str) -> list[str]:
    """Service names: an RFC 1035 label (starts with a letter), at most 63 characters."""
    if _DNS1035_LABEL.match(value):
        return _max_len(63, value)
    return _max_len(63, value) + [_regex_error(
        "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic "
        "character, and end with an alphanumeric character", _DNS1035_LABEL_FMT, "my-name", "abc-123")]


def path_segment_name(value: str, prefix: bool = False) -> list[str]:
    """RBAC names (e.g. `system:controller:x`): anything that is one URL path segment."""
    if not prefix and value in (".", ".."):
        return [f"may not be '{value}'"]
    return [f"may not contain '{c}'" for c in "/%" if c in value]


def _dns_rule(check: Callable[[str], list[str]]) -> Callable[[str, bool], list[str]]:
    """A DNS rule applied to a generateName prefix too: upstream masks a trailing '-' the suffix will follow."""
    def rule(name: str, prefix: bool) -> list[str]:
        if prefix and len(name) > 1 and name.endswith("-"):
            name = name[:-2] + "a"
        return check(name)
    return rule


_RBAC = "rbac.authorization.k8s.io"
_CRD = ("apiextensions.k8s.io", "CustomResourceDefinition")
_NAME_RULES: dict[tuple[str, str], Callable[[str, bool], list[str]]] = {
    ("", "Namespace"): _dns_rule(dns1123_label),
    ("", "Service"): _dns_rule(dns1035_label),
    **{(_RBAC, kind): path_segment_name for kind in ("Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding")},
}
_DEFAULT_NAME_RULE = _dns_rule(dns1123_subdomain)


def name_errors(name: str, rt: ResourceType, obj: dict, *, prefix: bool = False) -> list[str]:
    """Upstream's messages for a name of this kind (a generateName prefix when `prefix`); [] when valid.

    `obj` matters only for CustomResourceDefinitions, whose name must be `<spec.names.plural>.<spec.group>`.
    """
    errors = _NAME_RULES.get((rt.group, rt.kind), _DEFAULT_NAME_RULE)(name, prefix)
    if (rt.group, rt.kind) == _CRD:
        spec = obj.get("spec") or {}
        if name != f"{(spec.get('names') or {}).get('plural', '')}.{spec.get('group', '')}":
            errors.append('must be spec.names.plural+"."+spec.group')
    return errors


def invalid_value(field: str, value: Any, detail: str) -> tuple[str, str]:
    """A cause as upstream's field.Invalid prints it: `Invalid value: "x": detail`."""
    shown = json.dumps(value, ensure_ascii=False) if isinstance(value, str) else json.dumps(value)
    return field, f"Invalid value: {shown}: {detail}"


def _check_request_namespace(object_namespace: str, rt: ResourceType, namespace_from_url: str | None) -> None:
    if rt.namespaced and object_namespace and namespace_from_url and object_namespace != namespace_from_url:
        raise bad_request(NAMESPACE_MISMATCH)


def ensure_namespace(obj: dict, rt: ResourceType, namespace_from_url: str | None) -> dict:
    """A copy of `obj` with metadata.namespace as upstream sets it before validating a create or update.

    Namespaced kinds take the URL's namespace when the object has none; cluster-scoped kinds silently lose
    any namespace; a namespace contradicting the URL's raises upstream's 400 BadRequest.
    """
    result = copy_of(obj)
    metadata = result.setdefault("metadata", {})
    if not rt.namespaced:
        metadata.pop("namespace", None)
    elif namespace_from_url:
        _check_request_namespace(metadata.get("namespace") or "", rt, namespace_from_url)
        metadata["namespace"] = namespace_from_url
    return result


def validate_object(obj: dict, rt: ResourceType, *, namespace_from_url: str | None = None) -> list[tuple[str, str]]:
    """The causes of a 422 for this object, in upstream's order; [] when it may be stored.

    Raises ApiError 400 (as upstream does before validating) when apiVersion differs from the resource
    type's or metadata.namespace differs from `namespace_from_url`. An empty apiVersion or kind is accepted
    (the server fills both from the URL). A missing name is fine when generateName is set: the store adds the
    random suffix, and both the prefix (trailing '-' allowed) and the resulting name are validated as
    upstream does. Call `ensure_namespace` first to get upstream's silent namespace fixing; without it a
    cluster-scoped object carrying a namespace is reported as Forbidden.
    """
    api_version = obj.get("apiVersion")
    if api_version and api_version != rt.api_version:
        raise bad_request(f"the API version in the data ({api_version}) does not match the expected API "
                          f"version ({rt.api_version})")
    kind = obj.get("kind")
    if kind and kind != rt.kind:
        return [invalid_value("kind", kind, f"must be {rt.kind}")]
    metadata = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
    namespace = metadata.get("namespace") or ""
    _check_request_namespace(namespace, rt, namespace_from_url)
    return [*_name_causes(metadata, rt, obj), *_namespace_causes(namespace or namespace_from_url or "", rt),
            *_label_causes(metadata.get("labels") or {}), *_annotation_causes(metadata.get("annotations") or {})]


def _name_causes(metadata: dict, rt: ResourceType, obj: dict) -> list[tuple[str, str]]:
    generate_name, name = metadata.get("generateName") or "", metadata.get("name") or ""
    causes = [invalid_value("metadata.generateName", generate_name, msg)
              for msg in (name_errors(generate_name, rt, obj, prefix=True) if generate_name else [])]
    if name:
        causes += [invalid_value("metadata.name", name, msg) for msg in name_errors(name, rt, obj)]
    elif not generate_name:
        causes.append(("metadata.name", "Required value: name or generateName is required"))
    return causes


def _namespace_causes(namespace: str, rt: ResourceType) -> list[tuple[str, str]]:
    if not rt.namespaced:
        return [("metadata.namespace", "Forbidden: not allowed on this type")] if namespace else []
    if not namespace:
        return [("metadata.namespace", "Required value")]
    return [invalid_value("metadata.namespace", namespace, msg) for msg in dns1123_label(namespace)]


def _label_causes(labels: dict) -> list[tuple[str, str]]:
    causes = []
    for key, value in labels.items():
        if problem := validate_label_key(key):
            causes.append(invalid_value("metadata.labels", key, problem))
        if not isinstance(value, str):
            causes.append(invalid_value("metadata.labels", value, "must be a string"))
        elif problem := validate_label_value(value):
            causes.append(invalid_value("metadata.labels", value, problem))
    return causes


def _annotation_causes(annotations: dict) -> list[tuple[str, str]]:
    # Upstream checks annotation keys as label keys, ignoring case; values are free but count toward the size.
    causes = [invalid_value("metadata.annotations", key, problem)
              for key in annotations if (problem := validate_label_key(key.lower()))]
    causes += [invalid_value("metadata.annotations", value, "must be a string")
               for value in annotations.values() if not isinstance(value, str)]
    size = sum(len(k.encode()) + len(str(v).encode()) for k, v in annotations.items())
    if size > TOTAL_ANNOTATION_SIZE_LIMIT:
        causes.append(("metadata.annotations", f"Too long: may not be more than {TOTAL_ANNOTATION_SIZE_LIMIT} bytes"))
    return causes
