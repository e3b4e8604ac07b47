"""Editor drafts survive a crash or a quit and are offered back; writes are atomic and private."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from kstellar_tui import locations
from kstellar_tui.core.drafts import Drafts
from tests.sandbox._helpers import REPO_ROOT


def test_a_draft_saved_before_a_crash_is_offered_next_time(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A separate process saves and dies without any cleanup; a fresh one finds the draft."""
    env = dict(os.environ, XDG_STATE_HOME=str(tmp_path / "state"))
    code = ("import os; from kstellar_tui.core.drafts import Drafts; "
            "Drafts().save('manifests/nginx.yaml', 'kind: Namespace\\n# half-typed'); os._exit(9)")
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, env=env, timeout=30)
    assert done.returncode == 9
    monkeypatch.setenv("XDG_STATE_HOME", env["XDG_STATE_HOME"])
    drafts = Drafts()
    assert [d.name for d in drafts.list()] == ["manifests/nginx.yaml"]
    assert drafts.load("manifests/nginx.yaml") == "kind: Namespace\n# half-typed"
    assert drafts.directory == locations.state_dir() / "drafts"


def test_save_is_private_atomic_and_overwrites(tmp_path: Path) -> None:
    drafts = Drafts(tmp_path / "drafts")
    drafts.save("a", "one")
    drafts.save("a", "two")
    (file,) = (tmp_path / "drafts").iterdir()
    assert stat.S_IMODE(file.stat().st_mode) == 0o600
    assert drafts.load("a") == "two"


def test_a_failed_write_keeps_the_previous_draft(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    drafts = Drafts(tmp_path)
    drafts.save("a", "kept")

    def fail(*_args):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OSError):
        drafts.save("a", "lost")
    monkeypatch.undo()
    assert drafts.load("a") == "kept"
    assert [p.name for p in tmp_path.iterdir()] == [next(tmp_path.iterdir()).name]  # no temp file left


def test_list_is_newest_first_and_discard_removes(tmp_path: Path) -> None:
    drafts = Drafts(tmp_path)
    for name in ("first", "odd/name with spaces", "third"):
        drafts.save(name, name)
    os.utime(tmp_path / "first.draft", (1, 1))
    names = [d.name for d in drafts.list()]
    assert set(names) == {"first", "odd/name with spaces", "third"} and names[-1] == "first"
    drafts.discard("odd/name with spaces")
    drafts.discard("never saved")
    assert drafts.load("odd/name with spaces") is None
    assert {d.name for d in drafts.list()} == {"first", "third"}


def test_no_drafts_yet(tmp_path: Path) -> None:
    assert Drafts(tmp_path / "absent").list() == []
