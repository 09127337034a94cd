"""Running the completeness audit: rules, filters, threshold, report writer and summary in one call.

``docgen audit`` and the web application's audit page both call
:func:`run_audit`; it reads the dossiers one at a time (memory stays flat),
writes the report file if asked, and says how many findings reach the
threshold (the CLI exits with status 3 when any do, for scheduled runs).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from docgen.audit.engine import AuditFilter, Auditor
from docgen.audit.findings import Finding, at_or_above
from docgen.audit.summary import Summary
from docgen.errors import UsageError, quote_input
from docgen.progress import Progress
from docgen.session import Session

REPORT_FORMATS = ("csv", "xlsx", "html", "json")


@dataclass(frozen=True, slots=True)
class AuditRequest:
    """What to audit and what to produce."""

    project: str | None = None
    batch: str | None = None
    stage: str | None = None
    min_severity: str = "info"
    fmt: str | None = None
    out: Path | None = None
    fail_on: str | None = None
    rules_path: Path | None = None
    today: dt.date | None = None
    top: int = 10
    keep_findings: bool = False
    """Keep every finding in the outcome (the terminal's ``--list``, the web page's table)."""


@dataclass
class AuditOutcome:
    """The audit's result: the summary, the report written, what reached the threshold."""

    summary: Summary
    meta: dict[str, str]
    threshold: str
    failing: int = 0
    report: Path | None = None
    findings: list[Finding] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """JSON form (what ``docgen audit --json`` prints)."""
        return {"summary": self.summary.as_dict(), "meta": self.meta,
                "report": str(self.report) if self.report else None}


def run_audit(session: Session, request: AuditRequest, progress: Progress | None = None) -> AuditOutcome:
    """Audit the dossiers the user may see against the rules in force; write the report if asked."""
    from docgen.audit.report import open_report
    from docgen.audit.rules import load_rules

    session.require("audit")
    if request.project:
        session.check_project(request.project.upper())
    archive = session.archive
    rules, source = load_rules(archive, request.rules_path) if request.rules_path else session.workspace.rules()
    where = AuditFilter(project=request.project.upper() if request.project else None, batch=request.batch,
                        stage=request.stage, min_severity=request.min_severity, projects=session.projects)
    auditor = Auditor(archive, rules, where, today=request.today)
    threshold = request.fail_on or session.config.audit.fail_on
    fmt, out = request.fmt, request.out
    if fmt is not None and fmt not in REPORT_FORMATS:
        raise UsageError(f"报表格式{quote_input(fmt)}无效,应为 {'、'.join(REPORT_FORMATS)}")
    if fmt and out is None:
        out = Path(f"audit-{auditor.today:%Y%m%d}.{fmt}")
    elif out is not None and fmt is None:
        fmt = out.suffix.lstrip(".").lower() or "csv"
        if fmt not in REPORT_FORMATS:
            raise UsageError(f"无法从文件名 {out.name} 判断报表格式,请用 --format 指定({'、'.join(REPORT_FORMATS)})")
    writer = open_report(fmt, out) if fmt and out else None
    summary = Summary(top=request.top)
    outcome = AuditOutcome(summary, {}, threshold, report=out if writer is not None else None)
    for finding in auditor.run(progress=progress):
        summary.add(finding)
        if writer is not None:
            writer.add(finding)
        if request.keep_findings:
            outcome.findings.append(finding)
        if threshold != "never" and at_or_above(finding.severity, threshold):
            outcome.failing += 1
    summary.dossiers_checked = auditor.dossiers_checked
    filters = "、".join(f"{k}={v}" for k, v in (("项目", request.project), ("批次", request.batch),
                                                 ("阶段", request.stage)) if v)
    outcome.meta = {"today": auditor.today.isoformat(), "rules": source, "filters": filters,
                    "min_severity": request.min_severity}
    if writer is not None:
        writer.close(summary, outcome.meta)
    return outcome
