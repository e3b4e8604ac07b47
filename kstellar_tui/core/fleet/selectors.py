"""Kubernetes label selectors, field selectors and label validation, as apimachinery v0.32 does them.

One implementation serves the sandbox API server (`?labelSelector=`), the binding controller and the
monitor, so a selector means the same thing everywhere and errors read like the real API server's.
Selectors are compiled once into `(key, test, values)` checks because they run on every event.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

# Operator spellings are apimachinery's `selection.Operator` values.
EQUALS = "="
DOUBLE_EQUALS = "=="
NOT_EQUALS = "!="
IN = "in"
NOT_IN = "notin"
EXISTS = "exists"
DOES_NOT_EXIST = "!"
GREATER_THAN = "gt"
LESS_THAN = "lt"

_BINARY_OPERATORS = (IN, NOT_IN, EQUALS, DOUBLE_EQUALS, NOT_EQUALS, GREATER_THAN, LESS_THAN)
_DICT_OPERATORS = {"In": IN, "NotIn": NOT_IN, "Exists": EXISTS, "DoesNotExist": DOES_NOT_EXIST}

_LABEL_NAME_FMT = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
_LABEL_NAME_RE = re.compile(f"^{_LABEL_NAME_FMT}$")
_LABEL_NAME_MSG = (
    "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
    "alphanumeric character"
)
_LABEL_VALUE_FMT = f"({_LABEL_NAME_FMT})?"
_LABEL_VALUE_RE = re.compile(f"^{_LABEL_VALUE_FMT}$")
_LABEL_VALUE_MSG = (
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', "
    "and must start and end with an alphanumeric character"
)
_DNS1123_LABEL_FMT = "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
_DNS1123_SUBDOMAIN_FMT = _DNS1123_LABEL_FMT + "(\\." + _DNS1123_LABEL_FMT + ")*"
_DNS1123_SUBDOMAIN_RE = re.compile(f"^{_DNS1123_SUBDOMAIN_FMT}$")
_DNS1123_SUBDOMAIN_MSG = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', "
    "and must start and end with an alphanumeric character"
)
_INT_RE = re.compile(r"[+-]?[0-9]+")
_MAX_NAME = 63
_MAX_PREFIX = 253


class SelectorError(ValueError):
    """An unparsable or invalid selector; the text reads like the Kubernetes API server's."""


# ---------------------------------------------------------------------------------------------
# Label key/value validation (apimachinery util/validation: IsQualifiedName, IsValidLabelValue)


def _regex_error(msg: str, fmt: str, *examples: str) -> str:
    # Upstream's RegexError, double spaces before "or" included.
    shown = "".join(("'" if i == 0 else " or '") + e + "', " for i, e in enumerate(examples))
    return f"{msg} (e.g. {shown}regex used for validation is '{fmt}')"


def _max_len_error(n: int) -> str:
    return f"must be no more than {n} characters"


def _label_key_errors(key: str) -> list[str]:
    errors: list[str] = []
    parts = key.split("/")
    if len(parts) == 1:
        name = parts[0]
    elif len(parts) == 2:
        prefix, name = parts
        if not prefix:
            errors.append("prefix part must be non-empty")
        else:
            if len(prefix) > _MAX_PREFIX:
                errors.append("prefix part " + _max_len_error(_MAX_PREFIX))
            if not _DNS1123_SUBDOMAIN_RE.match(prefix):
                errors.append("prefix part " + _regex_error(
                    _DNS1123_SUBDOMAIN_MSG, _DNS1123_SUBDOMAIN_FMT, "example.com"))
    else:
        return ["a qualified name " + _regex_error(_LABEL_NAME_MSG, _LABEL_NAME_FMT, "MyName", "my.name", "123-abc")
                + " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"]
    if not name:
        errors.append("name part must be non-empty")
    elif len(name) > _MAX_NAME:
        errors.append("name part " + _max_len_error(_MAX_NAME))
    if not _LABEL_NAME_RE.match(name):
        errors.append("name part " + _regex_error(_LABEL_NAME_MSG, _LABEL_NAME_FMT, "MyName", "my.name", "123-abc"))
    return errors


