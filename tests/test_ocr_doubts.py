"""OCR 存疑 without running OCR: records, marking, row mapping, crops, search status and the audit rule (fast)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from PIL import Image, ImageDraw

from docgen.archive import Archive
from docgen.audit.engine import Auditor
from docgen.errors import NotFoundError, UsageError
from docgen.ingest.crops import crop_png, document_crop, mark_doubtful
from docgen.ingest.normalize import normalize_text
from docgen.ingest.text import PageText, map_rows
from docgen.models import Document, DoubtfulLine, PageInfo

DOUBT = DoubtfulLine(box=[40, 100, 560, 130], text="王口十日川", confidence=0.97, reason="读出 5 字而行宽约 20 字",
                     tried=["对比度拉伸:王口十 0.41"], row=2)
MISSING = DoubtfulLine(box=[40, 160, 560, 190], reason="行距中缺一行:有墨迹但未能识别", row=3)


def test_old_records_load_and_pages_without_doubts_are_written_as_before() -> None:
    old = {"n": 1, "origin": "ocr", "confidence": 0.98, "chars": 120}
    info = PageInfo.model_validate(old)
    assert info.doubtful == [] and info.rereads == [] and info.size is None
    assert json.loads(info.model_dump_json()) == old  # no new keys on a page read with confidence
    with_doubt = PageInfo(n=1, origin="ocr", chars=3, size=[600, 800], doubtful=[DOUBT])
    again = PageInfo.model_validate_json(with_doubt.model_dump_json())
    assert again == with_doubt and again.doubtful[0].tried == DOUBT.tried


def test_page_text_round_trips_through_its_record() -> None:
    text = PageText(1, "标题\n王口十日川", "ocr", 0.9, doubtful=[DOUBT], rereads=["置信度低 0.61;对比度拉伸;采用"], size=(600, 800))
    info = text.info()
    assert info.size == [600, 800] and info.doubtful == [DOUBT] and info.rereads == text.rereads
    back = PageText.from_info(info, text.text)
    assert back.doubtful == [DOUBT] and back.size == (600, 800)
    assert PageText(1, "x", "ocr", 0.9, size=(600, 800)).info().size is None  # the size only matters for boxes


def test_doubtful_lines_are_marked_and_a_missing_line_has_its_place() -> None:
    info = PageInfo(n=1, origin="ocr", doubtful=[DOUBT, MISSING])
    marked = mark_doubtful("质量问题赔偿协议\n王口十日川\n签订日期:2026年6月20日", info).split("\n")
    assert marked[0] == "质量问题赔偿协议"
    assert marked[1].startswith("⚠ 王口十日川") and "#1 读出 5 字而行宽约 20 字,置信度 0.97" in marked[1]
    assert marked[2].startswith("⚠ 〔OCR 存疑 #2:此处可能有一行未读出") and marked[3] == "签订日期:2026年6月20日"
    assert mark_doubtful("a\nb", PageInfo(n=1, origin="ocr")) == "a\nb"


def test_rows_follow_the_lines_normalisation_joins() -> None:
    raw = "标题\n" + "很" * 30 + "\n接着写\n结尾。\n下一段"
    norm = normalize_text(raw)
    rows = map_rows(raw, norm)
    assert norm.split("\n")[rows[3] - 1].endswith("接着写结尾。") or "接着写" in norm.split("\n")[rows[3] - 1]
    assert rows[1] == 1 and rows[5] == len(norm.split("\n"))


def _doubtful_scan(archive: Archive, tmp_path: Path, owner: str = "HXSZ/03-2-1203",
                   doc_type: str = "compensation_agreement") -> Document:
    image = Image.new("L", (600, 800), 255)
    ImageDraw.Draw(image).rectangle((40, 100, 560, 130), fill=0)
    path = tmp_path / "scan.png"
    image.save(path)
    return archive.add_document(
        owner, path, doc_type=doc_type, source="scan",
        text_pages=["质量问题赔偿协议\n王口十日川"],
        pages=[PageInfo(n=1, origin="ocr", confidence=0.9, chars=13, size=[600, 800], doubtful=[DOUBT])],
    )


def test_crop_is_the_line_with_a_margin(archive: Archive, tmp_path: Path) -> None:
    doc = _doubtful_scan(archive, tmp_path)
    crop = Image.open(io.BytesIO(document_crop(archive, doc.id, 1, 1)))
    assert crop.size == (520 + 30, 30 + 30)  # the box and half a line height around it
    assert crop.getpixel((crop.width // 2, crop.height // 2)) == 0
    with pytest.raises(UsageError, match="只有 1 行 OCR 存疑"):
        document_crop(archive, doc.id, 1, 2)
    with pytest.raises(NotFoundError, match="没有第 2 页"):
        document_crop(archive, doc.id, 2, 1)
    with pytest.raises(NotFoundError, match="没有 OCR 存疑"):
        crop_png(tmp_path / "scan.png", [PageInfo(n=1, origin="ocr")], 1, 1, what="文件 X ")


def test_search_status_and_audit_name_the_doubtful_document(archive: Archive, tmp_path: Path) -> None:
    from click.testing import CliRunner

    from docgen.cli.main import cli

    doc = _doubtful_scan(archive, tmp_path)
    env = {"DOCGEN_ARCHIVE": str(archive.root), "DOCGEN_INDEX": str(tmp_path / "index"), "DOCGEN_CONFIG": ""}
    out = CliRunner().invoke(cli, ["search", "--status", "OCR存疑", "--json"], env=env, catch_exceptions=False).output
    assert [h["id"] for h in json.loads(out)["hits"]] == [doc.id]
    out = CliRunner().invoke(cli, ["search", "OCR存疑", "--json"], env=env, catch_exceptions=False).output
    assert doc.id in [h["id"] for h in json.loads(out)["hits"]]
    [finding] = [f for f in Auditor(archive).run() if f.rule == "ACCURACY.OCR_DOUBTFUL"]
    assert finding.key == "HXSZ/03-2-1203" and finding.ref == doc.id and finding.severity == "warning"
    assert "1 行 OCR 存疑" in finding.message and "第 1 页第 2 行「王口十日川」" in finding.message


def test_audit_reports_doubtful_project_papers_under_the_project(archive: Archive, tmp_path: Path) -> None:
    doc = _doubtful_scan(archive, tmp_path, owner="HXSZ", doc_type="presale_permit")
    found = [(f.key, f.ref) for f in Auditor(archive).run() if f.rule == "ACCURACY.OCR_DOUBTFUL"]
    assert found == [("HXSZ", doc.id)]
