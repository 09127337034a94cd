"""Audit reports: CSV, JSON, XLSX and a self-contained HTML page.

Writers receive findings one at a time (``add``) and the summary at the end
(``close``), so CSV, JSON and XLSX stream to disk without holding the findings
in memory.  The HTML page needs the summary before the table and therefore
keeps the findings it shows.

- CSV is UTF-8 with a byte-order mark, which Excel and WPS need to read Chinese.
- XLSX uses openpyxl in write-only mode (streaming); the header row is frozen
  and has an autofilter, so it opens ready to filter in Excel or WPS.
- HTML is one file with no external assets: the summary chart is inline SVG
  and the findings table sorts by clicking a header (a few lines of inline JS).
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path
from typing import IO, Any, Protocol

from docgen.audit.findings import COLUMNS, RULES, SEVERITY_LABELS, Finding
from docgen.audit.summary import Summary
from docgen.errors import UsageError, quote_input

FORMATS = ("csv", "json", "xlsx", "html")


class ReportWriter(Protocol):
    """Receives findings as they stream and finishes the file with the summary."""

    def add(self, finding: Finding) -> None:
        """Write one finding."""

    def close(self, summary: Summary, meta: dict[str, Any]) -> None:
        """Write the summary and finish the file."""


def _row(f: Finding) -> list[str]:
    d = f.as_dict()
    d["severity"] = SEVERITY_LABELS[f.severity]
    return [str(d[c]) for c, _ in COLUMNS]


class CsvReport:
    """Findings as CSV (UTF-8 with BOM), one row each; the summary is not included."""

    def __init__(self, path: Path) -> None:
        self.fh: IO[str] = open(path, "w", encoding="utf-8-sig", newline="")  # noqa: SIM115
        self.writer = csv.writer(self.fh)
        self.writer.writerow([label for _, label in COLUMNS])

    def add(self, finding: Finding) -> None:
        """Write one row."""
        self.writer.writerow(["'" + v if v.startswith(("=", "+", "-", "@", "\t", "\r")) else v for v in _row(finding)])

    def close(self, summary: Summary, meta: dict[str, Any]) -> None:
        """Close the file."""
        self.fh.close()


class JsonReport:
    """``{"meta": …, "findings": [...], "summary": {...}}``, findings streamed."""

    def __init__(self, path: Path) -> None:
        self.fh: IO[str] = open(path, "w", encoding="utf-8")  # noqa: SIM115
        self.fh.write('{"findings": [')
        self.first = True

    def add(self, finding: Finding) -> None:
        """Write one finding object."""
        self.fh.write(("\n  " if self.first else ",\n  ") + json.dumps(finding.as_dict(), ensure_ascii=False))
        self.first = False

    def close(self, summary: Summary, meta: dict[str, Any]) -> None:
        """Write the summary and meta data and close."""
        self.fh.write('\n],\n"summary": ' + json.dumps(summary.as_dict(), ensure_ascii=False, indent=2))
        self.fh.write(',\n"meta": ' + json.dumps(meta, ensure_ascii=False, default=str) + "\n}\n")
        self.fh.close()


class XlsxReport:
    """An Excel workbook: 问题清单 (frozen header, autofilter) and 汇总 sheets, written streaming."""

    def __init__(self, path: Path) -> None:
        from openpyxl import Workbook
        from openpyxl.cell import WriteOnlyCell
        from openpyxl.styles import Font, PatternFill

        self.path = path
        self.wb = Workbook(write_only=True)
        self.ws = self.wb.create_sheet("问题清单")
        self.ws.freeze_panes = "A2"
        widths = {"A": 8, "B": 30, "C": 24, "D": 18, "E": 8, "F": 8, "G": 8, "H": 18, "I": 90}
        for col, w in widths.items():
            self.ws.column_dimensions[col].width = w
        bold, fill = Font(bold=True), PatternFill("solid", fgColor="DDEBF7")
        header = []
        for _, label in COLUMNS:
            cell = WriteOnlyCell(self.ws, value=label)
            cell.font, cell.fill = bold, fill
            header.append(cell)
        self.ws.append(header)
        self.rows = 1

    def add(self, finding: Finding) -> None:
        """Append one row (text cells: a message quoting record text is never a formula)."""
        from openpyxl.cell import WriteOnlyCell

        cells = []
        for value in _row(finding):
            cell = WriteOnlyCell(self.ws, value=value)
            cell.data_type = "s"
            cells.append(cell)
        self.ws.append(cells)
        self.rows += 1

    def close(self, summary: Summary, meta: dict[str, Any]) -> None:
        """Set the autofilter, add the 汇总 sheet, save."""
        from openpyxl.utils import get_column_letter

        self.ws.auto_filter.ref = f"A1:{get_column_letter(len(COLUMNS))}{self.rows}"
        ws = self.wb.create_sheet("汇总")
        ws.freeze_panes = "A2"
        ws.column_dimensions["A"].width = 34
        ws.column_dimensions["B"].width = 28
        ws.append(["分组", "名称", "错误", "警告", "提示"])
        data = summary.as_dict()
        sev = data["by_severity"]
        ws.append(["合计", f"已审计 {data['dossiers_checked']} 户", sev["error"], sev["warning"], sev["info"]])
        for r in data["by_project"]:
            ws.append(["项目", r["project"], r["error"], r["warning"], r["info"]])
        for r in data["by_batch"]:
            ws.append(["批次", f"{r['project']}/{r['batch']}", r["error"], r["warning"], r["info"]])
        for r in data["by_stage"]:
            ws.append(["阶段", r["stage"], r["error"], r["warning"], r["info"]])
        for r in data["by_rule_table"]:
            ws.append(["规则", f"{r['rule']} {RULES.get(r['rule'], ('', ''))[1]}", r["error"], r["warning"], r["info"]])
        for w in data["worst"]:
            ws.append(["问题最多的档案", w["key"], w["error"], w["warning"], w["info"]])
        ws.append(["审计日期", str(meta.get("today", "")), None, None, None])
        self.wb.save(self.path)


class HtmlReport:
    """One self-contained HTML page: summary chart (inline SVG) and a sortable findings table."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.findings: list[Finding] = []

    def add(self, finding: Finding) -> None:
        """Keep the finding for the table."""
        self.findings.append(finding)

    def close(self, summary: Summary, meta: dict[str, Any]) -> None:
        """Render and write the page."""
        self.path.write_text(render_html(self.findings, summary, meta), encoding="utf-8")


