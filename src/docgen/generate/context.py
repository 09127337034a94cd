"""Build each template's context from archive records, as plain values.

A context holds only strings, numbers, dates and lists of small dicts (never
the pydantic models), so a template sees exactly what the department's
document should show and nothing it could misuse.  Personal data is masked
here unless ``reveal`` is asked for, except in the compensation agreement: a
contract names its party in full (the generator journals that as a reveal).
Wording produced here follows the documents' house style: full-width
punctuation in Chinese text (``（``, ``，``, ``：``, ``；``), half-width inside
numbers, dates and codes.  A value a document cannot do without
(the compensation amount, the payee's account) becomes a
:func:`~docgen.generate.environment.missing` placeholder: the render fails with
a message naming that field and the record instead of printing a blank.

Builders are pure functions of records (the service layer loads them), which
is what lets ``docgen templates check`` run them on sample records.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter as Tally
from collections.abc import Mapping
from decimal import Decimal
from fractions import Fraction
from typing import Any

from docxtpl import Listing

from docgen.approvals import approval_chain
from docgen.generate import plan_data
from docgen.generate.area import STATUTE, AreaAdjustment, round_fen, round_to
from docgen.generate.conditions import ConditionState, batch_phase, delivery_conditions
from docgen.generate.environment import missing
from docgen.generate.filters import cn_date, cn_datetime, money
from docgen.models import AreaRule, Batch, BatchUnit, Dossier, Project, RepairTicket, Settlement
from docgen.privacy import mask_phone
from docgen.units import parse_unit

Context = dict[str, Any]
PENDING = "待定"


def _or(value: Any, default: str = PENDING) -> Any:
    return value if value not in (None, "", []) else default


def _required(value: Any, field: str, record: str, label: str) -> Any:
    return value if value not in (None, "", []) else missing(field, record, label)


def _phone(value: str, reveal: bool) -> str:
    return value if reveal or not value else mask_phone(value)


def common(project: Project, today: dt.date) -> Context:
    """Project, developer and issue date: what every template's header and parties use."""
    dev = project.developer
    record = f"项目 {project.code}"
    return {
        "project": {
            "code": project.code,
            "name": project.name,
            "city": project.city,
            "address": _or(project.address, "—"),
            "service_phone": _or(project.service_phone, "—"),
        },
        "developer": {
            "name": dev.name,
            "credit_code": _required(dev.credit_code, "developer.credit_code", record, "统一社会信用代码"),
            "legal_rep": _required(dev.legal_rep, "developer.legal_rep", record, "法定代表人"),
            "address": _or(dev.address, "—"),
            "phone": _or(dev.phone, "—"),
        },
        "issued_on": today,
    }


def _unit(dossier: Dossier) -> dict[str, str]:
    return {"code": dossier.unit, "label": dossier.unit_label, "key": dossier.key}


def _batch_info(batch: Batch) -> dict[str, Any]:
    fallback = (
        f"{cn_date(batch.fallback_start)}至{cn_date(batch.fallback_end or batch.fallback_start)}"
        if batch.fallback_start
        else "未安排"
    )
    rehearsal = cn_date(batch.rehearsal_on) if batch.rehearsal_on else cn_date(batch.window_start - dt.timedelta(days=2)) + "（T-2）"
    return {
        "id": batch.id,
        "name": batch.name,
        "buildings": "、".join(f"{b.lstrip('0') or '0'}栋" for b in batch.buildings) or "—",
        "window_start": batch.window_start,
        "window_end": batch.window_end,
        "hours": batch.hours,
        "venue": batch.venue,
        "backup_venue": _or(batch.backup_venue, "未安排"),
        "fallback": fallback,
        "rehearsal": rehearsal,
        "commander": _or(batch.commander),
        "supervisor": _or(batch.supervisor),
    }


# -- 交房通知书 ----------------------------------------------------------------
def notice_context(project: Project, batch: Batch, unit: BatchUnit, dossier: Dossier, today: dt.date,
                   reveal: bool = False, adjustment: AreaAdjustment | None = None) -> Context:
    """Context of one unit's handover notice; ``adjustment`` is the unit's 面积补差 (None: not yet measured).

    Nothing internal is printed for the owner: not the batch's name or id, not
    a status word, not the software's name.
    """
    record = f"档案 {dossier.key}"
    ctx = common(project, today)
    main = dossier.owners[0]
    ctx.update(
        {
            "batch": _batch_info(batch),
            "unit": _unit(dossier),
            "dossier": {"contract_no": _required(dossier.contract_no, "contract_no", record, "合同编号")},
            "owner_names": dossier.owner_names,
            "owner_phone": _phone(main.phone, reveal) or "—",
            "appointment": cn_datetime(unit.appointment) if unit.appointment else "请致电客户服务中心预约",
            "area_note": _area_note(adjustment),
        }
    )
    return ctx


