"""CLI for the audit: ``docgen audit``, ``docgen verify`` (with ``accept``/``restore``), ``docgen export``, ``docgen rules``.

Each command parses its options, calls one core function in ``docgen.audit``
and shows the result.  ``audit`` and ``verify`` exit with status 3 when they
find problems at or above the chosen severity, so that a scheduled job can
alert on them (1 and 2 remain "the command failed" and "bad usage").
"""

from __future__ import annotations

import contextlib
import datetime as dt
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import click

from docgen.cli.common import DATE, App, console, emit_json, kv, pass_app, reveal_reason, table
from docgen.progress import Progress, no_progress

FINDINGS_EXIT = 3
SEV_CHOICE = click.Choice(["error", "warning", "info"])


@contextlib.contextmanager
def _progress(what: str) -> Iterator[Progress]:
    """A spinner on stderr with a running count (only on a terminal; silent in pipes and tests)."""
    if not sys.stderr.isatty():
        yield no_progress
        return
    from docgen.cli.common import err_console

    with err_console().status(f"{what}…") as status:

        def tick(stage: str, done: int, total: int, label: str) -> None:
            if done % 200 == 0:
                status.update(f"{what}… 已处理 {done} 户")

        yield tick


def _sev(s: str) -> str:
    from docgen.audit.findings import SEVERITY_LABELS

    return SEVERITY_LABELS.get(s, s)


@click.command("audit")
@click.option("--project", help="只审计一个项目(如 HXSZ)。")
@click.option("--batch", help="只审计某个交房批次的档案(如 B01)。")
@click.option("--stage", type=click.Choice(["签约", "交房", "办证", "保修期"]), help="只审计处于该阶段的档案。")
@click.option("--severity", "min_severity", type=SEV_CHOICE, default="info", show_default=True, help="只报告该严重程度及以上的问题。")
@click.option("--format", "fmt", type=click.Choice(["csv", "xlsx", "html", "json"]), help="同时写出报表文件的格式。")
@click.option("--out", type=click.Path(path_type=Path, dir_okay=False), help="报表文件路径(默认 audit-日期.格式)。")
@click.option("--fail-on", type=click.Choice(["error", "warning", "info", "never"]), help="有该严重程度及以上的问题时退出码为 3(默认取配置 [audit] fail_on)。")
@click.option("--rules", "rules_path", type=click.Path(path_type=Path, dir_okay=False), help="使用指定的规则文件(默认档案库的 rules.json,没有则用内置默认规则)。")
@click.option("--today", "as_of", type=DATE, help="按该日期判断是否逾期(默认今天),如 2026-12-31。")
@click.option("--top", default=10, show_default=True, help="列出问题最多的档案数。")
@click.option("--list", "list_all", is_flag=True, help="在终端列出每一条问题。")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出汇总(供脚本使用)。")
@pass_app
def audit_cmd(
    app: App, project: str | None, batch: str | None, stage: str | None, min_severity: str, fmt: str | None,
    out: Path | None, fail_on: str | None, rules_path: Path | None, as_of: dt.date | None, top: int,
    list_all: bool, as_json: bool,
) -> None:
    """审计档案的完整性、准确性和及时性。

    \b
    例:docgen audit
        docgen audit --project HXSZ --stage 交房 --severity warning
        docgen audit --format xlsx --out 审计.xlsx
        docgen audit --format html --out 审计.html --fail-on error
    """
    from docgen.services.audit import AuditRequest, run_audit

    request = AuditRequest(project=project, batch=batch, stage=stage, min_severity=min_severity, fmt=fmt, out=out,
                           fail_on=fail_on, rules_path=rules_path, today=as_of, top=top, keep_findings=list_all)
    with _progress("正在审计") as tick:
        outcome = run_audit(app.session, request, progress=tick)
    if as_json:
        emit_json(outcome.as_dict())
    else:
        _show_summary(outcome.summary, outcome.meta, outcome.findings)
        if outcome.report:
            console().print(f"报表已写入 {outcome.report}")
    if outcome.failing:
        if not as_json:
            click.echo(f"有 {outcome.failing} 条问题达到或超过「{_sev(outcome.threshold)}」级别(退出码 {FINDINGS_EXIT})。",
                       err=True)
        sys.exit(FINDINGS_EXIT)


