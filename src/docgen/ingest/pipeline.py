"""The ingest pipeline: claim → sha256 → duplicate policy → text → identify → file → hooks → done.

One pipeline serves ``docgen ingest`` and the watcher; it knows nothing of
click or watchdog and returns a :class:`FileResult` per file.  Nothing is ever
lost: at every moment a file is either waiting (inbox), claimed (processing),
filed (archive), or put aside with a reason (failed, review, duplicates).

Crash safety: the archive commit and the removal of the claimed copy cannot be
one atomic step.  A process killed between them leaves a file in processing
whose sha256 is already archived under the same original name; the next run
adopts it, sees exactly that, and removes the copy instead of filing it twice.
The duplicate check and the filing happen under the archive's write lock, so
two watchers given two copies of one scan file it once.

Arrivals still being written: a file claimed from the inbox whose size changed
after the claim (its writer still holds it open) is put back under its name.
For the watcher (``hold=True``), one whose format says its end is missing is
held in the processing area instead of being opened: a scanner that reopens
the file to append creates a continuation at its name, which is joined to it
when claimed; with no continuation the watcher releases it after
``incomplete_seconds`` and it is processed as it is.  No fragment is failed
while its writer may still be at work.

Names: a file keeps the bytes of its name in every area; what is logged,
shown, journaled and written to sidecars or metadata is its readable text
(``names.text_name``).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import os
import shutil
import time
import traceback
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

from docgen.archive.fsutil import sha256_file
from docgen.errors import DocgenError, NotFoundError, UsageError
from docgen.ingest.areas import Areas, Skipped, Worker, list_arrivals, move_no_clobber
from docgen.ingest.arrival import head_kind, looks_complete, read_head
from docgen.ingest.extract import Extraction, ExtractOptions, extract
from docgen.ingest.identify import (
    Catalog,
    Identification,
    by_content,
    by_document_code,
    by_filename,
    date_from_text,
    type_from_text,
)
from docgen.ingest.names import display_name, is_text, safe_path, safe_text, text_name
from docgen.ingest.preflight import check_regular_file, duplicate_reason
from docgen.ingest.settings import IngestSettings
from docgen.ingest.text import BadInput, OcrFn, PageText, ScanFile, engine_ocr
from docgen.models import PageInfo
from docgen.progress import Progress, no_progress
from docgen.qrcodes import DocumentCode, SeparatorCode
from docgen.vocab import doc_type_code, doc_type_label


@dataclass(slots=True)
class FileResult:
    """What happened to one file."""

    name: str  # the name it arrived with, as text (names.text_name); relative to the folder given when skipped
    status: str  # filed | duplicate | failed | review | recovered | split | waiting (put back or held) | skipped | queued (sent to the workers)
    message: str = ""
    owner_key: str | None = None
    doc_id: str | None = None
    doc_type: str | None = None
    method: str | None = None
    confidence: float | None = None
    sha256: str = ""
    pages: int = 0
    ocr_pages: int = 0
    seconds: float = 0.0
    moved_to: str | None = None
    review_id: str | None = None
    warnings: list[str] = field(default_factory=list)
    parts: list[FileResult] = field(default_factory=list)
    ocr_doubtful: list[dict[str, Any]] = field(default_factory=list)
    """Lines OCR left in doubt (OCR 存疑): page, line number in the page's text, box, what was read, why."""
    unreadable: list[str] = field(default_factory=list)  # records identification could not read

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form (every string encodable: a path with a non-UTF-8 name is shown as text)."""
        data = asdict(self)
        data["message"] = safe_text(self.message)
        data["moved_to"] = safe_path(self.moved_to) if self.moved_to else None
        data["warnings"] = [safe_text(w) for w in self.warnings]
        data["parts"] = [p.as_dict() for p in self.parts]
        return data

    @property
    def ok(self) -> bool:
        """True when the file ended in the archive (filed, recovered or split)."""
        return self.status in ("filed", "recovered", "split")


class _Duplicate(Exception):
    def __init__(self, where: tuple[str, str, str]) -> None:
        super().__init__(where)
        self.where = where


class _StillArriving(Exception):
    """The claimed file changed after it was claimed: its writer is still at work."""


@dataclass(slots=True)
class _Arrival:
    """A file claimed from the inbox: where it came from, and its size and mtime when it was claimed.

    ``stat`` is None once the claimed file is a join of fragments (ours alone);
    ``fragments`` are the continuation files joined in, kept until the end of
    processing and put back if they changed meanwhile.
    """

    source: Path
    stat: tuple[int, int] | None
    hold: bool = False
    fragments: list[tuple[Path, tuple[int, int]]] = field(default_factory=list)


@dataclass(slots=True)
class _Job:
    """One claimed file on its way: checked, possibly being read by a worker, then filed."""

    path: Path
    result: FileResult
    name: str
    into: str | None
    doc_type: str | None
    resumed: bool
    arrival: _Arrival | None
    started: float
    token: str = field(default_factory=lambda: uuid.uuid4().hex)


class Extractor(Protocol):
    """Where files are read when not in this process: the workers' queue (``docgen.workers.queue``)."""

    def accepts(self, path: Path) -> bool:
        """True if this file may be sent (not too large for the queue)."""

    def accepting(self, pending: int) -> bool:
        """True if another file may be claimed now, ``pending`` being sent already."""

    def submit(self, token: str, path: Path, sha256: str, options: ExtractOptions, label: str) -> None:
        """Send a file to be read; never raises for the queue (an unsent file is sent again by ``poll``)."""

    def poll(self) -> list[tuple[str, Extraction | None]]:
        """Files read since the last call (None: not taken by any worker in time, read it here)."""

    def close(self) -> None:
        """Withdraw what is still queued (the claimed files are adopted by the next run) and disconnect."""


