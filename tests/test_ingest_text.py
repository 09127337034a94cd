"""Text normalisation, PDF text layers and identification rules (fast: no OCR)."""

from __future__ import annotations

from pathlib import Path

import pytest

from docgen.demo.scans import text_pdf
from docgen.ingest.identify import Catalog, by_content, by_filename, read_codes, type_from_text
from docgen.ingest.normalize import fold, normalize_text, rejoin_lines
from docgen.ingest.text import BadInput, ScanFile, sniff
from docgen.qrcodes import DocumentCode


def test_fold_removes_libreoffice_spaces_and_full_width():
    assert fold("房号:３ 栋2 单元 1203 室") == "房号:3栋2单元1203室"
    assert fold("hello  world 3 栋") == "hello world 3栋"


def test_rejoin_wrapped_lines_but_not_sentences():
    text = "第一条 为规范客户服务部的业主档案管理工作，根据国家有关法律法规\n制定本办法。\n第二条 短句。\n第三条"
    joined = rejoin_lines(fold(text))
    assert "法律法规制定本办法" in joined
    assert "本办法。\n第二条" in joined


def test_normalize_keeps_latin_word_spaces():
    assert normalize_text("Contract No. HXSZ-HT-2024-0001\n合同") .startswith("Contract No. HXSZ")


def test_pdf_text_layer_is_read(tmp_path: Path):
    pdf = text_pdf([["房屋交接书", "房号:3栋2单元1203"], ["第二页", "身份证号码:350102198001011237"]], tmp_path / "t.pdf")
    with ScanFile(pdf, max_pixels=80_000_000) as scan:
        assert scan.page_count == 2
        assert "3栋2单元1203" in normalize_text(scan.text_layer(0))
        assert "350102198001011237" in scan.text_layer(1)
        image = scan.image(0, 100)
        assert image.width == pytest.approx(827, abs=2)


def test_sniff_by_content_not_name(tmp_path: Path):
    fake = tmp_path / "scan.pdf"
    fake.write_bytes(b"GIF89a......")
    with pytest.raises(BadInput) as err:
        sniff(fake)
    assert err.value.code == "unsupported"
    real = text_pdf([["x", "y"]], tmp_path / "named.jpg")
    assert sniff(real) == "pdf"


def test_content_that_is_not_what_its_name_says_is_named_precisely(tmp_path: Path):
    """A ZIP named .pdf was called "不支持的文件类型 .pdf:只能归档 PDF…", which contradicts itself."""
    fake = tmp_path / "合同.pdf"
    fake.write_bytes(b"PK\x03\x04" + b"\x00" * 60)
    with pytest.raises(BadInput) as err:
        sniff(fake)
    assert err.value.code == "unsupported"
    assert "文件名是 .pdf,但内容不是 PDF" in err.value.reason and "ZIP" in err.value.reason
    assert "不支持的文件类型 .pdf" not in err.value.reason


def test_qr_codes_read_from_rendered_pdf(tmp_path: Path):
    payload = DocumentCode("DOC-2026-000009", "HXSZ/03-2-1203").encode()
    pdf = text_pdf([["房屋交接书", "内容"]], tmp_path / "q.pdf", qr_payload=payload)
    with ScanFile(pdf, max_pixels=80_000_000) as scan:
        codes = read_codes(scan.image(0, 150))
    assert codes == [DocumentCode("DOC-2026-000009", "HXSZ/03-2-1203")]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("HXSZ_03-2-1203_handover_record_20260620.pdf", ("HXSZ/03-2-1203", "handover_record", "2026-06-20")),
        ("HXSZ_3栋2单元1203_房屋交接书.pdf", ("HXSZ/03-2-1203", "handover_record", None)),
        ("hxsz_05-1-0502_key_receipt.jpg", ("HXSZ/05-1-0502", "key_receipt", None)),
        ("HXSZ_completion_filing.pdf", ("HXSZ", "completion_filing", None)),
    ],
)
def test_filename_convention(archive, name, expected):
    catalog = Catalog(archive.root)
    catalog.refresh()
    ident = by_filename(name, catalog)
    assert ident is not None and ident.confidence >= 0.9
    assert (ident.owner_key, ident.doc_type, ident.date.isoformat() if ident.date else None) == expected


@pytest.mark.parametrize(
    "name", ["scan0001.pdf", "XXXX_03-2-1203_handover_record.pdf", "HXSZ_09-9-0909_handover_record.pdf",
             "HXSZ_03-2-1203_presale_permit.pdf"]
)
def test_filename_that_does_not_identify(archive, name):
    catalog = Catalog(archive.root)
    catalog.refresh()
    ident = by_filename(name, catalog)
    assert ident is None or not ident.complete


def test_type_from_title_beats_body():
    assert type_from_text("房屋交接书\n附:钥匙签收表一份") == ("handover_record", 1.0)
    assert type_from_text("说明\n\n\n\n见商品房买卖合同第三条")[0] == "purchase_contract"
    assert type_from_text("随便写写") == (None, 0.0)


