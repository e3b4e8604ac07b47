"""Which resource serves a kind: the cluster's discovery (`/api`, `/apis`, `/apis/<g>/<v>`), cached.

Manifests name `apiVersion` + `kind`; requests need the lowercase plural and whether the kind is
namespaced. Group-version lists are fetched lazily (a real cluster serves dozens) and cached per
client; an unknown kind triggers one refresh, because a CRD applied a moment ago adds kinds.
Offline, `BUILTIN` answers for the kinds every cluster (and every WDS) serves.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from kstellar_tui.core.kube.rest import ApiStatusError, Rest, api_path


@dataclass(frozen=True, slots=True)
class ApiResource:
    """One served resource of one group-version."""

    group: str
    version: str
    plural: str
    kind: str
    namespaced: bool
    verbs: frozenset[str] = frozenset()

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    def path(self, namespace: str | None = None, name: str | None = None) -> str:
        return api_path(self.group, self.version, self.plural, namespace if self.namespaced else None, name)

    def __str__(self) -> str:
        return f"{self.plural}.{self.group}" if self.group else self.plural


class KindResolver(Protocol):
    """Anything that maps apiVersion + kind to its resource (live discovery, the builtin table…)."""

    def find(self, api_version: str, kind: str) -> ApiResource | None:
        """The resource, or None when the kind is unknown."""

    def resolve(self, api_version: str, kind: str) -> ApiResource:
        """The resource, or UnknownKind with a message saying what is missing."""


class UnknownKind(LookupError):
    """The cluster serves no such kind; the message says whether the whole API group is missing."""


def split_api_version(api_version: str) -> tuple[str, str]:
    group, _, version = api_version.rpartition("/")
    return group, version


class Discovery:
    """A cluster's discovery, fetched lazily and cached; thread-safe."""

    def __init__(self, rest: Rest):
        self.rest = rest
        self._lock = threading.Lock()
        self._groups: dict[str, tuple[str, list[str]]] | None = None  # group -> (preferred, versions)
        self._by_gv: dict[str, dict[str, ApiResource]] = {}  # "group/version" -> kind -> resource

    def invalidate(self) -> None:
        with self._lock:
            self._groups = None
            self._by_gv.clear()

    def groups(self) -> dict[str, tuple[str, list[str]]]:
        """API group ("" for core) -> (preferred version, served versions)."""
        with self._lock:
            if self._groups is None:
                self._groups = self._fetch_groups()
            return self._groups

    def find(self, api_version: str, kind: str) -> ApiResource | None:
        """The resource for a kind, refreshing once when the kind is unknown; None when still unknown."""
        found = self._cached(api_version, kind)
        if found is not None:
            return found
        self._refresh(api_version)
        return self._cached(api_version, kind)

    def resolve(self, api_version: str, kind: str) -> ApiResource:
        found = self.find(api_version, kind)
        if found is not None:
            return found
        group, version = split_api_version(api_version)
        if group not in self.groups():
            raise UnknownKind(f'the cluster serves no API group "{group}" (is the CRD for {kind} installed?)')
        if version not in self.groups()[group][1]:
            served = ", ".join(self.groups()[group][1])
            raise UnknownKind(f"{api_version} is not served (versions of {group or 'core'}: {served})")
        raise UnknownKind(f"the cluster serves no kind {kind} in {api_version}")

    def preferred_resources(self) -> list[ApiResource]:
        """Every resource of every group's preferred version (subresources excluded)."""
        found: list[ApiResource] = []
        for group, (preferred, _) in sorted(self.groups().items()):
            found.extend(self._group_version(f"{group}/{preferred}" if group else preferred).values())
        return found

    # -- plumbing ------------------------------------------------------------------------------
    def _cached(self, api_version: str, kind: str) -> ApiResource | None:
        group, version = split_api_version(api_version)
        groups = self.groups()
        if group not in groups or version not in groups[group][1]:
            return None
        return self._group_version(api_version).get(kind)

    def _refresh(self, api_version: str) -> None:
        with self._lock:
            self._groups = None
            self._by_gv.pop(api_version, None)

    def _group_version(self, api_version: str) -> dict[str, ApiResource]:
        with self._lock:
            cached = self._by_gv.get(api_version)
        if cached is not None:
            return cached
        group, version = split_api_version(api_version)
        try:
            body = self.rest.get(f"/apis/{api_version}" if group else f"/api/{version}")
        except ApiStatusError as exc:
            if exc.code != 404:
                raise
            body = {}  # the version went away between the two reads
        resources = {r.kind: r for r in _resources(group, version, body.get("resources") or ())}
        with self._lock:
            self._by_gv[api_version] = resources
        return resources

    def _fetch_groups(self) -> dict[str, tuple[str, list[str]]]:
        core = self.rest.get("/api").get("versions") or ["v1"]
        groups = {"": (core[0], list(core))}
        for entry in self.rest.get("/apis").get("groups") or ():
            versions = [v.get("version") for v in entry.get("versions") or () if v.get("version")]
            preferred = (entry.get("preferredVersion") or {}).get("version") or (versions[0] if versions else "")
            if entry.get("name") and preferred:
                groups[entry["name"]] = (preferred, versions)
        return groups


def _resources(group: str, version: str, entries: Iterable[Mapping]) -> Iterable[ApiResource]:
    for entry in entries:
        name = entry.get("name") or ""
        if "/" in name or not entry.get("kind"):
            continue  # subresources such as deployments/status
        yield ApiResource(group, version, name, entry["kind"], bool(entry.get("namespaced")),
                          frozenset(entry.get("verbs") or ()))


