"""The department's rules on record data: pure functions from a record and a :class:`Context` to problems.

The same functions serve two callers: the storage layer refuses a save that
introduces a problem (:mod:`docgen.archive.store`), and the audit reports the
problems of records written before a rule existed (:mod:`docgen.audit.engine`).
They read nothing from disk and cost microseconds per dossier, so the audit of
20,000 households stays within its budget.

Rules (each problem's code is its audit rule id):

- ``VALID.MONEY``: no negative amount, none above ``limits.max_amount``;
  ``VALID.QUANTITY``: 核定数量 ≤ 申报数量; ``VALID.PAYABLE``: 本次付款 ≥ 0.
- ``VALID.DATE_ORDER``: dates in the order things happen (responded ≥ reported,
  completed ≥ responded, reported ≥ delivered, delivered ≥ signed …);
  ``VALID.DATE_FUTURE``: nothing that has happened lies after today;
  ``VALID.DATE_RANGE``: nothing before ``limits.earliest_year``, planned dates
  (contract delivery, batch windows, appointments, planned revisits) at most
  ``limits.planned_years_ahead`` years ahead.
- ``VALID.REFERENCE``: a complaint's related repairs, a revisit's related case
  and a settlement's repair tickets are records of the same dossier.
- ``VALID.UNIT``: the dossier's room exists in its project (:mod:`.rooms`);
  ``VALID.STRUCTURE``: the project's building structure is consistent.
- ``VALID.COMPONENT`` / ``VALID.CATEGORY`` / ``VALID.CHANNEL``: a repair's
  component matches the warranty table, a complaint's category and a case's
  channel come from the rules' vocabularies.
- ``VALID.APPROVAL_ORDER`` / ``VALID.APPROVAL_STATUS``: a settlement's
  signatures follow the chain its approved total requires, in order, nothing
  after a 不同意; 已审批 / 已付款 only once the chain is complete.
- ``VALID.REGISTRATION``: a registration batch (办证批次) says what its
  households' status needs: 已递交 and later only once the batch has a
  submission date and receipt number, a certificate number and date for
  已出证 and 已领取, a reason for a household that left; a project's
  prerequisite (办证前提) marked 已办结 has its date, one 未办理 carries no
  dates, number or proof and one 办理中 no done date (the project's own
  初始登记 fields likewise).
- ``VALID.TEXT`` / ``VALID.TEXT_LENGTH``: no control characters or bidi
  overrides anywhere, no line breaks in one-line fields, lengths within limits.

Data quality that saving refused before these rules (ID checksums, phones,
duplicate ids: ``Dossier.data_problems``) is not repeated here.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Collection, Sequence
from decimal import Decimal
from typing import Any

from docgen.approvals import approval_chain
from docgen.errors import quote_input, show_input
from docgen.models import Batch, Dossier, Project, Registration, Settlement
from docgen.money import money_str
from docgen.validation.core import Context, Problem
from docgen.validation.labels import FIELD_LABELS, of
from docgen.validation.rooms import _building_label, _same, unit_problem

# -- free text -----------------------------------------------------------------------------------
NAME, LINE, TEXT = "name", "line", "text"
_CONTROL = "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"
_BIDI = "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
_LINE_BAD = re.compile(f"[{_CONTROL}\t\n\r\u2028\u2029{_BIDI}]")
_TEXT_BAD = re.compile(f"[{_CONTROL}{_BIDI}]")
_BIDI_RE = re.compile(f"[{_BIDI}]")

# model -> (field, kind): every free-text field people type.  Ids checked by the models (document
# ids, file names), enumerations, hashes and the revision stamps are not free text; the test
# suite checks that every other text field of every model is listed here.
TEXT_FIELDS: dict[str, tuple[tuple[str, str], ...]] = {
    "Company": (("name", LINE), ("credit_code", LINE), ("legal_rep", NAME), ("address", LINE), ("phone", LINE)),
    "Phase": (("name", LINE), ("buildings", LINE), ("presale_permits", LINE)),
    "Building": (("code", LINE),),
    "InitialRegistration": (("number", LINE),),
    "Project": (("name", LINE), ("city", LINE), ("address", LINE), ("service_phone", LINE), ("notes", TEXT)),
    "Owner": (("name", NAME), ("address", LINE)),
    "Document": (("title", LINE), ("note", TEXT)),
    "Dossier": (("contract_no", LINE), ("filing_no", LINE), ("certificate_no", LINE), ("batch", LINE),
                ("notes", TEXT)),
    "RepairTicket": (("reported_by", NAME), ("channel", LINE), ("component", LINE), ("location", LINE),
                     ("description", TEXT), ("warranty_category", LINE), ("verified_cause", TEXT),
                     ("contractor", LINE), ("handled_by", NAME), ("notes", TEXT)),
    "Complaint": (("channel", LINE), ("first_responder", NAME), ("category", LINE), ("description", TEXT),
                  ("resolution", TEXT), ("related_repairs", LINE)),
    "Revisit": (("by", NAME), ("channel", LINE), ("notes", TEXT), ("related", LINE)),
    "Settlement": (("contractor", LINE), ("contract_no", LINE), ("chargeback_to", LINE), ("payee", LINE),
                   ("bank", LINE), ("account", LINE), ("attachments", LINE), ("handled_by", NAME),
                   ("repair_ids", LINE)),
    "SettlementItem": (("item", LINE), ("unit", LINE)),
    "Deduction": (("name", LINE),),
    "Approval": (("role", LINE), ("name", NAME), ("note", TEXT)),
    "Batch": (("name", LINE), ("phase", LINE), ("buildings", LINE), ("hours", LINE), ("venue", LINE),
              ("backup_venue", LINE), ("commander", NAME), ("supervisor", NAME), ("notes", TEXT)),
    "Counter": (("name", LINE), ("staff", NAME)),
    "DeliveryCondition": (("evidence", LINE), ("note", TEXT)),
    "AreaRule": (("basis", TEXT),),
    "BatchUnit": (("notice_channel", LINE), ("defects", TEXT)),
    "Prerequisite": (("phase", LINE), ("number", LINE), ("document", LINE), ("note", TEXT)),
    "Registration": (("name", LINE), ("registry", LINE), ("handled_by", NAME), ("receipt_no", LINE),
                     ("notes", TEXT)),
    "RegistrationEntry": (("agent", NAME), ("certificate_no", LINE), ("received_by", NAME),
                          ("left_reason", TEXT)),
    "UnitRecord": (("layout", LINE), ("layout_name", LINE), ("orientation", LINE), ("price_band", LINE)),
    "UnitTable": (("source", LINE), ("imported_by", NAME)),
}




def join_or(values: Sequence[str]) -> str:
    """``a、b或c``: a list of allowed values as a sentence says it."""
    items = list(values)
    if len(items) <= 1:
        return "".join(items)
    return "、".join(items[:-1]) + "或" + items[-1]


def text_problem(value: str, kind: str, ctx: Context) -> str | None:
    """What is wrong with one text value of a field of ``kind`` (name / line / text), or None."""
    limits = ctx.rules.limits
    bad = (_TEXT_BAD if kind == TEXT else _LINE_BAD).search(value)
    if bad is not None:
        ch = bad.group()
        if ch in "\n\r\u2028\u2029":
            return "含有换行,应写在一行内"
        if ch == "\t":
            return "含有制表符(Tab),应写在一行内并用空格分隔"
        if _BIDI_RE.match(ch):
            return f"含有文字方向控制符(U+{ord(ch):04X}),会让文字显示的顺序与实际内容不同,请删除后重新输入"
        name = unicodedata.name(ch, "")
        return f"含有不可见的控制字符(U+{ord(ch):04X}{' ' + name if name else ''}),请删除后重新输入"
    limit = limits.name_length if kind == NAME else limits.line_length if kind == LINE else limits.text_length
    if len(value) > limit:
        return f"过长({len(value)} 字,最多 {limit} 字)"
    return None


def _texts(out: list[Problem], ctx: Context, obj: Any, model: str, rec: str, path: str, ref: str) -> None:
    labels = FIELD_LABELS[model]
    for name, kind in TEXT_FIELDS[model]:
        value = getattr(obj, name)
        if not value:
            continue
        values = value if isinstance(value, list) else (value,)
        for i, v in enumerate(values):
            if not isinstance(v, str):
                continue
            problem = text_problem(v, kind, ctx)
            if problem is None:
                continue
            label = labels[name] + (f"(第 {i + 1} 项)" if isinstance(value, list) else "")
            code = "VALID.TEXT_LENGTH" if problem.startswith("过长") else "VALID.TEXT"
            out.append(Problem(code, rec, label, of(rec, label) + problem, f"{path}.{name}", ref or f"{path}.{name}"))


# -- money and dates -------------------------------------------------------------------------------
def _money(out: list[Problem], ctx: Context, value: Decimal | None, rec: str, label: str, path: str, ref: str) -> None:
    if value is None:
        return
    if value < 0:
        out.append(Problem("VALID.MONEY", rec, label, f"{of(rec, label)}为负数({money_str(value)} 元)", path, ref))
    elif value > ctx.max_amount:
        out.append(Problem("VALID.MONEY", rec, label,
                           f"{of(rec, label)} {money_str(value)} 元超出上限 {money_str(ctx.max_amount)} 元", path, ref))


def _date(out: list[Problem], ctx: Context, value: dt.date | None, rec: str, label: str, path: str, ref: str,
          planned: bool = False) -> None:
    if value is None:
        return
    if value < ctx.earliest:
        out.append(Problem("VALID.DATE_RANGE", rec, label,
                           f"{of(rec, label)} {value} 不合理(不应早于 {ctx.earliest.year} 年)", path, ref))
    elif planned:
        if value > ctx.horizon:
            years = ctx.rules.limits.planned_years_ahead
            out.append(Problem("VALID.DATE_RANGE", rec, label,
                               f"{of(rec, label)} {value} 过远(计划日期最多在 {years} 年之内,即 {ctx.horizon} 之前)",
                               path, ref))
    elif value > ctx.today:
        out.append(Problem("VALID.DATE_FUTURE", rec, label,
                           f"{of(rec, label)}在今天之后({value},今天是 {ctx.today});已发生的事不能记在将来", path, ref))


def _order(out: list[Problem], rec: str, later: tuple[str, dt.date | None], earlier: tuple[str, dt.date | None],
           path: str, ref: str) -> None:
    """``later`` must not be before ``earlier`` (both given)."""
    (la, a), (lb, b) = later, earlier
    if a is not None and b is not None and a < b:
        out.append(Problem("VALID.DATE_ORDER", rec, la, f"{of(rec, la)}早于{lb}({la} {a},{lb} {b})", path, ref))


# -- vocabularies ----------------------------------------------------------------------------------
def _channel(out: list[Problem], ctx: Context, value: str, rec: str, path: str, ref: str) -> None:
    if ctx.channels and value and value not in ctx.channels:
        out.append(Problem("VALID.CHANNEL", rec, "渠道",
                           f"{of(rec, '渠道')}{quote_input(value)}不在规定渠道中,应为 "
                           f"{join_or(ctx.rules.vocabularies.channels)}", path, ref))


def component_problem(component: str, ctx: Context) -> str | None:
    """Why a repair's component is not in the warranty table (with the allowed components), or None."""
    if not ctx.components or ctx.rules.warranty_for(component) is not None:
        return None
    names = join_or([f"「{c}」" for c in ctx.components])
    return f"{quote_input(component)}不在保修期表中,应为 {names},或含保修期表中的说法(如 卫生间地面渗漏、厨房下水堵塞)"


