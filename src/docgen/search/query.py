"""Queries: what a user types (``卫生间 漏水 type:维修记录 NOT 已关闭``) plus flags, into whoosh queries.

One parser (whoosh's, with field aliases in Chinese) reads the query string;
each free-text term is built here by :func:`term_query`: a phrase of the term's
character bigrams in ``text`` and ``meta`` (exact substring semantics), the
whole term in ``words`` (jieba) to rank documents where it is a word, and, when
the term looks like one, the exact ``unit`` or ``codes`` fields.  Flags become
filters.  Nothing here opens an index; :mod:`docgen.search.api` runs it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import re
import unicodedata
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from whoosh import query as wq

from docgen.errors import UsageError
from docgen.search.analysis import code_grams, fold, is_cjk, looks_like_code, parse_unit_query
from docgen.search.schema import KINDS
from docgen.vocab import DOC_TYPES, STAGES, doc_type_code

FIELD_ALIASES: dict[str, list[str]] = {
    "text": ["正文", "内容"],
    "meta": ["标题", "文件名"],
    "type": ["类型"],
    "project": ["项目"],
    "batch": ["批次"],
    "unit": ["房号"],
    "owners": ["业主", "owner"],
    "codes": ["编号", "号码", "code"],
    "status": ["状态"],
    "kind": ["类别"],
    "stage": ["阶段"],
    "date": ["日期"],
    "component": ["部位"],
    "signed": ["已签"],
    "open": ["未结"],
}
KIND_BY_LABEL = {label: kind for kind, label in KINDS.items()}
SORTS = ("relevance", "date", "date-asc")


@dataclass
class Query:
    """A search request: the query string, filters, sort order, limit and output options."""

    text: str = ""
    project: str | None = None
    batch: str | None = None
    type: str | None = None
    stage: str | None = None
    unit: str | None = None
    owner: str | None = None
    kind: str | None = None
    status: str | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    signed: bool | None = None
    open: bool | None = None
    sort: str = "relevance"
    limit: int = 20
    # hits to skip (page 2 of 20 per page: offset 20)
    offset: int = 0
    highlight: bool = True
    reveal: bool = False
    # what unmasked results are for, journaled with --reveal (e.g. "导出到 结果.xlsx")
    purpose: str = ""
    # the projects the user may see (None: all); a filter inside the engine, so totals,
    # pages and exports never count or show another project's entries (web project scoping)
    projects: frozenset[str] | None = None


@dataclass
class Hit:
    """One result: what it is, where it is filed, and a snippet with highlight offsets."""

    kind: str
    uid: str
    doc_id: str
    owner: str
    project: str
    place: str
    type: str
    type_label: str
    title: str
    original_name: str
    date: dt.date | None
    score: float
    signed: bool | None = None
    status: str = ""
    source: str = ""
    snippet: str = ""
    highlights: list[tuple[int, int]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """JSON form for ``--json``."""
        return {
            "kind": self.kind,
            "id": self.doc_id or self.owner,
            "owner": self.owner,
            "project": self.project,
            "place": self.place,
            "type": self.type,
            "type_label": self.type_label,
            "title": self.title,
            "original_name": self.original_name,
            "date": self.date.isoformat() if self.date else None,
            "score": round(self.score, 4),
            "signed": self.signed,
            "status": self.status,
            "snippet": self.snippet,
            "highlights": [list(h) for h in self.highlights],
        }


@dataclass
class Results:
    """A page of hits, the total number of matches, and how fresh the index was."""

    query: Query
    total: int
    hits: list[Hit]
    elapsed_ms: float
    index_seq: int = 0
    pending_entries: int | None = 0
    note: str = ""
    literals: list[str] = field(default_factory=list)
    total_exact: bool = True

    def as_dict(self) -> dict[str, Any]:
        """JSON form for ``--json``."""
        return {
            "query": self.query.text,
            "total": self.total,
            "total_exact": self.total_exact,
            "offset": self.query.offset,
            "returned": len(self.hits),
            "elapsed_ms": round(self.elapsed_ms, 1),
            "index_seq": self.index_seq,
            "pending_entries": self.pending_entries,
            "note": self.note,
            "hits": [h.as_dict() for h in self.hits],
        }


# --- building whoosh queries ------------------------------------------------------

class TextTerm(wq.Or):
    """One free-text term: its character pairs in ``text``/``meta`` (+ word, unit, code alternatives).

    ``literal`` is the folded term; ``exact`` says whether the index alone
    decides the match (terms of one or two characters).  Longer terms match
    where all their pairs occur, and :func:`verify` confirms the substring in
    the hit's text, so results equal a substring search.
    """

    def __init__(self, subqueries: list[wq.Query], boost: float = 1.0, literal: str = "", exact: bool = True,
                 unit: str | None = None, code: str | None = None, **kwargs: Any) -> None:
        super().__init__(subqueries, boost=boost, **kwargs)
        self.literal = literal
        self.exact = exact
        self.unit = unit
        self.code = code

    def __eq__(self, other: object) -> bool:
        return super().__eq__(other) and getattr(other, "literal", None) == self.literal

    def __hash__(self) -> int:
        return hash((super().__hash__(), self.literal))

    def normalize(self) -> wq.Query:
        """Plain whoosh Or for searching (the tagged tree is kept for verification)."""
        return wq.Or(list(self.subqueries), boost=self.boost).normalize()


_reader: ContextVar[Any] = ContextVar("docgen_search_reader", default=None)
RAREST_PAIRS = 2
MAX_TOKENS = 8
CHEAP_DF = 1000


@contextlib.contextmanager
def using_reader(reader: Any) -> Iterator[None]:
    """Let query building look up how common each character pair is (to keep only the rarest)."""
    token = _reader.set(reader)
    try:
        yield
    finally:
        _reader.reset(token)


class CharPrefix(wq.Prefix):
    """A one-character term: every character pair starting with it (not the longer code grams)."""

    def _btexts(self, ixreader: Any) -> Iterator[bytes]:
        for btext in super()._btexts(ixreader):
            if len(btext.decode("utf-8")) <= 2:
                yield btext


def _pairs(fieldname: str, literal: str, boost: float) -> wq.Query:
    """The literal's tokens in one field: its character pairs and code 4-grams (a lone character: a prefix).

    With an index reader at hand only the rarest few are kept (:data:`RAREST_PAIRS`,
    twice that for mostly-Latin terms): they already narrow the candidates to
    (nearly) the documents that contain the literal, the text confirms the
    rest, and whoosh intersects a few short lists much faster than many long
    ones.  A code's 4-grams are usually far rarer than its pairs, so a
    contract or ID number keeps mostly those.
    """
    parts: list[wq.Query] = []
    tokens: list[str] = []
    for run in literal.split():
        if len(run) == 1:
            parts.append(CharPrefix(fieldname, run, boost=boost))
            continue
        for tok in [run[i : i + 2] for i in range(len(run) - 1)] + code_grams(run):
            if tok not in tokens:
                tokens.append(tok)
    reader = _reader.get()
    # digits and Latin letters make common pairs (dates, amounts): codes keep more of them
    keep = RAREST_PAIRS if sum(not c.isascii() for c in literal) * 2 >= len(literal) else 2 * RAREST_PAIRS
    if reader is not None and len(tokens) > keep:
        dfs = {tok: reader.doc_frequency(fieldname, tok) for tok in tokens}
        ranked = sorted(tokens, key=dfs.__getitem__)
        # the rarest few, and any other short posting list (cheap to read, and it can only narrow)
        tokens = ranked[:keep] + [t for t in ranked[keep:MAX_TOKENS] if dfs[t] <= CHEAP_DF]
    parts.extend(wq.Term(fieldname, tok, boost=boost) for tok in tokens)
    return wq.And(parts) if len(parts) > 1 else parts[0]


def text_term(literal: str, boost: float = 1.0, fields: tuple[str, ...] = ("text", "meta"),
              extras: bool = True) -> wq.Query:
    """The query for one folded literal (see :class:`TextTerm`)."""
    if not literal:
        return wq.NullQuery
    parts: list[wq.Query] = [_pairs(f, literal, boost) for f in fields]
    if " " not in literal and len(literal) >= 2:
        parts.append(wq.Term("words", literal, boost=boost * 0.5))
    unit = parse_unit_query(literal) if extras else None
    code = fold(literal).replace(" ", "") if extras and looks_like_code(literal) else None
    if unit:
        parts.append(wq.Term("unit", unit, boost=boost))
    if code:
        parts.append(wq.Term("codes", code, boost=boost))
    exact = " " not in literal and len(literal) <= 2
    return TextTerm(parts, boost=boost, literal=literal, exact=exact, unit=unit, code=code)


def term_query(fieldname: str, qstring: str, boost: float = 1.0) -> wq.Query:
    """The query for one free-text term typed by the user."""
    fields: tuple[str, ...] = ("meta",) if fieldname == "meta" else ("text", "meta")
    return text_term(fold(qstring), boost, fields)


def _type_code(value: str) -> str:
    try:
        return doc_type_code(unicodedata.normalize("NFKC", value).strip())
    except ValueError as exc:
        raise UsageError(str(exc)) from exc


def _kind(value: str) -> str:
    v = value.strip()
    if v in KINDS:
        return v
    if v in KIND_BY_LABEL:
        return KIND_BY_LABEL[v]
    raise UsageError(f"未知的类别 {value!r}(可用:{'、'.join(f'{k}({label})' for k, label in KINDS.items())})")


def code_query(fieldname: str, qstring: str, boost: float = 1.0) -> wq.Query:
    """Exact query on a folded keyword field; units accept partial Chinese forms, types their labels."""
    value = qstring.strip()
    if fieldname == "unit":
        unit = parse_unit_query(value)
        if unit is None:
            raise UsageError(f"房号 {qstring!r} 无法识别:应为 3栋2单元1203、3栋2单元、3栋 或 03-2-1203 的形式")
        return wq.Term("unit", unit, boost=boost)
    if fieldname == "type":
        return wq.Term("type", _type_code(value), boost=boost)
    if fieldname == "kind":
        return wq.Term("kind", _kind(value), boost=boost)
    if fieldname == "project":
        return wq.Term("project", unicodedata.normalize("NFKC", value).strip().upper(), boost=boost)
    if fieldname in ("stage", "status", "batch"):
        return wq.Term(fieldname, unicodedata.normalize("NFKC", value).strip(), boost=boost)
    return wq.Term(fieldname, fold(value).replace(" ", ""), boost=boost)


def make_parser(schema: Any) -> Any:
    """whoosh's query parser over the free-text fields, with Chinese field aliases and no wildcards."""
    from whoosh import qparser

    parser = qparser.QueryParser("text", schema, phraseclass=_phrase_class)
    parser.remove_plugin_class(qparser.WildcardPlugin)
    parser.remove_plugin_class(qparser.BoostPlugin)
    parser.add_plugin(qparser.FieldAliasPlugin(FIELD_ALIASES))
    return parser


