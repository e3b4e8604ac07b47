"""`kstellar-tui` and `kstellar-tui sandbox ...` as a user runs them: real processes, real kubectl."""

from __future__ import annotations

import fcntl
import json
import os
import select
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from kstellar_tui.cli import main
from kstellar_tui.sandbox.statedir import StateDir
from tests.sandbox._helpers import KUBECTL, REPO_ROOT, LineReader, _clean_env, pid_alive, wait_for

HEAVY = ("textual", "kubernetes", "aiohttp")


def kstellar(*args: str, timeout: float = 90) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "kstellar_tui", *args], cwd=REPO_ROOT, capture_output=True,
                          text=True, timeout=timeout, env=_clean_env())


# ---- without a sandbox -------------------------------------------------------------------------

@pytest.mark.parametrize("argv", [
    ["--help"], ["info"], ["sandbox", "--help"], ["sandbox", "up", "--help"], ["sandbox", "status"],
    ["sandbox", "env"], ["sandbox", "down"], ["sandbox", "fault", "offline", "cluster1"],
])
def test_headless_commands_import_no_heavy_library(argv: list[str]) -> None:
    probe = ("import sys\nfrom kstellar_tui.cli import main\n"
             "try:\n    main(sys.argv[1:])\nexcept SystemExit:\n    pass\n"
             f"print([m for m in {HEAVY!r} if m in sys.modules], file=sys.stderr)")
    result = subprocess.run([sys.executable, "-c", probe, *argv], capture_output=True, text=True, timeout=60,
                            env=_clean_env())
    assert result.stderr.strip().splitlines()[-1] == "[]"


def test_the_tui_refuses_a_kubeconfig_without_kubestellar_contexts(tmp_path: Path,
                                                                    capsys: pytest.CaptureFixture) -> None:
    """Without a subcommand the TUI starts; a kubeconfig that cannot be the hub is a clear error first."""
    config = tmp_path / "kubeconfig"
    config.write_text("apiVersion: v1\nkind: Config\ncontexts: [{name: other, context: {cluster: c, user: u}}]\n")
    assert main(["--kubeconfig", str(config)]) == 1
    err = capsys.readouterr().err
    assert f"{config} has no 'wds1' and 'its1' contexts" in err and "--sandbox" in err


def test_the_tui_names_a_missing_kubeconfig(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["--kubeconfig", str(tmp_path / "nope")]) == 1
    assert capsys.readouterr().err == f"kstellar-tui: kubeconfig {tmp_path / 'nope'} does not exist\n"


def test_console_script_and_version() -> None:
    script = Path(sys.executable).with_name("kstellar-tui")
    result = subprocess.run([str(script), "--version"], capture_output=True, text=True, timeout=30)
    assert result.returncode == 0
    assert result.stdout.startswith("kstellar-tui 0.")


def test_status_and_env_without_a_sandbox(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["sandbox", "status", "--state-dir", str(tmp_path)]) == 1
    assert capsys.readouterr().out == f"no sandbox running in {tmp_path}\n"
    assert main(["sandbox", "env", "--state-dir", str(tmp_path)]) == 1
    assert "no sandbox kubeconfig" in capsys.readouterr().err
    assert main(["sandbox", "down", "--state-dir", str(tmp_path)]) == 0
    assert main(["sandbox", "fault", "clear", "--state-dir", str(tmp_path)]) == 1


def test_env_quotes_the_path_for_the_shell(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    state = tmp_path / "with space"
    state.mkdir()
    StateDir(state).kubeconfig.write_text("{}")
    assert main(["sandbox", "env", "--state-dir", str(state)]) == 0
    assert capsys.readouterr().out == f"export KUBECONFIG='{state}/kubeconfig'\n"


def test_default_state_dir_comes_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture) -> None:
    monkeypatch.setenv("KSTELLAR_SANDBOX_DIR", str(tmp_path / "sb"))
    assert main(["sandbox", "status"]) == 1
    assert capsys.readouterr().out == f"no sandbox running in {tmp_path / 'sb'}\n"


@pytest.mark.parametrize("argv", [
    ["fault", "errors", "cluster1", "1.5"],
    ["fault", "latency", "cluster1", "-1"],
    ["fault", "offline"],
    ["fault", "clear", "cluster1"],
    ["up", "--detach", "--foreground"],
    ["up", "--clusters", ","],
])
def test_bad_arguments_are_usage_errors(argv: list[str], capsys: pytest.CaptureFixture) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["sandbox", *argv])
    assert exit_info.value.code == 2
    assert "usage:" in capsys.readouterr().err


# ---- a real sandbox ----------------------------------------------------------------------------

@pytest.mark.kubectl
def test_up_detach_then_kubectl_status_env_and_down(tmp_path: Path) -> None:
    state = tmp_path / "state"
    try:
        _up_status_env_down(tmp_path, state)
    finally:
        kstellar("sandbox", "down", "--state-dir", str(state))


