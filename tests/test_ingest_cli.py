"""The ingest, watch, review and cover-sheet commands through click's CliRunner on a real archive."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from click.testing import CliRunner

from docgen.cli.main import cli
from docgen.demo.scans import text_pdf
from docgen.ingest.identify import read_codes
from docgen.qrcodes import SeparatorCode


@pytest.fixture
def env(archive, tmp_path: Path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    config = tmp_path / "docgen.toml"
    config.write_text(f'[archive]\npath = "{archive.root}"\n\n[ingest]\ninbox = "{inbox}"\nstable_seconds = 0.1\n', "utf-8")
    runner = CliRunner()

    def invoke(*args: str):
        return runner.invoke(cli, ["--config", str(config), *args], catch_exceptions=False)

    return invoke, inbox, archive


def test_ingest_files_and_folders(env, tmp_path):
    invoke, _inbox, _archive = env
    folder = tmp_path / "scans"
    folder.mkdir()
    text_pdf([["房屋交接书", "业主签字:张伟"]], folder / "HXSZ_03-2-1203_handover_record.pdf")
    text_pdf([["钥匙签收表", "华轩首座 5栋1单元0502 李娜"]], folder / "scan1.pdf")
    result = invoke("ingest", str(folder))
    assert result.exit_code == 0, result.output
    assert "已归档" in result.output and "HXSZ/03-2-1203" in result.output and "HXSZ/05-1-0502" in result.output
    assert (folder / "scan1.pdf").exists()  # files outside the inbox are copied, not moved
    again = invoke("ingest", "--json", str(folder / "scan1.pdf"))
    data = json.loads(again.output)
    assert data[0]["status"] == "duplicate"


def test_ingest_into_project_with_type(env, tmp_path):
    invoke, _inbox, archive = env
    pdf = text_pdf([["客户服务部档案管理制度", "第一条 为规范档案管理工作制定本制度。"]], tmp_path / "rules.pdf")
    result = invoke("ingest", str(pdf), "--into", "HXSZ", "--type", "policy")
    assert result.exit_code == 0, result.output
    assert [d.type for d in archive.project("HXSZ").documents] == ["policy"]


def test_ingest_bad_file_exits_1_and_retry(env, tmp_path):
    invoke, inbox, _archive = env
    bad = inbox / "HXSZ_03-2-1203_id_copy.pdf"
    bad.write_bytes(b"")
    result = invoke("ingest", str(bad))
    assert result.exit_code == 1 and "文件为空" in result.output
    failed = inbox / "failed" / bad.name
    text_pdf([["身份证复印件", "张伟 正反面"]], failed)
    retry = invoke("ingest", "--retry")
    assert retry.exit_code == 0 and "已归档" in retry.output


def test_ingest_without_arguments_is_usage_error(env):
    invoke, *_ = env
    result = invoke("ingest")
    assert result.exit_code == 2 and "--retry" in result.output


def test_review_list_file_and_reject(env, tmp_path):
    invoke, inbox, _archive = env
    text_pdf([["情况说明", "3栋2单元1204 来电"]], inbox / "a.pdf")
    text_pdf([["情况说明", "与本项目无关的内容"]], inbox / "b.pdf")
    result = invoke("watch", "--once")
    assert result.exit_code == 0, result.output
    assert result.output.count("待确认") >= 2
    listing = json.loads(invoke("review", "list", "--json").output)
    by_name = {e["original_name"]: e["id"] for e in listing}
    filed = invoke("review", "file", by_name["a.pdf"], "--dossier", "HXSZ/03-2-1204", "--type", "其他")
    assert filed.exit_code == 0 and "已归档" in filed.output
    rejected = invoke("review", "reject", by_name["b.pdf"], "--reason", "不是本项目")
    assert rejected.exit_code == 0
    assert "待确认队列为空" in invoke("review", "list").output
    assert (inbox / "failed" / "b.pdf").exists()
    missing = invoke("review", "file", "nope", "--dossier", "HXSZ/03-2-1204", "--type", "其他")
    assert missing.exit_code == 1 and "没有" in missing.output


def test_watch_once_writes_a_log(env):
    invoke, inbox, _archive = env
    text_pdf([["钥匙签收表", "已领取"]], inbox / "HXSZ_05-1-0601_key_receipt.pdf")
    result = invoke("watch", "--once")
    assert result.exit_code == 0, result.output
    log = (inbox / "logs" / "ingest.log").read_text("utf-8")
    assert "已归档 HXSZ_05-1-0601_key_receipt.pdf HXSZ/05-1-0601" in log


def test_cover_sheet_qr_decodes(env, tmp_path):
    invoke, _inbox, _archive = env
    out = tmp_path / "cover.pdf"
    result = invoke("cover-sheet", "HXSZ/03-2-1203", "--type", "房屋交接书", "-o", str(out))
    assert result.exit_code == 0, result.output
    pdf = pdfium.PdfDocument(str(out))
    image = pdf[0].render(scale=100 / 72).to_pil()
    assert read_codes(image) == [SeparatorCode("HXSZ/03-2-1203", "handover_record")]
    bad = invoke("cover-sheet", "HXSZ/09-9-0909", "--type", "房屋交接书", "-o", str(out))
    assert bad.exit_code == 1 and "不存在" in bad.output


def test_ingest_walks_sub_folders_and_names_every_skipped_file(env, tmp_path):
    invoke, _inbox, archive = env
    folder = tmp_path / "scans"
    (folder / "扫描仪1").mkdir(parents=True)
    text_pdf([["房屋交接书", "业主签字:张伟"]], folder / "扫描仪1" / "HXSZ_03-2-1203_handover_record.pdf")
    text_pdf([["钥匙签收表", "已领取"]], folder / "HXSZ_05-1-0601_key_receipt.pdf")
    (folder / ".hidden.pdf").write_bytes(b"%PDF-1.4")
    (folder / "扫描仪1" / "upload.pdf.part").write_bytes(b"%PDF-1.4")
    result = invoke("ingest", str(folder))
    assert result.exit_code == 0, result.output
    assert sum(line.startswith("已归档 ") for line in result.output.splitlines()) == 2
    assert "跳过 .hidden.pdf — 隐藏文件" in result.output
    assert f"跳过 {os.path.join('扫描仪1', 'upload.pdf.part')} — 临时文件" in result.output
    assert "共 2 个文件,跳过 2 个:已归档 2" in result.output
    assert len(archive.dossier("HXSZ/03-2-1203").documents) == 1


def test_next_ingest_finishes_what_a_killed_ingest_left(env, tmp_path):
    """A killed `docgen ingest` leaves its copy and its (released) lock in .processing/; the next ingest adopts it."""
    invoke, inbox, archive = env
    dead = inbox / ".processing" / "host-999999-dead00"
    dead.mkdir(parents=True)
    (inbox / ".processing" / "host-999999-dead00.lock").write_bytes(b"")
    text_pdf([["房屋交接书", "业主签字:张伟"]], dead / "HXSZ_03-2-1203_handover_record.pdf")
    other = text_pdf([["钥匙签收表", "已领取"]], tmp_path / "HXSZ_05-1-0601_key_receipt.pdf")
    result = invoke("ingest", str(other))
    assert result.exit_code == 0, result.output
    assert "HXSZ/03-2-1203" in result.output and "HXSZ/05-1-0601" in result.output
    assert len(archive.dossier("HXSZ/03-2-1203").documents) == 1 and not dead.exists()


def test_document_add_has_ingest_checks(env, tmp_path):
    invoke, _inbox, archive = env
    scan = text_pdf([["房屋交接书", "业主签字"]], tmp_path / "交接书.pdf")
    assert invoke("document", "add", "HXSZ/03-2-1204", str(scan), "--type", "房屋交接书").exit_code == 0
    again = tmp_path / "交接书-副本.pdf"
    again.write_bytes(scan.read_bytes())
    link = tmp_path / "passwd.pdf"
    link.symlink_to("/etc/passwd")
    empty = tmp_path / "empty.pdf"
    empty.write_bytes(b"")
    text = tmp_path / "notes.pdf"
    text.write_text("业主来电,说明情况。", "utf-8")
    for path, fragment in [(again, "完全相同"), (link, "符号链接"), (empty, "文件为空"), (text, "只能归档 PDF")]:
        result = invoke("document", "add", "HXSZ/03-2-1204", str(path), "--type", "房屋交接书")
        assert result.exit_code == 1 and fragment in result.output, (path.name, result.output)
        assert "Traceback" not in result.output
    assert len(archive.dossier("HXSZ/03-2-1204").documents) == 1
    gbk = os.fsdecode("业主身份证.pdf".encode("gbk"))
    os.rename(text_pdf([["身份证复印件", "王芳"]], tmp_path / "id.pdf"), os.path.join(os.fsencode(tmp_path), os.fsencode(gbk)))
    result = invoke("document", "add", "HXSZ/03-2-1204", str(tmp_path / gbk), "--type", "身份证复印件")
    assert result.exit_code == 0, result.output
    assert archive.dossier("HXSZ/03-2-1204").documents[-1].original_name == "业主身份证.pdf"
