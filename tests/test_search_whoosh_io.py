"""Segment files are read from whoosh's memory map without copying them (docgen.search.whoosh_io).

whoosh 2.7.4 copied every sub-file of a segment into a ``BytesIO`` at each
open: over a second per index update on 20,000 households.  The stream that
replaces it must read exactly what ``BytesIO`` reads; and a real index opened
through whoosh must use it.
"""

from __future__ import annotations

import io
import pickle
import random
from array import array
from pathlib import Path

from docgen.archive import Archive
from docgen.search import api
from docgen.search.query import Query
from docgen.search.settings import SearchSettings
from docgen.search.whoosh_io import ViewBufferFile, ViewStream


def _pair(data: bytes) -> tuple[ViewStream, io.BytesIO]:
    return ViewStream(memoryview(data)), io.BytesIO(data)


def test_the_view_stream_reads_what_bytesio_reads() -> None:
    rng = random.Random(5)
    data = bytes(rng.randrange(256) for _ in range(5000)) + b"line one\nline two\n\nlast"
    view, ref = _pair(data)
    for _ in range(400):
        op = rng.choice(("read", "readline", "seek", "seek_cur", "seek_end", "readinto", "tell"))
        n = rng.randrange(-1, 300)
        if op == "read":
            assert view.read(n) == ref.read(n)
        elif op == "readline":
            assert view.readline(n) == ref.readline(n)
        elif op == "seek":
            pos = rng.randrange(0, len(data) + 10)
            assert view.seek(pos) == ref.seek(pos)
        elif op == "seek_cur":
            step = rng.randrange(0, 50)
            assert view.seek(step, 1) == ref.seek(step, 1)
        elif op == "seek_end":
            back = -rng.randrange(0, 40)
            assert view.seek(back, 2) == ref.seek(back, 2)
        elif op == "readinto":
            a, b = bytearray(max(n, 0)), bytearray(max(n, 0))
            assert view.readinto(a) == ref.readinto(b) and a == b
        assert view.tell() == ref.tell()
    view.seek(0), ref.seek(0)
    assert list(view) == list(ref)


def test_pickles_and_arrays_load_from_the_view_as_from_bytesio() -> None:
    """whoosh reads its headers with ``pickle.load`` and its number tables with ``array.fromfile``."""
    from whoosh.filedb.structfile import BufferFile

    blob = (pickle.dumps({"a": [1, 2, 3], "术语": "渗漏"}) + array("i", range(50)).tobytes()
            + bytes([0x85, 0x03]) + pickle.dumps((4, 5)))
    view, ref = ViewBufferFile(memoryview(blob), name="t"), BufferFile(memoryview(blob), name="t")
    for f in (view, ref):
        assert f.read_pickle() == {"a": [1, 2, 3], "术语": "渗漏"}
    assert list(view.read_array("i", 50)) == list(ref.read_array("i", 50))
    assert view.read_varint() == ref.read_varint()
    assert view.read_pickle() == ref.read_pickle() == (4, 5)
    assert view.get(0, 2) == blob[:2] and view.get_int(5) == ref.get_int(5)
    sub = view.subset(3, 4)
    assert sub.read(4) == blob[3:7]
    view.close()
    assert view.is_closed


def test_a_real_index_is_read_through_the_view(archive: Archive, tmp_path: Path) -> None:
    """Open an index as docgen does; its segments' files stream from the map, and searches find the same."""
    settings = SearchSettings(index_path=tmp_path / "index", procs=1)
    api.rebuild(archive, settings)
    engine = api.open_index(settings, archive)
    results = engine.search(Query(text="张伟", limit=50))
    assert results.total > 0
    searcher = engine._open()  # type: ignore[attr-defined]
    kinds = set()
    for reader, _offset in searcher.reader().leaf_readers():
        terms = reader._terms  # the segment's terms dictionary: the biggest file a reader opens
        kinds.add(type(terms._dbfile.file))  # type: ignore[attr-defined]
    assert kinds == {ViewStream}, kinds  # before: io.BytesIO, a copy of each file at each open
