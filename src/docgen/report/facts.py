"""The one pass over the archive that every figure and every "list behind a number" is made from.

:func:`walk` streams the dossiers of the projects in scope (one in memory at a
time) and turns each record into an :class:`Event`: its kind (``repairs``,
``complaints`` …), the values it is counted by (``dims``: building, 户型,
component, state, "overdue now" …, all strings), the day that places it in a
period, and its measures (days to respond, an amount).  The figures
(:mod:`.figures`) add events up; a drill-down (:mod:`.drill`) keeps the events
whose ``dims`` match a figure's filter.  Because both read the same events, a
number and the list behind it cannot disagree.

What each dimension means (docs/report.md has the whole table):

- ``building`` is the 楼栋 code of the room (``03``); ``layout`` the 户型 code
  from the 楼盘表 (empty when the project has no table or the room is not in it);
- a repair's ``state`` is ``open`` (已受理 … 待验收), ``closed`` (已完成 / 已关闭) or
  ``refused`` (不予维修); ``overdue`` is ``1`` for an open repair older than the
  completion deadline *today*; ``response`` / ``completion`` are ``ontime``,
  ``late`` or, while not done, ``pending`` / ``overdue`` against the rules'
  deadlines (the audit's ``TIME.REPAIR_*`` definitions);
- a case's ``revisit`` is ``done`` (a completed revisit inside the window the
  rules give after completion or closure), ``missed`` (the window has passed
  without one) or ``waiting``;
- ``revisit_slots`` are the periodic revisits due every N months after
  delivery: each slot is ``done`` when a completed revisit falls in the N
  months up to it.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from docgen.audit.checks import add_months
from docgen.audit.rules import Deadlines, Rules
from docgen.errors import DocgenError, UsageError
from docgen.models import Batch, Dossier, Project
from docgen.report.deadlines import REGISTRATION_DUE, RegistrationDue
from docgen.units import unit_label
from docgen.vocab import REPAIR_OPEN

if TYPE_CHECKING:
    from docgen.archive import Archive

KINDS: dict[str, str] = {
    "dossiers": "业主档案",
    "batch_units": "交房批次中的房间",
    "repairs": "报修单",
    "complaints": "投诉",
    "revisits": "回访",
    "revisit_slots": "应做的定期回访",
    "settlements": "第三方维修结算",
}
DONE_REPAIR = ("已完成", "已关闭")
ATTENDED = ("已到场", "已收房", "拒收", "整改中")
BOOKED = ("已预约", *ATTENDED)
NO_CONTRACTOR = "(未指派)"
NO_CAUSE = "(未核实)"
NO_LAYOUT = ""


FIRST_YEAR = 1990
"""No period of the figures starts before this year: the department keeps no record of a house sold earlier."""
YEARS_AHEAD = 1
"""…nor ends more than this many years after today: a period far in the future is a typing error (9999-12-31)."""
BATCH_NEEDS_PROJECT = "按批次统计须先选择项目(批次编号只在一个项目内有效)"


def period_range(today: dt.date) -> tuple[dt.date, dt.date]:
    """The days a period of the figures (or a drill-down's day) may name, judged on ``today``."""
    return dt.date(FIRST_YEAR, 1, 1), dt.date(today.year + YEARS_AHEAD, 12, 31)


def check_period_day(day: dt.date | None, label: str, today: dt.date) -> None:
    """UsageError when ``day`` (labelled ``label``: 开始日期, 截至该日已收房) lies outside :func:`period_range`."""
    if day is None:
        return
    first, last = period_range(today)
    if not first <= day <= last:
        raise UsageError(f"{label} {day} 超出可统计的范围:应在 {first} 至 {last} 之间")


@dataclass(frozen=True, slots=True)
class Filters:
    """Which records the figures cover: a project, a batch, a period; and the day "now" is judged on."""

    project: str | None = None
    batch: str | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    today: dt.date | None = None

    def check(self, today: dt.date | None = None, ask_project: str = "") -> None:
        """UsageError for a period outside :func:`period_range`, one that ends before it starts, a batch without its project.

        ``today`` bounds the period (default: :attr:`today`, else the real
        date); ``ask_project`` is the caller's clause saying how its user
        chooses the project (the CLI's flag, the dashboard's list), appended
        to the one message so that it reads right in either.
        """
        day = today or self.today or dt.date.today()
        check_period_day(self.date_from, "开始日期", day)
        check_period_day(self.date_to, "结束日期", day)
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise UsageError(f"开始日期 {self.date_from} 晚于结束日期 {self.date_to}")
        if self.batch is not None and self.project is None:
            raise UsageError(BATCH_NEEDS_PROJECT + (f";{ask_project}" if ask_project else ""))

    def within(self, day: dt.date | None) -> bool:
        """True if ``day`` lies in the period (a record without a day is in every period)."""
        if day is None:
            return True
        return (self.date_from is None or day >= self.date_from) and (self.date_to is None or day <= self.date_to)

    def describe(self) -> str:
        """``项目 HXSZ、批次 B01、2026-01-01 至 2026-06-30`` (empty: the whole archive)."""
        parts = []
        if self.project:
            parts.append(f"项目 {self.project}")
        if self.batch:
            parts.append(f"批次 {self.batch}")
        if self.date_from or self.date_to:
            parts.append(f"{self.date_from or '最早'} 至 {self.date_to or '今天'}")
        return "、".join(parts)


def _typed(text: str) -> str:
    """Free text people typed, as a group label: personal numbers masked (the figures are not a reveal).

    Masked here, where the events are made, so that a label, the number's
    drill-down query and the list behind it all carry the same masked text
    and no full number ends up in a link.
    """
    if not text or not any(ch.isdigit() for ch in text):
        return text
    from docgen.privacy import mask_text

    return mask_text(text)


@dataclass(slots=True)
class Event:
    """One record as the figures count it."""

    kind: str
    project: str
    dims: dict[str, str]
    day: dt.date | None
    ref: str
    """The record's id (a case), or the dossier key (a dossier, a batch unit, a revisit slot)."""
    key: str
    """The dossier key it belongs to."""
    m: dict[str, Any] = field(default_factory=dict)
    """Measures: days, amounts, counts."""
    title: str = ""
    """One line for a list (what a drill-down shows)."""


@dataclass(frozen=True, slots=True)
class BatchHead:
    """A handover batch without its rooms: what the figures show about the batch itself."""

    id: str
    project: str
    name: str
    window_start: dt.date
    window_end: dt.date
    fallback_end: dt.date | None

    @classmethod
    def of(cls, b: Batch) -> BatchHead:
        """The head of a batch record."""
        return cls(b.id, b.project, b.name, b.window_start, b.window_end, b.fallback_end)


@dataclass
class ProjectView:
    """What a project's records are judged against: the project, its 楼盘表, its deadlines, its batches."""

    code: str
    name: str
    units: dict[str, str]
    """房号 → 户型 code, from the 楼盘表."""
    names: dict[str, str]
    """户型 code → 户型名称."""
    has_table: bool
    deadlines: Deadlines
    batches: list[BatchHead]

    def layout(self, unit: str) -> str:
        """The 户型 code of a room (empty when the 楼盘表 does not know it)."""
        return self.units.get(unit, NO_LAYOUT)

    def layout_label(self, code: str) -> str:
        """``A1 三室两厅两卫`` (or ``未录入楼盘表`` for the empty code)."""
        if not code:
            return "未录入楼盘表" if not self.has_table else "楼盘表中无此房号"
        return f"{code} {self.names.get(code, '')}".strip()


def building_label(code: str) -> str:
    """``03`` → ``3栋``."""
    return f"{code.lstrip('0') or '0'}栋"


def quarter(day: dt.date) -> str:
    """``2026Q1``."""
    return f"{day.year}Q{(day.month - 1) // 3 + 1}"


def _date_of(appointment: dt.datetime | None) -> dt.date | None:
    return appointment.date() if appointment is not None else None


def defect_items(text: str) -> int:
    """How many defects an inspection note lists (``主卧墙面有裂缝;厨房窗户密封条脱落`` → 2)."""
    import re

    return len([p for p in re.split(r"[;；、,,\n]+", text) if p.strip()]) if text.strip() else 0


class Walker:
    """Streams the archive once and yields events; the same walk serves the figures and the drill-downs."""

    def __init__(self, archive: Archive, codes: Sequence[str], filters: Filters, today: dt.date,
                 rules: Rules, *, kinds: frozenset[str] | None = None, titles: bool = False,
                 registration_due: RegistrationDue = REGISTRATION_DUE) -> None:
        self.archive = archive
        self.codes = list(codes)
        self.filters = filters
        self.today = today
        self.rules = rules
        self.kinds = kinds
        self.titles = titles
        """Write each event's one-line title (a drill-down lists them; the figures do not need them)."""
        self.registration_due = registration_due
        self.views: dict[str, ProjectView] = {}
        self.unreadable: list[str] = []
        self.dossiers = 0
        self.end = min(filters.date_to, today) if filters.date_to else today
        """The last day of the period (today when the period is open-ended)."""

    def wants(self, kind: str) -> bool:
        """True if events of ``kind`` are wanted."""
        return self.kinds is None or kind in self.kinds

    def view(self, code: str) -> ProjectView:
        """The project's view (read once per walk)."""
        view = self.views.get(code)
        if view is None:
            archive = self.archive
            try:
                project: Project | None = archive.project(code)
            except DocgenError:
                project = None
            table = archive.unit_table(code)
            units = {u.unit: u.layout for u in table.units} if table is not None else {}
            names: dict[str, str] = {}
            for u in table.units if table is not None else ():
                if u.layout_name:
                    names.setdefault(u.layout, u.layout_name)
            batches = []
            for batch_id in archive.batch_ids(code):
                if self.filters.batch and batch_id != self.filters.batch:
                    continue
                try:
                    batches.append(BatchHead.of(archive.batch(code, batch_id)))  # rooms are read again when walked
                except DocgenError:
                    self.unreadable.append(f"{code}/{batch_id}")
            view = ProjectView(code, project.name if project else code, units, names, table is not None,
                               self.rules.deadlines_for(code), batches)
            self.views[code] = view
        return view

    def batch_in_period(self, b: BatchHead) -> bool:
        """A batch counts in a period when its window overlaps it."""
        f = self.filters
        return (f.date_to is None or b.window_start <= f.date_to) and (f.date_from is None or b.window_end >= f.date_from)

    # -- the pass ----------------------------------------------------------------------------
    def events(self) -> Iterator[Event]:
        """Every event of the projects in scope, project by project, dossier by dossier."""
        from docgen.archive.store import UnreadableRecord

        for code in self.codes:
            view = self.view(code)
            # the rooms of the project's batches, kept small while the dossiers stream past: they need each
            # household's 交房日期 (the day it was accepted); a Batch record of 20,000 rooms is ~20 MB of objects
            batch_units: dict[str, list[Any]] = {}
            if self.wants("batch_units"):
                for b in view.batches:
                    if self.batch_in_period(b):
                        for u in self.archive.batch(code, b.id).units:
                            batch_units[u.unit] = [b, u.status, bool(u.notice_sent_on), _date_of(u.appointment),
                                                   u.defects if (self.titles or u.defects) else "", None]
            for item in self.archive.scan_dossiers(code):
                if isinstance(item, UnreadableRecord):
                    self.unreadable.append(item.key)
                    continue
                if self.filters.batch and item.batch != self.filters.batch:
                    continue
                self.dossiers += 1
                room = batch_units.get(item.unit)
                if room is not None:
                    room[5] = item.delivered_on
                yield from self.dossier_events(view, item)
            for unit, room in batch_units.items():
                yield self.batch_unit_event(view, unit, *room)

    def dossier_events(self, view: ProjectView, d: Dossier) -> Iterator[Event]:
        """The events of one dossier: the household, its revisit slots, repairs, complaints, revisits, settlements."""
        today, f, dl = self.today, self.filters, view.deadlines
        building = d.unit.split("-", 1)[0]
        base = {"project": d.project, "batch": d.batch or "", "building": building, "unit": d.unit,
                "layout": view.layout(d.unit)}
        done_visits = sorted(v.date for v in d.revisits if v.status == "已完成")
        t = self.titles
        label = d.unit_label if t else ""
        delivered = d.delivered_on if d.delivered_on is not None and d.delivered_on <= today else None

        if self.wants("dossiers"):
            due = self.registration_due(d, dl)
            cert_days = (d.certified_on - d.delivered_on).days if (
                d.certificate_status == "已办结" and d.certified_on and d.delivered_on) else None
            dims = {**base, "stage": d.stage, "delivered": "1" if delivered and delivered <= self.end else "",
                    "in_period": "1" if delivered and f.within(delivered) else "",
                    "cert": d.certificate_status,
                    "cert_overdue": "1" if due is not None and today > due else "",
                    "cert_due30": "1" if due is not None and today <= due <= today + dt.timedelta(days=30) else ""}
            yield Event("dossiers", d.project, dims, d.delivered_on, d.key, d.key,
                        {"cert_days": cert_days, "due": due},
                        f"{label} {d.stage} 产权证{d.certificate_status}" + (f",应于 {due} 前办结" if due else "") if t else "")

        if self.wants("revisit_slots") and delivered is not None:
            months = dl.revisit_interval_months
            k = 1
            while True:
                slot = add_months(delivered, months * k)
                if slot > self.end:
                    break
                if f.within(slot):
                    start = add_months(delivered, months * (k - 1))
                    i = bisect.bisect_right(done_visits, start)
                    done = i < len(done_visits) and done_visits[i] <= slot
                    yield Event("revisit_slots", d.project, {**base, "done": "1" if done else ""}, slot, d.key,
                                d.key, {}, f"{label} 第 {k} 次定期回访(应于 {slot} 前){'已做' if done else '未做'}" if t else "")
                k += 1

        owners: dict[str, tuple[str, str]] = {}  # case id -> (kind, person) for "satisfaction after their cases"
        if self.wants("repairs") or self.wants("revisits") or self.wants("settlements"):
            repairs = {r.id: r for r in d.repairs}
            for r in d.repairs:
                owners[r.id] = ("repair", r.handled_by)
                if not self.wants("repairs") or not f.within(r.reported_on):
                    continue
                yield self._repair(d, r, base, dl, done_visits, label)
        else:
            repairs = {}
        for c in d.complaints:
            owners[c.id] = ("complaint", c.first_responder)
            if self.wants("complaints") and f.within(c.received_on):
                yield self._complaint(d, c, base, dl, done_visits, label)
        if self.wants("revisits"):
            for v in d.revisits:
                if not f.within(v.date):
                    continue
                kind, person = owners.get(v.related or "", ("", ""))
                dims = {**base, "reason": v.reason, "status": v.status, "satisfaction": v.satisfaction or "",
                        "by": v.by, "quarter": quarter(v.date), "case_owner": person, "related_kind": kind,
                        "planned_overdue": "1" if v.status == "待回访" and v.date < today else ""}
                yield Event("revisits", d.project, dims, v.date, v.id, d.key, {},
                            f"{label} {v.reason} {v.status} {v.satisfaction or ''}".strip() if t else "")
        if self.wants("settlements"):
            for s in d.settlements:
                if not f.within(s.created_on):
                    continue
                first = next((repairs[x] for x in s.repair_ids if x in repairs), None)
                counted = s.status in ("已审批", "已付款")
                dims = {**base, "contractor": _typed(s.contractor) or NO_CONTRACTOR,
                        "chargeback_to": _typed(s.chargeback_to) or NO_CONTRACTOR,
                        "component": _typed(first.component) if first else "(无报修单)",
                        "cause": _typed(first.verified_cause or NO_CAUSE) if first else NO_CAUSE,
                        "status": s.status, "counted": "1" if counted else "",
                        "pending": "1" if s.status in ("草稿", "审批中") else ""}
                yield Event("settlements", d.project, dims, s.created_on, s.id, d.key,
                            {"approved": s.approved_total, "chargeback": s.chargeback},
                            f"{label} {s.contractor} 审定 {s.approved_total} 元 {s.status}" if t else "")

    def _repair(self, d: Dossier, r: Any, base: dict[str, str], dl: Deadlines, visits: list[dt.date],
                label: str) -> Event:
        today = self.today
        state = "refused" if r.status == "不予维修" else "open" if r.status in REPAIR_OPEN else "closed"
        done = r.completed_on or (r.closed_on if r.status in DONE_REPAIR else None)
        responded = r.responded_on or done
        response_days = (responded - r.reported_on).days if responded else None
        completion_days = (done - r.reported_on).days if done else None
        age = (today - r.reported_on).days
        if state == "refused":
            response = completion = revisit = ""
        else:
            response = ("late" if response_days > dl.repair_response_days else "ontime") if response_days is not None \
                else ("overdue" if age > dl.repair_response_days else "pending")
            completion = ("late" if completion_days > dl.repair_completion_days else "ontime") \
                if completion_days is not None else ("overdue" if age > dl.repair_completion_days else "pending")
            revisit = _revisit_state(done, dl.revisit_after_repair_days, visits, today)
        row = self.rules.warranty_for(r.warranty_category, r.component)
        dims = {**base, "component": _typed(r.component), "category": row.component if row else "(不在保修期表中)",
                "contractor": _typed(r.contractor) or NO_CONTRACTOR, "state": state,
                "warranty": "是" if r.in_warranty else "否" if r.in_warranty is False else "未判定",
                "response": response, "completion": completion,
                "overdue": "1" if state == "open" and age > dl.repair_completion_days else "",
                "compensated": "1" if r.compensation else "", "handler": r.handled_by,
                "cause": _typed(r.verified_cause) or NO_CAUSE, "revisit": revisit, "month": r.reported_on.strftime("%Y-%m")}
        return Event("repairs", d.project, dims, r.reported_on, r.id, d.key,
                     {"response_days": response_days, "completion_days": completion_days,
                      "compensation": r.compensation or Decimal(0)},
                     f"{label} {r.component} {r.status}({r.reported_on} 报修)" if self.titles else "")

    def _complaint(self, d: Dossier, c: Any, base: dict[str, str], dl: Deadlines, visits: list[dt.date],
                   label: str) -> Event:
        today = self.today
        closed = c.status == "已关闭"
        close_days = (c.closed_on - c.received_on).days if closed and c.closed_on else None
        dims = {**base, "category": c.category, "state": "closed" if closed else "open",
                "overdue": "1" if not closed and (today - c.received_on).days > dl.complaint_closure_days else "",
                "responder": c.first_responder,
                "on_time": "1" if close_days is not None and close_days <= dl.complaint_closure_days else "",
                "revisit": _revisit_state(c.closed_on if closed else None, dl.revisit_after_complaint_days, visits,
                                          today),
                "month": c.received_on.strftime("%Y-%m")}
        return Event("complaints", d.project, dims, c.received_on, c.id, d.key, {"close_days": close_days},
                     f"{label} {c.category} {c.status}({c.received_on} 受理,首问 {c.first_responder})" if self.titles
                     else "")

    def batch_unit_event(self, view: ProjectView, unit: str, b: BatchHead, status: str, noticed: bool,
                         appointment: dt.date | None, defects: str, delivered_on: dt.date | None) -> Event:
        """A room of a handover batch: how far it got (notified → booked → attended → accepted)."""
        accepted_on = None
        if status == "已收房":
            accepted_on = delivered_on or appointment or b.window_end
        dims = {"project": b.project, "batch": b.id, "building": unit.split("-", 1)[0], "unit": unit,
                "layout": view.layout(unit), "status": status,
                "notified": "1" if status != "待通知" or noticed else "",
                "booked": "1" if status in BOOKED or appointment is not None else "",
                "attended": "1" if status in ATTENDED else "",
                "accepted": "1" if status == "已收房" else "",
                "rejected": "1" if status == "拒收" else "", "rectifying": "1" if status == "整改中" else "",
                "defects": "1" if defects.strip() else ""}
        return Event("batch_units", b.project, dims, None, f"{b.project}/{unit}", f"{b.project}/{unit}",
                     {"accepted_on": accepted_on, "defect_items": defect_items(defects)},
                     f"{unit_label(unit)} {status}" + (f"(验房问题:{defects})" if defects else "") if self.titles
                     else "")


def _revisit_state(done: dt.date | None, days: int, visits: list[dt.date], today: dt.date) -> str:
    """``done`` / ``missed`` / ``waiting`` for the revisit due within ``days`` after ``done`` ("" if nothing is due)."""
    if done is None:
        return ""
    due = done + dt.timedelta(days=days)
    i = bisect.bisect_left(visits, done)
    if i < len(visits) and visits[i] <= due:
        return "done"
    return "missed" if today > due else "waiting"
