"""The sample world: two projects, their phases and batches, and every household's story.

Pure data, no files: :func:`plan_projects` and :func:`plan_household` turn a
seed into :class:`~docgen.models.Project`, :class:`~docgen.models.Batch` and
:class:`~docgen.models.Dossier` objects plus the list of documents each
household's paper trail holds (:class:`DocSpec`).  Dates are consistent with
one fixed "today" (:data:`DEMO_TODAY`): contracts before delivery, notices
before handover, certificates within the 90-day registration deadline,
repairs reported inside their warranty period and revisits every six months,
so that the audit finds only the problems :mod:`docgen.demo.plant` puts there.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from docgen.approvals import approval_chain
from docgen.demo import content as C
from docgen.demo.people import CONTRACTORS, MANAGERS, STAFF, Person, make_person
from docgen.idnumbers import credit_code_check_digit
from docgen.models import (
    Approval,
    Batch,
    BatchUnit,
    Building,
    Company,
    Complaint,
    Counter,
    Deduction,
    DeliveryCondition,
    Dossier,
    InitialRegistration,
    Owner,
    Phase,
    Project,
    RepairTicket,
    Revisit,
    Settlement,
    SettlementItem,
)
from docgen.vocab import BatchUnitStatus, RevisitReason

DEMO_TODAY = dt.date(2026, 11, 16)
"""The sample archive's "today": every date in it is consistent with this day."""

APPROVAL_THRESHOLDS = {"分管领导": Decimal("5000"), "总经理": Decimal("50000")}
"""The countersign thresholds the sample is signed by (the defaults of ``[generate] approval_thresholds``)."""

Alloc = Callable[[str, int], str]
"""Allocates the next record id for a prefix and year (``Transaction.next_id``)."""

DAY = dt.timedelta(days=1)

# (component, warranty category as printed, buyer's warranty in days) - domain.md, 1998 规定 art. 5
WARRANTY: tuple[tuple[str, str, int], ...] = (
    ("屋面防水", "屋面防水工程(3年)", 3 * 365),
    ("卫生间地面渗漏", "卫生间地面渗漏(1年)", 365),
    ("墙面渗漏", "墙面渗漏(1年)", 365),
    ("管道堵塞", "管道堵塞(2个月)", 61),
    ("门窗", "门窗翘裂、五金件损坏(1年)", 365),
    ("抹灰层", "墙面、顶棚抹灰层脱落(1年)", 365),
    ("地面", "地面空鼓开裂(1年)", 365),
    ("供暖", "供热与供冷系统(1个采暖期)", 180),
    ("卫生洁具", "卫生洁具(1年)", 365),
    ("灯具开关", "灯具、电器开关(6个月)", 182),
)
_DESCRIPTIONS = {
    "屋面防水": ("顶层卧室顶棚雨后渗水,出现水渍", "屋面防水层局部破损", "主卧顶棚"),
    "卫生间地面渗漏": ("卫生间地面渗漏至楼下顶棚", "防水层收口处理不到位", "主卫"),
    "墙面渗漏": ("客厅外墙内侧墙面渗水发霉", "外墙窗边打胶老化开裂", "客厅"),
    "管道堵塞": ("厨房下水管道堵塞,排水缓慢", "施工遗留建筑垃圾堵塞管道", "厨房"),
    "门窗": ("阳台推拉门滑轮损坏,关闭不严", "五金件质量问题", "阳台"),
    "抹灰层": ("次卧墙面抹灰层空鼓脱落", "抹灰层与基层粘结不牢", "次卧"),
    "地面": ("客厅地面找平层空鼓开裂", "找平层养护不足", "客厅"),
    "供暖": ("地暖分集水器漏水,部分房间不热", "分集水器接口松动", "客厅"),
    "卫生洁具": ("马桶水箱进水阀漏水", "进水阀配件损坏", "次卫"),
    "灯具开关": ("卧室开关面板接触不良", "开关面板质量问题", "主卧"),
}
_SETTLEMENT_ITEMS = {
    "屋面防水": (("屋面SBS防水卷材修补", "m²", "280.00"), ("顶棚腻子及乳胶漆修复", "m²", "45.00"), ("垂直运输及脚手架", "项", "1200.00")),
    "墙面渗漏": (("外墙窗边密封胶重新施打", "m", "38.00"), ("室内墙面防霉处理及乳胶漆", "m²", "52.00"), ("吊篮使用费", "台班", "650.00")),
    "卫生间地面渗漏": (("卫生间地面拆除及防水重做", "m²", "320.00"), ("地砖铺贴", "m²", "95.00"), ("楼下顶棚修复", "m²", "60.00")),
}
COMPLAINT_CATEGORIES = (
    ("工程质量", "报修后维修进度慢,要求尽快处理", "协调施工单位加派人手,已完成维修"),
    ("物业服务", "小区公共区域清洁不及时", "已转物业公司整改,加强保洁巡查"),
    ("办证进度", "询问不动产权证办理进度,认为办理过慢", "已说明办理进度,资料已递交登记中心"),
    ("面积差异", "对实测面积与合同面积的差异有疑问", "已出示面积实测报告并解释计算方法"),
    ("噪音扰民", "楼上装修噪音影响休息", "已通知物业加强装修时间管理"),
)


