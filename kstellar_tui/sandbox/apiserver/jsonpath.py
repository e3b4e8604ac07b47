"""The part of Kubernetes JSONPath that printer columns use, evaluated like client-go with missing keys allowed.

Supported: `.a.b`, escaped dots (`.a\\.b`), `['a\\.b']`, `[n]` (negative too), `[a:b]`, `[*]`, `.*`, and filters
`[?(@.type=="Ready")]` with ==, !=, <, >, <=, >= or a bare `[?(@.x)]` existence test. Not supported
(ValueError): recursive descent `..`, unions `[a,b]`, functions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

_FILTER = re.compile(r"^([^!<>=]+)([!<>=]+)(.+?)$")
_SLICE = re.compile(r"^(-?\d+)?(:-?\d*)?(:-?\d*)?$")
_MISSING = object()


@dataclass(frozen=True)
class _Field:
    name: str


@dataclass(frozen=True)
class _Slice:
    start: int | None
    stop: int | None
    single: bool  # [n] picks one element, [a:b] and [*] a range


@dataclass(frozen=True)
class _Filter:
    left: tuple
    op: str
    right: Any  # a literal, or a tuple of steps when the right side is a path


def find(obj: Any, path: str) -> list[Any]:
    """Every value `path` selects in `obj`, in document order; [] when nothing matches."""
    return _walk(obj, _parse(path))


def _walk(obj: Any, steps: tuple) -> list[Any]:
    values = [obj]
    for step in steps:
        values = [found for value in values for found in _apply(step, value)]
    return values


@lru_cache(maxsize=256)
def _parse(path: str) -> tuple:
    text = path.strip()
    if text.startswith("{") and text.endswith("}"):
        text = text[1:-1]
    text = text.removeprefix("$")
    steps: list = []
    i = 0
    while i < len(text):
        if text.startswith("..", i):
            raise ValueError(f"recursive descent is not supported: {path}")
        if text[i] == ".":
            end = i + 1
            while end < len(text) and text[end] not in ".[":
                end += 2 if text[end] == "\\" else 1
            steps.extend(_fields(text[i + 1:end]))
            i = end
        elif text[i] == "[":
            end = _closing_bracket(text, i)
            steps.extend(_bracket(text[i + 1:end], path))
            i = end + 1
        elif text[i] == "@":
            i += 1
        else:
            raise ValueError(f"unexpected {text[i]!r} at {i} in {path}")
    return tuple(steps)


def _fields(dotted: str) -> list:
    """`a`, `*`, or an escaped key like `status\\.kubestellar\\.io/name` (one field)."""
    if dotted == "*":
        return [_Slice(None, None, False)]
    names, current, escaped = [], [], False
    for ch in dotted:
        if escaped:
            current.append(ch)
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch == ".":
            names.append("".join(current))
            current = []
        else:
            current.append(ch)
    names.append("".join(current))
    return [_Field(name) for name in names if name]


def _closing_bracket(text: str, start: int) -> int:
    quote = None
    depth = 0
    for j in range(start, len(text)):
        ch = text[j]
        if quote:
            if ch == quote and text[j - 1] != "\\":
                quote = None
        elif ch in "'\"":
            quote = ch
        elif ch == "[":
            depth += 1
        elif ch == "]":
            depth -= 1
            if depth == 0:
                return j
    raise ValueError(f"unterminated [ in {text}")


def _bracket(inner: str, path: str) -> list:
    inner = inner.strip()
    if inner.startswith("?(") and inner.endswith(")"):
        return [_filter(inner[2:-1], path)]
    if len(inner) >= 2 and inner[0] == inner[-1] and inner[0] in "'\"":
        return _fields(inner[1:-1])
    if inner == "*":
        return [_Slice(None, None, False)]
    if "," in inner:
        raise ValueError(f"unions are not supported: {path}")
    match = _SLICE.match(inner)
    if not inner or match is None:
        raise ValueError(f"invalid array index {inner} in {path}")
    start, stop = match.group(1), match.group(2)
    if stop is None:
        return [_Slice(int(start), None, True)]
    return [_Slice(int(start) if start else None, int(stop[1:]) if stop[1:] else None, False)]


def _filter(expression: str, path: str) -> _Filter:
    match = _FILTER.match(expression.strip())
    if match is None:
        return _Filter(_parse(expression.strip()), "exists", None)
    left, op, right = (part.strip() for part in match.groups())
    if op not in ("==", "!=", "<", ">", "<=", ">="):
        raise ValueError(f"unsupported filter operator {op} in {path}")
    return _Filter(_parse(left), op, _literal(right))


def _literal(text: str) -> Any:
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    if text in ("true", "false"):
        return text == "true"
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        return _parse(text)


def _apply(step: Any, value: Any) -> list[Any]:
    if isinstance(step, _Field):
        return [value[step.name]] if isinstance(value, dict) and step.name in value else []
    if isinstance(step, _Slice):
        if isinstance(value, dict) and not step.single:
            return list(value.values())
        if not isinstance(value, list):
            return []
        if step.single:
            index = step.start + len(value) if step.start < 0 else step.start
            return [value[index]] if 0 <= index < len(value) else []
        return value[step.start:step.stop]
    return [item for item in _items(value) if _passes(step, item)]


def _items(value: Any) -> list[Any]:
    if isinstance(value, list):
        return value
    if isinstance(value, dict):
        return list(value.values())
    return []


def _passes(flt: _Filter, item: Any) -> bool:
    lefts = _walk(item, flt.left)
    if not lefts:
        return False
    if flt.op == "exists":
        return True
    right = flt.right
    if isinstance(right, tuple):
        rights = _walk(item, right)
        if not rights:
            return False
        right = rights[0]
    return _compare(lefts[0], flt.op, right)


def _compare(left: Any, op: str, right: Any) -> bool:
    """Like client-go's template comparisons: values of different kinds never compare (and never match)."""
    numbers = (int, float)
    same_kind = (isinstance(left, numbers) and isinstance(right, numbers)
                 and not isinstance(left, bool) and not isinstance(right, bool)) or type(left) is type(right)
    if not same_kind:
        return False
    if op == "==":
        return left == right
    if op == "!=":
        return left != right
    try:
        return {"<": left < right, ">": left > right, "<=": left <= right, ">=": left >= right}[op]
    except TypeError:
        return False
