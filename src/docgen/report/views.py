"""The figures as tables with charts: one :class:`Sheet` per figure, shared by the XLSX and HTML writers.

Why a layer of its own: the workbook (one worksheet per figure, a native
Excel chart beside its numbers) and the page (one section per figure, an SVG
chart above its table) must show the same numbers under the same headings;
both are drawn from the sheets built here.  Every number cell keeps the
drill-down query of the records behind it (the web dashboard links it).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from docgen.report.warnings import SEVERITY_LABELS

PCT, INT, FLOAT, MONEY, TEXT = "pct", "int", "float", "money", "text"


@dataclass(frozen=True, slots=True)
class Column:
    """A column: its heading and how its values are shown."""

    label: str
    kind: str = INT


@dataclass(frozen=True, slots=True)
class Cell:
    """A value and, for a number, the drill-down query of the records behind it."""

    value: Any
    drill: str | None = None


@dataclass(frozen=True, slots=True)
class Chart:
    """A chart over some columns of a sheet: ``bar`` (one value per row), ``stacked`` or ``line``."""

    kind: str
    title: str
    values: tuple[int, ...]
    category: int = 0
    unit: str = ""
    as_share: bool = False
    highlight: tuple[str, ...] = ()
    marker: float | None = None
    marker_label: str = ""


@dataclass
class Sheet:
    """One figure: a name (the worksheet's, at most 31 characters), a heading, how it is computed, its table, its charts."""

    name: str
    title: str
    note: str
    columns: list[Column]
    rows: list[list[Cell]] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)
    heat: bool = False
    """Colour the number cells by value (a heat table: complaints per building and month)."""
    brief: int | None = None
    """How many columns a terminal shows (None: all)."""

    def category_labels(self, chart: Chart) -> list[str]:
        """The labels of a chart's rows."""
        return [str(r[chart.category].value) for r in self.rows]


def _c(value: Any, drill: dict[str, str] | None = None, name: str = "count") -> Cell:
    return Cell(value, drill.get(name) if drill else None)


def _many(projects: Sequence[str]) -> bool:
    return len(projects) > 1


def _pl(multi: bool, project: str, label: str) -> str:
    return f"{project} {label}" if multi else label