def _show_summary(summary: Any, meta: dict[str, str], shown: Sequence[Any]) -> None:
    from docgen.audit.findings import RULES

    data = summary.as_dict()
    sev = data["by_severity"]
    kv([
        ("审计日期", meta["today"]),
        ("规则", meta["rules"]),
        ("筛选", meta["filters"] or "全部"),
        ("已审计档案", f"{data['dossiers_checked']} 户,其中 {data['dossiers_with_findings']} 户有问题"),
        ("问题", f"错误 {sev['error']},警告 {sev['warning']},提示 {sev['info']}"),
    ])
    if not data["total"]:
        console().print("[green]没有发现问题。[/green]")
        return
    cols = ["错误", "警告", "提示"]
    table("按项目", ["项目", *cols], [(r["project"], r["error"], r["warning"], r["info"]) for r in data["by_project"]])
    if data["by_batch"]:
        table("按交房批次", ["项目/批次", *cols], [(f"{r['project']}/{r['batch']}", r["error"], r["warning"], r["info"]) for r in data["by_batch"]])
    table("按阶段", ["阶段", *cols], [(r["stage"], r["error"], r["warning"], r["info"]) for r in data["by_stage"]])
    table("按规则", ["规则", "问题", *cols], [(r["rule"], RULES[r["rule"]][1], r["error"], r["warning"], r["info"]) for r in data["by_rule_table"]])
    table("问题最多的档案", ["档案", "阶段", "批次", *cols, "主要问题"], [
        (w["key"], w["stage"], w["batch"], w["error"], w["warning"], w["info"], "、".join(RULES[r][1] for r in list(w["rules"])[:3]))
        for w in data["worst"]
    ])
    if shown:
        table("问题清单", ["级别", "档案", "规则", "说明"], [(_sev(f.severity), f.key, f.rule, f.message) for f in shown])


@click.command("verify")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出(供脚本使用)。")
@pass_app
def verify_cmd(app: App, as_json: bool) -> None:
    """核对档案库的完整性(固定性):文件哈希、日志哈希链、孤立文件和缺失文件。

    \b
    例:docgen verify
        docgen verify --json
    有错误时退出码为 3。
    """
    from docgen.audit.fixity import Verifier

    verifier = Verifier(app.archive)
    with _progress("正在核对") as tick:
        problems = list(verifier.run(progress=tick))
    st = verifier.stats
    if as_json:
        emit_json({"problems": [p.as_dict() for p in problems], "stats": st.__dict__})
    else:
        kv([
            ("档案", f"{st.dossiers} 户"),
            ("记录文件", st.records),
            ("文件", f"{st.documents} 份,{st.bytes / 1e6:.1f} MB"),
            ("日志条目", st.journal_entries),
        ])
        if problems:
            table(f"发现 {len(problems)} 处问题", ["级别", "类型", "路径", "说明"], [(_sev(p.severity), p.code, p.path, p.message) for p in problems])
        else:
            console().print("[green]档案库完好:所有文件与记录、日志一致。[/green]")
    if any(p.severity == "error" for p in problems):
        sys.exit(FINDINGS_EXIT)


def _show_reconciled(result: object, verb: str) -> None:
    from docgen.archive.reconcile import describe_path

    done = result.done  # type: ignore[attr-defined]
    entry = result.entry  # type: ignore[attr-defined]
    for rel in result.unchanged:  # type: ignore[attr-defined]
        console().print(f"{rel}:与日志记载一致,无需{verb}")
    for state in done:
        console().print(f"已{verb} {state.path}({describe_path(state.path)})")
    if entry is not None:
        console().print(f"已记入日志第 {entry.seq} 条。")
    for note in result.notes:  # type: ignore[attr-defined]
        console().print(f"[yellow]注意[/yellow] {note}")


