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
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from typing import Any

from whoosh import query as wq

from docgen.errors import UsageError
from docgen.search.analysis import (
    UnitQuery,
    code_grams,
    fold,
    is_cjk,
    looks_like_code,
    parse_unit_query,
)
from docgen.search.language import (
    DATE_HINT,
    FIELD_ALIASES,
    OPERATOR_WORDS,
    check_flags,
    exact_value,
    folded_code,
    kind_code,
    no_terms,
    normalize_text,
    not_understood,
    project_code,
    type_code,
    unit_value,
)
from docgen.search.synonyms import SynonymTable
from docgen.search.types import Hit as Hit
from docgen.search.types import Query as Query
from docgen.search.types import Results as Results
from docgen.search.types import type_label as type_label

# --- building whoosh queries ------------------------------------------------------

class TextTerm(wq.Or):
    """One free-text term: its character pairs in ``text``/``meta`` (+ word, unit, code alternatives).

    ``literal`` is the folded term; ``exact`` says whether the index alone
    decides the match (terms of one or two characters).  Longer terms match
    where all their pairs occur, and :func:`verify` confirms the substring in
    the hit's text, so results equal a substring search.
    """

    def __init__(self, subqueries: list[wq.Query], boost: float = 1.0, literal: str = "", exact: bool = True,
                 unit: UnitQuery | None = None, code: str | None = None, **kwargs: Any) -> None:
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


class SynonymGroup(wq.Or):
    """A free-text term read with its synonyms: an ``Or`` of one :class:`TextTerm` per variant.

    ``literal`` is the term as typed (folded), ``alternatives`` the variants
    searched too (see :mod:`docgen.search.synonyms`); they rank a little below
    the typed form (:data:`SYNONYM_WEIGHT`), and each is highlighted where it
    matched.
    """

    def __init__(self, subqueries: list[wq.Query], boost: float = 1.0, literal: str = "",
                 alternatives: tuple[str, ...] = (), **kwargs: Any) -> None:
        super().__init__(subqueries, boost=boost, **kwargs)
        self.literal = literal
        self.alternatives = alternatives

    def __eq__(self, other: object) -> bool:
        return super().__eq__(other) and getattr(other, "literal", None) == self.literal

    def __hash__(self) -> int:
        return hash((super().__hash__(), self.literal))

    def normalize(self) -> wq.Query:
        """Plain whoosh Or for searching (the tagged tree is kept for verification and highlighting)."""
        return wq.Or(list(self.subqueries), boost=self.boost).normalize()


class UnitRoom(wq.Prefix):
    """A room in every entrance of a building (``3栋1203``): the unit codes ``03-*-1203`` in the index.

    The index holds each unit's code and its prefixes (``03-2-1203``, ``03-2``,
    ``03``); the building's codes are read from the term list (a few hundred
    at most) and those with the room kept, so no new token is needed.
    """

    def __init__(self, fieldname: str, building: str, room: str, boost: float = 1.0) -> None:
        super().__init__(fieldname, building + "-", boost=boost)
        self.room = room

    def __eq__(self, other: object) -> bool:
        return super().__eq__(other) and getattr(other, "room", None) == self.room

    def __hash__(self) -> int:
        return hash((super().__hash__(), self.room))

    def _btexts(self, ixreader: Any) -> Iterator[bytes]:
        tail = ("-" + self.room).encode("utf-8")
        for btext in super()._btexts(ixreader):
            if btext.endswith(tail) and btext.count(b"-") == 2:
                yield btext


def unit_query(unit: UnitQuery, boost: float = 1.0) -> wq.Query:
    """The exact ``unit`` query for a whole or partial unit (a room of any entrance: :class:`UnitRoom`)."""
    if unit.any_entrance:
        return UnitRoom("unit", unit.building, unit.room, boost=boost)
    return wq.Term("unit", unit.prefix, boost=boost)


