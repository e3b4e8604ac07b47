"""Bad input to the headless commands gives one clear message; a refused resource does not stop the rest.

The 403 case uses a scripted hub over real HTTP (tests/core/fake_apiserver.py) that refuses
WorkStatuses as an RBAC-limited user would see."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.core.fake_apiserver import FakeApiServer, status
from tests.sandbox._helpers import REPO_ROOT

FORBIDDEN = "/apis/control.kubestellar.io/v1alpha1/workstatuses"


def run_cli(*args: str, env_home: Path) -> subprocess.CompletedProcess[str]:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(env_home), "XDG_STATE_HOME": str(env_home / "state")}
    return subprocess.run([sys.executable, "-m", "kstellar_tui", *args], cwd=REPO_ROOT, env=env,
                          capture_output=True, text=True, timeout=60)


def test_unknown_context_names_the_file_and_the_contexts_it_has(tmp_path: Path) -> None:
    config = tmp_path / "kubeconfig"
    config.write_text("apiVersion: v1\nkind: Config\ncontexts:\n- {name: prod, context: {cluster: c, user: u}}\n")
    done = run_cli("status", "--kubeconfig", str(config), "--wds", "wds9", env_home=tmp_path)
    assert done.returncode == 1
    assert done.stdout == ""
    assert f"context 'wds9' and 'its1' not found in {config}" in done.stderr


def test_unreadable_kubeconfig_is_said_plainly(tmp_path: Path) -> None:
    config = tmp_path / "kubeconfig"
    config.write_text("contexts: [unclosed\n")
    done = run_cli("status", "--kubeconfig", str(config), env_home=tmp_path)
    assert done.returncode == 1
    assert f"kubeconfig {config} is not valid YAML" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.fixture()
def hub_kubeconfig(tmp_path: Path):
    """A hub where every list is empty and every watch quiet, but WorkStatuses are refused (403)."""
    hub = FakeApiServer()
    hub.refused[FORBIDDEN] = status(403, 'workstatuses.control.kubestellar.io is forbidden: User "viewer" '
                                         'cannot list resource "workstatuses"')
    config = tmp_path / "kubeconfig"
    server = f"http://127.0.0.1:{hub.port}"
    config.write_text(json.dumps({
        "apiVersion": "v1", "kind": "Config",
        "clusters": [{"name": "hub", "cluster": {"server": server}}],
        "users": [{"name": "viewer", "user": {"token": "t"}}],
        "contexts": [{"name": n, "context": {"cluster": "hub", "user": "viewer"}} for n in ("wds1", "its1")],
    }))
    yield config
    hub.close()


def test_a_forbidden_resource_is_reported_and_everything_else_still_answers(hub_kubeconfig: Path,
                                                                            tmp_path: Path) -> None:
    done = run_cli("status", "-o", "json", "--kubeconfig", str(hub_kubeconfig), "--timeout", "10",
                   env_home=tmp_path)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"clusters": [], "workloads": []}
    warnings = [line for line in done.stderr.splitlines() if line.startswith("warning:")]
    assert warnings == ["warning: its1: workstatuses.control.kubestellar.io: forbidden (403): "
                        'workstatuses.control.kubestellar.io is forbidden: User "viewer" cannot list '
                        'resource "workstatuses"']
