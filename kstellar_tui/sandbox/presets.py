"""Named starting points for the sandbox, each reached by running Getting Started's steps:

- `empty`: no clusters at all, as before any `kind create cluster`;
- `core`: the hosting cluster with the core chart installed and waited for (steps 2-5): ITS and
  WDS Ready, their hook Jobs complete, the WDS controllers available, transport wired;
- `quickstart`: `core` plus N WECs created, joined, accepted and labelled
  `location-group=edge,name=clusterN` (steps 6-9).

The steps go through the same admin operations and controllers a user's commands would, and
every wait checks the condition Getting Started waits for, after each change."""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from kstellar_tui.sandbox import admin_ops, core_chart
from kstellar_tui.sandbox.apiserver import errors
from kstellar_tui.sandbox.apiserver.errors import ApiError
from kstellar_tui.sandbox.controllers.ensure import lookup
from kstellar_tui.sandbox.controllers.kubeflex import system_namespace
from kstellar_tui.sandbox.controllers.manager import TopologyManager, deployment_available, job_complete
from kstellar_tui.sandbox.controllers.objects import labels_of, meta
from kstellar_tui.sandbox.controllers.ocm_registration import (
    AVAILABLE, CLUSTER_NAME_LABEL, JOINED, condition_status, csr_state,
)
from kstellar_tui.sandbox.controllers.registration_agent import KLUSTERLET_NAME
from kstellar_tui.sandbox.controllers.space_setup import CUSTOMIZATION_NAMESPACE
from kstellar_tui.sandbox.definitions import kinds

PRESETS = ("empty", "core", "quickstart")


@dataclass(frozen=True)
class PresetOptions:
    its: str = "its1"
    wds: str = "wds1"
    wecs: int = 2
    timeout: float = 30.0
    """Seconds each wait may take before the preset gives up (a 504)."""

    @classmethod
    def from_json(cls, body: Mapping[str, Any]) -> PresetOptions:
        options = cls(its=str(body.get("its", cls.its)), wds=str(body.get("wds", cls.wds)),
                      wecs=body.get("wecs", cls.wecs), timeout=body.get("timeout", cls.timeout))
        if isinstance(options.wecs, bool) or not isinstance(options.wecs, int) or options.wecs < 0:
            raise errors.bad_request(f"wecs: a whole number >= 0 is required, not {options.wecs!r}")
        if isinstance(options.timeout, bool) or not isinstance(options.timeout, (int, float)) or options.timeout <= 0:
            raise errors.bad_request(f"timeout: a number of seconds > 0 is required, not {options.timeout!r}")
        return options


async def apply(topology: TopologyManager, name: str, options: PresetOptions | None = None) -> dict[str, Any]:
    options = options or PresetOptions()
    if name not in PRESETS:
        raise ApiError(404, "NotFound", f'unknown preset "{name}": one of {", ".join(PRESETS)}')
    if name == "empty":
        existing = sorted(topology.sandbox.clusters)
        if existing:
            raise ApiError(409, "Conflict",
                           f"preset empty needs a sandbox without clusters; it has {', '.join(existing)}")
        return {"preset": name, "clusters": []}
    await core(topology, options)
    if name == "quickstart":
        await add_wecs(topology, [f"cluster{index}" for index in range(1, options.wecs + 1)], options)
    return {"preset": name, "clusters": sorted(topology.sandbox.clusters)}


