"""The archive's data model: projects, handover batches, dossiers, documents and case records.

Every record is a pydantic model with ``extra="forbid"``: an unknown or misspelt
key in a hand-edited file is an error that names it, not a value silently
ignored.  Structure (types, dates, money, enumerations) is checked on every
load; data quality that real paper can get wrong (an ID checksum, a phone
number) is checked by :meth:`Dossier.data_problems`, which every save enforces
and the audit reports, so that one bad digit typed years ago never makes the
whole archive unreadable.

Money is ``Decimal`` (never float) and written as a string; quantities too.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer, field_validator

from docgen.idnumbers import credit_code_problem, id_number_problem, normalize, phone_problem
from docgen.money import FEN, money_str, to_money
from docgen.units import check_project_code, check_safe_id, parse_unit, unit_label
from docgen.vocab import (
    DOC_TYPES,
    BatchUnitStatus,
    CertificateStatus,
    ComplaintStatus,
    PaymentStatus,
    RepairStatus,
    Responsibility,
    RevisitReason,
    Satisfaction,
    SettlementStatus,
    Source,
    Stage,
    TextOrigin,
    doc_type_code,
)

_SHA256_RE = re.compile(r"[0-9a-f]{64}")


def _to_quantity(value: Any) -> Decimal:
    if isinstance(value, float | bool):
        raise ValueError("数量不能是浮点数,请写成字符串,如 \"12.5\"")
    try:
        q = Decimal(str(value).strip())
    except Exception as exc:
        raise ValueError(f"数量 {value!r} 不是有效数字") from exc
    if not q.is_finite() or q < 0:
        raise ValueError(f"数量 {value!r} 应为非负数")
    if q != q.quantize(Decimal("0.001")):
        raise ValueError(f"数量 {value!r} 最多三位小数")
    return q


def _quantity_str(q: Decimal) -> str:
    return format(q.normalize(), "f") if q == q.to_integral() else format(q, "f")


Money = Annotated[Decimal, BeforeValidator(to_money), PlainSerializer(money_str, return_type=str)]
Quantity = Annotated[Decimal, BeforeValidator(_to_quantity), PlainSerializer(_quantity_str, return_type=str)]
Text = Annotated[str, BeforeValidator(lambda v: normalize(v) if isinstance(v, str) else v)]


class Record(BaseModel):
    """Base of every stored record: unknown keys are errors, strings are stripped."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, validate_default=False)


class Company(Record):
    """A company party (the developer, 开发商): name, 统一社会信用代码, 法定代表人."""

    name: str
    credit_code: str = ""
    legal_rep: str = ""
    address: str = ""
    phone: str = ""


class Phase(Record):
    """A phase (期) of a project with its buildings, pre-sale permits and contract delivery date."""

    name: str
    buildings: list[str] = Field(default_factory=list)
    presale_permits: list[str] = Field(default_factory=list)
    contract_delivery_date: dt.date | None = None
    completion_filed_on: dt.date | None = None


class InitialRegistration(Record):
    """The developer's 初始登记 (first registration) of the project."""

    status: Literal["未办理", "办理中", "已办结"] = "未办理"
    number: str = ""
    date: dt.date | None = None


class PageInfo(Record):
    """How the text of one page was obtained (text layer or OCR) and how sure we are."""

    n: int
    origin: TextOrigin
    confidence: float | None = None
    chars: int = 0


class Document(Record):
    """An archived file plus its metadata (文件): type, date, source, hash, pages, signature."""

    id: str
    type: str
    title: str = ""
    date: dt.date | None = None
    source: Source = "import"
    file: str
    original_name: str = ""
    media_type: str = ""
    sha256: str
    size: int = 0
    pages: list[PageInfo] = Field(default_factory=list)
    text_file: str | None = None
    signed: bool = False
    supersedes: str | None = None
    superseded_by: str | None = None
    related: str | None = None
    identified_by: Literal["qr", "filename", "content", "manual", "direct", "generated"] | None = None
    confidence: float | None = None
    filed_at: dt.datetime | None = None
    filed_by: str = ""
    note: str = ""

    @field_validator("type")
    @classmethod
    def _known_type(cls, value: str) -> str:
        return doc_type_code(value)

    @field_validator("id", "file")
    @classmethod
    def _safe_name(cls, value: str) -> str:
        return check_safe_id(value, "文件编号")

    @field_validator("sha256")
    @classmethod
    def _hex(cls, value: str) -> str:
        v = value.lower()
        if _SHA256_RE.fullmatch(v) is None:  # a regex: the per-character loop was 28% of listing time
            raise ValueError("sha256 应为 64 位十六进制")
        return v

    @property
    def type_label(self) -> str:
        """The Chinese label of the document type."""
        return DOC_TYPES[self.type][0]


class Owner(Record):
    """An owner or co-owner (业主/共有人) of a household."""

    name: str
    id_number: str
    phone: str = ""
    address: str = ""
    role: Literal["主购人", "共有人"] = "主购人"

    @field_validator("id_number", "phone")
    @classmethod
    def _fold(cls, value: str) -> str:
        return normalize(value).replace(" ", "").upper()


