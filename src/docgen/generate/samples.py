"""Sample records for ``docgen templates check``: the real context builders run on them.

``templates check`` must know what each builder can supply without an archive
at hand; running the builders on these in-memory records (not a hand-kept list
of names) means the check cannot drift from the code.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from docgen.generate.area import AreaAdjustment, area_adjustment
from docgen.models import (
    Approval,
    Batch,
    BatchUnit,
    Company,
    Deduction,
    Dossier,
    Owner,
    Phase,
    Project,
    RepairTicket,
    Settlement,
    SettlementItem,
)

TODAY = dt.date(2026, 11, 28)


def project() -> Project:
    """A sample project with a developer and one phase."""
    return Project(
        code="SAMPLE",
        name="示例花园",
        city="福州",
        address="福州市仓山区示例路1号",
        developer=Company(name="示例置业有限公司", credit_code="91350100M000100Y43", legal_rep="张三", address="福州市鼓楼区示例路2号"),
        phases=[Phase(name="一期", buildings=["01"], presale_permits=["榕房许字(2024)第0001号"], contract_delivery_date=dt.date(2026, 6, 30))],
        service_phone="0591-88880000",
    )


def dossier() -> Dossier:
    """A sample household with a co-owner."""
    return Dossier(
        project="SAMPLE",
        unit="01-1-0101",
        owners=[
            Owner(name="业主甲", id_number="11010519491231002X", phone="13800001111", address="福州市鼓楼区东街1号"),
            Owner(name="业主乙", id_number="110105194912310061", phone="13900002222", address="福州市鼓楼区东街1号", role="共有人"),
        ],
        contract_no="HT-0001",
        filing_no="备案-0001",
        area_contract="89.50",
        area_measured="92.56",  # +3.42 %: the sheet's right-to-return section renders too
        price_total="1250000.00",
        delivered_on=dt.date(2026, 6, 20),
        stage="保修期",
    )


def batch() -> Batch:
    """A sample batch holding the sample dossier."""
    return Batch(
        id="B01",
        project="SAMPLE",
        name="一期第一批交房",
        phase="一期",
        buildings=["01"],
        window_start=dt.date(2026, 6, 18),
        window_end=dt.date(2026, 6, 22),
        venue="1栋架空层",
        units=[BatchUnit(unit="01-1-0101", appointment=dt.datetime(2026, 6, 18, 9, 30))],
    )


def ticket() -> RepairTicket:
    """A sample repair ticket with a compensation amount."""
    return RepairTicket(
        id="BX-2026-00001",
        reported_on=dt.date(2026, 9, 1),
        component="卫生间防水",
        location="主卫",
        description="楼板渗水",
        verified_cause="防水层破损",
        responsibility="施工单位",
        contractor="示例防水工程有限公司",
        compensation=Decimal("12000.00"),
    )


def settlement() -> Settlement:
    """A sample settlement with a deduction and an approval."""
    return Settlement(
        id="HQ-2026-00001",
        created_on=dt.date(2026, 10, 8),
        repair_ids=["BX-2026-00001"],
        contractor="示例防水工程有限公司",
        contract_no="WX-2026-01",
        items=[SettlementItem(item="卫生间防水重做", unit="㎡", declared_qty="6.5", approved_qty="6", unit_price="180.00")],
        deductions=[Deduction(name="预留质保金", amount="54.00")],
        payee="示例防水工程有限公司",
        bank="示例银行福州分行",
        account="6222000011112222",
        approvals=[Approval(role="经办人", name="李四", decision="同意", date=dt.date(2026, 10, 8))],
        handled_by="李四",
    )


def adjustment() -> AreaAdjustment:
    """The sample dossier's 面积补差 (statutory rule)."""
    d = dossier()
    return area_adjustment(d.area_contract, d.area_measured, price_total=d.price_total, where=d.unit_label)


def records() -> dict[str, Any]:
    """All sample records by name."""
    return {
        "project": project(),
        "dossier": dossier(),
        "batch": batch(),
        "ticket": ticket(),
        "settlement": settlement(),
        "adjustment": adjustment(),
    }
