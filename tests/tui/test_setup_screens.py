"""The setup screens driven with the pilot: Step 1 and Step 2 on a sandbox started with
`--preset empty`, the live registration table, the label editor, `:setup` in the app, and the
host target (fake tools on PATH): prerequisites that block, a confirmation before running."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.app import App
from textual.widgets import DataTable, Input, RichLog

from kstellar_tui.core.setup.options import SetupOptions
from kstellar_tui.core.setup.plan import plan
from kstellar_tui.sandbox.admin_client import AdminClient, read_info
from kstellar_tui.screens.setup_core import SetupCoreScreen
from kstellar_tui.screens.setup_run import ConfirmRunScreen
from kstellar_tui.screens.setup_wecs import SetupWecsScreen
from kstellar_tui.setup_runners.target import SetupTarget
from kstellar_tui.widgets.step_list import StepList
from tests.sandbox._helpers import Sandbox, stop_quietly
from tests.setup.conftest import FakeHost, start_empty_sandbox
from tests.tui.conftest import SIZE, make_app, wait_until

FINAL = {"done", "skipped", "n/a"}


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[Sandbox]:
    started = start_empty_sandbox(tmp_path / "sandbox")
    try:
        yield started
    finally:
        stop_quietly(started)


class Harness(App[None]):
    """Just the setup screens, on the target under test."""

    def __init__(self, target: SetupTarget, options: SetupOptions | None = None) -> None:
        super().__init__()
        self.target = target
        self.options = options

    def on_mount(self) -> None:
        self.push_screen(SetupCoreScreen(self.target, self.options))


def log_text(screen) -> str:
    return "\n".join(strip.text for strip in screen.query_one("#setup-log", RichLog).lines)


def states(screen) -> dict[str, str]:
    return screen.query_one(StepList).states


async def test_step_one_then_step_two_on_an_empty_sandbox(sandbox: Sandbox) -> None:
    app = Harness(SetupTarget.sandbox(sandbox.state_dir))
    async with app.run_test(size=SIZE) as pilot:
        core = app.screen
        assert isinstance(core, SetupCoreScreen)
        await wait_until(pilot, lambda: set(states(core).values()) == {"todo", "n/a"}, timeout=20)
        assert states(core)["ssl-passthrough"] == "n/a" and states(core)["core-chart"] == "todo"

        await pilot.press("ctrl+r")
        await wait_until(pilot, lambda: not core.running and set(states(core).values()) <= FINAL, timeout=30)
        assert states(core)["core-chart"] == "done"
        assert "▶ [core-chart]" in log_text(core) and "setup complete" in log_text(core)

        await pilot.press("ctrl+n")
        await wait_until(pilot, lambda: isinstance(app.screen, SetupWecsScreen))
        wecs = app.screen
        assert [s.id for s in plan(wecs.options, "wecs")] == list(states(wecs))
        await pilot.press("ctrl+r")
        table = wecs.query_one("#setup-registrations", DataTable)

        def registered() -> bool:
            return [r.name for r in wecs.rows] == ["cluster1", "cluster2"] and all(
                r.ready and ("location-group", "edge") in r.labels for r in wecs.rows)

        await wait_until(pilot, lambda: not wecs.running and registered(), timeout=30)
        assert set(states(wecs).values()) <= FINAL
        assert table.get_row("cluster1")[1:5] == ["Approved", "yes", "True", "True"]
        assert "location-group=edge, name=cluster1" in table.get_row("cluster1")[5]

        token = sandbox.admin("GET", "/_sandbox/its/its1/token").json["token"]
        assert token not in log_text(core) + log_text(wecs)
        assert "token=***" in log_text(wecs)

        table.focus()
        table.move_cursor(row=1)
        editor = wecs.query_one("#setup-edit-labels", Input)
        await wait_until(pilot, lambda: editor.value == "location-group=edge, name=cluster2")
        editor.value = "location-group=cloud, name=cluster2"
        editor.focus()
        await pilot.press("enter")
        await wait_until(pilot, lambda: dict(next(r for r in wecs.rows if r.name == "cluster2").labels)
                         .get("location-group") == "cloud", timeout=20)
        assert sandbox.kubectl_ok("its1", "get", "managedclusters", "-l", "location-group=edge", "-o",
                                  "name").split() == ["managedcluster.cluster.open-cluster-management.io/cluster1"]


async def test_a_second_visit_shows_everything_done(sandbox: Sandbox) -> None:
    target = SetupTarget.sandbox(sandbox.state_dir)
    admin = AdminClient(sandbox.state_dir, read_info(sandbox.state_dir))  # its kubeconfig has no users yet
    admin.request("POST", "/_sandbox/presets/core", {})
    app = Harness(target)
    async with app.run_test(size=SIZE) as pilot:
        core = app.screen
        await wait_until(pilot, lambda: set(states(core).values()) <= FINAL, timeout=20)
        assert states(core)["core-chart"] == "skipped"
        await pilot.press("ctrl+r")
        await wait_until(pilot, lambda: "setup complete" in log_text(core), timeout=20)
        assert "▶" not in log_text(core)


async def test_the_form_replans_and_refuses_impossible_names(sandbox: Sandbox) -> None:
    app = Harness(SetupTarget.sandbox(sandbox.state_dir))
    async with app.run_test(size=SIZE) as pilot:
        core = app.screen
        await wait_until(pilot, lambda: "todo" in states(core).values(), timeout=20)
        core.query_one("#setup-wds", Input).value = "wds1, wds2"
        await wait_until(pilot, lambda: "kflex-ctx-wds2" in states(core))
        core.query_one("#setup-its", Input).value = "Not_A_Name"
        await wait_until(pilot, lambda: "must be a DNS label" in str(core.query_one("#setup-problem").render()))
        await pilot.press("ctrl+r")
        assert not core.running


async def test_setup_command_opens_step_one_in_the_app(sandbox: Sandbox) -> None:
    app = make_app()
    app.add_mode("setup", lambda: SetupCoreScreen(SetupTarget.sandbox(sandbox.state_dir)))
    async with app.run_test(size=SIZE) as pilot:
        assert await app.run_command("setup")
        await wait_until(pilot, lambda: isinstance(app.screen, SetupCoreScreen))
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.current_mode == "monitor")


async def test_on_the_host_failing_prerequisites_block_and_a_run_asks_first(sandbox: Sandbox, tmp_path: Path) -> None:
    host = FakeHost(tmp_path / "host", sandbox).install()
    host.knobs(versions={"clusteradm": "client\t\tversion\t:v0.10.1"})
    options = SetupOptions(platform="k3d")
    app = Harness(SetupTarget.host(host.env), options)
    async with app.run_test(size=SIZE) as pilot:
        core = app.screen
        await wait_until(pilot, lambda: bool(core.prerequisites), timeout=20)
        assert "install.sh) 1.0.0" in str(core.query_one("#setup-prereqs").render())
        await pilot.press("ctrl+r")
        assert not core.running and host.changes() == []

    host.knobs()
    app = Harness(SetupTarget.host(host.env), options)
    async with app.run_test(size=SIZE) as pilot:
        core = app.screen
        await wait_until(pilot, lambda: set(states(core).values()) == {"todo"}, timeout=20)
        assert core.prerequisites == []
        await pilot.press("ctrl+r")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmRunScreen))
        await pilot.click("#confirm-run")
        await wait_until(pilot, lambda: not core.running and "setup complete" in log_text(core), timeout=60)
        assert host.changes()[0][:3] == ["k3d", "cluster", "create"]
        assert set(states(core).values()) <= FINAL
