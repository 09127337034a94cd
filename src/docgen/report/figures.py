"""The figures for decisions (决策依据), computed in one pass over the archive.

:func:`compute` walks the projects in scope once (:class:`~docgen.report.facts.Walker`:
one dossier in memory at a time), adds every event to a :class:`Tally` (counters
and, for medians, lists of day counts) and turns the tally into plain data:
JSON-ready dicts and lists, money as strings, dates as ``YYYY-MM-DD``.  The
writers (XLSX, HTML, the terminal) and the web dashboard read that data; the
keys below are a promise to scripts (``docgen report --format json``)::

    warnings                         预警, listed first (:mod:`.warnings`)
    handover                         [{project, batch, units, accepted, rate, …, daily: […]}]
    certificates.by_project          办证 status counts, overdue, median days delivery → certificate
    repairs.by_building / by_component / by_layout   [{project, key, count, units, per_100, …}]
    repairs.by_contractor / by_category / recurring / timeliness
    complaints.by_category / by_building / by_month / repeat / totals
    revisits.coverage                due vs done
    satisfaction.by_quarter          [{quarter: "2026Q1", A, B, C, …}] and by_project / by_layout / by_reason
    costs                            compensation, third-party costs, charged back to contractors
    people                           per person (only for a user with ``figures_people``)

Rates per 100 units: repairs per 100 *delivered* households (the ones in
warranty) of the group, delivered by the end of the period; complaints per 100
households with a dossier (a complaint may come before delivery).  Every row
carries ``drill``: for each of its numbers, the query string of the records
behind it (:mod:`.drill`).
"""

from __future__ import annotations

import datetime as dt
import math
import statistics
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from docgen.money import money_str
from docgen.report.drill import Drill
from docgen.report.facts import (
    NO_LAYOUT,
    Event,
    Filters,
    ProjectView,
    Walker,
    building_label,
)
from docgen.vocab import SATISFACTION_LABELS

if TYPE_CHECKING:
    from docgen.archive import Archive
    from docgen.audit.rules import Rules
    from docgen.report.thresholds import Thresholds

SCHEMA_VERSION = 1
ZERO = Decimal("0.00")


def per_100(count: int, units: int) -> float | None:
    """Count per 100 units, one decimal (None without units)."""
    return round(count * 100 / units, 1) if units else None


def share(part: int, whole: int) -> float | None:
    """``part / whole`` with six decimals (None when ``whole`` is 0).

    Six, not four: a page shows a share as a percentage with one decimal, and
    rounding twice (1/29 = 0.0345 → 3.5 %) showed the wrong tenth.
    """
    return round(part / whole, 6) if whole else None


def median(values: list[int]) -> float | None:
    """The median (the mean of the two middle values for an even count), one decimal; None when empty."""
    return round(float(statistics.median(values)), 1) if values else None


def p90(values: list[int]) -> float | None:
    """The 90th percentile by nearest rank (the smallest value that at least 90 % do not exceed); None when empty."""
    if not values:
        return None
    ordered = sorted(values)
    return float(ordered[max(0, math.ceil(0.9 * len(ordered)) - 1)])


@dataclass
class _Row:
    """Counts and day lists of one group of cases."""

    count: int = 0
    open: int = 0
    overdue: int = 0
    days: list[int] = field(default_factory=list)
    days2: list[int] = field(default_factory=list)
    amount: Decimal = ZERO
    buildings: set[str] = field(default_factory=set)


@dataclass
class _Batch:
    units: int = 0
    steps: Counter[str] = field(default_factory=Counter)
    defect_items: int = 0
    accepted_on: Counter[dt.date] = field(default_factory=Counter)


@dataclass
class _Person:
    counts: Counter[str] = field(default_factory=Counter)
    satisfaction: Counter[str] = field(default_factory=Counter)


