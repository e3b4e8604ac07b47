"""Prerequisites of the v0.30.0 Getting Started, checked the way `check_pre_req.sh` means them
but with real version arithmetic, and with the exact command that fixes each failure.

The minimums are the v0.30.0 checker's (not `pre-reqs.md`'s, which still says clusteradm 0.10):
kflex >= 0.9.3, clusteradm 1.0.x, helm >= 3, kubectl >= 1.29, docker >= 20, kind >= 0.20 with
raised inotify limits, k3d >= 5.7.4. The inotify limits are read from this host's
/proc/sys/fs/inotify, which is where kind's nodes share them on Linux (and needs no docker)."""

from __future__ import annotations

import json
import platform
import shutil
import subprocess
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from kstellar_tui.core.setup.versions import Version, string_less

PROBE_TIMEOUT = 15.0
INOTIFY_DIR = Path("/proc/sys/fs/inotify")
PLATFORMS = ("kind", "k3d")


def _os_arch() -> tuple[str, str]:
    machine = platform.machine().lower()
    return platform.system().lower(), {"x86_64": "amd64", "aarch64": "arm64"}.get(machine, machine)


def _first_line(prefix: str = "") -> Callable[[str], str | None]:
    """The first non-empty output line starting with `prefix` (upstream's `grep "^prefix"`)."""
    def pick(output: str) -> str | None:
        lines = (line.strip() for line in output.splitlines())
        return next((line for line in lines if line and line.startswith(prefix)), None)
    return pick


def _clusteradm_client(output: str) -> str | None:
    """The third field of the `client` line (`client  version  :v1.0.0-0-g…`), as upstream's awk."""
    line = _first_line("client")(output)
    fields = line.split() if line else []
    return fields[2] if len(fields) > 2 else None


def _kubectl_git_version(output: str) -> str | None:
    try:
        return str(json.loads(output)["clientVersion"]["gitVersion"])
    except (ValueError, KeyError, TypeError):
        return None


@dataclass(frozen=True)
class Requirement:
    """One tool: how upstream probes it, the versions it accepts, and how to install a good one."""

    name: str
    binary: str
    probe: tuple[str, ...]
    pick: Callable[[str], str | None]
    """From the probe's output, the text upstream compares (e.g. `Kubeflex version: v0.9.3.…`)."""
    minimum: Version
    below: Version | None
    """Exclusive upper bound (clusteradm must be 1.0.x)."""
    upstream_bounds: tuple[str, str | None]
    """The strings upstream's checker compares against: (minimum, exclusive upper bound)."""
    install: str

    @property
    def required(self) -> str:
        return f">= {self.minimum}" + (f", < {self.below}" if self.below else "")


def requirements() -> dict[str, Requirement]:
    os_name, arch = _os_arch()
    return {r.name: r for r in (
        Requirement("kubectl", "kubectl", ("kubectl", "version", "--client", "-o", "json"), _kubectl_git_version,
                    Version(1, 29), None, ("v1.29", None),
                    f'curl -LO "https://dl.k8s.io/release/v1.32.13/bin/{os_name}/{arch}/kubectl" '
                    "&& sudo install -m 0755 kubectl /usr/local/bin/kubectl"),
        Requirement("helm", "helm", ("helm", "version", "--template={{.Version}}"), _first_line(),
                    Version(3, 0), None, ("v3", None),
                    "curl -fsSL https://raw.githubusercontent.com/helm/helm/main/scripts/get-helm-3 | bash"),
        Requirement("kflex", "kflex", ("kflex", "version"), _first_line("Kubeflex version:"),
                    Version(0, 9, 3), None, ("Kubeflex version: v0.9.3", None),
                    "curl -sL https://raw.githubusercontent.com/kubestellar/kubeflex/main/scripts/install-kubeflex.sh "
                    "| sudo bash -s -- --ensure-folder /usr/local/bin --strip-bin"),
        Requirement("clusteradm", "clusteradm", ("clusteradm", "version"), _clusteradm_client,
                    Version(1, 0), Version(1, 1), (":v1.0", ":v1.1"),
                    "bash <(curl -L https://raw.githubusercontent.com/open-cluster-management-io/clusteradm/main/"
                    "install.sh) 1.0.0"),
        Requirement("docker", "docker", ("docker", "--version"), _first_line(),
                    Version(20, 0), None, ("Docker version 20", None),
                    "install Docker Engine 20 or later: https://docs.docker.com/engine/install/"),
        Requirement("kind", "kind", ("kind", "version"), _first_line(),
                    Version(0, 20), None, ("kind v0.20", None),
                    f"curl -Lo ./kind https://kind.sigs.k8s.io/dl/v0.27.0/kind-{os_name}-{arch} "
                    "&& chmod +x ./kind && sudo mv ./kind /usr/local/bin/kind"),
        Requirement("k3d", "k3d", ("k3d", "--version"), _first_line(),
                    Version(5, 7, 4), None, ("k3d version v5.7.4", None),
                    "curl -s https://raw.githubusercontent.com/k3d-io/k3d/main/install.sh | TAG=v5.8.3 bash"),
    )}


