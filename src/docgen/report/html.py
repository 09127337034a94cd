"""The figures as one self-contained HTML page: warnings first, then each figure's SVG chart above its table.

No external file of any kind (no CDN, no script library): charts are inline
SVG drawn by :mod:`.svg`, text is in the system's CJK font, so the page opens
offline and prints.  Every number carries its drill-down (``data-drill``, the
query string of the records behind it); with ``link`` (e.g.
``/report/records?``, what the web dashboard passes) numbers become links to
that list.  jinja2 with autoescaping: no record text can inject markup.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from docgen.report import svg
from docgen.report.views import FLOAT, INT, MONEY, PCT, TEXT, Cell, Chart, Column, Sheet, sheets


def fmt(value: Any, kind: str) -> str:
    """A cell's value as shown: 12.5%, 1,234.50, 3.5, or text."""
    if value is None:
        return "—"
    if kind == PCT:  # half up from the decimal digits, as a person rounds (82.35 → 82.4), not from the float
        return f"{Decimal(repr(value)).scaleb(2).quantize(Decimal('0.1'), ROUND_HALF_UP)}%"
    if kind == MONEY:
        return f"{value:,.2f}"
    if kind == FLOAT and isinstance(value, float):
        return f"{value:g}" if value == int(value) else f"{value:.1f}"
    return str(value)


def _unit(sheet: Sheet, chart: Chart) -> str:
    kinds = {sheet.columns[i].kind for i in chart.values}
    return "%" if PCT in kinds else chart.unit


def chart_svg(sheet: Sheet, chart: Chart) -> str:
    """One chart of a sheet as SVG."""
    labels = sheet.category_labels(chart)
    if chart.kind == "bar":
        i = chart.values[0]
        rows = [(label, r[i].value) for label, r in zip(labels, sheet.rows, strict=True)]
        return svg.bars(rows, label=f"{sheet.title}:{chart.title}", unit=_unit(sheet, chart),
                        highlight=chart.highlight, marker=chart.marker, marker_label=chart.marker_label)
    if chart.kind == "stacked":
        names = [sheet.columns[i].label for i in chart.values]
        grades = {n: n[0] if n[:2] in ("A ", "B ", "C ") else n[-1] if n[-2:] in (" A", " B", " C") else ""
                  for n in names}
        colors = {n: svg.GRADE_COLORS[g] for n, g in grades.items()} if all(grades.values()) else None
        rows2 = [(label, {sheet.columns[i].label: (r[i].value or 0) for i in chart.values})
                 for label, r in zip(labels, sheet.rows, strict=True)]
        return svg.stacked(rows2, names, label=f"{sheet.title}:{chart.title}", colors=colors, as_share=chart.as_share)
    series = [(sheet.columns[i].label, [r[i].value for r in sheet.rows]) for i in chart.values]
    unit = _unit(sheet, chart)
    return svg.lines(series, labels, label=f"{sheet.title}:{chart.title}", unit=unit,
                     y_max=1.0 if unit == "%" else None)


def handover_charts(figures: dict[str, Any]) -> list[tuple[str, str]]:
    """One line per batch (收房率 day by day) with its plan dashed: small multiples."""
    out = []
    for h in figures["handover"]:
        if not h["daily"]:
            continue
        labels = [d["date"][5:] for d in h["daily"]]
        plan = [(p["day"] - 1, p["rate"]) for p in h["plan"] if p["day"] <= len(labels)]
        chart = svg.lines([(f"{h['project']}/{h['batch']}", [d["rate"] for d in h["daily"]])], labels,
                          label=f"{h['name']} 收房率", unit="%", y_max=1.0, width=560, height=220, plan=plan)
        out.append((f"{h['project']}/{h['batch']} {h['name']}", chart))
    return out


def _heat(value: Any, biggest: float) -> str:
    if not isinstance(value, int | float) or not value or not biggest:
        return ""
    alpha = 0.12 + 0.78 * value / biggest
    return f"background:rgba(217,83,79,{alpha:.2f});color:{'#fff' if alpha > 0.55 else '#222'}"