def _label_value_errors(value: str) -> list[str]:
    errors: list[str] = []
    if len(value) > _MAX_NAME:
        errors.append(_max_len_error(_MAX_NAME))
    if not _LABEL_VALUE_RE.match(value):
        errors.append(_regex_error(_LABEL_VALUE_MSG, _LABEL_VALUE_FMT, "MyValue", "my_value", "12345"))
    return errors


def validate_label_key(key: str) -> str | None:
    """Upstream's message for an invalid label key (`prefix/name`), or None when it is valid."""
    errors = _label_key_errors(key)
    return "; ".join(errors) if errors else None


def validate_label_value(value: str) -> str | None:
    """Upstream's message for an invalid label value (≤63, may be empty), or None when it is valid."""
    errors = _label_value_errors(value)
    return "; ".join(errors) if errors else None


def _go_quote(s: str) -> str:
    """Go's %q, which upstream uses to show the offending value."""
    out = ['"']
    for ch in s:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ch == "\r":
            out.append("\\r")
        elif ch.isprintable():
            out.append(ch)
        else:
            out.append(f"\\x{ord(ch):02x}" if ord(ch) < 0x80 else f"\\u{ord(ch):04x}")
    out.append('"')
    return "".join(out)


def _invalid(path: str, bad: str, detail: str) -> str:
    return f"{path}: Invalid value: {bad}: {detail}"


def _aggregate(errors: list[str]) -> str:
    unique = list(dict.fromkeys(errors))
    return unique[0] if len(unique) == 1 else "[" + ", ".join(unique) + "]"


def _go_string_slice(values: list[str] | tuple[str, ...]) -> str:
    return "[]string{" + ", ".join(_go_quote(v) for v in values) + "}"


# ---------------------------------------------------------------------------------------------
# Requirements and selectors

# Compiled tests, cheaper to dispatch on than operator strings.
_T_IN, _T_NOT_IN, _T_EXISTS, _T_ABSENT, _T_GT, _T_LT = range(6)
_TEST_OF = {
    EQUALS: _T_IN, DOUBLE_EQUALS: _T_IN, IN: _T_IN, NOT_EQUALS: _T_NOT_IN, NOT_IN: _T_NOT_IN,
    EXISTS: _T_EXISTS, DOES_NOT_EXIST: _T_ABSENT, GREATER_THAN: _T_GT, LESS_THAN: _T_LT,
}


@dataclass(frozen=True, slots=True)
class Requirement:
    """One term of a selector: `key operator values` (values sorted, without duplicates)."""

    key: str
    operator: str
    values: tuple[str, ...] = ()

    def __str__(self) -> str:
        op = self.operator
        if op == EXISTS:
            return self.key
        if op == DOES_NOT_EXIST:
            return "!" + self.key
        joined = ",".join(self.values)
        if op in (IN, NOT_IN):
            return f"{self.key} {op} ({joined})"
        symbol = {GREATER_THAN: ">", LESS_THAN: "<"}.get(op, op)
        return f"{self.key}{symbol}{joined}"


def _check(key: str, test: int, values: frozenset[str], labels: Mapping[str, str]) -> bool:
    if test == _T_IN:
        value = labels.get(key)
        return value is not None and value in values
    if test == _T_NOT_IN:
        value = labels.get(key)
        return value is None or value not in values
    if test == _T_EXISTS:
        return key in labels
    if test == _T_ABSENT:
        return key not in labels
    return _compare(labels.get(key), values, greater=test == _T_GT)


def _go_int(text: str | None) -> int | None:
    """strconv.ParseInt's view of a string (Python's int() also takes spaces and underscores)."""
    return int(text) if text is not None and _INT_RE.fullmatch(text) else None


def _compare(value: str | None, values: frozenset[str], *, greater: bool) -> bool:
    have, want = _go_int(value), _go_int(next(iter(values)))
    if have is None or want is None:
        return False
    return have > want if greater else have < want


_EMPTY: Mapping[str, str] = {}


