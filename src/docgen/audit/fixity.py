"""Fixity: is every file in the archive what the records and the journal say it is?

``docgen verify`` checks, and names each problem:

- every document file (dossiers and projects) against the sha256 in its record,
  and that its text sidecar exists;
- orphans: files in a ``documents/`` folder (or a dossier folder) that no
  record mentions, and dossier folders without ``dossier.json``;
- the journal's hash chain (:meth:`Journal.verify`);
- that each record file (``dossier.json``, ``project.json``, batches,
  ``counters.json``, ``rules.json``, ``archive.json``) still has the hash the
  last journal entry that touched it wrote, which catches an edit made behind
  the journal's back (a hand edit, a restored backup, a rogue script);
- record files the journal never heard of, or that it says exist but are gone.

It streams: one dossier at a time, plus a compact map of the record files'
last hashes (16 bytes a record file, not per document), and reads the journal
twice (once for the hashes, once for record files that have gone missing).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from docgen.archive.fsutil import sha256_file
from docgen.audit.crossindex import CompactMap, fingerprint
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
    bytes: int = 0
    journal_entries: int = 0
    problems: dict[str, int] = field(default_factory=dict)


def _is_record_path(rel: str) -> bool:
    return "/documents/" not in rel and not rel.startswith(".")


DELETED = 0


def _hash_value(digest: str) -> int:
    """A file hash as the 64-bit value kept in the map (never 0, which means deleted)."""
    return int(digest[:16], 16) | 1


def _journal_changes(archive: Archive, stats: FixityStats | None = None) -> Iterator[tuple[str, str | None]]:
    """Stream (path, after) for every record file change in the journal, oldest first."""
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
            except (ValueError, AttributeError):
                continue  # the chain check reports the bad line
            if stats is not None:
                stats.journal_entries += 1
            for change in files if isinstance(files, list) else []:
                if isinstance(change, dict) and isinstance(change.get("path"), str) and _is_record_path(change["path"]):
                    after = change.get("after")
                    yield change["path"], after if isinstance(after, str) else None


def journal_last_hashes(archive: Archive, stats: FixityStats | None = None) -> CompactMap:
    """Map each record file the journal touched (by path fingerprint) to the last ``after`` hash it wrote.

    A compact table (16 bytes a record file) rather than a dict of strings,
    so that verifying a 20,000-household archive stays small.
    """
    last = CompactMap()
    for path, after in _journal_changes(archive, stats):
        last.put(fingerprint(path), _hash_value(after) if after else DELETED)
    return last


class Verifier:
    """Runs the fixity checks over an archive; iterate :meth:`run` for the problems."""

    def __init__(self, archive: Archive) -> None:
        self.archive = archive
        self.stats = FixityStats()

    def _problem(self, code: str, path: str, message: str, severity: str = "error") -> FixityProblem:
        self.stats.problems[code] = self.stats.problems.get(code, 0) + 1
        return FixityProblem(code, path, message, severity)

    def run(self, progress: Progress | None = None) -> Iterator[FixityProblem]:
        """Yield every fixity problem found."""
        archive = self.archive
        for p in archive.journal.verify():
            yield self._problem("FIXITY.JOURNAL", "journal.jsonl", f"日志第 {p.line} 行:{p.message}")
        expected = journal_last_hashes(archive, self.stats)
        yield from self._check_record_file("archive.json", expected)
        for rel in (archive.layout.counters_rel, archive.layout.rules_rel):
            if archive.path(rel).is_file():
                yield from self._check_record_file(rel, expected)
        codes = sorted(p.name for p in archive.layout.projects.iterdir() if p.is_dir()) if archive.layout.projects.is_dir() else []
        for code in codes:
            yield from self._check_project(code, expected, progress)
        # second pass over the journal: record files it says exist that are gone
        reported: set[int] = set()  # missing files are rare: a plain set is fine
        for rel, _after in _journal_changes(archive):
            fp = fingerprint(rel)
            if fp not in reported and expected.get(fp) != DELETED and not (archive.root / rel).is_file():
                reported.add(fp)
                yield self._problem(
                        "FIXITY.RECORD_MISSING", rel, f"日志记载 {rel} 应存在,但文件不见了;请从备份恢复(docgen journal 可查最后一次改动)"
                    )

    def _check_record_file(self, rel: str, expected: CompactMap) -> Iterator[FixityProblem]:
        """Compare an existing record file with the last hash the journal wrote for it."""
        path = self.archive.root / rel
        after = expected.get(fingerprint(rel))
        if not path.is_file():
            return  # a missing record file is found by the second journal pass
        self.stats.records += 1
        digest = sha256_file(path)
        if after is None:
            yield self._problem(
                "FIXITY.UNJOURNALED", rel, f"记录文件 {rel} 不在日志中,是绕过 docgen 放进来的;请核实来源,确认无误后通过 docgen 重新保存"
            )
        elif after == DELETED:
            yield self._problem("FIXITY.RECORD_CHANGED", rel, f"日志记载 {rel} 已删除,但它又出现了;请核实来源")
        elif _hash_value(digest) != after:
            recorded = f"{after:016x}"[:12]
            yield self._problem(
                "FIXITY.RECORD_CHANGED",
                rel,
                f"记录文件 {rel} 的内容与日志最后一次记载的不同(sha256 {digest[:12]}… ≠ {recorded}…),"
                "说明它在 docgen 之外被改过;请用 docgen journal 查看历史,核实改动后通过 docgen 重新保存或从备份恢复",
            )

    def _check_project(
        self, code: str, expected: CompactMap, progress: Progress | None
    ) -> Iterator[FixityProblem]:
        archive = self.archive
        base = f"projects/{code}"
        folder = archive.layout.projects / code
        yield from self._check_record_file(f"{base}/project.json", expected)
        try:
            project = archive.project(code)
        except DocgenError as exc:
            yield self._problem("FIXITY.UNREADABLE", f"{base}/project.json", f"项目文件无法读取:{exc}")
        else:
            yield from self._check_documents(project, f"{base}/documents", project.documents)
        batches = folder / "batches"
        if batches.is_dir():
            for entry in sorted(os.scandir(batches), key=lambda e: e.name):
                rel = f"{base}/batches/{entry.name}"
                if entry.is_file() and entry.name.endswith(".json"):
                    yield from self._check_record_file(rel, expected)
                else:
                    yield self._problem("FIXITY.ORPHAN", rel, f"{rel} 不是交房批次文件,不属于任何记录;请移出档案库")
        dossiers = folder / "dossiers"
        if not dossiers.is_dir():
            return
        for entry in sorted(os.scandir(dossiers), key=lambda e: e.name):
            rel = f"{base}/dossiers/{entry.name}"
            if not entry.is_dir():
                yield self._problem("FIXITY.ORPHAN", rel, f"{rel} 不属于任何档案;请移出档案库")
                continue
            yield from self._check_dossier(f"{code}/{entry.name}", rel, expected)
            self.stats.dossiers += 1
            if progress is not None:
                progress("核对", self.stats.dossiers, 0, f"{code}/{entry.name}")

    def _check_dossier(self, key: str, rel: str, expected: CompactMap) -> Iterator[FixityProblem]:
        archive = self.archive
        folder = archive.root / rel
        dossier = None
        if (folder / "dossier.json").is_file():
            yield from self._check_record_file(f"{rel}/dossier.json", expected)
            try:
                dossier = archive.dossier(key)
            except DocgenError as exc:
                yield self._problem("FIXITY.UNREADABLE", f"{rel}/dossier.json", f"档案文件无法读取:{exc}")
        for entry in os.scandir(folder):
            if entry.name not in ("dossier.json", "documents"):
                yield self._problem("FIXITY.ORPHAN", f"{rel}/{entry.name}", f"{rel}/{entry.name} 不属于档案的任何记录;请核实后移出档案库或归档")
        if dossier is not None:
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
            else:
                self.stats.bytes += size
                digest = sha256_file(path)
                if digest != doc.sha256:
                    yield self._problem(
                        "FIXITY.HASH_MISMATCH",
                        f"{rel}/{doc.file}",
                        f"文件 {doc.id}({doc.type_label})的 sha256 与记录不符(被改动或损坏);请从备份或原件恢复",
                    )
            if doc.text_file:
                referenced.add(doc.text_file)
                if not (folder / doc.text_file).is_file():
                    yield self._problem(
                        "FIXITY.MISSING_TEXT",
                        f"{rel}/{doc.text_file}",
                        f"文件 {doc.id} 的文字稿 {doc.text_file} 缺失;检索和审计将看不到它的内容,请重新识别",
                        "warning",
                    )
        if not folder.is_dir():
            return
        for entry in sorted(os.scandir(folder), key=lambda e: e.name):
            if entry.name not in referenced:
                yield self._problem(
                    "FIXITY.ORPHAN",
                    f"{rel}/{entry.name}",
                    f"{rel}/{entry.name} 不属于任何记录(孤立文件);请用 docgen ingest 归档或移出档案库",
                )


def verify_archive(archive: Archive) -> tuple[list[FixityProblem], FixityStats]:
    """Run every fixity check and return the problems and what was checked."""
    verifier = Verifier(archive)
    problems = list(verifier.run())
    return problems, verifier.stats


