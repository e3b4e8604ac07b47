"""Step 3 on a quickstart sandbox, driven with the pilot: the workload editor and the BindingPolicy
builder preview before anything is applied, refuse bad YAML, give back drafts after a quit, and —
the journey — bind the nginx workload to cluster1 only and watch the live grid agree.

Writes are checked with the real kubectl. The snapshot tests at the end need no sandbox: their
hub session answers with a fixed snapshot, so they look the same on every run.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Button, DataTable, Input, Select, Static

from kstellar_tui.app import KStellarApp
from kstellar_tui.config import Config
from kstellar_tui.core.drafts import Drafts
from kstellar_tui.core.fleet.demo_feed import DemoFeed
from kstellar_tui.core.fleet.hubfacts import HubFacts
from kstellar_tui.core.fleet.placement import object_ref
from kstellar_tui.core.fleet.preview import Inventory
from kstellar_tui.core.fleet.states import GLYPHS, CellState
from kstellar_tui.core.hub_session import HubSession, HubSnapshot
from kstellar_tui.core.ingest_feed import IngestFeed
from kstellar_tui.core.kube.discovery import BUILTIN
from kstellar_tui.core.manifests import TEMPLATES, load_text
from kstellar_tui.launch import step3_modes
from kstellar_tui.screens.choice import ChoiceScreen
from kstellar_tui.screens.confirm import ConfirmDeleteScreen
from kstellar_tui.screens.policy_builder import PolicyBuilderScreen
from kstellar_tui.screens.workloads import DRAFT_NAME, WorkloadsScreen
from kstellar_tui.widgets.findings import FindingList
from kstellar_tui.widgets.yaml_editor import YamlEditor
from tests.quickstart import Hub, running_quickstart
from tests.tui.conftest import SIZE, wait_until
from tests.tui.test_monitor import cell_text

DEPLOY = "apps/deployments/nginx/nginx-deployment"
WIDGET_CRD = """
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
spec:
  group: example.com
  scope: Namespaced
  names: {plural: widgets, singular: widget, kind: Widget}
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            required: [size]
            properties: {size: {type: string}}
"""
READY, BLANK = GLYPHS[CellState.READY], GLYPHS[CellState.NOT_SELECTED]
SETTLE = 30.0  # seconds for the sandbox's controllers and the live feed to agree


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hub]:
    with running_quickstart(tmp_path_factory.mktemp("step3-hub")) as started:
        yield started


@contextlib.asynccontextmanager
async def step3_app(hub: Hub, *, live: bool = False) -> AsyncIterator[tuple[KStellarApp, Pilot]]:
    """The app with the Step 3 modes on the sandbox (as `kstellar-tui` builds them); `live` runs the
    monitor on the real IngestFeed, else on a still demo feed that nobody looks at."""
    feed = IngestFeed(str(hub.kubeconfig_path), "wds1", "its1") if live else DemoFeed(2, 2, interval=None)
    app = KStellarApp(feed, config=Config(refresh_hz=20))
    for name, make in step3_modes(str(hub.kubeconfig_path), "wds1", "its1", read_only=False).items():
        app.add_mode(name, make)
    async with app.run_test(size=SIZE) as pilot:
        yield app, pilot


async def open_mode(pilot: Pilot, mode: str) -> WorkloadsScreen | PolicyBuilderScreen:
    """Switch to a Step 3 mode and wait until its screen has read the hub."""
    await pilot.app.switch_mode(mode)
    screen = pilot.app.screen
    assert isinstance(screen, (WorkloadsScreen, PolicyBuilderScreen))
    await wait_until(pilot, lambda: screen.snapshot is not None, timeout=20)
    return screen


async def pick_template(pilot: Pilot, screen: WorkloadsScreen, name: str) -> None:
    """ctrl+t, then the template's line in the list, as a user picks it."""
    await pilot.press("ctrl+t")
    options = [value for _, value in screen.query_one("#wl-template", Select)._options]
    await pilot.press(*["down"] * options.index(name), "enter")
    await wait_until(pilot, lambda: screen.editor.text == TEMPLATES[name].text)


