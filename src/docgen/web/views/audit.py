"""The auditor's pages: the audit (summary, findings with filters, report downloads), ``verify``, the journal.

The audit runs through the same core service as ``docgen audit``
(:func:`docgen.services.audit.run_audit`), over the projects the user may see.
A run over 20,000 households takes seconds, so its outcome is kept (a few per
server) until the archive or the rules change: the journal's last sequence
number and the rules file's timestamp are part of the key.  ``verify`` reads
every file, so it runs only when asked (a button) and its last result is
shown until it is run again.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Hashable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response

from docgen.archive.journal import JournalEntry
from docgen.audit.findings import RULES, SEVERITY_LABELS, SEVERITY_RANK, Finding
from docgen.errors import NotFoundError, UnsafePathError, UsageError, quote_input, show_input
from docgen.services.audit import AuditOutcome, AuditRequest, run_audit
from docgen.session import Session
from docgen.units import check_project_code
from docgen.vocab import STAGES
from docgen.web import privacy_bridge
from docgen.web.render import page, pager
from docgen.web.routing import route, session_of, web_state
from docgen.web.state import user_scope
from docgen.web.views.common import (
    clean,
    page_number,
    parse_date,
    sent_once,
    temp_download,
)

router = APIRouter()
FINDINGS_PER_PAGE = 50
JOURNAL_PER_PAGE = 50
REPORT_TYPES = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                "html": "text/html; charset=utf-8", "csv": "text/csv; charset=utf-8"}


@dataclass(frozen=True)
class AuditForm:
    """What to audit (project, batch, stage, least severity) and which findings to list."""

    project: str = ""
    batch: str = ""
    stage: str = ""
    min_severity: str = "info"
    rule: str = ""
    severity: str = ""
    page: int = 1

    def request(self, **kw: Any) -> AuditRequest:
        """The core audit request."""
        if self.stage and self.stage not in STAGES:
            raise UsageError(f"阶段{quote_input(self.stage)}无效,应为 {'、'.join(STAGES)}")
        return AuditRequest(project=self.project or None, batch=self.batch or None, stage=self.stage or None,
                            min_severity=self.min_severity or "info", **kw)

    def params(self) -> dict[str, Any]:
        """The form as link parameters."""
        return {"project": self.project, "batch": self.batch, "stage": self.stage,
                "min_severity": self.min_severity if self.min_severity != "info" else "", "rule": self.rule,
                "severity": self.severity}


def read_audit_form(request: Request) -> AuditForm:
    """The audit form from the query string."""
    q = request.query_params

    def get(name: str) -> str:
        return clean(q.get(name), 40) or ""

    severity = get("min_severity") or "info"
    if severity not in ("error", "warning", "info"):
        raise UsageError("最低严重程度应为 error、warning 或 info")
    listed = get("severity")
    if listed and listed not in SEVERITY_LABELS:
        raise UsageError("严重程度应为 error、warning 或 info")
    try:
        page_no = int(q.get("page") or 1)
    except ValueError as exc:
        raise UsageError("页码应为正整数") from exc
    return AuditForm(project=get("project").upper(), batch=get("batch"), stage=get("stage"),
                     min_severity=severity, rule=get("rule"), severity=listed, page=page_number(page_no))


def _stamp(request: Request, session: Session) -> Hashable:
    """What the audit's outcome depends on besides the form: the records, the rules, the day."""
    rules_path = session.archive.layout.rules
    try:
        rules_stamp: Any = rules_path.stat().st_mtime_ns
    except FileNotFoundError:
        rules_stamp = None
    return (web_state(request).records_version(), rules_stamp, session.today())


def audit_outcome(request: Request, session: Session, form: AuditForm) -> AuditOutcome:
    """The audit for this form and user (from the cache while nothing changed)."""
    web = web_state(request)
    key = (user_scope(session.user), form.project, form.batch, form.stage, form.min_severity, _stamp(request, session))
    outcome: AuditOutcome = web.cached(web.audit_results, key,
                                       lambda: run_audit(session, form.request(keep_findings=True, top=15)))
    return outcome


