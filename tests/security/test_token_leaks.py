"""No token reaches the user's screen, a log, a printed plan or an error message.

Real flows on a sandbox the guided setup built (join included), and failures forced on purpose: a
refused token, a server that does not answer, a kubeconfig broken on its token line, a join whose
tool repeats the token in its error. Everything the product printed, drew or wrote is then scanned
for the real token values, and for any 12-character piece of them (error snippets truncate)."""

from __future__ import annotations

import secrets
import socket
import subprocess
import sys
from pathlib import Path

from kstellar_tui import locations
from kstellar_tui.app import KStellarApp
from kstellar_tui.config import Config
from kstellar_tui.core.ingest_feed import IngestFeed
from kstellar_tui.core.setup.options import SetupOptions, WecSpec
from kstellar_tui.screens.setup_wecs import SetupWecsScreen
from kstellar_tui.setup_runners.target import SetupTarget
from tests.sandbox._helpers import REPO_ROOT, stop_quietly
from tests.security.conftest import World, assert_no_leak
from tests.setup.conftest import FakeHost, start_empty_sandbox
from tests.tui.conftest import SIZE, wait_until
from tests.tui.test_setup_screens import log_text

CONFIGMAP = """\
apiVersion: v1
kind: ConfigMap
metadata: {name: security-scan, namespace: default}
data: {purpose: scanned for tokens}
"""


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _kubeconfig_variant(world: World, path: Path, old: str, new: str) -> Path:
    text = world.sandbox.kubeconfig.read_text()
    assert old in text
    path.write_text(text.replace(old, new))
    path.chmod(0o600)
    return path


def test_the_guided_setup_shows_the_join_only_masked(world: World) -> None:
    first = world.shown[0][1]  # the fixture's `setup run --sandbox`, from an empty sandbox
    assert "token=***" in first and "--hub-token ***" in first, "the join step's output should be on screen, masked"
    another = world.run("setup", "run", "--sandbox", "--yes", "--state-dir", str(world.sandbox.state_dir),
                        "--step", "wecs", "--wecs", "cluster3")
    assert another.returncode == 0 and "token=***" in another.stdout, another.stdout + another.stderr
    for platform in ("kind", "k3d"):
        planned = world.run("setup", "plan", "--platform", platform)
        assert planned.returncode == 0, planned.stderr
    assert '--hub-token "$TOKEN"' in world.shown[-1][1]
    assert_no_leak(world.shown, world.secrets())


def test_status_apply_and_their_failures_show_no_token(world: World, tmp_path: Path) -> None:
    real = world.sandbox.token
    wrong = secrets.token_urlsafe(32)
    refused = _kubeconfig_variant(world, tmp_path / "wrong-token", real, wrong)
    port = str(world.sandbox.port("wds1"))
    unreachable = _kubeconfig_variant(world, tmp_path / "unreachable", f"127.0.0.1:{port}",
                                      f"127.0.0.1:{_closed_port()}")
    broken = _kubeconfig_variant(world, tmp_path / "broken", f"token: {real}", f"token: {{{real}")
    manifest = tmp_path / "configmap.yaml"
    manifest.write_text(CONFIGMAP)

    for command in ("status", "env"):
        assert world.run("sandbox", command, "--state-dir", str(world.sandbox.state_dir)).returncode == 0
    assert world.run("info").returncode == 0
    assert world.run("status").returncode == 0
    assert world.run("status", "-o", "json").returncode == 0
    assert world.run("apply", "-f", str(manifest)).returncode == 0
    expected = {  # (command, what the user must be told)
        ("apply", "-f", str(manifest), "--kubeconfig", str(refused)): "Unauthorized; nothing was written",
        ("status", "--kubeconfig", str(refused), "--timeout", "5"): "credentials in the kubeconfig were refused",
        ("apply", "-f", str(manifest), "--kubeconfig", str(unreachable), "--wds", "wds1"): "cannot reach",
        ("status", "--kubeconfig", str(broken)): "is not valid YAML",
        ("apply", "-f", str(manifest), "--kubeconfig", str(broken)): "is not valid YAML",
        ("--kubeconfig", str(broken)): "is not valid YAML",  # the TUI refuses to start
    }
    for args, told in expected.items():
        done = world.run(*args)
        assert told in done.stdout + done.stderr, (args, done.stdout, done.stderr)
    assert_no_leak(world.shown, world.secrets() | {"a refused token": wrong})


