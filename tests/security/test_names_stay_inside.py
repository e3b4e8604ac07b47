"""A name a user types, or a cluster sends, never writes outside the folder meant for it: it is
refused with a message that says what a name may be, or encoded into one file name there.

Where names become paths: drafts (keys made of a cluster's kinds, namespaces and names), the
sandbox's clusters (`<state>/db/<name>.sqlite`, through `sandbox up --clusters`, the admin API,
the join's cluster name, the core chart's space names), the setup's ITS/WDS/WEC names, and
screenshots (a name the app makes). Themes and config paths are only ever read."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from kstellar_tui import locations
from kstellar_tui.core.drafts import Drafts
from kstellar_tui.core.setup.options import OptionsError, SetupOptions, WecSpec
from tests.sandbox._helpers import REPO_ROOT, _clean_env
from tests.security.conftest import World
from tests.tui.conftest import SIZE, make_app, wait_until

HOSTILE = ["../x", "../../../../../../tmp/escaped", "/etc/x", "a/b", "..", ".", "a\x00b", "x" * 300, "ünïcødé-名前",
           "a\nb", "cluster1\n", "~", "%2e%2e%2fx", "\ud800", "-", "con", " ", "a" * 64, "A"]
"""Names no cluster, space or file may be called, or that a careless encoding would turn into a path."""

BAD_CLUSTER_NAMES = [n for n in HOSTILE if n not in ("con",)]  # "con" is a fine DNS label


def _files(root: Path) -> set[Path]:
    return {p for p in root.rglob("*") if p.is_file()}


@pytest.mark.parametrize("name", HOSTILE, ids=repr)
def test_a_draft_named_from_cluster_data_stays_in_the_drafts_folder(tmp_path: Path, name: str) -> None:
    folder = tmp_path / "home" / "drafts"
    drafts = Drafts(folder)
    key = f"edit apps/deployments/{name}/{name}"  # namespace and name as a cluster sent them
    drafts.save(key, "kind: Deployment\n")
    assert [p.parent for p in _files(tmp_path)] == [folder]
    assert drafts.load(key) == "kind: Deployment\n"
    assert [d.size for d in drafts.list()] == [len("kind: Deployment\n")]
    drafts.discard(key)
    assert _files(tmp_path) == set() and drafts.load(key) is None


def test_long_draft_names_that_share_a_beginning_stay_apart(tmp_path: Path) -> None:
    drafts = Drafts(tmp_path / "drafts")
    names = [f"edit apps/deployments/{'n' * 250}/{tail}" for tail in ("a", "b")]
    for name in names:
        drafts.save(name, name[-1])
    assert [drafts.load(n) for n in names] == ["a", "b"]
    assert all(len(p.name.encode()) <= 255 for p in _files(tmp_path)) and len(_files(tmp_path)) == 2


@pytest.mark.parametrize("name", BAD_CLUSTER_NAMES, ids=repr)
def test_setup_refuses_space_and_wec_names_that_are_not_dns_labels(name: str) -> None:
    for options in (SetupOptions(its=name), SetupOptions(wds=(name,)), SetupOptions(wecs=(WecSpec(name),)),
                    SetupOptions(wecs=(WecSpec(name, context="kind-x"),))):
        with pytest.raises(OptionsError, match="must be a DNS label"):
            options.validate()


def test_the_setup_command_says_what_a_name_may_be(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "kstellar_tui", "setup", "plan", "--wecs", "cluster1,../x",
                           "--labels", "tier=gold"],
                          cwd=REPO_ROOT, capture_output=True, text=True, timeout=60, env=_clean_env(tmp_path))
    assert done.returncode == 2 and done.stdout == ""
    assert "WEC name '../x' must be a DNS label: lower-case letters, digits and '-'" in done.stderr


def test_the_sandbox_refuses_cluster_names_that_are_not_dns_labels(world: World) -> None:
    sandbox, state = world.sandbox, world.sandbox.state_dir
    before, clusters = _files(state.parent), sandbox.admin("GET", "/_sandbox/status").json["clusters"].keys()
    for name in BAD_CLUSTER_NAMES:
        for path, body in (("/_sandbox/clusters", {"name": name}),
                           ("/_sandbox/core", {"ITSes": [{"name": "its1"}], "WDSes": [{"name": name}]}),
                           ("/_sandbox/join", {"cluster": "cluster1", "its": "its1", "clusterName": name,
                                               "token": world.secrets()["clusteradm join token"]})):
            res = sandbox.admin("POST", path, body)
            why = "not valid JSON" if name == "\ud800" else "invalid cluster name"  # a lone surrogate is not JSON
            assert res.status == 400 and why in res.json["message"], (path, repr(name), res)
    assert sandbox.admin("GET", "/_sandbox/status").json["clusters"].keys() == clusters
    new = {p for p in _files(state.parent) - before if state / "db" not in p.parents}
    assert {p.name for p in new} <= {"sandbox.log"}, new
    assert not Path("/etc/x").exists() and not Path("/tmp/escaped").exists()


def test_sandbox_up_refuses_bad_cluster_names_and_writes_nothing_outside(tmp_path: Path) -> None:
    state = tmp_path / "box" / "state"
    done = subprocess.run([sys.executable, "-m", "kstellar_tui", "sandbox", "up", "--detach", "--clusters",
                           "good,../x,/etc/x", "--state-dir", str(state)], cwd=REPO_ROOT, capture_output=True,
                          text=True, timeout=60, env=_clean_env(tmp_path / "xdg"))
    assert done.returncode != 0
    assert "invalid cluster name '../x'" in done.stderr + done.stdout
    assert {p for p in _files(tmp_path) if state not in p.parents} == set()
    assert not (state / "db" / "good.sqlite").exists(), "refused as a whole, before anything is served"


async def test_a_screenshot_lands_in_the_screenshots_folder_under_a_name_the_app_makes(tmp_path: Path) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        assert await app.run_command("screenshot")
        await wait_until(pilot, lambda: bool(_files(tmp_path)))
    [shot] = _files(tmp_path)
    assert shot.parent == locations.screenshots_dir() and shot.name.startswith("kstellar-tui")
