"""``docgen cert …``: certificates (办证) as a workflow.

Each command parses its options, calls one service of
:mod:`docgen.services.certificates` with the run's session and shows the
result; the rules (who may join a batch, when a batch may be submitted, what
each household lacks) live in the core.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from docgen.cli.common import (
    DATE,
    App,
    console,
    emit_json,
    err_console,
    fail_if_unreadable,
    kv,
    output_folder,
    pass_app,
    table,
)
from docgen.errors import UsageError, quoted
from docgen.services import certificates as certs

JSON = click.option("--json", "as_json", is_flag=True, help="以 JSON 输出(供脚本使用)。")
REVISION = click.option("--revision", type=int, help="只在记录仍为该版本时修改(防止覆盖他人的修改)。")


def _agents(specs: tuple[str, ...]) -> dict[str, str]:
    out: dict[str, str] = {}
    for spec in specs:
        unit, sep, name = spec.replace("＝", "=").partition("=")
        if not sep or not unit.strip() or not name.strip():
            raise UsageError(f"--agent {quoted(spec)} 应写成 房号=代理人姓名，如 03-2-1203=张三。")
        out[unit.strip()] = name.strip()
    return out


def _entry_json(entry: Any) -> dict[str, Any]:
    return dict(entry.model_dump(mode="json"))


@click.group()
def cert() -> None:
    """办证:办证前提、各户材料、办证批次(递交、出证、领证)、办证文书与时限。

    典型流程:cert prerequisites 查看项目的办证前提 → cert readiness 查看各户还缺什么 →
    cert checklist / poa 为业主出具材料清单和委托书 → cert batch new --ready 建立办证批次 →
    cert submission-list 生成递交清单 → cert submit 登记递交 → cert collect 登记出证 →
    cert notices 发领证通知 → cert handout 业主领证。每一步都记入档案日志。
    """


# -- prerequisites ------------------------------------------------------------------------
@cert.command("prerequisites")
@click.argument("project")
@JSON
@pass_app
def prerequisites_cmd(app: App, project: str, as_json: bool) -> None:
    """列出项目 PROJECT 各期的办证前提(预售许可证、竣工验收备案、面积实测报告、数据挂接、初始登记)及其作用。"""
    states = certs.project_prerequisites(app.session, project)
    if as_json:
        emit_json([s.as_dict() for s in states])
        return
    table(f"项目 {project.upper()} 的办证前提", ["办证前提", "状态", "证号/编号", "办结日期", "依据", "办结后可以"],
          [(s.label, s.status, s.number, s.done_on or "", s.source or "未登记", s.unlocks) for s in states])


@cert.command("prerequisite")
@click.argument("project")
@click.argument("kind")
@click.option("--phase", default="", help="期名(如 二期);不填为整个项目。")
@click.option("--status", type=click.Choice(["未办理", "办理中", "已办结"]), help="办理状态。")
@click.option("--number", help="证号或编号。")
@click.option("--started-on", type=DATE, help="申请或开始办理日期。")
@click.option("--on", "done_on", type=DATE, help="办结日期(已办结时默认今天)。")
@click.option("--document", help="证明文件的文件编号(须已归入项目)。")
@click.option("--note", help="备注。")
@REVISION
@JSON
@pass_app
def prerequisite_cmd(app: App, project: str, kind: str, phase: str, status: str | None, number: str | None,
                     started_on: Any, done_on: Any, document: str | None, note: str | None, revision: int | None,
                     as_json: bool) -> None:
    """登记办证前提 KIND 的办理情况,KIND 为 presale_permit(预售许可证)、completion_filing(竣工验收备案)、
    area_survey(面积实测报告)、data_linkage(数据挂接)或 initial_registration(初始登记),也可写中文名。"""
    state = certs.set_prerequisite(app.session, project, kind, phase=phase, status=status, number=number,
                                   started_on=started_on, done_on=done_on, document=document, note=note,
                                   revision=revision)
    if as_json:
        emit_json(state.as_dict())
        return
    console().print(f"已登记 {state.label}:{state.status}" + (f"({state.number})" if state.number else "")
                    + (f",{state.done_on} 办结" if state.done_on else ""))


# -- readiness ------------------------------------------------------------------------------
@cert.command("readiness")
@click.argument("project")
@click.option("--unit", "units", multiple=True, help="只看这些房号(可重复或用逗号分隔);默认为已交房、尚未办结的各户。")
@click.option("--ready", "only", flag_value="ready", help="只列出材料齐全的住户。")
@click.option("--not-ready", "only", flag_value="not_ready", help="只列出尚缺材料的住户。")
@click.option("--all", "include_done", is_flag=True, help="也列出产权证已办结的住户。")
@JSON
@pass_app
def readiness_cmd(app: App, project: str, units: tuple[str, ...], only: str | None, include_done: bool,
                  as_json: bool) -> None:
    """项目 PROJECT 各户的办证材料是否齐全,以及每户还缺什么(按档案中实际归档的文件计算)。"""
    result = certs.list_readiness(app.session, project, units=units, include_done=include_done, only=only)
    if as_json:
        emit_json({"project": result.project, "counts": result.counts, "blocking": result.blocking,
                   "unreadable": result.unreadable,
                   "households": [{**r.as_dict(), "registration": result.in_batch.get(r.unit)} for r in result.rows]})
    else:
        c = result.counts
        for label in result.blocking:
            err_console().print(f"[red]项目的{label}尚未办结:所列住户暂不能递交登记[/red]")
        table(f"项目 {result.project} 办证材料:{c['households']} 户,齐全 {c['ready']} 户", ["房号", "业主", "产权证", "办证批次", "齐全", "还缺"],
              [(r.unit_label, r.owner_names, r.certificate_status, result.in_batch.get(r.unit, ""),
                "是" if r.ready else "否", "、".join(r.lacks)) for r in result.rows])
    fail_if_unreadable(result.unreadable, "其余各户已列出")


# -- batches ---------------------------------------------------------------------------------
@cert.group("batch")
def batch() -> None:
    """办证批次:新建、查看、加入住户、登记代理人。"""


@batch.command("new")
@click.argument("project")
@click.option("--units", "--unit", "units", multiple=True, help="加入的房号(可重复或用逗号分隔)。")
@click.option("--ready", is_flag=True, help="加入全部材料齐全、尚未在办证批次中的已交房住户。")
@click.option("--name", default="", help="批次名称,如 二期第一批办证。")
@click.option("--registry", default="", help="登记机构,如 福州市不动产登记中心。")
@click.option("--on", "on", type=DATE, help="建立日期(默认今天)。")
@click.option("--agent", "agents", multiple=True, help="由他人代理的住户:房号=代理人姓名(须经公证的委托书;可重复)。")
@JSON
@pass_app
def batch_new(app: App, project: str, units: tuple[str, ...], ready: bool, name: str, registry: str, on: Any,
              agents: tuple[str, ...], as_json: bool) -> None:
    """为项目 PROJECT 新建办证批次:--units 列出房号,或 --ready 选取全部材料齐全的住户。

    初始登记尚未办结的项目,其住户不能加入办证批次。
    """
    made = certs.new_registration(app.session, project, units=units, ready=ready, name=name, registry=registry,
                                  on=on, agents=_agents(agents))
    r = made.registration
    if as_json:
        emit_json({**r.model_dump(mode="json"), "skipped": [{"unit": u, "reason": why} for u, why in made.skipped]})
        return
    console().print(f"已新建办证批次 {r.id}({len(r.households)} 户)")
    if made.skipped:
        console().print(f"未加入 {len(made.skipped)} 户（材料不齐或不能办理；docgen cert readiness {r.project} 查看）")
    console().print(f"下一步:docgen cert checklist {r.id}(材料清单)、docgen cert submission-list {r.id} --reason …(递交清单)")


@batch.command("list")
@click.argument("project", required=False)
@JSON
@pass_app
def batch_list(app: App, project: str | None, as_json: bool) -> None:
    """列出办证批次(某项目或全部)。"""
    rows = certs.registrations(app.session, project)
    if as_json:
        emit_json([{**r.model_dump(mode="json"), "stage": r.stage} for r in rows])
        return
    table("办证批次", ["批次", "项目", "名称", "户数", "递交日期", "受理编号", "进度"],
          [(r.id, r.project, r.name, len(r.active), r.submitted_on or "", r.receipt_no, r.stage) for r in rows])


@batch.command("show")
@click.argument("batch_ref", metavar="BATCH")
@JSON
@pass_app
def batch_show(app: App, batch_ref: str, as_json: bool) -> None:
    """查看办证批次 BATCH(如 DJ-2026-00001):各户状态、证号、所缺材料、办证时限(逾期在前)。"""
    view = certs.show_registration(app.session, batch_ref)
    r = view.registration
    rows = sorted(view.rows, key=lambda row: (row.entry.status == "已退出",
                                              -(row.deadline.days_over if row.deadline else 0)))
    if as_json:
        emit_json({**r.model_dump(mode="json"), "stage": r.stage, "counts": view.counts, "households": [
            {**_entry_json(row.entry), "unit_label": row.unit_label, "owner_names": row.owner_names,
             "lacks": list(row.lacks), "deadline": row.deadline.as_dict() if row.deadline else None}
            for row in rows]})
        return
    kv([("办证批次", f"{r.id} {r.name}".strip()), ("项目", view.project.name), ("登记机构", r.registry or "—"),
        ("进度", r.stage), ("递交", f"{r.submitted_on} 受理编号 {r.receipt_no}" if r.submitted_on else "尚未递交"),
        ("各户", "、".join(f"{k} {v}" for k, v in view.counts.items() if v))])

    def clocks(row: certs.HouseholdRow) -> tuple[str, str]:
        d = row.deadline
        if d is None:
            return "", ""
        filing = f"{d.filing.label}(至 {d.filing.due})"
        cert_ = f"{d.certificate.label}(至 {d.certificate.due}" + (f",逾期 {d.certificate.days_over} 天)" if d.certificate.days_over else ")")
        return filing, cert_

    table(None, ["房号", "业主", "状态", "不动产权证号", "登簿日期", "递交时限(60天)", "办证时限", "还缺 / 说明"],
          [(row.unit_label, row.owner_names, row.entry.status, row.entry.certificate_no, row.entry.certified_on or "",
            *clocks(row), "、".join(row.lacks) if row.lacks else row.entry.left_reason) for row in rows])


@batch.command("add")
@click.argument("batch_ref", metavar="BATCH")
@click.argument("units", nargs=-1, required=True)
@click.option("--agent", "agents", multiple=True, help="由他人代理的住户:房号=代理人姓名。")
@REVISION
@JSON
@pass_app
def batch_add(app: App, batch_ref: str, units: tuple[str, ...], agents: tuple[str, ...], revision: int | None,
              as_json: bool) -> None:
    """把住户加入尚未递交的办证批次 BATCH。"""
    r = certs.add_households(app.session, batch_ref, units, agents=_agents(agents), revision=revision)
    if as_json:
        emit_json(r.model_dump(mode="json"))
        return
    console().print(f"办证批次 {r.id} 现有 {len(r.active)} 户")


@batch.command("agent")
@click.argument("batch_ref", metavar="BATCH")
@click.argument("unit")
@click.argument("name")
@REVISION
@JSON
@pass_app
def batch_agent(app: App, batch_ref: str, unit: str, name: str, revision: int | None, as_json: bool) -> None:
    """登记住户 UNIT 的代理人 NAME(由他人代理时须提供经公证的委托书);NAME 为 "" 即清除。"""
    e = certs.set_agent(app.session, batch_ref, unit, name, revision=revision)
    if as_json:
        emit_json(_entry_json(e))
        return
    console().print(f"{e.unit} 的代理人:{e.agent or '无(由产权人本人签署)'}")


# -- the steps -------------------------------------------------------------------------------
@cert.command("submit")
@click.argument("batch_ref", metavar="BATCH")
@click.option("--receipt-no", required=True, help="登记中心的受理编号(收件回执上的编号)。")
@click.option("--on", "on", type=DATE, help="递交日期(默认今天)。")
@click.option("--registry", help="登记机构(如尚未填写)。")
@REVISION
@JSON
@pass_app
def submit_cmd(app: App, batch_ref: str, receipt_no: str, on: Any, registry: str | None, revision: int | None,
               as_json: bool) -> None:
    """登记办证批次 BATCH 已递交登记中心;每户材料须齐全,否则不登记并列出各户所缺。"""
    r = certs.submit_registration(app.session, batch_ref, receipt_no=receipt_no, on=on, registry=registry,
                                  revision=revision)
    if as_json:
        emit_json(r.model_dump(mode="json"))
        return
    n = sum(1 for e in r.households if e.status == "已递交")
    console().print(f"办证批次 {r.id} 已于 {r.submitted_on} 递交({n} 户,受理编号 {r.receipt_no})")


@cert.command("collect")
@click.argument("batch_ref", metavar="BATCH")
@click.argument("unit")
@click.option("--number", required=True, help="不动产权证号。")
@click.option("--on", "on", type=DATE, help="登簿日期(默认今天)。")
@REVISION
@JSON
@pass_app
def collect_cmd(app: App, batch_ref: str, unit: str, number: str, on: Any, revision: int | None,
                as_json: bool) -> None:
    """登记住户 UNIT 的不动产权证已出证(证号、登簿日期);档案的产权证状态随之改为已办结。"""
    e = certs.collect_certificate(app.session, batch_ref, unit, number=number, on=on, revision=revision)
    if as_json:
        emit_json(_entry_json(e))
        return
    console().print(f"{e.unit} 已出证:{e.certificate_no}({e.certified_on});可发领证通知:docgen cert notices {batch_ref}")


@cert.command("handout")
@click.argument("batch_ref", metavar="BATCH")
@click.argument("unit")
@click.option("--on", "on", type=DATE, help="领证日期(默认今天)。")
@click.option("--receiver", default="", help="领取人(默认为产权人)。")
@REVISION
@JSON
@pass_app
def handout_cmd(app: App, batch_ref: str, unit: str, on: Any, receiver: str, revision: int | None,
                as_json: bool) -> None:
    """登记业主已领取住户 UNIT 的不动产权证(领证台)。"""
    e = certs.hand_out_certificate(app.session, batch_ref, unit, on=on, received_by=receiver, revision=revision)
    if as_json:
        emit_json(_entry_json(e))
        return
    console().print(f"{e.unit} 的不动产权证已由 {e.received_by} 于 {e.handed_out_on} 领取")


@cert.command("leave")
@click.argument("batch_ref", metavar="BATCH")
@click.argument("unit")
@click.option("--reason", required=True, help="退出原因,如 资料退回:婚姻状况证明过期。")
@click.option("--on", "on", type=DATE, help="退出日期(默认今天)。")
@REVISION
@JSON
@pass_app
def leave_cmd(app: App, batch_ref: str, unit: str, reason: str, on: Any, revision: int | None, as_json: bool) -> None:
    """让住户 UNIT 退出办证批次(须写明原因);档案的产权证状态回到资料收集中。"""
    e = certs.leave_registration(app.session, batch_ref, unit, reason=reason, on=on, revision=revision)
    if as_json:
        emit_json(_entry_json(e))
        return
    console().print(f"{e.unit} 已退出办证批次:{e.left_reason}")


@cert.command("deadlines")
@click.argument("project", required=False)
@click.option("--overdue", is_flag=True, help="只列出已逾期的住户。")
@JSON
@pass_app
def deadlines_cmd(app: App, project: str | None, overdue: bool, as_json: bool) -> None:
    """各户办证时限:开发商 60 天内报送登记资料(《商品房销售管理办法》第三十四条)、业主合同约定或 90 天内办结;逾期在前。"""
    result = certs.deadlines(app.session, project, overdue_only=overdue)
    if as_json:
        emit_json({"households": [r.as_dict() for r in result.rows], "unreadable": result.unreadable})
    else:
        table(f"办证时限({len(result.rows)} 户,逾期 {sum(1 for r in result.rows if r.overdue)} 户)",
              ["档案", "房号", "交房", "产权证", "办证批次", "递交时限", "办证时限", "逾期天数"],
              [(r.key, r.unit_label, r.delivered_on, r.certificate_status, r.registration or "",
                f"{r.filing.label}(至 {r.filing.due})", f"{r.certificate.label}(至 {r.certificate.due})",
                r.days_over or "") for r in result.rows])
    fail_if_unreadable(result.unreadable, "其余各户已列出")


# -- paperwork ---------------------------------------------------------------------------------
def _paper_options(fn: Any) -> Any:
    fn = click.option("--json", "as_json", is_flag=True, help="以 JSON 输出结果(供脚本使用)。")(fn)
    fn = click.option("--out", "out", type=click.Path(path_type=Path), callback=output_folder,
                      help="输出目录(默认为配置 [generate] output)。")(fn)
    fn = click.option("--pdf", is_flag=True, help="同时用 LibreOffice 生成 PDF(需已安装 LibreOffice)。")(fn)
    fn = click.option("--unit", "units", multiple=True, help="办证批次中只为这些房号生成(可重复)。")(fn)
    return fn


def _show_generated(result: Any, as_json: bool) -> None:
    from docgen.cli.generate_cmds import _show

    _show(result, as_json)


@cert.command("checklist")
@click.argument("target")
@_paper_options
@pass_app
def checklist_cmd(app: App, target: str, units: tuple[str, ...], pdf: bool, out: Path | None, as_json: bool) -> None:
    """为档案 TARGET(如 HXSZ/03-2-1203)或办证批次(如 DJ-2026-00001)中待递交的各户生成办证材料清单并归档。"""
    from docgen.cli.generate_cmds import _progress

    with _progress(not as_json) as progress:
        result = certs.make_checklists(app.session, target, units=units, pdf=pdf, output=out, progress=progress)
    _show_generated(result, as_json)


@cert.command("poa")
@click.argument("target")
@click.option("--reason", required=True, metavar="原因", help="为什么出具载有完整身份证号码的委托书(记入档案日志)。")
@_paper_options
@pass_app
def poa_cmd(app: App, target: str, reason: str, units: tuple[str, ...], pdf: bool, out: Path | None,
            as_json: bool) -> None:
    """为档案 TARGET 或办证批次中待递交的各户生成委托书(业主委托开发商代办登记;载有完整身份信息,记入日志)。"""
    from docgen.cli.generate_cmds import _progress

    with _progress(not as_json) as progress:
        result = certs.make_powers_of_attorney(app.session, target, reason=reason, units=units, pdf=pdf, output=out,
                                               progress=progress)
    _show_generated(result, as_json)


@cert.command("notices")
@click.argument("batch_ref", metavar="BATCH")
@click.option("--place", default="", help="领证地点(默认 客户服务中心)。")
@click.option("--hours", default="", help="领证时间(默认 工作日 09:00-17:00)。")
@click.option("--until", type=DATE, help="领取截止日期。")
@_paper_options
@pass_app
def notices_cmd(app: App, batch_ref: str, place: str, hours: str, until: Any, units: tuple[str, ...], pdf: bool,
                out: Path | None, as_json: bool) -> None:
    """为办证批次 BATCH 中已出证的各户生成领证通知并归档。"""
    from docgen.cli.generate_cmds import _progress

    with _progress(not as_json) as progress:
        result = certs.make_collection_notices(app.session, batch_ref, units=units, place=place, hours=hours,
                                               until=until, pdf=pdf, output=out, progress=progress)
    _show_generated(result, as_json)


@cert.command("submission-list")
@click.argument("batch_ref", metavar="BATCH")
@click.option("--reason", required=True, metavar="原因", help="为什么导出完整身份证号码(记入档案日志)。")
@click.option("--out", "out", type=click.Path(path_type=Path), help="保存为(.xlsx;默认在输出目录下)。")
@JSON
@pass_app
def submission_list_cmd(app: App, batch_ref: str, reason: str, out: Path | None, as_json: bool) -> None:
    """生成办证批次 BATCH 的递交清单(XLSX:序号、房号、权利人、证件号码、合同备案号、建筑面积、材料份数)并归入项目。

    清单载有完整的身份证号码,导出记入档案日志。
    """
    result = certs.write_submission_list(app.session, batch_ref, reason=reason, out=out)
    if as_json:
        emit_json({"path": result.path, "doc_id": result.doc_id, "households": result.rows,
                   "materials": result.materials})
        return
    console().print(f"已生成递交清单 {result.path}({result.rows} 户,材料 {result.materials} 份),归档为 {result.doc_id}")