def category_problem(category: str, ctx: Context) -> str | None:
    """Why a complaint's category is not in the rules' list (with the allowed ones), or None."""
    if not ctx.categories or category in ctx.categories:
        return None
    return f"{quote_input(category)}不在规定类别中,应为 {join_or(ctx.rules.vocabularies.complaint_categories)}"


def _missing_refs(ids: Sequence[str], known: Collection[str], rec: str, label: str, what: str, path: str,
                  ref: str) -> list[Problem]:
    out = []
    for x in ids:
        if x not in known:
            have = "、".join(sorted(known)) if known else "无"
            out.append(Problem("VALID.REFERENCE", rec, label,
                               f"{of(rec, label)} {show_input(x, 40)} 不在本户档案中(本户的{what}:{have})", path, ref))
    return out


# -- the countersign chain -------------------------------------------------------------------------
def approval_problems(s: Settlement, ctx: Context, rec: str = "", path: str = "") -> list[Problem]:
    """Problems of a settlement's countersign chain: roles, order, nothing after 不同意, status."""
    rec = rec or f"结算会签 {s.id}"
    path = path or f"settlements[{s.id}]"
    chain = approval_chain(s.approved_total, ctx.thresholds)
    chain_text = " → ".join(chain)
    out: list[Problem] = []

    def add(code: str, field: str, message: str) -> None:
        out.append(Problem(code, rec, field, message, f"{path}.{'approvals' if field == '会签链' else 'status'}", s.id))

    expected = 0
    pending: str | None = None
    refused_by: str | None = None
    seen: set[str] = set()
    for a in s.approvals:
        role = a.role
        if role in seen:
            add("VALID.APPROVAL_ORDER", "会签链", f"{rec} 的会签中{quote_input(role)}签字出现了两次")
            continue
        seen.add(role)
        if role not in chain:
            add("VALID.APPROVAL_ORDER", "会签链",
                f"{rec} 的会签中有{quote_input(role)}签字,但审定金额 {money_str(s.approved_total)} 元的会签链为 "
                f"{chain_text},其中没有该角色")
            continue
        if a.decision == "待签":
            pending = pending or role
            continue
        if refused_by is not None:
            add("VALID.APPROVAL_ORDER", "会签链",
                f"{rec} 在「{refused_by}」不同意之后又有「{role}」签字;驳回的结算应退回经办人修改后重新提交")
            continue
        position = chain.index(role)
        if pending is not None or position != expected:
            want = pending or chain[min(expected, len(chain) - 1)]
            add("VALID.APPROVAL_ORDER", "会签链",
                f"{rec} 的「{role}」在「{want}」之前签字;会签链为 {chain_text},须按顺序逐级签字")
        expected = max(expected, position + 1)
        if a.decision == "不同意":
            refused_by = role
    agreed = {a.role for a in s.approvals if a.decision == "同意"}
    missing = [r for r in chain if r not in agreed]
    if s.status in ("已审批", "已付款") and (missing or refused_by):
        left = f"还差 {'、'.join(missing)}" if not refused_by else f"「{refused_by}」不同意"
        add("VALID.APPROVAL_STATUS", "状态", f"{rec} 的状态为{s.status},但会签链尚未签完({left};会签链为 {chain_text})")
    elif refused_by is not None and s.status == "审批中":
        add("VALID.APPROVAL_STATUS", "状态", f"{rec} 已被「{refused_by}」驳回(不同意),状态却为审批中")
    return out


