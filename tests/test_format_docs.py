"""docs/archive-format.md is generated from the models and must be current; every field is documented."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _generator():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("gen_format_docs", ROOT / "scripts" / "gen_format_docs.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_field_has_a_description() -> None:
    gen = _generator()
    missing = [f"{model.__name__}.{name}" for _, model in gen.ORDER
               for name, field in model.model_fields.items() if not field.description]
    assert missing == []


def test_archive_format_doc_is_current() -> None:
    gen = _generator()
    assert (ROOT / "docs" / "archive-format.md").read_text("utf-8") == gen.render(), (
        "run .venv/bin/python scripts/gen_format_docs.py"
    )
