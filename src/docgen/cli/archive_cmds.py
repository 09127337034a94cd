"""Commands over the archive itself: init, project, batch, dossier, document, journal."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import click

from docgen.archive import Archive
from docgen.archive.edit import apply_assignments
from docgen.archive.records import build
from docgen.cli.common import App, console, emit_json, kv, parse_assignments, pass_app, table
from docgen.errors import ConflictError, UsageError
from docgen.idnumbers import mask_phone
from docgen.models import CONDITION_ITEMS, Batch, BatchUnit, Dossier, Phase, Project
from docgen.present import batch_view, document_view, dossier_row, dossier_view, project_view
from docgen.units import parse_unit, split_key
from docgen.vocab import DOC_TYPES, STAGES, TEXT_ORIGIN_LABELS

JSON = click.option("--json", "as_json", is_flag=True, help="以 JSON 输出(供脚本使用)。")
REVEAL = click.option("--reveal", is_flag=True, help="显示完整身份证号码和电话(会记入日志)。")

CONFIG_TEMPLATE = """# docgen 配置文件。相对路径以本文件所在目录为准。说明见 docs/configuration.md。
[archive]
path = "records"        # 档案库目录
# actor = "张三"         # 记入日志的操作人(默认为登录名)

[search]
index_path = "index"    # 检索索引目录(可随时由档案库重建)

[ingest]
inbox = "inbox"         # 扫描件投放目录

