"""The KubeStellar topology: which sandbox cluster plays which part, and what runs where.

Everything is read from the clusters themselves, so a restarted sandbox finds its way back:
- the hosting cluster is the one named in `TopologySettings.hosting` (`kind-kubeflex`);
- ITSes and WDSes are the hosting cluster's ControlPlanes labelled `kflex.kubestellar.io/cptype`
  `its` / `wds`; `k8s` and `vcluster` ones are sandbox clusters of the same name, `host` ones are
  the hosting cluster itself;
- every other cluster is a WEC (a plain kind cluster until `clusteradm join` leaves a Klusterlet).

What runs follows what upstream runs, and only while its workload is up:
- the hosting cluster and vcluster spaces run pods (the workload simulator); a k8s-type WDS does
  not: its Deployments never get ReplicaSets or Pods, exactly like upstream;
- KubeFlex while `kubeflex-system/kubeflex-controller-manager` is available;
- the ITS effects when their Jobs complete (its-hub-init: `clusteradm init`; install-status-addon;
  update-cluster-info) and the hub's registration controllers once the hub is initialised;
- a WDS's binding and status controllers while `<wds>-system/kubestellar-controller-manager` is
  available, its transport controller while `<wds>-system/transport-controller` is — scale them
  to 0 and they stop, as in the resiliency scenario;
- per WEC: the registration agent once joined; the work agent once accepted and joined; the
  status agent once the hub gave it the `addon-status` add-on."""

from __future__ import annotations

import base64
import functools
import logging
from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any
from urllib.parse import urlparse

import yaml

from kstellar_tui.core.safe_yaml import safe_load_fast
from kstellar_tui.sandbox import core_chart
from kstellar_tui.sandbox.apiserver import discovery
from kstellar_tui.sandbox.controllers import space_setup
from kstellar_tui.sandbox.controllers.base import Controller
from kstellar_tui.sandbox.controllers.binding import BindingController
from kstellar_tui.sandbox.controllers.ensure import lookup
from kstellar_tui.sandbox.controllers.kubeflex import SPACE_TYPES, KubeFlexController, system_namespace
from kstellar_tui.sandbox.controllers.objects import is_deleting, labels_of, meta
from kstellar_tui.sandbox.controllers.ocm_registration import (
    JOINED, STATUS_ADDON, CsrSigner, HubRegistrationController, condition_status,
)
from kstellar_tui.sandbox.controllers.registration_agent import (
    AGENT_NAMESPACE, BOOTSTRAP_SECRET, KLUSTERLET_NAME, RegistrationAgent,
)
from kstellar_tui.sandbox.controllers.status import StatusController
from kstellar_tui.sandbox.controllers.status_agent import StatusAgent
from kstellar_tui.sandbox.controllers.timings import Timings
from kstellar_tui.sandbox.controllers.transport import TransportController
from kstellar_tui.sandbox.controllers.work_agent import WorkAgent
from kstellar_tui.sandbox.controllers.workloads import WorkloadSimulator
from kstellar_tui.sandbox.definitions import kinds
from kstellar_tui.sandbox.kubeconfig import server_url

log = logging.getLogger(__name__)

# Kinds whose changes can change the topology wherever they happen ...
_TOPOLOGY_KINDS = frozenset({kinds.CONTROL_PLANE, kinds.MANAGED_CLUSTER, kinds.MANAGED_CLUSTER_ADDON,
                             kinds.CLUSTER_MANAGEMENT_ADDON, kinds.KLUSTERLET, kinds.CRD})
# ... and the ones that matter only in a few namespaces: the hosting cluster's `*-system` workloads,
# the hub's bootstrap token and a WEC's bootstrap kubeconfig.
_WORKLOAD_KINDS = frozenset({kinds.JOB, kinds.DEPLOYMENT})
_SECRET_NAMESPACES = frozenset({"kube-system", AGENT_NAMESPACE})


@dataclass(frozen=True)
class TopologySettings:
    hosting: str = "kind-kubeflex"
    timings: Timings = field(default_factory=Timings)


# ----------------------------------------------------------------------------- reading the topology
@dataclass(frozen=True)
class SpaceRole:
    """One ControlPlane that KubeStellar uses, and where it lives."""

    name: str
    role: str           # "its" | "wds"
    type: str           # ControlPlane spec.type
    cluster: str        # the sandbox cluster that serves it
    its_name: str = ""  # WDS: its ITS (globalVars.ITSName; empty = the only one)
    api_groups: str = ""


