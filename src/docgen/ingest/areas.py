"""The inbox's work areas: processing (claimed), failed, review and duplicates.

Layout (inside the inbox by default, so that every move is a rename on one
filesystem, atomic even on a network share)::

    inbox/
      scan-0001.pdf                  waiting (the watcher reads only this level)
      .processing/<worker>/...       claimed by a running ingest (one folder per process)
      .processing/<worker>.lock      held while that process lives
      failed/name.pdf                could not be ingested ...
      failed/name.pdf.reason.txt     ... and why, in Chinese
      review/<id>__name.pdf          identified with too little confidence ...
      review/<id>__name.pdf.review.json   ... its candidates, text and pages
      duplicates/name.pdf (+ .reason.txt) byte-identical to an archived file

**Claiming** is ``os.rename`` from the inbox into the worker's folder: of two
watchers racing for one file exactly one rename succeeds; the other gets
``FileNotFoundError`` and moves on.  A process killed mid-ingest leaves its
files in its folder with its lock released (the OS drops ``flock`` locks with
the process); the next worker to start adopts them.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import shutil
import socket
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout

from docgen.archive.fsutil import atomic_write, fsync_dir
from docgen.errors import ConfigError

REASON_SUFFIX = ".reason.txt"
REVIEW_SUFFIX = ".review.json"
TEMP_SUFFIXES = (".tmp", ".temp", ".part", ".partial", ".crdownload", ".download", ".swp", ".lock", "~")


def is_ignored(name: str) -> bool:
    """Hidden, temporary and sidecar files are never ingested."""
    lower = name.lower()
    return (
        name.startswith((".", "~$", "~"))
        or lower.endswith(TEMP_SUFFIXES)
        or lower.endswith((REASON_SUFFIX, REVIEW_SUFFIX))
        or lower in ("thumbs.db", "desktop.ini")
    )


def safe_name(name: str) -> str:
    """The last path component of ``name``, never hidden or empty: names come from files and sidecars
    a user can edit, so ``../../x`` must not move a file out of its area."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1].strip()
    if base in ("", ".", "..") or base.startswith("."):
        base = "file" + (base if base.startswith(".") and base not in (".", "..") else "")
    return base


def unique_path(folder: Path, name: str) -> Path:
    """``folder/name``, or ``name (2).ext`` and so on if taken."""
    name = safe_name(name)
    candidate = folder / name
    stem, suffix = Path(name).stem, Path(name).suffix
    n = 2
    while candidate.exists() or candidate.with_name(candidate.name + REASON_SUFFIX).exists():
        candidate = folder / f"{stem} ({n}){suffix}"
        n += 1
    return candidate


def move_no_clobber(path: Path, folder: Path, name: str) -> Path:
    """Move ``path`` to a free name in ``folder`` without ever replacing a file another process put there.

    A hard link fails if the name is taken, so two watchers setting aside two
    different scans of the same name cannot overwrite each other; where the
    filesystem has no hard links (some network shares) the check-then-rename
    fallback is the best available.
    """
    first = unique_path(folder, name)
    stem, suffix = Path(first.name).stem, Path(first.name).suffix
    candidate, n = first, 2
    while True:
        try:
            os.link(path, candidate)
        except FileExistsError:
            candidate = unique_path(folder, f"{stem} ({n}){suffix}")
            n += 1
            continue
        except OSError:
            os.replace(path, candidate)
            return candidate
        os.unlink(path)
        return candidate


@dataclass(frozen=True, slots=True)
class Areas:
    """The work areas of one inbox."""

    root: Path

    @property
    def processing(self) -> Path:
        """Claimed files, one sub-folder per running process."""
        return self.root / ".processing"

    @property
    def failed(self) -> Path:
        """Files that could not be ingested, each with a reason beside it."""
        return self.root / "failed"

    @property
    def review(self) -> Path:
        """Files waiting for a person to choose their dossier and type."""
        return self.root / "review"

    @property
    def duplicates(self) -> Path:
        """Files byte-identical to one already archived."""
        return self.root / "duplicates"

    def ensure(self) -> None:
        """Create the folders."""
        for folder in (self.processing, self.failed, self.review, self.duplicates):
            folder.mkdir(parents=True, exist_ok=True)

    # -- putting aside ---------------------------------------------------------
    def put_aside(self, path: Path, folder: Path, reason: str, *, name: str | None = None) -> Path:
        """Move a file into ``folder`` and write its reason beside it; return the new path."""
        folder.mkdir(parents=True, exist_ok=True)
        target = move_no_clobber(path, folder, name or path.name)
        stamp = dt.datetime.now().astimezone().isoformat(timespec="seconds")
        atomic_write(target.with_name(target.name + REASON_SUFFIX), f"{reason}\n\n时间:{stamp}\n".encode())
        fsync_dir(folder)
        return target

    def fail(self, path: Path, reason: str, *, name: str | None = None) -> Path:
        """Move a file into the failed area with its reason (retry with ``docgen ingest --retry``)."""
        text = f"无法归档:{reason}\n处理办法:修正问题后运行 docgen ingest --retry 重试,或把文件放回收件箱。"
        return self.put_aside(path, self.failed, text, name=name)

    def duplicate(self, path: Path, reason: str, *, name: str | None = None) -> Path:
        """Move a file into the duplicates area with the archived twin named."""
        return self.put_aside(path, self.duplicates, f"重复文件,未再次归档:{reason}", name=name)

    def to_review(self, path: Path, sidecar: dict[str, Any], *, name: str | None = None) -> str:
        """Move a file into the review area with its candidates; return the review id."""
        self.review.mkdir(parents=True, exist_ok=True)
        review_id = sidecar["sha256"][:10]
        target = move_no_clobber(path, self.review, f"{review_id}__{safe_name(name or path.name)}")
        body = {**sidecar, "id": review_id, "file": target.name, "queued_at": dt.datetime.now().astimezone().isoformat(timespec="seconds")}
        atomic_write(target.with_name(target.name + REVIEW_SUFFIX), json.dumps(body, ensure_ascii=False, indent=2).encode())
        return review_id

    def failed_files(self) -> list[Path]:
        """Files in the failed area (sidecars excluded), oldest first."""
        return _files(self.failed)

    def reason_of(self, path: Path) -> str:
        """The reason written beside a failed or duplicate file."""
        try:
            return path.with_name(path.name + REASON_SUFFIX).read_text("utf-8").strip()
        except FileNotFoundError:
            return ""

    def reviews(self) -> list[dict[str, Any]]:
        """The review queue: each sidecar with the file's path."""
        out: list[dict[str, Any]] = []
        for sidecar in sorted(self.review.glob("*" + REVIEW_SUFFIX)) if self.review.is_dir() else []:
            try:
                data = json.loads(sidecar.read_text("utf-8"))
            except (OSError, ValueError):
                continue
            data["path"] = str(sidecar.with_name(sidecar.name[: -len(REVIEW_SUFFIX)]))
            out.append(data)
        return out


