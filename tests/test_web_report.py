"""The manager's dashboard (/report) on a real archive: numbers link to exactly the records behind them.

Every number on the page that carries a drill-down is followed and the list
page must show as many records as the number says; scope, permission, cache
invalidation by a write, bad filters and hostile record text are checked
through the real app.
"""

from __future__ import annotations

import html
import io
import json
import re
from pathlib import Path

import pytest

from docgen.users import UserStore
from web_helpers import FOREIGN_KEY, OWN_KEY, PASSWORD, WebEnv, build_env, login, scan_markup

XSS_CONTRACTOR = '<script>alert("c")</script>防水<img src=x onerror=alert(1)>'
LINK = re.compile(r'data-kind="(\w+)"><a href="(/report/records\?[^"]+)" title="查看对应记录">([^<]*)</a>')


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> WebEnv:
    env = build_env(tmp_path_factory.mktemp("report"))
    UserStore(env.archive).add("all-manager", "manager", password=PASSWORD)  # every project: filters matter
    _foreign_cases(env)
    env.archive.add_case(OWN_KEY, "repairs", {"reported_on": "2026-08-03", "component": "外墙渗漏",
                                              "description": "外墙渗水", "contractor": XSS_CONTRACTOR})
    return env


def _foreign_cases(env: WebEnv) -> None:
    """Revisits and repairs in both projects by the same people, so that a link without its project over-counts."""
    for key in (OWN_KEY, FOREIGN_KEY):
        ticket = env.archive.add_case(key, "repairs", {"reported_on": "2026-08-05", "component": "入户门",
                                                       "description": "门锁", "handled_by": "王磊"})
        env.archive.add_case(key, "revisits", {"date": "2026-08-20", "status": "已完成", "by": "黄丽娟",
                                               "satisfaction": "A", "reason": "维修后回访",
                                               "related": ticket.id})


def _total(page_html: str) -> int:
    m = re.search(r'<h1>数字对应的记录 <span class="muted">(\d+) 条', page_html)
    assert m, page_html[:2000]
    return int(m.group(1))


@pytest.mark.parametrize("filters", ["", "?project=HXSZ", "?project=HXSZ&batch=B01"])
def test_every_number_lists_exactly_its_records(env: WebEnv, filters: str) -> None:
    """Also filtered: review found quarter, reason and per-person links without the project (B01 is in both)."""
    client = env.client()
    login(client, "all-manager")
    r = client.get("/report" + filters)
    assert r.status_code == 200, r.text[:500]
    links = [(kind, html.unescape(href), text) for kind, href, text in LINK.findall(r.text)]
    assert "int" in {kind for kind, _, _ in links}
    counts = [(href, int(text.replace(",", ""))) for kind, href, text in links if kind == "int"]
    assert len(counts) >= 10, links[:20]
    by_href: dict[str, set[int]] = {}
    for href, number in counts:
        by_href.setdefault(href, set()).add(number)
    for href, numbers in by_href.items():
        assert len(numbers) == 1, (href, numbers)  # one query, one number, wherever it is shown
        listed = client.get(href)
        assert listed.status_code == 200, (href, listed.text[:300])
        assert _total(listed.text) == numbers.pop(), href
    repairs = client.get("/report/records?kind=repairs&project=HXSZ")
    assert f'href="/dossiers/{OWN_KEY}' in repairs.text  # each record links to its dossier


def test_charts_are_svg_images_with_record_text_escaped(env: WebEnv) -> None:
    client = env.client()
    login(client, "manager")
    page = client.get("/report").text
    charts = sorted(set(re.findall(r'src="(/report/chart/\d+/\d+\.svg)"', page)))
    assert charts
    bodies = []
    for url in charts:
        r = client.get(url)
        assert r.status_code == 200 and r.headers["content-type"].startswith("image/svg+xml"), url
        assert r.headers["content-security-policy"].startswith("default-src 'none'")
        bodies.append(r.text)
    assert any("&lt;script&gt;" in b for b in bodies)  # the contractor chart names it, escaped
    assert not any("<script" in b for b in bodies)
    scan = scan_markup(page)
    assert all((s.get("src") or "").startswith("/static/") for s in scan.scripts)
    assert scan.handlers == []
    assert client.get("/report/chart/99/0.svg").status_code == 404


