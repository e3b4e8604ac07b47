"""The klusterlet's registration agent for one WEC, talking to its hub (the ITS).

After `clusteradm join` leaves a Klusterlet and a bootstrap secret on the WEC, the agent starts
(`Timings.csr_after_join` later) and files its registration: a ManagedCluster with
`hubAcceptsClient: false` and a CSR `<cluster>-xxxxx`. Once the hub admin approved the CSR (and
the signer issued the certificate) the agent keeps the certificate in `hub-kubeconfig-secret`;
once the hub also accepts the cluster it reports Joined and Available, renews its lease every
`leaseDurationSeconds`, and deploys the status add-on agent when the hub asks for it.

The agent runs on the WEC: while the WEC is offline it does nothing at all, so its lease goes
stale and the hub turns the cluster's availability Unknown."""

from __future__ import annotations

import asyncio
import base64
import copy
import datetime as dt
import re
from collections.abc import Callable, Hashable, Iterable, Mapping
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from kstellar_tui.sandbox.apiserver.errors import ApiError
from kstellar_tui.sandbox.controllers.ensure import ensure, ensure_namespace, lookup
from kstellar_tui.sandbox.controllers.objects import find, labels_of, meta, now, same_conditions, set_condition
from kstellar_tui.sandbox.controllers.ocm_registration import (
    ADDON_INSTALL_NAMESPACE, AVAILABLE, CLUSTER_NAME_LABEL, JOINED, LEASE_NAME, STATUS_ADDON, csr_state, micro_time,
)
from kstellar_tui.sandbox.controllers.subscribed import SubscribedController
from kstellar_tui.sandbox.controllers.timings import Timings
from kstellar_tui.sandbox.definitions import kinds

AGENT_NAMESPACE = "open-cluster-management-agent"
KLUSTERLET_NAME = "klusterlet"
BOOTSTRAP_SECRET = "bootstrap-hub-kubeconfig"
HUB_SECRET = "hub-kubeconfig-secret"
AGENT_NAME_LABEL = "open-cluster-management.io/agent-name"
STATUS_AGENT_IMAGE = "ghcr.io/kubestellar/ocm-status-addon:0.2.0-rc17"

JOINED_CONDITION = {"type": JOINED, "status": "True", "reason": "ManagedClusterJoined",
                    "message": "Managed cluster joined"}
AVAILABLE_CONDITION = {"type": AVAILABLE, "status": "True", "reason": "ManagedClusterAvailable",
                       "message": "Managed cluster is available"}
CLOCK_SYNCED_CONDITION = {"type": "ManagedClusterConditionClockSynced", "status": "True",
                          "reason": "ManagedClusterClockSynced",
                          "message": "The clock of the managed cluster is synced with the hub."}

