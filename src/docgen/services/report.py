"""The figures for decisions (决策依据) and the 楼盘表, as services for the CLI and the web dashboard.

- :func:`compute_figures`: the figures for the projects the user may see
  (``figures``; the per-person section only with ``figures_people``), one pass
  over the archive;
- :func:`cached_figures`: the same, kept warm per workspace and recomputed
  after any write (what the dashboard calls; :mod:`docgen.report.cache`);
- :func:`records_behind`: the records behind one number (its ``drill`` query
  string), for a list page or ``docgen report list``;
- :func:`write_report`: figures written as XLSX, HTML or JSON;
- :func:`import_unit_table` / :func:`export_unit_table` / :func:`unit_table_summary`:
  the 楼盘表 of a project.

A project outside the user's scope is never read: it is neither in the
figures nor behind any number, and naming it is "not found".
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from docgen.errors import DocgenError, NotFoundError, UsageError, quote_input, show_input
from docgen.report.drill import Drill, RecordRef, select
from docgen.report.facts import Filters, Walker
from docgen.report.units import UnitImport, UnitSummary, export_units, import_units, summarize_units
from docgen.session import Session

REPORT_FORMATS = ("table", "xlsx", "html", "json")


def _codes(session: Session, project: str | None) -> list[str]:
    archive = session.archive
    if project:
        code = project.strip().upper()
        session.check_project(code)
        archive.project(code)  # NotFoundError naming the known projects
        return [code]
    return session.visible(archive.project_codes())


def _filters(session: Session, filters: Filters) -> Filters:
    filters.check(filters.today or session.today())
    if filters.project:
        project = filters.project.strip().upper()
        known = session.archive.batch_ids(project)
        if filters.batch and filters.batch not in known:
            session.check_project(project)  # the batches of a project in scope may be named
            have = f"已有:{'、'.join(known)}" if known else "该项目还没有交房批次"
            raise NotFoundError(f"项目 {show_input(project)} 中没有交房批次{quote_input(filters.batch)}({have})")
        return Filters(project, filters.batch, filters.date_from, filters.date_to, filters.today)
    return filters


def compute_figures(session: Session, filters: Filters | None = None,
                    progress: Callable[[int], None] | None = None) -> dict[str, Any]:
    """The figures for the projects in the user's scope, as plain data (see :mod:`docgen.report.figures`)."""
    from docgen.report.figures import compute
    from docgen.report.thresholds import load_thresholds

    session.require("figures")
    filters = _filters(session, filters or Filters())
    codes = _codes(session, filters.project)
    today = filters.today or session.today()
    rules, rules_source = session.workspace.rules()
    thresholds, source = load_thresholds(session.archive)
    last = session.archive.journal.last()
    figures = compute(session.archive, codes, filters, today, rules, thresholds,
                      people=session.can("figures_people"), progress=progress,
                      meta={"thresholds": source, "rules": rules_source, "journal_seq": int(last["seq"]) if last else 0})
    return _masked(figures)


def _masked(value: Any) -> Any:
    """The figures with personal numbers in free text masked (a phone typed into a component or defect).

    Group labels and messages come from what people typed; the figures are
    not a reveal, so they show what every other page shows.  Drill-down
    queries are left as they are: they select records, they are not shown.
    """
    from docgen.privacy import mask_text

    if isinstance(value, str):
        return mask_text(value)
    if isinstance(value, list):
        return [_masked(v) for v in value]
    if isinstance(value, dict):
        return {k: v if k == "drill" else _masked(v) for k, v in value.items()}
    return value


def cached_figures(session: Session, filters: Filters | None = None) -> dict[str, Any]:
    """:func:`compute_figures` through the workspace's cache (valid until the journal moves); treat it as read-only."""
    from docgen.report.cache import cache_for

    session.require("figures")
    filters = filters or Filters()
    today = filters.today or session.today()
    key = (session.projects, filters.project.strip().upper() if filters.project else None, filters.batch,
           filters.date_from, filters.date_to, today, session.can("figures_people"))
    return cache_for(session.workspace).get(
        session.archive, key,
        lambda: compute_figures(session, Filters(filters.project, filters.batch, filters.date_from, filters.date_to,
                                                 today)))


