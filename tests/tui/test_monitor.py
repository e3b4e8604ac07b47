"""The live monitor with Pilot: the grid follows diffs, moves, filters, sorts, explains, deletes."""

from __future__ import annotations

import threading

from textual.geometry import Region

from kstellar_tui.app import KStellarApp
from kstellar_tui.config import Config
from kstellar_tui.core.fleet.gridmodel import GridModel

from kstellar_tui.core.fleet.states import GLYPHS, CellState
from kstellar_tui.screens.confirm import ConfirmDeleteScreen
from kstellar_tui.widgets.detail_pane import DetailPane
from kstellar_tui.widgets.event_log import EventLog
from kstellar_tui.widgets.status_grid import HEADER_LINES, StatusGrid
from tests.tui.conftest import SIZE, make_app, started, wait_until


def cell_text(grid: StatusGrid, position: int, column: int) -> str:
    """The character the grid shows for a cell, read from the rendered line."""
    y = HEADER_LINES + position - grid.scroll_offset.y
    x = grid.left_width + column * grid.cell_width - grid.scroll_offset.x + (grid.cell_width - 1) // 2
    return grid.render_line(y).text[x]


async def test_grid_shows_the_first_diff_and_follows_later_ones():
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        grid, model = app.monitor.grid, app.monitor.model
        assert (model.row_count, len(model.columns)) == (60, 12)
        assert grid.render_line(0).text.startswith(" WORKLOAD")
        row = model.row(grid.rows[0])
        assert [cell_text(grid, 0, j) for j in range(5)] == [GLYPHS[s] for s in row.states[:5]]

        # Push a diff that changes the first shown row's first cell to Error, as a feed would.
        app.monitor.post_message(app.monitor.GridUpdated({"cells": [[row.key, "cluster1", CellState.ERROR, "boom"]]}))
        await wait_until(pilot, lambda: cell_text(grid, 0, 0) == GLYPHS[CellState.ERROR])
        assert "✖" in grid.render_line(1).text  # the column summary saw it too


async def test_a_tick_repaints_only_visible_rows_that_changed():
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        grid, model = app.monitor.grid, app.monitor.model
        repainted: list[Region] = []
        original = grid.refresh
        grid.refresh = lambda *regions, **kw: (repainted.extend(regions), original(*regions, **kw))[1]
        visible, hidden = model.row(grid.rows[3]), model.row(grid.rows[-1])  # 60 rows, ~30 visible
        grid.mark_dirty(model.apply({"cells": [[visible.key, "cluster1", CellState.MISSING, ""],
                                               [hidden.key, "cluster1", CellState.MISSING, ""]]}))
        grid.flush()
        assert sorted(r.y for r in repainted) == [1, HEADER_LINES + 3]  # column summaries, that row
        assert all(r.height == 1 for r in repainted)

        repainted.clear()  # a WEC's connection changed, its cells did not: only the header line
        columns = [{"name": c.name, "connection": "offline" if c.name == "cluster1" else c.connection}
                   for c in model.columns]
        grid.mark_dirty(model.apply({"columns": columns}))
        grid.flush()
        assert [r.y for r in repainted] == [0]


async def test_cursor_moves_both_ways_and_scrolls_with_sticky_headers():
    app = make_app(clusters=40, workloads=200)
    messages = []
    async with app.run_test(size=SIZE, message_hook=messages.append) as pilot:
        await started(pilot)
        grid = app.monitor.grid
        await pilot.press("down", "down", "right")
        assert (grid.cursor_row, grid.cursor_column) == (2, 1)
        await pilot.press("pagedown", "pagedown")
        assert grid.scroll_offset.y > 0
        top = grid.scroll_offset.y
        visible = grid.scrollable_content_region.height - HEADER_LINES
        assert top <= grid.cursor_row < top + visible
        assert grid.render_line(0).text.startswith(" WORKLOAD")  # header stays
        for _ in range(30):
            await pilot.press("l")
        assert grid.cursor_column == 31 and grid.scroll_offset.x > 0
        cells_width = grid.size.width - grid.left_width
        left = grid.cursor_column * grid.cell_width
        assert grid.scroll_offset.x <= left and left + grid.cell_width <= grid.scroll_offset.x + cells_width
        assert grid.render_line(5).text.startswith(" " + app.monitor.model.row(grid.rows[top + 3]).title[:10])
        await pilot.press("G")
        assert grid.cursor_row == 199 and grid.scroll_offset.y == grid.max_scroll_y
        await pilot.press("g", "h")
        assert (grid.cursor_row, grid.cursor_column, grid.scroll_offset.y) == (0, 30, 0)
        highlighted = [m for m in messages if isinstance(m, StatusGrid.CellHighlighted)]
        assert highlighted[-1].cluster == "cluster31" and highlighted[-1].row_key == grid.cursor_cell[0].key


