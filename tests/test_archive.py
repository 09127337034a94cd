"""The archive: records, validation on load and save, documents, case records, journal."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import make_id
from docgen.archive import Archive
from docgen.errors import ConflictError, DocgenError, NotFoundError, RecordError, UnsafePathError
from docgen.models import Dossier, Owner


def _dossier_path(archive: Archive, key: str) -> Path:
    return archive.dossier_file(key)


def _snapshot(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".docgen" not in p.parts
    }


def test_small_archive_loads_and_journal_verifies(archive: Archive) -> None:
    keys = list(archive.dossier_keys())
    assert keys == ["HXSZ/03-2-1203", "HXSZ/03-2-1204", "HXSZ/05-1-0502", "HXSZ/05-1-0601"]
    dossiers = list(archive.iter_dossiers())
    assert [d.stage for d in dossiers] == ["签约", "交房", "交房", "保修期"]
    assert archive.journal.verify() == []
    entries = list(archive.journal.entries())
    assert entries[0].action == "archive.init"
    assert entries[-1].action == "batch.new"
    assert all(e.actor == "测试员" for e in entries)


def test_open_refuses_a_folder_that_is_not_an_archive(tmp_path: Path) -> None:
    with pytest.raises(NotFoundError, match="不是 docgen 档案库"):
        Archive.open(tmp_path)


def test_duplicate_unit_is_refused_and_archive_unchanged(archive: Archive) -> None:
    before = _snapshot(archive.root)
    dup = Dossier(project="HXSZ", unit="3栋2单元1203", owners=[Owner(name="某人", id_number=make_id(seq=901))])
    with pytest.raises(ConflictError, match="已存在"):
        archive.new_dossier(dup)
    assert _snapshot(archive.root) == before


def test_wrong_id_checksum_on_save_names_the_field_and_changes_nothing(archive: Archive) -> None:
    before = _snapshot(archive.root)
    with pytest.raises(RecordError) as info, archive.edit_dossier("HXSZ/03-2-1203", "dossier.set", "x") as (d, _tx):
        d.owners[0].id_number = "110105194912310021"
    message = str(info.value)
    assert "dossier.json" in message and "owners[0].id_number" in message and "校验位错误" in message
    assert _snapshot(archive.root) == before


def test_unknown_key_in_a_hand_edited_file_is_named(archive: Archive) -> None:
    path = _dossier_path(archive, "HXSZ/03-2-1203")
    data = json.loads(path.read_text("utf-8"))
    data["contrct_no"] = "typo"
    path.write_text(json.dumps(data, ensure_ascii=False), "utf-8")
    with pytest.raises(RecordError) as info:
        archive.dossier("HXSZ/03-2-1203")
    assert str(path) in str(info.value)
    assert "contrct_no" in str(info.value) and "未知字段" in str(info.value)


def test_malformed_json_says_where(archive: Archive) -> None:
    path = _dossier_path(archive, "HXSZ/03-2-1203")
    path.write_text('{"project": "HXSZ",\n "unit": }', "utf-8")
    with pytest.raises(RecordError, match="JSON 格式错误.*line 2"):
        archive.dossier("HXSZ/03-2-1203")


def test_non_utf8_file_is_named(archive: Archive) -> None:
    path = _dossier_path(archive, "HXSZ/03-2-1203")
    path.write_bytes(path.read_text("utf-8").encode("gbk"))
    with pytest.raises(RecordError, match="不是 UTF-8"):
        archive.dossier("HXSZ/03-2-1203")


def test_float_money_in_a_file_is_refused(archive: Archive) -> None:
    path = _dossier_path(archive, "HXSZ/03-2-1203")
    data = json.loads(path.read_text("utf-8"))
    data["price_total"] = 1250000.1
    path.write_text(json.dumps(data, ensure_ascii=False), "utf-8")
    with pytest.raises(RecordError, match="price_total.*浮点数"):
        archive.dossier("HXSZ/03-2-1203")


def test_bad_date_is_named(archive: Archive) -> None:
    path = _dossier_path(archive, "HXSZ/03-2-1203")
    data = json.loads(path.read_text("utf-8"))
    data["signed_on"] = "2024/05/10"
    path.write_text(json.dumps(data, ensure_ascii=False), "utf-8")
    with pytest.raises(RecordError, match="signed_on.*YYYY-MM-DD"):
        archive.dossier("HXSZ/03-2-1203")


def test_record_in_the_wrong_folder_is_refused(archive: Archive) -> None:
    path = _dossier_path(archive, "HXSZ/03-2-1203")
    data = json.loads(path.read_text("utf-8"))
    data["unit"] = "03-2-1204"
    path.write_text(json.dumps(data, ensure_ascii=False), "utf-8")
    with pytest.raises(RecordError, match="与所在目录"):
        archive.dossier("HXSZ/03-2-1203")


def test_a_batch_renamed_inside_its_file_is_refused_not_saved_twice(archive: Archive) -> None:
    """A hand edit changed a batch's id in B01.json: before, it loaded as B09 and an edit wrote B09.json beside it."""
    batch_id = archive.batch_ids("HXSZ")[0]
    path = archive.path(archive.layout.batch_rel("HXSZ", batch_id))
    data = json.loads(path.read_text("utf-8"))
    data["id"] = "B09"
    path.write_text(json.dumps(data, ensure_ascii=False), "utf-8")
    with pytest.raises(RecordError, match=f"字段 id/project: 为 HXSZ/B09,与文件位置 HXSZ/{batch_id} 不符"):
        archive.batch("HXSZ", batch_id)
    with pytest.raises(RecordError), archive.edit_batch("HXSZ", batch_id, "batch.edit", "改场地") as batch:
        batch.venue = "新会所"
    assert sorted(p.name for p in path.parent.iterdir()) == [f"{batch_id}.json"]


