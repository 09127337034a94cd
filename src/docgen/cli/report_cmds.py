"""CLI for the figures (``docgen report``) and the 楼盘表 (``docgen project units``).

Each command parses its options, calls one service of :mod:`docgen.services.report`
and renders the result.  ``docgen report --fail-on warning`` exits with status 3
when a warning reaches that severity, like ``docgen audit`` (1 and 2 remain
"the command failed" and "bad usage").
"""

from __future__ import annotations

import contextlib
import datetime as dt
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import click

from docgen.cli.common import DATE, App, console, emit_json, kv, pass_app, table

WARNINGS_EXIT = 3
TERMINAL_ROWS = 25
ASK_PROJECT = "请同时给 --project,如 --project HXSZ --batch B01"  # where a CLI user names the project


@contextlib.contextmanager
def _progress(what: str) -> Iterator[Callable[[int], None]]:
    if not sys.stderr.isatty():
        yield lambda n: None
        return
    from docgen.cli.common import err_console

    with err_console().status(f"{what}…") as status:
        yield lambda n: status.update(f"{what}… 已统计 {n} 户")


@click.group("report", invoke_without_command=True)
@click.option("--project", help="只统计一个项目(如 HXSZ)。")
@click.option("--batch", help="只统计某个交房批次(须同时给 --project)。")
@click.option("--from", "date_from", type=DATE, help="期间开始日期(含),如 2026-01-01;不给则从最早的记录起。")
@click.option("--to", "date_to", type=DATE, help="期间结束日期(含);不给则到今天。")
@click.option("--today", "as_of", type=DATE, help="按该日期判断逾期与预警(默认今天)。")
@click.option("--format", "fmt", type=click.Choice(["table", "xlsx", "html", "json"]), default="table",
              show_default=True, help="输出格式:终端表格,或写出 Excel(带图表)、HTML 页面(SVG 图表)、JSON。")
@click.option("--out", type=click.Path(path_type=Path, dir_okay=False),
              help="写出的文件(默认 report-日期.格式;JSON 不给 --out 时打印到终端)。")
@click.option("--fail-on", type=click.Choice(["error", "warning", "info", "never"]), default="never",
              show_default=True, help="有该级别及以上的预警时退出码为 3(定时任务用)。")
@pass_app
@click.pass_context
def report(ctx: click.Context, app: App, project: str | None, batch: str | None, date_from: dt.date | None,
           date_to: dt.date | None, as_of: dt.date | None, fmt: str, out: Path | None, fail_on: str) -> None:
    """决策数据:交房、办证、维修、投诉、回访与满意度、费用、个人绩效,预警列在最前。

    \b
    不给 --from/--to 时统计整个档案库;未完成和已完成的记录都计入。
    例:docgen report
        docgen report --project HXSZ --from 2026-01-01 --to 2026-06-30
        docgen report --format xlsx --out 决策数据.xlsx
        docgen report --format html --out 决策数据.html
        docgen report --format json | jq '.repairs.by_layout'
        docgen report --fail-on warning          # 定时任务:有预警时退出码为 3
    每个数字背后的记录:docgen report list "<筛选条件>"(条件见 JSON 中各行的 drill)。
    """
    if ctx.invoked_subcommand is not None:
        return
    from docgen.report.facts import Filters
    from docgen.services.report import write_report

    filters = Filters(project.upper() if project else None, batch, date_from, date_to, as_of)
    filters.check(as_of or app.session.today(), ASK_PROJECT)  # the core's rule, said with this command's flags
    to_stdout = fmt == "json" and out is None
    with _progress("正在统计") as tick:
        outcome = write_report(app.session, filters, fmt=fmt, out=None if to_stdout else out, fail_on=fail_on,
                               progress=tick)
    figures = outcome.figures
    if to_stdout:
        emit_json(figures)
    elif outcome.out is not None:
        _show_warnings(figures)
        console().print(f"报表已写入 {outcome.out}")
    else:
        _show_tables(figures)
    if outcome.failing:
        click.echo(f"有 {outcome.failing} 条预警达到或超过「{_level(fail_on)}」级别(退出码 {WARNINGS_EXIT})。", err=True)
        sys.exit(WARNINGS_EXIT)


