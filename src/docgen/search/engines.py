"""Choosing the search engine: ``[search] engine`` names it, :func:`open_engine` makes it, one is shared per index.

Two engines stand behind :class:`~docgen.search.types.SearchEngine`:

- ``whoosh`` (the default): the index in ``index/``, built and updated from
  the archive, queries evaluated in numpy (:mod:`docgen.search.whoosh_engine`);
- ``scan``: every entry held in memory and each query matched by substring
  (:mod:`docgen.search.scan`).  No index on disk, no whoosh; slow on a large
  archive, exact by construction, so it is the reference the query tests hold
  whoosh to and a proof that nothing outside ``search/`` depends on whoosh.

A process keeps one engine per (archive root, index path) (:func:`shared_engine`,
what :func:`docgen.search.api.open_index` and the session's workspace use), so
every thread shares one warm searcher.  The cache is locked; an engine it
replaces (other settings for the same index) or drops (more than
:data:`KEEP` indexes in one process, as in a test run) is closed, after any
search running on it ends.  A closed engine still works: it reopens.
"""

from __future__ import annotations

import importlib
import threading
from collections import OrderedDict
from pathlib import Path
from typing import TYPE_CHECKING

from docgen.errors import ConfigError, quote_input

if TYPE_CHECKING:
    from docgen.archive.store import Archive
    from docgen.search.settings import SearchSettings
    from docgen.search.types import SearchEngine

#: engine name -> (module, class, what it is); modules load only when their engine is chosen
ENGINES: dict[str, tuple[str, str, str]] = {
    "whoosh": ("docgen.search.whoosh_engine", "WhooshEngine", "whoosh 全文索引,默认"),
    "scan": ("docgen.search.scan", "ScanEngine", "内存中逐条比对,不建索引,供参照和测试"),
}
KEEP = 16
"""Engines a process keeps open at most (a server has one archive; a test run opens hundreds)."""


def known_engines() -> str:
    """The engine names with what they are, for messages: ``whoosh(…)、scan(…)``."""
    return "、".join(f"{name}({what})" for name, (_m, _c, what) in ENGINES.items())


def check_engine_name(name: str) -> str:
    """Return ``name`` if it names an engine, else raise ConfigError naming the known ones."""
    if name not in ENGINES:
        raise ConfigError(f"未知的检索引擎{quote_input(name)}(配置 [search] engine);可用的有:{known_engines()}")
    return name


def open_engine(archive: Archive, settings: SearchSettings) -> SearchEngine:
    """A new engine of the kind ``settings.engine`` names, over ``archive`` (not shared: the caller closes it)."""
    module_name, class_name, _what = ENGINES[check_engine_name(settings.engine)]
    cls = getattr(importlib.import_module(module_name), class_name)
    engine: SearchEngine = cls(archive, settings)
    return engine


class EngineCache:
    """One engine per (archive root, index path), shared by every thread; replaced and dropped engines closed."""

    def __init__(self, keep: int = KEEP) -> None:
        self.keep = keep
        self._lock = threading.Lock()
        self._engines: OrderedDict[tuple[str, str], SearchEngine] = OrderedDict()

    @staticmethod
    def key(archive: Archive, settings: SearchSettings) -> tuple[str, str]:
        """What identifies an index: the archive's root and the index folder, both resolved."""
        return str(archive.root.resolve()), str(Path(settings.index_path).resolve())

    def get(self, archive: Archive, settings: SearchSettings) -> SearchEngine:
        """The shared engine for this archive and index (made on first use, or when the settings changed)."""
        key = self.key(archive, settings)
        stale: list[SearchEngine] = []
        with self._lock:
            engine = self._engines.get(key)
            if engine is not None and getattr(engine, "settings", None) != settings:
                stale.append(self._engines.pop(key))
                engine = None
            if engine is None:
                engine = open_engine(archive, settings)
                self._engines[key] = engine
                while len(self._engines) > self.keep:
                    stale.append(self._engines.popitem(last=False)[1])
            else:
                self._engines.move_to_end(key)
        for old in stale:  # outside the cache lock: closing waits for a search running on it
            old.close()
        return engine

    def discard(self, engine: SearchEngine) -> None:
        """Forget and close ``engine`` (a workspace that ends closes its engine this way)."""
        with self._lock:
            for key, cached in list(self._engines.items()):
                if cached is engine:
                    del self._engines[key]
        engine.close()

    def close_all(self) -> None:
        """Close every engine (end of a process, or of a test)."""
        with self._lock:
            engines = list(self._engines.values())
            self._engines.clear()
        for engine in engines:
            engine.close()

    def __len__(self) -> int:
        return len(self._engines)


_cache = EngineCache()


def shared_engine(archive: Archive, settings: SearchSettings) -> SearchEngine:
    """The process's engine for this archive and index (see :class:`EngineCache`)."""
    return _cache.get(archive, settings)


def release(engine: SearchEngine) -> None:
    """Close a shared engine and forget it (the next :func:`shared_engine` makes a new one)."""
    _cache.discard(engine)


def close_all() -> None:
    """Close every shared engine."""
    _cache.close_all()


__all__ = ["ENGINES", "EngineCache", "check_engine_name", "close_all", "known_engines", "open_engine", "release",
           "shared_engine"]
