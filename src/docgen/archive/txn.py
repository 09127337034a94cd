"""Multi-file transactions with roll-forward recovery.

A change that touches several files (a scanned PDF, its extracted text and the
dossier that lists it) must land whole or not at all.  A transaction:

1. stages every new file under ``.docgen/txn/<id>/`` and fsyncs it;
2. writes ``manifest.json`` there, atomically: **the commit point**;
3. moves each staged file over its target (``os.replace``) and deletes what
   is to be deleted;
4. appends the journal entry;
5. removes the staging folder.

A process killed before step 2 leaves a folder without a manifest: the
transaction never happened and the folder is discarded.  Killed after step 2,
the next writer (every writer, on taking the lock) rolls it forward: replaces
what is still staged and appends the journal entry unless the journal's last
line already is this transaction.  Either way the archive stays readable and
the journal's chain verifies.

Before staging a write or a delete, the transaction checks that the file is
what the journal last recorded (``reconcile.check_unchanged``, one lookup in
the journal index): a file changed outside docgen is never overwritten, which
would carry the unrecorded change into the record as if docgen had made it.
The check sees the journal as recovery left it (recovery runs first, under the
same lock), so a rolled-forward transaction's files count as journaled.

Ids from :meth:`Transaction.next_id` are above both ``counters.json`` and the
highest number the journal shows issued (``detail.counters`` of each entry), so
an id is never handed out twice even when ``counters.json`` was rolled back.

A *bulk* transaction (thousands of files, e.g. building the sample archive)
skips the per-file fsync of steps 1 and 3 and instead flushes the whole file
system once (``sync(2)``) before writing the manifest and once before the
journal entry: the same guarantees, with two flushes instead of one per file.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from docgen.archive.fsutil import (
    atomic_write,
    copy_fsync,
    fsync_dir,
    sha256_bytes,
    sha256_file,
    sync_all,
    write_fsync,
)
from docgen.archive.journal import FileChange, Journal, JournalEntry
from docgen.errors import ConflictError, DocgenError

if TYPE_CHECKING:
    from docgen.archive.store import Archive

CommitListener = Callable[[JournalEntry], None]


def _failpoint(name: str) -> None:
    """Die here, like a power cut, when ``DOCGEN_FAILPOINT`` names this point (crash tests only)."""
    if os.environ.get("DOCGEN_FAILPOINT") == name:
        os._exit(137)


class Transaction:
    """A set of file writes and deletes that land together, journaled as one entry."""

    def __init__(self, archive: Archive, action: str, target: str, summary: str, *, bulk: bool = False) -> None:
        self.archive = archive
        self.bulk = bulk and hasattr(os, "sync")
        self.action = action
        self.target = target
        self.summary = summary
        self.detail: dict[str, Any] = {}
        self.id = uuid.uuid4().hex[:16]
        self.dir = archive.layout.txn_dir / self.id
        self._ops: list[dict[str, Any]] = []
        self._targets: dict[str, int] = {}
        self._counters: dict[str, int] | None = None
        self._issued: dict[str, int] = {}
        self.entry: JournalEntry | None = None
        self.after_commit: list[Callable[[], None]] = []
        self._dir_made = False

    # -- staging -----------------------------------------------------------
    def _stage_name(self) -> Path:
        if not self._dir_made:
            self.dir.mkdir(parents=True, exist_ok=True)
            self._dir_made = True
        return self.dir / f"{len(self._ops):05d}"

    def _add(self, op: dict[str, Any]) -> None:
        rel = op["path"]
        if rel in self._targets:  # a later write to the same file replaces the earlier one
            old = self._ops[self._targets[rel]]
            if old.get("staged"):
                with contextlib.suppress(OSError):
                    (self.dir / old["staged"]).unlink()
            op["before"] = old["before"]
            self._ops[self._targets[rel]] = op
            return
        self._targets[rel] = len(self._ops)
        self._ops.append(op)

    def _before(self, rel: str, path: Path | None = None) -> str | None:
        """The file's hash now, after checking it is what the journal last recorded (see the module doc)."""
        from docgen.archive.reconcile import check_unchanged

        path = path if path is not None else self.archive.path(rel)
        digest = sha256_file(path) if path.is_file() else None
        check_unchanged(self.archive, rel, digest)
        return digest

    def put_bytes(self, rel: str, data: bytes, *, new_only: bool = False) -> str:
        """Stage ``data`` to become the file at archive-relative ``rel``; return its sha256.

        ``new_only`` (archived documents) makes an existing file at ``rel`` a ConflictError.
        """
        target = self.archive.path(rel)  # validates rel
        if new_only and target.exists():
            raise ConflictError(f"档案库中已存在 {rel},归档文件不会被覆盖")
        staged = self._stage_name()
        write_fsync(staged, data, sync=not self.bulk)
        digest = sha256_bytes(data)
        self._add({"op": "put", "path": rel, "staged": staged.name, "before": self._before(rel, target), "after": digest})
        return digest

    def put_file(self, rel: str, source: Path, *, new_only: bool = True) -> str:
        """Stage a copy of ``source`` to become ``rel``; return its sha256.

        With ``new_only`` (the default for archived documents) an existing file at
        ``rel`` is a ConflictError: archived documents are never overwritten.
        """
        target = self.archive.path(rel)
        if new_only and target.exists():
            raise ConflictError(f"档案库中已存在 {rel},归档文件不会被覆盖")
        staged = self._stage_name()
        digest = copy_fsync(source, staged, sync=not self.bulk)
        self._add({"op": "put", "path": rel, "staged": staged.name, "before": self._before(rel, target), "after": digest})
        return digest

    def delete(self, rel: str) -> None:
        """Stage the deletion of archive-relative ``rel``."""
        self._add({"op": "delete", "path": rel, "staged": None, "before": self._before(rel), "after": None})

    def record_outside_change(self, rel: str, *, journaled: str | None, found: str | None) -> None:
        """Journal a change made outside docgen as accepted (``docgen accept``); no file is touched.

        ``before`` is what the journal last recorded and ``after`` what is on
        disk, so the journal's chain of hashes per file stays unbroken.
        """
        self.archive.path(rel)
        self._add({"op": "accept", "path": rel, "staged": None, "before": journaled, "after": found})

    def put_restored(self, rel: str, source: Path, *, journaled: str) -> str:
        """Stage ``source`` (holding exactly the journaled content) over a file changed outside docgen (``docgen restore``)."""
        self.archive.path(rel)
        staged = self._stage_name()
        digest = copy_fsync(source, staged, sync=not self.bulk)
        if digest != journaled:
            raise ConflictError(f"{source} 的内容在复制时变了,未恢复 {rel}")
        self._add({"op": "put", "path": rel, "staged": staged.name, "before": journaled, "after": digest})
        return digest

    def next_id(self, prefix: str, year: int, width: int = 5) -> str:
        """Return the next id for ``prefix`` and ``year`` (``BX-2026-00001``), counted in ``counters.json``.

        Never one the journal shows issued already, whatever ``counters.json`` says.
        """
        if self._counters is None:
            self._counters = self.archive.read_counters()
        key = f"{prefix}-{year}"
        current = self._counters.get(key, 0)
        if key not in self._issued:
            current = max(current, self.archive.journal_index.recorded_highest_id(key))
        value = current + 1
        self._counters[key] = value
        self._issued[key] = value
        return f"{prefix}-{year}-{value:0{width}d}"

    @property
    def files(self) -> list[str]:
        """The archive-relative paths this transaction writes or deletes."""
        return [op["path"] for op in self._ops]

    # -- commit ------------------------------------------------------------
    def commit(self) -> JournalEntry:
        """Make the staged changes durable and visible, then journal them."""
        if self._counters is not None:
            data = json.dumps(self._counters, ensure_ascii=False, indent=2, sort_keys=True).encode()
            self.put_bytes(self.archive.layout.counters_rel, data + b"\n")
            self.detail["counters"] = dict(sorted(self._issued.items()))  # the journal's own memory of ids issued
        self.dir.mkdir(parents=True, exist_ok=True)
        manifest: dict[str, Any] = {
            "id": self.id,
            "actor": self.archive.actor,
            "action": self.action,
            "target": self.target,
            "summary": self.summary,
            "detail": self.detail,
            "ops": self._ops,
        }
        _failpoint("before-manifest")
        if self.bulk:
            manifest["bulk"] = True
            sync_all()  # every staged file is on disk before the commit point
        atomic_write(self.dir / "manifest.json", json.dumps(manifest, ensure_ascii=False).encode("utf-8"))
        _failpoint("after-manifest")
        self.entry = apply_manifest(self.archive, self.dir, manifest)
        return self.entry

    def abort(self) -> None:
        """Throw the staged files away; nothing in the archive changed."""
        shutil.rmtree(self.dir, ignore_errors=True)


