"""The index's life: rebuild equals incremental, versions, damage, journal mismatch, locks, crashes, readers."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from conftest import damage_postings
from docgen import privacy
from docgen.archive import Archive
from docgen.errors import LockTimeout, NotFoundError
from docgen.search import api
from docgen.search.query import Query
from docgen.search.schema import META_UID
from docgen.search.settings import SearchSettings
from docgen.search.store import IndexFolder

SRC = str(Path(__file__).resolve().parents[1] / "src")


def _src(tmp_path: Path) -> Path:
    f = tmp_path / "scan.pdf"
    if not f.exists():
        f.write_bytes(b"%PDF-1.4\n% test\n")
    return f


def _fingerprint(settings: SearchSettings, archive: Archive) -> dict[str, str]:
    """uid -> content hash of every entry in the index."""
    folder = IndexFolder(settings, archive)
    ix = folder.open_current()
    try:
        with ix.searcher() as s:
            return {d["uid"]: d["hash"] for d in s.all_stored_fields() if d.get("uid") != META_UID}
    finally:
        ix.close()


def _results(archive: Archive, settings: SearchSettings, text: str) -> list[tuple[str, str]]:
    reveal = {"reveal": True, "reason": "测试"} if privacy.full_numbers_in(text) else {}  # a full phone is a reveal
    r = api.open_index(settings, archive).search(Query(text=text, limit=1000, highlight=False, **reveal),  # type: ignore[arg-type]
                                                 auto_update=False)
    return sorted((h.uid, h.kind) for h in r.hits)


def test_rebuild_equals_incremental(archive: Archive, tmp_path: Path) -> None:
    inc = SearchSettings(index_path=tmp_path / "inc", procs=1, commit_every=2, words=True)
    full = SearchSettings(index_path=tmp_path / "full", procs=2, words=True)
    src = _src(tmp_path)
    api.update(archive, inc)  # first update builds the index
    archive.add_document("HXSZ/03-2-1203", src, doc_type="repair_record", text_pages=["卫生间漏水,业主张伟"])
    api.refresh(archive, inc)
    doc = archive.add_document("HXSZ/05-1-0502", src, doc_type="repair_record", text_pages=["地暖不热"])
    repair = archive.add_case("HXSZ/05-1-0502", "repairs", {"reported_on": "2026-07-01", "component": "地暖", "description": "地暖不热"})
    api.refresh(archive, inc)
    archive.update_case(repair.id, {"status": "已完成"})
    with archive.edit_dossier("HXSZ/03-2-1204", "dossier.edit", "改业主电话") as (d, _tx):
        d.owners[0].phone = "13900001111"
    archive.add_document("HXSZ", src, doc_type="policy", text_pages=["逾期交房违约金"], supersedes=None)
    api.refresh(archive, inc)
    api.rebuild(archive, full)
    assert _fingerprint(inc, archive) == _fingerprint(full, archive)
    for q in ("地暖不热", "13900001111", "违约金", "张伟", "卫生间"):
        assert _results(archive, inc, q) == _results(archive, full, q), q
    assert doc.id in {u.split("#")[-1] for u, _ in _results(archive, full, "地暖不热")}
    api.refresh(archive, inc)  # the phone-number searches above journaled their reveals (entries with no files)
    st = api.status(archive, inc)
    assert st.usable and st.pending_entries == 0 and st.seq == st.archive_seq
    # jieba learnt the archive's names: the user dictionary of both holds the owners
    for settings in (inc, full):
        folder = IndexFolder(settings, archive)
        words = (folder.gen_dir(folder.current_name or "") / "userdict.txt").read_text("utf-8")
        assert "张伟 " in words and "华轩首座 " in words and "地暖 " in words
    # jieba's dictionary cache lives in an index folder docgen owns, not the system temp folder
    from docgen.search import analysis

    assert analysis._jieba_base is not None and Path(analysis._jieba_base.tmp_dir).name == "jieba"
    assert (Path(analysis._jieba_base.tmp_dir) / "jieba.cache").is_file()


JIEBA_THREADS = """
import sys, threading
sys.path.insert(0, {src!r})
from pathlib import Path
from docgen.search import analysis
analysis.configure_words(None, Path({cache!r}))
barrier = threading.Barrier(4)
got = []
def load():
    barrier.wait()
    got.append(analysis.jieba_tokenizer())
