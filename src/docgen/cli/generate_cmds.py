"""``docgen generate …`` and ``docgen templates …``: paperwork from the archive.

Each command parses its arguments, calls one :class:`~docgen.generate.service.Generator`
method and shows the result; the progress of a batch is drawn with rich from
the core's progress callback.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from docgen.cli.common import (
    App,
    console,
    emit_json,
    err_console,
    pass_app,
    reveal_options,
    reveal_reason,
    table,
)


def _options(fn: Callable[..., Any]) -> Callable[..., Any]:
    fn = click.option("--json", "as_json", is_flag=True, help="以 JSON 输出结果(供脚本使用)。")(fn)
    fn = click.option("--out", "out", type=click.Path(path_type=Path), help="输出目录(默认为配置 [generate] output)。")(fn)
    fn = click.option("--pdf", is_flag=True, help="同时用 LibreOffice 生成 PDF(需已安装 LibreOffice)。")(fn)
    return fn


def _generator(app: App, out: Path | None) -> Any:
    from docgen.generate.service import Generator

    return Generator(app.archive, app.config.generate, output=out, role=app.role)


@contextmanager
def _progress(enabled: bool) -> Iterator[Callable[[str, int, int, str], None]]:
    """A rich progress bar driven by the core's (stage, done, total, label) callback."""
    if not enabled:
        yield lambda stage, done, total, label: None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    tasks: dict[str, Any] = {}
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.fields[label]}"),
        console=err_console(),
        transient=True,
    ) as bar:

        def update(stage: str, done: int, total: int, label: str) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=total, label="")
            bar.update(tasks[stage], completed=done, total=total, label=label)

        yield update


def _show(result: Any, as_json: bool) -> None:
    if as_json:
        emit_json(
            {
                "kind": result.kind,
                "output_dir": result.output_dir,
                "fonts": result.fonts,
                "font_note": result.font_note,
                "warnings": result.warnings,
                "documents": [
                    {
                        "doc_id": d.doc_id,
                        "owner": d.owner_key,
                        "label": d.label,
                        "docx": d.docx,
                        "pdf": d.pdf,
                        "pdf_doc_id": d.pdf_doc_id,
                    }
                    for d in result.documents
                ],
            }
        )
        return
    rows = [(d.doc_id, d.owner_key, d.label, d.docx.name, d.pdf_doc_id or "") for d in result.documents]
    table(f"已生成并归档 {len(rows)} 份{result.documents[0].title if rows else ''}(未签署)", ["文件编号", "归档位置", "房号/批次", "docx", "PDF 文件编号"], rows)
    console().print(f"输出目录:{result.output_dir}")
    if result.fonts:
        console().print(f"PDF 字体:{'、'.join(result.fonts)}({result.font_note})")
    for warning in result.warnings:
        err_console().print(f"[yellow]提醒:{warning}[/yellow]")


@click.group()
def generate() -> None:
    """生成文书:交房方案、交房通知书、质量问题赔偿协议、第三方维修费用支付会签表。

    每份文书有文件编号,页眉印有二维码,生成后即作为"系统生成、未签署"文件归档;
    签字盖章后的纸质件扫描入库时按二维码自动归入同一份文件。
    """


@generate.command("handover-plan")
@click.argument("batch")
@_options
@reveal_options
@pass_app
def handover_plan_cmd(app: App, batch: str, pdf: bool, out: Path | None, as_json: bool, reveal: bool, reason: str | None) -> None:
    """为交房批次 BATCH(如 HXSZ/B01)生成交房方案,归入项目。"""
    why = reveal_reason(app, reveal, reason, "generate")
    with _progress(not as_json) as progress:
        result = _generator(app, out).handover_plan(batch, pdf=pdf, reveal=reveal, reason=why, progress=progress)
    _show(result, as_json)


@generate.command("notices")
@click.argument("batch")
@click.option("--unit", "units", multiple=True, help="只为这些房号生成(可重复),默认批次内全部房屋。")
@_options
@reveal_options
@pass_app
def notices_cmd(app: App, batch: str, units: tuple[str, ...], pdf: bool, out: Path | None, as_json: bool, reveal: bool, reason: str | None) -> None:
    """为交房批次 BATCH 的每户生成交房通知书(一次运行),分别归入各户档案。"""
    why = reveal_reason(app, reveal, reason, "generate")
    with _progress(not as_json) as progress:
        result = _generator(app, out).notices(batch, units=list(units) or None, pdf=pdf, reveal=reveal, reason=why, progress=progress)
    _show(result, as_json)


@generate.command("compensation")
@click.argument("ticket")
@_options
@reveal_options
@pass_app
def compensation_cmd(app: App, ticket: str, pdf: bool, out: Path | None, as_json: bool, reveal: bool, reason: str | None) -> None:
    """为报修单 TICKET(如 BX-2026-00001)生成质量问题赔偿协议。"""
    why = reveal_reason(app, reveal, reason, "generate")
    with _progress(not as_json) as progress:
        result = _generator(app, out).compensation(ticket, pdf=pdf, reveal=reveal, reason=why, progress=progress)
    _show(result, as_json)


@generate.command("settlement")
@click.argument("sheet")
@_options
@pass_app
def settlement_cmd(app: App, sheet: str, pdf: bool, out: Path | None, as_json: bool) -> None:
    """为结算记录 SHEET(如 HQ-2026-00001)生成第三方维修费用支付会签表。"""
    with _progress(not as_json) as progress:
        result = _generator(app, out).settlement(sheet, pdf=pdf, progress=progress)
    _show(result, as_json)


@click.group()
def templates() -> None:
    """文书模板:列出模板、检查模板字段。"""


@templates.command("list")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出。")
@pass_app
def templates_list(app: App, as_json: bool) -> None:
    """列出 docgen 使用的模板文件及其用途。"""
    from docgen.generate.catalog import TEMPLATES, template_path

    rows: list[dict[str, Any]] = []
    for kind, spec in TEMPLATES.items():
        path = template_path(app.config.generate, kind)
        rows.append({"kind": kind, "title": spec.title, "for": spec.subject, "path": path, "exists": path.is_file()})
    if as_json:
        emit_json(rows)
        return
    table("文书模板", ["类型", "名称", "数据来源", "文件", "状态"], [(r["kind"], r["title"], r["for"], r["path"].name, "存在" if r["exists"] else "缺失") for r in rows])
    from docgen.generate.catalog import templates_folder

    folder = templates_folder(app.config.generate)
    builtin = "" if folder == app.config.generate.templates else f"(内置默认模板;{app.config.generate.templates} 不存在)"
    console().print(f"模板目录:{folder}{builtin}")


@templates.command("check")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出。")
@pass_app
def templates_check(app: App, as_json: bool) -> None:
    """列出每个模板使用的字段,并检查数据能否提供;有问题时退出码为 1。"""
    from docgen.generate.catalog import check_templates

    reports = check_templates(app.config.generate)
    if as_json:
        emit_json([{**r.__dict__, "ok": r.ok} for r in reports])
    else:
        for r in reports:
            status = "[green]通过[/green]" if r.ok else "[red]未通过[/red]"
            console().print(f"[bold]{r.title}[/bold]({r.path.name}):{status}")
            if r.variables:
                console().print("  字段:" + "、".join(r.variables))
            if r.unsupplied:
                console().print("  [red]数据无法提供的字段:[/red]" + "、".join(r.unsupplied))
            if r.error:
                console().print(f"  [red]{r.error}[/red]")
    if not all(r.ok for r in reports):
        raise click.exceptions.Exit(1)
