"""Hostile or stale input around ingest: edited sidecars, symlinks, failed batch parts, stale reviews."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from pypdf import PdfWriter

from docgen.archive import Archive
from docgen.demo.scans import text_pdf
from docgen.errors import DocgenError, NotFoundError, UsageError
from docgen.ingest.cover import cover_sheet
from docgen.ingest.pipeline import Pipeline
from docgen.ingest.settings import IngestSettings
from docgen.qrcodes import SeparatorCode


@pytest.fixture
def inbox(tmp_path: Path) -> Path:
    folder = tmp_path / "share" / "inbox"
    folder.mkdir(parents=True)
    return folder


@pytest.fixture
def pipeline(archive: Archive, inbox: Path):
    with Pipeline(archive, IngestSettings(inbox=inbox, ocr_dpi=150)) as p:
        yield p


def _to_review(pipeline: Pipeline, inbox: Path, name: str) -> str:
    path = text_pdf([["无关的文件", "没有任何可识别的信息"]], inbox / name)
    result = pipeline.ingest_inbox_file(path)
    assert result is not None and result.status == "review"
    return result.review_id


def test_edited_review_sidecar_cannot_move_a_file_out_of_the_inbox(pipeline, inbox, tmp_path):
    review_id = _to_review(pipeline, inbox, "unknown.pdf")
    sidecar = next(pipeline.areas.review.glob("*.review.json"))
    data = json.loads(sidecar.read_text("utf-8"))
    data["original_name"] = "../../../escaped.pdf"
    sidecar.write_text(json.dumps(data, ensure_ascii=False), "utf-8")
    result = pipeline.reject_review(review_id, "测试")
    assert [p for p in tmp_path.rglob("escaped.pdf*") if p.parent != pipeline.areas.failed] == []
    assert [f.name for f in pipeline.areas.failed_files()] == ["escaped.pdf"]
    assert Path(result.moved_to).parent == pipeline.areas.failed


def test_stale_review_entry_is_a_clear_error_and_is_cleared(pipeline, inbox):
    review_id = _to_review(pipeline, inbox, "gone.pdf")
    queued = next(p for p in pipeline.areas.review.iterdir() if p.suffix == ".pdf")
    queued.unlink()
    with pytest.raises(NotFoundError, match="已不在待确认区"):
        pipeline.file_review(review_id, "HXSZ/03-2-1204", "其他")
    assert pipeline.areas.reviews() == []
    with pytest.raises(UsageError):
        pipeline.reject_review("", "x")


def test_symlink_dropped_in_the_inbox_is_not_followed(archive, pipeline, inbox, tmp_path):
    secret = text_pdf([["房屋交接书", "机密内容 3栋2单元1203 张伟"]], tmp_path / "secret.pdf")
    link = inbox / "HXSZ_03-2-1203_handover_record.pdf"
    os.symlink(secret, link)
    result = pipeline.ingest_inbox_file(link)
    assert result is not None and result.status == "failed" and "符号链接" in result.message
    assert all(not d.documents for d in archive.iter_dossiers())
    assert secret.is_file()


def test_a_failing_part_of_a_batch_scan_stays_visible_and_retryable(archive, pipeline, inbox, tmp_path):
    cover_sheet(archive, "HXSZ/03-2-1203", "handover_record", tmp_path / "c1.pdf")
    bad_cover = text_pdf([["分隔页"]], tmp_path / "c2.pdf",
                         qr_payload=SeparatorCode("HXSZ/05-1-0502", "presale_permit").encode())
    writer = PdfWriter()
    for part in (tmp_path / "c1.pdf", text_pdf([["房屋交接书", "第一户"]], tmp_path / "a.pdf"),
                 bad_cover, text_pdf([["预售许可证", "第二份"]], tmp_path / "b.pdf")):
        writer.append(str(part))
    with open(inbox / "batch.pdf", "wb") as fh:
        writer.write(fh)
    result = pipeline.ingest_inbox_file(inbox / "batch.pdf")
    assert result is not None and [p.status for p in result.parts] == ["filed", "failed"]
    failed = pipeline.areas.failed_files()
    assert [f.name for f in failed] == ["batch-02.pdf"]
    assert "项目级文件" in pipeline.areas.reason_of(failed[0])


def test_cover_sheet_refuses_a_type_of_the_wrong_level(archive, tmp_path):
    with pytest.raises(DocgenError, match="项目级文件"):
        cover_sheet(archive, "HXSZ/03-2-1203", "presale_permit", tmp_path / "c.pdf")
    assert not (tmp_path / "c.pdf").exists()