def _phrase_class(fieldname: str, words: list[str], boost: float = 1.0, slop: int = 1, char_ranges: Any = None) -> wq.Query:
    """Quoted phrases: the whole quoted text as one term (whitespace between Chinese ignored)."""
    literal = _from_grams(list(words))
    fields: tuple[str, ...] = ("meta",) if fieldname == "meta" else ("text", "meta")
    return text_term(literal, boost, fields, extras=False)


def parse_text(parser: Any, text: str) -> wq.Query | None:
    """Parse the query string (None when it is empty); syntax errors become a UsageError."""
    if not text.strip():
        return None
    normalized = unicodedata.normalize("NFKC", text)
    for a, b in (("“", '"'), ("”", '"'), ("‘", "'"), ("’", "'")):
        normalized = normalized.replace(a, b)
    try:
        q = parser.parse(normalized, normalize=False)
    except UsageError:
        raise
    except Exception as exc:  # whoosh's range parsing raises bare Exceptions ("'abc' is not a parseable date")
        raise UsageError(f"无法理解检索式 {text!r}:{exc}") from exc
    stack = [q]
    while stack:
        node = stack.pop()
        err = getattr(node, "error", None)
        if err is not None:
            if isinstance(err, UsageError):
                raise err
            raise UsageError(f"无法理解检索式 {text!r}:{err}")
        stack.extend(node.children() if hasattr(node, "children") else [])
    if isinstance(q, wq.NullQuery.__class__) or not any(True for _ in q.leaves()):
        # text that parses to nothing (only brackets or operators) must not turn into "everything"
        raise UsageError(f"检索式 {text!r} 中没有可检索的词;只按条件筛选时请不写检索式,如 docgen search --kind repair")
    return q