@dataclass(frozen=True, slots=True)
class PhaseSpec:
    """One phase of a sample project and where its households are in their lifecycle."""

    name: str
    share: float
    buildings: int
    permit: str
    permit_date: dt.date
    delivery_due: dt.date
    completion_filed_on: dt.date | None
    batch_id: str
    batch_name: str
    window: tuple[dt.date, dt.date]
    signed_range: tuple[dt.date, dt.date]
    mode: str  # "presale" 签约 · "due" 竣工备案、待发交房通知 · "recent" 交房 · "cert" 办证/保修期 · "old" 保修期


@dataclass(frozen=True, slots=True)
class ProjectSpec:
    """A sample project: who builds it, where, and its phases."""

    code: str
    name: str
    city: str
    city_short: str
    address: str
    developer: str
    legal_rep: str
    dev_address: str
    dev_phone: str
    credit_prefix: str
    service_phone: str
    unit_price: tuple[int, int]
    venue: str
    phases: tuple[PhaseSpec, ...]


PROJECTS: tuple[ProjectSpec, ...] = (
    ProjectSpec(
        code="HXSZ",
        name="华轩首座",
        city="福州",
        city_short="榕",
        address="福州市仓山区金山大道618号",
        developer="福州华轩置业有限公司",
        legal_rep="林建国",
        dev_address="福州市鼓楼区五四路88号",
        dev_phone="0591-87654321",
        credit_prefix="91350100MA2YHX",
        service_phone="0591-88886666",
        unit_price=(18000, 26000),
        venue="售楼处二层交付中心",
        phases=(
            PhaseSpec("一期", 0.27, 3, "榕房许字(2024)第0123号", dt.date(2024, 3, 1), dt.date(2026, 6, 30),
                      dt.date(2026, 5, 20), "B01", "一期首批交房", (dt.date(2026, 6, 18), dt.date(2026, 6, 22)),
                      (dt.date(2024, 3, 15), dt.date(2025, 6, 30)), "cert"),
            PhaseSpec("二期", 0.18, 2, "榕房许字(2025)第0045号", dt.date(2025, 2, 10), dt.date(2026, 10, 31),
                      dt.date(2026, 9, 25), "B02", "二期交房", (dt.date(2026, 10, 20), dt.date(2026, 10, 24)),
                      (dt.date(2025, 2, 20), dt.date(2026, 3, 31)), "recent"),
            PhaseSpec("三期", 0.15, 2, "榕房许字(2025)第0102号", dt.date(2025, 6, 10), dt.date(2026, 12, 31),
                      dt.date(2026, 11, 6), "B03", "三期交房", (dt.date(2026, 12, 19), dt.date(2026, 12, 23)),
                      (dt.date(2025, 6, 20), dt.date(2026, 11, 10)), "due"),
        ),
    ),
    ProjectSpec(
        code="YHW",
        name="云海湾",
        city="厦门",
        city_short="厦",
        address="厦门市海沧区滨湖北路99号",
        developer="厦门云海置业有限公司",
        legal_rep="许文辉",
        dev_address="厦门市思明区鹭江道100号",
        dev_phone="0592-5123456",
        credit_prefix="91350205MA31YH",
        service_phone="0592-6668888",
        unit_price=(28000, 36000),
        venue="3栋一层架空层交付现场",
        phases=(
            PhaseSpec("一期", 0.24, 3, "厦房许字(2022)第0088号", dt.date(2022, 5, 10), dt.date(2024, 12, 31),
                      dt.date(2024, 11, 28), "B01", "一期交房", (dt.date(2024, 12, 20), dt.date(2024, 12, 28)),
                      (dt.date(2022, 5, 20), dt.date(2023, 12, 31)), "old"),
            PhaseSpec("二期", 0.16, 2, "厦房许字(2023)第0031号", dt.date(2023, 4, 1), dt.date(2025, 6, 30),
                      dt.date(2025, 5, 30), "B02", "二期交房", (dt.date(2025, 6, 20), dt.date(2025, 6, 28)),
                      (dt.date(2023, 4, 10), dt.date(2024, 10, 31)), "old"),
        ),
    ),
)

