"""The scan engine: every index entry held in memory, each query matched by substring.

``[search] engine = "scan"``.  It reads the same entries the whoosh indexer
writes (:func:`docgen.search.entries.owner_entries`), follows the archive
through the same change feed (:mod:`docgen.search.journalscan`), reads the
same query language (:mod:`docgen.search.language`: terms, quoted phrases,
``AND``/``OR``/``NOT``, brackets, ``field:value``, date ranges, units, codes,
synonyms, the flags and the project scope) and applies the same privacy rules
(:mod:`docgen.search.reveal`).  What it does not share is whoosh: nothing here
imports it, and a term matches where its folded form is a substring of an
entry's folded text or metadata, which is exactly what the whoosh index's
character pairs plus confirmation reproduce.

What it is for: the reference the query tests hold the whoosh engine to
(``tests/test_search_engines.py`` runs one set of query tests on both), and
the proof that nothing outside ``search/`` depends on whoosh.  What it is
not: fast on a large archive (every query looks at every entry; loading folds
every text) or persistent (it loads the archive again in each process).

Where it differs from whoosh, by design (docs/search.md, "Engines"):
relevance is a simple count of the typed terms (synonyms weigh less), not
BM25F, so orders agree only where they are by date; ``NOT`` of a long term
excludes entries that contain it, where whoosh excludes those that contain
its rarest character pairs; totals are always exact (whoosh says 约 above 400
candidates).
"""

from __future__ import annotations

import datetime as dt
import math
import re
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from docgen.archive.store import Archive
from docgen.errors import LockTimeout, NotFoundError
from docgen.progress import Progress
from docgen.search import journalscan
from docgen.search.entries import Entry, owner_entries, project_names
from docgen.search.journalscan import JournalPosition
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
    yes_no,
)
from docgen.search.reveal import check_reveal, record_reveal
from docgen.search.settings import SearchSettings
from docgen.search.snippets import make_snippet, mask_text
from docgen.search.synonyms import SynonymTable, load_synonyms
from docgen.search.text import UnitQuery, fold, looks_like_code, parse_unit_query
from docgen.search.types import KINDS, Hit, IndexStatus, Query, Results, UpdateStats, type_label

#: a synonym's weight relative to the word typed (as in the whoosh engine: the typed word ranks first)
SYNONYM_WEIGHT = 0.8


@dataclass(slots=True)
class Row:
    """One entry as the scan engine keeps it: folded text for matching, stored fields for hits."""

    order: int
    uid: str
    owner: str
    hash: str
    kind: str
    project: str
    raw: str  # the text as written (snippets are cut from it)
    text: str  # folded
    meta: str  # folded
    fields: dict[str, Any]
    unitcode: str = ""
    owners: frozenset[str] = frozenset()
    codes: frozenset[str] = frozenset()
    components: frozenset[str] = frozenset()
    date: dt.date | None = None

    @classmethod
    def of(cls, entry: Entry, order: int) -> Row:
        """Fold an entry's text and exact values once, as the whoosh analyzers do when indexing."""
        f = entry.fields
        raw = str(f.get("text") or "")
        date = f.get("date")
        return cls(
            order=order, uid=entry.uid, owner=entry.owner, hash=entry.hash, kind=str(f.get("kind", "")),
            project=str(f.get("project", "")), raw=raw, text=fold(raw), meta=fold(str(f.get("meta") or "")),
            fields=f, unitcode=str(f.get("unitcode") or "").lower(),
            owners=frozenset(folded_code(str(v)) for v in f.get("owners") or ()),
            codes=frozenset(folded_code(str(v)) for v in f.get("codes") or ()),
            components=frozenset(folded_code(str(v)) for v in f.get("component") or ()),
            date=date.date() if isinstance(date, dt.datetime) else date,
        )

    def get(self, name: str) -> Any:
        """A field as indexed (None when the entry has none)."""
        return self.fields.get(name)


# --- the query as a tree -------------------------------------------------------------------

class Node:
    """A node of a parsed query: it decides whether a row matches and what it scores."""

    def matches(self, row: Row) -> bool:
        """True if ``row`` matches."""
        raise NotImplementedError

    def score(self, row: Row) -> float:
        """The row's relevance for this node (0 for filters)."""
        return 0.0

    def positive(self) -> Iterable[Term]:
        """The free-text terms that must be found (not under NOT): highlighted, their synonyms reported."""
        return ()


