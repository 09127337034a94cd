"""The archive-core changes the sample archive needed: bulk transactions, filing bytes into an
in-memory dossier, the cheaper path check, the streaming listing; and the light PDF writer."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pypdf
import pypdfium2 as pdfium
import pytest

from docgen.archive import Archive
from docgen.archive.fsutil import safe_join
from docgen.demo.lightpdf import light_pdf
from docgen.errors import ConflictError, DocgenError, RecordError, UnsafePathError
from docgen.idnumbers import id_check_digit
from docgen.models import Dossier, Owner


def make_id(birth: str, seq: int, area: str = "350102") -> str:
    """A valid fake resident ID number."""
    first17 = f"{area}{birth}{seq:03d}"
    return first17 + id_check_digit(first17)


def test_safe_join_refuses_symlinks_leading_out(tmp_path: Path) -> None:
    root = tmp_path / "records"
    (root / "projects").mkdir(parents=True)
    outside = tmp_path / "outside"
    outside.mkdir()
    (root / "projects" / "evil").symlink_to(outside)
    (root / "projects" / "alias").symlink_to(root / "projects")
    with pytest.raises(UnsafePathError, match="档案库之外"):
        safe_join(root, "projects/evil/x.json")
    with pytest.raises(UnsafePathError):
        safe_join(root, "../x")
    assert safe_join(root, "projects/alias/HXSZ/a.json") == root / "projects" / "alias" / "HXSZ" / "a.json"
    assert safe_join(root, "projects/new/deeper/file.pdf") == root / "projects" / "new" / "deeper" / "file.pdf"


def test_bulk_transaction_lands_whole_and_journals(archive: Archive) -> None:
    before = archive.journal.last()
    assert before is not None
    with archive.transaction("bulk.test", "", "批量写入", bulk=True) as tx:
        for i in range(30):
            tx.put_bytes(f"projects/HXSZ/documents/bulk-{i}.txt", f"第{i}份".encode())
    entry = archive.journal.last()
    assert entry is not None and entry["seq"] == before["seq"] + 1 and len(entry["files"]) == 30
    assert (archive.root / "projects/HXSZ/documents/bulk-29.txt").read_text("utf-8") == "第29份"
    assert archive.journal.verify() == []
    assert not archive.layout.txn_dir.exists() or not any(archive.layout.txn_dir.iterdir())


def test_bulk_transaction_aborts_cleanly(archive: Archive) -> None:
    with pytest.raises(RuntimeError), archive.transaction("bulk.test", "", "中途失败", bulk=True) as tx:
        tx.put_bytes("projects/HXSZ/documents/never.txt", b"x")
        raise RuntimeError("boom")
    assert not (archive.root / "projects/HXSZ/documents/never.txt").exists()
    assert archive.journal.verify() == []


def test_new_dossier_with_documents_in_one_transaction(archive: Archive) -> None:
    dossier = Dossier(project="HXSZ", unit="05-1-0808", owners=[Owner(name="欧阳娜娜", id_number=make_id("19880808", 246))])
    pdf = light_pdf([["房屋交接书", "业主:欧阳娜娜  房号:5栋1单元0808"]])
    with archive.transaction("dossier.new", dossier.key, "新建档案并归档文件", bulk=True) as tx:
        doc = archive.add_document(
            dossier.key, pdf, doc_type="handover_record", original_name="交接书.pdf",
            text_pages=["房屋交接书\n业主:欧阳娜娜  房号:5栋1单元0808"], tx=tx, owner=dossier,
        )
        archive.new_dossier(dossier, tx=tx)
    stored = archive.dossier("HXSZ/05-1-0808")
    assert [d.id for d in stored.documents] == [doc.id]
    assert stored.documents[0].size == len(pdf) and stored.documents[0].original_name == "交接书.pdf"
    assert archive.verify_document(stored, stored.documents[0]) is None
    assert "欧阳娜娜" in archive.document_text(stored, stored.documents[0])[0]


def test_add_document_bad_calls(archive: Archive) -> None:
    dossier = archive.dossier("HXSZ/03-2-1203")
    with pytest.raises(DocgenError, match="original_name"):
        archive.add_document(dossier.key, b"%PDF-1.4", doc_type="other")
    with pytest.raises(DocgenError, match="事务"):
        archive.add_document(dossier.key, b"%PDF-1.4", doc_type="other", original_name="a.pdf", owner=dossier)
    with archive.transaction("t", "", "t") as tx, pytest.raises(DocgenError, match="owner_key"):
        archive.add_document("HXSZ/03-2-1204", b"%PDF", doc_type="other", original_name="a.pdf", tx=tx, owner=dossier)
    doc = archive.add_document(dossier.key, b"%PDF-1.4 one", doc_type="other", original_name="a.pdf")
    with pytest.raises(ConflictError), archive.transaction("t", "", "t") as tx:
        tx.put_bytes(f"projects/HXSZ/dossiers/03-2-1203/documents/{doc.file}", b"other", new_only=True)
    assert archive.journal.verify() == []


def test_iter_dossiers_streams_and_checks(archive: Archive, tmp_path: Path) -> None:
    keys = [d.key for d in archive.iter_dossiers()]
    assert keys == list(archive.dossier_keys())
    folder = archive.root / "projects" / "HXSZ" / "dossiers"
    (folder / "09-9-0909").mkdir()  # a folder without dossier.json is not a dossier
    assert [d.key for d in archive.iter_dossiers()] == keys
    shutil.copytree(folder / "03-2-1203", folder / "03-2-1299")  # copied by hand: key disagrees with folder
    with pytest.raises(RecordError, match="不符"):
        list(archive.iter_dossiers())
    shutil.rmtree(folder / "03-2-1299")
    outside = tmp_path / "elsewhere"
    shutil.copytree(folder / "03-2-1204", outside)
    os.symlink(outside, folder / "03-2-1205")
    with pytest.raises(UnsafePathError):
        list(archive.iter_dossiers())


def test_iter_dossiers_names_the_bad_file(archive: Archive) -> None:
    path = archive.dossier_file("HXSZ/05-1-0502")
    data = json.loads(path.read_text("utf-8"))
    data["stage"] = "入住"
    path.write_text(json.dumps(data, ensure_ascii=False), "utf-8")
    with pytest.raises(RecordError) as info:
        list(archive.iter_dossiers())
    assert "05-1-0502" in str(info.value) and "stage" in str(info.value)


def test_light_pdf_text_reads_back(tmp_path: Path) -> None:
    lines = ["质量问题赔偿协议", "乙方:欧阳娜娜(共有人:张伟)  房号:3栋2单元1203", r"路径 C:\docs (副本) 金额 ¥1409.50", "生僻字𠀀"]
    path = tmp_path / "a.pdf"
    path.write_bytes(light_pdf([lines, ["第二页", "签字:张伟"]], title="赔偿协议"))
    pdfium_text = [page.get_textpage().get_text_range() for page in pdfium.PdfDocument(path)]
    pypdf_text = [page.extract_text() for page in pypdf.PdfReader(path, strict=True).pages]
    for text in (pdfium_text, pypdf_text):
        assert "欧阳娜娜" in text[0] and "3栋2单元1203" in text[0] and "¥1409.50" in text[0]
        assert r"C:\docs (副本)" in text[0] and "生僻字?" in text[0]
        assert "签字:张伟" in text[1]
    with pytest.raises(ValueError):
        light_pdf([])