def summary(screen: PolicyBuilderScreen) -> str:
    return str(screen.query_one("#bp-summary", Static).content)


def notices(app: KStellarApp) -> list[str]:
    return [n.message for n in app._notifications]


async def choose(pilot: Pilot, screen: PolicyBuilderScreen, key: str, value: str) -> None:
    """Pick a label key and value from the lists the ITS's labels made, and Add the term."""
    keys = screen.query_one("#bp-key", Select)
    keys.value = key
    values = screen.query_one("#bp-value", Select)
    await wait_until(pilot, lambda: value in [v for _, v in values._options])
    values.value = value
    await pilot.click("#bp-add")


def absent(hub: Hub, *what: str) -> bool:
    return not hub.exists("wds1", *what)


# ---------------------------------------------------------------------------------------------
# On the sandbox


@pytest.mark.kubectl
async def test_the_preview_follows_every_edit_before_anything_is_applied(hub: Hub) -> None:
    async with step3_app(hub) as (app, pilot):
        workloads = await open_mode(pilot, "workloads")
        await pick_template(pilot, workloads, "nginx")
        await pilot.press("ctrl+n")
        builder = await open_mode(pilot, "bindingpolicies")
        await wait_until(pilot, lambda: summary(builder).endswith("0 clusters, 2 objects"))

        keys = [v for _, v in builder.query_one("#bp-key", Select)._options]
        assert {"location-group", "name"} <= set(keys)  # the labels the ITS's ManagedClusters have
        await choose(pilot, builder, "location-group", "edge")
        await wait_until(pilot, lambda: summary(builder) == "nginx-bpolicy would bind 2 clusters, 2 objects")

        await pilot.click("#bp-remove")
        await choose(pilot, builder, "name", "cluster1")
        await wait_until(pilot, lambda: summary(builder).endswith("1 cluster, 2 objects"))
        (miss,) = builder.result.cluster_misses
        assert miss.name == "cluster2" and "name=cluster1 does not match cluster2" in miss.reason
        assert "name: cluster1" in builder.editor.text

        # The YAML drives the form too: an edit that parses refills it, one that does not is shown.
        builder.editor.load_text(builder.editor.text.replace("name: cluster1", "name: cluster2"))
        await wait_until(pilot, lambda: builder.query_one("#bp-terms", DataTable).get_row("0")[1] == "name = cluster2")
        assert builder.result.clusters == ["cluster2"]
        builder.editor.load_text("spec: [unclosed\n")
        problem = builder.query_one("#bp-yaml-problem", Static)
        await wait_until(pilot, lambda: "invalid YAML" in str(problem.content))
        assert builder.result.clusters == ["cluster2"] and builder.policy["metadata"]["name"] == "nginx-bpolicy"

    assert absent(hub, "namespace", "nginx")
    assert hub.ok("wds1", "get", "bindingpolicies", "-o", "name") == ""