def tools_for(platform_name: str) -> tuple[str, ...]:
    """What Getting Started needs on this platform (upstream: `kflex ocm helm kubectl docker kind|k3d`)."""
    if platform_name not in PLATFORMS:
        raise ValueError(f"platform must be one of {', '.join(PLATFORMS)}, not {platform_name!r}")
    return ("kubectl", "helm", "kflex", "clusteradm", "docker", platform_name)


@dataclass(frozen=True)
class Verdict:
    """One row of `setup check`: `ok` is None when it cannot be known here (then it does not fail)."""

    name: str
    ok: bool | None
    found: str
    required: str
    detail: str = ""
    fix: str = ""
    warning: str = ""
    path: str = ""

    @property
    def label(self) -> str:
        return {True: "ok", False: "FAIL", None: "unknown"}[self.ok]


def check_tool(req: Requirement, env: Mapping[str, str]) -> Verdict:
    path = shutil.which(req.binary, path=env.get("PATH"))
    if path is None:
        return Verdict(req.name, False, "", req.required, f"{req.binary} is not on PATH", req.install)
    try:
        proc = subprocess.run([path, *req.probe[1:]], capture_output=True, text=True, timeout=PROBE_TIMEOUT,
                              env=dict(env), stdin=subprocess.DEVNULL)
        output = proc.stdout + proc.stderr
    except (OSError, subprocess.TimeoutExpired) as error:
        return Verdict(req.name, False, "", req.required, f"`{' '.join(req.probe)}` failed: {error}", req.install,
                       path=path)
    text = req.pick(output)
    version = Version.parse(text) if text else None
    if version is None:
        first = output.strip().splitlines()[0] if output.strip() else "no output"
        return Verdict(req.name, False, "", req.required, f"cannot read a version from `{' '.join(req.probe)}`: "
                       f"{first[:120]}", req.install, path=path)
    too_old = version < req.minimum
    too_new = req.below is not None and version >= req.below
    ok = not (too_old or too_new)
    detail = "too old" if too_old else "too new: KubeStellar 0.30.0 needs 1.0.x" if too_new else ""
    return Verdict(req.name, ok, str(version), req.required, detail, "" if ok else req.install,
                   _upstream_disagreement(req, text) if ok else "", path)


def _upstream_disagreement(req: Requirement, text: str) -> str:
    """A warning when upstream's string comparison would reject a version that is in fact fine."""
    low, high = req.upstream_bounds
    upstream_ok = not string_less(text, low) and (high is None or string_less(text, high))
    if upstream_ok:
        return ""
    bounds = f"at least '{low}'" + (f" and below '{high}'" if high else "")
    return (f"upstream's check_pre_req.sh compares strings and would reject '{text}' (it wants {bounds}); "
            "the version is fine: ignore that script's verdict")


INOTIFY_MINIMUMS = {"max_user_watches": 524288, "max_user_instances": 512}


def check_inotify(sysctl_dir: Path = INOTIFY_DIR) -> list[Verdict]:
    """kind's "too many open files" known issue: the limits its nodes share with this host."""
    verdicts = []
    for leaf, minimum in INOTIFY_MINIMUMS.items():
        name = f"fs.inotify.{leaf}"
        fix = (f"sudo sysctl {name}={minimum} && echo {name}={minimum} | sudo tee -a /etc/sysctl.d/99-kind.conf")
        try:
            value = int((sysctl_dir / leaf).read_text().strip())
        except (OSError, ValueError):
            verdicts.append(Verdict(name, None, "", f">= {minimum}", f"cannot read {sysctl_dir / leaf}",
                                    warning="check it where Docker runs: docker run --rm busybox sysctl " + name))
            continue
        ok = value >= minimum
        verdicts.append(Verdict(name, ok, str(value), f">= {minimum}", "" if ok else "too low", "" if ok else fix))
    return verdicts


def check_prerequisites(platform_name: str, env: Mapping[str, str], *,
                        sysctl_dir: Path = INOTIFY_DIR) -> list[Verdict]:
    """Every verdict `setup check` shows for this platform, in upstream's order."""
    reqs = requirements()
    verdicts = [check_tool(reqs[name], env) for name in tools_for(platform_name)]
    if platform_name == "kind":
        verdicts += check_inotify(sysctl_dir)
    return verdicts


def all_pass(verdicts: list[Verdict]) -> bool:
    return all(v.ok is not False for v in verdicts)