def _settlement(out: list[Problem], ctx: Context, s: Settlement, repair_ids: Collection[str]) -> None:
    rec = f"结算会签 {s.id}"
    path = f"settlements[{s.id}]"
    ref = s.id
    _texts(out, ctx, s, "Settlement", rec, path, ref)
    _date(out, ctx, s.created_on, rec, "填报日期", f"{path}.created_on", ref)
    for i, item in enumerate(s.items):
        irec = f"{rec} 第 {i + 1} 项结算明细"
        ipath = f"{path}.items[{i}]"
        _texts(out, ctx, item, "SettlementItem", irec, ipath, ref)
        _money(out, ctx, item.unit_price, irec, "合同单价", f"{ipath}.unit_price", ref)
        if item.approved_qty > item.declared_qty:
            out.append(Problem("VALID.QUANTITY", irec, "核定数量",
                               f"{irec}的核定数量({item.approved_qty})超过申报数量({item.declared_qty})",
                               f"{ipath}.approved_qty", ref))
    for i, ded in enumerate(s.deductions):
        drec = f"{rec} 第 {i + 1} 项扣款"
        _texts(out, ctx, ded, "Deduction", drec, f"{path}.deductions[{i}]", ref)
        _money(out, ctx, ded.amount, drec, "金额", f"{path}.deductions[{i}].amount", ref)
    _money(out, ctx, s.paid_before, rec, "已付累计", f"{path}.paid_before", ref)
    _money(out, ctx, s.chargeback, rec, "质保金扣回金额", f"{path}.chargeback", ref)
    payable = s.payable
    if payable < 0 and s.approved_total >= 0:  # a negative total is the negative price's problem
        out.append(Problem(
            "VALID.PAYABLE", rec, "本次付款",
            f"{rec} 的本次付款为负数({money_str(payable)} 元):扣款合计 {money_str(s.deductions_total)} 元"
            f"与已付累计 {money_str(s.paid_before)} 元超过了结算总价 {money_str(s.approved_total)} 元",
            f"{path}.deductions", ref))
    for i, a in enumerate(s.approvals):
        arec = f"{rec} 的{quote_input(a.role)}签字"
        apath = f"{path}.approvals[{i}]"
        _texts(out, ctx, a, "Approval", f"{rec} 第 {i + 1} 个签字", apath, ref)
        _date(out, ctx, a.date, arec, "签字日期", f"{apath}.date", ref)
        _order(out, arec, ("签字日期", a.date), ("填报日期", s.created_on), f"{apath}.date", ref)
    out.extend(_missing_refs(s.repair_ids, repair_ids, rec, "维修单号", "报修单", f"{path}.repair_ids", ref))
    out.extend(approval_problems(s, ctx, rec, path))


