"""Which dossier (or project) and which document type a scan belongs to, and how sure we are.

In order of trust:

1. a docgen **QR code** (``docgen.qrcodes``) on a page: the signed paper of a
   document docgen generated: same owner, same type, supersedes it (confidence 1);
2. the **file name convention** ``PROJECT_UNIT_TYPE[_YYYYMMDD].ext`` (see
   ``docs/ingest.md``), e.g. ``HXSZ_03-2-1203_handover_record_20260620.pdf`` or
   ``HXSZ_3栋2单元1203_房屋交接书.pdf``; project papers ``HXSZ_presale_permit.pdf``;
3. **content**: ID numbers, contract numbers, unit numbers, owner names and the
   project's name found in the text, against every dossier, combined into a
   confidence; the title line gives the type.  Two dossiers matching about
   equally well make the result ambiguous (low confidence: review).

The :class:`Catalog` keeps what matching and the duplicate check need from every
record file (owners, units, contract numbers, document hashes) in memory and
re-reads only the files whose size or mtime changed, so identifying a file
costs a directory scan, not a parse of the whole archive.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from docgen.errors import NotFoundError
from docgen.ingest.normalize import compact
from docgen.qrcodes import DocumentCode, SeparatorCode, decode
from docgen.units import find_units, parse_unit
from docgen.vocab import DOC_TYPES, doc_type_code, doc_type_label

if TYPE_CHECKING:
    from docgen.archive.journal import Journal

_HEX_RE = re.compile(rb'"sha256"\s*:\s*"([0-9a-f]{64})"')
_TOKEN_RE = re.compile(rb"([0-9a-f]{64})#(\d+)/(\d+)")
_ID_RE = re.compile(r"(?<![0-9])[1-9][0-9]{16}[0-9X](?![0-9])")
_CODE_UNIT_RE = re.compile(r"(?<![0-9A-Z])([0-9]{2}|[A-Z][0-9]{0,2})-([0-9]{1,2})-([0-9]{3,5})(?![0-9])")
_DATE_RE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
# extra words that name a type on paper, besides its label
_TYPE_ALIASES: dict[str, str] = {
    "居民身份证": "id_copy",
    "身份证复印件": "id_copy",
    "交接书": "handover_record",
    "钥匙签收": "key_receipt",
    "赔偿协议": "compensation_agreement",
    "维修费用支付会签": "settlement_sheet",
    "商品房预售许可证": "presale_permit",
    "竣工验收备案": "completion_filing",
    "不动产权证书": "property_certificate",
    "契税": "deed_tax_receipt",
}


@dataclass(slots=True)
class OwnerFacts:
    """What matching needs from one dossier or project record."""

    key: str
    project: str
    unit: str = ""
    unit_label: str = ""
    names: list[str] = field(default_factory=list)
    id_numbers: list[str] = field(default_factory=list)
    contract_no: str = ""
    filing_no: str = ""
    project_name: str = ""
    documents: dict[str, tuple[str, str, str | None]] = field(default_factory=dict)  # sha -> (doc id, original, superseded_by)
    tokens: set[str] = field(default_factory=set)


class Catalog:
    """An in-memory view of every record's matching facts and document hashes, refreshed by mtime.

    ``refresh(seq)`` with the journal's last sequence number skips the directory
    scan when nothing was journaled since the last one (and that was less than
    ``max_age`` seconds ago: a hand-edited record is picked up within that time).
    """

    def __init__(self, root: Path, max_age: float = 30.0) -> None:
        self.root = Path(root)
        self.max_age = max_age
        self._files: dict[str, tuple[int, int, OwnerFacts | None]] = {}
        self._problems: dict[str, str] = {}  # record file path -> why it cannot be read
        self._seq: int | None = None
        self._at = 0.0
        self._lock = threading.Lock()  # one refresh at a time; readers never wait (see refresh)

    def refresh(self, seq: int | None = None, journal: Journal | None = None) -> None:
        """Re-read the record files that changed since the last refresh (and forget deleted ones).

        Safe to share between threads (a server's requests and its watcher):
        one refresh at a time builds a new table and publishes it whole, so a
        thread reading the old one (``owners()``, ``find_hash()``) is never
        disturbed by a dictionary changing under it.

        With the archive's ``journal``, a refresh within ``max_age`` of the
        last full one re-reads only the record files the journal names since
        then, instead of looking at every record file: on a 20,000-household
        server where cases are saved all the time, the full look (20,000
        ``stat`` calls) ran twice per filed scan, once under the archive's
        write lock, and every save waited behind it.  Hand edits (not
        journaled) are still seen within ``max_age``.
        """
        now = time.monotonic()
        if seq is not None and seq == self._seq and now - self._at < self.max_age:
            return
        with self._lock:
            if seq is not None and seq == self._seq and time.monotonic() - self._at < self.max_age:
                return  # another thread refreshed while this one waited
            if (journal is not None and seq is not None and self._seq is not None and seq > self._seq
                    and now - self._at < self.max_age and self._follow(journal, self._seq, seq)):
                return
            self._refresh(seq, now)

    def _follow(self, journal: Journal, since: int, seq: int) -> bool:
        """Re-read the record files journaled after ``since``; False if the journal cannot say (then a full look)."""
        files = dict(self._files)
        problems = dict(self._problems)
        last = since
        try:
            for entry in journal.entries(since):
                if entry.seq > seq:
                    break
                last = entry.seq
                for f in entry.files:
                    rel = str(f.get("path", ""))
                    parts = rel.split("/")
                    if parts[0] != "projects" or ".." in parts or not (
                            (len(parts) == 3 and parts[2] == "project.json")
                            or (len(parts) == 5 and parts[2] == "dossiers" and parts[4] == "dossier.json")):
                        continue
                    path = os.path.join(self.root, *parts)
                    if not os.path.exists(path):
                        files.pop(path, None)
                        problems.pop(path, None)
                        continue
                    self._consider(path, set(), files, problems)
        except (OSError, ValueError):
            return False
        if last != seq:
            return False
        self._files, self._problems = files, problems
        self._seq = seq  # _at stays: the next full look is still due max_age after the last one
        return True

    def _refresh(self, seq: int | None, now: float) -> None:
        files = dict(self._files)
        problems = dict(self._problems)
        seen: set[str] = set()
        projects = os.path.join(self.root, "projects")
        try:
            project_entries = list(os.scandir(projects))
        except FileNotFoundError:
            project_entries = []
        for entry in project_entries:
            if not entry.is_dir():
                continue
            self._consider(os.path.join(entry.path, "project.json"), seen, files, problems)
            try:
                dossier_entries = list(os.scandir(os.path.join(entry.path, "dossiers")))
            except FileNotFoundError:
                continue
            for d in dossier_entries:
                if d.is_dir():
                    self._consider(os.path.join(d.path, "dossier.json"), seen, files, problems)
        for gone in set(files) - seen:
            del files[gone]
            problems.pop(gone, None)
        self._files, self._problems = files, problems  # published whole: readers iterate the tables they started with
        self._seq, self._at = seq, now

    def _consider(self, path: str, seen: set[str], files: dict[str, tuple[int, int, OwnerFacts | None]],
                  problems: dict[str, str]) -> None:
        try:
            st = os.stat(path)
        except FileNotFoundError:
            return
        seen.add(path)
        cached = files.get(path)
        if cached and cached[0] == st.st_mtime_ns and cached[1] == st.st_size:
            return
        try:
            with open(path, "rb") as fh:
                data = fh.read()
            facts = _facts(Path(path), data)
        except (OSError, ValueError, KeyError, TypeError) as exc:
            facts = None  # it cannot match; identification names it where it matters
            problems[path] = _problem(exc)
        else:
            problems.pop(path, None)
        files[path] = (st.st_mtime_ns, st.st_size, facts)

    def unreadable(self) -> list[str]:
        """Every record file that could not be read, named with what is wrong (in Chinese)."""
        return [self._describe(path, problem) for path, problem in sorted(self._problems.items())]

    def problem(self, key: str) -> str | None:
        """Why the record of a dossier key or project code cannot be read (None if it can, or does not exist)."""
        parts = key.split("/")
        tail = ("dossiers", parts[1], "dossier.json") if len(parts) == 2 else ("project.json",)
        path = os.path.join(self.root, "projects", parts[0], *tail)
        problem = self._problems.get(path)
        return self._describe(path, problem) if problem is not None else None

    def _describe(self, path: str, problem: str) -> str:
        from docgen.archive.reconcile import describe_path

        rel = Path(os.path.relpath(path, self.root)).as_posix()
        return f"{describe_path(rel)}({rel})无法读取:{problem}"

    def owners(self) -> Iterable[OwnerFacts]:
        """Facts of every readable record."""
        for _m, _s, facts in self._files.values():
            if facts is not None:
                yield facts

    def find_hash(self, sha256: str) -> tuple[str, str, str] | None:
        """Where a file with this sha256 is archived: (owner key, doc id, original name), or None."""
        for facts in self.owners():
            hit = facts.documents.get(sha256)
            if hit:
                return facts.key, hit[0], hit[1]
        return None

    def segments_filed(self, sha256: str) -> dict[int, str]:
        """Segments of a split batch scan already filed: {segment number: owner key}."""
        out: dict[int, str] = {}
        for facts in self.owners():
            for token in facts.tokens:
                if token.startswith(sha256 + "#"):
                    out[int(token.split("#")[1].split("/")[0])] = facts.key
        return out

    def segment_total(self, sha256: str) -> int | None:
        """How many segments a split batch scan had (None if none was filed)."""
        for facts in self.owners():
            for token in facts.tokens:
                if token.startswith(sha256 + "#"):
                    return int(token.split("/")[1])
        return None

    def project_codes(self) -> set[str]:
        """Codes of the projects in the catalog."""
        return {f.key for f in self.owners() if "/" not in f.key}

    def owner(self, key: str) -> OwnerFacts | None:
        """The facts of one owner key."""
        return next((f for f in self.owners() if f.key == key), None)


def _problem(exc: Exception) -> str:
    """What is wrong with a record file, for a person (the catalog reads JSON without full validation)."""
    if isinstance(exc, UnicodeDecodeError):
        return f"不是 UTF-8 编码的文本(第 {exc.start} 字节起)"
    if isinstance(exc, json.JSONDecodeError):
        return f"JSON 格式错误:{exc}"
    if isinstance(exc, KeyError):
        return f"缺少必填字段 {exc.args[0]}"
    if isinstance(exc, OSError):
        return f"无法读取:{exc.strerror}"
    return str(exc) or type(exc).__name__


def _facts(path: Path, data: bytes) -> OwnerFacts:
    record: dict[str, Any] = json.loads(data)
    tokens = {f"{m[0].decode()}#{m[1].decode()}/{m[2].decode()}" for m in _TOKEN_RE.findall(data)}
    docs = {
        str(d["sha256"]): (str(d["id"]), str(d.get("original_name", "")), d.get("superseded_by"))
        for d in record.get("documents", [])
        if d.get("sha256")
    }
    if path.name == "project.json":
        return OwnerFacts(
            key=str(record["code"]), project=str(record["code"]), project_name=str(record.get("name", "")),
            documents=docs, tokens=tokens,
        )
    unit = parse_unit(str(record["unit"]))
    owners = record.get("owners", [])
    return OwnerFacts(
        key=f"{record['project']}/{unit.code}",
        project=str(record["project"]),
        unit=unit.code,
        unit_label=unit.label,
        names=[str(o.get("name", "")) for o in owners if o.get("name")],
        id_numbers=[str(o.get("id_number", "")).upper() for o in owners if o.get("id_number")],
        contract_no=str(record.get("contract_no", "")),
        filing_no=str(record.get("filing_no", "")),
        documents=docs,
        tokens=tokens,
    )


# -- results --------------------------------------------------------------------
@dataclass(slots=True)
class Candidate:
    """A possible owner and type for a file, with the evidence."""

    owner_key: str
    doc_type: str | None
    confidence: float
    reasons: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form (for the review sidecar)."""
        return {"owner_key": self.owner_key, "doc_type": self.doc_type, "confidence": self.confidence, "reasons": self.reasons}


@dataclass(slots=True)
class Identification:
    """The decision: where to file, as what, how it was identified, and the runners-up."""

    method: str  # qr | filename | content | direct | manual | none
    owner_key: str | None = None
    doc_type: str | None = None
    confidence: float = 0.0
    date: dt.date | None = None
    supersedes: str | None = None
    signed: bool = False
    candidates: list[Candidate] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    unreadable: list[str] = field(default_factory=list)  # records that could not be considered

    @property
    def complete(self) -> bool:
        """True when both an owner and a type were found."""
        return bool(self.owner_key and self.doc_type)


# -- QR -----------------------------------------------------------------------------
def read_codes(image: Any) -> list[DocumentCode | SeparatorCode]:
    """Decode every docgen QR code on a page image (other QR codes are ignored)."""
    import zxingcpp

    found: list[DocumentCode | SeparatorCode] = []
    for barcode in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)):
        code = decode(barcode.text)
        if code is not None and code not in found:
            found.append(code)
    return found


