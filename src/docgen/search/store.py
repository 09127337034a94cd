"""The index folder: generations, versions, the writer lock, incremental update and full rebuild.

Layout of ``index/`` (all derived; delete it and ``docgen index rebuild`` makes it again)::

    CURRENT                 name of the generation in use (replaced atomically)
    gen-000003/             a whoosh index + userdict.txt (jieba) + docgen.json (versions)
    jieba/                  jieba's dictionary cache (instead of the system temp folder)
    write.lock(.holder.json) one writer at a time, and who it is

A rebuild writes a new generation beside the old one and switches ``CURRENT``
only when it is complete, so searches keep using the old one meanwhile and a
killed rebuild leaves nothing half-built in use.  An update commits in batches
into the current generation; whoosh's commit replaces its table of contents
atomically, so a writer killed mid-commit loses its last batch whole and the
index still opens.  The journal position the index reflects is stored *inside*
the index (a meta entry committed with the last batch), so after a crash the
archive's journal says what still needs indexing.
"""

from __future__ import annotations

import contextlib
import errno
import json
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from docgen.archive.fsutil import atomic_write
from docgen.archive.lock import WriteLock
from docgen.archive.store import Archive
from docgen.errors import DocgenError, LockTimeout, NotFoundError, RecordError
from docgen.progress import Progress
from docgen.search import analysis, journalscan
from docgen.search.entries import BASE_WORDS, Entry, owner_entries, owner_words, project_names
from docgen.search.journalscan import JournalPosition
from docgen.search.schema import KINDS, META_UID, build_schema, versions
from docgen.search.settings import SearchSettings
from docgen.search.types import IndexStatus as IndexStatus
from docgen.search.types import UpdateStats as UpdateStats


class IndexLock(WriteLock):
    """The index writer lock: like the archive's, but its message speaks of the index."""

    def _brief(self, waited: float) -> str:
        return f"检索索引正被另一个进程更新,已等待 {waited:g} 秒;请稍后再试(一直如此时请联系系统管理员)"

    def _describe_holder(self, waited: float) -> str:
        try:
            info = json.loads(self.info_path.read_text("utf-8"))
        except (OSError, ValueError):
            return f"检索索引正被另一个进程更新,已等待 {waited:g} 秒;无法得知占用者(锁文件 {self.path})"
        return (
            f"检索索引正被另一个进程更新,已等待 {waited:g} 秒:"
            f"用户 {info.get('user')} 在 {info.get('host')} 上自 {info.get('since')} 起运行"
            f" `{info.get('command')}`(进程号 {info.get('pid')})。请稍后再试,"
            f"或确认该进程已退出(锁文件 {self.path})"
        )


def _unreadable(archive: Archive, key: str, exc: RecordError | NotFoundError) -> str:
    """Name a record the index had to skip: the dossier/project file, or the file inside it that failed."""
    owner_file = archive.unreadable(key, exc)
    if isinstance(exc, RecordError) and exc.path is not None and exc.path.name not in ("dossier.json", "project.json"):
        return f"{exc}(索引中没有 {key} 的最新内容)"
    return owner_file.message


def _cancel(writer: Any) -> None:
    """Cancel a whoosh writer, stopping a multiprocessing writer's workers first.

    ``MpWriter.cancel`` only flags its worker processes in the parent; they
    would go on reading job files from the folder the caller is about to
    remove and print tracebacks.  Terminated workers exit silently.
    """
    for task in getattr(writer, "tasks", []):
        with contextlib.suppress(Exception):
            task.terminate()
            task.join(5)
    with contextlib.suppress(Exception):
        writer.cancel()


class NeedsRebuild(Exception):
    """The index cannot be used as is (missing, other version, damaged); the message says why (for the log).

    ``kind`` is what a user is told, without the details: ``missing`` (no
    index yet), ``version`` (made by another docgen), ``unreadable`` (its
    files cannot be opened or decoded).
    """

    def __init__(self, message: str, kind: str = "unreadable") -> None:
        super().__init__(message)
        self.kind = kind


