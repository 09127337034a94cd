"""Paper in, as one user: uploads into the ingest pipeline, the review queue, the failed area, recent results.

The web application's upload, review and failed-file pages call these; the
work itself is the ingest pipeline's (:mod:`docgen.ingest.pipeline`), the same
one the inbox watcher and ``docgen ingest`` run, so an uploaded scan is
identified, OCR'd, filed, reviewed or failed exactly like one dropped into the
inbox, and the archive's journal names the user who uploaded or filed it.

- **Uploads** are written to the inbox's work area ``.uploads/`` (the inbox's
  own filesystem, so the pipeline claims them by an atomic rename, as it
  claims inbox files), under a name made from the browser's name: only its
  last component, no control characters, shortened to fit.  A file is written
  under a temporary name and renamed when complete; an upload interrupted by a
  server stop is found at the next start (:func:`recover_uploads`) and put in
  the inbox, where the watcher files it: nothing uploaded is lost.
- **Scope**: a scan in the review queue or the failed area does not belong to
  a project yet.  A user limited to projects sees a queued scan only when its
  best candidate is in one of their projects (and only those candidates), and
  files it only into their projects; the failed area, whose files belong to
  nobody yet, is for users who see every project.
- **Results** of every file (uploaded, or filed by the watcher of ``docgen
  serve`` or ``docgen watch``) are appended to ``logs/results.jsonl`` in the
  work areas, read back by the ingest page (:class:`ResultLog`).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import shutil
import threading
import time
import unicodedata
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from docgen import privacy
from docgen.errors import DocgenError, NotFoundError, UsageError, show_input
from docgen.ingest.areas import Areas, move_no_clobber, safe_name
from docgen.ingest.names import display_name, fit_name, name_bytes, safe_text, text_name
from docgen.ingest.settings import IngestSettings
from docgen.session import Session

WRITING = ".writing"
RESULTS_FILE = "results.jsonl"
RESULTS_MAX_BYTES = 4 * 1024 * 1024
UPLOAD_NAME_BYTES = 180
STALE_UPLOAD_SECONDS = 3600.0
CHUNK = 1024 * 1024
DISCARDED = ".discarded"
"""Inside the failed area: discarded files (journaled; kept, never deleted, until someone empties the folder)."""

STATUS_LABELS = {"filed": "已归档", "recovered": "已恢复", "split": "已拆分", "duplicate": "重复", "review": "待确认",
                 "failed": "失败", "waiting": "等待", "skipped": "跳过"}
METHOD_LABELS = {"qr": "二维码", "filename": "文件名", "content": "内容匹配", "direct": "指定", "manual": "人工",
                 "none": "未识别"}


# -- names and staging --------------------------------------------------------------------
def upload_name(raw: str | None) -> str:
    """A file name from a browser made safe to keep: its last component, visible characters, fitting a sidecar.

    Browsers send a name of their choosing (``C:\\fakepath\\扫描.pdf``,
    ``../../x``, control characters); only the text of the last component is
    kept, NFC-normalised, and a long one is shortened with a hash.
    """
    text = unicodedata.normalize("NFC", raw or "")
    text = "".join(c for c in text if unicodedata.category(c)[0] != "C")
    base = safe_name(text)
    if base == "file" or not base.strip(". "):
        base = "上传文件"
    return fit_name(base, UPLOAD_NAME_BYTES)


@dataclass(frozen=True, slots=True)
class Staged:
    """An uploaded file written whole in the upload area, waiting for the pipeline to claim it."""

    path: Path
    name: str
    size: int


def stage_upload(session: Session, settings: IngestSettings, name: str | None, stream: IO[bytes], *,
                 max_bytes: int) -> Staged:
    """Write one uploaded file into the upload area (refusing an empty or too large one, leaving nothing behind)."""
    session.require("file")
    shown = upload_name(name)
    areas = Areas(settings.areas_root)
    folder = areas.uploads / uuid.uuid4().hex
    folder.mkdir(parents=True)
    tmp = folder / WRITING
    size = 0
    try:
        with open(tmp, "wb") as out:
            while True:
                chunk = stream.read(CHUNK)
                if not chunk:
                    break
                size += len(chunk)
                if size > max_bytes:
                    raise UsageError(f"文件 {shown} 超过上传上限 {max_bytes / 1024 / 1024:.0f} MB,未上传;"
                                     "大文件请放入收件箱(扫描仪共享目录)")
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        if size == 0:
            raise UsageError(f"文件 {shown} 是空文件,未上传")
        target = folder / shown
        os.replace(tmp, target)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return Staged(target, shown, size)


def recover_uploads(settings: IngestSettings, *, older_than: float = STALE_UPLOAD_SECONDS) -> list[Path]:
    """Put uploads a stopped server left complete in the upload area into the inbox (the watcher files them).

    Half-written files are dropped (the browser was told the upload failed);
    folders younger than ``older_than`` seconds are left alone (an upload
    that may still be in progress in another server process).
    """
    areas = Areas(settings.areas_root)
    moved: list[Path] = []
    if not areas.uploads.is_dir():
        return moved
    now = time.time()
    for folder in sorted(areas.uploads.iterdir()):
        if not folder.is_dir():
            continue
        try:
            if now - folder.stat().st_mtime < older_than:
                continue
        except FileNotFoundError:
            continue
        for f in sorted(folder.iterdir()):
            if f.name == WRITING:
                f.unlink(missing_ok=True)
                continue
            settings.inbox.mkdir(parents=True, exist_ok=True)
            moved.append(move_no_clobber(f, settings.inbox, f.name))
        with contextlib.suppress(OSError):
            folder.rmdir()
    return moved


# -- the pipeline as one user ------------------------------------------------------------------
Hook = Callable[[Any], None]


def _pipeline(session: Session, settings: IngestSettings, catalog: Any, hooks: Sequence[Hook]) -> Any:
    from docgen.ingest.pipeline import Pipeline

    pipeline = Pipeline(session.archive, settings, hooks=hooks)
    if catalog is not None:
        pipeline.catalog = catalog  # one warm catalog per process: a first refresh reads every record
    return pipeline


def process_uploads(session: Session, settings: IngestSettings, staged: Iterable[Staged], *, catalog: Any = None,
                    hooks: Sequence[Hook] = (), on_result: Callable[[Any], None] | None = None,
                    log: ResultLog | None = None) -> list[Any]:
    """Run each staged upload through the ingest pipeline as the session's user; one result per file, in order."""
    session.require("file")
    results = []
    with _pipeline(session, settings, catalog, hooks) as pipeline:
        for item in staged:
            try:
                claimed = pipeline.worker.claim(item.path, original=item.name)
            except FileNotFoundError:
                continue  # taken by a recovery meanwhile: the watcher files it
            result = pipeline.process(claimed)
            with contextlib.suppress(OSError):
                item.path.parent.rmdir()
            if log is not None:
                log.append(result, who=session.user.name, via="上传")
            results.append(result)
            if on_result is not None:
                on_result(result)
    return results


