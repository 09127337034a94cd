"""The application factory: ``create_app(workspace)`` builds the FastAPI app over one workspace.

Tests make their own workspace on a temporary archive and call
``create_app`` with an injected clock; ``docgen serve`` makes one for the
configured archive.  Here live the parts every request shares:

- security headers on every response (a Content-Security-Policy without
  inline script or style, no framing, no sniffing, same-origin referrers) and
  ``Cache-Control: no-store`` on everything but the static files (pages carry
  personal data);
- errors: a ``DocgenError`` becomes its Chinese message with the status it
  deserves (404 for what does not exist *or may not be known to exist*, 403
  for a role that may not, 400 for bad input, 409 for a conflict), as JSON
  under ``/api/`` and as a page (or an htmx fragment) elsewhere; anything
  unexpected is a 500 with a generic Chinese message (the traceback goes to
  the server log only);
- the server log: method, route *template* (``/dossiers/{project}/{unit}``,
  never the ids or the query string, which may name people), status, time,
  and the user's role.
"""

from __future__ import annotations

import contextlib
import logging
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from docgen import __version__
from docgen.errors import (
    ConflictError,
    DocgenError,
    IndexUnavailable,
    LockTimeout,
    NotFoundError,
    PermissionDenied,
    UnsafePathError,
)
from docgen.session import Workspace
from docgen.web.auth import Clock
from docgen.web.render import HERE, page
from docgen.web.routing import AuthRequired, CsrfFailed
from docgen.web.settings import WebSettings
from docgen.web.state import WebState

log = logging.getLogger("docgen.web")

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}
STATUS_CODES: list[tuple[type[Exception], int, str]] = [
    (AuthRequired, 401, "unauthorized"),
    (CsrfFailed, 403, "csrf"),
    (PermissionDenied, 403, "forbidden"),
    (UnsafePathError, 404, "not_found"),
    (IndexUnavailable, 503, "index_unavailable"),
    (NotFoundError, 404, "not_found"),
    (ConflictError, 409, "conflict"),
    (LockTimeout, 503, "busy"),
]
HTTP_MESSAGES = {
    400: "请求无效", 401: "请先登录", 403: "没有权限", 404: "页面不存在或无权查看", 405: "不支持该请求方式",
    413: "上传的内容过大", 429: "请求过于频繁,请稍后再试", 500: "服务器内部错误,请稍后再试或联系系统管理员",
}


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def error_response(request: Request, status: int, code: str, message: str,
                   headers: dict[str, str] | None = None) -> Response:
    """The error as JSON (API) or as a page or htmx fragment, with its Chinese message."""
    if _is_api(request):
        return JSONResponse({"error": code, "message": message, "status": status}, status_code=status,
                            headers=headers)
    if status == 401:
        target = request.url.path
        if request.url.query and len(request.url.query) <= 400:  # the filters of a link followed after expiry
            target += "?" + request.url.query
        nxt = f"?next={quote(target, safe='/')}" if request.method == "GET" and request.url.path not in ("/", "/login") \
            else ""
        if request.headers.get("hx-request") == "true":
            return Response(status_code=204, headers={"HX-Redirect": f"/login{nxt}"})
        return RedirectResponse(f"/login{nxt}", status_code=303)
    template = "_error.html" if request.headers.get("hx-request") == "true" else "error.html"
    return page(request, template, {"status": status, "message": message,
                                    "title": HTTP_MESSAGES.get(status, "出错了")}, status=status, headers=headers)


def without_server_paths(root: str, message: str) -> str:
    """A core message with the archive's place on the server (``root``) cut off: ``projects/…`` is enough to find it.

    A record that cannot be read is named by its file for the person who
    mends it; where the archive lies on the server is not every user's business.
    """
    root = root.rstrip("/")
    if len(root) <= 1:
        return message
    message = re.sub(re.escape(root) + "/", "", message)
    return re.sub(re.escape(root) + r"(?=$|[\s:;,,。;:)()])", "档案库", message)


def _status_of(exc: DocgenError) -> tuple[int, str]:
    for cls, status, code in STATUS_CODES:
        if isinstance(exc, cls):
            return status, code
    return 400, "bad_request"


