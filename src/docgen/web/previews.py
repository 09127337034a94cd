"""Page images of archived documents: PNGs rendered from the PDF or scan, cached outside the archive.

A dossier page shows a thumbnail of each document's first page and the
document page shows every page at a readable size.  Rendering a PDF page
takes tens of milliseconds, so each image is rendered once and kept in the
cache folder (``[web] cache``, by default ``cache/pages`` inside the search
index folder: derived data, never in ``records/``), named by the file's
sha256, the page and the size: a file that changes gets new images, and the
cache can be deleted at any time.

Files are opened with the ingest pipeline's reader
(:class:`docgen.ingest.text.ScanFile`), which refuses decompression bombs
and damaged files with a Chinese reason.  pdfium is not thread-safe, so
rendering takes turns under one lock.
"""

from __future__ import annotations

import contextlib
import os
import threading
from pathlib import Path

from docgen.errors import DocgenError, NotFoundError, show_input

SIZES: dict[str, tuple[int, int]] = {
    # name: (width in pixels, dpi a PDF page is rendered at before scaling to that width)
    "thumb": (220, 40),
    "page": (1000, 130),
}
_RENDER_LOCK = threading.Lock()


class PreviewError(DocgenError):
    """A page image cannot be made (damaged file, no such page)."""


class PreviewCache:
    """Rendered page images by (sha256, page, size) under one folder."""

    def __init__(self, root: Path, max_pixels: int) -> None:
        self.root = root
        self.max_pixels = max_pixels

    def path_for(self, sha256: str, page: int, size: str) -> Path:
        """Where the image of ``page`` (1-based) at ``size`` of the file with this hash is cached."""
        if size not in SIZES:
            raise NotFoundError(f"图像尺寸 {show_input(size)} 无效,应为 {'、'.join(SIZES)}")
        digest = "".join(c for c in sha256.lower() if c in "0123456789abcdef")[:64] or "nohash"
        return self.root / digest[:2] / f"{digest}-{page}-{size}.png"

    def image(self, source: Path, sha256: str, page: int, size: str, pages: int | None = None) -> Path:
        """The cached PNG of one page, rendering it first if needed; NotFoundError for a page that does not exist."""
        if page < 1 or (pages is not None and page > max(pages, 1)):
            raise NotFoundError(f"第 {page} 页不存在")
        target = self.path_for(sha256, page, size)
        if target.is_file():
            return target
        with _RENDER_LOCK:
            if target.is_file():
                return target
            self._render(source, page, size, target)
        return target

    def _render(self, source: Path, page: int, size: str, target: Path) -> None:
        from PIL import Image

        from docgen.ingest.text import BadInput, ScanFile

        width, dpi = SIZES[size]
        try:
            with ScanFile(source, max_pixels=self.max_pixels) as scan:
                if page > scan.page_count:
                    raise NotFoundError(f"第 {page} 页不存在(共 {scan.page_count} 页)")
                img = scan.image(page - 1, dpi)
        except BadInput as exc:
            raise PreviewError(f"无法显示该文件的页面:{exc.reason}") from exc
        except FileNotFoundError as exc:
            raise PreviewError("档案中缺少该文件本身(docgen verify 可查)") from exc
        if img.width > width:
            img = img.resize((width, max(1, round(img.height * width / img.width))), Image.Resampling.LANCZOS)
        if img.mode not in ("L", "RGB"):
            img = img.convert("RGB")
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        try:
            img.save(tmp, "PNG", optimize=True)
            os.replace(tmp, target)
        finally:
            with contextlib.suppress(OSError):
                tmp.unlink()
