"""The policy builder's form as pure functions: each edit changes only its part of the policy dict."""

from __future__ import annotations

import pytest

from kstellar_tui.core.fleet import policy_form as form
from kstellar_tui.core.manifests import TEMPLATES, load_text

NGINX_POLICY = load_text(TEMPLATES["nginx-bindingpolicy"].text)[0].obj


@pytest.mark.parametrize(("text", "selectors"), [
    ("app=nginx", [{"matchLabels": {"app": "nginx"}}]),
    ("app=nginx,tier in (a,b)", [{"matchLabels": {"app": "nginx"},
                                  "matchExpressions": [{"key": "tier", "operator": "In", "values": ["a", "b"]}]}]),
    ("!legacy; team", [{"matchExpressions": [{"key": "legacy", "operator": "DoesNotExist"}]},
                       {"matchExpressions": [{"key": "team", "operator": "Exists"}]}]),
    ("env!=prod", [{"matchExpressions": [{"key": "env", "operator": "NotIn", "values": ["prod"]}]}]),
    ("", []),
])
def test_selector_text_parses_and_prints_back(text: str, selectors: list[dict]) -> None:
    assert form.parse_selector_list(text) == selectors
    assert form.parse_selector_list("; ".join(form.selector_text(s) for s in selectors)) == selectors


@pytest.mark.parametrize(("text", "problem"), [
    ("app in (", "expected"),
    ("size>3", "no gt operator"),
    ("Bad Key=x", "objectSelectors"),
])
def test_selector_text_that_cannot_be_a_label_selector_is_refused(text: str, problem: str) -> None:
    with pytest.raises(form.FormError, match=problem):
        form.set_clause_field(NGINX_POLICY, 0, "objectSelectors", text)


def test_terms_are_added_to_a_selector_or_as_an_alternative_and_removed() -> None:
    policy = form.add_term(NGINX_POLICY, "name", "In", "cluster1", selector=0)
    assert policy["spec"]["clusterSelectors"] == [{"matchLabels": {"location-group": "edge", "name": "cluster1"}}]
    policy = form.add_term(policy, "zone", "NotIn", "east", selector=None)
    assert [str(t) for t in form.cluster_terms(policy)] == [
        "location-group = edge", "name = cluster1", "zone NotIn (east)"]
    for term in form.cluster_terms(policy)[:2]:
        policy = form.remove_term(policy, term)
    assert policy["spec"]["clusterSelectors"] == [
        {"matchExpressions": [{"key": "zone", "operator": "NotIn", "values": ["east"]}]}]
    assert NGINX_POLICY["spec"]["clusterSelectors"] == [{"matchLabels": {"location-group": "edge"}}]  # untouched


@pytest.mark.parametrize(("operator", "value", "problem"), [
    ("In", "", "In needs a value"), ("Equals", "x", "operator must be"), ("In", "not valid!", "cluster selector 1")])
def test_impossible_terms_are_refused(operator: str, value: str, problem: str) -> None:
    with pytest.raises(form.FormError, match=problem):
        form.add_term(NGINX_POLICY, "name", operator, value, selector=0)


def test_clause_fields_keep_what_the_form_does_not_show() -> None:
    policy = form.set_clause_field(NGINX_POLICY, 0, "namespaces", "nginx, web")
    policy = form.set_clause_field(policy, 0, "createOnly", True)
    clause = form.clauses(policy)[0]
    assert clause["namespaces"] == ["nginx", "web"] and clause["createOnly"] is True
    assert form.clause_text(clause, "objectSelectors") == "app.kubernetes.io/name=nginx"
    cleared = form.set_clause_field(form.set_clause_field(policy, 0, "namespaces", " "), 0, "createOnly", False)
    assert form.clauses(cleared)[0] == NGINX_POLICY["spec"]["downsync"][0]
    two = form.add_clause(cleared)
    assert form.clauses(form.remove_clause(two, 0)) == [{}]


def test_a_starter_policy_selects_the_documents_by_a_label_they_share() -> None:
    documents = load_text(TEMPLATES["nginx"].text + "---\n" + TEMPLATES["service"].text)
    starter = form.starter_policy(documents)
    assert form.policy_name(starter) == "nginx-bpolicy"
    assert starter["spec"] == {"clusterSelectors": [],
                               "downsync": [{"objectSelectors": [{"matchLabels": {"app.kubernetes.io/name": "nginx"}}]}]}
    assert form.policy_name(form.starter_policy([], "mine")) == "mine"
