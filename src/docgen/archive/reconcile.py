"""Changes made outside docgen: refuse to write over them, and accept or restore them on purpose.

Every file docgen writes is journaled with its sha256 before and after.  When a
file on disk no longer has the hash the journal last recorded (someone edited
``dossier.json`` with a text editor, rolled ``counters.json`` back from an old
copy, corrected an OCR text by hand), an ordinary write must not go ahead: it
would record the edited content as its ``before`` and carry the unrecorded
change into the record for good (the write "launders" it).  So
:func:`check_unchanged`, called by the transaction for every file it writes or
deletes, refuses with a message that names the file in words and says how to
resolve it, and the two deliberate ways out are journaled actions of their own:

- :func:`accept_changes` (``docgen accept PATH --reason …``): the current
  content is right; the journal records it (who, why, which hash was found,
  which entry it departs from).  Nothing on disk changes.
- :func:`restore_files` (``docgen restore PATH [--from BACKUP]``): put back
  the content the journal recorded, from a backup (checked against the
  journaled hash), or from an identical copy docgen still has in the archive.
  docgen keeps hashes, not old versions, so usually a backup is needed; the
  message says so plainly.

Both keep the journal's invariant that ``docgen verify`` checks: each entry's
``before`` for a path equals the previous entry's ``after`` (the hash found on
disk goes into ``detail.found``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from docgen.archive.fsutil import sha256_file
from docgen.archive.journal import JournalEntry
from docgen.archive.journalindex import LastChange
from docgen.errors import IntegrityError, NotFoundError, RecordError, UnsafePathError, UsageError

if TYPE_CHECKING:
    from docgen.archive.store import Archive
    from docgen.archive.txn import Transaction

ACCEPT_ACTION = "fixity.accept"
RESTORE_ACTION = "fixity.restore"


def _short(digest: str | None) -> str:
    return f"{digest[:12]}…" if digest else "(不存在)"


def describe_path(rel: str) -> str:
    """Say in words what an archive-relative file is: ``档案 HXSZ/03-2-1203(3栋2单元1203)的档案记录``."""
    from docgen.units import unit_label

    parts = rel.split("/")
    if rel == "counters.json":
        return "档案库的编号计数器"
    if rel == "rules.json":
        return "档案库的审计规则"
    if rel == "thresholds.json":
        return "档案库的预警阈值"
    if rel == "archive.json":
        return "档案库标识文件"
    if len(parts) < 3 or parts[0] != "projects":
        return "档案库文件"
    project = parts[1]
    if len(parts) >= 4 and parts[2] == "dossiers":
        try:
            label = unit_label(parts[3])
        except ValueError:
            label = parts[3]
        owner = f"档案 {project}/{parts[3]}({label})"
    elif parts[2] == "batches" and len(parts) == 4:
        return f"交房批次 {project}/{parts[3].removesuffix('.json')}"
    elif parts[2] == "registrations" and len(parts) == 4:
        return f"办证批次 {project}/{parts[3].removesuffix('.json')}"
    else:
        owner = f"项目 {project}"
    name = parts[-1]
    if len(parts) == 3 and name == "units.json":
        return f"{owner}的楼盘表"
    if name in ("dossier.json", "project.json"):
        return f"{owner}的{'档案' if name == 'dossier.json' else '项目'}记录"
    if "documents" in parts:
        stem = name.rsplit(".", 1)[0]
        if name.endswith(".txt"):
            return f"{owner}中文件 {stem} 的文字稿"
        return f"{owner}中的归档文件 {stem}"
    return f"{owner}中的文件"


def _is_document_file(rel: str) -> bool:
    """An archived document (never rewritten), as opposed to a record file or a text sidecar."""
    return "/documents/" in rel and not rel.endswith(".txt")


def _since(last: LastChange) -> str:
    who = f"{last.actor},{last.when}" if last.actor else last.when
    return f"日志第 {last.seq} 条({who},{last.action}「{last.summary}」)"


def _how_to_resolve(rel: str) -> str:
    arg = _quote(rel)
    accept = (
        ""
        if _is_document_file(rel)
        else f"\n  · 改动无误,认可现在的内容:docgen accept {arg} --reason \"谁改的、为什么\"(记入日志)"
    )
    return (
        "请先核实这处改动(docgen verify 列出所有此类文件;docgen journal 查看历史),然后二选一:"
        f"{accept}"
        f"\n  · 改动有误,恢复日志记载的内容:docgen restore {arg} --from 备份目录"
        "(docgen 只在日志中保存哈希,不保存旧版本,需要备份;档案库中另有相同内容时可省略 --from)"
    )


def _quote(rel: str) -> str:
    return rel if all(c.isalnum() or c in "/._-" for c in rel) else json.dumps(rel, ensure_ascii=False)


class UnrecordedChangeError(IntegrityError):
    """A file to be written or deleted differs from what the journal last recorded (changed outside docgen)."""

    def __init__(self, rel: str, found: str | None, last: LastChange | None) -> None:
        self.rel, self.found, self.last = rel, found, last
        what = f"{describe_path(rel)}({rel})"
        if last is None:
            happened = f"{what}不在日志中:它是在 docgen 之外放进档案库的(sha256 {_short(found)})。"
        elif found is None:
            happened = f"{what}在 docgen 之外被删除了:{_since(last)}记载它应存在(sha256 {_short(last.after)})。"
        elif last.after is None:
            happened = f"{what}在 docgen 之外又出现了:{_since(last)}记载它已删除。"
        else:
            happened = (
                f"{what}在 docgen 之外被改动过:现在的内容(sha256 {_short(found)})"
                f"与{_since(last)}记下的({_short(last.after)})不同。"
            )
        super().__init__(
            f"{happened}\n若照常写入,这处没有记录的改动会被并入新的记录而无从追查,所以本次操作没有执行,档案库未作任何改动。\n"
            f"{_how_to_resolve(rel)}\n之后再重试本次操作。"
        )


def check_unchanged(archive: Archive, rel: str, found: str | None) -> None:
    """Raise UnrecordedChangeError unless ``found`` (the file's hash now, None if absent) is what the journal last wrote.

    Called under the write lock after the journal index was synced, so the
    lookup is one query.  A file the journal never knew and that does not exist
    is fine (a new file); so is one the journal deleted and that is still gone.
    """
    index = archive.journal_index
    if found != index.recorded_after(rel):
        raise UnrecordedChangeError(rel, found, index.recorded(rel))


# -- what is on disk vs what the journal says ---------------------------------------------
@dataclass(frozen=True, slots=True)
class FileState:
    """A file's hash on disk and the journal's last word on it."""

    path: str
    found: str | None
    last: LastChange | None

    @property
    def recorded(self) -> str | None:
        """The hash the journal last wrote (None: absent or never journaled)."""
        return self.last.after if self.last is not None else None

    @property
    def consistent(self) -> bool:
        """True when the file is what the journal says."""
        return self.found == self.recorded


def archive_rel(archive: Archive, text: str) -> str:
    """Turn what a user typed (archive-relative path, a path on disk inside the archive, or a dossier key) into a rel."""
    raw = text.strip()
    candidate = Path(raw)
    root = archive.root.resolve()
    try:  # a path on disk (absolute, or relative to the current folder) inside the archive
        rel = (candidate if candidate.is_absolute() else Path.cwd() / candidate).resolve().relative_to(root).as_posix()
    except ValueError:
        if candidate.is_absolute():
            raise UnsafePathError(f"{raw} 不在档案库 {archive.root} 内") from None
        rel = raw.replace("\\", "/").strip("/")  # archive-relative, as docgen verify prints it
    if rel.count("/") == 1 and not rel.startswith("projects/") and "." not in rel.rsplit("/", 1)[1]:
        from docgen.units import split_key

        try:
            project, unit = split_key(rel)  # a dossier key: its dossier.json
        except ValueError:
            pass
        else:
            rel = f"{archive.layout.dossier_rel(f'{project}/{unit}')}/dossier.json"
    if rel.startswith(".docgen/") or rel in ("journal.jsonl", ".docgen"):
        raise UsageError(f"{rel} 不是档案记录,无需认可或恢复(日志本身由 docgen verify 核对)")
    archive.path(rel)  # refuses ../ and absolute paths
    return rel


def file_state(archive: Archive, rel: str, *, synced: bool = False) -> FileState:
    """The file's current hash and the journal's last change of it (``synced``: under the lock, index current)."""
    path = archive.path(rel)
    found = sha256_file(path) if path.is_file() else None
    last = archive.journal_index.recorded(rel) if synced else archive.journal_index.last_change(rel)
    return FileState(rel, found, last)


def out_of_band(archive: Archive, paths: Iterable[str]) -> list[FileState]:
    """The states of ``paths`` that differ from the journal (for previews and messages)."""
    return [s for s in (file_state(archive, archive_rel(archive, p)) for p in paths) if not s.consistent]


@dataclass
class ReconcileResult:
    """What ``accept`` or ``restore`` did: the journal entry (None if nothing needed doing) and per-file notes."""

    entry: JournalEntry | None = None
    done: list[FileState] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


class _NothingToDo(Exception):
    pass


def _owner_of(rel: str) -> str:
    """The dossier key or project code a file belongs to ("" for archive-level files)."""
    parts = rel.split("/")
    if len(parts) >= 4 and parts[0] == "projects" and parts[2] == "dossiers":
        return f"{parts[1]}/{parts[3]}"
    return parts[1] if len(parts) >= 3 and parts[0] == "projects" else ""


def _target(paths: list[str]) -> str:
    owners = {_owner_of(p) for p in paths}
    return owners.pop() if len(owners) == 1 else ""


# -- accept --------------------------------------------------------------------------------
def _validate_for_accept(archive: Archive, state: FileState) -> None:
    """Refuse to take into the journal what docgen could not read back (or must never change)."""
    rel = state.path
    what = f"{describe_path(rel)}({rel})"
    if _is_document_file(rel):
        if state.last is None:
            raise UsageError(f"{what}不属于任何记录;请用 docgen ingest 归档,或移出档案库")
        raise UsageError(
            f"{what}是归档文件,归档文件不会被改动或认可(档案记录中的 sha256 仍是原件的);"
            f"请从备份或原件恢复:docgen restore {_quote(rel)} --from 备份目录"
        )
    if state.found is None:
        if rel.endswith(("dossier.json", "project.json")) or rel in ("archive.json", "counters.json"):
            raise UsageError(f"不能认可{what}被删除;请从备份恢复:docgen restore {_quote(rel)} --from 备份目录")
        return
    path = archive.path(rel)
    data = path.read_bytes()
    problem = _readable(archive, rel, data)
    if problem:
        raise RecordError(rel, [f"无法认可:{problem};请先修正该文件(或从备份恢复)再认可"])


def _readable(archive: Archive, rel: str, data: bytes) -> str | None:
    """What is wrong with the content of a record file or text sidecar (None if docgen can read it)."""
    from docgen.archive.records import parse_record
    from docgen.models import Batch, Dossier, Project, Registration

    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return f"不是 UTF-8 编码的文本(第 {exc.start} 字节起)"
    if rel.endswith(".txt"):
        return None
    parts = rel.split("/")
    try:
        if parts[-1] == "dossier.json" and len(parts) == 5:
            d = parse_record(Dossier, data, rel)
            if d.project != parts[1] or d.unit != parts[3]:
                return f"字段 project/unit: 为 {d.key},与所在目录 {parts[1]}/{parts[3]} 不符"
        elif parts[-1] == "project.json" and len(parts) == 3:
            p = parse_record(Project, data, rel)
            if p.code != parts[1]:
                return f"字段 code: 为 {p.code},但文件位于 {parts[1]} 目录"
        elif len(parts) == 4 and parts[2] == "batches":
            parse_record(Batch, data, rel)
        elif len(parts) == 4 and parts[2] == "registrations":
            parse_record(Registration, data, rel)
        elif rel == "counters.json":
            raw = json.loads(text)
            if not isinstance(raw, dict) or not all(isinstance(v, int) and not isinstance(v, bool) for v in raw.values()):
                return "应为 {\"前缀-年份\": 整数, …}"
        elif rel == "rules.json":
            from docgen.audit.rules import parse_rules

            parse_rules(data, rel)
        else:
            json.loads(text)
    except RecordError as exc:
        return "；".join(exc.problems)
    except ValueError as exc:
        return f"JSON 格式错误:{exc}"
    return None


def accept_changes(archive: Archive, paths: Iterable[str], reason: str) -> ReconcileResult:
    """Journal the current content of files changed outside docgen as accepted (who, why, what was found).

    Nothing on disk changes.  Each file must be readable as what it is (a
    dossier that parses, a counters file of integers, UTF-8 text); archived
    documents are never accepted (their record still holds the original's hash).
    """
    reason = reason.strip()
    if not reason:
        raise UsageError("请用 --reason 说明为什么认可这处改动(谁改的、为什么),它会记入日志")
    rels = list(dict.fromkeys(archive_rel(archive, p) for p in paths))
    if not rels:
        raise UsageError("请给出要认可的文件(docgen verify 列出的路径)")
    result = ReconcileResult()
    summary = f"认可在 docgen 之外的改动:{'、'.join(rels[:3])}{' 等' if len(rels) > 3 else ''}(原因:{reason})"
    try:
        with archive.transaction(ACCEPT_ACTION, _target(rels), summary) as tx:
            for rel in rels:
                state = file_state(archive, rel, synced=True)
                if state.consistent:
                    result.unchanged.append(rel)
                    continue
                _validate_for_accept(archive, state)
                tx.record_outside_change(rel, journaled=state.recorded, found=state.found)
                result.done.append(state)
            if not result.done:
                raise _NothingToDo
            tx.detail.update(_detail(result.done, reason=reason))
            if "counters.json" in rels:
                result.notes += _counter_notes(archive, tx)
    except _NothingToDo:
        return result
    result.entry = tx.entry
    return result


def _detail(states: list[FileState], **extra: str) -> dict[str, object]:
    return {
        **extra,
        "found": {s.path: s.found for s in states},
        "journaled": {s.path: {"seq": s.last.seq if s.last else None, "after": s.recorded} for s in states},
    }


def _counter_notes(archive: Archive, tx: Transaction) -> list[str]:
    """Say where an accepted ``counters.json`` is behind the ids already issued (they will not be reused)."""
    try:
        counters = json.loads(archive.path("counters.json").read_text("utf-8"))
    except (OSError, ValueError):
        return []
    notes = []
    for key, value in sorted(counters.items()):
        issued = archive.journal_index.recorded_highest_id(key)
        if isinstance(value, int) and issued > value:
            notes.append(f"counters.json 中 {key} 为 {value},低于日志中已发出的最大编号 {issued};之后仍从 {issued + 1} 起编号,不会重复")
    return notes


# -- restore ---------------------------------------------------------------------------------
def _find_copy(archive: Archive, state: FileState, source: Path | None) -> Path:
    """A file with exactly the journaled content: in the backup, or elsewhere in the archive."""
    rel, wanted = state.path, state.recorded
    what = f"{describe_path(rel)}({rel})"
    assert wanted is not None
    if source is not None:
        if source.is_dir():
            candidates = [source / rel, source / "records" / rel]
            found = next((c for c in candidates if c.is_file()), None)
            if found is None:
                raise NotFoundError(f"备份 {source} 中没有 {rel}")
        elif source.is_file():
            found = source
        else:
            raise NotFoundError(f"备份 {source} 不存在")
        digest = sha256_file(found)
        if digest != wanted:
            since = _since(state.last) if state.last else "日志"
            raise IntegrityError(
                f"备份中的 {found}(sha256 {_short(digest)})不是{since}记下的版本({_short(wanted)}),未恢复{what}。"
                "若确实要采用备份中的这一版,请把它复制回档案库后用 docgen accept 认可"
            )
        return found
    for other in archive.journal_index.paths_with(wanted):
        path = archive.root / other
        if other != rel and path.is_file() and sha256_file(path) == wanted:
            return path
    raise NotFoundError(
        f"docgen 只在日志中保存文件的哈希,不保存旧内容,档案库中也没有与{_since(state.last) if state.last else '日志'}"
        f"记下的版本({_short(wanted)})相同的文件,因此无法自行恢复{what}。"
        f"请用 --from 指定备份(档案库的副本,或该文件的副本):docgen restore {_quote(rel)} --from 备份目录"
    )


def restore_files(archive: Archive, paths: Iterable[str], source: Path | None = None) -> ReconcileResult:
    """Put back the journaled content of files changed outside docgen (from ``source`` or an identical copy in the archive)."""
    rels = list(dict.fromkeys(archive_rel(archive, p) for p in paths))
    if not rels:
        raise UsageError("请给出要恢复的文件(docgen verify 列出的路径)")
    if source is not None and source.is_file() and len(rels) > 1:
        raise UsageError("--from 是单个文件时只能恢复一个文件;恢复多个文件请给出备份目录")
    result = ReconcileResult()
    summary = f"恢复在 docgen 之外被改动的文件:{'、'.join(rels[:3])}{' 等' if len(rels) > 3 else ''}"
    sources: dict[str, str] = {}
    try:
        with archive.transaction(RESTORE_ACTION, _target(rels), summary) as tx:
            for rel in rels:
                state = file_state(archive, rel, synced=True)
                if state.consistent:
                    result.unchanged.append(rel)
                    continue
                if state.recorded is None:
                    where = "从未记载过它" if state.last is None else f"第 {state.last.seq} 条记载它已删除"
                    raise UsageError(
                        f"日志{where},没有内容可恢复{describe_path(rel)}({rel});"
                        "如果它不该在档案库中,请把它移出;如果它是对的,请用 docgen accept 认可"
                    )
                copy = _find_copy(archive, state, source)
                tx.put_restored(rel, copy, journaled=state.recorded)
                sources[rel] = str(copy)
                result.done.append(state)
            if not result.done:
                raise _NothingToDo
            tx.detail.update(_detail(result.done))
            tx.detail["sources"] = sources
    except _NothingToDo:
        return result
    result.entry = tx.entry
    return result


__all__ = [
    "FileState",
    "ReconcileResult",
    "UnrecordedChangeError",
    "accept_changes",
    "archive_rel",
    "check_unchanged",
    "describe_path",
    "file_state",
    "out_of_band",
    "restore_files",
]
