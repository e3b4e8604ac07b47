"""The setup commands of Getting Started, done to the sandbox: `kind create/delete cluster`,
`helm upgrade --install ks-core` / `helm uninstall ks-core`, `clusteradm get token`,
`clusteradm join` and `clusteradm accept`.

Each operation only writes the objects the real command writes; the topology's controllers
(KubeFlex, OCM registration, ...) do the rest, exactly as they react to kubectl. Failures are
`ApiError`s carrying the message the real tool would give. The join token is returned to the
caller (like `clusteradm get token` prints it) and never logged."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import copy
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import yaml

from kstellar_tui.sandbox import core_chart
from kstellar_tui.sandbox.apiserver import errors
from kstellar_tui.sandbox.apiserver.errors import ApiError
from kstellar_tui.sandbox.controllers import space_setup
from kstellar_tui.sandbox.controllers.ensure import ensure, ensure_namespace, install_crds, lookup
from kstellar_tui.sandbox.controllers.kubeflex import SPACE_TYPES
from kstellar_tui.sandbox.controllers.manager import TopologyManager, space_roles
from kstellar_tui.sandbox.controllers.objects import delete_quietly, labels_of, meta, now
from kstellar_tui.sandbox.controllers.ocm_registration import CLUSTER_NAME_LABEL, csr_state
from kstellar_tui.sandbox.controllers.registration_agent import AGENT_NAMESPACE, BOOTSTRAP_SECRET, KLUSTERLET_NAME
from kstellar_tui.sandbox.definitions import AGENT_CRDS, HOSTING_CRDS, kinds
from kstellar_tui.sandbox.runtime import SandboxConfigError, check_cluster_name

UNINSTALL_TIMEOUT = 60.0
_POLL = 0.02
# The requesters `clusteradm accept` is willing to approve CSRs for.
_BOOTSTRAP_USERS = ("system:bootstrap:", "system:serviceaccount:open-cluster-management:cluster-bootstrap")
_BOOTSTRAP_GROUPS = {"system:bootstrappers:managedcluster", "system:serviceaccounts:open-cluster-management"}
OCM_IMAGE = "quay.io/open-cluster-management/registration-operator:v1.0.0"


async def wait_for(condition: Callable[[], bool], timeout: float, what: str, stores: Iterable[Any] = ()) -> None:
    """Check `condition` until true; a 504 naming `what` after `timeout` seconds.

    It is checked again after every change in `stores` (no polling delay between the change that
    makes it true and the caller's next step), and every `_POLL` seconds for what they do not show."""
    changed = asyncio.Event()

    def wake(*_: Any) -> None:
        changed.set()

    watched = list(stores)
    for store in watched:
        store.subscribe(wake)
    deadline = time.monotonic() + timeout
    try:
        while not condition():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise ApiError(504, "Timeout", f"timed out after {timeout:g}s waiting for {what}")
            changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(changed.wait(), min(_POLL, remaining))
    finally:
        for store in watched:
            store.unsubscribe(wake)


def _not_found(what: str, name: str) -> ApiError:
    return ApiError(404, "NotFound", f'{what} "{name}" not found', {"name": name, "kind": what})


def _store(topology: TopologyManager, name: str) -> Any:
    store = topology.sandbox.clusters.get(name)
    if store is None:
        raise _not_found("cluster", name)
    return store


# ----------------------------------------------------------------------------- kind
async def create_cluster(topology: TopologyManager, name: str) -> dict[str, Any]:
    """`kind create cluster --name <name>` (plus the context rename): an empty cluster and context."""
    if name in topology.sandbox.clusters:
        raise ApiError(409, "AlreadyExists", f'cluster "{name}" already exists', {"name": name, "kind": "clusters"})
    try:
        await topology.spaces.add_cluster(name)
    except SandboxConfigError as error:
        raise errors.bad_request(str(error)) from None
    return {"name": name, "port": topology.sandbox.ports[name]}


async def delete_cluster(topology: TopologyManager, name: str) -> dict[str, Any]:
    """`kind delete cluster --name <name>`: the cluster, its context and its data are gone.

    The spaces KubeFlex hosted there (its k8s and vcluster ControlPlanes) ran inside it, so they go too."""
    store = _store(topology, name)
    hosted = sorted(meta(cp, "name") for cp in store.objects(kinds.CONTROL_PLANE)
                    if (cp.get("spec") or {}).get("type") in SPACE_TYPES) if name == topology.settings.hosting else []
    await topology.spaces.remove_cluster(name)
    for space in hosted:
        if space in topology.sandbox.clusters:
            await topology.spaces.remove_cluster(space)
    return {"name": name, "spaces": hosted}


# ----------------------------------------------------------------------------- helm: the core chart
def parse_spaces(values: Any, role: str) -> list[core_chart.Space]:
    """The chart's `ITSes` / `WDSes` values (as `--set-json` gives them), checked like the chart does."""
    if not isinstance(values, list):
        raise errors.bad_request(f"{role}: expected a list of objects with a name")
    allowed, default = (core_chart.ITS_TYPES, "vcluster") if role == "ITSes" else (core_chart.WDS_TYPES, "k8s")
    spaces = []
    for entry in values:
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
            raise errors.bad_request(f"{role}: every entry needs a name")
        space_type = entry.get("type", default)
        if space_type not in allowed:
            raise errors.bad_request(f'{role}: {entry["name"]}: type must be one of {", ".join(allowed)}, '
                                     f'not "{space_type}"')
        try:
            check_cluster_name(entry["name"])
        except SandboxConfigError as error:
            raise errors.bad_request(f"{role}: {error}") from None
        spaces.append(core_chart.Space(entry["name"], space_type, str(entry.get("ITSName", "")),
                                       str(entry.get("APIGroups", ""))))
    return spaces


def _check_spaces(topology: TopologyManager, hosting: Any, its: list[core_chart.Space],
                  wds: list[core_chart.Space]) -> None:
    names = [s.name for s in (*its, *wds)]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise errors.bad_request(f"control plane names must be unique across ITSes and WDSes: {', '.join(duplicates)}")
    if sum(s.type == "host" for s in (*its, *wds)) > 1:
        raise errors.bad_request("only one control plane can be of type host")
    its_names = {s.name for s in its}
    for space in wds:
        if space.its_name and space.its_name not in its_names:
            raise errors.bad_request(f'WDSes: {space.name}: ITSName "{space.its_name}" is not one of the ITSes')
        if not space.its_name and len(its) != 1:
            raise errors.bad_request(f"WDSes: {space.name}: ITSName must be set when there is not exactly one ITS")
    existing = {meta(cp, "name") for cp in hosting.objects(kinds.CONTROL_PLANE)}
    for space in (*its, *wds):
        clashes = space.type in SPACE_TYPES and space.name in topology.sandbox.clusters and space.name not in existing
        if clashes or space.name == topology.settings.hosting:
            raise ApiError(409, "AlreadyExists", f'cluster "{space.name}" already exists and is not a KubeFlex space')


def _apply(store: Any, key: kinds.Key, obj: dict[str, Any]) -> dict[str, Any]:
    """Helm's upgrade of one object: create it, or bring spec, data and labels to the chart's."""
    current = lookup(store, key, meta(obj, "namespace"), meta(obj, "name"))
    if current is None:
        return ensure(store, key, obj)
    updated = copy.deepcopy(current)
    updated["metadata"]["labels"] = {**labels_of(current), **labels_of(obj)}
    updated["metadata"]["annotations"] = {**(meta(current, "annotations") or {}), **(meta(obj, "annotations") or {})}
    for field in ("spec", "data"):
        if field in obj:
            updated[field] = obj[field]
    return current if updated == current else store.update(store.type_for(key), updated)


def _release_secrets(hosting: Any) -> list[dict[str, Any]]:
    return [s for s in hosting.objects(kinds.SECRET, core_chart.RELEASE_NAMESPACE)
            if labels_of(s).get("owner") == "helm" and labels_of(s).get("name") == core_chart.RELEASE]


async def install_core(topology: TopologyManager, its: list[core_chart.Space],
                       wds: list[core_chart.Space]) -> dict[str, Any]:
    """`helm upgrade --install ks-core ... --set-json ITSes=... --set-json WDSes=...` in the hosting cluster.

    Like the real chart, relisting fewer spaces deletes the ControlPlanes left out."""
    hosting = _store(topology, topology.settings.hosting)
    install_crds(hosting, HOSTING_CRDS)
    _check_spaces(topology, hosting, its, wds)
    for key, obj in core_chart.operator_objects():
        _apply(hosting, key, obj)
    for hook in core_chart.post_create_hooks():
        _apply(hosting, kinds.POST_CREATE_HOOK, hook)
    wanted = {s.name: core_chart.its_control_plane(s) for s in its}
    wanted.update({s.name: core_chart.wds_control_plane(s) for s in wds})
    for control_plane in wanted.values():
        _apply(hosting, kinds.CONTROL_PLANE, control_plane)
    cp_rt = hosting.type_for(kinds.CONTROL_PLANE)
    omitted = sorted(meta(cp, "name") for cp in hosting.objects(kinds.CONTROL_PLANE)
                     if core_chart.is_chart_object(cp) and meta(cp, "name") not in wanted)
    for name in omitted:
        delete_quietly(hosting, cp_rt, None, name)
    revision = _record_release(hosting, its, wds)
    topology.poke()
    return {"release": core_chart.RELEASE, "revision": revision, "controlPlanes": sorted(wanted), "deleted": omitted}


def _record_release(hosting: Any, its: list[core_chart.Space], wds: list[core_chart.Space]) -> int:
    previous = _release_secrets(hosting)
    secret_rt = hosting.type_for(kinds.SECRET)
    for secret in previous:
        if labels_of(secret).get("status") == "deployed":
            superseded = copy.deepcopy(secret)
            superseded["metadata"]["labels"]["status"] = "superseded"
            hosting.update(secret_rt, superseded)
    revision = max((int(labels_of(s).get("version", "0")) for s in previous), default=0) + 1
    ensure(hosting, kinds.SECRET, core_chart.release_secret(revision, its, wds))
    return revision


async def uninstall_core(topology: TopologyManager, timeout: float = UNINSTALL_TIMEOUT) -> dict[str, Any]:
    """`helm uninstall ks-core`: the pre-delete hook deletes the ControlPlanes (KubeFlex tears the
    spaces down), then the hooks, the KubeFlex operator and the release record go."""
    hosting = _store(topology, topology.settings.hosting)
    releases = _release_secrets(hosting)
    if not releases:
        raise ApiError(404, "NotFound", f"uninstall: Release not loaded: {core_chart.RELEASE}: release: not found")
    cp_rt = hosting.type_for(kinds.CONTROL_PLANE)
    doomed = [meta(cp, "name") for cp in hosting.objects(kinds.CONTROL_PLANE) if core_chart.is_chart_object(cp)]
    for name in doomed:
        delete_quietly(hosting, cp_rt, None, name)
    await wait_for(lambda: not any(hosting.find(kinds.CONTROL_PLANE, "", n) for n in doomed), timeout,
                   f"ControlPlanes {', '.join(doomed)} to be deleted")
    for hook in core_chart.post_create_hooks():
        delete_quietly(hosting, hosting.type_for(kinds.POST_CREATE_HOOK), None, meta(hook, "name"))
    for key, obj in reversed(core_chart.operator_objects()):
        delete_quietly(hosting, hosting.type_for(key), meta(obj, "namespace"), meta(obj, "name"))
    for secret in releases:
        delete_quietly(hosting, hosting.type_for(kinds.SECRET), core_chart.RELEASE_NAMESPACE, meta(secret, "name"))
    topology.poke()
    return {"release": core_chart.RELEASE, "deleted": sorted(doomed)}


# ----------------------------------------------------------------------------- clusteradm
def _its(topology: TopologyManager, its: str) -> tuple[str, Any]:
    """(cluster, store) of an ITS space that is an initialised OCM hub."""
    hosting = topology.sandbox.clusters.get(topology.settings.hosting)
    roles = space_roles(hosting.objects(kinds.CONTROL_PLANE), topology.settings.hosting) if hosting else []
    role = next((r for r in roles if r.name == its and r.role == "its"), None)
    store = topology.sandbox.clusters.get(role.cluster) if role else None
    if role is None or store is None:
        raise _not_found("ITS", its)
    if not space_setup.hub_initialized(store):
        raise ApiError(409, "Conflict", f"{its} is not an OCM hub yet: the its-hub-init job has not completed")
    return role.cluster, store


def get_token(topology: TopologyManager, its: str) -> dict[str, str]:
    """`clusteradm --context <its> get token`: the token and the join command to run on a WEC."""
    cluster, store = _its(topology, its)
    token = space_setup.join_token(store) or ""
    url = topology.spaces.url(cluster)
    return {"token": token, "hubApiserver": url,
            "command": f"clusteradm join --hub-token {token} --hub-apiserver {url} --cluster-name <cluster_name>"}


async def join(topology: TopologyManager, cluster: str, *, its: str, token: str,
               cluster_name: str | None = None) -> dict[str, str]:
    """`clusteradm join --hub-token ... --cluster-name <name> --context <cluster> --singleton`.

    Leaves the klusterlet and its bootstrap kubeconfig on the WEC; the registration agent then
    files the CSR and the ManagedCluster on the hub by itself."""
    wec = _store(topology, cluster)
    hub_cluster, hub = _its(topology, its)
    if token != space_setup.join_token(hub):
        raise ApiError(401, "Unauthorized", f"the hub token is not valid for {its}")
    name = cluster_name or cluster
    try:
        check_cluster_name(name)
    except SandboxConfigError as error:
        raise errors.bad_request(str(error)) from None
    current = lookup(wec, kinds.KLUSTERLET, None, KLUSTERLET_NAME)
    if current is not None and (current.get("spec") or {}).get("clusterName") != name:
        raise ApiError(409, "Conflict", f'{cluster} is already joined as "{current["spec"]["clusterName"]}"')
    install_crds(wec, AGENT_CRDS)
    for namespace in (space_setup.OCM_NAMESPACE, AGENT_NAMESPACE, "open-cluster-management-agent-addon"):
        ensure_namespace(wec, namespace)
    ensure(wec, kinds.SERVICE_ACCOUNT, {"apiVersion": "v1", "kind": "ServiceAccount",
                                        "metadata": {"name": "klusterlet-work-sa", "namespace": AGENT_NAMESPACE}})
    ensure(wec, kinds.DEPLOYMENT, _klusterlet_operator())
    ensure(wec, kinds.SECRET, _bootstrap_secret(topology, hub_cluster, token))
    ensure(wec, kinds.KLUSTERLET, {
        "apiVersion": "operator.open-cluster-management.io/v1", "kind": "Klusterlet",
        "metadata": {"name": KLUSTERLET_NAME},
        "spec": {"clusterName": name, "namespace": AGENT_NAMESPACE, "deployOption": {"mode": "Singleton"},
                 "externalServerURLs": [{"url": "https://localhost"}], "imagePullSpec": OCM_IMAGE,
                 "registrationImagePullSpec": "quay.io/open-cluster-management/registration:v1.0.0",
                 "workImagePullSpec": "quay.io/open-cluster-management/work:v1.0.0"}})
    topology.poke()
    return {"cluster": cluster, "clusterName": name, "its": its}


def _klusterlet_operator() -> dict[str, Any]:
    labels = {"app": "klusterlet"}
    return {"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "klusterlet", "namespace": space_setup.OCM_NAMESPACE, "labels": labels},
            "spec": {"replicas": 1, "selector": {"matchLabels": labels},
                     "template": {"metadata": {"labels": labels}, "spec": {
                         "serviceAccountName": "klusterlet",
                         "containers": [{"name": "klusterlet", "image": OCM_IMAGE,
                                         "args": ["/registration-operator", "klusterlet"]}]}}}}


def _bootstrap_secret(topology: TopologyManager, hub_cluster: str, token: str) -> dict[str, Any]:
    cluster: dict[str, Any] = {"server": topology.spaces.url(hub_cluster)}
    ca = topology.spaces.ca_pem()
    if ca:
        cluster["certificate-authority-data"] = base64.b64encode(ca).decode()
    kubeconfig = yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config", "current-context": "default-context",
        "clusters": [{"name": "default-cluster", "cluster": cluster}],
        "contexts": [{"name": "default-context", "context": {"cluster": "default-cluster", "user": "default-auth"}}],
        "users": [{"name": "default-auth", "user": {"token": token}}]}, sort_keys=False)
    return {"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
            "metadata": {"name": BOOTSTRAP_SECRET, "namespace": AGENT_NAMESPACE},
            "data": {"kubeconfig": base64.b64encode(kubeconfig.encode()).decode()}}


