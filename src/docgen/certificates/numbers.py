"""Numbers that name one thing in the whole archive: a household's 不动产权证号, a submission's 受理编号.

A 不动产权证号 (``闽(2026)福州市不动产权第0061234号``) is issued for one
不动产单元: one household holds it, and a second household recorded with it
is a typo (usually the row above, copied).  A 受理编号 is what the registry
(不动产登记中心) gives one submission: two registration batches with the same
one are a mistake.  Both are refused when recorded (:func:`refuse_taken_certificate`,
:func:`refuse_taken_receipt`), archive-wide: the numbers carry the province,
city and registry, so two projects cannot legitimately share one.  Numbers are
compared as :func:`number_key` folds them, so ``闽（2026）…第 0061234 号`` typed
with full-width brackets and spaces is the same number.

Where the numbers are: a dossier's ``certificate_no`` (recorded by ``cert
collect``, by ``dossier set``, or before batches existed), a registration
entry's ``certificate_no`` and a registration batch's ``receipt_no``.  Looking
a number up by reading every dossier would cost seconds at 20,000 households,
under the write lock, on every certificate recorded; :class:`NumberIndex` is
instead **derived** and kept current from the journal, like the journal index:
it remembers which numbers each record file holds and the journal position it
reflects (``.docgen/certificate-numbers.json``).  Brought up to date under the
write lock, it re-reads only the record files the journal names since; it is
rebuilt by one byte scan of the record files when it is missing, damaged, of
another version, or the journal no longer continues where it stopped.  A file
edited by hand outside docgen is not seen until ``docgen accept`` journals it
(``docgen verify`` reports it meanwhile).
"""

from __future__ import annotations

import json
import re
import threading
import unicodedata
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, NamedTuple

from docgen.errors import ConflictError, DocgenError, quoted
from docgen.units import parse_unit

if TYPE_CHECKING:
    from docgen.archive import Archive

INDEX_FILE = "certificate-numbers.json"
VERSION = 1
CERTIFICATE, RECEIPT = "certificate", "receipt"
_DOSSIER_RE = re.compile(r"^projects/([^/]+)/dossiers/([^/]+)/dossier\.json$")
_REGISTRATION_RE = re.compile(r"^projects/([^/]+)/registrations/([^/]+)\.json$")
# the dossier's own field (no nested record has one; a quote inside a string value is escaped, so cannot match)
_CERTIFICATE_FIELD = re.compile(rb'"certificate_no"\s*:\s*"((?:[^"\\]|\\.)*)"')
_SAVE_AFTER = 200
"""Write the index file after this many journal entries read, even if no number changed (the next process reads fewer)."""


def number_key(text: str) -> str:
    """The form two numbers are compared in: NFKC (full-width brackets and digits), no spaces, upper case."""
    return "".join(unicodedata.normalize("NFKC", text).split()).upper()


class Holder(NamedTuple):
    """Who holds a number: a household (``unit``), through its dossier or a batch (``registration``), or a batch."""

    project: str
    unit: str = ""
    registration: str = ""

    @property
    def key(self) -> str:
        """The household's dossier key (``HXSZ/05-1-0502``), or the batch's ref."""
        return f"{self.project}/{self.unit}" if self.unit else f"{self.project}/{self.registration}"


Record = tuple[str, str, str, str, str]
"""(kind, number key, project, unit, registration): one number one record file holds (plain, so loading is cheap)."""


def _dossier_records(project: str, unit: str, data: bytes) -> list[Record]:
    m = _CERTIFICATE_FIELD.search(data)
    if m is None:
        return []
    try:
        number = json.loads(b'"' + m.group(1) + b'"')
    except ValueError:
        return []
    key = number_key(number) if isinstance(number, str) else ""
    return [(CERTIFICATE, key, project, unit, "")] if key else []


def _registration_records(project: str, registration: str, data: bytes) -> list[Record]:
    try:
        record = json.loads(data)
    except ValueError:
        return []  # an unreadable batch holds nothing here; loading it reports the file
    if not isinstance(record, dict):
        return []
    out: list[Record] = []
    receipt = number_key(str(record.get("receipt_no") or ""))
    if receipt:
        out.append((RECEIPT, receipt, project, "", registration))
    for entry in record.get("households") or []:
        if not isinstance(entry, dict):
            continue
        number = number_key(str(entry.get("certificate_no") or ""))
        try:
            unit = parse_unit(str(entry.get("unit", ""))).code
        except ValueError:
            continue
        if number:
            out.append((CERTIFICATE, number, project, unit, registration))
    return out


def records_of(archive: Archive, rel: str) -> list[Record] | None:
    """The numbers the record file ``rel`` holds now ([] if it is gone); None if it is no dossier or batch."""
    dossier = _DOSSIER_RE.match(rel)
    registration = _REGISTRATION_RE.match(rel) if dossier is None else None
    if dossier is None and registration is None:
        return None
    try:
        data = (archive.root / rel).read_bytes()
    except (FileNotFoundError, NotADirectoryError):
        return []
    if dossier is not None:
        return _dossier_records(dossier[1], dossier[2], data)
    assert registration is not None
    return _registration_records(registration[1], registration[2], data)


