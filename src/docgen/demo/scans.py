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
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter

from docgen.fonts import pil_font, reportlab_font

A4_MM = (210.0, 297.0)


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
    return scan_page(lines, dpi=dpi, wear=Wear(rotate=rotate, noise=noise, blur=blur), qr_payload=qr_payload, seed=seed)[0]


@dataclass(frozen=True, slots=True)
class Wear:
    """What paper and scanner did to a page: skew, noise, faded or faint ink, uneven paper, a seal, a fold, JPEG.

    The OCR benchmark and tests plant each of these on pages of known text, so
    that a line lost to one of them can be told from a line read right.
    Line numbers (``faint``, ``stamp``, ``fold``) count printed lines from 0,
    after wrapping (see :func:`scan_page`).
    """

    rotate: float = 0.0
    noise: float = 0.0
    blur: float = 0.0
    ink: int = 0
    """Grey level of the toner (0 black; 120 a faded copy)."""
    paper: int = 255
    """Grey level of the paper."""
    uneven: float = 0.0
    """Strength (0-1) of uneven lighting and paper tone across the page."""
    faint: tuple[int, ...] = ()
    """Printed lines in faint ink (a toner-starved line), at ``faint_ink``."""
    faint_ink: int = 185
    stamp: int | None = None
    """A red round seal (公章) printed across this line."""
    fold: int | None = None
    """A fold (crease and its shadow) running across this line."""
    jpeg: int | None = None
    """JPEG quality the scan is compressed with (None: lossless)."""
    color: bool = False
    """An RGB scan (the seal is red); otherwise grayscale."""


@dataclass(frozen=True, slots=True)
class PrintedLine:
    """One printed line of a drawn page: its text and its corners in the final image (after rotation)."""

    text: str
    box: tuple[tuple[float, float], ...]

    @property
    def centre(self) -> tuple[float, float]:
        """The middle of the line in the image."""
        return (sum(p[0] for p in self.box) / 4, sum(p[1] for p in self.box) / 4)


