"""The JSON API for scripts (and the tests): the same permissions and masking as the pages.

``Authorization: Bearer <token>`` (``docgen user token NAME``) or the login
session.  Errors are ``{"error": code, "message": 中文, "status": n}``: 401
without credentials, 403 for a role that may not, 404 for what does not exist
or may not be known to exist (another project's records), 400 for bad input.
The description is at ``/api/openapi.json``.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from docgen import privacy
from docgen.errors import UsageError
from docgen.present import document_view
from docgen.web import privacy_bridge
from docgen.web.routing import route, session_of, web_state
from docgen.web.views.audit import (
    AuditForm,
    audit_outcome,
    entry_dict,
    finding_dict,
    finding_rows,
    journal_entries,
    read_journal_form,
)
from docgen.web.views.common import clean, dossier_key
from docgen.web.views.documents import owner_key, send_original
from docgen.web.views.dossiers import REVEALED_WHAT, dossier_findings
from docgen.web.views.search import read_form

router = APIRouter(prefix="/api", tags=["api"])


@route(router, "/search", permission="read", kind="api")
def api_search(request: Request, q: str = Query("", description="检索式,与 docgen search 相同"),
               kind: str = Query("", description="document、dossier、repair、complaint、revisit、settlement"),
               project: str = "", batch: str = "", type: str = "", stage: str = "",
               date_from: str = Query("", alias="from"), date_to: str = Query("", alias="to"),
               open: bool = False, signed: str = "", sort: str = "relevance",
               limit: int = Query(20, ge=1, le=1000), offset: int = Query(0, ge=0, le=1_000_000),
               reason: str = Query("", description="按完整身份证号码或电话检索时必填:理由(记入日志)")) -> dict[str, Any]:
    """Search (the shape of ``docgen search --json``), masked, limited to the caller's projects.

    A query holding a full ID or phone number is a reveal (a hit says whose it
    is): it needs ``reason``, and it is journaled with the caller as the actor.
    """
    form = read_form({"q": q, "kind": kind, "project": project, "batch": batch, "type": type, "stage": stage,
                      "from": date_from, "to": date_to, "open": "1" if open else "", "signed": signed, "sort": sort})
    why = ""
    if form.text and privacy.full_numbers_in(form.text):
        why = privacy.check_reason(reason, privacy_bridge.ASK_API)
    results = web_state(request).search(session_of(request), form.query(limit=limit, offset=offset), reason=why)
    data: dict[str, Any] = results.as_dict()
    return data


@route(router, "/dossiers/{project}/{unit}", permission="read", kind="api")
def api_dossier(request: Request, project: str, unit: str, reveal: bool = False,
                reason: str = Query("", description="reveal=true 时必填:查看完整个人信息的理由(记入日志)")) -> dict[str, Any]:
    """One dossier (the shape of ``docgen dossier show --json``) with its audit findings; ``reveal`` is journaled."""
    session = session_of(request)
    key = dossier_key(session, project, unit)
    d = session.archive.dossier(key)
    if reveal:
        privacy_bridge.reveal(session, key, REVEALED_WHAT, reason, "接口:/api/dossiers", privacy_bridge.ASK_API)
    view = privacy_bridge.dossier_data(d, reveal)
    view["findings"] = dossier_findings(session, key)
    web_state(request).note_documents(key, d.documents)
    return view


@route(router, "/documents/{doc_id}", permission="read", kind="api")
def api_document(request: Request, doc_id: str) -> dict[str, Any]:
    """A document's metadata, owner and text (masked)."""
    session = session_of(request)
    owner, doc = web_state(request).locate_document(session, doc_id)
    view = document_view(doc)
    view["owner"] = owner_key(owner)
    view["personal"] = privacy_bridge.is_personal(doc)
    view["text"] = [privacy_bridge.mask(p) for p in session.archive.document_text(owner, doc)]
    return view


@route(router, "/documents/{doc_id}/file", permission="read", kind="api")
def api_document_file(request: Request, doc_id: str,
                      reason: str = Query("", description="个人证件文件必填:下载理由(记入日志)")) -> Response:
    """The archived original (for an ID copy and other personal documents: ``reason`` required, journaled)."""
    return send_original(request, session_of(request), doc_id, clean(reason, 200), "接口:/api/documents/file",
                         privacy_bridge.ASK_API)


@route(router, "/audit", permission="audit", kind="api")
def api_audit(request: Request, project: str = "", batch: str = "", stage: str = "",
              min_severity: str = Query("info", description="error、warning 或 info"),
              rule: str = "", severity: str = "", findings: bool = True,
              limit: int = Query(500, ge=1, le=100_000), offset: int = Query(0, ge=0)) -> dict[str, Any]:
    """The audit (the shape of ``docgen audit --json``) over the caller's projects, with the findings (masked)."""
    if min_severity not in ("error", "warning", "info"):
        raise UsageError("min_severity 应为 error、warning 或 info")
    session = session_of(request)
    form = AuditForm(project=(clean(project, 20) or "").upper(), batch=clean(batch, 40) or "",
                     stage=clean(stage, 10) or "", min_severity=min_severity, rule=clean(rule, 60) or "",
                     severity=clean(severity, 10) or "")
    if form.project:
        session.check_project(form.project)
    outcome = audit_outcome(request, session, form)
    data = outcome.as_dict()
    if findings:
        rows = finding_rows(outcome.findings, form)
        data["findings_total"] = len(rows)
        data["findings"] = [finding_dict(f) for f in rows[offset: offset + limit]]
    return data


@route(router, "/journal", permission="audit", kind="api")
def api_journal(request: Request, actor: str = "", action: str = "", target: str = "",
                date_from: str = Query("", alias="from"), date_to: str = Query("", alias="to"),
                limit: int = Query(100, ge=1, le=10_000), offset: int = Query(0, ge=0)) -> dict[str, Any]:
    """Journal entries the caller may see, newest first (summaries masked, no file hashes)."""
    session = session_of(request)
    form = read_journal_form({"actor": actor, "action": action, "target": target, "from": date_from,
                              "to": date_to})
    matched = list(journal_entries(session, form))
    return {"total": len(matched), "offset": offset,
            "entries": [entry_dict(e) for e in matched[offset: offset + limit]]}
