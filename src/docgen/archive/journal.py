"""The journal: an append-only, hash-chained log of every change to the archive.

One JSON object per line (``journal.jsonl`` at the archive root).  Each entry
records who changed what and when, with the sha256 of every file before and
after, and carries ``prev`` (the previous entry's hash) and ``hash`` (sha256
of its own canonical JSON without ``hash``).  Editing, inserting or deleting a
line breaks the chain at that point, which :meth:`Journal.verify` reports.

Appends happen only under the archive's write lock and end with fsync.  A
line cut short by a crash is the only damage a crash can do; it is detected,
and the next append first moves such a torn tail aside (to
``journal.torn-<time>``) so nothing is ever silently dropped.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from docgen.errors import IntegrityError

GENESIS = "0" * 64


def _canonical(entry: dict[str, Any]) -> bytes:
    body = {k: v for k, v in entry.items() if k != "hash"}
    return json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


_LINE_SEQ = re.compile(rb'\{"seq":(\d+),')
_FIRST_BLOCK = 4096


def _offset_after(fh: BinaryIO, since_seq: int) -> int:
    """The byte offset just after the line of entry ``since_seq`` (or of the last entry before it).

    Reads backwards from the end, a block at a time (4 KB, then each block
    four times the last), and looks only at each line's leading
    ``{"seq":N,`` (as :meth:`Journal.append` writes it).  Any offset at or
    before the right one is correct, because the caller skips entries up to
    ``since_seq`` anyway; so when unsure (the start of the file, a line
    written otherwise) it says 0, which costs a full read and nothing else.
    """
    pos = fh.seek(0, os.SEEK_END)
    carry = b""  # the end of a line that starts before the block being read
    block = _FIRST_BLOCK
    while pos > 0:
        start = max(0, pos - block)
        block *= 4
        fh.seek(start)
        data = fh.read(pos - start) + carry
        first = 0 if start == 0 else data.find(b"\n") + 1  # where the first whole line begins
        if start > 0 and first == 0:  # no line break in the block: part of one long line
            carry, pos = data, start
            continue
        end = len(data)  # lines are examined from the last one back
        while end > first:
            begin = data.rfind(b"\n", first, end - 1) + 1 or first
            m = _LINE_SEQ.match(data, begin)
            if m is None:
                return 0  # not a line as append() writes it: read from the start
            if int(m[1]) <= since_seq:
                nl = data.find(b"\n", begin)
                return start + nl + 1 if nl >= 0 else 0
            end = begin
        carry, pos = data[:first], start
    return 0


def entry_hash(entry: dict[str, Any]) -> str:
    """Return the hash an entry must carry: sha256 of its canonical JSON without ``hash``."""
    return hashlib.sha256(_canonical(entry)).hexdigest()


@dataclass(slots=True)
class FileChange:
    """One file touched by a change: its archive-relative path and hash before and after."""

    path: str
    before: str | None
    after: str | None

    def as_dict(self) -> dict[str, Any]:
        """Return the JSON form."""
        return {"path": self.path, "before": self.before, "after": self.after}


@dataclass(slots=True)
class JournalProblem:
    """A break in the journal: which line and what is wrong."""

    line: int
    message: str


@dataclass(slots=True)
class JournalEntry:
    """One journal line, parsed."""

    seq: int
    ts: str
    actor: str
    action: str
    target: str
    summary: str
    txn: str
    files: list[dict[str, Any]] = field(default_factory=list)
    detail: dict[str, Any] = field(default_factory=dict)
    prev: str = GENESIS
    hash: str = ""

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> JournalEntry:
        """Build an entry from its JSON object."""
        return cls(
            seq=int(data["seq"]),
            ts=str(data["ts"]),
            actor=str(data.get("actor", "")),
            action=str(data["action"]),
            target=str(data.get("target", "")),
            summary=str(data.get("summary", "")),
            txn=str(data.get("txn", "")),
            files=list(data.get("files", [])),
            detail=dict(data.get("detail", {})),
            prev=str(data.get("prev", GENESIS)),
            hash=str(data.get("hash", "")),
        )


class Journal:
    """Reader and appender of ``journal.jsonl``; append only while holding the write lock."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def _tail(self) -> tuple[dict[str, Any] | None, int]:
        """Return the last complete entry and the byte offset where a torn tail begins (or -1)."""
        try:
            size = self.path.stat().st_size
        except FileNotFoundError:
            return None, -1
        if size == 0:
            return None, -1
        with open(self.path, "rb") as fh:
            window = 4096
            while True:
                start = max(0, size - window)
                fh.seek(start)
                chunk = fh.read(size - start)
                torn = -1
                body = chunk
                if not body.endswith(b"\n"):
                    cut = body.rfind(b"\n")
                    torn = start + cut + 1 if cut >= 0 else start
                    if cut < 0 and start == 0:
                        return None, 0
                    body = body[: cut + 1] if cut >= 0 else b""
                lines = body.rstrip(b"\n").split(b"\n")
                if len(lines) >= 2 or start == 0:
                    last = lines[-1] if lines and lines[-1] else None
                    if last is None:
                        return None, torn
                    try:
                        return json.loads(last), torn
                    except ValueError as exc:
                        raise IntegrityError(f"日志 {self.path} 最后一行无法解析,请运行 docgen verify") from exc
                window *= 4

    def last(self) -> dict[str, Any] | None:
        """Return the last complete entry, or None for an empty journal."""
        return self._tail()[0]

    def append(
        self,
        *,
        actor: str,
        action: str,
        target: str,
        summary: str,
        txn: str,
        files: list[FileChange],
        detail: dict[str, Any] | None = None,
        now: dt.datetime | None = None,
    ) -> JournalEntry:
        """Append one chained entry and fsync it; the caller holds the write lock."""
        last, torn = self._tail()
        if torn >= 0:
            self._set_aside_torn_tail(torn)
        entry: dict[str, Any] = {
            "seq": (int(last["seq"]) + 1) if last else 1,
            "ts": (now or dt.datetime.now().astimezone()).isoformat(timespec="seconds"),
            "actor": actor,
            "action": action,
            "target": target,
            "summary": summary,
            "txn": txn,
            "files": [f.as_dict() for f in files],
            "detail": detail or {},
            "prev": last["hash"] if last else GENESIS,
        }
        entry["hash"] = entry_hash(entry)
        line = json.dumps(entry, ensure_ascii=False, separators=(",", ":")).encode("utf-8") + b"\n"
        with open(self.path, "ab") as fh:
            fh.write(line)
            fh.flush()
            os.fsync(fh.fileno())
        return JournalEntry.from_dict(entry)

    def _set_aside_torn_tail(self, offset: int) -> None:
        with open(self.path, "rb+") as fh:
            fh.seek(offset)
            torn = fh.read()
            stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
            (self.path.parent / f"journal.torn-{stamp}").write_bytes(torn)
            fh.truncate(offset)
            fh.flush()
            os.fsync(fh.fileno())

    def entries(self, since_seq: int = 0) -> Iterator[JournalEntry]:
        """Yield the entries with ``seq > since_seq`` in order (a torn last line is skipped).

        This is the archive's change feed (the search index reads what changed
        since the entry it last saw), so it must not cost the whole journal:
        lines are in ``seq`` order and each starts with its ``seq``, so reading
        starts at the line after ``since_seq``, found by reading backwards from
        the end a block at a time without parsing the lines before it.
        """
        if not self.path.exists():
            return
        with open(self.path, "rb") as fh:
            if since_seq > 0:
                fh.seek(_offset_after(fh, since_seq))
            for raw in fh:
                if not raw.endswith(b"\n"):
                    break
                data = json.loads(raw)
                if int(data["seq"]) > since_seq:
                    yield JournalEntry.from_dict(data)

    def verify(self) -> list[JournalProblem]:
        """Check the whole chain; return every break found (an empty list means intact)."""
        problems: list[JournalProblem] = []
        prev = GENESIS
        expected_seq = 1
        if not self.path.exists():
            return problems
        with open(self.path, "rb") as fh:
            for lineno, raw in enumerate(fh, start=1):
                if not raw.endswith(b"\n"):
                    problems.append(JournalProblem(lineno, "最后一行不完整(写入时被中断)"))
                    break
                try:
                    data = json.loads(raw)
                except ValueError:
                    problems.append(JournalProblem(lineno, "不是有效的 JSON,日志行被改动或损坏"))
                    prev = ""
                    expected_seq += 1
                    continue
                if data.get("hash") != entry_hash(data):
                    problems.append(JournalProblem(lineno, f"第 {data.get('seq')} 条的内容与其哈希不符,日志被改动"))
                if prev and data.get("prev") != prev:
                    problems.append(JournalProblem(lineno, f"第 {data.get('seq')} 条未接续上一条的哈希,日志有删除、插入或改动"))
                if data.get("seq") != expected_seq:
                    problems.append(JournalProblem(lineno, f"序号应为 {expected_seq},实为 {data.get('seq')}"))
                prev = str(data.get("hash", ""))
                expected_seq = int(data.get("seq", expected_seq)) + 1
        return problems