def scan_page(
    lines: Sequence[str],
    *,
    dpi: int = 300,
    wear: Wear | None = None,
    qr_payload: str | None = None,
    seed: int = 0,
) -> tuple[Image.Image, list[PrintedLine]]:
    """Draw one A4 page of text as a scan worn as ``wear`` says; return it with where each printed line is."""
    wear = wear or Wear()
    w = int(A4_MM[0] / 25.4 * dpi)
    h = int(A4_MM[1] / 25.4 * dpi)
    img = Image.new("L", (w, h), 255)
    draw = ImageDraw.Draw(img)
    body = pil_font(max(12, int(dpi * 11 / 72)))
    title = pil_font(max(14, int(dpi * 16 / 72)))
    margin = int(20 / 25.4 * dpi)
    max_chars = max(10, (w - 2 * margin) // int(dpi * 11 / 72))
    y = int(25 / 25.4 * dpi)
    if qr_payload:
        qr = _qr_image(qr_payload, pixels_per_module=max(2, dpi // 40))
        side = int(25 / 25.4 * dpi)
        img.paste(qr.resize((side, side), Image.Resampling.NEAREST), (w - margin - side, int(12 / 25.4 * dpi)))
        y = int(42 / 25.4 * dpi)
    printed: list[tuple[str, tuple[int, int, int, int]]] = []
    for i, line in enumerate(lines):
        font = title if i == 0 else body
        for part in _wrap(line, max_chars):
            x = (w - draw.textlength(part, font=font)) / 2 if i == 0 else margin
            fill = wear.faint_ink if len(printed) in wear.faint else 0
            draw.text((x, y), part, fill=fill, font=font)
            box = draw.textbbox((x, y), part, font=font)
            printed.append((part, (int(box[0]), int(box[1]), int(box[2]), int(box[3]))))
            y += int(font.size * 1.8)
            if y > h - margin:
                break
    rng = random.Random(seed)
    page: Image.Image = img
    if wear.ink:  # faded toner: black becomes grey, white stays white
        page = page.point(lambda v: round(wear.ink + v * (255 - wear.ink) / 255))
    if wear.stamp is not None and wear.stamp < len(printed):
        page = _stamp(page, printed[wear.stamp][1], dpi, rng, color=wear.color)
    elif wear.color:
        page = page.convert("RGB")
    page = _paper(page, wear, rng)
    if wear.fold is not None and wear.fold < len(printed):
        page = _fold(page, printed[wear.fold][1], rng)
    fill_colour = (wear.paper,) * 3 if page.mode == "RGB" else wear.paper
    if wear.rotate:
        page = page.rotate(wear.rotate, resample=Image.Resampling.BICUBIC, expand=False, fillcolor=fill_colour)
    if wear.blur:
        page = page.filter(ImageFilter.GaussianBlur(wear.blur))
    if wear.noise:
        page = page.copy()  # an image made from a numpy array is read-only
        px = page.load()
        assert px is not None
        for _ in range(int(w * h * wear.noise)):
            x, yy = rng.randrange(w), rng.randrange(h)
            v = rng.choice((0, 96, 160, 255))
            px[x, yy] = (v, v, v) if page.mode == "RGB" else v
    if wear.jpeg:
        page = _jpeg_roundtrip(page, wear.jpeg)
        if not wear.color:
            page = page.convert("L")
    return page, [PrintedLine(text, _rotated_box(box, wear.rotate, w, h)) for text, box in printed]


def _rotated_box(box: tuple[int, int, int, int], angle: float, w: int, h: int) -> tuple[tuple[float, float], ...]:
    """The corners of ``box`` after PIL's ``rotate(angle)`` about the image centre (y down)."""
    x0, y0, x1, y1 = box
    rad = math.radians(angle)
    cos, sin = math.cos(rad), math.sin(rad)
    cx, cy = w / 2, h / 2
    out = []
    for x, y in ((x0, y0), (x1, y0), (x1, y1), (x0, y1)):
        dx, dy = x - cx, y - cy
        out.append((cx + dx * cos + dy * sin, cy - dx * sin + dy * cos))
    return tuple(out)


def _paper(page: Image.Image, wear: Wear, rng: random.Random) -> Image.Image:
    """Put the page on paper of tone ``wear.paper``, lit unevenly by ``wear.uneven`` (multiplied, like ink on paper)."""
    if wear.paper >= 255 and not wear.uneven:
        return page
    import numpy as np

    w, h = page.size
    # a smooth field: a few broad blobs plus a gradient, computed small and enlarged
    gw, gh = 24, 34
    yy, xx = np.mgrid[0:gh, 0:gw].astype(np.float32)
    field = (xx / gw) * rng.uniform(-0.5, 0.5) + (yy / gh) * rng.uniform(-0.5, 0.5)
    for _ in range(4):
        cx, cy, r = rng.uniform(0, gw), rng.uniform(0, gh), rng.uniform(4, 12)
        field += rng.uniform(-1, 1) * np.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / (2 * r * r))
    field -= field.min()
    field /= max(1e-6, float(field.max()))
    tone = wear.paper * (1 - 0.35 * wear.uneven * field)
    small = Image.fromarray(np.clip(tone, 0, 255).astype(np.uint8), "L")
    light = np.asarray(small.resize((w, h), Image.Resampling.BICUBIC), dtype=np.float32) / 255
    arr = np.asarray(page, dtype=np.float32)
    if arr.ndim == 3:
        light = light[:, :, None]
    return Image.fromarray(np.clip(arr * light, 0, 255).astype(np.uint8), page.mode)


def _stamp(page: Image.Image, line: tuple[int, int, int, int], dpi: int, rng: random.Random, *, color: bool) -> Image.Image:
    """A round red seal (公章: ring, star, company name) pressed across a printed line, blended like ink."""
    import numpy as np

    x0, y0, x1, y1 = line
    radius = int(20 / 25.4 * dpi)
    cx = int(rng.uniform(x0 + radius * 0.8, max(x0 + radius, x1 - radius * 0.8)))
    cy = (y0 + y1) // 2 + int(rng.uniform(-0.3, 0.3) * (y1 - y0))
    mask = Image.new("L", page.size, 0)
    draw = ImageDraw.Draw(mask)
    ring = max(3, radius // 14)
    draw.ellipse((cx - radius, cy - radius, cx + radius, cy + radius), outline=255, width=ring)
    star = [
        (cx + radius * 0.32 * math.cos(math.radians(90 + 36 * k)) * (1 if k % 2 == 0 else 0.4),
         cy - radius * 0.32 * math.sin(math.radians(90 + 36 * k)) * (1 if k % 2 == 0 else 0.4))
        for k in range(10)
    ]
    draw.polygon(star, fill=255)
    font = pil_font(max(10, radius // 4))
    name = "华轩置业有限公司合同专用章"
    for k, ch in enumerate(name):
        angle = math.radians(210 - k * 240 / (len(name) - 1))
        r = radius - ring - font.size * 0.7
        draw.text((cx + r * math.cos(angle) - font.size / 2, cy - r * math.sin(angle) - font.size / 2), ch, fill=255, font=font)
    alpha = np.asarray(mask.filter(ImageFilter.GaussianBlur(1.2)), dtype=np.float32) / 255 * rng.uniform(0.75, 0.9)
    rgb = np.asarray(page.convert("RGB"), dtype=np.float32)
    red = np.array([214.0, 38.0, 44.0]) / 255
    blended = rgb * (1 - alpha[:, :, None] + alpha[:, :, None] * red)  # multiply: ink under the seal stays dark
    out = Image.fromarray(np.clip(blended, 0, 255).astype(np.uint8), "RGB")
    return out if color else out.convert("L")


def _fold(page: Image.Image, line: tuple[int, int, int, int], rng: random.Random) -> Image.Image:
    """A fold across a printed line: a dark crease, its shadow on one side, a lighter ridge on the other."""
    import numpy as np

    w, h = page.size
    _x0, y0, _x1, y1 = line
    mid = (y0 + y1) / 2 + rng.uniform(-0.25, 0.25) * (y1 - y0)
    slope = math.tan(math.radians(rng.uniform(-1.5, 1.5)))
    ys = np.arange(h, dtype=np.float32)[:, None]
    xs = np.arange(w, dtype=np.float32)[None, :]
    dist = ys - (mid + (xs - w / 2) * slope)
    width = (y1 - y0) * 0.9
    shade = 1 - 0.38 * np.exp(-np.clip(dist, 0, None) / width) * (dist >= 0)
    shade = shade + 0.06 * np.exp(-np.clip(-dist, 0, None) / width) * (dist < 0)
    shade = shade * (1 - 0.5 * np.exp(-(dist**2) / 4.0))  # the crease itself, 2-3 px
    arr = np.asarray(page, dtype=np.float32)
    if arr.ndim == 3:
        shade = shade[:, :, None]
    return Image.fromarray(np.clip(arr * shade, 0, 255).astype(np.uint8), page.mode)


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
