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
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import time
import traceback
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from docgen.archive.fsutil import sha256_file
from docgen.errors import DocgenError, NotFoundError, UsageError
from docgen.ingest.areas import Areas, Worker, is_ignored
from docgen.ingest.identify import (
    Catalog,
    Identification,
    by_content,
    by_document_code,
    by_filename,
    date_from_text,
    read_codes,
    type_from_text,
)
from docgen.ingest.settings import IngestSettings
from docgen.ingest.text import BadInput, OcrFn, PageText, ScanFile, engine_ocr, page_text
from docgen.models import PageInfo
from docgen.progress import Progress, no_progress
from docgen.qrcodes import DocumentCode, SeparatorCode
from docgen.vocab import doc_type_code, doc_type_label


@dataclass(slots=True)
class FileResult:
    """What happened to one file."""

    name: str
    status: str  # filed | duplicate | failed | review | recovered | split
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

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return asdict(self)

    @property
    def ok(self) -> bool:
        """True when the file ended in the archive (filed, recovered or split)."""
        return self.status in ("filed", "recovered", "split")


class _Duplicate(Exception):
    def __init__(self, where: tuple[str, str, str]) -> None:
        super().__init__(where)
        self.where = where


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
    ) -> None:
        self.archive = archive
        self.settings = settings
        self.areas = Areas(settings.areas_root)
        self.catalog = Catalog(archive.root)
        self.ocr: OcrFn = ocr or engine_ocr
        self.hooks = list(hooks)
        self.progress = progress or no_progress
        self._worker: Worker | None = None

    # -- lifecycle ---------------------------------------------------------------
    @property
    def worker(self) -> Worker:
        """This process's claim on the processing area (created on first use)."""
        if self._worker is None:
            self._worker = Worker(self.areas, self.settings.inbox)
        return self._worker

    def close(self) -> None:
        """Release the processing claim."""
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

    def ingest_inbox_file(self, path: Path, **options: Any) -> FileResult | None:
        """Claim one waiting inbox file by atomic rename and process it; None if another worker took it."""
        try:
            claimed = self.worker.claim(path)
        except FileNotFoundError:
            return None
        except OSError as exc:  # permissions on a share, say: report it, leave the file where it is
            return FileResult(path.name, "failed", f"无法从收件箱取走文件(文件仍在原处):{exc.strerror or exc}")
        return self.process(claimed, **options)

    def ingest_paths(self, paths: Iterable[Path], *, move: bool = False, **options: Any) -> Iterator[FileResult]:
        """Ingest files and folders given by a person; files outside the inbox are copied unless ``move``."""
        inbox = self.settings.inbox.resolve()
        for path in _expand(paths):
            inside = path.resolve().parent == inbox
            if inside or move:
                try:
                    claimed = self.worker.claim(path)
                except FileNotFoundError:
                    continue
                except OSError as exc:
                    if exc.errno != errno.EXDEV:
                        yield FileResult(path.name, "failed", f"无法取走文件(文件仍在原处):{exc.strerror or exc}")
                        continue
                    claimed = self.worker.claim_copy(path)  # another filesystem: copy, then remove the original
                    path.unlink()
            else:
                try:
                    claimed = self.worker.claim_copy(path)
                except OSError as exc:
                    yield FileResult(path.name, "failed", f"无法读取文件:{exc.strerror or exc}")
                    continue
            yield self.process(claimed, **options)

    def retry_failed(self, **options: Any) -> Iterator[FileResult]:
        """Take every file in the failed area back through the pipeline."""
        for path in self.areas.failed_files():
            reason = path.with_name(path.name + ".reason.txt")
            try:
                claimed = self.worker.claim(path)
            except FileNotFoundError:
                continue
            reason.unlink(missing_ok=True)
            yield self.process(claimed, **options)

    # -- one file ------------------------------------------------------------------
    def process(
        self,
        path: Path,
        *,
        into: str | None = None,
        doc_type: str | None = None,
        resumed: bool = False,
    ) -> FileResult:
        """Process a claimed file (in this worker's folder) to its end state; never raises for a bad file."""
        started = time.perf_counter()
        result = FileResult(path.name, "failed")
        if path.is_symlink() or (path.exists() and not path.is_file()):
            # a link dropped into a shared inbox could point at any file the service can read
            self._fail(path, result, "收件箱中的符号链接或特殊文件不会被归档(出于安全原因);请放入文件本身")
            result.seconds = round(time.perf_counter() - started, 3)
            return result
        try:
            self._process(path, result, into=into, doc_type=doc_type, resumed=resumed)
        except BadInput as exc:
            self._fail(path, result, exc.reason)
        except DocgenError as exc:
            self._fail(path, result, str(exc))
        except Exception as exc:  # a bug must not stop the watcher nor lose the file
            detail = "".join(traceback.format_exception_only(type(exc), exc)).strip()
            self._fail(path, result, f"内部错误({detail});请把此文件和原因交给维护人员")
        result.seconds = round(time.perf_counter() - started, 3)
        return result

    def _fail(self, path: Path, result: FileResult, reason: str, *, name: str | None = None) -> None:
        result.status = "failed"
        result.message = reason
        if path.exists():
            result.moved_to = str(self.areas.fail(path, reason, name=name))

    def _process(self, path: Path, result: FileResult, *, into: str | None, doc_type: str | None, resumed: bool) -> None:
        if doc_type is not None:
            try:
                doc_type = doc_type_code(doc_type)
            except ValueError as exc:
                raise DocgenError(str(exc)) from exc
        if into is not None:
            self.archive.owner(into)  # NotFoundError early, before any OCR
        result.sha256 = sha256_file(path)
        self.catalog.refresh(self._journal_seq())
        hit = self.catalog.find_hash(result.sha256)
        if hit is not None:
            self._already_archived(path, result, hit, resumed)
            return
        total = self.catalog.segment_total(result.sha256)
        if total is not None and len(self.catalog.segments_filed(result.sha256)) >= total:
            self._settle_known(
                path, result,
                recovered=f"中断前已拆分归档(共 {total} 份),已清理处理区中的副本" if resumed else None,
                duplicate=f"这份批量扫描已拆分归档(共 {total} 份)",
            )
            return
        with ScanFile(path, max_pixels=self.settings.max_image_pixels, max_pages=self.settings.max_pages) as scan:
            result.pages = scan.page_count
            codes = self._read_codes(scan)
            if into is None and any(isinstance(c, SeparatorCode) for page in codes for c in page):
                self._split(path, scan, codes, result)
                return
            texts = self._texts(scan, range(scan.page_count), result)
        ident = self._identify(path.name, texts, codes, into=into, doc_type=doc_type)
        if ident.date is None:
            ident.date = date_from_text("\n".join(t.text for t in texts))
        self._file_or_review(path, result, texts, ident, resumed=resumed)

    def _already_archived(self, path: Path, result: FileResult, hit: tuple[str, str, str], resumed: bool) -> None:
        owner_key, doc_id, original = hit
        result.owner_key, result.doc_id = owner_key, doc_id
        self._settle_known(
            path, result,
            recovered=(f"中断前已归档为 {doc_id}({owner_key}),已清理处理区中的副本"
                       if resumed and original == path.name else None),
            duplicate=f"与已归档文件 {doc_id}({owner_key},原文件名 {original})完全相同(sha256 {result.sha256[:12]}…)",
        )

    def _settle_known(self, path: Path, result: FileResult, *, recovered: str | None, duplicate: str) -> None:
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
        result.moved_to = str(self.areas.duplicate(path, duplicate))

    # -- reading -------------------------------------------------------------------
    def _read_codes(self, scan: ScanFile) -> list[list[DocumentCode | SeparatorCode]]:
        codes: list[list[DocumentCode | SeparatorCode]] = []
        for i in range(scan.page_count):
            try:
                codes.append(read_codes(scan.image(i, self.settings.qr_dpi)))
            except (ValueError, RuntimeError):
                codes.append([])
        return codes

    def _texts(self, scan: ScanFile, pages: Iterable[int], result: FileResult) -> list[PageText]:
        out: list[PageText] = []
        for i in pages:
            def announce(i: int = i) -> None:
                self.progress("OCR", i + 1, scan.page_count, result.name)

            text = page_text(scan, i, dpi=self.settings.ocr_dpi, ocr=self.ocr, before_ocr=announce)
            if text.origin != "text":
                result.ocr_pages += 1
            result.ocr_doubtful += [{"page": text.n, **d.model_dump(mode="json")} for d in text.doubtful]
            out.append(text)
        return out

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
        self, path: Path, result: FileResult, texts: list[PageText], ident: Identification, *, resumed: bool = False
    ) -> None:
        result.method = ident.method
        result.confidence = ident.confidence
        if ident.complete and ident.confidence >= self.settings.review_threshold:
            self._file(path, result, texts, ident, resumed=resumed)
            return
        queued = next((e for e in self.areas.reviews() if e.get("sha256") == result.sha256), None)
        if queued is not None:
            result.status = "duplicate"
            result.message = f"与待确认队列中的 {queued.get('original_name')}(编号 {queued.get('id')})完全相同"
            result.moved_to = str(self.areas.duplicate(path, result.message))
            return
        sidecar = {
            "original_name": path.name,
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
        result.status = "review"
        result.owner_key, result.doc_type = ident.owner_key, ident.doc_type
        result.review_id = self.areas.to_review(path, sidecar)
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
        note: str = "",
        original_name: str | None = None,
        check_duplicate: bool = True,
        resumed: bool = False,
    ) -> None:
        assert ident.owner_key and ident.doc_type
        label = doc_type_label(ident.doc_type)
        name = original_name or path.name
        try:
            with self.archive.transaction("document.add", ident.owner_key, f"扫描归档 {label}({name})") as tx:
                if check_duplicate:
                    self.catalog.refresh(self._journal_seq())
                    hit = self.catalog.find_hash(result.sha256)
                    if hit is not None:
                        raise _Duplicate(hit)
                doc = self.archive.add_document(
                    ident.owner_key,
                    path,
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
            self._already_archived(path, result, dup.where, resumed=resumed)
            return
        result.status = "filed"
        result.owner_key, result.doc_id, result.doc_type = ident.owner_key, doc.id, ident.doc_type
        result.method, result.confidence = ident.method, ident.confidence
        result.message = f"已归档为 {doc.id}:{ident.owner_key} {label}" + (f",替代 {ident.supersedes}(已签字)" if ident.supersedes else "")
        path.unlink(missing_ok=True)  # gone already if another host adopted it meanwhile
        self._run_hooks(result)

    def _run_hooks(self, result: FileResult) -> None:
        for hook in self.hooks:
            try:
                hook(result)
            except Exception as exc:  # the file is safely filed; the index is derived and rebuildable
                result.warnings.append(f"归档后处理(如检索索引)失败:{exc};可运行 docgen index rebuild 重建")

    # -- batch scans with separator sheets ------------------------------------------------
    def _split(self, path: Path, scan: ScanFile, codes: list[list[DocumentCode | SeparatorCode]], result: FileResult) -> None:
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
            part_name = f"{path.stem}-{n:02d}{_part_suffix(scan)}"
            part = FileResult(part_name, "failed", pages=len(pages))
            result.parts.append(part)
            if n in done:
                part.status, part.owner_key = "recovered", done[n]
                part.message = f"中断前已归档到 {done[n]}"
                continue
            part_path = self.worker.dir / f".part-{result.sha256[:8]}-{n:02d}{_part_suffix(scan)}"
            _write_part(scan, path, pages, part_path)
            part_started = time.perf_counter()
            try:
                part.sha256 = sha256_file(part_path)
                texts = self._texts(scan, pages, part)
                token = f"{result.sha256}#{n}/{total}"
                note = f"批量扫描 {path.name} 中第 {n}/{total} 份(批次 {token})"
                if sep is None:
                    ident = self._identify(part_name, texts, [codes[i] for i in pages], into=None, doc_type=None)
                else:
                    ident = self._separator_ident(sep)
                ident.date = ident.date or date_from_text("\n".join(t.text for t in texts))
                if ident.complete and ident.confidence >= self.settings.review_threshold:
                    self._file(part_path, part, texts, ident, note=note, original_name=part_name, check_duplicate=False)
                else:
                    renamed = part_path.with_name(part_name)
                    part_path.rename(renamed)
                    self._file_or_review(renamed, part, texts, ident)
            except (BadInput, DocgenError) as exc:
                # under its visible name (a hidden .part- file would escape --retry), from wherever it is
                current = part_path if part_path.exists() else part_path.with_name(part_name)
                reason = exc.reason if isinstance(exc, BadInput) else str(exc)
                self._fail(current, part, f"{reason}(批量扫描 {path.name} 中第 {n}/{total} 份)", name=part_name)
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
        claimed = self.worker.claim(path)
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
            self._file(claimed, result, texts, ident, original_name=entry.get("original_name"))
        except DocgenError:
            with contextlib.suppress(OSError):
                claimed.rename(path)  # back into the queue, sidecar untouched
            raise
        sidecar.unlink(missing_ok=True)
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


def _part_suffix(scan: ScanFile) -> str:
    return ".pdf" if scan.kind == "pdf" else ".tif"


def _write_part(scan: ScanFile, source: Path, pages: list[int], out: Path) -> None:
    """Write the given pages of a batch scan as a file of their own (pypdf for PDFs, Pillow for TIFFs)."""
    if scan.kind == "pdf":
        from pypdf import PdfReader, PdfWriter

        reader = PdfReader(str(source))
        writer = PdfWriter()
        for i in pages:
            writer.add_page(reader.pages[i])
        with open(out, "wb") as fh:
            writer.write(fh)
    else:
        frames = [scan.image(i, 0) for i in pages]
        frames[0].save(out, "TIFF", save_all=True, append_images=frames[1:], compression="tiff_deflate")


def _expand(paths: Iterable[Path]) -> Iterator[Path]:
    for path in paths:
        if path.is_dir():
            for child in sorted(path.iterdir()):
                if child.is_file() and not is_ignored(child.name):
                    yield child
        else:
            yield path
