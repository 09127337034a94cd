"""预警: what the manager should look at first, judged against the thresholds in ``thresholds.json``.

Each warning is a dict ``{kind, title, severity, project, key, message, value,
threshold, drill}``; ``drill`` is the query string of the records behind it.
They are sorted most severe first, so every output lists them before the
figures, and ``docgen report --fail-on`` exits with status 3 when one reaches
the given severity (the audit's convention for scheduled runs).

Kinds (:data:`docgen.report.thresholds.WARNING_KINDS`):

- ``complaint_cluster``: ≥ N complaints of one category in one building within
  D days (each burst once: the longest run of complaints no more than D days
  after its first);
- ``handover_behind_plan``: while a window runs (and for a while after it), the
  收房率 on the last plan day reached is below the plan;
- ``repairs_overdue``: the share of open repairs past the completion deadline, once at least
  ``min_count`` of them are (a share of one or two tickets is noise);
- ``contractor_slow``: a contractor's median completion days;
- ``layout_defects``: a 户型 whose repairs of one component per 100 delivered
  units reach a factor of the project's rate (a design signal);
- ``certificates_overdue`` / ``complaints_overdue``: records past their deadline now;
- ``satisfaction_low``: a quarter's share of C (不满意).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from docgen.report.facts import NO_LAYOUT, Walker, building_label
from docgen.report.thresholds import WARNING_KINDS, Thresholds

if TYPE_CHECKING:
    from docgen.report.figures import Tally

SEVERITY_RANK = {"error": 3, "warning": 2, "info": 1}
SEVERITY_LABELS = {"error": "严重", "warning": "警告", "info": "提示"}


def _pct(value: float) -> str:
    return f"{value * 100:.1f}%"


def compute_warnings(t: Tally, w: Walker, th: Thresholds, q: Callable[..., str]) -> list[dict[str, Any]]:
    """Every warning the tally reaches, most severe first."""
    from docgen.report.figures import median, per_100, share

    out: list[dict[str, Any]] = []
    today = t.today

    def add(kind: str, project: str, key: str, message: str, value: Any, threshold: Any, drill: str,
            severity: str) -> None:
        out.append({"kind": kind, "title": WARNING_KINDS[kind], "severity": severity,
                    "severity_label": SEVERITY_LABELS[severity], "project": project, "key": key,
                    "message": message, "value": value, "threshold": threshold, "drill": drill})

    # complaints of one category bunched in one building
    for (project, building, category), items in sorted(t.comp_dates.items()):
        rule = th.section("complaint_cluster", project)
        if not th.enabled("complaint_cluster", project) or len(items) < rule.min_count:
            continue
        items = sorted(items)
        i = 0
        while i < len(items):
            limit = items[i][0] + dt.timedelta(days=rule.days - 1)
            j = i
            while j + 1 < len(items) and items[j + 1][0] <= limit:
                j += 1
            n = j - i + 1
            if n >= rule.min_count:
                start, end = items[i][0], items[j][0]
                drill = _sub_period(q, "complaints", start, end, project=project, building=building, category=category)
                add("complaint_cluster", project, f"{building}/{category}",
                    f"{project} {building_label(building)} {start} 至 {end} 有 {n} 件「{category}」投诉"
                    f"(阈值:{rule.days} 天内 ≥ {rule.min_count} 件);请查明共同原因,统一处理并回复业主",
                    n, rule.min_count, drill, rule.severity)
                i = j + 1
            else:
                i += 1

    # the handover plan
    for code in w.codes:
        rule = th.section("handover_plan", code)
        if not th.enabled("handover_behind_plan", code) or not rule.plan:
            continue
        for b in w.view(code).batches:
            tb = t.batches.get((code, b.id))
            if tb is None or not tb.units or today < b.window_start:
                continue
            if today > b.window_end + dt.timedelta(days=rule.active_days_after):
                continue
            length = (b.window_end - b.window_start).days + 1
            elapsed = min((today - b.window_start).days + 1, length)
            reached = [(length if p.day == "end" else min(p.day, length), p.rate) for p in rule.plan]
            reached = [(d, r) for d, r in reached if d <= elapsed]
            if not reached:
                continue
            day, planned = max(reached)
            by = b.window_start + dt.timedelta(days=day - 1)
            accepted = sum(n for d, n in tb.accepted_on.items() if d <= by)
            actual = accepted / tb.units
            if actual < planned:
                add("handover_behind_plan", code, b.id,
                    f"{code}/{b.id}「{b.name}」交房第 {day} 天({by})收房 {accepted}/{tb.units} 户,收房率 {_pct(actual)},"
                    f"低于计划 {_pct(planned)};请跟进未收房业主(拒收、整改中的尽快整改)",
                    round(actual, 6), planned, q("batch_units", project=code, batch=b.id, accepted=""), rule.severity)

    # repairs
    for project, rt in sorted(t.rep_project.items()):
        rule = th.section("repairs_overdue", project)
        is_open: int = rt["state"]["open"]
        overdue: int = rt["overdue"]
        if th.enabled("repairs_overdue", project) and is_open and overdue >= rule.min_count \
                and overdue / is_open >= rule.max_share:
            days = w.view(project).deadlines.repair_completion_days
            add("repairs_overdue", project, "",
                f"{project} 未修完的 {is_open} 张报修单中有 {overdue} 张已超过 {days} 天的完成时限"
                f"({_pct(overdue / is_open)},阈值 {_pct(rule.max_share)});请督促维修单位",
                round(overdue / is_open, 6), rule.max_share, q("repairs", project=project, overdue="1"), rule.severity)
    for (project, contractor), r in sorted(t.rep["contractor"].items()):
        rule = th.section("contractor_slow", project)
        value = median(r.days2)
        if not th.enabled("contractor_slow", project) or len(r.days2) < rule.min_tickets or value is None:
            continue
        if value > rule.max_median_days:
            add("contractor_slow", project, contractor,
                f"{project} {contractor} 修完 {len(r.days2)} 张报修单的中位用时 {value} 天"
                f"(阈值 {rule.max_median_days} 天);请约谈维修单位,考虑调整派单",
                value, rule.max_median_days, q("repairs", project=project, contractor=contractor), rule.severity)
    for (project, layout, component), r in sorted(t.rep_layout_component.items()):
        rule = th.section("layout_defects", project)
        if not th.enabled("layout_defects", project) or layout == NO_LAYOUT or r.count < rule.min_count:
            continue
        units = t.delivered[("l", project, layout)]
        rate = per_100(r.count, units)
        base = per_100(t.rep["component"][(project, component)].count, t.delivered[("p", project)])
        if rate is None or not base:
            continue
        if rate >= rule.factor * base:
            label = w.view(project).layout_label(layout)
            add("layout_defects", project, f"{layout}/{component}",
                f"{project} 户型 {label} 的「{component}」报修每百户 {rate} 起,是项目平均({base} 起)的 "
                f"{rate / base:.1f} 倍({r.count} 起,涉及 {len(r.buildings)} 栋);请工程与设计部门查找原因",
                rate, round(rule.factor * base, 1), q("repairs", project=project, layout=layout, component=component),
                rule.severity)

    # things past their deadline now
    for (project, batch), c in sorted(t.cert.items()):
        rule = th.section("certificates_overdue", project)
        if batch or not th.enabled("certificates_overdue", project) or c["overdue"] < rule.min_count:
            continue
        add("certificates_overdue", project, "",
            f"{project} 有 {c['overdue']} 户交房后已超过办证期限(合同约定,未约定的 90 天)仍未办结产权证;请跟进",
            c["overdue"], rule.min_count, q("dossiers", project=project, in_period="1", cert_overdue="1"), rule.severity)
    for project, ct in sorted(t.comp_project.items()):
        rule = th.section("complaints_overdue", project)
        if not th.enabled("complaints_overdue", project) or ct["overdue"] < rule.min_count:
            continue
        closure = w.view(project).deadlines.complaint_closure_days
        add("complaints_overdue", project, "",
            f"{project} 有 {ct['overdue']} 件投诉受理已超过 {closure} 天仍未关闭;请首问责任人跟进",
            ct["overdue"], rule.min_count, q("complaints", project=project, overdue="1"), rule.severity)
    for (project, quarter_), grades in sorted(t.sat["project_quarter"].items()):
        rule = th.section("satisfaction_low", project)
        total = grades["A"] + grades["B"] + grades["C"]
        if not th.enabled("satisfaction_low", project) or total < rule.min_revisits:
            continue
        c_share = share(grades["C"], total) or 0.0
        if c_share >= rule.max_c_share:
            add("satisfaction_low", project, quarter_,
                f"{project} {quarter_} 回访 {total} 次中不满意(C){grades['C']} 次,占 {_pct(c_share)}"
                f"(阈值 {_pct(rule.max_c_share)})",
                c_share, rule.max_c_share,
                q("revisits", project=project, quarter=quarter_, status="已完成", satisfaction="C"), rule.severity)
    out.sort(key=lambda x: (-SEVERITY_RANK[x["severity"]], x["kind"], x["project"], x["key"]))
    return out


def _sub_period(q: Callable[..., str], kind: str, start: dt.date, end: dt.date, **criteria: str) -> str:
    """A drill-down over a sub-period (a cluster's days), within the report's own period."""
    from urllib.parse import parse_qsl, urlencode

    pairs = [(k, v) for k, v in parse_qsl(q(kind, **criteria)) if k not in ("from", "to")]
    return urlencode([*pairs, ("from", start.isoformat()), ("to", end.isoformat())])


def failing(warnings: list[dict[str, Any]], threshold: str) -> int:
    """How many warnings reach ``threshold`` (``never``: none)."""
    if threshold == "never":
        return 0
    rank = SEVERITY_RANK[threshold]
    return sum(1 for x in warnings if SEVERITY_RANK[x["severity"]] >= rank)
