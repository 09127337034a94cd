"""The two clocks of a registration: the developer's filing duty and the owner's registration deadline.

From delivery (交房) run:

- the developer's duty to file the registration materials within 60 days
  (《商品房销售管理办法》第三十四条; ``deadlines.certificate_filing_days``):
  met when the household was submitted with a registration batch;
- the owner's registration deadline: the contract's (``registration_due_days``)
  or 90 days (``deadlines.certificate_registration_days``): met when the
  certificate is done (``certified_on``).

:func:`household_deadlines` gives one :class:`HouseholdDeadline` per
delivered household, overdue first (most days over first), then the open ones
by due date, then those done.  It is the core the figures (办证 section) and a
batch's page read: it streams the dossiers once and reads each project's
registration batches once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from docgen.models import Dossier, Registration

if TYPE_CHECKING:
    from docgen.archive.store import Archive
    from docgen.audit.rules import Deadlines, Rules

ON_TIME, LATE, OVERDUE, OPEN, UNDATED = "on_time", "late", "overdue", "open", "undated"
STATE_LABELS: dict[str, str] = {
    ON_TIME: "按期完成",
    LATE: "逾期完成",
    OVERDUE: "已逾期",
    OPEN: "未到期",
    UNDATED: "已完成(日期未登记)",
}
SUBMITTED = ("已递交", "已办结")


@dataclass(frozen=True, slots=True)
class Clock:
    """One deadline of one household: when it falls due, when it was met, and its state."""

    due: dt.date
    met_on: dt.date | None
    state: str
    days_over: int = 0
    """Days past due: still open and overdue, or met late (0 otherwise)."""
    days_left: int | None = None
    """Days until due for an open clock."""

    @property
    def label(self) -> str:
        """The state in Chinese: 按期完成, 逾期完成, 已逾期, 未到期 …"""
        return STATE_LABELS[self.state]


def clock(due: dt.date, met_on: dt.date | None, done: bool, today: dt.date) -> Clock:
    """The state of a deadline ``due`` that was met on ``met_on`` (``done`` without a date: met, date unknown)."""
    if met_on is not None:
        over = (met_on - due).days
        return Clock(due, met_on, LATE if over > 0 else ON_TIME, max(0, over))
    if done:
        return Clock(due, None, UNDATED)
    if today > due:
        return Clock(due, None, OVERDUE, (today - due).days)
    return Clock(due, None, OPEN, 0, (due - today).days)


@dataclass(frozen=True, slots=True)
class HouseholdDeadline:
    """Both clocks of one delivered household, with what the figures count."""

    key: str
    project: str
    unit: str
    unit_label: str
    delivered_on: dt.date
    certificate_status: str
    registration: str | None
    """The registration batch (办证批次) the household is in, if any."""
    filing: Clock
    certificate: Clock
    registration_days: int

    @property
    def overdue(self) -> bool:
        """True when either clock is past due and not met."""
        return self.filing.state == OVERDUE or self.certificate.state == OVERDUE

    @property
    def days_over(self) -> int:
        """The larger number of days past due of the two open clocks (0 if none is overdue)."""
        return max(c.days_over for c in (self.filing, self.certificate) if c.state == OVERDUE) if self.overdue else 0

    @property
    def days_to_certificate(self) -> int | None:
        """Days from delivery to the certificate (None until it is done with a date)."""
        met = self.certificate.met_on
        return (met - self.delivered_on).days if met is not None else None

    def as_dict(self) -> dict[str, Any]:
        """JSON form (dates as ISO strings by the caller's encoder)."""
        out = asdict(self)
        out["filing"]["label"] = self.filing.label
        out["certificate"]["label"] = self.certificate.label
        out.update(overdue=self.overdue, days_over=self.days_over, days_to_certificate=self.days_to_certificate)
        return out


def household_deadline(d: Dossier, deadlines: Deadlines, today: dt.date,
                       submitted: tuple[str, dt.date | None] | None = None) -> HouseholdDeadline | None:
    """Both clocks of one dossier (None if the house has not been delivered).

    ``submitted`` is (registration batch id, its submission date) for the
    household's batch, if it is in one.
    """
    if d.delivered_on is None:
        return None
    delivered = d.delivered_on
    filing_due = delivered + dt.timedelta(days=deadlines.certificate_filing_days)
    registration_id, submitted_on = submitted if submitted is not None else (None, None)
    filing = clock(filing_due, submitted_on, d.certificate_status in SUBMITTED, today)
    days = d.registration_due_days if d.registration_due_days is not None else deadlines.certificate_registration_days
    done = d.certificate_status == "已办结"
    certificate = clock(delivered + dt.timedelta(days=days), d.certified_on if done else None, done, today)
    return HouseholdDeadline(d.key, d.project, d.unit, d.unit_label, delivered, d.certificate_status, registration_id,
                             filing, certificate, days)


_ORDER = {OVERDUE: 0, OPEN: 1, LATE: 2, UNDATED: 2, ON_TIME: 2}


def sort_key(row: HouseholdDeadline) -> tuple[int, int, dt.date, str]:
    """Overdue first (most days over first), then open by the earlier due date, then done."""
    if row.overdue:
        return (0, -row.days_over, row.delivered_on, row.key)
    states = (row.filing.state, row.certificate.state)
    if OPEN in states:
        due = min(c.due for c in (row.filing, row.certificate) if c.state == OPEN)
        return (1, 0, due, row.key)
    return (2, 0, row.delivered_on, row.key)


def batch_index(registrations: Iterable[Registration]) -> dict[str, tuple[str, dt.date | None]]:
    """unit → (registration batch id, submission date) over a project's batches (households that left are skipped)."""
    out: dict[str, tuple[str, dt.date | None]] = {}
    for r in registrations:
        for e in r.households:
            if e.status == "已退出":
                continue
            known = out.get(e.unit)
            if known is None or (known[1] is None and r.submitted_on is not None):
                out[e.unit] = (r.id, r.submitted_on)
    return out


def household_deadlines(archive: Archive, rules: Rules, today: dt.date, *, project: str | None = None,
                        projects: Iterable[str] | None = None,
                        index: Mapping[str, Mapping[str, tuple[str, dt.date | None]]] | None = None,
                        unreadable: list[str] | None = None) -> list[HouseholdDeadline]:
    """Every delivered household's clocks (of one project, or of ``projects``, or all), overdue first.

    A dossier that cannot be read is left out and named in ``unreadable``
    (when given), so the caller can say so; ``index`` may give each
    project's :func:`batch_index` already built.
    """
    rows = list(iter_deadlines(archive, rules, today, project=project, projects=projects, index=index,
                               unreadable=unreadable))
    rows.sort(key=sort_key)
    return rows


def iter_deadlines(archive: Archive, rules: Rules, today: dt.date, *, project: str | None = None,
                   projects: Iterable[str] | None = None,
                   index: Mapping[str, Mapping[str, tuple[str, dt.date | None]]] | None = None,
                   unreadable: list[str] | None = None) -> Iterator[HouseholdDeadline]:
    """Like :func:`household_deadlines`, unsorted and streaming (one dossier in memory at a time)."""
    from docgen.archive.store import UnreadableRecord

    codes = [project] if project else list(projects) if projects is not None else archive.project_codes()
    for code in codes:
        batches = index[code] if index is not None and code in index else batch_index(archive.registrations(code))
        deadlines = rules.deadlines_for(code)
        for d in archive.scan_dossiers(code):
            if isinstance(d, UnreadableRecord):
                if unreadable is not None:
                    unreadable.append(d.message)
                continue
            row = household_deadline(d, deadlines, today, batches.get(d.unit))
            if row is not None:
                yield row
