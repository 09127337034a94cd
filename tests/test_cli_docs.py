"""The CLI reference is generated from --help and must match; every command has help text."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import click

from docgen.cli.main import cli

ROOT = Path(__file__).resolve().parents[1]


def _generator():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("gen_cli_docs", ROOT / "scripts" / "gen_cli_docs.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_command_has_help() -> None:
    gen = _generator()
    missing = [" ".join(path) for path, cmd in gen.walk(cli, []) if path and not (cmd.help or "").strip()]
    assert missing == []


def test_cli_reference_is_current() -> None:
    gen = _generator()
    expected = gen.render()
    actual = (ROOT / "docs" / "cli.md").read_text("utf-8")
    assert actual == expected, "docs/cli.md is out of date: run .venv/bin/python scripts/gen_cli_docs.py"


def test_commands_load_lazily() -> None:
    """A cheap command must not pay for importing OCR, docxtpl, openpyxl or whoosh."""
    code = (
        "import sys\n"
        "from click.testing import CliRunner\n"
        "from docgen.cli.main import cli\n"
        "r = CliRunner().invoke(cli, ['document', 'types', '--json'])\n"
        "assert r.exit_code == 0, r.output\n"
        "print(','.join(m for m in ('rapidocr', 'onnxruntime', 'docxtpl', 'openpyxl', 'whoosh', 'jieba')"
        " if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={**os.environ, "PYTHONPATH": str(ROOT / "src")})
    assert out.stdout.strip() == ""
    assert isinstance(cli, click.Group)