class RepairTicket(Record):
    """A repair request (报修单) and what became of it."""

    id: str
    reported_on: dt.date
    reported_by: str = ""
    channel: str = "电话"
    component: str
    location: str = ""
    description: str
    warranty_category: str = ""
    in_warranty: bool | None = None
    verified_cause: str = ""
    responsibility: Responsibility = "待定"
    contractor: str = ""
    status: RepairStatus = "已受理"
    handled_by: str = ""
    responded_on: dt.date | None = None
    completed_on: dt.date | None = None
    owner_acceptance: Literal["合格", "不合格"] | None = None
    accepted_on: dt.date | None = None
    compensation: Money | None = None
    closed_on: dt.date | None = None
    notes: str = ""


class Complaint(Record):
    """A complaint (投诉) owned by its first responder (首问责任人)."""

    id: str
    received_on: dt.date
    channel: str = "电话"
    first_responder: str
    category: str
    description: str
    status: ComplaintStatus = "已受理"
    resolution: str = ""
    closed_on: dt.date | None = None
    related_repairs: list[str] = Field(default_factory=list)


class Revisit(Record):
    """A revisit (回访) of the owner with their satisfaction (A 满意 / B 基本满意 / C 不满意)."""

    id: str
    date: dt.date
    by: str
    channel: str = "电话"
    reason: RevisitReason = "定期回访"
    satisfaction: Satisfaction
    notes: str = ""
    related: str | None = None


class SettlementItem(Record):
    """One line of a third-party repair settlement: declared vs approved quantity at a unit price."""

    item: str
    unit: str = "项"
    declared_qty: Quantity
    approved_qty: Quantity
    unit_price: Money

    @property
    def declared_amount(self) -> Decimal:
        """申报金额 = 申报数量 × 合同单价, rounded to the fen."""
        return (self.declared_qty * self.unit_price).quantize(FEN)

    @property
    def approved_amount(self) -> Decimal:
        """审定金额 = 核定数量 × 合同单价, rounded to the fen."""
        return (self.approved_qty * self.unit_price).quantize(FEN)


class Deduction(Record):
    """An amount withheld from a settlement (预留质保金, 甲供料, 其他扣款)."""

    name: str
    amount: Money


class Approval(Record):
    """One signature on the countersign chain (会签)."""

    role: str
    name: str = ""
    date: dt.date | None = None
    decision: Literal["同意", "不同意", "待签"] = "待签"
    note: str = ""


class Settlement(Record):
    """A third-party repair cost settlement (第三方维修费用结算) and its approval chain."""

    id: str
    created_on: dt.date
    repair_ids: list[str] = Field(default_factory=list)
    contractor: str
    contract_no: str = ""
    items: list[SettlementItem] = Field(min_length=1)
    deductions: list[Deduction] = Field(default_factory=list)
    paid_before: Money = Decimal("0.00")
    chargeback: Money = Decimal("0.00")
    chargeback_to: str = ""
    payee: str = ""
    bank: str = ""
    account: str = ""
    attachments: list[str] = Field(default_factory=list)
    approvals: list[Approval] = Field(default_factory=list)
    status: SettlementStatus = "草稿"
    handled_by: str = ""

    @property
    def declared_total(self) -> Decimal:
        """申报金额合计."""
        return sum((i.declared_amount for i in self.items), Decimal("0.00"))

    @property
    def approved_total(self) -> Decimal:
        """审定金额合计 (结算总价)."""
        return sum((i.approved_amount for i in self.items), Decimal("0.00"))

    @property
    def deductions_total(self) -> Decimal:
        """扣款合计."""
        return sum((d.amount for d in self.deductions), Decimal("0.00"))

    @property
    def payable(self) -> Decimal:
        """本次付款 = 结算总价 − 扣款 − 已付累计."""
        return self.approved_total - self.deductions_total - self.paid_before


