"""Reading amounts, names, units and numbers out of document text (text layer or OCR)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from docgen.audit.textcheck import (
    amounts_in_text,
    compact,
    contains_name,
    contains_number,
    contains_unit,
)


@pytest.mark.parametrize(
    ("text", "value", "figure"),
    [
        ("赔偿金额为人民币(大写)壹万贰仟元整(小写:¥12,000.00元)", "12000.00", "12000.00"),
        ("赔偿金额:人民币壹万贰仟伍佰元整(¥12,000.00)", "12500.00", "12000.00"),  # full-width forms
        ("合计 16409.02 元(大写:人民币壹万陆仟肆佰零玖元零贰分)", "16409.02", "16409.02"),
        ("人民币陆仟零柒元壹角肆分 ¥6007.14", "6007.14", "6007.14"),
        ("人 民 币 壹 万 贰 仟 元 整", "12000.00", None),
        ("退还人民币壹拾万柒仟元零伍角", "107000.50", None),
    ],
)
def test_amounts(text: str, value: str, figure: str | None) -> None:
    [found] = amounts_in_text(text)
    assert found.value == Decimal(value)
    assert found.figure == (Decimal(figure) if figure else None)


def test_blank_form_field_and_no_amount() -> None:
    assert amounts_in_text("金额:人民币____元(小写____元)") == []
    assert amounts_in_text("没有金额的文字") == []


def test_unreadable_words() -> None:
    [found] = amounts_in_text("人民币壹万贰仟元伍分整")
    assert found.value is None or found.value == Decimal("12000.05")
    [bad] = amounts_in_text("人民币元角分")
    assert bad.value is None and bad.problem


def test_two_amounts_in_one_text() -> None:
    found = amounts_in_text("甲:人民币壹仟元整(¥1,000.00);乙:人民币贰仟元整(¥2,000.00)")
    assert [(a.value, a.figure) for a in found] == [(Decimal("1000.00"),) * 2, (Decimal("2000.00"),) * 2]


def test_units_names_numbers() -> None:
    flat = compact("业主 张 伟 购买 3 栋2 单元1203 室,合同编号 hxsz-ht-2024-0001")
    assert contains_name(flat, "张伟")
    assert not contains_name(flat, "张伟强")
    assert contains_unit(flat, "03-2-1203")
    assert not contains_unit(flat, "03-2-1204")
    assert contains_unit(compact("见 03-2-1204 号房"), "03-2-1204")
    assert contains_unit(compact("３号楼２单元１２０３室"), "03-2-1203")
    assert contains_number(flat, "HXSZ-HT-2024-0001")
    assert not contains_number(flat, "HXSZ-HT-2024-0002")


def test_compact_map_grows_and_keeps_every_entry() -> None:
    from docgen.audit.crossindex import CompactMap, fingerprint

    m = CompactMap(capacity=8)
    keys = [fingerprint(f"k{i}") for i in range(5000)]
    for i, k in enumerate(keys):
        assert m.setdefault(k, i) == i
    assert len(m) == 5000
    assert all(m.setdefault(k, 99_999) == i for i, k in enumerate(keys))
    assert m.nbytes < 5000 * 16 * 3


def test_cross_index() -> None:
    from docgen.audit.crossindex import CrossIndex

    names = {("P/01-1-0101", "110105194912310021"): "张三"}
    cross = CrossIndex(lambda key, idn: names[(key, idn)])
    sha = "ab" * 32
    assert cross.seen_file("P/01-1-0101", sha) is None
    assert cross.seen_file("P/01-1-0101", sha) is None  # same dossier twice: not a cross-dossier duplicate
    assert cross.seen_id("P/01-1-0101", "110105194912310021", "张三") is None
    assert cross.seen_file("P/01-1-0102", sha) == "P/01-1-0101"
    assert cross.seen_id("P/01-1-0102", "110105194912310021", "张三") is None  # one person, two units
    assert cross.seen_id("P/01-1-0103", "110105194912310021", "李四") == ("P/01-1-0101", "张三")
    assert cross.key(2) == "P/01-1-0103"


def test_compact_map_put_and_get() -> None:
    from docgen.audit.crossindex import CompactMap, fingerprint

    m = CompactMap(capacity=4)
    for i in range(100):
        m.put(fingerprint(f"p{i}"), i)
    m.put(fingerprint("p7"), 0)  # a later journal entry replaces an earlier one
    assert m.get(fingerprint("p7")) == 0
    assert m.get(fingerprint("p8")) == 8
    assert m.get(fingerprint("nope")) is None
    assert len(m) == 100


def test_a_different_amount_after_the_words_is_not_their_figure() -> None:
    [found] = amounts_in_text("总价款人民币壹佰贰拾伍万元整,首付¥375,000.00,余款按揭")
    assert found.value == Decimal("1250000.00") and found.figure is None
    [found] = amounts_in_text("首付¥375,000.00,总价款人民币壹佰贰拾伍万元整")
    assert found.figure is None
    [found] = amounts_in_text("人民币壹万贰仟元整(12,000.00元)")
    assert found.figure == Decimal("12000.00")
