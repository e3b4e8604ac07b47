"""WECs are watched directly as soon as a context for them appears, even after the monitor started
(guided setup creates WEC contexts while the monitor already runs)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from kstellar_tui.core.ingest import FleetWatcher
from kstellar_tui.core.kube.kubeconfig import KubeConfig
from tests.quickstart import Hub, running_quickstart

pytestmark = pytest.mark.kubectl


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hub]:
    with running_quickstart(tmp_path_factory.mktemp("contexts-hub")) as h:
        yield h


def pump_until(watcher: FleetWatcher, condition, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        watcher.pump(budget=0.1, block=0.1)


def test_a_context_added_later_turns_a_hub_reported_wec_into_a_watched_one(hub: Hub, tmp_path: Path) -> None:
    full = yaml.safe_load(hub.kubeconfig_path.read_text())
    partial = dict(full, contexts=[c for c in full["contexts"] if c["name"] != "cluster1"])
    config = tmp_path / "kubeconfig"
    config.write_text(yaml.safe_dump(partial))
    watcher = FleetWatcher(KubeConfig.load(str(config)))
    try:
        assert watcher.wait_synced(20)
        pump_until(watcher, lambda: {"cluster1", "cluster2"} <= set(watcher.store.clusters))
        assert watcher.store.cluster_connection("cluster1") is None  # hub-reported only
        config.write_text(yaml.safe_dump(full))
        hub.ok("wds1", "apply", "-f", "-", input="""
apiVersion: v1
kind: ConfigMap
metadata: {name: probe, namespace: default, labels: {probe: "yes"}}
---
apiVersion: control.kubestellar.io/v1alpha1
kind: BindingPolicy
metadata: {name: probe}
spec:
  clusterSelectors: [{matchLabels: {location-group: edge}}]
  downsync: [{objectSelectors: [{matchLabels: {probe: "yes"}}]}]
""")
        pump_until(watcher, lambda: watcher.store.cluster_connection("cluster1") is not None)
        pump_until(watcher, lambda: watcher.store.cluster_connection("cluster1").state.value == "synced")
    finally:
        watcher.close()