def _area_note(adj: AreaAdjustment | None) -> str:
    """The notice's sentence on the area adjustment (the 面积补差单 itself goes with the notice)."""
    if adj is None:
        return "面积补差待面积实测报告出具后另行通知。"
    text = (f"根据面积实测报告，您的房屋实测建筑面积为{_area(adj.measured_area)}㎡（合同约定{_area(adj.contract_area)}㎡），"
            f"面积误差比{_signed(adj.ratio_percent)}%，")
    if adj.amount == 0:
        text += "无需补退房价款"
    elif adj.amount > 0:
        text += f"应补缴房价款¥{money(adj.amount)}"
    else:
        text += f"应退还您房价款¥{money(-adj.amount)}"
    text += "，详见《面积补差单》。"
    if adj.beyond:
        text += f"误差比绝对值超出{_pct(adj.rule.band)}%，您有权选择退房，详见该单说明。"
    return text


def _area(value: Decimal) -> str:
    return f"{value:.2f}"


def _signed(value: Decimal) -> str:
    return f"+{value}" if value > 0 else f"{value}"


def _pct(value: Decimal) -> str:
    return format(value.normalize(), "f")


# -- 面积补差单 ------------------------------------------------------------------
def area_context(project: Project, batch: Batch, dossier: Dossier, adj: AreaAdjustment, today: dt.date) -> Context:
    """Context of one unit's 面积补差单: areas, ratio, the calculation's lines, the total and the right to return."""
    record = f"档案 {dossier.key}"
    ctx = common(project, today)
    price = adj.unit_price
    price_text = f"{money(_fen(price))} 元/㎡"
    if adj.price_source != "合同单价":
        assert dossier.price_total is not None
        price_text += f"（总房款¥{money(dossier.price_total)}÷{_area(adj.contract_area)}㎡，四舍五入至分）"
    rule = adj.rule
    basis = f"{STATUTE}（合同未另行约定）" if adj.statutory else f"{rule.basis}约定"
    lines = [
        {
            "n": n,
            "item": line.item,
            "area": _area_text(line.area),
            "price": money(_fen(line.unit_price)),
            "multiple": _pct(Decimal(line.multiple.numerator) / Decimal(line.multiple.denominator)),
            "amount": money(line.amount_fen),
        }
        for n, line in enumerate(adj.lines, 1)
    ]
    if not lines:
        lines = [{"n": 1, "item": "实测面积与合同面积一致" if adj.difference == 0 else "误差在约定范围内，不作调整",
                  "area": _area_text(Fraction(adj.difference)).lstrip("+"), "price": money(_fen(price)), "multiple": "0", "amount": "0.00"}]
    amount = adj.amount
    if amount > 0:
        total_label = "应由买受人补缴"
    elif amount < 0:
        total_label = "应由开发企业退还买受人"
    else:
        total_label = "无需补退"
    ctx.update(
        {
            "unit": _unit(dossier),
            "owner_names": dossier.owner_names,
            "dossier": {
                "contract_no": _required(dossier.contract_no, "contract_no", record, "合同编号"),
                "filing_no": _or(dossier.filing_no, "—"),
            },
            "adjustment": {
                "contract_area": _area(adj.contract_area),
                "measured_area": _area(adj.measured_area),
                "difference": _area_text(Fraction(adj.difference)),
                "ratio": _signed(adj.ratio_percent) + "%",
                "price": price_text,
                "basis": basis,
                "band": _pct(rule.band),
                "beyond": adj.beyond,
                "total_label": total_label,
                "amount": abs(amount),
                "direction": adj.direction,
            },
            "lines": lines,
            "rule_text": rule_text(rule),
            "handover_start": batch.window_start,
        }
    )
    return ctx


