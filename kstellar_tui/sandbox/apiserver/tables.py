"""meta.k8s.io/v1 Table answers (what `kubectl get` asks for), with the columns a v1.32 apiserver prints.

Built-in kinds use printers.py; custom resources get NAME plus their additionalPrinterColumns, or
AGE when they define none.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

from kstellar_tui.sandbox.apiserver import jsonpath
from kstellar_tui.sandbox.apiserver.crdschema import go_float
from kstellar_tui.sandbox.apiserver.discovery import accepted_media_types
from kstellar_tui.sandbox.apiserver.printers import (AGE_DESCRIPTION, DEFAULT_PRINTER, NAME_COLUMN, PRINTERS,
                                                     Printer, age, column_def, human_duration, object_name)
from kstellar_tui.sandbox.apiserver.resources import PrinterColumn, ResourceType

TABLE_CONTENT_TYPE = "application/json;as=Table;v=v1;g=meta.k8s.io"

__all__ = ["TABLE_CONTENT_TYPE", "human_duration", "to_table", "wants_table"]


def wants_table(accept: str | None) -> bool:
    """True when the Accept header prefers a meta.k8s.io/v1 Table over the plain object (kubectl get does)."""
    for mime, params in accepted_media_types(accept):
        if mime == "application/json" and params.get("as") == "Table":
            if params.get("g") == "meta.k8s.io" and params.get("v") == "v1":
                return True
            continue
        if mime in ("application/json", "*/*", "application/*"):
            return False
    return False


def to_table(rt: ResourceType, objects: list[dict], *, now: datetime | None = None,
             include_object: str = "Metadata", list_metadata: dict | None = None) -> dict:
    """A Table of `objects`; rows carry PartialObjectMetadata (`include_object="Metadata"`), the object, or nothing."""
    now = now or datetime.now(timezone.utc)
    printer = _printer_for(rt)
    rows = []
    for obj in objects:
        row: dict[str, Any] = {"cells": printer.cells(obj, now)}
        conditions = printer.conditions(obj) if printer.conditions else None
        if conditions:
            row["conditions"] = conditions
        if include_object == "Object":
            row["object"] = obj
        elif include_object != "None":
            row["object"] = {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1",
                             "metadata": obj.get("metadata") or {}}
        rows.append(row)
    return {"kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": dict(list_metadata or {}),
            "columnDefinitions": [dict(c) for c in printer.columns], "rows": rows}


# ---------------------------------------------------------------------------- time


# ---------------------------------------------------------------------------- custom resources


def _custom_printer(rt: ResourceType) -> Printer:
    """NAME plus the CRD's columns (AGE when it declares none), as apiextensions' table convertor."""
    columns = rt.printer_columns or (
        PrinterColumn("Age", "date", ".metadata.creationTimestamp", AGE_DESCRIPTION),)
    definitions = (NAME_COLUMN, *(
        column_def(c.name, c.description or f"Custom resource definition column (in JSONPath format): {c.json_path}",
             c.type, c.priority, c.format) for c in columns))

    def cells(obj: dict, now: datetime) -> list:
        return [object_name(obj), *(_custom_cell(c, obj, now) for c in columns)]
    return Printer(definitions, cells)


def _text(value: Any) -> str:
    """How client-go's jsonpath prints a value: strings raw, numbers and bools Go-style, the rest as JSON."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return go_float(value)
    if isinstance(value, int):
        return str(value)
    return json.dumps(value, separators=(",", ":"), sort_keys=True)


def _custom_cell(column: PrinterColumn, obj: dict, now: datetime) -> Any:
    try:
        values = jsonpath.find(obj, column.json_path)
    except ValueError:
        return None
    if not values or values[0] is None:
        return None
    value = values[0]
    kind = column.type
    if kind == "string":
        return _text(value)
    if kind == "integer" and isinstance(value, (int, float)) and not isinstance(value, bool):
        return int(value)
    if kind == "number" and isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if kind == "boolean" and isinstance(value, bool):
        return value
    if kind == "date" and isinstance(value, str):
        return age(value, now)
    return None


def _printer_for(rt: ResourceType) -> Printer:
    if not rt.builtin:
        return _custom_printer(rt)
    return PRINTERS.get(rt.key, DEFAULT_PRINTER)
