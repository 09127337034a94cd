"""The checks every file passes before it is filed, shared by the pipeline and ``docgen document add``.

One ``check_*`` per condition (after paperless-ngx's consumer preflight), so
that a file filed by hand meets the same bar as one from the inbox: no link
to somewhere else (``/etc/passwd`` behind a name ending ``.pdf``), no special
file, nothing empty, a format recognised by its first bytes, and no content
the archive already holds.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from docgen.archive.fsutil import sha256_file
from docgen.errors import ConflictError, DocgenError
from docgen.ingest.identify import Catalog
from docgen.ingest.names import text_name
from docgen.ingest.text import BadInput, sniff
from docgen.models import Document


def check_regular_file(path: Path) -> None:
    """A symlink or a special file (pipe, device) is refused: it could stand for any file the service can read."""
    if path.is_symlink():
        raise BadInput("符号链接不会被归档(出于安全原因,它可能指向系统中的任何文件);请放入文件本身", "symlink")
    if path.exists() and not path.is_file():
        raise BadInput("不是普通文件(管道、设备或文件夹),不会被归档", "special")


def check_format(path: Path) -> str:
    """Empty or unsupported files are refused; return "pdf" or "image" (recognised by content, not name)."""
    return sniff(path)


def check_arrival(path: Path) -> str:
    """Every check that needs only the file itself; return its kind."""
    check_regular_file(path)
    return check_format(path)


def duplicate_reason(hit: tuple[str, str, str], sha256: str) -> str:
    """The sentence naming the archived twin of a file."""
    owner_key, doc_id, original = hit
    return f"与已归档文件 {doc_id}({owner_key},原文件名 {original})完全相同(sha256 {sha256[:12]}…)"


def add_checked(
    archive: Any,
    owner_key: str,
    path: Path,
    *,
    doc_type: str,
    date: dt.date | None = None,
    title: str = "",
    signed: bool = False,
    supersedes: str | None = None,
) -> Document:
    """File a file by hand (``docgen document add``) after ingest's checks; the duplicate check runs under the write lock.

    Raises ``BadInput`` (a ``DocgenError``) for a link, special, empty or
    unsupported file and ``ConflictError`` when the same content is archived.
    """
    from docgen.vocab import DOC_TYPES, doc_type_code

    try:
        code = doc_type_code(doc_type)
    except ValueError as exc:
        raise DocgenError(str(exc)) from exc
    try:
        check_arrival(path)
    except BadInput as exc:
        raise BadInput(f"{text_name(str(path))}:{exc.reason}", exc.code) from exc
    digest = sha256_file(path)
    catalog = Catalog(archive.root)
    with archive.transaction("document.add", owner_key, f"归档 {DOC_TYPES[code][0]}({text_name(path.name)})") as tx:
        last = archive.journal.last()
        catalog.refresh(int(last["seq"]) if last else None)
        hit = catalog.find_hash(digest)
        if hit is not None:
            raise ConflictError(f"未归档:{text_name(path.name)} {duplicate_reason(hit, digest)}")
        return archive.add_document(
            owner_key, path, doc_type=code, date=date, title=title, signed=signed, supersedes=supersedes,
            source="import", identified_by="manual", original_name=text_name(path.name), tx=tx,
        )
