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
from collections import Counter as Tally
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    field_validator,
    model_validator,
)

from docgen.errors import quote_input
from docgen.idnumbers import credit_code_problem, id_number_problem, normalize, phone_problem
from docgen.money import FEN, money_str, to_money
from docgen.units import check_project_code, check_safe_id, parse_unit, unit_label
from docgen.vocab import (
    DOC_TYPES,
    BatchUnitStatus,
    CertificateStatus,
    ComplaintStatus,
    PaymentStatus,
    PrerequisiteKind,
    PrerequisiteStatus,
    RegistrationStatus,
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
MAX_QUANTITY = Decimal("999999999")


def _to_quantity(value: Any) -> Decimal:
    if isinstance(value, float | bool):
        raise ValueError("数量不能是浮点数,请写成字符串,如 \"12.5\"")
    try:
        q = Decimal(str(value).strip())
    except Exception as exc:
        raise ValueError(f"数量{quote_input(value)}不是有效数字") from exc
    if not q.is_finite() or q < 0:
        raise ValueError(f"数量{quote_input(value)}应为非负数")
    if q > MAX_QUANTITY:  # before quantize: 1e30 would overflow the context (InvalidOperation)
        raise ValueError(f"数量{quote_input(value)}超出范围(最多 {MAX_QUANTITY})")
    if q != q.quantize(Decimal("0.001")):
        raise ValueError(f"数量{quote_input(value)}最多三位小数")
    return q


def _quantity_str(q: Decimal) -> str:
    return format(q.normalize(), "f") if q == q.to_integral() else format(q, "f")


Money = Annotated[Decimal, BeforeValidator(to_money), PlainSerializer(money_str, return_type=str)]
Quantity = Annotated[Decimal, BeforeValidator(_to_quantity), PlainSerializer(_quantity_str, return_type=str)]
Text = Annotated[str, BeforeValidator(lambda v: normalize(v) if isinstance(v, str) else v)]


class Record(BaseModel):
    """Base of every stored record: unknown keys are errors, strings are stripped."""

    model_config = ConfigDict(
        extra="forbid", str_strip_whitespace=True, validate_default=False, use_attribute_docstrings=True
    )


class Company(Record):
    """A company party (the developer, 开发商): name, 统一社会信用代码, 法定代表人."""

    name: str
    """公司名称 (legal name)."""
    credit_code: str = ""
    """统一社会信用代码, 18 characters (GB 32100); a bad checksum is warned about, never refused."""
    legal_rep: str = ""
    """法定代表人."""
    address: str = ""
    """注册地址 / 联系地址."""
    phone: str = ""
    """联系电话."""


class Building(Record):
    """A building's structure (楼栋结构): its 单元, floors and rooms, so that only rooms that exist get a dossier.

    Rooms are numbered floor × 100 + room on every floor of every 单元
    (``1203`` = floor 12, room 03).  A building listed in a phase without a
    structure is checked by its number only.  When the project has a 楼盘表
    (a per-room table imported from a spreadsheet, a later addition), the
    table is the authority and this structure is not consulted.
    """

    code: str
    """楼栋号 as the phase lists it, e.g. "03"."""
    entrances: int = Field(ge=1, le=99)
    """单元数: entrances are numbered 1 … N."""
    floors: int = Field(ge=1, le=300)
    """最高层: the number of the top residential floor."""
    lowest_floor: int = Field(default=1, ge=1, le=300)
    """最低住宅层 (e.g. 2 when the ground floor holds shops or the lobby)."""
    rooms_per_floor: int = Field(ge=1, le=99)
    """每层户数 per 单元: rooms 01 … N on every floor."""
    skipped_floors: list[int] = Field(default_factory=list)
    """不设的楼层: floor numbers the building does not use (e.g. 4, 13, 14)."""


class Phase(Record):
    """A phase (期) of a project with its buildings, pre-sale permits and contract delivery date."""

    name: str
    """期名, e.g. 一期."""
    buildings: list[str] = Field(default_factory=list)
    """楼栋 codes in this phase, e.g. ["03", "05"]; a dossier's building must be one of a phase's."""
    structure: list[Building] = Field(default_factory=list)
    """楼栋结构 of the phase's buildings (optional; without it only the building number is checked)."""
    presale_permits: list[str] = Field(default_factory=list)
    """预售许可证 numbers."""
    contract_delivery_date: dt.date | None = None
    """合同约定交付日期 for the phase (YYYY-MM-DD)."""
    completion_filed_on: dt.date | None = None
    """竣工验收备案 date."""


class InitialRegistration(Record):
    """The developer's 初始登记 (first registration) of the project."""

    status: Literal["未办理", "办理中", "已办结"] = "未办理"
    """初始登记 status: 未办理 / 办理中 / 已办结."""
    number: str = ""
    """Certificate number of the 初始登记."""
    date: dt.date | None = None
    """Date it was completed."""


class Prerequisite(Record):
    """A project-level prerequisite of the owners' registration (办证前提): its status, number and dates.

    Kinds: ``presale_permit`` 预售许可证, ``area_survey`` 面积实测报告,
    ``data_linkage`` 数据挂接 (the survey data linked to the registry's
    building table), ``initial_registration`` 初始登记 (首次登记),
    ``completion_filing`` 竣工验收备案.  ``phase`` names the phase it covers
    (empty: the whole project).  Where none is recorded, what the project
    already says (a phase's permits and completion filing, the project's
    ``initial_registration``) stands in for it (``docgen.certificates.prerequisites``).
    """

    kind: PrerequisiteKind
    """presale_permit, area_survey, data_linkage, initial_registration or completion_filing."""
    phase: str = ""
    """期名 the prerequisite covers, e.g. 二期; empty: the whole project."""
    status: PrerequisiteStatus = "未办理"
    """未办理 / 办理中 / 已办结."""
    number: str = ""
    """证号或编号 (预售许可证号, 初始登记证明号, 备案号 …)."""
    started_on: dt.date | None = None
    """申请或开始办理日期."""
    done_on: dt.date | None = None
    """办结日期."""
    document: str | None = None
    """Id of the project document that proves it (the scanned 预售许可证, 初始登记证明 …)."""
    note: str = ""
    """备注."""


def _empty(value: object) -> bool:
    return not value


class DoubtfulLine(Record):
    """A line OCR could not read with confidence even after reading it again (OCR 存疑): a person should type it.

    Stored only when doubt remains, so the archive says which printed line may
    be wrong or missing instead of filing the page as if it had been read whole.
    """

    box: list[int]
    """Where the line is: [x0, y0, x1, y1] in pixels of the page image OCR read (its size is the page's `size`)."""
    text: str = ""
    """What was read there (the best reading, also in the page's text), empty when nothing could be read."""
    confidence: float | None = None
    """Recognition confidence 0-1 of that reading (null when nothing was read)."""
    reason: str
    """Why the line is in doubt, e.g. 置信度低 0.62、读出 5 字而行宽约 40 字、检测到文字但未能识别、行距中缺一行."""
    tried: list[str] = Field(default_factory=list, exclude_if=_empty)
    """What was tried to read it again and what each attempt gave, e.g. 放大 1.5 倍:0.71."""
    row: int | None = None
    """The line of the page's stored text that holds the reading (from 1); for a missing line, the line it comes before."""
    missing: bool = Field(default=False, exclude_if=_empty)
    """True for a line that is not in the stored text: a line the detector missed, of which nothing or only an unsure reading came."""


class PageInfo(Record):
    """How the text of one page was obtained (text layer or OCR) and how sure we are."""

    n: int
    """Page number, from 1."""
    origin: TextOrigin
    """How the page's text was obtained: text (PDF text layer), ocr, none."""
    confidence: float | None = None
    """Mean OCR confidence 0-1 (null for a text layer)."""
    chars: int = 0
    """Characters of text read from the page."""
    size: list[int] | None = Field(default=None, exclude_if=_empty)
    """[width, height] in pixels of the page image OCR read (boxes of doubtful lines refer to it); absent for text layers."""
    rereads: list[str] = Field(default_factory=list, exclude_if=_empty)
    """Lines OCR doubted and read again successfully: for each, why and what gave the reading kept."""
    doubtful: list[DoubtfulLine] = Field(default_factory=list, exclude_if=_empty)
    """Lines still in doubt after reading them again (OCR 存疑), empty for a page read with confidence."""


class Document(Record):
    """An archived file plus its metadata (文件): type, date, source, hash, pages, signature."""

    id: str
    """Document id, e.g. DOC-2026-000123; also the file's base name; printed in the QR code of generated documents."""
    type: str
    """Type code from the controlled vocabulary (`docgen document types`), e.g. handover_record = 房屋交接书."""
    title: str = ""
    """Title shown to people (defaults to the type's Chinese label)."""
    date: dt.date | None = None
    """The date on the document (signing date, issue date)."""
    source: Source = "import"
    """scan (scanned paper), generated (made by docgen), import (filed from a file)."""
    file: str
    """File name inside the owner's documents/ folder."""
    original_name: str = ""
    """The name the file had when it arrived."""
    media_type: str = ""
    """MIME type, e.g. application/pdf."""
    sha256: str
    """sha256 of the file: `docgen verify` checks it."""
    size: int = 0
    """File size in bytes."""
    pages: list[PageInfo] = Field(default_factory=list)
    """Per page: how its text was obtained and with what confidence."""
    text_file: str | None = None
    """Name of the extracted-text sidecar (pages separated by form feeds), or null."""
    signed: bool = False
    """True when this copy carries the signatures it needs."""
    supersedes: str | None = None
    """Id of the document this one replaces (e.g. the signed scan of a generated draft)."""
    superseded_by: str | None = None
    """Id of the document that replaced this one."""
    related: str | None = None
    """Id of a related case record (repair ticket, settlement) if any."""
    identified_by: Literal["qr", "filename", "content", "manual", "direct", "generated"] | None = None
    """How ingest found its dossier: qr, filename, content, manual, direct, generated."""
    confidence: float | None = None
    """Confidence of that identification, 0-1."""
    filed_at: dt.datetime | None = None
    """When it was filed (ISO 8601 with offset)."""
    filed_by: str = ""
    """Who filed it."""
    note: str = ""
    """Free remark."""

    @field_validator("type")
    @classmethod
    def _known_type(cls, value: str) -> str:
        return doc_type_code(value)

    @field_validator("id", "file")
    @classmethod
    def _safe_name(cls, value: str) -> str:
        return check_safe_id(value, "文件编号")

    @field_validator("text_file")
    @classmethod
    def _safe_text_name(cls, value: str | None) -> str | None:
        return None if value is None else check_safe_id(value, "文字文件名")

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

    @property
    def doubtful_lines(self) -> int:
        """How many lines OCR left in doubt on all pages (OCR 存疑): 0 for a document read with confidence."""
        return sum(len(p.doubtful) for p in self.pages)


class Owner(Record):
    """An owner or co-owner (业主/共有人) of a household."""

    name: str
    """姓名."""
    id_number: str
    """居民身份证号码, 18 characters, GB 11643 checksum (saving refuses a wrong one; the audit reports hand edits)."""
    phone: str = ""
    """手机 (11 digits) or 固定电话 with area code."""
    address: str = ""
    """联系地址."""
    role: Literal["主购人", "共有人"] = "主购人"
    """主购人 (main buyer) or 共有人 (co-owner)."""

    @field_validator("id_number", "phone")
    @classmethod
    def _fold(cls, value: str) -> str:
        return normalize(value).replace(" ", "").upper()


class RepairTicket(Record):
    """A repair request (报修单) and what became of it."""

    id: str
    """报修单号, e.g. BX-2026-00012."""
    reported_on: dt.date
    """报修日期."""
    reported_by: str = ""
    """报修人."""
    channel: str = "电话"
    """渠道: 电话, 现场, 微信 …"""
    component: str
    """部位/构件, matched against the warranty table in rules.json (e.g. 卫生间地面渗漏)."""
    location: str = ""
    """Where in the unit."""
    description: str
    """问题描述."""
    warranty_category: str = ""
    """保修类别 if classified."""
    in_warranty: bool | None = None
    """Whether it was judged in warranty (null: not yet judged)."""
    verified_cause: str = ""
    """核实原因."""
    responsibility: Responsibility = "待定"
    """责任方: 施工单位, 开发商, 业主, 物业, 不可抗力, 待定."""
    contractor: str = ""
    """维修单位."""
    status: RepairStatus = "已受理"
    """已受理 → 已核实 → 维修中 → 待验收 → 已完成/已关闭 (or 不予维修)."""
    handled_by: str = ""
    """经办人."""
    responded_on: dt.date | None = None
    """响应日期 (first visit or reply)."""
    completed_on: dt.date | None = None
    """维修完成日期."""
    owner_acceptance: Literal["合格", "不合格"] | None = None
    """业主验收: 合格 / 不合格."""
    accepted_on: dt.date | None = None
    """验收日期."""
    compensation: Money | None = None
    """赔偿金额 (yuan, string) if a compensation agreement applies."""
    closed_on: dt.date | None = None
    """关闭日期."""
    notes: str = ""
    """备注."""
    revision: int = Field(default=0, ge=0)
    """Revision of this record, raised by every change; an edit that names an older one is refused."""
    updated_by: str = ""
    """Who made the last change."""
    updated_at: dt.datetime | None = None
    """When the last change was made (ISO 8601 with offset)."""


class Complaint(Record):
    """A complaint (投诉) owned by its first responder (首问责任人)."""

    id: str
    """投诉编号, e.g. TS-2026-00003."""
    received_on: dt.date
    """受理日期."""
    channel: str = "电话"
    """渠道."""
    first_responder: str
    """首问责任人: the first person contacted owns the case."""
    category: str
    """类别: 工程质量, 交付延期, 物业服务 …"""
    description: str
    """投诉内容."""
    status: ComplaintStatus = "已受理"
    """已受理 / 处理中 / 已关闭."""
    resolution: str = ""
    """处理结果."""
    closed_on: dt.date | None = None
    """关闭日期."""
    related_repairs: list[str] = Field(default_factory=list)
    """Related repair ticket ids."""
    revision: int = Field(default=0, ge=0)
    """Revision of this record, raised by every change; an edit that names an older one is refused."""
    updated_by: str = ""
    """Who made the last change."""
    updated_at: dt.datetime | None = None
    """When the last change was made (ISO 8601 with offset)."""


class Revisit(Record):
    """A revisit (回访) of the owner, planned (待回访) or done with a satisfaction (A 满意 / B 基本满意 / C 不满意)."""

    id: str
    """回访编号, e.g. HF-2026-00040."""
    date: dt.date
    """回访日期 (planned date while 待回访)."""
    by: str
    """回访人."""
    channel: str = "电话"
    """渠道."""
    reason: RevisitReason = "定期回访"
    """定期回访, 投诉后回访, 维修后回访, 交房后回访."""
    status: Literal["待回访", "已完成"] = "已完成"
    """待回访 (planned) or 已完成 (done)."""
    satisfaction: Satisfaction | None = None
    """A 满意, B 基本满意, C 不满意 (required once done)."""
    notes: str = ""
    """回访记录."""
    related: str | None = None
    """Id of the complaint or repair this revisit follows."""
    revision: int = Field(default=0, ge=0)
    """Revision of this record, raised by every change; an edit that names an older one is refused."""
    updated_by: str = ""
    """Who made the last change."""
    updated_at: dt.datetime | None = None
    """When the last change was made (ISO 8601 with offset)."""

    @model_validator(mode="after")
    def _done_has_satisfaction(self) -> Revisit:
        if self.status == "已完成" and self.satisfaction is None:
            raise ValueError("已完成的回访需填写满意度 satisfaction(A 满意 / B 基本满意 / C 不满意)")
        return self


class SettlementItem(Record):
    """One line of a third-party repair settlement: declared vs approved quantity at a unit price."""

    item: str
    """维修项目."""
    unit: str = "项"
    """计量单位 (m², 项, 个 …)."""
    declared_qty: Quantity
    """申报数量 (string, up to 3 decimals)."""
    approved_qty: Quantity
    """核定数量."""
    unit_price: Money
    """合同单价 (yuan, string). Amounts are computed: quantity × price, rounded to the fen."""

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
    """扣款名称: 预留质保金, 甲供料, 其他扣款 …"""
    amount: Money
    """金额 (yuan, string)."""


class Approval(Record):
    """One signature on the countersign chain (会签)."""

    role: str
    """签字角色: 经办人, 客户服务部负责人, 分管领导, 总经理 …"""
    name: str = ""
    """签字人."""
    date: dt.date | None = None
    """签字日期."""
    decision: Literal["同意", "不同意", "待签"] = "待签"
    """同意 / 不同意 / 待签."""
    note: str = ""
    """意见."""


class Settlement(Record):
    """A third-party repair cost settlement (第三方维修费用结算) and its approval chain."""

    id: str
    """会签表编号, e.g. HQ-2026-00007."""
    created_on: dt.date
    """填报日期."""
    repair_ids: list[str] = Field(default_factory=list)
    """维修单号 this settlement pays for."""
    contractor: str
    """第三方维修单位."""
    contract_no: str = ""
    """维修合同编号."""
    items: list[SettlementItem] = Field(min_length=1)
    """结算明细 (at least one)."""
    deductions: list[Deduction] = Field(default_factory=list)
    """扣款 (质保金 …)."""
    paid_before: Money = Decimal("0.00")
    """已付累计."""
    chargeback: Money = Decimal("0.00")
    """Amount charged back to the original contractor (from its 质保金)."""
    chargeback_to: str = ""
    """Original contractor charged back."""
    payee: str = ""
    """收款单位."""
    bank: str = ""
    """开户行."""
    account: str = ""
    """账号."""
    attachments: list[str] = Field(default_factory=list)
    """附件 (合同, 结算书, 业主验收单, 照片, 发票 …)."""
    approvals: list[Approval] = Field(default_factory=list)
    """会签链, in signing order."""
    status: SettlementStatus = "草稿"
    """草稿 / 审批中 / 已审批 / 已付款 / 已驳回."""
    handled_by: str = ""
    """经办人."""
    revision: int = Field(default=0, ge=0)
    """Revision of this record, raised by every change; an edit that names an older one is refused."""
    updated_by: str = ""
    """Who made the last change."""
    updated_at: dt.datetime | None = None
    """When the last change was made (ISO 8601 with offset)."""

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
    """项目编号 (must match the folder)."""
    unit: str
    """房号 code BB-U-RRRR, e.g. 03-2-1203 = 3栋2单元1203 (must match the folder)."""
    owners: list[Owner] = Field(min_length=1)
    """业主 and 共有人 (at least one)."""
    contract_no: str = ""
    """商品房买卖合同编号."""
    filing_no: str = ""
    """合同备案号."""
    contract_date: dt.date | None = None
    """签约日期 on the contract."""
    area_contract: Quantity | None = None
    """合同面积 m² (string)."""
    area_measured: Quantity | None = None
    """实测面积 m² (string)."""
    price_total: Money | None = None
    """总房款 (yuan, string)."""
    unit_price: Money | None = None
    """合同单价 (yuan per m² of contract area, string), if the contract states one; else 面积补差 uses 总房款 ÷ 合同面积 rounded half up to the fen."""
    payment_status: PaymentStatus = "未付清"
    """付款状态: 未付清, 已付清, 按揭待放款, 按揭已到账."""
    stage: Stage = "签约"
    """阶段: 签约 → 交房 → 办证 → 保修期."""
    signed_on: dt.date | None = None
    """签约日期."""
    delivery_due: dt.date | None = None
    """合同约定交付日期."""
    delivered_on: dt.date | None = None
    """实际交房日期."""
    registration_due_days: int | None = None
    """Days from delivery to register the title if the contract says (default 90)."""
    certificate_status: CertificateStatus = "未办理"
    """产权证: 未办理, 资料收集中, 已递交, 已办结."""
    certificate_no: str = ""
    """不动产权证号."""
    certified_on: dt.date | None = None
    """办结日期."""
    batch: str | None = None
    """交房批次 id within the project, e.g. B01."""
    documents: list[Document] = Field(default_factory=list)
    """The dossier's documents (files in documents/)."""
    repairs: list[RepairTicket] = Field(default_factory=list)
    """报修单."""
    complaints: list[Complaint] = Field(default_factory=list)
    """投诉."""
    revisits: list[Revisit] = Field(default_factory=list)
    """回访."""
    settlements: list[Settlement] = Field(default_factory=list)
    """第三方维修费用结算."""
    notes: str = ""
    """备注."""
    revision: int = Field(default=0, ge=0)
    """Revision of this record, raised by every change; an edit that names an older one is refused."""
    updated_by: str = ""
    """Who made the last change."""
    updated_at: dt.datetime | None = None
    """When the last change was made (ISO 8601 with offset)."""

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
    """Order in which owners pass the counters."""
    name: str
    """窗口名称, e.g. 房产合同组."""
    staff: list[str] = Field(default_factory=list)
    """Staff at the counter."""


class BatchUnit(Record):
    """One unit in a handover batch: notice, appointment and handover status."""

    unit: str
    """房号 code; the dossier must exist."""
    status: BatchUnitStatus = "待通知"
    """待通知 → 已通知 → 已预约 → 已到场 → 已收房 (or 拒收 / 整改中)."""
    notice_sent_on: dt.date | None = None
    """交房通知书 sent on."""
    notice_channel: str = ""
    """快递, 电话, 短信 …"""
    appointment: dt.datetime | None = None
    """预约时段 start (YYYY-MM-DDTHH:MM)."""
    defects: str = ""
    """验房发现的问题."""
    keys_issued: bool = False
    """钥匙已发放."""
    revision: int = Field(default=0, ge=0)
    """Revision of this record, raised by every change; an edit that names an older one is refused."""
    updated_by: str = ""
    """Who made the last change."""
    updated_at: dt.datetime | None = None
    """When the last change was made (ISO 8601 with offset)."""

    @field_validator("unit")
    @classmethod
    def _unit(cls, value: str) -> str:
        return parse_unit(value).code


#: Delivery conditions recorded on a batch (the others are derived from the project and the dossiers,
#: see ``docgen.generate.conditions``): code -> Chinese label.
CONDITION_ITEMS: dict[str, str] = {
    "two_books": "《住宅质量保证书》《住宅使用说明书》",
    "door_numbers": "门牌号码",
    "utilities": "水、电、燃气",
    "lifts": "电梯",
    "cleaning": "室内外清洁",
}
ConditionItem = Literal["two_books", "door_numbers", "utilities", "lifts", "cleaning"]


class DeliveryCondition(Record):
    """One delivery condition (交付条件) of a batch as the engineering or sales department reports it."""

    item: ConditionItem
    """two_books (两书备齐), door_numbers (门牌编定并安装), utilities (通水通电通气), lifts (电梯验收合格), cleaning (清洁完成)."""
    status: Literal["已落实", "未落实", "不适用"] = "未落实"
    """已落实 (done, with its date), 未落实, 不适用 (e.g. no lifts in a low-rise building)."""
    date: dt.date | None = None
    """落实日期 (required once 已落实)."""
    evidence: str | None = None
    """Id of the archived document that shows it (验收证明, 签收单 …), if any."""
    note: str = ""
    """备注 (who confirmed it, what remains)."""

    @field_validator("evidence")
    @classmethod
    def _safe_evidence(cls, value: str | None) -> str | None:
        return None if value in (None, "") else check_safe_id(value, "证明文件编号")

    @model_validator(mode="after")
    def _done_has_date(self) -> DeliveryCondition:
        if self.status == "已落实" and self.date is None:
            raise ValueError(f"交付条件「{CONDITION_ITEMS[self.item]}」已落实时须填写落实日期 date")
        return self


def _to_percent(value: Any) -> Decimal:
    q = _to_quantity(value)
    if q <= 0 or q > 10:
        raise ValueError(f"面积误差比界限{quote_input(value)}应大于 0 且不超过 10(单位:%)")
    return q


class AreaRule(Record):
    """How a contract settles area variances (面积补差); absent, art. 20 of 《商品房销售管理办法》 applies.

    The statutory rule is these defaults: within ±3 % (inclusive) the difference
    is settled at the contract unit price; beyond, the buyer may return the
    unit, and if they keep it the developer bears an excess above 3 % and
    refunds a shortfall beyond 3 % at double.
    """

    basis: str
    """Where the contract says so, printed on the sheet, e.g. 《商品房买卖合同》第五条."""
    band: Annotated[Decimal, BeforeValidator(_to_percent), PlainSerializer(_quantity_str, return_type=str)] = Decimal("3")
    """面积误差比 band in percent (string): |ratio| ≤ band is settled at the unit price."""
    within: Literal["据实结算", "不作调整"] = "据实结算"
    """Inside the band: 据实结算 (settled at the unit price) or 不作调整 (no adjustment)."""
    excess: Literal["开发商承担", "买受人补足"] = "开发商承担"
    """An excess beyond the band: 开发商承担 (the buyer pays nothing for it) or 买受人补足 (paid at the unit price)."""
    shortfall_multiple: Annotated[Decimal, BeforeValidator(_to_quantity), PlainSerializer(_quantity_str, return_type=str)] = Decimal("2")
    """A shortfall beyond the band is refunded at this multiple of the unit price (string; 2 by law)."""

    @field_validator("shortfall_multiple")
    @classmethod
    def _multiple(cls, value: Decimal) -> Decimal:
        if value < 1 or value > 5:
            raise ValueError("超出部分的返还倍数应在 1 至 5 之间")
        return value


class Batch(Record):
    """A handover batch (交房批次): which units, when, where, and who runs it."""

    id: str
    """批次编号 within the project (file name), e.g. B01."""
    project: str
    """项目编号."""
    name: str
    """批次名称."""
    phase: str = ""
    """分期."""
    buildings: list[str] = Field(default_factory=list)
    """楼栋."""
    window_start: dt.date
    """交房开始日期 (T in the preparation schedule)."""
    window_end: dt.date
    """交房结束日期."""
    fallback_start: dt.date | None = None
    """备用交房开始日期."""
    fallback_end: dt.date | None = None
    """备用交房结束日期."""
    hours: str = "09:00-17:00"
    """办理时间, e.g. 09:00-17:00."""
    rehearsal_on: dt.date | None = None
    """演练日期."""
    venue: str
    """交房地点."""
    backup_venue: str = ""
    """备用地点."""
    commander: str = ""
    """总指挥."""
    supervisor: str = ""
    """现场督导."""
    counters: list[Counter] = Field(default_factory=list)
    """办理窗口, in order."""
    units: list[BatchUnit] = Field(default_factory=list)
    """Units in the batch with their status."""
    conditions: list[DeliveryCondition] = Field(default_factory=list)
    """交付条件 reported for the batch (两书, 门牌, 水电气, 电梯, 清洁); 竣工验收备案, 预售许可 and 面积实测 come from the project and the dossiers."""
    area_rule: AreaRule | None = None
    """面积补差 rule agreed in the contracts of this batch's units; null = art. 20 of 《商品房销售管理办法》."""
    notes: str = ""
    """备注."""
    revision: int = Field(default=0, ge=0)
    """Revision of this record, raised by every change; an edit that names an older one is refused."""
    updated_by: str = ""
    """Who made the last change."""
    updated_at: dt.datetime | None = None
    """When the last change was made (ISO 8601 with offset)."""

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
        # counted once (a batch of 1,000 units is saved with every chunk of notices: no quadratic scan)
        for dup in sorted(u for u, n in Tally(u.unit for u in self.units).items() if n > 1):
            problems.append(("units", f"房号 {dup} 在批次中重复出现"))
        for item in sorted(i for i, n in Tally(c.item for c in self.conditions).items() if n > 1):
            problems.append(("conditions", f"交付条件「{CONDITION_ITEMS[item]}」重复登记"))
        return problems


class RegistrationEntry(Record):
    """One household in a registration batch (办证批次中的一户): where its registration stands."""

    unit: str
    """房号 code; the dossier must exist."""
    status: RegistrationStatus = "待递交"
    """待递交 → 已递交 (with the batch) → 已出证 (certificate back) → 已领取 (handed to the owner), or 已退出."""
    joined_on: dt.date
    """Date the household joined the batch."""
    agent: str = ""
    """代理人: a person acting for the owners (the registry then wants a notarised 委托书); empty: the owners sign themselves."""
    materials: int | None = Field(default=None, ge=0)
    """材料份数 submitted for the household (counted from its filed documents at submission)."""
    certificate_no: str = ""
    """不动产权证号, once the certificate is back."""
    certified_on: dt.date | None = None
    """登簿日期 (the certificate's date)."""
    handed_out_on: dt.date | None = None
    """Date the owner collected the certificate (领证)."""
    received_by: str = ""
    """领取人 (the owner, or who collected it for them)."""
    left_on: dt.date | None = None
    """Date the household left the batch."""
    left_reason: str = ""
    """Why it left (e.g. 资料退回:婚姻状况证明过期)."""
    revision: int = Field(default=0, ge=0)
    """Revision of this record, raised by every change; an edit that names an older one is refused."""
    updated_by: str = ""
    """Who made the last change."""
    updated_at: dt.datetime | None = None
    """When the last change was made (ISO 8601 with offset)."""

    @field_validator("unit")
    @classmethod
    def _unit(cls, value: str) -> str:
        return parse_unit(value).code


class Registration(Record):
    """A registration batch (办证批次): households whose registration the developer submits together.

    Kept in ``projects/<P>/registrations/<id>.json``; ids come from the
    archive's counter (``DJ-2026-00001``).  Each step (new, submit, collect,
    hand out, leave) is one journaled transaction that keeps the households'
    dossiers (certificate status, number, date) in step.
    """

    id: str
    """办证批次编号, e.g. DJ-2026-00001 (file name)."""
    project: str
    """项目编号."""
    name: str = ""
    """批次名称, e.g. 二期第一批办证."""
    registry: str = ""
    """登记机构, e.g. 福州市不动产登记中心."""
    created_on: dt.date
    """建立日期."""
    handled_by: str = ""
    """经办人."""
    submitted_on: dt.date | None = None
    """递交日期 (to the registry)."""
    receipt_no: str = ""
    """登记中心受理编号 (the receipt number the registry gives for the submission)."""
    households: list[RegistrationEntry] = Field(default_factory=list)
    """The households, in the order of the submission list."""
    notes: str = ""
    """备注."""
    revision: int = Field(default=0, ge=0)
    """Revision of this record, raised by every change; an edit that names an older one is refused."""
    updated_by: str = ""
    """Who made the last change."""
    updated_at: dt.datetime | None = None
    """When the last change was made (ISO 8601 with offset)."""

    @field_validator("id")
    @classmethod
    def _safe(cls, value: str) -> str:
        return check_safe_id(value, "办证批次编号")

    @field_validator("project")
    @classmethod
    def _project(cls, value: str) -> str:
        return check_project_code(value)

    @property
    def ref(self) -> str:
        """``HXSZ/DJ-2026-00001``."""
        return f"{self.project}/{self.id}"

    def entry(self, unit: str) -> RegistrationEntry | None:
        """The household with this unit code, or None."""
        return next((e for e in self.households if e.unit == unit), None)

    @property
    def active(self) -> list[RegistrationEntry]:
        """The households that have not left the batch."""
        return [e for e in self.households if e.status != "已退出"]

    @property
    def stage(self) -> str:
        """准备中 (not submitted), 办理中 (submitted, certificates outstanding) or 已完成 (every household done or left)."""
        if self.submitted_on is None:
            return "准备中"
        if all(e.status in ("已领取", "已退出") for e in self.households):
            return "已完成"
        return "办理中"

    def data_problems(self) -> list[tuple[str, str]]:
        """Return (field path, problem) for inconsistencies that saving refuses."""
        units = [e.unit for e in self.households]
        return [("households", f"房号 {dup} 在办证批次中重复出现") for dup in sorted({u for u in units if units.count(u) > 1})]


FINISHES: tuple[str, ...] = ("毛坯", "简装", "精装")
"""装修标准 a 楼盘表 row may name."""


class UnitRecord(Record):
    """One room of a project's 楼盘表 (unit attributes): 户型, areas, floor, orientation, finish, price.

    The sales department keeps these per room; the figures (``docgen report``)
    count repairs and complaints per 户型 and per 100 units from them, and once
    a project has a 楼盘表 it is the authority on which rooms exist.
    """

    unit: str
    """房号 code BB-U-RRRR, e.g. 03-2-1203."""
    layout: str
    """户型编号, e.g. A1."""
    layout_name: str = ""
    """户型名称, e.g. 三室两厅两卫."""
    area_building: Quantity | None = None
    """建筑面积 m² (string)."""
    area_inner: Quantity | None = None
    """套内面积 m² (string), not above the 建筑面积."""
    floor: int | None = Field(default=None, ge=-9, le=300)
    """楼层 (the floor of the room number unless the table says otherwise)."""
    orientation: str = ""
    """朝向, e.g. 南北通透, 朝南."""
    finish: Literal["", "毛坯", "简装", "精装"] = ""
    """装修标准: 毛坯 / 简装 / 精装."""
    unit_price: Money | None = None
    """成交单价 (yuan per m², string)."""
    price_band: str = ""
    """总价区间, e.g. 200-250万."""

    @field_validator("unit")
    @classmethod
    def _unit(cls, value: str) -> str:
        return parse_unit(value).code


class UnitTable(Record):
    """A project's 楼盘表 (``units.json``): every room with its attributes, imported from the sales spreadsheet."""

    project: str
    """项目编号 (must match the folder)."""
    source: str = ""
    """The spreadsheet it was imported from (file name)."""
    imported_at: dt.datetime | None = None
    """When it was imported (ISO 8601 with offset)."""
    imported_by: str = ""
    """Who imported it."""
    units: list[UnitRecord] = Field(default_factory=list)
    """One row per room, in 房号 order; a 房号 appears once."""

    @field_validator("project")
    @classmethod
    def _project(cls, value: str) -> str:
        return check_project_code(value)

    def data_problems(self) -> list[tuple[str, str]]:
        """Return (field path, problem) for inconsistencies that saving refuses: repeated rooms, areas."""
        problems: list[tuple[str, str]] = []
        seen: set[str] = set()
        for row in self.units:
            if row.unit in seen:
                problems.append((f"units[{row.unit}]", f"房号 {unit_label(row.unit)} 重复出现"))
            seen.add(row.unit)
            if row.area_inner is not None and row.area_building is not None and row.area_inner > row.area_building:
                problems.append((f"units[{row.unit}].area_inner",
                                 f"房号 {unit_label(row.unit)} 的套内面积({row.area_inner})大于建筑面积({row.area_building})"))
        return problems


class Project(Record):
    """A development project (项目): the developer, phases, permits and project-level documents."""

    code: str
    """项目编号, 2-16 capitals/digits (folder name)."""
    name: str
    """项目名称."""
    city: str = ""
    """城市."""
    address: str = ""
    """项目地址."""
    developer: Company
    """开发商 (甲方 of the agreements)."""
    phases: list[Phase] = Field(default_factory=list)
    """分期."""
    initial_registration: InitialRegistration = Field(default_factory=InitialRegistration)
    """初始登记."""
    prerequisites: list[Prerequisite] = Field(default_factory=list, exclude_if=_empty)
    """办证前提 recorded for the project or its phases (`docgen cert prerequisite set`)."""
    service_phone: str = ""
    """客服电话 printed on notices."""
    documents: list[Document] = Field(default_factory=list)
    """Project-level documents (预售许可证, 竣工验收备案表, policies …)."""
    notes: str = ""
    """备注."""
    revision: int = Field(default=0, ge=0)
    """Revision of this record, raised by every change; an edit that names an older one is refused."""
    updated_by: str = ""
    """Who made the last change."""
    updated_at: dt.datetime | None = None
    """When the last change was made (ISO 8601 with offset)."""

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
