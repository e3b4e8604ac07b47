"""OCM registration on the hub (the ITS): what cluster-manager's registration and add-on
controllers, and the ITS's CSR signer, do for each ManagedCluster.

It reacts to the objects, never to the admin call that changed them, so `clusteradm accept`,
`kubectl certificate approve` plus `kubectl patch managedcluster`, or the admin API all work:

- `spec.hubAcceptsClient: true` -> finalizer, mailbox namespace named after the cluster,
  HubAcceptedManagedCluster True; false after acceptance -> the condition turns False and the
  mailbox namespace goes;
- every cluster gets `cluster.open-cluster-management.io/clusterset: default` unless it already
  names a set; an approved CSR gets a certificate;
- the lease `managed-cluster-lease` in the mailbox namespace decides availability: not renewed
  within `lease_grace_multiplier x leaseDurationSeconds` -> ManagedClusterConditionAvailable
  Unknown (ManagedClusterLeaseUpdateStopped); the registration agent on the WEC sets it True;
- with the `addon-status` ClusterManagementAddOn installed, each accepted cluster gets a
  ManagedClusterAddOn `addon-status` in its namespace whose availability follows the cluster's,
  and the label `feature.open-cluster-management.io/addon-addon-status` says so."""

from __future__ import annotations

import base64
import copy
import datetime as dt
from collections.abc import Hashable, Iterable, Mapping
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from kstellar_tui.sandbox.controllers.ensure import ensure, ensure_namespace, lookup
from kstellar_tui.sandbox.controllers.objects import (
    delete_quietly, find, is_deleting, labels_of, meta, now, owner_reference, same_conditions, set_condition,
    with_finalizer,
)
from kstellar_tui.sandbox.controllers.subscribed import SubscribedController
from kstellar_tui.sandbox.controllers.timings import Timings
from kstellar_tui.sandbox.definitions import kinds

CLUSTER_NAME_LABEL = "open-cluster-management.io/cluster-name"
CLUSTERSET_LABEL = "cluster.open-cluster-management.io/clusterset"
CLEANUP_FINALIZER = "cluster.open-cluster-management.io/api-resource-cleanup"
LEASE_NAME = "managed-cluster-lease"
STATUS_ADDON = "addon-status"
ADDON_FEATURE_LABEL = f"feature.open-cluster-management.io/addon-{STATUS_ADDON}"
ADDON_INSTALL_NAMESPACE = "open-cluster-management-agent-addon"

HUB_ACCEPTED = "HubAcceptedManagedCluster"
JOINED = "ManagedClusterJoined"
AVAILABLE = "ManagedClusterConditionAvailable"

ACCEPTED_CONDITION = {"type": HUB_ACCEPTED, "status": "True", "reason": "HubClusterAdminAccepted",
                      "message": "Accepted by hub cluster admin"}
DENIED_CONDITION = {"type": HUB_ACCEPTED, "status": "False", "reason": "HubClusterAdminDenied",
                    "message": "Denied by hub cluster admin"}
LEASE_STOPPED_CONDITION = {"type": AVAILABLE, "status": "Unknown", "reason": "ManagedClusterLeaseUpdateStopped",
                           "message": "Registration agent stopped updating its lease."}


# ----------------------------------------------------------------------------- rules
def condition_of(obj: Mapping[str, Any] | None, condition_type: str) -> dict | None:
    for cond in ((obj or {}).get("status") or {}).get("conditions") or ():
        if cond.get("type") == condition_type:
            return cond
    return None


def condition_status(obj: Mapping[str, Any] | None, condition_type: str) -> str | None:
    cond = condition_of(obj, condition_type)
    return cond.get("status") if cond else None


def acceptance_condition(cluster: Mapping[str, Any]) -> dict | None:
    """HubAcceptedManagedCluster as the hub sets it; None while the cluster was never accepted."""
    if (cluster.get("spec") or {}).get("hubAcceptsClient"):
        return ACCEPTED_CONDITION
    return DENIED_CONDITION if condition_of(cluster, HUB_ACCEPTED) else None


def parse_time(text: str | None) -> dt.datetime | None:
    """metav1.Time / MicroTime (`...Z`, with or without fractions) as an aware datetime."""
    if not text:
        return None
    try:
        return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def micro_time(moment: dt.datetime) -> str:
    """metav1.MicroTime, the format of a Lease's renewTime."""
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def lease_verdict(renew_time: str | None, grace: float, moment: dt.datetime) -> tuple[bool, float]:
    """(expired, seconds until the verdict next needs checking), as OCM's hub lease controller decides."""
    renewed = parse_time(renew_time)
    if renewed is None:
        return True, grace
    left = (renewed - moment).total_seconds() + grace
    return (True, grace) if left <= 0 else (False, left)


def addon_feature_value(addon: Mapping[str, Any] | None) -> str | None:
    """The value of the add-on feature label for an add-on's Available condition."""
    status = condition_status(addon, "Available")
    return {"True": "available", "False": "unhealthy", "Unknown": "unreachable"}.get(status or "")


