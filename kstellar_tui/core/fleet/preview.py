"""What a BindingPolicy being edited would select, before anything is applied.

Clusters come from the ITS's ManagedCluster labels, objects from the WDS plus the documents not
yet applied (an editor's content overrides the WDS copy of the same object). Matching is
`core.fleet.placement`, the code the binding controller simulation and the monitor use; the
inventory is read once and `preview()` is pure, so the policy builder can call it on every edit.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from kstellar_tui.core.fleet.hubfacts import HubFacts
from kstellar_tui.core.fleet.placement import (
    Modulation, ObjectRef, compile_policy, explain_cluster, explain_object, is_excluded, object_labels, object_ref,
    select_clusters,
)
from kstellar_tui.core.fleet.selectors import SelectorError
from kstellar_tui.core.kube.discovery import ApiResource, Discovery, KindResolver
from kstellar_tui.core.manifests import Document

LIST_WORKERS = 8


@dataclass(frozen=True)
class Inventory:
    """The candidates: ManagedCluster labels, WDS objects (with refs) and WDS Namespace labels."""

    clusters: Mapping[str, Mapping[str, str]]
    objects: Sequence[tuple[ObjectRef, Mapping]]
    namespace_labels: Mapping[str, Mapping[str, str]]

    def with_documents(self, documents: Iterable[Document], kinds: KindResolver,
                       default_namespace: str = "default") -> Inventory:
        """This inventory plus not-yet-applied documents, which replace same-identity objects."""
        objects = {_identity(ref): (ref, obj) for ref, obj in self.objects}
        namespaces = dict(self.namespace_labels)
        for doc in documents:
            resource = kinds.find(doc.api_version, doc.kind) if doc.obj is not None and doc.name else None
            if resource is None or is_excluded(resource.group, resource.plural):
                continue  # like read_inventory: the binding controller never considers these
            obj = doc.obj
            if resource.namespaced and not doc.namespace:
                obj = {**obj, "metadata": {**doc.metadata, "namespace": default_namespace}}
            ref = object_ref(obj, resource.plural)
            objects[_identity(ref)] = (ref, _slim(obj))
            if (resource.group, resource.plural) == ("", "namespaces"):
                namespaces[ref.name] = dict(doc.labels)
        return Inventory(self.clusters, list(objects.values()), namespaces)


def _identity(ref: ObjectRef) -> tuple[str, str, str, str]:
    return ref.group, ref.resource, ref.namespace, ref.name


def _slim(obj: Mapping) -> dict:
    """Only what matching needs: a WDS-wide inventory stays small."""
    meta = obj.get("metadata") or {}
    return {"apiVersion": obj.get("apiVersion"), "kind": obj.get("kind"),
            "metadata": {k: meta[k] for k in ("name", "namespace", "labels") if k in meta}}


@dataclass(frozen=True)
class ClusterMiss:
    name: str
    labels: Mapping[str, str]
    reason: str


@dataclass(frozen=True)
class ObjectMatch:
    ref: ObjectRef
    modulation: Modulation


@dataclass(frozen=True)
class ObjectMiss:
    ref: ObjectRef
    reason: str


@dataclass(frozen=True)
class Preview:
    clusters: list[str]
    objects: list[ObjectMatch]
    cluster_misses: list[ClusterMiss] = field(default_factory=list)
    object_misses: list[ObjectMiss] = field(default_factory=list)
    error: str | None = None  # an invalid clusterSelector: upstream would not resolve this policy

    @property
    def summary(self) -> str:
        c, o = len(self.clusters), len(self.objects)
        text = f"{c} cluster{'s' * (c != 1)}, {o} object{'s' * (o != 1)}"
        return f"{text} ({self.error})" if self.error else text


def preview(policy: Mapping, inventory: Inventory) -> Preview:
    """Matched clusters and objects, and for every miss the reason placement gives."""
    compiled = compile_policy(policy)
    error = None
    try:
        clusters = select_clusters(compiled, inventory.clusters)
    except SelectorError as exc:
        clusters, error = [], str(exc)
    chosen = set(clusters)
    cluster_misses = [ClusterMiss(name, labels, explain_cluster(compiled, name, labels).message)
                      for name, labels in sorted(inventory.clusters.items()) if name not in chosen]
    matched, missed = [], []
    for ref, obj in inventory.objects:
        ns_labels = inventory.namespace_labels.get(ref.namespace) if ref.namespace else None
        explanation = explain_object(compiled, ref, object_labels(obj), ns_labels)
        if explanation.modulation is not None:
            matched.append(ObjectMatch(ref, explanation.modulation))
        else:
            missed.append(ObjectMiss(ref, explanation.message))
    return Preview(clusters, sorted(matched, key=_order), cluster_misses, sorted(missed, key=_order), error)


def _order(item: ObjectMatch | ObjectMiss) -> tuple:
    """Namespaces first (as they are applied), then by kind and name."""
    ref = item.ref
    return ref.resource != "namespaces", ref.group, ref.resource, ref.namespace, ref.name


# ---------------------------------------------------------------------------------------------
# Reading the inventory from a live hub


def _propagatable(resource: ApiResource) -> bool:
    return {"list", "watch"} <= resource.verbs and not is_excluded(resource.group, resource.plural)


def read_inventory(facts: HubFacts) -> Inventory:
    """Every object the binding controller would consider in the WDS (listed in parallel, slimmed)."""
    discovery = facts.kinds
    if not isinstance(discovery, Discovery):
        raise TypeError("read_inventory needs facts read from a live hub (read_hub_facts)")
    resources = [r for r in discovery.preferred_resources() if _propagatable(r)]

    def objects_of(resource: ApiResource) -> list[tuple[ObjectRef, dict]]:
        items = discovery.rest.list(resource.path())
        return [(object_ref(o, resource.plural), _slim({**o, "apiVersion": resource.api_version,
                                                           "kind": resource.kind})) for o in items]

    with ThreadPoolExecutor(LIST_WORKERS) as pool:
        lists = list(pool.map(objects_of, resources))
    objects = [item for chunk in lists for item in chunk]
    return Inventory(dict(facts.clusters), objects, dict(facts.namespaces))
