"""The search interface the rest of docgen uses: open, update, rebuild, search, refresh, status.

Ingest, generation, audit and the CLI call only what is here, so another
engine can later stand behind the same :class:`SearchEngine` protocol (a
distributed index for a national developer) without touching them.

The one call other modules make after they change the archive::

    from docgen.search.api import refresh
    refresh(archive, config.search)      # incremental, fast when little changed

A :class:`WhooshEngine` keeps its searcher open between queries (a warm
searcher: the watcher or a future web UI pays the open cost once) and reopens
it when a writer has committed or a rebuild switched generations.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from docgen import privacy
from docgen.archive.store import Archive
from docgen.errors import LockTimeout, NotFoundError, UsageError
from docgen.search import journalscan
from docgen.search.analysis import fold
from docgen.search.query import (
    FoldedText,
    Hit,
    HitText,
    Query,
    Results,
    filters,
    literals,
    make_parser,
    needs_verification,
    parse_text,
    synonyms_used,
    type_label,
    using_reader,
    verify,
)
from docgen.search.schema import META_UID
from docgen.search.settings import SearchSettings
from docgen.search.snippets import make_snippet, mask_text
from docgen.search.store import IndexFolder, IndexStatus, NeedsRebuild, Progress, UpdateStats
from docgen.search.synonyms import load_synonyms

if TYPE_CHECKING:  # numpy and the evaluator load with the first search, not with every refresh()
    from docgen.search.evaluate import Evaluator, SegmentCache

__all__ = [
    "Hit",
    "IndexStatus",
    "Query",
    "Results",
    "SearchEngine",
    "UpdateStats",
    "WhooshEngine",
    "open_index",
    "rebuild",
    "refresh",
    "search",
    "status",
    "update",
]


class SearchEngine(Protocol):
    """What docgen needs from a search engine."""

    def update(self, progress: Progress | None = None) -> UpdateStats:
        """Index what changed in the archive since the last update."""

    def rebuild(self, progress: Progress | None = None) -> UpdateStats:
        """Recreate the index from the archive alone."""

    def search(self, query: Query) -> Results:
        """Run a query."""

    def status(self) -> IndexStatus:
        """Describe the index and what it does not reflect yet."""

    def close(self) -> None:
        """Release files."""


class WhooshEngine:
    """The whoosh-backed engine over one archive's ``index/`` folder."""

    def __init__(self, archive: Archive, settings: SearchSettings) -> None:
        self.archive = archive
        self.settings = settings
        self.folder = IndexFolder(settings, archive)
        self._ix: Any = None
        self._gen: str | None = None
        self._searcher: Any = None
        self._parser: Any = None
        self._seq_cache: tuple[Any, int] | None = None
        self._segment_cache: SegmentCache | None = None
        self._evaluator_for: tuple[Any, Evaluator] | None = None
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

    # -- reading -----------------------------------------------------------------
    def _open(self) -> Any:
        """A searcher on the current generation, reused while nothing changed."""
        gen = self.folder.current_name
        if self._searcher is not None and gen == self._gen:
            if not self._searcher.up_to_date():
                self._searcher = self._searcher.refresh()
            return self._searcher
        self.close()
        self._ix = self.folder.open_current()
        self._gen = gen
        self._searcher = self._ix.searcher()
        self._parser = make_parser(self._ix.schema)
        return self._searcher

    def close(self) -> None:
        """Close the searcher and the index."""
        if self._searcher is not None:
            self._searcher.close()
        if self._ix is not None:
            self._ix.close()
        self._searcher = self._ix = None
        self._gen = None
        self._evaluator_for = None

    def search(self, query: Query, auto_update: bool | None = None) -> Results:
        """Run a query; first bring the index up to date unless told not to (or someone else is writing).

        With ``query.reveal`` (and its ``reason``) the search is journaled in
        the archive (:func:`record_reveal`) before any unmasked number is
        returned.  A query that contains a full ID or phone number is itself a
        reveal (a hit tells whose number it is): without ``reveal`` it is refused.
        """
        from whoosh import query as wq

        check_reveal(query)
        note = ""
        wanted = self.settings.auto_update if auto_update is None else auto_update
        if wanted and not self.folder.looks_current():
            try:
                stats = self.update(timeout=0.5)
                if stats.mode == "rebuild":
                    note = f"已重建索引({stats.reason})"
            except LockTimeout:
                note = "另一个进程正在更新索引;本次结果可能不含最新归档的文件"
        started = time.perf_counter()
        flist = filters(query)
        try:
            searcher = self._open()
        except NeedsRebuild as exc:
            if not wanted:
                raise NotFoundError(f"检索索引不可用:{exc};请运行 docgen index rebuild") from exc
            stats = self.update()  # rebuilds: an unusable index is never half-used
            note = f"已重建索引({stats.reason})"
            searcher = self._open()
        with using_reader(searcher.reader()):
            parsed = parse_text(self._parser, query.text, load_synonyms(self.settings.synonyms))
        normalized = parsed.normalize() if parsed is not None else None
        parts = ([normalized] if normalized is not None else []) + flist
        # the index's own meta entry (its journal position) is never a result, even for ``NOT x``
        q: wq.Query = wq.AndNot(wq.And(parts) if len(parts) > 1 else parts[0] if parts else wq.Every(),
                                wq.Term("kind", META_UID))
        from docgen.search.evaluate import DamagedIndex

        try:
            results = self._run(searcher, q, parsed, query, note, started)
        except DamagedIndex as exc:
            # a damaged segment file shows only when its postings or stored fields are read:
            # the index is derived, so rebuild it rather than half-use it, and retry once
            if not wanted:
                raise NotFoundError(f"检索索引文件已损坏:{exc};请运行 docgen index rebuild") from exc
            self.close()
            stats = self.folder.rebuild(None, reason="索引文件损坏")
            results = self._run(self._open(), q, parsed, query, f"已重建索引({stats.reason})", started)
        if query.reveal:
            record_reveal(self.archive, results)  # before the caller sees a single unmasked hit
        return results

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
        text = stored.get("summary") or ""
        rel = stored.get("textpath")
        if rel:
            # written by the indexer from archive records (safe ids), so a plain join is enough
            try:
                text = (self.archive.root / rel).read_text("utf-8") if ".." not in rel else ""
            except (OSError, ValueError):
                text = ""
        return HitText(
            raw=text,
            text=FoldedText(text),
            meta=fold(stored.get("metatext") or ""),
            unitcode=str(stored.get("unitcode") or "").lower(),
            codes=tuple(fold(str(c)).replace(" ", "") for c in stored.get("codes") or ()),
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


EXPORT_PREFIX = "导出到 "  # a purpose that starts so is an export: the data leaves docgen in a file


def check_reveal(query: Query) -> None:
    """Refuse, before searching, a reveal without a reason and a full-number query without a reveal.

    Searching for ``350121196501163583`` and getting a hit confirms whose
    number it is, so such a query needs ``reveal`` (and is journaled, naming
    the number only masked).
    """
    if query.reveal:
        kind = privacy.EXPORT if query.purpose.startswith(EXPORT_PREFIX) else privacy.VIEW
        query.reason = privacy.check_reveal(query.role, query.reason, kind)
        return
    numbers = privacy.full_numbers_in(query.text)
    if numbers:
        raise UsageError(
            f"检索式含完整的身份证号码或电话({'、'.join(numbers)}):按号码查人即查看个人信息,"
            f"须加 {privacy.HOW}(会记入档案日志);只记得一部分时可检索其中几位数字"
        )


def record_reveal(archive: Archive, results: Results) -> privacy.Reveal:
    """Journal a search that shows unmasked data: the query masked, the hits' records, why and where."""
    query = results.query
    shown = privacy.mask_text(query.text)
    owners = [h.owner for h in results.hits if h.owner]
    records = [h.doc_id or h.uid for h in results.hits]
    filters = {
        k: str(v) for k, v in query.__dict__.items()
        if k not in ("text", "reveal", "purpose", "reason", "role", "highlight") and v not in (None, "", False)
    }
    numbers = privacy.full_numbers_in(query.text)
    what = (f"检索「{shown or '(无检索式)'}」的 {len(results.hits)} 条结果(共 {results.total} 条)中的身份证号码、电话和住址"
            + (f";检索式含完整号码 {'、'.join(numbers)}" if numbers else ""))
    export = query.purpose.startswith(EXPORT_PREFIX)
    detail: dict[str, Any] = {
        "query": shown, "filters": filters, "total": results.total, "returned": len(results.hits),
        **privacy.listed(records), "owners": list(dict.fromkeys(owners))[:200],
    }
    return privacy.reveal(
        archive, target=privacy.target_of(owners) if owners else (query.project or "全部项目").upper(),
        what=what, why=query.reason, where=query.purpose or "屏幕", role=query.role,
        kind=privacy.EXPORT if export else privacy.VIEW, detail=detail,
    )


# --- module-level functions ----------------------------------------------------------

_engines: dict[tuple[str, str], WhooshEngine] = {}


def open_index(settings: SearchSettings, archive: Archive) -> WhooshEngine:
    """The engine for an archive's index (one per process and index folder, kept warm)."""
    key = (str(archive.root.resolve()), str(settings.index_path))
    engine = _engines.get(key)
    if engine is None or engine.archive is not archive:
        engine = WhooshEngine(archive, settings)
        _engines[key] = engine
    return engine


def update(archive: Archive, settings: SearchSettings, progress: Progress | None = None) -> UpdateStats:
    """Incremental update of the index from the archive."""
    return open_index(settings, archive).update(progress)


def rebuild(archive: Archive, settings: SearchSettings, progress: Progress | None = None) -> UpdateStats:
    """Full rebuild of the index from the archive."""
    return open_index(settings, archive).rebuild(progress)


def search(archive: Archive, settings: SearchSettings, query: Query) -> Results:
    """Run a query (after an automatic update if ``settings.auto_update``)."""
    return open_index(settings, archive).search(query)


def status(archive: Archive, settings: SearchSettings) -> IndexStatus:
    """Describe the index."""
    return open_index(settings, archive).status()


def refresh(archive: Archive, settings: SearchSettings, timeout: float = 5.0) -> UpdateStats | None:
    """Call after changing the archive: index what changed; None if another writer is busy.

    Cheap when little changed (reads only the new journal lines and re-indexes
    only entries whose content hash differs).  If another process holds the
    index lock beyond ``timeout``, it returns None: that writer, or the next
    update, will pick the change up from the journal, so nothing is lost.
    """
    try:
        return open_index(settings, archive).update(timeout=timeout)
    except LockTimeout:
        return None


ProgressCallback = Callable[[str, int, int], None]
