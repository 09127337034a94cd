"""Crash safety and concurrency: killed writers, interrupted transactions, parallel processes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from docgen.archive import Archive
from docgen.archive.fsutil import sha256_file
from docgen.errors import LockTimeout

SRC = str(Path(__file__).resolve().parents[1] / "src")

WRITER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from docgen.archive import Archive
    archive = Archive.open(Path(sys.argv[1]), actor=sys.argv[2])
    src = Path(sys.argv[1]).parent / f"scan-{sys.argv[2]}.pdf"
    src.write_bytes(b"%PDF-1.4 " + sys.argv[2].encode() * 5000)
    for i in range(int(sys.argv[3])):
        with archive.edit_dossier("HXSZ/05-1-0601", "dossier.set", f"{sys.argv[2]} {i}") as (d, tx):
            d.notes = f"{sys.argv[2]}-{i}"
        archive.add_case("HXSZ/05-1-0601", "revisits", {"date": "2026-07-01", "by": sys.argv[2], "satisfaction": "A"})
        archive.add_document("HXSZ/05-1-0601", src, doc_type="repair_record", text_pages=[f"{sys.argv[2]} {i}"])
    print("done", flush=True)
    """
)


def _run(root: Path, actor: str, count: int, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    environ = {**os.environ, "PYTHONPATH": SRC, **(env or {})}
    return subprocess.Popen([sys.executable, "-c", WRITER, str(root), actor, str(count)], env=environ,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _assert_consistent(archive: Archive) -> None:
    """Everything loads, the chain verifies, and every file's hash is what the journal last said."""
    archive.recover()
    for d in archive.iter_dossiers():
        for doc in d.documents:
            assert archive.verify_document(d, doc) is None
    assert archive.journal.verify() == []
    last_after: dict[str, str | None] = {}
    for entry in archive.journal.entries():
        for f in entry.files:
            last_after[f["path"]] = f["after"]
    for rel, digest in last_after.items():
        path = archive.path(rel)
        if digest is None:
            assert not path.exists(), rel
        else:
            assert path.is_file() and sha256_file(path) == digest, rel
    leftovers = list(archive.layout.txn_dir.iterdir()) if archive.layout.txn_dir.exists() else []
    assert leftovers == []
    # the derived journal index (what every write checks against) says the same as the journal
    indexed = Archive.open(archive.root).journal_index.last_changes(last_after)
    assert {rel: c.after for rel, c in indexed.items()} == last_after


@pytest.mark.parametrize("point", ["before-manifest", "after-manifest", "after-apply"])
def test_crash_at_each_point_of_a_transaction(archive: Archive, point: str) -> None:
    before = archive.dossier("HXSZ/05-1-0601").notes
    proc = _run(archive.root, "crash", 1, env={"DOCGEN_FAILPOINT": point})
    proc.wait(timeout=60)
    assert proc.returncode == 137
    reopened = Archive.open(archive.root)
    notes = reopened.dossier("HXSZ/05-1-0601").notes  # readable before any repair
    messages = reopened.recover()
    assert messages, "the interrupted transaction must be found"
    after = reopened.dossier("HXSZ/05-1-0601").notes
    if point == "before-manifest":
        assert after == before and "丢弃" in messages[0]
    else:
        assert after == "crash-0" and "补完" in messages[0]
        assert notes in (before, "crash-0")
    _assert_consistent(reopened)


@pytest.mark.parametrize("point", ["after-manifest", "after-apply"])
def test_next_ordinary_write_after_a_crash_rolls_forward_and_is_not_refused(archive: Archive, point: str) -> None:
    """The crashed transaction's files are on disk before its journal entry: the next write must finish it, not refuse."""
    proc = _run(archive.root, "crash", 1, env={"DOCGEN_FAILPOINT": point})
    proc.wait(timeout=60)
    assert proc.returncode == 137
    reopened = Archive.open(archive.root, actor="next")
    with reopened.edit_dossier("HXSZ/05-1-0601", "dossier.set", "next") as (d, _tx):
        assert d.notes == "crash-0"  # rolled forward before the check
        d.notes = "after the crash"
    assert reopened.dossier("HXSZ/05-1-0601").notes == "after the crash"
    _assert_consistent(reopened)
    from docgen.audit.fixity import verify_archive

    assert verify_archive(reopened)[0] == []


def test_killed_while_the_journal_index_is_rebuilt(archive: Archive) -> None:
    """The index is derived: kill a writer at any point and the next one still agrees with the journal."""
    archive.journal_index.close()
    archive.layout.journal_index.unlink()
    for trial in range(3):
        proc = _run(archive.root, f"i{trial}", 50)
        time.sleep(0.3 + 0.2 * trial)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        if trial == 1 and archive.layout.journal_index.exists():
            archive.layout.journal_index.unlink()
        _assert_consistent(Archive.open(archive.root))
        with Archive.open(archive.root).edit_dossier("HXSZ/05-1-0601", "dossier.set", "after kill") as (d, _tx):
            d.notes = f"after kill {trial}"


@pytest.mark.slow
def test_writer_killed_at_random_moments(archive: Archive) -> None:
    for trial in range(6):
        proc = _run(archive.root, f"k{trial}", 200)
        time.sleep(0.4 + 0.13 * trial)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        reopened = Archive.open(archive.root)
        list(reopened.iter_dossiers())  # the archive reads before any repair
        _assert_consistent(reopened)


def test_concurrent_writers_lose_nothing(archive: Archive) -> None:
    procs = [_run(archive.root, f"w{i}", 8) for i in range(3)]
    for p in procs:
        _out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err.decode()
    d = archive.dossier("HXSZ/05-1-0601")
    assert len(d.revisits) == 24 and len({v.id for v in d.revisits}) == 24
    assert len(d.documents) == 24 and len({doc.id for doc in d.documents}) == 24
    _assert_consistent(archive)


def test_lock_timeout_names_the_holder(archive: Archive) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(
            """
            import sys, time
            from pathlib import Path
            from docgen.archive import Archive
            a = Archive.open(Path(sys.argv[1]), actor="占用者")
            with a.transaction("hold", "", "hold"):
                print("held", flush=True)
                time.sleep(30)
            """), str(archive.root)],
        env={**os.environ, "PYTHONPATH": SRC}, stdout=subprocess.PIPE)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == b"held"
        impatient = Archive.open(archive.root, lock_timeout=0.3)
        with pytest.raises(LockTimeout) as info, impatient.edit_dossier("HXSZ/05-1-0601", "x", "x"):
            pass
        message = str(info.value)
        assert f"进程号 {holder.pid}" in message and "已等待 0.3 秒" in message
    finally:
        holder.kill()
        holder.wait()
    # the lock dies with its holder: the next writer gets in
    Archive.open(archive.root, lock_timeout=5).record_access("test", "", "after kill")


