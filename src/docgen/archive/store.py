"""The Archive: where each record lives, how it is read, and how it is changed.

Layout (documented for people in ``docs/archive-format.md``)::

    records/
      archive.json                      marks the folder as an archive (name, format)
      journal.jsonl                     hash-chained change log
      counters.json                     last number used per id prefix and year
      rules.json                        audit rules (see docs/audit.md)
      projects/HXSZ/project.json        the project, its developer, phases, project documents
      projects/HXSZ/documents/DOC-….pdf project-level files (+ DOC-….txt extracted text)
      projects/HXSZ/batches/B01.json    a handover batch
      projects/HXSZ/registrations/DJ-2026-00001.json    a registration batch (办证批次)
      projects/HXSZ/dossiers/03-2-1203/dossier.json       one household
      projects/HXSZ/dossiers/03-2-1203/documents/DOC-….pdf its files (+ .txt)
      .docgen/                          lock, transactions in flight (not records)

Readers never lock: every file is replaced atomically, so a reader sees a whole
old or a whole new file.  Writers take the archive's write lock, repair any
transaction a crash interrupted, and change files through a
:class:`~docgen.archive.txn.Transaction`.
"""

from __future__ import annotations

import contextlib
import copy
import datetime as dt
import getpass
import json
import mimetypes
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from docgen.archive.fsutil import atomic_write, safe_join, sha256_file
from docgen.archive.journal import Journal, JournalEntry
from docgen.archive.journalindex import JournalIndex
from docgen.archive.lock import WriteLock
from docgen.archive.reconcile import describe_path
from docgen.archive.records import dump_record, load_record, parse_record
from docgen.archive.revisions import stamp_batch, stamp_dossier, stamp_project, stamp_registration
from docgen.archive.txn import Transaction, recover
from docgen.errors import ConflictError, DocgenError, NotFoundError, RecordError, UnsafePathError
from docgen.models import (
    Batch,
    Complaint,
    Document,
    Dossier,
    PageInfo,
    Project,
    Registration,
    RepairTicket,
    Revisit,
    Settlement,
    UnitTable,
)
from docgen.units import check_project_code, check_safe_id, split_key
from docgen.vocab import DOC_TYPES, Source, level_problem

if TYPE_CHECKING:
    from docgen.audit.rules import Rules
    from docgen.validation import Context

FORMAT_VERSION = 1
CaseKind = Literal["repairs", "complaints", "revisits", "settlements"]
CASE_MODELS: dict[str, type[Any]] = {
    "repairs": RepairTicket,
    "complaints": Complaint,
    "revisits": Revisit,
    "settlements": Settlement,
}
CASE_PREFIX = {"repairs": "BX", "complaints": "TS", "revisits": "HF", "settlements": "HQ"}
CASE_LABEL = {"repairs": "报修单", "complaints": "投诉", "revisits": "回访", "settlements": "结算会签"}


class _Unset:
    """Marks a ``before`` that the caller did not give: the save reads the record as it is on disk."""


UNSET: Any = _Unset()


@dataclass(frozen=True, slots=True)
class ArchiveLayout:
    """Where everything lives under an archive root (all paths derived, nothing stored)."""

    root: Path

    @property
    def marker(self) -> Path:
        """``archive.json``: its presence makes a folder an archive."""
        return self.root / "archive.json"

    @property
    def journal(self) -> Path:
        """The hash-chained journal."""
        return self.root / "journal.jsonl"

    counters_rel = "counters.json"
    rules_rel = "rules.json"

    @property
    def rules(self) -> Path:
        """The audit rules file."""
        return self.root / self.rules_rel

    @property
    def state_dir(self) -> Path:
        """``.docgen/``: lock and transactions in flight; not part of the record."""
        return self.root / ".docgen"

    @property
    def txn_dir(self) -> Path:
        """Staging folders of transactions in flight."""
        return self.state_dir / "txn"

    @property
    def lock(self) -> Path:
        """The write lock file."""
        return self.state_dir / "write.lock"

    @property
    def journal_index(self) -> Path:
        """The journal's derived index (SQLite; rebuilt from the journal when missing)."""
        return self.state_dir / "journal-index.sqlite3"

    @property
    def projects(self) -> Path:
        """The folder of projects."""
        return self.root / "projects"

    def project_rel(self, code: str) -> str:
        """``projects/HXSZ``."""
        return f"projects/{check_project_code(code)}"

    def dossier_rel(self, key: str) -> str:
        """``projects/HXSZ/dossiers/03-2-1203``."""
        project, unit = split_key(key)
        return f"projects/{project}/dossiers/{unit}"

    def units_rel(self, project: str) -> str:
        """``projects/HXSZ/units.json``: the project's 楼盘表 (absent until one is imported)."""
        return f"{self.project_rel(project)}/units.json"

    def batch_rel(self, project: str, batch_id: str) -> str:
        """``projects/HXSZ/batches/B01.json``."""
        return f"{self.project_rel(project)}/batches/{check_safe_id(batch_id, '批次编号')}.json"

    def registration_rel(self, project: str, registration_id: str) -> str:
        """``projects/HXSZ/registrations/DJ-2026-00001.json``."""
        return f"{self.project_rel(project)}/registrations/{check_safe_id(registration_id, '办证批次编号')}.json"


Owner = Dossier | Project


@dataclass(frozen=True, slots=True)
class UnreadableRecord:
    """A record file that could not be read: which one and what is wrong.

    Archive-wide work (listing, batch generation, index rebuild) reports these
    and carries on with the other records instead of stopping at the first
    bad hand edit; ``error`` is what a single read would have raised.
    """

    key: str
    rel: str
    problems: tuple[str, ...]
    error: DocgenError

    @classmethod
    def from_error(cls, key: str, rel: str, error: DocgenError) -> UnreadableRecord:
        """Describe a failed read (a RecordError's problems, else its message)."""
        problems = tuple(error.problems) if isinstance(error, RecordError) else (str(error),)
        return cls(key, rel, problems, error)

    @property
    def message(self) -> str:
        """``档案 HXSZ/03-2-1204(3栋2单元1204)的档案记录(projects/…/dossier.json)无法读取:JSON 格式错误…``."""
        return f"{describe_path(self.rel)}({self.rel})无法读取:{';'.join(self.problems)}"


