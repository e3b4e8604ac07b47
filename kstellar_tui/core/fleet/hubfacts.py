"""What lint and the policy preview need to know about a live hub, read with plain requests.

ManagedCluster labels (ITS), Namespaces, BindingPolicies and served kinds (WDS) are read once;
the namespaces on a WEC only when a rule asks for them (a fleet may have hundreds of WECs, and
most policies select their namespaces anyway), through the kubeconfig context named after the
cluster — the upstream convention — or a mapped one.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from kstellar_tui.core.kube.discovery import Discovery, KindResolver, discovery_for
from kstellar_tui.core.kube.kubeconfig import KubeConfig, KubeConfigError
from kstellar_tui.core.kube.rest import Rest

MANAGEDCLUSTERS = "/apis/cluster.open-cluster-management.io/v1/managedclusters"
NAMESPACES = "/api/v1/namespaces"
BINDINGPOLICIES = "/apis/control.kubestellar.io/v1alpha1/bindingpolicies"
WEC_TIMEOUT = (2.0, 5.0)  # an unreachable edge WEC must not stall lint


def labels_of(obj: Mapping) -> dict[str, str]:
    return dict((obj.get("metadata") or {}).get("labels") or {})


def _no_wec(cluster: str) -> frozenset[str] | None:
    return None


@dataclass
class HubFacts:
    """A snapshot of the hub; `wec_namespaces(cluster)` is None when that WEC cannot be read."""

    clusters: dict[str, dict[str, str]]
    namespaces: dict[str, dict[str, str]]
    policies: dict[str, dict]
    kinds: KindResolver
    wec_namespaces: Callable[[str], frozenset[str] | None] = field(default=_no_wec)


class WecNamespaces:
    """Reads (once) which namespaces exist on a WEC; None for a WEC without a context or unreachable."""

    def __init__(self, kubeconfig: KubeConfig, wec_contexts: Mapping[str, str] | None = None):
        self.kubeconfig = kubeconfig
        self.wec_contexts = dict(wec_contexts or {})
        self._cache: dict[str, frozenset[str] | None] = {}
        self._lock = threading.Lock()

    def __call__(self, cluster: str) -> frozenset[str] | None:
        with self._lock:
            if cluster not in self._cache:
                self._cache[cluster] = self._read(cluster)
            return self._cache[cluster]

    def _read(self, cluster: str) -> frozenset[str] | None:
        context = self.wec_contexts.get(cluster, cluster)
        if context not in self.kubeconfig.contexts:
            return None
        try:
            rest = Rest(self.kubeconfig.client(context), timeout=WEC_TIMEOUT)
            return frozenset(n["metadata"]["name"] for n in rest.list(NAMESPACES))
        except Exception:  # noqa: BLE001 - whatever the failure, the WEC's namespaces are unknown
            return None


class HubReadError(Exception):
    """The WDS or ITS could not be read; the message names which and why."""


def read_hub_facts(kubeconfig: KubeConfig, *, wds: str, its: str,
                   wec_contexts: Mapping[str, str] | None = None) -> HubFacts:
    try:
        wds_client, its_client = kubeconfig.client(wds), kubeconfig.client(its)
    except KubeConfigError as exc:
        raise HubReadError(str(exc)) from exc
    wds_rest, its_rest = Rest(wds_client), Rest(its_client)
    try:
        clusters = {c["metadata"]["name"]: labels_of(c) for c in its_rest.list(MANAGEDCLUSTERS)}
    except Exception as exc:  # noqa: BLE001 - transport errors come in many types
        raise HubReadError(f"cannot read ManagedClusters from {its}: {exc}") from exc
    try:
        namespaces = {n["metadata"]["name"]: labels_of(n) for n in wds_rest.list(NAMESPACES)}
        policies = {p["metadata"]["name"]: p for p in wds_rest.list(BINDINGPOLICIES)}
        kinds: Discovery = discovery_for(wds_client)
        kinds.invalidate()  # CRDs come and go: each snapshot sees the kinds served now
        kinds.groups()
    except Exception as exc:  # noqa: BLE001
        raise HubReadError(f"cannot read the WDS {wds}: {exc}") from exc
    return HubFacts(clusters, namespaces, policies, kinds, WecNamespaces(kubeconfig, wec_contexts))
