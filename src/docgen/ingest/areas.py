"""The inbox's work areas: processing (claimed), failed, review and duplicates.

Layout (inside the inbox by default, so that every move is a rename on one
filesystem, atomic even on a network share)::

    inbox/
      scan-0001.pdf                  waiting (and in sub-folders, e.g. 扫描仪1/, unless recursive = false)
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

**Names** are kept as the bytes they arrived with (see ``names.py``), except
where a name plus what docgen adds to it (``.reason.txt``, the review prefix,
a temporary suffix) would pass the filesystem's limit: then the name in the
area is shortened with a hash and the original is written beside it (in the
reason or review sidecar; in the processing area in a ``.name-…`` file that
moves with it), so the document's metadata still gets the original name.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import re
import shutil
import socket
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout

from docgen.archive.fsutil import atomic_write, fsync_dir
from docgen.errors import ConfigError
from docgen.ingest.names import display_name, fit_name, name_bytes, name_limit, text_name

REASON_SUFFIX = ".reason.txt"
REVIEW_SUFFIX = ".review.json"
TEMP_SUFFIXES = (".tmp", ".temp", ".part", ".partial", ".crdownload", ".download", ".swp", ".lock", "~")
SYSTEM_FILES = ("thumbs.db", "desktop.ini", ".ds_store")
# folders that shares, NAS boxes and operating systems keep for themselves
SYSTEM_FOLDERS = ("$recycle.bin", "system volume information", "@eadir", "#recycle", "#snapshot", "lost+found")
# what docgen may add to a name in an area: ".review.json", and atomic_write's "." + ".<pid>.tmp" (pid ≤ 7 digits)
NAME_RESERVE = len(REVIEW_SUFFIX) + 1 + len(".4194304.tmp")
NAME_FILE = ".name-"  # in a worker's folder: the original name of a claimed file stored under another name
ORIGINAL_LINE = "原文件名:"
_ORIGINAL_RE = re.compile("^" + ORIGINAL_LINE + "(.*)$", re.M)
# leftovers in a worker's folder that are copies of data kept elsewhere, removed when a dead worker is adopted
_SCRATCH_PREFIXES = (".part-", ".copying-", ".joining-")


def skip_reason(name: str) -> str | None:
    """Why a file of this name is never ingested (hidden, temporary, a sidecar, a system file), or None."""
    lower = name.lower()
    if lower.endswith((REASON_SUFFIX, REVIEW_SUFFIX)):
        return "docgen 写的说明文件(.reason.txt / .review.json),不归档"
    if lower in SYSTEM_FILES:
        return "系统文件(Thumbs.db、desktop.ini 等),不归档"
    if name.startswith(("~$", "~")) or lower.endswith(TEMP_SUFFIXES):
        return "临时文件(扫描仪、下载或 Office 写文件时用的名字),改成正式名字后才会处理"
    if name.startswith("."):
        return "隐藏文件(名字以 . 开头),不归档;要归档请改名"
    return None


def is_ignored(name: str) -> bool:
    """Hidden, temporary and sidecar files are never ingested."""
    return skip_reason(name) is not None


def folder_skip_reason(name: str) -> str | None:
    """Why a sub-folder of the inbox is not entered (hidden or kept by the system), or None."""
    if name.startswith(".") or name.lower() in SYSTEM_FOLDERS:
        return "隐藏或系统文件夹,其中的文件不处理;要归档请移到别的文件夹"
    return None


@dataclass(frozen=True, slots=True)
class Skipped:
    """A file (or folder) found where arrivals are looked for and deliberately not taken, and why."""

    path: Path
    reason: str


def list_arrivals(root: Path, *, exclude: Iterable[Path] = (), recursive: bool = True) -> tuple[list[Path], list[Skipped]]:
    """Every file under ``root`` that is a candidate for ingest, and every one that is not, with its reason.

    Sub-folders are entered when ``recursive`` (otherwise their files are
    listed as skipped); ``exclude`` (the work areas, the log file) is passed
    over without a word; hidden and system folders and links to folders are named, not entered.
    Symlinked files are candidates: the pipeline refuses them with a reason
    beside them, where people see it.
    """
    excluded = {os.path.normcase(os.path.abspath(p)) for p in exclude}
    files: list[Path] = []
    skipped: list[Skipped] = []

    def walk(folder: Path, depth: int) -> None:
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except (FileNotFoundError, NotADirectoryError):
            return
        except OSError as exc:
            skipped.append(Skipped(folder, f"文件夹无法读取({exc.strerror or exc})"))
            return
        for entry in entries:
            path = folder / entry.name
            if os.path.normcase(os.path.abspath(path)) in excluded:
                continue
            try:
                is_dir = entry.is_dir(follow_symlinks=False)
                is_link = entry.is_symlink()
            except OSError:
                continue
            if is_dir:
                why = folder_skip_reason(entry.name)
                if why is not None:
                    skipped.append(Skipped(path, why))
                elif recursive and depth < 32:
                    walk(path, depth + 1)
                elif not recursive:
                    sub, _ = list_arrivals(path, exclude=exclude, recursive=True)
                    skipped.extend(Skipped(p, "在子文件夹中,未处理(配置 [ingest] recursive = false)") for p in sub)
                continue
            if is_link:
                try:
                    target_is_dir = entry.is_dir()
                except OSError:
                    target_is_dir = False
                if target_is_dir:
                    skipped.append(Skipped(path, "指向别处文件夹的链接,出于安全原因不进入"))
                    continue
            why = skip_reason(entry.name)
            if why is None and not is_link and not entry.is_file(follow_symlinks=False):  # d_type: no extra stat
                why = "不是普通文件(管道、设备等),不归档"
            if why is not None:
                skipped.append(Skipped(path, why))
            else:
                files.append(path)

    walk(root, 0)
    return files, skipped


def safe_name(name: str) -> str:
    """The last path component of ``name``, never hidden or empty: names come from files and sidecars
    a user can edit, so ``../../x`` must not move a file out of its area."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1].strip()
    if base in ("", ".", "..") or base.startswith("."):
        base = "file" + (base if base.startswith(".") and base not in (".", "..") else "")
    return base