def cluster_labels(labels: Mapping[str, str], addon: Mapping[str, Any] | None) -> dict[str, str]:
    """The labels the hub maintains: the default cluster set, and the add-on's feature label."""
    result = dict(labels)
    result.setdefault(CLUSTERSET_LABEL, "default")
    feature = addon_feature_value(addon)
    if feature is None:
        result.pop(ADDON_FEATURE_LABEL, None)
    else:
        result[ADDON_FEATURE_LABEL] = feature
    return result


def addon_conditions(cluster_available: str | None) -> list[dict]:
    """A ManagedClusterAddOn's conditions while its cluster's availability is `cluster_available`."""
    applied = [
        {"type": "RegistrationApplied", "status": "True", "reason": "SetPermissionApplied",
         "message": "Registration of the addon agent is configured"},
        {"type": "ManifestApplied", "status": "True", "reason": "AddonManifestApplied",
         "message": "manifests of addon are applied successfully"},
    ]
    if cluster_available == "True":
        available = {"type": "Available", "status": "True", "reason": "ManagedClusterAddOnLeaseUpdated",
                     "message": f"{STATUS_ADDON} add-on is available."}
    elif cluster_available == "Unknown":
        available = {"type": "Available", "status": "Unknown", "reason": "ManagedClusterLeaseUpdateStopped",
                     "message": f"Managed cluster {STATUS_ADDON} add-on lease update stopped."}
    else:
        available = {"type": "Available", "status": "Unknown", "reason": "WaitForProbeResult",
                     "message": "Waiting for the add-on agent to report."}
    return [*applied, available]


def installs_everywhere(cma: Mapping[str, Any] | None) -> bool:
    """The status add-on chart's ClusterManagementAddOn installs through Placements (every cluster)."""
    strategy = ((cma or {}).get("spec") or {}).get("installStrategy") or {}
    return strategy.get("type") == "Placements" and bool(strategy.get("placements"))


def csr_state(csr: Mapping[str, Any]) -> str:
    """`Pending`, `Approved`, `Denied` or `Failed` (the CONDITION column of `kubectl get csr`)."""
    types = {c.get("type") for c in (csr.get("status") or {}).get("conditions") or () if c.get("status") == "True"}
    for state in ("Denied", "Failed", "Approved"):
        if state in types:
            return state
    return "Pending"