@pytest.mark.kubectl
async def test_bad_yaml_applies_nothing_and_a_failing_batch_can_go_one_by_one(hub: Hub) -> None:
    good = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: step3-good, namespace: default}\ndata: {a: b}\n"
    async with step3_app(hub) as (app, pilot):
        screen = await open_mode(pilot, "workloads")
        screen.editor.load_text(good + "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: [broken\n")
        lint = screen.query_one(FindingList)
        await wait_until(pilot, lambda: any("error[yaml]" in line for line in lint.lines))
        await pilot.press("ctrl+r")
        await wait_until(pilot, lambda: any("nothing applied" in n and "invalid YAML" in n for n in notices(app)))
        assert absent(hub, "configmap", "-n", "default", "step3-good")

        # Valid YAML with a lint error: nothing is applied, and going one by one is offered.
        screen.editor.load_text(good + "---\napiVersion: v1\nkind: Namespace\nmetadata: {name: Not_A_Name}\n")
        await pilot.press("ctrl+r")
        await wait_until(pilot, lambda: isinstance(app.screen, ChoiceScreen), timeout=20)
        assert absent(hub, "configmap", "-n", "default", "step3-good")
        await pilot.click("#choice-continue")
        await wait_until(pilot, lambda: not absent(hub, "configmap", "-n", "default", "step3-good"), timeout=20)
        assert absent(hub, "namespace", "Not_A_Name")

        # The new object is listed; redeploying it makes a new one, deleting it asks for its name first.
        uid = json.loads(hub.ok("wds1", "get", "configmap", "-n", "default", "step3-good", "-o", "json"))["metadata"]["uid"]
        table = screen.table
        await wait_until(pilot, lambda: any(table.get_row(k)[2] == "step3-good" for k in table.rows), timeout=20)
        table.focus()
        table.move_cursor(row=[table.get_row(k)[2] for k in table.rows].index("step3-good"))
        await pilot.press("r")
        await wait_until(pilot, lambda: isinstance(app.screen, ChoiceScreen) and app.screen.query("#choice-redeploy"))
        await pilot.click("#choice-redeploy")

        def new_uid() -> bool:
            done = hub.kubectl("wds1", "get", "configmap", "-n", "default", "step3-good", "-o", "json")
            return done.returncode == 0 and json.loads(done.stdout)["metadata"]["uid"] != uid

        await wait_until(pilot, new_uid, timeout=20)
        await pilot.press("d")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmDeleteScreen))
        await pilot.press(*"step3-good", "enter")
        await wait_until(pilot, lambda: absent(hub, "configmap", "-n", "default", "step3-good"), timeout=20)


@pytest.mark.kubectl
async def test_a_crd_instance_template_and_an_object_opened_for_update(hub: Hub) -> None:
    hub.ok("wds1", "apply", "-f", "-", input=WIDGET_CRD)
    try:
        async with step3_app(hub) as (app, pilot):
            screen = await open_mode(pilot, "workloads")
            template = screen.query_one("#wl-template", Select)
            await wait_until(pilot, lambda: "crd:widgets.example.com" in [v for _, v in template._options])
            template.value = "crd:widgets.example.com"
            await wait_until(pilot, lambda: "kind: Widget" in screen.editor.text)
            assert "size: CHANGE-ME" in screen.editor.text

            table = screen.table
            key = "apiextensions.k8s.io/customresourcedefinitions//widgets.example.com"
            await wait_until(pilot, lambda: key in [k.value for k in table.rows])
            table.focus()
            table.move_cursor(row=table.get_row_index(key))
            await pilot.press("e")  # the editor holds unapplied text: replacing it is asked first
            await wait_until(pilot, lambda: isinstance(app.screen, ChoiceScreen) and app.screen.query("#choice-replace"))
            await pilot.click("#choice-replace")
            await wait_until(pilot, lambda: "kind: CustomResourceDefinition" in screen.editor.text)
            assert "resourceVersion:" in screen.editor.text and "CHANGE-ME" not in screen.editor.text
    finally:
        hub.ok("wds1", "delete", "crd", "widgets.example.com")