def unique_path(folder: Path, name: str) -> Path:
    """``folder/name``, or ``name (2).ext`` and so on if taken; shortened (``~hash``) where a sidecar would not fit."""
    name = safe_name(name)
    limit = max(32, name_limit(folder if folder.exists() else folder.parent) - NAME_RESERVE)
    candidate = folder / fit_name(name, limit)
    stem, suffix = Path(name).stem, Path(name).suffix
    n = 2
    while candidate.exists() or candidate.with_name(candidate.name + REASON_SUFFIX).exists():
        candidate = folder / fit_name(f"{stem} ({n}){suffix}", limit)
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
            os.link(path, candidate, follow_symlinks=False)  # a link set aside stays a link, never its target's inode
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

    @property
    def logs(self) -> Path:
        """The watcher's log (by default)."""
        return self.root / "logs"

    @property
    def uploads(self) -> Path:
        """Files uploaded through the web application while they are written (claimed from here once complete)."""
        return self.root / ".uploads"

    def folders(self) -> list[Path]:
        """Every folder of the work areas (never looked into for arrivals)."""
        return [self.processing, self.failed, self.review, self.duplicates, self.logs, self.uploads]

    def ensure(self) -> None:
        """Create the folders."""
        for folder in (self.processing, self.failed, self.review, self.duplicates):
            folder.mkdir(parents=True, exist_ok=True)

    # -- putting aside ---------------------------------------------------------
    def put_aside(self, path: Path, folder: Path, reason: str, *, name: str | None = None) -> Path:
        """Move a file into ``folder`` and write its reason beside it; return the new path.

        The file keeps its name's bytes; where the name had to change (taken,
        too long) or is not UTF-8, the reason names the original readably.
        """
        folder.mkdir(parents=True, exist_ok=True)
        original = name or path.name
        target = move_no_clobber(path, folder, original)
        stamp = dt.datetime.now().astimezone().isoformat(timespec="seconds")
        lines = [reason, ""]
        if target.name != original or text_name(original) != original:
            lines.append(ORIGINAL_LINE + display_name(original))
        lines.append(f"时间:{stamp}")
        body = "\n".join(lines) + "\n"
        atomic_write(target.with_name(target.name + REASON_SUFFIX), body.encode("utf-8", "backslashreplace"))
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
        body = {**sidecar, "id": review_id, "file": text_name(target.name), "queued_at": dt.datetime.now().astimezone().isoformat(timespec="seconds")}
        data = json.dumps(body, ensure_ascii=False, indent=2).encode("utf-8", "backslashreplace")
        atomic_write(target.with_name(target.name + REVIEW_SUFFIX), data)
        return review_id

    def failed_files(self) -> list[Path]:
        """Files in the failed area (sidecars excluded), oldest first."""
        return _files(self.failed)

    def original_of(self, path: Path) -> str | None:
        """The original name recorded in the reason beside a put-aside file, when it differs from the file's."""
        match = _ORIGINAL_RE.search(self.reason_of(path))
        return match.group(1).strip() if match else None

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
            data["path"] = str(sidecar.with_name(sidecar.name[: -len(REVIEW_SUFFIX)]))  # the real bytes (not text)
            out.append(data)
        return out