# -- records ---------------------------------------------------------------------------------------
def dossier_problems(d: Dossier, ctx: Context) -> list[Problem]:
    """Every rule a dossier breaks: its own fields, its owners, documents and every case record.

    ``ctx.project`` (the dossier's project) is needed for the room check; with
    another project or none, the room is not checked.
    """
    out: list[Problem] = []
    rec = f"档案 {d.key}"
    _texts(out, ctx, d, "Dossier", rec, "", "")
    for i, owner in enumerate(d.owners):
        _texts(out, ctx, owner, "Owner", f"{rec} 第 {i + 1} 位业主", f"owners[{i}]", f"owners[{i}]")
    for doc in d.documents:
        _texts(out, ctx, doc, "Document", f"文件 {doc.id}", f"documents[{doc.id}]", doc.id)
    project = ctx.project
    if project is not None and project.code == d.project:
        problem = unit_problem(project, d.unit, ctx.unit_table)
        if problem:
            out.append(Problem("VALID.UNIT", rec, "房号", f"{rec} 的房号 {d.unit_label} 不存在:{problem}", "unit", "unit"))
    _money(out, ctx, d.price_total, rec, "总房款", "price_total", "price_total")
    for name in ("contract_date", "signed_on", "delivered_on", "certified_on"):
        _date(out, ctx, getattr(d, name), rec, FIELD_LABELS["Dossier"][name], name, name)
    _date(out, ctx, d.delivery_due, rec, "合同约定交付日期", "delivery_due", "delivery_due", planned=True)
    _order(out, rec, ("交房日期", d.delivered_on), ("签约日期", d.signed_on or d.contract_date), "delivered_on",
           "delivered_on")
    _order(out, rec, ("产权证办结日期", d.certified_on), ("交房日期", d.delivered_on), "certified_on", "certified_on")

    repair_ids = {r.id for r in d.repairs}
    for r in d.repairs:
        rrec = f"报修单 {r.id}"
        path = f"repairs[{r.id}]"
        ref = r.id
        _texts(out, ctx, r, "RepairTicket", rrec, path, ref)
        _channel(out, ctx, r.channel, rrec, f"{path}.channel", ref)
        problem = component_problem(r.component, ctx)
        if problem:
            out.append(Problem("VALID.COMPONENT", rrec, "部位", of(rrec, "部位") + problem, f"{path}.component", ref))
        _money(out, ctx, r.compensation, rrec, "赔偿金额", f"{path}.compensation", ref)
        for name in ("reported_on", "responded_on", "completed_on", "accepted_on", "closed_on"):
            _date(out, ctx, getattr(r, name), rrec, FIELD_LABELS["RepairTicket"][name], f"{path}.{name}", ref)
        _order(out, rrec, ("报修日期", r.reported_on), ("交房日期", d.delivered_on), f"{path}.reported_on", ref)
        _order(out, rrec, ("响应日期", r.responded_on), ("报修日期", r.reported_on), f"{path}.responded_on", ref)
        if r.responded_on is not None:
            _order(out, rrec, ("完成日期", r.completed_on), ("响应日期", r.responded_on), f"{path}.completed_on", ref)
        else:
            _order(out, rrec, ("完成日期", r.completed_on), ("报修日期", r.reported_on), f"{path}.completed_on", ref)
        _order(out, rrec, ("验收日期", r.accepted_on), ("完成日期", r.completed_on), f"{path}.accepted_on", ref)
        _order(out, rrec, ("关闭日期", r.closed_on), ("报修日期", r.reported_on), f"{path}.closed_on", ref)

    complaint_ids = {c.id for c in d.complaints}
    for c in d.complaints:
        crec = f"投诉 {c.id}"
        path = f"complaints[{c.id}]"
        ref = c.id
        _texts(out, ctx, c, "Complaint", crec, path, ref)
        _channel(out, ctx, c.channel, crec, f"{path}.channel", ref)
        problem = category_problem(c.category, ctx)
        if problem:
            out.append(Problem("VALID.CATEGORY", crec, "类别", of(crec, "类别") + problem, f"{path}.category", ref))
        _date(out, ctx, c.received_on, crec, "受理日期", f"{path}.received_on", ref)
        _date(out, ctx, c.closed_on, crec, "关闭日期", f"{path}.closed_on", ref)
        _order(out, crec, ("关闭日期", c.closed_on), ("受理日期", c.received_on), f"{path}.closed_on", ref)
        out.extend(_missing_refs(c.related_repairs, repair_ids, crec, "相关报修单", "报修单",
                                 f"{path}.related_repairs", ref))

    for v in d.revisits:
        vrec = f"回访 {v.id}"
        path = f"revisits[{v.id}]"
        ref = v.id
        _texts(out, ctx, v, "Revisit", vrec, path, ref)
        _channel(out, ctx, v.channel, vrec, f"{path}.channel", ref)
        _date(out, ctx, v.date, vrec, "回访日期", f"{path}.date", ref, planned=v.status == "待回访")
        if v.related:
            out.extend(_missing_refs([v.related], repair_ids | complaint_ids, vrec, "相关记录", "报修单和投诉",
                                     f"{path}.related", ref))

    for s in d.settlements:
        _settlement(out, ctx, s, repair_ids)
    return out


