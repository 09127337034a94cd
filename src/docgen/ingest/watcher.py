"""Watch an inbox and hand each file to the pipeline once it has stopped changing.

Events are only hints.  watchdog reports ``created`` while a scanner is still
writing (a slow 20 MB write: ``created`` after 0.01 s, ``closed`` after 3 s),
inotify sees nothing written by another machine to a network share, and events
can be missed.  So:

* the **native observer** (inotify, FSEvents, ReadDirectoryChangesW) or, with
  ``poll``, watchdog's ``PollingObserver`` for network shares, feeds names into
  a set of candidates;
* a **full rescan** of the inbox every ``rescan_interval`` seconds (and at
  start) adds anything the events missed;
* a candidate is claimed only when it is **stable**: size and mtime unchanged
  for ``stable_seconds`` and the file opens for reading.  When the observer
  saw the writer *close* the file (inotify's ``IN_CLOSE_WRITE``) or saw it
  *renamed* into the inbox (write-then-rename), the wait shrinks to
  ``closed_settle_seconds``: that is how a text PDF becomes searchable within
  a second of arrival.  Polling observers report neither, so network shares
  always get the full delay;
* temporary and hidden files are ignored (``areas.is_ignored``), and so is
  every sub-folder (the work areas live there);
* on start, files a killed run left in the processing area are finished first.

The clock and the sleep are injectable, so the stability rule is tested
without waiting.  Every file's result goes to ``on_result``; a bad file never
stops the loop (the pipeline puts it aside with a reason).
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from docgen.ingest.areas import is_ignored
from docgen.ingest.pipeline import FileResult, Pipeline


@dataclass(slots=True)
class _Track:
    size: int
    mtime_ns: int
    since: float
    closed: bool = False


class Watcher:
    """The inbox watcher: events + rescans → stability check → claim → pipeline."""

    def __init__(
        self,
        pipeline: Pipeline,
        *,
        poll: bool | None = None,
        stable_seconds: float | None = None,
        closed_settle_seconds: float | None = None,
        rescan_interval: float | None = None,
        poll_interval: float | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        on_result: Callable[[FileResult], None] | None = None,
    ) -> None:
        settings = pipeline.settings
        self.pipeline = pipeline
        self.inbox = settings.inbox
        self.poll = settings.poll if poll is None else poll
        self.stable_seconds = settings.stable_seconds if stable_seconds is None else stable_seconds
        self.closed_settle = settings.closed_settle_seconds if closed_settle_seconds is None else closed_settle_seconds
        self.rescan_interval = settings.rescan_interval if rescan_interval is None else rescan_interval
        self.poll_interval = settings.poll_interval if poll_interval is None else poll_interval
        self.clock = clock
        self.sleep = sleep
        self.on_result = on_result or (lambda _r: None)
        self._hints: set[str] = set()
        self._closed: set[str] = set()
        self._hints_lock = threading.Lock()
        self._tracks: dict[str, _Track] = {}
        self._unclaimable: dict[str, float] = {}  # name -> when claiming it failed (retried after a rescan interval)
        self._last_rescan: float | None = None
        self.observer: Any = None
        self.processed = 0

    # -- events ---------------------------------------------------------------
    def hint(self, path: str | os.PathLike[str], *, complete: bool = False) -> None:
        """Note that something happened to ``path`` (called from the observer's thread).

        ``complete``: the writer closed the file or renamed it into place, so a
        short settle replaces the full stability delay.
        """
        p = Path(path)
        if p.parent.resolve() != self.inbox.resolve() or is_ignored(p.name):
            return
        with self._hints_lock:
            self._hints.add(p.name)
            if complete:
                self._closed.add(p.name)

    def start_observer(self) -> None:
        """Start watchdog's native or polling observer on the inbox (not recursive)."""
        from watchdog.events import FileSystemEvent, FileSystemEventHandler

        watcher = self

        class Handler(FileSystemEventHandler):
            def on_any_event(self, event: FileSystemEvent) -> None:
                if event.is_directory:
                    return
                if event.event_type == "moved":
                    watcher.hint(os.fsdecode(event.dest_path), complete=True)
                else:
                    watcher.hint(os.fsdecode(event.src_path), complete=event.event_type == "closed")

        if self.poll:
            from watchdog.observers.polling import PollingObserver

            self.observer = PollingObserver(timeout=self.poll_interval)
        else:
            from watchdog.observers import Observer

            self.observer = Observer()
        self.inbox.mkdir(parents=True, exist_ok=True)
        self.observer.schedule(Handler(), str(self.inbox), recursive=False)
        self.observer.daemon = True
        self.observer.start()

    def stop_observer(self) -> None:
        """Stop the observer thread."""
        if self.observer is not None:
            self.observer.stop()
            self.observer.join(timeout=5)
            self.observer = None

    # -- the loop ----------------------------------------------------------------
    def rescan(self) -> None:
        """Add every file at the inbox's top level to the candidates."""
        self._last_rescan = self.clock()
        try:
            entries = list(os.scandir(self.inbox))
        except FileNotFoundError:
            return
        with self._hints_lock:
            for entry in entries:
                if entry.is_file(follow_symlinks=False) and not is_ignored(entry.name):
                    self._hints.add(entry.name)

    def tick(self) -> list[FileResult]:
        """One round: rescan if due, update candidates, ingest the stable ones; return their results."""
        now = self.clock()
        if self._last_rescan is None or now - self._last_rescan >= self.rescan_interval:
            self.rescan()
        with self._hints_lock:
            names = self._hints | set(self._tracks)
            closed = set(self._closed)
            self._hints.clear()
            self._closed.clear()
        ready: list[str] = []
        for name in sorted(names):
            if now - self._unclaimable.get(name, -1e18) < self.rescan_interval:
                continue
            path = self.inbox / name
            try:
                st = path.stat()
            except FileNotFoundError:
                self._tracks.pop(name, None)
                continue
            track = self._tracks.get(name)
            if track is None or track.size != st.st_size or track.mtime_ns != st.st_mtime_ns:
                # a change of mtime alone after the close (cp's copystat) keeps the file "closed"; new bytes do not
                still_closed = track is not None and track.closed and track.size == st.st_size
                track = self._tracks[name] = _Track(st.st_size, st.st_mtime_ns, now, still_closed)
            if name in closed:
                track.closed = True
            delay = min(self.stable_seconds, self.closed_settle) if track.closed else self.stable_seconds
            if now - track.since >= delay and _opens(path):
                ready.append(name)
        results: list[FileResult] = []
        for name in ready:
            self._tracks.pop(name, None)
            result = self.pipeline.ingest_inbox_file(self.inbox / name)
            if result is not None and result.status == "failed" and result.moved_to is None and (self.inbox / name).exists():
                self._unclaimable[name] = now  # could not even be claimed (permissions): do not spin on it
            if result is not None:  # None: another watcher claimed it first
                self.processed += 1
                results.append(result)
                self.on_result(result)
        return results

    @property
    def waiting(self) -> int:
        """Files seen but not yet stable."""
        return len(self._tracks)

    def resume(self) -> list[FileResult]:
        """Finish files a killed run left in the processing area."""
        results = self.pipeline.resume()
        for result in results:
            self.on_result(result)
        return results

    def run(self, stop: threading.Event | None = None, *, once: bool = False, tick_seconds: float | None = None) -> None:
        """Resume, then watch until ``stop`` is set (or, with ``once``, until the inbox is empty)."""
        stop = stop or threading.Event()
        step = tick_seconds if tick_seconds is not None else max(0.05, min(0.5, self.stable_seconds / 4, self.closed_settle / 3))
        if not once:
            self.start_observer()  # before resuming, so that nothing arriving meanwhile is missed
        try:
            self.resume()
            while not stop.is_set():
                self.tick()
                if once and not self._tracks and not (self._hints - set(self._unclaimable)):
                    self.rescan()
                    if not (self._hints - set(self._unclaimable)):
                        return
                self.sleep(step)
        finally:
            self.stop_observer()


def _opens(path: Path) -> bool:
    """True if the file can be opened and read (a writer holding it exclusively on Windows fails here)."""
    try:
        with open(path, "rb") as fh:
            fh.read(1)
        return True
    except OSError:
        return False
