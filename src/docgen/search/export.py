"""Search results as a spreadsheet, for the list an archivist takes to a meeting or hands to an auditor.

XLSX (openpyxl, write-only: streamed, frozen header row, autofilter) or CSV
(UTF-8 with a byte-order mark, which Excel and WPS need to read Chinese).
The rows are the hits exactly as the terminal shows them, so ID and phone
numbers stay masked unless the search was made with ``--reveal`` (which the
journal records).  The file is written beside its target and renamed into
place, so a failed export never leaves half a spreadsheet under the name.
"""

from __future__ import annotations

import contextlib
import csv
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from docgen.errors import UsageError
from docgen.search.types import KINDS, Hit, Results

FORMATS = (".xlsx", ".csv")
COLUMNS: list[tuple[str, int]] = [
    ("序号", 6), ("类别", 10), ("编号", 20), ("标题", 36), ("类型", 16), ("项目", 8), ("房号/位置", 24),
    ("业主档案", 20), ("日期", 12), ("已签", 6), ("状态", 10), ("原文件名", 30), ("相关度", 8), ("摘要", 80),
]


def _row(i: int, hit: Hit) -> list[Any]:
    signed = "" if hit.signed is None else ("是" if hit.signed else "否")
    return [
        i, KINDS.get(hit.kind, hit.kind), hit.doc_id or hit.owner, hit.title, hit.type_label, hit.project, hit.place,
        hit.owner, hit.date.isoformat() if hit.date else "", signed, hit.status, hit.original_name,
        round(hit.score, 3), hit.snippet,
    ]


def _rows(results: Results) -> Iterator[list[Any]]:
    for i, hit in enumerate(results.hits, results.query.offset + 1):
        yield _row(i, hit)


def check_export_path(path: Path) -> None:
    """Refuse a target docgen cannot write, before anything is searched (or journaled)."""
    if path.suffix.lower() not in FORMATS:
        raise UsageError(f"导出文件应以 .xlsx 或 .csv 结尾:{path}")
    if path.is_dir():
        raise UsageError(f"导出路径是一个目录:{path}")
    for parent in path.parents:
        if parent.exists():
            if not parent.is_dir():
                raise UsageError(f"无法导出到 {path}:{parent} 不是目录")
            break


def export_results(results: Results, path: Path) -> int:
    """Write the hits of ``results`` to ``path`` (.xlsx or .csv); return the number of rows written."""
    check_export_path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.suffix.lower() == ".csv":
            _write_csv(results, tmp)
        else:
            _write_xlsx(results, tmp)
        os.replace(tmp, path)
    except OSError as exc:
        raise UsageError(f"无法写入导出文件 {path}:{exc.strerror or exc}") from exc
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()
    return len(results.hits)


# a cell starting with one of these is a formula to Excel and WPS (CSV injection): text from
# scans and inbox file names reaches the cells, so such text is written as plain text
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_XLSX_MAX = 32_767  # characters in one Excel cell


def _csv_text(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _write_csv(results: Results, path: Path) -> None:
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow([name for name, _ in COLUMNS])
        writer.writerows([_csv_text(v) for v in row] for row in _rows(results))


def _xlsx_cell(ws: Any, value: Any) -> Any:
    """Text as a text cell (never a formula), without the control characters XML cannot hold."""
    if not isinstance(value, str):
        return value
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    cell = WriteOnlyCell(ws, value=ILLEGAL_CHARACTERS_RE.sub("", value)[:_XLSX_MAX])
    cell.data_type = "s"
    return cell


def _write_xlsx(results: Results, path: Path) -> None:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("检索结果")
    ws.freeze_panes = "A2"
    for n, (_, width) in enumerate(COLUMNS, 1):
        ws.column_dimensions[get_column_letter(n)].width = width
    bold, fill = Font(bold=True), PatternFill("solid", fgColor="DDEBF7")
    header = []
    for name, _ in COLUMNS:
        cell = WriteOnlyCell(ws, value=name)
        cell.font, cell.fill = bold, fill
        header.append(cell)
    ws.append(header)
    rows = 1
    for row in _rows(results):
        ws.append([_xlsx_cell(ws, v) for v in row])
        rows += 1
    ws.auto_filter.ref = f"A1:{get_column_letter(len(COLUMNS))}{rows}"
    about = "" if results.total_exact else "约 "
    info = wb.create_sheet("检索条件")
    info.column_dimensions["A"].width = 12
    info.column_dimensions["B"].width = 60
    query = results.query
    filters = {k: v for k, v in vars(query).items()
               if k not in ("text", "limit", "offset", "highlight", "reveal", "sort", "purpose", "reason", "role")
               and v not in (None, "", False)}
    for key, value in (
        ("检索式", query.text or "(无)"),
        ("筛选", "、".join(f"{k}={v}" for k, v in filters.items()) or "(无)"),
        ("排序", {"relevance": "相关度", "date": "日期(新→旧)", "date-asc": "日期(旧→新)"}.get(query.sort, query.sort)),
        ("共找到", f"{about}{results.total} 条;本表 {len(results.hits)} 条(从第 {query.offset + 1} 条起)"),
        ("索引日志序号", str(results.index_seq)),
        ("遮蔽", f"未遮蔽(已记入档案日志;原因:{query.reason})" if query.reveal else "身份证号、电话和住址已遮蔽"),
    ):
        info.append([_xlsx_cell(info, key), _xlsx_cell(info, value)])
    wb.save(path)
