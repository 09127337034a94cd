"""Who is asking: login sessions, CSRF tokens, API tokens and the login limiter.

Sessions are kept on the server (in memory), the cookie carries only a random
id: logging out, disabling an account or changing a role takes effect on the
next request, and a stolen cookie dies with the session.  A session ends after
``[web] idle_minutes`` without a request and ``absolute_hours`` after login
(whichever comes first); a server restart logs everyone out.

Every form carries the session's CSRF token (a hidden field; htmx sends it as
the ``X-CSRF-Token`` header), and every unsafe request made with the cookie is
refused without it.  The login form, which has no session yet, uses a
double-submit cookie.  API calls with ``Authorization: Bearer`` carry no
ambient credential and need no CSRF token.

The limiter counts failed logins per login name and per client address; past
``max_failures`` (4x as many per address) within the window, attempts are
refused for ``lockout_minutes``, doubling with each further lock-out, without
checking the password at all (so a locked name cannot be probed).

Nothing here imports a web framework: the objects are plain and testable with
an injected clock; :mod:`docgen.web.app` wires them to requests.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
import unicodedata
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

from docgen.web.settings import WebSettings

Clock = Callable[[], float]
MAX_SEARCH_TEXTS = 100
MAX_LIMITER_KEYS = 10_000
MAX_LOCKOUT_SECONDS = 24 * 3600.0
ADDRESS_FACTOR = 4


def new_secret() -> str:
    """A random, URL-safe secret of 32 bytes (session ids, CSRF tokens)."""
    return secrets.token_urlsafe(32)


def same_secret(a: str | None, b: str | None) -> bool:
    """Constant-time comparison of two secrets (False if either is missing)."""
    if not a or not b:
        return False
    return hmac.compare_digest(a.encode(), b.encode())


@dataclass
class WebSession:
    """One logged-in browser: whose it is, its CSRF token, when it started and was last used."""

    sid_hash: str
    user: str
    csrf: str
    created: float
    seen: float
    address: str = ""
    reveals: dict[str, tuple[float, str]] = field(default_factory=dict)
    """Targets revealed in this session (a personal document's pages, say): until when, and the reason given."""
    texts: OrderedDict[str, str] = field(default_factory=OrderedDict)
    """Search words by token: what was typed stays out of URLs (``/search?t=…``)."""

    def remember_text(self, text: str) -> str:
        """A token for search words (the same token for the same words), keeping the last 100."""
        for token, known in self.texts.items():
            if known == text:
                self.texts.move_to_end(token)
                return token
        token = secrets.token_urlsafe(9)
        self.texts[token] = text
        while len(self.texts) > MAX_SEARCH_TEXTS:
            self.texts.popitem(last=False)
        return token

    def text(self, token: str) -> str | None:
        """The search words behind a token, or None if unknown (another session's, or forgotten)."""
        return self.texts.get(token)

    def grant(self, target: str, reason: str, until: float) -> None:
        """Remember that ``target`` was revealed (with ``reason``) until ``until``."""
        self.reveals[target] = (until, reason)

    def granted(self, target: str, now: float) -> str | None:
        """The reason ``target`` was revealed for, while the grant lasts; else None."""
        entry = self.reveals.get(target)
        if entry is None:
            return None
        if entry[0] < now:
            del self.reveals[target]
            return None
        return entry[1]


def _hash(sid: str) -> str:
    return hashlib.sha256(sid.encode()).hexdigest()


class SessionStore:
    """Login sessions by id (stored hashed), with idle and absolute expiry on an injectable clock."""

    def __init__(self, settings: WebSettings, clock: Clock = time.time) -> None:
        self.settings = settings
        self.clock = clock
        self._sessions: dict[str, WebSession] = {}
        self._guard = threading.Lock()
        self._last_sweep = 0.0

    @property
    def idle_seconds(self) -> float:
        """Seconds without a request after which a session ends."""
        return self.settings.idle_minutes * 60

    @property
    def absolute_seconds(self) -> float:
        """Seconds after login after which a session ends, however busy."""
        return self.settings.absolute_hours * 3600

    def create(self, user: str, address: str = "") -> tuple[str, WebSession]:
        """A new session for ``user``; returns the id for the cookie and the session."""
        sid = new_secret()
        now = self.clock()
        session = WebSession(_hash(sid), user, new_secret(), now, now, address)
        with self._guard:
            self._sessions[session.sid_hash] = session
        self._sweep(now)
        return sid, session

    def _expired(self, session: WebSession, now: float) -> bool:
        return now - session.seen > self.idle_seconds or now - session.created > self.absolute_seconds

    def get(self, sid: str | None) -> WebSession | None:
        """The live session for a cookie's id (its last use updated), or None if unknown or expired."""
        if not sid or len(sid) > 200:
            return None
        now = self.clock()
        key = _hash(sid)
        with self._guard:
            session = self._sessions.get(key)
            if session is None:
                return None
            if self._expired(session, now):
                del self._sessions[key]
                return None
            session.seen = now
        self._sweep(now)
        return session

    def drop(self, session: WebSession) -> None:
        """End a session (logout)."""
        with self._guard:
            self._sessions.pop(session.sid_hash, None)

    def drop_user(self, user: str) -> int:
        """End every session of a user (account disabled); returns how many."""
        with self._guard:
            gone = [k for k, s in self._sessions.items() if s.user == user]
            for k in gone:
                del self._sessions[k]
        return len(gone)

    def __len__(self) -> int:
        return len(self._sessions)

    def _sweep(self, now: float) -> None:
        """Forget expired sessions now and then (memory stays flat however many logins)."""
        if now - self._last_sweep < 60:
            return
        self._last_sweep = now
        with self._guard:
            for key in [k for k, s in self._sessions.items() if self._expired(s, now)]:
                del self._sessions[key]


@dataclass
class _Failures:
    times: list[float] = field(default_factory=list)
    locked_until: float = 0.0
    lockouts: int = 0


def login_key(name: str) -> str:
    """The limiter's key for a login name: folded, so 张三 and ＺＨＡＮＧ variants count together."""
    return unicodedata.normalize("NFKC", name).strip().casefold()[:64]


class LoginLimiter:
    """Failed logins per name and per address; a lock-out that doubles each time it is triggered again."""

    def __init__(self, settings: WebSettings, clock: Clock = time.time) -> None:
        self.settings = settings
        self.clock = clock
        self._by_key: OrderedDict[str, _Failures] = OrderedDict()
        self._guard = threading.Lock()

    def _keys(self, name: str, address: str) -> list[tuple[str, int]]:
        limit = self.settings.max_failures
        keys = [(f"name:{login_key(name)}", limit)]
        if address:
            keys.append((f"addr:{address}", limit * ADDRESS_FACTOR))
        return keys

    def wait(self, name: str, address: str) -> float:
        """Seconds until a login for ``name`` from ``address`` may be tried (0: now)."""
        now = self.clock()
        with self._guard:
            waits = [f.locked_until - now for k, _ in self._keys(name, address)
                     if (f := self._by_key.get(k)) is not None]
        return max([0.0, *waits])

    def failed(self, name: str, address: str) -> bool:
        """Count a failed login; True if this failure locked the name or the address."""
        now = self.clock()
        window = self.settings.failure_window_minutes * 60
        locked = False
        with self._guard:
            for key, limit in self._keys(name, address):
                f = self._by_key.get(key)
                if f is None:
                    f = self._by_key[key] = _Failures()
                self._by_key.move_to_end(key)
                f.times = [t for t in f.times if now - t < window] + [now]
                if len(f.times) >= limit:
                    f.lockouts += 1
                    seconds = min(self.settings.lockout_minutes * 60 * 2 ** (f.lockouts - 1), MAX_LOCKOUT_SECONDS)
                    f.locked_until = now + seconds
                    f.times = []
                    locked = True
            while len(self._by_key) > MAX_LIMITER_KEYS:
                self._by_key.popitem(last=False)
        return locked

    def succeeded(self, name: str, address: str) -> None:
        """A successful login clears the name's failures (not the address's: one good password elsewhere proves nothing)."""
        with self._guard:
            self._by_key.pop(f"name:{login_key(name)}", None)
