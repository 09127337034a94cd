"""Work lists (我的工作): each user's open cases, what is overdue, revisits due this week, sheets to sign.

A clerk starts the day with a list, not a search: the repairs and complaints
they own (首问责任制), overdue first by the deadlines of the rules
(``rules.json`` ``deadlines``: response, completion, closure), the revisits
due this week (planned ones, and the ones the rules owe after a closed
complaint or a finished repair), and the settlements waiting for their
signature on the countersign chain.

Finding these means looking at every case of every dossier; reading 20,000
dossiers for each page would take seconds.  A :class:`CaseBoard` keeps one
small summary (:class:`CaseRow`) per case in memory: built by one scan of the
archive, then kept current from the journal (the archive's change feed: each
entry names the dossier files it wrote), so a work list costs a read of the
journal's tail and a pass over the summaries.  The board also tells where a
case lives (its dossier), which the archive uses to find a record without a
search over every file.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from docgen.approvals import approval_chain, next_role
from docgen.archive import Archive
from docgen.errors import DocgenError
from docgen.models import Dossier
from docgen.session import Session
from docgen.vocab import REPAIR_OPEN

KIND_LABELS = {"repairs": "报修", "complaints": "投诉", "revisits": "回访", "settlements": "结算"}
"""Case kinds as the lists name them."""


@dataclass(frozen=True, slots=True)
class CaseRow:
    """What the work lists need of one case record (a summary; the record itself stays in its dossier)."""

    id: str
    kind: str
    """``repairs``, ``complaints``, ``revisits`` or ``settlements``."""
    key: str
    project: str
    unit_label: str
    status: str
    open: bool
    person: str
    """Who is responsible: the repair's 经办人, the complaint's 首问责任人, the revisit's 回访人, the settlement's 经办人."""
    title: str
    """The repair's component, the complaint's category, the revisit's reason, the settlement's contractor."""
    opened: dt.date
    """报修日期, 受理日期, (planned) 回访日期, 填报日期."""
    responded: dt.date | None = None
    done: dt.date | None = None
    closed: dt.date | None = None
    amount: Decimal | None = None
    """A settlement's approved total (审定金额)."""
    signers: tuple[str, ...] = ()
    """Who signed a settlement so far."""
    rejected_note: str = ""
    """Why a settlement was refused (不同意), for the 经办人."""
    related: str = ""
    """What a revisit follows (a complaint or repair id)."""
    revision: int = 0


@dataclass
class WorkItem:
    """One line of a work list: the case, when it is due, how late it is, and what to do."""

    row: CaseRow
    due: dt.date | None
    overdue_days: int
    action: str
    """What is expected next, in words (``响应``, ``完成维修``, ``关闭``, ``回访``, ``签字:客户服务部负责人``)."""

    @property
    def overdue(self) -> bool:
        """True when the case is past its deadline."""
        return self.overdue_days > 0


@dataclass
class WorkLists:
    """Everything on one user's 我的工作 page."""

    mine: list[WorkItem] = field(default_factory=list)
    """Open cases the user owns, overdue first."""
    overdue: list[WorkItem] = field(default_factory=list)
    """Every overdue open case in the user's projects (for whoever oversees them), most overdue first."""
    revisits: list[WorkItem] = field(default_factory=list)
    """Revisits due by the end of this week (planned, or owed by the rules), earliest first."""
    to_sign: list[WorkItem] = field(default_factory=list)
    """Settlements whose next step on the chain is this user's."""
    returned: list[WorkItem] = field(default_factory=list)
    """The user's settlements refused on the chain (已驳回), with the reason, to correct and resubmit."""
    week_end: dt.date = dt.date.max


