"""Open a scanned or printed file and get each page's text: PDF text layer first, OCR where there is none.

Formats are recognised by their first bytes, not by the name: PDF, PNG, JPEG,
TIFF (every page of a multi-page TIFF), BMP and WebP.  Anything that cannot be
read safely raises :class:`BadInput` with a Chinese reason that the pipeline
writes beside the file in the failed area: empty files, unsupported types,
encrypted or damaged PDFs, decompression bombs and absurdly large images.

Why pypdfium2 for PDFs: it extracts text about 10x faster than pypdf (0.4 ms
against 2.6-8.6 ms per page, both correct on Chinese) and also renders pages to
bitmaps for OCR and QR reading, which pypdf cannot do.  pypdf is used where we
write PDFs (splitting a batch scan).
"""

from __future__ import annotations

import contextlib
import io
import threading
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Union

from PIL import Image

from docgen.errors import DocgenError
from docgen.ingest.normalize import compact, normalize_text
from docgen.models import DoubtfulLine, PageInfo

if TYPE_CHECKING:
    from docgen.ingest.ocr import OcrPage

MAGIC: list[tuple[bytes, str]] = [
    (b"%PDF-", "pdf"),
    (b"\x89PNG\r\n\x1a\n", "image"),
    (b"\xff\xd8\xff", "image"),
    (b"II*\x00", "image"),
    (b"MM\x00*", "image"),
    (b"BM", "image"),
]
SUPPORTED = "PDF、PNG、JPEG、TIFF、BMP、WebP"
# suffixes that claim a supported format, and what other content commonly hides behind them
_CLAIMED = {".pdf": "PDF", ".png": "PNG 图片", ".jpg": "JPEG 图片", ".jpeg": "JPEG 图片", ".tif": "TIFF 图片",
            ".tiff": "TIFF 图片", ".bmp": "BMP 图片", ".webp": "WebP 图片"}
_LOOKS_LIKE = [(b"PK\x03\x04", " ZIP 压缩包或 Office 文档"), (b"Rar!", " RAR 压缩包"), (b"7z\xbc\xaf", " 7z 压缩包"),
               (b"\xd0\xcf\x11\xe0", "旧版 Office 文档"), (b"GIF8", " GIF 图片"), (b"<", "网页或 XML 文本")]
MIN_TEXT_CHARS = 4


