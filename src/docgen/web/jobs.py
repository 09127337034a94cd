"""Work that takes longer than a page view: generating paperwork, processing uploads, in background threads.

A page starts a :class:`Job` (``Jobs.start``) and answers at once with the
job's page, which asks for the job's state every second (htmx polling; a page
refresh without JavaScript) until it is done: a batch's notices show their
progress, uploaded scans their results one by one as each is processed.  A
job belongs to the user who started it (nobody else can see it, 404), acts as
that user's core session, and keeps its outcome for a while (the last 200
jobs); what it made is in the archive, so a server restart loses only the
page, never the work.
"""

from __future__ import annotations

import contextvars
import logging
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from docgen.errors import DocgenError, NotFoundError
from docgen.web.forms import user_message

log = logging.getLogger("docgen.web")
KEEP = 200


@dataclass
class Job:
    """One piece of background work: whose it is, what it does, how far it got, what came of it."""

    id: str
    owner: str
    kind: str
    title: str
    created: float
    back: str = ""
    """Where the page links back to (the batch, the case, the upload page)."""
    state: str = "queued"
    """queued → running → done | failed."""
    stage: str = ""
    done: int = 0
    total: int = 0
    label: str = ""
    items: list[dict[str, Any]] = field(default_factory=list)
    """What it made or processed so far (documents, file results), in order."""
    warnings: list[str] = field(default_factory=list)
    error: str = ""
    files: dict[str, Path] = field(default_factory=dict)
    """Files the owner may download from the job (the merged print PDF), by name."""
    data: dict[str, Any] = field(default_factory=dict)
    finished: float | None = None

    @property
    def running(self) -> bool:
        """True until the job is done or failed."""
        return self.state in ("queued", "running")

    @property
    def percent(self) -> int:
        """Progress in percent of the current stage (0 when unknown)."""
        return int(100 * self.done / self.total) if self.total else 0

    def progress(self, stage: str, done: int, total: int, label: str) -> None:
        """The core's progress callback (``docgen.progress``)."""
        self.stage, self.done, self.total, self.label = stage, done, total, label


class Jobs:
    """The application's background jobs: a small pool of threads, the recent jobs by id."""

    def __init__(self, workers: int = 2, clock: Callable[[], float] = time.time) -> None:
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="docgen-job")
        self._jobs: OrderedDict[str, Job] = OrderedDict()
        self._guard = threading.Lock()
        self.clock = clock

    def start(self, owner: str, kind: str, title: str, work: Callable[[Job], None], *, back: str = "") -> Job:
        """Queue ``work(job)``; a DocgenError it raises becomes the job's Chinese error, anything else a generic one."""
        job = Job(secrets.token_urlsafe(12), owner, kind, title, self.clock(), back=back)
        with self._guard:
            self._jobs[job.id] = job
            while len(self._jobs) > KEEP:
                self._jobs.popitem(last=False)
        try:
            # in the request's context: the job's writes count as that browser's (docgen.web.background.WRITER)
            self._pool.submit(contextvars.copy_context().run, self._run, job, work)
        except RuntimeError as exc:  # the pool was shut down: the server is stopping
            with self._guard:
                self._jobs.pop(job.id, None)
            raise DocgenError("服务器正在停止,任务未开始;请稍后重试") from exc
        return job

    def _run(self, job: Job, work: Callable[[Job], None]) -> None:
        job.state = "running"
        try:
            work(job)
        except DocgenError as exc:
            job.error = user_message(exc)
            job.state = "failed"
        except Exception as exc:  # a bug must not leave the page waiting forever; the traceback goes to the log
            log.error("后台任务出错 %s: %s", job.kind, type(exc).__name__, exc_info=exc)
            job.error = "服务器内部错误,任务未完成;已做的部分已记入档案,请稍后重试或联系系统管理员"
            job.state = "failed"
        else:
            job.state = "done"
        finally:
            job.finished = self.clock()

    def get(self, job_id: str, owner: str) -> Job:
        """A job of ``owner``'s; NotFoundError for anyone else's or one that is gone."""
        with self._guard:
            job = self._jobs.get(job_id)
        if job is None or job.owner != owner:
            raise NotFoundError("任务不存在或已过期(任务结果保留一段时间;生成的文书已归档,可在档案页查看)")
        return job

    def wait(self, job: Job, timeout: float = 60.0) -> Job:
        """Wait until a job is finished (tests and the bench)."""
        deadline = time.monotonic() + timeout
        while job.running and time.monotonic() < deadline:
            time.sleep(0.02)
        return job

    def close(self) -> None:
        """Let running jobs finish; accept no more."""
        self._pool.shutdown(wait=True, cancel_futures=True)
