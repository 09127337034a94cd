"""Handover day (交房现场) on a tablet: every unit of a batch with its owner, appointment, status and one next step.

Staff at the counters move a unit on with one tap as the owner passes them
(已通知 → 已预约 → 已到场 → 已收房, or 整改中 / 拒收 with what was found), turn
defects found at inspection into repair tickets on the spot, and record the
keys; the counts at the top (收房率 so far) refresh every few seconds.  Each
action is one call of :mod:`docgen.services.handover` based on the revision
the tablet showed: when another counter moved the unit first, the card says
who and shows the unit as it is now.  With htmx only the unit's card and the
counts are swapped; without JavaScript the forms post and come back to the page.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response

from docgen.errors import (
    ConflictError,
    DocgenError,
    NotFoundError,
    StaleEditError,
    UnsafePathError,
    show_input,
)
from docgen.models import Batch, BatchUnit
from docgen.privacy import mask_phone, mask_text
from docgen.services import handover
from docgen.units import check_safe_id, parse_unit, unit_label
from docgen.web.forms import form_errors, revision, text
from docgen.web.render import page, pager
from docgen.web.routing import route, session_of
from docgen.web.views.cases import _threaded
from docgen.web.views.common import page_number, project_code

router = APIRouter()
PER_PAGE = 40
STATUSES = ("待通知", "已通知", "已预约", "已到场", "整改中", "拒收", "已收房")


def _batch(request: Request, code: str, batch_id: str) -> tuple[str, Batch]:
    session = session_of(request)
    code = project_code(session, code)
    try:
        check_safe_id(batch_id, "批次编号")
    except UnsafePathError as exc:
        raise NotFoundError(f"批次 {show_input(batch_id)} 不存在") from exc
    return code, session.archive.batch(code, batch_id)


def _unit_card(request: Request, code: str, u: BatchUnit) -> dict[str, Any]:
    session = session_of(request)
    key = f"{code}/{u.unit}"
    try:
        d = session.archive.dossier(key)
        owner = d.owners[0]
        owners, phone = d.owner_names, mask_phone(owner.phone) if owner.phone else ""
        open_repairs = [r for r in d.repairs if r.status in ("已受理", "已核实", "维修中", "待验收")]
    except DocgenError:
        owners, phone, open_repairs = "(无档案)", "", []
    nexts = handover.FLOW.get(u.status, ())
    return {"u": u, "label": unit_label(u.unit), "key": key, "owners": owners, "phone": phone,
            "defects": mask_text(u.defects), "next": nexts, "labels": handover.ACTION_LABELS,
            "repairs": open_repairs}


def _components(request: Request) -> list[str]:
    rules, _ = session_of(request).workspace.rules()
    return rules.component_names()


def _context(request: Request, code: str, batch: Batch, **extra: Any) -> dict[str, Any]:
    return {"batch": batch, "code": code, "counts": handover.counts(batch), "statuses": STATUSES,
            "components": _components(request), "title": f"交房现场 · {batch.name}", **extra}


@route(router, "/projects/{code}/batches/{batch_id}/handover", permission="read")
def handover_page(request: Request, code: str, batch_id: str, status: str = Query(""), q: str = Query(""),
                  page_no: int = Query(1, alias="page", ge=1, le=10_000)) -> Response:
    """The venue page of a batch: live counts, each unit's owner (masked), appointment, status and next step."""
    code, batch = _batch(request, code, batch_id)
    units = [u for u in batch.units if not status or u.status == status]
    wanted = q.strip()
    if wanted:
        try:
            unit_code = parse_unit(wanted).code
            units = [u for u in units if u.unit == unit_code]
        except ValueError:
            units = [u for u in units if wanted in u.unit or wanted in unit_label(u.unit)]
    units.sort(key=lambda u: (u.appointment is None, u.appointment or 0, u.unit))
    paging = pager(len(units), page_number(page_no), PER_PAGE)
    cards = [_unit_card(request, code, u) for u in units[paging["offset"]: paging["offset"] + PER_PAGE]]
    return page(request, "handover.html", _context(request, code, batch, cards=cards, status=status, q=wanted,
                                                   pager=paging))


@route(router, "/projects/{code}/batches/{batch_id}/counts", permission="read", kind="partial")
def handover_counts(request: Request, code: str, batch_id: str) -> Response:
    """The batch's live counts (收房率 so far), refreshed by the venue page every few seconds."""
    code, batch = _batch(request, code, batch_id)
    return page(request, "_handover_counts.html", {"counts": handover.counts(batch), "batch": batch, "code": code})