_per_client: weakref.WeakKeyDictionary[Any, Discovery] = weakref.WeakKeyDictionary()
_per_client_lock = threading.Lock()


def discovery_for(client: Any) -> Discovery:
    """The cached Discovery of an `ApiClient` (one per client, as kubectl caches per server)."""
    with _per_client_lock:
        found = _per_client.get(client)
        if found is None:
            found = _per_client[client] = Discovery(Rest(client))
        return found


# ---------------------------------------------------------------------------------------------
# Offline knowledge: kinds every Kubernetes serves, plus KubeStellar's own.


class StaticKinds:
    """A fixed table of kinds (the builtin one, or those a batch's CRDs define)."""

    def __init__(self, resources: Iterable[ApiResource]):
        self._table = {(r.api_version, r.kind): r for r in resources}

    def find(self, api_version: str, kind: str) -> ApiResource | None:
        return self._table.get((api_version, kind))

    def resolve(self, api_version: str, kind: str) -> ApiResource:
        found = self.find(api_version, kind)
        if found is None:
            raise UnknownKind(f"no kind {kind} in {api_version}")
        return found


def _builtin() -> StaticKinds:
    rows = """
    v1 Namespace namespaces -|v1 ConfigMap configmaps ns|v1 Secret secrets ns|v1 Service services ns
    v1 ServiceAccount serviceaccounts ns|v1 Pod pods ns|v1 PersistentVolumeClaim persistentvolumeclaims ns
    v1 PersistentVolume persistentvolumes -|v1 Node nodes -|v1 Endpoints endpoints ns|v1 Event events ns
    v1 ReplicationController replicationcontrollers ns|v1 LimitRange limitranges ns
    v1 ResourceQuota resourcequotas ns|apps/v1 Deployment deployments ns|apps/v1 StatefulSet statefulsets ns
    apps/v1 DaemonSet daemonsets ns|apps/v1 ReplicaSet replicasets ns|apps/v1 ControllerRevision controllerrevisions ns
    batch/v1 Job jobs ns|batch/v1 CronJob cronjobs ns|autoscaling/v2 HorizontalPodAutoscaler horizontalpodautoscalers ns
    networking.k8s.io/v1 Ingress ingresses ns|networking.k8s.io/v1 NetworkPolicy networkpolicies ns
    networking.k8s.io/v1 IngressClass ingressclasses -|policy/v1 PodDisruptionBudget poddisruptionbudgets ns
    rbac.authorization.k8s.io/v1 Role roles ns|rbac.authorization.k8s.io/v1 RoleBinding rolebindings ns
    rbac.authorization.k8s.io/v1 ClusterRole clusterroles -
    rbac.authorization.k8s.io/v1 ClusterRoleBinding clusterrolebindings -
    storage.k8s.io/v1 StorageClass storageclasses -|storage.k8s.io/v1 CSIDriver csidrivers -
    storage.k8s.io/v1 CSINode csinodes -|coordination.k8s.io/v1 Lease leases ns
    events.k8s.io/v1 Event events ns|discovery.k8s.io/v1 EndpointSlice endpointslices ns
    apiextensions.k8s.io/v1 CustomResourceDefinition customresourcedefinitions -
    admissionregistration.k8s.io/v1 ValidatingWebhookConfiguration validatingwebhookconfigurations -
    admissionregistration.k8s.io/v1 MutatingWebhookConfiguration mutatingwebhookconfigurations -
    certificates.k8s.io/v1 CertificateSigningRequest certificatesigningrequests -
    control.kubestellar.io/v1alpha1 BindingPolicy bindingpolicies -
    control.kubestellar.io/v1alpha1 Binding bindings -
    control.kubestellar.io/v1alpha1 StatusCollector statuscollectors -
    control.kubestellar.io/v1alpha1 CustomTransform customtransforms -
    control.kubestellar.io/v1alpha1 CombinedStatus combinedstatuses ns
    """
    resources = []
    for row in rows.replace("\n", "|").split("|"):
        if row.strip():
            api_version, kind, plural, scope = row.split()
            group, version = split_api_version(api_version)
            resources.append(ApiResource(group, version, plural, kind, scope == "ns"))
    return StaticKinds(resources)


BUILTIN = _builtin()


def crd_resources(crd: Mapping) -> list[ApiResource]:
    """The resources a CustomResourceDefinition object serves (one per served version)."""
    spec = crd.get("spec") or {}
    names = spec.get("names") or {}
    group, kind, plural = spec.get("group") or "", names.get("kind") or "", names.get("plural") or ""
    if not (group and kind and plural):
        return []
    namespaced = spec.get("scope", "Namespaced") == "Namespaced"
    return [ApiResource(group, v["name"], plural, kind, namespaced)
            for v in spec.get("versions") or () if isinstance(v, Mapping) and v.get("name") and v.get("served", True)]


class Layered:
    """Ask each resolver in turn: e.g. the CRDs of a batch being applied, then the live cluster."""

    def __init__(self, *resolvers: KindResolver):
        self.resolvers = resolvers

    def find(self, api_version: str, kind: str) -> ApiResource | None:
        for resolver in self.resolvers:
            found = resolver.find(api_version, kind)
            if found is not None:
                return found
        return None

    def resolve(self, api_version: str, kind: str) -> ApiResource:
        """The last resolver (the authority, e.g. the cluster) words the error."""
        return self.find(api_version, kind) or self.resolvers[-1].resolve(api_version, kind)
