"""Build each template's context from archive records, as plain values.

A context holds only strings, numbers, dates and lists of small dicts (never
the pydantic models), so a template sees exactly what the department's
document should show and nothing it could misuse.  Personal data is masked
here unless ``reveal`` is asked for.  A value a document cannot do without
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
from typing import Any

from docxtpl import Listing

from docgen.approvals import approval_chain
from docgen.generate import plan_data
from docgen.generate.environment import missing
from docgen.generate.filters import cn_date, cn_datetime, money
from docgen.models import Batch, BatchUnit, Dossier, Project, RepairTicket, Settlement
from docgen.privacy import mask_address, mask_id_number, mask_phone
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
        "rehearsal": cn_date(batch.rehearsal_on) if batch.rehearsal_on else cn_date(batch.window_start - dt.timedelta(days=2)) + "(T-2)",
        "commander": _or(batch.commander),
        "supervisor": _or(batch.supervisor),
    }


# -- 交房通知书 ----------------------------------------------------------------
def notice_context(project: Project, batch: Batch, unit: BatchUnit, dossier: Dossier, today: dt.date,
                   reveal: bool = False) -> Context:
    """Context of one unit's handover notice."""
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
        }
    )
    return ctx


# -- 交房方案 ------------------------------------------------------------------
def plan_context(project: Project, batch: Batch, dossiers: Mapping[str, Dossier], today: dt.date,
                 reveal: bool = False) -> Context:
    """Context of a batch's handover plan; ``dossiers`` maps unit code to dossier."""
    ctx = common(project, today)
    phase = next((p for p in project.phases if p.name == batch.phase), None)
    if phase is None and batch.buildings:
        phase = project.phase_of_building(batch.buildings[0])
    start = batch.window_start
    contract_date = phase.contract_delivery_date if phase else None
    if contract_date is None:
        delay = "合同约定交付日未登记"
    elif start <= contract_date:
        delay = f"按期(较合同约定提前 {(contract_date - start).days} 天)"
    else:
        delay = f"逾期 {(start - contract_date).days} 天(须按合同约定承担逾期交付责任)"
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
    filed = phase.completion_filed_on if phase else None
    conditions = []
    for i, item in enumerate(plan_data.CONDITIONS, 1):
        if i == 1:
            state = f"已于{cn_date(filed)}备案" if filed else "未备案(交付前必须完成)"
        else:
            state = "待落实(T-75 自查)"
        conditions.append({"n": i, "item": item, "state": state})
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
                "total_area": f"{area:.2f}" + (f"({area_missing} 户面积未登记)" if area_missing else ""),
                "delay": delay,
                "status_summary": ";".join(f"{s} {n} 户" for s, n in tally.items()) or "暂无房屋",
            },
            "conditions": conditions,
            "counters": counter_rows,
            "schedule": schedule,
            "notice": {"lead_days": 30, "deadline": start - dt.timedelta(days=30)},
            "materials": [{"n": i, "item": m, "note": note} for i, (m, note) in enumerate(plan_data.MATERIALS, 1)],
            "risks": [{"n": i, "risk": r, "measure": m, "owner": commander} for i, (r, m) in enumerate(plan_data.RISKS, 1)],
            "units": units,
        }
    )
    return ctx


# -- 质量问题赔偿协议 -----------------------------------------------------------
def compensation_context(project: Project, dossier: Dossier, ticket: RepairTicket, today: dt.date,
                         terms: Mapping[str, int], reveal: bool = False) -> Context:
    """Context of a compensation agreement for one repair ticket."""
    record = f"报修单 {ticket.id}({dossier.key})"
    ctx = common(project, today)
    owners = [
        {
            "name": o.name,
            "role": o.role,
            "id_number": o.id_number if reveal else mask_id_number(o.id_number),
            "phone": _phone(o.phone, reveal) or "—",
            "address": (o.address if reveal else mask_address(o.address)) or "—",
        }
        for o in dossier.owners
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
    signed = {a.role: a for a in sheet.approvals}
    chain = []
    for n, role in enumerate(roles, 1):
        a = signed.get(role)
        name = a.name if a and a.name else (sheet.handled_by if role == "经办人" else "")
        chain.append(
            {
                "n": n,
                "role": role,
                "duty": plan_data.CHAIN_DUTIES.get(role, "审批"),
                "decision": a.decision if a and a.decision != "待签" else "",
                "name": name,
                "date": cn_date(a.date) if a and a.date else "",
            }
        )
    limits = ";".join(f"{role} ≥ ¥{money(v)}" for role, v in sorted(thresholds.items(), key=lambda kv: kv[1]))
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
                "deduction_lines": ";".join(f"{d.name} ¥{money(d.amount)}" for d in sheet.deductions) or "无",
                "paid_before": sheet.paid_before,
                "chargeback_text": (f"¥{money(sheet.chargeback)}(由 {sheet.chargeback_to or '原施工单位'} 承担)" if sheet.chargeback else "无"),
                "payable": payable,
            },
            "payee": {
                "name": _required(sheet.payee, "payee", record, "收款单位"),
                "bank": _required(sheet.bank, "bank", record, "开户银行"),
                "account": _required(sheet.account, "account", record, "银行账号"),
            },
            "attachments": attachments,
            "chain": chain,
            "chain_rule": f"审定金额 ¥{money(sheet.approved_total)},签至{roles[-1]}(" + (limits or "无额度分级") + ")",
        }
    )
    return ctx