_reader: ContextVar[Any] = ContextVar("docgen_search_reader", default=None)
_synonyms: ContextVar[SynonymTable | None] = ContextVar("docgen_search_synonyms", default=None)
#: a synonym's score relative to the word typed (documents with the typed word rank first)
SYNONYM_WEIGHT = 0.8
RAREST_PAIRS = 2
MAX_TOKENS = 8
CHEAP_DF = 1000
#: tokens in at most this share of the entries also narrow a long term's candidates (see :func:`_pairs`)
NARROWING_SHARE = 0.5
MAX_NARROWING = 8


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
    narrowing: list[str] = []
    if reader is not None and len(tokens) > keep:
        dfs = {tok: reader.doc_frequency(fieldname, tok) for tok in tokens}
        ranked = sorted(tokens, key=dfs.__getitem__)
        # the rarest few, and any other short posting list (cheap to read, and it can only narrow)
        scored = ranked[:keep] + [t for t in ranked[keep:MAX_TOKENS] if dfs[t] <= CHEAP_DF]
        # and, to check the candidates against (not to score), the rest that most entries lack
        common = NARROWING_SHARE * reader.doc_count_all()
        narrowing = [t for t in ranked[keep:] if t not in scored and dfs[t] <= common][:MAX_NARROWING]
        tokens = scored
    parts.extend(wq.Term(fieldname, tok, boost=boost) for tok in tokens)
    # the other tokens narrow the candidates the text must confirm, and score nothing (ranking unchanged)
    parts.extend(wq.ConstantScoreQuery(wq.Term(fieldname, tok), 0.0) for tok in narrowing)
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
        parts.append(unit_query(unit, boost))
    if code:
        parts.append(wq.Term("codes", code, boost=boost))
    exact = " " not in literal and len(literal) <= 2
    return TextTerm(parts, boost=boost, literal=literal, exact=exact, unit=unit, code=code)


def term_query(fieldname: str, qstring: str, boost: float = 1.0) -> wq.Query:
    """The query for one free-text term typed by the user (with its synonyms, when a table is in force)."""
    fields: tuple[str, ...] = ("meta",) if fieldname == "meta" else ("text", "meta")
    literal = fold(qstring)
    table = _synonyms.get()
    variants = table.variants(literal) if table is not None and literal else [literal]
    if len(variants) == 1:
        return text_term(literal, boost, fields)
    terms = [text_term(literal, boost, fields)]
    terms += [text_term(v, boost * SYNONYM_WEIGHT, fields) for v in variants[1:]]
    return SynonymGroup(terms, boost=boost, literal=literal, alternatives=tuple(variants[1:]))


def code_query(fieldname: str, qstring: str, boost: float = 1.0) -> wq.Query:
    """Exact query on a folded keyword field; units accept partial Chinese forms, types their labels."""
    value = qstring.strip()
    if fieldname == "unit":
        return unit_query(unit_value(value), boost)
    if fieldname == "type":
        return wq.Term("type", type_code(value), boost=boost)
    if fieldname == "kind":
        return wq.Term("kind", kind_code(value), boost=boost)
    if fieldname == "project":
        return wq.Term("project", project_code(value), boost=boost)
    if fieldname in ("stage", "status", "batch"):
        return wq.Term(fieldname, exact_value(value), boost=boost)
    return wq.Term(fieldname, folded_code(value), boost=boost)


def project_scope(projects: frozenset[str]) -> wq.Query:
    """Entries of these projects only (none at all for an empty set); scores nothing, so ranking is unchanged."""
    terms = [wq.Term("project", code, boost=0.0) for code in sorted(projects)]
    if not terms:
        return wq.NullQuery
    return terms[0] if len(terms) == 1 else wq.Or(terms, boost=0.0)


