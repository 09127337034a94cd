"""Exact money and 大写 amounts (PBC examples from domain.md)."""

from __future__ import annotations

import random
from decimal import Decimal

import pytest

from docgen.money import amount_in_words, money_display, parse_amount_in_words, to_money


@pytest.mark.parametrize(
    ("amount", "words"),
    [
        ("1409.50", "人民币壹仟肆佰零玖元伍角"),
        ("6007.14", "人民币陆仟零柒元壹角肆分"),
        ("16409.02", "人民币壹万陆仟肆佰零玖元零贰分"),
        ("12000", "人民币壹万贰仟元整"),
        ("10", "人民币壹拾元整"),
        ("0", "人民币零元整"),
        ("100000000", "人民币壹亿元整"),
    ],
)
def test_amount_in_words_fixed_form(amount: str, words: str) -> None:
    assert amount_in_words(amount) == words
    assert parse_amount_in_words(words) == to_money(amount)


@pytest.mark.parametrize(
    "variant", ["壹拾万零柒仟元伍角叁分", "壹拾万柒仟元零伍角叁分", "人民币壹拾万柒仟元伍角叁分", "壹拾万柒仟元伍角叁分整"]
)
def test_reading_accepts_the_optional_zero_variants(variant: str) -> None:
    assert parse_amount_in_words(variant) == Decimal("107000.53")


def test_round_trip_of_many_amounts() -> None:
    rng = random.Random(7)
    for _ in range(3000):
        amount = Decimal(rng.randrange(0, 10**12)) / 100
        assert parse_amount_in_words(amount_in_words(amount)) == amount


def test_float_is_refused_and_fen_enforced() -> None:
    with pytest.raises(ValueError, match="浮点数"):
        to_money(0.1)
    with pytest.raises(ValueError, match="精确到分"):
        to_money("1.005")
    with pytest.raises(ValueError, match="不是有效数字"):
        to_money("一万")
    assert to_money("12,000.5") == Decimal("12000.50")
    assert money_display(Decimal("12000")) == "¥12,000.00"


def test_garbage_words_are_refused() -> None:
    with pytest.raises(ValueError):
        parse_amount_in_words("喜万贰什抽佰元整")


@pytest.mark.parametrize("value", ["1e30", "-1e30", "1E+40", "9" * 40])
def test_huge_amounts_are_refused_in_chinese(value: str) -> None:
    """1e30 has more digits than the decimal context holds: it used to escape as decimal.InvalidOperation."""
    with pytest.raises(ValueError, match="超出范围"):
        to_money(value)
