"""Certificates (办证) as a workflow: prerequisites, readiness, registration batches, paperwork, deadlines.

Each function is one thing a clerk does or looks at, and one call for a web
page: the readiness list of a project (:func:`list_readiness`), a batch's page
(:func:`show_registration`), submitting it (:func:`submit_registration`), the
collection desk (:func:`collect_certificate`, :func:`hand_out_certificate`),
taking a household out with a reason (:func:`leave_registration`).  Every
change is one archive transaction that writes the registration batch
(``projects/<P>/registrations/<id>.json``) and the households' dossiers
(``certificate_status``, ``certificate_no``, ``certified_on``) together, so the
journal shows one entry per step and the two never disagree; a change may name
the revision it was based on (a web form always does).

Permissions: looking needs ``read``; every step and every paper needs
``certificates`` (档案管理员, 客服, 本机操作员); the 委托书 carries the owners'
full identity (a reveal of kind ``generate``) and the submission list their
full ID numbers (a reveal of kind ``export``, which the policy allows the
archivist and the manager): both journaled with the reason the user gives.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from docgen import privacy
from docgen.archive.revisions import check
from docgen.certificates import deadlines as clocks
from docgen.certificates.numbers import refuse_taken_certificate, refuse_taken_receipt
from docgen.certificates.prerequisites import (
    DONE,
    GATES,
    KIND_LABELS,
    KINDS,
    Certified,
    PrerequisiteState,
    blocked_reason,
    blockers,
    certificate_conflict,
    certificate_refused,
    full_label,
    prerequisite_states,
    state_for,
    status_conflicts,
)
from docgen.certificates.readiness import Readiness, readiness, summary
from docgen.certificates.requirements import ProjectRequirements
from docgen.errors import ConflictError, DocgenError, NotFoundError, UsageError, quoted
from docgen.models import (
    Dossier,
    InitialRegistration,
    Prerequisite,
    Project,
    Registration,
    RegistrationEntry,
)
from docgen.session import Session
from docgen.units import parse_unit
from docgen.vocab import PrerequisiteStatus

if TYPE_CHECKING:
    from docgen.generate.service import GenerateResult, Progress

REGISTRATION_PREFIX = "DJ"
_REGISTRATION_RE = re.compile(r"^(?:(?P<project>[A-Za-z0-9]+)/)?(?P<id>DJ-\d{4}-\d+)$")
OPEN_STATUSES = ("待递交", "已递交", "已出证")
"""A household in one of these is in a batch that is still working for it (it cannot join another)."""
STATUSES: tuple[PrerequisiteStatus, ...] = ("未办理", "办理中", "已办结")


# -- shared --------------------------------------------------------------------------------
def _day(value: dt.date | str | None, session: Session, what: str) -> dt.date:
    if value is None:
        return session.today()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError as exc:
        raise UsageError(f"{what} {quoted(value)} 不是有效日期（应为 YYYY-MM-DD，且该日存在）。") from exc


def _project(session: Session, code: str) -> Project:
    code = code.strip().upper()
    session.check_project(code)
    return session.archive.project(code)


def _units(specs: Iterable[str]) -> list[str]:
    """Unit codes from repeated options or text separated by commas (half- or full-width) or 、, in order."""
    out: list[str] = []
    for spec in specs:
        for part in str(spec).replace("，", ",").replace("、", ",").split(","):
            if part.strip():
                code = _unit(part)
                if code not in out:
                    out.append(code)
    return out


def _unit(unit: str) -> str:
    try:
        return parse_unit(unit.strip()).code
    except ValueError as exc:
        raise UsageError(f"房号 {quoted(unit.strip())} 无法识别：应写成 03-2-1203 或 3栋2单元1203 的形式。") from exc


def _batch_and_unit(session: Session, ref: str, unit: str) -> tuple[str, str, str]:
    """(project, batch id, unit code) of a step on one household of a batch; the two swapped is told as such."""
    if not is_registration_ref(ref) and is_registration_ref(unit):
        raise UsageError(f"办证批次和房号的位置反了：应先写办证批次，再写房号，如 {unit.strip()} {ref.strip()}。")
    code = _unit(unit)
    project, registration_id = registration_ref(session, ref)
    return project, registration_id, code


def is_registration_ref(ref: str) -> bool:
    """True for ``DJ-2026-00001`` or ``HXSZ/DJ-2026-00001`` (a registration batch, not a dossier)."""
    return _REGISTRATION_RE.match(ref.strip()) is not None


def registration_ref(session: Session, ref: str) -> tuple[str, str]:
    """(project, id) of a registration batch given as ``DJ-2026-00001`` or ``HXSZ/DJ-2026-00001``.

    One outside the user's projects is "not found", like one that does not exist.
    """
    m = _REGISTRATION_RE.match(ref.strip())
    if m is None:
        raise UsageError(f"办证批次 {quoted(ref.strip())} 应写成 DJ-年份-编号，如 DJ-2026-00001（或 HXSZ/DJ-2026-00001）。")
    registration_id = m["id"]
    project = m["project"].upper() if m["project"] else session.archive.locate_registration(registration_id)
    if not session.user.sees(project):
        raise NotFoundError(f"办证批次 {registration_id} 不存在或无权查看。")
    if not session.archive.path(session.archive.layout.registration_rel(project, registration_id)).is_file():
        raise NotFoundError(f"办证批次 {project}/{registration_id} 不存在（docgen cert batch list {project} 列出该项目的办证批次）。")
    return project, registration_id


def requirements_for(session: Session, project: str) -> ProjectRequirements:
    """The materials list and blocking prerequisites in force for ``project`` (the rules file)."""
    return session.workspace.rules()[0].certificates.for_project(project)


def _open_entries(session: Session, project: str, skip: str | None = None) -> dict[str, tuple[Registration, RegistrationEntry]]:
    """unit → (batch, entry) for households in a batch still working for them (``skip``: a batch id to ignore)."""
    out: dict[str, tuple[Registration, RegistrationEntry]] = {}
    for r in session.archive.registrations(project):
        if r.id == skip:
            continue
        for e in r.households:
            if e.status in OPEN_STATUSES:
                out[e.unit] = (r, e)
    return out


# -- prerequisites ---------------------------------------------------------------------------
def project_prerequisites(session: Session, project: str) -> list[PrerequisiteState]:
    """Every prerequisite of a project (per phase), with its status, dates and what it unlocks."""
    p = _project(session, project)
    session.require("read", p.code)
    return prerequisite_states(p)


def set_prerequisite(
    session: Session,
    project: str,
    kind: str,
    *,
    phase: str = "",
    status: str | None = None,
    number: str | None = None,
    started_on: dt.date | str | None = None,
    done_on: dt.date | str | None = None,
    document: str | None = None,
    note: str | None = None,
    revision: int | None = None,
) -> PrerequisiteState:
    """Record where a prerequisite stands (``kind``: presale_permit … or its Chinese name) for a phase or the project.

    已办结 without a date is dated today.  A status carries only what it can
    (docs/certificates.md, "What contradicts what"): 未办理 nothing, 办理中 no
    办结日期; a change of status drops the dates the new one cannot carry (a
    reopened step is no longer done), but what the user typed (a number, a
    proof document) is cleared only on purpose.  The 初始登记 and 数据挂接 of
    a phase where households hold their certificates stay done, and done no
    later than the first certificate.  The project's own fields that say the
    same thing are kept in step in the same change: the project's 初始登记, a
    phase's 竣工验收备案日期 and 预售许可证 numbers.
    """
    p = _project(session, project)
    session.require("certificates", p.code)
    code = next((k for k in KINDS if kind.strip() in (k, KIND_LABELS[k])), None)
    if code is None:
        raise UsageError(f"办证前提 {quoted(kind.strip())} 无效，应为 "
                         + "、".join(f"{k}（{KIND_LABELS[k]}）" for k in KINDS) + "。")
    if status is not None and status not in STATUSES:
        raise UsageError(f"办理状态 {quoted(status)} 无效，应为 {'、'.join(STATUSES)}。")
    phase = phase.strip()
    if phase and phase not in [ph.name for ph in p.phases]:
        raise NotFoundError(f"项目 {p.code} 没有分期 {quoted(phase)}（已有：{'、'.join(ph.name for ph in p.phases) or '无'}）。")
    started = _day(started_on, session, "开始办理日期") if started_on is not None else None
    done = _day(done_on, session, "办结日期") if done_on is not None else None
    label = full_label(code, phase)
    with session.archive.edit_project(p.code, "project.prerequisite", f"办证前提 {label}") as proj:
        check(proj, revision, f"项目 {p.code}")
        target = next((ph for ph in proj.phases if ph.name == phase), None)
        item = next((x for x in proj.prerequisites if x.kind == code and x.phase == phase), None)
        if item is None:
            current = state_for(proj, code, target)
            item = Prerequisite.model_validate({
                "kind": code, "phase": phase, "status": current.status, "number": current.number,
                "started_on": current.started_on, "done_on": current.done_on, "document": current.document,
            })
            proj.prerequisites.append(item)
        was = (item.status, item.done_on)
        _refuse_what_the_call_contradicts(label, item.status, status, number=number, started=started, done=done,
                                          document=document)
        if status is not None:
            item.status = status  # checked against STATUSES above
            if status != "已办结" and done is None:
                item.done_on = None  # reopened (补正) or not started: no longer done
            if status == "未办理" and started is None:
                item.started_on = None
        if number is not None:
            item.number = number.strip()
        if started is not None:
            item.started_on = started
        if done is not None:
            item.done_on = done
        if item.status == "已办结" and item.done_on is None:
            item.done_on = session.today()
        if document is not None:
            doc = next((d for d in proj.documents if d.id == document.strip()), None)
            if doc is None and document.strip():
                raise NotFoundError(f"项目 {p.code} 中没有文件 {quoted(document.strip())}：证明文件须先归入项目"
                                    f"（docgen document add {p.code} 文件 --type 文件类型），再用它的文件编号。")
            item.document = document.strip() or None
        if note is not None:
            item.note = note.strip()
        _refuse_what_is_left(label, item)
        _refuse_dates(item, session.today())
        # a blocking kind always holds to the certificates; a gate the department does not block on
        # (数据挂接 by default) only once it was done: moving an open one forward is progress, not a contradiction
        guarded = code in set(requirements_for(session, p.code).blocking) or (code in GATES and was[0] == DONE)
        if guarded and (item.status, item.done_on) != was:
            problem = certificate_conflict(proj, code, phase, _certified(session, p.code))
            if problem:
                raise ConflictError(problem)
        _keep_project_fields(proj, item)
        return state_for(proj, code, target)


_OPTIONS = {"开始办理日期": "--started-on", "办结日期": "--on", "证号": "--number", "证明文件": "--document"}
_ADVICE = {"开始办理日期": "已开始办理请写 --status 办理中", "办结日期": "已办结请写 --status 已办结",
           "证号": "已取得证号请写 --status 已办结", "证明文件": "已办结请写 --status 已办结"}


def _refuse_what_the_call_contradicts(label: str, current: str, status: str | None, *, number: str | None,
                                      started: dt.date | None, done: dt.date | None, document: str | None) -> None:
    """Refuse a call that gives what the status it sets (or the entry's, if it sets none) cannot carry."""
    given = {"started_on": started, "done_on": done, "number": (number or "").strip(), "document": (document or "").strip()}
    bad = status_conflicts(status or current, **given)
    if not bad:
        return
    field = bad[0]
    if status is not None:
        still = "尚未办理" if status == "未办理" else "仍在办理"
        raise UsageError(f"“{status}”的办证前提不能有{field}：{label}{_ADVICE[field]}，{still}就不要填 {_OPTIONS[field]}。")
    hint = {"开始办理日期": "正在办理请同时写 --status 办理中", "办结日期": "已办结请同时写 --status 已办结"}.get(
        field, "请同时写 --status 办理中 或 --status 已办结")
    raise UsageError(f"{label}目前为{current}，不能只填{field}：{hint}。")


def _refuse_what_is_left(label: str, item: Prerequisite) -> None:
    """A step set back to 未办理 still carrying the number or proof typed before: cleared only on purpose."""
    left = status_conflicts(item.status, number=item.number, document=item.document)
    if not left:
        return
    what = "、".join(f"证号 {quoted(item.number, 40)}" if f == "证号" else f"证明文件 {item.document}" for f in left)
    clear = " ".join(f'{_OPTIONS[f]} ""' for f in left)
    raise UsageError(f"{label}改为未办理，但仍登记有{what}；未办理的事项没有{'和'.join(left)}："
                     f"确要改回未办理，请同时写 {clear} 清除{'它' if len(left) == 1 else '它们'}。")


def _refuse_dates(item: Prerequisite, today: dt.date) -> None:
    for name, day in (("开始办理日期", item.started_on), ("办结日期", item.done_on)):
        if day is not None and day > today:
            raise UsageError(f"{name} {day} 晚于今天（{today}），请核对。")
    if item.started_on is not None and item.done_on is not None and item.done_on < item.started_on:
        raise UsageError(f"办结日期 {item.done_on} 早于开始办理日期 {item.started_on}，请核对。")


_CERTIFIED_RE = re.compile('"certificate_status"\\s*:\\s*"已办结"'.encode())
_CERTIFIED_ON_RE = re.compile(rb'"certified_on"\s*:\s*"(\d{4}-\d{2}-\d{2})"')


def _certified(session: Session, project: str) -> list[Certified]:
    """The project's households that hold their certificate, with the earliest 登簿日期 on record.

    From the dossiers (产权证已办结, also those certified before batches) and
    the batches (已出证, 已领取).  A byte search picks the dossiers to look
    at: a project's 20,000 dossiers are read, but none is parsed.
    """
    archive = session.archive
    found: dict[str, dt.date | None] = {}

    def note(unit: str, on: dt.date | None) -> None:
        known = found.get(unit)
        found[unit] = on if known is None else (min(known, on) if on is not None else known)

    for key in archive.dossier_keys(project):
        try:
            data = archive.dossier_file(key).read_bytes()
        except FileNotFoundError:
            continue
        if _CERTIFIED_RE.search(data):
            m = _CERTIFIED_ON_RE.search(data)
            note(key.split("/")[1], dt.date.fromisoformat(m.group(1).decode()) if m else None)
    for r in archive.registrations(project):
        for e in r.households:
            if e.status in ("已出证", "已领取"):
                note(e.unit, e.certified_on)
    return [Certified(unit, on) for unit, on in sorted(found.items())]


def _keep_project_fields(p: Project, item: Prerequisite) -> None:
    """What the project already records about the same prerequisite says the same as the entry."""
    phase = next((ph for ph in p.phases if ph.name == item.phase), None)
    if item.kind == "initial_registration" and not item.phase:
        p.initial_registration = InitialRegistration(status=item.status, number=item.number,
                                                     date=item.done_on if item.status == "已办结" else None)
    elif item.kind == "completion_filing" and phase is not None:
        phase.completion_filed_on = item.done_on if item.status == "已办结" else None
    elif item.kind == "presale_permit" and phase is not None and item.status == "已办结" and item.number:
        for number in item.number.replace(",", "、").replace(",", "、").split("、"):
            if number.strip() and number.strip() not in phase.presale_permits:
                phase.presale_permits.append(number.strip())


# -- readiness ---------------------------------------------------------------------------------
@dataclass
class ReadinessList:
    """A project's households and what each still lacks (the readiness page)."""

    project: str
    rows: list[Readiness]
    prerequisites: list[PrerequisiteState]
    blocking: list[str]
    """Blocking prerequisites, by label, that hold some household up."""
    in_batch: dict[str, str] = field(default_factory=dict)
    """unit → the registration batch it is in."""
    unreadable: list[str] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        """households, ready, blocked (by the project), lacking (materials)."""
        return summary(self.rows)


def list_readiness(session: Session, project: str, *, units: Iterable[str] = (), include_done: bool = False,
                   only: str | None = None) -> ReadinessList:
    """Readiness of a project's households: delivered and not yet certified (or ``units``), in unit order.

    ``only`` = ``ready`` / ``not_ready`` filters the rows.  A dossier that
    cannot be read is named in ``unreadable`` and the rest are listed.
    """
    from docgen.archive.store import UnreadableRecord

    p = _project(session, project)
    session.require("read", p.code)
    if only not in (None, "ready", "not_ready"):
        raise UsageError(f"筛选 {quoted(only)} 无效，应为 ready 或 not_ready。")
    wanted = set(_units(units))
    reqs = requirements_for(session, p.code)
    entries = _open_entries(session, p.code)
    rows: list[Readiness] = []
    unreadable: list[str] = []
    for d in session.archive.scan_dossiers(p.code):
        if isinstance(d, UnreadableRecord):
            unreadable.append(d.message)
            continue
        if wanted:
            if d.unit not in wanted:
                continue
        elif d.delivered_on is None or (d.certificate_status == "已办结" and not include_done):
            continue
        agent = entries[d.unit][1].agent if d.unit in entries else ""
        row = readiness(d, p, reqs, archive=session.archive, agent=agent)
        if (only == "ready" and not row.ready) or (only == "not_ready" and row.ready):
            continue
        rows.append(row)
    missing = wanted - {r.unit for r in rows} if wanted and only is None else set()
    if missing:
        raise NotFoundError(f"项目 {p.code} 中没有房号 {'、'.join(sorted(missing))} 的档案。")
    held = {s.label for r in rows for s in blockers(p, r.unit, reqs.blocking)} if any(r.blockers for r in rows) else set()
    return ReadinessList(p.code, rows, prerequisite_states(p), sorted(held),
                         {u: r.id for u, (r, _e) in entries.items()}, unreadable)


def household_readiness(session: Session, key: str) -> Readiness:
    """What one household (``HXSZ/03-2-1203``) still lacks for its registration."""
    from docgen.services.cases import dossier_key

    key = dossier_key(session, key)
    project, unit = key.split("/")
    session.require("read", project)
    p = session.archive.project(project)
    d = session.archive.dossier(key)
    entries = _open_entries(session, project)
    agent = entries[unit][1].agent if unit in entries else ""
    return readiness(d, p, requirements_for(session, project), archive=session.archive, agent=agent)


# -- registration batches ------------------------------------------------------------------------
@dataclass(frozen=True)
class HouseholdRow:
    """One household on a batch's page: its entry, who, what it lacks (while waiting), its clocks."""

    entry: RegistrationEntry
    unit_label: str
    owner_names: str
    lacks: tuple[str, ...]
    deadline: clocks.HouseholdDeadline | None


@dataclass
class RegistrationView:
    """A registration batch with everything its page shows."""

    registration: Registration
    project: Project
    rows: list[HouseholdRow]

    @property
    def counts(self) -> dict[str, int]:
        """Households per status, plus overdue (either clock)."""
        out: dict[str, int] = {}
        for row in self.rows:
            out[row.entry.status] = out.get(row.entry.status, 0) + 1
        out["逾期"] = sum(1 for row in self.rows if row.deadline is not None and row.deadline.overdue
                          and row.entry.status != "已退出")
        return out


def registrations(session: Session, project: str | None = None) -> list[Registration]:
    """Registration batches of one project, or of every project the user sees, oldest first."""
    if project:
        p = _project(session, project)
        session.require("read", p.code)
        return list(session.archive.registrations(p.code))
    session.require("read")
    return [r for code in session.visible(session.archive.project_codes()) for r in session.archive.registrations(code)]


def show_registration(session: Session, ref: str) -> RegistrationView:
    """A batch's page: each household with its status, what it lacks while waiting, and its deadlines."""
    project, registration_id = registration_ref(session, ref)
    session.require("read", project)
    archive = session.archive
    r = archive.registration(project, registration_id)
    p = archive.project(project)
    rules = session.workspace.rules()[0]
    reqs = rules.certificates.for_project(project)
    index = clocks.batch_index(archive.registrations(project))
    dl = rules.deadlines_for(project)
    today = session.today()
    rows: list[HouseholdRow] = []
    for e in r.households:
        d = archive.dossier(f"{project}/{e.unit}")
        lacks: tuple[str, ...] = ()
        if e.status == "待递交":
            lacks = tuple(readiness(d, p, reqs, archive=archive, agent=e.agent).lacks)
        mine = (r.id, r.submitted_on) if e.status != "已退出" else index.get(e.unit)
        rows.append(HouseholdRow(e, d.unit_label, d.owner_names, lacks, clocks.household_deadline(d, dl, today, mine)))
    return RegistrationView(r, p, rows)


@dataclass
class NewRegistration:
    """A batch just made, and the households ``--ready`` passed over (with why)."""

    registration: Registration
    skipped: list[tuple[str, str]] = field(default_factory=list)


def _joinable(session: Session, p: Project, d: Dossier, reqs: ProjectRequirements,
              entries: Mapping[str, tuple[Registration, RegistrationEntry]], on: dt.date | None = None) -> str | None:
    """Why a household cannot join a registration batch, or None."""
    held = blockers(p, d.unit, reqs.blocking)
    if held:
        return blocked_reason(p, held)
    if d.delivered_on is None:
        return "尚未交房"
    if on is not None and on < d.delivered_on:
        return f"交房日期 {d.delivered_on} 晚于办证批次的建立日期 {on}"
    if d.certificate_status == "已办结":
        return f"产权证已办结（{d.certificate_no or '证号未登记'}）"
    if d.unit in entries:
        other, e = entries[d.unit]
        return f"已在办证批次 {other.id} 中（{e.status}）"
    if d.certificate_status == "已递交":  # submitted outside any batch docgen knows (e.g. before it was used)
        return ("档案记为产权证资料已递交（不在任何办证批次中）；确需重新递交的，请先更正档案的产权证状态"
                f"（docgen dossier set {d.key} certificate_status=资料收集中）")
    return None


def new_registration(
    session: Session,
    project: str,
    *,
    units: Iterable[str] = (),
    ready: bool = False,
    name: str = "",
    registry: str = "",
    on: dt.date | str | None = None,
    agents: Mapping[str, str] | None = None,
) -> NewRegistration:
    """Make a registration batch (办证批次) of listed households, or of every ready one (``ready``).

    A household whose project (or phase) lacks a blocking prerequisite (the
    初始登记) cannot join, nor one not yet delivered, already certified or in
    another open batch: listed units are refused with each reason; with
    ``ready`` such households are passed over and reported.  Joining sets a
    dossier's 产权证 status from 未办理 to 资料收集中, in the same transaction.
    """
    p = _project(session, project)
    session.require("certificates", p.code)
    listed = _units(units)
    if ready == bool(listed):
        raise UsageError("请用 --units 列出房号，或用 --ready 选取全部材料齐全的住户（二者选一）。")
    archive = session.archive
    reqs = requirements_for(session, p.code)
    day = _day(on, session, "建立日期")
    agents = {_unit(u): a.strip() for u, a in (agents or {}).items()}
    with archive.transaction("registration.new", p.code, f"新建办证批次({p.code})") as tx:
        entries = _open_entries(session, p.code)
        chosen: list[str] = []
        refused: list[tuple[str, str]] = []
        if ready:
            from docgen.archive.store import UnreadableRecord

            for d in archive.scan_dossiers(p.code):
                if isinstance(d, UnreadableRecord):  # named among those passed over, the rest go on
                    refused.append((d.key.split("/")[1], f"档案无法读取：{'；'.join(d.problems)}"))
                    continue
                if d.delivered_on is None or d.certificate_status == "已办结" or d.unit in entries:
                    continue
                why = _joinable(session, p, d, reqs, entries, day)
                row = readiness(d, p, reqs, archive=archive, agent=agents.get(d.unit, ""))
                if why is None and not row.ready:
                    why = "材料不齐：" + "、".join(row.lacks)
                if why is None:
                    chosen.append(d.unit)
                else:
                    refused.append((d.unit, why))
            if not chosen:
                raise ConflictError(f"项目 {p.code} 没有材料齐全、可以加入办证批次的住户（{_why_none(refused)}）；"
                                    f"docgen cert readiness {p.code} 查看各户所缺材料。")
        else:
            for unit in listed:
                key = f"{p.code}/{unit}"
                if not archive.dossier_exists(key):
                    refused.append((unit, "没有档案"))
                    continue
                why = _joinable(session, p, archive.dossier(key), reqs, entries, day)
                if why is None:
                    chosen.append(unit)
                else:
                    refused.append((unit, why))
            if refused:
                lines = "；".join(f"{parse_unit(u).label}：{why}" for u, why in refused)
                raise ConflictError(f"以下住户不能加入办证批次：{lines}。")
        unknown_agents = sorted(set(agents) - set(chosen))
        if unknown_agents:
            raise UsageError(f"代理人所对应的房号 {'、'.join(unknown_agents)} 不在本批次中。")
        registration_id = tx.next_id(REGISTRATION_PREFIX, day.year)
        tx.target = f"{p.code}/{registration_id}"
        tx.summary = f"新建办证批次 {registration_id}({len(chosen)} 户)"
        tx.detail["units"] = chosen
        registration = Registration(
            id=registration_id, project=p.code, name=name.strip(), registry=registry.strip(), created_on=day,
            handled_by=session.user.name,
            households=[RegistrationEntry(unit=u, joined_on=day, agent=agents.get(u, "")) for u in chosen],
        )
        for unit in chosen:
            archive.change_dossier(tx, f"{p.code}/{unit}", _collecting)
        archive.new_registration(registration, tx)
    return NewRegistration(registration, refused if ready else [])


def _why_none(refused: Sequence[tuple[str, str]]) -> str:
    """``3 户材料不齐，如 3栋2单元1204 缺 契税完税证明``, or the project's blocking reason, for ``--ready``."""
    if not refused:
        return "没有已交房、尚未办证、也不在其他办证批次中的住户"
    lacking = [(u, why) for u, why in refused if why.startswith("材料不齐")]
    other = sorted({why for _u, why in refused if not why.startswith("材料不齐")})
    parts = other[:2]
    if lacking:
        unit, why = lacking[0]
        parts.append(f"{len(lacking)} 户材料不齐，如 {parse_unit(unit).label} 缺 {why.removeprefix('材料不齐：')}")
    return "；".join(parts)


def _collecting(d: Dossier) -> None:
    if d.certificate_status == "未办理":
        d.certificate_status = "资料收集中"


def add_households(session: Session, ref: str, units: Iterable[str], *, agents: Mapping[str, str] | None = None,
                   revision: int | None = None) -> Registration:
    """Add households to a batch not yet submitted (each must be able to join, as for a new batch)."""
    project, registration_id = registration_ref(session, ref)
    session.require("certificates", project)
    listed = _units(units)
    if not listed:
        raise UsageError("请给出要加入的房号（docgen cert batch add 办证批次 房号…）。")
    agents = {_unit(u): a.strip() for u, a in (agents or {}).items()}
    archive = session.archive
    reqs = requirements_for(session, project)
    with archive.edit_registration(project, registration_id, "registration.add",
                                   f"办证批次 {registration_id} 加入 {len(listed)} 户") as (r, tx):
        check(r, revision, f"办证批次 {r.ref}")
        if r.submitted_on is not None:
            raise ConflictError(f"办证批次 {r.id} 已于 {r.submitted_on} 递交，不能再加入住户；请新建办证批次"
                                f"（docgen cert batch new {project} --units 房号）。")
        p = archive.project(project)
        entries = _open_entries(session, project, skip=r.id)
        refused = []
        for unit in listed:
            key = f"{project}/{unit}"
            if not archive.dossier_exists(key):
                refused.append((unit, "没有档案"))
                continue
            current = r.entry(unit)
            if current is not None and current.status != "已退出":
                refused.append((unit, "已在本批次中"))
                continue
            why = _joinable(session, p, archive.dossier(key), reqs, entries)
            if why:
                refused.append((unit, why))
        if refused:
            raise ConflictError("以下住户不能加入办证批次：" + "；".join(f"{parse_unit(u).label}：{w}" for u, w in refused)
                                + "。")
        day = session.today()
        for unit in listed:
            current = r.entry(unit)
            fresh = RegistrationEntry(unit=unit, joined_on=day, agent=agents.get(unit, ""))
            if current is None:
                r.households.append(fresh)
            else:  # it left earlier and comes back: a new start, keeping its revision count
                fresh.revision = current.revision
                r.households[r.households.index(current)] = fresh
            archive.change_dossier(tx, f"{project}/{unit}", _collecting)
        tx.detail["units"] = listed
        return r


def set_agent(session: Session, ref: str, unit: str, agent: str, *, revision: int | None = None) -> RegistrationEntry:
    """Record (or clear, with "") the person acting for a household's owners: a notarised 委托书 is then needed."""
    project, registration_id, code = _batch_and_unit(session, ref, unit)
    session.require("certificates", project)
    with session.archive.edit_registration(project, registration_id, "registration.agent",
                                           f"办证批次 {registration_id} 中 {code} 的代理人") as (r, _tx):
        e = _entry(r, code)
        check(e, revision, f"办证批次 {r.id} 中的 {e.unit}")
        if e.status != "待递交":
            raise ConflictError(f"办证批次 {r.id} 中 {parse_unit(code).label} 为{e.status}，只有待递交的住户才能更改代理人。")
        e.agent = agent.strip()
        return e


def _entry(r: Registration, unit: str) -> RegistrationEntry:
    e = r.entry(unit)
    if e is None:
        raise NotFoundError(f"房号 {parse_unit(unit).label} 不在办证批次 {r.id} 中（docgen cert batch show {r.id} 查看其中的住户）。")
    return e


def submit_registration(session: Session, ref: str, *, receipt_no: str, on: dt.date | str | None = None,
                        registry: str | None = None, revision: int | None = None) -> Registration:
    """Record the batch's submission to the registry with its receipt number (受理编号).

    Every household still waiting must be ready (its project's prerequisites
    done, its materials complete, from its documents): otherwise nothing is
    recorded and the message lists what each lacks; take such a household out
    first (:func:`leave_registration`).  Each household becomes 已递交 with its
    材料份数 counted, and its dossier 已递交 (stage 办证), in one transaction.
    """
    project, registration_id = registration_ref(session, ref)
    session.require("certificates", project)
    receipt = receipt_no.strip()
    if not receipt:
        raise UsageError("递交须填写登记中心的受理编号（收件回执上的编号）。")
    day = _day(on, session, "递交日期")
    archive = session.archive
    reqs = requirements_for(session, project)
    with archive.edit_registration(project, registration_id, "registration.submit",
                                   f"办证批次 {registration_id} 递交登记中心(受理编号 {receipt})") as (r, tx):
        check(r, revision, f"办证批次 {r.ref}")
        if r.submitted_on is not None:
            raise ConflictError(f"办证批次 {r.id} 已于 {r.submitted_on} 递交（受理编号 {r.receipt_no}），不能重复登记递交。")
        if day < r.created_on:
            raise UsageError(f"递交日期 {day} 早于办证批次 {r.id} 的建立日期 {r.created_on}，请核对。")
        refuse_taken_receipt(archive, receipt, project, r.id, session.user.sees)
        waiting = [e for e in r.households if e.status == "待递交"]
        if not waiting:
            raise ConflictError(f"办证批次 {r.id} 中没有待递交的住户。")
        p = archive.project(project)
        problems: list[str] = []
        counted: dict[str, int] = {}
        for e in waiting:
            row = readiness(archive.dossier(f"{project}/{e.unit}"), p, reqs, archive=archive, agent=e.agent)
            if row.blockers:
                problems.append(f"{row.unit_label}：{row.blockers[0]}")
            elif not row.ready:
                problems.append(f"{row.unit_label}：缺 {'、'.join(row.lacks)}")
            counted[e.unit] = row.materials
        if problems:
            raise ConflictError(
                f"办证批次 {r.id} 中有 {len(problems)} 户材料不齐，未递交：" + "；".join(problems)
                + f"。请补齐后再递交，或先让这些住户退出批次（docgen cert leave {r.id} 房号 --reason 原因）。"
            )
        r.submitted_on = day
        r.receipt_no = receipt
        if registry is not None and registry.strip():
            r.registry = registry.strip()
        for e in waiting:
            e.status = "已递交"
            e.materials = counted[e.unit]
            archive.change_dossier(tx, f"{project}/{e.unit}", _submitted)
        tx.detail.update(units=[e.unit for e in waiting], receipt_no=receipt)
        return r


def _submitted(d: Dossier) -> None:
    d.certificate_status = "已递交"
    if d.stage == "交房":
        d.stage = "办证"


def collect_certificate(session: Session, ref: str, unit: str, *, number: str, on: dt.date | str | None = None,
                        revision: int | None = None) -> RegistrationEntry:
    """Record a household's certificate back from the registry: its 不动产权证号 and date; the dossier is 已办结.

    The number must not be another household's (anywhere in the archive:
    :mod:`docgen.certificates.numbers`), and the project's blocking
    prerequisites (the 初始登记) must be done, on or before the certificate's date.
    """
    project, registration_id, code = _batch_and_unit(session, ref, unit)
    session.require("certificates", project)
    certificate = number.strip()
    if not certificate:
        raise UsageError("请填写不动产权证号（--number）。")
    day = _day(on, session, "登簿日期")
    archive = session.archive
    with archive.edit_registration(project, registration_id, "registration.collect",
                                   f"办证批次 {registration_id} 中 {code} 出证:{certificate}") as (r, tx):
        e = _entry(r, code)
        check(e, revision, f"办证批次 {r.id} 中的 {e.unit}")
        where = f"办证批次 {r.id} 中 {parse_unit(code).label}"
        if e.status == "待递交":
            raise ConflictError(f"{where} 为待递交，尚未递交登记中心：请先登记递交"
                                f"（docgen cert submit {r.id} --receipt-no 受理编号），证书出证后再登记出证。")
        if e.status in ("已出证", "已领取"):
            raise ConflictError(f"{where} 已于 {e.certified_on} 登记出证（{e.certificate_no}），不能重复登记；证号有误的，"
                                f"请在档案中更正（docgen dossier set {project}/{code} certificate_no=正确的证号）。")
        if e.status != "已递交":
            raise ConflictError(f"{where} 已退出办证批次，不能登记出证；重新办理请加入新的办证批次"
                                f"（docgen cert batch new {project} --units {code}）。")
        held = certificate_refused(archive.project(project), code, requirements_for(session, project).blocking, day)
        if held:
            raise ConflictError(held)
        refuse_taken_certificate(archive, certificate, project, code, session.user.sees)
        e.status = "已出证"
        e.certificate_no = certificate
        e.certified_on = day

        def done(d: Dossier) -> None:
            d.certificate_status = "已办结"
            d.certificate_no = certificate
            d.certified_on = day
            if d.stage == "办证":
                d.stage = "保修期"

        archive.change_dossier(tx, f"{project}/{code}", done)
        tx.detail.update(unit=code, certificate_no=certificate)
        return e


def hand_out_certificate(session: Session, ref: str, unit: str, *, on: dt.date | str | None = None,
                         received_by: str = "", revision: int | None = None) -> RegistrationEntry:
    """Record that the owner collected the certificate (领证) at the desk, and who took it."""
    project, registration_id, code = _batch_and_unit(session, ref, unit)
    session.require("certificates", project)
    day = _day(on, session, "领证日期")
    with session.archive.edit_registration(project, registration_id, "registration.handout",
                                           f"办证批次 {registration_id} 中 {code} 领证") as (r, tx):
        e = _entry(r, code)
        check(e, revision, f"办证批次 {r.id} 中的 {e.unit}")
        where = f"办证批次 {r.id} 中 {parse_unit(code).label}"
        if e.status == "已领取":
            raise ConflictError(f"{where} 的不动产权证已于 {e.handed_out_on} 由 {e.received_by or '产权人'} 领取，"
                                "不能重复登记领证。")
        if e.status in ("待递交", "已递交"):
            raise ConflictError(f"{where} 为{e.status}，证书尚未出证：出证后先登记出证"
                                f"（docgen cert collect {r.id} {code} --number 不动产权证号），再登记领证。")
        if e.status != "已出证":
            raise ConflictError(f"{where} 已退出办证批次，没有可领取的证书。")
        e.status = "已领取"
        e.handed_out_on = day
        e.received_by = received_by.strip() or session.archive.dossier(f"{project}/{code}").owner_names
        tx.detail.update(unit=code)
        return e


def leave_registration(session: Session, ref: str, unit: str, *, reason: str, on: dt.date | str | None = None,
                       revision: int | None = None) -> RegistrationEntry:
    """Take a household out of a batch with the reason (e.g. 资料退回:婚姻状况证明过期); its dossier goes back to 资料收集中."""
    project, registration_id, code = _batch_and_unit(session, ref, unit)
    session.require("certificates", project)
    why = reason.strip()
    if not why:
        raise UsageError("住户退出办证批次须写明原因（--reason，如 资料退回：婚姻状况证明过期）。")
    day = _day(on, session, "退出日期")
    with session.archive.edit_registration(project, registration_id, "registration.leave",
                                           f"办证批次 {registration_id} 中 {code} 退出:{why}") as (r, tx):
        e = _entry(r, code)
        check(e, revision, f"办证批次 {r.id} 中的 {e.unit}")
        where = f"办证批次 {r.id} 中 {parse_unit(code).label}"
        if e.status == "已退出":
            raise ConflictError(f"{where} 已于 {e.left_on} 退出（{e.left_reason}），不能重复退出。")
        if e.status not in ("待递交", "已递交"):
            raise ConflictError(f"{where} 为{e.status}，证书已经出证，不能退出办证批次。")
        submitted = e.status == "已递交"
        since = max(e.joined_on, r.submitted_on) if submitted and r.submitted_on else e.joined_on
        if day < since:
            raise UsageError(f"退出日期 {day} 早于{'递交' if submitted else '加入'}日期 {since}，请核对。")
        e.status = "已退出"
        e.left_on = day
        e.left_reason = why

        def back(d: Dossier) -> None:
            if d.certificate_status in ("未办理", "已递交"):
                d.certificate_status = "资料收集中"
            if submitted and d.stage == "办证":
                d.stage = "交房"

        session.archive.change_dossier(tx, f"{project}/{code}", back)
        tx.detail.update(unit=code, reason=why)
        return e


# -- deadlines ------------------------------------------------------------------------------------
@dataclass
class DeadlineList:
    """Households' registration clocks, overdue first, and the dossiers that could not be read."""

    rows: list[clocks.HouseholdDeadline]
    unreadable: list[str] = field(default_factory=list)


def deadlines(session: Session, project: str | None = None, *, overdue_only: bool = False) -> DeadlineList:
    """Every delivered household's two clocks (filing within 60 days, registration within the contract's days)."""
    if project:
        codes = [_project(session, project).code]
        session.require("read", codes[0])
    else:
        session.require("read")
        codes = session.visible(session.archive.project_codes())
    unreadable: list[str] = []
    rows = clocks.household_deadlines(session.archive, session.workspace.rules()[0], session.today(), projects=codes,
                                      unreadable=unreadable)
    if overdue_only:
        rows = [r for r in rows if r.overdue]
    return DeadlineList(rows, unreadable)


# -- paperwork ----------------------------------------------------------------------------------
def _targets(session: Session, target: str, units: Iterable[str], statuses: Sequence[str]
             ) -> tuple[Project, Registration | None, list[Dossier]]:
    """The households a paper is for: one dossier, or a batch's households in ``statuses`` (or ``units``)."""
    archive = session.archive
    if is_registration_ref(target):
        project, registration_id = registration_ref(session, target)
        session.require("certificates", project)
        r = archive.registration(project, registration_id)
        wanted = _units(units)
        unknown = [u for u in wanted if r.entry(u) is None]
        if unknown:
            raise NotFoundError(f"办证批次 {r.id} 中没有房号 {'、'.join(unknown)}。")
        chosen = [e for e in r.households if (e.unit in wanted if wanted else e.status in statuses)]
        if not chosen:
            raise NotFoundError(f"办证批次 {r.id} 中没有{'或'.join(statuses)}的住户。")
        return archive.project(project), r, [archive.dossier(f"{project}/{e.unit}") for e in chosen]
    from docgen.services.cases import dossier_key

    key = dossier_key(session, target)
    project = key.split("/")[0]
    session.require("certificates", project)
    if list(units):
        raise UsageError("--unit 只与办证批次一起使用（为一户生成时直接写档案编号，如 HXSZ/03-2-1203）。")
    entries = _open_entries(session, project)
    unit = key.split("/")[1]
    batch = entries[unit][0] if unit in entries else None
    return archive.project(project), batch, [archive.dossier(key)]


def _generator(session: Session, output: Path | None) -> Any:
    from docgen.generate.cert_service import CertificateGenerator

    return CertificateGenerator(None, session.config.generate, output=output, session=session)


def make_checklists(session: Session, target: str, *, units: Iterable[str] = (), pdf: bool = False,
                    output: Path | None = None, progress: Progress | None = None) -> GenerateResult:
    """办证材料清单 for a household or a batch's waiting households: what is filed, what to bring; filed into each dossier."""
    p, r, dossiers = _targets(session, target, units, ("待递交",))
    rules = session.workspace.rules()[0]
    reqs = rules.certificates.for_project(p.code)
    dl = rules.deadlines_for(p.code)
    index = clocks.batch_index(session.archive.registrations(p.code))
    today = session.today()
    items = []
    for d in dossiers:
        entry = r.entry(d.unit) if r is not None else None
        row = readiness(d, p, reqs, archive=session.archive, agent=entry.agent if entry else "")
        items.append((d, row, clocks.household_deadline(d, dl, today, index.get(d.unit))))
    result: GenerateResult = _generator(session, output).checklists(p, r, items, pdf=pdf, progress=progress)
    return result


def make_powers_of_attorney(session: Session, target: str, *, reason: str | None, units: Iterable[str] = (),
                            pdf: bool = False, output: Path | None = None,
                            progress: Progress | None = None) -> GenerateResult:
    """委托书 (the owners authorise the developer to register for them) with their full identity: a journaled reveal."""
    p, r, dossiers = _targets(session, target, units, ("待递交",))  # permission and scope first
    privacy.check_reveal(session.user.role, reason, privacy.GENERATE)
    result: GenerateResult = _generator(session, output).powers_of_attorney(p, r, dossiers, reason=reason, pdf=pdf,
                                                                           progress=progress)
    return result


def make_collection_notices(session: Session, ref: str, *, units: Iterable[str] = (), place: str = "",
                            hours: str = "", until: dt.date | str | None = None, pdf: bool = False,
                            output: Path | None = None, progress: Progress | None = None) -> GenerateResult:
    """领证通知 for a batch's households whose certificate is back (or the listed ones); filed into each dossier."""
    if not is_registration_ref(ref):
        raise UsageError(f"领证通知按办证批次生成：请给出办证批次编号（如 DJ-2026-00001），而不是 {quoted(ref.strip())}"
                         + _batch_hint(session, ref) + "。")
    p, r, dossiers = _targets(session, ref, units, ("已出证",))
    assert r is not None
    not_back = [d.unit_label for d in dossiers if (e := r.entry(d.unit)) is None or e.status not in ("已出证", "已领取")]
    if not_back:
        raise ConflictError(f"{'、'.join(not_back)} 的证书尚未出证，不能发领证通知。")
    last = _day(until, session, "领取截止日期") if until is not None else None
    result: GenerateResult = _generator(session, output).collection_notices(
        p, r, dossiers, place=place.strip(), hours=hours.strip(), until=last, pdf=pdf, progress=progress)
    return result


def _batch_hint(session: Session, ref: str) -> str:
    """``；该户在办证批次 DJ-… 中：docgen cert notices DJ-… --unit 05-1-0502`` when ``ref`` is a household in a batch."""
    from docgen.services.cases import dossier_key

    try:
        key = dossier_key(session, ref)
    except DocgenError:
        return ""
    project, unit = key.split("/")
    entry = _open_entries(session, project).get(unit)
    if entry is None:
        return ""
    return f"；该户在办证批次 {entry[0].id} 中：docgen cert notices {entry[0].id} --unit {unit}"


@dataclass
class SubmissionList:
    """The submission list written for the registry, and where it was filed."""

    path: Path
    doc_id: str
    rows: int
    materials: int


def write_submission_list(session: Session, ref: str, *, reason: str | None, out: Path | None = None) -> SubmissionList:
    """The batch's submission list (XLSX, full ID numbers: a journaled reveal for export), filed into the project.

    The list holds the households still in the batch, in its order; 材料份数 is
    what was counted at submission (before it, what is filed now).
    """
    from docgen.certificates.submission import submission_rows, write_submission_xlsx

    project, registration_id = registration_ref(session, ref)
    session.require("certificates", project)
    privacy.check_reveal(session.user.role, reason, privacy.EXPORT)
    archive = session.archive
    r = archive.registration(project, registration_id)
    if not r.active:
        raise ConflictError(f"办证批次 {r.id} 中没有住户。")
    p = archive.project(project)
    dossiers = {e.unit: archive.dossier(f"{project}/{e.unit}") for e in r.active}
    reqs = requirements_for(session, project)
    materials = {
        e.unit: e.materials if e.materials is not None
        else readiness(dossiers[e.unit], p, reqs, archive=archive, agent=e.agent).materials
        for e in r.active
    }
    rows = submission_rows(r, dossiers, materials)
    path = Path(out) if out is not None else Path(session.config.generate.output) / "registration_list" / f"{r.id}_递交清单.xlsx"
    if path.suffix.lower() != ".xlsx":
        raise UsageError(f"递交清单应保存为 .xlsx 文件，而不是 {quoted(path.name)}。")
    privacy.reveal(
        archive, target=r.ref, what=f"办证批次 {r.id} 递交清单中 {len(rows)} 户权利人的完整身份证号码",
        why=reason, where=f"文件 {path.absolute()}(交不动产登记中心,并归入项目档案)", kind=privacy.EXPORT,
        role=session.user.role, detail=privacy.listed([f"{project}/{e.unit}" for e in r.active]),
    )
    write_submission_xlsx(path, p, r, rows, session.today())
    try:
        doc = archive.add_document(project, path, doc_type="registration_list", date=session.today(),
                                   source="generated", title=f"办证递交清单({r.id})", related=r.id,
                                   identified_by="generated", note=f"由办证批次 {r.id} 生成")
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return SubmissionList(path, doc.id, len(rows), sum(row.materials for row in rows))


__all__ = [
    "DeadlineList",
    "HouseholdRow",
    "NewRegistration",
    "ReadinessList",
    "RegistrationView",
    "SubmissionList",
    "add_households",
    "collect_certificate",
    "deadlines",
    "hand_out_certificate",
    "household_readiness",
    "is_registration_ref",
    "leave_registration",
    "list_readiness",
    "make_checklists",
    "make_collection_notices",
    "make_powers_of_attorney",
    "new_registration",
    "project_prerequisites",
    "registration_ref",
    "registrations",
    "requirements_for",
    "set_agent",
    "set_prerequisite",
    "show_registration",
    "submit_registration",
]
