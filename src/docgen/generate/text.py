"""Text of a generated document: from the .docx (python-docx) and from the PDF (pypdf).

The archive stores each document's text beside it (search and audit read it),
and the tests compare generated documents by this text, never by bytes.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from docx import Document as open_docx
from docx.oxml.ns import qn

_P, _TBL, _SDT, _SDT_CONTENT = qn("w:p"), qn("w:tbl"), qn("w:sdt"), qn("w:sdtContent")
_TR, _TC, _T, _TAB, _BR, _CR = qn("w:tr"), qn("w:tc"), qn("w:t"), qn("w:tab"), qn("w:br"), qn("w:cr")


def _paragraph_text(p: Any) -> str:
    parts = []
    for el in p.iter(_T, _TAB, _BR, _CR):
        if el.tag == _T:
            parts.append(el.text or "")
        else:
            parts.append("\t" if el.tag == _TAB else "\n")
    return "".join(parts)


def _blocks(element: Any) -> Iterator[str]:
    """Lines of a body, cell or header in document order (lxml directly: 10x python-docx's objects)."""
    for child in element.iterchildren():
        if child.tag == _P:
            yield _paragraph_text(child)
        elif child.tag == _TBL:
            for row in child.iterchildren(_TR):
                # a line break inside a cell stays within the row's line
                cells = [" ".join(_blocks(tc)).replace("\n", " ").strip() for tc in row.iterchildren(_TC)]
                yield "\t".join(cells)
        elif child.tag == _SDT:
            content = child.find(_SDT_CONTENT)
            if content is not None:
                yield from _blocks(content)


def document_text(document: Any, headers: bool = True) -> str:
    """The text of an open python-docx Document: header lines, then the body in order."""
    lines: list[str] = []
    if headers and document.sections:
        lines.extend(t for t in _blocks(document.sections[0].header._element) if t.strip())
    lines.extend(_blocks(document.element.body))
    return "\n".join(lines)


def docx_text(path: Path) -> str:
    """The text of a .docx file (headers first, tables as tab-separated rows)."""
    return document_text(open_docx(str(path)))


def pdf_pages(path: Path) -> list[str]:
    """The text of each page of a PDF (pypdf)."""
    from pypdf import PdfReader

    return [page.extract_text() or "" for page in PdfReader(str(path)).pages]


def pdf_fonts(path: Path) -> list[str]:
    """Names of the fonts a PDF uses (subset prefixes removed), to say which CJK font was used."""
    from pypdf import PdfReader

    names: set[str] = set()
    for page in PdfReader(str(path)).pages:
        resources = page.get("/Resources")
        if resources is None:
            continue
        fonts = resources.get_object().get("/Font")
        if fonts is None:
            continue
        for ref in fonts.get_object().values():
            base = str(ref.get_object().get("/BaseFont", ""))
            names.add(base.lstrip("/").split("+", 1)[-1])
    return sorted(n for n in names if n)
