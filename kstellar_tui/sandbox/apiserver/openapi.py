"""/openapi/v3 and its per-group-version OpenAPI 3 documents (served as application/json).

kubectl 1.32 reads them for two decisions, and each document is shaped for those:

* Server-side field validation: `kubectl apply/create` (default `--validate=strict`) looks for a PATCH
  operation tagged with the object's x-kubernetes-group-version-kind and a `fieldValidation` query
  parameter. Finding it, kubectl sends `?fieldValidation=Strict` and skips client-side validation
  (which would need /openapi/v2). Every PATCH here carries that parameter inline.
* How `kubectl apply` computes its patch: a PATCH whose request body lists
  application/strategic-merge-patch+json makes kubectl build the strategic merge patch from the
  document's schema. Built-in schemas here are deliberately permissive (no merge keys), so no PATCH
  lists it: kubectl then falls back to its compiled-in Go types for built-ins (exact merge keys) and to
  a JSON merge patch for custom resources, as it does against a real server.

Custom resources get their CRD's schema; built-in kinds a permissive object schema, enough for
`kubectl explain` to name the kind.
"""

from __future__ import annotations

import copy
import hashlib
import json

from kstellar_tui.sandbox.apiserver.discovery import GIT_VERSION, JSON
from kstellar_tui.sandbox.apiserver.registry import ResourceRegistry
from kstellar_tui.sandbox.apiserver.resources import SCALE_GVK, SUBRESOURCE_VERBS, ResourceType

_PATCH_TYPES = ("application/json-patch+json", "application/merge-patch+json", "application/apply-patch+yaml")


def group_version_path(group: str, version: str) -> str:
    """The key of a group version in the index: `api/v1` or `apis/<group>/<version>`."""
    return f"apis/{group}/{version}" if group else f"api/{version}"


class OpenAPIV3:
    """The index and documents for one registry, rebuilt only when its generation changes."""

    def __init__(self, registry: ResourceRegistry) -> None:
        self._registry = registry
        self._generation = -1
        self._documents: dict[str, dict] = {}
        self._hashes: dict[str, str] = {}

    def index(self) -> dict:
        """GET /openapi/v3: each group version and the URL of its document (the hash changes with it)."""
        self._refresh()
        return {"paths": {path: {"serverRelativeURL": f"/openapi/v3/{path}?hash={self._hashes[path]}"}
                          for path in self._documents}}

    def document(self, path: str) -> dict | None:
        """GET /openapi/v3/<path> (`apis/apps/v1`); None when that group version is not served."""
        self._refresh()
        return self._documents.get(path.strip("/"))

    def _refresh(self) -> None:
        if self._generation == self._registry.generation:
            return
        by_path: dict[str, list[ResourceType]] = {}
        for rt in self._registry.types():
            by_path.setdefault(group_version_path(rt.group, rt.version), []).append(rt)
        self._documents = {path: _document(types) for path, types in by_path.items()}
        self._hashes = {path: hashlib.sha256(json.dumps(doc, sort_keys=True).encode()).hexdigest().upper()
                        for path, doc in self._documents.items()}
        self._generation = self._registry.generation


def _schema_name(group: str, version: str, kind: str, builtin: bool) -> str:
    if builtin:
        return f"io.k8s.api.{group.split('.')[0] or 'core'}.{version}.{kind}"
    return ".".join(reversed(group.split("."))) + f".{version}.{kind}"


def _gvk(gvk: tuple[str, str, str]) -> dict:
    group, version, kind = gvk
    return {"group": group, "version": version, "kind": kind}


def _permissive(description: str) -> dict:
    return {
        "description": description, "type": "object",
        "properties": {"apiVersion": {"type": "string"}, "kind": {"type": "string"},
                       "metadata": {"type": "object", "x-kubernetes-preserve-unknown-fields": True}},
        "x-kubernetes-preserve-unknown-fields": True,
    }


def _kind_schema(rt: ResourceType) -> dict:
    if rt.schema is not None:
        schema = copy.deepcopy(rt.schema)
    else:
        schema = _permissive(f"{rt.kind} ({rt.api_version}); the sandbox does not publish its fields.")
    schema["x-kubernetes-group-version-kind"] = [_gvk((rt.group, rt.version, rt.kind))]
    return schema


_SCALE_SCHEMA = {
    "description": "Scale represents a scaling request for a resource.", "type": "object",
    "properties": {
        "apiVersion": {"type": "string"}, "kind": {"type": "string"},
        "metadata": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
        "spec": {"type": "object", "properties": {"replicas": {"type": "integer", "format": "int32"}}},
        "status": {"type": "object", "properties": {"replicas": {"type": "integer", "format": "int32"},
                                                    "selector": {"type": "string"}}},
    },
    "x-kubernetes-group-version-kind": [_gvk(SCALE_GVK)],
}


def _query(name: str, description: str, type_: str = "string") -> dict:
    return {"name": name, "in": "query", "description": description, "schema": {"type": type_, "uniqueItems": True}}


