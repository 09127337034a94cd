"""Which owners changed since the index last looked: the archive's change feed, ``journal.entries(since_seq)``.

The index remembers the journal position it reflects (the last entry's
sequence number and hash).  :meth:`~docgen.archive.journal.Journal.entries`
reads from that entry on without parsing what comes before it, so an update
after one filed document is fast however long the journal is.  If the saved
entry is not in the journal any more, or has another hash (the archive was
restored or rebuilt), the caller falls back to comparing content hashes of
every entry.  Any engine that keeps an index reads the archive this way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from docgen.archive.journal import Journal


@dataclass(frozen=True)
class JournalPosition:
    """A point in the journal: the last entry seen (its seq and hash; seq 0: none yet)."""

    seq: int = 0
    hash: str = ""

    def as_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {"seq": self.seq, "hash": self.hash}

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> JournalPosition:
        """Read the JSON form (missing -> the start of the journal; an ``offset`` saved by older versions is ignored)."""
        if not data:
            return cls()
        return cls(int(data.get("seq", 0)), str(data.get("hash", "")))


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


def scan(journal: Journal, since: JournalPosition) -> tuple[ChangeSet | None, JournalPosition]:
    """Return the owners changed after ``since`` (None: the journal no longer holds it) and the new end.

    None tells the caller to compare content hashes of everything instead.
    """
    entries = journal.entries(max(since.seq - 1, 0))
    if since.seq:
        seen = next(entries, None)
        if seen is None or seen.seq != since.seq or seen.hash != since.hash:
            return None, end_position(journal)
    changes = ChangeSet()
    end = since
    for entry in entries:
        changes.entries += 1
        for f in entry.files:
            owner, project = owner_of_path(str(f.get("path", "")))
            if owner:
                changes.owners.add(owner)
            if project:
                changes.projects.add(project)
        end = JournalPosition(entry.seq, entry.hash)
    return changes, end


def end_position(journal: Journal) -> JournalPosition:
    """The journal's current end: its last complete entry."""
    last = journal.last()
    return JournalPosition(int(last["seq"]), str(last.get("hash", ""))) if last else JournalPosition()


def pending(journal: Journal, since: JournalPosition) -> tuple[int, set[str]] | None:
    """How many journal entries, touching which owners, the index has not seen (None: mismatch)."""
    changes, _ = scan(journal, since)
    if changes is None:
        return None
    return changes.entries, changes.owners
