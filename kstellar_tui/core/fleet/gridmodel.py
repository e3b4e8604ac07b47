"""The live grid's data on the UI side: workload rows × WEC columns of cell states, kept from GridDiffs.

This is the "GridModel" of docs/dev/monitor-contracts.md. It holds one `bytearray` per row (a
CellState per column), so 2,000 × 200 cells cost 400 KB and applying a 100-cell diff costs
microseconds. Widgets key their caches on `Row.version` and ask `view()` for the row order after
filter and sort. Also here: the `Feed` protocol through which the app receives GridDiffs, because
the feed is the producer half of the same contract.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from kstellar_tui.core.fleet.states import RANKED, CellState, summarize

if TYPE_CHECKING:  # imported by parse_filter when a selector is typed: not on the TUI's path to its first frame
    from kstellar_tui.core.fleet.selectors import Selector

GridDiff = Mapping[str, Any]
"""A GridDiff as the contract defines it (`columns`, `rows`, `removed`, `cells`; all optional).

Extras the UI reads when present: `events`, a list of `[time, cluster, text]` for the event log;
`events_dropped`, how many events the producer did not send; `problems`, messages to show the
user once; and per column `events_per_s` and `synced_at` (unix time) for the cluster strip.
"""

Summary = tuple[CellState, dict[CellState, int]]


class Feed(Protocol):
    """What the app needs from whatever produces GridDiffs (the ingest process, or the demo feed).

    `start` returns once the feed runs; from then until `stop` returns, `post` may be called from
    any thread, each call handing over one diff that the UI applies in order. `explain` answers
    with the dict shape of `core.fleet.explain.Explanation.as_dict()` (plus an optional `yaml`).
    A feed may also offer `async delete(row_key)`, `async redeploy(row_key)`, `async get_yaml(row_key,
    cluster)` and `async apply_yaml(text)`; the UI offers only the changes the feed has.
    """

    async def start(self, post: Callable[[GridDiff], None]) -> None: ...

    async def stop(self) -> None: ...

    async def explain(self, row_key: str, cluster: str) -> dict: ...


@dataclass(slots=True)
class Column:
    """One WEC, as the contract's column dict describes it."""

    name: str
    labels: dict[str, str] = field(default_factory=dict)
    available: str = ""
    connection: str = ""          # connecting|syncing|synced|stale|offline, "" when watched only via the hub
    detail: str = ""
    since: float | None = None
    hub_only: bool = False
    events_per_s: float | None = None
    synced_at: float | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Column:
        return cls(
            name=str(data["name"]), labels=dict(data.get("labels") or {}),
            available=str(data.get("available") or ""), connection=str(data.get("connection") or ""),
            detail=str(data.get("detail") or ""), since=data.get("since"),
            hub_only=bool(data.get("hub_only")), events_per_s=data.get("events_per_s"),
            synced_at=data.get("synced_at"),
        )


class Row:
    """One workload: identity, labels, one state per column and the messages of non-blank cells."""

    __slots__ = ("key", "api_version", "kind", "namespace", "name", "labels", "states", "messages",
                 "version", "title", "search_text")

    def __init__(self, key: str, width: int) -> None:
        self.key = key
        self.api_version = self.kind = self.namespace = self.name = self.title = self.search_text = ""
        self.labels: dict[str, str] = {}
        self.states = bytearray(width)
        self.messages: dict[str, str] = {}  # cluster name -> message, only where non-empty
        self.version = 0

    def describe(self, data: Mapping[str, Any]) -> bool:
        """Take identity and labels from a contract row dict; True when anything changed."""
        fields = (str(data.get("apiVersion") or ""), str(data.get("kind") or ""),
                  str(data.get("namespace") or ""), str(data.get("name") or ""), dict(data.get("labels") or {}))
        if fields == (self.api_version, self.kind, self.namespace, self.name, self.labels):
            return False
        self.api_version, self.kind, self.namespace, self.name, self.labels = fields
        self.title = f"{self.namespace}/{self.name}" if self.namespace else self.name
        self.search_text = f"{self.title} {self.kind}"
        return True