class NumberIndex:
    """Which record files hold which 不动产权证号 and 受理编号, as of one journal position."""

    def __init__(self, position: tuple[int, str] = (0, ""), files: dict[str, list[Record]] | None = None) -> None:
        self.position = position
        self._files: dict[str, list[Record]] = {}
        self._by_number: dict[tuple[str, str], dict[tuple[str, str, str], int]] = {}
        for rel, records in (files or {}).items():
            self._put(rel, records)

    # -- keeping it current ----------------------------------------------------------------------
    def _put(self, rel: str, records: list[Record]) -> bool:
        """Replace what ``rel`` holds; True if that changed anything."""
        old = self._files.pop(rel, [])
        if old == records:
            if records:
                self._files[rel] = records
            return False
        for kind, key, project, unit, registration in old:
            holder = (project, unit, registration)
            counts = self._by_number.get((kind, key), {})
            counts[holder] = counts.get(holder, 1) - 1
            if counts[holder] <= 0:
                counts.pop(holder, None)
            if not counts:
                self._by_number.pop((kind, key), None)
        for kind, key, project, unit, registration in records:
            holder = (project, unit, registration)
            counts = self._by_number.setdefault((kind, key), {})
            counts[holder] = counts.get(holder, 0) + 1
        if records:
            self._files[rel] = records
        return True

    @classmethod
    def build(cls, archive: Archive) -> NumberIndex:
        """Read every dossier and registration batch (one byte scan; a JSON parse only of batches)."""
        last = archive.journal.last()
        index = cls((int(last["seq"]), str(last["hash"])) if last else (0, ""))
        for rel in _record_files(archive):
            records = records_of(archive, rel)
            if records:
                index._put(rel, records)
        return index

    def catch_up(self, archive: Archive) -> tuple[bool, int] | None:
        """Re-read the record files the journal names after this index's position.

        Returns (whether any number changed, entries read), or None when the
        journal does not continue from the position (replaced or rolled back):
        the index must then be rebuilt.
        """
        seq, digest = self.position
        entries = iter(archive.journal.entries(seq - 1 if seq else 0))
        if seq:
            first = next(entries, None)
            if first is None or first.seq != seq or first.hash != digest:
                return None
        changed: set[str] = set()
        read = 0
        position = self.position
        for entry in entries:
            read += 1
            changed.update(str(f["path"]) for f in entry.files if isinstance(f, dict) and "path" in f)
            position = (entry.seq, entry.hash)
        fresh = {rel: records for rel in sorted(changed) if (records := records_of(archive, rel)) is not None}
        moved = False
        for rel, records in fresh.items():  # all read first: a failed read leaves the index as it was
            moved = self._put(rel, records) or moved
        self.position = position
        return moved, read

    # -- persistence -------------------------------------------------------------------------------
    def dump(self) -> bytes:
        """The index file's content."""
        files = dict(sorted(self._files.items()))
        return json.dumps({"version": VERSION, "seq": self.position[0], "hash": self.position[1], "files": files},
                          ensure_ascii=False, separators=(",", ":")).encode("utf-8")

    @classmethod
    def load(cls, data: bytes) -> NumberIndex | None:
        """An index from its file, or None if the file is damaged or of another version (rebuild it)."""
        try:
            raw = json.loads(data)
            if raw.get("version") != VERSION:
                return None
            files: dict[str, list[Record]] = {}
            for rel, records in raw["files"].items():
                rows: list[Record] = []
                for kind, key, project, unit, registration in records:
                    rows.append((str(kind), str(key), str(project), str(unit), str(registration)))
                files[str(rel)] = rows
            return cls((int(raw["seq"]), str(raw["hash"])), files)
        except (ValueError, TypeError, KeyError, AttributeError):
            return None

    @classmethod
    def current(cls, archive: Archive) -> NumberIndex:
        """The index as of the journal's last entry; call it holding the archive's write lock (inside a transaction).

        Under the lock no other writer can move the journal, so what it says
        is what the records hold.  One index is kept per archive and process
        (shared by the threads of a web server) and in the archive's state folder.
        """
        if not archive.writing:
            raise DocgenError("内部错误:证号索引只能在持有档案库写锁时更新(请在事务中调用)")
        root = str(archive.root.resolve())
        with _lock:
            index = _memo.get(root)
            path = archive.layout.state_dir / INDEX_FILE
            if index is None and path.is_file():
                index = cls.load(path.read_bytes())
            outcome = index.catch_up(archive) if index is not None else None
            if index is None or outcome is None:
                index = cls.build(archive)
                outcome = (True, 0)
            moved, read = outcome
            if moved or read >= _SAVE_AFTER or not path.is_file():
                archive.atomic_write_state(INDEX_FILE, index.dump())
            _memo[root] = index
            return index

    # -- questions -----------------------------------------------------------------------------------
    def certificate_holders(self, number: str) -> list[Holder]:
        """Who holds the 不动产权证号 ``number`` (dossiers and batch entries), in a stable order."""
        return [Holder._make(h) for h in sorted(self._by_number.get((CERTIFICATE, number_key(number)), {}))]

    def receipt_holders(self, number: str) -> list[Holder]:
        """Which registration batches carry the 受理编号 ``number``."""
        return [Holder._make(h) for h in sorted(self._by_number.get((RECEIPT, number_key(number)), {}))]

    def duplicates(self) -> list[tuple[str, str, list[Holder]]]:
        """Numbers held by more than one household (certificates) or batch (receipts): (kind, number key, holders)."""
        out: list[tuple[str, str, list[Holder]]] = []
        for (kind, key), counts in sorted(self._by_number.items()):
            holders = [Holder._make(h) for h in sorted(counts)]
            owners = {(h.project, h.unit) for h in holders} if kind == CERTIFICATE else {h.key for h in holders}
            if len(owners) > 1:
                out.append((kind, key, holders))
        return out


