"""Query evaluation over whoosh's own postings, a block at a time, in numpy.

Why not whoosh's matchers: they walk every candidate document in Python
(``id()``, ``score()``, ``next()`` per posting and per tree node).  A
character-pair query for a term found in most of 20,000 documents spent
100-700 ms there, far over the 100 ms goal (docs/search.md).  The postings
themselves are stored in blocks of up to 128 (delta-coded ids, weights); this
module reads whole blocks, decodes them with numpy and evaluates the query
tree on dense per-document arrays (a mask of matches and a score each), so the
per-document work runs in C.

The index files, the query objects, the matching rules and the scoring are
whoosh's: ``Term`` postings, ``And``/``Or``/``Not``/``AndNot``/``AndMaybe``
combine the way whoosh's matchers do (scores add, ``Not`` matches every live
document without the term), and a term's score is whoosh's BM25F (same idf,
average field length, B and K1, the field lengths whoosh stored, the query
boost).  Multi-term queries (prefixes) match the union of their terms with
the terms' scores summed, as whoosh does on indexes of more than 5,000
documents; date ranges score their boost, as whoosh's constant-score ranges
do.  Any other query type is handed to whoosh's own matcher.  Tests compare
the matches and scores with whoosh's on a real index, several segments and
deletions included (tests/test_search_evaluate.py).
"""

from __future__ import annotations

import pickle
import struct
import zlib
from dataclasses import dataclass
from typing import Any

import numpy as np
from whoosh import query as wq
from whoosh.codec.whoosh3 import W3LeafMatcher
from whoosh.matching.wrappers import FilterMatcher
from whoosh.scoring import BM25F

__all__ = ["DamagedIndex", "Evaluator", "Matches", "SegmentCache"]


@dataclass
class Matches:
    """The documents a query matches (global docnums, ascending) and their scores."""

    docnums: np.ndarray
    scores: np.ndarray

    def __len__(self) -> int:
        return int(self.docnums.size)

    def scores_of(self, docnums: list[int]) -> list[float]:
        """The scores of some of the matched documents, in the order given."""
        if not docnums:
            return []
        return [float(x) for x in self.scores[np.searchsorted(self.docnums, docnums)]]


class SegmentCache:
    """Per-segment arrays that never change while a segment exists: field lengths and sort keys.

    Keyed by the segment's id, which whoosh never reuses; deletions do not
    change lengths or dates, so an entry stays valid until the segment is
    merged away (then it is just unused, and dropped when the engine reopens).
    """

    def __init__(self) -> None:
        self._data: dict[tuple[str, str, str], np.ndarray] = {}

    def get(self, key: tuple[str, str, str]) -> np.ndarray | None:
        return self._data.get(key)

    def put(self, key: tuple[str, str, str], value: np.ndarray) -> None:
        self._data[key] = value

    def retain(self, segids: set[str]) -> None:
        """Forget arrays of segments that no longer exist."""
        for key in [k for k in self._data if k[0] not in segids]:
            del self._data[key]


_BYTE_TO_LENGTH: np.ndarray | None = None


def _byte_to_length_table() -> np.ndarray:
    """whoosh stores each field length as one byte (``length_to_byte``); this decodes all 256 at once."""
    global _BYTE_TO_LENGTH
    if _BYTE_TO_LENGTH is None:
        from whoosh.util.numeric import byte_to_length

        _BYTE_TO_LENGTH = np.array([byte_to_length(b) for b in range(256)], dtype=np.float64)
    return _BYTE_TO_LENGTH