# -- what a user may see of a result --------------------------------------------------------------
def visible_key(session: Session, owner_key: str | None) -> bool:
    """True if the user may see the dossier or project ``owner_key`` (False for None)."""
    return bool(owner_key) and session.user.sees(str(owner_key).split("/", 1)[0])


def result_view(session: Session, data: dict[str, Any], *, own_upload: bool = False) -> dict[str, Any] | None:
    """A file's result (``FileResult.as_dict()`` or a results-log line) as this user may see it, or None.

    A result filed into a project the user may not see says only that; a
    failed or queued one without an owner is shown to users who see every
    project, and to the user who just uploaded it (``own_upload``: they know
    the file, and must learn that it did not arrive).  Messages are masked
    (they may quote an ID or phone number read from the scan).
    """
    key = data.get("owner_key")
    if key and not visible_key(session, key):
        if data.get("status") in ("filed", "recovered"):
            return {"name": "(其他项目的文件)", "status": data.get("status"), "status_label": "已归档",
                    "message": "已归入您无权查看的项目", "owner_key": None, "doc_id": None, "parts": [],
                    "warnings": [], "ocr_doubtful": [], "ts": data.get("ts", ""), "who": data.get("who", ""),
                    "via": data.get("via", ""), "doc_type_label": "", "method_label": "", "pages": 0,
                    "seconds": data.get("seconds", 0), "review_id": None}
        return None
    if not key and session.user.projects and not own_upload:
        return None
    from docgen.vocab import doc_type_label

    message = privacy.mask_text(str(data.get("message", "")))
    if not key and session.user.projects and data.get("status") == "failed":
        message += "(失败区的文件由不限项目的档案管理员处理;修正后可重新上传)"

    parts = [p for p in (result_view(session, part) for part in data.get("parts") or []) if p is not None]
    return {
        "name": display_name(str(data.get("name", ""))), "status": data.get("status", ""),
        "status_label": STATUS_LABELS.get(str(data.get("status")), str(data.get("status"))),
        "message": message, "owner_key": key, "doc_id": data.get("doc_id"),
        "doc_type_label": doc_type_label(str(data["doc_type"])) if data.get("doc_type") else "",
        "method_label": METHOD_LABELS.get(str(data.get("method") or ""), str(data.get("method") or "")),
        "confidence": data.get("confidence"), "pages": data.get("pages", 0), "ocr_pages": data.get("ocr_pages", 0),
        "seconds": data.get("seconds", 0), "review_id": data.get("review_id"), "parts": parts,
        "warnings": [privacy.mask_text(str(w)) for w in data.get("warnings") or []],
        "ocr_doubtful": [{**d, "text": privacy.mask_text(str(d.get("text", "")))} for d in data.get("ocr_doubtful") or []],
        "ts": data.get("ts", ""), "who": data.get("who", ""), "via": data.get("via", ""),
    }