#: Phases whose units are not handed over yet (no notices sent, no handover documents).
NOT_DELIVERED = ("presale", "due")

ENTRANCES = 2
FLOORS = range(2, 34)
ROOMS = 4
PER_BUILDING = ENTRANCES * len(FLOORS) * ROOMS
SHOWCASE_UNIT = "03-2-1203"


def credit_code(prefix14: str, serial: int) -> str:
    """A 统一社会信用代码 with a valid GB 32100 check character."""
    first17 = f"{prefix14}{serial:03d}"[:17]
    return first17 + credit_code_check_digit(first17)


def _building_numbers(count: int, start: int) -> list[int]:
    out: list[int] = []
    n = start
    while len(out) < count:
        if n % 10 != 4 and n not in (13, 14):  # developers skip 4 and 13/14
            out.append(n)
        n += 1
    return out


@dataclass(slots=True)
class PhasePlan:
    """A phase with its buildings and the units sold in it."""

    spec: PhaseSpec
    buildings: list[str]
    units: list[str]


@dataclass(slots=True)
class ProjectPlan:
    """A project model and its phases' plans."""

    spec: ProjectSpec
    project: Project
    phases: list[PhasePlan]


def plan_projects(total_units: int, seed: int) -> list[ProjectPlan]:
    """Split ``total_units`` households over the projects' phases and pick their units."""
    plans: list[ProjectPlan] = []
    shares = [(ps, ph) for ps in PROJECTS for ph in ps.phases]
    counts = [max(1, math.floor(total_units * ph.share)) for _, ph in shares]
    counts[0] += total_units - sum(counts)  # rounding remainder to HXSZ 一期
    i = 0
    for ps in PROJECTS:
        rng = random.Random(f"{seed}:{ps.code}")
        next_building = 1
        phase_plans: list[PhasePlan] = []
        phases: list[Phase] = []
        for ph in ps.phases:
            n = counts[i]
            i += 1
            n_buildings = max(ph.buildings, math.ceil(n / (PER_BUILDING * 0.7)))
            numbers = _building_numbers(n_buildings, next_building)
            next_building = numbers[-1] + 1
            buildings = [f"{b:02d}" for b in numbers]
            cells = [
                f"{b}-{e}-{f:02d}{r:02d}"
                for b in buildings
                for e in range(1, ENTRANCES + 1)
                for f in FLOORS
                for r in range(1, ROOMS + 1)
            ]
            chosen = set(rng.sample(cells, min(n, len(cells))))
            if ps.code == "HXSZ" and ph.name == "一期" and SHOWCASE_UNIT in cells and SHOWCASE_UNIT not in chosen:
                chosen.discard(sorted(chosen)[0])
                chosen.add(SHOWCASE_UNIT)
            phase_plans.append(PhasePlan(ph, buildings, sorted(chosen)))
            phases.append(
                Phase(
                    name=ph.name,
                    buildings=buildings,
                    presale_permits=[ph.permit],
                    contract_delivery_date=ph.delivery_due,
                    completion_filed_on=ph.completion_filed_on,
                    structure=[
                        Building(code=b, entrances=ENTRANCES, lowest_floor=FLOORS.start, floors=FLOORS.stop - 1,
                                 rooms_per_floor=ROOMS)
                        for b in buildings
                    ],
                )
            )
        delivered = [p for p in ps.phases if p.mode not in NOT_DELIVERED]
        first = min(p.window[1] for p in delivered)
        project = Project(
            code=ps.code,
            name=ps.name,
            city=ps.city,
            address=ps.address,
            developer=Company(
                name=ps.developer,
                credit_code=credit_code(ps.credit_prefix, 7 if ps.code == "HXSZ" else 3),
                legal_rep=ps.legal_rep,
                address=ps.dev_address,
                phone=ps.dev_phone,
            ),
            phases=phases,
            initial_registration=InitialRegistration(
                status="已办结",
                number=f"闽({first.year}){ps.city}市不动产权第{rng.randrange(10**6, 10**7)}号",
                date=first + 25 * DAY,
            ),
            service_phone=ps.service_phone,
        )
        plans.append(ProjectPlan(ps, project, phase_plans))
    return plans