class Dossier(Record):
    """One household's dossier (业主档案, 一户一档), keyed by project and unit."""

    project: str
    unit: str
    owners: list[Owner] = Field(min_length=1)
    contract_no: str = ""
    filing_no: str = ""
    contract_date: dt.date | None = None
    area_contract: Quantity | None = None
    area_measured: Quantity | None = None
    price_total: Money | None = None
    payment_status: PaymentStatus = "未付清"
    stage: Stage = "签约"
    signed_on: dt.date | None = None
    delivery_due: dt.date | None = None
    delivered_on: dt.date | None = None
    registration_due_days: int | None = None
    certificate_status: CertificateStatus = "未办理"
    certificate_no: str = ""
    certified_on: dt.date | None = None
    batch: str | None = None
    documents: list[Document] = Field(default_factory=list)
    repairs: list[RepairTicket] = Field(default_factory=list)
    complaints: list[Complaint] = Field(default_factory=list)
    revisits: list[Revisit] = Field(default_factory=list)
    settlements: list[Settlement] = Field(default_factory=list)
    notes: str = ""

    @field_validator("project")
    @classmethod
    def _project(cls, value: str) -> str:
        return check_project_code(value)

    @field_validator("unit")
    @classmethod
    def _unit(cls, value: str) -> str:
        return parse_unit(value).code

    @property
    def key(self) -> str:
        """The dossier key, e.g. ``HXSZ/03-2-1203``."""
        return f"{self.project}/{self.unit}"

    @property
    def unit_label(self) -> str:
        """The unit in Chinese, e.g. ``3栋2单元1203``."""
        return unit_label(self.unit)

    @property
    def owner_names(self) -> str:
        """Owners' names joined with 、 as documents print them."""
        return "、".join(o.name for o in self.owners)

    def document(self, doc_id: str) -> Document | None:
        """Return the document with this id, or None."""
        return next((d for d in self.documents if d.id == doc_id), None)

    def data_problems(self) -> list[tuple[str, str]]:
        """Return (field path, problem) for data that saving refuses and the audit reports."""
        problems: list[tuple[str, str]] = []
        seen: dict[str, int] = {}
        for i, owner in enumerate(self.owners):
            p = id_number_problem(owner.id_number)
            if p:
                problems.append((f"owners[{i}].id_number", p))
            if owner.phone:
                p = phone_problem(owner.phone)
                if p:
                    problems.append((f"owners[{i}].phone", p))
            if owner.id_number in seen:
                problems.append(
                    (f"owners[{i}].id_number", f"与 owners[{seen[owner.id_number]}] 的身份证号码相同")
                )
            seen.setdefault(owner.id_number, i)
        ids = [d.id for d in self.documents] + [r.id for r in self.repairs]
        ids += [c.id for c in self.complaints] + [v.id for v in self.revisits] + [s.id for s in self.settlements]
        dupes = sorted({x for x in ids if ids.count(x) > 1})
        for dup in dupes:
            problems.append(("documents/cases", f"编号 {dup} 重复出现"))
        return problems


class Counter(Record):
    """A service counter (办理窗口) at the handover venue, in the order owners pass them."""

    seq: int
    name: str
    staff: list[str] = Field(default_factory=list)


class BatchUnit(Record):
    """One unit in a handover batch: notice, appointment and handover status."""

    unit: str
    status: BatchUnitStatus = "待通知"
    notice_sent_on: dt.date | None = None
    notice_channel: str = ""
    appointment: dt.datetime | None = None
    defects: str = ""
    keys_issued: bool = False

    @field_validator("unit")
    @classmethod
    def _unit(cls, value: str) -> str:
        return parse_unit(value).code


class Batch(Record):
    """A handover batch (交房批次): which units, when, where, and who runs it."""

    id: str
    project: str
    name: str
    phase: str = ""
    buildings: list[str] = Field(default_factory=list)
    window_start: dt.date
    window_end: dt.date
    fallback_start: dt.date | None = None
    fallback_end: dt.date | None = None
    hours: str = "09:00-17:00"
    rehearsal_on: dt.date | None = None
    venue: str
    backup_venue: str = ""
    commander: str = ""
    supervisor: str = ""
    counters: list[Counter] = Field(default_factory=list)
    units: list[BatchUnit] = Field(default_factory=list)
    notes: str = ""

    @field_validator("id")
    @classmethod
    def _safe(cls, value: str) -> str:
        return check_safe_id(value, "批次编号")

    @field_validator("project")
    @classmethod
    def _project(cls, value: str) -> str:
        return check_project_code(value)

    def data_problems(self) -> list[tuple[str, str]]:
        """Return (field path, problem) for inconsistencies that saving refuses."""
        problems: list[tuple[str, str]] = []
        if self.window_end < self.window_start:
            problems.append(("window_end", "交房结束日期早于开始日期"))
        units = [u.unit for u in self.units]
        for dup in sorted({u for u in units if units.count(u) > 1}):
            problems.append(("units", f"房号 {dup} 在批次中重复出现"))
        return problems


class Project(Record):
    """A development project (项目): the developer, phases, permits and project-level documents."""

    code: str
    name: str
    city: str = ""
    address: str = ""
    developer: Company
    phases: list[Phase] = Field(default_factory=list)
    initial_registration: InitialRegistration = Field(default_factory=InitialRegistration)
    service_phone: str = ""
    documents: list[Document] = Field(default_factory=list)
    notes: str = ""

    @field_validator("code")
    @classmethod
    def _code(cls, value: str) -> str:
        return check_project_code(value)

    def data_problems(self) -> list[tuple[str, str]]:
        """Return (field path, problem) for data that saving refuses (none for a credit code: a warning)."""
        return []

    def warnings(self) -> list[tuple[str, str]]:
        """Return (field path, problem) for doubtful data that is kept (a bad credit code)."""
        problem = credit_code_problem(self.developer.credit_code) if self.developer.credit_code else None
        return [("developer.credit_code", problem)] if problem else []

    def phase_of_building(self, building: str) -> Phase | None:
        """Return the phase that contains a building (``03``), or None."""
        b = building.lstrip("0")
        return next((p for p in self.phases if b in [x.lstrip("0") for x in p.buildings]), None)
