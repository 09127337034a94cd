"""Generate paperwork from the archive: render, number, QR-code, file, and optionally convert to PDF.

One entry point per document kind (:meth:`Generator.handover_plan`,
:meth:`~Generator.notices`, :meth:`~Generator.compensation`,
:meth:`~Generator.settlement`); all go through :meth:`Generator._run`:

1. for each document, in one archive transaction: take the next ``DOC-<year>-<n>``
   id from the archive counter, render the template with that id and a QR code
   (``DG1:D:<id>:<owner key>``) in the page header, save the .docx to the output
   folder, and file it into the dossier (or the project, for a handover plan)
   as ``source="generated"``, unsigned, with its text.  A render error aborts
   that transaction, so no number is used up and nothing half-made is filed.
2. with ``pdf=True``: one LibreOffice process converts the whole batch; each
   PDF is checked for Chinese text and a CJK font, then filed as its own
   document ``related`` to the .docx record (same QR id printed on it).

Progress is reported through a callback ``(stage, done, total, label)``; the CLI
draws it.  ``gc.collect()`` runs between documents: docxtpl leaves cyclic
garbage (224 MB vs 47 MB after 1,000 documents, measurements.md).
"""

from __future__ import annotations

import gc
import itertools
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from docgen import privacy
from docgen.archive import Archive, Transaction
from docgen.errors import DocgenError, NotFoundError, UnsafePathError, UsageError
from docgen.generate import context as ctx_mod
from docgen.generate.catalog import TEMPLATES, template_path
from docgen.generate.pdf import convert_to_pdf, has_cjk_font, plan_fonts
from docgen.generate.render import GenerateError, TemplateRenderer
from docgen.generate.settings import GenerateSettings
from docgen.generate.text import docx_text, pdf_fonts, pdf_pages
from docgen.models import Batch, PageInfo, RepairTicket, Settlement
from docgen.progress import Progress
from docgen.qrcodes import DocumentCode
from docgen.units import check_safe_id

STAGE_RENDER = "生成文书"
NOTICE_MIN_DAYS = 7  # written handover notice at least 7 days ahead (Beijing rule, domain.md)
STAGE_PDF = "转换 PDF"
STAGE_FILE_PDF = "归档 PDF"


@dataclass
class Job:
    """One document to make: what, for whom, from which record."""

    kind: str
    owner_key: str
    label: str
    record: str
    related: str
    context: dict[str, Any]


@dataclass
class GeneratedDocument:
    """One generated document: its id, where it was filed, and its files in the output folder."""

    doc_id: str
    kind: str
    title: str
    owner_key: str
    label: str
    docx: Path
    pdf: Path | None = None
    pdf_doc_id: str | None = None


@dataclass
class GenerateResult:
    """The outcome of a generate command."""

    kind: str
    documents: list[GeneratedDocument] = field(default_factory=list)
    output_dir: Path | None = None
    fonts: list[str] = field(default_factory=list)
    font_note: str = ""
    warnings: list[str] = field(default_factory=list)


def _noop(stage: str, done: int, total: int, label: str) -> None:
    return None


def _safe_label(text: str) -> str:
    return "".join(c for c in text if c not in '\\/:*?"<>|\0 ')


