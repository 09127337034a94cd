"""The tour: the sample archive put through every part of docgen, in a scratch folder.

``docgen demo`` (what ``./setup.sh`` runs) copies the bundled sample archive
(``records/``) and its sample scans (``samples/inbox/``; both also inside an
installed docgen, see :mod:`docgen.bundled`) into a scratch folder, so the tour can file, generate and index without touching the
committed sample, then runs the real commands one after another: list and
show, verify, index and search, the watcher filing the scans, generation of
every kind of paperwork, the round trip of a signed scan carrying docgen's QR
code, and the audit.  This module prepares the workspace and the steps; the
CLI runs them and shows their output.
"""

from __future__ import annotations

import contextlib
import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from docgen.archive import Archive
from docgen.bundled import SAMPLE_ARCHIVE, SAMPLE_INBOX, bundled_path
from docgen.errors import ConflictError, DocgenError
from docgen.qrcodes import DocumentCode

MARKER = ".docgen-tour"


@dataclass
class Workspace:
    """The scratch folder of one tour: its archive, inbox, index and config."""

    root: Path

    @property
    def config(self) -> Path:
        """The tour's ``docgen.toml``."""
        return self.root / "docgen.toml"

    @property
    def records(self) -> Path:
        """The copied archive."""
        return self.root / "records"

    @property
    def inbox(self) -> Path:
        """The inbox the watcher empties."""
        return self.root / "inbox"


@dataclass
class Step:
    """One step of the tour: a docgen command (``args``) or an action of the tour itself."""

    title: str
    args: list[str] = field(default_factory=list)
    ok_codes: tuple[int, ...] = (0,)
    note: str = ""
    action: Callable[[], str] | None = None


def find_sample(configured: Path) -> tuple[Path | None, Path | None]:
    """The sample archive the tour copies, and its sample scans: (archive, inbox), each None if there is none.

    The configured archive is used when it is a demo sample (it holds
    ``DEMO-PLANTED.json``: the checkout's ``records/``, or one made with
    ``docgen demo build``), with the scans in ``samples/inbox`` beside it;
    otherwise the sample bundled with docgen (``docgen.bundled``), so the tour
    works from any folder, and never copies a real archive that happens to be
    configured.  With neither, :func:`prepare` builds one.
    """
    if (configured / "archive.json").is_file() and (configured / "DEMO-PLANTED.json").is_file():
        inbox = configured.parent / "samples" / "inbox"
        return configured, inbox if inbox.is_dir() else None
    archive = bundled_path(SAMPLE_ARCHIVE)
    if archive is None or not (archive / "archive.json").is_file():
        return None, None
    return archive, bundled_path(SAMPLE_INBOX)


def prepare(work: Path, sample: Path | None, sample_inbox: Path | None, templates: Path,
            build_units: int = 60) -> Workspace:
    """Make a fresh workspace: copy (or, without a sample, build) the archive; copy the scans.

    ``work`` is wiped only if an earlier tour made it (it holds the marker file).
    """
    ws = Workspace(work.resolve())
    if ws.root.exists() and any(ws.root.iterdir()):
        if not (ws.root / MARKER).is_file():
            raise ConflictError(f"{ws.root} 已存在且不是之前的演示目录;请换一个 --work 目录")
        shutil.rmtree(ws.root)
    ws.root.mkdir(parents=True)
    (ws.root / MARKER).write_text("docgen demo workspace: safe to delete\n", "utf-8")
    ws.inbox.mkdir()
    if sample is not None and (sample / "archive.json").is_file():
        shutil.copytree(sample, ws.records, ignore=shutil.ignore_patterns(".docgen"))
        if sample_inbox is not None and sample_inbox.is_dir():
            for scan in sorted(sample_inbox.iterdir()):
                if scan.is_file() and not scan.name.startswith("."):
                    shutil.copy2(scan, ws.inbox / scan.name)
    else:
        from docgen.demo.build import build_demo

        build_demo(ws.records, units=build_units, inbox=ws.inbox)
    ws.config.write_text(
        "# docgen 演示工作区(可随时删除)\n"
        "[archive]\npath = \"records\"\nactor = \"演示\"\n\n"
        "[search]\nindex_path = \"index\"\n\n"
        "[ingest]\ninbox = \"inbox\"\nstable_seconds = 0.5\nincomplete_seconds = 2\n\n"
        f"[generate]\ntemplates = {json.dumps(str(templates.resolve()))}\noutput = \"output\"\n\n"
        f"[web]\n# 示例档案库的“今天”(审计的期限按这一天计算)\ntoday = \"{demo_today(ws.records)}\"\n",
        "utf-8",
    )
    return ws


