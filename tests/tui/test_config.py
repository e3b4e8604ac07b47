"""The config file: defaults, the environment override, and errors that name key and file."""

from __future__ import annotations

from pathlib import Path

import pytest

from kstellar_tui import locations
from kstellar_tui.config import Config, ConfigError, load_config


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(text)
    return path


def test_missing_or_empty_file_means_defaults(tmp_path):
    assert load_config(tmp_path / "absent.yaml") == Config()
    assert load_config(write(tmp_path, "# nothing yet\n")) == Config()
    assert Config().themes_dir == locations.user_themes_dir()


def test_environment_variable_names_the_file(tmp_path, monkeypatch):
    monkeypatch.setenv(locations.CONFIG_ENV, str(write(tmp_path, "theme: light\n")))
    assert load_config().theme == "light"


def test_every_field(tmp_path):
    config = load_config(write(tmp_path, """
theme: high-contrast
refresh_hz: 8
read_only: true
keymap: {grid.explain: "enter,d", app.quit: ctrl+q}
themes_dir: mine
"""))
    assert config == Config(theme="high-contrast", refresh_hz=8.0, read_only=True,
                            keymap={"grid.explain": "enter,d", "app.quit": "ctrl+q"},
                            themes_dir=tmp_path / "mine")


def test_unknown_key_names_key_and_file(tmp_path):
    path = write(tmp_path, "theme: dark\nrefresh: 4\n")
    with pytest.raises(ConfigError) as error:
        load_config(path)
    assert str(path) in str(error.value) and "'refresh'" in str(error.value)


@pytest.mark.parametrize(("text", "key"), [
    ("refresh_hz: fast", "refresh_hz"),
    ("refresh_hz: 1000", "refresh_hz"),
    ("refresh_hz: true", "refresh_hz"),
    ("read_only: yes please", "read_only"),
    ("keymap: [a, b]", "keymap"),
    ("keymap: {grid.explain: 3}", "keymap"),
    ("theme: ''", "theme"),
    ("themes_dir: 3", "themes_dir"),
])
def test_wrong_types_name_the_key(tmp_path, text, key):
    with pytest.raises(ConfigError, match=f"'{key}'"):
        load_config(write(tmp_path, text + "\n"))


@pytest.mark.parametrize("text", ["- a\n- b\n", "theme: [\n"])
def test_not_a_mapping_or_not_yaml(tmp_path, text):
    path = write(tmp_path, text)
    with pytest.raises(ConfigError, match=str(path)):
        load_config(path)
