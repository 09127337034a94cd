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
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from docgen.errors import NotFoundError, UnsafePathError, UsageError
from docgen.services import paperwork
from docgen.services.dossiers import batch_ref
from docgen.session import Session
from docgen.units import check_safe_id
from docgen.web.jobs import Job
from docgen.web.render import page
from docgen.web.routing import LOGGED_IN, route, session_of, web_state
from docgen.web.views.common import file_response

router = APIRouter()


def _check_record(session: Session, kind: str, ref: str) -> str:
    """Check the record exists and the user may see it (404 otherwise) before any work starts; where to go back."""
    if kind in ("plan", "notices"):
        try:
            project, batch_id = batch_ref(ref)
            check_safe_id(batch_id, "批次编号")
        except (UsageError, UnsafePathError) as exc:
            raise NotFoundError(f"交房批次 {ref} 不存在") from exc
        session.check_project(project)
        session.archive.batch(project, batch_id)
        return f"/projects/{project}/batches/{batch_id}"
    from docgen.web.views.cases import _locate

    _d, found, _record = _locate(session, ref)
    wanted = {"compensation": "repairs", "settlement": "settlements"}[kind]
    if found != wanted:
        raise UsageError(f"{ref} 不是{paperwork.KINDS[kind][1]},不能生成{paperwork.KINDS[kind][0]}")
    return f"/cases/{ref}"


@route(router, "/paperwork", permission="generate", methods=("POST",))
def paperwork_start(request: Request, kind: str = Form(""), ref: str = Form(""), again: str = Form("")) -> Response:
    """Generate a plan or notices (from a batch), an agreement (from a repair) or a countersign sheet (from a settlement)."""
    session = session_of(request)
    web = web_state(request)
    if kind not in paperwork.KINDS:
        raise UsageError(f"未知的文书种类 {kind!r}")
    ref = ref.strip()
    back = _check_record(session, kind, ref)
    title = f"生成{paperwork.KINDS[kind][0]}:{ref}"
    output = Path(session.config.generate.output) / "web"

    def work(job: Job) -> None:
        result = paperwork.generate(session, kind, ref, output=output / job.id, progress=job.progress,
                                    again=bool(again))
        job.items = [{"doc_id": d.doc_id, "title": d.title, "label": d.label, "owner_key": d.owner_key,
                      "pdf_doc_id": d.pdf_doc_id, "kind": d.kind, "supersedes": d.supersedes} for d in result.documents]
        job.warnings = [*result.flags, *result.warnings, *(f"{r.label}:{r.reason}" for r in result.refused),
                        *result.unreadable]
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