@dataclass
class Term(Node):
    """A free-text term: a substring of the folded text or metadata, or the unit or code it looks like."""

    literal: str
    meta_only: bool = False
    variants: list[str] = field(default_factory=list)  # the literal first, then its synonyms
    unit: UnitQuery | None = None
    code: str | None = None

    def _one(self, row: Row, literal: str) -> bool:
        return literal in row.meta if self.meta_only else (literal in row.text or literal in row.meta)

    def matches(self, row: Row) -> bool:
        if any(self._one(row, v) for v in self.variants):
            return True
        if self.unit is not None and self.unit.matches(row.unitcode):
            return True
        return self.code is not None and self.code in row.codes

    def score(self, row: Row) -> float:
        total = 0.0
        for i, v in enumerate(self.variants):
            n = row.text.count(v) + 2 * row.meta.count(v)
            if n:
                total += (1.0 if i == 0 else SYNONYM_WEIGHT) * (1.0 + math.log(n))
        if self.unit is not None and self.unit.matches(row.unitcode):
            total += 1.0
        if self.code is not None and self.code in row.codes:
            total += 1.0
        return total

    def positive(self) -> Iterable[Term]:
        return (self,)


@dataclass
class Check(Node):
    """An exact field condition (``类型:维修记录``, a flag, the project scope, a date range)."""

    test: Callable[[Row], bool]

    def matches(self, row: Row) -> bool:
        return self.test(row)


@dataclass
class All(Node):
    """Every child matches (juxtaposed terms, ``AND``, ``REQUIRE``)."""

    children: list[Node]

    def matches(self, row: Row) -> bool:
        return all(c.matches(row) for c in self.children)

    def score(self, row: Row) -> float:
        return sum(c.score(row) for c in self.children)

    def positive(self) -> Iterable[Term]:
        for c in self.children:
            yield from c.positive()


@dataclass
class AnyOf(Node):
    """Some child matches (``OR``)."""

    children: list[Node]

    def matches(self, row: Row) -> bool:
        return any(c.matches(row) for c in self.children)

    def score(self, row: Row) -> float:
        return sum(c.score(row) for c in self.children if c.matches(row))

    def positive(self) -> Iterable[Term]:
        for c in self.children:
            yield from c.positive()


@dataclass
class Without(Node):
    """``a ANDNOT b`` (and ``NOT b`` alone, with ``a`` everything): a matches and b does not."""

    a: Node | None
    b: Node

    def matches(self, row: Row) -> bool:
        return (self.a is None or self.a.matches(row)) and not self.b.matches(row)

    def score(self, row: Row) -> float:
        return self.a.score(row) if self.a is not None else 0.0

    def positive(self) -> Iterable[Term]:
        return self.a.positive() if self.a is not None else ()


@dataclass
class Maybe(Node):
    """``a ANDMAYBE b``: a decides, b adds to the score."""

    a: Node
    b: Node

    def matches(self, row: Row) -> bool:
        return self.a.matches(row)

    def score(self, row: Row) -> float:
        return self.a.score(row) + (self.b.score(row) if self.b.matches(row) else 0.0)

    def positive(self) -> Iterable[Term]:
        yield from self.a.positive()
        yield from self.b.positive()


@dataclass
class _Op:
    word: str


# --- reading the query string ----------------------------------------------------------------

FIELD_NAMES: dict[str, str] = {alias: name for name, aliases in FIELD_ALIASES.items() for alias in [name, *aliases]}
# schema fields without an alias, exact as typed (``owner:HXSZ/03-2-1203``)
FIELD_NAMES.update({name: name for name in ("uid", "owner", "doc_id", "source")})
_DATE_CLEAN = re.compile(r"[-.\s]")
_RANGE = re.compile(r"[\[{]\s*(?P<a>[^\s\]}]*)\s*TO\s*(?P<b>[^\s\]}]*)\s*[\]}]")
#: infix operators, from the tightest to the loosest (as whoosh's parser groups them)
_INFIX = ("AND", "OR", "ANDNOT", "ANDMAYBE", "REQUIRE")
_SINGLE_QUOTED = re.compile(r"'(.*?)'(?=\s|\]|[)}]|$)")


