"""The strip of WEC chips under the title: how many WECs are offline, and per WEC its watch state,
events per second and how long ago it last synced (or since when it has been offline).

Chips are joined by ordinary spaces but spaced inside with no-break spaces, so a narrow terminal
wraps between chips, never inside one; the strip shows at most a few lines.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from textual.content import Content
from textual.markup import escape
from textual.widgets import Static

from kstellar_tui.core.fleet.gridmodel import Column

NBSP = "\u00a0"
# connection -> (glyph, colour variable, words); "" is a WEC seen only through the hub's WorkStatus.
CONNECTIONS: dict[str, tuple[str, str, str]] = {
    "synced": ("●", "$status-ready", "synced"),
    "syncing": ("◐", "$status-progressing", "syncing"),
    "connecting": ("○", "$status-pending", "connecting"),
    "stale": ("◌", "$status-unknown", "stale"),
    "offline": ("✖", "$status-error", "offline"),
    "": ("⌂", "$status-unknown", "hub-reported"),
}


def _age(seconds: float) -> str:
    seconds = max(0, int(seconds))
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m"
    return f"{seconds // 3600}h"


class ClusterStrip(Static):
    """One chip per WEC, led by the offline count; `show(columns)` repaints only when text changed."""

    DEFAULT_CSS = """
    ClusterStrip {
        height: auto;
        max-height: 3;
        padding: 0 1;
        background: $panel;
        color: $text-muted;
    }
    """

    def __init__(self, *, clock: Callable[[], float] = time.time, id: str | None = None) -> None:
        super().__init__("no WECs yet", id=id)
        self._clock = clock
        self._markup = ""

    def show(self, columns: Sequence[Column]) -> None:
        markup = self.markup_for(columns)
        if markup != self._markup:
            self._markup = markup
            self.update(Content.from_markup(markup))

    def markup_for(self, columns: Sequence[Column]) -> str:
        if not columns:
            return "no WECs yet"
        now = self._clock()
        counts: dict[str, int] = {}
        for column in columns:
            counts[column.connection] = counts.get(column.connection, 0) + 1
        head = [f"[b]{len(columns)} WECs[/b]"]
        for connection in ("offline", "stale", "connecting", "syncing"):
            if n := counts.get(connection):
                head.append(f"[{CONNECTIONS[connection][1]}]{n} {connection}[/]")
        return " · ".join(head) + "  │  " + "  ".join(self._chip(column, now) for column in columns)

    @staticmethod
    def _chip(column: Column, now: float) -> str:
        glyph, colour, words = CONNECTIONS.get(column.connection, CONNECTIONS["stale"])
        parts = [f"[{colour}]{glyph}[/]", f"[$foreground]{escape(column.name)}[/]"]
        if column.connection in ("offline", "stale") and column.since:
            parts.append(f"[{colour}]{words} since {time.strftime('%H:%M', time.localtime(column.since))}[/]")
        else:
            if column.events_per_s is not None:
                parts.append(f"{column.events_per_s:.0f}/s")
            if column.synced_at is not None:
                parts.append(_age(now - column.synced_at))
            elif column.connection != "synced":
                parts.append(words)
        return NBSP.join(parts)
