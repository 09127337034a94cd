"""Extraction: everything filing needs from a file, as a pure function of its bytes.

The ingest pipeline splits at its natural seam.  **Extract** opens the file
and reads it: the page count, the docgen QR codes on every page, the text of
every page (its text layer, or OCR of the rendered page, with the lines OCR
left in doubt).  It needs nothing but the bytes and a few settings (DPIs and
safety limits), so it can run anywhere: in this process (the default) or in a
``docgen worker`` on another machine (``docgen.workers``).  **File**
(identify, write, journal, index) needs the archive and its single writer and
stays in the pipeline (``pipeline.py``).

An :class:`Extraction` carries what filing needs and nothing else: the sha256
of the bytes that were read (filing checks it still matches the claimed file),
the file's kind, its QR codes, and per page a :class:`~docgen.ingest.text.PageText`
(text, origin, confidence, doubtful lines, re-reads, size).  Page images are
rendered inside extraction (for QR reading and OCR) and not returned: nothing
downstream needs them, and the web application renders its previews from the
archived file.  It travels as JSON (:meth:`Extraction.to_json`); a round trip
gives back equal values, so a file extracted in a worker is filed exactly as
one extracted here.

A batch scan with separator sheets (and no ``--into``) is read page by page:
the cover sheets are not read, and a page that cannot be read is recorded
against that page (filing fails only the part it belongs to), as the pipeline
did before the split.  Any other file stops at its first unreadable page.
"""

from __future__ import annotations

import json
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from docgen.archive.fsutil import sha256_file
from docgen.errors import DocgenError
from docgen.ingest.identify import read_codes
from docgen.ingest.names import safe_text
from docgen.ingest.text import BadInput, OcrFn, PageText, ScanFile, page_text
from docgen.models import DoubtfulLine
from docgen.qrcodes import DocumentCode, SeparatorCode, decode

PageHook = Callable[[int, int, str], None]
"""Called before each step of a page: (page index from 0, page count, stage "qr" | "text" | "ocr")."""

Code = DocumentCode | SeparatorCode


class ExtractionFailed(DocgenError):
    """Extraction stopped on something other than the file (a bug, a worker that gave up); the message says what."""


@dataclass(frozen=True, slots=True)
class ExtractOptions:
    """The settings extraction depends on (they travel with each job, so a worker needs no docgen.toml)."""

    ocr_dpi: int = 300
    qr_dpi: int = 150
    max_image_pixels: int = 80_000_000
    max_pages: int = 500
    split: bool = True
    """Separator sheets cut the file into documents (false with ``--into``): their pages are not read."""

    @classmethod
    def from_settings(cls, settings: Any, *, split: bool) -> ExtractOptions:
        """The options of an ``[ingest]`` section."""
        return cls(settings.ocr_dpi, settings.qr_dpi, settings.max_image_pixels, settings.max_pages, split)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"ocr_dpi": self.ocr_dpi, "qr_dpi": self.qr_dpi, "max_image_pixels": self.max_image_pixels,
                "max_pages": self.max_pages, "split": self.split}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ExtractOptions:
        """Back from :meth:`as_dict`."""
        return cls(int(data["ocr_dpi"]), int(data["qr_dpi"]), int(data["max_image_pixels"]), int(data["max_pages"]),
                   bool(data["split"]))


