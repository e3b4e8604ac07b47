"""The host backend: the real kind/k3d, helm, kflex, clusteradm and kubectl found on PATH.

Commands run from argv lists with an explicit environment, in their own process group so a
cancel stops them and their children; output is streamed line by line as it comes."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import threading
from collections.abc import Callable, Mapping

from kstellar_tui.core.setup.kube_probe import KubeProbe, kubeconfig_files
from kstellar_tui.core.setup.steps import Step

LIST_TIMEOUT = 30.0
STOP_GRACE = 5.0


class HostBackend:
    def __init__(self, env: Mapping[str, str], platform: str):
        self.env = dict(env)
        self.platform = platform
        self.probe = KubeProbe(kubeconfig_files(self.env), self._platform_clusters)
        self._current: subprocess.Popen[str] | None = None
        self._lock = threading.Lock()

    def skip_reason(self, step: Step) -> str | None:
        return None

    def which(self, binary: str) -> str | None:
        return shutil.which(binary, path=self.env.get("PATH"))

    def execute(self, step: Step, argv: list[str], on_line: Callable[[str], None]) -> int:
        executable = self.which(argv[0])
        if executable is None:
            on_line(f"{argv[0]}: not found on PATH (see `kstellar-tui setup check`)")
            return 127
        proc = subprocess.Popen(
            [executable, *argv[1:]], env=self.env, text=True, errors="replace", bufsize=1,
            stdin=subprocess.PIPE if step.stdin is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
        with self._lock:
            self._current = proc
        try:
            if step.stdin is not None:
                assert proc.stdin is not None
                try:
                    proc.stdin.write(step.stdin)
                    proc.stdin.close()
                except BrokenPipeError:  # it exited without reading: its output says why
                    pass
            assert proc.stdout is not None
            for line in proc.stdout:
                on_line(line.rstrip("\n"))
            return proc.wait()
        finally:
            with self._lock:
                self._current = None

    def interrupt(self) -> None:
        with self._lock:
            proc = self._current
        if proc is None or proc.poll() is not None:
            return
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(STOP_GRACE)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass

    def _platform_clusters(self) -> frozenset[str]:
        """`kind get clusters` / `k3d cluster list -o json`: a read upstream offers only as a CLI."""
        argv = ["kind", "get", "clusters"] if self.platform == "kind" else ["k3d", "cluster", "list", "-o", "json"]
        executable = self.which(argv[0])
        if executable is None:
            return frozenset()
        try:
            proc = subprocess.run([executable, *argv[1:]], env=self.env, capture_output=True, text=True,
                                  timeout=LIST_TIMEOUT, stdin=subprocess.DEVNULL)
        except (OSError, subprocess.TimeoutExpired):
            return frozenset()
        if proc.returncode != 0:
            return frozenset()
        if self.platform == "kind":
            return frozenset(line.strip() for line in proc.stdout.splitlines() if line.strip())
        try:
            return frozenset(str(c["name"]) for c in json.loads(proc.stdout or "[]"))
        except (ValueError, KeyError, TypeError):
            return frozenset()
