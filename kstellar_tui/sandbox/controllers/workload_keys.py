"""Store keys `(group, plural)` of the kinds on the workload path (BindingPolicy to WEC and back).

Companion to `definitions/kinds.py`, which holds the topology's keys."""

from __future__ import annotations

from kstellar_tui.sandbox.definitions.kinds import (  # noqa: F401 - re-exported for the workload path
    CONFIG_MAP, CRD, DEPLOYMENT, JOB, MANAGED_CLUSTER, NAMESPACE, STATEFUL_SET, Key,
)

POD: Key = ("", "pods")
NODE: Key = ("", "nodes")
REPLICA_SET: Key = ("apps", "replicasets")
DAEMON_SET: Key = ("apps", "daemonsets")

BINDING_POLICY: Key = ("control.kubestellar.io", "bindingpolicies")
BINDING: Key = ("control.kubestellar.io", "bindings")
STATUS_COLLECTOR: Key = ("control.kubestellar.io", "statuscollectors")
COMBINED_STATUS: Key = ("control.kubestellar.io", "combinedstatuses")
CUSTOM_TRANSFORM: Key = ("control.kubestellar.io", "customtransforms")
WORK_STATUS: Key = ("control.kubestellar.io", "workstatuses")

MANIFEST_WORK: Key = ("work.open-cluster-management.io", "manifestworks")
APPLIED_MANIFEST_WORK: Key = ("work.open-cluster-management.io", "appliedmanifestworks")