# -- the results log ----------------------------------------------------------------------------------
class ResultLog:
    """``logs/results.jsonl`` of the work areas: one JSON line per file result, whoever processed it.

    Written by the web application's uploads and watcher and by ``docgen
    watch``, read back (the tail only) by the ingest page.  Appends of one
    line are atomic enough for several processes (``O_APPEND``, one write);
    past ``RESULTS_MAX_BYTES`` the file is rotated to ``results.1.jsonl``.
    """

    def __init__(self, settings: IngestSettings) -> None:
        self.path = Areas(settings.areas_root).logs / RESULTS_FILE
        self._guard = threading.Lock()

    def append(self, result: Any, *, who: str, via: str) -> None:
        """Record one file's result (never raises: a log must not fail the filing it reports)."""
        data = result.as_dict() if hasattr(result, "as_dict") else dict(result)
        data.pop("sha256", None)
        data.update(ts=dt.datetime.now().astimezone().isoformat(timespec="seconds"), who=who, via=via)
        line = (json.dumps(data, ensure_ascii=False) + "\n").encode("utf-8", "backslashreplace")
        with self._guard, contextlib.suppress(OSError):
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with contextlib.suppress(FileNotFoundError):
                if self.path.stat().st_size > RESULTS_MAX_BYTES:
                    os.replace(self.path, self.path.with_name("results.1.jsonl"))
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                os.write(fd, line)
            finally:
                os.close(fd)

    def recent(self, limit: int = 100) -> list[dict[str, Any]]:
        """The last ``limit`` results, newest first (a torn or unreadable line is skipped)."""
        try:
            with open(self.path, "rb") as fh:
                fh.seek(0, os.SEEK_END)
                end = fh.tell()
                fh.seek(max(0, end - 512 * 1024))
                block = fh.read()
        except FileNotFoundError:
            return []
        out: list[dict[str, Any]] = []
        for raw in reversed(block.split(b"\n")[1:] if end > 512 * 1024 else block.split(b"\n")):
            if not raw.strip():
                continue
            try:
                out.append(json.loads(raw))
            except ValueError:
                continue
            if len(out) >= limit:
                break
        return out


# -- the review queue ---------------------------------------------------------------------------------
@dataclass
class ReviewItem:
    """One scan waiting for a person: its id, name, candidates (the user's own only), evidence, pages, text."""

    id: str
    name: str
    queued_at: str
    best: dict[str, Any] | None
    candidates: list[dict[str, Any]]
    reasons: list[str]
    pages: list[dict[str, Any]]
    text_pages: list[str] = field(default_factory=list)
    date: str | None = None
    doubtful: int = 0
    entry: dict[str, Any] = field(default_factory=dict, repr=False)


def _review_visible(session: Session, entry: dict[str, Any]) -> bool:
    if not session.user.projects:
        return True
    best = (entry.get("best") or {}).get("owner_key")
    if best:
        return visible_key(session, best)
    keys = [c.get("owner_key") for c in entry.get("candidates") or []]
    return bool(keys) and all(visible_key(session, k) for k in keys)