_lock = threading.Lock()
_memo: dict[str, NumberIndex] = {}


def _record_files(archive: Archive) -> Iterator[str]:
    """Archive-relative paths of every dossier and registration batch file."""
    for key in archive.dossier_keys():
        project, unit = key.split("/")
        yield f"projects/{project}/dossiers/{unit}/dossier.json"
    for project in archive.project_codes():
        for registration in archive.registration_ids(project):
            yield f"projects/{project}/registrations/{registration}.json"


# -- the refusals ----------------------------------------------------------------------------------------
def refuse_taken_certificate(archive: Archive, number: str, project: str, unit: str, sees: Callable[[str], bool]) -> None:
    """Refuse recording ``number`` for household ``project/unit`` if another household holds it.

    The message names that household (its room, owners, dossier and batch) when
    the user may see its project (``sees``), and only says "another project"
    otherwise, so that a project outside the user's scope is not revealed.
    """
    others = [h for h in NumberIndex.current(archive).certificate_holders(number)
              if (h.project, h.unit) != (project, unit) and _still_holds(archive, h, number)]
    if not others:
        return
    typed = quoted(number.strip(), 60)
    tail = "一个证号只属于一户；请核对证书上的证号后重新填写。"
    first = next((h for h in others if sees(h.project)), None)
    if first is None:
        raise ConflictError(f"不动产权证号 {typed} 已登记在另一项目的住户名下（该项目不在您的查看范围内），{tail}")
    same = [h for h in others if (h.project, h.unit) == (first.project, first.unit)]
    details = [_owners(archive, first.key), f"档案 {first.key}"]
    batches = sorted({h.registration for h in same if h.registration})
    if batches:
        details.append(f"办证批次 {'、'.join(batches)}")
    more = len({(h.project, h.unit) for h in others}) - 1
    also = f"（另有 {more} 户也登记了这个证号）" if more else ""
    raise ConflictError(f"不动产权证号 {typed} 已登记在 {parse_unit(first.unit).label}"
                        f"（{'，'.join(d for d in details if d)}）名下{also}，{tail}")


def _still_holds(archive: Archive, holder: Holder, number: str) -> bool:
    """False for a batch entry whose household's dossier now records another number (corrected in the dossier).

    The collect refusal tells people to correct a mistyped number in the
    dossier (``docgen dossier set … certificate_no=…``); the batch entry keeps
    what was typed at collection, and must not keep the number from its real holder.
    """
    if not holder.registration:
        return True
    try:
        dossier = archive.dossier(holder.key)
    except DocgenError:
        return True  # unreadable: keep the refusal (the audit names the file)
    recorded = number_key(dossier.certificate_no or "")
    return not recorded or recorded == number_key(number)


def refuse_taken_receipt(archive: Archive, number: str, project: str, registration: str,
                         sees: Callable[[str], bool]) -> None:
    """Refuse recording the 受理编号 ``number`` for a batch if another batch carries it (named as for certificates)."""
    others = [h for h in NumberIndex.current(archive).receipt_holders(number)
              if (h.project, h.registration) != (project, registration)]
    if not others:
        return
    typed = quoted(number.strip(), 60)
    tail = "登记中心每次受理的编号不同；请核对收件回执上的编号后重新填写。"
    first = next((h for h in others if sees(h.project)), None)
    if first is None:
        raise ConflictError(f"受理编号 {typed} 已是另一项目中某个办证批次的受理编号（该项目不在您的查看范围内），{tail}")
    when = ""
    try:
        submitted = archive.registration(first.project, first.registration).submitted_on
        when = f"，{submitted} 递交" if submitted else ""
    except DocgenError:
        pass
    raise ConflictError(f"受理编号 {typed} 已是办证批次 {first.registration}（项目 {first.project}{when}）的受理编号，{tail}")


def _owners(archive: Archive, key: str) -> str:
    try:
        return archive.dossier(key).owner_names
    except DocgenError:
        return ""


__all__ = ["Holder", "NumberIndex", "number_key", "refuse_taken_certificate", "refuse_taken_receipt"]