@dataclass(slots=True)
class DocSpec:
    """A document in a household's paper trail, before it is filed."""

    type: str
    date: dt.date
    pages: list[list[str]]
    signed: bool = False
    source: str = "import"
    related: str | None = None
    title: str = ""
    form: str = "light"  # light · text · scan
    scan_ext: str = ".pdf"
    note: str = ""
    tag: str = ""  # planting hooks: "owner:1", "repair:<id>", ...


@dataclass(frozen=True, slots=True)
class UnitTraits:
    """What the 楼盘表 and the planted patterns say about one room (:mod:`docgen.demo.layouts`)."""

    area: Decimal
    """建筑面积 from the 楼盘表 (the contract area)."""
    unit_price: Decimal
    """成交单价 from the 楼盘表."""
    leak_prone: bool = False
    """The room's 户型 is the one planted with far more 卫生间地面渗漏."""
    complaint_on: dt.date | None = None
    """The day of a complaint in the planted spike of one building, if this room takes part."""


SLOW_CONTRACTOR = "福州恒顺防水工程有限公司"
"""The contractor planted with slow repairs (16-27 days to finish where the others take 2-7)."""


@dataclass(slots=True)
class Household:
    """One household's dossier (without documents) and its paper trail."""

    dossier: Dossier
    docs: list[DocSpec]
    phase: PhaseSpec
    window: tuple[dt.date, dt.date] | None = None
    batch_unit: BatchUnit | None = None
    defects: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def _rand_date(rng: random.Random, start: dt.date, end: dt.date) -> dt.date:
    span = (end - start).days
    return start + rng.randint(0, max(0, span)) * DAY


def _money(rng: random.Random, low: int, high: int) -> Decimal:
    """A random amount in yuan with fen, low..high yuan."""
    return Decimal(rng.randrange(low * 100, high * 100)) / 100


