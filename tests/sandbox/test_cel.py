"""The CEL subset (sandbox.cel) and the CRD `x-kubernetes-validations` rules evaluated with it."""

from __future__ import annotations

import pytest

from kstellar_tui.sandbox.apiserver.crdschema import validate_custom_object
from kstellar_tui.sandbox.apiserver.resources import ResourceType
from kstellar_tui.sandbox.cel import (
    EvaluationError, NoSuchOverload, UnsupportedExpression, compile_expression, uses_variable,
)

SELF = {"name": "web-1", "replicas": 3, "ratio": 0.5, "tags": ["a", "b"], "labels": {"app": "web"},
        "items": [{"n": 1}, {"n": 2}], "on": True, "none": None}


def run(text: str):
    return compile_expression(text, ("self",))({"self": SELF})


@pytest.mark.parametrize("text, value", [
    ("self.replicas * 2 + 1", 7),
    ("-7 / 2", -3), ("-7 % 2", -1), ("7.0 / 2", 3.5),
    ("self.replicas == 3.0", True), ("self.on == 1", False), ("self.none == null", True),
    ("'a' < 'b' && 2 <= self.replicas", True),
    ("self.replicas > 5 ? 'big' : 'small'", "small"),
    ("has(self.labels.app) && !has(self.labels.tier)", True),
    ("has(self.name)", True),
    ("size(self.tags) == 2 && self.name.size() == 5 && size(self.labels) == 1", True),
    ("'a' in self.tags && 'app' in self.labels && !(3 in [1, 2])", True),
    ("self.name.startsWith('web') && self.name.endsWith('-1') && self.name.contains('b-')", True),
    ("self.name.matches('^[a-z]+-[0-9]$') && matches(self.name, 'b-1')", True),
    ("'MiXed'.lowerAscii() + 'x'.upperAscii()", "mixedX"),
    ("self.items.all(i, i.n > 0) && self.items.exists(i, i.n == 2) && self.items.exists_one(i, i.n > 1)", True),
    ("self.items.map(i, i.n * 10)", [10, 20]),
    ("self.items.filter(i, i.n > 1)", [{"n": 2}]),
    ("self.labels.all(k, k == 'app')", True),
    ("[1, 2] + [3]", [1, 2, 3]), ("{'a': 1}['a']", 1),
    ("int('42') + int(2.9) == 44 && double(1) == 1.0 && string(5) == '5'", True),
    ("self.missing == 1 || true", True),            # CEL: an error loses to a decisive operand
    ("false && self.missing == 1", False),
    ("0x10 + 1u", 17),
])
def test_expressions(text, value):
    assert run(text) == value


@pytest.mark.parametrize("text, error, message", [
    ("self.missing", EvaluationError, "no such key: missing"),
    ("self.tags[5]", EvaluationError, "index out of bounds: 5"),
    ("1 / 0", EvaluationError, "division by zero"),
    ("self.name < 3", NoSuchOverload, "no such overload"),
    ("self.missing == 1 || false", EvaluationError, "no such key: missing"),
])
def test_evaluation_errors(text, error, message):
    with pytest.raises(error, match=message):
        run(text)


@pytest.mark.parametrize("text", ["other.x", "self.x.", "quantity('1Gi')", "self.exists(x)", "has(self)",
                                  "self.name.split('-')", "self ?? 1", ""])
def test_what_the_subset_does_not_know_does_not_compile(text):
    with pytest.raises(UnsupportedExpression):
        compile_expression(text, ("self",))


def test_transition_rules_are_recognised_by_their_use_of_old_self():
    assert uses_variable("self == oldSelf", "oldSelf")
    assert not uses_variable("self.oldSelf == 1 || 'oldSelf' == self.x", "oldSelf")


# --------------------------------------------------------------------------- x-kubernetes-validations

def widget(spec_schema: dict) -> ResourceType:
    schema = {"type": "object", "properties": {"spec": spec_schema}}
    return ResourceType(group="example.com", version="v1", kind="Widget", plural="widgets", singular="widget",
                        namespaced=True, schema=schema, builtin=False)


def obj(spec) -> dict:
    return {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}, "spec": spec}


RULED = widget({
    "type": "object",
    "x-kubernetes-validations": [
        {"rule": "self.min <= self.max", "message": "min must not exceed max"},
        {"rule": "!has(self.mode) || self.mode != 'off' || !has(self.max)", "fieldPath": ".mode",
         "reason": "FieldValueForbidden", "message": "max makes no sense when off"},
    ],
    "properties": {
        "min": {"type": "integer"}, "max": {"type": "integer"}, "mode": {"type": "string"},
        "name": {"type": "string", "x-kubernetes-validations": [{"rule": "self == oldSelf",
                                                               "message": "name is immutable"}]},
        "rules": {"type": "array", "items": {"type": "object", "properties": {"c": {"type": "string"}},
                                              "x-kubernetes-validations": [{"rule": "self.c != ''"}]}},
        "size": {"type": "integer", "x-kubernetes-validations": [
            {"rule": "self % 2 == 0", "reason": "FieldValueRequired", "message": "must be even"},
            {"rule": "self.quantityOf() > 1"}]},
    },
})


@pytest.mark.parametrize("spec, expected", [
    ({"min": 1, "max": 2, "name": "x"}, []),
    ({"min": 3, "max": 2}, [("spec", 'Invalid value: "object": min must not exceed max')]),
    ({"min": 1, "max": 2, "mode": "off"}, [("spec.mode", "Forbidden: max makes no sense when off")]),
    ({"min": 1, "max": 2, "rules": [{"c": "ok"}, {"c": ""}]},
     [("spec.rules[1]", "Invalid value: \"object\": failed rule: self.c != ''")]),
    ({"min": 1, "max": 2, "size": 3}, [("spec.size", "Required value: must be even")]),
    ({"max": 2}, [("spec", 'Invalid value: "object": no such key: min evaluating rule: min must not exceed max')]),
])
def test_rules_report_as_apiextensions_does(spec, expected):
    assert validate_custom_object(RULED, obj(spec)) == expected


def test_transition_rules_run_on_update_only():
    assert validate_custom_object(RULED, obj({"min": 1, "max": 2, "name": "new"})) == []
    old = obj({"min": 1, "max": 2, "name": "old"})
    assert validate_custom_object(RULED, obj({"min": 1, "max": 2, "name": "new"}), old=old) == [
        ("spec.name", 'Invalid value: "string": name is immutable')]


def test_rules_wait_for_a_type_correct_object():
    assert validate_custom_object(RULED, obj({"min": "one", "max": 2})) == [
        ("spec.min", 'Invalid value: "string": spec.min in body must be of type integer: "string"'),
        ("<nil>", 'Invalid value: "null": some validation rules were not checked because the object was invalid; '
                  "correct the existing errors to complete validation"),
    ]


def test_root_rules_see_only_the_name_of_the_metadata():
    rt = ResourceType(group="example.com", version="v1", kind="Widget", plural="widgets", singular="widget",
                      namespaced=True, builtin=False, schema={
                          "type": "object", "properties": {"spec": {"type": "object"}},
                          "x-kubernetes-validations": [
                              {"rule": "self.metadata.name.startsWith('w') && !has(self.metadata.labels)"}]})
    assert validate_custom_object(rt, {**obj({}), "metadata": {"name": "w", "labels": {"a": "b"}}}) == []
    assert validate_custom_object(rt, {**obj({}), "metadata": {"name": "x"}}) == [
        ("<nil>", "Invalid value: \"object\": failed rule: self.metadata.name.startsWith('w') && "
                  "!has(self.metadata.labels)")]
