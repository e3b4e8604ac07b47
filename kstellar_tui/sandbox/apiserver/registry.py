"""The resource types one cluster serves: the built-ins plus whatever its CustomResourceDefinitions add.

Everything that describes the API (discovery, OpenAPI, routing, the store) reads this registry, and
`generation` changes whenever the set of types does, so their caches know when to rebuild.
Resolving short names, singulars and categories is the client's job (kubectl does it from discovery).
"""

from __future__ import annotations

import re

from kstellar_tui.sandbox.apiserver.crdschema import types_from_crd
from kstellar_tui.sandbox.apiserver.resources import BUILTIN_TYPES, ResourceType

# The order a v1.32 kube-apiserver lists its groups in (/apis); CRD groups follow, by name.
BUILTIN_GROUP_ORDER: tuple[str, ...] = (
    "apps", "events.k8s.io", "autoscaling", "batch", "certificates.k8s.io", "networking.k8s.io", "policy",
    "rbac.authorization.k8s.io", "storage.k8s.io", "apiextensions.k8s.io", "scheduling.k8s.io",
    "coordination.k8s.io",
)

_KUBE_VERSION = re.compile(r"^v(\d+)(?:(alpha|beta)(\d+))?$")
_STABILITY = {None: 0, "beta": 1, "alpha": 2}


def kube_version_key(version: str) -> tuple:
    """Sort key putting versions in Kubernetes preference order: v2, v1, v1beta2, v1beta1, v1alpha1, then others."""
    match = _KUBE_VERSION.match(version)
    if match is None:
        return (3, 0, 0, version)
    major, stability, minor = match.groups()
    return (_STABILITY[stability], -int(major), -int(minor or 0), "")


class ResourceRegistry:
    """Built-in types plus CRD-served ones, looked up the ways the server needs."""

    def __init__(self) -> None:
        self.generation = 0
        self._crds: dict[str, tuple[dict, tuple[ResourceType, ...]]] = {}
        self._rebuild()

    # ---------------------------------------------------------------- lookups
    def lookup(self, group: str, version: str, plural: str) -> ResourceType | None:
        return self._by_resource.get((group, version, plural))

    def by_kind(self, api_version: str, kind: str) -> ResourceType | None:
        """The type for an object's apiVersion and kind (`apps/v1`, `Deployment`)."""
        group, _, version = api_version.rpartition("/")
        return self._by_kind.get((group, version, kind))

    def types(self) -> list[ResourceType]:
        return list(self._types)

    def groups(self) -> list[tuple[str, list[str]]]:
        """Named API groups in discovery order, each with its versions, the preferred one first."""
        return [(group, list(versions)) for group, versions in self._groups.items() if group]

    def versions(self, group: str) -> list[str]:
        """Served versions of a group (`""` is the core group), preferred first; empty if not served."""
        return list(self._groups.get(group, ()))

    def crd_for(self, rt: ResourceType) -> dict | None:
        """The CustomResourceDefinition that serves `rt` (for scale paths and the like), or None."""
        return self._crd_of_key.get(rt.key)

    # ---------------------------------------------------------------- changes
    def apply_crd(self, crd: dict) -> list[ResourceType]:
        """Serve (or re-serve) the versions of an established CRD; returns the types it now serves.

        Raises ValueError when its resource or kind is already served by another definition in the
        group (what upstream reports as NamesAccepted=False).
        """
        name = crd["metadata"]["name"]
        served = tuple(types_from_crd(crd))
        for rt in served:
            clash = self._owner_of(rt, ignoring=name)
            if clash:
                raise ValueError(
                    f'"{rt.plural}" or kind "{rt.kind}" in group "{rt.group}" is already served by {clash}')
        self._crds[name] = (crd, served)
        self._rebuild()
        return list(served)

    def remove_crd(self, crd_name: str) -> None:
        if self._crds.pop(crd_name, None) is not None:
            self._rebuild()

    # ---------------------------------------------------------------- internals
    def _owner_of(self, rt: ResourceType, *, ignoring: str) -> str | None:
        for other in BUILTIN_TYPES:
            if other.group == rt.group and (other.plural == rt.plural or other.kind == rt.kind):
                return "a built-in type"
        for crd_name, (_, served) in self._crds.items():
            if crd_name != ignoring and any(
                other.group == rt.group and (other.plural == rt.plural or other.kind == rt.kind) for other in served
            ):
                return f'customresourcedefinition "{crd_name}"'
        return None

    def _rebuild(self) -> None:
        custom = [rt for name in sorted(self._crds) for rt in self._crds[name][1]]
        self._types: tuple[ResourceType, ...] = (*BUILTIN_TYPES, *custom)
        self._by_resource = {(rt.group, rt.version, rt.plural): rt for rt in self._types}
        self._by_kind = {(rt.group, rt.version, rt.kind): rt for rt in self._types}
        self._crd_of_key = {rt.key: crd for crd, served in self._crds.values() for rt in served}
        versions: dict[str, set[str]] = {}
        for rt in self._types:
            versions.setdefault(rt.group, set()).add(rt.version)
        rank = {group: i for i, group in enumerate(("", *BUILTIN_GROUP_ORDER))}
        ordered = sorted(versions, key=lambda g: (rank.get(g, len(rank)), g))
        self._groups = {g: tuple(sorted(versions[g], key=kube_version_key)) for g in ordered}
        self.generation += 1