def plan_household(
    rng: random.Random,
    pp: ProjectPlan,
    phase: PhasePlan,
    unit: str,
    seq: int,
    alloc: Alloc,
    today: dt.date = DEMO_TODAY,
    *,
    coowner: bool | None = None,
    traits: UnitTraits | None = None,
) -> Household:
    """Draw one household: owners, contract, stage, cases and its documents (``coowner`` forces one).

    ``traits`` (from the 楼盘表) give the contract area and price, and the planted patterns.
    """
    ps, spec = pp.spec, phase.spec
    main = make_person(rng)
    owners = [Owner(name=main.name, id_number=main.id_number, phone=main.phone, address=main.address)]
    has_coowner = rng.random() < 0.35
    if coowner if coowner is not None else has_coowner:
        spouse: Person = make_person(rng, born_between=(main.birth.year - 4, min(main.birth.year + 4, 2000)))
        owners.append(
            Owner(name=spouse.name, id_number=spouse.id_number, phone=spouse.phone, address=main.address, role="共有人")
        )
    signed_on = _rand_date(rng, *spec.signed_range)
    area = Decimal(rng.randrange(7800, 14400)) / 100
    price = (area * rng.randint(*ps.unit_price)).quantize(Decimal("1"))
    if traits is not None:  # the draws above still happen, so the rest of the household is drawn as before
        area = traits.area
        price = (area * traits.unit_price).quantize(Decimal("1"))
    mortgage = rng.random() < 0.6
    delivered = spec.mode not in NOT_DELIVERED
    dossier = Dossier(
        project=ps.code,
        unit=unit,
        owners=owners,
        contract_no=f"{ps.code}-HT-{signed_on.year}-{seq:05d}",
        filing_no=f"{ps.city_short}网备{signed_on.year}{seq:06d}",
        contract_date=signed_on,
        area_contract=area,
        price_total=price,
        payment_status=("按揭待放款" if rng.random() < 0.3 else "按揭已到账") if mortgage else "已付清",
        stage="签约",
        signed_on=signed_on,
        delivery_due=spec.delivery_due,
        registration_due_days=90,
    )
    if delivered and dossier.payment_status == "按揭待放款":
        dossier.payment_status = "按揭已到账"
    h = Household(dossier=dossier, docs=[], phase=spec, window=spec.window)
    if traits is not None:
        h.extra["traits"] = traits
    ctx = C.Ctx(project=pp.project, dossier=dossier, phase=spec.name, handover_venue=ps.venue)
    docs = h.docs

    # 签约
    docs.append(DocSpec("subscription", signed_on - rng.randint(5, 20) * DAY, C.subscription(ctx, signed_on), signed=True))
    docs.append(DocSpec("purchase_contract", signed_on, C.purchase_contract(ctx, signed_on), signed=True))
    if rng.random() < 0.4:
        docs.append(DocSpec("supplementary_agreement", signed_on, C.supplementary_agreement(ctx, signed_on), signed=True))
    for i in range(len(owners)):
        docs.append(DocSpec("id_copy", signed_on, C.id_copy(ctx, signed_on, i), tag=f"owner:{i}",
                            title=f"身份证复印件({owners[i].name})"))
    paid = min(signed_on + rng.randint(0, 10) * DAY, today)
    docs.append(DocSpec("payment_receipt", paid, C.payment_receipt(ctx, paid)))
    if mortgage:
        day = min(signed_on + rng.randint(10, 40) * DAY, today)
        docs.append(DocSpec("mortgage", day, C.mortgage(ctx, day)))
        reg = day + rng.randint(10, 30) * DAY
        if reg < today:
            docs.append(DocSpec("advance_registration", reg, C.advance_registration(ctx, reg)))

    batch_status: BatchUnitStatus = "待通知"
    notice_on: dt.date | None = None
    if delivered:
        start, end = spec.window
        notice_on = start - rng.randint(15, 30) * DAY
        docs.append(DocSpec("handover_notice", notice_on, C.handover_notice(ctx, notice_on, spec.window), source="generated"))
        # the latest handover is not finished: some rooms under rectification or refused at inspection,
        # some owners booked and did not come, a few never booked (the funnel the figures show)
        draw = rng.random() if spec.mode == "recent" else 1.0
        accepted = draw >= 0.13
        inspected = draw < 0.08
        defects = ""
        if rng.random() < 0.2 or inspected:
            defects = rng.choice(("主卧墙面有裂缝", "厨房窗户密封条脱落", "卫生间地漏排水不畅", "入户门划痕", "客厅地面空鼓"))
        if not accepted and not inspected:
            defects = ""
        h.defects = defects
        visit = _rand_date(rng, start, end)
        if inspected:
            batch_status = "整改中" if draw < 0.06 else "拒收"
            docs.append(DocSpec("inspection_record", visit, C.inspection_record(ctx, visit, defects), signed=True))
            docs.append(DocSpec("rectification_list", visit, C.rectification_list(ctx, visit, defects), signed=True))
        elif not accepted:
            batch_status = "已预约" if draw < 0.11 else "已通知"
        else:
            batch_status = "已收房"
            dossier.delivered_on = visit
            dossier.stage = "交房"
            measured = (area * (1 + Decimal(rng.randint(-150, 150)) / 10000)).quantize(Decimal("0.01"))
            dossier.area_measured = measured
            for code, fn in (
                ("handover_checklist", C.handover_checklist),
                ("area_adjustment", C.area_adjustment),
                ("handover_record", C.handover_record),
            ):
                docs.append(DocSpec(code, visit, fn(ctx, visit), signed=True))
            docs.append(DocSpec("inspection_record", visit, C.inspection_record(ctx, visit, defects), signed=True))
            docs.append(DocSpec("key_receipt", visit, C.key_receipt(ctx, visit), signed=True))
            docs.append(DocSpec("quality_guarantee", visit, C.quality_guarantee(ctx, visit), signed=True))
            docs.append(DocSpec("usage_manual", visit, C.usage_manual(ctx, visit), signed=True))
            docs.append(DocSpec("property_agreement", visit, C.property_agreement(ctx, visit), signed=True))
            docs.append(DocSpec("management_statute", visit, C.management_statute(ctx, visit), signed=True))
            docs.append(DocSpec("maintenance_fund_receipt", visit, C.maintenance_fund_receipt(ctx, visit)))
            if defects:
                docs.append(DocSpec("rectification_list", visit, C.rectification_list(ctx, visit, defects), signed=True))
        h.batch_unit = BatchUnit(
            unit=unit,
            status=batch_status,
            notice_sent_on=notice_on,
            notice_channel="快递+短信",
            appointment=(dt.datetime.combine(visit, dt.time(9 + rng.randint(0, 7), rng.choice((0, 30))))
                         if batch_status != "已通知" else None),
            defects=defects,
            keys_issued=accepted,
        )
    elif spec.batch_id:
        if spec.mode == "due":  # built and surveyed: the measured area is known before the notice goes out
            dossier.area_measured = (area * (1 + Decimal(rng.randint(-150, 150)) / 10000)).quantize(Decimal("0.01"))
        h.batch_unit = BatchUnit(unit=unit, status="待通知")
    dossier.batch = spec.batch_id if h.batch_unit else None

    if dossier.delivered_on is not None:
        _plan_certificate(rng, h, ctx, today, seq)
        _plan_cases(rng, h, ctx, alloc, today)
    return h


