"""``docgen report``: the terminal, JSON, XLSX with native charts, the self-contained HTML page, the list behind
a number, the thresholds, the exit code for scheduled runs, and the cache by journal position."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from docgen.archive import Archive
from docgen.cli.main import cli
from docgen.config import load_config
from docgen.demo.build import build_demo
from docgen.demo.world import DEMO_TODAY
from docgen.errors import RecordError
from docgen.report.drill import Drill
from docgen.report.facts import Filters
from docgen.report.html import render_html
from docgen.report.xlsx import write_xlsx
from docgen.services import cases
from docgen.services.report import cached_figures, compute_figures
from docgen.session import Session, User, Workspace

TODAY = DEMO_TODAY.isoformat()


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("outputs") / "records"
    build_demo(root, units=120, seed=11, scans=False)
    return root


def run(root: Path, *args: str) -> Any:
    return CliRunner().invoke(cli, ["--archive", str(root), *args])


def session(archive: Archive, role: str = "operator", **kw: Any) -> Session:
    config = load_config(None, {("archive", "path"): str(archive.root)}, env={})
    return Workspace(config, archive=archive).session(User("周建华", role, **kw))


@pytest.fixture(scope="module")
def figures(demo: Path) -> dict[str, Any]:
    archive = Archive.open(demo)
    return compute_figures(session(archive), Filters(today=DEMO_TODAY))


def test_json_to_stdout_and_the_exit_code_for_scheduled_runs(demo: Path) -> None:
    r = run(demo, "report", "--today", TODAY, "--format", "json")
    assert r.exit_code == 0, r.output
    data = json.loads(r.output)
    assert data["warnings"] and data["meta"]["today"] == TODAY
    failing = run(demo, "report", "--today", TODAY, "--fail-on", "warning")
    assert failing.exit_code == 3
    reaching = [w for w in data["warnings"] if w["severity"] in ("warning", "error")]
    assert reaching and len(reaching) < len(data["warnings"])  # the sample has an info-level one too
    assert f"有 {len(reaching)} 条预警达到或超过「警告」级别(退出码 3)" in failing.stderr
    assert run(demo, "report", "--today", TODAY, "--fail-on", "info").exit_code == 3
    assert run(demo, "report", "--today", TODAY, "--fail-on", "error").exit_code == 0  # no error-level warning
    table = run(demo, "report", "--today", TODAY)
    assert table.exit_code == 0
    assert table.output.index("预警") < table.output.index("交房:各批次进度与收房率") < table.output.index("维修:")


def test_bad_usage_is_exit_2_in_chinese(demo: Path) -> None:
    r = run(demo, "report", "--from", "2026-13-01")
    assert r.exit_code == 2 and "Traceback" not in r.output
    r = run(demo, "report", "--batch", "B01")
    assert r.exit_code == 2 and "按批次统计须先选择项目(批次编号只在一个项目内有效);请同时给 --project" in r.output
    r = run(demo, "report", "--from", "9999-12-31")
    assert r.exit_code == 2 and "开始日期 9999-12-31 超出可统计的范围" in r.output
    r = run(demo, "report", "list", "kind=batch_units&accepted_by=zzz")
    assert r.exit_code == 2 and "筛选条件 accepted_by(截至该日已收房)的值「zzz」不是日期" in r.output
    r = run(demo, "report", "--project", "NOPE")
    assert r.exit_code == 1 and "项目 NOPE 不存在" in r.output
    r = run(demo, "report", "--out", "x.txt")
    assert r.exit_code == 2 and "--format" in r.output
    r = run(demo, "report", "list", "kind=repairs&colour=red")
    assert r.exit_code == 2 and "未知的筛选条件 colour" in r.output
    r = run(demo, "report", "list", "project=HXSZ")
    assert r.exit_code == 2 and "kind" in r.output


def test_the_list_behind_a_number(demo: Path, figures: dict[str, Any]) -> None:
    row = max(figures["repairs"]["by_building"], key=lambda x: x["count"])
    r = run(demo, "report", "list", row["drill"]["count"], "--today", TODAY, "--json")
    assert r.exit_code == 0, r.output
    data = json.loads(r.output)
    assert len(data["records"]) == row["count"] and all(x["kind"] == "repairs" for x in data["records"])
    assert data["filter"].startswith("报修单:") and "楼栋=" in data["filter"]
    text = run(demo, "report", "list", row["drill"]["count"], "--today", TODAY, "--limit", "2")
    assert text.exit_code == 0 and "只列出前 2 条" in text.output
    assert Drill.parse(row["drill"]["count"]).query == row["drill"]["count"]


def test_xlsx_has_a_sheet_per_figure_with_native_charts_beside_the_numbers(figures: dict[str, Any],
                                                                          tmp_path: Path) -> None:
    path = write_xlsx(figures, tmp_path / "决策数据.xlsx")
    wb = load_workbook(path)
    names = wb.sheetnames
    assert names[0] == "预警" and names[-1] == "说明"
    assert {"交房", "收房率走势", "办证", "维修-楼栋", "维修-户型", "维修-部位", "维修-单位", "重复缺陷", "投诉-类别",
            "投诉-楼栋", "投诉-楼栋月份", "回访覆盖", "满意度-季度", "赔偿-原因", "第三方维修-单位", "质保金扣回", "个人"} <= set(names)
    charted = 0
    for ws in wb.worksheets:
        for chart in ws._charts:
            charted += 1
            for series in chart.series:
                ref = series.val.numRef.f  # e.g. '维修-户型'!$D$5:$D$11
                sheet, cells = ref.rsplit("!", 1)
                assert sheet.strip("'") == ws.title, ref
                rows = [int(x) for x in re.findall(r"\$(\d+)", cells)]
                first, last = rows[0], rows[-1]
                assert first == 5 and last == ws.max_row, (ws.title, ref)
    assert charted >= 20
    ws = wb["维修-户型"]
    table = {(ws.cell(r, 1).value, ws.cell(r, 2).value) for r in range(5, ws.max_row + 1)}
    assert table == {(f"{r['project']} {r['label']}", r["count"]) for r in figures["repairs"]["by_layout"]}
    assert ws.cell(5, 4).number_format == "0.0"
    assert wb["交房"].cell(5, 11).number_format == "0.0%"


def test_html_is_one_self_contained_page_with_svg_charts(figures: dict[str, Any]) -> None:
    page = render_html(figures)
    assert page.startswith("<!DOCTYPE html>") and page.count("<svg") >= 20
    assert not re.search(r"<script|<link|<img|@import|url\(", page)
    assert set(re.findall(r"https?://[^\s\"'<>]+", page)) == {"http://www.w3.org/2000/svg"}
    assert page.index("<h2") == page.index('<h2 id="s1">预警')
    assert "维修:各户型报修(每百户)" in page and "三室两厅" in page
    drills = re.findall(r'data-drill="([^"]+)"', page)
    assert len(drills) > 200
    import html as htmlmod

    for q in drills[::25]:
        Drill.parse(htmlmod.unescape(q))
    linked = render_html(figures, link="/report/records?")
    assert linked.count('<a href="/report/records?kind=') == len(drills)


@pytest.mark.chromium
def test_the_page_renders_in_headless_chromium(figures: dict[str, Any], tmp_path: Path) -> None:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.skip("Chromium 未安装")
    page = tmp_path / "report.html"
    page.write_text(render_html(figures), "utf-8")
    shot = tmp_path / "shot.png"
    subprocess.run([chromium, "--headless=new", "--no-sandbox", "--disable-gpu", f"--screenshot={shot}",
                    "--window-size=1200,1600", page.as_uri()], capture_output=True, timeout=120, check=False)
    from PIL import Image

    image = Image.open(shot).convert("L")
    assert image.size == (1200, 1600)
    lo, hi = image.getextrema()
    assert hi - lo > 100  # text and bars were drawn, not a blank page


def test_thresholds_are_data_beside_the_rules(demo: Path, tmp_path: Path) -> None:
    root = tmp_path / "records"
    shutil.copytree(demo, root)
    shown = run(root, "report", "thresholds", "--json")
    assert shown.exit_code == 0 and json.loads(shown.output)["source"].startswith("默认预警阈值")
    assert run(root, "report", "thresholds", "--init").exit_code == 0
    archive = Archive.open(root)
    last = archive.journal.last()
    assert last is not None and last["target"] == "thresholds.json"
    before = json.loads(run(root, "report", "--today", TODAY, "--format", "json").output)
    assert any(w["kind"] == "complaint_cluster" for w in before["warnings"])
    path = root / "thresholds.json"
    data = json.loads(path.read_text("utf-8"))
    data["complaint_cluster"]["min_count"] = 50
    data["projects"] = {"YHW": {"disabled": ["contractor_slow"]}}
    archive.write_config_file("thresholds.json", json.dumps(data, ensure_ascii=False).encode(), "调整预警阈值")
    after = json.loads(run(root, "report", "--today", TODAY, "--format", "json").output)
    assert not any(w["kind"] == "complaint_cluster" for w in after["warnings"])
    assert not any(w["kind"] == "contractor_slow" and w["project"] == "YHW" for w in after["warnings"])
    data["complaint_cluster"]["min_cont"] = 5
    path.write_text(json.dumps(data, ensure_ascii=False), "utf-8")
    bad = run(root, "report", "--today", TODAY)
    assert bad.exit_code == 1 and "min_cont" in bad.output and "thresholds.json" in bad.output
    assert run(root, "report", "thresholds", "--init").exit_code == 1  # exists: --force to overwrite


def test_one_overdue_repair_is_not_a_warning_but_a_few_are(archive: Archive) -> None:
    """The demo's YHW warned on 1 overdue ticket of 2 open (50 %): noise. repairs_overdue.min_count (default 3) says how many."""
    archive._today = lambda: dt.date(2026, 11, 16)
    s = session(archive)
    key = "HXSZ/05-1-0601"
    today = dt.date(2026, 11, 16)

    def overdue_warnings() -> list[dict[str, Any]]:
        return [w for w in compute_figures(s, Filters(today=today))["warnings"] if w["kind"] == "repairs_overdue"]

    cases.new_repair(s, key, component="门窗", description="门锁坏", reported_on="2026-11-10")  # open, on time
    cases.new_repair(s, key, component="门窗", description="窗扇松", reported_on="2026-09-01")  # open, overdue
    assert overdue_warnings() == []  # 1 of 2 open is 50 %, but one ticket is one ticket
    for day in ("2026-09-02", "2026-09-03"):
        cases.new_repair(s, key, component="门窗", description="纱窗破", reported_on=day)
    [warning] = overdue_warnings()
    assert warning["value"] == 0.75 and "未修完的 4 张报修单中有 3 张" in warning["message"]
    # configurable like the other thresholds: a project may want to hear of every one
    from docgen.report.thresholds import default_bytes

    data = json.loads(default_bytes())
    assert data["repairs_overdue"]["min_count"] == 3
    data["repairs_overdue"]["min_count"] = 4
    archive.write_config_file("thresholds.json", json.dumps(data, ensure_ascii=False).encode(), "调整预警阈值")
    assert overdue_warnings() == []
    data["repairs_overdue"]["min_count"] = 0
    archive.write_config_file("thresholds.json", json.dumps(data, ensure_ascii=False).encode(), "调整预警阈值")
    with pytest.raises(RecordError, match="repairs_overdue.min_count"):
        compute_figures(s, Filters(today=today))