def batch_problems(b: Batch, ctx: Context) -> list[Problem]:
    """Every rule a handover batch breaks: its texts, its dates (windows are planned), each unit's."""
    out: list[Problem] = []
    rec = f"交房批次 {b.project}/{b.id}"
    _texts(out, ctx, b, "Batch", rec, "", "")
    for name in ("window_start", "window_end", "fallback_start", "fallback_end", "rehearsal_on"):
        _date(out, ctx, getattr(b, name), rec, FIELD_LABELS["Batch"][name], name, name, planned=True)
    _order(out, rec, ("备用交房结束日期", b.fallback_end), ("备用交房开始日期", b.fallback_start), "fallback_end",
           "fallback_end")
    for i, counter in enumerate(b.counters):
        _texts(out, ctx, counter, "Counter", f"{rec} 第 {i + 1} 个办理窗口", f"counters[{i}]", f"counters[{i}]")
    for i, condition in enumerate(b.conditions):
        _texts(out, ctx, condition, "DeliveryCondition", f"{rec} 第 {i + 1} 项交付条件", f"conditions[{i}]",
               f"conditions[{i}]")
    if b.area_rule is not None:
        _texts(out, ctx, b.area_rule, "AreaRule", f"{rec} 的面积补差规则", "area_rule", "area_rule")
    for u in b.units:
        urec = f"{rec} 中房号 {u.unit}"
        path = f"units[{u.unit}]"
        _texts(out, ctx, u, "BatchUnit", urec, path, u.unit)
        _date(out, ctx, u.notice_sent_on, urec, "交房通知书发出日期", f"{path}.notice_sent_on", u.unit)
        if u.appointment is not None:
            _date(out, ctx, u.appointment.date(), urec, "预约时段", f"{path}.appointment", u.unit, planned=True)
    return out


