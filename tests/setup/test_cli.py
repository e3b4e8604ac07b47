"""`kstellar-tui setup check|plan|run --host` as a user runs them (fake tools on PATH)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from kstellar_tui.core.setup.options import SetupOptions
from kstellar_tui.core.setup.plan import plan
from kstellar_tui.core.setup.script import render
from tests.sandbox._helpers import REPO_ROOT, _clean_env
from tests.setup.conftest import FakeHost


def cli(*args: str, env: dict[str, str] | None = None, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "kstellar_tui", "setup", *args], cwd=REPO_ROOT, text=True,
                          capture_output=True, timeout=120, env=env or _clean_env(), input=stdin)


@pytest.mark.parametrize("argv", [["setup", "--help"], ["setup", "plan", "--help"], ["setup", "plan"]])
def test_help_and_plan_import_neither_textual_nor_kubernetes(argv: list[str]) -> None:
    code = ("import sys, contextlib, io\nfrom kstellar_tui.cli import main\n"
            "with contextlib.redirect_stdout(io.StringIO()):\n"
            f"    try: main({argv!r})\n    except SystemExit: pass\n"
            "print(sorted(m for m in ('textual', 'kubernetes') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "[]", out.stderr


def test_plan_prints_the_script_of_the_host_runner() -> None:
    result = cli("plan")
    assert result.returncode == 0, result.stderr
    assert result.stdout == render(plan(SetupOptions()), SetupOptions())


def test_plan_takes_the_users_choices() -> None:
    result = cli("plan", "--platform", "k3d", "--its", "hub", "--wds", "w1,w2", "--wecs", "east",
                 "--adopt", "edge=ctx-edge", "--labels", "tier=edge,name={name}", "--step", "wecs")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Step 2" in out and "helm upgrade" not in out
    assert "k3d cluster create --image rancher/k3s:v1.32.13-k3s1 --network k3d-kubeflex east" in out
    assert "--cluster-name edge --context ctx-edge --singleton" in out
    assert "kubectl --context hub label managedcluster edge tier=edge name=edge --overwrite" in out


def test_plan_refuses_impossible_choices() -> None:
    result = cli("plan", "--wecs", "Bad_Name")
    assert result.returncode == 2 and "must be a DNS label" in result.stderr


def test_check_exits_zero_only_when_everything_passes(fake_tools: FakeHost) -> None:
    good = cli("check", "--platform", "k3d", env=fake_tools.env)
    assert good.returncode == 0, good.stdout
    assert good.stdout.splitlines()[0].split() == ["TOOL", "FOUND", "REQUIRED", "VERDICT"]
    fake_tools.knobs(versions={"clusteradm": "client\t\tversion\t:v0.10.1"})
    bad = cli("check", "--platform", "k3d", env=fake_tools.env)
    assert bad.returncode == 1
    row = next(line for line in bad.stdout.splitlines() if line.startswith("clusteradm"))
    assert row.split()[1:] == ["v0.10.1", ">=", "v1.0.0,", "<", "v1.1.0", "FAIL", "(too", "old)"]
    assert "install.sh) 1.0.0" in bad.stdout


def test_run_host_refuses_bad_prerequisites_and_changes_nothing(fake_tools: FakeHost) -> None:
    fake_tools.knobs(versions={"kflex": "Kubeflex version: v0.8.1"})
    result = cli("run", "--host", "--platform", "k3d", "--yes", env=fake_tools.env)
    assert result.returncode == 1
    assert "install-kubeflex.sh" in result.stderr and "fix the prerequisites" in result.stderr
    assert fake_tools.changes() == []


def test_run_asks_before_doing_anything(fake_tools: FakeHost) -> None:
    result = cli("run", "--host", "--platform", "k3d", env=fake_tools.env)
    assert result.returncode == 1
    assert "[hosting-cluster]" in result.stdout and "$ k3d cluster create" in result.stdout
    assert "pass --yes" in result.stderr and "nothing done" in result.stdout
    assert fake_tools.changes() == []
