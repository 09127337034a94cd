"""``docgen worker``: a process that reads scans for the archive's watcher (QR codes, text layers, OCR).

Celery is imported only here and in ``docgen.workers``; the worker needs no
archive and no docgen.toml, only the broker's address (``--broker`` or
``[ingest] workers``).
"""

from __future__ import annotations

import contextlib
import logging
import re
import sys
from typing import Any, ClassVar

import click
from rich.markup import escape

from docgen.cli.common import App, console, emit_json, pass_app, table
from docgen.errors import UsageError


def _broker(app: App, broker: str | None) -> str:
    url = broker or app.config.ingest.workers
    if not url:
        raise UsageError("请用 --broker 给出任务队列地址(如 redis://识别服务器:6379/0),或在 docgen.toml 的 [ingest] 中设 workers")
    if not url.startswith(("redis://", "rediss://", "unix://")):
        raise UsageError(f"任务队列地址应为 Redis 地址,如 redis://识别服务器:6379/0(现为 {url})")
    return url


class _ChineseLog(logging.Handler):
    """Celery's and kombu's own log lines, said in Chinese where we know them (the rest prefixed, never a traceback)."""

    _KNOWN: ClassVar[list[tuple[re.Pattern[str], str]]] = [
        (re.compile(r"Cannot connect to|Connection to broker lost|consumer: Connection|Error 111|Connection refused"),
         "与任务队列的连接中断,正在重连(已在识别的文件继续识别)…"),
        (re.compile(r"exited with 'signal (\d+)|WorkerLostError|Process '.*' pid:(\d+) exited"),
         "识别子进程意外退出;它正在识别的文件已退回队列,将由其他进程重试"),
        (re.compile(r"Restoring \d+ unacknowledged message"), "退出前把未完成的任务退回队列"),
    ]

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = record.getMessage()
        except Exception:
            text = str(record.msg)
        for pattern, said in self._KNOWN:
            if pattern.search(text):
                print(said, file=sys.stderr, flush=True)
                return
        first = text.strip().splitlines()[0] if text.strip() else ""
        if first:
            print(f"识别进程日志({record.levelname}):{first}", file=sys.stderr, flush=True)


def _outcome_line(outcome: Any) -> str:
    from docgen.ingest.names import display_name

    name = escape(display_name(outcome.name))
    if outcome.status == "read":
        pages = f"{outcome.pages} 页" + (f"(OCR {outcome.ocr_pages} 页)" if outcome.ocr_pages else "")
        note = f";{escape(outcome.detail)}" if outcome.detail else ""
        return f"[green]已识别[/green] {name}:{pages},{outcome.seconds:.1f} 秒{note}"
    if outcome.status == "poison":
        return f"[red]放弃[/red] {name}:{escape(outcome.detail)}"
    return f"[dim]跳过 {name}:{escape(outcome.detail)}[/dim]"


@click.group("worker", invoke_without_command=True)
@click.option("--broker", metavar="URL", help="任务队列地址(默认 [ingest] workers),如 redis://识别服务器:6379/0。")
@click.option("-p", "--processes", type=click.IntRange(1, 64), default=1, show_default=True,
              help="识别子进程数(每个进程一次识别一个文件;2 核机器上 1-2 个)。")
@click.option("--name", help="识别进程的名称(默认按进程号),显示在队列状态中。")
@pass_app
@click.pass_context
def worker(ctx: click.Context, app: App, broker: str | None, processes: int, name: str | None) -> None:
    """启动识别进程:从任务队列取扫描件,读二维码、文字层并做 OCR,把结果交回档案端归档。

    \b
    档案端(docgen watch)在 docgen.toml 中设 [ingest] workers = "redis://…" 后把识别工作交给它;
    识别进程只需要任务队列地址,不需要档案库,可在其他机器上运行。按 Ctrl+C 停止
    (正在识别的文件先识别完,或退回队列)。
    例:docgen worker --broker redis://192.0.2.10:6379/0 --processes 2
        docgen worker status
    """
    if ctx.invoked_subcommand is not None:
        ctx.obj = app
        ctx.meta["broker"] = broker
        return
    url = _broker(app, broker)
    from docgen.workers import require

    require()
    from docgen.workers.app import run_worker
    from docgen.workers.jobs import shown_url

    root = logging.getLogger()
    root.addHandler(_ChineseLog(level=logging.ERROR))
    out = console()

    def ready(hostname: str) -> None:
        out.print(f"识别进程 {escape(hostname)} 已连接任务队列 {shown_url(url)}({processes} 个子进程,"
                  "每个一次识别一个文件);按 Ctrl+C 停止")

    def outcome(result: Any) -> None:
        out.print(_outcome_line(result))

    with contextlib.suppress(KeyboardInterrupt):
        run_worker(url, processes=processes, name=name, on_outcome=outcome, on_ready=ready,
                   say=lambda text: out.print(escape(text)))
    out.print("识别进程已停止。")


@worker.command("status")
@click.option("--broker", metavar="URL", help="任务队列地址(默认 [ingest] workers)。")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出(供脚本使用)。")
@pass_app
@click.pass_context
def worker_status(ctx: click.Context, app: App, broker: str | None, as_json: bool) -> None:
    """任务队列状态:排队、正在识别的文件,各识别进程近 10 分钟的速度,最近的错误(也可写 docgen worker queue)。"""
    from docgen.workers.status import queue_status

    url = _broker(app, broker or (ctx.parent.meta.get("broker") if ctx.parent else None))
    status = queue_status(url)
    if as_json:
        emit_json(status.as_dict())
        if not status.reachable:
            raise SystemExit(1)
        return
    out = console()
    if not status.reachable:
        out.print(f"[red]{escape(status.problem)}[/red](任务队列 {status.broker})")
        raise SystemExit(1)
    out.print(f"任务队列 {status.broker}:排队 {status.waiting} 个文件,正在识别 {len(status.running)} 个")
    if status.running:
        table("正在识别", ["文件", "识别进程", "进度", "已用秒数", "第几次"],
              [[escape(r.name), escape(r.worker), f"第 {r.page}/{r.pages} 页" if r.pages else r.stage,
                f"{r.seconds:.0f}", str(r.tries)] for r in status.running])
    if status.workers:
        table(f"识别进程(近 {status.window_seconds / 60:.0f} 分钟)",
              ["名称", "状态", "子进程", "文件", "页", "其中 OCR", "页/分钟", "秒/页", "累计页"],
              [[escape(w.name), "运行中" if w.alive else "[dim]已停止[/dim]", str(w.processes or ""), str(w.files_window),
                str(w.pages_window), str(w.ocr_pages_window), f"{w.pages_per_minute:.1f}",
                f"{w.seconds_per_page:.2f}" if w.seconds_per_page is not None else "–", str(w.pages_total)]
               for w in status.workers])
    else:
        out.print("[yellow]没有识别进程在运行(docgen worker)。[/yellow]")
    if status.errors:
        table("最近的错误", ["文件", "识别进程", "原因"],
              [[escape(e.get("name", "")), escape(e.get("worker", "")), escape(e.get("reason", ""))]
               for e in status.errors])


worker.add_command(worker_status, "queue")  # `docgen worker queue`: the same table, by the name clerks use for it
