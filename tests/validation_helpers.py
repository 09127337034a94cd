"""Writing records as they were before the rules existed: straight to the file, journaled, unvalidated."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from docgen.archive import Archive


def write_unchecked(archive: Archive, key: str, change: Callable[[dict[str, Any]], None]) -> None:
    """Change a dossier's JSON with ``change`` and write it in a transaction (``tx.put_bytes``), skipping every check.

    This is how records written by an older docgen look: in the journal (so
    ``docgen verify`` is content), but never judged by today's rules.
    """
    rel = f"{archive.layout.dossier_rel(key)}/dossier.json"
    data = json.loads(archive.path(rel).read_text("utf-8"))
    change(data)
    with archive.transaction("dossier.legacy", key, "旧版本写入的记录") as tx:
        tx.put_bytes(rel, json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8") + b"\n")
