"""The journal's derived index: incremental, rebuilt when missing or stale, agrees with the journal."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from docgen.archive import Archive
from docgen.archive.fsutil import sha256_file
from docgen.archive.journalindex import JournalIndex, ids_in_entry

REL = "projects/HXSZ/dossiers/03-2-1204/dossier.json"


def _edit(archive: Archive, notes: str, key: str = "HXSZ/03-2-1204") -> None:
    with archive.edit_dossier(key, "dossier.set", f"备注:{notes}") as (d, _tx):
        d.notes = notes


def _truth(archive: Archive) -> dict[str, tuple[str | None, int]]:
    """Path -> (last after, seq), read straight from the journal."""
    out: dict[str, tuple[str | None, int]] = {}
    for entry in archive.journal.entries():
        for f in entry.files:
            out[f["path"]] = (f["after"], entry.seq)
    return out


def test_last_change_names_who_when_and_the_hash(archive: Archive) -> None:
    writer = Archive.open(archive.root, actor="张三")
    _edit(writer, "一")
    last = Archive.open(archive.root).journal_index.last_change(REL)  # a fresh reader, not synced
    assert last is not None
    assert last.actor == "张三" and last.action == "dossier.set" and last.summary == "备注:一"
    assert last.after == sha256_file(archive.root / REL) and last.seq == archive.journal.last()["seq"]  # type: ignore[index]
    assert len(last.when) == 16 and last.target == "HXSZ/03-2-1204"
    assert archive.journal_index.last_change("projects/HXSZ/nothing.json") is None


def test_index_agrees_with_the_journal_after_many_writes(archive: Archive) -> None:
    for i in range(5):
        _edit(archive, f"第{i}次", "HXSZ/03-2-1204" if i % 2 else "HXSZ/05-1-0601")
    archive.record_access("privacy.reveal", "HXSZ/03-2-1204", "查看")
    index = Archive.open(archive.root).journal_index
    truth = _truth(archive)
    changes = index.last_changes(truth)
    assert {p: (c.after, c.seq) for p, c in changes.items()} == truth


def test_readers_see_entries_not_yet_synced(archive: Archive) -> None:
    reader = JournalIndex(archive.layout.journal_index, archive.layout.journal)
    _edit(archive, "甲")
    other = Archive.open(archive.root)
    _edit(other, "乙")  # the writer synced before its own entry: the index lags by one entry
    assert int(_meta(archive)["offset"]) < archive.layout.journal.stat().st_size
    last = reader.last_change(REL)
    assert last is not None and last.summary == "备注:乙"


def _meta(archive: Archive) -> dict[str, str]:
    conn = sqlite3.connect(archive.layout.journal_index)
    try:
        return dict(conn.execute("SELECT key, value FROM meta").fetchall())
    finally:
        conn.close()


def test_rebuilt_when_deleted_or_corrupt(archive: Archive) -> None:
    _edit(archive, "一")
    archive.journal_index.close()
    archive.layout.journal_index.unlink()
    _edit(archive, "二")  # the next writer rebuilds it
    assert archive.layout.journal_index.is_file()
    archive.journal_index.close()
    archive.layout.journal_index.write_bytes(b"not a database at all" * 100)
    _edit(archive, "三")
    truth = _truth(archive)
    got = Archive.open(archive.root).journal_index.last_changes(truth)
    assert {p: (c.after, c.seq) for p, c in got.items()} == truth


def test_rebuilt_when_the_journal_no_longer_continues(archive: Archive, tmp_path: Path) -> None:
    """A journal restored from an older backup, then written again: the index must not keep newer hashes."""
    old_journal = archive.layout.journal.read_bytes()
    old_record = (archive.root / REL).read_bytes()
    _edit(archive, "备份之后")
    archive.layout.journal.write_bytes(old_journal)  # the whole archive restored from a backup
    (archive.root / REL).write_bytes(old_record)
    _edit(archive, "恢复之后")  # would be refused if the index still held the lost entry's hash
    truth = _truth(archive)
    got = archive.journal_index.last_changes(truth)
    assert {p: (c.after, c.seq) for p, c in got.items()} == truth


def test_rebuilt_when_a_restored_journal_grew_past_the_old_end(archive: Archive) -> None:
    old_journal = archive.layout.journal.read_bytes()
    old_record = (archive.root / REL).read_bytes()
    _edit(archive, "备份之后")
    _edit(archive, "备份之后二")
    archive.layout.journal.write_bytes(old_journal)
    (archive.root / REL).write_bytes(old_record)
    while archive.layout.journal.stat().st_size <= int(_meta(archive)["offset"]):
        archive.journal.append(actor="x", action="privacy.reveal", target="", summary="填充", txn="t", files=[])
    _edit(archive, "恢复之后")
    truth = _truth(archive)
    got = archive.journal_index.last_changes(truth)
    assert {p: (c.after, c.seq) for p, c in got.items()} == truth


def test_highest_id_from_counters_detail_and_legacy_entries() -> None:
    assert dict(ids_in_entry({"detail": {"counters": {"DOC-2026": 571}}})) == {"DOC-2026": 571}
    legacy = {"summary": "新建报修单 BX-2026-00012", "detail": {"documents": ["DOC-2025-000099"]}}
    assert sorted(ids_in_entry(legacy)) == [("BX-2026", 12), ("DOC-2025", 99)]
    assert list(ids_in_entry({"summary": "合同 HXSZ-HT-2024-0001"})) == []


def test_entries_filters(archive: Archive) -> None:
    Archive.open(archive.root, actor="张三").record_access("privacy.reveal", "HXSZ/03-2-1204", "查看")
    _edit(Archive.open(archive.root, actor="李四"), "一")
    index = Archive.open(archive.root).journal_index
    mine = index.entries(actor="张三")
    assert [e.action for e in mine] == ["privacy.reveal"]
    under = index.entries(target="HXSZ", limit=3)
    assert len(under) == 3 and under[0].actor == "李四" and under[0].seq > under[1].seq
    raw = archive.layout.journal.read_bytes()
    e = under[0]
    assert raw[e.offset:e.offset + e.length].endswith(b"\n") and b'"seq":%d' % e.seq in raw[e.offset:e.offset + e.length]


def test_written_to_sqlite_in_batches_and_still_exact(archive: Archive) -> None:
    """New lines wait in memory (a SQLite commit costs more than the update); every PERSIST_ENTRIES they are stored."""
    from docgen.archive.journalindex import PERSIST_ENTRIES

    start = int(_meta(archive)["offset"])
    writers = [Archive.open(archive.root, actor=f"w{i}") for i in range(2)]  # two writers, each with its own memory
    for i in range(PERSIST_ENTRIES + 5):
        _edit(writers[i % 2], f"第{i}次", "HXSZ/03-2-1204" if i % 3 else "HXSZ/05-1-0601")
        truth = _truth(archive)
        other = writers[(i + 1) % 2]
        with other.transaction("test.look", "", "看一眼"):  # synced under the lock: the writer's view
            recorded = other.journal_index.recorded(REL)
        assert recorded is not None and (recorded.after, recorded.seq) == truth[REL]
    stored = int(_meta(archive)["offset"])
    assert start < stored < archive.layout.journal.stat().st_size
    got = Archive.open(archive.root).journal_index.last_changes(_truth(archive))
    assert {p: (c.after, c.seq) for p, c in got.items()} == _truth(archive)
