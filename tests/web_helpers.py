"""A real two-project archive with files, an index and one account per role, served by the real app.

HXSZ is the users' own project (every account below is limited to it unless
noted); YHW is the foreign project whose records they must never see.
Nothing is mocked: the archive, the index, the accounts (argon2), the pages
and page images are the real ones; only the clock is injected.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import html.parser
import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from PIL import Image, ImageDraw

from conftest import DEVELOPER, build_small_archive, make_id
from docgen.archive import Archive
from docgen.config import load_config
from docgen.demo.lightpdf import light_pdf
from docgen.models import Batch, BatchUnit, Dossier, Owner, Phase, Project
from docgen.search import api
from docgen.session import Workspace
from docgen.users import UserStore
from docgen.web.app import create_app
from docgen.web.settings import WebSettings

PASSWORD = "correct horse 9"
ROLES = ("archivist", "staff", "auditor", "manager", "admin")
OWN_KEY = "HXSZ/03-2-1203"
FOREIGN_KEY = "YHW/01-1-0101"
FOREIGN_OWNER = "欧阳外项"
ID_ZHANG = make_id("19800101", 123)
PHONE_ZHANG = "13812345678"


class Clock:
    """A clock the tests move by hand (seconds)."""

    def __init__(self, start: float = 1_800_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class WebEnv:
    """The archive, workspace, app and the ids of the records the tests use."""

    root: Path
    archive: Archive
    workspace: Workspace
    app: FastAPI
    clock: Clock
    docs: dict[str, str] = field(default_factory=dict)
    """Named documents: own_pdf, own_id_copy, foreign_pdf, project_doc."""

    def client(self) -> TestClient:
        """A new browser (its own cookies); server errors become responses, as in production."""
        return TestClient(self.app, raise_server_exceptions=False, follow_redirects=False)


def page_image(lines: list[str], size: tuple[int, int] = (620, 860)) -> bytes:
    """A small scan-like JPEG."""
    img = Image.new("L", size, 255)
    draw = ImageDraw.Draw(img)
    for i, line in enumerate(lines):
        draw.text((40, 40 + 30 * i), line, fill=0)
    out = io.BytesIO()
    img.save(out, "JPEG", quality=80)
    return out.getvalue()


def build_env(root: Path, *, settings: WebSettings | None = None, clock: Clock | None = None,
              users: bool = True, work: bool = False) -> WebEnv:
    """Build the archive, the index and the accounts under ``root``; make the app.

    ``work`` adds what part 2's pages act on (see :func:`add_work`).
    """
    archive = build_small_archive(root / "records")
    archive._today = lambda: dt.date(2026, 11, 16)
    archive.new_project(Project(code="YHW", name="悦湖湾", city="福州", developer=DEVELOPER,
                                phases=[Phase(name="一期", buildings=["01"])]))
    archive.new_dossier(Dossier(project="YHW", unit="01-1-0101", contract_no="YHW-HT-2024-0001", batch="B01",
                                owners=[Owner(name=FOREIGN_OWNER, id_number=make_id("19700707", 777),
                                              phone="13900007777", address="福州市台江区外项目路9号")]))
    archive.new_batch(Batch(id="B01", project="YHW", name="悦湖湾第一批交房", window_start=dt.date(2026, 9, 1),
                            window_end=dt.date(2026, 9, 3), venue="悦湖湾会所", units=[BatchUnit(unit="01-1-0101")]))
    docs: dict[str, str] = {}
    contract = light_pdf([["商品房买卖合同", f"买受人:张伟 身份证号码 {ID_ZHANG}", f"联系电话 {PHONE_ZHANG}",
                           "房号 3栋2单元1203"], ["第二页", "出卖人:福州华轩置业有限公司"]])
    docs["own_pdf"] = archive.add_document(
        OWN_KEY, contract, original_name="03-2-1203_purchase_contract.pdf", doc_type="purchase_contract",
        text_pages=[f"商品房买卖合同 买受人:张伟 身份证号码 {ID_ZHANG} 联系电话 {PHONE_ZHANG}", "第二页 出卖人"],
        date=dt.date(2024, 5, 10), signed=True).id
    docs["own_id_copy"] = archive.add_document(
        OWN_KEY, page_image(["ID CARD", ID_ZHANG]), original_name="扫描_身份证.jpg", doc_type="id_copy",
        source="scan", text_pages=[f"居民身份证 张伟 {ID_ZHANG}"], date=dt.date(2024, 5, 10)).id
    docs["foreign_pdf"] = archive.add_document(
        FOREIGN_KEY, light_pdf([["悦湖湾 认购书", f"认购人 {FOREIGN_OWNER}"]]), original_name="认购书.pdf",
        doc_type="subscription", text_pages=[f"悦湖湾 认购书 认购人 {FOREIGN_OWNER} 外项目机密"],
        date=dt.date(2024, 3, 1)).id
    docs["project_doc"] = archive.add_document(
        "HXSZ", light_pdf([["预售许可证"]]), original_name="预售许可证.pdf", doc_type="presale_permit",
        text_pages=["商品房预售许可证 榕房许字(2024)第0123号"], date=dt.date(2024, 1, 5)).id
    archive.add_case(OWN_KEY, "repairs", {"reported_on": "2026-07-01", "component": "卫生间地面渗漏",
                                          "description": f"卫生间漏水,业主电话 {PHONE_ZHANG}"})
    archive.add_case(FOREIGN_KEY, "repairs", {"reported_on": "2026-07-02", "component": "卫生间地面渗漏",
                                              "description": "外项目渗漏报修"})
    if work:
        add_work(archive, docs)
    config = load_config(None, {("archive", "path"): str(archive.root),
                                ("search", "index_path"): str(root / "index"),
                                ("ingest", "inbox"): str(root / "inbox"),
                                ("generate", "output"): str(root / "output"),
                                ("generate", "templates"): str(root / "templates")}, env={})
    config.search.procs = 1
    api.rebuild(archive, config.search)
    if work:
        add_scans(config.ingest, docs)
    if users:
        store = UserStore(archive)
        for role in ROLES:
            store.add(role, role, password=PASSWORD, projects=["HXSZ"],
                      sign_as=["客户服务部负责人"] if role == "manager" else [])
        store.add("all-auditor", "auditor", password=PASSWORD)
        if work:
            store.add("director", "manager", password=PASSWORD, projects=["HXSZ"], sign_as=["分管领导"])
            store.add("all-archivist", "archivist", password=PASSWORD)
    workspace = Workspace(config, archive=archive)
    clock = clock or Clock()
    app = create_app(workspace, settings=settings or WebSettings(cache=root / "cache"), clock=clock)
    return WebEnv(root, archive, workspace, app, clock, docs)


BIG_ITEMS = [{"item": "卫生间防水重做", "unit": "m²", "declared_qty": "30", "approved_qty": "28", "unit_price": "200.00"}]
"""5,600 yuan approved: the chain is 经办人 → 客户服务部负责人 → 分管领导 (three steps)."""
HANDOVER_UNIT = "03-2-1205"


def add_work(archive: Archive, docs: dict[str, str]) -> None:
    """Cases of every kind on both projects, and a batch of the users' own project with a unit still to hand over."""
    repair = archive.add_case(OWN_KEY, "repairs", {"reported_on": "2026-11-02", "component": "门窗",
                                                   "description": "推拉门关闭不严", "handled_by": "staff"})
    docs["own_repair"] = repair.id
    docs["own_complaint"] = archive.add_case(OWN_KEY, "complaints", {
        "received_on": "2026-11-03", "category": "工程质量", "description": "维修太慢", "first_responder": "staff"}).id
    docs["own_revisit"] = archive.add_case(OWN_KEY, "revisits", {
        "date": "2026-11-18", "by": "staff", "reason": "维修后回访", "status": "待回访"}).id
    docs["own_settlement"] = archive.add_case(OWN_KEY, "settlements", {
        "created_on": "2026-11-10", "contractor": "福州安居维修工程有限公司", "items": BIG_ITEMS,
        "repair_ids": [repair.id], "handled_by": "staff", "payee": "福州安居维修工程有限公司"}).id
    docs["done_settlement"] = archive.add_case(OWN_KEY, "settlements", {
        "created_on": "2026-11-01", "contractor": "福州安居维修工程有限公司", "items": BIG_ITEMS, "handled_by": "staff",
        "status": "已审批", "approvals": [
            {"role": "经办人", "name": "staff", "date": "2026-11-02", "decision": "同意"},
            {"role": "客户服务部负责人", "name": "manager", "date": "2026-11-03", "decision": "同意"},
            {"role": "分管领导", "name": "director", "date": "2026-11-04", "decision": "同意"}]}).id
    foreign = archive.add_case(FOREIGN_KEY, "repairs", {"reported_on": "2026-11-02", "component": "门窗",
                                                        "description": "外项目门窗", "handled_by": "yhw"})
    docs["foreign_repair"] = foreign.id
    docs["foreign_settlement"] = archive.add_case(FOREIGN_KEY, "settlements", {
        "created_on": "2026-11-10", "contractor": "外项目维修公司", "items": BIG_ITEMS, "handled_by": "yhw"}).id
    archive.new_dossier(Dossier(project="HXSZ", unit=HANDOVER_UNIT, contract_no="HXSZ-HT-2024-0009",
                                owners=[Owner(name="陈晨", id_number=make_id("19880808", 888), phone="13600008888")]))
    archive.new_batch(Batch(id="B02", project="HXSZ", name="一期第二批交房", window_start=dt.date(2026, 11, 16),
                            window_end=dt.date(2026, 11, 20), venue="3栋一层架空层",
                            units=[BatchUnit(unit=HANDOVER_UNIT, status="已通知", notice_sent_on=dt.date(2026, 11, 1))]))


