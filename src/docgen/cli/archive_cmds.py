"""Commands over the archive itself: init, project, batch, dossier, document, journal."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import click

from docgen import privacy
from docgen.cli.common import (
    App,
    console,
    emit_json,
    kv,
    parse_assignments,
    pass_app,
    reveal_options,
    reveal_reason,
    shown_where,
    table,
)
from docgen.dates import parse_date
from docgen.errors import UsageError, quote_input
from docgen.models import CONDITION_ITEMS
from docgen.present import (
    batch_view,
    document_text_view,
    document_view,
    dossier_row,
    dossier_view,
    project_view,
)
from docgen.services import dossiers
from docgen.units import split_key
from docgen.vocab import DOC_TYPES, STAGES, TEXT_ORIGIN_LABELS

JSON = click.option("--json", "as_json", is_flag=True, help="以 JSON 输出(供脚本使用)。")

def _date(value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return parse_date(value)
    except ValueError as exc:  # says whether the format is wrong or the day does not exist
        raise UsageError(str(exc)) from exc


def _reveal(app: App, reason: str | None, *, target: str, what: str, as_json: bool,
            shown: list[str] | None = None) -> None:
    """Journal a reveal through the privacy policy before anything unmasked is printed."""
    privacy.reveal(app.archive, target=target, what=what, why=reason, where=shown_where(as_json), role=app.role,
                   detail=privacy.listed(shown) if shown else None)


# -- init ------------------------------------------------------------------------
@click.command("init")
@click.argument("directory", type=click.Path(path_type=Path), default=".")
@click.option("--name", default="客户服务部业主档案", show_default=True, help="档案库名称。")
def init_cmd(directory: Path, name: str) -> None:
    """新建档案库:在 DIRECTORY 中写入 docgen.toml 并创建 records/。"""
    from docgen.services.workspace import init_workspace

    made = init_workspace(directory, name=name)
    console().print(f"已新建档案库「{name}」:{made.records.resolve()}")
    console().print(f"文书模板:{made.templates.resolve()}(可用 Word/WPS 修改,docgen templates check 检查)")
    console().print("下一步:docgen project new 新建项目,docgen dossier new 新建业主档案。")


# -- project ---------------------------------------------------------------------
@click.group()
def project() -> None:
    """项目:列出、查看、新建。"""


@project.command("list")
@JSON
@pass_app
def project_list(app: App, as_json: bool) -> None:
    """列出所有项目。"""
    archive = app.archive
    rows = []
    for p in archive.projects():
        count = sum(1 for _ in archive.dossier_keys(p.code))
        rows.append({"code": p.code, "name": p.name, "city": p.city, "developer": p.developer.name,
                     "dossiers": count, "batches": len(archive.batch_ids(p.code))})
    if as_json:
        emit_json(rows)
        return
    table("项目", ["编号", "名称", "城市", "开发商", "档案数", "交房批次"],
          [(r["code"], r["name"], r["city"], r["developer"], r["dossiers"], r["batches"]) for r in rows])


@project.command("show")
@click.argument("code")
@JSON
@pass_app
def project_show(app: App, code: str, as_json: bool) -> None:
    """查看项目 CODE 的详情。"""
    p = app.archive.project(code.upper())
    view = project_view(p)
    if as_json:
        emit_json(view)
        return
    kv([
        ("项目", f"{p.code} {p.name}"),
        ("城市/地址", f"{p.city} {p.address}".strip()),
        ("开发商", p.developer.name),
        ("统一社会信用代码", p.developer.credit_code),
        ("法定代表人", p.developer.legal_rep),
        ("初始登记", f"{p.initial_registration.status} {p.initial_registration.number}".strip()),
        ("客服电话", p.service_phone),
    ])
    for ph in p.phases:
        console().print(f"  {ph.name}:楼栋 {'、'.join(ph.buildings)};预售证 {'、'.join(ph.presale_permits)};"
                        f"合同交付日期 {ph.contract_delivery_date or '未定'}")
    if p.documents:
        table("项目文件", ["编号", "类型", "日期", "原文件名"],
              [(d.id, d.type_label, d.date, d.original_name) for d in p.documents])
    for w in view["warnings"]:
        console().print(f"[yellow]警告[/yellow] {w}")


@project.command("new")
@click.argument("code")
@click.option("--name", required=True, help="项目名称,如 华轩首座。")
@click.option("--developer", required=True, help="开发商名称。")
@click.option("--credit-code", default="", help="开发商统一社会信用代码(校验不通过只警告)。")
@click.option("--legal-rep", default="", help="法定代表人。")
@click.option("--city", default="")
@click.option("--address", default="")
@click.option("--phase", "phases", multiple=True, help="分期,如 \"一期:03,05\"(期名:楼栋,…),可多次。")
@pass_app
def project_new(app: App, code: str, name: str, developer: str, credit_code: str, legal_rep: str,
                city: str, address: str, phases: tuple[str, ...]) -> None:
    """新建项目 CODE(2-16 位大写字母或数字,如 HXSZ)。"""
    phase_specs = []
    for spec in phases:
        pname, _, buildings = spec.partition(":")
        phase_specs.append({"name": pname, "buildings": [b.strip() for b in buildings.split(",") if b.strip()]})
    p = dossiers.new_project(app.session, code, name=name, city=city, address=address, phases=phase_specs,
                             developer={"name": developer, "credit_code": credit_code, "legal_rep": legal_rep})
    console().print(f"已新建项目 {p.code} {p.name}")
    for f, msg in p.warnings():
        console().print(f"[yellow]警告[/yellow] {f}: {msg}(已保存,请核对)")


def _add_units_group() -> None:
    from docgen.cli.report_cmds import units_group  # the 楼盘表 (docgen project units …)

    project.add_command(units_group)


_add_units_group()


# -- batch -----------------------------------------------------------------------
_batch_ref = dossiers.batch_ref


@click.group()
def batch() -> None:
    """交房批次:列出、查看、新建、更新单户状态、登记交付条件。"""


@batch.command("list")
@click.option("--project", "project_code", help="只列出该项目的批次。")
@JSON
@pass_app
def batch_list(app: App, project_code: str | None, as_json: bool) -> None:
    """列出交房批次。"""
    rows = [batch_view(b) for b in app.archive.batches(project_code.upper() if project_code else None)]
    if as_json:
        emit_json(rows)
        return
    table("交房批次", ["批次", "名称", "交房时间", "地点", "户数", "状态统计"],
          [(f"{r['project']}/{r['id']}", r["name"], f"{r['window_start']} 至 {r['window_end']}", r["venue"],
            len(r["units"]), ",".join(f"{k}{v}" for k, v in r["counts"].items())) for r in rows])


@batch.command("show")
@click.argument("ref")
@JSON
@reveal_options
@pass_app
def batch_show(app: App, ref: str, as_json: bool, reveal: bool, reason: str | None) -> None:
    """查看批次 REF(如 HXSZ/B01)及其各户预约和状态。"""
    why = reveal_reason(app, reveal, reason)
    project_code, batch_id = _batch_ref(ref)
    b = app.archive.batch(project_code, batch_id)
    view = batch_view(b)
    rows = []
    for u in b.units:
        d = app.archive.dossier(f"{b.project}/{u.unit}")
        owner = d.owners[0]
        rows.append({**u.model_dump(mode="json"), "unit_label": d.unit_label, "owners": d.owner_names,
                     "phone": owner.phone if reveal else privacy.mask_phone(owner.phone) if owner.phone else "",
                     "payment_status": d.payment_status})
    if reveal:
        _reveal(app, why, target=f"{b.project}/{b.id}", what=f"交房批次 {b.project}/{b.id} 中 {len(rows)} 户业主的电话",
                as_json=as_json, shown=[f"{b.project}/{u.unit}" for u in b.units])
    if as_json:
        emit_json({**view, "units": rows})
        return
    kv([("批次", f"{b.project}/{b.id} {b.name}"), ("交房时间", f"{b.window_start} 至 {b.window_end} {b.hours}"),
        ("地点", f"{b.venue}(备用:{b.backup_venue or '无'})"), ("总指挥", b.commander), ("现场督导", b.supervisor),
        ("状态统计", ",".join(f"{k} {v} 户" for k, v in view["counts"].items())),
        ("交付条件(已登记)", ";".join(f"{CONDITION_ITEMS[c.item]} {c.status}" + (f" {c.date}" if c.date else "")
                                    for c in b.conditions) or "未登记(docgen batch condition)")])
    table(None, ["房号", "业主", "电话", "付款", "预约", "状态"],
          [(r["unit_label"], r["owners"], r["phone"], r["payment_status"],
            (r["appointment"] or "").replace("T", " ")[:16], r["status"]) for r in rows])


@batch.command("new")
@click.argument("ref")
@click.option("--name", required=True, help="批次名称,如 一期第一批交房。")
@click.option("--start", required=True, help="交房开始日期 YYYY-MM-DD。")
@click.option("--end", required=True, help="交房结束日期 YYYY-MM-DD。")
@click.option("--venue", required=True, help="交房地点。")
@click.option("--unit", "units", multiple=True, help="房号(可多次,或用逗号分隔)。")
@click.option("--building", "buildings", multiple=True, help="纳入该楼栋所有已有档案(可多次)。")
@click.option("--commander", default="", help="总指挥。")
@pass_app
def batch_new(app: App, ref: str, name: str, start: str, end: str, venue: str, units: tuple[str, ...],
              buildings: tuple[str, ...], commander: str) -> None:
    """新建交房批次 REF(如 HXSZ/B02)。"""
    b = dossiers.new_batch(app.session, ref, name=name, start=_date(start), end=_date(end), venue=venue,  # type: ignore[arg-type]
                           units=units, buildings=buildings, commander=commander)
    console().print(f"已新建交房批次 {b.project}/{b.id} {name},共 {len(b.units)} 户")


@batch.command("unit")
@click.argument("ref")
@click.argument("unit")
@click.argument("assignments", nargs=-1, required=True)
@click.option("--revision", type=int, help="只在该户记录仍为该版本时修改(防止覆盖他人的修改)。")
@pass_app
def batch_unit(app: App, ref: str, unit: str, assignments: tuple[str, ...], revision: int | None) -> None:
    """更新批次 REF 中房号 UNIT 的状态,如 status=已预约 appointment=2026-06-18T09:30。"""
    entry = dossiers.update_batch_unit(app.session, ref, unit, parse_assignments(assignments), revision=revision)
    console().print(f"已更新 {ref} {entry.unit}(第 {entry.revision} 版)")


@batch.command("condition")
@click.argument("ref")
@click.argument("item")
@click.option("--status", type=click.Choice(["已落实", "未落实", "不适用"]), default="已落实", show_default=True,
              help="落实情况。")
@click.option("--on", "on", default=None, help="落实日期 YYYY-MM-DD(已落实时默认今天)。")
@click.option("--evidence", default=None, help="证明文件的文件编号(须已归档),如 DOC-2026-000123。")
@click.option("--note", default="", help="备注。")
@pass_app
def batch_condition(app: App, ref: str, item: str, status: str, on: str | None, evidence: str | None, note: str) -> None:
    """登记批次 REF 的交付条件 ITEM:两书、门牌、水电气、电梯、清洁。

    竣工验收备案、预售许可证在项目资料中登记,实测面积在各户档案中登记;
    交房方案和交房通知书都按这些登记检查交付条件。
    """
    from docgen.generate.conditions import LABELS, set_condition

    record = set_condition(app.session, ref, item, status=status, on=_date(on) if on else None,
                           evidence=evidence, note=note)
    when = f" {record.date}" if record.date else ""
    console().print(f"已登记 {ref} 交付条件「{LABELS[record.item]}」:{record.status}{when}")


# -- dossier ---------------------------------------------------------------------
@click.group()
def dossier() -> None:
    """业主档案(一户一档):列出、查看、新建、修改。"""


@dossier.command("list")
@click.option("--project", "project_code", help="只列出该项目。")
@click.option("--stage", type=click.Choice(STAGES), help="只列出该阶段。")
@click.option("--batch", "batch_id", help="只列出该交房批次。")
@click.option("--limit", type=int, default=0, help="最多列出多少户(0 为不限)。")
@JSON
@reveal_options
@pass_app
def dossier_list(app: App, project_code: str | None, stage: str | None, batch_id: str | None, limit: int,
                 as_json: bool, reveal: bool, reason: str | None) -> None:
    """列出业主档案(逐户读取,内存不随档案数增长)。"""
    from docgen.archive.store import UnreadableRecord
    from docgen.cli.common import fail_if_unreadable

    why = reveal_reason(app, reveal, reason)
    rows: list[dict[str, Any]] = []
    unreadable: list[str] = []
    for d in app.archive.scan_dossiers(project_code.upper() if project_code else None):
        if isinstance(d, UnreadableRecord):
            unreadable.append(d.message)
            continue
        if (stage and d.stage != stage) or (batch_id and d.batch != batch_id):
            continue
        rows.append(dossier_row(d, reveal))
        if limit and len(rows) >= limit:
            break
    if reveal and rows:
        keys = [r["key"] for r in rows]
        _reveal(app, why, target=project_code.upper() if project_code else privacy.target_of(keys),
                what=f"档案列表中 {len(rows)} 户业主的电话", as_json=as_json, shown=keys)
    if as_json:
        emit_json(rows)
    else:
        table(f"业主档案({len(rows)} 户)", ["档案", "房号", "业主", "电话", "阶段", "批次", "付款", "产权证", "文件", "未结"],
              [(r["key"], r["unit"], r["owners"], r["phone"], r["stage"], r["batch"], r["payment_status"],
                r["certificate_status"], r["documents"], r["open_cases"]) for r in rows])
    fail_if_unreadable(unreadable, "其余档案已列出")


@dossier.command("show")
@click.argument("key")
@JSON
@reveal_options
@pass_app
def dossier_show(app: App, key: str, as_json: bool, reveal: bool, reason: str | None) -> None:
    """查看档案 KEY(如 HXSZ/03-2-1203 或 HXSZ/3栋2单元1203)。"""
    why = reveal_reason(app, reveal, reason)
    project_code, unit = split_key(key)
    d = app.archive.dossier(f"{project_code}/{unit}")
    if reveal:
        _reveal(app, why, target=d.key, what=f"档案 {d.key} 业主的身份证号码、电话和住址", as_json=as_json)
    view = dossier_view(d, reveal)
    problems = d.data_problems()
    view["problems"] = [f"{f}: {p}" for f, p in problems]
    if as_json:
        emit_json(view)
        return
    kv([("档案", f"{d.key}({d.unit_label})"), ("阶段", d.stage), ("合同编号", d.contract_no),
        ("备案号", d.filing_no), ("付款状态", d.payment_status), ("交房批次", d.batch or ""),
        ("签约/交房/办证", f"{d.signed_on or '—'} / {d.delivered_on or '—'} / {d.certified_on or '—'}"),
        ("产权证", f"{d.certificate_status} {d.certificate_no}".strip())])
    table("业主", ["姓名", "身份", "身份证号码", "电话", "地址"],
          [(o["name"], o["role"], o["id_number"], o["phone"], o["address"]) for o in view["owners"]])
    if d.documents:
        table("文件", ["编号", "类型", "日期", "来源", "签署", "页数"],
              [(doc.id, doc.type_label, doc.date, doc.source, "是" if doc.signed else "否", len(doc.pages) or "")
               for doc in d.documents])
    if d.repairs:
        table("报修", ["编号", "日期", "部位", "描述", "状态"],
              [(r.id, r.reported_on, r.component, r.description, r.status) for r in d.repairs])
    if d.complaints:
        table("投诉", ["编号", "日期", "类别", "首问责任人", "状态"],
              [(c.id, c.received_on, c.category, c.first_responder, c.status) for c in d.complaints])
    if d.revisits:
        table("回访", ["编号", "日期", "回访人", "原因", "状态", "满意度"],
              [(v.id, v.date, v.by, v.reason, v.status, v.satisfaction or "") for v in d.revisits])
    if d.settlements:
        table("第三方维修结算", ["编号", "施工单位", "审定金额", "本次付款", "状态"],
              [(s.id, s.contractor, s.approved_total, s.payable, s.status) for s in d.settlements])
    for line in view["problems"]:
        console().print(f"[red]数据问题[/red] {line}")


def _owner_from_spec(spec: str, role: str) -> dict[str, str]:
    parts = [p.strip() for p in spec.replace(",", ",").split(",")]
    if len(parts) < 2:
        raise UsageError(f"共有人{quote_input(spec)}应写成 姓名,身份证号码[,电话]")
    return {"name": parts[0], "id_number": parts[1], "phone": parts[2] if len(parts) > 2 else "", "role": role}


@dossier.command("new")
@click.argument("key")
@click.option("--owner", required=True, help="主购人姓名。")
@click.option("--id-number", required=True, help="主购人身份证号码(按 GB 11643 校验)。")
@click.option("--phone", default="", help="主购人电话。")
@click.option("--address", default="", help="主购人地址。")
@click.option("--co-owner", "co_owners", multiple=True, help="共有人:\"姓名,身份证号码,电话\"(可多次)。")
@click.option("--contract-no", default="", help="商品房买卖合同编号。")
@click.option("--filing-no", default="", help="合同备案号。")
@click.option("--signed-on", help="签约日期 YYYY-MM-DD。")
@click.option("--delivery-due", help="合同约定交付日期 YYYY-MM-DD。")
@pass_app
def dossier_new(app: App, key: str, owner: str, id_number: str, phone: str, address: str,
                co_owners: tuple[str, ...], contract_no: str, filing_no: str, signed_on: str | None,
                delivery_due: str | None) -> None:
    """新建业主档案 KEY(如 HXSZ/03-2-1203)。"""
    owners = [{"name": owner, "id_number": id_number, "phone": phone, "address": address}]
    owners += [_owner_from_spec(s, "共有人") for s in co_owners]
    d = dossiers.new_dossier(app.session, key, owners=owners, contract_no=contract_no, filing_no=filing_no,
                             signed_on=_date(signed_on), delivery_due=_date(delivery_due))
    console().print(f"已新建档案 {d.key}({d.unit_label}){d.owner_names}")


@dossier.command("set")
@click.argument("key")
@click.argument("assignments", nargs=-1, required=True)
@click.option("--revision", type=int, help="只在档案仍为该版本时修改(防止覆盖他人的修改)。")
@pass_app
def dossier_set(app: App, key: str, assignments: tuple[str, ...], revision: int | None) -> None:
    """修改档案字段,如 stage=交房 delivered_on=2026-06-20 owners[0].phone=13800000000。"""
    changes = parse_assignments(assignments)
    d = dossiers.set_dossier_fields(app.session, key, changes, revision=revision)
    console().print(f"已修改 {d.key}:{'、'.join(f'{k}={v}' for k, v in changes.items())}")


# -- document --------------------------------------------------------------------
@click.group()
def document() -> None:
    """文件:归档、查看、类型表。"""


@document.command("add")
@click.argument("owner_key")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--type", "doc_type", required=True, help="文件类型(代码或中文名,见 docgen document types)。")
@click.option("--date", "doc_date", help="文件日期 YYYY-MM-DD。")
@click.option("--title", default="", help="标题(默认为类型名)。")
@click.option("--signed", is_flag=True, help="已签署。")
@click.option("--supersedes", help="替代的旧文件编号。")
@pass_app
def document_add(app: App, owner_key: str, file: Path, doc_type: str, doc_date: str | None, title: str,
                 signed: bool, supersedes: str | None) -> None:
    """把 FILE 归入档案或项目 OWNER_KEY(如 HXSZ/03-2-1203 或 HXSZ)。"""
    if "/" in owner_key:
        p, u = split_key(owner_key)
        owner_key = f"{p}/{u}"
    else:
        owner_key = owner_key.upper()
    # ingest's checks: no links, no empty or unsupported files, no content already archived
    from docgen.ingest.preflight import add_checked

    doc = add_checked(app.archive, owner_key, file, doc_type=doc_type, date=_date(doc_date), title=title,
                      signed=signed, supersedes=supersedes)
    console().print(f"已归档 {doc.id}:{doc.type_label} → {owner_key}(sha256 {doc.sha256[:12]}…)")


@document.command("show")
@click.argument("doc_id")
@click.option("--text", "with_text", is_flag=True,
              help="逐页显示识别出的文字及其来源和置信度(OCR 存疑的行以 ⚠ 标出;身份证号码、电话和住址遮蔽,除非 --reveal)。")
@click.option("--crops", "crops_dir", type=click.Path(file_okay=False, path_type=Path),
              help="把 OCR 存疑各行的截图(PNG)写到此目录,便于对照原件录入(截图未遮蔽,须 --reveal --reason)。")
@JSON
@reveal_options
@pass_app
def document_show(app: App, doc_id: str, with_text: bool, crops_dir: Path | None, as_json: bool, reveal: bool,
                  reason: str | None) -> None:
    """查看文件 DOC_ID 的归档信息(以及 --text 逐页文字)。"""
    why = reveal_reason(app, reveal, reason)
    if crops_dir is not None and not reveal:
        raise UsageError('OCR 存疑行的截图是原件的一部分,无法遮蔽个人信息:请加 --reveal --reason "原因"(记入日志)')
    owner, doc = app.archive.find_document(doc_id)
    owner_key = app.archive.owner_key(owner)
    pages = app.archive.document_text(owner, doc) if with_text else []
    if reveal:
        what = f"文件 {doc.id}({doc.type_label})的{'文字和' if with_text else ''}文件名" + (
            f"及 OCR 存疑行截图(写到 {crops_dir})" if crops_dir is not None else "")
        _reveal(app, why, target=owner_key, what=what, as_json=as_json, shown=[doc.id])
    pages = document_text_view(owner, pages, reveal)
    view = document_view(doc, reveal)
    view["owner"] = owner_key
    view["path"] = str(app.archive.document_path(owner, doc))
    if as_json:
        if with_text:
            view["text"] = pages
        emit_json(view)
        return
    kv([("文件", f"{doc.id} {view['title']}"), ("类型", f"{doc.type_label}({doc.type})"), ("归属", view["owner"]),
        ("日期", doc.date), ("来源", view["source_label"]), ("原文件名", view["original_name"]),
        ("已签署", "是" if doc.signed else "否"), ("替代", doc.supersedes or ""), ("被替代", doc.superseded_by or ""),
        ("识别方式", f"{doc.identified_by or ''} {'' if doc.confidence is None else f'置信度 {doc.confidence:.2f}'}"),
        ("归档", f"{doc.filed_at or ''} {doc.filed_by}"), ("sha256", doc.sha256), ("位置", view["path"]),
        *([("OCR 存疑", f"{doc.doubtful_lines} 行(--text 查看,--crops 目录 导出截图)")] if doc.doubtful_lines else [])])
    if with_text:
        infos = {p.n: p for p in doc.pages}
        if not pages:
            console().print("(没有识别出的文字)")
        from docgen.ingest.crops import mark_doubtful

        for i, text in enumerate(pages, start=1):
            info = infos.get(i)
            origin = TEXT_ORIGIN_LABELS[info.origin] if info else "未知"
            conf = f",置信度 {info.confidence:.3f}" if info and info.confidence is not None else ""
            doubt = f",OCR 存疑 {len(info.doubtful)} 行" if info and info.doubtful else ""
            console().rule(f"第 {i} 页({origin}{conf}{doubt})")
            console().print(mark_doubtful(text, info, None if reveal else privacy.mask_text), markup=False)
    if crops_dir is not None:
        _write_crops(app, doc, crops_dir)


def _write_crops(app: App, doc: Any, folder: Path) -> None:
    """Write the picture of every OCR 存疑 line of a document into ``folder``."""
    from docgen.ingest.crops import document_crop

    if not doc.doubtful_lines:
        console().print(f"{doc.id} 没有 OCR 存疑的行。")
        return
    folder.mkdir(parents=True, exist_ok=True)
    for page in doc.pages:
        for k, _line in enumerate(page.doubtful, start=1):
            out = folder / f"{doc.id}-第{page.n}页-存疑{k}.png"
            out.write_bytes(document_crop(app.archive, doc.id, page.n, k))
            console().print(f"已写出截图 {out}")


@document.command("types")
@JSON
def document_types(as_json: bool) -> None:
    """列出文件类型(代码、中文名、归属)。"""
    where = {"dossier": "业主档案", "project": "项目", "both": "两者"}
    rows = [(code, label, where[level]) for code, (label, level) in DOC_TYPES.items()]
    if as_json:
        emit_json([{"code": c, "label": label, "level": lv} for c, label, lv in rows])
        return
    table("文件类型", ["代码", "中文名", "归入"], rows)


# -- journal -----------------------------------------------------------------------
@click.command("journal")
@click.option("--limit", type=int, default=20, show_default=True, help="显示最近多少条。")
@click.option("--target", help="只显示该档案/项目的变更。")
@JSON
@pass_app
def journal_cmd(app: App, limit: int, target: str | None, as_json: bool) -> None:
    """显示变更日志(谁、何时、改了什么)。"""
    from collections import deque

    entries = deque((e for e in app.archive.journal.entries() if not target or e.target.startswith(target)),
                    maxlen=limit)
    if as_json:
        emit_json([{"seq": e.seq, "ts": e.ts, "actor": e.actor, "action": e.action, "target": e.target,
                    "summary": e.summary, "files": e.files, "hash": e.hash} for e in entries])
        return
    table("变更日志", ["序号", "时间", "操作人", "动作", "对象", "说明"],
          [(e.seq, e.ts.replace("T", " ")[:19], e.actor, e.action, e.target, e.summary) for e in entries])


