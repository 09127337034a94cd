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
  always get the full delay.  A file that grew again after a close (a scanner
  that opens, appends and closes once a second) loses the short wait;
* a stable file whose **format says its end is missing** (a PDF without
  ``%%EOF``, see ``arrival.py``) is not claimed until it has stayed so for
  ``incomplete_seconds``: its writer may only be pausing.  What the pipeline
  puts back (a file that changed after its claim) or holds (a fragment whose
  continuation is arriving) is watched again, never failed as a fragment;
* **sub-folders** are watched too (``recursive``, default on); the work areas
  are not looked into; temporary, hidden and sidecar files, hidden and system
  folders are passed over and each is reported once to ``on_skip`` with why;
* on start, files a killed run left in the processing area are finished first.

The clock and the sleep are injectable, so the stability rule is tested
without waiting.  Every file's result goes to ``on_result``; a bad file never
stops the loop (the pipeline puts it aside with a reason, and an unexpected
error in the pipeline is reported as that file's failure).
"""

from __future__ import annotations

import os
import stat
import threading
import time
import traceback
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from docgen.ingest.areas import folder_skip_reason, skip_reason
from docgen.ingest.arrival import looks_complete
from docgen.ingest.names import safe_path, safe_text, text_name
from docgen.ingest.pipeline import FileResult, Pipeline


@dataclass(slots=True)
class _Track:
    size: int
    mtime_ns: int
    since: float
    closed: bool = False
    complete: bool | None = None  # what the format says, read once per (size, mtime)
    checked: bool = False


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
        incomplete_seconds: float | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        on_result: Callable[[FileResult], None] | None = None,
        on_skip: Callable[[FileResult], None] | None = None,
        on_notice: Callable[[str], None] | None = None,
    ) -> None:
        settings = pipeline.settings
        self.pipeline = pipeline
        self.inbox = settings.inbox
        self.recursive = settings.recursive
        self.poll = settings.poll if poll is None else poll
        self.stable_seconds = settings.stable_seconds if stable_seconds is None else stable_seconds
        self.closed_settle = settings.closed_settle_seconds if closed_settle_seconds is None else closed_settle_seconds
        self.rescan_interval = settings.rescan_interval if rescan_interval is None else rescan_interval
        self.poll_interval = settings.poll_interval if poll_interval is None else poll_interval
        self.incomplete_seconds = settings.incomplete_seconds if incomplete_seconds is None else incomplete_seconds
        self.clock = clock
        self.sleep = sleep
        self.on_result = on_result or (lambda _r: None)
        self.on_skip = on_skip or (lambda _r: None)
        self.on_notice = on_notice or (lambda _t: None)
        # candidates are keyed by their path relative to the inbox ("扫描仪1/scan.pdf")
        self._hints: set[str] = set()
        self._closed: set[str] = set()
        self._hints_lock = threading.Lock()
        self._tracks: dict[str, _Track] = {}
        self._unclaimable: dict[str, float] = {}  # key -> when claiming it failed (retried after a rescan interval)
        self._bursty: set[str] = set()  # keys whose file grew again after a close: no short settle for them
        self._held: dict[str, float] = {}  # keys whose fragment the pipeline holds -> since when
        self._reported: dict[str, str] = {}  # skipped key -> reason already reported
        self._rescan_now = False
        self._last_rescan: float | None = None
        self._root = os.path.abspath(self.inbox)
        self._excluded = [os.path.abspath(p) for p in pipeline.excluded()]
        self.observer: Any = None
        self.processed = 0

    # -- events ---------------------------------------------------------------
    def hint(self, path: str | os.PathLike[str], *, complete: bool = False) -> None:
        """Note that something happened to ``path`` (called from the observer's thread).

        ``complete``: the writer closed the file or renamed it into place, so a
        short settle replaces the full stability delay.
        """
        key = self._key(os.fspath(path))
        if key is None:
            return
        with self._hints_lock:
            self._hints.add(key)
            if complete:
                self._closed.add(key)

    def request_rescan(self) -> None:
        """A folder appeared or moved in: look through the inbox at the next tick (its files sent no events)."""
        self._rescan_now = True

    def _key(self, path: str) -> str | None:
        """The candidate key of an event's path, or None if it is not a candidate (outside, work area, skipped)."""
        absolute = os.path.abspath(path)
        if not absolute.startswith(self._root + os.sep) or any(
            absolute == x or absolute.startswith(x + os.sep) for x in self._excluded
        ):
            return None
        rel = absolute[len(self._root) + 1 :]
        parts = rel.split(os.sep)
        if len(parts) > 1 and not self.recursive:
            return None
        if any(folder_skip_reason(part) for part in parts[:-1]) or skip_reason(parts[-1]):
            return None  # reported by the rescan, once
        return rel

    def start_observer(self) -> None:
        """Start watchdog's native or polling observer on the inbox (not recursive)."""
        from watchdog.events import FileSystemEvent, FileSystemEventHandler

        watcher = self

        class Handler(FileSystemEventHandler):
            def on_any_event(self, event: FileSystemEvent) -> None:
                if event.is_directory:
                    if event.event_type in ("created", "moved"):
                        watcher.request_rescan()
                    return
                if event.event_type == "moved":
                    watcher.hint(os.fsdecode(event.dest_path), complete=True)
                else:
                    watcher.hint(os.fsdecode(event.src_path), complete=event.event_type == "closed")

        # watchdog warns when a folder is created inside a folder it just began watching (harmless, and noise to a clerk)
        warnings.filterwarnings("ignore", message="Callback with id", category=RuntimeWarning, module="watchdog")
        if self.poll:
            from watchdog.observers.polling import PollingObserverVFS

            excluded = set(self._excluded)

            def listdir(folder: str | None) -> Any:
                """What the poller looks at: not the work areas, not hidden or system folders (a NAS's #snapshot)."""
                for entry in os.scandir(folder):
                    if os.path.abspath(entry.path) in excluded:
                        continue
                    if folder_skip_reason(entry.name) and entry.is_dir(follow_symlinks=False):
                        continue
                    yield entry

            self.observer = PollingObserverVFS(os.stat, listdir, polling_interval=self.poll_interval)
        else:
            from watchdog.observers import Observer

            self.observer = Observer()
        self.inbox.mkdir(parents=True, exist_ok=True)
        self.observer.schedule(Handler(), self._root, recursive=self.recursive)
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
        """Add every waiting file of the inbox (and its sub-folders) to the candidates; report new skips."""
        self._last_rescan = self.clock()
        self._rescan_now = False
        files, skipped = self.pipeline.arrivals()
        with self._hints_lock:
            for path in files:
                self._hints.add(os.path.relpath(path, self._root))
        seen: dict[str, str] = {}
        for item in skipped:
            key = os.path.relpath(item.path, self._root)
            seen[key] = item.reason
            if self._reported.get(key) != item.reason:
                self.on_skip(FileResult(safe_path(key), "skipped", item.reason))
        self._reported = seen  # a file skipped, gone and back is reported again

    def tick(self) -> list[FileResult]:
        """One round: rescan if due, update candidates, ingest the stable ones; return their results."""
        now = self.clock()
        if self._rescan_now or self._last_rescan is None or now - self._last_rescan >= self.rescan_interval:
            self.rescan()
        with self._hints_lock:
            keys = self._hints | set(self._tracks)
            closed = set(self._closed)
            self._hints.clear()
            self._closed.clear()
        ready: list[str] = []
        for key in sorted(keys):
            if now - self._unclaimable.get(key, -1e18) < self.rescan_interval:
                continue
            path = self.inbox / key
            try:
                st = os.lstat(path)  # a link is judged as itself: the pipeline refuses it with a reason
            except (FileNotFoundError, NotADirectoryError):
                self._tracks.pop(key, None)
                continue
            track = self._tracks.get(key)
            if track is None or track.size != st.st_size or track.mtime_ns != st.st_mtime_ns:
                # a change of mtime alone after the close (cp's copystat) keeps the file "closed"; new bytes do not
                still_closed = track is not None and track.closed and track.size == st.st_size
                if track is not None and track.closed and track.size != st.st_size:
                    self._bursty.add(key)  # closed, then written again: a writer that comes back
                track = self._tracks[key] = _Track(st.st_size, st.st_mtime_ns, now, still_closed)
            if key in closed:
                track.closed = True
            short = track.closed and key not in self._bursty
            delay = min(self.stable_seconds, self.closed_settle) if short else self.stable_seconds
            if stat.S_ISLNK(st.st_mode):
                if now - track.since >= delay:
                    ready.append(key)
                continue
            if now - track.since < delay or not _opens(path):
                continue
            if not track.checked:
                track.complete = looks_complete(path, kind=self.pipeline.held_kind(path))
                track.checked = True
            if (track.complete is False and now - track.since < self.incomplete_seconds
                    and self.pipeline.worker.silent_for(st) < self.incomplete_seconds):
                continue  # its end is missing and it changed lately (seen by us or by its mtime): the writer may be pausing
            ready.append(key)
        results = self._collect(now)
        for key in ready:
            if not self.pipeline.accepting:
                break  # the workers' queue is full or cannot be reached: the rest waits in the inbox (still tracked)
            self._tracks.pop(key, None)
            result = self._ingest(key)
            if result is None:  # another watcher claimed it first
                continue
            if result.status == "failed" and result.moved_to is None and (self.inbox / key).exists():
                self._unclaimable[key] = now  # could not even be claimed (permissions): do not spin on it
            self._settled(key, result, now)
            results.append(result)
        results += self._release_held(now)
        return results

    def _collect(self, now: float) -> list[FileResult]:
        """With workers: file what they have read, and pass on what the queue has to say (down, back, no worker)."""
        results: list[FileResult] = []
        for source, result in self.pipeline.collect():
            key = self._key(os.fspath(source)) if source is not None else None
            if key is None:  # a file resumed or retried, not claimed from the inbox by this watcher
                self.on_result(result)
            else:
                self._settled(key, result, now)
            results.append(result)
        extractor = self.pipeline.extractor
        drain = getattr(extractor, "drain_notices", None)
        if drain is not None:
            for notice in drain():
                self.on_notice(notice)
        return results

    def _ingest(self, key: str) -> FileResult | None:
        """Hand one file to the pipeline; an unexpected error becomes that file's failure, never the watcher's end."""
        try:
            return self.pipeline.ingest_inbox_file(self.inbox / key, hold=True)
        except Exception as exc:  # the file stays claimed; the next start adopts it
            detail = safe_text("".join(traceback.format_exception_only(type(exc), exc)).strip())
            return FileResult(text_name(Path(key).name), "failed",
                              f"内部错误({detail});文件保留在处理区,下次启动时重新处理;请告知维护人员")

    def _settled(self, key: str, result: FileResult, now: float) -> None:
        if result.status == "queued":  # sent to the workers: its result comes back through the pipeline's collect()
            self.on_result(result)
            return
        if result.status == "waiting":
            if self.pipeline.holds(self.inbox / key):
                self._held[key] = now  # the wait for a continuation starts again at each join
            with self._hints_lock:
                self._hints.add(key)  # put back or continued: watch it again
        else:
            self._bursty.discard(key)
            self._held.pop(key, None)
            self.processed += 1
        self.on_result(result)

    def _release_held(self, now: float) -> list[FileResult]:
        """Fragments whose continuation did not come within ``incomplete_seconds`` are processed on their own."""
        out: list[FileResult] = []
        for key, since in sorted(self._held.items()):
            path = self.inbox / key
            if not self.pipeline.holds(path):
                self._held.pop(key)
            elif key not in self._tracks and not path.exists() and now - since >= self.incomplete_seconds:
                self._held.pop(key)
                try:
                    result = self.pipeline.release_held(path)
                except Exception as exc:
                    result = FileResult(text_name(path.name), "failed", safe_text(f"内部错误({exc})"))
                if result is not None:
                    self._settled(key, result, now)
                    out.append(result)
        return out

    @property
    def waiting(self) -> int:
        """Files seen but not yet stable (and fragments waiting for their continuation, and files with the workers)."""
        return len(self._tracks) + len(self._held) + self.pipeline.pending

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
                if (once and not self._tracks and not self._held and not self.pipeline.pending
                        and not (self._hints - set(self._unclaimable))):
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