def by_document_code(code: DocumentCode, archive: Any) -> Identification:
    """A generated document's QR code: file as its signed paper, superseding it."""
    try:
        owner, doc = archive.find_document(code.doc_id)
    except NotFoundError:
        reason = f"二维码指向文件 {code.doc_id},但档案库中没有该文件"
        return Identification("qr", None, None, 0.0, candidates=[Candidate(code.owner_key, None, 0.5, [reason])], reasons=[reason])
    key = archive.owner_key(owner)
    reasons = [f"二维码:系统生成文件 {doc.id}({doc_type_label(doc.type)})的签字件"]
    if key != code.owner_key:
        reasons.append(f"二维码中的档案 {code.owner_key} 与文件所在档案 {key} 不同,按文件所在档案归档")
    if doc.superseded_by:
        reason = f"文件 {doc.id} 的签字件已归档为 {doc.superseded_by};请人工确认这份是否为重复扫描"
        return Identification("qr", None, None, 0.0, candidates=[Candidate(key, doc.type, 0.5, [*reasons, reason])], reasons=[reason])
    return Identification("qr", key, doc.type, 1.0, supersedes=doc.id, signed=True, reasons=reasons)


# -- file name ----------------------------------------------------------------------
def by_filename(name: str, catalog: Catalog) -> Identification | None:
    """Read ``PROJECT_UNIT_TYPE[_YYYYMMDD]`` (or ``PROJECT_TYPE[_DATE]``) from a file name; None if it does not fit."""
    stem = Path(name).stem
    tokens = [t for t in re.split(r"[_\s]+", stem) if t]
    if len(tokens) < 2:
        return None
    project = tokens[0].upper()
    if project not in catalog.project_codes():
        problem = catalog.problem(project)
        if problem is None:
            return None
        reason = f"文件名指向项目 {project},但{problem};请修正后用 docgen review 归档这份扫描件"
        return Identification("filename", None, None, 0.0, reasons=[reason], unreadable=[problem])
    date = None
    m = _DATE_RE.match(tokens[-1])
    if m:
        try:
            date = dt.date(int(m[1]), int(m[2]), int(m[3]))
            tokens = tokens[:-1]
        except ValueError:
            date = None
    rest = tokens[1:]
    owner_key = project
    if rest:
        try:
            unit = parse_unit(rest[0])
        except ValueError:
            unit = None
        if unit is not None:
            owner_key = f"{project}/{unit.code}"
            rest = rest[1:]
            if catalog.owner(owner_key) is None:
                problem = catalog.problem(owner_key)
                if problem is not None:
                    reason = f"文件名指向档案 {owner_key}({unit.label}),但{problem};请修正该档案文件后用 docgen review 归档这份扫描件"
                    return Identification("filename", None, None, 0.0, date=date, reasons=[reason], unreadable=[problem])
                reason = f"文件名中的房号 {unit.label} 在项目 {project} 中没有档案"
                return Identification("filename", None, None, 0.0, date=date, reasons=[reason])
    doc_type = None
    if rest:
        try:
            doc_type = doc_type_code("_".join(rest))
        except ValueError:
            doc_type = None
    if doc_type is None:
        reason = f"文件名中找到 {owner_key},但没有可识别的文件类型"
        return Identification("filename", owner_key, None, 0.6, date=date, reasons=[reason])
    where = DOC_TYPES[doc_type][1]
    if (where == "project" and "/" in owner_key) or (where == "dossier" and "/" not in owner_key):
        reason = f"文件名中的类型 {doc_type_label(doc_type)} 不能归入 {owner_key}"
        return Identification("filename", None, None, 0.0, date=date, reasons=[reason])
    return Identification(
        "filename", owner_key, doc_type, 0.95, date=date, reasons=[f"文件名:{owner_key} {doc_type_label(doc_type)}"]
    )


