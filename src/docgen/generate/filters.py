"""Chinese helpers for templates: 大写 amounts, Chinese dates, money figures and masking.

Templates call them as Jinja filters (``{{ amount|大写 }}`` or ``{{ amount|daxie }}``,
``{{ date|cn_date }}``, ``{{ owner.id_number|mask_id }}``), so the department can
edit wording in Word without touching code while the one fixed form of each
(PBC 大写, ``2026年11月28日``, ``110105********002X``) stays in one place.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from jinja2 import Undefined

from docgen.money import FEN, amount_in_words, to_money
from docgen.privacy import mask_address, mask_id_number, mask_phone

WEEKDAYS = "一二三四五六日"


def cn_date(value: dt.date | dt.datetime | None) -> str:
    """``2026年11月28日`` (no leading zeros, as Chinese documents print dates)."""
    if value is None:
        return ""
    return f"{value.year}年{value.month}月{value.day}日"


def cn_datetime(value: dt.datetime | None) -> str:
    """``2026年6月18日 09:30``."""
    if value is None:
        return ""
    return f"{cn_date(value)} {value:%H:%M}"


def cn_weekday(value: dt.date) -> str:
    """``星期四``."""
    return "星期" + WEEKDAYS[value.weekday()]


def money(value: Decimal | str | int) -> str:
    """Figures with thousands separators and two places: ``12,000.00``."""
    return f"{to_money(value).quantize(FEN):,.2f}"


def daxie(value: Decimal | str | int, prefix: bool = True) -> str:
    """大写 in the one fixed form: ``人民币壹万贰仟元整`` (``prefix=False`` drops 人民币)."""
    return amount_in_words(value, prefix=prefix)


def qty(value: Decimal | str | int) -> str:
    """A quantity without trailing zeros: ``12.5``, ``3``."""
    q = Decimal(str(value))
    return format(q.normalize(), "f")


def mask_id(value: str) -> str:
    """``350102********1234``."""
    return mask_id_number(value) if value else ""


def mask_tel(value: str) -> str:
    """``138****5678`` (empty stays empty)."""
    return mask_phone(value) if value else ""


def mask_addr(value: str) -> str:
    """Keep the first six characters of an address."""
    return mask_address(value) if value else ""


def strict(fn: Callable[..., str]) -> Callable[..., str]:
    """Make a filter fail on a missing value (naming it) instead of formatting the placeholder."""

    @functools.wraps(fn)
    def wrapper(value: Any, *args: Any, **kwargs: Any) -> str:
        if isinstance(value, Undefined):
            value._fail_with_undefined_error()
        return fn(value, *args, **kwargs)

    return wrapper


_FILTERS: dict[str, Any] = {
    "cn_date": cn_date,
    "中文日期": cn_date,
    "cn_datetime": cn_datetime,
    "cn_weekday": cn_weekday,
    "money": money,
    "daxie": daxie,
    "大写": daxie,
    "qty": qty,
    "mask_id": mask_id,
    "mask_phone": mask_tel,
    "mask_address": mask_addr,
}

FILTERS: dict[str, Any] = {name: strict(fn) for name, fn in _FILTERS.items()}
