"""A project's prerequisites of registration (办证前提): where each stands and what it unlocks.

The owners' registration rests on paperwork the developer does once per
project or phase: the 预售许可证 (sales may be signed and filed), the 竣工验收备案
(the houses may be delivered), the 面积实测报告 (areas are final), the 数据挂接
(the survey data is linked to the registry's building table) and the
初始登记 (the developer's first registration; without it no owner can
register).  :func:`prerequisite_states` says where each stands for every
phase, from what the project records: an explicit entry
(``Project.prerequisites``, ``docgen cert prerequisite PROJECT KIND``) first, else what
the project already says (a phase's permits and completion filing, the
project's ``initial_registration``) or the project document that proves it
(a filed 面积实测报告 for the phase).

:func:`blockers` is the gate: the prerequisites a household's phase still
lacks among those the rules make blocking (``certificates.blocking``, by
default the 初始登记).  A household so blocked cannot join or be submitted in
a registration batch, and the audit reports the project once
(``CERT.PREREQUISITE``) instead of every dossier.

What cannot be true at once (docs/certificates.md lists the rules):
:func:`status_conflicts` says what an entry's status cannot carry (a 未办理
step has no dates, number or proof; a 办理中 one no done date), and
:func:`certificate_conflict` / :func:`certificate_refused` what the owners'
certificates prove: a household holding its certificate means its phase's
初始登记 and 数据挂接 were done, and done before the certificate's date.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from docgen.models import Document, Phase, Prerequisite, Project
from docgen.units import parse_unit

KINDS: tuple[str, ...] = ("presale_permit", "completion_filing", "area_survey", "data_linkage", "initial_registration")
"""In the order they are usually done."""
KIND_LABELS: dict[str, str] = {
    "presale_permit": "预售许可证",
    "completion_filing": "竣工验收备案",
    "area_survey": "面积实测报告",
    "data_linkage": "数据挂接",
    "initial_registration": "初始登记",
}
UNLOCKS: dict[str, str] = {
    "presale_permit": "预售商品房,签订并备案《商品房买卖合同》",
    "completion_filing": "交付使用(交房)",
    "area_survey": "按实测面积结算(面积补差),申请初始登记",
    "data_linkage": "登记中心楼盘表与实测数据挂接后,方可受理业主的转移登记",
    "initial_registration": "业主的不动产转移登记(办证批次递交)",
}
PROJECT_WIDE = frozenset({"initial_registration"})
"""Kinds recorded for the whole project (phase entries may refine them); the others are recorded per phase."""
GATES = frozenset({"initial_registration", "data_linkage"})
"""Prerequisites the registry needs before it accepts an owner's transfer: a household's certificate proves them done."""
DONE = "已办结"


@dataclass(frozen=True, slots=True)
class PrerequisiteState:
    """Where one prerequisite stands for one phase (or the whole project), and where that was read."""

    kind: str
    phase: str
    status: str
    number: str = ""
    started_on: dt.date | None = None
    done_on: dt.date | None = None
    document: str | None = None
    note: str = ""
    source: str = ""
    """办证前提登记 (an explicit entry), 项目资料 (the project's own fields), 项目文件 (a filed document), or "" (nothing)."""

    @property
    def label(self) -> str:
        """``初始登记`` or ``面积实测报告(二期)``."""
        return KIND_LABELS[self.kind] + (f"({self.phase})" if self.phase else "")

    @property
    def unlocks(self) -> str:
        """What being done makes possible."""
        return UNLOCKS[self.kind]

    @property
    def done(self) -> bool:
        """True once the prerequisite is 已办结."""
        return self.status == DONE

    def as_dict(self) -> dict[str, Any]:
        """JSON form, with the label and what it unlocks."""
        return {**asdict(self), "label": self.label, "unlocks": self.unlocks, "done": self.done}


def _explicit(project: Project, kind: str, phase: str) -> Prerequisite | None:
    return next((p for p in project.prerequisites if p.kind == kind and p.phase == phase), None)


def _from_entry(item: Prerequisite, phase: str) -> PrerequisiteState:
    return PrerequisiteState(item.kind, phase, item.status, item.number, item.started_on, item.done_on, item.document,
                             item.note, "办证前提登记")


def _document(project: Project, doc_type: str, words: Iterable[str]) -> Document | None:
    """The latest current project document of ``doc_type`` whose title names one of ``words`` (any, if no words)."""
    wanted = [w for w in words if w]
    found = [d for d in project.documents if d.type == doc_type and not d.superseded_by
             and (not wanted or any(w in d.title for w in wanted))]
    return max(found, key=lambda d: (d.date or dt.date.min, d.id)) if found else None


def _derived(project: Project, kind: str, phase: Phase | None) -> PrerequisiteState:
    """What the project's own fields and documents say about a prerequisite nobody recorded explicitly."""
    name = phase.name if phase is not None else ""
    single = len(project.phases) <= 1
    if kind == "presale_permit" and phase is not None and phase.presale_permits:
        doc = _document(project, "presale_permit", phase.presale_permits)
        return PrerequisiteState(kind, name, DONE, "、".join(phase.presale_permits),
                                 done_on=doc.date if doc else None, document=doc.id if doc else None, source="项目资料")
    if kind == "completion_filing" and phase is not None and phase.completion_filed_on is not None:
        doc = _document(project, "completion_filing", [] if single else [name])
        return PrerequisiteState(kind, name, DONE, done_on=phase.completion_filed_on,
                                 document=doc.id if doc else None, source="项目资料")
    if kind == "area_survey":
        doc = _document(project, "area_survey", [] if single else [name])
        if doc is not None:
            return PrerequisiteState(kind, name, DONE, done_on=doc.date, document=doc.id, source="项目文件")
    if kind == "initial_registration":
        reg = project.initial_registration
        doc = _document(project, "initial_registration", [reg.number] if reg.number else [])
        source = "项目资料" if reg.status != "未办理" or reg.number or reg.date else ""
        return PrerequisiteState(kind, name, reg.status, reg.number, done_on=reg.date,
                                 document=doc.id if doc else None, source=source)
    return PrerequisiteState(kind, name, "未办理")


def state_for(project: Project, kind: str, phase: Phase | None) -> PrerequisiteState:
    """Where ``kind`` stands for ``phase`` (None: a unit outside every phase, or the project as a whole).

    An entry recorded for the phase wins, then one for the whole project,
    then what the project's fields and documents say.
    """
    name = phase.name if phase is not None else ""
    if name:
        item = _explicit(project, kind, name)
        if item is not None:
            return _from_entry(item, name)
    item = _explicit(project, kind, "")
    if item is not None:
        return _from_entry(item, "" if kind in PROJECT_WIDE or phase is None else name)
    derived = _derived(project, kind, phase)
    if kind in PROJECT_WIDE:
        return PrerequisiteState(derived.kind, "", derived.status, derived.number, derived.started_on,
                                 derived.done_on, derived.document, derived.note, derived.source)
    return derived


def prerequisite_states(project: Project) -> list[PrerequisiteState]:
    """Every prerequisite of the project: per phase, and project-wide kinds once (plus any phase entries)."""
    out: list[PrerequisiteState] = []
    phases: Sequence[Phase | None] = project.phases or [None]
    for kind in KINDS:
        if kind in PROJECT_WIDE:
            out.append(state_for(project, kind, None))
            for phase in project.phases:
                if _explicit(project, kind, phase.name) is not None:
                    out.append(state_for(project, kind, phase))
        else:
            out.extend(state_for(project, kind, phase) for phase in phases)
    return out


def phase_of(project: Project, unit: str) -> Phase | None:
    """The phase a unit (``03-2-1203``) belongs to, by its building; None if no phase lists it."""
    return project.phase_of_building(parse_unit(unit).building)


def blockers(project: Project, unit: str, kinds: Iterable[str]) -> list[PrerequisiteState]:
    """The blocking prerequisites (``kinds``) the unit's phase has not done, in the usual order."""
    phase = phase_of(project, unit)
    wanted = set(kinds)
    return [s for s in (state_for(project, k, phase) for k in KINDS if k in wanted) if not s.done]


def blocked_reason(project: Project, states: Sequence[PrerequisiteState]) -> str:
    """``项目 HXSZ 的初始登记（目前：办理中）尚未办结，暂不能递交业主的转移登记``."""
    what = "、".join(f"{full_label(s.kind, s.phase)}（目前：{s.status}）" for s in states)
    return f"项目 {project.code} 的{what}尚未办结，暂不能递交业主的转移登记"


def full_label(kind: str, phase: str = "") -> str:
    """``初始登记`` or ``数据挂接（一期）``, as a sentence writes it (full-width brackets)."""
    return KIND_LABELS[kind] + (f"（{phase}）" if phase else "")


_FIELDS = ("开始办理日期", "办结日期", "证号", "证明文件")


def status_conflicts(status: str, *, started_on: object = None, done_on: object = None, number: object = None,
                     document: object = None) -> list[str]:
    """What an entry in ``status`` cannot carry, by field name: 未办理 carries nothing, 办理中 no 办结日期.

    A step not started has no start date, no done date, no number and no
    proof; a step in progress is not done, so it has no done date.  已办结
    may carry everything (and needs its done date: validation checks that).
    """
    values = dict(zip(_FIELDS, (started_on, done_on, number, document), strict=True))
    if status == "未办理":
        return [name for name in _FIELDS if values[name]]
    if status == "办理中" and done_on:
        return ["办结日期"]
    return []


@dataclass(frozen=True, slots=True)
class Certified:
    """A household that holds its certificate (产权证已办结, or 已出证/已领取 in a batch), with its 登簿日期 if known."""

    unit: str
    on: dt.date | None


def _unit_label(unit: str) -> str:
    return parse_unit(unit).label


def certificate_conflict(project: Project, kind: str, phase: str, certified: Sequence[Certified]) -> str | None:
    """Why the project's ``kind`` entry (for ``phase``) as now recorded contradicts the households' certificates, or None.

    ``project`` is the project after the change.  A household that holds its
    certificate proves its phase's gate done (:data:`GATES`), and done no
    later than its 登簿日期.
    """
    name = KIND_LABELS[kind]
    label = full_label(kind, phase)
    states = [(c, state_for(project, kind, phase_of(project, c.unit))) for c in certified]
    held = [(c, s) for c, s in states if not s.done]
    if held:
        c, s = min(held, key=lambda cs: (cs[0].on or dt.date.max, cs[0].unit))
        where = f"项目 {project.code} {phase}"
        when = f"{c.on} 登簿" if c.on else "登簿日期未登记"
        return (f"{label}不能改为{s.status}：{where}已有 {len(held)} 户取得不动产权证（如 {_unit_label(c.unit)}，{when}），"
                f"业主办证须在{name}办结之后；如{name}的证号或日期有误，请直接更正（--number、--on），不要改为未办结。")
    late = [(c, s) for c, s in states if c.on is not None and s.done_on is not None and s.done_on > c.on]
    if late:
        c, s = min(late, key=lambda cs: (cs[0].on, cs[0].unit))
        return (f"{full_label(kind, s.phase)}的办结日期 {s.done_on} 晚于 {_unit_label(c.unit)} 的登簿日期 {c.on}："
                f"业主办证须在{name}办结之后，请核对日期。")
    return None


def certificate_refused(project: Project, unit: str, kinds: Iterable[str], on: dt.date) -> str | None:
    """Why a certificate dated ``on`` cannot be recorded for ``unit`` while its blocking ``kinds`` say otherwise, or None."""
    phase = phase_of(project, unit)
    wanted = set(kinds)
    for kind in (k for k in KINDS if k in wanted):
        s = state_for(project, kind, phase)
        name = KIND_LABELS[kind]
        if not s.done:
            option = f" --phase {s.phase}" if s.phase else ""
            return (f"项目 {project.code} 的{full_label(kind, s.phase)}目前为{s.status}，不能登记业主的不动产权证："
                    f"业主办证须在{name}办结之后。请先登记{name}已办结："
                    f"docgen cert prerequisite {project.code} {kind}{option} --status 已办结 --on 办结日期")
        if s.done_on is not None and on < s.done_on:
            return (f"{_unit_label(unit)} 的登簿日期 {on} 早于项目 {project.code} {full_label(kind, s.phase)}的办结日期 "
                    f"{s.done_on}：业主办证须在{name}办结之后，请核对日期。")
    return None
