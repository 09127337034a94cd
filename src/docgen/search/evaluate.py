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
from collections import OrderedDict
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


#: decoded postings kept per engine (bytes); the hot terms of a 195,000-entry index take ~30 MB
POSTINGS_CACHE_BYTES = 96 * 1024 * 1024


@dataclass
class _Posting:
    """One term's postings in one segment: local docnums (ascending) and weights (None: all 1.0)."""

    ids: np.ndarray
    weights: np.ndarray | None

    @property
    def nbytes(self) -> int:
        return int(self.ids.nbytes + (self.weights.nbytes if self.weights is not None else 0)) + 100

    def weights_at(self, pos: np.ndarray | slice) -> np.ndarray:
        if self.weights is None:
            return np.ones(self.ids[pos].size)
        return self.weights[pos].astype(np.float64)


_ABSENT = _Posting(np.empty(0, np.int32), None)


class SegmentCache:
    """Per-segment data that never changes while a segment exists: field lengths, sort keys, decoded postings.

    Keyed by the segment's id, which whoosh never reuses; deletions do not
    change lengths, dates or postings (deleted entries stay in the postings
    until a merge and are masked by the live set), so an entry stays valid
    until the segment is merged away (then it is dropped by :meth:`retain`).
    Decoded postings are the expensive part of a query (whoosh's block reader
    unpickles every block in Python): the most recently used ones are kept,
    up to :data:`POSTINGS_CACHE_BYTES`, so memory stays bounded.  The engine
    uses its cache under its lock only.
    """

    def __init__(self, postings_bytes: int = POSTINGS_CACHE_BYTES) -> None:
        self._data: dict[tuple[str, str, str], np.ndarray] = {}
        self._postings: OrderedDict[tuple[str, str, bytes], _Posting] = OrderedDict()
        self.postings_limit = postings_bytes
        self.postings_bytes = 0

    def get(self, key: tuple[str, str, str]) -> np.ndarray | None:
        return self._data.get(key)

    def put(self, key: tuple[str, str, str], value: np.ndarray) -> None:
        self._data[key] = value

    def posting(self, key: tuple[str, str, bytes]) -> _Posting | None:
        """Decoded postings of one term in one segment, if cached (``_ABSENT`` for a term not there)."""
        got = self._postings.get(key)
        if got is not None:
            self._postings.move_to_end(key)
        return got

    def put_posting(self, key: tuple[str, str, bytes], value: _Posting) -> None:
        old = self._postings.pop(key, None)
        if old is not None:
            self.postings_bytes -= old.nbytes
        if value.nbytes > self.postings_limit // 4:
            return  # one huge list would evict everything else; it is decoded again when asked for
        self._postings[key] = value
        self.postings_bytes += value.nbytes
        while self.postings_bytes > self.postings_limit and self._postings:
            _, dropped = self._postings.popitem(last=False)
            self.postings_bytes -= dropped.nbytes

    def retain(self, segids: set[str]) -> None:
        """Forget arrays of segments that no longer exist."""
        for key in [k for k in self._data if k[0] not in segids]:
            del self._data[key]
        for pkey in [k for k in self._postings if k[0] not in segids]:
            self.postings_bytes -= self._postings.pop(pkey).nbytes


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

    def posting(self, fieldname: str, btext: bytes) -> _Posting:
        """The term's postings in this segment, decoded once and cached (``_ABSENT`` if the term is not here)."""
        key = (self.segid, fieldname, btext)
        got = self.cache.posting(key)
        if got is None:
            if (fieldname, btext) not in self.reader:
                got = _ABSENT
            else:
                ids, weights = _postings(self.reader, fieldname, btext, self.size)
                ids32 = ids.astype(np.int32)
                w: np.ndarray | None = weights
                if weights.size and bool(np.all(weights == 1.0)):
                    w = None
                elif np.array_equal(weights.astype(np.float32), weights):
                    w = weights.astype(np.float32)  # term frequencies: small whole numbers, exact in 32 bits
                got = _Posting(ids32, w)
            self.cache.put_posting(key, got)
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


# A query's matches during evaluation: global docnums (ascending, unique) and their scores.
_Sparse = tuple[np.ndarray, np.ndarray]


