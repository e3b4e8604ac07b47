"""ListWatch against the embedded sandbox: TLS, a real watch server, and its fault injection.

This is the path users have (https with a token from a kubeconfig), so the stream hub's handling
of TLS sockets — records it has decrypted but not yet handed out, reads that would block — is
exercised here rather than over plain HTTP."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from kstellar_tui.core.kube.kubeconfig import KubeConfig
from kstellar_tui.core.kube.rest import Rest
from kstellar_tui.core.kube.watch import Backoff, ConnState, ListWatch, Resource
from tests.core.test_watch_loop import Recorder

REPO_ROOT = Path(__file__).resolve().parents[2]


class Sandbox:
    def __init__(self, base: Path):
        self.state = base / "state"
        self.env = os.environ | {"XDG_STATE_HOME": str(base / "xdg")}

    def cli(self, *args: str) -> None:
        done = subprocess.run([sys.executable, "-m", "kstellar_tui", "sandbox", *args, "--state-dir", str(self.state)],
                              cwd=REPO_ROOT, env=self.env, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr

    def client(self):
        return KubeConfig.load(str(self.state / "kubeconfig")).client("a")


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    box = Sandbox(tmp_path_factory.mktemp("watch-sandbox"))
    box.cli("up", "--detach", "--clusters", "a,b")
    try:
        yield box
    finally:
        box.cli("down")


@pytest.fixture()
def watching(sandbox: Sandbox, request: pytest.FixtureRequest):
    """Start a loop on ConfigMaps in a fresh namespace of cluster a; returns (loop, sink, rest, resource)."""
    rest = Rest(sandbox.client())
    namespace = request.node.name.split("[")[0].replace("_", "-")[-50:].strip("-")
    rest.create("/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}})
    resource = Resource("", "v1", "configmaps", namespace)
    started: list[tuple[ListWatch, threading.Thread]] = []

    def start(**options):
        sink = Recorder()
        loop = ListWatch(sandbox.client(), resource, sink, **options)
        thread = threading.Thread(target=loop.run, daemon=True)
        thread.start()
        started.append((loop, thread))
        sink.wait(lambda: sink.states and sink.states[-1][0] is ConnState.SYNCED, "the first sync")
        return loop, sink, rest, resource

    yield start
    sandbox.cli("fault", "clear")
    for loop, thread in started:
        loop.stop()
        thread.join(2)
        assert not thread.is_alive()


def ours(sink: Recorder) -> list[tuple[str, str]]:
    """(type, name) of the events about the test's own ConfigMaps (the server adds kube-root-ca.crt)."""
    return [(t, name) for t, name, _ in sink.received if name != "kube-root-ca.crt"]


def configmap(name: str, **labels: str) -> dict:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "labels": labels},
            "data": {"payload": "x" * 3000}}  # several TLS records per event


def test_tls_stream_is_read_by_the_hub_and_resumes_after_dropped_watches(sandbox, watching):
    loop, sink, rest, resource = watching()
    for i in range(20):
        rest.create(resource.path, configmap(f"cm{i}"))
    sink.wait(lambda: len(ours(sink)) == 20, "the first 20 events")
    last_before_drop = sink.received[-1][2]
    sandbox.cli("fault", "drop-watches", "a")
    for i in range(20, 40):
        rest.create(resource.path, configmap(f"cm{i}"))
    sink.wait(lambda: len(ours(sink)) == 40, "all 40 events")
    assert ours(sink) == [("ADDED", f"cm{i}") for i in range(40)]
    assert len(sink.replaced) == 1  # no re-list: the next watch resumed from the last event's version
    assert loop.resource_version == last_before_drop
    assert sink.threads == {"watch stream hub"}


def test_tls_expired_history_relists(sandbox, watching):
    loop, sink, rest, resource = watching(label_selector="watched=yes")
    rest.create(resource.path, configmap("before", watched="yes"))
    sink.wait(lambda: len(sink.received) == 1, "the labelled ConfigMap")
    rest.create(resource.path, configmap("unseen"))  # moves the server's version past the loop's
    sandbox.cli("fault", "expire-history", "a")
    sandbox.cli("fault", "drop-watches", "a")
    sink.wait(lambda: len(sink.replaced) == 2, "the re-list after 410")
    assert [name.split("@")[0] for name in sink.replaced[1]] == ["before"]
    rest.create(resource.path, configmap("after", watched="yes"))
    sink.wait(lambda: len(sink.received) == 2, "the event after the re-list")
    assert sink.received[1][:2] == ("ADDED", "after")


def test_tls_offline_cluster_is_reported_and_followed_again(sandbox, watching):
    loop, sink, rest, resource = watching(backoff=Backoff(base=0.05, cap=0.2))
    sandbox.cli("fault", "offline", "a")
    sink.wait(lambda: any(s is ConnState.OFFLINE and "refused" in d for s, d in sink.states), "offline")
    sandbox.cli("fault", "online", "a")
    sink.wait(lambda: sink.states[-1][0] is ConnState.SYNCED, "synced again")
    rest.create(resource.path, configmap("back"))
    sink.wait(lambda: ours(sink), "an event after coming back")
    assert ours(sink) == [("ADDED", "back")]