def test_cache_serves_until_the_journal_moves(tmp_path: Path) -> None:
    root = tmp_path / "records"
    build_demo(root, units=40, seed=5, scans=False)
    archive = Archive.open(root)
    archive._today = lambda: DEMO_TODAY
    s = session(archive)
    first = cached_figures(s, Filters(today=DEMO_TODAY))
    assert cached_figures(s, Filters(today=DEMO_TODAY)) is first
    other = cached_figures(s, Filters(project="YHW", today=DEMO_TODAY))
    assert other is not first and other["meta"]["projects"] == ["YHW"]
    scoped = session(archive, "manager", projects=frozenset({"YHW"}))
    scoped.workspace = s.workspace  # the same process: one cache, the user's scope in its key
    assert cached_figures(scoped, Filters(today=DEMO_TODAY))["meta"]["projects"] == ["YHW"]
    key = next(k for k in archive.dossier_keys("HXSZ") if archive.dossier(k).delivered_on)
    cases.new_complaint(s, key, category="噪音扰民", description="楼下商铺夜间施工", received_on=DEMO_TODAY)
    again = cached_figures(s, Filters(today=DEMO_TODAY))
    assert again is not first
    count = {(r["project"], r["key"]): r["count"] for r in again["complaints"]["by_category"]}
    before = {(r["project"], r["key"]): r["count"] for r in first["complaints"]["by_category"]}
    assert count[("HXSZ", "噪音扰民")] == before.get(("HXSZ", "噪音扰民"), 0) + 1
    assert cached_figures(s, Filters(today=DEMO_TODAY)) is again


