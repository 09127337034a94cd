"""A derived index of the journal: for every file, the last change that touched it.

Why it exists: every write must check that the file it is about to replace is
exactly what the journal last recorded (otherwise an edit made behind docgen's
back would be carried silently into the record, see ``txn.py``), and ids must
never be handed out twice even when ``counters.json`` is rolled back.  Both
questions ("what did the journal last say about this path?", "what is the
highest number ever issued for ``DOC-2026``?") would cost a read of the whole
journal per write; this index answers them with one SQLite lookup.

It lives in ``.docgen/journal-index.sqlite3`` (standard-library ``sqlite3``;
default rollback journal, so it also works where the archive sits on a network
share) and is **derived**: it can be deleted at any time and is rebuilt from
``journal.jsonl``.  It remembers the byte offset and hash of the last journal
line it has read; only a writer holding the archive's write lock brings it up
to date (:meth:`JournalIndex.sync`, incrementally from that offset, or by a
rebuild when the index is missing, unreadable, of another version, or the
journal no longer continues where it stopped).  Readers never write it: they
query it and overlay the few journal lines written since
(:meth:`JournalIndex.last_change`), so they always see the journal's truth.

Tables: ``files`` (path → last ``after`` hash and entry seq), ``entries`` (one
row per journal entry: seq, time, actor, action, target, summary, byte offset;
for "who changed this and when" and for journal filters) and ``counters``
(prefix-year → highest number issued).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

VERSION = "1"
# ids of the archive's own counters (``Transaction.next_id``), for entries older than ``detail.counters``
_ID_RE = re.compile(r"(?<![A-Z0-9-])(DOC|BX|TS|HF|HQ)-(\d{4})-(\d{3,9})(?![0-9])")

_SCHEMA = """
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE files(path TEXT PRIMARY KEY, after BLOB, seq INTEGER NOT NULL) WITHOUT ROWID;
CREATE INDEX files_after ON files(after);
CREATE TABLE entries(seq INTEGER PRIMARY KEY, ts TEXT NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL,
                     target TEXT NOT NULL, summary TEXT NOT NULL, offset INTEGER NOT NULL, length INTEGER NOT NULL);
