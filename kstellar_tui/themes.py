"""Themes: Textual `Theme` objects read from YAML, the app's own and those in the user themes folder.

A theme file holds Textual `Theme` fields plus `variables`; the status colours are the variables
`status-error` … `status-ready` (one per CellState), used in CSS as `$status-error` and by the grid's
per-state segment styles. A theme that leaves one out gets the default below, so Textual's built-in
themes work too. Colour never carries a state alone: every state has a glyph (core/fleet/states.py),
so with NO_COLOR set (Textual then paints in monochrome) the grid stays readable.

The app's files live in the repository's top-level `themes/`; a built wheel carries them as
`kstellar_tui/themes_data/` (hatch force-include), which is looked at first.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from textual.color import Color, ColorParseError
from textual.theme import Theme

from kstellar_tui.core.fleet.states import CellState

STATUS_VARIABLES: dict[CellState, str] = {
    state: "status-" + state.name.lower().replace("_", "-") for state in CellState if state
}
"""The theme variable holding each state's colour (blank cells have none)."""

STATUS_DEFAULTS: dict[str, str] = {
    "status-error": "#e5484d", "status-missing": "#d946ef", "status-degraded": "#f97316",
    "status-progressing": "#0ea5e9", "status-pending": "#818cf8", "status-drift": "#eab308",
    "status-unknown": "#8b949e", "status-ready": "#22c55e",
}
"""Fallback status colours for themes that do not set them (e.g. Textual's built-in ones)."""

_THEME_FIELDS = {f.name for f in dataclasses.fields(Theme)}
_COLOR_FIELDS = {"primary", "secondary", "warning", "error", "success", "accent", "foreground",
                 "background", "surface", "panel", "boost"}
_PACKAGE_DIR = Path(__file__).resolve().parent


class ThemeError(ValueError):
    """A theme file that cannot be used; the message names the file and the offending key."""


def builtin_themes_dir() -> Path:
    """The app's own theme files: inside the installed package, else the source checkout's themes/."""
    packaged = _PACKAGE_DIR / "themes_data"
    return packaged if packaged.is_dir() else _PACKAGE_DIR.parent / "themes"


def _read_yaml(path: Path) -> Any:
    import yaml  # on use: its import costs more than the rest of reading a theme (see ThemeCache)

    from kstellar_tui.core.safe_yaml import safe_load_fast

    try:
        return safe_load_fast(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ThemeError(f"{path}: {exc}") from None


class ThemeCache:
    """What theme files held when last read, by path, modification time and size, in one JSON file:
    so the app's first frame needs no YAML parser. Only the reading is cached; every theme is still
    checked as `load_theme` checks it. A cache that cannot be read is ignored."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self._stored: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            self._stored = {}
        self._seen: dict[str, Any] = {}

    def read(self, path: Path) -> Any:
        """The file's data, parsed or as cached while the file is unchanged."""
        try:
            stat = path.stat()
        except OSError as exc:
            raise ThemeError(f"{path}: {exc}") from None
        stamp = [stat.st_mtime_ns, stat.st_size]
        entry = self._stored.get(str(path))
        data = entry["data"] if isinstance(entry, dict) and entry.get("stamp") == stamp else _read_yaml(path)
        self._seen[str(path)] = {"stamp": stamp, "data": data}
        return data

    def save(self) -> None:
        """Keep the files read since this cache was opened (after reading every folder: the others are gone)."""
        if self._seen != self._stored:
            from kstellar_tui.core.atomicfile import atomic_write  # after the first frame: tempfile is 1 ms

            atomic_write(self.path, json.dumps(self._seen, default=str))
            self._stored = dict(self._seen)


def load_theme(path: Path, cache: ThemeCache | None = None) -> Theme:
    """One theme file; its name defaults to the file's stem."""
    data = _read_yaml(path) if cache is None else cache.read(path)
    if not isinstance(data, dict):
        raise ThemeError(f"{path}: a theme file must be a mapping of Theme fields")
    data = dict(data)  # the cache's copy stays as the file said
    unknown = sorted(set(data) - _THEME_FIELDS)
    if unknown:
        raise ThemeError(f"{path}: unknown key {unknown[0]!r} (known: {', '.join(sorted(_THEME_FIELDS))})")
    data.setdefault("name", path.stem)
    variables = data.get("variables") or {}
    if not isinstance(variables, dict):
        raise ThemeError(f"{path}: 'variables' must be a mapping of variable name to value")
    data["variables"] = {str(k): str(v) for k, v in variables.items()}
    for key in sorted(_COLOR_FIELDS & set(data)) + [v for v in STATUS_DEFAULTS if v in data["variables"]]:
        value = data.get(key, data["variables"].get(key))
        try:
            Color.parse(value)
        except ColorParseError:
            raise ThemeError(f"{path}: {key!r} is not a colour: {value!r}") from None
    try:
        return Theme(**data)
    except TypeError as exc:
        raise ThemeError(f"{path}: {exc}") from None


def load_themes(directory: Path, cache: ThemeCache | None = None) -> tuple[list[Theme], list[str]]:
    """Every `*.yaml`/`*.yml` theme in a folder, sorted by file name, and an error per broken file.

    A broken user theme must not keep the app from starting, so errors are returned, not raised.
    """
    themes: list[Theme] = []
    errors: list[str] = []
    if directory.is_dir():
        for path in sorted([*directory.glob("*.yaml"), *directory.glob("*.yml")]):
            try:
                themes.append(load_theme(path, cache))
            except ThemeError as exc:
                errors.append(str(exc))
    return themes, errors


def find_theme(name: str, folders: Iterable[Path], cache: ThemeCache | None = None) -> Theme | None:
    """The theme `name` from the first of `folders` holding a good file named after it, else None.

    Start-up reads only this one file: the others wait until the app has painted."""
    for folder in folders:
        for path in (folder / f"{name}.yaml", folder / f"{name}.yml"):
            if path.is_file():
                try:
                    theme = load_theme(path, cache)
                except ThemeError:
                    return None  # reported when the whole folder is read
                return theme if theme.name == name else None
    return None
