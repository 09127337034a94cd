"""``docgen search`` and ``docgen index update|rebuild|status``: the terminal face of docgen.search.api.

Imports stay light at module level (the cold ``docgen search`` goal is 1.5 s):
whoosh is imported inside the engine, jieba only when something is indexed.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import click

from docgen.cli.common import (
    App,
    console,
    emit_json,
    pass_app,
    reveal_options,
    reveal_reason,
    shown_where,
)
from docgen.errors import UsageError, quote_input

EXPORT_ALL = 100_000  # hits an export writes when no --limit is given


def _date(value: str | None, flag: str) -> dt.date | None:
    if not value:
        return None
    import unicodedata

    from docgen.dates import parse_date

    text = unicodedata.normalize("NFKC", value).strip().replace("/", "-").replace(".", "-")
    if text.count("-") == 2:
        try:
            return parse_date(text)
        except ValueError as exc:  # a day that does not exist is not a format error
            raise UsageError(f"{flag}:{exc}") from exc
    for fmt in ("%Y-%m", "%Y"):
        try:
            parsed = dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
        if flag == "--to":
            # --to 2026-06 means to the end of June
            import calendar

            year, month = parsed.year, parsed.month if fmt == "%Y-%m" else 12
            return dt.date(year, month, calendar.monthrange(year, month)[1])
        return parsed
    raise UsageError(f"{flag} 的日期{quote_input(value)}无法识别,应为 2026-06-30、2026-06 或 2026")


def _yes_no(value: str | None, flag: str) -> bool | None:
    if value is None:
        return None
    v = value.strip().lower()
    if v in ("yes", "y", "true", "1", "是", "已签"):
        return True
    if v in ("no", "n", "false", "0", "否", "未签"):
        return False
    raise UsageError(f"{flag} 应为 是/否(yes/no)")


def _progress_printer(enabled: bool) -> Any:
    if not enabled:
        return None
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    progress = Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=console(), transient=True,
    )
    tasks: dict[str, Any] = {}

    def report(stage: str, done: int, total: int, label: str) -> None:
        if not progress.live.is_started:
            progress.start()
        if stage not in tasks:
            tasks[stage] = progress.add_task(stage, total=total or None)
        progress.update(tasks[stage], completed=done, total=total or None)

    report.progress = progress  # type: ignore[attr-defined]
    return report


def _stop(report: Any) -> None:
    if report is not None:
        report.progress.stop()


def _engine(app: App) -> Any:
    """The engine ``[search] engine`` names, shared with the session (its refreshes after writes)."""
    return app.session.workspace.engine()


def _stats_line(stats: Any) -> str:
    mode = {"incremental": "增量更新", "full-compare": "逐项比对", "rebuild": "重建", "none": "无变化"}[stats.mode]
    why = f"({stats.reason})" if stats.reason else ""
    return (
        f"索引{mode}{why}:新增 {stats.added},更新 {stats.updated},删除 {stats.deleted},"
        f"未变 {stats.unchanged};日志序号 {stats.seq};用时 {stats.seconds:.1f} 秒"
    )


@click.command("search")
@click.argument("words", nargs=-1)
@click.option("--project", help="项目编号,如 HXSZ。")
@click.option("--batch", help="交房批次编号,如 B01。")
@click.option("--type", "doc_type", help="文件类型(代码或中文名,如 维修记录)。")
@click.option("--kind", help="条目类别:document 文件、dossier 业主档案、repair 报修单、complaint 投诉、revisit 回访、settlement 结算会签。")
@click.option("--stage", help="档案阶段:签约、交房、办证、保修期。")
@click.option("--status", help="状态(报修单、投诉、结算的状态,如 维修中;OCR 有存疑行的文件为 OCR存疑)。")
@click.option("--open", "open_", is_flag=True, default=None, help="只看未结的报修单、投诉、结算。")
@click.option("--from", "date_from", help="起始日期(含),如 2026-01-01。")
@click.option("--to", "date_to", help="结束日期(含),如 2026-06-30。")
@click.option("--signed", help="是否已签字:是/否。")
@click.option("--unit", help="房号,可只写一部分:3栋2单元1203、3栋2单元、3栋;不写单元的 3栋1203 指各单元的 1203。")
@click.option("--owner", help="业主姓名(精确)。")
@click.option("--sort", type=click.Choice(["relevance", "date", "date-asc"]), default="relevance", show_default=True, help="排序:相关度、日期(新→旧)、日期(旧→新)。")
@click.option("--limit", type=int, default=None, help="每页最多显示的条数(默认 20;导出时默认全部,最多 100000)。")
@click.option("--page", type=int, default=1, show_default=True, help="第几页(每页 --limit 条)。")
@click.option("--no-snippet", is_flag=True, help="不显示摘要(更快)。")
@click.option("--no-update", is_flag=True, help="检索前不自动更新索引。")
@reveal_options
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出(供脚本使用)。")
@click.option("--export", "export_path", type=click.Path(dir_okay=False, path_type=Path),
              help="把结果导出为 Excel(.xlsx)或 CSV(.csv)文件。")
@pass_app
def search(app: App, words: tuple[str, ...], project: str | None, batch: str | None, doc_type: str | None,
           kind: str | None, stage: str | None, status: str | None, open_: bool | None, date_from: str | None,
           date_to: str | None, signed: str | None, unit: str | None, owner: str | None, sort: str,
           limit: int | None, page: int, no_snippet: bool, no_update: bool, reveal: bool, reason: str | None,
           as_json: bool, export_path: Path | None) -> None:
    """在档案中检索文件、业主档案和报修/投诉/回访/结算记录。

    \b
    例:
      docgen search 卫生间 漏水          # 两个词都要有;漏水 也找 渗水、渗漏
      docgen search 地暖 --project YHW --from 2025-01-01
      docgen search 武婷 --unit 3栋2单元
      docgen search 3栋1203              # 不写单元:3栋各单元的 1203
      docgen search 漏水 --kind repair --open --unit 5栋
      docgen search 'type:维修记录 AND (漏水 OR 渗水) NOT 已关闭' --sort date
      docgen search 渗漏 --kind repair --open --export 未结渗漏报修.xlsx
    检索式支持:字段(类型: 项目: 房号: 业主: 编号: 状态: 类别: 日期:[20260101 TO 20260630])、
    "引号短语"、AND / OR / NOT、括号。同义词(漏水/渗水/渗漏、空鼓/起鼓 等)一并检索,
    加引号只检索原词。身份证号、电话和住址默认遮蔽;--reveal --reason "原因" 显示并记入日志。
    按完整的身份证号码或电话检索也须 --reveal --reason(查到即知号码属于谁)。
    """
    from docgen.search.reveal import EXPORT_PREFIX
    from docgen.search.types import Query

    why = reveal_reason(app, reveal, reason, "export" if export_path is not None else "view")
    if export_path is not None:
        from docgen.search.export import check_export_path

        check_export_path(export_path)  # before searching: a refused export journals no --reveal
    if limit is None:
        limit = EXPORT_ALL if export_path is not None else 20
    query = Query(
        text=" ".join(words), project=project, batch=batch, type=doc_type, kind=kind, stage=stage, status=status,
        date_from=_date(date_from, "--from"), date_to=_date(date_to, "--to"), signed=_yes_no(signed, "--signed"),
        open=open_, unit=unit, owner=owner, sort=sort, limit=limit, highlight=not no_snippet, reveal=reveal,
        reason=why or "", role=app.role, purpose=shown_where(as_json) if reveal else "",
    )
    if page < 1:
        raise UsageError("--page 应为正整数")
    query.offset = (page - 1) * max(limit, 1)
    if export_path is not None:
        query.purpose = f"{EXPORT_PREFIX}{export_path.absolute()}"
    engine = _engine(app)
    results = engine.search(query, auto_update=False if no_update else None, archive=app.archive)
    if export_path is not None:
        from docgen.search.export import export_results

        rows = export_results(results, export_path)
        if as_json:
            emit_json({"exported": str(export_path), "rows": rows, "offset": query.offset, "total": results.total,
                       "total_exact": results.total_exact, "note": results.note})
            return
        about = "" if results.total_exact else "约 "
        more = f"(共找到 {about}{results.total} 条;用 --page 导出其余部分)" if results.total > rows + query.offset else ""
        console().print(f"已导出 {rows} 条到 {export_path}{more}")
        return
    if as_json:
        emit_json(results.as_dict())
        return
    _print_results(results)


def _print_results(results: Any) -> None:
    from rich.text import Text

    con = console()
    if results.note:
        con.print(f"[yellow]{results.note}[/yellow]")
    shown = len(results.hits)
    about = "" if results.total_exact else "约 "
    first = results.query.offset + 1
    pages = -(-results.total // max(results.query.limit, 1))
    which = f"第 {first}-{first + shown - 1} 条" if shown else f"本页无结果(共 {pages} 页)"
    con.print(f"共找到 {about}[bold]{results.total}[/bold] 条,显示{which}(用时 {results.elapsed_ms:.0f} 毫秒)")
    if results.total > results.query.offset + shown and shown:
        con.print(f"[dim]下一页:加 --page {results.query.offset // max(results.query.limit, 1) + 2}[/dim]")
    if results.synonyms:
        words = ";".join(f"{term} → {'、'.join(alts)}" for term, alts in results.synonyms.items())
        first_term = next(iter(results.synonyms))
        con.print(Text(f"同时检索了同义词:{words}(只检索原词请加引号,如 \"{first_term}\")", style="dim"))
    for i, hit in enumerate(results.hits, first):
        head = Text(f"{i:>3}. ")
        head.append(hit.title or hit.type_label, style="bold")
        head.append(f"  [{hit.type_label}]", style="cyan")
        where = hit.place or hit.owner
        ident = hit.doc_id or hit.owner
        extra = [x for x in (where, ident, hit.date.isoformat() if hit.date else "", hit.original_name) if x]
        if hit.signed is not None:
            extra.append("已签" if hit.signed else "未签")
        if hit.status:
            extra.append(hit.status)
        head.append("  " + " · ".join(extra), style="dim")
        con.print(head)
        if hit.snippet:
            body = Text("     " + hit.snippet)
            for start, end in hit.highlights:
                body.stylize("bold black on yellow", start + 5, end + 5)
            con.print(body)


@click.group("index")
def index() -> None:
    """检索索引:更新、重建、查看状态。索引由档案库派生,可随时重建。"""


@index.command("update")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出。")
@pass_app
def index_update(app: App, as_json: bool) -> None:
    """把档案库中新增或改动的内容编入索引(只处理变化的部分)。"""
    _run_index(app, as_json, rebuild=False)


@index.command("rebuild")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出。")
@pass_app
def index_rebuild(app: App, as_json: bool) -> None:
    """从档案库重新建立整个索引(完成前旧索引照常可用)。"""
    _run_index(app, as_json, rebuild=True)


def _run_index(app: App, as_json: bool, *, rebuild: bool) -> None:
    """Update or rebuild with a progress display, then show the counts."""
    report = None if as_json else _progress_printer(True)
    engine = _engine(app)
    try:
        stats = engine.rebuild(report) if rebuild else engine.update(report)
    finally:
        _stop(report)
    if as_json:
        emit_json(stats.as_dict())
    else:
        console().print(_stats_line(stats))
    from docgen.cli.common import fail_if_unreadable

    fail_if_unreadable(stats.unreadable, "其余记录已编入索引")


@index.command("status")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出。")
@pass_app
def index_status(app: App, as_json: bool) -> None:
    """显示索引的状态,以及档案库中尚未编入索引的改动。"""
    st = _engine(app).status()
    if as_json:
        emit_json(st.as_dict())
        return
    from docgen.cli.common import kv
    from docgen.search.types import KINDS

    pending: str
    if st.pending_entries is None:
        pending = "无法确定(下次更新将逐项比对)"
    elif st.pending_entries == 0:
        pending = "无,索引已是最新"
    else:
        owners = "、".join(st.pending_owners[:10]) + ("……" if len(st.pending_owners) > 10 else "")
        pending = f"{st.pending_entries} 条日志,涉及 {owners or '无档案内容'};运行 docgen index update"
    rows: list[tuple[str, Any]] = [
        ("检索引擎", st.engine),
        ("索引位置", st.location),
        ("状态", "可用" if st.usable else f"不可用:{st.problem}(运行 docgen index rebuild)"),
    ]
    if "generation" in st.details:
        rows.append(("当前版本", st.details["generation"] or "无"))
    rows += [
        ("条目数", f"{st.entries}(" + "、".join(f"{KINDS[k]} {n}" for k, n in st.by_kind.items() if n) + ")"),
        ("索引对应日志序号", f"{st.seq} / 档案库 {st.archive_seq}"),
        ("待编入索引", pending),
    ]
    if st.size_bytes is not None:
        rows.append(("大小", f"{st.size_bytes / 1e6:.1f} MB"))
    rows.append(("建立时间", st.built))
    kv(rows)