def certificate_serial(project: str, seq: int) -> int:
    """The 7-digit serial of a household's 不动产权证号, unique in the sample archive.

    One 不动产权证号 belongs to one household (docgen refuses a second), so
    the serial is not drawn: the project's digit, then the household's number
    in its project spread over six digits (a bijection, so it looks drawn).
    """
    digit = 1 + [ps.code for ps in PROJECTS].index(project)
    return digit * 10**6 + (seq * 387_541 + 12_345) % 10**6


def _plan_certificate(rng: random.Random, h: Household, ctx: C.Ctx, today: dt.date, seq: int) -> None:
    d = h.dossier
    assert d.delivered_on is not None
    mode = h.phase.mode
    if mode == "recent":
        d.certificate_status = "资料收集中"
        return
    done = mode == "old" or rng.random() < 0.6
    submitted = d.delivered_on + rng.randint(20, 60) * DAY
    d.certificate_status = "已递交"
    d.stage = "办证"
    for code, fn in (
        ("cert_application", C.cert_application),
        ("power_of_attorney", C.power_of_attorney),
        ("deed_tax_receipt", C.deed_tax_receipt),
        ("household_register", C.household_register),
        ("marriage_proof", C.marriage_proof),
    ):
        h.docs.append(DocSpec(code, submitted, fn(ctx, submitted), signed=code in ("cert_application", "power_of_attorney")))
    if done:
        certified = min(submitted + rng.randint(20, 45) * DAY, today - DAY)
        d.certificate_status = "已办结"
        d.certified_on = certified
        rng.randrange(10**6, 10**7)  # once drawn here: kept so that every later draw of the sample is unchanged
        d.certificate_no = f"闽({certified.year}){ctx.project.city}市不动产权第{certificate_serial(d.project, seq)}号"
        d.stage = "保修期"
        h.docs.append(DocSpec("certificate_receipt", certified, C.certificate_receipt(ctx, certified), signed=True))
        h.docs.append(DocSpec("property_certificate", certified, C.property_certificate(ctx, certified)))


