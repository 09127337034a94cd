"""The search interface the rest of docgen uses: open, update, rebuild, search, refresh, status.

Ingest, generation, audit, the CLI and the web application call only what is
here and the types of :mod:`docgen.search.types`; the engine behind them is
the one ``[search] engine`` names (:mod:`docgen.search.engines`: whoosh by
default, or the in-memory ``scan``), so another engine can stand behind the
same :class:`SearchEngine` protocol (a distributed index for a national
developer) without touching them.

The one call other modules make after they change the archive::

    from docgen.search.api import refresh
    refresh(archive, config.search)      # incremental, fast when little changed

Engines are shared per archive and index folder (:func:`open_index`) and safe
to use from many threads at once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from docgen.errors import LockTimeout
from docgen.search.engines import shared_engine
from docgen.search.reveal import EXPORT_PREFIX as EXPORT_PREFIX
from docgen.search.reveal import check_reveal as check_reveal
from docgen.search.reveal import record_reveal as record_reveal
from docgen.search.settings import SearchSettings
from docgen.search.types import Hit as Hit
from docgen.search.types import IndexStatus as IndexStatus
from docgen.search.types import Query as Query
from docgen.search.types import Results as Results
from docgen.search.types import SearchEngine as SearchEngine
from docgen.search.types import UpdateStats as UpdateStats

if TYPE_CHECKING:
    from docgen.archive.store import Archive
    from docgen.progress import Progress
    from docgen.search.whoosh_engine import WhooshEngine as WhooshEngine

__all__ = [
    "EXPORT_PREFIX",
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


def __getattr__(name: str) -> object:
    """``api.WhooshEngine`` without importing whoosh for every ``refresh()`` caller."""
    if name == "WhooshEngine":
        from docgen.search.whoosh_engine import WhooshEngine

        return WhooshEngine
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def open_index(settings: SearchSettings, archive: Archive) -> SearchEngine:
    """The engine for an archive's index: the one ``settings.engine`` names, one per process and index, kept warm."""
    return shared_engine(archive, settings)


def update(archive: Archive, settings: SearchSettings, progress: Progress | None = None) -> UpdateStats:
    """Incremental update of the index from the archive."""
    return open_index(settings, archive).update(progress)


def rebuild(archive: Archive, settings: SearchSettings, progress: Progress | None = None) -> UpdateStats:
    """Full rebuild of the index from the archive."""
    return open_index(settings, archive).rebuild(progress)


def search(archive: Archive, settings: SearchSettings, query: Query) -> Results:
    """Run a query (after an automatic update if ``settings.auto_update``); a reveal is journaled in ``archive``."""
    return open_index(settings, archive).search(query, archive=archive)


def status(archive: Archive, settings: SearchSettings) -> IndexStatus:
    """Describe the index."""
    return open_index(settings, archive).status()


def refresh(archive: Archive, settings: SearchSettings, timeout: float = 5.0) -> UpdateStats | None:
    """Call after changing the archive: index what changed; None if another writer is busy.

    Cheap when little changed (reads only the new journal entries and
    re-indexes only entries whose content hash differs).  If another process
    holds the index lock beyond ``timeout``, it returns None: that writer, or
    the next update, will pick the change up from the journal, so nothing is lost.
    """
    try:
        return open_index(settings, archive).update(timeout=timeout)
    except LockTimeout:
        return None
