"""面积补差 (art. 20 of 《商品房销售管理办法》, or the contract's own rule): a table of cases, exact to the fen."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest

from docgen.generate import samples
from docgen.generate.area import STATUTE, AreaAdjustmentError, area_adjustment, round_fen
from docgen.generate.context import area_context
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


def test_unit_price_derived_from_the_total_is_rounded_to_the_fen() -> None:
    # 1,250,000 / 89.50 = 13,966.4804… yuan/m²: the contract unit price is a yuan amount, 13,966.48, as printed
    adj = area_adjustment(D("89.50"), D("90.12"), price_total=D("1250000.00"))
    assert adj.unit_price == Fraction("13966.48") and adj.price_source == "总房款 ÷ 合同面积"
    assert adj.amount == D("8659.22")  # 0.62 × 13,966.48 = 8,659.2176
    big = area_adjustment(D("89.50"), D("86.10"), price_total=D("1250000.00"))
    # within 3 %: 2.685 m² × 13,966.48 = 37,499.9988; beyond: 0.715 m² × 13,966.48 × 2 = 19,972.0664
    assert [line.amount_fen for line in big.lines] == [D("-37500.00"), D("-19972.07")]
    assert big.amount == D("-57472.07") and big.ratio_percent == D("-3.80")
    above = area_adjustment(D("89.50"), D("93.26"), price_total=D("1250000.00"))
    assert above.amount == D("37500.00") and above.beyond and above.ratio_percent == D("4.20")


def test_amount_is_the_printed_price_times_the_area() -> None:
    """A person checks 面积差 × the printed 合同单价 by hand: the sheet must agree to the fen.

    Δ 0.51 m² of 89.50 m² for 1,250,000.00: the exact fraction gives 7,122.9050… → 7,122.91, but the
    sheet prints 13,966.48 元/㎡ and 0.51 × 13,966.48 = 7,122.9048 → 7,122.90.
    """
    adj = area_adjustment(D("89.50"), D("90.01"), price_total=D("1250000.00"))
    assert round_fen(Fraction(D("0.51")) * Fraction(1250000) / Fraction(D("89.50"))) == D("7122.91")  # the two differ
    assert round_fen(adj.unit_price) == adj.unit_price  # the price is itself to the fen
    assert adj.amount == D("7122.90") and [line.amount_fen for line in adj.lines] == [D("7122.90")]
    ctx = area_context(samples.project(), samples.batch(), samples.dossier(), adj, samples.TODAY)
    line = ctx["lines"][0]
    assert (line["area"], line["price"], line["amount"]) == ("+0.51", "13,966.48", "7,122.90")
    assert ctx["adjustment"]["price"].startswith("13,966.48 元/㎡（总房款¥1,250,000.00÷89.50㎡，四舍五入至分）")


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