def test_wrong_id_in_a_hand_edited_file_still_loads_and_is_reported(archive: Archive) -> None:
    path = _dossier_path(archive, "HXSZ/03-2-1203")
    data = json.loads(path.read_text("utf-8"))
    data["owners"][0]["id_number"] = "110105194912310021"
    path.write_text(json.dumps(data, ensure_ascii=False), "utf-8")
    d = archive.dossier("HXSZ/03-2-1203")
    assert d.data_problems() == [("owners[0].id_number", "身份证号码校验位错误(按 GB 11643 应为 X)")]


@pytest.mark.parametrize("key", ["../../etc", "HXSZ/../../etc/x", "/etc/passwd"])
def test_paths_that_escape_are_refused(archive: Archive, key: str) -> None:
    with pytest.raises(UnsafePathError):
        archive.dossier(key)
    with pytest.raises(UnsafePathError):
        archive.path(key)


def test_add_document_files_copy_text_and_journal(archive: Archive, tmp_path: Path) -> None:
    src = tmp_path / "合同.pdf"
    src.write_bytes(b"%PDF-1.4 fake but bytes are bytes")
    doc = archive.add_document(
        "HXSZ/03-2-1203", src, doc_type="商品房买卖合同", text_pages=["第一页 张伟", "第二页"], signed=True
    )
    assert doc.id.startswith("DOC-") and doc.type == "purchase_contract" and doc.original_name == "合同.pdf"
    owner, found = archive.find_document(doc.id)
    assert found == doc and archive.owner_key(owner) == "HXSZ/03-2-1203"
    assert archive.document_path(owner, doc).read_bytes() == src.read_bytes()
    assert archive.document_text(owner, doc) == ["第一页 张伟", "第二页"]
    assert archive.verify_document(owner, doc) is None
    last = archive.journal.last()
    assert last is not None and last["action"] == "document.add"
    paths = {f["path"] for f in last["files"]}
    assert f"projects/HXSZ/dossiers/03-2-1203/documents/{doc.file}" in paths
    src.unlink()  # the archive keeps its own copy
    assert archive.verify_document(owner, doc) is None


def test_project_level_type_refused_in_a_dossier(archive: Archive, tmp_path: Path) -> None:
    src = tmp_path / "permit.pdf"
    src.write_bytes(b"x")
    with pytest.raises(DocgenError, match="项目级文件"):
        archive.add_document("HXSZ/03-2-1203", src, doc_type="presale_permit")
    doc = archive.add_document("HXSZ", src, doc_type="预售许可证")
    assert archive.find_document(doc.id)[0] == archive.project("HXSZ")


def test_supersedes_links_both_ways(archive: Archive, tmp_path: Path) -> None:
    a, b = tmp_path / "a.pdf", tmp_path / "b.pdf"
    a.write_bytes(b"a")
    b.write_bytes(b"b")
    old = archive.add_document("HXSZ/03-2-1204", a, doc_type="handover_record")
    new = archive.add_document("HXSZ/03-2-1204", b, doc_type="handover_record", supersedes=old.id, signed=True)
    d = archive.dossier("HXSZ/03-2-1204")
    assert d.document(old.id).superseded_by == new.id  # type: ignore[union-attr]
    with pytest.raises(NotFoundError):
        archive.add_document("HXSZ/03-2-1204", b, doc_type="handover_record", supersedes="DOC-1999-000001")


