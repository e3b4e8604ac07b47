"""Every simulated delay of the KubeStellar topology, in one place.

Upstream the steps take minutes (image pulls, `clusteradm init`, CSR round trips); the sandbox
keeps their order and their observable intermediate states but compresses them to fractions of
a second, so a preset is ready within a few seconds. Tests pass smaller values."""

from __future__ import annotations

from dataclasses import dataclass

from kstellar_tui.sandbox.controllers.workloads import WorkloadDelays


@dataclass(frozen=True)
class Timings:
    pod_start: float = 0.2
    """A pod (of a hook Job, a controller Deployment, an API server) getting Running and Ready."""
    job_run: float = 0.3
    """A Job's pod running to completion (its-hub-init, install-status-addon, update-cluster-info)."""
    csr_after_join: float = 0.2
    """The registration agent starting and filing its CSR after `clusteradm join`."""
    lease_duration_seconds: int = 1
    """`spec.leaseDurationSeconds` that join writes: how often the agent renews its lease (an integer, as upstream)."""
    lease_grace_multiplier: float = 5.0
    """A lease is stale after this many lease durations (OCM's leaseDurationTimes is 5)."""
    topology_poll: float = 0.25
    """How often the topology looks for clusters added or removed behind its back."""

    def lease_grace(self, lease_duration_seconds: int | None) -> float:
        """Seconds without renewal after which the hub marks a cluster's availability Unknown."""
        duration = lease_duration_seconds or 60  # OCM's default when the field is unset or 0
        return self.lease_grace_multiplier * duration

    def workload_delays(self) -> WorkloadDelays:
        return WorkloadDelays(pod_start=self.pod_start, job_run=self.job_run)
