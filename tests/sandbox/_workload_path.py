"""An in-process KubeStellar workload path for controller tests: one WDS, one ITS, some WECs, and
the binding, transport, status, work-agent, status-agent and workload controllers between them.

It is assembled directly from stores and controllers (no topology manager, no HTTP), so each test
sees exactly the rules of the workload path. Waiting is polling a condition with a timeout."""

from __future__ import annotations

import asyncio
import copy
from collections.abc import Callable, Mapping
from typing import Any

from kstellar_tui.sandbox.apiserver.errors import ApiError
from kstellar_tui.sandbox.apiserver.store import ClusterStore
from kstellar_tui.sandbox.controllers.binding import BindingController
from kstellar_tui.sandbox.controllers.ensure import ensure_namespace, install_crds
from kstellar_tui.sandbox.controllers.space_setup import initialize_hub, install_status_addon, install_wds_api
from kstellar_tui.sandbox.controllers.status import StatusController
from kstellar_tui.sandbox.controllers.status_agent import StatusAgent
from kstellar_tui.sandbox.controllers.transport import TransportController
from kstellar_tui.sandbox.controllers.work_agent import WorkAgent
from kstellar_tui.sandbox.controllers.workload_keys import MANAGED_CLUSTER, Key
from kstellar_tui.sandbox.controllers.workloads import WorkloadDelays, WorkloadSimulator
from kstellar_tui.sandbox.definitions.ocm import AGENT_CRDS

FAST = WorkloadDelays(pod_start=0.02, job_run=0.02, progress_deadline=0.3)


class WorkloadPath:
    def __init__(self, wecs: Mapping[str, Mapping[str, str]], *, delays: WorkloadDelays = FAST,
                 wds_name: str = "wds1") -> None:
        self.wds = ClusterStore(wds_name)
        self.its = ClusterStore("its1")
        self.wecs = {name: ClusterStore(name) for name in wecs}
        self.offline: set[str] = set()
        install_wds_api(self.wds)
        initialize_hub(self.its)
        install_status_addon(self.its)
        for name, labels in wecs.items():
            install_crds(self.wecs[name], AGENT_CRDS)
            ensure_namespace(self.its, name)
            self.create(self.its, {"apiVersion": "cluster.open-cluster-management.io/v1", "kind": "ManagedCluster",
                                   "metadata": {"name": name, "labels": dict(labels)},
                                   "spec": {"hubAcceptsClient": True}})
        self.controllers: list[Any] = [BindingController(self.wds, self.its, wds_name),
                                       TransportController(self.wds, self.its, wds_name),
                                       StatusController(self.wds, self.its, wds_name)]
        for name, store in self.wecs.items():
            offline = (lambda n=name: n in self.offline)
            self.controllers += [WorkAgent(self.its, store, name, is_offline=offline),
                                 StatusAgent(self.its, store, name, is_offline=offline),
                                 WorkloadSimulator(store, delays)]

    async def __aenter__(self) -> WorkloadPath:
        for controller in self.controllers:
            controller.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        for controller in self.controllers:
            await controller.stop()

    # -- writing, as a user would ----------------------------------------------------------------
    @staticmethod
    def rt(store: ClusterStore, obj: Mapping[str, Any]) -> Any:
        rt = store.registry.by_kind(obj["apiVersion"], obj["kind"])
        assert rt is not None, f"{obj['kind']} is not served in {store.name}"
        return rt

    def create(self, store: ClusterStore, obj: Mapping[str, Any]) -> dict:
        return store.create(self.rt(store, obj), copy.deepcopy(dict(obj)))

    def change(self, store: ClusterStore, obj: Mapping[str, Any], edit: Callable[[dict], None]) -> dict:
        """Read-modify-write of the current object (the way `kubectl edit` works)."""
        rt = self.rt(store, obj)
        current = store.get(rt, obj["metadata"].get("namespace"), obj["metadata"]["name"])
        edit(current)
        return store.update(rt, current)

    def delete(self, store: ClusterStore, obj: Mapping[str, Any]) -> None:
        store.delete(self.rt(store, obj), obj["metadata"].get("namespace"), obj["metadata"]["name"])

    def relabel_cluster(self, name: str, labels: Mapping[str, str]) -> None:
        cluster = self.its.find(MANAGED_CLUSTER, "", name)
        assert cluster is not None

        def edit(obj: dict) -> None:
            obj["metadata"]["labels"] = dict(labels)
        self.change(self.its, cluster, edit)

    # -- reading ---------------------------------------------------------------------------------
    @staticmethod
    def find(store: ClusterStore, key: Key, namespace: str, name: str) -> dict | None:
        return store.find(key, namespace, name)

    def holders(self, key: Key, namespace: str, name: str) -> set[str]:
        """Which WECs hold the object."""
        return {wec for wec, store in self.wecs.items() if store.find(key, namespace, name) is not None}

    async def until(self, condition: Callable[[], Any], *, timeout: float = 5.0, message: str = "condition") -> Any:
        """Poll `condition` until it is truthy; fail after `timeout` seconds."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            try:
                value = condition()
            except (ApiError, KeyError, TypeError, IndexError):
                value = None
            if value:
                return value
            if loop.time() > deadline:
                raise AssertionError(f"timed out after {timeout}s waiting for {message}")
            await asyncio.sleep(0.01)

    async def quiet(self, timeout: float = 5.0) -> None:
        """Until every controller has an empty queue (armed timers may still fire later)."""
        for _ in range(3):
            for controller in self.controllers:
                await controller.idle(timeout)


def nginx_namespace(name: str = "nginx", labels: Mapping[str, str] | None = None) -> dict:
    return {"apiVersion": "v1", "kind": "Namespace",
            "metadata": {"name": name, "labels": dict(labels or {"app.kubernetes.io/name": "nginx"})}}


def deployment(name: str, namespace: str = "nginx", *, labels: Mapping[str, str] | None = None,
               replicas: int = 1, image: str = "public.ecr.aws/nginx/nginx:latest") -> dict:
    return {"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": name, "namespace": namespace,
                         "labels": dict(labels or {"app.kubernetes.io/name": "nginx"})},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": "nginx"}},
                     "template": {"metadata": {"labels": {"app": "nginx"}},
                                  "spec": {"containers": [{"name": "nginx", "image": image,
                                                           "ports": [{"containerPort": 80}]}]}}}}


def policy(name: str, cluster_selectors: list[dict], downsync: list[dict]) -> dict:
    return {"apiVersion": "control.kubestellar.io/v1alpha1", "kind": "BindingPolicy",
            "metadata": {"name": name}, "spec": {"clusterSelectors": cluster_selectors, "downsync": downsync}}


QUICKSTART_WECS = {"cluster1": {"location-group": "edge", "name": "cluster1"},
                   "cluster2": {"location-group": "edge", "name": "cluster2"}}