_BINARY_SUFFIXES = {"": 1, "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40}


# ----------------------------------------------------------------------------- rules
def sum_quantities(values: Iterable[str]) -> str | None:
    """The sum of integer quantities with binary suffixes (node capacities), in the largest exact unit."""
    total = 0
    for value in values:
        match = re.fullmatch(r"(\d+)(Ki|Mi|Gi|Ti)?", str(value))
        if match is None:
            return None
        total += int(match.group(1)) * _BINARY_SUFFIXES[match.group(2) or ""]
    for suffix in ("Ti", "Gi", "Mi", "Ki"):
        if total and total % _BINARY_SUFFIXES[suffix] == 0:
            return f"{total // _BINARY_SUFFIXES[suffix]}{suffix}"
    return str(total)


def cluster_resources(nodes: Iterable[Mapping[str, Any]]) -> dict[str, dict[str, str]]:
    """capacity/allocatable as the agent reports them: the sums over the WEC's nodes."""
    nodes = list(nodes)
    report: dict[str, dict[str, str]] = {}
    for field in ("capacity", "allocatable"):
        totals = {}
        for resource in ("cpu", "memory"):
            summed = sum_quantities((n.get("status") or {}).get(field, {}).get(resource, "0") for n in nodes)
            if summed is not None and nodes:
                totals[resource] = summed
        report[field] = totals
    return report


def joined_status(status: Mapping[str, Any], *, version: str, resources: Mapping[str, Any],
                  claims: list[dict[str, str]]) -> dict[str, Any]:
    """The ManagedCluster status the (running, hence online) agent of an accepted cluster reports."""
    stamp = now()
    conditions = list(status.get("conditions") or [])
    for condition in (JOINED_CONDITION, CLOCK_SYNCED_CONDITION, AVAILABLE_CONDITION):
        conditions = set_condition(conditions, condition, stamp)
    return {**status, **resources, "conditions": conditions, "version": {"kubernetes": version},
            "clusterClaims": claims}


def certificate_request(cluster: str, agent: str) -> bytes:
    """A PEM CSR with the subject OCM's registration agent asks for."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, f"system:open-cluster-management:{cluster}"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "system:open-cluster-management:managed-clusters"),
        x509.NameAttribute(NameOID.COMMON_NAME, f"system:open-cluster-management:{cluster}:{agent}"),
    ])
    request = x509.CertificateSigningRequestBuilder().subject_name(subject).sign(key, hashes.SHA256())
    return request.public_bytes(serialization.Encoding.PEM)


def bootstrap_token_id(bootstrap_secret: Mapping[str, Any] | None) -> str:
    """The bootstrap token id `clusteradm join --hub-token <id>.<secret>` left on the WEC."""
    data = (bootstrap_secret or {}).get("data") or {}
    token = base64.b64decode(data.get("token", "")).decode(errors="replace")
    return token.partition(".")[0] or "unknown"


# ----------------------------------------------------------------------------- controller
class RegistrationAgent(SubscribedController):
    """One per joined WEC; a single key, since the agent has one thing to keep right."""

    name = "ocm-registration-agent"
    KEY = "agent"

    def __init__(self, its_store: Any, wec_store: Any, cluster_name: str, timings: Timings, *,
                 online: Callable[[], bool], server_url: str, kubernetes_version: str) -> None:
        super().__init__(its_store, wec_store)
        self.hub = its_store
        self.wec = wec_store
        self.cluster = cluster_name
        self.timings = timings
        self.online = online
        self.server_url = server_url
        self.kubernetes_version = kubernetes_version
        self._started_at: float | None = None

    def keys_for_event(self, cluster: str, event_type: str, rt: Any, obj: dict) -> Iterable[Hashable]:
        if cluster != self.hub.name:
            mine = rt.key in (kinds.KLUSTERLET, kinds.SECRET)
        elif rt.key == kinds.MANAGED_CLUSTER:
            mine = meta(obj, "name") == self.cluster
        elif rt.key == kinds.CSR:
            mine = labels_of(obj).get(CLUSTER_NAME_LABEL) == self.cluster
        else:
            mine = rt.key == kinds.MANAGED_CLUSTER_ADDON and meta(obj, "namespace") == self.cluster
        if mine:
            yield self.KEY

    def resync_keys(self) -> Iterable[Hashable]:
        yield self.KEY

    async def reconcile(self, key: Hashable) -> float | None:
        poll = float(self.timings.lease_duration_seconds)
        if not self.online():
            return poll
        if lookup(self.wec, kinds.KLUSTERLET, None, KLUSTERLET_NAME) is None:
            return None
        if self.hub.type_for(kinds.MANAGED_CLUSTER) is None:
            return poll  # the hub is not initialised (yet): registration cannot start
        loop = asyncio.get_running_loop()
        self._started_at = self._started_at or loop.time()
        starting = self._started_at + self.timings.csr_after_join - loop.time()
        if starting > 0:
            return starting
        cluster = lookup(self.hub, kinds.MANAGED_CLUSTER, None, self.cluster)
        if lookup(self.wec, kinds.SECRET, AGENT_NAMESPACE, HUB_SECRET) is None:
            self._bootstrap(cluster)
            return None
        if cluster is None or not (cluster.get("spec") or {}).get("hubAcceptsClient"):
            return None
        self._renew_lease()
        self._report_status(cluster)
        self._deploy_status_addon()
        return float((cluster.get("spec") or {}).get("leaseDurationSeconds") or poll)

    # -- bootstrap: ManagedCluster + CSR, then keep the issued certificate ----------------------
    @property
    def agent_name(self) -> str:
        klusterlet = lookup(self.wec, kinds.KLUSTERLET, None, KLUSTERLET_NAME) or {}
        return (meta(klusterlet, "uid") or "agent").split("-")[0]

    def _bootstrap(self, cluster: dict | None) -> None:
        if cluster is None:
            ensure(self.hub, kinds.MANAGED_CLUSTER, {
                "apiVersion": "cluster.open-cluster-management.io/v1", "kind": "ManagedCluster",
                "metadata": {"name": self.cluster},
                "spec": {"hubAcceptsClient": False,
                         "leaseDurationSeconds": self.timings.lease_duration_seconds,
                         "managedClusterClientConfigs": [{"url": self.server_url}]}})
        csrs = [c for c in self.hub.objects(kinds.CSR)
                if labels_of(c).get(CLUSTER_NAME_LABEL) == self.cluster
                and labels_of(c).get(AGENT_NAME_LABEL) == self.agent_name]
        if not csrs:
            self._file_csr()
            return
        issued = [c for c in csrs if csr_state(c) == "Approved" and (c.get("status") or {}).get("certificate")]
        if issued:
            self._keep_certificate(issued[0])

    def _file_csr(self) -> None:
        bootstrap = lookup(self.wec, kinds.SECRET, AGENT_NAMESPACE, BOOTSTRAP_SECRET)
        request = certificate_request(self.cluster, self.agent_name)
        self.hub.create(self.hub.type_for(kinds.CSR), {
            "apiVersion": "certificates.k8s.io/v1", "kind": "CertificateSigningRequest",
            "metadata": {"generateName": f"{self.cluster}-",
                         "labels": {CLUSTER_NAME_LABEL: self.cluster, AGENT_NAME_LABEL: self.agent_name}},
            "spec": {"request": base64.b64encode(request).decode(),
                     "signerName": "kubernetes.io/kube-apiserver-client",
                     "usages": ["digital signature", "key encipherment", "client auth"],
                     "username": f"system:bootstrap:{bootstrap_token_id(bootstrap)}",
                     "groups": ["system:bootstrappers:managedcluster", "system:bootstrappers",
                                "system:authenticated"]}})

    def _keep_certificate(self, csr: Mapping[str, Any]) -> None:
        def encoded(text: str) -> str:
            return base64.b64encode(text.encode()).decode()

        ensure(self.wec, kinds.SECRET, {
            "apiVersion": "v1", "kind": "Secret", "type": "Opaque",
            "metadata": {"name": HUB_SECRET, "namespace": AGENT_NAMESPACE},
            "data": {"cluster-name": encoded(self.cluster), "agent-name": encoded(self.agent_name),
                     "tls.crt": csr["status"]["certificate"]}})

    # -- joined: lease, status, add-on ------------------------------------------------------------
    def _renew_lease(self) -> None:
        rt = self.hub.type_for(kinds.LEASE)
        lease = find(self.hub, rt, self.cluster, LEASE_NAME)
        if lease is None:
            return  # the hub creates it once the mailbox namespace exists
        updated = copy.deepcopy(lease)
        updated.setdefault("spec", {})["renewTime"] = micro_time(dt.datetime.now(dt.UTC))
        try:
            self.hub.update(rt, updated)
        except ApiError as err:
            if err.code != 409:  # the hub touched it meanwhile; the next renewal wins
                raise

    def _report_status(self, cluster: dict) -> None:
        status = cluster.get("status") or {}
        nodes = self.wec.objects(("", "nodes"))
        claims = [{"name": "id.k8s.io", "value": self.cluster},
                  {"name": "kubeversion.open-cluster-management.io", "value": self.kubernetes_version}]
        desired = joined_status(status, version=self.kubernetes_version, resources=cluster_resources(nodes),
                                claims=claims)
        unchanged = same_conditions(desired["conditions"], status.get("conditions")) and all(
            desired.get(k) == status.get(k) for k in ("capacity", "allocatable", "version", "clusterClaims"))
        if not unchanged:
            updated = copy.deepcopy(cluster)
            updated["status"] = desired
            self.hub.update(self.hub.type_for(kinds.MANAGED_CLUSTER), updated, subresource="status")

    def _deploy_status_addon(self) -> None:
        """What the add-on manager's ManifestWork does on the WEC: the status agent's Deployment."""
        if lookup(self.hub, kinds.MANAGED_CLUSTER_ADDON, self.cluster, STATUS_ADDON) is None:
            return
        ensure_namespace(self.wec, ADDON_INSTALL_NAMESPACE)
        labels = {"app": "status-agent"}
        ensure(self.wec, kinds.DEPLOYMENT, {
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "status-agent", "namespace": ADDON_INSTALL_NAMESPACE, "labels": labels},
            "spec": {"replicas": 1, "selector": {"matchLabels": labels},
                     "template": {"metadata": {"labels": labels}, "spec": {
                         "serviceAccountName": "status-agent-sa",
                         "containers": [{"name": "status-agent", "image": STATUS_AGENT_IMAGE,
                                         "args": ["--hub-kubeconfig=/var/run/hub/kubeconfig",
                                                  f"--cluster-name={self.cluster}"]}]}}}})