def rule_text(rule: AreaRule) -> str:
    """The settlement rule in one sentence for the sheet (full-width punctuation, ends with 。)."""
    band = _pct(rule.band)
    within = "按合同单价据实结算" if rule.within == "据实结算" else "不作调整"
    excess = ("超出部分的房价款由开发企业承担，产权归买受人" if rule.excess == "开发商承担"
              else "超出部分由买受人按合同单价补足")
    multiple = "双倍" if rule.shortfall_multiple == 2 else f"{_pct(rule.shortfall_multiple)}倍"
    settled = rule.within == "据实结算"
    return (f"误差比绝对值在{band}%以内（含{band}%）的，{within}；超出{band}%的，买受人有权退房，不退房的，"
            f"实测面积大于合同约定面积时{band}%以内部分{'由买受人补足' if settled else '不作调整'}、{excess}，"
            f"实测面积小于合同约定面积时{band}%以内部分{'按合同单价返还' if settled else '不作调整'}、超出部分按{multiple}返还。")


def _fen(value: Fraction) -> Decimal:
    return round_fen(value)


def _area_text(value: Fraction) -> str:
    """An area of the calculation: exact up to 4 places, at least 2 (``2.685``, ``1.20``), signed when positive."""
    exact = round_to(value, 4)
    text = f"{exact:.4f}".rstrip("0")
    if text.endswith("."):
        text += "00"
    elif len(text.split(".")[1]) < 2:
        text += "0"
    return ("+" if value > 0 else "") + text


# -- 交房方案 ------------------------------------------------------------------
def plan_context(project: Project, batch: Batch, dossiers: Mapping[str, Dossier], today: dt.date,
                 reveal: bool = False, conditions: list[ConditionState] | None = None) -> Context:
    """Context of a batch's handover plan; ``dossiers`` maps unit code to dossier.

    ``conditions`` are the batch's delivery conditions (computed from the
    records when not given), so the plan and the notices read the same list.
    """
    ctx = common(project, today)
    phase = batch_phase(project, batch)
    start = batch.window_start
    contract_date = phase.contract_delivery_date if phase else None
    if contract_date is None:
        delay = "合同约定交付日未登记"
    elif start <= contract_date:
        delay = f"按期（较合同约定提前 {(contract_date - start).days} 天）"
    else:
        delay = f"逾期 {(start - contract_date).days} 天（须按合同约定承担逾期交付责任）"
    area = Decimal("0")
    area_missing = 0
    units = []
    for n, bu in enumerate(batch.units, 1):
        d = dossiers[bu.unit]
        a = d.area_measured if d.area_measured is not None else d.area_contract
        if a is None:
            area_missing += 1
        else:
            area += a
        units.append(
            {
                "n": n,
                "label": d.unit_label,
                "owners": Listing("\n".join(o.name for o in d.owners)),
                "phones": Listing("\n".join(_phone(o.phone, reveal) for o in d.owners if o.phone) or "—"),
                "contract_no": d.contract_no or "—",
                "payment": d.payment_status,
                "appointment": cn_datetime(bu.appointment) if bu.appointment else "未预约",
                "status": bu.status,
            }
        )
    tally = Tally(bu.status for bu in batch.units)
    commander = _or(batch.commander)
    schedule = [
        {
            "n": i,
            "milestone": f"T-{days}",
            "area": area_name,
            "item": item,
            "content": content,
            "due": start - dt.timedelta(days=days),
            "department": dept,
            "owner": commander if dept == "总指挥" else _or(batch.supervisor),
        }
        for i, (days, area_name, item, content, dept) in enumerate(plan_data.SCHEDULE, 1)
    ]
    counters = batch.counters or []
    counter_rows = (
        [{"seq": c.seq, "name": c.name, "staff": "、".join(c.staff) or PENDING, "duty": plan_data.COUNTER_DUTIES.get(c.name, "—")} for c in sorted(counters, key=lambda c: c.seq)]
        if counters
        else [{"seq": i, "name": name, "staff": PENDING, "duty": plan_data.COUNTER_DUTIES[name]} for i, name in enumerate(plan_data.DEFAULT_COUNTERS, 1)]
    )
    if conditions is None:
        unmeasured = [dossiers[bu.unit].unit_label for bu in batch.units if dossiers[bu.unit].area_measured is None]
        conditions = delivery_conditions(project, batch, unmeasured)
    condition_rows = [
        {"n": i, "item": c.label + ("（通知前必备）" if c.required else ""), "state": c.state}
        for i, c in enumerate(conditions, 1)
    ]
    ctx.update(
        {
            "batch": _batch_info(batch),
            "phase": {
                "name": phase.name if phase else batch.phase,
                "permits": "、".join(phase.presale_permits) if phase and phase.presale_permits else "—",
                "contract_delivery_date": cn_date(contract_date) if contract_date else "未登记",
            },
            "overview": {
                "unit_count": len(batch.units),
                "total_area": f"{area:.2f}" + (f"（{area_missing} 户面积未登记）" if area_missing else ""),
                "delay": delay,
                "status_summary": "；".join(f"{s} {n} 户" for s, n in tally.items()) or "暂无房屋",
            },
            "conditions": condition_rows,
            "counters": counter_rows,
            "schedule": schedule,
            "notice": {"lead_days": 30, "deadline": start - dt.timedelta(days=30)},
            "materials": [{"n": i, "item": m, "note": note} for i, (m, note) in enumerate(plan_data.MATERIALS, 1)],
            "risks": [{"n": i, "risk": r, "measure": m, "owner": commander} for i, (r, m) in enumerate(plan_data.RISKS, 1)],
            "units": units,
            "phone_note": "" if reveal else "联系电话已按个人信息保护要求脱敏；",
        }
    )
    return ctx