_KIND_SUFFIX = {"pdf": ".pdf", "jpeg": ".jpg", "png": ".png", "tiff": ".tif", "bmp": ".bmp", "webp": ".webp"}


def _key(path: Path) -> str:
    return os.path.abspath(path)


def _stat(path: Path) -> tuple[int, int]:
    st = os.lstat(path)
    return st.st_size, st.st_mtime_ns


Hook = Callable[[FileResult], None]


class Pipeline:
    """Ingest files into an archive (one instance per process; OCR engine shared)."""

    def __init__(
        self,
        archive: Any,
        settings: IngestSettings,
        *,
        ocr: OcrFn | None = None,
        hooks: Iterable[Hook] = (),
        progress: Progress | None = None,
        extractor: Extractor | None = None,
    ) -> None:
        self.archive = archive
        self.settings = settings
        self.areas = Areas(settings.areas_root)
        self.catalog = Catalog(archive.root)
        self.ocr: OcrFn = ocr or engine_ocr
        self.hooks = list(hooks)
        self.progress = progress or no_progress
        self._worker: Worker | None = None
        self._held: dict[str, Path] = {}  # inbox path -> incomplete fragment waiting for its continuation
        self._arrival: _Arrival | None = None
        self._arrival_path: Path | None = None
        self.extractor = extractor  # None: files are read in this process (the default)
        self._pending: dict[str, _Job] = {}  # token -> a file sent to the workers, not filed yet

    # -- lifecycle ---------------------------------------------------------------
    @property
    def worker(self) -> Worker:
        """This process's claim on the processing area (created on first use)."""
        if self._worker is None:
            self._worker = Worker(self.areas, self.settings.inbox)
        return self._worker

    def close(self) -> None:
        """Release the processing claim; held fragments go back to the inbox (or, if their name is taken, to failed)."""
        for key in list(self._held):
            path = self._held.pop(key)
            with contextlib.suppress(OSError):
                if not _link_back(path, Path(key)):
                    name = self.worker.original_name(path)
                    self._fail(path, FileResult(text_name(name), "failed"),
                               f"文件不完整(缺少结尾),其后续部分可能在收件箱的同名文件 {display_name(Path(key).name)} 中;"
                               "两者都已保留,请让扫描仪重新扫描", name=name)
                self.worker.forget(path)
        if self.extractor is not None:
            self.extractor.close()  # what is still queued is withdrawn; its claimed files are adopted by the next run
            self._pending.clear()
        if self._worker is not None:
            self._worker.close()
            self._worker = None

    def __enter__(self) -> Pipeline:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _journal_seq(self) -> int | None:
        """The archive journal's last sequence number (cheap: reads the file's tail)."""
        last = self.archive.journal.last()
        return int(last["seq"]) if last else None

    # -- entry points --------------------------------------------------------------
    def resume(self) -> list[FileResult]:
        """Finish what killed runs left in the processing area.

        Interrupted archive transactions are rolled forward first, so that a file
        whose filing was committed but not applied is recognised as filed.
        """
        adopted = self.worker.adopt_orphans()
        if adopted:
            self.archive.recover()
        return [self.process(path, resumed=True) for path in adopted]

    def excluded(self) -> list[Path]:
        """What is never looked at for arrivals: the work areas (their root too when it is not the inbox), the log."""
        paths = self.areas.folders()
        if self.settings.areas_root != self.settings.inbox:
            paths.append(self.settings.areas_root)
        if self.settings.log_file is not None:
            paths.append(self.settings.log_file)
        return paths

    def arrivals(self) -> tuple[list[Path], list[Skipped]]:
        """The files waiting in the inbox (sub-folders too unless ``recursive`` is off) and those skipped, with why."""
        return list_arrivals(self.settings.inbox, exclude=self.excluded(), recursive=self.settings.recursive)

    def ingest_inbox_file(self, path: Path, *, hold: bool = False, **options: Any) -> FileResult | None:
        """Claim one waiting inbox file by atomic rename and process it; None if another worker took it.

        ``hold``: a file whose end is missing is held for its continuation
        (status ``waiting``) instead of being processed; the watcher sets it and
        releases what it holds (:meth:`release_held`).
        """
        try:
            before = _stat(path)
            claimed = self.worker.claim(path)
        except FileNotFoundError:
            return None
        except OSError as exc:  # permissions on a share, say: report it, leave the file where it is
            return FileResult(text_name(path.name), "failed", f"无法从收件箱取走文件(文件仍在原处):{exc.strerror or exc}")
        return self._process_arrival(claimed, path, before, hold=hold, **options)

    def ingest_paths(self, paths: Iterable[Path], *, move: bool = False, **options: Any) -> Iterator[FileResult]:
        """Ingest files and folders given by a person; files outside the inbox are copied unless ``move``.

        Files a killed run left in the processing area are finished first.
        Folders are walked like the inbox (``recursive``); every file passed
        over is reported as ``skipped`` with its reason.
        """
        yield from self.resume()
        inbox = self.settings.inbox.resolve()
        for path, shown in self._expand(paths):
            if isinstance(path, Skipped):
                yield FileResult(shown, "skipped", path.reason)
                continue
            inside = _within(path, inbox)
            if path.is_symlink() and not inside:
                yield FileResult(shown, "failed", "符号链接不会被归档(出于安全原因,它可能指向系统中的任何文件);"
                                 "文件仍在原处,请给出文件本身")
                continue
            if inside or move:
                try:
                    before = _stat(path) if inside else None
                    claimed = self.worker.claim(path)
                except FileNotFoundError:
                    continue
                except OSError as exc:
                    if exc.errno != errno.EXDEV:
                        yield FileResult(shown, "failed", f"无法取走文件(文件仍在原处):{exc.strerror or exc}")
                        continue
                    claimed = self.worker.claim_copy(path)  # another filesystem: copy, then remove the original
                    path.unlink()
                if before is not None:
                    yield self._process_arrival(claimed, path, before, **options)
                    continue
            else:
                try:
                    claimed = self.worker.claim_copy(path)
                except OSError as exc:
                    yield FileResult(shown, "failed", f"无法读取文件:{exc.strerror or exc}")
                    continue
            yield self.process(claimed, **options)

    def retry_failed(self, **options: Any) -> Iterator[FileResult]:
        """Take every file in the failed area back through the pipeline (after finishing a killed run's files)."""
        yield from self.resume()
        for path in self.areas.failed_files():
            result = self.retry_file(path, **options)
            if result is not None:
                yield result

    def retry_file(self, path: Path, **options: Any) -> FileResult | None:
        """Take one file of the failed area back through the pipeline; None if someone else took it first."""
        reason = path.with_name(path.name + ".reason.txt")
        recorded = self.areas.original_of(path)
        # a name shortened or de-duplicated in failed/ gets its original back; the bytes of any other name are kept
        original = recorded if recorded and recorded != text_name(path.name) else path.name
        try:
            claimed = self.worker.claim(path, original=original)
        except FileNotFoundError:
            return None
        reason.unlink(missing_ok=True)
        return self.process(claimed, **options)

    def _expand(self, paths: Iterable[Path]) -> Iterator[tuple[Path | Skipped, str]]:
        """Files to ingest (folders walked as the inbox is), with the name to show for each."""
        for path in paths:
            if path.is_dir() and not path.is_symlink():
                files, skipped = list_arrivals(path, exclude=self.excluded(), recursive=self.settings.recursive)
                items: list[Path | Skipped] = [*files, *skipped]
                for item in sorted(items, key=lambda x: str(x.path if isinstance(x, Skipped) else x)):
                    where = item.path if isinstance(item, Skipped) else item
                    yield item, safe_path(os.path.relpath(where, path))
            else:
                yield path, text_name(path.name)

    # -- arrivals still being written ---------------------------------------------------
    def holds(self, source: Path) -> bool:
        """True if an incomplete fragment claimed from ``source`` waits for its continuation."""
        return _key(source) in self._held

    def held_kind(self, source: Path) -> str | None:
        """The format of the fragment held for ``source`` (its continuation's own first bytes do not say)."""
        held = self._held.get(_key(source))
        return head_kind(read_head(held)) if held is not None else None

    def release_held(self, source: Path) -> FileResult | None:
        """No continuation came: process the held fragment on its own (it is failed with its reason, or filed)."""
        held = self._held.pop(_key(source), None)
        return self.process(held) if held is not None else None

    def _process_arrival(
        self, claimed: Path, source: Path, before: tuple[int, int], *, hold: bool = False, **options: Any
    ) -> FileResult:
        arrival = _Arrival(source, before, hold)
        head = self._held.pop(_key(source), None)
        if head is not None:
            if head_kind(read_head(claimed)) is None:  # the rest of the held fragment, not a new file of its own
                claimed = self._join(head, claimed, arrival)
            else:
                self._held[_key(source)] = head  # a new scan under the same name: the fragment waits on its own
        return self.process(claimed, arrival=arrival, **options)

    def _join(self, head: Path, fragment: Path, arrival: _Arrival) -> Path:
        """Append a continuation to the fragment held for its name; the continuation stays until processing ends."""
        tmp = self.worker.dir / f".joining-{uuid.uuid4().hex[:12]}"
        try:
            with open(tmp, "wb") as out:
                for part in (head, fragment):
                    with open(part, "rb") as fh:
                        shutil.copyfileobj(fh, out, 1 << 20)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, head)  # the held fragment is a prefix of the join: replacing it loses nothing
        except OSError:
            tmp.unlink(missing_ok=True)
            raise
        if arrival.stat is not None:
            arrival.fragments.append((fragment, arrival.stat))
        arrival.stat = None  # the join is ours alone: no writer can change it
        return head

    def _settle_fragments(self, arrival: _Arrival) -> None:
        """Remove continuations that were joined; one that changed meanwhile goes back to the inbox, never lost."""
        for fragment, before in arrival.fragments:
            try:
                changed = _stat(fragment) != before
            except FileNotFoundError:
                continue
            if changed:
                _put_back(fragment, arrival.source)
            else:
                fragment.unlink(missing_ok=True)
            self.worker.forget(fragment)

    def _may_be_arriving(self, path: Path) -> bool:
        """True if the file's end is missing and its writer has not been silent for twice ``incomplete_seconds``.

        Twice: the watcher already waited once before claiming it.  A file that
        sat in the inbox long before (the watcher was down) is not held again.
        """
        if looks_complete(path) is not False:
            return False
        return self.worker.silent_for(os.lstat(path)) < 2 * self.settings.incomplete_seconds

    @staticmethod
    def _grown(path: Path, arrival: _Arrival) -> bool:
        """True if the claimed file changed since its claim: its writer still holds it open."""
        if arrival.stat is None:
            return False
        try:
            return _stat(path) != arrival.stat
        except FileNotFoundError:
            return False

    def _hold(self, path: Path, result: FileResult, arrival: _Arrival) -> None:
        self._held[_key(arrival.source)] = path
        result.status = "waiting"
        result.message = (f"文件不完整(缺少结尾),扫描仪可能仍在写入;续写的部分到达后合并处理,"
                          f"{self.settings.incomplete_seconds:g} 秒内没有续写则按现状处理")

    def _put_back(self, path: Path, result: FileResult, arrival: _Arrival) -> None:
        target = _put_back(path, arrival.source)
        result.status = "waiting"
        result.moved_to = str(target)
        result.message = f"文件仍在写入(取走后又有变化),已放回收件箱 {display_name(target.name)},写完后再处理"

    # -- one file ------------------------------------------------------------------
    def process(
        self,
        path: Path,
        *,
        into: str | None = None,
        doc_type: str | None = None,
        resumed: bool = False,
        arrival: _Arrival | None = None,
    ) -> FileResult:
        """Process a claimed file (in this worker's folder) to its end state; never raises for a bad file.

        With workers (``extractor``), a file that needs reading is sent to them
        and a ``queued`` result returned at once; its final result comes from
        :meth:`collect`.  Otherwise it is read here and filed before returning.
        """
        name = self.worker.original_name(path)  # the name it arrived with (bytes kept), not a shortened one
        job = _Job(path, FileResult(text_name(name), "failed"), name, into, doc_type, resumed, arrival,
                   time.perf_counter())
        done = self._step(job, lambda: self._begin(job))
        if done is not None:
            return done
        if self.extractor is not None and self.extractor.accepts(path):
            self._pending[job.token] = job
            self.extractor.submit(job.token, path, job.result.sha256, self._options(job), job.result.name)
            return FileResult(job.result.name, "queued", "已送交识别进程(docgen worker),排队等待识别",
                              sha256=job.result.sha256)
        finished = self._step(job, lambda: self._finish(job, self._extract_here(job)))
        assert finished is not None
        return finished

    def collect(self) -> list[tuple[Path | None, FileResult]]:
        """File what the workers have read since the last call: (the inbox path it was claimed from, result) each.

        Never blocks for long and never raises for the queue: while the broker
        cannot be reached nothing is collected and the extractor says so in its
        notices; claimed files wait in the processing area.
        """
        if self.extractor is None or not self._pending:
            return []
        out: list[tuple[Path | None, FileResult]] = []
        for token, extraction in self.extractor.poll():
            job = self._pending.pop(token, None)
            if job is None:
                continue

            def finish(job: _Job = job, extraction: Extraction | None = extraction) -> bool:
                if extraction is None:  # taken back from the queue (no worker took it in time): read it here
                    return self._finish(job, self._extract_here(job))
                return self._finish(job, extraction, remote=True)

            result = self._step(job, finish)
            assert result is not None
            out.append((job.arrival.source if job.arrival is not None else None, result))
        return out

    @property
    def pending(self) -> int:
        """Files sent to the workers and not filed yet."""
        return len(self._pending)

    @property
    def accepting(self) -> bool:
        """True if another file may be claimed now (always, in-process; with workers: the queue is reachable and not full)."""
        return self.extractor is None or self.extractor.accepting(len(self._pending))

    def _options(self, job: _Job) -> ExtractOptions:
        return ExtractOptions.from_settings(self.settings, split=job.into is None)

    def _extract_here(self, job: _Job) -> Extraction:
        """Read the file in this process (the default, and what a file too large for the queue gets)."""
        def on_page(i: int, total: int, stage: str) -> None:
            if stage == "ocr":
                self.progress("OCR", i + 1, total, job.result.name)

        return extract(job.path, self._options(job), ocr=self.ocr, sha256=job.result.sha256, on_page=on_page)

    def _step(self, job: _Job, step: Callable[[], bool]) -> FileResult | None:
        """Run one step of a file; None if it now waits for its extraction, else its final result.

        A bad file, a refusal by the archive or a bug becomes the file's failure
        (it is put aside with the reason); nothing here raises for a file.
        """
        path, result, name, arrival = job.path, job.result, job.name, job.arrival
        self._arrival, self._arrival_path = arrival, path
        more = False
        try:
            try:
                more = step()
            except _StillArriving:
                assert arrival is not None
                self._put_back(path, result, arrival)
            except BadInput as exc:
                if arrival is not None and self._grown(path, arrival):
                    self._put_back(path, result, arrival)
                else:
                    self._fail(path, result, exc.reason, name=name)
            except DocgenError as exc:
                self._fail(path, result, str(exc), name=name)
            except Exception as exc:  # a bug must not stop the watcher nor lose the file
                detail = safe_text("".join(traceback.format_exception_only(type(exc), exc)).strip())
                self._fail(path, result, f"内部错误({detail});请把此文件和原因交给维护人员", name=name)
        finally:
            self._arrival = self._arrival_path = None
            if not more:
                if not path.exists():
                    self.worker.forget(path)
                if arrival is not None:
                    self._settle_fragments(arrival)
        if more:
            return None
        result.message = safe_text(result.message)
        result.seconds = round(time.perf_counter() - job.started, 3)
        return result

    def _begin(self, job: _Job) -> bool:
        """The checks before reading: True if the file must now be read (extracted)."""
        # a link dropped into a shared inbox could point at any file the service can read
        check_regular_file(job.path)
        if job.arrival is not None and job.arrival.hold and self._may_be_arriving(job.path):
            self._hold(job.path, job.result, job.arrival)
            return False
        return self._prepare(job)

    def _fail(self, path: Path, result: FileResult, reason: str, *, name: str | None = None) -> None:
        result.status = "failed"
        result.message = reason
        if path.exists() or path.is_symlink():  # a dangling link is set aside too
            result.moved_to = str(self.areas.fail(path, reason, name=name))

    def _check_unchanged(self, path: Path) -> None:
        """Before filing a file claimed from the inbox: if it changed since the claim, its writer is still at work."""
        arrival = self._arrival
        if arrival is not None and path == self._arrival_path and self._grown(path, arrival):
            raise _StillArriving(str(path))

    def _prepare(self, job: _Job) -> bool:
        """Type, owner, sha256 and the duplicate checks (before any OCR); True if the file must be read."""
        path, result, name, resumed = job.path, job.result, job.name, job.resumed
        if job.doc_type is not None:
            try:
                job.doc_type = doc_type_code(job.doc_type)
            except ValueError as exc:
                raise DocgenError(str(exc)) from exc
        if job.into is not None:
            self.archive.owner(job.into)  # NotFoundError early, before any OCR
        result.sha256 = sha256_file(path)
        self.catalog.refresh(self._journal_seq(), self.archive.journal)
        hit = self.catalog.find_hash(result.sha256)
        if hit is not None:
            self._already_archived(path, result, hit, resumed, name)
            return False
        total = self.catalog.segment_total(result.sha256)
        if total is not None and len(self.catalog.segments_filed(result.sha256)) >= total:
            self._settle_known(
                path, result, name,
                recovered=f"中断前已拆分归档(共 {total} 份),已清理处理区中的副本" if resumed else None,
                duplicate=f"这份批量扫描已拆分归档(共 {total} 份)",
            )
            return False
        return True

    def _finish(self, job: _Job, extraction: Extraction, *, remote: bool = False) -> bool:
        """File a read file: split a batch scan at its cover sheets, or identify it, then file or queue for review.

        ``remote``: read by a worker from bytes sent through the queue; the
        claimed file must still be those bytes (sha256), or it is not filed.
        """
        path, result, name = job.path, job.result, job.name
        if remote:
            self._check_unchanged(path)
            now = sha256_file(path)
            if extraction.sha256 != result.sha256 or now != result.sha256:
                raise DocgenError(f"文件在识别期间被改动(sha256 由 {result.sha256[:12]} 变为 {now[:12]}),"
                                  "未归档;请确认文件完整后重新放入收件箱")
        extraction.check()
        result.pages = extraction.page_count
        codes = extraction.codes
        if job.into is None and any(isinstance(c, SeparatorCode) for page in codes for c in page):
            self._check_unchanged(path)
            self._split(path, extraction, codes, result, name)
            return False
        texts = extraction.page_texts(range(extraction.page_count))
        self._account(result, texts)
        ident = self._identify(text_name(name), texts, codes, into=job.into, doc_type=job.doc_type)
        if ident.date is None:
            ident.date = date_from_text("\n".join(t.text for t in texts))
        self._file_or_review(path, result, texts, ident, name, resumed=job.resumed)
        return False

    def _already_archived(self, path: Path, result: FileResult, hit: tuple[str, str, str], resumed: bool, name: str) -> None:
        owner_key, doc_id, original = hit
        result.owner_key, result.doc_id = owner_key, doc_id
        self._settle_known(
            path, result, name,
            recovered=(f"中断前已归档为 {doc_id}({owner_key}),已清理处理区中的副本"
                       if resumed and original == text_name(name) else None),
            duplicate=duplicate_reason(hit, result.sha256),
        )

    def _settle_known(self, path: Path, result: FileResult, name: str, *, recovered: str | None, duplicate: str) -> None:
        """A file whose content is already filed.

        With ``recovered`` (a copy a killed run left in the work area, already
        filed before it died) the copy is removed; otherwise the file is a
        duplicate and is set aside with ``duplicate`` as its reason, never deleted.
        """
        if recovered is not None:
            path.unlink(missing_ok=True)
            result.status, result.message = "recovered", recovered
            return
        result.status, result.message = "duplicate", duplicate
        result.moved_to = str(self.areas.duplicate(path, duplicate, name=name))

    # -- reading -------------------------------------------------------------------
    @staticmethod
    def _account(result: FileResult, texts: list[PageText]) -> None:
        """Count a file's OCR'd pages and collect the lines OCR left in doubt into its result."""
        for text in texts:
            if text.origin != "text":
                result.ocr_pages += 1
            result.ocr_doubtful += [{"page": text.n, **d.model_dump(mode="json")} for d in text.doubtful]

    # -- identification ----------------------------------------------------------------
    def _identify(
        self,
        name: str,
        texts: list[PageText],
        codes: list[list[DocumentCode | SeparatorCode]],
        *,
        into: str | None,
        doc_type: str | None,
    ) -> Identification:
        full = "\n".join(t.text for t in texts)
        from_name = by_filename(name, self.catalog)
        if into is not None:
            kind = doc_type or (from_name.doc_type if from_name else None) or type_from_text(full)[0] or "other"
            return Identification(
                "direct", self.archive.owner_key(self.archive.owner(into)), kind, 1.0,
                date=from_name.date if from_name else None, reasons=["指定归档(--into)"],
            )
        doc_codes = [c for page in codes for c in page if isinstance(c, DocumentCode)]
        if doc_codes:
            ident = by_document_code(doc_codes[0], self.archive)
            if from_name is not None:
                ident.date = from_name.date
            return _with_type(ident, doc_type)
        if from_name is not None and from_name.owner_key:
            if from_name.doc_type is None:
                found, conf = type_from_text(full)
                if doc_type or found:
                    from_name.doc_type = doc_type or found
                    from_name.confidence = 0.95 if doc_type else round(0.95 * conf, 3)
                    from_name.reasons.append(f"正文标题:{doc_type_label(from_name.doc_type or '')}")
            if from_name.complete:
                return _with_type(from_name, doc_type)
        ident = by_content(full, self.catalog)
        if from_name is not None:
            ident.reasons = [*from_name.reasons, *ident.reasons]
            ident.date = from_name.date
        return _with_type(ident, doc_type)

    # -- filing ------------------------------------------------------------------------
    def _file_or_review(
        self, path: Path, result: FileResult, texts: list[PageText], ident: Identification, name: str,
        *, resumed: bool = False,
    ) -> None:
        result.method = ident.method
        result.confidence = ident.confidence
        if ident.complete and ident.confidence >= self.settings.review_threshold:
            self._file(path, result, texts, ident, original_name=text_name(name), resumed=resumed)
            return
        self._check_unchanged(path)
        queued = next((e for e in self.areas.reviews() if e.get("sha256") == result.sha256), None)
        if queued is not None:
            result.status = "duplicate"
            result.message = f"与待确认队列中的 {queued.get('original_name')}(编号 {queued.get('id')})完全相同"
            result.moved_to = str(self.areas.duplicate(path, result.message, name=name))
            return
        sidecar = {
            "original_name": text_name(name),
            "sha256": result.sha256,
            "method": ident.method,
            "best": {"owner_key": ident.owner_key, "doc_type": ident.doc_type, "confidence": ident.confidence},
            "candidates": [c.as_dict() for c in ident.candidates],
            "reasons": ident.reasons,
            "date": ident.date.isoformat() if ident.date else None,
            "supersedes": ident.supersedes,
            "text_pages": [t.text for t in texts],
            "pages": [_page_info(t).model_dump(mode="json") for t in texts],
        }
        if ident.unreadable:  # the right dossier may be one that cannot be read: say which
            result.unreadable = list(ident.unreadable)
            missing = [u for u in ident.unreadable if not any(u in r for r in ident.reasons)]
            if missing:
                ident.reasons.append(f"另有 {len(missing)} 份记录无法读取,未参与识别:{';'.join(missing[:3])}")
                sidecar["reasons"] = ident.reasons
        result.status = "review"
        result.owner_key, result.doc_type = ident.owner_key, ident.doc_type
        result.review_id = self.areas.to_review(path, sidecar, name=name)
        why = ";".join(ident.reasons) or "无法确定归属"
        result.message = f"置信度 {ident.confidence:.2f} 低于阈值 {self.settings.review_threshold:.2f},待人工确认:{why}"
        result.moved_to = str(self.areas.review)

    def _file(
        self,
        path: Path,
        result: FileResult,
        texts: list[PageText],
        ident: Identification,
        *,
        original_name: str,
        note: str = "",
        check_duplicate: bool = True,
        resumed: bool = False,
    ) -> None:
        """File ``path`` as ``original_name`` (text); the claimed copy is removed once the filing committed."""
        assert ident.owner_key and ident.doc_type
        label = doc_type_label(ident.doc_type)
        name = original_name
        self._check_unchanged(path)
        source = _clean_suffix(path, self.worker.dir)
        try:
            with self.archive.transaction("document.add", ident.owner_key, f"扫描归档 {label}({name})") as tx:
                if check_duplicate:
                    self.catalog.refresh(self._journal_seq(), self.archive.journal)
                    hit = self.catalog.find_hash(result.sha256)
                    if hit is not None:
                        raise _Duplicate(hit)
                doc = self.archive.add_document(
                    ident.owner_key,
                    source,
                    doc_type=ident.doc_type,
                    date=ident.date,
                    source="scan",
                    original_name=name,
                    text_pages=[t.text for t in texts],
                    pages=[_page_info(t) for t in texts],
                    signed=ident.signed,
                    supersedes=ident.supersedes,
                    identified_by=ident.method if ident.method != "none" else "manual",
                    confidence=ident.confidence,
                    note=note,
                    tx=tx,
                )
        except _Duplicate as dup:  # filed meanwhile: by another worker, or by our own killed run
            self._already_archived(path, result, dup.where, resumed, name)
            return
        finally:
            if source != path:
                source.unlink(missing_ok=True)
        result.status = "filed"
        result.owner_key, result.doc_id, result.doc_type = ident.owner_key, doc.id, ident.doc_type
        result.method, result.confidence = ident.method, ident.confidence
        result.message = f"已归档为 {doc.id}:{ident.owner_key} {label}" + (f",替代 {ident.supersedes}(已签字)" if ident.supersedes else "")
        arrival = self._arrival
        if arrival is not None and path == self._arrival_path and self._grown(path, arrival):
            # written to even while it was being filed: what was filed stays, the longer file goes back to the inbox
            target = _put_back(path, arrival.source)
            result.warnings.append(f"归档期间文件又被写入,更长的版本已放回收件箱 {display_name(target.name)},将作为新文件处理")
        path.unlink(missing_ok=True)  # gone already if another host adopted it meanwhile
        self._run_hooks(result)

    def _run_hooks(self, result: FileResult) -> None:
        for hook in self.hooks:
            try:
                hook(result)
            except Exception as exc:  # the file is safely filed; the index is derived and rebuildable
                result.warnings.append(f"归档后处理(如检索索引)失败:{exc};可运行 docgen index rebuild 重建")

    # -- batch scans with separator sheets ------------------------------------------------
    def _split(
        self, path: Path, extraction: Extraction, codes: list[list[DocumentCode | SeparatorCode]], result: FileResult,
        name: str,
    ) -> None:
        segments: list[tuple[SeparatorCode | None, list[int]]] = []
        for i, page_codes in enumerate(codes):
            sep = next((c for c in page_codes if isinstance(c, SeparatorCode)), None)
            if sep is not None:
                segments.append((sep, []))
            elif segments:
                segments[-1][1].append(i)
            else:
                segments.append((None, [i]))
        segments = [s for s in segments if s[1]]
        total = len(segments)
        done = self.catalog.segments_filed(result.sha256)
        result.status = "split"
        for n, (sep, pages) in enumerate(segments, start=1):
            part_name = f"{Path(name).stem}-{n:02d}{_part_suffix(extraction.kind)}"  # bytes of the batch's name kept
            part = FileResult(text_name(part_name), "failed", pages=len(pages))
            result.parts.append(part)
            if n in done:
                part.status, part.owner_key = "recovered", done[n]
                part.message = f"中断前已归档到 {done[n]}"
                continue
            part_path = self.worker.dir / f".part-{result.sha256[:8]}-{n:02d}{_part_suffix(extraction.kind)}"
            _write_part(extraction.kind, path, pages, part_path, self.settings)
            part_started = time.perf_counter()
            try:
                part.sha256 = sha256_file(part_path)
                texts = extraction.page_texts(pages)
                self._account(part, texts)
                token = f"{result.sha256}#{n}/{total}"
                note = f"批量扫描 {text_name(name)} 中第 {n}/{total} 份(批次 {token})"
                if sep is None:
                    ident = self._identify(text_name(part_name), texts, [codes[i] for i in pages], into=None, doc_type=None)
                else:
                    ident = self._separator_ident(sep)
                ident.date = ident.date or date_from_text("\n".join(t.text for t in texts))
                if ident.complete and ident.confidence >= self.settings.review_threshold:
                    self._file(part_path, part, texts, ident, note=note, original_name=text_name(part_name),
                               check_duplicate=False)
                else:
                    self._file_or_review(part_path, part, texts, ident, part_name)
            except (BadInput, DocgenError) as exc:
                # under its visible name (a hidden .part- file would escape --retry)
                reason = exc.reason if isinstance(exc, BadInput) else str(exc)
                self._fail(part_path, part, f"{reason}(批量扫描 {text_name(name)} 中第 {n}/{total} 份)", name=part_name)
            part.seconds = round(time.perf_counter() - part_started, 3)
            result.ocr_pages += part.ocr_pages
        filed = sum(1 for p in result.parts if p.ok)
        result.message = f"批量扫描已按分隔页拆分为 {total} 份:{filed} 份已归档" + (
            f",{total - filed} 份待确认或失败" if filed < total else ""
        )
        path.unlink(missing_ok=True)  # every content page now lives in a filed, reviewed or failed part

    def _separator_ident(self, sep: SeparatorCode) -> Identification:
        try:
            owner = self.archive.owner(sep.owner_key)
            kind = doc_type_code(sep.doc_type)
        except (NotFoundError, ValueError, DocgenError) as exc:
            return Identification("qr", None, None, 0.0, reasons=[f"分隔页二维码无效:{exc}"])
        return Identification("qr", self.archive.owner_key(owner), kind, 1.0, reasons=["分隔页二维码"])

    # -- review ------------------------------------------------------------------------------
    def file_review(self, review_id: str, owner_key: str, doc_type: str) -> FileResult:
        """File a file from the review queue into the chosen owner as the chosen type."""
        entry = self._review_entry(review_id)
        path = self._queued_file(entry)
        try:
            kind = doc_type_code(doc_type)
        except ValueError as exc:
            raise DocgenError(str(exc)) from exc
        owner = self.archive.owner(owner_key)
        key = self.archive.owner_key(owner)
        sidecar = path.with_name(path.name + ".review.json")
        claimed = self.worker.claim(path, original=entry.get("original_name") or path.name)
        pages = [PageInfo.model_validate(p) for p in entry.get("pages", [])]
        texts = [PageText.from_info(p, t) for p, t in zip(pages, entry.get("text_pages", []), strict=False)]
        ident = Identification(
            "manual", key, kind, 1.0,
            date=dt.date.fromisoformat(entry["date"]) if entry.get("date") else None,
            supersedes=entry.get("supersedes") if entry.get("supersedes") and key == (entry.get("best") or {}).get("owner_key") else None,
        )
        ident.signed = bool(ident.supersedes)
        result = FileResult(entry.get("original_name", path.name), "failed", sha256=entry.get("sha256", ""), pages=len(texts))
        result.ocr_doubtful = [{"page": t.n, **d.model_dump(mode="json")} for t in texts for d in t.doubtful]
        try:
            self._file(claimed, result, texts, ident, original_name=text_name(entry.get("original_name") or path.name))
        except DocgenError:
            with contextlib.suppress(OSError):
                claimed.rename(path)  # back into the queue, sidecar untouched
                self.worker.forget(claimed)
            raise
        sidecar.unlink(missing_ok=True)
        self.worker.forget(claimed)
        return result

    def reject_review(self, review_id: str, reason: str = "") -> FileResult:
        """Move a file from the review queue to the failed area with a person's reason."""
        entry = self._review_entry(review_id)
        path = self._queued_file(entry)
        name = entry.get("original_name", path.name)
        moved = self.areas.fail(path, f"人工退回:{reason or '未说明原因'}", name=name)
        path.with_name(path.name + ".review.json").unlink(missing_ok=True)
        return FileResult(name, "failed", f"已退回到失败区:{moved.name}", moved_to=str(moved))

    def _queued_file(self, entry: dict[str, Any]) -> Path:
        """The queued file of a review entry; a sidecar whose file is gone (handled by someone else) is cleared."""
        path = Path(entry["path"])
        if not path.is_file():
            path.with_name(path.name + ".review.json").unlink(missing_ok=True)
            raise NotFoundError(f"待确认文件 {entry.get('id')} 已不在待确认区(可能已被他人处理);已清除其记录")
        return path

    def _review_entry(self, review_id: str) -> dict[str, Any]:
        if len(review_id.strip()) < 4:
            raise UsageError("请给出待确认文件编号的前 4 位以上(用 docgen review list 查看)")
        matches = [e for e in self.areas.reviews() if str(e.get("id", "")).startswith(review_id.strip())]
        if not matches:
            raise NotFoundError(f"待确认队列中没有 {review_id}(用 docgen review list 查看)")
        if len(matches) > 1:
            raise DocgenError(f"编号 {review_id} 对应多个待确认文件,请写完整编号")
        return matches[0]