def apply_manifest(archive: Archive, folder: Path, manifest: dict[str, Any]) -> JournalEntry:
    """Apply a committed manifest (again, if need be), journal it once, and remove its folder."""
    touched_dirs: set[Path] = set()
    made_dirs: set[Path] = set()
    for op in manifest["ops"]:
        target = archive.path(op["path"])
        if op["op"] == "put":
            staged = folder / op["staged"]
            if staged.exists():
                if target.parent not in made_dirs:
                    target.parent.mkdir(parents=True, exist_ok=True)
                    made_dirs.add(target.parent)
                os.replace(staged, target)
                touched_dirs.add(target.parent)
        elif op["op"] == "delete":
            with contextlib.suppress(FileNotFoundError):
                target.unlink()
                touched_dirs.add(target.parent)
        # "accept": a change made outside docgen, journaled as it is; nothing to do on disk
    if not (manifest.get("bulk") and sync_all()):
        for d in touched_dirs:
            fsync_dir(d)
    _failpoint("after-apply")
    journal: Journal = archive.journal
    last = journal.last()
    if last is not None and last.get("txn") == manifest["id"]:
        entry = JournalEntry.from_dict(last)
    else:
        changes = [FileChange(op["path"], op["before"], op["after"]) for op in manifest["ops"]]
        entry = journal.append(
            actor=manifest["actor"],
            action=manifest["action"],
            target=manifest["target"],
            summary=manifest["summary"],
            txn=manifest["id"],
            files=changes,
            detail=manifest.get("detail") or {},
        )
    shutil.rmtree(folder, ignore_errors=True)
    return entry


def recover(archive: Archive) -> list[str]:
    """Roll committed transactions forward and discard uncommitted ones; return what was done.

    Called by every writer right after it takes the lock, so a crash is repaired
    by the next change, whoever makes it.
    """
    done: list[str] = []
    root = archive.layout.txn_dir
    if not root.is_dir():
        return done
    for folder in sorted(root.iterdir()):
        manifest_path = folder / "manifest.json"
        if not folder.is_dir():
            continue
        if manifest_path.is_file():
            try:
                manifest = json.loads(manifest_path.read_text("utf-8"))
            except ValueError as exc:
                raise DocgenError(f"事务 {folder} 的清单已损坏,请人工检查后删除该目录") from exc
            apply_manifest(archive, folder, manifest)
            done.append(f"已补完中断的事务 {manifest['id']}({manifest['summary']})")
        else:
            shutil.rmtree(folder, ignore_errors=True)
            done.append(f"已丢弃未提交的事务 {folder.name}")
    return done
