"""Step 2's live table rows, from what the ITS holds."""

from __future__ import annotations

from kstellar_tui.core.setup.checks import CSRS, MANAGED_CLUSTERS
from kstellar_tui.core.setup.registration import registrations


class Hub:
    def __init__(self, csrs: list[dict], clusters: list[dict]):
        self.csrs, self.clusters = csrs, clusters

    def items(self, context: str, path: str, label_selector: str | None = None) -> list[dict]:
        if path == CSRS:
            key, wanted = label_selector.split("=", 1)
            return [c for c in self.csrs if c["metadata"]["labels"][key] == wanted]
        return self.clusters if path == MANAGED_CLUSTERS else []

    def get(self, context: str, path: str) -> dict | None:
        name = path.rsplit("/", 1)[1]
        return next((c for c in self.clusters if c["metadata"]["name"] == name), None)


def csr(cluster: str, created: str, approved: bool = False) -> dict:
    conditions = [{"type": "Approved", "status": "True"}] if approved else []
    return {"metadata": {"name": f"{cluster}-{created}", "creationTimestamp": created,
                         "labels": {"open-cluster-management.io/cluster-name": cluster}},
            "status": {"conditions": conditions}}


def test_rows_show_csr_acceptance_conditions_and_the_users_labels() -> None:
    joined = {"metadata": {"name": "c1", "labels": {"cluster.open-cluster-management.io/clusterset": "default",
                                                    "location-group": "edge"}},
              "spec": {"hubAcceptsClient": True},
              "status": {"conditions": [{"type": "ManagedClusterJoined", "status": "True"},
                                        {"type": "ManagedClusterConditionAvailable", "status": "True"}]}}
    other = {"metadata": {"name": "legacy"}, "spec": {}}
    hub = Hub([csr("c1", "2026-01-01T00:00:00Z", approved=True), csr("c2", "2026-01-01T00:00:01Z"),
               csr("c2", "2026-01-01T00:00:02Z")], [joined, other])
    rows = {r.name: r for r in registrations(hub, "its1", ["c1", "c2", "c3"])}
    assert list(rows) == ["c1", "c2", "c3", "legacy"]
    assert (rows["c1"].csr, rows["c1"].accepted, rows["c1"].ready) == ("Approved", True, True)
    assert rows["c1"].labels == (("location-group", "edge"),)
    assert (rows["c2"].csr, rows["c2"].accepted, rows["c2"].joined) == ("2 Pending", False, "")
    assert rows["c3"].csr == "-" and not rows["c3"].ready
