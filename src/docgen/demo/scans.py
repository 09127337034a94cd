"""Paper that looks like the department's: text PDFs and scanned pages rendered from known text.

Used by the sample archive (``docgen demo``), by the OCR benchmark (which needs
scans whose true text is known) and by tests.  Two kinds of output:

* a *text PDF* (what Word or docgen itself would print) with a real text layer,
  written by reportlab with an embedded TrueType CJK font;
* a *scan*: the page drawn into a bitmap at a given dpi, optionally rotated,
  noisy and JPEG-compressed, saved as PNG/JPEG, a multi-page TIFF, or an
  image-only PDF (no text layer: only OCR can read it).

Fonts: reportlab can embed only TrueType-outline fonts, so WenQuanYi Zen Hei
(``fonts-wqy-zenhei``) is preferred for PDFs; the Noto CJK OpenType fonts work
for bitmaps.  Without any CJK font, PDFs fall back to reportlab's built-in
``STSong-Light`` CID font (not embedded: text extraction still works, but a
renderer without CJK fonts shows boxes) and bitmaps cannot be drawn
(:class:`FontMissing` says what to install).
"""

from __future__ import annotations

import datetime as dt
import io
import random
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter, ImageFont

from docgen.errors import DocgenError

A4_MM = (210.0, 297.0)
_TRUETYPE_CANDIDATES = (
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/wqy-zenhei/wqy-zenhei.ttc",
    "C:/Windows/Fonts/simsun.ttc",
    "C:/Windows/Fonts/simhei.ttf",
)
_ANY_CANDIDATES = (
    *_TRUETYPE_CANDIDATES,
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
)


class FontMissing(DocgenError):
    """No CJK font is installed, so Chinese pages cannot be drawn."""


@lru_cache(maxsize=2)
def find_cjk_font(truetype_only: bool = False) -> Path | None:
    """Return the path of an installed CJK font (TrueType outlines if asked), or None."""
    for candidate in _TRUETYPE_CANDIDATES if truetype_only else _ANY_CANDIDATES:
        if Path(candidate).is_file():
            return Path(candidate)
    return None


@lru_cache(maxsize=8)
def _pil_font(size: int) -> ImageFont.FreeTypeFont:
    path = find_cjk_font()
    if path is None:
        raise FontMissing("未安装中文字体,无法绘制扫描页;请安装 fonts-wqy-zenhei 或 fonts-noto-cjk(setup.sh 会安装)")
    return ImageFont.truetype(str(path), size=size, index=0)


@lru_cache(maxsize=1)
def reportlab_font() -> str:
    from reportlab.pdfbase import pdfmetrics

    path = find_cjk_font(truetype_only=True)
    if path is not None:
        from reportlab.pdfbase.ttfonts import TTFont

        pdfmetrics.registerFont(TTFont("DocgenCJK", str(path), subfontIndex=0))
        return "DocgenCJK"
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    return "STSong-Light"


def _wrap(line: str, max_chars: int) -> list[str]:
    if len(line) <= max_chars:
        return [line]
    return [line[i : i + max_chars] for i in range(0, len(line), max_chars)]


def text_pdf(pages: Sequence[Sequence[str]], out: Path, *, qr_payload: str | None = None, font_size: float = 11) -> Path:
    """Write a PDF with a real text layer: one list of lines per page; optional QR code top right."""
    from reportlab.lib.units import mm
    from reportlab.pdfgen import canvas

    font = reportlab_font()
    width, height = A4_MM[0] * mm, A4_MM[1] * mm
    c = canvas.Canvas(str(out), pagesize=(width, height), invariant=1)
    qr_image = _qr_image(qr_payload) if qr_payload else None
    max_chars = int((width - 40 * mm) / (font_size * 1.0))
    for lines in pages:
        y = height - 25 * mm
        if qr_image is not None:
            from reportlab.lib.utils import ImageReader

            c.drawImage(ImageReader(qr_image), width - 40 * mm, height - 40 * mm, 25 * mm, 25 * mm)
        for i, line in enumerate(lines):
            size = font_size + 5 if i == 0 else font_size
            c.setFont(font, size)
            for part in _wrap(line, max_chars if i else max_chars - 6):
                if i == 0:
                    c.drawCentredString(width / 2, y, part)
                else:
                    c.drawString(20 * mm, y, part)
                y -= size * 1.8
                if y < 20 * mm:
                    break
        c.showPage()
    c.save()
    return out


