"""The BindingPolicy builder's form as pure functions over the policy dict.

The dict is the truth: the form edits parts of it and the YAML shows all of it, so fields the form
does not show survive every form edit. Cluster selectors are shown as terms (one requirement of
one selector: selectors are alternatives, the terms of one selector must all hold); a downsync
clause's selector and list fields are shown as one line of text each, in kubectl's syntax.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import yaml

from kstellar_tui.core.apply import fresh_copy
from kstellar_tui.core.fleet.lint import POLICY_API_VERSION
from kstellar_tui.core.fleet.selectors import (
    DOES_NOT_EXIST, DOUBLE_EQUALS, EQUALS, EXISTS, IN, NOT_EQUALS, NOT_IN, SelectorError, parse_selector,
    selector_from_dict,
)
from kstellar_tui.core.manifests import Document

OPERATORS = ("In", "NotIn", "Exists", "DoesNotExist")
MATCH_LABEL = "="  # a matchLabels entry, shown as `key = value`
SELECTOR_FIELDS = ("objectSelectors", "namespaceSelectors")
LIST_FIELDS = ("namespaces", "resources", "objectNames", "statusCollectors")
TEXT_FIELDS = ("apiGroup",)
FLAG_FIELDS = ("createOnly", "wantSingletonReportedState", "wantMultiWECReportedState")
ALTERNATIVES = ";"  # between the selectors of a selector list, as typed in one line
PREFERRED_LABEL = "app.kubernetes.io/name"
_UPSTREAM_OPERATOR = {IN: "In", NOT_IN: "NotIn", EXISTS: "Exists", DOES_NOT_EXIST: "DoesNotExist"}


class FormError(ValueError):
    """What the user typed in a form field cannot be part of a BindingPolicy; the message says why."""


@dataclass(frozen=True)
class Term:
    """One requirement of cluster selector number `selector` (0-based)."""

    selector: int
    key: str
    operator: str  # MATCH_LABEL or one of OPERATORS
    values: tuple[str, ...] = ()

    def __str__(self) -> str:
        if self.operator == MATCH_LABEL:
            return f"{self.key} = {self.values[0]}"
        if self.operator in ("Exists", "DoesNotExist"):
            return f"{self.key} {self.operator}"
        return f"{self.key} {self.operator} ({', '.join(self.values)})"


# ---------------------------------------------------------------------------------------------
# Cluster selectors


def _spec(policy: dict) -> dict:
    spec = policy.get("spec")
    if not isinstance(spec, dict):
        spec = policy["spec"] = {}
    return spec


def _selectors(policy: Mapping) -> list:
    found = (policy.get("spec") or {}).get("clusterSelectors")
    return found if isinstance(found, list) else []


def cluster_terms(policy: Mapping) -> list[Term]:
    terms = []
    for index, selector in enumerate(_selectors(policy)):
        if not isinstance(selector, Mapping):
            continue
        for key, value in (selector.get("matchLabels") or {}).items():
            terms.append(Term(index, str(key), MATCH_LABEL, (str(value),)))
        for expression in selector.get("matchExpressions") or ():
            if isinstance(expression, Mapping):
                terms.append(Term(index, str(expression.get("key") or ""), str(expression.get("operator") or ""),
                                  tuple(str(v) for v in expression.get("values") or ())))
    return terms


def add_term(policy: Mapping, key: str, operator: str, value: str = "", *, selector: int | None = None) -> dict:
    """A copy with the term added to selector number `selector` (None: a new selector, an alternative).

    `In` with one value becomes a matchLabels entry, as the upstream examples write it."""
    if operator not in OPERATORS:
        raise FormError(f"operator must be one of {', '.join(OPERATORS)}")
    if not key:
        raise FormError("choose a label key")
    needs_value = operator in ("In", "NotIn")
    if needs_value and not value:
        raise FormError(f"{operator} needs a value")
    updated = copy.deepcopy(dict(policy))
    selectors = _spec(updated).setdefault("clusterSelectors", [])
    if not isinstance(selectors, list):
        raise FormError("spec.clusterSelectors is not a list; fix it in the YAML")
    if selector is None or selector >= len(selectors):
        selectors.append({})
        selector = len(selectors) - 1
    target = selectors[selector]
    labels = target.get("matchLabels") or {}
    if operator == "In" and key not in labels:
        target["matchLabels"] = {**labels, key: value}
    else:
        expression = {"key": key, "operator": operator, **({"values": [value]} if needs_value else {})}
        target["matchExpressions"] = [*(target.get("matchExpressions") or []), expression]
    _check_selector(target, f"cluster selector {selector + 1}")
    return updated


def remove_term(policy: Mapping, term: Term) -> dict:
    """A copy without the term; a selector left empty is removed (an empty selector selects every cluster)."""
    updated = copy.deepcopy(dict(policy))
    selectors = _selectors(updated)
    if term.selector >= len(selectors):
        return updated
    target = selectors[term.selector]
    if term.operator == MATCH_LABEL:
        (target.get("matchLabels") or {}).pop(term.key, None)
    else:
        target["matchExpressions"] = [e for e in target.get("matchExpressions") or ()
                                      if Term(term.selector, str(e.get("key") or ""), str(e.get("operator") or ""),
                                              tuple(str(v) for v in e.get("values") or ())) != term]
    for field in ("matchLabels", "matchExpressions"):
        if not target.get(field):
            target.pop(field, None)
    if not target:
        del selectors[term.selector]
    return updated


def label_choices(clusters: Mapping[str, Mapping[str, str]]) -> dict[str, list[str]]:
    """Every label key the clusters have, with the values each takes, sorted."""
    choices: dict[str, set[str]] = {}
    for labels in clusters.values():
        for key, value in labels.items():
            choices.setdefault(key, set()).add(value)
    return {key: sorted(values) for key, values in sorted(choices.items())}


# ---------------------------------------------------------------------------------------------
# Downsync clauses


def clauses(policy: Mapping) -> list[Mapping]:
    """The downsync clauses as the form shows them (an entry that is not an object shows as empty)."""
    found = (policy.get("spec") or {}).get("downsync")
    return [c if isinstance(c, Mapping) else {} for c in found] if isinstance(found, list) else []


def add_clause(policy: Mapping) -> dict:
    updated = copy.deepcopy(dict(policy))
    downsync = _spec(updated).setdefault("downsync", [])
    if not isinstance(downsync, list):
        raise FormError("spec.downsync is not a list; fix it in the YAML")
    downsync.append({})
    return updated


def remove_clause(policy: Mapping, index: int) -> dict:
    updated = copy.deepcopy(dict(policy))
    downsync = _spec(updated).get("downsync")
    if isinstance(downsync, list) and index < len(downsync):
        del downsync[index]
    return updated


def clause_text(clause: Mapping, field: str) -> str:
    """How the form shows one text field of a clause."""
    value = clause.get(field)
    if field in SELECTOR_FIELDS:
        return f"{ALTERNATIVES} ".join(selector_text(s) for s in value or () if isinstance(s, Mapping))
    if field in LIST_FIELDS:
        return ", ".join(str(v) for v in value or ())
    return "" if value is None else str(value)


def set_clause_field(policy: Mapping, index: int, field: str, value: str | bool) -> dict:
    """A copy with one clause field set from what the form holds; empty text or False removes it."""
    updated = copy.deepcopy(dict(policy))
    downsync = _spec(updated).get("downsync")
    if not isinstance(downsync, list) or index >= len(downsync):
        raise FormError(f"there is no downsync clause {index + 1}")
    if not isinstance(downsync[index], dict):
        downsync[index] = {}
    clause = downsync[index]
    if field in FLAG_FIELDS:
        parsed: object = bool(value) or None
    elif field in SELECTOR_FIELDS:
        parsed = parse_selector_list(str(value), field) or None
    elif field in LIST_FIELDS:
        parsed = [v.strip() for v in str(value).split(",") if v.strip()] or None
    elif field in TEXT_FIELDS:
        parsed = str(value).strip() or None
    else:
        raise FormError(f"the form has no field {field}")
    if parsed is None:
        clause.pop(field, None)
    else:
        clause[field] = parsed
    return updated


# ---------------------------------------------------------------------------------------------
# Label selectors as one line of text


def selector_text(selector: Mapping) -> str:
    """`a=b,c in (x,y),!d`: matchLabels first, then matchExpressions, in the order they are written."""
    terms = [f"{k}={v}" for k, v in (selector.get("matchLabels") or {}).items()]
    for expression in selector.get("matchExpressions") or ():
        key, operator = expression.get("key"), expression.get("operator")
        values = ",".join(str(v) for v in expression.get("values") or ())
        terms.append({"In": f"{key} in ({values})", "NotIn": f"{key} notin ({values})", "Exists": str(key),
                      "DoesNotExist": f"!{key}"}.get(str(operator), f"{key} {operator} ({values})"))
    return ",".join(terms)


def parse_selector_list(text: str, field: str = "selector") -> list[dict]:
    """`;`-separated selectors in kubectl's syntax as metav1.LabelSelector dicts."""
    found = []
    for part in (p.strip() for p in text.split(ALTERNATIVES)):
        if part:
            found.append(_selector_dict(part, field))
    return found


