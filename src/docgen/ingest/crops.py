"""Pictures of the lines OCR left in doubt (OCR 存疑), cut from the page on demand, for a person to read and type.

Crops are not stored: the page image and each doubtful line's box are in the
archive already (``Document.pages[].doubtful``), so a crop is rendered from
the filed file when someone asks for it (the CLI's ``document show --crops``,
later the web review page).  Nothing derived has to be kept in step with the
record, and a crop always shows what the archived file really holds.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PIL import Image

from docgen.errors import NotFoundError, UsageError
from docgen.ingest.text import ScanFile
from docgen.models import PageInfo

MAX_PIXELS = 80_000_000


def crop_png(path: Path, pages: list[PageInfo], page: int, line: int, *, what: str) -> bytes:
    """The PNG of doubtful line ``line`` (from 1) of page ``page`` (from 1) of the scan at ``path``.

    ``what`` names the document in messages (e.g. ``文件 DOC-2026-000012``).
    The line is shown with half a line of the page above and below it, so that
    a person sees what surrounds it.
    """
    info = next((p for p in pages if p.n == page), None)
    if info is None:
        raise NotFoundError(f"{what}没有第 {page} 页")
    if not info.doubtful:
        raise NotFoundError(f"{what}第 {page} 页没有 OCR 存疑的行")
    if not 1 <= line <= len(info.doubtful):
        raise UsageError(f"{what}第 {page} 页只有 {len(info.doubtful)} 行 OCR 存疑,没有第 {line} 行")
    doubt = info.doubtful[line - 1]
    with ScanFile(path, max_pixels=MAX_PIXELS) as scan:
        if page > scan.page_count:
            raise NotFoundError(f"{what}的文件只有 {scan.page_count} 页")
        image = _page_image(scan, page - 1, info)
    x0, y0, x1, y1 = _scaled(doubt.box, info, image)
    pad = max(8, (y1 - y0) // 2)
    crop = image.crop((max(0, x0 - pad), max(0, y0 - pad), min(image.width, x1 + pad), min(image.height, y1 + pad)))
    buf = io.BytesIO()
    crop.save(buf, "PNG")
    return buf.getvalue()


def _page_image(scan: ScanFile, i: int, info: PageInfo) -> Image.Image:
    """The page as OCR saw it: an image file's own frame, a PDF page rendered to the size OCR read it at."""
    points = scan.page_points(i)
    if points is None or not info.size:
        return scan.image(i, 300)
    return scan.image(i, max(36, round(info.size[0] / points[0] * 72)))  # the resolution OCR rendered it at


def _scaled(box: list[int], info: PageInfo, image: Image.Image) -> tuple[int, int, int, int]:
    """The box in the pixels of ``image`` (the page may have been rendered at another size than OCR's)."""
    if not info.size or tuple(info.size) == image.size:
        return box[0], box[1], box[2], box[3]
    fx, fy = image.width / info.size[0], image.height / info.size[1]
    return int(box[0] * fx), int(box[1] * fy), int(box[2] * fx), int(box[3] * fy)


def document_crop(archive: Any, doc_id: str, page: int, line: int) -> bytes:
    """The PNG of a filed document's doubtful line (page and line from 1, as ``document show --text`` numbers them)."""
    owner, doc = archive.find_document(doc_id)
    return crop_png(archive.document_path(owner, doc), doc.pages, page, line, what=f"文件 {doc.id} ")


def review_crop(areas: Any, review_id: str, page: int, line: int) -> bytes:
    """The PNG of a doubtful line of a file waiting in the review queue (``areas``: the inbox's work areas)."""
    matches = [e for e in areas.reviews() if str(e.get("id", "")).startswith(review_id.strip())]
    if len(review_id.strip()) < 4 or len(matches) != 1:
        raise NotFoundError(f"待确认队列中没有唯一的 {review_id}(用 docgen review list 查看)")
    entry = matches[0]
    pages = [PageInfo.model_validate(p) for p in entry.get("pages", [])]
    return crop_png(Path(entry["path"]), pages, page, line, what=f"待确认文件 {entry.get('original_name', review_id)} ")


def mark_doubtful(text: str, info: PageInfo | None, mask: Callable[[str], str] | None = None) -> str:
    """A page's text with its doubtful lines marked (⚠ … 〔OCR 存疑 #k …〕), and a marker where a line may be missing.

    The numbers #k are the ones :func:`document_crop` takes, so a person can
    look at the picture of exactly that line.  ``mask`` (the privacy policy's
    ``mask_text`` unless revealed) masks what was read of a missing line,
    which is not part of the already-masked page text.
    """
    if info is None or not info.doubtful:
        return text
    lines = text.split("\n")
    marks: dict[int, list[str]] = {}
    before: dict[int, list[str]] = {}
    for k, d in enumerate(info.doubtful, start=1):
        conf = f",置信度 {d.confidence:.2f}" if d.confidence is not None else ""
        row = d.row if d.row is not None else len(lines) + 1
        if d.text.strip() and not d.missing and 1 <= row <= len(lines):
            marks.setdefault(row, []).append(f"#{k} {d.reason}{conf}")
        else:
            read = f",读出「{mask(d.text) if mask else d.text}」" if d.text.strip() else ""
            before.setdefault(row, []).append(f"⚠ 〔OCR 存疑 #{k}:此处可能有一行未读出({d.reason}{read})〕")
    out: list[str] = []
    for i, line in enumerate(lines, start=1):
        out.extend(before.get(i, []))
        out.append(f"⚠ {line}  〔OCR 存疑 {';'.join(marks[i])}〕" if i in marks else line)
    for row in sorted(r for r in before if r > len(lines)):
        out.extend(before[row])
    return "\n".join(out)