def registration_problems(r: Registration, ctx: Context) -> list[Problem]:
    """Every rule a registration batch (办证批次) breaks: texts, dates in order, each household's status."""
    out: list[Problem] = []
    rec = f"办证批次 {r.ref}"
    _texts(out, ctx, r, "Registration", rec, "", "")
    _date(out, ctx, r.created_on, rec, "建立日期", "created_on", "created_on")
    _date(out, ctx, r.submitted_on, rec, "递交日期", "submitted_on", "submitted_on")
    _order(out, rec, ("递交日期", r.submitted_on), ("建立日期", r.created_on), "submitted_on", "submitted_on")
    if r.submitted_on is not None and not r.receipt_no:
        out.append(Problem("VALID.REGISTRATION", rec, "登记中心受理编号",
                           f"{rec} 已于 {r.submitted_on} 递交,但没有登记中心受理编号", "receipt_no", "receipt_no"))
    labels = FIELD_LABELS["RegistrationEntry"]
    for e in r.households:
        urec = f"{rec} 中房号 {e.unit}"
        path = f"households[{e.unit}]"
        _texts(out, ctx, e, "RegistrationEntry", urec, path, e.unit)
        for name in ("joined_on", "certified_on", "handed_out_on", "left_on"):
            _date(out, ctx, getattr(e, name), urec, labels[name], f"{path}.{name}", e.unit)
        _order(out, urec, ("登簿日期", e.certified_on), ("递交日期", r.submitted_on), f"{path}.certified_on", e.unit)
        _order(out, urec, ("领证日期", e.handed_out_on), ("登簿日期", e.certified_on), f"{path}.handed_out_on", e.unit)

        def add(field: str, message: str, name: str, unit: str = e.unit, where: str = urec) -> None:
            out.append(Problem("VALID.REGISTRATION", where, field, f"{where} {message}", f"households[{unit}].{name}",
                               unit))

        if e.status in ("已递交", "已出证", "已领取") and r.submitted_on is None:
            add("状态", f"为{e.status},但办证批次尚未递交", "status")
        if e.status in ("已出证", "已领取") and (not e.certificate_no or e.certified_on is None):
            add("不动产权证号", f"为{e.status},但没有不动产权证号或登簿日期", "certificate_no")
        if e.status == "已领取" and e.handed_out_on is None:
            add("领证日期", "为已领取,但没有领证日期", "handed_out_on")
        if e.status == "已退出" and not e.left_reason.strip():
            add("退出原因", "已退出批次,但没有写明原因", "left_reason")
    return out


