"""A real two-project archive with files, an index and one account per role, served by the real app.

HXSZ is the users' own project (every account below is limited to it unless
noted); YHW is the foreign project whose records they must never see.
Nothing is mocked: the archive, the index, the accounts (argon2), the pages
and page images are the real ones; only the clock is injected.
"""

from __future__ import annotations

import datetime as dt
import html.parser
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

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
              users: bool = True) -> WebEnv:
    """Build the archive, the index and the accounts under ``root``; make the app."""
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
    config = load_config(None, {("archive", "path"): str(archive.root),
                                ("search", "index_path"): str(root / "index")}, env={})
    config.search.procs = 1
    api.rebuild(archive, config.search)
    if users:
        store = UserStore(archive)
        for role in ROLES:
            store.add(role, role, password=PASSWORD, projects=["HXSZ"],
                      sign_as=["客户服务部负责人"] if role == "manager" else [])
        store.add("all-auditor", "auditor", password=PASSWORD)
    workspace = Workspace(config, archive=archive)
    clock = clock or Clock()
    app = create_app(workspace, settings=settings or WebSettings(cache=root / "cache"), clock=clock)
    return WebEnv(root, archive, workspace, app, clock, docs)


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