def _files(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    entries = [p for p in folder.iterdir() if p.is_file() and not is_ignored(p.name)]
    return sorted(entries, key=lambda p: (p.stat().st_mtime, p.name))


class Worker:
    """One process's claim on the processing area: its own folder, held by a lock while it lives."""

    def __init__(self, areas: Areas, inbox: Path | None = None) -> None:
        areas.ensure()
        if inbox is not None and inbox.exists() and os.stat(inbox).st_dev != os.stat(areas.processing).st_dev:
            raise ConfigError(
                f"[ingest] areas({areas.root})与收件箱({inbox})不在同一文件系统上,无法以原子改名认领文件;"
                "请把 areas 设在收件箱所在的磁盘或共享上(默认即收件箱内)"
            )
        self.areas = areas
        self.id = f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        self.dir = areas.processing / self.id
        self._lock = FileLock(str(areas.processing / f"{self.id}.lock"))
        self._lock.acquire(timeout=0)
        self.dir.mkdir()

    def claim(self, path: Path) -> Path:
        """Atomically move a waiting file into this worker's folder; FileNotFoundError if someone was faster."""
        target = unique_path(self.dir, path.name)
        os.rename(path, target)
        return target

    def claim_copy(self, path: Path) -> Path:
        """Copy a file from elsewhere into this worker's folder (the original stays where it is)."""
        target = unique_path(self.dir, path.name)
        tmp = self.dir / f".{target.name}.copying"
        shutil.copyfile(path, tmp)
        os.replace(tmp, target)
        return target

    def adopt_orphans(self) -> list[Path]:
        """Take over files left by processes that died mid-ingest; return them (now in our folder)."""
        adopted: list[Path] = []
        for lock_path in sorted(self.areas.processing.glob("*.lock")):
            other = lock_path.with_suffix("")
            if other == self.dir:
                continue
            lock = FileLock(str(lock_path))
            try:
                lock.acquire(timeout=0)
            except Timeout:
                continue  # that process is alive
            try:
                if other.is_dir():
                    adopted += self._take_over(other)
                with contextlib.suppress(OSError):
                    lock_path.unlink()
            finally:
                lock.release()
        # folders whose lock file is gone (killed between creating the lock and the folder) are adopted too
        for other in sorted(p for p in self.areas.processing.iterdir() if p.is_dir() and p != self.dir):
            if not other.with_name(other.name + ".lock").exists():
                adopted += self._take_over(other)
        return adopted

    def _take_over(self, other: Path) -> list[Path]:
        """Move a dead worker's files into ours (renames: two adopters never share a file)."""
        taken: list[Path] = []
        for f in sorted(other.iterdir()):
            if f.name.endswith(".copying") or f.name.startswith(".part-"):
                # an unfinished copy (its original is untouched) or a part of a batch scan
                # (re-cut from the batch file, which stays until every part is done)
                f.unlink(missing_ok=True)
                continue
            with contextlib.suppress(FileNotFoundError):
                target = unique_path(self.dir, f.name)
                os.rename(f, target)
                taken.append(target)
        with contextlib.suppress(OSError):
            other.rmdir()
        return taken

    def close(self) -> None:
        """Release the claim (the folder is removed when empty)."""
        with contextlib.suppress(OSError):
            self.dir.rmdir()
        lock_file = Path(self._lock.lock_file)
        self._lock.release()
        if not self.dir.exists():
            with contextlib.suppress(OSError):
                lock_file.unlink()
