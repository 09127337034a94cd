"""Case records: repairs (报修), complaints (投诉), revisits (回访), settlements (第三方维修结算).

Each command parses its options, calls one service in :mod:`docgen.services.cases`
with the run's session and prints the result; the workflow rules (which step
comes next, who may sign, what a closed case refuses) live in the core.
"""

from __future__ import annotations

from typing import Any

import click

from docgen.cli.common import App, console, emit_json, kv, parse_assignments, pass_app
from docgen.errors import UsageError, quote_input
from docgen.services import cases

JSON = click.option("--json", "as_json", is_flag=True, help="以 JSON 输出(供脚本使用)。")
REVISION = click.option("--revision", type=int, help="只在记录仍为该版本时修改(防止覆盖他人的修改)。")


def _show(record: Any, as_json: bool, verb: str) -> None:
    if as_json:
        emit_json(record.model_dump(mode="json"))
    else:
        console().print(f"{verb} {record.id}")


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
    """为档案 KEY 新建报修单(经办人为当前操作人)。"""
    record = cases.new_repair(app.session, key, component=component, description=description, location=location,
                              reported_on=reported_on, reported_by=reported_by, channel=channel)
    _show(record, as_json, "已新建报修单")


@repair.command("update")
@click.argument("ticket")
@click.argument("assignments", nargs=-1, required=True)
@REVISION
@JSON
@pass_app
def repair_update(app: App, ticket: str, assignments: tuple[str, ...], revision: int | None, as_json: bool) -> None:
    """更新报修单字段,如 status=维修中 verified_cause=防水层破损 responsibility=施工单位。"""
    record = cases.update_case(app.session, ticket, parse_assignments(assignments), revision=revision)
    _show(record, as_json, "已更新报修单")


@repair.command("close")
@click.argument("ticket")
@click.option("--acceptance", type=click.Choice(["合格", "不合格"]), required=True, help="业主验收结果。")
@click.option("--on", "closed_on", help="关闭日期(默认今天)。")
@click.option("--note", default="", help="备注。")
@REVISION
@JSON
@pass_app
def repair_close(app: App, ticket: str, acceptance: str, closed_on: str | None, note: str, revision: int | None,
                 as_json: bool) -> None:
    """关闭报修单(记录业主验收)。验收不合格时报修单保持为待验收。"""
    record = cases.close_repair(app.session, ticket, acceptance=acceptance, on=closed_on, note=note, revision=revision)
    _show(record, as_json, "已关闭报修单" if acceptance == "合格" else "验收不合格,报修单保持待验收")


# -- complaints ------------------------------------------------------------------
@click.group()
def complaint() -> None:
    """投诉(首问责任制):新建、更新、关闭。"""


@complaint.command("new")
@click.argument("key")
@click.option("--category", required=True, help="类别,如 工程质量、交付延期、物业服务。")
@click.option("--description", required=True, help="投诉内容。")
@click.option("--first-responder", help="首问责任人(默认为当前操作人:谁受理谁负责)。")
@click.option("--received-on", help="受理日期(默认今天)。")
@click.option("--channel", default="电话", show_default=True, help="渠道。")
@click.option("--repair", "repairs", multiple=True, help="关联的报修单编号(可多次,或用逗号分隔)。")
@JSON
@pass_app
def complaint_new(app: App, key: str, category: str, description: str, first_responder: str | None,
                  received_on: str | None, channel: str, repairs: tuple[str, ...], as_json: bool) -> None:
    """为档案 KEY 受理投诉。"""
    record = cases.new_complaint(app.session, key, category=category, description=description,
                                 first_responder=first_responder, received_on=received_on, channel=channel,
                                 related_repairs=repairs)
    _show(record, as_json, "已受理投诉")


@complaint.command("update")
@click.argument("complaint_id")
@click.argument("assignments", nargs=-1, required=True)
@REVISION
@JSON
@pass_app
def complaint_update(app: App, complaint_id: str, assignments: tuple[str, ...], revision: int | None,
                     as_json: bool) -> None:
    """更新投诉字段,如 status=处理中 related_repairs=BX-2026-00012,BX-2026-00013(多个用逗号分隔,留空即清除)。"""
    changes: dict[str, Any] = dict(parse_assignments(assignments))
    if "related_repairs" in changes:  # a list on the command line: comma-separated ids
        changes["related_repairs"] = cases._ids([changes["related_repairs"] or ""])
    _show(cases.update_case(app.session, complaint_id, changes, revision=revision), as_json, "已更新投诉")


