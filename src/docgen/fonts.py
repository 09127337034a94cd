"""Chinese fonts for the PDFs and page images docgen draws itself (cover sheets, sample scans).

Product code (the batch-scan cover sheet in :mod:`docgen.ingest.cover`) and
the sample archive both need a CJK font; the lookup lives here so the product
never depends on its sample.  reportlab can embed only TrueType-outline
fonts, so WenQuanYi Zen Hei (``fonts-wqy-zenhei``) is preferred for PDFs; the
Noto CJK OpenType fonts work for bitmaps.  Without any CJK font, PDFs fall
back to reportlab's built-in ``STSong-Light`` CID font (not embedded: text
extraction still works, a renderer without CJK fonts shows boxes) and
bitmaps cannot be drawn (:class:`FontMissing` says what to install).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from PIL import ImageFont

from docgen.errors import DocgenError

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
def pil_font(size: int) -> ImageFont.FreeTypeFont:
    """A CJK font for Pillow at ``size`` pixels; FontMissing (with what to install) if there is none."""
    path = find_cjk_font()
    if path is None:
        raise FontMissing("未安装中文字体,无法绘制扫描页;请安装 fonts-wqy-zenhei 或 fonts-noto-cjk(setup.sh 会安装)")
    return ImageFont.truetype(str(path), size=size, index=0)


@lru_cache(maxsize=1)
def reportlab_font() -> str:
    """Register a CJK font with reportlab once and return its name (embedded TrueType if installed)."""
    from reportlab.pdfbase import pdfmetrics

    path = find_cjk_font(truetype_only=True)
    if path is not None:
        from reportlab.pdfbase.ttfonts import TTFont

        pdfmetrics.registerFont(TTFont("DocgenCJK", str(path), subfontIndex=0))
        return "DocgenCJK"
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    return "STSong-Light"