async def test_app_screens_and_the_setup_screens_show_no_token(world: World, tmp_path: Path) -> None:
    screens: list[tuple[str, str]] = []
    app = KStellarApp(IngestFeed(str(world.sandbox.kubeconfig), "wds1", "its1"), config=Config(refresh_hz=20))
    app.add_mode("setup", lambda: SetupWecsScreen(SetupTarget.sandbox(world.sandbox.state_dir),
                                                  SetupOptions(wecs=(WecSpec("cluster4"),))))
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.monitor is not None and len(app.monitor.model.columns) >= 2, timeout=30)
        screens.append(("monitor", app.export_screenshot()))
        assert await app.run_command("setup")
        await wait_until(pilot, lambda: isinstance(app.screen, SetupWecsScreen))
        wecs = app.screen
        await pilot.press("ctrl+r")
        await wait_until(pilot, lambda: "setup complete" in log_text(wecs), timeout=30)
        assert "token=***" in log_text(wecs), "the join step's output should be on screen, masked"
        screens += [("setup log", log_text(wecs)), ("setup screen", app.export_screenshot())]
        app.action_screenshot()
    saved = [(str(p), p.read_text()) for p in locations.screenshots_dir().glob("*.svg")]
    assert len(saved) == 1

    wrong = secrets.token_urlsafe(32)
    refused = _kubeconfig_variant(world, tmp_path / "wrong-token", world.sandbox.token, wrong)
    app = KStellarApp(IngestFeed(str(refused), "wds1", "its1"), config=Config(refresh_hz=20))
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: any("refused" in n.message for n in app._notifications), timeout=30)
        screens += [("refused: notices", "\n".join(n.message for n in app._notifications)),
                    ("refused: screen", app.export_screenshot())]
    assert_no_leak(screens + saved, world.secrets() | {"a refused token": wrong})


def test_a_join_that_repeats_the_token_in_its_error_is_masked_on_the_host(tmp_path: Path) -> None:
    sandbox = start_empty_sandbox(tmp_path / "sandbox")
    try:
        host = FakeHost(tmp_path / "host", sandbox).install()
        host.knobs(join_fails=["cluster2"])
        done = subprocess.run([sys.executable, "-m", "kstellar_tui", "setup", "run", "--host", "--yes",
                               "--skip-prereqs", "--wecs", "cluster2"],
                              cwd=REPO_ROOT, env=host.env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 1 and "Error: the hub refused bootstrap token *** for cluster2" in done.stdout, \
            done.stdout + done.stderr
        join = next(argv for argv in host.calls() if argv[:2] == ["clusteradm", "join"])
        assert_no_leak([("setup run --host", done.stdout + done.stderr)],
                       {"clusteradm join token": join[join.index("--hub-token") + 1]})
    finally:
        stop_quietly(sandbox)


def test_no_log_or_file_the_product_wrote_holds_a_token(world: World) -> None:
    """Only the files that exist to hold it may: the token file, the kubeconfig, and the cluster
    databases (the hub keeps its bootstrap token as a Secret, as a real cluster does)."""
    state = world.sandbox.state_dir
    allowed = {state / "token", state / "kubeconfig"}
    files = [p for p in world.base.rglob("*") if p.is_file() and p not in allowed
             and state / "db" not in p.parents]
    log = state / "sandbox.log"
    assert log in files and log.stat().st_size > 0
    assert_no_leak([(str(p), p.read_text(errors="replace")) for p in files], world.secrets())