def test_content_ambiguity_lowers_confidence(archive):
    catalog = Catalog(archive.root)
    catalog.refresh()
    clear = by_content("房屋交接书\n华轩首座 3栋2单元1204 业主:王芳", catalog)
    assert clear.owner_key == "HXSZ/03-2-1204" and clear.confidence >= 0.8
    both = by_content("房屋交接书\n华轩首座 3栋2单元1204 与 3栋2单元1203", catalog)
    assert both.confidence <= 0.5 and {c.owner_key for c in both.candidates[:2]} == {"HXSZ/03-2-1203", "HXSZ/03-2-1204"}


def test_content_id_number_is_strong_evidence(archive):
    catalog = Catalog(archive.root)
    catalog.refresh()
    owner = archive.dossier("HXSZ/05-1-0601").owners[0]
    ident = by_content(f"身份证复印件\n{owner.id_number}", catalog)
    assert ident.owner_key == "HXSZ/05-1-0601" and ident.confidence >= 0.8


def test_catalog_sees_new_filings_without_rereading_everything(archive, tmp_path):
    catalog = Catalog(archive.root)
    catalog.refresh()
    pdf = text_pdf([["钥匙签收表", "内容内容内容"]], tmp_path / "k.pdf")
    doc = archive.add_document("HXSZ/05-1-0502", pdf, doc_type="key_receipt", source="scan")
    catalog.refresh()
    assert catalog.find_hash(doc.sha256) == ("HXSZ/05-1-0502", doc.id, "k.pdf")


def test_date_from_text_prefers_labelled_last_date():
    from docgen.ingest.identify import date_from_text

    text = "合同于2024年5月10日签订\n交付期限 2026-06-30\n签收日期:2026年6月20日\n备注 2026年13月1日"
    assert date_from_text(text).isoformat() == "2026-06-20"
    assert date_from_text("交付期限 2026-06-30 前").isoformat() == "2026-06-30"
    assert date_from_text("没有日期") is None


def test_multipage_tiff_frames_are_read_one_at_a_time(tmp_path: Path):
    from PIL import Image

    frames = [Image.new("L", (400, 300), 255 - 40 * i) for i in range(3)]
    frames[0].save(tmp_path / "s.tif", save_all=True, append_images=frames[1:], compression="tiff_deflate")
    with ScanFile(tmp_path / "s.tif", max_pixels=1_000_000) as scan:
        assert scan.page_count == 3
        assert [scan.image(i, 0).getpixel((5, 5)) for i in (2, 0, 1)] == [175, 255, 215]


def test_oversized_later_tiff_frame_is_refused(tmp_path: Path):
    from PIL import Image

    Image.new("L", (100, 100), 255).save(tmp_path / "s.tif", save_all=True, append_images=[Image.new("L", (1200, 1000), 255)])
    with pytest.raises(BadInput) as err:
        ScanFile(tmp_path / "s.tif", max_pixels=1_000_000)
    assert "超过上限" in err.value.reason


def test_id_card_scan_is_recognised_by_its_printed_words(archive):
    catalog = Catalog(archive.root)
    catalog.refresh()
    owner = archive.dossier("HXSZ/03-2-1204").owners[1]
    text = f"姓名 {owner.name}\n性别 男 民族 汉\n出生 1982年3月3日\n住址 福州市鼓楼区东街1号\n公民身份号码 {owner.id_number}"
    ident = by_content(text, catalog)
    assert (ident.owner_key, ident.doc_type) == ("HXSZ/03-2-1204", "id_copy") and ident.confidence >= 0.8


def test_catalog_is_safe_to_share_between_threads(archive, tmp_path):
    """Threads refresh and read one catalog while dossiers come and go: no reader sees a table change under it."""
    import sys
    import threading

    from conftest import make_id
    from docgen.models import Dossier, Owner

    catalog = Catalog(archive.root, max_age=0.0)
    catalog.refresh()
    stop = threading.Event()
    errors: list[BaseException] = []

    def refresher() -> None:
        while not stop.is_set():
            try:
                catalog.refresh()
            except BaseException as exc:
                errors.append(exc)
                return

    def reader() -> None:
        while not stop.is_set():
            try:
                assert catalog.owner("HXSZ/03-2-1203") is not None
                catalog.find_hash("0" * 64)
                catalog.project_codes()
            except BaseException as exc:
                errors.append(exc)
                return

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible: races show at once
    threads = [threading.Thread(target=refresher) for _ in range(2)] + [threading.Thread(target=reader) for _ in range(3)]
    try:
        for t in threads:
            t.start()
        for i in range(12):  # dossiers appear and disappear under the refreshers
            unit = f"05-2-{1001 + i}"
            owner = Owner(name=f"线程{i}", id_number=make_id("19800101", 800 + i), phone=f"1390001{i:04d}")
            archive.new_dossier(Dossier(project="HXSZ", unit=unit, stage="签约", owners=[owner]))
            if i % 2:
                with archive.transaction("dossier.delete", f"HXSZ/{unit}", "删除测试档案") as tx:
                    tx.delete(f"projects/HXSZ/dossiers/{unit}/dossier.json")
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=60)
        sys.setswitchinterval(interval)
    assert not errors, repr(errors[0])
    catalog.refresh()
    assert catalog.owner("HXSZ/05-2-1001") is not None and catalog.owner("HXSZ/05-2-1002") is None
