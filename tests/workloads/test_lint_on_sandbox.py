"""`kstellar-tui lint` with a live hub: cluster labels, WDS kinds and WEC namespaces change the verdict."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest
import yaml

from tests.workloads.conftest import Hub

SHOP = """apiVersion: v1
kind: Namespace
metadata: {name: shop}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: prices, namespace: shop, labels: {app: shop}}
data: {apple: "1"}
---
apiVersion: control.kubestellar.io/v1alpha1
kind: BindingPolicy
metadata: {name: shop-bp}
spec:
  clusterSelectors: [{matchLabels: {location-group: edge}}]
  downsync: [{objectSelectors: [{matchLabels: {app: shop}}], wantSingletonReportedState: true}]
"""
WIDGET = "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w, namespace: default}\n"


@pytest.fixture
def manifests(tmp_path: Path) -> Path:
    (tmp_path / "shop.yaml").write_text(SHOP)
    return tmp_path / "shop.yaml"


def lint(hub: Hub, *args: str):
    return hub.cli("lint", *args, "--kubeconfig", str(hub.kubeconfig_path))


def test_live_lint_finds_the_namespace_missing_on_every_wec(hub: Hub, manifests: Path) -> None:
    done = lint(hub, str(manifests))
    assert done.returncode == 1
    assert (f"{manifests}:5: error[namespace-not-delivered] ConfigMap shop/prices: Namespace \"shop\" is not "
            "propagated and does not exist on cluster1 (via shop-bp); cluster2 (via shop-bp)") in done.stdout
    assert f"{manifests}:10: warning[singleton-cluster-count]" in done.stdout
    assert "selects 2 (cluster1, cluster2)" in done.stdout
    assert done.stdout.rstrip().endswith("3 documents: 1 error, 1 warning")


def test_a_namespace_already_on_the_wecs_is_fine(hub: Hub, manifests: Path) -> None:
    for cluster in ("cluster1", "cluster2"):
        hub.ok(cluster, "create", "namespace", "shop")
    try:
        done = lint(hub, str(manifests), "-o", "json")
        assert done.returncode == 0, done.stdout
        report = json.loads(done.stdout)
        assert [f["rule"] for f in report["findings"]] == ["singleton-cluster-count"]
    finally:
        for cluster in ("cluster1", "cluster2"):
            hub.ok(cluster, "delete", "namespace", "shop")


def test_offline_lint_downgrades_and_says_so(hub: Hub, manifests: Path) -> None:
    done = lint(hub, str(manifests), "--offline")
    assert done.returncode == 0
    assert "warning[namespace-not-delivered]" in done.stdout and "singleton" not in done.stdout
    assert "note: offline (--offline)" in done.stderr


def test_unknown_kind_needs_the_wds_to_tell(hub: Hub, tmp_path: Path) -> None:
    (tmp_path / "w.yaml").write_text(WIDGET)
    live = lint(hub, str(tmp_path))
    assert live.returncode == 1 and "error[unknown-kind] Widget default/w" in live.stdout
    assert 'no API group "example.com"' in live.stdout
    offline = lint(hub, str(tmp_path), "--offline")
    assert offline.returncode == 0 and "Widget (example.com/v1)" in offline.stderr


def test_an_unreachable_hub_falls_back_to_offline(hub: Hub, manifests: Path, tmp_path: Path) -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    config = yaml.safe_load(hub.kubeconfig_path.read_text())
    (its,) = [c["cluster"] for c in config["clusters"] if c["name"] == "its1"]
    its["server"] = f"https://127.0.0.1:{port}"
    broken = tmp_path / "kubeconfig"
    broken.write_text(yaml.safe_dump(config))
    done = hub.cli("lint", str(manifests), "--kubeconfig", str(broken))
    assert done.returncode == 0, done.stdout
    assert "note: offline: cannot read ManagedClusters from its1" in done.stderr
