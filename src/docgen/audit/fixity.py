"""Fixity: is every file in the archive what the records and the journal say it is?

``docgen verify`` checks, and names each problem:

- the journal's hash chain (:meth:`Journal.verify`), and that each entry's
  ``before`` hash of a file equals the ``after`` of the previous entry that
  touched it: a gap means the file was changed outside docgen and a later
  write carried the change into the record (``FIXITY.UNRECORDED_CHANGE``);
- every file the journal knows (record files, archived documents, their text
  sidecars) against the ``after`` hash of the last entry that touched it,
  which catches an edit made behind the journal's back (a hand edit, a rolled
  back ``counters.json``, a corrected OCR text, a restored backup, a rogue
  script); files it says exist that are gone; record files it never heard of;
- every document file against the sha256 in its record, and that its text
  sidecar exists;
- orphans: files in a ``documents/`` folder (or a dossier folder) that no
  record mentions, and dossier folders without ``dossier.json``;
- that no document or case id is used twice in the archive, and that
  ``counters.json`` is not behind the ids in use.

It streams: one dossier at a time, plus compact maps of every journaled
file's last hash and entry (32 bytes a file), and reads the journal twice
(once for the hashes and the chain, once for files the walk did not meet).
It trusts only the journal itself, never the derived journal index.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from docgen.archive.fsutil import sha256_file
from docgen.archive.reconcile import describe_path
from docgen.audit.crossindex import CompactMap, CrossIndex, fingerprint
from docgen.errors import DocgenError
from docgen.models import Document
from docgen.progress import Progress

if TYPE_CHECKING:
    from docgen.archive.store import Archive, Owner


@dataclass(frozen=True, slots=True)
class FixityProblem:
    """One fixity problem: a stable code, the archive-relative path, and what is wrong."""

    code: str
    path: str
    message: str
    severity: str = "error"

    def as_dict(self) -> dict[str, str]:
        """JSON form."""
        return {"code": self.code, "severity": self.severity, "path": self.path, "message": self.message}


@dataclass
class FixityStats:
    """What was checked."""

    records: int = 0
    dossiers: int = 0
    documents: int = 0
    texts: int = 0
    bytes: int = 0
    journal_entries: int = 0
    problems: dict[str, int] = field(default_factory=dict)


DELETED = 0  # the journal's last entry deleted the file
CHECKED = 2  # the walk met the file and compared it (hash values are odd, so never 2)
_ID_RE = re.compile(r"([A-Z]{2,3}-\d{4})-(\d+)")


def _hash_value(digest: str) -> int:
    """A file hash as the 64-bit value kept in the map (odd, so never DELETED or CHECKED)."""
    return int(digest[:16], 16) | 1


def _kind(rel: str) -> str:
    """record | text | document: what a journaled path is, for the problem code."""
    if "/documents/" not in rel:
        return "record"
    return "text" if rel.endswith(".txt") else "document"


_CHANGED_CODE = {"record": "FIXITY.RECORD_CHANGED", "text": "FIXITY.TEXT_CHANGED", "document": "FIXITY.HASH_MISMATCH"}
_RESOLVE = "核实后用 docgen accept 认可(记入日志)或 docgen restore 从备份恢复"


def _journal_changes(archive: Archive, stats: FixityStats | None = None) -> Iterator[tuple[int, str, str | None, str | None]]:
    """Stream (seq, path, before, after) for every file change in the journal, oldest first."""
    try:
        fh = open(archive.layout.journal, "rb")  # noqa: SIM115
    except FileNotFoundError:
        return
    with fh:
        for raw in fh:
            if not raw.endswith(b"\n"):
                break
            try:
                entry = json.loads(raw)
                files = entry.get("files", [])
                seq = int(entry.get("seq", 0))
            except (ValueError, AttributeError, TypeError):
                continue  # the chain check reports the bad line
            if stats is not None:
                stats.journal_entries += 1
            for change in files if isinstance(files, list) else []:
                if isinstance(change, dict) and isinstance(change.get("path"), str):
                    before, after = change.get("before"), change.get("after")
                    yield (seq, change["path"], before if isinstance(before, str) else None,
                           after if isinstance(after, str) else None)


@dataclass
class JournalView:
    """What the journal last wrote for each file (hash and entry seq), in compact tables."""

    hashes: CompactMap = field(default_factory=CompactMap)
    seqs: CompactMap = field(default_factory=CompactMap)
    gaps: list[tuple[int, int, str, str | None, int]] = field(default_factory=list)  # seq, prev seq, path, before, prev value

    def value(self, rel: str) -> int | None:
        """The last hash value (or DELETED/CHECKED) for a path, None if the journal never touched it."""
        return self.hashes.get(fingerprint(rel))

    def seq(self, rel: str) -> int:
        """The seq of the last entry that touched a path (0 if none)."""
        return self.seqs.get(fingerprint(rel)) or 0


def journal_view(archive: Archive, stats: FixityStats | None = None) -> JournalView:
    """Read the journal once: last hash and entry per file, and every entry whose ``before`` breaks the chain."""
    view = JournalView()
    for seq, rel, before, after in _journal_changes(archive, stats):
        fp = fingerprint(rel)
        prev = view.hashes.get(fp)
        if before is None:
            ok = prev is None or prev == DELETED
        else:
            ok = prev is not None and prev != DELETED and _hash_value(before) == prev
        if not ok:
            view.gaps.append((seq, view.seqs.get(fp) or 0, rel, before, prev if prev is not None else -1))
        view.hashes.put(fp, _hash_value(after) if after else DELETED)
        view.seqs.put(fp, seq)
    return view


def journal_last_hashes(archive: Archive, stats: FixityStats | None = None) -> CompactMap:
    """Map each file the journal touched (by path fingerprint) to the last ``after`` hash it wrote (DELETED if deleted)."""
    return journal_view(archive, stats).hashes


class Verifier:
    """Runs the fixity checks over an archive; iterate :meth:`run` for the problems."""

    def __init__(self, archive: Archive) -> None:
        self.archive = archive
        self.stats = FixityStats()
        self.ids = CrossIndex()
        self._highest: dict[str, tuple[int, str]] = {}  # prefix-year -> (number, id) in use

    def _problem(self, code: str, path: str, message: str, severity: str = "error") -> FixityProblem:
        self.stats.problems[code] = self.stats.problems.get(code, 0) + 1
        return FixityProblem(code, path, message, severity)

    def run(self, progress: Progress | None = None) -> Iterator[FixityProblem]:
        """Yield every fixity problem found."""
        archive = self.archive
        for p in archive.journal.verify():
            yield self._problem("FIXITY.JOURNAL", "journal.jsonl", f"日志第 {p.line} 行:{p.message}")
        yield from self._pending_transactions()
        view = journal_view(archive, self.stats)
        self.view = view
        for seq, prev_seq, rel, before, prev in view.gaps:
            yield self._gap(seq, prev_seq, rel, before, prev)
        yield from self._check_record_file("archive.json")
        for rel in (archive.layout.counters_rel, archive.layout.rules_rel):
            if archive.path(rel).is_file():
                yield from self._check_record_file(rel)
        codes = sorted(p.name for p in archive.layout.projects.iterdir() if p.is_dir()) if archive.layout.projects.is_dir() else []
        for code in codes:
            yield from self._check_project(code, progress)
        yield from self._unvisited()
        yield from self._check_counters()

    # -- the journal ---------------------------------------------------------------------
    def _pending_transactions(self) -> Iterator[FixityProblem]:
        """A committed transaction still in flight makes its files look changed: say so rather than leave it unexplained."""
        folder = self.archive.layout.txn_dir
        if not folder.is_dir():
            return
        for entry in sorted(os.scandir(folder), key=lambda e: e.name):
            if entry.is_dir() and os.path.isfile(os.path.join(entry.path, "manifest.json")):
                yield self._problem(
                    "FIXITY.PENDING_TXN", f".docgen/txn/{entry.name}",
                    f"事务 {entry.name} 已提交但尚未完成(写入时被中断),它涉及的文件可能显示为与日志不符;"
                    "下一次通过 docgen 修改档案库时会自动补完,之后请重新核对",
                    "warning",
                )

    def _gap(self, seq: int, prev_seq: int, rel: str, before: str | None, prev: int) -> FixityProblem:
        what = f"{describe_path(rel)}({rel})"
        if prev == -1:
            earlier = "而此前日志从未记载过它(它是在 docgen 之外放进来的)"
        elif prev == DELETED:
            earlier = f"而此前第 {prev_seq} 条记载它已删除"
        else:
            earlier = f"而此前第 {prev_seq} 条写入的是 {f'{prev:016x}'[:12]}…"
        shown = f"sha256 {before[:12]}…" if before else "不存在"
        return self._problem(
            "FIXITY.UNRECORDED_CHANGE", rel,
            f"日志第 {seq} 条记载{what}改动前为 {shown},{earlier}:两条之间它在 docgen 之外被改动过,"
            f"这处改动随第 {seq} 条并入了记录而没有留下记载;请核实该文件现在的内容(可与备份比对)",
        )

    def _compare(self, rel: str, digest: str | None) -> Iterator[FixityProblem]:
        """Compare a file the walk met (``digest`` None: it is gone) with the journal's last word on it."""
        fp = fingerprint(rel)
        value = self.view.hashes.get(fp)
        if value == CHECKED:
            return
        if value is not None:
            self.view.hashes.put(fp, CHECKED)
        if digest is not None and value is not None and value not in (DELETED, CHECKED) and _hash_value(digest) == value:
            return  # the common case: what the journal says
        kind = _kind(rel)
        what = f"{describe_path(rel)}({rel})"
        seq = self.view.seqs.get(fp) or 0
        if digest is None:
            if value not in (None, DELETED):
                yield self._problem(
                    "FIXITY.RECORD_MISSING" if kind == "record" else "FIXITY.MISSING_FILE", rel,
                    f"日志第 {seq} 条记载{what}应存在,但文件不见了;请从备份恢复(docgen restore {rel} --from 备份目录)",
                    "error" if kind != "text" else "warning",
                )
            return
        if value is None:
            if kind == "record":
                yield self._problem(
                    "FIXITY.UNJOURNALED", rel,
                    f"记录文件 {rel} 不在日志中,是绕过 docgen 放进来的;请核实来源,确认无误后用 docgen accept 认可",
                )
            else:
                yield self._problem(
                    "FIXITY.UNJOURNALED", rel, f"{what}不在日志中,是绕过 docgen 放进来的;请核实来源"
                )
        elif value == DELETED:
            yield self._problem(_CHANGED_CODE[kind], rel, f"日志第 {seq} 条记载{what}已删除,但它又出现了;请核实来源")
        elif _hash_value(digest) != value:
            recorded = f"{value:016x}"[:12]
            effect = {
                "record": "说明它在 docgen 之外被改过",
                "text": "说明文字稿在 docgen 之外被改过,检索和审计读到的是改过的文字",
                "document": "说明归档文件在 docgen 之外被替换过",
            }[kind]
            yield self._problem(
                _CHANGED_CODE[kind], rel,
                f"{what}的内容与日志第 {seq} 条记载的不同(sha256 {digest[:12]}… ≠ {recorded}…),{effect};"
                f"请用 docgen journal 查看历史,{_RESOLVE}",
            )

    def _unvisited(self) -> Iterator[FixityProblem]:
        """Files the journal knows that the walk did not meet: gone, or somewhere no record leads to."""
        for _seq, rel, _before, _after in _journal_changes(self.archive):
            value = self.view.hashes.get(fingerprint(rel))
            if value is None or value in (DELETED, CHECKED):
                continue
            path = self.archive.root / rel
            yield from self._compare(rel, sha256_file(path) if path.is_file() else None)

    # -- record files ----------------------------------------------------------------------
    def _check_record_file(self, rel: str) -> Iterator[FixityProblem]:
        """Compare an existing record file with the last hash the journal wrote for it."""
        path = self.archive.root / rel
        if not path.is_file():
            return  # a missing record file is found by the second journal pass
        self.stats.records += 1
        yield from self._compare(rel, sha256_file(path))

    def _check_counters(self) -> Iterator[FixityProblem]:
        """counters.json must not be behind the ids in use (docgen would still not reuse them: it asks the journal)."""
        rel = self.archive.layout.counters_rel
        try:
            counters = json.loads((self.archive.root / rel).read_text("utf-8"))
        except (OSError, ValueError):
            return
        if not isinstance(counters, dict):
            return
        for key, (number, record_id) in sorted(self._highest.items()):
            value = counters.get(key, 0)
            if isinstance(value, int) and value < number:
                yield self._problem(
                    "FIXITY.COUNTER_BEHIND", rel,
                    f"编号计数器 {key} 为 {value},但档案中已有编号 {record_id}(计数器被回退或改动过);"
                    "docgen 仍按日志记载的最大编号继续编号,不会重复,但请核实 counters.json 的来历",
                    "warning",
                )

    def _note_ids(self, owner_key: str, ids: list[str], rel: str) -> Iterator[FixityProblem]:
        """Every document and case id once in the whole archive."""
        seen: set[str] = set()
        for record_id in ids:
            m = _ID_RE.fullmatch(record_id)
            if m and int(m[2]) > self._highest.get(m[1], (0, ""))[0]:
                self._highest[m[1]] = (int(m[2]), record_id)
            if record_id in seen:
                yield self._problem("FIXITY.DUPLICATE_ID", rel, f"编号 {record_id} 在 {owner_key} 中出现了不止一次;编号在档案库中必须唯一,请人工核对")
                continue
            seen.add(record_id)
            other = self.ids.seen_record_id(owner_key, record_id)
            if other:
                yield self._problem(
                    "FIXITY.DUPLICATE_ID", rel,
                    f"编号 {record_id} 同时出现在 {other} 和 {owner_key} 中;编号在档案库中必须唯一"
                    "(多半是 counters.json 被回退后重复编号),请人工核对哪一份应改用新编号",
                )

    # -- the walk ------------------------------------------------------------------------------
    def _check_project(self, code: str, progress: Progress | None) -> Iterator[FixityProblem]:
        archive = self.archive
        base = f"projects/{code}"
        folder = archive.layout.projects / code
        yield from self._check_record_file(f"{base}/project.json")
        try:
            project = archive.project(code)
        except DocgenError as exc:
            yield self._problem("FIXITY.UNREADABLE", f"{base}/project.json", f"项目文件无法读取:{exc}")
        else:
            yield from self._note_ids(code, [d.id for d in project.documents], f"{base}/project.json")
            yield from self._check_documents(project, f"{base}/documents", project.documents)
        if (folder / "units.json").is_file():  # the 楼盘表
            yield from self._check_record_file(f"{base}/units.json")
        batches = folder / "batches"
        if batches.is_dir():
            for entry in sorted(os.scandir(batches), key=lambda e: e.name):
                rel = f"{base}/batches/{entry.name}"
                if entry.is_file() and entry.name.endswith(".json"):
                    yield from self._check_record_file(rel)
                else:
                    yield self._problem("FIXITY.ORPHAN", rel, f"{rel} 不是交房批次文件,不属于任何记录;请移出档案库")
        registrations = folder / "registrations"
        if registrations.is_dir():
            for entry in sorted(os.scandir(registrations), key=lambda e: e.name):
                rel = f"{base}/registrations/{entry.name}"
                if entry.is_file() and entry.name.endswith(".json"):
                    yield from self._check_record_file(rel)
                else:
                    yield self._problem("FIXITY.ORPHAN", rel, f"{rel} 不是办证批次文件,不属于任何记录;请移出档案库")
        dossiers = folder / "dossiers"
        if not dossiers.is_dir():
            return
        for entry in sorted(os.scandir(dossiers), key=lambda e: e.name):
            rel = f"{base}/dossiers/{entry.name}"
            if not entry.is_dir():
                yield self._problem("FIXITY.ORPHAN", rel, f"{rel} 不属于任何档案;请移出档案库")
                continue
            yield from self._check_dossier(f"{code}/{entry.name}", rel)
            self.stats.dossiers += 1
            if progress is not None:
                progress("核对", self.stats.dossiers, 0, f"{code}/{entry.name}")

    def _check_dossier(self, key: str, rel: str) -> Iterator[FixityProblem]:
        archive = self.archive
        folder = archive.root / rel
        dossier = None
        if (folder / "dossier.json").is_file():
            yield from self._check_record_file(f"{rel}/dossier.json")
            try:
                dossier = archive.dossier(key)
            except DocgenError as exc:
                yield self._problem("FIXITY.UNREADABLE", f"{rel}/dossier.json", f"档案文件无法读取:{exc}")
        for entry in os.scandir(folder):
            if entry.name not in ("dossier.json", "documents"):
                yield self._problem("FIXITY.ORPHAN", f"{rel}/{entry.name}", f"{rel}/{entry.name} 不属于档案的任何记录;请核实后移出档案库或归档")
        if dossier is not None:
            ids = [d.id for d in dossier.documents] + [r.id for kind in ("repairs", "complaints", "revisits", "settlements")
                                                      for r in getattr(dossier, kind)]
            yield from self._note_ids(key, ids, f"{rel}/dossier.json")
            yield from self._check_documents(dossier, f"{rel}/documents", dossier.documents)
        elif (folder / "documents").is_dir():
            yield from self._check_documents(None, f"{rel}/documents", [])

    def _check_documents(self, owner: Owner | None, rel: str, docs: list[Document]) -> Iterator[FixityProblem]:
        folder = self.archive.root / rel
        referenced: set[str] = set()
        for doc in docs:
            referenced.add(doc.file)
            path = folder / doc.file
            self.stats.documents += 1
            try:
                size = path.stat().st_size
            except FileNotFoundError:
                yield self._problem("FIXITY.MISSING_FILE", f"{rel}/{doc.file}", f"文件 {doc.id}({doc.type_label})缺失;请从备份或原件恢复")
                self._mark(f"{rel}/{doc.file}")
            else:
                self.stats.bytes += size
                digest = sha256_file(path)
                if digest != doc.sha256:
                    yield self._problem(
                        "FIXITY.HASH_MISMATCH",
                        f"{rel}/{doc.file}",
                        f"文件 {doc.id}({doc.type_label})的 sha256 与记录不符(被改动或损坏);请从备份或原件恢复",
                    )
                    self._mark(f"{rel}/{doc.file}")
                else:
                    yield from self._compare(f"{rel}/{doc.file}", digest)
            if doc.text_file:
                referenced.add(doc.text_file)
                text_path = folder / doc.text_file
                if not text_path.is_file():
                    yield self._problem(
                        "FIXITY.MISSING_TEXT",
                        f"{rel}/{doc.text_file}",
                        f"文件 {doc.id} 的文字稿 {doc.text_file} 缺失;检索和审计将看不到它的内容,请重新识别",
                        "warning",
                    )
                    self._mark(f"{rel}/{doc.text_file}")
                else:
                    self.stats.texts += 1
                    yield from self._compare(f"{rel}/{doc.text_file}", sha256_file(text_path))
        if not folder.is_dir():
            return
        for entry in sorted(os.scandir(folder), key=lambda e: e.name):
            if entry.name not in referenced:
                yield self._problem(
                    "FIXITY.ORPHAN",
                    f"{rel}/{entry.name}",
                    f"{rel}/{entry.name} 不属于任何记录(孤立文件);请用 docgen ingest 归档或移出档案库",
                )

    def _mark(self, rel: str) -> None:
        """Note a file as already reported, so the journal pass does not report it again."""
        fp = fingerprint(rel)
        if self.view.hashes.get(fp) is not None:
            self.view.hashes.put(fp, CHECKED)


def verify_archive(archive: Archive) -> tuple[list[FixityProblem], FixityStats]:
    """Run every fixity check and return the problems and what was checked."""
    verifier = Verifier(archive)
    problems = list(verifier.run())
    return problems, verifier.stats