def _rows_of(d: Dossier) -> list[CaseRow]:
    k, p, u = d.key, d.project, d.unit_label
    rows: list[CaseRow] = []
    for r in d.repairs:
        rows.append(CaseRow(r.id, "repairs", k, p, u, status=r.status, open=r.status in REPAIR_OPEN,
                            person=r.handled_by, title=r.component, opened=r.reported_on, responded=r.responded_on,
                            done=r.completed_on, closed=r.closed_on, revision=r.revision))
    for c in d.complaints:
        rows.append(CaseRow(c.id, "complaints", k, p, u, status=c.status, open=c.status != "已关闭",
                            person=c.first_responder, title=c.category, opened=c.received_on, closed=c.closed_on,
                            revision=c.revision))
    for v in d.revisits:
        rows.append(CaseRow(v.id, "revisits", k, p, u, status=v.status, open=v.status == "待回访", person=v.by,
                            title=v.reason, opened=v.date, related=v.related or "", revision=v.revision))
    for s in d.settlements:
        refused = next((a.note for a in s.approvals if a.decision == "不同意"), "")
        rows.append(CaseRow(s.id, "settlements", k, p, u, status=s.status, open=s.status not in ("已审批", "已付款"),
                            person=s.handled_by, title=s.contractor, opened=s.created_on, amount=s.approved_total,
                            signers=tuple(a.name for a in s.approvals if a.decision in ("同意", "不同意")),
                            rejected_note=refused, revision=s.revision))
    return rows


class CaseBoard:
    """Summaries of every case in an archive, kept current from the journal (one per process, shared by threads)."""

    def __init__(self, archive: Archive) -> None:
        self.archive = archive
        self._by_key: dict[str, list[CaseRow]] = {}
        self._seq: int | None = None
        self._lock = threading.Lock()
        self.unreadable: list[str] = []

    # -- keeping current -------------------------------------------------------------
    def refresh(self) -> None:
        """Bring the summaries up to date: a full scan the first time, then the dossiers the journal says changed."""
        with self._lock:
            last = self.archive.journal.last()
            seq = int(last["seq"]) if last else 0
            if self._seq is None:
                self._scan()
                self._seq = seq  # read before the scan: a change made during it is read again below
                self._follow(seq)
                return
            if seq != self._seq:
                self._follow(self._seq)

    def _scan(self) -> None:
        self._by_key = {}
        self.unreadable = []
        for d in self.archive.scan_dossiers():
            if isinstance(d, Dossier):
                self._put(d)
            else:
                self.unreadable.append(d.message)

    def _follow(self, since: int) -> None:
        keys: set[str] = set()
        last = since
        for entry in self.archive.journal.entries(since):
            last = entry.seq
            for f in entry.files:
                key = _dossier_key(str(f.get("path", "")))
                if key is not None:
                    keys.add(key)
        for key in keys:
            try:
                d = self.archive.dossier(key)
            except DocgenError:
                self._by_key.pop(key, None)  # deleted, or unreadable now (the audit names it)
                continue
            self._put(d)
        self._seq = last

    def _put(self, d: Dossier) -> None:
        rows = _rows_of(d)
        self._by_key[d.key] = rows
        for row in rows:
            self.archive.note_case(row.id, d.key)

    # -- reading -------------------------------------------------------------------------
    @property
    def dossiers(self) -> int:
        """How many dossiers the board summarises."""
        return len(self._by_key)

    def rows(self, projects: Iterable[str] | None = None) -> list[CaseRow]:
        """Every case summary (of the given projects only, when given)."""
        wanted = set(projects) if projects is not None else None
        with self._lock:
            groups = list(self._by_key.values())
        return [r for rows in groups for r in rows if wanted is None or r.project in wanted]


def _dossier_key(path: str) -> str | None:
    """``projects/HXSZ/dossiers/03-2-1203/dossier.json`` → ``HXSZ/03-2-1203``."""
    parts = path.split("/")
    if len(parts) == 5 and parts[0] == "projects" and parts[2] == "dossiers" and parts[4] == "dossier.json":
        return f"{parts[1]}/{parts[3]}"
    return None


def _week_end(today: dt.date) -> dt.date:
    return today + dt.timedelta(days=6 - today.weekday())  # Sunday of this week


def _case_due(row: CaseRow, deadlines: Any) -> tuple[dt.date | None, str]:
    """When an open repair or complaint is due next, and for what (the rules' response/completion/closure days)."""
    if row.kind == "repairs":
        if row.responded is None and row.done is None:
            return row.opened + dt.timedelta(days=deadlines.repair_response_days), "响应(联系业主、上门核实)"
        if row.done is None:
            return row.opened + dt.timedelta(days=deadlines.repair_completion_days), "完成维修"
        return None, "业主验收后关闭"
    if row.kind == "complaints":
        return row.opened + dt.timedelta(days=deadlines.complaint_closure_days), "处理并关闭"
    if row.kind == "revisits":
        return row.opened, "回访"
    return None, ""


