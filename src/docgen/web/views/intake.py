"""Paper in, in the browser: upload scans, the results as each file is processed, the review queue, failed files.

Everything goes through :mod:`docgen.services.intake`, i.e. the one ingest
pipeline of the inbox and ``docgen ingest`` (identification by QR code, file
name or content; OCR; filing; review; failed with a reason), acting as the
logged-in user.  ``/ingest`` also shows whether the inbox watcher runs (the
server's own, ``[web] watch``, or a ``docgen watch`` beside it) and the recent
results of every file, whoever processed it, so nobody needs a terminal to
see whether the scanner's files arrived.
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import FileResponse, RedirectResponse, Response

from docgen.errors import DocgenError, NotFoundError, UsageError
from docgen.services import intake
from docgen.vocab import DOC_TYPES
from docgen.web.forms import FormErrors, user_message
from docgen.web.jobs import Job
from docgen.web.render import page
from docgen.web.routing import route, session_of, web_state

router = APIRouter()
_REVIEW_ID = re.compile(r"[0-9a-f]{4,64}")
_FAILED_ID = re.compile(r"[0-9a-f]{16}")


def _review_id(value: str) -> str:
    if not _REVIEW_ID.fullmatch(value):
        raise NotFoundError("待确认文件不存在")
    return value


def _failed_id(value: str) -> str:
    if not _FAILED_ID.fullmatch(value):
        raise NotFoundError("失败区中没有这个文件")
    return value


def queue_status(request: Request) -> dict[str, Any] | None:
    """The OCR work queue's state when ``[ingest] workers`` names a broker (None: files are read in this process).

    The same values as ``docgen worker status`` (:func:`docgen.workers.status.queue_status_for`):
    waiting and running files, each worker's pages per minute; a broker that
    cannot be reached is shown as such (the watcher keeps the files in the inbox).
    """
    session = session_of(request)
    if not session.config.ingest.workers:
        return None
    try:
        from docgen.workers.status import queue_status_for

        return queue_status_for(session).as_dict()
    except DocgenError as exc:
        return {"reachable": False, "problem": str(exc), "waiting": 0, "running": [], "workers": [], "broker": ""}


@route(router, "/ingest", permission="file")
def ingest_page(request: Request) -> Response:
    """Upload scans; the inbox watcher's state; the recent results of every file; counts of the review and failed areas."""
    session = session_of(request)
    web = web_state(request)
    settings = session.config.ingest
    recent = [v for v in (intake.result_view(session, r) for r in web.work.results.recent(60)) if v is not None]
    reviews, hidden = intake.review_items(session, settings)
    failed = intake.failed_files(session, settings)
    status = web.work.watcher
    context = {
        "title": "收件", "recent": recent[:40], "reviews": len(reviews), "hidden_reviews": hidden,
        "failed": len(failed), "watcher": status, "workers": intake.active_workers(settings),
        "inbox": str(settings.inbox), "queue": queue_status(request),
        "max_mb": web.settings.max_upload_mb, "max_files": web.settings.max_upload_files,
        "scoped": bool(session.user.projects), "index": web.work.index_state(),
    }
    return page(request, "ingest.html", context)


