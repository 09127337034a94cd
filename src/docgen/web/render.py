"""Rendering pages: one Jinja2 environment (autoescaping everything), the context every page gets.

Every value in a page is escaped by Jinja2; nothing from a record, a scan or a
file name is ever marked safe.  Highlighted search snippets are passed as a
list of (text, highlighted) pieces that the template wraps in ``<mark>``, so
the index never supplies markup.  There is no inline script anywhere (the
Content-Security-Policy forbids it): behaviour is htmx attributes and
``static/app.js``.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from docgen import __version__
from docgen.permissions import PERMISSION_LABELS, ROLE_LABELS
from docgen.privacy import REASON_MAX, REASON_MIN
from docgen.units import unit_label
from docgen.vocab import DOC_TYPES, SOURCE_LABELS, STAGES

HERE = Path(__file__).resolve().parent
PAGE_SIZE = 20


def _env() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(HERE / "templates")),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["date"] = _date
    env.filters["datetime"] = _datetime
    env.filters["unit"] = _unit
    env.filters["yesno"] = lambda v: "是" if v else "否"
    env.filters["doctype"] = lambda code: DOC_TYPES.get(code, (code, ""))[0]
    env.filters["source"] = lambda code: SOURCE_LABELS.get(code, code)
    env.filters["role"] = lambda role: ROLE_LABELS.get(role, role)
    env.filters["size"] = _size
    env.filters["urlpart"] = lambda value: quote(str(value), safe="")
    env.globals["STAGES"] = STAGES
    env.globals["PERMISSION_LABELS"] = PERMISSION_LABELS
    env.globals["version"] = __version__
    env.globals["REASON_MIN"] = REASON_MIN  # a reveal's reason: the form checks the policy's own bounds
    env.globals["REASON_MAX"] = REASON_MAX
    return env


def _date(value: Any) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        return value[:10]
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _datetime(value: Any) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        return value.replace("T", " ")[:16]
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    return str(value)


def _unit(code: str) -> str:
    try:
        return unit_label(code)
    except ValueError:
        return code


def _size(n: int | None) -> str:
    if not n:
        return ""
    if n < 1024:
        return f"{n} B"
    if n < 1024 * 1024:
        return f"{n / 1024:.0f} KB"
    return f"{n / 1024 / 1024:.1f} MB"


ENV = _env()


def segments(text: str, spans: Sequence[Sequence[int]]) -> list[tuple[str, bool]]:
    """Cut ``text`` into (piece, highlighted) parts at the highlight offsets (overlaps and bad offsets ignored)."""
    out: list[tuple[str, bool]] = []
    pos = 0
    for start, end in sorted((int(s), int(e)) for s, e in spans):
        start, end = max(start, pos), min(end, len(text))
        if start >= end:
            continue
        if start > pos:
            out.append((text[pos:start], False))
        out.append((text[start:end], True))
        pos = end
    if pos < len(text):
        out.append((text[pos:], False))
    return out


def query_string(params: Mapping[str, Any], **changes: Any) -> str:
    """``?a=1&b=2`` from the non-empty values of ``params`` with ``changes`` applied."""
    merged = {**params, **changes}
    items = [(k, "1" if v is True else str(v)) for k, v in merged.items() if v not in (None, "", False)]
    return "?" + urlencode(items) if items else ""


def pager(total: int, page: int, size: int = PAGE_SIZE) -> dict[str, Any]:
    """Paging facts for a list: pages, the current one, which numbers to show."""
    pages = max(1, math.ceil(total / size))
    page = min(max(1, page), pages)
    shown = sorted({1, pages, *range(max(1, page - 2), min(pages, page + 2) + 1)})
    return {"page": page, "pages": pages, "shown": shown, "size": size, "offset": (page - 1) * size,
            "total": total}


def page(request: Request, template: str, context: Mapping[str, Any], status: int = 200,
         headers: Mapping[str, str] | None = None) -> HTMLResponse:
    """Render a page (or a partial) with the context every template gets: who is asking, what they may do."""
    from docgen.web.routing import Caller

    who: Caller | None = getattr(request.state, "caller", None)
    session = who.session if who is not None else None
    web_session = who.web_session if who is not None else None
    base = {
        "request": request,
        "user": session.user if session is not None else None,
        "can": (lambda perm, project=None: session.can(perm, project)) if session is not None else (lambda *a: False),
        "csrf": web_session.csrf if web_session is not None else getattr(request.state, "login_csrf", ""),
        "hx": request.headers.get("hx-request") == "true",
        "path": request.url.path,
        "segments": segments,
        "qs": query_string,
        "archive_name": request.app.state.web.archive_name,
    }
    html = ENV.get_template(template).render({**base, **context})
    return HTMLResponse(html, status_code=status, headers=dict(headers or {}))