def _period(value: str, text: str) -> tuple[dt.date, dt.date]:
    """The days a date value covers: ``2026`` the year, ``202606`` the month, ``20260630`` the day."""
    digits = _DATE_CLEAN.sub("", value)
    if not digits.isdigit() or len(digits) < 4:
        raise not_understood(text)
    year, month, day = int(digits[:4]), int(digits[4:6] or 0), int(digits[6:8] or 0)
    if len(digits) >= 6 and not 1 <= month <= 12:
        raise not_understood(text, "月份应为 1 到 12;" + DATE_HINT)
    try:
        if len(digits) >= 8:
            first = dt.date(year, month, day)
            return first, first
        if len(digits) >= 6:
            first = dt.date(year, month, 1)
            nxt = dt.date(year + (month == 12), month % 12 + 1, 1)
            return first, nxt - dt.timedelta(days=1)
        return dt.date(year, 1, 1), dt.date(year, 12, 31)
    except ValueError as exc:
        raise not_understood(text, "这一天不存在;" + DATE_HINT) from exc


def _between(start: dt.date | None, end: dt.date | None) -> Callable[[Row], bool]:
    return lambda row: row.date is not None and (start is None or row.date >= start) and (end is None or row.date <= end)


class Parser:
    """Reads a query string as whoosh's parser (with docgen's plugins) does, into a tree of :class:`Node`.

    Phrases in double quotes (anywhere), brackets, operators only between
    spaces (``NOT`` also after a bracket), ``field:value`` for known fields
    (an unknown name is part of the word), ``field:(…)``, ``field:[a TO b]``;
    operators with nothing to join are dropped; ``NOT`` binds tightest, then
    ``AND``, ``OR``, ``ANDNOT``, ``ANDMAYBE``, ``REQUIRE``, and juxtaposed
    words are joined by AND last.
    """

    def __init__(self, text: str, synonyms: SynonymTable | None) -> None:
        self.typed = text
        self.s = normalize_text(text)
        self.i = 0
        self.synonyms = synonyms

    def parse(self) -> Node | None:
        """The tree, or None for an empty query string; UsageError for one with nothing to search for."""
        if not self.s.strip():
            return None
        node = self._combine(self._items(None, inside=False))
        if node is None:
            raise no_terms(self.typed)
        return node

    # -- tokens ------------------------------------------------------------------------------
    def _items(self, fieldname: str | None, inside: bool) -> list[Node | _Op]:
        s = self.s
        items: list[Node | _Op] = []
        while self.i < len(s):
            c = s[self.i]
            if c.isspace():
                self.i += 1
                continue
            if c == "(":
                self.i += 1
                group = self._combine(self._items(fieldname, inside=True))
                if group is not None:
                    items.append(group)
                continue
            if c == ")":
                self.i += 1
                if inside:
                    return items
                continue  # a closing bracket without its opening one is ignored
            if c == '"' and s.find('"', self.i + 1) >= 0:
                end = s.find('"', self.i + 1)
                phrase = s[self.i + 1 : end]
                self.i = end + 1
                items.append(self._leaf(fieldname, phrase, quoted=True))
                continue
            if c == "'" and (quoted := self._single_quoted()) is not None:
                items.append(self._leaf(fieldname, quoted, quoted=False))
                continue
            start = self.i
            word = self._word()
            op = self._operator(word, start)
            if op is not None:
                if op:
                    items.append(_Op(word))
                continue  # an operator word that is not an operator where it stands is dropped
            name, sep, rest = word.partition(":")
            target = FIELD_NAMES.get(name) if sep else None
            if target is not None and not rest and self.i < len(s):
                nxt = s[self.i]
                if nxt == "(":
                    self.i += 1
                    group = self._combine(self._items(target, inside=True))
                    if group is not None:
                        items.append(group)
                    continue
                if nxt in "[{":
                    items.append(self._range(target))
                    continue
                if nxt == '"' and s.find('"', self.i + 1) >= 0:
                    end = s.find('"', self.i + 1)
                    value, self.i = s[self.i + 1 : end], end + 1
                    items.append(self._leaf(target, value, quoted=True))
                    continue
            if target is not None and rest:
                items.append(self._leaf(target, rest, quoted=False))
            else:
                items.append(self._leaf(fieldname, word, quoted=False))
        return items

    def _word(self) -> str:
        """Read a word: up to whitespace, a bracket, a quoted phrase or a field's range."""
        s, start = self.s, self.i
        while self.i < len(s):
            c = s[self.i]
            if c.isspace() or c in "()":
                break
            if c == '"' and s.find('"', self.i + 1) >= 0:
                break
            if c in "[{" and self.i > start and s[self.i - 1] == ":" and s[start : self.i - 1] in FIELD_NAMES:
                break
            self.i += 1
        return s[start : self.i]

    def _single_quoted(self) -> str | None:
        """``'a b'`` is one term (whoosh's single quotes): after a non-word character, closed before a space."""
        s, i = self.s, self.i
        if i > 0 and (s[i - 1].isalnum() or s[i - 1] == "_"):
            return None
        m = _SINGLE_QUOTED.match(s, i)
        if m is None:
            return None
        self.i = m.end()
        return m[1]

    def _operator(self, word: str, start: int) -> bool | None:
        """None: not an operator word; True: an operator here; False: an operator word out of place (dropped)."""
        if word not in OPERATOR_WORDS:
            return None
        s, end = self.s, self.i
        before_space = start > 0 and s[start - 1].isspace()
        after_space = end < len(s) and s[end].isspace()
        if word == "NOT":
            return (start == 0 or before_space or s[start - 1] in "()") and after_space
        if word == "REQUIRE":
            return (start == 0 or before_space) and after_space
        return before_space and after_space

    def _range(self, fieldname: str) -> Node:
        m = _RANGE.match(self.s, self.i)
        if m is None or fieldname != "date":
            raise not_understood(self.typed)
        self.i = m.end()
        start = _period(m["a"], self.typed)[0] if m["a"] else None
        end = _period(m["b"], self.typed)[1] if m["b"] else None
        return Check(_between(start, end))

    # -- leaves ------------------------------------------------------------------------------
    def _leaf(self, fieldname: str | None, value: str, quoted: bool) -> Node:
        if fieldname in (None, "text", "meta"):
            return self._term(value, meta_only=fieldname == "meta", quoted=quoted)
        return field_check(fieldname, value, self.typed)

    def _term(self, value: str, meta_only: bool, quoted: bool) -> Node:
        literal = fold(value)
        if not literal:  # nothing left after folding: matches nothing (whoosh: a NullQuery)
            return Check(lambda row: False)
        variants = [literal]
        if not quoted and self.synonyms is not None and literal:
            variants = self.synonyms.variants(literal)
        unit = parse_unit_query(literal) if not quoted else None
        code = folded_code(literal) if not quoted and looks_like_code(literal) else None
        return Term(literal, meta_only, variants, unit, code)

    # -- grouping ------------------------------------------------------------------------------
    def _combine(self, items: list[Node | _Op]) -> Node | None:
        items = _drop_dangling(items)
        # NOT binds to what follows it
        i = len(items) - 1
        while i >= 0:
            item = items[i]
            if isinstance(item, _Op) and item.word == "NOT" and i + 1 < len(items):
                nxt = items[i + 1]
                if isinstance(nxt, Node):
                    items[i : i + 2] = [Without(None, nxt)]
            i -= 1
        for word in _INFIX:
            i = 0
            while i < len(items):
                item = items[i]
                if isinstance(item, _Op) and item.word == word and 0 < i < len(items) - 1:
                    left, right = items[i - 1], items[i + 1]
                    if isinstance(left, Node) and isinstance(right, Node):
                        items[i - 1 : i + 2] = [_join(word, left, right)]
                        continue
                i += 1
        nodes = [n for n in items if isinstance(n, Node)]
        if not nodes:
            return None
        return nodes[0] if len(nodes) == 1 else All(nodes)