def space_roles(control_planes: Iterable[Mapping[str, Any]], hosting: str) -> list[SpaceRole]:
    roles = []
    for cp in control_planes:
        role = labels_of(cp).get(core_chart.CPTYPE_LABEL)
        if role not in ("its", "wds") or is_deleting(cp):
            continue
        spec = cp.get("spec") or {}
        api_groups = next((use.get("vars", {}).get("APIGroups", "") for use in spec.get("postCreateHooks") or ()
                           if use.get("hookName") == "kubestellar-controller"), "")
        name = meta(cp, "name")
        roles.append(SpaceRole(name, role, spec.get("type", ""), name if spec.get("type") in SPACE_TYPES else hosting,
                               (spec.get("globalVars") or {}).get("ITSName", ""), api_groups or ""))
    return roles


def its_of(wds: SpaceRole, itses: Mapping[str, Any]) -> str | None:
    """The ITS a WDS uses: the named one, else the only one (KubeStellar refuses to guess among several)."""
    if wds.its_name:
        return wds.its_name if wds.its_name in itses else None
    return next(iter(itses)) if len(itses) == 1 else None


def job_complete(job: Mapping[str, Any] | None) -> bool:
    return condition_status(job, "Complete") == "True"


def deployment_available(deployment: Mapping[str, Any] | None) -> bool:
    return bool(deployment) and ((deployment.get("status") or {}).get("availableReplicas") or 0) >= 1


def hub_port(bootstrap_secret: Mapping[str, Any] | None) -> int | None:
    """The hub's port in the bootstrap kubeconfig `clusteradm join` left on a WEC."""
    data = (bootstrap_secret or {}).get("data") or {}
    return _server_port(data.get("kubeconfig", ""))


@functools.lru_cache(maxsize=1024)
def _server_port(encoded_kubeconfig: str) -> int | None:
    """Cached: the topology asks for every WEC on every change it sees, and the secret rarely changes."""
    try:
        config = safe_load_fast(base64.b64decode(encoded_kubeconfig).decode())
        return urlparse(config["clusters"][0]["cluster"]["server"]).port
    except (ValueError, TypeError, KeyError, IndexError, yaml.YAMLError):
        return None


# ----------------------------------------------------------------------------- the sandbox, as KubeFlex sees it
class SandboxSpaces:
    """Adapts `runtime.Sandbox` to what the topology's controllers need from it."""

    def __init__(self, sandbox: Any, on_change: Callable[[], None]) -> None:
        self.sandbox = sandbox
        self._on_change = on_change

    def store(self, name: str) -> Any | None:
        return self.sandbox.clusters.get(name)

    async def add_cluster(self, name: str) -> Any:
        store = await self.sandbox.add_cluster(name)
        self._on_change()
        return store

    async def remove_cluster(self, name: str) -> None:
        await self.sandbox.remove_cluster(name)
        self._on_change()

    def is_offline(self, name: str) -> bool:
        return name in self.sandbox.clusters and self.sandbox.faults(name).offline

    def url(self, name: str) -> str:
        return server_url(self.sandbox.ports[name], host=self.sandbox.host, tls=self.sandbox.tls)

    def ca_pem(self) -> bytes | None:
        return self.sandbox.files.ca_cert.read_bytes() if self.sandbox.tls else None

    def kubeconfig(self, name: str) -> str:
        """A kubeconfig for one space; the credential is a reference to the sandbox's token file."""
        cluster: dict[str, Any] = {"server": self.url(name)}
        ca = self.ca_pem()
        if ca:
            cluster["certificate-authority-data"] = base64.b64encode(ca).decode()
        return yaml.safe_dump({
            "apiVersion": "v1", "kind": "Config", "current-context": name,
            "clusters": [{"name": name, "cluster": cluster}],
            "users": [{"name": name, "user": {"tokenFile": str(self.sandbox.files.token)}}],
            "contexts": [{"name": name, "context": {"cluster": name, "user": name}}],
        }, sort_keys=False)


