"""What the web application shares between requests: the workspace, accounts, sessions, caches.

One :class:`WebState` per application (``app.state.web``), made by
:func:`docgen.web.app.create_app` from a :class:`~docgen.session.Workspace`.
Each request gets its own :class:`~docgen.session.Session` from it, acting as
the logged-in user; nothing here holds a user's data beyond the login
sessions and small, bounded caches.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from docgen.errors import DocgenError, IndexUnavailable, NotFoundError
from docgen.session import Session, User, Workspace
from docgen.users import Account, UserStore
from docgen.web.auth import Clock, LoginLimiter, SessionStore
from docgen.web.previews import PreviewCache
from docgen.web.settings import WebSettings

if TYPE_CHECKING:
    from fastapi import Request

    from docgen.models import Document
    from docgen.search.query import Query, Results
    from docgen.web.routing import Caller

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

SESSION_COOKIE = "docgen_session"
LOGIN_COOKIE = "docgen_login"


class Lru(Generic[K, V]):
    """A small thread-safe least-recently-used map (bounded, so memory stays flat)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._data: OrderedDict[K, V] = OrderedDict()
        self._guard = threading.Lock()

    def get(self, key: K) -> V | None:
        with self._guard:
            value = self._data.get(key)
            if value is not None:
                self._data.move_to_end(key)
            return value

    def put(self, key: K, value: V) -> None:
        with self._guard:
            self._data[key] = value
            self._data.move_to_end(key)
            while len(self._data) > self.size:
                self._data.popitem(last=False)

    def clear(self) -> None:
        with self._guard:
            self._data.clear()

    def __len__(self) -> int:
        return len(self._data)


UNAVAILABLE = {
    "missing": "检索索引尚未建立",
    "version": "检索索引由另一版本的 docgen 建立",
    "unreadable": "检索索引文件无法打开",
    "damaged": "检索索引文件已损坏",
}
"""What a search page says of an unusable index, by :attr:`IndexUnavailable.kind` (the details are logged)."""


