"""Real OCR (RapidOCR + onnxruntime, offline) on pages rendered from known text: slow, few small pages."""

from __future__ import annotations

import io
import json
import random
import socket
from pathlib import Path

import numpy as np
import pytest
from PIL import ImageDraw

from docgen.demo.scans import Wear, page_image, save_scan, scan_page
from docgen.ingest.ocr import OVERPRINT, OcrEngine, OcrPage, _Rereader, estimate_skew, get_engine
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


def _rereader(engine, image, lines):
    rgb = np.asarray(image.convert("RGB"))
    return _Rereader(engine, image, rgb, lines, 0.0, (rgb.shape[1] / 2, rgb.shape[0] / 2), OcrPage("", None, lines))


def test_dropped_line_is_found_and_read_again():
    """A line the detector missed leaves an uncovered ink band; it is cropped and read on its own."""
    engine = get_engine()
    image = page_image(FORM, dpi=150)
    page = engine.read(image, reread=False)
    kept = [ln for ln in page.lines if "合同编号" not in ln.text]
    assert len(kept) == len(page.lines) - 1
    reader = _rereader(engine, image, kept)
    reader.find_missing()
    assert any("HXSZ-HT-2024-0001" in "".join(ln.text.split()) and ln.reread for ln in kept)
    assert reader.result.notes and "漏检的一行" in reader.result.notes[0]


def test_doubtful_line_is_reread_and_better_reading_kept():
    engine = get_engine()
    image = page_image(FORM, dpi=150)
    page = engine.read(image, reread=False)
    target = next(ln for ln in page.lines if "赔偿金额" in ln.text)
    target.text, target.score = "赔偿金额:人民币壹万贰仟XX", 0.4  # as if it had been misread
    reader = _rereader(engine, image, page.lines)
    reason = reader.why_doubtful(target)
    assert reason
    reader.reread(target, reason)
    assert "壹万贰仟捌佰元整" in target.text and target.score > 0.8 and target.reread and not target.doubt
    assert reader.result.rereads == 1 and "采用" in reader.result.notes[0]


def test_wide_line_read_as_a_few_characters_is_reread():
    """Issue 13: a printed line of ~20 characters that came back as 5 unrelated ones, with high confidence."""
    engine = get_engine()
    image = page_image(FORM, dpi=150)
    page = engine.read(image, reread=False)
    target = next(ln for ln in page.lines if "赔偿金额" in ln.text)
    target.text, target.score = "王口十日川", 0.97
    reader = _rereader(engine, image, page.lines)
    reason = reader.why_doubtful(target)
    assert "读出 5 字而行宽约" in reason
    reader.reread(target, reason)
    assert "壹万贰仟捌佰元整" in target.text and not target.doubt
    assert any(t.startswith("按行倾角拉直重读") for t in target.tried)


def _planted(lines, printed, k):
    """The printed line ``k`` as an (x0, y0, x1, y1) box."""
    xs = [p[0] for p in printed[k].box]
    ys = [p[1] for p in printed[k].box]
    return min(xs), min(ys), max(xs), max(ys)


def _covers(doubt, box) -> bool:
    x0, y0, x1, y1 = doubt.box
    return x0 <= box[2] and box[0] <= x1 and y0 <= (box[1] + box[3]) / 2 <= y1


LETTER = ["维修协议", "业主:张伟 房号:3栋2单元1203", "赔偿金额:人民币壹万贰仟捌佰元整", "维修单位应于七日内完成并由业主签字验收",
          "签订日期:2026年6月20日"]


def test_low_contrast_line_is_read_again_not_dropped():
    """A toner-starved line 7 grey levels darker than the paper: one RapidOCR pass drops it; the line rhythm finds it."""
    image, _printed = scan_page(LETTER, dpi=150, wear=Wear(faint=(2,), faint_ink=238, paper=245), seed=1)
    engine = get_engine()
    assert "壹万贰仟捌佰元整" not in engine.read(image, reread=False).text  # the planted line is hard
    page = engine.read(image)
    assert "赔偿金额:人民币壹万贰仟捌佰元整" in page.text
    assert page.text.splitlines()[2].startswith("赔偿金额")  # in its place, between its neighbours
    assert any("漏检的一行" in n for n in page.notes)


@pytest.mark.parametrize(("line", "color", "seed", "field"), [
    (1, True, 1, "HXSZ-HT-2024-0001"),  # a red seal: the first pass drops the whole line (and misreads the unit)
    (3, False, 3, "壹万贰仟捌佰元整"),   # a seal on a grey scan: the first pass misreads the 大写 amount
])
def test_line_under_a_seal_is_read_again_not_dropped(line, color, seed, field):
    """A seal across a line: the line is read again without the red / with only the darkest strokes, or flagged."""
    image, _printed = scan_page(FORM, dpi=200, wear=Wear(stamp=line, color=color, paper=245), seed=seed)
    engine = get_engine()
    assert field not in "".join(engine.read(image, reread=False).text.split())  # the planted line is hard
    page = engine.read(image)
    assert field in "".join(page.text.split())
    assert any(OVERPRINT in n for n in page.notes)


