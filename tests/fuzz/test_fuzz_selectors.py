"""Label and field selectors from any text or any YAML value: a Selector or a SelectorError with a
message, never another exception; valid selectors round-trip and match as a plain reference does."""

from __future__ import annotations

import re

from hypothesis import example, given
from hypothesis import strategies as st

from kstellar_tui.core.fleet.selectors import (
    SelectorError, parse_field_selector, parse_selector, selector_from_dict, validate_label_key,
    validate_label_value,
)

from ._fuzz import TIMEOUT, budget, selector_noise, yaml_values

pytestmark = TIMEOUT

label_names = st.from_regex(r"[A-Za-z0-9]([-A-Za-z0-9_.]{0,6}[A-Za-z0-9])?", fullmatch=True)
prefixes = st.from_regex(r"[a-z0-9]([-a-z0-9]{0,4}[a-z0-9])?(\.[a-z0-9]{1,4}){0,2}", fullmatch=True)
# A few keys and values recur, so generated labels and selectors meet.
keys = st.sampled_from(["app", "tier", "example.com/zone", "in", "notin"]) | st.builds(
    lambda p, n: f"{p}/{n}" if p else n, st.none() | prefixes, label_names)
values = st.sampled_from(["", "web", "db", "1", "20"]) | label_names
numbers = st.integers(0, 999).map(str)

requirements = st.one_of(
    st.tuples(keys, st.sampled_from(["=", "==", "!="]), values.map(lambda v: (v,))),
    st.tuples(keys, st.sampled_from(["in", "notin"]), st.lists(values, min_size=1, max_size=3).map(tuple)),
    st.tuples(keys, st.sampled_from(["exists", "!"]), st.just(())),
    st.tuples(keys, st.sampled_from(["gt", "lt"]), numbers.map(lambda v: (v,))),
)
labels = st.dictionaries(keys, values | numbers, max_size=4)
spaces = st.sampled_from(["", " ", "  ", "\t"])


def render(requirement: tuple[str, str, tuple[str, ...]], pad: str) -> str:
    """The query text of one requirement, with `pad` wherever upstream allows white space."""
    key, op, vals = requirement
    if op == "exists":
        return key
    if op == "!":
        return f"!{pad}{key}"
    if op in ("in", "notin"):
        return f"{key} {op}{pad}({pad}{f'{pad},{pad}'.join(vals)}{pad})"
    symbol = {"gt": ">", "lt": "<"}.get(op, op)
    return f"{key}{pad}{symbol}{pad}{vals[0]}"


_INTEGER = re.compile(r"[+-]?[0-9]+")


def reference_match(reqs: list[tuple[str, str, tuple[str, ...]]], labels: dict[str, str]) -> bool:
    """The meaning of a selector as the Kubernetes documentation states it, term by term."""
    for key, op, vals in reqs:
        have = labels.get(key)
        if op in ("=", "==", "in"):
            ok = have in vals
        elif op in ("!=", "notin"):
            ok = have not in vals
        elif op == "exists":
            ok = key in labels
        elif op == "!":
            ok = key not in labels
        else:
            ok = have is not None and bool(_INTEGER.fullmatch(have)) and (
                int(have) > int(vals[0]) if op == "gt" else int(have) < int(vals[0]))
        if not ok:
            return False
    return True


def parses_or_explains(text: str):
    try:
        return parse_selector(text)
    except SelectorError as error:
        assert str(error), "a SelectorError must say what is wrong"
        return None


@given(st.text(max_size=40) | selector_noise)
@example("a in (b,,c), !d, e notin ()")
@example("in in (in), notin notin (notin)")
@example("a>1,b<2,c>x")
@budget(200)
def test_any_text_is_a_selector_or_a_clear_error(text: str) -> None:
    selector = parses_or_explains(text)
    if selector is not None:
        # what parsed once parses again to the same selector from its canonical text
        assert parse_selector(str(selector)) == selector


@given(st.lists(requirements, max_size=4), spaces, labels)
@budget(150)
def test_a_valid_selector_round_trips_and_matches_as_the_reference(reqs, pad, labels) -> None:
    text = f"{pad},{pad}".join(render(r, pad) for r in reqs)
    selector = parse_selector(text)
    assert parse_selector(str(selector)) == selector
    assert selector.matches(labels) == reference_match(reqs, labels), (text, labels)
    failing = selector.failing_requirement(labels)
    assert (failing is None) == selector.matches(labels)


@given(yaml_values)
@example({"matchLabels": {1: "a", "b": "c"}})
@example({"matchExpressions": [{"key": "a", "operator": "In", "values": [1]}]})
@example({"matchExpressions": [{"key": ["a"], "operator": "Exists"}]})
@budget(150)
def test_any_label_selector_object_is_a_selector_or_a_clear_error(value) -> None:
    try:
        selector = selector_from_dict(value)
    except SelectorError as error:
        assert str(error)
        return
    selector.matches({"a": "b"})


@given(st.dictionaries(st.sampled_from(["matchLabels", "matchExpressions"]),
                       st.dictionaries(keys, values, max_size=3)
                       | st.lists(st.fixed_dictionaries(
                           {"key": keys, "operator": st.sampled_from(["In", "NotIn", "Exists", "DoesNotExist"])},
                           optional={"values": st.lists(values, max_size=3)}), max_size=3)),
       labels)
@budget(100)
def test_label_selector_objects_match_as_their_query_text_does(sel, labels) -> None:
    try:
        selector = selector_from_dict(sel)
    except SelectorError:
        return
    assert parse_selector(str(selector)).matches(labels) == selector.matches(labels), (str(selector), labels)


@given(st.text(max_size=40) | selector_noise)
@budget(150)
def test_any_text_is_a_field_selector_or_a_clear_error(text: str) -> None:
    try:
        terms = parse_field_selector(text)
    except SelectorError as error:
        assert str(error)
        return
    assert all(op in ("=", "!=") for _, op, _ in terms)


def escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace(",", "\\,").replace("=", "\\=")


@given(st.lists(st.tuples(st.from_regex(r"[a-z]{1,6}(\.[a-z]{1,6}){0,2}", fullmatch=True),
                          st.sampled_from(["=", "==", "!="]), st.text(max_size=8)), min_size=1, max_size=4))
@budget(100)
def test_escaped_field_selector_values_round_trip(terms) -> None:
    text = ",".join(f"{field}{op}{escape(value)}" for field, op, value in terms)
    parsed = parse_field_selector(text)
    assert sorted(parsed) == sorted((f, "!=" if op == "!=" else "=", v) for f, op, v in terms)


@given(st.text(max_size=300))
@budget(100)
def test_label_validation_answers_a_message_or_none(text: str) -> None:
    for verdict in (validate_label_key(text), validate_label_value(text)):
        assert verdict is None or (isinstance(verdict, str) and verdict)