@route(router, "/ingest/uploads", permission="file", methods=("POST",))
async def upload(request: Request) -> Response:
    """Upload scans (several at once, up to the configured size): each goes through the ingest pipeline in turn."""
    import anyio.to_thread

    web = web_state(request)
    limit = int(web.settings.max_upload_mb * 1024 * 1024)
    most = web.settings.max_upload_files
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit * most + 1024 * 1024:
        raise UsageError(f"一次上传的内容过大(每个文件最多 {web.settings.max_upload_mb:.0f} MB,最多 {most} 个文件)")
    try:
        form = await request.form(max_files=most, max_fields=20)
    except Exception as exc:  # the multipart parser's own limits (too many files, a broken body)
        raise UsageError(f"上传的内容无法读取或文件过多(一次最多 {most} 个文件)") from exc
    from starlette.datastructures import UploadFile

    files = [f for f in form.getlist("files") if isinstance(f, UploadFile) and (f.filename or f.size)]
    if not files:
        raise UsageError("请选择要上传的扫描件(可一次选多个,或拖到框中)")

    def stage() -> list[intake.Staged]:
        session = session_of(request)
        staged: list[intake.Staged] = []
        try:
            for f in files:
                staged.append(intake.stage_upload(session, session.config.ingest, f.filename, f.file, max_bytes=limit))
        except DocgenError:
            for s in staged:  # an upload is taken whole or not at all: nothing half-uploaded is processed
                s.path.unlink(missing_ok=True)
                s.path.parent.rmdir()
            raise
        return staged

    staged = await anyio.to_thread.run_sync(stage)
    session = session_of(request)
    names = "、".join(s.name for s in staged[:3]) + (f" 等 {len(staged)} 个文件" if len(staged) > 3 else "")

    def work(job: Job) -> None:
        job.total = len(staged)
        job.stage = "归档"

        def done(result: Any) -> None:
            view = intake.result_view(session, result.as_dict(), own_upload=True)
            if view is not None:
                job.items.append(view)
            job.done += 1

        intake.process_uploads(session, session.config.ingest, staged, catalog=web.work.catalog,
                               on_result=done, log=web.work.results)

    job = web.work.jobs.start(session.user.name, "upload", f"上传 {names}", work, back="/ingest")
    if request.headers.get("hx-request") == "true":
        return page(request, "_job.html", {"job": job, "title": job.title})
    return RedirectResponse(f"/jobs/{job.id}", status_code=303)


# -- the review queue -----------------------------------------------------------------------------------
@route(router, "/ingest/review", permission="file")
def review_list(request: Request) -> Response:
    """The scans waiting for a person: name, best guess, candidates, why identification was not sure."""
    session = session_of(request)
    items, hidden = intake.review_items(session, session.config.ingest)
    return page(request, "review_list.html", {"title": "待确认", "items": items, "hidden": hidden,
                                              "types": DOC_TYPES})


def render_review(request: Request, review_id: str, *, errors: FormErrors | None = None,
                  values: dict[str, str] | None = None, status: int = 200) -> Response:
    """One queued scan: its pages beside the candidates and their evidence, the text read, the doubtful lines."""
    session = session_of(request)
    item = intake.review_item(session, session.config.ingest, _review_id(review_id))
    best = item.best or {}
    values = values or {"owner_key": best.get("owner_key") or "", "doc_type": best.get("doc_type") or ""}
    doubts = [{"page": p.get("n"), "line": i, **d} for p in item.pages for i, d in enumerate(p.get("doubtful") or [], 1)]
    for d in doubts:
        d["text"] = intake.privacy.mask_text(str(d.get("text", "")))
    return page(request, "review.html", {
        "title": f"待确认 {item.name}", "item": item, "values": values, "errors": errors or FormErrors(),
        "types": [(code, label) for code, (label, _where) in DOC_TYPES.items()], "doubts": doubts,
        "page_count": max(1, len(item.pages)),
    }, status=status)


@route(router, "/ingest/review/{review_id}", permission="file")
def review_page(request: Request, review_id: str) -> Response:
    """One scan in the review queue, to file to a dossier and type or to reject with a reason."""
    return render_review(request, review_id)


@route(router, "/ingest/review/{review_id}/pages/{n}.png", permission="file")
def review_page_image(request: Request, review_id: str, n: int, size: str = Query("page")) -> Response:
    """A page of a queued scan as a PNG (rendered once, cached like the archive's page images)."""
    session = session_of(request)
    item = intake.review_item(session, session.config.ingest, _review_id(review_id))
    path = web_state(request).previews.image(_queued_path(item), str(item.entry.get("sha256", "")), n, size,
                                             pages=len(item.pages) or None)
    return FileResponse(path, media_type="image/png", headers={"Cache-Control": "private, max-age=3600"})


def _queued_path(item: intake.ReviewItem) -> Any:
    from pathlib import Path

    return Path(str(item.entry["path"]))