CREATE INDEX entries_target ON entries(target);
CREATE INDEX entries_actor ON entries(actor);
CREATE INDEX entries_ts ON entries(ts);
CREATE TABLE counters(key TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
"""


@dataclass(frozen=True, slots=True)
class LastChange:
    """The last journal entry that touched a path: what it wrote (``after``), who, when, why."""

    path: str
    after: str | None  # sha256 hex, None when the entry deleted the file
    seq: int
    ts: str
    actor: str
    action: str
    target: str
    summary: str

    @property
    def when(self) -> str:
        """The time as people read it: ``2026-07-01 10:42``."""
        return self.ts.replace("T", " ")[:16]


@dataclass(frozen=True, slots=True)
class EntryInfo:
    """One journal entry as the index keeps it (without its files)."""

    seq: int
    ts: str
    actor: str
    action: str
    target: str
    summary: str
    offset: int
    length: int


def ids_in_entry(entry: dict[str, Any]) -> Iterator[tuple[str, int]]:
    """Yield (``PREFIX-YEAR``, number) for every id an entry issued or names.

    Entries written since ids are guarded carry ``detail.counters``; older ones
    are read from the documents they list and the ids in their summary, so an
    archive journaled before this index still never reuses an id it shows.
    """
    detail = entry.get("detail")
    if isinstance(detail, dict):
        counters = detail.get("counters")
        if isinstance(counters, dict):
            for key, value in counters.items():
                if isinstance(value, int) and not isinstance(value, bool):
                    yield str(key), value
        docs = detail.get("documents")
        if isinstance(docs, list):
            for doc_id in docs:
                if isinstance(doc_id, str) and (m := _ID_RE.fullmatch(doc_id)):
                    yield f"{m[1]}-{m[2]}", int(m[3])
    summary = entry.get("summary")
    if isinstance(summary, str):
        for m in _ID_RE.finditer(summary):
            yield f"{m[1]}-{m[2]}", int(m[3])


def _complete_lines(fh: Any, offset: int) -> Iterator[tuple[int, bytes]]:
    """Yield (start offset, line without newline) for each complete line from ``offset`` on."""
    fh.seek(offset)
    pos = offset
    for raw in fh:
        if not raw.endswith(b"\n"):
            return  # a torn tail: not an entry (the next append sets it aside)
        yield pos, raw[:-1]
        pos += len(raw)


def _parse(line: bytes) -> dict[str, Any] | None:
    """A journal line as an entry (None if it is not one)."""
    try:
        entry = json.loads(line)
        int(entry["seq"])
    except (ValueError, KeyError, TypeError):
        return None
    return entry if isinstance(entry, dict) else None


PERSIST_ENTRIES = 64
PERSIST_BYTES = 256 * 1024


def _change(path: str, after: Any, entry: dict[str, Any]) -> LastChange:
    return LastChange(
        path, after if isinstance(after, str) else None, int(entry.get("seq", 0)), str(entry.get("ts", "")),
        str(entry.get("actor", "")), str(entry.get("action", "")), str(entry.get("target", "")),
        str(entry.get("summary", "")),
    )


@dataclass
class _Pending:
    """Journal lines a writer has read past the index's stored offset (kept in memory until persisted)."""

    start: int  # the index's stored offset these lines continue from
    end: int  # offset after the last complete line read
    last_hash: str  # hash of the last entry read (the next line's ``prev``)
    changes: dict[str, LastChange] = field(default_factory=dict)
    ids: dict[str, int] = field(default_factory=dict)
    entries: int = 0
    nbytes: int = 0

    def add(self, pos: int, line: bytes, entry: dict[str, Any] | None) -> None:
        """Take one journal line (parsed: ``entry``, None if garbled) into account."""
        self.end = pos + len(line) + 1
        self.nbytes += len(line) + 1
        self.entries += 1
        if entry is None:
            return  # a garbled line: docgen verify reports it
        self.last_hash = str(entry.get("hash", ""))
        for f in entry.get("files") or []:
            if isinstance(f, dict) and isinstance(f.get("path"), str):
                self.changes[f["path"]] = _change(f["path"], f.get("after"), entry)
        for key, value in ids_in_entry(entry):
            if value > self.ids.get(key, 0):
                self.ids[key] = value


class JournalIndex:
    """The journal's derived index; :meth:`sync` under the write lock, query from anywhere."""

    def __init__(self, db_path: Path, journal_path: Path) -> None:
        self.db_path = Path(db_path)
        self.journal_path = Path(journal_path)
        self._conn: sqlite3.Connection | None = None
        self._pending: _Pending | None = None  # journal lines read but not yet written to SQLite
        self._inode = 0
        self._mutex = threading.Lock()  # a generator's worker thread commits transactions too

    # -- connection ----------------------------------------------------------------
    def _open(self) -> sqlite3.Connection:
        """The writer's connection (created, or recreated when unusable)."""
        if self._conn is not None:
            return self._conn
        self.db_path.parent.mkdir(parents=True, exist_ok=True)
        conn: sqlite3.Connection | None = None
        try:
            conn = self._connect(self.db_path)
            if self._meta(conn).get("version") != VERSION:
                raise sqlite3.DatabaseError("wrong version")
        except sqlite3.Error:  # missing, corrupt or from another version: it is derived, build it again
            if conn is not None:
                conn.close()
            self._rebuild()
            conn = self._connect(self.db_path)
        self._conn = conn
        self._inode = os.stat(self.db_path).st_ino
        return conn

    @staticmethod
    def _connect(path: Path, *, readonly: bool = False) -> sqlite3.Connection:
        if readonly:
            conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, isolation_level=None,
                                   check_same_thread=False)
        else:
            conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA synchronous=FULL")
        return conn

    @staticmethod
    def _meta(conn: sqlite3.Connection) -> dict[str, str]:
        return dict(conn.execute("SELECT key, value FROM meta").fetchall())

    def close(self) -> None:
        """Close the connection (it is reopened on next use)."""
        with self._mutex:
            self._drop_connection()

    # -- writing (under the archive's write lock) ---------------------------------------
    def sync(self) -> None:
        """Bring the index up to the journal's end: read only the lines since the last sync.

        Call only while holding the archive's write lock (every transaction does,
        right after repairing interrupted work).  New lines are kept in memory
        and written to SQLite only every ``PERSIST_ENTRIES`` entries (or
        ``PERSIST_BYTES``): a commit costs several fsyncs, more than the rest of
        a journaled update, and the lines are cheap to read again.  Rebuilds when
        the journal no longer continues where the index stopped.
        """
        with self._mutex:
            if self._conn is not None and self._replaced():
                self._drop_connection()  # another process rebuilt it: follow the new file
            conn = self._open()
            meta = self._meta(conn)
            offset, last_hash = int(meta.get("offset", "0")), meta.get("hash", "")
            if self._pending is None or self._pending.start != offset:  # first use, or another process persisted
                self._pending = _Pending(offset, offset, last_hash)
            pending = self._pending
            try:
                size = self.journal_path.stat().st_size
            except FileNotFoundError:
                size = 0
            if size == pending.end:
                return
            continues = size > pending.end
            if continues:
                with open(self.journal_path, "rb") as fh:
                    for pos, line in _complete_lines(fh, pending.end):
                        entry = _parse(line)
                        if pos == pending.end and pending.end and (entry is None or entry.get("prev") != pending.last_hash):
                            continues = False  # the journal no longer continues where the index stopped
                            break
                        pending.add(pos, line, entry)
            if not continues:
                self._drop_connection()
                self._rebuild()
                self._open()
                return
            if pending.entries >= PERSIST_ENTRIES or pending.nbytes >= PERSIST_BYTES:
                with open(self.journal_path, "rb") as fh:
                    self._apply(conn, _complete_lines(fh, pending.start))
                self._pending = _Pending(pending.end, pending.end, pending.last_hash)

    def rebuild(self) -> None:
        """Throw the index away and build it again from the whole journal (under the write lock)."""
        with self._mutex:
            self._drop_connection()
            self._rebuild()

    def _replaced(self) -> bool:
        try:
            return os.stat(self.db_path).st_ino != self._inode
        except FileNotFoundError:
            return True

    def _drop_connection(self) -> None:
        self._pending = None
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def _rebuild(self) -> None:
        """Build a fresh index in a temporary file and move it into place atomically."""
        tmp = self.db_path.with_name(f".{self.db_path.name}.{os.getpid()}.tmp")
        for suffix in ("", "-journal"):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(f"{tmp}{suffix}")
        self.db_path.parent.mkdir(parents=True, exist_ok=True)
        conn = self._connect(tmp)
        try:
            conn.execute("PRAGMA synchronous=OFF")  # nothing is visible until the rename below
            conn.executescript(_SCHEMA)
            conn.execute("INSERT INTO meta VALUES ('version', ?), ('offset', '0'), ('hash', ''), ('seq', '0')", (VERSION,))
            try:
                fh = open(self.journal_path, "rb")  # noqa: SIM115
            except FileNotFoundError:
                pass
            else:
                with fh:
                    self._apply(conn, _complete_lines(fh, 0))
        finally:
            conn.close()
        os.replace(tmp, self.db_path)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(f"{self.db_path}-journal")  # a hot journal of the replaced file must not be applied to the new one

    @staticmethod
    def _apply(conn: sqlite3.Connection, lines: Iterable[tuple[int, bytes]]) -> None:
        """Index journal lines in one SQLite transaction (all or nothing, with the new offset)."""
        conn.execute("BEGIN IMMEDIATE")
        try:
            end = None
            seq = last_hash = None
            for pos, line in lines:
                end = pos + len(line) + 1
                try:
                    entry = json.loads(line)
                    seq = int(entry["seq"])
                except (ValueError, KeyError, TypeError):
                    continue  # a garbled line: docgen verify reports it; it tells us nothing
                last_hash = str(entry.get("hash", ""))
                conn.execute(
                    "INSERT OR REPLACE INTO entries VALUES (?,?,?,?,?,?,?,?)",
                    (seq, str(entry.get("ts", "")), str(entry.get("actor", "")), str(entry.get("action", "")),
                     str(entry.get("target", "")), str(entry.get("summary", "")), pos, len(line) + 1),
                )
                files = entry.get("files")
                rows = [
                    (f["path"], bytes.fromhex(f["after"]) if isinstance(f.get("after"), str) else None, seq)
                    for f in (files if isinstance(files, list) else [])
                    if isinstance(f, dict) and isinstance(f.get("path"), str)
                ]
                if rows:
                    conn.executemany("INSERT OR REPLACE INTO files VALUES (?,?,?)", rows)
                for key, value in ids_in_entry(entry):
                    conn.execute(
                        "INSERT INTO counters VALUES (?,?) ON CONFLICT(key) DO UPDATE SET value=max(value, excluded.value)",
                        (key, value),
                    )
            if end is not None:
                conn.execute("UPDATE meta SET value=? WHERE key='offset'", (str(end),))
            if seq is not None:
                conn.execute("UPDATE meta SET value=? WHERE key='hash'", (last_hash or "",))
                conn.execute("UPDATE meta SET value=? WHERE key='seq'", (str(seq),))
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    # -- reading (from anywhere) -------------------------------------------------------
    @contextlib.contextmanager
    def _reader(self) -> Iterator[tuple[sqlite3.Connection | None, int]]:
        """A connection to query (None if there is no usable index) and the journal offset it reflects."""
        if self._conn is not None:
            with self._mutex:
                yield self._conn, int(self._meta(self._conn).get("offset", "0"))
            return
        conn = None
        offset = 0
        if self.db_path.is_file():
            try:
                conn = self._connect(self.db_path, readonly=True)
                meta = self._meta(conn)
                if meta.get("version") != VERSION:
                    raise sqlite3.DatabaseError("wrong version")
                offset = int(meta.get("offset", "0"))
            except sqlite3.Error:
                if conn is not None:
                    conn.close()
                conn, offset = None, 0
        try:
            yield conn, offset
        finally:
            if conn is not None:
                conn.close()

    def _tail(self, offset: int) -> Iterator[tuple[int, int, dict[str, Any]]]:
        """(offset, length, entry) of each journal line from ``offset`` on (the lines the index has not read yet)."""
        try:
            fh = open(self.journal_path, "rb")  # noqa: SIM115
        except FileNotFoundError:
            return
        with fh:
            if os.fstat(fh.fileno()).st_size <= offset:
                return
            for pos, line in _complete_lines(fh, offset):
                try:
                    entry = json.loads(line)
                except ValueError:
                    continue
                if isinstance(entry, dict):
                    yield pos, len(line) + 1, entry

    # -- the writer's view (under the write lock, right after sync) ------------------------
    _LAST_SQL = (
        "SELECT f.after, f.seq, e.ts, e.actor, e.action, e.target, e.summary"
        " FROM files f LEFT JOIN entries e ON e.seq = f.seq WHERE f.path = ?"
    )

    @staticmethod
    def _row_change(path: str, row: tuple[Any, ...]) -> LastChange:
        after = row[0].hex() if row[0] is not None else None
        return LastChange(path, after, row[1], row[2] or "", row[3] or "", row[4] or "", row[5] or "", row[6] or "")

    def recorded(self, path: str) -> LastChange | None:
        """:meth:`last_change` for a writer: one query, no look at the journal.

        Valid only under the archive's write lock after :meth:`sync` (every
        transaction syncs first), when nothing can have been journaled since.
        """
        with self._mutex:
            if self._pending is not None and path in self._pending.changes:
                return self._pending.changes[path]
            row = self._open().execute(self._LAST_SQL, (path,)).fetchone()
        return self._row_change(path, row) if row is not None else None

    def recorded_after(self, path: str) -> str | None:
        """The hash the journal last wrote for ``path`` (None: deleted or never journaled); writer only, like :meth:`recorded`.

        The per-file check of every write: a single-table lookup, without the
        entry's details (fetch those with :meth:`recorded` when they differ).
        """
        with self._mutex:
            if self._pending is not None and path in self._pending.changes:
                return self._pending.changes[path].after
            row = self._open().execute("SELECT after FROM files WHERE path = ?", (path,)).fetchone()
        return row[0].hex() if row is not None and row[0] is not None else None

    def recorded_highest_id(self, key: str) -> int:
        """:meth:`highest_id` for a writer (under the lock, after :meth:`sync`)."""
        with self._mutex:
            row = self._open().execute("SELECT value FROM counters WHERE key = ?", (key,)).fetchone()
            pending = self._pending.ids.get(key, 0) if self._pending is not None else 0
        return max(int(row[0]) if row else 0, pending)

    def paths_with(self, after: str) -> list[str]:
        """Paths whose last journaled content has this sha256 (where an identical copy should be)."""
        with self._reader() as (conn, offset):
            found: dict[str, None] = {}
            if conn is not None:
                rows = conn.execute("SELECT path FROM files WHERE after = ? LIMIT 50", (bytes.fromhex(after),))
                found = dict.fromkeys(r[0] for r in rows)
            for _pos, _len, entry in self._tail(offset):
                for f in entry.get("files") or []:
                    if isinstance(f, dict) and isinstance(f.get("path"), str):
                        if f.get("after") == after:
                            found[f["path"]] = None
                        else:
                            found.pop(f["path"], None)
        return list(found)

    # -- readers ----------------------------------------------------------------------------
    def last_changes(self, paths: Iterable[str]) -> dict[str, LastChange]:
        """The last change of each path the journal knows (paths it never saw are left out)."""
        wanted = list(dict.fromkeys(paths))
        out: dict[str, LastChange] = {}
        with self._reader() as (conn, offset):
            if conn is not None:
                for path in wanted:
                    row = conn.execute(self._LAST_SQL, (path,)).fetchone()
                    if row is not None:
                        out[path] = self._row_change(path, row)
            want = set(wanted)
            for _pos, _len, entry in self._tail(offset):
                for f in entry.get("files") or []:
                    if isinstance(f, dict) and f.get("path") in want:
                        out[f["path"]] = _change(f["path"], f.get("after"), entry)
        return out

    def last_change(self, path: str) -> LastChange | None:
        """The last journal entry that touched ``path`` (None if the journal never did).

        Answers "who last changed this record, and when" for refusal messages
        and for optimistic-concurrency checks (``该记录已被 张三 于 10:42 修改``).
        """
        return self.last_changes([path]).get(path)

    def highest_id(self, key: str) -> int:
        """The highest number the journal shows issued for ``PREFIX-YEAR`` (0 if none)."""
        best = 0
        with self._reader() as (conn, offset):
            if conn is not None:
                row = conn.execute("SELECT value FROM counters WHERE key = ?", (key,)).fetchone()
                best = int(row[0]) if row else 0
            for _pos, _len, entry in self._tail(offset):
                for k, value in ids_in_entry(entry):
                    if k == key and value > best:
                        best = value
        return best

    def entries(
        self,
        *,
        target: str | None = None,
        actor: str | None = None,
        action: str | None = None,
        since: str | None = None,
        until: str | None = None,
        limit: int = 100,
    ) -> list[EntryInfo]:
        """The newest journal entries matching the filters, newest first (for journal views).

        ``target`` matches a target and everything under it (``HXSZ`` also finds
        ``HXSZ/03-2-1203``); ``since``/``until`` compare ISO times as text.
        Entries written since the last :meth:`sync` are included.
        """
        def keep(e: EntryInfo) -> bool:
            return (
                (target is None or e.target == target or e.target.startswith(target.rstrip("/") + "/"))
                and (actor is None or e.actor == actor)
                and (action is None or e.action == action)
                and (since is None or e.ts >= since)
                and (until is None or e.ts <= until)
            )

        found: list[EntryInfo] = []
        with self._reader() as (conn, offset):
            for pos, length, entry in self._tail(offset):
                info = EntryInfo(int(entry.get("seq", 0)), str(entry.get("ts", "")), str(entry.get("actor", "")),
                                 str(entry.get("action", "")), str(entry.get("target", "")),
                                 str(entry.get("summary", "")), pos, length)
                if keep(info):
                    found.append(info)
            found.reverse()
            if conn is not None and len(found) < limit:
                clauses, args = [], []
                if target is not None:
                    clauses.append("(target = ? OR substr(target, 1, ?) = ?)")
                    prefix = target.rstrip("/") + "/"
                    args += [target, len(prefix), prefix]
                for column, value in (("actor", actor), ("action", action)):
                    if value is not None:
                        clauses.append(f"{column} = ?")
                        args.append(value)
                if since is not None:
                    clauses.append("ts >= ?")
                    args.append(since)
                if until is not None:
                    clauses.append("ts <= ?")
                    args.append(until)
                where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
                rows = conn.execute(f"SELECT * FROM entries {where} ORDER BY seq DESC LIMIT ?", (*args, limit - len(found)))
                found += [EntryInfo(*row) for row in rows]
        return found[:limit]
