"""Getting Started scenarios 0, 1 and 4 and the lifecycle rows of the reference's §3.5, driven with
the real kubectl against a `quickstart` sandbox (2 WECs labelled location-group=edge,name=clusterN).

One sandbox serves the whole module: its runtime, topology manager and `quickstart` preset run on
an event loop in a background thread, and the tests only talk to it the way a user does, through
kubectl. Each test uses its own names and cleans up after itself."""

from __future__ import annotations

import asyncio
import json
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kstellar_tui.sandbox import presets
from kstellar_tui.sandbox.controllers.manager import TopologyManager
from kstellar_tui.sandbox.runtime import Sandbox as Runtime
from tests.sandbox._helpers import Sandbox, wait_for

pytestmark = pytest.mark.kubectl

WECS = ("cluster1", "cluster2")


class QuickstartSandbox(Sandbox):
    """A sandbox whose runtime runs in this process, on its own thread's event loop."""

    def __init__(self, base: Path) -> None:
        super().__init__(state_dir=base / "state", clusters=["kind-kubeflex", "its1", "wds1", *WECS],
                         cache_dir=base / "kubectl-cache")
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="quickstart-sandbox", daemon=True)
        self.runtime = Runtime(self.state_dir, [])
        self.topology: TopologyManager | None = None

    def call(self, coro: Any, timeout: float = 60) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def start(self) -> None:
        self.thread.start()
        self.call(self._start())

    async def _start(self) -> None:
        await self.runtime.start()
        self.topology = TopologyManager(self.runtime)
        self.topology.start()
        await presets.apply(self.topology, "quickstart", presets.PresetOptions(wecs=len(WECS)))

    def stop(self) -> None:
        async def _stop() -> None:
            if self.topology is not None:
                await self.topology.stop()
            await self.runtime.stop()
        try:
            self.call(_stop())
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(10)

    def set_offline(self, cluster: str, offline: bool) -> None:
        self.call(self.runtime.set_offline(cluster, offline))

    # -- what the tests look at ------------------------------------------------------------------
    def apply(self, manifest: str, context: str = "wds1") -> None:
        self.kubectl_ok(context, "apply", "-f", "-", input=manifest)

    def get(self, context: str, *args: str) -> dict | None:
        """The object as JSON, or None when kubectl says NotFound."""
        proc = self.kubectl(context, "get", *args, "-o", "json")
        if proc.returncode != 0:
            assert "NotFound" in proc.stderr or "not found" in proc.stderr, proc.stderr
            return None
        return json.loads(proc.stdout)

    def holders(self, *args: str) -> set[str]:
        """The WECs where `kubectl get <args>` finds the object."""
        return {wec for wec in WECS if self.get(wec, *args) is not None}

    def until(self, condition: Any, message: str, timeout: float = 20) -> Any:
        return wait_for(condition, timeout=timeout, interval=0.1, message=message)


@pytest.fixture(scope="module")
def sandbox() -> Iterator[QuickstartSandbox]:
    with tempfile.TemporaryDirectory(prefix="kstellar-scenarios-") as base:
        sb = QuickstartSandbox(Path(base))
        sb.start()
        try:
            yield sb
        finally:
            sb.stop()


def bp(name: str, cluster_labels: dict[str, str], clauses: list[dict]) -> str:
    return json.dumps({"apiVersion": "control.kubestellar.io/v1alpha1", "kind": "BindingPolicy",
                       "metadata": {"name": name},
                       "spec": {"clusterSelectors": [{"matchLabels": cluster_labels}], "downsync": clauses}})


def by_label(value: str, **modulation: Any) -> dict:
    return {"objectSelectors": [{"matchLabels": {"app.kubernetes.io/name": value}}], **modulation}


def namespace(name: str, app: str) -> str:
    return json.dumps({"apiVersion": "v1", "kind": "Namespace",
                       "metadata": {"name": name, "labels": {"app.kubernetes.io/name": app}}})


def nginx(name: str, namespace: str, app: str, replicas: int = 1) -> str:
    return json.dumps({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": name, "namespace": namespace, "labels": {"app.kubernetes.io/name": app}},
        "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": "nginx"}},
                 "template": {"metadata": {"labels": {"app": "nginx"}},
                              "spec": {"containers": [{"name": "nginx", "image": "public.ecr.aws/nginx/nginx:latest",
                                                       "ports": [{"containerPort": 80}]}]}}}})