@route(router, "/ingest/review/{review_id}/crops/{page_no}/{line}.png", permission="file")
def review_crop(request: Request, review_id: str, page_no: int, line: int) -> Response:
    """A picture of one line OCR left in doubt on a queued scan (to read it against the paper)."""
    from docgen.ingest.areas import Areas
    from docgen.ingest.crops import review_crop as crop

    session = session_of(request)
    item = intake.review_item(session, session.config.ingest, _review_id(review_id))
    data = crop(Areas(session.config.ingest.areas_root), item.id, page_no, line)
    return Response(data, media_type="image/png", headers={"Cache-Control": "private, max-age=3600"})


@route(router, "/ingest/review/{review_id}/file", permission="file", methods=("POST",))
def review_file(request: Request, review_id: str, owner_key: str = Form(""), doc_type: str = Form("")) -> Response:
    """File a queued scan into the chosen dossier (or project) as the chosen type."""
    session = session_of(request)
    web = web_state(request)
    try:
        result = intake.file_review(session, session.config.ingest, _review_id(review_id), owner_key, doc_type,
                                    catalog=web.work.catalog, log=web.work.results)
    except NotFoundError as exc:
        if "待确认" in str(exc):
            raise
        errors = FormErrors()
        errors.add("owner_key", str(exc))
        return render_review(request, review_id, errors=errors, values={"owner_key": owner_key, "doc_type": doc_type},
                             status=400)
    except DocgenError as exc:
        errors = FormErrors()
        errors.add("doc_type" if "类型" in str(exc) else "owner_key", user_message(exc))
        return render_review(request, review_id, errors=errors, values={"owner_key": owner_key, "doc_type": doc_type},
                             status=400)
    target = f"/documents/{result.doc_id}" if result.doc_id else "/ingest/review"
    return RedirectResponse(target, status_code=303)


@route(router, "/ingest/review/{review_id}/reject", permission="file", methods=("POST",))
def review_reject(request: Request, review_id: str, reason: str = Form("")) -> Response:
    """Reject a queued scan with a reason: it goes to the failed area (journaled)."""
    session = session_of(request)
    try:
        intake.reject_review(session, session.config.ingest, _review_id(review_id), reason,
                             log=web_state(request).work.results)
    except UsageError as exc:
        errors = FormErrors()
        errors.add("reason", str(exc))
        return render_review(request, review_id, errors=errors, status=400)
    return RedirectResponse("/ingest/review", status_code=303)


# -- failed files --------------------------------------------------------------------------------------
def render_failed(request: Request, *, errors: FormErrors | None = None, target: str = "", status: int = 200,
                  result: dict[str, Any] | None = None) -> Response:
    """The failed area: each file with its reason, to retry (after fixing the cause) or discard (journaled)."""
    session = session_of(request)
    files = intake.failed_files(session, session.config.ingest)
    return page(request, "failed.html", {"title": "失败的文件", "files": files, "errors": errors or FormErrors(),
                                         "target": target, "scoped": bool(session.user.projects),
                                         "result": result}, status=status)


@route(router, "/ingest/failed", permission="file")
def failed_page(request: Request) -> Response:
    """Files that could not be ingested, with the reason beside each."""
    return render_failed(request)


@route(router, "/ingest/failed/{file_id}/retry", permission="file", methods=("POST",))
def failed_retry(request: Request, file_id: str) -> Response:
    """Take a failed file through the pipeline again."""
    session = session_of(request)
    web = web_state(request)
    result = intake.retry_failed(session, session.config.ingest, _failed_id(file_id), catalog=web.work.catalog,
                                 log=web.work.results)
    view = intake.result_view(session, result.as_dict())
    return render_failed(request, result=view)


@route(router, "/ingest/failed/{file_id}/discard", permission="file", methods=("POST",))
def failed_discard(request: Request, file_id: str, reason: str = Form("")) -> Response:
    """Discard a failed file for good, with a reason (journaled; kept aside in failed/.discarded/)."""
    session = session_of(request)
    try:
        intake.discard_failed(session, session.config.ingest, _failed_id(file_id), reason)
    except UsageError as exc:
        errors = FormErrors()
        errors.add("reason", str(exc))
        return render_failed(request, errors=errors, target=file_id, status=400)
    return RedirectResponse("/ingest/failed", status_code=303)

