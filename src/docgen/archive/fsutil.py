"""Small filesystem primitives: atomic writes, fsync, hashing and safe joins.

An atomic write is: write a temporary file in the same directory, flush and
fsync it, ``os.replace`` it over the target, then fsync the directory so that
the rename itself survives a power cut.  A reader therefore sees either the
old file or the new one, never half of either.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import stat
from pathlib import Path

from docgen.errors import UnsafePathError, quote_input

CHUNK = 1 << 20


def fsync_dir(path: Path) -> None:
    """Flush a directory entry to disk (a no-op where the OS cannot open directories)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def write_fsync(path: Path, data: bytes, *, sync: bool = True) -> None:
    """Write ``data`` to a new file at ``path`` and fsync it (no rename; ``sync=False`` skips the fsync)."""
    with open(path, "wb") as fh:
        fh.write(data)
        if sync:
            fh.flush()
            os.fsync(fh.fileno())


def atomic_write(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` atomically (temp file, fsync, rename, fsync dir)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        write_fsync(tmp, data)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    fsync_dir(path.parent)


def copy_fsync(src: Path, dst: Path, *, sync: bool = True) -> str:
    """Copy ``src`` to ``dst`` (a new file), fsync it, and return the sha256 of what was copied.

    ``sync=False`` skips the fsync (a bulk transaction syncs everything once before its commit point).
    """
    digest = hashlib.sha256()
    with open(src, "rb") as fin, open(dst, "wb") as fout:
        while chunk := fin.read(CHUNK):
            digest.update(chunk)
            fout.write(chunk)
        if sync:
            fout.flush()
            os.fsync(fout.fileno())
    return digest.hexdigest()


def sync_all() -> bool:
    """Flush every file system's dirty data to disk (``sync(2)``); False where the OS has no ``os.sync``."""
    sync = getattr(os, "sync", None)
    if sync is None:
        return False
    sync()
    return True


def sha256_file(path: Path) -> str:
    """Return the sha256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def sha256_bytes(data: bytes) -> str:
    """Return the sha256 of bytes."""
    return hashlib.sha256(data).hexdigest()


@functools.lru_cache(maxsize=32)
def _resolved_root(root: str) -> str:
    """The real path of an archive root (cached: resolving it on every join was most of a bulk import's time)."""
    return os.path.realpath(root)


def safe_join(root: Path, relative: str) -> Path:
    """Join ``relative`` under ``root``; raise UnsafePathError if it would leave ``root``.

    Rejects absolute paths, drive letters, ``..`` components and backslashes
    before touching the filesystem, then checks the resolved path as well (a
    symlink inside the archive must not lead outside it either).
    """
    rel = relative.replace("\\", "/")
    parts = [p for p in rel.split("/") if p not in ("", ".")]
    if rel.startswith("/") or (len(rel) > 1 and rel[1] == ":") or ".." in parts or not parts:
        raise UnsafePathError(f"路径{quote_input(relative)}不在档案库内(不允许绝对路径或 ..)")
    candidate = root.joinpath(*parts)
    if _leaves_root(_resolved_root(os.path.abspath(root)), parts):
        raise UnsafePathError(f"路径{quote_input(relative)}指向档案库之外")
    return candidate


def _leaves_root(real_root: str, parts: list[str]) -> bool:
    """Tell whether ``real_root/parts…`` resolves outside ``real_root`` (through a symlink).

    Walks down from the (already resolved) root with one ``lstat`` per
    component, resolving fully only where a component is a symlink; below the
    first component that does not exist nothing can redirect the path.  Same
    answer as comparing ``realpath``, at a third of the cost (it was most of a
    bulk import's time).
    """
    current = real_root
    for i, part in enumerate(parts):
        current = os.path.join(current, part)
        try:
            st = os.lstat(current)
        except OSError:
            return False
        if stat.S_ISLNK(st.st_mode):
            real = os.path.realpath(os.path.join(current, *parts[i + 1 :]))
            return real != real_root and not real.startswith(real_root.rstrip(os.sep) + os.sep)
    return False