@dataclass(slots=True)
class Extraction:
    """What a file's bytes say: sha256, kind, QR codes and text per page (or why it could not be read)."""

    sha256: str
    kind: str = ""  # "pdf" | "image" (ScanFile.kind)
    page_count: int = 0
    codes: list[list[Code]] = field(default_factory=list)
    texts: list[PageText | None] = field(default_factory=list)
    """Per page; None for a separator sheet (not read) or a page in ``page_errors``."""
    page_errors: dict[int, tuple[str, str]] = field(default_factory=dict)
    """Pages of a batch scan that could not be read: index → (reason, code)."""
    error: tuple[str, str] | None = None
    """The file could not be read at all: (reason, code) of its BadInput."""
    failure: str | None = None
    """Extraction itself failed (not the file's fault): the message filing fails the file with."""
    seconds: float = 0.0
    worker: str = ""
    """Who extracted it (a worker's name; empty in this process)."""

    def check(self) -> None:
        """Raise what stopped extraction: the file's BadInput (failed with its reason) or ExtractionFailed."""
        if self.failure is not None:
            raise ExtractionFailed(self.failure)
        if self.error is not None:
            raise BadInput(*self.error)

    def page_texts(self, pages: list[int] | range) -> list[PageText]:
        """The texts of ``pages``; BadInput for the first of them that could not be read."""
        out: list[PageText] = []
        for i in pages:
            if i in self.page_errors:
                raise BadInput(*self.page_errors[i])
            text = self.texts[i]
            if text is None:
                raise ExtractionFailed(f"内部错误(第 {i + 1} 页未读取);请把此文件和原因交给维护人员")
            out.append(text)
        return out

    # -- travelling as JSON ---------------------------------------------------------------
    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form (floats as Python writes them, so a round trip gives equal values)."""
        return {
            "sha256": self.sha256, "kind": self.kind, "page_count": self.page_count,
            "codes": [[c.encode() for c in page] for page in self.codes],
            "texts": [None if t is None else _text_dict(t) for t in self.texts],
            "page_errors": {str(i): list(e) for i, e in self.page_errors.items()},
            "error": list(self.error) if self.error else None, "failure": self.failure,
            "seconds": self.seconds, "worker": self.worker,
        }

    def to_json(self) -> str:
        """The extraction as one JSON text (what a worker writes back)."""
        return json.dumps(self.as_dict(), ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Extraction:
        """Back from :meth:`as_dict`."""
        codes: list[list[Code]] = []
        for page in data.get("codes", []):
            decoded = [decode(p) for p in page]
            codes.append([c for c in decoded if c is not None])
        error = data.get("error")
        return cls(
            sha256=data["sha256"], kind=data.get("kind", ""), page_count=int(data.get("page_count", 0)), codes=codes,
            texts=[None if t is None else _text_from(t) for t in data.get("texts", [])],
            page_errors={int(i): (e[0], e[1]) for i, e in (data.get("page_errors") or {}).items()},
            error=(error[0], error[1]) if error else None, failure=data.get("failure"),
            seconds=float(data.get("seconds", 0.0)), worker=data.get("worker", ""),
        )

    @classmethod
    def from_json(cls, text: str | bytes) -> Extraction:
        """Back from :meth:`to_json`."""
        return cls.from_dict(json.loads(text))


def _text_dict(t: PageText) -> dict[str, Any]:
    return {
        "n": t.n, "text": t.text, "origin": t.origin, "confidence": t.confidence, "seconds": t.seconds,
        "doubtful": [d.model_dump(mode="json") for d in t.doubtful], "rereads": list(t.rereads),
        "size": list(t.size) if t.size else None,
    }


def _text_from(d: dict[str, Any]) -> PageText:
    size = d.get("size")
    return PageText(
        int(d["n"]), d["text"], d["origin"], d.get("confidence"), float(d.get("seconds", 0.0)),
        doubtful=[DoubtfulLine.model_validate(x) for x in d.get("doubtful", [])], rereads=list(d.get("rereads", [])),
        size=(int(size[0]), int(size[1])) if size else None,
    )


def extract(
    path: Path, options: ExtractOptions, *, ocr: OcrFn, sha256: str | None = None, on_page: PageHook | None = None
) -> Extraction:
    """Read a file: QR codes on every page, then the text of every page it needs; BadInput if it cannot be read.

    ``sha256`` is the hash the caller already computed of these bytes (else it is computed here).
    """
    started = time.perf_counter()
    hook = on_page or (lambda _i, _n, _s: None)
    digest = sha256 or sha256_file(path)
    with ScanFile(path, max_pixels=options.max_image_pixels, max_pages=options.max_pages) as scan:
        n = scan.page_count
        codes: list[list[Code]] = []
        for i in range(n):
            hook(i, n, "qr")
            try:
                codes.append(read_codes(scan.image(i, options.qr_dpi)))
            except (ValueError, RuntimeError):
                codes.append([])
        split = options.split and any(isinstance(c, SeparatorCode) for page in codes for c in page)
        texts: list[PageText | None] = [None] * n
        errors: dict[int, tuple[str, str]] = {}
        for i in range(n):
            if split and any(isinstance(c, SeparatorCode) for c in codes[i]):
                continue  # a cover sheet: it starts a document, it is not one
            hook(i, n, "text")
            try:
                texts[i] = page_text(scan, i, dpi=options.ocr_dpi, ocr=ocr,
                                     before_ocr=lambda i=i: hook(i, n, "ocr"))  # type: ignore[misc]
            except BadInput as exc:
                if not split:
                    raise
                errors[i] = (exc.reason, exc.code)  # fails only the part this page belongs to
        kind = scan.kind
    return Extraction(digest, kind, n, codes, texts, errors, seconds=round(time.perf_counter() - started, 3))


def extract_safely(
    path: Path, options: ExtractOptions, *, ocr: OcrFn, sha256: str | None = None, on_page: PageHook | None = None,
    worker: str = "",
) -> Extraction:
    """:func:`extract` that never raises: a file that cannot be read, or a bug, is recorded in the result.

    What a worker runs: the archive side fails the file with the same reason
    as an in-process extraction would have given.
    """
    started = time.perf_counter()
    digest = sha256 or sha256_file(path)
    try:
        result = extract(path, options, ocr=ocr, sha256=digest, on_page=on_page)
    except BadInput as exc:
        result = Extraction(digest, error=(exc.reason, exc.code))
    except DocgenError as exc:  # OCR unavailable on this worker, say
        result = Extraction(digest, failure=str(exc))
    except Exception as exc:
        detail = safe_text("".join(traceback.format_exception_only(type(exc), exc)).strip())
        result = Extraction(digest, failure=f"内部错误({detail});请把此文件和原因交给维护人员")
    result.seconds = round(time.perf_counter() - started, 3)
    result.worker = worker
    return result
