"""BindingPolicy matching, Binding projection and why-not explanations follow KubeStellar's rules."""

from __future__ import annotations

import pytest

from kstellar_tui.core.fleet.placement import (
    Modulation,
    ObjectRef,
    allowed_api_groups,
    compile_policy,
    explain_cluster,
    explain_object,
    is_excluded,
    match_object,
    object_ref,
    project_binding,
    select_clusters,
    validate_policy,
)
from kstellar_tui.core.fleet.selectors import SelectorError

CLUSTERS = {
    "cluster1": {"location-group": "edge", "name": "cluster1"},
    "cluster2": {"location-group": "edge", "name": "cluster2"},
    "cluster3": {"name": "cluster3"},
}
NGINX = {"app.kubernetes.io/name": "nginx"}


def policy(*clauses, clusters=({"matchLabels": {"location-group": "edge"}},), name="nginx-bpolicy"):
    return {"apiVersion": "control.kubestellar.io/v1alpha1", "kind": "BindingPolicy",
            "metadata": {"name": name}, "spec": {"clusterSelectors": list(clusters), "downsync": list(clauses)}}


def obj(api_version, kind, name, namespace=None, labels=None, rv="1"):
    meta = {"name": name, "resourceVersion": rv}
    if namespace:
        meta["namespace"] = namespace
    if labels:
        meta["labels"] = labels
    return {"apiVersion": api_version, "kind": kind, "metadata": meta}


DEPLOYMENT = ObjectRef("apps", "v1", "deployments", "Deployment", "nginx", "nginx-deployment")
NAMESPACE = ObjectRef("", "v1", "namespaces", "Namespace", "", "nginx")
CONFIGMAP = ObjectRef("", "v1", "configmaps", "ConfigMap", "nginx", "settings")


# --- clusters ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("selectors", "expected"), [
    ([{"matchLabels": {"location-group": "edge"}}], ["cluster1", "cluster2"]),
    ([{"matchLabels": {"name": "cluster1"}}], ["cluster1"]),
    ([{"matchLabels": {"name": "cluster1"}}, {"matchLabels": {"name": "cluster3"}}], ["cluster1", "cluster3"]),
    ([{"matchExpressions": [{"key": "location-group", "operator": "DoesNotExist"}]}], ["cluster3"]),
    ([{}], ["cluster1", "cluster2", "cluster3"]),   # {} selects every cluster
    ([], []),                                       # no selectors select nothing
])
def test_clusters_pass_any_selector(selectors, expected):
    assert select_clusters(policy(clusters=selectors), CLUSTERS) == expected


def test_invalid_cluster_selector_fails_the_whole_resolution():
    bad = policy(clusters=[{"matchLabels": {"name": "cluster1"}},
                           {"matchExpressions": [{"key": "k", "operator": "In", "values": []}]}])
    with pytest.raises(SelectorError, match=r"spec.clusterSelectors\[1\]"):
        select_clusters(bad, CLUSTERS)


def test_explain_cluster_names_the_failing_term():
    scenario_4 = policy(clusters=[{"matchLabels": {"location-group": "edge", "name": "cluster1"}}])
    verdict = explain_cluster(scenario_4, "cluster2", CLUSTERS["cluster2"])
    assert not verdict.selected
    assert verdict.message == ("cluster selector name=cluster1 does not match cluster2 "
                               "(labels: location-group=edge,name=cluster2)")
    assert explain_cluster(scenario_4, "cluster1", CLUSTERS["cluster1"]).selected
    everything = explain_cluster(policy(clusters=[{}]), "cluster3", CLUSTERS["cluster3"])
    assert everything.selected and everything.message == "cluster selector {} matches cluster3"


def test_explain_cluster_without_selectors():
    verdict = explain_cluster(policy(clusters=[]), "cluster1", CLUSTERS["cluster1"])
    assert not verdict.selected
    assert "has no clusterSelectors" in verdict.message


