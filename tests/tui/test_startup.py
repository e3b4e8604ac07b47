"""The path to the first frame: the app paints before it imports or builds what that frame does not show.

benchmarks/bench_app.py times it; these tests keep the causes from coming back."""

from __future__ import annotations

import subprocess
import sys

from kstellar_tui import locations
from tests.tui.conftest import SIZE, make_app, started, wait_until

NOT_BEFORE_THE_FIRST_FRAME = (
    "yaml",  # the theme comes from the theme cache once a start has written it
    "kubernetes", "aiohttp",
    "kstellar_tui.core.fleet.selectors",  # only for a typed `-l` filter
    "textual.widgets._data_table",  # the WEC table and the help screen
    "kstellar_tui.screens.edit", "kstellar_tui.screens.prompt",
)

PROBE = f"""
import sys
from kstellar_tui.app import KStellarApp
from kstellar_tui.config import Config
from kstellar_tui.core.fleet.demo_feed import DemoFeed

loaded = []
display = KStellarApp._display

def first_frame(app, screen, renderable):
    display(app, screen, renderable)
    if renderable is not None and screen is app.monitor and not loaded:
        loaded.append(sorted(m for m in {NOT_BEFORE_THE_FIRST_FRAME!r} if m in sys.modules)
                      + [w.id for w in screen.query("#wecs, #detail, #filter")])
        app.call_later(app.exit)  # once the mount that painted it has finished

KStellarApp._display = first_frame
KStellarApp(DemoFeed(interval=None), config=Config()).run(headless=True, size={SIZE!r})
print(loaded[0])
"""


async def test_the_first_frame_waits_for_nothing_it_does_not_show():
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:  # a first start: it writes the theme cache
        await started(pilot)
        await wait_until(pilot, (locations.cache_dir() / "themes.json").exists)
    probe = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=60)
    assert probe.stdout.strip().splitlines()[-1:] == ["[]"], probe.stderr
