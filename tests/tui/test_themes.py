"""Theme files: the shipped ones are complete; broken user files are reported, not fatal."""

from __future__ import annotations

import pytest

from kstellar_tui.core.fleet.states import CellState
from kstellar_tui.themes import STATUS_DEFAULTS, STATUS_VARIABLES, ThemeError, builtin_themes_dir, load_theme, load_themes


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
