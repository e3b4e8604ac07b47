"""Architecture rules that keep the product honest: a failing test here means a layer leaked."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "kstellar_tui"


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def _modules(*parts: str) -> list[Path]:
    return sorted(PACKAGE.joinpath(*parts).rglob("*.py"))


@pytest.mark.parametrize("layer", ["core", "sandbox"])
def test_core_and_sandbox_never_import_textual(layer: str) -> None:
    offenders = {
        str(path.relative_to(PACKAGE)): sorted(n for n in _imports(path) if n.split(".")[0] == "textual")
        for path in _modules(layer)
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_core_never_imports_the_sandbox() -> None:
    offenders = [
        str(path.relative_to(PACKAGE))
        for path in _modules("core")
        if any(n.startswith("kstellar_tui.sandbox") for n in _imports(path))
    ]
    assert offenders == []
