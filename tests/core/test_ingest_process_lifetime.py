"""The ingest child never outlives its app, even while it still waits for the hub to appear."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import orjson

KUBECONFIG = """apiVersion: v1
kind: Config
clusters: [{name: other, cluster: {server: "https://127.0.0.1:9"}}]
users: [{name: other, user: {token: not-used}}]
contexts: [{name: other, context: {cluster: other, user: other}}]
current-context: other
"""


def test_a_child_waiting_for_the_hub_exits_when_its_app_goes_away(tmp_path: Path) -> None:
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(KUBECONFIG)
    child = subprocess.Popen([sys.executable, "-m", "kstellar_tui.core.ingest_process", "--kubeconfig",
                              str(kubeconfig), "--wait-for-hub"],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        said = orjson.loads(child.stdout.readline())
        assert "waiting for the wds1 and its1 contexts" in said["problems"][0]
        child.stdin.close()  # what the kernel does for an app killed with SIGKILL
        assert child.wait(timeout=15) == 0
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