def filters(query: Query) -> list[wq.Query]:
    """The flag filters of a request as whoosh queries (bad values are a UsageError)."""
    out: list[wq.Query] = []
    if query.projects is not None:
        out.append(project_scope(query.projects))
    if query.project:
        out.append(code_query("project", query.project))
    if query.batch:
        out.append(code_query("batch", query.batch))
    if query.type:
        out.append(code_query("type", query.type))
    if query.stage:
        if query.stage not in STAGES:
            raise UsageError(f"未知的阶段 {query.stage!r}(可用:{'、'.join(STAGES)})")
        out.append(code_query("stage", query.stage))
    if query.unit:
        out.append(code_query("unit", query.unit))
    if query.owner:
        out.append(wq.Term("owners", fold(query.owner).replace(" ", "")))
    if query.kind:
        out.append(code_query("kind", query.kind))
    if query.status:
        out.append(code_query("status", query.status))
    if query.date_from or query.date_to:
        if query.date_from and query.date_to and query.date_from > query.date_to:
            raise UsageError(f"起始日期 {query.date_from} 晚于结束日期 {query.date_to}")
        start = dt.datetime.combine(query.date_from, dt.time.min) if query.date_from else None
        end = dt.datetime.combine(query.date_to, dt.time.max) if query.date_to else None
        out.append(wq.DateRange("date", start, end))
    if query.signed is not None:
        out.append(wq.Term("signed", query.signed))
    if query.open is not None:
        out.append(wq.Term("open", query.open))
    if query.sort not in SORTS:
        raise UsageError(f"未知的排序方式 {query.sort!r}(可用:relevance、date、date-asc)")
    if query.limit < 1:
        raise UsageError("--limit 应为正整数")
    if query.offset < 0:
        raise UsageError("--page 应为正整数")
    return out


