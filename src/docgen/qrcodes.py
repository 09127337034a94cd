"""The payloads docgen prints in QR codes, shared by generation and ingest.

Two kinds, both short ASCII so a 25 mm code stays robust after printing and
scanning:

* a generated document: ``DG1:D:<doc id>:<owner key>``, e.g.
  ``DG1:D:DOC-2026-000123:HXSZ/03-2-1203`` (owner key is a dossier or a project);
* a separator cover sheet for batch scans: ``DG1:S:<owner key>:<type code>``,
  e.g. ``DG1:S:HXSZ/03-2-1203:handover_record``: every page after it, up to the
  next cover sheet, is one document of that type for that dossier.

Decoding is strict: anything else is "not ours" (``None``), never a guess.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

PREFIX = "DG1"
_DOC_RE = re.compile(r"^DG1:D:(?P<id>[A-Za-z0-9][A-Za-z0-9_.-]{0,63}):(?P<owner>[A-Z][A-Z0-9]{1,15}(?:/[0-9A-Z]{1,3}-[0-9]{1,2}-[0-9]{3,5})?)$")
_SEP_RE = re.compile(r"^DG1:S:(?P<owner>[A-Z][A-Z0-9]{1,15}(?:/[0-9A-Z]{1,3}-[0-9]{1,2}-[0-9]{3,5})?):(?P<type>[a-z_]{2,40})$")


@dataclass(frozen=True, slots=True)
class DocumentCode:
    """A QR code on a document docgen generated: which document, filed where."""

    doc_id: str
    owner_key: str

    def encode(self) -> str:
        """The payload string."""
        return f"{PREFIX}:D:{self.doc_id}:{self.owner_key}"


@dataclass(frozen=True, slots=True)
class SeparatorCode:
    """A QR code on a separator cover sheet: the following pages belong to this dossier and type."""

    owner_key: str
    doc_type: str

    def encode(self) -> str:
        """The payload string."""
        return f"{PREFIX}:S:{self.owner_key}:{self.doc_type}"


def decode(payload: str) -> DocumentCode | SeparatorCode | None:
    """Read a payload; None when it is not a docgen code."""
    text = payload.strip()
    m = _DOC_RE.match(text)
    if m:
        return DocumentCode(doc_id=m["id"], owner_key=m["owner"])
    m = _SEP_RE.match(text)
    if m:
        return SeparatorCode(owner_key=m["owner"], doc_type=m["type"])
    return None
