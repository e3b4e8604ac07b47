"""Label and field selectors behave like the Kubernetes API server's, messages included."""

from __future__ import annotations

import pytest

from kstellar_tui.core.fleet.selectors import (
    Selector,
    SelectorError,
    parse_field_selector,
    parse_selector,
    selector_from_dict,
    validate_label_key,
    validate_label_value,
)

NAME_RULE = ("name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with "
             "an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation "
             "is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')")
VALUE_RULE = ("a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and "
              "must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', "
              "regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')")

EDGE1 = {"location-group": "edge", "name": "cluster1"}


@pytest.mark.parametrize(("query", "labels", "expected"), [
    ("location-group=edge", EDGE1, True),
    ("location-group==edge", EDGE1, True),
    ("location-group=cloud", EDGE1, False),
    ("name!=cluster1", EDGE1, False),
    ("name!=cluster2", EDGE1, True),
    ("region!=east", EDGE1, True),                      # != matches when the key is absent
    ("name in (cluster1,cluster2)", EDGE1, True),
    ("name in (cluster3)", EDGE1, False),
    ("region in (east)", EDGE1, False),
    ("name notin (cluster2)", EDGE1, True),
    ("region notin (east)", EDGE1, True),               # notin matches when the key is absent
    ("name notin (cluster1)", EDGE1, False),
    ("name", EDGE1, True),
    ("region", EDGE1, False),
    ("!region", EDGE1, True),
    ("!name", EDGE1, False),
    ("location-group=edge,name=cluster1", EDGE1, True),  # comma is AND
    ("location-group=edge,name=cluster2", EDGE1, False),
    ("  location-group = edge ,\tname in ( cluster1 , x ) ", EDGE1, True),
    ("", EDGE1, True),
    ("", None, True),
    ("a=", {"a": ""}, True),
    ("a in ()", {"a": ""}, True),
    ("in in (in,notin)", {"in": "notin"}, True),        # keywords are plain words where a value is due
    ("replicas>2", {"replicas": "3"}, True),
    ("replicas<2", {"replicas": "3"}, False),
    ("replicas>2", {"replicas": "many"}, False),
])
def test_query_syntax_matches_like_kubernetes(query, labels, expected):
    assert parse_selector(query).matches(labels) is expected


@pytest.mark.parametrize(("query", "canonical"), [
    ("b=2,a=1", "a=1,b=2"),
    ("x in (foo,,baz),y,z notin ()", "x in (,baz,foo),y,z notin ()"),
    (" ! gone , k == v ", "!gone,k==v"),
    ("k in (b,a,b)", "k in (a,b)"),
])
def test_selector_text_is_canonical(query, canonical):
    assert str(parse_selector(query)) == canonical
    assert parse_selector(canonical) == parse_selector(query)


@pytest.mark.parametrize(("query", "message"), [
    ("a b", "unable to parse requirement: found 'b', expected: in, notin, =, ==, !=, gt, lt"),
    ("a in b", "unable to parse requirement: found 'b' expected: '('"),
    ("a in (x", "unable to parse requirement: found '', expected: ',' or ')'"),
    ("a=b,", "found '', expected: identifier after ','"),
    (",a", "found ',', expected: !, identifier, or 'end of string'"),
    ("a=b c", "found 'c', expected: ',' or 'end of string'"),
    ("!a=b", "found '=', expected: ',' or 'end of string'"),
    ("a$=b", f'unable to parse requirement: <nil>: Invalid value: "a$": {NAME_RULE}'),
    ("a=b$", f'unable to parse requirement: values[0][a]: Invalid value: "b$": {VALUE_RULE}'),
    ("k>x", 'unable to parse requirement: values[0]: Invalid value: "x": '
            "for 'Gt', 'Lt' operators, the value must be an integer"),
])
def test_query_errors_read_like_the_api_server(query, message):
    with pytest.raises(SelectorError) as caught:
        parse_selector(query)
    assert str(caught.value) == message
    assert isinstance(caught.value, ValueError)


def test_empty_label_selector_matches_everything_and_none_matches_nothing():
    assert selector_from_dict({}).matches({"any": "thing"})
    assert selector_from_dict({"matchLabels": {}, "matchExpressions": []}).matches(None)
    assert selector_from_dict({}).matches_everything
    assert selector_from_dict(None).matches({}) is False
    assert Selector.nothing().matches({"a": "b"}) is False