_PREREQUISITE_FIELDS = {"开始办理日期": "started_on", "办结日期": "done_on", "证号": "number", "证明文件": "document"}


def _prerequisites(out: list[Problem], ctx: Context, p: Project, rec: str) -> None:
    from docgen.certificates.prerequisites import KIND_LABELS, status_conflicts

    phases = {ph.name for ph in p.phases}
    seen: set[tuple[str, str]] = set()
    for i, item in enumerate(p.prerequisites):
        label = KIND_LABELS[item.kind] + (f"({show_input(item.phase)})" if item.phase else "")
        irec = f"{rec} 的办证前提「{label}」"
        path = f"prerequisites[{i}]"
        _texts(out, ctx, item, "Prerequisite", irec, path, path)
        _date(out, ctx, item.started_on, irec, "开始办理日期", f"{path}.started_on", path)
        _date(out, ctx, item.done_on, irec, "办结日期", f"{path}.done_on", path)
        _order(out, irec, ("办结日期", item.done_on), ("开始办理日期", item.started_on), f"{path}.done_on", path)
        if item.phase and item.phase not in phases:
            out.append(Problem("VALID.REFERENCE", irec, "期名",
                               f"{irec} 的期名{quote_input(item.phase)}不是本项目的分期"
                               f"(本项目的分期:{'、'.join(sorted(phases)) or '无'})", f"{path}.phase", path))
        if item.status == "已办结" and item.done_on is None:
            out.append(Problem("VALID.REGISTRATION", irec, "办结日期", f"{irec} 为已办结,但没有办结日期",
                               f"{path}.done_on", path))
        wrong = status_conflicts(item.status, started_on=item.started_on, done_on=item.done_on, number=item.number,
                                 document=item.document)
        if wrong:
            out.append(Problem("VALID.REGISTRATION", irec, wrong[0], f"{irec} 为{item.status}，却登记有{'、'.join(wrong)}",
                               f"{path}.{_PREREQUISITE_FIELDS[wrong[0]]}", path))
        if (item.kind, item.phase) in seen:
            out.append(Problem("VALID.REGISTRATION", irec, "办证前提", f"{irec} 重复登记", path, path))
        seen.add((item.kind, item.phase))


