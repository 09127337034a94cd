"""Many threads on one search engine: searches while another thread files documents and refreshes the index.

The engine is the process's shared one (one per archive root and index
folder), as in the web application: 8 threads search at once while a writer
files documents, refreshes the index after each and once rebuilds it (a
generation switch under the readers' feet).  No search may fail, none may see
a document disappear again, and the last ones see everything filed.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from docgen.archive import Archive
from docgen.search import api, engines
from docgen.search.settings import SearchSettings
from docgen.search.types import Query

READERS = 8
FILED = 12


def _src(tmp_path: Path) -> Path:
    src = tmp_path / "scan.pdf"
    src.write_bytes(b"%PDF-1.4\n% test\n")
    return src


@pytest.mark.parametrize("engine", ["whoosh", "scan"])
def test_eight_threads_search_while_another_files_and_refreshes(archive: Archive, tmp_path: Path, engine: str) -> None:
    settings = SearchSettings(engine=engine, index_path=tmp_path / "index", procs=1)
    api.rebuild(archive, settings)
    src = _src(tmp_path)
    keys = list(archive.dossier_keys())
    done = threading.Event()
    errors: list[BaseException] = []
    seen: list[list[int]] = [[] for _ in range(READERS)]

    def writer() -> None:
        try:
            for i in range(FILED):
                archive.add_document(keys[i % len(keys)], src, doc_type="repair_record",
                                     text_pages=[f"并发归档第{i}号 卫生间漏水 业主张伟"])
                api.refresh(archive, settings)
                if i == FILED // 2:
                    api.rebuild(archive, settings)  # a new generation while readers search
        except BaseException as exc:
            errors.append(exc)
        finally:
            done.set()

    def reader(n: int) -> None:
        queries = ["并发归档", "卫生间 漏水", "张伟 OR 李娜", "并发归档 NOT 阳台"]
        k = 0
        try:
            while True:
                finished = done.is_set()
                text = queries[k % len(queries)]
                r = api.search(archive, settings, Query(text=text, kind="document", limit=50, highlight=k % 2 == 0))
                if text == "并发归档":
                    seen[n].append(r.total)
                    assert all(h.doc_id for h in r.hits) and len(r.hits) == r.total
                k += 1
                if finished:
                    break
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=reader, args=(n,)) for n in range(READERS)]
    threads.append(threading.Thread(target=writer))
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert not errors, errors[0]
    for totals in seen:
        assert totals == sorted(totals), totals  # a filed document never disappears again
    final = api.search(archive, settings, Query(text="并发归档", kind="document", limit=50))
    assert final.total == FILED
    engines.release(api.open_index(settings, archive))


def _open_index_files(index: Path) -> int:
    """How many file descriptors of this process point into the index folder."""
    count = 0
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        count += target.startswith(str(index))
    return count


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs /proc")
def test_one_engine_per_index_and_replaced_engines_are_closed(archive: Archive, tmp_path: Path) -> None:
    settings = SearchSettings(index_path=tmp_path / "index", procs=1)
    api.rebuild(archive, settings)
    api.search(archive, settings, Query(text="张伟"))
    first = api.open_index(settings, archive)
    held = _open_index_files(tmp_path / "index")
    assert held > 0
    for _ in range(5):  # every command, request or test opens the archive anew: still one engine
        again = Archive.open(archive.root)
        api.search(again, settings, Query(text="张伟"))
        assert api.open_index(settings, again) is first
    assert _open_index_files(tmp_path / "index") == held
    other = settings.model_copy(update={"auto_update": False})  # other settings for the same index: replaced
    api.search(archive, other, Query(text="张伟"))
    assert api.open_index(other, archive) is not first
    assert _open_index_files(tmp_path / "index") == held  # the replaced engine closed its files
    engines.release(api.open_index(other, archive))
    assert _open_index_files(tmp_path / "index") == 0


def test_the_cache_closes_the_engines_it_drops(tmp_path: Path) -> None:
    from conftest import build_small_archive

    cache = engines.EngineCache(keep=2)
    made = []
    for i in range(3):
        archive = build_small_archive(tmp_path / f"a{i}" / "records")
        settings = SearchSettings(engine="scan", index_path=tmp_path / f"a{i}" / "index")
        engine = cache.get(archive, settings)
        engine.search(Query(text="张伟"))
        assert engine.has_index()
        made.append(engine)
    assert len(cache) == 2 and not made[0].has_index()  # the oldest was dropped and closed
    assert made[1].has_index() and made[2].has_index()
    cache.close_all()
    assert not made[2].has_index() and len(cache) == 0
