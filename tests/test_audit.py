"""The audit on a real archive with known planted gaps and errors.

Every planted problem must be found with the right rule on the right dossier,
and the clean dossiers must have no findings at all.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

from conftest import OWNERS, build_small_archive, make_id
from docgen.archive import Archive
from docgen.audit.engine import AuditFilter, Auditor
from docgen.audit.findings import RULES, Finding
from docgen.errors import UsageError
from docgen.models import Dossier, Owner
from validation_helpers import write_unchecked

TODAY = dt.date(2027, 1, 10)
SIGNED_1204 = {"handover_checklist", "inspection_record", "key_receipt", "property_agreement", "management_statute"}


def add_doc(
    archive: Archive, tmp: Path, key: str, doc_type: str, *, text: str | None = None, signed: bool = True,
    content: bytes | None = None, related: str | None = None,
) -> str:
    """File a small real document (with a text sidecar) and return its id."""
    tmp.mkdir(parents=True, exist_ok=True)
    src = tmp / f"{key.replace('/', '_')}_{doc_type}.pdf"
    src.write_bytes(content if content is not None else f"%PDF-1.4 {key} {doc_type}\n".encode())
    doc = archive.add_document(
        key, src, doc_type=doc_type, date=dt.date(2026, 6, 20), source="scan", signed=signed,
        text_pages=[text] if text is not None else None, related=related,
    )
    return doc.id


SIGNING = ["subscription", "purchase_contract", "id_copy", "payment_receipt"]
HANDOVER = [
    "handover_notice", "handover_checklist", "handover_record", "inspection_record", "key_receipt",
    "quality_guarantee", "usage_manual", "property_agreement", "management_statute", "maintenance_fund_receipt",
]


def contract_text(names: str, unit: str, contract_no: str) -> str:
    return (
        f"商品房买卖合同 合同编号:{contract_no}\n买受人:{names}\n房屋:华轩首座{unit}\n"
        "总价款为人民币壹佰贰拾伍万元整(¥1,250,000.00)。"
    )


def build_planted(root: Path, tmp: Path) -> Archive:
    """The small archive plus documents, cases and hand edits with known problems."""
    archive = build_small_archive(root)
    archive._today = lambda: TODAY  # type: ignore[method-assign]

    # -- HXSZ/03-2-1203 (签约, 按揭): complete and correct -> no findings
    k = "HXSZ/03-2-1203"
    for t in [*SIGNING, "mortgage"]:
        text = contract_text("张伟", "3栋2单元1203", "HXSZ-HT-2024-0001") if t == "purchase_contract" else None
        if t == "subscription":
            text = "认购书 认购人 张伟 认购 3 栋 2 单元 1203 室"
        add_doc(archive, tmp, k, t, text=text)

    # -- HXSZ/05-1-0502 (交房): complete, revisited, registration deadline extended -> no findings
    k = "HXSZ/05-1-0502"
    for t in SIGNING + HANDOVER:
        text = None
        if t == "purchase_contract":
            text = contract_text("李娜", "5栋1单元0502", "HXSZ-HT-2024-0003")
        elif t == "handover_record":
            text = "房屋交接书\n业主 李 娜 于 2026-06-20 接收 5 栋1 单元0502 房屋。"  # OCR spacing is tolerated
        add_doc(archive, tmp, k, t, text=text)
    archive.add_case(k, "revisits", {"date": "2026-12-01", "by": "客服小王", "satisfaction": "A"})
    with archive.edit_dossier(k, "dossier.edit", "延长办证期限") as (d, _):
        d.registration_due_days = 365

    # -- HXSZ/03-2-1204 (交房, owners 王芳 + 赵磊): completeness and text problems
    k = "HXSZ/03-2-1204"
    ids: dict[str, str] = {}
    for t in SIGNING + HANDOVER:
        if t == "key_receipt":
            continue  # planted: missing document
        text = None
        if t == "purchase_contract":
            text = contract_text("王芳", "3栋2单元1204", "HXSZ-HT-2024-0002")  # planted: co-owner 赵磊 absent
        elif t == "handover_record":
            text = "房屋交接书 业主 王芳 接收 3栋2单元1205 房屋"  # planted: wrong unit
        elif t == "handover_notice":
            text = "交房通知书 王芳 女士:您购买的3 栋 2 单元 1204 将于6月交付。"  # spaced unit: fine
        ids[t] = add_doc(archive, tmp, k, t, text=text, signed=t != "handover_record")  # planted: unsigned
    ids["supplementary_agreement"] = add_doc(
        archive, tmp, k, "supplementary_agreement", text="补充协议 买受人 王芳 房屋 3栋2单元1204"
    )  # planted: contract number missing
    ids["area_adjustment"] = add_doc(
        archive, tmp, k, "area_adjustment",
        text="面积补差单 3栋2单元1204 补差金额人民币壹万贰仟伍佰元整(¥12,000.00)",  # planted: words != figure
    )
    with archive.edit_dossier(k, "dossier.edit", "植入问题") as (d, _):
        doc = d.document(ids["inspection_record"])
        assert doc is not None
        doc.superseded_by = "DOC-2099-000001"  # planted: superseded by a document that is not there
    qg = archive.dossier(k).document(ids["quality_guarantee"])
    assert qg is not None
    archive.document_path(archive.dossier(k), qg).unlink()  # planted: file missing

    # -- HXSZ/05-1-0601 (保修期): timeliness problems, duplicate file, hand-edited ID
    k = "HXSZ/05-1-0601"
    for t in SIGNING + HANDOVER + ["cert_application", "deed_tax_receipt", "repair_record"]:
        content = b"%PDF-1.4 HXSZ/03-2-1204 id_copy\n" if t == "id_copy" else None  # planted: 1204's ID copy
        if t == "usage_manual":
            content = b"%PDF-1.4 HXSZ/03-2-1204 usage_manual\n"  # the same manual everywhere is expected
        add_doc(archive, tmp, k, t, content=content)
    late = archive.add_case(k, "repairs", {
        "reported_on": "2026-08-01", "component": "入户门", "description": "门锁损坏", "status": "已完成",
        "responded_on": "2026-08-02", "completed_on": "2026-09-20", "compensation": "3000.00",
    })  # planted: completed after 50 days; no revisit within 60 days
    add_doc(
        archive, tmp, k, "compensation_agreement", related=late.id,
        text="质量问题赔偿协议 乙方 刘洋 房屋 5栋1单元0601 合同编号 HXSZ-HT-2024-0004 "
        "赔偿人民币贰仟元整(小写:¥2,000.00元)",  # planted: 2000 in the agreement vs 3000 on record
    )
    archive.add_case(k, "repairs", {
        "reported_on": "2027-01-05", "component": "卫生间灯具", "description": "灯不亮", "in_warranty": True,
    })  # planted: lamps have 6 months (expired 2026-12-20); nobody responded in 2 days
    archive.add_case(k, "complaints", {
        "received_on": "2026-12-01", "first_responder": "客服小李", "category": "噪音扰民", "description": "邻居装修",
    })  # planted: open 40 days
    archive.add_case(k, "complaints", {
        "received_on": "2026-09-25", "first_responder": "客服小李", "category": "服务态度", "description": "态度",
        "status": "已关闭", "closed_on": "2026-10-01",
    })  # planted: no revisit within 3 days of closing
    path = archive.dossier_file(k)
    data = json.loads(path.read_text("utf-8"))
    data["owners"][0]["id_number"] = data["owners"][0]["id_number"][:-1] + (
        "0" if data["owners"][0]["id_number"][-1] != "0" else "1"
    )  # planted: a hand edit with a bad check digit (saving would refuse it)
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2), "utf-8")

    # -- HXSZ/05-1-0602: another person with 王芳's ID number; area off by 6 %
    archive.new_dossier(Dossier(
        project="HXSZ", unit="05-1-0602", stage="签约", contract_no="HXSZ-HT-2024-0005",
        owners=[Owner(name="陈静", id_number=OWNERS[1][1], phone="13600001111")],
        area_contract="89.50", area_measured="95.00", payment_status="已付清",
    ))
    for t in SIGNING:
        add_doc(archive, tmp, "HXSZ/05-1-0602", t)

    # -- the project: a developer credit code with a wrong check character (kept, warned)
    with archive.edit_project("HXSZ", "project.edit", "植入问题") as p:
        p.developer.credit_code = "91350100M000100Y44"
    return archive


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory) -> tuple[Archive, list[Finding]]:
    base = tmp_path_factory.mktemp("planted")
    archive = build_planted(base / "records", base / "src")
    return archive, list(Auditor(archive).run())


def by_key(findings: list[Finding]) -> dict[str, list[tuple[str, str]]]:
    out: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for f in findings:
        out[f.key].append((f.rule, f.ref))
    return out


def test_clean_dossiers_have_no_findings(planted: tuple[Archive, list[Finding]]) -> None:
    _, findings = planted
    keys = by_key(findings)
    assert keys.get("HXSZ/03-2-1203", []) == []
    assert keys.get("HXSZ/05-1-0502", []) == []


@pytest.mark.parametrize(
    ("key", "rule", "ref"),
    [
        ("HXSZ/03-2-1204", "COMPLETE.MISSING_DOC", "key_receipt"),
        ("HXSZ/03-2-1204", "COMPLETE.UNSIGNED", None),
        ("HXSZ/03-2-1204", "COMPLETE.SUPERSEDED_BY_MISSING", None),
        ("HXSZ/03-2-1204", "COMPLETE.FILE_MISSING", None),
        ("HXSZ/03-2-1204", "ACCURACY.NAME_NOT_IN_TEXT", None),
        ("HXSZ/03-2-1204", "ACCURACY.UNIT_NOT_IN_TEXT", None),
        ("HXSZ/03-2-1204", "ACCURACY.CONTRACT_NOT_IN_TEXT", None),
        ("HXSZ/03-2-1204", "ACCURACY.AMOUNT_WORDS", None),
        ("HXSZ/05-1-0601", "ACCURACY.ID_NUMBER", "owners[0].id_number"),
        ("HXSZ/05-1-0601", "ACCURACY.DUPLICATE_FILE", None),
        ("HXSZ/05-1-0601", "ACCURACY.AMOUNT_RECORD", None),
        ("HXSZ/05-1-0601", "TIME.REPAIR_COMPLETION", None),
        ("HXSZ/05-1-0601", "TIME.REVISIT_AFTER_REPAIR", None),
        ("HXSZ/05-1-0601", "TIME.REPAIR_RESPONSE", None),
        ("HXSZ/05-1-0601", "TIME.WARRANTY_EXPIRED", None),
        ("HXSZ/05-1-0601", "TIME.COMPLAINT_OPEN", None),
        ("HXSZ/05-1-0601", "TIME.REVISIT_AFTER_COMPLAINT", None),
        ("HXSZ/05-1-0601", "TIME.REVISIT_OVERDUE", None),
        ("HXSZ/05-1-0601", "TIME.CERT_OVERDUE", None),
        ("HXSZ/05-1-0602", "ACCURACY.SHARED_ID_NUMBER", None),
        ("HXSZ/05-1-0602", "ACCURACY.AREA_VARIANCE", "area_measured"),
        ("HXSZ", "ACCURACY.CREDIT_CODE", "developer.credit_code"),
    ],
)
def test_planted_problem_is_found(planted: tuple[Archive, list[Finding]], key: str, rule: str, ref: str | None) -> None:
    _, findings = planted
    hits = [f for f in findings if f.key == key and f.rule == rule and (ref is None or f.ref == ref)]
    assert hits, f"{rule} not found for {key}: {by_key(findings).get(key)}"
    for f in hits:
        assert f.severity in ("error", "warning", "info")
        assert f.project == "HXSZ"
        assert any("\u4e00" <= ch <= "\u9fff" for ch in f.message)  # a Chinese sentence


@pytest.mark.parametrize(("stage", "due"), [("签约", False), ("交房", True)])
def test_area_adjustment_is_due_at_handover_not_at_signing(tmp_path: Path, stage: str, due: bool) -> None:
    """A measured area known before the notice needs no 面积补差单 yet; once handed over, it does."""
    archive = build_small_archive(tmp_path / "records")
    archive.new_dossier(Dossier(
        project="HXSZ", unit="05-1-0603", stage=stage, contract_no="HXSZ-HT-2024-0006",
        owners=[Owner(name="陈静", id_number=make_id("19900101", 731, "350104"), phone="13600001112")],
        area_contract="89.50", area_measured="90.10", payment_status="已付清",
        delivered_on=dt.date(2026, 6, 20) if due else None,
    ))
    findings = list(Auditor(archive, today=TODAY).run())
    hits = [f.rule for f in findings if f.key == "HXSZ/05-1-0603" and f.ref == "area_adjustment"]
    assert hits == (["COMPLETE.MISSING_DOC"] if due else [])


def test_only_planted_problems_in_1204(planted: tuple[Archive, list[Finding]]) -> None:
    """Nothing beyond the plants: the spaced unit in the notice and the signed documents pass."""
    _, findings = planted
    rules = sorted(f.rule for f in findings if f.key == "HXSZ/03-2-1204")
    assert rules == sorted([
        "COMPLETE.MISSING_DOC", "COMPLETE.UNSIGNED", "COMPLETE.SUPERSEDED_BY_MISSING", "COMPLETE.FILE_MISSING",
        "ACCURACY.NAME_NOT_IN_TEXT", "ACCURACY.UNIT_NOT_IN_TEXT", "ACCURACY.CONTRACT_NOT_IN_TEXT",
        "ACCURACY.AMOUNT_WORDS", "TIME.REVISIT_OVERDUE", "TIME.CERT_OVERDUE",
    ])
    name = next(f for f in findings if f.rule == "ACCURACY.NAME_NOT_IN_TEXT")
    assert "赵磊" in name.message


def test_findings_mask_personal_data(planted: tuple[Archive, list[Finding]]) -> None:
    _, findings = planted
    shared = next(f for f in findings if f.rule == "ACCURACY.SHARED_ID_NUMBER")
    assert OWNERS[1][1] not in shared.message
    assert "王芳" in shared.message and "HXSZ/03-2-1204" in shared.message
    assert all(OWNERS[1][1] not in f.message for f in findings)


def test_findings_stamp_batch_and_stage(planted: tuple[Archive, list[Finding]]) -> None:
    _, findings = planted
    f = next(f for f in findings if f.rule == "TIME.COMPLAINT_OPEN")
    assert (f.batch, f.stage) == ("B01", "保修期")
    assert f.rule in RULES and f.severity == "error"


def test_filters(planted: tuple[Archive, list[Finding]]) -> None:
    archive, _ = planted
    stage = list(Auditor(archive, where=AuditFilter(stage="保修期")).run())
    assert {f.key for f in stage} == {"HXSZ/05-1-0601"}
    batch = list(Auditor(archive, where=AuditFilter(batch="B01", min_severity="error")).run())
    assert batch and all(f.batch == "B01" and f.severity == "error" for f in batch)
    assert "HXSZ/05-1-0602" not in {f.key for f in batch}
    with pytest.raises(UsageError, match="阶段"):
        Auditor(archive, where=AuditFilter(stage="入住"))


def test_unreadable_dossier_is_a_finding_not_a_crash(tmp_path: Path) -> None:
    archive = build_small_archive(tmp_path / "records")
    archive.dossier_file("HXSZ/03-2-1204").write_text('{"project": "HXSZ", "unit": ', "utf-8")
    findings = list(Auditor(archive, today=dt.date(2026, 7, 1)).run())
    bad = [f for f in findings if f.rule == "RECORD.UNREADABLE"]
    assert [f.key for f in bad] == ["HXSZ/03-2-1204"]
    assert "JSON" in bad[0].message
    assert {f.key for f in findings} >= {"HXSZ/03-2-1203", "HXSZ/05-1-0601"}  # the rest was audited


def test_today_is_injected(tmp_path: Path) -> None:
    archive = build_small_archive(tmp_path / "records")
    archive._today = lambda: dt.date(2026, 7, 1)  # type: ignore[method-assign]
    early = {f.rule for f in Auditor(archive).run()}
    archive._today = lambda: dt.date(2027, 7, 1)  # type: ignore[method-assign]
    late = {f.rule for f in Auditor(archive).run()}
    assert "TIME.CERT_OVERDUE" not in early and "TIME.REVISIT_OVERDUE" not in early
    assert {"TIME.CERT_OVERDUE", "TIME.REVISIT_OVERDUE"} <= late


def test_same_person_owning_two_units_is_not_a_shared_id(tmp_path: Path) -> None:
    archive = build_small_archive(tmp_path / "records")
    archive.new_dossier(Dossier(
        project="HXSZ", unit="05-1-0603", owners=[Owner(name="张伟", id_number=OWNERS[0][1])],
    ))
    archive.new_dossier(Dossier(
        project="HXSZ", unit="05-1-0604", owners=[Owner(name="周杰", id_number=make_id("19700101", 999))],
    ))
    rules = {f.rule for f in Auditor(archive, today=dt.date(2026, 7, 1)).run()}
    assert "ACCURACY.SHARED_ID_NUMBER" not in rules


def _rules_for(archive: Archive, key: str, today: dt.date = TODAY) -> list[str]:
    return [f.rule for f in Auditor(archive, today=today).run() if f.key == key]


def test_hand_edited_phone_and_duplicate_ids(tmp_path: Path) -> None:
    archive = build_small_archive(tmp_path / "records")
    key = "HXSZ/05-1-0601"
    archive.add_case(key, "revisits", {"date": "2026-07-01", "by": "小王", "satisfaction": "B"})
    path = archive.dossier_file(key)
    data = json.loads(path.read_text("utf-8"))
    data["owners"][0]["phone"] = "12345"
    data["revisits"].append(dict(data["revisits"][0]))
    path.write_text(json.dumps(data, ensure_ascii=False), "utf-8")
    found = _rules_for(archive, key, dt.date(2026, 8, 1))
    assert "ACCURACY.PHONE" in found and "ACCURACY.DUPLICATE_RECORD_ID" in found


def test_supersedes_missing_and_unreadable_amount(tmp_path: Path) -> None:
    archive = build_small_archive(tmp_path / "records")
    key = "HXSZ/03-2-1203"
    doc_id = add_doc(archive, tmp_path / "src", key, "supplementary_agreement", text="补充协议 退款人民币元角分")
    with archive.edit_dossier(key, "dossier.edit", "测试") as (d, _):
        d.document(doc_id).supersedes = "DOC-1999-000001"  # type: ignore[union-attr]
    found = _rules_for(archive, key, dt.date(2026, 8, 1))
    assert "COMPLETE.SUPERSEDES_MISSING" in found
    assert "ACCURACY.AMOUNT_UNREADABLE" in found


def test_superseded_document_is_replaced_by_the_new_one(tmp_path: Path) -> None:
    archive = build_small_archive(tmp_path / "records")
    key = "HXSZ/03-2-1203"
    old = add_doc(archive, tmp_path / "a", key, "purchase_contract", signed=False)
    src = tmp_path / "signed.pdf"
    src.write_bytes(b"%PDF signed copy")
    archive.add_document(key, src, doc_type="purchase_contract", signed=True, supersedes=old)
    found = [f for f in Auditor(archive, today=dt.date(2026, 8, 1)).run() if f.key == key]
    assert not [f for f in found if f.rule == "COMPLETE.UNSIGNED"]
    assert "purchase_contract" not in [f.ref for f in found if f.rule == "COMPLETE.MISSING_DOC"]


def test_complaint_closed_late_and_unknown_component(tmp_path: Path) -> None:
    archive = build_small_archive(tmp_path / "records")
    key = "HXSZ/05-1-0601"
    archive.add_case(key, "complaints", {
        "received_on": "2026-07-01", "first_responder": "小李", "category": "物业服务", "description": "x",
        "status": "已关闭", "closed_on": "2026-08-01",
    })
    archive.add_case(key, "revisits", {"date": "2026-08-02", "by": "小王", "satisfaction": "A"})
    repair = archive.add_case(key, "repairs", {
        "reported_on": "2026-08-01", "component": "门窗", "description": "x", "responded_on": "2026-08-01",
    })
    rejected = archive.add_case(key, "repairs", {
        "reported_on": "2026-07-01", "component": "门窗", "description": "x", "status": "不予维修",
    })

    def outside_the_table(data: dict[str, Any]) -> None:  # components typed before the vocabulary existed
        data["repairs"][0]["component"] = "院子围栏"
        data["repairs"][1]["component"] = "阳台栏杆"

    write_unchecked(archive, key, outside_the_table)
    found = [f for f in Auditor(archive, today=dt.date(2026, 8, 20)).run() if f.key == key]
    rules = [f.rule for f in found]
    assert "TIME.COMPLAINT_LATE" in rules
    assert "TIME.REVISIT_AFTER_COMPLAINT" not in rules  # revisited the next day
    assert "TIME.WARRANTY_UNKNOWN" not in rules  # retired: one finding per problem
    assert sorted(f.ref for f in found if f.rule == "VALID.COMPONENT") == sorted([repair.id, rejected.id])
    assert "TIME.REPAIR_COMPLETION" not in rules and "TIME.REPAIR_RESPONSE" not in rules


def test_settlement_sheet_amount_and_certificate_done(tmp_path: Path) -> None:
    archive = build_small_archive(tmp_path / "records")
    key = "HXSZ/05-1-0601"
    settlement = archive.add_case(key, "settlements", {
        "created_on": "2026-08-01", "contractor": "福州某维修公司", "status": "已审批",
        "items": [{"item": "更换门锁", "declared_qty": "1", "approved_qty": "1", "unit_price": "800.00"}],
        "approvals": [{"role": "经办人", "name": "小王", "decision": "同意", "date": "2026-08-01"},
                      {"role": "客户服务部负责人", "name": "林经理", "decision": "同意", "date": "2026-08-02"}],
    })
    add_doc(archive, tmp_path / "s", key, "settlement_sheet", related=settlement.id,
            text="5栋1单元0601 审定金额合计 人民币捌佰元整(¥800.00)")
    with archive.edit_dossier(key, "dossier.edit", "办结产权证") as (d, _):
        d.certificate_status = "已办结"
    found = [f for f in Auditor(archive, today=dt.date(2026, 8, 20)).run() if f.key == key]
    rules = [f.rule for f in found]
    assert "ACCURACY.AMOUNT_RECORD" not in rules
    missing = {f.ref for f in found if f.rule == "COMPLETE.MISSING_DOC"}
    assert {"certificate_receipt", "property_certificate"} <= missing
    assert "settlement_sheet" not in missing
    assert "TIME.CERT_OVERDUE" not in rules


def test_settlement_sheet_with_wrong_amount(tmp_path: Path) -> None:
    archive = build_small_archive(tmp_path / "records")
    key = "HXSZ/05-1-0601"
    settlement = archive.add_case(key, "settlements", {
        "created_on": "2026-08-01", "contractor": "福州某维修公司",
        "items": [{"item": "更换门锁", "declared_qty": "1", "approved_qty": "1", "unit_price": "800.00"}],
    })
    add_doc(archive, tmp_path / "s", key, "settlement_sheet", related=settlement.id,
            text="5栋1单元0601 合计 人民币玖佰元整(¥900.00)")
    assert "ACCURACY.AMOUNT_RECORD" in _rules_for(archive, key, dt.date(2026, 8, 20))


def test_duplicate_ok_types_are_not_flagged(planted: tuple[Archive, list[Finding]]) -> None:
    archive, findings = planted
    dups = [f for f in findings if f.rule == "ACCURACY.DUPLICATE_FILE"]
    assert len(dups) == 1
    doc = archive.dossier("HXSZ/05-1-0601").document(dups[0].ref)
    assert doc is not None and doc.type == "id_copy"  # the identical 住宅使用说明书 is expected, not flagged


def test_unknown_batch_filter_is_an_error_not_an_empty_audit(archive: Archive) -> None:
    from docgen.errors import NotFoundError

    with pytest.raises(NotFoundError, match="没有交房批次 B99"):
        Auditor(archive, where=AuditFilter(batch="B99"))
    assert Auditor(archive, where=AuditFilter(project="HXSZ", batch="B01")).where.batch == "B01"


def test_same_id_in_two_dossiers_is_reported(archive: Archive, tmp_path: Path) -> None:
    """Ids must be unique archive-wide: a rolled-back counters.json once gave two documents one id (issue 10)."""
    src = tmp_path / "a.pdf"
    src.write_bytes(b"%PDF-1.4 a")
    doc = archive.add_document("HXSZ/03-2-1203", src, doc_type="repair_record")
    src.write_bytes(b"%PDF-1.4 b")
    archive.add_document("HXSZ/05-1-0601", src, doc_type="repair_record", doc_id=doc.id)
    dupes = [f for f in Auditor(archive).run() if f.rule == "ACCURACY.DUPLICATE_RECORD_ID"]
    assert [(f.key, f.ref) for f in dupes] == [("HXSZ/05-1-0601", doc.id)]
    assert "HXSZ/03-2-1203" in dupes[0].message