def _initial_registration(out: list[Problem], p: Project, rec: str) -> None:
    """The project's own 初始登记 fields say no more than its status allows (as an entry's do)."""
    from docgen.certificates.prerequisites import status_conflicts

    reg = p.initial_registration
    wrong = status_conflicts(reg.status, done_on=reg.date, number=reg.number)
    if wrong:
        field = {"办结日期": "date", "证号": "number"}[wrong[0]]
        out.append(Problem("VALID.REGISTRATION", f"{rec} 的初始登记", wrong[0],
                           f"{rec} 的初始登记为{reg.status}，却登记有{'、'.join(wrong)}", f"initial_registration.{field}",
                           "initial_registration"))


def project_problems(p: Project, ctx: Context) -> list[Problem]:
    """Every rule a project breaks: texts, dates, and the consistency of its building structure."""
    out: list[Problem] = []
    rec = f"项目 {p.code}"
    _texts(out, ctx, p, "Project", rec, "", "")
    _texts(out, ctx, p.developer, "Company", f"{rec} 的开发商", "developer", "developer")
    _texts(out, ctx, p.initial_registration, "InitialRegistration", f"{rec} 的初始登记", "initial_registration",
           "initial_registration")
    _date(out, ctx, p.initial_registration.date, f"{rec} 的初始登记", "办结日期", "initial_registration.date",
          "initial_registration")
    _prerequisites(out, ctx, p, rec)
    _initial_registration(out, p, rec)
    seen: dict[str, str] = {}
    for i, phase in enumerate(p.phases):
        prec = f"{rec} {show_input(phase.name) or f'第 {i + 1} 期'}"
        path = f"phases[{i}]"
        _texts(out, ctx, phase, "Phase", prec, path, path)
        _date(out, ctx, phase.completion_filed_on, prec, "竣工验收备案日期", f"{path}.completion_filed_on", path)
        _date(out, ctx, phase.contract_delivery_date, prec, "合同约定交付日期", f"{path}.contract_delivery_date", path,
              planned=True)
        for b in phase.buildings:
            folded = b.lstrip("0") or "0"
            if folded in seen:
                out.append(Problem("VALID.STRUCTURE", prec, "楼栋",
                                   f"{prec} 的楼栋 {_building_label(b)} 已列在{seen[folded]}中,一栋楼只能属于一期",
                                   f"{path}.buildings", path))
            seen.setdefault(folded, prec)
        structured: set[str] = set()
        for j, s in enumerate(phase.structure):
            srec = f"{prec} {_building_label(s.code)}的楼栋结构"
            spath = f"{path}.structure[{j}]"
            _texts(out, ctx, s, "Building", srec, spath, path)
            folded = s.code.lstrip("0") or "0"
            if not any(_same(s.code, b) for b in phase.buildings):
                out.append(Problem("VALID.STRUCTURE", srec, "楼栋号",
                                   f"{srec}:{_building_label(s.code)}不在该期的楼栋中(该期楼栋:"
                                   f"{'、'.join(_building_label(b) for b in phase.buildings) or '无'})",
                                   f"{spath}.code", path))
            if folded in structured:
                out.append(Problem("VALID.STRUCTURE", srec, "楼栋号", f"{srec}重复填写", f"{spath}.code", path))
            structured.add(folded)
            if s.lowest_floor > s.floors:
                out.append(Problem("VALID.STRUCTURE", srec, "最低住宅层",
                                   f"{srec}的最低住宅层({s.lowest_floor})高于最高层({s.floors})",
                                   f"{spath}.lowest_floor", path))
            outside = [f for f in s.skipped_floors if not s.lowest_floor <= f <= s.floors]
            if outside:
                out.append(Problem("VALID.STRUCTURE", srec, "不设的楼层",
                                   f"{srec}的不设的楼层 {'、'.join(map(str, outside))} 不在 {s.lowest_floor}-{s.floors} 层之间",
                                   f"{spath}.skipped_floors", path))
    return out