def available(sb: QuickstartSandbox, context: str, namespace: str, name: str) -> int:
    obj = sb.get(context, "deployment", "-n", namespace, name) or {}
    return (obj.get("status") or {}).get("availableReplicas", 0)


def teardown(sb: QuickstartSandbox, *policies: str, namespaces: tuple[str, ...] = ()) -> None:
    for name in namespaces:
        sb.kubectl_ok("wds1", "delete", "namespace", name, "--ignore-not-found", "--wait=false")
    for name in policies:
        sb.kubectl_ok("wds1", "delete", "bindingpolicy", name, "--ignore-not-found", "--wait=false")
    sb.until(lambda: not any(sb.kubectl_json("its1", "get", "manifestworks", "-A",
                                              "-l", f"transport.kubestellar.io/originOwnerReferenceBindingKey={p}")["items"]
                             for p in policies), "the policies' ManifestWorks to go")


# ---------------------------------------------------------------------------------------------- scenarios
def test_scenario_0_the_edge_clusters(sandbox: QuickstartSandbox) -> None:
    out = sandbox.kubectl_ok("its1", "get", "managedclusters", "-l", "location-group=edge",
                             "-o", "custom-columns=NAME:.metadata.name,JOINED:.status.conditions[?(@.type=='ManagedClusterJoined')].status",
                             "--no-headers")
    assert out.split() == ["cluster1", "True", "cluster2", "True"]


def test_scenario_1_nginx_reaches_both_clusters(sandbox: QuickstartSandbox) -> None:
    sandbox.apply(bp("nginx-bpolicy", {"location-group": "edge"}, [by_label("nginx")]))
    sandbox.apply(namespace("nginx", "nginx"))
    sandbox.apply(nginx("nginx-deployment", "nginx", "nginx"))
    sandbox.until(lambda: all(available(sandbox, wec, "nginx", "nginx-deployment") == 1 for wec in WECS),
                  "nginx-deployment available on both WECs")
    binding = sandbox.get("wds1", "binding", "nginx-bpolicy")
    assert [(e["resource"], e["name"]) for e in binding["spec"]["workload"]["clusterScope"]] == [("namespaces", "nginx")]
    assert [(e["resource"], e["namespace"], e["name"]) for e in binding["spec"]["workload"]["namespaceScope"]] == [
        ("deployments", "nginx", "nginx-deployment")]
    assert binding["spec"]["destinations"] == [{"clusterId": "cluster1"}, {"clusterId": "cluster2"}]
    for wec in WECS:
        works = sandbox.kubectl_json("its1", "get", "manifestworks", "-n", wec)["items"]
        assert len([w for w in works if w["metadata"]["labels"].get(
            "transport.kubestellar.io/originOwnerReferenceBindingKey") == "nginx-bpolicy"]) == 2
    assert "status" not in sandbox.get("wds1", "deployment", "-n", "nginx", "nginx-deployment")
    teardown(sandbox, "nginx-bpolicy", namespaces=("nginx",))
    sandbox.until(lambda: sandbox.holders("namespace", "nginx") == set(), "nginx gone from the WECs")


def test_scenario_4_singleton_status(sandbox: QuickstartSandbox) -> None:
    sandbox.apply(bp("nginx-singleton-bpolicy", {"name": "cluster1"},
                     [by_label("nginx-singleton", wantSingletonReportedState=True)]))
    sandbox.apply(nginx("nginx-singleton-deployment", "default", "nginx-singleton"))
    sandbox.until(lambda: available(sandbox, "wds1", "default", "nginx-singleton-deployment") == 1,
                  "cluster1's status in the WDS")
    assert sandbox.holders("deployment", "-n", "default", "nginx-singleton-deployment") == {"cluster1"}
    wds = sandbox.get("wds1", "deployment", "-n", "default", "nginx-singleton-deployment")
    assert wds["metadata"]["labels"]["managed-by.kubestellar.io/singletonstatus"] == "true"
    sandbox.until(lambda: sandbox.get("wds1", "deployment", "-n", "default", "nginx-singleton-deployment")["status"]
                  == sandbox.get("cluster1", "deployment", "-n", "default", "nginx-singleton-deployment")["status"],
                  "the WDS status to equal cluster1's")

    sandbox.kubectl_ok("wds1", "scale", "deployment", "-n", "default", "nginx-singleton-deployment", "--replicas=2")
    sandbox.until(lambda: available(sandbox, "wds1", "default", "nginx-singleton-deployment") == 2,
                  "the WDS to show 2 replicas")
    assert available(sandbox, "cluster1", "default", "nginx-singleton-deployment") == 2

    sandbox.kubectl_ok("wds1", "patch", "bindingpolicy", "nginx-singleton-bpolicy", "--type=merge", "-p",
                       json.dumps({"spec": {"clusterSelectors": [{"matchLabels": {"location-group": "edge"}}]}}))
    sandbox.until(lambda: sandbox.get("wds1", "deployment", "-n", "default",
                                      "nginx-singleton-deployment").get("status") in (None, {}),
                  "the status to be cleared")
    errors = sandbox.until(lambda: sandbox.get("wds1", "bindingpolicy", "nginx-singleton-bpolicy")
                           .get("status", {}).get("errors"), "the policy to report the WEC count")
    assert errors[0].startswith("Singleton reported status return is requested but some objects have the wrong "
                                "number of associated WECs, for example: ")
    sandbox.kubectl_ok("wds1", "delete", "deployment", "-n", "default", "nginx-singleton-deployment")
    teardown(sandbox, "nginx-singleton-bpolicy")