# --- objects ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("clause", "ref", "labels", "ns_labels", "selected"), [
    # Scenario 1: one label selector picks both the Namespace and the Deployment.
    ({"objectSelectors": [{"matchLabels": NGINX}]}, DEPLOYMENT, NGINX, {}, True),
    ({"objectSelectors": [{"matchLabels": NGINX}]}, NAMESPACE, NGINX, None, True),
    ({"objectSelectors": [{"matchLabels": NGINX}]}, CONFIGMAP, {}, {}, False),
    # apiGroup: absent = any group, "" = the core group only.
    ({"apiGroup": "", "objectNames": ["*"]}, CONFIGMAP, {}, {}, True),
    ({"apiGroup": "", "objectNames": ["*"]}, DEPLOYMENT, {}, {}, False),
    ({"apiGroup": None, "resources": ["deployments"]}, DEPLOYMENT, {}, {}, True),
    ({"apiGroup": "apps", "resources": ["*"]}, DEPLOYMENT, {}, {}, True),
    ({"resources": ["deployments", "configmaps"]}, CONFIGMAP, {}, {}, True),
    ({"resources": ["Deployments"]}, DEPLOYMENT, {}, {}, False),
    # namespaces: only empty or "*" can match a cluster-scoped object.
    ({"namespaces": ["nginx"]}, DEPLOYMENT, {}, {}, True),
    ({"namespaces": ["other"]}, DEPLOYMENT, {}, {}, False),
    ({"namespaces": ["nginx"]}, NAMESPACE, {}, None, False),
    ({"namespaces": ["*"]}, NAMESPACE, {}, None, True),
    # objectNames
    ({"objectNames": ["nginx-deployment"]}, DEPLOYMENT, {}, {}, True),
    ({"objectNames": ["other"]}, DEPLOYMENT, {}, {}, False),
    # namespaceSelectors look at the Namespace's labels.
    ({"namespaceSelectors": [{"matchLabels": {"env": "prod"}}]}, DEPLOYMENT, {}, {"env": "prod"}, True),
    ({"namespaceSelectors": [{"matchLabels": {"env": "prod"}}]}, DEPLOYMENT, {}, {"env": "dev"}, False),
    ({"namespaceSelectors": [{"matchLabels": {"env": "prod"}}]}, DEPLOYMENT, {}, None, False),  # no namespace
    ({"namespaceSelectors": [{"matchLabels": {"env": "prod"}}]}, NAMESPACE, {}, {"env": "prod"}, False),
    ({"namespaceSelectors": [{"matchLabels": {"env": "prod"}}, {}]}, NAMESPACE, {}, None, True),  # {} passes all
    ({"namespaceSelectors": [{}]}, DEPLOYMENT, {}, None, True),
    # All present tests must pass.
    ({"apiGroup": "apps", "namespaces": ["nginx"], "objectSelectors": [{"matchLabels": NGINX}]},
     DEPLOYMENT, NGINX, {}, True),
    ({"apiGroup": "apps", "namespaces": ["nginx"], "objectSelectors": [{"matchLabels": NGINX}]},
     DEPLOYMENT, {}, {}, False),
    # An invalid selector never matches, but the others in the list still count.
    ({"objectSelectors": [{"matchLabels": {"k": "bad value"}}, {"matchLabels": NGINX}]}, DEPLOYMENT, NGINX, {}, True),
    ({"objectSelectors": [{"matchLabels": {"k": "bad value"}}]}, DEPLOYMENT, {"k": "bad value"}, {}, False),
])
def test_clause_tests(clause, ref, labels, ns_labels, selected):
    assert (match_object(policy(clause), ref, labels, ns_labels) is not None) is selected


def test_object_selected_by_any_clause_and_modulations_combine():
    bp = policy(
        {"resources": ["deployments"], "createOnly": True, "statusCollectors": ["count-wecs"]},
        {"objectSelectors": [{"matchLabels": NGINX}], "statusCollectors": ["full", "count-wecs"],
         "wantSingletonReportedState": True},
        {"namespaces": ["elsewhere"], "wantMultiWECReportedState": True},
    )
    assert match_object(bp, DEPLOYMENT, NGINX, {}) == Modulation(
        create_only=True, status_collectors=("count-wecs", "full"), want_singleton_reported_state=True)
    assert match_object(bp, CONFIGMAP, {}, {}) is None
    assert match_object(policy(), DEPLOYMENT, NGINX, {}) is None  # no clauses, no objects


@pytest.mark.parametrize(("group", "resource", "excluded"), [
    ("", "events", True), ("events.k8s.io", "events", True), ("", "nodes", True), ("", "endpoints", True),
    ("storage.k8s.io", "csinodes", True), ("coordination.k8s.io", "leases", True),
    ("control.kubestellar.io", "bindingpolicies", True), ("discovery.k8s.io", "endpointslices", True),
    ("", "configmaps", False), ("apps", "deployments", False), ("example.com", "events", False),
])
def test_exclusions(group, resource, excluded):
    assert is_excluded(group, resource) is excluded
    ref = ObjectRef(group, "v1", resource, "Thing", "default", "x")
    assert (match_object(policy({"namespaces": ["*"]}), ref, {}, {}) is None) is excluded