def _is_registration_csr(csr: Mapping[str, Any]) -> bool:
    spec = csr.get("spec") or {}
    return (str(spec.get("username", "")).startswith(_BOOTSTRAP_USERS)
            and bool(_BOOTSTRAP_GROUPS & set(spec.get("groups") or ())))


def accept(topology: TopologyManager, its: str, clusters: Iterable[str]) -> list[str]:
    """`clusteradm --context <its> accept --clusters a,b`: per cluster, approve its pending CSR
    (approval subresource) and set `hubAcceptsClient: true`; the lines clusteradm prints."""
    _, hub = _its(topology, its)
    lines: list[str] = []
    for name in dict.fromkeys(c.strip() for c in clusters if c.strip()):
        approved = _approve_csr(hub, name, lines)
        updated = _accept_cluster(hub, name, lines)
        if not (approved and updated):
            raise ApiError(404, "NotFound", f"no CSR to approve for cluster {name}", {"name": name, "lines": lines})
    return lines


def _approve_csr(hub: Any, name: str, lines: list[str]) -> bool:
    rt = hub.type_for(kinds.CSR)
    for csr in hub.objects(kinds.CSR):
        if labels_of(csr).get(CLUSTER_NAME_LABEL) != name or not _is_registration_csr(csr):
            continue
        state = csr_state(csr)
        if state in ("Denied", "Approved"):
            lines.append(f"CSR {meta(csr, 'name')} already {state.lower()}")
            return True
        approval = copy.deepcopy(csr)
        approval.setdefault("status", {}).setdefault("conditions", []).append({
            "type": "Approved", "status": "True", "reason": "clusteradmApprove",
            "message": "This CSR was approved by clusteradm certificate approve.", "lastUpdateTime": now()})
        hub.update(rt, approval, subresource="approval")
        lines.append(f"CSR {meta(csr, 'name')} approved")
        return True
    return False


def _accept_cluster(hub: Any, name: str, lines: list[str]) -> bool:
    cluster = lookup(hub, kinds.MANAGED_CLUSTER, None, name)
    if cluster is None:
        return False
    if (cluster.get("spec") or {}).get("hubAcceptsClient"):
        lines.append(f"hubAcceptsClient already set for managed cluster {name}")
        return True
    cluster["spec"]["hubAcceptsClient"] = True
    hub.update(hub.type_for(kinds.MANAGED_CLUSTER), cluster)
    lines.append(f"set hubAcceptsClient to true for managed cluster {name}")
    return True
