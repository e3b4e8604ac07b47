"""A quickstart sandbox (WECs cluster1, cluster2 labelled location-group=edge,name=clusterN), started
the way a user starts it, and the ways tests look at it: our CLI, the real kubectl, the core API."""

from __future__ import annotations

import contextlib
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

from kstellar_tui.core.kube.kubeconfig import KubeConfig
from tests.sandbox._helpers import KUBECTL, REPO_ROOT, kubectl_env


class Hub:
    """One quickstart sandbox and the ways to look at it."""

    def __init__(self, base: Path):
        self.base = base
        self.state = base / "state"
        self.kubeconfig_path = self.state / "kubeconfig"
        self.env = kubectl_env(self.kubeconfig_path) | {
            "XDG_STATE_HOME": str(base / "xdg-state"), "XDG_CONFIG_HOME": str(base / "xdg-config"),
            "KUBECACHEDIR": str(base / "kube-cache")}

    def cli(self, *args: str, timeout: float = 90) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "kstellar_tui", *args], cwd=REPO_ROOT, env=self.env,
                              capture_output=True, text=True, timeout=timeout)

    def popen(self, *args: str) -> subprocess.Popen[str]:
        return subprocess.Popen([sys.executable, "-m", "kstellar_tui", *args], cwd=REPO_ROOT, env=self.env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def kubectl(self, context: str, *args: str, input: str | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run([KUBECTL, "--context", context, *args], env=self.env, input=input,
                              capture_output=True, text=True, timeout=60)

    def ok(self, context: str, *args: str, input: str | None = None) -> str:
        done = self.kubectl(context, *args, input=input)
        assert done.returncode == 0, done.stderr
        return done.stdout

    def exists(self, context: str, *args: str) -> bool:
        return self.kubectl(context, "get", *args).returncode == 0

    def kubeconfig(self) -> KubeConfig:
        return KubeConfig.load(str(self.kubeconfig_path))


@contextlib.contextmanager
def running_quickstart(base: Path, hub_class: type[Hub] = Hub) -> Iterator[Hub]:
    """`sandbox up --detach --preset quickstart` in `base`; stopped on the way out."""
    hub = hub_class(base)
    up = hub.cli("sandbox", "up", "--detach", "--preset", "quickstart", "--state-dir", str(hub.state))
    assert up.returncode == 0, up.stderr
    try:
        yield hub
    finally:
        hub.cli("sandbox", "down", "--state-dir", str(hub.state))
