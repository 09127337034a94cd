"""Which owners changed since the index last looked: read the archive's journal from a saved position.

The index remembers the journal position it reflects (sequence number, that
entry's hash and the byte offset after its line).  Reading from that offset
costs only the new lines, so an update after one filed document is fast however
long the journal is.  If the saved entry is not where it was (the archive was
restored or rebuilt), the whole journal is searched for it; if it is gone or
its hash differs, the caller falls back to comparing content hashes of every
entry.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class JournalPosition:
    """A point in the journal: the last entry seen (seq, hash) and the byte offset after its line."""

    seq: int = 0
    hash: str = ""
    offset: int = 0

    def as_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {"seq": self.seq, "hash": self.hash, "offset": self.offset}

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> JournalPosition:
        """Read the JSON form (missing -> the start of the journal)."""
        if not data:
            return cls()
        return cls(int(data.get("seq", 0)), str(data.get("hash", "")), int(data.get("offset", 0)))


@dataclass
class ChangeSet:
    """Owners touched by journal entries: dossier keys and project codes; projects whose record changed."""

    owners: set[str] = field(default_factory=set)
    projects: set[str] = field(default_factory=set)
    entries: int = 0


def owner_of_path(rel: str) -> tuple[str | None, str | None]:
    """Map an archive-relative path to (owner key, project whose record changed)."""
    parts = rel.split("/")
    if len(parts) < 3 or parts[0] != "projects":
        return None, None
    project = parts[1]
    if parts[2] == "project.json":
        return project, project
    if parts[2] == "documents":
        return project, None
    if parts[2] == "dossiers" and len(parts) >= 4:
        return f"{project}/{parts[3]}", None
    return None, None


def _complete_lines(data: bytes, base: int) -> list[tuple[dict[str, Any], int]]:
    """Parse complete lines of ``data`` (starting at file offset ``base``): (entry, offset after it)."""
    out: list[tuple[dict[str, Any], int]] = []
    pos = 0
    while True:
        nl = data.find(b"\n", pos)
        if nl < 0:
            break
        line = data[pos:nl]
        if line.strip():
            out.append((json.loads(line), base + nl + 1))
        pos = nl + 1
    return out


def _line_before(path: Path, offset: int) -> dict[str, Any] | None:
    if offset <= 0:
        return None
    with open(path, "rb") as fh:
        start = max(0, offset - 65536)
        fh.seek(start)
        chunk = fh.read(offset - start)
    if not chunk.endswith(b"\n"):
        return None
    body = chunk[:-1]
    cut = body.rfind(b"\n")
    if cut < 0 and start > 0:
        return None
    try:
        data: dict[str, Any] = json.loads(body[cut + 1 :])
    except ValueError:
        return None
    return data


def scan(path: Path, since: JournalPosition) -> tuple[ChangeSet | None, JournalPosition]:
    """Return the owners changed after ``since`` (None: the journal no longer matches) and the new end.

    None tells the caller to compare content hashes of everything instead.
    """
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        return (ChangeSet() if since.seq == 0 else None), JournalPosition()
    start: int | None = None
    if since.seq == 0:
        start = 0
    elif since.offset <= size:
        before = _line_before(path, since.offset)
        if before and int(before.get("seq", -1)) == since.seq and before.get("hash") == since.hash:
            start = since.offset
    lines: list[tuple[dict[str, Any], int]]
    if start is None:
        data = path.read_bytes()
        everything = _complete_lines(data, 0)
        found = next((i for i, (e, _) in enumerate(everything) if int(e.get("seq", -1)) == since.seq), None)
        end = JournalPosition(*_last(everything))
        if found is None or everything[found][0].get("hash") != since.hash:
            return None, end
        lines = everything[found + 1 :]
    else:
        with open(path, "rb") as fh:
            fh.seek(start)
            lines = _complete_lines(fh.read(), start)
        if not lines:
            return ChangeSet(), since
        end = JournalPosition(*_last(lines))
    changes = ChangeSet(entries=len(lines))
    for entry, _ in lines:
        for f in entry.get("files", []):
            owner, project = owner_of_path(str(f.get("path", "")))
            if owner:
                changes.owners.add(owner)
            if project:
                changes.projects.add(project)
    return changes, end


def _last(lines: list[tuple[dict[str, Any], int]]) -> tuple[int, str, int]:
    if not lines:
        return 0, "", 0
    entry, offset = lines[-1]
    return int(entry["seq"]), str(entry.get("hash", "")), offset


def end_position(path: Path) -> JournalPosition:
    """The journal's current end: its last complete entry and the offset after it."""
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        return JournalPosition()
    window = 65536
    with open(path, "rb") as fh:
        while True:
            start = max(0, size - window)
            fh.seek(start)
            chunk = fh.read(size - start)
            cut = chunk.rfind(b"\n")
            if cut < 0:
                if start == 0:
                    return JournalPosition()
                window *= 4
                continue
            prev = chunk.rfind(b"\n", 0, cut)
            if prev < 0 and start > 0:
                window *= 4
                continue
            entry = json.loads(chunk[prev + 1 : cut])
            return JournalPosition(int(entry["seq"]), str(entry.get("hash", "")), start + cut + 1)


def pending(path: Path, since: JournalPosition) -> tuple[int, set[str]] | None:
    """How many journal entries, touching which owners, the index has not seen (None: mismatch)."""
    changes, _ = scan(path, since)
    if changes is None:
        return None
    return changes.entries, changes.owners
