"""Money as exact decimals, and amounts in Chinese capitals (大写金额).

Amounts are ``Decimal`` quantised to the fen (0.01) everywhere; a float is
rejected outright, because ``0.1 + 0.2`` on a compensation agreement is a
lawsuit.  In files they are strings (``"12000.00"``).

Writing 大写 uses ``cn2an`` (its ``rmb`` mode produces the fixed form the
department uses, checked against the PBC examples in the tests):
``12000 → 人民币壹万贰仟元整``, ``16409.02 → 人民币壹万陆仟肆佰零玖元零贰分``.
Reading 大写 back (to check that an agreement's figures and words agree) is our
own tolerant parser: cn2an cannot read ``元零贰分`` or ``伍角``, and the PBC
rules allow optional 零 variants that a person may have typed.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from docgen.errors import quote_input

FEN = Decimal("0.01")
MAX_AMOUNT = Decimal("999999999999.99")

_DIGITS = {"零": 0, "〇": 0, "壹": 1, "贰": 2, "叁": 3, "肆": 4, "伍": 5, "陆": 6, "柒": 7, "捌": 8, "玖": 9}
_SMALL_UNITS = {"拾": 10, "佰": 100, "仟": 1000}
_BIG_UNITS = {"万": 10_000, "亿": 100_000_000}


def to_money(value: Any) -> Decimal:
    """Convert a string, int or Decimal to an exact amount in yuan (2 places); reject floats."""
    if isinstance(value, (bool, float)):
        raise ValueError("金额不能是浮点数,请写成字符串,如 \"12000.00\"")
    if isinstance(value, Decimal):
        amount = value
    elif isinstance(value, int):
        amount = Decimal(value)
    elif isinstance(value, str):
        text = value.strip().replace(",", "").replace(",", "").replace("¥", "").replace("元", "")
        try:
            amount = Decimal(text)
        except InvalidOperation as exc:
            raise ValueError(f"金额{quote_input(value)}不是有效数字") from exc
    else:
        raise ValueError(f"金额应为字符串或整数,而不是 {type(value).__name__}")
    if not amount.is_finite():
        raise ValueError(f"金额{quote_input(value)}不是有限数")
    # before quantize: 1e30 has more digits than the decimal context holds (InvalidOperation)
    if abs(amount) > MAX_AMOUNT:
        raise ValueError(f"金额{quote_input(value)}超出范围(最大 {MAX_AMOUNT:,.2f} 元)")
    quantised = amount.quantize(FEN, rounding=ROUND_HALF_UP)
    if quantised != amount:
        raise ValueError(f"金额{quote_input(value)}精确到分(最多两位小数)")
    return quantised


def money_str(amount: Decimal) -> str:
    """Format an amount for files and plain text: ``12000.00``."""
    return f"{amount.quantize(FEN):f}"


def money_display(amount: Decimal) -> str:
    """Format an amount for people: ``¥12,000.00``."""
    return f"¥{amount.quantize(FEN):,.2f}"


def amount_in_words(amount: Decimal | str | int, prefix: bool = True) -> str:
    """Write an amount in Chinese capitals in the one fixed form we generate.

    >>> amount_in_words(Decimal("12000"))
    '人民币壹万贰仟元整'
    """
    value = to_money(amount)
    if value < 0:
        raise ValueError("大写金额不能为负数")
    if value == 0:
        words = "零元整"
    else:
        import cn2an  # imported here: it costs ~0.2 s, and `docgen search` never needs it

        words = cn2an.an2cn(money_str(value), "rmb")
    return ("人民币" + words) if prefix else words


def parse_amount_in_words(text: str) -> Decimal:
    """Read an amount in Chinese capitals back into a Decimal.

    Accepts ``人民币`` or not, ``整``/``正`` or not, and the optional 零 of the PBC
    rules (``壹拾万柒仟元零伍角`` and ``壹拾万零柒仟元伍角`` are the same).
    """
    s = "".join(text.split())
    for junk in ("人民币", "(大写)", "(大写)", "大写", ":", ":"):
        s = s.replace(junk, "")
    s = s.rstrip("整正")
    if not s:
        raise ValueError("大写金额为空")
    yuan_part, _, rest = s.partition("元")
    if not _ and ("角" in s or "分" in s):
        yuan_part, rest = "", s
    fen = 0
    if rest:
        jiao_text, has_jiao, fen_text = rest.partition("角")
        if has_jiao:
            fen += 10 * _digit(jiao_text.lstrip("零") or "零", text)
        else:
            fen_text = jiao_text
        fen_text = fen_text.lstrip("零")
        if fen_text:
            if not fen_text.endswith("分"):
                raise ValueError(f"无法识别的大写金额: {text}")
            fen += _digit(fen_text[:-1], text)
    yuan = _parse_integer(yuan_part, text) if yuan_part else 0
    return (Decimal(yuan) + Decimal(fen) / 100).quantize(FEN)


def _digit(ch: str, original: str) -> int:
    if len(ch) != 1 or ch not in _DIGITS:
        raise ValueError(f"无法识别的大写金额: {original}")
    return _DIGITS[ch]


def _parse_integer(s: str, original: str) -> int:
    total = 0
    section = 0
    digit = 0
    for ch in s:
        if ch in _DIGITS:
            digit = _DIGITS[ch]
        elif ch in _SMALL_UNITS:
            section += (digit or 1) * _SMALL_UNITS[ch]
            digit = 0
        elif ch in _BIG_UNITS:
            section += digit
            total = (total + section) * _BIG_UNITS[ch] if ch == "亿" else total + section * _BIG_UNITS[ch]
            section = 0
            digit = 0
        else:
            raise ValueError(f"无法识别的大写金额: {original}(字符{quote_input(ch)})")
    return total + section + digit
