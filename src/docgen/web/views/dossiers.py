"""The dossier page (一户一档): owners (masked; reveal with a reason), stage timeline, what is missing, documents, cases."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from docgen.audit.engine import AuditFilter, Auditor
from docgen.audit.findings import SEVERITY_LABELS, SEVERITY_RANK, Finding
from docgen.errors import UsageError
from docgen.models import Dossier
from docgen.session import Session
from docgen.vocab import REPAIR_OPEN, STAGES
from docgen.web import privacy_bridge
from docgen.web.render import page
from docgen.web.routing import caller, route, session_of, web_state
from docgen.web.views.common import dossier_key

router = APIRouter()
REVEALED_WHAT = "业主身份证号、电话、地址及案件记录原文"


def timeline(d: Dossier) -> list[dict[str, Any]]:
    """The four stages 签约 → 交房 → 办证 → 保修期 with their dates and which are done, current or to come."""
    current = STAGES.index(d.stage)
    warranty_note = "自交房日起" if d.delivered_on else ""
    steps: list[tuple[str, dt.date | None, str]] = [
        ("签约", d.signed_on or d.contract_date, f"合同 {d.contract_no}" if d.contract_no else ""),
        ("交房", d.delivered_on, f"约定交房 {d.delivery_due.isoformat()}" if d.delivery_due else ""),
        ("办证", d.certified_on, d.certificate_status),
        ("保修期", d.delivered_on, warranty_note),
    ]
    out = []
    for i, (name, date, note) in enumerate(steps):
        state = "done" if i < current else "current" if i == current else "todo"
        out.append({"name": name, "date": date, "note": note, "state": state,
                    "label": {"done": "已完成", "current": "当前阶段", "todo": "未到"}[state]})
    return out


def dossier_findings(session: Session, key: str) -> list[dict[str, Any]]:
    """What the audit finds in this one dossier (messages masked), worst first."""
    rules, _ = session.workspace.rules()
    auditor = Auditor(session.archive, rules, AuditFilter(projects=session.projects))
    found: list[Finding] = list(auditor.audit_dossier(key))
    found.sort(key=lambda f: (-SEVERITY_RANK[f.severity], f.rule))
    return [{"severity": f.severity, "severity_label": SEVERITY_LABELS[f.severity], "rule": f.rule,
             "title": f.title, "message": privacy_bridge.mask(f.message), "ref": f.ref,
             "missing": f.rule.startswith("COMPLETE.")} for f in found]


def _cases(view: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    return {kind: view[kind] for kind in ("repairs", "complaints", "revisits", "settlements")}


def render_dossier(request: Request, key: str, revealed: bool = False, status: int = 200,
                   message: str = "") -> Response:
    """The whole dossier page (htmx swaps its main part in after a reveal)."""
    session = session_of(request)
    web = web_state(request)
    d = session.archive.dossier(key)
    view = privacy_bridge.dossier_data(d, revealed)
    web.note_documents(key, d.documents)
    who = caller(request)
    now = web.clock()
    granted = {doc.id for doc in d.documents
               if privacy_bridge.is_personal(doc) and who.web_session is not None
               and who.web_session.granted(f"doc:{doc.id}", now) is not None}
    documents = [{**dv, "personal": privacy_bridge.is_personal(doc), "granted": doc.id in granted,
                  "page_count": len(doc.pages)} for dv, doc in zip(view["documents"], d.documents, strict=True)]
    context = {
        "d": d, "view": view, "key": key, "revealed": revealed, "timeline": timeline(d),
        "findings": dossier_findings(session, key), "documents": documents, "cases": _cases(view),
        "open_repairs": REPAIR_OPEN, "title": f"{d.unit_label} · {d.project}", "message": message,
    }
    return page(request, "dossier.html", context, status=status)


@route(router, "/dossiers/{project}/{unit}", permission="read")
def dossier_page(request: Request, project: str, unit: str) -> Response:
    """One household's dossier, personal data masked."""
    key = dossier_key(session_of(request), project, unit)
    return render_dossier(request, key)


@route(router, "/dossiers/{project}/{unit}/reveal", permission="reveal", methods=("POST",))
def dossier_reveal(request: Request, project: str, unit: str, reason: str = Form("")) -> Response:
    """Show the owners' full ID numbers, phones and addresses once, for a stated reason (journaled)."""
    session = session_of(request)
    key = dossier_key(session, project, unit)
    session.archive.dossier(key)  # 404 before anything is journaled
    session.require("reveal", key.split("/")[0])
    try:
        privacy_bridge.check_reason(reason)
    except UsageError as exc:
        return render_dossier(request, key, status=400, message=str(exc))
    privacy_bridge.reveal(session, key, REVEALED_WHAT, reason, "网页:档案页")
    return render_dossier(request, key, revealed=True)
