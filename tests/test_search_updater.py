"""The index update process: the server's index updates in a child process, which may die and is replaced.

Real archive, real whoosh index, a real spawned child process; the
server-side engine (this process) sees what the child committed.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import build_small_archive
from docgen.archive import Archive
from docgen.errors import DocgenError
from docgen.search.api import open_index, rebuild
from docgen.search.journalscan import end_position
from docgen.search.query import Query
from docgen.search.settings import SearchSettings
from docgen.search.updater import UpdaterProcess

KEY = "HXSZ/03-2-1203"


@pytest.fixture(scope="module")
def indexed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Archive, SearchSettings]:
    root = tmp_path_factory.mktemp("updater")
    archive = build_small_archive(root / "records")
    settings = SearchSettings(index_path=root / "index", procs=1)
    rebuild(archive, settings)
    return archive, settings


@pytest.fixture()
def updater(indexed: tuple[Archive, SearchSettings]) -> Iterator[UpdaterProcess]:
    archive, settings = indexed
    process = UpdaterProcess(archive.root, settings)
    try:
        yield process
    finally:
        process.close()


def _end(archive: Archive) -> int:
    return end_position(archive.journal).seq


def _doc_ids(archive: Archive, settings: SearchSettings, text: str) -> set[str]:
    return {h.doc_id for h in open_index(settings, archive).search(Query(text=text), catch_up=False).hits}


def test_the_child_indexes_a_write_and_this_process_finds_it(indexed: tuple[Archive, SearchSettings],
                                                             updater: UpdaterProcess) -> None:
    archive, settings = indexed
    assert updater.pid is None  # started on the first update, not before
    case = archive.add_case(KEY, "repairs", {"reported_on": "2026-11-10", "component": "墙面渗漏",
                                             "description": "外墙真石漆起皮子一"})
    assert case.id not in _doc_ids(archive, settings, "真石漆")
    seq = updater.update(timeout=5)
    assert seq == _end(archive)
    assert updater.pid is not None and updater.pid != os.getpid()
    assert case.id in _doc_ids(archive, settings, "真石漆")  # this process's searcher reopened the child's commit


def test_a_killed_child_is_replaced_and_nothing_is_lost(indexed: tuple[Archive, SearchSettings],
                                                        updater: UpdaterProcess) -> None:
    archive, settings = indexed
    updater.update(timeout=5)
    first = updater.pid
    assert first is not None
    os.kill(first, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while updater.pid is not None and time.monotonic() < deadline:
        time.sleep(0.02)
    case = archive.add_case(KEY, "repairs", {"reported_on": "2026-11-11", "component": "门窗",
                                             "description": "纱窗滑轨断裂子二"})
    seq = updater.update(timeout=5)  # the dead child is noticed, a new one takes the update
    assert seq == _end(archive)
    assert updater.starts == 2 and updater.pid not in (None, first)
    assert case.id in _doc_ids(archive, settings, "滑轨断裂")


def test_another_writer_holding_the_index_makes_it_wait_then_say_busy(indexed: tuple[Archive, SearchSettings],
                                                                      updater: UpdaterProcess) -> None:
    archive, settings = indexed
    folder = open_index(settings, archive).folder  # type: ignore[attr-defined]
    held, go = threading.Event(), threading.Event()

    def hold() -> None:
        with folder.writing(10):
            held.set()
            go.wait(30)

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert held.wait(10)
        archive.add_case(KEY, "repairs", {"reported_on": "2026-11-12", "component": "门窗",
                                          "description": "门吸脱落子三"})
        assert updater.update(timeout=0.3) is None  # the lock is across processes: the child saw it held
    finally:
        go.set()
        holder.join()
    assert updater.update(timeout=5) == _end(archive)


def test_an_update_that_fails_says_why_and_the_child_serves_on(indexed: tuple[Archive, SearchSettings],
                                                              tmp_path: Path) -> None:
    archive, settings = indexed
    (tmp_path / "index").write_text("不是文件夹", "utf-8")  # the index folder is a file: the update cannot write it
    broken = UpdaterProcess(archive.root, settings.model_copy(update={"index_path": tmp_path / "index"}))
    try:
        with pytest.raises(DocgenError) as first:
            broken.update(timeout=1)
        assert "Traceback" not in str(first.value) and str(first.value)
        with pytest.raises(DocgenError):
            broken.update(timeout=1)
        assert broken.starts == 1  # a failed update is an answer, not a dead child
    finally:
        broken.close()


def test_after_close_updates_do_nothing_and_the_child_is_gone(indexed: tuple[Archive, SearchSettings]) -> None:
    archive, settings = indexed
    process = UpdaterProcess(archive.root, settings)
    process.update(timeout=5)
    pid = process.pid
    assert pid is not None
    process.close()
    assert process.pid is None and process.update(timeout=5) is None and process.starts == 1
    with pytest.raises(ProcessLookupError):
        for _ in range(100):
            os.kill(pid, 0)
            time.sleep(0.05)


def _alive(pid: int) -> bool:
    """True while ``pid`` runs (a zombie waiting for a parent to reap it counts as ended)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except OSError:
        return False


