"""The figures, recomputed independently from the records of a built sample archive and compared.

Each test reads the records the plain way (``archive.iter_dossiers()``, the
batches, ``units.json`` with ``json``) and counts with its own few lines, so a
mistake in the one-pass computation shows as a difference.  The planted
patterns of the sample (a leaky 户型, a complaint spike, a slow contractor)
must be visible, and every number's drill-down must list exactly that many
records.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
import statistics
from collections import Counter, defaultdict
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from docgen.archive import Archive
from docgen.config import load_config
from docgen.demo.build import PLANTED_FILE, build_demo
from docgen.demo.layouts import patterns_in
from docgen.demo.world import DEMO_TODAY, SLOW_CONTRACTOR
from docgen.errors import NotFoundError, PermissionDenied, UsageError
from docgen.report.facts import Filters
from docgen.services.report import compute_figures, records_behind
from docgen.session import Session, User, Workspace

TODAY = DEMO_TODAY
QUARTER_RE = re.compile(r"^\d{4}Q[1-4]$")


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Archive:
    root = tmp_path_factory.mktemp("figures") / "records"
    build_demo(root, units=240, seed=2026, scans=False)
    archive = Archive.open(root)
    archive._today = lambda: TODAY
    return archive


def session(archive: Archive, role: str = "operator", **kw: Any) -> Session:
    config = load_config(None, {("archive", "path"): str(archive.root)}, env={})
    return Workspace(config, archive=archive).session(User("周建华", role, **kw))


@pytest.fixture(scope="module")
def figures(demo: Archive) -> dict[str, Any]:
    return compute_figures(session(demo), Filters(today=TODAY))


def layouts(archive: Archive, code: str) -> dict[str, str]:
    path = archive.root / "projects" / code / "units.json"
    return {row["unit"]: row["layout"] for row in json.loads(path.read_text("utf-8"))["units"]}


def rows_by(rows: list[dict[str, Any]], *keys: str) -> dict[tuple[Any, ...], dict[str, Any]]:
    return {tuple(r[k] for k in keys): r for r in rows}


def test_json_keys_promised_to_scripts(figures: dict[str, Any]) -> None:
    for row in figures["handover"]:
        assert {"project", "batch", "units", "accepted", "rate"} <= set(row)
    for key in ("by_building", "by_component", "by_layout"):
        assert figures["repairs"][key]
        for row in figures["repairs"][key]:
            assert {"project", "key", "count", "units", "per_100"} <= set(row)
    assert figures["complaints"]["by_category"]
    for row in figures["satisfaction"]["by_quarter"]:
        assert {"quarter", "A", "B", "C"} <= set(row) and QUARTER_RE.match(row["quarter"])
    assert isinstance(figures["warnings"], list)
    json.dumps(figures, ensure_ascii=False)  # plain data: money as strings, dates as text
    assert list(figures)[:2] == ["meta", "warnings"]


def test_handover_per_batch_and_day_by_day(demo: Archive, figures: dict[str, Any]) -> None:
    delivered = {d.key: d.delivered_on for d in demo.iter_dossiers()}
    got = rows_by(figures["handover"], "project", "batch")
    assert len(got) == len(list(demo.batches()))
    for b in demo.batches():
        row = got[(b.project, b.id)]
        status = Counter(u.status for u in b.units)
        attended = sum(status[s] for s in ("已到场", "已收房", "拒收", "整改中"))
        assert row["units"] == len(b.units) and row["accepted"] == status["已收房"]
        assert row["notified"] == sum(1 for u in b.units if u.status != "待通知" or u.notice_sent_on)
        assert row["attended"] == attended and row["rectifying"] == status["整改中"] and row["rejected"] == status["拒收"]
        assert row["rate"] == (round(status["已收房"] / len(b.units), 6) if b.units else None)
        assert row["defects"] == sum(1 for u in b.units if u.defects)
        for day in row["daily"]:
            on = dt.date.fromisoformat(day["date"])
            n = sum(1 for u in b.units if u.status == "已收房" and delivered[f"{b.project}/{u.unit}"] <= on)
            assert day["accepted"] == n, (b.id, on)
    b01 = got[("HXSZ", "B01")]
    assert b01["daily"][0]["date"] == "2026-06-18" and b01["daily"][-1]["rate"] == b01["rate"]
    assert got[("HXSZ", "B03")]["daily"] == []  # a window that has not begun


def test_certificates(demo: Archive, figures: dict[str, Any]) -> None:
    for code in demo.project_codes():
        ds = [d for d in demo.iter_dossiers(code) if d.delivered_on]
        row = next(r for r in figures["certificates"]["by_project"] if r["project"] == code)
        assert row["delivered"] == len(ds)
        assert row["status"] == {s: sum(1 for d in ds if d.certificate_status == s)
                                 for s in ("未办理", "资料收集中", "已递交", "已办结")}
        overdue = [d for d in ds if d.certificate_status != "已办结"
                   and d.delivered_on + dt.timedelta(days=d.registration_due_days or 90) < TODAY]
        assert row["overdue"] == len(overdue)
        days = [(d.certified_on - d.delivered_on).days for d in ds if d.certificate_status == "已办结" and d.certified_on]
        assert row["median_days"] == (round(statistics.median(days), 1) if days else None)


def test_repairs_by_building_component_layout_per_100_delivered(demo: Archive, figures: dict[str, Any]) -> None:
    for code in demo.project_codes():
        table = layouts(demo, code)
        ds = list(demo.iter_dossiers(code))
        delivered = [d for d in ds if d.delivered_on]
        for dim, of_dossier, of_repair in (
            ("by_building", lambda d: d.unit.split("-")[0], None),
            ("by_layout", lambda d, table=table: table.get(d.unit, ""), None),
            ("by_component", None, lambda r: r.component),
        ):
            counts: Counter[str] = Counter()
            units: Counter[str] = Counter()
            for d in delivered:
                if of_dossier:
                    units[of_dossier(d)] += 1
            for d in ds:
                for r in d.repairs:
                    counts[of_dossier(d) if of_dossier else of_repair(r)] += 1
            got = {r["key"]: r for r in figures["repairs"][dim] if r["project"] == code}
            assert {k: v["count"] for k, v in got.items()} == dict(counts), (code, dim)
            for key, row in got.items():
                expected_units = units[key] if of_dossier else len(delivered)
                assert row["units"] == expected_units
                assert row["per_100"] == round(row["count"] * 100 / expected_units, 1)


def test_repair_timeliness_contractors_and_warranty(demo: Archive, figures: dict[str, Any]) -> None:
    for code in demo.project_codes():
        repairs = [r for d in demo.iter_dossiers(code) for r in d.repairs]
        done = {r.id: r.completed_on or (r.closed_on if r.status in ("已完成", "已关闭") else None) for r in repairs}
        completion = defaultdict(list)
        for r in repairs:
            if done[r.id]:
                completion[r.contractor or "(未指派)"].append((done[r.id] - r.reported_on).days)
        for row in (x for x in figures["repairs"]["by_contractor"] if x["project"] == code):
            days = completion[row["key"]]
            assert row["median_completion_days"] == (round(statistics.median(days), 1) if days else None)
            expected_p90 = float(sorted(days)[math.ceil(0.9 * len(days)) - 1]) if days else None
            assert row["p90_completion_days"] == expected_p90
        t = next(x for x in figures["repairs"]["timeliness"] if x["project"] == code)
        yes = sum(1 for r in repairs if r.in_warranty is True)
        no = sum(1 for r in repairs if r.in_warranty is False)
        assert (t["count"], t["in_warranty"], t["out_of_warranty"]) == (len(repairs), yes, no)
        assert t["in_warranty_share"] == round(yes / (yes + no), 6)
        open_ = [r for r in repairs if r.status in ("已受理", "已核实", "维修中", "待验收")]
        assert t["open"] == len(open_)
        assert t["overdue"] == sum(1 for r in open_ if (TODAY - r.reported_on).days > 30)


def test_complaints(demo: Archive, figures: dict[str, Any]) -> None:
    for code in demo.project_codes():
        ds = list(demo.iter_dossiers(code))
        complaints = [(d, c) for d in ds for c in d.complaints]
        by_cat = Counter(c.category for _, c in complaints)
        got = {r["key"]: r for r in figures["complaints"]["by_category"] if r["project"] == code}
        assert {k: v["count"] for k, v in got.items()} == dict(by_cat)
        for key, row in got.items():
            assert row["units"] == len(ds)  # per 100 households with a dossier
            assert row["open"] == sum(1 for _, c in complaints if c.category == key and c.status != "已关闭")
        total = next(r for r in figures["complaints"]["totals"] if r["project"] == code)
        closed = [(c.closed_on - c.received_on).days for _, c in complaints if c.status == "已关闭" and c.closed_on]
        assert total["median_close_days"] == round(statistics.median(closed), 1)
        assert total["overdue"] == sum(1 for _, c in complaints if c.status != "已关闭" and (TODAY - c.received_on).days > 15)
        per_building = Counter(d.unit.split("-")[0] for d, _ in complaints)
        got_b = {r["key"]: r["count"] for r in figures["complaints"]["by_building"] if r["project"] == code}
        assert got_b == dict(per_building)
        repeat = {d.key: len(d.complaints) for d in ds if len(d.complaints) >= 2}
        assert {r["key"]: r["count"] for r in figures["complaints"]["repeat"] if r["project"] == code} == repeat


def test_satisfaction_and_revisit_coverage(demo: Archive, figures: dict[str, Any]) -> None:
    grades: dict[str, Counter[str]] = defaultdict(Counter)
    reasons: dict[str, Counter[str]] = defaultdict(Counter)
    for d in demo.iter_dossiers():
        for v in d.revisits:
            if v.status == "已完成" and v.satisfaction:
                grades[f"{v.date.year}Q{(v.date.month - 1) // 3 + 1}"][v.satisfaction] += 1
                reasons[v.reason][v.satisfaction] += 1
    assert [(r["quarter"], r["A"], r["B"], r["C"]) for r in figures["satisfaction"]["by_quarter"]] == [
        (q, c["A"], c["B"], c["C"]) for q, c in sorted(grades.items())]
    assert {r["key"]: (r["A"], r["B"], r["C"]) for r in figures["satisfaction"]["by_reason"]} == {
        k: (c["A"], c["B"], c["C"]) for k, c in reasons.items()}
    # after repairs: a completed revisit within 60 days of completion; only windows that have passed or were met
    for code in demo.project_codes():
        due = done = 0
        for d in demo.iter_dossiers(code):
            visits = [v.date for v in d.revisits if v.status == "已完成"]
            for r in d.repairs:
                end = r.completed_on or (r.closed_on if r.status in ("已完成", "已关闭") else None)
                if end is None or r.status == "不予维修":
                    continue
                met = any(end <= x <= end + dt.timedelta(days=60) for x in visits)
                if met or end + dt.timedelta(days=60) < TODAY:
                    due += 1
                    done += met
        row = next(r for r in figures["revisits"]["coverage"] if r["project"] == code and r["reason"] == "维修后回访")
        assert (row["due"], row["done"]) == (due, done)


def test_costs(demo: Archive, figures: dict[str, Any]) -> None:
    compensation = sum((r.compensation for d in demo.iter_dossiers() for r in d.repairs if r.compensation), Decimal(0))
    assert Decimal(figures["costs"]["compensation"]["total"]) == compensation
    sets = [s for d in demo.iter_dossiers() for s in d.settlements if s.status in ("已审批", "已付款")]
    assert Decimal(figures["costs"]["third_party"]["total"]) == sum((s.approved_total for s in sets), Decimal(0))
    back: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for d in demo.iter_dossiers():
        for s in d.settlements:
            if s.status in ("已审批", "已付款") and s.chargeback:
                back[(d.project, s.chargeback_to)] += s.chargeback
    assert {(r["project"], r["key"]): Decimal(r["amount"]) for r in figures["costs"]["chargeback"]["by_contractor"]} == back


def test_people(demo: Archive, figures: dict[str, Any]) -> None:
    taken: Counter[str] = Counter()
    handled: Counter[str] = Counter()
    after: dict[str, Counter[str]] = defaultdict(Counter)
    for d in demo.iter_dossiers():
        owner = {c.id: c.first_responder for c in d.complaints} | {r.id: r.handled_by for r in d.repairs}
        for c in d.complaints:
            taken[c.first_responder] += 1
        for r in d.repairs:
            handled[r.handled_by] += 1
        for v in d.revisits:
            if v.status == "已完成" and v.related in owner:
                after[owner[v.related]][v.satisfaction or ""] += 1
    people = {p["name"]: p for p in figures["people"]}
    for name, p in people.items():
        assert p["complaints"] == taken[name] and p["repairs"] == handled[name]
        assert (p["satisfaction"]["A"], p["satisfaction"]["C"]) == (after[name]["A"], after[name]["C"])


def test_planted_patterns_are_visible(demo: Archive, figures: dict[str, Any]) -> None:
    planted = patterns_in(json.loads((demo.root / PLANTED_FILE).read_text("utf-8")))
    leak = planted["leaky_layout"]
    spike = planted["complaint_spike"]
    assert isinstance(leak, dict) and isinstance(spike, dict)
    kinds = {(w["kind"], w["project"], w["key"]) for w in figures["warnings"]}
    # one 户型 with far more 渗漏 per 100 units, in every building: a warning and a recurring defect
    assert ("layout_defects", leak["project"], f"{leak['layout']}/{leak['component']}") in kinds
    recurring = [r for r in figures["repairs"]["recurring"] if (r["project"], r["layout"], r["component"]) ==
                 (leak["project"], leak["layout"], leak["component"])]
    assert recurring and len(recurring[0]["buildings"]) >= 3
    assert recurring[0]["per_100"] >= 3 * recurring[0]["project_per_100"] / 1.5
    # one building with a complaint spike in one month
    assert ("complaint_cluster", spike["project"], f"{spike['building']}/{spike['category']}") in kinds
    cells = [c for c in figures["complaints"]["by_building_month"] if c["project"] == spike["project"]]
    top = max(cells, key=lambda c: c["count"])
    assert (top["key"], top["month"]) == (spike["building"], spike["month"]) and top["count"] >= 5
    # one contractor with slow repairs: its median is the longest in each project, and it is warned about
    for code in demo.project_codes():
        rows = [r for r in figures["repairs"]["by_contractor"] if r["project"] == code and r["median_completion_days"]]
        assert max(rows, key=lambda r: r["median_completion_days"])["key"] == SLOW_CONTRACTOR
    assert ("contractor_slow", "HXSZ", SLOW_CONTRACTOR) in kinds
    # the warnings come first and most severe first
    ranks = [{"error": 3, "warning": 2, "info": 1}[w["severity"]] for w in figures["warnings"]]
    assert ranks == sorted(ranks, reverse=True)


def _drills(obj: Any) -> list[tuple[str, Any]]:
    """Every (drill query, number) pair in the figures: a row's drill names the numbers it lists."""
    out: list[tuple[str, Any]] = []
    if isinstance(obj, dict):
        drill = obj.get("drill")
        if isinstance(drill, dict):
            for name, query in drill.items():
                if (name in obj and isinstance(obj[name], int)) or (name in ("A", "B", "C") and name in obj):
                    out.append((query, obj[name]))
        for value in obj.values():
            out.extend(_drills(value))
    elif isinstance(obj, list):
        for value in obj:
            out.extend(_drills(value))
    return out