[generate]
templates = "templates" # 文书模板(.docx,可用 Word/WPS 修改)
output = "output"       # 生成的文书先写到这里,再归入档案
"""


def _date(value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise click.BadParameter(f"{value!r} 不是日期,应为 YYYY-MM-DD") from exc


def _reveal(app: App, target: str, what: str) -> None:
    app.archive.record_access("privacy.reveal", target, f"查看未遮蔽的个人信息:{what}")


# -- init ------------------------------------------------------------------------
@click.command("init")
@click.argument("directory", type=click.Path(path_type=Path), default=".")
@click.option("--name", default="客户服务部业主档案", show_default=True, help="档案库名称。")
def init_cmd(directory: Path, name: str) -> None:
    """新建档案库:在 DIRECTORY 中写入 docgen.toml 并创建 records/。"""
    config = directory / "docgen.toml"
    if config.exists():
        raise ConflictError(f"{config} 已存在;该目录已初始化")
    directory.mkdir(parents=True, exist_ok=True)
    Archive.create(directory / "records", name=name)
    config.write_text(CONFIG_TEMPLATE, "utf-8")
    for sub in ("index", "inbox"):
        (directory / sub).mkdir(exist_ok=True)
    if not (directory / "templates").exists():
        from docgen.generate.template_builder import build_all

        build_all(directory / "templates")
    console().print(f"已新建档案库「{name}」:{(directory / 'records').resolve()}")
    console().print(f"文书模板:{(directory / 'templates').resolve()}(可用 Word/WPS 修改,docgen templates check 检查)")
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
    phase_models = []
    for spec in phases:
        pname, _, buildings = spec.partition(":")
        phase_models.append(Phase(name=pname, buildings=[b.strip() for b in buildings.split(",") if b.strip()]))
    p = build(Project, {"code": code, "name": name, "city": city, "address": address, "phases": phase_models,
                        "developer": {"name": developer, "credit_code": credit_code, "legal_rep": legal_rep}})
    app.archive.new_project(p)
    console().print(f"已新建项目 {p.code} {p.name}")
    for f, msg in p.warnings():
        console().print(f"[yellow]警告[/yellow] {f}: {msg}(已保存,请核对)")


# -- batch -----------------------------------------------------------------------
def _batch_ref(ref: str) -> tuple[str, str]:
    if ref.count("/") != 1:
        raise UsageError(f"批次 {ref!r} 应写成 项目/批次编号,如 HXSZ/B01")
    p, b = ref.split("/")
    return p.upper(), b


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
@REVEAL
@pass_app
def batch_show(app: App, ref: str, as_json: bool, reveal: bool) -> None:
    """查看批次 REF(如 HXSZ/B01)及其各户预约和状态。"""
    project_code, batch_id = _batch_ref(ref)
    b = app.archive.batch(project_code, batch_id)
    view = batch_view(b)
    rows = []
    for u in b.units:
        d = app.archive.dossier(f"{b.project}/{u.unit}")
        owner = d.owners[0]
        rows.append({**u.model_dump(mode="json"), "unit_label": d.unit_label, "owners": d.owner_names,
                     "phone": owner.phone if reveal else mask_phone(owner.phone) if owner.phone else "",
                     "payment_status": d.payment_status})
    if reveal:
        _reveal(app, ref, f"交房批次 {ref} 的业主电话")
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
    project_code, batch_id = _batch_ref(ref)
    codes: list[str] = []
    for spec in units:
        codes += [parse_unit(u).code for u in spec.split(",") if u.strip()]
    for b in buildings:
        wanted = parse_unit(f"{b}-1-101").building
        codes += [k.split("/")[1] for k in app.archive.dossier_keys(project_code) if k.split("/")[1].split("-")[0] == wanted]
    b = build(Batch, {"id": batch_id, "project": project_code, "name": name, "window_start": _date(start),
                      "window_end": _date(end), "venue": venue, "commander": commander, "buildings": list(buildings),
                      "units": [{"unit": c} for c in dict.fromkeys(codes)]})
    app.archive.new_batch(b)
    console().print(f"已新建交房批次 {project_code}/{batch_id} {name},共 {len(b.units)} 户")


@batch.command("unit")
@click.argument("ref")
@click.argument("unit")
@click.argument("assignments", nargs=-1, required=True)
@pass_app
def batch_unit(app: App, ref: str, unit: str, assignments: tuple[str, ...]) -> None:
    """更新批次 REF 中房号 UNIT 的状态,如 status=已预约 appointment=2026-06-18T09:30。"""
    project_code, batch_id = _batch_ref(ref)
    code = parse_unit(unit).code
    changes = parse_assignments(assignments)
    with app.archive.edit_batch(project_code, batch_id, "batch.unit", f"更新批次 {ref} 中 {code}") as b:
        entry = next((u for u in b.units if u.unit == code), None)
        if entry is None:
            raise UsageError(f"房号 {code} 不在批次 {ref} 中")
        data = entry.model_dump(mode="json")
        apply_assignments(data, changes, protected={"unit"})
        b.units[b.units.index(entry)] = build(BatchUnit, data, f"批次 {ref}")
    console().print(f"已更新 {ref} {code}")


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
@REVEAL
@pass_app
def dossier_list(app: App, project_code: str | None, stage: str | None, batch_id: str | None, limit: int,
                 as_json: bool, reveal: bool) -> None:
    """列出业主档案(逐户读取,内存不随档案数增长)。"""
    rows: list[dict[str, Any]] = []
    for d in app.archive.iter_dossiers(project_code.upper() if project_code else None):
        if (stage and d.stage != stage) or (batch_id and d.batch != batch_id):
            continue
        rows.append(dossier_row(d, reveal))
        if limit and len(rows) >= limit:
            break
    if reveal:
        _reveal(app, project_code or "", "档案列表中的业主电话")
    if as_json:
        emit_json(rows)
        return
    table(f"业主档案({len(rows)} 户)", ["档案", "房号", "业主", "电话", "阶段", "批次", "付款", "产权证", "文件", "未结"],
          [(r["key"], r["unit"], r["owners"], r["phone"], r["stage"], r["batch"], r["payment_status"],
            r["certificate_status"], r["documents"], r["open_cases"]) for r in rows])


@dossier.command("show")
@click.argument("key")
@JSON
@REVEAL
@pass_app
def dossier_show(app: App, key: str, as_json: bool, reveal: bool) -> None:
    """查看档案 KEY(如 HXSZ/03-2-1203 或 HXSZ/3栋2单元1203)。"""
    project_code, unit = split_key(key)
    d = app.archive.dossier(f"{project_code}/{unit}")
    if reveal:
        _reveal(app, d.key, f"档案 {d.key} 的身份证号码和电话")
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
        raise UsageError(f"共有人 {spec!r} 应写成 姓名,身份证号码[,电话]")
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
    project_code, unit = split_key(key)
    owners = [{"name": owner, "id_number": id_number, "phone": phone, "address": address}]
    owners += [_owner_from_spec(s, "共有人") for s in co_owners]
    d = build(Dossier, {"project": project_code, "unit": unit, "owners": owners, "contract_no": contract_no,
                        "filing_no": filing_no, "signed_on": _date(signed_on), "contract_date": _date(signed_on),
                        "delivery_due": _date(delivery_due)})
    app.archive.new_dossier(d)
    console().print(f"已新建档案 {d.key}({d.unit_label}){d.owner_names}")


@dossier.command("set")
@click.argument("key")
@click.argument("assignments", nargs=-1, required=True)
@pass_app
def dossier_set(app: App, key: str, assignments: tuple[str, ...]) -> None:
    """修改档案字段,如 stage=交房 delivered_on=2026-06-20 owners[0].phone=13800000000。"""
    project_code, unit = split_key(key)
    changes = parse_assignments(assignments)
    summary = "修改 " + "、".join(changes)
    with app.archive.edit_dossier(f"{project_code}/{unit}", "dossier.set", summary) as (d, _tx):
        data = d.model_dump(mode="json")
        apply_assignments(data, changes)
        new = build(Dossier, data, key)
        for name in Dossier.model_fields:
            setattr(d, name, getattr(new, name))
    console().print(f"已修改 {project_code}/{unit}:{'、'.join(f'{k}={v}' for k, v in changes.items())}")


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
    doc = app.archive.add_document(owner_key, file, doc_type=doc_type, date=_date(doc_date), title=title,
                                   signed=signed, supersedes=supersedes, source="import", identified_by="manual")
    console().print(f"已归档 {doc.id}:{doc.type_label} → {owner_key}(sha256 {doc.sha256[:12]}…)")


@document.command("show")
@click.argument("doc_id")
@click.option("--text", "with_text", is_flag=True, help="逐页显示识别出的文字及其来源和置信度。")
@JSON
@pass_app
def document_show(app: App, doc_id: str, with_text: bool, as_json: bool) -> None:
    """查看文件 DOC_ID 的归档信息(以及 --text 逐页文字)。"""
    owner, doc = app.archive.find_document(doc_id)
    view = document_view(doc)
    view["owner"] = app.archive.owner_key(owner)
    view["path"] = str(app.archive.document_path(owner, doc))
    pages = app.archive.document_text(owner, doc) if with_text else []
    if as_json:
        if with_text:
            view["text"] = pages
        emit_json(view)
        return
    kv([("文件", f"{doc.id} {doc.title}"), ("类型", f"{doc.type_label}({doc.type})"), ("归属", view["owner"]),
        ("日期", doc.date), ("来源", view["source_label"]), ("原文件名", doc.original_name),
        ("已签署", "是" if doc.signed else "否"), ("替代", doc.supersedes or ""), ("被替代", doc.superseded_by or ""),
        ("识别方式", f"{doc.identified_by or ''} {'' if doc.confidence is None else f'置信度 {doc.confidence:.2f}'}"),
        ("归档", f"{doc.filed_at or ''} {doc.filed_by}"), ("sha256", doc.sha256), ("位置", view["path"])])
    if with_text:
        infos = {p.n: p for p in doc.pages}
        if not pages:
            console().print("(没有识别出的文字)")
        for i, text in enumerate(pages, start=1):
            info = infos.get(i)
            origin = TEXT_ORIGIN_LABELS[info.origin] if info else "未知"
            conf = f",置信度 {info.confidence:.3f}" if info and info.confidence is not None else ""
            console().rule(f"第 {i} 页({origin}{conf})")
            console().print(text, markup=False)


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