def test_the_child_ends_when_the_server_is_killed(indexed: tuple[Archive, SearchSettings], tmp_path: Path) -> None:
    """A server killed with SIGKILL cannot tell its child to stop: the child sees its pipe close and ends."""
    import subprocess
    import sys

    archive, settings = indexed
    script = tmp_path / "server.py"
    script.write_text(
        "import sys, time\n"
        "from pathlib import Path\n"
        "from docgen.search.settings import SearchSettings\n"
        "from docgen.search.updater import UpdaterProcess\n"
        "if __name__ == '__main__':\n"
        "    u = UpdaterProcess(Path(sys.argv[1]), SearchSettings.model_validate_json(sys.argv[2]))\n"
        "    u.update(timeout=5)\n"
        "    print(u.pid, flush=True)\n"
        "    time.sleep(120)\n", "utf-8")
    server = subprocess.Popen([sys.executable, str(script), str(archive.root), settings.model_dump_json()],
                              stdout=subprocess.PIPE, text=True)
    try:
        line = server.stdout.readline() if server.stdout else ""
        child = int(line)
        assert _alive(child)
    finally:
        server.kill()
        server.wait(10)
    deadline = time.monotonic() + 15
    while _alive(child):
        assert time.monotonic() < deadline, "the update process outlived its killed server"
        time.sleep(0.05)


def test_a_rebuild_with_several_processes_works_in_the_child(indexed: tuple[Archive, SearchSettings],
                                                             tmp_path: Path) -> None:
    """``[search] procs = 2`` (the default): the rebuild's workers are the child's children.

    Before: the child was daemonic, and whoosh's MpWriter may not start
    processes from one ("daemonic processes are not allowed to have
    children"), so no rebuild ever succeeded in the update process.
    """
    archive, settings = indexed
    two = settings.model_copy(update={"index_path": tmp_path / "index", "procs": 2})
    process = UpdaterProcess(archive.root, two)
    try:
        seq = process.rebuild("测试:两个进程重建")
        assert seq == _end(archive)
        assert open_index(two, archive).status().usable
    finally:
        process.close()


def test_a_lock_held_elsewhere_comes_back_with_its_brief_message(indexed: tuple[Archive, SearchSettings]) -> None:
    """A LockTimeout in the child is one in the server, with the brief (no holder details) for a page."""
    from docgen.errors import LockTimeout

    archive, settings = indexed
    folder = open_index(settings, archive).folder  # type: ignore[attr-defined]
    process = UpdaterProcess(archive.root, settings.model_copy(update={"lock_timeout": 0.3}))
    try:
        with folder.writing(10), pytest.raises(LockTimeout) as err:
            process.rebuild("测试")
        assert "进程号" in str(err.value) and "进程号" not in err.value.brief and "请稍后再试" in err.value.brief
    finally:
        process.close()


def test_an_update_on_damaged_postings_rebuilds_instead_of_failing_forever(tmp_path: Path) -> None:
    """A write after the index's files were damaged: the update reads damaged data, so it rebuilds.

    Before: every update failed on it (UnpicklingError, "Block tag error"),
    so nothing written afterwards ever became searchable.
    """
    from conftest import damage_postings
    from docgen.search.api import update

    archive = build_small_archive(tmp_path / "records")
    settings = SearchSettings(index_path=tmp_path / "index", procs=1)
    for i in range(30):
        archive.add_case(KEY, "repairs", {"reported_on": "2026-11-10", "component": "门窗",
                                          "description": f"铝合金窗框锈蚀第{i}处" * 5})
    rebuild(archive, settings)
    damage_postings(settings, archive)
    archive.add_case(KEY, "repairs", {"reported_on": "2026-11-11", "component": "门窗", "description": "窗框锈蚀新报"})
    stats = update(archive, settings)
    assert stats.mode == "rebuild" and "损坏" in stats.reason, stats
    assert open_index(settings, archive).search(Query(text="锈蚀新报")).total == 1
