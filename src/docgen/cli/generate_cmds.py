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

from docgen.cli.common import App, console, emit_json, err_console, output_folder, pass_app, table


def _options(fn: Callable[..., Any]) -> Callable[..., Any]:
    fn = click.option("--json", "as_json", is_flag=True, help="以 JSON 输出结果(供脚本使用)。")(fn)
    fn = click.option("--out", "out", type=click.Path(path_type=Path), callback=output_folder,
                      help="输出目录(默认为配置 [generate] output)。")(fn)
    fn = click.option("--pdf", is_flag=True, help="同时用 LibreOffice 生成 PDF(需已安装 LibreOffice)。")(fn)
    return fn


def _reveal(fn: Callable[..., Any]) -> Callable[..., Any]:
    fn = click.option("--reason", default="", help="理由:--reveal 的用途,或 --force 的原因(记入日志)。")(fn)
    return click.option("--reveal", is_flag=True, help="显示完整的电话(默认脱敏;记入日志)。")(fn)


def _notice_hints() -> Any:
    """How a terminal user asks for what a refusal of notices offers: this command's flags."""
    from docgen.generate.refusals import Hints

    return Hints(force="加 --force --reason 说明理由", reason="强制生成(--force)须用 --reason 写明理由",
                 again="加 --again", conditions="用 docgen batch condition {ref} …")


def _generator(app: App, out: Path | None) -> Any:
    from docgen.generate.service import Generator

    return Generator(None, app.config.generate, output=out, session=app.session)


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
                "unreadable": result.unreadable,
                "flags": result.flags,
                "refused": [{"unit": r.unit, "label": r.label, "reason": r.reason} for r in result.refused],
                "merged_pdf": result.merged_pdf,
                "merged_pages": result.merged_pages,
                "draft": result.draft,
                "forced": result.forced,
                "documents": [
                    {
                        "doc_id": d.doc_id,
                        "kind": d.kind,
                        "title": d.title,
                        "owner": d.owner_key,
                        "label": d.label,
                        "docx": d.docx,
                        "pdf": d.pdf,
                        "pdf_doc_id": d.pdf_doc_id,
                        "supersedes": d.supersedes,
                    }
                    for d in result.documents
                ],
            }
        )
        return
    if result.documents:
        titles = "、".join(dict.fromkeys(d.title for d in result.documents))
        draft = "草稿," if result.draft else ""
        rows = [(d.doc_id, d.title, d.owner_key, d.label, d.docx.name, d.pdf_doc_id or "") for d in result.documents]
        table(f"已生成并归档 {len(rows)} 份{titles}({draft}未签署)", ["文件编号", "文书", "归档位置", "房号/批次", "docx", "PDF 文件编号"], rows)
        console().print(f"输出目录:{result.output_dir}")
    if result.merged_pdf:
        console().print(f"合并打印文件(双面打印,每份从奇数页开始;未归档):{result.merged_pdf}(共 {result.merged_pages} 页)")
    if result.fonts:
        console().print(f"PDF 字体:{'、'.join(result.fonts)}({result.font_note})")
    if result.forced:
        err_console().print(f"[yellow]交付条件未具备,按 --force 生成;理由已记入日志:{result.forced}[/yellow]")
    for refusal in result.refused:
        err_console().print(f"[yellow]未生成 {refusal.label}:{refusal.reason}[/yellow]")
    for flag in result.flags:
        err_console().print(f"[bold red]须处理:{flag}[/bold red]")
    for warning in result.warnings:
        err_console().print(f"[yellow]提醒:{warning}[/yellow]")
    if not result.documents and result.refused:
        err_console().print(f"[red]没有生成任何文书:所选的 {len(result.refused)} 户都不能生成(原因见上)[/red]")


def _exit_if_nothing(result: Any) -> None:
    """Exit 1 when every unit was refused: nothing was generated, which a script must notice."""
    if not result.documents and result.refused:
        raise click.exceptions.Exit(1)


@click.group()
def generate() -> None:
    """生成文书:交房方案、交房通知书、质量问题赔偿协议、第三方维修费用支付会签表。

    每份文书有文件编号,页眉印有二维码,生成后即作为"系统生成、未签署"文件归档;
    签字盖章后的纸质件扫描入库时按二维码自动归入同一份文件。
    """


@generate.command("handover-plan")
@click.argument("batch")
@_options
@_reveal
@pass_app
def handover_plan_cmd(app: App, batch: str, pdf: bool, out: Path | None, as_json: bool, reveal: bool, reason: str) -> None:
    """为交房批次 BATCH(如 HXSZ/B01)生成交房方案,归入项目。

    交付条件(竣工验收备案、预售许可证、面积实测、两书、门牌、水电气、电梯、清洁)
    按档案中的登记逐项列出;未落实的会提醒。
    """
    with _progress(not as_json) as progress:
        result = _generator(app, out).handover_plan(batch, pdf=pdf, reveal=reveal, reason=reason, progress=progress)
    _show(result, as_json)