class BadInput(DocgenError):
    """A file that cannot be ingested; the message is the reason written beside it."""

    def __init__(self, reason: str, code: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.code = code


@dataclass(slots=True)
class PageText:
    """The text of one page and how it was obtained (with the lines OCR left in doubt)."""

    n: int
    text: str
    origin: str  # "text" | "ocr" | "none"
    confidence: float | None
    seconds: float = 0.0
    doubtful: list[DoubtfulLine] = field(default_factory=list)
    rereads: list[str] = field(default_factory=list)
    size: tuple[int, int] | None = None

    @property
    def chars(self) -> int:
        """Characters of text, whitespace excluded."""
        return len(compact(self.text))

    def info(self) -> PageInfo:
        """The page's record for the archive (``Document.pages``)."""
        return PageInfo(
            n=self.n, origin=self.origin, confidence=self.confidence, chars=self.chars,
            size=list(self.size) if self.size and self.doubtful else None,
            rereads=list(self.rereads), doubtful=list(self.doubtful),
        )

    @classmethod
    def from_info(cls, info: PageInfo, text: str) -> PageText:
        """A page's text back from its record (filing from review never OCRs again)."""
        size = (info.size[0], info.size[1]) if info.size and len(info.size) == 2 else None
        return cls(info.n, text, info.origin, info.confidence, doubtful=list(info.doubtful),
                   rereads=list(info.rereads), size=size)


PDFIUM = threading.RLock()
"""pdfium is not thread-safe, not even for different documents (pypdfium2's documentation): every call into it
in this process takes turns here (the server's upload jobs, its watcher and its page previews run in different
threads; at once, they corrupted the heap: a 20,000-household bench with uploads ended in a glibc malloc abort).
Pages, text pages and bitmaps are closed under the lock, never left to a finalizer on another thread."""


def sniff(path: Path) -> str:
    """Return "pdf" or "image" from the file's first bytes; BadInput for empty or unsupported files."""
    try:
        size = path.stat().st_size
        with open(path, "rb") as fh:
            head = fh.read(1024)
    except OSError as exc:
        raise BadInput(f"无法读取文件:{exc.strerror or exc}", "unreadable") from exc
    if size == 0:
        raise BadInput("文件为空(0 字节),可能是扫描仪未写完或传输中断;请重新扫描", "empty")
    if b"%PDF-" in head:
        return "pdf"
    for magic, kind in MAGIC:
        if head.startswith(magic):
            return kind
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image"
    suffix = path.suffix.lower() or "(无扩展名)"
    if suffix in _CLAIMED:
        # a name that promises a scan whose bytes are something else: say so, not "unsupported .pdf"
        what = next((f"看起来是{label}" for magic, label in _LOOKS_LIKE if head.startswith(magic)), "内容无法识别")
        raise BadInput(f"文件名是 {suffix},但内容不是 {_CLAIMED[suffix]}({what});"
                       f"请确认是扫描件原件,只能归档 {SUPPORTED} 格式", "unsupported")
    raise BadInput(f"不支持的文件类型 {suffix}:只能归档 {SUPPORTED} 格式的扫描件", "unsupported")


class ScanFile:
    """An opened PDF or image: page count, text layer per page, and page bitmaps on demand."""

    def __init__(self, path: Path, *, max_pixels: int, max_pages: int = 500) -> None:
        self.path = path
        self.kind = sniff(path)
        self.max_pixels = max_pixels
        self._pdf: Any = None
        self._img: Image.Image | None = None
        self._frame_count = 0
        if self.kind == "pdf":
            self._open_pdf()
        else:
            self._open_image()
        if self.page_count > max_pages:
            self.close()
            raise BadInput(f"页数过多({self.page_count} 页,上限 {max_pages} 页);请分成几份扫描", "too_many_pages")

    # -- opening ---------------------------------------------------------------
    def _open_pdf(self) -> None:
        with PDFIUM:
            self._open_pdf_locked()

    def _open_pdf_locked(self) -> None:
        import pypdfium2 as pdfium

        try:
            self._pdf = pdfium.PdfDocument(str(self.path))
        except pdfium.PdfiumError as exc:
            message = str(exc).lower()
            if "password" in message:
                raise BadInput("PDF 已加密(需要密码才能打开);请扫描成不加密的 PDF,或先解除密码再放入", "encrypted") from exc
            raise BadInput(f"PDF 文件已损坏或格式不正确,无法打开({exc});请重新扫描或导出", "malformed_pdf") from exc
        if len(self._pdf) == 0:
            self.close()
            raise BadInput("PDF 中没有任何页面", "malformed_pdf")
        for i in range(len(self._pdf)):
            page = self._pdf[i]
            try:
                w, h = page.get_size()
            finally:
                page.close()  # now, under the lock: not in a finalizer on whichever thread collects it
            if w <= 0 or h <= 0 or w > 14400 or h > 14400:  # PDF's own limit is 200 inches
                self.close()
                raise BadInput(f"PDF 第 {i + 1} 页尺寸异常({w:.0f}×{h:.0f} 点),不像扫描件", "page_size")

    def _open_image(self) -> None:
        """Open an image and check every frame's size from its header; frames are decoded one at a time later."""
        with self._image_errors():
            img = Image.open(self.path)
            self._img = img
            count = int(getattr(img, "n_frames", 1))
            for i in range(count):
                img.seek(i)
                self._check_size(img.size)
            self._frame_count = count
            img.seek(0)
            img.load()  # decode the first frame now, so a truncated file fails here

    @contextlib.contextmanager
    def _image_errors(self) -> Iterator[None]:
        """Apply the pixel limit and turn Pillow's errors into reasons people can act on."""
        try:
            with _pixel_limit(self.max_pixels):
                yield
        except BadInput:
            self.close()
            raise
        except Image.DecompressionBombError as exc:
            self.close()
            raise BadInput(f"疑似解压炸弹:图像声明的像素数远超上限({exc}),为保护系统已拒绝打开", "bomb") from exc
        except Image.DecompressionBombWarning as exc:
            self.close()
            raise BadInput(f"图像像素数超过上限 {self.max_pixels:,},疑似解压炸弹或异常大图;请以 300 dpi 重新扫描", "too_large") from exc
        except (OSError, SyntaxError, ValueError, EOFError) as exc:
            self.close()
            raise BadInput(f"图像文件已损坏或格式不正确,无法读取({exc})", "malformed_image") from exc

    def _check_size(self, size: tuple[int, int]) -> None:
        w, h = size
        if w * h > self.max_pixels:
            raise BadInput(
                f"图像过大({w}×{h} 像素,超过上限 {self.max_pixels:,} 像素);请以 300 dpi 重新扫描", "too_large"
            )
        if w < 16 or h < 16:
            raise BadInput(f"图像过小({w}×{h} 像素),不像扫描件", "too_small")

    def close(self) -> None:
        """Release the PDF handle and page bitmaps."""
        if self._pdf is not None:
            with PDFIUM, contextlib.suppress(Exception):
                self._pdf.close()
            self._pdf = None
        if self._img is not None:
            with contextlib.suppress(Exception):
                self._img.close()
            self._img = None

    def __enter__(self) -> ScanFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- pages -----------------------------------------------------------------
    @property
    def page_count(self) -> int:
        """Number of pages (TIFF frames)."""
        return len(self._pdf) if self._pdf is not None else self._frame_count

    def page_points(self, i: int) -> tuple[float, float] | None:
        """Page ``i``'s size in PDF points (None for an image file)."""
        if self._pdf is None:
            return None
        with PDFIUM:
            page = self._pdf[i]
            try:
                w, h = page.get_size()
                return float(w), float(h)
            finally:
                page.close()

    def text_layer(self, i: int) -> str:
        """The PDF text layer of page ``i`` (0-based), raw; empty for images."""
        if self._pdf is None:
            return ""
        with PDFIUM:
            page = self._pdf[i]
            textpage = page.get_textpage()
            try:
                return str(textpage.get_text_range())
            finally:
                textpage.close()
                page.close()

    def image(self, i: int, dpi: int) -> Image.Image:
        """Page ``i`` as a bitmap: PDFs rendered at ``dpi`` (capped by the pixel limit), images as scanned."""
        if self._pdf is None:
            assert self._img is not None
            with self._image_errors():
                self._img.seek(i)
                return _to_page_mode(self._img)
        with PDFIUM:
            page = self._pdf[i]
            try:
                w, h = page.get_size()
                scale = dpi / 72
                if w * h * scale * scale > self.max_pixels:
                    scale = (self.max_pixels / (w * h)) ** 0.5
                bitmap = page.render(scale=scale, grayscale=True)
                try:
                    return bitmap.to_pil().convert("L").copy()  # our own pixels: the bitmap is freed here
                finally:
                    bitmap.close()
            finally:
                page.close()


def _to_page_mode(frame: Image.Image) -> Image.Image:
    """A decoded copy of the current frame in a mode OCR and zxing take (L or RGB, transparency on white)."""
    if frame.mode in ("L", "RGB"):
        return frame.copy()
    if frame.mode == "1":
        return frame.convert("L")
    if frame.mode in ("RGBA", "LA", "P", "PA"):
        rgba = frame.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.split()[3])
        return background
    return frame.convert("RGB")


