"""Logging in and out (``/login``, ``/logout``) and the home page.

A login names the account and the password; a wrong one says only that the
pair is wrong (never which).  The limiter refuses attempts for a locked name
or address before the password is checked.  A successful login starts a new
session (a new id: no fixation), journals ``web.login`` with the user as the
actor, and sets the cookie HttpOnly, SameSite=Lax and, over TLS, Secure.
"""

from __future__ import annotations

import contextlib
import math

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from docgen.errors import DocgenError, UsageError
from docgen.users import check_login_name
from docgen.web.auth import new_secret
from docgen.web.render import page
from docgen.web.routing import LOGGED_IN, PUBLIC, caller, route, web_state

router = APIRouter()


def _safe_next(target: str | None) -> str:
    """Only a path on this site (``/dossiers/…``), never ``//evil`` or ``https://…``."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target or len(target) > 500:
        return "/search"
    if target.startswith(("/login", "/logout")):
        return "/search"
    return target


def _login_page(request: Request, nxt: str, message: str = "", status: int = 200, name: str = "") -> Response:
    web = web_state(request)
    token = request.cookies.get(web.login_cookie) or new_secret()
    request.state.login_csrf = token
    response = page(request, "login.html", {"next": nxt, "message": message, "name": name}, status=status)
    response.set_cookie(web.login_cookie, token, httponly=True, samesite="lax", path="/login",
                        secure=web.secure_cookies(request), max_age=3600)
    return response


@route(router, "/", permission=LOGGED_IN)
def home(request: Request) -> Response:
    """The home page is the search page."""
    return RedirectResponse("/search", status_code=303)


@route(router, "/login", permission=PUBLIC, kind="public")
def login_form(request: Request, next: str | None = None) -> Response:
    """The login form (already logged in: straight on)."""
    web = web_state(request)
    if web.identify(request, allow_token=False) is not None:
        return RedirectResponse(_safe_next(next), status_code=303)
    return _login_page(request, _safe_next(next))


@route(router, "/login", permission=PUBLIC, kind="public", methods=("POST",), name="login_submit")
def login_submit(request: Request, name: str = Form(""), password: str = Form(""),
                 next: str = Form("/search")) -> Response:
    """Check the name and password; start a session or say why not."""
    web = web_state(request)
    nxt = _safe_next(next)
    address = web.client_address(request)
    name = name.strip()[:64]
    wait = web.limiter.wait(name, address)
    if wait > 0:
        minutes = max(1, math.ceil(wait / 60))
        return _login_page(request, nxt, f"登录失败次数过多,请 {minutes} 分钟后再试", status=429, name=name)
    account = None
    if name and password:
        with web.password_checks:
            account = web.users.authenticate(name, password[:1024])
    if account is None:
        if web.limiter.failed(name, address):
            _journal_lockout(request, name)
        return _login_page(request, nxt, "用户名或密码不正确", status=401, name=name)
    web.limiter.succeeded(name, address)
    sid, _ = web.sessions.create(account.name, address)
    session = web.session_for(account)
    session.archive.record_access("web.login", f"user:{account.name}", f"{account.name} 登录网页端",
                                  {"via": "password"})
    response = RedirectResponse(nxt, status_code=303)
    response.set_cookie(web.session_cookie, sid, httponly=True, samesite="lax", path="/",
                        secure=web.secure_cookies(request))
    response.delete_cookie(web.login_cookie, path="/login")
    return response


def _journal_lockout(request: Request, name: str) -> None:
    """A lock-out is worth an entry in the journal (one per lock-out, not per failed attempt)."""
    web = web_state(request)
    try:
        target = f"user:{check_login_name(name)}"
    except UsageError:
        target = ""
    with contextlib.suppress(DocgenError):  # a busy archive must not turn a refused login into an error page
        web.workspace.archive.as_actor("网页登录").record_access(
            "web.login_locked", target, "登录失败次数过多,已暂时锁定", {"name_known": web.account(name) is not None})


@route(router, "/logout", permission=LOGGED_IN, methods=("POST",))
def logout(request: Request) -> Response:
    """End the session (journaled) and go back to the login form."""
    web = web_state(request)
    who = caller(request)
    if who.web_session is not None:
        web.sessions.drop(who.web_session)
        who.session.archive.record_access("web.logout", f"user:{who.session.user.name}",
                                          f"{who.session.user.name} 退出网页端", {})
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(web.session_cookie, path="/")
    return response
