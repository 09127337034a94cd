"""``[web]`` settings: where ``docgen serve`` listens, cookies, session lifetimes, login limits, caches.

Kept free of web-framework imports, so that :mod:`docgen.config` can validate
the section (an unknown key stops docgen with its name) without loading
FastAPI.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class WebSettings(BaseModel):
    """``[web]``: address, cookie security, session expiry, login lock-out, page-image cache."""

    model_config = ConfigDict(extra="forbid")
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=1, le=65535)
    # cookies carry the Secure flag: "auto" when the request came over https (directly, or
    # through a proxy that sets X-Forwarded-Proto when trust_proxy is on), or always / never
    secure_cookies: Literal["auto", "always", "never"] = "auto"
    # believe X-Forwarded-For / X-Forwarded-Proto (only behind your own reverse proxy)
    trust_proxy: bool = False
    # a session ends after this many minutes without a request, and this many hours after login
    idle_minutes: float = Field(30.0, gt=0)
    absolute_hours: float = Field(10.0, gt=0)
    # after this many failed logins for one name (or 4x as many from one address) within
    # failure_window_minutes, further attempts wait lockout_minutes, doubling with each new lock-out
    max_failures: int = Field(5, ge=1)
    failure_window_minutes: float = Field(15.0, gt=0)
    lockout_minutes: float = Field(5.0, gt=0)
    # page images rendered from the archived PDFs and scans (derived, like the index);
    # default: a cache/ folder inside the search index folder, never inside records/
    cache: Path | None = None
    # a fixed "today" for demo and training archives (the audit's deadlines); empty: the real date
    today: dt.date | None = None
    # worker threads serving requests (the core is synchronous: file reads, the index)
    threads: int = Field(16, ge=1, le=256)
    # scans uploaded in the browser: the largest file (MB) and how many files one upload may carry
    max_upload_mb: float = Field(50.0, gt=0, le=2048)
    max_upload_files: int = Field(20, ge=1, le=500)
    # docgen serve also watches the inbox (as docgen watch does; both may run at once)
    watch: bool = True
    # background jobs (paperwork, uploads) run this many at a time
    jobs: int = Field(2, ge=1, le=16)
    # the search index is updated after writes in a process of its own (requests never wait on the
    # GIL behind a whoosh commit; docs/web.md, "With writes"); false: in a thread of the server
    index_process: bool = True