def test_a_write_shows_at_once(env: WebEnv) -> None:
    client = env.client()
    login(client, "manager")
    before = _total(client.get("/report/records?kind=repairs&project=HXSZ").text)
    first = client.get("/report").text
    env.archive.add_case(OWN_KEY, "repairs", {"reported_on": "2026-09-01", "component": "入户门",
                                              "description": "门锁损坏"})
    after = _total(client.get("/report/records?kind=repairs&project=HXSZ").text)
    assert after == before + 1
    assert client.get("/report").text != first  # the cached figures were recomputed after the write


def test_scope_and_permission_are_enforced(env: WebEnv) -> None:
    manager = env.client()
    login(manager, "manager")
    page = manager.get("/report").text
    assert "YHW" not in page and "悦湖湾" not in page
    for url in ("/report?project=YHW", "/report/records?kind=repairs&project=YHW", "/report/report.json?project=YHW",
                "/api/report?project=YHW"):
        r = manager.get(url)
        assert r.status_code == 404, (url, r.status_code)
    staff = env.client()
    login(staff, "staff")
    assert 'href="/report"' not in staff.get("/search").text
    r = staff.get("/report")
    assert r.status_code == 403 and "决策数据" in r.text
    assert staff.get("/report/records?kind=repairs").status_code == 403
    # per-person figures are the manager's: a drill by handler needs figures_people, which only managers have
    assert manager.get("/report/records?kind=repairs&handler=x").status_code == 200


def test_bad_filters_get_a_chinese_message(env: WebEnv) -> None:
    client = env.client()
    login(client, "manager")
    for url, words in (("/report?from=2026-09-01&to=2026-01-01", "晚于"), ("/report?from=明天", "日期"),
                       ("/report/records?kind=nonsense", ""), ("/report/records", "决策数据"),
                       ("/report/records?kind=repairs&page=x", "页码")):
        r = client.get(url)
        assert 400 <= r.status_code < 500, (url, r.status_code)
        assert any("\u4e00" <= ch <= "\u9fff" for ch in r.text) and words in r.text, (url, r.text[:300])
        assert "Traceback" not in r.text


def _alert(page_html: str) -> str:
    m = re.search(r'<p class="notice" role="alert">(.*?)</p>', page_html, re.S)
    assert m, page_html[:1000]
    return html.unescape(m.group(1))


@pytest.mark.parametrize(("url", "status", "words"), [
    ("/report?batch=B03", 400, "按批次统计须先选择项目"),
    ("/report/report.xlsx?batch=B03", 400, "按批次统计须先选择项目"),
    ("/report?project=HXSZ&batch=B03", 404, "项目 HXSZ 中没有交房批次「B03」(已有:B01"),
    ("/report?from=9999-12-31", 400, "开始日期 9999-12-31 超出可统计的范围"),
    ("/report?to=2999-01-01", 400, "结束日期 2999-01-01 超出可统计的范围"),
    ("/report?from=1900-01-01", 400, "开始日期 1900-01-01 超出可统计的范围"),
    ("/report/records?kind=batch_units&accepted_by=zzz", 400, "筛选条件 accepted_by(截至该日已收房)的值「zzz」不是日期"),
    ("/report/records?kind=batch_units&accepted_by=9999-12-31", 400, "超出可统计的范围"),
    ("/report/records?kind=repairs&from=9999-12-31", 400, "超出可统计的范围"),
    ("/report/records?kind=repairs&from=zzz", 400, "筛选条件 from(开始日期)的值「zzz」不是日期"),
    ("/report/chart/a/0.svg", 404, "没有这张图表"),
    ("/report/chart/0/x.svg", 404, "没有这张图表"),
    ("/report/chart/99999999999999999999/0.svg", 404, "没有这张图表"),
])
def test_report_filters_are_checked_and_said_in_the_pages_words(env: WebEnv, url: str, status: int,
                                                                 words: str) -> None:
    client = env.client()
    login(client, "manager")
    r = client.get(url)
    assert r.status_code == status, (url, r.status_code, r.text[:300])
    message = _alert(r.text)
    assert words in message, (url, message)
    assert "--" not in message and "docgen " not in message and "section" not in message, message
    assert not re.search(r"[A-Za-z]{4,}", re.sub(r"accepted_by|batch_units|YYYY|HXSZ|from", "", message)), message