def test_torn_journal_tail_is_set_aside_not_lost(archive: Archive) -> None:
    with open(archive.layout.journal, "ab") as fh:
        fh.write(b'{"seq": 99, "half a line')
    problems = archive.journal.verify()
    assert problems and "不完整" in problems[-1].message
    archive.record_access("test", "", "next write")
    assert archive.journal.verify() == []
    torn = list(archive.root.glob("journal.torn-*"))
    assert torn and torn[0].read_bytes() == b'{"seq": 99, "half a line'


def test_entries_since_reads_from_the_right_line(archive: Archive) -> None:
    """The change feed (``entries(since_seq)``) starts after the right line, however far back it is."""
    for i in range(60):  # long lines too (a big detail): the backward search crosses several blocks
        archive.record_access("test", "", f"第 {i} 次", detail={"pad": "字" * (3000 if i % 7 == 0 else 10)})
    everything = list(archive.journal.entries())
    last = everything[-1].seq
    for since in [0, 1, 2, *range(5, last + 3, 3), last - 1, last, last + 5]:
        got = [e.seq for e in archive.journal.entries(since)]
        assert got == [e.seq for e in everything if e.seq > since], since
    with open(archive.layout.journal, "ab") as fh:  # a torn tail is not an entry
        fh.write(b'{"seq": ' + str(last + 1).encode() + b', "half a line')
    assert [e.seq for e in archive.journal.entries(last - 2)] == [last - 1, last]
    assert [e.seq for e in archive.journal.entries(last)] == []


def test_reader_sees_whole_files_during_writes(archive: Archive) -> None:
    proc = _run(archive.root, "r", 30)
    reads = 0
    while proc.poll() is None:
        d = archive.dossier("HXSZ/05-1-0601")  # must never see half a file
        assert d.unit == "05-1-0601"
        reads += 1
    assert proc.returncode == 0
    assert reads > 0