def drop_dangling_operators(parser: Any, group: Any) -> Any:
    """A parser filter: operators with nothing to join are dropped, so the words around them stay plain words.

    whoosh tags an operator only between spaces, so ``漏水 OR`` searched for
    the word "or" as well (and found less than ``漏水``), ``AND 漏水`` found
    nothing, and ``漏水 OR OR 渗水`` became an AND.  Here an operator is dropped
    when it stands at the start or end of its group (or its brackets), or right
    after another operator (the first of two is kept); ``NOT`` is dropped when
    nothing follows it.  A query of operators alone is then empty, which
    :func:`parse_text` reports as such.  To search for the word itself, quote
    it: ``"OR"``.
    """
    from whoosh.qparser import syntax

    def stray(node: Any) -> bool:  # an operator word whoosh did not tag (at an edge): never a search term
        return (isinstance(node, syntax.WordNode) and getattr(node, "fieldname", None) is None
                and node.text in OPERATOR_WORDS)

    nodes = [n for n in group.nodes if not stray(n)]
    changed = True
    while changed:
        changed = False
        kept: list[Any] = []
        for i, node in enumerate(nodes):
            last = i == len(nodes) - 1
            if isinstance(node, syntax.InfixOperator):
                dangling = not kept or isinstance(kept[-1], syntax.Operator) or last
            elif isinstance(node, syntax.PrefixOperator):
                dangling = last or isinstance(nodes[i + 1], syntax.InfixOperator)
            else:
                dangling = False
            if dangling:
                changed = True
            else:
                kept.append(node)
        nodes = kept
    group.nodes = [drop_dangling_operators(parser, n) if isinstance(n, syntax.GroupNode) else n for n in nodes]
    return group


def make_parser(schema: Any) -> Any:
    """whoosh's query parser over the free-text fields, with Chinese field aliases, no wildcards, forgiving operators."""
    from whoosh import qparser

    class DanglingOperators(qparser.Plugin):
        """Runs :func:`drop_dangling_operators` after whitespace is removed and before operators group."""

        def filters(self, parser: Any) -> list[tuple[Any, int]]:
            return [(drop_dangling_operators, 590)]

    parser = qparser.QueryParser("text", schema, phraseclass=_phrase_class)
    parser.remove_plugin_class(qparser.WildcardPlugin)
    parser.remove_plugin_class(qparser.BoostPlugin)
    parser.add_plugin(qparser.FieldAliasPlugin(FIELD_ALIASES))
    parser.add_plugin(DanglingOperators())
    return parser


def _phrase_class(fieldname: str, words: list[str], boost: float = 1.0, slop: int = 1, char_ranges: Any = None) -> wq.Query:
    """Quoted phrases: the whole quoted text as one term (whitespace between Chinese ignored)."""
    literal = _from_grams(list(words))
    fields: tuple[str, ...] = ("meta",) if fieldname == "meta" else ("text", "meta")
    return text_term(literal, boost, fields, extras=False)


def parse_text(parser: Any, text: str, synonyms: SynonymTable | None = None) -> wq.Query | None:
    """Parse the query string (None when it is empty); syntax errors become a UsageError.

    With ``synonyms`` each free-text term is read with its near-synonyms
    (:class:`SynonymGroup`); quoted phrases and field values stay as typed.
    """
    if not text.strip():
        return None
    normalized = normalize_text(text)
    token = _synonyms.set(synonyms)
    try:
        q = parser.parse(normalized, normalize=False)
    except UsageError:
        raise
    except Exception as exc:  # whoosh's range parsing raises bare Exceptions ("'abc' is not a parseable date")
        raise not_understood(text, _explain(exc)) from exc
    finally:
        _synonyms.reset(token)
    stack = [q]
    while stack:
        node = stack.pop()
        err = getattr(node, "error", None)
        if err is not None:
            if isinstance(err, UsageError):
                raise err
            raise not_understood(text, _explain(err))
        stack.extend(node.children() if hasattr(node, "children") else [])
    if isinstance(q, wq.NullQuery.__class__) or not any(True for _ in q.leaves()):
        # text that parses to nothing (only brackets or operators) must not turn into "everything"
        raise no_terms(text)
    return q


