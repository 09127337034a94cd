"""``docgen demo``: the end-to-end tour on the sample archive, and building sample archives."""

from __future__ import annotations

from pathlib import Path

import click

from docgen.cli.common import App, console, emit_json, kv, pass_app, table


@click.group(invoke_without_command=True)
@click.option("--work", type=click.Path(path_type=Path), default=Path("demo-run"), show_default=True,
              help="演示工作目录(示例档案库的副本放在这里,可随时删除)。")
@click.option("--pdf/--no-pdf", default=True, show_default=True, help="生成文书时同时输出 PDF(需要 LibreOffice)。")
@click.pass_context
def demo(ctx: click.Context, work: Path, pdf: bool) -> None:
    """演示:在示例档案库的副本上走一遍 docgen 的全部功能(不加子命令时)。

    \b
    依次运行:查看档案 → 校验 → 建索引与检索 → 监视收件箱归档扫描件 →
    生成交房方案、交房通知书、赔偿协议、会签表 → 签字版扫描件经二维码回档 → 审计。
    示例档案库(records/)本身不会被修改。人物、证件号码均为虚构。
    在任何目录下都可运行:没有配置示例档案库时,使用随 docgen 安装的示例档案库和模板。
    """
    if ctx.invoked_subcommand is None:
        run_tour(ctx.ensure_object(App), work, pdf)


@demo.command("build")
@click.option("--out", "out", type=click.Path(path_type=Path), help="示例档案库目录(默认为配置中的档案库目录)。")
@click.option("--units", type=click.IntRange(20, 100_000), default=240, show_default=True, help="业主户数。")
@click.option("--seed", type=int, default=2026, show_default=True, help="随机种子:同一种子生成完全相同的档案。")
@click.option("--inbox", type=click.Path(path_type=Path), help="示例扫描件的收件箱目录(默认为档案库旁的 demo-inbox)。")
@click.option("--force", is_flag=True, help="目录已有示例档案库时删除重建。")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出结果。")
@pass_app
def build_cmd(app: App, out: Path | None, units: int, seed: int, inbox: Path | None, force: bool, as_json: bool) -> None:
    """生成示例档案库:两个项目、交房批次、业主档案、文件、报修投诉回访,以及故意植入的问题。"""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TaskID,
        TextColumn,
        TimeElapsedColumn,
    )

    from docgen.demo.build import build_demo
    from docgen.demo.plant import KIND_LABELS

    root = out if out is not None else app.config.archive_path
    show_bar = not as_json and console().is_terminal
    with Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=console(), disable=not show_bar, transient=True,
    ) as bar:
        tasks: dict[str, TaskID] = {}

        def progress(stage: str, done: int, total: int, label: str) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=total)
            bar.update(tasks[stage], completed=done, total=total)

        summary = build_demo(root, units=units, seed=seed, progress=progress, force=force, inbox=inbox)
    if as_json:
        emit_json(summary.as_dict())
        return
    console().print(f"已生成示例档案库:{summary.root}")
    kv(
        [
            ("项目", "、".join(summary.projects)),
            ("交房批次", summary.batches),
            ("业主档案", summary.dossiers),
            ("文件", f"{summary.documents}(其中扫描件 {summary.scans})"),
            ("报修/投诉/回访/结算", f"{summary.repairs}/{summary.complaints}/{summary.revisits}/{summary.settlements}"),
            ("示例“今天”", summary.today.isoformat()),
            ("占用磁盘", f"{summary.bytes_on_disk / 1e6:.1f} MB"),
            ("用时", f"{summary.seconds:.1f} 秒"),
            ("收件箱", f"{summary.inbox}({len(summary.inbox_files)} 个扫描件)"),
        ]
    )
    kinds: dict[str, int] = {}
    for p in summary.planted:
        kinds[p["kind"]] = kinds.get(p["kind"], 0) + 1
    rows = [(KIND_LABELS.get(k, k), k, n) for k, n in sorted(kinds.items())]
    table("故意植入的问题(详见 DEMO-PLANTED.json)", ["问题", "代码", "数量"], rows)