def _join(word: str, left: Node, right: Node) -> Node:
    if word in ("AND", "REQUIRE"):
        return All([*(left.children if isinstance(left, All) else [left]), right])
    if word == "OR":
        return AnyOf([*(left.children if isinstance(left, AnyOf) else [left]), right])
    if word == "ANDNOT":
        return Without(left, right)
    return Maybe(left, right)


def _drop_dangling(items: list[Node | _Op]) -> list[Node | _Op]:
    """Drop operators with nothing to join, as :func:`docgen.search.query.drop_dangling_operators` does."""
    changed = True
    while changed:
        changed = False
        kept: list[Node | _Op] = []
        for i, item in enumerate(items):
            last = i == len(items) - 1
            if isinstance(item, _Op) and item.word != "NOT":
                dangling = not kept or isinstance(kept[-1], _Op) or last
            elif isinstance(item, _Op):
                nxt = items[i + 1] if not last else None
                dangling = last or (isinstance(nxt, _Op) and nxt.word != "NOT")
            else:
                dangling = False
            if dangling:
                changed = True
            else:
                kept.append(item)
        items = kept
    return items


def field_check(fieldname: str, value: str, typed: str = "") -> Node:
    """The condition ``field:value`` (also what a flag becomes); bad values are a UsageError."""
    v = value.strip()
    if fieldname == "unit":
        unit = unit_value(v)
        return Check(lambda row: unit.matches(row.unitcode))
    if fieldname == "type":
        code = type_code(v)
        return Check(lambda row: row.get("type") == code)
    if fieldname == "kind":
        kind = kind_code(v)
        return Check(lambda row: row.kind == kind)
    if fieldname == "project":
        project = project_code(v)
        return Check(lambda row: row.project == project)
    if fieldname in ("stage", "status", "batch"):
        exact = exact_value(v)
        return Check(lambda row: row.get(fieldname) == exact)
    if fieldname in ("signed", "open"):
        wanted = yes_no(v, (FIELD_ALIASES.get(fieldname) or [fieldname])[0])
        return Check(lambda row: row.get(fieldname) is wanted)
    if fieldname == "date":
        start, end = _period(v, typed or value)
        return Check(_between(start, end))
    if fieldname in ("owners", "codes", "component"):
        folded = folded_code(v)
        attr = {"owners": "owners", "codes": "codes", "component": "components"}[fieldname]
        return Check(lambda row: folded in getattr(row, attr))
    return Check(lambda row: row.get(fieldname) == v)  # uid, owner, doc_id, source: as typed


