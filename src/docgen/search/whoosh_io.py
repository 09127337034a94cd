"""Open whoosh's segment files without copying them: one fix to whoosh 2.7.4's compound storage.

whoosh keeps each segment in one compound file, memory-mapped, and hands
each sub-file out as a ``BufferFile`` over a view of the map.  But
``BufferFile.__init__`` wraps that view in ``io.BytesIO(view)``, which
copies the whole sub-file, terms dictionary and all, at every open, even
though almost every read of those files is a random ``get(position,
length)`` straight from the view.  On a 20,000-household index (195,000
entries) opening the readers of every segment copied about 200 MB and took
0.2 s; an index update opens them four or five times (the index's state, the
existing entries of each changed owner, the writer's own reader) and the
server's searcher once more after it: over a second of CPU for one saved
case, during which, on two cores, everything else waited (docs/web.md, "With
writes").

:class:`ViewBufferFile` streams from the view itself (:class:`ViewStream`:
``read``, ``seek``, ``readline`` copy only the bytes asked for): the same
bytes, the same behaviour, no copy of the file.  whoosh is no longer
maintained (2.7.4, 2016), so the fix lives here; :func:`install` is
idempotent and is called by :mod:`docgen.search.schema`, which every whoosh
user imports.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from whoosh.filedb import compound, structfile


class ViewStream:
    """A read-only file over a buffer (a memoryview of the map) that copies only what is read."""

    def __init__(self, buf: Any) -> None:
        self._view = memoryview(buf).cast("B")
        self._pos = 0
        self.closed = False

    def read(self, size: int = -1) -> bytes:
        """Up to ``size`` bytes from the position (all the rest for a negative size)."""
        end = len(self._view) if size is None or size < 0 else min(len(self._view), self._pos + size)
        out = self._view[self._pos:end].tobytes()
        self._pos = max(self._pos, end)
        return out

    def readinto(self, target: Any) -> int:
        """Fill ``target`` from the position; the number of bytes copied."""
        dest = memoryview(target).cast("B")
        n = max(0, min(len(dest), len(self._view) - self._pos))
        dest[:n] = self._view[self._pos:self._pos + n]
        self._pos += n
        return n

    def readline(self, size: int = -1) -> bytes:
        """Up to and including the next newline (or ``size`` bytes)."""
        limit = len(self._view) if size is None or size < 0 else min(len(self._view), self._pos + size)
        i = self._pos
        view = self._view
        while i < limit:
            if view[i] == 10:
                i += 1
                break
            i += 1
        out = view[self._pos:i].tobytes()
        self._pos = i
        return out

    def __iter__(self) -> Iterator[bytes]:
        while True:
            line = self.readline()
            if not line:
                return
            yield line

    def seek(self, offset: int, whence: int = 0) -> int:
        """Move the position (from the start, the current position or the end)."""
        if whence not in (0, 1, 2):
            raise ValueError(f"invalid whence ({whence}, should be 0, 1 or 2)")
        if whence == 0 and offset < 0:  # as BytesIO: a damaged offset must fail, not read from the start
            raise ValueError(f"negative seek value {offset}")
        base = (0, self._pos, len(self._view))[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def tell(self) -> int:
        """The position."""
        return self._pos

    def close(self) -> None:
        """Release the view (the map stays with whoosh's storage)."""
        self.closed = True
        self._view.release()


class ViewBufferFile(structfile.BufferFile):
    """whoosh's ``BufferFile`` streaming from its buffer instead of from a ``BytesIO`` copy of it."""

    def __init__(self, buf: Any, name: str | None = None, onclose: Any = None) -> None:
        self._buf = buf
        self._name = name
        self.file = ViewStream(buf)
        self.onclose = onclose
        self.is_real = False
        self.is_closed = False

    def subset(self, position: int, length: int, name: str | None = None) -> ViewBufferFile:
        """A sub-file over a copy of that range (as whoosh makes it)."""
        return ViewBufferFile(self.get(position, length), name=name or self._name)


def install() -> None:
    """Make whoosh's compound storage hand out :class:`ViewBufferFile` (once per process)."""
    compound.BufferFile = ViewBufferFile