def records_behind(session: Session, drill: Drill | str, *, today: dt.date | None = None,
                   limit: int | None = None) -> list[RecordRef]:
    """The records behind a number: its drill-down (a query string from the figures, or a :class:`Drill`)."""
    session.require("figures")
    if isinstance(drill, str):
        drill = Drill.parse(drill)
    criteria = dict(drill.criteria)
    if "handler" in criteria or "responder" in criteria or "case_owner" in criteria or \
            ("by" in criteria and drill.kind == "revisits"):
        session.require("figures_people")
    day = today or session.today()
    drill.check(day)
    codes = _codes(session, drill.project)
    rules, _ = session.workspace.rules()
    walker = Walker(session.archive, codes, Filters(None, None, drill.date_from, drill.date_to, day), day, rules,
                    kinds=frozenset({drill.kind}), titles=True)
    out: list[RecordRef] = []
    from dataclasses import replace

    from docgen.privacy import mask_text

    for ref in select(walker.events(), drill):
        out.append(replace(ref, title=mask_text(ref.title)))
        if limit is not None and len(out) >= limit:
            break
    return out


@dataclass
class ReportOutcome:
    """What ``docgen report`` produced: the figures, the file written, how many warnings reach the threshold."""

    figures: dict[str, Any]
    out: Path | None = None
    fmt: str = "table"
    failing: int = 0
    threshold: str = "never"
    extra: dict[str, Any] = field(default_factory=dict)


def write_report(session: Session, filters: Filters, *, fmt: str = "table", out: Path | None = None,
                 fail_on: str = "never", progress: Callable[[int], None] | None = None) -> ReportOutcome:
    """Compute the figures and write them as ``fmt`` (xlsx, html, json) to ``out``; count warnings at ``fail_on``."""
    from docgen.report.warnings import failing

    if fmt not in REPORT_FORMATS:
        raise UsageError(f"报表格式{quote_input(fmt)}无效,应为 {'、'.join(REPORT_FORMATS)}")
    if fail_on not in ("error", "warning", "info", "never"):
        raise UsageError(f"--fail-on 应为 error、warning、info 或 never,而不是{quote_input(fail_on)}")
    figures = compute_figures(session, filters, progress=progress)
    if fmt != "table" and out is None:
        out = Path(f"report-{figures['meta']['today'].replace('-', '')}.{fmt}")
    if out is not None and fmt == "table":
        raise UsageError("写入文件时请用 --format 指定 xlsx、html 或 json")
    if out is not None:
        try:
            if fmt == "json":
                out.write_text(json.dumps(figures, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
            elif fmt == "html":
                from docgen.report.html import render_html

                out.write_text(render_html(figures), encoding="utf-8")
            else:
                from docgen.report.xlsx import write_xlsx

                write_xlsx(figures, out)
        except OSError as exc:
            raise DocgenError(f"无法写入报表 {out}:{exc.strerror}") from exc
    return ReportOutcome(figures, out, fmt, failing(figures["warnings"], fail_on), fail_on)


# -- 楼盘表 ---------------------------------------------------------------------------------
def import_unit_table(session: Session, project: str, path: Path, *, sheet: str | None = None,
                      dry_run: bool = False) -> UnitImport:
    """Import a project's 楼盘表 from the sales spreadsheet: all rows or nothing (``UnitTableRejected`` lists why)."""
    code = project.strip().upper()
    session.require("edit", code)
    return import_units(session.archive, code, Path(path), sheet=sheet, dry_run=dry_run)


def export_unit_table(session: Session, project: str, out: Path) -> Path:
    """Write a project's 楼盘表 as .xlsx or .csv (the columns the import reads)."""
    code = project.strip().upper()
    session.require("read", code)
    session.archive.project(code)
    return export_units(session.archive, code, Path(out))


def unit_table_summary(session: Session, project: str) -> UnitSummary:
    """What a project's 楼盘表 holds."""
    code = project.strip().upper()
    session.require("read", code)
    session.archive.project(code)
    return summarize_units(session.archive, code)


def iter_unit_rows(session: Session, project: str) -> Iterator[dict[str, Any]]:
    """The rooms of a project's 楼盘表 as JSON rows."""
    code = project.strip().upper()
    session.require("read", code)
    table = session.archive.unit_table(code)
    if table is None:
        raise NotFoundError(f"项目 {show_input(code)} 还没有楼盘表")
    for u in table.units:
        yield u.model_dump(mode="json")
