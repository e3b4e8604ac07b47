"""Where each WEC stands in its registration (Step 2's live table): CSR, accepted, joined,
available, labels — all read from the ITS, the same reads the steps wait on."""

from __future__ import annotations

from dataclasses import dataclass

from kstellar_tui.core.setup import checks
from kstellar_tui.core.setup.steps import Probe

AUTO_LABEL_PREFIXES = ("cluster.open-cluster-management.io/", "feature.open-cluster-management.io/")


@dataclass(frozen=True)
class Registration:
    name: str
    csr: str          # "-", "Pending", "Approved", "Denied" (the newest CSR), or "2 Pending" when several wait
    accepted: bool
    joined: str       # the condition's status, "" when absent
    available: str
    labels: tuple[tuple[str, str], ...]
    """The user's labels (OCM's own `cluster.open-cluster-management.io/…` ones left out)."""

    @property
    def ready(self) -> bool:
        return self.accepted and self.joined == "True" and self.available == "True"


def registration(probe: Probe, its: str, name: str) -> Registration:
    csrs = sorted(checks.cluster_csrs(probe, its, name),
                  key=lambda c: (c.get("metadata") or {}).get("creationTimestamp") or "")
    pending = sum(checks.csr_state(c) == "Pending" for c in csrs)
    csr = f"{pending} Pending" if pending > 1 else checks.csr_state(csrs[-1]) if csrs else "-"
    mc = checks.managed_cluster(probe, its, name)
    labels = ((mc or {}).get("metadata") or {}).get("labels") or {}
    return Registration(
        name, csr, checks.accepted(mc), checks.condition_status(mc, checks.JOINED) or "",
        checks.condition_status(mc, checks.AVAILABLE) or "",
        tuple(sorted((k, v) for k, v in labels.items() if not k.startswith(AUTO_LABEL_PREFIXES))))


def registrations(probe: Probe, its: str, names: list[str]) -> list[Registration]:
    """The WECs asked about plus every other ManagedCluster the ITS already has."""
    known = [(mc.get("metadata") or {}).get("name", "") for mc in probe.items(its, checks.MANAGED_CLUSTERS)]
    return [registration(probe, its, name) for name in dict.fromkeys([*names, *known]) if name]