# ----------------------------------------------------------------------------- the manager
class TopologyManager(Controller):
    """A single key: the whole topology is re-read and the running controllers made to match."""

    name = "kubestellar-topology"
    KEY = "topology"

    def __init__(self, sandbox: Any, settings: TopologySettings | None = None) -> None:
        super().__init__()
        self.settings = settings or TopologySettings()
        self.timings = self.settings.timings
        self.resync_seconds = self.timings.topology_poll
        self.spaces = SandboxSpaces(sandbox, self.poke)
        self.running: dict[Hashable, Controller] = {}
        self._followed: dict[str, tuple[Any, Callable[..., None]]] = {}

    @property
    def sandbox(self) -> Any:
        return self.spaces.sandbox

    def poke(self) -> None:
        """Look at the topology again soon (after a cluster was added or removed)."""
        self.enqueue(self.KEY)

    def keys_for_event(self, cluster: str, event_type: str, rt: Any, obj: dict) -> Iterable[Hashable]:
        namespace = meta(obj, "namespace") or ""
        if (rt.key in _TOPOLOGY_KINDS
                or (rt.key in _WORKLOAD_KINDS and cluster == self.settings.hosting and namespace.endswith("-system"))
                or (rt.key == kinds.SECRET and namespace in _SECRET_NAMESPACES)):
            yield self.KEY

    def resync_keys(self) -> Iterable[Hashable]:
        yield self.KEY

    async def stop(self) -> None:
        await super().stop()
        await self._converge({})
        for store, callback in self._followed.values():
            store.unsubscribe(callback)
        self._followed.clear()

    async def idle(self, timeout: float = 10.0) -> None:
        """Until the topology and every controller it runs have nothing queued."""
        await super().idle(timeout)
        for controller in list(self.running.values()):
            await controller.idle(timeout)

    async def reconcile(self, key: Hashable) -> float | None:
        stores = self.sandbox.clusters
        self._follow(stores)
        desired: dict[Hashable, Callable[[], Controller]] = {}
        hosting = stores.get(self.settings.hosting)
        roles = space_roles(hosting.objects(kinds.CONTROL_PLANE), self.settings.hosting) if hosting else []
        if hosting is not None:
            self._hosting(hosting, desired)
        hubs = self._itses(hosting, roles, stores, desired)
        self._wdses(hosting, roles, stores, hubs, desired)
        not_wecs = {self.settings.hosting} | self._space_clusters(hosting)
        for name, store in stores.items():
            if name not in not_wecs:
                self._wec(name, store, hubs, desired)
        await self._converge(desired)
        return None

    # -- what runs where ----------------------------------------------------------------------------
    def _workloads(self, store: Any, desired: dict) -> None:
        delays = self.timings.workload_delays()
        desired[("workloads", store.name, id(store))] = partial(WorkloadSimulator, store, delays)

    def _hosting(self, hosting: Any, desired: dict) -> None:
        self._workloads(hosting, desired)
        operator = lookup(hosting, kinds.DEPLOYMENT, core_chart.KUBEFLEX_NAMESPACE, core_chart.KUBEFLEX_OPERATOR)
        if deployment_available(operator):
            desired[("kubeflex", id(hosting))] = partial(KubeFlexController, hosting, self.spaces)

    def _itses(self, hosting: Any, roles: list[SpaceRole], stores: Mapping[str, Any],
               desired: dict) -> dict[str, tuple[str, Any]]:
        """Run each ITS's effects and hub controllers; returns ITS name -> (its cluster, its store)."""
        hubs = {}
        for role in roles:
            store = stores.get(role.cluster)
            if role.role != "its" or store is None:
                continue
            hubs[role.name] = (role.cluster, store)
            if role.type == "vcluster":
                self._workloads(store, desired)
            namespace = system_namespace(role.name)
            if job_complete(lookup(hosting, kinds.JOB, namespace, "its-hub-init")):
                space_setup.initialize_hub(store)
            if job_complete(lookup(hosting, kinds.JOB, namespace, "install-status-addon")) \
                    and space_setup.hub_initialized(store):
                space_setup.install_status_addon(store)
            if job_complete(lookup(hosting, kinds.JOB, namespace, "update-cluster-info")):
                space_setup.update_cluster_info(store, self.spaces.url(role.cluster), self.spaces.ca_pem())
            if space_setup.hub_initialized(store):
                desired[("hub", id(store))] = partial(HubRegistrationController, store, self.timings)
                desired[("csr-signer", id(store))] = partial(CsrSigner, store)
        return hubs

    def _wdses(self, hosting: Any, roles: list[SpaceRole], stores: Mapping[str, Any],
               hubs: Mapping[str, tuple[str, Any]], desired: dict) -> None:
        for role in roles:
            wds = stores.get(role.cluster)
            its_name = its_of(role, hubs)
            if role.role != "wds" or wds is None or its_name is None:
                continue
            its = hubs[its_name][1]
            namespace = system_namespace(role.name)
            if deployment_available(lookup(hosting, kinds.DEPLOYMENT, namespace, core_chart.CONTROLLER_MANAGER)):
                space_setup.install_wds_api(wds)
                ident = (role.name, id(wds), id(its))
                desired[("binding", *ident)] = partial(BindingController, wds, its, role.name,
                                                       api_groups=role.api_groups)
                desired[("status", *ident)] = partial(StatusController, wds, its, role.name)
            if deployment_available(lookup(hosting, kinds.DEPLOYMENT, namespace, core_chart.TRANSPORT_CONTROLLER)) \
                    and space_setup.hub_initialized(its):
                space_setup.wire_transport(its)
                desired[("transport", role.name, id(wds), id(its))] = partial(TransportController, wds, its, role.name)

    def _wec(self, name: str, wec: Any, hubs: Mapping[str, tuple[str, Any]], desired: dict) -> None:
        self._workloads(wec, desired)
        klusterlet = lookup(wec, kinds.KLUSTERLET, None, KLUSTERLET_NAME)
        port = hub_port(lookup(wec, kinds.SECRET, AGENT_NAMESPACE, BOOTSTRAP_SECRET))
        hub = next((store for cluster, store in hubs.values() if self.sandbox.ports.get(cluster) == port), None)
        if klusterlet is None or hub is None:
            return
        cluster = (klusterlet.get("spec") or {}).get("clusterName") or name
        ident = (name, id(wec), id(hub))

        def offline() -> bool:
            return self.spaces.is_offline(name)

        desired[("registration-agent", *ident)] = partial(
            RegistrationAgent, hub, wec, cluster, self.timings, online=lambda: not offline(),
            server_url=self.spaces.url(name), kubernetes_version=discovery.version_info()["gitVersion"])
        managed = lookup(hub, kinds.MANAGED_CLUSTER, None, cluster)
        accepted = bool(managed and (managed.get("spec") or {}).get("hubAcceptsClient"))
        if accepted and condition_status(managed, JOINED) == "True":
            desired[("work-agent", *ident)] = partial(WorkAgent, hub, wec, cluster, is_offline=offline)
            if lookup(hub, kinds.MANAGED_CLUSTER_ADDON, cluster, STATUS_ADDON) is not None:
                desired[("status-agent", *ident)] = partial(StatusAgent, hub, wec, cluster, is_offline=offline)

    def _space_clusters(self, hosting: Any) -> set[str]:
        """Clusters made for ControlPlanes, including ones not (yet) labelled with a role."""
        if hosting is None:
            return set()
        return {meta(cp, "name") for cp in hosting.objects(kinds.CONTROL_PLANE)
                if (cp.get("spec") or {}).get("type") in SPACE_TYPES}

    # -- plumbing -------------------------------------------------------------------------------------
    def _follow(self, stores: Mapping[str, Any]) -> None:
        """Subscribe to every cluster's store (and forget removed ones)."""
        for name in [n for n, (store, _) in self._followed.items() if stores.get(n) is not store]:
            store, callback = self._followed.pop(name)
            store.unsubscribe(callback)
        for name, store in stores.items():
            if name not in self._followed:
                callback = partial(self.on_event, name)
                store.subscribe(callback)
                self._followed[name] = (store, callback)

    async def _converge(self, desired: Mapping[Hashable, Callable[[], Controller]]) -> None:
        for key in [k for k in self.running if k not in desired]:
            log.info("stopping %s", key[:2])
            await self.running.pop(key).stop()
        for key, make in desired.items():
            if key not in self.running:
                log.info("starting %s", key[:2])
                controller = make()
                controller.start()
                self.running[key] = controller
