"""The ingest pipeline on real files, a real archive and real PDF libraries (text PDFs: no OCR needed)."""

from __future__ import annotations

import json
import shutil
import struct
import zlib
from pathlib import Path

import pytest
from PIL import Image
from pypdf import PdfReader, PdfWriter

from docgen.archive import Archive
from docgen.demo.scans import text_pdf
from docgen.ingest.areas import Areas
from docgen.ingest.cover import cover_sheet
from docgen.ingest.pipeline import Pipeline
from docgen.ingest.settings import IngestSettings
from docgen.qrcodes import DocumentCode


@pytest.fixture
def inbox(tmp_path: Path) -> Path:
    folder = tmp_path / "inbox"
    folder.mkdir()
    return folder


@pytest.fixture
def pipeline(archive: Archive, inbox: Path):
    with Pipeline(archive, IngestSettings(inbox=inbox, ocr_dpi=150)) as p:
        yield p


def all_docs(archive: Archive) -> list[tuple[str, object]]:
    out = []
    for owner in [*archive.iter_dossiers(), *archive.projects()]:
        out.extend((archive.owner_key(owner), d) for d in owner.documents)
    return out


def drop(inbox: Path, name: str, lines: list[str], **kw) -> Path:
    return text_pdf([lines], inbox / name, **kw)


def run(pipeline: Pipeline, path: Path, **kw):
    result = pipeline.ingest_inbox_file(path, **kw)
    assert result is not None
    return result


# -- identification paths ----------------------------------------------------------
def test_filename_convention_files_into_dossier(archive, inbox, pipeline):
    path = drop(inbox, "HXSZ_03-2-1203_handover_record_20260620.pdf", ["房屋交接书", "房号:3 栋2 单元1203", "业主签字:张伟"])
    result = run(pipeline, path)
    assert result.status == "filed", result.message
    assert (result.owner_key, result.doc_type, result.method) == ("HXSZ/03-2-1203", "handover_record", "filename")
    owner, doc = archive.find_document(result.doc_id)
    assert doc.source == "scan" and doc.identified_by == "filename" and doc.date.isoformat() == "2026-06-20"
    assert doc.original_name == path.name
    assert [p.origin for p in doc.pages] == ["text"]
    text = archive.document_text(owner, doc)[0]
    assert "3栋2单元1203" in text  # LibreOffice-style spaces removed
    assert not path.exists() and not list(pipeline.worker.dir.iterdir())


def test_filename_with_chinese_labels(archive, inbox, pipeline):
    path = drop(inbox, "HXSZ_5栋1单元0502_钥匙签收表.pdf", ["钥匙签收表", "已领取钥匙三把"])
    result = run(pipeline, path)
    assert result.status == "filed", result.message
    assert (result.owner_key, result.doc_type) == ("HXSZ/05-1-0502", "key_receipt")


def test_project_level_filename(archive, inbox, pipeline):
    path = drop(inbox, "HXSZ_presale_permit_20240301.pdf", ["商品房预售许可证", "榕房许字(2024)第0123号"])
    result = run(pipeline, path)
    assert result.status == "filed", result.message
    assert result.owner_key == "HXSZ" and result.doc_type == "presale_permit"


def test_content_matching_unit_and_owner_name(archive, inbox, pipeline):
    path = drop(inbox, "scan0001.pdf", ["钥匙签收表", "项目:华轩首座 房号:5栋1单元0502", "业主:李娜 已领取入户门钥匙三把。", "签收日期:2026年6月21日"])
    result = run(pipeline, path)
    assert result.status == "filed", result.message
    assert (result.owner_key, result.doc_type, result.method) == ("HXSZ/05-1-0502", "key_receipt", "content")
    assert result.confidence >= 0.8
    assert archive.find_document(result.doc_id)[1].date.isoformat() == "2026-06-21"


def test_content_matching_unit_and_name_without_project_name(archive, inbox, pipeline):
    path = drop(inbox, "扫描件_20261110_0932.pdf", ["维修记录", "房号:3栋2单元1204 业主:王芳", "卫生间地漏返水,已疏通。"])
    result = run(pipeline, path)
    assert result.status == "filed", result.message
    assert (result.owner_key, result.doc_type, result.method) == ("HXSZ/03-2-1204", "repair_record", "content")


def test_content_matching_by_contract_number(archive, inbox, pipeline):
    path = drop(inbox, "scan0002.pdf", ["补充协议", "合同编号:HXSZ-HT-2024-0004", "双方就装修标准补充约定如下。"])
    result = run(pipeline, path)
    assert result.status == "filed", result.message
    assert result.owner_key == "HXSZ/05-1-0601"