def _answer(request: Request, code: str, batch_id: str, unit: str, *, error: DocgenError | None = None,
            status: int = 200) -> Response:
    """The unit's card (htmx, with the counts out of band) or back to the venue page."""
    if request.headers.get("hx-request") != "true":
        if error is not None:
            code, batch = _batch(request, code, batch_id)
            cards = [_unit_card(request, code, u) for u in batch.units if u.unit == parse_unit(unit).code]
            errors = form_errors(error)
            return page(request, "handover.html", _context(request, code, batch, cards=cards, status="", q=unit,
                                                           pager=pager(len(cards), 1, PER_PAGE), card_errors=errors,
                                                           stale=isinstance(error, StaleEditError)), status=status)
        return RedirectResponse(f"/projects/{code}/batches/{batch_id}/handover#u-{parse_unit(unit).code}",
                                status_code=303)
    code, batch = _batch(request, code, batch_id)
    entry = next((u for u in batch.units if u.unit == parse_unit(unit).code), None)
    if entry is None:
        raise NotFoundError(f"房号 {show_input(unit)} 不在批次中")
    context = _context(request, code, batch, card=_unit_card(request, code, entry), oob=True,
                       card_errors=form_errors(error) if error is not None else None,
                       stale=isinstance(error, StaleEditError))
    return page(request, "_handover_unit.html", context, status=status)


def _unit_code(unit: str) -> str:
    try:
        return parse_unit(unit).code
    except ValueError as exc:
        raise NotFoundError(f"房号 {show_input(unit)} 不存在") from exc


@route(router, "/projects/{code}/batches/{batch_id}/units/{unit}", permission="handover", methods=("POST",))
async def unit_move(request: Request, code: str, batch_id: str, unit: str) -> Response:
    """Move a unit to its next status (one tap), with an appointment, the keys or what was found, as needed."""
    form = await request.form()

    def act() -> Response:
        session = session_of(request)
        project, batch = _batch(request, code, batch_id)
        unit_code = _unit_code(unit)
        keys = text(form, "keys_issued")
        try:
            handover.move_unit(session, f"{project}/{batch.id}", unit_code, text(form, "to"), revision=revision(form),
                               appointment=text(form, "appointment") or None,
                               keys_issued=True if keys in ("1", "on", "true") else None, note=text(form, "note", 500))
        except DocgenError as exc:
            return _answer(request, project, batch.id, unit_code, error=exc,
                           status=409 if isinstance(exc, StaleEditError) or "不能改为" in str(exc) else 400)
        return _answer(request, project, batch.id, unit_code)

    return await _threaded(request, act)


@route(router, "/projects/{code}/batches/{batch_id}/units/{unit}/keys", permission="handover", methods=("POST",))
async def unit_keys(request: Request, code: str, batch_id: str, unit: str) -> Response:
    """Record that the unit's keys were issued (or take it back)."""
    form = await request.form()

    def act() -> Response:
        session = session_of(request)
        project, batch = _batch(request, code, batch_id)
        unit_code = _unit_code(unit)
        try:
            handover.set_keys(session, f"{project}/{batch.id}", unit_code, text(form, "issued") != "0",
                              revision=revision(form))
        except DocgenError as exc:
            return _answer(request, project, batch.id, unit_code, error=exc,
                           status=409 if isinstance(exc, ConflictError) else 400)
        return _answer(request, project, batch.id, unit_code)

    return await _threaded(request, act)


@route(router, "/projects/{code}/batches/{batch_id}/units/{unit}/defects", permission="handover", methods=("POST",))
async def unit_defects(request: Request, code: str, batch_id: str, unit: str) -> Response:
    """Turn the defects found at inspection into repair tickets of the dossier (and, if asked, 整改中)."""
    form = await request.form()

    def act() -> Response:
        session = session_of(request)
        project, batch = _batch(request, code, batch_id)
        unit_code = _unit_code(unit)
        defects = [{"component": text(form, f"component-{i}", 100), "description": text(form, f"description-{i}"),
                    "location": text(form, f"location-{i}", 100)} for i in range(5)]
        try:
            handover.report_defects(session, f"{project}/{batch.id}", unit_code, defects, revision=revision(form),
                                    rectify=text(form, "rectify") in ("1", "on", "true"))
        except DocgenError as exc:
            return _answer(request, project, batch.id, unit_code, error=exc,
                           status=409 if isinstance(exc, StaleEditError) else 400)
        return _answer(request, project, batch.id, unit_code)

    return await _threaded(request, act)
