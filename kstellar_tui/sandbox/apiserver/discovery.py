"""Discovery documents (/version, /api, /apis, their groups and versions) built from a ResourceRegistry.

/api and /apis answer in aggregated form (apidiscovery.k8s.io/v2 APIGroupDiscoveryList, the same
JSON as v2beta1) when the Accept header asks for it, as kubectl 1.32 does: it then needs two
requests instead of one per group version. Other clients (the Python client) get the plain
APIVersions / APIGroupList and walk /api/v1 and /apis/<group>/<version>. `discovery_document`
picks the body and content type; the server must send that Content-Type, because clients decide
how to parse the body from it.
"""

from __future__ import annotations

import platform

from kstellar_tui.sandbox.apiserver.registry import ResourceRegistry
from kstellar_tui.sandbox.apiserver.resources import SUBRESOURCE_VERBS, ResourceType

KUBERNETES_VERSION = "v1.32.4"
GIT_VERSION = KUBERNETES_VERSION + "+kstellar-sandbox"
JSON = "application/json"
_AGGREGATED = {"g": "apidiscovery.k8s.io", "as": "APIGroupDiscoveryList"}
_MACHINES = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}


def version_info() -> dict:
    """/version: a v1.32 server (kubectl warns beyond one minor version of skew); fields we lack are empty."""
    major, minor, _ = KUBERNETES_VERSION.removeprefix("v").split(".")
    machine = platform.machine().lower()
    return {
        "major": major, "minor": minor, "gitVersion": GIT_VERSION, "gitCommit": "", "gitTreeState": "",
        "buildDate": "", "goVersion": "", "compiler": "cpython",
        "platform": f"{platform.system().lower()}/{_MACHINES.get(machine, machine)}",
    }


def api_versions(server_address: str | None = None) -> dict:
    """/api (legacy form): the core group's only version. The Python client requires the address list."""
    addresses = [{"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}] if server_address else []
    return {"kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": addresses}


def _group_body(group: str, versions: list[str]) -> dict:
    listed = [{"groupVersion": f"{group}/{v}", "version": v} for v in versions]
    return {"name": group, "versions": listed, "preferredVersion": listed[0]}


def api_group_list(registry: ResourceRegistry) -> dict:
    """/apis (legacy form): every named group with its versions, the preferred one first."""
    return {"kind": "APIGroupList", "apiVersion": "v1",
            "groups": [_group_body(group, versions) for group, versions in registry.groups()]}


def api_group(registry: ResourceRegistry, group: str) -> dict | None:
    """/apis/<group>, or None when the group is not served."""
    versions = registry.versions(group) if group else []
    return {"kind": "APIGroup", "apiVersion": "v1", **_group_body(group, versions)} if versions else None


def _types_of(registry: ResourceRegistry, group: str, version: str) -> list[ResourceType]:
    return sorted((rt for rt in registry.types() if rt.group == group and rt.version == version),
                  key=lambda rt: rt.plural)


def _names(rt: ResourceType) -> dict:
    names: dict = {}
    if rt.short_names:
        names["shortNames"] = list(rt.short_names)
    if rt.categories:
        names["categories"] = list(rt.categories)
    return names


def api_resource_list(registry: ResourceRegistry, group: str, version: str) -> dict | None:
    """/api/v1 or /apis/<group>/<version>: resources and their subresources, or None when not served."""
    types = _types_of(registry, group, version)
    if not types:
        return None
    resources = []
    for rt in types:
        resources.append({"name": rt.plural, "singularName": rt.singular, "namespaced": rt.namespaced,
                          "kind": rt.kind, "verbs": list(rt.verbs), **_names(rt)})
        for sub in sorted(rt.subresources):
            sub_group, sub_version, sub_kind = rt.subresource_kind(sub)
            entry = {"name": f"{rt.plural}/{sub}", "singularName": "", "namespaced": rt.namespaced}
            if (sub_group, sub_version) != (rt.group, rt.version):
                entry.update(group=sub_group, version=sub_version)
            resources.append({**entry, "kind": sub_kind, "verbs": list(SUBRESOURCE_VERBS[sub])})
    body = {"kind": "APIResourceList", "groupVersion": f"{group}/{version}" if group else version,
            "resources": resources}
    return body if not group else {"apiVersion": "v1", **body}


def _response_kind(rt: ResourceType, gvk: tuple[str, str, str]) -> dict:
    """Built-ins leave group/version empty for their own group version (as upstream); CRDs spell them out."""
    group, version, kind = gvk
    if rt.builtin and (group, version) == (rt.group, rt.version):
        group = version = ""
    return {"group": group, "version": version, "kind": kind}


def _aggregated_resource(rt: ResourceType) -> dict:
    entry = {
        "resource": rt.plural, "responseKind": _response_kind(rt, (rt.group, rt.version, rt.kind)),
        "scope": "Namespaced" if rt.namespaced else "Cluster", "singularResource": rt.singular,
        "verbs": list(rt.verbs), **_names(rt),
    }
    if rt.subresources:
        entry["subresources"] = [
            {"subresource": sub, "responseKind": _response_kind(rt, rt.subresource_kind(sub)),
             "verbs": list(SUBRESOURCE_VERBS[sub])}
            for sub in sorted(rt.subresources)
        ]
    return entry


def aggregated_discovery(registry: ResourceRegistry, root: str, version: str = "v2") -> dict:
    """APIGroupDiscoveryList for /api (the core group) or /apis (every named group)."""
    groups = [("", ["v1"])] if root == "/api" else registry.groups()
    items = []
    for group, versions in groups:
        metadata = {"name": group, "creationTimestamp": None} if group else {"creationTimestamp": None}
        items.append({"metadata": metadata, "versions": [
            {"version": v, "resources": [_aggregated_resource(rt) for rt in _types_of(registry, group, v)],
             "freshness": "Current"}
            for v in versions
        ]})
    return {"kind": "APIGroupDiscoveryList", "apiVersion": f"apidiscovery.k8s.io/{version}", "metadata": {},
            "items": items}


def accepted_media_types(accept: str | None) -> list[tuple[str, dict[str, str]]]:
    """The media ranges of an Accept header, most preferred first (by q, then order), without their q."""
    ranges = []
    for position, part in enumerate((accept or "").split(",")):
        mime, *params = (piece.strip() for piece in part.split(";"))
        if not mime:
            continue
        values = {}
        for param in params:
            key, _, value = param.partition("=")
            values[key.strip().lower()] = value.strip().strip('"')
        try:
            quality = float(values.pop("q", "1"))
        except ValueError:
            quality = 0.0
        if quality > 0:
            ranges.append((-quality, position, mime.lower(), values))
    return [(mime, values) for _, _, mime, values in sorted(ranges)]


def discovery_document(registry: ResourceRegistry, root: str, accept: str | None,
                       server_address: str | None = None) -> tuple[dict, str]:
    """(body, Content-Type) for GET /api or /apis: aggregated when the client prefers it, else the legacy list."""
    for mime, params in accepted_media_types(accept):
        wanted = params.get("v")
        if mime == JSON and all(params.get(k) == v for k, v in _AGGREGATED.items()) and wanted in ("v2", "v2beta1"):
            content_type = f"{JSON};g=apidiscovery.k8s.io;v={wanted};as=APIGroupDiscoveryList"
            return aggregated_discovery(registry, root, wanted), content_type
        if mime in (JSON, "application/*", "*/*") and "as" not in params:
            break
    body = api_versions(server_address) if root == "/api" else api_group_list(registry)
    return body, JSON