class Generator:
    """Makes documents for one archive with one configuration."""

    def __init__(self, archive: Archive, settings: GenerateSettings, output: Path | None = None,
                 role: str = privacy.DEFAULT_ROLE) -> None:
        self.archive = archive
        self.settings = settings
        self.output = Path(output) if output is not None else Path(settings.output)
        self.role = role

    def _reveal(self, reveal: bool, reason: str | None, *, target: str, what: str) -> None:
        """With ``reveal``, check the policy and journal the reveal before anything is rendered."""
        if not reveal:
            return
        privacy.reveal(self.archive, target=target, what=what, why=reason, role=self.role, kind=privacy.GENERATE,
                       where=f"生成的文书(输出目录 {self.output.absolute()},并归入档案)")

    # -- record lookup ---------------------------------------------------------
    def find_batch(self, ref: str) -> Batch:
        """A batch by ``HXSZ/B01`` or by ``B01`` when only one project has it."""
        if "/" in ref:
            project, batch_id = ref.split("/", 1)
            try:
                return self.archive.batch(project, check_safe_id(batch_id, "批次编号"))
            except ValueError as exc:  # a malformed project code
                raise UnsafePathError(f"交房批次 {ref!r} 无效:{exc}") from exc
        check_safe_id(ref, "批次编号")
        found = [self.archive.batch(code, ref) for code in self.archive.project_codes() if ref in self.archive.batch_ids(code)]
        if not found:
            raise NotFoundError(f"交房批次 {ref} 不存在(可写成 项目/批次,如 HXSZ/B01)")
        if len(found) > 1:
            raise UsageError(f"多个项目都有批次 {ref},请写成 项目/批次(如 {found[0].project}/{ref})")
        return found[0]

    def _case(self, record_id: str, kind: str, label: str) -> tuple[Any, Any]:
        dossier, found_kind, record = self.archive.find_case(record_id)
        if found_kind != kind:
            raise UsageError(f"{record_id} 不是{label}(它是 {found_kind} 记录)")
        return dossier, record

    # -- commands --------------------------------------------------------------
    def handover_plan(self, batch_ref: str, *, pdf: bool = False, reveal: bool = False, reason: str | None = None,
                      progress: Progress | None = None) -> GenerateResult:
        """交房方案 for a batch, filed into the project (``reveal``: full phones, journaled with ``reason``)."""
        if reveal:
            privacy.check_reveal(self.role, reason, privacy.GENERATE)
        batch = self.find_batch(batch_ref)
        project = self.archive.project(batch.project)
        dossiers = {u.unit: self.archive.dossier(f"{batch.project}/{u.unit}") for u in batch.units}
        self._reveal(reveal, reason, target=f"{batch.project}/{batch.id}",
                     what=f"交房方案(交房批次 {batch.project}/{batch.id},{len(dossiers)} 户)中业主的电话")
        context = ctx_mod.plan_context(project, batch, dossiers, self.archive.today(), reveal=reveal)
        job = Job("handover_plan", project.code, batch.id, f"交房批次 {batch.project}/{batch.id}", batch.id, context)
        return self._run("handover_plan", [job], pdf=pdf, progress=progress)

    def notices(self, batch_ref: str, *, units: Iterable[str] | None = None, pdf: bool = False,
                reveal: bool = False, reason: str | None = None, progress: Progress | None = None) -> GenerateResult:
        """交房通知书 for every unit of a batch (or the listed units), in one run."""
        if reveal:
            privacy.check_reveal(self.role, reason, privacy.GENERATE)
        batch = self.find_batch(batch_ref)
        project = self.archive.project(batch.project)
        wanted = None
        if units:
            from docgen.units import parse_unit

            try:
                wanted = {parse_unit(u).code for u in units}
            except ValueError as exc:
                raise UsageError(str(exc)) from exc
            unknown = wanted - {u.unit for u in batch.units}
            if unknown:
                raise NotFoundError(f"批次 {batch.id} 中没有房号 {'、'.join(sorted(unknown))}")
        chosen = [u for u in batch.units if wanted is None or u.unit in wanted]
        if not chosen:
            raise NotFoundError(f"交房批次 {batch.project}/{batch.id} 中没有房屋")
        today = self.archive.today()
        self._reveal(reveal, reason, target=f"{batch.project}/{batch.id}",
                     what=f"交房批次 {batch.project}/{batch.id} 中 {len(chosen)} 户的交房通知书中业主的电话")

        def jobs() -> Iterable[Job]:
            for bu in chosen:  # contexts are built lazily: one dossier in memory at a time
                dossier = self.archive.dossier(f"{batch.project}/{bu.unit}")
                ctx = ctx_mod.notice_context(project, batch, bu, dossier, today, reveal=reveal)
                yield Job("handover_notice", dossier.key, dossier.unit_label, f"档案 {dossier.key}", batch.id, ctx)

        result = self._run("handover_notice", jobs(), total=len(chosen), pdf=pdf, progress=progress)
        lead = (batch.window_start - today).days
        if lead < 0:
            result.warnings.append(f"集中交付首日({batch.window_start:%Y-%m-%d})已过 {-lead} 天,请核对交付安排")
        elif lead < NOTICE_MIN_DAYS:
            result.warnings.append(
                f"今天距集中交付首日({batch.window_start:%Y-%m-%d})仅 {lead} 天,"
                f"书面交房通知一般应至少提前 {NOTICE_MIN_DAYS} 日送达,请核对交付安排"
            )
        return result

    def compensation(self, ticket_id: str, *, pdf: bool = False, reveal: bool = False, reason: str | None = None,
                     progress: Progress | None = None) -> GenerateResult:
        """质量问题赔偿协议 for a repair ticket, filed into its dossier."""
        if reveal:
            privacy.check_reveal(self.role, reason, privacy.GENERATE)
        dossier, ticket = self._case(ticket_id, "repairs", "报修单")
        assert isinstance(ticket, RepairTicket)
        project = self.archive.project(dossier.project)
        self._reveal(reveal, reason, target=dossier.key,
                     what=f"质量问题赔偿协议(报修单 {ticket.id})中业主的身份证号码、电话和住址")
        context = ctx_mod.compensation_context(project, dossier, ticket, self.archive.today(), self.settings.terms(), reveal=reveal)
        job = Job("compensation_agreement", dossier.key, dossier.unit_label, f"报修单 {ticket.id}", ticket.id, context)
        return self._run("compensation_agreement", [job], pdf=pdf, progress=progress)

    def settlement(self, sheet_id: str, *, pdf: bool = False, progress: Progress | None = None) -> GenerateResult:
        """第三方维修费用支付会签表 for a settlement, filed into its dossier."""
        dossier, sheet = self._case(sheet_id, "settlements", "结算会签记录")
        assert isinstance(sheet, Settlement)
        project = self.archive.project(dossier.project)
        context = ctx_mod.settlement_context(project, dossier, sheet, self.archive.today(), self.settings.approval_thresholds)
        job = Job("settlement_sheet", dossier.key, dossier.unit_label, f"结算会签 {sheet.id}", sheet.id, context)
        return self._run("settlement_sheet", [job], pdf=pdf, progress=progress)

    # -- the pipeline ----------------------------------------------------------
    def _run(self, kind: str, jobs: Iterable[Job], *, total: int = 1, pdf: bool, progress: Progress | None) -> GenerateResult:
        report = progress or _noop
        spec = TEMPLATES[kind]
        renderer = TemplateRenderer(template_path(self.settings, kind))
        if pdf:
            from docgen.generate.pdf import require_soffice

            require_soffice(self.settings.soffice)  # fail before anything is filed
        outdir = self.output / kind
        outdir.mkdir(parents=True, exist_ok=True)
        result = GenerateResult(kind=kind, output_dir=outdir)
        report(STAGE_RENDER, 0, total, "")
        # Move everything alive now (modules, archive, templates) out of the collector's sight:
        # the gc.collect() between documents then scans only what the batch created
        # (a full collection over the whole heap costs as much as rendering a document).
        gc.collect()
        gc.freeze()
        try:
            _Pipeline(self, renderer, spec.title, outdir, result, total, report).run(iter(jobs))
        finally:
            gc.unfreeze()
        if pdf:
            self._pdfs(result, spec.title, report)
        return result

    def render_file(self, renderer: TemplateRenderer, title: str, job: Job, doc_id: str, outdir: Path) -> Rendered:
        """Render one document with its id and QR code into the output folder; return it with its text."""
        payload = DocumentCode(doc_id, job.owner_key).encode()
        tpl = renderer.render({**job.context, "doc_id": doc_id}, job.record, qr_payload=payload)
        path = outdir / f"{doc_id}_{title}_{_safe_label(job.label)}.docx"
        try:
            tpl.save(str(path))
            # read back from the saved file: docxtpl renders headers into the package on save,
            # so the in-memory document still holds the header's template text
            text = docx_text(path)
        except BaseException:
            path.unlink(missing_ok=True)
            raise
        return Rendered(job, doc_id, path, text)

    def file_rendered(self, tx: Transaction, title: str, item: Rendered) -> GeneratedDocument:
        """File a rendered .docx into its dossier or project within ``tx`` (generated, unsigned)."""
        job = item.job
        self.archive.add_document(
            job.owner_key,
            item.path,
            doc_type=job.kind,
            date=self.archive.today(),
            source="generated",
            title=title,
            text_pages=[item.text],
            signed=False,
            related=job.related,
            identified_by="generated",
            doc_id=item.doc_id,
            note=f"由 {job.record} 生成",
            tx=tx,
        )
        return GeneratedDocument(item.doc_id, job.kind, title, job.owner_key, job.label, item.path)

    def _pdfs(self, result: GenerateResult, title: str, report: Progress) -> None:
        docs = result.documents
        report(STAGE_PDF, 0, len(docs), "LibreOffice")
        pdfs = convert_to_pdf([d.docx for d in docs], result.output_dir or self.output, self.settings.soffice)
        report(STAGE_PDF, len(docs), len(docs), "LibreOffice")
        fonts: set[str] = set()
        year = self.archive.today().year
        for n, (doc, pdf_path) in enumerate(zip(docs, pdfs, strict=True), 1):
            pages = pdf_pages(pdf_path)
            used = pdf_fonts(pdf_path)
            fonts.update(used)
            check_chinese(pdf_path, pages, used, title)
            doc.pdf = pdf_path
            with self.archive.transaction("document.generate", doc.owner_key, f"归档{title} PDF({doc.label})") as tx:
                pdf_id = tx.next_id("DOC", year, width=6)
                tx.summary = f"归档{title} PDF {pdf_id}(即 {doc.doc_id},{doc.label})"
                self.archive.add_document(
                    doc.owner_key,
                    pdf_path,
                    doc_type=doc.kind,
                    date=self.archive.today(),
                    source="generated",
                    title=f"{title}(PDF)",
                    text_pages=pages,
                    pages=[PageInfo(n=i, origin="text", chars=len(t)) for i, t in enumerate(pages, 1)],
                    signed=False,
                    related=doc.doc_id,
                    identified_by="generated",
                    doc_id=pdf_id,
                    note=f"{doc.doc_id} 的 PDF 版本(二维码为 {doc.doc_id})",
                    tx=tx,
                )
            doc.pdf_doc_id = pdf_id
            report(STAGE_FILE_PDF, n, len(docs), doc.label)
        result.fonts = sorted(fonts)
        result.font_note = plan_fonts().describe()


