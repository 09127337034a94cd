"""Changes made outside docgen: a write refuses to launder them; ``accept`` and ``restore`` resolve them on purpose."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from docgen.archive import Archive
from docgen.archive.fsutil import sha256_file
from docgen.audit.fixity import verify_archive
from docgen.cli.main import cli
from docgen.errors import IntegrityError, NotFoundError, RecordError, UsageError

KEY = "HXSZ/03-2-1204"
REL = "projects/HXSZ/dossiers/03-2-1204/dossier.json"
PHONE = "13987654321"  # 王芳's phone in conftest
FORGED = "13900000000"


def _forge_phone(archive: Archive) -> None:
    """What the trial did with sed: change the phone in dossier.json behind docgen's back."""
    path = archive.root / REL
    text = path.read_text("utf-8")
    assert PHONE in text
    path.write_text(text.replace(PHONE, FORGED), "utf-8")


def _codes(archive: Archive) -> dict[str, list[str]]:
    problems, _ = verify_archive(archive)
    out: dict[str, list[str]] = {}
    for p in problems:
        out.setdefault(p.code, []).append(p.path)
    return out


def accept_changes(archive: Archive, paths: list[str], reason: str) -> Any:
    from docgen.archive.reconcile import (
        accept_changes as accept,  # imported late: these tests also run on old code
    )

    return accept(archive, paths, reason)


def restore_files(archive: Archive, paths: list[str], source: Path | None = None) -> Any:
    from docgen.archive.reconcile import restore_files as restore

    return restore(archive, paths, source)


def _cli(archive: Archive, *args: str) -> Any:
    return CliRunner().invoke(cli, ["--archive", str(archive.root), "--actor", "李四", *args])


# -- item 7: a write must not launder a file it did not write ------------------------------------
def test_edit_after_out_of_band_change_is_refused_and_the_change_stays_visible(archive: Archive) -> None:
    _forge_phone(archive)
    lines = archive.layout.journal.read_bytes()
    with pytest.raises(IntegrityError) as info, archive.edit_dossier(KEY, "dossier.set", "修改 notes") as (d, _tx):
        d.notes = "x"
    message = str(info.value)
    assert REL in message and "档案 HXSZ/03-2-1204(3栋2单元1204)" in message
    assert "在 docgen 之外被改动过" in message
    assert "日志第 " in message and "测试员" in message  # which entry last wrote it, and who
    assert f"docgen accept {REL} --reason" in message and f"docgen restore {REL} --from" in message
    assert "不保存旧版本" in message  # says plainly that docgen has no copy of its own
    assert archive.layout.journal.read_bytes() == lines  # nothing journaled
    assert FORGED in (archive.root / REL).read_text("utf-8")  # nothing written
    assert archive.dossier(KEY).notes == ""
    assert _codes(archive) == {"FIXITY.RECORD_CHANGED": [REL]}  # still visible, not laundered


def test_cli_dossier_set_refused_after_sed(archive: Archive) -> None:
    _forge_phone(archive)
    result = _cli(archive, "dossier", "set", KEY, "notes=x")
    assert result.exit_code == 1
    assert "错误:" in result.output and "在 docgen 之外被改动过" in result.output and "docgen accept" in result.output
    assert "Traceback" not in result.output
    verify = _cli(archive, "verify", "--json")
    assert verify.exit_code == 3
    assert [p["code"] for p in json.loads(verify.output)["problems"]] == ["FIXITY.RECORD_CHANGED"]


def test_other_files_can_still_be_written(archive: Archive) -> None:
    _forge_phone(archive)
    with archive.edit_dossier("HXSZ/03-2-1203", "dossier.set", "修改 notes") as (d, _tx):
        d.notes = "只改另一户"
    assert archive.dossier("HXSZ/03-2-1203").notes == "只改另一户"