def project_scope(projects: frozenset[str]) -> wq.Query:
    """Entries of these projects only (none at all for an empty set); scores nothing, so ranking is unchanged."""
    terms = [wq.Term("project", code, boost=0.0) for code in sorted(projects)]
    if not terms:
        return wq.NullQuery
    return terms[0] if len(terms) == 1 else wq.Or(terms, boost=0.0)


def _walk_positive(q: wq.Query | None) -> list[TextTerm]:
    out: list[TextTerm] = []

    def walk(node: wq.Query) -> None:
        if isinstance(node, wq.Not):
            return
        if isinstance(node, wq.AndNot):
            walk(node.a)
            return
        if isinstance(node, TextTerm):
            out.append(node)
            return
        for child in node.children() if hasattr(node, "children") else []:
            walk(child)

    if q is not None:
        walk(q)
    return out


def literals(q: wq.Query | None) -> list[str]:
    """The strings a query looks for in text (for highlighting), longest first, negated parts skipped."""
    seen: list[str] = []
    for term in _walk_positive(q):
        if term.literal and term.literal not in seen:
            seen.append(term.literal)
    return sorted(seen, key=len, reverse=True)


def needs_verification(q: wq.Query | None) -> bool:
    """True if some term of 3+ characters must be confirmed in the text."""
    if q is None:
        return False
    stack = [q]
    while stack:
        node = stack.pop()
        if isinstance(node, TextTerm):
            if not node.exact:
                return True
            continue
        stack.extend(node.children() if hasattr(node, "children") else [])
    return False