def open_report(fmt: str, path: Path) -> ReportWriter:
    """A writer for a format (``csv``, ``json``, ``xlsx``, ``html``)."""
    writers: dict[str, type[Any]] = {"csv": CsvReport, "json": JsonReport, "xlsx": XlsxReport, "html": HtmlReport}
    if fmt not in writers:
        raise UsageError(f"报表格式{quote_input(fmt)}无效,应为 {'、'.join(FORMATS)}")
    try:
        writer: ReportWriter = writers[fmt](path)
    except OSError as exc:
        raise UsageError(f"无法写入报表 {path}:{exc.strerror}") from exc
    return writer


_COLORS = {"error": "#d9534f", "warning": "#f0ad4e", "info": "#5bc0de"}


def chart_svg(rows: list[tuple[str, dict[str, int]]], width: int = 720) -> str:
    """A horizontal stacked bar chart (errors, warnings, info per row) as inline SVG."""
    from html import escape

    bar_h, gap = 22, 6
    label_w = max(80, min(340, 14 * max((len(label) for label, _ in rows), default=4) + 16))
    top = 28
    height = top + len(rows) * (bar_h + gap) + 10
    biggest = max((sum(c.values()) for _, c in rows), default=1) or 1
    scale = (width - label_w - 60) / biggest
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" '
        f'aria-label="审计问题汇总图" font-family="sans-serif" font-size="12">'
    ]
    x = label_w
    for sev in ("error", "warning", "info"):
        parts.append(f'<rect x="{x}" y="6" width="12" height="12" fill="{_COLORS[sev]}"/>')
        parts.append(f'<text x="{x + 16}" y="16">{SEVERITY_LABELS[sev]}</text>')
        x += 70
    for i, (label, counts) in enumerate(rows):
        y = top + i * (bar_h + gap)
        parts.append(f'<text x="{label_w - 6}" y="{y + 15}" text-anchor="end">{escape(label)}</text>')
        x0 = float(label_w)
        for sev in ("error", "warning", "info"):
            n = counts.get(sev, 0)
            if n:
                w = max(1.0, n * scale)
                parts.append(
                    f'<rect class="bar-{sev}" x="{x0:.1f}" y="{y}" width="{w:.1f}" height="{bar_h}" '
                    f'fill="{_COLORS[sev]}"><title>{escape(label)} {SEVERITY_LABELS[sev]} {n}</title></rect>'
                )
                x0 += w
        parts.append(f'<text x="{x0 + 4:.1f}" y="{y + 15}">{sum(counts.values())}</text>')
    parts.append("</svg>")
    return "".join(parts)


