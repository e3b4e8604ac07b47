"""Every kubeconfig, token, key and draft the product writes is its owner's alone (0600, in 0700
folders), from the instant the file exists: created with that mode, never chmod-ed after a write.
Files or folders that were there before with wider modes are tightened (a token that others could
read is replaced). Checked under umask 0, where a file created with the default mode shows 0666."""

from __future__ import annotations

import contextlib
import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from kstellar_tui.core.drafts import Drafts
from kstellar_tui.sandbox.credentials import load_or_create_token, write_private_file
from kstellar_tui.sandbox.kubeconfig import write_kubeconfig
from kstellar_tui.sandbox.tls import ensure_certificates
from tests.sandbox._helpers import REPO_ROOT, Sandbox, _clean_env, stop_quietly


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


class CreationModes:
    """The mode each file under `root` had the instant it was created, and every `open()` for
    writing there (which creates files with the default mode, i.e. world-readable under umask 0)."""

    def __init__(self, root: Path):
        self.root = str(root)
        self.created: dict[str, int] = {}
        self.default_mode_writes: list[str] = []
        self.active = True

    def _mine(self, path: object) -> bool:
        return self.active and isinstance(path, (str, os.PathLike)) and os.fspath(path).startswith(self.root)

    def os_open(self, real):
        def spy(path, flags, mode=0o777, *args, **kwargs):
            fd = real(path, flags, mode, *args, **kwargs)
            if self._mine(path) and flags & os.O_CREAT and not stat.S_ISDIR(os.fstat(fd).st_mode):
                self.created.setdefault(os.fspath(path), stat.S_IMODE(os.fstat(fd).st_mode))
            return fd
        return spy

    def audit(self, event: str, args: tuple) -> None:
        if event == "open" and self._mine(args[0]) and isinstance(args[1], str) and set(args[1]) & set("wax+"):
            self.default_mode_writes.append(os.fspath(args[0]))


    def problems(self) -> list[str]:
        return [f"{path}: created with the default mode" for path in self.default_mode_writes] + \
            [f"{path}: created {oct(mode)}" for path, mode in self.created.items() if mode & 0o077]


@contextlib.contextmanager
def watching(root: Path) -> Iterator[CreationModes]:
    """Under umask 0, note how every file under `root` is created."""
    watch = CreationModes(root)
    sys.addaudithook(watch.audit)  # hooks cannot be removed: `active` turns this one off
    old = os.umask(0)
    try:
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(os, "open", watch.os_open(os.open))
            yield watch
    finally:
        os.umask(old)
        watch.active = False


@pytest.fixture
def creation(tmp_path: Path) -> Iterator[CreationModes]:
    with watching(tmp_path) as watch:
        yield watch
    assert watch.problems() == []


def test_the_watch_sees_a_file_written_then_chmod_ed_and_one_opened_wide(tmp_path: Path) -> None:
    with watching(tmp_path) as watch:
        (tmp_path / "chmod-after").write_text("secret")
        os.chmod(tmp_path / "chmod-after", 0o600)
        os.close(os.open(tmp_path / "opened-wide", os.O_WRONLY | os.O_CREAT, 0o644))
        os.close(os.open(tmp_path / "private", os.O_WRONLY | os.O_CREAT, 0o600))
    assert watch.problems() == [f"{tmp_path / 'chmod-after'}: created with the default mode",
                                f"{tmp_path / 'opened-wide'}: created 0o644"]


def test_the_sandbox_writers_create_private_files(tmp_path: Path, creation: CreationModes) -> None:
    state = tmp_path / "state"
    token = load_or_create_token(state)
    ensure_certificates(state)
    write_kubeconfig(state / "kubeconfig", {"wds1": 6443, "its1": 6444}, token, b"ca")
    write_private_file(state / "sandbox.json", b"{}")
    written = {p.relative_to(state).as_posix(): _mode(p) for p in state.rglob("*") if p.is_file()}
    assert written == {name: 0o600 for name in ("token", "kubeconfig", "sandbox.json", "tls/ca.crt", "tls/ca.key",
                                                "tls/server.crt", "tls/server.key")}
    assert {_mode(state), _mode(state / "tls")} == {0o700}
    assert str(state / "kubeconfig") not in creation.created, "written beside, then renamed over"
    assert any(Path(p).name.startswith(".kubeconfig.") for p in creation.created)


def test_drafts_are_private(tmp_path: Path, creation: CreationModes) -> None:
    """A draft may be a Secret's YAML being edited."""
    drafts = Drafts(tmp_path / "drafts")
    drafts.save("edit v1/secrets/default/db-password", "stringData: {password: hunter2}\n")
    [draft] = (tmp_path / "drafts").iterdir()
    assert (_mode(draft), _mode(tmp_path / "drafts")) == (0o600, 0o700)
    assert creation.created, "the spy saw the draft being created"


def test_wider_files_from_before_are_tightened_and_an_exposed_token_replaced(tmp_path: Path,
                                                                            creation: CreationModes) -> None:
    state = tmp_path / "state"
    state.mkdir(mode=0o755)
    os.chmod(state, 0o755)
    exposed = "t" * 43
    (state / "token").write_bytes(exposed.encode())
    (state / "kubeconfig").write_bytes(b"old")
    os.chmod(state / "token", 0o644)
    os.chmod(state / "kubeconfig", 0o644)
    creation.default_mode_writes.clear()  # the two writes above are the test's own set-up

    token = load_or_create_token(state)
    write_kubeconfig(state / "kubeconfig", {"wds1": 6443}, token, None)
    assert token != exposed
    assert (state / "token").read_text().strip() == token
    assert {_mode(state / "token"), _mode(state / "kubeconfig")} == {0o600}
    assert _mode(state) == 0o700


def test_a_sandbox_started_under_umask_0_in_an_open_folder_keeps_its_secrets(tmp_path: Path) -> None:
    """The real `sandbox up --detach`, its child serving, under umask 0, in a folder made 0755
    beforehand that holds a world-readable kubeconfig from some earlier run."""
    state = tmp_path / "state"
    state.mkdir()
    os.chmod(state, 0o755)
    (state / "kubeconfig").write_text("stale")
    os.chmod(state / "kubeconfig", 0o644)
    sandbox = Sandbox(state_dir=state, clusters=["c1"], cache_dir=tmp_path / "kubectl-cache")
    try:
        up = subprocess.run([sys.executable, "-m", "kstellar_tui", "sandbox", "up", "--detach", "--clusters", "c1",
                             "--state-dir", str(state)], cwd=REPO_ROOT, capture_output=True, text=True, timeout=60,
                            env=_clean_env(tmp_path / "xdg"), umask=0)
        assert up.returncode == 0, up.stdout + up.stderr
        assert sandbox.token == (state / "token").read_text().strip()
        assert sandbox.request("c1", "GET", "/api/v1/namespaces").status == 200
        assert _mode(state) == 0o700
        for name in ("kubeconfig", "token", "sandbox.json", "sandbox.log", "tls/ca.key", "tls/server.key"):
            assert _mode(state / name) == 0o600, name
        assert (state / "kubeconfig").read_text() != "stale"
    finally:
        stop_quietly(sandbox)
