"""The app on the real data path: the IngestFeed's child process watches a quickstart sandbox.

Every step changes the world as a user would (kubectl, the sandbox's fault command, keys in the
app) and then waits, polling, for what the screen shows: the glyph in the grid, the header strip,
the explain pane, the notifications. Writes from the app are checked with kubectl.
"""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from textual.pilot import Pilot

from kstellar_tui import locations
from kstellar_tui.app import KStellarApp
from kstellar_tui.config import Config, load_config
from kstellar_tui.core.drafts import Drafts
from kstellar_tui.core.fleet.states import GLYPHS, CellState
from kstellar_tui.core.ingest_feed import IngestError, IngestFeed
from kstellar_tui.screens.confirm import ConfirmDeleteScreen
from kstellar_tui.screens.help import HelpScreen
from kstellar_tui.widgets.detail_pane import DetailPane
from tests.core.test_status_on_sandbox import NGINX
from tests.quickstart import Hub, running_quickstart
from tests.tui.conftest import SIZE, wait_until
from tests.tui.test_monitor import cell_text

pytestmark = pytest.mark.kubectl

DEPLOY = "apps/deployments/nginx/nginx-deployment"
POLICY = "control.kubestellar.io/bindingpolicies//nginx-bpolicy"
WECS = ("cluster1", "cluster2")
SETTLE = 30.0  # seconds for the sandbox's controllers and our watches to agree
READY, BLANK, UNKNOWN = GLYPHS[CellState.READY], GLYPHS[CellState.NOT_SELECTED], GLYPHS[CellState.UNKNOWN]
CHANGES = ("grid.delete", "grid.redeploy", "grid.edit", "grid.delete_policy")

# The user's editor, run by the app as `$EDITOR <file>`: it applies one replacement and keeps a copy
# of what it was shown, so a test can read what the user read.
EDITOR = """
import json, os, sys
path = sys.argv[1]
text = open(path).read()
open(os.environ["SEEN_BY_EDITOR"], "w").write(text)
old, new = json.loads(os.environ["EDIT"])
open(path, "w").write(text.replace(old, new))
"""


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hub]:
    with running_quickstart(tmp_path_factory.mktemp("live-world")) as hub:
        hub.ok("wds1", "apply", "-f", "-", input=NGINX)
        yield hub


@contextlib.asynccontextmanager
async def live_app(world: Hub, *, read_only: bool = False, config: Config | None = None
                   ) -> AsyncIterator[tuple[KStellarApp, Pilot]]:
    """The app on the sandbox, once the grid shows nginx on both WECs (whatever its state)."""
    feed = IngestFeed(str(world.kubeconfig_path), "wds1", "its1", read_only=read_only)
    app = KStellarApp(feed, config=config or Config(refresh_hz=20), read_only=read_only)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.monitor is not None and len(app.monitor.model.columns) == 2
                         and shown(app, DEPLOY, "cluster2") is not None, timeout=SETTLE)
        yield app, pilot


def shown(app: KStellarApp, key: str, cluster: str) -> str | None:
    """The glyph the grid paints for a cell (None while the row is not on screen)."""
    monitor = app.monitor
    index = monitor.model.index_of(key)
    if index is None or index not in monitor.grid.rows:
        return None
    return cell_text(monitor.grid, monitor.grid.rows.index(index), monitor.model.column_index(cluster))


async def until_shown(pilot: Pilot, key: str, glyphs: dict[str, str], timeout: float = SETTLE) -> None:
    app = pilot.app
    try:
        await wait_until(pilot, lambda: all(shown(app, key, c) == g for c, g in glyphs.items()), timeout=timeout)
    except AssertionError:
        seen = {c: shown(app, key, c) for c in glyphs}
        raise AssertionError(f"{key}: wanted {glyphs}, the grid shows {seen}; notices: {notices(app)}") from None


def notices(app: KStellarApp) -> list[str]:
    return [n.message for n in app._notifications]


def deployment(world: Hub) -> dict | None:
    done = world.kubectl("wds1", "get", "deployment", "-n", "nginx", "nginx-deployment", "-o", "json")
    return json.loads(done.stdout) if done.returncode == 0 else None