@complaint.command("link")
@click.argument("complaint_id")
@click.argument("repairs", nargs=-1, required=True)
@REVISION
@JSON
@pass_app
def complaint_link(app: App, complaint_id: str, repairs: tuple[str, ...], revision: int | None, as_json: bool) -> None:
    """把投诉关联到同一档案的报修单,如 docgen complaint link TS-2026-00003 BX-2026-00012。"""
    record = cases.link_complaint(app.session, complaint_id, repairs, revision=revision)
    _show(record, as_json, f"已关联 {'、'.join(record.related_repairs)} →")


@complaint.command("close")
@click.argument("complaint_id")
@click.option("--resolution", required=True, help="处理结果。")
@click.option("--on", "closed_on", help="关闭日期(默认今天)。")
@REVISION
@JSON
@pass_app
def complaint_close(app: App, complaint_id: str, resolution: str, closed_on: str | None, revision: int | None,
                    as_json: bool) -> None:
    """关闭投诉并记录处理结果(三日内应安排投诉后回访)。"""
    record = cases.close_complaint(app.session, complaint_id, resolution=resolution, on=closed_on, revision=revision)
    _show(record, as_json, "已关闭投诉")


# -- revisits --------------------------------------------------------------------
@click.group()
def revisit() -> None:
    """回访:登记(或计划)、更新、完成。"""


@revisit.command("new")
@click.argument("key")
@click.option("--by", "by_whom", help="回访人(默认为当前操作人)。")
@click.option("--date", "on", help="回访日期(默认今天;计划回访为计划日期)。")
@click.option("--satisfaction", type=click.Choice(["A", "B", "C"]), help="满意度 A 满意 / B 基本满意 / C 不满意;不填即为计划回访。")
@click.option("--reason", type=click.Choice(["定期回访", "投诉后回访", "维修后回访", "交房后回访"]), default="定期回访",
              show_default=True)
@click.option("--related", help="相关的报修单或投诉编号。")
@click.option("--notes", default="", help="回访记录。")
@click.option("--channel", default="电话", show_default=True, help="渠道。")
@JSON
@pass_app
def revisit_new(app: App, key: str, by_whom: str | None, on: str | None, satisfaction: str | None, reason: str,
                related: str | None, notes: str, channel: str, as_json: bool) -> None:
    """为档案 KEY 登记回访(给出满意度)或计划回访(不给满意度)。"""
    options: dict[str, Any] = {"by": by_whom, "on": on, "reason": reason, "related": related, "notes": notes,
                               "channel": channel}
    if satisfaction:
        record = cases.record_revisit(app.session, key, satisfaction=satisfaction, **options)
    else:
        record = cases.plan_revisit(app.session, key, **options)
    _show(record, as_json, "已登记回访" if satisfaction else "已计划回访")


@revisit.command("update")
@click.argument("revisit_id")
@click.argument("assignments", nargs=-1, required=True)
@REVISION
@JSON
@pass_app
def revisit_update(app: App, revisit_id: str, assignments: tuple[str, ...], revision: int | None,
                   as_json: bool) -> None:
    """更新回访字段,如 notes=业主反映已修好。"""
    _show(cases.update_case(app.session, revisit_id, parse_assignments(assignments), revision=revision), as_json,
          "已更新回访")


@revisit.command("close")
@click.argument("revisit_id")
@click.option("--satisfaction", type=click.Choice(["A", "B", "C"]), required=True)
@click.option("--notes", default="", help="回访记录。")
@click.option("--on", "on", help="实际回访日期(默认今天)。")
@REVISION
@JSON
@pass_app
def revisit_close(app: App, revisit_id: str, satisfaction: str, notes: str, on: str | None, revision: int | None,
                  as_json: bool) -> None:
    """完成一次计划回访,记录满意度。"""
    record = cases.complete_revisit(app.session, revisit_id, satisfaction=satisfaction, notes=notes, on=on,
                                    revision=revision)
    _show(record, as_json, "已完成回访")


# -- settlements -----------------------------------------------------------------
@click.group()
def settlement() -> None:
    """第三方维修费用结算:新建、审批签字、查看。"""


