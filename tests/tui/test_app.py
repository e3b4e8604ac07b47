"""The app shell with Pilot: help, keymap from config, themes, `:` commands, palette, screenshots."""

from __future__ import annotations

from kstellar_tui import locations
from kstellar_tui.app import KStellarApp, command_usages
from kstellar_tui.config import Config
from kstellar_tui.core.fleet.states import CellState
from kstellar_tui.screens.help import HelpScreen
from kstellar_tui.screens.prompt import PromptScreen
from kstellar_tui.themes import STATUS_VARIABLES
from tests.tui.conftest import SIZE, make_app, started, wait_until


def help_entries(app: KStellarApp) -> dict[str, tuple[str, str]]:
    """binding id -> (keys, description) as the help screen lists them."""
    assert isinstance(app.screen, HelpScreen)
    return {e.binding_id: (e.keys, e.description) for e in app.screen.entries if e.binding_id}


async def test_help_lists_the_live_bindings_and_commands():
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        await pilot.press("question_mark")
        entries = help_entries(app)
        assert entries["grid.filter"] == ("/", "Filter")
        assert entries["grid.explain"][1] == "Explain"
        assert entries["grid.cursor_up"][0] == "↑ k"
        assert entries["grid.delete"][0] == "^d"
        assert entries["app.quit"] == ("q", "Quit")
        assert entries["app.command"][0] == ":"
        assert app.screen.commands == command_usages()
        table = app.screen.query_one("#help-table")
        assert table.row_count == len(app.screen.entries) + len(command_usages())
        await pilot.press("escape")
        assert app.screen is app.monitor


async def test_help_in_read_only_mode_has_no_delete():
    app = make_app(read_only=True)
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        await pilot.press("question_mark")
        assert "grid.delete" not in help_entries(app)


async def test_keymap_from_config_remaps_keys_and_help_shows_them():
    config = Config(refresh_hz=30, keymap={"grid.filter": "f", "app.help": "f1", "grid.explain": "enter,e"})
    app = make_app(config=config)
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        await pilot.press("f")
        assert app.query_one("#filter").has_focus
        await pilot.press("escape")
        await pilot.press("question_mark")
        assert app.screen is app.monitor  # ? no longer opens help
        await pilot.press("f1")
        entries = help_entries(app)
        assert entries["grid.filter"][0] == "f" and entries["app.help"][0] == "f1"
        assert entries["grid.explain"][0] == "⏎ e"


async def test_unknown_keymap_ids_and_themes_are_reported_at_start():
    config = Config(refresh_hz=30, theme="no-such-theme", keymap={"grid.explian": "e", "setup.run": "r"})
    app = make_app(config=config)
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        notices = [n.message for n in app._notifications]
        assert any("'grid.explian'" in n for n in notices)
        assert not any("setup.run" in n for n in notices)  # another part's screen may define it
        assert any("'no-such-theme'" in n for n in notices)
        assert app.theme == "dark"


async def test_theme_switch_rebuilds_the_grid_colours():
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        grid = app.monitor.grid

        def ready() -> str:  # the colour of a Ready cell as painted
            cells = [segment for y in range(3, 20) for segment in grid.render_line(y) if segment.text.strip() == "✓"]
            return cells[0].style.color.triplet.hex

        assert ready() == app.get_theme("dark").variables[STATUS_VARIABLES[CellState.READY]]
        await app.run_command(":theme light")
        await pilot.pause()
        assert app.theme == "light"
        assert ready() == app.get_theme("light").variables[STATUS_VARIABLES[CellState.READY]]
        assert not await app.run_command("theme nope")


async def test_command_line_runs_commands_and_reports_unknown_ones():
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        await pilot.press("colon")
        assert isinstance(app.screen, PromptScreen)
        await pilot.press(*"sort kind", "enter")
        assert app.screen is app.monitor and app.monitor.grid.sort == "kind"
        await pilot.press("colon", *"filter -l app=ops", "enter")
        assert {app.monitor.model.row(i).namespace for i in app.monitor.grid.rows} == {"ops"}
        await pilot.press("colon", *"frobnicate", "enter")
        assert any("unknown command :frobnicate" in n.message for n in app._notifications)
        await pilot.press("colon", "escape")
        assert app.screen is app.monitor
        assert not await app.run_command(":setup")  # no setup mode registered in this test
        assert not await app.run_command(":theme")  # needs an argument


