"""The policy builder's preview against a quickstart sandbox: nothing applied, every edit re-evaluated,
and — once applied — the binding controller agrees with it."""

from __future__ import annotations

import copy
import json

import pytest

from kstellar_tui.core.apply import Applier
from kstellar_tui.core.fleet.hubfacts import read_hub_facts
from kstellar_tui.core.fleet.preview import Inventory, preview, read_inventory
from kstellar_tui.core.manifests import TEMPLATES, load_text
from tests.sandbox._helpers import wait_for
from tests.workloads.conftest import Hub

NGINX_POLICY = load_text(TEMPLATES["nginx-bindingpolicy"].text)[0].obj


@pytest.fixture(scope="module")
def inventory(hub: Hub) -> Inventory:
    """The WDS as it is (no nginx yet) plus the nginx template open in the editor."""
    facts = read_hub_facts(hub.kubeconfig(), wds="wds1", its="its1")
    return read_inventory(facts).with_documents(load_text(TEMPLATES["nginx"].text), facts.kinds)


def edited(**spec) -> dict:
    policy = copy.deepcopy(NGINX_POLICY)
    policy["spec"].update(spec)
    return policy


def test_nginx_template_previews_two_clusters_two_objects_before_anything_is_applied(hub: Hub, inventory) -> None:
    result = preview(NGINX_POLICY, inventory)
    assert result.summary == "2 clusters, 2 objects"
    assert result.clusters == ["cluster1", "cluster2"]
    assert [(o.ref.kind, o.ref.namespace, o.ref.name) for o in result.objects] == [
        ("Namespace", "", "nginx"), ("Deployment", "nginx", "nginx-deployment")]
    assert not hub.exists("wds1", "namespace", "nginx")
    assert hub.ok("wds1", "get", "bindingpolicies", "-o", "name") == ""


def test_editing_the_cluster_selector_changes_the_preview(inventory) -> None:
    result = preview(edited(clusterSelectors=[{"matchLabels": {"name": "cluster1"}}]), inventory)
    assert result.clusters == ["cluster1"]
    (miss,) = result.cluster_misses
    assert miss.name == "cluster2"
    assert "cluster selector name=cluster1 does not match cluster2" in miss.reason
    nothing = preview(edited(clusterSelectors=[{"matchLabels": {"location-group": "cloud"}}]), inventory)
    assert nothing.summary == "0 clusters, 2 objects"


def test_editing_the_object_selector_changes_the_preview(inventory) -> None:
    result = preview(edited(downsync=[{"objectSelectors": [{"matchLabels": {"app.kubernetes.io/name": "other"}}]}]),
                     inventory)
    assert result.objects == []
    reasons = {m.ref.name: m.reason for m in result.object_misses}
    assert "match none of objectSelectors [app.kubernetes.io/name=other]" in reasons["nginx-deployment"]
    by_kind = preview(edited(downsync=[{"resources": ["deployments"], "namespaces": ["nginx"]}]), inventory)
    assert [o.ref.name for o in by_kind.objects] == ["nginx-deployment"]


def test_an_invalid_selector_is_reported_not_raised(inventory) -> None:
    result = preview(edited(clusterSelectors=[{"matchExpressions": [{"key": "a", "operator": "Equals"}]}]), inventory)
    assert result.clusters == [] and "not a valid label selector operator" in result.error
    assert result.summary.startswith("0 clusters, 2 objects (")


def test_the_binding_controller_agrees_once_applied(hub: Hub, inventory) -> None:
    expected = preview(NGINX_POLICY, inventory)
    documents = load_text(TEMPLATES["nginx"].text + "---\n" + TEMPLATES["nginx-bindingpolicy"].text)
    assert Applier(hub.kubeconfig(), wds="wds1", its="its1").apply(documents).ok

    def binding() -> dict | None:
        done = hub.kubectl("wds1", "get", "binding", "nginx-bpolicy", "-o", "json")
        return json.loads(done.stdout)["spec"] if done.returncode == 0 else None

    spec = wait_for(lambda: (b := binding()) and b.get("destinations") and b, timeout=20, message="the Binding")
    assert [d["clusterId"] for d in spec["destinations"]] == expected.clusters
    bound = [(e["resource"], e["name"]) for scope in ("clusterScope", "namespaceScope")
             for e in spec["workload"].get(scope, ())]
    assert bound == [(o.ref.resource, o.ref.name) for o in expected.objects]