def _up_status_env_down(tmp_path: Path, state: Path) -> None:
    up = kstellar("sandbox", "up", "--detach", "--state-dir", str(state), "--clusters", "a,b")
    assert up.returncode == 0, up.stderr + _log(state)
    info = json.loads(StateDir(state).info.read_text())
    assert f"sandbox started (pid {info['pid']})" in up.stdout
    assert f"export KUBECONFIG={state}/kubeconfig" in up.stdout

    for context in ("a", "b"):
        namespaces = subprocess.run([KUBECTL, "--kubeconfig", str(state / "kubeconfig"), "--context", context,
                                     "--cache-dir", str(tmp_path / "cache"), "get", "ns", "-o", "name"],
                                    capture_output=True, text=True, timeout=60, env=_clean_env())
        assert namespaces.returncode == 0, namespaces.stderr
        assert "namespace/default" in namespaces.stdout.split()

    status = kstellar("sandbox", "status", "--state-dir", str(state))
    assert status.returncode == 0, status.stderr
    rows = [line.split() for line in status.stdout.splitlines()]
    assert ["CLUSTER", "PORT", "ANSWERING"] in rows
    assert ["a", str(info["ports"]["a"]), "yes"] in rows
    assert ["b", str(info["ports"]["b"]), "yes"] in rows

    env = kstellar("sandbox", "env", "--state-dir", str(state))
    assert env.stdout == f"export KUBECONFIG={state}/kubeconfig\n"

    down = kstellar("sandbox", "down", "--state-dir", str(state))
    assert down.returncode == 0
    assert down.stdout == f"sandbox stopped (pid {info['pid']})\n"
    assert not pid_alive(info["pid"])
    assert kstellar("sandbox", "status", "--state-dir", str(state)).returncode == 1

    token = (state / "token").read_text().strip()
    for output in (up, status, env, down):
        assert token not in output.stdout + output.stderr
    assert token not in _log(state)


def test_files_in_the_state_dir_are_private(sandbox_factory) -> None:
    sandbox = sandbox_factory(["cluster1"])
    files = StateDir(sandbox.state_dir)
    for path in (files.kubeconfig, files.token, files.info, files.ca_key, files.server_key, files.log):
        assert oct(path.stat().st_mode & 0o777) == oct(0o600), path
    kubeconfig = yaml.safe_load(files.kubeconfig.read_text())
    assert kubeconfig["clusters"][0]["cluster"]["server"] == f"https://127.0.0.1:{sandbox.ports['cluster1']}"


def test_a_second_up_reuses_the_running_sandbox(sandbox_factory) -> None:
    sandbox = sandbox_factory(["a", "b"])
    again = sandbox.cli("up", "--detach", "--clusters", "a")
    assert again.returncode == 0, again.stderr
    assert f"sandbox already running (pid {sandbox.pid})" in again.stdout
    other = sandbox.cli("up", "--detach", "--clusters", "a,c")
    assert other.returncode == 1
    assert "already running" in other.stderr and "without c" in other.stderr
    foreground = sandbox.cli("up", "--clusters", "a")
    assert foreground.returncode == 1
    assert "another sandbox is already running" in foreground.stderr


def test_restart_after_kill_keeps_ports_and_clusters(sandbox_factory) -> None:
    sandbox = sandbox_factory(["a", "b"])
    ports, pid = sandbox.ports, sandbox.pid
    sandbox.kill9()
    assert sandbox.cli("status").returncode == 1
    started = sandbox.cli("up", "--detach")
    assert started.returncode == 0, started.stderr + _log(sandbox.state_dir)
    assert sandbox.pid != pid
    assert sandbox.ports == ports
    assert sandbox.kubectl_ok("b", "get", "ns", "default", "-o", "name").strip() == "namespace/default"


def test_clean_restart_through_the_fixture_keeps_ports(sandbox_factory) -> None:
    sandbox = sandbox_factory(["a"])
    ports, pid = sandbox.ports, sandbox.pid
    sandbox.restart()
    assert not pid_alive(pid)
    assert sandbox.pid != pid
    assert sandbox.ports == ports


@pytest.mark.kubectl
def test_shared_sandbox_and_kubectl_fixture(kubectl, shared_sandbox) -> None:
    for context in shared_sandbox.clusters:
        result = kubectl(context, "get", "ns", "default", "-o", "name")
        assert result.stdout.strip() == "namespace/default", result.stderr