def _selector_dict(text: str, field: str) -> dict:
    try:
        requirements = parse_selector(text).requirements
    except SelectorError as exc:
        raise FormError(f"{field}: {text!r}: {exc}") from None
    labels, expressions = {}, []
    for r in requirements:
        if r.operator in (EQUALS, DOUBLE_EQUALS):
            labels[r.key] = r.values[0]
        elif r.operator == NOT_EQUALS:
            expressions.append({"key": r.key, "operator": "NotIn", "values": list(r.values)})
        elif r.operator in _UPSTREAM_OPERATOR:
            values = {"values": list(r.values)} if r.operator in (IN, NOT_IN) else {}
            expressions.append({"key": r.key, "operator": _UPSTREAM_OPERATOR[r.operator], **values})
        else:
            raise FormError(f"{field}: {r} — a label selector in a BindingPolicy has no {r.operator} "
                            "operator (use in, notin, =, !=, key or !key)")
    return {**({"matchLabels": labels} if labels else {}), **({"matchExpressions": expressions} if expressions else {})}


def _check_selector(selector: Mapping, where: str) -> None:
    try:
        selector_from_dict(selector)
    except SelectorError as exc:
        raise FormError(f"{where}: {exc}") from None


# ---------------------------------------------------------------------------------------------
# Whole policies


