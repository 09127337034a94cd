"""``docgen serve`` as a user runs it, and the demo accounts the tour makes."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from conftest import build_small_archive
from docgen.demo.accounts import DEMO_ACCOUNTS, make_demo_accounts
from docgen.permissions import ROLES
from docgen.users import UserStore
from docgen.web.server import free_port

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    build_small_archive(tmp_path / "records")
    (tmp_path / "docgen.toml").write_text('[archive]\npath = "records"\n[search]\nindex_path = "index"\nprocs = 1\n',
                                          "utf-8")
    return tmp_path


def _serve(workdir: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "docgen", "--config", str(workdir / "docgen.toml"), "serve", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=workdir,
                            env={**os.environ, "PYTHONPATH": str(ROOT / "src")})


@pytest.mark.slow
def test_serve_builds_the_index_serves_and_stops_on_ctrl_c(workdir: Path) -> None:
    port = free_port()
    proc = _serve(workdir, "--port", str(port))
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                r = httpx.get(f"http://127.0.0.1:{port}/login", timeout=2)
                break
            except httpx.HTTPError:
                assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()[0]
                time.sleep(0.3)
        assert r.status_code == 200 and "登录" in r.text
        assert httpx.get(f"http://127.0.0.1:{port}/api/search", timeout=5).status_code == 401
        assert (workdir / "index" / "CURRENT").exists()  # built before serving
        r = httpx.get(f"http://127.0.0.1:{port}/dossiers/HXSZ/03-2-1203?q=张伟", timeout=5)
    finally:
        proc.send_signal(signal.SIGINT)
        out = proc.communicate(timeout=30)[0]
    assert proc.returncode == 0, out
    assert f"docgen 网页端:http://127.0.0.1:{port}/" in out
    assert "还没有任何账号" in out  # no accounts yet: it says how to add one
    assert "网页端已停止" in out and "已中断" not in out
    assert "张伟" not in out and "03-2-1203" not in out  # the log names routes, not records or words
    assert "GET /dossiers/{project}/{unit} 303" in out


def test_serve_says_so_when_the_port_is_taken(workdir: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        proc = _serve(workdir, "--port", str(port))
        out = proc.communicate(timeout=60)[0]
    assert proc.returncode == 1 and "端口已被占用" in out and "Traceback" not in out


def test_demo_accounts_one_per_role_with_working_passwords(tmp_path: Path) -> None:
    archive = build_small_archive(tmp_path / "records")
    made = make_demo_accounts(archive)
    assert {a.role for a in made} == {r for r in ROLES if r != "operator"}
    assert len(made) == len(DEMO_ACCOUNTS) - 1  # the YHW-only account needs a YHW project
    store = UserStore(archive)
    for account in made:
        assert store.authenticate(account.name, account.password) is not None
    assert len({a.password for a in made}) == len(made)
    assert all(a.password not in (tmp_path / "records" / "users.json").read_text("utf-8") for a in made)
