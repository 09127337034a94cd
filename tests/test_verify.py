"""Fixity: each kind of tampering is detected and named; an intact archive passes."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import build_small_archive
from docgen.archive import Archive
from docgen.audit.fixity import Verifier, verify_archive
from docgen.cli.main import cli

KEY = "HXSZ/03-2-1204"


@pytest.fixture
def filed(tmp_path: Path) -> tuple[Archive, str]:
    archive = build_small_archive(tmp_path / "records")
    src = tmp_path / "contract.pdf"
    src.write_bytes(b"%PDF-1.4 contract of 3-2-1204\n")
    doc = archive.add_document(KEY, src, doc_type="purchase_contract", text_pages=["合同 王芳 3栋2单元1204"], signed=True)
    src2 = tmp_path / "permit.pdf"
    src2.write_bytes(b"%PDF-1.4 presale permit\n")
    archive.add_document("HXSZ", src2, doc_type="presale_permit")
    return archive, doc.id


def codes(archive: Archive) -> dict[str, list[str]]:
    problems, _ = verify_archive(archive)
    out: dict[str, list[str]] = {}
    for p in problems:
        out.setdefault(p.code, []).append(p.path)
    return out


def test_intact_archive_passes(filed: tuple[Archive, str]) -> None:
    archive, _ = filed
    problems, stats = verify_archive(archive)
    assert problems == []
    assert stats.documents == 2 and stats.records >= 7 and stats.journal_entries >= 8


def test_tampered_document(filed: tuple[Archive, str]) -> None:
    archive, doc_id = filed
    d = archive.dossier(KEY)
    path = archive.document_path(d, d.document(doc_id))  # type: ignore[arg-type]
    path.write_bytes(path.read_bytes().replace(b"1204", b"1205"))
    assert codes(archive) == {"FIXITY.HASH_MISMATCH": [f"projects/HXSZ/dossiers/03-2-1204/documents/{doc_id}.pdf"]}


def test_deleted_document_and_text(filed: tuple[Archive, str]) -> None:
    archive, doc_id = filed
    folder = archive.root / "projects/HXSZ/dossiers/03-2-1204/documents"
    (folder / f"{doc_id}.pdf").unlink()
    (folder / f"{doc_id}.txt").unlink()
    found = codes(archive)
    assert found["FIXITY.MISSING_FILE"] == [f"projects/HXSZ/dossiers/03-2-1204/documents/{doc_id}.pdf"]
    assert found["FIXITY.MISSING_TEXT"] == [f"projects/HXSZ/dossiers/03-2-1204/documents/{doc_id}.txt"]


def test_edited_journal_line(filed: tuple[Archive, str]) -> None:
    archive, _ = filed
    lines = archive.layout.journal.read_text("utf-8").splitlines(keepends=True)
    entry = json.loads(lines[2])
    entry["actor"] = "某人"
    lines[2] = json.dumps(entry, ensure_ascii=False, separators=(",", ":")) + "\n"
    archive.layout.journal.write_text("".join(lines), "utf-8")
    found = codes(archive)
    assert list(found) == ["FIXITY.JOURNAL"]


def test_deleted_journal_line(filed: tuple[Archive, str]) -> None:
    archive, _ = filed
    lines = archive.layout.journal.read_text("utf-8").splitlines(keepends=True)
    del lines[3]
    archive.layout.journal.write_text("".join(lines), "utf-8")
    assert "FIXITY.JOURNAL" in codes(archive)


def test_garbled_journal_line_does_not_stop_verify(filed: tuple[Archive, str]) -> None:
    archive, _ = filed
    lines = archive.layout.journal.read_text("utf-8").splitlines(keepends=True)
    lines[1] = "{garbage\n"
    archive.layout.journal.write_text("".join(lines), "utf-8")
    found = codes(archive)
    assert "FIXITY.JOURNAL" in found


def test_orphans(filed: tuple[Archive, str]) -> None:
    archive, _ = filed
    (archive.root / "projects/HXSZ/dossiers/03-2-1204/documents/stray.pdf").write_bytes(b"x")
    (archive.root / "projects/HXSZ/documents/notes.txt").write_bytes(b"x")
    (archive.root / "projects/HXSZ/dossiers/09-1-0101/documents").mkdir(parents=True)
    (archive.root / "projects/HXSZ/dossiers/09-1-0101/documents/lost.pdf").write_bytes(b"x")
    (archive.root / ".docgen" / "ignored.tmp").write_bytes(b"x")  # not part of the record
    assert codes(archive) == {"FIXITY.ORPHAN": [
        "projects/HXSZ/documents/notes.txt",
        "projects/HXSZ/dossiers/03-2-1204/documents/stray.pdf",
        "projects/HXSZ/dossiers/09-1-0101/documents/lost.pdf",
    ]}


def test_record_edited_behind_the_journals_back(filed: tuple[Archive, str]) -> None:
    archive, _ = filed
    path = archive.dossier_file(KEY)
    data = json.loads(path.read_text("utf-8"))
    data["contract_no"] = "HXSZ-HT-2024-9999"
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2), "utf-8")
    found = codes(archive)
    assert found == {"FIXITY.RECORD_CHANGED": ["projects/HXSZ/dossiers/03-2-1204/dossier.json"]}


def test_change_through_docgen_is_not_flagged(filed: tuple[Archive, str]) -> None:
    archive, _ = filed
    with archive.edit_dossier(KEY, "dossier.edit", "改合同号") as (d, _tx):
        d.contract_no = "HXSZ-HT-2024-9999"
    archive.add_case(KEY, "revisits", {"date": dt.date(2026, 7, 1).isoformat(), "by": "小王", "satisfaction": "A"})
    assert codes(archive) == {}


def test_missing_and_unjournaled_record_files(filed: tuple[Archive, str]) -> None:
    archive, _ = filed
    archive.dossier_file("HXSZ/05-1-0502").unlink()
    (archive.root / "projects/HXSZ/batches/B02.json").write_text("{}", "utf-8")
    found = codes(archive)
    assert found["FIXITY.RECORD_MISSING"] == ["projects/HXSZ/dossiers/05-1-0502/dossier.json"]
    assert found["FIXITY.UNJOURNALED"] == ["projects/HXSZ/batches/B02.json"]


def test_unreadable_dossier_is_named(filed: tuple[Archive, str]) -> None:
    archive, _ = filed
    archive.dossier_file("HXSZ/05-1-0502").write_text("not json", "utf-8")
    found = codes(archive)
    assert found["FIXITY.UNREADABLE"] == ["projects/HXSZ/dossiers/05-1-0502/dossier.json"]
    assert found["FIXITY.RECORD_CHANGED"] == ["projects/HXSZ/dossiers/05-1-0502/dossier.json"]


def test_progress_callback(filed: tuple[Archive, str]) -> None:
    archive, _ = filed
    seen: list[int] = []
    list(Verifier(archive).run(progress=lambda stage, done, total, label: seen.append(done)))
    assert seen == [1, 2, 3, 4]


def test_cli_verify_exit_codes(filed: tuple[Archive, str]) -> None:
    archive, doc_id = filed
    runner = CliRunner()
    ok = runner.invoke(cli, ["--archive", str(archive.root), "verify"])
    assert ok.exit_code == 0, ok.output
    assert "档案库完好" in ok.output
    (archive.root / "projects/HXSZ/dossiers/03-2-1204/documents" / f"{doc_id}.pdf").write_bytes(b"tampered")
    bad = runner.invoke(cli, ["--archive", str(archive.root), "verify", "--json"])
    assert bad.exit_code == 3
    data = json.loads(bad.output)
    assert [p["code"] for p in data["problems"]] == ["FIXITY.HASH_MISMATCH"]
    assert data["stats"]["documents"] == 2


def test_cli_verify_not_an_archive(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["--archive", str(tmp_path), "verify"])
    assert result.exit_code == 1
    assert "不是 docgen 档案库" in result.output


# -- text sidecars and every other file the journal knows (issue 10, item 8) -----------------------
def test_changed_text_sidecar_is_reported(filed: tuple[Archive, str]) -> None:
    archive, doc_id = filed
    rel = f"projects/HXSZ/dossiers/03-2-1204/documents/{doc_id}.txt"
    path = archive.root / rel
    path.write_text(path.read_text("utf-8").replace("王芳", "王方"), "utf-8")  # what search and the audit read
    problems, _ = verify_archive(archive)
    assert [(p.code, p.path) for p in problems] == [("FIXITY.TEXT_CHANGED", rel)]
    assert f"文件 {doc_id} 的文字稿" in problems[0].message and "检索和审计读到的是改过的文字" in problems[0].message


def test_journaled_document_no_record_mentions_is_still_compared(filed: tuple[Archive, str]) -> None:
    archive, _ = filed
    doc = archive.project("HXSZ").documents[0]
    # the record no longer lists it (edited too), but the journal knows the file: it is still compared
    record = archive.root / "projects/HXSZ/project.json"
    data = json.loads(record.read_text("utf-8"))
    data["documents"] = []
    record.write_text(json.dumps(data, ensure_ascii=False, indent=2), "utf-8")
    (archive.root / "projects/HXSZ/documents" / doc.file).write_bytes(b"swapped")
    found = codes(archive)
    assert found["FIXITY.RECORD_CHANGED"] == ["projects/HXSZ/project.json"]
    assert found["FIXITY.HASH_MISMATCH"] == [f"projects/HXSZ/documents/{doc.file}"]


# -- the journal's chain of hashes per file (issue 10, item 7) -------------------------------------
def test_entry_whose_before_is_not_the_previous_after_is_reported(filed: tuple[Archive, str]) -> None:
    """What the old code journaled after a sed edit: ``before`` = the forged hash, so the edit was laundered."""
    from docgen.archive.fsutil import sha256_file
    from docgen.archive.journal import FileChange

    archive, _ = filed
    rel = "projects/HXSZ/dossiers/03-2-1204/dossier.json"
    path = archive.root / rel
    path.write_text(path.read_text("utf-8").replace("13987654321", "13900000000"), "utf-8")
    forged = sha256_file(path)
    path.write_text(path.read_text("utf-8").replace('"notes": ""', '"notes": "x"'), "utf-8")
    entry = archive.journal.append(actor="旧版本", action="dossier.set", target=KEY, summary="修改 notes", txn="t",
                                   files=[FileChange(rel, forged, sha256_file(path))])
    problems, _ = verify_archive(archive)
    assert [(p.code, p.path) for p in problems] == [("FIXITY.UNRECORDED_CHANGE", rel)]
    message = problems[0].message
    assert f"日志第 {entry.seq} 条" in message and "在 docgen 之外被改动过" in message and "此前第 " in message


def test_rolled_back_counters_laundered_by_old_code_show_as_duplicate_ids(filed: tuple[Archive, str], tmp_path: Path) -> None:
    """The trial's second case: two documents DOC-2026-000571. The same id twice is an error wherever it is."""
    archive, doc_id = filed
    src = tmp_path / "again.pdf"
    src.write_bytes(b"%PDF-1.4 another scan")
    archive.add_document("HXSZ/05-1-0502", src, doc_type="repair_record", doc_id=doc_id)
    problems, _ = verify_archive(archive)
    dupes = [p for p in problems if p.code == "FIXITY.DUPLICATE_ID"]
    assert [p.path for p in dupes] == ["projects/HXSZ/dossiers/05-1-0502/dossier.json"]
    assert doc_id in dupes[0].message and KEY in dupes[0].message


def test_counters_behind_the_ids_in_use(filed: tuple[Archive, str]) -> None:
    archive, doc_id = filed
    counters = archive.root / "counters.json"
    data = json.loads(counters.read_text("utf-8"))
    key = doc_id.rsplit("-", 1)[0]
    data[key] = 0
    counters.write_text(json.dumps(data), "utf-8")
    found = codes(archive)
    assert found["FIXITY.COUNTER_BEHIND"] == ["counters.json"] and found["FIXITY.RECORD_CHANGED"] == ["counters.json"]


def test_a_transaction_left_half_done_is_named(filed: tuple[Archive, str]) -> None:
    archive, _ = filed
    folder = archive.layout.txn_dir / "abc123"
    folder.mkdir(parents=True)
    (folder / "manifest.json").write_text("{}", "utf-8")
    problems, _ = verify_archive(archive)
    assert [(p.code, p.severity) for p in problems] == [("FIXITY.PENDING_TXN", "warning")]
