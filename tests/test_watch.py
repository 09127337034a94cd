"""The real watcher (watchdog observers in a thread) on temp folders, with short stability delays."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from docgen.archive import Archive
from docgen.archive.fsutil import sha256_file
from docgen.demo.scans import text_pdf
from docgen.ingest.areas import Areas
from docgen.ingest.pipeline import Pipeline
from docgen.ingest.settings import IngestSettings
from docgen.ingest.watcher import Watcher

ROOT = Path(__file__).resolve().parents[1]


def make_pdf(folder: Path, name: str, n: int = 0) -> Path:
    """A text PDF identified by its file name (no OCR needed)."""
    units = ["03-2-1203", "03-2-1204", "05-1-0502", "05-1-0601"]
    unit = units[n % 4]
    path = folder / (name or f"HXSZ_{unit}_repair_record_{n}.pdf")
    return text_pdf([["维修记录", f"第 {n} 号维修记录:厨房水龙头漏水,已更换阀芯。"]], path)


def archived(archive: Archive) -> list:
    return [d for dossier in archive.iter_dossiers() for d in dossier.documents]


class Running:
    """A watcher in a thread; stop() joins it."""

    def __init__(self, archive: Archive, inbox: Path, **kw) -> None:
        settings = IngestSettings(inbox=inbox, stable_seconds=kw.pop("stable", 0.4), rescan_interval=kw.pop("rescan", 1.0),
                                  poll_interval=0.2, **kw.pop("settings", {}))
        self.pipeline = Pipeline(Archive.open(archive.root, actor="watch"), settings)
        self.results: list = []
        self.skipped: list = []
        self.watcher = Watcher(self.pipeline, on_result=self.results.append, on_skip=self.skipped.append, **kw)
        self.stop_event = threading.Event()
        self.thread = threading.Thread(target=self.watcher.run, args=(self.stop_event,), daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.stop_event.set()
        self.thread.join(timeout=10)
        self.pipeline.close()


def wait_for(predicate, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError("timed out")


@pytest.fixture
def inbox(tmp_path: Path) -> Path:
    folder = tmp_path / "inbox"
    folder.mkdir()
    return folder


@pytest.mark.parametrize("poll", [False, True], ids=["native", "polling"])
def test_slow_write_is_filed_whole_once(archive, inbox, tmp_path, poll):
    source = make_pdf(tmp_path, "HXSZ_03-2-1203_handover_record.pdf")
    data = source.read_bytes()
    running = Running(archive, inbox, poll=poll, stable=0.6)
    try:
        target = inbox / source.name
        with open(target, "wb") as fh:  # a scanner writing in bursts
            for i in range(0, len(data), max(1, len(data) // 4)):
                fh.write(data[i : i + max(1, len(data) // 4)])
                fh.flush()
                time.sleep(0.25)
        wait_for(lambda: len(running.results) == 1)
    finally:
        running.stop()
    assert running.results[0].status == "filed", running.results[0].message
    [doc] = archived(archive)
    assert doc.sha256 == sha256_file(source)


def test_mv_cp_and_write_then_rename(archive, inbox, tmp_path):
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    running = Running(archive, inbox)
    try:
        moved = make_pdf(outside, "", 1)
        os.rename(moved, inbox / moved.name)  # mv within the filesystem
        copied = make_pdf(outside, "", 2)
        shutil.copy(copied, inbox / copied.name)  # cp
        tmp = inbox / "upload.pdf.part"
        shutil.copy(make_pdf(outside, "", 3), tmp)  # write under a temporary name ...
        os.rename(tmp, inbox / "HXSZ_05-1-0601_repair_record_3.pdf")  # ... then rename
        (inbox / ".hidden.pdf").write_bytes(make_pdf(outside, "", 5).read_bytes())
        (inbox / "~$lock.pdf").write_bytes(b"x")
        wait_for(lambda: len(running.results) == 3)
        time.sleep(1.2)  # a rescan later: the ignored files are still ignored
    finally:
        running.stop()
    assert sorted(r.status for r in running.results) == ["filed"] * 3
    assert len(archived(archive)) == 3
    assert sorted(p.name for p in inbox.iterdir() if p.is_file()) == [".hidden.pdf", "~$lock.pdf"]


def test_bad_files_do_not_stop_the_watcher(archive, inbox, tmp_path):
    running = Running(archive, inbox)
    try:
        (inbox / "empty.pdf").write_bytes(b"")
        (inbox / "photo.heic").write_bytes(b"\x00\x00\x00\x18ftypheic")
        wait_for(lambda: len(running.results) == 2)
        make_pdf(inbox, "", 2)
        wait_for(lambda: len(running.results) == 3)
    finally:
        running.stop()
    assert [r.status for r in running.results].count("failed") == 2
    assert running.results[-1].status == "filed"
    areas = Areas(inbox)
    assert {p.name for p in areas.failed_files()} == {"empty.pdf", "photo.heic"}
    assert "不支持的文件类型" in areas.reason_of(areas.failed / "photo.heic")


def test_rescan_catches_files_without_events(archive, inbox):
    """Polling disabled and no observer: only the periodic rescan sees the file (like a missed event)."""
    pipeline = Pipeline(archive, IngestSettings(inbox=inbox, stable_seconds=0.2, rescan_interval=0.3))
    watcher = Watcher(pipeline)
    try:
        watcher.tick()
        make_pdf(inbox, "", 1)
        deadline = time.monotonic() + 10
        results: list = []
        while not results and time.monotonic() < deadline:
            results = watcher.tick()
            time.sleep(0.1)
    finally:
        pipeline.close()
    assert [r.status for r in results] == ["filed"]


def test_stability_rule_with_injected_clock(archive, inbox):
    now = [100.0]
    pipeline = Pipeline(archive, IngestSettings(inbox=inbox, stable_seconds=5, rescan_interval=1000))
    watcher = Watcher(pipeline, clock=lambda: now[0])
    try:
        path = make_pdf(inbox, "", 0)
        watcher.hint(path)
        assert watcher.tick() == [] and watcher.waiting == 1  # first seen
        now[0] += 4.9
        assert watcher.tick() == []  # not yet stable
        with open(path, "ab") as fh:  # it grows: the clock restarts
            fh.write(b"\n%more")
        now[0] += 0.2
        assert watcher.tick() == []
        now[0] += 4.9
        assert watcher.tick() == []
        now[0] += 0.2
        results = watcher.tick()
    finally:
        pipeline.close()
    assert [r.status for r in results] == ["filed"]


def test_two_watchers_never_ingest_a_file_twice(archive, inbox, tmp_path):
    staging = tmp_path / "staging"
    staging.mkdir()
    files = [make_pdf(staging, "", n) for n in range(12)]
    first, second = Running(archive, inbox, stable=0.2), Running(archive, inbox, stable=0.2)
    try:
        for f in files:
            os.rename(f, inbox / f.name)
        wait_for(lambda: len(first.results) + len(second.results) >= 12, timeout=30)
        time.sleep(0.5)
    finally:
        first.stop()
        second.stop()
    results = first.results + second.results
    assert len(results) == 12 and all(r.status == "filed" for r in results), [r.message for r in results]
    names = sorted(d.original_name for d in archived(archive))
    assert names == sorted(f.name for f in files)


def test_watcher_resumes_processing_area_on_start(archive, inbox):
    dead = Areas(inbox).processing / "host-424242-ffffff"
    dead.mkdir(parents=True)
    make_pdf(dead, "", 3)
    pipeline = Pipeline(archive, IngestSettings(inbox=inbox, stable_seconds=0.1))
    results: list = []
    try:
        Watcher(pipeline, on_result=results.append).run(once=True)
    finally:
        pipeline.close()
    assert [r.status for r in results] == ["filed"]
    assert not dead.exists()


_CHILD = """
import sys
from pathlib import Path
from docgen.archive import Archive
from docgen.ingest.pipeline import Pipeline
from docgen.ingest.settings import IngestSettings
from docgen.ingest.watcher import Watcher
archive = Archive.open(Path(sys.argv[1]), actor="child")
pipeline = Pipeline(archive, IngestSettings(inbox=Path(sys.argv[2]), stable_seconds=0.0))
print("ready", flush=True)
Watcher(pipeline, on_result=lambda r: print(r.status, r.name, flush=True)).run(once=True, tick_seconds=0.01)
"""

# the same, pausing after each filing: reading (OCR included) happens before the first part is filed
# (the pipeline reads a whole file, then files its parts), so the kill between parts needs a pause there
_CHILD_BETWEEN_PARTS = _CHILD.replace(
    "stable_seconds=0.0))", "stable_seconds=0.0), hooks=[lambda r: __import__('time').sleep(60)])")


@pytest.mark.slow
def test_killed_mid_ingest_then_restarted_loses_and_doubles_nothing(archive, inbox, tmp_path):
    staging = tmp_path / "staging"
    staging.mkdir()
    files = [make_pdf(staging, "", n) for n in range(40)]
    hashes = {sha256_file(f) for f in files}
    for f in files:
        os.rename(f, inbox / f.name)
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    for delay in (0.6, 0.7, 0.8):  # kill at different points of the run
        child = subprocess.Popen([sys.executable, "-c", _CHILD, str(archive.root), str(inbox)], env=env,
                                 stdout=subprocess.PIPE, text=True)
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "ready"
        time.sleep(delay)
        child.send_signal(signal.SIGKILL)
        child.wait()
        # at any moment: every file is archived, waiting in the inbox, or claimed in processing, exactly once
        waiting = [p for p in inbox.iterdir() if p.is_file()] + list(Areas(inbox).processing.rglob("*.pdf"))
        seen = [d.sha256 for d in archived(archive)] + [sha256_file(p) for p in waiting]
        assert sorted(set(seen) & hashes) == sorted(hashes)
    # restart: finishes everything, with no file filed twice
    pipeline = Pipeline(Archive.open(archive.root), IngestSettings(inbox=inbox, stable_seconds=0.0))
    try:
        Watcher(pipeline).run(once=True, tick_seconds=0.01)
    finally:
        pipeline.close()
    docs = archived(archive)
    assert sorted(d.sha256 for d in docs) == sorted(hashes)
    assert not [p for p in inbox.iterdir() if p.is_file()]
    assert not any(Areas(inbox).duplicates.iterdir()) and not any(Areas(inbox).failed.iterdir())
    assert archive.journal.verify() == []


def test_closed_or_renamed_file_skips_the_long_stability_delay(archive, inbox, tmp_path):
    """inotify's close-after-write and a rename into the inbox mean the file is complete."""
    running = Running(archive, inbox, stable=60)
    try:
        wait_for(lambda: running.watcher.observer is not None and running.watcher.observer.is_alive())
        shutil.copy(make_pdf(tmp_path, "", 1), inbox / "HXSZ_03-2-1204_repair_record_1.pdf")  # cp: closed event
        staged = inbox / "incoming.tmp"
        shutil.copy(make_pdf(tmp_path, "", 2), staged)
        os.rename(staged, inbox / "HXSZ_05-1-0502_repair_record_2.pdf")  # write-then-rename: moved event
        try:
            wait_for(lambda: len(running.results) == 2, timeout=10)
        except AssertionError:
            raise AssertionError(f"{running.results} {running.watcher._tracks}") from None
    finally:
        running.stop()
    assert [r.status for r in running.results] == ["filed", "filed"]


