"""The host runner drives recording fakes of kind/k3d, helm, kflex, clusteradm and kubectl
(fake_tools.py) whose clusters live in an empty sandbox; checks and waits are real API reads.

The expected command sequences are written out from the reference (§1.2 and its k3d variant),
not derived from the plan, so a drift in either shows here."""

from __future__ import annotations

import base64
import threading
import time

import pytest

from kstellar_tui.core.setup import events as ev
from kstellar_tui.core.setup.host import HostBackend
from kstellar_tui.core.setup.options import SetupOptions
from kstellar_tui.core.setup.plan import plan
from kstellar_tui.core.setup.runner import SetupRunner
from kstellar_tui.core.setup.steps import HostOnly, Step
from tests.sandbox._helpers import table_rows
from tests.setup.conftest import FakeHost

INGRESS = ("https://raw.githubusercontent.com/kubernetes/ingress-nginx/refs/tags/controller-v1.12.1/deploy/static/"
           "provider/kind/deploy.yaml")
SSL_PATCH = ('{"spec":{"template":{"spec":{"containers":[{"name":"controller","args":["/nginx-ingress-controller",'
             '"--election-id=ingress-nginx-leader","--controller-class=k8s.io/ingress-nginx","--ingress-class=nginx",'
             '"--configmap=$(POD_NAMESPACE)/ingress-nginx-controller","--validating-webhook=:8443",'
             '"--validating-webhook-certificate=/usr/local/certificates/cert",'
             '"--validating-webhook-key=/usr/local/certificates/key","--watch-ingress-without-class=true",'
             '"--publish-status-address=localhost","--enable-ssl-passthrough"]}]}}}}')
CHART = ["helm", "upgrade", "--install", "ks-core", "oci://ghcr.io/kubestellar/kubestellar/core-chart",
         "--version", "0.30.0", "--set-json", 'ITSes=[{"name":"its1"}]', "--set-json", 'WDSes=[{"name":"wds1"}]',
         "--set", "verbosity.default=5"]
KFLEX = [["kflex", "ctx", "--set-current-for-hosting"],
         ["kflex", "ctx", "--overwrite-existing-context", "wds1"],
         ["kflex", "ctx", "--overwrite-existing-context", "its1"]]
K3S = "rancher/k3s:v1.32.13-k3s1"


def registration(platform: str, *, created: tuple[str, ...] = ("cluster1", "cluster2")) -> list[list[str]]:
    """Step 2 of Getting Started for cluster1 and cluster2, token in `<TOKEN>`/`<HUB>` placeholders."""
    create = {"kind": lambda c: ["kind", "create", "cluster", "--name", c],
              "k3d": lambda c: ["k3d", "cluster", "create", "--image", K3S, "--network", "k3d-kubeflex", c]}[platform]
    return [
        *(create(c) for c in created),
        *(["kubectl", "config", "rename-context", f"{platform}-{c}", c] for c in ("cluster1", "cluster2")),
        ["clusteradm", "--context", "its1", "get", "token"],
        *(["clusteradm", "join", "--hub-token", "<TOKEN>", "--hub-apiserver", "<HUB>", "--cluster-name", c,
           "--context", c, "--singleton", "--force-internal-endpoint-lookup"] for c in ("cluster1", "cluster2")),
        *(["clusteradm", "--context", "its1", "accept", "--clusters", c] for c in ("cluster1", "cluster2")),
        *(["kubectl", "--context", "its1", "label", "managedcluster", c, "location-group=edge", f"name={c}",
           "--overwrite"] for c in ("cluster1", "cluster2")),
    ]


KIND_SEQUENCE = [
    ["kind", "create", "cluster", "--name", "kubeflex", "--config", "-"],
    ["kubectl", "--context", "kind-kubeflex", "apply", "-f", INGRESS],
    ["kubectl", "--context", "kind-kubeflex", "patch", "deployment", "ingress-nginx-controller", "-n", "ingress-nginx",
     "-p", SSL_PATCH],
    ["kubectl", "config", "use-context", "kind-kubeflex"],
    [*CHART, "--kube-context", "kind-kubeflex"],
    *KFLEX,
    *registration("kind"),
]
K3D_SEQUENCE = [
    ["k3d", "cluster", "create", "--image", K3S, "-p", "9443:443@loadbalancer", "--k3s-arg",
     "--disable=traefik@server:*", "kubeflex"],
    ["helm", "install", "ingress-nginx", "ingress-nginx", "--set", "controller.extraArgs.enable-ssl-passthrough=",
     "--repo", "https://kubernetes.github.io/ingress-nginx", "--version", "4.12.1", "--namespace", "ingress-nginx",
     "--create-namespace", "--kube-context", "k3d-kubeflex"],
    ["kubectl", "config", "use-context", "k3d-kubeflex"],
    [*CHART, "--set", "kubeflex-operator.hostContainer=k3d-kubeflex-server-0", "--kube-context", "k3d-kubeflex"],
    *KFLEX,
    *registration("k3d"),
]


