"""Chinese OCR with RapidOCR: one engine per process, pages in reading order, dropped lines re-read.

Why RapidOCR: its PP-OCR models ship inside the ``rapidocr`` wheel and run on
``onnxruntime``, so it works offline on a fresh machine, and on our test scans
it read about 99.9% of characters where Tesseract's ``chi_sim`` misread ID
numbers and 大写 amounts.  What we add around it (each measured, see
``docs/ingest.md``):

* **no downloads**: the model paths are given explicitly, so RapidOCR never
  reaches its download code; missing models are a clear error instead;
* **one engine**, created lazily on first use and reused (loading costs
  seconds and about 1 GB); :func:`get_engine` is thread-safe;
* **images in memory** (numpy arrays), never a path or URL it might fetch;
* **reading order**: RapidOCR returns boxes in detection order, which on a
  rotated page interleaves lines; we estimate the page's text angle from the
  boxes, rotate their centres into the text's frame and sort rows top to
  bottom, boxes left to right;
* **dropped and doubtful lines**: a line read with low confidence is re-read
  from a crop at another scale, and ink bands of the page that no box covers
  (a line the detector missed) are cropped and read on their own.
"""

from __future__ import annotations

import math
import statistics
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageFilter

from docgen.errors import DocgenError

_MODEL_FILES = {
    "Det.model_path": "PP-OCRv6_det_small.onnx",
    "Rec.model_path": "PP-OCRv6_rec_small.onnx",
    "Cls.model_path": "ch_ppocr_mobile_v2.0_cls_mobile.onnx",
}
LOW_SCORE = 0.85
# Text detection runs on the page shrunk to this longest side (recognition still reads crops of the
# full-resolution page).  RapidOCR's default ("min" 736) detects on the whole 300 dpi page, which
# costs 2-3x more on this 2-core machine for the same characters read (see docs/ingest.md).
DET_LIMIT = 1280


class OcrUnavailable(DocgenError):
    """RapidOCR or its models or onnxruntime are missing."""


@dataclass(slots=True)
class OcrLine:
    """One line of text in the page's own (deskewed) frame."""

    text: str
    score: float
    y: float
    x: float
    height: float
    width: float = 0.0
    reread: bool = False


@dataclass(slots=True)
class OcrPage:
    """What OCR read from one page: text in reading order and a char-weighted confidence."""

    text: str
    confidence: float | None
    lines: list[OcrLine] = field(default_factory=list)
    angle: float = 0.0
    seconds: float = 0.0
    rereads: int = 0


def model_dir() -> Path:
    """The folder holding the ONNX models shipped inside the rapidocr wheel."""
    try:
        import rapidocr
    except ImportError as exc:
        raise OcrUnavailable("未安装 OCR 组件 rapidocr;请安装 rapidocr 和 onnxruntime(pip install rapidocr onnxruntime)") from exc
    return Path(rapidocr.__file__).resolve().parent / "models"