# -- 质量问题赔偿协议 -----------------------------------------------------------
def compensation_context(project: Project, dossier: Dossier, ticket: RepairTicket, today: dt.date,
                         terms: Mapping[str, int]) -> Context:
    """Context of a compensation agreement for one repair ticket.

    A contract names its party in full: ID numbers, addresses and phones are
    printed unmasked (the generator journals this as a reveal), and an owner
    without an address on record stops the agreement with a message naming them.
    """
    record = f"报修单 {ticket.id}({dossier.key})"
    ctx = common(project, today)
    owners = [
        {
            "name": o.name,
            "role": o.role,
            "id_number": o.id_number,
            "phone": o.phone or "—",
            "address": _required(o.address, f"owners[{i}].address", f"档案 {dossier.key} 的{o.role} {o.name}",
                                 "住址,合同须载明当事人住址"),
        }
        for i, o in enumerate(dossier.owners)
    ]
    area = dossier.area_measured if dossier.area_measured is not None else dossier.area_contract
    ctx.update(
        {
            "unit": _unit(dossier),
            "owner_names": dossier.owner_names,
            "owners": owners,
            "dossier": {
                "contract_no": _required(dossier.contract_no, "contract_no", f"档案 {dossier.key}", "合同编号"),
                "filing_no": _or(dossier.filing_no, "—"),
                "area": _required(area, "area_measured", f"档案 {dossier.key}", "建筑面积"),
                "delivered_on": _required(dossier.delivered_on, "delivered_on", f"档案 {dossier.key}", "交付日期"),
            },
            "ticket": {
                "id": ticket.id,
                "component": ticket.component,
                "location": _or(ticket.location, "—"),
                "description": ticket.description,
                "reported_on": ticket.reported_on,
                "confirmed_on": ticket.responded_on or ticket.reported_on,
                "cause": _required(ticket.verified_cause, "verified_cause", record, "核实原因"),
                "responsibility": ticket.responsibility,
                "contractor": _or(ticket.contractor, "由甲方指定"),
            },
            "compensation": {"amount": _required(ticket.compensation, "compensation", record, "赔偿金额")},
            "terms": dict(terms),
        }
    )
    return ctx