@functools.lru_cache(maxsize=256)
def _gap_pattern(literal: str) -> re.Pattern[str]:
    """A regex for ``literal`` in unfolded, NFKC-clean lower-case text: whitespace allowed between CJK characters."""
    out: list[str] = []
    for i, ch in enumerate(literal):
        if ch == " ":
            out.append(r"\s+")
            continue
        if i and is_cjk(literal[i - 1]) and is_cjk(ch):
            out.append(r"\s*")
        out.append(re.escape(ch))
    return re.compile("".join(out))


class FoldedText:
    """A hit's text, answering ``literal in text`` as if it had been folded, without folding it if it can.

    Folding 1,600 characters costs about a millisecond in Python; a plain
    ``in`` on the lower-cased text decides most cases, and for NFKC-clean text
    a regex that allows whitespace between CJK characters decides the rest, in C.
    """

    __slots__ = ("_folded", "_low", "_nfkc")

    def __init__(self, raw: str) -> None:
        self._low = raw.lower()
        self._nfkc: bool | None = None
        self._folded: str | None = None

    def __contains__(self, literal: object) -> bool:
        lit = str(literal)
        if lit in self._low:
            return True
        if self._nfkc is None:
            self._nfkc = unicodedata.is_normalized("NFKC", self._low)
        if self._nfkc:
            return _gap_pattern(lit).search(self._low) is not None
        if self._folded is None:
            self._folded = fold(self._low)
        return lit in self._folded


@dataclass
class HitText:
    """What verification looks at: the folded text and metadata of a hit, and its exact fields."""

    raw: str
    text: FoldedText | str
    meta: str
    unitcode: str = ""
    codes: tuple[str, ...] = ()


def verify(q: wq.Query, hit: HitText) -> bool:
    """Evaluate the query's text terms against a hit (other fields were decided by the index)."""
    if isinstance(q, TextTerm):
        lit = q.literal
        if lit in hit.text or lit in hit.meta:
            return True
        if q.unit and (hit.unitcode == q.unit or hit.unitcode.startswith(q.unit + "-")):
            return True
        return bool(q.code and q.code in hit.codes)
    if isinstance(q, wq.Not):
        return True  # the index already excluded every candidate (see docs: NOT is decided by character pairs)
    if isinstance(q, wq.AndNot):
        return verify(q.a, hit)
    if isinstance(q, wq.AndMaybe):
        return verify(q.a, hit)
    if isinstance(q, wq.And):
        return all(verify(c, hit) for c in q.children())
    if isinstance(q, wq.Or):
        return any(verify(c, hit) for c in q.children())
    return True


def _from_grams(words: list[str]) -> str:
    """Turn a phrase of bigram tokens back into the folded text it matches."""
    if not words:
        return ""
    lit = words[0]
    boundary = len(words[0]) == 1
    for w in words[1:]:
        if boundary:
            lit += " " + w
            boundary = len(w) == 1
        elif len(w) == 1:
            boundary = True
        else:
            lit += w[-1]
    return lit


def type_label(code: str) -> str:
    """Chinese label of a document type (or of an entry kind)."""
    if code in DOC_TYPES:
        return DOC_TYPES[code][0]
    return KINDS.get(code, code)
