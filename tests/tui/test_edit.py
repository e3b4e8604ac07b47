"""The editor round's text handling: our header guides the user but never reaches a draft or a diff."""

from __future__ import annotations

from kstellar_tui.screens.edit import HEADER, editor_argv, header, strip_header


def test_the_header_never_reaches_the_draft():
    top = header("Deployment nginx/x", resumed=True, last_error="edit:3: invalid YAML\n    fix: the line")
    assert all(line.startswith(HEADER) for line in top.splitlines())
    assert "your draft" in top and "Last attempt failed" in top and "  edit:3: invalid YAML" in top
    body = "# the user's own comment\nkind: Deployment\n"
    assert strip_header(top + body) == body


def test_the_editor_is_visual_then_editor_then_vi_split_into_words(monkeypatch):
    monkeypatch.delenv("VISUAL", raising=False)
    monkeypatch.delenv("EDITOR", raising=False)
    assert editor_argv() == ["vi"]
    monkeypatch.setenv("EDITOR", "code --wait")
    assert editor_argv() == ["code", "--wait"]
    monkeypatch.setenv("VISUAL", "'/opt/my editor/bin/ed' -n")
    assert editor_argv() == ["/opt/my editor/bin/ed", "-n"]