async def test_the_grid_follows_apply_relabel_and_a_wec_going_offline(world: Hub) -> None:
    async with live_app(world) as (app, pilot):
        await until_shown(pilot, DEPLOY, {"cluster1": READY, "cluster2": READY})
        assert app.monitor.model.row(app.monitor.model.index_of(DEPLOY)).title == "nginx/nginx-deployment"
        strip = app.query_one("#clusters")
        await wait_until(pilot, lambda: "2 WECs" in str(strip.content))

        world.ok("its1", "label", "managedcluster", "cluster2", "location-group=cloud", "--overwrite")
        await until_shown(pilot, DEPLOY, {"cluster1": READY, "cluster2": BLANK})
        await app.goto(row_key=DEPLOY, cluster="cluster2")
        await pilot.press("enter")  # journey 1 step 6: why is it blank?
        pane = app.query_one(DetailPane)
        await wait_until(pilot, lambda: "does not match" in pane.text)
        assert "nginx-bpolicy" in pane.text and "location-group" in pane.text
        await pilot.press("escape")
        world.ok("its1", "label", "managedcluster", "cluster2", "location-group=edge", "--overwrite")
        await until_shown(pilot, DEPLOY, {"cluster1": READY, "cluster2": READY})

        fault = world.cli("sandbox", "fault", "offline", "cluster1", "--state-dir", str(world.state))
        assert fault.returncode == 0, fault.stderr
        try:
            await until_shown(pilot, DEPLOY, {"cluster1": UNKNOWN, "cluster2": READY})
            await wait_until(pilot, lambda: "1 offline" in str(strip.content))
        finally:
            world.cli("sandbox", "fault", "online", "cluster1", "--state-dir", str(world.state))
        await until_shown(pilot, DEPLOY, {"cluster1": READY, "cluster2": READY})
        await wait_until(pilot, lambda: "offline" not in str(strip.content))


async def test_explain_shows_the_chain_and_the_yaml_in_the_wds_and_on_the_wec(world: Hub) -> None:
    async with live_app(world) as (app, pilot):
        await until_shown(pilot, DEPLOY, {"cluster1": READY})
        await app.goto(row_key=DEPLOY, cluster="cluster1")
        await pilot.press("enter")
        pane = app.query_one(DetailPane)
        await wait_until(pilot, lambda: "# on the WEC (cluster1)" in pane.text, timeout=10)
        text = pane.text
        assert "Deployment nginx/nginx-deployment on cluster1" in text
        assert "BindingPolicy nginx-bpolicy" in text and "selects this workload for this cluster" in text
        assert "ManifestWork" in text and "WorkStatus" in text
        wds, wec = text.split("# in the WDS (wds1)")[1].split("# on the WEC (cluster1)")
        assert "name: nginx-deployment" in wds and "replicas: 1" in wds
        assert "managedFields" not in wds
        assert "name: nginx-deployment" in wec and "work.open-cluster-management.io" in wec  # owned by the agent


async def test_read_only_offers_no_change_and_the_feed_refuses_them(world: Hub) -> None:
    async with live_app(world, read_only=True) as (app, pilot):
        await app.goto(row_key=DEPLOY, cluster="cluster1")
        for key in ("ctrl+d", "ctrl+r", "e", "D"):
            await pilot.press(key)
            assert app.screen is app.monitor
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        assert not {e.binding_id for e in app.screen.entries} & set(CHANGES)
        await pilot.press("escape")
        assert not any(b.binding.id in CHANGES for b in app.screen.active_bindings.values() if b.enabled)

        before = deployment(world)
        feed = app.feed
        for attempt in (feed.delete(DEPLOY), feed.redeploy(DEPLOY), feed.delete(POLICY),
                        feed.apply_yaml("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x, namespace: nginx}\n")):
            with pytest.raises(IngestError, match="read-only"):
                await attempt
        assert deployment(world)["metadata"]["uid"] == before["metadata"]["uid"]
        assert world.kubectl("wds1", "get", "configmap", "-n", "nginx", "x").returncode != 0


async def test_delete_needs_the_exact_name_then_the_row_goes(world: Hub) -> None:
    async with live_app(world) as (app, pilot):
        await app.goto(row_key=DEPLOY, cluster="cluster1")
        await pilot.press("ctrl+d")
        assert isinstance(app.screen, ConfirmDeleteScreen)
        await pilot.press(*"nginx-deploymen", "enter")  # one letter short: Enter does nothing
        assert isinstance(app.screen, ConfirmDeleteScreen)
        await pilot.press("escape")
        assert app.screen is app.monitor
        assert deployment(world) is not None

        await pilot.press("ctrl+d", *"nginx-deployment", "enter")
        await wait_until(pilot, lambda: app.monitor.model.index_of(DEPLOY) is None, timeout=SETTLE)
        assert deployment(world) is None
        assert not world.exists("cluster1", "deployment", "-n", "nginx", "nginx-deployment")

        world.ok("wds1", "apply", "-f", "-", input=NGINX)  # as it was, for the tests that follow
        await until_shown(pilot, DEPLOY, {"cluster1": READY, "cluster2": READY})


