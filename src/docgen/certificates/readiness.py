"""Is a household ready for its registration to be submitted?  Computed from its real documents.

Each item of the materials list (:mod:`.requirements`) is decided from the
dossier: its fields for 交房 and payment, and for papers the documents filed in
it: current (not superseded), of the right type, signed where the item says
so, and with their file actually in the archive.  ID copies are matched to
owners by name (title, then the text read from the scan), so a household with
a co-owner whose copy is missing says whose.  The project's blocking
prerequisites (:mod:`.prerequisites`) come first: a household of a project
without its 初始登记 is not ready, whatever it holds.

Nothing here writes; :func:`readiness` reads at most the files and text
sidecars of the documents an item looks at.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from docgen.certificates.prerequisites import blocked_reason, blockers
from docgen.certificates.requirements import ProjectRequirements, Requirement
from docgen.errors import DocgenError
from docgen.models import Document, Dossier, Project
from docgen.vocab import doc_type_label

if TYPE_CHECKING:
    from docgen.archive.store import Archive

PAID = ("已付清", "按揭已到账")
NOTARISED_WORDS = ("公证",)
MISSING = "未归档"


@dataclass(frozen=True, slots=True)
class Item:
    """One material of one household: needed here or not, present or not, and what is missing."""

    code: str
    label: str
    check: str
    applicable: bool
    satisfied: bool
    detail: str = ""
    """What is wrong when not satisfied (未归档, 未签字, 缺 赵磊 的 …), or what was found."""
    documents: tuple[str, ...] = ()
    """Ids of the documents that satisfy it."""
    bring: str = ""
    note: str = ""
    copies: int = 0
    """材料份数 this item contributes to the submission (0 for a condition such as 已交房)."""

    @property
    def missing(self) -> bool:
        """True when the item is needed and not there."""
        return self.applicable and not self.satisfied

    @property
    def lack(self) -> str:
        """``婚姻状况证明``, ``委托书(未签字…)``: how a list of what is missing names it (the detail when it says more)."""
        return f"{self.label}({self.detail})" if self.detail and self.detail != MISSING else self.label


@dataclass(frozen=True, slots=True)
class Readiness:
    """Where one household's registration materials stand."""

    key: str
    unit: str
    unit_label: str
    owner_names: str
    certificate_status: str
    items: tuple[Item, ...]
    blockers: tuple[str, ...] = ()
    """Why the project holds the household up (its prerequisites), if it does."""
    agent: str = ""

    @property
    def ready(self) -> bool:
        """True when nothing holds the household up: no blocking prerequisite, every needed item present."""
        return not self.blockers and not any(i.missing for i in self.items)

    @property
    def lacks(self) -> list[str]:
        """What the household still lacks, in the list's order (blocking prerequisites first)."""
        return [*self.blockers, *(i.lack for i in self.items if i.missing)]

    @property
    def materials(self) -> int:
        """材料份数: the copies of the papers that are there (what the submission list counts)."""
        return sum(i.copies for i in self.items if i.applicable and i.satisfied)

    def as_dict(self) -> dict[str, Any]:
        """JSON form (no personal data beyond the owners' names)."""
        return {
            "key": self.key, "unit": self.unit, "unit_label": self.unit_label, "owner_names": self.owner_names,
            "certificate_status": self.certificate_status, "ready": self.ready, "lacks": self.lacks,
            "blockers": list(self.blockers), "materials": self.materials, "agent": self.agent,
            "items": [
                {"code": i.code, "label": i.label, "applicable": i.applicable, "satisfied": i.satisfied,
                 "detail": i.detail, "documents": list(i.documents), "bring": i.bring, "note": i.note,
                 "copies": i.copies}
                for i in self.items
            ],
        }


