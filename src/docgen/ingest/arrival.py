"""Is a file in the inbox whole yet?  A cheap look at its first and last bytes.

Stability (size and mtime unchanged for a while) cannot tell a finished scan
from one whose writer paused: a scanner on a Windows share opens the file,
appends a page, closes it, and comes back a second later.  The formats we take
say where they end, so before a file is claimed the watcher also asks whether
its end is there:

* PDF: ``%%EOF`` in the last 1024 bytes (where every PDF reader looks for it);
* JPEG: the end-of-image marker ``FF D9`` (zero padding after it allowed);
* PNG: the ``IEND`` chunk;
* BMP and WebP: the file size written in their header;
* TIFF: every IFD of the chain lies inside the file.

``None`` means the format does not say (the watcher then relies on stability).
Two reads of at most 1 KB per candidate: nothing on the hot path of filing.
"""

from __future__ import annotations

import struct
from pathlib import Path

TAIL = 1024


def head_kind(head: bytes) -> str | None:
    """The format a file's first bytes announce: pdf, jpeg, png, tiff, bmp, webp, or None."""
    if b"%PDF-" in head[:1024]:
        return "pdf"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith((b"II*\x00", b"MM\x00*")):
        return "tiff"
    if head.startswith(b"BM"):
        return "bmp"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    return None


def read_head(path: Path, n: int = 1024) -> bytes:
    """The first ``n`` bytes of a file (empty if it cannot be read)."""
    try:
        with open(path, "rb") as fh:
            return fh.read(n)
    except OSError:
        return b""


def looks_complete(path: Path, *, kind: str | None = None) -> bool | None:
    """True if the file's format says it ends here, False if its end is missing, None if the format does not say.

    ``kind`` gives the format when the file is the continuation of a fragment
    claimed earlier (its own first bytes are from the middle of the file).
    """
    try:
        with open(path, "rb") as fh:
            head = fh.read(TAIL)
            fh.seek(0, 2)
            size = fh.tell()
            fh.seek(max(0, size - TAIL))
            tail = fh.read(TAIL)
            own = head_kind(head)
            if kind is None:
                kind = own
            if kind is None or size == 0:
                return None
            if kind == "pdf":
                return b"%%EOF" in tail
            if kind == "jpeg":
                return tail.rstrip(b"\x00").endswith(b"\xff\xd9")
            if kind == "png":
                return b"IEND" in tail[-16:]
            if own is None:
                return None  # the header sizes below are of the first fragment, not this one
            if kind == "bmp":
                return len(head) >= 6 and struct.unpack("<I", head[2:6])[0] <= size
            if kind == "webp":
                return len(head) >= 8 and struct.unpack("<I", head[4:8])[0] + 8 <= size
            return _tiff_complete(fh, head, size)
    except (OSError, struct.error):
        return None


def _tiff_complete(fh: object, head: bytes, size: int) -> bool:
    """Every IFD of a TIFF's chain starts and ends inside the file (at most 10,000 pages followed)."""
    import io

    assert isinstance(fh, io.BufferedReader)
    order = "<" if head.startswith(b"II") else ">"
    offset = struct.unpack(order + "I", head[4:8])[0]
    seen: set[int] = set()
    while offset and len(seen) < 10_000:
        if offset in seen or offset + 2 > size:
            return offset in seen  # a loop is corrupt, not unfinished: let the pipeline say so
        seen.add(offset)
        fh.seek(offset)
        count = struct.unpack(order + "H", fh.read(2))[0]
        end = offset + 2 + 12 * count + 4
        if end > size:
            return False
        fh.seek(end - 4)
        offset = struct.unpack(order + "I", fh.read(4))[0]
    return True
