"""Chinese OCR with RapidOCR: one engine per process, pages in reading order, no line lost in silence.

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
* **no line lost in silence**: detection and recognition run as two steps so
  that a box the detector found but nothing was read from is kept, not
  dropped.  A line is *doubtful* when its confidence is low, when it was read
  as far fewer (or more) characters than its box is wide (a Chinese character
  is about as wide as the line is high), when nothing was read from it, or
  when a text block's line rhythm has a gap with ink in it.  A doubtful line
  is read again from its own crop, straightened by its own angle, contrast-
  stretched, flattened and binarised, with the seal's red dropped, at other
  scales and by detecting again inside the crop; the most consistent reading
  is kept.  What stays doubtful is returned as :class:`Doubt` (box in page
  pixels, what was read, what was tried), for the archive to store and a
  person to type.
"""

from __future__ import annotations

import itertools
import math
import statistics
import threading
import time
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageFilter, ImageOps

from docgen.errors import DocgenError

_MODEL_FILES = {
    "Det.model_path": "PP-OCRv6_det_small.onnx",
    "Rec.model_path": "PP-OCRv6_rec_small.onnx",
    "Cls.model_path": "ch_ppocr_mobile_v2.0_cls_mobile.onnx",
}
LOW_SCORE = 0.85
"""A line read with less confidence than this is read again."""
ACCEPT_SCORE = 0.85
"""A re-reading is kept as sure when its confidence reaches this and its characters fit its width."""
FIT_RANGE = (0.7, 1.45)
"""Characters read against the width of the box (in character widths): outside this range a line is doubtful."""
OVERPRINT = "印章、折痕或污迹压在字上"
EM_PER_HEIGHT = 0.78
"""A detected box's height in character widths, used until a page's own confident lines give theirs."""
# Text detection runs on the page shrunk to this longest side (recognition still reads crops of the
# full-resolution page).  RapidOCR's default ("min" 736) detects on the whole 300 dpi page, which
# costs 2-3x more on this 2-core machine for the same characters read (see docs/ingest.md).
DET_LIMIT = 1280


class OcrUnavailable(DocgenError):
    """RapidOCR or its models or onnxruntime are missing."""


@dataclass(slots=True)
class OcrLine:
    """One line of text: its reading, and where it is (centre in the page's deskewed frame, corners in the page)."""

    text: str
    score: float
    y: float
    x: float
    height: float
    width: float = 0.0
    reread: bool = False
    quad: np.ndarray | None = None
    """The box's four corners in the straightened page (after the skew pre-pass), for crops."""
    doubt: str = ""
    """Why the line is still doubtful ("" when it is not)."""
    tried: list[str] = field(default_factory=list)
    """What was done to read it again, in order, with what each attempt gave."""
    shown: bool = True
    """False for an unsure reading of a line the detector missed: kept in its doubt record, not in the page's text."""


@dataclass(slots=True)
class Doubt:
    """A line still in doubt after reading it again: where it is on the page, what was read, what was tried."""

    box: tuple[int, int, int, int]
    """x0, y0, x1, y1 in pixels of the page image given to :meth:`OcrEngine.read`."""
    text: str
    confidence: float | None
    reason: str
    tried: list[str] = field(default_factory=list)
    row: int | None = None
    """The line of :attr:`OcrPage.text` (from 1) holding the reading; for a missing line, the one it comes before."""
    missing: bool = False
    """True when the line is not in the page's text (nothing, or only an unsure reading, came from where a line is)."""


@dataclass(slots=True)
class OcrPage:
    """What OCR read from one page: text in reading order, a char-weighted confidence, and what stays in doubt."""

    text: str
    confidence: float | None
    lines: list[OcrLine] = field(default_factory=list)
    angle: float = 0.0
    seconds: float = 0.0
    rereads: int = 0
    """Lines whose reading was replaced by a better one from reading them again."""
    doubtful: list[Doubt] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    """Per doubted line, why and what was done (also for lines then read with confidence)."""
    size: tuple[int, int] = (0, 0)


def model_dir() -> Path:
    """The folder holding the ONNX models shipped inside the rapidocr wheel."""
    try:
        import rapidocr
    except ImportError as exc:
        raise OcrUnavailable("未安装 OCR 组件 rapidocr;请安装 rapidocr 和 onnxruntime(pip install rapidocr onnxruntime)") from exc
    return Path(rapidocr.__file__).resolve().parent / "models"


# -- what a reading should look like ------------------------------------------------
def char_em(ch: str) -> float:
    """The width of one character in character widths (a Chinese character is 1, a digit about half)."""
    if ch.isspace():
        return 0.3
    if ord(ch) < 128:
        if ch.isalnum():
            return 0.55
        return 0.35
    if unicodedata.east_asian_width(ch) in ("W", "F"):
        return 1.0
    return 0.6