@dataclass
class _Docs:
    """The dossier's current documents by type, with access to their files and text."""

    dossier: Dossier
    archive: Archive | None
    folder: str | None = None
    by_type: dict[str, list[Document]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for doc in self.dossier.documents:
            if not doc.superseded_by:
                self.by_type.setdefault(doc.type, []).append(doc)
        if self.archive is not None:
            self.folder = str(self.archive.path(f"{self.archive.layout.dossier_rel(self.dossier.key)}/documents"))

    def present(self, doc: Document) -> bool:
        """True when the document's file is in the archive (always, without an archive to look in)."""
        return self.folder is None or os.path.isfile(os.path.join(self.folder, doc.file))

    def text(self, doc: Document) -> str:
        """The text read from the document ("" if none)."""
        if self.archive is None or not doc.text_file:
            return ""
        try:
            return "\n".join(self.archive.document_text(self.dossier, doc))
        except DocgenError:  # an unreadable sidecar (verify reports it): the title still counts
            return ""

    def of(self, doc_type: str) -> list[Document]:
        """Current documents of a type."""
        return self.by_type.get(doc_type, [])


def _document_item(req: Requirement, docs: _Docs) -> tuple[bool, str, tuple[str, ...]]:
    assert req.doc_type is not None
    found = docs.of(req.doc_type)
    if not found:
        return False, MISSING, ()
    on_disk = [d for d in found if docs.present(d)]
    if not on_disk:
        return False, f"文件 {'、'.join(d.id for d in found)} 缺失", ()
    if req.signed:
        signed = [d for d in on_disk if d.signed]
        if not signed:
            return False, "已归档的版本未签字", ()
        on_disk = signed
    return True, "", (on_disk[0].id,)


def _each_owner(req: Requirement, dossier: Dossier, docs: _Docs) -> tuple[bool, str, tuple[str, ...], int]:
    """One document per owner, matched by name in its title or text; documents naming nobody fill the gaps."""
    assert req.doc_type is not None
    found = [d for d in docs.of(req.doc_type) if docs.present(d) and (d.signed or not req.signed)]
    names = [o.name for o in dossier.owners]
    owner_of: dict[str, str] = {}
    unnamed: list[Document] = []
    for doc in found:
        named = next((n for n in names if n in doc.title), None)
        if named is None:
            text = docs.text(doc)
            named = next((n for n in names if n in text), None)
        if named is None:
            unnamed.append(doc)
        elif named not in owner_of:
            owner_of[named] = doc.id
    for name in names:
        if name not in owner_of and unnamed:
            owner_of[name] = unnamed.pop(0).id
    missing = [n for n in names if n not in owner_of]
    ids = tuple(owner_of[n] for n in names if n in owner_of)
    if missing:
        return False, f"缺 {'、'.join(missing)} 的{doc_type_label(req.doc_type)}", ids, len(ids)
    return True, "", ids, len(ids)


def _agent_item(req: Requirement, docs: _Docs) -> tuple[bool, str, tuple[str, ...]]:
    assert req.doc_type is not None
    found = [d for d in docs.of(req.doc_type) if docs.present(d)]
    for doc in found:
        if any(w in f"{doc.title} {doc.note}" for w in NOTARISED_WORDS) or any(w in docs.text(doc) for w in NOTARISED_WORDS):
            return True, "", (doc.id,)
    return False, "未归档经公证的委托书" if not found else "已归档的委托书未注明经过公证", ()


def check_item(req: Requirement, dossier: Dossier, docs: _Docs, agent: str) -> Item:
    """Decide one requirement for one dossier."""

    def item(applicable: bool, satisfied: bool, detail: str = "", documents: tuple[str, ...] = (),
             copies: int = 0) -> Item:
        return Item(req.code, req.label, req.check, applicable, satisfied, detail, documents, req.bring, req.note,
                    copies)

    if req.check == "delivered":
        ok = dossier.delivered_on is not None and dossier.stage != "签约"
        return item(True, ok, "" if ok else "尚未交房")
    if req.check == "paid":
        ok = dossier.payment_status in PAID
        return item(True, ok, "" if ok else f"付款状态为{dossier.payment_status}")
    if req.check == "agent":
        if not agent:
            return item(False, True)
        ok, detail, ids = _agent_item(req, docs)
        return item(True, ok, detail, ids, req.copies if ok else 0)
    if req.check == "each_owner":
        ok, detail, ids, n = _each_owner(req, dossier, docs)
        return item(True, ok, detail, ids, req.copies * n)
    ok, detail, ids = _document_item(req, docs)
    if req.check == "filed_contract" and ok and not dossier.filing_no:
        ok, detail = False, "档案中没有合同备案号"
    return item(True, ok, detail, ids, req.copies if ok else 0)


def readiness(dossier: Dossier, project: Project, requirements: ProjectRequirements, *,
              archive: Archive | None = None, agent: str = "") -> Readiness:
    """Where ``dossier``'s registration materials stand under ``requirements`` (the project's list).

    ``archive`` is where the documents' files and text are looked up (without
    it, files are taken as present and names are matched by title only);
    ``agent`` is the person acting for the owners, if any (their registration
    batch records it).
    """
    docs = _Docs(dossier, archive)
    items = tuple(check_item(req, dossier, docs, agent) for req in requirements.requirements)
    held = blockers(project, dossier.unit, requirements.blocking)
    reasons = (blocked_reason(project, held),) if held else ()
    return Readiness(dossier.key, dossier.unit, dossier.unit_label, dossier.owner_names, dossier.certificate_status,
                     items, reasons, agent)


def summary(rows: Sequence[Readiness]) -> dict[str, int]:
    """Counts for a list: households, ready, held up by the project, lacking materials."""
    return {
        "households": len(rows),
        "ready": sum(1 for r in rows if r.ready),
        "blocked": sum(1 for r in rows if r.blockers),
        "lacking": sum(1 for r in rows if not r.blockers and not r.ready),
    }