def test_deadlines_are_the_rules_to_the_day(archive: Archive, tmp_path: Path) -> None:
    """A repair is overdue after 30 days (not on the 30th), a complaint after 15: the audit's definitions."""
    archive._today = lambda: dt.date(2026, 11, 16)
    s = session(archive)
    key = "HXSZ/05-1-0601"  # delivered 2026-06-20
    on_time = cases.new_repair(s, key, component="门窗", description="门锁坏", reported_on="2026-10-17")  # 30 days
    late = cases.new_repair(s, key, component="门窗", description="窗扇松", reported_on="2026-10-16")  # 31 days
    cases.new_complaint(s, key, category="物业服务", description="保洁", received_on="2026-11-01")  # 15 days
    old = cases.new_complaint(s, key, category="物业服务", description="绿化", received_on="2026-10-31")  # 16 days
    f = compute_figures(s, Filters(today=dt.date(2026, 11, 16)))
    refs = {r["kind"]: r for r in ({"kind": "repairs", **f["repairs"]["timeliness"][0]},
                                   {"kind": "complaints", **f["complaints"]["totals"][0]})}
    assert refs["repairs"]["overdue"] == 1 and refs["complaints"]["overdue"] == 1
    from docgen.services.report import records_behind

    assert [r.id for r in records_behind(s, refs["repairs"]["drill"]["overdue"])] == [late.id]
    assert [r.id for r in records_behind(s, refs["complaints"]["drill"]["overdue"])] == [old.id]
    assert on_time.id not in {r.id for r in records_behind(s, refs["repairs"]["drill"]["overdue"])}


def test_record_text_cannot_inject_markup_into_the_page_or_the_charts(archive: Archive) -> None:
    archive._today = lambda: dt.date(2026, 11, 16)
    s = session(archive)
    ticket = cases.new_repair(s, "HXSZ/05-1-0601", component="门窗", description="门锁坏", reported_on="2026-10-01")
    archive.update_case(ticket.id, {"contractor": "<script>alert(1)</script>甲公司", "status": "维修中",
                                    "responded_on": "2026-10-02"})
    f = compute_figures(s, Filters(today=dt.date(2026, 11, 16)))
    assert any(r["key"].startswith("<script>") for r in f["repairs"]["by_contractor"])
    page = render_html(f)
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;甲公司" in page


def test_percentages_are_rounded_once_half_up() -> None:
    """Review: 14/17 showed 82.3 % and 1/29 showed 3.5 % (a four-decimal share rounded again as a float)."""
    from docgen.report.figures import share
    from docgen.report.html import fmt

    assert fmt(share(14, 17), "pct") == "82.4%"
    assert fmt(share(1, 29), "pct") == "3.4%"
    assert fmt(share(1, 8), "pct") == "12.5%" and fmt(share(1, 16), "pct") == "6.3%"
