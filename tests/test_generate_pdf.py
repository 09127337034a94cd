"""PDF through LibreOffice: documents open and convert, Chinese text and CJK fonts, QR decodable per page."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from conftest import OWNERS
from docgen.archive import Archive
from docgen.generate.pdf import (
    LibreOfficeMissing,
    convert_to_pdf,
    find_soffice,
    has_cjk_font,
    require_soffice,
)
from docgen.generate.service import Generator
from docgen.generate.text import pdf_fonts, pdf_pages
from docgen.idnumbers import mask_id_number
from docgen.money import parse_amount_in_words
from docgen.qrcodes import DocumentCode, decode
from generate_helpers import (
    TODAY,
    add_settlement,
    add_ticket,
    assert_house_style,
    assert_no_internal_words,
    ready_for_notices,
    settings,
)

needs_soffice = pytest.mark.skipif(find_soffice() is None, reason="LibreOffice (soffice) 未安装")


def _qr_codes(pdf: Path) -> list[list[str]]:
    """Render each page at 150 dpi (pypdfium2) and read its QR codes (zxing-cpp)."""
    import pypdfium2
    import zxingcpp

    found = []
    document = pypdfium2.PdfDocument(str(pdf))
    try:
        for page in document:
            image = page.render(scale=150 / 72).to_pil()
            found.append([b.text for b in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)])
    finally:
        document.close()
    return found


@pytest.mark.libreoffice
@needs_soffice
def test_notices_batch_to_pdf_in_one_run(archive: Archive, tmp_path: Path) -> None:
    archive._today = lambda: TODAY
    ready_for_notices(archive)
    stages: list[str] = []
    result = Generator(archive, settings(tmp_path)).notices("B01", pdf=True, progress=lambda s, *a: stages.append(s))
    assert "转换 PDF" in stages and "归档 PDF" in stages
    assert has_cjk_font(result.fonts), result.fonts
    for sheet in result.of_kind("area_adjustment"):
        assert sheet.pdf is not None and sheet.pdf.parent.name == "area_adjustment"
        text = "".join(pdf_pages(sheet.pdf))
        assert "面积补差单" in "".join(text.split()) and "面积误差比" in text
        assert_house_style(text)
        assert_no_internal_words(text)
    for doc in result.of_kind("handover_notice"):
        assert doc.pdf is not None and doc.pdf.is_file()
        pages = pdf_pages(doc.pdf)
        text = "".join("".join(pages).split())
        key = doc.owner_key
        dossier = archive.dossier(key)
        for expected in ("交房通知书签收回执", dossier.unit_label, dossier.owner_names, "2026年6月18日", doc.doc_id):
            assert expected in text, (expected, key)
        assert len(pages) == 1  # the notice and its receipt on one sheet
        assert_house_style("".join(pages))
        assert_no_internal_words("".join(pages))
        # every page carries the QR code of this document
        codes = _qr_codes(doc.pdf)
        assert codes and all(decode(c[0]) == DocumentCode(doc.doc_id, key) for c in codes), codes
        owner, filed = archive.find_document(doc.pdf_doc_id or "")
        assert filed.related == doc.doc_id and filed.media_type == "application/pdf" and not filed.signed
        assert filed.pages and filed.pages[0].origin == "text"
        assert dossier.unit_label in "".join(archive.document_text(owner, filed)[0].split())


@pytest.mark.libreoffice
@needs_soffice
def test_all_templates_open_in_libreoffice_with_chinese(archive: Archive, tmp_path: Path) -> None:
    archive._today = lambda: TODAY
    ready_for_notices(archive, measured={})
    ticket = add_ticket(archive)
    sheet = add_settlement(archive)
    gen = Generator(archive, settings(tmp_path))
    docs = [
        gen.handover_plan("B01").documents[0],
        gen.compensation(ticket.id).documents[0],
        gen.settlement(sheet.id).documents[0],
    ]
    pdfs = convert_to_pdf([d.docx for d in docs], tmp_path / "pdf")  # one soffice process for all three
    plan, agreement, countersign = ("".join("".join(pdf_pages(p)).split()) for p in pdfs)
    assert "交房方案" in plan and "2026年3月20日" in plan and "139****4321" in plan and "13987654321" not in plan
    assert "人民币壹万贰仟元整" in agreement and "¥12,000.00" in agreement
    assert "主卫&次卫" in agreement and "<严重>至楼下>顶棚" in agreement  # & < > survive into the PDF
    assert OWNERS[1][1] in agreement and mask_id_number(OWNERS[1][1]) not in agreement  # a contract names its party in full
    assert "福州市台江区八一七中路9号" in agreement
    assert parse_amount_in_words("人民币陆仟伍佰捌拾元整") == Decimal("6580.00")
    assert "人民币陆仟伍佰捌拾元整" in countersign and "分管领导" in countersign
    for pdf in pdfs:
        assert_house_style("".join(pdf_pages(pdf)), ("榕房许字(2024)第0123号", "主卫 & 次卫"))
        assert "docgen" not in "".join(pdf_pages(pdf)).lower()
    for pdf, doc in zip(pdfs, docs, strict=True):
        assert has_cjk_font(pdf_fonts(pdf)), pdf_fonts(pdf)
        codes = _qr_codes(pdf)
        assert all(decode(c[0]) == DocumentCode(doc.doc_id, doc.owner_key) for c in codes), (doc.kind, codes)


def test_missing_libreoffice_is_a_clear_error_and_files_nothing(archive: Archive, tmp_path: Path) -> None:
    archive._today = lambda: TODAY
    with pytest.raises(LibreOfficeMissing, match="未安装 LibreOffice"):
        require_soffice("/nonexistent/soffice")
    gen = Generator(archive, settings(tmp_path, soffice="/nonexistent/soffice"))
    with pytest.raises(LibreOfficeMissing, match="去掉 --pdf 可只生成 docx"):
        gen.notices("B01", pdf=True)
    assert archive.read_counters().get("DOC-2026", 0) == 0


@pytest.mark.libreoffice
@needs_soffice
def test_merged_pdf_for_duplex_in_unit_order(archive: Archive, tmp_path: Path) -> None:
    archive._today = lambda: TODAY
    ready_for_notices(archive)
    result = Generator(archive, settings(tmp_path)).notices("B01", merged=True)
    docs = result.documents  # per unit: the notice, then its 面积补差单
    assert [(d.unit, d.kind) for d in docs] == [
        (u, k) for u in ("03-2-1204", "05-1-0502", "05-1-0601") for k in ("handover_notice", "area_adjustment")]
    counts = [len(pdf_pages(d.pdf)) for d in docs if d.pdf is not None]
    assert len(counts) == 6
    assert result.merged_pdf is not None and result.merged_pdf.is_file()
    from pypdf import PdfReader

    merged = PdfReader(str(result.merged_pdf))
    expected = sum(n + n % 2 for n in counts)  # each document padded to an even count
    assert result.merged_pages == len(merged.pages) == expected
    start = 0
    for doc, n in zip(docs, counts, strict=True):
        assert start % 2 == 0  # page start+1 is odd: the front of a sheet
        first = "".join((merged.pages[start].extract_text() or "").split())
        assert doc.doc_id in first and doc.label in first, (doc.doc_id, first[:80])
        if n % 2:
            assert (merged.pages[start + n].extract_text() or "").strip() == ""  # the blank back
        start += n + n % 2
    # the merged file is for printing: not filed
    assert all(d.file != result.merged_pdf.name for dd in archive.iter_dossiers() for d in dd.documents)


@pytest.mark.libreoffice
@needs_soffice
def test_draft_settlement_says_so_on_every_page(archive: Archive, tmp_path: Path) -> None:
    archive._today = lambda: TODAY
    items = [{"item": f"维修项目{i}", "unit": "项", "declared_qty": "1", "approved_qty": "1", "unit_price": "100.00"}
             for i in range(1, 41)]
    sheet = add_settlement(archive, items=items)
    result = Generator(archive, settings(tmp_path)).settlement(sheet.id, pdf=True)
    pages = pdf_pages(result.documents[0].pdf)  # type: ignore[arg-type]
    assert len(pages) >= 2
    assert all("草稿" in page for page in pages)
