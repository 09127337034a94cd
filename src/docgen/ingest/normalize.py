"""Clean extracted or OCR'd text so that matching and phrase search work on it.

Three problems measured on real PDFs and scans:

* full-width digits and letters (``３栋``) and compatibility forms: NFKC folds them;
* LibreOffice-made PDFs put a space between Chinese and digits (``3 栋2 单元``):
  spaces between a CJK character and a CJK character or digit carry no meaning in
  Chinese and are removed (spaces between two Latin words are kept);
* text pulled from a PDF breaks a phrase at every line wrap (8% of phrase searches
  failed on raw text): a line that runs to (nearly) the full width of the page and
  does not end a sentence is joined to the next one.
"""

from __future__ import annotations

import re
import unicodedata

_CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef"
# a space next to a CJK character (on either side) when the other side is CJK, a digit or punctuation
_SPACE_CJK_RE = re.compile(rf"(?<=[{_CJK}])[ \t\u00a0]+(?=[{_CJK}0-9(（:：,，.])|(?<=[{_CJK}0-9)）:：,，])[ \t\u00a0]+(?=[{_CJK}])")
_SENTENCE_END = set("。!?;:!?;:」』”)）】")
_MULTI_SPACE = re.compile(r"[ \t\u00a0]{2,}")


def fold(text: str) -> str:
    """NFKC-fold and remove the spaces LibreOffice and OCR put around Chinese characters."""
    folded = unicodedata.normalize("NFKC", text).replace("\r\n", "\n").replace("\r", "\n")
    folded = _SPACE_CJK_RE.sub("", folded)
    return "\n".join(_MULTI_SPACE.sub(" ", line).strip() for line in folded.split("\n"))


def _is_cjk(ch: str) -> bool:
    return bool(re.match(rf"[{_CJK}]", ch))


def rejoin_lines(text: str, full_ratio: float = 0.85) -> str:
    """Join lines that were wrapped mid-phrase (a full-width line without sentence-ending punctuation).

    "Full width" is judged against the longest line of the same page, so the
    rule adapts to the font size and margins of each document.
    """
    lines = text.split("\n")
    widths = [_display_width(line) for line in lines if line.strip()]
    if len(widths) < 2:
        return text
    full = max(widths) * full_ratio
    out: list[str] = []
    for line in lines:
        if out and out[-1] and line and _display_width(out[-1]) >= full and out[-1][-1] not in _SENTENCE_END:
            prev = out[-1]
            glue = " " if (prev[-1].isascii() and prev[-1].isalnum() and line[0].isascii() and line[0].isalpha()) else ""
            out[-1] = prev + glue + line
        else:
            out.append(line)
    return "\n".join(out)


def _display_width(line: str) -> int:
    """Width in half-width cells: a CJK character counts two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in line)


def normalize_text(text: str) -> str:
    """Fold, remove spurious spaces and re-join wrapped lines: the form stored and matched."""
    return rejoin_lines(fold(text)).strip()


def compact(text: str) -> str:
    """The text without any whitespace: what identifiers are searched in."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


def is_cjk(ch: str) -> bool:
    """Tell whether a character is a CJK ideograph or CJK punctuation."""
    return _is_cjk(ch)
