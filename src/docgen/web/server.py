"""Running the web application under uvicorn, in the foreground (``docgen serve``) or in a thread (tests, bench).

uvicorn is the embedded server: nothing else to install.  Its access log is
off: the application logs each request itself with the route *template* and
no query string (``GET /dossiers/{project}/{unit} 200 12ms staff``), so no
unit, name or search word reaches the server log.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from typing import Any

from docgen.errors import DocgenError
from docgen.web.settings import WebSettings

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nobody listens on right now (for tests and the bench)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        port: int = s.getsockname()[1]
        return port


def uvicorn_config(app: Any, settings: WebSettings, host: str, port: int, *, quiet: bool = False) -> Any:
    """The uvicorn configuration for ``app`` (no access log, no Server header, proxy headers only if trusted)."""
    import uvicorn

    return uvicorn.Config(
        app, host=host, port=port, access_log=False, server_header=False, log_level="warning" if quiet else "info",
        proxy_headers=settings.trust_proxy, forwarded_allow_ips="127.0.0.1" if settings.trust_proxy else "",
        log_config=None, timeout_graceful_shutdown=5,
    )


def check_port(host: str, port: int) -> None:
    """Say in Chinese when the address is taken, before uvicorn prints an English traceback."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError as exc:
            raise DocgenError(f"无法在 {host}:{port} 上启动网页端:{exc.strerror or exc}"
                              f"(端口已被占用?可用 --port 换一个)") from exc


def run(app: Any, settings: WebSettings, host: str, port: int) -> None:
    """Serve in the foreground until Ctrl+C."""
    import uvicorn

    logging.basicConfig(level=logging.INFO, format=LOG_FORMAT)
    check_port(host, port)
    uvicorn.Server(uvicorn_config(app, settings, host, port)).run()


class ThreadedServer:
    """A server on a free local port in a background thread; ``stop()`` (or leaving the ``with``) ends it."""

    def __init__(self, app: Any, settings: WebSettings, host: str = "127.0.0.1", port: int | None = None) -> None:
        import uvicorn

        self.host = host
        self.port = port or free_port(host)
        self.server = uvicorn.Server(uvicorn_config(app, settings, self.host, self.port, quiet=True))
        self.thread = threading.Thread(target=self.server.run, name="docgen-web", daemon=True)

    @property
    def url(self) -> str:
        """The server's base URL."""
        return f"http://{self.host}:{self.port}"

    def start(self, timeout: float = 20.0) -> ThreadedServer:
        """Start and wait until it accepts connections."""
        self.thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise DocgenError(f"网页端未能在 {self.url} 启动")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        """Ask the server to finish and wait for its thread."""
        self.server.should_exit = True
        self.thread.join(10)

    def __enter__(self) -> ThreadedServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
