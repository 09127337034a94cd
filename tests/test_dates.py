"""Dates people type: a wrong format and a day that does not exist are told apart."""

from __future__ import annotations

import datetime as dt

import pytest

from docgen.dates import parse_date


@pytest.mark.parametrize(
    ("typed", "expected"),
    [("2026-06-30", dt.date(2026, 6, 30)), ("２０２６-０６-３０", dt.date(2026, 6, 30)), ("2026/6/3", dt.date(2026, 6, 3)),
     ("2024-02-29", dt.date(2024, 2, 29)), (" 2026.12.31 ", dt.date(2026, 12, 31))],
)
def test_dates_read(typed: str, expected: dt.date) -> None:
    assert parse_date(typed) == expected


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("2026-02-29", "日期 2026-02-29 不存在：2026 年 2 月只有 28 天"),
        ("2026-02-30", "2026 年 2 月只有 28 天"),
        ("2026-04-31", "2026 年 4 月只有 30 天"),
        ("2026-13-01", "月份应为 1 到 12"),
        ("0000-01-01", "年份"),
        ("明天", "应写成 YYYY-MM-DD"),
        ("20260630", "应写成 YYYY-MM-DD"),
    ],
)
def test_bad_dates_say_what_is_wrong(typed: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_date(typed)
    if "不存在" in message or "只有" in message:
        with pytest.raises(ValueError) as err:
            parse_date(typed)
        assert "格式" not in str(err.value) and "应写成" not in str(err.value)