def add_scans(settings: Any, docs: dict[str, str]) -> None:
    """A scan in the review queue (best guess: the own dossier) and one in the failed area, as the pipeline leaves them."""
    from docgen.ingest.areas import Areas
    from docgen.services.intake import failed_id

    areas = Areas(settings.areas_root)
    areas.ensure()
    scan = settings.inbox / "待确认扫描.pdf"
    data = light_pdf([["房屋交接书", "房号 3栋2单元1203"]])
    scan.write_bytes(data)
    sha = hashlib.sha256(data).hexdigest()
    docs["review"] = areas.to_review(scan, {
        "original_name": "待确认扫描.pdf", "sha256": sha, "method": "content",
        "best": {"owner_key": OWN_KEY, "doc_type": "handover_record", "confidence": 0.6},
        "candidates": [{"owner_key": OWN_KEY, "doc_type": "handover_record", "confidence": 0.6,
                        "reasons": ["正文中有房号 3栋2单元1203"]}],
        "reasons": ["只在正文中找到房号"], "date": None, "supersedes": None,
        "text_pages": ["房屋交接书 房号 3栋2单元1203"],
        "pages": [{"n": 1, "origin": "text", "confidence": None, "chars": 14}],
    })
    foreign_scan = settings.inbox / "外项目扫描.pdf"
    fdata = light_pdf([["认购书", "悦湖湾 1栋1单元0101"]])
    foreign_scan.write_bytes(fdata)
    docs["foreign_review"] = areas.to_review(foreign_scan, {
        "original_name": "外项目扫描.pdf", "sha256": hashlib.sha256(fdata).hexdigest(), "method": "content",
        "best": {"owner_key": FOREIGN_KEY, "doc_type": "subscription", "confidence": 0.5},
        "candidates": [{"owner_key": FOREIGN_KEY, "doc_type": "subscription", "confidence": 0.5, "reasons": []}],
        "reasons": [], "date": None, "supersedes": None, "text_pages": ["认购书 悦湖湾"],
        "pages": [{"n": 1, "origin": "text", "confidence": None, "chars": 6}],
    })
    broken = settings.inbox / "损坏.pdf"
    broken.write_bytes(b"%PDF-1.4 broken")
    moved = areas.fail(broken, "PDF 文件已损坏,无法打开")
    docs["failed"] = failed_id(moved)