def test_deleted_and_planted_files_are_refused_too(archive: Archive, tmp_path: Path) -> None:
    (archive.root / REL).unlink()
    with pytest.raises(IntegrityError, match="在 docgen 之外被删除了"):
        archive.new_dossier(archive.dossier("HXSZ/03-2-1203").model_copy(update={"unit": "03-2-1204"}))
    planted = archive.root / "projects/HXSZ/batches/B02.json"
    planted.write_text(archive.root.joinpath("projects/HXSZ/batches/B01.json").read_text("utf-8"), "utf-8")
    with pytest.raises(IntegrityError, match="不在日志中"), archive.transaction("x", "", "x") as tx:
        tx.put_bytes("projects/HXSZ/batches/B02.json", b"{}")


# -- accept ----------------------------------------------------------------------------------------
def test_accept_journals_the_change_then_writes_go_ahead(archive: Archive) -> None:
    _forge_phone(archive)
    forged_hash = sha256_file(archive.root / REL)
    result = _cli(archive, "accept", REL, "--reason", "业主来电更正电话,张三改的")
    assert result.exit_code == 0, result.output
    assert "已认可" in result.output and "已记入日志第" in result.output
    entry = archive.journal.last()
    assert entry is not None and entry["action"] == "fixity.accept" and entry["actor"] == "李四"
    assert entry["target"] == KEY
    assert entry["detail"]["reason"] == "业主来电更正电话,张三改的"
    assert entry["detail"]["found"] == {REL: forged_hash}
    [change] = entry["files"]
    assert change["after"] == forged_hash and change["before"] == entry["detail"]["journaled"][REL]["after"]
    assert _codes(archive) == {}
    with archive.edit_dossier(KEY, "dossier.set", "修改 notes") as (d, _tx):
        d.notes = "x"
    assert archive.dossier(KEY).owners[0].phone == FORGED and _codes(archive) == {}


def test_accept_needs_a_reason_and_a_readable_file(archive: Archive) -> None:
    _forge_phone(archive)
    with pytest.raises(UsageError, match="--reason"):
        accept_changes(archive, [REL], " ")
    (archive.root / REL).write_text('{"project": "HXSZ", broken', "utf-8")
    with pytest.raises(RecordError, match="无法认可:JSON 格式错误"):
        accept_changes(archive, [REL], "试试")
    assert archive.journal.last()["action"] != "fixity.accept"  # type: ignore[index]


def test_accept_refuses_archived_documents(archive: Archive, tmp_path: Path) -> None:
    src = tmp_path / "scan.pdf"
    src.write_bytes(b"%PDF-1.4 original")
    doc = archive.add_document(KEY, src, doc_type="handover_record")
    rel = f"projects/HXSZ/dossiers/03-2-1204/documents/{doc.file}"
    (archive.root / rel).write_bytes(b"%PDF-1.4 replaced")
    with pytest.raises(UsageError, match="归档文件不会被改动或认可"):
        accept_changes(archive, [rel], "换了")


def test_accept_of_a_consistent_file_journals_nothing(archive: Archive) -> None:
    before = archive.layout.journal.read_bytes()
    result = accept_changes(archive, [KEY], "看看")  # a dossier key means its dossier.json
    assert result.entry is None and result.unchanged == [REL]
    assert archive.layout.journal.read_bytes() == before


# -- restore ---------------------------------------------------------------------------------------
def test_restore_from_a_backup(archive: Archive, tmp_path: Path) -> None:
    backup = tmp_path / "备份"
    shutil.copytree(archive.root, backup / "records")
    _forge_phone(archive)
    result = _cli(archive, "restore", REL, "--from", str(backup))
    assert result.exit_code == 0, result.output
    assert PHONE in (archive.root / REL).read_text("utf-8")
    entry = archive.journal.last()
    assert entry is not None and entry["action"] == "fixity.restore"
    assert entry["files"][0]["before"] == entry["files"][0]["after"] == sha256_file(archive.root / REL)
    assert entry["detail"]["found"][REL] != entry["files"][0]["after"]
    assert _codes(archive) == {}
    with archive.edit_dossier(KEY, "dossier.set", "修改 notes") as (d, _tx):
        d.notes = "恢复后照常修改"


def test_restore_refuses_a_backup_of_another_version(archive: Archive, tmp_path: Path) -> None:
    backup = tmp_path / "old"
    shutil.copytree(archive.root, backup)
    with archive.edit_dossier(KEY, "dossier.set", "修改 notes") as (d, _tx):
        d.notes = "备份之后的修改"
    _forge_phone(archive)
    with pytest.raises(IntegrityError, match="不是日志第 \\d+ 条.*记下的版本"):
        restore_files(archive, [REL], backup)
    assert FORGED in (archive.root / REL).read_text("utf-8")