def _level(sev: str) -> str:
    from docgen.report.warnings import SEVERITY_LABELS

    return SEVERITY_LABELS.get(sev, sev)


def _show_warnings(figures: dict[str, Any]) -> None:
    warnings = figures["warnings"]
    if not warnings:
        console().print("[green]没有预警。[/green]")
        return
    table(f"预警({len(warnings)} 条)", ["级别", "类型", "说明"],
          [(w["severity_label"], w["title"], w["message"]) for w in warnings])


def _show_tables(figures: dict[str, Any]) -> None:
    from docgen.report.html import fmt
    from docgen.report.views import sheets

    meta = figures["meta"]
    kv([("统计日", meta["today"]), ("范围", meta["filters"] or "全部项目、全部时间"),
        ("项目", "、".join(meta["projects"]) or "无"), ("档案", f"{meta['dossiers']} 户"),
        ("预警阈值", meta.get("thresholds", ""))])
    if meta["unreadable"]:
        console().print(f"[yellow]注意[/yellow] {len(meta['unreadable'])} 份记录无法读取,未计入:"
                        f"{'、'.join(meta['unreadable'][:5])}(docgen verify 查看)")
    _show_warnings(figures)
    for sheet in sheets(figures):
        if sheet.name == "预警" or not sheet.rows:
            continue
        width = sheet.brief or len(sheet.columns)
        rows = [[fmt(c.value, col.kind) if c.value is not None else ""
                 for c, col in zip(r[:width], sheet.columns[:width], strict=True)] for r in sheet.rows[:TERMINAL_ROWS]]
        title = sheet.title + (f"(前 {TERMINAL_ROWS} 行,共 {len(sheet.rows)} 行)" if len(sheet.rows) > TERMINAL_ROWS else "")
        table(title, [c.label for c in sheet.columns[:width]], rows)
    console().print("完整的表格与图表:docgen report --format xlsx(或 html)。")


@report.command("list")
@click.argument("query")
@click.option("--today", "as_of", type=DATE, help="按该日期判断逾期(与统计时相同)。")
@click.option("--limit", type=int, default=200, show_default=True, help="最多列出多少条。")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出(供脚本使用)。")
@pass_app
def report_list(app: App, query: str, as_of: dt.date | None, limit: int, as_json: bool) -> None:
    """列出某个数字背后的记录:QUERY 为报表中该数字的筛选条件(drill)。

    \b
    例:docgen report list "kind=repairs&project=HXSZ&layout=B2&component=卫生间地面渗漏"
        docgen report list "kind=complaints&project=YHW&overdue=1" --json
    """
    from docgen.report.drill import Drill
    from docgen.services.report import records_behind

    drill = Drill.parse(query)
    refs = records_behind(app.session, drill, today=as_of, limit=limit + 1)
    more = len(refs) > limit
    refs = refs[:limit]
    if as_json:
        emit_json({"filter": drill.describe(), "records": [r.as_dict() for r in refs], "truncated": more})
        return
    table(f"{drill.describe()}({len(refs)}{'+' if more else ''} 条)", ["编号", "档案", "日期", "说明"],
          [(r.id, r.key, r.date, r.title) for r in refs])
    if more:
        console().print(f"只列出前 {limit} 条(--limit 调整)。")


@report.command("thresholds")
@click.option("--init", "init", is_flag=True, help="把内置默认阈值写入档案库的 thresholds.json(记入日志)。")
@click.option("--force", is_flag=True, help="与 --init 同用:覆盖已有的 thresholds.json。")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出。")
@pass_app
def report_thresholds(app: App, init: bool, force: bool, as_json: bool) -> None:
    """查看或初始化预警阈值(thresholds.json,与审计规则 rules.json 并列)。"""
    from docgen.report.thresholds import WARNING_KINDS, init_thresholds, load_thresholds

    session = app.session
    if init:
        session.require("rules")
        path = init_thresholds(session.archive, force=force)
        console().print(f"已写入默认预警阈值:{path}")
        return
    session.require("figures")
    thresholds, source = load_thresholds(session.archive)
    data = thresholds.model_dump(mode="json")
    if as_json:
        emit_json({"source": source, "thresholds": data})
        return
    kv([("来源", source)])
    rows = []
    for kind, title in WARNING_KINDS.items():
        section = {"handover_behind_plan": "handover_plan"}.get(kind, kind)
        values = data.get(section, {})
        shown = ",".join(f"{k}={v}" for k, v in values.items() if k != "severity")
        rows.append((kind, title, values.get("severity", ""), "停用" if kind in thresholds.disabled else shown))
    table("预警阈值", ["类型", "说明", "级别", "阈值"], rows)