@click.command("accept")
@click.argument("paths", nargs=-1, required=True)
@click.option("--reason", default="", help="认可的原因:谁改的、为什么(必填,记入日志)。")
@pass_app
def accept_cmd(app: App, paths: tuple[str, ...], reason: str) -> None:
    """认可在 docgen 之外对文件的改动:把文件现在的内容记入日志(文件本身不变)。

    PATH 为 docgen verify 列出的路径(也可写档案库中的实际路径,或档案编号如
    HXSZ/03-2-1203 表示其 dossier.json)。只有能正常读取的记录文件和文字稿可以认可;
    归档文件(PDF、图片)不能认可,只能恢复。

    \b
    例:docgen accept projects/HXSZ/dossiers/03-2-1203/dossier.json --reason "张三按业主来电更正电话"
        docgen accept counters.json --reason "从备份恢复了旧的计数器"
    """
    from docgen.archive.reconcile import accept_changes

    _show_reconciled(accept_changes(app.archive, paths, reason), "认可")


@click.command("restore")
@click.argument("paths", nargs=-1, required=True)
@click.option("--from", "source", type=click.Path(path_type=Path), help="备份:档案库的副本(目录)或该文件的副本。")
@pass_app
def restore_cmd(app: App, paths: tuple[str, ...], source: Path | None) -> None:
    """把在 docgen 之外被改动或删除的文件恢复为日志记载的内容(记入日志)。

    docgen 在日志中只保存每个文件的哈希,不保存旧版本:从 --from 指定的备份中取出
    同一路径的文件,核对其哈希与日志记载的一致后放回;不给 --from 时,只在档案库中
    另有相同内容的文件(如各户相同的住宅质量保证书)时才能恢复。

    \b
    例:docgen restore projects/HXSZ/dossiers/03-2-1203/dossier.json --from /备份/records
        docgen restore counters.json --from /备份/records/counters.json
    """
    from docgen.archive.reconcile import restore_files

    _show_reconciled(restore_files(app.archive, paths, source), "恢复")


@click.command("export")
@click.argument("dossier")
@click.option("--bagit", "bag_dir", required=True, type=click.Path(path_type=Path, file_okay=False), help="写出 BagIt 包的目录(须不存在或为空)。")
@click.option("--reveal", is_flag=True, help="确认导出未脱敏的个人信息(必需:包内的记录和扫描件无法脱敏)。")
@click.option("--reason", metavar="原因", help="为什么导出、交给谁(必填;与去向一起记入档案日志)。")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出结果。")
@pass_app
def export_cmd(app: App, dossier: str, bag_dir: Path, reveal: bool, reason: str | None, as_json: bool) -> None:
    """把一户档案导出为 BagIt 包(交登记机构、律师或外部审计)。

    \b
    例:docgen export HXSZ/03-2-1203 --bagit 导出/03-2-1203 --reveal --reason "交不动产登记中心办理产权证"
    包内含未脱敏的个人信息,仅交授权接收方;每次导出连同原因和去向记入档案日志。
    """
    from docgen.audit.export import export_bag
    from docgen.errors import UsageError

    if not reveal:
        raise UsageError("BagIt 包含未脱敏的个人信息(档案记录和扫描件原件无法脱敏):"
                         '须加 --reveal --reason "原因"(如 交不动产登记中心办理产权证),导出和去向会记入档案日志')
    why = reveal_reason(app, reveal, reason, "export")
    result = export_bag(app.archive, dossier, bag_dir, reason=why, role=app.role)
    if as_json:
        emit_json({"bag": str(result.bag_dir), "files": result.files, "bytes": result.bytes})
    else:
        console().print(f"已导出 {dossier} 到 {result.bag_dir}({result.files} 个文件),BagIt 校验通过。")
        console().print("注意:包内含未脱敏的个人信息,仅交授权接收方。")


