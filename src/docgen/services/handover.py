"""Handover day (交房现场): move a unit through the counters, record defects as repairs, issue keys, count.

At the venue the owner passes the counters in order and staff move the unit
on with one action each: 已通知 → 已预约 → 已到场 → 已收房, or 拒收 / 整改中
when the inspection finds what the owner will not accept.  Each step is one
transaction on the batch file, based on the revision the tablet showed (two
counters acting on one unit never overwrite each other: the second is told
who moved it).  Two steps write two records at once, in the same
transaction:

- **accepting** (已收房) also records the handover on the dossier: its
  ``delivered_on`` (today) and its stage (交房), unless it has them already;
- **defects** found at inspection become repair tickets (报修单, channel 现场)
  in the dossier, and their ids are noted in the unit's defects.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from docgen.archive.records import build
from docgen.archive.revisions import check, stamp_batch, stamp_dossier
from docgen.errors import ConflictError, NotFoundError, UsageError, quote_input, show_input
from docgen.models import Batch, BatchUnit, RepairTicket
from docgen.services.dossiers import batch_ref
from docgen.session import Session
from docgen.units import parse_unit, unit_label

FLOW: dict[str, tuple[str, ...]] = {
    "待通知": ("已通知",),
    "已通知": ("已预约", "已到场"),
    "已预约": ("已到场",),
    "已到场": ("已收房", "整改中", "拒收"),
    "整改中": ("已收房", "拒收"),
    "拒收": ("整改中", "已收房"),
    "已收房": (),
}
"""From each status, where a unit may go next (the first is the usual step: the one-tap action)."""

ACTION_LABELS = {"已通知": "已通知业主", "已预约": "登记预约", "已到场": "业主到场", "已收房": "验收通过,收房",
                 "整改中": "需整改", "拒收": "业主拒收"}


@dataclass(frozen=True, slots=True)
class Counts:
    """Live counts of a batch: units by status, how many were handed over, the rate so far."""

    total: int
    by_status: dict[str, int]
    accepted: int
    attended: int
    keys: int

    @property
    def rate(self) -> float:
        """收房率: units handed over out of all units of the batch (0 for an empty batch)."""
        return self.accepted / self.total if self.total else 0.0

    @property
    def rate_text(self) -> str:
        """``37.5%``."""
        return f"{self.rate * 100:.1f}%"


def counts(batch: Batch) -> Counts:
    """How far a batch has got (已到场 counts everyone who came: arrived, handed over, refused or rectifying)."""
    by_status: dict[str, int] = {}
    for u in batch.units:
        by_status[u.status] = by_status.get(u.status, 0) + 1
    came = sum(by_status.get(s, 0) for s in ("已到场", "已收房", "整改中", "拒收"))
    return Counts(len(batch.units), by_status, by_status.get("已收房", 0), came, sum(1 for u in batch.units if u.keys_issued))


def _unit_code(unit: str) -> str:
    try:
        return parse_unit(unit).code
    except ValueError as exc:
        raise UsageError(str(exc)) from exc


def _entry(batch: Batch, code: str) -> BatchUnit:
    entry = next((u for u in batch.units if u.unit == code), None)
    if entry is None:
        raise NotFoundError(f"房号 {show_input(code)} 不在批次 {batch.project}/{batch.id} 中")
    return entry


def move_unit(session: Session, ref: str, unit: str, to: str, *, revision: int | None = None,
              appointment: dt.datetime | str | None = None, keys_issued: bool | None = None,
              note: str = "") -> BatchUnit:
    """Move one unit of a batch to status ``to`` (one of :data:`FLOW`'s next steps), in one transaction.

    ``appointment`` is required to book (已预约); ``note`` is added to the
    unit's defects for 整改中 / 拒收 (what must be fixed, why it was refused);
    ``keys_issued`` records the keys (钥匙已发放) with the step.  Accepting
    also records the handover on the dossier (see the module docstring).
    """
    project, batch_id = batch_ref(ref)
    session.require("handover", project)
    code = _unit_code(unit)
    if to not in ACTION_LABELS:
        raise UsageError(f"状态{quote_input(to)}无效,应为 {'、'.join(ACTION_LABELS)}")
    if to in ("整改中", "拒收") and not note.strip():
        raise UsageError("需整改或拒收时请写明问题或原因")
    archive = session.archive
    key = f"{project}/{code}"
    with archive.transaction("batch.unit", f"{project}/{batch_id}", f"交房现场:{code} → {to}") as tx:
        before = archive.batch(project, batch_id)
        batch = before.model_copy(deep=True)
        entry = _entry(batch, code)
        where = f"批次 {project}/{batch_id} 中的 {entry.unit}"
        check(entry, revision, where)
        if to not in FLOW.get(entry.status, ()):
            allowed = "、".join(FLOW.get(entry.status, ())) or "无(已收房)"
            raise ConflictError(f"{where} 现为「{entry.status}」,不能改为「{to}」(可改为:{allowed})")
        data: dict[str, Any] = entry.model_dump(mode="json")
        data["status"] = to
        if to == "已预约":
            if appointment in (None, ""):
                raise UsageError("登记预约须填写预约时间")
            data["appointment"] = appointment.isoformat() if isinstance(appointment, dt.datetime) else appointment
        if to == "已通知" and not entry.notice_sent_on:
            data["notice_sent_on"] = archive.today().isoformat()
        if keys_issued is not None:
            data["keys_issued"] = keys_issued
        if note.strip():
            data["defects"] = "；".join(x for x in (entry.defects, f"{to}:{note.strip()}") if x)
        new = build(BatchUnit, data, record=where)
        batch.units[batch.units.index(entry)] = new
        if to == "已收房":
            _record_handover(session, key, tx)
        stamp_batch(before, batch, archive.actor, archive.now())
        archive.save_batch(batch, tx, before=before, same_units=True)
        result = next(u for u in batch.units if u.unit == code)
    return result


def _record_handover(session: Session, key: str, tx: Any) -> None:
    """Note the handover on the dossier (delivered today, stage 交房) when it is not recorded yet."""
    archive = session.archive
    before = archive.dossier(key)
    if before.delivered_on is not None and before.stage != "签约":
        return
    d = archive.dossier(key)
    if d.delivered_on is None:
        d.delivered_on = archive.today()
    if d.stage == "签约":
        d.stage = "交房"
    stamp_dossier(before, d, archive.actor, archive.now())
    archive.save_dossier(d, tx, before=before)


def set_keys(session: Session, ref: str, unit: str, issued: bool, *, revision: int | None = None) -> BatchUnit:
    """Record that a unit's keys were issued (钥匙已发放), or take it back."""
    project, batch_id = batch_ref(ref)
    session.require("handover", project)
    code = _unit_code(unit)
    archive = session.archive
    word = "已发放钥匙" if issued else "撤销钥匙发放"
    with archive.edit_batch(project, batch_id, "batch.unit", f"交房现场:{code} {word}") as batch:
        entry = _entry(batch, code)
        check(entry, revision, f"批次 {project}/{batch_id} 中的 {entry.unit}")
        if issued and entry.status != "已收房":
            raise ConflictError(f"{unit_label(entry.unit)} 现为{entry.status},收房(已收房)后才能发放钥匙")
        entry.keys_issued = issued
    return _entry(batch, code)


def report_defects(session: Session, ref: str, unit: str, defects: Sequence[Mapping[str, str]], *,
                   revision: int | None = None, rectify: bool = False) -> tuple[BatchUnit, list[RepairTicket]]:
    """Turn defects found at inspection into repair tickets (报修单, 现场) and note them on the unit, in one transaction.

    Each defect names a ``component`` (the warranty table's, as a repair
    does), a ``description`` and optionally a ``location``; the tickets'
    经办人 is the user.  ``rectify`` also moves the unit to 整改中.
    """
    project, batch_id = batch_ref(ref)
    session.require("handover", project)
    session.require("cases", project)
    code = _unit_code(unit)
    items = [{k: str(v).strip() for k, v in d.items()} for d in defects if any(str(v).strip() for v in d.values())]
    if not items:
        raise UsageError("请至少填写一项问题(部位和描述)")
    archive = session.archive
    key = f"{project}/{code}"
    from docgen.archive.store import CASE_PREFIX

    with archive.transaction("handover.defects", key, f"交房验房问题转报修:{code}") as tx:
        before_batch = archive.batch(project, batch_id)
        batch = before_batch.model_copy(deep=True)
        entry = _entry(batch, code)
        where = f"批次 {project}/{batch_id} 中的 {entry.unit}"
        check(entry, revision, where)
        if rectify and "整改中" not in FLOW.get(entry.status, ()) and entry.status != "整改中":
            raise ConflictError(f"{where} 现为「{entry.status}」,不能改为「整改中」")
        before = archive.dossier(key)
        d = archive.dossier(key)
        today = archive.today()
        tickets: list[RepairTicket] = []
        for item in items:
            record_id = tx.next_id(CASE_PREFIX["repairs"], today.year)
            ticket = build(RepairTicket, {
                "id": record_id, "reported_on": today.isoformat(), "channel": "现场",
                "reported_by": d.owners[0].name if d.owners else "", "component": item.get("component", ""),
                "description": item.get("description", ""), "location": item.get("location", ""),
                "handled_by": session.user.name, "notes": f"交房验房发现(批次 {batch_id})",
            }, record=f"报修单 {record_id}")
            d.repairs.append(ticket)
            tickets.append(ticket)
        listed = "、".join(f"{t.component}({t.id})" for t in tickets)
        entry.defects = "；".join(x for x in (entry.defects, f"验房问题:{listed}") if x)
        if rectify:
            entry.status = "整改中"
        stamp_dossier(before, d, archive.actor, archive.now())
        archive.save_dossier(d, tx, before=before)
        stamp_batch(before_batch, batch, archive.actor, archive.now())
        archive.save_batch(batch, tx, before=before_batch, same_units=True)
        tx.summary = f"交房验房问题转报修:{code} {'、'.join(t.id for t in tickets)}"
    for t in tickets:
        archive.note_case(t.id, key)
    saved = archive.dossier(key)
    ids = {t.id for t in tickets}
    return _entry(batch, code), [r for r in saved.repairs if r.id in ids]