def starter_policy(documents: Sequence[Document], name: str = "") -> dict:
    """A new policy for the documents being edited: it selects them by a label they all carry
    (app.kubernetes.io/name when they have it) and no cluster yet — the user picks the clusters."""
    common = _common_labels(d.labels for d in documents if d.obj is not None)
    key = PREFERRED_LABEL if PREFERRED_LABEL in common else next(iter(sorted(common)), None)
    downsync = [{"objectSelectors": [{"matchLabels": {key: common[key]}}]}] if key else [{}]
    chosen = name or (f"{common[key]}-bpolicy" if key else "my-bpolicy")
    return {"apiVersion": POLICY_API_VERSION, "kind": "BindingPolicy", "metadata": {"name": chosen},
            "spec": {"clusterSelectors": [], "downsync": downsync}}


def _common_labels(label_sets: Iterable[Mapping[str, str]]) -> dict[str, str]:
    common: dict[str, str] | None = None
    for labels in label_sets:
        pairs = {str(k): str(v) for k, v in labels.items()}
        common = pairs if common is None else {k: v for k, v in common.items() if pairs.get(k) == v}
    return common or {}


def editable_policy(live: Mapping) -> dict:
    """A live BindingPolicy as the builder edits it: without status and server-owned metadata."""
    return fresh_copy(live)


def policy_yaml(policy: Mapping) -> str:
    return yaml.safe_dump(dict(policy), sort_keys=False, default_flow_style=False, allow_unicode=True)


def policy_name(policy: Mapping) -> str:
    meta = policy.get("metadata")
    return str(meta.get("name") or "") if isinstance(meta, Mapping) else ""


def set_name(policy: Mapping, name: str) -> dict:
    updated = copy.deepcopy(dict(policy))
    meta = updated.get("metadata")
    updated["metadata"] = {**(meta if isinstance(meta, dict) else {}), "name": name.strip()}
    return updated
