"""Theme files: the shipped ones are complete; broken user files are reported, not fatal."""

from __future__ import annotations

import pytest

from kstellar_tui.core.fleet.states import CellState
from kstellar_tui.themes import (
    STATUS_DEFAULTS, STATUS_VARIABLES, ThemeCache, ThemeError, builtin_themes_dir, find_theme, load_theme, load_themes,
)


def test_shipped_themes_define_every_status_colour():
    themes, errors = load_themes(builtin_themes_dir())
    assert errors == []
    assert {t.name for t in themes} == {"dark", "light", "high-contrast"}
    for theme in themes:
        assert set(STATUS_DEFAULTS) <= set(theme.variables), theme.name
    assert {t.name: t.dark for t in themes} == {"dark": True, "light": False, "high-contrast": True}


def test_a_status_variable_per_state():
    assert set(STATUS_VARIABLES.values()) == set(STATUS_DEFAULTS)
    assert STATUS_VARIABLES[CellState.ERROR] == "status-error"
    assert CellState.NOT_SELECTED not in STATUS_VARIABLES


def test_name_defaults_to_file_stem(tmp_path):
    path = tmp_path / "mine.yaml"
    path.write_text("primary: '#123456'\nvariables: {status-ready: '#00ff00'}\n")
    theme = load_theme(path)
    assert (theme.name, theme.primary, theme.variables) == ("mine", "#123456", {"status-ready": "#00ff00"})


@pytest.mark.parametrize(("text", "named"), [
    ("primary: '#123456'\ncolour: red\n", "'colour'"),
    ("primary: not-a-colour\n", "'primary'"),
    ("primary: '#123456'\nvariables: {status-error: nope}\n", "'status-error'"),
    ("- a list\n", "mapping"),
    ("name: x\n", "primary"),  # Theme needs a primary colour
])
def test_bad_theme_files_name_the_problem(tmp_path, text, named):
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(ThemeError) as error:
        load_theme(path)
    assert str(path) in str(error.value) and named in str(error.value)


def test_a_folder_loads_the_good_and_reports_the_bad(tmp_path):
    (tmp_path / "good.yaml").write_text("primary: '#123456'\n")
    (tmp_path / "bad.yml").write_text("primary: '#123456'\nbogus: 1\n")
    (tmp_path / "notes.txt").write_text("not a theme")
    themes, errors = load_themes(tmp_path)
    assert [t.name for t in themes] == ["good"]
    assert len(errors) == 1 and "bad.yml" in errors[0]
    assert load_themes(tmp_path / "absent") == ([], [])


def test_start_up_finds_a_theme_by_its_file_name_and_reads_nothing_else(tmp_path):
    user, ours = tmp_path / "user", tmp_path / "ours"
    for folder, colour in ((user, "#111111"), (ours, "#222222")):
        folder.mkdir()
        (folder / "mine.yml").write_text(f"primary: '{colour}'\n")
    (ours / "broken.yaml").write_text("primary: [\n")
    (ours / "renamed.yaml").write_text("name: other\nprimary: '#333333'\n")
    assert find_theme("mine", [user, ours]).primary == "#111111"  # the first folder wins
    assert find_theme("renamed", [ours]) is None  # its theme is called "other": found by the full read
    assert find_theme("absent", [user, ours]) is None


def test_the_theme_cache_follows_edits_and_survives_a_broken_cache(tmp_path):
    theme_file, cache_file = tmp_path / "mine.yaml", tmp_path / "cache" / "themes.json"
    theme_file.write_text("primary: '#123456'\n")
    cache = ThemeCache(cache_file)
    assert load_theme(theme_file, cache).primary == "#123456"
    cache.save()
    assert load_theme(theme_file, ThemeCache(cache_file)).primary == "#123456"  # from the cache

    theme_file.write_text("primary: '#abcdef'\nvariables: {status-ready: '#00ff00'}\n")  # edited: read again
    theme = load_theme(theme_file, ThemeCache(cache_file))
    assert (theme.primary, theme.variables) == ("#abcdef", {"status-ready": "#00ff00"})

    theme_file.write_text("primary: not-a-colour\n")  # a bad edit is reported, cached or not
    with pytest.raises(ThemeError, match="'primary'"):
        load_theme(theme_file, ThemeCache(cache_file))

    cache_file.write_text("{not json")
    theme_file.write_text("primary: '#654321'\n")
    assert load_theme(theme_file, ThemeCache(cache_file)).primary == "#654321"