def test_low_confidence_goes_to_review_then_filed_by_a_person(archive, inbox, pipeline):
    path = drop(inbox, "scan0003.pdf", ["情况说明", "房号:3栋2单元1204 的业主来电说明情况。"])
    result = run(pipeline, path)
    assert result.status == "review", result.message
    assert result.confidence < 0.8
    entries = pipeline.areas.reviews()
    assert len(entries) == 1 and entries[0]["candidates"][0]["owner_key"] == "HXSZ/03-2-1204"
    assert "3栋2单元1204" in entries[0]["text_pages"][0]
    assert not all_docs(archive)
    filed = pipeline.file_review(entries[0]["id"][:6], "HXSZ/03-2-1204", "其他")
    assert filed.status == "filed" and filed.method == "manual"
    (owner, doc) = archive.find_document(filed.doc_id)
    assert doc.original_name == "scan0003.pdf" and doc.identified_by == "manual"
    assert archive.document_text(owner, doc)[0].startswith("情况说明")
    assert pipeline.areas.reviews() == [] and not any(pipeline.areas.review.iterdir())


def test_review_reject_moves_to_failed_with_reason(archive, inbox, pipeline):
    path = drop(inbox, "unknown.pdf", ["无关的文件", "没有任何可识别的信息在这里"])
    result = run(pipeline, path)
    assert result.status == "review"
    pipeline.reject_review(result.review_id, "不是本项目的文件")
    failed = pipeline.areas.failed_files()
    assert [f.name for f in failed] == ["unknown.pdf"]
    assert "不是本项目的文件" in pipeline.areas.reason_of(failed[0])


def test_into_and_type_skip_identification(archive, inbox, pipeline):
    path = drop(inbox, "anything.pdf", ["某某文件", "内容与房号无关"])
    result = run(pipeline, path, into="HXSZ", doc_type="制度/政策法规")
    assert result.status == "filed" and result.method == "direct"
    assert (result.owner_key, result.doc_type) == ("HXSZ", "policy")


def test_into_unknown_dossier_fails_with_reason(archive, inbox, pipeline):
    path = drop(inbox, "x.pdf", ["房屋交接书", "内容"])
    result = run(pipeline, path, into="HXSZ/09-9-0909")
    assert result.status == "failed" and "不存在" in result.message
    assert (pipeline.areas.failed / "x.pdf").exists()


# -- QR round trip and batch scans --------------------------------------------------------
def test_qr_on_generated_document_files_signed_copy(archive, inbox, pipeline, tmp_path):
    draft = text_pdf([["房屋交接书", "草稿"]], tmp_path / "draft.pdf")
    generated = archive.add_document("HXSZ/03-2-1204", draft, doc_type="handover_record", source="generated")
    payload = DocumentCode(generated.id, "HXSZ/03-2-1204").encode()
    path = drop(inbox, "scanner-0007.pdf", ["房屋交接书", "业主签字:王芳 赵磊"], qr_payload=payload)
    result = run(pipeline, path)
    assert result.status == "filed", result.message
    assert result.method == "qr" and result.confidence == 1.0
    owner, doc = archive.find_document(result.doc_id)
    assert doc.signed and doc.supersedes == generated.id and doc.type == "handover_record"
    assert owner.document(generated.id).superseded_by == doc.id


def test_separator_sheets_split_a_batch_pdf(archive, inbox, pipeline, tmp_path):
    parts = [
        cover_sheet(archive, "HXSZ/03-2-1203", "handover_record", tmp_path / "c1.pdf") and tmp_path / "c1.pdf",
        text_pdf([["房屋交接书", "第一户 第1页"], ["房屋交接书", "第一户 第2页"]], tmp_path / "a.pdf"),
        cover_sheet(archive, "HXSZ/05-1-0502", "key_receipt", tmp_path / "c2.pdf") and tmp_path / "c2.pdf",
        text_pdf([["钥匙签收表", "第二户"]], tmp_path / "b.pdf"),
    ]
    writer = PdfWriter()
    for part in parts:
        writer.append(str(part))
    batch = inbox / "batch.pdf"
    with open(batch, "wb") as fh:
        writer.write(fh)
    result = run(pipeline, batch)
    assert result.status == "split", result.message
    assert [p.status for p in result.parts] == ["filed", "filed"]
    assert [(p.owner_key, p.doc_type, p.pages) for p in result.parts] == [
        ("HXSZ/03-2-1203", "handover_record", 2),
        ("HXSZ/05-1-0502", "key_receipt", 1),
    ]
    owner, doc = archive.find_document(result.parts[0].doc_id)
    assert len(PdfReader(str(archive.document_path(owner, doc))).pages) == 2
    assert "第一户" in archive.document_text(owner, doc)[1]
    # the same batch dropped again is a duplicate, not two more documents
    shutil.copy(tmp_path / "c1.pdf", tmp_path / "unused.pdf")
    with open(inbox / "batch-again.pdf", "wb") as fh:
        writer.write(fh)
    again = run(pipeline, inbox / "batch-again.pdf")
    assert again.status == "duplicate", again.message
    assert len(all_docs(archive)) == 2