def test_a_child_that_dies_is_reported_with_its_log(tmp_path: Path) -> None:
    """Another holder of the state dir's lock makes the child refuse to start."""
    state = tmp_path / "state"
    state.mkdir()
    fd = os.open(StateDir(state).lock, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        result = kstellar("sandbox", "up", "--detach", "--state-dir", str(state), "--clusters", "a")
    finally:
        os.close(fd)
    assert result.returncode == 1
    assert "the sandbox exited with status 1" in result.stderr
    assert "another sandbox is already running" in result.stderr


@pytest.mark.parametrize("mode", ["--detach", "--foreground"])
def test_a_bad_cluster_name_is_one_clear_line(tmp_path: Path, mode: str) -> None:
    result = kstellar("sandbox", "up", mode, "--state-dir", str(tmp_path / "state"), "--clusters", "Bad_Name")
    assert result.returncode == 1
    assert result.stderr.splitlines()[-1].startswith(
        "kstellar-tui: the sandbox cannot start: invalid cluster name 'Bad_Name'")
    assert "Traceback" not in result.stderr


def test_a_sandbox_whose_state_dir_is_removed_stops(sandbox_factory) -> None:
    sandbox = sandbox_factory(["a"])
    pid = sandbox.pid
    shutil.rmtree(sandbox.state_dir)
    wait_for(lambda: not pid_alive(pid), timeout=30, message="the orphaned sandbox to stop")


def start_foreground(state: Path) -> subprocess.Popen[str]:
    """`sandbox up` in the foreground, returned once it has printed its KUBECONFIG line (ready)."""
    proc = subprocess.Popen([sys.executable, "-m", "kstellar_tui", "sandbox", "up", "--state-dir", str(state),
                             "--clusters", "a"], cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            text=True, env=_clean_env())
    try:
        LineReader(proc).wait_line(lambda line: line.startswith("export KUBECONFIG="), timeout=60)
    except BaseException:
        proc.kill()
        proc.wait()
        raise
    return proc


def test_foreground_runs_until_interrupted(tmp_path: Path) -> None:
    state = tmp_path / "state"
    proc = start_foreground(state)
    try:
        assert kstellar("sandbox", "status", "--state-dir", str(state)).returncode == 0
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert kstellar("sandbox", "status", "--state-dir", str(state)).returncode == 1


def test_a_sandbox_given_a_ready_pipe_says_ready_on_it_once_it_answers(tmp_path: Path) -> None:
    """How `up --detach` learns, without polling, that its child is ready: one line on a pipe."""
    state = tmp_path / "state"
    read_end, write_end = os.pipe()
    proc = subprocess.Popen([sys.executable, "-m", "kstellar_tui", "sandbox", "up", "--foreground",
                             "--state-dir", str(state), "--clusters", "a", "--ready-fd", str(write_end)],
                            cwd=REPO_ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            pass_fds=(write_end,), env=_clean_env())
    os.close(write_end)
    try:
        with os.fdopen(read_end, "rb") as pipe:
            assert select.select([pipe], [], [], 60)[0], "no word from the sandbox within 60 s"
            assert pipe.readline() == b"ready\n"
        assert kstellar("sandbox", "status", "--state-dir", str(state)).returncode == 0
    finally:
        kstellar("sandbox", "down", "--state-dir", str(state))
        if proc.poll() is None:
            proc.kill()
        proc.wait()


def test_down_stops_a_foreground_sandbox_through_the_admin_api(tmp_path: Path) -> None:
    state = tmp_path / "state"
    proc = start_foreground(state)
    try:
        assert kstellar("sandbox", "down", "--state-dir", str(state)).stdout.startswith("sandbox stopped")
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_plain_http_serves_the_python_client(tmp_path: Path) -> None:
    """kubectl never sends a token over http (client-go's rule), so plain http is for HTTP clients."""
    from kubernetes import client, config

    state = tmp_path / "state"
    up = kstellar("sandbox", "up", "--detach", "--plain-http", "--state-dir", str(state), "--clusters", "a")
    try:
        assert up.returncode == 0, up.stderr + _log(state)
        kubeconfig = yaml.safe_load((state / "kubeconfig").read_text())
        assert kubeconfig["clusters"][0]["cluster"]["server"].startswith("http://127.0.0.1:")
        api = config.new_client_from_config(config_file=str(state / "kubeconfig"), context="a")
        with api:
            assert client.CoreV1Api(api).read_namespace("default").metadata.name == "default"
        assert kstellar("sandbox", "status", "--state-dir", str(state)).returncode == 0
    finally:
        kstellar("sandbox", "down", "--state-dir", str(state))


def test_fault_commands_reach_the_admin_api(sandbox_factory) -> None:
    sandbox = sandbox_factory(["a", "b"])
    offline = sandbox.cli("fault", "offline", "a")
    assert offline.returncode == 0, offline.stderr
    assert offline.stdout == "fault offline applied to a\n"
    wait_for(lambda: sandbox.admin("GET", "/_sandbox/status").json["clusters"]["a"]["offline"],
             message="cluster a offline")
    assert sandbox.cli("fault", "latency", "b", "5").returncode == 0
    assert sandbox.cli("fault", "drop-watches").returncode == 0
    cleared = sandbox.cli("fault", "clear")
    assert cleared.stdout == "faults cleared\n"
    assert not sandbox.admin("GET", "/_sandbox/status").json["clusters"]["a"]["offline"]
    unknown = sandbox.cli("fault", "offline", "nope")
    assert unknown.returncode == 1
    assert unknown.stderr.startswith("kstellar-tui: the sandbox refused: ")


def _log(state: Path) -> str:
    path = StateDir(state).log
    return path.read_text() if path.exists() else ""
