"""Shared helpers for the generate tests: repair/settlement records and template copies."""

from __future__ import annotations

import datetime as dt
import shutil
from decimal import Decimal
from pathlib import Path
from typing import Any

from docx import Document

from docgen.archive import Archive
from docgen.generate.settings import GenerateSettings
from docgen.generate.style import halfwidth_marks
from docgen.models import CONDITION_ITEMS, DeliveryCondition

REPO = Path(__file__).resolve().parents[1]
TEMPLATES = REPO / "templates"
TODAY = dt.date(2026, 11, 28)
#: Measured areas for the batch's units (contract 89.50 m², 1,250,000.00 yuan): +0.50 %, +4.20 %, −3.80 %.
MEASURED = {"03-2-1204": "89.95", "05-1-0502": "93.26", "05-1-0601": "86.10"}
#: Internal words nothing addressed to an owner may carry.
INTERNAL_WORDS = ("docgen", "一期第一批交房", "B01", "待通知", "已通知", "已收房", "(计划)", "handover_notice", "area_adjustment")


def ready_for_notices(archive: Archive, measured: dict[str, str] | None = None) -> None:
    """Make the small archive's batch B01 ready for notices: conditions met, units to notify, areas measured.

    The shared fixture's batch is handed over already (已收房) and its phase has
    no completion filing; generation now refuses both, as it should.
    """
    with archive.edit_project("HXSZ", "project.edit", "竣工验收备案") as project:
        project.phases[0].completion_filed_on = dt.date(2026, 5, 20)
    with archive.edit_batch("HXSZ", "B01", "batch.edit", "交付条件、待通知") as batch:
        batch.conditions = [DeliveryCondition(item=item, status="已落实", date=dt.date(2026, 6, 1))  # type: ignore[arg-type]
                            for item in CONDITION_ITEMS]
        for unit in batch.units:
            unit.status = "待通知"
    for unit, area in (MEASURED if measured is None else measured).items():
        with archive.edit_dossier(f"HXSZ/{unit}", "dossier.edit", "实测面积") as (dossier, _tx):
            dossier.area_measured = Decimal(area)
    with archive.edit_dossier("HXSZ/03-2-1204", "dossier.edit", "共有人住址") as (dossier, _tx):
        dossier.owners[1].address = "福州市台江区八一七中路9号"


def assert_house_style(text: str, data: tuple[str, ...] = ()) -> None:
    """No half-width ``,:;()`` next to Chinese in ``text`` once the record values in ``data`` are taken out.

    Whitespace is ignored (pypdf puts spaces between runs: ``第 0123 号``).
    """
    text = "".join(text.split())
    for value in data:
        text = text.replace("".join(value.split()), "")
    marks = halfwidth_marks(text)
    assert not marks, [text[max(0, i - 10): i + 10] for i, _ in marks]


def assert_no_internal_words(text: str, words: tuple[str, ...] = INTERNAL_WORDS) -> None:
    """None of the internal words appears in ``text``."""
    found = [w for w in words if w in text]
    assert not found, found


def add_ticket(archive: Archive, key: str = "HXSZ/03-2-1204", **overrides: Any) -> Any:
    """A verified repair ticket with a compensation of 12,000 yuan."""
    fields: dict[str, Any] = {
        "reported_on": "2026-09-01",
        "responded_on": "2026-09-02",
        "component": "卫生间防水",
        "location": "主卫 & 次卫",
        "description": "楼板渗水 <严重> 至楼下 > 顶棚",
        "verified_cause": "防水层施工破损",
        "responsibility": "施工单位",
        "contractor": "福州安居防水工程有限公司",
        "compensation": "12000.00",
    }
    fields.update(overrides)
    return archive.add_case(key, "repairs", fields)


def add_settlement(archive: Archive, key: str = "HXSZ/03-2-1204", *, old: bool = False, **overrides: Any) -> Any:
    """A settlement: 6 ㎡ × 180 + 1 × 5,500 = 6,580.00 approved, 300 withheld, for the dossier's first repair.

    The repair ticket it pays for is created first when the dossier has none
    (a settlement may only name tickets of its own dossier).  ``old``: written
    like an older docgen wrote it (journaled, not validated), for sheets that
    break today's rules and must still print as they are.
    """
    repairs = archive.dossier(key).repairs
    ticket = repairs[0].id if repairs else add_ticket(archive, key).id
    fields: dict[str, Any] = {
        "created_on": "2026-10-08",
        "repair_ids": [ticket],
        "contractor": "福州安居防水工程有限公司",
        "contract_no": "WX-2026-01",
        "items": [
            {"item": "卫生间防水重做", "unit": "㎡", "declared_qty": "6.5", "approved_qty": "6", "unit_price": "180.00"},
            {"item": "楼下顶棚修补", "unit": "项", "declared_qty": "1", "approved_qty": "1", "unit_price": "5500.00"},
        ],
        "deductions": [{"name": "预留质保金", "amount": "300.00"}],
        "payee": "福州安居防水工程有限公司",
        "bank": "中国银行福州分行",
        "account": "4070 1234 5678",
        "attachments": ["维修合同", "发票"],
        "handled_by": "李明",
        "approvals": [{"role": "经办人", "name": "李明", "decision": "同意", "date": "2026-10-08"}],
    }
    fields.update(overrides)
    if not old:
        return archive.add_case(key, "settlements", fields)
    import json

    from docgen.models import Settlement

    with archive.transaction("settlement.new", key, "旧版本写入的结算") as tx:
        record = Settlement.model_validate({"id": tx.next_id("HQ", archive.today().year), **fields})
        dossier = archive.dossier(key)
        data = dossier.model_dump(mode="json")
        data["settlements"].append(record.model_dump(mode="json"))
        rel = f"{archive.layout.dossier_rel(key)}/dossier.json"
        tx.put_bytes(rel, json.dumps(data, ensure_ascii=False, indent=2).encode() + b"\n")
    return record


def settings(tmp_path: Path, templates: Path = TEMPLATES, **kw: Any) -> GenerateSettings:
    """Settings pointing at the repo's templates and an output folder in tmp_path."""
    return GenerateSettings(templates=templates, output=tmp_path / "out", **kw)


def copy_templates(tmp_path: Path) -> Path:
    """A private copy of the templates folder that a test may break."""
    target = tmp_path / "templates"
    shutil.copytree(TEMPLATES, target)
    return target


def write_template(path: Path, *lines: str, header: str | None = "{{ doc_id }} {{ qr }}") -> Path:
    """A minimal .docx template with the given paragraphs (and a header holding the QR)."""
    doc = Document()
    if header is not None:
        doc.sections[0].header.paragraphs[0].add_run(header)
    for line in lines:
        doc.add_paragraph(line)
    doc.save(str(path))
    return path
