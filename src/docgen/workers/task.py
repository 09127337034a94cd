"""What a worker process does with one job: take it once, read it with a timeout per page, write the result back.

Celery may deliver a job more than once (a worker process killed mid-way puts
its message back; the archive side sends again a job whose worker went
silent).  So a worker first **takes** the job in Redis (a WATCH/MULTI
compare-and-set on its hash): it runs it only if no result exists and nobody
alive holds it (a holder is alive while its heartbeat is fresh, and on this
host while its process exists).  Each take counts a **try**; a job taken more
than ``max_tries`` times (every try ended with its process dead: a crash, the
OOM killer, a page past its timeout) is not read again: its result says so and
the archive side puts the file in ``failed/`` with that reason.

While reading, a thread beats the job's heartbeat and watches the page being
read: a page that takes longer than ``page_timeout`` records why and ends its
own process (SIGKILL: a page stuck inside onnxruntime or pdfium cannot be
interrupted any other way).  The pool's parent sees its child lost, puts the
message back (``reject_on_worker_lost``) and starts a fresh child.

The result is written with ``SET NX``: the first reading of a job wins, so a
file read twice is filed once.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import signal
import socket
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from docgen.ingest.extract import Extraction, ExtractOptions, extract_safely
from docgen.ingest.text import OcrFn, engine_ocr
from docgen.workers import jobs

HOST = socket.gethostname()


@dataclass(slots=True)
class Outcome:
    """What a worker did with one delivery (the worker's terminal line is written from it)."""

    token: str
    name: str
    status: str  # read | skipped | gone | poison
    detail: str = ""
    pages: int = 0
    ocr_pages: int = 0
    seconds: float = 0.0


def server_time(client: Any) -> float:
    """The broker's clock (one clock for every worker, whatever their hosts' clocks say)."""
    seconds, micros = client.time()
    return float(seconds) + float(micros) / 1e6


def _alive_here(host: str, pid: str) -> bool:
    """True if ``pid`` on ``host`` may be alive (another host's process cannot be checked: assume so)."""
    if host != HOST:
        return True
    try:
        os.kill(int(pid), 0)
    except (ProcessLookupError, ValueError):
        return False
    except PermissionError:
        return True
    return True


def take(client: Any, token: str, worker: str, lost_seconds: float) -> tuple[str, dict[str, str]]:
    """Take the job if nobody alive holds it: ("taken" | "busy" | "gone" | "done", its hash before)."""
    import redis

    key = jobs.job_key(token)
    me = str(os.getpid())
    with client.pipeline() as pipe:
        while True:
            try:
                pipe.watch(key, jobs.result_key(token))
                if pipe.exists(jobs.result_key(token)):
                    return "done", {}
                job = jobs.decoded(pipe.hgetall(key))
                if not job:
                    return "gone", job  # collected or withdrawn by the archive side
                now = server_time(pipe)
                if job.get("state") == "running":
                    fresh = now - float(job.get("heartbeat") or 0) < lost_seconds
                    if fresh and _alive_here(job.get("host", ""), job.get("pid", "")) and job.get("pid") != me:
                        return "busy", job
                tries = int(job.get("tries") or 0) + 1
                pipe.multi()
                pipe.hset(key, mapping={"state": "running", "worker": worker, "host": HOST, "pid": me,
                                        "heartbeat": now, "started": now, "tries": tries, "page": 0, "stage": "start"})
                pipe.execute()
                job["tries"] = str(tries)
                return "taken", job
            except redis.WatchError:
                continue


class _Beat(threading.Thread):
    """Beat the job's heartbeat; end this process if one page takes longer than ``page_timeout``."""

    def __init__(self, client: Any, token: str, name: str, worker: str, every: float, page_timeout: float) -> None:
        super().__init__(daemon=True, name="docgen-heartbeat")
        self.client, self.token, self.name, self.worker = client, token, name, worker
        self.every, self.page_timeout = every, page_timeout
        self.page, self.pages, self.stage = 0, 0, "start"
        self.page_started = time.monotonic()
        self._stop = threading.Event()

    def on_page(self, i: int, total: int, stage: str) -> None:
        """The extraction's page hook: a new page (or the QR pass over the pages) restarts the page's clock."""
        phase = "qr" if stage == "qr" else "read"
        if (i, phase) != (self.page, "qr" if self.stage == "qr" else "read"):
            self.page_started = time.monotonic()
        self.page, self.pages, self.stage = i, total, stage

    def stop(self) -> None:
        self._stop.set()

    def run(self) -> None:
        key = jobs.job_key(self.token)
        while not self._stop.wait(self.every):
            took = time.monotonic() - self.page_started
            if self.page_timeout > 0 and took > self.page_timeout:
                reason = f"第 {self.page + 1} 页超过 {self.page_timeout:g} 秒仍未读完(识别进程已结束,重试)"
                try:
                    self.client.hset(key, mapping={"last_error": reason})
                finally:
                    jobs.record_error(self.client, self.worker, self.name, reason)
                    os.kill(os.getpid(), signal.SIGKILL)  # a page stuck in C code cannot be interrupted otherwise
            with contextlib.suppress(Exception):  # the broker is away: the archive side sees the silence, loses nothing
                self.client.hset(key, mapping={"heartbeat": server_time(self.client), "page": self.page + 1,
                                               "pages": self.pages, "stage": self.stage})


def run_job(client: Any, token: str, spec: dict[str, Any], worker: str, *, ocr: OcrFn | None = None) -> Outcome:
    """Take, read and answer one job (what the Celery task runs in a worker process)."""
    name = str(spec.get("name", ""))
    lost = float(spec.get("lost_seconds", 30.0))
    state, job = take(client, token, worker, lost)
    if state != "taken":
        why = {"done": "已有识别结果", "gone": "已被归档端收回", "busy": f"{job.get('worker', '另一进程')} 正在识别"}[state]
        return Outcome(token, name, "gone" if state == "gone" else "skipped", why)
    tries, max_tries = int(job["tries"]), int(spec.get("max_tries", 3))
    if tries > max_tries:
        last = job.get("last_error") or "识别进程意外退出(可能内存不足,或文件使识别程序崩溃)"
        reason = (f"识别进程已尝试 {max_tries} 次都未能读完这个文件(最后一次:{last});"
                  "请检查文件(页数、清晰度),必要时重新扫描,再用 docgen ingest --retry 重试")
        answer(client, token, Extraction(str(spec["sha256"]), failure=reason, worker=worker))
        jobs.record_error(client, worker, name, reason)
        return Outcome(token, name, "poison", reason)
    if tries > 1:
        client.hset(jobs.job_key(token), mapping={"previous_error": job.get("last_error") or "识别进程意外退出"})
    data = client.get(jobs.file_key(token))
    if data is None:
        return Outcome(token, name, "gone", "文件已被归档端收回")
    folder = Path(tempfile.mkdtemp(prefix="docgen-worker-"))
    beat = _Beat(client, token, name, worker, max(0.5, lost / 6), float(spec.get("page_timeout", 120.0)))
    try:
        path = folder / f"file{_suffix(name)}"
        path.write_bytes(data)
        digest = hashlib.sha256(data).hexdigest()
        del data
        if digest != spec["sha256"]:
            extraction = Extraction(digest, failure="文件经任务队列传输后内容不符(sha256 不一致);请重新放入收件箱")
        else:
            beat.start()
            extraction = extract_safely(path, ExtractOptions.from_dict(spec["options"]), ocr=ocr or engine_ocr,
                                        sha256=digest, on_page=beat.on_page, worker=worker)
    finally:
        beat.stop()
        shutil.rmtree(folder, ignore_errors=True)
    extraction.worker = worker
    answer(client, token, extraction)
    ocr_pages = sum(1 for t in extraction.texts if t is not None and t.origin != "text")
    record_done(client, worker, token, extraction.page_count, ocr_pages, extraction.seconds)
    if extraction.failure:
        jobs.record_error(client, worker, name, extraction.failure)
    detail = extraction.failure or (extraction.error[0] if extraction.error else "")
    return Outcome(token, name, "read", detail, extraction.page_count, ocr_pages, extraction.seconds)


def answer(client: Any, token: str, extraction: Extraction, *, patience: float = 120.0) -> None:
    """Write the result (first one wins) and mark the job done; retried while the broker is briefly away."""
    deadline = time.monotonic() + patience
    while True:
        try:
            pipe = client.pipeline()
            pipe.set(jobs.result_key(token), extraction.to_json(), nx=True, ex=jobs.TTL)
            pipe.hset(jobs.job_key(token), mapping={"state": "done", "finished": time.time()})
            pipe.execute()
            return
        except Exception:
            if time.monotonic() > deadline:
                raise  # the task fails; the archive side sees the silence and sends the job again
            time.sleep(2.0)


def record_done(client: Any, worker: str, token: str, pages: int, ocr_pages: int, seconds: float) -> None:
    """Add one reading to the worker's figures (pages per minute on the status page); never raises."""
    now = time.time()
    try:
        pipe = client.pipeline()
        pipe.zadd(jobs.done_key(worker), {f"{token}:{pages}:{ocr_pages}:{seconds}": now})
        pipe.zremrangebyscore(jobs.done_key(worker), 0, now - 3600)
        pipe.expire(jobs.done_key(worker), jobs.TTL)
        pipe.hincrby(jobs.worker_key(worker) + ":totals", "files", 1)
        pipe.hincrby(jobs.worker_key(worker) + ":totals", "pages", pages)
        pipe.expire(jobs.worker_key(worker) + ":totals", jobs.TTL)
        pipe.execute()
    except Exception:
        pass


def _suffix(name: str) -> str:
    """A harmless extension for the temporary copy (the format is recognised by content anyway)."""
    ext = Path(name).suffix.lower()
    return ext if ext in (".pdf", ".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".webp") else ".bin"