@pytest.mark.slow
def test_batch_scan_killed_between_parts_is_finished_without_doubles(archive, inbox, tmp_path):
    """Part 1 (text) is filed, the process dies before part 2 is filed; the restart files part 2 only."""
    from pypdf import PdfWriter

    from docgen.demo.scans import page_image, save_scan
    from docgen.ingest.cover import cover_sheet

    cover_sheet(archive, "HXSZ/03-2-1203", "handover_record", tmp_path / "c1.pdf")
    text_pdf([["房屋交接书", "第一户 张伟 已验收"]], tmp_path / "p1.pdf")
    cover_sheet(archive, "HXSZ/05-1-0601", "key_receipt", tmp_path / "c2.pdf")
    save_scan([page_image(["钥匙签收表", "第二户 刘洋 已领取钥匙"], dpi=150)], tmp_path / "p2.pdf", dpi=150)
    writer = PdfWriter()
    for name in ("c1", "p1", "c2", "p2"):
        writer.append(str(tmp_path / f"{name}.pdf"))
    with open(inbox / "stack.pdf", "wb") as fh:
        writer.write(fh)
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    child = subprocess.Popen([sys.executable, "-c", _CHILD_BETWEEN_PARTS, str(archive.root), str(inbox)], env=env,
                             stdout=subprocess.PIPE, text=True)
    wait_for(lambda: archive.dossier("HXSZ/03-2-1203").documents != [], timeout=30)
    child.send_signal(signal.SIGKILL)
    child.wait()
    assert archive.dossier("HXSZ/05-1-0601").documents == []  # killed between the two parts' filings
    pipeline = Pipeline(Archive.open(archive.root), IngestSettings(inbox=inbox, stable_seconds=0.0, ocr_dpi=150))
    results: list = []
    try:
        Watcher(pipeline, on_result=results.append).run(once=True, tick_seconds=0.01)
    finally:
        pipeline.close()
    [batch] = results
    assert batch.status == "split" and [p.status for p in batch.parts] == ["recovered", "filed"]
    assert len(archive.dossier("HXSZ/03-2-1203").documents) == 1
    assert [d.type for d in archive.dossier("HXSZ/05-1-0601").documents] == ["key_receipt"]
    assert not list(Areas(inbox).processing.rglob("*.pdf")) and not any(inbox.glob("*.pdf"))


