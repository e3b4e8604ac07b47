"""Builds `apiextensions.k8s.io/v1` CustomResourceDefinition objects from a compact description.

The sandbox installs these objects into a space the way upstream components do (KubeFlex's chart,
`clusteradm init`, the KubeStellar controller-manager), so `kubectl get crd`, discovery and
validation all come from the same object."""

from __future__ import annotations

import copy
from typing import Any

from kstellar_tui.sandbox.definitions.schema import Schema


def column(name: str, json_path: str, type_: str = "string") -> dict[str, str]:
    """One additionalPrinterColumns entry (what `kubectl get` shows)."""
    return {"jsonPath": json_path, "name": name, "type": type_}


AGE_UPPER = column("AGE", ".metadata.creationTimestamp", "date")


def custom_resource_definition(
    group: str,
    kind: str,
    plural: str,
    *,
    version: str,
    namespaced: bool,
    schema: Schema,
    short_names: tuple[str, ...] = (),
    categories: tuple[str, ...] = (),
    columns: tuple[dict[str, str], ...] = (),
    status_subresource: bool = True,
) -> dict[str, Any]:
    names: dict[str, Any] = {"kind": kind, "listKind": f"{kind}List", "plural": plural, "singular": kind.lower()}
    if short_names:
        names["shortNames"] = list(short_names)
    if categories:
        names["categories"] = list(categories)
    served: dict[str, Any] = {
        "name": version,
        "served": True,
        "storage": True,
        "schema": {"openAPIV3Schema": schema},
        "subresources": {"status": {}} if status_subresource else {},
    }
    if columns:
        served["additionalPrinterColumns"] = [dict(c) for c in columns]
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"{plural}.{group}"},
        "spec": {
            "group": group,
            "names": names,
            "scope": "Namespaced" if namespaced else "Cluster",
            "versions": [served],
        },
    }


def fresh(crd: dict[str, Any]) -> dict[str, Any]:
    """A private copy: stored objects must never share structure with the catalogue."""
    return copy.deepcopy(crd)
