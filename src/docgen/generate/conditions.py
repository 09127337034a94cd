"""Delivery conditions (交付条件) of a handover batch: what the archive knows, and recording the rest.

A handover notice tells the owner that the unit 已具备交付使用条件; a plan lists
each condition and how far it is.  Both read the same list, built here from
the records so that they cannot disagree:

* derived from the project and the dossiers (nothing to type twice):
  竣工验收备案 (the phase's ``completion_filed_on``, with the archived
  备案表 as evidence), 预售许可证 (the phase's permits), 面积实测 (every unit
  of the batch has its measured area; the archived 面积实测报告 as evidence);
* recorded on the batch (``Batch.conditions``, :func:`set_condition`):
  the two books, door numbers, utilities, lifts, cleaning.

The first four are **required**: a notice is refused while one is missing
(the generator says which and why; ``force`` with a reason overrides it, and
the override is journaled).  The others print in the plan and, while open,
are warnings.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from docgen.archive.records import build
from docgen.archive.revisions import check
from docgen.errors import NotFoundError, UsageError, quote_input
from docgen.generate.filters import cn_date
from docgen.models import CONDITION_ITEMS, Batch, DeliveryCondition, Document, Phase, Project
from docgen.session import Session

#: (code, label in the plan, required for a notice), in the plan's order.
CONDITIONS: tuple[tuple[str, str, bool], ...] = (
    ("completion_filing", "竣工验收备案", True),
    ("presale_permit", "商品房预售许可证", True),
    ("area_survey", "面积实测报告（逐户实测面积）", True),
    ("two_books", "《住宅质量保证书》《住宅使用说明书》备齐", True),
    ("door_numbers", "门牌号码编定并安装", False),
    ("utilities", "水、电、燃气通水通电通气", False),
    ("lifts", "电梯验收合格并投入使用", False),
    ("cleaning", "室内外清洁完成", False),
)
LABELS = {code: label for code, label, _ in CONDITIONS}

#: What a clerk may type for a recorded condition (code, Chinese label or a short name).
ALIASES: dict[str, str] = {
    **{code: code for code in CONDITION_ITEMS},
    **{label: code for code, label in CONDITION_ITEMS.items()},
    "两书": "two_books", "门牌": "door_numbers", "门牌号": "door_numbers", "水电气": "utilities",
    "水电燃气": "utilities", "电梯": "lifts", "清洁": "cleaning", "保洁": "cleaning",
}


@dataclass(frozen=True)
class ConditionState:
    """One condition as the archive knows it: met (True), missing (False) or not applicable (None)."""

    code: str
    label: str
    required: bool
    met: bool | None
    state: str
    """How it stands, in the words the plan prints (full-width punctuation)."""
    reason: str = ""
    """Why it is missing, for a refusal or a warning ("" when met)."""


def batch_phase(project: Project, batch: Batch) -> Phase | None:
    """The phase a batch delivers: by name, else the phase of its first building."""
    phase = next((p for p in project.phases if p.name == batch.phase), None)
    if phase is None and batch.buildings:
        phase = project.phase_of_building(batch.buildings[0])
    return phase


def _evidence(project: Project, doc_type: str, phase: Phase | None) -> Document | None:
    """The project's current document of ``doc_type`` for the phase (its title names the phase).

    A document whose title names no phase of the project counts for every phase.
    """
    found = [d for d in project.documents if d.type == doc_type and d.superseded_by is None]
    if phase is not None:
        named = [d for d in found if phase.name in d.title]
        if named:
            return named[-1]
        names = [p.name for p in project.phases]
        found = [d for d in found if not any(n in d.title for n in names)]
    return found[-1] if found else None


def delivery_conditions(project: Project, batch: Batch, missing_measured: Sequence[str] = ()) -> list[ConditionState]:
    """Every delivery condition of ``batch``; ``missing_measured`` lists the units without a measured area."""
    phase = batch_phase(project, batch)
    phase_name = phase.name if phase else (batch.phase or "本批次")
    states: list[ConditionState] = []
    recorded: dict[str, DeliveryCondition] = {c.item: c for c in batch.conditions}
    for code, label, required in CONDITIONS:
        if code == "completion_filing":
            filed = phase.completion_filed_on if phase else None
            doc = _evidence(project, "completion_filing", phase)
            if filed:
                note = f"，备案表 {doc.id}" if doc else ""
                states.append(ConditionState(code, label, required, True, f"已于{cn_date(filed)}备案{note}"))
            else:
                states.append(ConditionState(code, label, required, False, "未备案（交付前必须完成）",
                                             f"竣工验收备案:{phase_name}未登记备案日期(在项目资料中该分期的“竣工验收备案日期”登记)"))
        elif code == "presale_permit":
            permits = phase.presale_permits if phase else []
            if permits:
                states.append(ConditionState(code, label, required, True, "、".join(permits)))
            else:
                states.append(ConditionState(code, label, required, False, "未登记",
                                             f"商品房预售许可证:{phase_name}未登记"))
        elif code == "area_survey":
            doc = _evidence(project, "area_survey", phase)
            report = f"实测报告 {doc.id}，" if doc else ""
            if not batch.units:
                states.append(ConditionState(code, label, required, None, "批次中暂无房屋"))
            elif missing_measured:
                first = "、".join(missing_measured[:3]) + ("等" if len(missing_measured) > 3 else "")
                states.append(ConditionState(code, label, required, False,
                                             f"{report}{len(missing_measured)} 户未登记实测面积（{first}）",
                                             f"面积实测:{len(missing_measured)} 户未登记实测面积({first}),无法计算面积补差"))
            else:
                states.append(ConditionState(code, label, required, True, f"{report}各户实测面积已登记"))
        else:
            c = recorded.get(code)
            if c is None:
                states.append(ConditionState(code, label, required, False, "未登记（T-75 自查后登记）",
                                             f"{CONDITION_ITEMS[code]}:未登记落实情况"))
                continue
            extra = "".join(f"，{x}" for x in (c.note, f"证明文件 {c.evidence}" if c.evidence else "") if x)
            if c.status == "已落实":
                assert c.date is not None
                states.append(ConditionState(code, label, required, True, f"已于{cn_date(c.date)}落实{extra}"))
            elif c.status == "不适用":
                states.append(ConditionState(code, label, required, None, f"不适用{extra}"))
            else:
                states.append(ConditionState(code, label, required, False, f"未落实{extra}",
                                             f"{CONDITION_ITEMS[code]}:未落实" + (f"({c.note})" if c.note else "")))
    return states


def missing(states: Sequence[ConditionState], required: bool = True) -> list[ConditionState]:
    """The conditions that are not met, required ones (default) or the others."""
    return [s for s in states if s.met is False and s.required == required]


# -- recording ---------------------------------------------------------------------------------
def condition_code(text: str) -> str:
    """The code of a recorded condition from what a clerk typed (``两书``, ``two_books``, ``电梯``)."""
    code = ALIASES.get(text.strip())
    if code is None:
        names = "、".join(f"{k}({v})" for k, v in CONDITION_ITEMS.items())
        raise UsageError(f"没有交付条件{quote_input(text)};可登记的有:{names}(竣工验收备案、预售许可证、面积实测由项目和档案资料得出)")
    return code


def set_condition(session: Session, ref: str, item: str, *, status: str = "已落实", on: dt.date | None = None,
                  evidence: str | None = None, note: str = "", revision: int | None = None) -> DeliveryCondition:
    """Record one delivery condition of a batch (``HXSZ/B01``) in one transaction; returns it.

    ``status`` 已落实 needs a date (default today); an evidence id must be an archived document.
    """
    if ref.count("/") != 1:
        raise UsageError(f"批次{quote_input(ref)}应写成 项目/批次编号,如 HXSZ/B01")
    project, batch_id = (part.strip() for part in ref.split("/"))
    project = project.upper()
    session.require("handover", project)
    code = condition_code(item)
    if status not in ("已落实", "未落实", "不适用"):
        raise UsageError(f"落实情况应为 已落实、未落实 或 不适用,而不是{quote_input(status)}")
    day = on or (session.today() if status == "已落实" else None)
    if day is not None and day > session.today():
        raise UsageError(f"落实日期 {day:%Y-%m-%d} 晚于今天;请在落实后再登记")
    if evidence:
        try:
            session.archive.find_document(evidence)
        except NotFoundError as exc:
            raise NotFoundError(f"证明文件 {evidence} 不在档案库中;请先归档该文件") from exc
    record = build(DeliveryCondition, {"item": code, "status": status, "date": day, "evidence": evidence or None,
                                       "note": note.strip()}, f"交付条件 {CONDITION_ITEMS[code]}")
    summary = f"登记批次 {project}/{batch_id} 交付条件:{CONDITION_ITEMS[code]} {status}"
    with session.archive.edit_batch(project, batch_id, "batch.condition", summary) as batch:
        check(batch, revision, f"交房批次 {project}/{batch_id}")
        batch.conditions = [c for c in batch.conditions if c.item != code] + [record]
        order = list(CONDITION_ITEMS)
        batch.conditions.sort(key=lambda c: order.index(c.item))
    return record


__all__ = ["CONDITIONS", "ConditionState", "batch_phase", "condition_code", "delivery_conditions", "missing", "set_condition"]
