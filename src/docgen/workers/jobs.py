"""What docgen keeps in Redis beside Celery's queue: jobs, file bytes, results, workers' figures.

Celery delivers each job at least once (acknowledged late, put back when a
worker process dies, restored after the visibility timeout).  These keys make
the work happen effectively once and let the archive side supervise it:

``docgen:job:<token>`` (hash)
    state (queued | running | done), the file's name and size, who holds it
    (worker, host, pid), its heartbeat, the page being read, tries so far, the
    last error.  A worker takes a job only if nobody alive holds it.
``docgen:file:<token>``
    the file's bytes (sent through the broker: workers need nothing but it).
``docgen:result:<token>``
    the :class:`~docgen.ingest.extract.Extraction` as JSON; written with
    ``SET NX``: the first result wins, a second reading of the same job is dropped.
``docgen:jobs`` (set)
    the tokens the archive side waits for (for the status page).
``docgen:worker:<name>`` (hash, expires)
    a live worker: host, pid, processes, started, last seen.
``docgen:done:<name>`` (sorted set)
    the worker's readings of the last hour (for pages per minute).
``docgen:errors`` (list)
    the last 50 errors: timeouts, crashes, files that stopped every try.
"""

from __future__ import annotations

import json
import os
import socket
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

QUEUE = "docgen-extract"
"""Celery's queue (a Redis list of that name)."""
PREFIX = "docgen:"
JOBS = PREFIX + "jobs"
ERRORS = PREFIX + "errors"
TTL = 2 * 24 * 3600
"""Seconds a job, its bytes and its result are kept in Redis when nobody collects them."""
HOSTNAME_FALLBACK = socket.gethostname()
WORKER_BEAT = 5.0
"""Seconds between a worker's 'I am alive' (its key expires after three missed ones)."""


def default_name() -> str:
    """A worker's name when none is given: its process id (the host is added by Celery's ``name@host``)."""
    return str(os.getpid())


def job_key(token: str) -> str:
    """The job's state hash."""
    return f"{PREFIX}job:{token}"


def file_key(token: str) -> str:
    """The job's file bytes."""
    return f"{PREFIX}file:{token}"


def result_key(token: str) -> str:
    """The job's extraction result (JSON)."""
    return f"{PREFIX}result:{token}"


def worker_key(name: str) -> str:
    """A live worker's record."""
    return f"{PREFIX}worker:{name}"


def done_key(name: str) -> str:
    """A worker's readings of the last hour."""
    return f"{PREFIX}done:{name}"


def shown_url(url: str) -> str:
    """The broker's address without its password (for messages and logs)."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
        path = parts.path if parts.path not in ("", "/") else ""
        return f"{parts.scheme}://{host}{port}{path}" if host else url.split("@")[-1]
    except ValueError:
        return "(地址无法解析)"


def connect(url: str, *, timeout: float = 3.0) -> Any:
    """A Redis client for ``url`` whose every call gives up after ``timeout`` seconds (never waits forever)."""
    import redis

    return redis.Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=min(timeout, 2.0),
                                health_check_interval=30)


def decoded(raw: dict[Any, Any]) -> dict[str, str]:
    """A hash as text keys and values."""
    return {(k.decode() if isinstance(k, bytes) else str(k)): (v.decode() if isinstance(v, bytes) else str(v))
            for k, v in raw.items()}


def record_error(client: Any, worker: str, name: str, reason: str) -> None:
    """Keep one of the last 50 errors (for the status page); never raises."""
    try:
        entry = json.dumps({"time": time.time(), "worker": worker, "name": name, "reason": reason}, ensure_ascii=False)
        pipe = client.pipeline()
        pipe.lpush(ERRORS, entry)
        pipe.ltrim(ERRORS, 0, 49)
        pipe.execute()
    except Exception:  # the status page loses a line; the job's own record keeps the reason
        pass


def scan_keys(client: Any, pattern: str) -> Iterator[str]:
    """Keys matching ``pattern`` (SCAN, never KEYS: the broker stays responsive)."""
    for key in client.scan_iter(match=pattern, count=200):
        yield key.decode() if isinstance(key, bytes) else str(key)