async def test_modes_added_by_other_parts_open_from_the_command_line():
    from textual.screen import Screen

    class PolicyScreen(Screen):
        shown = None

        def show_policy(self, name):
            PolicyScreen.shown = name

    app = make_app()
    app.add_mode("bindingpolicies", PolicyScreen)
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        assert await app.run_command(":bp payments")
        assert isinstance(app.screen, PolicyScreen) and PolicyScreen.shown == "payments"
        await pilot.press("escape")
        assert app.current_mode == "monitor"


async def test_a_start_mode_is_the_first_screen_and_the_monitor_starts_when_first_shown():
    from textual.screen import Screen
    from textual.widgets import Static

    class SetupScreen(Screen):
        def compose(self):
            yield Static("Step 1 — core components")

    app = make_app(modes={"setup": SetupScreen}, start_mode="setup")
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, SetupScreen))
        await pilot.pause()
        assert app.monitor is None and app.screen_stack == [app.screen]  # no monitor behind it, no feed yet
        await pilot.press("escape")
        await started(pilot)
        assert app.current_mode == "monitor" and app.screen is app.monitor


async def test_screenshot_from_the_key_lands_in_the_data_dir():
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        await pilot.press("ctrl+s")
        shots = list((locations.data_dir() / "screenshots").glob("*.svg"))
        assert len(shots) == 1 and "WORKLOAD" in shots[0].read_text()


async def test_screenshot_from_the_palette():
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        await pilot.press("ctrl+p", *"screenshot")
        await wait_until(pilot, lambda: "Screenshot" in _first_hit(app) or ":screenshot" in _first_hit(app))
        await pilot.press("enter")
        folder = locations.data_dir() / "screenshots"
        await wait_until(pilot, lambda: folder.is_dir() and any(folder.glob("*.svg")))


async def test_palette_finds_workloads_clusters_and_commands():
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        model = app.monitor.model
        target = model.row(model.index_of("apps/statefulsets/web/web-statefulset-0031"))
        await pilot.press("ctrl+p", *"web-statefulset-0031")
        await wait_until(pilot, lambda: "web-statefulset-0031" in _first_hit(app))
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.screen is app.monitor)
        assert app.monitor.grid.cursor_cell[0] is target

        await pilot.press("ctrl+p", *"WEC cluster7")
        await wait_until(pilot, lambda: "cluster7" in _first_hit(app))
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.screen is app.monitor)
        assert app.monitor.grid.cursor_cell[1] == "cluster7"

        await pilot.press("ctrl+p", *":wecs")
        await wait_until(pilot, lambda: ":wecs" in _first_hit(app))
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.monitor.view == "wecs")


def _first_hit(app) -> str:
    from textual.command import CommandList

    lists = app.screen.query(CommandList)
    if not lists or lists.first().option_count == 0:
        return ""
    return str(lists.first().get_option_at_index(0).prompt)


async def test_no_color_keeps_states_readable_by_glyph(monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        assert app.no_color
        line = app.monitor.grid.render_line(2).text
        assert any(glyph in line for glyph in ("✓", "↻", "◌", "↯", "∅", "✖", "~"))


async def test_user_theme_folder_is_loaded_and_hot_reloaded(tmp_path):
    folder = tmp_path / "themes"
    folder.mkdir()
    (folder / "mine.yaml").write_text("primary: '#123456'\nvariables: {status-ready: '#010203'}\n")
    app = make_app(config=Config(refresh_hz=30, theme="mine", themes_dir=folder))
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        assert app.theme == "mine"

        def edited() -> bool:  # rewritten until the watcher, once armed, has seen a change
            (folder / "mine.yaml").write_text("primary: '#123456'\nvariables: {status-ready: '#0a0b0c'}\n")
            return app.get_theme("mine").variables["status-ready"] == "#0a0b0c"

        await wait_until(pilot, edited, timeout=10)
        await wait_until(pilot, lambda: app.theme_variables["status-ready"] == "#0a0b0c")


async def test_q_quits_and_stops_the_feed():
    app = make_app()
    stopped = []
    original = app.feed.stop

    async def stop():
        stopped.append(True)
        await original()

    app.feed.stop = stop
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        await pilot.press("q")
        await wait_until(pilot, lambda: not app.is_running)
    assert stopped == [True]


async def test_a_feed_that_cannot_start_is_reported():
    app = make_app()

    async def refuse(post):
        raise ConnectionRefusedError("ingest process exited")

    app.feed.start = refuse
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: any("ingest process exited" in n.message for n in app._notifications))
        assert app.screen is app.monitor