def text_em(text: str) -> float:
    """The width of a text in character widths."""
    return sum(char_em(c) for c in text.strip())


def _fit(text: str, width: float, em_px: float) -> float:
    """Characters read against the box's width: 1.0 when the reading fills the box exactly."""
    expected = width / max(1.0, em_px)
    if expected < 3.0:  # up to two characters: too small to judge a short reading, not a long one
        return 1.0 if text_em(text) <= 2.5 else text_em(text) / max(1.0, expected)
    return text_em(text) / expected


def _quality(text: str, score: float, fit: float) -> float:
    """How consistent a reading is: its confidence, lowered as its characters stop fitting its box."""
    if not text.strip():
        return 0.0
    lo, hi = FIT_RANGE
    penalty = 1.0
    if fit < lo:
        penalty = max(0.0, fit / lo)
    elif fit > hi:
        penalty = max(0.0, hi / fit)
    return score * penalty


# -- the engine --------------------------------------------------------------------
class OcrEngine:
    """A RapidOCR engine with our reading-order, doubt and re-read logic; create once, reuse."""

    def __init__(self) -> None:
        started = time.perf_counter()
        try:
            import onnxruntime  # noqa: F401
            from rapidocr import RapidOCR
            from rapidocr.utils.process_img import get_rotate_crop_image
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
        self._crop = get_rotate_crop_image
        self._lock = threading.Lock()
        # force the models to load now, so that load time is measured once and not inside the first page
        self._ocr(np.full((64, 256, 3), 255, dtype=np.uint8))
        self.load_seconds = time.perf_counter() - started

    # -- raw calls -----------------------------------------------------------
    def _raw(self, rgb: np.ndarray) -> list[tuple[np.ndarray, str, float]]:
        """One bare RapidOCR call (detection, classification, recognition); empty readings dropped, as RapidOCR does."""
        with self._lock:
            out = self._ocr(rgb, use_det=True, use_cls=True, use_rec=True)
        boxes = getattr(out, "boxes", None)
        txts = getattr(out, "txts", None)
        scores = getattr(out, "scores", None)
        if boxes is None or txts is None or scores is None:
            return []
        return [(np.asarray(b, dtype=float), str(t), float(s)) for b, t, s in zip(boxes, txts, scores, strict=False)]

    def _detect_and_read(self, rgb: np.ndarray) -> list[tuple[np.ndarray, str, float]]:
        """Detection, then recognition of every box, keeping boxes nothing (or little) was read from."""
        with self._lock:
            det = self._ocr(rgb, use_det=True, use_cls=False, use_rec=False)
            boxes = getattr(det, "boxes", None)
            if boxes is None or len(boxes) == 0:
                return []
            quads = [np.asarray(b, dtype=np.float32) for b in boxes]
            crops = [self._crop(rgb, q.copy()) for q in quads]
            crops, _cls = self._ocr.cls_and_rotate(crops)
            read = self._recognize_locked(crops)
        return [(q.astype(float), t, s) for q, (t, s) in zip(quads, read, strict=True)]

    def _recognize_locked(self, crops: list[np.ndarray]) -> list[tuple[str, float]]:
        try:
            out = self._ocr.recognize_txt(crops)
        except Exception:  # RapidOCRError when nothing at all could be read
            return [("", 0.0)] * len(crops)
        txts = out.txts or ("",) * len(crops)
        scores = out.scores or (0.0,) * len(crops)
        return [(str(t), float(s)) for t, s in zip(txts, scores, strict=True)]

    def _recognize(self, crop: np.ndarray) -> tuple[str, float]:
        with self._lock:
            return self._recognize_locked([crop])[0]

    # -- the public call ------------------------------------------------------
    def read(self, image: Image.Image, *, reread: bool = True) -> OcrPage:
        """Read one page image (any mode); return its text in reading order and the lines still in doubt."""
        started = time.perf_counter()
        page = image if image.mode in ("L", "RGB") else image.convert("RGB")
        size = page.size
        skew = estimate_skew(page)
        if abs(skew) >= 0.2:  # rotate in the page's own mode: a grayscale scan is a third of the work
            fill = 255 if page.mode == "L" else (255, 255, 255)
            page = page.rotate(skew, resample=Image.Resampling.BICUBIC, fillcolor=fill)
        else:
            skew = 0.0
        rgb = np.asarray(page.convert("RGB"))
        raw = self._detect_and_read(rgb) if reread else self._raw(rgb)
        residual = _text_angle(raw)
        centre = (rgb.shape[1] / 2, rgb.shape[0] / 2)
        lines = _to_lines(raw, residual, centre)
        result = OcrPage("", None, lines, skew + residual, size=size)
        if reread and lines:
            _Rereader(self, page, rgb, lines, residual, centre, result).run()
        lines = [ln for ln in lines if ln.text.strip() or ln.doubt]
        result.lines = lines
        result.text, result.confidence, rows = _assemble(lines)
        for ln in lines:
            if ln.doubt:
                result.doubtful.append(self._doubt(ln, rows, skew, size))
        result.doubtful.sort(key=lambda d: (d.row or 0, d.box[0]))
        result.seconds = time.perf_counter() - started
        return result

    @staticmethod
    def _doubt(line: OcrLine, rows: list[list[OcrLine]], skew: float, size: tuple[int, int]) -> Doubt:
        """The record of a doubtful line: its box mapped back to the page as given, and its row in the text."""
        assert line.quad is not None
        back = _rotate_points(line.quad, -skew, (size[0] / 2, size[1] / 2))
        x0, y0 = np.floor(back.min(axis=0)).astype(int)
        x1, y1 = np.ceil(back.max(axis=0)).astype(int)
        box = (max(0, int(x0)), max(0, int(y0)), min(size[0], int(x1)), min(size[1], int(y1)))
        texted = [r for r in rows if any(ln.shown and ln.text.strip() for ln in r)]
        row = next((i for i, r in enumerate(texted, start=1) if any(ln is line for ln in r)), None) if line.shown else None
        if row is None:  # nothing read: the row it comes before
            row = next((i for i, r in enumerate(texted, start=1) if statistics.fmean(x.y for x in r) > line.y), len(texted) + 1)
        return Doubt(box, line.text, round(line.score, 3) if line.text.strip() else None, line.doubt, list(line.tried), row,
                     missing=not (line.shown and line.text.strip()))


