"""The tour (`docgen demo`, what ./setup.sh runs) works end to end on a copy of the bundled sample."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from docgen.archive import Archive
from docgen.cli.main import cli

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_tour_files_generates_round_trips_and_audits(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "records", tmp_path / "records", ignore=shutil.ignore_patterns(".docgen"))
    shutil.copytree(ROOT / "samples", tmp_path / "samples")
    (tmp_path / "docgen.toml").write_text(
        f'[archive]\npath = "records"\n[generate]\ntemplates = {json.dumps(str(ROOT / "templates"))}\n', "utf-8")
    before = sorted(p.name for p in (tmp_path / "records").rglob("*") if p.is_file())
    work = tmp_path / "run"
    r = CliRunner().invoke(cli, ["--config", str(tmp_path / "docgen.toml"), "demo", "--work", str(work), "--no-pdf"])
    assert r.exit_code == 0, r.output
    assert "演示完成" in r.output
    # the sample itself is untouched; the copy received the scans and the generated paperwork
    assert sorted(p.name for p in (tmp_path / "records").rglob("*") if p.is_file()) == before
    archive = Archive.open(work / "records")
    filed = {doc.original_name: doc for d in archive.iter_dossiers() for doc in d.documents}
    assert "HXSZ_03-2-1203_handover_record_20260618.pdf" in filed
    signed_back = filed["扫描_赔偿协议_签字版.pdf"]
    assert signed_back.signed and signed_back.identified_by == "qr" and signed_back.supersedes
    assert list((work / "inbox" / "failed").glob("损坏的扫描件.pdf"))
    assert (work / "审计报告.html").read_text("utf-8").count("<tr") > 5
    assert archive.journal.verify() == []
