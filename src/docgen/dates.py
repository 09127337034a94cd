"""Reading the dates people type, with a message that says what is wrong with a bad one.

``2026-02-30`` is not a badly formatted date but a day that does not exist,
and a clerk who typed it needs to hear that (2026 年 2 月只有 28 天), not
``does not match the format '%Y-%m-%d'``.  The CLI's date options and
``field=value`` edits read dates here.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
import unicodedata

from docgen.errors import quote_input

_DATE_RE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")


def date_problem(year: int, month: int, day: int) -> str | None:
    """Why ``year-month-day`` is not a day of the calendar, or None when it is."""
    if year < 1:
        return "年份应从 1 起"
    if not 1 <= month <= 12:
        return "月份应为 1 到 12"
    last = calendar.monthrange(year, month)[1]
    if not 1 <= day <= last:
        return f"{year} 年 {month} 月只有 {last} 天"
    return None


def parse_date(value: str) -> dt.date:
    """Read ``YYYY-MM-DD`` (full-width digits and ``/`` or ``.`` separators accepted); raise ValueError in Chinese.

    The message tells a wrong format (``应写成 YYYY-MM-DD``) from a day that
    does not exist (``2026 年 2 月只有 28 天``).
    """
    text = unicodedata.normalize("NFKC", value).strip().replace("/", "-").replace(".", "-")
    m = _DATE_RE.match(text)
    if m is None:
        raise ValueError(f"{quote_input(value)}不是日期,应写成 YYYY-MM-DD(如 2026-06-30)")
    year, month, day = (int(g) for g in m.groups())
    problem = date_problem(year, month, day)
    if problem:
        raise ValueError(f"日期 {text} 不存在:{problem}")
    return dt.date(year, month, day)
