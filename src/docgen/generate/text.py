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
from docx.table import Table
from docx.text.paragraph import Paragraph


def _blocks(parent: Any, element: Any) -> Iterator[str]:
    for child in element.iterchildren():
        if child.tag == qn("w:p"):
            yield Paragraph(child, parent).text
        elif child.tag == qn("w:tbl"):
            table = Table(child, parent)
            for row in table.rows:
                cells: list[str] = []
                seen: set[int] = set()
                for cell in row.cells:
                    if id(cell._tc) in seen:
                        continue
                    seen.add(id(cell._tc))
                    cells.append(" ".join(_blocks(cell, cell._tc)).strip())
                yield "\t".join(cells)
        elif child.tag == qn("w:sdt"):
            content = child.find(qn("w:sdtContent"))
            if content is not None:
                yield from _blocks(parent, content)


def document_text(document: Any, headers: bool = True) -> str:
    """The text of an open python-docx Document: header lines, then the body in order."""
    lines: list[str] = []
    if headers:
        for section in document.sections:
            lines.extend(t for t in _blocks(section.header, section.header._element) if t.strip())
            break
    lines.extend(_blocks(document, document.element.body))
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
