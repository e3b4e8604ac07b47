"""CombinedStatus: what StatusCollectors make of the statuses returned from a workload's WECs.

Upstream `pkg/status/combinedstatus-*.go`: one CombinedStatus per (workload object, BindingPolicy)
when a clause names statusCollectors; each collector is a tiny SQL SELECT over one row per WEC
(`filter` = WHERE, `select` columns, or `groupBy` + `combinedFields` aggregates). Expressions are
evaluated by `sandbox.cel` (a CEL subset). Rows come out in WEC-name order (upstream's
order is a Go map's, i.e. arbitrary)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

import orjson

from kstellar_tui.sandbox.cel import Evaluator, ExpressionError, compile_expression
from kstellar_tui.sandbox.controllers.objects import meta

REPORT_NAMESPACE = "kubestellar-report"  # CombinedStatus home of cluster-scoped workload objects
LABELS = ("status.kubestellar.io/api-group", "status.kubestellar.io/resource", "status.kubestellar.io/namespace",
          "status.kubestellar.io/name", "status.kubestellar.io/binding-policy")

Row = tuple[str, Mapping[str, Any]]  # (WEC name, expression content)
EXPRESSION_VARIABLES = frozenset({"inventory", "obj", "returned", "propagation"})  # what upstream declares


def compile_collector_expression(text: str) -> Evaluator:
    """A StatusCollector expression over the four variables upstream gives them."""
    return compile_expression(text, EXPRESSION_VARIABLES)


def go_float(x: float) -> str:
    """strconv.FormatFloat(x, 'g', -1, 64): shortest digits; exponent form below 1e-4 and from 1e6 on."""
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "+Inf" if x > 0 else "-Inf"
    if x == 0:
        return "-0" if math.copysign(1, x) < 0 else "0"
    sign, digit_tuple, exponent = Decimal(repr(float(x))).normalize().as_tuple()
    digits = "".join(map(str, digit_tuple))
    point = len(digits) + int(exponent)  # position of the decimal point
    text_sign = "-" if sign else ""
    if point - 1 < -4 or point - 1 >= 6:
        mantissa = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
        exp = point - 1
        return f"{text_sign}{mantissa}e{'-' if exp < 0 else '+'}{abs(exp):02d}"
    if point <= 0:
        return f"{text_sign}0.{'0' * -point}{digits}"
    if point >= len(digits):
        return f"{text_sign}{digits}{'0' * (point - len(digits))}"
    return f"{text_sign}{digits[:point]}.{digits[point:]}"


def value_of(result: Any) -> dict[str, Any]:
    """An expression result as a CombinedStatus `Value`."""
    if result is None:
        return {"type": "Null"}
    if isinstance(result, bool):
        return {"type": "Bool", "bool": result}
    if isinstance(result, int):
        return {"type": "Number", "float": str(result)}
    if isinstance(result, float):
        return {"type": "Number", "float": go_float(result)}
    if isinstance(result, str):
        return {"type": "String", "string": result}
    return {"type": "Object", "object": orjson.loads(orjson.dumps(result))}


def collector_errors(spec: Mapping[str, Any]) -> list[str]:
    """StatusCollector `status.errors`, worded as upstream's validation words them."""
    select, group_by, fields = spec.get("select") or [], spec.get("groupBy") or [], spec.get("combinedFields") or []
    structural = []
    if select and (group_by or fields):
        structural.append("groupBy and combinedFields must be empty if select is not")
    if not fields and group_by:
        structural.append("groupBy must be empty if combinedFields is")
    if structural:
        return structural
    errors = []

    def check(text: str | None, prefix: str) -> None:
        if text is None:
            return
        try:
            compile_collector_expression(text)
        except ExpressionError as err:
            errors.append(f"{prefix}: {err}")

    check(spec.get("filter"), "filter expression invalid")
    for item in select:
        check(item.get("def"), f"select expression ({item.get('name')}) invalid")
    for item in group_by:
        check(item.get("def"), f"groupBy expression ({item.get('name')}) invalid")
    for item in fields:
        name, kind, subject = item.get("name"), item.get("type"), item.get("subject")
        if kind == "COUNT":
            if subject is not None:
                errors.append(f"combinedField expression ({name}) invalid: subject must be nil for {kind} type")
        elif subject is None:
            errors.append(f"combinedField expression ({name}) invalid: subject must be set")
        else:
            check(subject, f"combinedField expression ({name}) subject invalid")
    return errors


class _Evaluated:
    """One WEC's row under one collector: column values and the errors met computing them."""

    def __init__(self) -> None:
        self.values: dict[str, Any] = {}
        self.errors: list[tuple[str, str]] = []  # (column name, error)

    def evaluate(self, column: str, expression: Evaluator, content: Mapping[str, Any]) -> None:
        try:
            self.values[column] = expression(content)
        except ExpressionError as err:
            self.errors.append((column, str(err)))
            self.values[column] = str(err)


