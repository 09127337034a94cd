"""Unit codes and dossier keys."""

from __future__ import annotations

import pytest

from docgen.errors import UnsafePathError
from docgen.units import check_safe_id, find_units, parse_unit, split_key


@pytest.mark.parametrize("text", ["03-2-1203", "3栋2单元1203", "3号楼2单元1203室", "３栋２单元１２０３", "3 栋2 单元1203"])
def test_unit_forms(text: str) -> None:
    unit = parse_unit(text)
    assert unit.code == "03-2-1203"
    assert unit.label == "3栋2单元1203"


def test_find_units_in_running_text() -> None:
    text = "业主张伟(3栋2单元1203)与5号楼1单元502的邻居"
    assert [u.code for u in find_units(text)] == ["03-2-1203", "05-1-502"]


@pytest.mark.parametrize("key", ["../etc/passwd", "/HXSZ/03-2-1203", "HXSZ/../../x", "HXSZ\\03-2-1203", "HXSZ/03/2"])
def test_keys_that_escape_are_refused(key: str) -> None:
    with pytest.raises(UnsafePathError):
        split_key(key)


@pytest.mark.parametrize("value", ["..", "../x", "a/b", "", "x" * 80, ".hidden"])
def test_unsafe_ids(value: str) -> None:
    with pytest.raises(UnsafePathError):
        check_safe_id(value)


def test_bad_unit_message() -> None:
    with pytest.raises(ValueError, match="无法识别"):
        parse_unit("三栋二单元")