@click.group("rules")
def rules_group() -> None:
    """查看、初始化和检查审计规则(records/rules.json)。"""


@rules_group.command("show")
@click.option("--project", help="显示该项目生效的规则(含项目覆盖)。")
@click.option("--file", "rules_path", type=click.Path(path_type=Path, dir_okay=False), help="查看指定规则文件。")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出完整规则。")
@pass_app
def rules_show(app: App, project: str | None, rules_path: Path | None, as_json: bool) -> None:
    """显示生效的审计规则:各阶段要求的文件、期限、保修期。"""
    from docgen.audit.findings import RULES
    from docgen.audit.rules import load_rules, rules_as_json
    from docgen.vocab import STAGES, doc_type_label

    archive = app.archive if rules_path is None else None
    rules, source = load_rules(archive, rules_path)
    if as_json:
        emit_json({"source": source, "rules": rules_as_json(rules)})
        return
    code = (project or "").upper()
    console().print(f"规则来源:{source}")
    rows = []
    for stage in STAGES:
        req, signed = rules.required_for(code, stage)
        own = [c for c, s in req.items() if s == stage]
        rows.append((stage, "、".join(doc_type_label(c) for c in own) or "—",
                     "、".join(doc_type_label(c) for c in own if c in signed) or "—"))
    table("各阶段要求的文件(后一阶段同时要求前面各阶段的文件)", ["阶段", "要求的文件", "须签字"], rows)
    dl = rules.deadlines_for(code)
    kv([
        ("定期回访", f"每 {dl.revisit_interval_months} 个月"),
        ("投诉关闭后回访", f"{dl.revisit_after_complaint_days} 天内"),
        ("维修完成后回访", f"{dl.revisit_after_repair_days} 天内"),
        ("报修响应", f"{dl.repair_response_days} 天内"),
        ("维修完成", f"{dl.repair_completion_days} 天内"),
        ("投诉关闭", f"{dl.complaint_closure_days} 天内"),
        ("产权登记", f"交房后 {dl.certificate_registration_days} 天内(档案的 registration_due_days 优先)"),
        ("面积误差比", f"±{dl.area_variance_percent}%"),
    ])
    table("保修期(自交房日起)", ["部位", "期限", "匹配词", "依据"], [
        (w.component, f"{w.months} 个月" if w.months is not None else "不设期限", "、".join(w.match), w.basis)
        for w in rules.warranty
    ])
    table("规则与严重程度", ["规则", "问题", "严重程度"], [
        (rid, title, _sev(rules.severity_of(rid, code) or "off") if rules.severity_of(rid, code) else "已停用")
        for rid, (_, title) in RULES.items()
    ])


@rules_group.command("init")
@click.option("--force", is_flag=True, help="覆盖已有的 rules.json(恢复默认规则)。")
@pass_app
def rules_init(app: App, force: bool) -> None:
    """把内置默认规则写入档案库的 rules.json,之后可直接编辑该文件。"""
    from docgen.audit.rules import init_rules

    path = init_rules(app.archive, force=force)
    console().print(f"已写入 {path};修改后用 docgen rules check 检查。")


@rules_group.command("check")
@click.argument("path", required=False, type=click.Path(path_type=Path, dir_okay=False))
@pass_app
def rules_check(app: App, path: Path | None) -> None:
    """检查规则文件是否有效(默认检查档案库的 rules.json)。"""
    from docgen.audit.rules import load_rules

    _, source = load_rules(app.archive if path is None else None, path)
    console().print(f"规则有效:{source}")


__all__ = ["accept_cmd", "audit_cmd", "export_cmd", "restore_cmd", "rules_group", "verify_cmd"]
