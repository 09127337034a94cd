"""The index schema: one entry per document, per dossier and per case record.

Free text goes to ``text`` (the document's own text, or a case's description)
and ``meta`` (title, original file name, project, unit, owners), both
character-bigram fields without positions (a term matches where all its
character pairs occur; the text itself, stored or in the archive, confirms
the exact substring); ``words`` holds jieba words for ranking.  Everything people filter on is an exact field.
:data:`SCHEMA_VERSION` is stored with the index and a mismatch rebuilds it.
"""

from __future__ import annotations

from typing import Any

from whoosh import fields
from whoosh.query import Query as WhooshQuery

from docgen.search import whoosh_io
from docgen.search.analysis import ANALYZER_VERSION, GramAnalyzer, KeywordAnalyzer, WordAnalyzer

# re-exported: entry kinds and their labels live in types.py
from docgen.search.types import KINDS as KINDS

whoosh_io.install()  # segment files opened without copying them (see whoosh_io)

SCHEMA_VERSION = 3
META_UID = "__meta__"


class GramText(fields.TEXT):
    """A bigram text field whose query terms the parser hands to :mod:`docgen.search.query`."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(analyzer=GramAnalyzer(), phrase=False, multitoken_query="and", **kwargs)

    def self_parsing(self) -> bool:
        """Let :meth:`parse_query` build each term's query (text + meta + words + codes)."""
        return True

    def parse_query(self, fieldname: str, qstring: str, boost: float = 1.0) -> WhooshQuery:
        """Build the query for one free-text term (see :func:`docgen.search.query.term_query`)."""
        from docgen.search.query import term_query

        return term_query(fieldname, qstring, boost)


class CodeField(fields.KEYWORD):
    """Exact values (unit prefixes, ID and phone numbers, contract and document numbers), folded."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.analyzer = KeywordAnalyzer()
        self.format = fields.formats.Existence(field_boost=1.0)

    def index(self, value: Any, **kwargs: Any) -> Any:
        """Index the folded values.

        whoosh hands a list value to the format as ready-made tokens, bypassing
        the analyzer, so ``DOC-2025-000144`` would be indexed as typed while
        every query is folded to ``doc-2025-000144`` (document, case and
        contract numbers, ID numbers ending in X were never found this way).
        """
        if isinstance(value, (list, tuple)):
            value = self.analyzer.texts(list(value), "index")
        return super().index(value, **kwargs)

    def self_parsing(self) -> bool:
        """Fold the user's value (and read partial units) before matching."""
        return True

    def parse_query(self, fieldname: str, qstring: str, boost: float = 1.0) -> WhooshQuery:
        """Exact match of the folded value; a unit field also accepts 3栋2单元 forms."""
        from docgen.search.query import code_query

        return code_query(fieldname, qstring, boost)


class ExactField(fields.ID):
    """An exact, unanalysed value (project code, type code, kind, stage, status, batch).

    Self-parsing so that ``type:维修记录`` finds type ``repair_record`` and
    ``project:hxsz`` finds ``HXSZ``.
    """

    def self_parsing(self) -> bool:
        """Normalise the user's value before matching."""
        return True

    def parse_query(self, fieldname: str, qstring: str, boost: float = 1.0) -> WhooshQuery:
        """Exact match of the normalised value."""
        from docgen.search.query import code_query

        return code_query(fieldname, qstring, boost)


class YesNoField(fields.BOOLEAN):
    """A yes/no field whose query value is read as docgen reads it: ``已签:否`` is "not signed".

    whoosh's BOOLEAN reads any word it does not know as ``bool(word)``, so
    ``已签:否`` found the *signed* documents.  The index format is whoosh's
    (the field is still a BOOLEAN); only the reading of a typed value differs.
    """

    def parse_query(self, fieldname: str, qstring: str, boost: float = 1.0) -> WhooshQuery:
        """``是``/``否`` (and yes/no, true/false, 1/0); any other value is a UsageError."""
        from whoosh import query as wq

        from docgen.search.language import FIELD_ALIASES, yes_no

        label = (FIELD_ALIASES.get(fieldname) or [fieldname])[0]
        return wq.Term(fieldname, yes_no(qstring, label), boost=boost)


def build_schema() -> fields.Schema:
    """Return a new schema instance (analyzers are module-level classes, see analysis.py)."""
    return fields.Schema(
        uid=fields.ID(stored=True, unique=True),
        kind=ExactField(stored=True),
        owner=fields.ID(stored=True),
        doc_id=fields.ID(stored=True),
        project=ExactField(stored=True),
        batch=ExactField(stored=True),
        unit=CodeField(stored=False),
        place=fields.STORED(),
        type=ExactField(stored=True),
        stage=ExactField(stored=True),
        status=ExactField(stored=True),
        open=YesNoField(stored=True),
        component=CodeField(stored=False),
        signed=YesNoField(stored=True),
        source=fields.ID(stored=True),
        date=fields.DATETIME(stored=True, sortable=True),
        owners=CodeField(stored=False),
        codes=CodeField(stored=True),
        unitcode=fields.STORED(),
        textpath=fields.STORED(),
        metatext=fields.STORED(),
        title=fields.STORED(),
        name=fields.STORED(),
        meta=GramText(stored=False),
        text=GramText(stored=False),
        words=fields.TEXT(analyzer=WordAnalyzer(), phrase=False),
        summary=fields.STORED(),
        hash=fields.STORED(),
        state=fields.STORED(),
    )


def versions() -> dict[str, int]:
    """The versions an index must have been built with to be used as is."""
    return {"schema": SCHEMA_VERSION, "analyzer": ANALYZER_VERSION}
