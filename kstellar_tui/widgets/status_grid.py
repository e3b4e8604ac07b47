"""The live workload × WEC grid: a Line API widget that repaints only the rows that changed.

Rows are workloads, columns are WECs, a cell is one CellState glyph in its theme colour. The two
top lines (cluster names, per-column summaries) and the left columns (workload, kind, per-row
summary) stay put while the cells scroll under them. Lines are built from segments pre-styled per
state (made once per theme) and cached by (row key, row version, cursor, scroll, width, styles),
so after a 100-cell update a frame rebuilds just the visible lines whose rows changed. `DataTable`
repaints everything on every change, which is hundreds of times slower at fleet sizes.

The grid owns no data: it reads a `GridModel`. Whoever applies diffs to the model calls
`mark_dirty(changed)`, and `flush()` (on a timer) repaints.
"""

from __future__ import annotations

from collections import Counter

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.cache import LRUCache
from textual.color import Color
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from kstellar_tui.core.fleet.gridmodel import GridModel, Row, RowFilter
from kstellar_tui.core.fleet.states import GLYPHS, CellState, summarize
from kstellar_tui.themes import STATUS_DEFAULTS, STATUS_VARIABLES

HEADER_LINES = 2  # cluster names, then per-column summaries
NAME_MIN, NAME_MAX = 16, 40
KIND_MAX = 12
SUMMARY_WIDTH = 16
CELL_MIN, CELL_MAX = 4, 12
OFFLINE_CONNECTIONS = frozenset({"offline", "stale"})
BOLD_STATES = frozenset({CellState.DRIFT, CellState.DEGRADED, CellState.MISSING, CellState.ERROR})


def state_component(state: CellState) -> str:
    return "status-grid--" + state.name.lower().replace("_", "-")


def _fit(text: str, width: int, align: str = "<") -> str:
    """Exactly `width` cells: padded, or cut with an ellipsis (names are ASCII, one cell each)."""
    if width <= 0:
        return ""
    if len(text) > width:
        text = text[: width - 1] + "…" if width > 1 else text[:1]
    return f"{text:{align}{width}}"


def _count(n: int) -> str:
    return str(n) if n < 1000 else f"{n // 1000}k"


