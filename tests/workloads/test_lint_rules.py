"""Every lint rule, a good and a bad case each — offline, and with hub facts given by hand."""

from __future__ import annotations

import pytest

from kstellar_tui.core.fleet.hubfacts import HubFacts
from kstellar_tui.core.fleet.lint import ERROR, RULES, WARNING, lint
from kstellar_tui.core.kube.discovery import BUILTIN
from kstellar_tui.core.manifests import load_text

EDGE = {"cluster1": {"location-group": "edge", "name": "cluster1"},
        "cluster2": {"location-group": "edge", "name": "cluster2"}}
BASE_NAMESPACES = frozenset({"default", "kube-system", "kube-public", "kube-node-lease"})


def facts(*, wec_namespaces=None, namespaces=None) -> HubFacts:
    """A hub like the quickstart: two edge WECs; the WDS serves the builtin kinds only."""
    return HubFacts(clusters=EDGE, namespaces=namespaces or {n: {} for n in BASE_NAMESPACES}, policies={},
                    kinds=BUILTIN, wec_namespaces=wec_namespaces or (lambda cluster: BASE_NAMESPACES))


def policy(name: str = "p", clusters: str = "[{matchLabels: {location-group: edge}}]",
           downsync: str = "[{objectSelectors: [{matchLabels: {app: demo}}]}]") -> str:
    return (f"apiVersion: control.kubestellar.io/v1alpha1\nkind: BindingPolicy\nmetadata: {{name: {name}}}\n"
            f"spec:\n  clusterSelectors: {clusters}\n  downsync: {downsync}\n")


def configmap(name: str = "c", namespace: str = "default", labels: str = "{app: demo}", data: str = "{k: v}") -> str:
    return (f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: {name}, namespace: {namespace}, labels: {labels}}}\n"
            f"data: {data}\n")


def namespace(name: str, labels: str = "{app: demo}") -> str:
    return f"apiVersion: v1\nkind: Namespace\nmetadata: {{name: {name}, labels: {labels}}}\n"


CRD = """\
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
spec:
  group: example.com
  names: {kind: Widget, plural: widgets}
  scope: Namespaced
  versions: [{name: v1, served: true, storage: true, schema: {openAPIV3Schema: {type: object}}}]
"""
WIDGET = "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w, namespace: default}\n"


def docs(*texts: str):
    return load_text("---\n".join(texts), "m.yaml")


def rules(report, severity=None) -> set[str]:
    return {f.rule for f in report.findings if severity is None or f.severity == severity}


# (rule, severity, bad manifests, good manifests, live?)
CASES = [
    ("yaml", ERROR, ["kind: [unclosed\n"], [configmap()], False),
    ("schema", ERROR, [configmap(name="Bad_Name")], [configmap()], False),
    ("schema", ERROR, ["apiVersion: v1\nkind: ConfigMap\nmetadata: {namespace: default}\n"], [configmap()], False),
    ("schema", ERROR, ["apiVersion: v1\nkind: Namespace\nmetadata: {name: x, namespace: default}\n"],
     [namespace("x")], False),
    ("unknown-kind", ERROR, [WIDGET], [CRD, WIDGET], True),
    ("unknown-kind", ERROR, ["apiVersion: apps/v1\nkind: Deploymnet\nmetadata: {name: d, namespace: default}\n"],
     [configmap()], True),
    ("never-propagated", WARNING,
     ["apiVersion: coordination.k8s.io/v1\nkind: Lease\nmetadata: {name: l, namespace: default}\n"],
     [configmap()], False),
    ("never-propagated", WARNING, ["apiVersion: v1\nkind: Event\nmetadata: {name: e, namespace: default}\n"],
     [configmap()], False),
    ("invalid-label", ERROR, [configmap(labels='{app: "has space"}')], [configmap(labels="{app: demo}")], False),
    ("invalid-label", ERROR, [configmap(labels="{app: 5}")], [configmap(labels='{app: "5"}')], False),
    ("invalid-label", ERROR, [configmap(labels="{bad/key/x: v}")], [configmap(labels="{example.com/key: v}")], False),
    ("object-too-large", ERROR, [configmap(data="{big: " + "x" * 520_000 + "}")],
     [configmap(data="{big: " + "x" * 400_000 + "}")], False),
    ("policy-name-too-long", ERROR, [policy(name="p" * 64)], [policy(name="p" * 63)], False),
    ("empty-cluster-selectors", WARNING, [policy(clusters="[]")], [policy()], False),
    ("clause-without-test", ERROR, [policy(downsync="[{createOnly: true}]")],
     [policy(downsync="[{createOnly: true, resources: [configmaps]}]")], False),
    ("invalid-selector", ERROR,
     [policy(clusters="[{matchExpressions: [{key: zone, operator: Equals, values: [a]}]}]")],
     [policy(clusters="[{matchExpressions: [{key: zone, operator: In, values: [a]}]}]")], False),
    ("invalid-selector", ERROR, [policy(downsync='[{objectSelectors: [{matchLabels: {app: "no spaces"}}]}]')],
     [policy(downsync="[{objectSelectors: [{matchLabels: {app: no-spaces}}]}]")], False),
    ("clause-names", WARNING, [policy(downsync="[{resources: [Deployments]}]")],
     [policy(downsync="[{resources: [deployments]}]")], False),
    ("namespace-not-delivered", WARNING, [namespace("shop", labels="{}"), configmap(namespace="shop"), policy()],
     [namespace("shop"), configmap(namespace="shop"), policy()], False),
    ("namespace-not-delivered", ERROR, [configmap(namespace="shop"), policy()],
     [namespace("shop"), configmap(namespace="shop"), policy()], True),
    ("singleton-cluster-count", WARNING,
     [policy(downsync="[{objectSelectors: [{matchLabels: {app: demo}}], wantSingletonReportedState: true}]")],
     [policy(clusters="[{matchLabels: {name: cluster1}}]",
             downsync="[{objectSelectors: [{matchLabels: {app: demo}}], wantSingletonReportedState: true}]")], True),
]