class OcrEngine:
    """A RapidOCR engine with our reading-order and re-read logic; create once, reuse."""

    def __init__(self) -> None:
        started = time.perf_counter()
        try:
            import onnxruntime  # noqa: F401
            from rapidocr import RapidOCR
        except ImportError as exc:
            raise OcrUnavailable(
                "OCR 引擎不可用:需要 rapidocr 和 onnxruntime(pip install rapidocr onnxruntime)"
            ) from exc
        folder = model_dir()
        params: dict[str, Any] = {
            "Global.log_level": "error",
            "Global.text_score": 0.3,
            "Det.limit_type": "max",
            "Det.limit_side_len": DET_LIMIT,
        }
        for key, name in _MODEL_FILES.items():
            path = folder / name
            if not path.is_file():
                raise OcrUnavailable(f"OCR 模型文件缺失:{path}(请重新安装 rapidocr;docgen 不会联网下载模型)")
            params[key] = str(path)
        self._ocr = RapidOCR(params=params)
        self._lock = threading.Lock()
        # force the models to load now, so that load time is measured once and not inside the first page
        self._ocr(np.full((64, 256, 3), 255, dtype=np.uint8))
        self.load_seconds = time.perf_counter() - started

    # -- raw calls -----------------------------------------------------------
    def _raw(self, rgb: np.ndarray) -> list[tuple[np.ndarray, str, float]]:
        with self._lock:
            out = self._ocr(rgb)
        boxes = getattr(out, "boxes", None)
        txts = getattr(out, "txts", None)
        scores = getattr(out, "scores", None)
        if boxes is None or txts is None or scores is None:
            return []
        return [(np.asarray(b, dtype=float), str(t), float(s)) for b, t, s in zip(boxes, txts, scores, strict=False)]

    # -- the public call ------------------------------------------------------
    def read(self, image: Image.Image, *, reread: bool = True) -> OcrPage:
        """Read one page image (any mode); return its text in reading order."""
        started = time.perf_counter()
        page = image if image.mode in ("L", "RGB") else image.convert("RGB")
        skew = estimate_skew(page)
        if abs(skew) >= 0.2:  # rotate in the page's own mode: a grayscale scan is a third of the work
            fill = 255 if page.mode == "L" else (255, 255, 255)
            page = page.rotate(skew, resample=Image.Resampling.BICUBIC, fillcolor=fill)
        rgb_img = page.convert("RGB")
        rgb = np.asarray(rgb_img)
        raw = self._raw(rgb)
        residual = _text_angle(raw)
        lines = _to_lines(raw, residual, (rgb.shape[1] / 2, rgb.shape[0] / 2))
        rereads = 0
        if reread and lines:
            deskewed = rgb_img
            if abs(residual) > 0.3:
                deskewed = rgb_img.rotate(residual, resample=Image.Resampling.BICUBIC, fillcolor=(255, 255, 255))
            rereads += self._reread_doubtful(deskewed, lines)
            rereads += self._read_uncovered(deskewed, lines)
        text, confidence = _assemble(lines)
        return OcrPage(text, confidence, lines, skew + residual, time.perf_counter() - started, rereads)

    def _read_crop(self, img: Image.Image, box: tuple[int, int, int, int], scale: float) -> list[OcrLine]:
        crop = img.crop(box)
        if scale != 1.0:
            crop = crop.resize((max(1, int(crop.width * scale)), max(1, int(crop.height * scale))), Image.Resampling.BICUBIC)
        raw = self._raw(np.asarray(crop.convert("RGB")))
        found = _to_lines(raw, 0.0, (0.0, 0.0))
        for line in found:
            line.x = box[0] + line.x / scale
            line.y = box[1] + line.y / scale
            line.height /= scale
            line.width /= scale
            line.reread = True
        return found

    def _reread_doubtful(self, img: Image.Image, lines: list[OcrLine]) -> int:
        """Re-read lines with a low score from a crop at 1.5x; keep the better reading."""
        count = 0
        for i, line in enumerate(list(lines)):
            if line.score >= LOW_SCORE:
                continue
            pad = line.height * 0.6
            box = (0, int(max(0, line.y - line.height / 2 - pad)), img.width, int(min(img.height, line.y + line.height / 2 + pad)))
            for scale in (1.5, 0.75):
                found = [f for f in self._read_crop(img, box, scale) if abs(f.y - line.y) < line.height * 0.7]
                if not found:
                    continue
                score = _weighted_score(found)
                if score > line.score:
                    text = " ".join(f.text for f in sorted(found, key=lambda f: f.x))
                    lines[i] = OcrLine(text, score, line.y, line.x, line.height, line.width, True)
                    count += 1
                    break
        return count

    def _read_uncovered(self, img: Image.Image, lines: list[OcrLine]) -> int:
        """Find ink bands no line covers (a line the detector dropped) and read them."""
        heights = [ln.height for ln in lines]
        med_h = statistics.median(heights)
        small = img.convert("L").reduce(2).filter(ImageFilter.MedianFilter(3))
        ink = np.asarray(small) < 140
        rows = ink.sum(axis=1)
        threshold = max(3, int(0.004 * ink.shape[1]))
        bands: list[tuple[int, int]] = []
        start = None
        gap = 0
        for y, value in enumerate(rows):
            if value >= threshold:
                if start is None:
                    start = y
                gap = 0
            elif start is not None:
                gap += 1
                if gap > max(2, int(med_h / 8)):
                    bands.append((start, y - gap + 1))
                    start, gap = None, 0
        if start is not None:
            bands.append((start, len(rows)))
        count = 0
        for b0, b1 in bands:
            y0, y1 = b0 * 2, b1 * 2
            if y1 - y0 < med_h * 0.4:
                continue
            mid = (y0 + y1) / 2
            covered = [ln for ln in lines if abs(ln.y - mid) < max(ln.height, y1 - y0) * 0.6]
            band_ink: np.ndarray = np.asarray(ink[b0:b1].any(axis=0))
            if covered:
                mask = band_ink.copy()
                for ln in covered:
                    a = int(max(0, (ln.x - ln.height * 0.5) / 2))
                    z = int(min(mask.size, (ln.x + ln.width + ln.height * 0.5) / 2))
                    mask[a:z] = False
                if mask.sum() < med_h:  # less than about two characters of ink left over
                    continue
            pad = int(med_h * 0.5)
            box = (0, max(0, y0 - pad), img.width, min(img.height, y1 + pad))
            found = self._read_crop(img, box, 1.0) or self._read_crop(img, box, 1.5)
            for f in found:
                ft = _squash(f.text)
                duplicate = any(
                    abs(f.y - ln.y) < ln.height * 0.6 and (ft in _squash(ln.text) or _squash(ln.text) in ft) for ln in lines
                )
                if not duplicate and f.text.strip():
                    lines.append(f)
                    count += 1
        return count