def test_every_number_lists_as_many_records_as_it_says(demo: Archive, figures: dict[str, Any]) -> None:
    s = session(demo)
    pairs = _drills(figures)
    assert len(pairs) > 300
    checked = 0
    for query, number in pairs[::7]:  # a spread sample of every kind of figure (all of them take a minute)
        assert len(records_behind(s, query, today=TODAY)) == number, query
        checked += 1
    assert checked > 40
    for w in figures["warnings"]:
        refs = records_behind(s, w["drill"], today=TODAY)
        if w["kind"] in ("complaint_cluster", "certificates_overdue", "complaints_overdue"):
            assert len(refs) == w["value"], w["kind"]
        assert refs
    day = next(h for h in figures["handover"] if h["daily"])["daily"][2]
    assert len(records_behind(s, day["drill"], today=TODAY)) == day["accepted"]


def test_period_and_batch_filters(demo: Archive) -> None:
    start, end = dt.date(2026, 7, 1), dt.date(2026, 9, 30)
    f = compute_figures(session(demo), Filters(date_from=start, date_to=end, today=TODAY))
    counts = Counter()
    for d in demo.iter_dossiers():
        for r in d.repairs:
            if start <= r.reported_on <= end:
                counts[(d.project, r.component)] += 1
    assert {(r["project"], r["key"]): r["count"] for r in f["repairs"]["by_component"]} == dict(counts)
    grades = Counter(v.satisfaction for d in demo.iter_dossiers() for v in d.revisits
                     if start <= v.date <= end and v.status == "已完成")
    assert [q["quarter"] for q in f["satisfaction"]["by_quarter"]] == ["2026Q3"]
    assert f["satisfaction"]["by_quarter"][0]["A"] == grades["A"]
    assert f["meta"]["from"] == "2026-07-01" and "2026-07-01 至 2026-09-30" in f["meta"]["filters"]
    b = compute_figures(session(demo), Filters(project="HXSZ", batch="B01", today=TODAY))
    assert [h["batch"] for h in b["handover"]] == ["B01"]
    members = [d for d in demo.iter_dossiers("HXSZ") if d.batch == "B01"]
    assert b["meta"]["dossiers"] == len(members)
    assert sum(r["count"] for r in b["repairs"]["by_building"]) == sum(len(d.repairs) for d in members)
    with pytest.raises(UsageError, match="晚于"):
        compute_figures(session(demo), Filters(date_from=end, date_to=start))
    with pytest.raises(NotFoundError, match="B09"):
        compute_figures(session(demo), Filters(project="HXSZ", batch="B09"))