class _Rereader:
    """Finds the doubtful lines of one page and reads them again (one instance per page)."""

    def __init__(
        self,
        engine: OcrEngine,
        page: Image.Image,
        rgb: np.ndarray,
        lines: list[OcrLine],
        residual: float,
        centre: tuple[float, float],
        result: OcrPage,
    ) -> None:
        self.engine = engine
        self.page = page
        self.rgb = rgb
        self.color = page.mode == "RGB" and _has_colour(rgb)
        self.lines = lines
        self.residual = residual
        self.centre = centre
        self.result = result
        self.em_k = _em_per_height(lines)

    def em_px(self, line: OcrLine) -> float:
        """The width of one Chinese character on this line, in pixels."""
        return line.height * self.em_k

    # -- the steps -------------------------------------------------------------
    def run(self) -> None:
        for line in list(self.lines):
            reason = self.why_doubtful(line)
            if reason:
                self.reread(line, reason)
        self.find_missing()

    def why_doubtful(self, line: OcrLine) -> str:
        """Why a first reading is doubtful ("" when it looks right)."""
        if not line.text.strip():
            return "检测到文字但未能识别"
        fit = _fit(line.text, line.width, self.em_px(line))
        expected = line.width / max(1.0, self.em_px(line))
        if fit < FIT_RANGE[0]:
            return f"读出 {len(line.text.strip())} 字而行宽约 {expected:.0f} 字"
        if fit > FIT_RANGE[1]:
            return f"读出 {len(line.text.strip())} 字而行宽只容约 {expected:.0f} 字"
        if line.score < LOW_SCORE:
            return f"置信度低 {line.score:.2f}"
        assert line.quad is not None
        if _overprinted(self.engine._crop(self.rgb, line.quad.copy()), self.color):
            return OVERPRINT
        return ""

    def reread(self, line: OcrLine, reason: str) -> None:
        """Read a doubtful line again in several ways; keep the most consistent reading, or mark it doubtful."""
        assert line.quad is not None
        first = line.text
        em = self.em_px(line)
        best_text, best_score = line.text, line.score
        best_q = _quality(line.text, line.score, _fit(line.text, line.width, em))
        if reason == OVERPRINT:  # a confident first reading may still have lost a stroke under the seal: prefer a clean one
            best_q *= 0.97
        best_how = "首次识别"
        seen: dict[str, int] = {_squash(line.text): 1} if line.text.strip() else {}
        for how, text, score in self.attempts(line, reason):
            fit = _fit(text, line.width, em)
            q = _quality(text, score, fit)
            key = _squash(text)
            if key:
                seen[key] = seen.get(key, 0) + 1
            line.tried.append(f"{how}:{_short(text)} {score:.2f}" if text.strip() else f"{how}:未读出")
            if q > best_q:
                best_text, best_score, best_q, best_how = text, score, q, how
            if _sure(best_score, _fit(best_text, line.width, em)) and (best_score >= 0.93 or seen.get(_squash(best_text), 0) >= 2):
                break
        sure = _sure(best_score, _fit(best_text, line.width, em)) or (
            seen.get(_squash(best_text), 0) >= 2 and best_q >= 0.75
        )
        if _content(best_text) == _content(first) and first.strip():
            best_text = first  # only punctuation differs: a cleaned crop loses commas and points more often than it finds them
        if best_text != first:
            line.text, line.score, line.reread = best_text, best_score, True
            self.result.rereads += 1
        outcome = f"采用「{best_how}」的读法({best_score:.2f})" if sure else "仍存疑,请人工核对"
        self.result.notes.append(f"{reason};{'、'.join(t.split(':')[0] for t in line.tried)};{outcome}")
        if not sure:
            line.doubt = reason if best_text == first else f"{reason};重读后仍不确定"

    def attempts(self, line: OcrLine, reason: str) -> Iterator[tuple[str, str, float]]:
        """Other readings of one line, cheapest and likeliest first: (what was done, text, confidence)."""
        assert line.quad is not None
        crop = self.crop(line.quad, line.height)
        gray = _gray(crop)
        if self.color:
            red = _stretch(Image.fromarray(crop[:, :, 0]))
            yield "去除红色印章", *self.engine._recognize(_rgb(red))
        if reason == OVERPRINT:
            yield "只留深色笔画", *self.engine._recognize(_rgb(_darkest(gray)))
        yield "按行倾角拉直重读", *self.engine._recognize(np.asarray(Image.fromarray(crop).convert("RGB")))
        stretched = _stretch(gray)
        yield "对比度拉伸", *self.engine._recognize(_rgb(stretched))
        yield "去背景二值化", *self.engine._recognize(_rgb(_binarize(gray)))
        if reason != OVERPRINT:
            yield "只留深色笔画", *self.engine._recognize(_rgb(_darkest(gray)))
        for scale in (1.5, 0.75):
            scaled = stretched.resize((max(8, int(stretched.width * scale)), max(8, int(stretched.height * scale))),
                                      Image.Resampling.BICUBIC)
            yield f"对比度拉伸后放大 {scale:g} 倍", *self.engine._recognize(_rgb(scaled))
        band = self.crop(line.quad, line.height, pad_y=0.6, pad_x=1.0)
        found = self.detect_in(band)
        if found:
            text = " ".join(t for t, _s in found)
            score = _weighted([(t, s) for t, s in found])
            yield "在行区域内重新检测", text, score

    def detect_in(self, crop: np.ndarray) -> list[tuple[str, float]]:
        """Detect and read inside a crop (the detector may cut the line differently, e.g. around a seal)."""
        gray = _stretch(_gray(crop))
        raw = self.engine._detect_and_read(np.asarray(_rgb(gray)))
        middle = crop.shape[0] / 2  # the line is in the middle of its padded crop; a neighbour's edge is not
        raw = [r for r in raw if r[1].strip() and abs(float(r[0][:, 1].mean()) - middle) < crop.shape[0] * 0.15]
        raw.sort(key=lambda r: float(r[0][:, 0].mean()))
        if not raw:
            return []
        heights = [float(np.linalg.norm(r[0][3] - r[0][0])) for r in raw]
        tallest = max(heights)
        return [(t, s) for (_b, t, s), h in zip(raw, heights, strict=True) if h > 0.5 * tallest]

    def crop(self, quad: np.ndarray, height: float, *, pad_y: float = 0.18, pad_x: float = 0.4) -> np.ndarray:
        """The line's box, padded along its own axes and straightened by its own angle (a perspective crop)."""
        q = quad.astype(np.float32)
        along = q[1] - q[0]
        along /= max(1e-6, float(np.linalg.norm(along)))
        across = q[3] - q[0]
        across /= max(1e-6, float(np.linalg.norm(across)))
        px, py = pad_x * height, pad_y * height
        grown = np.array([q[0] - along * px - across * py, q[1] + along * px - across * py,
                          q[2] + along * px + across * py, q[3] - along * px + across * py], dtype=np.float32)
        h, w = self.rgb.shape[:2]
        grown[:, 0] = np.clip(grown[:, 0], 0, w - 1)
        grown[:, 1] = np.clip(grown[:, 1], 0, h - 1)
        return np.asarray(self.engine._crop(self.rgb, grown))

    # -- lines the detector missed -------------------------------------------------
    def find_missing(self) -> None:
        """Ink no line covers, and gaps in a block's line rhythm: read them; what cannot be read is doubtful."""
        lines = [ln for ln in self.lines if ln.text.strip() or ln.doubt]
        if not lines:
            return
        med_h = statistics.median(ln.height for ln in lines)
        deskewed = self.page
        if abs(self.residual) > 0.3:
            fill = 255 if self.page.mode == "L" else (255, 255, 255)
            deskewed = self.page.rotate(-self.residual, resample=Image.Resampling.BICUBIC, fillcolor=fill)
        small = _small_gray(deskewed, self.color)
        ink = _ink_mask(small)
        faint = _faint_mask(small)
        for y0, y1, strong, xs in self.candidate_bands(ink, faint, lines, med_h):
            self.read_band(deskewed, y0, y1, med_h, strong, xs)

    def candidate_bands(
        self, ink: np.ndarray, faint: np.ndarray, lines: list[OcrLine], med_h: float
    ) -> list[tuple[int, int, bool, tuple[int, int]]]:
        """Bands of the deskewed page (full-resolution y0, y1) with ink that no line covers.

        ``strong`` is true for ink that looks like a line of text (wide, dense)
        or that sits where the block's line rhythm says a line should be.  In
        those places ``faint`` (any ink a few grey levels darker than the paper)
        is enough: a toner-starved line or one character.
        """
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
        slots = _rhythm_gaps(lines)
        out: list[tuple[int, int, bool, tuple[int, int]]] = []
        for b0, b1 in bands:
            y0, y1 = b0 * 2, b1 * 2
            if y1 - y0 < med_h * 0.4:
                continue
            mask = self.uncovered(ink, b0, b1, lines)
            left = int(mask.sum())
            if left < med_h:  # less than about two characters of ink left over
                continue
            mid = (y0 + y1) / 2
            line_like = y1 - y0 <= 1.8 * med_h  # a seal, a QR code or a photo is taller than a line
            in_slot = any(abs(mid - c) < med_h * 0.6 for c in slots)
            density = float(ink[b0:b1][:, mask].mean())
            wide = left * 2 > 6 * med_h * self.em_k and density > 0.04
            out.append((y0, y1, line_like and (in_slot or wide), _extent(mask)))
        for c in slots:  # where a line should be: a smaller amount of ink counts (one character, faint or under a seal)
            y0, y1 = int(c - 0.55 * med_h), int(c + 0.55 * med_h)
            if any(a <= c <= b and b - a <= 1.8 * med_h for a, b, _strong, _xs in out):
                continue
            # the core of the slot only (a skewed neighbour's edge reaches its rim), and not the page's own edges
            core0, core1 = int(c - 0.3 * med_h) // 2, int(c + 0.3 * med_h) // 2 + 1
            mask = self.uncovered(faint, max(0, core0), max(1, core1), lines)
            edge = max(1, int(0.03 * mask.size))
            mask[:edge] = False
            mask[-edge:] = False
            a, z, count = _cluster(mask, max(2, int(med_h * self.em_k / 2)))
            if count * 2 >= 0.6 * med_h * self.em_k:  # a character's worth together: not a lone "。" nor speckle
                out.append((y0, y1, True, (a, z)))
        return out

    @staticmethod
    def uncovered(ink: np.ndarray, b0: int, b1: int, lines: list[OcrLine]) -> np.ndarray:
        """Columns (half-size) of rows b0..b1 of the ink mask with ink that no line's box covers."""
        y0, y1 = b0 * 2, b1 * 2
        mid = (y0 + y1) / 2
        mask: np.ndarray = np.asarray(ink[b0:b1].any(axis=0)).copy()
        for ln in lines:
            if abs(ln.y - mid) < max(ln.height, y1 - y0) * 0.6:
                a = int(max(0, (ln.x - ln.height * 0.5) / 2))
                z = int(min(mask.size, (ln.x + ln.width + ln.height * 0.5) / 2))
                mask[a:z] = False
        return mask

    def read_band(self, img: Image.Image, y0: int, y1: int, med_h: float, strong: bool, xs: tuple[int, int]) -> None:
        """Read an uncovered band; add what reads well, flag what does not when it looks like a line of text."""
        pad = int(med_h * (0.15 if y1 - y0 < 1.2 * med_h else 0.5))  # a rhythm slot is already a line high
        box = (0, max(0, y0 - pad), img.width, min(img.height, y1 + pad))
        crop = np.asarray(img.crop(box).convert("RGB"))
        tried: list[str] = []
        best: list[OcrLine] = []
        best_q = 0.0
        for how, prepared in (("重新检测", crop), ("对比度拉伸后重新检测", np.asarray(_rgb(_stretch(_gray(crop)))))):
            raw = [r for r in self.engine._detect_and_read(prepared) if r[1].strip()]
            found = _to_lines(raw, 0.0, (0.0, 0.0))
            for f in found:
                f.x += box[0]
                f.y += box[1]
                if f.quad is not None:
                    f.quad = f.quad + np.array([box[0], box[1]], dtype=np.float32)
            # a part of a line already read (the band cut through it) is neither new nor doubtful
            fresh = [f for f in found if f.height >= 0.6 * med_h and not self.duplicate(f)]
            q = statistics.fmean(_quality(f.text, f.score, _fit(f.text, f.width, self.em_px(f))) for f in fresh) if fresh else 0.0
            tried.append(f"{how}:{_short(' '.join(f.text for f in fresh))} {q:.2f}" if fresh else f"{how}:未读出")
            if q > best_q:
                best, best_q = fresh, q
            if q >= ACCEPT_SCORE:
                break
        where = f"y≈{(y0 + y1) // 2}"
        if best and best_q >= ACCEPT_SCORE:
            for f in best:
                f.reread, f.quad, f.tried = True, self.to_straight(f), list(tried)
                self.lines.append(f)
                self.result.rereads += 1
            self.result.notes.append(f"漏检的一行({where}):{'、'.join(t.split(':')[0] for t in tried)};已补读")
            return
        if not strong:  # a seal, a signature or a picture: ink, but not where a line of text should be
            self.result.notes.append(f"未覆盖的墨迹({where}):不像一行文字,未补入")
            return
        x0, x1 = xs
        x0, x1 = max(0, x0 * 2 - int(med_h)), min(img.width, x1 * 2 + int(med_h))
        text = " ".join(f.text for f in sorted(best, key=lambda f: f.x))
        corners = np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], dtype=np.float32)
        missing = OcrLine(text, round(_weighted([(f.text, f.score) for f in best]), 3) if best else 0.0, (y0 + y1) / 2,
                          float(x0), float(y1 - y0), float(x1 - x0), True, None,
                          "行距中缺一行:有墨迹但未能识别" if not best else "漏检的一行,重读后仍不确定", tried, shown=False)
        missing.quad = self.to_straight(missing, corners)
        self.lines.append(missing)
        self.result.notes.append(f"{missing.doubt}({where}):{'、'.join(t.split(':')[0] for t in tried)};仍存疑")

    def duplicate(self, found: OcrLine) -> bool:
        """Whether a line found again is one already read: the same text, or the same place."""
        ft = _squash(found.text)
        for ln in self.lines:
            if not ln.text.strip():
                continue
            if abs(found.y - ln.y) < ln.height * 0.6 and ft and (ft in _squash(ln.text) or _squash(ln.text) in ft):
                return True
            dy = min(found.y + found.height / 2, ln.y + ln.height / 2) - max(found.y - found.height / 2, ln.y - ln.height / 2)
            dx = min(found.x + found.width, ln.x + ln.width) - max(found.x, ln.x)
            if dy > 0.3 * found.height and dx > 0.5 * found.width:
                return True
        return False

    def to_straight(self, line: OcrLine, corners: np.ndarray | None = None) -> np.ndarray:
        """Corners of a line found in the deskewed frame, in the straightened page (the frame of the other boxes)."""
        if corners is None:
            corners = line.quad if line.quad is not None else np.array(
                [[line.x, line.y - line.height / 2], [line.x + line.width, line.y - line.height / 2],
                 [line.x + line.width, line.y + line.height / 2], [line.x, line.y + line.height / 2]], dtype=np.float32)
        if abs(self.residual) > 0.3:
            return _rotate_points(corners, self.residual, self.centre)
        return np.asarray(corners, dtype=np.float32)


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


