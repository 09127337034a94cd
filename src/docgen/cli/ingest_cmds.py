"""Commands for scanned paper: ingest, watch, review, cover-sheet."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from rich.markup import escape

from docgen.cli.common import App, console, emit_json, pass_app, table
from docgen.errors import UsageError
from docgen.progress import Progress
from docgen.vocab import doc_type_label

JSON = click.option("--json", "as_json", is_flag=True, help="以 JSON 输出(供脚本使用)。")

_STATUS = {
    "filed": ("[green]已归档[/green]", "已归档"),
    "recovered": ("[green]已恢复[/green]", "已恢复"),
    "split": ("[green]已拆分[/green]", "已拆分"),
    "duplicate": ("[yellow]重复[/yellow]", "重复"),
    "review": ("[yellow]待确认[/yellow]", "待确认"),
    "failed": ("[red]失败[/red]", "失败"),
    "waiting": ("[cyan]等待[/cyan]", "等待"),
    "skipped": ("[dim]跳过[/dim]", "跳过"),
    "queued": ("[cyan]已送识别[/cyan]", "已送识别"),
}
_METHOD = {"qr": "二维码", "filename": "文件名", "content": "内容匹配", "direct": "指定", "manual": "人工"}


def _index_hook(app: App) -> Callable[[Any], None] | None:
    """Refresh the search index after each filing, once the search module is installed."""
    try:
        from docgen.search.api import refresh  # type: ignore[import-not-found, unused-ignore]
    except ImportError:
        return None

    def hook(_result: Any) -> None:
        refresh(app.archive, app.config.search)

    return hook


def _pipeline(app: App, progress: Progress | None = None, *, workers: bool = False) -> Any:
    """The ingest pipeline; ``workers``: send reading to ``docgen worker`` when ``[ingest] workers`` is set."""
    from docgen.ingest.pipeline import Pipeline

    hook = _index_hook(app)
    extractor = None
    if workers and app.config.ingest.workers:
        from docgen.workers.queue import extractor_for

        extractor = extractor_for(app.config.ingest)
    return Pipeline(app.archive, app.config.ingest, hooks=[hook] if hook else [], progress=progress, extractor=extractor)


def _shown(text: str) -> str:
    """A name or message for the terminal: readable, on one line, and never taken for rich markup."""
    from docgen.ingest.names import display_name

    return escape(display_name(text))


def _line(result: Any) -> str:
    """One terminal line per file."""
    status = _STATUS.get(result.status, (result.status, result.status))[0]
    parts = [f"{status} {_shown(result.name)}"]
    if result.status in ("filed", "recovered") and result.owner_key:
        how = _METHOD.get(result.method or "", result.method or "")
        conf = f" {result.confidence:.2f}" if result.confidence is not None else ""
        kind = f" {doc_type_label(result.doc_type)}" if result.doc_type else ""
        parts.append(f"→ {result.owner_key}{kind} {result.doc_id or ''}({how}{conf})")
    else:
        parts.append(f"— {_shown(result.message)}")
    if result.status == "skipped":
        return " ".join(parts)
    pages = f"{result.pages} 页," if result.pages else ""
    pages += f"OCR {result.ocr_pages} 页," if result.ocr_pages else ""
    parts.append(f"[dim]({pages}{result.seconds:.2f} 秒)[/dim]")
    text = " ".join(parts)
    for part in result.parts:
        text += "\n    " + _line(part)
    for warning in result.warnings:
        text += f"\n    [yellow]注意:{_shown(warning)}[/yellow]"
    return text + _doubtful(result)


def _doubtful(result: Any) -> str:
    """The lines OCR left in doubt (OCR 存疑), for a person to check against the paper."""
    doubts = getattr(result, "ocr_doubtful", None) or []
    if not doubts:
        return ""
    out = f"\n    [yellow]OCR 存疑 {len(doubts)} 行,请对照原件核对:[/yellow]"
    for d in doubts[:5]:
        read = f"读作「{escape(d['text'])}」" if d.get("text") else "未读出文字"
        out += f"\n      第 {d['page']} 页第 {d.get('row') or '?'} 行:{read}({escape(d['reason'])})"
    if len(doubts) > 5:
        out += f"\n      …另有 {len(doubts) - 5} 行"
    if result.doc_id:
        out += f"\n    查看截图:docgen document show {result.doc_id} --text --crops 截图/"
    return out


def _plain(result: Any) -> str:
    """One log line per file (names readable, one line whatever the name holds)."""
    from docgen.ingest.names import display_name

    label = _STATUS.get(result.status, (result.status, result.status))[1]
    text = f"{label} {display_name(result.name)} {result.owner_key or ''} {result.doc_id or ''} {display_name(result.message)}"
    return text.strip()


# -- ingest -------------------------------------------------------------------------
@click.command("ingest")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--into", "into", metavar="PROJECT|DOSSIER", help="直接归入此项目或档案(跳过识别),如 HXSZ 或 HXSZ/03-2-1203。")
@click.option("--type", "doc_type", metavar="TYPE", help="文件类型(代码或中文名,如 handover_record 或 房屋交接书)。")
@click.option("--retry", is_flag=True, help="重试失败区中的全部文件。")
@click.option("--move", is_flag=True, help="归档后不保留原文件(默认收件箱以外的文件只复制)。")
@JSON
@pass_app
def ingest(app: App, paths: tuple[Path, ...], into: str | None, doc_type: str | None, retry: bool, move: bool, as_json: bool) -> None:
    """归档扫描件:识别所属档案和文件类型,提取文字(必要时 OCR),存入档案库。

    \b
    例:docgen ingest 扫描/HXSZ_03-2-1203_handover_record.pdf
        docgen ingest 扫描目录/ --into HXSZ/03-2-1203 --type 房屋交接书
        docgen ingest 预售证.pdf --into HXSZ --type presale_permit
        docgen ingest --retry
    """
    if not paths and not retry:
        raise UsageError("请给出要归档的文件或目录,或用 --retry 重试失败的文件(持续监视收件箱请用 docgen watch)")
    for path in paths:
        if not path.exists():
            raise UsageError(f"文件或目录 {path} 不存在")
    results = []
    status = console().status("正在归档…") if not as_json else None
    def progress(stage: str, done: int, total: int, label: str) -> None:
        if status is not None:
            status.update(f"正在识别 {_shown(label)} 第 {done}/{total} 页 {stage}…")

    with _pipeline(app, progress) as pipeline:
        if status is not None:
            status.start()
        try:
            it = pipeline.retry_failed(into=into, doc_type=doc_type) if retry else pipeline.ingest_paths(
                list(paths), move=move, into=into, doc_type=doc_type
            )
            for result in it:
                results.append(result)
                if not as_json:
                    console().print(_line(result))
        finally:
            if status is not None:
                status.stop()
    if as_json:
        emit_json([r.as_dict() for r in results])
    else:
        processed = [r for r in results if r.status != "skipped"]
        skipped = len(results) - len(processed)
        counts: dict[str, int] = {}
        for r in processed:
            counts[r.status] = counts.get(r.status, 0) + 1
        summary = ",".join(f"{_STATUS.get(k, (k, k))[1]} {v}" for k, v in counts.items()) or "没有文件"
        console().print(f"共 {len(processed)} 个文件:{summary}" if not skipped else
                        f"共 {len(processed)} 个文件,跳过 {skipped} 个:{summary}")
    if any(r.status == "failed" or any(p.status == "failed" for p in r.parts) for r in results):
        raise SystemExit(1)
    from docgen.cli.common import fail_if_unreadable

    fail_if_unreadable(sorted({u for r in results for u in [*r.unreadable, *(x for p in r.parts for x in p.unreadable)]}),
                       "其余文件已处理,受影响的文件在待确认区(docgen review)")


# -- watch ----------------------------------------------------------------------------
@click.command("watch")
@click.option("--poll", is_flag=True, default=None, help="轮询模式(网络共享目录上 inotify 看不到其他机器的写入)。")
@click.option("--once", is_flag=True, help="处理完收件箱中现有的文件后退出。")
@click.option("--stable", "stable", type=float, help="文件大小和修改时间保持不变多少秒后才处理(默认见配置)。")
@click.option("--log", "log_file", type=click.Path(path_type=Path), help="日志文件(默认见配置 [ingest] log_file)。")
@pass_app
def watch(app: App, poll: bool | None, once: bool, stable: float | None, log_file: Path | None) -> None:
    """监视收件箱:扫描件写完后自动归档;失败的移到 failed/ 并写明原因,不中断监视。"""
    from docgen.ingest.watcher import Watcher

    settings = app.config.ingest
    settings.inbox.mkdir(parents=True, exist_ok=True)
    log_path = log_file or settings.log_file or (settings.areas_root / "logs" / "ingest.log")
    log_path.parent.mkdir(parents=True, exist_ok=True)
    settings.log_file = log_path  # never taken for an arrival, wherever it is
    # backslashreplace: a name with bytes that are not text must never stop the watcher (it is shown as text anyway)
    log = open(log_path, "a", encoding="utf-8", errors="backslashreplace")  # noqa: SIM115 - open for the whole run
    skipped = [0]

    def on_result(result: Any) -> None:
        if result.status == "skipped":
            skipped[0] += 1
        console().print(_line(result))
        stamp = dt.datetime.now().astimezone().isoformat(timespec="seconds")
        log.write(f"{stamp} {_plain(result)}\n")
        for part in result.parts:
            log.write(f"{stamp}   {_plain(part)}\n")
        log.flush()

    mode = "轮询" if (poll if poll is not None else settings.poll) else "系统通知"
    console().print(f"监视 {settings.inbox}({mode}模式;稳定 {stable or settings.stable_seconds} 秒后处理;日志 {log_path})")
    if settings.workers:
        from docgen.workers.jobs import shown_url

        console().print(f"识别(二维码、文字层、OCR)交给识别进程:任务队列 {shown_url(settings.workers)}"
                        "(识别服务器上运行 docgen worker;查看队列:docgen worker status)")

    def on_notice(text: str) -> None:
        console().print(f"[yellow]{_shown(text)}[/yellow]")
        stamp = dt.datetime.now().astimezone().isoformat(timespec="seconds")
        log.write(f"{stamp} 注意 {text}\n")
        log.flush()
    from docgen.ingest.areas import Areas

    areas = Areas(settings.areas_root)
    waiting_failed, waiting_review = len(areas.failed_files()), len(areas.reviews())
    if waiting_failed or waiting_review:
        console().print(
            f"[yellow]失败区有 {waiting_failed} 个文件(docgen ingest --retry 重试),"
            f"待确认 {waiting_review} 个(docgen review list)。[/yellow]"
        )
    if not once:
        console().print("按 Ctrl+C 停止。")
    stop = threading.Event()
    def progress(stage: str, done: int, total: int, label: str) -> None:
        console().print(f"[dim]  正在识别 {_shown(label)} 第 {done}/{total} 页 {stage}…[/dim]")

    with _pipeline(app, progress, workers=True) as pipeline:
        watcher = Watcher(pipeline, poll=poll, stable_seconds=stable, on_result=on_result, on_skip=on_result,
                          on_notice=on_notice)
        try:
            watcher.run(stop, once=once)
        except KeyboardInterrupt:
            stop.set()
        finally:
            log.close()
    tail = f",跳过 {skipped[0]} 个(原因见上)" if skipped[0] else ""
    console().print(f"已处理 {watcher.processed} 个文件{tail}。")


# -- review ----------------------------------------------------------------------------
@click.group("review")
def review() -> None:
    """待确认队列:识别置信度不足的扫描件,由人选择档案和类型后归档。"""


@review.command("list")
@JSON
@pass_app
def review_list(app: App, as_json: bool) -> None:
    """列出待确认的文件及候选档案。"""
    from docgen.ingest.areas import Areas
    from docgen.ingest.names import safe_path

    entries = Areas(app.config.ingest.areas_root).reviews()
    if as_json:  # "path" holds the file's real name bytes: shown as text
        emit_json([{k: safe_path(v) if k == "path" else v for k, v in e.items() if k != "text_pages"} for e in entries])
        return
    if not entries:
        console().print("待确认队列为空。")
        return
    rows = []
    for e in entries:
        cands = ";".join(
            f"{c['owner_key']} {doc_type_label(c['doc_type']) if c.get('doc_type') else '?'} {c['confidence']:.2f}"
            for c in e.get("candidates", [])[:3]
        )
        doubtful = sum(len(p.get("doubtful") or []) for p in e.get("pages", []))
        note = ";".join([*([f"OCR 存疑 {doubtful} 行"] if doubtful else []), *e.get("reasons", [])])
        rows.append([e["id"], _shown(str(e.get("original_name", ""))), cands or "无", escape(note[:80])])
    table("待确认", ["编号", "文件", "候选(档案 类型 置信度)", "说明"], rows)
    console().print("归档:docgen review file 编号 --dossier HXSZ/03-2-1203 --type 房屋交接书")


@review.command("file")
@click.argument("review_id")
@click.option("--dossier", "owner_key", required=True, metavar="PROJECT|DOSSIER", help="归入的档案(或项目)。")
@click.option("--type", "doc_type", required=True, metavar="TYPE", help="文件类型(代码或中文名)。")
@pass_app
def review_file(app: App, review_id: str, owner_key: str, doc_type: str) -> None:
    """把待确认的文件归入指定档案。"""
    with _pipeline(app) as pipeline:
        result = pipeline.file_review(review_id, owner_key, doc_type)
    console().print(_line(result))


@review.command("reject")
@click.argument("review_id")
@click.option("--reason", default="", help="退回原因(写在文件旁)。")
@pass_app
def review_reject(app: App, review_id: str, reason: str) -> None:
    """不归档,把文件移到失败区并写明原因。"""
    with _pipeline(app) as pipeline:
        result = pipeline.reject_review(review_id, reason)
    console().print(result.message)


# -- cover sheet --------------------------------------------------------------------------
@click.command("cover-sheet")
@click.argument("owner_key", metavar="DOSSIER")
@click.option("--type", "doc_type", required=True, metavar="TYPE", help="其后各页的文件类型。")
@click.option("-o", "--output", "out", type=click.Path(path_type=Path), required=True, help="输出 PDF 路径。")
@pass_app
def cover_sheet(app: App, owner_key: str, doc_type: str, out: Path) -> None:
    """打印批量扫描分隔页(带二维码):放在每户文件之前,一次扫描整叠,自动拆分归档。"""
    from docgen.ingest.cover import cover_sheet as make

    try:
        code = make(app.archive, owner_key, doc_type, out)
    except ValueError as exc:
        raise UsageError(str(exc)) from exc
    console().print(f"已生成分隔页 {out}({code.encode()})")