@pytest.mark.parametrize(("operator", "values", "labels", "expected"), [
    ("In", ["edge", "cloud"], {"tier": "edge"}, True),
    ("In", ["cloud"], {"tier": "edge"}, False),
    ("NotIn", ["cloud"], {"tier": "edge"}, True),
    ("NotIn", ["cloud"], {}, True),
    ("NotIn", ["edge"], {"tier": "edge"}, False),
    ("Exists", None, {"tier": ""}, True),
    ("Exists", None, {}, False),
    ("DoesNotExist", None, {}, True),
    ("DoesNotExist", [], {"tier": "edge"}, False),
])
def test_match_expressions(operator, values, labels, expected):
    expr = {"key": "tier", "operator": operator}
    if values is not None:
        expr["values"] = values
    assert selector_from_dict({"matchExpressions": [expr]}).matches(labels) is expected


def test_match_labels_and_expressions_are_anded():
    selector = selector_from_dict({
        "matchLabels": {"app": "nginx"},
        "matchExpressions": [{"key": "env", "operator": "NotIn", "values": ["prod"]}],
    })
    assert selector.matches({"app": "nginx", "env": "dev"})
    assert not selector.matches({"app": "nginx", "env": "prod"})
    assert not selector.matches({"env": "dev"})
    assert str(selector) == "app=nginx,env notin (prod)"


@pytest.mark.parametrize(("sel", "message"), [
    ({"matchExpressions": [{"key": "k", "operator": "In", "values": []}]},
     "values: Invalid value: []string{}: for 'in', 'notin' operators, values set can't be empty"),
    ({"matchExpressions": [{"key": "k", "operator": "NotIn"}]},
     "values: Invalid value: []string{}: for 'in', 'notin' operators, values set can't be empty"),
    ({"matchExpressions": [{"key": "k", "operator": "Exists", "values": ["x"]}]},
     'values: Invalid value: []string{"x"}: values set must be empty for exists and does not exist'),
    ({"matchExpressions": [{"key": "k", "operator": "Gt", "values": ["1"]}]},
     '"Gt" is not a valid label selector operator'),
    ({"matchLabels": {"bad key": "ok"}}, f'key: Invalid value: "bad key": {NAME_RULE}'),
    ({"matchLabels": {"k": "bad value"}}, f'values[0][k]: Invalid value: "bad value": {VALUE_RULE}'),
])
def test_invalid_label_selectors_are_rejected_with_upstream_messages(sel, message):
    with pytest.raises(SelectorError) as caught:
        selector_from_dict(sel)
    assert str(caught.value) == message


def test_failing_requirement_names_the_first_term_that_fails():
    selector = parse_selector("location-group=edge,name=cluster1")
    assert str(selector.failing_requirement({"location-group": "edge", "name": "cluster2"})) == "name=cluster1"
    assert selector.failing_requirement(EDGE1) is None


@pytest.mark.parametrize(("key", "message"), [
    ("app", None),
    ("app.kubernetes.io/name", None),
    ("x" * 63, None),
    ("x" * 64, "name part must be no more than 63 characters"),
    ("-app", NAME_RULE),
    ("", f"name part must be non-empty; {NAME_RULE}"),
    ("/app", "prefix part must be non-empty"),
    ("Example.com/app", "prefix part a lowercase RFC 1123 subdomain must consist of lower case alphanumeric "
                        "characters, '-' or '.', and must start and end with an alphanumeric character (e.g. "
                        "'example.com', regex used for validation is "
                        "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"),
    ("a" * 254 + "/app", "prefix part must be no more than 253 characters"),
])
def test_label_key_validation(key, message):
    assert validate_label_key(key) == message


@pytest.mark.parametrize(("value", "message"), [
    ("", None),
    ("edge", None),
    ("v" * 63, None),
    ("v" * 64, "must be no more than 63 characters"),
    ("has space", VALUE_RULE),
    ("-edge", VALUE_RULE),
])
def test_label_value_validation(value, message):
    assert validate_label_value(value) == message


@pytest.mark.parametrize(("text", "expected"), [
    ("metadata.name=nginx", [("metadata.name", "=", "nginx")]),
    ("metadata.name==nginx", [("metadata.name", "=", "nginx")]),
    ("status.phase!=Running,metadata.namespace=default",
     [("metadata.namespace", "=", "default"), ("status.phase", "!=", "Running")]),
    ("metadata.name=a\\,b", [("metadata.name", "=", "a,b")]),
    ("metadata.name=", [("metadata.name", "=", "")]),
    ("", []),
])
def test_field_selectors(text, expected):
    assert parse_field_selector(text) == expected


@pytest.mark.parametrize(("text", "message"), [
    ("metadata.name", "invalid selector: 'metadata.name'; can't understand 'metadata.name'"),
    ("metadata.name=a=b", "invalid field selector: unescaped character in value: 61"),
    ("metadata.name=a\\x", "invalid field selector: invalid escape sequence: \\x"),
])
def test_field_selector_errors(text, message):
    with pytest.raises(SelectorError) as caught:
        parse_field_selector(text)
    assert str(caught.value) == message
