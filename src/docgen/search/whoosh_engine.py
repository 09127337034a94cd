"""The whoosh engine: the index in ``index/`` (see :mod:`docgen.search.store`), queries evaluated in numpy.

A :class:`WhooshEngine` keeps its searcher open between queries (a warm
searcher: the watcher or the web application pays the open cost once) and
reopens it when a writer has committed or a rebuild switched generations.

Threads: one engine serves every thread of a process (the web application's
request threads, the watcher).  whoosh's searcher and docgen's evaluator and
caches are not safe for concurrent use, so the reading part of a search (open
or refresh the searcher, parse, evaluate, confirm, build the page) holds the
engine's lock; an index update or rebuild runs outside it (the index's own
writer lock keeps writers apart), so searches go on while one is written.
One lock rather than a searcher per thread: on this machine (2 cores, the GIL)
8 threads on one locked engine answered as many queries per second as 8
engines with a searcher each, at an eighth of the open files and caches
(docs/search.md, "Engines").
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import threading
import time
from typing import TYPE_CHECKING, Any

from docgen.archive.store import Archive
from docgen.errors import IndexUnavailable, LockTimeout
from docgen.progress import Progress
from docgen.search import journalscan
from docgen.search.query import (
    HitText,
    filters,
    literals,
    make_parser,
    needs_verification,
    parse_text,
    synonyms_used,
    using_reader,
    verify,
)
from docgen.search.reveal import check_reveal, record_reveal
from docgen.search.schema import META_UID, build_schema
from docgen.search.settings import SearchSettings
from docgen.search.snippets import make_snippet, mask_text
from docgen.search.store import IndexFolder, NeedsRebuild, is_read_damage
from docgen.search.synonyms import load_synonyms
from docgen.search.text import fold
from docgen.search.types import Hit, IndexStatus, Query, Results, UpdateStats, type_label

if TYPE_CHECKING:  # numpy and the evaluator load with the first search, not with every refresh()
    from docgen.search.evaluate import Evaluator, SegmentCache


class WhooshEngine:
    """The whoosh-backed engine over one archive's ``index/`` folder."""

    name = "whoosh"

    def __init__(self, archive: Archive, settings: SearchSettings) -> None:
        self.archive = archive
        self.settings = settings
        self.folder = IndexFolder(settings, archive)
        self._root = str(archive.root)
        self._ix: Any = None
        self._gen: str | None = None
        self._searcher: Any = None
        self._parser: Any = None
        self._seq_cache: tuple[Any, int] | None = None
        self._segment_cache: SegmentCache | None = None
        self._evaluator_for: tuple[Any, Evaluator] | None = None
        # the searcher, the evaluator and the caches: one search at a time reads them (module doc)
        self._lock = threading.RLock()
        # below this many candidates every one is confirmed in its text (exact total)
        self.verify_all = 400

    # -- writing ---------------------------------------------------------------
    def update(self, progress: Progress | None = None, timeout: float | None = None) -> UpdateStats:
        """Incremental update (a full rebuild when the index is missing, outdated or damaged)."""
        return self.folder.update(progress, timeout)

    def rebuild(self, progress: Progress | None = None) -> UpdateStats:
        """Full rebuild into a new generation, switched in when complete."""
        return self.folder.rebuild(progress)

    def status(self) -> IndexStatus:
        """Index status and pending work."""
        return self.folder.status()

    def has_index(self) -> bool:
        """True once an index generation exists (``index/CURRENT``)."""
        return self.folder.current_name is not None

    # -- reading -----------------------------------------------------------------
    def _open(self) -> Any:
        """A searcher on the current generation, reused while nothing changed (called under the lock)."""
        gen = self.folder.current_name
        if self._searcher is not None and gen == self._gen:
            if not self._searcher.up_to_date():
                self._searcher = self._searcher.refresh()
            return self._searcher
        self._close()
        self._ix = self.folder.open_current()
        self._gen = gen
        self._searcher = self._ix.searcher()
        # the program's schema, not the one pickled in the index: the same fields (the versions
        # are checked on open), but query values read by today's code (``已签:否``)
        self._parser = make_parser(build_schema())
        return self._searcher

    def close(self) -> None:
        """Close the searcher and the index (after a search in progress on another thread ends)."""
        with self._lock:
            self._close()

    def _close(self) -> None:
        searcher, ix = self._searcher, self._ix
        self._searcher = self._ix = None  # first: a close that fails on damaged files must not leave them in use
        self._gen = None
        self._evaluator_for = None
        with contextlib.suppress(Exception):
            if searcher is not None:
                searcher.close()
        with contextlib.suppress(Exception):
            if ix is not None:
                ix.close()

    def search(self, query: Query, auto_update: bool | None = None, *, archive: Archive | None = None,
               catch_up: bool = True) -> Results:
        """Run a query; first bring the index up to date unless told not to (or someone else is writing).

        ``catch_up=False`` answers from the index as it is, for a caller that
        keeps it current itself (the web server's refresher thread): an update
        in the request would make every other search wait behind it.  An
        unusable index is still rebuilt when ``auto_update`` allows.

        With ``query.reveal`` (and its ``reason``) the search is journaled in
        ``archive`` (the caller's, whose actor the journal names; default the
        engine's) before any unmasked number is returned.  A query that
        contains a full ID or phone number is itself a reveal (a hit tells
        whose number it is): without ``reveal`` it is refused.
        """
        check_reveal(query)
        note = ""
        wanted = self.settings.auto_update if auto_update is None else auto_update
        if wanted and catch_up and not self.folder.looks_current() and not self.folder.skip_unindexed():
            try:
                stats = self.update(timeout=0.5)
                if stats.mode == "rebuild":
                    note = f"已重建索引({stats.reason})"
            except LockTimeout:
                note = "另一个进程正在更新索引;本次结果可能不含最新归档的文件"
        started = time.perf_counter()
        flist = filters(query)
        synonyms = load_synonyms(self.settings.synonyms)
        from docgen.search.evaluate import DamagedIndex

        try:
            results = self._search(query, flist, synonyms, note, started)
        except NeedsRebuild as exc:
            if not wanted:
                raise IndexUnavailable(f"检索索引不可用:{exc};请运行 docgen index rebuild", reason=str(exc),
                                       kind=exc.kind) from exc
            stats = self.update()  # rebuilds: an unusable index is never half-used
            results = self._search(query, flist, synonyms, f"已重建索引({stats.reason})", started)
        except DamagedIndex as exc:
            # a damaged segment file shows only when its postings or stored fields are read:
            # the index is derived, so rebuild it rather than half-use it, and retry once
            if not wanted:
                raise IndexUnavailable(f"检索索引文件已损坏:{exc};请运行 docgen index rebuild", reason=str(exc),
                                       kind="damaged") from exc
            self.close()
            stats = self.folder.rebuild(None, reason="索引文件损坏")
            results = self._search(query, flist, synonyms, f"已重建索引({stats.reason})", started)
        if query.reveal:
            record_reveal(archive or self.archive, results)  # before the caller sees a single unmasked hit
        return results

    def _search(self, query: Query, flist: list[Any], synonyms: Any, note: str, started: float) -> Results:
        """Parse and run the query on the current searcher, under the engine's lock.

        What reading a damaged index raises anywhere here (reopening a
        searcher whose table of contents is gone, the index's own position
        entry, a stored field) is :class:`DamagedIndex`, as for postings.
        """
        from docgen.search.evaluate import DamagedIndex

        for attempt in (1, 2):
            opened = self._gen
            try:
                return self._search_locked(query, flist, synonyms, note, started)
            except Exception as exc:
                if not is_read_damage(exc):
                    raise
                with self._lock:
                    self._close()  # the next search opens the index afresh (a rebuilt one, once there is)
                if attempt == 1 and opened is not None and self.folder.current_name != opened:
                    continue  # a rebuild switched generations under this searcher: the new one is fine
                raise DamagedIndex(f"索引文件无法读取({type(exc).__name__}: {exc})") from exc
        raise AssertionError("unreachable")  # pragma: no cover

    def _search_locked(self, query: Query, flist: list[Any], synonyms: Any, note: str, started: float) -> Results:
        from whoosh import query as wq

        with self._lock:
            searcher = self._open()
            with using_reader(searcher.reader()):
                parsed = parse_text(self._parser, query.text, synonyms)
            normalized = parsed.normalize() if parsed is not None else None
            parts = ([normalized] if normalized is not None else []) + flist
            # the index's own meta entry (its journal position) is never a result, even for ``NOT x``
            q: wq.Query = wq.AndNot(wq.And(parts) if len(parts) > 1 else parts[0] if parts else wq.Every(),
                                    wq.Term("kind", META_UID))
            return self._run(searcher, q, parsed, query, note, started)

    def _run(self, searcher: Any, q: Any, parsed: Any, query: Query, note: str, started: float) -> Results:
        """Evaluate, order, confirm and page the query on one searcher."""
        evaluator = self._evaluator(searcher)
        matches = evaluator.matches(q)
        # without query text there is no relevance: newest first unless asked otherwise
        sort = "date" if parsed is None and query.sort == "relevance" else query.sort
        order = evaluator.order(matches, sort)
        lits = literals(parsed)
        texts: dict[int, HitText] = {}
        exact = True
        if parsed is None or not needs_verification(parsed):
            chosen = [int(d) for d in order[query.offset : query.offset + query.limit]]
            total = len(order)
        else:
            chosen, total, exact = self._verified(searcher, order, parsed, query.offset + query.limit, texts)
            chosen = chosen[query.offset :]
        scores = matches.scores_of(chosen)
        hits = [self._hit(searcher, d, s, lits, query, texts.get(d)) for d, s in zip(chosen, scores, strict=True)]
        elapsed = (time.perf_counter() - started) * 1000
        out = Results(query, total, hits, elapsed, index_seq=self._seq(searcher), note=note, literals=lits)
        out.total_exact = exact
        out.synonyms = synonyms_used(parsed)
        return out

    def _evaluator(self, searcher: Any) -> Evaluator:
        """The evaluator for this searcher (per-segment arrays are kept across refreshes)."""
        from docgen.search.evaluate import Evaluator, SegmentCache

        if self._segment_cache is None:
            self._segment_cache = SegmentCache()
        if self._evaluator_for is None or self._evaluator_for[0] is not searcher:
            self._evaluator_for = (searcher, Evaluator(searcher, self._segment_cache))
        return self._evaluator_for[1]

    def _verified(self, searcher: Any, order: Any, parsed: Any, limit: int,
                  texts: dict[int, HitText]) -> tuple[list[int], int, bool]:
        """Confirm long terms in the hits' text: all candidates when few, else in result order until the page is full.

        Returns (hits, total, exact).  With many candidates the total is the
        number of candidates (an upper bound, shown as 约; it differs only where
        a document holds a term's rarest character pairs apart); when the page
        cannot be filled every candidate has been confirmed and the total is exact.
        """
        many = order.size > self.verify_all
        chosen: list[int] = []
        for d in order.tolist():
            if self._check(searcher, d, parsed, texts):
                chosen.append(d)
                if many and len(chosen) >= limit:
                    return chosen, int(order.size), False
        return chosen[:limit], len(chosen), True

    def _check(self, searcher: Any, docnum: int, parsed: Any, texts: dict[int, HitText]) -> bool:
        hit_text = self._hit_text(_stored(searcher, docnum))
        texts[docnum] = hit_text
        return verify(parsed, hit_text)

    def _hit_text(self, stored: dict[str, Any]) -> HitText:
        """What verification and the snippet read of an entry; its text file is read only when asked for."""
        rel = stored.get("textpath")
        summary = stored.get("summary") or ""

        def load() -> str:
            if not rel:
                return summary
            # written by the indexer from archive records (safe ids), so a plain join is enough
            # (os.path, not pathlib: building a Path cost more than reading a short text file)
            if ".." in rel:
                return ""
            try:
                with open(os.path.join(self._root, rel), encoding="utf-8") as fh:
                    return fh.read()
            except (OSError, ValueError):
                return ""

        return HitText(
            raw=None if rel else summary,
            meta=fold(stored.get("metatext") or ""),
            unitcode=str(stored.get("unitcode") or "").lower(),
            codes=tuple(fold(str(c)).replace(" ", "") for c in stored.get("codes") or ()),
            load=load,
        )

    def _seq(self, searcher: Any) -> int:
        """The journal sequence number the open searcher reflects (read once per index version)."""
        version = (self._gen, searcher.reader().generation() if hasattr(searcher.reader(), "generation") else 0)
        if self._seq_cache is None or self._seq_cache[0] != version:
            stored = searcher.document(uid=META_UID) or {}
            journal = dict(stored.get("state") or {}).get("journal")
            self._seq_cache = (version, journalscan.JournalPosition.from_dict(journal).seq)
        return self._seq_cache[1]

    def _hit(self, searcher: Any, docnum: int, score: float, lits: list[str], query: Query,
             hit_text: HitText | None = None) -> Hit:
        stored = _stored(searcher, docnum)
        kind = stored.get("kind", "")
        date = stored.get("date")
        hit = Hit(
            kind=kind,
            uid=stored.get("uid", ""),
            doc_id=stored.get("doc_id", "") or "",
            owner=stored.get("owner", ""),
            project=stored.get("project", ""),
            place=stored.get("place", "") or "",
            type=stored.get("type", "") or kind,
            type_label=type_label(stored.get("type", "") or kind),
            title=stored.get("title", "") or "",
            original_name=stored.get("name", "") or "",
            date=date.date() if isinstance(date, dt.datetime) else None,
            score=float(score),
            signed=stored.get("signed") if kind == "document" else None,
            status=stored.get("status", "") or "",
            source=stored.get("source", "") or "",
        )
        if query.highlight:
            if hit_text is None:
                hit_text = self._hit_text(stored)
            source = hit_text.raw
            hit.snippet, hit.highlights = make_snippet(source, lits, reveal=query.reveal)
        if not query.reveal:
            hit.title = mask_text(hit.title)
            hit.original_name = mask_text(hit.original_name)
        return hit


def _stored(searcher: Any, docnum: int) -> dict[str, Any]:
    """An entry's stored fields; bytes that do not decode are a damaged index (rebuilt by the caller)."""
    from docgen.search.evaluate import _DECODE_ERRORS, DamagedIndex

    try:
        return dict(searcher.stored_fields(docnum))
    except _DECODE_ERRORS as exc:
        raise DamagedIndex(f"条目 {docnum} 的存储字段无法读取({type(exc).__name__}: {exc})") from exc


__all__ = ["WhooshEngine"]
