"""面积补差: the price difference when the measured area differs from the contract area.

《商品房销售管理办法》 art. 20 (the default when a contract agrees nothing else)::

    面积误差比 = (产权登记面积 − 合同约定面积) ÷ 合同约定面积 × 100%

* |面积误差比| ≤ 3 % (inclusive): the difference is settled at the contract unit
  price (多退少补).
* beyond 3 % the buyer may return the unit (退房: the developer refunds what was
  paid, with interest, within 30 days).  If the buyer keeps it:
  - excess (measured > contract): the part within 3 % is paid by the buyer at
    the unit price; the part beyond 3 % is borne by the developer (the buyer
    pays nothing for it, the area is theirs);
  - shortfall: the part within 3 % is refunded at the unit price, the part
    beyond 3 % at **double** the unit price.

A contract may agree other terms (:class:`~docgen.models.AreaRule` on the batch:
another band, no adjustment inside it, the buyer paying an excess, another
multiple); the statutory rule is its defaults.

The unit price (合同单价) is a yuan amount to the fen, the one the sheet prints:
the contract's (``Dossier.unit_price``) or, without one, 总房款 ÷ 合同面积
rounded half up to the fen (``1250000 / 89.5`` = 13,966.4804… → 13,966.48).
Keeping that quotient as an exact fraction would make the sheet disagree with
itself: a person checking 面积差 × the printed price by hand would be a fen off
(0.51 m² × 13,966.48 = 7,122.9048 → 7,122.90, the fraction gives 7,122.91).
Each line is area × that price × multiple, exact (:class:`fractions.Fraction`);
the total is their sum rounded **once**, at the end, to the fen, half up
(四舍五入).  The line amounts printed are each rounded the same way for display,
so with two lines they may differ from the total by a fen, which the sheet says.

:func:`area_adjustment` is pure (records in, numbers out): the generator, the
templates check and the tests all call it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction

from docgen.errors import DocgenError
from docgen.models import AreaRule

STATUTE = "《商品房销售管理办法》第二十条"
STATUTORY = AreaRule(basis=STATUTE)


class AreaAdjustmentError(DocgenError):
    """The areas or the price of a unit do not allow computing its 面积补差."""


def round_fen(value: Fraction) -> Decimal:
    """An exact fraction of yuan rounded half up (away from zero) to the fen."""
    cents = value * 100
    sign = -1 if cents < 0 else 1
    n, d = abs(cents.numerator), cents.denominator
    whole = (2 * n + d) // (2 * d)
    return (Decimal(sign * whole) / 100).quantize(Decimal("0.01"))


def round_to(value: Fraction, places: int) -> Decimal:
    """An exact fraction rounded half up (away from zero) to ``places`` decimals, for display."""
    scale = 10**places
    scaled = value * scale
    sign = -1 if scaled < 0 else 1
    n, d = abs(scaled.numerator), scaled.denominator
    whole = (2 * n + d) // (2 * d)
    return (Decimal(sign * whole) / scale).quantize(Decimal(1).scaleb(-places))


@dataclass(frozen=True)
class AdjustmentLine:
    """One line of the calculation: an area at a price and a multiple (positive: the buyer pays)."""

    item: str
    area: Fraction
    unit_price: Fraction
    multiple: Fraction
    amount: Fraction

    @property
    def amount_fen(self) -> Decimal:
        """The line's amount rounded to the fen, for display."""
        return round_fen(self.amount)


@dataclass(frozen=True)
class AreaAdjustment:
    """The result for one unit: areas, the variance ratio, the lines and the total (+ the buyer pays, − refund)."""

    contract_area: Decimal
    measured_area: Decimal
    unit_price: Fraction
    price_source: str
    rule: AreaRule
    lines: list[AdjustmentLine] = field(default_factory=list)
    ratio: Fraction = Fraction(0)

    @property
    def difference(self) -> Decimal:
        """实测面积 − 合同面积 (m², exact)."""
        return self.measured_area - self.contract_area

    @property
    def ratio_percent(self) -> Decimal:
        """面积误差比 in percent, rounded half up to 2 places for display (the rule uses the exact value)."""
        return round_to(self.ratio * 100, 2)

    @property
    def beyond(self) -> bool:
        """True when |面积误差比| exceeds the band: the buyer may return the unit."""
        return abs(self.ratio) * 100 > Fraction(self.rule.band)

    @property
    def exact_total(self) -> Fraction:
        """The sum of the lines, unrounded."""
        return sum((line.amount for line in self.lines), Fraction(0))

    @property
    def amount(self) -> Decimal:
        """The total, rounded once to the fen: positive, the buyer pays (补缴); negative, refunded (退还)."""
        return round_fen(self.exact_total)

    @property
    def direction(self) -> str:
        """补缴 (the buyer pays), 退还 (the developer refunds) or 无需补退."""
        amount = self.amount
        return "补缴" if amount > 0 else "退还" if amount < 0 else "无需补退"

    @property
    def statutory(self) -> bool:
        """True when the statutory rule (art. 20) applies, not terms of the contract."""
        return self.rule == STATUTORY