def _qr_image(payload: str, pixels_per_module: int = 8) -> Image.Image:
    import segno

    buf = io.BytesIO()
    segno.make(payload, error="m", micro=False).save(buf, kind="png", scale=pixels_per_module, border=2)
    buf.seek(0)
    return Image.open(buf).convert("L")


def page_image(
    lines: Sequence[str],
    *,
    dpi: int = 300,
    rotate: float = 0.0,
    noise: float = 0.0,
    blur: float = 0.0,
    qr_payload: str | None = None,
    seed: int = 0,
) -> Image.Image:
    """Draw one A4 page of text as a grayscale scan (rotated, noisy, blurred as asked)."""
    w = int(A4_MM[0] / 25.4 * dpi)
    h = int(A4_MM[1] / 25.4 * dpi)
    img = Image.new("L", (w, h), 255)
    draw = ImageDraw.Draw(img)
    body = _pil_font(max(12, int(dpi * 11 / 72)))
    title = _pil_font(max(14, int(dpi * 16 / 72)))
    margin = int(20 / 25.4 * dpi)
    max_chars = max(10, (w - 2 * margin) // int(dpi * 11 / 72))
    y = int(25 / 25.4 * dpi)
    if qr_payload:
        qr = _qr_image(qr_payload, pixels_per_module=max(2, dpi // 40))
        side = int(25 / 25.4 * dpi)
        img.paste(qr.resize((side, side), Image.Resampling.NEAREST), (w - margin - side, int(12 / 25.4 * dpi)))
        y = int(42 / 25.4 * dpi)
    for i, line in enumerate(lines):
        font = title if i == 0 else body
        for part in _wrap(line, max_chars):
            if i == 0:
                tw = draw.textlength(part, font=font)
                draw.text(((w - tw) / 2, y), part, fill=0, font=font)
            else:
                draw.text((margin, y), part, fill=0, font=font)
            y += int(font.size * 1.8)
            if y > h - margin:
                break
    if rotate:
        img = img.rotate(rotate, resample=Image.Resampling.BICUBIC, expand=False, fillcolor=255)
    if blur:
        img = img.filter(ImageFilter.GaussianBlur(blur))
    if noise:
        rng = random.Random(seed)
        px = img.load()
        assert px is not None
        count = int(w * h * noise)
        for _ in range(count):
            x, yy = rng.randrange(w), rng.randrange(h)
            px[x, yy] = rng.choice((0, 96, 160, 255))
    return img


def save_scan(
    images: Sequence[Image.Image],
    out: Path,
    *,
    dpi: int = 300,
    jpeg_quality: int | None = None,
    created: dt.datetime | None = None,
) -> Path:
    """Save page images as a scanner would: .pdf (image-only), .tif (multi-page), .jpg or .png (first page).

    ``created`` fixes the PDF's creation date (default: now), so that a seeded
    sample archive is the same bytes on every run.
    """
    suffix = out.suffix.lower()
    if not images:
        raise ValueError("no pages")
    if suffix == ".pdf":
        rgb = [im.convert("RGB") for im in images]
        if jpeg_quality:
            rgb = [_jpeg_roundtrip(im, jpeg_quality) for im in rgb]
        when = created.timetuple() if created is not None else None  # Pillow wants a struct_time
        stamp = {"creationDate": when, "modDate": when} if when is not None else {}
        rgb[0].save(out, "PDF", resolution=dpi, save_all=True, append_images=rgb[1:], **stamp)
    elif suffix in (".tif", ".tiff"):
        images[0].save(out, "TIFF", dpi=(dpi, dpi), save_all=True, append_images=list(images[1:]), compression="tiff_deflate")
    elif suffix in (".jpg", ".jpeg"):
        images[0].convert("RGB").save(out, "JPEG", quality=jpeg_quality or 85, dpi=(dpi, dpi))
    elif suffix == ".png":
        images[0].save(out, "PNG", dpi=(dpi, dpi))
    else:
        raise ValueError(f"unsupported scan format {suffix}")
    return out


def _jpeg_roundtrip(img: Image.Image, quality: int) -> Image.Image:
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=quality)
    buf.seek(0)
    return Image.open(buf).convert("RGB")