def _review_item(session: Session, entry: dict[str, Any]) -> ReviewItem:
    best = entry.get("best") or None
    if best is not None and not visible_key(session, best.get("owner_key")):
        best = None
    candidates = [{**c, "reasons": [privacy.mask_text(str(r)) for r in c.get("reasons") or []]}
                  for c in entry.get("candidates") or [] if visible_key(session, c.get("owner_key"))]
    pages = list(entry.get("pages") or [])
    return ReviewItem(
        id=str(entry.get("id", "")), name=display_name(str(entry.get("original_name", ""))),
        queued_at=str(entry.get("queued_at", "")), best=best, candidates=candidates,
        reasons=[privacy.mask_text(str(r)) for r in entry.get("reasons") or []], pages=pages,
        text_pages=[privacy.mask_text(str(t)) for t in entry.get("text_pages") or []], date=entry.get("date"),
        doubtful=sum(len(p.get("doubtful") or []) for p in pages), entry=entry,
    )


def review_items(session: Session, settings: IngestSettings) -> tuple[list[ReviewItem], int]:
    """The review queue as this user may see it, oldest first, and how many queued scans are hidden from them."""
    session.require("file")
    entries = Areas(settings.areas_root).reviews()
    seen = [e for e in entries if _review_visible(session, e)]
    seen.sort(key=lambda e: str(e.get("queued_at", "")))
    return [_review_item(session, e) for e in seen], len(entries) - len(seen)


def review_item(session: Session, settings: IngestSettings, review_id: str) -> ReviewItem:
    """One queued scan; NotFoundError for one that is gone or that the user may not see."""
    session.require("file")
    wanted = review_id.strip()
    for entry in Areas(settings.areas_root).reviews():
        if str(entry.get("id", "")) == wanted and _review_visible(session, entry):
            return _review_item(session, entry)
    raise NotFoundError(f"待确认文件 {show_input(review_id)} 不存在(可能已被他人处理)或无权查看")


def file_review(session: Session, settings: IngestSettings, review_id: str, owner_key: str, doc_type: str, *,
                catalog: Any = None, hooks: Sequence[Hook] = (), log: ResultLog | None = None) -> Any:
    """File a queued scan into a dossier (or project) of the user's as the chosen type; the result."""
    item = review_item(session, settings, review_id)
    key = owner_key.strip()
    if not key:
        raise UsageError("请选择或填写要归入的档案(如 HXSZ/03-2-1203)或项目")
    if "/" in key:
        from docgen.services.cases import dossier_key

        key = dossier_key(session, key)
    else:
        session.check_project(key.upper())
        key = key.upper()
    if not doc_type.strip():
        raise UsageError("请选择文件类型")
    with _pipeline(session, settings, catalog, hooks) as pipeline:
        result = pipeline.file_review(item.id, key, doc_type.strip())
    if log is not None:
        log.append(result, who=session.user.name, via="待确认归档")
    return result


def reject_review(session: Session, settings: IngestSettings, review_id: str, reason: str, *,
                  log: ResultLog | None = None) -> Any:
    """Send a queued scan to the failed area with a reason (journaled: who rejected what and why)."""
    item = review_item(session, settings, review_id)
    why = " ".join((reason or "").split())
    if len(why) < 2:
        raise UsageError("请写明退回原因(会写在文件旁并记入日志)")
    session.archive.record_access("ingest.reject", f"review:{item.id}", f"退回待确认文件 {item.name}:{why}",
                                  {"name": item.name, "reason": why, "sha256": item.entry.get("sha256", "")})
    with _pipeline(session, settings, None, ()) as pipeline:
        result = pipeline.reject_review(item.id, why)
    if log is not None:
        log.append(result, who=session.user.name, via="待确认退回")
    return result


# -- the failed area ------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class FailedFile:
    """A file in the failed area: an id to name it by (its name's hash), its readable name, why, size, when."""

    id: str
    name: str
    reason: str
    size: int
    when: str
    path: Path


def failed_id(path: Path) -> str:
    """A stable id for a failed file: the hash of its name's bytes (names may not be text)."""
    return hashlib.sha256(name_bytes(path.name)).hexdigest()[:16]


def _require_every_project(session: Session) -> None:
    if session.user.projects:  # the failed area is not theirs to know of (see the module docstring)
        raise NotFoundError("失败区中没有这个文件(失败区的文件尚未归属任何项目,只有不限项目的账号可以处理)")


