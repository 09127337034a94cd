"""Projects and handover batches: the project's documents (permits, filings), its batches, units by status."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from docgen.errors import DocgenError, NotFoundError, UnsafePathError, show_input
from docgen.present import batch_view, project_view
from docgen.units import check_safe_id
from docgen.web import privacy_bridge
from docgen.web.render import page, pager
from docgen.web.routing import route, session_of, web_state
from docgen.web.views.common import page_number, project_code

router = APIRouter()
DOSSIERS_PER_PAGE = 50


@route(router, "/projects", permission="read")
def project_list(request: Request) -> Response:
    """The projects the user may see, with their batches."""
    session = session_of(request)
    archive = session.archive
    rows = []
    for code in session.visible(archive.project_codes()):
        try:
            p = archive.project(code)
        except DocgenError:
            rows.append({"code": code, "name": "(项目文件无法读取)", "batches": [], "city": ""})
            continue
        rows.append({"code": code, "name": p.name, "city": p.city, "batches": archive.batch_ids(code)})
    return page(request, "projects.html", {"projects": rows, "title": "项目"})


@route(router, "/projects/{code}", permission="read")
def project_page(request: Request, code: str, page_no: int = Query(1, alias="page", ge=1, le=100_000)) -> Response:
    """One project: developer and phases, its documents, its batches, its dossiers (a page at a time)."""
    session = session_of(request)
    code = project_code(session, code)
    archive = session.archive
    project = archive.project(code)
    view = project_view(project)
    web_state(request).note_documents(code, project.documents)
    batches: list[dict[str, Any]] = []
    for batch_id in archive.batch_ids(code):
        try:
            b = archive.batch(code, batch_id)
        except DocgenError:  # one broken batch file must not hide the project, its other batches and dossiers
            batches.append({"id": batch_id, "unreadable": True})
            continue
        bv = batch_view(b)
        batches.append({"id": b.id, "name": b.name, "window_start": b.window_start, "window_end": b.window_end,
                        "venue": b.venue, "units": len(b.units), "counts": bv["counts"], "unreadable": False})
    keys = list(archive.dossier_keys(code))
    paging = pager(len(keys), page_number(page_no), DOSSIERS_PER_PAGE)
    dossiers: list[dict[str, Any]] = []
    for key in keys[paging["offset"]: paging["offset"] + DOSSIERS_PER_PAGE]:
        try:
            d = archive.dossier(key)
        except DocgenError:
            dossiers.append({"key": key, "unit": key.split("/")[1], "unreadable": True})
            continue
        dossiers.append({"key": key, "unit": d.unit, "owners": d.owner_names, "stage": d.stage,
                         "batch": d.batch or "", "documents": len(d.documents), "unreadable": False})
    return page(request, "project.html", {"p": view, "project": project, "batches": batches, "dossiers": dossiers,
                                          "pager": paging, "title": f"{project.name}({code})"})


@route(router, "/projects/{code}/batches/{batch_id}", permission="read")
def batch_page(request: Request, code: str, batch_id: str) -> Response:
    """One handover batch: its window and venue, and every unit's status with its owners."""
    session = session_of(request)
    code = project_code(session, code)
    try:
        check_safe_id(batch_id, "批次编号")
    except UnsafePathError as exc:
        raise NotFoundError(f"批次 {show_input(batch_id)} 不存在") from exc
    archive = session.archive
    batch = archive.batch(code, batch_id)
    view = batch_view(batch)
    units = []
    for u in view["units"]:
        key = f"{code}/{u['unit']}"
        try:
            d = archive.dossier(key)
            owners, stage = d.owner_names, str(d.stage)
        except DocgenError:
            owners, stage = "(无档案)", ""
        units.append({**u, "key": key, "owners": owners, "stage": stage,
                      "defects": privacy_bridge.mask(u.get("defects") or "")})
    return page(request, "batch.html", {"b": view, "batch": batch, "code": code, "units": units,
                                        "title": f"{batch.name}({code}/{batch.id})"})