class FilterError(ValueError):
    """A filter the user typed that cannot be used (bad regex or label selector)."""


@dataclass(frozen=True, slots=True)
class RowFilter:
    """What the `/` prompt compiles to: a regex on "namespace/name kind" or a label selector."""

    text: str
    pattern: re.Pattern[str] | None = None
    selector: Selector | None = None
    invert: bool = False

    def matches(self, row: Row) -> bool:
        if self.selector is not None:
            hit = self.selector.matches(row.labels)
        else:
            assert self.pattern is not None
            hit = self.pattern.search(row.search_text) is not None
        return hit != self.invert


def parse_filter(text: str) -> RowFilter | None:
    """`payments`, `!payments` (inverted), `-l app=payments` (label selector), `!-l app=x`.

    Regexes ignore case, as k9s filters do. Blank text means no filter (None).
    """
    body = text.strip()
    if not body:
        return None
    invert = body.startswith("!")
    if invert:
        body = body[1:].lstrip()
    if body == "-l" or body.startswith("-l "):
        from kstellar_tui.core.fleet.selectors import SelectorError, parse_selector

        try:
            return RowFilter(text, selector=parse_selector(body[2:].strip()), invert=invert)
        except SelectorError as exc:
            raise FilterError(f"label selector: {exc}") from None
    try:
        return RowFilter(text, pattern=re.compile(body, re.IGNORECASE), invert=invert)
    except re.error as exc:
        raise FilterError(f"regex: {exc}") from None


SORT_KEYS: dict[str, Callable[[Row], tuple]] = {
    "namespace": lambda row: (row.namespace, row.name, row.kind),
    "name": lambda row: (row.name, row.namespace, row.kind),
    "kind": lambda row: (row.kind, row.namespace, row.name),
    "state": lambda row: (-max(row.states, default=0), row.namespace, row.name, row.kind),  # worst first
}
"""Sort orders the grid offers, by name; each breaks ties so the order is total and stable."""


