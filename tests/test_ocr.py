"""Real OCR (RapidOCR + onnxruntime, offline) on pages rendered from known text: slow, few small pages."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from docgen.demo.scans import page_image, save_scan
from docgen.ingest.ocr import OcrEngine, estimate_skew, get_engine
from docgen.ingest.pipeline import Pipeline
from docgen.ingest.settings import IngestSettings
from docgen.qrcodes import SeparatorCode

pytestmark = pytest.mark.slow

ID = "350102198001011237"
FORM = [
    "质量问题赔偿协议",
    "业主:张伟 身份证号码:" + ID,
    "房号:3栋2单元1203 合同编号:HXSZ-HT-2024-0001",
    "赔偿金额:人民币壹万贰仟捌佰元整(¥12,800.00)",
    "签订日期:2026年6月20日",
]


def test_rotated_noisy_page_keeps_every_key_field():
    page = get_engine().read(page_image(FORM, dpi=200, rotate=2.0, noise=0.004, seed=3))
    flat = "".join(page.text.split())
    for field in (ID, "3栋2单元1203", "HXSZ-HT-2024-0001", "壹万贰仟捌佰元整", "12,800.00", "2026年6月20日"):
        assert field in flat, (field, page.text)
    assert page.text.splitlines()[0] == "质量问题赔偿协议"  # reading order: title first
    assert page.confidence is not None and page.confidence > 0.9
    assert get_engine() is get_engine()


def test_skew_estimate_matches_rotation():
    assert estimate_skew(page_image(FORM, dpi=100, rotate=2.5)) == pytest.approx(-2.5, abs=0.3)
    assert estimate_skew(page_image(FORM, dpi=100)) == pytest.approx(0.0, abs=0.3)


def test_multipage_tiff_batch_is_split_and_every_page_read(archive, tmp_path: Path):
    """A TIFF batch scan: a separator sheet and two pages; RapidOCR alone would read only the first frame."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    cover = page_image(["批量扫描分隔页"], dpi=150, qr_payload=SeparatorCode("HXSZ/05-1-0502", "handover_record").encode())
    pages = [page_image(["房屋交接书", "第一页 业主:李娜"], dpi=150), page_image(["第二页", "钥匙三把 水表读数 0012"], dpi=150)]
    save_scan([cover, *pages], inbox / "stack.tif", dpi=150)
    with Pipeline(archive, IngestSettings(inbox=inbox, ocr_dpi=150)) as pipeline:
        result = pipeline.ingest_inbox_file(inbox / "stack.tif")
    assert result is not None and result.status == "split", result.message
    [part] = result.parts
    assert part.status == "filed" and part.owner_key == "HXSZ/05-1-0502" and part.ocr_pages == 2
    owner, doc = archive.find_document(part.doc_id)
    assert [p.origin for p in doc.pages] == ["ocr", "ocr"]
    assert all(p.confidence and p.confidence > 0.8 for p in doc.pages)
    texts = archive.document_text(owner, doc)
    assert "李娜" in texts[0] and "水表读数" in texts[1]


def test_image_only_pdf_is_ocrd_and_matched_by_content(archive, tmp_path: Path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    lines = ["钥匙签收表", "项目:华轩首座 房号:5栋1单元0601", "业主:刘洋 已领取钥匙"]
    save_scan([page_image(lines, dpi=150, rotate=-1.5)], inbox / "SCAN_0042.pdf", dpi=150, jpeg_quality=60)
    with Pipeline(archive, IngestSettings(inbox=inbox, ocr_dpi=200)) as pipeline:
        result = pipeline.ingest_inbox_file(inbox / "SCAN_0042.pdf")
    assert result is not None and result.status == "filed", result.message
    assert (result.owner_key, result.doc_type, result.method) == ("HXSZ/05-1-0601", "key_receipt", "content")


def test_engine_works_without_network(monkeypatch):
    def refuse(*_args, **_kwargs):
        raise OSError("network disabled in this test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    engine = OcrEngine()  # a fresh engine: loads the models from the wheel, never downloads
    page = engine.read(page_image(["房屋交接书", "3栋2单元1203"], dpi=100), reread=False)
    assert "3栋2单元1203" in "".join(page.text.split())


def test_dropped_line_is_found_and_read_again():
    """A line the detector missed leaves an uncovered ink band; it is cropped and read on its own."""
    engine = get_engine()
    image = page_image(FORM, dpi=150)
    page = engine.read(image, reread=False)
    kept = [ln for ln in page.lines if "合同编号" not in ln.text]
    assert len(kept) == len(page.lines) - 1
    added = engine._read_uncovered(image.convert("RGB"), kept)
    assert added >= 1
    assert any("HXSZ-HT-2024-0001" in "".join(ln.text.split()) and ln.reread for ln in kept)


def test_doubtful_line_is_reread_and_better_reading_kept():
    engine = get_engine()
    image = page_image(FORM, dpi=150)
    page = engine.read(image, reread=False)
    target = next(ln for ln in page.lines if "赔偿金额" in ln.text)
    target.text, target.score = "赔偿金额:人民币壹万贰仟XX", 0.4  # as if it had been misread
    assert engine._reread_doubtful(image.convert("RGB"), page.lines) == 1
    [fixed] = [ln for ln in page.lines if ln.reread]
    assert "壹万贰仟捌佰元整" in fixed.text and fixed.score > 0.8