def finding_rows(findings: list[Finding], form: AuditForm) -> list[Finding]:
    """The findings the table lists (rule and severity filters), worst first, in archive order within."""
    rows = [f for f in findings if (not form.rule or f.rule == form.rule)
            and (not form.severity or f.severity == form.severity)]
    rows.sort(key=lambda f: -SEVERITY_RANK[f.severity])
    return rows


def finding_dict(f: Finding) -> dict[str, Any]:
    """A finding for a page or the API, its message masked."""
    return {**f.as_dict(), "message": privacy_bridge.mask(f.message), "severity_label": SEVERITY_LABELS[f.severity]}


@route(router, "/audit", permission="audit")
def audit_page(request: Request) -> Response:
    """The audit: summary by project, batch, stage and rule; the findings table with filters."""
    session = session_of(request)
    form = read_audit_form(request)
    if form.project:
        session.check_project(form.project)
    outcome = audit_outcome(request, session, form)
    rows = finding_rows(outcome.findings, form)
    paging = pager(len(rows), form.page, FINDINGS_PER_PAGE)
    archive = session.archive
    projects = session.visible(archive.project_codes())
    context = {
        "form": form, "params": form.params(), "summary": outcome.summary.as_dict(), "meta": outcome.meta,
        "rows": [finding_dict(f) for f in rows[paging["offset"]: paging["offset"] + FINDINGS_PER_PAGE]],
        "pager": paging, "rules": RULES, "severities": SEVERITY_LABELS, "stages": STAGES, "projects": projects,
        "batches": sorted({b for code in projects for b in archive.batch_ids(code)}), "title": "审计",
    }
    return page(request, "audit.html", context)


@route(router, "/audit/report.{fmt}", permission="audit")
def audit_report(request: Request, fmt: str) -> Response:
    """The audit report as a file (xlsx, html or csv), exactly what ``docgen audit --format`` writes."""
    if fmt not in REPORT_TYPES:
        raise NotFoundError(f"报表格式 {show_input(fmt)} 不存在(可用:{'、'.join(REPORT_TYPES)})")
    session = session_of(request)
    form = read_audit_form(request)
    if form.project:
        session.check_project(form.project)
    scope = "、".join(v for v in (form.project, form.batch, form.stage) if v) or "全部"

    def write(path: Path) -> Any:  # journaled inside: a report that cannot be journaled leaves no file
        outcome = run_audit(session, form.request(fmt=fmt, out=path))
        privacy_bridge.record_export(session, form.project, f"审计报告({scope},{fmt})", "网页:审计报告下载",
                                     outcome.summary.total)
        return outcome

    tmp, outcome = temp_download("docgen-audit-", f".{fmt}", write)
    day = outcome.meta.get("today", dt.date.today().isoformat()).replace("-", "")
    return sent_once(tmp, f"审计报告-{day}.{fmt}", REPORT_TYPES[fmt])


# -- verify ---------------------------------------------------------------------------------

def _visible_problem(session: Session, path: str) -> bool:
    """A fixity problem a scoped user may see: inside their projects, or about the journal itself."""
    if not session.user.projects:
        return True
    parts = path.split("/")
    if len(parts) >= 2 and parts[0] == "projects":
        return session.user.sees(parts[1])
    return path.startswith("journal")


@route(router, "/audit/verify", permission="audit")
def verify_page(request: Request) -> Response:
    """The last ``verify`` result for this user's projects (run it with the button)."""
    session = session_of(request)
    result = web_state(request).verify_results.get(user_scope(session.user))
    return page(request, "verify.html", {"result": result, "title": "完整性核验"})


