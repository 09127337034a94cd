"""Extraction workers: the ingest pipeline's reading (QR codes, text layers, OCR) on a Celery queue over Redis.

Why: OCR costs about 2.6 s per page on one core; a developer group's season
of signed paper is hours of it, and it is the first thing that outgrows one
machine.  Reading a file is a pure function of its bytes
(:mod:`docgen.ingest.extract`), so it can run anywhere; filing needs the
archive's single writer and stays where the archive is.

- ``app.py``: the Celery application (acks late, rejected back to the queue
  when a worker process dies, one task per process at a time) and its one task;
- ``jobs.py``: what lives in Redis beside Celery's queue: each job's state and
  heartbeat, the file's bytes, the result, the workers' figures;
- ``task.py``: what a worker does with a job (take it once, read it with a
  timeout per page, write the result back, first one wins);
- ``queue.py``: the archive side (:class:`QueueExtractor`): send, supervise,
  collect; never waits forever;
- ``status.py``: the queue as people see it (waiting, running, per-worker
  throughput, errors).

Celery is imported only here: no other command pays for it.
"""

from __future__ import annotations

from docgen.errors import ConfigError


def require() -> None:
    """Raise ConfigError (in Chinese) if the workers' libraries (the ``workers`` extra) are not installed.

    Why: celery and redis are optional (a single machine reads in-process);
    a missing one must be a sentence naming the install command, not an ImportError.
    """
    missing = []
    for module in ("celery", "redis"):
        try:
            __import__(module)
        except ImportError:
            missing.append(module)
    if missing:
        raise ConfigError(f"识别进程和任务队列需要 {'、'.join(missing)},尚未安装;请运行 ./setup.sh,"
                          "或 .venv/bin/pip install -e '.[workers]'(未设 [ingest] workers 时不需要它们)")
