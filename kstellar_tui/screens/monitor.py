"""The live monitor: every workload on every WEC, the WEC chips, the event log and the explain pane.

Diffs arrive as `LiveMonitorScreen.GridUpdated` messages, posted from any thread by the feed; each
is applied to the GridModel at once (microseconds) and painted right after, unless the last repaint
for diffs is less than half a tick (`refresh_hz`) old: then at that time, so a burst of diffs costs
one frame. The screen does no I/O itself: explaining,
reading YAML, deleting, redeploying and editing go through the feed in workers; each change is
offered only when the feed can make it and the app is not read-only, and each is confirmed.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from textual import work
from textual.actions import SkipAction
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.content import Content
from textual.message import Message
from textual.screen import Screen
from textual.widgets import ContentSwitcher, Header, Input, Static

from kstellar_tui.core.fleet.gridmodel import (
    SORT_KEYS, Column, Feed, FilterError, GridDiff, GridModel, Row, parse_filter,
)
from kstellar_tui.core.fleet.states import CellState, summarize
from kstellar_tui.themes import STATUS_VARIABLES
from kstellar_tui.widgets.cluster_strip import ClusterStrip
from kstellar_tui.widgets.detail_pane import DetailPane
from kstellar_tui.widgets.event_log import EventLog
from kstellar_tui.widgets.footer import Footer
from kstellar_tui.widgets.status_grid import StatusGrid

if TYPE_CHECKING:  # imported where first used: the first frame needs neither
    from textual.widgets import DataTable

    from kstellar_tui.screens.edit import ObjectEditor

SORT_ORDER = tuple(SORT_KEYS)
VIEWS = ("grid", "wecs", "events")
# The changes, and the feed methods each needs; none is offered read-only or by a feed without them.
MUTATIONS = {"delete": ("delete",), "delete_policy": ("explain", "delete"), "redeploy": ("redeploy",),
             "edit": ("get_yaml", "apply_yaml")}
GRID_ACTIONS = frozenset({"filter", "sort", "reverse_sort", *MUTATIONS})  # offered only while the grid shows
SEPARATOR = "  │  "
CLOCK_SECONDS = 1.0
DIFF_PAINT_GAP = 0.5
"""Repaints for diffs are at least this many ticks (1/refresh_hz) apart. Less than one: diffs come
once a tick (the ingest child's rhythm), and a gap of a whole tick would keep whatever delay the
first of them had for all the others (half a tick on average, as with a plain tick timer)."""
WEC_COLUMNS = ("WEC", "connection", "available", "events/s", "since", "labels", "detail")
FILTER_HELP = "filter: regex on namespace/name kind · !regex excludes · -l app=payments selects by label"


class LiveMonitorScreen(Screen):
    """Grid of workloads × WECs fed by GridDiffs; see the module docstring."""

    class GridUpdated(Message):
        """One GridDiff for the monitor; diffs are partial, so none may replace another."""

        def __init__(self, diff: GridDiff) -> None:
            super().__init__()
            self.diff = diff

    ESCAPE_TO_MINIMIZE = False  # escape goes through action_back, which knows the views

    BINDINGS = [
        Binding("slash", "filter", "Filter", id="grid.filter", tooltip=FILTER_HELP),
        Binding("s", "sort", "Sort", id="grid.sort", tooltip="Sort by namespace, name, kind or worst state"),
        Binding("S", "reverse_sort", "Reverse sort", show=False, id="grid.sort_reverse"),
        Binding("ctrl+d", "delete", "Delete", id="grid.delete", tooltip="Delete this workload from the WDS"),
        Binding("e", "edit", "Edit", id="grid.edit", tooltip="Edit this workload in $EDITOR; applied on save"),
        Binding("ctrl+r", "redeploy", "Redeploy", id="grid.redeploy",
                tooltip="Delete this workload and create it again from the same spec"),
        Binding("D", "delete_policy", "Delete policy", show=False, id="grid.delete_policy",
                tooltip="Delete the BindingPolicy that places this workload on this WEC"),
        Binding("escape", "back", "Back", show=False, id="monitor.back"),
    ]

    def __init__(self, feed: Feed, *, refresh_hz: float = 4.0, read_only: bool = False,
                 clock: Callable[[], float] = time.time) -> None:
        super().__init__()
        self.feed = feed
        self.model = GridModel()
        self.refresh_hz = refresh_hz
        self.read_only = read_only
        self._clock = clock
        self._pending_events: list[tuple[float, str, str]] = []
        self._pending_dropped = 0  # events the feed counted but did not send
        self._connections: dict[str, str] = {}  # cluster -> connection, to log transitions
        self._seen_columns = -1
        self._filter_error = ""
        self._cursor_text: tuple = ()
        self._view = "grid"
        self._editor: ObjectEditor | None = None  # made on the first edit; it remembers failed attempts
        self._diffs_painted_at = 0.0  # time.monotonic() of the last repaint for diffs
        self._flush_due = False  # one is scheduled

    def compose(self) -> ComposeResult:
        """What the first frame shows; the WEC table, the explain pane and the filter box are
        mounted when first used, so start-up does not style widgets no one has asked for."""
        yield Header()
        yield ClusterStrip(clock=self._clock, id="clusters")
        with Horizontal(id="monitor-main"):
            with ContentSwitcher(initial="grid", id="views"):
                yield StatusGrid(self.model, id="grid")
        yield Static(id="cursor-info")
        yield EventLog(id="events")
        yield Footer()

    def on_mount(self) -> None:
        # for what changes without diffs (the WEC chips' "5s ago"), never more often than refresh_hz
        self.set_interval(max(CLOCK_SECONDS, 1 / self.refresh_hz), self.flush)
        self.grid.focus()

    def _wecs_table(self) -> DataTable:
        from textual.widgets import DataTable

        table = self.query_one_optional("#wecs", DataTable)
        if table is None:
            table = DataTable(cursor_type="row", zebra_stripes=True, id="wecs")
            table.display = False  # until the switcher shows it
            for label in WEC_COLUMNS:
                table.add_column(label, key=label)
            self.query_one("#views", ContentSwitcher).mount(table)
        return table

    def _detail_pane(self) -> DetailPane:
        pane = self.query_one_optional(DetailPane)
        if pane is None:
            pane = DetailPane(id="detail")
            self.query_one("#monitor-main").mount(pane)
        return pane

    def _filter_box(self) -> Input:
        box = self.query_one_optional("#filter", Input)
        if box is None:
            box = Input(placeholder=FILTER_HELP, id="filter")
            self.mount(box, after="#cursor-info")
        return box

    @property
    def grid(self) -> StatusGrid:
        return self.query_one("#grid", StatusGrid)

    @property
    def view(self) -> str:
        """What fills the screen: `grid`, `wecs` or `events`."""
        return self._view

    # -- data in ---------------------------------------------------------------------------------
    def on_live_monitor_screen_grid_updated(self, message: GridUpdated) -> None:
        diff = message.diff
        self.grid.mark_dirty(self.model.apply(diff))
        if "columns" in diff:
            self._log_connection_changes(self.model.columns)
        self._pending_events.extend((float(t), str(c), str(text)) for t, c, text in diff.get("events") or ())
        self._pending_dropped += int(diff.get("events_dropped") or 0)
        for problem in diff.get("problems") or ():
            self.notify(str(problem), severity="warning", timeout=10)
        if not self._flush_due:
            self._flush_due = True
            wait = self._diffs_painted_at + DIFF_PAINT_GAP / self.refresh_hz - time.monotonic()
            if wait > 0:
                self.set_timer(wait, self._paint_diffs)
            else:
                self.call_later(self._paint_diffs)  # after the diffs already queued: one frame for them all

    def _paint_diffs(self) -> None:
        self._flush_due, self._diffs_painted_at = False, time.monotonic()
        self.flush()

    def _log_connection_changes(self, columns: list[Column]) -> None:
        now = self._clock()
        for column in columns:
            before = self._connections.get(column.name)
            if before is not None and before != column.connection:
                detail = f": {column.detail}" if column.detail else ""
                self._pending_events.append((now, column.name, f"{before or 'hub'} → {column.connection or 'hub'}{detail}"))
            self._connections[column.name] = column.connection

    def flush(self) -> None:
        """Repaint what changed since the last repaint."""
        self.grid.flush()
        self.query_one(ClusterStrip).show(self.model.columns)
        if self._seen_columns != self.model.columns_version:
            self._seen_columns = self.model.columns_version
            if self.view == "wecs":
                self._fill_wecs()
        if self._pending_events or self._pending_dropped:
            self.query_one(EventLog).append_many(self._pending_events, dropped_upstream=self._pending_dropped)
            self._pending_events, self._pending_dropped = [], 0
        self._show_cursor_info()

    def _fill_wecs(self) -> None:
        """The WEC table; updated in place while the WECs stay the same, so its cursor stays put."""
        table = self._wecs_table()
        rows = {c.name: _wec_row(c) for c in self.model.columns}
        if [key.value for key in table.rows] != list(rows):
            table.clear()
            for name, values in rows.items():
                table.add_row(*values, key=name)
            return
        for name, values in rows.items():
            for label, value in zip(WEC_COLUMNS, values):
                if table.get_cell(name, label) != value:
                    table.update_cell(name, label, value)

    # -- the line under the grid -----------------------------------------------------------------
    def _show_cursor_info(self) -> None:
        grid = self.grid
        parts: list[str | tuple[str, str]] = [f"sort: {grid.sort}{' ↓' if grid.descending else ''}"]
        if grid.filter is not None:
            parts += [SEPARATOR, f"filter: {grid.filter.text}"]
        if self._filter_error:
            parts += [SEPARATOR, (self._filter_error, "$status-error")]
        cell = grid.cursor_cell
        if cell is not None:
            row, cluster = cell
            state = CellState(row.states[grid.cursor_column])
            parts += [SEPARATOR, (f"{row.kind} {row.title}", "bold"), " on ", (cluster, "bold"), ": "]
            if state:
                parts.append((f"{state.glyph} {state.label}", "$" + STATUS_VARIABLES[state]))
                if message := row.messages.get(cluster):
                    parts.append(f" — {message}")
            else:
                parts.append(("not selected by any BindingPolicy", "$text-muted"))
            counts = summarize(row.states)[1]
            parts += [SEPARATOR, "row: " + (" · ".join(f"{s.label} {n}" for s, n in counts.items()) or "not placed")]
        content = Content.assemble(*parts)  # text from clusters and users: spans, never markup
        if (content.plain, content.spans) != self._cursor_text:
            self._cursor_text = (content.plain, content.spans)
            self.query_one("#cursor-info", Static).update(content)

    def on_status_grid_cell_highlighted(self, message: StatusGrid.CellHighlighted) -> None:
        self._show_cursor_info()

    # -- explain ---------------------------------------------------------------------------------
    def on_status_grid_cell_selected(self, message: StatusGrid.CellSelected) -> None:
        detail = self._detail_pane()
        detail.display = True
        detail.show_loading(f"{message.row.kind} {message.row.title}", message.cluster)
        self.explain(message.row_key, message.cluster, f"{message.row.kind} {message.row.title}")

    @work(exclusive=True, group="explain")
    async def explain(self, row_key: str, cluster: str, workload: str) -> None:
        """The chain first (the store answers at once), then the YAML in the WDS and on the WEC."""
        detail = self._detail_pane()
        try:
            explanation: dict[str, Any] = await self.feed.explain(row_key, cluster)
        except Exception as exc:  # the feed talks to clusters: any failure is shown, not raised
            detail.show_error(workload, cluster, str(exc) or type(exc).__name__)
            return
        detail.show(explanation)
        get_yaml = getattr(self.feed, "get_yaml", None)
        if get_yaml is None:
            return
        try:
            found = await get_yaml(row_key, cluster)
        except Exception as exc:  # e.g. the object left the WDS meanwhile
            detail.show({**explanation, "yaml": f"# could not read the YAML: {exc}"})
        else:
            detail.show({**explanation, "yaml": _yaml_text(found)})

    # -- filter and sort -------------------------------------------------------------------------
    def action_filter(self) -> None:
        box = self._filter_box()
        box.display = True
        box.focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "filter":
            event.stop()
            self.set_filter(event.value)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "filter":
            event.stop()
            event.input.display = False
            self.grid.focus()

    def set_filter(self, text: str) -> bool:
        """Filter the grid; on a bad filter keep the last good one, show why and return False."""
        box = self._filter_box()
        if box.value != text:
            box.value = text  # also fires Input.Changed, which lands back here with the same text
        try:
            row_filter = parse_filter(text)
        except FilterError as exc:
            self._filter_error = str(exc)
            box.add_class("-invalid")
            self._show_cursor_info()
            return False
        self._filter_error = ""
        box.remove_class("-invalid")
        self.grid.set_filter(row_filter)
        self._show_cursor_info()
        return True

    def action_sort(self) -> None:
        self.set_sort(SORT_ORDER[(SORT_ORDER.index(self.grid.sort) + 1) % len(SORT_ORDER)])

    def action_reverse_sort(self) -> None:
        self.set_sort(self.grid.sort, descending=not self.grid.descending)

    def set_sort(self, key: str, descending: bool = False) -> bool:
        if key not in SORT_KEYS:
            return False
        self.grid.set_sort(key, descending)
        self._show_cursor_info()
        return True

    # -- views and going back --------------------------------------------------------------------
    def show_view(self, name: str) -> None:
        """`grid`, `wecs` (the WEC table) or `events` (the event log, full screen)."""
        if self.maximized is not None:
            self.minimize()
        self._view = name
        self.refresh_bindings()  # the grid's keys come and go with the grid
        if name == "events":
            self.maximize(self.query_one(EventLog))
            return
        if name == "wecs":
            self._fill_wecs()
        self.query_one("#views", ContentSwitcher).current = name
        self.query_one("#" + name).focus()

    def action_back(self) -> None:
        """Close what is open, innermost first; with nothing open, let the app go back."""
        detail = self.query_one_optional(DetailPane)
        box = self.query_one_optional("#filter", Input)
        if detail is not None and detail.display:
            detail.display = False
        elif box is not None and (box.display or self.grid.filter is not None or self._filter_error):
            box.display = False
            self.set_filter("")
            self.grid.focus()
        elif self.maximized is not None or self._view != "grid":
            self.show_view("grid")
        else:
            raise SkipAction()

    # -- changes: delete, redeploy, edit ---------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in GRID_ACTIONS and self._view != "grid":
            return False
        if action in MUTATIONS:
            return not self.read_only and all(callable(getattr(self.feed, m, None)) for m in MUTATIONS[action])
        return True

    def _cursor_row(self) -> Row | None:
        cell = self.grid.cursor_cell
        return None if cell is None else cell[0]

    def action_delete(self) -> None:
        if (row := self._cursor_row()) is not None:
            self._confirm(f"{row.kind} {row.title}", row.name, row.key, "delete",
                          "It is removed from the WDS, and KubeStellar removes it from every WEC it was sent to.")

    def action_redeploy(self) -> None:
        if (row := self._cursor_row()) is not None:
            self._confirm(f"{row.kind} {row.title}", row.name, row.key, "redeploy",
                          "It is deleted from the WDS (and so from every WEC), then created again from "
                          "the same spec once the delete has finished.")

    def _confirm(self, what: str, name: str, key: str, verb: str, consequence: str) -> None:
        from kstellar_tui.screens.confirm import ConfirmDeleteScreen

        def confirmed(yes: bool | None) -> None:
            if yes:
                self.change(verb, key, what)

        self.app.push_screen(ConfirmDeleteScreen(what, name, consequence=consequence, verb=verb.capitalize()),
                             confirmed)

    @work(group="change")
    async def change(self, verb: str, key: str, what: str) -> None:
        """`delete` or `redeploy` through the feed; the grid shows the effect as the watches see it."""
        self.notify(f"{verb}: {what}…", timeout=3)
        try:
            done = await getattr(self.feed, verb)(key)
        except Exception as exc:  # a refused request is reported; nothing else changes
            self.notify(f"could not {verb} {what}: {exc}", severity="error", timeout=15)
        else:
            self.notify("; ".join(done or ()) or f"{verb}: {what} done")

    @work(exclusive=True, group="delete-policy")
    async def action_delete_policy(self) -> None:
        """The policies that select this cell come from its explanation; with several, the user picks one."""
        from kstellar_tui.core.fleet.store import KS_GROUP, row_key  # on use: the store costs 17 ms of start-up
        from kstellar_tui.screens.prompt import PromptScreen

        cell = self.grid.cursor_cell
        if cell is None:
            return
        row, cluster = cell
        try:
            chain = (await self.feed.explain(row.key, cluster)).get("chain") or ()
        except Exception as exc:  # the feed talks to clusters
            self.notify(f"could not find the policies of {row.title}: {exc}", severity="error")
            return
        names = [step["name"] for step in chain if step.get("step") == "BindingPolicy" and step.get("ok")]
        if not names:
            self.notify(f"no BindingPolicy places {row.kind} {row.title} on {cluster}", severity="warning")
            return
        name = names[0] if len(names) == 1 else await self.app.push_screen_wait(
            PromptScreen("delete BindingPolicy:", suggestions=names, placeholder=" or ".join(names)))
        if name not in names:
            if name:
                self.notify(f"{name!r} does not place this workload here (that would be {', '.join(names)})",
                            severity="warning")
            return
        self._confirm(f"BindingPolicy {name}", name, row_key(KS_GROUP, "bindingpolicies", "", name), "delete",
                      f"KubeStellar removes what it placed ({row.kind} {row.title} on {cluster} among them) from "
                      "every WEC where no other BindingPolicy still selects it.")

    @work(exclusive=True, group="edit")
    async def action_edit(self) -> None:
        from kstellar_tui.screens.edit import ObjectEditor

        row = self._cursor_row()
        if row is None:
            return
        self._editor = self._editor or ObjectEditor(self.feed)
        result = await self._editor.edit(self.app, row.key, f"{row.kind} {row.title}")
        self.notify(result.message, severity=result.severity, timeout=30 if result.severity == "error" else 5)


def _yaml_text(found: dict) -> str:
    """The explain pane's YAML: the WDS object, then the WEC's copy (or why there is none)."""
    wds, wec = found.get("wds") or {}, found.get("wec")
    parts = [f"# in the WDS ({wds.get('context', '')})\n{wds.get('yaml', '')}"]
    if wec:
        parts.append(f"# on the WEC ({wec.get('context', '')})\n" + (wec.get("yaml") or f"# {wec.get('error', '')}\n"))
    return "\n".join(parts)


def _wec_row(column: Column) -> tuple[str, ...]:
    since = time.strftime("%H:%M:%S", time.localtime(column.since)) if column.since else ""
    rate = "" if column.events_per_s is None else f"{column.events_per_s:.0f}"
    labels = ",".join(f"{k}={v}" for k, v in sorted(column.labels.items()))
    return (column.name, column.connection or "hub-reported", column.available, rate, since, labels, column.detail)