def run_tour(app: App, work: Path, pdf: bool) -> None:
    """Run the tour's steps, each a real docgen command in its own process, and show their output."""
    import shutil
    import subprocess
    import sys
    import time

    from docgen.archive import Archive
    from docgen.demo import tour
    from docgen.errors import DocgenError
    from docgen.generate.catalog import templates_folder

    config = app.config
    sample, sample_inbox = tour.find_sample(config.archive_path)
    out = console()
    out.rule("[bold]docgen 演示[/bold]")
    if sample is None:
        out.print(f"没有找到示例档案库({config.archive_path} 不是示例档案库,docgen 也未附带):先生成一个(60 户)。")
    ws = tour.prepare(work, sample, sample_inbox, templates_folder(config.generate))
    origin = f";原档案库 {sample} 不会被修改" if sample is not None else ""
    out.print(f"工作目录:{ws.root}(示例档案库的副本{origin})")
    ex = tour.pick_examples(Archive.open(ws.records))
    has_soffice = bool(config.generate.soffice or shutil.which("soffice") or shutil.which("libreoffice"))
    pdf_flag = ["--pdf"] if pdf and has_soffice else []
    if pdf and not has_soffice:
        out.print("[yellow]未安装 LibreOffice:只生成 docx(安装 libreoffice-writer-nogui 后可输出 PDF)。[/yellow]")
    today = ["--today", ex.today] if ex.today else []
    steps: list[tour.Step] = [
        tour.Step("项目与档案", ["project", "list"]),
        tour.Step("一户一档", ["dossier", "show", ex.dossier], note="身份证号码和电话默认遮蔽,--reveal 显示并记入日志"),
        tour.Step("固定性校验:文件哈希、日志哈希链、孤立和缺失文件", ["verify"], ok_codes=(0, 3),
                  note="示例中故意手工改动了两处文件,verify 会指出来"),
        tour.Step("建立检索索引", ["index", "rebuild"]),
        tour.Step("按房号检索", ["search", "3栋2单元1203", "--limit", "5"]),
        tour.Step("按业主姓名检索", ["search", ex.owner, "--limit", "5"]),
        tour.Step("全文检索", ["search", "渗漏", "--limit", "5"]),
        tour.Step("未结的渗漏报修(一次查询)", ["search", "渗漏", "--kind", "repair", "--open"]),
        tour.Step("监视收件箱:等文件写完,识别(二维码/文件名/内容),OCR,归档", ["watch", "--once"],
                  ok_codes=(0, 1), note="示例收件箱中有一个损坏的 PDF:它会被移到 failed/ 并写明原因"),
        tour.Step("待人工确认的扫描件", ["review", "list"]),
        tour.Step("生成交房方案:交付条件按档案逐项列出", ["generate", "handover-plan", ex.batch, *pdf_flag]),
        tour.Step("批量生成交房通知书(及每户面积补差单)", ["generate", "notices", ex.batch, *pdf_flag], ok_codes=(0, 1),
                  note="必备的交付条件(竣工验收备案、预售许可证、实测面积、两书)未落实时拒绝并逐条说明;"
                       "已通知或已收房的房屋逐户拒绝(--again 补发)"),
    ]
    if ex.ticket:
        steps.append(tour.Step("生成质量问题赔偿协议", ["generate", "compensation", ex.ticket, *pdf_flag]))
        steps.append(tour.Step("业主签字后扫描回来(模拟):页眉二维码带着文件编号",
                               action=lambda: f"已放入收件箱:{tour.scan_back(ws, ex.ticket)}"))  # type: ignore[arg-type]
        steps.append(tour.Step("签字版归档:二维码把它归到同一份文件并标记已签署", ["watch", "--once"]))
        steps.append(tour.Step("已签署的赔偿协议", ["search", "赔偿协议", "--signed", "yes", "--limit", "5"]))
    if ex.sheet:
        steps.append(tour.Step("生成第三方维修费用支付会签表", ["generate", "settlement", ex.sheet, *pdf_flag]))
    steps.append(tour.Step("审计:完整性、准确性、及时性(同时写出 HTML 报告)",
                           ["audit", *today, "--top", "8", "--out", str(ws.root / "审计报告.html")], ok_codes=(0, 3),
                           note="示例档案库中故意植入了问题;有问题时退出码为 3。Excel 报告:--out 审计报告.xlsx"))
    steps.append(tour.Step("变更日志", ["journal", "--limit", "8"]))

    env = {**__import__("os").environ, "COLUMNS": str(max(out.width, 120))}
    started = time.perf_counter()
    for n, step in enumerate(steps, start=1):
        if step.title:
            out.rule(f"[bold]{n}. {step.title}[/bold]", align="left")
        if step.note:
            out.print(f"[dim]{step.note}[/dim]")
        if step.action is not None:
            out.print(step.action())
            continue
        shown = " ".join(a if " " not in a else f"'{a}'" for a in step.args)
        out.print(f"[cyan]$ docgen {shown}[/cyan]")
        proc = subprocess.run([sys.executable, "-m", "docgen", "--config", str(ws.config), *step.args],
                              env=env, cwd=ws.root, check=False)
        if proc.returncode not in step.ok_codes:
            raise DocgenError(f"演示在第 {n} 步失败:docgen {shown}(退出码 {proc.returncode})")
    from docgen.demo.accounts import make_demo_accounts

    accounts = make_demo_accounts(Archive.open(ws.records, actor="演示"))
    out.rule("[bold]演示完成[/bold]")
    kv([
        ("用时", f"{time.perf_counter() - started:.0f} 秒"),
        ("工作目录", str(ws.root)),
        ("生成的文书", str(ws.root / "output")),
        ("审计报告", str(ws.root / "审计报告.html")),
        ("试试", f"docgen --config {ws.config} search 交房通知书"),
        ("网页端", f"docgen --config {ws.config} serve   然后用浏览器打开 http://127.0.0.1:8000/"),
    ])
    table("网页端演示账号(每个角色一个;密码仅本次演示有效,仅用于演示)", ["用户名", "角色", "可查看项目", "密码"],
          [(a.name, a.role_label, "、".join(a.projects) or "全部", a.password) for a in accounts])