def _install_errors(app: FastAPI) -> None:
    @app.exception_handler(DocgenError)
    async def docgen_error(request: Request, exc: DocgenError) -> Response:
        status, code = _status_of(exc)
        if isinstance(exc, LockTimeout):  # who holds the lock, where, running what: for the log, not the page
            log.warning("%s %s: %s", request.method, request.url.path, exc)
            return error_response(request, status, code, exc.brief, headers={"Retry-After": "5"})
        web = getattr(request.app.state, "web", None)
        message = without_server_paths(str(web.workspace.archive.root), str(exc)) if web is not None else str(exc)
        return error_response(request, status, code, message)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        if exc.errors() and all(tuple(e.get("loc", ()))[:1] == ("path",) for e in exc.errors()):
            # a page address typed wrong (/documents/X/pages/abc.png): no such page, not a parameter name
            return error_response(request, 404, "not_found", HTTP_MESSAGES[404])
        fields = "、".join(str(e.get("loc", ["", "?"])[-1]) for e in exc.errors()[:5])
        return error_response(request, 400, "bad_request", f"请求参数无效:{fields}")

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        message = HTTP_MESSAGES.get(exc.status_code, "请求无法完成")
        return error_response(request, exc.status_code, "http_error", message,
                              headers=dict(exc.headers) if exc.headers else None)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> Response:
        route = request.scope.get("route")
        log.error("未处理的错误 %s %s: %s", request.method, getattr(route, "path", "?"), type(exc).__name__,
                  exc_info=exc)
        response = error_response(request, 500, "internal", HTTP_MESSAGES[500])
        for name, value in SECURITY_HEADERS.items():  # this handler runs outside the middleware
            response.headers.setdefault(name, value)
        response.headers.setdefault("Cache-Control", "no-store")
        return response


def _install_middleware(app: FastAPI) -> None:
    @app.middleware("http")
    async def headers_and_log(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        started = time.perf_counter()
        response = await call_next(request)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        if not request.url.path.startswith("/static/"):
            response.headers.setdefault("Cache-Control", "no-store")
        route = request.scope.get("route")
        caller = getattr(request.state, "caller", None)
        role = caller.session.user.role if caller is not None else "-"
        log.info("%s %s %s %.0fms %s", request.method, getattr(route, "path", "(未匹配)"), response.status_code,
                 (time.perf_counter() - started) * 1000, role)
        return response


def create_app(workspace: Workspace, *, settings: WebSettings | None = None, clock: Clock = time.time) -> FastAPI:
    """The web application over ``workspace`` (``settings`` default to the configuration's ``[web]``)."""
    from docgen.web.views import register

    web_settings = settings or workspace.config.web

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        import anyio.to_thread

        # the worker threads that run the (synchronous) views: [web] threads
        anyio.to_thread.current_default_thread_limiter().total_tokens = web_settings.threads
        app.state.web.work.start()
        try:
            yield
        finally:
            app.state.web.work.stop()

    app = FastAPI(title="docgen 客户服务部业主档案", version=__version__, openapi_url="/api/openapi.json",
                  lifespan=lifespan,
                  docs_url=None, redoc_url=None, swagger_ui_oauth2_redirect_url=None,
                  description="与命令行相同的权限:会话 Cookie 或 Authorization: Bearer <令牌>"
                              "(docgen user token 签发)。个人信息默认遮蔽。")
    app.state.web = WebState(workspace, web_settings, clock)
    _install_errors(app)
    _install_middleware(app)
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    register(app)
    return app


def routes_table(app: FastAPI | None = None) -> list[dict[str, Any]]:
    """Every route with its methods, permission, kind and summary (what docs/web.md and the permission test read).

    Read from the routers themselves (recent FastAPI versions keep included
    routers unflattened in ``app.routes``); without ``app``, from the view modules.
    """
    from fastapi.routing import APIRoute

    from docgen.web.views import routers

    rows = []
    for r in (route for router in (app.state.routers if app is not None else routers()) for route in router.routes):
        if isinstance(r, APIRoute):
            extra = r.openapi_extra or {}
            doc = (r.endpoint.__doc__ or "").strip().splitlines()
            rows.append({"path": r.path, "methods": sorted(r.methods or ()), "permission": extra.get("x-permission"),
                         "kind": extra.get("x-kind"), "name": r.name, "summary": doc[0] if doc else ""})
    return rows