_PAGE = """<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8">
<title>档案审计报告 {{ meta.today }}</title>
<style>
body{font-family:"Noto Sans CJK SC","Microsoft YaHei",sans-serif;margin:24px;color:#222}
h1{font-size:22px} h2{font-size:17px;margin-top:28px}
table{border-collapse:collapse;font-size:13px} th,td{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#eef3f8;cursor:pointer;position:sticky;top:0} th.sorted-asc::after{content:" ▲"} th.sorted-desc::after{content:" ▼"}
td:nth-child(-n+8){white-space:nowrap} td.sev-error{color:#b52b27;font-weight:bold} td.sev-warning{color:#a66d00} td.sev-info{color:#2a7f98}
.cards span{display:inline-block;margin-right:24px;font-size:15px} input{padding:4px;width:260px}
</style></head><body>
<h1>档案审计报告</h1>
<p class="cards"><span>审计日期:{{ meta.today }}</span><span>已审计:{{ s.dossiers_checked }} 户</span>
<span>有问题:{{ s.dossiers_with_findings }} 户</span><span>错误 {{ s.by_severity.error }}</span>
<span>警告 {{ s.by_severity.warning }}</span><span>提示 {{ s.by_severity.info }}</span></p>
{% if meta.filters %}<p>筛选:{{ meta.filters }}</p>{% endif %}
<p>规则来源:{{ meta.rules }}</p>
<h2>按规则汇总</h2>
<div id="chart-rules">{{ chart_rules|safe }}</div>
<h2>按项目汇总</h2>
<div id="chart-projects">{{ chart_projects|safe }}</div>
<h2>问题最多的档案</h2>
<table id="worst"><thead><tr><th>档案</th><th>阶段</th><th>批次</th><th>错误</th><th>警告</th><th>提示</th></tr></thead><tbody>
{% for w in s.worst %}<tr><td>{{ w.key }}</td><td>{{ w.stage }}</td><td>{{ w.batch }}</td><td>{{ w.error }}</td><td>{{ w.warning }}</td><td>{{ w.info }}</td></tr>
{% endfor %}</tbody></table>
<h2>问题清单({{ findings|length }} 条)</h2>
<p><input id="filter" type="search" placeholder="输入文字筛选(档案、规则、说明……)"></p>
<table id="findings"><thead><tr>{% for _, label in columns %}<th data-col="{{ loop.index0 }}">{{ label }}</th>{% endfor %}</tr></thead>
<tbody>
{% for f in findings %}<tr class="finding" data-rank="{{ f.rank }}"><td class="sev-{{ f.severity }}" data-sort="{{ f.rank }}">{{ labels[f.severity] }}</td><td>{{ f.rule }}</td><td>{{ f.title }}</td><td>{{ f.key }}</td><td>{{ f.project }}</td><td>{{ f.batch }}</td><td>{{ f.stage }}</td><td>{{ f.ref }}</td><td>{{ f.message }}</td></tr>
{% endfor %}</tbody></table>
<script>
(function(){
  var table=document.getElementById("findings"), body=table.tBodies[0];
  function key(td){var v=td.getAttribute("data-sort");return v!==null?Number(v):td.textContent;}
  Array.prototype.forEach.call(table.tHead.rows[0].cells,function(th){
    th.addEventListener("click",function(){
      var col=Number(th.getAttribute("data-col")), asc=!th.classList.contains("sorted-asc");
      Array.prototype.forEach.call(table.tHead.rows[0].cells,function(c){c.classList.remove("sorted-asc","sorted-desc");});
      th.classList.add(asc?"sorted-asc":"sorted-desc");
      var rows=Array.prototype.slice.call(body.rows);
      rows.sort(function(a,b){var x=key(a.cells[col]),y=key(b.cells[col]);
        var r=(typeof x==="number"&&typeof y==="number")?x-y:String(x).localeCompare(String(y),"zh-CN");
        return asc?r:-r;});
      rows.forEach(function(r){body.appendChild(r);});
    });
  });
  document.getElementById("filter").addEventListener("input",function(e){
    var q=e.target.value.trim();
    Array.prototype.forEach.call(body.rows,function(r){r.style.display=(!q||r.textContent.indexOf(q)>=0)?"":"none";});
  });
})();
</script>
</body></html>
"""


def render_html(findings: list[Finding], summary: Summary, meta: dict[str, Any]) -> str:
    """The HTML page as a string (jinja2 with autoescaping: finding text cannot inject markup)."""
    import jinja2

    data = summary.as_dict()
    rule_rows = [
        (RULES.get(r["rule"], ("", r["rule"]))[1], {s: r[s] for s in ("error", "warning", "info")})
        for r in data["by_rule_table"]
    ]
    project_rows = [(r["project"], {s: r[s] for s in ("error", "warning", "info")}) for r in data["by_project"]]
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    return env.from_string(_PAGE).render(
        meta={"today": meta.get("today", dt.date.today()), "filters": meta.get("filters", ""), "rules": meta.get("rules", "")},
        s=data,
        findings=findings,
        columns=COLUMNS,
        labels=SEVERITY_LABELS,
        chart_rules=chart_svg(rule_rows),
        chart_projects=chart_svg(project_rows),
    )
