"""The sandbox backend: each setup command done through the sandbox's admin API, the way the
sandbox's own presets do it (`kind create cluster` → POST /_sandbox/clusters, `helm upgrade
--install ks-core` → POST /_sandbox/core, `clusteradm get token|join|accept` → their routes).
`kubectl label` is a merge patch through the sandbox kubeconfig. Checks and waits are the same
Kubernetes reads as on the host, through that kubeconfig."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from kstellar_tui.core.setup import checks
from kstellar_tui.core.setup.kube_probe import ApiError, KubeProbe
from kstellar_tui.core.setup.steps import (
    Accept,
    CreateCluster,
    DeleteCsrs,
    GetToken,
    HostOnly,
    InstallCore,
    Join,
    Label,
    SandboxMakesIt,
    Step,
)
from kstellar_tui.sandbox.admin_client import AdminClient, AdminError, SandboxUnreachable, read_info
from kstellar_tui.sandbox.statedir import StateDir


class SandboxNotRunning(Exception):
    """No sandbox answers for this state dir."""


class SandboxBackend:
    def __init__(self, state_dir: Path):
        info = read_info(state_dir)
        if info is None or info.admin_port is None:
            raise SandboxNotRunning(f"no sandbox is running in {state_dir}")
        self.admin = AdminClient(state_dir, info)
        self.probe = KubeProbe([StateDir(state_dir).kubeconfig], self._platform_clusters)

    def skip_reason(self, step: Step) -> str | None:
        return step.op.reason if isinstance(step.op, HostOnly) else None

    def interrupt(self) -> None:
        """Admin requests are short and bounded by their timeout: nothing to stop."""

    def execute(self, step: Step, argv: list[str], on_line: Callable[[str], None]) -> int:
        try:
            self._do(step, argv, on_line)
        except (AdminError, SandboxUnreachable, ApiError) as error:
            on_line(f"Error: {error}")
            return 1
        return 0

    def _do(self, step: Step, argv: list[str], on_line: Callable[[str], None]) -> None:
        op = step.op
        if isinstance(op, CreateCluster):
            self.admin.request("POST", "/_sandbox/clusters", {"name": op.context})
            on_line(f"Created cluster {op.context} in the sandbox (context {op.context})")
        elif isinstance(op, InstallCore):
            result = self.admin.request("POST", "/_sandbox/core", {"ITSes": [{"name": n} for n in op.its],
                                                                    "WDSes": [{"name": n} for n in op.wds]})
            on_line(f'Release "{result["release"]}" revision {result["revision"]}: control planes '
                    f'{", ".join(result["controlPlanes"])}')
            if result.get("deleted"):
                on_line(f"deleted control planes no longer listed: {', '.join(result['deleted'])}")
        elif isinstance(op, SandboxMakesIt):
            on_line(op.reason)
        elif isinstance(op, GetToken):
            token = self.admin.request("GET", f"/_sandbox/its/{op.its}/token")
            on_line(f"token={token['token']}")
            on_line("please log on spoke and run:")
            on_line(token["command"])
        elif isinstance(op, Join):
            self.admin.request("POST", "/_sandbox/join", {
                "cluster": op.context, "its": op.its, "clusterName": op.cluster_name,
                "token": _flag(argv, "--hub-token")})
            on_line(f"{op.cluster_name} is joining {op.its}: its agent files a CSR shortly")
        elif isinstance(op, Accept):
            for line in self.admin.request("POST", "/_sandbox/accept", {"its": op.its, "clusters": [op.cluster]})[
                    "lines"]:
                on_line(line)
        elif isinstance(op, DeleteCsrs):
            for name in argv[argv.index("csr") + 1:]:
                self.probe.request(op.its, "DELETE", f"{checks.CSRS}/{name}")
                on_line(f'certificatesigningrequest.certificates.k8s.io "{name}" deleted')
        elif isinstance(op, Label):
            self.probe.request(op.its, "PATCH", f"{checks.MANAGED_CLUSTERS}/{op.cluster}",
                               body={"metadata": {"labels": dict(op.labels)}},
                               content_type="application/merge-patch+json")
            on_line(f"managedcluster.cluster.open-cluster-management.io/{op.cluster} labeled")
        else:
            raise AssertionError(f"step {step.id} has nothing to do in the sandbox")

    def _platform_clusters(self) -> frozenset[str]:
        """The sandbox's clusters under their kind names (its hosting cluster is `kind-kubeflex`)."""
        clusters = self.admin.status().get("clusters") or {}
        return frozenset(name.removeprefix("kind-") for name in clusters)


def _flag(argv: list[str], flag: str) -> str:
    return argv[argv.index(flag) + 1]