class WebState:
    """The application's shared state (one per ``create_app``)."""

    login_cookie = LOGIN_COOKIE
    session_cookie = SESSION_COOKIE

    def __init__(self, workspace: Workspace, settings: WebSettings, clock: Clock = time.time) -> None:
        self.workspace = workspace
        self.settings = settings
        self.clock = clock
        archive = workspace.archive
        if settings.today is not None:
            today = settings.today
            archive._today = lambda: today
        self.archive_name = archive.name or "业主档案"
        self.users = UserStore(archive)
        self.sessions = SessionStore(settings, clock)
        self.limiter = LoginLimiter(settings, clock)
        cache = settings.cache or Path(workspace.config.search.index_path) / "cache"
        self.previews = PreviewCache(Path(cache) / "pages", workspace.config.ingest.max_image_pixels)
        self._search_lock = threading.Lock()
        # argon2 takes 64 MB and tens of milliseconds per check: a burst of logins takes turns
        # (two at a time) instead of multiplying the server's memory
        self.password_checks = threading.BoundedSemaphore(2)
        self.doc_owners: Lru[str, str] = Lru(20_000)
        self.audit_results: Lru[Hashable, Any] = Lru(8)
        self.verify_results: Lru[Hashable, Any] = Lru(8)
        self._records_version: tuple[int, int] | None = None
        from docgen.web.background import Background

        self.work = Background(workspace, settings)
        """Part 2's shared parts: the case board, jobs, the watcher, the index refresher (docgen.web.background)."""

    # -- who is asking ---------------------------------------------------------------
    def client_address(self, request: Request) -> str:
        """The client's address (the proxy's X-Forwarded-For only when ``trust_proxy``)."""
        if self.settings.trust_proxy:
            forwarded = request.headers.get("x-forwarded-for", "")
            if forwarded:
                return forwarded.split(",")[0].strip()[:64]
        return request.client.host if request.client else ""

    def is_https(self, request: Request) -> bool:
        """True if the browser talks to us over TLS (directly or through a trusted proxy)."""
        if self.settings.trust_proxy and request.headers.get("x-forwarded-proto", "").lower() == "https":
            return True
        return request.url.scheme == "https"

    def secure_cookies(self, request: Request) -> bool:
        """Whether cookies get the Secure flag for this request."""
        mode = self.settings.secure_cookies
        return mode == "always" or (mode == "auto" and self.is_https(request))

    def account(self, name: str) -> Account | None:
        """The enabled account of that name, or None."""
        try:
            account = self.users.get(name)
        except NotFoundError:
            return None
        return None if account.disabled else account

    def session_for(self, account: Account) -> Session:
        """A core session acting as this account's user."""
        return self.workspace.session(account.as_user())

    def identify(self, request: Request, *, allow_token: bool) -> Caller | None:
        """The caller of a request: a Bearer token (API only) or the session cookie; None if neither is valid."""
        from docgen.web.routing import Caller

        header = request.headers.get("authorization", "")
        if allow_token and header.lower().startswith("bearer "):
            account = self.users.authenticate_token(header[7:])
            if account is None:
                return None
            return Caller(self.session_for(account), None, "token")
        web_session = self.sessions.get(request.cookies.get(SESSION_COOKIE))
        if web_session is None:
            return None
        account = self.account(web_session.user)
        if account is None:  # disabled or removed since login
            self.sessions.drop(web_session)
            return None
        return Caller(self.session_for(account), web_session, "cookie")

    def check_origin(self, request: Request) -> None:
        """Refuse an unsafe request whose Origin (when the browser sends one) is not this site."""
        from docgen.web.routing import CsrfFailed

        origin = request.headers.get("origin")
        if origin is None:
            return
        host = request.headers.get("x-forwarded-host") if self.settings.trust_proxy else None
        host = host or request.headers.get("host", "")
        scheme = "https" if self.is_https(request) else request.url.scheme
        if origin != f"{scheme}://{host}":
            raise CsrfFailed("请求来自其他网站,已拒绝(安全校验未通过)")

    # -- the search engine ------------------------------------------------------------
    def search(self, session: Session, query: Query, *, reason: str = "") -> Results:
        """Run a query for a user: limited to the projects they may see, inside the engine.

        The engine keeps one warm searcher that is not safe to share between
        threads (whoosh's readers, the evaluator's caches), so queries take
        turns; a query takes milliseconds (docs/search.md), and Python runs one
        thread at a time anyway.  While the server's refresher thread keeps
        the index current, a query never updates it itself (that would make
        every other query wait about a second); it waits only, outside the
        turn, for the refresher to take in this user's own last write.
        """
        session.require("read")
        query.projects = session.projects
        query.reveal = bool(reason)
        if reason:  # a search by a full ID or phone number: a reveal, journaled as the user
            session.require("reveal")
            query.reason, query.role, query.purpose = reason, session.user.role, "网页:检索结果"
        engine = self.workspace.engine()
        background = self.work
        from docgen.web.background import WRITER

        # no index yet (a new install, a rebuild elsewhere): nothing to wait for
        current = background.wait_indexed(WRITER.get()) if engine.has_index() else True
        refreshing = background.refreshing
        try:
            with self._search_lock:
                # with the refresher running, an unusable index is rebuilt by it (in the update process),
                # never in a request: that held every other search behind a rebuild of minutes
                results: Results = engine.search(query, False if refreshing else None, archive=session.archive,
                                                 catch_up=not refreshing)
        except IndexUnavailable as exc:
            background.request_rebuild(exc.reason)  # the details (files, versions, errors) go to the log
            if background.index_error:
                why = f"检索索引暂时无法重建({background.index_error});请联系系统管理员"
            else:
                why = f"{UNAVAILABLE.get(exc.kind, UNAVAILABLE['unreadable'])},正在后台重建,完成前暂不能检索"
            raise IndexUnavailable(f"{why};档案、案件和收件照常可用,请几分钟后再试",
                                   reason=exc.reason, kind=exc.kind) from exc
        if not current and not results.note:
            results.note = "检索索引正在更新,结果可能还不含您刚保存的内容;稍后再查一次"
        from docgen.web.privacy_bridge import screen_hits

        return screen_hits(results)

    # -- finding a document by id -------------------------------------------------------
    def locate_document(self, session: Session, doc_id: str) -> tuple[Any, Document]:
        """A document and its owner (dossier or project) by id; 404 for one the user may not see.

        The owner is found through the index (an exact ``编号`` term, scoped to
        the user's projects) or a cache, never by reading every dossier on
        each request; the archive is the fallback only when the index cannot
        answer (missing, being rebuilt).
        """
        from docgen.search.query import Query
        from docgen.units import check_safe_id

        check_safe_id(doc_id, "文件编号")
        archive = session.archive
        hint = self.doc_owners.get(doc_id)
        found = self._from_owner(session, hint, doc_id) if hint else None
        if found is None:
            try:
                results = self.search(session, Query(text=f"编号:{doc_id}", kind="document", limit=5,
                                                       highlight=False))
            except DocgenError:
                try:
                    owner, doc = archive.find_document(doc_id)
                    session.check_key(archive.owner_key(owner))
                except NotFoundError:  # never say whose it is: the same answer as an unknown id
                    raise NotFoundError(f"文件 {doc_id} 不存在或无权查看") from None
                found = owner, doc
            else:
                for hit in results.hits:
                    if hit.doc_id == doc_id:
                        found = self._from_owner(session, hit.owner, doc_id)
                        if found is not None:
                            break
        if found is None:
            raise NotFoundError(f"文件 {doc_id} 不存在或无权查看")
        self.doc_owners.put(doc_id, archive.owner_key(found[0]))
        return found

    def _from_owner(self, session: Session, key: str | None, doc_id: str) -> tuple[Any, Document] | None:
        if not key:
            return None
        if not session.user.sees(key.split("/", 1)[0]):
            return None
        try:
            owner = session.archive.owner(key)
        except NotFoundError:
            return None
        doc = next((d for d in owner.documents if d.id == doc_id), None)
        return (owner, doc) if doc is not None else None

    def note_documents(self, owner_key: str, docs: list[Document]) -> None:
        """Remember where these documents are filed (a dossier page lists them; their pages follow)."""
        for doc in docs:
            self.doc_owners.put(doc.id, owner_key)

    # -- small result caches -------------------------------------------------------------
    def records_version(self) -> int:
        """The journal sequence of the last change to a record file (logins, reveals and exports do not count).

        What the audit's outcome depends on: a cached audit stays valid while
        people only log in, read and reveal.  Read from the journal's tail
        (backwards, only as far as the last entry that wrote files), and
        remembered while the journal's size is unchanged.
        """
        path = self.workspace.archive.layout.journal
        try:
            size = path.stat().st_size
        except FileNotFoundError:
            return 0
        cached = self._records_version
        if cached is not None and cached[0] == size:
            return cached[1]
        seq = _last_change_seq(path, size)
        self._records_version = (size, seq)
        return seq


    def cached(self, cache: Lru[Hashable, Any], key: Hashable, make: Callable[[], Any]) -> Any:
        """The cached value for ``key`` or a freshly made one (cached)."""
        value = cache.get(key)
        if value is None:
            value = make()
            cache.put(key, value)
        return value


def _last_change_seq(path: Path, size: int, chunk: int = 65536) -> int:
    """The seq of the last journal entry that changed files, reading the file backwards from ``size``."""
    import json

    end = size
    carry = b""
    with open(path, "rb") as fh:
        while end > 0:
            start = max(0, end - chunk)
            fh.seek(start)
            block = fh.read(end - start) + carry
            lines = block.split(b"\n")
            carry = lines[0] if start > 0 else b""
            for raw in reversed(lines[1:] if start > 0 else lines):
                if not raw.strip():
                    continue
                try:
                    entry = json.loads(raw)
                except ValueError:
                    continue  # a torn last line
                if entry.get("files"):
                    return int(entry.get("seq", 0))
            end = start
    return 0


def user_scope(user: User) -> tuple[str, ...]:
    """A hashable form of the projects a user may see (for cache keys); empty means all."""
    return tuple(sorted(user.projects))