threads = [threading.Thread(target=load) for _ in range(4)]
for t in threads: t.start()
for t in threads: t.join()
print(len({{id(t) for t in got}}), len(got))
"""


def test_jieba_loads_once_when_threads_index_at_once(tmp_path: Path) -> None:
    """Four threads asking for the tokenizer at once get one tokenizer (loaded once), not four."""
    script = JIEBA_THREADS.format(src=SRC, cache=str(tmp_path / "jieba"))
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["1", "4"]


def test_version_mismatch_rebuilds(archive: Archive, tmp_path: Path) -> None:
    settings = SearchSettings(index_path=tmp_path / "index", procs=1)
    api.rebuild(archive, settings)
    folder = IndexFolder(settings, archive)
    gen = folder.gen_dir(folder.current_name or "")
    info = json.loads((gen / "docgen.json").read_text("utf-8"))
    info["versions"]["analyzer"] = 0
    (gen / "docgen.json").write_text(json.dumps(info), "utf-8")
    st = api.status(archive, settings)
    assert not st.usable and "版本" in st.problem
    stats = api.update(archive, settings)
    assert stats.mode == "rebuild" and "版本" in stats.reason
    assert folder.current_name != gen.name and not gen.exists()
    assert api.status(archive, settings).usable


def test_damaged_index_is_rebuilt_never_half_used(archive: Archive, tmp_path: Path) -> None:
    settings = SearchSettings(index_path=tmp_path / "index", procs=1, auto_update=True)
    api.rebuild(archive, settings)
    folder = IndexFolder(settings, archive)
    gen = folder.gen_dir(folder.current_name or "")
    for toc in gen.glob("*.toc"):
        toc.write_bytes(b"garbage")
    assert not api.status(archive, settings).usable
    engine = api.WhooshEngine(archive, settings)
    r = engine.search(Query(text="张伟"))
    assert "重建" in r.note and r.total >= 1
    engine.close()


def test_damaged_postings_are_rebuilt_not_half_used(archive: Archive, tmp_path: Path) -> None:
    """Damage inside a segment shows only when postings are read: the search rebuilds and answers in full."""
    src = _src(tmp_path)
    for i in range(30):
        archive.add_document("HXSZ/03-2-1203", src, doc_type="repair_record",
                             text_pages=[f"卫生间漏水第{i}次,地暖不热。" * 20])
    settings = SearchSettings(index_path=tmp_path / "index", procs=1, auto_update=True)
    api.rebuild(archive, settings)
    expected = _results(archive, settings, "漏水")
    before = IndexFolder(settings, archive).current_name
    damage_postings(settings, archive)
    assert api.status(archive, settings).usable  # it opens: only reading postings can tell

    strict = api.WhooshEngine(archive, settings.model_copy(update={"auto_update": False}))
    with pytest.raises(NotFoundError, match="损坏"):
        strict.search(Query(text="漏水", limit=100), auto_update=False)
    strict.close()

    engine = api.WhooshEngine(archive, settings)
    r = engine.search(Query(text="漏水", limit=100))
    assert "重建" in r.note and "损坏" in r.note
    assert sorted((h.uid, h.kind) for h in r.hits) == expected
    assert IndexFolder(settings, archive).current_name != before
    engine.close()


def test_status_counts_live_entries_by_kind(archive: Archive, tmp_path: Path) -> None:
    """Entries by kind count what is searchable: an edit re-indexes a dossier's entries, the old versions do not count."""
    settings = SearchSettings(index_path=tmp_path / "index", procs=1)
    archive.add_document("HXSZ/03-2-1203", _src(tmp_path), doc_type="repair_record", text_pages=["漏水"])
    api.rebuild(archive, settings)
    with archive.edit_dossier("HXSZ/03-2-1203", "dossier.edit", "改名") as (dossier, _tx):
        dossier.owners[0].name = "张卫"
    api.update(archive, settings)
    st = api.status(archive, settings)
    assert st.by_kind["document"] == 1 and st.by_kind["dossier"] == 4
    assert sum(st.by_kind.values()) == st.entries


def test_missing_index_is_built_on_first_search(archive: Archive, tmp_path: Path) -> None:
    settings = SearchSettings(index_path=tmp_path / "index", procs=1)
    r = api.WhooshEngine(archive, settings).search(Query(text="王芳"))
    assert {h.owner for h in r.hits} == {"HXSZ/03-2-1204"}


def test_journal_mismatch_falls_back_to_content_hashes(archive: Archive, tmp_path: Path) -> None:
    settings = SearchSettings(index_path=tmp_path / "index", procs=1)
    api.rebuild(archive, settings)
    folder = IndexFolder(settings, archive)
    ix = folder.open_current()
    w = ix.writer()
    w.update_document(uid=META_UID, kind=META_UID, state={"journal": {"seq": 5, "hash": "0" * 64, "offset": 3}})
    w.commit()
    ix.close()
    # meanwhile the archive changed
    archive.add_document("HXSZ/03-2-1203", _src(tmp_path), doc_type="repair_record", text_pages=["阳台漏水"])
    stats = api.update(archive, settings)
    assert stats.mode == "full-compare" and stats.added == 1 and stats.updated == 0 and stats.unchanged > 0
    assert api.update(archive, settings).mode == "none"


def test_deleted_dossier_leaves_the_index(archive: Archive, tmp_path: Path) -> None:
    settings = SearchSettings(index_path=tmp_path / "index", procs=1)
    api.rebuild(archive, settings)
    with archive.transaction("dossier.delete", "HXSZ/05-1-0601", "删除测试档案") as tx:
        tx.delete("projects/HXSZ/dossiers/05-1-0601/dossier.json")
    stats = api.update(archive, settings)
    assert stats.deleted == 1
    assert _results(archive, settings, "刘洋") == []


