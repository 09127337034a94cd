"""Shared helpers for the generate tests: repair/settlement records and template copies."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path
from typing import Any

from docx import Document

from docgen.archive import Archive
from docgen.generate.settings import GenerateSettings

REPO = Path(__file__).resolve().parents[1]
TEMPLATES = REPO / "templates"
TODAY = dt.date(2026, 11, 28)


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


def add_settlement(archive: Archive, key: str = "HXSZ/03-2-1204", **overrides: Any) -> Any:
    """A settlement: 6 ㎡ × 180 + 1 × 5,500 = 6,580.00 approved, 300 withheld, for the dossier's first repair.

    The repair ticket it pays for is created first when the dossier has none
    (a settlement may only name tickets of its own dossier).
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
    return archive.add_case(key, "settlements", fields)


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