_PAGE = """<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8">
<title>决策数据 {{ meta.today }}</title>
<style>
body{font-family:"Noto Sans CJK SC","Source Han Sans SC","Microsoft YaHei","PingFang SC",sans-serif;margin:24px;color:#222;max-width:1180px}
h1{font-size:22px} h2{font-size:17px;margin-top:34px;border-bottom:2px solid #3b7dd8;padding-bottom:4px}
p.note{color:#555;font-size:13px;margin:4px 0 10px} .meta span{display:inline-block;margin-right:22px}
table{border-collapse:collapse;font-size:13px;margin-top:8px} th,td{border:1px solid #ccc;padding:3px 7px}
th{background:#eef3f8;text-align:center} td.n{text-align:right;white-space:nowrap} td.t{text-align:left}
td a{color:inherit;text-decoration:none;border-bottom:1px dotted #3b7dd8}
tr.sev-error td:first-child{color:#b52b27;font-weight:bold} tr.sev-warning td:first-child{color:#a66d00;font-weight:bold}
tr.sev-info td:first-child{color:#2a7f98} tr[class^=sev] td:nth-child(-n+3){white-space:nowrap} .charts{display:flex;flex-wrap:wrap;gap:12px} .chart{margin:6px 0}
.chart h3{font-size:13px;margin:6px 0;color:#333} nav a{margin-right:10px;font-size:13px}
.none{color:#2b8a3e}
</style></head><body>
<h1>决策数据(客户服务部)</h1>
<p class="meta"><span>统计日:{{ meta.today }}</span><span>范围:{{ meta.filters or "全部项目、全部时间" }}</span>
<span>项目:{{ meta.projects|join("、") }}</span><span>档案 {{ meta.dossiers }} 户</span>
<span>日志位置:第 {{ meta.journal_seq }} 条</span></p>
<p class="meta"><span>预警阈值:{{ meta.thresholds }}</span><span>审计规则:{{ meta.rules }}</span>
{% if meta.unreadable %}<span>无法读取的记录 {{ meta.unreadable|length }} 份(未计入):{{ meta.unreadable[:5]|join("、") }}</span>{% endif %}</p>
<nav>{% for s in sections %}<a href="#s{{ loop.index }}">{{ s.sheet.name }}</a>{% endfor %}</nav>
{% for s in sections %}
<h2 id="s{{ loop.index }}">{{ s.sheet.title }}</h2>
<p class="note">{{ s.sheet.note }}</p>
{% if s.charts %}<div class="charts">{% for title, chart in s.charts %}<div class="chart">{% if title %}<h3>{{ title }}</h3>{% endif %}{{ chart|safe }}</div>{% endfor %}</div>{% endif %}
{% if s.sheet.rows %}
<table data-figure="{{ s.sheet.name }}"><thead><tr>{% for c in s.sheet.columns %}<th>{{ c.label }}</th>{% endfor %}</tr></thead><tbody>
{% for row in s.cells %}<tr{% if s.sheet.name == "预警" %} class="sev-{{ s.severities[loop.index0] }}"{% endif %}>{% for cell in row %}<td class="{{ cell.cls }}"{% if cell.style %} style="{{ cell.style }}"{% endif %}{% if cell.drill %} data-drill="{{ cell.drill }}" title="{{ cell.title }}"{% endif %}>{% if cell.href %}<a href="{{ cell.href }}">{{ cell.text }}</a>{% else %}{{ cell.text }}{% endif %}</td>{% endfor %}</tr>
{% endfor %}</tbody></table>
{% elif s.sheet.name == "预警" %}<p class="none">没有预警。</p>
{% else %}<p class="note">(无数据)</p>{% endif %}
{% endfor %}
</body></html>
"""


def _cells(sheet: Sheet, link: str | None) -> list[list[dict[str, Any]]]:
    biggest = 0.0
    if sheet.heat:
        biggest = max((c.value for r in sheet.rows for c in r[1:] if isinstance(c.value, int | float)), default=0)
    out = []
    for row in sheet.rows:
        cells = []
        for i, (cell, col) in enumerate(zip(row, sheet.columns, strict=True)):
            kind = col.kind
            shown = fmt(cell.value, kind) if not (kind == TEXT and cell.value is None) else ""
            numeric = kind in (INT, FLOAT, PCT, MONEY)
            entry: dict[str, Any] = {"text": shown, "cls": "n" if numeric else "t", "drill": cell.drill or "",
                                     "href": f"{link}{cell.drill}" if link and cell.drill else "",
                                     "title": "点击查看对应记录" if link else "对应记录的筛选条件:" + (cell.drill or ""),
                                     "style": _heat(cell.value, biggest) if sheet.heat and i else ""}
            cells.append(entry)
        out.append(cells)
    return out


def render_html(figures: dict[str, Any], *, link: str | None = None) -> str:
    """The page as a string; ``link`` (a URL prefix) turns every number into a link to the records behind it."""
    import jinja2

    sections = []
    for sheet in sheets(figures):
        charts = [("", chart_svg(sheet, c)) for c in sheet.charts if sheet.rows]
        if sheet.name == "收房率走势":
            charts = handover_charts(figures)
        severities = [w["severity"] for w in figures["warnings"]] if sheet.name == "预警" else []
        sections.append({"sheet": sheet, "charts": [(t, c) for t, c in charts if c], "cells": _cells(sheet, link),
                         "severities": severities})
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    meta = dict(figures["meta"])
    meta.setdefault("thresholds", "")
    meta.setdefault("rules", "")
    meta.setdefault("journal_seq", "")
    return env.from_string(_PAGE).render(meta=meta, sections=sections)


__all__ = ["Cell", "Column", "fmt", "render_html"]