async def core(topology: TopologyManager, options: PresetOptions) -> None:
    """Steps 2-5: hosting cluster, `helm upgrade --install ks-core`, and the waits."""
    hosting_name = topology.settings.hosting
    if hosting_name not in topology.sandbox.clusters:
        await admin_ops.create_cluster(topology, hosting_name)
    hosting = topology.sandbox.clusters[hosting_name]
    if lookup(hosting, kinds.CONTROL_PLANE, None, options.wds) is None \
            or lookup(hosting, kinds.CONTROL_PLANE, None, options.its) is None:
        await admin_ops.install_core(topology, [core_chart.Space(options.its, "vcluster")],
                                     [core_chart.Space(options.wds, "k8s", options.its)])
    its_ns, wds_ns = system_namespace(options.its), system_namespace(options.wds)

    def hook_done(cp: str, hook: str) -> bool:
        control_plane = lookup(hosting, kinds.CONTROL_PLANE, None, cp) or {}
        return bool(((control_plane.get("status") or {}).get("postCreateHooks") or {}).get(hook))

    waits = [
        (lambda: hook_done(options.its, "its-hub-init"), f"{options.its} postCreateHooks.its-hub-init"),
        (lambda: job_complete(lookup(hosting, kinds.JOB, its_ns, "its-hub-init")), f"{its_ns}/its-hub-init Complete"),
        (lambda: hook_done(options.its, "install-status-addon"), f"{options.its} postCreateHooks.install-status-addon"),
        (lambda: job_complete(lookup(hosting, kinds.JOB, its_ns, "install-status-addon")),
         f"{its_ns}/install-status-addon Complete"),
        (lambda: job_complete(lookup(hosting, kinds.JOB, its_ns, "update-cluster-info")),
         f"{its_ns}/update-cluster-info Complete"),
        (lambda: _ready(hosting, options.its) and _ready(hosting, options.wds), "the ControlPlanes to be Ready"),
        (lambda: all(deployment_available(lookup(hosting, kinds.DEPLOYMENT, wds_ns, name))
                     for name in (core_chart.CONTROLLER_MANAGER, core_chart.TRANSPORT_CONTROLLER)),
         f"the controllers in {wds_ns} to be available"),
        (lambda: _namespace_exists(topology, options.its, CUSTOMIZATION_NAMESPACE),
         f"namespace {CUSTOMIZATION_NAMESPACE} in {options.its}"),
    ]
    for condition, what in waits:
        await admin_ops.wait_for(condition, options.timeout, what, topology.sandbox.clusters.values())


async def add_wecs(topology: TopologyManager, names: list[str], options: PresetOptions) -> None:
    """Steps 6-9 as Getting Started runs them: create and join every WEC (step 6 loops over them),
    wait for all their CSRs, accept them, wait until they are joined and available, label them.
    The WECs' agents thus file their CSRs at the same time, as upstream's do."""
    its = topology.sandbox.clusters[options.its]
    for name in names:
        if name not in topology.sandbox.clusters:
            await admin_ops.create_cluster(topology, name)
        if lookup(topology.sandbox.clusters[name], kinds.KLUSTERLET, None, KLUSTERLET_NAME) is None:
            token = admin_ops.get_token(topology, options.its)["token"]
            await admin_ops.join(topology, name, its=options.its, token=token)

    def every(names_with: Callable[[], set[str]]) -> Callable[[], bool]:
        return lambda: names_with() >= set(names)

    def filed() -> set[str]:
        return {labels_of(csr).get(CLUSTER_NAME_LABEL) for csr in its.objects(kinds.CSR)
                if csr_state(csr) in ("Pending", "Approved")}

    def registered(*conditions: str) -> set[str]:
        return {meta(cluster, "name") for cluster in its.objects(kinds.MANAGED_CLUSTER)
                if all(condition_status(cluster, condition) == "True" for condition in conditions)}

    listed = ", ".join(names) if len(names) <= 3 else f"{len(names)} WECs"
    await admin_ops.wait_for(every(filed), options.timeout, f"CSRs from {listed}", [its])
    await admin_ops.wait_for(every(registered), options.timeout, f"managedclusters {listed}", [its])
    admin_ops.accept(topology, options.its, names)
    await admin_ops.wait_for(every(lambda: registered(JOINED, AVAILABLE)), options.timeout,
                             f"{listed} to be joined and available", [its])
    for name in names:
        cluster = copy.deepcopy(lookup(its, kinds.MANAGED_CLUSTER, None, name))
        cluster["metadata"]["labels"] = {**labels_of(cluster), "location-group": "edge", "name": name}
        its.update(its.type_for(kinds.MANAGED_CLUSTER), cluster)


def _ready(hosting: Any, name: str) -> bool:
    return condition_status(lookup(hosting, kinds.CONTROL_PLANE, None, name), "Ready") == "True"


def _namespace_exists(topology: TopologyManager, cluster: str, namespace: str) -> bool:
    store = topology.sandbox.clusters.get(cluster)
    return store is not None and lookup(store, kinds.NAMESPACE, None, namespace) is not None
