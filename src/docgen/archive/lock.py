"""The archive's write lock: one writer at a time across processes, readers never block.

``filelock`` gives a portable advisory lock (fcntl on Linux, msvcrt on
Windows, where the department's PCs may well mount the archive).  Beside the
lock we write who holds it (user, host, pid, command, since), so that a
writer who gives up after the timeout can say *who* is in the way, instead of
the empty message whoosh and filelock give.

Threads: a web server runs many requests on one :class:`~docgen.archive.Archive`.
A file lock alone is a per-process lock, so the nesting depth is kept per
thread and a process-wide ``threading.Lock`` is taken before the file lock:
a second thread waits (up to the timeout) instead of being told that
transactions cannot nest, and only one thread at a time ever touches the
file lock.
"""

from __future__ import annotations

import contextlib
import getpass
import json
import os
import socket
import sys
import threading
import time
from pathlib import Path
from typing import Any

from filelock import FileLock
from filelock import Timeout as _FileLockTimeout

from docgen.errors import LockTimeout


def _holder_info() -> dict[str, Any]:
    try:
        user = getpass.getuser()
    except Exception:
        user = "unknown"
    return {
        "user": user,
        "host": socket.gethostname(),
        "pid": os.getpid(),
        "command": " ".join(Path(a).name if i == 0 else a for i, a in enumerate(sys.argv))[:200],
        "since": time.strftime("%Y-%m-%d %H:%M:%S"),
    }


class WriteLock:
    """A re-entrant, cross-process lock on an archive, with its holder recorded beside it."""

    def __init__(self, lock_path: Path, timeout: float) -> None:
        self.path = lock_path
        self.info_path = lock_path.with_name(lock_path.name + ".holder.json")
        self.timeout = timeout
        self._lock = FileLock(str(lock_path), thread_local=False)
        self._threads = threading.Lock()  # one thread of this process at a time holds the file lock
        self._local = threading.local()

    @property
    def _depth(self) -> int:
        return int(getattr(self._local, "depth", 0))

    @_depth.setter
    def _depth(self, value: int) -> None:
        self._local.depth = value

    @property
    def held(self) -> bool:
        """True while the calling thread holds the lock."""
        return self._depth > 0

    def acquire(self, timeout: float | None = None) -> bool:
        """Take the lock; return True when this call took it first (not re-entered).

        Raises LockTimeout naming the holder when it cannot be had in time.
        """
        if self._depth > 0:
            self._depth += 1
            return False
        self.path.parent.mkdir(parents=True, exist_ok=True)
        wait = self.timeout if timeout is None else timeout
        started = time.monotonic()
        if not self._threads.acquire(timeout=wait if wait >= 0 else -1):
            raise LockTimeout(self._describe_holder(wait), brief=self._brief(wait))
        try:
            left = wait - (time.monotonic() - started) if wait >= 0 else wait
            self._lock.acquire(timeout=max(0.0, left) if wait >= 0 else -1)
        except _FileLockTimeout as exc:
            self._threads.release()
            raise LockTimeout(self._describe_holder(wait), brief=self._brief(wait)) from exc
        except BaseException:
            self._threads.release()
            raise
        self._depth = 1
        with contextlib.suppress(OSError):
            self.info_path.write_text(json.dumps(_holder_info(), ensure_ascii=False), "utf-8")
        return True

    def release(self) -> None:
        """Release one level of the lock; the last release frees it for other processes."""
        if self._depth == 0:
            return
        self._depth -= 1
        if self._depth == 0:
            with contextlib.suppress(OSError):
                self.info_path.unlink()
            try:
                self._lock.release()
            finally:
                self._threads.release()

    def _brief(self, waited: float) -> str:
        """The message for a browser (:attr:`LockTimeout.brief`): what happened and what to do, no holder details."""
        return f"档案库正被另一个进程写入,已等待 {waited:g} 秒;请稍后再试(一直如此时请联系系统管理员)"

    def _describe_holder(self, waited: float) -> str:
        try:
            info = json.loads(self.info_path.read_text("utf-8"))
        except (OSError, ValueError):
            return f"档案库正被另一个进程写入,已等待 {waited:g} 秒;无法得知占用者(锁文件 {self.path})"
        return (
            f"档案库正被另一个进程写入,已等待 {waited:g} 秒:"
            f"用户 {info.get('user')} 在 {info.get('host')} 上自 {info.get('since')} 起运行"
            f" `{info.get('command')}`(进程号 {info.get('pid')})。请稍后再试,"
            f"或确认该进程已退出(锁文件 {self.path})"
        )

    def __enter__(self) -> WriteLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
