"""Declaring a route: its path, methods, the permission it needs, and whether it is a page or the API.

Every route of the application is added through :func:`route`, which

- resolves who is asking (the session cookie; for the API also
  ``Authorization: Bearer``) and makes the request's core
  :class:`~docgen.session.Session` (``request.state.session``), acting as that
  user, so the journal names them;
- asks the one permission table (:mod:`docgen.permissions`) before the view
  runs: no credentials is 401 for the API and a redirect to ``/login`` for a
  page, a role without the permission is 403; the view (and the core service
  it calls) then checks the project scope, which answers 404 for a project the
  user may not see;
- checks the CSRF token on every unsafe method made with the cookie;
- records the permission in the route (``openapi_extra["x-permission"]``), so
  the documentation and the table-driven permission test read it from the
  application itself: a route added without a permission cannot exist.

Part 2's pages (cases, uploads, the review queue, handover day, users) are
added the same way, one view module per noun.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from fastapi import APIRouter, Depends, Request

from docgen.errors import DocgenError
from docgen.permissions import PERMISSION_LABELS
from docgen.session import Session

if TYPE_CHECKING:
    from docgen.web.auth import WebSession
    from docgen.web.state import WebState

Kind = Literal["page", "api", "partial", "public"]
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
PUBLIC = "public"
"""The permission of routes anyone may use (the login form, the health check)."""
LOGGED_IN = "login"
"""The permission of routes every logged-in user may use (logout, the home page)."""


class AuthRequired(DocgenError):
    """No (valid) credentials: 401 for the API, a redirect to the login page for a page."""


class CsrfFailed(DocgenError):
    """An unsafe request made with the session cookie but without the session's CSRF token (or from another site)."""


@dataclass(frozen=True, slots=True)
class Caller:
    """Who made a request: the core session, the login session (None for an API token), how they proved it."""

    session: Session
    web_session: WebSession | None
    via: Literal["cookie", "token"]


def web_state(request: Request) -> WebState:
    """The application's shared state."""
    state: WebState = request.app.state.web
    return state


def caller(request: Request) -> Caller:
    """The caller of this request (set by the route's authorisation step)."""
    who: Caller = request.state.caller
    return who


def session_of(request: Request) -> Session:
    """The core session of this request's caller."""
    return caller(request).session


def _authorize(permission: str, kind: Kind) -> Callable[[Request], Any]:
    async def authorize(request: Request) -> None:
        web = web_state(request)
        who = web.identify(request, allow_token=kind == "api")
        if who is None:
            raise AuthRequired("请先登录" if kind != "api" else "需要登录或接口令牌(Authorization: Bearer …)")
        request.state.caller = who
        from docgen.web.background import WRITER

        # whose writes this request's journal entries are, for that browser's next search (read your writes)
        WRITER.set(who.web_session.sid_hash if who.web_session is not None else f"token:{who.session.user.name}")
        if permission != LOGGED_IN:
            who.session.require(permission)

    return authorize


async def _csrf(request: Request) -> None:
    who: Caller | None = getattr(request.state, "caller", None)
    web = web_state(request)
    web.check_origin(request)
    if who is not None and who.via == "token":
        return
    expected = who.web_session.csrf if who is not None and who.web_session is not None else None
    if expected is None:  # the login form: the double-submit cookie
        expected = request.cookies.get(web.login_cookie)
    sent = request.headers.get("x-csrf-token")
    if sent is None and request.headers.get("content-type", "").startswith(
            ("application/x-www-form-urlencoded", "multipart/form-data")):
        form = await request.form()
        value = form.get("csrf_token")
        sent = value if isinstance(value, str) else None
    from docgen.web.auth import same_secret

    if not same_secret(sent, expected):
        raise CsrfFailed("表单已过期或来源不明(安全校验未通过);请刷新页面后重试")


def route(router: APIRouter, path: str, *, permission: str, methods: Sequence[str] = ("GET",),
          kind: Kind = "page", name: str | None = None, **kwargs: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Add a view to ``router`` at ``path``, guarded by ``permission`` (see the module docstring)."""
    if permission not in PERMISSION_LABELS and permission not in (PUBLIC, LOGGED_IN):
        raise KeyError(f"未知的权限 {permission}")
    verbs = [m.upper() for m in methods]

    def add(view: Callable[..., Any]) -> Callable[..., Any]:
        dependencies = [] if permission == PUBLIC else [Depends(_authorize(permission, kind))]
        if any(m not in SAFE_METHODS for m in verbs):
            dependencies.append(Depends(_csrf))
        extra = {"x-permission": permission, "x-kind": kind}
        if permission in PERMISSION_LABELS:
            extra["x-permission-label"] = PERMISSION_LABELS[permission]
        router.add_api_route(path, view, methods=verbs, dependencies=dependencies, name=name or view.__name__,
                             include_in_schema=kind == "api", openapi_extra=extra, **kwargs)
        return view

    return add
