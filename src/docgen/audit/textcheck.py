"""Reading a document's text for the accuracy checks: amounts in words, names, units, numbers.

Text comes from a text layer or from OCR, so it is folded first (NFKC: full-width
digits and brackets become half-width) and compared without whitespace (OCR
often reads ``3 栋2 单元``).  Amounts in words are read with
:func:`docgen.money.parse_amount_in_words` and compared with the figures written
next to them (``人民币壹万贰仟元整(¥12,000.00)`` or ``12000.00 元(大写:…)``).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from docgen.money import parse_amount_in_words
from docgen.units import find_units

_WORDS_RE = re.compile(
    r"人民币\s*(?:\(\s*大写\s*\)|大写)?\s*[::]?\s*"
    r"(?P<w>[零〇壹贰叁肆伍陆柒捌玖拾佰仟万亿\s]*元[零〇壹贰叁肆伍陆柒捌玖角分整正\s]*"
    r"|[零〇壹贰叁肆伍陆柒捌玖\s]+[角分][零〇壹贰叁肆伍陆柒捌玖分整\s]*)"
)
_FIGURE = r"(?P<f>[0-9][0-9,]*(?:\.[0-9]{1,2})?)"
# The figure belongs to the words only when nothing but brackets, 小写, a colon or a
# currency sign stands between them: "(小写:¥12,000.00元)" yes, ",首付¥375,000.00" no.
_AFTER_RE = re.compile(r"^(?:[((]|小写|[::]|¥|¥|RMB)+" + _FIGURE)
_BEFORE_RE = re.compile(r"(?:¥|¥)?\s*" + _FIGURE + r"\s*元?\s*[((]?\s*(?:大写)?\s*[::]?\s*$")


@dataclass(frozen=True, slots=True)
class AmountInText:
    """An amount written in words in a text, the value read from it, and the figure next to it."""

    words: str
    value: Decimal | None
    figure: Decimal | None
    problem: str = ""


def fold(text: str) -> str:
    """NFKC-fold a text (full-width forms to half-width)."""
    return unicodedata.normalize("NFKC", text)


def compact(text: str) -> str:
    """Fold and remove all whitespace, for matching across OCR's stray spaces."""
    return "".join(fold(text).split())


def _to_decimal(figure: str) -> Decimal | None:
    try:
        return Decimal(figure.replace(",", "")).quantize(Decimal("0.01"))
    except InvalidOperation:
        return None


def amounts_in_text(text: str) -> list[AmountInText]:
    """Find every ``人民币…元…`` in the text with its value and the nearest figure (or None)."""
    folded = compact(text)  # OCR puts spaces between characters: 人 民 币 壹 万
    found: list[AmountInText] = []
    for m in _WORDS_RE.finditer(folded):
        words = m["w"]
        if not words or words in ("元", "元整"):
            continue  # an empty form field: 人民币____元
        try:
            value: Decimal | None = parse_amount_in_words(words)
            problem = ""
        except ValueError as exc:
            value, problem = None, str(exc)
        figure = None
        after = _AFTER_RE.search(folded[m.end() : m.end() + 40])
        if after:
            figure = _to_decimal(after["f"])
        else:
            before = _BEFORE_RE.search(folded[max(0, m.start() - 30) : m.start()])
            if before:
                figure = _to_decimal(before["f"])
        found.append(AmountInText(words, value, figure, problem))
    return found


def contains_name(text_compact: str, name: str) -> bool:
    """True if the (whitespace-free) text contains the name (also whitespace-free)."""
    return compact(name) in text_compact


def contains_unit(text_compact: str, unit_code: str) -> bool:
    """True if the text names the unit (``3栋2单元1203``, ``3号楼2单元1203室`` or ``03-2-1203``)."""
    if unit_code in text_compact:
        return True
    return any(u.code == unit_code for u in find_units(text_compact))


def contains_number(text_compact: str, number: str) -> bool:
    """True if the text contains a contract or filing number (case and spaces ignored)."""
    return compact(number).upper() in text_compact.upper()
