"""The web application in real headless Chromium (Debian's, through Playwright; never a downloaded browser).

The server runs on 127.0.0.1 on a free port in a thread, on a copy of the
bundled sample archive with demo accounts, and stops when the test ends.  The
flow is the one a department walks through: log in, search for an owner, open
the dossier, reveal with a reason, preview a page, open the audit and follow
a finding to its dossier.  A screenshot of each page is taken at 1366×768; with
``DOCGEN_WEB_SCREENSHOTS=docs/img`` they are also written (as small
palette PNGs) to that folder for docs/web.md.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from docgen.config import load_config
from docgen.search import api
from docgen.services.dossiers import set_dossier_fields
from docgen.session import User, Workspace
from docgen.users import UserStore
from docgen.web.app import create_app
from docgen.web.server import ThreadedServer

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--headless=new", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
PASSWORD = "browser test 1"
KEY = "HXSZ/03-2-1203"
XSS = '<script>alert("note")</script><img src=x onerror=alert(1)>'

pytestmark = [
    pytest.mark.chromium,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Chromium not installed (/usr/bin/chromium)"),
]


@dataclass
class Site:
    url: str
    workspace: Workspace
    shots: Path


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    pytest.importorskip("playwright")
    root = tmp_path_factory.mktemp("browser")
    shutil.copytree(ROOT / "records", root / "records", ignore=shutil.ignore_patterns(".docgen"))
    today = json.loads((root / "records" / "DEMO-PLANTED.json").read_text("utf-8"))["today"]
    (root / "docgen.toml").write_text(
        f'[archive]\npath = "records"\nactor = "演示"\n[search]\nindex_path = "index"\nprocs = 1\n'
        f'[web]\ntoday = "{today}"\ncache = "cache"\n', "utf-8")
    config = load_config(root / "docgen.toml", env={})
    workspace = Workspace(config)
    store = UserStore(workspace.archive)
    for role in ("archivist", "auditor", "manager"):
        store.add(role, role, password=PASSWORD)
    set_dossier_fields(workspace.session(User("演示", "operator")), "HXSZ/03-2-1204", {"notes": XSS})
    api.rebuild(workspace.archive, config.search)
    shots = root / "shots"
    shots.mkdir()
    with ThreadedServer(create_app(workspace), config.web) as server:
        yield Site(server.url, workspace, shots)
    workspace.close()


@pytest.fixture
def browser_page(site: Site) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN")
        page = context.new_page()
        problems: list[str] = []
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: problems.append(str(e)))
        page.on("dialog", lambda d: (problems.append(f"dialog: {d.message}"), d.dismiss()))
        page.problems = problems  # type: ignore[attr-defined]
        yield page
        context.close()
        browser.close()


def shoot(site: Site, page: Any, name: str, full_page: bool = False) -> None:
    """A screenshot for the record (and for the docs, as a small palette PNG, when asked)."""
    path = site.shots / f"web-{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    assert path.stat().st_size > 5_000
    target = os.environ.get("DOCGEN_WEB_SCREENSHOTS")
    if target:
        from PIL import Image

        out = Path(target) / path.name
        out.parent.mkdir(parents=True, exist_ok=True)
        with Image.open(path) as img:
            img.convert("RGB").quantize(colors=128, method=Image.Quantize.MEDIANCUT).save(out, optimize=True)


def wait_until(page: Any, expression: str, timeout: float = 20.0) -> None:
    """Poll a JavaScript expression (Playwright's wait_for_function evaluates strings, which the CSP forbids)."""
    deadline = time.monotonic() + timeout
    while not page.evaluate(expression):
        assert time.monotonic() < deadline, f"timed out waiting for {expression}"
        page.wait_for_timeout(100)


def log_in(page: Any, site: Site, name: str) -> None:
    page.goto(f"{site.url}/login")
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{site.url}/search")


def test_log_in_search_reveal_preview_audit_and_follow_a_finding(site: Site, browser_page: Any) -> None:
    page = browser_page
    page.goto(f"{site.url}/login")
    shoot(site, page, "login")
    page.fill("input[name=name]", "archivist")
    page.fill("input[name=password]", "wrong password")
    page.keyboard.press("Enter")
    page.wait_for_selector("p.notice")  # the answer to the form post
    assert "用户名或密码不正确" in page.inner_text("main")
    assert page.problems == ["Failed to load resource: the server responded with a status of 401 (Unauthorized)"]  # type: ignore[attr-defined]
    page.problems.clear()  # type: ignore[attr-defined]
    log_in(page, site, "archivist")
    assert page.evaluate("typeof window.htmx") == "object"  # loaded from /static under the CSP

    # search as you type (htmx), for an owner
    owner = site.workspace.archive.dossier(KEY).owners[0].name
    page.click("footer")  # away from the box, then the shortcut back to it
    page.keyboard.press("/")
    assert page.evaluate("document.activeElement.id") == "q"
    page.keyboard.type(owner)
    page.wait_for_selector("ol.hits li.hit")
    assert owner not in page.url  # the words stay out of the address
    page.wait_for_selector("#totals a")  # totals per kind, loaded after the results
    shoot(site, page, "search")
    page.evaluate("window.__sameDocument = true")
    page.click("nav.pager a[rel=next]")  # paging through htmx: the results swap, the page stays
    wait_until(page, "location.search.includes('page=2')")
    page.wait_for_selector("ol.hits[start='21']")
    assert page.evaluate("window.__sameDocument === true")
    page.click("details.filters summary")
    page.select_option("select[name=kind]", "dossier")
    page.wait_for_selector(f"ol.hits a[href='/dossiers/{KEY}']")
    wait_until(page, "location.search.includes('kind=dossier')")
    page.reload()  # the pushed URL works on its own (bookmark, reload)
    page.click(f"ol.hits a[href='/dossiers/{KEY}']")
    page.wait_for_url(f"{site.url}/dossiers/{KEY}")

    # the dossier: masked, with a timeline, what is missing, thumbnails
    main = page.inner_text("main")
    id_number = site.workspace.archive.dossier(KEY).owners[0].id_number
    assert id_number not in main and f"{id_number[:6]}********{id_number[-4:]}" in main
    assert "签约" in main and "保修期" in main and "本阶段尚缺" in main
    wait_until(page, "Array.from(document.querySelectorAll('td.thumb img')).some(i => i.complete && i.naturalWidth > 0)")
    shoot(site, page, "dossier")

    # reveal with a reason (htmx swaps the page's main part)
    page.click("details.reveal summary")
    page.fill("details.reveal input[name=reason]", "业主来电核对身份")
    page.click("details.reveal button[type=submit]")
    page.wait_for_selector("text=已显示完整信息")
    assert id_number in page.inner_text("#owners")
    entry = site.workspace.archive.journal.last()
    assert entry is not None and entry["action"] == "privacy.reveal" and entry["actor"] == "archivist"
    assert entry["detail"]["why"] == "业主来电核对身份"

    # preview a page: the document page shows its pages at readable size
    page.goto(f"{site.url}/dossiers/{KEY}")
    page.click("td.thumb a[href^='/documents/']:has(img)")
    page.wait_for_selector("figure.page img")
    wait_until(page, "document.querySelector('figure.page img').naturalWidth >= 900")
    shoot(site, page, "document")

    # project and batch pages
    page.goto(f"{site.url}/projects/HXSZ")
    shoot(site, page, "project")
    page.click("a[href^='/projects/HXSZ/batches/']")
    page.wait_for_selector("text=各户状态")
    shoot(site, page, "batch")

    # the audit, as the auditor, and a finding followed to its dossier
    page.click("form[action='/logout'] button")
    page.wait_for_url(f"{site.url}/login")
    log_in(page, site, "auditor")
    page.click("nav a[href='/audit']")
    page.wait_for_selector("#findings table")
    shoot(site, page, "audit")
    link = page.locator("#findings tbody a[href^='/dossiers/']").first
    target = link.get_attribute("href")
    link.click()
    page.wait_for_url(f"{site.url}{target}")
    assert page.locator("h1").inner_text()
    page.goto(f"{site.url}/journal")
    assert "privacy.reveal" in page.inner_text("main")
    shoot(site, page, "journal")
    assert page.problems == []  # type: ignore[attr-defined]


def test_untrusted_note_runs_nothing_and_pages_fit_a_tablet(site: Site, browser_page: Any) -> None:
    page = browser_page
    log_in(page, site, "archivist")
    page.goto(f"{site.url}/dossiers/HXSZ/03-2-1204")
    assert '<script>alert("note")</script>' in page.inner_text("main")  # shown as text
    assert page.evaluate("document.querySelectorAll('script:not([src])').length") == 0
    assert page.evaluate("document.querySelectorAll('img[src=\"x\"]').length") == 0
    for width, height in ((1366, 768), (768, 1024)):
        page.set_viewport_size({"width": width, "height": height})
        for path in ("/search", f"/dossiers/{KEY}", "/projects/HXSZ"):
            page.goto(f"{site.url}{path}")
            overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 1, (path, width, overflow)
    # keyboard: Tab reaches the skip link first, then the navigation
    page.goto(f"{site.url}/projects")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "跳到正文"
    assert page.problems == []  # type: ignore[attr-defined]


def test_manager_dashboard_charts_load_and_a_number_leads_to_its_records(site: Site, browser_page: Any) -> None:
    page = browser_page
    log_in(page, site, "manager")
    page.click("nav a[href='/report']")
    page.wait_for_selector("section.figure table")
    wait_until(page, "Array.from(document.querySelectorAll('.charts img')).length > 3 && "
                     "Array.from(document.querySelectorAll('.charts img')).every(i => i.complete && i.naturalWidth > 0)")
    assert "预警" in page.inner_text("section.figure >> nth=0")
    shoot(site, page, "report")
    cell = page.locator("section[data-figure='交房'] td[data-kind='int'] a").first
    number = int(cell.inner_text().replace(",", ""))
    cell.click()
    page.wait_for_selector("h1:has-text('数字对应的记录')")
    assert f"{number} 条" in page.inner_text("h1")
    assert page.locator("tbody tr").count() == min(number, 100)
    assert page.problems == []  # type: ignore[attr-defined]
