"""Index updates in a process of their own, for a server whose requests must not queue behind a whoosh commit.

An incremental update is mostly pure Python (tokenizing, whoosh's segment
writer, sometimes a merge): in the web server's own process it held the GIL
for about a quarter of the server's time under a write load, and every
request thread waited behind it (a case save's p95 went from 70 ms to over
300 ms at 20 clients, docs/web.md).  :class:`UpdaterProcess` runs the same
:func:`docgen.search.api.refresh` in one long-lived child process instead;
the server's searcher only reopens the segments the child committed
(``searcher.up_to_date()``, cheap: the segment files are mapped, not read).

The child is started on the first update (a server nobody writes to never
starts it), with ``spawn`` (a fork of a threaded server is unsafe), and ends
with the server: it is told to stop, and it also stops by itself when its
pipe closes (the server killed).  A child that dies (killed, out of memory)
is noticed at the next update, which is retried once in a new child; the
index is derived and its journal position is committed with each batch, so
a killed update loses nothing: the next one starts where the last commit
left off.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import threading
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from docgen.errors import DocgenError, LockTimeout
from docgen.search.settings import SearchSettings

log = logging.getLogger("docgen.search")

STOP_SECONDS = 10.0
"""How long a stopping server waits for an update in progress before ending the child."""


class UpdaterGone(DocgenError):
    """The update process ended unexpectedly (killed, out of memory) twice in a row."""


class UpdaterProcess:
    """One child process that brings the index of one archive up to date when asked.

    Thread-safe: calls are taken one at a time (one refresher thread asks;
    a second caller waits its turn).
    """

    def __init__(self, root: Path, settings: SearchSettings, *, actor: str = "docgen-index") -> None:
        self.root = Path(root)
        self.settings = settings
        self.actor = actor
        self._ctx = multiprocessing.get_context("spawn")
        self._process: Any = None
        self._conn: Connection | None = None
        self._guard = threading.Lock()
        self._closed = False
        self.starts = 0
        """How many children were started (1 normally; more after a child died)."""

    @property
    def pid(self) -> int | None:
        """The running child's process id (None before the first update or after close)."""
        return self._process.pid if self._process is not None and self._process.is_alive() else None

    def update(self, timeout: float) -> int | None:
        """Index what changed; the journal seq the index reached, or None when another writer held the index.

        ``timeout`` is how long the child waits for the index's writer lock.
        Raises :class:`DocgenError` with the child's Chinese message when the
        update failed, :class:`UpdaterGone` when the child died twice running.
        """
        return self._ask("update", timeout)

    def rebuild(self, reason: str) -> int | None:
        """Rebuild the index from the whole archive (a damaged one: an update cannot mend it); the seq reached.

        Waits for the index's writer lock as long as ``[search] lock_timeout``
        says; None when this updater was closed meanwhile.
        """
        return self._ask("rebuild", reason)

    def _ask(self, kind: str, argument: float | str) -> int | None:
        with self._guard:
            for attempt in (1, 2):
                if self._closed:
                    return None
                conn = self._ensure()
                try:
                    conn.send((kind, argument))
                    reply = conn.recv()
                except (EOFError, OSError) as exc:
                    code = self._reap()
                    if self._closed:
                        return None
                    if attempt == 2:
                        raise UpdaterGone(f"检索索引更新进程意外退出(退出码 {code}),重启后再次退出") from exc
                    log.warning("检索索引更新进程意外退出(退出码 %s),已重新启动", code)
                    continue
                return _answer(reply)
        return None  # pragma: no cover - the loop returns or raises

    def close(self, wait: float = STOP_SECONDS) -> None:
        """Stop the child after the update in progress (at most ``wait`` seconds, then end it); later updates do nothing.

        Ending it mid-update loses nothing: the index is derived, its writer
        locks go with the process, and the next update starts from the
        journal position of the last commit.
        """
        self._closed = True
        if not self._guard.acquire(timeout=wait):  # a long update (a rebuild): end its process
            process = self._process
            if process is not None:
                process.terminate()  # the caller waiting for its answer sees the pipe close and reaps it
            return
        try:
            conn, process = self._conn, self._process
            self._conn = self._process = None
        finally:
            self._guard.release()
        if conn is not None:
            with contextlib.suppress(OSError, EOFError, ValueError):
                conn.send(("stop", 0))
            with contextlib.suppress(OSError):
                conn.close()
        if process is not None:
            process.join(max(wait, 1.0))
            if process.is_alive():
                process.terminate()
                process.join(STOP_SECONDS)

    def _ensure(self) -> Connection:
        if self._conn is not None and self._process is not None and self._process.is_alive():
            return self._conn
        if self._process is not None:  # died between updates (killed, out of memory)
            log.warning("检索索引更新进程已退出(退出码 %s),已重新启动", self._process.exitcode)
        self._reap()
        ours, theirs = self._ctx.Pipe()
        process = self._ctx.Process(target=serve, args=(theirs, str(self.root), self.settings, self.actor),
                                    name="docgen-index-updater", daemon=True)
        process.start()
        theirs.close()
        self._conn, self._process = ours, process
        self.starts += 1
        return ours

    def _reap(self) -> int | None:
        """Forget a dead child; its exit code (None if there was none)."""
        conn, process = self._conn, self._process
        self._conn = self._process = None
        if conn is not None:
            with contextlib.suppress(OSError):
                conn.close()
        if process is None:
            return None
        process.join(1.0)
        if process.is_alive():
            process.terminate()
            process.join(1.0)
        return process.exitcode


