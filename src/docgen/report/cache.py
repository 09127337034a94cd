"""Figures kept warm for the dashboard: cached by (scope, filters) and the journal's position.

Computing the figures reads every dossier in scope (seconds for 20,000
households); the dashboard must answer in under a second.  Every change to
the archive appends a journal entry, so the journal's last entry (its ``seq``
and ``hash``) says whether anything changed since figures were computed: a
cached result is served while the journal has not moved and recomputed after
any write (a dossier, a 楼盘表 import, the rules or the thresholds).  A file
edited by hand outside docgen does not move the journal and is not seen until
the next write; ``docgen verify`` reports such edits.

The position is read *before* computing, so figures computed while a write
landed are stored under the older position and recomputed on the next call.
One cache serves a whole process (a :class:`~docgen.session.Workspace`): it is
safe to share between threads; two threads missing at once both compute, and
the later result wins (both are correct for their position).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import TYPE_CHECKING, Any
from weakref import WeakKeyDictionary

if TYPE_CHECKING:
    from docgen.archive import Archive

Position = tuple[int, str]


def journal_position(archive: Archive) -> Position:
    """The journal's last entry as (seq, hash); (0, "") for an empty journal."""
    last = archive.journal.last()
    return (int(last["seq"]), str(last["hash"])) if last else (0, "")


class FigureCache:
    """A small LRU of computed figures, each valid for one journal position."""

    def __init__(self, max_entries: int = 32) -> None:
        self.max_entries = max_entries
        self._entries: OrderedDict[Hashable, tuple[Position, Any]] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, archive: Archive, key: Hashable, compute: Callable[[], Any]) -> Any:
        """The cached value for ``key`` if the journal has not moved since it was computed, else ``compute()``."""
        position = journal_position(archive)
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and entry[0] == position:
                self._entries.move_to_end(key)
                self.hits += 1
                return entry[1]
            self.misses += 1
        value = compute()
        with self._lock:
            self._entries[key] = (position, value)
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)
        return value

    def clear(self) -> None:
        """Forget everything."""
        with self._lock:
            self._entries.clear()


_CACHES: WeakKeyDictionary[Any, FigureCache] = WeakKeyDictionary()
_CACHES_LOCK = threading.Lock()


def cache_for(owner: Any) -> FigureCache:
    """The cache of a workspace (made on first use, gone with the workspace)."""
    with _CACHES_LOCK:
        cache = _CACHES.get(owner)
        if cache is None:
            cache = FigureCache()
            _CACHES[owner] = cache
        return cache