def _plan_cases(rng: random.Random, h: Household, ctx: C.Ctx, alloc: Alloc, today: dt.date) -> None:
    d = h.dossier
    assert d.delivered_on is not None
    since = (today - d.delivered_on).days
    traits: UnitTraits | None = h.extra.get("traits")
    repairs: list[RepairTicket] = []
    n_repairs = 0 if since < 10 else rng.choices((0, 1, 2), (0.62, 0.28, 0.10))[0]
    draws = [rng.choice([w for w in WARRANTY if min(w[2], since) > 8]) for _ in range(n_repairs)]
    if traits is not None and traits.leak_prone and since > 20 and rng.random() < 0.55:
        draws.append(next(w for w in WARRANTY if w[0] == "卫生间地面渗漏"))  # the planted 户型 pattern
    for component, category, period in draws:
        reported = d.delivered_on + rng.randint(3, min(period, since) - 1) * DAY
        desc, cause, location = _DESCRIPTIONS[component]
        r = RepairTicket(
            id=alloc("BX", reported.year),
            reported_on=reported,
            reported_by=d.owners[0].name,
            channel=rng.choice(("电话", "微信", "前台")),
            component=component,
            location=location,
            description=desc,
            warranty_category=category,
            in_warranty=True,
            handled_by=rng.choice(STAFF),
        )
        age = (today - reported).days
        contractor = rng.choice(CONTRACTORS)
        takes = rng.randint(16, 27) if contractor == SLOW_CONTRACTOR else rng.randint(2, 7)  # the planted slow one
        if age <= 1:
            r.status = "已受理"
        elif age <= max(8, takes):
            r.status = "维修中"
            r.responded_on = reported + DAY
            r.verified_cause = cause
            r.responsibility = "施工单位"
            r.contractor = contractor
        else:
            r.responded_on = reported + DAY
            r.verified_cause = cause
            r.responsibility = "施工单位"
            r.contractor = contractor
            r.completed_on = reported + takes * DAY
            r.owner_acceptance = "合格"
            r.accepted_on = r.completed_on
            r.closed_on = r.completed_on
            r.status = "已关闭"
            if component in ("墙面渗漏", "卫生间地面渗漏", "屋面防水") and rng.random() < 0.35:
                r.compensation = _money(rng, 300, 6000)
        repairs.append(r)
    d.repairs = repairs
    for r in repairs:
        if r.status == "已关闭":
            assert r.accepted_on is not None
            h.docs.append(DocSpec("repair_record", r.accepted_on, C.repair_record(ctx, r), signed=True, related=r.id, tag=f"repair:{r.id}"))
            if r.compensation is not None:
                assert r.closed_on is not None
                h.docs.append(DocSpec("compensation_agreement", r.closed_on, C.compensation_agreement(ctx, r),
                                      signed=True, source="generated", related=r.id, tag=f"compensation:{r.id}"))
            if r.component in _SETTLEMENT_ITEMS and rng.random() < 0.5:
                _plan_settlement(rng, h, ctx, r, alloc, today)

    complaints: list[Complaint] = []
    if traits is not None and traits.complaint_on is not None and traits.complaint_on + 15 * DAY < today:
        received = traits.complaint_on  # the planted spike: one building, one week, one category
        complaints.append(Complaint(
            id=alloc("TS", received.year), received_on=received, channel=rng.choice(("电话", "400热线", "现场")),
            first_responder=rng.choice(STAFF), category="工程质量", description="台风过后外墙窗边渗水,客厅墙面发霉",
            status="已关闭", resolution="已组织外墙打胶及室内墙面修复,业主确认", closed_on=received + rng.randint(3, 10) * DAY,
        ))
        h.docs.append(DocSpec("complaint_record", received, C.complaint_record(ctx, complaints[-1]),
                              related=complaints[-1].id))
    if since > 20 and rng.random() < 0.06:
        category, desc, resolution = rng.choice(COMPLAINT_CATEGORIES)
        received = d.delivered_on + rng.randint(5, since - 15) * DAY
        c = Complaint(
            id=alloc("TS", received.year),
            received_on=received,
            channel=rng.choice(("电话", "400热线", "现场")),
            first_responder=rng.choice(STAFF),
            category=category,
            description=desc,
            status="已关闭",
            resolution=resolution,
            closed_on=received + rng.randint(2, 12) * DAY,
            related_repairs=[repairs[0].id] if category == "工程质量" and repairs else [],
        )
        complaints.append(c)
        h.docs.append(DocSpec("complaint_record", c.received_on, C.complaint_record(ctx, c), related=c.id))
    d.complaints = complaints

    revisits: list[Revisit] = []
    first = d.delivered_on + rng.randint(27, 33) * DAY
    day = first
    reason: RevisitReason = "交房后回访"
    while day < today:
        revisits.append(Revisit(id="", date=day, by=rng.choice(STAFF), reason=reason,
                                satisfaction=rng.choices("ABC", (0.78, 0.18, 0.04))[0], notes="对交付及服务总体满意"))
        reason = "定期回访"
        day = day + rng.randint(170, 182) * DAY
    for r in repairs:
        if r.closed_on and r.closed_on + 40 * DAY < today:
            slow = r.contractor == SLOW_CONTRACTOR
            grade = rng.choices("ABC", (0.4, 0.4, 0.2))[0] if slow else "A"
            revisits.append(Revisit(id="", date=r.closed_on + rng.randint(30, 40) * DAY, by=r.handled_by, reason="维修后回访",
                                    satisfaction=grade,
                                    notes="维修拖得太久" if grade == "C" else f"{r.component}维修后无复发", related=r.id))
    for c in complaints:
        if c.closed_on and c.closed_on + 3 * DAY < today:
            revisits.append(Revisit(id="", date=c.closed_on + rng.randint(1, 3) * DAY, by=c.first_responder, reason="投诉后回访",
                                    satisfaction=rng.choice("AB"), notes="对投诉处理结果表示认可", related=c.id))
    revisits.sort(key=lambda v: v.date)
    for v in revisits:
        v.id = alloc("HF", v.date.year)
        if v.reason in ("维修后回访", "投诉后回访"):
            h.docs.append(DocSpec("revisit_record", v.date, C.revisit_record(ctx, v), related=v.id))
    d.revisits = revisits