class Tally:
    """Everything the figures add up, kept small (counters; day lists only for medians)."""

    def __init__(self, filters: Filters, today: dt.date, people: bool) -> None:
        self.filters = filters
        self.today = today
        self.with_people = people
        self.homes: Counter[tuple[str, ...]] = Counter()
        self.delivered: Counter[tuple[str, ...]] = Counter()
        self.cert: dict[tuple[str, str], dict[str, Any]] = {}
        self.rep: dict[str, dict[tuple[str, str], _Row]] = {d: defaultdict(_Row) for d in (
            "building", "component", "layout", "contractor", "category", "month")}
        self.rep_project: dict[str, dict[str, Any]] = {}
        self.rep_layout_component: dict[tuple[str, str, str], _Row] = defaultdict(_Row)
        self.comp: dict[str, dict[tuple[str, str], _Row]] = {d: defaultdict(_Row) for d in (
            "category", "building", "month")}
        self.comp_project: dict[str, dict[str, Any]] = {}
        self.comp_dates: dict[tuple[str, str, str], list[tuple[dt.date, str]]] = defaultdict(list)
        self.comp_by_dossier: Counter[tuple[str, str]] = Counter()
        self.sat: dict[str, dict[tuple[str, ...], Counter[str]]] = {d: defaultdict(Counter) for d in (
            "quarter", "project", "project_quarter", "layout", "reason")}
        self.visits: dict[str, Counter[str]] = defaultdict(Counter)
        self.slots: dict[str, Counter[str]] = defaultdict(Counter)
        self.money: dict[str, dict[tuple[str, str], _Row]] = {d: defaultdict(_Row) for d in (
            "comp_cause", "comp_component", "comp_contractor", "tp_contractor", "tp_component", "chargeback",
            "tp_pending")}
        self.batches: dict[tuple[str, str], _Batch] = defaultdict(_Batch)
        self.people: dict[str, _Person] = defaultdict(_Person)

    # -- adding ------------------------------------------------------------------------------
    def add(self, e: Event) -> None:
        """Count one event."""
        getattr(self, f"_add_{e.kind}")(e)

    def _add_dossiers(self, e: Event) -> None:
        p, dims = e.project, e.dims
        for key in (("p", p), ("b", p, dims["building"]), ("l", p, dims["layout"])):
            self.homes[key] += 1
            if dims["delivered"]:
                self.delivered[key] += 1
        if not dims["in_period"]:
            return
        for group in ((p, ""), (p, dims["batch"])) if dims["batch"] else ((p, ""),):
            c = self.cert.setdefault(group, {"delivered": 0, "status": Counter(), "overdue": 0, "due30": 0,
                                             "days": []})
            c["delivered"] += 1
            c["status"][dims["cert"]] += 1
            c["overdue"] += dims["cert_overdue"] == "1"
            c["due30"] += dims["cert_due30"] == "1"
            if e.m["cert_days"] is not None:
                c["days"].append(e.m["cert_days"])

    def _add_revisit_slots(self, e: Event) -> None:
        s = self.slots[e.project]
        s["due"] += 1
        s["done"] += e.dims["done"] == "1"

    def _add_repairs(self, e: Event) -> None:
        p, dims, m = e.project, e.dims, e.m
        is_open, overdue = dims["state"] == "open", dims["overdue"] == "1"
        for dim in self.rep:
            row = self.rep[dim][(p, dims[dim])]
            row.count += 1
            row.open += is_open
            row.overdue += overdue
            if m["response_days"] is not None:
                row.days.append(m["response_days"])
            if m["completion_days"] is not None:
                row.days2.append(m["completion_days"])
        lc = self.rep_layout_component[(p, dims["layout"], dims["component"])]
        lc.count += 1
        lc.buildings.add(dims["building"])
        t = self.rep_project.setdefault(p, {"count": 0, "overdue": 0, "state": Counter(), "warranty": Counter(),
                                            "response": Counter(), "completion": Counter(), "revisit": Counter(),
                                            "response_days": [], "completion_days": []})
        t["count"] += 1
        t["overdue"] += overdue
        t["state"][dims["state"]] += 1
        t["warranty"][dims["warranty"]] += 1
        t["response"][dims["response"]] += 1
        t["completion"][dims["completion"]] += 1
        t["revisit"][dims["revisit"]] += 1
        if m["response_days"] is not None:
            t["response_days"].append(m["response_days"])
        if m["completion_days"] is not None:
            t["completion_days"].append(m["completion_days"])
        if m["compensation"]:
            for dim, value in (("comp_cause", dims["cause"]), ("comp_component", dims["component"]),
                               ("comp_contractor", dims["contractor"])):
                row = self.money[dim][(p, value)]
                row.count += 1
                row.amount += m["compensation"]
        if self.with_people and dims["handler"]:
            c = self.people[dims["handler"]].counts
            c["repairs"] += 1
            c["repairs_closed"] += dims["state"] == "closed"
            c["repairs_on_time"] += dims["completion"] == "ontime"
            c["repairs_overdue"] += overdue

    def _add_complaints(self, e: Event) -> None:
        p, dims, m = e.project, e.dims, e.m
        is_open, overdue = dims["state"] == "open", dims["overdue"] == "1"
        for dim in self.comp:
            row = self.comp[dim][(p, dims[dim])]
            row.count += 1
            row.open += is_open
            row.overdue += overdue
            if m["close_days"] is not None:
                row.days.append(m["close_days"])
        t = self.comp_project.setdefault(p, {"count": 0, "open": 0, "overdue": 0, "on_time": 0, "closed": 0,
                                             "close_days": [], "revisit": Counter()})
        t["count"] += 1
        t["open"] += is_open
        t["closed"] += not is_open
        t["overdue"] += overdue
        t["on_time"] += dims["on_time"] == "1"
        t["revisit"][dims["revisit"]] += 1
        if m["close_days"] is not None:
            t["close_days"].append(m["close_days"])
        assert e.day is not None
        self.comp_dates[(p, dims["building"], dims["category"])].append((e.day, e.ref))
        self.comp_by_dossier[(p, e.key)] += 1
        if self.with_people and dims["responder"]:
            c = self.people[dims["responder"]].counts
            c["complaints"] += 1
            c["complaints_closed"] += not is_open
            c["complaints_on_time"] += dims["on_time"] == "1"
            c["complaints_overdue"] += overdue

    def _add_revisits(self, e: Event) -> None:
        p, dims = e.project, e.dims
        v = self.visits[p]
        v[dims["status"]] += 1
        v["planned_overdue"] += dims["planned_overdue"] == "1"
        grade = dims["satisfaction"]
        if dims["status"] == "已完成" and grade:
            self.sat["quarter"][(dims["quarter"],)][grade] += 1
            self.sat["project"][(p,)][grade] += 1
            self.sat["project_quarter"][(p, dims["quarter"])][grade] += 1
            self.sat["layout"][(p, dims["layout"])][grade] += 1
            self.sat["reason"][(dims["reason"],)][grade] += 1
            if self.with_people and dims["case_owner"]:
                self.people[dims["case_owner"]].satisfaction[grade] += 1
        if self.with_people and dims["status"] == "已完成" and dims["by"]:
            self.people[dims["by"]].counts["revisits"] += 1

    def _add_settlements(self, e: Event) -> None:
        p, dims, m = e.project, e.dims, e.m
        if dims["counted"]:
            for dim, value, amount in (("tp_contractor", dims["contractor"], m["approved"]),
                                       ("tp_component", dims["component"], m["approved"])):
                row = self.money[dim][(p, value)]
                row.count += 1
                row.amount += amount
            if m["chargeback"]:
                row = self.money["chargeback"][(p, dims["chargeback_to"])]
                row.count += 1
                row.amount += m["chargeback"]
        elif dims["pending"]:
            row = self.money["tp_pending"][(p, "")]
            row.count += 1
            row.amount += m["approved"]

    def _add_batch_units(self, e: Event) -> None:
        b = self.batches[(e.project, e.dims["batch"])]
        b.units += 1
        for step in ("notified", "booked", "attended", "accepted", "rejected", "rectifying", "defects"):
            b.steps[step] += e.dims[step] == "1"
        b.defect_items += e.m["defect_items"]
        if e.m["accepted_on"] is not None:
            b.accepted_on[e.m["accepted_on"]] += 1