def _explain(err: object) -> str:
    """A Chinese reason for whoosh's English parse error (the English stays in the chained cause)."""
    said = str(err)
    if "month must be" in said:
        return f"月份应为 1 到 12;{DATE_HINT}"
    if "day is out of range" in said:
        return f"这一天不存在;{DATE_HINT}"
    return DATE_HINT if ("date" in said or "int()" in said or "literal" in said) else f"写法有误({DATE_HINT})"


def filters(query: Query) -> list[wq.Query]:
    """The flag filters of a request as whoosh queries, the project scope first (bad values are a UsageError)."""
    check_flags(query)
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
        out.append(code_query("stage", query.stage))
    if query.unit:
        out.append(code_query("unit", query.unit))
    if query.owner:
        out.append(wq.Term("owners", folded_code(query.owner)))
    if query.kind:
        out.append(code_query("kind", query.kind))
    if query.status:
        out.append(code_query("status", query.status))
    if query.date_from or query.date_to:
        start = dt.datetime.combine(query.date_from, dt.time.min) if query.date_from else None
        end = dt.datetime.combine(query.date_to, dt.time.max) if query.date_to else None
        out.append(wq.DateRange("date", start, end))
    if query.signed is not None:
        out.append(wq.Term("signed", query.signed))
    if query.open is not None:
        out.append(wq.Term("open", query.open))
    return out


def _walk_positive(q: wq.Query | None, groups: list[SynonymGroup] | None = None) -> list[TextTerm]:
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
        if isinstance(node, SynonymGroup) and groups is not None:
            groups.append(node)
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


def synonyms_used(q: wq.Query | None) -> dict[str, list[str]]:
    """The terms that were read with synonyms: {term as typed (folded): [variants searched too]}."""
    groups: list[SynonymGroup] = []
    _walk_positive(q, groups)
    out: dict[str, list[str]] = {}
    for g in groups:
        out.setdefault(g.literal, list(g.alternatives))
    return out


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


class HitText:
    """What verification looks at: the folded text and metadata of a hit, and its exact fields.

    The text (``raw``, and ``text`` for ``in``) may be given or loaded on first
    use by ``load``: reading a scan's text file is most of what confirming a
    candidate costs, and a candidate that matches by its metadata, unit or
    code (a unit or a contract number typed in the box) never needs it.
    """

    __slots__ = ("_load", "_raw", "_text", "codes", "meta", "unitcode")

    def __init__(self, raw: str | None = None, text: FoldedText | str | None = None, meta: str = "",
                 unitcode: str = "", codes: tuple[str, ...] = (), load: Callable[[], str] | None = None) -> None:
        self._raw = raw
        self._text = text
        self._load = load
        self.meta = meta
        self.unitcode = unitcode
        self.codes = codes

    @property
    def raw(self) -> str:
        """The hit's original text (read on first use)."""
        if self._raw is None:
            self._raw = self._load() if self._load is not None else ""
        return self._raw

    @property
    def text(self) -> FoldedText | str:
        """The text for ``literal in text`` as if folded (see :class:`FoldedText`)."""
        if self._text is None:
            self._text = FoldedText(self.raw)
        return self._text

    @property
    def text_loaded(self) -> bool:
        """True once the text has been read (tests check that verification reads it only when needed)."""
        return self._raw is not None or self._text is not None


def verify(q: wq.Query, hit: HitText) -> bool:
    """Evaluate the query's text terms against a hit (other fields were decided by the index)."""
    if isinstance(q, TextTerm):
        lit = q.literal
        # the cheap fields first: the text is read only when none of them decides
        if lit in hit.meta or (q.unit and q.unit.matches(hit.unitcode)) or (q.code and q.code in hit.codes):
            return True
        return lit in hit.text
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