def test_scope_and_permissions(demo: Archive) -> None:
    yhw = session(demo, "manager", projects=frozenset({"YHW"}))
    f = compute_figures(yhw, Filters(today=TODAY))
    assert f["meta"]["projects"] == ["YHW"]
    text = json.dumps(f, ensure_ascii=False)
    assert "HXSZ" not in text and "华轩首座" not in text
    with pytest.raises(NotFoundError, match="项目 HXSZ 不存在或无权查看"):
        compute_figures(yhw, Filters(project="HXSZ", today=TODAY))
    with pytest.raises(NotFoundError):
        records_behind(yhw, "kind=repairs&project=HXSZ", today=TODAY)
    assert {r.project for r in records_behind(yhw, "kind=repairs", today=TODAY)} == {"YHW"}
    with pytest.raises(PermissionDenied, match="决策数据"):
        compute_figures(session(demo, "staff"), Filters(today=TODAY))
    with pytest.raises(PermissionDenied):
        compute_figures(session(demo, "auditor"), Filters(today=TODAY))


def test_per_person_figures_only_with_figures_people(demo: Archive, monkeypatch: pytest.MonkeyPatch) -> None:
    """A role that may see the figures but not the people behind them gets no per-person section, nor lists."""
    from docgen import permissions

    monkeypatch.setitem(permissions.PERMISSIONS, "analyst", frozenset({"read", "figures"}))
    s = session(demo, "analyst")
    f = compute_figures(s, Filters(today=TODAY))
    assert "people" not in f and f["meta"]["people"] is False
    with pytest.raises(PermissionDenied, match="个人绩效数据"):
        records_behind(s, "kind=complaints&responder=陈晓燕", today=TODAY)
    assert "people" in compute_figures(session(demo, "manager"), Filters(today=TODAY))


