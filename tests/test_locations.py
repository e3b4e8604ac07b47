"""Every path honours XDG and its override variable; `info` prints them all."""

from __future__ import annotations

from pathlib import Path

import pytest

from kstellar_tui import locations
from kstellar_tui.cli import main

XDG = ("XDG_CONFIG_HOME", "XDG_STATE_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME")


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A home directory with no XDG variables and no overrides."""
    monkeypatch.setenv("HOME", str(tmp_path))
    for name in (*XDG, locations.CONFIG_ENV, locations.SANDBOX_DIR_ENV, "KUBECONFIG"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def test_defaults_follow_the_xdg_spec(home: Path) -> None:
    assert locations.config_file() == home / ".config/kstellar-tui/config.yaml"
    assert locations.user_themes_dir() == home / ".config/kstellar-tui/themes"
    assert locations.state_dir() == home / ".local/state/kstellar-tui"
    assert locations.data_dir() == home / ".local/share/kstellar-tui"
    assert locations.cache_dir() == home / ".cache/kstellar-tui"
    assert locations.logs_dir() == home / ".local/state/kstellar-tui/logs"
    assert locations.sandbox_dir() == home / ".local/state/kstellar-tui/sandbox"
    assert locations.sandbox_kubeconfig() == home / ".local/state/kstellar-tui/sandbox/kubeconfig"
    assert locations.kubeconfig_files() == [home / ".kube/config"]


@pytest.mark.parametrize(("variable", "function", "suffix"), [
    ("XDG_CONFIG_HOME", locations.config_dir, "kstellar-tui"),
    ("XDG_STATE_HOME", locations.sandbox_dir, "kstellar-tui/sandbox"),
    ("XDG_DATA_HOME", locations.data_dir, "kstellar-tui"),
    ("XDG_CACHE_HOME", locations.cache_dir, "kstellar-tui"),
])
def test_xdg_variables_are_honoured(home: Path, monkeypatch: pytest.MonkeyPatch, variable: str, function,
                                    suffix: str) -> None:
    monkeypatch.setenv(variable, str(home / "elsewhere"))
    assert function() == home / "elsewhere" / suffix


def test_relative_xdg_values_are_ignored_as_the_spec_says(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", "relative/dir")
    assert locations.config_dir() == home / ".config/kstellar-tui"


def test_overrides_for_config_file_and_sandbox_dir(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(locations.CONFIG_ENV, str(home / "my.yaml"))
    monkeypatch.setenv(locations.SANDBOX_DIR_ENV, "~/sb")
    assert locations.config_file() == home / "my.yaml"
    assert locations.sandbox_dir() == home / "sb"
    assert locations.sandbox_kubeconfig() == home / "sb/kubeconfig"


def test_kubeconfig_list_follows_kubectl(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KUBECONFIG", f"{home}/a::{home}/b")
    assert locations.kubeconfig_files() == [home / "a", home / "b"]


def test_info_prints_every_path(home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    monkeypatch.setenv(locations.CONFIG_ENV, str(home / "my.yaml"))
    assert main(["info"]) == 0
    out = capsys.readouterr().out
    for label, paths in locations.paths_in_use().items():
        line = next(line for line in out.splitlines() if line.startswith(label + " "))
        assert all(str(path) in line for path in paths)
    assert str(home / "my.yaml") in out