def _item(spec: str) -> dict[str, str]:
    parts = [p.strip() for p in spec.replace(",", ",").split(",")]
    if len(parts) != 5:
        raise UsageError(f"结算项{quote_input(spec)}应写成 维修项目,单位,申报数量,核定数量,合同单价")
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
@click.option("--handled-by", default="", help="经办人(默认为当前操作人)。")
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
    record = cases.new_settlement(app.session, key, contractor=contractor, contract_no=contract_no,
                                  items=[_item(s) for s in items], repair_ids=repairs, deductions=deds,
                                  payee=payee, bank=bank, account=account, handled_by=handled_by or None)
    if as_json:
        emit_json(record.model_dump(mode="json"))
        return
    kv([("已新建结算", f"{record.id}(草稿)"), ("申报金额", record.declared_total),
        ("审定金额", record.approved_total), ("扣款", record.deductions_total), ("本次付款", record.payable),
        ("会签链", " → ".join(cases.chain_for(app.session, record)))])
    console().print(f"下一步:经办人签字提交,docgen settlement approve {record.id} --role 经办人")


@settlement.command("approve")
@click.argument("sheet")
@click.option("--role", help="签字环节,如 经办人、客户服务部负责人、分管领导、总经理(默认为会签链的下一步)。")
@click.option("--name", "signer", help="签字人(默认为当前操作人)。")
@click.option("--decision", type=click.Choice(["同意", "不同意"]), default="同意", show_default=True, help="意见。")
@click.option("--note", default="", help="意见说明(不同意时必填)。")
@click.option("--on", "on", help="签字日期(默认今天)。")
@REVISION
@JSON
@pass_app
def settlement_approve(app: App, sheet: str, role: str | None, signer: str | None, decision: str, note: str,
                       on: str | None, revision: int | None, as_json: bool) -> None:
    """在结算 SHEET 的会签链上签字:只能签下一环节,每人只签一次;最后一个环节签完即为已审批。"""
    record = cases.approve_settlement(app.session, sheet, role=role, signer=signer, decision=decision, note=note,
                                      on=on, revision=revision)
    if as_json:
        emit_json(record.model_dump(mode="json"))
        return
    last = record.approvals[-1]
    console().print(f"{last.role} {last.name} 已签字({last.decision}),结算 {record.id} 现为{record.status}")


@settlement.command("resubmit")
@click.argument("sheet")
@click.argument("assignments", nargs=-1)
@REVISION
@JSON
@pass_app
def settlement_resubmit(app: App, sheet: str, assignments: tuple[str, ...], revision: int | None,
                        as_json: bool) -> None:
    """被驳回的结算修改后重新提交(清空签字,回到草稿),如 docgen settlement resubmit HQ-2026-00003 contract_no=…。"""
    record = cases.resubmit_settlement(app.session, sheet, changes=parse_assignments(assignments), revision=revision)
    _show(record, as_json, "已重新提交(草稿,请经办人签字)")


@settlement.command("paid")
@click.argument("sheet")
@REVISION
@JSON
@pass_app
def settlement_paid(app: App, sheet: str, revision: int | None, as_json: bool) -> None:
    """登记已审批的结算已付款。"""
    _show(cases.mark_settlement_paid(app.session, sheet, revision=revision), as_json, "已登记付款")


@settlement.command("show")
@click.argument("sheet")
@JSON
@pass_app
def settlement_show(app: App, sheet: str, as_json: bool) -> None:
    """查看结算 SHEET 的明细与会签情况。"""
    dossier, _, s = app.archive.find_case(sheet)
    app.session.check_key(dossier.key)
    chain = cases.chain_for(app.session, s)
    if as_json:
        emit_json({**s.model_dump(mode="json"), "dossier": dossier.key, "declared_total": s.declared_total,
                   "approved_total": s.approved_total, "deductions_total": s.deductions_total, "payable": s.payable,
                   "chain": chain})
        return
    kv([("结算", f"{s.id}({dossier.unit_label})"), ("施工单位", s.contractor), ("状态", s.status),
        ("审定金额", s.approved_total), ("本次付款", s.payable)])
    signed = {a.role: a for a in s.approvals if a.decision != "待签"}
    for role in chain:
        a = signed.get(role)
        console().print(f"  {role}:{a.name} {a.decision} {a.date or ''}" if a else f"  {role}:待签")


