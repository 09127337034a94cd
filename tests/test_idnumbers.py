"""ID numbers, credit codes, phones and masking."""

from __future__ import annotations

import pytest

from docgen.idnumbers import (
    credit_code_problem,
    id_number_problem,
    mask_id_number,
    mask_phone,
    normalize_id_number,
    phone_problem,
)


def test_valid_id_number_from_the_standard() -> None:
    assert id_number_problem("11010519491231002X") is None
    assert id_number_problem("11010519491231002x") is None  # lower-case x accepted
    assert normalize_id_number("１１０１０５１９４９１２３１００２Ｘ") == "11010519491231002X"


@pytest.mark.parametrize(
    ("number", "fragment"),
    [
        ("110105194912310021", "校验位错误(按 GB 11643 应为 X)"),
        ("11010519491331002X", "出生日期"),
        ("1101051949123100", "18 位"),
        ("11010519491231002Y", "18 位"),
    ],
)
def test_invalid_id_numbers_say_why(number: str, fragment: str) -> None:
    problem = id_number_problem(number)
    assert problem is not None and fragment in problem


def test_credit_code_checksum() -> None:
    assert credit_code_problem("91350100M000100Y43") is None
    assert "应为 3" in (credit_code_problem("91350100M000100Y44") or "")
    assert "18 位" in (credit_code_problem("9135") or "")


def test_phones() -> None:
    assert phone_problem("13812345678") is None
    assert phone_problem("0591-87654321") is None
    assert phone_problem("12345") is not None
    assert phone_problem("23812345678") is not None


def test_masks_follow_department_practice() -> None:
    assert mask_id_number("11010519491231002X") == "110105********002X"
    assert mask_phone("13812345678") == "138****5678"