def run(host: FakeHost, options: SetupOptions | None = None) -> tuple[bool, list[ev.Event]]:
    options = options or SetupOptions()
    events: list[ev.Event] = []
    runner = SetupRunner(plan(options), HostBackend(host.env, options.platform), events.append,
                         poll_interval=0.05, retry_delay=0.05)
    return runner.run(), events


def token_of(host: FakeHost) -> tuple[str, str]:
    """The real token and hub URL, as the fake join received them."""
    join = next(argv for argv in host.calls() if argv[:2] == ["clusteradm", "join"])
    return join[join.index("--hub-token") + 1], join[join.index("--hub-apiserver") + 1]


def placeholders(calls: list[list[str]], token: str, hub: str) -> list[list[str]]:
    return [[{token: "<TOKEN>", hub: "<HUB>"}.get(a, a) for a in argv] for argv in calls]


def shown(events: list[ev.Event]) -> str:
    return "\n".join(repr(e) for e in events)


def started(events: list[ev.Event]) -> list[str]:
    return [e.step_id for e in events if isinstance(e, ev.StepStarted)]


def assert_registered(host: FakeHost) -> None:
    out = host.sandbox.kubectl_ok("its1", "get", "managedclusters", "-l", "location-group=edge")
    header, rows = table_rows(out)
    by_name = {row[0]: dict(zip(header, row)) for row in rows}
    assert sorted(by_name) == ["cluster1", "cluster2"]
    for row in by_name.values():
        assert (row["JOINED"], row["AVAILABLE"]) == ("True", "True")


@pytest.mark.kubectl
def test_kind_runs_getting_started_in_order_then_a_rerun_changes_nothing(fake_host: FakeHost) -> None:
    ok, events = run(fake_host)
    assert ok, shown(events)
    token, hub = token_of(fake_host)
    assert placeholders(fake_host.changes(), token, hub) == KIND_SEQUENCE
    config = fake_host.stdin_of(["kind", "create", "cluster", "--name", "kubeflex"])
    assert "hostPort: 9443" in config and "containerPort: 443" in config and "ingress-ready=true" in config
    assert_registered(fake_host)
    kubeconfig = fake_host.kubeconfig.read_text()
    assert token not in shown(events) and token not in kubeconfig
    assert any(isinstance(e, ev.StepOutput) and e.step_id == "token" and "***" in e.line for e in events)

    before = len(fake_host.calls())
    ok, again = run(fake_host)
    assert ok, shown(again)
    assert fake_host.changes(before) == []
    assert started(again) == []
    assert {e.step_id for e in again if isinstance(e, ev.StepSkipped)} == {s.id for s in plan(SetupOptions())}


@pytest.mark.kubectl
def test_k3d_runs_the_k3d_variant(fake_host: FakeHost) -> None:
    options = SetupOptions(platform="k3d")
    ok, events = run(fake_host, options)
    assert ok, shown(events)
    token, hub = token_of(fake_host)
    assert placeholders(fake_host.changes(), token, hub) == K3D_SEQUENCE
    assert_registered(fake_host)
    before = len(fake_host.calls())
    ok, again = run(fake_host, options)
    assert ok and fake_host.changes(before) == [] and started(again) == []


@pytest.mark.kubectl
def test_late_csrs_are_waited_for_and_accept_before_registration_is_retried(fake_host: FakeHost) -> None:
    assert fake_host.run("kind", "create", "cluster", "--name", "cluster1").returncode == 0  # exists already
    fake_host.knobs(join_delay=1.0, accept_fails={"cluster1": 2})
    before = len(fake_host.calls())
    ok, events = run(fake_host)
    assert ok, shown(events)
    token, hub = token_of(fake_host)
    changes = placeholders(fake_host.changes(before), token, hub)
    accept1 = ["clusteradm", "--context", "its1", "accept", "--clusters", "cluster1"]
    expected = [c for c in KIND_SEQUENCE if c != ["kind", "create", "cluster", "--name", "cluster1"]]
    expected[expected.index(accept1):expected.index(accept1)] = [accept1, accept1]
    assert changes == expected
    assert any(isinstance(e, ev.StepSkipped) and e.step_id == "create-cluster1" for e in events)
    csr_waits = [e for e in events if isinstance(e, ev.StepProgress) and e.step_id == "csr-cluster1"]
    assert csr_waits, "the late CSR was not waited for"
    retries = [e.line for e in events if isinstance(e, ev.StepOutput) and e.step_id == "accept-cluster1"]
    assert sum("known race" in line for line in retries) == 2
    assert_registered(fake_host)


