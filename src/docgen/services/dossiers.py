"""Dossiers (业主档案), projects and handover batches: create and edit them as one user.

``set_dossier_fields`` and ``update_batch_unit`` take ``field=value`` strings
(what a terminal or a form sends); the model turns them into dates, decimals
and booleans when the record is validated again, so the type rules live in one
place.  Each edit is read, changed and written in one transaction and may name
the revision it was based on (a web form always does).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from docgen.archive.edit import apply_assignments
from docgen.archive.records import build
from docgen.archive.revisions import REVISION_FIELDS, check
from docgen.certificates.numbers import number_key, refuse_taken_certificate
from docgen.errors import NotFoundError, UsageError, quote_input, show_input
from docgen.models import Batch, BatchUnit, Dossier, Phase, Project
from docgen.services.cases import dossier_key
from docgen.session import Session
from docgen.units import parse_unit

_PROTECTED_EXTRA = set(REVISION_FIELDS)


def batch_ref(ref: str) -> tuple[str, str]:
    """``HXSZ/B01`` → (``HXSZ``, ``B01``); a UsageError explains the form otherwise."""
    if ref.count("/") != 1:
        raise UsageError(f"批次{quote_input(ref)}应写成 项目/批次编号,如 HXSZ/B01")
    project, batch_id = ref.split("/")
    return project.strip().upper(), batch_id.strip()


# -- projects ------------------------------------------------------------------------
def new_project(session: Session, code: str, *, name: str, developer: Mapping[str, str],
                city: str = "", address: str = "", phases: Sequence[Mapping[str, Any]] = ()) -> Project:
    """Create a project with its developer and phases (``phases``: name and buildings)."""
    session.require("edit")
    project = build(Project, {"code": code.strip().upper(), "name": name, "city": city, "address": address,
                              "developer": dict(developer), "phases": [Phase.model_validate(p) for p in phases]})
    session.archive.new_project(project)
    return project


# -- dossiers ---------------------------------------------------------------------------
def new_dossier(session: Session, key: str, *, owners: Sequence[Mapping[str, str]], contract_no: str = "",
                filing_no: str = "", signed_on: dt.date | None = None,
                delivery_due: dt.date | None = None, **fields: Any) -> Dossier:
    """Create a household's dossier (一户一档): the owners first (主购人, then 共有人)."""
    key = dossier_key(session, key)
    session.require("edit")
    project, unit = key.split("/")
    dossier = build(Dossier, {"project": project, "unit": unit, "owners": [dict(o) for o in owners],
                              "contract_no": contract_no, "filing_no": filing_no, "signed_on": signed_on,
                              "contract_date": signed_on, "delivery_due": delivery_due, **fields}, key)
    session.archive.new_dossier(dossier)
    return dossier


def set_dossier_fields(session: Session, key: str, assignments: Mapping[str, str], *,
                       revision: int | None = None) -> Dossier:
    """Set dossier fields from ``field=value`` strings (``stage=交房``, ``owners[0].phone=…``) in one transaction."""
    key = dossier_key(session, key)
    session.require("edit")
    if not assignments:
        raise UsageError("请给出要修改的字段,如 stage=交房")
    summary = "修改 " + "、".join(assignments)
    with session.archive.edit_dossier(key, "dossier.set", summary) as (d, _tx):
        check(d, revision, f"档案 {key}({d.unit_label})")
        data = d.model_dump(mode="json")
        from docgen.archive.edit import PROTECTED

        apply_assignments(data, dict(assignments), protected=PROTECTED | _PROTECTED_EXTRA)
        new = build(Dossier, data, record=f"档案 {key}({d.unit_label})")
        if new.certificate_no.strip() and number_key(new.certificate_no) != number_key(d.certificate_no):
            # one 不动产权证号 belongs to one household, however it is recorded (docgen.certificates.numbers)
            refuse_taken_certificate(session.archive, new.certificate_no, d.project, d.unit, session.user.sees)
        for name in Dossier.model_fields:
            setattr(d, name, getattr(new, name))
        return d


# -- batches ----------------------------------------------------------------------------
def new_batch(session: Session, ref: str, *, name: str, start: dt.date, end: dt.date, venue: str,
              units: Iterable[str] = (), buildings: Iterable[str] = (), commander: str = "",
              **fields: Any) -> Batch:
    """Create a handover batch (交房批次) from listed units and/or every dossier of some buildings."""
    project_code, batch_id = batch_ref(ref)
    session.require("handover", project_code)
    codes: list[str] = []
    try:
        for spec in units:
            codes += [parse_unit(u).code for u in str(spec).replace(",", ",").split(",") if u.strip()]
        wanted_buildings = [parse_unit(f"{b}-1-101").building for b in buildings]
    except ValueError as exc:
        raise UsageError(str(exc)) from exc
    if wanted_buildings:
        for key in session.archive.dossier_keys(project_code):
            unit = key.split("/")[1]
            if unit.split("-")[0] in wanted_buildings:
                codes.append(unit)
    batch = build(Batch, {"id": batch_id, "project": project_code, "name": name, "window_start": start,
                          "window_end": end, "venue": venue, "commander": commander,
                          "buildings": list(buildings), "units": [{"unit": c} for c in dict.fromkeys(codes)],
                          **fields}, record=f"交房批次 {project_code}/{batch_id}")
    session.archive.new_batch(batch)
    return batch


def update_batch_unit(session: Session, ref: str, unit: str, assignments: Mapping[str, str], *,
                      revision: int | None = None) -> BatchUnit:
    """Change one unit of a batch (``status=已预约``, ``appointment=2026-06-18T09:30`` …) in one transaction."""
    project_code, batch_id = batch_ref(ref)
    session.require("handover", project_code)
    try:
        code = parse_unit(unit).code
    except ValueError as exc:
        raise UsageError(str(exc)) from exc
    if not assignments:
        raise UsageError("请给出要修改的字段,如 status=已预约")
    with session.archive.edit_batch(project_code, batch_id, "batch.unit", f"更新批次 {ref} 中 {code}") as b:
        entry = next((u for u in b.units if u.unit == code), None)
        if entry is None:
            raise NotFoundError(f"房号 {show_input(code)} 不在批次 {project_code}/{batch_id} 中")
        check(entry, revision, f"批次 {project_code}/{batch_id} 中的 {entry.unit}")
        data = entry.model_dump(mode="json")
        apply_assignments(data, dict(assignments), protected={"unit"} | _PROTECTED_EXTRA)
        new = build(BatchUnit, data, record=f"批次 {project_code}/{batch_id} 中的 {code}")
        b.units[b.units.index(entry)] = new
    return new
