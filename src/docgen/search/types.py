"""The search interface: what a caller asks (:class:`Query`), what comes back (:class:`Hit`, :class:`Results`).

These types and the :class:`SearchEngine` protocol are all that the CLI, the
web application, ingest and generation know of search, so an engine other
than whoosh can stand behind them (``[search] engine``, chosen through
:func:`docgen.search.engines.open_engine`).  Nothing here imports whoosh, and
nothing here is specific to it: an engine's own facts (whoosh's generation
folder and segments) go into :attr:`IndexStatus.details`.

Every engine answers a :class:`Query` with the same semantics
(docs/search.md, "Engines"): the same query language, the same filters, the
project scope applied *inside* the engine (totals and pages never count an
entry of a project outside ``Query.projects``), masking unless ``reveal``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from docgen.progress import Progress
from docgen.vocab import DOC_TYPES

if TYPE_CHECKING:
    from docgen.archive.store import Archive

#: entry kinds and their Chinese labels
KINDS = {
    "document": "文件",
    "dossier": "业主档案",
    "repair": "报修单",
    "complaint": "投诉",
    "revisit": "回访",
    "settlement": "结算会签",
}
KIND_BY_LABEL = {label: kind for kind, label in KINDS.items()}
SORTS = ("relevance", "date", "date-asc")


def type_label(code: str) -> str:
    """Chinese label of a document type (or of an entry kind)."""
    if code in DOC_TYPES:
        return DOC_TYPES[code][0]
    return KINDS.get(code, code)


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
    # where unmasked results go, journaled with reveal (e.g. "导出到 结果.xlsx"; empty: the screen)
    purpose: str = ""
    # why they are revealed (required with reveal) and the asker's role (docgen.privacy.ROLES)
    reason: str = ""
    role: str = "operator"
    # the projects the user may see (None: all; an empty set: none); a filter inside the engine, so
    # totals, pages and exports never count or show another project's entries (web project scoping)
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
    # query terms read with their synonyms: {typed term: [variants searched too]}
    synonyms: dict[str, list[str]] = field(default_factory=dict)

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
            "synonyms": self.synonyms,
            "hits": [h.as_dict() for h in self.hits],
        }


@dataclass
class UpdateStats:
    """What an update or rebuild did."""

    mode: str = "incremental"  # incremental | full-compare | rebuild | none
    reason: str = ""
    owners: int = 0
    added: int = 0
    updated: int = 0
    deleted: int = 0
    unchanged: int = 0
    seq: int = 0
    seconds: float = 0.0
    commits: int = 0
    words_added: int = 0
    unreadable: list[str] = field(default_factory=list)
    """Records skipped because they cannot be read (named; ``index rebuild`` exits non-zero)."""

    def as_dict(self) -> dict[str, Any]:
        """JSON form."""
        return dict(self.__dict__)


@dataclass
class IndexStatus:
    """What ``docgen index status`` shows: whether the index is usable, what it holds, what it lacks.

    The fields are what any engine can say; ``details`` holds an engine's own
    facts (whoosh: its generation folder, segments and format versions),
    shown as they are.
    """

    engine: str
    location: str  # where the index lives: a folder, a server, "内存"
    usable: bool
    problem: str = ""
    entries: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)
    seq: int = 0
    archive_seq: int = 0
    pending_entries: int | None = 0
    pending_owners: list[str] = field(default_factory=list)
    size_bytes: int | None = None
    built: str = ""
    details: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """JSON form (``details`` merged in, so scripts read ``generation`` where they always did)."""
        out = {k: v for k, v in self.__dict__.items() if k != "details"}
        out["path"] = self.location
        out.update(self.details)
        return out


class SearchEngine(Protocol):
    """What docgen needs from a search engine (the whoosh index, the in-memory scan, one day a server).

    ``search`` refuses a reveal without a reason and a full-number query
    without a reveal, and journals a reveal before any unmasked hit is
    returned (:mod:`docgen.search.reveal`); ``archive`` is the caller's
    archive (whose actor the journal names), default the engine's own.  Every
    method may be called from many threads at once.
    """

    name: str

    def update(self, progress: Progress | None = None, timeout: float | None = None) -> UpdateStats:
        """Index what changed in the archive since the last update (read from the journal)."""
        ...

    def rebuild(self, progress: Progress | None = None) -> UpdateStats:
        """Recreate the index from the archive alone."""
        ...

    def search(self, query: Query, auto_update: bool | None = None, *, archive: Archive | None = None,
               catch_up: bool = True) -> Results:
        """Run a query (first indexing what changed, unless ``auto_update`` or ``catch_up`` is False).

        ``catch_up=False``: the caller keeps the index current itself (a
        server's refresher thread); answer from it as it is.
        """
        ...

    def status(self) -> IndexStatus:
        """Describe the index and what it does not reflect yet."""
        ...

    def has_index(self) -> bool:
        """True if there is an index to keep up to date (else writes leave it to a rebuild or the first search)."""
        ...

    def close(self) -> None:
        """Release files and memory; the engine may be used again afterwards (it reopens)."""
        ...


__all__ = [
    "KINDS",
    "KIND_BY_LABEL",
    "SORTS",
    "Hit",
    "IndexStatus",
    "Query",
    "Results",
    "SearchEngine",
    "UpdateStats",
    "type_label",
]
