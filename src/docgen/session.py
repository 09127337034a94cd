"""Workspace and Session: one process's shared state, and one caller acting in it.

The CLI and the web application are thin callers of the same core services;
both hand the services a :class:`Session`.

- A :class:`Workspace` is what a process shares among all its callers: the
  configuration, the opened :class:`~docgen.archive.Archive` (its write lock,
  journal and listeners), the search engine (kept warm), the audit rules.
  The CLI makes one per run; ``docgen serve`` makes one for the server.
- A :class:`Session` is one caller: the workspace plus the acting
  :class:`User` (name for the journal, role, the projects they may see).  A
  CLI run is one session acting as the local operator; each web request is a
  session acting as the logged-in user.  Services check permissions and
  project scope through it (in the core, not only in a page) and write
  through ``session.archive``, which journals the session's user as the
  actor, never the configuration's default.

Thread safety: a workspace is shared by the server's threads.  The archive's
write lock is per thread (see :mod:`docgen.archive.lock`), the search engine
is the process's shared one (:mod:`docgen.search.engines`, locked), the rules
are created once under a lock, and a session is never shared.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from docgen.errors import NotFoundError, PermissionDenied
from docgen.permissions import PERMISSION_LABELS, allowed, role_label

if TYPE_CHECKING:
    from docgen.archive import Archive
    from docgen.archive.journal import JournalEntry
    from docgen.audit.rules import Rules
    from docgen.config import Config
    from docgen.search.types import SearchEngine


@dataclass(frozen=True, slots=True)
class User:
    """The acting user: a name for the journal, a role, and the projects they may see."""

    name: str
    role: str = "operator"
    projects: frozenset[str] = frozenset()
    """Project codes this user may see; empty means every project."""
    sign_as: frozenset[str] = frozenset()
    """Countersign roles (会签角色) assigned to this user, e.g. 客户服务部负责人; the operator may sign any."""

    def can(self, permission: str) -> bool:
        """True if the user's role has ``permission``."""
        return allowed(self.role, permission)

    def sees(self, project: str) -> bool:
        """True if the user may see records of ``project``."""
        return not self.projects or project in self.projects

    def may_sign(self, chain_role: str) -> bool:
        """True if the user may sign the countersign chain as ``chain_role``."""
        return self.role == "operator" or chain_role in self.sign_as

    @property
    def label(self) -> str:
        """``张三(客服)``."""
        return f"{self.name}({role_label(self.role)})"


class Workspace:
    """A process's shared state: configuration, archive, search engine, rules."""

    def __init__(self, config: Config, *, archive: Archive | None = None) -> None:
        self.config = config
        self._archive = archive
        if archive is not None:
            archive.listeners.append(self._note_change)
        self._guard = threading.Lock()
        self._engine: SearchEngine | None = None
        self._rules: tuple[Any, Rules, str] | None = None
        self._dirty = threading.Event()
        self._refresh_lock = threading.Lock()

    # -- shared objects -------------------------------------------------------------
    @property
    def archive(self) -> Archive:
        """The archive, opened once; every write through it (any actor) marks the index for a refresh."""
        if self._archive is None:
            with self._guard:
                if self._archive is None:
                    archive = self.config.open_archive()
                    archive.listeners.append(self._note_change)
                    self._archive = archive
        return self._archive

    def _note_change(self, _entry: JournalEntry) -> None:
        self._dirty.set()

    @property
    def changed(self) -> bool:
        """True if the archive changed since the index was last refreshed by this workspace."""
        return self._dirty.is_set()

    def engine(self) -> SearchEngine:
        """The search engine chosen by ``[search] engine``: the process's one for this archive and index.

        Shared through :func:`docgen.search.engines.shared_engine` (kept warm,
        safe for many threads; a replaced engine is closed there), so the
        CLI's ``refresh()`` and a server's requests use one searcher.
        """
        from docgen.search.engines import shared_engine

        engine = shared_engine(self.archive, self.config.search)
        self._engine = engine
        return engine

    def rules(self) -> tuple[Rules, str]:
        """The audit rules in force and where they came from (re-read when ``rules.json`` changes)."""
        from docgen.audit.rules import load_rules

        path = self.archive.layout.rules
        try:
            stamp: Any = path.stat().st_mtime_ns
        except FileNotFoundError:
            stamp = None
        cached = self._rules
        if cached is not None and cached[0] == stamp:
            return cached[1], cached[2]
        rules, source = load_rules(self.archive)
        self._rules = (stamp, rules, source)
        return rules, source

    def refresh_index(self, timeout: float = 2.0) -> Any:
        """Bring an existing search index up to date after writes; None if nothing changed or it is busy.

        A missing index is left to ``docgen index rebuild`` (or the first
        search); a busy index writer is not waited for long: the journal tells
        the next update what to index, so nothing is lost.
        """
        if not self._dirty.is_set():
            return None
        with self._refresh_lock:
            if not self._dirty.is_set():
                return None
            self._dirty.clear()
            from docgen.search.api import refresh

            if not self.engine().has_index():
                return None
            return refresh(self.archive, self.config.search, timeout=timeout)

    def session(self, user: User) -> Session:
        """A session acting as ``user``."""
        return Session(self, user)

    def close(self) -> None:
        """Release the search engine's files (the next :meth:`engine` opens it again)."""
        engine, self._engine = self._engine, None
        if engine is not None:
            from docgen.search.engines import release

            release(engine)


