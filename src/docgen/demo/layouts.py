"""The sample's 楼盘表 (unit attributes for every room) and the patterns planted for the figures to show.

Every room of every building of a sample project gets a 户型 by its position on
the floor (end rooms 01 and 04 are the large, 南北通透 ones), the 户型's areas
(套内 about 78-80 % of 建筑面积, as 得房率 goes), a 朝向, the phase's 装修标准 and a
成交单价 that rises with the floor and with the orientation, around the
project's price range; the 总价区间 follows.  A household's contract area and
total price come from its room's row, so the dossiers and the table agree.

Three patterns a manager should see in ``docgen report`` (tests/test_report_demo.py
asserts each one is visible):

- **one 户型 with far more 渗漏**: in 华轩首座 (HXSZ) every room of 户型 B2 (三室两厅一卫,
  the 03 rooms) is prone to 卫生间地面渗漏 (an extra leak report for about half of
  them), in every building: the per-100-units rate of that 户型 is several times
  the project's, and it is a *recurring* defect (the same component in the same
  户型 across buildings: a design signal);
- **one building with a complaint spike in one month**: in 云海湾 (YHW) the building
  of 一期 with the most households gets up to :data:`SPIKE_SIZE` 工程质量 complaints
  in the week of :data:`SPIKE_START` (a typhoon: 外墙窗边渗水), enough for the
  "≥ 5 complaints of one category in one building within 7 days" warning;
- **one contractor with slow repairs**: :data:`~docgen.demo.world.SLOW_CONTRACTOR`
  takes 16-27 days to finish a repair where the others take 2-7 (still inside
  the 30-day rule, so the audit finds nothing: only the figures show it), and
  owners revisited after its repairs are less satisfied.

:func:`patterns_in` says where the patterns landed in a given build (the
tests read it rather than hard-coding buildings).
"""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from decimal import Decimal

from docgen.demo.world import SLOW_CONTRACTOR, ProjectPlan, UnitTraits
from docgen.models import UnitRecord, UnitTable
from docgen.report.units import price_band

# project -> room number on the floor -> (户型编号, 户型名称, 建筑面积, 得房率, 朝向)
LAYOUTS: dict[str, dict[int, tuple[str, str, str, str, str]]] = {
    "HXSZ": {
        1: ("A1", "三室两厅两卫", "125.36", "0.786", "南北通透"),
        2: ("B1", "两室两厅一卫", "89.12", "0.792", "朝南"),
        3: ("B2", "三室两厅一卫", "99.48", "0.781", "朝南"),
        4: ("A2", "三室两厅两卫", "128.07", "0.784", "南北通透"),
    },
    "YHW": {
        1: ("C1", "四室两厅两卫", "143.55", "0.772", "南北通透"),
        2: ("C2", "三室两厅两卫", "118.20", "0.779", "东南"),
        3: ("C2", "三室两厅两卫", "118.20", "0.779", "西南"),
        4: ("D1", "两室两厅一卫", "86.40", "0.801", "南北通透"),
    },
}
LEAKY = ("HXSZ", "B2")
"""(project, 户型) planted with far more 卫生间地面渗漏."""
FINISH = {("HXSZ", "一期"): "毛坯", ("HXSZ", "二期"): "精装", ("HXSZ", "三期"): "精装", ("YHW", "一期"): "精装",
          ("YHW", "二期"): "精装"}
FINISH_PREMIUM = {"毛坯": Decimal(0), "简装": Decimal(800), "精装": Decimal(2500)}
ORIENTATION_PREMIUM = {"南北通透": Decimal("1.03"), "朝南": Decimal("1.01"), "东南": Decimal("1.00"),
                       "西南": Decimal("0.99")}
SPIKE_PROJECT = "YHW"
SPIKE_PHASE = "一期"
SPIKE_START = dt.date(2026, 8, 10)
SPIKE_SIZE = 8


