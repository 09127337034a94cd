"""Write a generated document, or with ``--check`` fail when the committed one is out of date.

Shared by the scripts that generate docs from the code (gen_cli_docs.py, gen_format_docs.py).
"""

from __future__ import annotations

import sys
from pathlib import Path


def write_or_check(doc: Path, text: str, script: str) -> int:
    """Rewrite ``doc`` with ``text``; with ``--check`` on the command line, only compare (exit code 1 if stale)."""
    if "--check" in sys.argv:
        if not doc.exists() or doc.read_text("utf-8") != text:
            print(f"{doc.name} is out of date: run .venv/bin/python scripts/{script}", file=sys.stderr)
            return 1
        return 0
    doc.write_text(text, "utf-8")
    print(f"wrote {doc}")
    return 0