@generate.command("notices")
@click.argument("batch")
@click.option("--unit", "units", multiple=True, help="只为这些房号生成(可重复),默认批次内全部房屋。")
@click.option("--again", is_flag=True, help="为已通知或已收房的房屋补发:新通知书替代原通知书。")
@click.option("--force", is_flag=True, help="交付条件未具备时仍生成(须同时用 --reason 写明理由,记入日志)。")
@click.option("--strict", is_flag=True, help="有任何一户不能生成时,整批都不生成(退出码 1)。")
@click.option("--merged", is_flag=True, help="另出一份合并打印的 PDF(按房号顺序,每份从奇数页开始,便于双面打印;含 --pdf)。")
@click.option("--channel", default="EMS+电话+短信", show_default=True, help="通知方式,记入每户的批次记录。")
@click.option("--no-area-sheet", "no_area_sheet", is_flag=True, help="不随通知书生成面积补差单。")
@_options
@_reveal
@pass_app
def notices_cmd(app: App, batch: str, units: tuple[str, ...], again: bool, force: bool, strict: bool, merged: bool,
                channel: str, no_area_sheet: bool, pdf: bool, out: Path | None, as_json: bool, reveal: bool,
                reason: str) -> None:
    """为交房批次 BATCH 的每户生成交房通知书和面积补差单(一次运行),分别归入各户档案。

    必备的交付条件(竣工验收备案、预售许可证、各户实测面积、两书)未落实时拒绝生成并说明原因;
    生成后每户在批次中记为已通知(日期、方式)。已通知或已收房的房屋逐户拒绝并说明
    (--again 补发)。有房屋未生成时仍生成其余各户;全部未生成时退出码为 1。
    面积误差比超出 ±3% 的房屋会特别提示:送达前须向业主说明其退房权利。
    """
    with _progress(not as_json) as progress:
        result = _generator(app, out).notices(
            batch, units=list(units) or None, pdf=pdf, merged=merged, reveal=reveal, again=again, force=force,
            reason=reason, strict=strict, channel=channel, area_sheets=not no_area_sheet, hints=_notice_hints(),
            progress=progress,
        )
    _show(result, as_json)
    from docgen.cli.common import fail_if_unreadable

    fail_if_unreadable(result.unreadable, "其余各户的通知书已生成并归档")
    _exit_if_nothing(result)


@generate.command("compensation")
@click.argument("ticket")
@_options
@click.option("--reason", default="", help="载明业主完整身份信息的用途(记入日志;默认:赔偿协议须载明当事人完整身份信息)。")
@pass_app
def compensation_cmd(app: App, ticket: str, pdf: bool, out: Path | None, as_json: bool, reason: str) -> None:
    """为报修单 TICKET(如 BX-2026-00001)生成质量问题赔偿协议。

    协议是合同,载明业主及共有人完整的身份证号码、住址和电话;每次生成都作为
    查看个人信息记入日志(谁、什么、为何、去向)。
    """
    with _progress(not as_json) as progress:
        result = _generator(app, out).compensation(ticket, pdf=pdf, reason=reason, progress=progress)
    _show(result, as_json)
    if not as_json:
        err_console().print("[dim]协议载明业主完整身份信息,已记入日志(privacy.reveal)。[/dim]")


@generate.command("settlement")
@click.argument("sheet")
@_options
@click.option("--final", is_flag=True, help="只生成正式会签表:会签链未签完时拒绝(默认生成草稿,每页标注「草稿」)。")
@pass_app
def settlement_cmd(app: App, sheet: str, pdf: bool, out: Path | None, as_json: bool, final: bool) -> None:
    """为结算记录 SHEET(如 HQ-2026-00001)生成第三方维修费用支付会签表。

    按会签顺序列出已记录的每个签字及日期;会签未完成时为草稿(每页标注「草稿」)。
    """
    with _progress(not as_json) as progress:
        result = _generator(app, out).settlement(sheet, pdf=pdf, final=final, progress=progress)
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
    """列出每个模板使用的字段,检查数据能否提供、文字是否合乎版式;有问题时退出码为 1。

    版式:中文正文中紧挨汉字的半角标点(, : ; ( ))应为全角(，：；（）),数字、日期、
    编号中的照旧;发给业主或主管部门的文书中不应出现软件名称。
    """
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
            for problem in r.style:
                console().print(f"  [red]版式:[/red]{problem}")
            if r.error:
                console().print(f"  [red]{r.error}[/red]")
    if not all(r.ok for r in reports):
        raise click.exceptions.Exit(1)