class StatusGrid(ScrollView, can_focus=True):
    """Workloads × WECs; Enter explains the cell under the cursor (see the module docstring)."""

    COMPONENT_CLASSES = {
        "status-grid--header", "status-grid--label", "status-grid--dim", "status-grid--cursor",
        "status-grid--cursor-row",
    }

    DEFAULT_CSS = """
    StatusGrid {
        background: $surface;
        color: $foreground;
        & > .status-grid--header { color: $text-muted; text-style: bold; }
        & > .status-grid--label { color: $foreground; }
        & > .status-grid--dim { color: $text-muted; }
        & > .status-grid--cursor { text-style: reverse bold; }
        & > .status-grid--cursor-row { background: $primary 25%; text-style: bold; }
    }
    """

    BINDINGS = [
        Binding("enter", "select_cell", "Explain", id="grid.explain", tooltip="Explain why this cell is what it is"),
        Binding("up,k", "cursor(0,-1)", "Up", show=False, id="grid.cursor_up"),
        Binding("down,j", "cursor(0,1)", "Down", show=False, id="grid.cursor_down"),
        Binding("left,h", "cursor(-1,0)", "Left", show=False, id="grid.cursor_left"),
        Binding("right,l", "cursor(1,0)", "Right", show=False, id="grid.cursor_right"),
        Binding("pageup", "page(-1)", "Page up", show=False, id="grid.page_up"),
        Binding("pagedown", "page(1)", "Page down", show=False, id="grid.page_down"),
        Binding("home,g", "edge(-1)", "First row", show=False, id="grid.top"),
        Binding("end,G", "edge(1)", "Last row", show=False, id="grid.bottom"),
    ]

    class _CellMessage(Message):
        def __init__(self, grid: StatusGrid, row: Row, cluster: str, state: CellState) -> None:
            super().__init__()
            self.grid = grid
            self.row_key = row.key
            self.row = row
            self.cluster = cluster
            self.state = state
            self.message = row.messages.get(cluster, "")

        @property
        def control(self) -> StatusGrid:
            return self.grid

    class CellHighlighted(_CellMessage):
        """The cursor moved onto a cell (or the cell under it changed)."""

    class CellSelected(_CellMessage):
        """The user asked about a cell (Enter, or a click on the cursor cell)."""

    def __init__(self, model: GridModel, *, name: str | None = None, id: str | None = None,
                 classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.model = model
        self.filter: RowFilter | None = None
        self.sort = "namespace"
        self.descending = False
        self.rows: list[int] = []            # model row indexes, in display order
        self._positions: dict[int, int] = {}  # model row index -> display position
        self.cursor_row = 0                   # display position
        self.cursor_column = 0
        self._cursor_key: str | None = None   # follows a row across re-sorts
        self._dirty: set[int] = set()
        self._seen_layout = self._seen_columns = -1
        self._name_width = NAME_MIN
        self._kind_width = 4
        self._cell_width = CELL_MIN
        self._summary_generation = 0
        self._style_generation = 0
        self._styles: dict[str, Style] | None = None
        self._base = Style()
        self._cells: list[tuple[Segment, Segment]] = []  # per state: (plain, under the cursor)
        self._cells_width = -1
        self._lines: LRUCache[tuple, Strip] = LRUCache(2048)

    # -- public API ------------------------------------------------------------------------------
    @property
    def left_width(self) -> int:
        return self._name_width + self._kind_width + SUMMARY_WIDTH

    @property
    def cell_width(self) -> int:
        return self._cell_width

    @property
    def cursor_cell(self) -> tuple[Row, str] | None:
        """The row and cluster under the cursor, if the grid has any cells."""
        if not self.rows or not self.model.columns:
            return None
        return self.model.row(self.rows[self.cursor_row]), self.model.columns[self.cursor_column].name

    def set_filter(self, row_filter: RowFilter | None) -> None:
        """Show only the rows this filter matches (None: all); repaint at once."""
        self.filter = row_filter
        self._seen_layout = -1
        self.flush()

    def set_sort(self, key: str, descending: bool = False) -> None:
        """Order rows by a key of gridmodel.SORT_KEYS; repaint at once."""
        self.sort, self.descending = key, descending
        self._seen_layout = -1
        self.flush()

    def mark_dirty(self, changed: set[int]) -> None:
        """Rows (model indexes) whose look changed; repainted at the next `flush()`."""
        self._dirty |= changed

    def flush(self) -> None:
        """Repaint what changed since the last flush: visible changed lines, or all after a relayout."""
        dirty, self._dirty = self._dirty, set()
        layout_changed = self._seen_layout != self.model.layout_version or (self.sort == "state" and bool(dirty))
        if layout_changed:
            self._relayout()
        if self._seen_columns != self.model.columns_version:  # e.g. a WEC went offline: its header dims
            self._seen_columns = self.model.columns_version
            self._refresh_screen_line(0)
        if dirty and not layout_changed:
            self._summary_generation += 1
            self._refresh_screen_line(1)
            top = self.scroll_offset.y
            visible = self.scrollable_content_region.height - HEADER_LINES
            for index in dirty:
                position = self._positions.get(index)
                if position is not None and top <= position < top + visible:
                    self._refresh_screen_line(HEADER_LINES + position - top)
        if self.cursor_cell and (layout_changed or self.rows[self.cursor_row] in dirty):
            self._post_cursor(self.CellHighlighted)

    def goto(self, *, row_key: str | None = None, cluster: str | None = None) -> bool:
        """Put the cursor on a workload and/or cluster; False when it is not shown."""
        row, column = self.cursor_row, self.cursor_column
        if row_key is not None:
            index = self.model.index_of(row_key)
            if index is None or index not in self._positions:
                return False
            row = self._positions[index]
        if cluster is not None:
            found = self.model.column_index(cluster)
            if found is None:
                return False
            column = found
        self.move_cursor(row, column)
        return True

    def move_cursor(self, row: int, column: int) -> None:
        """Move the cursor (display position, column index), clamped, and scroll it into view."""
        row = max(0, min(row, len(self.rows) - 1))
        column = max(0, min(column, len(self.model.columns) - 1))
        if (row, column) == (self.cursor_row, self.cursor_column):
            return
        old_row = self.cursor_row
        self.cursor_row, self.cursor_column = row, column
        self._cursor_key = self.model.row(self.rows[row]).key if self.rows else None
        self._scroll_cursor_into_view()
        self._refresh_screen_line(0)
        self._refresh_screen_line(1)
        for position in {old_row, row}:
            self._refresh_screen_line(HEADER_LINES + position - self.scroll_offset.y)
        if self.cursor_cell:
            self._post_cursor(self.CellHighlighted)

    # -- actions ---------------------------------------------------------------------------------
    def action_cursor(self, dx: int, dy: int) -> None:
        self.move_cursor(self.cursor_row + dy, self.cursor_column + dx)

    def action_page(self, direction: int) -> None:
        page = max(1, self.scrollable_content_region.height - HEADER_LINES)
        self.move_cursor(self.cursor_row + direction * page, self.cursor_column)

    def action_edge(self, direction: int) -> None:
        self.move_cursor(0 if direction < 0 else len(self.rows) - 1, self.cursor_column)

    def action_select_cell(self) -> None:
        if self.cursor_cell:
            self._post_cursor(self.CellSelected)

    def _post_cursor(self, kind: type[_CellMessage]) -> None:
        row, cluster = self.cursor_cell  # type: ignore[misc]
        self.post_message(kind(self, row, cluster, CellState(row.states[self.cursor_column])))

    def on_click(self, event: events.Click) -> None:
        if event.y < HEADER_LINES or event.x < self.left_width:
            return
        row = self.scroll_offset.y + event.y - HEADER_LINES
        column = (self.scroll_offset.x + event.x - self.left_width) // self._cell_width
        if row >= len(self.rows) or column >= len(self.model.columns):
            return
        if (row, column) == (self.cursor_row, self.cursor_column):
            self.action_select_cell()
        else:
            self.move_cursor(row, column)

    # -- layout ----------------------------------------------------------------------------------
    def _relayout(self) -> None:
        model = self.model
        self._seen_layout = model.layout_version
        self.rows = model.view(self.filter, self.sort, self.descending)
        self._positions = {index: position for position, index in enumerate(self.rows)}
        rows = [model.row(i) for i in range(model.row_count)]
        self._name_width = max(NAME_MIN, min(NAME_MAX, max((len(r.title) for r in rows), default=0) + 2))
        self._kind_width = min(KIND_MAX, max((len(r.kind) for r in rows), default=2) + 2)
        self._cell_width = max(CELL_MIN, min(CELL_MAX, max((len(c.name) for c in model.columns), default=0) + 1))
        self._summary_generation += 1
        self._lines.clear()
        if self._cursor_key is not None and (index := model.index_of(self._cursor_key)) in self._positions:
            self.cursor_row = self._positions[index]  # type: ignore[index]
        self.cursor_row = max(0, min(self.cursor_row, len(self.rows) - 1))
        self.cursor_column = max(0, min(self.cursor_column, len(model.columns) - 1))
        self._cursor_key = model.row(self.rows[self.cursor_row]).key if self.rows else None
        self._resize_virtual()
        self.refresh()

    def _resize_virtual(self) -> None:
        """Cells plus enough slack that scrolling fully right still starts on a column boundary."""
        cells = len(self.model.columns) * self._cell_width
        overflow = cells - max(0, self.scrollable_content_region.width - self.left_width)
        slack = -overflow % self._cell_width if overflow > 0 else 0
        self.virtual_size = Size(self.left_width + cells + slack, HEADER_LINES + len(self.rows))

    def on_resize(self) -> None:
        self._resize_virtual()

    def _scroll_cursor_into_view(self) -> None:
        region = self.scrollable_content_region
        top, left = self.scroll_offset.y, self.scroll_offset.x
        visible_rows = max(1, region.height - HEADER_LINES)
        y = top
        if self.cursor_row < top:
            y = self.cursor_row
        elif self.cursor_row >= top + visible_rows:
            y = self.cursor_row - visible_rows + 1
        cells_width = max(self._cell_width, region.width - self.left_width)
        cell_left = self.cursor_column * self._cell_width
        x = left
        if cell_left < left:
            x = cell_left
        elif cell_left + self._cell_width > left + cells_width:  # scroll right by whole columns
            x = -(-(cell_left + self._cell_width - cells_width) // self._cell_width) * self._cell_width
        if (x, y) != (left, top):
            self.scroll_to(x, y, animate=False, immediate=True)

    def _refresh_screen_line(self, y: int) -> None:
        if 0 <= y < self.size.height:
            self.refresh(Region(0, y, self.size.width, 1))

    # -- styles ----------------------------------------------------------------------------------
    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._styles = None
        self._style_generation += 1
        self._lines.clear()

    def _ensure_styles(self) -> None:
        """Build the per-state segments once per theme (and cell width), not once per line."""
        if self._styles is None:
            base = self._base = self.rich_style
            self._styles = {component: base + self.get_component_rich_style(component)
                            for component in self.COMPONENT_CLASSES}
            self._styles.update((state_component(state), base + self._state_style(state)) for state in CellState)
            self._cells_width = -1
        if self._cells_width != self._cell_width:
            width, cursor = self._cell_width, self._styles["status-grid--cursor"]
            pad_left = (width - 1) // 2
            self._cells = []
            for state in CellState:
                text = " " * pad_left + GLYPHS[state] + " " * (width - pad_left - 1)
                style = self._styles[state_component(state)]
                self._cells.append((Segment(text, style), Segment(text, style + cursor)))
            self._cells_width = width

    def _state_style(self, state: CellState) -> Style:
        """A state's colour is its theme variable (`$status-ready` …), read here rather than through
        a component class each: nine more of those made every restyle of the grid (at start-up, on
        each focus change) cost a twentieth of the app's first frame."""
        if state is CellState.NOT_SELECTED:
            return self.get_component_rich_style("status-grid--dim")
        variable = STATUS_VARIABLES[state]
        colour = Color.parse(self.app.theme_variables.get(variable, STATUS_DEFAULTS[variable]))
        return Style(color=colour.rich_color, bold=state in BOLD_STATES)

    def _style(self, name: str) -> Style:
        return self._styles[name]  # type: ignore[index]

    # -- rendering -------------------------------------------------------------------------------
    def render_line(self, y: int) -> Strip:
        self._ensure_styles()
        width = self.size.width
        scroll_x, scroll_y = self.scroll_offset
        if y == 0:
            key: tuple = ("header", self.cursor_column, scroll_x, width, self._style_generation, self._seen_columns)
            build = self._header_line
        elif y == 1:
            key = ("summary", self.cursor_column, scroll_x, width, self._style_generation, self._summary_generation)
            build = self._summary_line
        else:
            position = scroll_y + y - HEADER_LINES
            if position >= len(self.rows):
                return Strip.blank(width, self._base)
            row = self.model.row(self.rows[position])
            cursor = self.cursor_column if position == self.cursor_row else -1
            key = (row.key, row.version, cursor, scroll_x, width, self._style_generation)
            cached = self._lines.get(key)
            if cached is None:
                cached = self._lines[key] = self._row_line(row, cursor, scroll_x, width)
            return cached
        cached = self._lines.get(key)
        if cached is None:
            cached = self._lines[key] = build(scroll_x, width)
        return cached

    def _visible_columns(self, scroll_x: int, width: int) -> tuple[int, int, int, int]:
        """(first column, end column, offset into the first, width of the cells area)."""
        cells_width = max(0, width - self.left_width)
        first, offset = divmod(scroll_x, self._cell_width)
        end = min(len(self.model.columns), first + (cells_width + offset) // self._cell_width + 1)
        return first, end, offset, cells_width

    def _join(self, left: list[Segment], cells: list[Segment], scroll_x: int, width: int) -> Strip:
        first, end, offset, cells_width = self._visible_columns(scroll_x, width)
        base = self._base
        area = Strip(cells, (end - first) * self._cell_width).crop(offset, offset + cells_width)
        line = Strip.join([Strip(left, self.left_width), area.extend_cell_length(cells_width, base)])
        return line.crop(0, width).extend_cell_length(width, base)

    def _summary_segments(self, counts: dict[CellState, int], width: int) -> list[Segment]:
        """`✖2 ↯3 ✓147`, worst first, each part in its state's colour, fitted to `width`."""
        segments, used = [], 0
        for state, n in counts.items():
            text = f"{GLYPHS[state]}{_count(n)} "
            if used + len(text) > width:
                break
            segments.append(Segment(text, self._style(state_component(state))))
            used += len(text)
        segments.append(Segment(" " * (width - used), self._base))
        return segments

    def _row_line(self, row: Row, cursor: int, scroll_x: int, width: int) -> Strip:
        label = self._style("status-grid--cursor-row" if cursor >= 0 else "status-grid--label")
        left = [Segment(_fit(" " + row.title, self._name_width), label),
                Segment(_fit(row.kind, self._kind_width), self._style("status-grid--dim")),
                *self._summary_segments(summarize(row.states)[1], SUMMARY_WIDTH)]
        first, end, _, _ = self._visible_columns(scroll_x, width)
        table = self._cells
        cells = [table[state][0] for state in row.states[first:end]]
        if first <= cursor < end:
            cells[cursor - first] = table[row.states[cursor]][1]
        return self._join(left, cells, scroll_x, width)

    def _header_line(self, scroll_x: int, width: int) -> Strip:
        header, dim = self._style("status-grid--header"), self._style("status-grid--unknown")
        cursor = self._style("status-grid--cursor-row")
        left = [Segment(_fit(" WORKLOAD", self._name_width) + _fit("KIND", self._kind_width)
                        + _fit("SUMMARY", SUMMARY_WIDTH), header)]
        first, end, _, _ = self._visible_columns(scroll_x, width)
        cells = []
        for j in range(first, end):
            column = self.model.columns[j]
            style = dim if column.connection in OFFLINE_CONNECTIONS else header
            cells.append(Segment(_fit(column.name, self._cell_width - 1, "^") + " ",
                                 style + cursor if j == self.cursor_column else style))
        return self._join(left, cells, scroll_x, width)

    def _summary_line(self, scroll_x: int, width: int) -> Strip:
        model, dim = self.model, self._style("status-grid--dim")
        shown = f" {len(self.rows)} of {model.row_count} workloads" if self.filter else f" {model.row_count} workloads"
        rows = self.rows if self.filter is not None else None
        if rows is None:
            totals = model.totals()
        else:
            counted: Counter[int] = Counter()
            for index in rows:
                counted.update(model.row(index).states)  # counts in C, not per cell in Python
            totals = {CellState(s): counted[s] for s in sorted(counted, reverse=True) if s}
        left = [Segment(_fit(shown, self._name_width + self._kind_width), dim),
                *self._summary_segments(totals, SUMMARY_WIDTH)]
        first, end, _, _ = self._visible_columns(scroll_x, width)
        cells = []
        for j in range(first, end):
            worst, counts = model.summary_column(j, rows)
            text = f"{GLYPHS[worst]}{_count(counts[worst])}" if counts else ""
            cells.append(Segment(_fit(text, self._cell_width - 1, "^") + " ", self._style(state_component(worst))))
        return self._join(left, cells, scroll_x, width)
