"""Build the sample archive: ``build_demo(root, units, seed)`` → :class:`DemoSummary`.

The archive is written through the real archive API (``new_project``,
``new_dossier``, ``add_document`` with text sidecars, ``new_batch``), in bulk
transactions of a few hundred households each, so it is journaled and
verifiable like any other archive.  Households are planned by
:mod:`docgen.demo.world`; the planted problems by :mod:`docgen.demo.plant`
(recorded in ``DEMO-PLANTED.json``); sample scans for the ingest tour land in
an inbox folder next to the archive (:mod:`docgen.demo.inbox`).

Paper comes in three weights, so that 20,000 households fit in minutes and
in under 2 GB: *light* text PDFs (:mod:`docgen.demo.lightpdf`, ~1.5 KB) for
nearly everything, reportlab text PDFs with an embedded font and image-only
scans (PDF, JPEG, PNG, TIFF; text recorded as OCR'd) for a sample of
"showcase" households.

Determinism: for a seed, every record and document under ``projects/`` is the
same bytes on every run (``filed_at`` is derived from the document's date, the
actor is fixed); only ``archive.json``'s creation date and the journal's
timestamps and transaction ids record when the build really ran.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import shutil
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from docgen.archive import Archive
from docgen.archive.txn import Transaction
from docgen.demo import content as C
from docgen.demo.lightpdf import light_pdf
from docgen.demo.world import (
    DEMO_TODAY,
    DocSpec,
    Household,
    ProjectPlan,
    plan_batch,
    plan_household,
    plan_projects,
)
from docgen.errors import ConflictError, UsageError
from docgen.models import BatchUnit, Document, Dossier, PageInfo
from docgen.progress import Progress, no_progress

ACTOR = "演示数据生成器"
PLANTED_FILE = "DEMO-PLANTED.json"
TZ = dt.timezone(dt.timedelta(hours=8))
MAX_UNITS = 100_000

CORE_TYPES = frozenset(
    {
        "purchase_contract", "id_copy", "handover_record", "key_receipt", "property_certificate",
        "repair_record", "compensation_agreement", "settlement_sheet", "complaint_record", "revisit_record",
    }
)
"""Document types every household keeps in a large sample archive (the rest only in full dossiers)."""



@dataclass
class DemoSummary:
    """What ``build_demo`` made: counts, the planted problems, the inbox and the time it took."""

    root: Path
    units: int
    seed: int
    today: dt.date
    projects: list[str] = field(default_factory=list)
    batches: int = 0
    registrations: int = 0
    dossiers: int = 0
    core_dossiers: int = 0
    documents: int = 0
    scans: int = 0
    repairs: int = 0
    complaints: int = 0
    revisits: int = 0
    settlements: int = 0
    planted: list[dict[str, Any]] = field(default_factory=list)
    patterns: dict[str, Any] = field(default_factory=dict)
    """Where the patterns for the figures landed (:mod:`docgen.demo.layouts`)."""
    inbox: Path | None = None
    inbox_files: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0
    bytes_on_disk: int = 0

    def as_dict(self) -> dict[str, Any]:
        """A JSON-friendly form (paths and dates as strings)."""
        data = asdict(self)
        data["root"] = str(self.root)
        data["today"] = self.today.isoformat()
        data["inbox"] = str(self.inbox) if self.inbox else None
        return data


def _prepare_root(root: Path, force: bool) -> None:
    if root.exists() and any(root.iterdir()):
        if not force:
            raise ConflictError(f"{root} 已存在且不为空;加 --force 删除后重建示例档案库")
        if not (root / "archive.json").is_file() and not (root / PLANTED_FILE).is_file():
            raise ConflictError(f"{root} 不是 docgen 档案库,--force 也不会删除它(请换一个目录)")
        shutil.rmtree(root)


def _previous_inbox_names(root: Path) -> list[str]:
    """File names the previous sample build wrote into its inbox (from its DEMO-PLANTED.json)."""
    try:
        manifest = json.loads((root / PLANTED_FILE).read_text("utf-8"))
    except (OSError, ValueError):
        return []
    names = [str(e.get("file", "")) for e in manifest.get("inbox", []) if isinstance(e, dict)]
    return [n for n in names if n and "/" not in n and "\\" not in n and n not in (".", "..")]


class _Filer:
    """Turns DocSpecs into files and files them into an in-memory dossier inside a transaction."""

    def __init__(self, archive: Archive, scratch: Path) -> None:
        self.archive = archive
        self.scratch = scratch
        self.count = 0
        self.scans = 0
        self.files: dict[str, Path] = {}  # doc id -> scratch copy kept for planting/inbox

    def render(self, spec: DocSpec, name: str) -> tuple[Path | bytes, str, list[PageInfo]]:
        """Render the document (bytes for light PDFs, a scratch file otherwise), its extension and page info."""
        texts = ["\n".join(p) for p in spec.pages]
        if spec.form == "scan":
            from docgen.demo.scans import page_image, save_scan

            seed = sum(map(ord, name))
            images = [
                page_image(p, dpi=150, rotate=((seed % 7) - 3) * 0.4, noise=0.0004, seed=seed + i)
                for i, p in enumerate(spec.pages)
            ]
            path = self.scratch / f"{name}{spec.scan_ext}"
            if spec.scan_ext in (".jpg", ".png"):
                images = images[:1]
                texts = texts[:1]
            save_scan(images, path, dpi=150, jpeg_quality=45, created=dt.datetime.combine(spec.date, dt.time(16, 30)))
            ext = spec.scan_ext
            rng = random.Random(seed)
            pages = [PageInfo(n=i + 1, origin="ocr", confidence=round(0.93 + rng.random() * 0.06, 3), chars=len(t)) for i, t in enumerate(texts)]
            self.scans += 1
        elif spec.form == "text":
            from docgen.demo.scans import text_pdf

            path = text_pdf(spec.pages, self.scratch / f"{name}.pdf")
            pages = [PageInfo(n=i + 1, origin="text", chars=len(t)) for i, t in enumerate(texts)]
            ext = ".pdf"
        else:
            pages = [PageInfo(n=i + 1, origin="text", chars=len(t)) for i, t in enumerate(texts)]
            return light_pdf(spec.pages, title=spec.title or spec.type), ".pdf", pages
        return path, ext, pages

    def file(self, tx: Transaction, owner: Any, spec: DocSpec, *, keep: bool = False) -> Document:
        """File one document into ``owner`` (a Dossier or Project held in memory)."""
        owner_key = owner.key if isinstance(owner, Dossier) else owner.code
        doc_id = tx.next_id("DOC", spec.date.year, width=6)
        path, ext, pages = self.render(spec, doc_id)
        texts = ["\n".join(p) for p in spec.pages][: len(pages)]
        unit = owner.unit if isinstance(owner, Dossier) else owner.code
        original = (
            f"扫描_{spec.date:%Y%m%d}_{self.count % 10000:04d}{ext}"
            if spec.form == "scan"
            else f"{unit}_{spec.type}_{spec.date:%Y%m%d}{ext}"
        )
        doc = self.archive.add_document(
            owner_key,
            path,
            doc_type=spec.type,
            date=spec.date,
            source="scan" if spec.form == "scan" else spec.source,  # type: ignore[arg-type]
            title=spec.title,
            original_name=original,
            text_pages=texts,
            pages=pages,
            signed=spec.signed,
            related=spec.related,
            identified_by="direct" if spec.source != "generated" else "generated",
            doc_id=doc_id,
            note=spec.note,
            tx=tx,
            owner=owner,
        )
        filed = min(spec.date + dt.timedelta(days=1), DEMO_TODAY)
        doc.filed_at = dt.datetime.combine(filed, dt.time(10, (self.count * 7) % 60), tzinfo=TZ)
        self.count += 1
        if keep:
            kept = self.scratch / "kept" / f"{doc_id}{ext}"
            kept.parent.mkdir(exist_ok=True)
            if isinstance(path, bytes):
                kept.write_bytes(path)
            else:
                shutil.copyfile(path, kept)
            self.files[doc.id] = kept
        if isinstance(path, Path):
            path.unlink()
        return doc


def build_demo(
    root: Path,
    units: int = 240,
    seed: int = 2026,
    *,
    progress: Progress | None = None,
    force: bool = False,
    inbox: Path | None = None,
    households_per_txn: int = 250,
    showcase_every: int = 1000,
    full_households: int = 1000,
    scans: bool = True,
) -> DemoSummary:
    """Build the sample archive at ``root`` (``units`` households, deterministic for ``seed``).

    ``inbox`` (default: ``demo-inbox`` next to ``root``) receives sample scans
    for the ingest tour.  ``force`` replaces an existing sample archive.
    At most ``full_households`` households (spread evenly, plus every planted
    one) carry their complete paper trail; the others carry the key documents
    only (:data:`CORE_TYPES`), which keeps 20,000 households under 2 GB: on a
    file system with 4 KB blocks, each document and its text sidecar cost
    8 KB however small they are.  ``scans=False`` (quick tests) skips every
    image: no showcase scans and no inbox.
    """
    from docgen.archive.records import dump_record
    from docgen.demo import inbox as inbox_mod
    from docgen.demo import layouts, plant

    if not isinstance(units, int) or units < 20 or units > MAX_UNITS:
        raise UsageError(f"户数应在 20 到 {MAX_UNITS} 之间(收到 {units})")
    report = progress or no_progress
    started = time.perf_counter()
    root = Path(root)
    inbox_dir = inbox if inbox is not None else root.parent / "demo-inbox"
    if not force and inbox_dir.is_dir() and any(inbox_dir.iterdir()):
        raise ConflictError(f"示例收件箱 {inbox_dir} 已存在且不为空;加 --force 覆盖上次生成的示例扫描件")
    previous_scans = _previous_inbox_names(root)
    _prepare_root(root, force)
    for name in previous_scans:  # only what the last build wrote: never anything else in the folder
        (inbox_dir / name).unlink(missing_ok=True)

    archive = Archive.create(root, name="示例档案库(演示数据,人物均为虚构)", actor=ACTOR)
    archive._today = lambda: DEMO_TODAY
    archive._now = lambda: dt.datetime.combine(DEMO_TODAY, dt.time(9, 0), tzinfo=TZ)  # records stay byte-stable
    summary = DemoSummary(root=root, units=units, seed=seed, today=DEMO_TODAY)
    plans = plan_projects(units, seed)
    planter = plant.Planter(seed, plans)
    patterns = layouts.Patterns(plans, seed)

    shm = Path("/dev/shm")
    scratch_parent = str(shm) if shm.is_dir() and os.access(shm, os.W_OK) else None  # RAM: files are written twice
    with tempfile.TemporaryDirectory(prefix="docgen-demo-", dir=scratch_parent) as scratch_name:
        filer = _Filer(archive, Path(scratch_name))
        # 1. projects and their own documents
        report("项目", 0, len(plans), "")
        with archive.transaction("demo.projects", "", "示例档案库:新建项目及项目文件") as tx:
            for i, pp in enumerate(plans):
                project = pp.project
                planter.adjust_project(project)
                for spec in _project_docs(pp):
                    filer.file(tx, project, spec)
                archive.save_project(project, tx)
                table = patterns.table(project.code, archive.now(), ACTOR)  # the 楼盘表
                tx.put_bytes(archive.layout.units_rel(project.code), dump_record(table))
                summary.projects.append(project.code)
                report("项目", i + 1, len(plans), "")

        # 2. households, in bulk transactions
        jobs = [(pp, ph, unit) for pp in plans for ph in pp.phases for unit in ph.units]
        total = len(jobs)
        full_every = max(1, -(-total // max(1, full_households)))
        batch_units: dict[tuple[str, str], list[BatchUnit]] = {}
        done = 0
        report("业主档案", 0, total, "")
        seq_by_project: dict[str, int] = {}
        for start in range(0, total, households_per_txn):
            chunk = jobs[start : start + households_per_txn]
            with archive.transaction("demo.dossiers", "", f"示例档案库:新建业主档案 {start + 1}-{start + len(chunk)}", bulk=True) as tx:
                for pp, ph, unit in chunk:
                    code = pp.spec.code
                    seq_by_project[code] = seq_by_project.get(code, 0) + 1
                    rng = random.Random(f"{seed}:{code}/{unit}")
                    h = plan_household(rng, pp, ph, unit, seq_by_project[code], tx.next_id,
                                       coowner=planter.wants_coowner(pp, ph, unit), traits=patterns.traits(code, unit))
                    showcase = scans and (f"{code}/{unit}" == "HXSZ/03-2-1203" or done % showcase_every == 0)
                    if showcase:
                        _make_showcase(h)
                    planter.adjust_household(pp, ph, h, tx.next_id)
                    if done % full_every and h.dossier.key not in planter.taken:
                        h.docs = [spec for spec in h.docs if spec.type in CORE_TYPES]
                        h.dossier.notes = "早期档案:仅录入主要文件(示例数据的精简档案)"
                        summary.core_dossiers += 1
                    _file_household(archive, filer, tx, h, planter)
                    if h.batch_unit is not None:
                        batch_units.setdefault((code, ph.spec.batch_id), []).append(h.batch_unit)
                    d = h.dossier
                    summary.dossiers += 1
                    summary.repairs += len(d.repairs)
                    summary.complaints += len(d.complaints)
                    summary.revisits += len(d.revisits)
                    summary.settlements += len(d.settlements)
                    planter.remember(h)
                    done += 1
            report("业主档案", done, total, "")

        # 3. handover batches (after their dossiers exist: save_batch checks every unit)
        phase_index = {(pp.spec.code, ph.spec.batch_id): (pp, ph) for pp in plans for ph in pp.phases}
        report("交房批次", 0, len(phase_index), "")
        with archive.transaction("demo.batches", "", "示例档案库:新建交房批次", bulk=True) as tx:
            for n, (key, (pp, ph)) in enumerate(phase_index.items()):
                units_ = sorted(batch_units.get(key, []), key=lambda u: u.unit)
                archive.save_batch(plan_batch(pp, ph, units_), tx)
                summary.batches += 1
                report("交房批次", n + 1, len(phase_index), "")

        # 3b. a registration batch in progress (办证, docgen.demo.registration)
        from docgen.demo.registration import build_registrations

        report("办证批次", 0, 1, "")
        summary.registrations = build_registrations(archive, plans, filer, planter.taken)
        report("办证批次", 1, 1, "")

        # 4. post-build planting (duplicate file, superseded docs) through the API, then the manifest,
        #    then the hand edits a journal cannot see (they must come last).
        report("植入问题", 0, 1, "")
        planter.after_build(archive, filer)
        summary.inbox = inbox_dir if scans else None
        summary.inbox_files = inbox_mod.write_inbox(inbox_dir, planter) if scans else []
        planter.announce_hand_edits()
        summary.planted = planter.problems
        summary.patterns = patterns.described()
        manifest = {
            "about": "示例档案库中故意植入的问题(供审计核对);人物、证件号码均为虚构",
            "seed": seed,
            "units": units,
            "today": DEMO_TODAY.isoformat(),
            "problems": planter.problems,
            "patterns": patterns.described(),
            "inbox": summary.inbox_files,
        }
        archive.write_config_file(
            PLANTED_FILE,
            json.dumps(manifest, ensure_ascii=False, indent=2).encode("utf-8") + b"\n",
            "示例档案库:记录植入的问题清单",
        )
        planter.hand_edits(archive)
        report("植入问题", 1, 1, "")
        summary.documents = filer.count + planter.extra_documents
        summary.scans = filer.scans
    summary.seconds = time.perf_counter() - started
    summary.bytes_on_disk = disk_usage(root)
    return summary


def disk_usage(root: Path) -> int:
    """Bytes allocated on disk under ``root`` (blocks, like ``du``; apparent size where unknown)."""
    total = 0
    for dirpath, _dirs, files in os.walk(root):
        for name in (*files, "."):
            try:
                st = os.lstat(os.path.join(dirpath, name))
            except OSError:
                continue
            blocks = getattr(st, "st_blocks", None)
            total += blocks * 512 if blocks is not None else st.st_size
    return total


def _make_showcase(h: Household) -> None:
    """Give a household real paper: scans of signed forms and a contract with an embedded font."""
    scans = {"id_copy": ".jpg", "handover_record": ".pdf", "key_receipt": ".png", "repair_record": ".tif", "inspection_record": ".pdf"}
    for spec in h.docs:
        if spec.type in scans:
            spec.form = "scan"
            spec.scan_ext = scans[spec.type]
        elif spec.type == "purchase_contract":
            spec.form = "text"


def _file_household(archive: Archive, filer: _Filer, tx: Transaction, h: Household, planter: Any) -> None:
    d = h.dossier
    for spec in sorted(h.docs, key=lambda s: s.date):
        doc = filer.file(tx, d, spec, keep=planter.wants_file(d.key, spec))
        planter.filed(d.key, spec, doc)
    archive.new_dossier(d, tx=tx)


def _project_docs(pp: ProjectPlan) -> list[DocSpec]:
    project = pp.project
    docs: list[DocSpec] = []
    for ph in pp.phases:
        spec = ph.spec
        docs.append(DocSpec("presale_permit", spec.permit_date, C.presale_permit(project, spec.name, spec.permit, spec.permit_date, ph.buildings),
                            title=f"预售许可证 {spec.permit}"))
        if spec.completion_filed_on:
            docs.append(DocSpec("completion_filing", spec.completion_filed_on, C.completion_filing(project, spec.name, spec.completion_filed_on, ph.buildings),
                                title=f"竣工验收备案表({spec.name})"))
            survey = spec.completion_filed_on - dt.timedelta(days=20)
            docs.append(DocSpec("area_survey", survey, C.area_survey(project, spec.name, survey, ph.buildings), title=f"面积实测报告({spec.name})"))
    reg = project.initial_registration
    if reg.date:
        docs.append(DocSpec("initial_registration", reg.date, C.initial_registration(project, reg.number, reg.date)))
    policy_day = dt.date(2024, 1, 1)
    docs.append(DocSpec("policy", policy_day, C.service_policy(project, policy_day), title="客户服务部工作制度", form="text"))
    return docs