def test_api_groups_setting_restricts_what_is_watched():
    allowed = allowed_api_groups("apps,batch")
    assert not is_excluded("apps", "deployments", allowed)
    assert is_excluded("", "configmaps", allowed)
    assert not is_excluded("apiextensions.k8s.io", "customresourcedefinitions", allowed)
    assert allowed_api_groups("") is None


def test_object_ref_from_object_dict():
    assert object_ref(obj("apps/v1", "Deployment", "nginx-deployment", "nginx"), "deployments") == DEPLOYMENT
    assert object_ref(obj("v1", "Namespace", "nginx"), "namespaces") == NAMESPACE


# --- explanations -----------------------------------------------------------------------------

@pytest.mark.parametrize(("clause", "ref", "labels", "ns_labels", "field", "message"), [
    ({"namespaces": ["bar"]}, ObjectRef("", "v1", "configmaps", "ConfigMap", "foo", "x"), {}, {},
     "namespaces", 'namespace "foo" is not in namespaces [bar]'),
    ({"namespaces": ["bar"]}, NAMESPACE, {}, None, "namespaces",
     'Namespace "nginx" is cluster-scoped: only empty namespaces or "*" match it, not [bar]'),
    ({"apiGroup": ""}, DEPLOYMENT, {}, {}, "apiGroup", 'API group "apps" of Deployment is not apiGroup "" (core)'),
    ({"resources": ["configmaps", "secrets"]}, DEPLOYMENT, {}, {}, "resources",
     'resource "deployments" is not in resources [configmaps, secrets]'),
    ({"objectNames": ["a", "b"]}, DEPLOYMENT, {}, {}, "objectNames",
     'name "nginx-deployment" is not in objectNames [a, b]'),
    ({"objectSelectors": [{"matchLabels": NGINX}]}, DEPLOYMENT, {"app": "web"}, {}, "objectSelectors",
     "object labels (app=web) match none of objectSelectors [app.kubernetes.io/name=nginx]"),
    ({"namespaceSelectors": [{"matchLabels": {"env": "prod"}}]}, DEPLOYMENT, {}, None, "namespaceSelectors",
     'namespace "nginx" does not exist in the WDS, so namespaceSelectors [env=prod] cannot match'),
    ({"namespaceSelectors": [{"matchLabels": {"env": "prod"}}]}, DEPLOYMENT, {}, {}, "namespaceSelectors",
     'namespace "nginx" labels (none) match none of namespaceSelectors [env=prod]'),
])
def test_explain_object_names_the_first_failing_test(clause, ref, labels, ns_labels, field, message):
    explanation = explain_object(policy(clause), ref, labels, ns_labels)
    assert not explanation.selected
    [verdict] = explanation.clauses
    assert (verdict.field, verdict.message) == (field, message)


def test_explain_object_reports_every_clause():
    bp = policy({"resources": ["configmaps"]}, {"objectSelectors": [{"matchLabels": NGINX}], "createOnly": True})
    explanation = explain_object(bp, DEPLOYMENT, NGINX, {})
    assert explanation.selected and explanation.modulation == Modulation(create_only=True)
    assert [v.field for v in explanation.clauses] == ["resources", None]
    assert explanation.message.startswith('downsync[0]: resource "deployments" is not in resources [configmaps]')


def test_explain_excluded_object():
    events = ObjectRef("", "v1", "events", "Event", "default", "e1")
    explanation = explain_object(policy({"namespaces": ["*"]}), events, {}, {})
    assert not explanation.selected
    assert explanation.message == "KubeStellar never propagates events"


# --- Binding ----------------------------------------------------------------------------------

def _workload(*objects_with_plural):
    return [(object_ref(o, plural), o) for plural, o in objects_with_plural]


def test_binding_for_scenario_1():
    ns = obj("v1", "Namespace", "nginx", labels=NGINX, rv="10")
    deploy = obj("apps/v1", "Deployment", "nginx-deployment", "nginx", labels=NGINX, rv="12")
    other = obj("v1", "ConfigMap", "kube-root-ca.crt", "nginx", rv="11")
    bp = policy({"objectSelectors": [{"matchLabels": NGINX}]})
    spec = project_binding(bp, _workload(("deployments", deploy), ("namespaces", ns), ("configmaps", other)),
                           CLUSTERS, {"nginx": NGINX})
    assert spec == {
        "workload": {
            "clusterScope": [{"group": "", "version": "v1", "resource": "namespaces", "name": "nginx",
                              "resourceVersion": "10"}],
            "namespaceScope": [{"group": "apps", "version": "v1", "resource": "deployments", "namespace": "nginx",
                                "name": "nginx-deployment", "resourceVersion": "12"}],
        },
        "destinations": [{"clusterId": "cluster1"}, {"clusterId": "cluster2"}],
    }