class _Out:
    """Turns a tally into the figures' data, with a drill-down for each number."""

    def __init__(self, tally: Tally, walker: Walker, thresholds: Thresholds) -> None:
        self.t = tally
        self.w = walker
        self.thresholds = thresholds
        self.f = walker.filters

    def q(self, kind: str, **criteria: str) -> str:
        """The drill-down query string for records of ``kind`` matching ``criteria`` (in this report's period and batch)."""
        if self.f.batch and "batch" not in criteria:
            criteria["batch"] = self.f.batch
        if self.f.project and "project" not in criteria:  # a batch id (B01) repeats across projects
            criteria["project"] = self.f.project
        return Drill.make(kind, self.f.date_from, self.f.date_to, **criteria).query

    def view(self, project: str) -> ProjectView:
        return self.w.view(project)

    # -- 交房 -----------------------------------------------------------------------------
    def handover(self) -> list[dict[str, Any]]:
        out = []
        today = self.t.today
        for code in self.w.codes:
            view = self.view(code)
            for b in view.batches:
                if not self.w.batch_in_period(b):
                    continue
                tb = self.t.batches.get((code, b.id), _Batch())
                s = tb.steps
                late = [d for d in tb.accepted_on if b.window_end < d <= (b.fallback_end or b.window_end)]
                last = min(max([b.window_end, *late]), today, self.f.date_to or today)  # the window (+ its fallback days used)
                daily = []
                day = b.window_start
                early = sum(n for d, n in tb.accepted_on.items() if d < b.window_start)
                running = early
                n = 1
                while day <= last:
                    running += tb.accepted_on.get(day, 0)
                    daily.append({"day": n, "date": day.isoformat(), "accepted": running,
                                  "rate": share(running, tb.units),
                                  "drill": self.q("batch_units", project=code, batch=b.id,
                                                  accepted_by=day.isoformat())})
                    day += dt.timedelta(days=1)
                    n += 1
                q = {step: self.q("batch_units", project=code, batch=b.id, **{step: "1"})
                     for step in ("notified", "booked", "attended", "accepted", "rejected", "rectifying", "defects")}
                q["units"] = self.q("batch_units", project=code, batch=b.id)
                q["waiting"] = self.q("batch_units", project=code, batch=b.id, accepted="")
                rule = self.thresholds.section("handover_plan", code)
                length = (b.window_end - b.window_start).days + 1
                plan = sorted({(length if p.day == "end" else min(p.day, length)): p.rate for p in rule.plan}.items())
                out.append({
                    "project": code, "batch": b.id, "name": b.name, "window_start": b.window_start.isoformat(),
                    "window_end": b.window_end.isoformat(), "units": tb.units, "notified": s["notified"],
                    "booked": s["booked"], "attended": s["attended"], "accepted": s["accepted"],
                    "rejected": s["rejected"], "rectifying": s["rectifying"], "rate": share(s["accepted"], tb.units),
                    "defects": s["defects"], "defect_items": tb.defect_items,
                    "defects_per_unit": round(tb.defect_items / s["attended"], 2) if s["attended"] else None,
                    "daily": daily, "plan": [{"day": d, "rate": r} for d, r in plan], "drill": q,
                })
        return out

    # -- 办证 -----------------------------------------------------------------------------
    def certificates(self) -> dict[str, Any]:
        statuses = ("未办理", "资料收集中", "已递交", "已办结")
        rows = []
        for (code, batch), c in sorted(self.t.cert.items()):
            crit = {"project": code, "in_period": "1"}
            if batch:
                crit["batch"] = batch
            drill = {"delivered": self.q("dossiers", **crit), "overdue": self.q("dossiers", cert_overdue="1", **crit),
                     "due30": self.q("dossiers", cert_due30="1", **crit)}
            drill.update({s: self.q("dossiers", cert=s, **crit) for s in statuses})
            rows.append({"project": code, "batch": batch, "delivered": c["delivered"],
                         "status": {s: c["status"].get(s, 0) for s in statuses},
                         "done": c["status"].get("已办结", 0), "done_rate": share(c["status"].get("已办结", 0), c["delivered"]),
                         "overdue": c["overdue"], "due_within_30_days": c["due30"],
                         "median_days": median(c["days"]), "p90_days": p90(c["days"]), "drill": drill})
        return {"by_project": [r for r in rows if not r["batch"]], "by_batch": [r for r in rows if r["batch"]]}

    # -- 维修 -----------------------------------------------------------------------------
    def _units(self, project: str, dim: str, value: str) -> int:
        prefix = {"building": "b", "layout": "l"}.get(dim)
        return self.t.delivered[(prefix, project, value)] if prefix else self.t.delivered[("p", project)]

    def _label(self, project: str, dim: str, value: str) -> str:
        if dim == "building":
            return building_label(value)
        if dim == "layout":
            return self.view(project).layout_label(value)
        return value

    def repair_rows(self, dim: str) -> list[dict[str, Any]]:
        rows = []
        for (project, value), r in self.t.rep[dim].items():
            units = self._units(project, dim, value)
            crit = {"project": project, dim: value}
            rows.append({"project": project, "key": value, "label": self._label(project, dim, value),
                         "count": r.count, "units": units, "per_100": per_100(r.count, units), "open": r.open,
                         "overdue": r.overdue, "median_response_days": median(r.days),
                         "median_completion_days": median(r.days2), "p90_completion_days": p90(r.days2),
                         "drill": {"count": self.q("repairs", **crit), "open": self.q("repairs", state="open", **crit),
                                   "overdue": self.q("repairs", overdue="1", **crit)}})
        order: dict[str, Callable[[dict[str, Any]], Any]] = {
            "building": lambda r: (r["project"], r["key"]), "layout": lambda r: (r["project"], r["key"] == NO_LAYOUT, r["key"]),
            "month": lambda r: (r["project"], r["key"]),
        }
        return sorted(rows, key=order.get(dim, lambda r: (r["project"], -r["count"], r["key"])))

    def recurring(self) -> list[dict[str, Any]]:
        rows = []
        for (project, layout, component), r in self.t.rep_layout_component.items():
            rule = self.thresholds.section("recurring", project)
            if layout == NO_LAYOUT or len(r.buildings) < rule.min_buildings or r.count < rule.min_count:
                continue
            units = self._units(project, "layout", layout)
            project_rate = per_100(self.t.rep["component"][(project, component)].count, self._units(project, "", ""))
            rows.append({"project": project, "layout": layout, "label": self.view(project).layout_label(layout),
                         "component": component, "count": r.count, "buildings": sorted(r.buildings),
                         "units": units, "per_100": per_100(r.count, units), "project_per_100": project_rate,
                         "drill": {"count": self.q("repairs", project=project, layout=layout, component=component)}})
        return sorted(rows, key=lambda r: (r["project"], -(r["per_100"] or 0), r["component"]))

    def timeliness(self) -> list[dict[str, Any]]:
        rows = []
        for project, t in sorted(self.t.rep_project.items()):
            dl = self.view(project).deadlines
            crit = {"project": project}
            rows.append({
                "project": project, "count": t["count"], "open": t["state"]["open"], "closed": t["state"]["closed"],
                "refused": t["state"]["refused"], "overdue": t["overdue"],
                "in_warranty": t["warranty"]["是"], "out_of_warranty": t["warranty"]["否"],
                "warranty_unjudged": t["warranty"]["未判定"],
                "in_warranty_share": share(t["warranty"]["是"], t["warranty"]["是"] + t["warranty"]["否"]),
                "response_limit_days": dl.repair_response_days, "completion_limit_days": dl.repair_completion_days,
                "median_response_days": median(t["response_days"]), "p90_response_days": p90(t["response_days"]),
                "median_completion_days": median(t["completion_days"]),
                "p90_completion_days": p90(t["completion_days"]),
                "response": {k: t["response"][k] for k in ("ontime", "late", "pending", "overdue")},
                "completion": {k: t["completion"][k] for k in ("ontime", "late", "pending", "overdue")},
                "response_on_time_share": share(t["response"]["ontime"], t["response"]["ontime"] + t["response"]["late"]),
                "completion_on_time_share": share(t["completion"]["ontime"],
                                                  t["completion"]["ontime"] + t["completion"]["late"]),
                "drill": {
                    "count": self.q("repairs", **crit), "open": self.q("repairs", state="open", **crit),
                    "overdue": self.q("repairs", overdue="1", **crit),
                    "in_warranty": self.q("repairs", warranty="是", **crit),
                    "out_of_warranty": self.q("repairs", warranty="否", **crit),
                    "warranty_unjudged": self.q("repairs", warranty="未判定", **crit),
                    **{f"response_{k}": self.q("repairs", response=k, **crit) for k in ("ontime", "late", "pending", "overdue")},
                    **{f"completion_{k}": self.q("repairs", completion=k, **crit)
                       for k in ("ontime", "late", "pending", "overdue")},
                },
            })
        return rows

    def repairs(self) -> dict[str, Any]:
        return {
            "by_building": self.repair_rows("building"),
            "by_component": self.repair_rows("component"),
            "by_layout": self.repair_rows("layout"),
            "by_contractor": self.repair_rows("contractor"),
            "by_category": self.repair_rows("category"),
            "by_month": self.repair_rows("month"),
            "recurring": self.recurring(),
            "timeliness": self.timeliness(),
        }

    # -- 投诉 -----------------------------------------------------------------------------
    def complaint_rows(self, dim: str) -> list[dict[str, Any]]:
        rows = []
        for (project, value), r in self.t.comp[dim].items():
            prefix = {"building": "b"}.get(dim)
            units = self.t.homes[(prefix, project, value)] if prefix else self.t.homes[("p", project)]
            crit = {"project": project, dim: value}
            rows.append({"project": project, "key": value, "label": self._label(project, dim, value),
                         "count": r.count, "units": units, "per_100": per_100(r.count, units), "open": r.open,
                         "overdue": r.overdue, "median_close_days": median(r.days),
                         "drill": {"count": self.q("complaints", **crit),
                                   "open": self.q("complaints", state="open", **crit),
                                   "overdue": self.q("complaints", overdue="1", **crit)}})
        if dim in ("building", "month"):
            return sorted(rows, key=lambda r: (r["project"], r["key"]))
        return sorted(rows, key=lambda r: (r["project"], -r["count"], r["key"]))

    def complaints(self) -> dict[str, Any]:
        totals = []
        for project, t in sorted(self.t.comp_project.items()):
            limit = self.view(project).deadlines.complaint_closure_days
            crit = {"project": project}
            totals.append({"project": project, "count": t["count"], "open": t["open"], "closed": t["closed"],
                           "overdue": t["overdue"], "closed_on_time": t["on_time"], "limit_days": limit,
                           "on_time_share": share(t["on_time"], t["closed"]),
                           "median_close_days": median(t["close_days"]), "p90_close_days": p90(t["close_days"]),
                           "drill": {"count": self.q("complaints", **crit),
                                     "open": self.q("complaints", state="open", **crit),
                                     "overdue": self.q("complaints", overdue="1", **crit),
                                     "closed_on_time": self.q("complaints", on_time="1", **crit)}})
        repeat: list[dict[str, Any]] = []
        for (project, key), n in sorted(self.t.comp_by_dossier.items()):
            if n >= 2:
                repeat.append({"project": project, "key": key, "count": n,
                               "drill": {"count": self._dossier_drill(project, key)}})
        repeat.sort(key=lambda r: (-r["count"], r["key"]))
        months: dict[tuple[str, str, str], int] = defaultdict(int)
        for (project, building, _category), items in self.t.comp_dates.items():
            for day, _ in items:
                months[(project, building, day.strftime("%Y-%m"))] += 1
        by_building_month = [
            {"project": p, "key": b, "label": building_label(b), "month": m, "count": n,
             "drill": {"count": Drill.make("complaints", max(filter(None, (self.f.date_from, _month_start(m)))),
                                           min(filter(None, (self.f.date_to, _month_end(m)))), project=p, building=b,
                                           **({"batch": self.f.batch} if self.f.batch else {})).query}}
            for (p, b, m), n in sorted(months.items())]
        return {"by_category": self.complaint_rows("category"), "by_building": self.complaint_rows("building"),
                "by_month": self.complaint_rows("month"), "by_building_month": by_building_month, "repeat": repeat,
                "totals": totals}

    def _dossier_drill(self, project: str, key: str) -> str:
        """The complaints of one household (a repeat complainant)."""
        return self.q("complaints", project=project, unit=key.split("/", 1)[1])

    # -- 回访与满意度 ------------------------------------------------------------------------
    def revisits(self) -> dict[str, Any]:
        rows = []
        for project in self.w.codes:
            slots = self.t.slots.get(project, Counter())
            rt = self.t.rep_project.get(project, {}).get("revisit", Counter())
            ct = self.t.comp_project.get(project, {}).get("revisit", Counter())
            crit = {"project": project}
            for reason, due, done, drill_due, drill_missed in (
                ("定期回访", slots["due"], slots["done"], self.q("revisit_slots", **crit),
                 self.q("revisit_slots", done="", **crit)),
                ("维修后回访", rt["done"] + rt["missed"], rt["done"], self.q("repairs", revisit="done", **crit),
                 self.q("repairs", revisit="missed", **crit)),
                ("投诉后回访", ct["done"] + ct["missed"], ct["done"], self.q("complaints", revisit="done", **crit),
                 self.q("complaints", revisit="missed", **crit)),
            ):
                rows.append({"project": project, "reason": reason, "due": due, "done": done, "missed": due - done,
                             "rate": share(done, due), "drill": {"done": drill_due, "missed": drill_missed}})
        planned = [{"project": p, "done": v["已完成"], "planned": v["待回访"], "planned_overdue": v["planned_overdue"],
                    "drill": {"done": self.q("revisits", project=p, status="已完成"),
                              "planned": self.q("revisits", project=p, status="待回访"),
                              "planned_overdue": self.q("revisits", project=p, planned_overdue="1")}}
                   for p, v in sorted(self.t.visits.items())]
        return {"coverage": rows, "records": planned}

    @staticmethod
    def _grades(c: Counter[str]) -> dict[str, Any]:
        total = c["A"] + c["B"] + c["C"]
        return {"A": c["A"], "B": c["B"], "C": c["C"], "total": total, "a_share": share(c["A"], total),
                "c_share": share(c["C"], total)}

    def satisfaction(self) -> dict[str, Any]:
        s = self.t.sat
        by_quarter = [{"quarter": q, **self._grades(c),
                       "drill": {g: self.q("revisits", quarter=q, status="已完成", satisfaction=g) for g in "ABC"}}
                      for (q,), c in sorted(s["quarter"].items())]
        by_project = [{"project": p, **self._grades(c),
                       "drill": {g: self.q("revisits", project=p, status="已完成", satisfaction=g) for g in "ABC"}}
                      for (p,), c in sorted(s["project"].items())]
        by_project_quarter = [{"project": p, "quarter": q, **self._grades(c),
                               "drill": {g: self.q("revisits", project=p, quarter=q, status="已完成", satisfaction=g)
                                         for g in "ABC"}}
                              for (p, q), c in sorted(s["project_quarter"].items())]
        by_layout = [{"project": p, "key": lay, "label": self.view(p).layout_label(lay), **self._grades(c),
                      "drill": {g: self.q("revisits", project=p, layout=lay, status="已完成", satisfaction=g)
                                for g in "ABC"}}
                     for (p, lay), c in sorted(s["layout"].items(), key=lambda kv: (kv[0][0], kv[0][1] == "", kv[0][1]))]
        by_reason = [{"key": r, **self._grades(c),
                      "drill": {g: self.q("revisits", reason=r, status="已完成", satisfaction=g) for g in "ABC"}}
                     for (r,), c in sorted(s["reason"].items())]
        return {"by_quarter": by_quarter, "by_project": by_project, "by_project_quarter": by_project_quarter,
                "by_layout": by_layout, "by_reason": by_reason,
                "labels": dict(SATISFACTION_LABELS)}

    # -- 费用 -----------------------------------------------------------------------------
    def _money_rows(self, dim: str, kind: str, crit_name: str, extra: dict[str, str]) -> list[dict[str, Any]]:
        rows = [{"project": p, "key": value, "count": r.count, "amount": money_str(r.amount),
                 "drill": {"count": self.q(kind, project=p, **{crit_name: value}, **extra)}}
                for (p, value), r in self.t.money[dim].items()]
        return sorted(rows, key=lambda r: (r["project"], -Decimal(r["amount"]), r["key"]))

    def costs(self) -> dict[str, Any]:
        def total(dim: str) -> str:
            return money_str(sum((r.amount for r in self.t.money[dim].values()), ZERO))

        pending = [{"project": p, "count": r.count, "amount": money_str(r.amount),
                    "drill": {"count": self.q("settlements", project=p, pending="1")}}
                   for (p, _), r in sorted(self.t.money["tp_pending"].items())]
        return {
            "compensation": {
                "total": total("comp_cause"),
                "by_cause": self._money_rows("comp_cause", "repairs", "cause", {"compensated": "1"}),
                "by_component": self._money_rows("comp_component", "repairs", "component", {"compensated": "1"}),
                "by_contractor": self._money_rows("comp_contractor", "repairs", "contractor", {"compensated": "1"}),
            },
            "third_party": {
                "total": total("tp_contractor"),
                "by_contractor": self._money_rows("tp_contractor", "settlements", "contractor", {"counted": "1"}),
                "by_component": self._money_rows("tp_component", "settlements", "component", {"counted": "1"}),
                "pending": pending,
            },
            "chargeback": {
                "total": total("chargeback"),
                "by_contractor": self._money_rows("chargeback", "settlements", "chargeback_to", {"counted": "1"}),
            },
        }

    # -- 个人 -----------------------------------------------------------------------------
    def people(self) -> list[dict[str, Any]]:
        rows = []
        for name, p in sorted(self.t.people.items()):
            c = p.counts
            rows.append({
                "name": name, "complaints": c["complaints"], "complaints_closed": c["complaints_closed"],
                "complaints_on_time": c["complaints_on_time"], "complaints_overdue": c["complaints_overdue"],
                "repairs": c["repairs"], "repairs_closed": c["repairs_closed"], "repairs_on_time": c["repairs_on_time"],
                "repairs_overdue": c["repairs_overdue"], "revisits": c["revisits"],
                "satisfaction": self._grades(p.satisfaction),
                "drill": {
                    "complaints": self.q("complaints", responder=name),
                    "complaints_on_time": self.q("complaints", responder=name, on_time="1"),
                    "complaints_overdue": self.q("complaints", responder=name, overdue="1"),
                    "repairs": self.q("repairs", handler=name),
                    "repairs_closed": self.q("repairs", handler=name, state="closed"),
                    "repairs_on_time": self.q("repairs", handler=name, completion="ontime"),
                    "repairs_overdue": self.q("repairs", handler=name, overdue="1"),
                    "revisits": self.q("revisits", by=name, status="已完成"),
                    **{f"satisfaction_{g}": self.q("revisits", case_owner=name, status="已完成", satisfaction=g)
                       for g in "ABC"},
                },
            })
        return rows