def owner_rel(layout: ArchiveLayout, owner: Owner) -> str:
    """The archive-relative folder of a dossier or project."""
    if isinstance(owner, Dossier):
        return layout.dossier_rel(owner.key)
    return layout.project_rel(owner.code)


def _default_actor() -> str:
    env = os.environ.get("DOCGEN_ACTOR")
    if env:
        return env
    try:
        return getpass.getuser()
    except Exception:
        return "unknown"


class Archive:
    """An archive of record on disk: read records, change them in transactions."""

    def __init__(self, root: Path, *, actor: str | None = None, lock_timeout: float = 30.0) -> None:
        self.root = Path(root)
        self.layout = ArchiveLayout(self.root)
        self.actor = actor or _default_actor()
        self.journal = Journal(self.layout.journal)
        self.journal_index = JournalIndex(self.layout.journal_index, self.layout.journal)
        self._lock = WriteLock(self.layout.lock, lock_timeout)
        self.listeners: list[Callable[[JournalEntry], None]] = []
        self._today: Callable[[], dt.date] = dt.date.today
        self._now: Callable[[], dt.datetime] = lambda: dt.datetime.now().astimezone().replace(microsecond=0)
        self.approval_thresholds: Mapping[str, Decimal] | None = None
        """The countersign thresholds (``[generate] approval_thresholds``; None: the defaults), for validation."""
        self._rules_cache: tuple[Any, Rules] | None = None
        self._project_cache: dict[str, tuple[Any, Project | None]] = {}
        self._case_keys: dict[str, str] = {}
        """Where case records were last found (id -> dossier key; ids never move), shared with ``as_actor`` clones."""
        self._units_cache: dict[str, tuple[Any, UnitTable | None, frozenset[str] | None]] = {}

    # -- opening -----------------------------------------------------------
    @classmethod
    def open(cls, root: Path, **kwargs: Any) -> Archive:
        """Open an existing archive; NotFoundError (with a hint) if ``root`` is not one."""
        archive = cls(root, **kwargs)
        if not archive.layout.marker.is_file():
            raise NotFoundError(f"{root} 不是 docgen 档案库(缺少 archive.json);请先运行 docgen init")
        try:
            meta = json.loads(archive.layout.marker.read_text("utf-8"))
        except (OSError, ValueError) as exc:
            raise RecordError(archive.layout.marker, [f"无法读取:{exc}"]) from exc
        if int(meta.get("format", 0)) > FORMAT_VERSION:
            raise DocgenError(f"档案库格式版本 {meta.get('format')} 比本程序新,请升级 docgen")
        return archive

    @classmethod
    def create(cls, root: Path, name: str = "客户服务部业主档案", **kwargs: Any) -> Archive:
        """Create a new, empty archive at ``root`` (which may exist but must not be an archive)."""
        archive = cls(root, **kwargs)
        if archive.layout.marker.exists():
            raise ConflictError(f"{root} 已经是档案库")
        root.mkdir(parents=True, exist_ok=True)
        archive.layout.projects.mkdir(exist_ok=True)
        with archive.transaction("archive.init", "", f"新建档案库「{name}」") as tx:
            meta = {"format": FORMAT_VERSION, "name": name, "created": dt.date.today().isoformat()}
            tx.put_bytes("archive.json", json.dumps(meta, ensure_ascii=False, indent=2).encode() + b"\n")
        return archive

    @property
    def name(self) -> str:
        """The archive's display name from ``archive.json``."""
        try:
            return str(json.loads(self.layout.marker.read_text("utf-8")).get("name", ""))
        except (OSError, ValueError):
            return ""

    def path(self, rel: str) -> Path:
        """Resolve an archive-relative path, refusing anything that escapes the archive."""
        return safe_join(self.root, rel)

    def today(self) -> dt.date:
        """Today's date (injectable for tests: ``archive._today = lambda: date(...)``)."""
        return self._today()

    def now(self) -> dt.datetime:
        """The current time with its offset, for revision stamps (injectable like ``_today``)."""
        return self._now()

    def as_actor(self, actor: str) -> Archive:
        """This archive acting for another user: the same lock, journal and listeners, its own actor.

        A web server opens one Archive and gives each request the logged-in
        user's view of it, so the journal and ``filed_by`` name who really acted.
        """
        clone = copy.copy(self)
        clone.actor = actor
        return clone

    # -- validation (docgen.validation) ----------------------------------------
    @staticmethod
    def _stamp_of(path: Path) -> Any:
        try:
            st = os.stat(path)
        except FileNotFoundError:
            return None
        return (st.st_mtime_ns, st.st_size, st.st_ino)

    def validation_context(self, project: str | None = None) -> Context:
        """What a record of ``project`` is validated against: rules in force, today, thresholds, the project.

        The rules file and project file are parsed once and reused until they
        change on disk (a save validates in microseconds, not a parse of
        ``rules.json``); the project is the one committed, not one staged in
        the same transaction.
        """
        from docgen.audit.rules import load_rules
        from docgen.validation import Context

        stamp = self._stamp_of(self.layout.rules)
        if self._rules_cache is None or self._rules_cache[0] != stamp:
            self._rules_cache = (stamp, load_rules(self)[0])
        rules = self._rules_cache[1]
        record: Project | None = None
        if project:
            code = check_project_code(project)
            path = self.layout.projects / code / "project.json"
            pstamp = self._stamp_of(path)
            cached = self._project_cache.get(code)
            if cached is None or cached[0] != pstamp:
                record = load_record(Project, path) if pstamp is not None else None
                self._project_cache[code] = (pstamp, record)
            else:
                record = cached[1]
        codes = self.unit_codes(project) if project else None
        return Context(rules, self.today(), self.approval_thresholds, record, codes)

    # -- 楼盘表 (unit attributes) ---------------------------------------------------
    def _units_entry(self, project: str) -> tuple[Any, UnitTable | None, frozenset[str] | None]:
        code = check_project_code(project)
        path = self.root / self.layout.units_rel(code)
        stamp = self._stamp_of(path)
        cached = self._units_cache.get(code)
        if cached is not None and cached[0] == stamp:
            return cached
        table = load_record(UnitTable, path) if stamp is not None else None
        entry = (stamp, table, frozenset(u.unit for u in table.units) if table is not None else None)
        self._units_cache[code] = entry
        return entry

    def unit_table(self, project: str) -> UnitTable | None:
        """The project's 楼盘表 (``units.json``), or None when none was imported; parsed once until it changes."""
        return self._units_entry(project)[1]

    def unit_codes(self, project: str) -> frozenset[str] | None:
        """The room codes of the project's 楼盘表 (what validation takes as ``unit_table``), or None without one."""
        return self._units_entry(project)[2]

    # -- transactions --------------------------------------------------------
    @contextlib.contextmanager
    def transaction(self, action: str, target: str, summary: str, *, bulk: bool = False) -> Iterator[Transaction]:
        """Take the write lock, repair interrupted work, and yield a transaction committed on exit.

        After the repair the journal index is brought up to date, so the
        transaction's check that each file it replaces is what the journal last
        recorded sees rolled-forward work as journaled.
        An exception inside the block aborts the transaction: nothing changes.
        ``bulk=True`` (thousands of files in one change) replaces the fsync of
        each file by one file-system flush before the commit point; see txn.py.
        """
        if self._lock.held:
            raise DocgenError("内部错误:事务不能嵌套;请把同一事务传给内层调用")
        self._lock.acquire()
        try:
            recover(self)
            self.journal_index.sync()
            tx = Transaction(self, action, target, summary, bulk=bulk)
            try:
                yield tx
            except BaseException:
                tx.abort()
                raise
            entry = tx.commit()
        finally:
            self._lock.release()
        for hook in tx.after_commit:
            hook()
        for listener in self.listeners:
            listener(entry)

    @property
    def writing(self) -> bool:
        """True while this thread holds the archive's write lock (inside :meth:`transaction`)."""
        return self._lock.held

    def recover(self) -> list[str]:
        """Repair interrupted transactions now (normally done by the next writer)."""
        with self._lock:
            return recover(self)

    def record_access(self, action: str, target: str, summary: str, detail: dict[str, Any] | None = None) -> None:
        """Journal an access that changes no file (personal data revealed, an export made)."""
        with self.transaction(action, target, summary) as tx:
            tx.detail.update(detail or {})

    def read_counters(self) -> dict[str, int]:
        """The id counters (``{"BX-2026": 12, …}``)."""
        path = self.root / self.layout.counters_rel
        try:
            return {str(k): int(v) for k, v in json.loads(path.read_text("utf-8")).items()}
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            raise RecordError(path, [f"无法读取:{exc}"]) from exc

    # -- projects ------------------------------------------------------------
    def project_codes(self) -> list[str]:
        """Codes of all projects, sorted."""
        if not self.layout.projects.is_dir():
            return []
        return sorted(p.name for p in self.layout.projects.iterdir() if (p / "project.json").is_file())

    def projects(self) -> Iterator[Project]:
        """All projects, in code order."""
        for code in self.project_codes():
            yield self.project(code)

    def project(self, code: str) -> Project:
        """One project; NotFoundError if unknown."""
        try:
            rel = self.layout.project_rel(code)
        except ValueError as exc:
            raise UnsafePathError(str(exc)) from exc
        path = self.path(rel) / "project.json"
        if not path.is_file():
            raise NotFoundError(f"项目 {code} 不存在(已有:{'、'.join(self.project_codes()) or '无'})")
        project = load_record(Project, path)
        if project.code != path.parent.name:
            raise RecordError(path, [f"字段 code: 为 {project.code},但文件位于 {path.parent.name} 目录"])
        return project

    def save_project(self, project: Project, tx: Transaction, *, before: Project | None = UNSET) -> None:
        """Stage a project's ``project.json``: structure checked, then refused if it breaks a rule it did not break.

        ``before`` is the project as it was (None: a new project, every
        problem refused); left out, it is read from disk.  See
        :func:`docgen.validation.project_problems`.
        """
        from docgen.validation import project_problems, refuse

        rel = f"{self.layout.project_rel(project.code)}/project.json"
        checked = parse_record(Project, dump_record(project), rel)
        if before is UNSET:
            path = self.path(rel)
            before = load_record(Project, path) if path.is_file() else None
        ctx = self.validation_context()
        refuse(project_problems(checked, ctx), project_problems(before, ctx) if before is not None else None)
        tx.put_bytes(rel, dump_record(checked))

    def new_project(self, project: Project) -> Project:
        """Create a project; ConflictError if its code is taken."""
        if (self.path(self.layout.project_rel(project.code)) / "project.json").exists():
            raise ConflictError(f"项目 {project.code} 已存在")
        with self.transaction("project.new", project.code, f"新建项目 {project.code} {project.name}") as tx:
            stamp_project(None, project, self.actor, self.now())
            self.save_project(project, tx, before=None)
        return project

    @contextlib.contextmanager
    def edit_project(self, code: str, action: str, summary: str) -> Iterator[Project]:
        """Yield a project to change in place; it is validated, stamped with a new revision and saved on exit."""
        with self.transaction(action, code, summary) as tx:
            before = self.project(code)
            project = before.model_copy(deep=True)
            yield project
            stamp_project(before, project, self.actor, self.now())
            self.save_project(project, tx, before=before)

    # -- batches ---------------------------------------------------------------
    def batch_ids(self, project: str) -> list[str]:
        """Ids of a project's handover batches, sorted."""
        folder = self.path(self.layout.project_rel(project)) / "batches"
        if not folder.is_dir():
            return []
        return sorted(p.stem for p in folder.glob("*.json"))

    def batches(self, project: str | None = None) -> Iterator[Batch]:
        """Handover batches of one project or of all."""
        codes = [project] if project else self.project_codes()
        for code in codes:
            for batch_id in self.batch_ids(code):
                yield self.batch(code, batch_id)

    def batch(self, project: str, batch_id: str) -> Batch:
        """One batch; NotFoundError if unknown."""
        path = self.path(self.layout.batch_rel(project, batch_id))
        if not path.is_file():
            raise NotFoundError(f"交房批次 {project}/{batch_id} 不存在")
        batch = load_record(Batch, path)
        if batch.id != path.stem or batch.project != project:
            # a hand edit that renamed it inside: an edit would save it under the other name, a second batch
            raise RecordError(path, [f"字段 id/project: 为 {batch.project}/{batch.id},与文件位置 {project}/{path.stem} 不符"])
        return batch

    def save_batch(self, batch: Batch, tx: Transaction, *, before: Batch | None = UNSET,
                   same_units: bool = False) -> None:
        """Stage a batch file, refusing units without a dossier, inconsistent data and broken rules it introduces.

        ``before``: the batch as it was (None: new); left out, read from disk.
        ``same_units``: the caller read the batch under this lock and changed
        only its units' fields, not which units it holds, so the dossier of
        each was checked when the list was written (a 1,000-unit batch saved
        with every chunk of notices skips 1,000 path checks).
        """
        from docgen.validation import batch_problems, refuse

        rel = self.layout.batch_rel(batch.project, batch.id)
        checked = parse_record(Batch, dump_record(batch), rel)
        problems = [f"字段 {f}: {p}" for f, p in checked.data_problems()]
        for unit in [] if same_units else checked.units:
            if not self.dossier_exists(f"{batch.project}/{unit.unit}"):
                problems.append(f"字段 units: 房号 {unit.unit} 在项目 {batch.project} 中没有档案")
        if problems:
            raise RecordError(rel, problems)
        if before is UNSET:
            path = self.path(rel)
            before = load_record(Batch, path) if path.is_file() else None
        ctx = self.validation_context(checked.project)
        refuse(batch_problems(checked, ctx), batch_problems(before, ctx) if before is not None else None)
        tx.put_bytes(rel, dump_record(checked))

    def new_batch(self, batch: Batch) -> Batch:
        """Create a handover batch; ConflictError if its id is taken."""
        self.project(batch.project)
        if self.path(self.layout.batch_rel(batch.project, batch.id)).exists():
            raise ConflictError(f"交房批次 {batch.project}/{batch.id} 已存在")
        with self.transaction("batch.new", f"{batch.project}/{batch.id}", f"新建交房批次 {batch.name}") as tx:
            stamp_batch(None, batch, self.actor, self.now())
            self.save_batch(batch, tx, before=None)
        return batch

    @contextlib.contextmanager
    def edit_batch(self, project: str, batch_id: str, action: str, summary: str) -> Iterator[Batch]:
        """Yield a batch to change in place; validated, stamped (the batch and each changed unit) and saved on exit."""
        with self.transaction(action, f"{project}/{batch_id}", summary) as tx:
            before = self.batch(project, batch_id)
            batch = before.model_copy(deep=True)
            yield batch
            stamp_batch(before, batch, self.actor, self.now())
            self.save_batch(batch, tx, before=before)

    # -- registration batches (办证批次) ------------------------------------------
    def registration_ids(self, project: str) -> list[str]:
        """Ids of a project's registration batches, sorted (oldest first: ids are counted)."""
        folder = self.path(self.layout.project_rel(project)) / "registrations"
        if not folder.is_dir():
            return []
        return sorted(p.stem for p in folder.glob("*.json"))

    def registrations(self, project: str | None = None) -> Iterator[Registration]:
        """Registration batches of one project or of all."""
        codes = [project] if project else self.project_codes()
        for code in codes:
            for registration_id in self.registration_ids(code):
                yield self.registration(code, registration_id)

    def registration(self, project: str, registration_id: str) -> Registration:
        """One registration batch; NotFoundError if unknown."""
        path = self.path(self.layout.registration_rel(project, registration_id))
        if not path.is_file():
            raise NotFoundError(f"办证批次 {project}/{registration_id} 不存在")
        registration = load_record(Registration, path)
        if registration.id != path.stem or registration.project != project:
            raise RecordError(path, [f"字段 id/project: 为 {registration.ref},与文件位置 {project}/{path.stem} 不符"])
        return registration

    def locate_registration(self, registration_id: str) -> str:
        """The project code of a registration batch given by its id alone; NotFoundError if none has it."""
        check_safe_id(registration_id, "办证批次编号")
        for code in self.project_codes():
            if (self.layout.projects / code / "registrations" / f"{registration_id}.json").is_file():
                return code
        raise NotFoundError(f"办证批次 {registration_id} 不存在（docgen cert batch list 列出办证批次）。")

    def save_registration(self, registration: Registration, tx: Transaction, *,
                          before: Registration | None = UNSET) -> None:
        """Stage a registration batch: households need a dossier; data and rules checked as for a batch."""
        from docgen.validation import refuse, registration_problems

        rel = self.layout.registration_rel(registration.project, registration.id)
        checked = parse_record(Registration, dump_record(registration), rel)
        problems = [f"字段 {f}: {p}" for f, p in checked.data_problems()]
        for entry in checked.households:
            if not self.dossier_exists(f"{checked.project}/{entry.unit}"):
                problems.append(f"字段 households: 房号 {entry.unit} 在项目 {checked.project} 中没有档案")
        if problems:
            raise RecordError(rel, problems)
        if before is UNSET:
            path = self.path(rel)
            before = load_record(Registration, path) if path.is_file() else None
        ctx = self.validation_context(checked.project)
        refuse(registration_problems(checked, ctx),
               registration_problems(before, ctx) if before is not None else None)
        tx.put_bytes(rel, dump_record(checked))

    def new_registration(self, registration: Registration, tx: Transaction) -> Registration:
        """Stage a new registration batch in ``tx`` (its id usually from ``tx.next_id("DJ", year)``)."""
        self.project(registration.project)
        if self.path(self.layout.registration_rel(registration.project, registration.id)).exists():
            raise ConflictError(f"办证批次 {registration.ref} 已存在")
        stamp_registration(None, registration, self.actor, self.now())
        self.save_registration(registration, tx, before=None)
        return registration

    @contextlib.contextmanager
    def edit_registration(self, project: str, registration_id: str, action: str,
                          summary: str) -> Iterator[tuple[Registration, Transaction]]:
        """Yield a registration batch (read under the lock) and the transaction; stamped and saved on exit.

        The transaction is yielded so that the households' dossiers change in
        the same journaled step (:meth:`change_dossier`).
        """
        with self.transaction(action, f"{project}/{registration_id}", summary) as tx:
            before = self.registration(project, registration_id)
            registration = before.model_copy(deep=True)
            yield registration, tx
            stamp_registration(before, registration, self.actor, self.now())
            self.save_registration(registration, tx, before=before)

    def change_dossier(self, tx: Transaction, key: str, change: Callable[[Dossier], None]) -> Dossier:
        """Read a dossier under ``tx``'s lock, apply ``change`` to it, stamp and stage it in ``tx``; return it.

        For steps that change another record and some dossiers together (a
        registration batch and its households' certificate fields).
        """
        before = self.dossier(key)
        dossier = before.model_copy(deep=True)
        change(dossier)
        stamp_dossier(before, dossier, self.actor, self.now())
        self.save_dossier(dossier, tx, before=before)
        return dossier

    # -- dossiers --------------------------------------------------------------
    def dossier_file(self, key: str) -> Path:
        """Path of a dossier's ``dossier.json`` (it may not exist)."""
        return self.path(self.layout.dossier_rel(key)) / "dossier.json"

    def dossier_exists(self, key: str) -> bool:
        """True if a dossier with this key exists."""
        return self.dossier_file(key).is_file()

    def _dossier_folders(self, project: str | None) -> Iterator[tuple[str, Path, list[str]]]:
        """(project code, its dossiers folder, the dossier folder names in order) for each project.

        Only the names are kept (about 70 bytes per dossier); callers stream the dossiers.
        """
        codes = [check_project_code(project)] if project else self.project_codes()
        for code in codes:
            folder = self.layout.projects / code / "dossiers"
            if folder.is_dir():
                yield code, folder, sorted(e.name for e in os.scandir(folder) if e.is_dir())

    def dossier_keys(self, project: str | None = None) -> Iterator[str]:
        """Keys of all dossiers (of one project), in order, without reading them."""
        for code, _folder, names in self._dossier_folders(project):
            for name in names:
                yield f"{code}/{name}"

    def iter_dossiers(self, project: str | None = None) -> Iterator[Dossier]:
        """Stream every dossier (of one project): one in memory at a time; an unreadable one raises.

        The folders come from listing the archive itself, so each file is read
        straight from its directory entry (no per-key path resolution, which
        was a third of the time of listing 20,000 dossiers); a symlinked
        dossier folder is still resolved and refused if it leads outside.
        Work over the whole archive should use :meth:`scan_dossiers`.
        """
        for item in self.scan_dossiers(project):
            if isinstance(item, UnreadableRecord):
                raise item.error
            yield item

    def scan_dossiers(self, project: str | None = None) -> Iterator[Dossier | UnreadableRecord]:
        """Like :meth:`iter_dossiers`, but yield an :class:`UnreadableRecord` for a dossier that cannot be read.

        So that one corrupt ``dossier.json`` does not stop a listing, a batch or
        an index rebuild: the caller names it, carries on, and fails at the end.
        """
        for code, folder, names in self._dossier_folders(project):
            for name in names:
                path = folder / name / "dossier.json"
                try:
                    if path.parent.is_symlink():
                        dossier = self.dossier(f"{code}/{name}")  # the slow, checked path
                    else:
                        try:
                            data = path.read_bytes()
                        except FileNotFoundError:
                            continue  # a folder without a dossier (being created or removed): not a dossier
                        except OSError as exc:
                            raise RecordError(path, [f"无法读取:{exc.strerror}"]) from exc
                        dossier = parse_record(Dossier, data, path)
                        if dossier.project != code or dossier.unit != name:
                            project_code, unit = split_key(f"{code}/{name}")
                            if dossier.key != f"{project_code}/{unit}":
                                raise RecordError(path, [f"字段 project/unit: 为 {dossier.key},与所在目录 {project_code}/{unit} 不符"])
                except (DocgenError, ValueError) as exc:  # ValueError: a folder name that is no unit number
                    error = exc if isinstance(exc, DocgenError) else RecordError(path, [str(exc)])
                    yield UnreadableRecord.from_error(f"{code}/{name}", f"projects/{code}/dossiers/{name}/dossier.json", error)
                    continue
                yield dossier

    def unreadable(self, key: str, error: DocgenError) -> UnreadableRecord:
        """Describe why reading the dossier or project ``key`` failed (for commands that carry on)."""
        rel = f"{self.layout.dossier_rel(key)}/dossier.json" if "/" in key else f"{self.layout.project_rel(key)}/project.json"
        return UnreadableRecord.from_error(key, rel, error)

    def dossier(self, key: str) -> Dossier:
        """Read one dossier; NotFoundError if there is none for the key."""
        path = self.dossier_file(key)
        try:
            data = path.read_bytes()
        except FileNotFoundError as exc:
            raise NotFoundError(f"档案 {key} 不存在") from exc
        project, unit = split_key(key)
        return self._checked_dossier(parse_record(Dossier, data, path), project, unit, path)

    @staticmethod
    def _checked_dossier(dossier: Dossier, project: str, unit: str, path: Path) -> Dossier:
        if dossier.project != project or dossier.unit != unit:
            raise RecordError(path, [f"字段 project/unit: 为 {dossier.key},与所在目录 {project}/{unit} 不符"])
        return dossier

    def save_dossier(self, dossier: Dossier, tx: Transaction, *, before: Dossier | None = UNSET) -> None:
        """Stage a dossier file after full validation: structure, data quality, and the department's rules.

        Data quality (``Dossier.data_problems``: ID checksums, phones,
        duplicate ids) is refused whenever present.  The rules of
        :func:`docgen.validation.dossier_problems` (money, dates, references,
        the room, vocabularies, the countersign chain, free text) are refused
        when the change introduces them: ``before`` is the dossier as it was
        (None: a new dossier, every problem refused; left out: read from
        disk), so old bad data never blocks an unrelated edit; the audit
        reports it.  A refusal is a ``RuleViolations`` (a ``ValidationFailed``).
        """
        from docgen.validation import dossier_problems, refuse

        rel = f"{self.layout.dossier_rel(dossier.key)}/dossier.json"
        checked = parse_record(Dossier, dump_record(dossier), rel)
        problems = [f"字段 {f}: {p}" for f, p in checked.data_problems()]
        if problems:
            raise RecordError(rel, problems)
        if before is UNSET:
            path = self.path(rel)
            try:
                before = parse_record(Dossier, path.read_bytes(), path)
            except FileNotFoundError:
                before = None
        ctx = self.validation_context(checked.project)
        refuse(dossier_problems(checked, ctx), dossier_problems(before, ctx) if before is not None else None)
        tx.put_bytes(rel, dump_record(checked))

    def new_dossier(self, dossier: Dossier, tx: Transaction | None = None) -> Dossier:
        """Create a dossier; ConflictError if the unit already has one, NotFoundError for an unknown project."""
        self.project(dossier.project)
        if self.dossier_exists(dossier.key):
            raise ConflictError(f"档案 {dossier.key}({dossier.unit_label})已存在,一户只能有一份档案")
        if tx is not None:
            stamp_dossier(None, dossier, self.actor, self.now())
            self.save_dossier(dossier, tx, before=None)
            return dossier
        with self.transaction("dossier.new", dossier.key, f"新建档案 {dossier.unit_label} {dossier.owner_names}") as t:
            if self.dossier_exists(dossier.key):
                raise ConflictError(f"档案 {dossier.key} 已存在")
            stamp_dossier(None, dossier, self.actor, self.now())
            self.save_dossier(dossier, t, before=None)
        return dossier

    @contextlib.contextmanager
    def edit_dossier(self, key: str, action: str, summary: str) -> Iterator[tuple[Dossier, Transaction]]:
        """Yield a dossier (re-read under the lock) and the transaction; stamped, saved and journaled on exit.

        The dossier's own fields and each case record that changed get a new
        revision naming the acting user (see :mod:`docgen.archive.revisions`).
        """
        with self.transaction(action, key, summary) as tx:
            path = self.dossier_file(key)
            try:
                data = path.read_bytes()
            except FileNotFoundError as exc:
                raise NotFoundError(f"档案 {key} 不存在") from exc
            project, unit = split_key(key)
            before = self._checked_dossier(parse_record(Dossier, data, path), project, unit, path)
            dossier = parse_record(Dossier, data, path)  # a second parse is cheaper than a deep copy
            yield dossier, tx
            stamp_dossier(before, dossier, self.actor, self.now())
            self.save_dossier(dossier, tx, before=before)

    # -- documents -------------------------------------------------------------
    def owner(self, key: str) -> Owner:
        """A dossier (``HXSZ/03-2-1203``) or a project (``HXSZ``) by key."""
        return self.dossier(key) if "/" in key else self.project(key)

    def owner_key(self, owner: Owner) -> str:
        """The key of a dossier or project."""
        return owner.key if isinstance(owner, Dossier) else owner.code

    def document_path(self, owner: Owner, doc: Document) -> Path:
        """Path of a document's file."""
        return self.path(f"{owner_rel(self.layout, owner)}/documents/{doc.file}")

    def document_text(self, owner: Owner, doc: Document) -> list[str]:
        """The text read from each page of a document (empty list if none was stored)."""
        if not doc.text_file:
            return []
        path = self.path(f"{owner_rel(self.layout, owner)}/documents/{doc.text_file}")
        try:
            return path.read_text("utf-8").split("\f")
        except FileNotFoundError:
            return []
        except UnicodeDecodeError as exc:
            raise RecordError(path, [f"文件 {doc.id} 的文字稿不是 UTF-8 编码的文本(第 {exc.start} 字节起)"]) from exc

    def find_document(self, doc_id: str) -> tuple[Owner, Document]:
        """Find a document by id anywhere in the archive; NotFoundError if absent.

        A byte search over the record files before parsing keeps this fast (one
        read per dossier, a JSON parse only where the id occurs).
        """
        check_safe_id(doc_id, "文件编号")
        needle = f'"id":"{doc_id}"'.encode()
        needle_spaced = f'"id": "{doc_id}"'.encode()
        for owner in self._owners_containing((needle, needle_spaced)):
            doc = next((d for d in owner.documents if d.id == doc_id), None)
            if doc is not None:
                return owner, doc
        raise NotFoundError(f"文件 {doc_id} 不存在")

    def find_case(self, record_id: str) -> tuple[Dossier, str, Any]:
        """Find a repair, complaint, revisit or settlement by id; return (dossier, kind, record).

        Where a record was found (or created, or noted by :meth:`note_case`) is
        remembered, since ids never move between dossiers: a server looks a
        case up in one dossier file instead of a byte search over all of them.
        A remembered dossier that no longer holds the id is searched past.
        """
        check_safe_id(record_id, "记录编号")
        hint = self._case_keys.get(record_id)
        if hint is not None:
            hinted: Dossier | None
            try:
                hinted = self.dossier(hint)
            except (NotFoundError, RecordError):
                hinted = None
            found = _case_in(hinted, record_id) if hinted is not None else None
            if found is not None:
                return found
            self._case_keys.pop(record_id, None)
        needles = (f'"id":"{record_id}"'.encode(), f'"id": "{record_id}"'.encode())
        for owner in self._owners_containing(needles, projects=False):
            assert isinstance(owner, Dossier)
            found = _case_in(owner, record_id)
            if found is not None:
                self._case_keys[record_id] = owner.key
                return found
        raise NotFoundError(f"记录 {record_id} 不存在")

    def note_case(self, record_id: str, key: str) -> None:
        """Remember that case record ``record_id`` is in dossier ``key`` (a hint :meth:`find_case` checks)."""
        if len(self._case_keys) > 500_000:
            self._case_keys.clear()  # bounded: a hint is only a shortcut
        self._case_keys[record_id] = key

    def _owners_containing(self, needles: Sequence[bytes], projects: bool = True) -> Iterator[Owner]:
        if projects:
            for code in self.project_codes():
                path = self.layout.projects / code / "project.json"
                data = path.read_bytes()
                if any(n in data for n in needles):
                    yield parse_record(Project, data, path)
        for key in self.dossier_keys():
            path = self.layout.projects / key.split("/")[0] / "dossiers" / key.split("/")[1] / "dossier.json"
            try:
                data = path.read_bytes()
            except FileNotFoundError:
                continue
            if any(n in data for n in needles):
                yield parse_record(Dossier, data, path)

    def add_document(
        self,
        owner_key: str,
        source_file: Path | bytes,
        *,
        doc_type: str,
        date: dt.date | None = None,
        source: Source = "import",
        title: str = "",
        original_name: str | None = None,
        text_pages: list[str] | None = None,
        pages: list[PageInfo] | None = None,
        signed: bool = False,
        supersedes: str | None = None,
        related: str | None = None,
        identified_by: str | None = None,
        confidence: float | None = None,
        doc_id: str | None = None,
        note: str = "",
        tx: Transaction | None = None,
        owner: Owner | None = None,
    ) -> Document:
        """File a copy of ``source_file`` into a dossier or project as a new document.

        The file, its extracted text (pages joined by form feeds) and the owner's
        record land in one transaction.  ``doc_id`` may be given (a generated
        document whose id is printed in its QR code); otherwise the next
        ``DOC-<year>-<n>`` is used.

        ``source_file`` may also be the file's bytes (a bulk import renders
        documents in memory); ``original_name`` then gives its name and extension.

        ``owner`` (with ``tx``) files into that in-memory dossier or project
        instead of re-reading it, and leaves saving it to the caller: this is how
        a dossier created in the same transaction gets its documents, and how a
        bulk import files many documents with one save per dossier.
        """
        if isinstance(source_file, bytes):
            if not original_name:
                raise DocgenError("内部错误:以字节归档时必须给出 original_name(文件名及扩展名)")
            content: bytes | None = source_file
            source_file = Path(original_name)
        else:
            content = None
            if not source_file.is_file():
                raise NotFoundError(f"文件 {source_file} 不存在")
        from docgen.vocab import doc_type_code

        try:
            code = doc_type_code(doc_type)
        except ValueError as exc:
            raise DocgenError(str(exc)) from exc
        problem = level_problem(code, owner_key)
        if problem:
            raise DocgenError(problem)
        if owner is not None and (tx is None or self.owner_key(owner) != owner_key):
            raise DocgenError("内部错误:传入内存中的档案时必须同时传入事务,且与 owner_key 一致")
        in_memory = owner

        def _do(t: Transaction) -> Document:
            owner = in_memory if in_memory is not None else self.owner(owner_key)
            new_id = doc_id or t.next_id("DOC", self.today().year, width=6)
            check_safe_id(new_id, "文件编号")
            if any(d.id == new_id for d in owner.documents):
                raise ConflictError(f"文件编号 {new_id} 已在 {owner_key} 中")
            ext = source_file.suffix.lower() if len(source_file.suffix) <= 6 else ""
            folder = f"{owner_rel(self.layout, owner)}/documents"
            if content is not None:
                digest = t.put_bytes(f"{folder}/{new_id}{ext}", content, new_only=True)
            else:
                digest = t.put_file(f"{folder}/{new_id}{ext}", source_file)
            text_name = None
            if text_pages is not None:
                text_name = f"{new_id}.txt"
                t.put_bytes(f"{folder}/{text_name}", "\f".join(text_pages).encode("utf-8"))
            media_type = mimetypes.guess_type(source_file.name)[0] or "application/octet-stream"
            doc = Document(
                id=new_id,
                type=code,
                title=title or DOC_TYPES[code][0],
                date=date,
                source=source,
                file=f"{new_id}{ext}",
                original_name=original_name if original_name is not None else source_file.name,
                media_type=media_type,
                sha256=digest,
                size=len(content) if content is not None else source_file.stat().st_size,
                pages=pages or [],
                text_file=text_name,
                signed=signed,
                supersedes=supersedes,
                related=related,
                identified_by=identified_by,  # type: ignore[arg-type,unused-ignore]
                confidence=confidence,
                filed_at=dt.datetime.now().astimezone().replace(microsecond=0),
                filed_by=self.actor,
                note=note,
            )
            if supersedes:
                old = next((d for d in owner.documents if d.id == supersedes), None)
                if old is None:
                    raise NotFoundError(f"要替代的文件 {supersedes} 不在 {owner_key} 中")
                old.superseded_by = new_id
            owner.documents.append(doc)
            if in_memory is not None:
                pass  # the caller saves it
            elif isinstance(owner, Dossier):
                self.save_dossier(owner, t)
            else:
                self.save_project(owner, t)
            t.detail.setdefault("documents", []).append(new_id)
            return doc

        if tx is not None:
            return _do(tx)
        label = DOC_TYPES[code][0]
        with self.transaction("document.add", owner_key, f"归档 {label}({source_file.name})") as t:
            return _do(t)

    # -- case records ------------------------------------------------------------
    def add_case(self, key: str, kind: CaseKind, fields: dict[str, Any], *, summary: str = "") -> Any:
        """Add a repair, complaint, revisit or settlement to a dossier, numbering it; return it."""
        model = CASE_MODELS[kind]
        with self.edit_dossier(key, f"{kind[:-1]}.new", summary or f"新建{CASE_LABEL[kind]}") as (dossier, tx):
            year = self.today().year
            record_id = tx.next_id(CASE_PREFIX[kind], year)
            tx.summary = f"{summary or '新建' + CASE_LABEL[kind]} {record_id}"
            record = _validated(model, {"id": record_id, **fields}, f"{CASE_LABEL[kind]} {record_id}")
            getattr(dossier, kind).append(record)
        self.note_case(record.id, key)
        return record

    def locate_case(self, record_id: str) -> tuple[str, str]:
        """The dossier key and kind (``repairs`` …) of a case record; NotFoundError if there is none.

        Ids never move between dossiers, so the key found here (without the
        lock) is the one to edit under the lock.
        """
        dossier, kind, _ = self.find_case(record_id)
        return dossier.key, kind

    def modify_case(
        self,
        record_id: str,
        change: Callable[[dict[str, Any], Any, Dossier], None],
        *,
        action: str = "",
        summary: str = "",
        revision: int | None = None,
        kind: str | None = None,
    ) -> Any:
        """Read, change and write one case record in one transaction; return the new record.

        ``change(data, record, dossier)`` edits ``data`` (the record's JSON
        form) in place; it reads the record and its dossier as they are under
        the write lock, so two users' changes never overwrite each other.
        ``revision`` is the revision the change was based on: if someone has
        changed the record since, StaleEditError says who and when.  ``kind``
        refuses an id of another kind (``BX-…`` given where a settlement is meant).
        """
        from docgen.archive.revisions import REVISION_FIELDS, check

        key, found_kind = self.locate_case(record_id)
        label = CASE_LABEL[found_kind]
        if kind is not None and found_kind != kind:
            raise NotFoundError(f"{record_id} 是{label},不是{CASE_LABEL[kind]}")
        model = CASE_MODELS[found_kind]
        action = action or f"{found_kind[:-1]}.update"
        with self.edit_dossier(key, action, summary or f"更新{label} {record_id}") as (d, _tx):
            records = getattr(d, found_kind)
            index = next(i for i, r in enumerate(records) if r.id == record_id)
            current = records[index]
            check(current, revision, f"{label} {record_id}")
            data = current.model_dump(mode="json")
            kept = {k: data[k] for k in REVISION_FIELDS | {"id"}}
            change(data, current, d)
            data.update(kept)  # ids and revisions are the storage layer's, whatever the change did
            records[index] = _validated(model, data, f"{label} {record_id}")
            return records[index]

    def update_case(self, record_id: str, changes: dict[str, Any], summary: str = "", *,
                    revision: int | None = None) -> Any:
        """Set fields of a case record (validated as a whole); return the new record."""
        from docgen.archive.revisions import REVISION_FIELDS

        def apply(data: dict[str, Any], record: Any, _dossier: Dossier) -> None:
            model = type(record)
            known = [f for f in model.model_fields if f not in REVISION_FIELDS and f != "id"]
            unknown = sorted(set(changes) - set(known))
            if unknown:
                label = CASE_LABEL[next(k for k, m in CASE_MODELS.items() if m is model)]
                raise DocgenError(f"{label}没有字段 {'、'.join(unknown)}(可用字段:{'、'.join(known)})")
            data.update(changes)

        return self.modify_case(record_id, apply, summary=summary, revision=revision)

    # -- checks used by audit and verify -----------------------------------------
    def iter_record_files(self) -> Iterator[Path]:
        """Every file under the archive that is part of the record (excludes ``.docgen/``)."""
        for dirpath, dirnames, filenames in os.walk(self.root):
            dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
            for name in sorted(filenames):
                yield Path(dirpath) / name

    def verify_document(self, owner: Owner, doc: Document) -> str | None:
        """Return a problem with a document's file (missing, hash mismatch) or None."""
        path = self.document_path(owner, doc)
        if not path.is_file():
            return f"文件 {doc.file} 缺失"
        if sha256_file(path) != doc.sha256:
            return f"文件 {doc.file} 的 sha256 与记录不符(被改动或损坏)"
        return None

    def write_config_file(self, rel: str, data: bytes, summary: str) -> None:
        """Write an archive-level file (``rules.json``, say) in a journaled transaction."""
        with self.transaction("archive.config", rel, summary) as tx:
            tx.put_bytes(rel, data)

    def atomic_write_state(self, name: str, data: bytes) -> None:
        """Write a non-record state file under ``.docgen/`` atomically (no journal)."""
        atomic_write(self.layout.state_dir / name, data)


def _case_in(dossier: Dossier, record_id: str) -> tuple[Dossier, str, Any] | None:
    for kind in CASE_MODELS:
        for record in getattr(dossier, kind):
            if record.id == record_id:
                return dossier, kind, record
    return None


def _validated(model: type[Any], data: dict[str, Any], where: str) -> Any:
    """Validate a case record from its JSON form; RecordError names the record and the fields in Chinese."""
    from pydantic import ValidationError

    from docgen.archive.records import located

    try:
        return model.model_validate(data)
    except ValidationError as exc:
        pairs = located(exc, record=where, data=data)
        raise RecordError(None, [line for _, line in pairs], [path for path, _ in pairs]) from exc
