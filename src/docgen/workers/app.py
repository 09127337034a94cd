"""The Celery application: one queue, one task (read a file), and how a worker is started.

Configuration, each for a failure the issue names:

- ``task_acks_late``: a message is acknowledged when its job has been answered,
  not when it was received, so a worker that dies mid-way has not consumed it;
- ``task_reject_on_worker_lost``: when a pool process dies (SIGKILL, the OOM
  killer, our own page timeout) its message goes back to the queue at once
  instead of being acknowledged as failed;
- ``worker_prefetch_multiplier = 1`` and one job per pool process: a worker
  holds no jobs it is not reading (another worker can take them), and OCR's
  onnxruntime threads have the process to themselves;
- the prefork pool, not ``solo``: the parent survives its child's death
  (and the page timeout's SIGKILL) and starts a fresh child;
- the visibility timeout (a job's message comes back if its whole worker
  vanished, parent included) is an hour: long enough for any file; a silent
  job is sent again much sooner by the archive side (``worker_lost_seconds``);
- no result backend: results are written back under the job's own key with
  ``SET NX`` (``task.py``), which is what makes a job read twice filed once;
- JSON only (no pickle: a message from the broker never runs code).
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Callable
from typing import Any

from docgen.workers import jobs

_APPS: dict[str, Any] = {}
_CLIENTS: dict[tuple[str, int], Any] = {}
_LOCK = threading.Lock()
OnOutcome = Callable[[Any], None]
_on_outcome: list[OnOutcome] = []


def client_for(url: str) -> Any:
    """This process's Redis client for ``url`` (a forked pool process makes its own)."""
    key = (url, os.getpid())
    with _LOCK:
        if key not in _CLIENTS:
            _CLIENTS[key] = jobs.connect(url, timeout=10.0)
        return _CLIENTS[key]


def make_app(url: str) -> Any:
    """The Celery application on broker ``url`` (one per process and URL)."""
    with _LOCK:
        if url in _APPS:
            return _APPS[url]
        from celery import Celery

        app = Celery("docgen", broker=url, set_as_current=False)
        app.conf.update(
            task_acks_late=True,
            task_reject_on_worker_lost=True,
            task_acks_on_failure_or_timeout=True,
            worker_prefetch_multiplier=1,
            task_default_queue=jobs.QUEUE,
            task_serializer="json",
            accept_content=["json"],
            task_ignore_result=True,
            broker_transport_options={"visibility_timeout": 3600, "socket_timeout": 5, "socket_connect_timeout": 3},
            broker_connection_timeout=3,
            broker_connection_retry_on_startup=True,
            broker_connection_max_retries=None,
            worker_hijack_root_logger=False,
            worker_redirect_stdouts=False,
            worker_send_task_events=False,
            worker_enable_remote_control=False,
        )

        @app.task(name="docgen.extract", bind=True, acks_late=True, reject_on_worker_lost=True, ignore_result=True)
        def extract_task(self: Any, token: str, spec: dict[str, Any]) -> None:
            from docgen.workers.task import run_job

            outcome = run_job(client_for(url), token, spec, str(self.request.hostname or jobs.HOSTNAME_FALLBACK))
            for callback in list(_on_outcome):
                callback(outcome)

        _APPS[url] = app
        return app


def send(app: Any, token: str, spec: dict[str, Any]) -> None:
    """Put one job on the queue (raises kombu's OperationalError, or OSError, if the broker cannot be reached)."""
    app.send_task("docgen.extract", args=[token, spec], queue=jobs.QUEUE, retry=False,
                  task_id=f"{token}.{int(time.time() * 1000)}")


def run_worker(url: str, *, processes: int = 1, name: str | None = None, on_outcome: OnOutcome | None = None,
               on_ready: Callable[[str], None] | None = None, say: Callable[[str], None] | None = None,
               loglevel: str = "ERROR") -> None:
    """Run a worker in the foreground until it is stopped (Ctrl+C / SIGTERM: warm shutdown, jobs finished or put back).

    ``processes`` pool processes each read one file at a time; ``on_outcome``
    is called in the pool process with each job's :class:`~docgen.workers.task.Outcome`.
    """
    import warnings

    import celery.apps.worker as celery_worker
    from celery import signals
    from celery.exceptions import SecurityWarning

    app = make_app(url)
    # Celery's own words at start and stop are English; the caller's ``say`` tells them in Chinese instead
    warnings.filterwarnings("ignore", category=SecurityWarning)  # root in a container: JSON only, nothing to unpickle
    words = {"Warm": "正在停止:正在识别的文件先识别完(再按一次 Ctrl+C 立即停止,文件退回队列)…",
             "Cold": "立即停止:正在识别的文件退回队列,由其他识别进程重试"}

    def safe_say(msg: str, f: Any = None) -> None:
        how = next((w for w in words if w in msg), None)
        if say is not None:
            say(words[how] if how else msg)

    celery_worker.safe_say = safe_say
    if on_outcome is not None:
        _on_outcome.append(on_outcome)
    hostname = f"docgen-{name or jobs.default_name()}@{jobs.HOSTNAME_FALLBACK}"
    stop = threading.Event()

    def beat(record: dict[str, Any]) -> None:
        client = jobs.connect(url)
        while not stop.is_set():
            try:
                pipe = client.pipeline()
                pipe.hset(jobs.worker_key(hostname), mapping={**record, "seen": time.time()})
                pipe.expire(jobs.worker_key(hostname), int(jobs.WORKER_BEAT * 3))
                pipe.execute()
            except Exception:  # the broker is away; Celery reconnects and so do we
                pass
            stop.wait(jobs.WORKER_BEAT)

    def ready(**_kw: Any) -> None:
        record = {"host": jobs.HOSTNAME_FALLBACK, "pid": os.getpid(), "processes": processes, "started": time.time()}
        threading.Thread(target=beat, args=(record,), daemon=True, name="docgen-worker-beat").start()
        if on_ready is not None:
            on_ready(hostname)

    signals.worker_ready.connect(ready, weak=False)
    worker = app.Worker(
        hostname=hostname, pool_cls="prefork", concurrency=processes, queues=[jobs.QUEUE], loglevel=loglevel,
        quiet=True, without_gossip=True, without_mingle=True, without_heartbeat=True, optimization="fair",
        max_tasks_per_child=None,
    )
    try:
        worker.start()
    finally:
        stop.set()
        with contextlib.suppress(Exception):
            jobs.connect(url).delete(jobs.worker_key(hostname))
