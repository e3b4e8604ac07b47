"""`kstellar-tui status -o json` against a quickstart sandbox equals what is really on the WECs.

Each step changes the world through the real kubectl (as a user would), then polls the CLI until
the grid settles, and checks it against the truth read directly from the WECs with kubectl."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator

import pytest

from tests.quickstart import Hub, running_quickstart
from tests.sandbox._helpers import wait_for

pytestmark = pytest.mark.kubectl

NGINX = """
apiVersion: v1
kind: Namespace
metadata: {name: nginx, labels: {app.kubernetes.io/name: nginx}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: nginx-deployment, namespace: nginx, labels: {app.kubernetes.io/name: nginx}}
spec:
  replicas: 1
  selector: {matchLabels: {app: nginx}}
  template:
    metadata: {labels: {app: nginx}}
    spec: {containers: [{name: nginx, image: "public.ecr.aws/nginx/nginx:latest"}]}
---
apiVersion: control.kubestellar.io/v1alpha1
kind: BindingPolicy
metadata: {name: nginx-bpolicy}
spec:
  clusterSelectors: [{matchLabels: {location-group: edge}}]
  downsync: [{objectSelectors: [{matchLabels: {app.kubernetes.io/name: nginx}}]}]
"""


class World(Hub):
    """The quickstart hub seen through `status -o json`, next to the truth kubectl reads on the WECs."""

    def status(self) -> dict:
        done = self.cli("status", "-o", "json", "--kubeconfig", str(self.kubeconfig_path), "--timeout", "10")
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    def cells(self) -> dict[tuple[str, str], dict[str, str]]:
        """(kind, namespace/name) -> {cluster: state}."""
        return {(w["kind"], f"{w['namespace']}/{w['name']}"): {c: v["state"] for c, v in w["cells"].items()}
                for w in self.status()["workloads"]}

    def settle(self, check: Callable[[dict], bool], what: str, timeout: float = 30) -> dict:
        seen: list[dict] = []

        def settled() -> bool:
            seen[:] = [self.cells()]
            return check(seen[0])

        wait_for(settled, timeout=timeout, interval=0.3, message=f"{what}; last status: {seen[-1:]}")
        return seen[0]



@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    with running_quickstart(tmp_path_factory.mktemp("status-world"), World) as w:
        yield w


DEPLOY = ("Deployment", "nginx/nginx-deployment")
NAMESPACE = ("Namespace", "/nginx")


def test_getting_started_nginx_is_ready_on_both_wecs(world: World) -> None:
    world.ok("wds1", "apply", "-f", "-", input=NGINX)
    cells = world.settle(lambda c: c.get(DEPLOY) == {"cluster1": "Ready", "cluster2": "Ready"},
                         "nginx Ready on both WECs")
    assert cells[NAMESPACE] == {"cluster1": "Ready", "cluster2": "Ready"}
    assert all(world.exists(c, "deployment", "-n", "nginx", "nginx-deployment") for c in ("cluster1", "cluster2"))


def test_relabelled_cluster_goes_blank_and_loses_the_copy(world: World) -> None:
    world.ok("its1", "label", "managedcluster", "cluster2", "location-group=cloud", "--overwrite")
    world.settle(lambda c: c.get(DEPLOY) == {"cluster1": "Ready", "cluster2": ""}, "cluster2 blank")
    wait_for(lambda: not world.exists("cluster2", "deployment", "-n", "nginx", "nginx-deployment"),
             timeout=20, message="the copy on cluster2 to be removed")
    world.ok("its1", "label", "managedcluster", "cluster2", "location-group=edge", "--overwrite")
    world.settle(lambda c: c.get(DEPLOY) == {"cluster1": "Ready", "cluster2": "Ready"}, "cluster2 back")


def test_changed_selector_moves_the_workload(world: World) -> None:
    world.ok("wds1", "patch", "bindingpolicy", "nginx-bpolicy", "--type", "merge", "-p",
             json.dumps({"spec": {"clusterSelectors": [{"matchLabels": {"name": "cluster1"}}]}}))
    world.settle(lambda c: c.get(DEPLOY) == {"cluster1": "Ready", "cluster2": ""}, "nginx on cluster1 only")
    world.ok("wds1", "patch", "bindingpolicy", "nginx-bpolicy", "--type", "merge", "-p",
             json.dumps({"spec": {"clusterSelectors": [{"matchLabels": {"location-group": "edge"}}]}}))
    world.settle(lambda c: c.get(DEPLOY) == {"cluster1": "Ready", "cluster2": "Ready"}, "nginx on both again")


def test_unpullable_image_is_degraded(world: World) -> None:
    world.ok("wds1", "set", "image", "deployment/nginx-deployment", "-n", "nginx", "nginx=nginx:doesnotexist")
    world.settle(lambda c: c.get(DEPLOY) == {"cluster1": "Degraded", "cluster2": "Degraded"},
                 "nginx Degraded on both", timeout=40)
    world.ok("wds1", "set", "image", "deployment/nginx-deployment", "-n", "nginx", "nginx=nginx:latest")
    world.settle(lambda c: c.get(DEPLOY) == {"cluster1": "Ready", "cluster2": "Ready"}, "nginx healthy again",
                 timeout=40)


def test_create_only_copies_are_not_updated_and_not_drift(world: World) -> None:
    world.ok("wds1", "apply", "-f", "-", input="""