def test_restore_without_backup_says_docgen_keeps_only_hashes(archive: Archive) -> None:
    _forge_phone(archive)
    with pytest.raises(NotFoundError, match="docgen 只在日志中保存文件的哈希,不保存旧内容"):
        restore_files(archive, [REL])


def test_restore_a_lost_copy_from_an_identical_one_in_the_archive(archive: Archive, tmp_path: Path) -> None:
    book = tmp_path / "住宅质量保证书.pdf"
    book.write_bytes(b"%PDF-1.4 the same two books for every unit")
    archive.add_document("HXSZ/03-2-1203", book, doc_type="quality_guarantee")
    doc = archive.add_document(KEY, book, doc_type="quality_guarantee")
    lost = archive.root / f"projects/HXSZ/dossiers/03-2-1204/documents/{doc.file}"
    lost.unlink()
    result = restore_files(archive, [str(lost)])  # a path on disk works too
    assert result.entry is not None and lost.read_bytes() == book.read_bytes()
    assert _codes(archive) == {}


# -- ids never repeat ------------------------------------------------------------------------------
def test_rolled_back_counters_are_refused_then_ids_never_repeat(archive: Archive, tmp_path: Path) -> None:
    src = tmp_path / "scan.pdf"
    src.write_bytes(b"%PDF-1.4 first")
    ids = [archive.add_document(KEY, src, doc_type="repair_record").id]
    counters = archive.root / "counters.json"
    old_counters = counters.read_bytes()
    for i in range(3):
        src.write_bytes(f"%PDF-1.4 scan {i}".encode())
        ids.append(archive.add_document(KEY, src, doc_type="repair_record").id)
    counters.write_bytes(old_counters)  # rolled back from an old copy
    src.write_bytes(b"%PDF-1.4 scan 3")
    with pytest.raises(IntegrityError, match="编号计数器"):
        archive.add_document("HXSZ/03-2-1203", src, doc_type="repair_record")
    result = accept_changes(archive, ["counters.json"], "从旧备份拷回了计数器")
    assert any("不会重复" in note for note in result.notes)
    assert "FIXITY.COUNTER_BEHIND" in _codes(archive)
    new = archive.add_document("HXSZ/03-2-1203", src, doc_type="repair_record")
    assert new.id not in ids and int(new.id.rsplit("-", 1)[1]) == int(ids[-1].rsplit("-", 1)[1]) + 1
    ticket = archive.add_case("HXSZ/03-2-1203", "repairs", {"reported_on": "2026-07-01", "component": "门窗",
                                                             "description": "窗户关不严"})
    assert ticket.id.endswith("00001")
    assert _codes(archive) == {}


def test_ids_continue_from_the_journal_even_if_counters_were_accepted_lower(archive: Archive, tmp_path: Path) -> None:
    src = tmp_path / "scan.pdf"
    src.write_bytes(b"%PDF-1.4 one")
    first = archive.add_document(KEY, src, doc_type="repair_record")
    counters = archive.root / "counters.json"
    counters.write_text(json.dumps({}), "utf-8")
    accept_changes(archive, ["counters.json"], "清空计数器")
    src.write_bytes(b"%PDF-1.4 two")
    second = archive.add_document(KEY, src, doc_type="repair_record")
    assert second.id != first.id
    assert json.loads(counters.read_text("utf-8"))[second.id.rsplit("-", 1)[0]] == int(second.id.rsplit("-", 1)[1])


def test_journal_records_the_ids_each_entry_issued(archive: Archive, tmp_path: Path) -> None:
    src = tmp_path / "scan.pdf"
    src.write_bytes(b"%PDF-1.4 one")
    doc = archive.add_document(KEY, src, doc_type="repair_record")
    entry = archive.journal.last()
    assert entry is not None
    prefix, number = doc.id.rsplit("-", 1)
    assert entry["detail"]["counters"] == {prefix: int(number)}