@pytest.mark.kubectl
async def test_a_synced_folder_is_applied_and_its_events_shown(hub: Hub, tmp_path: Path) -> None:
    folder = tmp_path / "manifests"
    folder.mkdir()
    (folder / "settings.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: step3-synced, namespace: default}\ndata: {a: b}\n")
    async with step3_app(hub) as (app, pilot):
        screen = await open_mode(pilot, "workloads")
        screen.query_one("#wl-path", Input).value = str(folder)
        await pilot.press("ctrl+f")
        log = screen.log_view
        await wait_until(pilot, lambda: any("sync: applied settings.yaml" in s.text for s in log.lines), timeout=20)
        assert hub.exists("wds1", "configmap", "-n", "default", "step3-synced")
        await wait_until(pilot, lambda: "watching" in str(screen.query_one("#wl-sync-state", Static).content))
        (folder / "broken.yaml").write_text("kind: [oops\n")
        await wait_until(pilot, lambda: any("sync: broken broken.yaml" in s.text for s in log.lines), timeout=20)
        await pilot.press("ctrl+f")
        await wait_until(pilot, lambda: "stopped syncing" in str(screen.query_one("#wl-sync-state", Static).content))
    hub.ok("wds1", "delete", "configmap", "-n", "default", "step3-synced")


@pytest.mark.kubectl
async def test_typed_text_is_offered_back_after_a_quit(hub: Hub) -> None:
    typed = "kind: ConfigMap"
    async with step3_app(hub) as (app, pilot):
        screen = await open_mode(pilot, "workloads")
        screen.editor.focus()
        await pilot.press(*typed)
        assert screen.editor.text == typed
        app.exit()  # at once: the draft is written as the editor unmounts
    assert Drafts().load(DRAFT_NAME) == typed

    async with step3_app(hub) as (app, pilot):
        await pilot.app.switch_mode("workloads")
        await wait_until(pilot, lambda: isinstance(app.screen, ChoiceScreen) and app.screen.query("#choice-question"))
        assert "never applied" in str(app.screen.query_one("#choice-question", Static).content)
        await pilot.press("enter")  # Restore has the focus
        await wait_until(pilot, lambda: isinstance(app.screen, WorkloadsScreen) and app.screen.editor.text == typed)


@pytest.mark.kubectl
async def test_journey_bind_nginx_to_cluster1_only_and_watch_the_grid(hub: Hub) -> None:
    async with step3_app(hub, live=True) as (app, pilot):
        workloads = await open_mode(pilot, "workloads")
        await pick_template(pilot, workloads, "nginx")
        await pilot.press("ctrl+n")
        builder = await open_mode(pilot, "bindingpolicies")
        await choose(pilot, builder, "name", "cluster1")
        await wait_until(pilot, lambda: summary(builder) == "nginx-bpolicy would bind 1 cluster, 2 objects")
        assert absent(hub, "namespace", "nginx")

        await pilot.press("ctrl+r")
        await wait_until(pilot, lambda: any(n.startswith("applied:") for n in notices(app)), timeout=20)
        policy = json.loads(hub.ok("wds1", "get", "bindingpolicy", "nginx-bpolicy", "-o", "json"))
        assert policy["spec"]["clusterSelectors"] == [{"matchLabels": {"name": "cluster1"}}]

        await pilot.press("ctrl+n")  # Live grid →
        monitor = app.monitor
        assert app.screen is monitor

        def shown(cluster: str) -> str | None:
            index = monitor.model.index_of(DEPLOY)
            if index is None or index not in monitor.grid.rows or cluster not in [c.name for c in monitor.model.columns]:
                return None
            return cell_text(monitor.grid, monitor.grid.rows.index(index), monitor.model.column_index(cluster))

        await wait_until(pilot, lambda: shown("cluster1") == READY and shown("cluster2") == BLANK, timeout=SETTLE)
        assert hub.exists("cluster1", "deployment", "-n", "nginx", "nginx-deployment")
        assert not hub.exists("cluster2", "deployment", "-n", "nginx", "nginx-deployment")

        # Back in the editor the applied text is no longer a draft, and the list shows the binding.
        await pilot.app.switch_mode("workloads")
        table = workloads.table
        await wait_until(pilot, lambda: DEPLOY in [k.value for k in table.rows]
                         and table.get_row(DEPLOY)[3] == "1", timeout=20)
        await wait_until(pilot, lambda: Drafts().load(DRAFT_NAME) is None)


# ---------------------------------------------------------------------------------------------
# Looks (no sandbox: a fixed snapshot)


