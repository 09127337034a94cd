"""What part 2's pages share besides the login sessions: the case board, jobs, the watcher, the index refresher.

One :class:`Background` per application (``WebState.work``):

- the **case board** (:class:`docgen.services.worklists.CaseBoard`): the work
  lists' summaries of every case, kept current from the journal; warmed at
  start so the first 我的工作 page and every case lookup by id are quick;
- the **jobs** (:mod:`docgen.web.jobs`): paperwork and uploads in the background;
- the **ingest catalog** shared by every upload, review filing and the
  watcher (its first refresh reads every record; later ones only what changed);
- the **inbox watcher** (``[web] watch``): the same watcher as ``docgen
  watch``, in a thread of ``docgen serve``; two watchers on one inbox are
  safe (files are claimed by atomic rename), so a ``docgen watch`` beside the
  server is fine.  Each result goes to the results log the ingest page reads;
- the **index refresher**: after any write (a case saved, a scan filed, or a
  ``docgen watch`` / CLI in another process moving the journal) the search
  index is brought up to date in this one thread, woken at once by a write of
  this server and within a second by another process's.  Searches answer
  from the index as it is meanwhile (``catch_up=False``), so no request pays
  for an update and no search queues behind one (about a second of whoosh
  commit on 20,000 households: docs/web.md).  A user's own writes are never
  missing from their next search: :meth:`Background.wait_indexed` holds the
  next search of the same browser (login session; :data:`WRITER`) until the
  refresher has indexed past its last write (a few seconds at most, then it
  answers with a note).  Keyed by browser, not by user: colleagues sharing
  one account do not wait for each other's writes.  With whoosh the update
  itself runs in a child process (:mod:`docgen.search.updater`, ``[web]
  index_process``): in this process its commits held the GIL a quarter of
  the time, and every request waited behind them.

Threads start with the application's lifespan (``docgen serve``, the
threaded test server, the bench) and stop with it; an application made
without a lifespan (the HTTP test client) starts none of them.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections import OrderedDict, deque
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from docgen.errors import DocgenError, LockTimeout
from docgen.services.intake import ResultLog, recover_uploads
from docgen.services.worklists import CaseBoard
from docgen.session import Workspace
from docgen.web.jobs import Jobs
from docgen.web.settings import WebSettings

log = logging.getLogger("docgen.web")

WRITER: ContextVar[str | None] = ContextVar("docgen_web_writer", default=None)
"""The login session (or API token) a request or a job writes for; set by the routing layer."""
WRITERS_KEPT = 10_000
"""Browsers whose last write is remembered (the oldest forgotten first: their writes are long indexed)."""
UPDATE_INTERVAL = 0.5
"""At most two index updates a second: each is a whoosh commit (a new segment, sometimes a merge), so a
burst of writes is taken in by one; searches see others' writes within about a second all the same."""
POLL_SECONDS = 1.0
"""How often the refresher looks at the journal's end for another process's writes."""
STOP_UPDATE_SECONDS = 3.0
"""How long a stopping server lets an index update finish before ending its process (a rebuild is not waited for)."""
MAX_BACKOFF_SECONDS = 300.0
"""The longest wait between index updates that keep failing (an index that cannot be built, say)."""
READ_YOUR_WRITES_SECONDS = 5.0
"""How long a user's search waits for the index to take in their own last write."""


@dataclass
class WatcherStatus:
    """The server's own inbox watcher: whether it runs, since when, what it did last."""

    enabled: bool = False
    running: bool = False
    started: float | None = None
    last_tick: float | None = None
    processed: int = 0
    failed: int = 0
    error: str = ""
    recent: deque[dict[str, Any]] = field(default_factory=lambda: deque(maxlen=50))


