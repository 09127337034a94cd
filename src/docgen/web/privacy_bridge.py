"""Every reveal and export the web application makes, in one place, journaled: who, what, why, where.

The web layer's side of the core privacy policy (:mod:`docgen.privacy`): masking,
the reason check and the journal entry are the policy's own functions, so the
browser, the CLI and the API reveal by the same rules; this module adds what
only pages need (which document types are personal in themselves, withholding
their search snippets, the wording a form shows).

A reveal needs the ``reveal`` permission, a project the user may see, and a
reason (required, one line); the entry names the acting user (the session's
archive journals them), what was shown, why, and where it went (which page or
download).  Personal documents (ID copies, 户口簿, 婚姻证明) count as reveals
when their pages are shown or their original is downloaded: a picture of an ID
card cannot be masked.
"""

from __future__ import annotations

from typing import Any

from docgen import privacy
from docgen.models import Document, Dossier
from docgen.present import dossier_view, owner_view
from docgen.search.types import Results
from docgen.session import Session

PERSONAL_TYPES: frozenset[str] = frozenset({"id_copy", "household_register", "marriage_proof"})
"""Document types whose pages and originals are personal data in themselves (shown only after a reveal)."""

ASK = "请在“理由”一栏写明"
"""Where a page's user writes a reveal's reason (the rule itself is :func:`docgen.privacy.check_reason`'s)."""
ASK_API = "请在参数 reason 中写明"

__all__ = [
    "PERSONAL_TYPES",
    "check_reason",
    "dossier_data",
    "is_personal",
    "mask",
    "owners_data",
    "record_export",
    "reveal",
    "screen_hits",
]


def is_personal(doc: Document) -> bool:
    """True if a document's pages or original show personal data that masking cannot hide."""
    return doc.type in PERSONAL_TYPES


PERSONAL_SNIPPET = "(个人证件:摘要不显示,请在文件页说明理由后查看)"


def screen_hits(results: Results) -> Results:
    """Search results as the web shows them: a personal document's snippet is withheld (names, birth dates, addresses)."""
    for hit in results.hits:
        if hit.kind == "document" and hit.type in PERSONAL_TYPES:
            hit.snippet = PERSONAL_SNIPPET
            hit.highlights = []
    return results


def mask(text: str) -> str:
    """Text with ID numbers, phones and labelled addresses masked (scan text, notes, journal summaries)."""
    return privacy.mask_text(text)


def check_reason(reason: str | None, ask: str = ASK) -> str:
    """The reason given for a reveal, cleaned by the policy's one rule; a UsageError in Chinese when unusable."""
    return privacy.check_reason(reason, ask)


def reveal(session: Session, target: str, what: str, why: str | None, where: str, ask: str = ASK) -> str:
    """Check that the user may reveal ``target`` and journal it (who, what, why, where); returns the reason.

    ``target`` is a dossier key or a document id's owner key (its project
    decides the scope); ``what`` names what is shown (``业主身份证号、电话、地址``),
    ``where`` the page or download (``网页:档案页``).
    """
    project = target.split("/", 1)[0].split("#", 1)[0]
    session.require("reveal", project)
    reason = check_reason(why, ask)
    privacy.reveal(session.archive, target=target, what=what, why=reason, where=where, kind=privacy.VIEW,
                   role=session.user.role, detail={"who": session.user.name})
    return reason


def record_export(session: Session, target: str, what: str, where: str, rows: int) -> None:
    """Journal that masked data left the system as a file (an export or a report download)."""
    detail: dict[str, Any] = {"who": session.user.name, "role": session.user.role, "what": what,
                              "where": where, "rows": rows, "masked": True}
    session.archive.record_access("web.export", target, f"导出{what}({rows} 条,已遮蔽)", detail)


def dossier_data(d: Dossier, revealed: bool) -> dict[str, Any]:
    """A dossier as the pages show it: masked unless this request made a (journaled) reveal."""
    return dossier_view(d, reveal=revealed)


def owners_data(d: Dossier, revealed: bool) -> list[dict[str, Any]]:
    """The owners of a dossier, masked unless revealed."""
    return [owner_view(o, revealed) for o in d.owners]