def test_case_records_are_numbered_and_updated(archive: Archive) -> None:
    r1 = archive.add_case("HXSZ/05-1-0601", "repairs", {"reported_on": "2026-07-01", "component": "卫生间地面渗漏",
                                                        "description": "楼下天花板渗水"})
    r2 = archive.add_case("HXSZ/05-1-0601", "repairs", {"reported_on": "2026-07-02", "component": "门窗",
                                                        "description": "窗户关不严"})
    assert (r1.id, r2.id) == (f"BX-{archive.today().year}-00001", f"BX-{archive.today().year}-00002")
    updated = archive.update_case(r1.id, {"status": "维修中", "verified_cause": "防水层破损", "compensation": "1200.00"})
    assert updated.status == "维修中" and str(updated.compensation) == "1200.00"
    with pytest.raises(DocgenError, match="没有字段"):
        archive.update_case(r1.id, {"colour": "red"})
    with pytest.raises(RecordError) as info:
        archive.update_case(r1.id, {"status": "飞走了"})
    assert str(info.value) == (  # the record and field in words, the values in Chinese (no "status", no "or")
        f"报修单 {r1.id} 的状态 取值「飞走了」无效,应为 已受理、已核实、维修中、待验收、已完成、已关闭或不予维修"
    )
    with pytest.raises(NotFoundError):
        archive.update_case("BX-1999-00001", {"status": "维修中"})


def test_settlement_amounts_are_exact(archive: Archive) -> None:
    s = archive.add_case("HXSZ/05-1-0601", "settlements", {
        "created_on": "2026-08-01", "contractor": "福州安居维修工程有限公司",
        "items": [
            {"item": "卫生间防水重做", "unit": "m²", "declared_qty": "6.5", "approved_qty": "6.2", "unit_price": "185.00"},
            {"item": "瓷砖更换", "unit": "m²", "declared_qty": "6.5", "approved_qty": "6.2", "unit_price": "96.50"},
        ],
        "deductions": [{"name": "预留质保金", "amount": "87.27"}],
    })
    assert str(s.declared_total) == "1829.75"
    assert str(s.approved_total) == "1745.30"
    assert str(s.payable) == "1658.03"


def test_counters_survive_reopen(archive: Archive) -> None:
    archive.add_case("HXSZ/05-1-0601", "complaints", {"received_on": "2026-07-01", "first_responder": "陈晨",
                                                      "category": "工程质量", "description": "漏水"})
    again = Archive.open(archive.root, actor="另一人")
    c = again.add_case("HXSZ/05-1-0601", "complaints", {"received_on": "2026-07-02", "first_responder": "陈晨",
                                                        "category": "工程质量", "description": "漏水"})
    assert c.id.endswith("-00002")
    assert again.journal.last()["actor"] == "另一人"  # type: ignore[index]


def test_batch_with_unknown_unit_is_refused(archive: Archive) -> None:
    with pytest.raises(RecordError, match="没有档案"), archive.edit_batch("HXSZ", "B01", "batch.unit", "x") as b:
        from docgen.models import BatchUnit

        b.units.append(BatchUnit(unit="09-9-0909"))
    assert len(archive.batch("HXSZ", "B01").units) == 3


def test_text_file_name_that_escapes_is_refused_on_load(archive: Archive, tmp_path: Path) -> None:
    src = tmp_path / "a.pdf"
    src.write_bytes(b"%PDF-1.4 a")
    archive.add_document("HXSZ/03-2-1203", src, doc_type="handover_record", text_pages=["x"])
    path = _dossier_path(archive, "HXSZ/03-2-1203")
    data = json.loads(path.read_text("utf-8"))
    data["documents"][0]["text_file"] = "../../../../secret.txt"
    path.write_text(json.dumps(data, ensure_ascii=False), "utf-8")
    with pytest.raises(RecordError, match=r"documents\[0\]\.text_file"):
        archive.dossier("HXSZ/03-2-1203")


def test_bad_project_code_is_a_clear_error(archive: Archive) -> None:
    with pytest.raises(UnsafePathError, match="项目编号"):
        list(archive.dossier_keys("../x"))
    with pytest.raises(UnsafePathError, match="项目编号"):
        archive.batch("X", "B01")