class _Leaf:
    """One segment: its reader, size, live-document mask and cached arrays."""

    def __init__(self, reader: Any, offset: int, cache: SegmentCache) -> None:
        self.reader = reader
        self.offset = offset
        self.size = reader.doc_count_all()
        segid = _segment_id(reader)
        # without a segment id (another codec) nothing is shared across searchers
        self.cache = cache if segid is not None else SegmentCache()
        self.segid = segid or "this-searcher"
        live = np.ones(self.size, dtype=bool)
        if reader.has_deletions():
            seg = reader.segment() if hasattr(reader, "segment") else None
            if seg is not None and hasattr(seg, "deleted_docs"):
                dead = np.fromiter(seg.deleted_docs(), dtype=np.int64)
                live[dead[dead < self.size]] = False
            else:
                live[:] = False
                live[np.fromiter(reader.all_doc_ids(), dtype=np.int64)] = True
        self.live = live

    def lengths(self, fieldname: str) -> np.ndarray:
        """Every document's length of ``fieldname`` (as whoosh decodes it; 0 where absent)."""
        key = (self.segid, "len", fieldname)
        got = self.cache.get(key)
        if got is None:
            table = _byte_to_length_table()
            perdoc = getattr(self.reader, "_perdoc", None)
            col = None
            if perdoc is not None and hasattr(perdoc, "_cached_reader"):
                from whoosh.codec.whoosh3 import LENGTHS_COLUMN, _lenfield

                col = perdoc._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN)
            if col is not None:
                raw = np.asarray(col.load(), dtype=np.int64)[: self.size]
                got = np.zeros(self.size, dtype=np.float64)
                got[: raw.size] = table[raw]
            else:  # another codec: the public per-document call
                got = np.array([self.reader.doc_field_length(i, fieldname, 0) or 0 for i in range(self.size)],
                               dtype=np.float64)
            self.cache.put(key, got)
        return got


def _segment_id(reader: Any) -> str | None:
    seg = getattr(reader, "segment", None)
    if callable(seg):
        s = seg()
        if s is not None and hasattr(s, "segment_id"):
            return str(s.segment_id())
    return None


class DamagedIndex(Exception):
    """Postings that cannot be decoded (a damaged segment file): the caller rebuilds the index."""


# what decoding damaged bytes raises in whoosh's stored-field reader (zlib, pickle, struct, ...)
_DECODE_ERRORS = (zlib.error, pickle.UnpicklingError, EOFError, struct.error, ValueError, IndexError,
                  KeyError, TypeError, AttributeError, OverflowError)


def _postings(reader: Any, fieldname: str, btext: bytes, size: int) -> tuple[np.ndarray, np.ndarray]:
    """All (docnums, weights) of one term in one segment (``size`` documents), decoded a block at a time.

    Deleted documents are left in (the caller masks them with the live set),
    so whoosh's per-posting deletion filter is unwrapped.  Bytes that do not
    decode, or decode to document numbers outside the segment, raise
    :class:`DamagedIndex`.  Only this narrow step (whoosh's block reader and
    the numpy decoding, both held to whoosh's results by the tests) is
    watched, so a programming error elsewhere is never taken for damage and
    never triggers a rebuild.
    """
    try:
        ids, weights = _decode_postings(reader, fieldname, btext)
    except Exception as exc:  # whoosh's block reader raises bare Exceptions too ("Block tag error")
        raise DamagedIndex(f"{fieldname}:{btext.decode('utf-8', 'replace')} 的倒排数据无法读取"
                           f"({type(exc).__name__}: {exc})") from exc
    if ids.size and (int(ids.min()) < 0 or int(ids.max()) >= size or ids.size != weights.size):
        raise DamagedIndex(f"{fieldname}:{btext.decode('utf-8', 'replace')} 的倒排数据指向不存在的条目")
    return ids, weights


def _decode_postings(reader: Any, fieldname: str, btext: bytes) -> tuple[np.ndarray, np.ndarray]:
    m = reader.postings(fieldname, btext)
    while isinstance(m, FilterMatcher):
        m = m.child
    if isinstance(m, W3LeafMatcher) and not m._byteids:
        ids_parts: list[np.ndarray] = []
        w_parts: list[np.ndarray] = []
        while m.is_active():
            if m._data is None:
                m._read_data()
            deltas, weights = m._data[0], m._data[1]
            n = m._blocklength
            ids_parts.append(np.cumsum(np.asarray(deltas, dtype=np.int64)))
            if weights is None:
                w_parts.append(np.ones(n))
            elif isinstance(weights, float):
                w_parts.append(np.full(n, weights))
            else:
                w_parts.append(np.asarray(weights, dtype=np.float64))
            m._next_block()
        if not ids_parts:
            return np.empty(0, np.int64), np.empty(0, np.float64)
        return np.concatenate(ids_parts), np.concatenate(w_parts)
    ids: list[int] = []
    weights_: list[float] = []
    while m.is_active():  # inlined postings (a term in one document) and other matchers
        ids.append(m.id())
        weights_.append(m.weight())
        m.next()
    return np.asarray(ids, dtype=np.int64), np.asarray(weights_, dtype=np.float64)