async def test_filter_as_you_type_bad_filters_keep_the_last_good_one_escape_clears():
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        grid, model = app.monitor.grid, app.monitor.model
        await pilot.press("slash", *"payments")
        assert len(grid.rows) == 12
        assert all(model.row(i).namespace == "payments" for i in grid.rows)
        assert grid.render_line(1).text.startswith(" 12 of 60 workloads")
        await pilot.press("(")  # "payments(" is not a regex
        assert len(grid.rows) == 12
        assert app.query_one("#filter").has_class("-invalid")
        assert "regex" in str(app.query_one("#cursor-info").content)
        await pilot.press("backspace", "enter")
        assert grid.has_focus and not app.query_one("#filter").display
        await pilot.press("escape")
        assert len(grid.rows) == 60 and grid.filter is None


async def test_label_selector_and_inverted_filters():
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        monitor = app.monitor
        assert monitor.set_filter("-l app=web,tier=frontend")
        assert {(monitor.model.row(i).labels["app"], monitor.model.row(i).labels["tier"])
                for i in monitor.grid.rows} == {("web", "frontend")}
        assert monitor.set_filter("!deployment")
        assert all(monitor.model.row(i).kind != "Deployment" for i in monitor.grid.rows)
        assert not monitor.set_filter("-l app in")


async def test_sort_cycles_and_state_sort_puts_the_worst_first():
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        grid, model = app.monitor.grid, app.monitor.model
        names = lambda: [model.row(i).name for i in grid.rows]  # noqa: E731
        await pilot.press("s")
        assert grid.sort == "name" and names() == sorted(names())
        await pilot.press("s", "s")
        assert grid.sort == "state"
        worst = [max(model.row(i).states) for i in grid.rows]
        assert worst == sorted(worst, reverse=True)
        await pilot.press("S")
        assert [max(model.row(i).states) for i in grid.rows] == sorted(worst)


async def test_cursor_stays_on_its_workload_when_the_order_changes():
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        grid = app.monitor.grid
        await pilot.press("down", "down", "down")
        key = grid.cursor_cell[0].key
        await pilot.press("s")
        assert grid.cursor_cell[0].key == key


async def test_enter_explains_the_cell_from_the_feed():
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        row, cluster = app.monitor.grid.cursor_cell
        await pilot.press("enter")
        pane = app.query_one(DetailPane)
        await wait_until(pilot, lambda: "BindingPolicy" in pane.text)
        assert pane.display
        assert f"{row.kind} {row.title} on {cluster}" in pane.text
        assert f"name: {row.name}" in pane.text  # the YAML
        await pilot.press("escape")
        assert not pane.display


async def test_a_failing_explain_is_shown_not_raised():
    app = make_app()

    async def broken(row_key, cluster):
        raise ConnectionError("wds1 unreachable")

    app.feed.explain = broken
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        await pilot.press("enter")
        pane = app.query_one(DetailPane)
        await wait_until(pilot, lambda: "wds1 unreachable" in pane.text)


async def test_delete_asks_for_the_name_and_then_the_row_goes():
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        grid = app.monitor.grid
        row = grid.cursor_cell[0]
        await pilot.press("ctrl+d")
        assert isinstance(app.screen, ConfirmDeleteScreen)
        await pilot.press(*"wrong", "enter")
        assert isinstance(app.screen, ConfirmDeleteScreen)  # Enter does nothing until the name matches
        assert app.screen.query_one("#confirm-delete").disabled
        await pilot.press(*["backspace"] * 5, *row.name)
        assert not app.screen.query_one("#confirm-delete").disabled
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.monitor.model.index_of(row.key) is None and len(grid.rows) == 59)


async def test_delete_can_be_cancelled():
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        await pilot.press("ctrl+d")
        await pilot.press(*app.monitor.grid.cursor_cell[0].name, "escape")
        assert app.screen is app.monitor and app.monitor.model.row_count == 60


async def test_read_only_offers_no_delete():
    app = make_app(read_only=True)
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        await pilot.press("ctrl+d")
        assert app.screen is app.monitor
        assert "read-only" in app.sub_title


