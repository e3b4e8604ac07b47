"""How the guided setup looks: Step 1 and Step 2, mid-run and after a failure. Baselines live in
tests/tui/__snapshots__; after a deliberate change run
`pytest tests/tui/test_setup_snapshots.py --snapshot-update` and review the SVGs.

Deterministic by construction: the screens run on a scripted target whose backend runs no command
and whose reads find nothing (so the survey says "todo" everywhere and Step 2's registration table
shows both WECs unregistered), the run itself is a fixed list of `SetupRunScreen.RunEvent`s with
fixed durations and output (what the runner's worker would post), the terminal size is fixed and
no input cursor blinks.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from textual.app import App
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, RichLog, Static

from kstellar_tui.core.setup import events as ev
from kstellar_tui.core.setup.options import SetupOptions
from kstellar_tui.core.setup.plan import plan
from kstellar_tui.core.setup.steps import Step
from kstellar_tui.screens.setup_core import SetupCoreScreen
from kstellar_tui.screens.setup_run import SetupRunScreen
from kstellar_tui.screens.setup_wecs import SetupWecsScreen
from kstellar_tui.setup_runners.target import SetupTarget
from kstellar_tui.widgets.step_list import StepList
from tests.tui.conftest import SIZE, wait_until

NOTE = "on a scripted test target (no commands run)"


class EmptyProbe:
    """Reads that find nothing: no objects, no contexts, no clusters."""

    def get(self, context: str, path: str) -> dict[str, Any] | None:
        return None

    def items(self, context: str, path: str, label_selector: str | None = None) -> list[dict[str, Any]]:
        return []

    def contexts(self) -> frozenset[str]:
        return frozenset()

    def kflex_hosting_context(self) -> str | None:
        return None

    def platform_clusters(self) -> frozenset[str]:
        return frozenset()


class ScriptedBackend:
    """Never runs anything: the tests post the run's events themselves."""

    probe = EmptyProbe()

    def skip_reason(self, step: Step) -> str | None:
        return None

    def execute(self, step: Step, argv: list[str], on_line: Callable[[str], None]) -> int:
        raise AssertionError("the snapshot tests post run events; nothing may execute")

    def interrupt(self) -> None:
        pass


class ScriptedTarget(SetupTarget):
    """Sandbox-like (no prerequisite checks on this machine, no confirmation), with a fixed
    description instead of a state-dir path. The note `connect` returns is the description too:
    the survey and Step 2's registration poller connect concurrently, and whichever comes second
    reports `describe()` rather than the note."""

    def describe(self) -> str:
        return NOTE

    def connect(self, platform: str) -> tuple[ScriptedBackend, str]:
        return ScriptedBackend(), NOTE


def scripted_target() -> ScriptedTarget:
    return ScriptedTarget(Path("/scripted"), {})


class Harness(App[None]):
    TITLE = "kstellar-tui"

    def __init__(self, make_screen: Callable[[], SetupRunScreen]) -> None:
        super().__init__()
        self.make_screen = make_screen

    def on_mount(self) -> None:
        screen = self.make_screen()
        self.unsurveyed = screen.prerequisites
        """The list the screen starts with; the survey's message replaces it."""
        self.push_screen(screen)


def step1() -> Harness:
    return Harness(lambda: SetupCoreScreen(scripted_target(), SetupOptions()))


def step2() -> Harness:
    return Harness(lambda: SetupWecsScreen(scripted_target(), SetupOptions()))


def steps_of(phase: str) -> dict[str, Step]:
    return {s.id: s for s in plan(SetupOptions(), phase)}


CORE = steps_of("core")
WECS = steps_of("wecs")


def done(step: Step, seconds: float) -> list[ev.Event]:
    return [ev.StepStarted(step.id, step.title, step.command), ev.StepDone(step.id, seconds)]


def started(step: Step, *lines: str) -> list[ev.Event]:
    return [ev.StepStarted(step.id, step.title, step.command), *(ev.StepOutput(step.id, line) for line in lines)]


def failed(step: Step, code: int, *lines: str) -> list[ev.Event]:
    hint = step.hint_for("\n".join(lines))
    return [*started(step, *lines), ev.StepFailed(step.id, step.command, code, lines, hint, f"exited with code {code}"),
            ev.RunFinished(False, step.id, False)]


def log_text(screen: SetupRunScreen) -> str:
    return "\n".join(strip.text for strip in screen.query_one("#setup-log", RichLog).lines)


def squeezed(text: str) -> str:
    """Text without its white space (the log wraps long commands)."""
    return "".join(text.split())