# ---------------------------------------------------------------------------------------------- lifecycle
def test_create_only_is_created_once(sandbox: QuickstartSandbox) -> None:
    sandbox.apply(bp("nginx-create-only", {"location-group": "edge"},
                     [{"resources": ["namespaces"], **by_label("create-only")},
                      {"resources": ["deployments"], "createOnly": True, **by_label("create-only")}]))
    sandbox.apply(namespace("create-only", "create-only"))
    sandbox.apply(nginx("web", "create-only", "create-only"))
    sandbox.until(lambda: sandbox.holders("deployment", "-n", "create-only", "web") == set(WECS), "web on both WECs")
    binding = sandbox.get("wds1", "binding", "nginx-create-only")["spec"]["workload"]
    assert "createOnly" not in binding["clusterScope"][0] and binding["namespaceScope"][0]["createOnly"] is True
    uids = {wec: sandbox.get(wec, "deployment", "-n", "create-only", "web")["metadata"]["uid"] for wec in WECS}
    sandbox.kubectl_ok("wds1", "scale", "deployment", "-n", "create-only", "web", "--replicas=3")
    generation = sandbox.get("wds1", "binding", "nginx-create-only")["metadata"]["generation"]
    sandbox.until(lambda: all(w["metadata"]["annotations"]["transport.kubestellar.io/originOwnerReferenceBindingGeneration"]
                              == str(generation) and w["status"]["conditions"][0]["observedGeneration"] == w["metadata"]["generation"]
                              for w in sandbox.kubectl_json("its1", "get", "manifestworks", "-A", "-l",
                                                            "transport.kubestellar.io/originOwnerReferenceBindingKey=nginx-create-only")["items"]),
                  "the rewritten ManifestWorks to be applied")
    for wec in WECS:
        copy = sandbox.get(wec, "deployment", "-n", "create-only", "web")
        assert (copy["spec"]["replicas"], copy["metadata"]["uid"]) == (1, uids[wec])
    teardown(sandbox, "nginx-create-only", namespaces=("create-only",))


def test_two_overlapping_policies_the_object_survives_deleting_one(sandbox: QuickstartSandbox) -> None:
    sandbox.apply(namespace("overlap", "overlap"))
    sandbox.apply(nginx("web", "overlap", "overlap"))
    sandbox.apply(bp("overlap-a", {"location-group": "edge"}, [by_label("overlap")]))
    sandbox.apply(bp("overlap-b", {"location-group": "edge"}, [by_label("overlap")]))
    sandbox.until(lambda: all(len((sandbox.get(wec, "deployment", "-n", "overlap", "web") or {})
                                  .get("metadata", {}).get("ownerReferences", [])) == 2 for wec in WECS),
                  "web owned by both ManifestWorks on each WEC")
    uids = {wec: sandbox.get(wec, "deployment", "-n", "overlap", "web")["metadata"]["uid"] for wec in WECS}
    teardown(sandbox, "overlap-a")
    sandbox.until(lambda: all(len(sandbox.get(wec, "deployment", "-n", "overlap", "web")["metadata"]["ownerReferences"]) == 1
                              for wec in WECS), "one owner left")
    assert {wec: sandbox.get(wec, "deployment", "-n", "overlap", "web")["metadata"]["uid"] for wec in WECS} == uids
    teardown(sandbox, "overlap-b", namespaces=("overlap",))
    sandbox.until(lambda: sandbox.holders("namespace", "overlap") == set(), "everything gone with the second policy")


