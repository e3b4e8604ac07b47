"""A subset of CEL (the Common Expression Language) over JSON values, for the places upstream uses cel-go:
StatusCollector expressions and CRD `x-kubernetes-validations` rules.

Understood: literals (numbers, strings, `true false null`, lists, maps), variables (the caller declares
which), member access (`a.b`, `a["b"]`, `a[0]`), `! -` and `* / % + -`, comparisons, `in`, `&& ||` (with
CEL's commutative error handling), `c ? a : b`, the macros `has(a.b)` and `all exists exists_one map
filter` on lists and maps, and the functions `size int double string matches` and `.size() .contains()
.startsWith() .endsWith() .matches() .lowerAscii() .upperAscii()`.

Anything else fails to compile with `UnsupportedExpression`, so a caller can tell "outside the subset"
(unknown, not wrong) from errors met while evaluating (`EvaluationError`: no such key, index out of
bounds, division by zero) and from operands the subset cannot combine (`NoSuchOverload`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Collection, Mapping
from typing import Any

Evaluator = Callable[[Mapping[str, Any]], Any]

_TOKEN = re.compile(r"""
    \s*(?:
      (?P<number>0[xX][0-9a-fA-F]+u?|\d+\.\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?|\d+[eE][+-]?\d+|\d+u?)
    | (?P<string>"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')
    | (?P<op>==|!=|<=|>=|&&|\|\||[<>!.\[\](){}+\-*/%?:,])
    | (?P<ident>[A-Za-z_][A-Za-z0-9_]*)
    )""", re.VERBOSE)
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "a": "\a", "b": "\b", "f": "\f", "v": "\v"}
_CONSTANTS = {"true": True, "false": False, "null": None}
_RELATIONS = ("==", "!=", "<", "<=", ">", ">=", "in")


class ExpressionError(ValueError):
    """The expression does not compile, or failed on this data."""


class UnsupportedExpression(ExpressionError):
    """A compile error: bad syntax, an undeclared variable, or CEL beyond this subset."""


class EvaluationError(ExpressionError):
    """What cel-go also reports at run time: no such key, index out of bounds, division by zero."""


class NoSuchOverload(EvaluationError):
    """Operands no operator or function of the subset accepts (cel-go's type checker catches most of these)."""

    def __init__(self) -> None:
        super().__init__("no such overload")


def compile_expression(text: str, variables: Collection[str]) -> Evaluator:
    """Parse once; the result maps an environment (values of `variables`) to a value or raises ExpressionError."""
    if not text.strip():
        raise UnsupportedExpression("ERROR: <input>:1:1: Syntax error: mismatched input '<EOF>'")
    return _Parser(text, variables).parse()


def uses_variable(text: str, name: str) -> bool:
    """Whether the expression refers to the variable `name` (how CRD transition rules are told apart)."""
    try:
        tokens = _tokens(text)
    except ExpressionError:
        return False
    return any(kind == "ident" and value == name and (i == 0 or tokens[i - 1][1] != ".")
               for i, (kind, value, _) in enumerate(tokens))


# --------------------------------------------------------------------------- lexing


def _tokens(text: str) -> list[tuple[str, str, int]]:
    tokens, pos = [], 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        match = _TOKEN.match(text, pos)
        if match is None or match.end() == pos:
            raise UnsupportedExpression(
                f"ERROR: <input>:1:{pos + 1}: Syntax error: token recognition error at: '{text[pos]}'")
        kind = match.lastgroup or ""
        tokens.append((kind, match.group(kind), match.start(kind)))
        pos = match.end()
    return tokens


def _number(text: str) -> int | float:
    text = text.rstrip("u")
    if text[:2] in ("0x", "0X"):
        return int(text, 16)
    return float(text) if any(c in text for c in ".eE") else int(text)


def _unquote(text: str) -> str:
    def escape(match: re.Match) -> str:
        char = match.group(1)
        return _ESCAPES.get(char, char)
    return re.sub(r"\\(.)", escape, text[1:-1])


# --------------------------------------------------------------------------- parsing


class _Parser:
    def __init__(self, text: str, variables: Collection[str]) -> None:
        self.text = text
        self.tokens = _tokens(text)
        self.i = 0
        self.variables = set(variables)

    def peek(self, ahead: int = 0) -> tuple[str, str, int] | None:
        at = self.i + ahead
        return self.tokens[at] if at < len(self.tokens) else None

    def at(self, *ops: str) -> bool:
        token = self.peek()
        return token is not None and token[0] in ("op", "ident") and token[1] in ops

    def take(self, value: str | None = None) -> tuple[str, str, int]:
        token = self.peek()
        if token is None or (value is not None and token[1] != value):
            where = token[2] + 1 if token else len(self.text) + 1
            found = f"'{token[1]}'" if token else "<EOF>"
            raise UnsupportedExpression(f"ERROR: <input>:1:{where}: Syntax error: mismatched input {found}"
                                        + (f" expecting '{value}'" if value else ""))
        self.i += 1
        return token

    def parse(self) -> Evaluator:
        result = self.expression()
        if self.peek() is not None:
            self.take("<EOF>")
        return result

    def expression(self) -> Evaluator:
        condition = self.logical("||")
        if not self.at("?"):
            return condition
        self.take("?")
        then = self.logical("||")
        self.take(":")
        otherwise = self.expression()
        return lambda env: then(env) if _bool(condition(env)) else otherwise(env)

    def logical(self, op: str) -> Evaluator:
        left = self.logical("&&") if op == "||" else self.relation()
        while self.at(op):
            self.take()
            right = self.logical("&&") if op == "||" else self.relation()
            left = _logical(op == "||", left, right)
        return left

    def relation(self) -> Evaluator:
        left = self.arithmetic(("+", "-"))
        while self.at(*_RELATIONS):
            op = self.take()[1]
            left = _relation(op, left, self.arithmetic(("+", "-")))
        return left

    def arithmetic(self, ops: tuple[str, ...]) -> Evaluator:
        operand = (lambda: self.arithmetic(("*", "/", "%"))) if ops == ("+", "-") else self.unary
        left = operand()
        while self.at(*ops):
            left = _arithmetic(self.take()[1], left, operand())
        return left

    def unary(self) -> Evaluator:
        if self.at("!", "-"):
            op = self.take()[1]
            operand = self.unary()
            if op == "!":
                return lambda env: not _bool(operand(env))
            return lambda env: -_numeric(operand(env))
        return self.member()

    def member(self) -> Evaluator:
        value = self.primary()
        while self.at(".", "["):
            if self.take()[1] == "[":
                index = self.expression()
                self.take("]")
                value = _index(value, index)
                continue
            kind, name, pos = self.take()
            if kind != "ident":
                raise UnsupportedExpression(f"ERROR: <input>:1:{pos + 1}: Syntax error: no viable alternative")
            value = self.method(value, name, pos) if self.at("(") else _field(value, name)
        return value

    def arguments(self) -> list[Evaluator]:
        self.take("(")
        args = []
        while not self.at(")"):
            args.append(self.expression())
            if not self.at(")"):
                self.take(",")
        self.take(")")
        return args

    def method(self, target: Evaluator, name: str, pos: int) -> Evaluator:
        if name in _MACROS:
            self.take("(")
            var_kind, var, var_pos = self.take()
            if var_kind != "ident":
                raise UnsupportedExpression(f"ERROR: <input>:1:{var_pos + 1}: {name}() variable name must be a simple "
                                            "identifier")
            self.take(",")
            declared = var in self.variables
            self.variables.add(var)
            body = self.expression()
            if not declared:
                self.variables.discard(var)
            self.take(")")
            return _MACROS[name](target, var, body)
        function = _METHODS.get(name)
        if function is None:
            raise UnsupportedExpression(f"ERROR: <input>:1:{pos + 1}: undeclared reference to '{name}'")
        args = self.arguments()
        return lambda env: function(target(env), *(arg(env) for arg in args))

    def primary(self) -> Evaluator:
        kind, text, pos = self.take()
        if kind == "number":
            number = _number(text)
            return lambda env: number
        if kind == "string":
            string = _unquote(text)
            return lambda env: string
        if kind == "ident":
            return self.identifier(text, pos)
        if text == "(":
            inner = self.expression()
            self.take(")")
            return inner
        if text == "[":
            return self.list_literal()
        if text == "{":
            return self.map_literal()
        raise UnsupportedExpression(f"ERROR: <input>:1:{pos + 1}: Syntax error: mismatched input '{text}'")

    def identifier(self, name: str, pos: int) -> Evaluator:
        if name in _CONSTANTS:
            constant = _CONSTANTS[name]
            return lambda env: constant
        if self.at("("):
            if name == "has":
                return self.has()
            function = _FUNCTIONS.get(name)
            if function is None:
                raise UnsupportedExpression(f"ERROR: <input>:1:{pos + 1}: undeclared reference to '{name}'")
            args = self.arguments()
            return lambda env: function(*(arg(env) for arg in args))
        if name not in self.variables:
            raise UnsupportedExpression(
                f"ERROR: <input>:1:{pos + 1}: undeclared reference to '{name}' (in container '')")
        return lambda env: env.get(name)

    def has(self) -> Evaluator:
        """`has(a.b)`: whether map `a` holds key `b` (the argument must end in a field selection)."""
        self.take("(")
        where = (self.peek() or ("", "", len(self.text)))[2] + 1
        target, last = self.primary(), None
        while self.at(".", "["):
            if self.take()[1] == "[":
                target, last = _index(target, self.expression()), None
                self.take("]")
            else:
                name = self.take()[1]
                target, last = _field(target, name), (target, name)
        self.take(")")
        if last is None:
            raise UnsupportedExpression(f"ERROR: <input>:1:{where}: invalid argument to has() macro")
        container, name = last

        def present(env: Mapping[str, Any]) -> bool:
            value = container(env)
            if not isinstance(value, Mapping):
                raise NoSuchOverload()
            return name in value
        return present

    def list_literal(self) -> Evaluator:
        items = []
        while not self.at("]"):
            items.append(self.expression())
            if not self.at("]"):
                self.take(",")
        self.take("]")
        return lambda env: [item(env) for item in items]

    def map_literal(self) -> Evaluator:
        entries = []
        while not self.at("}"):
            key = self.expression()
            self.take(":")
            entries.append((key, self.expression()))
            if not self.at("}"):
                self.take(",")
        self.take("}")
        return lambda env: {key(env): value(env) for key, value in entries}


# --------------------------------------------------------------------------- semantics


def _bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise NoSuchOverload()
    return value


def _numeric(value: Any) -> int | float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise NoSuchOverload()
    return value


def _field(container: Evaluator, name: str) -> Evaluator:
    def get(env: Mapping[str, Any]) -> Any:
        value = container(env)
        if isinstance(value, Mapping):
            if name not in value:
                raise EvaluationError(f"no such key: {name}")
            return value[name]
        if value is None:
            raise EvaluationError(f"no such key: {name}")
        raise NoSuchOverload()
    return get


def _index(container: Evaluator, key: Evaluator) -> Evaluator:
    def get(env: Mapping[str, Any]) -> Any:
        value, index = container(env), key(env)
        if isinstance(value, Mapping):
            if index not in value:
                raise EvaluationError(f"no such key: {index}")
            return value[index]
        if isinstance(value, list) and isinstance(index, int) and not isinstance(index, bool):
            if not 0 <= index < len(value):
                raise EvaluationError(f"index out of bounds: {index}")
            return value[index]
        raise EvaluationError(f"no such key: {index}") if value is None else NoSuchOverload()
    return get


def _logical(is_or: bool, left: Evaluator, right: Evaluator) -> Evaluator:
    """CEL's `&&`/`||`: a decisive operand wins even when the other one fails."""
    decisive = is_or

    def apply(env: Mapping[str, Any]) -> bool:
        try:
            first = _bool(left(env))
        except ExpressionError:
            if _bool(right(env)) is decisive:
                return decisive
            raise
        return decisive if first is decisive else _bool(right(env))
    return apply


def equal(a: Any, b: Any) -> bool:
    """CEL's heterogeneous equality: numbers compare by value, bools only with bools, other types never match."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(map(equal, a, b))
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        return a.keys() == b.keys() and all(equal(a[k], b[k]) for k in a)
    return type(a) is type(b) and a == b


def _ordered(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool)
    numbers = (int, float)
    return (isinstance(a, numbers) and isinstance(b, numbers)) or (isinstance(a, str) and isinstance(b, str))


def _contains(container: Any, item: Any) -> bool:
    if isinstance(container, list):
        return any(equal(item, member) for member in container)
    if isinstance(container, Mapping):
        return any(equal(item, key) for key in container)
    raise NoSuchOverload()


def _relation(op: str, left: Evaluator, right: Evaluator) -> Evaluator:
    if op in ("==", "!="):
        same = op == "=="
        return lambda env: equal(left(env), right(env)) == same
    if op == "in":
        return lambda env: _contains(right(env), left(env))

    def compare(env: Mapping[str, Any]) -> bool:
        a, b = left(env), right(env)
        if not _ordered(a, b):
            raise NoSuchOverload()
        return {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op]
    return compare


def _arithmetic(op: str, left: Evaluator, right: Evaluator) -> Evaluator:
    def apply(env: Mapping[str, Any]) -> Any:
        a, b = left(env), right(env)
        if op == "+" and isinstance(a, str) and isinstance(b, str):
            return a + b
        if op == "+" and isinstance(a, list) and isinstance(b, list):
            return a + b
        a, b = _numeric(a), _numeric(b)
        if op in ("/", "%") and isinstance(a, int) and isinstance(b, int):
            return _integer_division(op, a, b)
        if op == "%":
            raise NoSuchOverload()
        if op == "/":
            return a / b if b else math.copysign(math.inf, a) if a else math.nan
        return {"+": a + b, "-": a - b, "*": a * b}[op]
    return apply


def _integer_division(op: str, a: int, b: int) -> int:
    """Go's integer `/` and `%`: truncated toward zero."""
    if b == 0:
        raise EvaluationError("division by zero" if op == "/" else "modulus by zero")
    quotient = abs(a) // abs(b) * (1 if (a < 0) == (b < 0) else -1)
    return quotient if op == "/" else a - b * quotient


def _size(value: Any) -> int:
    if isinstance(value, (str, list, Mapping)):
        return len(value)
    raise NoSuchOverload()


def _string_method(check: Callable[[str, str], Any]) -> Callable[[Any, Any], Any]:
    def method(target: Any, argument: Any) -> Any:
        if not isinstance(target, str) or not isinstance(argument, str):
            raise NoSuchOverload()
        return check(target, argument)
    return method


def _matches(text: str, pattern: str) -> bool:
    try:
        return re.search(pattern, text) is not None
    except re.error as error:
        raise EvaluationError(f"invalid regular expression: {error}") from None


def _ascii_case(upper: bool) -> Callable[[Any], str]:
    """lowerAscii()/upperAscii(): only ASCII letters change."""
    def convert(text: Any) -> str:
        if not isinstance(text, str):
            raise NoSuchOverload()
        return "".join((c.upper() if upper else c.lower()) if c.isascii() else c for c in text)
    return convert


def _to_int(value: Any) -> int:
    if isinstance(value, bool):
        raise NoSuchOverload()
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise EvaluationError("integer overflow")
        return int(value)
    if isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            raise EvaluationError(f"cannot convert {value!r} to int") from None
    raise NoSuchOverload()


def _to_double(value: Any) -> float:
    if isinstance(value, bool):
        raise NoSuchOverload()
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            raise EvaluationError(f"cannot convert {value!r} to double") from None
    raise NoSuchOverload()


def _to_string(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value) if isinstance(value, float) else str(value)
    raise NoSuchOverload()


_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "size": _size, "int": _to_int, "double": _to_double, "string": _to_string,
    "matches": _string_method(_matches),
}
_METHODS: dict[str, Callable[..., Any]] = {
    "size": _size,
    "contains": _string_method(lambda text, part: part in text),
    "startsWith": _string_method(str.startswith),
    "endsWith": _string_method(str.endswith),
    "matches": _string_method(_matches),
    "lowerAscii": _ascii_case(upper=False),
    "upperAscii": _ascii_case(upper=True),
}


def _members(value: Any) -> list:
    """What a macro ranges over: list elements, or map keys."""
    if isinstance(value, list):
        return value
    if isinstance(value, Mapping):
        return list(value)
    raise NoSuchOverload()


def _each(target: Evaluator, var: str, body: Evaluator, env: Mapping[str, Any]):
    for member in _members(target(env)):
        yield member, body({**env, var: member})


def _all(target: Evaluator, var: str, body: Evaluator) -> Evaluator:
    return lambda env: all(_bool(result) for _, result in _each(target, var, body, env))


def _exists(target: Evaluator, var: str, body: Evaluator) -> Evaluator:
    return lambda env: any(_bool(result) for _, result in _each(target, var, body, env))


def _exists_one(target: Evaluator, var: str, body: Evaluator) -> Evaluator:
    return lambda env: sum(_bool(result) for _, result in _each(target, var, body, env)) == 1


def _map(target: Evaluator, var: str, body: Evaluator) -> Evaluator:
    return lambda env: [result for _, result in _each(target, var, body, env)]


def _filter(target: Evaluator, var: str, body: Evaluator) -> Evaluator:
    return lambda env: [member for member, result in _each(target, var, body, env) if _bool(result)]


_MACROS = {"all": _all, "exists": _exists, "exists_one": _exists_one, "map": _map, "filter": _filter}