@dataclass(frozen=True, slots=True)
class Selector:
    """An AND of requirements; `Selector.nothing()` matches no labels at all (a nil LabelSelector)."""

    requirements: tuple[Requirement, ...] = ()
    matches_nothing: bool = False
    _checks: tuple[tuple[str, int, frozenset[str]], ...] = field(
        default=(), init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        checks = tuple((r.key, _TEST_OF[r.operator], frozenset(r.values)) for r in self.requirements)
        object.__setattr__(self, "_checks", checks)

    @classmethod
    def nothing(cls) -> Selector:
        return _NOTHING

    @property
    def matches_everything(self) -> bool:
        """True for `{}` (and an empty query): upstream's `Empty()`."""
        return not self.requirements and not self.matches_nothing

    def matches(self, labels: Mapping[str, str] | None) -> bool:
        if self.matches_nothing:
            return False
        if labels is None:
            labels = _EMPTY
        for key, test, values in self._checks:
            if not _check(key, test, values, labels):
                return False
        return True

    def failing_requirement(self, labels: Mapping[str, str] | None) -> Requirement | None:
        """The first term these labels fail, for "why not" explanations."""
        labels = _EMPTY if labels is None else labels
        for requirement, (key, test, values) in zip(self.requirements, self._checks):
            if not _check(key, test, values, labels):
                return requirement
        return None

    def __str__(self) -> str:
        return ",".join(str(r) for r in self.requirements)


_NOTHING = Selector(matches_nothing=True)


def _new_requirement(key: str, operator: str, values: list[str], *, key_path: str | None) -> Requirement:
    """apimachinery's NewRequirement: validates, then normalises values to a sorted set."""
    errors: list[str] = []
    if key_path is not None and (msgs := _label_key_errors(key)):
        errors.append(_invalid(key_path, _go_quote(key), "; ".join(msgs)))
    if operator in (IN, NOT_IN) and not values:
        errors.append(_invalid("values", _go_string_slice(values),
                               "for 'in', 'notin' operators, values set can't be empty"))
    elif operator in (EQUALS, DOUBLE_EQUALS, NOT_EQUALS) and len(values) != 1:
        errors.append(_invalid("values", _go_string_slice(values),
                               "exact-match compatibility requires one single value"))
    elif operator in (EXISTS, DOES_NOT_EXIST) and values:
        errors.append(_invalid("values", _go_string_slice(values),
                               "values set must be empty for exists and does not exist"))
    elif operator in (GREATER_THAN, LESS_THAN):
        if len(values) != 1:
            errors.append(_invalid("values", _go_string_slice(values),
                                   "for 'Gt', 'Lt' operators, exactly one value is required"))
        for i, value in enumerate(values):
            if _go_int(value) is None:
                errors.append(_invalid(f"values[{i}]", _go_quote(value),
                                       "for 'Gt', 'Lt' operators, the value must be an integer"))
    for i, value in enumerate(values):
        if msgs := _label_value_errors(value):
            errors.append(_invalid(f"values[{i}][{key}]", _go_quote(value), "; ".join(msgs)))
    if errors:
        raise SelectorError(_aggregate(errors))
    return Requirement(key, operator, tuple(sorted(set(values))))


def _selector(requirements: list[Requirement]) -> Selector:
    # Upstream sorts by key so that the text form is deterministic.
    return Selector(tuple(sorted(requirements, key=lambda r: r.key)))


# ---------------------------------------------------------------------------------------------
# metav1.LabelSelector


def selector_from_dict(sel: Mapping | None) -> Selector:
    """A `metav1.LabelSelector` dict as `LabelSelectorAsSelector` reads it: `{}` is everything, None nothing."""
    if sel is None:
        return _NOTHING
    if not isinstance(sel, Mapping):
        raise SelectorError(f"a label selector must be an object, not {type(sel).__name__}")
    match_labels = sel.get("matchLabels") or {}
    expressions = sel.get("matchExpressions") or []
    if not isinstance(match_labels, Mapping):
        raise SelectorError("matchLabels must be an object of label keys to values")
    if not isinstance(expressions, list):
        raise SelectorError("matchExpressions must be a list")
    if not all(isinstance(key, str) for key in match_labels):
        raise SelectorError("matchLabels keys must be strings")  # YAML reads `1: a` as an integer key
    requirements = []
    for key in sorted(match_labels):
        value = match_labels[key]
        if not isinstance(value, str):
            raise SelectorError(f"matchLabels[{key}]: value must be a string")
        requirements.append(_new_requirement(key, EQUALS, [value], key_path="key"))
    for expr in expressions:
        if not isinstance(expr, Mapping):
            raise SelectorError("each matchExpressions entry must be an object")
        spelled = expr.get("operator")
        operator = _DICT_OPERATORS.get(spelled) if isinstance(spelled, str) else None
        if operator is None:
            raise SelectorError(f"{_go_quote(str(spelled or ''))} is not a valid label selector operator")
        values = expr.get("values") or []
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise SelectorError("matchExpressions values must be a list of strings")
        requirements.append(_new_requirement(str(expr.get("key") or ""), operator, list(values), key_path="key"))
    return _selector(requirements)


# ---------------------------------------------------------------------------------------------
# Query syntax: a lexer and recursive-descent parser with upstream's tokens and messages

_EOS, _CLOSE, _COMMA, _NOT, _DEQ, _EQ, _GT, _ID, _IN, _LT, _NEQ, _NOTIN, _OPEN = range(13)
_TOKENS = {")": _CLOSE, ",": _COMMA, "!": _NOT, "==": _DEQ, "=": _EQ, ">": _GT, "in": _IN,
           "<": _LT, "!=": _NEQ, "notin": _NOTIN, "(": _OPEN}
_SPECIAL = frozenset("=!(),><")
_SPACE = frozenset(" \t\r\n")
_OPERATOR_OF = {_IN: IN, _EQ: EQUALS, _DEQ: DOUBLE_EQUALS, _GT: GREATER_THAN, _LT: LESS_THAN,
                _NOTIN: NOT_IN, _NEQ: NOT_EQUALS}


def _lex(text: str) -> list[tuple[int, str]]:
    items: list[tuple[int, str]] = []
    i, n = 0, len(text)
    while True:
        while i < n and text[i] in _SPACE:
            i += 1
        if i >= n:
            items.append((_EOS, ""))
            return items
        if text[i] in _SPECIAL:
            # Every special character is a token; take "!=" and "==" as one.
            symbol = text[i:i + 2] if text[i:i + 2] in ("!=", "==") else text[i]
            items.append((_TOKENS[symbol], symbol))
            i += len(symbol)
        else:
            j = i
            while j < n and text[j] not in _SPECIAL and text[j] not in _SPACE:
                j += 1
            word = text[i:j]
            items.append((_TOKENS.get(word, _ID), word))
            i = j


class _Parser:
    """Upstream's parser: in "values" context the words `in`/`notin` are plain identifiers."""

    def __init__(self, text: str) -> None:
        self.items = _lex(text)
        self.pos = 0

    def lookahead(self, values_context: bool = True) -> tuple[int, str]:
        return self._as(self.items[self.pos], values_context)

    def consume(self, values_context: bool = True) -> tuple[int, str]:
        item = self.items[self.pos]
        self.pos += 1
        return self._as(item, values_context)

    @staticmethod
    def _as(item: tuple[int, str], values_context: bool) -> tuple[int, str]:
        tok, lit = item
        if values_context and tok in (_IN, _NOTIN):
            return _ID, lit
        return tok, lit

    def parse(self) -> list[Requirement]:
        requirements: list[Requirement] = []
        while True:
            tok, lit = self.lookahead()
            if tok == _EOS:
                return requirements
            if tok not in (_ID, _NOT):
                raise SelectorError(f"found '{lit}', expected: !, identifier, or 'end of string'")
            try:
                requirements.append(self.requirement())
            except SelectorError as exc:
                raise SelectorError(f"unable to parse requirement: {exc}") from None
            tok, lit = self.consume()
            if tok == _EOS:
                return requirements
            if tok != _COMMA:
                raise SelectorError(f"found '{lit}', expected: ',' or 'end of string'")
            tok, lit = self.lookahead()
            if tok not in (_ID, _NOT):
                raise SelectorError(f"found '{lit}', expected: identifier after ','")

    def requirement(self) -> Requirement:
        operator = None
        tok, lit = self.consume()
        if tok == _NOT:
            operator = DOES_NOT_EXIST
            tok, lit = self.consume()
        if tok != _ID:
            raise SelectorError(f"found '{lit}', expected: identifier")
        if msgs := _label_key_errors(lit):
            raise SelectorError(_invalid("<nil>", _go_quote(lit), "; ".join(msgs)))
        key = lit
        if operator is None and self.lookahead()[0] in (_EOS, _COMMA):
            operator = EXISTS
        if operator is not None:
            return _new_requirement(key, operator, [], key_path=None)
        tok, lit = self.consume(values_context=False)
        operator = _OPERATOR_OF.get(tok)
        if operator is None:
            raise SelectorError(f"found '{lit}', expected: {', '.join(_BINARY_OPERATORS)}")
        values = self.value_set() if operator in (IN, NOT_IN) else self.exact_value()
        return _new_requirement(key, operator, sorted(values), key_path=None)

    def value_set(self) -> set[str]:
        tok, lit = self.consume()
        if tok != _OPEN:
            raise SelectorError(f"found '{lit}' expected: '('")
        tok, lit = self.lookahead()
        if tok == _CLOSE:
            self.consume()
            return {""}
        if tok not in (_ID, _COMMA):
            raise SelectorError(f"found '{lit}', expected: ',', ')' or identifier")
        values = self.identifiers()
        if self.consume()[0] != _CLOSE:
            raise SelectorError(f"found '{lit}', expected: ')'")
        return values

    def identifiers(self) -> set[str]:
        values: set[str] = set()
        while True:
            tok, lit = self.consume()
            if tok == _ID:
                values.add(lit)
                tok2, lit2 = self.lookahead()
                if tok2 == _CLOSE:
                    return values
                if tok2 != _COMMA:
                    raise SelectorError(f"found '{lit2}', expected: ',' or ')'")
            elif tok == _COMMA:
                # Empty entries ("(,a", "a,,b", "a,)") stand for the empty value.
                if not values:
                    values.add("")
                tok2 = self.lookahead()[0]
                if tok2 in (_CLOSE, _COMMA):
                    values.add("")
                if tok2 == _CLOSE:
                    return values
            else:
                raise SelectorError(f"found '{lit}', expected: ',', or identifier")

    def exact_value(self) -> set[str]:
        if self.lookahead()[0] in (_EOS, _COMMA):
            return {""}
        tok, lit = self.consume()
        if tok != _ID:
            raise SelectorError(f"found '{lit}', expected: identifier")
        return {lit}


def parse_selector(text: str) -> Selector:
    """A label selector in query syntax (`a=b,c in (x,y),!d`); the empty string selects everything."""
    return _selector(_Parser(text).parse())


# ---------------------------------------------------------------------------------------------
# Field selectors


def _split_unescaped_commas(text: str) -> list[str]:
    terms, start, escaped = [], 0, False
    for i, ch in enumerate(text):
        if escaped:
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch == ",":
            terms.append(text[start:i])
            start = i + 1
    terms.append(text[start:])
    return terms


def _unescape_field_value(value: str) -> str:
    out, escaped = [], False
    for ch in value:
        if escaped:
            if ch not in "\\,=":
                raise SelectorError(f"invalid field selector: invalid escape sequence: \\{ch}")
            out.append(ch)
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch in ",=":
            # Upstream prints the rune's number here.
            raise SelectorError(f"invalid field selector: unescaped character in value: {ord(ch)}")
        else:
            out.append(ch)
    if escaped:
        raise SelectorError("invalid field selector: invalid escape sequence: \\")
    return "".join(out)


def parse_field_selector(text: str) -> list[tuple[str, str, str]]:
    """`metadata.name=x,status.phase!=Running` as (field, "=" | "!=", value), terms sorted like upstream."""
    result = []
    for term in sorted(_split_unescaped_commas(text)):
        if not term:
            continue
        for i in range(len(term)):
            rest = term[i:]
            op = next((o for o in ("!=", "==", "=") if rest.startswith(o)), None)
            if op is not None:
                value = _unescape_field_value(term[i + len(op):])
                result.append((term[:i], "!=" if op == "!=" else "=", value))
                break
        else:
            raise SelectorError(f"invalid selector: '{text}'; can't understand '{term}'")
    return result