def unit_rows(pp: ProjectPlan, seed: int) -> list[UnitRecord]:
    """Every room of the project's buildings, with its attributes (deterministic for the seed)."""
    from docgen.demo.world import ENTRANCES, FLOORS, ROOMS

    code = pp.spec.code
    rng = random.Random(f"{seed}:{code}:units")
    low, high = pp.spec.unit_price
    base = Decimal((low + high) // 2 - 1500)
    rows = []
    for phase in pp.phases:
        finish = FINISH.get((code, phase.spec.name), "毛坯")
        for b in phase.buildings:
            for e in range(1, ENTRANCES + 1):
                for f in FLOORS:
                    for r in range(1, ROOMS + 1):
                        layout, name, area, ratio, facing = LAYOUTS[code][r]
                        area_d = Decimal(area)
                        floor_factor = 1 + Decimal(f - FLOORS.start) * Decimal("0.004")
                        noise = Decimal(rng.randint(-150, 150)) / 10000
                        price = ((base + FINISH_PREMIUM[finish]) * floor_factor * ORIENTATION_PREMIUM[facing]
                                 * (1 + noise)).quantize(Decimal("10"))
                        rows.append(UnitRecord(
                            unit=f"{b}-{e}-{f:02d}{r:02d}", layout=layout, layout_name=name, area_building=area_d,
                            area_inner=(area_d * Decimal(ratio)).quantize(Decimal("0.01")), floor=f,
                            orientation=facing, finish=finish, unit_price=price,
                            price_band=price_band(area_d * price)))
    return sorted(rows, key=lambda u: u.unit)


class Patterns:
    """Where the planted patterns go in one build, and the traits of each room."""

    def __init__(self, plans: list[ProjectPlan], seed: int) -> None:
        self.rows: dict[str, dict[str, UnitRecord]] = {}
        self.tables: dict[str, list[UnitRecord]] = {}
        self.names = {pp.spec.code: pp.spec.name for pp in plans}
        for pp in plans:
            rows = unit_rows(pp, seed)
            self.tables[pp.spec.code] = rows
            self.rows[pp.spec.code] = {u.unit: u for u in rows}
        rng = random.Random(f"{seed}:patterns")
        self.spike: dict[str, dt.date] = {}
        self.spike_building = ""
        spiked = next((p for p in plans if p.spec.code == SPIKE_PROJECT), None)
        phase = next((ph for ph in spiked.phases if ph.spec.name == SPIKE_PHASE), None) if spiked else None
        if phase is not None and phase.units:
            counts = Counter(u.split("-", 1)[0] for u in phase.units)
            self.spike_building = max(sorted(counts), key=lambda b: counts[b])
            members = [u for u in phase.units if u.startswith(self.spike_building + "-")][:SPIKE_SIZE]
            for u in members:
                self.spike[u] = SPIKE_START + dt.timedelta(days=rng.randint(0, 5))

    def table(self, code: str, when: dt.datetime, actor: str) -> UnitTable:
        """The project's 楼盘表 as the sales department would hand it over."""
        return UnitTable(project=code, source=f"{self.names[code]}楼盘表.xlsx", imported_at=when, imported_by=actor,
                         units=self.tables[code])

    def traits(self, code: str, unit: str) -> UnitTraits | None:
        """What the 楼盘表 and the patterns say about a room (None for a room outside the table)."""
        row = self.rows.get(code, {}).get(unit)
        if row is None or row.area_building is None or row.unit_price is None:
            return None
        return UnitTraits(area=row.area_building, unit_price=row.unit_price,
                          leak_prone=(code, row.layout) == LEAKY,
                          complaint_on=self.spike.get(unit) if code == SPIKE_PROJECT else None)

    def described(self) -> dict[str, object]:
        """Where the patterns are (kept in ``DEMO-PLANTED.json`` under ``patterns``)."""
        return {
            "leaky_layout": {"project": LEAKY[0], "layout": LEAKY[1], "component": "卫生间地面渗漏"},
            "complaint_spike": {"project": SPIKE_PROJECT, "building": self.spike_building, "category": "工程质量",
                                "month": SPIKE_START.strftime("%Y-%m"), "households": len(self.spike)},
            "slow_contractor": {"contractor": SLOW_CONTRACTOR, "completion_days": [16, 27], "others": [2, 7]},
        }


def patterns_in(manifest: dict[str, object]) -> dict[str, object]:
    """The patterns a sample archive's ``DEMO-PLANTED.json`` records."""
    value = manifest.get("patterns")
    return value if isinstance(value, dict) else {}