@pytest.mark.kubectl
def test_failures_stop_with_command_output_and_hint_and_the_next_run_resumes_there(fake_host: FakeHost) -> None:
    fake_host.knobs(port_taken=True)
    ok, events = run(fake_host)
    failure = next(e for e in events if isinstance(e, ev.StepFailed))
    assert not ok and failure.step_id == "hosting-cluster"
    assert failure.command == "kind create cluster --name kubeflex --config -"
    assert any("port is already allocated" in line for line in failure.output)
    assert "sudo lsof -i :9443" in failure.hint
    assert events[-1] == ev.RunFinished(False, "hosting-cluster", False)
    assert fake_host.changes() == [KIND_SEQUENCE[0]]

    fake_host.knobs(fail_create=["cluster2"])
    before = len(fake_host.calls())
    ok, events = run(fake_host)
    failure = next(e for e in events if isinstance(e, ev.StepFailed))
    assert not ok and failure.step_id == "create-cluster2" and "Docker is not running" in failure.hint
    assert fake_host.changes(before)[-1] == ["kind", "create", "cluster", "--name", "cluster2"]

    fake_host.knobs(join_fails=["cluster2"])
    before = len(fake_host.calls())
    ok, events = run(fake_host)
    failure = next(e for e in events if isinstance(e, ev.StepFailed))
    assert not ok and failure.step_id == "join-cluster2"
    token, _ = token_of(fake_host)
    assert failure.output == ("Error: the hub refused bootstrap token *** for cluster2",)
    assert token not in shown(events)
    resumed = [c[:4] for c in fake_host.changes(before)]
    assert resumed[0] == ["kind", "create", "cluster", "--name"] and ["kubectl", "config", "use-context",
                                                                        "kind-kubeflex"] not in resumed
    assert ["helm", "upgrade", "--install", "ks-core"] not in resumed

    fake_host.knobs()
    before = len(fake_host.calls())
    ok, events = run(fake_host)
    assert ok, shown(events)
    token, hub = token_of(fake_host)
    join1 = next(c for c in KIND_SEQUENCE if c[:2] == ["clusteradm", "join"])
    assert placeholders(fake_host.changes(before), token, hub) == [c for c in KIND_SEQUENCE[-7:] if c != join1]
    assert started(events)[0] == "token"
    assert_registered(fake_host)


def test_cancel_stops_the_running_command(fake_tools: FakeHost) -> None:
    slow = fake_tools.bin / "slow"
    slow.write_text("#!/bin/sh\necho started\nexec sleep 60\n")
    slow.chmod(0o755)
    events: list[ev.Event] = []
    output_seen = threading.Event()

    def emit(event: ev.Event) -> None:
        events.append(event)
        if isinstance(event, ev.StepOutput):
            output_seen.set()

    step = Step("slow", "core", "a slow command", ("slow",), HostOnly("test"))
    runner = SetupRunner([step], HostBackend(fake_tools.env, "kind"), emit)
    worker = threading.Thread(target=runner.run)
    begun = time.monotonic()
    worker.start()
    assert output_seen.wait(10)
    runner.cancel()
    worker.join(10)
    assert not worker.is_alive() and time.monotonic() - begun < 10
    assert events[-2:] == [ev.StepFailed("slow", "slow", None, (), "run again to resume here", "cancelled"),
                           ev.RunFinished(False, "slow", True)]


STALE_CSR = """\
apiVersion: certificates.k8s.io/v1
kind: CertificateSigningRequest
metadata:
  name: cluster1-00000
  labels:
    open-cluster-management.io/cluster-name: cluster1
    open-cluster-management.io/agent-name: an-earlier-join
spec:
  request: {request}
  signerName: kubernetes.io/kube-apiserver-client
  usages: [digital signature, key encipherment, client auth]
  username: system:bootstrap:earlier
  groups: [system:bootstrappers:managedcluster, system:bootstrappers, system:authenticated]
"""


@pytest.mark.kubectl
def test_a_stale_pending_csr_from_an_earlier_join_is_deleted_before_accepting(fake_host: FakeHost) -> None:
    options = SetupOptions()
    events: list[ev.Event] = []
    runner = SetupRunner(plan(options), HostBackend(fake_host.env, "kind"), events.append, poll_interval=0.05,
                         retry_delay=0.05)
    assert runner.run("core"), shown(events)
    request = base64.b64encode(b"-----BEGIN CERTIFICATE REQUEST-----\n-----END CERTIFICATE REQUEST-----\n").decode()
    fake_host.sandbox.kubectl_ok("its1", "create", "-f", "-", input=STALE_CSR.format(request=request))
    assert runner.run(), shown(events)
    assert ["kubectl", "--context", "its1", "delete", "csr", "cluster1-00000"] in fake_host.changes()
    assert "prune-csrs-cluster2" not in started(events)
    csrs = fake_host.sandbox.kubectl_ok("its1", "get", "csr", "-o", "name")
    assert "cluster1-00000" not in csrs
    assert_registered(fake_host)