@dataclass
class Rendered:
    """A document rendered into the output folder, not yet filed."""

    job: Job
    doc_id: str
    path: Path
    text: str


def _summary(title: str, docs: list[GeneratedDocument]) -> str:
    if len(docs) == 1:
        return f"生成{title} {docs[0].doc_id}({docs[0].label})"
    return f"生成{title} {len(docs)} 份({docs[0].doc_id} … {docs[-1].doc_id})"


class _Pipeline:
    """Render chunk k+1 while chunk k's archive transaction commits (fsyncs) in a worker thread.

    Ids come from the archive counter inside transactions: the first
    transaction numbers chunk 0 (rendered inside it, as for a single document)
    *and* reserves the numbers of chunk 1; each later transaction files chunk k
    and reserves chunk k+1's numbers before it commits, so the main thread can
    render chunk k+1 while the worker waits on the disk.  Each chunk's documents
    belong to different owners (a transaction re-reads the owner it files into).
    A failure stops the batch: documents already committed stay filed, rendered
    but unfiled files are removed, and at most one chunk of reserved numbers is
    left unused.
    """

    def __init__(self, gen: Generator, renderer: TemplateRenderer, title: str, outdir: Path,
                 result: GenerateResult, total: int, report: Progress) -> None:
        self.gen, self.renderer, self.title, self.outdir = gen, renderer, title, outdir
        self.result, self.total, self.report = result, total, report
        self.size = gen.settings.batch_size
        self.year = gen.archive.today().year
        self.rendered = 0

    def _take(self, jobs: Iterator[Job]) -> list[Job]:
        chunk = list(itertools.islice(jobs, self.size))
        owners = [j.owner_key for j in chunk]
        if len(set(owners)) != len(owners):
            raise DocgenError("内部错误:同一批次中有重复的归档对象")
        return chunk

    def _render(self, job: Job, doc_id: str) -> Rendered:
        item = self.gen.render_file(self.renderer, self.title, job, doc_id, self.outdir)
        self.rendered += 1
        if self.rendered % self.gen.settings.gc_every == 0:
            gc.collect()
        self.report(STAGE_RENDER, self.rendered, self.total, job.label)
        return item

    def _next_count(self) -> int:
        return max(0, min(self.size, self.total - self.rendered))

    def run(self, jobs: Iterator[Job]) -> None:
        archive = self.gen.archive
        chunk = self._take(jobs)
        if not chunk:
            return
        # chunk 0: numbered, rendered and filed inside one transaction (a single document is just this)
        made: list[Rendered] = []
        try:
            with archive.transaction("document.generate", chunk[0].owner_key, f"生成{self.title}") as tx:
                ids = [tx.next_id("DOC", self.year, width=6) for _ in chunk]
                docs = []
                for job, doc_id in zip(chunk, ids, strict=True):
                    made.append(self._render(job, doc_id))
                    docs.append(self.gen.file_rendered(tx, self.title, made[-1]))
                next_ids = [tx.next_id("DOC", self.year, width=6) for _ in range(self._next_count())]
                tx.summary = _summary(self.title, docs) + (f",预留 {next_ids[0]} 起 {len(next_ids)} 个编号" if next_ids else "")
        except BaseException:
            for item in made:
                item.path.unlink(missing_ok=True)
            raise
        self.result.documents.extend(docs)
        if not next_ids:
            return
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="docgen-file") as pool:
            pending: Future[list[GeneratedDocument]] | None = None
            unfiled: list[Rendered] = []
            try:
                while next_ids:
                    chunk = self._take(jobs)[: len(next_ids)]
                    unfiled = []
                    for job, doc_id in zip(chunk, next_ids, strict=False):
                        unfiled.append(self._render(job, doc_id))
                    if not unfiled:
                        break
                    if pending is not None:
                        self.result.documents.extend(pending.result())  # chunk k-1 committed: its reservation holds
                    ids_future: Future[list[str]] = Future()
                    pending = pool.submit(self._file_chunk, unfiled, self._next_count(), ids_future)
                    unfiled = []  # the worker owns them now (and removes them if it fails)
                    next_ids = ids_future.result()
                if pending is not None:
                    self.result.documents.extend(pending.result())
            except BaseException:
                if pending is not None and not pending.done():
                    pending.exception()  # let the worker finish (commit or abort) before cleaning up
                filed = {d.doc_id for d in self.result.documents}
                for item in unfiled:
                    if item.doc_id not in filed:
                        item.path.unlink(missing_ok=True)
                raise

    def _file_chunk(self, items: list[Rendered], next_count: int, ids_future: Future[list[str]]) -> list[GeneratedDocument]:
        """Worker: reserve the next chunk's numbers, publish them, file this chunk, commit."""
        archive = self.gen.archive
        try:
            with archive.transaction("document.generate", items[0].job.owner_key, f"生成{self.title}") as tx:
                next_ids = [tx.next_id("DOC", self.year, width=6) for _ in range(next_count)]
                ids_future.set_result(next_ids)
                docs = [self.gen.file_rendered(tx, self.title, item) for item in items]
                tx.summary = _summary(self.title, docs) + (f",预留 {next_ids[0]} 起 {len(next_ids)} 个编号" if next_ids else "")
        except BaseException as exc:
            if not ids_future.done():
                ids_future.set_exception(exc)
            for item in items:
                item.path.unlink(missing_ok=True)
            raise
        return docs


def check_chinese(pdf_path: Path, pages: list[str], fonts: list[str], title: str) -> None:
    """Refuse a PDF whose text lacks the title or that embeds no CJK font (Chinese drawn as tofu boxes)."""
    squeezed = "".join("".join(pages).split())
    if "".join(title.split()) not in squeezed:
        raise GenerateError(f"{pdf_path.name} 的文字中找不到「{title}」,PDF 可能未正确显示中文")
    if not has_cjk_font(fonts):
        raise GenerateError(f"{pdf_path.name} 未嵌入中文字体(使用的字体:{'、'.join(fonts) or '无'}),中文可能显示为方框")


__all__ = ["GenerateResult", "GeneratedDocument", "Generator"]