# -- duplicates -------------------------------------------------------------------------------
def test_duplicate_is_reported_and_set_aside(archive, inbox, pipeline):
    first = drop(inbox, "HXSZ_03-2-1203_key_receipt.pdf", ["钥匙签收表", "张伟"])
    shutil.copy(first, inbox / "copy-of-scan.pdf")
    assert run(pipeline, first).status == "filed"
    dup = run(pipeline, inbox / "copy-of-scan.pdf")
    assert dup.status == "duplicate"
    assert "HXSZ/03-2-1203" in dup.message
    kept = pipeline.areas.duplicates / "copy-of-scan.pdf"
    assert kept.exists() and "重复文件" in pipeline.areas.reason_of(kept)
    assert len(all_docs(archive)) == 1


# -- bad input: each gets a clear reason in the failed area ---------------------------------------
def _png_header(width: int, height: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b"")


def _encrypted(tmp_path: Path) -> bytes:
    src = text_pdf([["房屋交接书", "3栋2单元1203"]], tmp_path / "plain.pdf")
    writer = PdfWriter(clone_from=PdfReader(str(src)))
    writer.encrypt("secret")
    out = tmp_path / "enc.pdf"
    writer.write(str(out))
    return out.read_bytes()


@pytest.mark.parametrize(
    ("name", "make", "expected"),
    [
        ("empty.pdf", lambda tmp: b"", "文件为空"),
        ("notes.docx", lambda tmp: b"PK\x03\x04" + b"\x00" * 100, "不支持的文件类型"),
        ("broken.pdf", lambda tmp: b"%PDF-1.7\n1 0 obj << /Type /Catalog >> garbage", "PDF 文件已损坏"),
        ("locked.pdf", _encrypted, "PDF 已加密"),
        ("bomb.png", lambda tmp: _png_header(100_000, 100_000), "解压炸弹"),
        ("truncated.png", lambda tmp: _png_header(800, 600)[:40], "图像文件已损坏"),
    ],
)
def test_bad_input_goes_to_failed_with_reason(archive, inbox, pipeline, tmp_path, name, make, expected):
    path = inbox / name
    path.write_bytes(make(tmp_path))
    original = path.read_bytes()
    result = run(pipeline, path)
    assert result.status == "failed"
    assert expected in result.message
    kept = pipeline.areas.failed / name
    assert kept.read_bytes() == original  # nothing lost
    reason = pipeline.areas.reason_of(kept)
    assert expected in reason and "docgen ingest --retry" in reason
    assert not all_docs(archive)


def test_absurdly_large_image_is_refused(archive, inbox, tmp_path):
    Image.new("L", (1500, 1000), 255).save(inbox / "huge.png")
    with Pipeline(archive, IngestSettings(inbox=inbox, max_image_pixels=1_000_000)) as p:
        result = p.ingest_inbox_file(inbox / "huge.png")
    assert result is not None and result.status == "failed"
    assert "超过上限" in result.message
    assert (Areas(inbox).failed / "huge.png").exists()


def test_retry_takes_fixed_files_back(archive, inbox, pipeline, tmp_path):
    (inbox / "HXSZ_03-2-1203_id_copy.pdf").write_bytes(b"%PDF-1.4 broken")
    assert run(pipeline, inbox / "HXSZ_03-2-1203_id_copy.pdf").status == "failed"
    failed = pipeline.areas.failed / "HXSZ_03-2-1203_id_copy.pdf"
    text_pdf([["身份证复印件", "张伟"]], tmp_path / "good.pdf")
    shutil.copy(tmp_path / "good.pdf", failed)  # somebody re-scanned it into the failed folder
    results = list(pipeline.retry_failed())
    assert [r.status for r in results] == ["filed"]
    assert not failed.exists() and not failed.with_name(failed.name + ".reason.txt").exists()