class Background:
    """The case board, the jobs, the shared ingest catalog, the watcher and the index refresher of one app."""

    def __init__(self, workspace: Workspace, settings: WebSettings) -> None:
        self.workspace = workspace
        self.settings = settings
        self.board = CaseBoard(workspace.archive)
        self.jobs = Jobs(settings.jobs)
        self.results = ResultLog(workspace.config.ingest)
        self.watcher = WatcherStatus(enabled=settings.watch)
        self._catalog: Any = None
        self._catalog_guard = threading.Lock()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._indexed = threading.Condition()
        self.indexed_seq = 0
        """The journal sequence number the index reflects, as far as the refresher knows."""
        self.refreshing = False
        """True while the refresher thread runs: then searches need not catch the index up themselves."""
        self._wake = threading.Event()
        self.last_write: OrderedDict[str, int] = OrderedDict()
        """Per browser (:data:`WRITER`), the sequence number of its last journal entry that changed files."""
        self._writes_guard = threading.Lock()
        self._gave_up: dict[str, int] = {}
        """Per browser, the write a search already waited for in vain (the next searches do not wait again)."""
        self.index_error = ""
        """Why the last index update failed ('' after a good one): shown on the 收件 page until one succeeds."""
        self.index_checked: float | None = None
        """When the refresher last found the index current (time.time())."""
        self._updater: Any = None
        """The index update process (:mod:`docgen.search.updater`), when ``[web] index_process`` and whoosh."""
        self._rebuild: tuple[str, str | None] | None = None
        """Set by a search that found the index unusable: why, and the generation then in use (rebuilt next)."""
        self.rebuilding = False
        """True while the update process rebuilds the index (the 收件 page says so)."""
        self._failures = 0
        """Index updates that failed in a row (the refresher waits longer after each)."""
        self._outcome = "ok"
        """How the last update ended: ok, busy (another writer held the index: no backoff), failed."""

    def _note_entry(self, entry: Any) -> None:
        """A journal entry of this server: remember which browser wrote it, wake the refresher if it changed files."""
        if not entry.files:
            return
        writer = WRITER.get()
        if writer is not None:
            with self._writes_guard:
                self.last_write[writer] = entry.seq
                self.last_write.move_to_end(writer)
                while len(self.last_write) > WRITERS_KEPT:
                    self.last_write.popitem(last=False)
        self._wake.set()

    @property
    def catalog(self) -> Any:
        """The ingest catalog every pipeline of this server shares (made on first use)."""
        if self._catalog is None:
            with self._catalog_guard:
                if self._catalog is None:
                    from docgen.ingest.identify import Catalog

                    self._catalog = Catalog(self.workspace.archive.root)
        return self._catalog

    # -- lifespan ------------------------------------------------------------------------------
    def start(self) -> None:
        """Start the threads (case board warm-up, index refresher, watcher when enabled)."""
        self._stop.clear()
        if self._note_entry not in self.workspace.archive.listeners:
            self.workspace.archive.listeners.append(self._note_entry)
        self._spawn("docgen-board", self._warm)
        if self.settings.index_process and self.workspace.config.search.engine == "whoosh":
            from docgen.search.updater import UpdaterProcess

            # its own process: a whoosh commit in this one held the GIL every request thread waits for
            self._updater = UpdaterProcess(self.workspace.archive.root, self.workspace.config.search)
        self._spawn("docgen-index", self._refresh_index)
        if self.settings.watch:
            self._spawn("docgen-watch", self._watch)

    def stop(self) -> None:
        """Stop the threads and let running jobs finish."""
        self._stop.set()
        self._wake.set()
        with contextlib.suppress(ValueError):  # an application made again on this workspace adds its own
            self.workspace.archive.listeners.remove(self._note_entry)
        if self._updater is not None:  # first: a rebuild in progress must not hold up the server's exit for minutes
            self._updater.close(wait=STOP_UPDATE_SECONDS)
        for t in self._threads:
            t.join(timeout=15)
        self._threads.clear()
        self._updater = None
        self.jobs.close()

    def _spawn(self, name: str, target: Any) -> None:
        t = threading.Thread(target=target, name=name, daemon=True)
        t.start()
        self._threads.append(t)

    def _warm(self) -> None:
        started = time.monotonic()
        try:
            self.board.refresh()
        except DocgenError as exc:
            log.warning("案件汇总未能建立:%s", exc)
        else:  # the bench waits for this line: the server's start-up work is done
            log.info("案件汇总已建立(%d 份档案,%.1f 秒)", self.board.dossiers, time.monotonic() - started)
        with contextlib.suppress(DocgenError, OSError):
            moved = recover_uploads(self.workspace.config.ingest)
            if moved:
                log.info("上次中断的上传 %d 个文件已放回收件箱", len(moved))

    def _refresh_index(self) -> None:
        """Keep the index current: at once after this server's writes, within a second after another process's.

        The thread never dies of an error (a derived index is not worth a
        server without search): it logs it, says it on the 收件 page, and
        tries again later, waiting twice as long after each failure in a row
        (at most :data:`MAX_BACKOFF_SECONDS`), so an index that cannot be
        built does not keep the update process rebuilding without end.
        """
        seen = -1  # the first pass catches up whatever the index missed while no server ran
        last_update = 0.0
        self.refreshing = True
        try:
            while not self._stop.is_set():
                try:
                    seen, last_update = self._refresh_once(seen, last_update)
                except Exception as exc:  # a bug here must not end search for the rest of the server's life
                    log.error("检索索引更新出错: %s", type(exc).__name__, exc_info=exc)
                    self.index_error = "检索索引更新出错(详见服务器日志)"
                    self._failed()
        finally:
            self.refreshing = False
            self._indexed_to(self.indexed_seq)  # wake anyone waiting: searches catch up themselves again

    def _refresh_once(self, seen: int, last_update: float) -> tuple[int, float]:
        """One turn of the refresher: wait for a write or the poll, then update (or rebuild) if there is work."""
        from docgen.search.journalscan import end_position

        journal = self.workspace.archive.journal
        woken = self._wake.wait(POLL_SECONDS)
        if self._stop.is_set():
            return seen, last_update
        try:
            end = end_position(journal).seq
            quiet = seen >= 0 and not any(e.files for e in journal.entries(seen))
        except (OSError, ValueError, DocgenError) as exc:  # a journal being repaired: try again later
            log.warning("检索索引更新:日志暂时无法读取(稍后重试):%s", exc)
            self._stop.wait(POLL_SECONDS)
            return seen, last_update
        if not woken and end == seen and self._rebuild is None:
            return seen, last_update
        wait = last_update + UPDATE_INTERVAL - time.monotonic()
        if wait > 0 and self._stop.wait(wait):  # a burst of writes goes into one commit
            return seen, last_update
        self._wake.clear()
        if quiet and self._rebuild is None and self._has_index():
            self._indexed_to(end)  # logins, reveals, exports: nothing for the index to learn
            self.index_checked = time.time()
            return end, last_update
        last_update = time.monotonic()
        done = self._update_index()
        if done is None:  # busy, failed, or stopping: try again at the next wake-up or poll
            if self._outcome == "failed":
                self._failed()
            else:  # another writer busy: not a failure (no backoff, the last error stays shown until one succeeds)
                self._stop.wait(POLL_SECONDS)
            return seen, last_update
        self._failures = 0
        self._indexed_to(done)
        self.index_error, self.index_checked = "", time.time()
        return done, last_update

    def _failed(self) -> None:
        """Wait before the next attempt: twice as long after each failure in a row."""
        self._failures += 1
        self._stop.wait(min(POLL_SECONDS * 2 ** min(self._failures, 10), MAX_BACKOFF_SECONDS))
        self._wake.set()  # then try again, even if nothing was written meanwhile

    def _has_index(self) -> bool:
        try:
            return self.workspace.engine().has_index()
        except (DocgenError, OSError):
            return False

    def request_rebuild(self, reason: str) -> None:
        """A search found the index unusable: have the refresher rebuild it, in the update process.

        Every unusable index is rebuilt, not only a damaged one: an update
        runs only after a write, and an index switched to one that cannot be
        opened (another docgen version's rebuild) must not wait for one.  The
        generation in use is remembered: if another process switches to a new
        one meanwhile, that one is tried instead of rebuilding again.
        """
        if self._rebuild is None:
            engine = self.workspace.engine()
            folder = getattr(engine, "folder", None)
            self._rebuild = (reason, folder.current_name if folder is not None else None)
            log.warning("检索索引不可用(%s):后台重建", reason)
        self._wake.set()

    def _update_index(self) -> int | None:
        """One update; the journal seq it reached, or None (another writer busy, an error: then ``index_error``).

        The update builds the index when there is none (a new install) and
        rebuilds it when it is outdated (a new docgen version) or its files
        fail while being read; a search that found the index unusable asks
        for a rebuild (:meth:`request_rebuild`).  In the update process, so
        the server answers meanwhile; searches say the index is being rebuilt
        rather than rebuild it in a request.
        """
        from docgen.search.api import refresh
        from docgen.web.forms import user_message

        self._outcome = "failed"
        try:
            if self._rebuild is not None:
                seq = self._rebuild_now(*self._rebuild)
                if seq is not None:
                    self._rebuild = None
            elif self._updater is not None:
                seq = self._updater.update(timeout=2.0)
            else:
                stats = refresh(self.workspace.archive, self.workspace.config.search, timeout=2.0)
                seq = None if stats is None else stats.seq
            self._outcome = "ok" if seq is not None else "busy"
            return seq
        except LockTimeout as exc:  # another writer, beyond the wait: not a failure, try again soon
            self._outcome = "busy"
            log.info("检索索引更新稍后再试:%s", exc)
        except DocgenError as exc:
            log.warning("检索索引更新失败(稍后重试):%s", exc)
            self.index_error = user_message(exc)
        except Exception as exc:  # the index is derived: never stop refreshing over one error
            log.error("检索索引更新出错: %s", type(exc).__name__, exc_info=exc)
            self.index_error = "检索索引更新出错(详见服务器日志)"
        return None

    def _rebuild_now(self, reason: str, generation: str | None) -> int | None:
        """Rebuild the index (None when stopped meanwhile), unless another process has switched generations since."""
        engine = self.workspace.engine()
        folder = getattr(engine, "folder", None)
        current = folder.current_name if folder is not None else None
        if current is not None and current != generation:  # rebuilt elsewhere: see whether that one is usable
            log.info("检索索引已由另一进程换为 %s,不再重建", current)
            self._rebuild = None
            return self._update_index()
        self.rebuilding = True
        try:
            if self._updater is not None:
                return self._updater.rebuild(reason)
            return int(engine.rebuild().seq)
        finally:
            self.rebuilding = False

    def index_state(self) -> dict[str, Any]:
        """What the 收件 page says of the index: kept current here or not, being rebuilt, how far behind, the last failure."""
        from docgen.search.journalscan import end_position

        try:
            end = end_position(self.workspace.archive.journal).seq
        except (OSError, ValueError, DocgenError):
            end = self.indexed_seq
        process = self._updater.pid if self._updater is not None else None
        return {"running": self.refreshing, "seq": self.indexed_seq, "behind": max(0, end - self.indexed_seq),
                "error": self.index_error, "checked": self.index_checked, "process": process,
                "rebuilding": self.rebuilding or self._rebuild is not None or not self._has_index()}

    def _indexed_to(self, seq: int) -> None:
        with self._indexed:
            self.indexed_seq = max(self.indexed_seq, seq)
            self._indexed.notify_all()

    def wait_indexed(self, writer: str | None, timeout: float = READ_YOUR_WRITES_SECONDS) -> bool:
        """Wait until the index reflects the last write of browser ``writer``; False if it did not in time.

        Others' writes may be a second behind in a search; the browser's own
        (a case just saved, a scan just filed) are not.
        """
        seq = self.last_write.get(writer, 0) if writer is not None else 0
        if not self.refreshing or seq <= self.indexed_seq:
            return True
        if writer is not None and self._gave_up.get(writer) == seq:
            return False  # waited for this write once already (a page of several searches waits once)
        self._wake.set()
        deadline = time.monotonic() + timeout
        with self._indexed:
            while self.refreshing and self.indexed_seq < seq:
                left = deadline - time.monotonic()
                if left <= 0:
                    if writer is not None:
                        self._gave_up[writer] = seq
                    return False
                self._indexed.wait(left)
        return True

    def _watch(self) -> None:
        from docgen.ingest.pipeline import Pipeline
        from docgen.ingest.watcher import Watcher

        status = self.watcher
        config = self.workspace.config.ingest
        try:
            config.inbox.mkdir(parents=True, exist_ok=True)
            with Pipeline(self.workspace.archive, config) as pipeline:
                pipeline.catalog = self.catalog

                def on_result(result: Any) -> None:
                    status.last_tick = time.time()
                    if result.status == "skipped":
                        return
                    status.processed += 1
                    if result.status == "failed":
                        status.failed += 1
                    self.results.append(result, who=self.workspace.archive.actor, via="收件箱(网页端监视)")
                    status.recent.appendleft(result.as_dict())

                watcher = Watcher(pipeline, on_result=on_result, on_skip=on_result)
                status.running, status.started = True, time.time()
                watcher.run(self._stop)
        except DocgenError as exc:
            status.error = str(exc)
            log.error("收件箱监视未能启动:%s", exc)
        except Exception as exc:
            status.error = "收件箱监视意外停止(详见服务器日志);重启 docgen serve 或另行运行 docgen watch"
            log.error("收件箱监视出错: %s", type(exc).__name__, exc_info=exc)
        finally:
            status.running = False
