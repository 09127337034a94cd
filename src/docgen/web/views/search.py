"""The search page: one box that understands what ``docgen search`` does, filters, totals per kind, export.

What people type (names, ID and phone numbers) never goes into a URL: the box
posts to ``/search``, which keeps the words in the login session under a
short token and answers with ``/search?t=<token>&kind=…`` (a redirect, or for
htmx the fragment plus ``HX-Push-Url``), so history, bookmarks and logs hold
only the token and the filters.  Results are masked and limited to the
user's projects inside the engine (:meth:`WebState.search`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from docgen import privacy
from docgen.errors import UsageError, quote_input
from docgen.search.query import Hit, Results
from docgen.search.query import Query as SearchQuery
from docgen.search.schema import KINDS
from docgen.session import Session
from docgen.vocab import DOC_TYPES, STAGES
from docgen.web import privacy_bridge
from docgen.web.render import PAGE_SIZE, page, pager, query_string
from docgen.web.routing import caller, route, session_of, web_state
from docgen.web.views.common import (
    clean,
    page_number,
    parse_bool,
    parse_date,
    sent_once,
    temp_download,
)

router = APIRouter()
EXPORT_MAX = 10_000
SORT_LABELS = {"relevance": "相关度", "date": "日期(新→旧)", "date-asc": "日期(旧→新)"}


@dataclass
class SearchForm:
    """The search box and its filters, as typed (strings), and the page asked for."""

    text: str = ""
    kind: str = ""
    type: str = ""
    project: str = ""
    batch: str = ""
    stage: str = ""
    date_from: str = ""
    date_to: str = ""
    open: bool = False
    signed: str = ""
    sort: str = "relevance"
    page: int = 1
    token: str = ""
    reason: str = ""
    needs_reason: bool = False
    """The words hold a full ID or phone number: searching by it is a reveal, so a reason is asked for."""
    notes: list[str] = field(default_factory=list)

    def filters(self) -> dict[str, Any]:
        """The filters for links (``?kind=…``), without the words (those travel as the token)."""
        return {"t": self.token, "kind": self.kind, "type": self.type, "project": self.project,
                "batch": self.batch, "stage": self.stage, "from": self.date_from, "to": self.date_to,
                "open": self.open, "signed": self.signed, "sort": self.sort if self.sort != "relevance" else ""}

    @property
    def active(self) -> bool:
        """True if there is anything to search for."""
        return bool(self.text or self.kind or self.type or self.project or self.batch or self.stage
                    or self.date_from or self.date_to or self.open or self.signed)

    def query(self, limit: int = PAGE_SIZE, offset: int | None = None) -> SearchQuery:
        """The core query (bad values are a UsageError in Chinese)."""
        if self.sort not in SORT_LABELS:
            raise UsageError(f"未知的排序方式{quote_input(self.sort)}")
        return SearchQuery(
            text=self.text, kind=self.kind or None, type=self.type or None, project=self.project or None,
            batch=self.batch or None, stage=self.stage or None,
            date_from=parse_date(self.date_from, "起始日期"), date_to=parse_date(self.date_to, "结束日期", end=True),
            open=True if self.open else None, signed=parse_bool(self.signed, "是否已签"), sort=self.sort,
            limit=limit, offset=(self.page - 1) * limit if offset is None else offset)


def read_form(values: Mapping[str, str | None], page_no: int = 1) -> SearchForm:
    """A SearchForm from query or form values (everything cleaned; unknown kinds refused by the core)."""
    def get(name: str, limit: int = 40) -> str:
        return clean(values.get(name), limit) or ""

    return SearchForm(text=get("q", 200), kind=get("kind"), type=get("type"), project=get("project").upper(),
                      batch=get("batch"), stage=get("stage"), date_from=get("from"), date_to=get("to"),
                      open=parse_bool(values.get("open"), "只看未结") or False, signed=get("signed"),
                      sort=get("sort") or "relevance", page=page_number(page_no))


def _form_from_get(request: Request, page_no: int) -> SearchForm:
    params = dict(request.query_params)
    form = read_form(params, page_no)
    token = clean(params.get("t"), 40) or ""
    if token:
        who = caller(request)
        text = who.web_session.text(token) if who.web_session is not None else None
        if text is None:
            form.notes.append("检索词已失效(登录已过期或来自其他会话),请重新输入")
        else:
            form.text, form.token = text, token
    return form


def hit_link(hit: Hit) -> str:
    """Where a hit leads: the document, the dossier (at the case record), or the project."""
    if hit.kind == "document" and hit.doc_id:
        return f"/documents/{hit.doc_id}"
    if "/" in hit.owner:
        anchor = f"#case-{hit.doc_id}" if hit.kind in ("repair", "complaint", "revisit", "settlement") else ""
        return f"/dossiers/{hit.owner}{anchor}"
    return f"/projects/{hit.owner}"


def options(session: Session) -> dict[str, Any]:
    """Choices for the filter menus: only projects and batches the user may see."""
    archive = session.archive
    projects = session.visible(archive.project_codes())
    batches = sorted({b for code in projects for b in archive.batch_ids(code)})
    return {"kinds": KINDS, "types": {c: label for c, (label, _) in DOC_TYPES.items()}, "projects": projects,
            "batches": batches, "stages": STAGES, "sorts": SORT_LABELS}


FULL_NUMBER_NOTE = ("检索词中有完整的身份证号码或电话:查到结果即表明号码属于谁,属于查看个人信息,"
                    "须在「理由」栏写明原因后检索(记入日志)")


def _results_page(request: Request, form: SearchForm, status: int = 200,
                  headers: dict[str, str] | None = None) -> Response:
    session = session_of(request)
    results: Results | None = None
    if form.active and privacy.full_numbers_in(form.text) and not form.reason:
        form.needs_reason = True
        form.notes.append(FULL_NUMBER_NOTE)
        status = 400 if status == 200 and request.method == "POST" else status
    elif form.active:
        results = web_state(request).search(session, form.query(), reason=form.reason)
        for hit in results.hits:
            if hit.kind == "document" and hit.doc_id:
                web_state(request).doc_owners.put(hit.doc_id, hit.owner)
    context = {"form": form, "results": results, "filters": form.filters(), "hit_link": hit_link,
               "pager": pager(results.total, form.page) if results else None, "kinds": KINDS,
               "opts": options(session), "title": "检索"}
    fragment = request.headers.get("hx-request") == "true" and request.headers.get("hx-boosted") != "true"
    template = "_results.html" if fragment else "search.html"
    return page(request, template, context, status=status, headers=headers)


@route(router, "/search", permission="read")
def search_page(request: Request, page: int = Query(1, ge=1, le=100_000)) -> Response:
    """The search page (with results when there is something to search for)."""
    return _results_page(request, _form_from_get(request, page))


@route(router, "/search", permission="read", methods=("POST",), name="search_submit")
def search_submit(request: Request, q: str = Form(""), kind: str = Form(""), type: str = Form(""),
                  project: str = Form(""), batch: str = Form(""), stage: str = Form(""),
                  date_from: str = Form("", alias="from"), date_to: str = Form("", alias="to"),
                  open: str = Form(""), signed: str = Form(""), sort: str = Form("relevance"),
                  reason: str = Form("")) -> Response:
    """The search box: keep the words in the session, answer with a URL that does not contain them.

    A search by a full ID or phone number is a reveal: it is answered here,
    with its reason journaled, never through a URL that could be replayed.
    """
    form = read_form({"q": q, "kind": kind, "type": type, "project": project, "batch": batch, "stage": stage,
                      "from": date_from, "to": date_to, "open": open, "signed": signed, "sort": sort})
    if form.text and privacy.full_numbers_in(form.text):
        form.reason = privacy_bridge.check_reason(reason) if reason.strip() else ""
        return _results_page(request, form)
    who = caller(request)
    if form.text and who.web_session is not None:
        form.token = who.web_session.remember_text(form.text)
    url = "/search" + query_string(form.filters())
    if request.headers.get("hx-request") == "true":
        return _results_page(request, form, headers={"HX-Push-Url": url})
    return RedirectResponse(url, status_code=303)


@route(router, "/search/totals", permission="read", kind="partial")
def search_totals(request: Request) -> Response:
    """How many hits each kind has for the current words and filters (loaded after the results)."""
    form = _form_from_get(request, 1)
    session = session_of(request)
    web = web_state(request)
    totals: list[dict[str, Any]] = []
    if form.active:
        for kind, label in KINDS.items():
            q = replace(form, kind=kind).query(limit=1, offset=0)
            q.highlight = False
            r = web.search(session, q)
            totals.append({"kind": kind, "label": label, "total": r.total, "exact": r.total_exact})
    return page(request, "_totals.html", {"form": form, "totals": totals, "filters": form.filters()})


@route(router, "/search/export.xlsx", permission="read")
def search_export(request: Request) -> Response:
    """Every hit (up to 10,000) as a spreadsheet, masked; the export is journaled."""
    from docgen.search.export import export_results

    form = _form_from_get(request, 1)
    if not form.active:
        raise UsageError("请先输入检索词或选择筛选条件,再导出")
    session = session_of(request)
    results = web_state(request).search(session, form.query(limit=EXPORT_MAX, offset=0))
    shown = privacy_bridge.mask(form.text)

    def write(path: Path) -> int:  # journaled inside: an export that cannot be journaled leaves no file
        rows = export_results(results, path)
        privacy_bridge.record_export(session, "", f"检索结果「{shown}」" if shown else "检索结果", "网页:检索结果导出", rows)
        return rows

    tmp, _rows = temp_download("docgen-export-", ".xlsx", write)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M")
    return sent_once(tmp, f"检索结果-{stamp}.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