_engine: OcrEngine | None = None
_engine_lock = threading.Lock()


def get_engine() -> OcrEngine:
    """The process's OCR engine, created on first use (thread-safe) and reused."""
    global _engine
    if _engine is None:
        with _engine_lock:
            if _engine is None:
                _engine = OcrEngine()
    return _engine


def engine_loaded() -> bool:
    """Tell whether the engine was already created in this process."""
    return _engine is not None


# -- geometry -------------------------------------------------------------------
def _text_angle(raw: list[tuple[np.ndarray, str, float]]) -> float:
    """The page's text angle in degrees (counter-clockwise positive in image coordinates), from wide boxes."""
    angles: list[float] = []
    for box, _text, _score in raw:
        (x0, y0), (x1, y1) = box[0], box[1]
        width = math.hypot(x1 - x0, y1 - y0)
        height = math.hypot(box[3][0] - x0, box[3][1] - y0)
        if width > 2 * height and width > 0:
            angles.append(math.degrees(math.atan2(y1 - y0, x1 - x0)))
    if not angles:
        return 0.0
    return -statistics.median(angles)


def _to_lines(raw: list[tuple[np.ndarray, str, float]], angle: float, centre: tuple[float, float]) -> list[OcrLine]:
    """Boxes to lines in the deskewed frame (rotate box centres by the text angle about ``centre``)."""
    rad = math.radians(angle)
    cos, sin = math.cos(rad), math.sin(rad)
    cx, cy = centre
    lines: list[OcrLine] = []
    for box, text, score in raw:
        if not text.strip():
            continue
        mx, my = float(box[:, 0].mean()) - cx, float(box[:, 1].mean()) - cy
        # PIL's rotate(angle) turns the image counter-clockwise; the same map for points (y down):
        rx = mx * cos - my * sin + cx
        ry = mx * sin + my * cos + cy
        height = float(math.hypot(box[3][0] - box[0][0], box[3][1] - box[0][1]))
        width = float(math.hypot(box[1][0] - box[0][0], box[1][1] - box[0][1]))
        lines.append(OcrLine(text, score, ry, rx - width / 2, max(height, 1.0), width))
    return lines


def _rows(lines: list[OcrLine]) -> list[list[OcrLine]]:
    """Group lines into rows (centres within half a line height), rows top to bottom, left to right."""
    rows: list[list[OcrLine]] = []
    for line in sorted(lines, key=lambda ln: ln.y):
        if rows:
            row = rows[-1]
            ref_y = statistics.fmean(ln.y for ln in row)
            ref_h = statistics.fmean(ln.height for ln in row)
            if abs(line.y - ref_y) < 0.5 * min(ref_h, line.height):
                row.append(line)
                continue
        rows.append([line])
    return [sorted(row, key=lambda ln: ln.x) for row in rows]


def _assemble(lines: list[OcrLine]) -> tuple[str, float | None]:
    rows = _rows(lines)
    text = "\n".join(" ".join(ln.text for ln in row) for row in rows)
    return text, (_weighted_score(lines) if lines else None)


def _weighted_score(lines: list[OcrLine]) -> float:
    total = sum(max(1, len(ln.text)) for ln in lines)
    return round(sum(ln.score * max(1, len(ln.text)) for ln in lines) / total, 4)


def _squash(text: str) -> str:
    return "".join(text.split())


def estimate_skew(image: Image.Image, limit: float = 5.0) -> float:
    """Estimate a scan's skew in degrees (PIL ``rotate`` by it straightens the page), by projection profiles.

    The page is shrunk to about 500 px wide and binarised; for each candidate
    angle the variance of its row sums peaks when text lines are horizontal.
    Costs tens of milliseconds, against seconds for an OCR pass.
    """
    gray = image.convert("L")
    factor = max(1, gray.width // 500)
    small = gray.reduce(factor) if factor > 1 else gray
    binary = small.point(lambda v: 255 if v < 150 else 0).filter(ImageFilter.MedianFilter(3))

    def score(angle: float) -> float:
        rows = np.asarray(binary.rotate(angle, resample=Image.Resampling.NEAREST, fillcolor=0), dtype=np.float32).sum(axis=1)
        return float(np.var(rows))

    best = max((a / 2 for a in range(int(-limit * 2), int(limit * 2) + 1)), key=score)
    fine = max((best + d / 10 for d in range(-5, 6)), key=score)
    return round(fine, 2)