_PIXEL_LOCK = threading.RLock()


@contextlib.contextmanager
def _pixel_limit(max_pixels: int) -> Iterator[None]:
    """Apply our pixel limit to Pillow and make its DecompressionBombWarning an error.

    Pillow's limit is a module global, so the change is made under a lock
    (two pipelines in one process, e.g. two watcher threads, must not mix limits).
    """
    with _PIXEL_LOCK:
        old = Image.MAX_IMAGE_PIXELS
        Image.MAX_IMAGE_PIXELS = max_pixels
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error", Image.DecompressionBombWarning)
                yield
        finally:
            Image.MAX_IMAGE_PIXELS = old


def usable(text: str) -> bool:
    """Tell whether a text layer is worth keeping (a scanner's PDF has none, or a few stray characters)."""
    return len(compact(text)) >= MIN_TEXT_CHARS


OcrFn = Callable[[Image.Image], Union[tuple[str, float | None], "OcrPage"]]
"""OCR of one page: (text, confidence), or an :class:`~docgen.ingest.ocr.OcrPage` with its doubtful lines."""


def page_text(scan: ScanFile, i: int, *, dpi: int, ocr: OcrFn, before_ocr: Callable[[], None] | None = None) -> PageText:
    """The text of page ``i``: its PDF text layer when usable, else OCR of the rendered page."""
    import time

    started = time.perf_counter()
    layer = scan.text_layer(i)
    if usable(layer):
        return PageText(i + 1, normalize_text(layer), "text", 1.0, time.perf_counter() - started)
    if before_ocr is not None:
        before_ocr()
    image = scan.image(i, dpi)
    read = ocr(image)
    if isinstance(read, tuple):
        raw, confidence = read
        doubts: list[DoubtfulLine] = []
        notes: list[str] = []
    else:
        raw, confidence, notes = read.text, read.confidence, list(read.notes)
        doubts = [
            DoubtfulLine(box=list(d.box), text=d.text, confidence=d.confidence, reason=d.reason, tried=list(d.tried), row=d.row,
                         missing=d.missing)
            for d in read.doubtful
        ]
    text = normalize_text(raw)
    rows = map_rows(raw, text)
    for d in doubts:  # normalising joins wrapped lines: point at the stored text's own lines
        if d.row is not None:
            d.row = rows.get(d.row, d.row if d.row <= len(rows) else len(text.splitlines()) + 1)
    origin = "ocr" if compact(text) or doubts else "none"
    return PageText(
        i + 1, text, origin, confidence if compact(text) else None, time.perf_counter() - started,
        doubtful=doubts, rereads=notes, size=image.size,
    )


def map_rows(raw: str, normalized: str) -> dict[int, int]:
    """Map each line of OCR's text (from 1) to the line of the normalised text holding it (wrapped lines are joined)."""
    targets = [compact(line) for line in normalized.split("\n")]
    out: dict[int, int] = {}
    j, used = 0, 0
    for k, line in enumerate(raw.split("\n"), start=1):
        piece = compact(line)
        if not piece:
            continue
        while j < len(targets) and not targets[j][used:].startswith(piece):
            if targets[j][used:] == "" or (j + 1 < len(targets) and targets[j + 1].startswith(piece)):
                j, used = j + 1, 0
            else:
                break
        if j >= len(targets):
            out[k] = len(targets)
            continue
        out[k] = j + 1
        if targets[j][used:].startswith(piece):
            used += len(piece)
    return out


def engine_ocr(image: Image.Image) -> OcrPage:
    """OCR a page with the process's shared RapidOCR engine (its doubtful lines included)."""
    from docgen.ingest.ocr import get_engine

    return get_engine().read(image)


def image_bytes(image: Image.Image, fmt: str = "PNG") -> bytes:
    """Encode a page image (for tests and splitting)."""
    buf = io.BytesIO()
    image.save(buf, fmt)
    return buf.getvalue()