# -- content ------------------------------------------------------------------------
_CN_DATE_RE = re.compile(r"((?:19|20)\d{2})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日")
_ISO_DATE_RE = re.compile(r"(?<!\d)((?:19|20)\d{2})[-./](\d{1,2})[-./](\d{1,2})(?!\d)")
_DATE_LABELS = ("日期", "签订", "签署", "签收", "交接", "落款")


def date_from_text(text: str) -> dt.date | None:
    """The document's date: the last date on a line labelled 日期/签订/签收…, else the last date in the text.

    Signature dates stand at the end of Chinese forms, so the last one wins;
    impossible dates are skipped.
    """
    labelled: list[dt.date] = []
    anywhere: list[dt.date] = []
    for line in text.split("\n"):
        for m in [*_CN_DATE_RE.finditer(line), *_ISO_DATE_RE.finditer(line)]:
            try:
                found = dt.date(int(m[1]), int(m[2]), int(m[3]))
            except ValueError:
                continue
            anywhere.append(found)
            if any(label in line for label in _DATE_LABELS):
                labelled.append(found)
    if labelled:
        return labelled[-1]
    return anywhere[-1] if anywhere else None


# words printed only on one kind of paper: they identify it wherever they stand on the page
_TELLTALES: dict[str, str] = {
    "公民身份号码": "id_copy",
    "签发机关": "id_copy",
    "不动产单元号": "property_certificate",
}