@pytest.mark.parametrize("rule,severity,bad,good,live", CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_rule_fires_on_the_bad_case_only(rule, severity, bad, good, live) -> None:
    hub = facts() if live else None
    found = lint(docs(*bad), hub)
    assert rule in rules(found, severity), [str(f) for f in found.findings]
    assert found.ok == (severity != ERROR)
    clean = lint(docs(*good), hub)
    assert rule not in rules(clean), [str(f) for f in clean.findings]


def test_every_rule_has_a_case() -> None:
    assert {c[0] for c in CASES} == set(RULES)


def test_findings_point_at_the_document_line() -> None:
    report = lint(docs(configmap(), configmap(), configmap(name="Bad_Name")))
    (finding,) = report.findings
    assert (finding.source.path, finding.source.index, finding.source.line) == ("m.yaml", 2, 11)
    assert str(finding).startswith("m.yaml:11: error[schema] ConfigMap default/Bad_Name: metadata.name:")
    assert finding.fix


def test_namespace_rule_reads_the_wecs_only_when_the_namespace_is_not_propagated() -> None:
    asked: list[str] = []

    def wec_namespaces(cluster: str):
        asked.append(cluster)
        return BASE_NAMESPACES | {"shop"} if cluster == "cluster1" else None

    report = lint(docs(configmap(namespace="shop"), policy()), facts(wec_namespaces=wec_namespaces))
    (finding,) = report.findings
    assert (finding.rule, finding.severity) == ("namespace-not-delivered", WARNING)
    assert "cluster2" in finding.message and "cluster1" not in finding.message
    assert sorted(asked) == ["cluster1", "cluster2"]
    asked.clear()
    assert lint(docs(namespace("shop"), configmap(namespace="shop"), policy()), facts(wec_namespaces=wec_namespaces)).ok
    assert asked == []


def test_namespace_delivered_by_another_policy_to_the_same_clusters_is_fine() -> None:
    ns_policy = policy(name="ns-only", downsync="[{resources: [namespaces], objectNames: [shop]}]")
    objects = policy(name="objects", downsync="[{resources: [configmaps]}]")
    report = lint(docs(namespace("shop", labels="{}"), configmap(namespace="shop"), ns_policy, objects), facts())
    assert "namespace-not-delivered" not in rules(report)
    narrow = policy(name="ns-only", clusters="[{matchLabels: {name: cluster1}}]",
                    downsync="[{resources: [namespaces], objectNames: [shop]}]")
    report = lint(docs(namespace("shop", labels="{}"), configmap(namespace="shop"), narrow, objects), facts())
    (finding,) = [f for f in report.findings if f.rule == "namespace-not-delivered"]
    assert "cluster2 (via objects)" in finding.message and "cluster1" not in finding.message


def test_offline_lint_says_what_it_skipped() -> None:
    report = lint(docs(WIDGET, policy(downsync="[{resources: [widgets], wantSingletonReportedState: true}]")))
    assert report.ok and not report.findings
    assert any("singleton" in n for n in report.notes)
    assert any("Widget (example.com/v1)" in n for n in report.notes)


def test_kubestellar_own_objects_are_not_reported_as_never_propagated() -> None:
    assert not lint(docs(policy())).findings
