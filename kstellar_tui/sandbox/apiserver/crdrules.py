"""`x-kubernetes-validations`: the CEL rules of a CRD schema, evaluated as apiextensions-apiserver does.

Each rule of a schema node runs with `self` bound to the node's (non-null) value, and `oldSelf` to its
previous value on update. Transition rules (those naming `oldSelf`) run only where an old value
correlates: on update, through properties, map entries and the items of `x-kubernetes-list-type`
map/set lists (never on create, never under atomic lists). At the resource root `self` has apiVersion,
kind and metadata.name/generateName only, as upstream's.

Rules go through the CEL subset of `sandbox.cel`. A rule outside it (or one whose operands the subset
cannot combine) is unknown, not false: it is skipped and logged once, so valid objects are never
refused. Not implemented: `messageExpression` (the `message` is used), `optionalOldSelf`, rules under
`allOf`/`anyOf`, CEL's escaping of property names (`__dash__`, `__namespace__`...), validation
ratcheting, and the cost budget.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from kstellar_tui.sandbox.cel import (
    EvaluationError, Evaluator, ExpressionError, NoSuchOverload, compile_expression, uses_variable,
)

log = logging.getLogger(__name__)

RULE_VARIABLES = ("self", "oldSelf")
_ROOT_METADATA = ("name", "generateName")
_SKIPPED: set[str] = set()  # rules already logged as skipped


@dataclass(frozen=True)
class RuleFailure:
    """A rule that did not hold (or failed to evaluate) at `path` ("" = the object itself).

    `reason` is the rule's FieldValueErrorReason (None = FieldValueInvalid), `type_name` the schema type
    upstream prints as the bad value, `detail` the message.
    """

    path: str
    reason: str | None
    type_name: str
    detail: str


@dataclass(frozen=True)
class _Rule:
    evaluate: Evaluator | None  # None: outside the subset
    transition: bool


def failures(schema: dict, obj: dict, old: dict | None = None) -> list[RuleFailure]:
    """Every failing rule of `schema` (an openAPIV3Schema) for `obj`; `old` is the stored object on update."""
    found: list[RuleFailure] = []
    for value, old_value, node, path in _nodes(_root_view(obj), _root_view(old) if old else None, schema, ""):
        for rule_spec in node.get("x-kubernetes-validations") or ():
            failure = _check(rule_spec, value, old_value, node, path)
            if failure is not None:
                found.append(failure)
    return found


def has_rules(schema: Any) -> bool:
    """Whether any node of the schema carries x-kubernetes-validations."""
    if isinstance(schema, dict):
        return bool(schema.get("x-kubernetes-validations")) or any(map(has_rules, schema.values()))
    if isinstance(schema, list):
        return any(map(has_rules, schema))
    return False


def _root_view(obj: dict) -> dict:
    """What a root rule sees: the object with metadata cut down to name and generateName."""
    meta = obj.get("metadata")
    view = dict(obj)
    view["metadata"] = {k: meta[k] for k in _ROOT_METADATA if k in meta} if isinstance(meta, dict) else {}
    return view


def _nodes(value: Any, old: Any, schema: dict, path: str) -> Iterator[tuple[Any, Any, dict, str]]:
    """(value, correlated old value or None, schema, field path) of every non-null node, depth first."""
    if value is None:
        return
    yield value, old, schema, path
    if isinstance(value, dict):
        properties = schema.get("properties") or {}
        additional = schema.get("additionalProperties")
        old_map = old if isinstance(old, dict) else {}
        for key, child in value.items():
            if key in properties:
                yield from _nodes(child, old_map.get(key), properties[key], f"{path}.{key}" if path else key)
            elif isinstance(additional, dict):
                yield from _nodes(child, old_map.get(key), additional, f"{path}[{key}]")
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        correlate = _correlation(schema, old)
        for i, item in enumerate(value):
            yield from _nodes(item, correlate(item), schema["items"], f"{path}[{i}]")


def _correlation(schema: dict, old: Any):
    """How an item finds its old self: by map keys or by value in map/set lists, not at all otherwise."""
    list_type = schema.get("x-kubernetes-list-type")
    if not isinstance(old, list) or list_type not in ("map", "set"):
        return lambda item: None
    if list_type == "set":
        return lambda item: item if item in old else None
    keys = schema.get("x-kubernetes-list-map-keys") or []

    def identity(item: Any) -> str:
        fields = item if isinstance(item, dict) else {}
        return json.dumps([fields.get(k) for k in keys])

    by_key = {identity(item): item for item in old}
    return lambda item: by_key.get(identity(item))


def _check(spec: dict, value: Any, old: Any, schema: dict, path: str) -> RuleFailure | None:
    text = spec.get("rule")
    if not isinstance(text, str) or not text.strip():
        return None
    rule = _compiled(text)
    if rule.evaluate is None or (rule.transition and old is None):
        return None
    message = (spec.get("message") or "").strip()
    shown = message or text.strip()
    type_name = schema.get("type") or ""
    try:
        verdict = rule.evaluate({"self": value, "oldSelf": old})
    except NoSuchOverload:
        _skipped(text, "operands outside the CEL subset")
        return None
    except EvaluationError as error:
        return RuleFailure(path, None, type_name, f"{error} evaluating rule: {shown}")
    if not isinstance(verdict, bool):
        _skipped(text, "it does not evaluate to a bool")
        return None
    if verdict:
        return None
    field_path = (spec.get("fieldPath") or "").strip().lstrip(".").replace("['", "[").replace("']", "]")
    if field_path:
        path = f"{path}.{field_path}" if path and not field_path.startswith("[") else f"{path}{field_path}"
    return RuleFailure(path, spec.get("reason"), type_name, message or f"failed rule: {shown}")


@lru_cache(maxsize=1024)
def _compiled(text: str) -> _Rule:
    transition = uses_variable(text, "oldSelf")
    try:
        return _Rule(compile_expression(text, RULE_VARIABLES), transition)
    except ExpressionError as error:
        _skipped(text, f"outside the CEL subset: {error}")
        return _Rule(None, transition)


def _skipped(text: str, why: str) -> None:
    if text not in _SKIPPED:
        _SKIPPED.add(text)
        log.info("x-kubernetes-validations rule %r not checked: %s", text, why)
