"""What people and scripts are shown of a record: personal data masked unless revealed.

The masking itself is :mod:`docgen.privacy` (one policy for every caller);
this module builds the views from it, so the terminal and ``--json`` cannot
disagree.  A caller passes ``reveal=True`` only after
:func:`docgen.privacy.reveal` has journaled the reveal.
"""

from __future__ import annotations

from typing import Any

from docgen.models import Batch, Document, Dossier, Owner, Project
from docgen.privacy import mask_address, mask_id_number, mask_pages, mask_phone, mask_text
from docgen.units import unit_label
from docgen.vocab import SOURCE_LABELS, TEXT_ORIGIN_LABELS


def owner_view(owner: Owner, reveal: bool = False) -> dict[str, Any]:
    """An owner with ID number, phone and address masked unless ``reveal``."""
    return {
        "name": owner.name,
        "role": owner.role,
        "id_number": owner.id_number if reveal else mask_id_number(owner.id_number),
        "phone": owner.phone if reveal or not owner.phone else mask_phone(owner.phone),
        "address": owner.address if reveal else mask_address(owner.address),
    }


def dossier_row(d: Dossier, reveal: bool = False) -> dict[str, Any]:
    """A one-line summary of a dossier for lists."""
    main = d.owners[0]
    return {
        "key": d.key,
        "unit": d.unit_label,
        "owners": d.owner_names,
        "phone": main.phone if reveal or not main.phone else mask_phone(main.phone),
        "stage": d.stage,
        "batch": d.batch or "",
        "payment_status": d.payment_status,
        "certificate_status": d.certificate_status,
        "documents": len(d.documents),
        "open_cases": sum(1 for r in d.repairs if r.status in ("已受理", "已核实", "维修中", "待验收"))
        + sum(1 for c in d.complaints if c.status != "已关闭"),
    }


def document_view(doc: Document, reveal: bool = False) -> dict[str, Any]:
    """A document's metadata for people (a scan's file name may carry an ID or phone number: masked)."""
    return {
        "id": doc.id,
        "type": doc.type,
        "type_label": doc.type_label,
        "title": doc.title if reveal else mask_text(doc.title),
        "date": doc.date.isoformat() if doc.date else None,
        "source": doc.source,
        "source_label": SOURCE_LABELS[doc.source],
        "file": doc.file,
        "original_name": doc.original_name if reveal else mask_text(doc.original_name),
        "sha256": doc.sha256,
        "size": doc.size,
        "pages": [
            {**(p.model_dump(mode="json") if reveal else _masked_page(p)), "origin_label": TEXT_ORIGIN_LABELS[p.origin]}
            for p in doc.pages
        ],
        "signed": doc.signed,
        "supersedes": doc.supersedes,
        "superseded_by": doc.superseded_by,
        "identified_by": doc.identified_by,
        "confidence": doc.confidence,
        "filed_at": doc.filed_at.isoformat() if doc.filed_at else None,
        "filed_by": doc.filed_by,
    }


def _masked_page(page: Any) -> dict[str, Any]:
    """A page's OCR record with what was read on doubtful lines masked (a line may hold an ID number)."""
    data: dict[str, Any] = page.model_dump(mode="json")
    if data.get("doubtful"):
        data["doubtful"] = [_mask_strings(line, []) for line in data["doubtful"]]
    return data


def dossier_view(d: Dossier, reveal: bool = False) -> dict[str, Any]:
    """A whole dossier for ``dossier show``: masked owners, documents and case records."""
    data = d.model_dump(mode="json")
    data["key"] = d.key
    data["unit_label"] = d.unit_label
    data["owners"] = [owner_view(o, reveal) for o in d.owners]
    data["documents"] = [document_view(doc, reveal) for doc in d.documents]
    if not reveal:
        # staff type phone and ID numbers, and owners' addresses, into descriptions and notes too
        known = owner_addresses(d)
        for kind in ("repairs", "complaints", "revisits", "settlements"):
            data[kind] = [_mask_strings(record, known) for record in data[kind]]
        data["notes"] = mask_text(data["notes"], known)
    return data


def owner_addresses(owner: Dossier | Project) -> list[str]:
    """The addresses of a dossier's owners (masked wherever they appear in its texts); none for a project."""
    return [o.address for o in owner.owners if o.address] if isinstance(owner, Dossier) else []


def document_text_view(owner: Dossier | Project, pages: list[str], reveal: bool = False) -> list[str]:
    """A document's text pages as people see them: ID numbers, phones and addresses masked unless ``reveal``."""
    return list(pages) if reveal else mask_pages(pages, owner_addresses(owner))


def _mask_strings(value: Any, known: list[str]) -> Any:
    if isinstance(value, str):
        return mask_text(value, known)
    if isinstance(value, list):
        return [_mask_strings(v, known) for v in value]
    if isinstance(value, dict):
        return {k: _mask_strings(v, known) for k, v in value.items()}
    return value


def batch_view(b: Batch) -> dict[str, Any]:
    """A batch with unit labels and counts by status."""
    data = b.model_dump(mode="json")
    for u in data["units"]:
        u["unit_label"] = unit_label(u["unit"])
    counts: dict[str, int] = {}
    for u in b.units:
        counts[u.status] = counts.get(u.status, 0) + 1
    data["counts"] = counts
    return data


def project_view(p: Project) -> dict[str, Any]:
    """A project with its warnings (a doubtful credit code is kept, and shown)."""
    data = p.model_dump(mode="json")
    data["documents"] = [document_view(doc) for doc in p.documents]
    data["warnings"] = [f"{f}: {msg}" for f, msg in p.warnings()]
    return data