@dataclass
class Session:
    """One caller acting in a workspace: the archive as this user, permissions, project scope."""

    workspace: Workspace
    user: User
    _archive: Archive | None = field(default=None, repr=False)

    @property
    def config(self) -> Config:
        """The workspace's configuration."""
        return self.workspace.config

    @property
    def archive(self) -> Archive:
        """The archive acting as this session's user (the journal names them)."""
        if self._archive is None:
            self._archive = self.workspace.archive.as_actor(self.user.name)
        return self._archive

    def today(self) -> dt.date:
        """The archive's today (injectable in tests)."""
        return self.archive.today()

    # -- permissions ---------------------------------------------------------------
    def can(self, permission: str, project: str | None = None) -> bool:
        """True if the user has ``permission`` (and sees ``project`` when one is given)."""
        return self.user.can(permission) and (project is None or self.user.sees(project))

    def require(self, permission: str, project: str | None = None) -> None:
        """Raise PermissionDenied unless the user has ``permission``; NotFoundError for a project they may not see.

        A project outside the user's scope is "not found", not "forbidden", so
        that its existence is not disclosed either.
        """
        if project is not None:
            self.check_project(project)
        if not self.user.can(permission):
            raise PermissionDenied(
                f"{self.user.label} 没有「{PERMISSION_LABELS.get(permission, permission)}」的权限"
            )

    def check_project(self, project: str) -> None:
        """NotFoundError if the user may not see ``project`` (the same message as for one that does not exist)."""
        if not self.user.sees(project):
            raise NotFoundError(f"项目 {project} 不存在或无权查看")

    def check_key(self, key: str) -> None:
        """NotFoundError for a dossier (``HXSZ/03-2-1203``) or project key outside the user's scope."""
        project = key.split("/", 1)[0]
        if not self.user.sees(project):
            raise NotFoundError(f"档案 {key} 不存在或无权查看" if "/" in key else f"项目 {key} 不存在或无权查看")

    @property
    def projects(self) -> frozenset[str] | None:
        """The projects the user may see, or None for all (what a search filter takes)."""
        return self.user.projects or None

    def visible(self, codes: Iterable[str]) -> list[str]:
        """The given project codes that the user may see, in order."""
        return [c for c in codes if self.user.sees(c)]

    def refresh_index(self, timeout: float = 2.0) -> Any:
        """After writes, bring the search index up to date (see :meth:`Workspace.refresh_index`)."""
        return self.workspace.refresh_index(timeout)


def operator_session(config: Config, name: str | None = None, *, archive: Archive | None = None) -> Session:
    """A session for the person at the terminal: the local operator, every project."""
    workspace = Workspace(config, archive=archive)
    actor = name or (archive.actor if archive is not None else "") or config.archive.actor or ""
    if not actor:
        from docgen.archive.store import _default_actor

        actor = _default_actor()
    return workspace.session(User(actor, "operator"))
