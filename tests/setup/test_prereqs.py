"""Prerequisites: real version arithmetic against the v0.30.0 minimums, with the fix for each failure.

Versions come from fake tools on PATH answering the probes upstream's checker runs."""

from __future__ import annotations

import pytest

from kstellar_tui.core.setup.prereqs import all_pass, check_prerequisites, tools_for
from kstellar_tui.core.setup.versions import Version, string_less
from tests.setup.conftest import FakeHost


@pytest.mark.parametrize(("text", "expected"), [
    ("Kubeflex version: v0.9.3.5b0b5b4 2025-06-04T18:52:13Z", Version(0, 9, 3)),
    (":v1.0.0-0-g6d3b1b0", Version(1, 0, 0)),
    ("v3.16.4", Version(3, 16, 4)),
    ("Docker version 27.3.1, build ce12230", Version(27, 3, 1)),
    ("kind v0.27.0 go1.23.4 linux/amd64", Version(0, 27, 0)),
    ("k3d version v5.8.3", Version(5, 8, 3)),
    ("v1.32.4-dispatcher", Version(1, 32, 4)),
    ("Docker version 20.10", Version(20, 10, 0)),
    ("no digits here", None),
])
def test_versions_parse_from_every_probe_format(text: str, expected: Version | None) -> None:
    assert Version.parse(text) == expected


def test_semver_orders_what_string_comparison_gets_wrong() -> None:
    assert Version(0, 10, 0) > Version(0, 9, 3)
    assert string_less("Kubeflex version: v0.10.0", "Kubeflex version: v0.9.3")  # upstream's quirk


def verdicts(tools: FakeHost, platform: str = "kind", **versions: str):
    tools.knobs(versions=versions)
    found = check_prerequisites(platform, tools.env, sysctl_dir=tools.inotify_dir())
    return {v.name: v for v in found}


def test_the_fakes_pass_and_the_table_covers_every_tool(fake_tools: FakeHost) -> None:
    found = verdicts(fake_tools)
    assert list(found) == [*tools_for("kind"), "fs.inotify.max_user_watches", "fs.inotify.max_user_instances"]
    assert all(v.ok for v in found.values()), found
    assert found["kflex"].found == "v0.9.3" and found["clusteradm"].found == "v1.0.0"
    assert found["kubectl"].found.startswith("v1.")  # the real kubectl behind the fake
    assert list(verdicts(fake_tools, "k3d")) == list(tools_for("k3d"))


def test_clusteradm_must_be_1_0_x_and_the_fix_installs_it(fake_tools: FakeHost) -> None:
    fix = ("bash <(curl -L https://raw.githubusercontent.com/open-cluster-management-io/clusteradm/main/install.sh) "
           "1.0.0")
    old = verdicts(fake_tools, clusteradm="client\t\tversion\t:v0.10.1-0-g1234567")["clusteradm"]
    assert (old.ok, old.found, old.detail, old.fix) == (False, "v0.10.1", "too old", fix)
    new = verdicts(fake_tools, clusteradm="client\t\tversion\t:v1.1.0-0-gabcdef0")["clusteradm"]
    assert new.ok is False and new.detail.startswith("too new") and new.fix == fix
    assert verdicts(fake_tools, clusteradm="client\t\tversion\t:v1.0.7")["clusteradm"].ok


def test_kflex_0_10_passes_with_a_warning_about_upstreams_checker(fake_tools: FakeHost) -> None:
    kflex = verdicts(fake_tools, kflex="Kubeflex version: v0.10.0.abc 2025-09-01T00:00:00Z")["kflex"]
    assert kflex.ok and "check_pre_req.sh" in kflex.warning and "would reject" in kflex.warning
    assert not verdicts(fake_tools)["kflex"].warning
    old = verdicts(fake_tools, kflex="Kubeflex version: v0.9.2.abc")["kflex"]
    assert old.ok is False and "install-kubeflex.sh" in old.fix


@pytest.mark.parametrize(("tool", "text"), [
    ("helm", "v2.17.0"), ("docker", "Docker version 19.03.12, build 48a66213fe"),
    ("kind", "kind v0.19.0 go1.20.4 linux/amd64"), ("k3d", "k3d version v5.7.3"),
])
def test_too_old_tools_fail_with_an_install_command(fake_tools: FakeHost, tool: str, text: str) -> None:
    platform = "k3d" if tool == "k3d" else "kind"
    verdict = verdicts(fake_tools, platform, **{tool: text})[tool]
    assert verdict.ok is False and verdict.detail == "too old" and verdict.fix


def test_missing_tools_and_low_inotify_limits_fail_with_fixes(fake_tools: FakeHost) -> None:
    (fake_tools.bin / "kflex").unlink()
    found = {v.name: v for v in check_prerequisites("kind", fake_tools.env,
                                                    sysctl_dir=fake_tools.inotify_dir(watches=8192, instances=128))}
    assert found["kflex"].ok is False and found["kflex"].detail == "kflex is not on PATH"
    watches = found["fs.inotify.max_user_watches"]
    assert (watches.ok, watches.found) == (False, "8192")
    assert watches.fix.startswith("sudo sysctl fs.inotify.max_user_watches=524288")
    assert "sudo sysctl fs.inotify.max_user_instances=512" in found["fs.inotify.max_user_instances"].fix
    assert not all_pass(list(found.values()))


def test_unreadable_inotify_limits_are_unknown_not_failures(fake_tools: FakeHost, tmp_path) -> None:
    found = check_prerequisites("kind", fake_tools.env, sysctl_dir=tmp_path / "absent")
    unknown = [v for v in found if v.name.startswith("fs.inotify")]
    assert [v.ok for v in unknown] == [None, None] and all("docker run --rm busybox sysctl" in v.warning
                                                           for v in unknown)
    assert all_pass(found)
