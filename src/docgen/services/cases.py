"""Case workflows: 报修 (repairs), 投诉 (complaints), 回访 (revisits), 第三方维修结算 (settlements).

Each function is one step a clerk takes, done inside one archive transaction
(the record is read under the write lock, changed, validated and written), so
that two users acting on the same record at once never lose a change: the
second either sees the first's result or, when it names the revision it was
based on, is told who changed the record and when.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from docgen.approvals import approval_chain, next_role
from docgen.archive.revisions import REVISION_FIELDS
from docgen.errors import (
    ConflictError,
    NotFoundError,
    PermissionDenied,
    RecordError,
    UsageError,
    quote_input,
    show_input,
)
from docgen.models import Complaint, Dossier, RepairTicket, Revisit, Settlement
from docgen.money import money_str
from docgen.session import Session
from docgen.units import split_key

SETTLEMENT_LOCKED = ("审批中", "已审批", "已付款")
"""While a sheet is being signed or after, its amounts cannot change (the signatures are for these amounts)."""
_SETTLEMENT_WORKFLOW_FIELDS = frozenset({"approvals", "status"})
_REPAIR_CLOSED = ("已关闭", "不予维修")


# -- shared ------------------------------------------------------------------------
def dossier_key(session: Session, key: str) -> str:
    """Normalise a dossier key (``HXSZ/3栋2单元1203`` → ``HXSZ/03-2-1203``) and check the user may see it."""
    try:
        project, unit = split_key(key)
    except ValueError as exc:
        raise UsageError(str(exc)) from exc
    normal = f"{project}/{unit}"
    session.check_key(normal)
    return normal


def _day(value: dt.date | str | None, session: Session, what: str) -> str:
    if value is None:
        return session.today().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    try:
        return dt.date.fromisoformat(value.strip()).isoformat()
    except ValueError as exc:
        raise UsageError(f"{what}{quote_input(value)}不是有效日期(应为 YYYY-MM-DD,且该日存在)") from exc


def _filled(**fields: tuple[str, str]) -> None:
    """Refuse a new case whose required text is blank, naming each field (``name=(label, value)``).

    The model accepts an empty string (old records have some), so a new
    record is checked here: a ticket without its description is no ticket.
    """
    blank = [(name, label) for name, (label, value) in fields.items() if not str(value or "").strip()]
    if blank:
        raise RecordError(None, [f"请填写{label}" for _n, label in blank], [n for n, _l in blank])


def _case_key(session: Session, record_id: str, permission: str) -> tuple[str, str]:
    """Locate a case record, check scope (a foreign project's record is "not found") and permission."""
    key, kind = session.archive.locate_case(record_id)
    try:
        session.check_key(key)
    except NotFoundError as exc:
        raise NotFoundError(f"记录 {show_input(record_id)} 不存在或无权查看") from exc
    session.require(permission)
    return key, kind


def _append_note(current: str, note: str) -> str:
    note = note.strip()
    if not note:
        return current
    return f"{current};{note}" if current else note


def update_case(session: Session, record_id: str, changes: Mapping[str, Any], *, revision: int | None = None,
                summary: str = "") -> Any:
    """Set fields of any case record; workflow fields (a settlement's signatures and status) have their own steps."""
    _key, kind = _case_key(session, record_id, "cases")
    changes = dict(changes)
    locked = sorted(set(changes) & REVISION_FIELDS)
    if locked:
        raise UsageError(f"字段 {'、'.join(locked)} 由系统维护,不能直接修改")
    if kind == "settlements":
        workflow = sorted(set(changes) & _SETTLEMENT_WORKFLOW_FIELDS)
        if workflow:
            raise UsageError("会签和状态请用 settlement approve / resubmit / paid 办理,不能直接修改")

        def guard(data: dict[str, Any], record: Any, _d: Dossier) -> None:
            if record.status in SETTLEMENT_LOCKED:
                raise ConflictError(
                    f"结算 {record_id} {record.status},其内容已由会签人确认,不能修改;如需更正,请由审批人驳回后修改"
                )
            data.update(changes)

        return session.archive.modify_case(record_id, guard, summary=summary, revision=revision)
    return session.archive.update_case(record_id, changes, summary, revision=revision)


# -- repairs ---------------------------------------------------------------------------
def new_repair(
    session: Session,
    key: str,
    *,
    component: str,
    description: str,
    location: str = "",
    reported_on: dt.date | str | None = None,
    reported_by: str = "",
    channel: str = "电话",
    handled_by: str | None = None,
) -> RepairTicket:
    """Open a repair ticket (报修单) for a dossier; the user taking it is its 经办人 unless another is named."""
    key = dossier_key(session, key)
    session.require("cases")
    _filled(component=("部位/构件", component), description=("问题描述", description))
    record: RepairTicket = session.archive.add_case(key, "repairs", {
        "reported_on": _day(reported_on, session, "报修日期"), "component": component, "description": description,
        "location": location, "reported_by": reported_by, "channel": channel,
        "handled_by": session.user.name if handled_by is None else handled_by,
    }, summary="新建报修单")
    return record


def close_repair(session: Session, ticket_id: str, *, acceptance: str, on: dt.date | str | None = None,
                 note: str = "", revision: int | None = None) -> RepairTicket:
    """Record the owner's acceptance (业主验收): 合格 closes the ticket; 不合格 keeps it 待验收."""
    _case_key(session, ticket_id, "cases")
    if acceptance not in ("合格", "不合格"):
        raise UsageError(f"验收结果应为 合格 或 不合格,而不是{quote_input(acceptance)}")
    day = _day(on, session, "验收日期")

    def change(data: dict[str, Any], record: Any, _d: Dossier) -> None:
        if record.status in _REPAIR_CLOSED:
            raise ConflictError(f"报修单 {ticket_id} 已{record.status},不能再验收关闭")
        data.update(owner_acceptance=acceptance, accepted_on=day)
        if acceptance == "合格":
            completed = record.completed_on.isoformat() if record.completed_on else day
            data.update(status="已关闭", closed_on=day, completed_on=completed)
        else:
            data.update(status="待验收")
        data["notes"] = _append_note(record.notes, note)

    result: RepairTicket = session.archive.modify_case(
        ticket_id, change, kind="repairs", revision=revision, action="repair.close",
        summary=f"报修单 {ticket_id} 业主验收{acceptance}",
    )
    return result


# -- complaints --------------------------------------------------------------------------
def new_complaint(
    session: Session,
    key: str,
    *,
    category: str,
    description: str,
    first_responder: str | None = None,
    received_on: dt.date | str | None = None,
    channel: str = "电话",
    related_repairs: Sequence[str] = (),
) -> Complaint:
    """Take a complaint (投诉); under 首问责任制 the user who takes it owns it unless another is named."""
    key = dossier_key(session, key)
    session.require("cases")
    _filled(category=("投诉类别", category), description=("投诉内容", description))
    record: Complaint = session.archive.add_case(key, "complaints", {
        "received_on": _day(received_on, session, "受理日期"), "category": category, "description": description,
        "first_responder": first_responder or session.user.name, "channel": channel,
        "related_repairs": _ids(related_repairs),
    }, summary="受理投诉")
    return record


def _ids(values: Iterable[str]) -> list[str]:
    """Ids from repeated options or comma-separated text, in order, without repeats."""
    out: list[str] = []
    for value in values:
        for part in str(value).replace(",", ",").replace("、", ",").split(","):
            part = part.strip()
            if part and part not in out:
                out.append(part)
    return out


def close_complaint(session: Session, complaint_id: str, *, resolution: str, on: dt.date | str | None = None,
                    revision: int | None = None) -> Complaint:
    """Close a complaint with its resolution (a 投诉后回访 is due within days, see the audit rules)."""
    _case_key(session, complaint_id, "cases")
    if not resolution.strip():
        raise UsageError("关闭投诉须写明处理结果")
    day = _day(on, session, "关闭日期")

    def change(data: dict[str, Any], record: Any, _d: Dossier) -> None:
        if record.status == "已关闭":
            raise ConflictError(f"投诉 {complaint_id} 已于 {record.closed_on} 关闭")
        data.update(status="已关闭", resolution=resolution.strip(), closed_on=day)

    result: Complaint = session.archive.modify_case(
        complaint_id, change, kind="complaints", revision=revision, action="complaint.close",
        summary=f"关闭投诉 {complaint_id}",
    )
    return result


def link_complaint(session: Session, complaint_id: str, repair_ids: Iterable[str], *,
                   revision: int | None = None) -> Complaint:
    """Link a complaint to the repair tickets it is about (they must be in the same dossier)."""
    _case_key(session, complaint_id, "cases")
    wanted = _ids(repair_ids)
    if not wanted:
        raise UsageError("请给出要关联的报修单编号")

    def change(data: dict[str, Any], record: Any, dossier: Dossier) -> None:
        known = {r.id for r in dossier.repairs}
        missing = [r for r in wanted if r not in known]
        if missing:
            raise NotFoundError(f"投诉 {show_input(complaint_id)} 所在档案 {dossier.key} 中没有报修单 {show_input('、'.join(missing))}")
        data["related_repairs"] = list(dict.fromkeys([*record.related_repairs, *wanted]))

    result: Complaint = session.archive.modify_case(
        complaint_id, change, kind="complaints", revision=revision, action="complaint.link",
        summary=f"投诉 {complaint_id} 关联报修单 {'、'.join(wanted)}",
    )
    return result


# -- revisits -----------------------------------------------------------------------------
def plan_revisit(session: Session, key: str, *, by: str | None = None, on: dt.date | str | None = None,
                 reason: str = "定期回访", related: str | None = None, notes: str = "",
                 channel: str = "电话") -> Revisit:
    """Plan a revisit (回访, status 待回访) on a date; done later with :func:`complete_revisit`."""
    key = dossier_key(session, key)
    session.require("cases")
    record: Revisit = session.archive.add_case(key, "revisits", {
        "date": _day(on, session, "回访日期"), "by": by or session.user.name, "reason": reason,
        "related": related or None, "notes": notes, "channel": channel, "status": "待回访",
    }, summary="计划回访")
    return record


def record_revisit(session: Session, key: str, *, satisfaction: str, by: str | None = None,
                   on: dt.date | str | None = None, reason: str = "定期回访", related: str | None = None,
                   notes: str = "", channel: str = "电话") -> Revisit:
    """Record a revisit that has been made, with the owner's satisfaction (A 满意 / B 基本满意 / C 不满意)."""
    key = dossier_key(session, key)
    session.require("cases")
    record: Revisit = session.archive.add_case(key, "revisits", {
        "date": _day(on, session, "回访日期"), "by": by or session.user.name, "reason": reason,
        "related": related or None, "notes": notes, "channel": channel, "status": "已完成",
        "satisfaction": satisfaction,
    }, summary="登记回访")
    return record


def complete_revisit(session: Session, revisit_id: str, *, satisfaction: str, notes: str = "",
                     on: dt.date | str | None = None, revision: int | None = None) -> Revisit:
    """Complete a planned revisit with the owner's satisfaction and what they said."""
    _case_key(session, revisit_id, "cases")
    day = _day(on, session, "回访日期")

    def change(data: dict[str, Any], record: Any, _d: Dossier) -> None:
        if record.status == "已完成":
            raise ConflictError(f"回访 {revisit_id} 已于 {record.date} 完成")
        data.update(status="已完成", satisfaction=satisfaction, date=day)
        if notes.strip():
            data["notes"] = notes.strip()

    result: Revisit = session.archive.modify_case(
        revisit_id, change, kind="revisits", revision=revision, action="revisit.complete",
        summary=f"完成回访 {revisit_id}",
    )
    return result


def link_revisit(session: Session, revisit_id: str, case_id: str, *, revision: int | None = None) -> Revisit:
    """Link a revisit to the complaint or repair it follows (a record of the same dossier; empty to unlink)."""
    _case_key(session, revisit_id, "cases")
    target = case_id.strip()

    def change(data: dict[str, Any], _record: Any, dossier: Dossier) -> None:
        if target:
            known = {r.id for r in dossier.repairs} | {c.id for c in dossier.complaints}
            if target not in known:
                raise NotFoundError(f"回访 {show_input(revisit_id)} 所在档案 {dossier.key} 中没有报修单或投诉 {show_input(target)}")
        data["related"] = target or None

    result: Revisit = session.archive.modify_case(
        revisit_id, change, kind="revisits", revision=revision, action="revisit.link",
        summary=f"回访 {revisit_id} 关联 {target}" if target else f"回访 {revisit_id} 取消关联",
    )
    return result


# -- settlements -------------------------------------------------------------------------------
def new_settlement(
    session: Session,
    key: str,
    *,
    contractor: str,
    items: Sequence[Mapping[str, Any]],
    repair_ids: Sequence[str] = (),
    deductions: Sequence[Mapping[str, Any]] = (),
    contract_no: str = "",
    payee: str = "",
    bank: str = "",
    account: str = "",
    handled_by: str | None = None,
    paid_before: Decimal | str = "0.00",
    chargeback: Decimal | str = "0.00",
    chargeback_to: str = "",
    attachments: Sequence[str] = (),
) -> Settlement:
    """Draw up a third-party repair settlement (草稿); amounts are approved quantity × contract price, exact."""
    key = dossier_key(session, key)
    session.require("cases")
    _filled(contractor=("第三方维修单位", contractor))
    if not items:
        raise RecordError(None, ["结算至少需要一项维修项目"], ["items"])
    record: Settlement = session.archive.add_case(key, "settlements", {
        "created_on": session.today().isoformat(), "contractor": contractor, "contract_no": contract_no,
        "items": [dict(i) for i in items], "repair_ids": _ids(repair_ids), "deductions": [dict(d) for d in deductions],
        "payee": payee or contractor, "bank": bank, "account": account,
        "handled_by": session.user.name if handled_by is None else handled_by,
        "paid_before": str(paid_before), "chargeback": str(chargeback), "chargeback_to": chargeback_to,
        "attachments": list(attachments), "approvals": [], "status": "草稿",
    }, summary="新建第三方维修结算")
    return record


def chain_for(session: Session, sheet: Settlement) -> list[str]:
    """The countersign chain the sheet's approved total requires."""
    return approval_chain(sheet.approved_total, session.config.generate.approval_thresholds)


def approve_settlement(
    session: Session,
    sheet_id: str,
    *,
    role: str | None = None,
    signer: str | None = None,
    decision: str = "同意",
    note: str = "",
    on: dt.date | str | None = None,
    revision: int | None = None,
) -> Settlement:
    """Sign the next step of a settlement's countersign chain (会签), in order, once per person.

    The chain is 经办人 → 客户服务部负责人 → each role whose threshold the approved
    total reaches.  Only the next step may sign (``role`` defaults to it); the
    经办人's signature submits the sheet (审批中); the last one approves it
    (已审批); 不同意 (with a reason) returns it to the 经办人 (已驳回).
    """
    key, kind = session.archive.locate_case(sheet_id)
    if kind != "settlements":
        raise NotFoundError(f"{show_input(sheet_id)} 不是第三方维修结算")
    try:
        session.check_key(key)
    except NotFoundError as exc:
        raise NotFoundError(f"记录 {show_input(sheet_id)} 不存在或无权查看") from exc
    if decision not in ("同意", "不同意"):
        raise UsageError(f"签字意见应为 同意 或 不同意,而不是{quote_input(decision)}")
    if decision == "不同意" and not note.strip():
        raise UsageError("驳回(不同意)须写明理由,以便经办人修改")
    day = _day(on, session, "签字日期")
    thresholds = session.config.generate.approval_thresholds
    name = (signer or session.user.name).strip()

    def change(data: dict[str, Any], record: Any, _d: Dossier) -> None:
        if record.status in ("已审批", "已付款"):
            raise ConflictError(f"结算 {sheet_id} 已{record.status},会签已完成")
        if record.status == "已驳回":
            raise ConflictError(f"结算 {sheet_id} 已被驳回,须由经办人修改后重新提交(settlement resubmit)")
        chain = approval_chain(record.approved_total, thresholds)
        step = next_role(record.approved_total, record.approvals, thresholds)
        if step is None:
            raise ConflictError(f"结算 {sheet_id} 的会签链已签完")
        wanted = role or step
        if wanted != step:
            where = f"审定金额 ¥{money_str(record.approved_total)},须依次由{'、'.join(chain)}签字"
            if wanted not in chain:
                raise ConflictError(f"结算 {sheet_id} 的会签链中没有「{wanted}」({where})")
            raise ConflictError(f"结算 {sheet_id} 现在应由「{step}」签字,不能由「{wanted}」签字({where})")
        permission = "cases" if wanted == "经办人" else "approve"
        if not session.user.can(permission) or (wanted != "经办人" and not session.user.may_sign(wanted)):
            raise PermissionDenied(f"{session.user.label} 不负责会签链上的「{wanted}」环节")
        if (wanted == "经办人" and session.user.role != "operator" and record.handled_by
                and record.handled_by != session.user.name):
            raise PermissionDenied(f"结算 {sheet_id} 的经办人是 {record.handled_by},须由其本人签字提交")
        signed = [a for a in record.approvals if a.decision in ("同意", "不同意")]
        if any(a.name == name for a in signed):
            raise ConflictError(f"{name} 已在结算 {sheet_id} 上签过字,同一人不能签两个环节")
        approvals = [a.model_dump(mode="json") for a in signed]
        approvals.append({"role": wanted, "name": name, "date": day, "decision": decision, "note": note.strip()})
        data["approvals"] = approvals
        if decision == "不同意":
            data["status"] = "已驳回"
        elif len(approvals) == len(chain):
            data["status"] = "已审批"
        else:
            data["status"] = "审批中"

    result: Settlement = session.archive.modify_case(
        sheet_id, change, kind="settlements", revision=revision, action="settlement.approve",
        summary=f"结算 {sheet_id} {role or '下一环节'} {name} {decision}" + (f":{note.strip()}" if note.strip() else ""),
    )
    return result


def resubmit_settlement(session: Session, sheet_id: str, *, changes: Mapping[str, Any] | None = None,
                        revision: int | None = None) -> Settlement:
    """After a rejection, the 经办人 corrects the sheet (``changes``) and it starts the chain again as 草稿."""
    _case_key(session, sheet_id, "cases")
    changes = dict(changes or {})
    bad = sorted(set(changes) & (_SETTLEMENT_WORKFLOW_FIELDS | REVISION_FIELDS | {"id"}))
    if bad:
        raise UsageError(f"字段 {'、'.join(bad)} 不能在重新提交时修改")

    def change(data: dict[str, Any], record: Any, _d: Dossier) -> None:
        if record.status != "已驳回":
            raise ConflictError(f"结算 {sheet_id} 为{record.status},只有已驳回的结算才需重新提交")
        data.update(changes)
        data["approvals"] = []
        data["status"] = "草稿"

    result: Settlement = session.archive.modify_case(
        sheet_id, change, kind="settlements", revision=revision, action="settlement.resubmit",
        summary=f"结算 {sheet_id} 修改后重新提交",
    )
    return result


def mark_settlement_paid(session: Session, sheet_id: str, *, revision: int | None = None) -> Settlement:
    """Record that an approved settlement has been paid (已付款)."""
    _case_key(session, sheet_id, "cases")

    def change(data: dict[str, Any], record: Any, _d: Dossier) -> None:
        if record.status != "已审批":
            raise ConflictError(f"结算 {sheet_id} 为{record.status},审批完成后才能登记付款")
        data["status"] = "已付款"

    result: Settlement = session.archive.modify_case(
        sheet_id, change, kind="settlements", revision=revision, action="settlement.paid",
        summary=f"结算 {sheet_id} 已付款",
    )
    return result