@route(router, "/audit/verify", permission="audit", methods=("POST",), name="verify_run")
def verify_run(request: Request) -> Response:
    """Run ``verify`` now (hashes of every file, the journal's chain, orphans); show the result."""
    from docgen.audit.fixity import verify_archive

    session = session_of(request)
    problems, stats = verify_archive(session.archive)
    shown = [{**p.as_dict(), "message": privacy_bridge.mask(p.message)} for p in problems
             if _visible_problem(session, p.path)]
    result = {"when": dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M"), "problems": shown,
              "stats": {"records": stats.records, "dossiers": stats.dossiers, "documents": stats.documents,
                        "bytes": stats.bytes, "journal_entries": stats.journal_entries},
              "scoped": bool(session.user.projects), "by": session.user.name}
    web_state(request).verify_results.put(user_scope(session.user), result)
    return RedirectResponse("/audit/verify", status_code=303)


# -- the journal ----------------------------------------------------------------------------

@dataclass(frozen=True)
class JournalForm:
    """Journal filters: who, what action, which record, which days."""

    actor: str = ""
    action: str = ""
    target: str = ""
    date_from: dt.date | None = None
    date_to: dt.date | None = None

    def params(self) -> dict[str, Any]:
        """The filters as link parameters."""
        return {"actor": self.actor, "action": self.action, "target": self.target,
                "from": self.date_from.isoformat() if self.date_from else "",
                "to": self.date_to.isoformat() if self.date_to else ""}


def read_journal_form(values: Any) -> JournalForm:
    """Journal filters from query values."""
    return JournalForm(actor=clean(values.get("actor"), 64) or "", action=clean(values.get("action"), 64) or "",
                       target=clean(values.get("target"), 100) or "",
                       date_from=parse_date(values.get("from"), "起始日期"),
                       date_to=parse_date(values.get("to"), "结束日期", end=True))


def entry_project(entry: JournalEntry) -> str | None:
    """The project an entry is about (from its target: ``HXSZ/03-2-1203``, ``HXSZ``, ``HXSZ/B01``), or None."""
    target = entry.target
    if not target or ":" in target:
        return None
    head = target.split("/", 1)[0]
    try:
        return check_project_code(head) if head == head.upper() else None
    except UnsafePathError:
        return None


def journal_entries(session: Session, form: JournalForm) -> Iterator[JournalEntry]:
    """The journal entries the user may see that match the filters, newest first.

    A user limited to projects sees only entries about records of those
    projects (not logins, accounts or other projects).
    """
    entries = list(session.archive.journal.entries())
    for entry in reversed(entries):
        if session.user.projects:
            project = entry_project(entry)
            if project is None or not session.user.sees(project):
                continue
        if form.actor and form.actor not in entry.actor:
            continue
        if form.action and not entry.action.startswith(form.action):
            continue
        if form.target and form.target.upper() not in entry.target.upper():
            continue
        day = entry.ts[:10]
        if form.date_from and day < form.date_from.isoformat():
            continue
        if form.date_to and day > form.date_to.isoformat():
            continue
        yield entry


def entry_dict(entry: JournalEntry) -> dict[str, Any]:
    """A journal entry as people and scripts see it: summary masked, the reveal's who/what/why/where, no file hashes."""
    detail = entry.detail or {}
    shown = {k: privacy_bridge.mask(str(detail[k])) for k in ("who", "what", "why", "where", "rows") if k in detail}
    return {"seq": entry.seq, "ts": entry.ts, "actor": entry.actor, "action": entry.action, "target": entry.target,
            "summary": privacy_bridge.mask(entry.summary), "files": len(entry.files), "detail": shown}


@route(router, "/journal", permission="audit")
def journal_page(request: Request, page_no: int = Query(1, alias="page", ge=1, le=1_000_000)) -> Response:
    """The journal (every change, reveal, export and login), newest first, with filters."""
    session = session_of(request)
    form = read_journal_form(request.query_params)
    matched = list(journal_entries(session, form))
    paging = pager(len(matched), page_no, JOURNAL_PER_PAGE)
    rows = [entry_dict(e) for e in matched[paging["offset"]: paging["offset"] + JOURNAL_PER_PAGE]]
    return page(request, "journal.html", {"form": form, "params": form.params(), "rows": rows, "pager": paging,
                                          "title": "变更日志"})