class Evaluator:
    """Evaluates whoosh queries on one searcher, returning every match with its score.

    ``searcher`` is the top-level whoosh searcher (global statistics: idf and
    average field lengths come from it, as in whoosh's scorer); ``cache``
    keeps per-segment arrays across searcher refreshes.
    """

    def __init__(self, searcher: Any, cache: SegmentCache | None = None) -> None:
        self.searcher = searcher
        self.schema = searcher.schema
        self.cache = cache if cache is not None else SegmentCache()
        self.leaves = [_Leaf(s.reader(), off, self.cache) for s, off in searcher.leaf_searchers()]
        self.size = sum(leaf.size for leaf in self.leaves)
        weighting = searcher.weighting
        if not isinstance(weighting, BM25F):
            raise TypeError("docgen's evaluator scores like whoosh's BM25F only")
        self.weighting = weighting
        self.cache.retain({leaf.segid for leaf in self.leaves})
        self._live: np.ndarray | None = None
        # how many query nodes went to whoosh's own matcher (tests check the common ones never do)
        self.fallbacks = 0

    # -- public -----------------------------------------------------------------------
    def matches(self, q: wq.Query) -> Matches:
        """Every live document matching ``q`` (ascending docnum) with whoosh's BM25F score."""
        mask, score = self._eval(q)
        mask &= self.live
        docnums = np.flatnonzero(mask)
        return Matches(docnums, score[docnums])

    def order(self, matches: Matches, sort: str) -> np.ndarray:
        """All matches in result order: by score (``relevance``; ties in index order) or by date, undated last.

        ``sort`` is ``relevance``, ``date`` (newest first) or ``date-asc``.
        """
        docnums = matches.docnums
        if sort == "relevance":
            return docnums[np.lexsort((docnums, -matches.scores))]
        dates = self.column("date")[docnums]
        undated = np.isnan(dates)
        key = np.where(undated, 0.0, dates if sort == "date-asc" else -dates)
        return docnums[np.lexsort((docnums, key, undated))]

    @property
    def live(self) -> np.ndarray:
        """Live (undeleted) documents, over all segments."""
        if self._live is None:
            self._live = np.concatenate([leaf.live for leaf in self.leaves]) if self.leaves else np.zeros(0, bool)
        return self._live

    def column(self, fieldname: str) -> np.ndarray:
        """A sortable column's values for every document (float64; NaN where absent), cached per segment."""
        parts: list[np.ndarray] = []
        for leaf in self.leaves:
            key = (leaf.segid, "col", fieldname)
            got = self.cache.get(key)
            if got is None:
                got = np.full(leaf.size, np.nan)
                if leaf.reader.has_column(fieldname):
                    col = leaf.reader.column_reader(fieldname, translate=False)
                    values = list(col.load()) if hasattr(col, "load") else list(col)
                    missing = getattr(self.schema[fieldname], "default", None)  # what whoosh stores for "no value"
                    got = np.array([np.nan if v is None or v == missing else float(v) for v in values],
                                   dtype=np.float64)
                self.cache.put(key, got)
            parts.append(got)
        return np.concatenate(parts) if parts else np.zeros(0)

    # -- evaluation ------------------------------------------------------------------------
    def _empty(self) -> tuple[np.ndarray, np.ndarray]:
        return np.zeros(self.size, dtype=bool), np.zeros(self.size, dtype=np.float64)

    def _eval(self, q: wq.Query) -> tuple[np.ndarray, np.ndarray]:
        if isinstance(q, wq.Term):
            mask, score = self._empty()
            self._add_term(q.fieldname, q.text, q.boost, mask, score)
            return mask, score
        if isinstance(q, wq.And):
            return self._and(q.subqueries, q.boost)
        if isinstance(q, wq.Or):
            if getattr(q, "minmatch", 0) or getattr(q, "scale", None):
                return self._whoosh(q)
            if len(q.subqueries) == 1:  # whoosh uses the lone sub-query's matcher as is (no boost)
                return self._eval(q.subqueries[0])
            mask, score = self._empty()
            for sub in q.subqueries:
                m, sc = self._eval(sub)
                mask |= m
                score += sc
            return mask, score * q.boost if q.boost != 1.0 else score
        if isinstance(q, wq.Not):
            # whoosh's inverse matcher: every live document without the match, each scoring 1
            m, _ = self._eval(q.query)
            inverse = ~m & self.live
            return inverse, inverse.astype(np.float64)
        if isinstance(q, wq.AndNot):
            a, sa = self._eval(q.a)
            b, _ = self._eval(q.b)
            return a & ~b, sa
        if isinstance(q, wq.AndMaybe):
            a, sa = self._eval(q.a)
            b, sb = self._eval(q.b)
            return a, sa + np.where(a & b, sb, 0.0)
        if isinstance(q, wq.Every) and not q.fieldname:
            return self.live.copy(), np.full(self.size, float(q.boost))
        if isinstance(q, wq.NullQuery.__class__):
            return self._empty()
        if isinstance(q, wq.MultiTerm):
            return self._multiterm(q)
        if isinstance(q, wq.NumericRange):  # dates: whoosh compiles them into terms of several precisions
            return self._eval(q._compile_query(self.searcher.reader()))
        if isinstance(q, wq.ConstantScoreQuery):
            m, _ = self._eval(q.child)
            return m, np.where(m, float(q.score), 0.0)
        return self._whoosh(q)

    def _and(self, subs: list[wq.Query], boost: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
        if not subs:
            return self._empty()
        if len(subs) == 1:  # whoosh uses the lone sub-query's matcher as is (no boost)
            return self._eval(subs[0])
        positives = [s for s in subs if not isinstance(s, wq.Not)]
        negatives = [s.query for s in subs if isinstance(s, wq.Not)]
        if not positives:
            mask, score = self.live.copy(), np.zeros(self.size)
        else:
            mask, score = self._eval(positives[0])
            for sub in positives[1:]:
                if not mask.any():
                    break
                m, sc = self._eval(sub)
                mask &= m
                score += sc
        for sub in negatives:
            m, _ = self._eval(sub)
            mask &= ~m
            score += 1.0  # whoosh intersects a Not as a matcher that scores 1 for every document it lets through
        if boost != 1.0:
            score *= boost
        return mask, np.where(mask, score, 0.0)

    def _add_term(self, fieldname: str, text: Any, boost: float, mask: np.ndarray, score: np.ndarray) -> None:
        """Mark the term's documents in ``mask`` and add its BM25F score (times ``boost``) to ``score``."""
        if fieldname not in self.schema:
            return
        field = self.schema[fieldname]
        try:
            btext = text if isinstance(text, bytes) else field.to_bytes(text)
        except ValueError:
            return
        top = self.searcher
        if (fieldname, btext) not in top.reader():
            return
        scorable = field.scorable
        if scorable:
            idf = top.idf(fieldname, btext)
            avgfl = top.avg_field_length(fieldname) or 1
            B = self.weighting._field_B.get(fieldname, self.weighting.B)
            K1 = self.weighting.K1
        for leaf in self.leaves:
            if (fieldname, btext) not in leaf.reader:
                continue
            ids, weights = _postings(leaf.reader, fieldname, btext, leaf.size)
            if not ids.size:
                continue
            glob = ids + leaf.offset
            mask[glob] = True
            if scorable:
                fl = leaf.lengths(fieldname)[ids]
                sc = idf * ((weights * (K1 + 1)) / (weights + K1 * ((1 - B) + B * fl / avgfl)))
            else:
                sc = weights
            score[glob] += sc * boost if boost != 1.0 else sc

    def _multiterm(self, q: wq.MultiTerm) -> tuple[np.ndarray, np.ndarray]:
        """Prefix and range queries: the union of their terms, scores summed (times the boost).

        That is what whoosh's ``MultiTerm`` matcher does on an index of more than
        5,000 documents (a union of term matchers); on smaller indexes whoosh
        switches to a preloading matcher that scores differently, so only the
        large-index ranking is reproduced: a one-character query ranks by how
        much of its pairs a document holds, on any index size.
        """
        mask, score = self._empty()
        fieldname = q.field()
        btexts = [b for b in q._btexts(self.searcher.reader()) if b]
        for btext in btexts:
            self._add_term(fieldname, btext, 1.0, mask, score)
        if len(btexts) > 1 and q.boost != 1.0:  # a lone expansion is whoosh's plain term matcher
            score *= q.boost
        return mask, score

    def _whoosh(self, q: wq.Query) -> tuple[np.ndarray, np.ndarray]:
        """Anything else: whoosh's own matcher, one document at a time (same results, its speed)."""
        self.fallbacks += 1
        mask, score = self._empty()
        for sub, offset in self.searcher.leaf_searchers():
            m = q.matcher(sub)
            while m.is_active():
                d = m.id() + offset
                mask[d] = True
                score[d] = m.score()
                m.next()
        return mask, score
