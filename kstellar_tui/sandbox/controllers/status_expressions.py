"""A small subset of CEL for StatusCollector expressions.

Upstream evaluates `filter`, `select`, `groupBy` and `subject` with cel-go over the variables
`inventory`, `obj`, `returned` and `propagation`. The sandbox understands what the documented
examples use: member access (`a.b`, `a["b"]`, `a[0]`), literals, `!`, unary `-`, `+ - * /`,
comparisons and `&& ||`. Anything else is a compile error recorded on the StatusCollector, so an
unsupported expression is visible rather than silently wrong."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

VARIABLES = frozenset({"inventory", "obj", "returned", "propagation"})

Evaluator = Callable[[Mapping[str, Any]], Any]

_TOKEN = re.compile(r"""
    \s*(?:
      (?P<number>\d+\.\d*(?:[eE][+-]?\d+)?|\d+[eE][+-]?\d+|\d+u?)
    | (?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
    | (?P<op>==|!=|<=|>=|&&|\|\||[<>!.\[\]()+\-*/])
    | (?P<ident>[A-Za-z_][A-Za-z0-9_]*)
    )""", re.VERBOSE)


class ExpressionError(ValueError):
    """A compile error (the expression is not understood) or an evaluation error (it failed on this data)."""


def _tokens(text: str) -> list[tuple[str, str, int]]:
    tokens, pos = [], 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        match = _TOKEN.match(text, pos)
        if match is None or match.end() == pos:
            raise ExpressionError(f"ERROR: <input>:1:{pos + 1}: Syntax error: token recognition error at: '{text[pos]}'")
        kind = match.lastgroup or ""
        tokens.append((kind, match.group(kind), match.start(kind)))
        pos = match.end()
    return tokens


def _number(text: str) -> int | float:
    text = text.rstrip("u")
    return float(text) if any(c in text for c in ".eE") else int(text)


def _unquote(text: str) -> str:
    body = text[1:-1]
    return re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t"}.get(m.group(1), m.group(1)), body)


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _tokens(text)
        self.i = 0

    def peek(self) -> tuple[str, str, int] | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self, value: str | None = None) -> tuple[str, str, int]:
        token = self.peek()
        if token is None or (value is not None and token[1] != value):
            where = token[2] + 1 if token else len(self.text) + 1
            found = f"'{token[1]}'" if token else "<EOF>"
            raise ExpressionError(f"ERROR: <input>:1:{where}: Syntax error: mismatched input {found}"
                                  + (f" expecting '{value}'" if value else ""))
        self.i += 1
        return token

    def parse(self) -> Evaluator:
        result = self.binary(0)
        if self.peek() is not None:
            self.take("<end>")
        return result

    _LEVELS: tuple[tuple[str, ...], ...] = (("||",), ("&&",), ("==", "!=", "<", "<=", ">", ">="), ("+", "-"), ("*", "/"))

    def binary(self, level: int) -> Evaluator:
        if level == len(self._LEVELS):
            return self.unary()
        left = self.binary(level + 1)
        while (token := self.peek()) is not None and token[0] == "op" and token[1] in self._LEVELS[level]:
            self.take()
            left = _binary(token[1], left, self.binary(level + 1))
        return left

    def unary(self) -> Evaluator:
        token = self.peek()
        if token is not None and token[1] in ("!", "-") and token[0] == "op":
            self.take()
            operand = self.unary()
            if token[1] == "!":
                return lambda env: not _bool(operand(env))
            return lambda env: -_numeric(operand(env))
        return self.postfix()

    def postfix(self) -> Evaluator:
        value = self.primary()
        while (token := self.peek()) is not None and token[1] in (".", "["):
            self.take()
            if token[1] == ".":
                field = self.take()
                if field[0] != "ident":
                    raise ExpressionError(f"ERROR: <input>:1:{field[2] + 1}: Syntax error: no viable alternative")
                value = _member(value, lambda env, name=field[1]: name)
            else:
                index = self.binary(0)
                self.take("]")
                value = _member(value, index)
        return value

    def primary(self) -> Evaluator:
        kind, text, pos = self.take()
        if kind == "number":
            number = _number(text)
            return lambda env: number
        if kind == "string":
            string = _unquote(text)
            return lambda env: string
        if kind == "ident":
            constants = {"true": True, "false": False, "null": None}
            if text in constants:
                constant = constants[text]
                return lambda env: constant
            if text not in VARIABLES:
                raise ExpressionError(f"ERROR: <input>:1:{pos + 1}: undeclared reference to '{text}' (in container '')")
            return lambda env: env.get(text)
        if text == "(":
            inner = self.binary(0)
            self.take(")")
            return inner
        raise ExpressionError(f"ERROR: <input>:1:{pos + 1}: Syntax error: mismatched input '{text}'")


def _member(container: Evaluator, key: Evaluator) -> Evaluator:
    def get(env: Mapping[str, Any]) -> Any:
        value, name = container(env), key(env)
        if isinstance(value, Mapping):
            if name not in value:
                raise ExpressionError(f"no such key: {name}")
            return value[name]
        if isinstance(value, list) and isinstance(name, int) and not isinstance(name, bool):
            if not 0 <= name < len(value):
                raise ExpressionError(f"index out of bounds: {name}")
            return value[name]
        raise ExpressionError(f"no such key: {name}" if value is None else "no such overload")
    return get


def _bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ExpressionError("no such overload")
    return value


def _numeric(value: Any) -> int | float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ExpressionError("no such overload")
    return value


def _comparable(a: Any, b: Any) -> bool:
    numbers = (int, float)
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool)
    return (isinstance(a, numbers) and isinstance(b, numbers)) or (isinstance(a, str) and isinstance(b, str))


def _binary(op: str, left: Evaluator, right: Evaluator) -> Evaluator:
    if op == "&&":
        return lambda env: _bool(left(env)) and _bool(right(env))
    if op == "||":
        return lambda env: _bool(left(env)) or _bool(right(env))
    if op in ("==", "!="):
        same = op == "=="
        return lambda env: (left(env) == right(env)) == same

    def apply(env: Mapping[str, Any]) -> Any:
        a, b = left(env), right(env)
        if op == "+" and isinstance(a, str) and isinstance(b, str):
            return a + b
        if op in ("<", "<=", ">", ">="):
            if not _comparable(a, b):
                raise ExpressionError("no such overload")
            return {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op]
        a, b = _numeric(a), _numeric(b)
        if op == "/":
            if b == 0:
                raise ExpressionError("division by zero")
            return a // b if isinstance(a, int) and isinstance(b, int) else a / b
        return {"+": a + b, "-": a - b, "*": a * b}[op]
    return apply


def compile_expression(text: str) -> Evaluator:
    """Parse once; the result maps a content dict (the four variables) to a value or raises ExpressionError."""
    if not text.strip():
        raise ExpressionError("ERROR: <input>:1:1: Syntax error: mismatched input '<EOF>'")
    return _Parser(text).parse()