def _area(value: Decimal | None, what: str, where: str) -> Fraction:
    if value is None:
        raise AreaAdjustmentError(f"{where} 未登记{what},无法计算面积补差")
    if value <= 0:
        raise AreaAdjustmentError(f"{where} 的{what}为 {value} ㎡,应大于 0,请核对")
    return Fraction(value)


def area_adjustment(
    contract_area: Decimal | None,
    measured_area: Decimal | None,
    *,
    unit_price: Decimal | None = None,
    price_total: Decimal | None = None,
    rule: AreaRule | None = None,
    where: str = "该房屋",
) -> AreaAdjustment:
    """Compute a unit's 面积补差 under ``rule`` (default: art. 20); ``where`` names the unit in errors."""
    rule = rule or STATUTORY
    a = _area(contract_area, "合同约定面积(合同面积)", where)
    m = _area(measured_area, "实测面积(面积实测报告)", where)
    if unit_price is not None:
        if unit_price <= 0:
            raise AreaAdjustmentError(f"{where} 的合同单价为 {unit_price} 元,应大于 0,请核对")
        price = Fraction(unit_price)
        source = "合同单价"
    elif price_total is not None:
        if price_total <= 0:
            raise AreaAdjustmentError(f"{where} 的总房款为 {price_total} 元,应大于 0,请核对")
        price = Fraction(round_fen(Fraction(price_total) / a))  # a yuan amount, as printed (module docstring)
        source = "总房款 ÷ 合同面积"
    else:
        raise AreaAdjustmentError(f"{where} 未登记合同单价或总房款,无法计算面积补差")
    assert contract_area is not None and measured_area is not None
    diff = m - a
    ratio = diff / a
    band_area = a * Fraction(rule.band) / 100  # the area the band covers (3 % of the contract area)
    lines: list[AdjustmentLine] = []
    one = Fraction(1)
    if diff == 0:
        pass
    elif abs(diff) <= band_area:
        if rule.within == "据实结算":
            label = f"面积误差比在±{_pct(rule.band)}%以内（含），按合同单价据实结算"
            lines.append(AdjustmentLine(label, diff, price, one, diff * price))
    elif diff > 0:
        within = band_area if rule.within == "据实结算" else Fraction(0)
        if within:
            lines.append(AdjustmentLine(f"误差比{_pct(rule.band)}%以内（含）部分，由买受人按合同单价补足", within, price, one, within * price))
        rest = diff - band_area
        if rule.excess == "买受人补足":
            lines.append(AdjustmentLine(f"超出{_pct(rule.band)}%部分，由买受人按合同单价补足", rest, price, one, rest * price))
        else:
            lines.append(AdjustmentLine(f"超出{_pct(rule.band)}%部分，由开发企业承担（产权归买受人）", rest, price, Fraction(0), Fraction(0)))
    else:
        short = -diff
        within = band_area if rule.within == "据实结算" else Fraction(0)
        if within:
            lines.append(AdjustmentLine(f"误差比绝对值{_pct(rule.band)}%以内（含）部分，由开发企业按合同单价返还", -within, price, one, -within * price))
        rest = short - band_area
        multiple = Fraction(rule.shortfall_multiple)
        times = "双倍" if multiple == 2 else f"{_pct(rule.shortfall_multiple)}倍"
        lines.append(AdjustmentLine(f"绝对值超出{_pct(rule.band)}%部分，由开发企业按合同单价{times}返还", -rest, price, multiple, -rest * price * multiple))
    return AreaAdjustment(contract_area, measured_area, price, source, rule, lines, ratio)


def _pct(value: Decimal) -> str:
    return format(value.normalize(), "f")


__all__ = ["STATUTE", "AdjustmentLine", "AreaAdjustment", "AreaAdjustmentError", "area_adjustment", "round_fen"]
