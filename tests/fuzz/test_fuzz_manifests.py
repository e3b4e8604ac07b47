"""Manifests as a user may write them: any text through the YAML loader, the schema checks and
lint. Loading never raises (a bad document is a Document with an error); checking and linting
answer findings, never an exception, and never take longer than the document is big."""

from __future__ import annotations

import json

import yaml
from hypothesis import example, given
from hypothesis import strategies as st

from kstellar_tui.core.fleet.hubfacts import HubFacts
from kstellar_tui.core.fleet.lint import RULES, lint
from kstellar_tui.core.kube.discovery import BUILTIN
from kstellar_tui.core.manifests import Problem, check, load_json, load_text

from ._fuzz import ALIAS_BOMB, TIMEOUT, budget, json_values, yaml_noise, yaml_values

pytestmark = TIMEOUT

policy_clause = st.fixed_dictionaries({}, optional={
    "objectSelectors": yaml_values | st.lists(yaml_values, max_size=2),
    "namespaceSelectors": yaml_values,
    "resources": yaml_values | st.lists(st.sampled_from(["*", "deployments", "Pods", "configmaps"]), max_size=3),
    "namespaces": yaml_values,
    "objectNames": yaml_values,
    "apiGroup": yaml_values,
    "wantSingletonReportedState": yaml_values,
})
policies = st.fixed_dictionaries({
    "apiVersion": st.just("control.kubestellar.io/v1alpha1"),
    "kind": st.just("BindingPolicy"),
    "metadata": st.fixed_dictionaries({"name": st.sampled_from(["p", "x" * 70]) | yaml_values}),
    "spec": yaml_values | st.fixed_dictionaries({}, optional={
        "clusterSelectors": yaml_values | st.lists(
            st.fixed_dictionaries({}, optional={"matchLabels": yaml_values, "matchExpressions": yaml_values}),
            max_size=2),
        "downsync": yaml_values | st.lists(policy_clause | yaml_values, max_size=3),
    }),
})
objects = st.fixed_dictionaries({
    "apiVersion": st.sampled_from(["v1", "apps/v1", "example.com/v1", ""]) | yaml_values,
    "kind": st.sampled_from(["ConfigMap", "Deployment", "Namespace", "Service", "Widget", "List"]) | yaml_values,
    "metadata": yaml_values | st.fixed_dictionaries({}, optional={
        "name": st.sampled_from(["web", "Web", "a" * 70, ""]) | yaml_values,
        "namespace": st.sampled_from(["default", "apps", "Bad_NS"]) | yaml_values,
        "labels": yaml_values,
        "generateName": yaml_values,
    }),
}, optional={"spec": yaml_values, "data": yaml_values, "items": st.lists(yaml_values, max_size=3)})

FACTS = HubFacts(clusters={"cluster1": {"name": "cluster1", "location-group": "edge"}, "cluster2": {}},
                 namespaces={"apps": {"app": "web"}}, policies={}, kinds=BUILTIN,
                 wec_namespaces=lambda cluster: frozenset({"default"}) if cluster == "cluster1" else None)


def lint_everything(text: str) -> None:
    documents = load_text(text)
    for doc in documents:
        assert doc.obj is not None or doc.error, "a document is an object or an error"
        problems = check(doc, BUILTIN)
        assert all(isinstance(p, Problem) and p.message for p in problems)
    for facts in (None, FACTS):
        report = lint(documents, facts)
        assert all(f.rule in RULES and f.message for f in report.findings)
        report.to_dict()
        str(report.summary())


@given(st.text(max_size=200) | yaml_noise)
@example("a: &a [*a]")
@example("!!python/object/apply:os.system ['true']")
@example("- 1\n- [2\n")
@example("kind: List\nitems: [1, {apiVersion: v1, kind: ConfigMap, metadata: {name: x}}]")
@example(ALIAS_BOMB)
@example("\x1f")
@example("[" * 5000)
@example("a: &a [*a]\nkind: x")
@budget(200)
def test_any_text_loads_checks_and_lints_without_an_exception(text: str) -> None:
    lint_everything(text)


@given(st.lists(objects | policies, min_size=1, max_size=4))
@example([{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": 1, "labels": {1: 2, "a": None}}}])
@example([{"apiVersion": "control.kubestellar.io/v1alpha1", "kind": "BindingPolicy",
           "metadata": {"name": 5}, "spec": ["clusterSelectors"]}])
@example([{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x", "namespace": 5}}])
@example([{"apiVersion": "control.kubestellar.io/v1alpha1", "kind": "BindingPolicy", "metadata": {"name": "p"},
           "spec": {"clusterSelectors": [{}], "downsync": [{"resources": 7, "statusCollectors": [[]]}]}},
          {"apiVersion": "control.kubestellar.io/v1alpha1", "kind": "BindingPolicy", "metadata": {"name": "q"},
           "spec": 1.5},
          {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x", "namespace": "apps"}}])
@budget(150)
def test_documents_of_any_shape_are_checked_and_linted_without_an_exception(docs: list) -> None:
    lint_everything(yaml.safe_dump_all(docs))


DEEP_JSON = '{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}, "data": ' + "[" * 300 + "]" * 300 \
    + "}"


@given(json_values.map(json.dumps) | st.text(max_size=60))
@example("[" * 100_000)
@example(DEEP_JSON)
@budget(100)
def test_any_json_loads_as_documents_or_an_error(text: str) -> None:
    documents = load_json(text, "x.json")
    assert all(d.obj is not None or d.error for d in documents)
    lint(documents)
