"""Helpers the views share: reading filter values, dates, dossier keys, file responses."""

from __future__ import annotations

import calendar
import contextlib
import datetime as dt
import os
import tempfile
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar
from urllib.parse import quote

from fastapi.responses import FileResponse
from starlette.background import BackgroundTask

from docgen.errors import NotFoundError, UnsafePathError, UsageError, quote_input, show_input
from docgen.session import Session
from docgen.units import check_project_code, parse_unit

T = TypeVar("T")


def clean(value: str | None, limit: int = 200) -> str | None:
    """A form or query value, NFKC-normalised and stripped; None when empty."""
    if value is None:
        return None
    text = unicodedata.normalize("NFKC", value).strip()
    if len(text) > limit:
        raise UsageError(f"输入过长(最多 {limit} 个字符)")
    return text or None


def parse_date(value: str | None, label: str, end: bool = False) -> dt.date | None:
    """``2026-06-30``, ``2026-06`` or ``2026`` (the end of the month or year when ``end``); UsageError otherwise."""
    text = clean(value, 20)
    if text is None:
        return None
    text = text.replace("/", "-").replace(".", "-")
    for fmt in ("%Y-%m-%d", "%Y-%m", "%Y"):
        try:
            parsed = dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
        if end and fmt != "%Y-%m-%d":
            month = parsed.month if fmt == "%Y-%m" else 12
            return dt.date(parsed.year, month, calendar.monthrange(parsed.year, month)[1])
        return parsed
    raise UsageError(f"{label}{quote_input(value)}无法识别,应为 2026-06-30、2026-06 或 2026")


def parse_bool(value: str | None, label: str) -> bool | None:
    """是/否, yes/no, 1/0, true/false; None when empty."""
    text = clean(value, 10)
    if text is None:
        return None
    if text.lower() in ("yes", "y", "true", "1", "是", "on"):
        return True
    if text.lower() in ("no", "n", "false", "0", "否"):
        return False
    raise UsageError(f"{label} 应为 是 或 否")


def page_number(value: int | None) -> int:
    """A 1-based page number (anything below 1 is page 1)."""
    return max(1, int(value or 1))


def dossier_key(session: Session, project: str, unit: str) -> str:
    """The canonical key of a dossier route, its project checked against the user's scope (404 outside it)."""
    try:
        code = check_project_code(project)
        unit_code = parse_unit(unit).code
    except (UnsafePathError, ValueError) as exc:
        raise NotFoundError(f"档案 {show_input(project)}/{show_input(unit)} 不存在") from exc
    key = f"{code}/{unit_code}"
    session.check_key(key)
    return key


def project_code(session: Session, code: str) -> str:
    """A project code from a route, checked against the user's scope (404 outside it or malformed)."""
    try:
        checked = check_project_code(code)
    except UnsafePathError as exc:
        raise NotFoundError(f"项目 {show_input(code)} 不存在") from exc
    session.check_project(checked)
    return checked


def content_disposition(name: str, inline: bool = False) -> str:
    """A Content-Disposition header for a file name in Chinese (RFC 6266 / 5987)."""
    safe = "".join(c for c in name if c.isprintable() and c not in '"\\/\r\n') or "file"
    ascii_name = safe.encode("ascii", "replace").decode().replace("?", "_")
    kind = "inline" if inline else "attachment"
    return f"{kind}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(safe, safe='')}"


def file_response(path: Path, name: str, media_type: str | None = None) -> FileResponse:
    """Send an archived file as a download (never rendered by the browser: scans may carry anything)."""
    if not path.is_file():
        raise NotFoundError("档案中缺少该文件本身(docgen verify 可查)")
    return FileResponse(path, media_type=media_type or "application/octet-stream",
                        headers={"Content-Disposition": content_disposition(name)})


def temp_download(prefix: str, suffix: str, write: Callable[[Path], T]) -> tuple[Path, T]:
    """A download written by ``write`` into a fresh temporary file, and what ``write`` returned.

    The file is removed again when ``write`` fails (a refused filter, a full
    disk, the export's journal entry that cannot be written: journal it
    inside ``write``), so a failed export leaves nothing with personal data
    behind; :func:`sent_once` removes it after it was sent.
    """
    fd, name = tempfile.mkstemp(prefix=prefix, suffix=suffix)
    os.close(fd)
    path = Path(name)
    try:
        return path, write(path)
    except BaseException:
        _unlink(path)
        raise


def sent_once(path: Path, name: str, media_type: str) -> FileResponse:
    """Send a temporary download under the file name ``name``, then remove it."""
    return FileResponse(path, media_type=media_type, background=BackgroundTask(_unlink, path),
                        headers={"Content-Disposition": content_disposition(name)})


def _unlink(path: Path) -> None:
    with contextlib.suppress(OSError):
        path.unlink()
