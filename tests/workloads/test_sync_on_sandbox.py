"""`kstellar-tui apply -f DIR --watch --prune` keeps the WDS (and so the WECs) in step with a folder."""

from __future__ import annotations

import signal
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from kstellar_tui.core.apply import Applier
from kstellar_tui.core.sync import SOURCE_ANNOTATION, DirectorySync
from tests.sandbox._helpers import wait_for
from tests.workloads.conftest import Hub

NAMESPACE = "apiVersion: v1\nkind: Namespace\nmetadata: {name: synced, labels: {app: synced}}\n"
POLICY = """apiVersion: control.kubestellar.io/v1alpha1
kind: BindingPolicy
metadata: {name: synced-bp}
spec:
  clusterSelectors: [{matchLabels: {location-group: edge}}]
  downsync: [{objectSelectors: [{matchLabels: {app: synced}}]}]
"""
EXTRA = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: extra, namespace: synced, labels: {app: synced}}\n"


def web(replicas: int) -> str:
    return f"""apiVersion: apps/v1
kind: Deployment
metadata: {{name: web, namespace: synced, labels: {{app: synced}}}}
spec:
  replicas: {replicas}
  selector: {{matchLabels: {{pod: web}}}}
  template:
    metadata: {{labels: {{pod: web}}}}
    spec: {{containers: [{{name: c, image: "busybox:1"}}]}}
"""


class Watcher:
    """The CLI running in the background, its output collected line by line."""

    def __init__(self, process: subprocess.Popen[str]):
        self.process = process
        self.lines: list[str] = []
        for stream in (process.stdout, process.stderr):
            threading.Thread(target=self._read, args=(stream,), daemon=True).start()

    def _read(self, stream) -> None:
        for line in stream:
            self.lines.append(line.rstrip("\n"))

    def saw(self, text: str, timeout: float = 20) -> None:
        wait_for(lambda: any(text in line for line in self.lines), timeout=timeout,
                 message=f"{text!r} in the output; so far: {self.lines}")

    def stop(self) -> int:
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=20)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    root = tmp_path / "manifests"
    (root / "apps").mkdir(parents=True)
    (root / "namespace.yaml").write_text(NAMESPACE)
    (root / "policy.yaml").write_text(POLICY)
    (root / "apps" / "web.yaml").write_text(web(1))
    (root / "apps" / "extra.yml").write_text(EXTRA)
    return root


@pytest.fixture
def watcher(hub: Hub, folder: Path) -> Iterator[Watcher]:
    w = Watcher(hub.popen("apply", "-f", str(folder), "--watch", "--prune", "--kubeconfig", str(hub.kubeconfig_path)))
    try:
        yield w
    finally:
        if w.process.poll() is None:
            w.stop()


def replicas(hub: Hub, context: str) -> str | None:
    done = hub.kubectl(context, "get", "deployment", "web", "-n", "synced", "-o", "jsonpath={.spec.replicas}")
    return done.stdout if done.returncode == 0 else None


def test_a_watched_folder_drives_the_wds_and_the_wecs(hub: Hub, folder: Path, watcher: Watcher) -> None:
    watcher.saw("watching")
    assert any(line.startswith("apps/web.yaml: applied") for line in watcher.lines), watcher.lines
    wait_for(lambda: replicas(hub, "cluster1") == "1", timeout=20, message="web on cluster1")
    stamp = hub.ok("wds1", "get", "deployment", "web", "-n", "synced",
                   "-o", "jsonpath={.metadata.annotations.kstellar-tui\\.io/source}")
    assert stamp == "apps/web.yaml"

    # an edit on disk updates the WEC copy
    (folder / "apps" / "web.yaml").write_text(web(2))
    wait_for(lambda: replicas(hub, "cluster1") == "2", timeout=20, message="the edit on cluster1")

    # a broken file is reported and skipped; what it applied before stays as it was
    (folder / "apps" / "web.yaml").write_text(web(3).replace("replicas: 3", "replicas: [3"))
    watcher.saw("apps/web.yaml: broken")
    assert replicas(hub, "wds1") == "2" and replicas(hub, "cluster1") == "2"
    assert hub.exists("wds1", "configmap", "extra", "-n", "synced")

    # fixed again: applied again
    (folder / "apps" / "web.yaml").write_text(web(3))
    wait_for(lambda: replicas(hub, "cluster1") == "3", timeout=20, message="the fixed file on cluster1")

    # a removed file is pruned from the WDS, and then KubeStellar removes it from the WECs
    assert hub.exists("cluster1", "configmap", "extra", "-n", "synced")
    (folder / "apps" / "extra.yml").unlink()
    wait_for(lambda: not hub.exists("wds1", "configmap", "extra", "-n", "synced"), timeout=20,
             message="extra pruned from the WDS")
    wait_for(lambda: not hub.exists("cluster1", "configmap", "extra", "-n", "synced"), timeout=20,
             message="extra removed from cluster1")
    assert hub.exists("wds1", "deployment", "web", "-n", "synced")
    assert watcher.stop() == 0


def test_without_prune_removed_files_are_kept_until_a_run_with_prune(hub: Hub, tmp_path: Path) -> None:
    root = tmp_path / "kept"
    root.mkdir()
    (root / "a.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: kept-a, namespace: default}\n")
    (root / "b.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: kept-b, namespace: default}\n"
                                 "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: kept-c, namespace: default}\n")
    applier = Applier(hub.kubeconfig(), wds="wds1", its="its1")
    assert [e.kind for e in DirectorySync(root, applier).sync_all()] == ["applied", "applied"]
    (root / "a.yaml").unlink()
    (root / "b.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: kept-b, namespace: default}\n")
    events = {e.path: e for e in DirectorySync(root, applier).sync_all()}
    assert events["a.yaml"].kind == "kept" and "--prune" in events["a.yaml"].message
    assert [(o.subject, o.action) for o in events["b.yaml"].outcomes] == [
        ("configmap/kept-b", "configured"), ("ConfigMap kept-c", "kept")]
    assert all(hub.exists("wds1", "configmap", n) for n in ("kept-a", "kept-b", "kept-c"))

    # someone else took kept-c over: pruning must leave it alone
    hub.ok("wds1", "annotate", "configmap", "kept-c", f"{SOURCE_ANNOTATION}=elsewhere.yaml", "--overwrite")
    events = {e.path: e for e in DirectorySync(root, applier, prune=True).sync_all()}
    assert [(o.subject, o.action) for o in events["a.yaml"].outcomes] == [("configmap/kept-a", "deleted")]
    assert not hub.exists("wds1", "configmap", "kept-a")
    assert hub.exists("wds1", "configmap", "kept-b") and hub.exists("wds1", "configmap", "kept-c")


def test_one_shot_prune_via_the_cli(hub: Hub, tmp_path: Path) -> None:
    root = tmp_path / "once"
    root.mkdir()
    (root / "x.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: once-x, namespace: default}\n")
    args = ("apply", "-f", str(root), "--prune", "--kubeconfig", str(hub.kubeconfig_path))
    done = hub.cli(*args)
    assert done.returncode == 0 and "x.yaml: applied" in done.stdout, done.stderr
    (root / "x.yaml").unlink()
    done = hub.cli(*args)
    assert done.returncode == 0 and "x.yaml: pruned" in done.stdout, done.stderr
    assert not hub.exists("wds1", "configmap", "once-x")
