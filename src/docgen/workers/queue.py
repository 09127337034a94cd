"""The archive side of the workers: send files to be read, watch over them, collect what was read.

:class:`QueueExtractor` is the pipeline's ``extractor`` when ``[ingest] workers``
names a broker (``docgen watch``, and the web application's watcher).  The
pipeline claims a file and checks it (sha256, duplicates) as always, hands it
here, and later files what :meth:`QueueExtractor.poll` returns; filing stays
in the archive's process, under its single writer.

**The file travels through the broker.**  Its bytes go under the job's key
(``docgen:file:<token>``); a worker needs nothing but the broker's address,
not the inbox's share, its paths or its locks.  Scans are a few MB; a file
larger than ``worker_max_mb`` is read in this process instead (it would make
the broker hold and copy that much for one job).  Shared storage was not
chosen: workers on other machines would need the inbox's share mounted at a
known path, readable while the archive side moves files in and out of it, and
the filing would have to trust that what the worker read is what it files.
With the bytes in the job, the worker checks their sha256 on arrival and the
archive side checks the claimed file against it again before filing.

**Never waits forever.**  Every call to the broker gives up after seconds.
While the broker cannot be reached, nothing is lost: files already claimed
wait in the processing area, files in the inbox stay there (``accepting`` is
false), and a notice says so; when it is back, jobs it lost (a restart
without persistence) are sent again.  A job whose worker has gone silent (its
heartbeat unchanged for ``worker_lost_seconds``: the whole worker killed, its
machine gone) is put back on the queue.  A job nobody has started after
``worker_wait_seconds`` while no worker is alive, or while the broker stays
away that long, is read in this process.  A file that stopped its worker
``worker_tries`` times comes back with a failure (``failed/`` with the reason).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from docgen.ingest.extract import Extraction, ExtractOptions
from docgen.ingest.settings import IngestSettings
from docgen.workers import jobs


@dataclass(slots=True)
class _Sent:
    token: str
    path: Path
    sha256: str
    options: ExtractOptions
    label: str
    submitted: float
    sent: bool = False
    seen_beat: str = ""
    seen_at: float = 0.0
    requeues: int = 0
    notes: set[str] = field(default_factory=set)


class QueueExtractor:
    """Send files to ``docgen worker`` processes through Redis and collect their extractions."""

    def __init__(self, settings: IngestSettings, *, clock: Callable[[], float] = time.monotonic) -> None:
        from docgen.workers import require

        require()
        from docgen.workers.app import make_app

        if not settings.workers:
            raise ValueError("[ingest] workers is not set")
        self.url = settings.workers
        self.shown = jobs.shown_url(self.url)
        self.settings = settings
        self.clock = clock
        self.client = jobs.connect(self.url, timeout=3.0)
        self.app = make_app(self.url)
        self.available = True
        self._jobs: dict[str, _Sent] = {}
        self._notices: list[str] = []
        self._last_poll = -1e18
        self._last_ping = -1e18
        self._down_since: float | None = None
        self._workers_seen: tuple[float, int] = (-1e18, 0)
        self._no_worker_note = -1e18
        self._withdraw_later: list[str] = []

    # -- the pipeline's Extractor protocol -------------------------------------------------
    def accepts(self, path: Path) -> bool:
        """True if the file is small enough to travel through the broker."""
        try:
            return path.stat().st_size <= self.settings.worker_max_mb * 1024 * 1024
        except OSError:
            return False

    def accepting(self, pending: int) -> bool:
        """True if the broker is reachable and fewer than ``worker_queue`` files are out.

        With nothing out, :meth:`poll` does not talk to the broker, so the
        broker is asked directly (a PING, at most once a second): a file is
        not claimed from the inbox while the queue is away, and the watcher
        hears that it is down (and back) though no job is waiting.
        """
        if pending == 0 or not self.available:
            now = self.clock()
            if now - self._last_ping >= 1.0:
                self._last_ping = now
                try:
                    self.client.ping()
                except Exception as exc:
                    self._down(exc)
                else:
                    self._up()
        return self.available and pending < self.settings.worker_queue

    def submit(self, token: str, path: Path, sha256: str, options: ExtractOptions, label: str) -> None:
        """Send a claimed file; if the broker cannot be reached it stays unsent and :meth:`poll` sends it later."""
        sent = _Sent(token, path, sha256, options, label, self.clock())
        self._jobs[token] = sent
        try:
            self._send(sent)
        except Exception as exc:
            self._down(exc)

    def poll(self) -> list[tuple[str, Extraction | None]]:
        """What was read since the last call (None: nobody took the file in time, read it here); never raises."""
        now = self.clock()
        if now - self._last_poll < 0.4 or not self._jobs:
            return []
        self._last_poll = now
        try:
            self._withdraw(self._withdraw_later)
            self._withdraw_later = []
            for sent in [s for s in self._jobs.values() if not s.sent]:
                self._send(sent)
            tokens = list(self._jobs)
            pipe = self.client.pipeline(transaction=False)
            for token in tokens:
                pipe.get(jobs.result_key(token))
                pipe.hgetall(jobs.job_key(token))
            values = pipe.execute()
        except Exception as exc:
            self._down(exc)
            return self._overdue(now, reachable=False)
        self._up()
        out: list[tuple[str, Extraction | None]] = []
        lost: list[_Sent] = []
        for i, token in enumerate(tokens):
            sent = self._jobs[token]
            raw, job = values[2 * i], jobs.decoded(values[2 * i + 1])
            if raw is not None:
                out.append((token, _parse(raw, sent.sha256)))
                continue
            state = job.get("state")
            if not job or state == "done":  # the broker lost it (restarted without persistence), or its answer expired
                lost.append(sent)
            elif state == "running":
                self._watch_running(sent, job, now)
        try:
            for sent in lost:
                self._send(sent)
            if lost:
                self._note(f"任务队列中有 {len(lost)} 个识别任务已丢失(任务队列可能重启过且未持久化),已重新送出")
        except Exception as exc:
            self._down(exc)
        out += self._overdue(now, reachable=True)
        done = [t for t, _ in out]
        for token in done:
            self._jobs.pop(token, None)
        with contextlib.suppress(Exception):
            self._withdraw(done)
        return out

    def drain_notices(self) -> list[str]:
        """What a person should be told since the last call (queue down, back, no worker, a worker lost)."""
        out, self._notices = self._notices, []
        return out

    def close(self) -> None:
        """Withdraw every job still out (a worker that gets one later finds it gone); the claimed files stay for the next run."""
        with contextlib.suppress(Exception):
            self._withdraw([*self._jobs, *self._withdraw_later])
        self._jobs.clear()
        with contextlib.suppress(Exception):
            self.client.close()

    # -- sending ---------------------------------------------------------------------------------
    def _send(self, sent: _Sent) -> None:
        from docgen.workers.app import send

        data = sent.path.read_bytes()
        spec = {
            "name": sent.label, "sha256": sent.sha256, "size": len(data), "options": sent.options.as_dict(),
            "max_tries": self.settings.worker_tries, "page_timeout": self.settings.page_timeout,
            "lost_seconds": self.settings.worker_lost_seconds,
        }
        key = jobs.job_key(sent.token)
        pipe = self.client.pipeline(transaction=True)
        pipe.hset(key, mapping={"state": "queued", "name": sent.label, "size": len(data), "submitted": time.time(),
                                "max_tries": self.settings.worker_tries})
        pipe.expire(key, jobs.TTL)
        pipe.set(jobs.file_key(sent.token), data, ex=jobs.TTL)
        pipe.sadd(jobs.JOBS, sent.token)
        pipe.execute()
        del data
        sent.sent = False
        send(self.app, sent.token, spec)
        sent.sent = True
        sent.seen_beat, sent.seen_at = "", self.clock()

    def _watch_running(self, sent: _Sent, job: dict[str, str], now: float) -> None:
        """A running job whose heartbeat has not changed for ``worker_lost_seconds`` goes back on the queue.

        Judged by this process's clock from the moment the heartbeat last
        changed, so the workers' clocks do not matter.
        """
        beat = job.get("heartbeat", "")
        if beat != sent.seen_beat:
            sent.seen_beat, sent.seen_at = beat, now
            return
        if now - sent.seen_at < self.settings.worker_lost_seconds:
            return
        import redis

        key = jobs.job_key(sent.token)
        with self.client.pipeline() as pipe:
            try:
                pipe.watch(key)
                current = jobs.decoded(pipe.hgetall(key))
                if current.get("state") != "running" or current.get("heartbeat", "") != beat:
                    return  # it moved meanwhile: a worker is at it
                pipe.multi()
                pipe.hset(key, mapping={"state": "queued", "last_error": current.get("last_error")
                                        or f"识别进程 {current.get('worker', '')} 已 {now - sent.seen_at:.0f} 秒无响应"})
                pipe.execute()
            except redis.WatchError:
                return
        sent.requeues += 1
        self._send(sent)
        self._note(f"识别进程 {current.get('worker', '?')} 已 {self.settings.worker_lost_seconds:g} 秒无响应(可能已停止),"
                   f"{sent.label} 已重新排队")

    def _overdue(self, now: float, *, reachable: bool) -> list[tuple[str, Extraction | None]]:
        """Jobs nobody started within ``worker_wait_seconds`` while no worker is alive (or the broker is away): read here."""
        wait = self.settings.worker_wait_seconds
        late = [s for s in self._jobs.values() if now - s.submitted >= wait]
        if not late:
            if reachable:
                self._say_if_no_worker(now)
            return []
        if reachable:
            if self._workers_alive(now) > 0:
                return []
            with contextlib.suppress(Exception):
                states = self.client.pipeline(transaction=False)
                for s in late:
                    states.hget(jobs.job_key(s.token), "state")
                late = [s for s, st in zip(late, states.execute(), strict=True) if st in (None, b"queued")]
        out: list[tuple[str, Extraction | None]] = []
        for sent in late:
            out.append((sent.token, None))
            self._jobs.pop(sent.token, None)
            self._withdraw_later.append(sent.token)
            self._note(f"{sent.label} 等待 {wait:g} 秒仍无识别进程接手"
                       + ("" if reachable else "(任务队列无法连接)") + ",改在本机识别")
        return out

    def _say_if_no_worker(self, now: float) -> None:
        if now - self._no_worker_note < 60 or self._workers_alive(now) > 0:
            return
        self._no_worker_note = now
        self._note(f"没有运行中的识别进程:{len(self._jobs)} 个文件在队列中等待识别;请在识别服务器上运行 "
                   f"docgen worker --broker {self.shown}({self.settings.worker_wait_seconds:g} 秒后仍无人接手的改在本机识别)")

    def _workers_alive(self, now: float) -> int:
        when, count = self._workers_seen
        if now - when < 5:
            return count
        try:
            count = sum(1 for k in jobs.scan_keys(self.client, jobs.worker_key("*")) if not k.endswith(":totals"))
        except Exception:
            count = 0
        self._workers_seen = (now, count)
        return count

    def _withdraw(self, tokens: list[str]) -> None:
        if not tokens:
            return
        pipe = self.client.pipeline(transaction=False)
        for token in tokens:
            pipe.delete(jobs.job_key(token), jobs.file_key(token), jobs.result_key(token))
            pipe.srem(jobs.JOBS, token)
        pipe.execute()

    # -- being told ------------------------------------------------------------------------------
    def _note(self, text: str) -> None:
        self._notices.append(text)

    def _down(self, exc: Exception) -> None:
        if self.available:
            self.available = False
            self._down_since = self.clock()
            out = len(self._jobs)
            self._note(f"任务队列 {self.shown} 无法连接({_reason(exc)});已取走的 {out} 个文件在处理区等待,"
                       "收件箱中的文件暂不取走,连接恢复后继续(文件不会丢失)")

    def _up(self) -> None:
        if not self.available:
            self.available = True
            away = self.clock() - (self._down_since or self.clock())
            self._note(f"任务队列 {self.shown} 已恢复连接(中断 {away:.0f} 秒),继续识别")


def _parse(raw: bytes, sha256: str) -> Extraction:
    try:
        return Extraction.from_json(raw)
    except (ValueError, KeyError, TypeError) as exc:
        return Extraction(sha256, failure=f"识别结果无法读取({exc});请用 docgen ingest --retry 重试")


def _reason(exc: Exception) -> str:
    text = str(exc).strip() or type(exc).__name__
    if "Connection refused" in text or "Error 111" in text:
        return "连接被拒绝,服务可能已停止"
    if "Timeout" in text or "timed out" in text:
        return "连接超时"
    return text[:120]


def extractor_for(settings: IngestSettings) -> QueueExtractor | None:
    """The workers' queue when ``[ingest] workers`` names a broker, else None (files are read in this process)."""
    return QueueExtractor(settings) if settings.workers else None


def status_of(settings: IngestSettings) -> Any:
    """The queue's status for ``[ingest] workers`` (see :func:`docgen.workers.status.queue_status`)."""
    from docgen.workers.status import queue_status

    return queue_status(settings.workers or "")
