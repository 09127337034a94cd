"""The workers' queue as people see it: waiting, running, each worker's throughput, recent errors.

One function, :func:`queue_status`, for ``docgen worker status`` and the web
page of recent ingest results (it returns values; the caller renders them).
It reads only small keys (the job set, each job's hash, the workers' records
of the last hour), a few round trips, and never waits more than a few seconds:
an unreachable broker is a status (``reachable = False`` with the reason),
not an error.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from docgen.errors import DocgenError
from docgen.workers import jobs

if TYPE_CHECKING:
    from docgen.session import Session

WINDOW = 600.0
"""Seconds over which a worker's throughput is measured (the last ten minutes)."""


@dataclass(slots=True)
class RunningJob:
    """A file being read now."""

    name: str
    worker: str
    page: int
    pages: int
    stage: str
    seconds: float
    tries: int


@dataclass(slots=True)
class WorkerStatus:
    """One ``docgen worker``: alive or not, and what it read lately."""

    name: str
    host: str
    pid: int
    processes: int
    alive: bool
    seen_seconds_ago: float | None
    files_window: int = 0
    pages_window: int = 0
    ocr_pages_window: int = 0
    pages_per_minute: float = 0.0
    seconds_per_page: float | None = None
    files_total: int = 0
    pages_total: int = 0


@dataclass(slots=True)
class QueueStatus:
    """The queue: reachable, waiting, running, the workers, recent errors."""

    broker: str
    reachable: bool
    problem: str = ""
    waiting: int = 0
    """Files sent and not yet taken by any worker."""
    messages: int = 0
    """Messages in Celery's queue (a job sent again while its first message waits counts twice)."""
    running: list[RunningJob] = field(default_factory=list)
    workers: list[WorkerStatus] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)
    window_seconds: float = WINDOW

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form (for ``--json`` and the web page)."""
        return asdict(self)


def queue_status(url: str, *, errors: int = 10) -> QueueStatus:
    """The status of the queue at broker ``url`` (``[ingest] workers``); never raises for the broker."""
    shown = jobs.shown_url(url) if url else ""
    if not url:
        return QueueStatus(shown, False, "未配置识别进程([ingest] workers 未设置):文件在本进程中识别")
    try:
        from docgen.workers import require

        require()
    except DocgenError as exc:
        return QueueStatus(shown, False, str(exc))
    try:
        client = jobs.connect(url, timeout=3.0)
        now = float(client.time()[0])
        tokens = [t.decode() for t in client.smembers(jobs.JOBS)]
        pipe = client.pipeline(transaction=False)
        for token in tokens:
            pipe.hgetall(jobs.job_key(token))
        states = [jobs.decoded(h) for h in pipe.execute()] if tokens else []
        messages = sum(int(client.llen(q)) for q in _queue_lists())
        workers = _workers(client, now)
        recent = [json.loads(x) for x in client.lrange(jobs.ERRORS, 0, errors - 1)]
    except Exception as exc:
        from docgen.workers.queue import _reason

        return QueueStatus(shown, False, f"任务队列无法连接({_reason(exc)})")
    status = QueueStatus(shown, True, messages=messages, workers=workers, errors=recent)
    for job in states:
        state = job.get("state")
        if state == "queued":
            status.waiting += 1
        elif state == "running":
            started = float(job.get("started") or now)
            status.running.append(RunningJob(
                job.get("name", ""), job.get("worker", ""), int(job.get("page") or 0), int(job.get("pages") or 0),
                job.get("stage", ""), round(max(0.0, now - started), 1), int(job.get("tries") or 1),
            ))
    return status


def queue_status_for(session: Session) -> QueueStatus:
    """The queue of this workspace's ``[ingest] workers`` for a user who may file (the service the web page will call).

    Why a service: the web application has no page of ingest results yet (part 2
    of the web issue); when it comes, it calls this, as ``docgen worker status``
    does, and renders the same values.  Filing clerks watch the queue, so it
    asks for the ``file`` permission.
    """
    session.require("file")
    return queue_status(session.config.ingest.workers or "")


def _queue_lists() -> list[str]:
    """Celery's Redis lists for the queue (kombu keeps one per priority step; plain messages go to the first)."""
    sep = "\x06\x16"
    return [jobs.QUEUE, *(f"{jobs.QUEUE}{sep}{p}" for p in (3, 6, 9))]


def _workers(client: Any, now: float) -> list[WorkerStatus]:
    names = set()
    for key in jobs.scan_keys(client, jobs.worker_key("*")):
        names.add(key[len(jobs.worker_key("")):].removesuffix(":totals"))
    for key in jobs.scan_keys(client, jobs.done_key("*")):
        names.add(key[len(jobs.done_key("")):])
    out: list[WorkerStatus] = []
    for name in sorted(names):
        record = jobs.decoded(client.hgetall(jobs.worker_key(name)))
        totals = jobs.decoded(client.hgetall(jobs.worker_key(name) + ":totals"))
        done = client.zrangebyscore(jobs.done_key(name), now - WINDOW, "+inf")
        seen = float(record["seen"]) if record.get("seen") else None
        w = WorkerStatus(
            name, record.get("host", ""), int(record.get("pid") or 0), int(record.get("processes") or 0),
            alive=bool(record), seen_seconds_ago=round(time.time() - seen, 1) if seen else None,
            files_total=int(totals.get("files") or 0), pages_total=int(totals.get("pages") or 0),
        )
        seconds = 0.0
        for entry in done:
            _token, pages, ocr_pages, took = (entry.decode() if isinstance(entry, bytes) else entry).split(":")
            w.files_window += 1
            w.pages_window += int(pages)
            w.ocr_pages_window += int(ocr_pages)
            seconds += float(took)
        w.pages_per_minute = round(w.pages_window / (WINDOW / 60), 2)
        w.seconds_per_page = round(seconds / w.pages_window, 2) if w.pages_window else None
        out.append(w)
    return out
