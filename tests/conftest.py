"""Fixtures for the whole suite: hermetic paths, sandboxes in their own processes, the real kubectl.

Sandboxes are started the way a user starts them (`kstellar-tui sandbox up --detach`) through
`tests/sandbox/_helpers.Sandbox`; these fixtures add lifetimes and restarts.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import pytest

from kstellar_tui import locations
from tests.sandbox._helpers import Sandbox, stop_quietly

SHARED_CLUSTERS = ("cluster1", "cluster2")


class SandboxHandle(Sandbox):
    """A test's sandbox, with the restarts that durability tests need."""

    @property
    def ports(self) -> dict[str, int]:
        return {name: int(port) for name, port in self.info()["ports"].items()}

    def restart(self, *, crash: bool = False) -> None:
        """Stop cleanly (or `kill -9` when `crash`) and start again on the same state dir."""
        if crash:
            self.kill9()
        else:
            self.down()
        self.up()


@pytest.fixture(autouse=True)
def hermetic_locations(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test reads or writes the developer's config, state or kubeconfig."""
    for variable in ("XDG_CONFIG_HOME", "XDG_STATE_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME"):
        monkeypatch.setenv(variable, str(tmp_path / "xdg" / variable.lower()))
    for variable in (locations.CONFIG_ENV, locations.SANDBOX_DIR_ENV, "KUBECONFIG"):
        monkeypatch.delenv(variable, raising=False)


def _handle(base: Path, clusters: Sequence[str]) -> SandboxHandle:
    return SandboxHandle(state_dir=base / "state", clusters=list(clusters), cache_dir=base / "kubectl-cache")


@pytest.fixture
def sandbox_factory(tmp_path: Path) -> Iterator[Callable[..., SandboxHandle]]:
    """`sandbox_factory(["a", "b"])` starts a detached sandbox in a fresh state dir; all are stopped at teardown."""
    handles: list[SandboxHandle] = []

    def start(clusters: Sequence[str] = ("cluster1",)) -> SandboxHandle:
        handle = _handle(tmp_path / f"sandbox-{len(handles)}", clusters)
        handles.append(handle)
        handle.up()
        return handle

    yield start
    for handle in handles:
        stop_quietly(handle)


@pytest.fixture(scope="session")
def shared_sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxHandle]:
    """One sandbox for read-mostly suites: leave it as you found it (own namespaces, delete what you make)."""
    handle = _handle(tmp_path_factory.mktemp("shared-sandbox"), SHARED_CLUSTERS)
    try:
        handle.up()
        yield handle
    finally:
        stop_quietly(handle)


@pytest.fixture
def kubectl(shared_sandbox: SandboxHandle) -> Callable[..., subprocess.CompletedProcess[str]]:
    """`kubectl(context, *args, input=None, timeout=60)`: the real kubectl against the shared sandbox."""
    return shared_sandbox.kubectl


REPORT_PROPERTY = "report"


@pytest.fixture
def report(record_property: Callable[[str, object], None]) -> Callable[[str], None]:
    """`report("1200 writes acknowledged")`: a line printed in the terminal summary (also under
    `pytest -q`), so CI output shows the counts a test checked, not only that it passed. Lines travel
    as user properties of the test's report, so they also survive pytest-xdist."""
    return lambda line: record_property(REPORT_PROPERTY, line)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    lines = [f"{report.nodeid}: {value}" for reports in terminalreporter.stats.values() for report in reports
             if getattr(report, "when", None) == "call"
             for name, value in getattr(report, "user_properties", ()) if name == REPORT_PROPERTY]
    if lines:
        terminalreporter.section("reported by tests")
        for line in lines:
            terminalreporter.write_line(line)
