"""The document page: metadata, pages at readable size, the extracted text (masked), the original for download.

Personal documents (ID copies, 户口簿, 婚姻证明: a picture cannot be masked)
show their pages and give their original only after a reveal with a reason,
which is journaled and lasts :data:`GRANT_MINUTES` in this login session; each
download of such an original is journaled again.  Other documents' pages and
originals are shown to every role that may read the project; their text is
masked all the same.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import FileResponse, Response

from docgen.errors import PermissionDenied, UsageError, quote_input
from docgen.models import Document
from docgen.present import document_view
from docgen.session import Session
from docgen.web import privacy_bridge
from docgen.web.previews import SIZES
from docgen.web.render import page
from docgen.web.routing import Caller, caller, route, session_of, web_state
from docgen.web.views.common import file_response

router = APIRouter()
GRANT_MINUTES = 15
REVEALED_WHAT = "个人证件文件的页面图像、原文和原件"


def owner_key(owner: Any) -> str:
    """The key of a document's owner: a dossier key or a project code."""
    return str(owner.key) if hasattr(owner, "unit") else str(owner.code)


def grant_target(doc_id: str) -> str:
    """The session's name for a revealed document."""
    return f"doc:{doc_id}"


def granted_reason(request: Request, who: Caller, doc: Document) -> str | None:
    """For a personal document: the reason it was revealed for in this session, or None."""
    if who.web_session is None:
        return None
    return who.web_session.granted(grant_target(doc.id), web_state(request).clock())


def require_personal_access(request: Request, session: Session, doc: Document, reason: str | None = None) -> str:
    """The reason under which a personal document may be shown now; PermissionDenied (403) if none."""
    session.require("reveal")
    given = reason or granted_reason(request, caller(request), doc)
    if not given:
        raise PermissionDenied(f"文件 {doc.id}({doc.type_label})含个人证件信息:请先在文件页说明理由后查看或下载")
    return given


def render_document(request: Request, doc_id: str, status: int = 200, message: str = "") -> Response:
    """The whole document page."""
    session = session_of(request)
    web = web_state(request)
    owner, doc = web.locate_document(session, doc_id)
    personal = privacy_bridge.is_personal(doc)
    reason = granted_reason(request, caller(request), doc) if personal else None
    pages = session.archive.document_text(owner, doc)
    shown = reason is not None
    text = pages if shown else [privacy_bridge.mask(p) for p in pages]
    context = {
        "doc": document_view(doc), "model": doc, "owner": owner, "owner_key": owner_key(owner),
        "is_dossier": hasattr(owner, "unit"), "personal": personal, "granted": shown, "reason": reason,
        "pages": [{"n": i + 1, "text": text[i] if i < len(text) else "", "info": doc.pages[i] if i < len(doc.pages) else None}
                  for i in range(max(len(doc.pages), len(text), 1))],
        "message": message, "title": f"{doc.type_label} · {doc.id}", "grant_minutes": GRANT_MINUTES,
    }
    return page(request, "document.html", context, status=status)


@route(router, "/documents/{doc_id}", permission="read")
def document_page(request: Request, doc_id: str) -> Response:
    """One archived document."""
    return render_document(request, doc_id)


@route(router, "/documents/{doc_id}/reveal", permission="reveal", methods=("POST",))
def document_reveal(request: Request, doc_id: str, reason: str = Form("")) -> Response:
    """Show a personal document's pages, text and original for a stated reason (journaled, for a while)."""
    session = session_of(request)
    web = web_state(request)
    owner, doc = web.locate_document(session, doc_id)
    try:
        privacy_bridge.check_reason(reason)
    except UsageError as exc:
        return render_document(request, doc_id, status=400, message=str(exc))
    given = privacy_bridge.reveal(session, owner_key(owner), f"{REVEALED_WHAT}({doc.id} {doc.type_label})",
                                  reason, "网页:文件页")
    who = caller(request)
    if who.web_session is not None:
        who.web_session.grant(grant_target(doc.id), given, web.clock() + GRANT_MINUTES * 60)
    return render_document(request, doc_id)


def send_original(request: Request, session: Session, doc_id: str, reason: str | None, where: str,
                  ask: str = privacy_bridge.ASK) -> Response:
    """The archived original of a document (a reveal for personal documents, journaled each time); ``ask``: where the reason is written."""
    web = web_state(request)
    owner, doc = web.locate_document(session, doc_id)
    if privacy_bridge.is_personal(doc):
        given = require_personal_access(request, session, doc, reason)
        privacy_bridge.reveal(session, owner_key(owner), f"个人证件原件({doc.id} {doc.type_label})", given, where, ask)
    name = doc.original_name or doc.file
    if "." not in name.rsplit("/", 1)[-1] and "." in doc.file:
        name += "." + doc.file.rsplit(".", 1)[-1]
    return file_response(session.archive.document_path(owner, doc), name, doc.media_type or None)


@route(router, "/documents/{doc_id}/file", permission="read")
def document_file(request: Request, doc_id: str) -> Response:
    """Download the archived original."""
    return send_original(request, session_of(request), doc_id, None, "网页:下载原件")


@route(router, "/documents/{doc_id}/pages/{n}.png", permission="read")
def document_page_image(request: Request, doc_id: str, n: int, size: str = Query("page")) -> Response:
    """One page as a PNG (``size=thumb`` for the dossier's thumbnails), rendered once and cached."""
    session = session_of(request)
    web = web_state(request)
    owner, doc = web.locate_document(session, doc_id)
    if size not in SIZES:
        raise UsageError(f"图像尺寸{quote_input(size)}无效,应为 {'、'.join(SIZES)}")
    if privacy_bridge.is_personal(doc):
        require_personal_access(request, session, doc)
    path = web.previews.image(session.archive.document_path(owner, doc), doc.sha256, n, size,
                              pages=len(doc.pages) or None)
    return FileResponse(path, media_type="image/png", headers={"Cache-Control": "private, no-cache"})