async def test_read_only_hides_and_refuses_every_change() -> None:
    app = KStellarApp(DemoFeed(2, 2, interval=None), config=Config(refresh_hz=30), read_only=True)
    session = FrozenSession("/nonexistent/kubeconfig", read_only=True)
    app.add_mode("workloads", lambda: WorkloadsScreen(session))
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_mode(pilot, "workloads")
        await pick_template(pilot, screen, "nginx")
        assert not screen.query_one("#wl-apply", Button).display
        assert not screen.query_one("#wl-sync", Button).display
        shown = {active.binding.id for active in screen.active_bindings.values()}
        assert not shown & {"workloads.apply", "workloads.sync"}
        logged = len(screen.log_view.lines)
        await pilot.press("ctrl+r")
        await pilot.pause()
        assert not notices(app) and len(screen.log_view.lines) == logged  # no apply was attempted
        assert not [w for w in screen.workers if w.group == "workloads-apply"]


def frozen_snapshot() -> HubSnapshot:
    clusters = {f"cluster{i}": {"location-group": "edge", "name": f"cluster{i}"} for i in (1, 2, 3)}
    clusters["cluster3"]["location-group"] = "cloud"
    policy = load_text(TEMPLATES["nginx-bindingpolicy"].text)[0].obj
    documents = load_text(TEMPLATES["nginx"].text + "---\n" + TEMPLATES["service"].text)
    facts = HubFacts(clusters, {"nginx": {"app.kubernetes.io/name": "nginx"}}, {"nginx-bpolicy": policy}, BUILTIN)
    objects = [(object_ref(d.obj, BUILTIN.resolve(d.api_version, d.kind).plural), d.obj) for d in documents]
    return HubSnapshot.of(facts, Inventory(clusters, objects, facts.namespaces))


class FrozenSession(HubSession):
    def snapshot(self) -> HubSnapshot:
        return frozen_snapshot()


def frozen_app() -> KStellarApp:
    app = KStellarApp(DemoFeed(3, 3, interval=None), config=Config(refresh_hz=30, theme="dark"),
                      sandbox_note="sandbox: frozen")
    session = FrozenSession("/nonexistent/kubeconfig")
    app.add_mode("workloads", lambda: WorkloadsScreen(session))
    app.add_mode("bindingpolicies", lambda: PolicyBuilderScreen(session))
    return app


async def still(pilot: Pilot) -> None:
    for area in pilot.app.screen.query(YamlEditor):
        area.cursor_blink = False
    for box in pilot.app.screen.query(Input):
        box.cursor_blink = False
    await pilot.pause()


def test_workloads_screen_dark(snap_compare) -> None:
    async def run_before(pilot: Pilot) -> None:
        screen = await open_mode(pilot, "workloads")
        await wait_until(pilot, lambda: screen.table.row_count == 3)
        await pick_template(pilot, screen, "nginx")
        await wait_until(pilot, lambda: screen.query_one(FindingList).lines[0].startswith("✓ 2 documents"))
        screen.table.focus()
        await still(pilot)

    assert snap_compare(frozen_app(), terminal_size=SIZE, run_before=run_before)


def test_policy_builder_dark(snap_compare) -> None:
    async def run_before(pilot: Pilot) -> None:
        await pilot.app.run_command("bp nginx-bpolicy")  # before the hub is read: loaded once it is
        screen = await open_mode(pilot, "bindingpolicies")
        await wait_until(pilot, lambda: summary(screen).endswith("2 clusters, 3 objects"))
        lint = screen.query_one("#bp-lint", FindingList)
        await wait_until(pilot, lambda: lint.lines[:1] == ["✓ lint: 0 errors, 0 warnings"])
        screen.query_one("#bp-add", Button).focus()
        await still(pilot)

    assert snap_compare(frozen_app(), terminal_size=SIZE, run_before=run_before)
