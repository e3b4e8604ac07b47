"""The fields of the official Python client's models that built-in kinds use, as a table the sandbox ships.

Strict field validation and server-side apply need the field structure of built-in kinds. Reading
it from `kubernetes.client` cost the sandbox process about two seconds of CPU on its first create
(the client builds a pydantic class per model), which every first `kubectl apply` waited for. The
table holds only names and types; regenerate it after upgrading the client with

    python -m kstellar_tui.sandbox.apiserver.builtin_models

(a test fails while it differs from what the installed client says)."""

from __future__ import annotations

import functools
import json
from pathlib import Path

TABLE = Path(__file__).with_name("builtin_models.json")
_CONTAINERS = (("List[", "]"), ("Dict[str, ", "]"))


def fields(model: str) -> dict[str, str] | None:
    """JSON field name -> the client's type name (`str`, `List[V1Container]`, ...) of a model such as
    `V1Deployment`; None when the client has no such model."""
    return _table().get(model)


@functools.cache
def _table() -> dict[str, dict[str, str]]:
    return json.loads(TABLE.read_text())


def element_type(type_name: str) -> str | None:
    """`V1Container` for `List[V1Container]`, the value type of a `Dict[str, ...]`, else None."""
    for opening, closing in _CONTAINERS:
        if type_name.startswith(opening) and type_name.endswith(closing):
            return type_name[len(opening):-len(closing)]
    return None


def generate(roots: list[str]) -> dict[str, dict[str, str]]:
    """Every model reachable from `roots`, read from the installed client (slow: imports it)."""
    import kubernetes.client

    table: dict[str, dict[str, str]] = {}
    pending = list(roots)
    while pending:
        name = pending.pop()
        model = getattr(kubernetes.client, name, None)
        if name in table or model is None or not hasattr(model, "openapi_types"):
            continue
        table[name] = {model.attribute_map[attribute]: type_name
                       for attribute, type_name in model.openapi_types.items()}
        for type_name in table[name].values():
            while (inner := element_type(type_name)) is not None:
                type_name = inner
            pending.append(type_name)
    return dict(sorted(table.items()))


def generated() -> dict[str, dict[str, str]]:
    """The table for every built-in kind and ObjectMeta, from the installed client."""
    from kstellar_tui.sandbox.apiserver.resources import BUILTIN_TYPES, model_names

    return generate([name for rt in BUILTIN_TYPES for name in model_names(rt)] + ["V1ObjectMeta"])


if __name__ == "__main__":
    TABLE.write_text(json.dumps(generated(), indent=0) + "\n")