CSRF_RE = re.compile(r'name="csrf_token" value="([^"]*)"')


def csrf_of(html_text: str) -> str:
    """The CSRF token in a page's forms."""
    m = CSRF_RE.search(html_text)
    assert m is not None, "no CSRF field in the page"
    return m.group(1)


def login(client: TestClient, name: str, password: str = PASSWORD, *, expect: int = 303) -> str:
    """Log in through the form; return the session's CSRF token (from the next page)."""
    form = client.get("/login")
    assert form.status_code == 200, form.text
    r = client.post("/login", data={"name": name, "password": password, "csrf_token": csrf_of(form.text),
                                    "next": "/search"})
    assert r.status_code == expect, (r.status_code, r.text[:500])
    if expect != 303:
        return ""
    page = client.get("/search")
    assert page.status_code == 200
    return csrf_of(page.text)


class MarkupScan(html.parser.HTMLParser):
    """What a page would make a browser create: script elements, event-handler attributes, images."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.scripts: list[dict[str, str | None]] = []
        self.handlers: list[tuple[str, str]] = []
        self.images: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "script":
            self.scripts.append(dict(attrs))
        if tag == "img":
            self.images.append(dict(attrs).get("src") or "")
        for name, _ in attrs:
            if name.lower().startswith("on"):
                self.handlers.append((tag, name))


def scan_markup(text: str) -> MarkupScan:
    """Parse a page and report its scripts, handlers and images."""
    scan = MarkupScan()
    scan.feed(text)
    return scan


def with_app(env: WebEnv, settings: WebSettings | None = None, clock: Clock | None = None) -> WebEnv:
    """The same archive and workspace with a new application (its own sessions, limiter and clock)."""
    clock = clock or Clock()
    app = create_app(env.workspace, settings=settings or WebSettings(cache=env.root / "cache"), clock=clock)
    return WebEnv(env.root, env.archive, env.workspace, app, clock, env.docs)
