"""The user's settings: one YAML file at `locations.config_file()` (`$KSTELLAR_TUI_CONFIG` overrides it).

A missing file means defaults. Unknown keys and wrong types are errors that name the key and the
file, so a typo never silently does nothing. Example:

    theme: light
    refresh_hz: 8
    read_only: true
    keymap:
      grid.explain: enter,d
      app.quit: ctrl+q
    themes_dir: ~/my-themes
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kstellar_tui import locations

MIN_REFRESH_HZ, MAX_REFRESH_HZ = 0.5, 60.0


class ConfigError(ValueError):
    """A config file that cannot be used; the message names the file and the key."""


@dataclass(frozen=True)
class Config:
    theme: str = "dark"
    """Theme to start with: a name from themes/, the user themes folder, or a Textual built-in."""

    refresh_hz: float = 4.0
    """The live grid's tick, between 0.5 and 60: it repaints changed rows at most twice a tick."""

    keymap: dict[str, str] = field(default_factory=dict)
    """Binding id → keys (comma-separated), e.g. `grid.explain: enter,d`; `?` in the app lists ids."""

    read_only: bool = False
    """Start as with `--read-only`: every action that changes a cluster is removed."""

    themes_dir: Path = field(default_factory=locations.user_themes_dir)
    """Folder of the user's own theme files (hot-reloaded); relative paths are from the config file."""


_FIELDS = {f.name: f for f in dataclasses.fields(Config)}


def _check(path: Path, key: str, value: Any) -> Any:
    """The value converted to the field's type, or a ConfigError naming key and file."""
    def wrong(expected: str) -> ConfigError:
        return ConfigError(f"{path}: {key!r} must be {expected}, not {value!r}")

    if key == "theme":
        if not isinstance(value, str) or not value:
            raise wrong("a theme name")
        return value
    if key == "refresh_hz":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise wrong("a number")
        if not MIN_REFRESH_HZ <= value <= MAX_REFRESH_HZ:
            raise wrong(f"between {MIN_REFRESH_HZ} and {MAX_REFRESH_HZ}")
        return float(value)
    if key == "keymap":
        if not isinstance(value, dict) or not all(isinstance(k, str) and isinstance(v, str) and v
                                                  for k, v in value.items()):
            raise wrong("a mapping of binding id to keys, e.g. {grid.explain: 'enter,d'}")
        return dict(value)
    if key == "read_only":
        if not isinstance(value, bool):
            raise wrong("true or false")
        return value
    if not isinstance(value, str) or not value:  # themes_dir
        raise wrong("a folder path")
    folder = Path(value).expanduser()
    return folder if folder.is_absolute() else path.parent / folder


def load_config(path: Path | None = None) -> Config:
    """The config at `path` (default: `locations.config_file()`), or defaults when there is none."""
    path = path or locations.config_file()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Config()
    except OSError as exc:
        raise ConfigError(f"{path}: {exc.strerror or exc}") from None
    import yaml  # only for a file: without one the app starts without this 10 ms import

    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from None
    if data is None:
        return Config()
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: the config must be a mapping of settings")
    for key in data:
        if key not in _FIELDS:
            raise ConfigError(f"{path}: unknown key {key!r} (known: {', '.join(_FIELDS)})")
    return Config(**{key: _check(path, key, value) for key, value in data.items()})