apiVersion: apps/v1
kind: Deployment
metadata: {name: once, namespace: nginx, labels: {app.kubernetes.io/name: once}}
spec:
  replicas: 1
  selector: {matchLabels: {app: once}}
  template:
    metadata: {labels: {app: once}}
    spec: {containers: [{name: c, image: "busybox:1"}]}
---
apiVersion: control.kubestellar.io/v1alpha1
kind: BindingPolicy
metadata: {name: once-bpolicy}
spec:
  clusterSelectors: [{matchLabels: {name: cluster1}}]
  downsync: [{createOnly: true, objectSelectors: [{matchLabels: {app.kubernetes.io/name: once}}]}]
""")
    once = ("Deployment", "nginx/once")
    world.settle(lambda c: c.get(once) == {"cluster1": "Ready", "cluster2": ""}, "once Ready on cluster1")
    world.ok("wds1", "scale", "deployment/once", "-n", "nginx", "--replicas", "3")
    world.settle(lambda c: c.get(once) == {"cluster1": "Ready", "cluster2": ""}, "once still Ready (createOnly)")
    replicas = world.ok("cluster1", "get", "deployment", "once", "-n", "nginx", "-o", "jsonpath={.spec.replicas}")
    assert replicas == "1"


def test_offline_wec_is_unknown_with_its_last_state_then_recovers(world: World) -> None:
    assert world.cli("sandbox", "fault", "offline", "cluster1", "--state-dir", str(world.state)).returncode == 0
    try:
        status = world.status()
        row = next(w for w in status["workloads"] if (w["kind"], w["name"]) == ("Deployment", "nginx-deployment"))
        cell = row["cells"]["cluster1"]
        assert cell["state"] == "Unknown"
        assert "offline since" in cell["message"] and "last known: Ready" in cell["message"]
        assert row["cells"]["cluster2"]["state"] == "Ready"
        assert next(c for c in status["clusters"] if c["name"] == "cluster1")["connection"] == "offline"
    finally:
        world.cli("sandbox", "fault", "online", "cluster1", "--state-dir", str(world.state))
    world.settle(lambda c: c.get(DEPLOY) == {"cluster1": "Ready", "cluster2": "Ready"}, "cluster1 back online")


def test_deleted_workload_leaves_the_grid_and_the_wecs(world: World) -> None:
    world.ok("wds1", "delete", "deployment", "nginx-deployment", "-n", "nginx")
    world.settle(lambda c: DEPLOY not in c, "nginx-deployment gone from status")
    wait_for(lambda: not any(world.exists(c, "deployment", "-n", "nginx", "nginx-deployment")
                             for c in ("cluster1", "cluster2")), timeout=20, message="copies deleted from the WECs")