class GridModel:
    """Rows × columns of CellState ints, applied from GridDiffs; see the module docstring.

    `layout_version` bumps when the set or order of rows or columns may have changed (rows added,
    removed or relabelled, columns changed): a view computed at an older layout must be recomputed.
    `columns_version` bumps on any column change, including connection state.
    """

    def __init__(self) -> None:
        self.columns: list[Column] = []
        self._column_index: dict[str, int] = {}
        self._rows: list[Row] = []
        self._row_index: dict[str, int] = {}
        self._counts: list[list[int]] = []  # per column: cells in each state (blank cells not counted)
        self.layout_version = 0
        self.columns_version = 0

    # -- reading ---------------------------------------------------------------------------------
    @property
    def row_count(self) -> int:
        return len(self._rows)

    def row(self, index: int) -> Row:
        return self._rows[index]

    def index_of(self, key: str) -> int | None:
        return self._row_index.get(key)

    def column_index(self, name: str) -> int | None:
        return self._column_index.get(name)

    def summary_row(self, index: int) -> Summary:
        return summarize(self._rows[index].states)

    def summary_column(self, column: int, rows: Iterable[int] | None = None) -> Summary:
        """Worst state and counts of a column, over every row or over `rows` (e.g. a filtered view)."""
        if rows is not None:
            return summarize(self._rows[i].states[column] for i in rows)
        counts = self._counts[column]
        ranked = {state: counts[state] for state in RANKED if counts[state] and state}
        return next(iter(ranked), CellState.NOT_SELECTED), ranked

    def totals(self) -> dict[CellState, int]:
        """Cells in each state over the whole grid, worst first (blank cells not counted)."""
        return {state: n for state in RANKED if state and (n := sum(c[state] for c in self._counts))}

    def view(self, filter: RowFilter | None = None, sort: str = "namespace",
             descending: bool = False) -> list[int]:
        """Row indexes to show, filtered and sorted (sort is a key of SORT_KEYS)."""
        rows = self._rows
        indexes: Sequence[int] = range(len(rows))
        if filter is not None:
            indexes = [i for i in indexes if filter.matches(rows[i])]
        key = SORT_KEYS[sort]
        return sorted(indexes, key=lambda i: key(rows[i]), reverse=descending)

    # -- applying diffs --------------------------------------------------------------------------
    def apply(self, diff: GridDiff) -> set[int]:
        """Apply one GridDiff; return the indexes of rows whose look changed (all when columns did).

        Cells naming an unknown row or cluster are ignored: the producer sends rows and columns
        before their cells, so such a cell belongs to something already removed.
        """
        everything = False
        if (columns := diff.get("columns")) is not None:
            everything = self._set_columns([Column.from_dict(c) for c in columns])
        if removed := diff.get("removed"):
            self._remove(removed)
        changed: set[str] = set()
        for data in diff.get("rows") or ():
            row, created = self._row_for(str(data["key"]))
            if row.describe(data) or created:
                row.version += 1
                changed.add(row.key)
                self.layout_version += 1
        for cell in diff.get("cells") or ():
            if self._set_cell(*cell):
                changed.add(cell[0])
        if everything:
            return set(range(len(self._rows)))
        index = self._row_index
        return {index[key] for key in changed if key in index}

    def _row_for(self, key: str) -> tuple[Row, bool]:
        index = self._row_index.get(key)
        if index is not None:
            return self._rows[index], False
        row = Row(key, len(self.columns))
        self._row_index[key] = len(self._rows)
        self._rows.append(row)
        return row, True

    def _set_cell(self, key: str, cluster: str, state: int, message: str = "") -> bool:
        row_index, column = self._row_index.get(key), self._column_index.get(cluster)
        if row_index is None or column is None:
            return False
        row = self._rows[row_index]
        old = row.states[column]
        message_changed = (row.messages.get(cluster, "") != message)
        if old == state and not message_changed:
            return False
        if old != state:
            counts = self._counts[column]
            if old:
                counts[old] -= 1
            if state:
                counts[state] += 1
            row.states[column] = state
        if message_changed:
            if message:
                # one string for all the cells saying the same: each decoded message is a new one
                row.messages[cluster] = sys.intern(message)
            else:
                del row.messages[cluster]
        row.version += 1
        return True

    def _remove(self, keys: Iterable[str]) -> None:
        gone = {key for key in keys if key in self._row_index}
        if not gone:
            return
        for key in gone:
            row = self._rows[self._row_index[key]]
            for column, state in enumerate(row.states):
                if state:
                    self._counts[column][state] -= 1
        self._rows = [row for row in self._rows if row.key not in gone]
        self._row_index = {row.key: i for i, row in enumerate(self._rows)}
        self.layout_version += 1

    def _set_columns(self, columns: list[Column]) -> bool:
        """Replace the column list; remap every row when the names changed. True when they did."""
        old_names = [c.name for c in self.columns]
        new_names = [c.name for c in columns]
        self.columns = columns
        self.columns_version += 1
        if new_names == old_names:
            return False
        old_index = self._column_index
        self._column_index = {name: i for i, name in enumerate(new_names)}
        self._counts = [[0] * len(CellState) for _ in columns]
        kept = [(j, old_index[name]) for j, name in enumerate(new_names) if name in old_index]
        for row in self._rows:
            states = bytearray(len(columns))
            for j, i in kept:
                states[j] = row.states[i]
                if states[j]:
                    self._counts[j][states[j]] += 1
            row.states = states
            row.messages = {name: text for name, text in row.messages.items() if name in self._column_index}
            row.version += 1
        self.layout_version += 1
        return True