async def test_event_log_batches_lines_and_counts_what_it_dropped():
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        log = app.query_one(EventLog)
        app.feed.advance()
        await wait_until(pilot, lambda: log.line_count == 12)  # one line per changed cell
        assert all(line.startswith("15:06:41 cluster") and " MODIFIED " in line for line in log.lines())
        log.append_many((1.0, "cluster1", f"event {n}") for n in range(log.capacity + 5))
        assert (log.line_count, log.dropped) == (log.capacity, 17)
        assert log.border_subtitle == "17 dropped"
        assert log.lines()[-1].endswith(f"event {log.capacity + 4}")

        # What the producer counted but did not send adds to the count, as do its problems.
        app.monitor.post_message(app.monitor.GridUpdated({"events_dropped": 1000, "problems": ["its1: 403"]}))
        await wait_until(pilot, lambda: log.border_subtitle == "1,017 dropped")
        assert any(n.message == "its1: 403" for n in app._notifications)


async def test_offline_wecs_are_counted_in_the_strip_and_logged():
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        for _ in range(15):  # the demo feed takes a WEC offline every 15 steps
            app.feed.advance()
        strip = app.query_one("#clusters")
        await wait_until(pilot, lambda: "1 offline" in str(strip.content))
        assert "offline since" in str(strip.content)
        log = app.query_one(EventLog)
        await wait_until(pilot, lambda: any("synced → offline" in line for line in log.lines()))


async def test_wecs_and_events_views_and_back():
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        await app.run_command(":wecs")
        await pilot.pause()
        table = app.query_one("#wecs")
        assert app.monitor.view == "wecs" and table.row_count == 12
        await pilot.press("escape")
        assert app.monitor.view == "grid" and app.monitor.grid.has_focus
        await app.run_command("events")
        await pilot.pause()
        assert app.monitor.view == "events"
        await pilot.press("escape")
        assert app.monitor.view == "grid"


async def test_diffs_posted_from_another_thread_arrive_in_order():
    """The ingest side may call `post` from its own thread, as the Feed protocol allows."""
    class ThreadedFeed:
        def __init__(self):
            self.demo = make_app().feed

        async def start(self, post):
            def produce():
                post(self.demo.initial_diff())
                for _ in range(20):
                    post(self.demo.next_diff())

            self.thread = threading.Thread(target=produce)
            self.thread.start()

        async def stop(self):
            self.thread.join()

        async def explain(self, row_key, cluster):
            return {}

    expected = make_app().feed  # the same deterministic sequence, applied here directly
    model = GridModel()
    for diff in [expected.initial_diff(), *(expected.next_diff() for _ in range(20))]:
        model.apply(diff)
    cells = lambda m: [bytes(m.row(i).states) for i in range(m.row_count)]  # noqa: E731

    app = KStellarApp(ThreadedFeed(), config=Config(refresh_hz=30))
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        await wait_until(pilot, lambda: cells(app.monitor.model) == cells(model))
        assert app.monitor.model.columns == model.columns


async def test_a_diff_after_a_quiet_spell_is_painted_without_waiting_for_the_tick():
    app = make_app(config=Config(refresh_hz=0.5))  # a tick of two seconds
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.monitor is not None and app.monitor.model.row_count > 0)
        await wait_until(pilot, lambda: bool(app.monitor.grid.rows), timeout=1.0)  # well before the tick


async def test_wec_table_updates_in_place_and_keeps_its_cursor():
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        await app.run_command(":wecs")
        table = app.query_one("#wecs")
        await pilot.press("down", "down", "down")
        for _ in range(15):  # cluster2 goes offline at step 15
            app.feed.advance()
        await wait_until(pilot, lambda: table.get_cell("cluster2", "connection") == "offline")
        assert table.cursor_row == 3 and table.row_count == 12


async def test_text_from_users_and_clusters_is_never_read_as_markup():
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        row, cluster = app.monitor.grid.cursor_cell
        app.monitor.post_message(app.monitor.GridUpdated(
            {"cells": [[row.key, cluster, CellState.ERROR, "denied: [b]not bold[/b] [$x]"]]}))
        await pilot.press("slash", *"[d]ata")  # a regex that reads like markup
        info = app.query_one("#cursor-info")
        await wait_until(pilot, lambda: "[b]not bold[/b] [$x]" in str(info.visual))
        assert "filter: [d]ata" in str(info.visual)


async def test_click_moves_the_cursor_and_a_second_click_explains():
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        grid = app.monitor.grid
        offset = (grid.left_width + 3 * grid.cell_width + 1, HEADER_LINES + 4)
        await pilot.click(grid, offset=offset)
        assert (grid.cursor_row, grid.cursor_column) == (4, 3)
        await pilot.click(grid, offset=offset)
        await wait_until(pilot, lambda: "cluster4" in app.query_one(DetailPane).text)
