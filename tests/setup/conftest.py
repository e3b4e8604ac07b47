"""Fixtures for the setup suites: an empty sandbox (`sandbox up --detach --preset empty`) and a
fake host whose PATH holds recording stand-ins for the setup CLIs (see fake_tools.py)."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.sandbox._helpers import KUBECTL, REPO_ROOT, Sandbox, _clean_env, stop_quietly

FAKE_TOOLS = Path(__file__).resolve().parent / "fake_tools.py"
TOOLS = ("kind", "k3d", "helm", "kflex", "clusteradm", "kubectl", "docker")
# What a run reads without changing anything: version probes and the cluster listings.
READS = (("kind", "version"), ("kind", "get"), ("k3d", "--version"), ("k3d", "cluster", "list"),
         ("helm", "version"), ("kflex", "version"), ("clusteradm", "version"), ("docker", "--version"),
         ("kubectl", "version"))


def start_empty_sandbox(base: Path) -> Sandbox:
    sandbox = Sandbox(state_dir=base / "state", clusters=[], cache_dir=base / "kubectl-cache")
    proc = sandbox.cli("up", "--detach", "--preset", "empty")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return sandbox


@pytest.fixture
def empty_sandbox(tmp_path: Path) -> Iterator[Sandbox]:
    sandbox = start_empty_sandbox(tmp_path / "sandbox")
    try:
        yield sandbox
    finally:
        stop_quietly(sandbox)


@dataclass
class FakeHost:
    """A PATH of fake tools, their log, knobs and world, and the kubeconfig they write."""

    root: Path
    sandbox: Sandbox | None = None

    @property
    def bin(self) -> Path:
        return self.root / "bin"

    @property
    def kubeconfig(self) -> Path:
        return self.root / "home" / ".kube" / "config"

    @property
    def env(self) -> dict[str, str]:
        env = _clean_env(self.root / "xdg")
        env.update(PATH=f"{self.bin}:/usr/bin:/bin", HOME=str(self.root / "home"), KUBECONFIG=str(self.kubeconfig),
                   FAKE_DIR=str(self.root), FAKE_REAL_KUBECTL=KUBECTL,
                   NO_PROXY="127.0.0.1,localhost", no_proxy="127.0.0.1,localhost")
        if self.sandbox is not None:
            env["FAKE_SANDBOX"] = str(self.sandbox.state_dir)
        return env

    def install(self) -> FakeHost:
        self.bin.mkdir(parents=True)
        (self.root / "home").mkdir()
        for tool in TOOLS:
            shim = self.bin / tool
            shim.write_text(f'#!/bin/sh\nexec {sys.executable} {FAKE_TOOLS} {tool} "$@"\n')
            shim.chmod(0o755)
        return self

    def knobs(self, **values: Any) -> None:
        (self.root / "knobs.json").write_text(json.dumps(values))

    def calls(self) -> list[list[str]]:
        log = self.root / "log.jsonl"
        return [json.loads(line)["argv"] for line in log.read_text().splitlines()] if log.exists() else []

    def stdin_of(self, argv_prefix: list[str]) -> str | None:
        log = (self.root / "log.jsonl").read_text().splitlines()
        return next(e["stdin"] for e in map(json.loads, log) if e["argv"][:len(argv_prefix)] == argv_prefix)

    def changes(self, since: int = 0) -> list[list[str]]:
        """The recorded calls that are not pure reads."""
        return [argv for argv in self.calls()[since:] if not any(tuple(argv[:len(r)]) == r for r in READS)]

    def run(self, tool: str, *args: str) -> subprocess.CompletedProcess[str]:
        """Use a fake tool directly (to prepare a world, e.g. a kind cluster that already exists)."""
        return subprocess.run([str(self.bin / tool), *args], env=self.env, capture_output=True, text=True,
                              timeout=60, cwd=REPO_ROOT)

    def inotify_dir(self, watches: int = 524288, instances: int = 512) -> Path:
        directory = self.root / "inotify"
        directory.mkdir(exist_ok=True)
        (directory / "max_user_watches").write_text(f"{watches}\n")
        (directory / "max_user_instances").write_text(f"{instances}\n")
        return directory


@pytest.fixture
def fake_host(tmp_path: Path, empty_sandbox: Sandbox) -> FakeHost:
    """Fake tools whose clusters live in an empty sandbox."""
    return FakeHost(tmp_path / "host", empty_sandbox).install()


@pytest.fixture
def fake_tools(tmp_path: Path) -> FakeHost:
    """Fake tools for version probes only (no sandbox behind them)."""
    return FakeHost(tmp_path / "tools").install()
