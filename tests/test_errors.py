"""How messages show what people typed: short, visible, never a Python repr (errors.show_input / quote_input)."""

from __future__ import annotations

import pytest

from docgen.errors import NotFoundError, quote_input, show_input
from docgen.money import to_money
from docgen.units import check_project_code, check_safe_id, split_key


def test_shown_keeps_ordinary_values_as_they_are() -> None:
    assert show_input("HXSZ/03-2-1203") == "HXSZ/03-2-1203"
    assert show_input("3栋2单元1203 张 伟") == "3栋2单元1203 张 伟"
    assert quote_input("lucene") == "「lucene」"
    assert show_input(12) == "12"


def test_shown_cuts_long_values_saying_how_long_they_were() -> None:
    assert show_input("1" * 5000) == "1" * 40 + "…(共 5000 个字符)"
    assert show_input("1" * 40) == "1" * 40  # exactly the limit: whole


def test_shown_makes_control_and_invisible_characters_visible() -> None:
    assert show_input("YHW\x00") == "YHW␀"
    assert show_input("a\nb\tc\x7f") == "a␊b␉c␡"
    assert show_input("abc\u202edef\u200b") == "abc⟨U+202E⟩def⟨U+200B⟩"  # a bidi override cannot turn the text round


@pytest.mark.parametrize(("call", "message"), [
    (lambda: check_safe_id("YHW\x00", "文件编号"), "文件编号「YHW␀」无效"),
    (lambda: check_project_code("HX\nSZ"), "项目编号「HX␊SZ」"),
    (lambda: split_key("HXSZ"), "档案编号「HXSZ」无效"),
    (lambda: to_money("12,5x"), "金额「12,5x」不是有效数字"),
])
def test_core_messages_quote_input_without_repr(call, message: str) -> None:
    with pytest.raises(ValueError) as err:
        call()
    assert message in str(err.value)
    assert "'" not in str(err.value) and "\\x" not in str(err.value)


def test_a_long_id_is_not_echoed_whole() -> None:
    with pytest.raises(ValueError) as err:
        check_safe_id("9" * 5000 + "/", "记录编号")
    assert len(str(err.value)) < 200 and "(共 5001 个字符)" in str(err.value)
    assert NotFoundError  # the web maps both to a 404 page (tests/test_web_pages.py)


def test_a_trailing_newline_does_not_pass_the_safe_id_check() -> None:
    # ``$`` matches before a final newline: "BX-2026-00001\n" was a safe id and its 404 hid the newline
    with pytest.raises(ValueError, match="记录编号「BX-2026-00001␊」无效"):
        check_safe_id("BX-2026-00001\n", "记录编号")
    with pytest.raises(ValueError):
        check_project_code("HXSZ\x00")