async def surveyed(pilot: Pilot) -> SetupRunScreen:
    """The screen once the survey (and on Step 2, the registration table) has come back."""
    app = pilot.app
    await wait_until(pilot, lambda: isinstance(app.screen, SetupRunScreen))
    screen = app.screen
    assert isinstance(screen, SetupRunScreen)
    # the survey's handler replaces the list (and marks the steps, and writes the target line)
    await wait_until(pilot, lambda: screen.prerequisites is not app.unsurveyed)
    assert "todo" in screen.query_one(StepList).states.values()
    assert NOTE in str(screen.query_one("#setup-target", Static).render())
    if isinstance(screen, SetupWecsScreen):
        await wait_until(pilot, lambda: screen.query_one("#setup-registrations", DataTable).row_count == 2)
    return screen


async def play(pilot: Pilot, screen: SetupRunScreen, events: list[ev.Event]) -> None:
    """What `SetupRunScreen.start` and its run worker do, with the runner's events scripted."""
    screen._set_running(True)
    screen.log_view.write(f"— running {len(screen.steps)} steps {screen.target.describe()} —")
    for event in events:
        screen.post_message(SetupRunScreen.RunEvent(event))
    if isinstance(events[-1], ev.RunFinished):
        await wait_until(pilot, lambda: not screen.running)
    else:  # the log shows every event but progress
        last = [e for e in events if not isinstance(e, ev.StepProgress)][-1]
        await wait_until(pilot, lambda: squeezed(ev.text(last)) in squeezed(log_text(screen)))


async def settle(pilot: Pilot) -> None:
    """No blinking cursors, no toast (the "stopped at …" one times out after 10 s, and it would
    cover the log's fix line); the layout settled around the last event."""
    pilot.app.clear_notifications()
    for box in pilot.app.screen.query(Input):
        box.cursor_blink = False
    await pilot.pause()
    await pilot.pause()


def test_step1_mid_run(snap_compare):
    async def run_before(pilot):
        screen = await surveyed(pilot)
        await play(pilot, screen, [
            *done(CORE["hosting-cluster"], 38.4),
            *done(CORE["ingress-nginx"], 4.2),
            *done(CORE["ssl-passthrough"], 0.7),
            *started(CORE["ingress-ready"]),
            ev.StepProgress("ingress-ready", 12.0, 300.0, "0 of 1 updated replicas are available"),
        ])
        await wait_until(pilot, lambda: screen.query_one(StepList).states["ingress-ready"] == "running")
        await settle(pilot)

    assert snap_compare(step1(), terminal_size=SIZE, run_before=run_before)


def test_step1_after_a_failure(snap_compare):
    async def run_before(pilot):
        screen = await surveyed(pilot)
        events = [*done(CORE["hosting-cluster"], 38.4), *done(CORE["ingress-nginx"], 4.2),
                  *done(CORE["ssl-passthrough"], 0.7), *done(CORE["ingress-ready"], 21.0),
                  *done(CORE["use-hosting-context"], 0.1),
                  *failed(CORE["core-chart"], 1,
                          'Release "ks-core" does not exist. Installing it now.',
                          "Error: INSTALLATION FAILED: context deadline exceeded")]
        await play(pilot, screen, events)
        assert screen.query_one(StepList).states["core-chart"] == "failed"
        await settle(pilot)

    assert snap_compare(step1(), terminal_size=SIZE, run_before=run_before)


def test_step2_mid_run(snap_compare):
    async def run_before(pilot):
        screen = await surveyed(pilot)
        await play(pilot, screen, [
            *done(WECS["create-cluster1"], 24.3),
            *done(WECS["create-cluster2"], 22.9),
            *done(WECS["rename-cluster1"], 0.1),
            *done(WECS["rename-cluster2"], 0.1),
            *done(WECS["token"], 1.2),
            *started(WECS["join-cluster1"],
                     "Please log onto the hub cluster and run the following command:",
                     "    clusteradm accept --clusters cluster1"),
        ])
        await wait_until(pilot, lambda: screen.query_one(StepList).states["join-cluster1"] == "running")
        await settle(pilot)

    assert snap_compare(step2(), terminal_size=SIZE, run_before=run_before)


def test_step2_after_a_failure(snap_compare):
    async def run_before(pilot):
        screen = await surveyed(pilot)
        events = [*done(WECS["create-cluster1"], 24.3), *done(WECS["create-cluster2"], 22.9),
                  *done(WECS["rename-cluster1"], 0.1), *done(WECS["rename-cluster2"], 0.1),
                  *done(WECS["token"], 1.2),
                  *failed(WECS["join-cluster1"], 1,
                          "Error: unable to reach the hub: Get \"https://its1.localtest.me:9443/version\": "
                          "dial tcp 127.0.0.1:9443: connect: connection refused")]
        await play(pilot, screen, events)
        assert screen.query_one(StepList).states["join-cluster1"] == "failed"
        await settle(pilot)

    assert snap_compare(step2(), terminal_size=SIZE, run_before=run_before)
