"""A bounded log of watch events merged from every source, appended in batches.

At tens of thousands of events per second no one reads every line, and a log that keeps them all
slows the UI. So the log keeps the newest `capacity` lines, renders lazily (Line API, only visible
lines, cached by sequence number), and counts what fell off in its subtitle. Appends come in
batches, one refresh per batch. While scrolled to the end it follows new lines; scrolled up, it
stays where the reader is.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Iterable

from rich.segment import Segment
from textual.cache import LRUCache
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

Entry = tuple[float, str, str]  # time, cluster (or source), text
CLUSTER_WIDTH = 12


PART_COMPONENTS = ("event-log--time", "event-log--cluster", "event-log--text")


def _parts(entry: Entry) -> tuple[str, str, str]:
    when, cluster, text = entry
    return time.strftime("%H:%M:%S ", time.localtime(when)), f"{cluster:<{CLUSTER_WIDTH}} ", text


class EventLog(ScrollView, can_focus=True):
    """The newest `capacity` events; `dropped` counts the ones that were let go."""

    COMPONENT_CLASSES = set(PART_COMPONENTS)

    DEFAULT_CSS = """
    EventLog {
        height: 8;
        overflow-x: hidden;
        border-top: solid $panel-lighten-2;
        border-title-color: $text-muted;
        border-subtitle-color: $status-degraded;
        background: $surface;
        & > .event-log--time { color: $text-muted; }
        & > .event-log--cluster { color: $accent; }
        & > .event-log--text { color: $foreground; }
    }
    """

    def __init__(self, capacity: int = 2000, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.capacity = capacity
        self.dropped = 0
        self._dropped_upstream = 0
        self._entries: deque[tuple[int, Entry]] = deque(maxlen=capacity)
        self._next = 0  # sequence number of the next entry
        self._lines: LRUCache[tuple, Strip] = LRUCache(256)
        self.border_title = "events"

    @property
    def line_count(self) -> int:
        return len(self._entries)

    def lines(self) -> list[str]:
        """Every kept line as text, oldest first (for tests and copying)."""
        return ["".join(_parts(entry)) for _, entry in self._entries]

    def append_many(self, entries: Iterable[Entry], *, dropped_upstream: int = 0) -> None:
        """Add a batch (one refresh however many lines it holds); `dropped_upstream` counts
        events the producer left out, so the subtitle tells the whole story."""
        following = self.scroll_offset.y >= self.max_scroll_y
        before = self._next
        for entry in entries:
            self._entries.append((self._next, entry))
            self._next += 1
        self._dropped_upstream += dropped_upstream
        self.dropped = self._next - len(self._entries) + self._dropped_upstream
        self.border_subtitle = f"{self.dropped:,} dropped" if self.dropped else ""
        if self._next == before:
            return
        self.virtual_size = Size(0, len(self._entries))
        if following:
            self.scroll_end(animate=False, immediate=True, x_axis=False)
        self.refresh()

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._lines.clear()

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        index = self.scroll_offset.y + y
        if index >= len(self._entries):
            return Strip.blank(width, self.rich_style)
        sequence, entry = self._entries[index]
        key = (sequence, width)
        line = self._lines.get(key)
        if line is None:
            base = self.rich_style
            segments = [Segment(part, base + self.get_component_rich_style(component))
                        for part, component in zip(_parts(entry), PART_COMPONENTS)]
            line = self._lines[key] = Strip(segments).crop(0, width).extend_cell_length(width, base)
        return line
