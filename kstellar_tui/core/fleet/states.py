"""What one grid cell (a workload on a WEC) can be, ranked so that a summary shows the worst.

States are small ints (the grid keeps one per cell, millions of them, e.g. in a `bytearray`);
a larger value is worse and 0 is the blank "not selected" cell, so `max()` finds the worst.
Every state has a glyph and a label, so the grid stays readable without colour (NO_COLOR).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from enum import IntEnum


class CellState(IntEnum):
    NOT_SELECTED = 0  # no BindingPolicy sends this workload to this WEC: a blank cell
    READY = 1         # present and healthy
    UNKNOWN = 2       # WEC offline or its data stale: kept apart from failures
    DRIFT = 3         # the WEC copy differs from the desired WDS object
    PENDING = 4       # bound, not yet delivered
    PROGRESSING = 5   # present, rolling out
    DEGRADED = 6      # present, health says failing
    MISSING = 7       # bound and delivered, but absent on the WEC
    ERROR = 8         # delivery failed (ManifestWork rejected or not applied)

    @property
    def glyph(self) -> str:
        """One terminal cell wide in every locale (no East Asian ambiguous-width characters)."""
        return GLYPHS[self]

    @property
    def label(self) -> str:
        return LABELS[self]


# Indexed by state value, for renderers that look glyphs up per cell.
GLYPHS: tuple[str, ...] = (" ", "✓", "?", "~", "◌", "↻", "↯", "∅", "✖")
LABELS: tuple[str, ...] = (
    "Not selected", "Ready", "Unknown", "Drift", "Pending", "Progressing", "Degraded", "Missing", "Error",
)

RANKED: tuple[CellState, ...] = tuple(sorted(CellState, reverse=True))
"""Every state, worst first."""


def worst(states: Iterable[int]) -> CellState:
    """The worst state among these (NOT_SELECTED when there are none)."""
    return CellState(max(states, default=CellState.NOT_SELECTED))


def summarize(states: Iterable[int]) -> tuple[CellState, dict[CellState, int]]:
    """The worst state and how many cells are in each state, worst first.

    Blank (not selected) cells are not counted: nothing was meant to be there.
    """
    counts = Counter(states)
    ranked = {state: counts[state] for state in RANKED if counts[state] and state != CellState.NOT_SELECTED}
    return next(iter(ranked), CellState.NOT_SELECTED), ranked