_DRY_RUN = _query("dryRun", "When present, indicates that modifications should not be persisted. Valid value: All")
_FIELD_MANAGER = _query("fieldManager", "A name associated with the actor or entity that is making these changes.")
_FIELD_VALIDATION = _query(
    "fieldValidation",
    "fieldValidation instructs the server on how to handle objects in the request (POST/PUT/PATCH) containing "
    "unknown or duplicate fields. Valid values are: - Ignore - Warn - Strict",
)
_FORCE = _query("force", "Force is going to \"force\" Apply requests.", "boolean")
_WRITE_PARAMETERS = {"post": [_DRY_RUN, _FIELD_MANAGER, _FIELD_VALIDATION],
                     "put": [_DRY_RUN, _FIELD_MANAGER, _FIELD_VALIDATION],
                     "patch": [_DRY_RUN, _FIELD_MANAGER, _FIELD_VALIDATION, _FORCE]}
# The HTTP method and x-kubernetes-action of each verb.
_OPERATIONS = {"list": ("get", "list"), "create": ("post", "post"), "deletecollection": ("delete", "deletecollection"),
               "get": ("get", "get"), "update": ("put", "put"), "patch": ("patch", "patch"),
               "delete": ("delete", "delete")}
_COLLECTION_VERBS = ("list", "create", "deletecollection")
_OBJECT_VERBS = ("get", "update", "patch", "delete")


def _path_parameter(name: str) -> dict:
    return {"name": name, "in": "path", "required": True, "schema": {"type": "string", "uniqueItems": True}}


def _operation(method: str, action: str, gvk: tuple[str, str, str], ref: str, operation_id: str) -> dict:
    body_schema = {"$ref": ref}
    operation = {
        "operationId": operation_id,
        "parameters": list(_WRITE_PARAMETERS.get(method, ())),
        "responses": {"200": {"description": "OK", "content": {JSON: {
            "schema": {"type": "object"} if action in ("list", "deletecollection") else body_schema}}}},
        "x-kubernetes-action": action,
        "x-kubernetes-group-version-kind": _gvk(gvk),
    }
    if method in ("post", "put"):
        operation["requestBody"] = {"content": {JSON: {"schema": body_schema}}, "required": True}
    elif method == "patch":
        operation["requestBody"] = {"content": {t: {"schema": {"type": "object"}} for t in _PATCH_TYPES},
                                    "required": True}
    return operation


def _path_item(verbs, gvk: tuple[str, str, str], ref: str, name: str, parameters: list[dict]) -> dict:
    """One path's operations; `name` completes the operationId after the action (upstream style)."""
    item: dict = {"parameters": parameters}
    for verb in verbs:
        method, action = _OPERATIONS[verb]
        item[method] = _operation(method, action, gvk, ref, action + name)
    return item


def _camel(text: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in text.replace("-", ".").split("."))


def _paths(rt: ResourceType) -> dict:
    prefix = f"/apis/{rt.group}/{rt.version}" if rt.group else f"/api/{rt.version}"
    ref = f"#/components/schemas/{_schema_name(rt.group, rt.version, rt.kind, rt.builtin)}"
    gvk = (rt.group, rt.version, rt.kind)
    name = _camel(rt.group or "core") + _camel(rt.version) + ("Namespaced" if rt.namespaced else "") + rt.kind
    scope = [_path_parameter("namespace")] if rt.namespaced else []
    collection = f"{prefix}/namespaces/{{namespace}}/{rt.plural}" if rt.namespaced else f"{prefix}/{rt.plural}"
    item = f"{collection}/{{name}}"
    object_parameters = [_path_parameter("name"), *scope]
    paths = {
        collection: _path_item([v for v in _COLLECTION_VERBS if v in rt.verbs], gvk, ref, name, scope),
        item: _path_item([v for v in _OBJECT_VERBS if v in rt.verbs], gvk, ref, name, object_parameters),
    }
    if rt.namespaced and "list" in rt.verbs:
        all_namespaces = _camel(rt.group or "core") + _camel(rt.version) + rt.kind + "ForAllNamespaces"
        paths[f"{prefix}/{rt.plural}"] = _path_item(("list",), gvk, ref, all_namespaces, [])
    for sub in sorted(rt.subresources):
        sub_gvk = rt.subresource_kind(sub)
        sub_ref = ref if sub_gvk == gvk else f"#/components/schemas/{_schema_name(*sub_gvk, builtin=True)}"
        paths[f"{item}/{sub}"] = _path_item(SUBRESOURCE_VERBS[sub], sub_gvk, sub_ref, name + _camel(sub),
                                            object_parameters)
    return paths


def _document(types: list[ResourceType]) -> dict:
    schemas: dict[str, dict] = {}
    paths: dict[str, dict] = {}
    for rt in types:
        schemas[_schema_name(rt.group, rt.version, rt.kind, rt.builtin)] = _kind_schema(rt)
        if "scale" in rt.subresources:
            schemas[_schema_name(*SCALE_GVK, builtin=True)] = copy.deepcopy(_SCALE_SCHEMA)
        paths.update(_paths(rt))
    return {"openapi": "3.0.0", "info": {"title": "Kubernetes", "version": GIT_VERSION}, "paths": paths,
            "components": {"schemas": schemas}}