def _month_start(month: str) -> dt.date:
    return dt.date(int(month[:4]), int(month[5:7]), 1)


def _month_end(month: str) -> dt.date:
    start = _month_start(month)
    return (start.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)


def compute(archive: Archive, codes: Iterable[str], filters: Filters, today: dt.date, rules: Rules,
            thresholds: Thresholds, *, people: bool, progress: Callable[[int], None] | None = None,
            meta: dict[str, Any] | None = None) -> dict[str, Any]:
    """The figures for the projects ``codes`` (already limited to the user's scope), in one pass.

    ``people``: include the per-person figures (only for a user with
    ``figures_people``).  ``progress(n)`` is called every 500 households.
    """
    from docgen.report.warnings import compute_warnings

    walker = Walker(archive, list(codes), filters, today, rules)
    tally = Tally(filters, today, people)
    n = 0
    for e in walker.events():
        tally.add(e)
        if e.kind == "dossiers":
            n += 1
            if progress is not None and n % 500 == 0:
                progress(n)
    out = _Out(tally, walker, thresholds)
    households = [{"project": c, "name": walker.view(c).name, "households": tally.homes[("p", c)],
                   "delivered": tally.delivered[("p", c)], "has_unit_table": walker.view(c).has_table,
                   "rooms_in_table": len(walker.view(c).units)} for c in walker.codes]
    data: dict[str, Any] = {
        "meta": {
            "schema": SCHEMA_VERSION, "today": today.isoformat(),
            "from": filters.date_from.isoformat() if filters.date_from else None,
            "to": filters.date_to.isoformat() if filters.date_to else None,
            "project": filters.project, "batch": filters.batch, "projects": walker.codes,
            "filters": filters.describe(), "dossiers": walker.dossiers, "unreadable": walker.unreadable,
            "households": households, "people": people,
            "threshold_values": thresholds.model_dump(mode="json", exclude={"projects", "description"}),
            **(meta or {}),
        },
        "warnings": compute_warnings(tally, walker, thresholds, out.q),
        "handover": out.handover(),
        "certificates": out.certificates(),
        "repairs": out.repairs(),
        "complaints": out.complaints(),
        "revisits": out.revisits(),
        "satisfaction": out.satisfaction(),
        "costs": out.costs(),
    }
    if people:
        data["people"] = out.people()
    return data