def test_relabel_a_cluster_change_a_selector_remove_a_label_delete_the_object(sandbox: QuickstartSandbox) -> None:
    sandbox.apply(bp("moves", {"location-group": "edge"}, [by_label("moves")]))
    sandbox.apply(namespace("moves", "moves"))
    sandbox.apply(nginx("web", "moves", "moves"))
    sandbox.apply(nginx("api", "moves", "moves"))
    sandbox.until(lambda: sandbox.holders("deployment", "-n", "moves", "web") == set(WECS), "web on both WECs")

    sandbox.kubectl_ok("its1", "label", "managedcluster", "cluster2", "location-group=core", "--overwrite")
    try:
        sandbox.until(lambda: sandbox.holders("namespace", "moves") == {"cluster1"}, "cluster2 dropped after relabel")
    finally:
        sandbox.kubectl_ok("its1", "label", "managedcluster", "cluster2", "location-group=edge", "--overwrite")
    sandbox.until(lambda: sandbox.holders("deployment", "-n", "moves", "web") == set(WECS), "cluster2 back")

    sandbox.kubectl_ok("wds1", "patch", "bindingpolicy", "moves", "--type=merge", "-p",
                       json.dumps({"spec": {"clusterSelectors": [{"matchLabels": {"name": "cluster2"}}]}}))
    sandbox.until(lambda: sandbox.holders("deployment", "-n", "moves", "web") == {"cluster2"}, "selector narrowed")

    sandbox.kubectl_ok("wds1", "label", "deployment", "-n", "moves", "web", "app.kubernetes.io/name-")
    sandbox.until(lambda: sandbox.holders("deployment", "-n", "moves", "web") == set(), "unlabelled web dropped")
    assert sandbox.holders("deployment", "-n", "moves", "api") == {"cluster2"}

    sandbox.kubectl_ok("wds1", "delete", "deployment", "-n", "moves", "api")
    sandbox.until(lambda: sandbox.holders("deployment", "-n", "moves", "api") == set(), "deleted api gone")

    teardown(sandbox, "moves", namespaces=("moves",))
    sandbox.until(lambda: sandbox.holders("namespace", "moves") == set(), "deleting the policy cleans up")


def test_an_offline_wec_converges_when_it_returns(sandbox: QuickstartSandbox) -> None:
    sandbox.apply(bp("offline", {"location-group": "edge"}, [by_label("offline")]))
    sandbox.apply(namespace("offline", "offline"))
    sandbox.apply(nginx("web", "offline", "offline"))
    sandbox.apply(nginx("old", "offline", "offline"))
    sandbox.until(lambda: sandbox.holders("deployment", "-n", "offline", "old") == set(WECS), "old on both WECs")

    sandbox.set_offline("cluster2", True)
    try:
        sandbox.kubectl_ok("wds1", "delete", "deployment", "-n", "offline", "old")
        sandbox.apply(nginx("new", "offline", "offline"))
        sandbox.kubectl_ok("wds1", "scale", "deployment", "-n", "offline", "web", "--replicas=2")
        sandbox.until(lambda: sandbox.get("cluster1", "deployment", "-n", "offline", "new") is not None
                      and sandbox.get("cluster1", "deployment", "-n", "offline", "old") is None
                      and available(sandbox, "cluster1", "offline", "web") == 2, "cluster1 up to date")
        assert sandbox.kubectl("cluster2", "get", "namespaces").returncode != 0  # really unreachable
    finally:
        sandbox.set_offline("cluster2", False)
    sandbox.until(lambda: sandbox.holders("deployment", "-n", "offline", "new") == set(WECS)
                  and not sandbox.holders("deployment", "-n", "offline", "old")
                  and available(sandbox, "cluster2", "offline", "web") == 2, "cluster2 caught up")

    # no duplicates, no orphans: one AppliedManifestWork per ManifestWork, each backed by one
    works = {w["metadata"]["name"] for w in sandbox.kubectl_json("its1", "get", "manifestworks", "-n", "cluster2")["items"]}
    applied = [a["spec"]["manifestWorkName"] for a in sandbox.kubectl_json("cluster2", "get", "appliedmanifestworks")["items"]]
    assert sorted(applied) == sorted(set(applied)) and set(applied) == works
    names = sorted(d["metadata"]["name"] for d in sandbox.kubectl_json("cluster2", "get", "deployments", "-n", "offline")["items"])
    assert names == ["new", "web"]
    teardown(sandbox, "offline", namespaces=("offline",))
    sandbox.until(lambda: sandbox.holders("namespace", "offline") == set(), "clean after the policy")