# -- crash windows ---------------------------------------------------------------------------------
def test_resume_after_kill_between_commit_and_cleanup(archive, inbox, tmp_path):
    """The state a kill leaves between the archive commit and removing the claimed copy: no second filing."""
    path = drop(inbox, "HXSZ_03-2-1203_handover_record.pdf", ["房屋交接书", "张伟"])
    keep = tmp_path / "keep.pdf"
    shutil.copy(path, keep)
    with Pipeline(archive, IngestSettings(inbox=inbox)) as p:
        assert p.ingest_inbox_file(path).status == "filed"
    dead = Areas(inbox).processing / "otherhost-999999-abcdef"
    dead.mkdir()
    shutil.copy(keep, dead / path.name)
    with Pipeline(archive, IngestSettings(inbox=inbox)) as p:
        results = p.resume()
    assert [r.status for r in results] == ["recovered"]
    assert len(all_docs(archive)) == 1
    assert not dead.exists() and not any(Areas(inbox).duplicates.iterdir())


def test_resume_files_what_a_dead_worker_claimed(archive, inbox, tmp_path):
    dead = Areas(inbox).processing / "otherhost-999998-abcdef"
    dead.mkdir(parents=True)
    text_pdf([["钥匙签收表", "房号 5栋1单元0601 业主 刘洋"]], dead / "HXSZ_05-1-0601_key_receipt.pdf")
    (dead / ".half.pdf.copying").write_bytes(b"%PDF-")
    with Pipeline(archive, IngestSettings(inbox=inbox)) as p:
        results = p.resume()
    assert [(r.status, r.owner_key) for r in results] == [("filed", "HXSZ/05-1-0601")]
    assert not dead.exists()


def test_live_worker_files_are_not_adopted(archive, inbox):
    with Pipeline(archive, IngestSettings(inbox=inbox)) as first:
        held = first.worker.dir / "claimed.pdf"
        text_pdf([["钥匙签收表", "5栋1单元0601 刘洋"]], held)
        with Pipeline(archive, IngestSettings(inbox=inbox)) as second:
            assert second.resume() == []
        assert held.exists()


def test_sidecar_json_is_readable(archive, inbox, pipeline):
    path = drop(inbox, "odd.pdf", ["说明", "3栋2单元1203 来电"])
    result = run(pipeline, path)
    assert result.status == "review"
    sidecar = next(pipeline.areas.review.glob("*.review.json"))
    data = json.loads(sidecar.read_text("utf-8"))
    assert data["original_name"] == "odd.pdf" and data["pages"][0]["origin"] == "text"


def test_areas_on_another_filesystem_are_refused(archive, inbox, tmp_path):
    import os
    import tempfile

    if not Path("/dev/shm").is_dir() or os.stat("/dev/shm").st_dev == os.stat(tmp_path).st_dev:
        pytest.skip("needs a second filesystem (/dev/shm)")
    from docgen.errors import ConfigError

    with tempfile.TemporaryDirectory(dir="/dev/shm") as other:
        pipeline = Pipeline(archive, IngestSettings(inbox=inbox, areas=Path(other)))
        drop(inbox, "HXSZ_03-2-1203_key_receipt.pdf", ["钥匙签收表", "张伟 已领取钥匙"])
        with pytest.raises(ConfigError, match="同一文件系统"):
            pipeline.ingest_inbox_file(inbox / "HXSZ_03-2-1203_key_receipt.pdf")
    assert (inbox / "HXSZ_03-2-1203_key_receipt.pdf").exists()


def test_copy_of_a_file_waiting_in_review_is_a_duplicate(archive, inbox, pipeline):
    first = drop(inbox, "odd.pdf", ["说明", "与本项目无关的内容"])
    shutil.copy(first, inbox / "odd-again.pdf")
    assert run(pipeline, first).status == "review"
    again = run(pipeline, inbox / "odd-again.pdf")
    assert again.status == "duplicate" and "待确认队列" in again.message
    assert len(pipeline.areas.reviews()) == 1


def test_move_from_another_filesystem_copies_then_removes(archive, inbox, pipeline, tmp_path):
    import os
    import tempfile

    if not Path("/dev/shm").is_dir() or os.stat("/dev/shm").st_dev == os.stat(tmp_path).st_dev:
        pytest.skip("needs a second filesystem (/dev/shm)")
    with tempfile.TemporaryDirectory(dir="/dev/shm") as other:
        source = drop(Path(other), "HXSZ_03-2-1203_key_receipt.pdf", ["钥匙签收表", "张伟 已领取钥匙"])
        [result] = pipeline.ingest_paths([source], move=True)
        assert result.status == "filed" and not source.exists()


def test_files_outside_the_inbox_are_copied_by_default(archive, inbox, pipeline, tmp_path):
    source = drop(tmp_path, "HXSZ_03-2-1204_key_receipt.pdf", ["钥匙签收表", "王芳 已领取钥匙"])
    [result] = pipeline.ingest_paths([tmp_path / "HXSZ_03-2-1204_key_receipt.pdf"])
    assert result.status == "filed" and source.exists()
