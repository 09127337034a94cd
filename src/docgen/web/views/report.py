"""The manager's dashboard: the figures for decisions, every number a link to the records behind it.

The page is drawn from the same data as ``docgen report`` (one pass over
the archive, :func:`docgen.services.report.cached_figures`, kept warm per
workspace until the journal moves), over the projects the user may see; the
per-person figures only for a user with ``figures_people``.  Each number's
drill-down query (``Cell.drill``) becomes a link to ``/report/records``,
which lists exactly the records counted (:func:`records_behind`).  Charts are
served as separate SVG images (``/report/chart/N.svg``): the page itself
contains no markup generated outside its autoescaped template.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from docgen.errors import NotFoundError, UsageError, show_input
from docgen.report.drill import Drill
from docgen.report.facts import Filters
from docgen.report.html import chart_svg, fmt, handover_charts
from docgen.report.views import FLOAT, INT, MONEY, PCT, TEXT, Sheet, sheets
from docgen.services.report import cached_figures, records_behind, write_report
from docgen.session import Session
from docgen.web.render import page, pager
from docgen.web.routing import route, session_of
from docgen.web.views.common import (
    clean,
    page_number,
    parse_date,
    sent_once,
    temp_download,
)

router = APIRouter()
RECORDS_PER_PAGE = 100
RECORDS_LIMIT = 5000
DOWNLOADS = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
             "html": "text/html; charset=utf-8", "json": "application/json"}
ASK_PROJECT = "请先在「项目」中选定项目,再选批次"
KIND_LABELS = {"dossiers": "档案", "batch_units": "交房批次房屋", "repairs": "报修", "complaints": "投诉",
               "revisits": "回访", "revisit_slots": "应回访", "settlements": "第三方维修结算"}


@dataclass(frozen=True)
class ReportForm:
    """The dashboard's filters: project, batch, period."""

    project: str = ""
    batch: str = ""
    date_from: str = ""
    date_to: str = ""

    def filters(self, today: dt.date) -> Filters:
        """The core's filters, checked by the core's rule in the page's words (UsageError in Chinese otherwise)."""
        f = Filters(self.project or None, self.batch or None, parse_date(self.date_from, "开始日期"),
                    parse_date(self.date_to, "结束日期", end=True))
        f.check(today, ASK_PROJECT)
        return f

    def params(self) -> dict[str, str]:
        """The form as link parameters."""
        return {"project": self.project, "batch": self.batch, "from": self.date_from, "to": self.date_to}

    def query(self) -> str:
        """``?project=…`` for links that keep the filters (empty values left out)."""
        kept = {k: v for k, v in self.params().items() if v}
        return "?" + urlencode(kept) if kept else ""


def read_form(request: Request) -> ReportForm:
    """The filters from the query string."""
    q = request.query_params
    return ReportForm(project=(clean(q.get("project"), 16) or "").upper(), batch=clean(q.get("batch"), 40) or "",
                      date_from=clean(q.get("from"), 20) or "", date_to=clean(q.get("to"), 20) or "")


def figures_for(session: Session, form: ReportForm) -> dict[str, Any]:
    """The figures for this user and these filters (the core checks the scope and the permission)."""
    if form.project:
        session.check_project(form.project)
    return cached_figures(session, form.filters(session.today()))


def _cells(sheet: Sheet) -> list[list[dict[str, Any]]]:
    biggest = 0.0
    if sheet.heat:
        biggest = max((c.value for r in sheet.rows for c in r[1:] if isinstance(c.value, int | float)), default=0)
    rows = []
    for row in sheet.rows:
        cells = []
        for i, (cell, col) in enumerate(zip(row, sheet.columns, strict=True)):
            numeric = col.kind in (INT, FLOAT, PCT, MONEY)
            text = "" if col.kind == TEXT and cell.value is None else fmt(cell.value, col.kind)
            heat = 0
            if sheet.heat and i and isinstance(cell.value, int | float) and cell.value and biggest:
                heat = min(5, 1 + int(4 * cell.value / biggest))
            cells.append({"text": text, "numeric": numeric, "drill": cell.drill or "", "heat": heat, "kind": col.kind})
        rows.append(cells)
    return rows


def sections(figures: dict[str, Any]) -> list[dict[str, Any]]:
    """Every figure as a section: title, note, columns, cells, and how many charts it has."""
    out = []
    for sheet in sheets(figures):
        charts = len(_charts(figures, sheet))
        severities = [w["severity"] for w in figures["warnings"]] if sheet.name == "预警" else []
        out.append({"sheet": sheet, "cells": _cells(sheet), "charts": charts, "severities": severities})
    return out


def _charts(figures: dict[str, Any], sheet: Sheet) -> list[str]:
    if not sheet.rows:
        return []
    if sheet.name == "收房率走势":
        return [svg for _, svg in handover_charts(figures) if svg]
    return [svg for svg in (chart_svg(sheet, c) for c in sheet.charts) if svg]


