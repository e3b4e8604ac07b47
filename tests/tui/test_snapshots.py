"""How the main states look, in two themes. Baselines live in tests/tui/__snapshots__; after a
deliberate change run `pytest tests/tui/test_snapshots.py --snapshot-update` and review the SVGs.

Deterministic by construction: the demo feed moves only when told, the clock is frozen, times are
UTC, and the cursor of any focused input does not blink.
"""

from __future__ import annotations

from textual.widgets import Input

from kstellar_tui.config import Config
from kstellar_tui.widgets.detail_pane import DetailPane
from tests.tui.conftest import SIZE, make_app, started, wait_until


def themed(theme: str, **kwargs):
    return make_app(config=Config(refresh_hz=30, theme=theme), **kwargs)


async def settle(pilot) -> None:
    """Run the monitor's tick now rather than whenever its timer fires; stop input cursors blinking."""
    app = pilot.app
    app.monitor.flush()
    for box in app.screen.query(Input):
        box.cursor_blink = False
    await pilot.pause()


def test_grid_dark(snap_compare):
    async def run_before(pilot):
        await started(pilot)
        await pilot.press("down", "down", "right")
        await settle(pilot)

    assert snap_compare(themed("dark"), terminal_size=SIZE, run_before=run_before)


def test_grid_light_after_updates_with_a_wec_offline(snap_compare):
    async def run_before(pilot):
        app = await started(pilot)
        for _ in range(15):  # the 15th step takes cluster2 offline
            app.feed.advance()
        await wait_until(pilot, lambda: "offline" in str(app.query_one("#clusters").content))
        await settle(pilot)

    assert snap_compare(themed("light"), terminal_size=SIZE, run_before=run_before)


def test_explain_pane_dark(snap_compare):
    async def run_before(pilot):
        app = await started(pilot)
        await pilot.press("right", "enter")
        await wait_until(pilot, lambda: "BindingPolicy" in app.query_one(DetailPane).text)
        await settle(pilot)

    assert snap_compare(themed("dark"), terminal_size=SIZE, run_before=run_before)


def test_label_filter_and_state_sort_light(snap_compare):
    async def run_before(pilot):
        app = await started(pilot)
        await pilot.press("slash", *"-l app=payments", "enter", "s", "s", "s")
        await wait_until(pilot, lambda: app.monitor.grid.sort == "state")
        await settle(pilot)

    assert snap_compare(themed("light"), terminal_size=SIZE, run_before=run_before)


def test_help_dark(snap_compare):
    async def run_before(pilot):
        await started(pilot)
        await pilot.press("question_mark")
        await settle(pilot)

    assert snap_compare(themed("dark"), terminal_size=SIZE, run_before=run_before)


def test_confirm_delete_light(snap_compare):
    async def run_before(pilot):
        await started(pilot)
        await pilot.press("ctrl+d", *"payments")
        await settle(pilot)

    assert snap_compare(themed("light"), terminal_size=SIZE, run_before=run_before)


def test_wecs_high_contrast(snap_compare):
    async def run_before(pilot):
        app = await started(pilot)
        await app.run_command(":wecs")
        await settle(pilot)

    assert snap_compare(themed("high-contrast"), terminal_size=SIZE, run_before=run_before)
