"""The submission list for the registry (递交清单): one row per household, in the registry's column order.

The registry (不动产登记中心) receives the batch with a spreadsheet whose
columns it fixes: 序号, 房号, 权利人, 证件号码, 合同备案号, 建筑面积, 材料份数.
证件号码 is written in full (the registry matches it against the ID cards), so
making the list is a reveal: the service journals it through
:func:`docgen.privacy.reveal` before this module writes a byte.  The sheet
starts with the header row (a registry's import reads it as it is); a second
sheet says which batch it is and how to handle it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from docgen.models import Dossier, Project, Registration

COLUMNS: tuple[str, ...] = ("序号", "房号", "权利人", "证件号码", "合同备案号", "建筑面积", "材料份数")
SHEET = "递交清单"
ABOUT_SHEET = "说明"
WIDTHS = (6, 18, 18, 42, 22, 12, 10)


@dataclass(frozen=True, slots=True)
class SubmissionRow:
    """One household of the list (full ID numbers: handle as personal data)."""

    n: int
    unit: str
    unit_label: str
    owners: str
    id_numbers: str
    filing_no: str
    area: Decimal | None
    materials: int


def submission_rows(registration: Registration, dossiers: Mapping[str, Dossier],
                    materials: Mapping[str, int]) -> list[SubmissionRow]:
    """The rows for the households still in the batch, in its order (``materials``: unit → 材料份数)."""
    rows: list[SubmissionRow] = []
    for entry in registration.active:
        d = dossiers[entry.unit]
        area = d.area_measured if d.area_measured is not None else d.area_contract
        rows.append(SubmissionRow(
            len(rows) + 1, d.unit, d.unit_label, "、".join(o.name for o in d.owners),
            "、".join(o.id_number for o in d.owners), d.filing_no, area, materials.get(entry.unit, 0),
        ))
    return rows


def write_submission_xlsx(path: Path, project: Project, registration: Registration, rows: Sequence[SubmissionRow],
                          today: dt.date) -> Path:
    """Write the list to ``path`` (.xlsx); return it."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = SHEET
    ws.append(list(COLUMNS))
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center")
    for r in rows:
        ws.append([r.n, r.unit_label, r.owners, r.id_numbers, r.filing_no, r.area, r.materials])
        for cell in ws[ws.max_row]:
            if isinstance(cell.value, str):
                cell.data_type = "s"  # names and numbers people typed are never formulas
        ws.cell(row=ws.max_row, column=4).number_format = "@"  # ID numbers as text, never 3.5e+17
        if r.area is not None:
            ws.cell(row=ws.max_row, column=6).number_format = "0.00"
    for i, width in enumerate(WIDTHS, 1):
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.freeze_panes = "A2"
    about = wb.create_sheet(ABOUT_SHEET)
    for label, value in (
        ("项目", f"{project.name}（{project.code}）"),
        ("开发单位", project.developer.name),
        ("办证批次", registration.id + (f" {registration.name}" if registration.name else "")),
        ("登记机构", registration.registry or "—"),
        ("递交日期", registration.submitted_on.isoformat() if registration.submitted_on else "尚未递交"),
        ("受理编号", registration.receipt_no or "—"),
        ("户数", len(rows)),
        ("材料份数合计", sum(r.materials for r in rows)),
        ("制表日期", today.isoformat()),
        ("注意", "本表含权利人完整的身份证号码，仅供递交不动产登记中心使用，请妥善保管，用毕收回或销毁。"),
    ):
        about.append([label, value])
    about.column_dimensions["A"].width = 14
    about.column_dimensions["B"].width = 70
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(str(path))
    return path
