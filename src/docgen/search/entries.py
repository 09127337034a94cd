"""What the index holds for each owner (dossier or project): entries derived from the archive alone.

Each entry carries a content hash of everything its fields come from, so an
update compares hashes and re-indexes only what changed; the same function
feeds a rebuild, which is why a rebuild and a run of updates give the same
index.  The user dictionary for jieba (project, owner, component and
contractor names) is derived here too.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from docgen.archive.store import Archive, Owner, owner_rel
from docgen.errors import DocgenError
from docgen.models import Document, Dossier, Project
from docgen.search.text import unit_prefixes
from docgen.vocab import DOC_TYPES, REPAIR_OPEN

OCR_DOUBTFUL = "OCR存疑"
"""The status of a document OCR left lines in doubt in: ``docgen search --status OCR存疑`` (or ``状态:OCR存疑``)."""

# Domain words jieba does not know; they help ranking (recall never depends on them).
BASE_WORDS = (
    "业主", "共有人", "首问责任人", "报修单", "整改单", "交房", "逾期交房", "违约金", "地暖", "卫生间",
    "漏水", "渗水", "空鼓", "开裂", "防水层", "维修基金", "不动产权证", "预售许可证", "面积补差",
    "入住手续", "钥匙签收", "质保金", "会签", "回访", "投诉",
)


@dataclass
class Entry:
    """One index entry: its unique id, owner key, content hash and the fields to index."""

    uid: str
    owner: str
    hash: str
    fields: dict[str, Any] = field(default_factory=dict)


def _digest(*parts: Any) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(json.dumps(part, ensure_ascii=False, sort_keys=True, default=str).encode("utf-8"))
        h.update(b"\x00")
    return h.hexdigest()[:32]


def _as_datetime(value: dt.date | dt.datetime | None) -> dt.datetime | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return dt.datetime(value.year, value.month, value.day)
    return dt.datetime(value.year, value.month, value.day)


@dataclass
class OwnerContext:
    """What every entry of one owner shares: project name, unit, owners, stage, batch."""

    key: str
    project: str
    project_name: str
    unit: str = ""
    place: str = ""
    owner_names: list[str] = field(default_factory=list)
    stage: str = ""
    batch: str = ""

    def shared(self) -> dict[str, Any]:
        """Fields common to every entry of this owner."""
        out: dict[str, Any] = {"owner": self.key, "project": self.project, "place": self.place}
        if self.unit:
            out["unit"] = unit_prefixes(self.unit)
            out["unitcode"] = self.unit
        if self.owner_names:
            out["owners"] = list(self.owner_names)
        if self.stage:
            out["stage"] = self.stage
        if self.batch:
            out["batch"] = self.batch
        return out

    def signature(self) -> list[Any]:
        """The inputs that change these shared fields (part of every entry hash)."""
        return [self.key, self.project_name, self.unit, self.owner_names, self.stage, self.batch]


def context_of(owner: Owner, project_names: dict[str, str]) -> OwnerContext:
    """Build the shared context of a dossier or project."""
    if isinstance(owner, Dossier):
        pname = project_names.get(owner.project, owner.project)
        return OwnerContext(
            key=owner.key,
            project=owner.project,
            project_name=pname,
            unit=owner.unit,
            place=f"{pname} {owner.unit_label}",
            owner_names=[o.name for o in owner.owners],
            stage=owner.stage,
            batch=owner.batch or "",
        )
    return OwnerContext(key=owner.code, project=owner.code, project_name=owner.name, place=owner.name)


def document_entry(archive: Archive, owner: Owner, ctx: OwnerContext, doc: Document) -> Entry:
    """The entry of one archived document (its text read from the archive's sidecar)."""
    pages = archive.document_text(owner, doc)
    text = "\n".join(pages)
    label = DOC_TYPES.get(doc.type, (doc.type, ""))[0]
    title = doc.title or label
    date = doc.date or (doc.filed_at.date() if doc.filed_at else None)
    doubtful = doc.doubtful_lines
    flag = f"{OCR_DOUBTFUL} {doubtful}行" if doubtful else ""  # OCR left lines in doubt: findable, filterable
    meta = " ".join(x for x in [title, label, doc.original_name, ctx.place, " ".join(ctx.owner_names), flag] if x)
    fields: dict[str, Any] = {
        **ctx.shared(),
        "kind": "document",
        "doc_id": doc.id,
        "type": doc.type,
        "signed": doc.signed,
        "source": doc.source,
        "date": _as_datetime(date),
        "codes": [doc.id, doc.file.rsplit(".", 1)[0]],
        "title": title,
        "name": doc.original_name,
        "meta": meta,
        "metatext": meta,
        "textpath": f"{owner_rel(archive.layout, owner)}/documents/{doc.text_file}" if doc.text_file else None,
        "text": text,
        "words": f"{meta}\n{text}",  # cut to settings.words_chars when indexed
        "state": {"superseded_by": doc.superseded_by} if doc.superseded_by else None,
    }
    if doubtful:
        fields["status"] = OCR_DOUBTFUL
    digest = _digest("doc", ctx.signature(), doc.model_dump(mode="json", exclude={"filed_at"}), text)
    return Entry(f"D:{ctx.key}#{doc.id}", ctx.key, digest, fields)


def _lines(*pairs: tuple[str, Any]) -> str:
    return "\n".join(f"{k}:{v}" for k, v in pairs if v not in (None, "", [], False))


def dossier_entry(dossier: Dossier, ctx: OwnerContext) -> Entry:
    """The entry of a dossier itself: owners, numbers, stage, payment and certificate status."""
    owners = "、".join(f"{o.name}({o.role})" for o in dossier.owners)
    summary = _lines(
        ("项目", ctx.project_name),
        ("房号", dossier.unit_label),
        ("业主", owners),
        ("身份证号码", " ".join(o.id_number for o in dossier.owners)),
        ("电话", " ".join(o.phone for o in dossier.owners if o.phone)),
        ("合同编号", dossier.contract_no),
        ("备案号", dossier.filing_no),
        ("阶段", dossier.stage),
        ("付款状态", dossier.payment_status),
        ("办证状态", dossier.certificate_status),
        ("产权证号", dossier.certificate_no),
        ("交房批次", dossier.batch),
        ("备注", dossier.notes),
    )
    codes = [o.id_number for o in dossier.owners] + [o.phone for o in dossier.owners if o.phone]
    codes += [x for x in (dossier.contract_no, dossier.filing_no, dossier.certificate_no) if x]
    codes.append(dossier.unit)
    fields: dict[str, Any] = {
        **ctx.shared(),
        "kind": "dossier",
        "status": dossier.certificate_status,
        "date": _as_datetime(dossier.contract_date or dossier.signed_on),
        "codes": codes,
        "title": f"业主档案 {dossier.unit_label} {dossier.owner_names}",
        "meta": ctx.place,
        "metatext": ctx.place,
        "text": summary,
        "words": summary,
        "summary": summary,
    }
    body = dossier.model_dump(mode="json", exclude={"documents", "repairs", "complaints", "revisits", "settlements"})
    return Entry(f"O:{ctx.key}", ctx.key, _digest("dossier", ctx.signature(), body), fields)


def case_entries(dossier: Dossier, ctx: OwnerContext) -> Iterator[Entry]:
    """Entries of a dossier's repairs, complaints, revisits and settlements."""
    for r in dossier.repairs:
        summary = _lines(
            ("报修单", r.id), ("部位", r.component), ("位置", r.location), ("问题描述", r.description),
            ("保修类别", r.warranty_category), ("原因", r.verified_cause), ("责任方", r.responsibility),
            ("维修单位", r.contractor), ("状态", r.status), ("经办人", r.handled_by), ("备注", r.notes),
        )
        yield _case(ctx, "repair", r.id, r.status, r.status in REPAIR_OPEN, r.component, r.reported_on,
                    f"报修单 {r.id} {r.component}:{r.description[:20]}", summary, [r.id], r.model_dump(mode="json"))
    for c in dossier.complaints:
        summary = _lines(
            ("投诉", c.id), ("类别", c.category), ("首问责任人", c.first_responder), ("渠道", c.channel),
            ("内容", c.description), ("状态", c.status), ("处理结果", c.resolution),
            ("关联报修", " ".join(c.related_repairs)),
        )
        yield _case(ctx, "complaint", c.id, c.status, c.status != "已关闭", c.category, c.received_on,
                    f"投诉 {c.id} {c.category}", summary, [c.id, *c.related_repairs], c.model_dump(mode="json"))
    for v in dossier.revisits:
        summary = _lines(
            ("回访", v.id), ("回访人", v.by), ("方式", v.channel), ("原因", v.reason),
            ("满意度", v.satisfaction), ("记录", v.notes), ("关联", v.related),
        )
        yield _case(ctx, "revisit", v.id, v.satisfaction or v.status, v.status == "待回访", v.reason, v.date,
                    f"回访 {v.id} {v.reason}", summary, [v.id], v.model_dump(mode="json"))
    for s in dossier.settlements:
        items = "、".join(i.item for i in s.items)
        summary = _lines(
            ("结算会签", s.id), ("维修单位", s.contractor), ("合同编号", s.contract_no), ("项目", items),
            ("审定金额", s.approved_total), ("状态", s.status), ("经办人", s.handled_by),
            ("关联报修", " ".join(s.repair_ids)),
        )
        codes = [s.id, *s.repair_ids] + ([s.contract_no] if s.contract_no else [])
        yield _case(ctx, "settlement", s.id, s.status, s.status in ("草稿", "审批中"), s.contractor, s.created_on,
                    f"结算会签 {s.id} {s.contractor}", summary, codes, s.model_dump(mode="json"))


def _case(
    ctx: OwnerContext, kind: str, record_id: str, status: str, is_open: bool | None, component: str,
    date: dt.date, title: str, summary: str, codes: list[str], body: dict[str, Any],
) -> Entry:
    fields: dict[str, Any] = {
        **ctx.shared(),
        "kind": kind,
        "doc_id": record_id,
        "status": status,
        "component": [component] if component else [],
        "date": _as_datetime(date),
        "codes": codes,
        "title": title,
        "meta": ctx.place + " " + " ".join(ctx.owner_names),
        "metatext": ctx.place + " " + " ".join(ctx.owner_names),
        "text": summary,
        "words": summary,
        "summary": summary,
    }
    if is_open is not None:
        fields["open"] = is_open
    return Entry(f"C:{ctx.key}#{record_id}", ctx.key, _digest(kind, ctx.signature(), body), fields)


def owner_entries(archive: Archive, owner: Owner, project_names: dict[str, str]) -> Iterator[Entry]:
    """Every entry of one owner (dossier: itself, its documents and cases; project: its documents)."""
    ctx = context_of(owner, project_names)
    if isinstance(owner, Dossier):
        yield dossier_entry(owner, ctx)
        yield from case_entries(owner, ctx)
    for doc in owner.documents:
        yield document_entry(archive, owner, ctx, doc)


def project_names(archive: Archive) -> dict[str, str]:
    """Project code -> name."""
    out: dict[str, str] = {}
    for code in archive.project_codes():
        try:
            out[code] = archive.project(code).name
        except DocgenError:
            out[code] = code  # an unreadable project.json: its owner is reported where it is read
    return out


def owner_words(owner: Owner, project_names: dict[str, str]) -> set[str]:
    """Words from one owner for jieba's user dictionary (names, components, contractors)."""
    words: set[str] = set()
    if isinstance(owner, Project):
        words.add(owner.name)
        words.add(owner.developer.name)
        return {w for w in words if len(w) >= 2}
    words.add(project_names.get(owner.project, ""))
    words.update(o.name for o in owner.owners)
    words.update(r.component for r in owner.repairs)
    words.update(r.contractor for r in owner.repairs)
    words.update(s.contractor for s in owner.settlements)
    words.update(c.category for c in owner.complaints)
    return {w.strip() for w in words if w and len(w.strip()) >= 2 and " " not in w.strip()}