# -- image variants for re-reading ---------------------------------------------------
def _has_colour(rgb: np.ndarray) -> bool:
    """Whether an RGB page holds colour (a red seal) and not just grey in three channels."""
    small = rgb[::8, ::8].astype(np.int16)
    spread = small.max(axis=2) - small.min(axis=2)
    return bool((spread > 40).mean() > 0.0005)


def _gray(crop: np.ndarray) -> Image.Image:
    return Image.fromarray(crop).convert("L")


def _rgb(img: Image.Image) -> np.ndarray:
    return np.asarray(img.convert("RGB"))


def _stretch(gray: Image.Image) -> Image.Image:
    """Contrast stretch: the darkest 1% to black, the lightest 1% to white."""
    return ImageOps.autocontrast(gray, cutoff=1)


def _background(gray: Image.Image) -> np.ndarray:
    """The paper's brightness under the text (a large max filter on a reduced image), as floats."""
    factor = 4
    small = gray.reduce(factor) if min(gray.size) > 4 * factor else gray
    size = max(3, (min(small.size) // 2) | 1)
    size = min(size, 15)
    bg = small.filter(ImageFilter.MaxFilter(size)).filter(ImageFilter.BoxBlur(2))
    return np.asarray(bg.resize(gray.size, Image.Resampling.BILINEAR), dtype=np.float32)


def _flatten(gray: Image.Image) -> np.ndarray:
    """The crop divided by its paper: uneven light, folds and grey paper become white (0-1 floats)."""
    arr = np.asarray(gray, dtype=np.float32)
    return np.clip(arr / np.maximum(_background(gray), 1.0), 0.0, 1.0)


def _binarize(gray: Image.Image) -> Image.Image:
    """Flattened, then split by Otsu's threshold into black strokes on white."""
    flat = _flatten(gray)
    level = _otsu(flat)
    return Image.fromarray(np.where(flat < level, 0, 255).astype(np.uint8), "L")


def _darkest(gray: Image.Image) -> Image.Image:
    """Keep only the darkest strokes (text printed under a grey seal is darker than the seal)."""
    flat = _flatten(gray)
    level = float(np.percentile(flat, 6)) + 0.12
    return Image.fromarray(np.where(flat < level, 0, 255).astype(np.uint8), "L")


def _otsu(values: np.ndarray) -> float:
    hist, edges = np.histogram(values, bins=64, range=(0.0, 1.0))
    total = hist.sum()
    if total == 0:
        return 0.5
    centres = (edges[:-1] + edges[1:]) / 2
    weight = np.cumsum(hist)
    mean = np.cumsum(hist * centres)
    between = (mean[-1] * weight - mean * total) ** 2 / np.maximum(weight * (total - weight), 1e-9)
    return float(centres[int(np.argmax(between))])


def _overprinted(crop: np.ndarray, color: bool) -> bool:
    """Whether something other than the text is printed over a line: red seal ink, or broad grey strokes (a seal, a fold).

    Antialiased and blurred text has grey only next to its dark strokes; a
    seal's ring or a crease is a broad grey region of its own.  Measured on the
    benchmark's scans: 0.8-5.6% of a seal line's box against at most 0.65% for
    noisy, blurred or low-contrast text.
    """
    if color and crop.ndim == 3:
        c = crop.astype(np.int16)
        red = (c[:, :, 0] - np.maximum(c[:, :, 1], c[:, :, 2])) > 60
        if red.mean() > 0.01:
            return True
    flat = _flatten(_gray(crop))
    lo = float(np.percentile(flat, 3))
    norm = (flat - lo) / max(0.05, 1 - lo)
    dark = Image.fromarray(((norm < 0.3) * 255).astype(np.uint8))
    near = np.asarray(dark.filter(ImageFilter.MaxFilter(7))) > 0
    mid = (norm > 0.3) & (norm < 0.8)
    return float((mid & ~near).mean()) > 0.008


def _extent(mask: np.ndarray) -> tuple[int, int]:
    """First and last True column of a mask (half-size), or the whole width when it is empty."""
    cols = np.flatnonzero(mask)
    return (int(cols[0]), int(cols[-1])) if cols.size else (0, int(mask.size))


def _cluster(mask: np.ndarray, gap: int) -> tuple[int, int, int]:
    """The run of True columns (gaps up to ``gap`` bridged) holding the most of them: first, last, count."""
    cols = np.flatnonzero(mask)
    if not cols.size:
        return 0, 0, 0
    best = (int(cols[0]), int(cols[0]), 1)
    start, count = int(cols[0]), 1
    for prev, col in itertools.pairwise(cols.tolist()):
        if col - prev > gap:
            start, count = col, 0
        count += 1
        if count > best[2]:
            best = (start, col, count)
    return best


def _small_gray(page: Image.Image, color: bool) -> Image.Image:
    """The page at half size in grey, speckle removed; for a colour scan its red channel (a red seal drops out)."""
    gray = page.convert("L") if not color else Image.fromarray(np.asarray(page)[:, :, 0])
    return gray.reduce(2).filter(ImageFilter.MedianFilter(3))


def _ink_mask(small: Image.Image) -> np.ndarray:
    """Where the (half-size) page is clearly darker than its own paper: low-contrast ink included, speckle not."""
    arr = np.asarray(small, dtype=np.float32)
    bg = _background(small)
    return np.asarray((arr < bg * 0.82) & (arr < bg - 18))


def _faint_mask(small: Image.Image) -> np.ndarray:
    """Where the page is even a few grey levels darker than its paper (checked only where a line should be)."""
    arr = np.asarray(small.filter(ImageFilter.MedianFilter(3)), dtype=np.float32)
    bg = _background(small)
    return np.asarray(arr < bg - np.maximum(4.0, bg * 0.018))


# -- geometry -------------------------------------------------------------------------
def _rotate_points(points: np.ndarray, angle: float, centre: tuple[float, float]) -> np.ndarray:
    """Where points go when the image is turned by PIL's ``rotate(angle)`` about ``centre`` (y down)."""
    rad = math.radians(angle)
    cos, sin = math.cos(rad), math.sin(rad)
    cx, cy = centre
    pts = np.asarray(points, dtype=np.float32)
    dx, dy = pts[:, 0] - cx, pts[:, 1] - cy
    return np.stack([cx + dx * cos + dy * sin, cy - dx * sin + dy * cos], axis=1).astype(np.float32)


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
        mx, my = float(box[:, 0].mean()) - cx, float(box[:, 1].mean()) - cy
        # PIL's rotate(angle) turns the image counter-clockwise; the same map for points (y down):
        rx = mx * cos - my * sin + cx
        ry = mx * sin + my * cos + cy
        height = float(math.hypot(box[3][0] - box[0][0], box[3][1] - box[0][1]))
        width = float(math.hypot(box[1][0] - box[0][0], box[1][1] - box[0][1]))
        if not text.strip() and (width < 1.2 * height or height < 6):
            continue  # a speck the detector boxed: nothing to read and too small to be a line
        lines.append(OcrLine(text, score, ry, rx - width / 2, max(height, 1.0), width, quad=np.asarray(box, dtype=np.float32)))
    return lines


def _em_per_height(lines: list[OcrLine]) -> float:
    """Character width over box height on this page, from its confident lines of several characters."""
    ratios = [
        ln.width / text_em(ln.text) / ln.height
        for ln in lines
        if ln.score >= 0.9 and len(ln.text.strip()) >= 6 and ln.height > 0 and text_em(ln.text) > 0
    ]
    if len(ratios) < 2:
        return EM_PER_HEIGHT
    return float(min(1.2, max(0.5, statistics.median(ratios))))


def _rhythm_gaps(lines: list[OcrLine]) -> list[float]:
    """Centres (y in the deskewed frame) where a block's regular line pitch says a line is missing.

    Rows of similar height whose distance is a whole number (2, 3 …) of the
    page's usual pitch have that many minus one lines' worth of room between
    them; a blank there is a paragraph break, ink there is a line the detector
    dropped (checked by the caller).
    """
    rows = [r for r in _rows([ln for ln in lines if ln.text.strip()]) if r]
    centres = [statistics.fmean(ln.y for ln in r) for r in rows]
    heights = [statistics.fmean(ln.height for ln in r) for r in rows]
    if len(centres) < 2:
        return []
    pitches = [b - a for a, b in itertools.pairwise(centres)]
    similar = [abs(heights[i] - heights[i + 1]) < 0.3 * max(heights[i], heights[i + 1]) for i in range(len(pitches))]
    candidates = [p for p, ok in zip(pitches, similar, strict=True) if ok and p > 0]
    if not candidates:
        return []
    # the block's rhythm: the shortest pitch that occurs twice (a missing line only makes a pitch longer; a seal's
    # text read as a row of its own makes one odd short pitch, which does not repeat); with too few rows, the shortest
    pitch = min(candidates)
    for p in sorted(candidates):
        alike = [q for q in candidates if abs(q - p) <= 0.15 * p]
        if len(alike) >= 2:
            pitch = statistics.median(alike)
            break
    out: list[float] = []
    for i, p in enumerate(pitches):
        slots = round(p / pitch)
        if similar[i] and p > 1.6 * pitch and abs(p - slots * pitch) < 0.3 * pitch:
            out.extend(centres[i] + k * p / slots for k in range(1, slots))
    return out


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


def _assemble(lines: list[OcrLine]) -> tuple[str, float | None, list[list[OcrLine]]]:
    rows = _rows(lines)
    text = "\n".join(t for t in (" ".join(ln.text for ln in row if ln.shown and ln.text.strip()) for row in rows) if t)
    read = [ln for ln in lines if ln.shown and ln.text.strip()]
    return text, (_weighted_score(read) if read else None), rows


def _weighted_score(lines: list[OcrLine]) -> float:
    return _weighted([(ln.text, ln.score) for ln in lines])


def _weighted(readings: list[tuple[str, float]]) -> float:
    total = sum(max(1, len(t)) for t, _s in readings)
    return round(sum(s * max(1, len(t)) for t, s in readings) / max(1, total), 4)


def _sure(score: float, fit: float) -> bool:
    return score >= ACCEPT_SCORE and FIT_RANGE[0] <= fit <= FIT_RANGE[1]


def _content(text: str) -> str:
    """The letters, digits and Chinese characters of a text (punctuation and spaces left out)."""
    return "".join(ch for ch in text if ch.isalnum())


def _squash(text: str) -> str:
    return "".join(text.split())


def _short(text: str, limit: int = 12) -> str:
    text = _squash(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


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