@pytest.mark.parametrize("damage", ["hatch", "blot"])
def test_unreadable_line_is_flagged_with_its_box(damage):
    """A line scribbled over or blotted: it cannot be read, so it is reported as doubtful where it is, never dropped."""
    image, printed = scan_page(LETTER, dpi=150, wear=Wear(paper=245), seed=1)
    box = _planted(LETTER, printed, 2)
    draw = ImageDraw.Draw(image)
    rng = random.Random(3)
    for _ in range(120 if damage == "hatch" else 40):
        x, y = rng.uniform(box[0], box[2]), rng.uniform(box[1], box[3])
        if damage == "hatch":
            draw.line([(x, box[1] - 2), (x + rng.uniform(-25, 25), box[3] + 2)], fill=60, width=3)
        else:
            r = rng.uniform(5, 12)
            draw.ellipse((x - r, y - r, x + r, y + r), fill=90)
    page = get_engine().read(image)
    [doubt] = [d for d in page.doubtful if _covers(d, box)]
    assert doubt.row == 3 and doubt.reason and doubt.tried
    assert "维修单位应于七日内完成" in page.text  # its neighbours are read as before
    assert page.text.splitlines()[1].startswith("业主:张伟")


def test_clean_page_has_no_doubts():
    page = get_engine().read(page_image(FORM, dpi=150))
    assert page.doubtful == [] and page.rereads == 0


def test_pipeline_stores_doubts_and_every_face_shows_them(archive, tmp_path: Path):
    """An unreadable line reaches the record, the ingest result, document show, the crop, search and the audit."""
    from click.testing import CliRunner
    from PIL import Image

    from docgen.audit.engine import Auditor
    from docgen.cli.main import cli
    from docgen.ingest.crops import document_crop

    lines = ["钥匙签收表", "项目:华轩首座 房号:5栋1单元0601", "业主:刘洋 已领取钥匙三把", "物业服务中心已将钥匙交付业主,业主签收确认", "签收日期:2026年6月20日"]
    image, printed = scan_page(lines, dpi=150, wear=Wear(paper=245), seed=1)
    box = _planted(lines, printed, 2)
    draw = ImageDraw.Draw(image)
    rng = random.Random(5)
    for _ in range(120):
        x = rng.uniform(box[0], box[2])
        draw.line([(x, box[1] - 2), (x + rng.uniform(-25, 25), box[3] + 2)], fill=60, width=3)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    save_scan([image], inbox / "HXSZ_05-1-0601_key_receipt.png", dpi=150)
    with Pipeline(archive, IngestSettings(inbox=inbox)) as pipeline:
        result = pipeline.ingest_inbox_file(inbox / "HXSZ_05-1-0601_key_receipt.png")
    assert result is not None and result.status == "filed", result.message
    [flag] = result.ocr_doubtful
    assert flag["page"] == 1 and flag["row"] == 3 and flag["reason"]
    _owner, doc = archive.find_document(result.doc_id)
    assert doc.doubtful_lines == 1 and doc.pages[0].size == [image.width, image.height]
    png = document_crop(archive, doc.id, 1, 1)
    crop = Image.open(io.BytesIO(png))
    assert crop.height < image.height / 4 and crop.width > (box[2] - box[0])  # the line, not the page

    config = tmp_path / "docgen.toml"
    config.write_text(f'[archive]\npath = "{archive.root}"\n\n[search]\nindex_path = "{tmp_path / "index"}"\n\n'
                      f'[ingest]\ninbox = "{inbox}"\n', "utf-8")
    runner = CliRunner()

    def invoke(*args: str):
        return runner.invoke(cli, ["--config", str(config), *args], catch_exceptions=False)

    refused = invoke("document", "show", doc.id, "--crops", str(tmp_path / "crops"))
    assert refused.exit_code == 2 and "--reveal --reason" in refused.output  # a crop cannot be masked
    assert not (tmp_path / "crops").exists()
    shown = invoke("document", "show", doc.id, "--text", "--crops", str(tmp_path / "crops"),
                   "--reveal", "--reason", "对照原件录入存疑行")
    assert shown.exit_code == 0, shown.output
    last = archive.journal.last()
    assert last is not None and last["action"] == "privacy.reveal" and "截图" in last["summary"]
    assert "OCR 存疑 1 行" in shown.output and "⚠" in shown.output and "〔OCR 存疑" in shown.output
    assert [p.name for p in (tmp_path / "crops").iterdir()] == [f"{doc.id}-第1页-存疑1.png"]
    found = invoke("search", "--status", "OCR存疑", "--json")
    assert found.exit_code == 0, found.output
    assert [h["id"] for h in json.loads(found.output)["hits"]] == [doc.id]
    findings = [f for f in Auditor(archive).run() if f.rule == "ACCURACY.OCR_DOUBTFUL"]
    assert [(f.key, f.ref) for f in findings] == [("HXSZ/05-1-0601", doc.id)]
    assert "1 行 OCR 存疑" in findings[0].message