def _files(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    entries = [p for p in folder.iterdir() if (p.is_symlink() or p.is_file()) and not is_ignored(p.name)]
    return sorted(entries, key=lambda p: (p.lstat().st_mtime, p.name))


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
        # the areas' clock (a share's server stamps mtimes) against ours, read off the folder just made
        self.skew = time.time() - os.stat(self.dir).st_mtime

    def silent_for(self, st: os.stat_result) -> float:
        """Seconds since a file in the areas' filesystem last changed, by its mtime in our clock (never negative)."""
        return max(0.0, time.time() - self.skew - st.st_mtime)

    def claim(self, path: Path, *, original: str | None = None) -> Path:
        """Atomically move a waiting file into this worker's folder; FileNotFoundError if someone was faster.

        ``original``: the name it arrived with, if not its current one (a
        shortened name in the failed area).  Whenever the name in our folder
        differs from it, the original is written beside it first, so that a
        kill at any moment leaves it known.
        """
        original = original or path.name
        target = unique_path(self.dir, original)
        note = self._remember(target, original)
        try:
            os.rename(path, target)
        except BaseException:
            if note is not None:
                note.unlink(missing_ok=True)
            raise
        return target

    def claim_copy(self, path: Path) -> Path:
        """Copy a file from elsewhere into this worker's folder (the original stays where it is)."""
        target = unique_path(self.dir, path.name)
        note = self._remember(target, path.name)
        tmp = self.dir / f".copying-{uuid.uuid4().hex[:12]}"  # fixed length: a 250-byte name must fit too
        try:
            shutil.copyfile(path, tmp, follow_symlinks=False)
            os.replace(tmp, target)
        except BaseException:
            tmp.unlink(missing_ok=True)
            if note is not None:
                note.unlink(missing_ok=True)
            raise
        return target

    # -- original names of claimed files -----------------------------------------
    @staticmethod
    def _name_file(path: Path) -> Path:
        return path.with_name(NAME_FILE + hashlib.sha256(name_bytes(path.name)).hexdigest()[:16])

    def _remember(self, target: Path, original: str) -> Path | None:
        """Write ``original`` beside ``target`` (before the file arrives there) when the names differ."""
        if target.name == original:
            return None
        note = self._name_file(target)
        note.write_bytes(name_bytes(original))
        return note

    def original_name(self, path: Path) -> str:
        """The name a claimed file arrived with (its own name unless a ``.name-`` file says otherwise)."""
        try:
            return os.fsdecode(self._name_file(path).read_bytes())
        except (FileNotFoundError, NotADirectoryError):
            return path.name

    def forget(self, path: Path) -> None:
        """Drop the record of a claimed file's original name (the file has left the folder)."""
        with contextlib.suppress(OSError):
            self._name_file(path).unlink()

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
        files = sorted(other.iterdir())
        for f in files:
            if f.name.startswith(NAME_FILE):
                continue  # moves with its file, below
            if f.name.endswith(".copying") or f.name.startswith(_SCRATCH_PREFIXES):
                # an unfinished copy (its original is untouched), a part of a batch scan
                # (re-cut from the batch file, which stays until every part is done), or
                # a join of two fragments not yet renamed into place (both are still there)
                f.unlink(missing_ok=True)
                continue
            original = self.original_name(f)
            with contextlib.suppress(FileNotFoundError):
                target = unique_path(self.dir, original)
                self._remember(target, original)
                os.rename(f, target)
                taken.append(target)
            self.forget(f)
        for f in files:
            if f.name.startswith(NAME_FILE):
                f.unlink(missing_ok=True)  # a name whose file never arrived (killed before the claim's rename)
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