def flag_checks(query: Query) -> list[Node]:
    """The flags of a request (and the project scope) as conditions, validated like the whoosh engine's."""
    check_flags(query)
    out: list[Node] = []
    if query.projects is not None:
        scope = frozenset(query.projects)
        out.append(Check(lambda row: row.project in scope))
    if query.project:
        out.append(field_check("project", query.project))
    if query.batch:
        out.append(field_check("batch", query.batch))
    if query.type:
        out.append(field_check("type", query.type))
    if query.stage:
        out.append(field_check("stage", query.stage))
    if query.unit:
        out.append(field_check("unit", query.unit))
    if query.owner:
        out.append(field_check("owners", query.owner))
    if query.kind:
        out.append(field_check("kind", query.kind))
    if query.status:
        out.append(field_check("status", query.status))
    if query.date_from or query.date_to:
        out.append(Check(_between(query.date_from, query.date_to)))
    if query.signed is not None:
        signed = query.signed
        out.append(Check(lambda row: row.get("signed") is signed))
    if query.open is not None:
        is_open = query.open
        out.append(Check(lambda row: row.get("open") is is_open))
    return out


# --- the engine -------------------------------------------------------------------------------

class ScanEngine:
    """Every entry of the archive in memory; queries matched by substring (see the module doc)."""

    name = "scan"

    def __init__(self, archive: Archive, settings: SearchSettings) -> None:
        self.archive = archive
        self.settings = settings
        self._owners: dict[str, list[Row]] | None = None  # None: not loaded yet
        self._position = JournalPosition()
        self._order = 0
        self._built = ""
        # the rows: one update or search at a time (a search is a loop over a list: short)
        self._lock = threading.RLock()

    # -- loading -------------------------------------------------------------------------------
    def _acquire(self, timeout: float | None) -> None:
        if not self._lock.acquire(timeout=-1 if timeout is None else timeout):
            raise LockTimeout(f"检索引擎(scan)正在载入档案,已等待 {timeout:g} 秒;请稍后再试")

    def rebuild(self, progress: Progress | None = None) -> UpdateStats:
        """Read every entry of the archive again."""
        self._acquire(None)
        try:
            return self._load_all(progress, "手动重建")
        finally:
            self._lock.release()

    def _load_all(self, progress: Progress | None, reason: str) -> UpdateStats:
        started = time.monotonic()
        stats = UpdateStats(mode="rebuild", reason=reason)
        position = journalscan.end_position(self.archive.journal)
        names = project_names(self.archive)
        keys = self.archive.project_codes() + list(self.archive.dossier_keys())
        owners: dict[str, list[Row]] = {}
        for i, key in enumerate(keys):
            rows = self._rows_of(key, names)
            if rows:
                owners[key] = rows
            stats.added += len(rows)
            stats.owners += 1
            if progress and (i % 50 == 0 or i == len(keys) - 1):
                progress("载入档案", i + 1, len(keys), key)
        self._owners, self._position = owners, position
        self._built = time.strftime("%Y-%m-%dT%H:%M:%S")
        stats.seq = position.seq
        stats.seconds = time.monotonic() - started
        return stats

    def _rows_of(self, key: str, names: dict[str, str]) -> list[Row]:
        try:
            owner = self.archive.owner(key)
        except NotFoundError:
            return []
        rows = []
        for entry in owner_entries(self.archive, owner, names):
            self._order += 1
            rows.append(Row.of(entry, self._order))
        return rows

    def update(self, progress: Progress | None = None, timeout: float | None = None) -> UpdateStats:
        """Read again the owners the journal names since the last load (everything on a mismatch)."""
        self._acquire(timeout)
        try:
            if self._owners is None:
                return self._load_all(progress, "首次载入")
            return self._update_locked(progress)
        finally:
            self._lock.release()

    def _update_locked(self, progress: Progress | None) -> UpdateStats:
        assert self._owners is not None
        started = time.monotonic()
        changes, position = journalscan.scan(self.archive.journal, self._position)
        stats = UpdateStats(mode="incremental", seq=position.seq)
        if changes is None:
            stats.mode, stats.reason = "full-compare", "日志与载入时的位置不符,逐项比对内容哈希"
            keys = sorted(set(self._owners) | set(self.archive.project_codes()) | set(self.archive.dossier_keys()))
        else:
            owners = set(changes.owners)
            for project in changes.projects:
                owners.update(self.archive.dossier_keys(project))
            keys = sorted(owners)
        if not keys and position == self._position:
            stats.mode = "none"
            return stats
        names = project_names(self.archive)
        for i, key in enumerate(keys):
            old = {r.uid: r for r in self._owners.get(key, [])}
            fresh: list[Row] = []
            try:
                owner: Any = self.archive.owner(key)
            except NotFoundError:
                owner = None
            for entry in owner_entries(self.archive, owner, names) if owner is not None else ():
                kept = old.get(entry.uid)
                if kept is not None and kept.hash == entry.hash:
                    fresh.append(kept)
                    stats.unchanged += 1
                    continue
                self._order += 1  # a changed entry goes to the end, as a whoosh update appends it
                fresh.append(Row.of(entry, self._order))
                if kept is None:
                    stats.added += 1
                else:
                    stats.updated += 1
            stats.deleted += len(set(old) - {r.uid for r in fresh})
            if fresh:
                self._owners[key] = sorted(fresh, key=lambda r: r.order)
            else:
                self._owners.pop(key, None)
            stats.owners += 1
            if progress and (i % 50 == 0 or i == len(keys) - 1):
                progress("更新索引", i + 1, len(keys), key)
        self._position = position
        stats.seconds = time.monotonic() - started
        return stats

    # -- reading -------------------------------------------------------------------------------
    def status(self) -> IndexStatus:
        """What is loaded and what the journal has that it does not yet reflect."""
        with self._lock:
            st = IndexStatus(engine=self.name, location="内存(每个进程各自载入)", usable=self._owners is not None)
            st.archive_seq = journalscan.end_position(self.archive.journal).seq
            if self._owners is None:
                st.problem = "尚未载入档案(第一次检索或 docgen index rebuild 时载入)"
                st.pending_entries = None
                return st
            rows = [r for rows in self._owners.values() for r in rows]
            st.entries = len(rows)
            st.by_kind = {kind: sum(r.kind == kind for r in rows) for kind in KINDS}
            st.seq, st.built = self._position.seq, self._built
            pend = journalscan.pending(self.archive.journal, self._position)
            if pend is None:
                st.pending_entries, st.problem = None, "日志与载入时的位置不符,下次更新将逐项比对"
            else:
                st.pending_entries, owners = pend
                st.pending_owners = sorted(owners)
            return st

    def has_index(self) -> bool:
        """True once the archive is loaded."""
        return self._owners is not None

    def close(self) -> None:
        """Forget the loaded entries (the next search loads them again)."""
        with self._lock:
            self._owners = None
            self._position = JournalPosition()

    def search(self, query: Query, auto_update: bool | None = None, *, archive: Archive | None = None,
               catch_up: bool = True) -> Results:
        """Run a query (first reading what changed, unless ``auto_update`` or ``catch_up`` is False; loading when nothing is loaded)."""
        check_reveal(query)
        wanted = self.settings.auto_update if auto_update is None else auto_update
        note = ""
        if self._owners is None:
            stats = self.update()
            note = f"已载入档案({stats.added} 条)" if stats.mode == "rebuild" else ""
        elif wanted and catch_up and journalscan.end_position(self.archive.journal) != self._position:
            try:
                self.update(timeout=0.5)
            except LockTimeout:
                note = "另一个线程正在更新;本次结果可能不含最新归档的文件"
        started = time.perf_counter()
        checks = flag_checks(query)
        synonyms = load_synonyms(self.settings.synonyms)
        parsed = Parser(query.text, synonyms).parse()
        node = All([*([parsed] if parsed is not None else []), *checks])
        with self._lock:
            rows = [r for rows in (self._owners or {}).values() for r in rows]
            seq = self._position.seq
        matched = [r for r in rows if node.matches(r)]
        sort = "date" if parsed is None and query.sort == "relevance" else query.sort
        ranked = self._order_rows(matched, node, sort)
        page = ranked[query.offset : query.offset + query.limit]
        terms = list(parsed.positive()) if parsed is not None else []
        lits = _literals(terms)
        hits = [self._hit(r, score, lits, query) for r, score in page]
        elapsed = (time.perf_counter() - started) * 1000
        results = Results(query, len(ranked), hits, elapsed, index_seq=seq, note=note, literals=lits)
        results.synonyms = {t.literal: t.variants[1:] for t in terms if len(t.variants) > 1}
        if query.reveal:
            record_reveal(archive or self.archive, results)  # before the caller sees a single unmasked hit
        return results

    @staticmethod
    def _order_rows(rows: list[Row], node: Node, sort: str) -> list[tuple[Row, float]]:
        """Result order: score descending (ties in load order), or by date, undated last either way."""
        scored = [(r, node.score(r)) for r in rows]
        if sort == "relevance":
            return sorted(scored, key=lambda rs: (-rs[1], rs[0].order))
        newest = sort == "date"

        def key(rs: tuple[Row, float]) -> tuple[bool, int, int]:
            d = rs[0].date
            day = d.toordinal() if d is not None else 0
            return d is None, -day if newest else day, rs[0].order

        return sorted(scored, key=key)

    def _hit(self, row: Row, score: float, lits: list[str], query: Query) -> Hit:
        kind = row.kind
        hit = Hit(
            kind=kind, uid=row.uid, doc_id=str(row.get("doc_id") or ""), owner=row.owner, project=row.project,
            place=str(row.get("place") or ""), type=str(row.get("type") or kind),
            type_label=type_label(str(row.get("type") or kind)), title=str(row.get("title") or ""),
            original_name=str(row.get("name") or ""), date=row.date, score=float(score),
            signed=row.get("signed") if kind == "document" else None, status=str(row.get("status") or ""),
            source=str(row.get("source") or ""),
        )
        if query.highlight:
            hit.snippet, hit.highlights = make_snippet(row.raw, lits, reveal=query.reveal)
        if not query.reveal:
            hit.title = mask_text(hit.title)
            hit.original_name = mask_text(hit.original_name)
        return hit


def _literals(terms: list[Term]) -> list[str]:
    """What to highlight: every searched form of the positive terms, longest first."""
    seen: list[str] = []
    for t in terms:
        for v in t.variants:
            if v and v not in seen:
                seen.append(v)
    return sorted(seen, key=len, reverse=True)


__all__ = ["Parser", "ScanEngine"]