def type_from_text(text: str) -> tuple[str | None, float]:
    """The document type named in the text: (code, confidence); the title lines count most."""
    lines = [compact(line) for line in text.split("\n") if line.strip()]
    head = "".join(lines[:3])
    body = compact(text)[:400]
    for word, code in _TELLTALES.items():
        if word in body:
            return code, 1.0
    names: list[tuple[str, str]] = []
    for code, (label, _where) in DOC_TYPES.items():
        if code == "other":
            continue
        names.extend((part, code) for part in label.split("/") if len(part) >= 2)
    names.extend(_TYPE_ALIASES.items())
    names.sort(key=lambda item: -len(item[0]))
    for where, conf in ((head, 1.0), (body, 0.85)):
        for word, code in names:
            if word in where:
                return code, conf
    return None, 0.0


def by_content(text: str, catalog: Catalog) -> Identification:
    """Match unit numbers, contract numbers, ID numbers and names in the text against every dossier.

    Records that cannot be read took no part; they are listed in ``unreadable``
    so that a file sent to review says which dossiers were not considered.
    """
    ident = _match_content(text, catalog)
    ident.unreadable = catalog.unreadable()
    return ident


def _match_content(text: str, catalog: Catalog) -> Identification:
    flat = compact(text).upper()
    if not flat:
        return Identification("content", reasons=["没有读到任何文字,无法按内容识别"])
    doc_type, type_conf = type_from_text(text)
    units = {u.code for u in find_units(flat)}
    units |= {f"{m[0].zfill(2) if m[0].isdigit() else m[0]}-{int(m[1])}-{m[2]}" for m in _CODE_UNIT_RE.findall(flat)}
    ids = set(_ID_RE.findall(flat))
    scored: list[Candidate] = []
    project_level = doc_type is not None and DOC_TYPES[doc_type][1] == "project"
    project_names = {f.key: f.project_name for f in catalog.owners() if "/" not in f.key}
    mentioned = {code for code, name in project_names.items() if (name and name in flat) or code in flat}
    unit_projects: dict[str, set[str]] = {}
    for f in catalog.owners():
        if f.unit in units:
            unit_projects.setdefault(f.unit, set()).add(f.project)
    for facts in catalog.owners():
        weights: list[float] = []
        reasons: list[str] = []
        if "/" not in facts.key:
            if facts.key in mentioned:
                weights.append(0.85 if project_level else 0.3)
                reasons.append(f"项目名称 {facts.project_name or facts.key}")
        else:
            if project_level:
                continue
            hit_ids = [i for i in facts.id_numbers if i in ids]
            if hit_ids:
                weights.append(0.9)
                reasons.append("身份证号码")
            if facts.contract_no and len(facts.contract_no) >= 6 and facts.contract_no.upper() in flat:
                weights.append(0.85)
                reasons.append(f"合同编号 {facts.contract_no}")
            if facts.filing_no and len(facts.filing_no) >= 6 and facts.filing_no.upper() in flat:
                weights.append(0.7)
                reasons.append(f"备案号 {facts.filing_no}")
            if facts.unit in units:
                # a unit number names one household only within its project: stronger when the
                # project is named in the text or no other project has that unit number
                sure = facts.project in mentioned or len(unit_projects.get(facts.unit, ())) == 1
                weights.append(0.75 if sure else 0.6)
                reasons.append(f"房号 {facts.unit_label}")
            names = [n for n in facts.names if len(n) >= 2 and n in flat]
            if names:
                weights.append(0.45 if any(len(n) >= 3 for n in names) else 0.35)
                reasons.append(f"业主姓名 {'、'.join(names)}")
            if weights and facts.project in mentioned:
                reasons.append("项目名称")
        if not weights:
            continue
        miss = 1.0
        for w in weights:
            miss *= 1.0 - w
        owner_conf = 1.0 - miss
        if "/" not in facts.key and not project_level:
            owner_conf = min(owner_conf, 0.3)
        scored.append(Candidate(facts.key, doc_type, round(owner_conf, 3), reasons))
    scored.sort(key=lambda c: -c.confidence)
    if not scored:
        return Identification("content", None, doc_type, 0.0, reasons=["正文中没有找到房号、合同编号、身份证号码或业主姓名"])
    top = scored[0]
    confidence = top.confidence * (type_conf if doc_type else 0.6)
    reasons = list(top.reasons)
    if len(scored) > 1 and scored[1].confidence >= top.confidence - 0.15:
        confidence = min(confidence, 0.5)
        reasons.append(f"与 {scored[1].owner_key} 难以区分")
    if doc_type is None:
        reasons.append("未能从正文判断文件类型")
    for cand in scored:
        cand.confidence = round(cand.confidence * (type_conf if doc_type else 0.6), 3)
    return Identification(
        "content", top.owner_key, doc_type, round(confidence, 3), candidates=scored[:5], reasons=reasons
    )