def failed_files(session: Session, settings: IngestSettings) -> list[FailedFile]:
    """The failed area's files with their reasons (empty for a user limited to projects: see the module docstring)."""
    session.require("file")
    if session.user.projects:
        return []
    areas = Areas(settings.areas_root)
    out = []
    for path in areas.failed_files():
        try:
            st = path.lstat()
        except FileNotFoundError:
            continue
        when = dt.datetime.fromtimestamp(st.st_mtime).astimezone().isoformat(timespec="minutes")
        original = areas.original_of(path) or text_name(path.name)
        out.append(FailedFile(failed_id(path), display_name(original), privacy.mask_text(areas.reason_of(path)),
                              st.st_size, when, path))
    return out


def _failed(session: Session, settings: IngestSettings, file_id: str) -> FailedFile:
    session.require("file")
    _require_every_project(session)
    for item in failed_files(session, settings):
        if item.id == file_id:
            return item
    raise NotFoundError("失败区中没有这个文件(可能已被重试或丢弃)")


def retry_failed(session: Session, settings: IngestSettings, file_id: str, *, catalog: Any = None,
                 hooks: Sequence[Hook] = (), log: ResultLog | None = None) -> Any:
    """Take one failed file through the pipeline again (after the cause was fixed); the new result."""
    item = _failed(session, settings, file_id)
    with _pipeline(session, settings, catalog, hooks) as pipeline:
        result = pipeline.retry_file(item.path)
    if result is None:
        raise NotFoundError("该文件已被他人取走处理")
    if log is not None:
        log.append(result, who=session.user.name, via="重试")
    return result


def discard_failed(session: Session, settings: IngestSettings, file_id: str, reason: str) -> FailedFile:
    """Set a failed file aside for good (``failed/.discarded/``), journaled first with who, what and why."""
    item = _failed(session, settings, file_id)
    why = " ".join((reason or "").split())
    if len(why) < 2:
        raise UsageError("请写明丢弃原因(会记入日志)")
    from docgen.archive.fsutil import sha256_file

    digest = sha256_file(item.path)
    session.archive.record_access("ingest.discard", "inbox:failed", f"丢弃失败区文件 {item.name}:{why}",
                                  {"name": item.name, "sha256": digest, "size": item.size, "reason": why,
                                   "failed_reason": safe_text(item.reason)[:500]})
    areas = Areas(settings.areas_root)
    folder = areas.failed / DISCARDED
    folder.mkdir(parents=True, exist_ok=True)
    moved = move_no_clobber(item.path, folder, item.path.name)
    sidecar = item.path.with_name(item.path.name + ".reason.txt")
    with contextlib.suppress(FileNotFoundError):
        os.replace(sidecar, moved.with_name(moved.name + ".reason.txt"))
    with contextlib.suppress(OSError), open(moved.with_name(moved.name + ".reason.txt"), "a", encoding="utf-8") as fh:
        fh.write(f"已丢弃:{why}({session.user.name},{dt.datetime.now().astimezone():%Y-%m-%d %H:%M})\n")
    return item


# -- who is processing ------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class ActiveWorker:
    """A running ingest process (the server's own, ``docgen watch``, ``docgen ingest``) seen by its claim lock."""

    host: str
    pid: int
    files: int


def active_workers(settings: IngestSettings) -> list[ActiveWorker]:
    """The ingest processes whose claim on the processing area is alive (their lock is held)."""
    from filelock import FileLock, Timeout

    processing = Areas(settings.areas_root).processing
    out: list[ActiveWorker] = []
    if not processing.is_dir():
        return out
    for lock_path in sorted(processing.glob("*.lock")):
        lock = FileLock(str(lock_path))
        try:
            lock.acquire(timeout=0)
        except Timeout:
            worker = lock_path.with_suffix("")
            host, _, rest = worker.name.rpartition("-")[0].rpartition("-")
            try:
                pid = int(rest)
            except ValueError:
                host, pid = worker.name, 0
            files = sum(1 for f in worker.iterdir() if not f.name.startswith(".")) if worker.is_dir() else 0
            out.append(ActiveWorker(host or worker.name, pid, files))
            continue
        except (OSError, DocgenError):
            continue
        lock.release()  # a dead process's lock: the next pipeline adopts its files
    return out
