"""`kstellar-tui setup run --sandbox`: Steps 1 and 2 through the sandbox's admin API, from nothing
to labelled, available WECs, checked with the real kubectl."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.sandbox._helpers import REPO_ROOT, Sandbox, _clean_env, stop_quietly, table_rows


def setup_run(state_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "kstellar_tui", "setup", "run", "--sandbox", "--yes",
                           "--state-dir", str(state_dir), *args], cwd=REPO_ROOT, capture_output=True, text=True,
                          timeout=120, env=_clean_env(state_dir.parent / "xdg"))


@pytest.fixture
def fresh_state(tmp_path: Path) -> Iterator[Sandbox]:
    """A state dir nobody started yet; whatever sandbox the test starts there is stopped afterwards."""
    sandbox = Sandbox(state_dir=tmp_path / "state", clusters=[], cache_dir=tmp_path / "kubectl-cache")
    try:
        yield sandbox
    finally:
        stop_quietly(sandbox)


def edge_clusters(sandbox: Sandbox, selector: str = "location-group=edge") -> dict[str, dict[str, str]]:
    header, rows = table_rows(sandbox.kubectl_ok("its1", "get", "managedclusters", "-l", selector))
    return {row[0]: dict(zip(header, row)) for row in rows}


@pytest.mark.kubectl
def test_from_an_empty_sandbox_to_two_labelled_available_wecs(fresh_state: Sandbox) -> None:
    first = setup_run(fresh_state.state_dir)
    assert first.returncode == 0, first.stdout + first.stderr
    assert "sandbox started" in first.stdout and "setup complete" in first.stdout
    clusters = edge_clusters(fresh_state)
    assert sorted(clusters) == ["cluster1", "cluster2"]
    for row in clusters.values():
        assert (row["JOINED"], row["AVAILABLE"]) == ("True", "True")
    assert list(edge_clusters(fresh_state, "name=cluster1")) == ["cluster1"]

    token = fresh_state.admin("GET", "/_sandbox/its/its1/token").json["token"]
    log = (fresh_state.state_dir / "sandbox.log").read_text()
    for text in (first.stdout, first.stderr, log):
        assert token not in text
    assert "token=***" in first.stdout

    again = setup_run(fresh_state.state_dir)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "sandbox running" in again.stdout and "▶" not in again.stdout
    assert "skipped: already done: managedcluster cluster2 has labels location-group=edge name=cluster2" \
        in again.stdout


@pytest.mark.kubectl
def test_step_by_step_with_other_names_on_a_running_empty_sandbox(empty_sandbox: Sandbox) -> None:
    core = setup_run(empty_sandbox.state_dir, "--step", "core", "--its", "hub", "--wds", "wds-a")
    assert core.returncode == 0, core.stdout + core.stderr
    assert "create-cluster" not in core.stdout
    assert "(sandbox: the sandbox serves every space on its own port: no ingress needed)" in core.stdout
    control_planes = empty_sandbox.kubectl_ok("kind-kubeflex", "get", "controlplanes", "-o", "name")
    assert sorted(control_planes.split()) == ["controlplane.tenancy.kflex.kubestellar.org/hub",
                                              "controlplane.tenancy.kflex.kubestellar.org/wds-a"]

    wecs = setup_run(empty_sandbox.state_dir, "--step", "wecs", "--its", "hub", "--wds", "wds-a", "--wecs", "edge1",
                     "--labels", "tier=gold,name={name}")
    assert wecs.returncode == 0, wecs.stdout + wecs.stderr
    labels = empty_sandbox.kubectl_ok("hub", "get", "managedcluster", "edge1", "-o",
                                      "jsonpath={.metadata.labels.tier} {.metadata.labels.name}")
    assert labels == "gold edge1"


def test_wecs_before_core_fail_with_the_way_forward(empty_sandbox: Sandbox) -> None:
    result = setup_run(empty_sandbox.state_dir, "--step", "wecs", "--wecs", "edge1")
    assert result.returncode == 1
    assert "failed" in result.stdout and "finish Step 1 first" in result.stdout
    assert "run again to resume there" in result.stdout