@route(router, "/report", permission="figures")
def report_page(request: Request) -> Response:
    """The dashboard: warnings first, then every figure with its charts and its numbers as links."""
    session = session_of(request)
    form = read_form(request)
    figures = figures_for(session, form)
    archive = session.archive
    projects = session.visible(archive.project_codes())
    batches = archive.batch_ids(form.project) if form.project else []
    context = {"form": form, "params": form.params(), "query": form.query(), "meta": figures["meta"],
               "sections": sections(figures), "projects": projects, "batches": batches,
               "warnings": len(figures["warnings"]), "title": "决策数据"}
    return page(request, "report.html", context)


@route(router, "/report/chart/{section}/{number}.svg", permission="figures")
def report_chart(request: Request, section: str, number: str) -> Response:
    """One chart of one figure as an SVG image (text escaped by :mod:`docgen.report.svg`).

    ``section`` and ``number`` are read here, not by the framework, so that a
    link typed wrong (``/report/chart/a/0.svg``) is a Chinese 404 like any
    chart that does not exist.
    """
    session = session_of(request)
    figures = figures_for(session, read_form(request))
    all_sheets = sheets(figures)
    s, n = _index(section), _index(number)
    if s is None or not 0 <= s < len(all_sheets):
        raise NotFoundError("没有这张图表")
    charts = _charts(figures, all_sheets[s])
    if n is None or not 0 <= n < len(charts):
        raise NotFoundError("没有这张图表")
    return Response(charts[n], media_type="image/svg+xml",
                    headers={"Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
                             "Cache-Control": "private, no-store"})


def _index(text: str) -> int | None:
    """A chart's or a figure's position from the URL (a few ASCII digits), or None."""
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 4 else None


def _link(ref_kind: str, key: str, record_id: str) -> str:
    if "/" in key:
        return f"/dossiers/{key}" + (f"#{record_id}" if record_id and record_id != key else "")
    return f"/projects/{key}"


@route(router, "/report/records", permission="figures")
def report_records(request: Request) -> Response:
    """The records behind one number (its drill-down query), each linked to its dossier."""
    session = session_of(request)
    params = [(k, clean(v, 200) or "" if k != "project" else (clean(v, 16) or "").upper())
              for k, v in request.query_params.multi_items() if k != "page"]  # ＹＨＷ / yhw name the project YHW
    query = urlencode(params)
    if not query:
        raise UsageError("请从决策数据页面上的数字进入对应记录清单")
    if len(query) > 2000:
        raise UsageError("筛选条件过长")
    try:
        page_no = page_number(int(request.query_params.get("page") or 1))
    except ValueError as exc:
        raise UsageError("页码应为正整数") from exc
    drill = Drill.parse(query)
    refs = records_behind(session, drill, limit=RECORDS_LIMIT + 1)
    more = len(refs) > RECORDS_LIMIT
    refs = refs[:RECORDS_LIMIT]
    paging = pager(len(refs), page_no, RECORDS_PER_PAGE)
    shown = refs[paging["offset"]: paging["offset"] + RECORDS_PER_PAGE]
    rows = [{**r.as_dict(), "href": _link(r.kind, r.key, r.id), "kind_label": KIND_LABELS.get(r.kind, r.kind)}
            for r in shown]
    came_from = urlsplit(request.headers.get("referer", ""))  # back to the dashboard as it was filtered
    back = "/report"
    if came_from.path == "/report" and came_from.netloc == request.url.netloc and len(came_from.query) < 300:
        back += "?" + came_from.query if came_from.query else ""
    return page(request, "report_records.html", {
        "rows": rows, "total": len(refs), "more": more, "limit": RECORDS_LIMIT, "criteria": drill.describe(),
        "back": back,
        "pager": paging, "page_params": dict(params), "title": "数字对应的记录"})


@route(router, "/report/report.{fmt}", permission="figures")
def report_download(request: Request, fmt: str) -> Response:
    """The figures as a file (xlsx, html or json): exactly what ``docgen report --format`` writes."""
    if fmt not in DOWNLOADS:
        raise NotFoundError(f"报表格式 {show_input(fmt)} 不存在(可用:{'、'.join(DOWNLOADS)})")
    session = session_of(request)
    form = read_form(request)
    if form.project:
        session.check_project(form.project)
    filters = form.filters(session.today())
    tmp, outcome = temp_download("docgen-report-", f".{fmt}",
                                 lambda path: write_report(session, filters, fmt=fmt, out=path))
    day = str(outcome.figures["meta"].get("today", "")).replace("-", "")
    return sent_once(tmp, f"决策数据-{day}.{fmt}", DOWNLOADS[fmt])


@route(router, "/api/report", permission="figures", kind="api")
def api_report(request: Request) -> Response:
    """The figures as JSON (the same keys as ``docgen report --format json``)."""
    session = session_of(request)
    figures = figures_for(session, read_form(request))
    return JSONResponse(json.loads(json.dumps(figures, ensure_ascii=False, default=str)))