def is_read_damage(exc: BaseException) -> bool:
    """True for what reading a damaged index raises (whoosh's own errors, decoding errors), not for docgen's.

    A bad sector or a half-copied segment shows as a pickle, zlib or struct
    error, whoosh's ``EmptyIndexError`` (its table of contents gone) or its
    bare ``Exception("Block tag error …")``; the index is derived, so the
    caller rebuilds it rather than fail every search and update on it.
    """
    import pickle
    import struct
    import zlib

    from whoosh.filedb.filestore import ReadOnlyError, StorageError
    from whoosh.filedb.filetables import FileFormatError
    from whoosh.index import IndexError as WhooshIndexError

    if isinstance(exc, (DocgenError, NeedsRebuild, ReadOnlyError)) or "closed" in str(exc).lower():
        return False  # a searcher or storage used after closing is a lifecycle error, not damage
    if isinstance(exc, (zlib.error, pickle.UnpicklingError, EOFError, struct.error, WhooshIndexError,
                        FileFormatError, StorageError)):
        return True
    return type(exc) is Exception and str(exc).startswith("Block tag error")


def _remove_tree(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)


class IndexFolder:
    """The ``index/`` folder of one archive: open, lock, update and rebuild its whoosh index."""

    def __init__(self, settings: SearchSettings, archive: Archive) -> None:
        self.settings = settings
        self.archive = archive
        self.root = Path(settings.index_path)
        self.lock = IndexLock(self.root / "write.lock", settings.lock_timeout)
        self._dict_cache: tuple[tuple[str, int, int], frozenset[str]] | None = None
        self.jieba_dir = self.root / "jieba"

    # -- generations -------------------------------------------------------
    @property
    def current_name(self) -> str | None:
        """Name of the generation in use, or None when there is no index yet."""
        try:
            name = (self.root / "CURRENT").read_text("utf-8").strip()
        except (OSError, UnicodeDecodeError):  # missing, or the folder is not one (a file in its place)
            return None
        return name or None

    def gen_dir(self, name: str) -> Path:
        """Folder of a generation."""
        return self.root / name

    def open_current(self) -> Any:
        """Open the generation in use; raise NeedsRebuild with the reason when it cannot be used."""
        from whoosh import index as windex

        name = self.current_name
        if name is None:
            raise NeedsRebuild("索引尚未建立", "missing")
        folder = self.gen_dir(name)
        try:
            info = json.loads((folder / "docgen.json").read_text("utf-8"))
        except (OSError, ValueError) as exc:
            raise NeedsRebuild(f"索引 {name} 缺少或损坏了版本信息") from exc
        wanted = self.wanted_versions()
        if info.get("versions") != wanted:
            raise NeedsRebuild(f"索引版本 {info.get('versions')} 与程序 {wanted} 不符", "version")
        try:
            ix = windex.open_dir(str(folder))
            with ix.searcher() as s:
                s.doc_count()
        except (MemoryError, PermissionError):  # this process's trouble, not the index's: a rebuild would not help
            raise
        except OSError as exc:
            if exc.errno in (errno.EMFILE, errno.ENFILE, errno.ENOMEM):
                raise
            raise NeedsRebuild(f"索引 {name} 无法打开({type(exc).__name__}: {exc})") from exc
        except Exception as exc:
            raise NeedsRebuild(f"索引 {name} 无法打开({type(exc).__name__}: {exc})") from exc
        return ix

    def _new_generation(self) -> tuple[str, Path]:
        self.root.mkdir(parents=True, exist_ok=True)
        existing = [p.name for p in self.root.glob("gen-*")]
        numbers = [int(n[4:]) for n in existing if n[4:].isdigit()]
        name = f"gen-{(max(numbers) + 1) if numbers else 1:06d}"
        folder = self.gen_dir(name)
        _remove_tree(folder)
        folder.mkdir(parents=True)
        return name, folder

    def _switch(self, name: str) -> None:
        atomic_write(self.root / "CURRENT", name.encode("utf-8") + b"\n")
        for old in self.root.glob("gen-*"):
            if old.name != name:
                _remove_tree(old)

    # -- the meta entry ------------------------------------------------------
    @staticmethod
    def read_state(ix: Any) -> dict[str, Any]:
        """The meta entry's state (journal position, dictionary), {} if absent."""
        with ix.searcher() as s:
            return IndexFolder._state_in(s)

    @staticmethod
    def _state_in(searcher: Any) -> dict[str, Any]:
        stored = searcher.document(uid=META_UID)
        return dict(stored.get("state") or {}) if stored else {}

    # -- user dictionary -----------------------------------------------------
    def _dict_words(self, folder: Path) -> set[str]:
        """The user dictionary's words (a copy: the caller adds to it), re-read only when the file changed.

        Every incremental update needs them, and parsing the file (tens of
        thousands of words on a big archive) cost more than indexing the one
        dossier a saved case changes.
        """
        path = folder / "userdict.txt"
        try:
            st = path.stat()
        except FileNotFoundError:
            return set()
        stamp = (str(path), st.st_mtime_ns, st.st_size)
        cached = self._dict_cache
        if cached is None or cached[0] != stamp:
            try:
                words = frozenset(line.split(" ")[0] for line in path.read_text("utf-8").splitlines() if line)
            except FileNotFoundError:
                return set()
            self._dict_cache = cached = (stamp, words)
        return set(cached[1])

    def _write_dict(self, folder: Path, words: set[str]) -> None:
        body = "".join(f"{w} 50000\n" for w in sorted(words) if w and not any(c.isspace() for c in w))
        atomic_write(folder / "userdict.txt", body.encode("utf-8"))

    def _configure_words(self, folder: Path) -> None:
        analysis.configure_words(folder / "userdict.txt", self.jieba_dir)

    # -- freshness hint --------------------------------------------------------
    def _write_hint(self, folder: Path, position: JournalPosition) -> None:
        """Record (outside whoosh, as a hint only) the journal position the index reflects."""
        with contextlib.suppress(OSError):
            atomic_write(folder / "position.json", json.dumps(position.as_dict()).encode("utf-8"))

    def looks_current(self) -> bool:
        """True if the hint says the index reflects the journal's end (cheap: no whoosh, no lock).

        Only a shortcut for searches: a stale or missing hint just means an
        update runs, which consults the position stored inside the index.
        """
        name = self.current_name
        if name is None:
            return False
        try:
            hint = JournalPosition.from_dict(json.loads((self.gen_dir(name) / "position.json").read_text("utf-8")))
            info = json.loads((self.gen_dir(name) / "docgen.json").read_text("utf-8"))
        except (OSError, ValueError):
            return False
        if info.get("versions") != self.wanted_versions():
            return False
        return hint == journalscan.end_position(self.archive.journal)

    def skip_unindexed(self) -> bool:
        """Move the hint past journal entries that change nothing indexed; True if the index is then current.

        Logins, reveals and exports are journaled but write no archive file, so
        the index has nothing to learn from them.  A search used to run a full
        update for them (open the index, read its state, commit a new meta
        entry): about a second on 20,000 households, with every segment's
        files reopened and copied into memory, and every other search waiting.
        The hint is only ever written for a position the index reflects, and
        the entries after it touch no owner, so the new hint is true too; a
        concurrent writer can only make it stale (then an update runs).  The
        position stored inside the index (``index_seq``, ``status``) moves at
        the next real update.
        """
        name = self.current_name
        if name is None:
            return False
        folder = self.gen_dir(name)
        try:
            hint = JournalPosition.from_dict(json.loads((folder / "position.json").read_text("utf-8")))
            info = json.loads((folder / "docgen.json").read_text("utf-8"))
        except (OSError, ValueError):
            return False
        if info.get("versions") != self.wanted_versions() or not hint.seq:
            return False
        changes, position = journalscan.scan(self.archive.journal, hint)
        if changes is None or changes.owners or changes.projects:
            return False
        if position != hint:
            self._write_hint(folder, position)
        return True

    # -- locking ----------------------------------------------------------------
    @contextlib.contextmanager
    def writing(self, timeout: float | None = None) -> Iterator[None]:
        """Hold the index writer lock (LockTimeout names the holder after ``timeout``)."""
        check_index_path(self.settings)
        self.lock.acquire(timeout)
        try:
            yield
        finally:
            self.lock.release()

    # -- rebuild -------------------------------------------------------------------
    def _all_owner_keys(self) -> list[str]:
        return self.archive.project_codes() + list(self.archive.dossier_keys())

    def _scan_words(self) -> set[str]:
        """Dictionary words from every record, read as plain JSON (fast: no validation)."""
        words: set[str] = set(BASE_WORDS)
        for code in self.archive.project_codes():
            try:
                data = json.loads((self.archive.layout.projects / code / "project.json").read_text("utf-8"))
            except (OSError, ValueError):
                continue
            words.add(str(data.get("name", "")))
            words.add(str((data.get("developer") or {}).get("name", "")))
        for key in self.archive.dossier_keys():
            project, unit = key.split("/")
            path = self.archive.layout.projects / project / "dossiers" / unit / "dossier.json"
            try:
                data = json.loads(path.read_text("utf-8"))
            except (OSError, ValueError):
                continue
            words.update(str(o.get("name", "")) for o in data.get("owners", []))
            for r in data.get("repairs", []):
                words.add(str(r.get("component", "")))
                words.add(str(r.get("contractor", "")))
            words.update(str(s.get("contractor", "")) for s in data.get("settlements", []))
            words.update(str(c.get("category", "")) for c in data.get("complaints", []))
        return {w.strip() for w in words if len(w.strip()) >= 2 and " " not in w.strip()}

    def rebuild(self, progress: Progress | None = None, reason: str = "") -> UpdateStats:
        """Build a new generation from the whole archive and switch to it (under the writer lock)."""
        with self.writing():
            return self._rebuild_locked(progress, reason or "手动重建")

    def _rebuild_locked(self, progress: Progress | None, reason: str) -> UpdateStats:
        from whoosh import index as windex

        started = time.monotonic()
        stats = UpdateStats(mode="rebuild", reason=reason)
        position = journalscan.end_position(self.archive.journal)
        name, folder = self._new_generation()
        try:
            if progress:
                progress("收集词典", 0, 0, "")
            words = self._scan_words()
            self._write_dict(folder, words)
            (folder / "docgen.json").write_text(
                json.dumps({"versions": self.wanted_versions(), "built": time.strftime("%Y-%m-%dT%H:%M:%S")}),
                "utf-8",
            )
            self._configure_words(folder)
            ix = windex.create_in(str(folder), build_schema())
            if self.settings.words:
                analysis.jieba_tokenizer()  # load once here; forked workers inherit it
            procs = max(1, int(self.settings.procs))
            # postings stay in memory up to rebuild_memory_mb per process: whoosh's spill to
            # temporary files pickles and re-merges every posting (half the rebuild time)
            memory = int(self.settings.rebuild_memory_mb)
            writer = (
                ix.writer(procs=procs, multisegment=True, limitmb=memory, batchsize=50)
                if procs > 1
                else ix.writer(limitmb=memory)
            )
            try:
                names = project_names(self.archive)
                keys = self._all_owner_keys()
                for i, key in enumerate(keys):
                    try:
                        owner = self.archive.owner(key)
                        entries = list(owner_entries(self.archive, owner, names))
                    except (RecordError, NotFoundError) as exc:  # one bad record must not stop the rebuild
                        stats.unreadable.append(_unreadable(self.archive, key, exc))
                        continue
                    for entry in entries:
                        writer.add_document(uid=entry.uid, hash=entry.hash, **self._fields(entry))
                        stats.added += 1
                    stats.owners += 1
                    if progress and (i % 50 == 0 or i == len(keys) - 1):
                        progress("建立索引", i + 1, len(keys), key)
                writer.add_document(uid=META_UID, kind=META_UID, state=self._state(position, words))
                if progress:
                    progress("写入索引", len(keys), len(keys), "")
                writer.commit()
            except BaseException:
                _cancel(writer)
                raise
            stats.commits = 1
            stats.words_added = len(words)
            ix.close()
        except BaseException:
            _remove_tree(folder)
            raise
        self._write_hint(folder, position)
        self._switch(name)
        stats.seq = position.seq
        stats.seconds = time.monotonic() - started
        return stats

    def wanted_versions(self) -> dict[str, Any]:
        """Schema and analyzer versions plus the settings that change what is indexed."""
        return {**versions(), "words": self.settings.words_chars if self.settings.words else -1}

    def _fields(self, entry: Entry) -> dict[str, Any]:
        if not self.settings.words:
            return {k: v for k, v in entry.fields.items() if k != "words"}
        limit = self.settings.words_chars
        words = entry.fields.get("words")
        if limit and isinstance(words, str) and len(words) > limit:
            return {**entry.fields, "words": words[:limit]}
        return entry.fields

    @staticmethod
    def _state(position: JournalPosition, words: set[str]) -> dict[str, Any]:
        return {"journal": position.as_dict(), "dict_words": len(words), "versions": versions()}

    # -- incremental update -----------------------------------------------------------
    def update(self, progress: Progress | None = None, timeout: float | None = None) -> UpdateStats:
        """Bring the index up to date with the archive: only what changed (rebuilds if unusable)."""
        with self.writing(timeout):
            try:
                ix = self.open_current()
            except NeedsRebuild as exc:
                return self._rebuild_locked(progress, str(exc))
            try:
                return self._update_locked(ix, progress)
            except Exception as exc:
                if not is_read_damage(exc):
                    raise
                damage = f"索引文件损坏({type(exc).__name__}: {exc})"
            finally:
                ix.close()
            return self._rebuild_locked(progress, damage)  # an update cannot mend it; nothing else would

    def _update_locked(self, ix: Any, progress: Progress | None) -> UpdateStats:
        # one searcher for the whole update: opening one opens every segment (tens of milliseconds
        # on a big index), and each changed owner's entries were read through a new one.  Owners
        # are distinct, so a commit during the update (commit_every) never changes what it shows
        # of an owner still to come.
        with ix.searcher() as before:
            return self._update_with(ix, before, progress)

    def _update_with(self, ix: Any, before: Any, progress: Progress | None) -> UpdateStats:
        started = time.monotonic()
        folder = self.gen_dir(self.current_name or "")
        state = self._state_in(before)
        since = JournalPosition.from_dict(state.get("journal"))
        changes, position = journalscan.scan(self.archive.journal, since)
        stats = UpdateStats(mode="incremental")
        if changes is None:
            stats.mode, stats.reason = "full-compare", "日志与索引记录的位置不符,逐项比对内容哈希"
            keys = self._all_owner_keys()
        else:
            owners = set(changes.owners)
            for project in changes.projects:
                owners.update(self.archive.dossier_keys(project))
            keys = sorted(owners)
        stats.seq = position.seq
        if not keys and position == since:
            self._write_hint(folder, position)
            stats.mode = "none"
            stats.seconds = time.monotonic() - started
            return stats
        names = project_names(self.archive)
        dict_words = self._dict_words(folder)
        existing_all: dict[str, tuple[str, str]] | None = None
        if stats.mode == "full-compare":
            existing_all = {}
            with ix.searcher() as s:
                for stored in s.all_stored_fields():
                    if stored.get("uid") and stored.get("uid") != META_UID:
                        existing_all[stored["uid"]] = (stored.get("hash", ""), stored.get("owner", ""))
        self._configure_words(folder)
        writer: Any = None
        pending = 0
        seen_owners: set[str] = set()
        try:
            for i, key in enumerate(keys):
                seen_owners.add(key)
                if existing_all is not None:
                    existing = {u: h for u, (h, o) in existing_all.items() if o == key}
                else:
                    existing = {d["uid"]: d.get("hash", "") for d in before.documents(owner=key)}
                try:
                    owner: Any = self.archive.owner(key)
                    expected: list[Entry] = list(owner_entries(self.archive, owner, names))
                except NotFoundError:
                    owner, expected = None, []
                except RecordError as exc:  # unreadable: keep what the index has, name it, go on
                    stats.unreadable.append(_unreadable(self.archive, key, exc))
                    continue
                new_words = owner_words(owner, names) - dict_words if owner is not None else set()
                if new_words:
                    dict_words |= new_words
                    self._write_dict(folder, dict_words)
                    stats.words_added += len(new_words)
                    analysis.configure_words(folder / "userdict.txt", self.jieba_dir)
                    analysis.teach_words(new_words)
                wanted = {e.uid for e in expected}
                for entry in expected:
                    old = existing.get(entry.uid)
                    if old == entry.hash:
                        stats.unchanged += 1
                        continue
                    if writer is None:
                        writer = self._writer(ix)
                    writer.update_document(uid=entry.uid, hash=entry.hash, **self._fields(entry))
                    pending += 1
                    if old is None:
                        stats.added += 1
                    else:
                        stats.updated += 1
                for uid in set(existing) - wanted:
                    if writer is None:
                        writer = self._writer(ix)
                    writer.delete_by_term("uid", uid)
                    pending += 1
                    stats.deleted += 1
                stats.owners += 1
                if writer is not None and pending >= self.settings.commit_every:
                    writer.commit()
                    stats.commits += 1
                    writer, pending = None, 0
                if progress and (i % 50 == 0 or i == len(keys) - 1):
                    progress("更新索引", i + 1, len(keys), key)
            if existing_all is not None:
                gone = {o for _, o in existing_all.values()} - seen_owners
                for owner_key in sorted(gone):
                    if writer is None:
                        writer = self._writer(ix)
                    writer.delete_by_term("owner", owner_key)
                    stats.deleted += 1
            if writer is None:
                writer = self._writer(ix)
            writer.update_document(uid=META_UID, kind=META_UID, state=self._state(position, dict_words))
            writer.commit()
            stats.commits += 1
            writer = None
            self._write_hint(folder, position)
        except BaseException:
            if writer is not None:
                with contextlib.suppress(Exception):
                    writer.cancel()
            raise
        stats.seconds = time.monotonic() - started
        return stats

    def _writer(self, ix: Any) -> Any:
        """A whoosh writer; its LockError (empty message) becomes a LockTimeout that says what to do."""
        from whoosh.index import LockError

        try:
            return ix.writer(timeout=self.settings.lock_timeout)
        except LockError as exc:
            raise LockTimeout(
                f"检索索引的 whoosh 写锁被占用,已等待 {self.settings.lock_timeout:g} 秒;"
                f"另一个不经 docgen 的程序可能正在写 {self.root}。请稍后再试",
                brief=f"检索索引正被占用,已等待 {self.settings.lock_timeout:g} 秒;请稍后再试(一直如此时请联系系统管理员)",
            ) from exc

    # -- status --------------------------------------------------------------------
    def status(self) -> IndexStatus:
        """Describe the index and what the archive has that it does not yet reflect."""
        from whoosh import query as wq

        name = self.current_name
        st = IndexStatus(engine="whoosh", location=str(self.root), usable=False, details={"generation": name})
        st.archive_seq = journalscan.end_position(self.archive.journal).seq
        try:
            ix = self.open_current()
        except NeedsRebuild as exc:
            st.problem = str(exc)
            st.pending_entries = None
            return st
        try:
            st.usable = True
            folder = self.gen_dir(name or "")
            st.size_bytes = sum(p.stat().st_size for p in folder.iterdir() if p.is_file())
            with contextlib.suppress(OSError, ValueError):
                info = json.loads((folder / "docgen.json").read_text("utf-8"))
                st.built, st.details["versions"] = info.get("built", ""), info.get("versions", {})
            state = self.read_state(ix)
            since = JournalPosition.from_dict(state.get("journal"))
            st.seq = since.seq
            with ix.searcher() as s:
                st.entries = s.doc_count() - (1 if s.document_number(uid=META_UID) is not None else 0)
                for kind in KINDS:  # live entries (doc_frequency also counts deleted old versions)
                    try:
                        st.by_kind[kind] = sum(1 for _ in s.docs_for_query(wq.Term("kind", kind)))
                    except Exception as exc:  # damaged postings: whoosh raises bare Exceptions
                        st.by_kind[kind] = s.doc_frequency("kind", kind)
                        st.problem = (f"索引文件读取出错({type(exc).__name__}: {exc}),条目计数可能不准;"
                                      "下次检索将重建索引,也可运行 docgen index rebuild")
                st.details["segments"] = len(s.reader().leaf_readers()) if hasattr(s.reader(), "leaf_readers") else 1
            pend = journalscan.pending(self.archive.journal, since)
            if pend is None:
                st.pending_entries = None
                st.problem = "日志与索引记录的位置不符,下次更新将逐项比对"
            else:
                st.pending_entries, owners = pend
                st.pending_owners = sorted(owners)
        finally:
            ix.close()
        return st


def check_index_path(settings: SearchSettings) -> None:
    """Refuse an index path that is a file, or a folder holding things docgen did not put there."""
    path = Path(settings.index_path)
    if path.exists() and not path.is_dir():
        raise DocgenError(f"索引路径 {path} 不是文件夹,请检查配置 [search] index_path")
    # README.md: the placeholder that keeps the (otherwise ignored) index folder in git;
    # cache: the web's page images ([web] cache defaults to <index>/cache), derived like the index
    ours = {"CURRENT", "write.lock", "write.lock.holder.json", "jieba", "README.md", ".gitkeep", "cache"}
    if path.is_dir():
        foreign = [p.name for p in path.iterdir() if p.name not in ours and not p.name.startswith("gen-")]
        if foreign:
            raise DocgenError(
                f"索引路径 {path} 中有不属于 docgen 索引的文件({'、'.join(sorted(foreign)[:3])}),"
                "docgen 不会在其中写入;请另选 [search] index_path"
            )


__all__ = ["IndexFolder", "IndexStatus", "NeedsRebuild", "UpdateStats", "check_index_path"]