# -- docgen project units ------------------------------------------------------------------
@click.group("units")
def units_group() -> None:
    """楼盘表(每个房间的户型、面积、楼层、朝向、装修、价格):导入、导出、查看。"""


@units_group.command("import")
@click.argument("project")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--sheet", help="读取的工作表名(默认第一个)。")
@click.option("--dry-run", is_flag=True, help="只检查,不导入。")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出结果。")
@pass_app
def units_import(app: App, project: str, file: Path, sheet: str | None, dry_run: bool, as_json: bool) -> None:
    """导入项目 PROJECT 的楼盘表 FILE(.xlsx 或 .csv,整表替换)。

    \b
    表头按名称识别(顺序不限,其余列忽略):房号(3栋2单元1203 或 03-2-1203;
    或房号 1203 加「楼栋」「单元」列)、户型(A1 或「A1 三室两厅两卫」)、户型名称、建筑面积、
    套内面积、楼层、朝向、装修标准(毛坯/简装/精装)、成交单价、总价区间(或总价)。
    有任何问题(房号不存在或重复、数字有误……)都按行列列出,一行也不导入。
    导入后,楼盘表中没有的房号不能再建档。
    例:docgen project units import HXSZ 华轩首座楼盘表.xlsx
        docgen project units import HXSZ 楼盘表.xlsx --dry-run
    """
    from docgen.services.report import import_unit_table

    result = import_unit_table(app.session, project, file, sheet=sheet, dry_run=dry_run)
    if as_json:
        emit_json(result.as_dict())
        return
    verb = "检查通过(未导入,去掉 --dry-run 即导入)" if dry_run else "已导入"
    console().print(f"{verb}:项目 {result.project} 楼盘表 {result.source},共 {result.rows} 个房间")
    if result.previous is not None:
        console().print(f"  与原楼盘表({result.previous} 个房间)相比:新增 {result.added},移除 {result.removed}")
    console().print("  户型:" + "、".join(f"{k} {v} 套" for k, v in result.layouts.items()))
    if result.ignored_columns:
        console().print(f"  未读取的列:{'、'.join(result.ignored_columns)}")


@units_group.command("export")
@click.argument("project")
@click.option("--out", type=click.Path(path_type=Path, dir_okay=False), help="导出文件 .xlsx 或 .csv(默认 楼盘表-项目.xlsx)。")
@pass_app
def units_export(app: App, project: str, out: Path | None) -> None:
    """导出项目 PROJECT 的楼盘表(与导入的列相同,改后可再导入)。"""
    from docgen.services.report import export_unit_table

    path = export_unit_table(app.session, project, out or Path(f"楼盘表-{project.upper()}.xlsx"))
    console().print(f"楼盘表已导出到 {path}")


@units_group.command("show")
@click.argument("project")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出。")
@pass_app
def units_show(app: App, project: str, as_json: bool) -> None:
    """查看项目 PROJECT 的楼盘表概况:房间数、各户型、装修标准。"""
    from docgen.services.report import unit_table_summary

    summary = unit_table_summary(app.session, project)
    if as_json:
        emit_json(summary.as_dict())
        return
    kv([("项目", summary.project), ("房间", f"{summary.rooms} 个,其中 {summary.with_dossier} 个已建档"),
        ("导入自", summary.source), ("导入时间", summary.imported_at), ("导入人", summary.imported_by),
        ("装修标准", "、".join(f"{k} {v}" for k, v in summary.finishes.items()))])
    table("户型", ["户型", "名称", "房间数", "建筑面积"],
          [(r["layout"], r["name"], r["rooms"],
            r["area_min"] if r["area_min"] == r["area_max"] else f"{r['area_min']}-{r['area_max']}")
           for r in summary.layouts])