async def test_redeploy_creates_the_object_again_from_the_same_spec(world: Hub) -> None:
    before = deployment(world)
    async with live_app(world) as (app, pilot):
        await app.goto(row_key=DEPLOY, cluster="cluster2")
        await pilot.press("ctrl+r")
        assert isinstance(app.screen, ConfirmDeleteScreen)
        assert "created again from the same spec" in app.screen.consequence
        await pilot.press(*"nginx-deployment", "enter")
        await wait_until(pilot, lambda: any("nginx-deployment created" in n for n in notices(app)), timeout=SETTLE)
        await until_shown(pilot, DEPLOY, {"cluster1": READY, "cluster2": READY})
    after = deployment(world)
    assert after["metadata"]["uid"] != before["metadata"]["uid"]
    assert after["spec"]["template"] == before["spec"]["template"]


async def test_edit_applies_on_save_and_a_bad_edit_changes_nothing_and_keeps_a_draft(
        world: Hub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    script, seen = tmp_path / "editor.py", tmp_path / "seen.yaml"
    script.write_text(EDITOR)
    monkeypatch.setenv("EDITOR", f"{sys.executable} {script}")
    monkeypatch.setenv("SEEN_BY_EDITOR", str(seen))
    before = deployment(world)
    async with live_app(world) as (app, pilot):
        app.suspend = contextlib.nullcontext  # headless: no terminal to hand over; the editor still runs
        await app.goto(row_key=DEPLOY, cluster="cluster1")

        monkeypatch.setenv("EDIT", json.dumps(["replicas: 1", "replicas: [1"]))
        await pilot.press("e")
        await wait_until(pilot, lambda: any("not changed" in n for n in notices(app)), timeout=SETTLE)
        assert "invalid YAML" in notices(app)[-1] and "kept as a draft" in notices(app)[-1]
        assert deployment(world)["metadata"]["resourceVersion"] == before["metadata"]["resourceVersion"]
        drafts = Drafts()
        assert [d.name for d in drafts.list()] == [f"edit {DEPLOY}"]
        assert "replicas: [1" in drafts.load(f"edit {DEPLOY}")

        monkeypatch.setenv("EDIT", json.dumps(["replicas: [1", "replicas: 2"]))
        await pilot.press("e")  # resumes the draft, says why the last attempt failed
        await wait_until(pilot, lambda: any(n.startswith("applied:") for n in notices(app)), timeout=SETTLE)
        assert "replicas: [1" in seen.read_text() and "Last attempt failed" in seen.read_text()
        assert "deployment.apps/nginx-deployment configured" in notices(app)[-1]
        assert deployment(world)["spec"]["replicas"] == 2
        assert drafts.list() == []

        monkeypatch.setenv("EDIT", json.dumps(["replicas: 2", "replicas: 1"]))
        await pilot.press("e")
        await wait_until(pilot, lambda: deployment(world)["spec"]["replicas"] == 1, timeout=SETTLE)
        await until_shown(pilot, DEPLOY, {"cluster1": READY, "cluster2": READY})


async def test_delete_policy_takes_what_it_placed_off_the_wecs(world: Hub) -> None:
    async with live_app(world) as (app, pilot):
        await until_shown(pilot, DEPLOY, {"cluster1": READY, "cluster2": READY})
        await app.goto(row_key=DEPLOY, cluster="cluster1")
        await pilot.press("D")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmDeleteScreen))
        assert app.screen.what == "BindingPolicy nginx-bpolicy"
        await pilot.press(*"nginx-bpolicy", "enter")
        # Nothing places nginx any more: its rows leave the grid, its copies leave the WECs.
        await wait_until(pilot, lambda: app.monitor.model.index_of(DEPLOY) is None, timeout=SETTLE)
        assert world.kubectl("wds1", "get", "bindingpolicy", "nginx-bpolicy").returncode != 0
        assert not any(world.exists(c, "deployment", "-n", "nginx", "nginx-deployment") for c in WECS)

        world.ok("wds1", "apply", "-f", "-", input=NGINX)
        await until_shown(pilot, DEPLOY, {"cluster1": READY, "cluster2": READY})


async def test_a_keymap_from_the_config_file_remaps_the_changes(
        world: Hub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config_file = tmp_path / "config.yaml"
    config_file.write_text("refresh_hz: 20\nkeymap:\n  grid.delete: ctrl+x\n  grid.edit: f4\n")
    monkeypatch.setenv(locations.CONFIG_ENV, str(config_file))
    async with live_app(world, config=load_config()) as (app, pilot):
        await app.goto(row_key=DEPLOY, cluster="cluster1")
        await pilot.press("ctrl+d")
        assert app.screen is app.monitor  # no longer delete
        await pilot.press("ctrl+x")
        assert isinstance(app.screen, ConfirmDeleteScreen) and app.screen.target == "nginx-deployment"
        await pilot.press("escape")
        await pilot.press("question_mark")
        entries = {e.binding_id: e.keys for e in app.screen.entries}
        assert entries["grid.delete"] == "^x" and entries["grid.edit"] == "f4"
    assert deployment(world) is not None
