"""The staff's daily work in real headless Chromium (Debian's, through Playwright), several users one after another.

The server runs on 127.0.0.1 on a free port in a thread on the archive of
:mod:`web_helpers` (with its part-2 work), plus a batch of three units for the
handover day.  Flows: a repair from report to close with its agreement
generated and the signed scan uploaded back and matched; a settlement through
a three-step chain by three users; a scan uploaded, sent to review and filed
from the review page; two scans dropped at once on the upload box (drag-and-drop, from a DataTransfer
built in the page), each through the pipeline; a handover-day sequence for three units.  Screenshots go
to ``DOCGEN_WEB_SCREENSHOTS`` (docs/img) when it is set.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from conftest import make_id
from docgen.demo.scans import text_pdf
from docgen.models import Batch, BatchUnit, Dossier, Owner
from docgen.qrcodes import DocumentCode
from docgen.web.server import ThreadedServer
from docgen.web.settings import WebSettings
from test_web_browser import ARGS, CHROMIUM, wait_until
from web_helpers import OWN_KEY, PASSWORD, WebEnv, build_env

pytestmark = [
    pytest.mark.chromium,
    pytest.mark.slow,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Chromium not installed (/usr/bin/chromium)"),
]

WARRANTY_KEY = "HXSZ/05-1-0601"
THREE = ["05-2-0301", "05-2-0302", "05-2-0303"]


@dataclass
class Site:
    url: str
    env: WebEnv
    shots: Path


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    pytest.importorskip("playwright")
    root = tmp_path_factory.mktemp("browser-work")
    env = build_env(root, work=True)
    archive = env.archive
    for i, unit in enumerate(THREE):
        archive.new_dossier(Dossier(project="HXSZ", unit=unit, contract_no=f"HXSZ-HT-2024-03{i}",
                                    owners=[Owner(name=["林一", "林二", "林三"][i], id_number=make_id("19900101", 300 + i),
                                                  phone=f"1350000030{i}")]))
    archive.new_batch(Batch(id="B03", project="HXSZ", name="一期第三批交房", window_start=dt.date(2026, 11, 16),
                            window_end=dt.date(2026, 11, 18), venue="5栋一层大堂",
                            units=[BatchUnit(unit=u, status="已通知", notice_sent_on=dt.date(2026, 11, 2))
                                   for u in THREE]))
    shots = root / "shots"
    shots.mkdir()
    settings = WebSettings(cache=root / "cache")
    with ThreadedServer(env.app, settings) as server:
        yield Site(server.url, env, shots)


@pytest.fixture
def page(site: Site) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN")
        pg = context.new_page()
        problems: list[str] = []
        pg.on("pageerror", lambda e: problems.append(str(e)))
        pg.on("dialog", lambda d: (problems.append(f"dialog: {d.message}"), d.dismiss()))
        pg.problems = problems  # type: ignore[attr-defined]
        yield pg
        context.close()
        browser.close()


def shoot(site: Site, page: Any, name: str, full_page: bool = False) -> None:
    path = site.shots / f"web-{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    target = os.environ.get("DOCGEN_WEB_SCREENSHOTS")
    if target:
        from PIL import Image

        out = Path(target) / path.name
        out.parent.mkdir(parents=True, exist_ok=True)
        with Image.open(path) as img:
            img.convert("RGB").quantize(colors=128, method=Image.Quantize.MEDIANCUT).save(out, optimize=True)


def log_in(page: Any, site: Site, name: str) -> None:
    page.context.clear_cookies()
    page.goto(f"{site.url}/login")
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{site.url}/search")


def case_id_of(page: Any) -> str:
    return str(page.url.split("/cases/", 1)[1].split("?", 1)[0])


def test_repair_from_report_to_close_with_agreement_and_signed_scan(site: Site, page: Any) -> None:
    archive = site.env.archive
    log_in(page, site, "staff")
    page.goto(f"{site.url}/dossiers/{WARRANTY_KEY}")
    page.click("p.new-case a:has-text('报修')")
    page.fill("#f-component", "门窗")
    page.fill("#f-location", "入户门")
    page.fill("#f-description", "入户门变形,关不上")
    page.click("button:has-text('新建')")
    page.wait_for_selector("text=已保存")
    ticket = case_id_of(page)
    # verified: the developer is responsible and pays compensation
    page.select_option("#f-edit-status", "已核实")
    page.select_option("#f-edit-responsibility", "开发商")
    page.fill("#f-edit-compensation", "800.00")
    page.fill("#f-edit-verified_cause", "门框安装不牢")
    page.click("#edit button:has-text('保存')")
    page.wait_for_selector("text=已保存")
    assert archive.find_case(ticket)[2].responsibility == "开发商"
    shoot(site, page, "case")
    page.click("button:has-text('生成质量问题赔偿协议')")
    page.wait_for_selector("#job.job-done", timeout=180_000)
    shoot(site, page, "job")
    link = page.locator("#job a[href^='/documents/DOC-']").first
    doc_id = re.search(r"DOC-\d{4}-\d{6}", link.get_attribute("href")).group(0)
    page.goto(f"{site.url}/dossiers/{WARRANTY_KEY}")
    assert doc_id in page.content()  # filed, on the dossier at once

    # the owner signs; the archivist uploads the scan: matched by its QR code
    log_in(page, site, "archivist")
    page.goto(f"{site.url}/ingest")
    scan = text_pdf([["质量问题赔偿协议", "业主签字:孙七"]], site.env.root / "signed.pdf",
                    qr_payload=DocumentCode(doc_id, WARRANTY_KEY).encode())
    page.set_input_files("#files", str(scan))
    page.click("button:has-text('上传并归档')")
    page.wait_for_selector("#job.job-done li.result-filed", timeout=60_000)
    assert "二维码" in page.inner_text("#job")
    shoot(site, page, "upload")
    signed = [d for d in archive.dossier(WARRANTY_KEY).documents if d.supersedes == doc_id]
    assert signed and signed[0].signed

    # the owner accepts the repair: closed
    log_in(page, site, "staff")
    page.goto(f"{site.url}/cases/{ticket}")
    page.select_option("#f-close-acceptance", "合格")
    page.click("#close button:has-text('记录验收')")
    page.wait_for_selector("text=已保存")
    assert archive.find_case(ticket)[2].status == "已关闭"
    assert page.problems == []  # type: ignore[attr-defined]


def test_settlement_through_a_three_step_chain_by_three_users(site: Site, page: Any) -> None:
    archive = site.env.archive
    log_in(page, site, "staff")
    page.goto(f"{site.url}/dossiers/{WARRANTY_KEY}/settlements/new")
    page.fill("#f-contractor", "福州安居维修工程有限公司")
    for k, v in {"item": "卫生间防水重做", "unit": "m²", "declared_qty": "30", "approved_qty": "28",
                 "unit_price": "200.00"}.items():
        page.fill(f"input[name='items-0-{k}']", v)
    page.click("button:has-text('新建')")
    page.wait_for_selector("text=已保存")
    sheet = case_id_of(page)
    assert page.locator("ol.chain li").count() == 3
    page.click(".sign-form button:has-text('签字提交')")
    page.wait_for_selector("ol.chain li.signed")
    for who, note in (("manager", "核对无误"), ("director", "同意支付")):
        log_in(page, site, who)
        page.goto(f"{site.url}/work")
        page.click(f"a[href='/cases/{sheet}']")
        page.wait_for_url(f"{site.url}/cases/{sheet}")
        assert page.locator(".sign-form").count() == 1, page.inner_text("main")
        page.fill(".sign-form textarea[name=note]", note)
        if who == "director":
            shoot(site, page, "approve")
        page.click(".sign-form button:has-text('签字')")
        page.wait_for_selector("text=已保存")
    record = archive.find_case(sheet)[2]
    assert record.status == "已审批"
    assert [a.name for a in record.approvals] == ["staff", "manager", "director"]
    assert page.locator("ol.chain li.signed").count() == 3
    assert page.locator(".sign-form").count() == 0  # nobody signs twice
    assert page.problems == []  # type: ignore[attr-defined]


def test_scan_uploaded_sent_to_review_and_filed_from_the_review_page(site: Site, page: Any) -> None:
    archive = site.env.archive
    log_in(page, site, "archivist")
    page.goto(f"{site.url}/ingest")
    scan = text_pdf([["房屋交接书", "房号 3栋2单元1204"]], site.env.root / "unsure.pdf")
    page.set_input_files("#files", str(scan))
    page.click("button:has-text('上传并归档')")
    page.wait_for_selector("#job.job-done li.result-review", timeout=60_000)
    page.click("#job li.result-review a:has-text('待人工确认')")
    page.wait_for_selector("#file-form")
    wait_until(page, "Array.from(document.querySelectorAll('img')).some(i => i.complete && i.naturalWidth > 300)")
    shoot(site, page, "review")
    before = len(archive.dossier("HXSZ/03-2-1204").documents)
    page.fill("#owner_key", "HXSZ/03-2-1204")
    page.select_option("#doc_type", "handover_record")
    page.click("#file-form button:has-text('归档')")
    page.wait_for_url(f"{site.url}/documents/DOC-*")
    assert len(archive.dossier("HXSZ/03-2-1204").documents) == before + 1
    assert page.problems == []  # type: ignore[attr-defined]


def test_handover_day_for_three_units(site: Site, page: Any) -> None:
    archive = site.env.archive
    page.set_viewport_size({"width": 768, "height": 1024})  # a tablet at the venue
    log_in(page, site, "staff")
    page.goto(f"{site.url}/projects/HXSZ/batches/B03/handover")
    one, two, three = (f"#u-{u}" for u in THREE)
    # 1: appointment, arrives, accepted with the keys
    page.fill(f"{one} input[name=appointment]", "2026-11-16T09:30")
    page.click(f"{one} button:has-text('登记预约')")
    page.wait_for_selector(f"{one} button:has-text('业主到场')")
    page.click(f"{one} button:has-text('业主到场')")
    page.wait_for_selector(f"{one} button:has-text('验收通过')")
    page.click(f"{one} button:has-text('验收通过')")
    page.wait_for_selector(f"{one} .status:has-text('已收房')")
    # 2: arrives, defects found: repair tickets on the spot, 整改中
    page.click(f"{two} button:has-text('业主到场')")
    page.wait_for_selector(f"{two} details.defect-form")
    page.click(f"{two} details.defect-form summary")
    page.fill(f"{two} input[name=component-0]", "墙面")
    page.fill(f"{two} input[name=description-0]", "客厅墙面空鼓")
    page.check(f"{two} input[name=rectify]")
    page.click(f"{two} button:has-text('生成报修单')")
    page.wait_for_selector(f"{two} .status:has-text('整改中')")
    # 3: arrives and refuses, with the reason
    page.click(f"{three} button:has-text('业主到场')")
    page.wait_for_selector(f"{three} input[name=note][placeholder='拒收原因']")
    page.fill(f"{three} input[name=note][placeholder='拒收原因']", "面积与合同不符")
    page.click(f"{three} button:has-text('业主拒收')")
    page.wait_for_selector(f"{three} .status:has-text('拒收')")
    shoot(site, page, "handover")
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 1
    units = {u.unit: u for u in archive.batch("HXSZ", "B03").units}
    assert [units[u].status for u in THREE] == ["已收房", "整改中", "拒收"]
    assert units[THREE[0]].keys_issued
    tickets = archive.dossier(f"HXSZ/{THREE[1]}").repairs
    assert [t.description for t in tickets] == ["客厅墙面空鼓"] and tickets[0].handled_by == "staff"
    page.reload()
    assert "33" in page.inner_text("main")  # 收房率 1 of 3 so far
    assert page.problems == []  # type: ignore[attr-defined]


DROP_FILES = """([zone, files]) => {
  // What a person's drag of files from the desktop gives the page: one DataTransfer holding File objects,
  // then dragenter, dragover and drop on the drop zone (headless Chromium cannot drag from the OS).
  const transfer = new DataTransfer();
  for (const f of files) {
    const bytes = Uint8Array.from(atob(f.data), c => c.charCodeAt(0));
    transfer.items.add(new File([bytes], f.name, {type: f.type}));
  }
  const target = document.querySelector(zone);
  const accepted = {};
  for (const name of ["dragenter", "dragover", "drop"]) {
    const event = new DragEvent(name, {bubbles: true, cancelable: true, dataTransfer: transfer});
    accepted[name] = !target.dispatchEvent(event);  // true when the page called preventDefault (took the drop)
  }
  return accepted;
}"""


def test_two_scans_dropped_on_the_upload_box_each_go_through_the_pipeline(site: Site, page: Any) -> None:
    """The upload page's drag-and-drop: two files dropped at once, both processed, both results on the page."""
    import base64

    archive = site.env.archive
    log_in(page, site, "archivist")
    page.goto(f"{site.url}/ingest")
    filed = text_pdf([["房屋交接书", "拖放上传:业主签字"]], site.env.root / "dropped-qr.pdf",
                     qr_payload=DocumentCode(site.env.docs["own_pdf"], OWN_KEY).encode())
    unsure = text_pdf([["房屋交接书", "拖放上传 房号 3栋2单元1204"]], site.env.root / "dropped-unsure.pdf")
    files = [{"name": name, "type": "application/pdf", "data": base64.b64encode(path.read_bytes()).decode()}
             for name, path in (("拖放_交接书.pdf", filed), ("拖放_待确认.pdf", unsure))]
    accepted = page.evaluate(DROP_FILES, ["#dropzone", files])
    assert accepted == {"dragenter": True, "dragover": True, "drop": True}, accepted  # the zone takes the drop
    page.wait_for_selector("#upload-results > *", timeout=30_000)
    assert page.locator("#upload-results #job").count() == 1, page.inner_text("#upload-results")  # not an error
    page.wait_for_selector("#upload-results #job.job-done", timeout=120_000)
    results = page.inner_text("#upload-results")
    assert "拖放_交接书.pdf" in results and "拖放_待确认.pdf" in results, results
    assert page.locator("#upload-results li.result-filed:has-text('拖放_交接书.pdf')").count() == 1, results
    assert page.locator("#upload-results li.result-review:has-text('拖放_待确认.pdf')").count() == 1, results
    names = [d.original_name for d in archive.dossier(OWN_KEY).documents]
    assert "拖放_交接书.pdf" in names  # filed beside the document its QR code names
    page.goto(f"{site.url}/ingest")  # the ingest page's recent results list both
    recent = page.inner_text("main")
    assert "拖放_交接书.pdf" in recent and "拖放_待确认.pdf" in recent
    assert page.problems == []  # type: ignore[attr-defined]