# ----------------------------------------------------------------------------- controllers
class HubRegistrationController(SubscribedController):
    """Keys are ManagedCluster names in one ITS."""

    name = "ocm-hub-registration"

    def __init__(self, its_store: Any, timings: Timings) -> None:
        super().__init__(its_store)
        self.store = its_store
        self.timings = timings

    def keys_for_event(self, cluster: str, event_type: str, rt: Any, obj: dict) -> Iterable[Hashable]:
        if rt.key == kinds.MANAGED_CLUSTER:
            yield meta(obj, "name")
        elif rt.key in (kinds.LEASE, kinds.MANAGED_CLUSTER_ADDON):
            yield meta(obj, "namespace")
        elif rt.key == kinds.NAMESPACE:
            yield meta(obj, "name")
        elif rt.key == kinds.CLUSTER_MANAGEMENT_ADDON:
            yield from self.resync_keys()

    def resync_keys(self) -> Iterable[Hashable]:
        for cluster in self.store.objects(kinds.MANAGED_CLUSTER):
            yield meta(cluster, "name")

    async def reconcile(self, key: Hashable) -> float | None:
        name = str(key)
        rt = self.store.type_for(kinds.MANAGED_CLUSTER)
        cluster = find(self.store, rt, None, name)
        if cluster is None:
            return None
        if is_deleting(cluster):
            self._clean_up(rt, cluster)
            return None
        accepted = bool((cluster.get("spec") or {}).get("hubAcceptsClient"))
        if accepted:
            ensure_namespace(self.store, name, {CLUSTER_NAME_LABEL: name})
        elif condition_status(cluster, HUB_ACCEPTED) == "True":
            delete_quietly(self.store, self.store.type_for(kinds.NAMESPACE), None, name)
        addon = self._status_addon(name, accepted, condition_status(cluster, AVAILABLE))
        cluster = self._write_metadata(rt, cluster, addon, accepted)
        return self._write_status(rt, cluster)

    def _write_metadata(self, rt: Any, cluster: dict, addon: dict | None, accepted: bool) -> dict:
        updated = with_finalizer(cluster, CLEANUP_FINALIZER, True) if accepted else None
        updated = updated or copy.deepcopy(cluster)
        updated["metadata"]["labels"] = cluster_labels(labels_of(cluster), addon)
        return cluster if updated == cluster else self.store.update(rt, updated)

    def _write_status(self, rt: Any, cluster: dict) -> float | None:
        """Acceptance and lease verdicts; returns when the lease must be looked at again."""
        conditions = list((cluster.get("status") or {}).get("conditions") or [])
        stamp = now()
        accepted = acceptance_condition(cluster)
        if accepted is not None:
            conditions = set_condition(conditions, accepted, stamp)
        recheck = None
        if accepted is not None:
            expired, recheck = self._lease_verdict(cluster)
            if expired and condition_status(cluster, AVAILABLE) != "Unknown":
                conditions = set_condition(conditions, LEASE_STOPPED_CONDITION, stamp)
        if not same_conditions(conditions, (cluster.get("status") or {}).get("conditions")):
            updated = copy.deepcopy(cluster)
            updated.setdefault("status", {})["conditions"] = conditions
            self.store.update(rt, updated, subresource="status")
        return recheck

    def _lease_verdict(self, cluster: dict) -> tuple[bool, float]:
        name = meta(cluster, "name")
        grace = self.timings.lease_grace((cluster.get("spec") or {}).get("leaseDurationSeconds"))
        lease = lookup(self.store, kinds.LEASE, name, LEASE_NAME)
        if lease is None:
            # The hub starts the lease itself (agents only renew it), so a silent agent still expires.
            if lookup(self.store, kinds.NAMESPACE, None, name) is None:
                return False, grace
            lease = ensure(self.store, kinds.LEASE, {
                "apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
                "metadata": {"name": LEASE_NAME, "namespace": name, "labels": {CLUSTER_NAME_LABEL: name}},
                "spec": {"holderIdentity": LEASE_NAME,
                         "renewTime": micro_time(dt.datetime.now(dt.UTC))}})
        return lease_verdict((lease.get("spec") or {}).get("renewTime"), grace, dt.datetime.now(dt.UTC))

    def _status_addon(self, name: str, accepted: bool, cluster_available: str | None) -> dict | None:
        """The cluster's `addon-status` ManagedClusterAddOn, made and kept in step with the cluster."""
        rt = self.store.type_for(kinds.MANAGED_CLUSTER_ADDON)
        addon = find(self.store, rt, name, STATUS_ADDON)
        cma = lookup(self.store, kinds.CLUSTER_MANAGEMENT_ADDON, None, STATUS_ADDON)
        if addon is None:
            if not (accepted and installs_everywhere(cma)):
                return None
            addon = ensure(self.store, kinds.MANAGED_CLUSTER_ADDON, {
                "apiVersion": "addon.open-cluster-management.io/v1alpha1", "kind": "ManagedClusterAddOn",
                "metadata": {"name": STATUS_ADDON, "namespace": name,
                             "ownerReferences": [owner_reference(cma)] if cma else []},
                "spec": {"installNamespace": ADDON_INSTALL_NAMESPACE}})
        status = addon.get("status") or {}
        conditions = status.get("conditions") or []
        for wanted in addon_conditions(cluster_available):
            conditions = set_condition(conditions, wanted, now())
        desired = {**status, "namespace": ADDON_INSTALL_NAMESPACE, "conditions": conditions,
                   "healthCheck": {"mode": "Lease"}}
        if same_conditions(conditions, status.get("conditions")) and status.get("namespace") == ADDON_INSTALL_NAMESPACE:
            return addon
        updated = copy.deepcopy(addon)
        updated["status"] = desired
        return self.store.update(rt, updated, subresource="status")

    def _clean_up(self, rt: Any, cluster: dict) -> None:
        """A deleted cluster takes its mailbox namespace (and so its ManifestWorks) with it."""
        name = meta(cluster, "name")
        delete_quietly(self.store, self.store.type_for(kinds.NAMESPACE), None, name)
        updated = with_finalizer(cluster, CLEANUP_FINALIZER, False)
        if updated is not None:
            self.store.update(rt, updated)


class CsrSigner(SubscribedController):
    """The ITS's kube-controller-manager `csrsigning`: approved client CSRs get a certificate."""

    name = "csr-signer"

    def __init__(self, its_store: Any) -> None:
        super().__init__(its_store)
        self.store = its_store
        self._key = ec.generate_private_key(ec.SECP256R1())

    def keys_for_event(self, cluster: str, event_type: str, rt: Any, obj: dict) -> Iterable[Hashable]:
        if rt.key == kinds.CSR:
            yield meta(obj, "name")

    def resync_keys(self) -> Iterable[Hashable]:
        for csr in self.store.objects(kinds.CSR):
            yield meta(csr, "name")

    async def reconcile(self, key: Hashable) -> float | None:
        rt = self.store.type_for(kinds.CSR)
        csr = find(self.store, rt, None, str(key))
        if csr is None or csr_state(csr) != "Approved" or (csr.get("status") or {}).get("certificate"):
            return None
        updated = copy.deepcopy(csr)
        updated["status"]["certificate"] = base64.b64encode(self._sign(csr)).decode()
        self.store.update(rt, updated, subresource="status")
        return None

    def _sign(self, csr: Mapping[str, Any]) -> bytes:
        request = x509.load_pem_x509_csr(base64.b64decode(csr["spec"]["request"]))
        issued = dt.datetime.now(dt.UTC)
        issuer = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"{self.store.name}-client-signer")])
        certificate = (x509.CertificateBuilder()
                       .subject_name(request.subject).issuer_name(issuer).public_key(request.public_key())
                       .serial_number(x509.random_serial_number())
                       .not_valid_before(issued).not_valid_after(issued + dt.timedelta(days=30))
                       .sign(self._key, hashes.SHA256()))
        return certificate.public_bytes(serialization.Encoding.PEM)