def work_lists(session: Session, board: CaseBoard) -> WorkLists:
    """The work lists of the session's user over the projects they may see (see the module docstring)."""
    session.require("read")
    board.refresh()
    today = session.today()
    rules, _ = session.workspace.rules()
    thresholds = session.config.generate.approval_thresholds
    user = session.user
    out = WorkLists(week_end=_week_end(today))
    rows = [r for r in board.rows() if user.sees(r.project)]
    by_key: dict[str, list[CaseRow]] = {}
    for r in rows:
        by_key.setdefault(r.key, []).append(r)
    for r in rows:
        dl = rules.deadlines_for(r.project)
        if r.open and r.kind in ("repairs", "complaints", "revisits"):
            due, action = _case_due(r, dl)
            late = (today - due).days if due is not None else 0
            item = WorkItem(r, due, max(0, late), action)
            if r.person == user.name:
                out.mine.append(item)
            if item.overdue and r.kind != "revisits":
                out.overdue.append(item)
            if r.kind == "revisits" and due is not None and due <= out.week_end:
                out.revisits.append(item)
        if r.kind == "settlements":
            _settlement_items(session, r, thresholds, out)
    for item in _owed_revisits(by_key, rules, today, out.week_end):
        out.revisits.append(item)
    out.mine.sort(key=lambda i: (-i.overdue_days, i.due or dt.date.max, i.row.id))
    out.overdue.sort(key=lambda i: (-i.overdue_days, i.row.id))
    out.revisits.sort(key=lambda i: (i.due or dt.date.max, i.row.id))
    out.to_sign.sort(key=lambda i: (i.row.opened, i.row.id))
    return out


def _settlement_items(session: Session, r: CaseRow, thresholds: Mapping[str, Decimal], out: WorkLists) -> None:
    user = session.user
    if r.status == "已驳回":
        if r.person == user.name:
            out.returned.append(WorkItem(r, None, 0, f"修改后重新提交(驳回理由:{r.rejected_note})"))
        return
    if r.status not in ("草稿", "审批中") or r.amount is None:
        return
    chain = approval_chain(r.amount, thresholds)
    step = chain[len(r.signers)] if len(r.signers) < len(chain) else None
    if step is None or user.name in r.signers:
        return
    if step == "经办人":
        mine = r.person == user.name and user.can("cases")
    else:
        mine = user.can("approve") and user.may_sign(step)
    if mine:
        out.to_sign.append(WorkItem(r, None, 0, f"签字:{step}"))


def _owed_revisits(by_key: Mapping[str, list[CaseRow]], rules: Any, today: dt.date,
                   week_end: dt.date) -> list[WorkItem]:
    """Revisits the rules owe (after a closed complaint, after a finished repair) that are due by ``week_end``."""
    items: list[WorkItem] = []
    for rows in by_key.values():
        revisit_dates = [r.opened for r in rows if r.kind == "revisits"]
        planned_for = {r.related for r in rows if r.kind == "revisits" and r.related}
        for r in rows:
            dl = rules.deadlines_for(r.project)
            if r.kind == "complaints" and not r.open and r.closed is not None:
                start, due = r.closed, r.closed + dt.timedelta(days=dl.revisit_after_complaint_days)
                reason = "投诉后回访"
            elif r.kind == "repairs" and r.status in ("已完成", "已关闭") and (r.done or r.closed) is not None:
                finished = r.done or r.closed
                assert finished is not None
                start = finished
                due, reason = start + dt.timedelta(days=dl.revisit_after_repair_days), "维修后回访"
            else:
                continue
            if r.id in planned_for or any(start <= x <= due for x in revisit_dates):
                continue
            if due > week_end or (today - due).days > 365:
                continue  # not due yet; or long past (the audit reports it)
            items.append(WorkItem(r, due, max(0, (today - due).days), f"{reason}(尚未安排)"))
    return items


def next_step(session: Session, amount: Decimal, approvals: Iterable[Any]) -> str | None:
    """The chain role a settlement of ``amount`` waits for (None when complete or refused)."""
    return next_role(amount, list(approvals), session.config.generate.approval_thresholds)