# -- arrivals written in bursts (issue 10, item 3) ------------------------------------------------
def _burst_writer(path: Path, data: bytes, bursts: int, pause: float) -> threading.Thread:
    """A scanner on a share: open, append a chunk, close, wait; ``bursts`` times."""
    size = -(-len(data) // bursts)

    def write() -> None:
        for i in range(0, len(data), size):
            with open(path, "ab") as fh:
                fh.write(data[i : i + size])
            time.sleep(pause)

    thread = threading.Thread(target=write, daemon=True)
    thread.start()
    return thread


def _everything_once(archive: Archive, inbox: Path, data: bytes) -> None:
    """The arrival is archived whole, once, and no fragment of it is anywhere else."""
    docs = archived(archive)
    assert [d.sha256 for d in docs] == [sha256_file(Path(_doc_path(archive, docs[0])))]
    assert sha256_file(Path(_doc_path(archive, docs[0]))) == __import__("hashlib").sha256(data).hexdigest()
    areas = Areas(inbox)
    leftovers = [p for folder in (areas.failed, areas.review, areas.duplicates) for p in folder.iterdir()]
    assert leftovers == [] and not [p for p in inbox.iterdir() if p.is_file()]
    assert not [p for p in areas.processing.rglob("*") if p.is_file() and not p.name.endswith(".lock")]


def _doc_path(archive: Archive, doc) -> Path:
    owner, found = archive.find_document(doc.id)
    return archive.document_path(owner, found)


def test_scanner_writing_in_bursts_is_claimed_once_whole(archive, inbox, tmp_path):
    """Each close of a burst used to claim the file 0.1 s later: ten fragments failed, the scan existed nowhere."""
    data = make_pdf(tmp_path, "HXSZ_03-2-1203_handover_record.pdf").read_bytes()
    running = Running(archive, inbox, stable=0.5)
    try:
        wait_for(lambda: running.watcher.observer is not None)
        writer = _burst_writer(inbox / "HXSZ_03-2-1203_handover_record.pdf", data, bursts=6, pause=0.3)
        writer.join()
        wait_for(lambda: any(r.status != "waiting" for r in running.results))
        time.sleep(0.3)
    finally:
        running.stop()
    assert [r.status for r in running.results] == ["filed"], [(r.status, r.message) for r in running.results]
    _everything_once(archive, inbox, data)


def test_fragment_claimed_between_slow_bursts_is_joined_with_its_continuation(archive, inbox, tmp_path):
    """Pauses longer than every wait: each claimed fragment is held and joined to the next, never failed."""
    data = make_pdf(tmp_path, "HXSZ_03-2-1204_handover_record.pdf", 1).read_bytes()
    # claimed 0.6 s after a burst, held 0.6 s more: a burst every 0.9 s arrives while its head is held
    running = Running(archive, inbox, stable=0.1, settings={"incomplete_seconds": 0.6})
    try:
        wait_for(lambda: running.watcher.observer is not None)
        _burst_writer(inbox / "HXSZ_03-2-1204_handover_record.pdf", data, bursts=3, pause=0.9).join()
        wait_for(lambda: any(r.status != "waiting" for r in running.results))
        time.sleep(0.3)
    finally:
        running.stop()
    statuses = [r.status for r in running.results]
    assert statuses[-1] == "filed" and set(statuses[:-1]) == {"waiting"}, [(r.status, r.message) for r in running.results]
    assert "不完整" in running.results[0].message
    _everything_once(archive, inbox, data)


def test_incomplete_file_whose_writer_died_is_failed_after_the_wait(archive, inbox, tmp_path):
    data = make_pdf(tmp_path, "HXSZ_03-2-1203_handover_record.pdf").read_bytes()
    (inbox / "cut.pdf").write_bytes(data[: len(data) // 2])
    pipeline = Pipeline(archive, IngestSettings(inbox=inbox, stable_seconds=0.05, incomplete_seconds=0.2))
    results: list = []
    try:
        Watcher(pipeline, on_result=results.append).run(once=True)
    finally:
        pipeline.close()
    assert [r.status for r in results] == ["waiting", "failed"], [r.message for r in results]
    [failed] = Areas(inbox).failed_files()
    assert failed.read_bytes() == data[: len(data) // 2] and "损坏" in Areas(inbox).reason_of(failed)


def test_incomplete_file_left_long_ago_is_failed_at_once(archive, inbox, tmp_path):
    """Its mtime says no writer has touched it for an hour (the watcher was down): no wait, no hold."""
    data = make_pdf(tmp_path, "HXSZ_03-2-1203_handover_record.pdf").read_bytes()
    cut = inbox / "cut.pdf"
    cut.write_bytes(data[: len(data) // 2])
    hour_ago = time.time() - 3600
    os.utime(cut, (hour_ago, hour_ago))
    pipeline = Pipeline(archive, IngestSettings(inbox=inbox, stable_seconds=0.05, incomplete_seconds=60))
    results: list = []
    try:
        Watcher(pipeline, on_result=results.append).run(once=True)
    finally:
        pipeline.close()
    assert [r.status for r in results] == ["failed"]  # not held for a continuation first


@pytest.mark.slow
def test_file_written_to_while_it_is_processed_is_put_back_and_filed_whole(archive, inbox, tmp_path):
    """A writer that keeps the file open: bytes written after the claim go back to the inbox with the file."""
    pages = [["维修记录", f"第 {i} 页:厨房水龙头漏水,已更换阀芯。"] for i in range(150)]
    data = text_pdf(pages, tmp_path / "long.pdf").read_bytes()
    target = inbox / "HXSZ_03-2-1203_repair_record.pdf"
    running = Running(archive, inbox, stable=0.3)
    try:
        wait_for(lambda: running.watcher.observer is not None)
        fh = open(target, "wb")  # noqa: SIM115 - held open across the claim, like a scanner
        fh.write(data)
        fh.flush()
        wait_for(lambda: not target.exists(), timeout=10)  # claimed while still open
        tail = b"\n% page 151 follows\n%%EOF\n"
        fh.write(tail)
        fh.close()
        wait_for(lambda: any(r.status == "filed" for r in running.results), timeout=30)
    finally:
        running.stop()
    statuses = [r.status for r in running.results]
    assert statuses == ["waiting", "filed"], [(r.status, r.message) for r in running.results]
    _everything_once(archive, inbox, data + tail)


def test_a_file_written_again_after_a_close_loses_the_short_settle(archive, inbox):
    """A writer that closes and comes back is a burst writer: the close no longer means complete."""
    now = [100.0]
    pipeline = Pipeline(archive, IngestSettings(inbox=inbox, stable_seconds=5, closed_settle_seconds=0.1,
                                                rescan_interval=1000))
    watcher = Watcher(pipeline, clock=lambda: now[0])
    try:
        path = make_pdf(inbox, "", 0)
        watcher.hint(path, complete=True)
        assert watcher.tick() == []  # first seen, closed
        with open(path, "ab") as fh:  # the writer comes back (a PDF incremental update keeps %%EOF at the end)
            fh.write(b"\n% more\n%%EOF\n")
        watcher.hint(path, complete=True)
        now[0] += 0.05
        assert watcher.tick() == []
        now[0] += 0.2
        assert watcher.tick() == []  # the 0.1 s settle would have claimed it here
        now[0] += 5
        results = watcher.tick()
    finally:
        pipeline.close()
    assert [r.status for r in results] == ["filed"]


# -- sub-folders (issue 10, item 4) ------------------------------------------------------------------
def test_scans_in_sub_folders_are_watched_and_work_areas_are_not(archive, inbox, tmp_path):
    areas = Areas(inbox)
    running = Running(archive, inbox, stable=0.2)
    try:
        wait_for(lambda: running.watcher.observer is not None)
        make_pdf(inbox, "", 0)
        scanner = inbox / "扫描仪1" / "2026-06"
        scanner.mkdir(parents=True)  # created after the start: its files send events the watcher must see
        make_pdf(scanner, "", 1)
        staged = make_pdf(tmp_path, "", 2)
        moved_in = tmp_path / "扫描仪2"
        moved_in.mkdir()
        os.rename(staged, moved_in / staged.name)
        os.rename(moved_in, inbox / "扫描仪2")  # a whole folder moved in
        (inbox / "扫描仪1" / ".~scan.pdf").write_bytes(b"x")
        wait_for(lambda: len(running.results) >= 3)
        time.sleep(0.5)
    finally:
        running.stop()
    assert sorted(r.status for r in running.results) == ["filed"] * 3, [r.message for r in running.results]
    assert len(archived(archive)) == 3
    assert [r.name for r in running.skipped] == [os.path.join("扫描仪1", ".~scan.pdf")]
    assert "隐藏文件" in running.skipped[0].message
    assert areas.failed_files() == [] and not any(areas.duplicates.iterdir())  # work areas never re-ingested


def test_watch_once_processes_sub_folders_and_names_what_it_skips(archive, inbox, tmp_path):
    from click.testing import CliRunner

    from docgen.cli.main import cli

    (inbox / "扫描仪1").mkdir()
    make_pdf(inbox / "扫描仪1", "", 0)
    make_pdf(inbox / "扫描仪1", "", 1)
    (inbox / ".DS_Store").write_bytes(b"x")
    (inbox / "@eaDir").mkdir()
    (inbox / "@eaDir" / "thumb.pdf").write_bytes(b"x")
    config = tmp_path / "docgen.toml"
    config.write_text(f'[archive]\npath = "{archive.root}"\n\n[ingest]\ninbox = "{inbox}"\nstable_seconds = 0.1\n', "utf-8")
    result = CliRunner().invoke(cli, ["--config", str(config), "watch", "--once"])
    assert result.exit_code == 0, result.output
    assert "已处理 2 个文件,跳过 2 个" in result.output
    assert ".DS_Store" in result.output and "@eaDir" in result.output and "系统" in result.output
    assert len(archived(archive)) == 2 and not any((inbox / "扫描仪1").iterdir())


def test_recursive_false_leaves_sub_folders_and_says_so(archive, inbox):
    (inbox / "扫描仪1").mkdir()
    make_pdf(inbox / "扫描仪1", "", 0)
    make_pdf(inbox, "", 1)
    pipeline = Pipeline(archive, IngestSettings(inbox=inbox, stable_seconds=0.05, recursive=False))
    results: list = []
    skipped: list = []
    try:
        Watcher(pipeline, on_result=results.append, on_skip=skipped.append).run(once=True)
    finally:
        pipeline.close()
    assert [r.status for r in results] == ["filed"]
    assert len(skipped) == 1 and "recursive = false" in skipped[0].message
    assert skipped[0].name == os.path.join("扫描仪1", "HXSZ_03-2-1203_repair_record_0.pdf")


def test_links_dropped_in_the_inbox_are_failed_with_a_reason_not_followed(archive, inbox, tmp_path):
    secret = make_pdf(tmp_path, "secret.pdf", 0)
    os.symlink(secret, inbox / "HXSZ_03-2-1203_handover_record.pdf")
    os.symlink(tmp_path / "nowhere.pdf", inbox / "dangling.pdf")
    pipeline = Pipeline(archive, IngestSettings(inbox=inbox, stable_seconds=0.05))
    results: list = []
    try:
        Watcher(pipeline, on_result=results.append).run(once=True)
    finally:
        pipeline.close()
    assert sorted(r.status for r in results) == ["failed", "failed"]
    assert all("符号链接" in r.message for r in results)
    assert archived(archive) == [] and secret.is_file()
    failed = Areas(inbox).failed_files()
    assert sorted(p.name for p in failed) == ["HXSZ_03-2-1203_handover_record.pdf", "dangling.pdf"]
    assert all(p.is_symlink() for p in failed)  # set aside as links, never as a hard link to the target's bytes
    assert os.stat(secret).st_nlink == 1