def test_an_unreadable_dossier_is_named_and_left_out(tmp_path: Path) -> None:
    root = tmp_path / "records"
    build_demo(root, units=30, seed=3, scans=False)
    archive = Archive.open(root)
    key = next(archive.dossier_keys("YHW"))
    archive.dossier_file(key).write_text("{broken", "utf-8")
    f = compute_figures(session(archive), Filters(today=TODAY))
    assert f["meta"]["unreadable"] == [key] and f["meta"]["dossiers"] == 29


def test_a_period_is_checked_against_the_archives_years() -> None:
    """9999-12-31 or 1900 is a typing error, refused by the one rule the CLI and the dashboard share."""
    import datetime as dt

    from docgen.report.drill import Drill

    today = dt.date(2026, 11, 16)
    Filters(date_from=dt.date(1990, 1, 1), date_to=dt.date(2027, 12, 31)).check(today)
    for f, words in ((Filters(date_from=dt.date(9999, 12, 31)), "开始日期 9999-12-31 超出可统计的范围:应在 1990-01-01 至 2027-12-31 之间"),
                     (Filters(date_to=dt.date(1989, 12, 31)), "结束日期 1989-12-31 超出可统计的范围"),
                     (Filters(batch="B01"), "按批次统计须先选择项目(批次编号只在一个项目内有效)")):
        with pytest.raises(UsageError) as err:
            f.check(today)
        assert str(err.value).startswith(words) and "--" not in str(err.value)
    with pytest.raises(UsageError, match="选择项目(批次编号只在一个项目内有效);请在列表中选".replace("(", r"\(").replace(")", r"\)")):
        Filters(batch="B01").check(today, "请在列表中选")
    with pytest.raises(UsageError, match="accepted_by(截至该日已收房)的值「2026-13-01」不是日期".replace("(", r"\(").replace(")", r"\)")):
        Drill.parse("kind=batch_units&accepted_by=2026-13-01")
    drill = Drill.parse("kind=batch_units&accepted_by=9999-12-31")
    with pytest.raises(UsageError, match="超出可统计的范围"):
        drill.check(today)
    Drill.parse("kind=batch_units&accepted_by=2026-11-16").check(today)
