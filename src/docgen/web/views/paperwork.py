"""Paperwork from the browser: generate from a record, follow the job, preview the first page, download.

``POST /paperwork`` (kind and record) checks the record and the user's scope
at once, then generates in the background (:mod:`docgen.web.jobs`) through
:func:`docgen.services.paperwork.generate` acting as the user: numbered,
QR-coded, filed into the dossier (or the project, for a plan) as soon as each
is made, so it shows on the dossier page straight away.  The job's page
follows the progress (a batch's notices one by one), then shows the first
page of the first document (rendered from its filed PDF) and the downloads:
each document's .docx and PDF through the document routes (the same
permissions and journal as any archived file), and a batch's merged duplex
print PDF from the job itself.

A batch's notices are checked first: when the core refuses them (delivery
conditions missing, every unit already notified) the notices form shows why
and offers 仍然发出 with a reason and 补发 (:mod:`docgen.web.views.notices`);
a job that made some notices offers 补发 for the units it left out.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from docgen.errors import NotFoundError, UnsafePathError, UsageError, quote_input
from docgen.generate.refusals import ConditionsNotMet
from docgen.services import paperwork
from docgen.services.dossiers import batch_ref
from docgen.session import Session
from docgen.units import check_safe_id
from docgen.web.forms import text
from docgen.web.jobs import Job
from docgen.web.render import page
from docgen.web.routing import LOGGED_IN, route, session_of, web_state
from docgen.web.views import notices
from docgen.web.views.common import file_response

router = APIRouter()


def _check_record(session: Session, kind: str, ref: str) -> str:
    """Check the record exists and the user may see it (404 otherwise) before any work starts; where to go back."""
    if kind in ("plan", "notices"):
        try:
            project, batch_id = batch_ref(ref)
            check_safe_id(batch_id, "批次编号")
        except (UsageError, UnsafePathError) as exc:
            raise NotFoundError(f"交房批次{quote_input(ref)}不存在") from exc
        session.check_project(project)
        session.archive.batch(project, batch_id)
        return f"/projects/{project}/batches/{batch_id}"
    from docgen.web.views.cases import _locate

    _d, found, _record = _locate(session, ref)
    wanted = {"compensation": "repairs", "settlement": "settlements"}[kind]
    if found != wanted:
        raise UsageError(f"{quote_input(ref)}不是{paperwork.KINDS[kind][1]},不能生成{paperwork.KINDS[kind][0]}")
    return f"/cases/{ref}"


@route(router, "/paperwork", permission="generate", methods=("POST",))
async def paperwork_start(request: Request) -> Response:
    """Generate a plan or notices (from a batch), an agreement (from a repair) or a countersign sheet (from a settlement).

    Notices are asked of the core first: a refusal comes back at once as the
    notices form with its choices (:mod:`docgen.web.views.notices`).
    """
    import anyio.to_thread

    form = await request.form()
    return await anyio.to_thread.run_sync(lambda: _start(request, form))


def _start(request: Request, form: Any) -> Response:
    session = session_of(request)
    web = web_state(request)
    kind = text(form, "kind")
    if kind not in paperwork.KINDS:
        raise UsageError(f"未知的文书种类{quote_input(kind)}")
    ref = text(form, "ref")
    back = _check_record(session, kind, ref)
    title = f"生成{paperwork.KINDS[kind][0]}:{ref}"
    output = Path(session.config.generate.output) / "web"
    options: dict[str, Any] = {}
    if kind == "notices":
        choices = notices.NoticeChoices.read(form)
        refused = notices.check(request, session, ref, back, choices)
        if refused is not None:
            return refused
        options = choices.arguments()

    def work(job: Job) -> None:
        try:
            result = paperwork.generate(session, kind, ref, output=output / job.id, progress=job.progress, **options)
        except ConditionsNotMet:
            job.data["recheck"] = ref  # changed since the check: the job page offers to check again
            raise
        job.items = [{"doc_id": d.doc_id, "title": d.title, "label": d.label, "owner_key": d.owner_key,
                      "pdf_doc_id": d.pdf_doc_id, "kind": d.kind, "supersedes": d.supersedes} for d in result.documents]
        reissuable = [r for r in result.refused if r.reissuable]
        job.warnings = [*result.flags, *result.warnings,
                        *(f"{r.label}:{r.reason}" for r in result.refused if not r.reissuable), *result.unreadable]
        if result.forced:
            job.data["forced"] = result.forced
        if reissuable:
            job.data["reissue"] = {"ref": ref, "units": [{"unit": r.unit, "label": r.label, "reason": r.reason}
                                                         for r in reissuable]}
        if result.merged_pdf is not None:
            job.files["merged.pdf"] = result.merged_pdf
            job.data["merged_pages"] = result.merged_pages
        job.data["draft"] = result.draft

    job = web.work.jobs.start(session.user.name, kind, title, work, back=back)
    return RedirectResponse(f"/jobs/{job.id}", status_code=303)


def job_context(job: Job) -> dict[str, Any]:
    """What the job page and its polled fragment show."""
    return {"job": job, "title": job.title}


@route(router, "/jobs/{job_id}", permission=LOGGED_IN)
def job_page(request: Request, job_id: str) -> Response:
    """A background job of the user's: progress while it runs, then what it made (polled by htmx every second)."""
    session = session_of(request)
    job = web_state(request).work.jobs.get(job_id, session.user.name)
    template = "_job.html" if request.headers.get("hx-request") == "true" else "job.html"
    return page(request, template, job_context(job))


@route(router, "/jobs/{job_id}/files/{name}", permission=LOGGED_IN)
def job_file(request: Request, job_id: str, name: str) -> Response:
    """A file a job made that is not archived on its own (a batch's merged print PDF)."""
    session = session_of(request)
    job = web_state(request).work.jobs.get(job_id, session.user.name)
    path = job.files.get(name)
    if path is None:
        raise NotFoundError("该任务没有这个文件")
    download = f"合并打印_{job.title.split(':', 1)[-1].replace('/', '-')}.pdf"
    return file_response(path, download, "application/pdf")