def test_lock_timeout_names_the_holder(archive: Archive, tmp_path: Path) -> None:
    settings = SearchSettings(index_path=tmp_path / "index", procs=1, lock_timeout=0.3)
    api.rebuild(archive, settings)
    holder = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(f"""
            import sys, time
            sys.path.insert(0, {SRC!r})
            from pathlib import Path
            from docgen.search.store import IndexLock
            lock = IndexLock(Path({str(tmp_path / 'index' / 'write.lock')!r}), 5)
            lock.acquire()
            print("held", flush=True)
            time.sleep(30)
        """)],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with pytest.raises(LockTimeout, match=rf"检索索引正被另一个进程更新.*进程号 {holder.pid}"):
            api.update(archive, settings)
        assert api.refresh(archive, settings, timeout=0.1) is None
        # an index that is current is searched without waiting for the lock
        r = api.WhooshEngine(archive, settings).search(Query(text="张伟"))
        assert r.total >= 1 and r.note == ""
        # with something pending, searching still works and says the index may lag
        archive.add_document("HXSZ/03-2-1203", _src(tmp_path), doc_type="repair_record", text_pages=["锁测试"])
        r = api.WhooshEngine(archive, settings).search(Query(text="张伟"))
        assert r.total >= 1 and "另一个进程" in r.note
    finally:
        holder.kill()
        holder.wait()


WRITER = """
import sys, time
sys.path.insert(0, {src!r})
from pathlib import Path
from docgen.archive import Archive
from docgen.search.settings import SearchSettings
from docgen.search.store import IndexFolder
archive = Archive.open(Path({root!r}))
settings = SearchSettings(index_path=Path({index!r}), procs=1, commit_every=3)
def progress(stage, done, total, label):
    print("tick", done, flush=True)
    time.sleep(0.05)
IndexFolder(settings, archive).update(progress)
print("done", flush=True)
"""


@pytest.mark.slow
def test_killed_writer_leaves_an_index_that_opens(archive: Archive, tmp_path: Path) -> None:
    settings = SearchSettings(index_path=tmp_path / "index", procs=1, commit_every=3)
    api.rebuild(archive, settings)
    src = _src(tmp_path)
    keys = list(archive.dossier_keys())
    added = []
    for i in range(40):
        doc = archive.add_document(keys[i % 4], src, doc_type="repair_record", text_pages=[f"批量归档第{i}号 漏水记录"])
        added.append(doc.id)
    script = WRITER.format(src=SRC, root=str(archive.root), index=str(tmp_path / "index"))
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    ticks = 0
    while ticks < 2:
        line = proc.stdout.readline()
        assert line, "writer ended before it could be killed"
        ticks += line.startswith("tick")
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    # the index opens, and the archive (journal) says what still needs indexing
    st = api.status(archive, settings)
    assert st.usable
    assert st.pending_entries is not None and st.pending_entries >= 1
    assert st.seq < st.archive_seq
    stats = api.update(archive, settings)
    assert stats.mode == "incremental"
    r = api.WhooshEngine(archive, settings).search(Query(text="批量归档", limit=100, kind="document"), auto_update=False)
    assert sorted(h.doc_id for h in r.hits) == sorted(added)
    assert api.status(archive, settings).pending_entries == 0


READER = """
import sys, time
sys.path.insert(0, {src!r})
from pathlib import Path
from docgen.archive import Archive
from docgen.search.settings import SearchSettings
from docgen.search.api import WhooshEngine
from docgen.search.query import Query
archive = Archive.open(Path({root!r}))
engine = WhooshEngine(archive, SearchSettings(index_path=Path({index!r}), procs=1))
seen = []
end = time.time() + 60
while time.time() < end:
    r = engine.search(Query(text="并发写入", kind="document", limit=200), auto_update=False)
    seen.append(r.total)
    if r.total >= {n}:
        break
print(",".join(map(str, seen)), flush=True)
"""


@pytest.mark.slow
def test_concurrent_reader_sees_commits(archive: Archive, tmp_path: Path) -> None:
    settings = SearchSettings(index_path=tmp_path / "index", procs=1)
    api.rebuild(archive, settings)
    n = 12
    script = READER.format(src=SRC, root=str(archive.root), index=str(tmp_path / "index"), n=n)
    reader = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    src = _src(tmp_path)
    keys = list(archive.dossier_keys())
    for i in range(n):
        archive.add_document(keys[i % 4], src, doc_type="repair_record", text_pages=[f"并发写入第{i}份"])
        api.refresh(archive, settings)
        time.sleep(0.02)
    out, _ = reader.communicate(timeout=90)
    assert reader.returncode == 0
    seen = [int(x) for x in out.strip().split(",")]
    assert seen[-1] == n
    assert seen == sorted(seen)  # a reader never sees a commit undone or half applied