# -- 第三方维修费用支付会签表 ---------------------------------------------------
def settlement_context(project: Project, dossier: Dossier, sheet: Settlement, today: dt.date,
                       thresholds: Mapping[str, Decimal]) -> Context:
    """Context of a third-party repair cost countersign sheet."""
    record = f"结算会签 {sheet.id}({dossier.key})"
    ctx = common(project, today)
    phase = project.phase_of_building(parse_unit(dossier.unit).building)
    items = [
        {
            "n": n,
            "item": i.item,
            "unit": i.unit,
            "declared_qty": i.declared_qty,
            "approved_qty": i.approved_qty,
            "unit_price": i.unit_price,
            "declared_amount": i.declared_amount,
            "approved_amount": i.approved_amount,
        }
        for n, i in enumerate(sheet.items, 1)
    ]
    payable: Any = sheet.payable
    if sheet.payable < 0:
        payable = missing("payable", record, f"本次付款为负数 {money(payable)},请核对扣款与已付累计")
    roles = approval_chain(sheet.approved_total, thresholds)
    chain, complete, waiting = settlement_chain(sheet, roles)
    present = list(sheet.attachments)
    attachments = [
        {"name": name, "copies": "1", "present": "☑ 已附" if any(name in p or p in name for p in present) else "☐ 未附"}
        for name in plan_data.ATTACHMENTS
    ]
    attachments += [
        {"name": p, "copies": "1", "present": "☑ 已附"}
        for p in present
        if not any(p in name or name in p for name in plan_data.ATTACHMENTS)
    ]
    ctx.update(
        {
            "unit": _unit(dossier),
            "owner_names": dossier.owner_names,
            "sheet": {
                "id": sheet.id,
                "created_on": sheet.created_on,
                "phase": phase.name if phase else "",
                "repair_ids": "、".join(sheet.repair_ids) or "—",
                "contractor": sheet.contractor,
                "contract_no": _or(sheet.contract_no, "—"),
                "handled_by": _or(sheet.handled_by),
            },
            "items": items,
            "totals": {
                "declared": sheet.declared_total,
                "approved": sheet.approved_total,
                "deductions": sheet.deductions_total,
                "deduction_lines": "；".join(f"{d.name} ¥{money(d.amount)}" for d in sheet.deductions) or "无",
                "paid_before": sheet.paid_before,
                "chargeback_text": (f"¥{money(sheet.chargeback)}（由 {sheet.chargeback_to or '原施工单位'} 承担）" if sheet.chargeback else "无"),
                "payable": payable,
            },
            "payee": {
                "name": _required(sheet.payee, "payee", record, "收款单位"),
                "bank": _required(sheet.bank, "bank", record, "开户银行"),
                "account": _required(sheet.account, "account", record, "银行账号"),
            },
            "attachments": attachments,
            "chain": chain,
            "chain_rule": _chain_rule(roles, thresholds),
            "draft": not complete,
            "draft_mark": "" if complete else "草稿",
            "draft_title": "" if complete else "（草稿）",
            "draft_note": "" if complete else f"草稿：会签未完成（{waiting}），不作付款依据。",
        }
    )
    return ctx


def _chain_rule(roles: list[str], thresholds: Mapping[str, Decimal]) -> str:
    """Why the chain stops where it does, in a few words: ``签至分管领导（审定金额 ≥ ¥5,000.00）``."""
    last = roles[-1]
    if last in thresholds:
        return f"签至{last}（审定金额 ≥ ¥{money(thresholds[last])}）"
    lowest = min(thresholds.values(), default=None)
    return f"签至{last}" + (f"（审定金额 < ¥{money(lowest)}）" if lowest is not None else "")


def settlement_chain(sheet: Settlement, roles: list[str]) -> tuple[list[dict[str, Any]], bool, str]:
    """The sheet's signature rows, whether the chain is complete, and what it waits for.

    Rows follow the chain the amount requires (经办人 → 客户服务部负责人 → …):
    each role shows the signature recorded for it (name, decision, date,
    remark) or blank lines to sign; a signature recorded for a role the chain
    does not (or no longer) require is printed after them, marked, never
    dropped.  Complete means every role of the chain has signed 同意.
    """
    recorded = [a for a in sheet.approvals if a.decision in ("同意", "不同意")]
    rows: list[dict[str, Any]] = []
    used: set[int] = set()
    for role in roles:
        index = next((i for i, a in enumerate(recorded) if a.role == role and i not in used), None)
        a = recorded[index] if index is not None else None
        if index is not None:
            used.add(index)
        name = a.name if a and a.name else (sheet.handled_by if role == "经办人" and a is None else "")
        rows.append(_signature_row(len(rows) + 1, role, a, name))
    for i, a in enumerate(recorded):
        if i not in used:
            rows.append(_signature_row(len(rows) + 1, f"{a.role}（链外）", a, a.name))
    refused = next((a for a in recorded if a.decision == "不同意"), None)
    done = [r for r in roles if any(a.role == r and a.decision == "同意" for a in recorded)]
    complete = refused is None and len(done) == len(roles)
    if refused is not None:
        waiting = f"{refused.role} {refused.name} 不同意，待修改后重新提交"
    elif complete:
        waiting = ""
    else:
        waiting = "待" + "、".join(r for r in roles if r not in done) + "签字"
    return rows, complete, waiting


def _signature_row(n: int, role: str, a: Any, name: str) -> dict[str, Any]:
    decision = a.decision if a is not None else ""
    if a is not None and a.note:
        decision += f"：{a.note}"
    return {
        "n": n,
        "role": role,
        "duty": plan_data.CHAIN_DUTIES.get(role, "审批"),
        "decision": decision,
        "name": name,
        "date": cn_date(a.date) if a is not None and a.date else "",
    }