def demo_today(records: Path) -> str:
    """The sample's fixed "today" (``DEMO-PLANTED.json``), so the web pages' deadlines match the tour's audit."""
    from docgen.demo.world import DEMO_TODAY

    planted = records / "DEMO-PLANTED.json"
    if planted.is_file():
        with contextlib.suppress(OSError, ValueError):
            return str(json.loads(planted.read_text("utf-8")).get("today") or DEMO_TODAY.isoformat())
    return DEMO_TODAY.isoformat()


@dataclass
class Examples:
    """Records of the sample the tour shows (picked from the archive, not hard-coded)."""

    dossier: str
    owner: str
    batch: str
    ticket: str | None
    sheet: str | None
    today: str | None


def pick_examples(archive: Archive) -> Examples:
    """Choose a dossier, an owner name, a batch, a compensated repair and a settlement to show."""
    keys = list(archive.dossier_keys())
    if not keys:
        raise DocgenError("示例档案库中没有业主档案")
    dossier_key = "HXSZ/03-2-1203" if "HXSZ/03-2-1203" in keys else keys[0]
    owner = archive.dossier(dossier_key).owners[0].name
    # the batch whose notices are due (units 待通知) first: the tour generates its plan and notices
    batches = sorted(archive.batches(),
                     key=lambda b: (not any(u.status == "待通知" for u in b.units), len(b.units) > 40, b.project, b.id))
    if not batches:
        raise DocgenError("示例档案库中没有交房批次")
    batch = f"{batches[0].project}/{batches[0].id}"
    ticket = sheet = None
    for d in archive.iter_dossiers():
        if ticket is None:
            ticket = next((r.id for r in d.repairs if r.compensation), None)
        if sheet is None:
            sheet = next((s.id for s in d.settlements), None)
        if ticket and sheet:
            break
    today = None
    planted = archive.root / "DEMO-PLANTED.json"
    if planted.is_file():
        today = json.loads(planted.read_text("utf-8")).get("today")
    return Examples(dossier_key, owner, batch, ticket, sheet, today)


def scan_back(ws: Workspace, ticket: str) -> str:
    """Print-and-scan the latest generated compensation agreement of a ticket, "signed", into the inbox.

    The page is drawn as a 200 dpi scan (slightly rotated and noisy) with the
    QR code docgen printed on it, as a staff member would scan the paper the
    owner signed.  Returns the scan's file name.
    """
    from docgen.demo.scans import page_image, save_scan

    archive = Archive.open(ws.records)
    dossier, _, _ = archive.find_case(ticket)
    generated = [d for d in dossier.documents
                 if d.type == "compensation_agreement" and d.source == "generated" and d.related == ticket
                 and d.file.endswith(".docx")]
    if not generated:
        generated = [d for d in dossier.documents if d.type == "compensation_agreement" and d.source == "generated"]
    if not generated:
        raise DocgenError(f"报修单 {ticket} 还没有生成的赔偿协议")
    doc = generated[-1]
    pages = archive.document_text(dossier, doc) or [doc.title]
    images = []
    for i, text in enumerate(pages):
        lines = [line for line in text.splitlines() if line.strip()][:38]
        if i == len(pages) - 1:
            lines += ["甲方(盖章):福州华轩置业有限公司", f"乙方(签字):{dossier.owner_names}   2026年11月18日"]
        images.append(page_image(lines, dpi=200, rotate=0.8, noise=0.0008, seed=i,
                                 qr_payload=DocumentCode(doc.id, dossier.key).encode()))
    name = "扫描_赔偿协议_签字版.pdf"
    save_scan(images, ws.inbox / name, dpi=200)
    return name
