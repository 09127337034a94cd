"""Certificates (办证): readiness from real documents, the project gate, registration batches, deadlines.

Every test works on the small real archive of ``conftest.py`` (project HXSZ, its
初始登记 done; 03-2-1204 王芳 + co-owner 赵磊, 05-1-0502 李娜 and 05-1-0601 刘洋
delivered on 2026-06-20) through the real services, with documents filed as
the department would file them.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from docgen.archive import Archive
from docgen.audit.engine import Auditor
from docgen.audit.fixity import verify_archive
from docgen.certificates import deadlines as clocks
from docgen.certificates.readiness import readiness
from docgen.certificates.requirements import default_certificate_rules
from docgen.config import load_config
from docgen.errors import (
    ConflictError,
    NotFoundError,
    PermissionDenied,
    RecordError,
    StaleEditError,
    UsageError,
    ValidationFailed,
)
from docgen.models import Dossier, Owner, Registration
from docgen.services import certificates as certs
from docgen.session import Session, User, Workspace

TODAY = dt.date(2026, 7, 20)
MATERIALS = ("purchase_contract", "cert_application", "power_of_attorney", "household_register", "marriage_proof",
             "deed_tax_receipt", "maintenance_fund_receipt")
SIGNED = ("purchase_contract", "cert_application", "power_of_attorney")


def file_doc(archive: Archive, key: str, doc_type: str, *, title: str = "", signed: bool | None = None,
             text: str = "", note: str = "") -> str:
    """File a small document into a dossier, as ingest would; return its id."""
    doc = archive.add_document(
        key, f"%PDF-1.4 {key} {doc_type} {title} {note}\n".encode(), doc_type=doc_type, original_name=f"{doc_type}.pdf",
        title=title, signed=doc_type in SIGNED if signed is None else signed, text_pages=[text or title or doc_type],
        date=TODAY, note=note,
    )
    return doc.id


def file_materials(archive: Archive, key: str, *, skip: tuple[str, ...] = ()) -> None:
    """Everything the default list asks for: each paper once, an ID copy per owner (named in its title)."""
    for doc_type in MATERIALS:
        if doc_type not in skip:
            file_doc(archive, key, doc_type)
    if "id_copy" not in skip:
        for owner in archive.dossier(key).owners:
            file_doc(archive, key, "id_copy", title=f"身份证复印件({owner.name})")


def workspace(archive: Archive, tmp_path: Path) -> Workspace:
    config = load_config(None, {("archive", "path"): str(archive.root),
                                ("generate", "output"): str(tmp_path / "out")}, env={})
    config.search.index_path = tmp_path / "index"
    return Workspace(config, archive=archive)


@pytest.fixture
def ws(archive: Archive, tmp_path: Path) -> Workspace:
    archive._today = lambda: TODAY  # type: ignore[method-assign]
    return workspace(archive, tmp_path)


def session(ws: Workspace, role: str = "operator", name: str = "吴敏", **kw: object) -> Session:
    return ws.session(User(name, role, **kw))  # type: ignore[arg-type]


def without_initial_registration(ws: Workspace) -> None:
    with ws.archive.edit_project("HXSZ", "project.edit", "初始登记尚未办理") as p:
        p.initial_registration.status = "办理中"
        p.initial_registration.number = ""
        p.initial_registration.date = None


def ready(ws: Workspace, key: str) -> bool:
    return certs.household_readiness(session(ws), key).ready


# -- readiness, from the documents ---------------------------------------------------------------
def test_readiness_is_computed_from_the_filed_documents(ws: Workspace) -> None:
    s = session(ws)
    before = certs.household_readiness(s, "HXSZ/05-1-0502")
    assert not before.ready
    assert before.lacks == ["已备案的《商品房买卖合同》", "不动产登记申请书", "委托书", "身份证复印件(缺 李娜 的身份证复印件)",
                            "户口簿复印件", "婚姻状况证明", "契税完税证明", "专项维修资金缴款收据"]
    file_materials(ws.archive, "HXSZ/05-1-0502", skip=("marriage_proof",))
    partial = certs.household_readiness(s, "HXSZ/05-1-0502")
    assert partial.lacks == ["婚姻状况证明"] and not partial.ready
    file_doc(ws.archive, "HXSZ/05-1-0502", "marriage_proof")
    done = certs.household_readiness(s, "HXSZ/05-1-0502")
    assert done.ready and done.lacks == []
    assert done.materials == 8  # seven papers and one ID copy; 已交房 and 已付清 are conditions, not papers
    filed = {i.code: i.documents for i in done.items}
    assert set(filed["marriage_proof"]) <= {d.id for d in ws.archive.dossier("HXSZ/05-1-0502").documents}


def test_every_owner_and_co_owner_needs_an_id_copy_matched_by_name(ws: Workspace) -> None:
    key = "HXSZ/03-2-1204"  # 王芳 and co-owner 赵磊
    file_materials(ws.archive, key, skip=("id_copy",))
    file_doc(ws.archive, key, "id_copy", title="身份证复印件(王芳)")
    file_doc(ws.archive, key, "id_copy", title="身份证复印件(王芳)", text="王芳 反面")  # two copies of one person
    assert certs.household_readiness(session(ws), key).lacks == ["身份证复印件(缺 赵磊 的身份证复印件)"]
    file_doc(ws.archive, key, "id_copy", title="身份证复印件", text="姓名 赵磊 性别 男")  # named only in the text read
    r = certs.household_readiness(session(ws), key)
    assert r.ready, r.lacks
    assert next(i for i in r.items if i.code == "id_copy").copies == 2


def test_unsigned_missing_file_and_superseded_documents_do_not_count(ws: Workspace) -> None:
    key = "HXSZ/05-1-0502"
    file_materials(ws.archive, key, skip=("power_of_attorney", "deed_tax_receipt", "household_register"))
    file_doc(ws.archive, key, "power_of_attorney", signed=False)  # the generated draft, not yet signed
    tax = file_doc(ws.archive, key, "deed_tax_receipt")
    d = ws.archive.dossier(key)
    doc = d.document(tax)
    assert doc is not None
    ws.archive.document_path(d, doc).unlink()  # the file is gone (verify reports it too)
    old = file_doc(ws.archive, key, "household_register")
    with ws.archive.edit_dossier(key, "document.edit", "被替代") as (dossier, _tx):
        register = dossier.document(old)
        assert register is not None
        register.superseded_by = tax  # replaced by something else: no current 户口簿 copy
    lacks = certs.household_readiness(session(ws), key).lacks
    assert lacks == ["委托书(已归档的版本未签字)", "户口簿复印件", f"契税完税证明(文件 {tax} 缺失)"]


def test_payment_and_the_contract_filing_number_come_from_the_dossier(ws: Workspace) -> None:
    key = "HXSZ/05-1-0502"
    file_materials(ws.archive, key)
    with ws.archive.edit_dossier(key, "dossier.set", "按揭未放款、备案号未录") as (d, _tx):
        d.payment_status = "按揭待放款"
        d.filing_no = ""
    assert certs.household_readiness(session(ws), key).lacks == [
        "房款已付清（或按揭贷款已放款）(付款状态为按揭待放款)", "已备案的《商品房买卖合同》(档案中没有合同备案号)"]


def test_an_agent_needs_a_notarised_power_of_attorney(ws: Workspace) -> None:
    key = "HXSZ/05-1-0502"
    file_materials(ws.archive, key)
    s = session(ws)
    reg = certs.new_registration(s, "HXSZ", units=["05-1-0502"], agents={"05-1-0502": "李强"}).registration
    assert reg.households[0].agent == "李强"
    assert certs.household_readiness(s, key).lacks == ["经公证的委托书(已归档的委托书未注明经过公证)"]
    file_doc(ws.archive, key, "power_of_attorney", title="委托书(公证)", note="(2026)榕证字第1234号公证书")
    assert certs.household_readiness(s, key).ready
    certs.set_agent(s, reg.id, "05-1-0502", "")
    assert not next(i for i in certs.household_readiness(s, key).items if i.code.startswith("notarised")).applicable


def test_the_list_is_data_with_local_variants_per_project(ws: Workspace) -> None:
    key = "HXSZ/05-1-0502"
    file_materials(ws.archive, key, skip=("household_register",))
    rules = json.loads((Path(__file__).parents[1] / "src/docgen/data/default_rules.json").read_text("utf-8"))
    rules["certificates"]["projects"] = {"HXSZ": {
        "remove": ["household_register"],
        "add": [{"code": "advance_registration", "check": "document", "doc_type": "advance_registration",
                 "label": "预告登记证明", "bring": "预告登记证明原件"}],
    }}
    ws.archive.write_config_file("rules.json", json.dumps(rules, ensure_ascii=False).encode(), "本地办证材料")
    assert certs.household_readiness(session(ws), key).lacks == ["预告登记证明"]
    rules["certificates"]["projects"] = {"HXSZ": {"remove": ["户口簿"]}}
    ws.archive.write_config_file("rules.json", json.dumps(rules, ensure_ascii=False).encode(), "写错的材料代码")
    with pytest.raises(RecordError, match="要去掉的办证材料 户口簿 不在 requirements 中"):
        certs.household_readiness(session(ws), key)


def test_readiness_list_of_a_project(ws: Workspace) -> None:
    file_materials(ws.archive, "HXSZ/05-1-0502")
    result = certs.list_readiness(session(ws), "HXSZ")
    assert [r.key for r in result.rows] == ["HXSZ/03-2-1204", "HXSZ/05-1-0502", "HXSZ/05-1-0601"]  # delivered only
    assert result.counts == {"households": 3, "ready": 1, "blocked": 0, "lacking": 2}
    assert [r.key for r in certs.list_readiness(session(ws), "HXSZ", only="ready").rows] == ["HXSZ/05-1-0502"]
    with pytest.raises(NotFoundError, match="没有房号 05-1-0909"):
        certs.list_readiness(session(ws), "HXSZ", units=["05-1-0909"])


# -- the project gate -------------------------------------------------------------------------------
def test_a_batch_cannot_take_a_household_whose_project_lacks_its_initial_registration(ws: Workspace) -> None:
    without_initial_registration(ws)
    file_materials(ws.archive, "HXSZ/05-1-0502")
    s = session(ws)
    r = certs.household_readiness(s, "HXSZ/05-1-0502")
    assert not r.ready and r.lacks == ["项目 HXSZ 的初始登记（目前：办理中）尚未办结，暂不能递交业主的转移登记"]
    seq = ws.archive.journal.last()["seq"]  # type: ignore[index]
    with pytest.raises(ConflictError, match="5栋1单元0502：项目 HXSZ 的初始登记.*尚未办结"):
        certs.new_registration(s, "HXSZ", units=["05-1-0502"])
    with pytest.raises(ConflictError, match="初始登记"):
        certs.new_registration(s, "HXSZ", ready=True)
    assert ws.archive.journal.last()["seq"] == seq and ws.archive.registration_ids("HXSZ") == []  # type: ignore[index]
    state = certs.set_prerequisite(s, "HXSZ", "初始登记", status="已办结", number="闽(2026)福州市不动产权第0000999号",
                                   done_on="2026-07-15")
    assert state.done and ws.archive.project("HXSZ").initial_registration.status == "已办结"  # kept in step
    made = certs.new_registration(s, "HXSZ", ready=True)
    assert [e.unit for e in made.registration.households] == ["05-1-0502"]
    assert {u for u, _ in made.skipped} == {"03-2-1204", "05-1-0601"}
    # a registration the registry sends back (初始登记 reopened) holds the batch up again, at submission
    certs.set_prerequisite(s, "HXSZ", "initial_registration", status="办理中", note="登记中心要求补正")
    with pytest.raises(ConflictError, match="5栋1单元0502：项目 HXSZ 的初始登记.*尚未办结"):
        certs.submit_registration(s, made.registration.id, receipt_no="R-2")
    reopened = ws.archive.project("HXSZ")
    assert reopened.initial_registration.status == "办理中" and reopened.initial_registration.date is None
    assert [(x.status, x.done_on, x.note) for x in reopened.prerequisites] == [("办理中", None, "登记中心要求补正")]


def test_a_phase_entry_holds_up_only_that_phase(ws: Workspace) -> None:
    s = session(ws)
    with ws.archive.edit_project("HXSZ", "project.edit", "二期") as p:
        p.phases.append(p.phases[0].model_copy(update={"name": "二期", "buildings": ["07"]}))
        p.phases[0].buildings = ["03", "05"]
    certs.set_prerequisite(s, "HXSZ", "initial_registration", phase="一期", status="办理中")
    assert certs.household_readiness(s, "HXSZ/05-1-0502").blockers
    with pytest.raises(NotFoundError, match="没有分期 “三期”"):
        certs.set_prerequisite(s, "HXSZ", "initial_registration", phase="三期", status="办理中")
    with pytest.raises(UsageError, match="办证前提 “初登” 无效"):
        certs.set_prerequisite(s, "HXSZ", "初登", status="办理中")
    labels = [(st.label, st.status) for st in certs.project_prerequisites(s, "HXSZ")]
    assert ("初始登记", "已办结") in labels and ("初始登记(一期)", "办理中") in labels
    assert ("预售许可证(一期)", "已办结") in labels and ("数据挂接(二期)", "未办理") in labels


def test_the_audit_reports_the_project_not_every_dossier(ws: Workspace) -> None:
    without_initial_registration(ws)
    late = dt.date(2026, 11, 30)  # 90 days after delivery have passed for the three delivered households
    findings = list(Auditor(ws.archive, today=late).run())
    held = [f for f in findings if f.rule == "CERT.PREREQUISITE"]
    assert len(held) == 1 and held[0].key == "HXSZ" and held[0].ref == "initial_registration"
    assert "已交房的 3 户业主因此无法递交产权登记,其中 3 户已超过登记期限" in held[0].message
    assert not [f for f in findings if f.rule == "TIME.CERT_OVERDUE"]
    ws.archive._today = lambda: late  # type: ignore[method-assign]
    certs.set_prerequisite(session(ws), "HXSZ", "initial_registration", status="已办结", done_on="2026-11-01")
    again = list(Auditor(ws.archive, today=late).run())
    assert not [f for f in again if f.rule == "CERT.PREREQUISITE"]
    assert sorted(f.key for f in again if f.rule == "TIME.CERT_OVERDUE") == [
        "HXSZ/03-2-1204", "HXSZ/05-1-0502", "HXSZ/05-1-0601"]


# -- the registration batch: every step journaled, dossiers kept in step -------------------------------
def test_submit_collect_hand_out_and_leave_are_journaled_and_keep_dossiers_in_step(ws: Workspace) -> None:
    s = session(ws)
    for key in ("HXSZ/03-2-1204", "HXSZ/05-1-0502"):
        file_materials(ws.archive, key)
    made = certs.new_registration(s, "HXSZ", units=["03-2-1204", "5栋1单元0502"], name="一期第一批办证",
                                  registry="福州市不动产登记中心")
    reg = made.registration
    assert reg.id == "DJ-2026-00001" and reg.handled_by == "吴敏"
    entry = ws.archive.journal.last()
    assert entry is not None and entry["action"] == "registration.new" and entry["target"] == "HXSZ/DJ-2026-00001"
    assert "projects/HXSZ/registrations/DJ-2026-00001.json" in [f["path"] for f in entry["files"]]
    assert ws.archive.dossier("HXSZ/05-1-0502").certificate_status == "资料收集中"

    with pytest.raises(ConflictError, match="已在办证批次 DJ-2026-00001 中"):
        certs.new_registration(s, "HXSZ", units=["05-1-0502"])
    with pytest.raises(UsageError, match="受理编号"):
        certs.submit_registration(s, reg.id, receipt_no=" ")

    submitted = certs.submit_registration(s, reg.id, receipt_no="FZ-DJ-20260720-018", on="2026-07-20")
    assert submitted.submitted_on == TODAY and [e.status for e in submitted.households] == ["已递交", "已递交"]
    assert [e.materials for e in submitted.households] == [9, 8]  # 1204 has two owners: two ID copies
    entry = ws.archive.journal.last()
    assert entry is not None and entry["action"] == "registration.submit" and entry["actor"] == "吴敏"
    assert sorted(f["path"] for f in entry["files"]) == [
        "projects/HXSZ/dossiers/03-2-1204/dossier.json", "projects/HXSZ/dossiers/05-1-0502/dossier.json",
        "projects/HXSZ/registrations/DJ-2026-00001.json"]
    d = ws.archive.dossier("HXSZ/05-1-0502")
    assert (d.certificate_status, d.stage) == ("已递交", "办证")

    with pytest.raises(ConflictError, match="已于 2026-07-20 递交"):
        certs.submit_registration(s, reg.id, receipt_no="again")
    stale = ws.archive.registration("HXSZ", reg.id).entry("05-1-0502")
    assert stale is not None
    got = certs.collect_certificate(s, reg.id, "05-1-0502", number="闽(2026)福州市不动产权第0061234号",
                                    on="2026-07-20", revision=stale.revision)
    assert got.status == "已出证" and got.revision == stale.revision + 1
    entry = ws.archive.journal.last()
    assert entry is not None and entry["action"] == "registration.collect"
    d = ws.archive.dossier("HXSZ/05-1-0502")
    assert (d.certificate_status, d.certificate_no, d.certified_on, d.stage) == (
        "已办结", "闽(2026)福州市不动产权第0061234号", TODAY, "保修期")
    with pytest.raises(StaleEditError, match="已被 吴敏 于"):
        certs.hand_out_certificate(s, reg.id, "05-1-0502", revision=stale.revision)
    handed = certs.hand_out_certificate(s, reg.id, "05-1-0502")
    assert handed.status == "已领取" and handed.received_by == "李娜"
    assert ws.archive.journal.last()["action"] == "registration.handout"  # type: ignore[index]

    with pytest.raises(UsageError, match="须写明原因"):
        certs.leave_registration(s, reg.id, "03-2-1204", reason="")
    with pytest.raises(ConflictError, match="为已领取，证书已经出证，不能退出"):
        certs.leave_registration(s, reg.id, "05-1-0502", reason="误操作")
    left = certs.leave_registration(s, reg.id, "03-2-1204", reason="资料退回:婚姻状况证明过期")
    assert (left.status, left.left_reason) == ("已退出", "资料退回:婚姻状况证明过期")
    d = ws.archive.dossier("HXSZ/03-2-1204")
    assert (d.certificate_status, d.stage) == ("资料收集中", "交房")
    entry = ws.archive.journal.last()
    assert entry is not None and entry["action"] == "registration.leave"
    assert entry["detail"]["reason"] == "资料退回:婚姻状况证明过期"
    view = certs.show_registration(s, "HXSZ/" + reg.id)
    assert view.registration.stage == "已完成" and view.counts["已领取"] == 1 and view.counts["已退出"] == 1
    # the household that left may join a new batch
    assert certs.new_registration(s, "HXSZ", units=["03-2-1204"]).registration.id == "DJ-2026-00002"
    problems, _ = verify_archive(ws.archive)
    assert problems == []
    assert not [f for f in Auditor(ws.archive, today=TODAY).run() if f.rule.startswith(("VALID.", "CERT."))]


def test_submit_refuses_an_incomplete_household_and_changes_nothing(ws: Workspace) -> None:
    s = session(ws)
    file_materials(ws.archive, "HXSZ/05-1-0502", skip=("deed_tax_receipt",))
    reg = certs.new_registration(s, "HXSZ", units=["05-1-0502"]).registration
    seq = ws.archive.journal.last()["seq"]  # type: ignore[index]
    with pytest.raises(ConflictError, match="5栋1单元0502：缺 契税完税证明"):
        certs.submit_registration(s, reg.id, receipt_no="R-1")
    assert ws.archive.journal.last()["seq"] == seq  # type: ignore[index]
    assert ws.archive.registration("HXSZ", reg.id).submitted_on is None
    with pytest.raises(ConflictError, match="为待递交，尚未递交登记中心：请先登记递交"):
        certs.collect_certificate(s, reg.id, "05-1-0502", number="X")
    with pytest.raises(NotFoundError, match="房号 3栋2单元1204 不在办证批次"):
        certs.collect_certificate(s, reg.id, "03-2-1204", number="X")


def test_permissions_and_project_scope(ws: Workspace) -> None:
    file_materials(ws.archive, "HXSZ/05-1-0502")
    reg = certs.new_registration(session(ws, "archivist"), "HXSZ", units=["05-1-0502"]).registration
    auditor = session(ws, "auditor", "审计员")
    assert certs.show_registration(auditor, reg.id).registration.id == reg.id  # reading is allowed
    with pytest.raises(PermissionDenied, match="办证"):
        certs.submit_registration(auditor, reg.id, receipt_no="R")
    other = session(ws, "staff", "外项目客服", projects=frozenset({"YHW"}))
    with pytest.raises(NotFoundError, match="不存在或无权查看"):
        certs.show_registration(other, reg.id)
    with pytest.raises(NotFoundError, match="不存在或无权查看"):
        certs.list_readiness(other, "HXSZ")


def test_a_hand_edit_that_breaks_the_batch_is_refused_on_save_and_reported_by_the_audit(ws: Workspace) -> None:
    file_materials(ws.archive, "HXSZ/05-1-0502")
    reg = certs.new_registration(session(ws), "HXSZ", units=["05-1-0502"]).registration
    path = ws.archive.path(ws.archive.layout.registration_rel("HXSZ", reg.id))
    data = json.loads(path.read_text("utf-8"))
    data["households"][0]["status"] = "已出证"  # without a number, before any submission
    with pytest.raises(ValidationFailed, match="尚未递交"), ws.archive.transaction("test", reg.ref, "错误的修改") as tx:
        ws.archive.save_registration(Registration.model_validate(data), tx)
    path.write_text(json.dumps(data, ensure_ascii=False), "utf-8")
    found = [f for f in Auditor(ws.archive, today=TODAY).run() if f.rule == "VALID.REGISTRATION"]
    assert {f.ref for f in found} == {"05-1-0502"} and len(found) == 2
    assert any("没有不动产权证号" in f.message for f in found)


# -- deadlines ------------------------------------------------------------------------------------------
def _delivered(archive: Archive, unit: str, delivered: dt.date, *, status: str = "资料收集中",
               certified: dt.date | None = None, days: int | None = None) -> None:
    archive.new_dossier(Dossier(
        project="HXSZ", unit=unit, owners=[Owner(name="测试户", id_number="11010519491231002X")], stage="交房",
        delivered_on=delivered, certificate_status=status, certified_on=certified,  # type: ignore[arg-type]
        certificate_no="闽(2026)测试" if certified else "", registration_due_days=days, payment_status="已付清",
    ))


def test_deadlines_list_overdue_households_first(ws: Workspace) -> None:
    archive = ws.archive
    today = dt.date(2026, 11, 30)
    archive._today = lambda: today  # type: ignore[method-assign]
    _delivered(archive, "05-2-0801", dt.date(2026, 5, 1))                       # 213 days: both clocks overdue
    _delivered(archive, "05-2-0802", dt.date(2026, 8, 1))                       # 121 days: filing 61 over, cert 31
    _delivered(archive, "05-2-0803", dt.date(2026, 10, 15))                     # 46 days: both open
    _delivered(archive, "05-2-0804", dt.date(2026, 7, 1), status="已办结", certified=dt.date(2026, 9, 1))  # on time
    _delivered(archive, "05-2-0805", dt.date(2026, 9, 1), days=365)             # filing overdue, contract gives 1 year
    rows = certs.deadlines(session(ws), "HXSZ").rows
    order = [r.unit for r in rows]
    # the fixture's three households, delivered 2026-06-20 (163 days), are overdue too
    assert order[:1] == ["05-2-0801"] and order.index("05-2-0802") < order.index("05-2-0805")
    overdue = [r for r in rows if r.overdue]
    assert [r.days_over for r in overdue] == sorted((r.days_over for r in overdue), reverse=True)
    assert order[-2:] == ["05-2-0803", "05-2-0804"]  # open, then done
    by_unit = {r.unit: r for r in rows}
    assert by_unit["05-2-0801"].filing.state == clocks.OVERDUE and by_unit["05-2-0801"].days_over == 213 - 60
    assert (by_unit["05-2-0805"].filing.state, by_unit["05-2-0805"].certificate.state) == (clocks.OVERDUE, clocks.OPEN)
    done = by_unit["05-2-0804"]
    assert done.certificate.state == clocks.ON_TIME and done.days_to_certificate == 62
    assert done.filing.state == clocks.UNDATED  # certified without a batch on record: filed, date unknown
    assert [r.unit for r in certs.deadlines(session(ws), "HXSZ", overdue_only=True).rows] == [r.unit for r in overdue]


def test_the_filing_clock_is_met_by_the_batch_submission_date(ws: Workspace) -> None:
    s = session(ws)
    file_materials(ws.archive, "HXSZ/05-1-0502")
    reg = certs.new_registration(s, "HXSZ", units=["05-1-0502"]).registration
    late = dt.date(2026, 8, 25)  # delivered 2026-06-20: the 60 days ended on 2026-08-19
    s.archive._today = lambda: late  # type: ignore[method-assign]  # the session's view of the archive
    certs.submit_registration(s, reg.id, receipt_no="R-9")
    row = next(r for r in certs.deadlines(s, "HXSZ").rows if r.unit == "05-1-0502")
    assert (row.filing.state, row.filing.days_over, row.registration) == (clocks.LATE, 6, reg.id)
    assert row.certificate.state == clocks.OPEN and row.certificate.days_left == 24
    view = certs.show_registration(s, reg.id)
    assert view.rows[0].deadline is not None and view.rows[0].deadline.filing.label == "逾期完成"


def test_clock_states_without_an_archive() -> None:
    from docgen.audit.rules import Deadlines

    d = Dossier(project="HXSZ", unit="03-2-1203", owners=[Owner(name="甲", id_number="11010519491231002X")],
                delivered_on=dt.date(2026, 1, 1), registration_due_days=30)
    row = clocks.household_deadline(d, Deadlines(), dt.date(2026, 2, 15))
    assert row is not None and row.certificate.due == dt.date(2026, 1, 31) and row.certificate.days_over == 15
    assert row.filing.due == dt.date(2026, 3, 2) and row.filing.state == clocks.OPEN
    assert clocks.household_deadline(d.model_copy(update={"delivered_on": None}), Deadlines(), dt.date(2026, 2, 1)) is None


def test_readiness_needs_no_archive_for_its_checks() -> None:
    from docgen.generate import samples

    project, dossier = samples.project(), samples.dossier()
    r = readiness(dossier, project, default_certificate_rules().for_project("SAMPLE"))
    assert r.blockers and "初始登记" in r.blockers[0]  # the sample project records none
    assert "身份证复印件(缺 业主甲、业主乙 的身份证复印件)" in r.lacks


def test_a_batch_file_changed_outside_docgen_is_named_by_verify_and_refused_by_the_next_step(ws: Workspace) -> None:
    from docgen.archive.reconcile import accept_changes

    file_materials(ws.archive, "HXSZ/05-1-0502")
    reg = certs.new_registration(session(ws), "HXSZ", units=["05-1-0502"]).registration
    rel = ws.archive.layout.registration_rel("HXSZ", reg.id)
    path = ws.archive.path(rel)
    data = json.loads(path.read_text("utf-8"))
    data["notes"] = "手工补记:业主电话确认"
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2), "utf-8")
    problems, _ = verify_archive(ws.archive)
    assert [(p.code, p.path) for p in problems] == [("FIXITY.RECORD_CHANGED", rel)]
    assert f"办证批次 HXSZ/{reg.id}" in problems[0].message
    with pytest.raises(Exception, match=f"办证批次 HXSZ/{reg.id}"):
        certs.submit_registration(session(ws), reg.id, receipt_no="R-1")
    data["households"] = "不是列表"
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2), "utf-8")
    with pytest.raises(RecordError, match="无法认可"):
        accept_changes(ws.archive, [rel], "核对后认可")
    data["households"] = json.loads(json.dumps(reg.model_dump(mode="json")["households"]))
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2), "utf-8")
    accept_changes(ws.archive, [rel], "客服主管补记的备注,已核对")
    assert verify_archive(ws.archive)[0] == []
    assert certs.submit_registration(session(ws), reg.id, receipt_no="R-1").notes == "手工补记:业主电话确认"


def test_ready_passes_over_a_household_already_submitted_outside_a_batch(ws: Workspace) -> None:
    """Review: --ready took households whose dossier says 已递交 with no batch, to be submitted twice."""
    file_materials(ws.archive, "HXSZ/05-1-0502")
    with ws.archive.edit_dossier("HXSZ/05-1-0502", "dossier.edit", "已递交") as (d, _tx):
        d.certificate_status = "已递交"
    s = session(ws)
    with pytest.raises(ConflictError, match="已递交"):
        certs.new_registration(s, "HXSZ", ready=True)
    with pytest.raises(ConflictError, match="5栋1单元0502：档案记为产权证资料已递交"):
        certs.new_registration(s, "HXSZ", units=["05-1-0502"])


def test_dates_out_of_order_are_refused(ws: Workspace) -> None:
    """Review: a batch dated before the delivery, a submission before the batch, a leave before the submission."""
    file_materials(ws.archive, "HXSZ/05-1-0502")
    s = session(ws)
    delivered = ws.archive.dossier("HXSZ/05-1-0502").delivered_on
    assert delivered is not None
    with pytest.raises(ConflictError, match="交房日期 .* 晚于办证批次的建立日期"):
        certs.new_registration(s, "HXSZ", units=["05-1-0502"], on=delivered - dt.timedelta(days=1))
    reg = certs.new_registration(s, "HXSZ", units=["05-1-0502"], on=delivered + dt.timedelta(days=10)).registration
    with pytest.raises(UsageError, match="早于办证批次 .* 的建立日期"):
        certs.submit_registration(s, reg.id, receipt_no="R-1", on=delivered + dt.timedelta(days=9))
    certs.submit_registration(s, reg.id, receipt_no="R-1", on=delivered + dt.timedelta(days=20))
    with pytest.raises(UsageError, match="早于递交日期"):
        certs.leave_registration(s, reg.id, "05-1-0502", reason="资料退回", on=delivered + dt.timedelta(days=15))
