"""The figures as an Excel workbook: one worksheet per figure, its numbers with a native Excel chart beside them.

Native charts (openpyxl's ``BarChart`` / ``LineChart``) reference the cells of
the table, so a manager who corrects or filters a number in Excel or WPS sees
the chart follow, and can copy both into a presentation.  The first sheet is
the warnings (预警), then the figures in the order of :func:`docgen.report.views.sheets`;
a last sheet 说明 says when, for which scope, from which thresholds.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from docgen.report.views import FLOAT, INT, MONEY, PCT, TEXT, Chart, Sheet, sheets

_FORMATS = {PCT: "0.0%", MONEY: "#,##0.00", FLOAT: "0.0", INT: "0"}
TOP = 4  # the header row of every table


def _add_chart(ws: Any, sheet: Sheet, chart: Chart, anchor: str) -> int:
    """Put one native chart on the worksheet at ``anchor``; return how many rows it covers."""
    from openpyxl.chart import BarChart, LineChart, Reference

    n = len(sheet.rows)
    first, last = TOP + 1, TOP + n
    cats = Reference(ws, min_col=chart.category + 1, min_row=first, max_row=last)
    obj: Any
    if chart.kind == "line":
        obj = LineChart()
        obj.y_axis.title = chart.unit if chart.unit not in ("", "%") else None
    else:
        obj = BarChart()
        obj.type = "bar"
        obj.y_axis.majorGridlines = None
        if chart.kind == "stacked":
            obj.grouping = "percentStacked" if chart.as_share else "stacked"
            obj.overlap = 100
        obj.x_axis.scaling.orientation = "maxMin"  # first row on top, as in the table
    for col in chart.values:
        data = Reference(ws, min_col=col + 1, min_row=TOP, max_row=last)
        obj.add_data(data, titles_from_data=True)
    obj.set_categories(cats)
    obj.title = chart.title
    kinds = {sheet.columns[i].kind for i in chart.values}
    if PCT in kinds:
        obj.y_axis.numFmt = "0%"
        obj.y_axis.number_format = "0%"
    obj.x_axis.delete = False
    obj.y_axis.delete = False
    if chart.kind == "bar" and len(chart.values) == 1:
        obj.legend = None
    rows = max(15, min(60, n + 6)) if chart.kind != "line" else 18
    obj.height = rows * 0.5
    obj.width = 18
    ws.add_chart(obj, anchor)
    return rows


def write_xlsx(figures: dict[str, Any], path: Path) -> Path:
    """Write the workbook to ``path``."""
    from openpyxl import Workbook
    from openpyxl.formatting.rule import ColorScaleRule
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    wb.remove(wb.active)
    bold, fill = Font(bold=True), PatternFill("solid", fgColor="DDEBF7")
    for sheet in sheets(figures):
        ws = wb.create_sheet(sheet.name[:31])
        ws["A1"] = sheet.title
        ws["A1"].font = Font(bold=True, size=13)
        ws["A2"] = sheet.note
        ws["A2"].alignment = Alignment(wrap_text=False)
        for j, col in enumerate(sheet.columns, start=1):
            cell = ws.cell(row=TOP, column=j, value=col.label)
            cell.font, cell.fill = bold, fill
            cell.alignment = Alignment(horizontal="center", wrap_text=True)
            ws.column_dimensions[get_column_letter(j)].width = 30 if j == 1 or col.kind == TEXT else max(
                9, min(16, len(col.label) * 2 + 2))
        for i, row in enumerate(sheet.rows, start=TOP + 1):
            for j, (c, col) in enumerate(zip(row, sheet.columns, strict=True), start=1):
                cell = ws.cell(row=i, column=j, value=c.value)
                if isinstance(c.value, str):
                    cell.data_type = "s"  # record text (a contractor, a component) is never a formula
                if col.kind in _FORMATS and c.value is not None:
                    cell.number_format = _FORMATS[col.kind]
        if not sheet.rows:
            ws.cell(row=TOP + 1, column=1, value="没有预警" if sheet.name == "预警" else "(无数据)")
        ws.freeze_panes = ws.cell(row=TOP + 1, column=2)
        if sheet.heat and sheet.rows:
            ref = f"B{TOP + 1}:{get_column_letter(len(sheet.columns))}{TOP + len(sheet.rows)}"
            ws.conditional_formatting.add(ref, ColorScaleRule(start_type="num", start_value=0, start_color="FFFFFF",
                                                              end_type="max", end_color="D9534F"))
        if sheet.rows:
            col_letter = get_column_letter(len(sheet.columns) + 2)
            at = TOP
            for chart in sheet.charts:
                at += _add_chart(ws, sheet, chart, f"{col_letter}{at}") + 1
    info = wb.create_sheet("说明")
    meta = figures["meta"]
    for k, v in (("统计日", meta["today"]), ("范围", meta["filters"] or "全部项目、全部时间"),
                 ("项目", "、".join(meta["projects"])), ("档案户数", meta["dossiers"]),
                 ("日志位置", meta.get("journal_seq", "")), ("预警阈值", meta.get("thresholds", "")),
                 ("审计规则", meta.get("rules", "")),
                 ("无法读取的记录", "、".join(meta["unreadable"]) or "无"),
                 ("说明", "各表的计算方法见每张表第 2 行,详见 docs/report.md")):
        info.append([k, v])
    info.column_dimensions["A"].width = 16
    info.column_dimensions["B"].width = 80
    wb.save(path)
    return path