def _plan_settlement(rng: random.Random, h: Household, ctx: C.Ctx, r: RepairTicket, alloc: Alloc, today: dt.date) -> None:
    assert r.completed_on is not None
    created = r.completed_on + rng.randint(3, 10) * DAY
    if created >= today:
        return
    items = []
    for name, unit, price in _SETTLEMENT_ITEMS[r.component]:
        if unit in ("项", "台班"):
            declared = Decimal(rng.randint(1, 3))
            approved = declared
        else:
            declared = Decimal(rng.randrange(30, 400)) / 10
            approved = declared - Decimal(rng.randrange(0, 20)) / 10
        items.append(SettlementItem(item=name, unit=unit, declared_qty=declared, approved_qty=max(approved, Decimal(1)), unit_price=Decimal(price)))
    s = Settlement(
        id=alloc("HQ", created.year),
        created_on=created,
        repair_ids=[r.id],
        contractor="厦门鑫达建筑维修有限公司",
        contract_no=f"WX-{created.year}-{rng.randint(1, 99):03d}",
        items=items,
        chargeback_to=r.contractor,
        payee="厦门鑫达建筑维修有限公司",
        bank="中国工商银行厦门海沧支行",
        account=f"4100{rng.randrange(10**14, 10**15)}",
        attachments=["维修合同", "结算书", "业主签字的验收单", "维修前后照片", "发票"],
        handled_by=MANAGERS["经办人"],
    )
    s.deductions = [Deduction(name="预留质保金(5%)", amount=(s.approved_total * Decimal("0.05")).quantize(Decimal("0.01")))]
    s.chargeback = s.approved_total
    day = created
    for role in approval_chain(s.approved_total, APPROVAL_THRESHOLDS):  # the chain the amount requires
        s.approvals.append(Approval(role=role, name=MANAGERS[role], date=day, decision="同意"))
        day = min(day + rng.randint(0, 2) * DAY, today)
    s.status = "已付款" if day + 5 * DAY < today else "已审批"
    h.dossier.settlements.append(s)
    h.docs.append(DocSpec("settlement_sheet", day, C.settlement_sheet(ctx, s), signed=True, source="generated", related=s.id))


def plan_batch(pp: ProjectPlan, phase: PhasePlan, units: list[BatchUnit]) -> Batch:
    """The handover batch of a phase, with its counters and per-unit status."""
    spec = phase.spec
    start, end = spec.window
    return Batch(
        id=spec.batch_id,
        project=pp.spec.code,
        name=spec.batch_name,
        phase=spec.name,
        buildings=phase.buildings,
        window_start=start,
        window_end=end,
        fallback_start=end + 14 * DAY,
        fallback_end=end + 18 * DAY,
        rehearsal_on=start - 2 * DAY,
        venue=pp.spec.venue,
        backup_venue="项目会所多功能厅",
        commander=MANAGERS["分管领导"],
        supervisor=MANAGERS["客户服务部负责人"],
        counters=[
            Counter(seq=1, name="房产合同组", staff=["陈晓燕", "刘婷"]),
            Counter(seq=2, name="房产收款组", staff=["黄丽娟"]),
            Counter(seq=3, name="物业资料及收费组", staff=["王磊", "张静"]),
            Counter(seq=4, name="验房交房组", staff=["郑海峰", "林志强"]),
        ],
        units=units,
        conditions=delivery_conditions(spec),
    )


def delivery_conditions(spec: PhaseSpec) -> list[DeliveryCondition]:
    """The batch's recorded delivery conditions: all met before a delivered phase's window; planned for a future one."""
    start = spec.window[0]
    if spec.mode == "presale":  # not built yet: only the two books are in hand-over planning
        return [DeliveryCondition(item="two_books", status="未落实", note="计划交付前一个月印制")]
    if spec.mode == "due":  # the notices are due now: the required conditions are met, the cleaning is still ahead
        return [DeliveryCondition(item="two_books", status="已落实", date=DEMO_TODAY - 6 * DAY, note="每户一套，已入库"),
                DeliveryCondition(item="door_numbers", status="已落实", date=DEMO_TODAY - 12 * DAY,
                                  note="民政部门编定，已安装"),
                DeliveryCondition(item="utilities", status="已落实", date=DEMO_TODAY - 4 * DAY,
                                  note="供水、供电、燃气验收通过"),
                DeliveryCondition(item="lifts", status="未落实", note="特种设备使用登记办理中，预计12月上旬"),
                DeliveryCondition(item="cleaning", status="未落实", note="计划交付前一周完成开荒保洁")]
    done = (("two_books", 20, "每户一套，已入库"), ("door_numbers", 30, "民政部门编定，已安装"),
            ("utilities", 25, "供水、供电、燃气验收通过"), ("lifts", 15, "特种设备使用登记已办"),
            ("cleaning", 3, "开荒保洁完成"))
    return [DeliveryCondition(item=item, status="已落实", date=start - days * DAY, note=note)
            for item, days, note in done]
