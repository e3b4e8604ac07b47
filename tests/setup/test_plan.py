"""Steps as data, the bash rendering, redaction and the choices a user makes (no processes here)."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from kstellar_tui.core.setup.options import OptionsError, SetupOptions, WecSpec, parse_labels
from kstellar_tui.core.setup.plan import CORE, WECS, plan, relist_warning
from kstellar_tui.core.setup.redact import MASK, Redactor
from kstellar_tui.core.setup.script import render
from kstellar_tui.core.setup.steps import Capture, HostOnly, Kind, Var, display, parse_captures, resolve

JOIN_LINE = ("clusteradm join --hub-token abc.def123 --hub-apiserver https://10.0.0.1:31000 "
             "--cluster-name <cluster_name>")


def ids(options: SetupOptions, phase: str | None = None) -> list[str]:
    return [s.id for s in plan(options, phase)]


def test_step_one_follows_getting_started() -> None:
    assert ids(SetupOptions(), CORE) == [
        "hosting-cluster", "ingress-nginx", "ssl-passthrough", "ingress-ready", "use-hosting-context", "core-chart",
        "kflex-hosting", "kflex-ctx-wds1", "kflex-ctx-its1", "its1-hook-its-hub-init", "its1-job-its-hub-init",
        "its1-hook-install-status-addon", "its1-job-install-status-addon", "its1-job-update-cluster-info",
        "wds1-controllers"]
    assert "ssl-passthrough" not in ids(SetupOptions(platform="k3d"), CORE)


def test_step_two_per_wec_and_adopted_contexts() -> None:
    options = SetupOptions(wecs=(WecSpec("cluster1"), WecSpec("edge7", context="prod-edge-7")))
    assert ids(options, WECS) == [
        "create-cluster1", "rename-cluster1", "token", "join-cluster1", "join-edge7", "csr-cluster1", "csr-edge7",
        "prune-csrs-cluster1", "prune-csrs-edge7", "accept-cluster1", "accept-edge7", "available-cluster1",
        "available-edge7", "label-cluster1", "label-edge7"]
    join = next(s for s in plan(options) if s.id == "join-edge7")
    assert join.command == ("clusteradm join --hub-token $TOKEN --hub-apiserver $HUB_APISERVER --cluster-name edge7 "
                            "--context prod-edge-7 --singleton --force-internal-endpoint-lookup")


def test_every_step_says_how_it_is_done_and_what_to_do_when_it_fails() -> None:
    for step in plan(SetupOptions(platform="kind")) + plan(SetupOptions(platform="k3d")):
        assert step.hint, step.id
        assert step.done is not None or step.kind is Kind.WAIT, step.id
        assert (step.kind is Kind.WAIT) == (not step.mutates) or step.kind is Kind.CAPTURE, step.id


def test_spaces_and_labels_are_the_users_choice() -> None:
    options = SetupOptions(its="hub", wds=("wds-a", "wds-b"),
                           wecs=(WecSpec("east", labels=parse_labels("location-group=edge,zone=east")),))
    steps = {s.id: s for s in plan(options)}
    assert "--set-json 'ITSes=[{\"name\":\"hub\"}]' --set-json 'WDSes=[{\"name\":\"wds-a\"},{\"name\":\"wds-b\"}]'" \
        in steps["core-chart"].command
    assert "relisting fewer" in steps["core-chart"].note
    assert {"kflex-ctx-wds-a", "kflex-ctx-wds-b", "kflex-ctx-hub", "hub-job-update-cluster-info",
            "wds-b-controllers"} <= set(steps)
    assert steps["label-east"].command == ("kubectl --context hub label managedcluster east location-group=edge "
                                           "zone=east --overwrite")


@pytest.mark.parametrize(("options", "message"), [
    (SetupOptions(platform="minikube"), "platform must be one of kind, k3d"),
    (SetupOptions(its="ITS_1"), "must be a DNS label"),
    (SetupOptions(its="wds1"), "unique across all spaces"),
    (SetupOptions(wecs=(WecSpec("a"), WecSpec("a"))), "WEC names must be unique"),
    (SetupOptions(wecs=(WecSpec("its1"),)), "clash"),
    (SetupOptions(port=70000), "port must be"),
])
def test_options_that_cannot_work_are_refused(options: SetupOptions, message: str) -> None:
    with pytest.raises(OptionsError, match=message):
        plan(options)


def test_labels_are_checked_like_kubernetes_checks_them() -> None:
    assert parse_labels("a=b, c=d") == (("a", "b"), ("c", "d"))
    with pytest.raises(OptionsError, match="key=value"):
        parse_labels("loose")
    with pytest.raises(OptionsError, match="label '-bad=x': name part must consist of alphanumeric"):
        parse_labels("-bad=x")


def test_captures_and_placeholders() -> None:
    token, hub = Var("TOKEN", secret=True), Var("HUB")
    captures = (Capture(token, "--hub-token"), Capture(hub, "--hub-apiserver"))
    output = f"token=abc.def123\nplease log on spoke and run:\n{JOIN_LINE}\n"
    assert parse_captures(captures, output) == {"TOKEN": "abc.def123", "HUB": "https://10.0.0.1:31000"}
    assert parse_captures(captures, "Error: not a hub") == {}
    argv = ("clusteradm", "join", "--hub-token", token, "--hub-apiserver", hub)
    assert display(argv) == "clusteradm join --hub-token $TOKEN --hub-apiserver $HUB"
    assert resolve(argv, {"TOKEN": "t", "HUB": "h"})[-3:] == ["t", "--hub-apiserver", "h"]
    with pytest.raises(KeyError):
        resolve(argv, {})


def test_the_redactor_masks_known_secrets_and_anything_after_a_token_flag() -> None:
    redact = Redactor()
    assert redact(JOIN_LINE) == JOIN_LINE.replace("abc.def123", MASK)
    assert redact("token=abc.def123") == f"token={MASK}"
    redact.add("s3cr3t-value")
    assert redact("refused s3cr3t-value twice: s3cr3t-value") == f"refused {MASK} twice: {MASK}"
    assert redact("--hub-token $TOKEN") == "--hub-token $TOKEN"


def test_the_script_is_valid_bash_with_the_same_commands_and_no_token() -> None:
    options = SetupOptions()
    steps = plan(options)
    script = render(steps, options)
    if shutil.which("bash"):
        subprocess.run(["bash", "-n"], input=script, text=True, check=True)
    assert script.startswith("#!/usr/bin/env bash\n") and "set -euo pipefail" in script
    assert "kind create cluster --name kubeflex --config - <<'EOF'\nkind: Cluster" in script
    assert 'JOIN_COMMAND="$(clusteradm --context its1 get token | grep \'^clusteradm join\')"' in script
    assert 'TOKEN="$(flag_value --hub-token "$JOIN_COMMAND")"' in script
    assert ('clusteradm join --hub-token "$TOKEN" --hub-apiserver "$HUB_APISERVER" --cluster-name cluster1 '
            "--context cluster1 --singleton --force-internal-endpoint-lookup") in script
    assert ("wait_until 600 kubectl --context its1 get csr -l open-cluster-management.io/cluster-name=cluster1"
            in script)
    assert ("STALE_CSRS_CLUSTER1=\"$(kubectl --context its1 get csr "
            "-l open-cluster-management.io/cluster-name=cluster1 "
            "--sort-by=.metadata.creationTimestamp --no-headers | awk '$NF == \"Pending\" {print $1}' | sed '$d')\"\n"
            '[ -z "$STALE_CSRS_CLUSTER1" ] || kubectl --context its1 delete csr $STALE_CSRS_CLUSTER1') in script
    for step in steps:
        if step.kind is not Kind.CAPTURE and step.bash is None:
            assert step.command.replace("$TOKEN", '"$TOKEN"').replace("$HUB_APISERVER", '"$HUB_APISERVER"') \
                in script, step.id


class _Probe:
    def __init__(self, control_planes: list[dict]):
        self.control_planes = control_planes

    def items(self, context: str, path: str, label_selector: str | None = None) -> list[dict]:
        return self.control_planes


def test_relisting_fewer_spaces_is_warned_about_by_name() -> None:
    def cp(name: str, release: str | None = "ks-core") -> dict:
        annotations = {"meta.helm.sh/release-name": release} if release else {}
        return {"metadata": {"name": name, "annotations": annotations}}

    probe = _Probe([cp("its1"), cp("wds1"), cp("wds2"), cp("mine", release=None)])
    warning = relist_warning(SetupOptions(), probe)
    assert warning is not None and "deletes wds2" in warning and "mine" not in warning
    assert relist_warning(SetupOptions(wds=("wds1", "wds2")), probe) is None


def test_the_sandbox_meaning_of_each_step() -> None:
    host_only = {s.id for s in plan(SetupOptions()) if isinstance(s.op, HostOnly)}
    assert host_only == {"ingress-nginx", "ssl-passthrough", "ingress-ready", "use-hosting-context", "kflex-hosting",
                         "rename-cluster1", "rename-cluster2"}
