"""``docgen demo``: the sample archive (and, later, the end-to-end tour)."""

from __future__ import annotations

from pathlib import Path

import click

from docgen.cli.common import App, console, emit_json, kv, pass_app, table


@click.group()
def demo() -> None:
    """示例数据:生成一个虚构的示例档案库(人物、证件号码均为虚构)。"""


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
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from docgen.demo.build import build_demo
    from docgen.demo.plant import KIND_LABELS

    root = out if out is not None else app.config.archive_path
    show_bar = not as_json and console().is_terminal
    with Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=console(), disable=not show_bar, transient=True,
    ) as bar:
        tasks: dict[str, int] = {}

        def progress(stage: str, done: int, total: int) -> None:
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
