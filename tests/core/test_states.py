"""Cell states rank worst first, and read without colour."""

from __future__ import annotations

import unicodedata

import pytest

from kstellar_tui.core.fleet.states import RANKED, CellState, summarize, worst

S = CellState


def test_ranking_worst_first():
    assert [s.label for s in RANKED] == [
        "Error", "Missing", "Degraded", "Progressing", "Pending", "Drift", "Unknown", "Ready", "Not selected"]


@pytest.mark.parametrize(("states", "expected"), [
    ([S.READY, S.PENDING, S.READY], S.PENDING),
    ([S.UNKNOWN, S.READY], S.UNKNOWN),               # stale is worse than ready, better than a failure
    ([S.DRIFT, S.UNKNOWN], S.DRIFT),
    ([S.PROGRESSING, S.DEGRADED], S.DEGRADED),
    ([S.MISSING, S.ERROR, S.READY], S.ERROR),
    ([S.NOT_SELECTED, S.READY], S.READY),
    ([], S.NOT_SELECTED),
    (bytearray([0, 1, 5, 1]), S.PROGRESSING),        # the grid's own storage works directly
])
def test_worst(states, expected):
    assert worst(states) is expected


def test_summarize_counts_worst_first_without_blanks():
    top, counts = summarize(bytearray([S.READY, S.READY, S.ERROR, S.NOT_SELECTED, S.PENDING, S.READY]))
    assert top is S.ERROR
    assert list(counts.items()) == [(S.ERROR, 1), (S.PENDING, 1), (S.READY, 3)]


def test_summarize_nothing_selected():
    assert summarize([S.NOT_SELECTED, S.NOT_SELECTED]) == (S.NOT_SELECTED, {})


def test_glyphs_are_distinct_single_cell_characters():
    glyphs = [s.glyph for s in CellState]
    assert len(set(glyphs)) == len(glyphs)
    for glyph in glyphs:
        assert len(glyph) == 1 and unicodedata.east_asian_width(glyph) in {"N", "Na"}
    assert S.NOT_SELECTED.glyph == " "


def test_states_fit_in_a_byte():
    assert max(CellState) < 256 and min(CellState) == 0