def sheets(f: dict[str, Any]) -> list[Sheet]:
    """Every figure as a sheet, warnings first."""
    multi = _many(f["meta"]["projects"])
    out: list[Sheet] = []
    th = f["meta"].get("threshold_values", {})

    # 预警
    s = Sheet("预警", "预警", "按 thresholds.json 中的阈值判断(docs/report.md);级别最高的在前。",
              [Column("级别", TEXT), Column("类型", TEXT), Column("项目", TEXT), Column("说明", TEXT),
               Column("数值", FLOAT), Column("阈值", FLOAT)])
    for w in f["warnings"]:
        s.rows.append([Cell(SEVERITY_LABELS[w["severity"]]), Cell(w["title"]), Cell(w["project"]),
                       Cell(w["message"], w["drill"]), Cell(w["value"]), Cell(w["threshold"])])
        # the value may be a share (0.25) or a count: only the message links to the records, never a ratio
    out.append(s)

    # 交房
    s = Sheet("交房", "交房:各批次进度与收房率",
              "收房率 = 已收房 ÷ 批次房间数;各环节为累计(已到场包括已收房、拒收、整改中)。"
              "验房问题数按验房记录中以顿号、分号分隔的条目计,每户问题数 = 问题条目 ÷ 已到场户数。",
              [Column("批次", TEXT), Column("名称", TEXT), Column("交房窗口", TEXT), Column("房间数"),
               Column("已通知"), Column("已预约"), Column("已到场"), Column("已收房"), Column("拒收"),
               Column("整改中"), Column("收房率", PCT), Column("验房有问题户数"), Column("每户问题数", FLOAT),
               Column("未通知"), Column("已通知未预约"), Column("已预约未到场"), Column("到场未收房")])
    for h in f["handover"]:
        d = h["drill"]
        other = h["attended"] - h["accepted"] - h["rejected"] - h["rectifying"]
        s.rows.append([
            Cell(f"{h['project']}/{h['batch']}"), Cell(h["name"]), Cell(f"{h['window_start']} 至 {h['window_end']}"),
            _c(h["units"], d, "units"), _c(h["notified"], d, "notified"), _c(h["booked"], d, "booked"),
            _c(h["attended"], d, "attended"), _c(h["accepted"], d, "accepted"), _c(h["rejected"], d, "rejected"),
            _c(h["rectifying"], d, "rectifying"), _c(h["rate"], d, "accepted"), _c(h["defects"], d, "defects"),
            Cell(h["defects_per_unit"]), Cell(h["units"] - h["notified"]), Cell(h["notified"] - h["booked"]),
            Cell(h["booked"] - h["attended"]), Cell(other)])
    s.charts = [Chart("bar", "收房率", (10,), unit="%"),
                Chart("stacked", "各批次房间所处环节", (7, 9, 8, 16, 15, 14, 13))]
    s.brief = 13
    out.append(s)

    # 收房率 day by day
    batches = [h for h in f["handover"] if h["daily"]]
    if batches:
        longest = max(len(h["daily"]) for h in batches)
        s = Sheet("收房率走势", "收房率:交房窗口内逐日累计",
                  "第 N 天为交房窗口第一天起的第 N 天;每天的数为截至当天的累计已收房 ÷ 房间数(窗口前提前收房的计入第 1 天)。"
                  "虚线为 thresholds.json 中的收房计划。",
                  [Column("第 N 天", TEXT), *[Column(f"{h['project']}/{h['batch']}", PCT) for h in batches]])
        for i in range(longest):
            row = [Cell(f"第 {i + 1} 天")]
            for h in batches:
                day = h["daily"][i] if i < len(h["daily"]) else None
                row.append(Cell(day["rate"], day["drill"]) if day else Cell(None))
            s.rows.append(row)
        s.charts = [Chart("line", "收房率逐日累计", tuple(range(1, len(batches) + 1)), unit="%")]
        out.append(s)

    # 办证
    s = Sheet("办证", "办证:产权证办理状态",
              "统计期间内交房的户;逾期 = 未办结且今天已过办证期限(合同约定天数,未约定为规则中的 90 天,"
              "自交房日起算);天数 = 交房日至办结日。",
              [Column("项目/批次", TEXT), Column("已交房"), Column("未办理"), Column("资料收集中"), Column("已递交"),
               Column("已办结"), Column("办结率", PCT), Column("逾期"), Column("30 天内到期"),
               Column("交房至办结中位天数", FLOAT), Column("90% 在此天数内", FLOAT)])
    for c in [*f["certificates"]["by_project"], *f["certificates"]["by_batch"]]:
        d = c["drill"]
        st = c["status"]
        s.rows.append([Cell(f"{c['project']}/{c['batch']}" if c["batch"] else c["project"]),
                       _c(c["delivered"], d, "delivered"), *[_c(st[k], d, k) for k in ("未办理", "资料收集中", "已递交", "已办结")],
                       _c(c["done_rate"], d, "已办结"), _c(c["overdue"], d, "overdue"),
                       _c(c["due_within_30_days"], d, "due30"), Cell(c["median_days"]), Cell(c["p90_days"])])
    s.charts = [Chart("stacked", "产权证办理状态", (2, 3, 4, 5))]
    out.append(s)

    # 维修
    warned_layouts = {f"{w['project']} {w['key'].split('/')[0]}" for w in f["warnings"] if w["kind"] == "layout_defects"}
    for key, name, title in (
        ("by_building", "维修-楼栋", "维修:各楼栋报修(每百户)"),
        ("by_layout", "维修-户型", "维修:各户型报修(每百户)"),
        ("by_component", "维修-部位", "维修:各部位报修"),
        ("by_category", "维修-保修类别", "维修:按保修期表的类别"),
    ):
        rows = f["repairs"][key]
        s = Sheet(name, title,
                  "报修单按报修日期计入期间,已完成和未完成的都计;每百户 = 报修单数 ÷ 该组截至期末已交房户数 × 100。"
                  "户型取自楼盘表。完成天数 = 完成日期 − 报修日期。",
                  [Column("分组", TEXT), Column("报修"), Column("交付户数"), Column("每百户", FLOAT), Column("未完成"),
                   Column("逾期未完成"), Column("响应中位天数", FLOAT), Column("完成中位天数", FLOAT),
                   Column("90% 在此天数内完成", FLOAT)])
        for r in rows:
            d = r["drill"]
            s.rows.append([Cell(_pl(multi, r["project"], r["label"])), _c(r["count"], d), Cell(r["units"]),
                           _c(r["per_100"], d), _c(r["open"], d, "open"), _c(r["overdue"], d, "overdue"),
                           Cell(r["median_response_days"]), Cell(r["median_completion_days"]),
                           Cell(r["p90_completion_days"])])
        highlight = tuple(row[0].value for row, r in zip(s.rows, rows, strict=True)
                          if key == "by_layout" and f"{r['project']} {r['key']}" in warned_layouts)
        value = 3 if key in ("by_building", "by_layout") else 1
        s.charts = [Chart("bar", "每百户报修" if value == 3 else "报修单数", (value,), highlight=highlight)]
        out.append(s)

    rows = f["repairs"]["by_contractor"]
    slow = th.get("contractor_slow", {}).get("max_median_days")
    s = Sheet("维修-单位", "维修:各维修单位的用时",
              "响应天数 = 响应日期(无则完成日期)− 报修日期;完成天数 = 完成日期 − 报修日期;90% 为最近秩百分位。"
              "虚线为预警阈值(完成中位天数)。",
              [Column("维修单位", TEXT), Column("报修"), Column("未完成"), Column("逾期未完成"),
               Column("响应中位天数", FLOAT), Column("完成中位天数", FLOAT), Column("90% 在此天数内完成", FLOAT)])
    for r in rows:
        d = r["drill"]
        s.rows.append([Cell(_pl(multi, r["project"], r["label"])), _c(r["count"], d), _c(r["open"], d, "open"),
                       _c(r["overdue"], d, "overdue"), Cell(r["median_response_days"]),
                       Cell(r["median_completion_days"]), Cell(r["p90_completion_days"])])
    warned = tuple(_pl(multi, w["project"], w["key"]) for w in f["warnings"] if w["kind"] == "contractor_slow")
    s.charts = [Chart("bar", "完成中位天数", (5,), unit="天", highlight=warned, marker=slow, marker_label="阈值")]
    out.append(s)

    s = Sheet("重复缺陷", "重复缺陷:同一户型同一部位出现在多栋楼",
              "同一项目、同一户型、同一部位的报修,出现在至少 N 栋楼且至少 M 起(thresholds.json 的 recurring);"
              "每百户按该户型的交付户数计,与项目平均对比:是产品设计的信号。",
              [Column("户型与部位", TEXT), Column("报修"), Column("涉及楼栋", TEXT), Column("户型交付户数"),
               Column("每百户", FLOAT), Column("项目每百户", FLOAT)])
    for r in f["repairs"]["recurring"]:
        d = r["drill"]
        s.rows.append([Cell(_pl(multi, r["project"], f"{r['label']} · {r['component']}")), _c(r["count"], d),
                       Cell("、".join(f"{b.lstrip('0')}栋" for b in r["buildings"])), Cell(r["units"]),
                       _c(r["per_100"], d), Cell(r["project_per_100"])])
    s.charts = [Chart("bar", "每百户报修(户型 · 部位)", (4,))] if s.rows else []
    out.append(s)

    s = Sheet("维修时效", "维修:时效与保修",
              "按规则中的时限(响应 2 天、完成 30 天,可按项目调整)判断:按时/超时为已响应或已完成的,"
              "未到期/已逾期为尚未响应或完成的;保修期内占比 = 判定为保修期内 ÷ 已判定。",
              [Column("项目", TEXT), Column("报修"), Column("未完成"), Column("逾期未完成"), Column("保修期内占比", PCT),
               Column("响应中位天数", FLOAT), Column("响应 90% 天数", FLOAT), Column("按时响应占比", PCT),
               Column("完成中位天数", FLOAT), Column("完成 90% 天数", FLOAT), Column("按时完成占比", PCT),
               Column("按时完成"), Column("超时完成"), Column("未完成未到期"), Column("未完成已逾期")])
    for r in f["repairs"]["timeliness"]:
        d = r["drill"]
        c = r["completion"]
        s.rows.append([Cell(r["project"]), _c(r["count"], d), _c(r["open"], d, "open"), _c(r["overdue"], d, "overdue"),
                       _c(r["in_warranty_share"], d, "in_warranty"), Cell(r["median_response_days"]),
                       Cell(r["p90_response_days"]), _c(r["response_on_time_share"], d, "response_ontime"),
                       Cell(r["median_completion_days"]), Cell(r["p90_completion_days"]),
                       _c(r["completion_on_time_share"], d, "completion_ontime"),
                       _c(c["ontime"], d, "completion_ontime"), _c(c["late"], d, "completion_late"),
                       _c(c["pending"], d, "completion_pending"), _c(c["overdue"], d, "completion_overdue")])
    s.charts = [Chart("stacked", "完成情况", (11, 12, 13, 14))]
    s.brief = 11
    out.append(s)

    # 投诉
    for key, name, title, per in (("by_category", "投诉-类别", "投诉:按类别", False),
                                  ("by_building", "投诉-楼栋", "投诉:按楼栋(每百户)", True)):
        s = Sheet(name, title,
                  "投诉按受理日期计入期间,未关闭和已关闭的都计;每百户按该组有档案的户数计(投诉可能在交房前);"
                  "逾期 = 未关闭且受理已超过关闭时限(规则中 15 天)。",
                  [Column("分组", TEXT), Column("投诉"), Column("户数"), Column("每百户", FLOAT), Column("未关闭"),
                   Column("逾期未关闭"), Column("关闭中位天数", FLOAT)])
        for r in f["complaints"][key]:
            d = r["drill"]
            s.rows.append([Cell(_pl(multi, r["project"], r["label"])), _c(r["count"], d), Cell(r["units"]),
                           _c(r["per_100"], d), _c(r["open"], d, "open"), _c(r["overdue"], d, "overdue"),
                           Cell(r["median_close_days"])])
        s.charts = [Chart("bar", "每百户投诉" if per else "投诉件数", (3 if per else 1,))]
        out.append(s)

    cells = f["complaints"]["by_building_month"]
    if cells:
        months = sorted({c["month"] for c in cells})
        groups = sorted({(c["project"], c["key"], c["label"]) for c in cells})
        s = Sheet("投诉-楼栋月份", "投诉:各楼栋逐月(集中投诉一目了然)",
                  "每格为该楼栋当月受理的投诉件数(颜色越深越多);同一楼栋同类投诉 7 天内 ≥ 5 件时预警。",
                  [Column("楼栋", TEXT), *[Column(m) for m in months]], heat=True)
        index = {(c["project"], c["key"], c["month"]): c for c in cells}
        for p, b, label in groups:
            row = [Cell(_pl(multi, p, label))]
            for m in months:
                c = index.get((p, b, m))
                row.append(Cell(c["count"], c["drill"]["count"]) if c else Cell(0))
            s.rows.append(row)
        out.append(s)

    per_project = sorted({r["project"] for r in f["complaints"]["by_month"]})
    month_list = sorted({r["key"] for r in f["complaints"]["by_month"]})
    if month_list:
        s = Sheet("投诉-月份", "投诉:逐月件数", "按受理月份。",
                  [Column("月份", TEXT), *[Column(p) for p in per_project]])
        index2 = {(r["project"], r["key"]): r for r in f["complaints"]["by_month"]}
        for m in month_list:
            row = [Cell(m)]
            for p in per_project:
                r = index2.get((p, m))
                row.append(Cell(r["count"], r["drill"]["count"]) if r else Cell(0))
            s.rows.append(row)
        s.charts = [Chart("line", "每月投诉件数", tuple(range(1, len(per_project) + 1)))]
        out.append(s)

    s = Sheet("投诉-总况", "投诉:关闭时效与重复投诉",
              "按时关闭 = 受理至关闭不超过时限;重复投诉的业主 = 期间内投诉 2 次及以上的户(见下方清单)。",
              [Column("项目", TEXT), Column("投诉"), Column("未关闭"), Column("逾期未关闭"), Column("已关闭"),
               Column("按时关闭"), Column("按时关闭占比", PCT), Column("关闭中位天数", FLOAT),
               Column("90% 在此天数内关闭", FLOAT), Column("重复投诉的户")])
    repeat_by_project: dict[str, int] = {}
    for r in f["complaints"]["repeat"]:
        repeat_by_project[r["project"]] = repeat_by_project.get(r["project"], 0) + 1
    for r in f["complaints"]["totals"]:
        d = r["drill"]
        s.rows.append([Cell(r["project"]), _c(r["count"], d), _c(r["open"], d, "open"), _c(r["overdue"], d, "overdue"),
                       Cell(r["closed"]), _c(r["closed_on_time"], d, "closed_on_time"), Cell(r["on_time_share"]),
                       Cell(r["median_close_days"]), Cell(r["p90_close_days"]),
                       Cell(repeat_by_project.get(r["project"], 0))])
    for r in f["complaints"]["repeat"]:
        s.rows.append([Cell(f"重复投诉:{r['key']}"), _c(r["count"], r["drill"]), *[Cell(None)] * 8])
    out.append(s)

    # 回访与满意度
    s = Sheet("回访覆盖", "回访:应回访与已回访",
              "定期回访:交房后每 N 个月(规则中 6 个月)一次,该时段内有一次已完成的回访即为已做;"
              "维修后 / 投诉后回访:完成或关闭后规则时限内(60 天 / 3 天)有已完成的回访;尚未到期的不计。",
              [Column("项目与类型", TEXT), Column("应回访"), Column("已回访"), Column("未回访"), Column("覆盖率", PCT)])
    for r in f["revisits"]["coverage"]:
        d = r["drill"]
        s.rows.append([Cell(_pl(multi, r["project"], r["reason"])), Cell(r["due"]), _c(r["done"], d, "done"),
                       _c(r["missed"], d, "missed"), Cell(r["rate"])])
    s.charts = [Chart("bar", "回访覆盖率", (4,), unit="%")]
    out.append(s)

    for key, name, title, label in (
        ("by_quarter", "满意度-季度", "满意度:逐季度(趋势)", "quarter"),
        ("by_project", "满意度-项目", "满意度:各项目", "project"),
        ("by_layout", "满意度-户型", "满意度:各户型", "label"),
        ("by_reason", "满意度-回访类型", "满意度:维修后、投诉后与定期回访", "key"),
    ):
        rows = f["satisfaction"][key]
        s = Sheet(name, title, "已完成回访的满意度:A 满意、B 基本满意、C 不满意;按回访日期计入季度和期间。",
                  [Column("分组", TEXT), Column("A 满意"), Column("B 基本满意"), Column("C 不满意"), Column("合计"),
                   Column("满意占比", PCT), Column("不满意占比", PCT)])
        for r in rows:
            d = r["drill"]
            group = r[label] if key != "by_layout" else _pl(multi, r["project"], r["label"])
            s.rows.append([Cell(group), _c(r["A"], d, "A"), _c(r["B"], d, "B"), _c(r["C"], d, "C"), Cell(r["total"]),
                           Cell(r["a_share"]), Cell(r["c_share"])])
        s.charts = [Chart("stacked", "满意度构成", (1, 2, 3), as_share=True)]
        if key == "by_quarter":
            s.charts.append(Chart("line", "满意占比趋势", (5, 6), unit="%"))
        out.append(s)

    # 费用
    costs = f["costs"]
    for section, part, name, title, note in (
        ("compensation", "by_cause", "赔偿-原因", "赔偿金额:按核实原因", "报修单上的赔偿金额,按报修日期计入期间。"),
        ("compensation", "by_component", "赔偿-部位", "赔偿金额:按部位", "报修单上的赔偿金额,按报修日期计入期间。"),
        ("compensation", "by_contractor", "赔偿-单位", "赔偿金额:按原维修单位", "报修单上的赔偿金额。"),
        ("third_party", "by_contractor", "第三方维修-单位", "第三方维修费用:按第三方单位",
         "已审批和已付款结算的审定金额(结算总价),按填报日期计入期间;草稿与审批中的另计为待审批。"),
        ("third_party", "by_component", "第三方维修-部位", "第三方维修费用:按部位", "结算所付报修单的部位。"),
        ("chargeback", "by_contractor", "质保金扣回", "扣回原施工单位的金额(质保金)", "已审批和已付款结算的质保金扣回金额。"),
    ):
        rows = costs[section][part]
        s = Sheet(name, title, note + f" 合计 {costs[section]['total']} 元。",
                  [Column("分组", TEXT), Column("笔数"), Column("金额(元)", MONEY)])
        for r in rows:
            s.rows.append([Cell(_pl(multi, r["project"], r["key"])), _c(r["count"], r["drill"]),
                           _c(float(r["amount"]), r["drill"])])
        s.charts = [Chart("bar", "金额(元)", (2,))] if rows else []
        out.append(s)

    # 个人
    if "people" in f:
        s = Sheet("个人", "个人:首问责任与经办(仅经理可见)",
                  "投诉按首问责任人计,报修按经办人计,回访按回访人计;满意度为其案件(投诉、报修)之后回访的满意度。",
                  [Column("姓名", TEXT), Column("首问投诉"), Column("已关闭"), Column("按时关闭"), Column("逾期未关闭"),
                   Column("经办报修"), Column("已完成"), Column("按时完成"), Column("逾期未完成"), Column("完成回访"),
                   Column("案件后 A"), Column("案件后 B"), Column("案件后 C"), Column("案件后满意占比", PCT)])
        for r in f["people"]:
            d = r["drill"]
            g = r["satisfaction"]
            s.rows.append([Cell(r["name"]), _c(r["complaints"], d, "complaints"), Cell(r["complaints_closed"]),
                           _c(r["complaints_on_time"], d, "complaints_on_time"),
                           _c(r["complaints_overdue"], d, "complaints_overdue"), _c(r["repairs"], d, "repairs"),
                           _c(r["repairs_closed"], d, "repairs_closed"), _c(r["repairs_on_time"], d, "repairs_on_time"),
                           _c(r["repairs_overdue"], d, "repairs_overdue"), _c(r["revisits"], d, "revisits"),
                           _c(g["A"], d, "satisfaction_A"), _c(g["B"], d, "satisfaction_B"),
                           _c(g["C"], d, "satisfaction_C"), Cell(g["a_share"])])
        s.charts = [Chart("stacked", "其案件之后回访的满意度", (10, 11, 12), as_share=True)]
        out.append(s)
    return out