def _passes(filter_expr: Evaluator | None, content: Mapping[str, Any], row: _Evaluated) -> bool:
    if filter_expr is None:
        return True
    try:
        verdict = filter_expr(content)
    except ExpressionError as err:
        row.errors.append(("", str(err)))
        return True
    if verdict is not None and not isinstance(verdict, bool):
        row.errors.append(("", f"filter expression has type {type(verdict).__name__} but expected bool or null"))
        return True
    return verdict is not False


def _number(value: Any) -> tuple[float | None, str]:
    if isinstance(value, bool) or value is None:
        return None, "" if value is None else f"combinedField subject has unexpected type {type(value).__name__}"
    if isinstance(value, (int, float)):
        return float(value), ""
    if isinstance(value, str):
        try:
            return float(value), ""
        except ValueError:
            return None, f'failed to parse combinedField subject as a float: strconv.ParseFloat: parsing "{value}": invalid syntax'
    return None, f"combinedField subject has unexpected type {type(value).__name__}"


def _aggregate(kind: str, column: str, rows: list[tuple[str, _Evaluated]]) -> tuple[dict[str, Any], str]:
    if kind == "COUNT":
        return {"type": "Number", "float": str(len(rows))}, ""
    if kind not in ("SUM", "AVG", "MIN", "MAX"):
        return {"type": "Null"}, f"unsupported aggregation type {kind}"
    numbers, error = [], ""
    for wec, row in rows:
        number, problem = _number(row.values.get(column))
        if problem and not error:
            error = f"for WEC {wec}, {problem}"
        if number is not None:
            numbers.append(number)
    if kind == "SUM":
        result = sum(numbers, 0.0)
    elif kind == "AVG":
        result = sum(numbers, 0.0) / len(rows) if rows else math.nan
        error = error if rows else "no values to average"
    elif kind == "MIN":
        result = min(numbers, default=math.inf)
    else:
        result = max(numbers, default=-math.inf)
    return {"type": "Number", "float": go_float(result)}, error


def collector_result(name: str, spec: Mapping[str, Any], rows: Iterable[Row]) -> dict[str, Any]:
    """One `results[]` entry: the collector's table over the WECs' rows."""
    compiled = {"filter": compile_collector_expression(spec["filter"]) if spec.get("filter") is not None else None}
    select, group_by, fields = spec.get("select") or [], spec.get("groupBy") or [], spec.get("combinedFields") or []
    evaluated: list[tuple[str, _Evaluated]] = []
    for wec, content in sorted(rows, key=lambda r: r[0]):
        row = _Evaluated()
        if not _passes(compiled["filter"], content, row):
            continue
        for item in (*select, *group_by):
            row.evaluate(item["name"], compile_collector_expression(item["def"]), content)
        for item in fields:
            if item.get("type") != "COUNT":
                row.evaluate(item["name"], compile_collector_expression(item["subject"]), content)
        evaluated.append((wec, row))
    if select:
        return {"name": name, "columnNames": [s["name"] for s in select],
                "rows": [{"columns": [value_of(row.values.get(s["name"])) for s in select]} for _, row in evaluated]}
    result: dict[str, Any] = {"name": name, "columnNames": [g["name"] for g in group_by] + [f["name"] for f in fields]}
    row_errors, covered = [], set()
    groups: dict[tuple, list[tuple[str, _Evaluated]]] = {}
    for wec, row in evaluated:
        if row.errors:
            for column, error in row.errors:
                if column not in covered:
                    covered.add(column)
                    row_errors.append({"wec": {"clusterId": wec}, "columnName": column, "error": error})
            continue
        key = tuple(orjson.dumps(row.values.get(g["name"])) for g in group_by)
        groups.setdefault(key, []).append((wec, row))
    if not group_by and not groups:
        groups[()] = []
    table, aggregation_errors = [], []
    for members in groups.values():
        columns = [value_of(members[0][1].values.get(g["name"])) for g in group_by]
        for item in fields:
            value, error = _aggregate(item.get("type", ""), item["name"], members)
            columns.append(value)
            if error:
                aggregation_errors.append({"columnName": item["name"], "error": error})
        table.append({"columns": columns})
    result["rows"] = table
    if row_errors:
        result["rowErrors"] = row_errors
    if aggregation_errors:
        result["aggregationErrors"] = aggregation_errors
    return result


def combined_status(workload: Mapping[str, Any], resource: str, policy: Mapping[str, Any],
                    results: list[dict[str, Any]]) -> dict[str, Any]:
    """The CombinedStatus object for a workload object and the BindingPolicy whose collectors produced `results`."""
    group = str(workload.get("apiVersion", "")).rpartition("/")[0]
    namespace = meta(workload, "namespace") or ""
    return {
        "apiVersion": "control.kubestellar.io/v1alpha1", "kind": "CombinedStatus",
        "metadata": {
            "name": f"{meta(workload, 'uid')}.{meta(policy, 'uid')}",
            "namespace": namespace or REPORT_NAMESPACE,
            "labels": dict(zip(LABELS, (group, resource, namespace, meta(workload, "name"), meta(policy, "name")))),
            "ownerReferences": [{"apiVersion": workload["apiVersion"], "kind": workload["kind"],
                                 "name": meta(workload, "name"), "uid": meta(workload, "uid")}],
        },
        "results": results,
    }