class Evaluator:
    """Evaluates whoosh queries on one searcher, returning every match with its score.

    ``searcher`` is the top-level whoosh searcher (global statistics: idf and
    average field lengths come from it, as in whoosh's scorer); ``cache``
    keeps per-segment arrays and decoded postings across searcher refreshes.

    Matches are kept sparse (docnums and scores of the matching entries
    only).  An ``And`` is driven by its most selective part (the one with
    the fewest possible matches: a term's document frequency, an ``Or``'s
    sum, an ``And``'s minimum): that part is evaluated, and every other part
    only *checks* those candidates (:meth:`_filter`: a binary search of each
    candidate in a term's postings), so a rare term next to a common one
    costs the rare one's length, not the common one's.  Scores are added
    exactly where whoosh's matchers add them, in any order.
    """

    def __init__(self, searcher: Any, cache: SegmentCache | None = None) -> None:
        self.searcher = searcher
        self.schema = searcher.schema
        self.cache = cache if cache is not None else SegmentCache()
        self.leaves = [_Leaf(s.reader(), off, self.cache) for s, off in searcher.leaf_searchers()]
        self.size = sum(leaf.size for leaf in self.leaves)
        self._offsets = np.array([leaf.offset for leaf in self.leaves] + [self.size], dtype=np.int64)
        weighting = searcher.weighting
        if not isinstance(weighting, BM25F):
            raise TypeError("docgen's evaluator scores like whoosh's BM25F only")
        self.weighting = weighting
        self.cache.retain({leaf.segid for leaf in self.leaves})
        self._live: np.ndarray | None = None
        self._live_ids: np.ndarray | None = None
        # per searcher: a term's scoring statistics and document frequency, a field's average length
        self._stats: dict[tuple[str, bytes], tuple[float, float, float, float] | None] = {}
        self._df: dict[tuple[str, bytes], int] = {}
        # per evaluation: what a multi-term query expands to (asked for its estimate, then evaluated)
        self._expansions: dict[int, list[bytes]] = {}
        # how many query nodes went to whoosh's own matcher (tests check the common ones never do)
        self.fallbacks = 0

    # -- public -----------------------------------------------------------------------
    def matches(self, q: wq.Query) -> Matches:
        """Every live document matching ``q`` (ascending docnum) with whoosh's BM25F score."""
        self._expansions = {}
        try:
            ids, scores = self._eval(q)
        finally:
            self._expansions = {}
        keep = self.live[ids]
        return Matches(ids[keep], scores[keep])

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

    # -- helpers ---------------------------------------------------------------------------
    @staticmethod
    def _none() -> _Sparse:
        return np.empty(0, np.int64), np.empty(0, np.float64)

    def _live_docnums(self) -> np.ndarray:
        if self._live_ids is None:
            self._live_ids = np.flatnonzero(self.live)
        return self._live_ids

    def _sparse(self, mask: np.ndarray, score: np.ndarray) -> _Sparse:
        ids = np.flatnonzero(mask)
        return ids, score[ids]

    def _btext(self, fieldname: str, text: Any) -> bytes | None:
        """The term's bytes in the index (None: not a term of this schema)."""
        if fieldname not in self.schema:
            return None
        try:
            return text if isinstance(text, bytes) else self.schema[fieldname].to_bytes(text)
        except ValueError:
            return None

    def _term_stats(self, fieldname: str, btext: bytes) -> tuple[float, float, float, float] | None:
        """whoosh's BM25F inputs for a term (idf, average field length, B, K1); None for an unscored field."""
        key = (fieldname, btext)
        if key not in self._stats:
            stats = None
            if self.schema[fieldname].scorable:
                top = self.searcher
                stats = (float(top.idf(fieldname, btext)), float(top.avg_field_length(fieldname) or 1),
                         float(self.weighting._field_B.get(fieldname, self.weighting.B)), float(self.weighting.K1))
            self._stats[key] = stats
        return self._stats[key]

    def _scores(self, stats: tuple[float, float, float, float] | None, leaf: _Leaf, fieldname: str,
                local: np.ndarray, weights: np.ndarray, boost: float) -> np.ndarray:
        """BM25F scores of one term at some of its postings in a segment (as whoosh's scorer computes them)."""
        if stats is None:
            sc = weights
        else:
            idf, avgfl, B, K1 = stats
            fl = leaf.lengths(fieldname)[local]
            sc = idf * ((weights * (K1 + 1)) / (weights + K1 * ((1 - B) + B * fl / avgfl)))
        return sc * boost if boost != 1.0 else sc

    def _doc_frequency(self, fieldname: str, btext: bytes) -> int:
        key = (fieldname, btext)
        got = self._df.get(key)
        if got is None:
            got = int(self.searcher.reader().doc_frequency(fieldname, btext))
            self._df[key] = got
        return got

    def _btexts(self, q: wq.MultiTerm) -> list[bytes]:
        """What a prefix or range expands to in this index (looked up once per evaluation)."""
        key = id(q)
        got = self._expansions.get(key)
        if got is None:
            got = [b for b in q._btexts(self.searcher.reader()) if b]
            self._expansions[key] = got
        return got

    # -- how many documents a query can match at most (to choose what drives an And) -------------------
    def _estimate(self, q: wq.Query) -> int:
        if isinstance(q, wq.Term):
            btext = self._btext(q.fieldname, q.text)
            return 0 if btext is None else self._doc_frequency(q.fieldname, btext)
        if isinstance(q, wq.And):
            positives = [s for s in q.subqueries if not isinstance(s, wq.Not)]
            return min((self._estimate(s) for s in positives), default=self.size)
        if isinstance(q, wq.Or) and not (getattr(q, "minmatch", 0) or getattr(q, "scale", None)):
            return min(self.size, sum(self._estimate(s) for s in q.subqueries))
        if isinstance(q, (wq.AndNot, wq.AndMaybe)):
            return self._estimate(q.a)
        if isinstance(q, wq.NullQuery.__class__):
            return 0
        if isinstance(q, wq.ConstantScoreQuery):
            return self._estimate(q.child)
        if isinstance(q, wq.MultiTerm) and not isinstance(q, wq.NumericRange):
            field = q.field()
            return min(self.size, sum(self._doc_frequency(field, b) for b in self._btexts(q)))
        return self.size

    # -- evaluation: every match of a query ----------------------------------------------------
    def _eval(self, q: wq.Query) -> _Sparse:
        if isinstance(q, wq.Term):
            return self._term(q.fieldname, q.text, q.boost)
        if isinstance(q, wq.And):
            return self._and(q.subqueries, q.boost)
        if isinstance(q, wq.Or):
            if getattr(q, "minmatch", 0) or getattr(q, "scale", None):
                return self._whoosh(q)
            if len(q.subqueries) == 1:  # whoosh uses the lone sub-query's matcher as is (no boost)
                return self._eval(q.subqueries[0])
            ids, score = self._union([self._eval(sub) for sub in q.subqueries])
            return ids, score * q.boost if q.boost != 1.0 else score
        if isinstance(q, wq.Not):
            # whoosh's inverse matcher: every live document without the match, each scoring 1
            ids = self._live_docnums()
            inside, _ = self._filter(q.query, ids)
            ids = ids[~inside]
            return ids, np.ones(ids.size)
        if isinstance(q, wq.AndNot):
            ids, score = self._eval(q.a)
            inside, _ = self._filter(q.b, ids)
            return ids[~inside], score[~inside]
        if isinstance(q, wq.AndMaybe):
            ids, score = self._eval(q.a)
            inside, extra = self._filter(q.b, ids)
            return ids, score + np.where(inside, extra, 0.0)
        if isinstance(q, wq.Every) and not q.fieldname:
            ids = self._live_docnums()
            return ids, np.full(ids.size, float(q.boost))
        if isinstance(q, wq.NullQuery.__class__):
            return self._none()
        if isinstance(q, wq.NumericRange):  # dates: whoosh compiles them into terms of several precisions
            return self._eval(q._compile_query(self.searcher.reader()))
        if isinstance(q, wq.MultiTerm):
            return self._multiterm(q)
        if isinstance(q, wq.ConstantScoreQuery):
            ids, _ = self._eval(q.child)
            return ids, np.full(ids.size, float(q.score))
        return self._whoosh(q)

    def _term(self, fieldname: str, text: Any, boost: float) -> _Sparse:
        """Every posting of a term (all segments) with its BM25F score times ``boost``."""
        btext = self._btext(fieldname, text)
        if btext is None:
            return self._none()
        stats: tuple[float, float, float, float] | None = None
        id_parts: list[np.ndarray] = []
        score_parts: list[np.ndarray] = []
        for leaf in self.leaves:
            post = leaf.posting(fieldname, btext)
            if not post.ids.size:
                continue
            if not id_parts:
                stats = self._term_stats(fieldname, btext)
            local = post.ids
            id_parts.append(local.astype(np.int64) + leaf.offset)
            score_parts.append(self._scores(stats, leaf, fieldname, local, post.weights_at(slice(None)), boost))
        if not id_parts:
            return self._none()
        if len(id_parts) == 1:
            return id_parts[0], score_parts[0]
        return np.concatenate(id_parts), np.concatenate(score_parts)

    def _and(self, subs: list[wq.Query], boost: float = 1.0) -> _Sparse:
        if not subs:
            return self._none()
        if len(subs) == 1:  # whoosh uses the lone sub-query's matcher as is (no boost)
            return self._eval(subs[0])
        positives = [s for s in subs if not isinstance(s, wq.Not)]
        negatives = [s.query for s in subs if isinstance(s, wq.Not)]
        if not positives:
            ids = self._live_docnums()
            score = np.zeros(ids.size)
        else:
            ranked = sorted(positives, key=self._estimate)
            ids, score = self._eval(ranked[0])
            for sub in ranked[1:]:
                if not ids.size:
                    break
                inside, extra = self._filter(sub, ids)
                ids, score = ids[inside], score[inside] + extra[inside]
        for sub in negatives:
            if not ids.size:
                break
            inside, _ = self._filter(sub, ids)
            ids, score = ids[~inside], score[~inside]
        if negatives:
            score = score + float(len(negatives))  # whoosh intersects a Not as a matcher scoring 1 per document
        if boost != 1.0:
            score = score * boost
        return ids, score

    def _union(self, parts: list[_Sparse]) -> _Sparse:
        """The documents of any of the parts, their scores added."""
        parts = [p for p in parts if p[0].size]
        if not parts:
            return self._none()
        if len(parts) == 1:
            return parts[0]
        n = sum(p[0].size for p in parts)
        if n * 8 > self.size:  # many postings: accumulate on a dense array
            mask = np.zeros(self.size, dtype=bool)
            score = np.zeros(self.size, dtype=np.float64)
            for ids, sc in parts:
                mask[ids] = True
                score[ids] += sc
            return self._sparse(mask, score)
        all_ids = np.concatenate([p[0] for p in parts])
        all_scores = np.concatenate([p[1] for p in parts])
        ids, inverse = np.unique(all_ids, return_inverse=True)
        return ids, np.bincount(inverse, weights=all_scores, minlength=ids.size)

    def _multiterm(self, q: wq.MultiTerm) -> _Sparse:
        """Prefix and range queries: the union of their terms, scores summed (times the boost).

        That is what whoosh's ``MultiTerm`` matcher does on an index of more than
        5,000 documents (a union of term matchers); on smaller indexes whoosh
        switches to a preloading matcher that scores differently, so only the
        large-index ranking is reproduced: a one-character query ranks by how
        much of its pairs a document holds, on any index size.
        """
        fieldname = q.field()
        btexts = self._btexts(q)
        ids, score = self._union([self._term(fieldname, btext, 1.0) for btext in btexts])
        if len(btexts) > 1 and q.boost != 1.0:  # a lone expansion is whoosh's plain term matcher
            score = score * q.boost
        return ids, score

    # -- filtering: which of some candidates match a query, and their scores -------------------------
    def _filter(self, q: wq.Query, cand: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """For candidate docnums (ascending): which match ``q`` and with what score (0 where not).

        Only terms and the combinations of them look at the candidates alone
        (a binary search per candidate); anything else is evaluated whole and
        intersected.
        """
        if not cand.size:
            return np.zeros(0, dtype=bool), np.zeros(0)
        if isinstance(q, wq.Term):
            return self._filter_term(q.fieldname, q.text, q.boost, cand)
        if isinstance(q, wq.Or) and not (getattr(q, "minmatch", 0) or getattr(q, "scale", None)):
            if len(q.subqueries) == 1:
                return self._filter(q.subqueries[0], cand)
            inside = np.zeros(cand.size, dtype=bool)
            score = np.zeros(cand.size)
            for sub in q.subqueries:
                m, sc = self._filter(sub, cand)
                inside |= m
                score += np.where(m, sc, 0.0)
            return inside, score * q.boost if q.boost != 1.0 else score
        if isinstance(q, wq.And):
            if not q.subqueries:
                return np.zeros(cand.size, dtype=bool), np.zeros(cand.size)
            if len(q.subqueries) == 1:
                return self._filter(q.subqueries[0], cand)
            inside = np.ones(cand.size, dtype=bool)
            score = np.zeros(cand.size)
            for sub in q.subqueries:
                if isinstance(sub, wq.Not):
                    m, _ = self._filter(sub.query, cand)
                    inside &= ~m
                    score += 1.0
                else:
                    m, sc = self._filter(sub, cand)
                    inside &= m
                    score += np.where(m, sc, 0.0)
            if q.boost != 1.0:
                score = score * q.boost
            return inside, np.where(inside, score, 0.0)
        if isinstance(q, wq.Not):
            m, _ = self._filter(q.query, cand)
            inside = ~m & self.live[cand]
            return inside, inside.astype(np.float64)
        if isinstance(q, wq.AndNot):
            a, sa = self._filter(q.a, cand)
            b, _ = self._filter(q.b, cand)
            inside = a & ~b
            return inside, np.where(inside, sa, 0.0)
        if isinstance(q, wq.AndMaybe):
            a, sa = self._filter(q.a, cand)
            b, sb = self._filter(q.b, cand)
            return a, np.where(a, sa + np.where(b, sb, 0.0), 0.0)
        if isinstance(q, wq.NullQuery.__class__):
            return np.zeros(cand.size, dtype=bool), np.zeros(cand.size)
        if isinstance(q, wq.Every) and not q.fieldname:
            inside = self.live[cand]
            return inside, np.where(inside, float(q.boost), 0.0)
        if isinstance(q, wq.ConstantScoreQuery):
            inside, _ = self._filter(q.child, cand)
            return inside, np.where(inside, float(q.score), 0.0)
        ids, scores = self._eval(q)
        return _member(ids, scores, cand)

    def _filter_term(self, fieldname: str, text: Any, boost: float, cand: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        btext = self._btext(fieldname, text)
        inside = np.zeros(cand.size, dtype=bool)
        score = np.zeros(cand.size)
        if btext is None:
            return inside, score
        bounds = np.searchsorted(cand, self._offsets)
        stats: tuple[float, float, float, float] | None = None
        have_stats = False
        for k, leaf in enumerate(self.leaves):
            lo, hi = int(bounds[k]), int(bounds[k + 1])
            if lo == hi:
                continue
            post = leaf.posting(fieldname, btext)
            if not post.ids.size:
                continue
            local = cand[lo:hi] - leaf.offset
            pos = np.searchsorted(post.ids, local)
            pos[pos == post.ids.size] = 0
            found = post.ids[pos] == local
            if not found.any():
                continue
            if not have_stats:
                stats, have_stats = self._term_stats(fieldname, btext), True
            where = np.flatnonzero(found) + lo
            inside[where] = True
            score[where] = self._scores(stats, leaf, fieldname, local[found], post.weights_at(pos[found]), boost)
        return inside, score

    def _whoosh(self, q: wq.Query) -> _Sparse:
        """Anything else: whoosh's own matcher, one document at a time (same results, its speed)."""
        self.fallbacks += 1
        ids: list[int] = []
        scores: list[float] = []
        for sub, offset in self.searcher.leaf_searchers():
            m = q.matcher(sub)
            while m.is_active():
                ids.append(m.id() + offset)
                scores.append(m.score())
                m.next()
        if not ids:
            return self._none()
        order = np.argsort(np.asarray(ids, dtype=np.int64), kind="stable")
        return np.asarray(ids, dtype=np.int64)[order], np.asarray(scores, dtype=np.float64)[order]


def _member(ids: np.ndarray, scores: np.ndarray, cand: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Which candidates are among ``ids`` (both ascending), and their scores there (0 elsewhere)."""
    if not ids.size:
        return np.zeros(cand.size, dtype=bool), np.zeros(cand.size)
    pos = np.searchsorted(ids, cand)
    pos[pos == ids.size] = 0
    inside = ids[pos] == cand
    return inside, np.where(inside, scores[pos], 0.0)