def test_binding_for_create_only_example():
    ns = obj("v1", "Namespace", "nginx", labels=NGINX)
    deploy = obj("apps/v1", "Deployment", "nginx-deployment", "nginx", labels=NGINX)
    bp = policy({"resources": ["namespaces"], "objectSelectors": [{"matchLabels": NGINX}]},
                {"createOnly": True, "resources": ["deployments"], "objectSelectors": [{"matchLabels": NGINX}]})
    spec = project_binding(bp, _workload(("namespaces", ns), ("deployments", deploy)), CLUSTERS, {"nginx": NGINX})
    assert "createOnly" not in spec["workload"]["clusterScope"][0]
    assert spec["workload"]["namespaceScope"][0]["createOnly"] is True


def test_binding_carries_status_requests():
    deploy = obj("apps/v1", "Deployment", "nginx-singleton-deployment", "default",
                 labels={"app.kubernetes.io/name": "nginx-singleton"})
    bp = policy({"objectSelectors": [{"matchLabels": {"app.kubernetes.io/name": "nginx-singleton"}}],
                 "wantSingletonReportedState": True, "statusCollectors": ["b", "a"]},
                clusters=[{"matchLabels": {"name": "cluster1"}}])
    spec = project_binding(bp, _workload(("deployments", deploy)), CLUSTERS, {"default": {}})
    [entry] = spec["workload"]["namespaceScope"]
    assert entry["wantSingletonReportedState"] is True
    assert entry["statusCollectors"] == ["a", "b"]
    assert spec["destinations"] == [{"clusterId": "cluster1"}]


def test_binding_order_is_deterministic_and_empty_parts_are_omitted():
    objects = [obj("v1", "ConfigMap", name, ns, labels=NGINX) for ns, name in
               [("b", "x"), ("a", "z"), ("a", "y")]] + [obj("apps/v1", "Deployment", "d", "a", labels=NGINX)]
    bp = compile_policy(policy({"objectSelectors": [{"matchLabels": NGINX}]}, clusters=[]))
    forward = project_binding(bp, _workload(*[("configmaps" if o["kind"] == "ConfigMap" else "deployments", o)
                                              for o in objects]), CLUSTERS, {"a": {}, "b": {}})
    backward = project_binding(bp, _workload(*[("configmaps" if o["kind"] == "ConfigMap" else "deployments", o)
                                               for o in reversed(objects)]), CLUSTERS, {"a": {}, "b": {}})
    assert forward == backward
    assert [(e["group"], e["namespace"], e["name"]) for e in forward["workload"]["namespaceScope"]] == [
        ("", "a", "y"), ("", "a", "z"), ("", "b", "x"), ("apps", "a", "d")]
    assert "destinations" not in forward and "clusterScope" not in forward["workload"]
    assert project_binding(policy(), [], CLUSTERS, {}) == {
        "workload": {}, "destinations": [{"clusterId": "cluster1"}, {"clusterId": "cluster2"}]}


# --- validation -------------------------------------------------------------------------------

def test_valid_policy_has_no_problems():
    assert validate_policy(policy({"objectSelectors": [{"matchLabels": NGINX}]})) == []


@pytest.mark.parametrize(("bp", "field", "fragment"), [
    (policy({"namespaces": ["x"]}, name="p" * 64), "metadata.name", "is 64 characters"),
    (policy({"namespaces": ["x"]}, clusters=[]), "spec.clusterSelectors", "selects no cluster"),
    (policy({"namespaces": ["x"]}, clusters=[{"matchLabels": {"k": "bad value"}}]),
     "spec.clusterSelectors[0]", "a valid label must be an empty string"),
    (policy({"createOnly": True}), "spec.downsync[0]", "must have at least one of apiGroup, resources"),
    (policy({"objectSelectors": [{"matchExpressions": [{"key": "k", "operator": "Exists", "values": ["v"]}]}]}),
     "spec.downsync[0].objectSelectors[0]", "values set must be empty"),
    (policy({"namespaceSelectors": [{"matchExpressions": [{"key": "k", "operator": "Foo"}]}]}),
     "spec.downsync[0].namespaceSelectors[0]", '"Foo" is not a valid label selector operator'),
    (policy({"resources": ["Deployment"]}), "spec.downsync[0].resources[0]", "not a lowercase plural"),
    (policy({"namespaces": ["*", "x"]}), "spec.downsync[0].namespaces", 'contains "*"'),
])
def test_policy_problems(bp, field, fragment):
    problems = validate_policy(bp)
    assert [p.field for p in problems] == [field]
    assert fragment in problems[0].message
    assert str(problems[0]).startswith(f"{field}: ")