def test_a_period_inside_the_range_still_works(env: WebEnv) -> None:
    client = env.client()
    login(client, "manager")
    assert client.get("/report?from=2020-01-01&to=2027-12-31").status_code == 200
    assert client.get("/report/records?kind=batch_units&accepted_by=2026-11-16").status_code == 200


def test_a_mistyped_page_address_is_a_chinese_404_not_a_parameter_name(env: WebEnv) -> None:
    client = env.client()
    login(client, "manager")
    r = client.get(f"/documents/{env.docs['own_pdf']}/pages/abc.png")
    assert r.status_code == 404 and _alert(r.text) == "页面不存在或无权查看"


def test_downloads_are_what_the_cli_writes(env: WebEnv, tmp_path: Path) -> None:
    client = env.client()
    login(client, "manager")
    data = client.get("/report/report.json").json()
    assert {"handover", "repairs", "complaints", "satisfaction", "warnings"} <= set(data)
    assert {"by_building", "by_component", "by_layout"} <= set(data["repairs"])
    api = client.get("/api/report").json()
    assert api["handover"] == data["handover"]
    xlsx = client.get("/report/report.xlsx")
    assert xlsx.status_code == 200 and "attachment" in xlsx.headers["content-disposition"]
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(xlsx.content))
    assert len(wb.sheetnames) >= 5
    page = client.get("/report/report.html")
    assert page.status_code == 200 and "<svg" in page.text and "&lt;script&gt;" in page.text
    json.dumps(data)


def test_personal_numbers_typed_into_records_are_masked_everywhere(env: WebEnv) -> None:
    """Review found a phone typed into a component or contractor shown in full on the dashboard, its JSON and SVG."""
    phone, idno = "13859012345", "350102199001011234"
    env.archive.add_case(OWN_KEY, "repairs", {"reported_on": "2026-10-03", "component": f"墙面渗漏(业主{phone})",
                                              "description": "x", "contractor": f"恒顺防水 身份证{idno}"})
    client = env.client()
    login(client, "manager")
    page = client.get("/report").text
    shown = [page, client.get("/report/report.json").text, client.get("/api/report").text,
             client.get("/report/records?kind=repairs&project=HXSZ").text]
    shown += [client.get(u).text for u in set(re.findall(r'src="(/report/chart/\d+/\d+\.svg)"', page))]
    for text in shown:
        assert phone not in text and idno not in text
    assert "138****2345" in page


def test_record_text_is_never_a_formula_in_the_workbook(env: WebEnv) -> None:
    """Review found ``=HYPERLINK(…)`` typed as a component written as a live formula."""
    env.archive.add_case(OWN_KEY, "repairs", {"reported_on": "2026-10-04", "component": '=HYPERLINK("http://evil.example/","墙面渗漏")',
                                              "description": "x", "contractor": "+cmd|' /C calc'!A0"})
    client = env.client()
    login(client, "manager")
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(client.get("/report/report.xlsx").content))
    cells = [c for ws in wb.worksheets for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    assert any("HYPERLINK" in c.value for c in cells)
    assert all(c.data_type == "s" for c in cells if c.value.startswith(("=", "+")))


def test_the_list_page_reads_in_chinese_and_goes_back_to_the_filtered_dashboard(env: WebEnv) -> None:
    client = env.client()
    login(client, "all-manager")
    r = client.get("/report/records?kind=repairs&project=hxsz", headers={"referer": "http://testserver/report?project=HXSZ&from=2026-01"})
    assert "报修单:项目=HXSZ" in r.text and "kind=" not in r.text.split("<main", 1)[1]
    assert 'href="/report?project=HXSZ&amp;from=2026-01"' in r.text
    upper = client.get("/report/records?kind=repairs&project=HXSZ")
    assert _total(r.text) == _total(upper.text) > 0  # yhw, ＹＨＷ and YHW are one project
