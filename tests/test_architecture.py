"""The shape of the code: rules a newcomer can rely on (the core imports no UI framework, nor its sample)."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "docgen"
UI = ("click", "fastapi", "starlette", "uvicorn", "rich")  # jinja2 is the sandboxed template engine: core


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text("utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def _core_files() -> list[Path]:
    return [p for p in SRC.rglob("*.py") if not {"cli", "web", "demo"} & set(p.relative_to(SRC).parts[:-1])]


def test_the_core_imports_no_ui_framework() -> None:
    offenders = {str(p.relative_to(SRC)): sorted(m for m in _imports(p) if m.split(".")[0] in UI)
                 for p in _core_files()}
    assert {k: v for k, v in offenders.items() if v} == {}


def test_the_product_does_not_depend_on_its_sample() -> None:
    offenders = {str(p.relative_to(SRC)): sorted(m for m in _imports(p) if m.startswith("docgen.demo"))
                 for p in _core_files()}
    assert {k: v for k, v in offenders.items() if v} == {}
