"""A real Redis for tests, and real ``docgen worker`` processes on it.

Each test starts its own ``redis-server`` bound to 127.0.0.1 on a free port,
with its data in a temporary folder and no persistence, and kills it at the
end even when the test fails.  Workers are started as ``python -m docgen
worker`` in their own process group, so a test can SIGKILL a pool process or
a whole worker (parent and children) and the fixture can always end them.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"


def free_port() -> int:
    """A TCP port nobody listens on at 127.0.0.1 now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Broker:
    """One redis-server of a test: stop it, start it again on the same port (its data gone: no persistence)."""

    folder: Path
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        exe = shutil.which("redis-server")
        assert exe is not None
        self.proc = subprocess.Popen(
            [exe, "--bind", "127.0.0.1", "--port", str(self.port), "--dir", str(self.folder), "--save", "",
             "--appendonly", "no", "--daemonize", "no", "--protected-mode", "yes",
             "--logfile", str(self.folder / "redis.log")],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as s:
                s.sendall(b"PING\r\n")
                if s.recv(16).startswith(b"+PONG"):
                    return
            time.sleep(0.05)
        raise RuntimeError(f"redis-server did not start on port {self.port}")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        self.proc = None

    def client(self):  # type: ignore[no-untyped-def]
        import redis

        return redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=5)


@pytest.fixture
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Broker]:
    """A running redis-server of this test only (skipped where redis-server is not installed: setup.sh installs it)."""
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server 未安装(./setup.sh 以 root 运行时用 apt 安装)")
    b = Broker(tmp_path_factory.mktemp("redis"))
    b.start()
    try:
        yield b
    finally:
        b.stop()


@dataclass
class WorkerProc:
    """A ``docgen worker`` process (its own process group)."""

    name: str
    proc: subprocess.Popen[bytes]
    log: Path

    def children(self) -> list[int]:
        """Pids of its pool processes."""
        import psutil

        with contextlib.suppress(psutil.Error):
            return [c.pid for c in psutil.Process(self.proc.pid).children(recursive=True)]
        return []

    def kill_all(self) -> None:
        """SIGKILL the whole worker: parent and pool processes at once (a machine gone)."""
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(10)

    def output(self) -> str:
        return self.log.read_text("utf-8", errors="replace") if self.log.exists() else ""


@pytest.fixture
def start_worker(tmp_path_factory: pytest.TempPathFactory) -> Iterator:  # type: ignore[type-arg]
    """Start ``docgen worker`` processes on a broker; every one is killed (with its group) at the end."""
    started: list[WorkerProc] = []
    logs = tmp_path_factory.mktemp("workers")

    def start(broker: Broker, name: str, processes: int = 1, *, wait: bool = True) -> WorkerProc:
        log = logs / f"{name}.log"
        env = {**os.environ, "PYTHONPATH": str(SRC), "PYTHONUNBUFFERED": "1"}
        with open(log, "wb") as out:
            proc = subprocess.Popen(
                [sys.executable, "-m", "docgen", "worker", "--broker", broker.url, "--name", name,
                 "--processes", str(processes)],
                stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True, cwd=logs,
            )
        w = WorkerProc(name, proc, log)
        started.append(w)
        if wait:
            client = broker.client()
            deadline = time.monotonic() + 60
            while not any(k.decode().startswith(f"docgen:worker:docgen-{name}@") and not k.decode().endswith(":totals")
                          for k in client.scan_iter(match="docgen:worker:*")):
                assert proc.poll() is None, w.output()
                assert time.monotonic() < deadline, f"worker {name} did not start:\n{w.output()}"
                time.sleep(0.1)
        return w

    try:
        yield start
    finally:
        for w in started:
            w.kill_all()
