"""面积补差 (art. 20 of 《商品房销售管理办法》, or the contract's own rule): a table of cases, exact to the fen."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest

from docgen.generate.area import STATUTE, AreaAdjustmentError, area_adjustment, round_fen
from docgen.models import AreaRule

D = Decimal
# contract 100.00 m² for 1,000,000.00 yuan: 10,000 yuan/m², so every amount is easy to check by hand
CASES = [
    # measured, ratio %, beyond ±3 %, total (+ the buyer pays, − refunded), line amounts
    ("100.50", "0.50", False, "5000.00", ["5000.00"]),
    ("99.50", "-0.50", False, "-5000.00", ["-5000.00"]),
    ("103.00", "3.00", False, "30000.00", ["30000.00"]),  # exactly +3 %: still settled at the unit price
    ("97.00", "-3.00", False, "-30000.00", ["-30000.00"]),  # exactly −3 %
    ("104.20", "4.20", True, "30000.00", ["30000.00", "0.00"]),  # the 1.2 m² beyond 3 % is the developer's
    ("96.20", "-3.80", True, "-46000.00", ["-30000.00", "-16000.00"]),  # 0.8 m² beyond 3 % refunded at double
    ("100.00", "0.00", False, "0.00", []),
]


@pytest.mark.parametrize(("measured", "ratio", "beyond", "total", "lines"), CASES)
def test_statutory_rule_table(measured: str, ratio: str, beyond: bool, total: str, lines: list[str]) -> None:
    adj = area_adjustment(D("100.00"), D(measured), price_total=D("1000000.00"))
    assert adj.ratio_percent == D(ratio)
    assert adj.beyond is beyond
    assert adj.amount == D(total)
    assert [str(line.amount_fen) for line in adj.lines] == lines
    assert adj.statutory and adj.rule.basis == STATUTE
    assert adj.direction == ("补缴" if D(total) > 0 else "退还" if D(total) < 0 else "无需补退")


def test_unit_price_derived_from_the_total_is_kept_exact() -> None:
    # 1,250,000 / 89.50 = 13,966.4804… yuan/m²: rounding it first would move the amounts
    adj = area_adjustment(D("89.50"), D("90.12"), price_total=D("1250000.00"))
    assert adj.unit_price == Fraction(1250000) / Fraction("89.5") and adj.price_source == "总房款 ÷ 合同面积"
    assert adj.amount == D("8659.22")  # 1250000 × 0.62 / 89.5 = 8659.2178…
    big = area_adjustment(D("89.50"), D("86.10"), price_total=D("1250000.00"))
    # within 3 %: 2.685 m² → exactly 3 % of the price, 37,500.00; beyond: 0.715 m² × 2 → 19,972.0670…
    assert [line.amount_fen for line in big.lines] == [D("-37500.00"), D("-19972.07")]
    assert big.amount == D("-57472.07") and big.ratio_percent == D("-3.80")
    above = area_adjustment(D("89.50"), D("93.26"), price_total=D("1250000.00"))
    assert above.amount == D("37500.00") and above.beyond and above.ratio_percent == D("4.20")


def test_explicit_unit_price_wins_over_the_total() -> None:
    adj = area_adjustment(D("100.00"), D("101.234"), unit_price=D("12345.67"), price_total=D("999.00"))
    assert adj.price_source == "合同单价"
    # 1.234 × 12,345.67 = 15,234.55678 → 15,234.56 (half up, once); 999.00 / 100 would give 12.33
    assert adj.amount == D("15234.56")


def test_rounding_is_half_up_once_at_the_end() -> None:
    assert round_fen(Fraction(5, 1000)) == D("0.01")  # 0.005 → 0.01
    assert round_fen(Fraction(-5, 1000)) == D("-0.01")
    assert round_fen(Fraction(4999, 1000000)) == D("0.00")
    # shortfall beyond 3 % at 0.01 yuan/m²: lines −0.03 and −0.01998 (shown −0.02); the total is rounded once
    adj = area_adjustment(D("100.000"), D("96.001"), unit_price=D("0.01"))
    assert [line.amount_fen for line in adj.lines] == [D("-0.03"), D("-0.02")]
    assert adj.exact_total == Fraction(-4998, 100000) and adj.amount == D("-0.05")


def test_contract_rule_replaces_the_statutory_one() -> None:
    rule = AreaRule(basis="《商品房买卖合同》第五条", band="1", excess="买受人补足", shortfall_multiple="1")
    adj = area_adjustment(D("100.00"), D("102.00"), price_total=D("1000000.00"), rule=rule)
    assert adj.beyond and not adj.statutory
    assert adj.amount == D("20000.00")  # the buyer pays all of it under this contract
    within = area_adjustment(D("100.00"), D("100.80"), price_total=D("1000000.00"),
                             rule=AreaRule(basis="合同第五条", within="不作调整"))
    assert within.amount == D("0.00") and within.lines == []


@pytest.mark.parametrize(
    ("contract", "measured", "price", "message"),
    [
        ("0", "90.00", "1000000.00", "合同约定面积(合同面积)为 0 ㎡,应大于 0"),
        ("89.50", "0", "1000000.00", "实测面积(面积实测报告)为 0 ㎡,应大于 0"),
        ("-1", "90.00", "1000000.00", "应大于 0"),
        (None, "90.00", "1000000.00", "未登记合同约定面积"),
        ("89.50", None, "1000000.00", "未登记实测面积(面积实测报告),无法计算面积补差"),
        ("89.50", "90.00", None, "未登记合同单价或总房款"),
        ("89.50", "90.00", "0", "总房款为 0 元,应大于 0"),
    ],
)
def test_bad_areas_and_prices_are_refused_clearly(contract: str | None, measured: str | None, price: str | None,
                                                   message: str) -> None:
    with pytest.raises(AreaAdjustmentError, match=message.replace("(", r"\(").replace(")", r"\)")) as err:
        area_adjustment(D(contract) if contract else None, D(measured) if measured else None,
                        price_total=D(price) if price else None, where="档案 HXSZ/03-2-1204(3栋2单元1204)")
    assert "3栋2单元1204" in str(err.value)