def _answer(reply: tuple[Any, ...]) -> int | None:
    kind, value = reply[0], reply[1]
    if kind == "ok":
        return int(value)
    if kind == "busy":
        return None
    if kind == "lock":  # the holder's details for the log, the brief one for a page
        raise LockTimeout(str(value), brief=str(reply[2]))
    raise DocgenError(str(value))


def serve(conn: Connection, root: str, settings: SearchSettings, actor: str) -> None:
    """The child's loop: one update per request, until told to stop or the server's end of the pipe closes."""
    import signal

    from docgen.archive.store import Archive
    from docgen.search.api import open_index, refresh

    # the server's own log format (stderr is the server's); without it the child's errors came unformatted
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s[索引更新进程]: %(message)s")
    # a rebuild with [search] procs > 1 starts worker processes of its own (whoosh's MpWriter), which a
    # daemonic process may not; the child still ends with the server (its pipe closes), and on SIGTERM
    # (the server stopping mid-rebuild) it ends those workers first, so none is left behind
    multiprocessing.current_process().daemon = False
    signal.signal(signal.SIGTERM, _end_with_workers)
    archive = Archive(Path(root), actor=actor)
    while True:
        try:
            kind, argument = conn.recv()
        except (EOFError, OSError):
            return  # the server is gone
        if kind == "stop":
            return
        try:
            if kind == "rebuild":
                stats = open_index(settings, archive).folder.rebuild(None, reason=str(argument))  # type: ignore[attr-defined]
            else:
                stats = refresh(archive, settings, timeout=float(argument))
            reply: tuple[Any, ...] = ("busy", None) if stats is None else ("ok", stats.seq)
        except LockTimeout as exc:
            reply = ("lock", str(exc), exc.brief)
        except DocgenError as exc:
            reply = ("error", str(exc))
        except Exception as exc:  # the index is derived: report, and keep serving the next request
            log.error("检索索引更新出错", exc_info=exc)
            reply = ("error", "检索索引更新出错(详见服务器日志)")
        try:
            conn.send(reply)
        except (OSError, ValueError):
            return


def _end_with_workers(signum: int, frame: Any) -> None:
    """SIGTERM in the child: end a rebuild's worker processes, then this one (what a killed update loses is redone)."""
    for worker in multiprocessing.active_children():
        worker.terminate()
    os._exit(128 + signum)


__all__ = ["UpdaterGone", "UpdaterProcess", "serve"]
