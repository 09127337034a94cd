"""Case records: repairs (报修), complaints (投诉), revisits (回访), settlements (第三方维修结算)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import click

from docgen.cli.common import App, console, emit_json, kv, parse_assignments, pass_app
from docgen.errors import UsageError
from docgen.units import split_key

JSON = click.option("--json", "as_json", is_flag=True, help="以 JSON 输出(供脚本使用)。")


def _key(key: str) -> str:
    p, u = split_key(key)
    return f"{p}/{u}"


def _today(app: App) -> str:
    return str(app.archive.today().isoformat())


def _show(record: Any, as_json: bool, verb: str) -> None:
    if as_json:
        emit_json(record.model_dump(mode="json"))
    else:
        console().print(f"{verb} {record.id}")


def _check_date(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        dt.date.fromisoformat(value)
    except ValueError as exc:
        raise click.BadParameter(f"{value!r} 不是日期,应为 YYYY-MM-DD") from exc
    return value


# -- repairs ---------------------------------------------------------------------
@click.group()
def repair() -> None:
    """报修单:新建、更新、关闭。"""


@repair.command("new")
@click.argument("key")
@click.option("--component", required=True, help="部位/构件,如 卫生间地面渗漏(对应保修期表)。")
@click.option("--description", required=True, help="问题描述。")
@click.option("--location", default="", help="具体位置。")
@click.option("--reported-on", help="报修日期(默认今天)。")
@click.option("--reported-by", default="", help="报修人。")
@click.option("--channel", default="电话", show_default=True, help="渠道。")
@JSON
@pass_app
def repair_new(app: App, key: str, component: str, description: str, location: str, reported_on: str | None,
               reported_by: str, channel: str, as_json: bool) -> None:
    """为档案 KEY 新建报修单。"""
    record = app.archive.add_case(_key(key), "repairs", {
        "reported_on": _check_date(reported_on) or _today(app), "component": component, "description": description,
        "location": location, "reported_by": reported_by, "channel": channel})
    _show(record, as_json, "已新建报修单")


@repair.command("update")
@click.argument("ticket")
@click.argument("assignments", nargs=-1, required=True)
@JSON
@pass_app
def repair_update(app: App, ticket: str, assignments: tuple[str, ...], as_json: bool) -> None:
    """更新报修单字段,如 status=维修中 verified_cause=防水层破损 responsibility=施工单位。"""
    record = app.archive.update_case(ticket, parse_assignments(assignments))
    _show(record, as_json, "已更新报修单")


@repair.command("close")
@click.argument("ticket")
@click.option("--acceptance", type=click.Choice(["合格", "不合格"]), required=True, help="业主验收结果。")
@click.option("--on", "closed_on", help="关闭日期(默认今天)。")
@click.option("--note", default="", help="备注。")
@JSON
@pass_app
def repair_close(app: App, ticket: str, acceptance: str, closed_on: str | None, note: str, as_json: bool) -> None:
    """关闭报修单(记录业主验收)。验收不合格时报修单保持为待验收。"""
    day = _check_date(closed_on) or _today(app)
    _, _, current = app.archive.find_case(ticket)
    changes: dict[str, Any] = {"owner_acceptance": acceptance, "accepted_on": day}
    if acceptance == "合格":
        changes.update(status="已关闭", closed_on=day, completed_on=current.completed_on or day)
    else:
        changes.update(status="待验收")
    if note:
        changes["notes"] = (current.notes + ";" if current.notes else "") + note
    record = app.archive.update_case(ticket, changes, summary=f"报修单 {ticket} 验收{acceptance}")
    _show(record, as_json, "已关闭报修单" if acceptance == "合格" else "验收不合格,报修单保持待验收")


# -- complaints ------------------------------------------------------------------
@click.group()
def complaint() -> None:
    """投诉(首问责任制):新建、更新、关闭。"""


@complaint.command("new")
@click.argument("key")
@click.option("--category", required=True, help="类别,如 工程质量、交付延期、物业服务。")
@click.option("--description", required=True, help="投诉内容。")
@click.option("--first-responder", required=True, help="首问责任人。")
@click.option("--received-on", help="受理日期(默认今天)。")
@click.option("--channel", default="电话", show_default=True)
@JSON
@pass_app
def complaint_new(app: App, key: str, category: str, description: str, first_responder: str,
                  received_on: str | None, channel: str, as_json: bool) -> None:
    """为档案 KEY 受理投诉。"""
    record = app.archive.add_case(_key(key), "complaints", {
        "received_on": _check_date(received_on) or _today(app), "category": category, "description": description,
        "first_responder": first_responder, "channel": channel})
    _show(record, as_json, "已受理投诉")


@complaint.command("update")
@click.argument("complaint_id")
@click.argument("assignments", nargs=-1, required=True)
@JSON
@pass_app
def complaint_update(app: App, complaint_id: str, assignments: tuple[str, ...], as_json: bool) -> None:
    """更新投诉字段,如 status=处理中 related_repairs=BX-2026-00012,BX-2026-00013(多个用逗号分隔,留空即清除)。"""
    changes: dict[str, Any] = dict(parse_assignments(assignments))
    if "related_repairs" in changes:  # a list: ids separated by commas (half- or full-width) or 、
        changes["related_repairs"] = [x for x in re.split(r"[,,、\s]+", changes["related_repairs"]) if x]
    _show(app.archive.update_case(complaint_id, changes), as_json, "已更新投诉")


@complaint.command("close")
@click.argument("complaint_id")
@click.option("--resolution", required=True, help="处理结果。")
@click.option("--on", "closed_on", help="关闭日期(默认今天)。")
@JSON
@pass_app
def complaint_close(app: App, complaint_id: str, resolution: str, closed_on: str | None, as_json: bool) -> None:
    """关闭投诉并记录处理结果(三日内应安排投诉后回访)。"""
    record = app.archive.update_case(complaint_id, {"status": "已关闭", "resolution": resolution,
                                                    "closed_on": _check_date(closed_on) or _today(app)},
                                     summary=f"关闭投诉 {complaint_id}")
    _show(record, as_json, "已关闭投诉")


# -- revisits --------------------------------------------------------------------
@click.group()
def revisit() -> None:
    """回访:登记(或计划)、更新、完成。"""


@revisit.command("new")
@click.argument("key")
@click.option("--by", "by_whom", required=True, help="回访人。")
@click.option("--date", "on", help="回访日期(默认今天;计划回访为计划日期)。")
@click.option("--satisfaction", type=click.Choice(["A", "B", "C"]), help="满意度 A 满意 / B 基本满意 / C 不满意;不填即为计划回访。")
@click.option("--reason", type=click.Choice(["定期回访", "投诉后回访", "维修后回访", "交房后回访"]), default="定期回访",
              show_default=True)
@click.option("--related", help="相关的报修单或投诉编号。")
@click.option("--notes", default="", help="回访记录。")
@click.option("--channel", default="电话", show_default=True)
@JSON
@pass_app
def revisit_new(app: App, key: str, by_whom: str, on: str | None, satisfaction: str | None, reason: str,
                related: str | None, notes: str, channel: str, as_json: bool) -> None:
    """为档案 KEY 登记回访(给出满意度)或计划回访(不给满意度)。"""
    record = app.archive.add_case(_key(key), "revisits", {
        "date": _check_date(on) or _today(app), "by": by_whom, "satisfaction": satisfaction, "reason": reason,
        "related": related, "notes": notes, "channel": channel,
        "status": "已完成" if satisfaction else "待回访"})
    _show(record, as_json, "已登记回访" if satisfaction else "已计划回访")


@revisit.command("update")
@click.argument("revisit_id")
@click.argument("assignments", nargs=-1, required=True)
@JSON
@pass_app
def revisit_update(app: App, revisit_id: str, assignments: tuple[str, ...], as_json: bool) -> None:
    """更新回访字段,如 notes=业主反映已修好。"""
    _show(app.archive.update_case(revisit_id, parse_assignments(assignments)), as_json, "已更新回访")


@revisit.command("close")
@click.argument("revisit_id")
@click.option("--satisfaction", type=click.Choice(["A", "B", "C"]), required=True)
@click.option("--notes", default="", help="回访记录。")
@click.option("--on", "on", help="实际回访日期(默认今天)。")
@JSON
@pass_app
def revisit_close(app: App, revisit_id: str, satisfaction: str, notes: str, on: str | None, as_json: bool) -> None:
    """完成一次计划回访,记录满意度。"""
    changes: dict[str, Any] = {"status": "已完成", "satisfaction": satisfaction, "date": _check_date(on) or _today(app)}
    if notes:
        changes["notes"] = notes
    _show(app.archive.update_case(revisit_id, changes, summary=f"完成回访 {revisit_id}"), as_json, "已完成回访")


# -- settlements -----------------------------------------------------------------
@click.group()
def settlement() -> None:
    """第三方维修费用结算:新建、审批签字、查看。"""


def _item(spec: str) -> dict[str, str]:
    parts = [p.strip() for p in spec.replace(",", ",").split(",")]
    if len(parts) != 5:
        raise UsageError(f"结算项 {spec!r} 应写成 维修项目,单位,申报数量,核定数量,合同单价")
    return {"item": parts[0], "unit": parts[1], "declared_qty": parts[2], "approved_qty": parts[3],
            "unit_price": parts[4]}


@settlement.command("new")
@click.argument("key")
@click.option("--contractor", required=True, help="第三方维修单位。")
@click.option("--contract-no", default="", help="维修合同编号。")
@click.option("--item", "items", multiple=True, required=True,
              help="结算项:\"维修项目,单位,申报数量,核定数量,合同单价\"(可多次)。")
@click.option("--repair", "repairs", multiple=True, help="关联报修单编号(可多次)。")
@click.option("--deduction", "deductions", multiple=True, help="扣款:\"名称,金额\",如 \"预留质保金,300.00\"。")
@click.option("--payee", default="", help="收款单位。")
@click.option("--bank", default="", help="开户行。")
@click.option("--account", default="", help="账号。")
@click.option("--handled-by", default="", help="经办人。")
@JSON
@pass_app
def settlement_new(app: App, key: str, contractor: str, contract_no: str, items: tuple[str, ...],
                   repairs: tuple[str, ...], deductions: tuple[str, ...], payee: str, bank: str, account: str,
                   handled_by: str, as_json: bool) -> None:
    """为档案 KEY 新建第三方维修费用结算(金额按核定数量×合同单价精确计算)。"""
    deds = []
    for spec in deductions:
        name, _, amount = spec.replace(",", ",").partition(",")
        deds.append({"name": name.strip(), "amount": amount.strip()})
    record = app.archive.add_case(_key(key), "settlements", {
        "created_on": _today(app), "contractor": contractor, "contract_no": contract_no,
        "items": [_item(s) for s in items], "repair_ids": list(repairs), "deductions": deds,
        "payee": payee or contractor, "bank": bank, "account": account, "handled_by": handled_by,
        "approvals": [{"role": "经办人", "name": handled_by, "decision": "同意", "date": _today(app)}]
        if handled_by else []})  # the 经办人 fills in the sheet and signs it first
    if as_json:
        emit_json(record.model_dump(mode="json"))
        return
    kv([("已新建结算", record.id), ("申报金额", record.declared_total), ("审定金额", record.approved_total),
        ("扣款", record.deductions_total), ("本次付款", record.payable)])


@settlement.command("approve")
@click.argument("sheet")
@click.option("--role", required=True, help="签字角色,如 客户服务部负责人、分管领导、总经理。")
@click.option("--name", "signer", required=True, help="签字人。")
@click.option("--decision", type=click.Choice(["同意", "不同意"]), default="同意", show_default=True)
@click.option("--note", default="")
@click.option("--on", "on", help="签字日期(默认今天)。")
@JSON
@pass_app
def settlement_approve(app: App, sheet: str, role: str, signer: str, decision: str, note: str, on: str | None,
                       as_json: bool) -> None:
    """在结算 SHEET 的会签链上签字。"""
    _, _, current = app.archive.find_case(sheet)
    approvals = [a.model_dump(mode="json") for a in current.approvals if a.role != role]
    approvals.append({"role": role, "name": signer, "decision": decision, "note": note,
                      "date": _check_date(on) or _today(app)})
    status = "已驳回" if decision == "不同意" else "审批中"
    record = app.archive.update_case(sheet, {"approvals": approvals, "status": status},
                                     summary=f"结算 {sheet} {role} {signer} {decision}")
    _show(record, as_json, f"{role} {signer} 已签字({decision})")


@settlement.command("show")
@click.argument("sheet")
@JSON
@pass_app
def settlement_show(app: App, sheet: str, as_json: bool) -> None:
    """查看结算 SHEET 的明细与会签情况。"""
    dossier, _, s = app.archive.find_case(sheet)
    if as_json:
        emit_json({**s.model_dump(mode="json"), "dossier": dossier.key, "declared_total": s.declared_total,
                   "approved_total": s.approved_total, "deductions_total": s.deductions_total, "payable": s.payable})
        return
    kv([("结算", f"{s.id}({dossier.unit_label})"), ("施工单位", s.contractor), ("状态", s.status),
        ("审定金额", s.approved_total), ("本次付款", s.payable)])
    for a in s.approvals:
        console().print(f"  {a.role}:{a.name} {a.decision} {a.date or ''}")