def _with_type(ident: Identification, doc_type: str | None) -> Identification:
    if doc_type is not None:
        if ident.doc_type != doc_type:
            ident.reasons.append(f"文件类型按指定:{doc_type_label(doc_type)}")
        ident.doc_type = doc_type
    return ident


def _page_info(text: PageText) -> PageInfo:
    return text.info()


def _part_suffix(kind: str) -> str:
    return ".pdf" if kind == "pdf" else ".tif"


def _write_part(kind: str, source: Path, pages: list[int], out: Path, settings: IngestSettings) -> None:
    """Write the given pages of a batch scan as a file of their own (pypdf for PDFs, Pillow for TIFFs)."""
    if kind == "pdf":
        from pypdf import PdfReader, PdfWriter

        reader = PdfReader(str(source))
        writer = PdfWriter()
        for i in pages:
            writer.add_page(reader.pages[i])
        with open(out, "wb") as fh:
            writer.write(fh)
    else:
        with ScanFile(source, max_pixels=settings.max_image_pixels, max_pages=settings.max_pages) as scan:
            frames = [scan.image(i, 0) for i in pages]
        frames[0].save(out, "TIFF", save_all=True, append_images=frames[1:], compression="tiff_deflate")


def _within(path: Path, folder: Path) -> bool:
    """True if ``path`` lies inside ``folder`` (resolved), however deep."""
    try:
        path.parent.resolve().relative_to(folder)
    except ValueError:
        return False
    return True


def _link_back(path: Path, source: Path) -> bool:
    """Put ``path`` back at ``source`` if that name is free (never replacing a file); True if done."""
    try:
        os.link(path, source)
    except FileExistsError:
        return False
    except OSError:  # no hard links on this share: check, then rename
        if source.exists():
            return False
        os.rename(path, source)
        return True
    os.unlink(path)
    return True


def _put_back(path: Path, source: Path) -> Path:
    """Return a claimed file to the inbox under its name, or beside it under a free name; return where it went."""
    if _link_back(path, source):
        return source
    return move_no_clobber(path, source.parent, source.name)


def _clean_suffix(path: Path, scratch: Path) -> Path:
    """``path``, or a link to it named with the format's extension when its own one is not text (the archive names files by it)."""
    if is_text(path.suffix):
        return path
    link = scratch / f".copying-{uuid.uuid4().hex[:12]}{_KIND_SUFFIX.get(head_kind(read_head(path)) or '', '')}"
    try:
        os.link(path, link)
    except OSError:
        shutil.copyfile(path, link)
    return link
